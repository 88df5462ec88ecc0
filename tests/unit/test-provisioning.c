/* test-provisioning.c: provisioning files: the Certificate Enroller XML of
 * the reference read into the expected types, both formats exported and
 * read back, and an import's plan (new, changed, unchanged) and its saving
 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include <cradle/cradle.h>

#include "test-files.h"

/* The example of /work/shared/reference/admin.md, section 1, as the
 * seed's administrators wrote such files. */
static const char enroller_sample[] =
  "<wap-provisioningdoc>\n"                                                        /* 1 */
  "  <characteristic type=\"CertificateEnroller\">\n"                               /* 2 */
  "    <characteristic type=\"Configuration\">\n"                                   /* 3 */
  "      <characteristic type=\"CRADLE_VPN\">\n"                                    /* 4 */
  "        <parm name=\"ServerName\" value=\"ca01.corp.example\"/>\n"               /* 5 */
  "        <parm name=\"Template\" value=\"CorpMobileVPN\"/>\n"                     /* 6 */
  "        <parm name=\"NoSSL\" value=\"0\" datatype=\"boolean\"/>\n"               /* 7 */
  "      </characteristic>\n"                                                       /* 8 */
  "    </characteristic>\n"                                                         /* 9 */
  "    <characteristic type=\"Operation\">\n"                                       /* 10 */
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

static CradleProvisioning *
read_text (const char  *source,
           const char  *text,
           GError     **error)
{
  g_autoptr(GBytes) data = g_bytes_new (text, strlen (text));

  return cradle_provisioning_new_from_bytes (source, data, error);
}

/* @bytes as text, for string functions. */
static char *
dup_text (GBytes *bytes)
{
  return g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static char *
dup_property (CradleTypeDraft *draft,
              const char      *property)
{
  char *value = NULL;

  g_object_get (draft, property, &value, NULL);
  return value;
}

static gboolean
get_boolean (CradleTypeDraft *draft,
             const char      *property)
{
  gboolean value = FALSE;

  g_object_get (draft, property, &value, NULL);
  return value;
}

static gboolean
notes_mention (CradleProvisioning *provisioning,
               const char         *text)
{
  const char * const *notes = cradle_provisioning_get_notes (provisioning);

  for (guint i = 0; notes != NULL && notes[i] != NULL; i++)
    if (strstr (notes[i], text) != NULL)
      return TRUE;
  return FALSE;
}

static void
test_enroller_sample (TestFolders   *folders,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleProvisioning) provisioning = read_text ("sample.xml", enroller_sample, &error);
  const char * const *notes;
  CradleTypeDraft *draft;
  g_autofree char *url = NULL;
  g_autofree char *template_name = NULL;
  g_autofree char *protocol = NULL;
  g_autoptr(GPtrArray) problems = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (cradle_provisioning_get_format (provisioning), ==, CRADLE_PROVISIONING_FORMAT_WINDOWS);
  g_assert_null (cradle_provisioning_get_signer (provisioning));
  g_assert_cmpuint (cradle_provisioning_get_drafts (provisioning)->len, ==, 1);
  draft = g_ptr_array_index (cradle_provisioning_get_drafts (provisioning), 0);
  g_assert_cmpstr (cradle_type_draft_get_name (draft), ==, "CRADLE_VPN");
  protocol = dup_property (draft, "protocol");
  url = dup_property (draft, "url");
  template_name = dup_property (draft, "template");
  g_assert_cmpstr (protocol, ==, "certsrv");
  g_assert_cmpstr (url, ==, "https://ca01.corp.example/certsrv");
  g_assert_cmpstr (template_name, ==, "CorpMobileVPN");
  g_assert_true (get_boolean (draft, "require-tls"));
  problems = cradle_type_draft_validate (draft);
  g_assert_cmpuint (problems->len, ==, 0);

  /* The Operation is reported with its line; its credentials never. */
  g_assert_true (notes_mention (provisioning, "sample.xml:10:"));
  notes = cradle_provisioning_get_notes (provisioning);
  for (guint i = 0; notes[i] != NULL; i++)
    {
      g_assert_null (strstr (notes[i], "Sample-Pa55word"));
      g_assert_null (strstr (notes[i], "jdoe"));
    }
}

static void
test_enroller_mapping (TestFolders   *folders,
                       gconstpointer  data)
{
  static const char two_types[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<wap-provisioningdoc version=\"1.1\">\n"
    "  <!-- two types -->\n"
    "  <characteristic type=\"CertificateEnroller\">\n"
    "    <characteristic type=\"Configuration\">\n"
    "      <characteristic type=\"ExchangeUser\">\n"
    "        <parm name=\"ServerName\" value=\"ca02.corp.example:8443\"/>\n"
    "        <parm name=\"Template\" value=\"ExchangeUser\"/>\n"
    "        <parm name=\"ServerPickupPage\" value=\"/certsrv/certnew.p7b\"/>\n"
    "      </characteristic>\n"
    "      <characteristic type=\"wifi.8021x\">\n"
    "        <parm name=\"NoSSL\" value=\"false\"/>\n"
    "        <parm name=\"Template\" value=\"Wi-Fi &amp; VPN\"/>\n"
    "        <parm name=\"ServerName\" value=\"ca03.corp.example\"/>\n"
    "      </characteristic>\n"
    "    </characteristic>\n"
    "  </characteristic>\n"
    "</wap-provisioningdoc>\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleProvisioning) provisioning = read_text ("two.xml", two_types, &error);
  GPtrArray *drafts;
  g_autofree char *url0 = NULL;
  g_autofree char *url1 = NULL;
  g_autofree char *template1 = NULL;

  g_assert_no_error (error);
  drafts = cradle_provisioning_get_drafts (provisioning);
  g_assert_cmpuint (drafts->len, ==, 2);
  g_assert_cmpstr (cradle_type_draft_get_name (g_ptr_array_index (drafts, 0)), ==, "ExchangeUser");
  g_assert_cmpstr (cradle_type_draft_get_name (g_ptr_array_index (drafts, 1)), ==, "wifi.8021x");
  url0 = dup_property (g_ptr_array_index (drafts, 0), "url");
  url1 = dup_property (g_ptr_array_index (drafts, 1), "url");
  template1 = dup_property (g_ptr_array_index (drafts, 1), "template");
  g_assert_cmpstr (url0, ==, "https://ca02.corp.example:8443/certsrv");
  g_assert_cmpstr (url1, ==, "https://ca03.corp.example/certsrv");
  g_assert_cmpstr (template1, ==, "Wi-Fi & VPN");
  /* What Cradle has no place for is said, with its line. */
  g_assert_true (notes_mention (provisioning, "two.xml:9: type 'ExchangeUser': ServerPickupPage"));
}

/* NoSSL=1 is plain HTTP with the desktop's sign-in, which Cradle refuses:
 * an error at the NoSSL line, not a silently different type. */
static void
test_enroller_no_ssl (TestFolders   *folders,
                      gconstpointer  data)
{
  static const char plain[] =
    "<wap-provisioningdoc>\n"
    "  <characteristic type=\"CertificateEnroller\">\n"
    "    <characteristic type=\"Configuration\">\n"
    "      <characteristic type=\"Plain\">\n"
    "        <parm name=\"ServerName\" value=\"ca01.corp.example\"/>\n"
    "        <parm name=\"Template\" value=\"User\"/>\n"
    "        <parm name=\"NoSSL\" value=\"1\" datatype=\"boolean\"/>\n"
    "      </characteristic>\n"
    "    </characteristic>\n"
    "  </characteristic>\n"
    "</wap-provisioningdoc>\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleProvisioning) provisioning = read_text ("plain.xml", plain, &error);

  g_assert_null (provisioning);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_true (g_str_has_prefix (error->message, "plain.xml:7: NoSSL=1"));
  g_assert_nonnull (strstr (error->message, "Kerberos"));
}

static CradleTypeDraft *
draft_from (const char *text)
{
  g_autoptr(GError) error = NULL;
  CradleTypeDraft *draft = cradle_type_draft_new_from_data ("test", text, strlen (text), &error);

  g_assert_no_error (error);
  return draft;
}

static GPtrArray *
sample_drafts (void)
{
  GPtrArray *drafts = g_ptr_array_new_with_free_func (g_object_unref);

  g_ptr_array_add (drafts, draft_from ("[Cradle Certificate Type]\nName=corp-user\nDisplayName=Corp user (Ü)\n"
                                       "Protocol=certsrv\nURL=https://ca01.corp.example/certsrv\n"
                                       "Template=User\nKeyType=rsa3072\nTimeout=45\nRenewAt=75\n"));
  g_ptr_array_add (drafts, draft_from ("[Cradle Certificate Type]\nName=wifi\nProtocol=scep\n"
                                       "URL=http://scep.corp.example/scep\nTrustAnchors=/etc/cradle/scep-ca.pem\n"
                                       "CAFingerprint=" "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF\n"
                                       "Subject=CN=Device\n"));
  g_ptr_array_add (drafts, draft_from ("[Cradle Certificate Type]\nName=est-devices\nProtocol=est\n"
                                       "URL=https://est.corp.example/.well-known/est\nLabel=devices\nAuth=password\n"));
  g_ptr_array_add (drafts, draft_from ("[Cradle Certificate Type]\nName=ces\nProtocol=wstep\n"
                                       "PolicyURL=https://cep.corp.example/ADPolicyProvider_CEP_Kerberos/service.svc/CEP\n"
                                       "Template=Machine\n"));
  return drafts;
}

static void
test_round_trip_cradle (TestFolders   *folders,
                        gconstpointer  data)
{
  g_autoptr(GPtrArray) drafts = sample_drafts ();
  g_autoptr(GPtrArray) notes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) document = cradle_provisioning_export (drafts, CRADLE_PROVISIONING_FORMAT_CRADLE, &notes, &error);
  g_autoptr(CradleProvisioning) provisioning = NULL;
  g_autofree char *text = NULL;
  GPtrArray *read;

  g_assert_no_error (error);
  text = dup_text (document);
  g_assert_true (g_str_has_prefix (text, "# Cradle certificate types"));
  provisioning = cradle_provisioning_new_from_bytes ("types.cradle", document, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cradle_provisioning_get_format (provisioning), ==, CRADLE_PROVISIONING_FORMAT_CRADLE);
  read = cradle_provisioning_get_drafts (provisioning);
  g_assert_cmpuint (read->len, ==, drafts->len);
  for (guint i = 0; i < drafts->len; i++)
    {
      g_autofree char *before = cradle_type_draft_dup_data (g_ptr_array_index (drafts, i));
      g_autofree char *after = cradle_type_draft_dup_data (g_ptr_array_index (read, i));

      g_assert_cmpstr (after, ==, before);
    }
  /* The anchors' path is this computer's: said. */
  g_assert_cmpuint (notes->len, ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (notes, 0), "TrustAnchors"));
}

static void
test_round_trip_windows (TestFolders   *folders,
                         gconstpointer  data)
{
  g_autoptr(GPtrArray) drafts = sample_drafts ();
  g_autoptr(GPtrArray) certsrv = g_ptr_array_new ();
  g_autoptr(GPtrArray) notes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) document = NULL;
  g_autoptr(GBytes) refused = NULL;
  g_autoptr(CradleProvisioning) provisioning = NULL;
  CradleTypeDraft *read;
  g_autofree char *url = NULL;
  g_autofree char *template_name = NULL;
  g_autofree char *key_type = NULL;
  g_autofree char *text = NULL;

  /* SCEP has no place in the Certificate Enroller: refused, not bent. */
  refused = cradle_provisioning_export (drafts, CRADLE_PROVISIONING_FORMAT_WINDOWS, NULL, &error);
  g_assert_null (refused);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "'wifi'"));
  g_clear_error (&error);

  g_ptr_array_add (certsrv, g_ptr_array_index (drafts, 0));
  document = cradle_provisioning_export (certsrv, CRADLE_PROVISIONING_FORMAT_WINDOWS, &notes, &error);
  g_assert_no_error (error);
  text = dup_text (document);
  g_assert_nonnull (strstr (text, "<parm name=\"ServerName\" value=\"ca01.corp.example\"/>"));
  /* DisplayName, KeyType, Timeout and RenewAt have no place there. */
  g_assert_cmpuint (notes->len, ==, 4);

  provisioning = cradle_provisioning_new_from_bytes ("types.xml", document, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cradle_provisioning_get_format (provisioning), ==, CRADLE_PROVISIONING_FORMAT_WINDOWS);
  g_assert_cmpuint (cradle_provisioning_get_drafts (provisioning)->len, ==, 1);
  read = g_ptr_array_index (cradle_provisioning_get_drafts (provisioning), 0);
  url = dup_property (read, "url");
  template_name = dup_property (read, "template");
  key_type = dup_property (read, "key-type");
  g_assert_cmpstr (cradle_type_draft_get_name (read), ==, "corp-user");
  g_assert_cmpstr (url, ==, "https://ca01.corp.example/certsrv");
  g_assert_cmpstr (template_name, ==, "User");
  g_assert_true (get_boolean (read, "require-tls"));
  g_assert_null (key_type);
}

static CradleProvisioningStep *
step_of (GPtrArray  *plan,
         const char *name)
{
  for (guint i = 0; i < plan->len; i++)
    {
      CradleProvisioningStep *step = g_ptr_array_index (plan, i);

      if (g_str_equal (step->name, name))
        return step;
    }
  g_assert_not_reached ();
}

static void
test_plan_and_apply (TestFolders   *folders,
                     gconstpointer  data)
{
  g_autoptr(GPtrArray) drafts = sample_drafts ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) document = cradle_provisioning_export (drafts, CRADLE_PROVISIONING_FORMAT_CRADLE, NULL, &error);
  g_autoptr(CradleProvisioning) provisioning = NULL;
  g_autoptr(CradleProvisioning) changed = NULL;
  g_autoptr(GPtrArray) plan = NULL;
  g_autoptr(GPtrArray) again = NULL;
  g_autoptr(GPtrArray) saved = NULL;
  g_autoptr(GString) edited = NULL;
  g_autofree char *challenge_file = NULL;
  g_autofree char *type_file = NULL;
  g_autofree char *text = NULL;
  CradleProvisioningStep *step;
  guint n_saved = 0;

  g_assert_no_error (error);
  provisioning = cradle_provisioning_new_from_bytes ("types.cradle", document, &error);
  g_assert_no_error (error);

  /* Nothing saved yet: every type is new, and planning writes nothing. */
  plan = cradle_provisioning_plan (provisioning, CRADLE_TYPE_SCOPE_USER, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (plan->len, ==, 4);
  for (guint i = 0; i < plan->len; i++)
    g_assert_cmpint (((CradleProvisioningStep *) g_ptr_array_index (plan, i))->action, ==,
                     CRADLE_PROVISIONING_ACTION_NEW);
  g_assert_false (g_file_test (folders->user, G_FILE_TEST_EXISTS));

  g_assert_true (cradle_provisioning_apply (plan, CRADLE_TYPE_SCOPE_USER, &n_saved, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_saved, ==, 4);
  saved = cradle_type_store_list (&error);
  g_assert_no_error (error);
  g_assert_cmpuint (saved->len, ==, 4);

  /* The same file again changes nothing. */
  again = cradle_provisioning_plan (provisioning, CRADLE_TYPE_SCOPE_USER, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < again->len; i++)
    g_assert_cmpint (((CradleProvisioningStep *) g_ptr_array_index (again, i))->action, ==,
                     CRADLE_PROVISIONING_ACTION_UNCHANGED);

  /* A SCEP type keeps the challenge the store holds for it. */
  g_assert_true (cradle_type_store_save (g_ptr_array_index (drafts, 1), CRADLE_TYPE_SCOPE_USER,
                                         "not-a-real-challenge", &error));
  g_assert_no_error (error);

  /* A file that changes one type's template and another's URL. */
  edited = g_string_new_len (g_bytes_get_data (document, NULL), (gssize) g_bytes_get_size (document));
  g_assert_cmpint (g_string_replace (edited, "Template=User\n", "Template=UserV2\n", 1), ==, 1);
  g_assert_cmpint (g_string_replace (edited, "http://scep.corp.example/scep", "http://scep2.corp.example/scep", 1),
                   ==, 1);
  changed = read_text ("changed.cradle", edited->str, &error);
  g_assert_no_error (error);
  g_clear_pointer (&plan, g_ptr_array_unref);
  plan = cradle_provisioning_plan (changed, CRADLE_TYPE_SCOPE_USER, &error);
  g_assert_no_error (error);
  step = step_of (plan, "corp-user");
  g_assert_cmpint (step->action, ==, CRADLE_PROVISIONING_ACTION_CHANGED);
  g_assert_cmpstrv (step->fields, ((const char * const[]) { "template", NULL }));
  g_assert_nonnull (step->replaces);
  step = step_of (plan, "wifi");
  g_assert_cmpint (step->action, ==, CRADLE_PROVISIONING_ACTION_CHANGED);
  g_assert_cmpstrv (step->fields, ((const char * const[]) { "url", NULL }));
  g_assert_cmpint (step_of (plan, "ces")->action, ==, CRADLE_PROVISIONING_ACTION_UNCHANGED);

  g_assert_true (cradle_provisioning_apply (plan, CRADLE_TYPE_SCOPE_USER, &n_saved, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_saved, ==, 2);
  type_file = g_build_filename (folders->user, "types.d", "wifi.conf", NULL);
  g_assert_true (g_file_get_contents (type_file, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, "URL=http://scep2.corp.example/scep"));
  g_assert_nonnull (strstr (text, "ChallengeFile="));
  g_assert_null (strstr (text, "not-a-real-challenge"));
}

/* A saved SCEP type's challenge never leaves in an export. */
static void
test_export_keeps_challenge (TestFolders   *folders,
                             gconstpointer  data)
{
  g_autoptr(GPtrArray) drafts = sample_drafts ();
  g_autoptr(GPtrArray) saved = NULL;
  g_autoptr(GPtrArray) notes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) document = NULL;
  g_autofree char *text = NULL;

  g_assert_true (cradle_type_store_save (g_ptr_array_index (drafts, 1), CRADLE_TYPE_SCOPE_USER,
                                         "not-a-real-challenge", &error));
  g_assert_no_error (error);
  saved = cradle_type_store_list (&error);
  g_assert_no_error (error);
  g_assert_cmpuint (saved->len, ==, 1);
  g_assert_nonnull (cradle_type_draft_get_challenge_file (g_ptr_array_index (saved, 0)));
  document = cradle_provisioning_export (saved, CRADLE_PROVISIONING_FORMAT_CRADLE, &notes, &error);
  g_assert_no_error (error);
  text = dup_text (document);
  g_assert_null (strstr (text, "ChallengeFile"));
  g_assert_null (strstr (text, "not-a-real-challenge"));
  g_assert_cmpuint (notes->len, ==, 2);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, TestFolders, NULL, test_folders_set_up, func, test_folders_tear_down)
  ADD ("/provisioning/windows/sample", test_enroller_sample);
  ADD ("/provisioning/windows/mapping", test_enroller_mapping);
  ADD ("/provisioning/windows/no-ssl", test_enroller_no_ssl);
  ADD ("/provisioning/round-trip/cradle", test_round_trip_cradle);
  ADD ("/provisioning/round-trip/windows", test_round_trip_windows);
  ADD ("/provisioning/plan-and-apply", test_plan_and_apply);
  ADD ("/provisioning/export/challenge", test_export_keeps_challenge);
#undef ADD
  return g_test_run ();
}
