/* cert-details-test-support.h: certificates with names, uses and hostile
 * text, made with OpenSSL, for the tests of a device certificate's details */
#pragma once

#include <glib.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "base/cradle-openssl-private.h"

G_BEGIN_DECLS

typedef struct {
  const char *subject_cn;     /* UTF-8 */
  GBytes     *raw_cn;         /* instead: a TeletexString of these bytes, unchecked */
  EVP_PKEY   *key;            /* the subject's (public) key */
  X509       *issuer;         /* NULL: self-signed with issuer_key */
  EVP_PKEY   *issuer_key;
  long        serial;
  gboolean    ca;
  const char *san;            /* OpenSSL's configuration syntax */
  guint       many_dns;       /* instead: this many DNS names, one with controls */
  const char *eku;            /* OpenSSL's configuration syntax */
  const char *key_usage;
  const char *template_name;  /* 1.3.6.1.4.1.311.20.2, as a BMPString */
} CertSpec;

X509   *cert_spec_build (const CertSpec *spec);
GBytes *cert_der        (X509           *x509);
X509   *cert_from_der   (GBytes         *der);

G_END_DECLS
