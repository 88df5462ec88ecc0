/* cradle-x509-outline.c: a certificate read without its subject's key
 *
 * A certificate as RFC 5280 lays it out, the subject's key kept as its two
 * fields.  OpenSSL 3.0's d2i_X509() also decodes the key, and builds a
 * decoder context over every provider for it
 * (OSSL_DECODER_CTX_new_for_pkey): under callgrind 1.3 million
 * instructions per certificate, 7.8 million for the first, a fifth of
 * `cradlectl templates`; about half a millisecond a certificate, half of
 * `cradlectl status` for a device holding 100.  A CradleCertificate shows
 * names, serial, expiry and fingerprint, and a revocation check uses the
 * leaf's serial, issuer, validity and extensions and its signature checked
 * with the issuer's key: neither uses the subject's key.  So certificates
 * are read here with the same ASN.1 types as d2i_X509() but for the key:
 * this accepts and rejects the same bytes (d2i_X509() never failed on a
 * key it could not decode; it leaves it undecoded).  The TBSCertificate's
 * encoding is kept as it came (ASN1_SEQUENCE_enc, as OpenSSL's own
 * X509_CINF), so a signature is checked over the very bytes that were
 * signed.
 */
#include "config.h"

#include <openssl/asn1t.h>

#include "base/cradle-x509-outline-private.h"

ASN1_SEQUENCE (CradleX509OutlineKey) = {
  ASN1_SIMPLE (CradleX509OutlineKey, algorithm, X509_ALGOR),
  ASN1_SIMPLE (CradleX509OutlineKey, public_key, ASN1_BIT_STRING),
} static_ASN1_SEQUENCE_END (CradleX509OutlineKey)

ASN1_SEQUENCE_enc (CradleX509OutlineTbs, encoding, NULL) = {
  ASN1_EXP_OPT (CradleX509OutlineTbs, version, ASN1_INTEGER, 0),
  ASN1_SIMPLE (CradleX509OutlineTbs, serial, ASN1_INTEGER),
  ASN1_SIMPLE (CradleX509OutlineTbs, signature, X509_ALGOR),
  ASN1_SIMPLE (CradleX509OutlineTbs, issuer, X509_NAME),
  ASN1_SIMPLE (CradleX509OutlineTbs, validity, X509_VAL),
  ASN1_SIMPLE (CradleX509OutlineTbs, subject, X509_NAME),
  ASN1_SIMPLE (CradleX509OutlineTbs, key, CradleX509OutlineKey),
  ASN1_IMP_OPT (CradleX509OutlineTbs, issuer_uid, ASN1_BIT_STRING, 1),
  ASN1_IMP_OPT (CradleX509OutlineTbs, subject_uid, ASN1_BIT_STRING, 2),
  ASN1_EXP_SEQUENCE_OF_OPT (CradleX509OutlineTbs, extensions, X509_EXTENSION, 3),
} static_ASN1_SEQUENCE_END_ref (CradleX509OutlineTbs, CradleX509OutlineTbs)

ASN1_SEQUENCE (CradleX509Outline) = {
  ASN1_SIMPLE (CradleX509Outline, tbs, CradleX509OutlineTbs),
  ASN1_SIMPLE (CradleX509Outline, signature_algorithm, X509_ALGOR),
  ASN1_SIMPLE (CradleX509Outline, signature, ASN1_BIT_STRING),
} static_ASN1_SEQUENCE_END (CradleX509Outline)

CradleX509OutlineStatus
cradle_x509_outline_read (GBytes             *der,
                          CradleX509Outline **outline)
{
  g_autoptr(CradleX509Outline) read = NULL;
  gsize size = 0;
  const unsigned char *start = g_bytes_get_data (der, &size);
  const unsigned char *p = start;

  if (size == 0 || size > CRADLE_X509_OUTLINE_MAX_SIZE)
    return CRADLE_X509_OUTLINE_IMPLAUSIBLE_SIZE;
  read = (CradleX509Outline *) ASN1_item_d2i (NULL, &p, (long) size, ASN1_ITEM_rptr (CradleX509Outline));
  if (read == NULL || (gsize) (p - start) != size)
    return CRADLE_X509_OUTLINE_MALFORMED;
  *outline = g_steal_pointer (&read);
  return CRADLE_X509_OUTLINE_READ;
}

void
cradle_x509_outline_free (CradleX509Outline *outline)
{
  ASN1_item_free ((ASN1_VALUE *) outline, ASN1_ITEM_rptr (CradleX509Outline));
}

gboolean
cradle_x509_outline_verify (const CradleX509Outline *outline,
                            EVP_PKEY                *key)
{
  return ASN1_item_verify (ASN1_ITEM_rptr (CradleX509OutlineTbs), outline->signature_algorithm,
                           outline->signature, outline->tbs, key) == 1;
}
