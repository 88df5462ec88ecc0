/* test-token-attestation.c: a token's attestation of a key, read and verified
 *
 * SoftHSM2 attests nothing by itself, so the test plays the vendor: it
 * makes a key on a real SoftHSM2 token through Cradle, makes a
 * YubiKey-shaped chain for that key with OpenSSL (vendor root, f9
 * certificate, attestation with Yubico's extensions), and writes the
 * attestation (the key's CKA_ID, labelled as ykcs11 labels it) and the f9
 * certificate (CKA_ID 25) onto the token with OpenSC's pkcs11-tool, from
 * outside.  Cradle must find them by itself (cradle_token_read_attestation)
 * and verify them (cradle_attestation_verify).
 */
#include "config.h"

#include <string.h>
#include <cradle/cradle.h>

#include "attestation-test-pki.h"
#include "pkcs11/cradle-attestation-private.h"
#include "pkcs11/cradle-token-private.h"
#include "softhsm-test-support.h"

#define PIN "1234"
#define SO_PIN "12345678"

static CradleToken *
logged_in_token (CradleTestSofthsm *softhsm)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleToken) token = cradle_token_find (softhsm->uri, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (token);
  g_assert_true (cradle_token_open (token, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (cradle_token_log_in (token, PIN, NULL, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&token);
}

/* Writes @der onto the token as a certificate object, by pkcs11-tool. */
static void
write_certificate (CradleTestSofthsm *softhsm,
                   GBytes            *der,
                   GBytes            *id,
                   const char        *label,
                   const char        *file_name)
{
  g_autofree char *path = g_build_filename (softhsm->dir, file_name, NULL);
  g_autofree char *hex = NULL;
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  GString *text = g_string_new (NULL);
  gsize size = 0;
  const guint8 *bytes = g_bytes_get_data (id, &size);

  for (gsize i = 0; i < size; i++)
    g_string_append_printf (text, "%02x", bytes[i]);
  hex = g_string_free (text, FALSE);
  g_assert_true (g_file_set_contents (path, g_bytes_get_data (der, NULL), (gssize) g_bytes_get_size (der), &error));
  g_assert_no_error (error);
  {
    const char * const args[] = { "--write-object", path, "--type", "cert", "--id", hex, "--label", label, NULL };

    out = cradle_test_softhsm_pkcs11_tool (softhsm, args);
    g_assert_nonnull (out);
  }
}

static void
test_read_and_verify (void)
{
  const char *missing = cradle_test_softhsm_missing ();
  g_autoptr(CradleTestSofthsm) softhsm = NULL;
  g_autoptr(CradleToken) token = NULL;
  g_autoptr(GBytes) id = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) other_id = NULL;
  g_autoptr(GBytes) other_spki = NULL;
  g_autoptr(AttPki) root = NULL;
  g_autoptr(AttPki) f9 = NULL;
  g_autoptr(X509) attestation = NULL;
  g_autoptr(GBytes) attestation_der = NULL;
  g_autoptr(GBytes) f9_der = NULL;
  g_autoptr(GBytes) f9_id = NULL;
  g_autoptr(GBytes) read_attestation = NULL;
  g_autoptr(GBytes) read_intermediate = NULL;
  g_autoptr(CradleAttestation) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *roots_file = NULL;
  AttExtensions extensions = { 0 };
  const guint8 f9_slot_id = 25;
  X509 *roots[] = { NULL, NULL };

  if (missing != NULL)
    {
      g_test_skip (missing);
      return;
    }
  softhsm = cradle_test_softhsm_new ("attest", PIN, SO_PIN, NULL);
  token = logged_in_token (softhsm);

  /* The key, made on the token before anything attests it. */
  id = cradle_token_generate_key (token, "p256", "cradle-attested", NULL, &spki, NULL, &error);
  g_assert_no_error (error);
  other_id = cradle_token_generate_key (token, "p256", "cradle-not-attested", NULL, &other_spki, NULL, &error);
  g_assert_no_error (error);

  /* Nothing attests it yet. */
  g_assert_false (cradle_token_read_attestation (token, id, &read_attestation, &read_intermediate, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);

  /* The vendor's chain for that key, written from outside. */
  root = att_make_root ("Test PIV Root CA");
  f9 = att_make_issued (root, "Test PIV Attestation", TRUE);
  att_extensions_init (&extensions, 4242);
  attestation = att_make_attestation_for_spki (f9, spki, &extensions);
  attestation_der = att_der (attestation);
  f9_der = att_der (f9->cert);
  f9_id = g_bytes_new (&f9_slot_id, 1);
  write_certificate (softhsm, attestation_der, id, "X.509 Certificate for PIV Attestation 9a", "attestation.der");
  write_certificate (softhsm, f9_der, f9_id, "X.509 Certificate for PIV Attestation", "f9.der");
  roots[0] = root->cert;
  roots_file = att_write_pem (softhsm->dir, "vendor-roots.pem", roots);

  /* Found by Cradle from the key's id alone, and verified. */
  g_assert_true (cradle_token_read_attestation (token, id, &read_attestation, &read_intermediate, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (read_attestation, attestation_der));
  g_assert_true (g_bytes_equal (read_intermediate, f9_der));
  result = cradle_attestation_verify (read_attestation, read_intermediate, roots_file, spki, &error);
  g_assert_no_error (error);
  g_assert_true (result->verified);
  g_assert_cmpint (result->serial, ==, 4242);
  g_assert_cmpstr (result->firmware, ==, "5.4.3");

  /* The other key has none; and this attestation is not the other key's. */
  g_clear_pointer (&read_attestation, g_bytes_unref);
  g_clear_pointer (&read_intermediate, g_bytes_unref);
  g_assert_false (cradle_token_read_attestation (token, other_id, &read_attestation, &read_intermediate, NULL,
                                                 &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);
  g_clear_pointer (&result, cradle_attestation_free);
  result = cradle_attestation_verify (attestation_der, f9_der, roots_file, other_spki, &error);
  g_assert_null (result);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);

  att_extensions_clear (&extensions);
  g_clear_object (&token);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/token/attestation/read-and-verify", test_read_and_verify);
  /* As cradlectl and the app end (cradle-process.h): never a module's
   * destructors after OpenSSL's exit handler. */
  cradle_process_exit (g_test_run (), 1);
}
