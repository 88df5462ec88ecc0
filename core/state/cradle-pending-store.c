/* cradle-pending-store.c: recording enrollment requests and their status changes */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "state/cradle-pending-store-private.h"

struct _CradlePendingStore
{
  GObject parent_instance;

  /* Owned */
  sqlite3                *db;
  char                   *path;

  /* One connection, one transaction at a time. */
  GMutex                  lock;
  CradlePendingStoreHook  before_commit;
  gpointer                before_commit_data;
};

G_DEFINE_FINAL_TYPE (CradlePendingStore, cradle_pending_store, G_TYPE_OBJECT)

static const char *const connectors[] = { "certsrv", "wstep", "scep", "est" };

static void
cradle_pending_store_finalize (GObject *object)
{
  CradlePendingStore *self = CRADLE_PENDING_STORE (object);

  g_clear_pointer (&self->db, sqlite3_close_v2);
  g_clear_pointer (&self->path, g_free);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (cradle_pending_store_parent_class)->finalize (object);
}

static void
cradle_pending_store_class_init (CradlePendingStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cradle_pending_store_finalize;
}

static void
cradle_pending_store_init (CradlePendingStore *self)
{
  g_mutex_init (&self->lock);
}

/**
 * cradle_pending_store_open:
 * @path: (nullable): the database file; %NULL for requests.sqlite in the
 *   state folder
 * @error: return location for a #GError
 *
 * Opens the store, creating it (0600 in a 0700 folder) or bringing an
 * older schema up to date.  A file that is not a Cradle request database,
 * or one from a newer Cradle, is refused and left untouched.
 *
 * Returns: (transfer full): the store, or %NULL with @error set
 */
CradlePendingStore *
cradle_pending_store_open (const char  *path,
                           GError     **error)
{
  g_autoptr(CradlePendingStore) self = g_object_new (CRADLE_TYPE_PENDING_STORE, NULL);

  self->db = cradle_request_db_open (path, &self->path, error);
  if (self->db == NULL)
    return NULL;
  return g_steal_pointer (&self);
}

const char *
cradle_pending_store_get_path (CradlePendingStore *self)
{
  g_return_val_if_fail (CRADLE_IS_PENDING_STORE (self), NULL);
  return self->path;
}

void
cradle_pending_store_set_before_commit_hook (CradlePendingStore     *self,
                                             CradlePendingStoreHook  hook,
                                             gpointer                user_data)
{
  self->before_commit = hook;
  self->before_commit_data = user_data;
}

static gint64
now_seconds (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* ---- statements with bound parameters ---------------------------------- */

typedef enum {
  PARAM_NULL,
  PARAM_INT,
  PARAM_TEXT,
  PARAM_BLOB,
} ParamKind;

typedef struct {
  ParamKind   kind;
  gint64      number;
  const char *text;
  GBytes     *blob;
} Param;

#define PARAM_INT(v)  ((Param) { PARAM_INT, (v), NULL, NULL })
#define PARAM_TEXT(t) ((Param) { (t) != NULL ? PARAM_TEXT : PARAM_NULL, 0, (t), NULL })
#define PARAM_BLOB(b) ((Param) { PARAM_BLOB, 0, NULL, (b) })

static sqlite3_stmt *
prepare (CradlePendingStore  *self,
         const char          *sql,
         const Param         *params,
         guint                n_params,
         const char          *doing,
         GError             **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc = sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL);

  for (guint i = 0; rc == SQLITE_OK && i < n_params; i++)
    {
      int index = (int) i + 1;
      gsize size;
      gconstpointer data;

      switch (params[i].kind)
        {
        case PARAM_NULL:
          rc = sqlite3_bind_null (stmt, index);
          break;
        case PARAM_INT:
          rc = sqlite3_bind_int64 (stmt, index, params[i].number);
          break;
        case PARAM_TEXT:
          rc = sqlite3_bind_text (stmt, index, params[i].text, -1, SQLITE_TRANSIENT);
          break;
        case PARAM_BLOB:
          data = g_bytes_get_data (params[i].blob, &size);
          rc = sqlite3_bind_blob64 (stmt, index, data, size, SQLITE_TRANSIENT);
          break;
        default:
          g_assert_not_reached ();
        }
    }
  if (rc != SQLITE_OK)
    {
      cradle_request_db_set_error (self->db, rc, self->path, doing, error);
      return NULL;
    }
  return g_steal_pointer (&stmt);
}

/* A statement that returns no rows. */
static gboolean
execute (CradlePendingStore  *self,
         const char          *sql,
         const Param         *params,
         guint                n_params,
         const char          *doing,
         GError             **error)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self, sql, params, n_params, doing, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    {
      cradle_request_db_set_error (self->db, rc, self->path, doing, error);
      return FALSE;
    }
  return TRUE;
}

static void
rollback (CradlePendingStore *self)
{
  if (!sqlite3_get_autocommit (self->db))
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
}

/* BEGIN IMMEDIATE takes the write lock at once (waiting up to the busy
 * timeout for another program), so a status read inside it stays true. */
static gboolean
begin_write (CradlePendingStore  *self,
             const char          *doing,
             GError             **error)
{
  return cradle_request_db_exec (self->db, "BEGIN IMMEDIATE", self->path, doing, error);
}

static gboolean
commit_write (CradlePendingStore  *self,
              const char          *doing,
              GError             **error)
{
  if (self->before_commit != NULL)
    self->before_commit (self->before_commit_data);
  return cradle_request_db_exec (self->db, "COMMIT", self->path, doing, error);
}

/* ---- checking what comes in -------------------------------------------- */

static gboolean
check_text (const char  *what,
            const char  *value,
            gboolean     required,
            GError     **error)
{
  if (value == NULL && !required)
    return TRUE;
  if (value == NULL || *value == '\0')
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "Cradle could not record the request: the %s is empty.", what);
      return FALSE;
    }
  if (strlen (value) > CRADLE_PENDING_MAX_TEXT_SIZE || !g_utf8_validate (value, -1, NULL))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "Cradle could not record the request: the %s is not valid text "
                   "or is longer than %d bytes.",
                   what, CRADLE_PENDING_MAX_TEXT_SIZE);
      return FALSE;
    }
  return TRUE;
}

/* Text for people from outside (a CA's message, an error): valid UTF-8 on
 * one line, cut at a character boundary. */
static char *
dup_one_line (const char *text,
              gsize       max_size)
{
  g_autofree char *valid = NULL;
  g_autoptr(GString) line = NULL;

  if (text == NULL)
    return NULL;
  valid = g_utf8_make_valid (text, -1);
  line = g_string_new (NULL);
  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      gsize length = (gsize) (g_utf8_next_char (p) - p);

      if (line->len + length > max_size)
        break;
      if (g_unichar_iscntrl (c))
        g_string_append_c (line, ' ');
      else
        g_string_append_len (line, p, (gssize) length);
    }
  return g_string_free (g_steal_pointer (&line), FALSE);
}

static gboolean
check_connector (const char  *connector,
                 GError     **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (connectors); i++)
    {
      if (g_str_equal (connector, connectors[i]))
        return TRUE;
    }
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
               "Cradle could not record the request: '%s' is not a CA protocol it knows "
               "(certsrv, wstep, scep or est).",
               connector);
  return FALSE;
}

/* ---- adding ------------------------------------------------------------ */

/**
 * cradle_pending_store_add:
 * @self: the store
 * @connector: "certsrv", "wstep", "scep" or "est"
 * @endpoint: the URL the request goes to
 * @template_name: (nullable): the template's cn
 * @device_serial: the device's serial
 * @key_id: the device's id for the key, %CRADLE_PENDING_KEY_ID_SIZE bytes
 * @csr: the DER PKCS#10
 * @error: return location for a #GError
 *
 * Records a request as submitting.  Call it before sending the request,
 * so that a crash or an unplugged device loses nothing: on return the
 * request is on disk.
 *
 * Returns: the request's id (from 1), or 0 with @error set
 */
gint64
cradle_pending_store_add (CradlePendingStore  *self,
                          const char          *connector,
                          const char          *endpoint,
                          const char          *template_name,
                          const char          *device_serial,
                          GBytes              *key_id,
                          GBytes              *csr,
                          GError             **error)
{
  return cradle_pending_store_add_claimed (self, connector, endpoint, template_name, device_serial, key_id, csr,
                                           NULL, error);
}

/* @owner: (nullable): claims the new request for @owner, so that no other
 * program resumes it while its first try goes on. */
gint64
cradle_pending_store_add_claimed (CradlePendingStore  *self,
                                  const char          *connector,
                                  const char          *endpoint,
                                  const char          *template_name,
                                  const char          *device_serial,
                                  GBytes              *key_id,
                                  GBytes              *csr,
                                  const char          *owner,
                                  GError             **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  const char *doing = "record the request";
  gint64 now = now_seconds ();
  gint64 id;

  g_return_val_if_fail (CRADLE_IS_PENDING_STORE (self), 0);
  g_return_val_if_fail (connector != NULL, 0);
  g_return_val_if_fail (key_id != NULL, 0);
  g_return_val_if_fail (csr != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  if (!check_connector (connector, error)
      || !check_text ("CA address", endpoint, TRUE, error)
      || !check_text ("template name", template_name, FALSE, error)
      || !check_text ("device serial", device_serial, TRUE, error))
    return 0;
  if (g_bytes_get_size (key_id) != CRADLE_PENDING_KEY_ID_SIZE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "Cradle could not record the request: the device's key id has %" G_GSIZE_FORMAT
                   " bytes, not %d. Update the Cradle agent on the device.",
                   g_bytes_get_size (key_id), CRADLE_PENDING_KEY_ID_SIZE);
      return 0;
    }
  if (g_bytes_get_size (csr) == 0 || g_bytes_get_size (csr) > CRADLE_PENDING_MAX_CSR_SIZE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "Cradle could not record the request: the certification request has %" G_GSIZE_FORMAT
                   " bytes, and must have between 1 and %d.",
                   g_bytes_get_size (csr), CRADLE_PENDING_MAX_CSR_SIZE);
      return 0;
    }

  locker = g_mutex_locker_new (&self->lock);
  {
    const Param params[] = {
      PARAM_TEXT (connector), PARAM_TEXT (endpoint), PARAM_TEXT (template_name),
      PARAM_TEXT (device_serial), PARAM_BLOB (key_id), PARAM_BLOB (csr),
      PARAM_TEXT (cradle_pending_status_to_string (CRADLE_PENDING_STATUS_SUBMITTING)),
      PARAM_INT (now),
    };

    if (!begin_write (self, doing, error))
      return 0;
    if (!execute (self,
                  "INSERT INTO requests (connector, endpoint, template_name, device_serial, key_id, "
                  "                      csr, status, created, updated, attempts, next_attempt) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, 0, 0)",
                  params, G_N_ELEMENTS (params), doing, error))
      {
        rollback (self);
        return 0;
      }
    id = sqlite3_last_insert_rowid (self->db);
    if (owner != NULL)
      {
        const Param claim[] = {
          PARAM_INT (id), PARAM_TEXT (owner), PARAM_INT (now + CRADLE_PENDING_CLAIM_LEASE_SECONDS),
        };

        if (!execute (self, "INSERT INTO claims (request_id, owner, expires) VALUES (?1, ?2, ?3)",
                      claim, G_N_ELEMENTS (claim), doing, error))
          {
            rollback (self);
            return 0;
          }
      }
    if (!commit_write (self, doing, error))
      {
        rollback (self);
        return 0;
      }
  }
  g_debug ("Request %" G_GINT64_FORMAT " recorded as submitting (%s, %s)", id, connector, endpoint);
  return id;
}

/* ---- status changes ---------------------------------------------------- */

static gboolean
read_status (CradlePendingStore   *self,
             gint64                id,
             const char           *doing,
             CradlePendingStatus  *status,
             GError              **error)
{
  const Param params[] = { PARAM_INT (id) };
  g_autoptr(sqlite3_stmt) stmt =
    prepare (self, "SELECT status FROM requests WHERE id = ?1", params, 1, doing, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                   "There is no request %" G_GINT64_FORMAT " in %s. "
                   "Run 'cradlectl pending' to see the requests Cradle keeps.",
                   id, self->path);
      return FALSE;
    }
  if (rc != SQLITE_ROW)
    {
      cradle_request_db_set_error (self->db, rc, self->path, doing, error);
      return FALSE;
    }
  if (!cradle_pending_status_from_string ((const char *) sqlite3_column_text (stmt, 0), status))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "Request %" G_GINT64_FORMAT " in %s is damaged: its status is unknown. "
                   "It cannot be resumed; enroll the device again.",
                   id, self->path);
      return FALSE;
    }
  return TRUE;
}

/* What a status change writes, inside its transaction. */
typedef gboolean (*WriteFunc) (CradlePendingStore  *self,
                               gint64               id,
                               gconstpointer        data,
                               GError             **error);

/* @to: the new status, or -1 for an attempt that keeps the status. */
static gboolean
change_status (CradlePendingStore  *self,
        gint64               id,
        int                  to,
        const char          *doing,
        WriteFunc            write,
        gconstpointer        data,
        GError             **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  CradlePendingStatus from;

  if (!begin_write (self, doing, error))
    return FALSE;
  if (!read_status (self, id, doing, &from, error))
    {
      rollback (self);
      return FALSE;
    }
  if (to < 0 ? cradle_pending_status_is_finished (from)
             : !cradle_pending_status_can_become (from, (CradlePendingStatus) to))
    {
      rollback (self);
      if (to < 0)
        g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                     "Request %" G_GINT64_FORMAT " is already %s; there is nothing more to try.",
                     id, cradle_pending_status_to_string (from));
      else
        g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                     "Request %" G_GINT64_FORMAT " is %s, so it cannot become %s. "
                     "Another Cradle window or command may have finished it; "
                     "run 'cradlectl pending' to see where it stands.",
                     id, cradle_pending_status_to_string (from),
                     cradle_pending_status_to_string ((CradlePendingStatus) to));
      return FALSE;
    }
  if (!write (self, id, data, error) || !commit_write (self, doing, error))
    {
      rollback (self);
      return FALSE;
    }
  if (to >= 0)
    g_debug ("Request %" G_GINT64_FORMAT ": %s to %s", id, cradle_pending_status_to_string (from),
             cradle_pending_status_to_string ((CradlePendingStatus) to));
  return TRUE;
}

typedef struct {
  const char *ca_request_id;
  const char *retrieve_uri;
  gint64      next_attempt;
} PendingChange;

static gboolean
write_pending (CradlePendingStore  *self,
               gint64               id,
               gconstpointer        data,
               GError             **error)
{
  const PendingChange *change = data;
  const Param params[] = {
    PARAM_INT (id), PARAM_TEXT (change->ca_request_id), PARAM_TEXT (change->retrieve_uri),
    PARAM_INT (change->next_attempt), PARAM_INT (now_seconds ()),
  };

  return execute (self,
                  "UPDATE requests SET status = 'pending',"
                  "  ca_request_id = coalesce (?2, ca_request_id),"
                  "  retrieve_uri = coalesce (?3, retrieve_uri),"
                  "  attempts = attempts + 1, next_attempt = ?4, last_error = NULL, updated = ?5 "
                  "WHERE id = ?1",
                  params, G_N_ELEMENTS (params), "record that the request is pending", error);
}

/**
 * cradle_pending_store_mark_pending:
 * @self: the store
 * @id: the request
 * @ca_request_id: (nullable): the CA's number for it; %NULL keeps the stored one
 * @retrieve_uri: (nullable): where to ask later; %NULL keeps the stored one
 * @retry_after: seconds before asking again
 * @error: return location for a #GError
 *
 * The CA will decide later: from submitting, or pending again after a poll.
 *
 * Returns: %TRUE if recorded
 */
gboolean
cradle_pending_store_mark_pending (CradlePendingStore  *self,
                                   gint64               id,
                                   const char          *ca_request_id,
                                   const char          *retrieve_uri,
                                   guint                retry_after,
                                   GError             **error)
{
  PendingChange pending = { ca_request_id, retrieve_uri, now_seconds () + retry_after };

  g_return_val_if_fail (CRADLE_IS_PENDING_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_text ("CA's request id", ca_request_id, FALSE, error)
      || !check_text ("retrieval address", retrieve_uri, FALSE, error))
    return FALSE;
  return change_status (self, id, CRADLE_PENDING_STATUS_PENDING, "record that the request is pending",
                 write_pending, &pending, error);
}

typedef struct {
  const char        *ca_request_id;
  CradleCertificate *leaf;
  GPtrArray         *chain;
} IssuedChange;

static gboolean
write_certificate (CradlePendingStore  *self,
                   gint64               id,
                   guint                position,
                   CradleCertificate   *certificate,
                   GError             **error)
{
  const Param params[] = {
    PARAM_INT (id), PARAM_INT (position), PARAM_BLOB (cradle_certificate_get_der (certificate)),
  };

  return execute (self, "INSERT INTO certificates (request_id, position, der) VALUES (?1, ?2, ?3)",
                  params, G_N_ELEMENTS (params), "keep the issued certificate", error);
}

static gboolean
write_issued (CradlePendingStore  *self,
              gint64               id,
              gconstpointer        data,
              GError             **error)
{
  const IssuedChange *change = data;
  const Param params[] = {
    PARAM_INT (id), PARAM_TEXT (change->ca_request_id), PARAM_INT (now_seconds ()),
  };
  const Param id_param[] = { PARAM_INT (id) };

  if (!execute (self, "DELETE FROM certificates WHERE request_id = ?1",
                id_param, 1, "keep the issued certificate", error)
      || !write_certificate (self, id, 0, change->leaf, error))
    return FALSE;
  for (guint i = 0; change->chain != NULL && i < change->chain->len; i++)
    {
      if (!write_certificate (self, id, i + 1, g_ptr_array_index (change->chain, i), error))
        return FALSE;
    }
  return execute (self,
                  "UPDATE requests SET status = 'issued',"
                  "  ca_request_id = coalesce (?2, ca_request_id),"
                  "  next_attempt = 0, last_error = NULL, updated = ?3 "
                  "WHERE id = ?1",
                  params, G_N_ELEMENTS (params), "keep the issued certificate", error);
}

/**
 * cradle_pending_store_mark_issued:
 * @self: the store
 * @id: the request
 * @ca_request_id: (nullable): the CA's number for it; %NULL keeps the stored one
 * @leaf: the issued certificate
 * @chain: (element-type CradleCertificate) (nullable): CA certificates that came with it
 * @error: return location for a #GError
 *
 * Keeps the certificate until it is installed on the device.
 *
 * Returns: %TRUE if recorded
 */
gboolean
cradle_pending_store_mark_issued (CradlePendingStore  *self,
                                  gint64               id,
                                  const char          *ca_request_id,
                                  CradleCertificate   *leaf,
                                  GPtrArray           *chain,
                                  GError             **error)
{
  IssuedChange issued = { ca_request_id, leaf, chain };

  g_return_val_if_fail (CRADLE_IS_PENDING_STORE (self), FALSE);
  g_return_val_if_fail (CRADLE_IS_CERTIFICATE (leaf), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_text ("CA's request id", ca_request_id, FALSE, error))
    return FALSE;
  if (chain != NULL && chain->len > CRADLE_PENDING_MAX_CHAIN)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The CA sent %u certificates with the issued one; Cradle keeps at most %d. "
                   "Ask your administrator to check the CA's chain.",
                   chain->len, CRADLE_PENDING_MAX_CHAIN);
      return FALSE;
    }
  return change_status (self, id, CRADLE_PENDING_STATUS_ISSUED, "keep the issued certificate",
                 write_issued, &issued, error);
}

static gboolean
write_installed (CradlePendingStore  *self,
                 gint64               id,
                 gconstpointer        data,
                 GError             **error)
{
  const Param params[] = { PARAM_INT (id), PARAM_INT (now_seconds ()) };

  return execute (self,
                  "UPDATE requests SET status = 'installed', next_attempt = 0, last_error = NULL,"
                  "  updated = ?2 "
                  "WHERE id = ?1",
                  params, G_N_ELEMENTS (params), "record that the certificate is installed", error);
}

gboolean
cradle_pending_store_mark_installed (CradlePendingStore  *self,
                                     gint64               id,
                                     GError             **error)
{
  g_return_val_if_fail (CRADLE_IS_PENDING_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return change_status (self, id, CRADLE_PENDING_STATUS_INSTALLED,
                 "record that the certificate is installed", write_installed, NULL, error);
}

typedef struct {
  const char *ca_request_id;
  guint32     code;
  const char *message;
} DeniedChange;

static gboolean
write_denied (CradlePendingStore  *self,
              gint64               id,
              gconstpointer        data,
              GError             **error)
{
  const DeniedChange *change = data;
  const Param params[] = {
    PARAM_INT (id), PARAM_TEXT (change->ca_request_id), PARAM_INT (change->code),
    PARAM_TEXT (change->message), PARAM_INT (now_seconds ()),
  };

  return execute (self,
                  "UPDATE requests SET status = 'denied',"
                  "  ca_request_id = coalesce (?2, ca_request_id),"
                  "  denial_code = ?3, denial_message = ?4, next_attempt = 0, updated = ?5 "
                  "WHERE id = ?1",
                  params, G_N_ELEMENTS (params), "record that the CA refused the request", error);
}

/**
 * cradle_pending_store_mark_denied:
 * @self: the store
 * @id: the request
 * @ca_request_id: (nullable): the CA's number for it; %NULL keeps the stored one
 * @code: the CA's code: an HRESULT (certsrv, wstep), a failInfo (scep) or
 *   an HTTP status (est)
 * @message: (nullable): the CA's own words
 * @error: return location for a #GError
 *
 * Returns: %TRUE if recorded
 */
gboolean
cradle_pending_store_mark_denied (CradlePendingStore  *self,
                                  gint64               id,
                                  const char          *ca_request_id,
                                  guint32              code,
                                  const char          *message,
                                  GError             **error)
{
  g_autofree char *line = dup_one_line (message, CRADLE_PENDING_MAX_MESSAGE_SIZE);
  DeniedChange denied = { ca_request_id, code, line };

  g_return_val_if_fail (CRADLE_IS_PENDING_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_text ("CA's request id", ca_request_id, FALSE, error))
    return FALSE;
  return change_status (self, id, CRADLE_PENDING_STATUS_DENIED, "record that the CA refused the request",
                 write_denied, &denied, error);
}

static gboolean
write_failed (CradlePendingStore  *self,
              gint64               id,
              gconstpointer        data,
              GError             **error)
{
  const Param params[] = { PARAM_INT (id), PARAM_TEXT (data), PARAM_INT (now_seconds ()) };

  return execute (self,
                  "UPDATE requests SET status = 'failed', last_error = ?2, next_attempt = 0,"
                  "  updated = ?3 "
                  "WHERE id = ?1",
                  params, G_N_ELEMENTS (params), "record that the request failed", error);
}

gboolean
cradle_pending_store_mark_failed (CradlePendingStore  *self,
                                  gint64               id,
                                  const char          *error_message,
                                  GError             **error)
{
  g_autofree char *line = dup_one_line (error_message, CRADLE_PENDING_MAX_MESSAGE_SIZE);

  g_return_val_if_fail (CRADLE_IS_PENDING_STORE (self), FALSE);
  g_return_val_if_fail (error_message != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return change_status (self, id, CRADLE_PENDING_STATUS_FAILED, "record that the request failed",
                 write_failed, line, error);
}

typedef struct {
  const char *error_message;
  gint64      next_attempt;
} AttemptChange;

static gboolean
write_attempt (CradlePendingStore  *self,
               gint64               id,
               gconstpointer        data,
               GError             **error)
{
  const AttemptChange *change = data;
  const Param params[] = {
    PARAM_INT (id), PARAM_TEXT (change->error_message), PARAM_INT (change->next_attempt),
    PARAM_INT (now_seconds ()),
  };

  return execute (self,
                  "UPDATE requests SET attempts = attempts + 1, last_error = ?2, next_attempt = ?3,"
                  "  updated = ?4 "
                  "WHERE id = ?1",
                  params, G_N_ELEMENTS (params), "record the attempt", error);
}

gboolean
cradle_pending_store_record_attempt (CradlePendingStore  *self,
                                     gint64               id,
                                     const char          *error_message,
                                     guint                retry_after,
                                     GError             **error)
{
  g_autofree char *line = dup_one_line (error_message, CRADLE_PENDING_MAX_MESSAGE_SIZE);
  AttemptChange attempt = { line, now_seconds () + retry_after };

  g_return_val_if_fail (CRADLE_IS_PENDING_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return change_status (self, id, -1, "record the attempt", write_attempt, &attempt, error);
}

/* ---- reading ----------------------------------------------------------- */

static gboolean
read_certificates (CradlePendingStore  *self,
                   gint64               id,
                   GPtrArray          **certificates,
                   GError             **error)
{
  const Param params[] = { PARAM_INT (id) };
  g_autoptr(sqlite3_stmt) stmt =
    prepare (self, "SELECT der FROM certificates WHERE request_id = ?1 ORDER BY position",
             params, 1, "read the requests", error);
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  int rc;

  if (stmt == NULL)
    return FALSE;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_ptr_array_add (list, g_bytes_new (sqlite3_column_blob (stmt, 0),
                                          (gsize) sqlite3_column_bytes (stmt, 0)));
    }
  if (rc != SQLITE_DONE)
    {
      cradle_request_db_set_error (self->db, rc, self->path, "read the requests", error);
      return FALSE;
    }
  *certificates = g_steal_pointer (&list);
  return TRUE;
}

/* Runs @stmt to its end, one record per row, in one read transaction so
 * that a request and its certificates are seen as one. */
static GPtrArray *
read_requests (CradlePendingStore  *self,
               sqlite3_stmt        *stmt,
               GError             **error)
{
  g_autoptr(GPtrArray) requests = g_ptr_array_new_with_free_func (g_object_unref);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr(GPtrArray) certificates = NULL;
      CradlePendingRequest *request;

      if (!read_certificates (self, sqlite3_column_int64 (stmt, 0), &certificates, error))
        return NULL;
      request = cradle_pending_request_new_from_row (stmt, certificates, error);
      if (request == NULL)
        return NULL;
      g_ptr_array_add (requests, request);
    }
  if (rc != SQLITE_DONE)
    {
      cradle_request_db_set_error (self->db, rc, self->path, "read the requests", error);
      return NULL;
    }
  return g_steal_pointer (&requests);
}

static GPtrArray *
query_requests (CradlePendingStore  *self,
                const char          *sql,
                const Param         *params,
                guint                n_params,
                GError             **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) requests = NULL;

  if (!cradle_request_db_exec (self->db, "BEGIN", self->path, "read the requests", error))
    return NULL;
  stmt = prepare (self, sql, params, n_params, "read the requests", error);
  if (stmt != NULL)
    requests = read_requests (self, stmt, error);
  g_clear_pointer (&stmt, sqlite3_finalize);
  if (requests == NULL
      || !cradle_request_db_exec (self->db, "COMMIT", self->path, "read the requests", error))
    {
      rollback (self);
      return NULL;
    }
  return g_steal_pointer (&requests);
}

/**
 * cradle_pending_store_get:
 * @self: the store
 * @id: the request
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the request as stored now, or %NULL with
 *   @error set (%CRADLE_ERROR_NOT_FOUND when there is no such request)
 */
CradlePendingRequest *
cradle_pending_store_get (CradlePendingStore  *self,
                          gint64               id,
                          GError             **error)
{
  const Param params[] = { PARAM_INT (id) };
  g_autoptr(GPtrArray) requests = NULL;

  g_return_val_if_fail (CRADLE_IS_PENDING_STORE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  requests = query_requests (self,
                             "SELECT " CRADLE_PENDING_REQUEST_COLUMNS " FROM requests WHERE id = ?1",
                             params, 1, error);
  if (requests == NULL)
    return NULL;
  if (requests->len == 0)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                   "There is no request %" G_GINT64_FORMAT " in %s. "
                   "Run 'cradlectl pending' to see the requests Cradle keeps.",
                   id, self->path);
      return NULL;
    }
  return g_object_ref (g_ptr_array_index (requests, 0));
}

/**
 * cradle_pending_store_list:
 * @self: the store
 * @filter: every request, or only those not finished
 * @error: return location for a #GError
 *
 * Returns: (transfer container) (element-type CradlePendingRequest): the
 *   requests, oldest first, or %NULL with @error set
 */
GPtrArray *
cradle_pending_store_list (CradlePendingStore       *self,
                           CradlePendingListFilter   filter,
                           GError                  **error)
{
  g_return_val_if_fail (CRADLE_IS_PENDING_STORE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (filter == CRADLE_PENDING_LIST_UNFINISHED)
    return query_requests (self,
                           "SELECT " CRADLE_PENDING_REQUEST_COLUMNS " FROM requests "
                           "WHERE status IN ('submitting', 'pending', 'issued') ORDER BY id",
                           NULL, 0, error);
  return query_requests (self,
                         "SELECT " CRADLE_PENDING_REQUEST_COLUMNS " FROM requests ORDER BY id",
                         NULL, 0, error);
}

/**
 * cradle_pending_store_remove:
 * @self: the store
 * @id: the request
 * @error: return location for a #GError
 *
 * Forgets a request and its certificates, whatever its status.
 *
 * Returns: %TRUE if it was there and is gone
 */
gboolean
cradle_pending_store_remove (CradlePendingStore  *self,
                             gint64               id,
                             GError             **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  const Param params[] = { PARAM_INT (id) };
  const char *doing = "remove the request";

  g_return_val_if_fail (CRADLE_IS_PENDING_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  locker = g_mutex_locker_new (&self->lock);
  if (!begin_write (self, doing, error))
    return FALSE;
  if (!execute (self, "DELETE FROM certificates WHERE request_id = ?1", params, 1, doing, error)
      || !execute (self, "DELETE FROM requests WHERE id = ?1", params, 1, doing, error))
    {
      rollback (self);
      return FALSE;
    }
  if (sqlite3_changes (self->db) == 0)
    {
      rollback (self);
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                   "There is no request %" G_GINT64_FORMAT " in %s. "
                   "Run 'cradlectl pending' to see the requests Cradle keeps.",
                   id, self->path);
      return FALSE;
    }
  if (!commit_write (self, doing, error))
    {
      rollback (self);
      return FALSE;
    }
  return TRUE;
}

/* ---- claims ------------------------------------------------------------ */

char *
cradle_pending_claim_owner_new (void)
{
  return g_strdup_printf ("%ld:%08x%08x%08x", (long) getpid (), g_random_int (), g_random_int (),
                          g_random_int ());
}

/* The process id in an owner, for people; 0 when it has none. */
static guint64
owner_pid (const char *owner)
{
  g_autofree char *digits = g_strndup (owner, strcspn (owner, ":"));
  guint64 pid = 0;

  if (!g_ascii_string_to_unsigned (digits, 10, 1, G_MAXINT, &pid, NULL))
    return 0;
  return pid;
}

static void
set_busy_error (gint64       id,
                const char  *holder,
                GError     **error)
{
  guint64 pid = holder != NULL ? owner_pid (holder) : 0;
  g_autofree char *process = pid != 0 ? g_strdup_printf (" (process %" G_GUINT64_FORMAT ")", pid)
                                      : g_strdup ("");

  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_BUSY,
               "Another Cradle program%s is working on request %" G_GINT64_FORMAT "; try again in a minute.",
               process, id);
}

/**
 * cradle_pending_store_check_unclaimed:
 * @self: the store
 * @id: a request's id
 * @error: return location for a #GError
 *
 * Whether request @id is free to be worked on: a caller about to resume
 * it (cradlectl retrieve) can say at once that another program works on
 * it, before it waits for the device. The engine still claims the request
 * when its run starts; this only looks.
 *
 * Returns: %TRUE when nobody holds an unexpired claim on it; %FALSE with
 *   CRADLE_ERROR_BUSY while another program does
 */
gboolean
cradle_pending_store_check_unclaimed (CradlePendingStore  *self,
                                      gint64               id,
                                      GError             **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  const Param params[] = { PARAM_INT (id), PARAM_INT (now_seconds ()) };
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (CRADLE_IS_PENDING_STORE (self), FALSE);

  locker = g_mutex_locker_new (&self->lock);
  stmt = prepare (self, "SELECT owner FROM claims WHERE request_id = ?1 AND expires > ?2", params,
                  G_N_ELEMENTS (params), "read the request's claim", error);
  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      set_busy_error (id, (const char *) sqlite3_column_text (stmt, 0), error);
      return FALSE;
    }
  if (rc != SQLITE_DONE)
    {
      cradle_request_db_set_error (self->db, rc, self->path, "read the request's claim", error);
      return FALSE;
    }
  return TRUE;
}

/**
 * cradle_pending_store_claim:
 *
 * Takes the claim when nobody holds it, or when another owner's lease
 * expired (that program crashed or hung); renews it when @owner holds it.
 */
gboolean
cradle_pending_store_claim (CradlePendingStore  *self,
                            gint64               id,
                            const char          *owner,
                            guint                lease_seconds,
                            gint64              *expires,
                            GError             **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  const char *doing = "claim the request";
  CradlePendingStatus status;
  gint64 now = now_seconds ();

  g_return_val_if_fail (CRADLE_IS_PENDING_STORE (self), FALSE);
  g_return_val_if_fail (owner != NULL && *owner != '\0', FALSE);

  locker = g_mutex_locker_new (&self->lock);
  if (!begin_write (self, doing, error))
    return FALSE;
  if (!read_status (self, id, doing, &status, error))
    {
      rollback (self);
      return FALSE;
    }
  {
    const Param params[] = { PARAM_INT (id) };
    g_autoptr(sqlite3_stmt) stmt =
      prepare (self, "SELECT owner, expires FROM claims WHERE request_id = ?1", params, 1, doing, error);
    int rc;

    if (stmt == NULL)
      {
        rollback (self);
        return FALSE;
      }
    rc = sqlite3_step (stmt);
    if (rc == SQLITE_ROW)
      {
        const char *holder = (const char *) sqlite3_column_text (stmt, 0);
        gint64 until = sqlite3_column_int64 (stmt, 1);

        if (g_strcmp0 (holder, owner) != 0 && until > now)
          {
            if (expires != NULL)
              *expires = until;
            set_busy_error (id, holder, error);
            sqlite3_reset (stmt);
            rollback (self);
            return FALSE;
          }
      }
    else if (rc != SQLITE_DONE)
      {
        cradle_request_db_set_error (self->db, rc, self->path, doing, error);
        sqlite3_reset (stmt);
        rollback (self);
        return FALSE;
      }
  }
  {
    const Param params[] = { PARAM_INT (id), PARAM_TEXT (owner), PARAM_INT (now + lease_seconds) };

    if (!execute (self, "INSERT OR REPLACE INTO claims (request_id, owner, expires) VALUES (?1, ?2, ?3)",
                  params, G_N_ELEMENTS (params), doing, error)
        || !commit_write (self, doing, error))
      {
        rollback (self);
        return FALSE;
      }
  }
  if (expires != NULL)
    *expires = now + lease_seconds;
  return TRUE;
}

gboolean
cradle_pending_store_release (CradlePendingStore  *self,
                              gint64               id,
                              const char          *owner,
                              GError             **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  const Param params[] = { PARAM_INT (id), PARAM_TEXT (owner) };

  g_return_val_if_fail (CRADLE_IS_PENDING_STORE (self), FALSE);
  g_return_val_if_fail (owner != NULL, FALSE);

  locker = g_mutex_locker_new (&self->lock);
  return execute (self, "DELETE FROM claims WHERE request_id = ?1 AND owner = ?2", params,
                  G_N_ELEMENTS (params), "release the request", error);
}
