/* test-cradlectl-types-provision.c: `cradlectl types export` and `import`
 * as an administrator and a script use them: nothing saved until
 * confirmed, the plan as JSON, both formats round trip, hostile files
 * refused with their line and nothing written, signed files checked
 * against cradle.conf's TrustAnchors */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <openssl/pem.h>

#include "revocation-test-pki.h"

typedef struct {
  char *home;
  char *user;      /* CRADLE_CONFIG_DIR */
  char *system;    /* CRADLE_SYSTEM_CONFIG_DIR */
  char *types_d;   /* the user's types.d */
} Home;

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
home_set_up (Home          *home,
             gconstpointer  data)
{
  home->home = g_dir_make_tmp ("cradle-types-provision-XXXXXX", NULL);
  g_assert_nonnull (home->home);
  home->user = g_build_filename (home->home, "user", NULL);
  home->system = g_build_filename (home->home, "system", NULL);
  home->types_d = g_build_filename (home->user, "types.d", NULL);
}

static void
home_tear_down (Home          *home,
                gconstpointer  data)
{
  remove_tree (home->home);
  g_free (home->home);
  g_free (home->user);
  g_free (home->system);
  g_free (home->types_d);
}

/* cradlectl @args with the home's folders; stdin is /dev/null (not a
 * terminal).  Returns the exit code. */
static int
run (Home               *home,
     const char * const *args,
     char              **out,
     char              **err)
{
  g_autofree char *program = g_build_filename (g_getenv ("CRADLE_BUILD_ROOT"), "cli", "cradlectl", NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (argv, program);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_subprocess_launcher_setenv (launcher, "CRADLE_CONFIG_DIR", home->user, TRUE);
  g_subprocess_launcher_setenv (launcher, "CRADLE_SYSTEM_CONFIG_DIR", home->system, TRUE);
  g_subprocess_launcher_setenv (launcher, "LANG", "C.UTF-8", TRUE);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, out, err, &error);
  g_assert_no_error (error);
  return g_subprocess_get_exit_status (process);
}

static char *
write_file (Home       *home,
            const char *name,
            const char *text)
{
  char *path = g_build_filename (home->home, name, NULL);

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return path;
}

static guint
count_types (Home *home)
{
  g_autoptr(GDir) dir = g_dir_open (home->types_d, 0, NULL);
  guint count = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    count++;
  return count;
}

static const char enroller_sample[] =
  "<wap-provisioningdoc>\n"
  "  <characteristic type=\"CertificateEnroller\">\n"
  "    <characteristic type=\"Configuration\">\n"
  "      <characteristic type=\"CRADLE_VPN\">\n"
  "        <parm name=\"ServerName\" value=\"ca01.corp.example\"/>\n"
  "        <parm name=\"Template\" value=\"CorpMobileVPN\"/>\n"
  "        <parm name=\"NoSSL\" value=\"0\" datatype=\"boolean\"/>\n"
  "      </characteristic>\n"
  "    </characteristic>\n"
  "    <characteristic type=\"Operation\">\n"
  "      <characteristic type=\"Enroll\">\n"
  "        <characteristic type=\"7F3C2A10-5B4E-4D8A-9C61-0A1B2C3D4E5F\">\n"
  "          <parm name=\"CertificateTypeFriendlyName\" value=\"CRADLE_VPN\"/>\n"
  "          <parm name=\"Username\" value=\"CORP\\jdoe\"/>\n"
  "          <parm name=\"Password\" value=\"Sample-Pa55word\"/>\n"
  "        </characteristic>\n"
  "      </characteristic>\n"
  "    </characteristic>\n"
  "  </characteristic>\n"
  "</wap-provisioningdoc>\n";

static void
test_confirm (Home          *home,
              gconstpointer  data)
{
  g_autofree char *path = write_file (home, "sample.xml", enroller_sample);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *root;
  JsonObject *type;

  /* Not a terminal and no --yes: the plan, then nothing saved (exit 5). */
  {
    const char *args[] = { "types", "import", path, NULL };
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    g_assert_cmpint (run (home, args, &out, &err), ==, 5);
    g_assert_nonnull (strstr (out, "Windows Mobile Certificate Enroller"));
    g_assert_nonnull (strstr (out, "Not signed"));
    g_assert_nonnull (strstr (out, "new        CRADLE_VPN: certsrv at https://ca01.corp.example/certsrv"));
    g_assert_nonnull (strstr (out, "sample.xml:10:"));
    g_assert_nonnull (strstr (out, "Nothing was saved"));
    g_assert_null (strstr (out, "Sample-Pa55word"));
    g_assert_cmpuint (count_types (home), ==, 0);
  }
  /* --json alone: the plan for a script, still nothing saved. */
  {
    const char *args[] = { "types", "import", path, "--json", NULL };
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    g_assert_cmpint (run (home, args, &out, &err), ==, 0);
    g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
    g_assert_no_error (error);
    root = json_node_get_object (json_parser_get_root (parser));
    g_assert_cmpstr (json_object_get_string_member (root, "format"), ==, "windows");
    g_assert_false (json_object_get_boolean_member (root, "signed"));
    g_assert_false (json_object_get_boolean_member (root, "applied"));
    type = json_array_get_object_element (json_object_get_array_member (root, "types"), 0);
    g_assert_cmpstr (json_object_get_string_member (type, "name"), ==, "CRADLE_VPN");
    g_assert_cmpstr (json_object_get_string_member (type, "action"), ==, "new");
    g_assert_cmpuint (count_types (home), ==, 0);
  }
  /* --yes saves it; the same file again is unchanged. */
  {
    const char *args[] = { "types", "import", path, "--yes", NULL };
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *out2 = NULL;
    g_autofree char *err2 = NULL;
    g_autofree char *saved = g_build_filename (home->types_d, "CRADLE_VPN.conf", NULL);

    g_assert_cmpint (run (home, args, &out, &err), ==, 0);
    g_assert_nonnull (strstr (out, "Saved 1 type"));
    g_assert_true (g_file_test (saved, G_FILE_TEST_IS_REGULAR));
    g_assert_cmpint (run (home, args, &out2, &err2), ==, 0);
    g_assert_nonnull (strstr (out2, "unchanged  CRADLE_VPN"));
  }
}

static void
test_round_trip (Home          *home,
                 gconstpointer  data)
{
  static const char bundle[] =
    "[Cradle Provisioning]\nVersion=1\n\n"
    "[Cradle Certificate Type]\nName=corp-user\nDisplayName=Corp user\nProtocol=certsrv\n"
    "URL=https://ca01.corp.example/certsrv\nTemplate=User\nKeyType=rsa3072\n\n"
    "[Cradle Certificate Type]\nName=est-devices\nProtocol=est\nURL=https://est.corp.example/.well-known/est\n"
    "Label=devices\nAuth=password\n";
  g_autofree char *path = write_file (home, "bundle.cradle", bundle);
  g_autofree char *first = g_build_filename (home->home, "first.cradle", NULL);
  g_autofree char *second = g_build_filename (home->home, "second.cradle", NULL);
  g_autofree char *windows = g_build_filename (home->home, "types.xml", NULL);
  g_autofree char *first_text = NULL;
  g_autofree char *second_text = NULL;
  g_autofree char *windows_text = NULL;

  {
    const char *args[] = { "types", "import", path, "--yes", NULL };
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    g_assert_cmpint (run (home, args, &out, &err), ==, 0);
    g_assert_cmpuint (count_types (home), ==, 2);
  }
  {
    const char *args[] = { "types", "export", "--output", first, NULL };
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    g_assert_cmpint (run (home, args, &out, &err), ==, 0);
  }
  /* Into an empty computer and out again: the same file. */
  remove_tree (home->user);
  {
    const char *args[] = { "types", "import", first, "--yes", NULL };
    const char *export_args[] = { "types", "export", "-o", second, NULL };
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *out2 = NULL;
    g_autofree char *err2 = NULL;

    g_assert_cmpint (run (home, args, &out, &err), ==, 0);
    g_assert_cmpint (run (home, export_args, &out2, &err2), ==, 0);
  }
  g_assert_true (g_file_get_contents (first, &first_text, NULL, NULL));
  g_assert_true (g_file_get_contents (second, &second_text, NULL, NULL));
  g_assert_cmpstr (first_text, ==, second_text);

  /* Windows: EST has no place there; the certsrv type goes, with notes. */
  {
    const char *args[] = { "types", "export", "--format", "windows", "-o", windows, NULL };
    const char *one_args[] = { "types", "export", "--format", "windows", "-o", windows, "corp-user", NULL };
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *out2 = NULL;
    g_autofree char *err2 = NULL;

    g_assert_cmpint (run (home, args, &out, &err), ==, 7);
    g_assert_nonnull (strstr (err, "'est-devices'"));
    g_assert_cmpint (run (home, one_args, &out2, &err2), ==, 0);
    g_assert_nonnull (strstr (err2, "Not exported: type 'corp-user': KeyType"));
  }
  remove_tree (home->user);
  {
    const char *args[] = { "types", "import", windows, "--yes", NULL };
    const char *show_args[] = { "types", "show", "corp-user", NULL };
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *out2 = NULL;
    g_autofree char *err2 = NULL;

    g_assert_cmpint (run (home, args, &out, &err), ==, 0);
    g_assert_cmpuint (count_types (home), ==, 1);
    g_assert_cmpint (run (home, show_args, &out2, &err2), ==, 0);
    g_assert_nonnull (strstr (out2, "https://ca01.corp.example/certsrv"));
    g_assert_nonnull (strstr (out2, "User"));
  }
  g_assert_true (g_file_get_contents (windows, &windows_text, NULL, NULL));
  g_assert_nonnull (strstr (windows_text, "<characteristic type=\"corp-user\">"));
}

static void
test_hostile (Home          *home,
              gconstpointer  data)
{
  static const struct {
    const char *text;
    const char *said;
  } files[] = {
    { "<?xml version=\"1.0\"?>\n<!DOCTYPE wap-provisioningdoc [\n<!ENTITY xxe SYSTEM \"file:///etc/passwd\">\n]>\n"
      "<wap-provisioningdoc>&xxe;</wap-provisioningdoc>\n", "hostile:2:" },
    { "<wap-provisioningdoc>\n  <characteristic type=\"CertificateEnroller\">\n"
      "    <characteristic type=\"Configuration\">\n      <characteristic type=\"VPN\">\n"
      "        <parm name=\"ServerName\" value=\"ca01.corp.example\"/>\n"
      "        <parm name=\"KeyLength\" value=\"2048\"/>\n"
      "      </characteristic>\n    </characteristic>\n  </characteristic>\n</wap-provisioningdoc>\n",
      "hostile:6:" },
    { "[Cradle Provisioning]\nVersion=1\n\n[Cradle Certificate Type]\nName=vpn\nProtocol=certsrv\n"
      "URL=https://ca.example/certsrv\nTemplate=User\nTimeout=soon\n", "hostile:9:" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = write_file (home, "hostile", files[i].text);
      const char *args[] = { "types", "import", path, "--yes", NULL };
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;

      g_assert_cmpint (run (home, args, &out, &err), ==, 7);
      g_assert_nonnull (strstr (err, files[i].said));
      g_assert_cmpuint (count_types (home), ==, 0);
    }
}

static char *
write_pem (Home       *home,
           const char *name,
           X509       *cert,
           EVP_PKEY   *key)
{
  char *path = g_build_filename (home->home, name, NULL);
  g_autoptr(BIO) bio = BIO_new_file (path, "w");

  if (cert != NULL)
    g_assert_cmpint (PEM_write_bio_X509 (bio, cert), ==, 1);
  if (key != NULL)
    g_assert_cmpint (PEM_write_bio_PrivateKey (bio, key, NULL, NULL, 0, NULL, NULL), ==, 1);
  return path;
}

static void
test_signed (Home          *home,
             gconstpointer  data)
{
  CertOptions code_signing = { .eku = "codeSigning" };
  g_autoptr(Pki) root = make_cert (NULL, "Corp Provisioning Root", TRUE, NULL);
  g_autoptr(Pki) signer = make_cert (root, "Corp Provisioning Signer", FALSE, &code_signing);
  g_autofree char *root_file = write_pem (home, "root.pem", root->cert, NULL);
  g_autofree char *cert_file = write_pem (home, "signer.pem", signer->cert, NULL);
  g_autofree char *key_file = write_pem (home, "signer.key", NULL, signer->key);
  g_autofree char *sample = write_file (home, "sample.xml", enroller_sample);
  g_autofree char *signed_file = g_build_filename (home->home, "signed.p7", NULL);
  g_autofree char *conf = NULL;
  g_autofree char *conf_text = NULL;

  {
    const char *args[] = { "types", "import", sample, "--yes", NULL };
    const char *export_args[] = { "types", "export", "--sign-key", key_file, "--sign-cert", cert_file,
                                  "-o", signed_file, NULL };
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autofree char *out2 = NULL;
    g_autofree char *err2 = NULL;

    g_assert_cmpint (run (home, args, &out, &err), ==, 0);
    g_assert_cmpint (run (home, export_args, &out2, &err2), ==, 0);
  }
  remove_tree (home->types_d);

  /* The signer's root is not trusted yet: refused, the signer named. */
  {
    const char *args[] = { "types", "import", signed_file, "--yes", NULL };
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    g_assert_cmpint (run (home, args, &out, &err), ==, 7);
    g_assert_nonnull (strstr (err, "Corp Provisioning Signer"));
    g_assert_nonnull (strstr (err, "does not trust"));
    g_assert_cmpuint (count_types (home), ==, 0);
  }
  /* Trusted through cradle.conf: shown, then saved. */
  conf = g_build_filename (home->user, "cradle.conf", NULL);
  conf_text = g_strdup_printf ("[Enrollment]\nTrustAnchors=%s\n", root_file);
  g_assert_true (g_file_set_contents (conf, conf_text, -1, NULL));
  {
    const char *args[] = { "types", "import", signed_file, "--yes", NULL };
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;

    g_assert_cmpint (run (home, args, &out, &err), ==, 0);
    g_assert_nonnull (strstr (out, "Signed by CN = Corp Provisioning Signer"));
    g_assert_nonnull (strstr (out, "SHA-256 "));
    g_assert_cmpuint (count_types (home), ==, 1);
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Home, NULL, home_set_up, func, home_tear_down)
  ADD ("/cradlectl/types/import/confirm", test_confirm);
  ADD ("/cradlectl/types/round-trip", test_round_trip);
  ADD ("/cradlectl/types/import/hostile", test_hostile);
  ADD ("/cradlectl/types/import/signed", test_signed);
#undef ADD
  return g_test_run ();
}
