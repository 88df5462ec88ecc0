/* cradle-diagnose-ca-net.c: the ca hop's DNS, TCP and TLS checks of one endpoint
 *
 * Each on its own, with the check's deadline: the host name resolves; a
 * TCP connection opens; over it, a TLS handshake that accepts whatever
 * the server sends, so that what it sent can be judged in three parts:
 * the chain against the trust an enrollment would use (the system's
 * roots, the type's or cradle.conf's TrustAnchors and the directory's
 * roots, cradle_http_dup_trust_store()), the server certificate's dates,
 * and its names against the host.  Nothing is sent over the connection.
 */
#include "config.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "support/cradle-diagnose-ca-private.h"
#include "base/cradle-openssl-private.h"
#include "ca/cradle-http-private.h"
#include "policy/cradle-cert-type-private.h"
#include "catalog/cradle-catalog-private.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_STORE, X509_STORE_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_STORE_CTX, X509_STORE_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SSL_CTX, SSL_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SSL, SSL_free)

/* A server certificate ending within this many days is a warning. */
#define EXPIRY_WARNING_DAYS 30

char *
_cradle_diagnose_ca_net_dup_name (const X509_NAME *name)
{
  g_autoptr(BIO) bio = BIO_new (BIO_s_mem ());
  char *data = NULL;
  long length;

  if (bio == NULL || name == NULL ||
      X509_NAME_print_ex (bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0)
    return g_strdup ("(unreadable name)");
  length = BIO_get_mem_data (bio, &data);
  return cradle_text_escape (data, length, CRADLE_TEXT_ESCAPE_DEFAULT);
}

void
_cradle_diagnose_ca_net_dns (CradleDiagnoseCaEndpoint *endpoint)
{
  const char *title = "Host name resolves";
  g_autoptr(CradleDiagnoseDeadline) deadline = NULL;
  g_autoptr(GResolver) resolver = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GString) addresses = g_string_new (NULL);
  GList *found;
  gint64 started = g_get_monotonic_time ();
  GError *error = NULL;

  if (_cradle_diagnose_ca_skip_if_blocked (endpoint, "dns", title))
    return;
  if (g_hostname_is_ip_address (endpoint->raw_host))
    {
      _cradle_diagnose_ca_report (endpoint, "dns", title, CRADLE_CHECK_OK, started, NULL,
                                  "%s is an address: nothing to look up.", endpoint->host);
      return;
    }
  deadline = _cradle_diagnose_deadline_new (endpoint->cancellable, endpoint->timeout_ms);
  resolver = g_resolver_get_default ();
  found = g_resolver_lookup_by_name (resolver, endpoint->raw_host,
                                     _cradle_diagnose_deadline_get_cancellable (deadline), &local_error);
  if (found == NULL)
    {
      if (_cradle_diagnose_deadline_expired (deadline))
        cradle_explain_set_error (&error, CRADLE_ERROR_TIMED_OUT, CRADLE_EXPLAIN_TRANSPORT,
                                  CRADLE_TRANSPORT_FAILURE_TIMED_OUT,
                                  "Looking up the CA's host name %s took longer than %u ms. Check the "
                                  "DNS servers of this computer (resolvectl status).",
                                  endpoint->host, endpoint->timeout_ms);
      else
        {
          g_autofree char *why = cradle_text_escape (local_error->message, -1, CRADLE_TEXT_ESCAPE_DEFAULT);

          cradle_explain_set_error (&error, CRADLE_ERROR_UNREACHABLE, CRADLE_EXPLAIN_TRANSPORT,
                                    CRADLE_TRANSPORT_FAILURE_DNS_NOT_FOUND,
                                    "The CA's host name %s could not be found (%s). Check the network "
                                    "connection and the CA's address.", endpoint->host, why);
        }
      endpoint->blocked = g_strdup_printf ("skipped: %s does not resolve (see DNS)", endpoint->host);
      _cradle_diagnose_ca_report (endpoint, "dns", title, CRADLE_CHECK_FAILED, started, error,
                                  "%s does not resolve.", endpoint->host);
      return;
    }
  for (GList *l = found; l != NULL; l = l->next)
    {
      g_autofree char *text = g_inet_address_to_string (l->data);

      g_string_append_printf (addresses, "%s%s", addresses->len > 0 ? ", " : "", text);
    }
  g_resolver_free_addresses (found);
  _cradle_diagnose_ca_report (endpoint, "dns", title, CRADLE_CHECK_OK, started, NULL,
                              "%s is %s.", endpoint->host, addresses->str);
}

void
_cradle_diagnose_ca_net_tcp (CradleDiagnoseCaEndpoint *endpoint)
{
  const char *title = "TCP connection";
  g_autoptr(CradleDiagnoseDeadline) deadline = NULL;
  g_autoptr(GSocketClient) client = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GSocketAddress) remote = NULL;
  g_autofree char *peer = NULL;
  gint64 started = g_get_monotonic_time ();
  GError *error = NULL;

  if (_cradle_diagnose_ca_skip_if_blocked (endpoint, "tcp", title))
    return;
  deadline = _cradle_diagnose_deadline_new (endpoint->cancellable, endpoint->timeout_ms);
  client = g_socket_client_new ();
  g_socket_client_set_enable_proxy (client, FALSE);
  g_socket_client_set_timeout (client, (endpoint->timeout_ms + 999) / 1000);
  endpoint->connection = g_socket_client_connect_to_host (client, endpoint->raw_host, endpoint->port,
                                                          _cradle_diagnose_deadline_get_cancellable (deadline),
                                                          &local_error);
  if (endpoint->connection == NULL)
    {
      g_autofree char *why = cradle_text_escape (local_error->message, -1, CRADLE_TEXT_ESCAPE_DEFAULT);

      if (_cradle_diagnose_deadline_expired (deadline) ||
          g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        cradle_explain_set_error (&error, CRADLE_ERROR_TIMED_OUT, CRADLE_EXPLAIN_TRANSPORT,
                                  CRADLE_TRANSPORT_FAILURE_TIMED_OUT,
                                  "%s did not accept a connection on port %u within %u ms. A firewall "
                                  "may drop the packets, or the CA is overloaded.",
                                  endpoint->host, endpoint->port, endpoint->timeout_ms);
      else if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
        cradle_explain_set_error (&error, CRADLE_ERROR_UNREACHABLE, CRADLE_EXPLAIN_TRANSPORT,
                                  CRADLE_TRANSPORT_FAILURE_CONNECTION_REFUSED,
                                  "Could not reach the CA at %s port %u (%s). Check that it is running "
                                  "and reachable, then try again.", endpoint->host, endpoint->port, why);
      else if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE) ||
               g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE))
        cradle_explain_set_error (&error, CRADLE_ERROR_UNREACHABLE, CRADLE_EXPLAIN_TRANSPORT,
                                  CRADLE_TRANSPORT_FAILURE_NETWORK_UNREACHABLE,
                                  "There is no route to the CA at %s port %u (%s).",
                                  endpoint->host, endpoint->port, why);
      else
        cradle_explain_set_error (&error, CRADLE_ERROR_UNREACHABLE, CRADLE_EXPLAIN_CRADLE_ERROR,
                                  CRADLE_ERROR_UNREACHABLE, "Could not connect to the CA at %s port %u (%s).",
                                  endpoint->host, endpoint->port, why);
      endpoint->blocked = g_strdup_printf ("skipped: no connection to %s port %u (see TCP connection)",
                                           endpoint->host, endpoint->port);
      _cradle_diagnose_ca_report (endpoint, "tcp", title, CRADLE_CHECK_FAILED, started, error,
                                  "No connection to %s port %u.", endpoint->host, endpoint->port);
      return;
    }
  remote = g_socket_connection_get_remote_address (endpoint->connection, NULL);
  if (G_IS_INET_SOCKET_ADDRESS (remote))
    peer = g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)));
  _cradle_diagnose_ca_report (endpoint, "tcp", title, CRADLE_CHECK_OK, started, NULL,
                              "Connected to %s port %u%s%s%s.", endpoint->host, endpoint->port,
                              peer != NULL ? " (" : "", peer != NULL ? peer : "", peer != NULL ? ")" : "");
}

/* The handshake over the connection, within the deadline; what the server
 * sent in @endpoint->tls_chain.  %FALSE with @error when it failed. */
static gboolean
handshake (CradleDiagnoseCaEndpoint  *endpoint,
           gint64                     deadline,
           GError                   **error)
{
  GSocket *socket = g_socket_connection_get_socket (endpoint->connection);
  g_autoptr(SSL_CTX) context = SSL_CTX_new (TLS_client_method ());
  g_autoptr(SSL) ssl = NULL;
  STACK_OF (X509) *chain;

  if (context == NULL || (ssl = SSL_new (context)) == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_FAILED, "Could not set up TLS (out of memory?).");
      return FALSE;
    }
  SSL_CTX_set_min_proto_version (context, TLS1_2_VERSION);
  SSL_set_verify (ssl, SSL_VERIFY_NONE, NULL);
  SSL_set_fd (ssl, g_socket_get_fd (socket));
  if (!g_hostname_is_ip_address (endpoint->raw_host))
    SSL_set_tlsext_host_name (ssl, endpoint->raw_host);
  ERR_clear_error ();
  for (;;)
    {
      int result = SSL_connect (ssl);
      GIOCondition wanted;
      gint64 left;
      g_autoptr(GError) wait_error = NULL;

      if (result == 1)
        break;
      switch (SSL_get_error (ssl, result))
        {
        case SSL_ERROR_WANT_READ:
          wanted = G_IO_IN;
          break;
        case SSL_ERROR_WANT_WRITE:
          wanted = G_IO_OUT;
          break;
        default:
          {
            g_autofree char *why = cradle_openssl_dup_errors ();
            g_autofree char *escaped = cradle_text_escape (why != NULL && *why != '\0' ? why : "the server closed the connection",
                                                           -1, CRADLE_TEXT_ESCAPE_DEFAULT);

            cradle_explain_set_error (error, CRADLE_ERROR_NOT_CONFIGURED, CRADLE_EXPLAIN_TLS,
                                      CRADLE_TLS_FAILURE_HANDSHAKE,
                                      "The secure connection to %s failed (%s). Check that port %u "
                                      "speaks TLS 1.2 or later.", endpoint->host, escaped, endpoint->port);
            return FALSE;
          }
        }
      left = deadline - g_get_monotonic_time ();
      if (left <= 0 || !g_socket_condition_timed_wait (socket, wanted, left, endpoint->cancellable, &wait_error))
        {
          cradle_explain_set_error (error, CRADLE_ERROR_TIMED_OUT, CRADLE_EXPLAIN_TRANSPORT,
                                    CRADLE_TRANSPORT_FAILURE_TIMED_OUT,
                                    "%s did not finish the TLS handshake within %u ms.",
                                    endpoint->host, endpoint->timeout_ms);
          return FALSE;
        }
    }
  chain = SSL_get_peer_cert_chain (ssl);
  for (int i = 0; chain != NULL && i < sk_X509_num (chain); i++)
    {
      X509 *certificate = sk_X509_value (chain, i);

      X509_up_ref (certificate);
      g_ptr_array_add (endpoint->tls_chain, certificate);
    }
  if (endpoint->tls_chain->len == 0)
    {
      cradle_explain_set_error (error, CRADLE_ERROR_NOT_CONFIGURED, CRADLE_EXPLAIN_TLS, CRADLE_TLS_FAILURE_UNTRUSTED,
                                "%s sent no TLS certificate.", endpoint->host);
      return FALSE;
    }
  return TRUE;
}

/* The store an enrollment's TLS would use for this type. */
static X509_STORE *
dup_store (CradleDiagnoseCaEndpoint *endpoint)
{
  CradleCatalog *catalog = cradle_cert_type_get_catalog (endpoint->type);
  g_autoptr(GPtrArray) roots = NULL;

  if (catalog != NULL && cradle_cert_type_get_trust_directory_roots ())
    roots = cradle_catalog_dup_directory_roots (catalog);
  return cradle_http_dup_trust_store (cradle_cert_type_get_trust_anchors (endpoint->type), roots, TRUE);
}

static gboolean
check_chain (CradleDiagnoseCaEndpoint *endpoint,
             gint64                    started)
{
  const char *title = "TLS certificate chain";
  g_autoptr(X509_STORE) store = dup_store (endpoint);
  g_autoptr(X509_STORE_CTX) context = X509_STORE_CTX_new ();
  STACK_OF (X509) *untrusted = sk_X509_new_null ();
  g_autoptr(GString) path = g_string_new (NULL);
  const char *anchors = cradle_cert_type_get_trust_anchors (endpoint->type);
  g_autofree char *anchors_text = cradle_text_escape (anchors, -1, CRADLE_TEXT_ESCAPE_DEFAULT);
  GError *error = NULL;
  int ok;

  for (guint i = 1; i < endpoint->tls_chain->len; i++)
    sk_X509_push (untrusted, endpoint->tls_chain->pdata[i]);
  if (store == NULL || context == NULL ||
      !X509_STORE_CTX_init (context, store, endpoint->tls_chain->pdata[0], untrusted))
    {
      sk_X509_free (untrusted);
      cradle_explain_set_error (&error, CRADLE_ERROR_NOT_CONFIGURED, CRADLE_EXPLAIN_TLS, CRADLE_TLS_FAILURE_UNTRUSTED,
                                "The trusted certificates could not be read (%s).",
                                anchors_text != NULL ? anchors_text : "the system's store");
      _cradle_diagnose_ca_report (endpoint, "tls-chain", title, CRADLE_CHECK_FAILED, started, error,
                                  "The trust store could not be built.");
      return FALSE;
    }
  /* Dates are the expiry check's. */
  X509_VERIFY_PARAM_set_flags (X509_STORE_CTX_get0_param (context), X509_V_FLAG_NO_CHECK_TIME);
  ok = X509_verify_cert (context);
  if (ok == 1)
    {
      STACK_OF (X509) *verified = X509_STORE_CTX_get0_chain (context);

      for (int i = 0; verified != NULL && i < sk_X509_num (verified); i++)
        {
          g_autofree char *name = _cradle_diagnose_ca_net_dup_name (X509_get_subject_name (sk_X509_value (verified, i)));

          g_string_append_printf (path, "%s%s", i > 0 ? " <- " : "", name);
        }
      sk_X509_free (untrusted);
      _cradle_diagnose_ca_report (endpoint, "tls-chain", title, CRADLE_CHECK_OK, started, NULL,
                                  "Trusted: %s (trust: the system's roots%s%s%s).", path->str,
                                  anchors_text != NULL ? ", " : "", anchors_text != NULL ? anchors_text : "",
                                  cradle_cert_type_get_catalog (endpoint->type) != NULL ? ", the directory's roots" : "");
      return TRUE;
    }
  else
    {
      int code = X509_STORE_CTX_get_error (context);
      X509 *leaf = endpoint->tls_chain->pdata[0];
      X509 *last = endpoint->tls_chain->pdata[endpoint->tls_chain->len - 1];
      g_autofree char *leaf_name = _cradle_diagnose_ca_net_dup_name (X509_get_subject_name (leaf));
      g_autofree char *issuer = _cradle_diagnose_ca_net_dup_name (X509_get_issuer_name (last));

      sk_X509_free (untrusted);
      cradle_explain_set_error (&error, CRADLE_ERROR_NOT_CONFIGURED, CRADLE_EXPLAIN_TLS,
                                code == X509_V_ERR_CERT_REVOKED ? CRADLE_TLS_FAILURE_REVOKED
                                                                : CRADLE_TLS_FAILURE_UNTRUSTED,
                                "The TLS certificate of %s is not trusted (%s). An enrollment would "
                                "send nothing. Ask your administrator to add the CA's root to the "
                                "trusted certificates%s%s%s, or check that the address is right.",
                                endpoint->host, X509_verify_cert_error_string (code),
                                anchors_text != NULL ? " (TrustAnchors is " : "",
                                anchors_text != NULL ? anchors_text : "", anchors_text != NULL ? ")" : "");
      _cradle_diagnose_ca_report (endpoint, "tls-chain", title, CRADLE_CHECK_FAILED, started, error,
                                  "Not trusted: %s, issued by %s; %s.%s%s%s", leaf_name, issuer,
                                  X509_verify_cert_error_string (code),
                                  anchors_text != NULL ? " Trust anchors: the system's and " : "",
                                  anchors_text != NULL ? anchors_text : "", anchors_text != NULL ? "." : "");
      return FALSE;
    }
}

static gboolean
check_expiry (CradleDiagnoseCaEndpoint *endpoint,
              gint64                    started)
{
  const char *title = "TLS certificate dates";
  X509 *leaf = endpoint->tls_chain->pdata[0];
  const ASN1_TIME *not_before = X509_get0_notBefore (leaf);
  const ASN1_TIME *not_after = X509_get0_notAfter (leaf);
  g_autoptr(BIO) bio = BIO_new (BIO_s_mem ());
  g_autofree char *until = NULL;
  char *data = NULL;
  long length;
  int days = 0, seconds = 0;
  GError *error = NULL;

  if (bio != NULL && ASN1_TIME_print (bio, not_after) == 1 && (length = BIO_get_mem_data (bio, &data)) > 0)
    until = g_strndup (data, length);
  if (X509_cmp_current_time (not_before) > 0)
    {
      cradle_explain_set_error (&error, CRADLE_ERROR_NOT_CONFIGURED, CRADLE_EXPLAIN_TLS, CRADLE_TLS_FAILURE_EXPIRED,
                                "The TLS certificate of %s is not valid yet. Check this computer's "
                                "date and time.", endpoint->host);
      _cradle_diagnose_ca_report (endpoint, "tls-expiry", title, CRADLE_CHECK_FAILED, started, error,
                                  "Not valid yet.");
      return FALSE;
    }
  if (X509_cmp_current_time (not_after) < 0)
    {
      cradle_explain_set_error (&error, CRADLE_ERROR_NOT_CONFIGURED, CRADLE_EXPLAIN_TLS, CRADLE_TLS_FAILURE_EXPIRED,
                                "The TLS certificate of %s expired on %s. Tell your administrator; "
                                "it must be renewed.", endpoint->host, until != NULL ? until : "an unreadable date");
      _cradle_diagnose_ca_report (endpoint, "tls-expiry", title, CRADLE_CHECK_FAILED, started, error,
                                  "Expired on %s.", until != NULL ? until : "an unreadable date");
      return FALSE;
    }
  if (ASN1_TIME_diff (&days, &seconds, NULL, not_after) == 1 && days < EXPIRY_WARNING_DAYS)
    {
      cradle_explain_set_error (&error, CRADLE_ERROR_NOT_CONFIGURED, CRADLE_EXPLAIN_TLS, CRADLE_TLS_FAILURE_EXPIRED,
                                "The TLS certificate of %s expires in %d days (%s). Tell your "
                                "administrator to renew it.", endpoint->host, days, until != NULL ? until : "");
      _cradle_diagnose_ca_report (endpoint, "tls-expiry", title, CRADLE_CHECK_WARNING, started, error,
                                  "Valid, but only until %s (%d days).", until != NULL ? until : "?", days);
      return TRUE;
    }
  _cradle_diagnose_ca_report (endpoint, "tls-expiry", title, CRADLE_CHECK_OK, started, NULL,
                              "Valid until %s (%d days).", until != NULL ? until : "?", days);
  return TRUE;
}

static gboolean
check_name (CradleDiagnoseCaEndpoint *endpoint,
            gint64                    started)
{
  const char *title = "TLS certificate name";
  X509 *leaf = endpoint->tls_chain->pdata[0];
  g_autoptr(GENERAL_NAMES) names = X509_get_ext_d2i (leaf, NID_subject_alt_name, NULL, NULL);
  g_autoptr(GString) listed = g_string_new (NULL);
  gboolean matches;
  GError *error = NULL;

  for (int i = 0; names != NULL && i < sk_GENERAL_NAME_num (names) && i < 16; i++)
    {
      GENERAL_NAME *name = sk_GENERAL_NAME_value (names, i);

      if (name->type == GEN_DNS)
        {
          g_autofree char *text = cradle_text_escape ((const char *) ASN1_STRING_get0_data (name->d.dNSName),
                                                      ASN1_STRING_length (name->d.dNSName),
                                                      CRADLE_TEXT_ESCAPE_DEFAULT);

          g_string_append_printf (listed, "%s%s", listed->len > 0 ? ", " : "", text);
        }
    }
  if (g_hostname_is_ip_address (endpoint->raw_host))
    matches = X509_check_ip_asc (leaf, endpoint->raw_host, 0) == 1;
  else
    matches = X509_check_host (leaf, endpoint->raw_host, 0, 0, NULL) == 1;
  if (matches)
    {
      _cradle_diagnose_ca_report (endpoint, "tls-name", title, CRADLE_CHECK_OK, started, NULL,
                                  "It is for %s (%s%s).", endpoint->host, listed->len > 0 ? "its DNS names: " : "",
                                  listed->len > 0 ? listed->str : "by its subject");
      return TRUE;
    }
  cradle_explain_set_error (&error, CRADLE_ERROR_NOT_CONFIGURED, CRADLE_EXPLAIN_TLS,
                            CRADLE_TLS_FAILURE_HOSTNAME_MISMATCH,
                            "The TLS certificate of %s is for %s, not for the name Cradle connects to. "
                            "Use the host name the certificate names in the type's URL, or reissue it.",
                            endpoint->host, listed->len > 0 ? listed->str : "other names");
  _cradle_diagnose_ca_report (endpoint, "tls-name", title, CRADLE_CHECK_FAILED, started, error,
                              "It names %s, not %s.", listed->len > 0 ? listed->str : "no DNS name", endpoint->host);
  return FALSE;
}

void
_cradle_diagnose_ca_net_tls (CradleDiagnoseCaEndpoint *endpoint)
{
  gint64 started = g_get_monotonic_time ();
  gint64 deadline = started + (gint64) endpoint->timeout_ms * G_TIME_SPAN_MILLISECOND;
  GError *error = NULL;
  gboolean trusted;

  if (!endpoint->https)
    {
      gboolean scep = cradle_cert_type_get_protocol (endpoint->type) == CRADLE_CA_PROTOCOL_SCEP;

      if (scep || cradle_cert_type_get_allow_plain_http (endpoint->type))
        {
          const char *why = scep
            ? "skipped: SCEP over plain HTTP, as SCEP is made: its messages are signed and encrypted, and the "
              "CA's certificate is checked against the type's TrustAnchors (see The service's own answer)"
            : "skipped: plain HTTP, which the administrator allowed for this type: there is no TLS "
              "(what is sent and received can be read and changed on the way)";

          _cradle_diagnose_ca_report (endpoint, "tls-chain", "TLS certificate chain", CRADLE_CHECK_SKIPPED, 0, NULL, "%s", why);
          _cradle_diagnose_ca_report (endpoint, "tls-expiry", "TLS certificate dates", CRADLE_CHECK_SKIPPED, 0, NULL, "%s", why);
          _cradle_diagnose_ca_report (endpoint, "tls-name", "TLS certificate name", CRADLE_CHECK_SKIPPED, 0, NULL, "%s", why);
          return;
        }
      cradle_explain_set_error (&error, CRADLE_ERROR_NOT_CONFIGURED, CRADLE_EXPLAIN_TRANSPORT,
                                CRADLE_TRANSPORT_FAILURE_PLAIN_HTTP_REFUSED,
                                "Cradle refuses to contact %s: its address is not https:// and plain HTTP "
                                "is not allowed for this certificate type. Ask your administrator for the "
                                "https:// address of the CA.", endpoint->host);
      endpoint->blocked = g_strdup ("skipped: plain HTTP is refused for this type (see TLS)");
      _cradle_diagnose_ca_report (endpoint, "tls-chain", "TLS certificate chain", CRADLE_CHECK_FAILED, started, error,
                                  "The address is plain http://.");
      return;
    }
  if (_cradle_diagnose_ca_skip_if_blocked (endpoint, "tls-chain", "TLS certificate chain"))
    {
      _cradle_diagnose_ca_skip_if_blocked (endpoint, "tls-expiry", "TLS certificate dates");
      _cradle_diagnose_ca_skip_if_blocked (endpoint, "tls-name", "TLS certificate name");
      return;
    }
  if (!handshake (endpoint, deadline, &error))
    {
      endpoint->blocked = g_strdup_printf ("skipped: no TLS connection to %s (see TLS certificate chain)",
                                           endpoint->host);
      _cradle_diagnose_ca_report (endpoint, "tls-chain", "TLS certificate chain", CRADLE_CHECK_FAILED, started, error,
                                  "No TLS connection.");
      _cradle_diagnose_ca_skip_if_blocked (endpoint, "tls-expiry", "TLS certificate dates");
      _cradle_diagnose_ca_skip_if_blocked (endpoint, "tls-name", "TLS certificate name");
      return;
    }
  /* All three are told, whatever the first says. */
  trusted = check_chain (endpoint, started);
  trusted = check_expiry (endpoint, g_get_monotonic_time ()) && trusted;
  trusted = check_name (endpoint, g_get_monotonic_time ()) && trusted;
  if (!trusted)
    endpoint->blocked = g_strdup_printf ("skipped: an enrollment would not trust the TLS connection to %s "
                                         "(see TLS)", endpoint->host);
}
