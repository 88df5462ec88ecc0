/* cradle-pending-request.c: one stored enrollment request, and its statuses */
#include "config.h"

#include "state/cradle-pending-store-private.h"

struct _CradlePendingRequest
{
  GObject parent_instance;

  /* Owned */
  char                *connector;
  char                *endpoint;
  char                *ca_request_id;
  char                *retrieve_uri;
  char                *template_name;
  char                *device_serial;
  GBytes              *key_id;
  GBytes              *csr;
  char                *last_error;
  char                *denial_message;
  CradleCertificate   *leaf;
  GPtrArray           *chain;

  gint64               id;
  CradlePendingStatus  status;
  gint64               created;
  gint64               updated;
  guint                attempts;
  gint64               next_attempt;
  gboolean             denied;
  guint32              denial_code;
};

G_DEFINE_FINAL_TYPE (CradlePendingRequest, cradle_pending_request, G_TYPE_OBJECT)

static const char *const status_names[] = {
  [CRADLE_PENDING_STATUS_SUBMITTING] = "submitting",
  [CRADLE_PENDING_STATUS_PENDING] = "pending",
  [CRADLE_PENDING_STATUS_ISSUED] = "issued",
  [CRADLE_PENDING_STATUS_INSTALLED] = "installed",
  [CRADLE_PENDING_STATUS_DENIED] = "denied",
  [CRADLE_PENDING_STATUS_FAILED] = "failed",
};

const char *
cradle_pending_status_to_string (CradlePendingStatus status)
{
  if ((guint) status >= G_N_ELEMENTS (status_names))
    return "unknown";
  return status_names[status];
}

gboolean
cradle_pending_status_from_string (const char          *name,
                                   CradlePendingStatus *status)
{
  g_return_val_if_fail (status != NULL, FALSE);

  for (guint i = 0; name != NULL && i < G_N_ELEMENTS (status_names); i++)
    {
      if (g_str_equal (name, status_names[i]))
        {
          *status = (CradlePendingStatus) i;
          return TRUE;
        }
    }
  return FALSE;
}

gboolean
cradle_pending_status_is_finished (CradlePendingStatus status)
{
  return status == CRADLE_PENDING_STATUS_INSTALLED
         || status == CRADLE_PENDING_STATUS_DENIED
         || status == CRADLE_PENDING_STATUS_FAILED;
}

/* The state machine of cradle-pending-store.h, as one table. */
gboolean
cradle_pending_status_can_become (CradlePendingStatus from,
                                  CradlePendingStatus to)
{
  switch (to)
    {
    case CRADLE_PENDING_STATUS_PENDING:
    case CRADLE_PENDING_STATUS_DENIED:
      return from == CRADLE_PENDING_STATUS_SUBMITTING || from == CRADLE_PENDING_STATUS_PENDING;
    case CRADLE_PENDING_STATUS_ISSUED:
      return from == CRADLE_PENDING_STATUS_SUBMITTING || from == CRADLE_PENDING_STATUS_PENDING;
    case CRADLE_PENDING_STATUS_INSTALLED:
      return from == CRADLE_PENDING_STATUS_ISSUED;
    case CRADLE_PENDING_STATUS_FAILED:
      return !cradle_pending_status_is_finished (from);
    case CRADLE_PENDING_STATUS_SUBMITTING:
    default:
      /* Only a new request is submitting. */
      return FALSE;
    }
}

static void
cradle_pending_request_finalize (GObject *object)
{
  CradlePendingRequest *self = CRADLE_PENDING_REQUEST (object);

  g_clear_pointer (&self->connector, g_free);
  g_clear_pointer (&self->endpoint, g_free);
  g_clear_pointer (&self->ca_request_id, g_free);
  g_clear_pointer (&self->retrieve_uri, g_free);
  g_clear_pointer (&self->template_name, g_free);
  g_clear_pointer (&self->device_serial, g_free);
  g_clear_pointer (&self->key_id, g_bytes_unref);
  g_clear_pointer (&self->csr, g_bytes_unref);
  g_clear_pointer (&self->last_error, g_free);
  g_clear_pointer (&self->denial_message, g_free);
  g_clear_object (&self->leaf);
  g_clear_pointer (&self->chain, g_ptr_array_unref);

  G_OBJECT_CLASS (cradle_pending_request_parent_class)->finalize (object);
}

static void
cradle_pending_request_class_init (CradlePendingRequestClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cradle_pending_request_finalize;
}

static void
cradle_pending_request_init (CradlePendingRequest *self)
{
  self->chain = g_ptr_array_new_with_free_func (g_object_unref);
}

static char *
dup_column_text (sqlite3_stmt *row,
                 int           column)
{
  const unsigned char *text = sqlite3_column_text (row, column);

  return text != NULL ? g_strdup ((const char *) text) : NULL;
}

static GBytes *
dup_column_blob (sqlite3_stmt *row,
                 int           column)
{
  const void *data = sqlite3_column_blob (row, column);
  int size = sqlite3_column_bytes (row, column);

  return g_bytes_new (data, data != NULL ? (gsize) size : 0);
}

/* The CHECK constraints of the schema keep these true for rows Cradle
 * wrote; a file edited by hand or damaged still gets a clear error. */
static gboolean
check_row (CradlePendingRequest  *self,
           const char            *status,
           GError               **error)
{
  const char *problem = NULL;

  if (self->connector == NULL || self->endpoint == NULL || self->device_serial == NULL)
    problem = "a required field is empty";
  else if (!cradle_pending_status_from_string (status, &self->status))
    problem = "its status is unknown";
  else if (g_bytes_get_size (self->key_id) != CRADLE_PENDING_KEY_ID_SIZE)
    problem = "its key id has the wrong size";
  else if (g_bytes_get_size (self->csr) == 0)
    problem = "its certification request is empty";
  if (problem == NULL)
    return TRUE;

  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
               "Request %" G_GINT64_FORMAT " in the request database is damaged: %s. "
               "It cannot be resumed; enroll the device again.",
               self->id, problem);
  return FALSE;
}

/* @certificates: (element-type GBytes): DER, the leaf first. */
CradlePendingRequest *
cradle_pending_request_new_from_row (sqlite3_stmt  *row,
                                     GPtrArray     *certificates,
                                     GError       **error)
{
  g_autoptr(CradlePendingRequest) self = g_object_new (CRADLE_TYPE_PENDING_REQUEST, NULL);
  gint64 attempts;

  self->id = sqlite3_column_int64 (row, 0);
  self->connector = dup_column_text (row, 1);
  self->endpoint = dup_column_text (row, 2);
  self->ca_request_id = dup_column_text (row, 3);
  self->retrieve_uri = dup_column_text (row, 4);
  self->template_name = dup_column_text (row, 5);
  self->device_serial = dup_column_text (row, 6);
  self->key_id = dup_column_blob (row, 7);
  self->csr = dup_column_blob (row, 8);
  self->created = sqlite3_column_int64 (row, 10);
  self->updated = sqlite3_column_int64 (row, 11);
  attempts = sqlite3_column_int64 (row, 12);
  self->attempts = (guint) CLAMP (attempts, 0, G_MAXUINT);
  self->next_attempt = sqlite3_column_int64 (row, 13);
  self->last_error = dup_column_text (row, 14);
  self->denied = sqlite3_column_type (row, 15) != SQLITE_NULL;
  self->denial_code = (guint32) sqlite3_column_int64 (row, 15);
  self->denial_message = dup_column_text (row, 16);

  if (!check_row (self, (const char *) sqlite3_column_text (row, 9), error))
    return NULL;

  for (guint i = 0; i < certificates->len; i++)
    {
      g_autoptr(GError) local_error = NULL;
      CradleCertificate *certificate =
        cradle_certificate_new_from_der (g_ptr_array_index (certificates, i), &local_error);

      if (certificate == NULL)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "A certificate of request %" G_GINT64_FORMAT " in the request database "
                       "is damaged (%s). It cannot be installed; enroll the device again.",
                       self->id, local_error->message);
          return NULL;
        }
      if (i == 0)
        self->leaf = certificate;
      else
        g_ptr_array_add (self->chain, certificate);
    }
  return g_steal_pointer (&self);
}

gint64
cradle_pending_request_get_id (CradlePendingRequest *self)
{
  g_return_val_if_fail (CRADLE_IS_PENDING_REQUEST (self), 0);
  return self->id;
}

const char *
cradle_pending_request_get_connector (CradlePendingRequest *self)
{
  g_return_val_if_fail (CRADLE_IS_PENDING_REQUEST (self), NULL);
  return self->connector;
}

const char *
cradle_pending_request_get_endpoint (CradlePendingRequest *self)
{
  g_return_val_if_fail (CRADLE_IS_PENDING_REQUEST (self), NULL);
  return self->endpoint;
}

const char *
cradle_pending_request_get_ca_request_id (CradlePendingRequest *self)
{
  g_return_val_if_fail (CRADLE_IS_PENDING_REQUEST (self), NULL);
  return self->ca_request_id;
}

const char *
cradle_pending_request_get_retrieve_uri (CradlePendingRequest *self)
{
  g_return_val_if_fail (CRADLE_IS_PENDING_REQUEST (self), NULL);
  return self->retrieve_uri;
}

const char *
cradle_pending_request_get_template_name (CradlePendingRequest *self)
{
  g_return_val_if_fail (CRADLE_IS_PENDING_REQUEST (self), NULL);
  return self->template_name;
}

const char *
cradle_pending_request_get_device_serial (CradlePendingRequest *self)
{
  g_return_val_if_fail (CRADLE_IS_PENDING_REQUEST (self), NULL);
  return self->device_serial;
}

GBytes *
cradle_pending_request_get_key_id (CradlePendingRequest *self)
{
  g_return_val_if_fail (CRADLE_IS_PENDING_REQUEST (self), NULL);
  return self->key_id;
}

GBytes *
cradle_pending_request_get_csr (CradlePendingRequest *self)
{
  g_return_val_if_fail (CRADLE_IS_PENDING_REQUEST (self), NULL);
  return self->csr;
}

CradlePendingStatus
cradle_pending_request_get_status (CradlePendingRequest *self)
{
  g_return_val_if_fail (CRADLE_IS_PENDING_REQUEST (self), CRADLE_PENDING_STATUS_FAILED);
  return self->status;
}

gint64
cradle_pending_request_get_created (CradlePendingRequest *self)
{
  g_return_val_if_fail (CRADLE_IS_PENDING_REQUEST (self), 0);
  return self->created;
}

gint64
cradle_pending_request_get_updated (CradlePendingRequest *self)
{
  g_return_val_if_fail (CRADLE_IS_PENDING_REQUEST (self), 0);
  return self->updated;
}

guint
cradle_pending_request_get_attempts (CradlePendingRequest *self)
{
  g_return_val_if_fail (CRADLE_IS_PENDING_REQUEST (self), 0);
  return self->attempts;
}

gint64
cradle_pending_request_get_next_attempt (CradlePendingRequest *self)
{
  g_return_val_if_fail (CRADLE_IS_PENDING_REQUEST (self), 0);
  return self->next_attempt;
}

const char *
cradle_pending_request_get_last_error (CradlePendingRequest *self)
{
  g_return_val_if_fail (CRADLE_IS_PENDING_REQUEST (self), NULL);
  return self->last_error;
}

gboolean
cradle_pending_request_get_denial (CradlePendingRequest  *self,
                                   guint32               *code,
                                   const char           **message)
{
  g_return_val_if_fail (CRADLE_IS_PENDING_REQUEST (self), FALSE);

  if (code != NULL)
    *code = self->denial_code;
  if (message != NULL)
    *message = self->denial_message;
  return self->denied;
}

CradleCertificate *
cradle_pending_request_get_leaf (CradlePendingRequest *self)
{
  g_return_val_if_fail (CRADLE_IS_PENDING_REQUEST (self), NULL);
  return self->leaf;
}

GPtrArray *
cradle_pending_request_get_chain (CradlePendingRequest *self)
{
  g_return_val_if_fail (CRADLE_IS_PENDING_REQUEST (self), NULL);
  return self->chain;
}
