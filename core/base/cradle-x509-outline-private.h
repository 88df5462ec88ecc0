/* cradle-x509-outline-private.h: a certificate read without its subject's key
 *
 * The one reader of a certificate's outline (cradle-x509-outline.c): a
 * CradleCertificate (names, serial, expiry for display) and a revocation
 * check's leaf (serial, issuer, validity, extensions, signature) both read
 * certificates through it.
 */
#pragma once

#include <openssl/asn1.h>
#include <openssl/x509.h>
#include <glib.h>

G_BEGIN_DECLS

/* Certificates larger than this are not what a device store holds. */
#define CRADLE_X509_OUTLINE_MAX_SIZE (64 * 1024)

/* SubjectPublicKeyInfo, its two fields left as they came. */
typedef struct {
  X509_ALGOR      *algorithm;
  ASN1_BIT_STRING *public_key;
} CradleX509OutlineKey;

/* TBSCertificate (RFC 5280 4.1), with its encoding as it came. */
typedef struct {
  ASN1_ENCODING              encoding;
  ASN1_INTEGER              *version;
  ASN1_INTEGER              *serial;
  X509_ALGOR                *signature;
  X509_NAME                 *issuer;
  X509_VAL                  *validity;
  X509_NAME                 *subject;
  CradleX509OutlineKey      *key;
  ASN1_BIT_STRING           *issuer_uid;
  ASN1_BIT_STRING           *subject_uid;
  STACK_OF (X509_EXTENSION) *extensions;   /* (nullable) */
} CradleX509OutlineTbs;

typedef struct {
  CradleX509OutlineTbs *tbs;
  X509_ALGOR           *signature_algorithm;
  ASN1_BIT_STRING      *signature;
} CradleX509Outline;

typedef enum {
  CRADLE_X509_OUTLINE_READ,
  /* Empty, or larger than CRADLE_X509_OUTLINE_MAX_SIZE. */
  CRADLE_X509_OUTLINE_IMPLAUSIBLE_SIZE,
  /* Not exactly one certificate: malformed, or bytes after its end.
   * OpenSSL's reasons, if it gave any, are left on its error queue for
   * the caller's message (cradle_openssl_set_error()). */
  CRADLE_X509_OUTLINE_MALFORMED,
} CradleX509OutlineStatus;

/* Reads @der, untrusted, as exactly one certificate; *@outline is set only
 * when the answer is CRADLE_X509_OUTLINE_READ.  The caller words the
 * error, for what it was reading. */
CradleX509OutlineStatus cradle_x509_outline_read   (GBytes                   *der,
                                                    CradleX509Outline       **outline) G_GNUC_WARN_UNUSED_RESULT;
void                    cradle_x509_outline_free   (CradleX509Outline        *outline);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleX509Outline, cradle_x509_outline_free)
/* Whether @outline's signature verifies with @key over its TBSCertificate
 * as it was encoded.  Leaves OpenSSL's error queue to the caller. */
gboolean                cradle_x509_outline_verify (const CradleX509Outline  *outline,
                                                    EVP_PKEY                 *key);

G_END_DECLS
