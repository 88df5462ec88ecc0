/* test-agent-prompt.c: what the device's user reads before saying yes.
 * The request is built by the host's own CSR builder, as a host (honest or
 * not) would send it; the prompt must show all that it asks for, with
 * whatever the host wrote escaped. */
#include "config.h"

#include <string.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <cradle/cradle.h>

#include "agent/cradle-agent-prompt-private.h"
#include "agent/cradle-agent-request-info-private.h"
#include "csr/cradle-csr-private.h"
#include "base/cradle-openssl-private.h"

static GBytes *
spki_of_new_key (void)
{
  g_autoptr(EVP_PKEY) key = EVP_EC_gen ("P-256");
  unsigned char *der = NULL;
  int size;
  GBytes *spki;

  g_assert_nonnull (key);
  size = i2d_PUBKEY (key, &der);
  g_assert_cmpint (size, >, 0);
  spki = g_bytes_new (der, (gsize) size);
  OPENSSL_free (der);
  return spki;
}

static CradleCsrBuilder *
new_builder (const char *subject)
{
  g_autoptr(CradleCsrBuilder) builder = cradle_csr_builder_new ();
  g_autoptr(GBytes) spki = spki_of_new_key ();
  g_autoptr(GError) error = NULL;

  g_assert_true (cradle_csr_builder_set_public_key (builder, spki, &error));
  g_assert_true (cradle_csr_builder_set_subject (builder, subject, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&builder);
}

static char *
sign_prompt_for (CradleCsrBuilder *builder)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) cri = cradle_csr_builder_encode_request_info (builder, &error);
  char *prompt;

  g_assert_no_error (error);
  prompt = cradle_agent_prompt_sign (cri, &error);
  g_assert_no_error (error);
  g_assert_nonnull (prompt);
  return prompt;
}

static void
assert_no_controls (const char *prompt)
{
  for (const char *p = prompt; *p != '\0'; p++)
    g_assert_true (*p == '\n' || ((guchar) *p >= 0x20 && *p != 0x7f));
  g_assert_null (strstr (prompt, "\xc2\x9b"));
  g_assert_null (strstr (prompt, "\xe2\x80\xae"));
}

/* A request for "CN=alice" that also names the administrator's UPN signs
 * its holder in as the administrator: the prompt says so. */
static void
test_prompt_sign_shows_alt_names (void)
{
  g_autoptr(CradleCsrBuilder) builder = new_builder ("CN=alice");
  g_autoptr(GError) error = NULL;
  g_autofree char *prompt = NULL;

  cradle_csr_builder_add_san_upn (builder, "administrator@corp.example");
  cradle_csr_builder_add_san_email (builder, "alice@corp.example");
  cradle_csr_builder_add_san_dns (builder, "dc1.corp.example");
  cradle_csr_builder_add_extended_key_usage (builder, "1.3.6.1.5.5.7.3.2");
  cradle_csr_builder_add_extended_key_usage (builder, "1.3.6.1.4.1.311.20.2.2");
  cradle_csr_builder_add_extended_key_usage (builder, "1.2.3.4.5");
  cradle_csr_builder_add_template_name (builder, "SmartcardLogon");
  g_assert_true (cradle_csr_builder_add_template_oid (builder, "1.3.6.1.4.1.311.21.8.1.2.3", 100, 4, &error));
  g_assert_no_error (error);
  prompt = sign_prompt_for (builder);

  g_assert_nonnull (strstr (prompt, "Subject:   CN = alice"));
  g_assert_nonnull (strstr (prompt, "\n  UPN:       administrator@corp.example"));
  g_assert_nonnull (strstr (prompt, "\n  Mail:      alice@corp.example"));
  g_assert_nonnull (strstr (prompt, "\n  DNS:       dc1.corp.example"));
  g_assert_nonnull (strstr (prompt, "TLS Web Client Authentication (1.3.6.1.5.5.7.3.2)"));
  g_assert_nonnull (strstr (prompt, "(1.3.6.1.4.1.311.20.2.2)"));
  g_assert_nonnull (strstr (prompt, "\n  Use:       1.2.3.4.5"));
  g_assert_nonnull (strstr (prompt, "\n  Template:  SmartcardLogon"));
  g_assert_nonnull (strstr (prompt, "\n  Template:  1.3.6.1.4.1.311.21.8.1.2.3, version 100.4"));
}

/* Whatever the host writes into the request is escaped: an ESC in the UPN
 * or the template's name, C1 and bidi controls in the subject. */
static void
test_prompt_sign_escapes (void)
{
  g_autoptr(CradleCsrBuilder) builder = new_builder ("CN=al\xe2\x80\xae" "ecila\xc2\x9b" "2J");
  g_autofree char *prompt = NULL;

  cradle_csr_builder_add_san_upn (builder, "x\x1b[1A\x1b[2K" "alice@corp.example");
  cradle_csr_builder_add_template_name (builder, "User\x1b]0;title\x07\n  UPN:       nobody");
  prompt = sign_prompt_for (builder);

  assert_no_controls (prompt);
  g_assert_nonnull (strstr (prompt, "UPN:       x\\x1b[1A\\x1b[2Kalice@corp.example"));
  g_assert_nonnull (strstr (prompt, "Template:  User\\x1b]0;title\\x07\\n  UPN:       nobody"));
  /* No line of the host's making. */
  g_assert_null (strstr (prompt, "\n  UPN:       nobody"));
}

static void
test_prompt_sign_plain (void)
{
  g_autoptr(CradleCsrBuilder) builder = new_builder (NULL);
  g_autofree char *prompt = sign_prompt_for (builder);

  g_assert_cmpstr (prompt, ==, "The desktop asks this device to sign a certificate request for:\n"
                               "  Subject:   " CRADLE_AGENT_EMPTY_SUBJECT);
}

/* What cannot be read cannot be shown, and is not signed. */
static void
test_prompt_sign_unreadable (void)
{
  /* version 0, empty Name, a one-byte "key", and an extensionRequest whose
   * value is not Extensions. */
  static const guint8 der[] = {
    0x30, 0x1d, 0x02, 0x01, 0x00, 0x30, 0x00, 0x30, 0x01, 0x00,
    0xa0, 0x13, 0x30, 0x11, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x0e,
    0x31, 0x04, 0x30, 0x02, 0x05, 0x00,
  };
  g_autoptr(GBytes) cri = g_bytes_new_static (der, sizeof der);
  g_autoptr(GError) error = NULL;
  g_autofree char *prompt = cradle_agent_prompt_sign (cri, &error);

  g_assert_null (prompt);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
}

static char *
prompt_for_file (const char  *name,
                 GError     **error)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fuzz", "corpus", "request-info", name, NULL);
  g_autofree char *contents = NULL;
  gsize size = 0;
  g_autoptr(GBytes) cri = NULL;

  g_assert_true (g_file_get_contents (path, &contents, &size, NULL));
  cri = g_bytes_new (contents, size);
  return cradle_agent_prompt_sign (cri, error);
}

/* Requests made by `openssl req` (the fuzz corpus's seeds): the same
 * names, as another tool encodes them. */
static void
test_prompt_sign_openssl_requests (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *full = prompt_for_file ("full-cri", &error);
  g_autofree char *escaped = NULL;
  g_autofree char *bad = NULL;

  g_assert_no_error (error);
  g_test_message ("%s", full);
  g_assert_nonnull (strstr (full, "\n  UPN:       administrator@corp.example"));
  g_assert_nonnull (strstr (full, "\n  Mail:      alice@corp.example"));
  g_assert_nonnull (strstr (full, "\n  DNS:       dc1.corp.example"));
  g_assert_nonnull (strstr (full, "\n  Names:     1 of other kinds"));
  g_assert_nonnull (strstr (full, "(1.3.6.1.5.5.7.3.2)"));
  g_assert_nonnull (strstr (full, "\n  Template:  User"));
  g_assert_nonnull (strstr (full, "\n  Template:  1.3.6.1.2.3, version 356.4"));

  escaped = prompt_for_file ("esc-cri", &error);
  g_assert_no_error (error);
  assert_no_controls (escaped);
  g_assert_nonnull (strstr (escaped, "UPN:       x\\x1b]8;;http://e\\x07"));

  /* A template extension whose lengths do not add up. */
  bad = prompt_for_file ("bad-template-oid-cri", &error);
  g_assert_null (bad);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
}

static void
test_prompt_generate_key_escapes (void)
{
  g_autofree char *prompt = cradle_agent_prompt_generate_key ("p256",
                                                              "VPN\x1b[2J\x1b[H\x1b]8;;http://evil\x1b\\"
                                                              "click\xc2\x9d" "0;t\xc2\x9c\xe2\x81\xa6" "x\n");

  assert_no_controls (prompt);
  g_assert_cmpstr (prompt, ==, "The desktop asks this device to make a new p256 key for: "
                               "VPN\\x1b[2J\\x1b[H\\x1b]8;;http://evil\\x1b\\click\\u009d0;t\\u009c\\u2066x\\n");
}

static void
test_prompt_root_escapes (void)
{
  g_autofree char *prompt = cradle_agent_prompt_root ("CN=Root\x1b[8m hidden", "AB:CD");

  assert_no_controls (prompt);
  g_assert_cmpstr (prompt, ==, "The desktop asks this device to trust a new root certificate:\n"
                               "  CN=Root\\x1b[8m hidden\n  SHA-256 AB:CD");
}

/* A certificate for @subject_cn, self-issued: enough for the prompt. */
static GBytes *
old_certificate (const char *subject_cn)
{
  g_autoptr(EVP_PKEY) key = EVP_EC_gen ("P-256");
  g_autoptr(X509) cert = X509_new ();
  g_autoptr(X509_NAME) name = X509_NAME_new ();
  unsigned char *der = NULL;
  int size;
  GBytes *bytes;

  g_assert_true (X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8, (const guint8 *) subject_cn, -1, -1, 0));
  g_assert_true (X509_set_version (cert, X509_VERSION_3));
  g_assert_true (ASN1_INTEGER_set (X509_get_serialNumber (cert), 77));
  g_assert_true (X509_set_subject_name (cert, name));
  g_assert_true (X509_set_issuer_name (cert, name));
  g_assert_nonnull (X509_gmtime_adj (X509_getm_notBefore (cert), 0));
  g_assert_nonnull (X509_gmtime_adj (X509_getm_notAfter (cert), 3600));
  g_assert_true (X509_set_pubkey (cert, key));
  g_assert_cmpint (X509_sign (cert, key, EVP_sha256 ()), >, 0);
  size = i2d_X509 (cert, &der);
  g_assert_cmpint (size, >, 0);
  bytes = g_bytes_new (der, size);
  OPENSSL_free (der);
  return bytes;
}

/* A renewal names the certificate it renews first, escaped, then the request. */
static void
test_prompt_renew (void)
{
  g_autoptr(CradleCsrBuilder) builder = new_builder ("CN=renewed-user");
  g_autoptr(GBytes) old = old_certificate ("old\x1b[2Juser");
  g_autoptr(GBytes) cri = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *prompt = NULL;

  cri = cradle_csr_builder_encode_request_info (builder, &error);
  g_assert_no_error (error);
  prompt = cradle_agent_prompt_renew (old, cri, &error);
  g_assert_no_error (error);
  assert_no_controls (prompt);
  g_assert_true (g_str_has_prefix (prompt, "Renew "));
  g_assert_true (g_str_has_prefix (prompt, "Renew CN = old\\1B[2Juser?\n"));
  g_assert_nonnull (strstr (prompt, "SHA-256:"));
  g_assert_nonnull (strstr (prompt, "with a new certificate request for:\n  Subject:   CN = renewed-user"));

  /* Not a certificate: nothing to show, nothing to sign. */
  g_assert_null (cradle_agent_prompt_renew (cri, cri, &error));
  g_assert_nonnull (error);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/agent-prompt/sign/alt-names", test_prompt_sign_shows_alt_names);
  g_test_add_func ("/agent-prompt/sign/escapes", test_prompt_sign_escapes);
  g_test_add_func ("/agent-prompt/sign/plain", test_prompt_sign_plain);
  g_test_add_func ("/agent-prompt/sign/unreadable", test_prompt_sign_unreadable);
  g_test_add_func ("/agent-prompt/sign/openssl-requests", test_prompt_sign_openssl_requests);
  g_test_add_func ("/agent-prompt/generate-key/escapes", test_prompt_generate_key_escapes);
  g_test_add_func ("/agent-prompt/root/escapes", test_prompt_root_escapes);
  g_test_add_func ("/agent-prompt/renew", test_prompt_renew);
  return g_test_run ();
}
