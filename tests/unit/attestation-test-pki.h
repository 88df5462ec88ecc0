/* attestation-test-pki.h: YubiKey-like PIV attestation chains made by OpenSSL
 *
 * A vendor root, an attesting (f9) certificate under it, either a CA
 * certificate or a version 1 certificate without extensions as YubiKey 4's
 * are, and attestation certificates for a key with Yubico's extensions
 * (firmware, serial, PIN and touch policy, form factor).  Shared by the
 * unit tests of the check and the token-level test that writes one to
 * SoftHSM2.
 */
#pragma once

#include <glib.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "base/cradle-openssl-private.h"

G_BEGIN_DECLS

typedef struct {
  EVP_PKEY *key;
  X509     *cert;
} AttPki;

void      att_pki_free         (AttPki *pki);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AttPki, att_pki_free)

/* What an attestation says; a NULL/negative field is left out. */
typedef struct {
  GBytes *firmware;      /* raw value of .3.3 (3 bytes for a good one) */
  GBytes *serial;        /* raw value of .3.7 (a DER INTEGER for a good one) */
  GBytes *policy;        /* raw value of .3.8 (2 bytes) */
  GBytes *form_factor;   /* raw value of .3.9 (1 byte) */
} AttExtensions;

/* A P-256 key. */
EVP_PKEY *att_make_key         (void);
/* A self-signed CA certificate named CN=@common_name. */
AttPki   *att_make_root        (const char   *common_name);
/* A certificate for a new key signed by @issuer: a CA (basicConstraints
 * CA:TRUE, keyCertSign) when @ca, else a version 1 certificate without
 * any extension, as a YubiKey 4's f9 certificate. */
AttPki   *att_make_issued      (AttPki       *issuer,
                                const char   *common_name,
                                gboolean      ca);
/* The attestation of @attested signed by @f9, subject "CN=YubiKey PIV
 * Attestation 9a", with @extensions (nullable). */
X509     *att_make_attestation (AttPki              *f9,
                                EVP_PKEY            *attested,
                                const AttExtensions *extensions);
/* The same for the key a token gave as a DER SubjectPublicKeyInfo. */
X509     *att_make_attestation_for_spki (AttPki              *f9,
                                         GBytes              *spki,
                                         const AttExtensions *extensions);
/* Yubico's usual extensions: firmware 5.4.3, serial @serial, PIN once,
 * touch never, form factor 1. Free with att_extensions_clear(). */
void      att_extensions_init  (AttExtensions *extensions,
                                guint32        serial);
void      att_extensions_clear (AttExtensions *extensions);

GBytes   *att_der              (X509         *cert);
GBytes   *att_spki             (EVP_PKEY     *key);
/* Writes @certs (NULL-terminated) as PEM to @dir/@name; returns the path. */
char     *att_write_pem        (const char   *dir,
                                const char   *name,
                                X509        **certs);

G_END_DECLS
