/* cradle-diagnose-kerberos.c: the kerberos hop of a diagnosis
 *
 * Checks, in order:
 *   ticket             the ticket-granting ticket in the run's credential
 *                      cache (the credentials' cache, else the default):
 *                      failed when there is none or it expired, a warning
 *                      when it ends within the hour (a sign-in that is not
 *                      renewed; an enrollment waiting on a CA may outlast it)
 *   service-ticket-dc  a ticket for ldap/<the DC's host> (fact DC_HOST)
 *   service-ticket-ca  a ticket for HTTP/<host> of each CA: the host of the
 *                      type's URL (fact TYPE), or without a type the hosts
 *                      of the catalog's enrollment services (fact CATALOG)
 *   enctypes           the session keys' encryption types of all of those:
 *                      a warning for DES and RC4
 *
 * A service ticket the cache holds is used as it is (no network), as a bind
 * would; otherwise the KDC is asked, with the check's deadline, and its
 * ticket is kept nowhere (cradle_krb5_peek_service_ticket()).  Nothing of a
 * ticket leaves this file but names, times and encryption types.
 *
 * Credentials with a password have no cache to check (the directory and the
 * CA sign in afresh each time), and none has no Kerberos at all: the checks
 * are skipped, saying so.
 */
#include "config.h"

#include "kerberos/cradle-krb5-private.h"
#include "support/cradle-diagnosis-private.h"

#define HOP CRADLE_HOP_KERBEROS
/* Less than this left of the ticket-granting ticket is a warning. */
#define TICKET_WARNING_SECONDS 3600

/* One ticket's enctypes, for the last check. */
typedef struct {
  char   *name;       /* escaped */
  gint32  session_enctype;
  gint32  ticket_enctype;   /* 0: not known */
} Enctypes;

static void
enctypes_free (gpointer data)
{
  Enctypes *enctypes = data;

  g_free (enctypes->name);
  g_free (enctypes);
}

static void
add_enctypes (GPtrArray                  *all,
              const char                 *escaped_name,
              const CradleKrb5TicketInfo *info)
{
  Enctypes *enctypes = g_new0 (Enctypes, 1);

  enctypes->name = g_strdup (escaped_name);
  enctypes->session_enctype = info->session_enctype;
  enctypes->ticket_enctype = info->ticket_enctype;
  g_ptr_array_add (all, enctypes);
}

static guint
timeout_seconds (CradleDiagnosisRun *run)
{
  return MAX (1, (_cradle_diagnosis_run_get_timeout_ms (run) + 999) / 1000);
}

static char *
escape (const char *text)
{
  return cradle_text_escape (text != NULL ? text : "", -1, CRADLE_TEXT_ESCAPE_DEFAULT);
}

/* "2026-12-07 06:40:57 UTC" in local time. */
static char *
dup_time (gint64 when)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (when);

  return time != NULL ? g_date_time_format (time, "%Y-%m-%d %H:%M:%S %Z") : g_strdup ("?");
}

/* "9 h 53 min", "35 min", "40 s". */
static char *
dup_span (gint64 seconds)
{
  if (seconds >= 3600)
    return g_strdup_printf ("%" G_GINT64_FORMAT " h %" G_GINT64_FORMAT " min",
                            seconds / 3600, seconds % 3600 / 60);
  if (seconds >= 60)
    return g_strdup_printf ("%" G_GINT64_FORMAT " min", seconds / 60);
  return g_strdup_printf ("%" G_GINT64_FORMAT " s", MAX (seconds, 0));
}

/* "valid until …, from the cache; session key aes256-…; ticket aes256-…". */
static char *
describe_ticket (const CradleKrb5TicketInfo *info)
{
  g_autofree char *until = dup_time (info->endtime);
  g_autofree char *session = cradle_krb5_dup_enctype_name (info->session_enctype);
  g_autofree char *ticket = info->ticket_enctype != 0
                              ? cradle_krb5_dup_enctype_name (info->ticket_enctype)
                              : NULL;

  return g_strdup_printf ("valid until %s, %s; session key %s%s%s", until,
                          info->from_kdc ? "from the KDC now (not stored)" : "from the cache",
                          session, ticket != NULL ? ", ticket " : "", ticket != NULL ? ticket : "");
}

static void
skip (CradleDiagnosisRun *run,
      const char         *name,
      const char         *title,
      const char         *why)
{
  _cradle_diagnosis_run_report (run, HOP, name, title, CRADLE_CHECK_SKIPPED, 0, NULL, "skipped: %s", why);
}

#define TITLE_TICKET "Kerberos ticket"
#define TITLE_DC "Service ticket for the domain controller"
#define TITLE_CA "Service tickets for the CA"
#define TITLE_ENCTYPES "Encryption types"

/* The ticket-granting ticket.  Returns: whether there is a valid one. */
static gboolean
check_ticket (CradleDiagnosisRun   *run,
              const char           *ccache_name,
              CradleKrb5TicketInfo *tgt,
              char                **principal_out)
{
  gint64 start = g_get_monotonic_time ();
  g_autoptr(GError) error = NULL;
  g_autofree char *principal = NULL;
  g_autofree char *ccache = NULL;
  g_autofree char *escaped_principal = NULL;
  g_autofree char *escaped_ccache = NULL;
  g_autofree char *from = NULL;
  g_autofree char *until = NULL;
  g_autofree char *left = NULL;
  g_autofree char *renew = NULL;
  CradleCheckVerdict verdict;
  gint64 now;

  if (!cradle_krb5_inspect_ccache (ccache_name, &principal, &ccache, tgt, &error))
    {
      escaped_ccache = escape (ccache != NULL ? ccache : ccache_name != NULL ? ccache_name : "the default cache");
      _cradle_diagnosis_run_report (run, HOP, "ticket", TITLE_TICKET, CRADLE_CHECK_FAILED,
                                    g_get_monotonic_time () - start, g_steal_pointer (&error),
                                    "no valid ticket-granting ticket in %s", escaped_ccache);
      return FALSE;
    }

  now = g_get_real_time () / G_USEC_PER_SEC;
  escaped_principal = escape (principal);
  escaped_ccache = escape (ccache);
  from = dup_time (tgt->starttime != 0 ? tgt->starttime : tgt->authtime);
  until = dup_time (tgt->endtime);
  left = dup_span (tgt->endtime - now);
  if (tgt->renew_till > tgt->endtime)
    {
      g_autofree char *renew_until = dup_time (tgt->renew_till);

      renew = g_strdup_printf ("; renewable until %s", renew_until);
    }
  /* Decided before the report: its arguments are evaluated in no set order. */
  verdict = tgt->endtime - now < TICKET_WARNING_SECONDS ? CRADLE_CHECK_WARNING : CRADLE_CHECK_OK;
  if (verdict == CRADLE_CHECK_WARNING)
    g_set_error (&error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED,
                 "Your Kerberos ticket for %s ends at %s, in %s: an enrollment that takes "
                 "longer, or waits for a CA manager, will need a new sign-in. Sign in again "
                 "(lock and unlock your session, or run kinit) first.",
                 principal, until, left);
  _cradle_diagnosis_run_report (run, HOP, "ticket", TITLE_TICKET, verdict,
                                g_get_monotonic_time () - start, g_steal_pointer (&error),
                                "%s in %s\nvalid from %s until %s (%s left)%s",
                                escaped_principal, escaped_ccache, from, until, left,
                                renew != NULL ? renew : "");
  *principal_out = g_steal_pointer (&principal);
  return TRUE;
}

/* One ticket for @service/@host: a line of what was found, or an error. */
static gboolean
peek (CradleDiagnosisRun  *run,
      const char          *ccache_name,
      const char          *service,
      const char          *host,
      GPtrArray           *enctypes,
      GString             *found,
      GError             **error)
{
  g_autofree char *escaped_host = escape (host);
  g_autofree char *name = g_strdup_printf ("%s/%s", service, escaped_host);
  CradleKrb5TicketInfo info = { 0 };

  if (found->len > 0)
    g_string_append_c (found, '\n');
  if (!cradle_krb5_peek_service_ticket (ccache_name, service, host, timeout_seconds (run),
                                        &info, error))
    {
      g_string_append_printf (found, "%s: no ticket", name);
      return FALSE;
    }
  g_autofree char *description = describe_ticket (&info);
  g_string_append_printf (found, "%s: %s", name, description);
  add_enctypes (enctypes, name, &info);
  return TRUE;
}

static void
check_dc (CradleDiagnosisRun *run,
          const char         *ccache_name,
          GPtrArray          *enctypes)
{
  g_autofree char *reason = NULL;
  g_autofree char *dc_host = _cradle_diagnosis_run_wait (run, CRADLE_DIAGNOSIS_FACT_DC_HOST, &reason);
  g_autoptr(GString) found = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  gint64 start;
  gboolean ok;

  if (dc_host == NULL)
    {
      skip (run, "service-ticket-dc", TITLE_DC, reason);
      return;
    }
  start = g_get_monotonic_time ();
  ok = peek (run, ccache_name, "ldap", dc_host, enctypes, found, &error);
  _cradle_diagnosis_run_report (run, HOP, "service-ticket-dc", TITLE_DC,
                                ok ? CRADLE_CHECK_OK : CRADLE_CHECK_FAILED,
                                g_get_monotonic_time () - start, g_steal_pointer (&error),
                                "%s", found->str);
}

static void
add_host_of (GPtrArray  *hosts,
             const char *url)
{
  g_autoptr(GUri) uri = url != NULL ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;
  const char *host = uri != NULL ? g_uri_get_host (uri) : NULL;

  if (host == NULL || host[0] == '\0')
    return;
  for (guint i = 0; i < hosts->len; i++)
    if (g_ascii_strcasecmp (hosts->pdata[i], host) == 0)
      return;
  g_ptr_array_add (hosts, g_ascii_strdown (host, -1));
}

/* The CA hosts Kerberos signs in to.  Returns: %NULL with @why when the
 * check is skipped */
static GPtrArray *
dup_ca_hosts (CradleDiagnosisRun  *run,
              char               **why)
{
  g_autoptr(GPtrArray) hosts = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *reason = NULL;

  if (_cradle_diagnosis_run_get_type_name (run) != NULL)
    {
      g_autoptr(CradleCertType) type = _cradle_diagnosis_run_wait (run, CRADLE_DIAGNOSIS_FACT_TYPE, &reason);

      if (type == NULL)
        {
          *why = g_steal_pointer (&reason);
          return NULL;
        }
      if (cradle_cert_type_get_auth (type) != CRADLE_CREDENTIALS_KERBEROS)
        {
          *why = g_strdup_printf ("the certificate type signs in to its CA with %s, not Kerberos",
                                  cradle_credentials_kind_to_string (cradle_cert_type_get_auth (type)));
          return NULL;
        }
      add_host_of (hosts, cradle_cert_type_get_url (type));
      add_host_of (hosts, cradle_cert_type_get_policy_url (type));
      if (hosts->len == 0)
        *why = g_strdup ("the certificate type names no CA address");
    }
  else
    {
      g_autoptr(CradleCatalog) catalog = _cradle_diagnosis_run_wait (run, CRADLE_DIAGNOSIS_FACT_CATALOG, &reason);
      GPtrArray *services;

      if (catalog == NULL)
        {
          *why = g_steal_pointer (&reason);
          return NULL;
        }
      services = cradle_catalog_get_services (catalog);
      for (guint i = 0; i < services->len; i++)
        {
          CradleEnrollmentService *service = services->pdata[i];
          const char *host = cradle_enrollment_service_get_host (service);
          g_autofree char *url = host != NULL ? g_strdup_printf ("https://%s/", host) : NULL;

          /* The CA's own host (certsrv), then its web services that take Kerberos. */
          add_host_of (hosts, url);
          for (guint j = 0; j < cradle_enrollment_service_get_n_endpoints (service); j++)
            if ((cradle_enrollment_service_get_endpoint_auth (service, j) & CRADLE_ENDPOINT_AUTH_KERBEROS) != 0)
              add_host_of (hosts, cradle_enrollment_service_get_endpoint_uri (service, j));
        }
      if (hosts->len == 0)
        *why = g_strdup ("the directory lists no enrollment service (see Directory)");
    }
  return hosts->len > 0 ? g_steal_pointer (&hosts) : NULL;
}

static void
check_ca (CradleDiagnosisRun *run,
          const char         *ccache_name,
          GPtrArray          *enctypes)
{
  g_autofree char *why = NULL;
  g_autoptr(GPtrArray) hosts = dup_ca_hosts (run, &why);
  g_autoptr(GString) found = g_string_new (NULL);
  g_autoptr(GError) first_error = NULL;
  guint failed = 0;
  gint64 start;

  if (hosts == NULL)
    {
      skip (run, "service-ticket-ca", TITLE_CA, why);
      return;
    }
  start = g_get_monotonic_time ();
  for (guint i = 0; i < hosts->len; i++)
    {
      g_autoptr(GError) error = NULL;

      if (!peek (run, ccache_name, "HTTP", hosts->pdata[i], enctypes, found, &error))
        {
          failed++;
          if (first_error == NULL)
            first_error = g_steal_pointer (&error);
        }
    }
  if (failed > 0 && hosts->len > 1)
    g_prefix_error (&first_error, "%u of %u CA hosts: ", failed, hosts->len);
  _cradle_diagnosis_run_report (run, HOP, "service-ticket-ca", TITLE_CA,
                                failed > 0 ? CRADLE_CHECK_FAILED : CRADLE_CHECK_OK,
                                g_get_monotonic_time () - start, g_steal_pointer (&first_error),
                                "%s", found->str);
}

static void
check_enctypes (CradleDiagnosisRun *run,
                GPtrArray          *enctypes)
{
  g_autoptr(GString) found = g_string_new (NULL);
  g_autoptr(GString) weak = g_string_new (NULL);
  gint64 start = g_get_monotonic_time ();
  GError *error = NULL;

  for (guint i = 0; i < enctypes->len; i++)
    {
      Enctypes *entry = enctypes->pdata[i];
      g_autofree char *session = cradle_krb5_dup_enctype_name (entry->session_enctype);
      g_autofree char *ticket = entry->ticket_enctype != 0
                                  ? cradle_krb5_dup_enctype_name (entry->ticket_enctype)
                                  : NULL;

      if (found->len > 0)
        g_string_append_c (found, '\n');
      g_string_append_printf (found, "%s: session key %s", entry->name, session);
      if (ticket != NULL)
        {
          /* The service's own key: what its account allows; the session
           * key is what protects this computer's traffic. */
          g_string_append_printf (found, ", ticket %s", ticket);
          if (cradle_krb5_enctype_is_weak (entry->ticket_enctype))
            g_string_append (found, " (the service account has no AES key: worth fixing, "
                                    "not what fails here)");
        }
      if (cradle_krb5_enctype_is_weak (entry->session_enctype))
        g_string_append_printf (weak, "%s%s (%s)", weak->len > 0 ? ", " : "", entry->name, session);
    }
  if (weak->len > 0)
    error = g_error_new (CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                         "Kerberos protects the session with a broken or deprecated encryption "
                         "type for %s. Domain controllers with current updates refuse DES and "
                         "RC4: ask your administrator to allow AES for your account and these "
                         "services (msDS-SupportedEncryptionTypes).",
                         weak->str);
  _cradle_diagnosis_run_report (run, HOP, "enctypes", TITLE_ENCTYPES,
                                error != NULL ? CRADLE_CHECK_WARNING : CRADLE_CHECK_OK,
                                g_get_monotonic_time () - start, error, "%s", found->str);
}

void
_cradle_diagnose_kerberos (CradleDiagnosisRun *run,
                           GCancellable       *cancellable)
{
  CradleCredentials *credentials = _cradle_diagnosis_run_get_credentials (run);
  const char *ccache_name = cradle_credentials_get_ccache_name (credentials);
  g_autoptr(GPtrArray) enctypes = g_ptr_array_new_with_free_func (enctypes_free);
  g_autofree char *principal = NULL;
  g_autofree char *tgs_name = NULL;
  g_autofree char *why = NULL;
  CradleKrb5TicketInfo tgt = { 0 };

  switch (cradle_credentials_get_kind (credentials))
    {
    case CRADLE_CREDENTIALS_KERBEROS:
      break;
    case CRADLE_CREDENTIALS_PASSWORD:
      why = g_strdup ("Cradle signs in with a password, and gets a fresh ticket at each sign-in "
                      "(see Directory)");
      break;
    case CRADLE_CREDENTIALS_NONE:
    default:
      why = g_strdup ("Cradle signs in without Kerberos");
      break;
    }
  if (why == NULL && !check_ticket (run, ccache_name, &tgt, &principal))
    why = g_strdup ("there is no valid Kerberos ticket (see Kerberos ticket)");
  if (why != NULL)
    {
      if (cradle_credentials_get_kind (credentials) != CRADLE_CREDENTIALS_KERBEROS)
        skip (run, "ticket", TITLE_TICKET, why);
      skip (run, "service-ticket-dc", TITLE_DC, why);
      skip (run, "service-ticket-ca", TITLE_CA, why);
      skip (run, "enctypes", TITLE_ENCTYPES, why);
      return;
    }
  {
    const char *at = strrchr (principal, '@');
    g_autofree char *realm = escape (at != NULL ? at + 1 : "");

    tgs_name = g_strdup_printf ("krbtgt/%s", realm);
    add_enctypes (enctypes, tgs_name, &tgt);
  }

  if (g_cancellable_is_cancelled (cancellable))
    why = g_strdup ("the checks were cancelled");
  if (why == NULL)
    check_dc (run, ccache_name, enctypes);
  else
    skip (run, "service-ticket-dc", TITLE_DC, why);
  if (why == NULL && g_cancellable_is_cancelled (cancellable))
    why = g_strdup ("the checks were cancelled");
  if (why == NULL)
    check_ca (run, ccache_name, enctypes);
  else
    skip (run, "service-ticket-ca", TITLE_CA, why);
  check_enctypes (run, enctypes);
}
