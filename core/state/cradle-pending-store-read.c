/* cradle-pending-store-read.c: reading requests and their certificates */
#include "config.h"

#include "state/cradle-pending-store-private.h"

static gboolean
read_certificates (CradlePendingStore  *self,
                   gint64               id,
                   GPtrArray          **certificates,
                   GError             **error)
{
  const CradlePendingParam params[] = { PARAM_INT (id) };
  g_autoptr(sqlite3_stmt) stmt =
    _cradle_pending_store_prepare (self, "SELECT der FROM certificates WHERE request_id = ?1 ORDER BY position",
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
query_requests (CradlePendingStore        *self,
                const char                *sql,
                const CradlePendingParam  *params,
                guint                      n_params,
                GError                   **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) requests = NULL;

  if (!cradle_request_db_exec (self->db, "BEGIN", self->path, "read the requests", error))
    return NULL;
  stmt = _cradle_pending_store_prepare (self, sql, params, n_params, "read the requests", error);
  if (stmt != NULL)
    requests = read_requests (self, stmt, error);
  g_clear_pointer (&stmt, sqlite3_finalize);
  if (requests == NULL
      || !cradle_request_db_exec (self->db, "COMMIT", self->path, "read the requests", error))
    {
      _cradle_pending_store_rollback (self);
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
  const CradlePendingParam params[] = { PARAM_INT (id) };
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
