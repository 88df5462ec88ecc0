/* cradle-pending-store-installed.c: the type each installed certificate came from
 *
 * The engine records it as it installs a certificate; the status of a
 * device's certificates reads it back, so a certificate of a type file
 * (whose template, if any, does not say which type asked for it) is
 * reported and renewed as that type.
 */
#include "config.h"

#include "base/cradle-digest-private.h"
#include "state/cradle-pending-store-private.h"

gboolean
cradle_pending_store_record_installed_type (CradlePendingStore  *self,
                                            GBytes              *certificate,
                                            const char          *type_name,
                                            const char          *device_serial,
                                            gint64               request_id,
                                            GError             **error)
{
  g_autoptr(GBytes) sha256 = NULL;
  g_autoptr(GMutexLocker) locker = NULL;
  const char *doing = "record the installed certificate's type";

  g_return_val_if_fail (CRADLE_IS_PENDING_STORE (self), FALSE);
  g_return_val_if_fail (certificate != NULL, FALSE);

  if (!_cradle_pending_store_check_text ("type name", type_name, TRUE, error) ||
      !_cradle_pending_store_check_text ("device serial", device_serial, FALSE, error))
    return FALSE;
  sha256 = cradle_digest_sha256 (certificate);
  {
    const CradlePendingParam params[] = {
      PARAM_BLOB (sha256), PARAM_TEXT (type_name), PARAM_TEXT (device_serial), PARAM_INT (request_id),
      PARAM_INT (_cradle_pending_store_now ()),
    };

    locker = g_mutex_locker_new (&self->lock);
    return _cradle_pending_store_execute (self,
                                          "INSERT OR REPLACE INTO installed_types"
                                          " (sha256, type_name, device_serial, request_id, installed)"
                                          " VALUES (?1, ?2, ?3, ?4, ?5)",
                                          params, G_N_ELEMENTS (params), doing, error);
  }
}

static char *
query_text (CradlePendingStore        *self,
            const char                *sql,
            const CradlePendingParam  *params,
            guint                      n_params,
            GError                   **error)
{
  g_autoptr(sqlite3_stmt) stmt = _cradle_pending_store_prepare (self, sql, params, n_params,
                                                                 "read the installed certificates", error);
  int rc;

  if (stmt == NULL)
    return NULL;
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      const char *text = (const char *) sqlite3_column_text (stmt, 0);

      return text != NULL ? _cradle_pending_store_dup_one_line (text, CRADLE_PENDING_MAX_TEXT_SIZE) : NULL;
    }
  if (rc != SQLITE_DONE)
    cradle_request_db_set_error (self->db, rc, self->path, "read the installed certificates", error);
  return NULL;
}

char *
cradle_pending_store_dup_installed_type (CradlePendingStore  *self,
                                         GBytes              *certificate,
                                         GError             **error)
{
  g_autoptr(GBytes) sha256 = NULL;
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(GError) local_error = NULL;
  char *name;

  g_return_val_if_fail (CRADLE_IS_PENDING_STORE (self), NULL);
  g_return_val_if_fail (certificate != NULL, NULL);

  sha256 = cradle_digest_sha256 (certificate);
  locker = g_mutex_locker_new (&self->lock);
  {
    const CradlePendingParam params[] = { PARAM_BLOB (sha256) };

    name = query_text (self, "SELECT type_name FROM installed_types WHERE sha256 = ?1",
                       params, 1, &local_error);
  }
  if (name != NULL || local_error != NULL)
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      return name;
    }
  {
    const CradlePendingParam params[] = { PARAM_BLOB (certificate) };

    return query_text (self,
                       "SELECT r.template_name FROM requests r JOIN certificates c ON c.request_id = r.id"
                       " WHERE c.position = 0 AND c.der = ?1 AND r.status = 'installed'"
                       " AND r.template_name IS NOT NULL ORDER BY r.id DESC LIMIT 1",
                       params, 1, error);
  }
}
