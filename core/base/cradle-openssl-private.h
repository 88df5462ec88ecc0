/* cradle-openssl-private.h: the OpenSSL boundary of libcradle */
#pragma once

#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/evp.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/param_build.h>
#include <glib.h>

G_BEGIN_DECLS

/* The one place OpenSSL types get g_autoptr support: core, the agent and
 * the tests all include this. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509, X509_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_NAME, X509_NAME_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY, EVP_PKEY_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY_CTX, EVP_PKEY_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_MD_CTX, EVP_MD_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_CIPHER_CTX, EVP_CIPHER_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIO, BIO_free_all)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_REQ, X509_REQ_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_EXTENSION, X509_EXTENSION_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_ATTRIBUTE, X509_ATTRIBUTE_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_ALGOR, X509_ALGOR_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_PUBKEY, X509_PUBKEY_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ASN1_OBJECT, ASN1_OBJECT_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ASN1_STRING, ASN1_STRING_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ASN1_TYPE, ASN1_TYPE_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GENERAL_NAME, GENERAL_NAME_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GENERAL_NAMES, GENERAL_NAMES_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EXTENDED_KEY_USAGE, EXTENDED_KEY_USAGE_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIGNUM, BN_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BN_CTX, BN_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OSSL_PARAM_BLD, OSSL_PARAM_BLD_free)

/* Stacks that own their elements. */
static inline void
cradle_openssl_extensions_free (X509_EXTENSIONS *extensions)
{
  sk_X509_EXTENSION_pop_free (extensions, X509_EXTENSION_free);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_EXTENSIONS, cradle_openssl_extensions_free)

static inline void
cradle_openssl_sequence_any_free (ASN1_SEQUENCE_ANY *sequence)
{
  sk_ASN1_TYPE_pop_free (sequence, ASN1_TYPE_free);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ASN1_SEQUENCE_ANY, cradle_openssl_sequence_any_free)

/* Drains OpenSSL's error queue (cradle-openssl.c): the reasons of its
 * first errors in one line, "; " between them; %NULL when it held none.
 * The one place the queue is read. */
char   *cradle_openssl_dup_errors (void);
/* Sets @error (CRADLE_ERROR, @code) to @message, with the drained reasons
 * after it in parentheses. */
void    cradle_openssl_set_error  (GError       **error,
                                   gint           code,
                                   const char    *message);

/* Wipes, then frees, a string that held a secret; %NULL is fine (cradle-secret.c). */
void    cradle_secret_free      (char          *secret);

/* Hands DER that OpenSSL allocated (an i2d_* output) to a GBytes. */
GBytes *cradle_openssl_take_der (unsigned char *der,
                                 int            size);

G_END_DECLS
