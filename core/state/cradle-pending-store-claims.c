/* cradle-pending-store-claims.c: claims: a request worked on belongs to one program at a time */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include "state/cradle-pending-store-private.h"

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
  const CradlePendingParam params[] = { PARAM_INT (id), PARAM_INT (_cradle_pending_store_now ()) };
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (CRADLE_IS_PENDING_STORE (self), FALSE);

  locker = g_mutex_locker_new (&self->lock);
  stmt = _cradle_pending_store_prepare (self, "SELECT owner FROM claims WHERE request_id = ?1 AND expires > ?2", params,
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
  gint64 now = _cradle_pending_store_now ();

  g_return_val_if_fail (CRADLE_IS_PENDING_STORE (self), FALSE);
  g_return_val_if_fail (owner != NULL && *owner != '\0', FALSE);

  locker = g_mutex_locker_new (&self->lock);
  if (!_cradle_pending_store_begin_write (self, doing, error))
    return FALSE;
  if (!_cradle_pending_store_read_status (self, id, doing, &status, error))
    {
      _cradle_pending_store_rollback (self);
      return FALSE;
    }
  {
    const CradlePendingParam params[] = { PARAM_INT (id) };
    g_autoptr(sqlite3_stmt) stmt =
      _cradle_pending_store_prepare (self, "SELECT owner, expires FROM claims WHERE request_id = ?1", params, 1, doing, error);
    int rc;

    if (stmt == NULL)
      {
        _cradle_pending_store_rollback (self);
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
            _cradle_pending_store_rollback (self);
            return FALSE;
          }
      }
    else if (rc != SQLITE_DONE)
      {
        cradle_request_db_set_error (self->db, rc, self->path, doing, error);
        sqlite3_reset (stmt);
        _cradle_pending_store_rollback (self);
        return FALSE;
      }
  }
  {
    const CradlePendingParam params[] = { PARAM_INT (id), PARAM_TEXT (owner), PARAM_INT (now + lease_seconds) };

    if (!_cradle_pending_store_execute (self, "INSERT OR REPLACE INTO claims (request_id, owner, expires) VALUES (?1, ?2, ?3)",
                                        params, G_N_ELEMENTS (params), doing, error)
        || !_cradle_pending_store_commit_write (self, doing, error))
      {
        _cradle_pending_store_rollback (self);
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
  const CradlePendingParam params[] = { PARAM_INT (id), PARAM_TEXT (owner) };

  g_return_val_if_fail (CRADLE_IS_PENDING_STORE (self), FALSE);
  g_return_val_if_fail (owner != NULL, FALSE);

  locker = g_mutex_locker_new (&self->lock);
  return _cradle_pending_store_execute (self, "DELETE FROM claims WHERE request_id = ?1 AND owner = ?2", params,
                                        G_N_ELEMENTS (params), "release the request", error);
}
