/* cradle-usb-context.c: the process's libusb context and its event thread
 *
 * One libusb context, and one thread that handles its events (the portable
 * way to use libusb from several threads). The context is reference-counted:
 * the USB monitor and every transport keep it, and so the event thread,
 * alive; transports keep working after the monitor is gone.
 *
 * libusb's hotplug callback only queues the event here; whoever set the
 * process function (the monitor) reads the queue after each round of events.
 * Both the transport (cradle-bridge-usb.c) and the monitor
 * (cradle-bridge-usb-monitor.c) call down into this file; it calls neither.
 */
#include "config.h"

#include <libusb.h>

#include <cradle/cradle.h>

#include "host/cradle-usb-context-private.h"

typedef struct {
  libusb_device *device;     /* owned */
  gboolean       arrived;    /* else left */
} HotplugEvent;

struct _CradleUsbContext
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
  CradleUsbContextProcess process;
  gpointer         process_data;
};

static void
hotplug_event_free (HotplugEvent *event)
{
  libusb_unref_device (event->device);
  g_free (event);
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
  CradleUsbContext *context = data;
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

CradleUsbContext *
cradle_usb_context_new (GError **error)
{
  CradleUsbContext *context;
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

  context = g_new0 (CradleUsbContext, 1);
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

CradleUsbContext *
cradle_usb_context_ref (CradleUsbContext *context)
{
  g_atomic_ref_count_inc (&context->ref_count);
  return context;
}

void
cradle_usb_context_unref (CradleUsbContext *context)
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

void
cradle_usb_context_set_process (CradleUsbContext        *context,
                                CradleUsbContextProcess  process,
                                gpointer                 data)
{
  context->process = process;
  context->process_data = data;
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
  CradleUsbContext *context = user_data;
  HotplugEvent *hotplug_event = g_new0 (HotplugEvent, 1);

  hotplug_event->device = libusb_ref_device (device);
  hotplug_event->arrived = event == LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED;

  g_mutex_lock (&context->hotplug_lock);
  g_queue_push_tail (&context->hotplug, hotplug_event);
  g_mutex_unlock (&context->hotplug_lock);
  return 0;
}

libusb_device *
cradle_usb_context_pop_hotplug (CradleUsbContext *context,
                                gboolean         *arrived)
{
  HotplugEvent *event;
  libusb_device *device;

  g_mutex_lock (&context->hotplug_lock);
  event = g_queue_pop_head (&context->hotplug);
  g_mutex_unlock (&context->hotplug_lock);
  if (event == NULL)
    return NULL;

  device = g_steal_pointer (&event->device);
  *arrived = event->arrived;
  g_free (event);
  return device;
}


libusb_context *
cradle_usb_context_get_libusb (CradleUsbContext *context)
{
  return context->ctx;
}

void
cradle_usb_context_lock_process (CradleUsbContext *context)
{
  g_mutex_lock (&context->process_lock);
}

void
cradle_usb_context_unlock_process (CradleUsbContext *context)
{
  g_mutex_unlock (&context->process_lock);
}

gboolean
cradle_usb_context_watch_hotplug (CradleUsbContext  *context,
                                  int               *handle,
                                  GError           **error)
{
  int code;

  /* With ENUMERATE the devices present now are queued before this returns,
   * on this thread. */
  code = libusb_hotplug_register_callback (context->ctx,
                                           LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED |
                                           LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT,
                                           LIBUSB_HOTPLUG_ENUMERATE,
                                           LIBUSB_HOTPLUG_MATCH_ANY,
                                           LIBUSB_HOTPLUG_MATCH_ANY,
                                           LIBUSB_HOTPLUG_MATCH_ANY,
                                           hotplug_cb, context, handle);
  if (code < 0)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "Could not follow USB devices being plugged in (%s)", libusb_error_name (code));
      return FALSE;
    }
  return TRUE;
}

void
cradle_usb_context_unwatch_hotplug (CradleUsbContext *context,
                                    int               handle)
{
  libusb_hotplug_deregister_callback (context->ctx, handle);
}
