/* cradle-directory-bind.c: connecting to a domain controller and signing in
 *
 * Kerberos first. Before the SASL bind, the ccache is checked and the
 * service ticket fetched (cradle-krb5.c), because SASL would turn every
 * Kerberos failure into the same "Local error". A simple bind is the last
 * resort for a typed password when no KDC answers, and only inside TLS
 * whose certificate verifies.
 */
#include "config.h"

#include <string.h>
#include <gio/gio.h>
#include <cradle/cradle.h>

#include "directory/cradle-directory-bind-private.h"
#include "kerberos/cradle-gss-private.h"
#include "kerberos/cradle-krb5-private.h"

/* GSSAPI asks for nothing; any other prompt gets its default, never a secret. */
static int
sasl_interact (LDAP     *ld,
               unsigned  flags,
               void     *defaults,
               void     *interactions)
{
  for (sasl_interact_t *in = interactions; in->id != SASL_CB_LIST_END; in++)
    {
      in->result = in->defresult != NULL ? in->defresult : "";
      in->len = (unsigned) strlen (in->result);
    }
  return LDAP_SUCCESS;
}

/* Cyrus SASL loads every plugin it finds at its first use (ten on Debian,
 * one pulling in Berkeley DB); the directory signs in with GSSAPI alone.
 * Initialised here first, with a filter on the plugin files, it loads
 * that one: about 2 ms less per sign-in and less foreign code in the
 * process.  libldap's own sym_sasl_client_init() then finds it initialised. */
static int
only_gssapi_plugin (void               *context,
                    const char         *file,
                    sasl_verify_type_t  type)
{
  g_autofree char *name = NULL;

  if (type != SASL_VRFY_PLUGIN)
    return SASL_OK;
  name = g_path_get_basename (file);
  return g_str_has_prefix (name, "libgssapiv2.") ? SASL_OK : SASL_CONTINUE;
}

static void
init_sasl_once (void)
{
  static gsize done = 0;
  static const sasl_callback_t callbacks[] = {
    { SASL_CB_VERIFYFILE, (int (*) (void)) (void (*) (void)) only_gssapi_plugin, NULL },
    { SASL_CB_LIST_END, NULL, NULL },
  };

  if (g_once_init_enter (&done))
    {
      int rc = sym_sasl_client_init (callbacks);

      if (rc != SASL_OK)
        g_debug ("SASL did not start (%s); libldap will try again", sym_sasl_errstring (rc, NULL, NULL));
      g_once_init_leave (&done, 1);
    }
}

static LDAP *
new_connection (const CradleBindSettings  *settings,
                GError                   **error)
{
  g_autoptr(LDAP) ld = NULL;
  struct timeval timeout = { .tv_sec = settings->timeout_seconds, .tv_usec = 0 };
  int version = LDAP_VERSION3;
  int demand = LDAP_OPT_X_TLS_DEMAND;
  int new_context = 0;
  /* LDAP_OPT_ON is the address of a liblber variable; a boolean option
   * takes any pointer but NULL (LDAP_OPT_OFF) as on. */
  static const int option_on = 1;
  char *ca_file = NULL;
  char *ca_folder = NULL;
  int rc;

  init_sasl_once ();
  rc = sym_ldap_initialize (&ld, settings->uri);
  if (rc != LDAP_SUCCESS)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "'%s' is not a domain controller address: %s. "
                   "Give it as ldap://HOST or ldaps://HOST.",
                   settings->uri, sym_ldap_err2string (rc));
      return NULL;
    }
  if (!cradle_ldap_limit_incoming (ld, error))
    return NULL;

  /* AD answers subtree searches with referrals to partitions we never need. */
  if (sym_ldap_set_option (ld, LDAP_OPT_PROTOCOL_VERSION, &version) != LDAP_OPT_SUCCESS ||
      sym_ldap_set_option (ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != LDAP_OPT_SUCCESS ||
      sym_ldap_set_option (ld, LDAP_OPT_NETWORK_TIMEOUT, &timeout) != LDAP_OPT_SUCCESS ||
      sym_ldap_set_option (ld, LDAP_OPT_TIMEOUT, &timeout) != LDAP_OPT_SUCCESS ||
      /* The ticket is for the name in the URI: a reverse lookup would change it. */
      sym_ldap_set_option (ld, LDAP_OPT_X_SASL_NOCANON, &option_on) != LDAP_OPT_SUCCESS ||
      /* Insist on a sealed (encrypted) session. */
      sym_ldap_set_option (ld, LDAP_OPT_X_SASL_SECPROPS, "minssf=56") != LDAP_OPT_SUCCESS ||
      sym_ldap_set_option (ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) != LDAP_OPT_SUCCESS)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                           "Could not configure the LDAP library; is libldap 2.5 with SASL and TLS support installed?");
      return NULL;
    }

  /* The DC's certificate must verify, whatever ldap.conf says. The trust
   * store is ldap.conf's (the system's) or LDAPTLS_CACERT's: libldap keeps
   * those in its global options, which a session's own TLS context does
   * not inherit, so they are copied over before it is made. */
  sym_ldap_get_option (NULL, LDAP_OPT_X_TLS_CACERTFILE, &ca_file);
  sym_ldap_get_option (NULL, LDAP_OPT_X_TLS_CACERTDIR, &ca_folder);
  if (ca_file != NULL)
    sym_ldap_set_option (ld, LDAP_OPT_X_TLS_CACERTFILE, ca_file);
  if (ca_folder != NULL)
    sym_ldap_set_option (ld, LDAP_OPT_X_TLS_CACERTDIR, ca_folder);
  sym_ldap_memfree (ca_file);
  sym_ldap_memfree (ca_folder);
  if (sym_ldap_set_option (ld, LDAP_OPT_X_TLS_NEWCTX, &new_context) != LDAP_OPT_SUCCESS)
    g_debug ("No TLS context for %s; TLS will fail if it is needed", settings->uri);
  return g_steal_pointer (&ld);
}

static char *
dup_uri_host (const char *uri)
{
  LDAPURLDesc *description = NULL;
  char *host = NULL;

  if (sym_ldap_url_parse (uri, &description) == LDAP_URL_SUCCESS)
    {
      host = g_strdup (description->lud_host);
      sym_ldap_free_urldesc (description);
    }
  return host;
}

static gboolean
bind_kerberos (const CradleBindSettings  *settings,
               const char                *ccache_name,
               CradleBindResult          *result,
               GError                   **error)
{
  g_autoptr(LDAP) ld = NULL;
  g_autoptr(CradleGssCcacheScope) scope = NULL;
  g_autofree char *host = dup_uri_host (settings->uri);
  ber_len_t ssf = 0;
  char *username = NULL;
  int rc;

  if (host == NULL || host[0] == '\0')
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "'%s' names no host. Give the domain controller as ldap://HOST.", settings->uri);
      return FALSE;
    }
  /* Reach the DC first: an address that does not answer is "unreachable",
   * whatever the state of the tickets, and the next DC DNS lists is tried. */
  ld = new_connection (settings, error);
  if (ld == NULL)
    return FALSE;
  rc = sym_ldap_connect (ld);
  if (rc != LDAP_SUCCESS)
    {
      g_autofree char *what = g_strdup_printf ("connecting to %s", settings->uri);

      cradle_ldap_set_error (error, ld, rc, what);
      return FALSE;
    }
  if (settings->connected != NULL)
    {
      int fd = -1;

      if (sym_ldap_get_option (ld, LDAP_OPT_DESC, &fd) == LDAP_OPT_SUCCESS && fd >= 0)
        settings->connected (fd, settings->connected_data);
    }
  /* Checks the ccache's TGT first, then stores the ticket for the bind. */
  if (!cradle_krb5_get_service_ticket (ccache_name, "ldap", host, settings->timeout_seconds, error))
    return FALSE;

  scope = cradle_gss_ccache_scope_enter (ccache_name, error);
  if (scope == NULL)
    return FALSE;
  rc = sym_ldap_sasl_interactive_bind_s (ld, NULL, "GSSAPI", NULL, NULL,
                                     LDAP_SASL_QUIET, sasl_interact, NULL);
  if (rc != LDAP_SUCCESS)
    {
      g_autofree char *what = g_strdup_printf ("signing in to %s with Kerberos", settings->uri);

      cradle_ldap_set_error (error, ld, rc, what);
      return FALSE;
    }

  sym_ldap_get_option (ld, LDAP_OPT_X_SASL_SSF, &ssf);
  sym_ldap_get_option (ld, LDAP_OPT_X_SASL_USERNAME, &username);
  result->identity = g_strdup (username);
  sym_ldap_memfree (username);
  result->security_strength = (guint) ssf;
  result->ld = g_steal_pointer (&ld);
  return TRUE;
}

/* Whether a TCP connection to the URI's host and port opens: if it does,
 * a TLS failure on it is the handshake's, not the network's. */
static gboolean
port_answers (const char *uri,
              guint       timeout_seconds)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  LDAPURLDesc *description = NULL;

  if (sym_ldap_url_parse (uri, &description) != LDAP_URL_SUCCESS)
    return FALSE;
  g_socket_client_set_timeout (client, timeout_seconds);
  connection = g_socket_client_connect_to_host (client, description->lud_host,
                                                (guint16) description->lud_port, NULL, NULL);
  sym_ldap_free_urldesc (description);
  return connection != NULL;
}

/* libldap says only "Connect error" or "Can't contact LDAP server" when the
 * handshake fails; with GnuTLS the reason is not even in the diagnostic.
 * StartTLS fails with CONNECT_ERROR only after the server answered; LDAPS
 * fails like a down server, so the port is tried on its own. */
static gboolean
is_tls_failure (const char *uri,
                int         rc,
                guint       timeout_seconds)
{
  if (rc == LDAP_CONNECT_ERROR)
    return TRUE;
  return rc == LDAP_SERVER_DOWN && g_str_has_prefix (uri, "ldaps://") && port_answers (uri, timeout_seconds);
}

static void
set_tls_error (GError                   **error,
               LDAP                      *ld,
               int                        rc,
               const CradleBindSettings  *settings)
{
  if (is_tls_failure (settings->uri, rc, settings->timeout_seconds))
    g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                 "No trusted TLS connection could be made to the domain controller %s (its "
                 "certificate is not trusted, or does not name it), so no password was sent. "
                 "Install the domain's root certificate in the system's trust store, or ask an "
                 "administrator.", settings->uri);
  else
    cradle_ldap_set_error (error, ld, rc, "connecting to the domain controller over TLS");
}

/* The symmetric key size of the TLS cipher, as SASL reports its SSF.
 * libldap may use GnuTLS or OpenSSL: only the cipher's name is portable. */
static guint
tls_strength (LDAP *ld)
{
  char *cipher = NULL;
  guint strength = 0;

  if (sym_ldap_get_option (ld, LDAP_OPT_X_TLS_CIPHER, &cipher) != LDAP_OPT_SUCCESS || cipher == NULL)
    return 0;
  if (strstr (cipher, "256") != NULL || strstr (cipher, "CHACHA20") != NULL)
    strength = 256;
  else if (strstr (cipher, "128") != NULL)
    strength = 128;
  sym_ldap_memfree (cipher);
  return strength;
}

/* "u:CORP\alice" (what AD's Who Am I answers) → "alice". */
static char *
dup_whoami_account (LDAP *ld)
{
  struct berval *authzid = NULL;
  g_autofree char *text = NULL;
  const char *account;

  if (sym_ldap_whoami_s (ld, &authzid, NULL, NULL) != LDAP_SUCCESS || authzid == NULL)
    return NULL;
  text = g_strndup (authzid->bv_val, authzid->bv_len);
  sym_ber_bvfree (authzid);
  account = strrchr (text, '\\');
  account = account != NULL ? account + 1 : (g_str_has_prefix (text, "u:") ? text + 2 : text);
  return account[0] != '\0' ? g_strdup (account) : NULL;
}

static gboolean
bind_simple_over_tls (const CradleBindSettings  *settings,
                      CradleBindResult          *result,
                      GError                   **error)
{
  g_autoptr(LDAP) ld = new_connection (settings, error);
  g_autofree char *host = dup_uri_host (settings->uri);
  g_autofree char *bind_name = NULL;
  g_autofree char *account = NULL;
  struct berval credentials;
  int rc;

  if (ld == NULL)
    return FALSE;
  if (!g_str_has_prefix (settings->uri, "ldaps://"))
    {
      rc = sym_ldap_start_tls_s (ld, NULL, NULL);
      if (rc != LDAP_SUCCESS)
        {
          set_tls_error (error, ld, rc, settings);
          return FALSE;
        }
    }

  /* AD takes a UPN as the bind name; a bare name gets the DC's domain. */
  if (strchr (settings->user, '@') != NULL || strchr (settings->user, '\\') != NULL || host == NULL ||
      strchr (host, '.') == NULL)
    bind_name = g_strdup (settings->user);
  else
    bind_name = g_strdup_printf ("%s@%s", settings->user, strchr (host, '.') + 1);

  credentials.bv_val = (char *) settings->password;
  credentials.bv_len = strlen (settings->password);
  rc = sym_ldap_sasl_bind_s (ld, bind_name, LDAP_SASL_SIMPLE, &credentials, NULL, NULL, NULL);
  if (rc == LDAP_INVALID_CREDENTIALS)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED,
                   "The domain controller %s refused the user name or password for %s. "
                   "Check them and try again.", settings->uri, settings->user);
      return FALSE;
    }
  if (rc != LDAP_SUCCESS)
    {
      set_tls_error (error, ld, rc, settings);
      return FALSE;
    }

  account = dup_whoami_account (ld);
  result->identity = g_steal_pointer (&account);
  if (result->identity == NULL)
    result->identity = g_strdup (bind_name);
  result->security_strength = tls_strength (ld);
  result->ld = g_steal_pointer (&ld);
  return TRUE;
}

static gboolean
bind_with_password (const CradleBindSettings  *settings,
                    CradleBindResult          *result,
                    GError                   **error)
{
  g_autoptr(GError) kerberos_error = NULL;
  g_autofree char *ccache = cradle_krb5_password_login (settings->user, NULL, settings->password,
                                                        settings->timeout_seconds, &kerberos_error);

  if (ccache != NULL)
    {
      if (!bind_kerberos (settings, ccache, result, error))
        {
          cradle_krb5_ccache_destroy (ccache);
          return FALSE;
        }
      result->memory_ccache = g_steal_pointer (&ccache);
      return TRUE;
    }
  /* Without a reachable KDC or a realm, the password may still work over TLS. */
  if (g_error_matches (kerberos_error, CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE) ||
      g_error_matches (kerberos_error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED) ||
      g_error_matches (kerberos_error, CRADLE_ERROR, CRADLE_ERROR_TIMED_OUT))
    {
      g_debug ("Kerberos is not available (%s); trying a password over TLS", kerberos_error->message);
      return bind_simple_over_tls (settings, result, error);
    }
  g_propagate_error (error, g_steal_pointer (&kerberos_error));
  return FALSE;
}

gboolean
cradle_directory_bind (const CradleBindSettings  *settings,
                       CradleBindResult          *result,
                       GError                   **error)
{
  memset (result, 0, sizeof *result);
  if (!cradle_libldap_load (error))
    return FALSE;
  if (settings->password != NULL)
    return bind_with_password (settings, result, error);
  return bind_kerberos (settings, settings->ccache_name, result, error);
}

void
cradle_bind_result_clear (CradleBindResult *result)
{
  g_clear_pointer (&result->ld, cradle_ldap_unbind);
  g_clear_pointer (&result->identity, g_free);
  if (result->memory_ccache != NULL)
    cradle_krb5_ccache_destroy (result->memory_ccache);
  g_clear_pointer (&result->memory_ccache, g_free);
}

LDAP *
cradle_directory_connect_anonymous (const char  *uri,
                                    gboolean     start_tls,
                                    guint        timeout_seconds,
                                    GError     **error)
{
  CradleBindSettings settings = { .uri = uri, .timeout_seconds = timeout_seconds };
  g_autoptr(LDAP) ld = NULL;
  int rc;

  if (!cradle_libldap_load (error))
    return NULL;
  ld = new_connection (&settings, error);
  if (ld == NULL)
    return NULL;
  rc = start_tls ? sym_ldap_start_tls_s (ld, NULL, NULL) : sym_ldap_connect (ld);
  if (rc == LDAP_SUCCESS)
    return g_steal_pointer (&ld);
  if ((start_tls || g_str_has_prefix (uri, "ldaps://")) && is_tls_failure (uri, rc, timeout_seconds))
    cradle_explain_set_error (error, CRADLE_ERROR_NOT_CONFIGURED, CRADLE_EXPLAIN_DIRECTORY,
                              CRADLE_DIRECTORY_FAILURE_TLS_UNTRUSTED,
                              "No trusted TLS connection could be made to %s: its certificate is not "
                              "trusted by this computer, has expired or does not name it.", uri);
  else
    {
      g_autofree char *what = g_strdup_printf (start_tls ? "starting TLS with %s" : "connecting to %s", uri);

      cradle_ldap_set_error (error, ld, rc, what);
    }
  return NULL;
}
