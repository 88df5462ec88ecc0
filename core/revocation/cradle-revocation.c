/* cradle-revocation.c: is a certificate revoked? The cache, OCSP, then each CRL
 *
 * The first answer that verifies decides: a kept one still current, else
 * the OCSP responder of the certificate's AIA, else its CRL distribution
 * points in order.  Anything else (no address, a server that cannot be
 * reached, an answer that does not verify or is stale, a responder that
 * does not know the certificate) is a reason, and with no answer the
 * result is UNKNOWN with every reason: never good.
 */
#include "config.h"

#include "revocation/cradle-revocation-private.h"

#define DEFAULT_TIMEOUT_S 10

struct _CradleRevocationChecker
{
  /* Owned */
  CradleRevocationCache *cache;
  CradleHttp            *http;
  CradleDirectory       *directory;
  GError                *directory_error;  /* the session could not be opened */
  gboolean               directory_tried;
  GHashTable            *unreachable;      /* URL -> its error's text, for this checker's life */
  GHashTable            *crls;             /* URL -> GBytes fetched for this checker's life */
  GHashTable            *responders;       /* cache key -> X509 read from the cache (or a NULL value) */
  gboolean               online;
  gboolean               refresh;
  guint                  timeout_s;
  /* Borrowed */
  CradleRevocationStepBegin begin;
  CradleRevocationStepEnd   end;
  gpointer                  user_data;
};

CradleRevocationChecker *
cradle_revocation_checker_new (void)
{
  CradleRevocationChecker *self = g_new0 (CradleRevocationChecker, 1);

  self->cache = cradle_revocation_cache_new (NULL);
  self->unreachable = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->crls = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  self->responders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) X509_free);
  self->online = TRUE;
  self->timeout_s = DEFAULT_TIMEOUT_S;
  return self;
}

void
cradle_revocation_checker_free (CradleRevocationChecker *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->cache, cradle_revocation_cache_free);
  g_clear_pointer (&self->http, cradle_http_free);
  g_clear_object (&self->directory);
  g_clear_error (&self->directory_error);
  g_clear_pointer (&self->unreachable, g_hash_table_unref);
  g_clear_pointer (&self->crls, g_hash_table_unref);
  g_clear_pointer (&self->responders, g_hash_table_unref);
  g_free (self);
}

void
cradle_revocation_checker_set_cache_folder (CradleRevocationChecker *self,
                                            const char              *folder)
{
  g_clear_pointer (&self->cache, cradle_revocation_cache_free);
  self->cache = cradle_revocation_cache_new (folder);
}

void
cradle_revocation_checker_set_directory (CradleRevocationChecker *self,
                                         CradleDirectory         *directory)
{
  g_set_object (&self->directory, directory);
  self->directory_tried = FALSE;
  g_clear_error (&self->directory_error);
}

void
cradle_revocation_checker_set_online (CradleRevocationChecker *self,
                                      gboolean                 online)
{
  self->online = online;
}

void
cradle_revocation_checker_set_refresh (CradleRevocationChecker *self,
                                       gboolean                 refresh)
{
  self->refresh = refresh;
}

void
cradle_revocation_checker_set_timeout (CradleRevocationChecker *self,
                                       guint                    seconds)
{
  self->timeout_s = seconds > 0 ? seconds : DEFAULT_TIMEOUT_S;
  if (self->http != NULL)
    cradle_http_set_timeout (self->http, self->timeout_s);
}

void
cradle_revocation_checker_set_observer (CradleRevocationChecker   *self,
                                        CradleRevocationStepBegin  begin,
                                        CradleRevocationStepEnd    end,
                                        gpointer                   user_data)
{
  self->begin = begin;
  self->end = end;
  self->user_data = user_data;
}

static CradleHttp *
get_http (CradleRevocationChecker *self)
{
  if (self->http == NULL)
    {
      self->http = cradle_http_new ();
      cradle_http_set_timeout (self->http, self->timeout_s);
      /* OCSP answers and CRLs are signed; RFC 5280 and 6960 serve them over HTTP. */
      cradle_http_set_allow_plain_http (self->http, TRUE);
    }
  return self->http;
}

static gint64
step_begin (CradleRevocationChecker *self,
            const char              *step,
            const char              *text)
{
  return self->begin != NULL ? self->begin (step, text, self->user_data) : 0;
}

static void
step_end (CradleRevocationChecker *self,
          gint64                   step_id,
          const char              *outcome,
          const GError            *failure)
{
  if (self->end != NULL)
    self->end (step_id, outcome, failure, self->user_data);
}

static void
add_reason (GString    *reasons,
            const char *format,
            ...) G_GNUC_PRINTF (2, 3);

static void
add_reason (GString    *reasons,
            const char *format,
            ...)
{
  va_list args;

  if (reasons->len > 0)
    g_string_append (reasons, "; ");
  va_start (args, format);
  g_string_append_vprintf (reasons, format, args);
  va_end (args);
}

static gboolean
is_unreachable (const GError *error)
{
  return g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE) ||
         g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_TIMED_OUT);
}

static const char *
state_outcome (CradleRevocationState state)
{
  switch (state)
    {
    case CRADLE_REVOCATION_GOOD: return "good";
    case CRADLE_REVOCATION_REVOKED: return "revoked";
    default: return "unknown";
    }
}

/* The certificate kept for @issuer's OCSP answers, read once per checker;
 * %NULL when none is kept.  It proves nothing by itself: an answer still
 * verifies only if it chains to @issuer as an OCSP signer. */
static X509 *
kept_responder (CradleRevocationChecker *self,
                X509                    *issuer)
{
  g_autofree char *key = cradle_revocation_cache_responder_key (issuer);
  g_autoptr(GBytes) der = NULL;
  const unsigned char *p;
  X509 *responder;

  if (g_hash_table_lookup_extended (self->responders, key, NULL, (gpointer *) &responder))
    return responder;
  der = cradle_revocation_cache_load (self->cache, key, CRADLE_OCSP_MAX_RESPONSE);
  p = der != NULL ? g_bytes_get_data (der, NULL) : NULL;
  responder = der != NULL ? d2i_X509 (NULL, &p, (long) g_bytes_get_size (der)) : NULL;
  ERR_clear_error ();
  g_hash_table_insert (self->responders, g_steal_pointer (&key), responder);
  return responder;
}

/* A kept answer, verified again as if it had just come; a damaged, foreign
 * or stale one is dropped. */
static CradleRevocationResult *
from_cache (CradleRevocationChecker *self,
            const char              *key,
            gboolean                 is_ocsp,
            const char              *url,
            const CradleLeaf         *cert,
            X509                    *issuer,
            gint64                   now)
{
  g_autoptr(GBytes) kept = cradle_revocation_cache_load (self->cache, key,
                                                          is_ocsp ? CRADLE_OCSP_MAX_RESPONSE : CRADLE_CRL_MAX_SIZE);
  g_autoptr(CradleRevocationResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (kept == NULL)
    return NULL;
  result = cradle_revocation_result_new ();
  ok = is_ocsp ? cradle_ocsp_check_response (kept, cert, issuer, kept_responder (self, issuer), NULL, now, result,
                                             &error)
               : cradle_crl_check (kept, cert, issuer, now, result, &error);
  if (!ok)
    {
      g_debug ("Dropping the kept revocation answer %s: %s", key, error->message);
      /* A kept CRL is shared by the CA's certificates: only a stale or
       * damaged one goes, not one for another CA under a colliding URL. */
      cradle_revocation_cache_forget (self->cache, key);
      return NULL;
    }
  if (result->state == CRADLE_REVOCATION_UNKNOWN)
    return NULL;
  if (!is_ocsp)
    g_hash_table_replace (self->crls, g_strdup (url), g_bytes_ref (kept));
  result->cached = TRUE;
  result->url = g_strdup (url);
  return g_steal_pointer (&result);
}

static void
keep (CradleRevocationChecker *self,
      const char              *key,
      GBytes                  *bytes,
      const CradleRevocationResult *result)
{
  g_autoptr(GError) error = NULL;

  if (result->next_update == 0)
    return;
  if (!cradle_revocation_cache_store (self->cache, key, bytes, &error))
    g_debug ("%s", error->message);
}

/* An OCSP answer is kept without the certificates it carries, the one that
 * signed it kept once per issuer beside it. */
static void
keep_ocsp (CradleRevocationChecker      *self,
           const char                   *key,
           X509                         *issuer,
           GBytes                       *response,
           const CradleRevocationResult *result)
{
  g_autoptr(GBytes) signer = NULL;
  g_autoptr(GBytes) stripped = NULL;
  g_autoptr(GError) error = NULL;

  if (result->next_update == 0)
    return;
  stripped = cradle_ocsp_strip_certs (response, &signer, &error);
  if (stripped == NULL)
    {
      g_debug ("%s", error->message);
      return;
    }
  if (signer != NULL)
    {
      g_autofree char *responder_key = cradle_revocation_cache_responder_key (issuer);
      g_autoptr(GBytes) kept = cradle_revocation_cache_load (self->cache, responder_key, CRADLE_OCSP_MAX_RESPONSE);

      if ((kept == NULL || !g_bytes_equal (kept, signer)) &&
          !cradle_revocation_cache_store (self->cache, responder_key, signer, &error))
        {
          g_debug ("%s", error->message);
          return;
        }
      g_hash_table_remove (self->responders, responder_key);
    }
  keep (self, key, stripped, result);
}

static CradleRevocationResult *
ask_ocsp (CradleRevocationChecker *self,
          const char              *url,
          const CradleLeaf         *cert,
          X509                    *issuer,
          gint64                   now,
          GString                 *reasons,
          GCancellable            *cancellable,
          GError                 **cancelled)
{
  g_autoptr(CradleRevocationResult) result = cradle_revocation_result_new ();
  g_autoptr(GBytes) nonce = NULL;
  g_autoptr(GBytes) request = NULL;
  g_autoptr(GBytes) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *serial = NULL;
  g_autofree char *key = NULL;
  BIGNUM *number;
  const char *known;
  gint64 step;

  known = g_hash_table_lookup (self->unreachable, url);
  if (known != NULL)
    {
      add_reason (reasons, "the OCSP responder at %s: %s", url, known);
      return NULL;
    }
  number = ASN1_INTEGER_to_BN (cradle_leaf_get_serial (cert), NULL);
  if (number != NULL)
    {
      char *hex = BN_bn2hex (number);

      serial = g_strdup (hex);
      OPENSSL_free (hex);
      BN_free (number);
    }
  text = g_strdup_printf ("Asking the OCSP responder at %s about serial %s", url, serial != NULL ? serial : "?");
  step = step_begin (self, "ocsp", text);
  request = cradle_ocsp_request_new (cert, issuer, &nonce, &error);
  if (request != NULL)
    response = cradle_revocation_fetch_ocsp (get_http (self), url, request, cancellable, &error);
  if (response != NULL && cradle_ocsp_check_response (response, cert, issuer, NULL, nonce, now, result, &error))
    {
      step_end (self, step, state_outcome (result->state), NULL);
      if (result->state == CRADLE_REVOCATION_UNKNOWN)
        {
          add_reason (reasons, "%s (%s)", result->detail, url);
          return NULL;
        }
      key = cradle_revocation_cache_ocsp_key (cert, issuer);
      keep_ocsp (self, key, issuer, response, result);
      result->url = g_strdup (url);
      return g_steal_pointer (&result);
    }
  step_end (self, step, g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? "cancelled" : "failed", error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (cancelled, g_steal_pointer (&error));
      return NULL;
    }
  if (is_unreachable (error))
    g_hash_table_replace (self->unreachable, g_strdup (url), g_strdup (error->message));
  add_reason (reasons, "the OCSP responder at %s: %s", url, error->message);
  return NULL;
}

/* The session, opened once for this checker; %NULL with the reason. */
static CradleDirectory *
get_directory (CradleRevocationChecker  *self,
               GCancellable             *cancellable,
               GError                  **error)
{
  if (self->directory == NULL)
    return NULL;
  if (!self->directory_tried)
    {
      self->directory_tried = TRUE;
      if (cradle_directory_get_bound_identity (self->directory) == NULL &&
          !cradle_directory_open (self->directory, cancellable, &self->directory_error))
        g_prefix_error (&self->directory_error, "the directory session could not be opened: ");
    }
  if (self->directory_error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->directory_error));
      return NULL;
    }
  return self->directory;
}

static CradleRevocationResult *
ask_crl (CradleRevocationChecker *self,
         const char              *url,
         const CradleLeaf         *cert,
         X509                    *issuer,
         gint64                   now,
         GString                 *reasons,
         GCancellable            *cancellable,
         GError                 **cancelled)
{
  g_autoptr(CradleRevocationResult) result = cradle_revocation_result_new ();
  g_autoptr(GBytes) crl = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *key = cradle_revocation_cache_crl_key (url);
  GBytes *fetched;
  const char *known;
  gboolean is_ldap = g_ascii_strncasecmp (url, "ldap:", 5) == 0;
  gint64 step;

  /* This CA's CRL, fetched for an earlier certificate of this check. */
  fetched = g_hash_table_lookup (self->crls, url);
  if (fetched != NULL)
    {
      if (cradle_crl_check (fetched, cert, issuer, now, result, &error))
        {
          result->url = g_strdup (url);
          return g_steal_pointer (&result);
        }
      add_reason (reasons, "the CRL at %s: %s", url, error->message);
      return NULL;
    }
  known = g_hash_table_lookup (self->unreachable, url);
  if (known != NULL)
    {
      add_reason (reasons, "the CRL at %s: %s", url, known);
      return NULL;
    }
  text = g_strdup_printf ("Reading the CRL at %s", url);
  step = step_begin (self, "crl", text);
  if (is_ldap)
    {
      CradleDirectory *directory = get_directory (self, cancellable, &error);

      if (directory != NULL || error == NULL)
        crl = cradle_revocation_fetch_crl (get_http (self), directory, url, cancellable, &error);
    }
  else
    crl = cradle_revocation_fetch_crl (get_http (self), NULL, url, cancellable, &error);
  if (crl != NULL && cradle_crl_check (crl, cert, issuer, now, result, &error))
    {
      step_end (self, step, state_outcome (result->state), NULL);
      g_hash_table_replace (self->crls, g_strdup (url), g_bytes_ref (crl));
      keep (self, key, crl, result);
      result->url = g_strdup (url);
      return g_steal_pointer (&result);
    }
  step_end (self, step, g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? "cancelled" : "failed", error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (cancelled, g_steal_pointer (&error));
      return NULL;
    }
  /* A server that cannot be reached, or a CRL that does not verify, is the
   * same for the CA's next certificate: asked once per check. */
  g_hash_table_replace (self->unreachable, g_strdup (url), g_strdup (error->message));
  add_reason (reasons, "the CRL at %s: %s", url, error->message);
  return NULL;
}

CradleRevocationResult *
cradle_revocation_checker_check (CradleRevocationChecker *self,
                                 const CradleLeaf         *cert,
                                 X509                    *issuer,
                                 gint64                   now,
                                 GCancellable            *cancellable,
                                 GError                 **error)
{
  g_autofree char *ocsp_url = cradle_ocsp_dup_url (cert);
  g_auto(GStrv) crl_urls = cradle_crl_dup_urls (cert);
  g_autoptr(GString) reasons = g_string_new (NULL);
  g_autoptr(GError) cancelled = NULL;
  g_autoptr(CradleRevocationResult) unknown = NULL;
  CradleRevocationResult *result = NULL;

  if (now == 0)
    now = g_get_real_time () / G_USEC_PER_SEC;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  /* Kept answers first, OCSP's then the CRLs'. */
  if (!self->refresh)
    {
      if (ocsp_url != NULL)
        {
          g_autofree char *key = cradle_revocation_cache_ocsp_key (cert, issuer);

          result = from_cache (self, key, TRUE, ocsp_url, cert, issuer, now);
        }
      for (guint i = 0; result == NULL && crl_urls[i] != NULL; i++)
        {
          g_autofree char *key = NULL;
          GBytes *fetched = g_hash_table_lookup (self->crls, crl_urls[i]);

          if (fetched != NULL)
            break;  /* asked below, from memory */
          key = cradle_revocation_cache_crl_key (crl_urls[i]);
          result = from_cache (self, key, FALSE, crl_urls[i], cert, issuer, now);
        }
      if (result != NULL)
        return result;
    }

  if (self->online && ocsp_url != NULL)
    {
      result = ask_ocsp (self, ocsp_url, cert, issuer, now, reasons, cancellable, &cancelled);
      if (result != NULL)
        return result;
      if (cancelled != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&cancelled));
          return NULL;
        }
    }
  for (guint i = 0; crl_urls[i] != NULL; i++)
    {
      if (!self->online && g_hash_table_lookup (self->crls, crl_urls[i]) == NULL)
        continue;
      result = ask_crl (self, crl_urls[i], cert, issuer, now, reasons, cancellable, &cancelled);
      if (result != NULL)
        return result;
      if (cancelled != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&cancelled));
          return NULL;
        }
    }

  unknown = cradle_revocation_result_new ();
  if (ocsp_url == NULL && crl_urls[0] == NULL)
    add_reason (reasons, "the certificate names no OCSP responder (AIA) or CRL distribution point "
                         "Cradle can read (http:// or ldap:///)");
  else if (!self->online && reasons->len == 0)
    add_reason (reasons, "no revocation answer is kept from an earlier check, and the network was not asked");
  unknown->detail = g_strdup (reasons->str);
  return g_steal_pointer (&unknown);
}
