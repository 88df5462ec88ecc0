/* cradle-csr-assemble.c: the signed request, checked, in DER and PEM */
#include "config.h"

#include <string.h>
#include <openssl/err.h>
#include <cradle/cradle.h>

#include "csr/cradle-csr-private.h"
#include "base/cradle-openssl-private.h"

/* The names a device gives in its SIGN response (docs/bridge-protocol.md). */
static const struct {
  const char *name;
  int         nid;
  int         key_type;
} signature_algorithms[] = {
  { "sha256WithRSAEncryption", NID_sha256WithRSAEncryption, EVP_PKEY_RSA },
  { "sha384WithRSAEncryption", NID_sha384WithRSAEncryption, EVP_PKEY_RSA },
  { "sha512WithRSAEncryption", NID_sha512WithRSAEncryption, EVP_PKEY_RSA },
  { "ecdsa-with-SHA256", NID_ecdsa_with_SHA256, EVP_PKEY_EC },
  { "ecdsa-with-SHA384", NID_ecdsa_with_SHA384, EVP_PKEY_EC },
  { "ecdsa-with-SHA512", NID_ecdsa_with_SHA512, EVP_PKEY_EC },
};

/* The device's algorithm name goes into an error message only if it is short plain ASCII. */
static gboolean
is_printable_name (const char *name)
{
  gsize length = strlen (name);

  if (length == 0 || length > 64)
    return FALSE;
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isprint (name[i]))
      return FALSE;
  return TRUE;
}

/* signatureAlgorithm and signature, the two fields after the request info. */
static GByteArray *
encode_signature_fields (int      nid,
                         int      key_type,
                         GBytes  *signature,
                         GError **error)
{
  g_autoptr(X509_ALGOR) algorithm = X509_ALGOR_new ();
  g_autoptr(ASN1_STRING) bits = ASN1_BIT_STRING_new ();
  g_autoptr(GByteArray) fields = g_byte_array_new ();
  unsigned char *der = NULL;
  gsize size;
  const guint8 *data = g_bytes_get_data (signature, &size);
  int der_size;

  /* RSA PKCS#1 v1.5 names NULL parameters; ECDSA leaves them out (RFC 5758). */
  if (algorithm == NULL || bits == NULL ||
      !X509_ALGOR_set0 (algorithm, OBJ_nid2obj (nid), key_type == EVP_PKEY_RSA ? V_ASN1_NULL : V_ASN1_UNDEF, NULL) ||
      !ASN1_BIT_STRING_set (bits, (unsigned char *) data, (int) size))
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not encode the request's signature");
      return NULL;
    }
  /* Whole bytes: without this OpenSSL drops trailing zero bytes of the signature. */
  bits->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
  bits->flags |= ASN1_STRING_FLAG_BITS_LEFT;

  der_size = i2d_X509_ALGOR (algorithm, &der);
  if (der_size > 0)
    g_byte_array_append (fields, der, der_size);
  OPENSSL_free (der);
  der = NULL;
  if (der_size > 0)
    {
      der_size = i2d_ASN1_BIT_STRING (bits, &der);
      if (der_size > 0)
        g_byte_array_append (fields, der, der_size);
      OPENSSL_free (der);
    }
  if (der_size <= 0)
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not encode the request's signature");
      return NULL;
    }
  return g_steal_pointer (&fields);
}

/* SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature }.
 * Both parts are bounded far below INT_MAX by the caller. */
static GBytes *
join_request (GBytes      *request_info,
              GByteArray  *signature_fields,
              GError     **error)
{
  gsize info_size = g_bytes_get_size (request_info);
  int content_size = (int) (info_size + signature_fields->len);
  int total_size = ASN1_object_size (1, content_size, V_ASN1_SEQUENCE);
  g_autofree guint8 *der = NULL;
  unsigned char *p;

  if (total_size <= content_size)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_FAILED, "Could not encode the certification request");
      return NULL;
    }
  der = g_malloc (total_size);
  p = der;
  ASN1_put_object (&p, 1, content_size, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
  if ((gsize) (p - der) + (gsize) content_size != (gsize) total_size)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_FAILED, "Could not encode the certification request");
      return NULL;
    }
  memcpy (p, g_bytes_get_data (request_info, NULL), info_size);
  memcpy (p + info_size, signature_fields->data, signature_fields->len);
  return g_bytes_new_take (g_steal_pointer (&der), total_size);
}

/**
 * cradle_csr_assemble:
 * @request_info: the DER CertificationRequestInfo the device signed
 * @signature_algorithm: the device's name for it, as "sha256WithRSAEncryption"
 *   or "ecdsa-with-SHA256"
 * @signature: the device's signature (PKCS#1 v1.5, or DER ECDSA-Sig-Value)
 *
 * Puts the request together and checks the signature against the key
 * inside @request_info, so a device that signed with another key, or
 * signed other bytes, is caught here rather than by the CA.
 *
 * Returns: (transfer full): the DER PKCS#10 CertificationRequest
 */
GBytes *
cradle_csr_assemble (GBytes      *request_info,
                     const char  *signature_algorithm,
                     GBytes      *signature,
                     GError     **error)
{
  g_autoptr(X509_REQ) request = NULL;
  g_autoptr(GByteArray) signature_fields = NULL;
  g_autoptr(GBytes) result = NULL;
  const unsigned char *der;
  const unsigned char *p;
  gsize der_size = 0;
  EVP_PKEY *key;
  int nid = NID_undef;
  int key_type = EVP_PKEY_NONE;
  gsize info_size = 0;
  gsize size;

  g_return_val_if_fail (request_info != NULL, NULL);
  g_return_val_if_fail (signature_algorithm != NULL, NULL);
  g_return_val_if_fail (signature != NULL, NULL);

  ERR_clear_error ();
  for (gsize i = 0; i < G_N_ELEMENTS (signature_algorithms); i++)
    if (strcmp (signature_algorithm, signature_algorithms[i].name) == 0)
      {
        nid = signature_algorithms[i].nid;
        key_type = signature_algorithms[i].key_type;
      }
  if (nid == NID_undef)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "The device signed the certificate request with %s, which Cradle does not take; "
                   "it takes sha256WithRSAEncryption, sha384WithRSAEncryption, sha512WithRSAEncryption "
                   "and ecdsa-with-SHA256, -SHA384 and -SHA512; the device may need an update",
                   is_printable_name (signature_algorithm) ? signature_algorithm : "an algorithm with an unprintable name");
      return NULL;
    }

  /* Bounds first; parsing the whole request below checks that @request_info
   * is one CertificationRequestInfo with nothing after it. */
  g_bytes_get_data (request_info, &info_size);
  if (info_size == 0 || info_size > CRADLE_CSR_MAX_REQUEST_INFO_SIZE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "A certification request info of %" G_GSIZE_FORMAT " bytes is not plausible (1 to %d expected)",
                   info_size, CRADLE_CSR_MAX_REQUEST_INFO_SIZE);
      return NULL;
    }
  size = g_bytes_get_size (signature);
  if (size == 0 || size > CRADLE_CSR_MAX_SIGNATURE_SIZE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The device's signature is %" G_GSIZE_FORMAT " bytes long (1 to %d expected)",
                   size, CRADLE_CSR_MAX_SIGNATURE_SIZE);
      return NULL;
    }

  signature_fields = encode_signature_fields (nid, key_type, signature, error);
  if (signature_fields == NULL)
    return NULL;
  result = join_request (request_info, signature_fields, error);
  if (result == NULL)
    return NULL;

  der = g_bytes_get_data (result, &der_size);
  p = der;
  request = d2i_X509_REQ (NULL, &p, (long) der_size);
  if (request == NULL || p != der + der_size)
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_INVALID_DATA,
                                    "The certification request info is malformed or has bytes after its end");
      return NULL;
    }
  if (X509_REQ_get_version (request) != X509_REQ_VERSION_1)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The certification request info is not version 1 (0)");
      return NULL;
    }
  key = X509_REQ_get0_pubkey (request);
  if (key == NULL || !cradle_csr_check_public_key (key, error))
    {
      if (key == NULL)
        cradle_openssl_set_error (error, CRADLE_ERROR_INVALID_DATA,
                                      "The certification request info has no usable public key");
      return NULL;
    }
  if (EVP_PKEY_get_base_id (key) != key_type)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The device signed the certificate request with %s, which does not fit the request's %s key",
                   signature_algorithm, EVP_PKEY_get0_type_name (key));
      return NULL;
    }
  if (X509_REQ_verify (request, key) <= 0)
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_INVALID_DATA,
                                    "The device's signature on the certificate request does not verify with the "
                                    "public key in the request: the device signed with another key or other bytes. "
                                    "Try again; if it keeps failing, delete the key on the device and enroll anew");
      return NULL;
    }
  g_debug ("Assembled a certification request of %" G_GSIZE_FORMAT " bytes signed with %s",
           der_size, signature_algorithm);
  return g_steal_pointer (&result);
}

/**
 * cradle_csr_to_pem:
 * @der: a DER certification request
 *
 * Returns: (transfer full): it between "-----BEGIN CERTIFICATE REQUEST-----"
 *   lines, Base64 in lines of 64 characters, as OpenSSL and certreq write it
 */
char *
cradle_csr_to_pem (GBytes *der)
{
  gsize size;
  const guint8 *data;
  g_autofree char *base64 = NULL;
  GString *pem;
  gsize length;

  g_return_val_if_fail (der != NULL, NULL);

  data = g_bytes_get_data (der, &size);
  base64 = g_base64_encode (data, size);
  length = strlen (base64);
  pem = g_string_sized_new (length + length / 64 + 80);
  g_string_append (pem, "-----BEGIN CERTIFICATE REQUEST-----\n");
  for (gsize i = 0; i < length; i += 64)
    {
      g_string_append_len (pem, base64 + i, MIN (64, length - i));
      g_string_append_c (pem, '\n');
    }
  g_string_append (pem, "-----END CERTIFICATE REQUEST-----\n");
  return g_string_free (pem, FALSE);
}
