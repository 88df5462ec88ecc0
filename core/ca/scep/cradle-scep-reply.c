/* cradle-scep-reply.c: a CA's CertRep, checked and opened */
#include "config.h"

#include <string.h>
#include <openssl/err.h>
#include <openssl/provider.h>
#include <cradle/cradle.h>

#include "ca/cradle-ca-answer-private.h"
#include "ca/scep/cradle-scep-private.h"

#define OID_MESSAGE_TYPE    "2.16.840.1.113733.1.9.2"
#define OID_PKI_STATUS      "2.16.840.1.113733.1.9.3"
#define OID_FAIL_INFO       "2.16.840.1.113733.1.9.4"
#define OID_RECIPIENT_NONCE "2.16.840.1.113733.1.9.6"
#define OID_TRANSACTION_ID  "2.16.840.1.113733.1.9.7"
#define OID_FAIL_INFO_TEXT  "1.3.6.1.5.5.7.24.1"

void
cradle_scep_reply_free (CradleScepReply *reply)
{
  if (reply == NULL)
    return;
  g_free (reply->fail_info_text);
  g_clear_pointer (&reply->certificates, g_ptr_array_unref);
  g_free (reply);
}

static void
set_invalid (GError    **error,
             const char *what)
{
  g_autofree char *why = cradle_openssl_dup_errors ();
  g_autofree char *detail = why != NULL ? g_strdup_printf (" (%s)", why) : g_strdup ("");

  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
               "The SCEP server's answer %s%s. Nothing was installed; try again, and if this "
               "persists, support should check the SCEP server.", what, detail);
}

/* Signed attributes */

/* The one value of the attribute @oid; %NULL without error when absent. */
static const ASN1_TYPE *
find_attribute (PKCS7_SIGNER_INFO  *signer_info,
                const char         *oid,
                const char         *name,
                GError            **error)
{
  g_autoptr(ASN1_OBJECT) object = OBJ_txt2obj (oid, 1);
  X509_ATTRIBUTE *attribute;
  int index;

  if (object == NULL)
    {
      set_invalid (error, "could not be read");
      return NULL;
    }
  index = X509at_get_attr_by_OBJ (signer_info->auth_attr, object, -1);
  if (index < 0)
    return NULL;
  if (X509at_get_attr_by_OBJ (signer_info->auth_attr, object, index) >= 0)
    {
      g_autofree char *what = g_strdup_printf ("has its %s twice", name);

      set_invalid (error, what);
      return NULL;
    }
  attribute = X509at_get_attr (signer_info->auth_attr, index);
  if (X509_ATTRIBUTE_count (attribute) != 1)
    {
      g_autofree char *what = g_strdup_printf ("has a %s with %d values", name, X509_ATTRIBUTE_count (attribute));

      set_invalid (error, what);
      return NULL;
    }
  return X509_ATTRIBUTE_get0_type (attribute, 0);
}

/* An attribute that must be there, of @type; its bytes. */
static const ASN1_STRING *
require_string (PKCS7_SIGNER_INFO  *signer_info,
                const char         *oid,
                const char         *name,
                int                 type,
                GError            **error)
{
  g_autoptr(GError) local_error = NULL;
  const ASN1_TYPE *value = find_attribute (signer_info, oid, name, &local_error);

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (value == NULL || value->type != type)
    {
      g_autofree char *what = g_strdup_printf (value == NULL ? "has no %s" : "has a %s of the wrong type", name);

      set_invalid (error, what);
      return NULL;
    }
  return value->value.asn1_string;
}

static gboolean
string_is (const ASN1_STRING *string,
           const char        *text)
{
  gsize size = strlen (text);

  return (gsize) ASN1_STRING_length (string) == size && memcmp (ASN1_STRING_get0_data (string), text, size) == 0;
}

/* A small number written as a PrintableString, as SCEP writes them. */
static gboolean
string_to_number (const ASN1_STRING *string,
                  guint              max,
                  guint             *number)
{
  g_autofree char *text = g_strndup ((const char *) ASN1_STRING_get0_data (string), ASN1_STRING_length (string));
  guint64 value = 0;

  if (ASN1_STRING_length (string) < 1 || ASN1_STRING_length (string) > 3
      || !g_ascii_string_to_unsigned (text, 10, 0, max, &value, NULL))
    return FALSE;
  *number = (guint) value;
  return TRUE;
}

/* The CA's words: one line of valid UTF-8, bounded. */
static char *
sanitize_text (const ASN1_STRING *string)
{
  gsize size = MIN ((gsize) ASN1_STRING_length (string), CRADLE_SCEP_MAX_FAIL_INFO_TEXT);
  g_autofree char *valid = g_utf8_make_valid ((const char *) ASN1_STRING_get0_data (string), size);
  GString *line = g_string_new (NULL);

  for (const char *p = valid; *p != '\0'; p++)
    g_string_append_c (line, g_ascii_iscntrl (*p) ? ' ' : *p);
  return g_strstrip (g_string_free (line, FALSE));
}

static gboolean
read_attributes (PKCS7_SIGNER_INFO            *signer_info,
                 const CradleScepMessageInfo  *info,
                 CradleScepReply              *reply,
                 GError                      **error)
{
  const ASN1_STRING *type, *transaction_id, *nonce, *status;
  const ASN1_TYPE *text;
  g_autoptr(GError) local_error = NULL;

  type = require_string (signer_info, OID_MESSAGE_TYPE, "messageType", V_ASN1_PRINTABLESTRING, error);
  if (type == NULL)
    return FALSE;
  if (!string_is (type, "3"))
    {
      set_invalid (error, "is not a CertRep (messageType 3)");
      return FALSE;
    }
  transaction_id = require_string (signer_info, OID_TRANSACTION_ID, "transactionID", V_ASN1_PRINTABLESTRING, error);
  if (transaction_id == NULL)
    return FALSE;
  if (!string_is (transaction_id, info->transaction_id))
    {
      set_invalid (error, "is about another transaction (its transactionID is not this request's)");
      return FALSE;
    }
  nonce = require_string (signer_info, OID_RECIPIENT_NONCE, "recipientNonce", V_ASN1_OCTET_STRING, error);
  if (nonce == NULL)
    return FALSE;
  if (ASN1_STRING_length (nonce) != CRADLE_SCEP_NONCE_SIZE
      || memcmp (ASN1_STRING_get0_data (nonce), info->sender_nonce, CRADLE_SCEP_NONCE_SIZE) != 0)
    {
      set_invalid (error, "does not answer this message: its recipientNonce is not the nonce Cradle sent "
                   "(a replayed or misdirected answer)");
      return FALSE;
    }
  status = require_string (signer_info, OID_PKI_STATUS, "pkiStatus", V_ASN1_PRINTABLESTRING, error);
  if (status == NULL)
    return FALSE;
  if (string_is (status, "0"))
    reply->status = CRADLE_SCEP_SUCCESS;
  else if (string_is (status, "2"))
    reply->status = CRADLE_SCEP_FAILURE;
  else if (string_is (status, "3"))
    reply->status = CRADLE_SCEP_PENDING;
  else
    {
      set_invalid (error, "has a pkiStatus that is not SUCCESS (0), FAILURE (2) or PENDING (3)");
      return FALSE;
    }

  if (reply->status == CRADLE_SCEP_FAILURE)
    {
      const ASN1_STRING *fail_info = require_string (signer_info, OID_FAIL_INFO, "failInfo",
                                                     V_ASN1_PRINTABLESTRING, error);

      if (fail_info == NULL)
        return FALSE;
      if (!string_to_number (fail_info, CRADLE_SCEP_FAIL_INFO_MAX, &reply->fail_info))
        {
          set_invalid (error, "has a failInfo that is not 0 to 4");
          return FALSE;
        }
      text = find_attribute (signer_info, OID_FAIL_INFO_TEXT, "failInfoText", &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (text != NULL && (text->type == V_ASN1_UTF8STRING || text->type == V_ASN1_PRINTABLESTRING
                           || text->type == V_ASN1_IA5STRING))
        reply->fail_info_text = sanitize_text (text->value.asn1_string);
    }
  return TRUE;
}

/* The envelope */

typedef struct {
  int         nid;
  const char *name;
  gsize       key_size;
  gsize       iv_size;
  gboolean    legacy;   /* in OpenSSL 3's legacy provider */
} ContentCipher;

/* What a CA may encrypt its answer with. Single DES only here: it is what
 * micromdm's scepserver answers with, and what it protects is the issued
 * certificate, which is public; the CA's signature covers the whole. */
static const ContentCipher content_ciphers[] = {
  { NID_aes_128_cbc, "AES-128-CBC", 16, 16, FALSE },
  { NID_aes_192_cbc, "AES-192-CBC", 24, 16, FALSE },
  { NID_aes_256_cbc, "AES-256-CBC", 32, 16, FALSE },
  { NID_des_ede3_cbc, "DES-EDE3-CBC", 24, 8, FALSE },
  { NID_des_cbc, "DES-CBC", 8, 8, TRUE },
};

/* A library context with the legacy provider, for single DES only; the
 * process's default context is left as it is. */
static OSSL_LIB_CTX *
legacy_context (void)
{
  static gsize initialized;
  static OSSL_LIB_CTX *context;

  if (g_once_init_enter (&initialized))
    {
      context = OSSL_LIB_CTX_new ();
      /* The default provider beside it, for what DES-CBC leans on (its random generator). */
      if (context != NULL && (OSSL_PROVIDER_load (context, "legacy") == NULL
                              || OSSL_PROVIDER_load (context, "default") == NULL))
        {
          g_debug ("OpenSSL's legacy provider is not available: %s", ERR_reason_error_string (ERR_peek_error ()));
          ERR_clear_error ();
          OSSL_LIB_CTX_free (context);
          context = NULL;
        }
      g_once_init_leave (&initialized, 1);
    }
  return context;
}

static PKCS7_RECIP_INFO *
find_recipient (STACK_OF (PKCS7_RECIP_INFO) *recipients,
                X509                        *signer)
{
  for (int i = 0; i < sk_PKCS7_RECIP_INFO_num (recipients); i++)
    {
      PKCS7_RECIP_INFO *recipient = sk_PKCS7_RECIP_INFO_value (recipients, i);
      PKCS7_ISSUER_AND_SERIAL *id = recipient->issuer_and_serial;

      if (id != NULL && id->issuer != NULL && id->serial != NULL
          && X509_NAME_cmp (id->issuer, X509_get_issuer_name (signer)) == 0
          && ASN1_INTEGER_cmp (id->serial, X509_get0_serialNumber (signer)) == 0)
        return recipient;
    }
  return NULL;
}

static GBytes *
decrypt_content (const ContentCipher  *spec,
                 GBytes               *key,
                 const ASN1_STRING    *iv,
                 const ASN1_STRING    *ciphertext,
                 GError              **error)
{
  g_autoptr(EVP_CIPHER) cipher = EVP_CIPHER_fetch (spec->legacy ? legacy_context () : NULL, spec->name, NULL);
  g_autoptr(EVP_CIPHER_CTX) ctx = EVP_CIPHER_CTX_new ();
  gsize size = (gsize) ASN1_STRING_length (ciphertext);
  g_autofree guint8 *plain = g_malloc (size + 32);
  int length = 0, final_length = 0;

  if (cipher == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "The SCEP server encrypted its answer with %s, which this system's OpenSSL "
                   "cannot decrypt (its legacy provider is missing).", spec->name);
      ERR_clear_error ();
      return NULL;
    }
  if (ctx == NULL
      || EVP_DecryptInit_ex2 (ctx, cipher, g_bytes_get_data (key, NULL), ASN1_STRING_get0_data (iv), NULL) != 1
      || EVP_DecryptUpdate (ctx, plain, &length, ASN1_STRING_get0_data (ciphertext), (int) size) != 1
      || EVP_DecryptFinal_ex (ctx, plain + length, &final_length) != 1)
    {
      ERR_clear_error ();
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The SCEP server's answer does not decrypt with the device's key: it was "
                           "encrypted for another key, or damaged on the way. Nothing was installed; "
                           "try again, and if this persists, support should check the SCEP server.");
      return NULL;
    }
  return g_bytes_new_take (g_steal_pointer (&plain), (gsize) length + (gsize) final_length);
}

static GPtrArray *
open_envelope (const guint8   *data,
               gsize           size,
               X509           *signer,
               CradleScepKey  *key,
               GCancellable   *cancellable,
               GError        **error)
{
  const guint8 *p = data;
  g_autoptr(PKCS7) p7 = NULL;
  PKCS7_ENVELOPE *envelope;
  PKCS7_RECIP_INFO *recipient;
  PKCS7_ENC_CONTENT *content;
  const ContentCipher *spec = NULL;
  const ASN1_TYPE *parameter;
  g_autoptr(GBytes) encrypted_key = NULL;
  g_autoptr(GBytes) content_key = NULL;
  g_autoptr(GBytes) plain = NULL;
  int nid;

  if (size == 0 || size > CRADLE_SCEP_MAX_MESSAGE_SIZE)
    {
      set_invalid (error, "holds no encrypted certificate");
      return NULL;
    }
  p7 = d2i_PKCS7 (NULL, &p, (long) size);
  if (p7 == NULL || p != data + size || !PKCS7_type_is_enveloped (p7) || p7->d.enveloped == NULL)
    {
      set_invalid (error, "does not hold an EnvelopedData");
      return NULL;
    }
  envelope = p7->d.enveloped;
  recipient = find_recipient (envelope->recipientinfo, signer);
  if (recipient == NULL)
    {
      set_invalid (error, "is encrypted for another certificate than this request's");
      return NULL;
    }
  if (recipient->key_enc_algor == NULL || OBJ_obj2nid (recipient->key_enc_algor->algorithm) != NID_rsaEncryption
      || recipient->enc_key == NULL
      || ASN1_STRING_length (recipient->enc_key) != EVP_PKEY_get_size (key->public_key))
    {
      set_invalid (error, "encrypts its key in a way other than RSA key transport to the device's key");
      return NULL;
    }

  content = envelope->enc_data;
  nid = content != NULL && content->algorithm != NULL ? OBJ_obj2nid (content->algorithm->algorithm) : NID_undef;
  for (gsize i = 0; i < G_N_ELEMENTS (content_ciphers); i++)
    if (content_ciphers[i].nid == nid)
      spec = &content_ciphers[i];
  if (spec == NULL)
    {
      g_autofree char *what = g_strdup_printf ("is encrypted with %s, which is not AES-CBC or DES-CBC",
                                               nid != NID_undef ? OBJ_nid2sn (nid) : "an unknown algorithm");

      set_invalid (error, what);
      return NULL;
    }
  parameter = content->algorithm->parameter;
  if (OBJ_obj2nid (content->content_type) != NID_pkcs7_data
      || parameter == NULL || parameter->type != V_ASN1_OCTET_STRING
      || (gsize) ASN1_STRING_length (parameter->value.octet_string) != spec->iv_size
      || content->enc_data == NULL || ASN1_STRING_length (content->enc_data) <= 0
      || ASN1_STRING_length (content->enc_data) > CRADLE_SCEP_MAX_MESSAGE_SIZE
      || ASN1_STRING_length (content->enc_data) % (int) MIN (spec->iv_size, 16) != 0)
    {
      set_invalid (error, "has a damaged encrypted content (content type, IV or length)");
      return NULL;
    }

  /* The device unwraps the content-encryption key; the host does the rest. */
  encrypted_key = g_bytes_new (ASN1_STRING_get0_data (recipient->enc_key), ASN1_STRING_length (recipient->enc_key));
  content_key = key->ops->decrypt (key, encrypted_key, spec->key_size, cancellable, error);
  if (content_key == NULL)
    return NULL;
  plain = decrypt_content (spec, content_key, parameter->value.octet_string, content->enc_data, error);
  if (plain == NULL)
    return NULL;
  return cradle_pkcs7_dup_certificates (plain, error);
}

/* The CertRep */

CradleScepReply *
cradle_scep_reply_parse (GBytes                       *der,
                         const CradleScepMessageInfo  *info,
                         CradleScepCa                 *ca,
                         X509                         *signer,
                         CradleScepKey                *key,
                         GCancellable                 *cancellable,
                         GError                      **error)
{
  g_autoptr(CradleScepReply) reply = g_new0 (CradleScepReply, 1);
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (der, &size);
  const guint8 *p = data;
  g_autoptr(PKCS7) p7 = NULL;
  g_autoptr(BIO) content = NULL;
  g_autoptr(BIO) detached = NULL;
  STACK_OF (PKCS7_SIGNER_INFO) *signer_infos;
  STACK_OF (X509) *signers;
  const int flags = PKCS7_NOINTERN | PKCS7_NOVERIFY | PKCS7_NOCHAIN | PKCS7_BINARY;
  char *content_data = NULL;
  long content_size;

  g_return_val_if_fail (der != NULL && info != NULL && ca != NULL && signer != NULL && key != NULL, NULL);

  if (size == 0 || size > CRADLE_SCEP_MAX_MESSAGE_SIZE)
    {
      g_autofree char *what = g_strdup_printf ("is %" G_GSIZE_FORMAT " bytes, not a SCEP message of 1 to %d",
                                               size, CRADLE_SCEP_MAX_MESSAGE_SIZE);

      set_invalid (error, what);
      return NULL;
    }
  p7 = d2i_PKCS7 (NULL, &p, (long) size);
  if (p7 == NULL || p != data + size)
    {
      set_invalid (error, "is not a SCEP message: it is not DER PKCS#7, or it is truncated");
      return NULL;
    }
  if (!PKCS7_type_is_signed (p7) || p7->d.sign == NULL || p7->d.sign->contents == NULL
      || !PKCS7_type_is_data (p7->d.sign->contents))
    {
      set_invalid (error, "is not a SCEP message: it is not a SignedData of data");
      return NULL;
    }
  signer_infos = PKCS7_get_signer_info (p7);
  if (signer_infos == NULL || sk_PKCS7_SIGNER_INFO_num (signer_infos) != 1)
    {
      set_invalid (error, "does not have exactly one signature");
      return NULL;
    }

  /* Signed by the SCEP CA or one of its RAs as GetCACert gave them, and by
   * nothing else: not by any other certificate of that answer, nor by one
   * the CertRep carries (PKCS7_NOINTERN), whoever issued it. */
  signers = PKCS7_get0_signers (p7, ca->signers, PKCS7_NOINTERN);
  if (signers == NULL)
    {
      set_invalid (error, "is not signed by the SCEP server's CA or RA certificate");
      return NULL;
    }
  sk_X509_free (signers);
  content = BIO_new (BIO_s_mem ());
  if (PKCS7_get_detached (p7))
    detached = BIO_new_mem_buf ("", 0);   /* FAILURE and PENDING carry no content */
  if (content == NULL || PKCS7_verify (p7, ca->signers, NULL, detached, content, flags) != 1)
    {
      set_invalid (error, "has a signature that does not verify: it was changed on the way, or not "
                   "made by the SCEP server's CA");
      return NULL;
    }
  ERR_clear_error ();

  if (!read_attributes (sk_PKCS7_SIGNER_INFO_value (signer_infos, 0), info, reply, error))
    return NULL;
  if (reply->status != CRADLE_SCEP_SUCCESS)
    return g_steal_pointer (&reply);

  content_size = BIO_get_mem_data (content, &content_data);
  reply->certificates = open_envelope ((const guint8 *) content_data, content_size > 0 ? (gsize) content_size : 0,
                                       signer, key, cancellable, error);
  if (reply->certificates == NULL)
    return NULL;
  return g_steal_pointer (&reply);
}
