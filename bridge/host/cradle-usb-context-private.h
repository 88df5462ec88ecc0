/* cradle-usb-context-private.h: the process's libusb context and its event thread
 *
 * Shared by the USB transport (which keeps it alive while a device is in
 * use) and the USB monitor (which makes it and reads its hotplug queue).
 * libusb.h stays out of this header, as out of cradle-bridge-usb-private.h.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

struct libusb_context;
struct libusb_device;
typedef struct _CradleUsbContext CradleUsbContext;

/* Run by the event thread after each round of libusb events. */
typedef void (*CradleUsbContextProcess) (gpointer data);

/* Starts libusb and the event thread; CRADLE_ERROR_NOT_SUPPORTED when this
 * system has no USB. */
G_GNUC_WARN_UNUSED_RESULT
CradleUsbContext      *cradle_usb_context_new            (GError                 **error) G_GNUC_WARN_UNUSED_RESULT;
CradleUsbContext      *cradle_usb_context_ref            (CradleUsbContext        *context);
/* The last reference stops the event thread (also from the thread itself). */
void                   cradle_usb_context_unref          (CradleUsbContext        *context);
struct libusb_context *cradle_usb_context_get_libusb     (CradleUsbContext        *context);

/* @process (NULL to clear) runs on the event thread after each round of
 * events. Call it under the process lock (which waits for a round under way). */
void                   cradle_usb_context_set_process    (CradleUsbContext        *context,
                                                          CradleUsbContextProcess  process,
                                                          gpointer                 data);
/* Held while processing runs: a caller takes it to process on its own thread. */
void                   cradle_usb_context_lock_process   (CradleUsbContext        *context);
void                   cradle_usb_context_unlock_process (CradleUsbContext        *context);

/* Queues every arrival and departure, starting with the devices present now
 * (queued before this returns). */
G_GNUC_WARN_UNUSED_RESULT
gboolean               cradle_usb_context_watch_hotplug  (CradleUsbContext        *context,
                                                          int                     *handle,
                                                          GError                 **error) G_GNUC_WARN_UNUSED_RESULT;
void                   cradle_usb_context_unwatch_hotplug (CradleUsbContext       *context,
                                                           int                     handle);
/* Returns: (transfer full) (nullable): the next queued device, @arrived
 * telling whether it came or left; NULL when the queue is empty. */
struct libusb_device  *cradle_usb_context_pop_hotplug    (CradleUsbContext        *context,
                                                          gboolean                *arrived);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleUsbContext, cradle_usb_context_unref)

G_END_DECLS
