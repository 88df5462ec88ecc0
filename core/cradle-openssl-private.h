/* cradle-openssl-private.h: the OpenSSL boundary of libcradle */
#pragma once

#include <openssl/x509.h>
#include <openssl/evp.h>
#include <glib.h>

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509, X509_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY, EVP_PKEY_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIO, BIO_free)

char *cradle_openssl_dup_errors (void);

G_END_DECLS
