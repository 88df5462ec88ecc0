/* cradle-leaf.c: a device's certificate as revocation checks read it
 *
 * A revocation check never uses the leaf's own key, only its serial,
 * issuer, validity and extensions, and its signature checked with the
 * issuer's key: the leaf is read as an outline (core/base's
 * cradle-x509-outline.c, which says why not d2i_X509()), its
 * TBSCertificate's encoding kept as it came, so the signature is checked
 * over the very bytes that were signed.
 */
#include "config.h"

#include "base/cradle-x509-outline-private.h"
#include "revocation/cradle-revocation-private.h"

struct _CradleLeaf
{
  CradleX509Outline *outline;
  gint64             not_before;
  gint64             not_after;
};

CradleLeaf *
cradle_leaf_new_from_der (GBytes  *der,
                          GError **error)
{
  g_autoptr(CradleLeaf) self = g_new0 (CradleLeaf, 1);

  switch (cradle_x509_outline_read (der, &self->outline))
    {
    case CRADLE_X509_OUTLINE_READ:
      break;
    case CRADLE_X509_OUTLINE_IMPLAUSIBLE_SIZE:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "A certificate of %" G_GSIZE_FORMAT " bytes is not plausible", g_bytes_get_size (der));
      return NULL;
    case CRADLE_X509_OUTLINE_MALFORMED:
    default:
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
  g_clear_pointer (&self->outline, cradle_x509_outline_free);
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
  ok = key != NULL && cradle_x509_outline_verify (self->outline, key);
  ERR_clear_error ();
  return ok;
}
