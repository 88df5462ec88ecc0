/* test-provisioning-hostile.c: provisioning files made to harm or to
 * mislead: each is refused with an error naming its line, and nothing is
 * saved
 */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include <cradle/cradle.h>

#include "test-files.h"

/* A document refused with an error that names its line ("hostile:LINE:")
 * and says @what. */
static void
assert_refused (const char *document,
                gsize       size,
                const char *line_prefix,
                const char *what)
{
  g_autoptr(GBytes) data = g_bytes_new (document, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleProvisioning) provisioning = cradle_provisioning_new_from_bytes ("hostile", data, &error);

  g_assert_null (provisioning);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  if (g_test_verbose ())
    g_test_message ("%s", error->message);
  if (strstr (error->message, line_prefix) == NULL)
    g_error ("'%s' does not say '%s'", error->message, line_prefix);
  if (strstr (error->message, what) == NULL)
    g_error ("'%s' does not say '%s'", error->message, what);
}

#define REFUSED(doc, line, what) assert_refused (doc, strlen (doc), line, what)

#define ENROLLER_HEAD \
  "<wap-provisioningdoc>\n"                              /* 1 */ \
  "  <characteristic type=\"CertificateEnroller\">\n"     /* 2 */ \
  "    <characteristic type=\"Configuration\">\n"         /* 3 */ \
  "      <characteristic type=\"VPN\">\n"                 /* 4 */
#define ENROLLER_TAIL \
  "      </characteristic>\n" \
  "    </characteristic>\n" \
  "  </characteristic>\n" \
  "</wap-provisioningdoc>\n"

static void
test_external_entity (TestFolders   *folders,
                      gconstpointer  data)
{
  /* XXE: an entity reading a file of this computer into a value. */
  REFUSED ("<?xml version=\"1.0\"?>\n"
           "<!DOCTYPE wap-provisioningdoc [\n"
           "  <!ENTITY xxe SYSTEM \"file:///etc/passwd\">\n"
           "]>\n"
           ENROLLER_HEAD
           "        <parm name=\"ServerName\" value=\"&xxe;\"/>\n"
           ENROLLER_TAIL,
           "hostile:2:", "document type declaration");
  /* An entity that was never declared is not well-formed: no DTD, no entity. */
  REFUSED (ENROLLER_HEAD
           "        <parm name=\"ServerName\" value=\"&xxe;\"/>\n"
           ENROLLER_TAIL,
           "hostile:5:", "not well-formed");
}

static void
test_doctype (TestFolders   *folders,
              gconstpointer  data)
{
  REFUSED ("<!DOCTYPE wap-provisioningdoc SYSTEM \"http://127.0.0.1:1/provisioning.dtd\">\n"
           ENROLLER_HEAD ENROLLER_TAIL,
           "hostile:1:", "document type declaration");
  REFUSED ("\n\n<!DOCTYPE wap-provisioningdoc>\n" ENROLLER_HEAD ENROLLER_TAIL,
           "hostile:3:", "document type declaration");
}

static void
test_billion_laughs (TestFolders   *folders,
                     gconstpointer  data)
{
  g_autoptr(GString) document = g_string_new ("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n"
                                               "  <!ENTITY lol \"lol\">\n");

  for (guint i = 1; i < 10; i++)
    {
      g_autofree char *previous = i == 1 ? g_strdup ("lol") : g_strdup_printf ("lol%u", i - 1);

      g_string_append_printf (document, "  <!ENTITY lol%u \"", i);
      for (guint j = 0; j < 10; j++)
        g_string_append_printf (document, "&%s;", previous);
      g_string_append (document, "\">\n");
    }
  g_string_append (document, "]>\n<wap-provisioningdoc>&lol9;</wap-provisioningdoc>\n");
  assert_refused (document->str, document->len, "hostile:2:", "document type declaration");
}

static void
test_huge (TestFolders   *folders,
           gconstpointer  data)
{
  gsize size = CRADLE_PROVISIONING_MAX_SIZE + 1;
  g_autofree char *document = g_malloc (size);
  g_autofree char *path = g_build_filename (folders->home, "huge.xml", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleProvisioning) provisioning = NULL;
  int fd;

  /* A well-formed start, then a comment that never ends. */
  memset (document, ' ', size);
  memcpy (document, "<wap-provisioningdoc><!--", 25);
  assert_refused (document, size, "hostile", "larger than");

  /* Read from a file, the bound holds while reading: a sparse file of
   * 4 GiB is not read to its end. */
  fd = g_open (path, O_CREAT | O_WRONLY, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, (off_t) 4 << 30), ==, 0);
  g_close (fd, NULL);
  provisioning = cradle_provisioning_new_from_file (path, &error);
  g_assert_null (provisioning);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "larger than"));
  g_clear_error (&error);

  /* Nor is what never ends, or never starts: a device, a FIFO. */
  provisioning = cradle_provisioning_new_from_file ("/dev/zero", &error);
  g_assert_null (provisioning);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_unlink (path);
  g_assert_cmpint (mkfifo (path, 0600), ==, 0);
  provisioning = cradle_provisioning_new_from_file (path, &error);
  g_assert_null (provisioning);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "not a regular file"));
}

static void
test_deep_nesting (TestFolders   *folders,
                   gconstpointer  data)
{
  g_autoptr(GString) document = g_string_new ("<wap-provisioningdoc>\n");

  for (guint i = 0; i < 5000; i++)
    g_string_append (document, "<characteristic type=\"CertificateEnroller\">\n");
  for (guint i = 0; i < 5000; i++)
    g_string_append (document, "</characteristic>\n");
  g_string_append (document, "</wap-provisioningdoc>\n");
  /* libxml2 stops at its depth limit (256), naming the line. */
  assert_refused (document->str, document->len, "hostile:258:", "depth");

  /* Within its limit, the structure is Cradle's: a characteristic where a
   * type's parm goes is an error at its line. */
  REFUSED (ENROLLER_HEAD
           "        <characteristic type=\"Nested\">\n"
           "          <characteristic type=\"Deeper\"/>\n"
           "        </characteristic>\n"
           ENROLLER_TAIL,
           "hostile:5:", "not something Cradle reads");
}

static void
test_unknown_fields (TestFolders   *folders,
                     gconstpointer  data)
{
  REFUSED (ENROLLER_HEAD
           "        <parm name=\"ServerName\" value=\"ca01.corp.example\"/>\n"
           "        <parm name=\"KeyLength\" value=\"2048\"/>\n"
           ENROLLER_TAIL,
           "hostile:6:", "'KeyLength'");
  REFUSED (ENROLLER_HEAD
           "        <parm name=\"ServerName\" value=\"ca01.corp.example\" secret=\"x\"/>\n"
           ENROLLER_TAIL,
           "hostile:5:", "attribute 'secret'");
  REFUSED ("<wap-provisioningdoc>\n"
           "  <characteristic type=\"CertificateStore\">\n"
           "  </characteristic>\n"
           "</wap-provisioningdoc>\n",
           "hostile:2:", "CertificateEnroller only");
  REFUSED ("<wap-provisioningdoc>\n"
           "  <characteristic type=\"CertificateEnroller\">\n"
           "    <characteristic type=\"Configuraton\"/>\n"
           "  </characteristic>\n"
           "</wap-provisioningdoc>\n",
           "hostile:3:", "'Configuraton'");
  REFUSED (ENROLLER_HEAD
           "        <parm name=\"ServerName\" value=\"ca01.corp.example\">text</parm>\n"
           ENROLLER_TAIL,
           "hostile:5:", "holds text");
  /* Cradle's format: a typo is an error, not a different type. */
  REFUSED ("[Cradle Provisioning]\nVersion=1\n\n[Cradle Certificate Type]\nName=vpn\n"
           "Protocl=certsrv\n",
           "hostile:6:", "unknown key 'Protocl'");
  REFUSED ("[Cradle Provisioning]\nVersion=1\nAuthor=me\n", "hostile:3:", "unknown key 'Author'");
  REFUSED ("[Cradle Provisioning]\nVersion=1\n[Other]\n", "hostile:3:", "unknown group");
  REFUSED ("[Cradle Provisioning]\nVersion=2\n", "hostile:2:", "version 2");
}

static void
test_wrong_types (TestFolders   *folders,
                  gconstpointer  data)
{
  REFUSED (ENROLLER_HEAD
           "        <parm name=\"ServerName\" value=\"ca01.corp.example\"/>\n"
           "        <parm name=\"NoSSL\" value=\"yes\" datatype=\"boolean\"/>\n"
           ENROLLER_TAIL,
           "hostile:6:", "NoSSL 'yes' is not a boolean");
  REFUSED (ENROLLER_HEAD
           "        <parm name=\"ServerName\" value=\"ca01.corp.example\" datatype=\"integer\"/>\n"
           ENROLLER_TAIL,
           "hostile:5:", "is a string");
  REFUSED (ENROLLER_HEAD
           "        <parm name=\"ServerName\" value=\"https://ca01.corp.example/certsrv\"/>\n"
           ENROLLER_TAIL,
           "hostile:5:", "not a server name");
  /* A line break in a value would add a key of the file's choosing. */
  REFUSED (ENROLLER_HEAD
           "        <parm name=\"ServerName\" value=\"ca01.corp.example\"/>\n"
           "        <parm name=\"Template\" value=\"User&#10;AllowPlainHttp=true\"/>\n"
           ENROLLER_TAIL,
           "hostile:6:", "line break");
  REFUSED ("[Cradle Provisioning]\nVersion=1\n\n[Cradle Certificate Type]\nName=vpn\nProtocol=certsrv\n"
           "URL=https://ca.corp.example/certsrv\nTemplate=User\nTimeout=soon\n",
           "hostile:9:", "Timeout 'soon'");
  REFUSED ("[Cradle Provisioning]\nVersion=one\n", "hostile:2:", "not a whole number");
  /* A path to a secret of this computer, which SCEP would send to the CA. */
  REFUSED ("[Cradle Provisioning]\nVersion=1\n\n[Cradle Certificate Type]\nName=wifi\nProtocol=scep\n"
           "URL=http://scep.corp.example/scep\nChallengeFile=/etc/shadow\n",
           "hostile:8:", "ChallengeFile is not accepted");
}

static void
test_duplicates (TestFolders   *folders,
                 gconstpointer  data)
{
  REFUSED (ENROLLER_HEAD
           "        <parm name=\"ServerName\" value=\"ca01.corp.example\"/>\n"
           "        <parm name=\"Template\" value=\"User\"/>\n"
           "      </characteristic>\n"
           "      <characteristic type=\"vpn\">\n"
           "        <parm name=\"ServerName\" value=\"evil.example\"/>\n"
           "        <parm name=\"Template\" value=\"User\"/>\n"
           ENROLLER_TAIL,
           "hostile:8:", "a second type named 'vpn' (the first is at line 4)");
  REFUSED (ENROLLER_HEAD
           "        <parm name=\"ServerName\" value=\"ca01.corp.example\"/>\n"
           "        <parm name=\"ServerName\" value=\"evil.example\"/>\n"
           ENROLLER_TAIL,
           "hostile:6:", "set twice");
  REFUSED ("[Cradle Provisioning]\nVersion=1\n\n"
           "[Cradle Certificate Type]\nName=vpn\nProtocol=certsrv\nURL=https://a.example/certsrv\nTemplate=U\n\n"
           "[Cradle Certificate Type]\nName=VPN\nProtocol=certsrv\nURL=https://b.example/certsrv\nTemplate=U\n",
           "hostile:10:", "a second type named 'VPN'");
}

static void
test_names (TestFolders   *folders,
            gconstpointer  data)
{
  static const char * const names[] = { "../evil", "/etc/passwd", ".hidden", "a b", "",
                                        "x\xe2\x80\xae" "fdp.exe", NULL };

  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *escaped = g_markup_escape_text (names[i], -1);
      g_autofree char *document = g_strdup_printf ("<wap-provisioningdoc>\n"
                                                   "  <characteristic type=\"CertificateEnroller\">\n"
                                                   "    <characteristic type=\"Configuration\">\n"
                                                   "      <characteristic type=\"%s\">\n"
                                                   ENROLLER_TAIL,
                                                   escaped);

      REFUSED (document, "hostile:4:", names[i][0] == '\0' ? "has no type" : "not a plain file name");
    }
  REFUSED ("[Cradle Provisioning]\nVersion=1\n\n[Cradle Certificate Type]\nName=..\nProtocol=certsrv\n",
           "hostile:4:", "not a plain file name");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, TestFolders, NULL, test_folders_set_up, func, test_folders_tear_down)
  ADD ("/provisioning/hostile/external-entity", test_external_entity);
  ADD ("/provisioning/hostile/doctype", test_doctype);
  ADD ("/provisioning/hostile/billion-laughs", test_billion_laughs);
  ADD ("/provisioning/hostile/huge", test_huge);
  ADD ("/provisioning/hostile/deep-nesting", test_deep_nesting);
  ADD ("/provisioning/hostile/unknown-fields", test_unknown_fields);
  ADD ("/provisioning/hostile/wrong-types", test_wrong_types);
  ADD ("/provisioning/hostile/duplicates", test_duplicates);
  ADD ("/provisioning/hostile/names", test_names);
#undef ADD
  return g_test_run ();
}
