/* test-cert-details.c: one certificate on a device, in full, against the real agent
 *
 * Certificates made with OpenSSL here (every kind of subject alternative
 * name, known and unknown extended key usages, a template name, hostile
 * text, a chain with a gap) are installed on a real cradle-agent and read
 * back through LIST_CERTS into CradleCertDetails; exports are compared
 * byte for byte; removals go through DELETE_CERT with the device's user
 * saying yes, no, or being asked (the prompt read from the "waiting"
 * signal) and a removed MY certificate's key shown retired.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <openssl/pem.h>
#include <cradle/cradle.h>

#include "agent-fixture.h"
#include "cert-details-test-support.h"

typedef struct {
  EVP_PKEY *root_key;
  EVP_PKEY *ca_key;
  X509     *root;
  X509     *ca;
  X509     *leaf;
  EVP_PKEY *device_key;  /* public */
  GBytes   *key_id;
} Pki;

static void
pki_clear (Pki *pki)
{
  g_clear_pointer (&pki->root_key, EVP_PKEY_free);
  g_clear_pointer (&pki->ca_key, EVP_PKEY_free);
  g_clear_pointer (&pki->root, X509_free);
  g_clear_pointer (&pki->ca, X509_free);
  g_clear_pointer (&pki->leaf, X509_free);
  g_clear_pointer (&pki->device_key, EVP_PKEY_free);
  g_clear_pointer (&pki->key_id, g_bytes_unref);
}

#define LEAF_SAN "DNS:device.example.org, email:alice@example.org, " \
                 "otherName:1.3.6.1.4.1.311.20.2.3;UTF8:alice@corp.example.org, " \
                 "URI:https://example.org/alice, IP:192.0.2.7, IP:2001:db8::7, RID:1.2.3.4"

/* Root (Root store) -> issuing CA (CA store) -> the device's own key's
 * certificate (MY, bound to the key), with @install_root FALSE leaving
 * the root out. */
static void
pki_install (AgentFixture *fixture,
             Pki          *pki,
             gboolean      install_root)
{
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GBytes) root_der = NULL;
  g_autoptr(GBytes) ca_der = NULL;
  g_autoptr(GBytes) leaf_der = NULL;
  g_autoptr(GError) error = NULL;
  CertSpec root = { .subject_cn = "Details Root", .serial = 1, .ca = TRUE, .key_usage = "keyCertSign, cRLSign" };
  CertSpec ca = { .subject_cn = "Details Issuing CA", .serial = 2, .ca = TRUE };
  CertSpec leaf = { .subject_cn = "Alice", .serial = 0x1234abcd, .san = LEAF_SAN,
                    .eku = "clientAuth, emailProtection, 1.3.6.1.4.1.311.20.2.2, 1.2.3.4.5",
                    .key_usage = "critical, digitalSignature, keyEncipherment", .template_name = "User" };

  pki->root_key = test_key_new ();
  pki->ca_key = test_key_new ();
  root.key = root.issuer_key = pki->root_key;
  pki->root = cert_spec_build (&root);
  ca.key = pki->ca_key;
  ca.issuer = pki->root;
  ca.issuer_key = pki->root_key;
  pki->ca = cert_spec_build (&ca);

  pki->key_id = cradle_device_generate_key (fixture->device, "p256", "details test", &spki, NULL, &error);
  g_assert_no_error (error);
  pki->device_key = test_public_key_from_der (spki);
  leaf.key = pki->device_key;
  leaf.issuer = pki->ca;
  leaf.issuer_key = pki->ca_key;
  pki->leaf = cert_spec_build (&leaf);

  root_der = cert_der (pki->root);
  ca_der = cert_der (pki->ca);
  leaf_der = cert_der (pki->leaf);
  if (install_root)
    g_ptr_array_add (batch, cradle_device_cert_new ("Root", "user", root_der, NULL));
  g_ptr_array_add (batch, cradle_device_cert_new ("CA", "user", ca_der, NULL));
  g_ptr_array_add (batch, cradle_device_cert_new ("MY", "user", leaf_der, pki->key_id));
  g_assert_true (cradle_device_install (fixture->device, batch, NULL, NULL, &error));
  g_assert_no_error (error);
}

static GPtrArray *
list_all (AgentFixture *fixture)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *certs = cradle_device_list_certs (fixture->device, NULL, NULL, NULL, &error);

  g_assert_no_error (error);
  return certs;
}

static char *
hex_digest (GChecksumType type,
            X509         *x509)
{
  g_autoptr(GBytes) der = cert_der (x509);

  return g_compute_checksum_for_bytes (type, der);
}

static CradleCertDetails *
find (AgentFixture *fixture,
      const char   *query)
{
  g_autoptr(GPtrArray) certs = list_all (fixture);
  g_autoptr(GError) error = NULL;
  CradleCertDetails *details = cradle_cert_details_find (certs, query, &error);

  g_assert_no_error (error);
  g_assert_nonnull (details);
  return details;
}

/* Every name kind, the uses by name, key usage, template, fingerprints,
 * validity, key origin and the verified chain up to the root. */
static void
test_details (void)
{
  AgentFixture fixture = { 0 };
  Pki pki = { 0 };
  g_autoptr(CradleCertDetails) details = NULL;
  g_autofree char *sha1 = NULL;
  g_autofree char *sha256 = NULL;
  g_autofree char *root_sha256 = NULL;
  const char *const sans[] = {
    "DNS:device.example.org", "email:alice@example.org", "UPN:alice@corp.example.org",
    "URI:https://example.org/alice", "IP:192.0.2.7", "IP:2001:db8::7", "RID:1.2.3.4", NULL,
  };
  const char *const ekus[] = {
    "Client Authentication (1.3.6.1.5.5.7.3.2)", "Secure Email (1.3.6.1.5.5.7.3.4)",
    "Smart Card Logon (1.3.6.1.4.1.311.20.2.2)", "1.2.3.4.5", NULL,
  };
  const char *const key_usage[] = { "digitalSignature", "keyEncipherment", NULL };
  GPtrArray *chain;
  GDateTime *not_before;

  agent_fixture_start (&fixture, "--confirm=approve", NULL);
  pki_install (&fixture, &pki, TRUE);

  details = find (&fixture, "1234ABCD");
  g_assert_cmpstr (cradle_cert_details_get_subject (details), ==, "CN = Alice");
  g_assert_cmpstr (cradle_cert_details_get_issuer (details), ==, "CN = Details Issuing CA");
  g_assert_cmpstr (cradle_cert_details_get_store (details), ==, "MY");
  g_assert_cmpstr (cradle_cert_details_get_scope (details), ==, "user");
  g_assert_cmpstr (cradle_cert_details_get_serial (details), ==, "1234abcd");
  sha1 = hex_digest (G_CHECKSUM_SHA1, pki.leaf);
  sha256 = hex_digest (G_CHECKSUM_SHA256, pki.leaf);
  g_assert_cmpstr (cradle_cert_details_get_sha1 (details), ==, sha1);
  g_assert_cmpstr (cradle_cert_details_get_sha256 (details), ==, sha256);
  g_assert_true (g_strv_equal ((const char * const *) cradle_cert_details_get_sans (details), sans));
  g_assert_cmpuint (cradle_cert_details_get_sans_omitted (details), ==, 0);
  g_assert_true (g_strv_equal ((const char * const *) cradle_cert_details_get_ekus (details), ekus));
  g_assert_true (g_strv_equal ((const char * const *) cradle_cert_details_get_key_usage (details), key_usage));
  g_assert_false (cradle_cert_details_is_ca (details));
  g_assert_cmpstr (cradle_cert_details_get_template (details), ==, "User");
  g_assert_cmpstr (cradle_cert_details_get_key_origin (details), ==, "generated");
  g_assert_cmpuint (g_strv_length ((char **) cradle_cert_details_get_problems (details)), ==, 0);
  not_before = cradle_cert_details_get_not_before (details);
  g_assert_nonnull (not_before);
  g_assert_cmpint (g_date_time_compare (not_before, cradle_cert_details_get_not_after (details)), <, 0);

  /* The chain, nearest first, each link checked by signature, to the root. */
  chain = cradle_cert_details_get_chain (details);
  g_assert_cmpuint (chain->len, ==, 2);
  g_assert_cmpstr (cradle_cert_details_get_subject (g_ptr_array_index (chain, 0)), ==, "CN = Details Issuing CA");
  g_assert_cmpstr (cradle_cert_details_get_store (g_ptr_array_index (chain, 0)), ==, "CA");
  g_assert_cmpstr (cradle_cert_details_get_subject (g_ptr_array_index (chain, 1)), ==, "CN = Details Root");
  g_assert_cmpstr (cradle_cert_details_get_store (g_ptr_array_index (chain, 1)), ==, "Root");
  g_assert_true (cradle_cert_details_chain_is_complete (details));
  g_assert_null (cradle_cert_details_get_chain_problem (details));

  /* The root: self-signed, complete on its own, a CA, no key. */
  root_sha256 = hex_digest (G_CHECKSUM_SHA256, pki.root);
  {
    g_autofree char *prefix = g_strndup (root_sha256, 12);
    g_autoptr(CradleCertDetails) root = find (&fixture, prefix);
    const char *const root_usage[] = { "keyCertSign", "cRLSign", NULL };

    g_assert_cmpstr (cradle_cert_details_get_sha256 (root), ==, root_sha256);
    g_assert_true (cradle_cert_details_is_ca (root));
    g_assert_true (cradle_cert_details_chain_is_complete (root));
    g_assert_cmpuint (cradle_cert_details_get_chain (root)->len, ==, 0);
    g_assert_cmpstr (cradle_cert_details_get_key_origin (root), ==, "none");
    g_assert_null (cradle_cert_details_get_template (root));
    g_assert_cmpuint (g_strv_length ((char **) cradle_cert_details_get_sans (root)), ==, 0);
    g_assert_cmpuint (g_strv_length ((char **) cradle_cert_details_get_ekus (root)), ==, 0);
    g_assert_true (g_strv_equal ((const char * const *) cradle_cert_details_get_key_usage (root), root_usage));
  }

  pki_clear (&pki);
  agent_fixture_stop (&fixture);
}

/* A serial, a fingerprint prefix with colons, or nothing that matches;
 * a serial two certificates share is refused, listing both. */
static void
test_find (void)
{
  AgentFixture fixture = { 0 };
  Pki pki = { 0 };
  g_autoptr(GPtrArray) certs = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCertDetails) details = NULL;
  g_autoptr(EVP_PKEY) other_key = test_key_new ();
  g_autoptr(X509) other = NULL;
  g_autoptr(GBytes) other_der = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *sha256 = NULL;
  g_autofree char *colons = NULL;
  CertSpec spec = { .subject_cn = "Same Serial", .serial = 2, .ca = TRUE };

  agent_fixture_start (&fixture, "--confirm=approve", NULL);
  pki_install (&fixture, &pki, TRUE);
  certs = list_all (&fixture);

  /* Leading zeros and colons as certutil writes them. */
  details = cradle_cert_details_find (certs, "00:12:34:ab:cd", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cradle_cert_details_get_subject (details), ==, "CN = Alice");
  g_clear_object (&details);

  sha256 = hex_digest (G_CHECKSUM_SHA256, pki.ca);
  colons = g_strdup_printf ("%.2s:%.2s:%.2s", sha256, sha256 + 2, sha256 + 4);
  details = cradle_cert_details_find (certs, colons, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cradle_cert_details_get_sha256 (details), ==, sha256);
  g_clear_object (&details);

  g_assert_null (cradle_cert_details_find (certs, "77777777", &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (cradle_cert_details_find (certs, "not-hex\x1b[2J", &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_null (strchr (error->message, '\x1b'));
  g_clear_error (&error);

  /* A second certificate with serial 2 (the issuing CA's). */
  spec.key = spec.issuer_key = other_key;
  other = cert_spec_build (&spec);
  other_der = cert_der (other);
  g_ptr_array_add (batch, cradle_device_cert_new ("CA", "user", other_der, NULL));
  g_assert_true (cradle_device_install (fixture.device, batch, NULL, NULL, &error));
  g_assert_no_error (error);
  g_clear_pointer (&certs, g_ptr_array_unref);
  certs = list_all (&fixture);
  g_assert_null (cradle_cert_details_find (certs, "02", &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "2 certificates"));
  g_assert_nonnull (strstr (error->message, "Same Serial"));
  g_assert_nonnull (strstr (error->message, "Details Issuing CA"));

  pki_clear (&pki);
  agent_fixture_stop (&fixture);
}

/* No byte of @text is a control, DEL or outside UTF-8. */
static void
assert_shown_safely (const char *text)
{
  g_assert_true (g_utf8_validate (text, -1, NULL));
  for (const char *p = text; *p != '\0'; p++)
    g_assert_false (g_ascii_iscntrl (*p));
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      g_assert_false (c >= 0x80 && c <= 0x9f);
      g_assert_false (c == 0x202e || c == 0x2066);
    }
}

/* A subject with ESC sequences, a bell, a C1 CSI, a bidi override and a
 * byte that is not UTF-8, and 1,000 DNS names, one with an OSC sequence
 * and a line break: everything is shown escaped, the names cut at 256. */
static void
test_hostile (void)
{
  AgentFixture fixture = { 0 };
  g_autoptr(EVP_PKEY) key = test_key_new ();
  static const char evil[] = "\x1b[2J\x1b]0;owned\x07" "Evil\xc2\x9b" "31m\xe2\x80\xae" "gpj.exe\xff";
  g_autoptr(GBytes) raw_cn = g_bytes_new_static (evil, sizeof evil - 1);
  CertSpec spec = { .raw_cn = raw_cn, .serial = 66, .many_dns = 1000, .eku = "serverAuth" };
  g_autoptr(X509) hostile = NULL;
  g_autoptr(GBytes) der = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(CradleCertDetails) details = NULL;
  g_autoptr(GError) error = NULL;
  const char * const *sans;

  agent_fixture_start (&fixture, "--confirm=approve", NULL);
  spec.key = spec.issuer_key = key;
  hostile = cert_spec_build (&spec);
  der = cert_der (hostile);
  g_assert_cmpuint (g_bytes_get_size (der), >, 16000);
  g_ptr_array_add (batch, cradle_device_cert_new ("CA", "user", der, NULL));
  g_assert_true (cradle_device_install (fixture.device, batch, NULL, NULL, &error));
  g_assert_no_error (error);

  details = find (&fixture, "42");
  assert_shown_safely (cradle_cert_details_get_subject (details));
  assert_shown_safely (cradle_cert_details_get_issuer (details));
  g_assert_cmpstr (cradle_cert_details_get_subject (details), ==,
                   "CN = \\x1b[2J\\x1b]0;owned\\x07Evil\\u009b31m\\u202egpj.exe\\xff");
  sans = cradle_cert_details_get_sans (details);
  g_assert_cmpuint (g_strv_length ((char **) sans), ==, CRADLE_CERT_DETAILS_MAX_NAMES);
  g_assert_cmpuint (cradle_cert_details_get_sans_omitted (details), ==, 1000 - CRADLE_CERT_DETAILS_MAX_NAMES);
  for (guint i = 0; sans[i] != NULL; i++)
    assert_shown_safely (sans[i]);
  g_assert_cmpstr (sans[0], ==, "DNS:\\x1b]0;owned\\x07evil.example\\r\\nDNS:forged.example");
  g_assert_cmpstr (sans[255], ==, "DNS:host255.example");
  /* Its own signature verifies: a complete chain of one. */
  g_assert_true (cradle_cert_details_chain_is_complete (details));

  agent_fixture_stop (&fixture);
}

/* The issuing CA without its root: the chain stops there and says why. */
static void
test_incomplete_chain (void)
{
  AgentFixture fixture = { 0 };
  Pki pki = { 0 };
  g_autoptr(CradleCertDetails) details = NULL;
  GPtrArray *chain;

  agent_fixture_start (&fixture, "--confirm=approve", NULL);
  pki_install (&fixture, &pki, FALSE);

  details = find (&fixture, "1234abcd");
  chain = cradle_cert_details_get_chain (details);
  g_assert_cmpuint (chain->len, ==, 1);
  g_assert_cmpstr (cradle_cert_details_get_subject (g_ptr_array_index (chain, 0)), ==, "CN = Details Issuing CA");
  g_assert_false (cradle_cert_details_chain_is_complete (details));
  g_assert_nonnull (strstr (cradle_cert_details_get_chain_problem (details), "'CN = Details Root' is not on the device"));

  pki_clear (&pki);
  agent_fixture_stop (&fixture);
}

/* A certificate that names an issuer on the device but was not signed by
 * it (same name, another key) is not shown as issued by it. */
static void
test_forged_issuer (void)
{
  AgentFixture fixture = { 0 };
  Pki pki = { 0 };
  g_autoptr(EVP_PKEY) forger = test_key_new ();
  g_autoptr(EVP_PKEY) key = test_key_new ();
  CertSpec spec = { .subject_cn = "Forged", .serial = 77, .key = key, .issuer_key = forger };
  g_autoptr(X509) forged = NULL;
  g_autoptr(GBytes) der = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(CradleCertDetails) details = NULL;
  g_autoptr(GError) error = NULL;

  agent_fixture_start (&fixture, "--confirm=approve", NULL);
  pki_install (&fixture, &pki, TRUE);
  spec.issuer = pki.ca;
  forged = cert_spec_build (&spec);
  der = cert_der (forged);
  g_ptr_array_add (batch, cradle_device_cert_new ("CA", "user", der, NULL));
  g_assert_true (cradle_device_install (fixture.device, batch, NULL, NULL, &error));
  g_assert_no_error (error);

  details = find (&fixture, "4d");
  g_assert_cmpuint (cradle_cert_details_get_chain (details)->len, ==, 0);
  g_assert_false (cradle_cert_details_chain_is_complete (details));
  g_assert_nonnull (strstr (cradle_cert_details_get_chain_problem (details), "does not verify"));

  pki_clear (&pki);
  agent_fixture_stop (&fixture);
}

static GBytes *
read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *data = NULL;
  gsize size = 0;

  g_assert_true (g_file_get_contents (path, &data, &size, &error));
  g_assert_no_error (error);
  return g_bytes_new_take (data, size);
}

/* DER is the device's bytes; PEM reads back (OpenSSL) to the same bytes;
 * a file is written whole and replaces what was there. */
static void
test_export (void)
{
  AgentFixture fixture = { 0 };
  Pki pki = { 0 };
  g_autoptr(CradleCertDetails) details = NULL;
  g_autoptr(GBytes) der = NULL;
  g_autoptr(GBytes) pem = NULL;
  g_autoptr(GBytes) expected = NULL;
  g_autoptr(BIO) bio = NULL;
  g_autoptr(X509) read_back = NULL;
  g_autoptr(GBytes) read_der = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = g_dir_make_tmp ("cradle-export-XXXXXX", NULL);
  g_autofree char *der_path = g_build_filename (folder, "alice.cer", NULL);
  g_autofree char *pem_path = g_build_filename (folder, "alice.pem", NULL);
  g_autoptr(GBytes) der_file = NULL;
  g_autoptr(GBytes) pem_file = NULL;

  agent_fixture_start (&fixture, "--confirm=approve", NULL);
  pki_install (&fixture, &pki, TRUE);
  details = find (&fixture, "1234abcd");
  expected = cert_der (pki.leaf);

  der = cradle_cert_details_export (details, CRADLE_CERT_FORMAT_DER);
  g_assert_true (g_bytes_equal (der, expected));

  pem = cradle_cert_details_export (details, CRADLE_CERT_FORMAT_PEM);
  g_assert_true (g_str_has_prefix (g_bytes_get_data (pem, NULL), "-----BEGIN CERTIFICATE-----\n"));
  bio = BIO_new_mem_buf (g_bytes_get_data (pem, NULL), (int) g_bytes_get_size (pem));
  read_back = PEM_read_bio_X509 (bio, NULL, NULL, NULL);
  g_assert_nonnull (read_back);
  read_der = cert_der (read_back);
  g_assert_true (g_bytes_equal (read_der, expected));

  g_assert_true (g_file_set_contents (der_path, "old content", -1, NULL));
  g_assert_true (cradle_cert_details_export_to_file (details, CRADLE_CERT_FORMAT_DER, der_path, &error));
  g_assert_no_error (error);
  g_assert_true (cradle_cert_details_export_to_file (details, CRADLE_CERT_FORMAT_PEM, pem_path, &error));
  g_assert_no_error (error);
  der_file = read_file (der_path);
  pem_file = read_file (pem_path);
  g_assert_true (g_bytes_equal (der_file, expected));
  g_assert_true (g_bytes_equal (pem_file, pem));

  /* A folder that is not there: an error naming it, nothing written. */
  {
    g_autofree char *missing = g_build_filename (folder, "no-such-folder", "x.pem", NULL);

    g_assert_false (cradle_cert_details_export_to_file (details, CRADLE_CERT_FORMAT_PEM, missing, &error));
    g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    g_assert_nonnull (strstr (error->message, "Could not write the certificate"));
    g_clear_error (&error);
  }

  g_assert_cmpint (g_unlink (der_path), ==, 0);
  g_assert_cmpint (g_unlink (pem_path), ==, 0);
  g_assert_cmpint (g_rmdir (folder), ==, 0);
  pki_clear (&pki);
  agent_fixture_stop (&fixture);
}

static gboolean
device_holds (AgentFixture *fixture,
              const char   *sha256)
{
  g_autoptr(GPtrArray) certs = list_all (fixture);

  for (guint i = 0; i < certs->len; i++)
    {
      g_autofree char *hex = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256,
                                                           cradle_device_cert_get_der (g_ptr_array_index (certs, i)));

      if (g_str_equal (hex, sha256))
        return TRUE;
    }
  return FALSE;
}

typedef struct {
  GCancellable *cancellable;
  char         *prompt;
  GError       *error;
  gboolean      done;
} Asked;

static void
keep_prompt_and_cancel (CradleDevice *device,
                        guint         status,
                        const char   *prompt,
                        gpointer      user_data)
{
  Asked *asked = user_data;

  if (status == 1 && asked->prompt == NULL)
    {
      asked->prompt = g_strdup (prompt);
      g_cancellable_cancel (asked->cancellable);
    }
}

static void
remove_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Asked *asked = user_data;

  g_assert_false (cradle_cert_details_remove_finish (CRADLE_CERT_DETAILS (source), result, &asked->error));
  asked->done = TRUE;
}

/* What the device's user is asked before @details goes; the question is
 * left unanswered and the removal cancelled. */
static char *
prompt_for_removal (AgentFixture      *fixture,
                    CradleCertDetails *details)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Asked asked = { cancellable, NULL, NULL, FALSE };
  gulong handler = g_signal_connect (fixture->device, "waiting", G_CALLBACK (keep_prompt_and_cancel), &asked);

  cradle_cert_details_remove_async (details, fixture->device, NULL, cancellable, remove_done, &asked);
  while (!asked.done)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handler_disconnect (fixture->device, handler);
  g_assert_error (asked.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&asked.error);
  g_assert_nonnull (asked.prompt);
  return asked.prompt;
}

/* Each removal is asked of the device's user, naming the certificate by
 * its SHA-256; a root says what trust goes; a no keeps everything. */
static void
test_remove_declined (void)
{
  AgentFixture fixture = { 0 };
  Pki pki = { 0 };
  g_autoptr(CradleCertDetails) root = NULL;
  g_autoptr(CradleCertDetails) ca = NULL;
  g_autoptr(CradleCertDetails) leaf = NULL;
  g_autofree char *root_prompt = NULL;
  g_autofree char *ca_prompt = NULL;
  g_autofree char *leaf_prompt = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) ca_sha256 = NULL;
  g_autoptr(GBytes) root_sha256 = NULL;

  agent_fixture_start (&fixture, "--confirm=approve", NULL);
  pki_install (&fixture, &pki, TRUE);
  root = find (&fixture, "01");
  ca = find (&fixture, "02");
  leaf = find (&fixture, "1234abcd");

  /* What the device shows: asked with no answer coming, then cancelled. */
  agent_fixture_restart (&fixture, "--confirm=approve", "--confirm-delete=never", NULL);
  root_prompt = prompt_for_removal (&fixture, root);
  g_assert_nonnull (strstr (root_prompt, "root certificate"));
  g_assert_nonnull (strstr (root_prompt, "no longer trust"));
  g_assert_nonnull (strstr (root_prompt, "CN = Details Root"));
  g_assert_nonnull (strstr (root_prompt, cradle_cert_details_get_sha256 (root)));
  ca_prompt = prompt_for_removal (&fixture, ca);
  g_assert_nonnull (strstr (ca_prompt, "CN = Details Issuing CA"));
  g_assert_nonnull (strstr (ca_prompt, cradle_cert_details_get_sha256 (ca)));
  leaf_prompt = prompt_for_removal (&fixture, leaf);
  g_assert_nonnull (strstr (leaf_prompt, "CN = Alice"));
  g_assert_nonnull (strstr (leaf_prompt, cradle_cert_details_get_sha256 (leaf)));
  g_assert_nonnull (strstr (leaf_prompt, "its key"));
  g_assert_nonnull (strstr (leaf_prompt, "Key: "));

  /* The user says no: each certificate stays. */
  agent_fixture_restart (&fixture, "--confirm=approve", "--confirm-delete=decline", NULL);
  g_assert_false (cradle_cert_details_remove (root, fixture.device, NULL, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_USER_DECLINED);
  g_clear_error (&error);
  g_assert_false (cradle_cert_details_remove (ca, fixture.device, NULL, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_USER_DECLINED);
  g_clear_error (&error);
  g_assert_false (cradle_cert_details_remove (leaf, fixture.device, NULL, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_USER_DECLINED);
  g_clear_error (&error);
  g_assert_true (device_holds (&fixture, cradle_cert_details_get_sha256 (root)));
  g_assert_true (device_holds (&fixture, cradle_cert_details_get_sha256 (ca)));
  g_assert_true (device_holds (&fixture, cradle_cert_details_get_sha256 (leaf)));

  /* A root is the device's to decide even when the host does not ask for
   * it (plain DELETE_CERT); a CA certificate is asked about only when the
   * host asks, as renewals' clean-up relies on. */
  root_sha256 = test_sha256 (cradle_device_cert_get_der (cradle_cert_details_get_device_cert (root)));
  g_assert_false (cradle_device_delete_cert (fixture.device, "Root", "user", root_sha256, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_USER_DECLINED);
  g_clear_error (&error);
  g_assert_true (device_holds (&fixture, cradle_cert_details_get_sha256 (root)));
  ca_sha256 = test_sha256 (cradle_device_cert_get_der (cradle_cert_details_get_device_cert (ca)));
  g_assert_true (cradle_device_delete_cert (fixture.device, "CA", "user", ca_sha256, NULL, &error));
  g_assert_no_error (error);

  pki_clear (&pki);
  agent_fixture_stop (&fixture);
}

/* A yes removes it; a MY certificate's key goes with it, for good: the
 * key signs nothing and no certificate can be bound to it again. */
static void
test_remove_confirmed (void)
{
  AgentFixture fixture = { 0 };
  Pki pki = { 0 };
  g_autoptr(CradleCertDetails) leaf = NULL;
  g_autoptr(CradleCertDetails) root = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) info = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GBytes) leaf_der = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) mine = NULL;

  agent_fixture_start (&fixture, "--confirm=approve", NULL);
  pki_install (&fixture, &pki, TRUE);
  leaf = find (&fixture, "1234abcd");
  root = find (&fixture, "01");

  g_assert_true (cradle_cert_details_remove (leaf, fixture.device, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (device_holds (&fixture, cradle_cert_details_get_sha256 (leaf)));
  mine = cradle_device_list_certs (fixture.device, "MY", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (mine->len, ==, 0);

  /* The key is retired: it signs no request, takes no certificate. */
  info = test_request_info (pki.device_key, "Alice");
  signature = cradle_device_sign_request (fixture.device, pki.key_id, info, "sha256", NULL, NULL, &error);
  g_assert_null (signature);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);
  leaf_der = cert_der (pki.leaf);
  g_ptr_array_add (batch, cradle_device_cert_new ("MY", "user", leaf_der, pki.key_id));
  g_assert_false (cradle_device_install (fixture.device, batch, NULL, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);

  /* A root with its user's yes. */
  g_assert_true (cradle_cert_details_remove (root, fixture.device, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (device_holds (&fixture, cradle_cert_details_get_sha256 (root)));
  /* Gone already: not found, nothing asked. */
  g_assert_false (cradle_cert_details_remove (root, fixture.device, NULL, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);

  pki_clear (&pki);
  agent_fixture_stop (&fixture);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cert-details/details", test_details);
  g_test_add_func ("/cert-details/find", test_find);
  g_test_add_func ("/cert-details/hostile", test_hostile);
  g_test_add_func ("/cert-details/incomplete-chain", test_incomplete_chain);
  g_test_add_func ("/cert-details/forged-issuer", test_forged_issuer);
  g_test_add_func ("/cert-details/export", test_export);
  g_test_add_func ("/cert-details/remove/declined", test_remove_declined);
  g_test_add_func ("/cert-details/remove/confirmed", test_remove_confirmed);
  return g_test_run ();
}
