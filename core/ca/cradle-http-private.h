/* cradle-http-private.h: HTTP(S) exchanges with a CA, through libcurl */
#pragma once

#include <gio/gio.h>
#include <openssl/x509_vfy.h>

G_BEGIN_DECLS

/* One CA's settings and its kept connection.  Not thread-safe: one exchange
 * at a time. */
typedef struct _CradleHttp CradleHttp;

typedef enum {
  CRADLE_HTTP_AUTH_NONE,
  CRADLE_HTTP_AUTH_NEGOTIATE,  /* Kerberos through SPNEGO, only ever over TLS */
  CRADLE_HTTP_AUTH_BASIC,      /* only ever over TLS */
} CradleHttpAuth;

typedef struct {
  const char         *method;        /* "GET" or "POST" */
  const char         *url;
  const char         *content_type;  /* of @body; %NULL for none */
  GBytes             *body;          /* %NULL for none */
  const char * const *headers;       /* extra "Name: value" lines, %NULL-terminated */
  gboolean            authenticate;  /* send the configured HTTP credentials */
} CradleHttpRequest;

typedef struct {
  guint   status;
  char   *content_type;   /* as sent, or %NULL */
  GBytes *body;           /* never %NULL */
  guint   retry_after;    /* seconds from Retry-After, 0 when absent */
} CradleHttpResponse;

CradleHttp *cradle_http_new                    (void);
void        cradle_http_free                   (CradleHttp *self);

void        cradle_http_set_timeout            (CradleHttp *self,
                                                guint       seconds);
void        cradle_http_set_max_response_size  (CradleHttp *self,
                                                gsize       bytes);
void        cradle_http_set_allow_plain_http   (CradleHttp *self,
                                                gboolean    allow);
void        cradle_http_add_trust_anchors      (CradleHttp *self,
                                                const char *pem_file);
/* The anchors file set above, or %NULL. */
const char *cradle_http_get_trust_anchors_file (CradleHttp *self);
/* TLS anchors besides the file and the system store (CradleCertificate:
 * the directory's roots, for the enterprise CA's endpoints); %NULL or
 * empty: none. */
void        cradle_http_add_trust_certificates (CradleHttp *self,
                                                GPtrArray  *certificates);
/* The shared store of the system's trusted roots, @anchors_file's and
 * @certificates' (CradleCertificate; both nullable), as TLS uses it; a new
 * reference, or %NULL when it cannot be built.  Without @with_system, the
 * anchors and certificates alone (%NULL when there are none): enough to
 * check a chain that ends at one of them, without parsing the system's
 * bundle (about 140 certificates, tens of milliseconds with OpenSSL 3.0). */
X509_STORE *cradle_http_dup_trust_store        (const char *anchors_file,
                                                GPtrArray  *certificates,
                                                gboolean    with_system);
void        cradle_http_set_client_certificate (CradleHttp *self,
                                                const char *certificate_file,
                                                const char *key_file);
/* @ccache_name: %NULL for the default cache. */
void        cradle_http_set_negotiate          (CradleHttp *self,
                                                const char *ccache_name);
/* The password is copied into wiped memory. */
void        cradle_http_set_basic              (CradleHttp *self,
                                                const char *user,
                                                const char *password);
CradleHttpAuth cradle_http_get_auth            (CradleHttp *self);
/* Starts building, in a thread of its own, the trust store @url's exchanges
 * and the chain check of what it issues will need (the system's and the
 * anchors, shared by the process), so that it is ready by then; a plain
 * http:// CA needs it for the chain.
 * Call it after the anchors are set, before slow work such as the device
 * making a key. */
void        cradle_http_prepare_trust          (CradleHttp *self,
                                                const char *url);
/* @thread (joinable, its reference given) is joined by
 * cradle_http_join_background(); its exchanges take the cancellable
 * below. */
void        cradle_http_track_thread           (GThread    *thread);
/* Called by such a thread as its last step. */
void        cradle_http_thread_done            (void);
/* Cancelled when the process exits, for background exchanges. */
GCancellable *cradle_http_get_background_cancellable (void);
/* Cancels the background exchanges and waits for the threads started
 * above.  Runs at exit, before OpenSSL's cleanup: a thread still building
 * a store or talking to a CA then would use freed memory. */
void        cradle_http_join_background        (void);

/* Sends @request and returns whatever status the server answered, except
 * 401/407 when credentials were sent (CRADLE_ERROR_AUTH_FAILED).  Errors:
 * CRADLE_ERROR_UNREACHABLE, _TIMED_OUT, _NOT_CONFIGURED (TLS trust, plain
 * HTTP refused), _AUTH_FAILED, _INVALID_DATA (answer too large),
 * G_IO_ERROR_CANCELLED.  Messages name the URL's host, never credentials. */
CradleHttpResponse *cradle_http_send           (CradleHttp              *self,
                                                const CradleHttpRequest *request,
                                                GCancellable            *cancellable,
                                                GError                 **error) G_GNUC_WARN_UNUSED_RESULT;
void        cradle_http_response_free          (CradleHttpResponse *response);

/* TRUE when @response's media type (parameters ignored, any case) is @type. */
gboolean    cradle_http_response_has_type      (const CradleHttpResponse *response,
                                                const char               *type);
/* "host" of @url for messages, or @url itself. */
char       *cradle_http_dup_host               (const char *url);

/* cradle-http-trust.c: what cradle-http.c shares with it */
/* The DER of @certificates (CradleCertificate), and in @key a name for the set. */
GPtrArray  *_cradle_http_dup_der_list        (GPtrArray  *certificates,
                                              char      **key);
/* A reference to the cached store for @anchors_file and @certificates
 * (DER, named @certificates_key; both nullable), with the system's roots
 * or without them; %NULL when it cannot be built. */
X509_STORE *_cradle_http_dup_trust_store     (const char *anchors_file,
                                              GPtrArray  *certificates,
                                              const char *certificates_key,
                                              gboolean    with_system);
/* Starts building that store on a background thread. */
void        _cradle_http_prepare_trust_store (const char *anchors_file,
                                              GPtrArray  *certificates,
                                              const char *certificates_key,
                                              gboolean    with_system);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleHttp, cradle_http_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleHttpResponse, cradle_http_response_free)

G_END_DECLS
