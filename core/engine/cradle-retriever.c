/* cradle-retriever.c: resuming a cradled device's unfinished requests, with back-off
 *
 * One resume at a time, on the caller's main context.  After each run the
 * store holds the next attempt (the engine records it with the back-off);
 * a timer wakes the retriever when the next one is due.  As a guard
 * against a store that could not be written, a request is not tried again
 * in this process sooner than the first back-off step unless asked for.
 */
#include "config.h"

#include "engine/cradle-enrollment-private.h"

struct _CradleRetriever
{
  GObject             parent_instance;

  /* Owned */
  CradlePendingStore *store;
  CradleJournal      *journal;
  CradleCredentials  *credentials;
  GPtrArray          *types;
  GPtrArray          *devices;        /* CradleDevice, opened */
  GMainContext       *context;
  GSource            *timer;
  CradleEnrollment   *running;
  GCancellable       *cancellable;
  GHashTable         *not_before;     /* request id → seconds since 1970 */
  GHashTable         *forced;         /* request ids to try now */
  GHashTable         *waiting_for_pin; /* ids of tokens whose PIN is not given, told once */
  gboolean            force_all;
  gboolean            stopped;
};

G_DEFINE_FINAL_TYPE (CradleRetriever, cradle_retriever, G_TYPE_OBJECT)

enum {
  SIGNAL_ENROLLMENT_STARTED,
  SIGNAL_ENROLLMENT_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void schedule (CradleRetriever *self);

static void
clear_timer (CradleRetriever *self)
{
  if (self->timer != NULL)
    {
      g_source_destroy (self->timer);
      g_clear_pointer (&self->timer, g_source_unref);
    }
}

static void
cradle_retriever_dispose (GObject *object)
{
  CradleRetriever *self = CRADLE_RETRIEVER (object);

  cradle_retriever_stop (self);
  g_clear_object (&self->store);
  g_clear_object (&self->journal);
  g_clear_object (&self->credentials);
  g_clear_object (&self->running);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->types, g_ptr_array_unref);
  g_clear_pointer (&self->devices, g_ptr_array_unref);
  G_OBJECT_CLASS (cradle_retriever_parent_class)->dispose (object);
}

static void
cradle_retriever_finalize (GObject *object)
{
  CradleRetriever *self = CRADLE_RETRIEVER (object);

  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->not_before, g_hash_table_unref);
  g_clear_pointer (&self->forced, g_hash_table_unref);
  g_clear_pointer (&self->waiting_for_pin, g_hash_table_unref);
  G_OBJECT_CLASS (cradle_retriever_parent_class)->finalize (object);
}

static void
cradle_retriever_class_init (CradleRetrieverClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cradle_retriever_dispose;
  object_class->finalize = cradle_retriever_finalize;

  signals[SIGNAL_ENROLLMENT_STARTED] =
    g_signal_new ("enrollment-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, CRADLE_TYPE_ENROLLMENT);
  signals[SIGNAL_ENROLLMENT_FINISHED] =
    g_signal_new ("enrollment-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, CRADLE_TYPE_ENROLLMENT);
}

static void
cradle_retriever_init (CradleRetriever *self)
{
  self->types = g_ptr_array_new_with_free_func (g_object_unref);
  self->devices = g_ptr_array_new_with_free_func (g_object_unref);
  self->not_before = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  self->forced = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->waiting_for_pin = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

CradleRetriever *
cradle_retriever_new (CradlePendingStore *store,
                      CradleJournal      *journal,
                      CradleCredentials  *credentials)
{
  CradleRetriever *self;

  g_return_val_if_fail (CRADLE_IS_PENDING_STORE (store), NULL);
  g_return_val_if_fail (journal == NULL || CRADLE_IS_JOURNAL (journal), NULL);
  g_return_val_if_fail (CRADLE_IS_CREDENTIALS (credentials), NULL);

  self = g_object_new (CRADLE_TYPE_RETRIEVER, NULL);
  self->store = g_object_ref (store);
  self->journal = journal != NULL ? g_object_ref (journal) : NULL;
  self->credentials = g_object_ref (credentials);
  self->context = g_main_context_ref_thread_default ();
  return self;
}

void
cradle_retriever_set_cert_types (CradleRetriever *self,
                                 GPtrArray       *types)
{
  g_return_if_fail (CRADLE_IS_RETRIEVER (self));

  g_ptr_array_set_size (self->types, 0);
  for (guint i = 0; types != NULL && i < types->len; i++)
    g_ptr_array_add (self->types, g_object_ref (g_ptr_array_index (types, i)));
}

static CradleDevice *
device_for_serial (CradleRetriever *self,
                   const char      *serial)
{
  for (guint i = 0; i < self->devices->len; i++)
    {
      CradleDevice *device = g_ptr_array_index (self->devices, i);

      if (g_strcmp0 (cradle_device_get_serial (device), serial) == 0)
        return device;
    }
  return NULL;
}

void
cradle_retriever_add_device (CradleRetriever *self,
                             CradleDevice    *device)
{
  g_return_if_fail (CRADLE_IS_RETRIEVER (self));
  g_return_if_fail (CRADLE_IS_DEVICE (device));
  g_return_if_fail (cradle_device_get_serial (device) != NULL);

  if (!g_ptr_array_find (self->devices, device, NULL))
    g_ptr_array_add (self->devices, g_object_ref (device));
  /* Cradled again: its requests are due now. */
  self->force_all = TRUE;
  schedule (self);
}

void
cradle_retriever_remove_device (CradleRetriever *self,
                                CradleDevice    *device)
{
  g_return_if_fail (CRADLE_IS_RETRIEVER (self));
  g_return_if_fail (CRADLE_IS_DEVICE (device));

  g_ptr_array_remove (self->devices, device);
  if (self->running != NULL && cradle_enrollment_get_device (self->running) == device)
    g_cancellable_cancel (self->cancellable);
}

void
cradle_retriever_retrieve_now (CradleRetriever *self,
                               gint64           request_id)
{
  g_return_if_fail (CRADLE_IS_RETRIEVER (self));

  if (request_id == 0)
    self->force_all = TRUE;
  else
    g_hash_table_add (self->forced, g_memdup2 (&request_id, sizeof request_id));
  schedule (self);
}

gboolean
cradle_retriever_is_busy (CradleRetriever *self)
{
  g_return_val_if_fail (CRADLE_IS_RETRIEVER (self), FALSE);
  return self->running != NULL;
}

void
cradle_retriever_stop (CradleRetriever *self)
{
  g_return_if_fail (CRADLE_IS_RETRIEVER (self));

  self->stopped = TRUE;
  clear_timer (self);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
}

static void
on_run_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(CradleRetriever) self = user_data;
  g_autoptr(CradleEnrollment) enrollment = g_object_ref (CRADLE_ENROLLMENT (source));
  gint64 id = cradle_enrollment_get_request_id (enrollment);
  gint64 *not_before = g_new (gint64, 1);

  cradle_enrollment_run_finish (enrollment, result, NULL);
  *not_before = g_get_real_time () / G_USEC_PER_SEC + cradle_enrollment_backoff_seconds (0, 0);
  g_hash_table_replace (self->not_before, g_memdup2 (&id, sizeof id), not_before);
  g_clear_object (&self->running);
  g_clear_object (&self->cancellable);
  g_signal_emit (self, signals[SIGNAL_ENROLLMENT_FINISHED], 0, enrollment);
  schedule (self);
}

static gboolean
on_timer (gpointer user_data)
{
  CradleRetriever *self = user_data;

  g_clear_pointer (&self->timer, g_source_unref);
  schedule (self);
  return G_SOURCE_REMOVE;
}

static void
start (CradleRetriever      *self,
       CradlePendingRequest *request,
       CradleDevice         *device)
{
  CradleCertType *type = NULL;

  if (self->types->len > 0)
    type = cradle_cert_type_find_for_endpoint (self->types, cradle_pending_request_get_connector (request),
                                               cradle_pending_request_get_endpoint (request),
                                               cradle_pending_request_get_template_name (request));
  self->running = cradle_enrollment_new_resume (request, device, type, self->credentials, self->store,
                                                self->journal);
  self->cancellable = g_cancellable_new ();
  g_signal_emit (self, signals[SIGNAL_ENROLLMENT_STARTED], 0, self->running);
  cradle_enrollment_run_async (self->running, self->cancellable, on_run_done, g_object_ref (self));
}

/* A token whose PIN is not given yet is left alone: a background try would
 * only fail (and a wrong PIN is never guessed).  Said once per token; the
 * requests wait until the PIN is entered (the app asks before a run) and
 * the device is added again or retrieve_now() is called. */
static gboolean
pin_given (CradleRetriever *self,
           CradleDevice    *device)
{
  CradleDevicePinState state = cradle_device_get_pin_state (device);

  if (state == CRADLE_DEVICE_PIN_NOT_NEEDED || state == CRADLE_DEVICE_PIN_ENTERED)
    {
      g_hash_table_remove (self->waiting_for_pin, cradle_device_get_id (device));
      return TRUE;
    }
  if (g_hash_table_add (self->waiting_for_pin, g_strdup (cradle_device_get_id (device))))
    {
      g_autofree char *label = cradle_text_escape (cradle_device_get_label (device), -1,
                                                   CRADLE_TEXT_ESCAPE_DEFAULT);

      g_message ("Not finishing the requests of the token '%s' in the background: %s. They are finished "
                 "once its PIN is entered.", label,
                 state == CRADLE_DEVICE_PIN_LOCKED ? "its PIN is locked" : "it needs its PIN");
    }
  return FALSE;
}

static void
schedule (CradleRetriever *self)
{
  g_autoptr(GPtrArray) requests = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 next = G_MAXINT64;

  if (self->stopped || self->running != NULL)
    return;
  clear_timer (self);
  requests = cradle_pending_store_list (self->store, CRADLE_PENDING_LIST_UNFINISHED, &error);
  if (requests == NULL)
    {
      g_warning ("Could not read the pending requests: %s", error->message);
      return;
    }
  /* "All of them now" is each of them once, not a loop. */
  for (guint i = 0; self->force_all && i < requests->len; i++)
    {
      gint64 id = cradle_pending_request_get_id (g_ptr_array_index (requests, i));

      g_hash_table_add (self->forced, g_memdup2 (&id, sizeof id));
    }
  self->force_all = FALSE;
  for (guint i = 0; i < requests->len; i++)
    {
      CradlePendingRequest *request = g_ptr_array_index (requests, i);
      gint64 id = cradle_pending_request_get_id (request);
      CradleDevice *device = device_for_serial (self, cradle_pending_request_get_device_serial (request));
      gint64 *guard = g_hash_table_lookup (self->not_before, &id);
      gint64 due = cradle_pending_request_get_next_attempt (request);
      gboolean forced = g_hash_table_contains (self->forced, &id);

      if (device == NULL || !pin_given (self, device))
        continue;
      if (!forced && guard != NULL)
        due = MAX (due, *guard);
      if (forced || due <= now)
        {
          g_hash_table_remove (self->forced, &id);
          start (self, request, device);
          return;
        }
      next = MIN (next, due);
    }
  if (next == G_MAXINT64)
    return;
  self->timer = g_timeout_source_new_seconds ((guint) CLAMP (next - now, 1, G_MAXUINT));
  g_source_set_callback (self->timer, on_timer, self, NULL);
  g_source_attach (self->timer, self->context);
}
