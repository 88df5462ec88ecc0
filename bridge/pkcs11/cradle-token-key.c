/* cradle-token-key.c: key pairs on a token: made, read, used and destroyed
 * (see cradle-token-private.h) */
#include "config.h"

#include <string.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <cradle/cradle.h>

#include "base/cradle-openssl-private.h"
#define CRADLE_TOKEN_COMPILATION
#include "pkcs11/cradle-token-private.h"

#define KEY_ID_SIZE 16
/* The longest signature or plaintext taken: an 8192-bit modulus. */
#define MAX_OUTPUT_SIZE 1024

static const guint8 oid_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const guint8 oid_p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const guint8 public_exponent[] = { 0x01, 0x00, 0x01 };

typedef struct {
  const char   *name;
  CK_KEY_TYPE   type;
  CK_ULONG      bits;        /* RSA */
  const guint8 *ec_params;   /* EC */
  gsize         ec_params_size;
} KeyType;

static const KeyType key_types[] = {
  { "rsa2048", CKK_RSA, 2048, NULL, 0 },
  { "rsa3072", CKK_RSA, 3072, NULL, 0 },
  { "rsa4096", CKK_RSA, 4096, NULL, 0 },
  { "p256", CKK_EC, 0, oid_p256, sizeof oid_p256 },
  { "p384", CKK_EC, 0, oid_p384, sizeof oid_p384 },
};

static const struct {
  const char   *digest;
  const char   *rsa_algorithm;
  const char   *ecdsa_algorithm;
  guint8        prefix[19];      /* the DigestInfo before the hash */
} digests[] = {
  { "sha256", "sha256WithRSAEncryption", "ecdsa-with-SHA256",
    { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 } },
  { "sha384", "sha384WithRSAEncryption", "ecdsa-with-SHA384",
    { 0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30 } },
  { "sha512", "sha512WithRSAEncryption", "ecdsa-with-SHA512",
    { 0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40 } },
};

/* The SubjectPublicKeyInfo of a public key object. */
static GBytes *
spki_of_public_key (CradleToken      *self,
                    CK_OBJECT_HANDLE  object,
                    GError          **error)
{
  CK_ULONG key_type = 0;
  GError *local_error = NULL;

  if (!_cradle_token_read_ulong (self, object, CKA_KEY_TYPE, &key_type))
    {
      _cradle_token_set_error (self, error, CKR_GENERAL_ERROR, "read the public key");
      return NULL;
    }
  if (key_type == CKK_RSA)
    {
      g_autoptr(GBytes) modulus = _cradle_token_read_attribute (self, object, CKA_MODULUS, &local_error);
      g_autoptr(GBytes) exponent = NULL;

      if (local_error == NULL)
        exponent = _cradle_token_read_attribute (self, object, CKA_PUBLIC_EXPONENT, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return NULL;
        }
      if (modulus == NULL || exponent == NULL)
        {
          g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                               "The token's RSA public key has no modulus or exponent");
          return NULL;
        }
      return cradle_token_build_rsa_spki (modulus, exponent, NULL, error);
    }
  if (key_type == CKK_EC)
    {
      g_autoptr(GBytes) params = _cradle_token_read_attribute (self, object, CKA_EC_PARAMS, &local_error);
      g_autoptr(GBytes) point = NULL;

      if (local_error == NULL)
        point = _cradle_token_read_attribute (self, object, CKA_EC_POINT, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return NULL;
        }
      if (params == NULL || point == NULL)
        {
          g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                               "The token's EC public key has no curve or point");
          return NULL;
        }
      return cradle_token_build_ec_spki (params, point, NULL, error);
    }
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
               "The token's key is of a kind Cradle does not use (CKA_KEY_TYPE 0x%lx)", (gulong) key_type);
  return NULL;
}

static void
destroy_objects (CradleToken *self,
                 CK_OBJECT_HANDLE a,
                 CK_OBJECT_HANDLE b)
{
  if (a != CK_INVALID_HANDLE)
    self->module->C_DestroyObject (self->session, a);
  if (b != CK_INVALID_HANDLE)
    self->module->C_DestroyObject (self->session, b);
}

GBytes *
cradle_token_generate_key (CradleToken  *self,
                           const char   *key_type,
                           const char   *label,
                           GBytes       *id,
                           GBytes      **public_key_info,
                           GCancellable *cancellable,
                           GError      **error)
{
  g_autoptr(GRecMutexLocker) locker = NULL;
  g_autofree char *name = NULL;
  const KeyType *type = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) spki = NULL;
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  CK_KEY_TYPE ck_key_type;
  CK_ULONG bits;
  CK_MECHANISM mechanism = { 0, NULL, 0 };
  CK_OBJECT_HANDLE public_key = CK_INVALID_HANDLE, private_key = CK_INVALID_HANDLE;
  gsize id_size = 0;
  gconstpointer id_data;
  const char *key_label;
  gboolean offered = FALSE;
  CK_RV rv;

  g_return_val_if_fail (CRADLE_IS_TOKEN (self), NULL);
  g_return_val_if_fail (key_type != NULL, NULL);
  locker = g_rec_mutex_locker_new (&self->lock);
  name = _cradle_token_dup_name (self);
  key_label = label != NULL ? label : "Cradle";

  for (gsize i = 0; i < G_N_ELEMENTS (key_types); i++)
    if (g_str_equal (key_types[i].name, key_type))
      type = &key_types[i];
  if (type == NULL)
    {
      g_autofree char *shown = cradle_text_escape (key_type, -1, CRADLE_TEXT_ESCAPE_DEFAULT);

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "'%s' is not a key type; Cradle makes rsa2048, rsa3072, rsa4096, p256 and p384",
                   shown);
      return NULL;
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  if (!_cradle_token_ensure_session (self, error) || !_cradle_token_read_mechanisms (self, error))
    return NULL;
  for (guint i = 0; self->key_types[i] != NULL; i++)
    if (g_str_equal (self->key_types[i], key_type))
      offered = TRUE;
  if (!offered)
    {
      g_autofree char *offer = g_strjoinv (", ", (char **) self->key_types);

      cradle_explain_set_error (error, CRADLE_ERROR_NOT_SUPPORTED, CRADLE_EXPLAIN_TOKEN,
                                CRADLE_TOKEN_FAILURE_KEY_TYPE_NOT_OFFERED,
                                "The token '%s' does not make %s keys (it makes: %s); nothing was "
                                "made on it.", name, key_type, *offer != '\0' ? offer : "none");
      return NULL;
    }
  if (!_cradle_token_ensure_logged_in (self, "make the key", error))
    return NULL;

  if (id != NULL)
    key_id = g_bytes_ref (id);
  else
    {
      guint8 random_id[KEY_ID_SIZE];

      if (RAND_bytes (random_id, sizeof random_id) != 1)
        {
          cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not draw a key id");
          return NULL;
        }
      key_id = g_bytes_new (random_id, sizeof random_id);
    }
  id_data = g_bytes_get_data (key_id, &id_size);

  ck_key_type = type->type;
  bits = type->bits;
  {
    CK_ATTRIBUTE public_template[] = {
      { CKA_TOKEN, &yes, sizeof yes },
      { CKA_PRIVATE, &no, sizeof no },
      { CKA_VERIFY, &yes, sizeof yes },
      { CKA_ID, (void *) id_data, id_size },
      { CKA_LABEL, (void *) key_label, strlen (key_label) },
      { CKA_KEY_TYPE, &ck_key_type, sizeof ck_key_type },
      /* the last two differ by kind */
      { CKA_ENCRYPT, &yes, sizeof yes },
      { CKA_MODULUS_BITS, &bits, sizeof bits },
      { CKA_PUBLIC_EXPONENT, (void *) public_exponent, sizeof public_exponent },
    };
    CK_ATTRIBUTE private_template[] = {
      { CKA_TOKEN, &yes, sizeof yes },
      { CKA_PRIVATE, &yes, sizeof yes },
      { CKA_SENSITIVE, &yes, sizeof yes },
      { CKA_EXTRACTABLE, &no, sizeof no },
      { CKA_SIGN, &yes, sizeof yes },
      { CKA_ID, (void *) id_data, id_size },
      { CKA_LABEL, (void *) key_label, strlen (key_label) },
      { CKA_KEY_TYPE, &ck_key_type, sizeof ck_key_type },
      { CKA_DECRYPT, &yes, sizeof yes },
    };
    CK_ULONG n_public = G_N_ELEMENTS (public_template);
    CK_ULONG n_private = G_N_ELEMENTS (private_template);
    gboolean officer = self->needs_officer;

    if (type->type == CKK_RSA)
      mechanism.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
    else
      {
        mechanism.mechanism = CKM_EC_KEY_PAIR_GEN;
        public_template[6] = (CK_ATTRIBUTE) { CKA_EC_PARAMS, (void *) type->ec_params, type->ec_params_size };
        n_public = 7;
        n_private = 8;   /* no CKA_DECRYPT */
      }

    if (officer && !_cradle_token_officer_begin (self, "make the key", error))
      return NULL;
    rv = self->module->C_GenerateKeyPair (self->session, &mechanism, public_template, n_public,
                                          private_template, n_private, &public_key, &private_key);
    if (officer)
      _cradle_token_officer_end (self);
  }
  if (rv != CKR_OK)
    {
      _cradle_token_set_error (self, error, rv, "make the key");
      return NULL;
    }

  spki = spki_of_public_key (self, public_key, error);
  if (spki == NULL)
    {
      /* Nothing half-made is left behind. */
      destroy_objects (self, public_key, private_key);
      g_prefix_error (error, "The token '%s' made a key Cradle cannot use, so it was destroyed: ", name);
      return NULL;
    }
  g_debug ("Made a %s key on token %s", key_type, self->uri);
  if (public_key_info != NULL)
    *public_key_info = g_steal_pointer (&spki);
  return g_steal_pointer (&key_id);
}

/* The public key from the certificate with that id. */
static GBytes *
spki_of_certificate (CradleToken      *self,
                     CK_OBJECT_HANDLE  object,
                     GError          **error)
{
  g_autoptr(GBytes) value = _cradle_token_read_attribute (self, object, CKA_VALUE, error);
  g_autoptr(X509) cert = NULL;
  const unsigned char *p;
  unsigned char *der = NULL;
  int der_size;
  GBytes *result;

  if (value == NULL)
    return NULL;
  p = g_bytes_get_data (value, NULL);
  cert = d2i_X509 (NULL, &p, (long) g_bytes_get_size (value));
  if (cert == NULL || (der_size = i2d_X509_PUBKEY (X509_get_X509_PUBKEY (cert), &der)) <= 0)
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_INVALID_DATA,
                                "The certificate on the token with the key's id cannot be read");
      return NULL;
    }
  result = g_bytes_new (der, (gsize) der_size);
  OPENSSL_free (der);
  return result;
}

static void
set_not_found (CradleToken *self,
               GError     **error)
{
  g_autofree char *name = _cradle_token_dup_name (self);

  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
               "The token '%s' holds no such key: it was deleted, or made on another token", name);
}

GBytes *
cradle_token_get_public_key (CradleToken  *self,
                             GBytes       *id,
                             GCancellable *cancellable,
                             GError      **error)
{
  g_autoptr(GRecMutexLocker) locker = NULL;
  CK_OBJECT_HANDLE private_key = CK_INVALID_HANDLE, object = CK_INVALID_HANDLE;

  g_return_val_if_fail (CRADLE_IS_TOKEN (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);
  locker = g_rec_mutex_locker_new (&self->lock);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  if (!_cradle_token_ensure_session (self, error))
    return NULL;
  /* Private keys are seen after the login only; before it, the public key
   * object stands for the pair. */
  if (self->logged_in || (self->info.flags & CKF_LOGIN_REQUIRED) == 0)
    {
      if (!_cradle_token_find_by_id (self, CKO_PRIVATE_KEY, id, &private_key, error))
        return NULL;
      if (private_key == CK_INVALID_HANDLE)
        {
          set_not_found (self, error);
          return NULL;
        }
    }
  if (!_cradle_token_find_by_id (self, CKO_PUBLIC_KEY, id, &object, error))
    return NULL;
  if (object != CK_INVALID_HANDLE)
    return spki_of_public_key (self, object, error);
  if (!_cradle_token_find_by_id (self, CKO_CERTIFICATE, id, &object, error))
    return NULL;
  if (object != CK_INVALID_HANDLE)
    return spki_of_certificate (self, object, error);
  set_not_found (self, error);
  return NULL;
}

/* The private key @id, with the session logged in; CK_INVALID_HANDLE and
 * NOT_FOUND when there is none. */
static CK_OBJECT_HANDLE
find_private_key (CradleToken *self,
                  GBytes      *id,
                  const char  *doing,
                  GError     **error)
{
  CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;

  if (!_cradle_token_ensure_logged_in (self, doing, error))
    return CK_INVALID_HANDLE;
  if (!_cradle_token_find_by_id (self, CKO_PRIVATE_KEY, id, &key, error))
    return CK_INVALID_HANDLE;
  if (key == CK_INVALID_HANDLE)
    set_not_found (self, error);
  return key;
}

/* The curve's field size of the EC key pair @id (its private or public key). */
static gsize
ec_field_size (CradleToken      *self,
               CK_OBJECT_HANDLE  private_key,
               GBytes           *id)
{
  g_autoptr(GBytes) params = _cradle_token_read_attribute (self, private_key, CKA_EC_PARAMS, NULL);

  if (params == NULL)
    {
      CK_OBJECT_HANDLE public_key = CK_INVALID_HANDLE;

      if (_cradle_token_find_by_id (self, CKO_PUBLIC_KEY, id, &public_key, NULL)
          && public_key != CK_INVALID_HANDLE)
        params = _cradle_token_read_attribute (self, public_key, CKA_EC_PARAMS, NULL);
    }
  if (params == NULL)
    return 0;
  if (g_bytes_get_size (params) == sizeof oid_p256
      && memcmp (g_bytes_get_data (params, NULL), oid_p256, sizeof oid_p256) == 0)
    return 32;
  if (g_bytes_get_size (params) == sizeof oid_p384
      && memcmp (g_bytes_get_data (params, NULL), oid_p384, sizeof oid_p384) == 0)
    return 48;
  return 0;
}

GBytes *
cradle_token_sign (CradleToken  *self,
                   GBytes       *id,
                   GBytes       *data,
                   const char   *digest,
                   char        **algorithm,
                   GCancellable *cancellable,
                   GError      **error)
{
  g_autoptr(GRecMutexLocker) locker = NULL;
  g_autoptr(GByteArray) input = g_byte_array_new ();
  guint8 hash[EVP_MAX_MD_SIZE];
  guint hash_size = 0;
  guint8 signature[MAX_OUTPUT_SIZE];
  CK_ULONG signature_size = sizeof signature;
  CK_OBJECT_HANDLE key;
  CK_ULONG key_type = 0;
  CK_MECHANISM mechanism = { 0, NULL, 0 };
  gboolean always_authenticate = FALSE;
  gsize field_size = 0;
  gsize digest_index = G_N_ELEMENTS (digests);
  g_autoptr(GBytes) raw = NULL;
  GBytes *result;
  CK_RV rv;

  g_return_val_if_fail (CRADLE_IS_TOKEN (self), NULL);
  g_return_val_if_fail (id != NULL && data != NULL && digest != NULL, NULL);
  locker = g_rec_mutex_locker_new (&self->lock);
  for (gsize i = 0; i < G_N_ELEMENTS (digests); i++)
    if (g_str_equal (digests[i].digest, digest))
      digest_index = i;
  if (digest_index == G_N_ELEMENTS (digests))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "Cradle signs on a token with sha256, sha384 or sha512, not '%s'", digest);
      return NULL;
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  if (EVP_Digest (g_bytes_get_data (data, NULL), g_bytes_get_size (data), hash, &hash_size,
                  EVP_get_digestbyname (digest), NULL) != 1)
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not hash what the token is to sign");
      return NULL;
    }

  key = find_private_key (self, id, "sign", error);
  if (key == CK_INVALID_HANDLE)
    return NULL;
  if (!_cradle_token_read_ulong (self, key, CKA_KEY_TYPE, &key_type))
    {
      _cradle_token_set_error (self, error, CKR_GENERAL_ERROR, "read the key");
      return NULL;
    }
  if (key_type == CKK_RSA)
    {
      mechanism.mechanism = CKM_RSA_PKCS;
      g_byte_array_append (input, digests[digest_index].prefix, sizeof digests[digest_index].prefix);
      g_byte_array_append (input, hash, hash_size);
    }
  else if (key_type == CKK_EC && (field_size = ec_field_size (self, key, id)) != 0)
    {
      mechanism.mechanism = CKM_ECDSA;
      g_byte_array_append (input, hash, hash_size);
    }
  else
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "The key on the token is of a kind Cradle does not sign with (CKA_KEY_TYPE 0x%lx)",
                   (gulong) key_type);
      return NULL;
    }
  if (!_cradle_token_read_bool (self, key, CKA_ALWAYS_AUTHENTICATE, &always_authenticate))
    always_authenticate = FALSE;

  rv = self->module->C_SignInit (self->session, &mechanism, key);
  if (rv == CKR_OK && always_authenticate)
    rv = _cradle_token_context_login (self);
  if (rv == CKR_OK)
    rv = self->module->C_Sign (self->session, input->data, input->len, signature, &signature_size);
  if (rv == CKR_OK && signature_size > sizeof signature)
    rv = CKR_GENERAL_ERROR;
  if (rv != CKR_OK)
    {
      _cradle_token_set_error (self, error, rv, "sign");
      return NULL;
    }
  raw = g_bytes_new (signature, signature_size);
  if (key_type == CKK_EC)
    {
      result = cradle_token_ecdsa_signature_to_der (raw, field_size, error);
      if (result == NULL)
        return NULL;
    }
  else
    result = g_steal_pointer (&raw);
  if (algorithm != NULL)
    *algorithm = g_strdup (key_type == CKK_RSA ? digests[digest_index].rsa_algorithm
                                               : digests[digest_index].ecdsa_algorithm);
  return result;
}

/* Whether @rv is the token's word that the ciphertext did not decrypt,
 * rather than that it cannot be used now. */
static gboolean
is_bad_ciphertext (CK_RV rv)
{
  switch (rv)
    {
    case CKR_ENCRYPTED_DATA_INVALID:
    case CKR_ENCRYPTED_DATA_LEN_RANGE:
    case CKR_DATA_INVALID:
    case CKR_DATA_LEN_RANGE:
    case CKR_FUNCTION_FAILED:
    case CKR_ARGUMENTS_BAD:
    case CKR_BUFFER_TOO_SMALL:
      return TRUE;
    default:
      return FALSE;
    }
}

GBytes *
cradle_token_decrypt (CradleToken  *self,
                      GBytes       *id,
                      GBytes       *encrypted,
                      gsize         key_size,
                      GCancellable *cancellable,
                      GError      **error)
{
  g_autoptr(GRecMutexLocker) locker = NULL;
  CK_MECHANISM mechanism = { CKM_RSA_PKCS, NULL, 0 };
  guint8 plain[MAX_OUTPUT_SIZE];
  CK_ULONG plain_size = sizeof plain;
  CK_OBJECT_HANDLE key;
  CK_RV rv;
  GBytes *result;

  g_return_val_if_fail (CRADLE_IS_TOKEN (self), NULL);
  g_return_val_if_fail (id != NULL && encrypted != NULL, NULL);
  g_return_val_if_fail (key_size > 0 && key_size <= MAX_OUTPUT_SIZE, NULL);
  locker = g_rec_mutex_locker_new (&self->lock);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  key = find_private_key (self, id, "decrypt", error);
  if (key == CK_INVALID_HANDLE)
    return NULL;

  rv = self->module->C_DecryptInit (self->session, &mechanism, key);
  if (rv == CKR_OK)
    rv = self->module->C_Decrypt (self->session, (CK_BYTE_PTR) g_bytes_get_data (encrypted, NULL),
                                  g_bytes_get_size (encrypted), plain, &plain_size);
  /* SoftHSM says CKR_GENERAL_ERROR of a ciphertext past the modulus: what
   * is not a bad ciphertext is one on a token still there. */
  if (rv != CKR_OK && !is_bad_ciphertext (rv) && (rv != CKR_GENERAL_ERROR || !cradle_token_is_present (self)))
    {
      _cradle_token_set_error (self, error, rv, "decrypt");
      return NULL;
    }
  if (rv != CKR_OK || plain_size != key_size)
    {
      /* As the agent does: no word on why, only bytes nobody knows. */
      g_autofree guint8 *noise = g_malloc (key_size);

      OPENSSL_cleanse (plain, sizeof plain);
      if (RAND_bytes (noise, (int) key_size) != 1)
        {
          cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not draw random bytes");
          return NULL;
        }
      return g_bytes_new_take (g_steal_pointer (&noise), key_size);
    }
  result = g_bytes_new (plain, plain_size);
  OPENSSL_cleanse (plain, sizeof plain);
  return result;
}

gboolean
cradle_token_destroy_key (CradleToken  *self,
                          GBytes       *id,
                          GCancellable *cancellable,
                          GError      **error)
{
  g_autoptr(GRecMutexLocker) locker = NULL;
  const CK_OBJECT_CLASS classes[] = { CKO_PRIVATE_KEY, CKO_PUBLIC_KEY };
  gsize id_size = 0;
  gconstpointer id_data;

  g_return_val_if_fail (CRADLE_IS_TOKEN (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);
  locker = g_rec_mutex_locker_new (&self->lock);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (!_cradle_token_ensure_logged_in (self, "delete the key", error))
    return FALSE;
  id_data = g_bytes_get_data (id, &id_size);
  for (gsize c = 0; c < G_N_ELEMENTS (classes); c++)
    {
      CK_OBJECT_CLASS klass = classes[c];
      CK_ATTRIBUTE template[] = {
        { CKA_CLASS, &klass, sizeof klass },
        { CKA_ID, (void *) id_data, id_size },
      };
      g_autoptr(GArray) handles = NULL;

      if (!_cradle_token_find_objects (self, template, G_N_ELEMENTS (template), &handles, error))
        return FALSE;
      for (guint i = 0; i < handles->len; i++)
        {
          CK_RV rv = self->module->C_DestroyObject (self->session,
                                                    g_array_index (handles, CK_OBJECT_HANDLE, i));

          if (rv != CKR_OK && rv != CKR_OBJECT_HANDLE_INVALID)
            {
              _cradle_token_set_error (self, error, rv, "delete the key");
              return FALSE;
            }
        }
    }
  return TRUE;
}
