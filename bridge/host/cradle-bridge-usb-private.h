/* cradle-bridge-usb-private.h: the bridge over USB (libusb), and the monitor that finds devices
 *
 * A Cradle device presents the vendor interface of
 * cradle-bridge-usb-interface-private.h. The monitor makes the libusb context
 * (cradle-usb-context-private.h), whose thread handles libusb's events; it
 * makes a CradleBridgeUsb for each device with that interface and follows
 * plugging.
 *
 * libusb.h stays out of this header: the host client and cradlectl include it.
 */
#pragma once

#include "protocol/cradle-bridge-transport-private.h"
#include "protocol/cradle-bridge-usb-interface-private.h"

G_BEGIN_DECLS

/* CradleBridgeUsb: one plugged-in device.
 *
 * The device is opened and its interface claimed on the first send or
 * receive, so listing devices needs no permission on them. close() ends the
 * session: it fails what is in flight with CRADLE_ERROR_DEVICE_GONE and
 * releases the device; a later send opens it again for a new session (which
 * starts with HELLO). Once the device is unplugged every call fails with
 * CRADLE_ERROR_DEVICE_GONE; the monitor makes a new object when it comes back.
 * A transfer that fails with another error (a controller's -EPROTO before the
 * unplug registers) asks the device on ep0 for up to 2 s whether it is still
 * there, and fails with CRADLE_ERROR_DEVICE_GONE if it is not.
 *
 * send and receive may run at the same time on two threads; two sends (or two
 * receives) wait for each other. */
#define CRADLE_TYPE_BRIDGE_USB (cradle_bridge_usb_get_type ())
G_DECLARE_FINAL_TYPE (CradleBridgeUsb, cradle_bridge_usb, CRADLE, BRIDGE_USB, CradleBridgeTransport)

guint16  cradle_bridge_usb_get_vendor_id        (CradleBridgeUsb  *self);
guint16  cradle_bridge_usb_get_product_id       (CradleBridgeUsb  *self);
/* TRUE once the device was unplugged. */
gboolean cradle_bridge_usb_is_gone              (CradleBridgeUsb  *self);
/* How long one bulk OUT transfer may wait for the device (default 10 s). */
void     cradle_bridge_usb_set_send_timeout     (CradleBridgeUsb  *self,
                                                 guint             timeout_ms);

/* CradleBridgeUsbMonitor: the Cradle devices on USB.
 *
 * Signals are emitted on the thread-default main context of the thread that
 * made the monitor:
 *   device-added (CradleBridgeTransport *transport): a device arrived after
 *     the monitor was made (those present before are in dup_transports);
 *   device-removed (const char *id): a device listed before was unplugged;
 *     its transport already fails with CRADLE_ERROR_DEVICE_GONE.
 *
 * Transports keep working after the monitor is gone (they keep the libusb
 * context and its event thread alive), but unplugging is then noticed only
 * through libusb's own errors. */
#define CRADLE_TYPE_BRIDGE_USB_MONITOR (cradle_bridge_usb_monitor_get_type ())
G_DECLARE_FINAL_TYPE (CradleBridgeUsbMonitor, cradle_bridge_usb_monitor, CRADLE, BRIDGE_USB_MONITOR, GObject)

/* How the monitor follows plugging: libusb's hotplug events, or polling
 * (about once a second) where none can come. */
typedef enum {
  CRADLE_BRIDGE_USB_WATCH_EVENTS,
  CRADLE_BRIDGE_USB_WATCH_POLL,
} CradleBridgeUsbWatch;

/* The choice, from @setting (CRADLE_USB_HOTPLUG: "events", "poll", or NULL
 * or anything else for automatic), whether libusb has hotplug support, and
 * whether @udev_control (udevd's control socket, /run/udev/control) exists:
 * without udevd no event comes. @why (optional) says why, in words. */
CradleBridgeUsbWatch    cradle_bridge_usb_monitor_choose_watch   (const char              *setting,
                                                                  gboolean                 has_hotplug,
                                                                  const char              *udev_control,
                                                                  const char             **why);
/* Fails with CRADLE_ERROR_NOT_SUPPORTED when this system has no USB. */
CradleBridgeUsbMonitor *cradle_bridge_usb_monitor_new            (GError                 **error) G_GNUC_WARN_UNUSED_RESULT;
/* Returns: (transfer full) (element-type CradleBridgeTransport): the devices
 * present now, sorted by id. Needs no main loop. */
GPtrArray              *cradle_bridge_usb_monitor_dup_transports (CradleBridgeUsbMonitor  *self);

/* Between the monitor and the transport only. */
struct libusb_device;
typedef struct _CradleUsbContext CradleUsbContext;

/* CRADLE_ERROR_NOT_SUPPORTED when @device has no Cradle interface. */
CradleBridgeUsb *cradle_bridge_usb_new_for_device (CradleUsbContext        *context,
                                                   struct libusb_device    *device,
                                                   GError                 **error) G_GNUC_WARN_UNUSED_RESULT;
/* Called when libusb reports the device left: fails what is in flight. */
void             cradle_bridge_usb_mark_gone      (CradleBridgeUsb         *self);

/* Within CradleBridgeUsb: the descriptors (cradle-bridge-usb-descriptors.c). */
typedef struct {
  guint16 vendor_id;
  guint16 product_id;
  guint8  interface_number;
  guint8  alt_setting;
  guint8  endpoint_in;
  guint8  endpoint_out;
  guint16 max_packet_out;
} CradleBridgeUsbInterface;

/* "usb:BUS-PORT.PORT": the socket the device is plugged into. */
char    *_cradle_bridge_usb_make_id        (struct libusb_device      *device);
/* The first Cradle interface with a bulk IN and OUT endpoint, from the
 * cached descriptors; CRADLE_ERROR_NOT_SUPPORTED when there is none. */
G_GNUC_WARN_UNUSED_RESULT
gboolean _cradle_bridge_usb_find_interface (struct libusb_device      *device,
                                            const char                *id,
                                            CradleBridgeUsbInterface  *found,
                                            GError                   **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
