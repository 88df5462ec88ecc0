/* test-attestation.c: checking a token's attestation of a key
 * (bridge/pkcs11/cradle-attestation.c), and carrying it in a request
 *
 * Every chain is made here by OpenSSL as a YubiKey's is shaped: a vendor
 * root, an attesting (f9) certificate, and the attestation of a slot's key
 * with Yubico's extensions.  No fixture file, no stub: OpenSSL verifies.
 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <openssl/x509v3.h>

#include <cradle/cradle.h>

#include "attestation-test-pki.h"
#include "csr/cradle-csr-private.h"
#include "pkcs11/cradle-attestation-private.h"

typedef struct {
  char          *dir;
  AttPki        *root;
  AttPki        *f9;
  EVP_PKEY      *key;         /* the slot's key the token attests */
  AttExtensions  extensions;
  char          *roots_file;  /* the vendor root alone */
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  X509 *roots[] = { NULL, NULL };

  f->dir = g_dir_make_tmp ("cradle-attestation-XXXXXX", NULL);
  g_assert_nonnull (f->dir);
  f->root = att_make_root ("Test PIV Root CA");
  f->f9 = att_make_issued (f->root, "Test PIV Attestation", TRUE);
  f->key = att_make_key ();
  att_extensions_init (&f->extensions, 12345678);
  roots[0] = f->root->cert;
  f->roots_file = att_write_pem (f->dir, "roots.pem", roots);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GDir) dir = g_dir_open (f->dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (f->dir, name, NULL);

      g_assert_cmpint (g_unlink (path), ==, 0);
    }
  g_assert_cmpint (g_rmdir (f->dir), ==, 0);
  g_free (f->dir);
  g_free (f->roots_file);
  att_pki_free (f->root);
  att_pki_free (f->f9);
  EVP_PKEY_free (f->key);
  att_extensions_clear (&f->extensions);
}

static void
assert_token_failure (const GError        *error,
                      gint                 code,
                      CradleTokenFailure   failure)
{
  CradleExplainKind kind = 0;
  guint32 detail = 0;

  g_assert_error (error, CRADLE_ERROR, code);
  g_assert_true (cradle_explain_get_detail (error, &kind, &detail));
  g_assert_cmpint (kind, ==, CRADLE_EXPLAIN_TOKEN);
  g_assert_cmpuint (detail, ==, failure);
}

static void
test_good_chain (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(X509) attestation = att_make_attestation (f->f9, f->key, &f->extensions);
  g_autoptr(GBytes) der = att_der (attestation);
  g_autoptr(GBytes) f9 = att_der (f->f9->cert);
  g_autoptr(GBytes) spki = att_spki (f->key);
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleAttestation) result = cradle_attestation_verify (der, f9, f->roots_file, spki, &error);

  g_assert_no_error (error);
  g_assert_nonnull (result);
  g_assert_true (result->verified);
  g_assert_cmpstr (result->vendor_root, ==, "CN=Test PIV Root CA,O=Cradle Tests");
  g_assert_cmpstr (result->firmware, ==, "5.4.3");
  g_assert_cmpint (result->serial, ==, 12345678);
  g_assert_cmpuint (result->pin_policy, ==, 2);
  g_assert_cmpuint (result->touch_policy, ==, 1);
  g_assert_nonnull (strstr (result->summary, "serial 12345678"));
  g_assert_nonnull (strstr (result->summary, "firmware 5.4.3"));
  g_assert_nonnull (strstr (result->summary, "PIN once per session"));
  g_assert_nonnull (strstr (result->summary, "touch never"));
  g_assert_nonnull (strstr (result->summary, "CN=Test PIV Root CA"));
}

static void
test_without_extensions (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(X509) attestation = att_make_attestation (f->f9, f->key, NULL);
  g_autoptr(GBytes) der = att_der (attestation);
  g_autoptr(GBytes) f9 = att_der (f->f9->cert);
  g_autoptr(GBytes) spki = att_spki (f->key);
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleAttestation) result = cradle_attestation_verify (der, f9, f->roots_file, spki, &error);

  g_assert_no_error (error);
  g_assert_null (result->firmware);
  g_assert_cmpint (result->serial, ==, -1);
  g_assert_cmpuint (result->pin_policy, ==, 0);
  g_assert_cmpuint (result->touch_policy, ==, 0);
  g_assert_null (strstr (result->summary, "serial"));
}

/* YubiKey 4's f9 certificates are version 1, without basicConstraints. */
static void
test_yubikey4_chain (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(AttPki) f9_v1 = att_make_issued (f->root, "Test PIV Attestation (v1)", FALSE);
  g_autoptr(X509) attestation = att_make_attestation (f9_v1, f->key, &f->extensions);
  g_autoptr(GBytes) der = att_der (attestation);
  g_autoptr(GBytes) f9 = att_der (f9_v1->cert);
  g_autoptr(GBytes) spki = att_spki (f->key);
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleAttestation) result = NULL;

  g_assert_cmpint (X509_get_version (f9_v1->cert), ==, X509_VERSION_1);
  result = cradle_attestation_verify (der, f9, f->roots_file, spki, &error);
  g_assert_no_error (error);
  g_assert_true (result->verified);
}

/* What is forgiven the f9 certificate is forgiven no certificate above it. */
static void
test_non_ca_above_f9 (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(AttPki) not_ca = att_make_issued (f->root, "Not a CA", FALSE);
  g_autoptr(AttPki) f9_under = att_make_issued (not_ca, "Attestation under a non-CA", TRUE);
  g_autoptr(X509) attestation = att_make_attestation (f9_under, f->key, &f->extensions);
  g_autoptr(GBytes) der = att_der (attestation);
  g_autoptr(GBytes) f9 = att_der (f9_under->cert);
  g_autoptr(GBytes) spki = att_spki (f->key);
  g_autoptr(GError) error = NULL;
  g_autofree char *both = NULL;
  X509 *roots[] = { f->root->cert, not_ca->cert, NULL };
  g_autoptr(CradleAttestation) result = NULL;

  both = att_write_pem (f->dir, "root-and-not-ca.pem", roots);
  result = cradle_attestation_verify (der, f9, both, spki, &error);
  g_assert_null (result);
  assert_token_failure (error, CRADLE_ERROR_INVALID_DATA, CRADLE_TOKEN_FAILURE_ATTESTATION_UNTRUSTED);
}

static void
test_wrong_vendor_root (Fixture       *f,
                        gconstpointer  data)
{
  /* The same names, another vendor's keys. */
  g_autoptr(AttPki) other_root = att_make_root ("Test PIV Root CA");
  g_autoptr(AttPki) other_f9 = att_make_issued (other_root, "Test PIV Attestation", TRUE);
  g_autoptr(X509) attestation = att_make_attestation (other_f9, f->key, &f->extensions);
  g_autoptr(GBytes) der = att_der (attestation);
  g_autoptr(GBytes) f9 = att_der (other_f9->cert);
  g_autoptr(GBytes) spki = att_spki (f->key);
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleAttestation) result = cradle_attestation_verify (der, f9, f->roots_file, spki, &error);

  g_assert_null (result);
  assert_token_failure (error, CRADLE_ERROR_INVALID_DATA, CRADLE_TOKEN_FAILURE_ATTESTATION_UNTRUSTED);
  g_assert_nonnull (strstr (error->message, "AttestationRoots"));
  g_test_message ("%s", error->message);
}

static void
test_missing_intermediate (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(X509) attestation = att_make_attestation (f->f9, f->key, &f->extensions);
  g_autoptr(GBytes) der = att_der (attestation);
  g_autoptr(GBytes) spki = att_spki (f->key);
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleAttestation) result = cradle_attestation_verify (der, NULL, f->roots_file, spki, &error);

  g_assert_null (result);
  assert_token_failure (error, CRADLE_ERROR_INVALID_DATA, CRADLE_TOKEN_FAILURE_ATTESTATION_UNTRUSTED);
}

/* An attestation signed by a key other than the f9 certificate's. */
static void
test_bad_signature (Fixture       *f,
                    gconstpointer  data)
{
  AttPki forged = { NULL, f->f9->cert };
  g_autoptr(EVP_PKEY) other_key = att_make_key ();
  g_autoptr(X509) attestation = NULL;
  g_autoptr(GBytes) der = NULL;
  g_autoptr(GBytes) f9 = att_der (f->f9->cert);
  g_autoptr(GBytes) spki = att_spki (f->key);
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleAttestation) result = NULL;

  forged.key = other_key;
  attestation = att_make_attestation (&forged, f->key, &f->extensions);
  der = att_der (attestation);
  result = cradle_attestation_verify (der, f9, f->roots_file, spki, &error);
  g_assert_null (result);
  assert_token_failure (error, CRADLE_ERROR_INVALID_DATA, CRADLE_TOKEN_FAILURE_ATTESTATION_UNTRUSTED);
}

static void
test_another_key (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(EVP_PKEY) other_key = att_make_key ();
  g_autoptr(X509) attestation = att_make_attestation (f->f9, other_key, &f->extensions);
  g_autoptr(GBytes) der = att_der (attestation);
  g_autoptr(GBytes) f9 = att_der (f->f9->cert);
  g_autoptr(GBytes) spki = att_spki (f->key);
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleAttestation) result = cradle_attestation_verify (der, f9, f->roots_file, spki, &error);

  g_assert_null (result);
  assert_token_failure (error, CRADLE_ERROR_INVALID_DATA, CRADLE_TOKEN_FAILURE_ATTESTATION_WRONG_KEY);
  g_assert_nonnull (strstr (error->message, "another key"));
}

static void
test_no_roots (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(X509) attestation = att_make_attestation (f->f9, f->key, &f->extensions);
  g_autoptr(GBytes) der = att_der (attestation);
  g_autoptr(GBytes) f9 = att_der (f->f9->cert);
  g_autoptr(GBytes) spki = att_spki (f->key);
  g_autofree char *missing = g_build_filename (f->dir, "missing.pem", NULL);
  g_autofree char *empty = g_build_filename (f->dir, "empty.pem", NULL);
  const char *files[] = { NULL, "", missing, empty };

  g_assert_true (g_file_set_contents (empty, "not a certificate\n", -1, NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CradleAttestation) result = cradle_attestation_verify (der, f9, files[i], spki, &error);

      g_assert_null (result);
      assert_token_failure (error, CRADLE_ERROR_NOT_CONFIGURED, CRADLE_TOKEN_FAILURE_ATTESTATION_NO_ROOTS);
      g_assert_nonnull (strstr (error->message, "AttestationRoots"));
    }
}

static void
test_malformed_der (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(X509) attestation = att_make_attestation (f->f9, f->key, &f->extensions);
  g_autoptr(GBytes) der = att_der (attestation);
  g_autoptr(GBytes) f9 = att_der (f->f9->cert);
  g_autoptr(GBytes) spki = att_spki (f->key);
  gsize size = g_bytes_get_size (der);
  g_autoptr(GBytes) truncated = g_bytes_new_from_bytes (der, 0, size - 1);
  g_autoptr(GByteArray) trailing = g_byte_array_new ();
  g_autoptr(GBytes) with_trailing = NULL;
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr(GBytes) garbage = g_bytes_new ("\x30\x84\xff\xff\xff\xff", 6);
  g_autoptr(GBytes) huge = NULL;

  g_byte_array_append (trailing, g_bytes_get_data (der, NULL), size);
  g_byte_array_append (trailing, (const guint8 *) "\0", 1);
  with_trailing = g_byte_array_free_to_bytes (g_steal_pointer (&trailing));
  huge = g_bytes_new_take (g_malloc0 (CRADLE_ATTESTATION_MAX_CERTIFICATE_SIZE + 1),
                           CRADLE_ATTESTATION_MAX_CERTIFICATE_SIZE + 1);
  {
    GBytes *bad[] = { truncated, with_trailing, empty, garbage, huge };

    for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr(GError) error = NULL;
        g_autoptr(GError) error_f9 = NULL;
        g_autoptr(CradleAttestation) result = cradle_attestation_verify (bad[i], f9, f->roots_file, spki, &error);
        g_autoptr(CradleAttestation) result_f9 = cradle_attestation_verify (der, bad[i], f->roots_file, spki,
                                                                            &error_f9);

        g_assert_null (result);
        assert_token_failure (error, CRADLE_ERROR_INVALID_DATA, CRADLE_TOKEN_FAILURE_ATTESTATION_UNTRUSTED);
        g_assert_null (result_f9);
        assert_token_failure (error_f9, CRADLE_ERROR_INVALID_DATA, CRADLE_TOKEN_FAILURE_ATTESTATION_UNTRUSTED);
      }
  }
}

/* Each of Yubico's extensions with a value of the wrong shape. */
static void
test_malformed_extensions (Fixture       *f,
                           gconstpointer  data)
{
  static const struct {
    guint       which;   /* 0 firmware, 1 serial, 2 policy */
    const char *value;
    gsize       size;
  } bad[] = {
    { 0, "\x05\x04", 2 },
    { 0, "\x05\x04\x03\x00", 4 },
    { 1, "\x04\x04\x00\xbc\x61\x4e", 6 },           /* an OCTET STRING */
    { 1, "\x02\x01\xff", 3 },                       /* negative */
    { 1, "\x02\x04\x00\xbc\x61", 5 },               /* short */
    { 1, "\x02\x01\x01\x00", 4 },                   /* trailing */
    { 1, "\x02\x09\x00\x01\x02\x03\x04\x05\x06\x07\x08", 11 },  /* too large */
    { 2, "\x02", 1 },
    { 2, "\x02\x01\x00", 3 },
  };
  g_autoptr(GBytes) f9 = att_der (f->f9->cert);
  g_autoptr(GBytes) spki = att_spki (f->key);

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      AttExtensions extensions = { 0 };
      g_autoptr(GBytes) value = g_bytes_new (bad[i].value, bad[i].size);
      g_autoptr(X509) attestation = NULL;
      g_autoptr(GBytes) der = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(CradleAttestation) result = NULL;

      att_extensions_init (&extensions, 7);
      if (bad[i].which == 0)
        {
          g_bytes_unref (extensions.firmware);
          extensions.firmware = g_bytes_ref (value);
        }
      else if (bad[i].which == 1)
        {
          g_bytes_unref (extensions.serial);
          extensions.serial = g_bytes_ref (value);
        }
      else
        {
          g_bytes_unref (extensions.policy);
          extensions.policy = g_bytes_ref (value);
        }
      attestation = att_make_attestation (f->f9, f->key, &extensions);
      der = att_der (attestation);
      result = cradle_attestation_verify (der, f9, f->roots_file, spki, &error);
      g_test_message ("case %" G_GSIZE_FORMAT, i);
      g_assert_null (result);
      assert_token_failure (error, CRADLE_ERROR_INVALID_DATA, CRADLE_TOKEN_FAILURE_ATTESTATION_UNTRUSTED);
      g_assert_nonnull (strstr (error->message, "malformed"));
      att_extensions_clear (&extensions);
    }
}

/* A serial with its sign byte, and policies the table does not name. */
static void
test_extension_edges (Fixture       *f,
                      gconstpointer  data)
{
  AttExtensions extensions = { 0 };
  g_autoptr(X509) attestation = NULL;
  g_autoptr(GBytes) der = NULL;
  g_autoptr(GBytes) f9 = att_der (f->f9->cert);
  g_autoptr(GBytes) spki = att_spki (f->key);
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleAttestation) result = NULL;

  att_extensions_init (&extensions, 1);
  g_bytes_unref (extensions.serial);
  extensions.serial = g_bytes_new ("\x02\x05\x00\xff\xff\xff\xff", 7);
  g_bytes_unref (extensions.policy);
  extensions.policy = g_bytes_new ("\x05\x03", 2);
  attestation = att_make_attestation (f->f9, f->key, &extensions);
  der = att_der (attestation);
  result = cradle_attestation_verify (der, f9, f->roots_file, spki, &error);
  g_assert_no_error (error);
  g_assert_cmpint (result->serial, ==, 0xffffffff);
  g_assert_cmpuint (result->pin_policy, ==, 5);
  g_assert_cmpuint (result->touch_policy, ==, 3);
  g_assert_nonnull (strstr (result->summary, "PIN policy 5"));
  g_assert_nonnull (strstr (result->summary, "touch cached"));
  att_extensions_clear (&extensions);
}

/* The root's name comes from outside: escaped. */
static void
test_root_name_escaped (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(AttPki) root = att_make_root ("Vendor\033[31m Root");
  g_autoptr(AttPki) f9_cert = att_make_issued (root, "Vendor Attestation", TRUE);
  g_autoptr(X509) attestation = att_make_attestation (f9_cert, f->key, &f->extensions);
  g_autoptr(GBytes) der = att_der (attestation);
  g_autoptr(GBytes) f9 = att_der (f9_cert->cert);
  g_autoptr(GBytes) spki = att_spki (f->key);
  g_autoptr(GError) error = NULL;
  X509 *roots[] = { root->cert, NULL };
  g_autofree char *file = att_write_pem (f->dir, "escaped.pem", roots);
  g_autoptr(CradleAttestation) result = cradle_attestation_verify (der, f9, file, spki, &error);

  g_assert_no_error (error);
  g_assert_null (strchr (result->vendor_root, '\033'));
  g_assert_null (strchr (result->summary, '\033'));
  g_assert_nonnull (strstr (result->vendor_root, "Root"));
}

/* ---- in a request ---------------------------------------------------------- */

/* A request for @key with raw extensions (OID, value) as yubico-piv-tool
 * writes them. */
static GBytes *
make_request (EVP_PKEY   *key,
              const char *oid_1,
              GBytes     *value_1,
              const char *oid_2,
              GBytes     *value_2)
{
  g_autoptr(X509_REQ) request = X509_REQ_new ();
  g_autoptr(X509_EXTENSIONS) extensions = sk_X509_EXTENSION_new_null ();
  const char *oids[] = { oid_1, oid_2 };
  GBytes *values[] = { value_1, value_2 };
  unsigned char *der = NULL;
  int size;

  g_assert_true (X509_REQ_set_pubkey (request, key));
  for (guint i = 0; i < G_N_ELEMENTS (oids); i++)
    {
      g_autoptr(ASN1_OBJECT) object = NULL;
      g_autoptr(ASN1_STRING) octets = ASN1_OCTET_STRING_new ();

      if (oids[i] == NULL)
        continue;
      object = OBJ_txt2obj (oids[i], 1);
      g_assert_true (ASN1_OCTET_STRING_set (octets, g_bytes_get_data (values[i], NULL),
                                            (int) g_bytes_get_size (values[i])));
      g_assert_cmpint (sk_X509_EXTENSION_push (extensions, X509_EXTENSION_create_by_OBJ (NULL, object, 0, octets)),
                       >, 0);
    }
  if (sk_X509_EXTENSION_num (extensions) > 0)
    g_assert_true (X509_REQ_add_extensions (request, extensions));
  g_assert_cmpint (X509_REQ_sign (request, key, EVP_sha256 ()), >, 0);
  size = i2d_X509_REQ (request, &der);
  g_assert_cmpint (size, >, 0);
  return cradle_openssl_take_der (der, size);
}

static void
test_request_oids (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(X509) attestation = att_make_attestation (f->f9, f->key, &f->extensions);
  g_autoptr(GBytes) der = att_der (attestation);
  g_autoptr(GBytes) f9 = att_der (f->f9->cert);
  g_autoptr(GBytes) spki = att_spki (f->key);
  /* yubico-piv-tool 2.7.2 and later, then 2.2.0 to 2.7.1 (Debian 12's). */
  g_autoptr(GBytes) current = make_request (f->key, "1.3.6.1.4.1.41482.3.1", der, "1.3.6.1.4.1.41482.3.2", f9);
  g_autoptr(GBytes) old = make_request (f->key, "1.3.6.1.4.1.41482.3.11", der, "1.3.6.1.4.1.41482.3.2", f9);
  GBytes *requests[] = { current, old };

  for (guint i = 0; i < G_N_ELEMENTS (requests); i++)
    {
      g_autoptr(GBytes) found = NULL;
      g_autoptr(GBytes) intermediate = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(CradleAttestation) result = NULL;

      g_assert_true (cradle_attestation_from_request (requests[i], &found, &intermediate, &error));
      g_assert_no_error (error);
      g_assert_true (g_bytes_equal (found, der));
      g_assert_true (g_bytes_equal (intermediate, f9));
      result = cradle_attestation_verify (found, intermediate, f->roots_file, spki, &error);
      g_assert_no_error (error);
      g_assert_cmpint (result->serial, ==, 12345678);
    }
}

static void
test_request_prefers_current_oid (Fixture       *f,
                                  gconstpointer  data)
{
  g_autoptr(EVP_PKEY) other_key = att_make_key ();
  g_autoptr(X509) attestation = att_make_attestation (f->f9, f->key, &f->extensions);
  g_autoptr(X509) other = att_make_attestation (f->f9, other_key, &f->extensions);
  g_autoptr(GBytes) der = att_der (attestation);
  g_autoptr(GBytes) other_der = att_der (other);
  g_autoptr(GBytes) both = make_request (f->key, "1.3.6.1.4.1.41482.3.11", other_der, "1.3.6.1.4.1.41482.3.1", der);
  g_autoptr(GBytes) found = NULL;
  g_autoptr(GBytes) intermediate = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (cradle_attestation_from_request (both, &found, &intermediate, &error));
  g_assert_true (g_bytes_equal (found, der));
  g_assert_null (intermediate);
}

static void
test_request_without (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GBytes) plain = make_request (f->key, NULL, NULL, NULL, NULL);
  g_autoptr(GBytes) bad_value = g_bytes_new ("\x30\x03\x02\x01\x01", 5);
  g_autoptr(GBytes) bad = make_request (f->key, "1.3.6.1.4.1.41482.3.1", bad_value, NULL, NULL);
  g_autoptr(GBytes) not_request = g_bytes_new ("\x30\x00", 2);
  g_autoptr(GBytes) found = NULL;
  g_autoptr(GBytes) intermediate = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_false (cradle_attestation_from_request (plain, &found, &intermediate, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (cradle_attestation_from_request (bad, &found, &intermediate, &error));
  assert_token_failure (error, CRADLE_ERROR_INVALID_DATA, CRADLE_TOKEN_FAILURE_ATTESTATION_UNTRUSTED);
  g_clear_error (&error);
  g_assert_false (cradle_attestation_from_request (not_request, &found, &intermediate, &error));
  assert_token_failure (error, CRADLE_ERROR_INVALID_DATA, CRADLE_TOKEN_FAILURE_ATTESTATION_UNTRUSTED);
  g_assert_null (found);
  g_assert_null (intermediate);
}

/* core/csr writes what the reader reads, where yubico-piv-tool puts it. */
static void
test_request_written_by_builder (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(X509) attestation = att_make_attestation (f->f9, f->key, &f->extensions);
  g_autoptr(GBytes) der = att_der (attestation);
  g_autoptr(GBytes) f9 = att_der (f->f9->cert);
  g_autoptr(GBytes) spki = att_spki (f->key);
  g_autoptr(CradleCsrBuilder) builder = cradle_csr_builder_new ();
  g_autoptr(GBytes) info = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GBytes) request = NULL;
  g_autoptr(GBytes) found = NULL;
  g_autoptr(GBytes) intermediate = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(EVP_MD_CTX) md = EVP_MD_CTX_new ();
  g_autoptr(X509_REQ) parsed = NULL;
  g_autoptr(X509_EXTENSIONS) extensions = NULL;
  g_autoptr(ASN1_OBJECT) oid = OBJ_txt2obj ("1.3.6.1.4.1.41482.3.1", 1);
  const unsigned char *p;
  unsigned char *sig = NULL;
  size_t sig_size = 0;
  int index;

  g_assert_true (cradle_csr_builder_set_public_key (builder, spki, &error));
  g_assert_true (cradle_csr_builder_set_subject_common_name (builder, "token", &error));
  cradle_csr_builder_set_attestation (builder, der, f9);
  info = cradle_csr_builder_encode_request_info (builder, &error);
  g_assert_no_error (error);
  g_assert_true (EVP_DigestSignInit (md, NULL, EVP_sha256 (), NULL, f->key));
  g_assert_true (EVP_DigestSign (md, NULL, &sig_size, g_bytes_get_data (info, NULL), g_bytes_get_size (info)));
  sig = g_malloc (sig_size);
  g_assert_true (EVP_DigestSign (md, sig, &sig_size, g_bytes_get_data (info, NULL), g_bytes_get_size (info)));
  signature = g_bytes_new_take (sig, sig_size);
  request = cradle_csr_assemble (info, "ecdsa-with-SHA256", signature, &error);
  g_assert_no_error (error);

  g_assert_true (cradle_attestation_from_request (request, &found, &intermediate, &error));
  g_assert_true (g_bytes_equal (found, der));
  g_assert_true (g_bytes_equal (intermediate, f9));

  /* Not critical, as yubico-piv-tool writes it. */
  p = g_bytes_get_data (request, NULL);
  parsed = d2i_X509_REQ (NULL, &p, (long) g_bytes_get_size (request));
  extensions = X509_REQ_get_extensions (parsed);
  index = X509v3_get_ext_by_OBJ (extensions, oid, -1);
  g_assert_cmpint (index, >=, 0);
  g_assert_false (X509_EXTENSION_get_critical (X509v3_get_ext (extensions, index)));

  /* Something that is no certificate is refused before anything is encoded. */
  {
    g_autoptr(GBytes) junk = g_bytes_new ("\x30\x00", 2);
    g_autoptr(GBytes) none = NULL;

    cradle_csr_builder_set_attestation (builder, junk, NULL);
    none = cradle_csr_builder_encode_request_info (builder, &error);
    g_assert_null (none);
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) g_test_add ("/attestation/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("good-chain", test_good_chain);
  ADD ("without-extensions", test_without_extensions);
  ADD ("yubikey4-chain", test_yubikey4_chain);
  ADD ("non-ca-above-f9", test_non_ca_above_f9);
  ADD ("wrong-vendor-root", test_wrong_vendor_root);
  ADD ("missing-intermediate", test_missing_intermediate);
  ADD ("bad-signature", test_bad_signature);
  ADD ("another-key", test_another_key);
  ADD ("no-roots", test_no_roots);
  ADD ("malformed-der", test_malformed_der);
  ADD ("malformed-extensions", test_malformed_extensions);
  ADD ("extension-edges", test_extension_edges);
  ADD ("root-name-escaped", test_root_name_escaped);
  ADD ("request/oids", test_request_oids);
  ADD ("request/prefers-current-oid", test_request_prefers_current_oid);
  ADD ("request/without", test_request_without);
  ADD ("request/written-by-builder", test_request_written_by_builder);
#undef ADD
  return g_test_run ();
}
