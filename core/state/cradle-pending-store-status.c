/* cradle-pending-store-status.c: a request's status changes, each one transaction */
#include "config.h"

#include "state/cradle-pending-store-private.h"

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

  if (!_cradle_pending_store_begin_write (self, doing, error))
    return FALSE;
  if (!_cradle_pending_store_read_status (self, id, doing, &from, error))
    {
      _cradle_pending_store_rollback (self);
      return FALSE;
    }
  if (to < 0 ? cradle_pending_status_is_finished (from)
             : !cradle_pending_status_can_become (from, (CradlePendingStatus) to))
    {
      _cradle_pending_store_rollback (self);
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
  if (!write (self, id, data, error) || !_cradle_pending_store_commit_write (self, doing, error))
    {
      _cradle_pending_store_rollback (self);
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
  const CradlePendingParam params[] = {
    PARAM_INT (id), PARAM_TEXT (change->ca_request_id), PARAM_TEXT (change->retrieve_uri),
    PARAM_INT (change->next_attempt), PARAM_INT (_cradle_pending_store_now ()),
  };

  return _cradle_pending_store_execute (self,
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
  PendingChange pending = { ca_request_id, retrieve_uri, _cradle_pending_store_now () + retry_after };

  g_return_val_if_fail (CRADLE_IS_PENDING_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!_cradle_pending_store_check_text ("CA's request id", ca_request_id, FALSE, error)
      || !_cradle_pending_store_check_text ("retrieval address", retrieve_uri, FALSE, error))
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
  const CradlePendingParam params[] = {
    PARAM_INT (id), PARAM_INT (position), PARAM_BLOB (cradle_certificate_get_der (certificate)),
  };

  return _cradle_pending_store_execute (self, "INSERT INTO certificates (request_id, position, der) VALUES (?1, ?2, ?3)",
                                        params, G_N_ELEMENTS (params), "keep the issued certificate", error);
}

static gboolean
write_issued (CradlePendingStore  *self,
              gint64               id,
              gconstpointer        data,
              GError             **error)
{
  const IssuedChange *change = data;
  const CradlePendingParam params[] = {
    PARAM_INT (id), PARAM_TEXT (change->ca_request_id), PARAM_INT (_cradle_pending_store_now ()),
  };
  const CradlePendingParam id_param[] = { PARAM_INT (id) };

  if (!_cradle_pending_store_execute (self, "DELETE FROM certificates WHERE request_id = ?1",
                                      id_param, 1, "keep the issued certificate", error)
      || !write_certificate (self, id, 0, change->leaf, error))
    return FALSE;
  for (guint i = 0; change->chain != NULL && i < change->chain->len; i++)
    {
      if (!write_certificate (self, id, i + 1, g_ptr_array_index (change->chain, i), error))
        return FALSE;
    }
  return _cradle_pending_store_execute (self,
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

  if (!_cradle_pending_store_check_text ("CA's request id", ca_request_id, FALSE, error))
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
  const CradlePendingParam params[] = { PARAM_INT (id), PARAM_INT (_cradle_pending_store_now ()) };

  return _cradle_pending_store_execute (self,
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
  const CradlePendingParam params[] = {
    PARAM_INT (id), PARAM_TEXT (change->ca_request_id), PARAM_INT (change->code),
    PARAM_TEXT (change->message), PARAM_INT (_cradle_pending_store_now ()),
  };

  return _cradle_pending_store_execute (self,
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
  g_autofree char *line = _cradle_pending_store_dup_one_line (message, CRADLE_PENDING_MAX_MESSAGE_SIZE);
  DeniedChange denied = { ca_request_id, code, line };

  g_return_val_if_fail (CRADLE_IS_PENDING_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!_cradle_pending_store_check_text ("CA's request id", ca_request_id, FALSE, error))
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
  const CradlePendingParam params[] = { PARAM_INT (id), PARAM_TEXT (data), PARAM_INT (_cradle_pending_store_now ()) };

  return _cradle_pending_store_execute (self,
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
  g_autofree char *line = _cradle_pending_store_dup_one_line (error_message, CRADLE_PENDING_MAX_MESSAGE_SIZE);

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
  const CradlePendingParam params[] = {
    PARAM_INT (id), PARAM_TEXT (change->error_message), PARAM_INT (change->next_attempt),
    PARAM_INT (_cradle_pending_store_now ()),
  };

  return _cradle_pending_store_execute (self,
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
  g_autofree char *line = _cradle_pending_store_dup_one_line (error_message, CRADLE_PENDING_MAX_MESSAGE_SIZE);
  AttemptChange attempt = { line, _cradle_pending_store_now () + retry_after };

  g_return_val_if_fail (CRADLE_IS_PENDING_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return change_status (self, id, -1, "record the attempt", write_attempt, &attempt, error);
}
