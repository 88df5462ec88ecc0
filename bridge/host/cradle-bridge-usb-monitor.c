/* cradle-bridge-usb-monitor.c: finds Cradle devices on USB and follows plugging
 *
 * One libusb context per monitor, and one thread that handles its events
 * (the portable way to use libusb from several threads). The context is
 * reference-counted: transports keep it, and so the event thread, alive
 * after the monitor is gone.
 *
 * libusb's hotplug callback only queues the event; the event thread reads
 * descriptors and makes transports after libusb_handle_events returns, then
 * hands the signals to the monitor's main context. An unplug is acted on by
 * the event thread itself (in-flight transfers cancelled), so a caller
 * blocked in receive() learns of it even when no main loop runs.
 */
#include "config.h"

#include <libusb.h>

#include <cradle/cradle.h>

#include "host/cradle-bridge-usb-private.h"

typedef struct {
  libusb_device *device;     /* owned */
  gboolean       arrived;    /* else left */
} HotplugEvent;

typedef void (*ProcessFunc) (gpointer data);

struct _CradleBridgeUsbContext
{
  gatomicrefcount  ref_count;
  libusb_context  *ctx;
  GThread         *thread;
  int              stopping;       /* also libusb's "completed" flag for the event thread */
  gboolean         free_on_exit;   /* the last reference went on the event thread */

  GMutex           hotplug_lock;
  GQueue           hotplug;        /* of HotplugEvent */

  /* The monitor's processing, run by the event thread after each round of
   * events. Cleared under the lock when the monitor goes. */
  GMutex           process_lock;
  ProcessFunc      process;
  gpointer         process_data;
};

struct _CradleBridgeUsbMonitor
{
  GObject                          parent_instance;

  /* Owned */
  CradleBridgeUsbContext          *context;
  GMainContext                    *main_context;
  libusb_hotplug_callback_handle   hotplug_handle;
  gboolean                         has_hotplug;

  GMutex                           lock;
  GHashTable                      *devices;          /* libusb_device → CradleBridgeUsb */
  GQueue                           announcements;    /* of Announcement, for main_context */
  GSource                         *announce_source;
};

typedef struct {
  CradleBridgeUsb *transport;    /* owned */
  gboolean         added;        /* else removed */
} Announcement;

enum {
  SIGNAL_DEVICE_ADDED,
  SIGNAL_DEVICE_REMOVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (CradleBridgeUsbMonitor, cradle_bridge_usb_monitor, G_TYPE_OBJECT)

static void
hotplug_event_free (HotplugEvent *event)
{
  libusb_unref_device (event->device);
  g_free (event);
}

static void
announcement_free (Announcement *announcement)
{
  g_object_unref (announcement->transport);
  g_free (announcement);
}

/* libusb's messages are for developers: they go to g_debug, and every error
 * that matters reaches the caller as a GError anyway. Only a global handler
 * stops libusb printing to stderr itself (1.0.26 prints, then calls a
 * context's handler). */
static void LIBUSB_CALL
forward_libusb_log_cb (libusb_context        *ctx,
               enum libusb_log_level  level,
               const char            *str)
{
  g_autofree char *line = g_strchomp (g_strdup (str));

  g_debug ("libusb: %s", line);
}

/* The event thread: libusb events until the last reference goes. */
static gpointer
event_thread_main (gpointer data)
{
  CradleBridgeUsbContext *context = data;
  gboolean warned = FALSE;

  while (!g_atomic_int_get (&context->stopping))
    {
      /* libusb_interrupt_event_handler wakes it at once; the timeout only
       * bounds the wait should a wake-up ever be missed. */
      struct timeval tv = { 1, 0 };
      int code;

      code = libusb_handle_events_timeout_completed (context->ctx, &tv, &context->stopping);
      if (code < 0 && code != LIBUSB_ERROR_INTERRUPTED)
        {
          if (!warned)
            g_warning ("USB event handling failed: %s", libusb_error_name (code));
          warned = TRUE;
          /* Do not spin on an error that will not go away. */
          g_usleep (100 * G_TIME_SPAN_MILLISECOND);
        }

      g_mutex_lock (&context->process_lock);
      if (context->process != NULL)
        context->process (context->process_data);
      g_mutex_unlock (&context->process_lock);
    }

  if (context->free_on_exit)
    {
      g_queue_clear_full (&context->hotplug, (GDestroyNotify) hotplug_event_free);
      libusb_exit (context->ctx);
      g_mutex_clear (&context->hotplug_lock);
      g_mutex_clear (&context->process_lock);
      g_free (context);
    }
  return NULL;
}

static CradleBridgeUsbContext *
cradle_bridge_usb_context_new (GError **error)
{
  CradleBridgeUsbContext *context;
  libusb_context *ctx = NULL;
  int code;

  libusb_set_log_cb (NULL, forward_libusb_log_cb, LIBUSB_LOG_CB_GLOBAL);
  code = libusb_init (&ctx);
  if (code < 0)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "USB devices cannot be used on this system: libusb could not start (%s)",
                   libusb_error_name (code));
      return NULL;
    }
  /* Ignored when LIBUSB_DEBUG is set, so a developer can still raise it. */
  libusb_set_option (ctx, LIBUSB_OPTION_LOG_LEVEL, LIBUSB_LOG_LEVEL_WARNING);

  context = g_new0 (CradleBridgeUsbContext, 1);
  g_atomic_ref_count_init (&context->ref_count);
  context->ctx = ctx;
  g_mutex_init (&context->hotplug_lock);
  g_mutex_init (&context->process_lock);
  g_queue_init (&context->hotplug);

  context->thread = g_thread_try_new ("cradle-usb", event_thread_main, context, error);
  if (context->thread == NULL)
    {
      g_prefix_error (error, "Could not start the USB event thread: ");
      libusb_exit (ctx);
      g_mutex_clear (&context->hotplug_lock);
      g_mutex_clear (&context->process_lock);
      g_free (context);
      return NULL;
    }
  return context;
}

CradleBridgeUsbContext *
cradle_bridge_usb_context_ref (CradleBridgeUsbContext *context)
{
  g_atomic_ref_count_inc (&context->ref_count);
  return context;
}

void
cradle_bridge_usb_context_unref (CradleBridgeUsbContext *context)
{
  if (!g_atomic_ref_count_dec (&context->ref_count))
    return;

  g_atomic_int_set (&context->stopping, 1);
  /* Sticky: wakes the thread even if it enters its poll only after this. */
  libusb_interrupt_event_handler (context->ctx);

  if (g_thread_self () == context->thread)
    {
      /* A thread cannot join itself: it frees the rest on its way out. */
      context->free_on_exit = TRUE;
      g_thread_unref (context->thread);
      return;
    }

  g_thread_join (context->thread);
  g_queue_clear_full (&context->hotplug, (GDestroyNotify) hotplug_event_free);
  libusb_exit (context->ctx);
  g_mutex_clear (&context->hotplug_lock);
  g_mutex_clear (&context->process_lock);
  g_free (context);
}

static void
context_set_process (CradleBridgeUsbContext *context,
                     ProcessFunc             process,
                     gpointer                data)
{
  /* Waits for a round of processing in progress. */
  g_mutex_lock (&context->process_lock);
  context->process = process;
  context->process_data = data;
  g_mutex_unlock (&context->process_lock);
}

/* On the event thread inside libusb_handle_events, or on the thread that
 * registers it (for the devices present then). libusb forbids most calls
 * here, so it only queues. @user_data is the context, which outlives every
 * call: the monitor may be gone while a last call is under way. */
static int LIBUSB_CALL
hotplug_cb (libusb_context       *ctx,
            libusb_device        *device,
            libusb_hotplug_event  event,
            void                 *user_data)
{
  CradleBridgeUsbContext *context = user_data;
  HotplugEvent *hotplug_event = g_new0 (HotplugEvent, 1);

  hotplug_event->device = libusb_ref_device (device);
  hotplug_event->arrived = event == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED;

  g_mutex_lock (&context->hotplug_lock);
  g_queue_push_tail (&context->hotplug, hotplug_event);
  g_mutex_unlock (&context->hotplug_lock);
  return 0;
}

static HotplugEvent *
context_pop_hotplug (CradleBridgeUsbContext *context)
{
  HotplugEvent *event;

  g_mutex_lock (&context->hotplug_lock);
  event = g_queue_pop_head (&context->hotplug);
  g_mutex_unlock (&context->hotplug_lock);
  return event;
}

/* On the monitor's main context. */
static gboolean
announce_cb (gpointer data)
{
  g_autoptr(CradleBridgeUsbMonitor) self = g_weak_ref_get (data);
  GQueue announcements = G_QUEUE_INIT;
  Announcement *announcement;

  if (self == NULL)
    return G_SOURCE_REMOVE;

  g_mutex_lock (&self->lock);
  announcements = self->announcements;
  g_queue_init (&self->announcements);
  g_clear_pointer (&self->announce_source, g_source_unref);
  g_mutex_unlock (&self->lock);

  while ((announcement = g_queue_pop_head (&announcements)) != NULL)
    {
      if (announcement->added)
        g_signal_emit (self, signals[SIGNAL_DEVICE_ADDED], 0, announcement->transport);
      else
        g_signal_emit (self, signals[SIGNAL_DEVICE_REMOVED], 0,
                       cradle_bridge_transport_get_id (CRADLE_BRIDGE_TRANSPORT (announcement->transport)));
      announcement_free (announcement);
    }
  return G_SOURCE_REMOVE;
}

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

/* Under self->lock. Takes @transport. */
static void
announce_locked (CradleBridgeUsbMonitor *self,
                 CradleBridgeUsb        *transport,
                 gboolean                added)
{
  Announcement *announcement = g_new0 (Announcement, 1);

  announcement->transport = transport;
  announcement->added = added;
  g_queue_push_tail (&self->announcements, announcement);

  if (self->announce_source == NULL)
    {
      GWeakRef *weak = g_new0 (GWeakRef, 1);

      g_weak_ref_init (weak, self);
      self->announce_source = g_idle_source_new ();
      g_source_set_static_name (self->announce_source, "[cradle] USB devices");
      g_source_set_callback (self->announce_source, announce_cb, weak, weak_ref_free);
      g_source_attach (self->announce_source, self->main_context);
    }
}

static void
device_arrived (CradleBridgeUsbMonitor *self,
                libusb_device          *device,
                gboolean                announce)
{
  g_autoptr(CradleBridgeUsb) transport = NULL;
  g_autoptr(GError) error = NULL;
  gboolean known;

  g_mutex_lock (&self->lock);
  /* libusb may report a device present at registration a second time. */
  known = g_hash_table_contains (self->devices, device);
  g_mutex_unlock (&self->lock);
  if (known)
    return;

  /* Only cached descriptors are read: no I/O to the device. */
  transport = cradle_bridge_usb_new_for_device (self->context, device, &error);
  if (transport == NULL)
    {
      g_debug ("Ignoring USB device: %s", error->message);
      return;
    }
  g_debug ("Cradle USB device %s arrived",
           cradle_bridge_transport_get_id (CRADLE_BRIDGE_TRANSPORT (transport)));

  g_mutex_lock (&self->lock);
  g_hash_table_insert (self->devices, libusb_ref_device (device), g_object_ref (transport));
  if (announce)
    announce_locked (self, g_object_ref (transport), TRUE);
  g_mutex_unlock (&self->lock);
}

static void
device_left (CradleBridgeUsbMonitor *self,
             libusb_device          *device)
{
  gpointer key = NULL;
  gpointer value = NULL;

  g_mutex_lock (&self->lock);
  if (g_hash_table_steal_extended (self->devices, device, &key, &value))
    {
      /* Fails what is in flight now, whatever the main loop is doing. */
      cradle_bridge_usb_mark_gone (value);
      g_debug ("Cradle USB device %s left",
               cradle_bridge_transport_get_id (CRADLE_BRIDGE_TRANSPORT (value)));
      /* The main context drops the last reference the monitor held, so the
       * event thread never finalizes a transport. */
      announce_locked (self, value, FALSE);
      libusb_unref_device (key);
    }
  g_mutex_unlock (&self->lock);
}

/* Runs on the event thread after each round of libusb events, and on the
 * thread that makes the monitor for the devices present then. */
static void
process_hotplug (CradleBridgeUsbMonitor *self,
                 gboolean                announce)
{
  HotplugEvent *event;

  while ((event = context_pop_hotplug (self->context)) != NULL)
    {
      if (event->arrived)
        device_arrived (self, event->device, announce);
      else
        device_left (self, event->device);
      hotplug_event_free (event);
    }
}

static void
process_hotplug_announcing (gpointer data)
{
  process_hotplug (data, TRUE);
}

/* Without hotplug support: compares libusb's device list with ours. Under
 * process_lock. */
static void
rescan (CradleBridgeUsbMonitor *self,
        gboolean                announce)
{
  g_autoptr(GPtrArray) left = g_ptr_array_new_with_free_func ((GDestroyNotify) libusb_unref_device);
  libusb_device **list = NULL;
  GHashTableIter iter;
  gpointer key;
  ssize_t n;

  n = libusb_get_device_list (self->context->ctx, &list);
  if (n < 0)
    {
      g_debug ("Could not list USB devices: %s", libusb_error_name ((int) n));
      return;
    }

  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->devices);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      gboolean present = FALSE;

      for (ssize_t i = 0; i < n && !present; i++)
        present = list[i] == key;
      if (!present)
        g_ptr_array_add (left, libusb_ref_device (key));
    }
  g_mutex_unlock (&self->lock);

  for (guint i = 0; i < left->len; i++)
    device_left (self, g_ptr_array_index (left, i));
  for (ssize_t i = 0; i < n; i++)
    device_arrived (self, list[i], announce);
  libusb_free_device_list (list, 1);
}

static int
compare_by_id (gconstpointer a,
               gconstpointer b)
{
  CradleBridgeTransport *ta = *(CradleBridgeTransport * const *) a;
  CradleBridgeTransport *tb = *(CradleBridgeTransport * const *) b;

  return g_strcmp0 (cradle_bridge_transport_get_id (ta), cradle_bridge_transport_get_id (tb));
}

GPtrArray *
cradle_bridge_usb_monitor_dup_transports (CradleBridgeUsbMonitor *self)
{
  GPtrArray *transports;
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (CRADLE_IS_BRIDGE_USB_MONITOR (self), NULL);

  if (!self->has_hotplug)
    {
      g_mutex_lock (&self->context->process_lock);
      rescan (self, TRUE);
      g_mutex_unlock (&self->context->process_lock);
    }

  transports = g_ptr_array_new_with_free_func (g_object_unref);
  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->devices);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (transports, g_object_ref (value));
  g_mutex_unlock (&self->lock);

  g_ptr_array_sort (transports, compare_by_id);
  return transports;
}

CradleBridgeUsbMonitor *
cradle_bridge_usb_monitor_new (GError **error)
{
  g_autoptr(CradleBridgeUsbMonitor) self = NULL;
  CradleBridgeUsbContext *context;

  context = cradle_bridge_usb_context_new (error);
  if (context == NULL)
    return NULL;

  self = g_object_new (CRADLE_TYPE_BRIDGE_USB_MONITOR, NULL);
  self->context = context;
  self->has_hotplug = libusb_has_capability (LIBUSB_CAP_HAS_HOTPLUG) != 0;

  if (self->has_hotplug)
    {
      int code;

      /* With ENUMERATE the devices present now are reported before this
       * returns, on this thread: process them here, unannounced, so that
       * dup_transports lists them at once. */
      code = libusb_hotplug_register_callback (context->ctx,
                                               LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED |
                                               LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT,
                                               LIBUSB_HOTPLUG_ENUMERATE,
                                               LIBUSB_HOTPLUG_MATCH_ANY,
                                               LIBUSB_HOTPLUG_MATCH_ANY,
                                               LIBUSB_HOTPLUG_MATCH_ANY,
                                               hotplug_cb, context, &self->hotplug_handle);
      if (code < 0)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                       "Could not follow USB devices being plugged in (%s)", libusb_error_name (code));
          self->has_hotplug = FALSE;
          return NULL;
        }
      g_mutex_lock (&context->process_lock);
      process_hotplug (self, FALSE);
      context->process = process_hotplug_announcing;
      context->process_data = self;
      g_mutex_unlock (&context->process_lock);
    }
  else
    {
      g_debug ("libusb cannot report plugging here: USB devices are listed on demand");
      g_mutex_lock (&context->process_lock);
      rescan (self, FALSE);
      g_mutex_unlock (&context->process_lock);
    }

  return g_steal_pointer (&self);
}

static void
cradle_bridge_usb_monitor_dispose (GObject *object)
{
  CradleBridgeUsbMonitor *self = CRADLE_BRIDGE_USB_MONITOR (object);
  g_autoptr(GHashTable) devices = NULL;
  GQueue announcements = G_QUEUE_INIT;

  if (self->context != NULL)
    {
      context_set_process (self->context, NULL, NULL);
      if (self->has_hotplug)
        libusb_hotplug_deregister_callback (self->context->ctx, self->hotplug_handle);
      self->has_hotplug = FALSE;
    }

  g_mutex_lock (&self->lock);
  devices = g_steal_pointer (&self->devices);
  announcements = self->announcements;
  g_queue_init (&self->announcements);
  if (self->announce_source != NULL)
    g_source_destroy (self->announce_source);
  g_clear_pointer (&self->announce_source, g_source_unref);
  g_mutex_unlock (&self->lock);

  /* Outside the lock: dropping a transport may close its device. */
  g_queue_clear_full (&announcements, (GDestroyNotify) announcement_free);
  g_clear_pointer (&devices, g_hash_table_unref);

  G_OBJECT_CLASS (cradle_bridge_usb_monitor_parent_class)->dispose (object);
}

static void
cradle_bridge_usb_monitor_finalize (GObject *object)
{
  CradleBridgeUsbMonitor *self = CRADLE_BRIDGE_USB_MONITOR (object);

  g_clear_pointer (&self->context, cradle_bridge_usb_context_unref);
  g_clear_pointer (&self->main_context, g_main_context_unref);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (cradle_bridge_usb_monitor_parent_class)->finalize (object);
}

static void
cradle_bridge_usb_monitor_class_init (CradleBridgeUsbMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cradle_bridge_usb_monitor_dispose;
  object_class->finalize = cradle_bridge_usb_monitor_finalize;

  signals[SIGNAL_DEVICE_ADDED] =
    g_signal_new ("device-added", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, CRADLE_TYPE_BRIDGE_TRANSPORT);
  signals[SIGNAL_DEVICE_REMOVED] =
    g_signal_new ("device-removed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
cradle_bridge_usb_monitor_init (CradleBridgeUsbMonitor *self)
{
  g_mutex_init (&self->lock);
  g_queue_init (&self->announcements);
  self->devices = g_hash_table_new_full (g_direct_hash, g_direct_equal,
                                         (GDestroyNotify) libusb_unref_device, g_object_unref);
  self->main_context = g_main_context_ref_thread_default ();
}
