/* cradle-usb-error.c: libusb's error codes as CRADLE_ERRORs that say what to do
 *
 * The one place a libusb code becomes a GError, for the transport and for
 * reading a device's descriptors.
 */
#include "config.h"

#include <libusb.h>

#include <cradle/cradle.h>

#include "host/cradle-usb-error-private.h"

void
cradle_usb_set_error (GError     **error,
                      int          code,
                      const char  *id,
                      const char  *doing)
{
  const char *name = libusb_error_name (code);

  switch (code)
    {
    case LIBUSB_ERROR_NO_DEVICE:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE,
                   "The USB device %s was unplugged while %s (%s). Connect it again.",
                   id, doing, name);
      break;
    case LIBUSB_ERROR_ACCESS:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
                   "No permission to use the USB device %s while %s (%s). "
                   "Install Cradle's udev rule 70-cradle.rules in /etc/udev/rules.d "
                   "(or ask your administrator to), then unplug the device and connect it again.",
                   id, doing, name);
      break;
    case LIBUSB_ERROR_BUSY:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_BUSY,
                   "The USB device %s is in use by another program while %s (%s). "
                   "Close the other program (another Cradle window or cradlectl), then try again.",
                   id, doing, name);
      break;
    case LIBUSB_ERROR_TIMEOUT:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_TIMED_OUT,
                   "The USB device %s stopped answering while %s (%s). "
                   "Check that the Cradle agent runs on it, then connect it again.",
                   id, doing, name);
      break;
    case LIBUSB_ERROR_NOT_SUPPORTED:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "This system's USB support cannot do what is needed while %s with the device %s (%s).",
                   doing, id, name);
      break;
    case LIBUSB_ERROR_PIPE:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                   "The USB device %s refused the transfer while %s (%s: the endpoint stalled twice). "
                   "Unplug the device and connect it again.",
                   id, doing, name);
      break;
    default:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                   "USB error with the device %s while %s (%s). Unplug the device and connect it again.",
                   id, doing, name);
      break;
    }
}
