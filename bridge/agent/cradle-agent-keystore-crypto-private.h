/* cradle-agent-keystore-crypto-private.h: the keystore's OpenSSL boundary
 *
 * Key generation, PKCS#8, AES-256-GCM sealing, signing and certificate
 * checks. OpenSSL errors become CRADLE_ERROR here and go no further.
 */
#pragma once

#include <glib.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <cradle/cradle.h>

#include "base/cradle-openssl-private.h"

G_BEGIN_DECLS

#define CRADLE_AGENT_KEK_SIZE   32
#define CRADLE_AGENT_NONCE_SIZE 12
#define CRADLE_AGENT_TAG_SIZE   16

/* Key material in clear, in memory kept out of core dumps
 * (cradle-agent-secure-memory-private.h), wiped before it is freed. */
typedef struct {
  guint8 *data;
  gsize   size;
  gsize   capacity;   /* allocated; @size may shrink below it */
} CradleAgentSecret;

CradleAgentSecret *cradle_agent_secret_new  (gsize size);
void               cradle_agent_secret_free (CradleAgentSecret *secret);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleAgentSecret, cradle_agent_secret_free)

/* Sets @error to "@message: <OpenSSL's reasons>" and clears OpenSSL's queue. */
void      cradle_agent_crypto_set_error       (GError                  **error,
                                               CradleError               code,
                                               const char               *message);

gboolean  cradle_agent_crypto_random          (guint8                   *buffer,
                                               gsize                     size,
                                               GError                  **error) G_GNUC_WARN_UNUSED_RESULT;

gboolean  cradle_agent_crypto_key_type_known  (const char               *key_type);
EVP_PKEY *cradle_agent_crypto_generate        (const char               *key_type,
                                               GError                  **error) G_GNUC_WARN_UNUSED_RESULT;
/* Whether @pkey is of @key_type (algorithm and size or curve). */
gboolean  cradle_agent_crypto_key_is_type     (EVP_PKEY                 *pkey,
                                               const char               *key_type);

GBytes   *cradle_agent_crypto_public_der      (EVP_PKEY                 *pkey,
                                               GError                  **error) G_GNUC_WARN_UNUSED_RESULT;
EVP_PKEY *cradle_agent_crypto_public_parse    (GBytes                   *der,
                                               GError                  **error) G_GNUC_WARN_UNUSED_RESULT;
CradleAgentSecret *cradle_agent_crypto_private_der   (EVP_PKEY                 *pkey,
                                                      GError                  **error) G_GNUC_WARN_UNUSED_RESULT;
EVP_PKEY          *cradle_agent_crypto_private_parse (const CradleAgentSecret  *pkcs8,
                                                      GError                  **error) G_GNUC_WARN_UNUSED_RESULT;

/* AES-256-GCM under @kek with a fresh random nonce. */
gboolean  cradle_agent_crypto_seal            (const guint8             *kek,
                                               GBytes                   *aad,
                                               const CradleAgentSecret  *plaintext,
                                               GBytes                  **nonce,
                                               GBytes                  **ciphertext,
                                               GBytes                  **tag,
                                               GError                  **error) G_GNUC_WARN_UNUSED_RESULT;
CradleAgentSecret *cradle_agent_crypto_unseal (const guint8             *kek,
                                               GBytes                   *aad,
                                               GBytes                   *nonce,
                                               GBytes                   *ciphertext,
                                               GBytes                   *tag,
                                               GError                  **error) G_GNUC_WARN_UNUSED_RESULT;

gboolean  cradle_agent_crypto_digest_known     (const char               *digest);
/* Sets NOT_SUPPORTED, naming the digests there are, unless @digest is
 * one of them; %NULL is fine (and not supported). */
gboolean  cradle_agent_crypto_check_digest     (const char               *digest,
                                               GError                  **error) G_GNUC_WARN_UNUSED_RESULT;
/* @digest: "sha256", "sha384" or "sha512"; anything else is NOT_SUPPORTED. */
GBytes   *cradle_agent_crypto_sign            (EVP_PKEY                 *pkey,
                                               const char               *digest,
                                               GBytes                   *data,
                                               char                    **algorithm,
                                               GError                  **error) G_GNUC_WARN_UNUSED_RESULT;

/* The size of @digest's output, 0 for an unknown digest. */
gsize     cradle_agent_crypto_digest_size     (const char               *digest);
/* @data's @digest ("sha256", "sha384", "sha512"). */
GBytes   *cradle_agent_crypto_digest          (const char               *digest,
                                               GBytes                   *data,
                                               GError                  **error) G_GNUC_WARN_UNUSED_RESULT;
/* The NID of the signature algorithm cradle_agent_crypto_sign() uses with
 * @pkey and @digest, NID_undef when there is none. */
int       cradle_agent_crypto_signature_nid   (EVP_PKEY                 *pkey,
                                               const char               *digest);

/* RSA key transport as CMS uses it (RSAES-PKCS1-v1_5): decrypts
 * @encrypted_key, which must be exactly the modulus long, and gives the
 * @key_size bytes it holds. Whether the padding was right is never told:
 * when it is wrong, or the key inside is not @key_size bytes, the answer is
 * HMAC-SHA256(@rejection_key, @key_size as one byte || @encrypted_key) cut
 * to @key_size, a value nobody without the device can predict (implicit rejection, as in TLS), so
 * the device is no padding oracle. @key_size is at most 32. EC keys are
 * CRADLE_ERROR_NOT_SUPPORTED. */
GBytes   *cradle_agent_crypto_unwrap_key      (EVP_PKEY                 *pkey,
                                               GBytes                   *encrypted_key,
                                               gsize                     key_size,
                                               const guint8             *rejection_key,
                                               GError                  **error) G_GNUC_WARN_UNUSED_RESULT;

/* A certificate that parses and re-encodes to exactly @der. */
X509     *cradle_agent_crypto_parse_certificate (GBytes                 *der,
                                                 GError                **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
