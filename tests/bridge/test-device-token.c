/* test-device-token.c: the device API on a PKCS#11 token (SoftHSM2)
 *
 * A SoftHSM2 token of the test's own (its own softhsm2.conf and token
 * folder, made with softhsm2-util), loaded by module path with p11-kit's
 * configured modules off, so the machine's tokens are never seen.  Every
 * public CradleDevice operation is checked on it: found by enumeration and
 * by URI, opened, the PIN (before, wrong, right, without blocking), keys
 * made and used (signatures and a decryption checked with OpenSSL), the
 * stores as views of its certificate objects, an installation that fails
 * leaving nothing of its own, deletion, what a token refuses; and the
 * monitor announcing a token that leaves (served by p11-kit-server, then
 * killed).  Skips when SoftHSM2 is not installed.
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <cradle/cradle.h>

#include "base/cradle-openssl-private.h"
#include "policy/cradle-cert-type-private.h"
#include "test-files.h"

#define SOFTHSM_MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define P11_KIT_SERVER "/usr/libexec/p11-kit/p11-kit-server"
#define P11_KIT_CLIENT "/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so"
#define PIN "1234"

/* One token per test, all made before the module is loaded. */
static const char * const labels[] = {
  "cradle-found", "cradle-pin", "cradle-pin-async", "cradle-sign", "cradle-decrypt", "cradle-refused",
  "cradle-stores", "cradle-install-failure", "cradle-run-needs-pin", "cradle-retriever", "cradle-monitor-leave",
  NULL
};
static char *home;

typedef struct {
  const char   *label;
  CradleDevice *device;
} Fixture;

static void
run_or_fail (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s%s", argv[0], out, err);
}

/* A token folder and softhsm2.conf of the test's own, and its tokens. */
static void
make_tokens (void)
{
  g_autofree char *tokens = g_build_filename (home, "tokens", NULL);
  g_autofree char *conf = g_build_filename (home, "softhsm2.conf", NULL);
  g_autofree char *text = g_strdup_printf ("directories.tokendir = %s\nobjectstore.backend = file\n"
                                           "log.level = ERROR\n", tokens);
  g_autofree char *config = g_build_filename (home, "config", NULL);
  g_autofree char *cradle_conf = g_build_filename (config, "cradle.conf", NULL);

  g_assert_cmpint (g_mkdir_with_parents (tokens, 0700), ==, 0);
  g_assert_true (g_file_set_contents (conf, text, -1, NULL));
  g_setenv ("SOFTHSM2_CONF", conf, TRUE);
  for (guint i = 0; labels[i] != NULL; i++)
    {
      const char *init[] = { "softhsm2-util", "--init-token", "--free", "--label", labels[i],
                             "--so-pin", "12345678", "--pin", PIN, NULL };

      run_or_fail (init);
    }
  /* The monitor polls every second; p11-kit's own modules stay off. */
  g_assert_cmpint (g_mkdir_with_parents (config, 0700), ==, 0);
  g_assert_true (g_file_set_contents (cradle_conf, "[Tokens]\nUseP11Kit=false\nPollSeconds=1\n", -1, NULL));
  g_setenv ("CRADLE_CONFIG_DIR", config, TRUE);
}

static void
set_up (Fixture       *f,
        gconstpointer  data)
{
  g_autofree char *uri = g_strdup_printf ("pkcs11:token=%s", (const char *) data);
  g_autoptr(GError) error = NULL;

  f->label = data;
  f->device = cradle_device_new_for_pkcs11_uri (uri, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (cradle_device_open (f->device, NULL, &error));
  g_assert_no_error (error);
}

static void
tear_down (Fixture       *f,
           gconstpointer  data)
{
  g_clear_object (&f->device);
}

static void
log_in (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (cradle_device_log_in (f->device, PIN, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (cradle_device_get_pin_state (f->device), ==, CRADLE_DEVICE_PIN_ENTERED);
}

static void
assert_token_detail (const GError       *error,
                     CradleTokenFailure  failure)
{
  CradleExplainKind kind = 0;
  guint32 code = 0;

  g_assert_nonnull (error);
  g_assert_true (cradle_explain_get_detail (error, &kind, &code));
  g_assert_cmpint (kind, ==, CRADLE_EXPLAIN_TOKEN);
  g_assert_cmpuint (code, ==, failure);
}

static EVP_PKEY *
public_key (GBytes *spki)
{
  const guint8 *data = g_bytes_get_data (spki, NULL);
  EVP_PKEY *key = d2i_PUBKEY (NULL, &data, (long) g_bytes_get_size (spki));

  g_assert_nonnull (key);
  return key;
}

static void
assert_signature (GBytes     *spki,
                  GBytes     *data,
                  GBytes     *signature)
{
  g_autoptr(EVP_PKEY) key = public_key (spki);
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();

  g_assert_cmpint (EVP_DigestVerifyInit (ctx, NULL, EVP_sha256 (), NULL, key), ==, 1);
  g_assert_cmpint (EVP_DigestVerify (ctx, g_bytes_get_data (signature, NULL), g_bytes_get_size (signature),
                                     g_bytes_get_data (data, NULL), g_bytes_get_size (data)), ==, 1);
  EVP_MD_CTX_free (ctx);
}

/* ---- finding and opening ------------------------------------------------- */

static void
test_found (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = cradle_device_enumerate (NULL, &error);
  g_autoptr(CradleDevice) missing = NULL;
  CradleDevice *listed = NULL;
  const char * const *types;
  guint tokens = 0;

  g_assert_no_error (error);
  for (guint i = 0; i < devices->len; i++)
    {
      CradleDevice *device = g_ptr_array_index (devices, i);

      if (g_strcmp0 (cradle_device_get_transport (device), "pkcs11") != 0)
        continue;
      tokens++;
      if (g_strcmp0 (cradle_device_get_label (device), f->label) == 0)
        listed = device;
    }
  /* SoftHSM's spare uninitialised token is not listed. */
  g_assert_cmpuint (tokens, ==, g_strv_length ((char **) labels));
  g_assert_nonnull (listed);
  g_assert_true (g_str_has_prefix (cradle_device_get_id (listed), "pkcs11:"));
  g_assert_cmpstr (cradle_device_get_id (listed), ==, cradle_device_get_id (f->device));
  g_assert_cmpstr (cradle_device_get_label (listed), ==, f->label);

  g_assert_cmpstr (cradle_device_get_transport (f->device), ==, CRADLE_DEVICE_TRANSPORT_PKCS11);
  g_assert_cmpstr (cradle_device_get_manufacturer (f->device), ==, "SoftHSM project");
  g_assert_cmpstr (cradle_device_get_model (f->device), ==, "SoftHSM v2");
  g_assert_nonnull (cradle_device_get_serial (f->device));
  g_assert_cmpuint (strlen (cradle_device_get_serial (f->device)), >, 0);
  /* No pairing: the PIN guards a token. */
  g_assert_true (cradle_device_is_paired (f->device));
  g_assert_true (cradle_device_pair (f->device, NULL, &error));
  g_assert_no_error (error);
  types = cradle_device_get_key_types (f->device);
  g_assert_true (g_strv_contains (types, "rsa2048"));
  g_assert_true (g_strv_contains (types, "p256"));
  g_assert_true (g_strv_contains (types, "p384"));
  g_assert_true (cradle_device_has_feature (f->device, CRADLE_DEVICE_FEATURE_SCEP));
  g_assert_false (cradle_device_has_feature (f->device, CRADLE_DEVICE_FEATURE_IMPORT_KEY));
  g_assert_true (cradle_device_holds_authority_certificates (f->device));
  g_assert_false (cradle_device_needs_officer_secret (f->device));
  g_assert_false (cradle_device_has_pinpad (f->device));

  missing = cradle_device_new_for_pkcs11_uri ("pkcs11:token=not-a-token-here", NULL, &error);
  g_assert_null (missing);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
}

/* ---- the PIN -------------------------------------------------------------- */

static void
test_pin (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) spki = NULL;

  g_assert_cmpint (cradle_device_get_pin_state (f->device), ==, CRADLE_DEVICE_PIN_NEEDED);
  /* A key is not made before the PIN. */
  key_id = cradle_device_generate_key (f->device, "p256", "test", &spki, NULL, &error);
  g_assert_null (key_id);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED);
  assert_token_detail (error, CRADLE_TOKEN_FAILURE_PIN_REQUIRED);
  g_clear_error (&error);

  /* A wrong one: its words, then the token's flag (SoftHSM2 never locks). */
  g_assert_false (cradle_device_log_in (f->device, "9999", NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED);
  g_assert_null (strstr (error->message, "9999"));
  g_clear_error (&error);
  g_assert_cmpint (cradle_device_get_pin_state (f->device), ==, CRADLE_DEVICE_PIN_COUNT_LOW);

  log_in (f);
  /* Again is success. */
  g_assert_true (cradle_device_log_in (f->device, PIN, NULL, &error));
  g_assert_no_error (error);
}

static void
on_logged_in (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GError **error = user_data;

  if (!cradle_device_log_in_finish (CRADLE_DEVICE (source), result, error) && *error == NULL)
    g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_FAILED, "no error set");
  else if (*error == NULL)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "done");
}

static void
test_pin_async (Fixture       *f,
                gconstpointer  data)
{
  GError *error = NULL;
  char pin[] = PIN;

  cradle_device_log_in_async (f->device, pin, NULL, on_logged_in, &error);
  /* The caller's copy is its own: wiped at once, the call still works. */
  explicit_bzero (pin, sizeof pin);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_clear_error (&error);
  g_assert_cmpint (cradle_device_get_pin_state (f->device), ==, CRADLE_DEVICE_PIN_ENTERED);
}

/* ---- keys ----------------------------------------------------------------- */

static void
test_sign (Fixture       *f,
           gconstpointer  data)
{
  const char *types[] = { "p256", "rsa2048" };

  log_in (f);
  for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) spki = NULL;
      g_autoptr(GBytes) key_id = cradle_device_generate_key (f->device, types[i], "test", &spki, NULL, &error);
      static const char text[] = "a CertificationRequestInfo stands here";
      g_autoptr(GBytes) info = g_bytes_new_static (text, strlen (text));
      g_autoptr(GBytes) signature = NULL;
      g_autofree char *algorithm = NULL;

      g_assert_no_error (error);
      g_assert_cmpuint (g_bytes_get_size (key_id), ==, 16);
      signature = cradle_device_sign_request (f->device, key_id, info, "sha256", &algorithm, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (algorithm, ==, i == 0 ? "ecdsa-with-SHA256" : "sha256WithRSAEncryption");
      assert_signature (spki, info, signature);

      g_assert_true (cradle_device_delete_key (f->device, key_id, NULL, &error));
      g_assert_no_error (error);
      g_clear_pointer (&signature, g_bytes_unref);
      signature = cradle_device_sign_request (f->device, key_id, info, "sha256", NULL, NULL, &error);
      g_assert_null (signature);
      g_assert_nonnull (error);
    }
}

static void
test_decrypt (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(EVP_PKEY) key = NULL;
  g_autoptr(GBytes) encrypted = NULL;
  g_autoptr(GBytes) decrypted = NULL;
  EVP_PKEY_CTX *ctx;
  guint8 content_key[32];
  guint8 out[512];
  gsize out_size = sizeof out;

  log_in (f);
  key_id = cradle_device_generate_key_for (f->device, "rsa2048", "test", CRADLE_DEVICE_KEY_FOR_SCEP, &spki,
                                           NULL, &error);
  g_assert_no_error (error);
  key = public_key (spki);
  g_assert_cmpint (RAND_bytes (content_key, sizeof content_key), ==, 1);
  ctx = EVP_PKEY_CTX_new (key, NULL);
  g_assert_cmpint (EVP_PKEY_encrypt_init (ctx), ==, 1);
  g_assert_cmpint (EVP_PKEY_CTX_set_rsa_padding (ctx, RSA_PKCS1_PADDING), ==, 1);
  g_assert_cmpint (EVP_PKEY_encrypt (ctx, out, &out_size, content_key, sizeof content_key), ==, 1);
  EVP_PKEY_CTX_free (ctx);
  encrypted = g_bytes_new (out, out_size);

  decrypted = cradle_device_decrypt (f->device, key_id, CRADLE_DEVICE_DECRYPT_SCEP_CONTENT_KEY, encrypted,
                                     sizeof content_key, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (decrypted, NULL), g_bytes_get_size (decrypted),
                   content_key, sizeof content_key);
}

static void
test_refused (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) der = g_bytes_new_static ("\x30\x03\x02\x01\x01", 5);
  static const guint8 pkcs8[] = { 0x30, 0x00 };

  log_in (f);
  /* A key from a file is not put on a token. */
  key_id = cradle_device_import_key (f->device, pkcs8, sizeof pkcs8, der, "test", NULL, &error);
  g_assert_null (key_id);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);
  /* A SCEP key must decrypt: an EC one is refused before it is made. */
  key_id = cradle_device_generate_key_for (f->device, "p256", "test", CRADLE_DEVICE_KEY_FOR_SCEP, NULL, NULL,
                                           &error);
  g_assert_null (key_id);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED);
  assert_token_detail (error, CRADLE_TOKEN_FAILURE_KEY_TYPE_NOT_OFFERED);
  g_clear_error (&error);
  /* Forgetting a token: there is no pairing to forget. */
  g_assert_false (cradle_device_forget (f->device, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED);
}

/* ---- stores --------------------------------------------------------------- */

static X509 *
make_certificate (EVP_PKEY   *subject_key,
                  const char *subject,
                  X509       *issuer,
                  EVP_PKEY   *issuer_key,
                  gboolean    ca)
{
  X509 *cert = X509_new ();
  X509_NAME *name = X509_NAME_new ();
  X509V3_CTX ctx;
  X509_EXTENSION *extension;

  X509_set_version (cert, 2);
  ASN1_INTEGER_set (X509_get_serialNumber (cert), g_random_int_range (1, G_MAXINT32));
  X509_gmtime_adj (X509_getm_notBefore (cert), 0);
  X509_gmtime_adj (X509_getm_notAfter (cert), 3600);
  X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8, (const guint8 *) subject, -1, -1, 0);
  X509_set_subject_name (cert, name);
  X509_set_issuer_name (cert, issuer != NULL ? X509_get_subject_name (issuer) : name);
  X509_NAME_free (name);
  X509_set_pubkey (cert, subject_key);
  X509V3_set_ctx (&ctx, issuer != NULL ? issuer : cert, cert, NULL, NULL, 0);
  extension = X509V3_EXT_conf_nid (NULL, &ctx, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
  X509_add_ext (cert, extension, -1);
  X509_EXTENSION_free (extension);
  g_assert_cmpint (X509_sign (cert, issuer_key, EVP_sha256 ()), >, 0);
  return cert;
}

static GBytes *
der_of (X509 *cert)
{
  guint8 *der = NULL;
  int size = i2d_X509 (cert, &der);
  GBytes *bytes;

  g_assert_cmpint (size, >, 0);
  bytes = g_bytes_new (der, (gsize) size);
  OPENSSL_free (der);
  return bytes;
}

static GBytes *
sha256_of (GBytes *der)
{
  guint8 sum[32];
  gsize size = sizeof sum;
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);

  g_checksum_update (checksum, g_bytes_get_data (der, NULL), g_bytes_get_size (der));
  g_checksum_get_digest (checksum, sum, &size);
  return g_bytes_new (sum, size);
}

/* @store's certificates now. */
static GPtrArray *
list_store (Fixture    *f,
        const char *store)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *certs = cradle_device_list_certs (f->device, store, NULL, NULL, &error);

  g_assert_no_error (error);
  return certs;
}

static void
test_stores (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(EVP_PKEY) leaf_key = NULL;
  g_autoptr(EVP_PKEY) root_key = EVP_EC_gen ("P-256");
  g_autoptr(EVP_PKEY) ca_key = EVP_EC_gen ("P-256");
  g_autoptr(X509) root = NULL;
  g_autoptr(X509) ca = NULL;
  g_autoptr(X509) leaf = NULL;
  g_autoptr(GBytes) root_der = NULL, ca_der = NULL, leaf_der = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) my = NULL;
  g_autoptr(GPtrArray) cas = NULL;
  g_autoptr(GPtrArray) roots = NULL;
  g_autoptr(GPtrArray) system = NULL;
  g_autoptr(GBytes) sum = NULL;
  guint added = 99;

  log_in (f);
  key_id = cradle_device_generate_key (f->device, "p256", "test", &spki, NULL, &error);
  g_assert_no_error (error);
  leaf_key = public_key (spki);
  root = make_certificate (root_key, "Cradle Test Root", NULL, root_key, TRUE);
  ca = make_certificate (ca_key, "Cradle Test CA", root, root_key, TRUE);
  leaf = make_certificate (leaf_key, "cradle-token-leaf", ca, ca_key, FALSE);
  root_der = der_of (root);
  ca_der = der_of (ca);
  leaf_der = der_of (leaf);

  g_ptr_array_add (batch, cradle_device_cert_new ("MY", "user", leaf_der, key_id));
  g_ptr_array_add (batch, cradle_device_cert_new ("CA", "user", ca_der, NULL));
  g_ptr_array_add (batch, cradle_device_cert_new ("Root", "user", root_der, NULL));
  g_assert_true (cradle_device_install (f->device, batch, &added, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (added, ==, 3);

  all = list_store (f, NULL);
  g_assert_cmpuint (all->len, ==, 3);
  my = list_store (f, "MY");
  g_assert_cmpuint (my->len, ==, 1);
  g_assert_true (g_bytes_equal (cradle_device_cert_get_der (g_ptr_array_index (my, 0)), leaf_der));
  g_assert_nonnull (cradle_device_cert_get_key_id (g_ptr_array_index (my, 0)));
  g_assert_true (g_bytes_equal (cradle_device_cert_get_key_id (g_ptr_array_index (my, 0)), key_id));
  g_assert_cmpstr (cradle_device_cert_get_scope (g_ptr_array_index (my, 0)), ==, "user");
  cas = list_store (f, "CA");
  g_assert_cmpuint (cas->len, ==, 1);
  g_assert_true (g_bytes_equal (cradle_device_cert_get_der (g_ptr_array_index (cas, 0)), ca_der));
  g_assert_null (cradle_device_cert_get_key_id (g_ptr_array_index (cas, 0)));
  roots = list_store (f, "Root");
  g_assert_cmpuint (roots->len, ==, 1);
  g_assert_true (g_bytes_equal (cradle_device_cert_get_der (g_ptr_array_index (roots, 0)), root_der));
  system = cradle_device_list_certs (f->device, NULL, "system", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (system->len, ==, 0);

  /* Again: what is there already is not written twice. */
  g_assert_true (cradle_device_install (f->device, batch, &added, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (added, ==, 0);
  g_clear_pointer (&all, g_ptr_array_unref);
  all = list_store (f, NULL);
  g_assert_cmpuint (all->len, ==, 3);

  /* Deleting by SHA-256; the key stays until it is deleted too. */
  sum = sha256_of (ca_der);
  g_assert_true (cradle_device_delete_cert (f->device, "CA", "user", sum, NULL, &error));
  g_assert_no_error (error);
  g_clear_pointer (&cas, g_ptr_array_unref);
  cas = list_store (f, "CA");
  g_assert_cmpuint (cas->len, ==, 0);
  g_clear_pointer (&sum, g_bytes_unref);
  sum = sha256_of (leaf_der);
  g_assert_true (cradle_device_delete_cert_confirmed (f->device, "MY", "user", sum, NULL, &error));
  g_assert_no_error (error);
  g_clear_pointer (&my, g_ptr_array_unref);
  my = list_store (f, "MY");
  g_assert_cmpuint (my->len, ==, 0);
}

static void
test_install_failure (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EVP_PKEY) root_key = EVP_EC_gen ("P-256");
  g_autoptr(EVP_PKEY) other_key = EVP_EC_gen ("P-256");
  g_autoptr(X509) root = make_certificate (root_key, "Cradle Kept Root", NULL, root_key, TRUE);
  g_autoptr(X509) other = make_certificate (other_key, "Cradle New Root", NULL, other_key, TRUE);
  g_autoptr(GBytes) root_der = der_of (root);
  g_autoptr(GBytes) other_der = der_of (other);
  g_autoptr(GBytes) garbage = g_bytes_new_static ("\x30\x03\x02\x01\x01", 5);
  g_autoptr(GPtrArray) first = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) all = NULL;
  guint added = 0;

  log_in (f);
  g_ptr_array_add (first, cradle_device_cert_new ("Root", "user", root_der, NULL));
  g_assert_true (cradle_device_install (f->device, first, &added, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (added, ==, 1);

  /* The new root is written, then something that is no certificate fails
   * the call: the new root goes again, the one there before stays. */
  g_ptr_array_add (batch, cradle_device_cert_new ("Root", "user", root_der, NULL));
  g_ptr_array_add (batch, cradle_device_cert_new ("Root", "user", other_der, NULL));
  g_ptr_array_add (batch, cradle_device_cert_new ("CA", "user", garbage, NULL));
  g_assert_false (cradle_device_install (f->device, batch, &added, NULL, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "removed again"));
  all = list_store (f, NULL);
  g_assert_cmpuint (all->len, ==, 1);
  g_assert_true (g_bytes_equal (cradle_device_cert_get_der (g_ptr_array_index (all, 0)), root_der));
}

/* ---- the engine ------------------------------------------------------------ */

/* Key objects on the token, counted by pkcs11-tool (logged in). */
static guint
count_keys (const char *label)
{
  const char *argv[] = { "pkcs11-tool", "--module", SOFTHSM_MODULE, "--token-label", label, "--login",
                         "--pin", PIN, "--list-objects", "--type", "privkey", NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  int status = 0;
  guint keys = 0;
  const char *at;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out,
                NULL, &status, &error);
  g_assert_no_error (error);
  for (at = out; (at = strstr (at, "Private Key Object")) != NULL; at++)
    keys++;
  return keys;
}

static void
on_run_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static CradleEnrollmentOutcome
run_enrollment (CradleEnrollment  *enrollment,
                GError           **error)
{
  GAsyncResult *result = NULL;
  CradleEnrollmentOutcome outcome;

  cradle_enrollment_run_async (enrollment, NULL, on_run_done, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  outcome = cradle_enrollment_run_finish (enrollment, result, error);
  g_object_unref (result);
  return outcome;
}

static void
test_run_needs_pin (Fixture       *f,
                    gconstpointer  data)
{
  const char text[] = "[Cradle Certificate Type]\nName=token-run\nProtocol=certsrv\n"
                      "URL=https://127.0.0.1:1/certsrv\nTemplate=T\nKeyType=p256\n";
  g_autofree char *folder = g_build_filename (home, "run-needs-pin", NULL);
  g_autofree char *path = g_build_filename (folder, "requests.sqlite", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CradlePendingStore) store = NULL;
  g_autoptr(CradleJournal) journal = NULL;
  g_autoptr(CradleCredentials) credentials = cradle_credentials_new_none ();
  g_autoptr(CradleCertTypeSettings) settings = NULL;
  g_autoptr(CradleCertType) type = NULL;
  g_autoptr(CradleEnrollment) enrollment = NULL;
  g_autoptr(CradleEnrollment) again = NULL;
  g_autoptr(GPtrArray) requests = NULL;
  const GError *failure;

  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
  store = cradle_pending_store_open (path, &error);
  g_assert_no_error (error);
  journal = cradle_journal_open (path, &error);
  g_assert_no_error (error);
  settings = cradle_cert_type_settings_parse ("token-run.conf", text, sizeof text - 1, &error);
  g_assert_no_error (error);
  type = cradle_cert_type_new_custom (settings, NULL);

  /* Without the PIN the run ends at the device: no key, no request. */
  enrollment = cradle_enrollment_new (f->device, type, credentials, store, journal);
  g_assert_cmpint (run_enrollment (enrollment, &error), ==, CRADLE_ENROLLMENT_OUTCOME_FAILED);
  failure = cradle_enrollment_get_error (enrollment);
  g_assert_error (failure, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED);
  assert_token_detail (failure, CRADLE_TOKEN_FAILURE_PIN_REQUIRED);
  g_assert_nonnull (strstr (failure->message, f->label));
  g_assert_nonnull (strstr (failure->message, "nothing was made"));
  g_clear_error (&error);
  g_assert_cmpuint (count_keys (f->label), ==, 0);
  requests = cradle_pending_store_list (store, CRADLE_PENDING_LIST_ALL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (requests->len, ==, 0);
  g_assert_cmpint (cradle_device_get_pin_state (f->device), ==, CRADLE_DEVICE_PIN_NEEDED);

  /* With it, the same run gets past the device and makes the key (the
   * CA, on a closed port, then fails it): the check above was the stop. */
  log_in (f);
  again = cradle_enrollment_new (f->device, type, credentials, store, journal);
  g_assert_cmpint (run_enrollment (again, &error), !=, CRADLE_ENROLLMENT_OUTCOME_INSTALLED);
  g_clear_error (&error);
  g_assert_false (g_error_matches (cradle_enrollment_get_error (again), CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED));
  g_assert_cmpuint (count_keys (f->label), ==, 1);
}

static void
on_started (CradleRetriever  *retriever,
            CradleEnrollment *enrollment,
            guint            *started)
{
  (*started)++;
}

static void
on_finished (CradleRetriever  *retriever,
             CradleEnrollment *enrollment,
             guint            *finished)
{
  (*finished)++;
}

/* The retriever leaves a token without its PIN alone, and takes it up
 * once the PIN is given. */
static void
test_retriever_waits_for_pin (Fixture       *f,
                              gconstpointer  data)
{
  const char text[] = "[Cradle Certificate Type]\nName=token-retrieve\nProtocol=certsrv\n"
                      "URL=https://127.0.0.1:1/certsrv\nTemplate=T\nKeyType=p256\n";
  g_autofree char *folder = g_build_filename (home, "retriever", NULL);
  g_autofree char *path = g_build_filename (folder, "requests.sqlite", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CradlePendingStore) store = NULL;
  g_autoptr(CradleJournal) journal = NULL;
  g_autoptr(CradleCredentials) credentials = cradle_credentials_new_none ();
  g_autoptr(CradleCertTypeSettings) settings = NULL;
  g_autoptr(CradleCertType) type = NULL;
  g_autoptr(CradleEnrollment) enrollment = NULL;
  g_autoptr(GPtrArray) unfinished = NULL;
  g_autoptr(CradleRetriever) retriever = NULL;
  guint started = 0, finished = 0;

  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
  store = cradle_pending_store_open (path, &error);
  g_assert_no_error (error);
  journal = cradle_journal_open (path, &error);
  g_assert_no_error (error);
  settings = cradle_cert_type_settings_parse ("token-retrieve.conf", text, sizeof text - 1, &error);
  g_assert_no_error (error);
  type = cradle_cert_type_new_custom (settings, NULL);

  /* A request kept unfinished: the CA (a closed port) was not reached. */
  log_in (f);
  enrollment = cradle_enrollment_new (f->device, type, credentials, store, journal);
  g_assert_cmpint (run_enrollment (enrollment, &error), ==, CRADLE_ENROLLMENT_OUTCOME_INTERRUPTED);
  g_clear_error (&error);
  unfinished = cradle_pending_store_list (store, CRADLE_PENDING_LIST_UNFINISHED, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (unfinished->len, ==, 1);

  /* A new session, without the PIN. */
  cradle_device_close (f->device);
  g_assert_true (cradle_device_open (f->device, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (cradle_device_get_pin_state (f->device), ==, CRADLE_DEVICE_PIN_NEEDED);

  retriever = cradle_retriever_new (store, journal, credentials);
  g_signal_connect (retriever, "enrollment-started", G_CALLBACK (on_started), &started);
  g_signal_connect (retriever, "enrollment-finished", G_CALLBACK (on_finished), &finished);
  /* Due now, and asked for again: a resume would start at once. */
  cradle_retriever_add_device (retriever, f->device);
  cradle_retriever_retrieve_now (retriever, 0);
  g_assert_false (cradle_retriever_is_busy (retriever));
  g_assert_cmpuint (started, ==, 0);

  log_in (f);
  cradle_retriever_retrieve_now (retriever, 0);
  g_assert_true (cradle_retriever_is_busy (retriever));
  g_assert_cmpuint (started, ==, 1);
  cradle_retriever_stop (retriever);
  while (finished == 0)
    g_main_context_iteration (NULL, TRUE);
}

/* ---- the monitor ----------------------------------------------------------- */

typedef struct {
  char *removed;
} Events;

static void
on_removed (CradleDeviceMonitor *monitor,
            const char          *id,
            Events              *events)
{
  g_free (events->removed);
  events->removed = g_strdup (id);
}

/* SIGKILL to every child of the process @pid. */
static void
kill_children (const char *pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/task/%s/children", pid, pid);
  g_autofree char *text = NULL;
  g_auto(GStrv) children = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  children = g_strsplit (g_strstrip (text), " ", -1);
  for (guint i = 0; children[i] != NULL; i++)
    {
      gint64 child = 0;

      if (g_ascii_string_to_signed (children[i], 10, 1, G_MAXINT, &child, NULL))
        kill ((pid_t) child, SIGKILL);
    }
}

static void
test_monitor_leave (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *socket_path = g_build_filename (home, "p11-kit.sock", NULL);
  g_autofree char *uri = g_strdup_printf ("pkcs11:token=%s", f->label);
  g_autofree char *address = g_strdup_printf ("unix:path=%s", socket_path);
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleDevice) served = NULL;
  g_autoptr(CradleDeviceMonitor) monitor = NULL;
  const char *modules[] = { P11_KIT_CLIENT, NULL };
  Events events = { NULL };
  g_autofree char *id = NULL;
  gint64 deadline;

  if (!g_file_test (P11_KIT_SERVER, G_FILE_TEST_IS_EXECUTABLE) ||
      !g_file_test (P11_KIT_CLIENT, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("p11-kit-server or its client module is not installed");
      return;
    }
  g_clear_object (&f->device);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  server = g_subprocess_launcher_spawn (launcher, &error, P11_KIT_SERVER, "-f", "-n", socket_path,
                                        "--provider", SOFTHSM_MODULE, uri, NULL);
  g_assert_no_error (error);
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (!g_file_test (socket_path, G_FILE_TEST_EXISTS) && g_get_monotonic_time () < deadline)
    g_usleep (20000);
  g_assert_true (g_file_test (socket_path, G_FILE_TEST_EXISTS));

  g_setenv ("P11_KIT_SERVER_ADDRESS", address, TRUE);
  cradle_device_set_pkcs11_modules (modules, FALSE);
  served = cradle_device_new_for_pkcs11_uri (uri, NULL, &error);
  g_assert_no_error (error);
  id = g_strdup (cradle_device_get_id (served));
  g_clear_object (&served);

  monitor = cradle_device_monitor_new ();
  g_signal_connect (monitor, "device-removed", G_CALLBACK (on_removed), &events);
  /* Its first poll sees the token: it was there before, not announced. */
  deadline = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE) || (g_usleep (10000), TRUE);
  g_assert_null (events.removed);

  /* The server serves each connection from a p11-kit-remote child of its
   * own: the token leaves when that goes, so both are killed. */
  kill_children (g_subprocess_get_identifier (server));
  g_subprocess_send_signal (server, SIGKILL);
  g_subprocess_wait (server, NULL, NULL);
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (events.removed == NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE) || (g_usleep (10000), TRUE);
  g_assert_cmpstr (events.removed, ==, id);
  g_free (events.removed);
  g_unsetenv ("P11_KIT_SERVER_ADDRESS");
}

int
main (int    argc,
      char **argv)
{
  static const struct {
    const char *path;
    void (*test) (Fixture *f, gconstpointer data);
  } tests[] = {
    { "/bridge/device-token/found", test_found },
    { "/bridge/device-token/pin", test_pin },
    { "/bridge/device-token/pin-async", test_pin_async },
    { "/bridge/device-token/sign", test_sign },
    { "/bridge/device-token/decrypt", test_decrypt },
    { "/bridge/device-token/refused", test_refused },
    { "/bridge/device-token/stores", test_stores },
    { "/bridge/device-token/install-failure", test_install_failure },
    { "/bridge/device-token/run-needs-pin", test_run_needs_pin },
    { "/bridge/device-token/retriever-waits-for-pin", test_retriever_waits_for_pin },
    /* Last: it loads the p11-kit client module instead of SoftHSM2. */
    { "/bridge/device-token/monitor-leave", test_monitor_leave },
  };
  const char *modules[] = { SOFTHSM_MODULE, NULL };
  int status;

  g_test_init (&argc, &argv, NULL);
  G_STATIC_ASSERT (G_N_ELEMENTS (tests) + 1 == G_N_ELEMENTS (labels));

  if (!g_file_test (SOFTHSM_MODULE, G_FILE_TEST_EXISTS) || g_find_program_in_path ("softhsm2-util") == NULL)
    {
      g_test_skip ("SoftHSM2 is not installed");
      return g_test_run ();
    }
  home = g_dir_make_tmp ("cradle-device-token-XXXXXX", NULL);
  g_assert_nonnull (home);
  make_tokens ();
  cradle_device_set_pkcs11_modules (modules, FALSE);
  for (gsize i = 0; i < G_N_ELEMENTS (tests); i++)
    g_test_add (tests[i].path, Fixture, labels[i], set_up, tests[i].test, tear_down);
  status = g_test_run ();
  test_remove_tree (home);
  g_free (home);
  /* As cradlectl and the app end (cradle-process.h): never a module's
   * destructors after OpenSSL's exit handler. */
  cradle_process_exit (status, 1);
}
