/* cradle-pending-store-renewals.c: what a recorded renewal renews, and its clean-up
 *
 * A renewal is a request like any other, with one row more (schema 3,
 * `renewals`): the old certificate and its key, the MS-WCCE SignedData as
 * sent, and whether the old certificate is gone from the device.  The row
 * is written with the request (cradle_pending_store_add_renewal_claimed()),
 * so that a resume after an unplug or an outage still replaces the old
 * certificate; an installed renewal whose old certificate is still there
 * is finished by the next renewal run on that device.
 */
#include "config.h"

#include "state/cradle-pending-store-private.h"

#define RENEWAL_COLUMNS "r.request_id, r.old_cert, r.old_key_id, r.signed_data, r.old_removed"

void
cradle_pending_renewal_free (CradlePendingRenewal *renewal)
{
  if (renewal == NULL)
    return;
  g_clear_pointer (&renewal->old_certificate, g_bytes_unref);
  g_clear_pointer (&renewal->old_key_id, g_bytes_unref);
  g_clear_pointer (&renewal->signed_data, g_bytes_unref);
  g_free (renewal);
}

static GBytes *
column_blob (sqlite3_stmt *row,
             int           column)
{
  if (sqlite3_column_type (row, column) != SQLITE_BLOB)
    return NULL;
  return g_bytes_new (sqlite3_column_blob (row, column), (gsize) sqlite3_column_bytes (row, column));
}

static CradlePendingRenewal *
renewal_from_row (sqlite3_stmt *row)
{
  CradlePendingRenewal *renewal = g_new0 (CradlePendingRenewal, 1);

  renewal->request_id = sqlite3_column_int64 (row, 0);
  renewal->old_certificate = column_blob (row, 1);
  renewal->old_key_id = column_blob (row, 2);
  renewal->signed_data = column_blob (row, 3);
  renewal->old_removed = sqlite3_column_int64 (row, 4) != 0;
  return renewal;
}

static GPtrArray *
query (CradlePendingStore        *self,
       const char                *sql,
       const CradlePendingParam  *params,
       guint                      n_params,
       GError                   **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(sqlite3_stmt) stmt = _cradle_pending_store_prepare (self, sql, params, n_params,
                                                                 "read the renewals", error);
  g_autoptr(GPtrArray) renewals = g_ptr_array_new_with_free_func ((GDestroyNotify) cradle_pending_renewal_free);
  int rc;

  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (renewals, renewal_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      cradle_request_db_set_error (self->db, rc, self->path, "read the renewals", error);
      return NULL;
    }
  return g_steal_pointer (&renewals);
}

CradlePendingRenewal *
cradle_pending_store_get_renewal (CradlePendingStore  *self,
                                  gint64               id,
                                  GError             **error)
{
  const CradlePendingParam params[] = { PARAM_INT (id) };
  g_autoptr(GPtrArray) renewals = NULL;

  g_return_val_if_fail (CRADLE_IS_PENDING_STORE (self), NULL);

  renewals = query (self, "SELECT " RENEWAL_COLUMNS " FROM renewals r WHERE r.request_id = ?1",
                    params, G_N_ELEMENTS (params), error);
  if (renewals == NULL || renewals->len == 0)
    return NULL;
  return g_ptr_array_steal_index (renewals, 0);
}

gboolean
cradle_pending_store_mark_old_removed (CradlePendingStore  *self,
                                       gint64               id,
                                       GError             **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  const CradlePendingParam params[] = { PARAM_INT (id) };
  const char *doing = "record that the old certificate was removed";

  g_return_val_if_fail (CRADLE_IS_PENDING_STORE (self), FALSE);

  locker = g_mutex_locker_new (&self->lock);
  if (!_cradle_pending_store_begin_write (self, doing, error))
    return FALSE;
  if (!_cradle_pending_store_execute (self, "UPDATE renewals SET old_removed = 1 WHERE request_id = ?1",
                                      params, G_N_ELEMENTS (params), doing, error) ||
      !_cradle_pending_store_commit_write (self, doing, error))
    {
      _cradle_pending_store_rollback (self);
      return FALSE;
    }
  return TRUE;
}

GPtrArray *
cradle_pending_store_list_unreplaced (CradlePendingStore  *self,
                                      const char          *device_serial,
                                      GError             **error)
{
  const CradlePendingParam params[] = { PARAM_TEXT (device_serial) };

  g_return_val_if_fail (CRADLE_IS_PENDING_STORE (self), NULL);
  g_return_val_if_fail (device_serial != NULL, NULL);

  return query (self,
                "SELECT " RENEWAL_COLUMNS " FROM renewals r JOIN requests q ON q.id = r.request_id "
                "WHERE q.device_serial = ?1 AND q.status = 'installed' AND r.old_removed = 0 "
                "ORDER BY r.request_id",
                params, G_N_ELEMENTS (params), error);
}
