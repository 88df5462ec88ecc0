/* cradle-token-spki.c: the bounded readers of what a token gives: its EC
 * points, its ECDSA signatures and the public keys built from them (see
 * cradle-token-private.h) */
#include "config.h"

#include <string.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <cradle/cradle.h>

#include "base/cradle-openssl-private.h"
#include "protocol/cradle-der-private.h"
#include "pkcs11/cradle-token-private.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ECDSA_SIG, ECDSA_SIG_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OSSL_PARAM, OSSL_PARAM_free)

/* The longest RSA modulus taken: 8192 bits. */
#define MAX_MODULUS_SIZE 1024
#define MIN_MODULUS_BITS 2048
#define MAX_EXPONENT_SIZE 8

typedef struct {
  const char   *key_type;
  const guint8 *oid;     /* with its DER header */
  gsize         oid_size;
  gsize         field_size;
} Curve;

static const guint8 oid_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
static const guint8 oid_p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
static const guint8 oid_ec_public_key[] = { 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01 };

static const Curve curves[] = {
  { "p256", oid_p256, sizeof oid_p256, 32 },
  { "p384", oid_p384, sizeof oid_p384, 48 },
};

GBytes *
cradle_token_unwrap_ec_point (GBytes  *ec_point,
                              gsize    field_size,
                              GError **error)
{
  CradleDerSlice in = cradle_der_slice_from_bytes (ec_point);
  CradleDerSlice value = in;
  gsize point_size = 1 + 2 * field_size;

  g_return_val_if_fail (ec_point != NULL, NULL);
  g_return_val_if_fail (field_size > 0 && field_size <= 66, NULL);

  /* Raw (some tokens): exactly a point; else the standard's OCTET STRING. */
  if (!(in.size == point_size && in.data[0] == 0x04))
    {
      if (!cradle_der_take (&in, CRADLE_DER_OCTET_STRING, NULL, &value) || in.size != 0)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "The token gave an EC public key (CKA_EC_POINT, %" G_GSIZE_FORMAT " bytes) "
                       "that is neither a point nor a DER OCTET STRING holding one",
                       g_bytes_get_size (ec_point));
          return NULL;
        }
    }
  if (value.size != point_size || value.data[0] != 0x04)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The token gave an EC public key of %" G_GSIZE_FORMAT " bytes; an uncompressed "
                   "point on this curve is %" G_GSIZE_FORMAT " bytes starting 0x04",
                   value.size, point_size);
      return NULL;
    }
  return g_bytes_new (value.data, value.size);
}

GBytes *
cradle_token_ecdsa_signature_to_der (GBytes  *raw,
                                     gsize    field_size,
                                     GError **error)
{
  g_autoptr(ECDSA_SIG) sig = NULL;
  g_autoptr(BIGNUM) r = NULL;
  g_autoptr(BIGNUM) s = NULL;
  const guint8 *data;
  gsize size = 0;
  unsigned char *der = NULL;
  int der_size;
  GBytes *result;

  g_return_val_if_fail (raw != NULL, NULL);
  data = g_bytes_get_data (raw, &size);
  if (field_size == 0 || size != 2 * field_size)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The token gave an ECDSA signature of %" G_GSIZE_FORMAT " bytes; this curve's "
                   "r and s make %" G_GSIZE_FORMAT, size, 2 * field_size);
      return NULL;
    }
  r = BN_bin2bn (data, (int) field_size, NULL);
  s = BN_bin2bn (data + field_size, (int) field_size, NULL);
  sig = ECDSA_SIG_new ();
  if (r == NULL || s == NULL || sig == NULL)
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not hold the token's ECDSA signature");
      return NULL;
    }
  if (BN_is_zero (r) || BN_is_zero (s))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The token gave an ECDSA signature with a zero r or s, which is never valid");
      return NULL;
    }
  if (ECDSA_SIG_set0 (sig, r, s) != 1)
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not hold the token's ECDSA signature");
      return NULL;
    }
  r = NULL;
  s = NULL;
  der_size = i2d_ECDSA_SIG (sig, &der);
  if (der_size <= 0)
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not encode the token's ECDSA signature");
      return NULL;
    }
  result = g_bytes_new (der, (gsize) der_size);
  OPENSSL_free (der);
  return result;
}

/* What OpenSSL makes of @der: a public key it reads back to the same bytes. */
static gboolean
check_spki (const guint8  *der,
            gsize          size,
            int            base_id,
            GError       **error)
{
  const unsigned char *p = der;
  g_autoptr(EVP_PKEY) pkey = d2i_PUBKEY (NULL, &p, (long) size);

  if (pkey == NULL || p != der + size || EVP_PKEY_get_base_id (pkey) != base_id)
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_INVALID_DATA,
                                "The token gave a public key that is not a valid key of its kind");
      return FALSE;
    }
  return TRUE;
}

/* Leading zero bytes off an unsigned big-endian integer. */
static CradleDerSlice
strip_zeros (GBytes *bytes)
{
  CradleDerSlice slice = cradle_der_slice_from_bytes (bytes);

  while (slice.size > 0 && slice.data[0] == 0)
    {
      slice.data++;
      slice.size--;
    }
  return slice;
}

GBytes *
cradle_token_build_rsa_spki (GBytes  *modulus,
                             GBytes  *exponent,
                             char   **key_type,
                             GError **error)
{
  CradleDerSlice n_slice, e_slice;
  g_autoptr(BIGNUM) n = NULL;
  g_autoptr(BIGNUM) e = NULL;
  g_autoptr(OSSL_PARAM_BLD) build = NULL;
  g_autoptr(OSSL_PARAM) params = NULL;
  g_autoptr(EVP_PKEY_CTX) ctx = NULL;
  g_autoptr(EVP_PKEY) pkey = NULL;
  unsigned char *der = NULL;
  int der_size, bits;
  g_autoptr(GBytes) result = NULL;

  g_return_val_if_fail (modulus != NULL && exponent != NULL, NULL);
  n_slice = strip_zeros (modulus);
  e_slice = strip_zeros (exponent);
  if (n_slice.size == 0 || n_slice.size > MAX_MODULUS_SIZE || (n_slice.data[n_slice.size - 1] & 1) == 0)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The token gave an RSA modulus of %" G_GSIZE_FORMAT " bytes that is not an odd "
                   "number of at most %d bytes", n_slice.size, MAX_MODULUS_SIZE);
      return NULL;
    }
  if (e_slice.size == 0 || e_slice.size > MAX_EXPONENT_SIZE || (e_slice.data[e_slice.size - 1] & 1) == 0
      || (e_slice.size == 1 && e_slice.data[0] < 3))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The token gave an RSA public exponent that is not an odd number from 3 "
                           "up to 64 bits");
      return NULL;
    }
  n = BN_bin2bn (n_slice.data, (int) n_slice.size, NULL);
  e = BN_bin2bn (e_slice.data, (int) e_slice.size, NULL);
  if (n == NULL || e == NULL)
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not hold the token's RSA key");
      return NULL;
    }
  bits = BN_num_bits (n);
  if (bits < MIN_MODULUS_BITS || bits % 8 != 0)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The token gave an RSA key of %d bits; Cradle takes whole bytes from %d up to "
                   "%d bits", bits, MIN_MODULUS_BITS, MAX_MODULUS_SIZE * 8);
      return NULL;
    }
  build = OSSL_PARAM_BLD_new ();
  if (build == NULL
      || OSSL_PARAM_BLD_push_BN (build, OSSL_PKEY_PARAM_RSA_N, n) != 1
      || OSSL_PARAM_BLD_push_BN (build, OSSL_PKEY_PARAM_RSA_E, e) != 1
      || (params = OSSL_PARAM_BLD_to_param (build)) == NULL
      || (ctx = EVP_PKEY_CTX_new_from_name (NULL, "RSA", NULL)) == NULL
      || EVP_PKEY_fromdata_init (ctx) != 1
      || EVP_PKEY_fromdata (ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_INVALID_DATA,
                                "The token gave an RSA public key OpenSSL does not take");
      return NULL;
    }
  der_size = i2d_PUBKEY (pkey, &der);
  if (der_size <= 0)
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not encode the token's RSA public key");
      return NULL;
    }
  result = g_bytes_new (der, (gsize) der_size);
  OPENSSL_free (der);
  if (!check_spki (g_bytes_get_data (result, NULL), g_bytes_get_size (result), EVP_PKEY_RSA, error))
    return NULL;
  if (key_type != NULL)
    *key_type = g_strdup_printf ("rsa%d", bits);
  return g_steal_pointer (&result);
}

GBytes *
cradle_token_build_ec_spki (GBytes  *ec_params,
                            GBytes  *ec_point,
                            char   **key_type,
                            GError **error)
{
  CradleDerSlice params = cradle_der_slice_from_bytes (ec_params);
  const Curve *curve = NULL;
  g_autoptr(GBytes) point = NULL;
  g_autoptr(GByteArray) algorithm = g_byte_array_new ();
  g_autoptr(GByteArray) bit_string = g_byte_array_new ();
  g_autoptr(GByteArray) body = g_byte_array_new ();
  g_autoptr(GByteArray) spki = g_byte_array_new ();
  const guint8 zero = 0;
  gsize point_size = 0;
  const guint8 *point_data;

  g_return_val_if_fail (ec_params != NULL && ec_point != NULL, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (curves); i++)
    if (cradle_der_equal (params, curves[i].oid, curves[i].oid_size))
      curve = &curves[i];
  if (curve == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                           "The token's EC key is on a curve Cradle does not use (CKA_EC_PARAMS is "
                           "neither P-256's nor P-384's OID)");
      return NULL;
    }
  point = cradle_token_unwrap_ec_point (ec_point, curve->field_size, error);
  if (point == NULL)
    return NULL;
  point_data = g_bytes_get_data (point, &point_size);

  /* SEQUENCE { SEQUENCE { ecPublicKey, curve }, BIT STRING { 0, point } } */
  cradle_der_append_header (algorithm, CRADLE_DER_SEQUENCE, sizeof oid_ec_public_key + curve->oid_size);
  g_byte_array_append (algorithm, oid_ec_public_key, sizeof oid_ec_public_key);
  g_byte_array_append (algorithm, curve->oid, curve->oid_size);
  cradle_der_append_header (bit_string, CRADLE_DER_BIT_STRING, 1 + point_size);
  g_byte_array_append (bit_string, &zero, 1);
  g_byte_array_append (bit_string, point_data, point_size);
  g_byte_array_append (body, algorithm->data, algorithm->len);
  g_byte_array_append (body, bit_string->data, bit_string->len);
  cradle_der_append_header (spki, CRADLE_DER_SEQUENCE, body->len);
  g_byte_array_append (spki, body->data, body->len);
  if (!check_spki (spki->data, spki->len, EVP_PKEY_EC, error))
    {
      g_prefix_error (error, "The token's EC point is not on %s: ", curve->key_type);
      return NULL;
    }
  if (key_type != NULL)
    *key_type = g_strdup (curve->key_type);
  return g_byte_array_free_to_bytes (g_steal_pointer (&spki));
}
