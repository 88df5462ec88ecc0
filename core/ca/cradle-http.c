/* cradle-http.c: HTTP(S) exchanges with a CA, through libcurl
 *
 * One place decides how Cradle talks HTTP to a CA: TLS verified against the
 * system store plus configured anchors (and the directory's roots for the
 * enterprise CA's endpoints), Basic and Negotiate only over TLS, Negotiate
 * with the chosen Kerberos cache, a deadline for the whole exchange, a
 * ceiling on what the server may send, proxies from the environment, no
 * redirects.  The TLS trust store every exchange shares is built in
 * cradle-http-trust.c.
 */
#include "config.h"

#include <stdlib.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <cradle/cradle.h>
#include "ca/cradle-curl-private.h"
#include "kerberos/cradle-gss-private.h"
#include "ca/cradle-http-private.h"
#include "base/cradle-openssl-private.h"

#define DEFAULT_TIMEOUT_S        30
#define DEFAULT_MAX_RESPONSE     (4 * 1024 * 1024)
#define MAX_RETRY_AFTER_S        (7 * 24 * 3600)

struct _CradleHttp
{
  CradleHttpAuth auth;
  char          *ccache_name;
  char          *user;
  char          *password;       /* wiped */
  char          *anchors_file;
  GPtrArray     *anchor_certificates;  /* of GBytes (DER), %NULL: none */
  char          *anchor_key;           /* their SHA-256s, to name the store */
  char          *client_certificate;
  char          *client_key;
  guint          timeout_s;
  gsize          max_response;
  gboolean       allow_plain_http;
  /* Kept between exchanges, so the next one to the same server goes over
   * the same connection (no second TCP and TLS handshake); dropped when
   * the credentials or the trust change. */
  CURL          *curl;
};

typedef struct
{
  GByteArray   *body;
  gsize         max;
  gboolean      too_large;
  GCancellable *cancellable;
  char         *content_type;
  guint         retry_after;
} Exchange;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_STORE, X509_STORE_free)

CradleHttp *
cradle_http_new (void)
{
  static gsize initialised = 0;
  CradleHttp *self;

  if (g_once_init_enter (&initialised))
    {
      /* Registered after OpenSSL's own handler, so it runs before it. */
      atexit (cradle_http_join_background);
      g_once_init_leave (&initialised, 1);
    }

  self = g_new0 (CradleHttp, 1);
  self->timeout_s = DEFAULT_TIMEOUT_S;
  self->max_response = DEFAULT_MAX_RESPONSE;
  return self;
}

void
cradle_http_free (CradleHttp *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->password, cradle_secret_free);
  g_free (self->user);
  g_free (self->ccache_name);
  g_free (self->anchors_file);
  g_clear_pointer (&self->anchor_certificates, g_ptr_array_unref);
  g_free (self->anchor_key);
  g_free (self->client_certificate);
  g_free (self->client_key);
  g_clear_pointer (&self->curl, sym_curl_easy_cleanup);
  g_free (self);
}

void
cradle_http_set_timeout (CradleHttp *self,
                         guint       seconds)
{
  self->timeout_s = seconds > 0 ? seconds : DEFAULT_TIMEOUT_S;
}

void
cradle_http_set_max_response_size (CradleHttp *self,
                                   gsize       bytes)
{
  self->max_response = bytes > 0 ? bytes : DEFAULT_MAX_RESPONSE;
}

void
cradle_http_set_allow_plain_http (CradleHttp *self,
                                  gboolean    allow)
{
  self->allow_plain_http = allow;
}

void
cradle_http_add_trust_anchors (CradleHttp *self,
                               const char *pem_file)
{
  g_free (self->anchors_file);
  self->anchors_file = g_strdup (pem_file);
  g_clear_pointer (&self->curl, sym_curl_easy_cleanup);
}

const char *
cradle_http_get_trust_anchors_file (CradleHttp *self)
{
  return self->anchors_file;
}

void
cradle_http_add_trust_certificates (CradleHttp *self,
                                    GPtrArray  *certificates)
{
  g_clear_pointer (&self->anchor_certificates, g_ptr_array_unref);
  g_clear_pointer (&self->anchor_key, g_free);
  if (certificates != NULL && certificates->len > 0)
    self->anchor_certificates = _cradle_http_dup_der_list (certificates, &self->anchor_key);
  g_clear_pointer (&self->curl, sym_curl_easy_cleanup);
}

void
cradle_http_set_client_certificate (CradleHttp *self,
                                    const char *certificate_file,
                                    const char *key_file)
{
  g_free (self->client_certificate);
  g_free (self->client_key);
  self->client_certificate = g_strdup (certificate_file);
  self->client_key = g_strdup (key_file);
  g_clear_pointer (&self->curl, sym_curl_easy_cleanup);
}

void
cradle_http_set_negotiate (CradleHttp *self,
                           const char *ccache_name)
{
  self->auth = CRADLE_HTTP_AUTH_NEGOTIATE;
  g_free (self->ccache_name);
  self->ccache_name = g_strdup (ccache_name);
  g_clear_pointer (&self->curl, sym_curl_easy_cleanup);
}

void
cradle_http_set_basic (CradleHttp *self,
                       const char *user,
                       const char *password)
{
  self->auth = CRADLE_HTTP_AUTH_BASIC;
  g_clear_pointer (&self->curl, sym_curl_easy_cleanup);
  g_free (self->user);
  self->user = g_strdup (user);
  g_clear_pointer (&self->password, cradle_secret_free);
  self->password = g_strdup (password);
}

CradleHttpAuth
cradle_http_get_auth (CradleHttp *self)
{
  return self->auth;
}

char *
cradle_http_dup_host (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  if (uri == NULL || g_uri_get_host (uri) == NULL)
    return g_strdup (url);
  return g_strdup (g_uri_get_host (uri));
}

gboolean
cradle_http_response_has_type (const CradleHttpResponse *response,
                               const char               *type)
{
  const char *ct = response->content_type;
  gsize n = strlen (type);

  if (ct == NULL)
    return FALSE;
  while (*ct == ' ')
    ct++;
  return g_ascii_strncasecmp (ct, type, n) == 0 &&
         (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

void
cradle_http_response_free (CradleHttpResponse *response)
{
  if (response == NULL)
    return;
  g_free (response->content_type);
  g_clear_pointer (&response->body, g_bytes_unref);
  g_free (response);
}

/* ---- libcurl callbacks --------------------------------------------------- */

static size_t
on_body (char   *data,
         size_t  size,
         size_t  count,
         void   *user_data)
{
  Exchange *exchange = user_data;
  gsize n = size * count;

  if (exchange->body->len + n > exchange->max)
    {
      exchange->too_large = TRUE;
      return 0;  /* makes libcurl stop with CURLE_WRITE_ERROR */
    }
  g_byte_array_append (exchange->body, (const guint8 *) data, n);
  return n;
}

/* Retry-After is either seconds or an HTTP date (RFC 9110 10.2.3). */
static guint
parse_retry_after (const char *value)
{
  guint64 seconds;
  time_t when;

  if (g_ascii_string_to_unsigned (value, 10, 0, MAX_RETRY_AFTER_S, &seconds, NULL))
    return (guint) seconds;
  when = sym_curl_getdate (value, NULL);
  if (when > 0)
    {
      gint64 delta = (gint64) when - g_get_real_time () / G_USEC_PER_SEC;
      return (guint) CLAMP (delta, 0, MAX_RETRY_AFTER_S);
    }
  return 0;
}

static size_t
on_header (char   *data,
           size_t  size,
           size_t  count,
           void   *user_data)
{
  Exchange *exchange = user_data;
  gsize n = size * count;
  g_autofree char *line = g_strndup (data, n);
  char *colon = strchr (line, ':');
  g_autofree char *name = NULL;
  const char *value;

  /* A new status line (after a 401 challenge) starts a new header set. */
  if (g_str_has_prefix (line, "HTTP/"))
    {
      g_clear_pointer (&exchange->content_type, g_free);
      exchange->retry_after = 0;
      return n;
    }
  if (colon == NULL)
    return n;
  name = g_strndup (line, colon - line);
  value = g_strstrip (colon + 1);
  if (g_ascii_strcasecmp (name, "Content-Type") == 0)
    {
      g_free (exchange->content_type);
      exchange->content_type = g_strdup (value);
    }
  else if (g_ascii_strcasecmp (name, "Retry-After") == 0)
    exchange->retry_after = parse_retry_after (value);
  return n;
}

static int
on_progress (void       *user_data,
             curl_off_t  dltotal,
             curl_off_t  dlnow,
             curl_off_t  ultotal,
             curl_off_t  ulnow)
{
  Exchange *exchange = user_data;

  return g_cancellable_is_cancelled (exchange->cancellable) ? 1 : 0;
}

void
cradle_http_prepare_trust (CradleHttp *self,
                           const char *url)
{
  g_autofree char *scheme = g_uri_parse_scheme (url);

  /* Built for plain http:// too: the chain of what the CA issues is
   * verified against the anchors first and then against the system's roots
   * too (cradle-enrollment-chain.c).  TLS needs the system's; a chain
   * checked against a type's anchors only does not, unless it fails. */
  _cradle_http_prepare_trust_store (self->anchors_file, self->anchor_certificates, self->anchor_key,
                                    (scheme != NULL && g_ascii_strcasecmp (scheme, "https") == 0) ||
                                    (self->anchors_file == NULL && self->anchor_certificates == NULL));
}

/* Puts the shared store in the connection's context; libcurl was told to
 * load nothing itself.  No store: refused, as libcurl did for a bad file. */
static CURLcode
on_ssl_context (CURL *curl,
                void *ssl_context,
                void *user_data)
{
  X509_STORE *store = user_data;

  if (store == NULL)
    return CURLE_SSL_CACERT_BADFILE;
  SSL_CTX_set1_cert_store (ssl_context, store);
  return CURLE_OK;
}

/* ---- errors -------------------------------------------------------------- */

/* The precise cause, for the explanation table (cradle-explain.h). */
static gboolean
classify (CURLcode           code,
          const char        *detail,
          gboolean           too_large,
          CradleExplainKind *kind,
          guint32           *cause)
{
  *kind = CRADLE_EXPLAIN_TRANSPORT;
  switch (code)
    {
    case CURLE_OPERATION_TIMEDOUT:    *cause = CRADLE_TRANSPORT_FAILURE_TIMED_OUT; return TRUE;
    case CURLE_COULDNT_RESOLVE_HOST:  *cause = CRADLE_TRANSPORT_FAILURE_DNS_NOT_FOUND; return TRUE;
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_PROXY:                 *cause = CRADLE_TRANSPORT_FAILURE_PROXY; return TRUE;
    case CURLE_COULDNT_CONNECT:       *cause = CRADLE_TRANSPORT_FAILURE_CONNECTION_REFUSED; return TRUE;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:          *cause = CRADLE_TRANSPORT_FAILURE_CONNECTION_CLOSED; return TRUE;
    case CURLE_UNSUPPORTED_PROTOCOL:  *cause = CRADLE_TRANSPORT_FAILURE_PLAIN_HTTP_REFUSED; return TRUE;
    case CURLE_FILESIZE_EXCEEDED:     *cause = CRADLE_TRANSPORT_FAILURE_RESPONSE_TOO_LARGE; return TRUE;
    case CURLE_WRITE_ERROR:
      *cause = CRADLE_TRANSPORT_FAILURE_RESPONSE_TOO_LARGE;
      return too_large;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
      *kind = CRADLE_EXPLAIN_TLS;
      if (strstr (detail, "expired") != NULL || strstr (detail, "not yet valid") != NULL)
        *cause = CRADLE_TLS_FAILURE_EXPIRED;
      else if (strstr (detail, "subject name") != NULL || strstr (detail, "alternative") != NULL)
        *cause = CRADLE_TLS_FAILURE_HOSTNAME_MISMATCH;
      else if (strstr (detail, "revoked") != NULL)
        *cause = CRADLE_TLS_FAILURE_REVOKED;
      else
        *cause = CRADLE_TLS_FAILURE_UNTRUSTED;
      return TRUE;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CIPHER:
      *kind = CRADLE_EXPLAIN_TLS;
      *cause = strstr (detail, "certificate required") != NULL ? CRADLE_TLS_FAILURE_CLIENT_CERT_REQUIRED
                                                              : CRADLE_TLS_FAILURE_HANDSHAKE;
      return TRUE;
    default:
      return FALSE;
    }
}

static void
set_transport_error_text (GError         **error,
                     CURLcode         code,
                     const char      *detail,
                     const char      *url,
                     const CradleHttp *self,
                     const Exchange  *exchange)
{
  g_autofree char *host = cradle_http_dup_host (url);
  const char *why = detail[0] != '\0' ? detail : sym_curl_easy_strerror (code);

  switch (code)
    {
    case CURLE_ABORTED_BY_CALLBACK:
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                   "The exchange with %s was cancelled.", host);
      return;
    case CURLE_WRITE_ERROR:
    case CURLE_FILESIZE_EXCEEDED:
      if (exchange->too_large || code == CURLE_FILESIZE_EXCEEDED)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "The answer from %s is larger than the %" G_GSIZE_FORMAT
                       " bytes Cradle accepts, so it was not read. The server may be "
                       "misconfigured or not a CA; check the URL, or ask your "
                       "administrator to raise the limit.",
                       host, self->max_response);
          return;
        }
      break;
    case CURLE_OPERATION_TIMEDOUT:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_TIMED_OUT,
                   "%s did not answer within %u seconds. The CA may be overloaded "
                   "or down; try again later.", host, self->timeout_s);
      return;
    case CURLE_COULDNT_RESOLVE_HOST:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE,
                   "The CA's host name %s could not be found (%s). Check the network "
                   "connection and the CA's address.", host, why);
      return;
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_PROXY:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE,
                   "The proxy for %s could not be used (%s). Check the proxy "
                   "settings (https_proxy, no_proxy).", host, why);
      return;
    case CURLE_COULDNT_CONNECT:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE,
                   "Could not reach the CA at %s (%s). Check that it is running and "
                   "reachable, then try again.", host, why);
      return;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "The TLS certificate of %s is not trusted (%s). Cradle did not send "
                   "anything. Ask your administrator to add the CA's root to the "
                   "trusted certificates, or check that the address is right.",
                   host, why);
      return;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "The secure connection to %s failed (%s). The server may require a "
                   "client certificate or settings Cradle does not have; ask your "
                   "administrator.", host, why);
      return;
    case CURLE_UNSUPPORTED_PROTOCOL:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "Cradle refused to contact %s: its address is not https:// and "
                   "plain HTTP is not allowed for this certificate type. Ask your "
                   "administrator for the https:// address of the CA.", url);
      return;
    default:
      break;
    }
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
               "The exchange with %s failed: %s.", host, why);
}

static void
set_transport_error (GError         **error,
                     CURLcode         code,
                     const char      *detail,
                     const char      *url,
                     const CradleHttp *self,
                     const Exchange  *exchange)
{
  CradleExplainKind kind;
  guint32 cause;

  set_transport_error_text (error, code, detail, url, self, exchange);
  if (error != NULL && *error != NULL && (*error)->domain == CRADLE_ERROR &&
      classify (code, detail, exchange != NULL && exchange->too_large, &kind, &cause))
    cradle_explain_set_detail (*error, kind, cause);
}

static gboolean
check_url (CradleHttp  *self,
           const char  *url,
           gboolean     authenticate,
           GError     **error)
{
  g_autofree char *scheme = g_uri_parse_scheme (url);
  gboolean https = scheme != NULL && g_ascii_strcasecmp (scheme, "https") == 0;
  gboolean http = scheme != NULL && g_ascii_strcasecmp (scheme, "http") == 0;

  if (!https && !(http && self->allow_plain_http))
    {
      set_transport_error (error, CURLE_UNSUPPORTED_PROTOCOL, "", url, self, NULL);
      return FALSE;
    }
  /* A password never crosses the network in the clear, whatever is allowed. */
  if (!https && authenticate && self->auth == CRADLE_HTTP_AUTH_NEGOTIATE)
    {
      /* Over plain HTTP nothing binds the sign-in to what follows it: a
       * man in the middle passes the Kerberos exchange on and answers the
       * request himself. */
      cradle_explain_set_error (error, CRADLE_ERROR_NOT_CONFIGURED, CRADLE_EXPLAIN_TRANSPORT,
                                CRADLE_TRANSPORT_FAILURE_PLAIN_HTTP_REFUSED,
                                "Cradle will not sign in with Kerberos to %s over plain HTTP: "
                                "anyone on the way could take over the signed-in exchange. Ask "
                                "your administrator for the https:// address of the CA.", url);
      return FALSE;
    }
  if (!https && authenticate && self->auth == CRADLE_HTTP_AUTH_BASIC)
    {
      cradle_explain_set_error (error, CRADLE_ERROR_NOT_CONFIGURED, CRADLE_EXPLAIN_TRANSPORT,
                                CRADLE_TRANSPORT_FAILURE_PLAIN_HTTP_REFUSED,
                                "Cradle will not send a password to %s over plain HTTP. Ask "
                                "your administrator for the https:// address of the CA, or "
                                "use Kerberos.", url);
      return FALSE;
    }
  return TRUE;
}

/* ---- the exchange -------------------------------------------------------- */

static struct curl_slist *
build_headers (const CradleHttpRequest *request)
{
  struct curl_slist *headers = NULL;
  g_autofree char *content_type = NULL;

  /* libcurl would add "Expect: 100-continue" to large POSTs; CAs don't need it. */
  headers = sym_curl_slist_append (headers, "Expect:");
  if (request->content_type != NULL)
    {
      content_type = g_strdup_printf ("Content-Type: %s", request->content_type);
      headers = sym_curl_slist_append (headers, content_type);
    }
  for (guint i = 0; request->headers != NULL && request->headers[i] != NULL; i++)
    headers = sym_curl_slist_append (headers, request->headers[i]);
  return headers;
}

static void
apply_auth (CradleHttp *self,
            CURL       *curl)
{
  switch (self->auth)
    {
    case CRADLE_HTTP_AUTH_NEGOTIATE:
      sym_curl_easy_setopt (curl, CURLOPT_HTTPAUTH, (long) CURLAUTH_NEGOTIATE);
      /* Empty credentials: use the ticket cache. */
      sym_curl_easy_setopt (curl, CURLOPT_USERPWD, ":");
      break;
    case CRADLE_HTTP_AUTH_BASIC:
      sym_curl_easy_setopt (curl, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
      sym_curl_easy_setopt (curl, CURLOPT_USERNAME, self->user != NULL ? self->user : "");
      sym_curl_easy_setopt (curl, CURLOPT_PASSWORD, self->password != NULL ? self->password : "");
      break;
    case CRADLE_HTTP_AUTH_NONE:
    default:
      break;
    }
}

static CURL *
prepare (CradleHttp              *self,
         const CradleHttpRequest *request,
         Exchange                *exchange,
         struct curl_slist       *headers,
         gboolean                 https,
         X509_STORE              *store,
         char                    *error_buffer)
{
  CURL *curl;

  if (self->curl == NULL)
    self->curl = sym_curl_easy_init ();
  if ((curl = self->curl) == NULL)
    return NULL;
  sym_curl_easy_setopt (curl, CURLOPT_URL, request->url);
  sym_curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, self->allow_plain_http ? "http,https" : "https");
  sym_curl_easy_setopt (curl, CURLOPT_FOLLOWLOCATION, 0L);
  sym_curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  sym_curl_easy_setopt (curl, CURLOPT_TIMEOUT, (long) self->timeout_s);
  sym_curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT, (long) MIN (self->timeout_s, 15));
  sym_curl_easy_setopt (curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) self->max_response);
  sym_curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, error_buffer);
  sym_curl_easy_setopt (curl, CURLOPT_USERAGENT, "Cradle/" CRADLE_VERSION);
  sym_curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
  sym_curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, on_body);
  sym_curl_easy_setopt (curl, CURLOPT_WRITEDATA, exchange);
  sym_curl_easy_setopt (curl, CURLOPT_HEADERFUNCTION, on_header);
  sym_curl_easy_setopt (curl, CURLOPT_HEADERDATA, exchange);
  sym_curl_easy_setopt (curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  sym_curl_easy_setopt (curl, CURLOPT_XFERINFODATA, exchange);
  sym_curl_easy_setopt (curl, CURLOPT_NOPROGRESS, 0L);
  sym_curl_easy_setopt (curl, CURLOPT_SSL_VERIFYPEER, 1L);
  sym_curl_easy_setopt (curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (https)
    {
      /* Trust comes from the shared store (the system's plus the anchors). */
      sym_curl_easy_setopt (curl, CURLOPT_CAINFO, NULL);
      sym_curl_easy_setopt (curl, CURLOPT_CAPATH, NULL);
      sym_curl_easy_setopt (curl, CURLOPT_SSL_CTX_FUNCTION, on_ssl_context);
      sym_curl_easy_setopt (curl, CURLOPT_SSL_CTX_DATA, store);
    }
  if (self->client_certificate != NULL)
    {
      sym_curl_easy_setopt (curl, CURLOPT_SSLCERT, self->client_certificate);
      sym_curl_easy_setopt (curl, CURLOPT_SSLKEY, self->client_key);
    }
  if (g_strcmp0 (request->method, "POST") == 0)
    {
      gsize size = 0;
      const void *data = request->body != NULL ? g_bytes_get_data (request->body, &size) : "";

      sym_curl_easy_setopt (curl, CURLOPT_POST, 1L);
      sym_curl_easy_setopt (curl, CURLOPT_POSTFIELDS, data);
      sym_curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) size);
    }
  if (request->authenticate)
    apply_auth (self, curl);
  return curl;
}

CradleHttpResponse *
cradle_http_send (CradleHttp              *self,
                  const CradleHttpRequest *request,
                  GCancellable            *cancellable,
                  GError                 **error)
{
  g_autoptr(CradleGssCcacheScope) scope = NULL;
  CURL *curl;
  g_autoptr(GByteArray) body = g_byte_array_new ();
  struct curl_slist *headers = NULL;
  char error_buffer[CURL_ERROR_SIZE] = "";
  Exchange exchange = { body, self->max_response, FALSE, cancellable, NULL, 0 };
  CradleHttpResponse *response;
  g_autoptr(X509_STORE) store = NULL;
  g_autofree char *scheme = NULL;
  gboolean https;
  CURLcode code;
  long status = 0;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  if (!check_url (self, request->url, request->authenticate, error))
    return NULL;
  if (!cradle_curl_load (error))
    return NULL;
  scheme = g_uri_parse_scheme (request->url);
  https = scheme != NULL && g_ascii_strcasecmp (scheme, "https") == 0;
  if (https)
    store = _cradle_http_dup_trust_store (self->anchors_file, self->anchor_certificates, self->anchor_key, TRUE);
  if (request->authenticate && self->auth == CRADLE_HTTP_AUTH_NEGOTIATE)
    {
      /* libcurl's SPNEGO runs GSSAPI on this thread: point it at the cache. */
      scope = cradle_gss_ccache_scope_enter (self->ccache_name, error);
      if (scope == NULL)
        return NULL;
    }

  headers = build_headers (request);
  curl = prepare (self, request, &exchange, headers, https, store, error_buffer);
  if (curl == NULL)
    {
      sym_curl_slist_free_all (headers);
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                           "Could not start an HTTP exchange (out of memory?).");
      return NULL;
    }
  code = sym_curl_easy_perform (curl);
  sym_curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
  /* The handle keeps its connection, never this call's buffers. */
  sym_curl_easy_reset (curl);
  sym_curl_slist_free_all (headers);
  if (code != CURLE_OK)
    {
      g_clear_pointer (&self->curl, sym_curl_easy_cleanup);
      set_transport_error (error, code, error_buffer, request->url, self, &exchange);
      g_free (exchange.content_type);
      return NULL;
    }

  if (request->authenticate && self->auth != CRADLE_HTTP_AUTH_NONE &&
      (status == 401 || status == 407))
    {
      g_autofree char *host = cradle_http_dup_host (request->url);

      g_free (exchange.content_type);
      if (self->auth == CRADLE_HTTP_AUTH_NEGOTIATE)
        cradle_explain_set_error (error, CRADLE_ERROR_AUTH_FAILED, CRADLE_EXPLAIN_HTTP_STATUS, (guint32) status,
                     "%s did not accept your Kerberos sign-in (HTTP %ld). Your ticket "
                     "may have expired, or the CA has no service principal HTTP/%s; "
                     "sign in to the domain again, or ask your administrator.",
                     host, status, host);
      else
        cradle_explain_set_error (error, CRADLE_ERROR_AUTH_FAILED, CRADLE_EXPLAIN_HTTP_STATUS, (guint32) status,
                     "%s did not accept the user name and password (HTTP %ld). Check "
                     "them and try again.", host, status);
      return NULL;
    }

  response = g_new0 (CradleHttpResponse, 1);
  response->status = (guint) status;
  response->content_type = exchange.content_type;
  response->retry_after = exchange.retry_after;
  response->body = g_byte_array_free_to_bytes (g_steal_pointer (&body));
  return response;
}
