/* cradle-agent-rsa-keygen.c: the device's RSA keys, from two random probable primes
 *
 * OpenSSL 3.0 makes two-prime keys of 2048 bits and more by SP 800-56B's
 * method, with auxiliary primes: a 2048-bit key takes about 150 ms here,
 * against about 60 ms for two random probable primes, the method of
 * OpenSSL 1.1.1 and of Go.  The simulated device uses the second:
 * each prime from BN_generate_prime_ex2 (a sieve, then 64 Miller-Rabin
 * rounds, OpenSSL's own count for this size), the key then held to the
 * rest of FIPS 186-4's conditions (B.3.1: both primes of exactly half the
 * modulus with their top two bits set, |p - q| > 2^(nlen/2 - 100),
 * gcd(e, p - 1) = 1, d = e^-1 mod lcm(p - 1, q - 1) above 2^(nlen/2)) and
 * to a pairwise consistency test: a signature made and verified.
 */
#include "config.h"

#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/rsa.h>

#include "agent/cradle-agent-rsa-keygen-private.h"
#include "base/cradle-openssl-private.h"

/* Private numbers live in OpenSSL's secure heap when it has one, are
 * computed in constant time and are wiped when freed. */
typedef struct {
  BIGNUM *p, *q, *d, *dmp1, *dmq1, *iqmp;
} PrivateParts;

static void
private_parts_clear (PrivateParts *parts)
{
  BN_clear_free (parts->p);
  BN_clear_free (parts->q);
  BN_clear_free (parts->d);
  BN_clear_free (parts->dmp1);
  BN_clear_free (parts->dmq1);
  BN_clear_free (parts->iqmp);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PrivateParts, private_parts_clear)

static BIGNUM *
secret_new (void)
{
  BIGNUM *number = BN_secure_new ();

  if (number != NULL)
    BN_set_flags (number, BN_FLG_CONSTTIME);
  return number;
}

/* A prime of @bits with gcd(e, prime - 1) = 1; e is prime, so that is
 * prime - 1 not a multiple of e. */
static gboolean
find_prime (BIGNUM       *prime,
            int           bits,
            const BIGNUM *e,
            BN_CTX       *ctx)
{
  for (;;)
    {
      BN_ULONG remainder;

      if (!BN_generate_prime_ex2 (prime, bits, 0, NULL, NULL, NULL, ctx))
        return FALSE;
      remainder = BN_mod_word (prime, BN_get_word (e));
      if (remainder == (BN_ULONG) -1)
        return FALSE;
      if (remainder != 1)
        return TRUE;
    }
}

/* |p - q| > 2^(bits/2 - 100): primes so close that Fermat's method
 * factors n are refused (about one pair in 2^100 is). */
static gboolean
far_enough_apart (const BIGNUM *p,
                  const BIGNUM *q,
                  int           bits,
                  BN_CTX       *ctx)
{
  BIGNUM *difference;
  gboolean far = FALSE;

  BN_CTX_start (ctx);
  difference = BN_CTX_get (ctx);
  if (difference != NULL && BN_sub (difference, p, q))
    {
      BN_set_negative (difference, 0);
      far = BN_num_bits (difference) > bits / 2 - 100;
    }
  BN_CTX_end (ctx);
  return far;
}

/* d, dmp1, dmq1 and iqmp for p, q and e; FALSE when d comes out too
 * small (about one key in 2^1000; another pair of primes is drawn). */
static gboolean
derive_exponents (PrivateParts *parts,
                  const BIGNUM *e,
                  int           bits,
                  BN_CTX       *ctx,
                  gboolean     *small_d)
{
  BIGNUM *p1, *q1, *gcd, *lcm;
  gboolean ok = FALSE;

  *small_d = FALSE;
  BN_CTX_start (ctx);
  p1 = BN_CTX_get (ctx);
  q1 = BN_CTX_get (ctx);
  gcd = BN_CTX_get (ctx);
  lcm = BN_CTX_get (ctx);
  if (lcm == NULL)
    goto out;
  BN_set_flags (p1, BN_FLG_CONSTTIME);
  BN_set_flags (q1, BN_FLG_CONSTTIME);

  if (!BN_sub (p1, parts->p, BN_value_one ()) || !BN_sub (q1, parts->q, BN_value_one ())
      || !BN_mul (lcm, p1, q1, ctx) || !BN_gcd (gcd, p1, q1, ctx)
      || !BN_div (lcm, NULL, lcm, gcd, ctx))
    goto out;
  BN_set_flags (lcm, BN_FLG_CONSTTIME);
  if (BN_mod_inverse (parts->d, e, lcm, ctx) == NULL)
    goto out;
  if (BN_num_bits (parts->d) <= bits / 2)
    {
      *small_d = TRUE;
      goto out;
    }
  ok = BN_mod (parts->dmp1, parts->d, p1, ctx)
       && BN_mod (parts->dmq1, parts->d, q1, ctx)
       && BN_mod_inverse (parts->iqmp, parts->q, parts->p, ctx) != NULL;
out:
  BN_CTX_end (ctx);
  return ok;
}

/* The pairwise consistency test of FIPS 140: a signature made with the
 * new private key verifies with its public key.  (OpenSSL's
 * EVP_PKEY_pairwise_check would test p and q for primality again, 64
 * rounds each: a third of the time the whole key takes.) */
static gboolean
signs_and_verifies (EVP_PKEY *pkey)
{
  static const guint8 message[] = "Cradle device key pairwise consistency test";
  g_autoptr(EVP_MD_CTX) sign = EVP_MD_CTX_new ();
  g_autoptr(EVP_MD_CTX) verify = EVP_MD_CTX_new ();
  guint8 signature[1024];
  size_t size = sizeof signature;

  return sign != NULL && verify != NULL
         && EVP_PKEY_get_size (pkey) <= (int) sizeof signature
         && EVP_DigestSignInit_ex (sign, NULL, "SHA256", NULL, NULL, pkey, NULL) == 1
         && EVP_DigestSign (sign, signature, &size, message, sizeof message) == 1
         && EVP_DigestVerifyInit_ex (verify, NULL, "SHA256", NULL, NULL, pkey, NULL) == 1
         && EVP_DigestVerify (verify, signature, size, message, sizeof message) == 1;
}

static EVP_PKEY *
assemble (const BIGNUM       *n,
          const BIGNUM       *e,
          const PrivateParts *parts)
{
  g_autoptr(OSSL_PARAM_BLD) builder = OSSL_PARAM_BLD_new ();
  g_autoptr(EVP_PKEY_CTX) ctx = EVP_PKEY_CTX_new_from_name (NULL, "RSA", NULL);
  OSSL_PARAM *params = NULL;
  EVP_PKEY *pkey = NULL;

  if (builder == NULL || ctx == NULL
      || !OSSL_PARAM_BLD_push_BN (builder, OSSL_PKEY_PARAM_RSA_N, n)
      || !OSSL_PARAM_BLD_push_BN (builder, OSSL_PKEY_PARAM_RSA_E, e)
      || !OSSL_PARAM_BLD_push_BN (builder, OSSL_PKEY_PARAM_RSA_D, parts->d)
      || !OSSL_PARAM_BLD_push_BN (builder, OSSL_PKEY_PARAM_RSA_FACTOR1, parts->p)
      || !OSSL_PARAM_BLD_push_BN (builder, OSSL_PKEY_PARAM_RSA_FACTOR2, parts->q)
      || !OSSL_PARAM_BLD_push_BN (builder, OSSL_PKEY_PARAM_RSA_EXPONENT1, parts->dmp1)
      || !OSSL_PARAM_BLD_push_BN (builder, OSSL_PKEY_PARAM_RSA_EXPONENT2, parts->dmq1)
      || !OSSL_PARAM_BLD_push_BN (builder, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, parts->iqmp)
      || (params = OSSL_PARAM_BLD_to_param (builder)) == NULL)
    return NULL;
  if (EVP_PKEY_fromdata_init (ctx) != 1 || EVP_PKEY_fromdata (ctx, &pkey, EVP_PKEY_KEYPAIR, params) != 1)
    pkey = NULL;
  OSSL_PARAM_free (params);
  if (pkey == NULL)
    return NULL;

  if (!signs_and_verifies (pkey))
    {
      EVP_PKEY_free (pkey);
      return NULL;
    }
  return pkey;
}

EVP_PKEY *
cradle_agent_rsa_generate (int bits)
{
  g_autoptr(BN_CTX) ctx = BN_CTX_secure_new ();
  g_autoptr(BIGNUM) e = BN_new ();
  g_autoptr(BIGNUM) n = BN_new ();
  g_auto(PrivateParts) parts = { secret_new (), secret_new (), secret_new (), secret_new (), secret_new (),
                                 secret_new () };

  g_return_val_if_fail (bits >= 2048 && bits % 2 == 0, NULL);

  if (ctx == NULL || e == NULL || n == NULL || parts.p == NULL || parts.q == NULL || parts.d == NULL
      || parts.dmp1 == NULL || parts.dmq1 == NULL || parts.iqmp == NULL || !BN_set_word (e, RSA_F4))
    return NULL;

  for (;;)
    {
      gboolean small_d = FALSE;

      if (!find_prime (parts.p, bits / 2, e, ctx))
        return NULL;
      do
        {
          if (!find_prime (parts.q, bits / 2, e, ctx))
            return NULL;
        }
      while (!far_enough_apart (parts.p, parts.q, bits, ctx));

      /* The top two bits of each prime are set, so n has exactly @bits. */
      if (!BN_mul (n, parts.p, parts.q, ctx) || BN_num_bits (n) != bits)
        return NULL;
      if (derive_exponents (&parts, e, bits, ctx, &small_d))
        break;
      if (!small_d)
        return NULL;
    }
  return assemble (n, e, &parts);
}
