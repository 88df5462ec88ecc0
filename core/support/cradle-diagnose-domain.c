/* cradle-diagnose-domain.c: the domain hop of a diagnosis
 *
 * Which domain and realm, which controller (DNS SRV, or the one the
 * settings name), whether it opens a TCP connection, and whether it
 * answers LDAP, LDAPS and StartTLS, each without signing in.  The three
 * LDAP checks run at once on threads of their own, each with the run's
 * deadline, and only after the controller answered on TCP: a dead
 * controller costs one deadline, not one per check.
 */
#include "config.h"

#include "directory/cradle-dc-locator-private.h"
#include "directory/cradle-directory-bind-private.h"
#include "directory/cradle-ldap-entry-private.h"
#include "kerberos/cradle-krb5-private.h"
#include "support/cradle-diagnosis-private.h"

#define HOP CRADLE_HOP_DOMAIN
#define LDAP_PORT 389
#define LDAPS_PORT 636

/* Outside text for a check, on one line; "" for none. */
static char *
escape (const char *text)
{
  return text != NULL ? cradle_text_escape (text, -1, CRADLE_TEXT_ESCAPE_DEFAULT) : g_strdup ("");
}

static guint
timeout_seconds (CradleDiagnosisRun *run)
{
  return MAX (1, (_cradle_diagnosis_run_get_timeout_ms (run) + 999) / 1000);
}

/* @error gets the detail when it has none: a more precise cause found by
 * a lower layer (Kerberos, TLS) is kept. */
static GError *
with_detail (GError  *error,
             guint32  failure)
{
  if (error != NULL && error->domain == CRADLE_ERROR && !cradle_explain_get_detail (error, NULL, NULL))
    cradle_explain_set_detail (error, CRADLE_EXPLAIN_DIRECTORY, failure);
  return error;
}

/* ---- the controller's address ------------------------------------- */

typedef struct {
  char    *host;
  guint16  port;       /* of the URI, for its own scheme */
  gboolean ldaps;      /* the URI is ldaps:// */
} DcAddress;

static void
dc_address_clear (DcAddress *address)
{
  g_clear_pointer (&address->host, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (DcAddress, dc_address_clear)

static gboolean
parse_dc_uri (const char  *uri,
              DcAddress   *address,
              GError     **error)
{
  g_autoptr(GUri) parsed = g_uri_parse (uri, G_URI_FLAGS_NONE, NULL);
  const char *scheme = parsed != NULL ? g_uri_get_scheme (parsed) : NULL;
  const char *host = parsed != NULL ? g_uri_get_host (parsed) : NULL;

  if (scheme == NULL || host == NULL || host[0] == '\0' ||
      (g_ascii_strcasecmp (scheme, "ldap") != 0 && g_ascii_strcasecmp (scheme, "ldaps") != 0))
    {
      g_autofree char *escaped = escape (uri);

      cradle_explain_set_error (error, CRADLE_ERROR_NOT_CONFIGURED, CRADLE_EXPLAIN_DIRECTORY,
                                CRADLE_DIRECTORY_FAILURE_DC_UNREACHABLE,
                                "'%s' is not a domain controller address; give it as ldap://HOST or "
                                "ldaps://HOST.", escaped);
      return FALSE;
    }
  address->host = g_strdup (host);
  address->ldaps = g_ascii_strcasecmp (scheme, "ldaps") == 0;
  address->port = g_uri_get_port (parsed) > 0 ? (guint16) g_uri_get_port (parsed)
                                              : (address->ldaps ? LDAPS_PORT : LDAP_PORT);
  return TRUE;
}

/* "host" or "[v6]" for a URI. */
static char *
dup_uri_host (const char *host)
{
  return strchr (host, ':') != NULL ? g_strdup_printf ("[%s]", host) : g_strdup (host);
}

/* ---- TCP, with a deadline ------------------------------------------- */

typedef struct {
  GSocketConnection *connection;
  GError            *error;
  gboolean           done;
} Connecting;

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Connecting *connecting = user_data;

  connecting->connection = g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (source), result,
                                                                   &connecting->error);
  connecting->done = TRUE;
}

static gboolean
on_deadline (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

/* Opens (and closes) a TCP connection to @host:@port within @timeout_ms;
 * the name is looked up as part of it, under the same deadline. */
static gboolean
tcp_connect (const char    *host,
             guint16        port,
             guint          timeout_ms,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GCancellable) stop = g_cancellable_new ();
  g_autoptr(GSource) deadline = g_timeout_source_new (timeout_ms);
  g_autofree char *escaped = escape (host);
  gulong chained = 0;
  Connecting connecting = { 0 };

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (cancellable != NULL)
    chained = g_cancellable_connect (cancellable, G_CALLBACK (g_cancellable_cancel),
                                     g_object_ref (stop), g_object_unref);
  g_source_set_callback (deadline, on_deadline, stop, NULL);
  g_source_attach (deadline, context);
  g_main_context_push_thread_default (context);
  g_socket_client_connect_to_host_async (client, host, port, stop, on_connected, &connecting);
  while (!connecting.done)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);
  g_source_destroy (deadline);
  if (cancellable != NULL)
    g_cancellable_disconnect (cancellable, chained);

  if (connecting.connection != NULL)
    {
      g_io_stream_close (G_IO_STREAM (connecting.connection), NULL, NULL);
      g_object_unref (connecting.connection);
      return TRUE;
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    ;
  else if (g_error_matches (connecting.error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    cradle_explain_set_error (error, CRADLE_ERROR_TIMED_OUT, CRADLE_EXPLAIN_DIRECTORY,
                              CRADLE_DIRECTORY_FAILURE_DC_UNREACHABLE,
                              "The domain controller %s did not open a connection on port %u within %u ms.",
                              escaped, port, timeout_ms);
  else
    {
      g_autofree char *reason = escape (connecting.error->message);

      cradle_explain_set_error (error, CRADLE_ERROR_UNREACHABLE, CRADLE_EXPLAIN_DIRECTORY,
                                CRADLE_DIRECTORY_FAILURE_DC_UNREACHABLE,
                                "The domain controller %s could not be reached on port %u: %s.",
                                escaped, port, reason);
    }
  g_clear_error (&connecting.error);
  return FALSE;
}

/* ---- LDAP, LDAPS, StartTLS, each on a thread ------------------------ */

typedef struct {
  const char         *name;
  const char         *title;
  char               *uri;
  gboolean            start_tls;
  gboolean            primary;   /* how Cradle reaches the directory: failing it fails the hop */
  guint               timeout_seconds;
  CradleCheckVerdict  verdict;
  gint64              duration_us;
  char               *found;
  GError             *error;
  GThread            *thread;
} LdapProbe;

static void
ldap_probe_clear (LdapProbe *probe)
{
  g_clear_pointer (&probe->uri, g_free);
  g_clear_pointer (&probe->found, g_free);
  g_clear_error (&probe->error);
}

static char *
join_values (const CradleLdapEntry *entry,
             const char            *attribute)
{
  g_auto(GStrv) values = NULL;
  g_autofree char *joined = NULL;

  if (!cradle_ldap_entry_dup_strings (entry, attribute, &values, NULL) || values == NULL || values[0] == NULL)
    return g_strdup ("none");
  joined = g_strjoinv (", ", values);
  return escape (joined);
}

static gpointer
run_ldap_probe (gpointer data)
{
  LdapProbe *probe = data;
  const char *attributes[] = { "dnsHostName", "defaultNamingContext", "supportedSASLMechanisms", NULL };
  gint64 start = g_get_monotonic_time ();
  g_autoptr(LDAP) ld = NULL;
  g_autoptr(LDAPMessage) result = NULL;
  g_autoptr(CradleLdapEntry) entry = NULL;
  g_autofree char *host_name = NULL;
  g_autofree char *escaped_host = NULL;
  g_autofree char *mechanisms = NULL;
  g_autofree char *escaped_uri = escape (probe->uri);
  GError *error = NULL;

  ld = cradle_directory_connect_anonymous (probe->uri, probe->start_tls, probe->timeout_seconds, &error);
  if (ld != NULL &&
      cradle_ldap_search (ld, "", LDAP_SCOPE_BASE, "(objectClass=*)", attributes, probe->timeout_seconds,
                          &result, &error))
    {
      LDAPMessage *message = sym_ldap_first_entry (ld, result);

      if (message == NULL)
        g_set_error (&error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                     "%s answered with no RootDSE; it is not an Active Directory domain controller.",
                     escaped_uri);
      else
        entry = cradle_ldap_entry_new_from_message (ld, message, &error);
    }
  if (entry != NULL && !cradle_ldap_entry_dup_string (entry, "dnsHostName", &host_name, &error))
    g_clear_pointer (&entry, cradle_ldap_entry_unref);
  probe->duration_us = g_get_monotonic_time () - start;

  if (entry == NULL)
    {
      g_prefix_error (&error, "%s: ", probe->title);
      probe->error = with_detail (error, g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE)
                                           ? CRADLE_DIRECTORY_FAILURE_DC_UNREACHABLE
                                           : CRADLE_DIRECTORY_FAILURE_LDAP_NO_ANSWER);
      probe->verdict = probe->primary ? CRADLE_CHECK_FAILED : CRADLE_CHECK_WARNING;
      CradleExplainKind kind;
      guint32 code;
      gboolean untrusted = cradle_explain_get_detail (probe->error, &kind, &code) &&
                           kind == CRADLE_EXPLAIN_DIRECTORY && code == CRADLE_DIRECTORY_FAILURE_TLS_UNTRUSTED;

      probe->found = g_strdup_printf ("%s %s%s.", escaped_uri,
                                      untrusted ? "answered, but its TLS certificate was not trusted"
                                                : "did not answer",
                                      probe->primary ? ""
                                                     : "; Cradle needs it only to sign in with a password "
                                                       "when no Kerberos server answers");
      return NULL;
    }
  escaped_host = escape (host_name != NULL ? host_name : "a controller without a name");
  mechanisms = join_values (entry, "supportedSASLMechanisms");
  probe->verdict = CRADLE_CHECK_OK;
  probe->found = g_strdup_printf ("%s answered%s as %s; sign-in mechanisms: %s.", escaped_uri,
                                  probe->start_tls ? " after StartTLS, its certificate verified"
                                                   : (g_str_has_prefix (probe->uri, "ldaps://")
                                                        ? " over TLS, its certificate verified" : ""),
                                  escaped_host, mechanisms);
  return NULL;
}

static void
probe_ldap (CradleDiagnosisRun *run,
            const DcAddress    *address)
{
  g_autofree char *uri_host = dup_uri_host (address->host);
  guint16 ldap_port = address->ldaps ? LDAP_PORT : address->port;
  guint16 ldaps_port = address->ldaps ? address->port : LDAPS_PORT;
  LdapProbe probes[] = {
    { .name = "ldap", .title = "LDAP", .primary = !address->ldaps,
      .uri = g_strdup_printf ("ldap://%s:%u", uri_host, ldap_port) },
    { .name = "ldaps", .title = "LDAPS", .primary = address->ldaps,
      .uri = g_strdup_printf ("ldaps://%s:%u", uri_host, ldaps_port) },
    { .name = "starttls", .title = "StartTLS", .start_tls = TRUE,
      .uri = g_strdup_printf ("ldap://%s:%u", uri_host, ldap_port) },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (probes); i++)
    {
      probes[i].timeout_seconds = timeout_seconds (run);
      probes[i].thread = g_thread_new (probes[i].name, run_ldap_probe, &probes[i]);
    }
  /* Reported in this order whatever order they end in: scripts and people
   * find them in the same place every time. */
  for (gsize i = 0; i < G_N_ELEMENTS (probes); i++)
    {
      g_thread_join (probes[i].thread);
      _cradle_diagnosis_run_report (run, HOP, probes[i].name, probes[i].title, probes[i].verdict,
                                    probes[i].duration_us, g_steal_pointer (&probes[i].error),
                                    "%s", probes[i].found);
      ldap_probe_clear (&probes[i]);
    }
}

static void
skip_ldap (CradleDiagnosisRun *run,
           const char         *reason)
{
  _cradle_diagnosis_run_report (run, HOP, "ldap", "LDAP", CRADLE_CHECK_SKIPPED, 0, NULL, "%s", reason);
  _cradle_diagnosis_run_report (run, HOP, "ldaps", "LDAPS", CRADLE_CHECK_SKIPPED, 0, NULL, "%s", reason);
  _cradle_diagnosis_run_report (run, HOP, "starttls", "StartTLS", CRADLE_CHECK_SKIPPED, 0, NULL, "%s", reason);
}

/* ---- the hop --------------------------------------------------------- */

/* The domain: as asked, else as the settings say, else the realm's. */
static gboolean
check_realm (CradleDiagnosisRun  *run,
             char               **domain_out,
             char               **dc_uri_out)
{
  gint64 start = g_get_monotonic_time ();
  g_autofree char *domain = g_strdup (_cradle_diagnosis_run_get_domain (run));
  g_autofree char *dc_uri = g_strdup (_cradle_diagnosis_run_get_dc_uri (run));
  g_autofree char *realm = NULL;
  g_autofree char *escaped_domain = NULL;
  g_autofree char *escaped_realm = NULL;
  g_autoptr(GError) realm_error = NULL;
  gboolean domain_from_realm = FALSE;

  if (domain == NULL && dc_uri == NULL)
    cradle_settings_dup_directory (NULL, NULL, &domain, &dc_uri);
  realm = cradle_krb5_dup_default_realm (&realm_error);
  if (domain == NULL && realm != NULL)
    {
      domain = g_ascii_strdown (realm, -1);
      domain_from_realm = TRUE;
    }
  if (domain == NULL && dc_uri == NULL)
    {
      g_autoptr(GError) error = NULL;

      cradle_explain_set_error (&error, CRADLE_ERROR_NOT_CONFIGURED, CRADLE_EXPLAIN_DIRECTORY,
                                CRADLE_DIRECTORY_FAILURE_NO_DOMAIN,
                                "No domain is set (--domain, CRADLE_DOMAIN, cradle.conf's [Directory] "
                                "Domain=) and this computer has no Kerberos realm.");
      _cradle_diagnosis_run_report (run, HOP, "realm", "Domain and realm", CRADLE_CHECK_FAILED,
                                    g_get_monotonic_time () - start, g_steal_pointer (&error),
                                    "No domain and no Kerberos realm.");
      return FALSE;
    }

  escaped_domain = escape (domain != NULL ? domain : "not set");
  escaped_realm = escape (realm != NULL ? realm : "none");
  if (realm != NULL && domain != NULL && g_ascii_strcasecmp (realm, domain) != 0)
    {
      GError *error = NULL;

      cradle_explain_set_error (&error, CRADLE_ERROR_NOT_CONFIGURED, CRADLE_EXPLAIN_DIRECTORY,
                                CRADLE_DIRECTORY_FAILURE_REALM_MISMATCH,
                                "The Kerberos realm %s is not the domain %s.", escaped_realm, escaped_domain);
      _cradle_diagnosis_run_report (run, HOP, "realm", "Domain and realm", CRADLE_CHECK_WARNING,
                                    g_get_monotonic_time () - start, error,
                                    "Domain %s; Kerberos realm %s.", escaped_domain, escaped_realm);
    }
  else
    _cradle_diagnosis_run_report (run, HOP, "realm", "Domain and realm", CRADLE_CHECK_OK,
                                  g_get_monotonic_time () - start, NULL,
                                  "Domain %s%s; Kerberos realm %s%s.", escaped_domain,
                                  domain_from_realm ? " (from the realm)" : "", escaped_realm,
                                  realm == NULL ? " (krb5.conf has no default_realm)" : "");
  *domain_out = g_steal_pointer (&domain);
  *dc_uri_out = g_steal_pointer (&dc_uri);
  return TRUE;
}

/* The controller to check: the one named, else DNS's first; the others
 * DNS lists are only listed. */
static char *
find_dc (CradleDiagnosisRun  *run,
         const char          *domain,
         const char          *dc_uri,
         GCancellable        *cancellable)
{
  gint64 start = g_get_monotonic_time ();
  g_autofree char *escaped_domain = escape (domain != NULL ? domain : "");
  g_auto(GStrv) uris = NULL;
  g_autofree char *joined = NULL;
  g_autofree char *escaped = NULL;
  GError *error = NULL;

  if (dc_uri != NULL)
    {
      escaped = escape (dc_uri);
      _cradle_diagnosis_run_report (run, HOP, "dns-srv", "DNS SRV records", CRADLE_CHECK_SKIPPED, 0, NULL,
                                    "skipped: DNS was not asked, the domain controller is set in the settings "
                                    "(--dc, CRADLE_DC or cradle.conf's [Directory] DC=) to %s.", escaped);
      return g_strdup (dc_uri);
    }
  uris = cradle_dc_locate (domain, timeout_seconds (run), cancellable, &error);
  if (uris == NULL || uris[0] == NULL)
    {
      if (error == NULL)
        g_set_error (&error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                     "DNS lists no domain controller for %s.", escaped_domain);
      _cradle_diagnosis_run_report (run, HOP, "dns-srv", "DNS SRV records", CRADLE_CHECK_FAILED,
                                    g_get_monotonic_time () - start,
                                    with_detail (error, CRADLE_DIRECTORY_FAILURE_NO_DC_RECORDS),
                                    "No answer for _ldap._tcp.dc._msdcs.%s.", escaped_domain);
      return NULL;
    }
  joined = g_strjoinv (", ", uris);
  escaped = escape (joined);
  _cradle_diagnosis_run_report (run, HOP, "dns-srv", "DNS SRV records", CRADLE_CHECK_OK,
                                g_get_monotonic_time () - start, NULL,
                                "_ldap._tcp.dc._msdcs.%s lists %u controller%s, most preferred first: %s.",
                                escaped_domain, g_strv_length (uris), g_strv_length (uris) == 1 ? "" : "s",
                                escaped);
  return g_strdup (uris[0]);
}

void
_cradle_diagnose_domain (CradleDiagnosisRun *run,
                         GCancellable       *cancellable)
{
  g_autofree char *domain = NULL;
  g_autofree char *dc_uri = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *escaped_host = NULL;
  g_auto(DcAddress) address = { 0 };
  GError *error = NULL;
  gint64 start;

  if (!check_realm (run, &domain, &dc_uri))
    {
      const char *reason = "skipped: no domain is configured (see Domain and realm)";

      _cradle_diagnosis_run_publish (run, CRADLE_DIAGNOSIS_FACT_DC_HOST, NULL, "no domain is configured (see Domain)");
      _cradle_diagnosis_run_report (run, HOP, "dns-srv", "DNS SRV records", CRADLE_CHECK_SKIPPED, 0, NULL, "%s", reason);
      _cradle_diagnosis_run_report (run, HOP, "dc-reachable", "Domain controller reachable",
                                    CRADLE_CHECK_SKIPPED, 0, NULL, "%s", reason);
      skip_ldap (run, reason);
      return;
    }

  uri = find_dc (run, domain, dc_uri, cancellable);
  start = g_get_monotonic_time ();
  if (uri != NULL && !parse_dc_uri (uri, &address, &error))
    {
      _cradle_diagnosis_run_report (run, HOP, "dc-reachable", "Domain controller reachable", CRADLE_CHECK_FAILED,
                                    0, error, "The domain controller's address cannot be used.");
      g_clear_pointer (&uri, g_free);
      _cradle_diagnosis_run_publish (run, CRADLE_DIAGNOSIS_FACT_DC_HOST, NULL,
                                     "the domain controller's address cannot be used (see Domain)");
      skip_ldap (run, "skipped: the domain controller's address cannot be used (see Domain controller reachable)");
      return;
    }
  if (uri == NULL)
    {
      const char *reason = "skipped: DNS names no domain controller (see DNS SRV records)";

      _cradle_diagnosis_run_publish (run, CRADLE_DIAGNOSIS_FACT_DC_HOST, NULL,
                                     "DNS names no domain controller (see Domain)");
      _cradle_diagnosis_run_report (run, HOP, "dc-reachable", "Domain controller reachable",
                                    CRADLE_CHECK_SKIPPED, 0, NULL, "%s", reason);
      skip_ldap (run, reason);
      return;
    }

  /* The name is known: whoever needs it (service tickets, the clock)
   * need not wait for what follows. */
  _cradle_diagnosis_run_publish (run, CRADLE_DIAGNOSIS_FACT_DC_HOST, g_strdup (address.host), NULL);

  escaped_host = escape (address.host);
  if (!tcp_connect (address.host, address.port, _cradle_diagnosis_run_get_timeout_ms (run), cancellable, &error))
    {
      _cradle_diagnosis_run_report (run, HOP, "dc-reachable", "Domain controller reachable", CRADLE_CHECK_FAILED,
                                    g_get_monotonic_time () - start, error,
                                    "%s did not accept a connection on port %u (TCP).", escaped_host, address.port);
      skip_ldap (run, "skipped: the domain controller did not answer (see Domain controller reachable)");
      return;
    }
  _cradle_diagnosis_run_report (run, HOP, "dc-reachable", "Domain controller reachable", CRADLE_CHECK_OK,
                                g_get_monotonic_time () - start, NULL,
                                "%s accepted a connection on port %u (TCP).", escaped_host, address.port);
  probe_ldap (run, &address);
}
