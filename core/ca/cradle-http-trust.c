/* cradle-http-trust.c: the TLS trust store, shared by every exchange, and
 * the background threads that build it
 */
#include "config.h"

#include <sys/stat.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include <cradle/cradle.h>
#include "ca/cradle-curl-private.h"
#include "ca/cradle-http-private.h"
#include "base/cradle-openssl-private.h"

/*
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
X509_STORE *
_cradle_http_dup_trust_store (const char *anchors_file,
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
  g_autoptr(GPtrArray) der = _cradle_http_dup_der_list (certificates, &certificates_key);

  return _cradle_http_dup_trust_store (anchors_file, der->len > 0 ? der : NULL,
                                       der->len > 0 ? certificates_key : NULL, with_system);
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
  store = _cradle_http_dup_trust_store (data->anchors_file, data->certificates, data->certificates_key,
                                        data->with_system);
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

/* The DER of @certificates, and a name for the set. */
GPtrArray *
_cradle_http_dup_der_list (GPtrArray  *certificates,
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
_cradle_http_prepare_trust_store (const char *anchors_file,
                                  GPtrArray  *certificates,
                                  const char *certificates_key,
                                  gboolean    with_system)
{
  PrepareData *data = g_new0 (PrepareData, 1);
  GThread *thread;

  data->with_system = with_system;
  data->anchors_file = g_strdup (anchors_file);
  if (certificates != NULL)
    data->certificates = g_ptr_array_ref (certificates);
  data->certificates_key = g_strdup (certificates_key);
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
