/* cradle-agent-keystore-crypto.c: keys, sealing and signatures with OpenSSL 3 */
#include "config.h"

#include <string.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "agent/cradle-agent-keystore-crypto-private.h"
#include "agent/cradle-agent-rsa-keygen-private.h"
#include "agent/cradle-agent-secure-memory-private.h"

typedef struct {
  const char *name;
  const char *algorithm;   /* OpenSSL's key type name */
  guint       bits;        /* RSA only */
  const char *curve;       /* EC only */
  int         curve_nid;
} KeyType;

static const KeyType key_types[] = {
  { "rsa2048", "RSA", 2048, NULL, NID_undef },
  { "rsa3072", "RSA", 3072, NULL, NID_undef },
  { "rsa4096", "RSA", 4096, NULL, NID_undef },
  { "p256", "EC", 0, "P-256", NID_X9_62_prime256v1 },
  { "p384", "EC", 0, "P-384", NID_secp384r1 },
};

CradleAgentSecret *
cradle_agent_secret_new (gsize size)
{
  CradleAgentSecret *secret = g_new0 (CradleAgentSecret, 1);

  secret->size = size;
  secret->capacity = size;
  secret->data = cradle_agent_secure_alloc (size);
  return secret;
}

void
cradle_agent_secret_free (CradleAgentSecret *secret)
{
  if (secret == NULL)
    return;
  cradle_agent_secure_free (secret->data, secret->capacity);
  g_free (secret);
}

void
cradle_agent_crypto_set_error (GError      **error,
                               CradleError   code,
                               const char   *message)
{
  g_autofree char *reasons = cradle_openssl_dup_errors ();

  if (reasons != NULL)
    g_set_error (error, CRADLE_ERROR, code, "%s: %s", message, reasons);
  else
    g_set_error_literal (error, CRADLE_ERROR, code, message);
}

gboolean
cradle_agent_crypto_random (guint8  *buffer,
                            gsize    size,
                            GError **error)
{
  if (size > G_MAXINT || RAND_bytes (buffer, (int) size) != 1)
    {
      cradle_agent_crypto_set_error (error, CRADLE_ERROR_FAILED,
                                     "The random number generator failed");
      return FALSE;
    }
  return TRUE;
}

static const KeyType *
find_key_type (const char *key_type)
{
  for (gsize i = 0; i < G_N_ELEMENTS (key_types); i++)
    if (g_strcmp0 (key_types[i].name, key_type) == 0)
      return &key_types[i];
  return NULL;
}

gboolean
cradle_agent_crypto_key_type_known (const char *key_type)
{
  return find_key_type (key_type) != NULL;
}

EVP_PKEY *
cradle_agent_crypto_generate (const char  *key_type,
                              GError     **error)
{
  const KeyType *type = find_key_type (key_type);
  EVP_PKEY *pkey;

  if (type == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "This device cannot make '%s' keys", key_type != NULL ? key_type : "(none)");
      return NULL;
    }

  if (type->curve != NULL)
    pkey = EVP_PKEY_Q_keygen (NULL, NULL, "EC", type->curve);
  else
    pkey = cradle_agent_rsa_generate ((int) type->bits);
  if (pkey == NULL)
    {
      g_autofree char *message = g_strdup_printf ("Could not generate a %s key", key_type);

      cradle_agent_crypto_set_error (error, CRADLE_ERROR_FAILED, message);
    }
  return pkey;
}

gboolean
cradle_agent_crypto_key_is_type (EVP_PKEY   *pkey,
                                 const char *key_type)
{
  const KeyType *type = find_key_type (key_type);
  char group[64] = { 0 };
  int nid;

  if (type == NULL || !EVP_PKEY_is_a (pkey, type->algorithm))
    return FALSE;
  if (type->curve == NULL)
    return EVP_PKEY_get_bits (pkey) == (int) type->bits;
  if (EVP_PKEY_get_group_name (pkey, group, sizeof group, NULL) != 1)
    {
      ERR_clear_error ();
      return FALSE;
    }
  nid = OBJ_sn2nid (group);
  if (nid == NID_undef)
    nid = EC_curve_nist2nid (group);
  return nid == type->curve_nid;
}

GBytes *
cradle_agent_crypto_public_der (EVP_PKEY  *pkey,
                                GError   **error)
{
  int size = i2d_PUBKEY (pkey, NULL);
  guint8 *der;
  guint8 *end;

  if (size <= 0)
    {
      cradle_agent_crypto_set_error (error, CRADLE_ERROR_FAILED, "Could not encode the public key");
      return NULL;
    }
  der = g_malloc (size);
  end = der;
  if (i2d_PUBKEY (pkey, &end) != size)
    {
      g_free (der);
      cradle_agent_crypto_set_error (error, CRADLE_ERROR_FAILED, "Could not encode the public key");
      return NULL;
    }
  return g_bytes_new_take (der, size);
}

EVP_PKEY *
cradle_agent_crypto_public_parse (GBytes  *der,
                                  GError **error)
{
  gsize size = 0;
  const guint8 *start = g_bytes_get_data (der, &size);
  const guint8 *p = start;
  g_autoptr(EVP_PKEY) pkey = NULL;

  if (size > 0 && size <= G_MAXLONG)
    pkey = d2i_PUBKEY (NULL, &p, (long) size);
  if (pkey == NULL || p != start + size)
    {
      cradle_agent_crypto_set_error (error, CRADLE_ERROR_INVALID_DATA,
                                     "The public key is not a DER SubjectPublicKeyInfo");
      return NULL;
    }
  return g_steal_pointer (&pkey);
}

CradleAgentSecret *
cradle_agent_crypto_private_der (EVP_PKEY  *pkey,
                                 GError   **error)
{
  g_autoptr(PKCS8_PRIV_KEY_INFO) p8 = EVP_PKEY2PKCS8 (pkey);
  g_autoptr(CradleAgentSecret) secret = NULL;
  guint8 *end;
  int size;

  size = p8 != NULL ? i2d_PKCS8_PRIV_KEY_INFO (p8, NULL) : 0;
  if (size <= 0)
    {
      cradle_agent_crypto_set_error (error, CRADLE_ERROR_FAILED, "Could not encode the private key");
      return NULL;
    }
  /* Encoded straight into a buffer we wipe, never into one OpenSSL allocates. */
  secret = cradle_agent_secret_new (size);
  end = secret->data;
  if (i2d_PKCS8_PRIV_KEY_INFO (p8, &end) != size)
    {
      cradle_agent_crypto_set_error (error, CRADLE_ERROR_FAILED, "Could not encode the private key");
      return NULL;
    }
  return g_steal_pointer (&secret);
}

EVP_PKEY *
cradle_agent_crypto_private_parse (const CradleAgentSecret  *pkcs8,
                                   GError                  **error)
{
  const guint8 *p = pkcs8->data;
  g_autoptr(PKCS8_PRIV_KEY_INFO) p8 = NULL;
  EVP_PKEY *pkey = NULL;

  if (pkcs8->size > 0 && pkcs8->size <= G_MAXLONG)
    p8 = d2i_PKCS8_PRIV_KEY_INFO (NULL, &p, (long) pkcs8->size);
  if (p8 != NULL && p == pkcs8->data + pkcs8->size)
    pkey = EVP_PKCS82PKEY (p8);
  if (pkey == NULL)
    cradle_agent_crypto_set_error (error, CRADLE_ERROR_INVALID_DATA,
                                   "The decrypted private key is not PKCS#8");
  return pkey;
}

gboolean
cradle_agent_crypto_seal (const guint8             *kek,
                          GBytes                   *aad,
                          const CradleAgentSecret  *plaintext,
                          GBytes                  **nonce,
                          GBytes                  **ciphertext,
                          GBytes                  **tag,
                          GError                  **error)
{
  g_autoptr(EVP_CIPHER_CTX) ctx = EVP_CIPHER_CTX_new ();
  guint8 iv[CRADLE_AGENT_NONCE_SIZE];
  guint8 mac[CRADLE_AGENT_TAG_SIZE];
  gsize aad_size = 0;
  const guint8 *aad_data = g_bytes_get_data (aad, &aad_size);
  g_autofree guint8 *out = NULL;
  int length = 0;
  int final_length = 0;

  if (plaintext->size > G_MAXINT / 2 || aad_size > G_MAXINT)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_FAILED, "The key is too large to seal");
      return FALSE;
    }
  if (!cradle_agent_crypto_random (iv, sizeof iv, error))
    return FALSE;

  out = g_malloc (plaintext->size + 16);
  if (ctx == NULL
      || EVP_EncryptInit_ex2 (ctx, EVP_aes_256_gcm (), NULL, NULL, NULL) != 1
      || EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_GCM_SET_IVLEN, sizeof iv, NULL) != 1
      || EVP_EncryptInit_ex2 (ctx, NULL, kek, iv, NULL) != 1
      || EVP_EncryptUpdate (ctx, NULL, &length, aad_data, (int) aad_size) != 1
      || EVP_EncryptUpdate (ctx, out, &length, plaintext->data, (int) plaintext->size) != 1
      || EVP_EncryptFinal_ex (ctx, out + length, &final_length) != 1
      || EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_GCM_GET_TAG, sizeof mac, mac) != 1)
    {
      cradle_agent_crypto_set_error (error, CRADLE_ERROR_FAILED, "Could not encrypt the private key");
      return FALSE;
    }

  *nonce = g_bytes_new (iv, sizeof iv);
  *ciphertext = g_bytes_new_take (g_steal_pointer (&out), (gsize) length + (gsize) final_length);
  *tag = g_bytes_new (mac, sizeof mac);
  return TRUE;
}

CradleAgentSecret *
cradle_agent_crypto_unseal (const guint8  *kek,
                            GBytes        *aad,
                            GBytes        *nonce,
                            GBytes        *ciphertext,
                            GBytes        *tag,
                            GError       **error)
{
  g_autoptr(EVP_CIPHER_CTX) ctx = EVP_CIPHER_CTX_new ();
  g_autoptr(CradleAgentSecret) plaintext = NULL;
  gsize aad_size = 0;
  const guint8 *aad_data = g_bytes_get_data (aad, &aad_size);
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (ciphertext, &size);
  guint8 mac[CRADLE_AGENT_TAG_SIZE];
  int length = 0;
  int final_length = 0;

  if (g_bytes_get_size (nonce) != CRADLE_AGENT_NONCE_SIZE
      || g_bytes_get_size (tag) != CRADLE_AGENT_TAG_SIZE
      || size == 0 || size > G_MAXINT / 2 || aad_size > G_MAXINT)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "the nonce, tag or ciphertext has the wrong size");
      return NULL;
    }
  /* EVP_CTRL_GCM_SET_TAG takes a non-const buffer. */
  memcpy (mac, g_bytes_get_data (tag, NULL), sizeof mac);

  plaintext = cradle_agent_secret_new (size + 16);
  if (ctx == NULL
      || EVP_DecryptInit_ex2 (ctx, EVP_aes_256_gcm (), NULL, NULL, NULL) != 1
      || EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_GCM_SET_IVLEN, CRADLE_AGENT_NONCE_SIZE, NULL) != 1
      || EVP_DecryptInit_ex2 (ctx, NULL, kek, g_bytes_get_data (nonce, NULL), NULL) != 1
      || EVP_DecryptUpdate (ctx, NULL, &length, aad_data, (int) aad_size) != 1
      || EVP_DecryptUpdate (ctx, plaintext->data, &length, data, (int) size) != 1
      || EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_GCM_SET_TAG, sizeof mac, mac) != 1
      || EVP_DecryptFinal_ex (ctx, plaintext->data + length, &final_length) != 1)
    {
      ERR_clear_error ();
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "the private key does not decrypt: the file was changed, "
                           "or the KEK is not the one it was written with");
      return NULL;
    }
  /* The wiped buffer keeps its full size; only the length we report shrinks. */
  plaintext->size = (gsize) length + (gsize) final_length;
  OPENSSL_cleanse (plaintext->data + plaintext->size, size + 16 - plaintext->size);
  return g_steal_pointer (&plaintext);
}

static const EVP_MD *
digest_by_name (const char  *digest,
                const char **suffix)
{
  if (g_strcmp0 (digest, "sha256") == 0)
    {
      *suffix = "SHA256";
      return EVP_sha256 ();
    }
  if (g_strcmp0 (digest, "sha384") == 0)
    {
      *suffix = "SHA384";
      return EVP_sha384 ();
    }
  if (g_strcmp0 (digest, "sha512") == 0)
    {
      *suffix = "SHA512";
      return EVP_sha512 ();
    }
  return NULL;
}

gboolean
cradle_agent_crypto_digest_known (const char *digest)
{
  const char *suffix;

  return digest_by_name (digest, &suffix) != NULL;
}

gboolean
cradle_agent_crypto_check_digest (const char  *digest,
                                  GError     **error)
{
  if (cradle_agent_crypto_digest_known (digest))
    return TRUE;
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
               "The digest '%s' is not supported; use sha256, sha384 or sha512",
               digest != NULL ? digest : "(none)");
  return FALSE;
}

GBytes *
cradle_agent_crypto_sign (EVP_PKEY    *pkey,
                          const char  *digest,
                          GBytes      *data,
                          char       **algorithm,
                          GError     **error)
{
  g_autoptr(EVP_MD_CTX) ctx = EVP_MD_CTX_new ();
  EVP_PKEY_CTX *pkey_ctx = NULL;   /* owned by ctx */
  const char *suffix = NULL;
  const EVP_MD *md = digest_by_name (digest, &suffix);
  gboolean is_rsa = EVP_PKEY_is_a (pkey, "RSA");
  gsize size = 0;
  const guint8 *bytes = g_bytes_get_data (data, &size);
  g_autofree guint8 *signature = NULL;
  size_t signature_size = 0;

  if (md == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "The digest '%s' is not supported; use sha256, sha384 or sha512",
                   digest != NULL ? digest : "(none)");
      return NULL;
    }
  if (!is_rsa && !EVP_PKEY_is_a (pkey, "EC"))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                           "The key is neither RSA nor EC");
      return NULL;
    }

  /* ECDSA signatures come DER-encoded (ECDSA-Sig-Value) by default. */
  if (ctx == NULL
      || EVP_DigestSignInit (ctx, &pkey_ctx, md, NULL, pkey) != 1
      || (is_rsa && EVP_PKEY_CTX_set_rsa_padding (pkey_ctx, RSA_PKCS1_PADDING) != 1)
      || EVP_DigestSign (ctx, NULL, &signature_size, bytes, size) != 1)
    {
      cradle_agent_crypto_set_error (error, CRADLE_ERROR_FAILED, "Could not sign");
      return NULL;
    }
  signature = g_malloc (signature_size);
  if (EVP_DigestSign (ctx, signature, &signature_size, bytes, size) != 1)
    {
      cradle_agent_crypto_set_error (error, CRADLE_ERROR_FAILED, "Could not sign");
      return NULL;
    }

  if (algorithm != NULL)
    *algorithm = is_rsa ? g_strdup_printf ("%sWithRSAEncryption", digest)
                        : g_strdup_printf ("ecdsa-with-%s", suffix);
  return g_bytes_new_take (g_steal_pointer (&signature), signature_size);
}

gsize
cradle_agent_crypto_digest_size (const char *digest)
{
  const char *suffix;
  const EVP_MD *md = digest_by_name (digest, &suffix);

  return md != NULL ? (gsize) EVP_MD_get_size (md) : 0;
}

GBytes *
cradle_agent_crypto_digest (const char  *digest,
                            GBytes      *data,
                            GError     **error)
{
  const char *suffix;
  const EVP_MD *md = digest_by_name (digest, &suffix);
  guint8 out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;

  if (md == NULL || EVP_Digest (g_bytes_get_data (data, NULL), g_bytes_get_size (data), out, &size, md, NULL) != 1)
    {
      cradle_agent_crypto_set_error (error, CRADLE_ERROR_FAILED, "Could not compute a digest");
      return NULL;
    }
  return g_bytes_new (out, size);
}

int
cradle_agent_crypto_signature_nid (EVP_PKEY   *pkey,
                                   const char *digest)
{
  const char *suffix;
  const EVP_MD *md = digest_by_name (digest, &suffix);
  int key_nid = EVP_PKEY_is_a (pkey, "RSA") ? NID_rsaEncryption
                : EVP_PKEY_is_a (pkey, "EC") ? NID_X9_62_id_ecPublicKey : NID_undef;
  int nid = NID_undef;

  if (md == NULL || key_nid == NID_undef || !OBJ_find_sigid_by_algs (&nid, EVP_MD_get_type (md), key_nid))
    return NID_undef;
  return nid;
}

/* All ones when @a == @b, else zero; no branch on the values. */
static guint
constant_time_eq (guint a,
                  guint b)
{
  guint x = a ^ b;

  return (guint) 0 - (guint) (((x | ((guint) 0 - x)) >> (sizeof (guint) * 8 - 1)) ^ 1);
}

/* All ones when @a >= @b, else zero (both below 2^31). */
static guint
constant_time_ge (guint a,
                  guint b)
{
  return (guint) 0 - (guint) (((a - b) >> (sizeof (guint) * 8 - 1)) ^ 1);
}

GBytes *
cradle_agent_crypto_unwrap_key (EVP_PKEY      *pkey,
                                GBytes        *encrypted_key,
                                gsize          key_size,
                                const guint8  *rejection_key,
                                GError       **error)
{
  g_autoptr(EVP_PKEY_CTX) ctx = NULL;
  g_autoptr(CradleAgentSecret) em = NULL;
  gsize size = 0;
  const guint8 *ciphertext = g_bytes_get_data (encrypted_key, &size);
  guint8 synthetic[32];
  g_autofree guint8 *rejection_input = NULL;
  guint8 *key;
  size_t modulus_size;
  size_t em_size;
  guint good, found = 0, zero_index = 0;

  g_return_val_if_fail (key_size > 0 && key_size <= sizeof synthetic, NULL);

  if (!EVP_PKEY_is_a (pkey, "RSA"))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                           "Only RSA keys can decrypt a SCEP answer: CMS key transport needs RSA, "
                           "and this key is not one");
      return NULL;
    }
  modulus_size = (size_t) EVP_PKEY_get_size (pkey);
  if (size != modulus_size || modulus_size < 64 || modulus_size > 1024)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The encrypted key is %" G_GSIZE_FORMAT " bytes; this key's are %" G_GSIZE_FORMAT,
                   size, (gsize) modulus_size);
      return NULL;
    }

  /* The raw RSA operation; the padding is checked below without branches. */
  em = cradle_agent_secret_new (modulus_size);
  em_size = modulus_size;
  ctx = EVP_PKEY_CTX_new_from_pkey (NULL, pkey, NULL);
  if (ctx == NULL
      || EVP_PKEY_decrypt_init (ctx) != 1
      || EVP_PKEY_CTX_set_rsa_padding (ctx, RSA_NO_PADDING) != 1
      || EVP_PKEY_decrypt (ctx, em->data, &em_size, ciphertext, size) != 1
      || em_size != modulus_size)
    {
      /* Only a ciphertext not below the modulus fails here: a public fact. */
      cradle_agent_crypto_set_error (error, CRADLE_ERROR_INVALID_DATA,
                                     "The encrypted key is not a ciphertext for this key");
      return NULL;
    }
  /* The size asked is part of the rejection value: were it not, every
   * size's answer to a bad ciphertext would be a prefix of one value, and
   * answers that disagree across sizes would show a good padding. */
  rejection_input = g_malloc (1 + size);
  rejection_input[0] = (guint8) key_size;
  memcpy (rejection_input + 1, ciphertext, size);
  if (EVP_Q_mac (NULL, "HMAC", NULL, "SHA256", NULL, rejection_key, 32, rejection_input, 1 + size,
                 synthetic, sizeof synthetic, NULL) == NULL)
    {
      cradle_agent_crypto_set_error (error, CRADLE_ERROR_FAILED, "Could not derive the rejection value");
      return NULL;
    }

  /* EM = 00 || 02 || PS (at least 8 nonzero bytes) || 00 || M, M of key_size bytes. */
  good = constant_time_eq (em->data[0], 0) & constant_time_eq (em->data[1], 2);
  for (gsize i = 2; i < em_size; i++)
    {
      guint is_zero = constant_time_eq (em->data[i], 0);

      zero_index |= ~found & is_zero & (guint) i;
      found |= is_zero;
    }
  good &= found;
  good &= constant_time_ge (zero_index, 10);
  good &= constant_time_eq ((guint) (em_size - 1 - zero_index), (guint) key_size);

  key = g_malloc (key_size);
  for (gsize i = 0; i < key_size; i++)
    key[i] = (guint8) ((good & em->data[em_size - key_size + i]) | (~good & synthetic[i]));
  OPENSSL_cleanse (synthetic, sizeof synthetic);
  return g_bytes_new_take (key, key_size);
}

X509 *
cradle_agent_crypto_parse_certificate (GBytes  *der,
                                       GError **error)
{
  gsize size = 0;
  const guint8 *start = g_bytes_get_data (der, &size);
  const guint8 *p = start;
  g_autoptr(X509) cert = NULL;
  g_autofree guint8 *again = NULL;
  guint8 *end;
  int again_size;

  if (size > 0 && size <= G_MAXLONG)
    cert = d2i_X509 (NULL, &p, (long) size);
  if (cert == NULL || p != start + size)
    {
      cradle_agent_crypto_set_error (error, CRADLE_ERROR_INVALID_DATA,
                                     "The certificate is not a DER X.509 certificate");
      return NULL;
    }
  again_size = i2d_X509 (cert, NULL);
  if (again_size > 0 && (gsize) again_size == size)
    {
      again = g_malloc (again_size);
      end = again;
      if (i2d_X509 (cert, &end) == again_size && memcmp (again, start, size) == 0)
        return g_steal_pointer (&cert);
    }
  cradle_agent_crypto_set_error (error, CRADLE_ERROR_INVALID_DATA,
                                 "The certificate is not in canonical DER");
  return NULL;
}

