/* revocation-test-pki.h: a small PKI of real OpenSSL certificates, for the
 * revocation and lifecycle tests: a CA, its OCSP responder, a certificate
 * that is not a responder, another CA and its responder, and two leaves */
#pragma once

#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "revocation/cradle-revocation-private.h"

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OCSP_BASICRESP, OCSP_BASICRESP_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OCSP_RESPONSE, OCSP_RESPONSE_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OCSP_CERTID, OCSP_CERTID_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ASN1_TIME, ASN1_TIME_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_REVOKED, X509_REVOKED_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ASN1_INTEGER, ASN1_INTEGER_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ASN1_ENUMERATED, ASN1_ENUMERATED_free)

#define HOUR 3600
#define DAY  86400

typedef struct {
  EVP_PKEY   *key;
  X509       *cert;
  CradleLeaf *outline;   /* the same certificate as revocation checks read it */
} Pki;

void     pki_free          (Pki *pki);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Pki, pki_free)

typedef struct {
  const char *ocsp_url;
  const char *crl_url;
  const char *eku;
  gint64      not_before;   /* offsets from now, seconds */
  gint64      not_after;
  long        serial;
  GBytes     *template_oid_ext;   /* DER value of 1.3.6.1.4.1.311.21.7 */
  GBytes     *template_name_ext;  /* DER value of 1.3.6.1.4.1.311.20.2 */
} CertOptions;

/* A certificate issued by @issuer (self-signed when %NULL) named @name. */
Pki     *make_cert         (Pki               *issuer,
                            const char        *name,
                            gboolean           ca,
                            const CertOptions *options);
GBytes  *cert_der          (X509              *cert);
/* Bytes from hexadecimal text. */
GBytes  *hex_bytes         (const char        *hex);

typedef struct {
  Pki *ca;
  Pki *responder;      /* issued by ca, OCSPSigning */
  Pki *plain;          /* issued by ca, no OCSPSigning */
  Pki *other_ca;
  Pki *other_responder;
  Pki *leaf;
  Pki *sibling;        /* another certificate of ca */
  gint64 now;
} Fixture;

typedef struct {
  Pki        *signer;
  X509_NAME  *issuer_name;   /* %NULL: the signer's subject */
  long        revoked_serial; /* 0: none */
  int         reason;
  gint64      this_update;
  gint64      next_update;   /* 0: none */
  gboolean    delta;
} CrlOptions;

/* A CRL signed by @o->signer. */
GBytes  *make_crl          (const CrlOptions  *o);
long     serial_of         (X509              *cert);

void     fixture_set_up    (Fixture       *f,
                            gconstpointer  data);
void     fixture_tear_down (Fixture       *f,
                            gconstpointer  data);

G_END_DECLS
