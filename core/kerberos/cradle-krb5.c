/* cradle-krb5.c: Kerberos credentials, with errors a person can act on
 *
 * SASL's GSSAPI mechanism turns every Kerberos failure into the same LDAP
 * "Local error". So before a bind the directory session checks the
 * credential cache and gets the service ticket itself, here, while the
 * krb5_error_code is still in hand: no ticket, an expired one, clocks apart,
 * an unknown service name, a wrong password and an unreachable KDC each get
 * their own CRADLE_ERROR and words. Errors are told apart by code, never by
 * message text; libkrb5's message goes in parentheses for support staff.
 * The service ticket is stored in the cache, as kvno and GSSAPI do, so the
 * bind that follows need not ask the KDC again.
 *
 * Every call makes its own krb5_context: a context must not be used by two
 * threads at once, and KRB5_CONFIG is read when one is made.
 *
 * KDC exchanges, bounded in time, are in cradle-krb5-kdc.c.
 */
#include "config.h"

#include <errno.h>
#include <unistd.h>
#include <krb5.h>
#include <cradle/cradle.h>

#include "kerberos/cradle-krb5-context-private.h"
#include "kerberos/cradle-krb5-private.h"

/* libkrb5's words for @code, for support staff: "(Preauthentication failed;
 * krb5 error -1765328360)". */
char *
cradle_krb5_dup_detail (krb5_context    context,
                        krb5_error_code code)
{
  const char *message = krb5_get_error_message (context, code);
  char *detail = g_strdup_printf ("(%s; krb5 error %d)", message, (int) code);

  krb5_free_error_message (context, message);
  return detail;
}

char *
cradle_krb5_dup_realm_of (krb5_const_principal principal)
{
  return g_strndup (principal->realm.data, principal->realm.length);
}

char *
cradle_krb5_dup_unparsed (krb5_context         context,
                          krb5_const_principal principal)
{
  char *name = NULL;
  char *copy;

  if (krb5_unparse_name (context, principal, &name) != 0)
    return g_strdup ("?");
  copy = g_strdup (name);
  krb5_free_unparsed_name (context, name);
  return copy;
}

/* "14:05" today, "2026-11-21 14:05" on another day, in local time. */
static char *
dup_local_time (krb5_timestamp when)
{
  g_autoptr(GDateTime) then = g_date_time_new_from_unix_local ((guint32) when);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  if (then == NULL || now == NULL)
    return g_strdup ("an unknown time");
  if (g_date_time_get_year (then) == g_date_time_get_year (now) &&
      g_date_time_get_day_of_year (then) == g_date_time_get_day_of_year (now))
    return g_date_time_format (then, "%H:%M");
  return g_date_time_format (then, "%Y-%m-%d %H:%M");
}

gboolean
cradle_krb5_make_context (krb5_context  *context_out,
                          GError       **error)
{
  krb5_error_code code = krb5_init_context (context_out);

  if (code != 0)
    {
      /* There is no context for krb5_get_error_message: the code says it all. */
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "The Kerberos library could not start: %s (krb5 error %d). "
                   "Check /etc/krb5.conf, or the file KRB5_CONFIG names.",
                   error_message (code), (int) code);
      *context_out = NULL;
      return FALSE;
    }
  return TRUE;
}

char *
cradle_krb5_context_default_realm (krb5_context   context,
                                   GError       **error)
{
  g_autofree char *detail = NULL;
  char *realm = NULL;
  char *copy;
  krb5_error_code code = krb5_get_default_realm (context, &realm);

  if (code == 0)
    {
      copy = g_strdup (realm);
      krb5_free_default_realm (context, realm);
      return copy;
    }
  detail = cradle_krb5_dup_detail (context, code);
  if (code == KRB5_CONFIG_NODEFREALM)
    g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                 "This computer has no default Kerberos realm %s. Join it to the domain, "
                 "set default_realm in /etc/krb5.conf, or give the realm.",
                 detail);
  else
    g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                 "The default Kerberos realm could not be read %s. Check /etc/krb5.conf, "
                 "or the file KRB5_CONFIG names.",
                 detail);
  return NULL;
}

/**
 * cradle_krb5_dup_default_realm:
 *
 * Returns: (transfer full): the default realm of the Kerberos configuration,
 *   as "CORP.EXAMPLE.TEST", or %NULL with %CRADLE_ERROR_NOT_CONFIGURED
 */
char *
cradle_krb5_dup_default_realm (GError **error)
{
  g_auto(krb5_context) context = NULL;

  if (!cradle_krb5_make_context (&context, error))
    return NULL;
  return cradle_krb5_context_default_realm (context, error);
}

/* The errors the KDC exchanges of a login and of a service ticket share.
 * Returns: %FALSE when @code is none of them */
gboolean
cradle_krb5_set_kdc_error (GError          **error,
                           krb5_context      context,
                           krb5_error_code   code,
                           const char       *realm)
{
  g_autofree char *detail = cradle_krb5_dup_detail (context, code);

  switch (code)
    {
    case KRB5_KDC_UNREACH:
      cradle_explain_set_error (error, CRADLE_ERROR_UNREACHABLE,
                                CRADLE_EXPLAIN_KERBEROS, CRADLE_KERBEROS_FAILURE_KDC_UNREACHABLE,
                                "No Kerberos server (KDC) of the realm %s could be reached %s. "
                                "Check the network connection (and VPN), then retry.",
                                realm, detail);
      return TRUE;
    case KRB5_REALM_CANT_RESOLVE:
      cradle_explain_set_error (error, CRADLE_ERROR_UNREACHABLE,
                                CRADLE_EXPLAIN_KERBEROS, CRADLE_KERBEROS_FAILURE_KDC_UNREACHABLE,
                                "The names of the Kerberos servers (KDCs) of the realm %s could not be "
                                "resolved %s. Check the network connection and DNS, then retry.",
                                realm, detail);
      return TRUE;
    case KRB5_REALM_UNKNOWN:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "This computer knows no Kerberos server (KDC) for the realm %s %s. "
                   "Check the realm's name, or add its KDCs to /etc/krb5.conf.",
                   realm, detail);
      return TRUE;
    case KRB5_CONFIG_NODEFREALM:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "This computer has no default Kerberos realm %s. Join it to the domain, "
                   "set default_realm in /etc/krb5.conf, or give the realm.",
                   detail);
      return TRUE;
    case KRB5KRB_AP_ERR_SKEW:
      cradle_explain_set_error (error, CRADLE_ERROR_AUTH_FAILED,
                                CRADLE_EXPLAIN_KERBEROS, CRADLE_KERBEROS_FAILURE_CLOCK_SKEW,
                                "This computer's clock and the clocks of the domain %s differ by more than "
                                "5 minutes, so Kerberos refuses to sign in %s. Correct the date, time and "
                                "time zone (or turn on network time), then retry.",
                                realm, detail);
      return TRUE;
    case KRB5KDC_ERR_CLIENT_REVOKED:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
                   "Your account in %s is disabled or locked out %s. Wait for a lockout to "
                   "end, or ask your administrator.",
                   realm, detail);
      return TRUE;
    case KRB5KDC_ERR_ETYPE_NOSUPP:
    case KRB5_CC_NOT_KTYPE:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "This computer and the domain %s share no Kerberos encryption type %s. "
                   "Ask your administrator to allow AES for your account and this service.",
                   realm, detail);
      return TRUE;
    default:
      return FALSE;
    }
}

/* The newest ticket-granting ticket for @client in @ccache. */
static krb5_error_code
find_tgt (krb5_context       context,
          krb5_ccache        ccache,
          krb5_principal     client,
          krb5_ticket_times *times_out,
          krb5_flags        *flags_out,
          krb5_enctype      *enctype_out,
          gboolean          *found_out)
{
  krb5_principal tgs = NULL;
  krb5_cc_cursor cursor = NULL;
  krb5_creds creds;
  krb5_error_code code;

  *found_out = FALSE;
  code = krb5_build_principal_ext (context, &tgs,
                                   client->realm.length, client->realm.data,
                                   KRB5_TGS_NAME_SIZE, KRB5_TGS_NAME,
                                   client->realm.length, client->realm.data,
                                   0);
  if (code != 0)
    return code;

  code = krb5_cc_start_seq_get (context, ccache, &cursor);
  if (code != 0)
    {
      krb5_free_principal (context, tgs);
      return code;
    }
  while ((code = krb5_cc_next_cred (context, ccache, &cursor, &creds)) == 0)
    {
      if (!krb5_is_config_principal (context, creds.server) &&
          krb5_principal_compare (context, creds.server, tgs) &&
          krb5_principal_compare (context, creds.client, client) &&
          (!*found_out || creds.times.endtime > times_out->endtime))
        {
          *times_out = creds.times;
          *flags_out = creds.ticket_flags;
          if (enctype_out != NULL)
            *enctype_out = creds.keyblock.enctype;
          *found_out = TRUE;
        }
      krb5_free_cred_contents (context, &creds);
    }
  krb5_cc_end_seq_get (context, ccache, &cursor);
  krb5_free_principal (context, tgs);
  return code == KRB5_CC_END ? 0 : code;
}

/* Whether @code means the cache is missing or empty rather than unreadable. */
static gboolean
is_no_ccache (krb5_error_code code)
{
  return code == KRB5_FCC_NOFILE || code == KRB5_CC_NOTFOUND || code == KRB5_CC_END ||
         code == ENOENT;
}

static void
set_ccache_error (GError          **error,
                  krb5_context      context,
                  krb5_error_code   code,
                  const char       *name)
{
  g_autofree char *detail = cradle_krb5_dup_detail (context, code);

  if (is_no_ccache (code))
    cradle_explain_set_error (error, CRADLE_ERROR_NOT_CONFIGURED,
                              CRADLE_EXPLAIN_KERBEROS, CRADLE_KERBEROS_FAILURE_NO_TICKET,
                              "You have no Kerberos ticket (in %s) %s. Sign in to the domain, "
                              "or run kinit, then retry.",
                              name, detail);
  else if (code == KRB5_FCC_PERM || code == EACCES || code == EPERM)
    g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
                 "Your Kerberos credential cache %s cannot be read %s. Check who owns it, "
                 "or sign in again (kinit).",
                 name, detail);
  else if (code == KRB5_CC_UNKNOWN_TYPE || code == KRB5_CC_BADNAME)
    g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                 "'%s' is not a Kerberos credential cache this computer can use %s. "
                 "Check KRB5CCNAME and default_ccache_name in /etc/krb5.conf.",
                 name, detail);
  else
    g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                 "Your Kerberos credential cache %s is damaged %s. Remove it (kdestroy) "
                 "and sign in again (kinit).",
                 name, detail);
}

gboolean
cradle_krb5_resolve_ccache (krb5_context   context,
                            const char    *ccache_name,
                            krb5_ccache   *ccache_out,
                            GError       **error)
{
  krb5_error_code code = ccache_name != NULL ? krb5_cc_resolve (context, ccache_name, ccache_out)
                                             : krb5_cc_default (context, ccache_out);

  if (code != 0)
    {
      set_ccache_error (error, context, code,
                        ccache_name != NULL ? ccache_name : krb5_cc_default_name (context));
      return FALSE;
    }
  return TRUE;
}

/* That @client has a ticket-granting ticket in @ccache, valid now. */
static gboolean
check_tgt (krb5_context     context,
           krb5_ccache      ccache,
           krb5_principal   client,
           const char      *name,
           GError         **error)
{
  g_autofree char *principal = cradle_krb5_dup_unparsed (context, client);
  g_autofree char *detail = NULL;
  krb5_ticket_times times = { 0 };
  krb5_flags flags = 0;
  krb5_timestamp now = 0;
  gboolean found = FALSE;
  krb5_error_code code;

  code = find_tgt (context, ccache, client, &times, &flags, NULL, &found);
  if (code != 0)
    {
      set_ccache_error (error, context, code, name);
      return FALSE;
    }
  if (!found)
    {
      cradle_explain_set_error (error, CRADLE_ERROR_NOT_CONFIGURED,
                                CRADLE_EXPLAIN_KERBEROS, CRADLE_KERBEROS_FAILURE_NO_TICKET,
                                "You have no Kerberos ticket-granting ticket for %s (in %s). "
                                "Sign in to the domain, or run kinit, then retry.",
                                principal, name);
      return FALSE;
    }

  /* libkrb5's own idea of now: it includes the KDC time offset the cache recorded. */
  code = krb5_timeofday (context, &now);
  if (code != 0)
    {
      detail = cradle_krb5_dup_detail (context, code);
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED, "The time could not be read %s",
                   detail);
      return FALSE;
    }
  if (times.endtime <= now)
    {
      g_autofree char *when = dup_local_time (times.endtime);

      cradle_explain_set_error (error, CRADLE_ERROR_AUTH_FAILED,
                                CRADLE_EXPLAIN_KERBEROS, CRADLE_KERBEROS_FAILURE_TICKET_EXPIRED,
                                "Your Kerberos ticket for %s expired at %s. Sign in again "
                                "(kinit), then retry.",
                                principal, when);
      return FALSE;
    }
  /* A postdated ticket, or a clock that went back after sign-in: the KDC
   * would answer "ticket not yet valid". */
  if ((times.starttime != 0 && times.starttime > now + CLOCK_SKEW_SECONDS) ||
      (flags & TKT_FLG_INVALID) != 0)
    {
      g_autofree char *when = dup_local_time (times.starttime != 0 ? times.starttime
                                                                    : times.authtime);
      g_autofree char *clock = dup_local_time (now);

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED,
                   "Your Kerberos ticket for %s is not valid yet: it starts at %s%s, and this "
                   "computer's clock says %s. Check the clock, or sign in again (kinit).",
                   principal, when,
                   (flags & TKT_FLG_INVALID) != 0 ? " once validated (kinit -v)" : "",
                   clock);
      return FALSE;
    }
  return TRUE;
}

/* Returns: (transfer full) (nullable): the cache's client, whose
 *   ticket-granting ticket is valid now */
krb5_principal
cradle_krb5_ccache_client (krb5_context   context,
                           krb5_ccache    ccache,
                           GError       **error)
{
  g_autofree char *name = g_strdup_printf ("%s:%s", krb5_cc_get_type (context, ccache),
                                           krb5_cc_get_name (context, ccache));
  krb5_principal client = NULL;
  krb5_error_code code = krb5_cc_get_principal (context, ccache, &client);

  if (code != 0)
    {
      set_ccache_error (error, context, code, name);
      return NULL;
    }
  if (!check_tgt (context, ccache, client, name, error))
    {
      krb5_free_principal (context, client);
      return NULL;
    }
  return client;
}

/**
 * cradle_krb5_check_ccache:
 * @ccache_name: (nullable): as KRB5CCNAME would name it; %NULL for the default
 * @principal_out: (out) (optional): the client principal, as "alice@CORP.EXAMPLE.TEST"
 * @realm_out: (out) (optional): its realm
 *
 * Checks that the cache holds a ticket-granting ticket that is valid now.
 * Reads the cache only: no network.
 *
 * Returns: %TRUE if it does; otherwise %CRADLE_ERROR_NOT_CONFIGURED (no
 *   cache, no ticket), %CRADLE_ERROR_AUTH_FAILED (expired, not valid yet),
 *   %CRADLE_ERROR_PERMISSION_DENIED or %CRADLE_ERROR_INVALID_DATA (unreadable)
 */
gboolean
cradle_krb5_check_ccache (const char  *ccache_name,
                          char       **principal_out,
                          char       **realm_out,
                          GError     **error)
{
  g_auto(krb5_context) context = NULL;
  krb5_ccache ccache = NULL;
  krb5_principal client;

  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!cradle_krb5_make_context (&context, error) ||
      !cradle_krb5_resolve_ccache (context, ccache_name, &ccache, error))
    return FALSE;
  client = cradle_krb5_ccache_client (context, ccache, error);
  krb5_cc_close (context, ccache);
  if (client == NULL)
    return FALSE;

  if (principal_out != NULL)
    *principal_out = cradle_krb5_dup_unparsed (context, client);
  if (realm_out != NULL)
    *realm_out = cradle_krb5_dup_realm_of (client);
  krb5_free_principal (context, client);
  return TRUE;
}

/**
 * cradle_krb5_inspect_ccache:
 * @ccache_name: (nullable): as KRB5CCNAME would name it; %NULL for the default
 * @principal_out: (out) (optional): the client principal
 * @ccache_out: (out) (optional): the cache's full name, "FILE:/tmp/krb5cc_1000",
 *   set whenever the name could be resolved, also on failure
 * @tgt_out: (out) (optional): the ticket-granting ticket's times and enctype
 *
 * cradle_krb5_check_ccache(), and what a diagnosis shows of the ticket.
 * Reads the cache only: no network; copies no ticket.
 *
 * Returns: %TRUE when the cache holds a ticket-granting ticket valid now;
 *   otherwise the errors of cradle_krb5_check_ccache()
 */
gboolean
cradle_krb5_inspect_ccache (const char            *ccache_name,
                            char                 **principal_out,
                            char                 **ccache_out,
                            CradleKrb5TicketInfo  *tgt_out,
                            GError               **error)
{
  g_auto(krb5_context) context = NULL;
  krb5_ccache ccache = NULL;
  krb5_principal client;
  krb5_ticket_times times = { 0 };
  krb5_flags flags = 0;
  krb5_enctype enctype = 0;
  gboolean found = FALSE;
  krb5_error_code code;

  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!cradle_krb5_make_context (&context, error) ||
      !cradle_krb5_resolve_ccache (context, ccache_name, &ccache, error))
    return FALSE;
  if (ccache_out != NULL)
    *ccache_out = g_strdup_printf ("%s:%s", krb5_cc_get_type (context, ccache),
                                   krb5_cc_get_name (context, ccache));
  client = cradle_krb5_ccache_client (context, ccache, error);
  if (client == NULL)
    {
      krb5_cc_close (context, ccache);
      return FALSE;
    }
  code = find_tgt (context, ccache, client, &times, &flags, &enctype, &found);
  krb5_cc_close (context, ccache);
  if (code != 0 || !found)
    {
      /* The cache changed between two reads: kinit or a renewal. */
      krb5_free_principal (context, client);
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                   "The Kerberos credential cache changed while it was read. Retry.");
      return FALSE;
    }

  if (principal_out != NULL)
    *principal_out = cradle_krb5_dup_unparsed (context, client);
  if (tgt_out != NULL)
    {
      *tgt_out = (CradleKrb5TicketInfo) {
        .authtime = (guint32) times.authtime,
        .starttime = (guint32) times.starttime,
        .endtime = (guint32) times.endtime,
        .renew_till = (guint32) times.renew_till,
        .session_enctype = enctype,
        .ticket_enctype = 0,
        .from_kdc = FALSE,
      };
    }
  krb5_free_principal (context, client);
  return TRUE;
}

char *
cradle_krb5_dup_enctype_name (gint32 enctype)
{
  char name[64] = { 0 };

  if (krb5_enctype_to_name (enctype, FALSE, name, sizeof name) != 0 || name[0] == '\0')
    return g_strdup_printf ("enctype %d", (int) enctype);
  return g_strdup (name);
}

gboolean
cradle_krb5_enctype_is_weak (gint32 enctype)
{
  switch (enctype)
    {
    case ENCTYPE_DES_CBC_CRC:
    case ENCTYPE_DES_CBC_MD4:
    case ENCTYPE_DES_CBC_MD5:
    case ENCTYPE_DES_CBC_RAW:
    case ENCTYPE_DES3_CBC_SHA:
    case ENCTYPE_DES3_CBC_RAW:
    case ENCTYPE_DES_HMAC_SHA1:
    case ENCTYPE_DES3_CBC_SHA1:
    case ENCTYPE_ARCFOUR_HMAC:
    case ENCTYPE_ARCFOUR_HMAC_EXP:
      return TRUE;
    default:
      return FALSE;
    }
}
