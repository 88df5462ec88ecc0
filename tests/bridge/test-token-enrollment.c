/* test-token-enrollment.c: the engine's attestation step, with the key on a
 * real SoftHSM2 token and a CA scripted in the test (no lab)
 *
 * A type's Attestation= decides: require, against a token that attests
 * nothing, refuses before any request is made and deletes the key;
 * check lets it through, journalled; include puts a verified attestation
 * in the request the CA gets; an attestation from another vendor's root
 * stops the run.  SoftHSM2 attests nothing by itself: the test plays the
 * vendor and writes a YubiKey-shaped attestation (made by OpenSSL) onto
 * the token with pkcs11-tool, for a key the token made beforehand.
 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "agent-fixture.h"
#include "attestation-test-pki.h"
#include "csr/cradle-csr-private.h"
#include "engine/cradle-enrollment-private.h"
#include "pkcs11/cradle-attestation-private.h"
#include "policy/cradle-cert-type-private.h"
#include "state/cradle-journal-private.h"
#include "scripted-ca.h"
#include "softhsm-test-support.h"

#define PIN    "1234"
#define SO_PIN "12345678"

typedef struct {
  CradleTestSofthsm  *softhsm;
  char               *folder;
  char               *vendor_roots;   /* [Tokens] AttestationRoots */
  AttPki             *vendor_root;
  AttPki             *vendor_f9;
  CradleDevice       *device;
  CradlePendingStore *store;
  CradleJournal      *journal;
  CradleCredentials  *credentials;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  const char *modules[] = { CRADLE_TEST_SOFTHSM_MODULE, NULL };
  const char *missing = cradle_test_softhsm_missing ();
  g_autofree char *path = NULL;
  g_autofree char *anchors = NULL;
  g_autofree char *conf = NULL;
  g_autofree char *conf_text = NULL;
  g_autoptr(GError) error = NULL;
  X509 *roots[] = { NULL, NULL };
  g_autoptr(X509) trusted = NULL;
  const unsigned char *p;
  FILE *file;

  if (missing != NULL)
    {
      g_test_skip (missing);
      return;
    }
  fixture->folder = g_dir_make_tmp ("cradle-token-enrollment-XXXXXX", NULL);
  g_assert_nonnull (fixture->folder);

  /* cradle.conf: the fake CA's root for TLS and chains, the vendor's root
   * for attestations, and SoftHSM's module alone. */
  fixture->vendor_root = att_make_root ("Test PIV Root CA");
  fixture->vendor_f9 = att_make_issued (fixture->vendor_root, "Test PIV Attestation", TRUE);
  roots[0] = fixture->vendor_root->cert;
  fixture->vendor_roots = att_write_pem (fixture->folder, "vendor-roots.pem", roots);
  anchors = g_build_filename (fixture->folder, "anchors.pem", NULL);
  p = g_bytes_get_data (trusted_root, NULL);
  trusted = d2i_X509 (NULL, &p, (long) g_bytes_get_size (trusted_root));
  file = fopen (anchors, "w");
  g_assert_nonnull (file);
  g_assert_cmpint (PEM_write_X509 (file, trusted), ==, 1);
  fclose (file);
  conf = g_build_filename (fixture->folder, "cradle.conf", NULL);
  conf_text = g_strdup_printf ("[Enrollment]\nTrustAnchors=%s\n\n[Tokens]\nUseP11Kit=false\nModules=%s\n"
                               "AttestationRoots=%s\n", anchors, CRADLE_TEST_SOFTHSM_MODULE,
                               fixture->vendor_roots);
  g_assert_true (g_file_set_contents (conf, conf_text, -1, NULL));
  g_setenv ("CRADLE_CONFIG_DIR", fixture->folder, TRUE);

  fixture->softhsm = cradle_test_softhsm_new ("cradle-attest", PIN, SO_PIN, NULL);
  cradle_device_set_pkcs11_modules (modules, FALSE);
  fixture->device = cradle_device_new_for_pkcs11_uri (fixture->softhsm->uri, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (cradle_device_open (fixture->device, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (cradle_device_log_in (fixture->device, PIN, NULL, &error));
  g_assert_no_error (error);

  path = g_build_filename (fixture->folder, "requests.sqlite", NULL);
  fixture->store = cradle_pending_store_open (path, &error);
  g_assert_no_error (error);
  fixture->journal = cradle_journal_open (path, &error);
  g_assert_no_error (error);
  fixture->credentials = cradle_credentials_new_none ();
}

static void
remove_folder (const char *folder)
{
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (folder, name, NULL);

      g_unlink (path);
    }
  g_rmdir (folder);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  if (fixture->folder == NULL)
    return;
  g_clear_object (&fixture->journal);
  g_clear_object (&fixture->store);
  g_clear_object (&fixture->credentials);
  g_clear_object (&fixture->device);
  g_clear_pointer (&fixture->softhsm, cradle_test_softhsm_free);
  att_pki_free (fixture->vendor_root);
  att_pki_free (fixture->vendor_f9);
  g_free (fixture->vendor_roots);
  remove_folder (fixture->folder);
  g_free (fixture->folder);
}

static CradleCertType *
type_with (const char *attestation)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strdup_printf ("[Cradle Certificate Type]\nName=token-type\nProtocol=certsrv\n"
                                           "URL=" FAKE_URL "\nTemplate=T\nKeyType=p256\nAttestation=%s\n",
                                           attestation);
  g_autoptr(CradleCertTypeSettings) settings = cradle_cert_type_settings_parse ("token.conf", text, strlen (text),
                                                                                &error);

  g_assert_no_error (error);
  return cradle_cert_type_new_custom (settings, NULL);
}

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static CradleEnrollmentOutcome
run (Fixture          *fixture,
     CradleEnrollment *enrollment,
     FakeCa           *ca,
     GError          **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  cradle_enrollment_set_connector (enrollment, CRADLE_CA_CONNECTOR (ca));
  cradle_enrollment_run_async (enrollment, NULL, on_done, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return cradle_enrollment_run_finish (enrollment, result, error);
}

/* The journal's steps of the run: "name: outcome: text" each. */
static GPtrArray *
journal_steps (Fixture          *fixture,
               CradleEnrollment *enrollment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleJournalRun) journal_run = cradle_journal_get_run (fixture->journal,
                                                                    cradle_enrollment_get_run_id (enrollment),
                                                                    &error);
  GPtrArray *steps = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *recorded;

  g_assert_no_error (error);
  recorded = cradle_journal_run_get_steps (journal_run);
  for (guint i = 0; i < recorded->len; i++)
    {
      CradleJournalStep *step = g_ptr_array_index (recorded, i);

      g_ptr_array_add (steps, g_strdup_printf ("%s: %s: %s", cradle_journal_step_get_step (step),
                                               cradle_journal_step_get_outcome (step),
                                               cradle_journal_step_get_text (step)));
      g_test_message ("journal: %s", (char *) steps->pdata[steps->len - 1]);
    }
  return steps;
}

static gboolean
has_step_starting (GPtrArray  *steps,
                   const char *prefix)
{
  for (guint i = 0; i < steps->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (steps, i), prefix))
      return TRUE;
  return FALSE;
}

static void
assert_token_failure (const GError *error,
                      gint          code,
                      guint32       failure)
{
  CradleExplainKind kind = 0;
  guint32 detail = 0;

  g_assert_error (error, CRADLE_ERROR, code);
  g_assert_true (cradle_explain_get_detail (error, &kind, &detail));
  g_assert_cmpint (kind, ==, CRADLE_EXPLAIN_TOKEN);
  g_assert_cmpuint (detail, ==, failure);
}

/* A key made on the token before the run, remembered for the type as a
 * run that stopped after making it leaves it, with the vendor's
 * attestation of it (signed by @f9) written onto the token from outside. */
static GBytes *
attested_key (Fixture    *fixture,
              AttPki     *f9,
              GBytes    **attestation_der)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) public_key = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(X509) attestation = NULL;
  g_autoptr(GBytes) f9_der = att_der (f9->cert);
  g_autofree char *id_hex = NULL;
  AttExtensions extensions = { 0 };
  gboolean remembered;
  const char *files[] = { "attestation.der", "f9.der" };
  GBytes *values[2];
  const char *ids[2];
  const char *labels[] = { "X.509 Certificate for PIV Attestation 9a", "X.509 Certificate for PIV Attestation" };

  key_id = cradle_device_generate_key_for (fixture->device, "p256", "token-type", CRADLE_DEVICE_KEY_FOR_REQUEST,
                                           &public_key, NULL, &error);
  g_assert_no_error (error);
  remembered = cradle_journal_remember_key (fixture->journal, cradle_device_get_serial (fixture->device),
                                            "token-type", key_id, public_key, &error);
  g_assert_no_error (error);
  g_assert_true (remembered);

  att_extensions_init (&extensions, 31337);
  attestation = att_make_attestation_for_spki (f9, public_key, &extensions);
  att_extensions_clear (&extensions);
  *attestation_der = att_der (attestation);
  {
    GString *hex = g_string_new (NULL);
    gsize size = 0;
    const guint8 *bytes = g_bytes_get_data (key_id, &size);

    for (gsize i = 0; i < size; i++)
      g_string_append_printf (hex, "%02x", bytes[i]);
    id_hex = g_string_free (hex, FALSE);
  }
  values[0] = *attestation_der;
  values[1] = f9_der;
  ids[0] = id_hex;
  ids[1] = "19";   /* 25: the PIV f9 slot's CKA_ID */
  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autofree char *path = g_build_filename (fixture->softhsm->dir, files[i], NULL);
      g_autofree char *out = NULL;
      const char *args[] = { "--write-object", path, "--type", "cert", "--id", ids[i], "--label", labels[i], NULL };

      g_assert_true (g_file_set_contents (path, g_bytes_get_data (values[i], NULL),
                                          (gssize) g_bytes_get_size (values[i]), NULL));
      out = cradle_test_softhsm_pkcs11_tool (fixture->softhsm, args);
      g_assert_nonnull (out);
    }
  return g_steal_pointer (&key_id);
}

/* ---- the cases ---------------------------------------------------------------- */

static void
test_require_without_attestation (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autoptr(CradleCertType) type = NULL;
  g_autoptr(FakeCa) ca = NULL;
  g_autoptr(CradleEnrollment) enrollment = NULL;
  g_autoptr(GPtrArray) steps = NULL;
  g_autoptr(GError) error = NULL;

  if (fixture->folder == NULL)
    return;
  type = type_with ("require");
  ca = fake_ca_new (SCRIPT_ISSUE, -1);
  enrollment = cradle_enrollment_new (fixture->device, type, fixture->credentials, fixture->store, fixture->journal);
  g_assert_cmpuint (cradle_test_softhsm_count_objects (fixture->softhsm), ==, 0);

  g_assert_cmpint (run (fixture, enrollment, ca, &error), ==, CRADLE_ENROLLMENT_OUTCOME_FAILED);
  assert_token_failure (error, CRADLE_ERROR_NOT_SUPPORTED, CRADLE_TOKEN_FAILURE_ATTESTATION_MISSING);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "requires the device to attest that it made the key, and the token 'cradle-attest' "
                                                 "offers no attestation of it"));
  g_assert_nonnull (strstr (error->message, "No request was sent"));

  /* Nothing went to the CA, nothing was recorded, and the key is gone. */
  g_assert_cmpuint (ca->submits, ==, 0);
  g_assert_cmpint (cradle_enrollment_get_request_id (enrollment), ==, 0);
  g_assert_cmpuint (cradle_test_softhsm_count_objects (fixture->softhsm), ==, 0);
  steps = journal_steps (fixture, enrollment);
  g_assert_true (has_step_starting (steps, "generate-key: failed: Attestation: the token 'cradle-attest' offers "
                                           "none for the key, and 'token-type' requires one"));
  g_assert_true (has_step_starting (steps, "delete-key: ok"));
  g_assert_false (has_step_starting (steps, "sign"));
}

static void
test_check_without_attestation (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(CradleCertType) type = NULL;
  g_autoptr(FakeCa) ca = NULL;
  g_autoptr(CradleEnrollment) enrollment = NULL;
  g_autoptr(GPtrArray) steps = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) found = NULL;
  g_autoptr(GBytes) intermediate = NULL;

  if (fixture->folder == NULL)
    return;
  type = type_with ("check");
  ca = fake_ca_new (SCRIPT_DENY, -1);
  enrollment = cradle_enrollment_new (fixture->device, type, fixture->credentials, fixture->store, fixture->journal);

  /* The token attests nothing: said, and the request goes. */
  g_assert_cmpint (run (fixture, enrollment, ca, &error), ==, CRADLE_ENROLLMENT_OUTCOME_DENIED);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_CA_DENIED);
  g_clear_error (&error);
  g_assert_cmpuint (ca->submits, ==, 1);
  steps = journal_steps (fixture, enrollment);
  g_assert_true (has_step_starting (steps, "generate-key: ok: Attestation: the token 'cradle-attest' offers none"));
  g_assert_false (cradle_attestation_from_request (ca->last_csr, &found, &intermediate, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
}

static void
test_include (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(CradleCertType) type = NULL;
  g_autoptr(FakeCa) ca = NULL;
  g_autoptr(CradleEnrollment) enrollment = NULL;
  g_autoptr(GPtrArray) steps = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) attestation = NULL;
  g_autoptr(GBytes) found = NULL;
  g_autoptr(GBytes) intermediate = NULL;
  g_autoptr(GBytes) f9_der = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(CradleAttestation) verified = NULL;
  const char * const *notes;
  gboolean noted = FALSE;

  if (fixture->folder == NULL)
    return;
  key_id = attested_key (fixture, fixture->vendor_f9, &attestation);
  type = type_with ("include");
  ca = fake_ca_new (SCRIPT_DENY, -1);
  enrollment = cradle_enrollment_new (fixture->device, type, fixture->credentials, fixture->store, fixture->journal);

  g_assert_cmpint (run (fixture, enrollment, ca, &error), ==, CRADLE_ENROLLMENT_OUTCOME_DENIED);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_CA_DENIED);
  g_clear_error (&error);
  g_assert_cmpuint (ca->submits, ==, 1);
  steps = journal_steps (fixture, enrollment);
  g_assert_true (has_step_starting (steps, "generate-key: ok: Attestation verified: The token attests that it "
                                           "made the key (serial 31337, firmware 5.4.3)"));
  notes = cradle_enrollment_get_notes (enrollment);
  for (guint i = 0; notes[i] != NULL; i++)
    noted |= strstr (notes[i], "serial 31337") != NULL && strstr (notes[i], "the request carries") != NULL;
  g_assert_true (noted);

  /* The CA got the attestation and its f9 certificate, where
   * yubico-piv-tool puts them, for the key of the request. */
  g_assert_true (cradle_attestation_from_request (ca->last_csr, &found, &intermediate, &error));
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (found, attestation));
  f9_der = att_der (fixture->vendor_f9->cert);
  g_assert_true (g_bytes_equal (intermediate, f9_der));
  spki = cradle_csr_dup_public_key_info (ca->last_csr, &error);
  g_assert_no_error (error);
  verified = cradle_attestation_verify (found, intermediate, fixture->vendor_roots, spki, &error);
  g_assert_no_error (error);
  g_assert_cmpint (verified->serial, ==, 31337);
}

static void
test_wrong_vendor (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(AttPki) other_root = NULL;
  g_autoptr(AttPki) other_f9 = NULL;
  g_autoptr(CradleCertType) type = NULL;
  g_autoptr(FakeCa) ca = NULL;
  g_autoptr(CradleEnrollment) enrollment = NULL;
  g_autoptr(GPtrArray) steps = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) attestation = NULL;
  g_autoptr(GBytes) public_key = NULL;

  if (fixture->folder == NULL)
    return;
  /* The same names as the configured vendor's, other keys. */
  other_root = att_make_root ("Test PIV Root CA");
  other_f9 = att_make_issued (other_root, "Test PIV Attestation", TRUE);
  key_id = attested_key (fixture, other_f9, &attestation);
  g_assert_cmpuint (cradle_test_softhsm_count_objects (fixture->softhsm), ==, 4);
  type = type_with ("check");
  ca = fake_ca_new (SCRIPT_ISSUE, -1);
  enrollment = cradle_enrollment_new (fixture->device, type, fixture->credentials, fixture->store, fixture->journal);

  g_assert_cmpint (run (fixture, enrollment, ca, &error), ==, CRADLE_ENROLLMENT_OUTCOME_FAILED);
  assert_token_failure (error, CRADLE_ERROR_INVALID_DATA, CRADLE_TOKEN_FAILURE_ATTESTATION_UNTRUSTED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "No request was sent for 'token-type'"));
  g_assert_cmpuint (ca->submits, ==, 0);
  g_assert_cmpint (cradle_enrollment_get_request_id (enrollment), ==, 0);
  steps = journal_steps (fixture, enrollment);
  g_assert_true (has_step_starting (steps, "generate-key: failed: Attestation: the token 'cradle-attest'"));
  g_assert_true (has_step_starting (steps, "delete-key: ok"));
  /* The key pair is gone from the token (the two certificates written
   * from outside stay), and the journal no longer offers it. */
  g_assert_cmpuint (cradle_test_softhsm_count_objects (fixture->softhsm), ==, 2);
  g_assert_null (cradle_journal_find_key (fixture->journal, cradle_device_get_serial (fixture->device),
                                          "token-type", &public_key));
}

/* No vendor roots configured: check goes on and says the attestation
 * was not verified; require stops, since nothing can verify it. */
static void
test_no_roots (Fixture       *fixture,
               gconstpointer  data)
{
  const char *policies[] = { "check", "require" };
  g_autofree char *conf = NULL;
  g_autofree char *conf_text = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) attestation = NULL;

  if (fixture->folder == NULL)
    return;
  conf = g_build_filename (fixture->folder, "cradle.conf", NULL);
  g_assert_true (g_file_get_contents (conf, &conf_text, NULL, NULL));
  *strstr (conf_text, "AttestationRoots=") = '\0';
  g_assert_true (g_file_set_contents (conf, conf_text, -1, NULL));

  for (guint i = 0; i < G_N_ELEMENTS (policies); i++)
    {
      g_autoptr(CradleCertType) type = type_with (policies[i]);
      g_autoptr(FakeCa) ca = fake_ca_new (SCRIPT_DENY, -1);
      g_autoptr(CradleEnrollment) enrollment = NULL;
      g_autoptr(GPtrArray) steps = NULL;
      g_autoptr(GError) error = NULL;
      const char * const *notes;
      gboolean noted = FALSE;

      g_clear_pointer (&key_id, g_bytes_unref);
      g_clear_pointer (&attestation, g_bytes_unref);
      key_id = attested_key (fixture, fixture->vendor_f9, &attestation);
      enrollment = cradle_enrollment_new (fixture->device, type, fixture->credentials, fixture->store,
                                          fixture->journal);
      if (i == 0)
        {
          g_assert_cmpint (run (fixture, enrollment, ca, &error), ==, CRADLE_ENROLLMENT_OUTCOME_DENIED);
          g_assert_cmpuint (ca->submits, ==, 1);
          steps = journal_steps (fixture, enrollment);
          g_assert_true (has_step_starting (steps, "generate-key: ok: Attestation: not verified, no vendor roots"));
          notes = cradle_enrollment_get_notes (enrollment);
          for (guint n = 0; notes[n] != NULL; n++)
            noted |= strstr (notes[n], "was not verified") != NULL && strstr (notes[n], "AttestationRoots") != NULL;
          g_assert_true (noted);
        }
      else
        {
          g_assert_cmpint (run (fixture, enrollment, ca, &error), ==, CRADLE_ENROLLMENT_OUTCOME_FAILED);
          assert_token_failure (error, CRADLE_ERROR_NOT_CONFIGURED, CRADLE_TOKEN_FAILURE_ATTESTATION_NO_ROOTS);
          g_assert_cmpuint (ca->submits, ==, 0);
        }
    }
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *none = NULL;
  g_autofree char *folder = NULL;

  g_test_init (&argc, &argv, NULL);
  folder = g_dir_make_tmp ("cradle-token-enrollment-system-XXXXXX", NULL);
  none = g_build_filename (folder, "no-system-config", NULL);
  g_setenv ("CRADLE_SYSTEM_CONFIG_DIR", none, TRUE);
  trusted_root_key = test_key_new ();
  trusted_root = test_cert ("Fake Root", trusted_root_key, "Fake Root", trusted_root_key, TRUE);

#define ADD(path, func) \
  g_test_add ("/token-enrollment/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("require-without-attestation", test_require_without_attestation);
  ADD ("check-without-attestation", test_check_without_attestation);
  ADD ("include", test_include);
  ADD ("wrong-vendor-root", test_wrong_vendor);
  ADD ("no-vendor-roots", test_no_roots);
#undef ADD
  {
    int status = g_test_run ();

    g_rmdir (folder);
    /* As cradlectl and the app end (cradle-process.h): SoftHSM2's own
     * destructors, run after OpenSSL's exit handler, crashed about one
     * exit in twenty once every test had passed. */
    cradle_process_exit (status, 1);
  }
}
