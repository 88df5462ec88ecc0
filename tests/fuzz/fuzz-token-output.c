/* fuzz-token-output.c: libFuzzer harness for what a PKCS#11 token gives the
 * host (bridge/pkcs11/cradle-token-spki.c): its EC points (CKA_EC_POINT,
 * wrapped in an OCTET STRING or raw), its ECDSA signatures (r||s), and
 * the public keys built from them and from CKA_MODULUS and
 * CKA_PUBLIC_EXPONENT, which go unchanged into a certification request.
 *
 * The first byte picks the reader (and the curve); the rest is the
 * token's bytes: for an RSA key two length bytes and the modulus, then the
 * exponent; for an EC key one length byte and CKA_EC_PARAMS, then
 * CKA_EC_POINT. What is accepted must read back as it was given. */
#include "config.h"

#include <string.h>
#include <glib.h>
#include <openssl/ecdsa.h>
#include <openssl/x509.h>
#include <cradle/cradle.h>

#include "base/cradle-openssl-private.h"
#include "pkcs11/cradle-token-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
assert_error (GError *error)
{
  g_assert_nonnull (error);
  g_assert (error->domain == CRADLE_ERROR);
  g_assert (g_utf8_validate (error->message, -1, NULL));
}

/* An SPKI OpenSSL reads back whole, of the kind it was built for. */
static void
assert_spki (GBytes *spki,
             int     base_id)
{
  const unsigned char *p = g_bytes_get_data (spki, NULL);
  EVP_PKEY *pkey = d2i_PUBKEY (NULL, &p, (long) g_bytes_get_size (spki));

  g_assert_nonnull (pkey);
  g_assert (p == (const unsigned char *) g_bytes_get_data (spki, NULL) + g_bytes_get_size (spki));
  g_assert_cmpint (EVP_PKEY_get_base_id (pkey), ==, base_id);
  EVP_PKEY_free (pkey);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GError) error = NULL;
  gsize field_size;
  const guint8 *rest;
  gsize rest_size;

  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  if (size < 1)
    return 0;
  field_size = (data[0] & 0x10) ? 48 : 32;
  rest = data + 1;
  rest_size = size - 1;

  switch (data[0] & 0x3)
    {
    case 0:
      {
        g_autoptr(GBytes) input = g_bytes_new (rest, rest_size);
        g_autoptr(GBytes) point = cradle_token_unwrap_ec_point (input, field_size, &error);

        if (point == NULL)
          {
            assert_error (error);
            break;
          }
        g_assert_cmpuint (g_bytes_get_size (point), ==, 1 + 2 * field_size);
        g_assert_cmpuint (((const guint8 *) g_bytes_get_data (point, NULL))[0], ==, 0x04);
        /* The point is the input's last bytes: raw, or the OCTET STRING's content. */
        g_assert_cmpuint (rest_size, >=, g_bytes_get_size (point));
        g_assert (memcmp (rest + rest_size - g_bytes_get_size (point), g_bytes_get_data (point, NULL),
                          g_bytes_get_size (point)) == 0);
        break;
      }
    case 1:
      {
        g_autoptr(GBytes) input = g_bytes_new (rest, rest_size);
        g_autoptr(GBytes) der = cradle_token_ecdsa_signature_to_der (input, field_size, &error);
        const unsigned char *p;
        ECDSA_SIG *sig;
        guint8 back[96];

        if (der == NULL)
          {
            assert_error (error);
            break;
          }
        g_assert_cmpuint (rest_size, ==, 2 * field_size);
        p = g_bytes_get_data (der, NULL);
        sig = d2i_ECDSA_SIG (NULL, &p, (long) g_bytes_get_size (der));
        g_assert_nonnull (sig);
        g_assert_cmpint (BN_bn2binpad (ECDSA_SIG_get0_r (sig), back, (int) field_size), ==, (int) field_size);
        g_assert_cmpint (BN_bn2binpad (ECDSA_SIG_get0_s (sig), back + field_size, (int) field_size), ==,
                         (int) field_size);
        g_assert (memcmp (back, rest, 2 * field_size) == 0);
        ECDSA_SIG_free (sig);
        break;
      }
    case 2:
      {
        g_autoptr(GBytes) modulus = NULL;
        g_autoptr(GBytes) exponent = NULL;
        g_autoptr(GBytes) spki = NULL;
        g_autofree char *key_type = NULL;
        gsize n;

        if (rest_size < 2)
          break;
        n = ((gsize) rest[0] << 8) | rest[1];
        if (n > rest_size - 2)
          break;
        modulus = g_bytes_new (rest + 2, n);
        exponent = g_bytes_new (rest + 2 + n, rest_size - 2 - n);
        spki = cradle_token_build_rsa_spki (modulus, exponent, &key_type, &error);
        if (spki == NULL)
          {
            assert_error (error);
            break;
          }
        assert_spki (spki, EVP_PKEY_RSA);
        g_assert_true (g_str_has_prefix (key_type, "rsa"));
        break;
      }
    case 3:
    default:
      {
        g_autoptr(GBytes) params = NULL;
        g_autoptr(GBytes) point = NULL;
        g_autoptr(GBytes) spki = NULL;
        g_autofree char *key_type = NULL;
        gsize n;

        if (rest_size < 1)
          break;
        n = rest[0];
        if (n > rest_size - 1)
          break;
        params = g_bytes_new (rest + 1, n);
        point = g_bytes_new (rest + 1 + n, rest_size - 1 - n);
        spki = cradle_token_build_ec_spki (params, point, &key_type, &error);
        if (spki == NULL)
          {
            assert_error (error);
            break;
          }
        assert_spki (spki, EVP_PKEY_EC);
        g_assert_true (g_str_equal (key_type, "p256") || g_str_equal (key_type, "p384"));
        break;
      }
    }
  return 0;
}
