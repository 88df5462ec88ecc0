/* cradle-device-monitor.h: devices arriving and leaving */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <gio/gio.h>
#include <cradle/cradle-macros.h>
#include <cradle/cradle-device.h>

G_BEGIN_DECLS

/*
 * Follows USB devices with the Cradle interface (libusb hotplug),
 * simulated devices (sockets appearing in and leaving the runtime folder)
 * and PKCS#11 tokens (their modules polled every [Tokens] PollSeconds= of
 * cradle.conf, 2 s by default, on a worker thread; a token's id is its
 * "pkcs11:" URI).
 * Devices present before the monitor was made are not announced: list them
 * with cradle_device_enumerate() after making it (a device in both is the
 * same id).
 *
 * Signals, emitted on the thread-default main context of the thread that
 * made the monitor:
 *   "device-added" (CradleDevice *device): a device arrived; connected, not
 *     opened (cradle_device_open_async() greets it);
 *   "device-removed" (const char *id): the device with this id left; an open
 *     CradleDevice of it fails with CRADLE_ERROR_DEVICE_GONE.
 */
#define CRADLE_TYPE_DEVICE_MONITOR (cradle_device_monitor_get_type ())
CRADLE_PUBLIC
G_DECLARE_FINAL_TYPE (CradleDeviceMonitor, cradle_device_monitor, CRADLE, DEVICE_MONITOR, GObject)

CRADLE_PUBLIC
CradleDeviceMonitor *cradle_device_monitor_new (void);

G_END_DECLS
