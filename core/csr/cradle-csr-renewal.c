/* cradle-csr-renewal.c: an AD CS renewal, the signed PKCS#10 in a SignedData signed by the old key
 *
 * MS-WCCE 3.1.1.4.3.2.1: a CMS SignedData, eContent id-data holding the
 * new PKCS#10 (with szOID_RENEWAL_CERTIFICATE naming the old certificate),
 * certificates holding the old certificate (and its chain), and the first
 * SignerInfo made with the old certificate's key.  That key is on the
 * device, so the SignerInfo is filled in here from the old certificate's
 * public key (OpenSSL's PKCS#7 structures take a public key for that, as
 * the SCEP messages do), its DER-ordered signed attributes are what the
 * device signs (SIGN purpose 4), and the signature it returns is checked
 * before the SignedData is encoded.
 */
#include "config.h"

#include <string.h>
#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <cradle/cradle.h>

#include "csr/cradle-csr-private.h"
#include "base/cradle-openssl-private.h"

/* The certificates a renewal carries: the old one and a chain of CAs. */
#define MAX_CHAIN 16

struct _CradleCsrRenewal
{
  PKCS7             *p7;
  PKCS7_SIGNER_INFO *signer_info;        /* owned by p7 */
  X509              *old_certificate;
  GBytes            *signed_attributes;
  char              *digest;
};

void
cradle_csr_renewal_free (CradleCsrRenewal *self)
{
  if (self == NULL)
    return;
  PKCS7_free (self->p7);
  X509_free (self->old_certificate);
  g_clear_pointer (&self->signed_attributes, g_bytes_unref);
  g_free (self->digest);
  g_free (self);
}

static X509 *
read_certificate (GBytes  *der,
                  GError **error)
{
  gsize size = 0;
  const unsigned char *data = g_bytes_get_data (der, &size);
  const unsigned char *p = data;
  X509 *certificate = size > 0 && size <= G_MAXLONG ? d2i_X509 (NULL, &p, (long) size) : NULL;

  if (certificate == NULL || p != data + size)
    {
      X509_free (certificate);
      ERR_clear_error ();
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "A certificate for the renewal cannot be read.");
      return NULL;
    }
  return certificate;
}

static X509_REQ *
read_request (GBytes  *csr,
              GError **error)
{
  gsize size = 0;
  const unsigned char *data = g_bytes_get_data (csr, &size);
  const unsigned char *p = data;
  X509_REQ *request = size > 0 && size <= G_MAXLONG ? d2i_X509_REQ (NULL, &p, (long) size) : NULL;

  if (request == NULL || p != data + size)
    {
      X509_REQ_free (request);
      ERR_clear_error ();
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The renewal's certification request cannot be read back.");
      return NULL;
    }
  return request;
}

GBytes *
cradle_csr_dup_renewal_certificate (GBytes  *csr,
                                    GError **error)
{
  g_autoptr(X509_REQ) request = NULL;
  g_autoptr(ASN1_OBJECT) oid = OBJ_txt2obj (CRADLE_CSR_OID_RENEWAL_CERTIFICATE, 1);
  X509_ATTRIBUTE *attribute;
  ASN1_TYPE *value;
  int location;

  g_return_val_if_fail (csr != NULL, NULL);

  request = read_request (csr, error);
  if (request == NULL)
    return NULL;
  location = X509_REQ_get_attr_by_OBJ (request, oid, -1);
  if (location < 0)
    return NULL;
  attribute = X509_REQ_get_attr (request, location);
  value = X509_ATTRIBUTE_count (attribute) == 1 ? X509_ATTRIBUTE_get0_type (attribute, 0) : NULL;
  if (value == NULL || value->type != V_ASN1_SEQUENCE || value->value.sequence == NULL ||
      X509_REQ_get_attr_by_OBJ (request, oid, location) >= 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The request's renewal attribute is not one certificate.");
      return NULL;
    }
  return g_bytes_new (ASN1_STRING_get0_data (value->value.sequence), ASN1_STRING_length (value->value.sequence));
}

static gboolean
names_old_certificate (GBytes  *csr,
                       GBytes  *old_certificate,
                       GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GBytes) named = cradle_csr_dup_renewal_certificate (csr, &local_error);

  if (named != NULL && g_bytes_equal (named, old_certificate))
    return TRUE;
  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  else
    g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                         "The renewal's certification request does not name the certificate it renews.");
  return FALSE;
}

static gboolean
add_certificates (CradleCsrRenewal  *self,
                  GPtrArray         *chain,
                  GError           **error)
{
  if (!PKCS7_add_certificate (self->p7, self->old_certificate))
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not add the old certificate to the renewal");
      return FALSE;
    }
  for (guint i = 0; chain != NULL && i < chain->len && i < MAX_CHAIN; i++)
    {
      g_autoptr(X509) ca = read_certificate (g_ptr_array_index (chain, i), error);

      if (ca == NULL)
        return FALSE;
      if (!PKCS7_add_certificate (self->p7, ca))
        {
          cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not add a CA certificate to the renewal");
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
add_signed_attributes (CradleCsrRenewal  *self,
                       GBytes            *csr,
                       const EVP_MD      *md,
                       gint64             signing_time,
                       GError           **error)
{
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  ASN1_OCTET_STRING *content_digest = NULL;
  ASN1_TIME *when = NULL;
  unsigned char *attributes = NULL;
  int attributes_size;

  if (EVP_Digest (g_bytes_get_data (csr, NULL), g_bytes_get_size (csr), digest, &digest_size, md, NULL) != 1
      || (content_digest = ASN1_OCTET_STRING_new ()) == NULL
      || !ASN1_OCTET_STRING_set (content_digest, digest, (int) digest_size)
      || !PKCS7_add_signed_attribute (self->signer_info, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING,
                                      content_digest))
    {
      ASN1_OCTET_STRING_free (content_digest);
      cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not build the renewal's signed attributes");
      return FALSE;
    }
  if (!PKCS7_add_signed_attribute (self->signer_info, NID_pkcs9_contentType, V_ASN1_OBJECT,
                                   OBJ_nid2obj (NID_pkcs7_data)))
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not build the renewal's signed attributes");
      return FALSE;
    }
  if (signing_time > 0)
    {
      when = ASN1_TIME_set (NULL, (time_t) signing_time);
      if (when == NULL || !PKCS7_add0_attrib_signing_time (self->signer_info, when))
        {
          ASN1_TIME_free (when);
          cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not build the renewal's signing time");
          return FALSE;
        }
    }

  /* The DER SET OF the attributes, as CMS signs them (DER order). */
  attributes_size = ASN1_item_i2d ((ASN1_VALUE *) self->signer_info->auth_attr, &attributes,
                                   ASN1_ITEM_rptr (PKCS7_ATTR_SIGN));
  if (attributes_size <= 0)
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not encode the renewal's signed attributes");
      return FALSE;
    }
  self->signed_attributes = cradle_openssl_take_der (attributes, attributes_size);
  return TRUE;
}

CradleCsrRenewal *
cradle_csr_renewal_new (GBytes      *csr,
                        GBytes      *old_certificate,
                        GPtrArray   *chain,
                        const char  *digest,
                        gint64       signing_time,
                        GError     **error)
{
  g_autoptr(CradleCsrRenewal) self = NULL;
  g_autoptr(X509_REQ) request = NULL;
  const EVP_MD *md;

  g_return_val_if_fail (csr != NULL && old_certificate != NULL && digest != NULL, NULL);

  ERR_clear_error ();
  md = EVP_get_digestbyname (digest);
  if (md == NULL || (!g_str_equal (digest, "sha256") && !g_str_equal (digest, "sha384") &&
                     !g_str_equal (digest, "sha512")))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "A renewal cannot be signed with the digest '%s'.", digest);
      return NULL;
    }
  request = read_request (csr, error);
  if (request == NULL || !names_old_certificate (csr, old_certificate, error))
    return NULL;

  self = g_new0 (CradleCsrRenewal, 1);
  self->digest = g_strdup (digest);
  self->old_certificate = read_certificate (old_certificate, error);
  if (self->old_certificate == NULL)
    return NULL;
  if (X509_get0_pubkey (self->old_certificate) == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The old certificate's public key cannot be read.");
      return NULL;
    }

  /* SignedData { id-data: the PKCS#10 }, signed by the old certificate. */
  self->p7 = PKCS7_new ();
  if (self->p7 == NULL
      || !PKCS7_set_type (self->p7, NID_pkcs7_signed)
      || !PKCS7_content_new (self->p7, NID_pkcs7_data)
      || !ASN1_OCTET_STRING_set (self->p7->d.sign->contents->d.data, g_bytes_get_data (csr, NULL),
                                 (int) g_bytes_get_size (csr)))
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not build the renewal");
      return NULL;
    }
  if (!add_certificates (self, chain, error))
    return NULL;
  /* A public key is all PKCS#7 needs to fill in the SignerInfo's algorithms. */
  self->signer_info = PKCS7_add_signature (self->p7, self->old_certificate,
                                           X509_get0_pubkey (self->old_certificate), md);
  if (self->signer_info == NULL)
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_NOT_SUPPORTED,
                                "The old certificate's key cannot sign a renewal");
      return NULL;
    }
  if (!add_signed_attributes (self, csr, md, signing_time, error))
    return NULL;
  return g_steal_pointer (&self);
}

GBytes *
cradle_csr_renewal_get_signed_attributes (CradleCsrRenewal *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->signed_attributes;
}

static gboolean
signature_verifies (CradleCsrRenewal *self,
                    GBytes           *signature)
{
  g_autoptr(EVP_MD_CTX) ctx = EVP_MD_CTX_new ();
  gboolean good;

  good = ctx != NULL
         && EVP_DigestVerifyInit_ex (ctx, NULL, self->digest, NULL, NULL,
                                     X509_get0_pubkey (self->old_certificate), NULL) == 1
         && EVP_DigestVerify (ctx, g_bytes_get_data (signature, NULL), g_bytes_get_size (signature),
                              g_bytes_get_data (self->signed_attributes, NULL),
                              g_bytes_get_size (self->signed_attributes)) == 1;
  ERR_clear_error ();
  return good;
}

GBytes *
cradle_csr_renewal_finish (CradleCsrRenewal  *self,
                           GBytes            *signature,
                           GError           **error)
{
  unsigned char *der = NULL;
  int size;

  g_return_val_if_fail (self != NULL && signature != NULL, NULL);

  if (g_bytes_get_size (signature) == 0 || g_bytes_get_size (signature) > CRADLE_CSR_MAX_SIGNATURE_SIZE ||
      !signature_verifies (self, signature))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The device's signature on the renewal does not verify with the old "
                           "certificate's key. The device's agent is faulty; update it.");
      return NULL;
    }
  if (!ASN1_STRING_set (self->signer_info->enc_digest, g_bytes_get_data (signature, NULL),
                        (int) g_bytes_get_size (signature)))
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not build the renewal");
      return NULL;
    }
  size = i2d_PKCS7 (self->p7, &der);
  if (size <= 0)
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not encode the renewal");
      return NULL;
    }
  return cradle_openssl_take_der (der, size);
}
