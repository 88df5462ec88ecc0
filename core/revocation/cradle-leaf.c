/* cradle-leaf.c: a device's certificate as revocation checks read it
 *
 * OpenSSL 3.0's d2i_X509() decodes the subject's key and builds a decoder
 * context over every provider for it: about half a millisecond a
 * certificate here, half of `cradlectl status` for a device holding 100.
 * A revocation check never uses the leaf's own key, only its serial,
 * issuer, validity and extensions, and its signature checked with the
 * issuer's key.  So the leaf is read with the same ASN.1 types as
 * d2i_X509() but for the key, its TBSCertificate's encoding kept as it
 * came (ASN1_SEQUENCE_enc), so the signature is checked over the very
 * bytes that were signed.
 */
#include "config.h"

#include <openssl/asn1t.h>

#include "revocation/cradle-revocation-private.h"

/* A device's certificate larger than this is not plausible. */
#define MAX_LEAF_SIZE (64 * 1024)

typedef struct {
  X509_ALGOR      *algorithm;
  ASN1_BIT_STRING *public_key;
} CradleLeafKey;

typedef struct {
  ASN1_ENCODING              encoding;
  ASN1_INTEGER              *version;
  ASN1_INTEGER              *serial;
  X509_ALGOR                *signature;
  X509_NAME                 *issuer;
  X509_VAL                  *validity;
  X509_NAME                 *subject;
  CradleLeafKey             *key;
  ASN1_BIT_STRING           *issuer_uid;
  ASN1_BIT_STRING           *subject_uid;
  STACK_OF (X509_EXTENSION) *extensions;
} CradleLeafTbs;

typedef struct {
  CradleLeafTbs   *tbs;
  X509_ALGOR      *signature_algorithm;
  ASN1_BIT_STRING *signature;
} CradleLeafOutline;

ASN1_SEQUENCE (CradleLeafKey) = {
  ASN1_SIMPLE (CradleLeafKey, algorithm, X509_ALGOR),
  ASN1_SIMPLE (CradleLeafKey, public_key, ASN1_BIT_STRING),
} static_ASN1_SEQUENCE_END (CradleLeafKey)

ASN1_SEQUENCE_enc (CradleLeafTbs, encoding, NULL) = {
  ASN1_EXP_OPT (CradleLeafTbs, version, ASN1_INTEGER, 0),
  ASN1_SIMPLE (CradleLeafTbs, serial, ASN1_INTEGER),
  ASN1_SIMPLE (CradleLeafTbs, signature, X509_ALGOR),
  ASN1_SIMPLE (CradleLeafTbs, issuer, X509_NAME),
  ASN1_SIMPLE (CradleLeafTbs, validity, X509_VAL),
  ASN1_SIMPLE (CradleLeafTbs, subject, X509_NAME),
  ASN1_SIMPLE (CradleLeafTbs, key, CradleLeafKey),
  ASN1_IMP_OPT (CradleLeafTbs, issuer_uid, ASN1_BIT_STRING, 1),
  ASN1_IMP_OPT (CradleLeafTbs, subject_uid, ASN1_BIT_STRING, 2),
  ASN1_EXP_SEQUENCE_OF_OPT (CradleLeafTbs, extensions, X509_EXTENSION, 3),
} static_ASN1_SEQUENCE_END_ref (CradleLeafTbs, CradleLeafTbs)

ASN1_SEQUENCE (CradleLeafOutline) = {
  ASN1_SIMPLE (CradleLeafOutline, tbs, CradleLeafTbs),
  ASN1_SIMPLE (CradleLeafOutline, signature_algorithm, X509_ALGOR),
  ASN1_SIMPLE (CradleLeafOutline, signature, ASN1_BIT_STRING),
} static_ASN1_SEQUENCE_END (CradleLeafOutline)

struct _CradleLeaf
{
  CradleLeafOutline *outline;
  gint64             not_before;
  gint64             not_after;
};

CradleLeaf *
cradle_leaf_new_from_der (GBytes  *der,
                          GError **error)
{
  g_autoptr(CradleLeaf) self = g_new0 (CradleLeaf, 1);
  gsize size = 0;
  const unsigned char *p = g_bytes_get_data (der, &size);
  const unsigned char *start = p;

  if (size == 0 || size > MAX_LEAF_SIZE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "A certificate of %" G_GSIZE_FORMAT " bytes is not plausible", size);
      return NULL;
    }
  self->outline = (CradleLeafOutline *) ASN1_item_d2i (NULL, &p, (long) size, ASN1_ITEM_rptr (CradleLeafOutline));
  if (self->outline == NULL || (gsize) (p - start) != size)
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_INVALID_DATA, "The certificate is not one DER certificate");
      return NULL;
    }
  if (!cradle_revocation_time_to_unix (self->outline->tbs->validity->notBefore, &self->not_before) ||
      !cradle_revocation_time_to_unix (self->outline->tbs->validity->notAfter, &self->not_after))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The certificate's validity cannot be read");
      return NULL;
    }
  return g_steal_pointer (&self);
}

void
cradle_leaf_free (CradleLeaf *self)
{
  if (self == NULL)
    return;
  ASN1_item_free ((ASN1_VALUE *) self->outline, ASN1_ITEM_rptr (CradleLeafOutline));
  g_free (self);
}

const ASN1_INTEGER *
cradle_leaf_get_serial (const CradleLeaf *self)
{
  return self->outline->tbs->serial;
}

const X509_NAME *
cradle_leaf_get_issuer_name (const CradleLeaf *self)
{
  return self->outline->tbs->issuer;
}

const STACK_OF (X509_EXTENSION) *
cradle_leaf_get_extensions (const CradleLeaf *self)
{
  return self->outline->tbs->extensions;
}

gint64
cradle_leaf_get_not_before (const CradleLeaf *self)
{
  return self->not_before;
}

gint64
cradle_leaf_get_not_after (const CradleLeaf *self)
{
  return self->not_after;
}

gboolean
cradle_leaf_is_issued_by (const CradleLeaf *self,
                          X509             *issuer)
{
  EVP_PKEY *key;
  gboolean ok;

  if (X509_NAME_cmp (X509_get_subject_name (issuer), self->outline->tbs->issuer) != 0)
    return FALSE;
  key = X509_get0_pubkey (issuer);
  ok = key != NULL &&
       ASN1_item_verify (ASN1_ITEM_rptr (CradleLeafTbs), self->outline->signature_algorithm,
                         self->outline->signature, self->outline->tbs, key) == 1;
  ERR_clear_error ();
  return ok;
}
