/* test-token.c: CradleToken (bridge/pkcs11) against real SoftHSM2 tokens,
 * one per test, checked from outside with OpenSSL and OpenSC's pkcs11-tool */
#include "config.h"

#include <signal.h>
#include <sys/prctl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <cradle/cradle.h>

#include "base/cradle-openssl-private.h"
#include "pkcs11/cradle-token-private.h"
#include "softhsm-test-support.h"
#include "test-files.h"

#define PIN "1234"
#define SO_PIN "12345678"
/* SoftHSM offering RSA alone */
#define RSA_ONLY "CKM_RSA_PKCS_KEY_PAIR_GEN,CKM_RSA_PKCS"

static gboolean
skip_without_softhsm (void)
{
  const char *missing = cradle_test_softhsm_missing ();

  if (missing != NULL)
    g_test_skip (missing);
  return missing != NULL;
}

static CradleToken *
find_token (CradleTestSofthsm *softhsm)
{
  g_autoptr(GError) error = NULL;
  CradleToken *token = cradle_token_find (softhsm->uri, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (token);
  return token;
}

static CradleToken *
logged_in_token (CradleTestSofthsm *softhsm)
{
  g_autoptr(GError) error = NULL;
  CradleToken *token = find_token (softhsm);

  g_assert_true (cradle_token_open (token, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (cradle_token_log_in (token, PIN, NULL, &error));
  g_assert_no_error (error);
  return token;
}

static void
assert_detail (const GError *error,
               guint32       expected)
{
  CradleExplainKind kind;
  guint32 code = 0;

  g_assert_true (cradle_explain_get_detail (error, &kind, &code));
  g_assert_cmpint (kind, ==, CRADLE_EXPLAIN_TOKEN);
  g_assert_cmpuint (code, ==, expected);
}

static char *
hex (GBytes *bytes)
{
  GString *out = g_string_new (NULL);
  const guint8 *data;
  gsize size = 0;

  data = g_bytes_get_data (bytes, &size);
  for (gsize i = 0; i < size; i++)
    g_string_append_printf (out, "%02x", data[i]);
  return g_string_free (out, FALSE);
}

/* ---- the bounded readers of what a token gives -------------------------- */

static void
test_output_readers (void)
{
  static const guint8 oid_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
  g_autoptr(EVP_PKEY) pkey = EVP_EC_gen ("P-256");
  guint8 point[65], wrapped[67];
  gsize point_size = 0;
  unsigned char *expected = NULL;
  int expected_size;
  g_autoptr(GBytes) expected_spki = NULL;
  g_autoptr(GBytes) params = g_bytes_new_static (oid_p256, sizeof oid_p256);
  g_autoptr(GBytes) raw = NULL;
  g_autoptr(GBytes) octet_string = NULL;
  g_autoptr(GBytes) from_raw = NULL;
  g_autoptr(GBytes) from_wrapped = NULL;
  g_autoptr(GBytes) short_point = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GBytes) der = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *key_type = NULL;
  guint8 rs[64];

  g_assert_cmpint (EVP_PKEY_get_octet_string_param (pkey, "pub", point, sizeof point, &point_size), ==, 1);
  g_assert_cmpuint (point_size, ==, 65);
  expected_size = i2d_PUBKEY (pkey, &expected);
  expected_spki = g_bytes_new (expected, (gsize) expected_size);
  OPENSSL_free (expected);

  /* CKA_EC_POINT as the standard has it (an OCTET STRING), and raw. */
  wrapped[0] = 0x04;
  wrapped[1] = 65;
  memcpy (wrapped + 2, point, sizeof point);
  raw = g_bytes_new (point, sizeof point);
  octet_string = g_bytes_new (wrapped, sizeof wrapped);
  from_raw = cradle_token_build_ec_spki (params, raw, &key_type, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key_type, ==, "p256");
  from_wrapped = cradle_token_build_ec_spki (params, octet_string, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (from_raw, expected_spki));
  g_assert_true (g_bytes_equal (from_wrapped, expected_spki));

  /* A point of another curve's size, or off the curve: refused. */
  short_point = g_bytes_new (point, 64);
  g_assert_null (cradle_token_build_ec_spki (params, short_point, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  point[64] ^= 1;
  g_clear_pointer (&raw, g_bytes_unref);
  raw = g_bytes_new (point, sizeof point);
  g_assert_null (cradle_token_build_ec_spki (params, raw, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* r||s: a zero r is never a signature; the DER holds both halves. */
  memset (rs, 0, 32);
  memset (rs + 32, 0x7f, 32);
  signature = g_bytes_new (rs, sizeof rs);
  g_assert_null (cradle_token_ecdsa_signature_to_der (signature, 32, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  rs[31] = 1;
  g_clear_pointer (&signature, g_bytes_unref);
  signature = g_bytes_new (rs, sizeof rs);
  der = cradle_token_ecdsa_signature_to_der (signature, 32, &error);
  g_assert_no_error (error);
  /* SEQUENCE { INTEGER 1, INTEGER 0x7f...7f } */
  g_assert_cmpuint (g_bytes_get_size (der), ==, 2 + 3 + 2 + 32);
  g_assert_null (cradle_token_ecdsa_signature_to_der (signature, 48, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
}

/* ---- finding tokens ---------------------------------------------------- */

static void
test_enumerate (void)
{
  g_autoptr(CradleTestSofthsm) softhsm = NULL;
  g_autoptr(GPtrArray) tokens = NULL;
  g_autoptr(CradleToken) other = NULL;
  g_autoptr(CradleToken) found = NULL;
  g_autoptr(GError) error = NULL;
  CradleToken *token;

  if (skip_without_softhsm ())
    return;
  softhsm = cradle_test_softhsm_new ("cradle", PIN, SO_PIN, NULL);
  cradle_test_softhsm_add_token (softhsm, "other");
  cradle_test_softhsm_reload (softhsm);

  /* Two initialised tokens; SoftHSM's free slot (uninitialised) is left out. */
  tokens = cradle_token_enumerate (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tokens->len, ==, 2);
  token = g_ptr_array_index (tokens, 0);
  if (!g_str_equal (cradle_token_get_label (token), "cradle"))
    token = g_ptr_array_index (tokens, 1);
  g_assert_cmpstr (cradle_token_get_label (token), ==, "cradle");
  g_assert_cmpstr (cradle_token_get_manufacturer (token), ==, "SoftHSM project");
  g_assert_cmpstr (cradle_token_get_model (token), ==, "SoftHSM v2");
  g_assert_cmpuint (strlen (cradle_token_get_serial (token)), ==, 16);
  g_assert_cmpstr (cradle_token_get_module_name (token), ==, "libsofthsm2.so");
  g_assert_true (g_str_has_prefix (cradle_token_get_uri (token), "pkcs11:"));
  g_assert_nonnull (strstr (cradle_token_get_uri (token), "token=cradle"));
  g_assert_nonnull (strstr (cradle_token_get_uri (token), "manufacturer=SoftHSM%20project"));
  g_assert_nonnull (strstr (cradle_token_get_uri (token), cradle_token_get_serial (token)));
  g_assert_null (strstr (cradle_token_get_uri (token), "slot"));
  g_assert_true (cradle_token_is_present (token));

  /* Found by a short URI and by the full one, never the other token. */
  found = cradle_token_find ("pkcs11:token=cradle", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cradle_token_get_uri (found), ==, cradle_token_get_uri (token));
  g_clear_object (&found);
  found = cradle_token_find (cradle_token_get_uri (token), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cradle_token_get_label (found), ==, "cradle");
  other = cradle_token_find ("pkcs11:token=other", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cradle_token_get_label (other), ==, "other");
  g_assert_cmpstr (cradle_token_get_uri (other), !=, cradle_token_get_uri (token));

  g_assert_null (cradle_token_find ("pkcs11:token=absent", NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "pkcs11:token=absent"));
  g_clear_error (&error);
  g_assert_null (cradle_token_find ("https://example.com/\x1b[31m", NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_null (strchr (error->message, '\x1b'));
  g_clear_error (&error);

  /* No module at all: no token, no error. */
  g_clear_pointer (&tokens, g_ptr_array_unref);
  g_clear_object (&found);
  g_clear_object (&other);
  cradle_token_set_modules (NULL, FALSE);
  tokens = cradle_token_enumerate (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tokens->len, ==, 0);
}

/* A label is the token's own text: escaped in every error, given as it
 * is by the getter (for the caller to escape where it shows it). */
static void
test_label_escaped (void)
{
  g_autoptr(CradleTestSofthsm) softhsm = NULL;
  g_autoptr(GPtrArray) tokens = NULL;
  g_autoptr(GError) error = NULL;
  CradleToken *token;

  if (skip_without_softhsm ())
    return;
  softhsm = cradle_test_softhsm_new ("evil\x1b]0;x\x07\xe2\x80\xae", PIN, SO_PIN, NULL);
  tokens = cradle_token_enumerate (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tokens->len, ==, 1);
  token = g_ptr_array_index (tokens, 0);
  g_assert_cmpstr (cradle_token_get_label (token), ==, "evil\x1b]0;x\x07\xe2\x80\xae");
  g_assert_false (cradle_token_log_in (token, "0000", NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED);
  g_assert_null (strchr (error->message, '\x1b'));
  g_assert_null (strchr (error->message, '\x07'));
  g_assert_null (strstr (error->message, "\xe2\x80\xae"));
  g_assert_nonnull (strstr (error->message, "evil\\x1b]0;x\\x07\\u202e"));
}

/* A module that does not load is skipped; the others still work. */
static void
test_modules_skipped (void)
{
  g_autoptr(CradleTestSofthsm) softhsm = NULL;
  g_autoptr(GPtrArray) tokens = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *not_a_module = NULL;
  const char *modules[] = { "libsofthsm2.so", "/nonexistent/libnothing.so", NULL, CRADLE_TEST_SOFTHSM_MODULE, NULL };

  if (skip_without_softhsm ())
    return;
  softhsm = cradle_test_softhsm_new ("cradle", PIN, SO_PIN, NULL);
  not_a_module = g_build_filename (softhsm->dir, "softhsm2.conf", NULL);
  modules[2] = not_a_module;
  cradle_token_set_modules (modules, FALSE);
  tokens = cradle_token_enumerate (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tokens->len, ==, 1);
  g_assert_cmpstr (cradle_token_get_label (g_ptr_array_index (tokens, 0)), ==, "cradle");
  g_assert_cmpstr (cradle_token_get_module_name (g_ptr_array_index (tokens, 0)), ==, "libsofthsm2.so");
}

static void
test_key_types (void)
{
  g_autoptr(CradleTestSofthsm) softhsm = NULL;
  g_autoptr(CradleToken) token = NULL;
  g_autoptr(GError) error = NULL;
  const char * const all[] = { "rsa2048", "rsa3072", "rsa4096", "p256", "p384", NULL };
  const char * const rsa_only[] = { "rsa2048", "rsa3072", "rsa4096", NULL };

  if (skip_without_softhsm ())
    return;
  softhsm = cradle_test_softhsm_new ("cradle", PIN, SO_PIN, NULL);
  token = find_token (softhsm);
  g_assert_true (cradle_token_open (token, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_strv_equal (cradle_token_get_key_types (token), all));
  g_assert_true (cradle_token_can_decrypt (token));
  g_assert_false (cradle_token_has_pinpad (token));
  g_assert_false (cradle_token_needs_officer (token));
  g_clear_object (&token);
  g_clear_pointer (&softhsm, cradle_test_softhsm_free);

  /* What the slot's mechanisms make, not a fixed list. */
  softhsm = cradle_test_softhsm_new ("cradle", PIN, SO_PIN, RSA_ONLY);
  token = find_token (softhsm);
  g_assert_true (g_strv_equal (cradle_token_get_key_types (token), rsa_only));
  g_clear_object (&token);
  g_clear_pointer (&softhsm, cradle_test_softhsm_free);

  /* A token that makes no key pair is not a device. */
  softhsm = cradle_test_softhsm_new ("cradle", PIN, SO_PIN, "CKM_SHA256,CKM_AES_KEY_GEN");
  g_assert_null (cradle_token_find (softhsm->uri, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
}

/* ---- the PIN ----------------------------------------------------------- */

static void
test_pin (void)
{
  g_autoptr(CradleTestSofthsm) softhsm = NULL;
  g_autoptr(CradleToken) token = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) id = NULL;
  g_autoptr(GBytes) data = g_bytes_new_static ("data", 4);

  if (skip_without_softhsm ())
    return;
  softhsm = cradle_test_softhsm_new ("cradle", PIN, SO_PIN, NULL);
  token = find_token (softhsm);
  g_assert_true (cradle_token_open (token, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (cradle_token_get_pin_state (token), ==, CRADLE_TOKEN_PIN_NEEDED);

  /* A key used before the PIN: the words, nothing made. */
  g_assert_null (cradle_token_generate_key (token, "p256", "k", NULL, NULL, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED);
  assert_detail (error, CRADLE_TOKEN_FAILURE_PIN_REQUIRED);
  g_assert_nonnull (strstr (error->message, "'cradle'"));
  g_clear_error (&error);
  id = g_bytes_new_static ("0123456789abcdef", 16);
  g_assert_null (cradle_token_sign (token, id, data, "sha256", NULL, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED);
  assert_detail (error, CRADLE_TOKEN_FAILURE_PIN_REQUIRED);
  g_clear_error (&error);
  g_assert_cmpuint (cradle_test_softhsm_count_objects (softhsm), ==, 0);

  /* A wrong PIN: SoftHSM sets CKF_USER_PIN_COUNT_LOW after it. */
  g_assert_false (cradle_token_log_in (token, "9999", NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED);
  assert_detail (error, CRADLE_TOKEN_FAILURE_PIN_COUNT_LOW);
  g_assert_nonnull (strstr (error->message, "few tries are left"));
  g_assert_null (strstr (error->message, "9999"));
  g_assert_cmpstr (cradle_explanation_get_name (cradle_explain_error (error)), ==, "TOKEN_PIN_COUNT_LOW");
  g_clear_error (&error);
  g_assert_cmpint (cradle_token_get_pin_state (token), ==, CRADLE_TOKEN_PIN_COUNT_LOW);

  /* The right one. */
  g_assert_true (cradle_token_log_in (token, PIN, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (cradle_token_get_pin_state (token), ==, CRADLE_TOKEN_PIN_LOGGED_IN);
  g_assert_true (cradle_token_log_in (token, PIN, NULL, &error));
  g_assert_no_error (error);

  /* Closed: logged out, and a new session needs the PIN again. */
  cradle_token_close (token);
  g_assert_true (cradle_token_open (token, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (cradle_token_get_pin_state (token), !=, CRADLE_TOKEN_PIN_LOGGED_IN);
}

/* A login is the application's: a second CradleToken for the same token
 * finds it logged in, and signs without a PIN of its own. */
static void
test_login_shared (void)
{
  g_autoptr(CradleTestSofthsm) softhsm = NULL;
  g_autoptr(CradleToken) first = NULL;
  g_autoptr(CradleToken) second = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) id = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GBytes) tbs = g_bytes_new_static ("request", 7);

  if (skip_without_softhsm ())
    return;
  softhsm = cradle_test_softhsm_new ("cradle", PIN, SO_PIN, NULL);
  second = find_token (softhsm);
  g_assert_true (cradle_token_open (second, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (cradle_token_get_pin_state (second), ==, CRADLE_TOKEN_PIN_NEEDED);
  first = logged_in_token (softhsm);
  id = cradle_token_generate_key (first, "p256", "k", NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpint (cradle_token_get_pin_state (second), ==, CRADLE_TOKEN_PIN_LOGGED_IN);
  signature = cradle_token_sign (second, id, tbs, "sha256", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (signature);

  /* Closing logs the token out, for this process. */
  cradle_token_close (first);
  g_clear_pointer (&signature, g_bytes_unref);
  signature = cradle_token_sign (second, id, tbs, "sha256", NULL, NULL, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED);
  assert_detail (error, CRADLE_TOKEN_FAILURE_PIN_REQUIRED);
}

/* SoftHSM2 never locks a PIN: the flags a locked token shows are set in
 * its stored token.object. Cradle refuses before C_Login: even the right
 * PIN is not tried (SoftHSM would take it). */
static void
test_pin_locked (void)
{
  g_autoptr(CradleTestSofthsm) softhsm = NULL;
  g_autoptr(CradleToken) token = NULL;
  g_autoptr(GError) error = NULL;

  if (skip_without_softhsm ())
    return;
  softhsm = cradle_test_softhsm_new ("cradle", PIN, SO_PIN, NULL);
  cradle_token_set_modules (NULL, FALSE);
  cradle_test_softhsm_lock_pin (softhsm);
  cradle_test_softhsm_reload (softhsm);
  token = find_token (softhsm);
  g_assert_cmpint (cradle_token_get_pin_state (token), ==, CRADLE_TOKEN_PIN_LOCKED);
  g_assert_false (cradle_token_log_in (token, PIN, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  assert_detail (error, CRADLE_TOKEN_FAILURE_PIN_LOCKED);
  g_assert_nonnull (strstr (error->message, "locked"));
  g_assert_cmpint (cradle_token_get_pin_state (token), ==, CRADLE_TOKEN_PIN_LOCKED);
}

/* A token that really locks its PIN: tpm2-pkcs11 over a software TPM,
 * whose dictionary-attack protection locks after three wrong PINs. It
 * never shows CKF_USER_PIN_COUNT_LOW or CKF_USER_PIN_LOCKED in its flags;
 * C_Login answers CKR_PIN_LOCKED, even to the right PIN. */
#define TPM2_MODULE "/usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so"

static const char *
tpm2_missing (void)
{
  const char *programs[] = { "swtpm", "tpm2_ptool", "tpm2-abrmd", "dbus-run-session", NULL };

  if (!g_file_test (TPM2_MODULE, G_FILE_TEST_EXISTS))
    return "tpm2-pkcs11 is not installed (apt-get install libtpm2-pkcs11-1 libtpm2-pkcs11-tools)";
  for (guint i = 0; programs[i] != NULL; i++)
    {
      g_autofree char *path = g_find_program_in_path (programs[i]);

      if (path == NULL)
        return "swtpm, tpm2-abrmd or dbus-run-session is missing (tests/tools/install-deps)";
    }
  return NULL;
}

/* Two free loopback ports in a row, for swtpm's server and control. */
static guint16
free_port_pair (void)
{
  for (int attempt = 0; attempt < 50; attempt++)
    {
      g_autoptr(GSocket) a = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
      g_autoptr(GSocket) b = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
      g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
      g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
      g_autoptr(GSocketAddress) bound = NULL;
      g_autoptr(GSocketAddress) next = NULL;
      guint16 port;

      if (!g_socket_bind (a, any, FALSE, NULL) || (bound = g_socket_get_local_address (a, NULL)) == NULL)
        continue;
      port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
      if (port >= 65535)
        continue;
      next = g_inet_socket_address_new (loopback, port + 1);
      if (g_socket_bind (b, next, FALSE, NULL))
        return port;
    }
  g_assert_not_reached ();
}

static void
new_process_group (gpointer data)
{
  setpgid (0, 0);
  /* Gone with the test, even one that aborted. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static void
test_pin_locked_tpm (void)
{
  const char *missing = tpm2_missing ();
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleToken) token = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *port_text = NULL;
  g_autofree char *ctrl_text = NULL;
  g_autofree char *state = NULL;
  g_autofree char *tcti = NULL;
  g_autofree char *store = NULL;
  g_autofree char *setup = NULL;
  const char *modules[] = { TPM2_MODULE, NULL };
  guint16 port;
  GPid swtpm = 0;
  int status = 0;
  guint tries = 0;

  if (missing != NULL)
    {
      g_test_skip (missing);
      return;
    }
  setup = g_test_build_filename (G_TEST_DIST, "token", "tpm2-token-setup.sh", NULL);
  if (!g_file_test (setup, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("tests/token/tpm2-token-setup.sh not found: run through 'meson test' (G_TEST_SRCDIR)");
      return;
    }
  folder = test_make_memory_folder ("cradle-tpm2-XXXXXX");
  state = g_build_filename (folder, "state", NULL);
  store = g_build_filename (folder, "store", NULL);
  g_assert_cmpint (g_mkdir (state, 0700), ==, 0);
  port = free_port_pair ();
  port_text = g_strdup_printf ("type=tcp,port=%u,bindaddr=127.0.0.1", port);
  ctrl_text = g_strdup_printf ("type=tcp,port=%u,bindaddr=127.0.0.1", port + 1);
  {
    g_autofree char *tpmstate = g_strdup_printf ("dir=%s", state);
    const char *argv[] = { "swtpm", "socket", "--tpm2", "--tpmstate", tpmstate, "--server", port_text,
                           "--ctrl", ctrl_text, "--flags", "not-need-init,startup-clear", NULL };

    g_spawn_async (NULL, (char **) argv, NULL,
                   G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                   new_process_group, NULL, &swtpm, &error);
    g_assert_no_error (error);
  }
  /* Listening when a connection is taken. */
  for (int i = 0; i < 500; i++)
    {
      g_autoptr(GSocketClient) client = g_socket_client_new ();
      g_autoptr(GSocketConnection) connection = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);

      if (connection != NULL)
        break;
      g_usleep (10 * 1000);
    }
  {
    g_autofree char *port_arg = g_strdup_printf ("%u", port);
    const char *argv[] = { "dbus-run-session", "--", setup, folder, port_arg, NULL };

    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                  NULL, NULL, NULL, NULL, &status, &error);
    g_assert_no_error (error);
    g_spawn_check_wait_status (status, &error);
    g_assert_no_error (error);
  }

  tcti = g_strdup_printf ("swtpm:host=127.0.0.1,port=%u", port);
  g_setenv ("TPM2_PKCS11_TCTI", tcti, TRUE);
  g_setenv ("TPM2_PKCS11_STORE", store, TRUE);
  g_setenv ("TSS2_LOG", "all+NONE", TRUE);
  g_setenv ("TPM2_PKCS11_LOG_LEVEL", "0", TRUE);
  cradle_token_set_modules (modules, FALSE);
  token = cradle_token_find ("pkcs11:token=tpm", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (cradle_token_open (token, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (cradle_token_get_pin_state (token), ==, CRADLE_TOKEN_PIN_NEEDED);

  /* Wrong PINs until the TPM locks (three, by its default). */
  while (tries < 6)
    {
      g_assert_false (cradle_token_log_in (token, "9999", NULL, &error));
      tries++;
      if (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED))
        break;
      g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED);
      assert_detail (error, CRADLE_TOKEN_FAILURE_PIN_INCORRECT);
      g_clear_error (&error);
    }
  g_assert_cmpuint (tries, >, 1);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  assert_detail (error, CRADLE_TOKEN_FAILURE_PIN_LOCKED);
  g_clear_error (&error);

  /* Locked: the right PIN does not help. */
  g_assert_false (cradle_token_log_in (token, "1234", NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  assert_detail (error, CRADLE_TOKEN_FAILURE_PIN_LOCKED);
  g_assert_nonnull (strstr (error->message, "'tpm'"));
  g_assert_null (strstr (error->message, "1234"));

  g_clear_object (&token);
  cradle_token_set_modules (NULL, FALSE);
  kill (-swtpm, SIGKILL);
  waitpid (swtpm, &status, 0);
  g_spawn_close_pid (swtpm);
  test_remove_tree (folder);
}

/* ---- keys -------------------------------------------------------------- */

static EVP_PKEY *
parse_spki (GBytes *spki)
{
  const unsigned char *p = g_bytes_get_data (spki, NULL);
  EVP_PKEY *pkey = d2i_PUBKEY (NULL, &p, (long) g_bytes_get_size (spki));

  g_assert_nonnull (pkey);
  g_assert_true (p == (const unsigned char *) g_bytes_get_data (spki, NULL) + g_bytes_get_size (spki));
  return pkey;
}

/* What pkcs11-tool (OpenSC) says of the private key @id. */
static char *
describe_private_key (CradleTestSofthsm *softhsm,
                      GBytes            *id)
{
  g_autofree char *id_hex = hex (id);
  const char *args[] = { "--list-objects", "--type", "privkey", "--id", id_hex, NULL };

  return cradle_test_softhsm_pkcs11_tool (softhsm, args);
}

/* The public key @id as GnuTLS's p11tool exports it. */
static GBytes *
export_public_key (CradleTestSofthsm *softhsm,
                   GBytes            *id)
{
  g_autoptr(GString) uri = g_string_new (softhsm->uri);
  g_autofree char *path = g_build_filename (softhsm->dir, "public.der", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const guint8 *data;
  gsize size = 0;
  char *contents = NULL;
  int status = 0;

  g_string_append (uri, ";type=public;id=");
  data = g_bytes_get_data (id, &size);
  for (gsize i = 0; i < size; i++)
    g_string_append_printf (uri, "%%%02x", data[i]);
  {
    const char *argv[] = { "p11tool", "--provider", CRADLE_TEST_SOFTHSM_MODULE, "--login", "--set-pin",
                           softhsm->pin, "--export-pubkey", uri->str, "--outfile", path, NULL };

    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, &error);
    g_assert_no_error (error);
    if (!g_spawn_check_wait_status (status, &error))
      g_test_message ("p11tool: %s", err);
    g_assert_no_error (error);
  }
  g_file_get_contents (path, &contents, &size, &error);
  g_assert_no_error (error);
  {
    g_autoptr(BIO) bio = BIO_new_mem_buf (contents, (int) size);
    g_autoptr(EVP_PKEY) pkey = PEM_read_bio_PUBKEY (bio, NULL, NULL, NULL);
    unsigned char *der = NULL;
    int der_size;
    GBytes *bytes;

    g_free (contents);
    g_assert_nonnull (pkey);
    der_size = i2d_PUBKEY (pkey, &der);
    g_assert_cmpint (der_size, >, 0);
    bytes = g_bytes_new (der, (gsize) der_size);
    OPENSSL_free (der);
    return bytes;
  }
}

typedef struct {
  const char *key_type;
  const char *digest;
  int         base_id;
  int         bits;
} KeyCase;

static void
test_generate_sign (gconstpointer data)
{
  const KeyCase *key_case = data;
  g_autoptr(CradleTestSofthsm) softhsm = NULL;
  g_autoptr(CradleToken) token = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) id = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) again = NULL;
  g_autoptr(GBytes) exported = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(EVP_PKEY) pkey = NULL;
  g_autoptr(EVP_MD_CTX) ctx = EVP_MD_CTX_new ();
  g_autofree char *algorithm = NULL;
  g_autofree char *description = NULL;
  g_autoptr(GBytes) tbs = g_bytes_new_static ("the bytes a request signs", 25);

  if (skip_without_softhsm ())
    return;
  softhsm = cradle_test_softhsm_new ("cradle", PIN, SO_PIN, NULL);
  token = logged_in_token (softhsm);
  id = cradle_token_generate_key (token, key_case->key_type, "Cradle key", NULL, &spki, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (id);
  g_assert_cmpuint (g_bytes_get_size (id), ==, 16);
  g_assert_cmpuint (cradle_test_softhsm_count_objects (softhsm), ==, 2);

  /* The SPKI is the key's, as OpenSSL and pkcs11-tool see it. */
  pkey = parse_spki (spki);
  g_assert_cmpint (EVP_PKEY_get_base_id (pkey), ==, key_case->base_id);
  g_assert_cmpint (EVP_PKEY_get_bits (pkey), ==, key_case->bits);
  exported = export_public_key (softhsm, id);
  if (!g_bytes_equal (exported, spki))
    g_test_message ("exported %s\nmade %s", hex (exported), hex (spki));
  g_assert_true (g_bytes_equal (exported, spki));
  again = cradle_token_get_public_key (token, id, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (again, spki));

  /* Made to stay on the token: read back from outside. */
  description = describe_private_key (softhsm, id);
  g_assert_nonnull (strstr (description, "Cradle key"));
  g_assert_nonnull (strstr (description, "Access:     sensitive, always sensitive, never extractable, local"));
  g_assert_nonnull (strstr (description, "sign"));
  if (key_case->base_id == EVP_PKEY_RSA)
    g_assert_nonnull (strstr (description, "decrypt"));

  /* A signature OpenSSL verifies with the SPKI. */
  signature = cradle_token_sign (token, id, tbs, key_case->digest, &algorithm, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (signature);
  g_assert_cmpstr (algorithm, ==, key_case->base_id == EVP_PKEY_RSA
                                  ? (g_str_equal (key_case->digest, "sha256") ? "sha256WithRSAEncryption" : "sha384WithRSAEncryption")
                                  : (g_str_equal (key_case->digest, "sha256") ? "ecdsa-with-SHA256" : "ecdsa-with-SHA384"));
  g_assert_cmpint (EVP_DigestVerifyInit (ctx, NULL, EVP_get_digestbyname (key_case->digest), NULL, pkey), ==, 1);
  g_assert_cmpint (EVP_DigestVerify (ctx, g_bytes_get_data (signature, NULL), g_bytes_get_size (signature),
                                     g_bytes_get_data (tbs, NULL), g_bytes_get_size (tbs)), ==, 1);
  /* and not over other bytes */
  EVP_MD_CTX_reset (ctx);
  g_assert_cmpint (EVP_DigestVerifyInit (ctx, NULL, EVP_get_digestbyname (key_case->digest), NULL, pkey), ==, 1);
  g_assert_cmpint (EVP_DigestVerify (ctx, g_bytes_get_data (signature, NULL), g_bytes_get_size (signature),
                                     (const guint8 *) "other", 5), !=, 1);

  /* Destroyed: gone from the token, and from Cradle's sight. */
  g_assert_true (cradle_token_destroy_key (token, id, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (cradle_test_softhsm_count_objects (softhsm), ==, 0);
  g_assert_null (cradle_token_get_public_key (token, id, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (cradle_token_sign (token, id, tbs, key_case->digest, NULL, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_true (cradle_token_destroy_key (token, id, NULL, &error));
  g_assert_no_error (error);
}

/* A key that asks for the PIN before each use (CKA_ALWAYS_AUTHENTICATE,
 * as PIV slot 9c's): made by pkcs11-tool, signed with by Cradle, which
 * logs in for the one operation with the PIN it kept. */
static void
test_always_authenticate (void)
{
  g_autoptr(CradleTestSofthsm) softhsm = NULL;
  g_autoptr(CradleToken) token = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) id = g_bytes_new_static ("\x0a", 1);
  g_autoptr(GBytes) tbs = g_bytes_new_static ("request", 7);
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(EVP_PKEY) pkey = NULL;
  g_autoptr(EVP_MD_CTX) ctx = EVP_MD_CTX_new ();
  g_autofree char *made = NULL;
  g_autofree char *description = NULL;
  const char *args[] = { "--keypairgen", "--key-type", "EC:prime256v1", "--id", "0a", "--label", "9c",
                         "--always-auth", NULL };

  if (skip_without_softhsm ())
    return;
  softhsm = cradle_test_softhsm_new ("cradle", PIN, SO_PIN, NULL);
  made = cradle_test_softhsm_pkcs11_tool (softhsm, args);
  description = describe_private_key (softhsm, id);
  g_assert_nonnull (strstr (description, "always authenticate"));
  cradle_test_softhsm_reload (softhsm);
  token = logged_in_token (softhsm);
  spki = cradle_token_get_public_key (token, id, NULL, &error);
  g_assert_no_error (error);
  signature = cradle_token_sign (token, id, tbs, "sha256", NULL, NULL, &error);
  g_assert_no_error (error);
  pkey = parse_spki (spki);
  g_assert_cmpint (EVP_DigestVerifyInit (ctx, NULL, EVP_sha256 (), NULL, pkey), ==, 1);
  g_assert_cmpint (EVP_DigestVerify (ctx, g_bytes_get_data (signature, NULL), g_bytes_get_size (signature),
                                     g_bytes_get_data (tbs, NULL), g_bytes_get_size (tbs)), ==, 1);
  /* and again: the login is for one operation */
  g_clear_pointer (&signature, g_bytes_unref);
  signature = cradle_token_sign (token, id, tbs, "sha256", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (signature);
}

static void
test_key_type_not_offered (void)
{
  g_autoptr(CradleTestSofthsm) softhsm = NULL;
  g_autoptr(CradleToken) token = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) id = NULL;

  if (skip_without_softhsm ())
    return;
  softhsm = cradle_test_softhsm_new ("cradle", PIN, SO_PIN, RSA_ONLY);
  token = logged_in_token (softhsm);
  g_assert_null (cradle_token_generate_key (token, "p256", "k", NULL, &spki, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED);
  assert_detail (error, CRADLE_TOKEN_FAILURE_KEY_TYPE_NOT_OFFERED);
  g_assert_nonnull (strstr (error->message, "rsa2048"));
  g_assert_null (spki);
  g_assert_cmpuint (cradle_test_softhsm_count_objects (softhsm), ==, 0);
  g_clear_error (&error);
  g_assert_null (cradle_token_generate_key (token, "ed25519", "k", NULL, &spki, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_cmpuint (cradle_test_softhsm_count_objects (softhsm), ==, 0);
  g_clear_error (&error);

  /* What it does make, it makes. */
  id = cradle_token_generate_key (token, "rsa2048", "k", NULL, &spki, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cradle_test_softhsm_count_objects (softhsm), ==, 2);
}

static void
test_decrypt (void)
{
  g_autoptr(CradleTestSofthsm) softhsm = NULL;
  g_autoptr(CradleToken) token = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) id = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) encrypted = NULL;
  g_autoptr(GBytes) plain = NULL;
  g_autoptr(GBytes) noise = NULL;
  g_autoptr(GBytes) garbage = NULL;
  g_autoptr(EVP_PKEY) pkey = NULL;
  g_autoptr(EVP_PKEY_CTX) ctx = NULL;
  const guint8 secret[16] = "content-key-0123";
  guint8 out[256], junk[256];
  gsize out_size = sizeof out;

  if (skip_without_softhsm ())
    return;
  softhsm = cradle_test_softhsm_new ("cradle", PIN, SO_PIN, NULL);
  token = logged_in_token (softhsm);
  id = cradle_token_generate_key (token, "rsa2048", "k", NULL, &spki, NULL, &error);
  g_assert_no_error (error);
  pkey = parse_spki (spki);
  ctx = EVP_PKEY_CTX_new (pkey, NULL);
  g_assert_cmpint (EVP_PKEY_encrypt_init (ctx), ==, 1);
  g_assert_cmpint (EVP_PKEY_CTX_set_rsa_padding (ctx, RSA_PKCS1_PADDING), ==, 1);
  g_assert_cmpint (EVP_PKEY_encrypt (ctx, out, &out_size, secret, sizeof secret), ==, 1);
  encrypted = g_bytes_new (out, out_size);

  plain = cradle_token_decrypt (token, id, encrypted, sizeof secret, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (plain, NULL), g_bytes_get_size (plain), secret, sizeof secret);

  /* Not what was expected: random bytes of the size asked, no error. */
  noise = cradle_token_decrypt (token, id, encrypted, 24, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (noise), ==, 24);
  memset (junk, 0x5a, sizeof junk);
  garbage = g_bytes_new (junk, sizeof junk);
  g_clear_pointer (&noise, g_bytes_unref);
  noise = cradle_token_decrypt (token, id, garbage, sizeof secret, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (noise), ==, sizeof secret);
  g_assert_true (memcmp (g_bytes_get_data (noise, NULL), secret, sizeof secret) != 0);
}

/* ---- certificates ------------------------------------------------------ */

static X509 *
make_certificate (EVP_PKEY   *subject_key,
                  const char *subject,
                  EVP_PKEY   *issuer_key,
                  const char *issuer,
                  long        serial)
{
  X509 *cert = X509_new ();
  g_autoptr(X509_NAME) subject_name = X509_NAME_new ();
  g_autoptr(X509_NAME) issuer_name = X509_NAME_new ();

  X509_NAME_add_entry_by_txt (subject_name, "CN", MBSTRING_UTF8, (const guint8 *) subject, -1, -1, 0);
  X509_NAME_add_entry_by_txt (issuer_name, "CN", MBSTRING_UTF8, (const guint8 *) issuer, -1, -1, 0);
  X509_set_version (cert, 2);
  ASN1_INTEGER_set (X509_get_serialNumber (cert), serial);
  X509_set_subject_name (cert, subject_name);
  X509_set_issuer_name (cert, issuer_name);
  X509_gmtime_adj (X509_getm_notBefore (cert), 0);
  X509_gmtime_adj (X509_getm_notAfter (cert), 3600);
  X509_set_pubkey (cert, subject_key);
  g_assert_cmpint (X509_sign (cert, issuer_key, EVP_sha256 ()), >, 0);
  return cert;
}

static GBytes *
der_of (X509 *cert)
{
  unsigned char *der = NULL;
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
  guint8 hash[32];

  g_assert_cmpint (EVP_Digest (g_bytes_get_data (der, NULL), g_bytes_get_size (der), hash, NULL,
                               EVP_sha256 (), NULL), ==, 1);
  return g_bytes_new (hash, sizeof hash);
}

static const CradleTokenCert *
cert_with (GPtrArray *certs,
           GBytes    *der)
{
  for (guint i = 0; i < certs->len; i++)
    {
      const CradleTokenCert *cert = g_ptr_array_index (certs, i);

      if (g_bytes_equal (cert->der, der))
        return cert;
    }
  return NULL;
}

static void
test_certificates (void)
{
  g_autoptr(CradleTestSofthsm) softhsm = NULL;
  g_autoptr(CradleToken) token = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) id = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(EVP_PKEY) leaf_key = NULL;
  g_autoptr(EVP_PKEY) ca_key = EVP_EC_gen ("P-256");
  g_autoptr(EVP_PKEY) root_key = EVP_EC_gen ("P-256");
  g_autoptr(X509) leaf = NULL;
  g_autoptr(X509) ca = NULL;
  g_autoptr(X509) root = NULL;
  g_autoptr(GBytes) leaf_der = NULL;
  g_autoptr(GBytes) ca_der = NULL;
  g_autoptr(GBytes) root_der = NULL;
  g_autoptr(GBytes) ca_hash = NULL;
  g_autoptr(GPtrArray) certs = NULL;
  const CradleTokenCert *cert;
  g_autofree char *listing = NULL;
  const char *args[] = { "--list-objects", "--type", "cert", NULL };

  if (skip_without_softhsm ())
    return;
  softhsm = cradle_test_softhsm_new ("cradle", PIN, SO_PIN, NULL);
  token = logged_in_token (softhsm);
  id = cradle_token_generate_key (token, "p256", "Cradle key", NULL, &spki, NULL, &error);
  g_assert_no_error (error);
  leaf_key = parse_spki (spki);
  root = make_certificate (root_key, "Test Root", root_key, "Test Root", 1);
  ca = make_certificate (ca_key, "Test Issuing CA", root_key, "Test Root", 2);
  leaf = make_certificate (leaf_key, "device \x1b[31m", ca_key, "Test Issuing CA", 3);
  leaf_der = der_of (leaf);
  ca_der = der_of (ca);
  root_der = der_of (root);

  g_assert_true (cradle_token_write_certificate (token, leaf_der, id, "Cradle certificate",
                                                 CRADLE_TOKEN_CERT_USER, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (cradle_token_write_certificate (token, ca_der, NULL, "Test Issuing CA",
                                                 CRADLE_TOKEN_CERT_AUTHORITY, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (cradle_token_write_certificate (token, root_der, NULL, "Test Root",
                                                 CRADLE_TOKEN_CERT_AUTHORITY, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (cradle_test_softhsm_count_objects (softhsm), ==, 5);
  /* Written again: nothing more. */
  g_assert_true (cradle_token_write_certificate (token, ca_der, NULL, "Test Issuing CA",
                                                 CRADLE_TOKEN_CERT_AUTHORITY, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (cradle_test_softhsm_count_objects (softhsm), ==, 5);

  /* Seen from outside. */
  listing = cradle_test_softhsm_pkcs11_tool (softhsm, args);
  g_assert_nonnull (strstr (listing, "label:      Cradle certificate"));
  g_assert_nonnull (strstr (listing, "label:      Test Root"));

  certs = cradle_token_list_certificates (token, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (certs->len, ==, 3);
  cert = cert_with (certs, leaf_der);
  g_assert_nonnull (cert);
  g_assert_cmpint (cert->category, ==, CRADLE_TOKEN_CERT_USER);
  g_assert_true (cert->has_key);
  g_assert_true (cert->on_token);
  g_assert_true (g_bytes_equal (cert->id, id));
  g_assert_cmpstr (cert->label, ==, "Cradle certificate");
  cert = cert_with (certs, ca_der);
  g_assert_nonnull (cert);
  g_assert_cmpint (cert->category, ==, CRADLE_TOKEN_CERT_AUTHORITY);
  g_assert_false (cert->has_key);
  g_assert_null (cert->id);
  cert = cert_with (certs, root_der);
  g_assert_nonnull (cert);
  g_assert_cmpint (cert->category, ==, CRADLE_TOKEN_CERT_AUTHORITY);

  /* The certificate gives the key's public key when the public key object
   * is gone too (no: it is still there; both agree). */
  {
    g_autoptr(GBytes) again = cradle_token_get_public_key (token, id, NULL, &error);

    g_assert_no_error (error);
    g_assert_true (g_bytes_equal (again, spki));
  }

  /* Destroyed by its SHA-256; the others stay. */
  ca_hash = sha256_of (ca_der);
  g_assert_true (cradle_token_destroy_certificate (token, ca_hash, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (cradle_test_softhsm_count_objects (softhsm), ==, 4);
  g_clear_pointer (&certs, g_ptr_array_unref);
  certs = cradle_token_list_certificates (token, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (certs->len, ==, 2);
  g_assert_null (cert_with (certs, ca_der));
  g_assert_false (cradle_token_destroy_certificate (token, ca_hash, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Not a certificate: refused, nothing written. */
  {
    g_autoptr(GBytes) junk = g_bytes_new_static ("\x30\x03\x02\x01\x01", 5);

    g_assert_false (cradle_token_write_certificate (token, junk, NULL, "junk",
                                                    CRADLE_TOKEN_CERT_AUTHORITY, NULL, &error));
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
    g_assert_cmpuint (cradle_test_softhsm_count_objects (softhsm), ==, 4);
  }
}

/* ---- arrivals and departures ------------------------------------------- */

static void
test_poll (void)
{
  g_autoptr(CradleTestSofthsm) softhsm = NULL;
  g_autoptr(GPtrArray) uris = NULL;
  g_autoptr(CradleToken) token = NULL;
  g_autoptr(GError) error = NULL;

  if (skip_without_softhsm ())
    return;
  softhsm = cradle_test_softhsm_new ("cradle", PIN, SO_PIN, NULL);
  token = find_token (softhsm);
  uris = cradle_token_poll_present (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (uris->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (uris, 0), ==, cradle_token_get_uri (token));
}

/* The token leaves in the middle: served by p11-kit-server, which is
 * killed after the key is made. */
static void
test_removed (void)
{
  g_autoptr(CradleTestSofthsm) softhsm = NULL;
  g_autoptr(CradleToken) token = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) id = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GPtrArray) uris = NULL;
  g_autoptr(GBytes) tbs = g_bytes_new_static ("request", 7);

  if (skip_without_softhsm ())
    return;
  if (!g_file_test (CRADLE_TEST_P11KIT_SERVER, G_FILE_TEST_IS_EXECUTABLE)
      || !g_file_test (CRADLE_TEST_P11KIT_CLIENT, G_FILE_TEST_EXISTS))
    {
      g_test_skip ("p11-kit's server or client module is not installed (apt-get install p11-kit p11-kit-modules)");
      return;
    }
  softhsm = cradle_test_softhsm_new ("cradle", PIN, SO_PIN, NULL);
  cradle_test_softhsm_serve (softhsm);
  token = logged_in_token (softhsm);
  g_assert_cmpstr (cradle_token_get_module_name (token), ==, "p11-kit-client.so");
  id = cradle_token_generate_key (token, "p256", "k", NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  signature = cradle_token_sign (token, id, tbs, "sha256", NULL, NULL, &error);
  g_assert_no_error (error);

  cradle_test_softhsm_stop_server (softhsm);
  g_clear_pointer (&signature, g_bytes_unref);
  signature = cradle_token_sign (token, id, tbs, "sha256", NULL, NULL, &error);
  g_assert_null (signature);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE);
  assert_detail (error, CRADLE_TOKEN_FAILURE_TOKEN_REMOVED);
  g_assert_nonnull (strstr (error->message, "'cradle'"));
  g_clear_error (&error);
  g_assert_false (cradle_token_is_present (token));
  g_assert_null (cradle_token_generate_key (token, "p256", "k", NULL, NULL, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE);
  assert_detail (error, CRADLE_TOKEN_FAILURE_TOKEN_REMOVED);
  g_clear_error (&error);
  uris = cradle_token_poll_present (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (uris->len, ==, 0);
}

int
main (int    argc,
      char **argv)
{
  static const KeyCase rsa2048 = { "rsa2048", "sha256", EVP_PKEY_RSA, 2048 };
  static const KeyCase rsa3072 = { "rsa3072", "sha384", EVP_PKEY_RSA, 3072 };
  static const KeyCase p256 = { "p256", "sha256", EVP_PKEY_EC, 256 };
  static const KeyCase p384 = { "p384", "sha384", EVP_PKEY_EC, 384 };

  g_test_init (&argc, &argv, NULL);
  g_unsetenv ("P11_KIT_SERVER_ADDRESS");

  g_test_add_func ("/token/output-readers", test_output_readers);
  g_test_add_func ("/token/enumerate", test_enumerate);
  g_test_add_func ("/token/modules-skipped", test_modules_skipped);
  g_test_add_func ("/token/key-types", test_key_types);
  g_test_add_func ("/token/label-escaped", test_label_escaped);
  g_test_add_func ("/token/pin", test_pin);
  g_test_add_func ("/token/login-shared", test_login_shared);
  g_test_add_func ("/token/pin-locked", test_pin_locked);
  g_test_add_func ("/token/pin-locked-tpm", test_pin_locked_tpm);
  g_test_add_data_func ("/token/generate-sign/rsa2048", &rsa2048, test_generate_sign);
  g_test_add_data_func ("/token/generate-sign/rsa3072", &rsa3072, test_generate_sign);
  g_test_add_data_func ("/token/generate-sign/p256", &p256, test_generate_sign);
  g_test_add_data_func ("/token/generate-sign/p384", &p384, test_generate_sign);
  g_test_add_func ("/token/key-type-not-offered", test_key_type_not_offered);
  g_test_add_func ("/token/always-authenticate", test_always_authenticate);
  g_test_add_func ("/token/decrypt", test_decrypt);
  g_test_add_func ("/token/certificates", test_certificates);
  g_test_add_func ("/token/poll", test_poll);
  g_test_add_func ("/token/removed", test_removed);
  /* As cradlectl and the app end (cradle-process.h): never a module's
   * destructors after OpenSSL's exit handler. */
  cradle_process_exit (g_test_run (), 1);
}
