/* cradle-bridge-usb-descriptors.c: finding the Cradle interface in a USB device's descriptors
 *
 * Reads only what the kernel cached at enumeration: no I/O to the device, and
 * no permission on it needed. Part of CradleBridgeUsb
 * (cradle-bridge-usb-private.h).
 */
#include "config.h"

#include <libusb.h>

#include <cradle/cradle.h>

#include "host/cradle-bridge-usb-private.h"
#include "host/cradle-usb-error-private.h"

/* libusb names the struct only; g_autoptr needs a type name. */
typedef struct libusb_config_descriptor UsbConfigDescriptor;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (UsbConfigDescriptor, libusb_free_config_descriptor)

/* The Cradle interface's bulk endpoints, or FALSE when @alt is not one. */
static gboolean
match_interface (const struct libusb_interface_descriptor  *alt,
                 const struct libusb_endpoint_descriptor  **in,
                 const struct libusb_endpoint_descriptor  **out)
{
  *in = NULL;
  *out = NULL;

  if (alt->bInterfaceClass != CRADLE_BRIDGE_USB_INTERFACE_CLASS ||
      alt->bInterfaceSubClass != CRADLE_BRIDGE_USB_INTERFACE_SUBCLASS ||
      alt->bInterfaceProtocol != CRADLE_BRIDGE_USB_INTERFACE_PROTOCOL)
    return FALSE;

  for (guint i = 0; i < alt->bNumEndpoints; i++)
    {
      const struct libusb_endpoint_descriptor *ep = &alt->endpoint[i];

      if ((ep->bmAttributes & 0x03) != LIBUSB_TRANSFER_TYPE_BULK)
        continue;
      if ((ep->bEndpointAddress & LIBUSB_ENDPOINT_DIR_MASK) == LIBUSB_ENDPOINT_IN)
        *in = *in == NULL ? ep : *in;
      else
        *out = *out == NULL ? ep : *out;
    }
  return *in != NULL && *out != NULL;
}

/* "usb:BUS-PORT.PORT" names the socket the device is plugged into, which
 * stays the same across re-plugging; the address changes every time. */
char *
_cradle_bridge_usb_make_id (struct libusb_device *device)
{
  guint8 ports[8];
  int n = libusb_get_port_numbers (device, ports, G_N_ELEMENTS (ports));
  GString *id = g_string_new (NULL);

  g_string_append_printf (id, "usb:%u-", libusb_get_bus_number (device));
  if (n <= 0)
    {
      g_string_append_printf (id, "%u", libusb_get_device_address (device));
      return g_string_free (id, FALSE);
    }
  for (int i = 0; i < n; i++)
    g_string_append_printf (id, i == 0 ? "%u" : ".%u", ports[i]);
  return g_string_free (id, FALSE);
}

gboolean
_cradle_bridge_usb_find_interface (struct libusb_device      *device,
                                   const char                *id,
                                   CradleBridgeUsbInterface  *found,
                                   GError                   **error)
{
  g_autoptr(UsbConfigDescriptor) config = NULL;
  struct libusb_device_descriptor desc;
  int code;

  code = libusb_get_device_descriptor (device, &desc);
  if (code < 0)
    {
      cradle_usb_set_error (error, code, id, "reading its device descriptor");
      return FALSE;
    }
  code = libusb_get_active_config_descriptor (device, &config);
  if (code == LIBUSB_ERROR_NOT_FOUND)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "The USB device %s (%04x:%04x) is not configured", id, desc.idVendor, desc.idProduct);
      return FALSE;
    }
  if (code < 0)
    {
      cradle_usb_set_error (error, code, id, "reading its configuration descriptor");
      return FALSE;
    }

  for (guint i = 0; i < config->bNumInterfaces; i++)
    {
      const struct libusb_interface *iface = &config->interface[i];

      for (int a = 0; a < iface->num_altsetting; a++)
        {
          const struct libusb_interface_descriptor *alt = &iface->altsetting[a];
          const struct libusb_endpoint_descriptor *in;
          const struct libusb_endpoint_descriptor *out;
          guint16 max_packet_out;

          if (!match_interface (alt, &in, &out))
            continue;
          /* Bits 11-12 are extra transactions for isochronous endpoints. */
          max_packet_out = out->wMaxPacketSize & 0x7ff;
          if (max_packet_out == 0 || (in->wMaxPacketSize & 0x7ff) == 0)
            continue;

          found->vendor_id = desc.idVendor;
          found->product_id = desc.idProduct;
          found->interface_number = alt->bInterfaceNumber;
          found->alt_setting = alt->bAlternateSetting;
          found->endpoint_in = in->bEndpointAddress;
          found->endpoint_out = out->bEndpointAddress;
          found->max_packet_out = max_packet_out;
          return TRUE;
        }
    }

  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
               "The USB device %s (%04x:%04x) has no Cradle interface", id, desc.idVendor, desc.idProduct);
  return FALSE;
}
