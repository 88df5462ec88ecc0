/* cradle-http.c: HTTP(S) exchanges with a CA, through libcurl
 *
 * One place decides how Cradle talks HTTP to a CA: TLS verified against the
 * system store plus configured anchors (and the directory's roots for the
 * enterprise CA's endpoints), Basic and Negotiate only over TLS, Negotiate
 * with the chosen Kerberos cache, a deadline for the whole exchange, a
 * ceiling on what the server may send, proxies from the environment, no
 * redirects.
 */
#include "config.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
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

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CURL, sym_curl_easy_cleanup)
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

/* The DER of @certificates, and a name for the set. */
static GPtrArray *
dup_der_list (GPtrArray  *certificates,
              char      **key)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GString) names = g_string_new (NULL);

  for (guint i = 0; certificates != NULL && i < certificates->len; i++)
    {
      CradleCertificate *certificate = g_ptr_array_index (certificates, i);

      g_ptr_array_add (list, g_bytes_ref (cradle_certificate_get_der (certificate)));
      g_string_append_printf (names, "%s\n", cradle_certificate_get_sha256 (certificate));
    }
  *key = g_compute_checksum_for_string (G_CHECKSUM_SHA256, names->str, (gssize) names->len);
  return list;
}

void
cradle_http_add_trust_certificates (CradleHttp *self,
                                    GPtrArray  *certificates)
{
  g_clear_pointer (&self->anchor_certificates, g_ptr_array_unref);
  g_clear_pointer (&self->anchor_key, g_free);
  if (certificates != NULL && certificates->len > 0)
    self->anchor_certificates = dup_der_list (certificates, &self->anchor_key);
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

/* ---- trust: the system store plus the configured anchors ------------------
 *
 * What libcurl would load for every connection (its CA file and CA folder)
 * plus the type's anchors and the directory's roots, built once per process
 * and set of anchors and shared by every exchange (and by the check of an
 * issued certificate's chain, cradle-enrollment-chain.c): libcurl parses the whole system bundle (about
 * 20 ms for 140 certificates) each time it connects otherwise.  An engine
 * starts the build early (cradle_http_prepare_trust()) so that it runs
 * while the device makes its key.  A store is built again when the CA
 * file, the CA folder or the anchors file changes.  Those threads are
 * joined before the process exits (OpenSSL's own exit handler would free
 * what they still use).
 */

typedef struct
{
  dev_t           device;
  ino_t           inode;
  off_t           size;
  struct timespec modified;
  gboolean        exists;
} FileStamp;

enum { STAMP_CA_FILE, STAMP_CA_PATH, STAMP_ANCHORS, N_STAMPS };

typedef struct
{
  X509_STORE *store;       /* NULL while building, or after a failure */
  char       *failure;     /* why, for the log */
  gboolean    building;
  FileStamp   stamps[N_STAMPS];
} TrustEntry;

static GMutex      trust_lock;
static GCond       trust_built;
static GHashTable *trust_cache;   /* trust_key () -> TrustEntry */
static GPtrArray  *trust_threads; /* of GThread, background work not yet joined */
static GHashTable *done_threads;  /* the GThread of trust_threads that ended */
static char       *default_ca_file;
static char       *default_ca_path;

static void
trust_entry_free (gpointer data)
{
  TrustEntry *entry = data;

  g_clear_pointer (&entry->store, X509_STORE_free);
  g_free (entry->failure);
  g_free (entry);
}

/* libcurl's built-in CA file and folder (its --with-ca-bundle/-path). */
static void
load_curl_defaults (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      g_autoptr(CURL) curl = cradle_curl_load (NULL) ? sym_curl_easy_init () : NULL;
      char *value = NULL;

      if (curl != NULL && sym_curl_easy_getinfo (curl, CURLINFO_CAINFO, &value) == CURLE_OK && value != NULL)
        default_ca_file = g_strdup (value);
      value = NULL;
      if (curl != NULL && sym_curl_easy_getinfo (curl, CURLINFO_CAPATH, &value) == CURLE_OK && value != NULL)
        default_ca_path = g_strdup (value);
      g_once_init_leave (&done, 1);
    }
}

static void
stamp_file (const char *path,
            FileStamp  *stamp)
{
  struct stat st;

  memset (stamp, 0, sizeof *stamp);
  if (path == NULL || stat (path, &st) != 0)
    return;
  stamp->exists = TRUE;
  stamp->device = st.st_dev;
  stamp->inode = st.st_ino;
  stamp->size = st.st_size;
  stamp->modified = st.st_mtim;
}

static void
stamp_all (const char *anchors_file,
           FileStamp  *stamps)
{
  stamp_file (default_ca_file, &stamps[STAMP_CA_FILE]);
  stamp_file (default_ca_path, &stamps[STAMP_CA_PATH]);
  stamp_file (anchors_file, &stamps[STAMP_ANCHORS]);
}

static gboolean
stamps_equal (const FileStamp *a,
              const FileStamp *b)
{
  for (guint i = 0; i < N_STAMPS; i++)
    if (a[i].exists != b[i].exists || a[i].device != b[i].device || a[i].inode != b[i].inode ||
        a[i].size != b[i].size || a[i].modified.tv_sec != b[i].modified.tv_sec ||
        a[i].modified.tv_nsec != b[i].modified.tv_nsec)
      return FALSE;
  return TRUE;
}

/* The anchors first, then what libcurl would have loaded: the CA file in
 * full and the CA folder looked up by subject hash, as certificates are
 * needed.  NULL with @failure set when the anchors file has no certificate
 * or the CA file cannot be read, the cases where libcurl refused too. */
static X509_STORE *
build_store (const char  *anchors_file,
             GPtrArray   *certificates,
             gboolean     with_system,
             char       **failure)
{
  X509_STORE *store = X509_STORE_new ();

  if (store == NULL)
    {
      *failure = g_strdup ("out of memory");
      return NULL;
    }
  for (guint i = 0; certificates != NULL && i < certificates->len; i++)
    {
      GBytes *der = g_ptr_array_index (certificates, i);
      const unsigned char *p = g_bytes_get_data (der, NULL);
      X509 *cert = d2i_X509 (NULL, &p, (long) g_bytes_get_size (der));

      if (cert != NULL)
        X509_STORE_add_cert (store, cert);
      X509_free (cert);
    }
  if (anchors_file != NULL)
    {
      g_autoptr(BIO) bio = BIO_new_file (anchors_file, "r");
      X509 *cert;
      guint added = 0;

      while (bio != NULL && (cert = PEM_read_bio_X509 (bio, NULL, NULL, NULL)) != NULL)
        {
          if (X509_STORE_add_cert (store, cert) == 1)
            added++;
          X509_free (cert);
        }
      ERR_clear_error ();
      if (added == 0)
        {
          *failure = g_strdup_printf ("no certificate could be read from %s", anchors_file);
          X509_STORE_free (store);
          return NULL;
        }
    }
  if (!with_system)
    return store;
  if (default_ca_file != NULL && X509_STORE_load_file (store, default_ca_file) != 1)
    {
      ERR_clear_error ();
      *failure = g_strdup_printf ("the CA file %s could not be read", default_ca_file);
      X509_STORE_free (store);
      return NULL;
    }
  if (default_ca_path != NULL)
    {
      X509_LOOKUP *lookup = X509_STORE_add_lookup (store, X509_LOOKUP_hash_dir ());

      if (lookup != NULL)
        X509_LOOKUP_add_dir (lookup, default_ca_path, X509_FILETYPE_PEM);
    }
  ERR_clear_error ();
  return store;
}

/* With trust_lock held: @key's entry, waiting for a build in progress;
 * %NULL when there is none or it is out of date (then it is removed). */
static TrustEntry *
current_entry (const char *key,
               const char *anchors_file)
{
  TrustEntry *entry;
  FileStamp now[N_STAMPS];

  while ((entry = g_hash_table_lookup (trust_cache, key)) != NULL && entry->building)
    g_cond_wait (&trust_built, &trust_lock);
  if (entry == NULL)
    return NULL;
  stamp_all (anchors_file, now);
  if (stamps_equal (entry->stamps, now))
    return entry;
  g_hash_table_remove (trust_cache, key);
  return NULL;
}

/* Builds @key's store into a new entry (trust_lock held on entry and exit;
 * released while building). */
static TrustEntry *
build_entry (const char *key,
             const char *anchors_file,
             GPtrArray  *certificates,
             gboolean    with_system)
{
  TrustEntry *entry = g_new0 (TrustEntry, 1);
  X509_STORE *store;
  char *failure = NULL;

  entry->building = TRUE;
  stamp_all (anchors_file, entry->stamps);
  g_hash_table_replace (trust_cache, g_strdup (key), entry);
  g_mutex_unlock (&trust_lock);
  store = build_store (anchors_file, certificates, with_system, &failure);
  g_mutex_lock (&trust_lock);
  entry->store = store;
  entry->failure = failure;
  entry->building = FALSE;
  g_cond_broadcast (&trust_built);
  return entry;
}

static char *
trust_key (const char *anchors_file,
           const char *certificates_key,
           gboolean    with_system)
{
  return g_strconcat (with_system ? "system\n" : "anchors only\n",
                      anchors_file != NULL ? anchors_file : "", "\n",
                      certificates_key != NULL ? certificates_key : "", NULL);
}

/* A reference to the store for @anchors_file and @certificates (DER; both
 * nullable: the system's only), with the system's roots or without them
 * (then %NULL when there is no anchor); %NULL when it cannot be built. */
static X509_STORE *
dup_trust_store (const char *anchors_file,
                 GPtrArray  *certificates,
                 const char *certificates_key,
                 gboolean    with_system)
{
  g_autofree char *key = NULL;
  TrustEntry *entry;
  X509_STORE *store = NULL;

  if (!with_system && anchors_file == NULL && certificates == NULL)
    return NULL;
  key = trust_key (anchors_file, certificates_key, with_system);
  if (with_system)
    load_curl_defaults ();
  g_mutex_lock (&trust_lock);
  if (trust_cache == NULL)
    trust_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, trust_entry_free);
  entry = current_entry (key, anchors_file);
  if (entry == NULL)
    entry = build_entry (key, anchors_file, certificates, with_system);
  if (entry->store != NULL && X509_STORE_up_ref (entry->store) == 1)
    store = entry->store;
  else if (entry->failure != NULL)
    g_debug ("No TLS trust store: %s", entry->failure);
  g_mutex_unlock (&trust_lock);
  return store;
}

X509_STORE *
cradle_http_dup_trust_store (const char *anchors_file,
                             GPtrArray  *certificates,
                             gboolean    with_system)
{
  g_autofree char *certificates_key = NULL;
  g_autoptr(GPtrArray) der = dup_der_list (certificates, &certificates_key);

  return dup_trust_store (anchors_file, der->len > 0 ? der : NULL, der->len > 0 ? certificates_key : NULL,
                          with_system);
}

typedef struct
{
  char      *anchors_file;
  GPtrArray *certificates;
  char      *certificates_key;
  gboolean   with_system;
} PrepareData;

static gpointer
prepare_trust_thread (gpointer user_data)
{
  PrepareData *data = user_data;
  X509_STORE *store;

  /* Bound here, while the device makes its key, rather than at the first
   * exchange; a failure is told then. */
  if (!cradle_curl_load (NULL))
    g_debug ("libcurl is not loaded yet");
  store = dup_trust_store (data->anchors_file, data->certificates, data->certificates_key, data->with_system);
  if (store != NULL)
    X509_STORE_free (store);
  g_free (data->anchors_file);
  g_clear_pointer (&data->certificates, g_ptr_array_unref);
  g_free (data->certificates_key);
  g_free (data);
  cradle_http_thread_done ();
  return NULL;
}

static GCancellable *
background_cancellable (void)
{
  static gsize made = 0;
  static GCancellable *cancellable;

  if (g_once_init_enter (&made))
    {
      cancellable = g_cancellable_new ();
      g_once_init_leave (&made, 1);
    }
  return cancellable;
}

GCancellable *
cradle_http_get_background_cancellable (void)
{
  return background_cancellable ();
}

void
cradle_http_join_background (void)
{
  g_cancellable_cancel (background_cancellable ());
  for (;;)
    {
      GThread *thread = NULL;

      g_mutex_lock (&trust_lock);
      if (trust_threads != NULL && trust_threads->len > 0)
        thread = g_ptr_array_steal_index (trust_threads, trust_threads->len - 1);
      if (thread != NULL && done_threads != NULL)
        g_hash_table_remove (done_threads, thread);
      g_mutex_unlock (&trust_lock);
      if (thread == NULL)
        return;
      g_thread_join (thread);
    }
}

void
cradle_http_thread_done (void)
{
  g_mutex_lock (&trust_lock);
  if (done_threads == NULL)
    done_threads = g_hash_table_new (NULL, NULL);
  g_hash_table_add (done_threads, g_thread_self ());
  g_mutex_unlock (&trust_lock);
}

void
cradle_http_track_thread (GThread *thread)
{
  g_autoptr(GPtrArray) ended = g_ptr_array_new ();

  g_mutex_lock (&trust_lock);
  if (trust_threads == NULL)
    trust_threads = g_ptr_array_new ();
  if (done_threads == NULL)
    done_threads = g_hash_table_new (NULL, NULL);
  /* Those that ended are joined now, so that a long-running program does
   * not keep their stacks. */
  for (guint i = trust_threads->len; i > 0; i--)
    if (g_hash_table_remove (done_threads, g_ptr_array_index (trust_threads, i - 1)))
      g_ptr_array_add (ended, g_ptr_array_steal_index (trust_threads, i - 1));
  g_ptr_array_add (trust_threads, thread);
  g_mutex_unlock (&trust_lock);
  for (guint i = 0; i < ended->len; i++)
    g_thread_join (g_ptr_array_index (ended, i));
}

void
cradle_http_prepare_trust (CradleHttp *self,
                           const char *url)
{
  g_autofree char *scheme = g_uri_parse_scheme (url);
  PrepareData *data;
  GThread *thread;

  /* Built for plain http:// too: the chain of what the CA issues is
   * verified against the anchors first and then against the system's roots
   * too (cradle-enrollment-chain.c).  TLS needs the system's; a chain
   * checked against a type's anchors only does not, unless it fails. */
  data = g_new0 (PrepareData, 1);
  data->with_system = (scheme != NULL && g_ascii_strcasecmp (scheme, "https") == 0) ||
                      (self->anchors_file == NULL && self->anchor_certificates == NULL);
  data->anchors_file = g_strdup (self->anchors_file);
  if (self->anchor_certificates != NULL)
    data->certificates = g_ptr_array_ref (self->anchor_certificates);
  data->certificates_key = g_strdup (self->anchor_key);
  thread = g_thread_try_new ("cradle-trust", prepare_trust_thread, data, NULL);
  if (thread != NULL)
    cradle_http_track_thread (thread);
  else
    {
      g_free (data->anchors_file);
      g_clear_pointer (&data->certificates, g_ptr_array_unref);
      g_free (data->certificates_key);
      g_free (data);
    }
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
    store = dup_trust_store (self->anchors_file, self->anchor_certificates, self->anchor_key, TRUE);
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
