/* cradle-agent-renewal-check.c: what a renewal's signatures carry, read with bounded readers */
#include "config.h"

#include <string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <cradle/cradle.h>

#include "protocol/cradle-der-private.h"
#include "agent/cradle-agent-keystore-crypto-private.h"
#include "agent/cradle-agent-renewal-check-private.h"

#define CRADLE_DER_CONTEXT_0_PRIMITIVE 0x80

gboolean
cradle_agent_renewal_split_request (GBytes  *request,
                                    GBytes **request_info,
                                    GError **error)
{
  CradleDerSlice input = cradle_der_slice_from_bytes (request);
  CradleDerSlice fields;
  CradleDerSlice info;
  CradleDerSlice signature;

  if (!cradle_der_take (&input, CRADLE_DER_SEQUENCE, NULL, &fields) || input.size != 0
      || !cradle_der_take (&fields, CRADLE_DER_SEQUENCE, &info, NULL)
      || !cradle_der_take (&fields, CRADLE_DER_SEQUENCE, NULL, NULL)
      || !cradle_der_take (&fields, CRADLE_DER_BIT_STRING, NULL, &signature)
      || signature.size < 2 || signature.data[0] != 0 || fields.size != 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The renewal's content is not one DER PKCS#10 CertificationRequest");
      return FALSE;
    }
  if (request_info != NULL)
    *request_info = g_bytes_new (info.data, info.size);
  return TRUE;
}

/* The content-encryption algorithms SCEP uses (RFC 8894 3.5.2), by the
 * contents of their OIDs. */
static const struct {
  guint8      oid[9];
  gsize       oid_size;
  const char *cipher;
} ciphers[] = {
  { { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x02 }, 9, "AES-128-CBC" },
  { { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x16 }, 9, "AES-192-CBC" },
  { { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a }, 9, "AES-256-CBC" },
  { { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x03, 0x07 }, 8, "DES-EDE3-CBC" },
  { { 0x2b, 0x0e, 0x03, 0x02, 0x07 }, 5, "DES-CBC" },
};

static gboolean
envelope_error (GError    **error,
                const char *what)
{
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
               "The SCEP renewal's envelope cannot be read with the key the computer gave: %s", what);
  return FALSE;
}

/* Finds the EncryptedContentInfo's parts in a pkcsPKIEnvelope. */
static gboolean
take_encrypted_content (GBytes          *envelope,
                        CradleDerSlice  *algorithm_oid,
                        CradleDerSlice  *iv,
                        CradleDerSlice  *ciphertext,
                        GError         **error)
{
  CradleDerSlice input = cradle_der_slice_from_bytes (envelope);
  CradleDerSlice info;
  CradleDerSlice explicit;
  CradleDerSlice enveloped;
  CradleDerSlice encrypted;
  CradleDerSlice algorithm;

  /* ContentInfo { OID, [0] EnvelopedData { version, SET recipients, EncryptedContentInfo } } */
  if (!cradle_der_take (&input, CRADLE_DER_SEQUENCE, NULL, &info) || input.size != 0
      || !cradle_der_take (&info, CRADLE_DER_OID, NULL, NULL)
      || !cradle_der_take (&info, CRADLE_DER_CONTEXT_0, NULL, &explicit)
      || !cradle_der_take (&explicit, CRADLE_DER_SEQUENCE, NULL, &enveloped)
      || !cradle_der_take (&enveloped, CRADLE_DER_INTEGER, NULL, NULL)
      || !cradle_der_take (&enveloped, CRADLE_DER_SET, NULL, NULL)
      || !cradle_der_take (&enveloped, CRADLE_DER_SEQUENCE, NULL, &encrypted)
      /* EncryptedContentInfo { contentType, AlgorithmIdentifier { OID, IV }, [0] IMPLICIT OCTET STRING } */
      || !cradle_der_take (&encrypted, CRADLE_DER_OID, NULL, NULL)
      || !cradle_der_take (&encrypted, CRADLE_DER_SEQUENCE, NULL, &algorithm)
      || !cradle_der_take (&algorithm, CRADLE_DER_OID, NULL, algorithm_oid)
      || !cradle_der_take (&algorithm, CRADLE_DER_OCTET_STRING, NULL, iv) || algorithm.size != 0
      || !cradle_der_take (&encrypted, CRADLE_DER_CONTEXT_0_PRIMITIVE, NULL, ciphertext) || encrypted.size != 0)
    return envelope_error (error, "it is not a pkcsPKIEnvelope with its content encrypted in CBC mode");
  return TRUE;
}

static GBytes *
decrypt (const EVP_CIPHER *cipher,
         CradleDerSlice    iv,
         CradleDerSlice    ciphertext,
         GBytes           *content_key,
         GError          **error)
{
  g_autoptr(EVP_CIPHER_CTX) context = NULL;
  g_autofree guint8 *plain = NULL;
  int written = 0;
  int last = 0;

  if ((gsize) EVP_CIPHER_get_key_length (cipher) != g_bytes_get_size (content_key))
    {
      envelope_error (error, "the key's size is not the content encryption algorithm's");
      return NULL;
    }
  if ((gsize) EVP_CIPHER_get_iv_length (cipher) != iv.size)
    {
      envelope_error (error, "the IV's size is not the content encryption algorithm's");
      return NULL;
    }
  if (ciphertext.size == 0 || ciphertext.size > CRADLE_AGENT_RENEWAL_MAX_CONTENT
      || ciphertext.size % (gsize) EVP_CIPHER_get_block_size (cipher) != 0)
    {
      envelope_error (error, "its encrypted content is not whole blocks of a readable size");
      return NULL;
    }
  context = EVP_CIPHER_CTX_new ();
  plain = g_malloc (ciphertext.size + EVP_CIPHER_get_block_size (cipher));
  if (context == NULL
      || !EVP_DecryptInit_ex2 (context, cipher, g_bytes_get_data (content_key, NULL), iv.data, NULL)
      || !EVP_DecryptUpdate (context, plain, &written, ciphertext.data, (int) ciphertext.size))
    {
      cradle_agent_crypto_set_error (error, CRADLE_ERROR_FAILED, "Could not decrypt the SCEP renewal's envelope");
      return NULL;
    }
  /* A wrong key or a damaged content shows as bad padding: the content is
   * the host's own, so saying so tells it nothing. */
  if (!EVP_DecryptFinal_ex (context, plain + written, &last))
    {
      ERR_clear_error ();
      envelope_error (error, "it does not decrypt with that key");
      return NULL;
    }
  return g_bytes_new (plain, (gsize) written + (gsize) last);
}

GBytes *
cradle_agent_renewal_open_envelope (GBytes  *envelope,
                                    GBytes  *content_key,
                                    GError **error)
{
  CradleDerSlice algorithm_oid;
  CradleDerSlice iv;
  CradleDerSlice ciphertext;
  const char *cipher_name = NULL;
  EVP_CIPHER *cipher = NULL;
  GBytes *plain;

  if (!take_encrypted_content (envelope, &algorithm_oid, &iv, &ciphertext, error))
    return NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (ciphers) && cipher_name == NULL; i++)
    if (cradle_der_equal (algorithm_oid, ciphers[i].oid, ciphers[i].oid_size))
      cipher_name = ciphers[i].cipher;
  if (cipher_name == NULL)
    {
      envelope_error (error, "its content is not encrypted with AES-CBC, 3DES or DES");
      return NULL;
    }
  cipher = EVP_CIPHER_fetch (NULL, cipher_name, NULL);
  if (cipher == NULL)
    {
      cradle_agent_crypto_set_error (error, CRADLE_ERROR_NOT_SUPPORTED, "This device's OpenSSL lacks the cipher");
      return NULL;
    }
  plain = decrypt (cipher, iv, ciphertext, content_key, error);
  EVP_CIPHER_free (cipher);
  return plain;
}

gboolean
cradle_agent_renewal_check_poll (GBytes  *content,
                                 GBytes  *issuer,
                                 GError **error)
{
  CradleDerSlice input = cradle_der_slice_from_bytes (content);
  CradleDerSlice fields;
  CradleDerSlice named_issuer;

  if (!cradle_der_take (&input, CRADLE_DER_SEQUENCE, NULL, &fields) || input.size != 0
      || !cradle_der_take (&fields, CRADLE_DER_SEQUENCE, &named_issuer, NULL)
      || !cradle_der_take (&fields, CRADLE_DER_SEQUENCE, NULL, NULL) || fields.size != 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The SCEP CertPoll's envelope does not hold one IssuerAndSubject");
      return FALSE;
    }
  if (!cradle_der_equal (named_issuer, g_bytes_get_data (issuer, NULL), g_bytes_get_size (issuer)))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The SCEP CertPoll asks another CA than the one of the certificate being renewed");
      return FALSE;
    }
  return TRUE;
}
