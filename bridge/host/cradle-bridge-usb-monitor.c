/* cradle-bridge-usb-monitor.c: finds Cradle devices on USB and follows plugging
 *
 * The monitor makes a libusb context (cradle-usb-context.c) with its event
 * thread; transports keep the context, and so the thread, alive after the
 * monitor is gone.
 *
 * libusb's hotplug callback only queues the event; the event thread reads
 * descriptors and makes transports after libusb_handle_events returns, then
 * hands the signals to the monitor's main context. An unplug is acted on by
 * the event thread itself (in-flight transfers cancelled), so a caller
 * blocked in receive() learns of it even when no main loop runs.
 *
 * How plugging is followed (cradle_bridge_usb_monitor_choose_watch):
 * libusb's hotplug events where they can come, else polling. On Linux,
 * libusb's events are udevd's: without udevd (no /run/udev/control: a
 * container, a minimal VM) libusb still says it supports hotplug but no
 * event ever comes, and its device list stays what it was at libusb_init.
 * So polling watches sysfs's USB devices (name and device number) from the
 * event thread, about once a second, and only when they changed lists the
 * devices through a fresh libusb context (a "generation"): devices are
 * matched across generations by bus, port path and address; a new one's
 * transport keeps the generation it came from (and its event thread) alive.
 * CRADLE_USB_HOTPLUG=events|poll overrides the choice.
 */
#include "config.h"

#include <libusb.h>
#include <glib/gstdio.h>

#include <cradle/cradle.h>

#include "host/cradle-bridge-usb-private.h"
#include "host/cradle-usb-context-private.h"

struct _CradleBridgeUsbMonitor
{
  GObject                          parent_instance;

  /* Owned */
  CradleUsbContext                *context;
  GMainContext                    *main_context;
  int                              hotplug_handle;
  gboolean                         has_hotplug;      /* following libusb's events */
  /* Polling, under the context's process lock */
  char                            *sysfs_state;      /* at the last scan; NULL before */
  guint                            short_scans;      /* libusb listed fewer, this many times */
  gboolean                         scanned;          /* the first scan is done */
  gint64                           last_poll;

  GMutex                           lock;
  GHashTable                      *devices;          /* libusb_device → CradleBridgeUsb */
  GQueue                           announcements;    /* of Announcement, for main_context */
  GSource                         *announce_source;
};

typedef struct {
  CradleBridgeUsb *transport;    /* owned */
  gboolean         added;        /* else removed */
} Announcement;

/* How often polling looks at sysfs, at most (the event thread wakes at least
 * once a second). */
#define POLL_INTERVAL_USEC (900 * G_TIME_SPAN_MILLISECOND)
#define SYSFS_USB_DEVICES "/sys/bus/usb/devices"

enum {
  SIGNAL_DEVICE_ADDED,
  SIGNAL_DEVICE_REMOVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (CradleBridgeUsbMonitor, cradle_bridge_usb_monitor, G_TYPE_OBJECT)

static void
announcement_free (Announcement *announcement)
{
  g_object_unref (announcement->transport);
  g_free (announcement);
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
                CradleUsbContext       *context,
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
  transport = cradle_bridge_usb_new_for_device (context, device, &error);
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
  libusb_device *device;
  gboolean arrived;

  while ((device = cradle_usb_context_pop_hotplug (self->context, &arrived)) != NULL)
    {
      if (arrived)
        device_arrived (self, self->context, device, announce);
      else
        device_left (self, device);
      libusb_unref_device (device);
    }
}

static void
process_hotplug_announcing (gpointer data)
{
  process_hotplug (data, TRUE);
}

/* A device as one plug-in, the same in every libusb context: bus, port path
 * and address (a new plug-in gets a new address). */
static char *
dup_plug_in (libusb_device *device)
{
  guint8 ports[8];
  int n = libusb_get_port_numbers (device, ports, sizeof ports);
  GString *text = g_string_new (NULL);

  g_string_append_printf (text, "%u", libusb_get_bus_number (device));
  for (int i = 0; i < n; i++)
    g_string_append_printf (text, "%c%u", i == 0 ? '-' : '.', ports[i]);
  g_string_append_printf (text, "@%u", libusb_get_device_address (device));
  return g_string_free (text, FALSE);
}

/* The USB devices in sysfs with their device numbers, sorted; NULL where
 * there is no sysfs. Interfaces ("1-1:1.0") are left out. */
static char *
dup_sysfs_state (guint *count)
{
  g_autoptr(GDir) dir = g_dir_open (SYSFS_USB_DEVICES, 0, NULL);
  g_autoptr(GPtrArray) lines = NULL;
  const char *name;

  if (dir == NULL)
    return NULL;
  lines = g_ptr_array_new_with_free_func (g_free);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *devnum = NULL;
      gsize length = 0;

      if (strchr (name, ':') != NULL)
        continue;
      path = g_build_filename (SYSFS_USB_DEVICES, name, "devnum", NULL);
      /* A device leaving as we read is just another state: the next poll
       * sees it gone. */
      if (!g_file_get_contents (path, &devnum, &length, NULL) || length > 16)
        g_clear_pointer (&devnum, g_free);
      g_ptr_array_add (lines, g_strdup_printf ("%s=%s", name, devnum != NULL ? g_strstrip (devnum) : "?"));
    }
  g_ptr_array_sort (lines, (GCompareFunc) g_strcmp0);
  *count = lines->len;
  g_ptr_array_add (lines, NULL);
  return g_strjoinv (";", (char **) lines->pdata);
}

/* Without hotplug events: lists the devices and compares them with ours.
 * Where sysfs says nothing changed since the last scan, nothing is done;
 * else the list comes from a fresh libusb context, since libusb's own list
 * follows only the events that do not come. Under process_lock. */
static void
rescan (CradleBridgeUsbMonitor *self,
        gboolean                announce)
{
  /* Borrowed: only this function removes devices here, under process_lock
   * (hotplug events are not followed). A device's reference must not
   * outlive its transport, which keeps the device's libusb context. */
  g_autoptr(GPtrArray) left = g_ptr_array_new ();
  g_autoptr(GHashTable) listed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) known = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(CradleUsbContext) generation = NULL;
  guint state_devices = 0;
  g_autofree char *state = dup_sysfs_state (&state_devices);
  libusb_device **list = NULL;
  GHashTableIter iter;
  gpointer key;
  ssize_t n;

  self->last_poll = g_get_monotonic_time ();
  if (state != NULL && g_strcmp0 (state, self->sysfs_state) == 0)
    return;
  if (state == NULL || !self->scanned)
    {
      /* The first scan, on a context just made; or no sysfs, where libusb
       * lists the devices afresh each time. */
      generation = cradle_usb_context_ref (self->context);
    }
  else
    {
      g_autoptr(GError) error = NULL;

      g_debug ("USB devices changed in sysfs: listing them afresh");
      generation = cradle_usb_context_new (&error);
      if (generation == NULL)
        {
          g_debug ("Could not list USB devices: %s", error->message);
          return;
        }
    }

  n = libusb_get_device_list (cradle_usb_context_get_libusb (generation), &list);
  if (n < 0)
    {
      g_debug ("Could not list USB devices: %s", libusb_error_name ((int) n));
      return;
    }
  self->scanned = TRUE;
  for (ssize_t i = 0; i < n; i++)
    g_hash_table_insert (listed, dup_plug_in (list[i]), list[i]);

  g_mutex_lock (&self->lock);
  g_hash_table_iter_init (&iter, self->devices);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      g_autofree char *plug_in = dup_plug_in (key);

      if (!g_hash_table_contains (listed, plug_in))
        g_ptr_array_add (left, key);
      g_hash_table_add (known, g_steal_pointer (&plug_in));
    }
  g_mutex_unlock (&self->lock);

  for (guint i = 0; i < left->len; i++)
    device_left (self, g_ptr_array_index (left, i));
  g_hash_table_iter_init (&iter, listed);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (known, key))
      device_arrived (self, generation, g_hash_table_lookup (listed, key), announce);
  g_clear_pointer (&listed, g_hash_table_unref);
  libusb_free_device_list (list, 1);

  /* A device that sysfs shows before libusb can read it (still being set
   * up) is looked for again at the next polls, a few times. */
  if (state != NULL && (gsize) n < state_devices && ++self->short_scans < 3)
    {
      g_debug ("libusb listed %zd of %u USB devices: listing again at the next poll", n, state_devices);
      return;
    }
  self->short_scans = 0;
  g_free (self->sysfs_state);
  self->sysfs_state = g_steal_pointer (&state);
}

/* On the event thread, after each round of events: at most once a
 * POLL_INTERVAL_USEC. */
static void
process_polling (gpointer data)
{
  CradleBridgeUsbMonitor *self = data;

  if (g_get_monotonic_time () - self->last_poll >= POLL_INTERVAL_USEC)
    rescan (self, TRUE);
}

CradleBridgeUsbWatch
cradle_bridge_usb_monitor_choose_watch (const char  *setting,
                                        gboolean     has_hotplug,
                                        const char  *udev_control,
                                        const char **why)
{
  const char *ignored;

  if (why == NULL)
    why = &ignored;
  if (g_strcmp0 (setting, "poll") == 0)
    {
      *why = "CRADLE_USB_HOTPLUG=poll";
      return CRADLE_BRIDGE_USB_WATCH_POLL;
    }
  if (!has_hotplug)
    {
      *why = "libusb has no hotplug support here";
      return CRADLE_BRIDGE_USB_WATCH_POLL;
    }
  if (g_strcmp0 (setting, "events") == 0)
    {
      *why = "CRADLE_USB_HOTPLUG=events";
      return CRADLE_BRIDGE_USB_WATCH_EVENTS;
    }
  /* udevd makes its control socket at start; libusb's events come from it. */
  if (udev_control != NULL && !g_file_test (udev_control, G_FILE_TEST_EXISTS))
    {
      *why = "udevd does not run (no /run/udev/control), so no hotplug event can come";
      return CRADLE_BRIDGE_USB_WATCH_POLL;
    }
  *why = "libusb's hotplug events";
  return CRADLE_BRIDGE_USB_WATCH_EVENTS;
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
      cradle_usb_context_lock_process (self->context);
      rescan (self, TRUE);
      cradle_usb_context_unlock_process (self->context);
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
  CradleUsbContext *context;

  context = cradle_usb_context_new (error);
  if (context == NULL)
    return NULL;

  self = g_object_new (CRADLE_TYPE_BRIDGE_USB_MONITOR, NULL);
  self->context = context;
  {
    const char *why = NULL;

    self->has_hotplug = cradle_bridge_usb_monitor_choose_watch (g_getenv ("CRADLE_USB_HOTPLUG"),
                                                                libusb_has_capability (LIBUSB_CAP_HAS_HOTPLUG) != 0,
                                                                "/run/udev/control", &why) ==
                        CRADLE_BRIDGE_USB_WATCH_EVENTS;
    g_debug ("USB devices: %s (%s)", self->has_hotplug ? "following hotplug events" : "polling", why);
  }

  if (self->has_hotplug)
    {
      /* With ENUMERATE the devices present now are reported before this
       * returns, on this thread: process them here, unannounced, so that
       * dup_transports lists them at once. */
      if (!cradle_usb_context_watch_hotplug (context, &self->hotplug_handle, error))
        {
          self->has_hotplug = FALSE;
          return NULL;
        }
      cradle_usb_context_lock_process (context);
      process_hotplug (self, FALSE);
      cradle_usb_context_set_process (context, process_hotplug_announcing, self);
      cradle_usb_context_unlock_process (context);
    }
  else
    {
      cradle_usb_context_lock_process (context);
      rescan (self, FALSE);
      cradle_usb_context_set_process (context, process_polling, self);
      cradle_usb_context_unlock_process (context);
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
      cradle_usb_context_lock_process (self->context);
      cradle_usb_context_set_process (self->context, NULL, NULL);
      cradle_usb_context_unlock_process (self->context);
      if (self->has_hotplug)
        cradle_usb_context_unwatch_hotplug (self->context, self->hotplug_handle);
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

  g_clear_pointer (&self->context, cradle_usb_context_unref);
  g_clear_pointer (&self->main_context, g_main_context_unref);
  g_clear_pointer (&self->sysfs_state, g_free);
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
