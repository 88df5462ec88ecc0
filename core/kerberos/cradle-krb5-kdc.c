/* cradle-krb5-kdc.c: exchanges with the KDC, each bounded in time
 *
 * Bounding the waits. libkrb5 1.20 (Debian 12) has no setting that bounds
 * an exchange with a KDC: [libdefaults] knows no timeout, and a KDC that
 * swallows requests costs 27 s per exchange and KDC address (measured: UDP
 * at 0 s, TCP at 1 s, UDP again at 13 s and 18 s, given up at 27 s), on top
 * of resolver waits for SRV records and host names. The pre-send hook
 * (krb5_set_kdc_send_hook) runs before an exchange, not during one, so it
 * cannot cut a wait short either. Hence every call that may talk to a KDC
 * runs on a thread of its own, and the caller waits for it on a condition
 * variable with a deadline. When the deadline passes, the caller returns
 * CRADLE_ERROR_TIMED_OUT and leaves the thread behind: the thread finishes
 * the exchange in progress (which libkrb5 bounds, as above), its pre-send
 * hook refuses any further exchange (so a login whose caller gave up never
 * sends its pre-authentication), it stores nothing, and it frees what it
 * holds, libkrb5's copy of the password included. (A login is up to three
 * exchanges: Samba asks for pre-authentication, then sends the ticket, too
 * big for its UDP, again over TCP.)
 *
 * A login uses krb5_init_creds_init() and krb5_init_creds_get() rather than
 * krb5_get_init_creds_password(): the latter may ask the primary KDC again
 * after a refusal (a second bad-password count) and would prompt for a new
 * password when the old one expired.
 */
#include "config.h"

#include <errno.h>
#include <unistd.h>
#include <krb5.h>
#include <cradle/cradle.h>

#include "kerberos/cradle-krb5-context-private.h"
#include "kerberos/cradle-krb5-private.h"

/* One exchange with the KDC, run on a worker thread (see the top of the file). */
typedef struct _KdcCall KdcCall;
typedef krb5_error_code (*KdcCallFunc) (KdcCall *call);

struct _KdcCall
{
  gatomicrefcount ref_count;
  GMutex          lock;
  GCond           cond;
  gboolean        finished;   /* under @lock */
  gboolean        abandoned;  /* under @lock */

  /* Owned; the worker's alone until @finished, the caller's after */
  krb5_context             context;
  KdcCallFunc              func;       /* the exchange */
  KdcCallFunc              commit;     /* (nullable) keeps its result, under @lock */
  krb5_error_code          code;
  char                    *realm;
  /* A login */
  krb5_get_init_creds_opt *options;
  krb5_init_creds_context  init_creds;
  char                    *ccache_name;    /* the new cache, once stored */
  /* A service ticket */
  krb5_ccache              ccache;
  krb5_principal           client;
  char                    *service;
  char                    *host;
  krb5_principal           server;         /* once made */
  gboolean                 peek;           /* from the cache, else the KDC, never stored */
  CradleKrb5TicketInfo     info;           /* what a peek found */
  /* The time in the KDC's answer */
  gint64                   sent_us;        /* real time of the last request */
  gint64                   local_us;       /* half-way between request and answer */
  gint64                   kdc_us;         /* the KDC's stime and susec */
  gboolean                 got_time;
  gboolean                 got_ticket;     /* an AS-REP: no time in the clear */
};

static KdcCall *
kdc_call_new (krb5_context  context,
              KdcCallFunc   func,
              KdcCallFunc   commit,
              const char   *realm)
{
  KdcCall *call = g_new0 (KdcCall, 1);

  g_atomic_ref_count_init (&call->ref_count);
  g_mutex_init (&call->lock);
  g_cond_init (&call->cond);
  call->context = context;
  call->func = func;
  call->commit = commit;
  call->realm = g_strdup (realm);
  return call;
}

static void
kdc_call_unref (KdcCall *call)
{
  if (!g_atomic_ref_count_dec (&call->ref_count))
    return;

  if (call->init_creds != NULL)
    krb5_init_creds_free (call->context, call->init_creds);  /* wipes the password */
  if (call->options != NULL)
    krb5_get_init_creds_opt_free (call->context, call->options);
  if (call->ccache != NULL)
    krb5_cc_close (call->context, call->ccache);
  krb5_free_principal (call->context, call->client);
  krb5_free_principal (call->context, call->server);
  krb5_free_context (call->context);
  g_free (call->realm);
  g_free (call->ccache_name);
  g_free (call->service);
  g_free (call->host);
  g_mutex_clear (&call->lock);
  g_cond_clear (&call->cond);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KdcCall, kdc_call_unref)

/* Runs before each exchange: once the caller has given up, nothing more is sent. */
static krb5_error_code
refuse_when_abandoned (krb5_context      context,
                       void             *data,
                       const krb5_data  *realm,
                       const krb5_data  *message,
                       krb5_data       **new_message_out,
                       krb5_data       **new_reply_out)
{
  KdcCall *call = data;
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&call->lock);

  call->sent_us = g_get_real_time ();
  return call->abandoned ? KRB5_KDC_UNREACH : 0;
}

static gpointer
kdc_call_thread (gpointer data)
{
  g_autoptr(KdcCall) call = data;
  krb5_error_code code = call->func (call);

  g_mutex_lock (&call->lock);
  /* With @finished, in one step: the caller either gets the result, or
   * gave up and nothing was kept. */
  if (code == 0 && call->commit != NULL)
    code = call->abandoned ? KRB5_KDC_UNREACH : call->commit (call);
  call->code = code;
  call->finished = TRUE;
  g_cond_broadcast (&call->cond);
  g_mutex_unlock (&call->lock);
  return NULL;
}

/* Runs @call on a thread and waits for it at most @timeout_seconds.
 * Returns: %TRUE when it finished in time; call->code says how */
static gboolean
kdc_call_run (KdcCall  *call,
              guint     timeout_seconds,
              GError  **error)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_seconds * G_TIME_SPAN_SECOND;
  g_autoptr(GError) local_error = NULL;
  GThread *thread;
  gboolean finished;

  krb5_set_kdc_send_hook (call->context, refuse_when_abandoned, call);
  g_atomic_ref_count_inc (&call->ref_count);
  thread = g_thread_try_new ("cradle-krb5", kdc_call_thread, call, &local_error);
  if (thread == NULL)
    {
      kdc_call_unref (call);
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                   "Could not start a thread to talk to the Kerberos server: %s",
                   local_error->message);
      return FALSE;
    }

  g_mutex_lock (&call->lock);
  while (!call->finished && g_cond_wait_until (&call->cond, &call->lock, deadline))
    ;
  finished = call->finished;
  if (!finished)
    call->abandoned = TRUE;
  g_mutex_unlock (&call->lock);

  /* Finished: wait for the worker to let go of the call, so that the last
   * krb5 call on it (krb5_free_context) is the caller's, never a worker's
   * racing the process's exit, where libkrb5's destructor has destroyed
   * its mutexes (k5_mutex_lock: error 22, abort).  Abandoned: the worker
   * finishes on its own, holding its reference. */
  if (finished)
    g_thread_join (thread);
  else
    g_thread_unref (thread);

  if (!finished)
    {
      g_debug ("Left a Kerberos exchange with %s behind after %u s", call->realm, timeout_seconds);
      cradle_explain_set_error (error, CRADLE_ERROR_TIMED_OUT,
                                CRADLE_EXPLAIN_KERBEROS, CRADLE_KERBEROS_FAILURE_KDC_UNREACHABLE,
                                "No Kerberos server (KDC) of the realm %s answered within %u "
                                "seconds. Check the network connection (and VPN), then retry.",
                                call->realm, timeout_seconds);
      return FALSE;
    }
  return TRUE;
}

static krb5_error_code
get_service_ticket (KdcCall *call)
{
  krb5_creds in = { 0 };
  krb5_creds *out = NULL;
  krb5_error_code code;

  /* May look the host up in DNS (dns_canonicalize_hostname, rdns): so here,
   * on the worker, within the deadline. */
  code = krb5_sname_to_principal (call->context, call->host, call->service, KRB5_NT_SRV_HST,
                                  &call->server);
  if (code != 0)
    return code;

  in.client = call->client;
  in.server = call->server;
  if (!call->peek)
    {
      code = krb5_get_credentials (call->context, 0, call->ccache, &in, &out);
      krb5_free_creds (call->context, out);
      return code;
    }

  /* A diagnosis: the cache's ticket if it holds one, else the KDC's, kept
   * nowhere; only its times and enctypes leave this function. */
  code = krb5_get_credentials (call->context, KRB5_GC_CACHED, call->ccache, &in, &out);
  if (code == KRB5_CC_NOTFOUND || code == KRB5_CC_NOT_KTYPE)
    {
      call->info.from_kdc = TRUE;
      code = krb5_get_credentials (call->context, KRB5_GC_NO_STORE, call->ccache, &in, &out);
    }
  if (code == 0)
    {
      krb5_ticket *ticket = NULL;

      call->info.authtime = (guint32) out->times.authtime;
      call->info.starttime = (guint32) out->times.starttime;
      call->info.endtime = (guint32) out->times.endtime;
      call->info.renew_till = (guint32) out->times.renew_till;
      call->info.session_enctype = out->keyblock.enctype;
      /* Its outer, clear part only: the enctype of the service's key. */
      if (krb5_decode_ticket (&out->ticket, &ticket) == 0)
        {
          call->info.ticket_enctype = ticket->enc_part.enctype;
          krb5_free_ticket (call->context, ticket);
        }
    }
  krb5_free_creds (call->context, out);  /* wipes the session key */
  return code;
}

static gboolean service_ticket (const char            *ccache_name,
                                const char            *service,
                                const char            *host,
                                guint                  timeout_seconds,
                                CradleKrb5TicketInfo  *info_out,
                                GError               **error);

static void
set_service_ticket_error (GError  **error,
                          KdcCall  *call)
{
  g_autofree char *detail = cradle_krb5_dup_detail (call->context, call->code);
  g_autofree char *principal = cradle_krb5_dup_unparsed (call->context, call->client);

  if (cradle_krb5_set_kdc_error (error, call->context, call->code, call->realm))
    return;

  switch (call->code)
    {
    case KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN:
      if (g_strcmp0 (call->service, "ldap") == 0)
        cradle_explain_set_error (error, CRADLE_ERROR_NOT_CONFIGURED,
                                  CRADLE_EXPLAIN_KERBEROS, CRADLE_KERBEROS_FAILURE_SERVER_UNKNOWN,
                                  "The domain %s does not know the service %s/%s %s. Give the "
                                  "domain controller by its full DNS name (as in its "
                                  "dNSHostName), not by an address or a short name.",
                                  call->realm, call->service, call->host, detail);
      else
        cradle_explain_set_error (error, CRADLE_ERROR_NOT_CONFIGURED,
                                  CRADLE_EXPLAIN_KERBEROS, CRADLE_KERBEROS_FAILURE_SERVER_UNKNOWN,
                                  "The domain %s does not know the service %s/%s %s. Use the "
                                  "server's full DNS name in its address, or ask your "
                                  "administrator to register that name for it (setspn).",
                                  call->realm, call->service, call->host, detail);
      break;
    case KRB5KRB_AP_ERR_TKT_EXPIRED:
      cradle_explain_set_error (error, CRADLE_ERROR_AUTH_FAILED,
                                CRADLE_EXPLAIN_KERBEROS, CRADLE_KERBEROS_FAILURE_TICKET_EXPIRED,
                                "Your Kerberos ticket for %s has expired %s. Sign in again "
                                "(kinit), then retry.",
                                principal, detail);
      break;
    case KRB5KRB_AP_ERR_TKT_NYV:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED,
                   "The domain says your Kerberos ticket for %s is not valid yet %s. Check "
                   "this computer's clock, or sign in again (kinit).",
                   principal, detail);
      break;
    case KRB5KDC_ERR_TGT_REVOKED:
    case KRB5KRB_AP_ERR_BAD_INTEGRITY:
    case KRB5KRB_AP_ERR_MODIFIED:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED,
                   "The domain %s no longer accepts your Kerberos ticket for %s %s. "
                   "Sign in again (kinit), then retry.",
                   call->realm, principal, detail);
      break;
    case KRB5KDC_ERR_POLICY:
    case KRB5KDC_ERR_BADOPTION:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
                   "The domain %s refused %s a ticket for %s/%s %s. Ask your administrator.",
                   call->realm, principal, call->service, call->host, detail);
      break;
    default:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                   "Could not get a Kerberos ticket for %s/%s as %s %s",
                   call->service, call->host, principal, detail);
      break;
    }
}

/**
 * cradle_krb5_get_service_ticket:
 * @ccache_name: (nullable): as KRB5CCNAME would name it; %NULL for the default
 * @service: as "ldap"
 * @host: the server's full DNS name, as "dc1.corp.example.test"
 * @timeout_seconds: the longest this call waits for the KDC
 *
 * Checks the cache as cradle_krb5_check_ccache() does, then gets a ticket
 * for @service/@host and stores it in the cache, so that each reason a
 * GSSAPI bind would fail for gets its own error first. Blocks.
 *
 * Returns: %TRUE when the cache holds the ticket; otherwise the errors of
 *   cradle_krb5_check_ccache(), %CRADLE_ERROR_NOT_CONFIGURED (the domain does
 *   not know the service), %CRADLE_ERROR_UNREACHABLE, %CRADLE_ERROR_TIMED_OUT,
 *   %CRADLE_ERROR_AUTH_FAILED (expired, clock skew), ...
 */
gboolean
cradle_krb5_get_service_ticket (const char  *ccache_name,
                                const char  *service,
                                const char  *host,
                                guint        timeout_seconds,
                                GError     **error)
{
  return service_ticket (ccache_name, service, host, timeout_seconds, NULL, error);
}

/**
 * cradle_krb5_peek_service_ticket:
 * @info_out: (out): the ticket's times and encryption types
 *
 * As cradle_krb5_get_service_ticket(), for a diagnosis: the ticket the
 * cache holds if it holds one (then no network), else a ticket from the
 * KDC that is stored nowhere.  Only @info_out leaves this call.
 */
gboolean
cradle_krb5_peek_service_ticket (const char            *ccache_name,
                                 const char            *service,
                                 const char            *host,
                                 guint                  timeout_seconds,
                                 CradleKrb5TicketInfo  *info_out,
                                 GError               **error)
{
  g_return_val_if_fail (info_out != NULL, FALSE);

  return service_ticket (ccache_name, service, host, timeout_seconds, info_out, error);
}

static gboolean
service_ticket (const char            *ccache_name,
                const char            *service,
                const char            *host,
                guint                  timeout_seconds,
                CradleKrb5TicketInfo  *info_out,
                GError               **error)
{
  g_auto(krb5_context) context = NULL;
  g_autoptr(KdcCall) call = NULL;
  g_autofree char *realm = NULL;
  krb5_ccache ccache = NULL;
  krb5_principal client = NULL;

  g_return_val_if_fail (service != NULL && service[0] != '\0', FALSE);
  g_return_val_if_fail (host != NULL && host[0] != '\0', FALSE);
  g_return_val_if_fail (timeout_seconds > 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!cradle_krb5_make_context (&context, error) ||
      !cradle_krb5_resolve_ccache (context, ccache_name, &ccache, error))
    return FALSE;
  client = cradle_krb5_ccache_client (context, ccache, error);
  if (client == NULL)
    {
      krb5_cc_close (context, ccache);
      return FALSE;
    }

  realm = cradle_krb5_dup_realm_of (client);
  call = kdc_call_new (g_steal_pointer (&context), get_service_ticket, NULL, realm);
  call->ccache = ccache;
  call->client = client;
  call->service = g_strdup (service);
  call->host = g_strdup (host);
  call->peek = info_out != NULL;
  if (!kdc_call_run (call, timeout_seconds, error))
    return FALSE;
  if (call->code != 0)
    {
      set_service_ticket_error (error, call);
      return FALSE;
    }
  if (info_out != NULL)
    *info_out = call->info;
  return TRUE;
}

/* A name no other cache of this process has. */
static char *
dup_new_memory_ccache_name (void)
{
  static gint counter = 0;

  return g_strdup_printf (CRADLE_KRB5_MEMORY_CCACHE_PREFIX "%d-%u-%08x", (int) getpid (),
                          (guint) g_atomic_int_add (&counter, 1), g_random_int ());
}

static krb5_error_code
store_login (KdcCall *call)
{
  g_autofree char *name = dup_new_memory_ccache_name ();
  krb5_creds creds = { 0 };
  krb5_ccache ccache = NULL;
  krb5_error_code code;

  code = krb5_init_creds_get_creds (call->context, call->init_creds, &creds);
  if (code != 0)
    return code;
  code = krb5_cc_resolve (call->context, name, &ccache);
  if (code == 0)
    {
      code = krb5_cc_initialize (call->context, ccache, creds.client);
      if (code == 0)
        code = krb5_cc_store_cred (call->context, ccache, &creds);
      if (code != 0)
        krb5_cc_destroy (call->context, ccache);
      else
        krb5_cc_close (call->context, ccache);
    }
  krb5_free_cred_contents (call->context, &creds);
  if (code == 0)
    call->ccache_name = g_steal_pointer (&name);
  return code;
}

static krb5_error_code
password_login (KdcCall *call)
{
  return krb5_init_creds_get (call->context, call->init_creds);
}

static void
set_login_error (GError     **error,
                 KdcCall     *call,
                 const char  *principal)
{
  g_autofree char *detail = cradle_krb5_dup_detail (call->context, call->code);

  if (cradle_krb5_set_kdc_error (error, call->context, call->code, call->realm))
    return;

  switch (call->code)
    {
    case KRB5KDC_ERR_PREAUTH_FAILED:
    case KRB5KRB_AP_ERR_BAD_INTEGRITY:
      cradle_explain_set_error (error, CRADLE_ERROR_AUTH_FAILED,
                                CRADLE_EXPLAIN_KERBEROS, CRADLE_KERBEROS_FAILURE_PREAUTH_FAILED,
                                "The domain %s did not accept the password for %s %s. Check it "
                                "(and Caps Lock), then try again.",
                                call->realm, principal, detail);
      break;
    case KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED,
                   "The domain %s has no account %s %s. Check the user name.",
                   call->realm, principal, detail);
      break;
    case KRB5KDC_ERR_KEY_EXP:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED,
                   "The password of %s has expired, or must be changed at first sign-in %s. "
                   "Change it (kpasswd, or on a domain computer), then sign in again.",
                   principal, detail);
      break;
    case KRB5KDC_ERR_POLICY:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
                   "The domain %s does not let %s sign in now or from here %s. Ask your "
                   "administrator.",
                   call->realm, principal, detail);
      break;
    case KRB5_PREAUTH_FAILED:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "The domain %s asks %s for a kind of sign-in other than a password %s "
                   "(a smart card, say). Sign in that way instead.",
                   call->realm, principal, detail);
      break;
    default:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                   "Could not sign in to %s as %s %s",
                   call->realm, principal, detail);
      break;
    }
}

/* What the user typed, as a principal and the realm to ask:
 *   alice                    alice@REALM
 *   alice@corp.example.test  alice@CORP.EXAMPLE.TEST, if that is the realm
 *   alice@example.com        an enterprise name (a UPN), asked of REALM
 *   CORP\alice               alice@REALM (a NetBIOS name says nothing of the realm)
 *   corp.example.test\alice  alice@CORP.EXAMPLE.TEST
 * where REALM is @realm, else the default realm. */
static gboolean
make_client (krb5_context     context,
             const char      *user,
             const char      *realm,
             krb5_principal  *client_out,
             gboolean        *enterprise_out,
             char           **realm_out,
             GError         **error)
{
  g_autofree char *domain = NULL;
  g_autofree char *account = NULL;
  g_autofree char *suffix = NULL;
  g_autofree char *use_realm = NULL;
  g_autofree char *upper_suffix = NULL;
  g_autofree char *detail = NULL;
  const char *separator;
  krb5_error_code code;

  *enterprise_out = FALSE;
  if ((separator = strchr (user, '\\')) != NULL)
    {
      domain = g_strndup (user, separator - user);
      account = g_strdup (separator + 1);
    }
  else if ((separator = strrchr (user, '@')) != NULL)
    {
      account = g_strndup (user, separator - user);
      suffix = g_strdup (separator + 1);
    }
  else
    account = g_strdup (user);

  if (account[0] == '\0' || strchr (account, '\\') != NULL ||
      (domain != NULL && (domain[0] == '\0' || strchr (domain, '@') != NULL)) ||
      (suffix != NULL && suffix[0] == '\0'))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "'%s' is not a user name. Give it as NAME, NAME@DOMAIN or DOMAIN\\NAME.",
                   user);
      return FALSE;
    }

  if (realm != NULL)
    use_realm = g_strdup (realm);
  else if (domain != NULL && strchr (domain, '.') != NULL)
    use_realm = g_ascii_strup (domain, -1);
  else if ((use_realm = cradle_krb5_context_default_realm (context, suffix != NULL ? NULL : error)) == NULL)
    {
      if (suffix == NULL)
        return FALSE;
      use_realm = g_ascii_strup (suffix, -1);
    }

  upper_suffix = suffix != NULL ? g_ascii_strup (suffix, -1) : NULL;
  if (suffix != NULL && g_strcmp0 (upper_suffix, use_realm) != 0)
    {
      /* One component, "alice@example.com", of type enterprise: the KDC finds the account. */
      code = krb5_build_principal (context, client_out, strlen (use_realm), use_realm,
                                   user, NULL);
      if (code == 0)
        (*client_out)->type = KRB5_NT_ENTERPRISE_PRINCIPAL;
      *enterprise_out = TRUE;
    }
  else
    {
      /* One component, exactly as typed: no escapes, no instance. */
      code = krb5_build_principal (context, client_out, strlen (use_realm), use_realm,
                                   account, NULL);
    }
  if (code != 0)
    {
      detail = cradle_krb5_dup_detail (context, code);
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                   "Could not make a Kerberos name of '%s' %s", user, detail);
      return FALSE;
    }
  *realm_out = g_steal_pointer (&use_realm);
  return TRUE;
}

/**
 * cradle_krb5_password_login:
 * @user: "alice", "alice@corp.example.test" (a UPN) or "CORP\alice"
 * @realm: (nullable): the realm to sign in to; %NULL for the default realm
 * @password: the password; only libkrb5 copies it, and wipes its copy
 * @timeout_seconds: the longest this call waits for the KDC
 *
 * Gets a ticket-granting ticket with a password into a new cache of this
 * process alone, as GSSAPI (cradle_gss_ccache_scope_enter()) can use it.
 * Blocks.
 *
 * Returns: (transfer full): the cache's name, "MEMORY:cradle-…", to give to
 *   cradle_krb5_ccache_destroy() when done; or %NULL with
 *   %CRADLE_ERROR_AUTH_FAILED (wrong password, unknown user, password
 *   expired, clock skew), %CRADLE_ERROR_PERMISSION_DENIED (account disabled
 *   or locked), %CRADLE_ERROR_UNREACHABLE, %CRADLE_ERROR_TIMED_OUT,
 *   %CRADLE_ERROR_NOT_CONFIGURED (no realm, no KDC known for it), ...
 */
char *
cradle_krb5_password_login (const char  *user,
                            const char  *realm,
                            const char  *password,
                            guint        timeout_seconds,
                            GError     **error)
{
  g_auto(krb5_context) context = NULL;
  g_autoptr(KdcCall) call = NULL;
  g_autofree char *use_realm = NULL;
  g_autofree char *principal = NULL;
  g_autofree char *detail = NULL;
  krb5_principal client = NULL;
  gboolean enterprise = FALSE;
  krb5_error_code code;

  g_return_val_if_fail (user != NULL, NULL);
  g_return_val_if_fail (password != NULL, NULL);
  g_return_val_if_fail (timeout_seconds > 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!cradle_krb5_make_context (&context, error) ||
      !make_client (context, user, realm, &client, &enterprise, &use_realm, error))
    return NULL;
  /* For people: "alice@CORP.EXAMPLE.TEST", or the UPN as typed. */
  principal = enterprise ? g_strdup (user) : cradle_krb5_dup_unparsed (context, client);

  call = kdc_call_new (g_steal_pointer (&context), password_login, store_login, use_realm);
  code = krb5_get_init_creds_opt_alloc (call->context, &call->options);
  if (code == 0)
    {
      /* The KDC's spelling ("ALICE" signs in as alice), and UPNs. */
      krb5_get_init_creds_opt_set_canonicalize (call->options, 1);
      /* No prompter: an expired password is an error here, not a dialogue. */
      code = krb5_init_creds_init (call->context, client, NULL, NULL, 0, call->options,
                                   &call->init_creds);
    }
  /* libkrb5 keeps its own copy of the password, and wipes it when freed. */
  if (code == 0)
    code = krb5_init_creds_set_password (call->context, call->init_creds, password);
  krb5_free_principal (call->context, client);
  if (code != 0)
    {
      detail = cradle_krb5_dup_detail (call->context, code);
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                   "Could not prepare to sign in as %s %s", principal, detail);
      return NULL;
    }

  if (!kdc_call_run (call, timeout_seconds, error))
    return NULL;
  if (call->code != 0)
    {
      set_login_error (error, call, principal);
      return NULL;
    }
  g_debug ("Signed in to %s as %s%s into %s", use_realm, principal,
           enterprise ? " (enterprise name)" : "", call->ccache_name);
  return g_steal_pointer (&call->ccache_name);
}

/**
 * cradle_krb5_ccache_destroy:
 * @ccache_name: (nullable): a name cradle_krb5_password_login() returned
 *
 * Destroys the cache and its tickets.
 */
void
cradle_krb5_ccache_destroy (const char *ccache_name)
{
  g_auto(krb5_context) context = NULL;
  krb5_ccache ccache = NULL;
  krb5_error_code code;

  if (ccache_name == NULL)
    return;
  /* Only our own: never the user's desktop cache. */
  g_return_if_fail (g_str_has_prefix (ccache_name, CRADLE_KRB5_MEMORY_CCACHE_PREFIX));

  if (krb5_init_context (&context) != 0)
    return;
  code = krb5_cc_resolve (context, ccache_name, &ccache);
  if (code == 0)
    code = krb5_cc_destroy (context, ccache);
  if (code != 0)
    g_debug ("Could not destroy the credential cache %s: krb5 error %d", ccache_name, (int) code);
}

/* After each exchange: a KRB-ERROR's stime (RFC 4120 5.9.1: always
 * present) is the KDC's clock when it answered.  Once read, the exchange
 * ends here: nothing more is sent. */
static krb5_error_code
read_reply_time (krb5_context      context,
                 void             *data,
                 krb5_error_code   code,
                 const krb5_data  *realm,
                 const krb5_data  *message,
                 const krb5_data  *reply,
                 krb5_data       **new_reply_out)
{
  KdcCall *call = data;
  gint64 received_us = g_get_real_time ();
  krb5_error *answer = NULL;

  if (code != 0 || reply == NULL)
    return code;
  /* KRB-ERROR is [APPLICATION 30], constructed: its first byte is 0x7e. */
  if (reply->length == 0 || (guint8) reply->data[0] != 0x7e)
    {
      /* An AS-REP: the account needs no pre-authentication, and the
       * times of the reply are encrypted. */
      g_mutex_lock (&call->lock);
      call->got_ticket = TRUE;
      g_mutex_unlock (&call->lock);
      return KRB5KDC_ERR_PREAUTH_REQUIRED;
    }
  if (krb5_rd_error (context, reply, &answer) != 0)
    return 0;  /* libkrb5 will say what is wrong with it */

  g_mutex_lock (&call->lock);
  call->kdc_us = (gint64) (guint32) answer->stime * G_USEC_PER_SEC +
                 CLAMP (answer->susec, 0, G_USEC_PER_SEC - 1);
  /* The answer left the KDC somewhere between request and reply. */
  call->local_us = call->sent_us != 0 && call->sent_us <= received_us
                     ? call->sent_us + (received_us - call->sent_us) / 2
                     : received_us;
  call->got_time = TRUE;
  g_mutex_unlock (&call->lock);
  krb5_free_error (context, answer);
  /* Any code ends the exchange; the caller looks at @got_time first. */
  return KRB5KDC_ERR_PREAUTH_REQUIRED;
}

static krb5_error_code
ask_kdc_time (KdcCall *call)
{
  /* No password and no prompter: only the first request, without
   * pre-authentication, can be sent, and the KDC answers it with a
   * KRB-ERROR (PREAUTH_REQUIRED, or C_PRINCIPAL_UNKNOWN, ...). */
  krb5_error_code code = krb5_init_creds_get (call->context, call->init_creds);
  gboolean got_time;

  g_mutex_lock (&call->lock);
  got_time = call->got_time;
  g_mutex_unlock (&call->lock);
  return got_time ? 0 : code;
}

/**
 * cradle_krb5_read_kdc_time:
 * @ccache_name: (nullable): whose client to name in the request; %NULL for
 *   the default cache
 * @use_ccache: %FALSE to name no cache's client (the credentials are not a
 *   cache's)
 * @realm: (nullable): the realm whose KDC to ask, when the cache names no
 *   client; %NULL for the default realm
 * @skew_us_out: (out): this computer's clock minus the KDC's, in
 *   microseconds (positive: this computer is ahead)
 * @realm_out: (out) (optional): the realm asked
 *
 * Reads the KDC's clock from its answer to a request for a ticket-granting
 * ticket without pre-authentication: the KRB-ERROR it answers carries its
 * time in the clear, whatever this computer's clock says (the KDC checks
 * the client's time only in pre-authentication and authenticators).  Needs
 * no ticket and no password, and counts no failed sign-in.  Blocks for at
 * most @timeout_seconds.
 *
 * Returns: %TRUE with @skew_us_out; otherwise %CRADLE_ERROR_UNREACHABLE,
 *   %CRADLE_ERROR_TIMED_OUT, %CRADLE_ERROR_NOT_CONFIGURED (no realm, no KDC
 *   known), %CRADLE_ERROR_NOT_SUPPORTED (an answer without a time), ...
 */
gboolean
cradle_krb5_read_kdc_time (const char  *ccache_name,
                           gboolean     use_ccache,
                           const char  *realm,
                           guint        timeout_seconds,
                           gint64      *skew_us_out,
                           char       **realm_out,
                           GError     **error)
{
  g_auto(krb5_context) context = NULL;
  g_autoptr(KdcCall) call = NULL;
  g_autofree char *use_realm = NULL;
  g_autofree char *detail = NULL;
  krb5_principal client = NULL;
  krb5_ccache ccache = NULL;
  krb5_error_code code;

  g_return_val_if_fail (skew_us_out != NULL, FALSE);
  g_return_val_if_fail (timeout_seconds > 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!cradle_krb5_make_context (&context, error))
    return FALSE;
  /* The cache's client, whatever its tickets' state: the KDC's answer
   * about an account it knows is the ordinary one. */
  code = !use_ccache ? KRB5_CC_NOTFOUND
         : ccache_name != NULL ? krb5_cc_resolve (context, ccache_name, &ccache)
                               : krb5_cc_default (context, &ccache);
  if (code == 0)
    {
      if (krb5_cc_get_principal (context, ccache, &client) != 0)
        client = NULL;
      krb5_cc_close (context, ccache);
    }
  if (client != NULL)
    use_realm = cradle_krb5_dup_realm_of (client);
  else
    {
      use_realm = realm != NULL ? g_ascii_strup (realm, -1)
                                : cradle_krb5_context_default_realm (context, error);
      if (use_realm == NULL)
        return FALSE;
      /* No account to name: the realm's own service, which the KDC
       * refuses as a client, in a KRB-ERROR like any other. */
      code = krb5_build_principal (context, &client, strlen (use_realm), use_realm,
                                   KRB5_TGS_NAME, use_realm, NULL);
      if (code != 0)
        {
          detail = cradle_krb5_dup_detail (context, code);
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                       "Could not make a Kerberos name in %s %s", use_realm, detail);
          return FALSE;
        }
    }

  call = kdc_call_new (g_steal_pointer (&context), ask_kdc_time, NULL, use_realm);
  code = krb5_get_init_creds_opt_alloc (call->context, &call->options);
  if (code == 0)
    code = krb5_init_creds_init (call->context, client, NULL, NULL, 0, call->options,
                                 &call->init_creds);
  krb5_free_principal (call->context, client);
  if (code != 0)
    {
      detail = cradle_krb5_dup_detail (call->context, code);
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                   "Could not prepare a request to the Kerberos server of %s %s",
                   use_realm, detail);
      return FALSE;
    }
  krb5_set_kdc_recv_hook (call->context, read_reply_time, call);

  if (!kdc_call_run (call, timeout_seconds, error))
    return FALSE;
  if (call->code != 0)
    {
      if (call->got_ticket)
        g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                     "The Kerberos server of %s answered with a ticket, whose times are "
                     "encrypted, so its clock could not be read.",
                     use_realm);
      else if (!cradle_krb5_set_kdc_error (error, call->context, call->code, use_realm))
        {
          detail = cradle_krb5_dup_detail (call->context, call->code);
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                       "The Kerberos server of %s gave no answer whose time could be read %s",
                       use_realm, detail);
        }
      return FALSE;
    }
  *skew_us_out = call->local_us - call->kdc_us;
  if (realm_out != NULL)
    *realm_out = g_steal_pointer (&use_realm);
  return TRUE;
}
