/* cradle-pending-store.c: the store, its statements, adding and removing requests
 *
 * The store's other jobs have files of their own, sharing what is here
 * through cradle-pending-store-private.h: status changes
 * (cradle-pending-store-status.c), reading (cradle-pending-store-read.c)
 * and claims (cradle-pending-store-claims.c).
 */
#include "config.h"

#include <string.h>

#include "state/cradle-pending-store-private.h"

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

/* ---- statements with bound parameters ---------------------------------- */

gint64
_cradle_pending_store_now (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

sqlite3_stmt *
_cradle_pending_store_prepare (CradlePendingStore        *self,
                               const char                *sql,
                               const CradlePendingParam  *params,
                               guint                      n_params,
                               const char                *doing,
                               GError                   **error)
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
        case CRADLE_PENDING_PARAM_NULL:
          rc = sqlite3_bind_null (stmt, index);
          break;
        case CRADLE_PENDING_PARAM_INT:
          rc = sqlite3_bind_int64 (stmt, index, params[i].number);
          break;
        case CRADLE_PENDING_PARAM_TEXT:
          rc = sqlite3_bind_text (stmt, index, params[i].text, -1, SQLITE_TRANSIENT);
          break;
        case CRADLE_PENDING_PARAM_BLOB:
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
gboolean
_cradle_pending_store_execute (CradlePendingStore        *self,
                               const char                *sql,
                               const CradlePendingParam  *params,
                               guint                      n_params,
                               const char                *doing,
                               GError                   **error)
{
  g_autoptr(sqlite3_stmt) stmt = _cradle_pending_store_prepare (self, sql, params, n_params, doing, error);
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

void
_cradle_pending_store_rollback (CradlePendingStore *self)
{
  if (!sqlite3_get_autocommit (self->db))
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
}

/* BEGIN IMMEDIATE takes the write lock at once (waiting up to the busy
 * timeout for another program), so a status read inside it stays true. */
gboolean
_cradle_pending_store_begin_write (CradlePendingStore  *self,
                                   const char          *doing,
                                   GError             **error)
{
  return cradle_request_db_exec (self->db, "BEGIN IMMEDIATE", self->path, doing, error);
}

gboolean
_cradle_pending_store_commit_write (CradlePendingStore  *self,
                                    const char          *doing,
                                    GError             **error)
{
  if (self->before_commit != NULL)
    self->before_commit (self->before_commit_data);
  return cradle_request_db_exec (self->db, "COMMIT", self->path, doing, error);
}

gboolean
_cradle_pending_store_read_status (CradlePendingStore   *self,
                                   gint64                id,
                                   const char           *doing,
                                   CradlePendingStatus  *status,
                                   GError              **error)
{
  const CradlePendingParam params[] = { PARAM_INT (id) };
  g_autoptr(sqlite3_stmt) stmt =
    _cradle_pending_store_prepare (self, "SELECT status FROM requests WHERE id = ?1", params, 1, doing, error);
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

/* ---- checking what comes in -------------------------------------------- */

gboolean
_cradle_pending_store_check_text (const char  *what,
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
char *
_cradle_pending_store_dup_one_line (const char *text,
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
  return cradle_pending_store_add_renewal_claimed (self, connector, endpoint, template_name, device_serial, key_id,
                                                   csr, NULL, owner, error);
}

static gboolean
check_renewal (const CradlePendingRenewal  *renewal,
               GError                     **error)
{
  if (renewal == NULL)
    return TRUE;
  if (renewal->old_certificate == NULL || g_bytes_get_size (renewal->old_certificate) == 0 ||
      g_bytes_get_size (renewal->old_certificate) > CRADLE_PENDING_MAX_CSR_SIZE ||
      renewal->old_key_id == NULL || g_bytes_get_size (renewal->old_key_id) != CRADLE_PENDING_KEY_ID_SIZE ||
      (renewal->signed_data != NULL && (g_bytes_get_size (renewal->signed_data) == 0 ||
                                        g_bytes_get_size (renewal->signed_data) > 4 * CRADLE_PENDING_MAX_CSR_SIZE)))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "Cradle could not record the renewal: the old certificate, its key id or the "
                           "signed renewal is missing or too large.");
      return FALSE;
    }
  return TRUE;
}

/* The same, for a renewal (@renewal nullable): the request and what it
 * renews are recorded in one transaction, so a resumed request still
 * knows the certificate it replaces. */
gint64
cradle_pending_store_add_renewal_claimed (CradlePendingStore         *self,
                                          const char                 *connector,
                                          const char                 *endpoint,
                                          const char                 *template_name,
                                          const char                 *device_serial,
                                          GBytes                     *key_id,
                                          GBytes                     *csr,
                                          const CradlePendingRenewal *renewal,
                                          const char                 *owner,
                                          GError                    **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  const char *doing = "record the request";
  gint64 now = _cradle_pending_store_now ();
  gint64 id;

  g_return_val_if_fail (CRADLE_IS_PENDING_STORE (self), 0);
  g_return_val_if_fail (connector != NULL, 0);
  g_return_val_if_fail (key_id != NULL, 0);
  g_return_val_if_fail (csr != NULL, 0);
  g_return_val_if_fail (error == NULL || *error == NULL, 0);

  if (!check_connector (connector, error)
      || !check_renewal (renewal, error)
      || !_cradle_pending_store_check_text ("CA address", endpoint, TRUE, error)
      || !_cradle_pending_store_check_text ("template name", template_name, FALSE, error)
      || !_cradle_pending_store_check_text ("device serial", device_serial, TRUE, error))
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
    const CradlePendingParam params[] = {
      PARAM_TEXT (connector), PARAM_TEXT (endpoint), PARAM_TEXT (template_name),
      PARAM_TEXT (device_serial), PARAM_BLOB (key_id), PARAM_BLOB (csr),
      PARAM_TEXT (cradle_pending_status_to_string (CRADLE_PENDING_STATUS_SUBMITTING)),
      PARAM_INT (now),
    };

    if (!_cradle_pending_store_begin_write (self, doing, error))
      return 0;
    if (!_cradle_pending_store_execute (self,
                                        "INSERT INTO requests (connector, endpoint, template_name, device_serial, key_id, "
                                        "                      csr, status, created, updated, attempts, next_attempt) "
                                        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, 0, 0)",
                                        params, G_N_ELEMENTS (params), doing, error))
      {
        _cradle_pending_store_rollback (self);
        return 0;
      }
    id = sqlite3_last_insert_rowid (self->db);
    if (renewal != NULL)
      {
        const CradlePendingParam row[] = {
          PARAM_INT (id), PARAM_BLOB (renewal->old_certificate), PARAM_BLOB (renewal->old_key_id),
          renewal->signed_data != NULL ? PARAM_BLOB (renewal->signed_data) : PARAM_TEXT (NULL),
        };

        if (!_cradle_pending_store_execute (self,
                                            "INSERT INTO renewals (request_id, old_cert, old_key_id, signed_data) "
                                            "VALUES (?1, ?2, ?3, ?4)",
                                            row, G_N_ELEMENTS (row), doing, error))
          {
            _cradle_pending_store_rollback (self);
            return 0;
          }
      }
    if (owner != NULL)
      {
        const CradlePendingParam claim[] = {
          PARAM_INT (id), PARAM_TEXT (owner), PARAM_INT (now + CRADLE_PENDING_CLAIM_LEASE_SECONDS),
        };

        if (!_cradle_pending_store_execute (self, "INSERT INTO claims (request_id, owner, expires) VALUES (?1, ?2, ?3)",
                                            claim, G_N_ELEMENTS (claim), doing, error))
          {
            _cradle_pending_store_rollback (self);
            return 0;
          }
      }
    if (!_cradle_pending_store_commit_write (self, doing, error))
      {
        _cradle_pending_store_rollback (self);
        return 0;
      }
  }
  g_debug ("Request %" G_GINT64_FORMAT " recorded as submitting (%s, %s)", id, connector, endpoint);
  return id;
}

/* ---- removing ---------------------------------------------------------- */

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
  const CradlePendingParam params[] = { PARAM_INT (id) };
  const char *doing = "remove the request";

  g_return_val_if_fail (CRADLE_IS_PENDING_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  locker = g_mutex_locker_new (&self->lock);
  if (!_cradle_pending_store_begin_write (self, doing, error))
    return FALSE;
  if (!_cradle_pending_store_execute (self, "DELETE FROM certificates WHERE request_id = ?1", params, 1, doing, error)
      || !_cradle_pending_store_execute (self, "DELETE FROM requests WHERE id = ?1", params, 1, doing, error))
    {
      _cradle_pending_store_rollback (self);
      return FALSE;
    }
  if (sqlite3_changes (self->db) == 0)
    {
      _cradle_pending_store_rollback (self);
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                   "There is no request %" G_GINT64_FORMAT " in %s. "
                   "Run 'cradlectl pending' to see the requests Cradle keeps.",
                   id, self->path);
      return FALSE;
    }
  if (!_cradle_pending_store_commit_write (self, doing, error))
    {
      _cradle_pending_store_rollback (self);
      return FALSE;
    }
  return TRUE;
}
