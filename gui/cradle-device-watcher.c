/* cradle-device-watcher.c: the cradled device, opened, following plugging
 *
 * Devices come from cradle_device_enumerate() at start (in a thread) and
 * from a CradleDeviceMonitor after that, and opened one at a time (HELLO
 * and GET_INFO).  Every device opened is in "devices", in the order they
 * answered; the one shown ("device") is the first that answered until the
 * user chooses another (cradle_device_watcher_choose()).  A device arriving
 * never takes the place of the one shown; when the one shown leaves, the
 * first of the others is shown.  "problem" says why a connected device is
 * not used (in use by another program, an agent too old, no permission on
 * USB).
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cradle-device-watcher.h"

struct _CradleDeviceWatcher
{
  GObject parent_instance;

  /* Owned */
  CradleDeviceMonitor *monitor;
  GCancellable        *cancellable;
  GPtrArray           *waiting;    /* of CradleDevice: connected, not opened */
  CradleDevice        *opening;
  GPtrArray           *opened;     /* of CradleDevice: opened, in order */
  CradleDevice        *device;     /* the one shown, one of opened */
  char                *problem;
  char                *busy_id;    /* a device another program uses */
  guint                retry_source;
};

G_DEFINE_FINAL_TYPE (CradleDeviceWatcher, cradle_device_watcher, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_DEVICE,
  PROP_DEVICES,
  PROP_PROBLEM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* A busy device (another program has it) is asked again this often. */
#define BUSY_RETRY_SECONDS 3

static void open_next (CradleDeviceWatcher *self);
static void enumerate (CradleDeviceWatcher *self);

static void
set_problem (CradleDeviceWatcher *self,
             const char          *problem)
{
  if (g_strcmp0 (self->problem, problem) == 0)
    return;
  g_free (self->problem);
  self->problem = g_strdup (problem);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROBLEM]);
}

static void
set_device (CradleDeviceWatcher *self,
            CradleDevice        *device)
{
  if (!g_set_object (&self->device, device))
    return;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEVICE]);
}

static gboolean
has_id (GPtrArray  *devices,
        const char *id,
        guint      *index)
{
  for (guint i = 0; i < devices->len; i++)
    if (g_strcmp0 (cradle_device_get_id (g_ptr_array_index (devices, i)), id) == 0)
      {
        if (index != NULL)
          *index = i;
        return TRUE;
      }
  return FALSE;
}

static gboolean
is_known (CradleDeviceWatcher *self,
          const char          *id)
{
  return has_id (self->waiting, id, NULL) || has_id (self->opened, id, NULL) ||
         (self->opening != NULL && g_strcmp0 (cradle_device_get_id (self->opening), id) == 0);
}

static void
add_waiting (CradleDeviceWatcher *self,
             CradleDevice        *device)
{
  if (is_known (self, cradle_device_get_id (device)))
    return;
  g_ptr_array_add (self->waiting, g_object_ref (device));
  open_next (self);
}

static gboolean
on_retry (gpointer user_data)
{
  CradleDeviceWatcher *self = user_data;

  self->retry_source = 0;
  /* Listing again connects to it anew; it is opened if it is free now. */
  if (self->busy_id != NULL && !has_id (self->opened, self->busy_id, NULL))
    enumerate (self);
  return G_SOURCE_REMOVE;
}

static void
open_done (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  CradleDevice *device = CRADLE_DEVICE (source_object);
  g_autoptr(CradleDeviceWatcher) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean opened = cradle_device_open_finish (device, result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (self->opening != device)
    return;   /* it left while it was being greeted */
  g_clear_object (&self->opening);

  if (!opened)
    {
      g_info ("Device %s not used: %s", cradle_device_get_id (device), error->message);
      if (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_BUSY))
        {
          /* Another program talks to it: ask again in a while. */
          set_problem (self, _("A device is connected, but another program is using it. "
                               "Close that program (cradlectl, or another Cradle window), "
                               "and Cradle will use the device."));
          g_free (self->busy_id);
          self->busy_id = g_strdup (cradle_device_get_id (device));
          if (self->retry_source == 0)
            self->retry_source = g_timeout_add_seconds (BUSY_RETRY_SECONDS, on_retry, self);
        }
      else
        set_problem (self, error->message);
      open_next (self);
      return;
    }

  g_info ("Using device %s: %s %s, serial %s", cradle_device_get_id (device),
          cradle_device_get_manufacturer (device), cradle_device_get_model (device),
          cradle_device_get_serial (device));
  if (g_strcmp0 (self->busy_id, cradle_device_get_id (device)) == 0)
    {
      g_clear_pointer (&self->busy_id, g_free);
      g_clear_handle_id (&self->retry_source, g_source_remove);
    }
  if (self->busy_id == NULL)
    set_problem (self, NULL);
  g_ptr_array_add (self->opened, g_object_ref (device));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEVICES]);
  /* The one shown stays: a device arriving only joins the others. */
  if (self->device == NULL)
    set_device (self, device);
  open_next (self);
}

static void
open_next (CradleDeviceWatcher *self)
{
  g_autoptr(CradleDevice) device = NULL;

  if (self->opening != NULL)
    return;
  if (self->waiting->len == 0)
    return;
  device = g_ptr_array_steal_index (self->waiting, 0);
  self->opening = g_object_ref (device);
  cradle_device_open_async (device, self->cancellable, open_done, g_object_ref (self));
}

static void
enumerate_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  GError *error = NULL;
  GPtrArray *devices = cradle_device_enumerate (cancellable, &error);

  if (devices == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, devices, (GDestroyNotify) g_ptr_array_unref);
}

static void
enumerate_done (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  CradleDeviceWatcher *self = CRADLE_DEVICE_WATCHER (source_object);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = g_task_propagate_pointer (G_TASK (result), &error);

  if (devices == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Could not list devices: %s", error->message);
      return;
    }
  for (guint i = 0; i < devices->len; i++)
    add_waiting (self, g_ptr_array_index (devices, i));
  if (devices->len == 0)
    g_debug ("No device connected");
}

static void
enumerate (CradleDeviceWatcher *self)
{
  g_autoptr(GTask) task = g_task_new (self, self->cancellable, enumerate_done, NULL);

  g_task_set_source_tag (task, enumerate);
  g_task_run_in_thread (task, enumerate_thread);
}

static void
on_device_added (CradleDeviceMonitor *monitor,
                 CradleDevice        *device,
                 gpointer             user_data)
{
  CradleDeviceWatcher *self = user_data;

  g_debug ("Device %s arrived", cradle_device_get_id (device));
  add_waiting (self, device);
}

static void
forget (CradleDeviceWatcher *self,
        const char          *id)
{
  guint index;

  while (has_id (self->waiting, id, &index))
    g_ptr_array_remove_index (self->waiting, index);
  if (self->opening != NULL && g_strcmp0 (cradle_device_get_id (self->opening), id) == 0)
    g_clear_object (&self->opening);
  if (has_id (self->opened, id, &index))
    {
      g_autoptr(CradleDevice) device = g_ptr_array_steal_index (self->opened, index);

      g_info ("Device %s left", id);
      cradle_device_close (device);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEVICES]);
      /* The one shown left: the first of the others, if any. */
      if (device == self->device)
        set_device (self, self->opened->len > 0 ? g_ptr_array_index (self->opened, 0) : NULL);
    }
  if (g_strcmp0 (self->busy_id, id) == 0)
    {
      g_clear_pointer (&self->busy_id, g_free);
      g_clear_handle_id (&self->retry_source, g_source_remove);
      set_problem (self, NULL);
    }
  open_next (self);
}

static void
on_device_removed (CradleDeviceMonitor *monitor,
                   const char          *id,
                   gpointer             user_data)
{
  forget (user_data, id);
}

void
cradle_device_watcher_device_gone (CradleDeviceWatcher *self,
                                   CradleDevice        *device)
{
  g_autofree char *id = NULL;

  g_return_if_fail (CRADLE_IS_DEVICE_WATCHER (self));

  id = g_strdup (cradle_device_get_id (device));
  if (id != NULL)
    forget (self, id);
  else if (g_ptr_array_remove (self->opened, device))
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DEVICES]);
      if (device == self->device)
        set_device (self, self->opened->len > 0 ? g_ptr_array_index (self->opened, 0) : NULL);
    }
}

void
cradle_device_watcher_choose (CradleDeviceWatcher *self,
                              CradleDevice        *device)
{
  guint index;

  g_return_if_fail (CRADLE_IS_DEVICE_WATCHER (self));
  g_return_if_fail (CRADLE_IS_DEVICE (device));

  /* Only a device that is still here can be shown. */
  if (!g_ptr_array_find (self->opened, device, &index))
    return;
  g_info ("Showing device %s", cradle_device_get_id (device));
  set_device (self, device);
}

void
cradle_device_watcher_start (CradleDeviceWatcher *self)
{
  g_return_if_fail (CRADLE_IS_DEVICE_WATCHER (self));

  if (self->monitor != NULL)
    return;
  /* The monitor first, so nothing arrives unseen between the two. */
  self->monitor = cradle_device_monitor_new ();
  g_signal_connect (self->monitor, "device-added", G_CALLBACK (on_device_added), self);
  g_signal_connect (self->monitor, "device-removed", G_CALLBACK (on_device_removed), self);
  enumerate (self);
}

static void
cradle_device_watcher_dispose (GObject *object)
{
  CradleDeviceWatcher *self = CRADLE_DEVICE_WATCHER (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->retry_source, g_source_remove);
  if (self->monitor != NULL)
    g_signal_handlers_disconnect_by_data (self->monitor, self);
  g_clear_object (&self->monitor);
  g_clear_pointer (&self->waiting, g_ptr_array_unref);
  g_clear_object (&self->opening);
  g_clear_object (&self->device);
  if (self->opened != NULL)
    for (guint i = 0; i < self->opened->len; i++)
      cradle_device_close (g_ptr_array_index (self->opened, i));
  g_clear_pointer (&self->opened, g_ptr_array_unref);

  G_OBJECT_CLASS (cradle_device_watcher_parent_class)->dispose (object);
}

static void
cradle_device_watcher_finalize (GObject *object)
{
  CradleDeviceWatcher *self = CRADLE_DEVICE_WATCHER (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->problem, g_free);
  g_clear_pointer (&self->busy_id, g_free);

  G_OBJECT_CLASS (cradle_device_watcher_parent_class)->finalize (object);
}

static void
cradle_device_watcher_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  CradleDeviceWatcher *self = CRADLE_DEVICE_WATCHER (object);

  switch (prop_id)
    {
    case PROP_DEVICE:
      g_value_set_object (value, self->device);
      break;

    case PROP_DEVICES:
      g_value_set_boxed (value, self->opened);
      break;

    case PROP_PROBLEM:
      g_value_set_string (value, self->problem);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cradle_device_watcher_class_init (CradleDeviceWatcherClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cradle_device_watcher_dispose;
  object_class->finalize = cradle_device_watcher_finalize;
  object_class->get_property = cradle_device_watcher_get_property;

  properties[PROP_DEVICE] =
    g_param_spec_object ("device", NULL, NULL, CRADLE_TYPE_DEVICE,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DEVICES] =
    g_param_spec_boxed ("devices", NULL, NULL, G_TYPE_PTR_ARRAY,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PROBLEM] =
    g_param_spec_string ("problem", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cradle_device_watcher_init (CradleDeviceWatcher *self)
{
  self->cancellable = g_cancellable_new ();
  self->waiting = g_ptr_array_new_with_free_func (g_object_unref);
  self->opened = g_ptr_array_new_with_free_func (g_object_unref);
}

CradleDeviceWatcher *
cradle_device_watcher_new (void)
{
  return g_object_new (CRADLE_TYPE_DEVICE_WATCHER, NULL);
}

CradleDevice *
cradle_device_watcher_get_device (CradleDeviceWatcher *self)
{
  return self->device;
}

const char *
cradle_device_watcher_get_problem (CradleDeviceWatcher *self)
{
  return self->problem;
}

GPtrArray *
cradle_device_watcher_get_devices (CradleDeviceWatcher *self)
{
  return self->opened;
}
