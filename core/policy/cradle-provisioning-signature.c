/* cradle-provisioning-signature.c: a provisioning file in a CMS SignedData
 *
 * Enveloping rather than detached: one file to hand out, and the bytes
 * whose signature is checked are the very bytes that are parsed.  The
 * signature is checked first (a file changed after signing is refused
 * whoever signed it), then the signer's certificate against the roots this
 * computer trusts, at the current time.  The signer's certificate must be
 * fit to sign documents: no extended key usage, or codeSigning or
 * emailProtection or anyExtendedKeyUsage among them, and digitalSignature
 * when it has a key usage.  A TLS server's certificate does not sign
 * provisioning files.
 */
#include "config.h"

#include <string.h>

#include <openssl/pem.h>
#include <openssl/cms.h>
#include <openssl/err.h>

#include "base/cradle-openssl-private.h"
#include "policy/cradle-provisioning-private.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CMS_ContentInfo, CMS_ContentInfo_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_STORE_CTX, X509_STORE_CTX_free)

static void
free_certificates (STACK_OF (X509) *certificates)
{
  sk_X509_pop_free (certificates, X509_free);
}

static const char pem_cms[] = "-----BEGIN CMS-----";
static const char pem_pkcs7[] = "-----BEGIN PKCS7-----";

static const char *
skip_space (const char *p,
            const char *end)
{
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
    p++;
  return p;
}

gboolean
_cradle_provisioning_is_signed (GBytes *data)
{
  gsize size;
  const char *bytes = g_bytes_get_data (data, &size);
  const char *p = skip_space (bytes, bytes + size);
  gsize left = (gsize) (bytes + size - p);

  if (size > 0 && (guchar) bytes[0] == 0x30)
    return TRUE;
  return (left >= strlen (pem_cms) && memcmp (p, pem_cms, strlen (pem_cms)) == 0) ||
         (left >= strlen (pem_pkcs7) && memcmp (p, pem_pkcs7, strlen (pem_pkcs7)) == 0);
}

static CMS_ContentInfo *
read_cms (GBytes *data)
{
  gsize size;
  const char *bytes = g_bytes_get_data (data, &size);
  g_autoptr(BIO) bio = NULL;

  if (size > CRADLE_PROVISIONING_MAX_SIZE)
    return NULL;
  bio = BIO_new_mem_buf (bytes, (int) size);
  if (bio == NULL)
    return NULL;
  if ((guchar) bytes[0] == 0x30)
    return d2i_CMS_bio (bio, NULL);
  /* Passphrase callbacks never run: a CMS has none. */
  return PEM_read_bio_CMS (bio, NULL, NULL, NULL);
}

/* Whether the signer's certificate is one that signs documents. */
static gboolean
fit_to_sign (X509 *signer)
{
  uint32_t usage = X509_get_key_usage (signer);
  uint32_t extended = X509_get_extended_key_usage (signer);

  if (usage != UINT32_MAX && (usage & KU_DIGITAL_SIGNATURE) == 0)
    return FALSE;
  if (extended == UINT32_MAX)
    return TRUE;
  return (extended & (XKU_CODE_SIGN | XKU_SMIME | XKU_ANYEKU)) != 0;
}

GBytes *
_cradle_provisioning_open_signed (const char          *source,
                                  GBytes              *data,
                                  X509_STORE          *trust,
                                  CradleCertificate  **signer_out,
                                  GError             **error)
{
  g_autoptr(CMS_ContentInfo) cms = NULL;
  g_autoptr(BIO) content = NULL;
  g_autoptr(CradleCertificate) signer_certificate = NULL;
  g_autoptr(GBytes) signer_der = NULL;
  g_autoptr(GError) local_error = NULL;
  STACK_OF (X509) *signers = NULL;
  STACK_OF (X509) *certificates = NULL;
  STACK_OF (CMS_SignerInfo) *infos;
  const ASN1_OBJECT *content_type;
  X509 *signer;
  unsigned char *der = NULL;
  int der_size;
  BUF_MEM *memory = NULL;

  ERR_clear_error ();
  cms = read_cms (data);
  if (cms == NULL)
    {
      g_autofree char *why = cradle_openssl_dup_errors ();

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s: the file looks signed but is not a CMS signed document it can read (%s); "
                   "sign it again with 'cradlectl types export --sign-key --sign-cert'",
                   source, why != NULL ? why : "too large or damaged");
      return NULL;
    }
  if (OBJ_obj2nid (CMS_get0_type (cms)) != NID_pkcs7_signed)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s: the CMS in the file is not a SignedData (it is %s)", source,
                   OBJ_nid2sn (OBJ_obj2nid (CMS_get0_type (cms))));
      return NULL;
    }
  content_type = CMS_get0_eContentType (cms);
  if (content_type == NULL || OBJ_obj2nid (content_type) != NID_pkcs7_data)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s: the signed content is not plain data (id-data)", source);
      return NULL;
    }
  if (CMS_is_detached (cms))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s: the signature does not hold the document (it is detached); Cradle "
                   "reads provisioning files whose signature holds the document",
                   source);
      return NULL;
    }
  infos = CMS_get0_SignerInfos (cms);
  if (infos == NULL || sk_CMS_SignerInfo_num (infos) != 1)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s: the file has %d signatures; a provisioning file has exactly one", source,
                   infos != NULL ? sk_CMS_SignerInfo_num (infos) : 0);
      return NULL;
    }

  /* The signature over the content, and the signer's certificate found
   * among those in the file; its chain comes next, by hand. */
  content = BIO_new (BIO_s_mem ());
  if (content == NULL ||
      CMS_verify (cms, NULL, NULL, NULL, content, CMS_NO_SIGNER_CERT_VERIFY | CMS_BINARY) != 1)
    {
      g_autofree char *why = cradle_openssl_dup_errors ();

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s: the signature does not match the document: it was changed after it was "
                   "signed, or damaged (%s). Do not import it; ask its author for a new copy",
                   source, why != NULL ? why : "no reason given");
      return NULL;
    }
  signers = CMS_get0_signers (cms);
  signer = signers != NULL && sk_X509_num (signers) == 1 ? sk_X509_value (signers, 0) : NULL;
  sk_X509_free (signers);
  if (signer == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s: the file does not carry its signer's certificate", source);
      return NULL;
    }
  der_size = i2d_X509 (signer, &der);
  if (der_size <= 0)
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_INVALID_DATA, "The signer's certificate cannot be read");
      return NULL;
    }
  signer_der = cradle_openssl_take_der (der, der_size);
  signer_certificate = cradle_certificate_new_from_der (signer_der, &local_error);
  if (signer_certificate == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "%s: the signer's certificate: %s",
                   source, local_error->message);
      return NULL;
    }

  if (trust != NULL)
    {
      g_autoptr(X509_STORE_CTX) context = X509_STORE_CTX_new ();
      g_autofree char *subject = cradle_text_escape (cradle_certificate_get_subject (signer_certificate), -1,
                                                     CRADLE_TEXT_ESCAPE_DEFAULT);
      const char *sha256 = cradle_certificate_get_sha256 (signer_certificate);
      int verified;

      certificates = CMS_get1_certs (cms);
      if (context == NULL || X509_STORE_CTX_init (context, trust, signer, certificates) != 1)
        {
          free_certificates (certificates);
          cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "The signer's chain could not be checked");
          return NULL;
        }
      verified = X509_verify_cert (context);
      free_certificates (certificates);
      if (verified != 1)
        {
          int code = X509_STORE_CTX_get_error (context);

          ERR_clear_error ();
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "%s: the file is signed by '%s' (SHA-256 %s), whose certificate this computer "
                       "does not trust: %s. If you trust that signer, add its root certificate to "
                       "[Enrollment] TrustAnchors in cradle.conf",
                       source, subject, sha256, X509_verify_cert_error_string (code));
          return NULL;
        }
      if (!fit_to_sign (signer))
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "%s: the file is signed by '%s' (SHA-256 %s), whose certificate is not one for "
                       "signing documents (its key usage or extended key usage does not allow it: "
                       "code signing is)",
                       source, subject, sha256);
          return NULL;
        }
    }

  BIO_get_mem_ptr (content, &memory);
  if (memory == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED, "%s: the signed document is lost", source);
      return NULL;
    }
  if (signer_out != NULL)
    *signer_out = g_steal_pointer (&signer_certificate);
  return g_bytes_new (memory->data, memory->length);
}

/* No passphrase is asked for: the key file is read without a terminal. */
static int
refuse_passphrase (char *buffer,
                   int   size,
                   int   writing,
                   void *user_data)
{
  return -1;
}

GBytes *
cradle_provisioning_sign (GBytes      *document,
                          const char  *certificate_file,
                          const char  *key_file,
                          GError     **error)
{
  g_autoptr(BIO) certificate_bio = NULL;
  g_autoptr(BIO) key_bio = NULL;
  g_autoptr(BIO) content = NULL;
  g_autoptr(BIO) out = NULL;
  g_autoptr(X509) certificate = NULL;
  g_autoptr(EVP_PKEY) key = NULL;
  g_autoptr(CMS_ContentInfo) cms = NULL;
  STACK_OF (X509) *chain = NULL;
  X509 *next;
  BUF_MEM *memory = NULL;
  gsize size;
  const char *bytes;

  g_return_val_if_fail (document != NULL, NULL);
  g_return_val_if_fail (certificate_file != NULL && key_file != NULL, NULL);

  ERR_clear_error ();
  certificate_bio = BIO_new_file (certificate_file, "r");
  certificate = certificate_bio != NULL ? PEM_read_bio_X509 (certificate_bio, NULL, refuse_passphrase, NULL)
                                        : NULL;
  if (certificate == NULL)
    {
      g_autofree char *message = g_strdup_printf ("No certificate could be read from %s: it needs "
                                                  "the signer's certificate in PEM",
                                                  certificate_file);

      cradle_openssl_set_error (error, CRADLE_ERROR_NOT_FOUND, message);
      return NULL;
    }
  chain = sk_X509_new_null ();
  while ((next = PEM_read_bio_X509 (certificate_bio, NULL, refuse_passphrase, NULL)) != NULL)
    sk_X509_push (chain, next);
  ERR_clear_error ();

  key_bio = BIO_new_file (key_file, "r");
  key = key_bio != NULL ? PEM_read_bio_PrivateKey (key_bio, NULL, refuse_passphrase, NULL) : NULL;
  if (key == NULL)
    {
      g_autofree char *message = g_strdup_printf ("No private key could be read from %s: it needs "
                                                  "the signer's key in PEM, not encrypted",
                                                  key_file);

      free_certificates (chain);
      cradle_openssl_set_error (error, CRADLE_ERROR_NOT_FOUND, message);
      return NULL;
    }
  if (X509_check_private_key (certificate, key) != 1)
    {
      ERR_clear_error ();
      free_certificates (chain);
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The key in %s is not the key of the certificate in %s", key_file, certificate_file);
      return NULL;
    }

  bytes = g_bytes_get_data (document, &size);
  content = BIO_new_mem_buf (bytes, (int) size);
  cms = content != NULL ? CMS_sign (certificate, key, chain, content, CMS_BINARY) : NULL;
  free_certificates (chain);
  out = BIO_new (BIO_s_mem ());
  if (cms == NULL || out == NULL || PEM_write_bio_CMS (out, cms) != 1)
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "The provisioning file could not be signed");
      return NULL;
    }
  BIO_get_mem_ptr (out, &memory);
  return g_bytes_new (memory->data, memory->length);
}
