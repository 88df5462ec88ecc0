/* test-agent-functionfs-descriptors.c: the blobs the agent writes to FunctionFS's ep0
 *
 * Parsed here byte by byte against linux/usb/functionfs.h, since no machine
 * of the project's has a USB device controller to take them for real.
 */
#include "config.h"

#include <string.h>
#include <linux/usb/ch9.h>
#include <linux/usb/functionfs.h>

#include "agent/cradle-agent-functionfs-descriptors-private.h"
#include "protocol/cradle-bridge-usb-interface-private.h"

static guint32
le32_at (const guint8 *data,
         gsize         offset)
{
  guint32 value;

  memcpy (&value, data + offset, sizeof value);
  return GUINT32_FROM_LE (value);
}

/* Checks one speed's interface and endpoints; returns the offset after them. */
static gsize
check_speed (const guint8 *data,
             gsize         size,
             gsize         offset,
             guint         count,
             guint16       max_packet)
{
  const guint8 expected_addresses[] = { 0x81, 0x02 };
  guint endpoints = 0;

  for (guint i = 0; i < count; i++)
    {
      guint8 length;
      guint8 type;

      g_assert_cmpuint (offset + 2, <=, size);
      length = data[offset];
      type = data[offset + 1];
      g_assert_cmpuint (length, >=, 2);
      g_assert_cmpuint (offset + length, <=, size);

      if (i == 0)
        {
          g_assert_cmpuint (type, ==, USB_DT_INTERFACE);
          g_assert_cmpuint (length, ==, USB_DT_INTERFACE_SIZE);
          g_assert_cmpuint (data[offset + 4], ==, 2);   /* bNumEndpoints */
          g_assert_cmpuint (data[offset + 5], ==, CRADLE_BRIDGE_USB_INTERFACE_CLASS);
          g_assert_cmpuint (data[offset + 6], ==, CRADLE_BRIDGE_USB_INTERFACE_SUBCLASS);
          g_assert_cmpuint (data[offset + 7], ==, CRADLE_BRIDGE_USB_INTERFACE_PROTOCOL);
          g_assert_cmpuint (data[offset + 8], ==, 1);   /* iInterface: the one string */
        }
      else if (type == USB_DT_ENDPOINT)
        {
          g_assert_cmpuint (length, ==, USB_DT_ENDPOINT_SIZE);
          g_assert_cmpuint (endpoints, <, 2);
          g_assert_cmpuint (data[offset + 2], ==, expected_addresses[endpoints]);
          g_assert_cmpuint (data[offset + 3], ==, USB_ENDPOINT_XFER_BULK);
          g_assert_cmpuint (data[offset + 4] | (data[offset + 5] << 8), ==, max_packet);
          endpoints++;
        }
      else
        {
          g_assert_cmpuint (type, ==, USB_DT_SS_ENDPOINT_COMP);
          g_assert_cmpuint (length, ==, USB_DT_SS_EP_COMP_SIZE);
          g_assert_cmpuint (endpoints, >, 0);
        }
      offset += length;
    }
  g_assert_cmpuint (endpoints, ==, 2);
  return offset;
}

static void
test_descriptors (void)
{
  g_autoptr(GBytes) blob = cradle_agent_functionfs_descriptors ();
  gsize size;
  const guint8 *data = g_bytes_get_data (blob, &size);
  gsize offset;

  g_assert_cmpuint (size, >, 24);
  g_assert_cmpuint (le32_at (data, 0), ==, FUNCTIONFS_DESCRIPTORS_MAGIC_V2);
  g_assert_cmpuint (le32_at (data, 4), ==, size);
  g_assert_cmpuint (le32_at (data, 8), ==,
                    FUNCTIONFS_HAS_FS_DESC | FUNCTIONFS_HAS_HS_DESC | FUNCTIONFS_HAS_SS_DESC);
  g_assert_cmpuint (le32_at (data, 12), ==, 3);
  g_assert_cmpuint (le32_at (data, 16), ==, 3);
  g_assert_cmpuint (le32_at (data, 20), ==, 5);

  offset = check_speed (data, size, 24, 3, 64);
  offset = check_speed (data, size, offset, 3, 512);
  offset = check_speed (data, size, offset, 5, 1024);
  g_assert_cmpuint (offset, ==, size);
}

static void
test_strings (void)
{
  g_autoptr(GBytes) blob = cradle_agent_functionfs_strings ();
  gsize size;
  const guint8 *data = g_bytes_get_data (blob, &size);
  const char *name = CRADLE_AGENT_FUNCTIONFS_INTERFACE_NAME;

  g_assert_cmpuint (size, ==, 16 + 2 + strlen (name) + 1);
  g_assert_cmpuint (le32_at (data, 0), ==, FUNCTIONFS_STRINGS_MAGIC);
  g_assert_cmpuint (le32_at (data, 4), ==, size);
  g_assert_cmpuint (le32_at (data, 8), ==, 1);
  g_assert_cmpuint (le32_at (data, 12), ==, 1);
  g_assert_cmpuint (data[16] | (data[17] << 8), ==, 0x0409);
  g_assert_cmpstr ((const char *) data + 18, ==, name);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/agent/functionfs/descriptors", test_descriptors);
  g_test_add_func ("/agent/functionfs/strings", test_strings);
  return g_test_run ();
}
