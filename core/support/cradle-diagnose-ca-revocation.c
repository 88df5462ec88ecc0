/* cradle-diagnose-ca-revocation.c: the ca hop's CRL, OCSP and AIA checks
 *
 * crl, ocsp, aia  each address that the last certificate Cradle got from
 *                 this CA and its chain (the request database, read only
 *                 when it exists), the CA's certificates and the TLS chain
 *                 name, one fetch each with the check's deadline, through
 *                 the revocation code's own fetching and reading: an
 *                 ldap:/// CDP through the directory (DIRECTORY), OCSP with
 *                 a real request for the certificate when its issuer is
 *                 known, its answer read and verified.
 */
#include "config.h"

#include <string.h>
#include <openssl/x509v3.h>

#include "support/cradle-diagnose-ca-private.h"
#include "revocation/cradle-revocation-private.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AUTHORITY_INFO_ACCESS, AUTHORITY_INFO_ACCESS_free)

/* At most this many addresses of each kind are asked. */
#define MAX_URLS 4

/* ---- CRL, OCSP and AIA ------------------------------------------------------ */

typedef struct {
  char *url;
  CradleLeaf *leaf;     /* the certificate that names it */
  X509 *issuer;         /* (nullable) its issuer, for an OCSP request */
} Address;

static void
address_free (gpointer data)
{
  Address *address = data;

  g_free (address->url);
  g_clear_pointer (&address->leaf, cradle_leaf_free);
  g_clear_pointer (&address->issuer, X509_free);
  g_free (address);
}

static gboolean
has_url (GPtrArray  *addresses,
         const char *url)
{
  for (guint i = 0; i < addresses->len; i++)
    if (g_str_equal (((Address *) addresses->pdata[i])->url, url))
      return TRUE;
  return FALSE;
}

static void
add_address (GPtrArray  *addresses,
             char       *url,
             GBytes     *der,
             X509       *issuer)
{
  Address *address;

  if (url == NULL || addresses->len >= MAX_URLS || has_url (addresses, url))
    {
      g_free (url);
      return;
    }
  address = g_new0 (Address, 1);
  address->url = url;
  address->leaf = cradle_leaf_new_from_der (der, NULL);
  if (issuer != NULL)
    {
      X509_up_ref (issuer);
      address->issuer = issuer;
    }
  g_ptr_array_add (addresses, address);
}

static char *
dup_ca_issuers_url (X509 *x509)
{
  g_autoptr(AUTHORITY_INFO_ACCESS) info = X509_get_ext_d2i (x509, NID_info_access, NULL, NULL);

  for (int i = 0; info != NULL && i < sk_ACCESS_DESCRIPTION_num (info); i++)
    {
      ACCESS_DESCRIPTION *description = sk_ACCESS_DESCRIPTION_value (info, i);
      const char *text;
      int length;

      if (OBJ_obj2nid (description->method) != NID_ad_ca_issuers || description->location->type != GEN_URI)
        continue;
      text = (const char *) ASN1_STRING_get0_data (description->location->d.uniformResourceIdentifier);
      length = ASN1_STRING_length (description->location->d.uniformResourceIdentifier);
      if (length > 7 && length < 2048 && g_ascii_strncasecmp (text, "http://", 7) == 0 &&
          memchr (text, '\0', length) == NULL)
        return g_strndup (text, length);
    }
  return NULL;
}

static gboolean
issued_by_ca (CradleDiagnoseCaEndpoint *endpoint,
              X509                     *leaf)
{
  for (guint i = 0; i < endpoint->ca_certificates->len; i++)
    {
      g_autoptr(X509) ca = _cradle_diagnose_ca_service_dup_x509 (endpoint->ca_certificates->pdata[i]);

      if (ca != NULL && X509_check_issued (ca, leaf) == X509_V_OK)
        return TRUE;
    }
  return FALSE;
}

/* The newest certificate Cradle got from this CA (the request database,
 * read only when it exists: a diagnosis makes no state), and its chain:
 * what it issues names the CRL and OCSP addresses its users will ask. */
static void
add_issued (CradleDiagnoseCaEndpoint *endpoint,
            GPtrArray                *all)
{
  g_autofree char *folder = cradle_paths_dup_state_dir ();
  g_autofree char *path = g_build_filename (folder, "requests.sqlite", NULL);
  g_autoptr(CradlePendingStore) store = NULL;
  g_autoptr(GPtrArray) requests = NULL;

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR) ||
      (store = cradle_pending_store_open (path, NULL)) == NULL ||
      (requests = cradle_pending_store_list (store, CRADLE_PENDING_LIST_ALL, NULL)) == NULL)
    return;
  for (guint i = requests->len; i > 0; i--)
    {
      CradlePendingRequest *request = requests->pdata[i - 1];
      CradleCertificate *leaf = cradle_pending_request_get_leaf (request);
      GPtrArray *chain = cradle_pending_request_get_chain (request);
      X509 *x509;

      if (leaf == NULL || (x509 = _cradle_diagnose_ca_service_dup_x509 (leaf)) == NULL)
        continue;
      if (!issued_by_ca (endpoint, x509) &&
          g_strcmp0 (cradle_pending_request_get_endpoint (request), endpoint->url) != 0)
        {
          X509_free (x509);
          continue;
        }
      g_ptr_array_add (all, x509);
      endpoint->issued_request = cradle_pending_request_get_id (request);
      for (guint j = 0; chain != NULL && j < chain->len; j++)
        if ((x509 = _cradle_diagnose_ca_service_dup_x509 (chain->pdata[j])) != NULL)
          g_ptr_array_add (all, x509);
      return;
    }
}

/* Every certificate to read addresses from: the last one Cradle got from
 * this CA and its chain, the CA's, then the TLS chain. */
static GPtrArray *
dup_certificates (CradleDiagnoseCaEndpoint *endpoint)
{
  GPtrArray *all = g_ptr_array_new_with_free_func ((GDestroyNotify) X509_free);

  add_issued (endpoint, all);
  for (guint i = 0; i < endpoint->ca_certificates->len; i++)
    {
      X509 *x509 = _cradle_diagnose_ca_service_dup_x509 (endpoint->ca_certificates->pdata[i]);

      if (x509 != NULL)
        g_ptr_array_add (all, x509);
    }
  for (guint i = 0; endpoint->tls_chain != NULL && i < endpoint->tls_chain->len; i++)
    {
      X509_up_ref (endpoint->tls_chain->pdata[i]);
      g_ptr_array_add (all, endpoint->tls_chain->pdata[i]);
    }
  return all;
}

static X509 *
find_issuer (GPtrArray *certificates,
             X509      *x509)
{
  for (guint i = 0; i < certificates->len; i++)
    if (certificates->pdata[i] != x509 && X509_check_issued (certificates->pdata[i], x509) == X509_V_OK)
      return certificates->pdata[i];
  return NULL;
}

static void
collect (CradleDiagnoseCaEndpoint *endpoint,
         GPtrArray                *crls,
         GPtrArray                *ocsps,
         GPtrArray                *aias)
{
  g_autoptr(GPtrArray) certificates = dup_certificates (endpoint);

  for (guint i = 0; i < certificates->len; i++)
    {
      X509 *x509 = certificates->pdata[i];
      unsigned char *der = NULL;
      int length = i2d_X509 (x509, &der);
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(CradleLeaf) leaf = NULL;
      X509 *issuer = find_issuer (certificates, x509);

      if (length <= 0)
        continue;
      bytes = g_bytes_new (der, length);
      OPENSSL_free (der);
      leaf = cradle_leaf_new_from_der (bytes, NULL);
      if (leaf != NULL)
        {
          g_auto(GStrv) urls = cradle_crl_dup_urls (leaf);

          for (guint j = 0; urls != NULL && urls[j] != NULL; j++)
            add_address (crls, g_strdup (urls[j]), bytes, issuer);
          add_address (ocsps, cradle_ocsp_dup_url (leaf), bytes, issuer);
        }
      add_address (aias, dup_ca_issuers_url (x509), bytes, issuer);
    }
}

static CradleHttp *
new_http (CradleDiagnoseCaEndpoint *endpoint)
{
  CradleHttp *http = cradle_http_new ();

  /* As the revocation checker: CRLs, OCSP answers and AIA certificates are
   * signed, and served over plain HTTP. */
  cradle_http_set_allow_plain_http (http, TRUE);
  cradle_http_set_timeout (http, _cradle_diagnose_ca_service_timeout_seconds (endpoint));
  return http;
}

/* One fetch: a line of @found; FALSE (and @error when none yet) when it failed. */
/* A fetch of @url (escaped) got no answer: says so in @found ("@label
 * @url: not reachable: why.") and, when @error is not set yet, sets it to
 * "@subject @url @failed (why): @effect.", explained by the transport's
 * cause ("no answer in time" once @deadline has passed). */
static void
note_no_answer (GString                *found,
                const char             *label,
                const char             *url,
                CradleDiagnoseDeadline *deadline,
                const GError           *local_error,
                const char             *subject,
                const char             *failed,
                const char             *effect,
                GError                **error)
{
  gboolean expired = _cradle_diagnose_deadline_expired (deadline);
  CradleExplainKind kind = CRADLE_EXPLAIN_TRANSPORT;
  guint32 cause = expired ? CRADLE_TRANSPORT_FAILURE_TIMED_OUT : CRADLE_TRANSPORT_FAILURE_CONNECTION_REFUSED;
  g_autofree char *why = cradle_text_escape (expired ? "no answer in time" : local_error->message, -1,
                                             CRADLE_TEXT_ESCAPE_DEFAULT);

  if (local_error != NULL)
    cradle_explain_get_detail (local_error, &kind, &cause);
  g_string_append_printf (found, "%s%s %s: not reachable: %s.", found->len > 0 ? "\n" : "", label, url, why);
  if (error != NULL && *error == NULL)
    cradle_explain_set_error (error, CRADLE_ERROR_UNREACHABLE, kind, cause, "%s %s %s (%s): %s.",
                              subject, url, failed, why, effect);
}

static gboolean
fetch_crl (CradleDiagnoseCaEndpoint *endpoint,
           Address                  *address,
           CradleDirectory          *directory,
           GString                  *found,
           GError                  **error)
{
  g_autoptr(CradleHttp) http = new_http (endpoint);
  g_autoptr(CradleDiagnoseDeadline) deadline = _cradle_diagnose_deadline_new (endpoint->cancellable,
                                                                              endpoint->timeout_ms);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(X509_CRL) crl = NULL;
  g_autofree char *url = cradle_text_escape (address->url, -1, CRADLE_TEXT_ESCAPE_DEFAULT);
  const unsigned char *data;
  gsize size = 0;

  bytes = cradle_revocation_fetch_crl (http, directory, address->url,
                                       _cradle_diagnose_deadline_get_cancellable (deadline), &local_error);
  if (bytes == NULL)
    {
      note_no_answer (found, "CRL", url, deadline, local_error, "The CRL at", "cannot be fetched",
                      "whoever checks revocation of this CA's certificates (802.1X, VPN) may refuse them",
                      error);
      return FALSE;
    }
  data = g_bytes_get_data (bytes, &size);
  crl = d2i_X509_CRL (NULL, &data, (long) size);
  if (crl == NULL)
    {
      g_string_append_printf (found, "%sCRL %s: the answer (%" G_GSIZE_FORMAT " bytes) is not a CRL.",
                              found->len > 0 ? "\n" : "", url, size);
      if (error != NULL && *error == NULL)
        cradle_explain_set_error (error, CRADLE_ERROR_INVALID_DATA, CRADLE_EXPLAIN_TRANSPORT,
                                  CRADLE_TRANSPORT_FAILURE_BAD_RESPONSE,
                                  "The CRL address %s does not give a CRL.", url);
      return FALSE;
    }
  if (X509_CRL_get0_nextUpdate (crl) != NULL && X509_cmp_current_time (X509_CRL_get0_nextUpdate (crl)) < 0)
    {
      g_string_append_printf (found, "%sCRL %s: fetched, but out of date (its next update has passed).",
                              found->len > 0 ? "\n" : "", url);
      if (error != NULL && *error == NULL)
        cradle_explain_set_error (error, CRADLE_ERROR_INVALID_DATA, CRADLE_EXPLAIN_CERTIFICATE,
                                  CRADLE_CERTIFICATE_PROBLEM_CRL_OUT_OF_DATE,
                                  "The CRL at %s is out of date: the CA no longer publishes it. Services "
                                  "that check revocation will refuse this CA's certificates.", url);
      return FALSE;
    }
  g_string_append_printf (found, "%sCRL %s: fetched (%" G_GSIZE_FORMAT " bytes, %d entries), current.",
                          found->len > 0 ? "\n" : "", url, size, sk_X509_REVOKED_num (X509_CRL_get_REVOKED (crl)));
  return TRUE;
}

static gboolean
fetch_ocsp (CradleDiagnoseCaEndpoint *endpoint,
            Address                  *address,
            GString                  *found,
            GError                  **error)
{
  g_autoptr(CradleHttp) http = new_http (endpoint);
  g_autoptr(CradleDiagnoseDeadline) deadline = _cradle_diagnose_deadline_new (endpoint->cancellable,
                                                                              endpoint->timeout_ms);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GBytes) request = NULL;
  g_autoptr(GBytes) nonce = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autofree char *url = cradle_text_escape (address->url, -1, CRADLE_TEXT_ESCAPE_DEFAULT);
  const char *sep = found->len > 0 ? "\n" : "";

  if (address->leaf == NULL || address->issuer == NULL ||
      (request = cradle_ocsp_request_new (address->leaf, address->issuer, &nonce, NULL)) == NULL)
    {
      /* No issuer to name the certificate by: the responder answers at all. */
      CradleHttpRequest message = { .method = "GET", .url = address->url };
      g_autoptr(CradleHttpResponse) response = NULL;

      cradle_http_set_max_response_size (http, CRADLE_OCSP_MAX_RESPONSE);
      response = cradle_http_send (http, &message, _cradle_diagnose_deadline_get_cancellable (deadline),
                                   &local_error);
      if (response != NULL)
        {
          g_string_append_printf (found, "%sOCSP %s: the responder answers (HTTP %u).", sep, url, response->status);
          return TRUE;
        }
    }
  else
    {
      answer = cradle_revocation_fetch_ocsp (http, address->url, request,
                                             _cradle_diagnose_deadline_get_cancellable (deadline), &local_error);
      if (answer != NULL)
        {
          g_autoptr(CradleRevocationResult) result = cradle_revocation_result_new ();
          g_autoptr(GError) check_error = NULL;

          if (cradle_ocsp_check_response (answer, address->leaf, address->issuer, NULL, nonce,
                                          g_get_real_time () / G_USEC_PER_SEC, result, &check_error))
            {
              g_string_append_printf (found, "%sOCSP %s: answered, signed and current (%s).", sep, url,
                                      cradle_revocation_state_to_string (result->state));
              return TRUE;
            }
          {
            g_autofree char *why = cradle_text_escape (check_error->message, -1, CRADLE_TEXT_ESCAPE_DEFAULT);

            g_string_append_printf (found, "%sOCSP %s: answered, but the answer does not hold: %s.", sep, url, why);
            if (error != NULL && *error == NULL)
              cradle_explain_set_error (error, CRADLE_ERROR_INVALID_DATA, CRADLE_EXPLAIN_TRANSPORT,
                                        CRADLE_TRANSPORT_FAILURE_BAD_RESPONSE,
                                        "The OCSP responder at %s answers, but not with a valid answer (%s).",
                                        url, why);
            return FALSE;
          }
        }
    }
  note_no_answer (found, "OCSP", url, deadline, local_error, "The OCSP responder at", "cannot be reached",
                  "whoever checks revocation of this CA's certificates may refuse them", error);
  return FALSE;
}

static gboolean
fetch_aia (CradleDiagnoseCaEndpoint *endpoint,
           Address                  *address,
           GString                  *found,
           GError                  **error)
{
  g_autoptr(CradleHttp) http = new_http (endpoint);
  g_autoptr(CradleDiagnoseDeadline) deadline = _cradle_diagnose_deadline_new (endpoint->cancellable,
                                                                              endpoint->timeout_ms);
  CradleHttpRequest message = { .method = "GET", .url = address->url };
  g_autoptr(CradleHttpResponse) response = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *url = cradle_text_escape (address->url, -1, CRADLE_TEXT_ESCAPE_DEFAULT);
  const char *sep = found->len > 0 ? "\n" : "";

  cradle_http_set_max_response_size (http, 1024 * 1024);
  response = cradle_http_send (http, &message, _cradle_diagnose_deadline_get_cancellable (deadline), &local_error);
  if (response != NULL && response->status == 200)
    {
      g_string_append_printf (found, "%sCA certificate %s: fetched (%" G_GSIZE_FORMAT " bytes).", sep, url,
                              g_bytes_get_size (response->body));
      return TRUE;
    }
  if (response != NULL)
    {
      g_string_append_printf (found, "%sCA certificate %s: HTTP %u.", sep, url, response->status);
      if (error != NULL && *error == NULL)
        cradle_explain_set_error (error, CRADLE_ERROR_UNREACHABLE, CRADLE_EXPLAIN_HTTP_STATUS, response->status,
                                  "The CA certificate at %s (AIA) gives HTTP %u.", url, response->status);
      return FALSE;
    }
  note_no_answer (found, "CA certificate", url, deadline, local_error, "The CA certificate at",
                  "(AIA) cannot be fetched", "clients that build the chain from it will fail", error);
  return FALSE;
}

typedef enum { KIND_CRL, KIND_OCSP, KIND_AIA } AddressKind;

static void
check_addresses (CradleDiagnoseCaEndpoint *endpoint,
                 GPtrArray                *addresses,
                 AddressKind               kind,
                 CradleDirectory          *directory)
{
  static const struct { const char *name; const char *title; const char *none; CradleCheckVerdict failure; } kinds[] = {
    [KIND_CRL] = { "crl", "CRL reachable", "CRL distribution point", CRADLE_CHECK_FAILED },
    [KIND_OCSP] = { "ocsp", "OCSP reachable", "OCSP responder", CRADLE_CHECK_FAILED },
    [KIND_AIA] = { "aia", "CA certificate address (AIA) reachable", "CA issuers address", CRADLE_CHECK_WARNING },
  };
  g_autoptr(GString) found = g_string_new (NULL);
  gint64 started = g_get_monotonic_time ();
  gboolean all = TRUE;
  GError *error = NULL;

  if (addresses->len == 0)
    {
      if (endpoint->issued_request > 0)
        _cradle_diagnose_ca_report (endpoint, kinds[kind].name, kinds[kind].title, CRADLE_CHECK_SKIPPED, 0, NULL,
                                    "skipped: the certificate Cradle got from this CA (request %" G_GINT64_FORMAT
                                    "), its chain, the CA's certificates and the TLS chain name no %s.",
                                    endpoint->issued_request, kinds[kind].none);
      else
        _cradle_diagnose_ca_report (endpoint, kinds[kind].name, kinds[kind].title, CRADLE_CHECK_SKIPPED, 0, NULL,
                                    "skipped: the CA's certificates and the TLS chain name no %s, and Cradle has "
                                    "no certificate from this CA yet to read one from.", kinds[kind].none);
      return;
    }
  if (endpoint->issued_request > 0 && kind != KIND_AIA)
    g_string_append_printf (found, "From the certificate Cradle got for request %" G_GINT64_FORMAT
                            ", the CA's certificates and the TLS chain:", endpoint->issued_request);
  for (guint i = 0; i < addresses->len; i++)
    {
      Address *address = addresses->pdata[i];
      gboolean ok;

      if (g_cancellable_is_cancelled (endpoint->cancellable))
        break;
      if (kind == KIND_CRL)
        ok = fetch_crl (endpoint, address, directory, found, &error);
      else if (kind == KIND_OCSP)
        ok = fetch_ocsp (endpoint, address, found, &error);
      else
        ok = fetch_aia (endpoint, address, found, &error);
      all = all && ok;
    }
  _cradle_diagnose_ca_report (endpoint, kinds[kind].name, kinds[kind].title, all ? CRADLE_CHECK_OK : kinds[kind].failure,
                              started, all ? NULL : error, "%s", found->str);
  if (all)
    g_clear_error (&error);
}

static gboolean
has_ldap (GPtrArray *addresses)
{
  for (guint i = 0; i < addresses->len; i++)
    if (g_ascii_strncasecmp (((Address *) addresses->pdata[i])->url, "ldap:", 5) == 0)
      return TRUE;
  return FALSE;
}

void
_cradle_diagnose_ca_revocation (CradleDiagnoseCaEndpoint *endpoint)
{
  g_autoptr(GPtrArray) crls = g_ptr_array_new_with_free_func (address_free);
  g_autoptr(GPtrArray) ocsps = g_ptr_array_new_with_free_func (address_free);
  g_autoptr(GPtrArray) aias = g_ptr_array_new_with_free_func (address_free);
  g_autoptr(CradleDirectory) directory = NULL;

  /* The CRL and OCSP servers are not the CA's front-end: they are asked
   * whatever happened to it, from the addresses known. */
  _cradle_diagnose_ca_service_add_directory_certificate (endpoint);
  collect (endpoint, crls, ocsps, aias);
  if (has_ldap (crls))
    directory = _cradle_diagnosis_run_wait (endpoint->run, CRADLE_DIAGNOSIS_FACT_DIRECTORY, NULL);
  check_addresses (endpoint, crls, KIND_CRL, directory);
  check_addresses (endpoint, ocsps, KIND_OCSP, NULL);
  check_addresses (endpoint, aias, KIND_AIA, NULL);
}
