/* cradle-diagnose-clock.c: the clock hop of a diagnosis
 *
 * Checks, in order:
 *   skew-kdc  this computer's clock against the KDC's: the time in the
 *             KRB-ERROR a KDC answers a request without pre-authentication
 *             with (cradle_krb5_read_kdc_time()).  Why that answer: its
 *             stime is a field every KRB-ERROR carries, in the clear; the
 *             KDC sends it whatever this computer's clock says (it checks
 *             the client's time only in pre-authentication and in
 *             authenticators), so it still reads a clock that is hours
 *             off; it needs no ticket and no password and counts no failed
 *             sign-in.  A fresh service ticket would not do: its authtime
 *             is the sign-in's, its starttime is optional and, with the
 *             clock off by more than the tolerance, the KDC refuses to
 *             issue it at all.  Samba's KDC (Heimdal) answers
 *             KDC_ERR_PREAUTH_REQUIRED with stime and susec.
 *   skew-dc   against the domain controller's: the RootDSE's currentTime,
 *             read anonymously over LDAP (as any client may, and as the
 *             directory hop's bind could not when the clock is off).
 *
 * More than a minute apart is a warning; more than five minutes, failed:
 * Kerberos refuses tickets past the KDC's tolerance (Active Directory's
 * "Maximum tolerance for computer clock synchronization", 5 minutes by
 * default, as libkrb5's clockskew), which a client cannot read, so the
 * default is what counts.  Both carry the error table's KRB5KRB_AP_ERR_SKEW.
 */
#include "config.h"

#include "directory/cradle-ldap-private.h"
#include "directory/cradle-ldap-entry-private.h"
#include "kerberos/cradle-krb5-private.h"
#include "support/cradle-diagnosis-private.h"

#define HOP CRADLE_HOP_CLOCK
#define WARNING_SKEW_SECONDS 60
#define FAILED_SKEW_SECONDS 300

#define TITLE_KDC "Clock against the KDC"
#define TITLE_DC "Clock against the domain controller"

static guint
timeout_seconds (CradleDiagnosisRun *run)
{
  return MAX (1, (_cradle_diagnosis_run_get_timeout_ms (run) + 999) / 1000);
}

/* "10 min 3 s ahead of", "2.4 s behind", "in step with". */
static char *
dup_skew (gint64 skew_us)
{
  gint64 magnitude = ABS (skew_us);
  const char *direction = skew_us > 0 ? "ahead of" : "behind";
  gint64 seconds = (magnitude + G_USEC_PER_SEC / 2) / G_USEC_PER_SEC;

  if (magnitude < G_USEC_PER_SEC / 2)
    return g_strdup ("in step with");
  if (seconds >= 3600)
    return g_strdup_printf ("%" G_GINT64_FORMAT " h %" G_GINT64_FORMAT " min %s",
                            seconds / 3600, seconds % 3600 / 60, direction);
  if (seconds >= 60)
    return g_strdup_printf ("%" G_GINT64_FORMAT " min %" G_GINT64_FORMAT " s %s",
                            seconds / 60, seconds % 60, direction);
  return g_strdup_printf ("%.1f s %s", (double) magnitude / G_USEC_PER_SEC, direction);
}

/* Reports one skew against @whom (escaped). */
static void
report_skew (CradleDiagnosisRun *run,
             const char         *name,
             const char         *title,
             gint64              duration_us,
             gint64              skew_us,
             const char         *whom)
{
  g_autofree char *skew = dup_skew (skew_us);
  gint64 seconds = ABS (skew_us) / G_USEC_PER_SEC;
  CradleCheckVerdict verdict = CRADLE_CHECK_OK;
  GError *error = NULL;

  if (seconds > FAILED_SKEW_SECONDS)
    {
      verdict = CRADLE_CHECK_FAILED;
      cradle_explain_set_error (&error, CRADLE_ERROR_AUTH_FAILED,
                                CRADLE_EXPLAIN_KERBEROS, CRADLE_KERBEROS_FAILURE_CLOCK_SKEW,
                                "This computer's clock is %s %s: past %d minutes Kerberos refuses "
                                "every sign-in. Set the clock right: turn on network time "
                                "(timedatectl set-ntp true, or chronyc makestep with chrony), "
                                "then retry.",
                                skew, whom, FAILED_SKEW_SECONDS / 60);
    }
  else if (seconds > WARNING_SKEW_SECONDS)
    {
      verdict = CRADLE_CHECK_WARNING;
      cradle_explain_set_error (&error, CRADLE_ERROR_FAILED,
                                CRADLE_EXPLAIN_KERBEROS, CRADLE_KERBEROS_FAILURE_CLOCK_SKEW,
                                "This computer's clock is %s %s; Kerberos refuses every sign-in "
                                "past %d minutes. Turn on network time (timedatectl set-ntp "
                                "true, or chronyc makestep with chrony).",
                                skew, whom, FAILED_SKEW_SECONDS / 60);
    }
  _cradle_diagnosis_run_report (run, HOP, name, title, verdict, duration_us, error,
                                "this computer's clock is %s %s", skew, whom);
}

static void
check_kdc (CradleDiagnosisRun *run)
{
  CradleCredentials *credentials = _cradle_diagnosis_run_get_credentials (run);
  gboolean kerberos = cradle_credentials_get_kind (credentials) == CRADLE_CREDENTIALS_KERBEROS;
  const char *domain = _cradle_diagnosis_run_get_domain (run);
  gint64 start = g_get_monotonic_time ();
  g_autoptr(GError) error = NULL;
  g_autofree char *realm = NULL;
  g_autofree char *escaped_realm = NULL;
  g_autofree char *whom = NULL;
  gint64 skew_us = 0;

  if (!cradle_krb5_read_kdc_time (cradle_credentials_get_ccache_name (credentials), kerberos,
                                  domain, timeout_seconds (run), &skew_us, &realm, &error))
    {
      g_autofree char *upper = domain != NULL ? g_ascii_strup (domain, -1) : g_strdup ("the default realm");
      g_autofree char *escaped = cradle_text_escape (upper, -1, CRADLE_TEXT_ESCAPE_DEFAULT);

      _cradle_diagnosis_run_report (run, HOP, "skew-kdc", TITLE_KDC, CRADLE_CHECK_FAILED,
                                    g_get_monotonic_time () - start, g_steal_pointer (&error),
                                    "the KDC's time could not be read (realm %s)", escaped);
      return;
    }
  escaped_realm = cradle_text_escape (realm, -1, CRADLE_TEXT_ESCAPE_DEFAULT);
  whom = g_strdup_printf ("the KDC's (realm %s)", escaped_realm);
  report_skew (run, "skew-kdc", TITLE_KDC, g_get_monotonic_time () - start, skew_us, whom);
}

/* The DC's clock, from its RootDSE, without signing in.
 * Returns: this computer's clock minus the DC's, in microseconds */
static gboolean
read_dc_time (const char  *uri,
              guint        timeout,
              gint64      *skew_us_out,
              GError     **error)
{
  struct timeval limit = { .tv_sec = timeout, .tv_usec = 0 };
  const char *attributes[] = { "currentTime", NULL };
  int version = LDAP_VERSION3;
  g_autoptr(LDAP) ld = NULL;
  g_autoptr(LDAPMessage) result = NULL;
  g_autoptr(CradleLdapEntry) entry = NULL;
  g_autofree char *current_time = NULL;
  LDAPMessage *message;
  gint64 sent_us, received_us, dc_us;
  int rc;

  if (!cradle_libldap_load (error))
    return FALSE;
  rc = sym_ldap_initialize (&ld, uri);
  if (rc != LDAP_SUCCESS)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "'%s' is not a domain controller address: %s.", uri, sym_ldap_err2string (rc));
      return FALSE;
    }
  if (!cradle_ldap_limit_incoming (ld, error))
    return FALSE;
  if (sym_ldap_set_option (ld, LDAP_OPT_PROTOCOL_VERSION, &version) != LDAP_OPT_SUCCESS ||
      sym_ldap_set_option (ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != LDAP_OPT_SUCCESS ||
      sym_ldap_set_option (ld, LDAP_OPT_NETWORK_TIMEOUT, &limit) != LDAP_OPT_SUCCESS ||
      sym_ldap_set_option (ld, LDAP_OPT_TIMEOUT, &limit) != LDAP_OPT_SUCCESS)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                           "Could not configure the LDAP library; is libldap 2.5 installed?");
      return FALSE;
    }

  /* The first search connects: the answer was written between the two. */
  sent_us = g_get_real_time ();
  if (!cradle_ldap_search (ld, "", LDAP_SCOPE_BASE, "(objectClass=*)", attributes, timeout,
                           &result, error))
    return FALSE;
  received_us = g_get_real_time ();

  message = sym_ldap_first_entry (ld, result);
  if (message != NULL)
    entry = cradle_ldap_entry_new_from_message (ld, message, error);
  if (message != NULL && entry == NULL)
    return FALSE;
  if (entry != NULL && !cradle_ldap_entry_dup_string (entry, "currentTime", &current_time, error))
    return FALSE;
  if (current_time == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "The domain controller's RootDSE has no currentTime: it is not an "
                   "Active Directory domain controller, or hides its RootDSE.");
      return FALSE;
    }
  if (!cradle_ldap_parse_generalized_time (current_time, &dc_us, error))
    {
      g_prefix_error (error, "In its RootDSE's currentTime: ");
      return FALSE;
    }
  /* Whole seconds only ("….0Z", as AD writes it): the time was somewhere
   * within that second; its middle is the best guess. */
  if (dc_us % G_USEC_PER_SEC == 0)
    dc_us += G_USEC_PER_SEC / 2;
  *skew_us_out = sent_us + (received_us - sent_us) / 2 - dc_us;
  return TRUE;
}

/* ldap://HOST of the domain controller: the one given, if plain LDAP, else
 * the one the domain hop found. */
static char *
dup_dc_uri (CradleDiagnosisRun  *run,
            char               **why)
{
  const char *given = _cradle_diagnosis_run_get_dc_uri (run);
  g_autofree char *host = NULL;

  if (given != NULL && g_str_has_prefix (given, "ldap://"))
    return g_strdup (given);
  host = _cradle_diagnosis_run_wait (run, CRADLE_DIAGNOSIS_FACT_DC_HOST, why);
  if (host == NULL)
    return NULL;
  return g_strdup_printf ("ldap://%s", host);
}

static void
check_dc (CradleDiagnosisRun *run)
{
  g_autofree char *why = NULL;
  g_autofree char *uri = dup_dc_uri (run, &why);
  g_autofree char *escaped = NULL;
  g_autofree char *whom = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start, skew_us = 0;

  if (uri == NULL)
    {
      _cradle_diagnosis_run_report (run, HOP, "skew-dc", TITLE_DC, CRADLE_CHECK_SKIPPED, 0, NULL,
                                    "skipped: %s", why);
      return;
    }
  escaped = cradle_text_escape (uri, -1, CRADLE_TEXT_ESCAPE_DEFAULT);
  start = g_get_monotonic_time ();
  if (!read_dc_time (uri, timeout_seconds (run), &skew_us, &error))
    {
      /* Not a clock's fault: the domain hop says why the DC is silent. */
      if (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE) ||
          g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_TIMED_OUT))
        {
          _cradle_diagnosis_run_report (run, HOP, "skew-dc", TITLE_DC, CRADLE_CHECK_SKIPPED,
                                        0, NULL, "skipped: %s did not answer (see Domain)",
                                        escaped);
          return;
        }
      g_prefix_error (&error, "Reading the time of %s: ", uri);
      _cradle_diagnosis_run_report (run, HOP, "skew-dc", TITLE_DC, CRADLE_CHECK_FAILED,
                                    g_get_monotonic_time () - start, g_steal_pointer (&error),
                                    "the time of %s could not be read", escaped);
      return;
    }
  whom = g_strdup_printf ("the domain controller's (%s)", escaped);
  report_skew (run, "skew-dc", TITLE_DC, g_get_monotonic_time () - start, skew_us, whom);
}

void
_cradle_diagnose_clock (CradleDiagnosisRun *run,
                        GCancellable       *cancellable)
{
  check_kdc (run);
  if (g_cancellable_is_cancelled (cancellable))
    {
      _cradle_diagnosis_run_report (run, HOP, "skew-dc", TITLE_DC, CRADLE_CHECK_SKIPPED, 0, NULL,
                                    "skipped: the checks were cancelled");
      return;
    }
  check_dc (run);
}
