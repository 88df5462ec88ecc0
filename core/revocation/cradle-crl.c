/* cradle-crl.c: a CRL read and verified against its issuer (RFC 5280 §6.3)
 *
 * Nothing here touches the network: the bytes come from a CDP or from the
 * cache, and are outside input either way.
 */
#include "config.h"

#include "revocation/cradle-revocation-private.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DIST_POINT, DIST_POINT_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ASN1_ENUMERATED, ASN1_ENUMERATED_free)

static void
crl_dist_points_free (CRL_DIST_POINTS *points)
{
  sk_DIST_POINT_pop_free (points, DIST_POINT_free);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CRL_DIST_POINTS, crl_dist_points_free)

static gboolean
check_times (X509_CRL                *crl,
             gint64                   now,
             CradleRevocationResult  *result,
             GError                 **error)
{
  const ASN1_TIME *this_update = X509_CRL_get0_lastUpdate (crl);
  const ASN1_TIME *next_update = X509_CRL_get0_nextUpdate (crl);
  gint64 this_seconds = 0;
  gint64 next_seconds = 0;

  if (!cradle_revocation_time_to_unix (this_update, &this_seconds))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "the CRL's thisUpdate cannot be read");
      return FALSE;
    }
  /* Without nextUpdate nobody can tell whether it is current (RFC 5280
   * requires it of conforming CAs). */
  if (next_update == NULL || !cradle_revocation_time_to_unix (next_update, &next_seconds))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "the CRL has no nextUpdate, so whether it is current cannot be told");
      return FALSE;
    }
  if (this_seconds > now + CRADLE_REVOCATION_SKEW_SECONDS)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "the CRL is dated in the future (check this computer's clock)");
      return FALSE;
    }
  if (now >= next_seconds)
    {
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc (next_seconds);
      g_autofree char *text = g_date_time_format_iso8601 (when);

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "the CRL is stale (its nextUpdate was %s)", text);
      return FALSE;
    }
  result->this_update = this_seconds;
  result->next_update = next_seconds;
  return TRUE;
}

gboolean
cradle_crl_check (GBytes                 *bytes,
                  const CradleLeaf       *cert,
                  X509                   *issuer,
                  gint64                  now,
                  CradleRevocationResult *result,
                  GError                **error)
{
  gsize size = 0;
  const unsigned char *p = g_bytes_get_data (bytes, &size);
  const unsigned char *start = p;
  g_autoptr(X509_CRL) crl = NULL;
  EVP_PKEY *key;
  X509_REVOKED *entry = NULL;
  ISSUING_DIST_POINT *idp;
  int found;

  if (size == 0 || size > CRADLE_CRL_MAX_SIZE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "the CRL is %s (%" G_GSIZE_FORMAT " bytes)", size == 0 ? "empty" : "too large", size);
      return FALSE;
    }
  crl = d2i_X509_CRL (NULL, &p, (long) size);
  if (crl == NULL || (gsize) (p - start) != size)
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_INVALID_DATA, "the CRL is not a DER CertificateList");
      return FALSE;
    }
  if (X509_NAME_cmp (X509_CRL_get_issuer (crl), X509_get_subject_name (issuer)) != 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "the CRL was issued by another CA than the certificate's");
      return FALSE;
    }
  if ((X509_get_key_usage (issuer) & KU_CRL_SIGN) == 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "the certificate's CA may not sign CRLs (its key usage lacks cRLSign)");
      return FALSE;
    }
  key = X509_get0_pubkey (issuer);
  if (key == NULL || X509_CRL_verify (crl, key) != 1)
    {
      g_autofree char *why = cradle_openssl_dup_errors ();

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "the CRL's signature does not verify with the certificate's CA (%s)",
                   why != NULL ? why : "bad signature");
      return FALSE;
    }
  /* A delta CRL lists only changes: on its own it says nothing of the rest. */
  if (X509_CRL_get_ext_by_NID (crl, NID_delta_crl, -1) >= 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "the CDP gave a delta CRL, not a complete one");
      return FALSE;
    }
  /* An indirect or partitioned CRL may list other CAs' certificates or
   * only some reasons: this check cannot use it on its own. */
  idp = X509_CRL_get_ext_d2i (crl, NID_issuing_distribution_point, NULL, NULL);
  if (idp != NULL)
    {
      gboolean unusable = idp->indirectCRL || idp->onlyattr || idp->onlysomereasons != NULL || idp->onlyCA;

      ISSUING_DIST_POINT_free (idp);
      if (unusable)
        {
          g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                               "the CRL covers only some certificates or reasons (an indirect or partitioned CRL)");
          return FALSE;
        }
    }
  ERR_clear_error ();
  if (!check_times (crl, now, result, error))
    return FALSE;

  result->method = "crl";
  found = X509_CRL_get0_by_serial (crl, &entry, (ASN1_INTEGER *) cradle_leaf_get_serial (cert));
  if (found == 1 && entry != NULL)
    {
      g_autoptr(ASN1_ENUMERATED) reason = X509_REVOKED_get_ext_d2i (entry, NID_crl_reason, NULL, NULL);

      result->state = CRADLE_REVOCATION_REVOKED;
      result->reason = reason != NULL ? (int) ASN1_ENUMERATED_get (reason) : -1;
      if (!cradle_revocation_time_to_unix (X509_REVOKED_get0_revocationDate (entry), &result->revoked_at))
        result->revoked_at = 0;
    }
  else
    result->state = CRADLE_REVOCATION_GOOD;  /* 2 is removeFromCRL: no longer revoked */
  ERR_clear_error ();
  return TRUE;
}

static gboolean
is_readable_url (const char *text,
                 int         length)
{
  if (length <= 0 || length > 4096 || memchr (text, '\0', length) != NULL)
    return FALSE;
  return g_ascii_strncasecmp (text, "http://", 7) == 0 || g_ascii_strncasecmp (text, "ldap:///", 8) == 0;
}

char **
cradle_crl_dup_urls (const CradleLeaf *cert)
{
  g_autoptr(CRL_DIST_POINTS) points = X509V3_get_d2i (cradle_leaf_get_extensions (cert),
                                                      NID_crl_distribution_points, NULL, NULL);
  g_autoptr(GPtrArray) urls = g_ptr_array_new_with_free_func (g_free);

  ERR_clear_error ();
  for (int i = 0; points != NULL && i < sk_DIST_POINT_num (points); i++)
    {
      DIST_POINT *point = sk_DIST_POINT_value (points, i);
      GENERAL_NAMES *names;

      /* A point limited to some reasons, or with another CRL issuer, is
       * not the whole story for this CA. */
      if (point->distpoint == NULL || point->distpoint->type != 0 || point->reasons != NULL ||
          point->CRLissuer != NULL)
        continue;
      names = point->distpoint->name.fullname;
      for (int j = 0; j < sk_GENERAL_NAME_num (names); j++)
        {
          GENERAL_NAME *name = sk_GENERAL_NAME_value (names, j);
          const char *text;
          int length;

          if (name->type != GEN_URI)
            continue;
          text = (const char *) ASN1_STRING_get0_data (name->d.uniformResourceIdentifier);
          length = ASN1_STRING_length (name->d.uniformResourceIdentifier);
          if (is_readable_url (text, length))
            g_ptr_array_add (urls, g_strndup (text, length));
        }
    }
  g_ptr_array_add (urls, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&urls), FALSE);
}
