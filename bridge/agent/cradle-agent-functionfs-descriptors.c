/* cradle-agent-functionfs-descriptors.c: the USB descriptors of the agent's function */
#include "config.h"

#include <string.h>
#include <linux/usb/ch9.h>
#include <linux/usb/functionfs.h>

#include "agent/cradle-agent-functionfs-descriptors-private.h"
#include "protocol/cradle-bridge-usb-interface-private.h"

/* Bulk wMaxPacketSize is fixed by the USB speed. */
#define FULL_SPEED_PACKET  64
#define HIGH_SPEED_PACKET  512
#define SUPER_SPEED_PACKET 1024

static void
append_le32 (GByteArray *blob,
             guint32     value)
{
  guint32 le = GUINT32_TO_LE (value);

  g_byte_array_append (blob, (const guint8 *) &le, sizeof le);
}

static void
append_interface (GByteArray *blob)
{
  struct usb_interface_descriptor interface = {
    .bLength = USB_DT_INTERFACE_SIZE,
    .bDescriptorType = USB_DT_INTERFACE,
    .bInterfaceNumber = 0,
    .bNumEndpoints = 2,
    .bInterfaceClass = CRADLE_BRIDGE_USB_INTERFACE_CLASS,
    .bInterfaceSubClass = CRADLE_BRIDGE_USB_INTERFACE_SUBCLASS,
    .bInterfaceProtocol = CRADLE_BRIDGE_USB_INTERFACE_PROTOCOL,
    .iInterface = 1,
  };

  g_byte_array_append (blob, (const guint8 *) &interface, USB_DT_INTERFACE_SIZE);
}

static void
append_bulk_endpoint (GByteArray *blob,
                      guint8      address,
                      guint16     max_packet)
{
  struct usb_endpoint_descriptor_no_audio endpoint = {
    .bLength = sizeof endpoint,
    .bDescriptorType = USB_DT_ENDPOINT,
    .bEndpointAddress = address,
    .bmAttributes = USB_ENDPOINT_XFER_BULK,
    .wMaxPacketSize = GUINT16_TO_LE (max_packet),
    .bInterval = 0,
  };

  g_byte_array_append (blob, (const guint8 *) &endpoint, sizeof endpoint);
}

static void
append_super_speed_companion (GByteArray *blob)
{
  struct usb_ss_ep_comp_descriptor companion = {
    .bLength = USB_DT_SS_EP_COMP_SIZE,
    .bDescriptorType = USB_DT_SS_ENDPOINT_COMP,
    .bMaxBurst = 0,
    .bmAttributes = 0,
    .wBytesPerInterval = 0,
  };

  g_byte_array_append (blob, (const guint8 *) &companion, USB_DT_SS_EP_COMP_SIZE);
}

/* The IN endpoint comes first so it is ep1, as the header promises. */
static void
append_speed (GByteArray *blob,
              guint16     max_packet,
              gboolean    super_speed)
{
  append_interface (blob);
  append_bulk_endpoint (blob, 1 | USB_DIR_IN, max_packet);
  if (super_speed)
    append_super_speed_companion (blob);
  append_bulk_endpoint (blob, 2 | USB_DIR_OUT, max_packet);
  if (super_speed)
    append_super_speed_companion (blob);
}

GBytes *
cradle_agent_functionfs_descriptors (void)
{
  GByteArray *blob = g_byte_array_new ();
  guint32 length;

  append_le32 (blob, FUNCTIONFS_DESCRIPTORS_MAGIC_V2);
  append_le32 (blob, 0);   /* the length, set below */
  append_le32 (blob, FUNCTIONFS_HAS_FS_DESC | FUNCTIONFS_HAS_HS_DESC | FUNCTIONFS_HAS_SS_DESC);
  append_le32 (blob, 3);   /* full speed: interface and two endpoints */
  append_le32 (blob, 3);   /* high speed: the same */
  append_le32 (blob, 5);   /* super speed: each endpoint has a companion */
  append_speed (blob, FULL_SPEED_PACKET, FALSE);
  append_speed (blob, HIGH_SPEED_PACKET, FALSE);
  append_speed (blob, SUPER_SPEED_PACKET, TRUE);

  length = GUINT32_TO_LE (blob->len);
  memcpy (blob->data + 4, &length, sizeof length);
  return g_byte_array_free_to_bytes (blob);
}

GBytes *
cradle_agent_functionfs_strings (void)
{
  GByteArray *blob = g_byte_array_new ();
  guint16 language = GUINT16_TO_LE (0x0409);   /* en-US */
  guint32 length;

  append_le32 (blob, FUNCTIONFS_STRINGS_MAGIC);
  append_le32 (blob, 0);   /* the length, set below */
  append_le32 (blob, 1);   /* strings per language */
  append_le32 (blob, 1);   /* languages */
  g_byte_array_append (blob, (const guint8 *) &language, sizeof language);
  g_byte_array_append (blob, (const guint8 *) CRADLE_AGENT_FUNCTIONFS_INTERFACE_NAME,
                       sizeof CRADLE_AGENT_FUNCTIONFS_INTERFACE_NAME);

  length = GUINT32_TO_LE (blob->len);
  memcpy (blob->data + 4, &length, sizeof length);
  return g_byte_array_free_to_bytes (blob);
}
