/* cradle-scep-message.c: the signer certificate and pkiMessages, signed on the device */
#include "config.h"

#include <string.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <cradle/cradle.h>

#include "ca/scep/cradle-scep-private.h"
#include "protocol/cradle-der-private.h"

/* The SCEP attributes, 2.16.840.1.113733.1.9.x (RFC 8894 3.2.1). */
#define OID_MESSAGE_TYPE   "2.16.840.1.113733.1.9.2"
#define OID_SENDER_NONCE   "2.16.840.1.113733.1.9.5"
#define OID_TRANSACTION_ID "2.16.840.1.113733.1.9.7"

/* How long the transient signer certificate is valid: enough for clocks
 * that disagree; a CertPoll days later makes a new one for the same key. */
#define SIGNER_BACKDATE_SECONDS (60 * 60)
#define SIGNER_LIFETIME_SECONDS (7 * 24 * 60 * 60)

static void
set_openssl_error (GError     **error,
                   CradleError  code,
                   const char  *message)
{
  g_autofree char *why = cradle_openssl_dup_errors ();

  g_set_error (error, CRADLE_ERROR, code, "%s%s%s", message, why != NULL ? ": " : "", why != NULL ? why : "");
}

/* Keys */

CradleScepKey *
cradle_scep_key_new (const CradleScepKeyOps  *ops,
                     gpointer                 user_data,
                     GDestroyNotify           user_data_free,
                     GBytes                  *public_key,
                     GError                 **error)
{
  g_autoptr(CradleScepKey) key = g_new0 (CradleScepKey, 1);
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (public_key, &size);
  const guint8 *p = data;

  key->ops = ops;
  key->user_data = user_data;
  key->user_data_free = user_data_free;
  if (size > 0 && size <= G_MAXLONG)
    key->public_key = d2i_PUBKEY (NULL, &p, (long) size);
  if (key->public_key == NULL || p != data + size)
    {
      set_openssl_error (error, CRADLE_ERROR_INVALID_DATA, "The request's public key cannot be read");
      return NULL;
    }
  if (!EVP_PKEY_is_a (key->public_key, "RSA"))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                           "SCEP needs an RSA key: the CA encrypts its answer to the request's key, "
                           "and only RSA keys can receive it. Choose a certificate type with an RSA key.");
      return NULL;
    }
  return g_steal_pointer (&key);
}

void
cradle_scep_key_free (CradleScepKey *key)
{
  if (key == NULL)
    return;
  if (key->user_data_free != NULL)
    key->user_data_free (key->user_data);
  EVP_PKEY_free (key->public_key);
  g_free (key);
}

typedef struct {
  CradleDevice *device;
  GBytes       *key_id;
} DeviceKey;

static void
device_key_free (gpointer data)
{
  DeviceKey *device_key = data;

  g_object_unref (device_key->device);
  g_bytes_unref (device_key->key_id);
  g_free (device_key);
}

static GBytes *
device_sign (CradleScepKey            *key,
             CradleDeviceSignPurpose   purpose,
             GBytes                   *data,
             GBytes                   *content,
             const char               *digest,
             GCancellable             *cancellable,
             GError                  **error)
{
  DeviceKey *device_key = key->user_data;

  if (content != NULL)
    return cradle_device_sign_scep_message (device_key->device, device_key->key_id, data, content, digest,
                                            cancellable, error);
  return cradle_device_sign (device_key->device, device_key->key_id, purpose, data, digest, NULL,
                             cancellable, error);
}

static GBytes *
device_decrypt (CradleScepKey  *key,
                GBytes         *encrypted_key,
                gsize           key_size,
                GCancellable   *cancellable,
                GError        **error)
{
  DeviceKey *device_key = key->user_data;

  return cradle_device_decrypt (device_key->device, device_key->key_id, CRADLE_DEVICE_DECRYPT_SCEP_CONTENT_KEY,
                                encrypted_key, key_size, cancellable, error);
}

static GBytes *
device_sign_renewal (CradleScepKey  *key,
                     GBytes         *signed_attributes,
                     GBytes         *envelope,
                     GBytes         *content_key,
                     const char     *digest,
                     GCancellable   *cancellable,
                     GError        **error)
{
  DeviceKey *device_key = key->user_data;

  return cradle_device_sign_renewal (device_key->device, device_key->key_id, CRADLE_DEVICE_SIGN_SCEP_RENEWAL,
                                     signed_attributes, envelope, content_key, digest, NULL, cancellable, error);
}

static const CradleScepKeyOps device_key_ops = { device_sign, device_decrypt, device_sign_renewal };

CradleScepKey *
cradle_scep_key_new_for_device (CradleDevice  *device,
                                GBytes        *key_id,
                                GBytes        *public_key,
                                GError       **error)
{
  DeviceKey *device_key;

  g_return_val_if_fail (CRADLE_IS_DEVICE (device), NULL);
  g_return_val_if_fail (key_id != NULL, NULL);

  if (!cradle_device_has_feature (device, CRADLE_DEVICE_FEATURE_SCEP))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "The device's Cradle agent (%s) cannot take part in a SCEP enrollment: it does "
                   "not sign or decrypt SCEP messages. Update the Cradle agent on the device.",
                   cradle_device_get_agent_version (device) != NULL
                   ? cradle_device_get_agent_version (device) : "unknown version");
      return NULL;
    }
  device_key = g_new0 (DeviceKey, 1);
  device_key->device = g_object_ref (device);
  device_key->key_id = g_bytes_ref (key_id);
  return cradle_scep_key_new (&device_key_ops, device_key, device_key_free, public_key, error);
}

char *
cradle_scep_transaction_id (CradleScepKey *key)
{
  unsigned char *der = NULL;
  int size = i2d_PUBKEY (key->public_key, &der);
  g_autoptr(GBytes) spki = NULL;
  g_autofree char *hex = NULL;

  g_return_val_if_fail (size > 0, NULL);
  spki = cradle_openssl_take_der (der, size);
  hex = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, spki);
  return g_ascii_strup (hex, -1);
}

/* DER building */

static GBytes *
encode_name (X509_NAME  *name,
             GError    **error)
{
  unsigned char *der = NULL;
  int size = i2d_X509_NAME (name, &der);

  if (size <= 0)
    {
      set_openssl_error (error, CRADLE_ERROR_FAILED, "Could not encode a name for the SCEP message");
      return NULL;
    }
  return cradle_openssl_take_der (der, size);
}

GBytes *
cradle_scep_issuer_and_subject (X509_NAME  *issuer,
                                X509_NAME  *subject,
                                GError    **error)
{
  g_autoptr(GBytes) issuer_der = encode_name (issuer, error);
  g_autoptr(GBytes) subject_der = NULL;
  GByteArray *out;

  if (issuer_der == NULL || (subject_der = encode_name (subject, error)) == NULL)
    return NULL;
  out = g_byte_array_new ();
  cradle_der_append_header (out, CRADLE_DER_SEQUENCE, g_bytes_get_size (issuer_der) + g_bytes_get_size (subject_der));
  g_byte_array_append (out, g_bytes_get_data (issuer_der, NULL), g_bytes_get_size (issuer_der));
  g_byte_array_append (out, g_bytes_get_data (subject_der, NULL), g_bytes_get_size (subject_der));
  return g_byte_array_free_to_bytes (out);
}

/* The signer certificate */

static gboolean
set_random_serial (X509    *cert,
                   GError **error)
{
  guint8 bytes[8];
  g_autoptr(BIGNUM) number = NULL;

  if (RAND_bytes (bytes, sizeof bytes) != 1)
    {
      set_openssl_error (error, CRADLE_ERROR_FAILED, "The random number generator failed");
      return FALSE;
    }
  bytes[0] = (bytes[0] & 0x7f) | 0x40;   /* positive, eight bytes long */
  number = BN_bin2bn (bytes, sizeof bytes, NULL);
  if (number == NULL || BN_to_ASN1_INTEGER (number, X509_get_serialNumber (cert)) == NULL)
    {
      set_openssl_error (error, CRADLE_ERROR_FAILED, "Could not set the signer certificate's serial number");
      return FALSE;
    }
  return TRUE;
}

static X509_NAME *
signer_name (X509_NAME   *subject,
             const char  *transaction_id,
             GError     **error)
{
  g_autoptr(X509_NAME) name = NULL;
  g_autofree char *common_name = NULL;

  /* RFC 8894 2.3: the request's subject, when it has one. */
  if (subject != NULL && X509_NAME_entry_count (subject) > 0)
    return X509_NAME_dup (subject);
  name = X509_NAME_new ();
  common_name = g_strdup_printf ("Cradle SCEP %.16s", transaction_id);
  if (name == NULL || !X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_ASC, (const guint8 *) common_name,
                                                   -1, -1, 0))
    {
      set_openssl_error (error, CRADLE_ERROR_FAILED, "Could not name the SCEP signer certificate");
      return NULL;
    }
  return g_steal_pointer (&name);
}

/* Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING } */
static X509 *
assemble_certificate (GBytes           *tbs,
                      const X509_ALGOR *algorithm,
                      GBytes           *signature,
                      GError          **error)
{
  g_autoptr(GByteArray) body = g_byte_array_new ();
  g_autoptr(GByteArray) whole = g_byte_array_new ();
  unsigned char *algorithm_der = NULL;
  int algorithm_size = i2d_X509_ALGOR (algorithm, &algorithm_der);
  const guint8 *p;
  X509 *cert;

  if (algorithm_size <= 0)
    {
      set_openssl_error (error, CRADLE_ERROR_FAILED, "Could not encode the signer certificate");
      return NULL;
    }
  g_byte_array_append (body, g_bytes_get_data (tbs, NULL), g_bytes_get_size (tbs));
  g_byte_array_append (body, algorithm_der, algorithm_size);
  OPENSSL_free (algorithm_der);
  cradle_der_append_header (body, CRADLE_DER_BIT_STRING, g_bytes_get_size (signature) + 1);
  g_byte_array_append (body, (const guint8 *) "", 1);   /* no unused bits */
  g_byte_array_append (body, g_bytes_get_data (signature, NULL), g_bytes_get_size (signature));
  cradle_der_append_header (whole, CRADLE_DER_SEQUENCE, body->len);
  g_byte_array_append (whole, body->data, body->len);

  p = whole->data;
  cert = d2i_X509 (NULL, &p, (long) whole->len);
  if (cert == NULL || p != whole->data + whole->len)
    {
      X509_free (cert);
      set_openssl_error (error, CRADLE_ERROR_INVALID_DATA,
                         "The device's signature does not fit the SCEP signer certificate");
      return NULL;
    }
  return cert;
}

static int
signature_nid (const char *digest)
{
  const EVP_MD *md = EVP_get_digestbyname (digest);
  int nid = NID_undef;

  if (md == NULL || !OBJ_find_sigid_by_algs (&nid, EVP_MD_get_type (md), NID_rsaEncryption))
    return NID_undef;
  return nid;
}

X509 *
cradle_scep_make_signer (CradleScepKey  *key,
                         X509_NAME      *subject,
                         const char     *transaction_id,
                         const char     *digest,
                         GCancellable   *cancellable,
                         GError        **error)
{
  g_autoptr(X509) draft = X509_new ();
  g_autoptr(X509_NAME) name = NULL;
  g_autoptr(X509_EXTENSION) key_usage = NULL;
  g_autoptr(GBytes) tbs = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(X509) cert = NULL;
  unsigned char *tbs_der = NULL;
  int tbs_size;
  int nid = signature_nid (digest);

  g_return_val_if_fail (key != NULL && transaction_id != NULL, NULL);

  if (nid == NID_undef)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "The digest '%s' cannot sign SCEP messages", digest);
      return NULL;
    }
  name = signer_name (subject, transaction_id, error);
  if (name == NULL || !set_random_serial (draft, error))
    return NULL;
  key_usage = X509V3_EXT_conf_nid (NULL, NULL, NID_key_usage, "critical,digitalSignature,keyEncipherment");
  if (draft == NULL || key_usage == NULL
      || !X509_set_version (draft, X509_VERSION_3)
      || !X509_set_subject_name (draft, name)
      || !X509_set_issuer_name (draft, name)
      || X509_gmtime_adj (X509_getm_notBefore (draft), -SIGNER_BACKDATE_SECONDS) == NULL
      || X509_gmtime_adj (X509_getm_notAfter (draft), SIGNER_LIFETIME_SECONDS) == NULL
      || !X509_set_pubkey (draft, key->public_key)
      || !X509_add_ext (draft, key_usage, -1)
      /* The TBSCertificate names the algorithm the device signs it with. */
      || !X509_ALGOR_set0 ((X509_ALGOR *) X509_get0_tbs_sigalg (draft), OBJ_nid2obj (nid), V_ASN1_NULL, NULL))
    {
      set_openssl_error (error, CRADLE_ERROR_FAILED, "Could not build the SCEP signer certificate");
      return NULL;
    }
  tbs_size = i2d_re_X509_tbs (draft, &tbs_der);
  if (tbs_size <= 0)
    {
      set_openssl_error (error, CRADLE_ERROR_FAILED, "Could not encode the SCEP signer certificate");
      return NULL;
    }
  tbs = cradle_openssl_take_der (tbs_der, tbs_size);

  signature = key->ops->sign (key, CRADLE_DEVICE_SIGN_SCEP_SIGNER, tbs, NULL, digest, cancellable, error);
  if (signature == NULL)
    return NULL;
  cert = assemble_certificate (tbs, X509_get0_tbs_sigalg (draft), signature, error);
  if (cert == NULL)
    return NULL;
  if (X509_verify (cert, key->public_key) != 1)
    {
      ERR_clear_error ();
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The device's signature on the SCEP signer certificate does not verify with "
                           "the device's public key. The device's agent is faulty; update it.");
      return NULL;
    }
  return g_steal_pointer (&cert);
}

/* pkiMessage */

static GBytes *
envelope (GBytes      *content,
          X509        *recipient,
          const char  *cipher_name,
          GError     **error)
{
  g_autoptr(EVP_CIPHER) cipher = EVP_CIPHER_fetch (NULL, cipher_name, NULL);
  g_autoptr(BIO) in = BIO_new_mem_buf (g_bytes_get_data (content, NULL), (int) g_bytes_get_size (content));
  STACK_OF (X509) *recipients = sk_X509_new_null ();
  g_autoptr(PKCS7) enveloped = NULL;
  unsigned char *der = NULL;
  int size = 0;

  if (cipher != NULL && in != NULL && recipients != NULL && sk_X509_push (recipients, recipient) > 0)
    enveloped = PKCS7_encrypt (recipients, in, cipher, PKCS7_BINARY);
  sk_X509_free (recipients);   /* borrowed the certificate */
  if (enveloped != NULL)
    size = i2d_PKCS7 (enveloped, &der);
  if (size <= 0)
    {
      set_openssl_error (error, CRADLE_ERROR_FAILED, "Could not encrypt the SCEP message to the CA");
      return NULL;
    }
  return cradle_openssl_take_der (der, size);
}

/* The same EnvelopedData, with a content-encryption key made here and
 * returned in @content_key: a renewal's device reads the envelope's
 * content with it (SIGN purpose 5).  PKCS7_encrypt() keeps its key. */
static GBytes *
envelope_with_key (GBytes      *content,
                   X509        *recipient,
                   const char  *cipher_name,
                   GBytes     **content_key,
                   GError     **error)
{
  g_autoptr(EVP_CIPHER) cipher = EVP_CIPHER_fetch (NULL, cipher_name, NULL);
  g_autoptr(EVP_CIPHER_CTX) ctx = EVP_CIPHER_CTX_new ();
  g_autoptr(EVP_PKEY_CTX) pkey_ctx = NULL;
  g_autoptr(PKCS7) enveloped = PKCS7_new ();
  g_autofree guint8 *encrypted = NULL;
  g_autofree guint8 *wrapped = NULL;
  guint8 key[EVP_MAX_KEY_LENGTH];
  guint8 iv[EVP_MAX_IV_LENGTH];
  PKCS7_RECIP_INFO *info = NULL;   /* owned by enveloped */
  PKCS7_ENC_CONTENT *enc = NULL;   /* the same */
  size_t wrapped_size = 0;
  int key_size = 0;
  int iv_size = 0;
  int size = 0;
  int last = 0;
  unsigned char *der = NULL;
  gboolean ok;

  ok = cipher != NULL && ctx != NULL && enveloped != NULL
       && (key_size = EVP_CIPHER_get_key_length (cipher)) > 0 && key_size <= (int) sizeof key
       && (iv_size = EVP_CIPHER_get_iv_length (cipher)) > 0 && iv_size <= (int) sizeof iv
       && EVP_EncryptInit_ex2 (ctx, cipher, NULL, NULL, NULL) == 1
       && EVP_CIPHER_CTX_rand_key (ctx, key) == 1
       && RAND_bytes (iv, iv_size) == 1
       && EVP_EncryptInit_ex2 (ctx, NULL, key, iv, NULL) == 1
       && (encrypted = g_malloc (g_bytes_get_size (content) + EVP_MAX_BLOCK_LENGTH)) != NULL
       && EVP_EncryptUpdate (ctx, encrypted, &size, g_bytes_get_data (content, NULL),
                             (int) g_bytes_get_size (content)) == 1
       && EVP_EncryptFinal_ex (ctx, encrypted + size, &last) == 1
       && PKCS7_set_type (enveloped, NID_pkcs7_enveloped)
       && PKCS7_set_cipher (enveloped, cipher)
       && (info = PKCS7_add_recipient (enveloped, recipient)) != NULL
       && (pkey_ctx = EVP_PKEY_CTX_new_from_pkey (NULL, X509_get0_pubkey (recipient), NULL)) != NULL
       && EVP_PKEY_encrypt_init (pkey_ctx) == 1
       && EVP_PKEY_CTX_set_rsa_padding (pkey_ctx, RSA_PKCS1_PADDING) == 1
       && EVP_PKEY_encrypt (pkey_ctx, NULL, &wrapped_size, key, (size_t) key_size) == 1
       && (wrapped = g_malloc (wrapped_size)) != NULL
       && EVP_PKEY_encrypt (pkey_ctx, wrapped, &wrapped_size, key, (size_t) key_size) == 1
       && ASN1_STRING_set (info->enc_key, wrapped, (int) wrapped_size);
  if (ok)
    {
      enc = enveloped->d.enveloped->enc_data;
      ASN1_OBJECT_free (enc->algorithm->algorithm);
      enc->algorithm->algorithm = OBJ_nid2obj (EVP_CIPHER_get_type (cipher));
      ASN1_TYPE_free (enc->algorithm->parameter);
      ok = (enc->algorithm->parameter = ASN1_TYPE_new ()) != NULL
           && EVP_CIPHER_param_to_asn1 (ctx, enc->algorithm->parameter) > 0
           && (enc->enc_data = ASN1_OCTET_STRING_new ()) != NULL
           && ASN1_OCTET_STRING_set (enc->enc_data, encrypted, size + last)
           && (size = i2d_PKCS7 (enveloped, &der)) > 0;
    }
  if (!ok)
    {
      OPENSSL_cleanse (key, sizeof key);
      set_openssl_error (error, CRADLE_ERROR_FAILED, "Could not encrypt the SCEP renewal to the CA");
      return NULL;
    }
  *content_key = g_bytes_new (key, (gsize) key_size);
  OPENSSL_cleanse (key, sizeof key);
  return cradle_openssl_take_der (der, size);
}

static gboolean
add_attribute (PKCS7_SIGNER_INFO *signer_info,
               const char        *oid,
               int                type,
               const guint8      *bytes,
               gsize              size)
{
  g_autoptr(ASN1_OBJECT) object = OBJ_txt2obj (oid, 1);

  return object != NULL
         && X509at_add1_attr_by_OBJ (&signer_info->auth_attr, object, type, bytes, (int) size) != NULL;
}

static gboolean
verify_signature (EVP_PKEY     *public_key,
                  const char   *digest,
                  const guint8 *data,
                  gsize         size,
                  GBytes       *signature)
{
  g_autoptr(EVP_MD_CTX) ctx = EVP_MD_CTX_new ();
  EVP_PKEY_CTX *pkey_ctx = NULL;
  gboolean good;

  good = ctx != NULL
         && EVP_DigestVerifyInit_ex (ctx, &pkey_ctx, digest, NULL, NULL, public_key, NULL) == 1
         && EVP_PKEY_CTX_set_rsa_padding (pkey_ctx, RSA_PKCS1_PADDING) == 1
         && EVP_DigestVerify (ctx, g_bytes_get_data (signature, NULL), g_bytes_get_size (signature),
                              data, size) == 1;
  ERR_clear_error ();
  return good;
}

GBytes *
cradle_scep_message_build (const CradleScepMessageInfo  *info,
                           GBytes                       *message_data,
                           X509                         *recipient,
                           X509                         *signer,
                           CradleScepKey                *key,
                           GCancellable                 *cancellable,
                           GError                      **error)
{
  g_autoptr(GBytes) enveloped = NULL;
  g_autoptr(GBytes) content_key = NULL;
  g_autoptr(PKCS7) p7 = PKCS7_new ();
  g_autoptr(GBytes) signature = NULL;
  g_autofree char *type = g_strdup_printf ("%u", (guint) info->type);
  const EVP_MD *md = EVP_get_digestbyname (info->digest);
  PKCS7_SIGNER_INFO *signer_info = NULL;   /* owned by p7 */
  ASN1_OCTET_STRING *content_digest = NULL;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_size = 0;
  unsigned char *attributes = NULL;
  int attributes_size;
  unsigned char *der = NULL;
  int size;

  g_return_val_if_fail (info != NULL && message_data != NULL && recipient != NULL, NULL);
  g_return_val_if_fail (signer != NULL && key != NULL, NULL);

  enveloped = info->renewal ? envelope_with_key (message_data, recipient, info->cipher, &content_key, error)
                            : envelope (message_data, recipient, info->cipher, error);
  if (enveloped == NULL)
    return NULL;

  /* SignedData { data: the EnvelopedData }, signed by the transient certificate. */
  if (md == NULL || p7 == NULL
      || !PKCS7_set_type (p7, NID_pkcs7_signed)
      || !PKCS7_content_new (p7, NID_pkcs7_data)
      || !ASN1_OCTET_STRING_set (p7->d.sign->contents->d.data, g_bytes_get_data (enveloped, NULL),
                                 (int) g_bytes_get_size (enveloped))
      || !PKCS7_add_certificate (p7, signer)
      /* A public key is all PKCS#7 needs to fill in the SignerInfo's algorithms. */
      || (signer_info = PKCS7_add_signature (p7, signer, key->public_key, md)) == NULL
      || EVP_Digest (g_bytes_get_data (enveloped, NULL), g_bytes_get_size (enveloped), digest, &digest_size,
                     md, NULL) != 1
      || (content_digest = ASN1_OCTET_STRING_new ()) == NULL
      || !ASN1_OCTET_STRING_set (content_digest, digest, (int) digest_size))
    {
      ASN1_OCTET_STRING_free (content_digest);
      set_openssl_error (error, CRADLE_ERROR_FAILED, "Could not build the SCEP message");
      return NULL;
    }
  if (!PKCS7_add_signed_attribute (signer_info, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING, content_digest))
    {
      ASN1_OCTET_STRING_free (content_digest);
      set_openssl_error (error, CRADLE_ERROR_FAILED, "Could not build the SCEP message");
      return NULL;
    }
  if (!PKCS7_add_signed_attribute (signer_info, NID_pkcs9_contentType, V_ASN1_OBJECT,
                                   OBJ_nid2obj (NID_pkcs7_data))
      || !add_attribute (signer_info, OID_MESSAGE_TYPE, V_ASN1_PRINTABLESTRING, (const guint8 *) type,
                         strlen (type))
      || !add_attribute (signer_info, OID_SENDER_NONCE, V_ASN1_OCTET_STRING, info->sender_nonce,
                         sizeof info->sender_nonce)
      || !add_attribute (signer_info, OID_TRANSACTION_ID, V_ASN1_PRINTABLESTRING,
                         (const guint8 *) info->transaction_id, strlen (info->transaction_id)))
    {
      set_openssl_error (error, CRADLE_ERROR_FAILED, "Could not build the SCEP message's attributes");
      return NULL;
    }

  /* The DER SET OF the signed attributes, as CMS signs them (this also
   * puts them in DER order for the encoding that follows). */
  attributes_size = ASN1_item_i2d ((ASN1_VALUE *) signer_info->auth_attr, &attributes,
                                   ASN1_ITEM_rptr (PKCS7_ATTR_SIGN));
  if (attributes_size <= 0)
    {
      set_openssl_error (error, CRADLE_ERROR_FAILED, "Could not encode the SCEP message's attributes");
      return NULL;
    }
  {
    g_autoptr(GBytes) to_sign = cradle_openssl_take_der (attributes, attributes_size);

    /* The device computes the messageDigest again, over the envelope. */
    if (info->renewal && key->ops->sign_renewal == NULL)
      {
        g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                             "This key cannot sign a SCEP renewal.");
        return NULL;
      }
    signature = info->renewal
                ? key->ops->sign_renewal (key, to_sign, enveloped, content_key, info->digest, cancellable, error)
                : key->ops->sign (key, CRADLE_DEVICE_SIGN_SCEP_MESSAGE, to_sign, enveloped, info->digest,
                                  cancellable, error);
    if (signature == NULL)
      return NULL;
    if (!verify_signature (key->public_key, info->digest, g_bytes_get_data (to_sign, NULL),
                           g_bytes_get_size (to_sign), signature))
      {
        g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                             "The device's signature on the SCEP message does not verify with the "
                             "device's public key. The device's agent is faulty; update it.");
        return NULL;
      }
  }
  if (!ASN1_STRING_set (signer_info->enc_digest, g_bytes_get_data (signature, NULL),
                        (int) g_bytes_get_size (signature)))
    {
      set_openssl_error (error, CRADLE_ERROR_FAILED, "Could not build the SCEP message");
      return NULL;
    }

  size = i2d_PKCS7 (p7, &der);
  if (size <= 0)
    {
      set_openssl_error (error, CRADLE_ERROR_FAILED, "Could not encode the SCEP message");
      return NULL;
    }
  return cradle_openssl_take_der (der, size);
}
