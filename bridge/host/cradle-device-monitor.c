/* cradle-device-monitor.c: devices arriving and leaving
 *
 * USB through the process's one libusb monitor (the one
 * cradle_device_enumerate() lists from); simulated devices through a
 * GFileMonitor on the runtime folder's devices/.  An agent's socket file
 * exists from its bind() a moment before it listens, so a refused
 * connection is tried again for a short while before the arrival is
 * dropped.  PKCS#11 tokens by polling their modules on a GLib timeout
 * ([Tokens] PollSeconds=): p11-kit's proxy offers no blocking
 * C_WaitForSlotEvent, and OpenSC's slot events are unreliable.  Each poll
 * runs on a worker thread (a card reader may be slow); a token is added and
 * removed by its URI.
 */
#include "config.h"

#include <cradle/cradle.h>

#include "protocol/cradle-bridge-socket-private.h"
#include "host/cradle-bridge-usb-private.h"
#include "host/cradle-device-private.h"

#define SOCKET_RETRY_MS 50
#define SOCKET_ATTEMPTS 40 /* 2 s */

struct _CradleDeviceMonitor
{
  GObject parent_instance;

  /* Owned */
  GMainContext           *context;
  CradleBridgeUsbMonitor *usb;
  GFileMonitor           *sockets;
  GHashTable             *arriving;     /* socket path → attempts left */
  GSource                *retry_source;
  GSource                *token_timer;
  GCancellable           *token_cancellable;
  GHashTable             *tokens;       /* URIs present at the last poll */
  gboolean                token_polling;
  gboolean                tokens_known; /* the first poll is done */
};

G_DEFINE_FINAL_TYPE (CradleDeviceMonitor, cradle_device_monitor, G_TYPE_OBJECT)

enum {
  SIGNAL_DEVICE_ADDED,
  SIGNAL_DEVICE_REMOVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ---- USB: the shared monitor's signals, moved to our main context ------ */

typedef struct {
  GWeakRef               monitor;
  CradleBridgeTransport *transport;  /* added, or NULL */
  char                  *id;         /* removed */
} UsbEvent;

static void
usb_event_free (gpointer data)
{
  UsbEvent *event = data;

  g_weak_ref_clear (&event->monitor);
  g_clear_object (&event->transport);
  g_free (event->id);
  g_free (event);
}

static gboolean
usb_event_dispatch (gpointer data)
{
  UsbEvent *event = data;
  g_autoptr(CradleDeviceMonitor) self = g_weak_ref_get (&event->monitor);

  if (self == NULL)
    return G_SOURCE_REMOVE;
  if (event->transport != NULL)
    {
      g_autoptr(CradleDevice) device = cradle_device_new_for_transport (event->transport);

      g_debug ("USB device %s arrived", cradle_device_get_id (device));
      g_signal_emit (self, signals[SIGNAL_DEVICE_ADDED], 0, device);
    }
  else
    {
      g_debug ("USB device %s left", event->id);
      g_signal_emit (self, signals[SIGNAL_DEVICE_REMOVED], 0, event->id);
    }
  return G_SOURCE_REMOVE;
}

static void
usb_event_post (CradleDeviceMonitor   *self,
                CradleBridgeTransport *transport,
                const char            *id)
{
  UsbEvent *event = g_new0 (UsbEvent, 1);

  g_weak_ref_init (&event->monitor, self);
  event->transport = transport != NULL ? g_object_ref (transport) : NULL;
  event->id = g_strdup (id);
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, usb_event_dispatch, event,
                              usb_event_free);
}

static void
on_usb_device_added (CradleBridgeUsbMonitor *usb,
                     CradleBridgeTransport  *transport,
                     gpointer                user_data)
{
  usb_event_post (user_data, transport, NULL);
}

static void
on_usb_device_removed (CradleBridgeUsbMonitor *usb,
                       const char             *id,
                       gpointer                user_data)
{
  usb_event_post (user_data, NULL, id);
}

/* ---- simulated devices: sockets in the runtime folder ------------------ */

static void schedule_retry (CradleDeviceMonitor *self);

/* TRUE when @path is done with (announced, or given up on). */
static gboolean
try_socket (CradleDeviceMonitor *self,
            const char          *path,
            guint                attempts_left)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleDevice) device = cradle_device_new_for_socket (path, &error);

  if (device == NULL)
    {
      if (attempts_left <= 1)
        g_debug ("Not announcing %s: %s", path, error->message);
      return attempts_left <= 1;
    }
  g_debug ("Simulated device %s arrived", cradle_device_get_id (device));
  g_signal_emit (self, signals[SIGNAL_DEVICE_ADDED], 0, device);
  return TRUE;
}

static gboolean
on_retry (gpointer user_data)
{
  CradleDeviceMonitor *self = user_data;
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key, value;

  g_clear_pointer (&self->retry_source, g_source_unref);

  /* Signal handlers may change the table: take the paths first. */
  g_hash_table_iter_init (&iter, self->arriving);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (paths, g_strdup (key));

  for (guint i = 0; i < paths->len; i++)
    {
      const char *path = g_ptr_array_index (paths, i);

      if (!g_hash_table_lookup_extended (self->arriving, path, NULL, &value))
        continue;
      if (try_socket (self, path, GPOINTER_TO_UINT (value)))
        g_hash_table_remove (self->arriving, path);
      else
        g_hash_table_insert (self->arriving, g_strdup (path), GUINT_TO_POINTER (GPOINTER_TO_UINT (value) - 1));
    }
  if (g_hash_table_size (self->arriving) > 0)
    schedule_retry (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry (CradleDeviceMonitor *self)
{
  if (self->retry_source != NULL)
    return;
  self->retry_source = g_timeout_source_new (SOCKET_RETRY_MS);
  g_source_set_callback (self->retry_source, on_retry, self, NULL);
  g_source_set_name (self->retry_source, "[cradle] device monitor socket retry");
  g_source_attach (self->retry_source, self->context);
}

static void
on_socket_event (GFileMonitor      *file_monitor,
                 GFile             *file,
                 GFile             *other_file,
                 GFileMonitorEvent  event,
                 gpointer           user_data)
{
  CradleDeviceMonitor *self = user_data;
  g_autofree char *path = NULL;

  if (event == G_FILE_MONITOR_EVENT_RENAMED)
    {
      /* Within the folder: the old name left, the new one arrived. */
      on_socket_event (file_monitor, file, NULL, G_FILE_MONITOR_EVENT_MOVED_OUT, user_data);
      on_socket_event (file_monitor, other_file, NULL, G_FILE_MONITOR_EVENT_MOVED_IN, user_data);
      return;
    }
  if (file == NULL)
    return;
  path = g_file_get_path (file);
  if (path == NULL || !g_str_has_suffix (path, ".sock"))
    return;

  switch (event)
    {
    case G_FILE_MONITOR_EVENT_CREATED:
    case G_FILE_MONITOR_EVENT_MOVED_IN:
      g_hash_table_insert (self->arriving, g_steal_pointer (&path), GUINT_TO_POINTER (SOCKET_ATTEMPTS));
      schedule_retry (self);
      break;

    case G_FILE_MONITOR_EVENT_DELETED:
    case G_FILE_MONITOR_EVENT_MOVED_OUT:
      {
        g_autofree char *id = cradle_bridge_socket_id_for_path (path);

        /* One that never answered was never announced. */
        if (g_hash_table_remove (self->arriving, path))
          break;
        g_debug ("Simulated device %s left", id);
        g_signal_emit (self, signals[SIGNAL_DEVICE_REMOVED], 0, id);
      }
      break;

    default:
      break;
    }
}

static void
watch_sockets (CradleDeviceMonitor *self)
{
  g_autofree char *folder = cradle_bridge_socket_dup_devices_dir ();
  g_autoptr(GFile) file = g_file_new_for_path (folder);
  g_autoptr(GError) error = NULL;

  /* The agent makes the folder too; making it first lets us watch it. */
  if (!cradle_paths_ensure_private_dir (folder, &error))
    {
      g_debug ("Not following simulated devices: %s", error->message);
      return;
    }
  self->sockets = g_file_monitor_directory (file, G_FILE_MONITOR_WATCH_MOVES, NULL, &error);
  if (self->sockets == NULL)
    {
      g_debug ("Not following simulated devices in %s: %s", folder, error->message);
      return;
    }
  g_signal_connect (self->sockets, "changed", G_CALLBACK (on_socket_event), self);
}

/* ---- tokens: polled on a worker thread ---------------------------------- */

typedef struct {
  GWeakRef    monitor;
  GHashTable *known;     /* URIs before this poll (a copy) */
  GPtrArray  *present;   /* URIs now */
  GPtrArray  *arrived;   /* CradleToken of each new URI */
} TokenPoll;

static void
token_poll_free (gpointer data)
{
  TokenPoll *token_poll = data;

  g_weak_ref_clear (&token_poll->monitor);
  g_clear_pointer (&token_poll->known, g_hash_table_unref);
  g_clear_pointer (&token_poll->present, g_ptr_array_unref);
  g_clear_pointer (&token_poll->arrived, g_ptr_array_unref);
  g_free (token_poll);
}

static void
token_poll_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  TokenPoll *token_poll = task_data;
  g_autoptr(GError) error = NULL;

  _cradle_device_token_ensure_modules ();
  token_poll->present = cradle_token_poll_present (cancellable, &error);
  if (token_poll->present == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  token_poll->arrived = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; token_poll->known != NULL && i < token_poll->present->len; i++)
    {
      const char *uri = g_ptr_array_index (token_poll->present, i);
      g_autoptr(CradleToken) token = NULL;
      g_autoptr(GError) find_error = NULL;

      if (g_hash_table_contains (token_poll->known, uri))
        continue;
      token = cradle_token_find (uri, cancellable, &find_error);
      if (token == NULL)
        {
          /* Gone again already, or not a token we use: the next poll says. */
          g_debug ("Not announcing the token %s: %s", uri, find_error != NULL ? find_error->message : "gone");
          continue;
        }
      g_ptr_array_add (token_poll->arrived, g_steal_pointer (&token));
    }
  g_task_return_boolean (task, TRUE);
}

static void schedule_token_poll (CradleDeviceMonitor *self);

static void
on_token_poll_done (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  TokenPoll *token_poll = g_task_get_task_data (G_TASK (result));
  g_autoptr(CradleDeviceMonitor) self = g_weak_ref_get (&token_poll->monitor);
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) present = NULL;
  g_autoptr(GPtrArray) left = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key;

  if (self == NULL)
    return;
  self->token_polling = FALSE;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_debug ("Polling the tokens failed: %s", error->message);
          schedule_token_poll (self);
        }
      return;
    }

  present = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < token_poll->present->len; i++)
    g_hash_table_add (present, g_strdup (g_ptr_array_index (token_poll->present, i)));
  /* The first poll is what was there before: not announced. */
  if (self->tokens_known)
    {
      g_hash_table_iter_init (&iter, self->tokens);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        if (!g_hash_table_contains (present, key))
          g_ptr_array_add (left, g_strdup (key));
    }
  g_clear_pointer (&self->tokens, g_hash_table_unref);
  self->tokens = g_steal_pointer (&present);
  self->tokens_known = TRUE;

  /* Signal handlers may drop the monitor: it is held until the end. */
  for (guint i = 0; i < left->len; i++)
    {
      g_debug ("Token %s left", (const char *) g_ptr_array_index (left, i));
      g_signal_emit (self, signals[SIGNAL_DEVICE_REMOVED], 0, g_ptr_array_index (left, i));
    }
  for (guint i = 0; i < token_poll->arrived->len; i++)
    {
      /* Made here, so that its "waiting" is emitted on the monitor's context. */
      g_autoptr(CradleDevice) device = _cradle_device_new_for_token (g_ptr_array_index (token_poll->arrived, i));

      /* A token that left again meanwhile is not announced. */
      if (!g_hash_table_contains (self->tokens, cradle_device_get_id (device)))
        continue;
      g_debug ("Token %s arrived", cradle_device_get_id (device));
      g_signal_emit (self, signals[SIGNAL_DEVICE_ADDED], 0, device);
    }
  schedule_token_poll (self);
}

static void
start_token_poll (CradleDeviceMonitor *self)
{
  g_autoptr(GTask) task = g_task_new (NULL, self->token_cancellable, on_token_poll_done, NULL);
  TokenPoll *token_poll = g_new0 (TokenPoll, 1);

  g_weak_ref_init (&token_poll->monitor, self);
  if (self->tokens_known)
    {
      GHashTableIter iter;
      gpointer key;

      token_poll->known = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_hash_table_iter_init (&iter, self->tokens);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        g_hash_table_add (token_poll->known, g_strdup (key));
    }
  self->token_polling = TRUE;
  g_task_set_source_tag (task, start_token_poll);
  g_task_set_task_data (task, token_poll, token_poll_free);
  /* The task's callback runs on the context current here: the monitor's. */
  g_task_run_in_thread (task, token_poll_thread);
}

static gboolean
on_token_timer (gpointer user_data)
{
  CradleDeviceMonitor *self = user_data;

  g_clear_pointer (&self->token_timer, g_source_unref);
  if (!self->token_polling)
    start_token_poll (self);
  return G_SOURCE_REMOVE;
}

/* The next poll, [Tokens] PollSeconds= after the last one ended. */
static void
schedule_token_poll (CradleDeviceMonitor *self)
{
  if (self->token_timer != NULL || g_cancellable_is_cancelled (self->token_cancellable))
    return;
  self->token_timer = g_timeout_source_new_seconds (cradle_settings_get_token_poll_seconds ());
  g_source_set_callback (self->token_timer, on_token_timer, self, NULL);
  g_source_set_name (self->token_timer, "[cradle] device monitor token poll");
  g_source_attach (self->token_timer, self->context);
}

static void
watch_tokens (CradleDeviceMonitor *self)
{
  self->token_cancellable = g_cancellable_new ();
  /* GTask calls back on the context it was made on. */
  g_main_context_push_thread_default (self->context);
  start_token_poll (self);
  g_main_context_pop_thread_default (self->context);
}

/* ---- the object -------------------------------------------------------- */

static void
cradle_device_monitor_dispose (GObject *object)
{
  CradleDeviceMonitor *self = CRADLE_DEVICE_MONITOR (object);

  if (self->token_cancellable != NULL)
    g_cancellable_cancel (self->token_cancellable);
  g_clear_object (&self->token_cancellable);
  if (self->token_timer != NULL)
    g_source_destroy (self->token_timer);
  g_clear_pointer (&self->token_timer, g_source_unref);
  if (self->retry_source != NULL)
    g_source_destroy (self->retry_source);
  g_clear_pointer (&self->retry_source, g_source_unref);
  if (self->sockets != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->sockets, self);
      g_file_monitor_cancel (self->sockets);
    }
  g_clear_object (&self->sockets);
  if (self->usb != NULL)
    g_signal_handlers_disconnect_by_data (self->usb, self);
  g_clear_object (&self->usb);

  G_OBJECT_CLASS (cradle_device_monitor_parent_class)->dispose (object);
}

static void
cradle_device_monitor_finalize (GObject *object)
{
  CradleDeviceMonitor *self = CRADLE_DEVICE_MONITOR (object);

  g_clear_pointer (&self->arriving, g_hash_table_unref);
  g_clear_pointer (&self->tokens, g_hash_table_unref);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (cradle_device_monitor_parent_class)->finalize (object);
}

static void
cradle_device_monitor_class_init (CradleDeviceMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cradle_device_monitor_dispose;
  object_class->finalize = cradle_device_monitor_finalize;

  signals[SIGNAL_DEVICE_ADDED] =
    g_signal_new ("device-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, CRADLE_TYPE_DEVICE);
  signals[SIGNAL_DEVICE_REMOVED] =
    g_signal_new ("device-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
cradle_device_monitor_init (CradleDeviceMonitor *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->arriving = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/**
 * cradle_device_monitor_new:
 *
 * Returns: (transfer full): a monitor following devices from now on
 */
CradleDeviceMonitor *
cradle_device_monitor_new (void)
{
  CradleDeviceMonitor *self = g_object_new (CRADLE_TYPE_DEVICE_MONITOR, NULL);

  self->usb = cradle_device_dup_usb_monitor ();
  if (self->usb != NULL)
    {
      g_signal_connect (self->usb, "device-added", G_CALLBACK (on_usb_device_added), self);
      g_signal_connect (self->usb, "device-removed", G_CALLBACK (on_usb_device_removed), self);
    }
  watch_sockets (self);
  watch_tokens (self);
  return self;
}
