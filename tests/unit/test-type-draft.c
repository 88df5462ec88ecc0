/* test-type-draft.c: the editable type, checked by the type-file rules; the
 * type store (files, modes, the SCEP challenge); the shared domain settings */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "policy/cradle-cert-type-private.h"

#include "test-files.h"

#define CHALLENGE "ch4llenge-n0t-in-the-type-file"

static void
write_file (const char *folder,
            const char *name,
            const char *content)
{
  g_autofree char *path = g_build_filename (folder, name, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
  g_file_set_contents (path, content, -1, &error);
  g_assert_no_error (error);
}

/* The problem of @field in @problems, or NULL. */
static const char *
problem_of (GPtrArray  *problems,
            const char *field)
{
  for (guint i = 0; i < problems->len; i++)
    {
      CradleTypeProblem *problem = g_ptr_array_index (problems, i);

      if (g_strcmp0 (problem->field, field) == 0)
        return problem->message;
    }
  return NULL;
}

static CradleTypeDraft *
scep_draft (void)
{
  CradleTypeDraft *draft = cradle_type_draft_new ();

  g_object_set (draft, "name", "wifi", "protocol", "scep", "url", "http://scep.example.test/scep",
                "trust-anchors", "/etc/cradle/scep-ca.pem", NULL);
  return draft;
}

/* ---- the draft ----------------------------------------------------------- */

static guint notified;

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              gpointer    user_data)
{
  notified++;
}

static void
test_properties (void)
{
  g_autoptr(CradleTypeDraft) draft = cradle_type_draft_new ();
  g_autoptr(GPtrArray) problems = NULL;
  g_autofree char *protocol = NULL;
  g_autofree char *data = NULL;
  gboolean require_tls = FALSE;
  guint timeout = 1;

  g_object_get (draft, "protocol", &protocol, "require-tls", &require_tls, "timeout", &timeout, NULL);
  g_assert_cmpstr (protocol, ==, "certsrv");
  g_assert_true (require_tls);
  g_assert_cmpuint (timeout, ==, 0);

  g_signal_connect (draft, "notify::url", G_CALLBACK (count_notify), NULL);
  notified = 0;
  g_object_set (draft, "url", "https://ca.example.test/certsrv", NULL);
  g_object_set (draft, "url", "https://ca.example.test/certsrv", NULL);
  g_assert_cmpuint (notified, ==, 1);
  /* "" is unset: the key is left out. */
  g_object_set (draft, "url", "", "name", "web", "template", "User", NULL);
  g_assert_cmpuint (notified, ==, 2);
  data = cradle_type_draft_dup_data (draft);
  g_assert_null (strstr (data, "URL="));
  problems = cradle_type_draft_validate (draft);
  g_assert_nonnull (problem_of (problems, "url"));
  /* challenge-file and source are the store's. */
  g_assert_false (g_object_class_find_property (G_OBJECT_GET_CLASS (draft), "challenge-file")->flags &
                  G_PARAM_WRITABLE);
  g_assert_false (g_object_class_find_property (G_OBJECT_GET_CLASS (draft), "source")->flags &
                  G_PARAM_WRITABLE);
}

static void
test_round_trip (void)
{
  const char *file =
    "# a comment\n"
    "[Cradle Certificate Type]\n"
    "Name=wifi\n"
    "DisplayName=Wi-Fi (SCEP)\n"
    "Protocol=scep\n"
    "URL=http://scep.example.test/scep\n"
    "KeyType=rsa3072\n"
    "Subject=CN=Device,O=Example\n"
    "TrustAnchors=/etc/cradle/scep-ca.pem\n"
    "ChallengeFile=/etc/cradle/wifi.challenge\n"
    "CAFingerprint=ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89\n"
    "Timeout=30\n"
    "RenewAt=75%\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleTypeDraft) draft = cradle_type_draft_new_from_data ("/x/wifi.conf", file, strlen (file), &error);
  g_autoptr(CradleTypeDraft) again = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(CradleCertType) type = NULL;
  g_autofree char *data = NULL;
  g_autofree char *data_again = NULL;
  g_autofree char *fingerprint = NULL;
  g_autofree char *display_name = NULL;
  guint timeout = 0, renew_at = 0;

  g_assert_no_error (error);
  g_object_get (draft, "ca-fingerprint", &fingerprint, "display-name", &display_name,
                "timeout", &timeout, "renew-at", &renew_at, NULL);
  g_assert_cmpstr (fingerprint, ==,
                   "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89");
  g_assert_cmpstr (display_name, ==, "Wi-Fi (SCEP)");
  g_assert_cmpuint (timeout, ==, 30);
  g_assert_cmpuint (renew_at, ==, 75);
  g_assert_cmpstr (cradle_type_draft_get_challenge_file (draft), ==, "/etc/cradle/wifi.challenge");
  g_assert_cmpstr (cradle_type_draft_get_source (draft), ==, "/x/wifi.conf");
  problems = cradle_type_draft_validate (draft);
  g_assert_cmpuint (problems->len, ==, 0);

  /* The text a draft writes reads back to the same draft, keys in order. */
  data = cradle_type_draft_dup_data (draft);
  g_assert_true (g_str_has_prefix (data, "[Cradle Certificate Type]\nName=wifi\nDisplayName=Wi-Fi (SCEP)\n"
                                         "Protocol=scep\nURL="));
  again = cradle_type_draft_new_from_data ("again", data, strlen (data), &error);
  g_assert_no_error (error);
  data_again = cradle_type_draft_dup_data (again);
  g_assert_cmpstr (data, ==, data_again);

  type = cradle_type_draft_dup_cert_type (draft, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cradle_cert_type_get_protocol (type), ==, CRADLE_CA_PROTOCOL_SCEP);
  g_assert_cmpstr (cradle_cert_type_get_key_type (type), ==, "rsa3072");
  g_assert_cmpuint (cradle_cert_type_get_renew_at (type), ==, 75);

  /* And a type makes the same draft. */
  g_clear_object (&again);
  again = cradle_type_draft_new_from_type (type);
  g_clear_pointer (&data_again, g_free);
  data_again = cradle_type_draft_dup_data (again);
  g_assert_cmpstr (data, ==, data_again);
}

/* PivSlot= and Attestation= survive a draft both ways, and a wrong slot
 * is told against its field. */
static void
test_round_trip_tokens (void)
{
  const char *file =
    "[Cradle Certificate Type]\n"
    "Name=piv-sign\n"
    "DisplayName=Signing on a PIV token\n"
    "Protocol=est\n"
    "URL=https://ca.example.test/.well-known/est\n"
    "KeyType=p256\n"
    "PivSlot=9C\n"
    "Attestation=include\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleTypeDraft) draft = cradle_type_draft_new_from_data ("/x/piv.conf", file, strlen (file), &error);
  g_autoptr(CradleTypeDraft) again = NULL;
  g_autoptr(CradleCertType) type = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autofree char *slot = NULL;
  g_autofree char *attestation = NULL;
  g_autofree char *data = NULL;
  g_autofree char *data_again = NULL;

  g_assert_no_error (error);
  g_object_get (draft, "piv-slot", &slot, "attestation", &attestation, NULL);
  g_assert_cmpstr (slot, ==, "9c");
  g_assert_cmpstr (attestation, ==, "include");
  data = cradle_type_draft_dup_data (draft);
  g_assert_nonnull (strstr (data, "\nPivSlot=9c\nAttestation=include\n"));
  type = cradle_type_draft_dup_cert_type (draft, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cradle_cert_type_get_piv_slot (type), ==, "9c");
  g_assert_cmpint (cradle_cert_type_get_attestation (type), ==, CRADLE_ATTESTATION_INCLUDE);
  again = cradle_type_draft_new_from_type (type);
  data_again = cradle_type_draft_dup_data (again);
  g_assert_cmpstr (data, ==, data_again);

  g_object_set (draft, "piv-slot", "f9", "attestation", "always", NULL);
  problems = cradle_type_draft_validate (draft);
  g_assert_cmpuint (problems->len, ==, 2);
  g_assert_cmpstr (((CradleTypeProblem *) problems->pdata[0])->field, ==, "piv-slot");
  g_assert_cmpstr (((CradleTypeProblem *) problems->pdata[1])->field, ==, "attestation");
}

/* Each problem is told against the field to change, in the parser's words. */
static void
test_validate_per_field (void)
{
  const struct {
    const char *property;
    const char *value;
    const char *field;
    const char *words;
  } cases[] = {
    { "name", "wi fi", "name", "may hold only letters" },
    { "name", ".hidden", "name", "must not begin with '.'" },
    { "protocol", "smtp", "protocol", "is not one of certsrv, wstep, scep, est" },
    { "url", "ftp://scep.example.test/", "url", "is not an http:// or https:// URL" },
    { "url", "https://user:pw@scep.example.test/", "url", "must not carry a user name or password" },
    { "key-type", "rsa1024", "key-type", "is not one of rsa2048" },
    { "key-type", "p256", "key-type", "cannot be used with SCEP" },
    { "auth", "smartcard", "auth", "is not one of kerberos, password, none" },
    { "auth", "password", "auth", "cannot be used with SCEP" },
    { "trust-anchors", "relative/ca.pem", "trust-anchors", "must be an absolute path" },
    { "ca-fingerprint", "AB:CD", "ca-fingerprint", "is not a SHA-256 fingerprint" },
    { "label", "a/b", "label", "must be one path segment" },
    { "subject", "CN=x\nURL=http://evil.example.test/", "subject", "must be one line" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(CradleTypeDraft) draft = scep_draft ();
      g_autoptr(GPtrArray) problems = NULL;
      g_autofree char *data = NULL;
      const char *message;

      g_object_set (draft, cases[i].property, cases[i].value, NULL);
      problems = cradle_type_draft_validate (draft);
      message = problem_of (problems, cases[i].field);
      g_test_message ("%s=%s: %u problems", cases[i].property, cases[i].value, problems->len);
      g_assert_nonnull (message);
      g_assert_nonnull (strstr (message, cases[i].words));
      /* The message is for the field, without a file and line. */
      g_assert_false (g_str_has_prefix (message, "the new type"));
      /* A value over two lines never makes a key of its own. */
      data = cradle_type_draft_dup_data (draft);
      g_assert_null (strstr (data, "\nURL=http://evil"));
    }
}

static void
test_validate_between_fields (void)
{
  g_autoptr(CradleTypeDraft) draft = cradle_type_draft_new ();
  g_autoptr(GPtrArray) problems = NULL;

  /* certsrv without a name, a template, and over plain HTTP. */
  g_object_set (draft, "url", "http://ca.example.test/certsrv", "label", "devices", NULL);
  problems = cradle_type_draft_validate (draft);
  g_assert_nonnull (strstr (problem_of (problems, "name"), "Name is missing"));
  g_assert_nonnull (strstr (problem_of (problems, "template"), "Template is missing"));
  g_assert_nonnull (strstr (problem_of (problems, "label"), "Label is for Protocol=est only"));
  g_assert_nonnull (strstr (problem_of (problems, "url"), "is plain http://"));
  g_clear_pointer (&problems, g_ptr_array_unref);

  /* Turning TLS off is a choice, but Kerberos still needs it. */
  g_object_set (draft, "name", "web", "template", "User", "label", NULL, "require-tls", FALSE, NULL);
  problems = cradle_type_draft_validate (draft);
  g_assert_cmpuint (problems->len, ==, 1);
  g_assert_nonnull (strstr (problem_of (problems, "auth"), "Kerberos only over https://"));
  g_clear_pointer (&problems, g_ptr_array_unref);
  g_object_set (draft, "auth", "none", NULL);
  problems = cradle_type_draft_validate (draft);
  g_assert_cmpuint (problems->len, ==, 0);
}

/* The strict parser and validation are one: a file the parser refuses
 * gives, collected, a problem in the same words. */
static void
test_same_rules (void)
{
  const char *files[] = {
    "[Cradle Certificate Type]\nName=a b\nProtocol=est\nURL=https://x.example.test/\n",
    "[Cradle Certificate Type]\nName=a\nProtocol=est\nURL=https://x.example.test/\nTimeout=601\n",
    "[Cradle Certificate Type]\nName=a\nProtocol=est\nURL=https://x.example.test/\nRenewAt=100\n",
    "[Cradle Certificate Type]\nName=a\nProtocol=certsrv\nURL=https://x.example.test/certsrv\n",
    "[Cradle Certificate Type]\nName=a\nProtocol=est\nURL=http://x.example.test/\nAllowPlainHttp=true\n"
    "Auth=password\n",
    "[Cradle Certificate Type]\nName=a\nProtocol=est\nURL=https://x.example.test/\nChallengeFile=/c\n",
    "[Cradle Certificate Type]\nName=a\nProtocol=est\nURL=https://x.example.test/\nAllowPlainHttp=maybe\n",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CradleCertTypeSettings) strict = cradle_cert_type_settings_parse ("f", files[i], strlen (files[i]),
                                                                                &error);
      g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func ((GDestroyNotify) cradle_type_problem_free);
      g_autoptr(CradleCertTypeSettings) collected = cradle_cert_type_settings_check ("f", files[i],
                                                                                     strlen (files[i]), problems);
      CradleTypeProblem *first;

      g_assert_null (strict);
      g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
      g_assert_null (collected);
      g_assert_cmpuint (problems->len, >=, 1);
      first = g_ptr_array_index (problems, 0);
      g_test_message ("%s / %s", error->message, first->message);
      g_assert_true (g_str_has_suffix (error->message, first->message));
      g_assert_nonnull (first->field);
    }
}

static void
test_invalid_data (void)
{
  const char *file = "[Cradle Certificate Type]\nName=wifi\nProtocl=scep\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleTypeDraft) draft = cradle_type_draft_new_from_data ("/x/wifi.conf", file, strlen (file), &error);
  g_autoptr(CradleTypeDraft) bad = cradle_type_draft_new ();
  g_autoptr(CradleCertType) type = NULL;

  g_assert_null (draft);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_true (g_str_has_prefix (error->message, "/x/wifi.conf:3: unknown key 'Protocl'"));
  g_clear_error (&error);

  type = cradle_type_draft_dup_cert_type (bad, &error);
  g_assert_null (type);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "Name is missing"));
}

/* ---- the store ----------------------------------------------------------- */

static gboolean
file_holds (const char *path,
            const char *text)
{
  g_autofree char *data = NULL;

  if (!g_file_get_contents (path, &data, NULL, NULL))
    return FALSE;
  return strstr (data, text) != NULL;
}

static void
test_store_save (TestFolders   *folders,
                 gconstpointer  data)
{
  g_autoptr(CradleTypeDraft) draft = scep_draft ();
  g_autoptr(GError) error = NULL;
  g_autofree char *types_dir = g_build_filename (folders->user, "types.d", NULL);
  g_autofree char *conf = g_build_filename (types_dir, "wifi.conf", NULL);
  g_autofree char *secret = g_build_filename (types_dir, "wifi.challenge", NULL);
  g_autoptr(GPtrArray) drafts = NULL;
  g_autoptr(GPtrArray) types = NULL;
  g_autofree char *secret_text = NULL;
  CradleCertType *type;
  GStatBuf st;

  g_assert_true (cradle_type_store_save (draft, CRADLE_TYPE_SCOPE_USER, CHALLENGE, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (cradle_type_draft_get_source (draft), ==, conf);
  g_assert_cmpstr (cradle_type_draft_get_challenge_file (draft), ==, secret);

  /* The challenge is in its own file, 0600, and nowhere else. */
  g_assert_cmpint (g_stat (secret, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_true (g_file_get_contents (secret, &secret_text, NULL, NULL));
  g_assert_cmpstr (secret_text, ==, CHALLENGE "\n");
  g_assert_false (file_holds (conf, CHALLENGE));
  g_assert_true (file_holds (conf, "ChallengeFile="));
  {
    g_autofree char *text = cradle_type_draft_dup_data (draft);

    g_assert_null (strstr (text, CHALLENGE));
  }

  /* The list and the enrollment see the same type. */
  drafts = cradle_type_store_list (&error);
  g_assert_no_error (error);
  g_assert_cmpuint (drafts->len, ==, 1);
  g_assert_cmpstr (cradle_type_draft_get_source (g_ptr_array_index (drafts, 0)), ==, conf);
  types = cradle_cert_type_list (NULL, CRADLE_CREDENTIALS_KERBEROS, NULL);
  type = cradle_cert_type_find (types, "wifi");
  g_assert_nonnull (type);
  g_assert_true (cradle_cert_type_is_enrollable (type));
  g_assert_cmpstr (cradle_cert_type_get_challenge_file (type), ==, secret);

  /* Saved again without a challenge: the challenge stays. */
  g_object_set (draft, "display-name", "Wi-Fi", NULL);
  g_assert_true (cradle_type_store_save (draft, CRADLE_TYPE_SCOPE_USER, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (file_holds (secret, CHALLENGE));
  g_assert_true (file_holds (conf, "DisplayName=Wi-Fi\n"));

  /* No longer SCEP: its challenge goes with it. */
  g_object_set (draft, "protocol", "est", "url", "https://est.example.test/.well-known/est", NULL);
  g_assert_true (cradle_type_store_save (draft, CRADLE_TYPE_SCOPE_USER, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (secret, G_FILE_TEST_EXISTS));
  g_assert_false (file_holds (conf, "ChallengeFile"));
  g_assert_null (cradle_type_draft_get_challenge_file (draft));

  /* A challenge is for SCEP only. */
  g_assert_false (cradle_type_store_save (draft, CRADLE_TYPE_SCOPE_USER, CHALLENGE, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_null (strstr (error->message, CHALLENGE));
  g_clear_error (&error);

  g_assert_true (cradle_type_store_remove ("WIFI", CRADLE_TYPE_SCOPE_USER, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (conf, G_FILE_TEST_EXISTS));
  g_assert_false (cradle_type_store_remove ("wifi", CRADLE_TYPE_SCOPE_USER, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (cradle_type_store_remove ("../wifi", CRADLE_TYPE_SCOPE_USER, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
}

static void
test_store_invalid (TestFolders   *folders,
                    gconstpointer  data)
{
  g_autoptr(CradleTypeDraft) draft = scep_draft ();
  g_autoptr(GError) error = NULL;
  g_autofree char *types_dir = g_build_filename (folders->user, "types.d", NULL);
  g_autoptr(GDir) dir = NULL;

  g_object_set (draft, "ca-fingerprint", "not-a-fingerprint", NULL);
  g_assert_false (cradle_type_store_save (draft, CRADLE_TYPE_SCOPE_USER, CHALLENGE, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "CAFingerprint"));
  g_assert_null (strstr (error->message, CHALLENGE));
  g_clear_error (&error);
  /* A challenge over two lines would be two. */
  g_object_set (draft, "ca-fingerprint", NULL, NULL);
  g_assert_false (cradle_type_store_save (draft, CRADLE_TYPE_SCOPE_USER, "one\ntwo", &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_null (strstr (error->message, "one\ntwo"));

  /* Nothing was written. */
  dir = g_dir_open (types_dir, 0, NULL);
  g_assert_true (dir == NULL || g_dir_read_name (dir) == NULL);
  g_assert_null (cradle_type_draft_get_source (draft));
  g_assert_null (cradle_type_draft_get_challenge_file (draft));
}

static void
test_store_list (TestFolders   *folders,
                 gconstpointer  data)
{
  g_autofree char *system_types = g_build_filename (folders->system, "types.d", NULL);
  g_autofree char *user_types = g_build_filename (folders->user, "types.d", NULL);
  g_autoptr(GPtrArray) drafts = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GError) error = NULL;

  write_file (system_types, "est.conf",
              "[Cradle Certificate Type]\nName=est\nProtocol=est\nURL=https://est.example.test/\n");
  write_file (system_types, "broken.conf", "[Cradle Certificate Type]\nName=broken\nProtocol=smtp\n");
  write_file (user_types, "est.conf",
              "[Cradle Certificate Type]\nName=est\nProtocol=est\nURL=https://mine.example.test/\n");
  write_file (user_types, "notes.txt", "not a type\n");

  drafts = cradle_type_store_list_full (&problems, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (drafts->len, ==, 2);
  g_assert_true (g_str_has_prefix (cradle_type_draft_get_source (g_ptr_array_index (drafts, 0)), folders->system));
  g_assert_true (g_str_has_prefix (cradle_type_draft_get_source (g_ptr_array_index (drafts, 1)), folders->user));
  g_assert_cmpuint (problems->len, ==, 1);
  g_assert_nonnull (strstr (g_ptr_array_index (problems, 0), "broken.conf:3: Protocol 'smtp'"));
}

/* ---- settings ------------------------------------------------------------ */

static void
test_settings_order (TestFolders   *folders,
                     gconstpointer  data)
{
  g_autofree char *value = NULL;
  g_autofree char *origin = NULL;
  g_autofree char *user_conf = g_build_filename (folders->user, "cradle.conf", NULL);

  g_assert_null (cradle_settings_dup (CRADLE_SETTING_DC, NULL));
  write_file (folders->system, "cradle.conf", "[Directory]\nDomain=system.example.test\nDC=ldap://dc.system.example.test\n");
  value = cradle_settings_dup (CRADLE_SETTING_DC, NULL);
  g_assert_cmpstr (value, ==, "ldap://dc.system.example.test");
  g_clear_pointer (&value, g_free);

  write_file (folders->user, "cradle.conf", "[Directory]\nDC=ldaps://dc.user.example.test\n");
  value = cradle_settings_dup (CRADLE_SETTING_DC, NULL);
  g_assert_cmpstr (value, ==, "ldaps://dc.user.example.test");
  origin = cradle_settings_dup_origin (CRADLE_SETTING_DC, NULL);
  g_assert_cmpstr (origin, ==, user_conf);
  g_clear_pointer (&value, g_free);
  g_clear_pointer (&origin, g_free);
  /* The user's file says nothing of the domain: the administrator's does. */
  value = cradle_settings_dup (CRADLE_SETTING_DOMAIN, NULL);
  g_assert_cmpstr (value, ==, "system.example.test");
  g_clear_pointer (&value, g_free);

  g_setenv ("CRADLE_DC", "ldap://dc.env.example.test", TRUE);
  value = cradle_settings_dup (CRADLE_SETTING_DC, NULL);
  g_assert_cmpstr (value, ==, "ldap://dc.env.example.test");
  g_clear_pointer (&value, g_free);
  value = cradle_settings_dup (CRADLE_SETTING_DC, "ldap://dc.option.example.test");
  g_assert_cmpstr (value, ==, "ldap://dc.option.example.test");
  origin = cradle_settings_dup_origin (CRADLE_SETTING_DC, "ldap://dc.option.example.test");
  g_assert_cmpstr (origin, ==, "--dc");
  g_clear_pointer (&value, g_free);
  g_clear_pointer (&origin, g_free);
  /* Empty is unset. */
  g_setenv ("CRADLE_DC", "", TRUE);
  value = cradle_settings_dup (CRADLE_SETTING_DC, "");
  g_assert_cmpstr (value, ==, "ldaps://dc.user.example.test");
  g_clear_pointer (&value, g_free);
  g_unsetenv ("CRADLE_DC");

  /* A controller from further down than the domain is another domain's. */
  {
    g_autofree char *domain = NULL;
    g_autofree char *dc = NULL;

    g_setenv ("CRADLE_DC", "ldap://dc.env.example.test", TRUE);
    cradle_settings_dup_directory ("other.example.test", NULL, &domain, &dc);
    g_assert_cmpstr (domain, ==, "other.example.test");
    g_assert_null (dc);
    g_clear_pointer (&domain, g_free);
    /* The same level, or a controller named above the domain, stays. */
    cradle_settings_dup_directory (NULL, NULL, &domain, &dc);
    g_assert_cmpstr (domain, ==, "system.example.test");
    g_assert_cmpstr (dc, ==, "ldap://dc.env.example.test");
    g_clear_pointer (&domain, g_free);
    g_clear_pointer (&dc, g_free);
    g_setenv ("CRADLE_DOMAIN", "env.example.test", TRUE);
    cradle_settings_dup_directory (NULL, NULL, &domain, &dc);
    g_assert_cmpstr (domain, ==, "env.example.test");
    g_assert_cmpstr (dc, ==, "ldap://dc.env.example.test");
    g_clear_pointer (&domain, g_free);
    g_clear_pointer (&dc, g_free);
    g_unsetenv ("CRADLE_DC");
    g_unsetenv ("CRADLE_DOMAIN");
    /* The user's cradle.conf names a DC but no domain: the system's domain
     * comes from further down, so the user's DC stays. */
    cradle_settings_dup_directory (NULL, NULL, &domain, &dc);
    g_assert_cmpstr (dc, ==, "ldaps://dc.user.example.test");
  }

  /* A user name is never read from cradle.conf. */
  write_file (folders->user, "cradle.conf", "[Directory]\nUser=mallory\n");
  g_unsetenv ("CRADLE_USER");
  g_assert_null (cradle_settings_dup (CRADLE_SETTING_USER, NULL));
  g_assert_cmpstr (cradle_settings_get_variable (CRADLE_SETTING_USER), ==, "CRADLE_USER");
}

static void
test_settings_bad_dc (TestFolders   *folders,
                      gconstpointer  data)
{
  if (g_test_subprocess ())
    {
      /* The warning is what is checked: not fatal here. */
      g_log_set_always_fatal (G_LOG_FATAL_MASK);
      write_file (folders->user, "cradle.conf", "[Directory]\nDC=http://dc.example.test\n");
      g_assert_null (cradle_settings_dup (CRADLE_SETTING_DC, NULL));
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*Ignoring DC=http://dc.example.test*must be ldap://HOST or ldaps://HOST*");
}

/* [Renewal] Automatic: on unless the user's file, else the
 * administrator's, says false; a value that is not a boolean is ignored. */
static void
test_settings_automatic_renewal (TestFolders   *folders,
                                 gconstpointer  data)
{
  if (g_test_subprocess ())
    {
      /* The warning is what is checked: not fatal here. */
      g_log_set_always_fatal (G_LOG_FATAL_MASK);
      write_file (folders->system, "cradle.conf", "[Renewal]\nAutomatic=false\n");
      write_file (folders->user, "cradle.conf", "[Renewal]\nAutomatic=sometimes\n");
      g_assert_false (cradle_settings_get_automatic_renewal ());
      return;
    }
  g_assert_true (cradle_settings_get_automatic_renewal ());
  write_file (folders->system, "cradle.conf", "[Renewal]\nAutomatic=false\n");
  g_assert_false (cradle_settings_get_automatic_renewal ());
  write_file (folders->user, "cradle.conf", "[Renewal]\nAutomatic=true\n");
  g_assert_true (cradle_settings_get_automatic_renewal ());
  write_file (folders->user, "cradle.conf", "[Directory]\nDomain=user.example.test\n");
  g_assert_false (cradle_settings_get_automatic_renewal ());
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*Ignoring ?Renewal] Automatic in *must be true or false*");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/type-draft/properties", test_properties);
  g_test_add_func ("/type-draft/round-trip", test_round_trip);
  g_test_add_func ("/type-draft/round-trip-tokens", test_round_trip_tokens);
  g_test_add_func ("/type-draft/validate-per-field", test_validate_per_field);
  g_test_add_func ("/type-draft/validate-between-fields", test_validate_between_fields);
  g_test_add_func ("/type-draft/same-rules", test_same_rules);
  g_test_add_func ("/type-draft/invalid-data", test_invalid_data);
  g_test_add ("/type-store/save", TestFolders, NULL, test_folders_set_up, test_store_save, test_folders_tear_down);
  g_test_add ("/type-store/invalid", TestFolders, NULL, test_folders_set_up, test_store_invalid, test_folders_tear_down);
  g_test_add ("/type-store/list", TestFolders, NULL, test_folders_set_up, test_store_list, test_folders_tear_down);
  g_test_add ("/settings/order", TestFolders, NULL, test_folders_set_up, test_settings_order, test_folders_tear_down);
  g_test_add ("/settings/bad-dc", TestFolders, NULL, test_folders_set_up, test_settings_bad_dc, test_folders_tear_down);
  g_test_add ("/settings/automatic-renewal", TestFolders, NULL, test_folders_set_up, test_settings_automatic_renewal,
              test_folders_tear_down);
  return g_test_run ();
}
