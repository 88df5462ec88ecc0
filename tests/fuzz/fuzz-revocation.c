/* fuzz-revocation.c: libFuzzer harness for what a revocation check reads
 * (core/revocation: cradle-ocsp.c, cradle-crl.c, cradle-leaf.c;
 * core/lifecycle/cradle-template-extension.c)
 *
 * Outside bytes: an OCSP answer from a responder or the cache, a CRL from
 * a CDP (HTTP, the directory) or the cache, a device's certificate with
 * its AIA, CDP and template extensions.  The first byte chooses the
 * reader, the rest is its input.  Answers are checked against a CA and a
 * certificate made here, so they are refused after parsing; the harness
 * looks for crashes, leaks, hangs and errors without a message. */
#include "config.h"

#include <string.h>
#include <glib.h>
#include <openssl/ocsp.h>
#include <cradle/cradle.h>

#include "revocation/cradle-revocation-private.h"
#include "lifecycle/cradle-lifecycle-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static X509 *ca;
static CradleLeaf *leaf;

static X509 *
make_cert (EVP_PKEY   *key,
           EVP_PKEY   *signer,
           const char *name,
           const char *issuer)
{
  X509 *cert = X509_new ();

  X509_set_version (cert, 2);
  ASN1_INTEGER_set (X509_get_serialNumber (cert), 4242);
  X509_gmtime_adj (X509_getm_notBefore (cert), -3600);
  X509_gmtime_adj (X509_getm_notAfter (cert), 3600);
  X509_NAME_add_entry_by_txt (X509_get_subject_name (cert), "CN", MBSTRING_UTF8, (const guchar *) name, -1, -1, 0);
  X509_NAME_add_entry_by_txt (X509_get_issuer_name (cert), "CN", MBSTRING_UTF8, (const guchar *) issuer, -1, -1, 0);
  X509_set_pubkey (cert, key);
  g_assert (X509_sign (cert, signer, EVP_sha256 ()) > 0);
  return cert;
}

static void
set_up (void)
{
  g_autoptr(EVP_PKEY) ca_key = EVP_EC_gen ("P-256");
  g_autoptr(EVP_PKEY) leaf_key = EVP_EC_gen ("P-256");
  g_autoptr(X509) leaf_cert = NULL;
  unsigned char *der = NULL;
  int der_size;
  g_autoptr(GBytes) bytes = NULL;

  ca = make_cert (ca_key, ca_key, "Fuzz CA", "Fuzz CA");
  leaf_cert = make_cert (leaf_key, ca_key, "fuzz", "Fuzz CA");
  der_size = i2d_X509 (leaf_cert, &der);
  bytes = cradle_openssl_take_der (der, der_size);
  leaf = cradle_leaf_new_from_der (bytes, NULL);
  g_assert (leaf != NULL);
}

/* FALSE comes with an error for people (called after the reader: the
 * arguments of one call are evaluated in no set order). */
static void
assert_error (gboolean  ok,
              GError  **error)
{
  if (ok)
    return;
  g_assert (*error != NULL && (*error)->domain == CRADLE_ERROR);
  g_assert (g_utf8_validate ((*error)->message, -1, NULL) && (*error)->message[0] != '\0');
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GBytes) input = NULL;
  g_autoptr(CradleRevocationResult) result = cradle_revocation_result_new ();
  g_autoptr(GError) error = NULL;

  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  if (ca == NULL)
    set_up ();
  if (size < 1)
    return 0;
  input = g_bytes_new (data + 1, size - 1);
  switch (data[0] % 4)
    {
    case 0:
      {
        g_autoptr(GBytes) nonce = g_bytes_new_static ("0123456789abcdef0123456789abcdef", 32);

        gboolean ok = cradle_ocsp_check_response (input, leaf, ca, NULL, nonce, g_get_real_time () / G_USEC_PER_SEC,
                                                  result, &error);

        assert_error (ok, &error);
        break;
      }
    case 1:
      {
        gboolean ok = cradle_crl_check (input, leaf, ca, g_get_real_time () / G_USEC_PER_SEC, result, &error);

        assert_error (ok, &error);
        break;
      }
    case 2:
      {
        g_autoptr(CradleLeaf) outline = cradle_leaf_new_from_der (input, &error);
        g_autofree char *ocsp = NULL;
        g_auto(GStrv) crls = NULL;
        g_autofree char *oid = NULL;
        g_autofree char *name = NULL;
        guint major = 0;

        assert_error (outline != NULL, &error);
        if (outline == NULL)
          break;
        ocsp = cradle_ocsp_dup_url (outline);
        crls = cradle_crl_dup_urls (outline);
        cradle_template_extension_read (cradle_leaf_get_extensions (outline), &oid, &major, &name);
        /* A scheme is case-insensitive (RFC 3986 3.1): "hTTp://" is http. */
        g_assert (ocsp == NULL || g_ascii_strncasecmp (ocsp, "http://", 7) == 0);
        g_assert (name == NULL || g_utf8_validate (name, -1, NULL));
        (void) cradle_leaf_is_issued_by (outline, ca);
        break;
      }
    default:
      {
        g_autoptr(GBytes) signer = NULL;
        g_autoptr(GBytes) stripped = cradle_ocsp_strip_certs (input, &signer, &error);

        assert_error (stripped != NULL, &error);
        break;
      }
    }
  return 0;
}
