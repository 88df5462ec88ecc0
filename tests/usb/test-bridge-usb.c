/* test-bridge-usb.c: the USB transport and monitor, with real libusb code
 * against devices emulated by umockdev
 *
 * The program is linked with libumockdev-preload, so libusb's open(), ioctl()
 * and udev calls reach a UMockdevTestbed in this process. Each emulated
 * device has an ioctl handler playing a tiny Cradle device: it reassembles
 * the frames written to bulk OUT and echoes each one on bulk IN with the
 * RESPONSE flag, split as the binding says (16 KiB transfers, a zero-length
 * packet after a full last packet).
 *
 * The handler runs on umockdev's thread: its state is under a mutex, and the
 * test waits on a GCond for what it needs (never a sleep).
 */
#include "config.h"

#include <errno.h>
#include <linux/ioctl.h>
#include <linux/usbdevice_fs.h>
#include <umockdev.h>
#include <glib/gstdio.h>

#include <cradle/cradle.h>

#include "protocol/cradle-bridge-frame-private.h"
#include "host/cradle-bridge-usb-private.h"

#define MAX_PACKET   512
#define WAIT_MS      5000
#define SYSFS_PARENT "/sys/devices/pci0000:00/0000:00:14.0/usb1"

typedef struct {
  GMutex                   lock;
  GCond                    cond;        /* broadcast on every change */
  UMockdevIoctlBase       *handler;
  char                    *devnode;
  char                    *sysfs_path;

  /* Under lock */
  CradleBridgeFrameReader *reader;      /* what the host wrote */
  gboolean                 reader_broken;
  gboolean                 echo;        /* answer frames (else stay silent) */
  GQueue                   in_chunks;   /* of GBytes: the device's bulk IN writes, empty = ZLP */
  GQueue                   in_urbs;     /* of UMockdevIoctlData: IN URBs waiting for data */
  GQueue                   reapable;    /* of UMockdevIoctlData: finished URBs */
  guint                    out_urbs;
  guint                    out_zlps;
  gsize                    out_max_urb;
  guint                    in_zlps;
  guint                    frames;
  guint                    clear_halts;
  guint                    set_interfaces; /* SET_INTERFACE requests */
  guint                    discards;
  guint                    stall_out;   /* stall this many next OUT URBs */
  guint                    fail_out;    /* fail this many next OUT URBs with EPROTO */
  guint                    control_urbs;  /* submitted, answered or not */
  guint                    control_errors; /* fail this many next control URBs with EPROTO */
  gboolean                 unplug_after_control_errors; /* ...then leave */
  gboolean                 unplugged;   /* new URBs fail with ENODEV */
} EmuDevice;

typedef struct {
  UMockdevTestbed        *testbed;
  GPtrArray              *devices;      /* of EmuDevice */
  CradleBridgeUsbMonitor *monitor;
  GPtrArray              *added;        /* of CradleBridgeTransport, from device-added */
  GPtrArray              *removed;      /* of char *, from device-removed */
} Fixture;

/* Device side ----------------------------------------------------------- */

static struct usbdevfs_urb *
urb_of (UMockdevIoctlData *data)
{
  return (struct usbdevfs_urb *) data->data;
}

/* Hands the device's IN data to waiting IN URBs. Under lock. */
static void
feed_in_urbs_locked (EmuDevice *dev)
{
  while (!g_queue_is_empty (&dev->in_urbs) && !g_queue_is_empty (&dev->in_chunks))
    {
      UMockdevIoctlData *data = g_queue_pop_head (&dev->in_urbs);
      struct usbdevfs_urb *urb = urb_of (data);
      GBytes *chunk = g_queue_pop_head (&dev->in_chunks);
      gsize size;
      const guint8 *bytes = g_bytes_get_data (chunk, &size);
      gsize n = MIN (size, (gsize) urb->buffer_length);

      /* urb->buffer points to umockdev's local copy, written back on reap. */
      if (n > 0)
        memcpy (urb->buffer, bytes, n);
      else
        dev->in_zlps++;
      urb->actual_length = (int) n;
      urb->status = 0;
      if (n < size)
        g_queue_push_head (&dev->in_chunks, g_bytes_new_from_bytes (chunk, n, size - n));
      g_bytes_unref (chunk);
      g_queue_push_tail (&dev->reapable, data);
    }
}

/* Answers a frame as an agent would answer it, transfer by transfer. */
static void
echo_frame_locked (EmuDevice         *dev,
                   CradleBridgeFrame *frame)
{
  g_autoptr(GBytes) answer = cradle_bridge_frame_encode (frame->header.type,
                                                         frame->header.flags | CRADLE_BRIDGE_FLAG_RESPONSE,
                                                         frame->header.request_id, frame->payload);
  gsize size = g_bytes_get_size (answer);

  for (gsize offset = 0; offset < size; offset += CRADLE_BRIDGE_USB_TRANSFER_SIZE)
    g_queue_push_tail (&dev->in_chunks,
                       g_bytes_new_from_bytes (answer, offset,
                                               MIN (size - offset, CRADLE_BRIDGE_USB_TRANSFER_SIZE)));
  if (size % MAX_PACKET == 0)
    g_queue_push_tail (&dev->in_chunks, g_bytes_new (NULL, 0));
}

static void
bulk_out_locked (EmuDevice         *dev,
                 UMockdevIoctlData *data)
{
  struct usbdevfs_urb *urb = urb_of (data);
  CradleBridgeFrame *frame;

  dev->out_urbs++;
  dev->out_max_urb = MAX (dev->out_max_urb, (gsize) urb->buffer_length);
  if (dev->fail_out > 0)
    {
      /* What a controller reports as the device goes: a low-level bus error. */
      dev->fail_out--;
      urb->status = -EPROTO;
      urb->actual_length = 0;
      g_queue_push_tail (&dev->reapable, data);
      return;
    }
  if (dev->stall_out > 0)
    {
      dev->stall_out--;
      urb->status = -EPIPE;
      urb->actual_length = 0;
      g_queue_push_tail (&dev->reapable, data);
      return;
    }

  urb->status = 0;
  urb->actual_length = urb->buffer_length;
  g_queue_push_tail (&dev->reapable, data);

  if (urb->buffer_length == 0)
    {
      dev->out_zlps++;
      return;
    }
  if (dev->reader_broken ||
      !cradle_bridge_frame_reader_feed (dev->reader, urb->buffer, (gsize) urb->buffer_length, NULL))
    {
      dev->reader_broken = TRUE;
      return;
    }
  while ((frame = cradle_bridge_frame_reader_pop (dev->reader)) != NULL)
    {
      dev->frames++;
      if (dev->echo)
        echo_frame_locked (dev, frame);
      cradle_bridge_frame_free (frame);
    }
}

/* A request on ep0: GET_STATUS answers "bus powered, no remote wakeup";
 * control_errors fail first, and then the device may leave, as dummy_hcd's
 * does a moment after the gadget is unbound. */
static void
control_locked (EmuDevice         *dev,
                UMockdevIoctlData *data)
{
  struct usbdevfs_urb *urb = urb_of (data);
  const guint8 *setup = urb->buffer;

  urb->actual_length = 0;
  if (dev->control_errors > 0)
    {
      dev->control_errors--;
      urb->status = -EPROTO;
      if (dev->control_errors == 0 && dev->unplug_after_control_errors)
        dev->unplugged = TRUE;
    }
  else if (urb->buffer_length >= 10 && setup[0] == 0x80 && setup[1] == 0x00)
    {
      memset (urb->buffer + 8, 0, 2);
      urb->actual_length = 2;
      urb->status = 0;
    }
  else
    urb->status = -EPIPE;
  g_queue_push_tail (&dev->reapable, data);
}

static gboolean
submit_urb (EmuDevice           *dev,
            UMockdevIoctlClient *client)
{
  UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg (client);
  g_autoptr(GError) error = NULL;
  UMockdevIoctlData *data;
  struct usbdevfs_urb *urb;

  data = umockdev_ioctl_data_resolve (arg, 0, sizeof (struct usbdevfs_urb), &error);
  g_assert_no_error (error);
  urb = urb_of (data);
  if (urb->buffer_length > 0)
    {
      g_autoptr(UMockdevIoctlData) buffer =
        umockdev_ioctl_data_resolve (data, G_STRUCT_OFFSET (struct usbdevfs_urb, buffer),
                                     (gsize) urb->buffer_length, &error);
      g_assert_no_error (error);
    }

  g_mutex_lock (&dev->lock);
  /* Counted whether or not the device is still there to answer. */
  if (urb->type == USBDEVFS_URB_TYPE_CONTROL)
    dev->control_urbs++;
  if (!dev->unplugged && urb->type == USBDEVFS_URB_TYPE_CONTROL)
    {
      control_locked (dev, data);
      g_cond_broadcast (&dev->cond);
      g_mutex_unlock (&dev->lock);
      umockdev_ioctl_client_complete (client, 0, 0);
      return TRUE;
    }
  if (dev->unplugged || urb->type != USBDEVFS_URB_TYPE_BULK)
    {
      int code = dev->unplugged ? ENODEV : EINVAL;

      g_mutex_unlock (&dev->lock);
      g_object_unref (data);
      umockdev_ioctl_client_complete (client, -1, code);
      return TRUE;
    }
  if (urb->endpoint & 0x80)
    g_queue_push_tail (&dev->in_urbs, data);
  else
    bulk_out_locked (dev, data);
  feed_in_urbs_locked (dev);
  g_cond_broadcast (&dev->cond);
  g_mutex_unlock (&dev->lock);

  umockdev_ioctl_client_complete (client, 0, 0);
  return TRUE;
}

static gboolean
reap_urb (EmuDevice           *dev,
          UMockdevIoctlClient *client)
{
  UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg (client);
  g_autoptr(UMockdevIoctlData) data = NULL;
  g_autoptr(UMockdevIoctlData) ptr = NULL;
  g_autoptr(GError) error = NULL;

  g_mutex_lock (&dev->lock);
  data = g_queue_pop_head (&dev->reapable);
  g_mutex_unlock (&dev->lock);

  /* libusb polls with REAPURBNDELAY: "nothing yet" is EAGAIN. */
  if (data == NULL)
    {
      umockdev_ioctl_client_complete (client, -1, EAGAIN);
      return TRUE;
    }
  ptr = umockdev_ioctl_data_resolve (arg, 0, sizeof (gpointer), &error);
  g_assert_no_error (error);
  umockdev_ioctl_data_set_ptr (ptr, 0, data);
  umockdev_ioctl_client_complete (client, 0, 0);
  return TRUE;
}

static gboolean
discard_urb (EmuDevice           *dev,
             UMockdevIoctlClient *client)
{
  UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg (client);
  gulong address = *(gulong *) arg->data;
  gboolean found = FALSE;

  g_mutex_lock (&dev->lock);
  for (GList *l = dev->in_urbs.head; l != NULL; l = l->next)
    {
      UMockdevIoctlData *data = l->data;

      if (data->client_addr != address)
        continue;
      g_queue_delete_link (&dev->in_urbs, l);
      urb_of (data)->status = -ENOENT;
      urb_of (data)->actual_length = 0;
      g_queue_push_tail (&dev->reapable, data);
      dev->discards++;
      found = TRUE;
      break;
    }
  g_cond_broadcast (&dev->cond);
  g_mutex_unlock (&dev->lock);

  /* OUT URBs finish at once here, so only IN ones can still be discarded. */
  umockdev_ioctl_client_complete (client, found ? 0 : -1, found ? 0 : EINVAL);
  return TRUE;
}

static gboolean
handle_ioctl_cb (UMockdevIoctlBase   *handler,
                 UMockdevIoctlClient *client,
                 EmuDevice           *dev)
{
  gulong request = umockdev_ioctl_client_get_request (client);

  switch (request)
    {
    case USBDEVFS_GET_CAPABILITIES:
      {
        g_autoptr(UMockdevIoctlData) caps = NULL;
        g_autoptr(GError) error = NULL;

        caps = umockdev_ioctl_data_resolve (umockdev_ioctl_client_get_arg (client), 0,
                                            sizeof (guint32), &error);
        g_assert_no_error (error);
        /* With scatter-gather libusb sends a 16 KiB transfer as one URB. */
        *(guint32 *) caps->data = USBDEVFS_CAP_BULK_SCATTER_GATHER | USBDEVFS_CAP_BULK_CONTINUATION |
                                  USBDEVFS_CAP_NO_PACKET_SIZE_LIM | USBDEVFS_CAP_REAP_AFTER_DISCONNECT |
                                  USBDEVFS_CAP_ZERO_PACKET;
        umockdev_ioctl_client_complete (client, 0, 0);
        return TRUE;
      }

    case USBDEVFS_CLEAR_HALT:
      g_mutex_lock (&dev->lock);
      dev->clear_halts++;
      g_mutex_unlock (&dev->lock);
      umockdev_ioctl_client_complete (client, 0, 0);
      return TRUE;

    /* USBDEVFS_IOCTL: re-attaching the kernel driver after release, as
     * auto-detach does; a vendor interface has none, which is success. */
    case USBDEVFS_SETINTERFACE:
      g_mutex_lock (&dev->lock);
      dev->set_interfaces++;
      g_mutex_unlock (&dev->lock);
      umockdev_ioctl_client_complete (client, 0, 0);
      return TRUE;

    case USBDEVFS_CLAIMINTERFACE:
    case USBDEVFS_DISCONNECT_CLAIM:
    case USBDEVFS_RELEASEINTERFACE:
    case USBDEVFS_IOCTL:
    case USBDEVFS_RESET:
    case USBDEVFS_RESETEP:
      umockdev_ioctl_client_complete (client, 0, 0);
      return TRUE;

    case USBDEVFS_SUBMITURB:
      return submit_urb (dev, client);

    case USBDEVFS_REAPURB:
    case USBDEVFS_REAPURBNDELAY:
      return reap_urb (dev, client);

    case USBDEVFS_DISCARDURB:
      return discard_urb (dev, client);

    default:
      /* Unhandled: umockdev answers ENOTTY, as for an unknown ioctl. */
      return FALSE;
    }
}

static char *
make_record (guint        port,
             guint        devnum,
             guint16      vendor,
             guint16      product,
             const guint8 triple[3],
             const char  *serial)
{
  /* Device, configuration (32 bytes in all), interface, bulk IN 0x81 and
   * bulk OUT 0x01 with 512-byte packets: what a FunctionFS gadget presents. */
  g_autofree char *descriptors =
    g_strdup_printf ("1201000200000040%02x%02x%02x%02x000101020301"
                     "09022000010100803209040000"
                     "02%02x%02x%02x00"
                     "0705810200020007050102000200",
                     vendor & 0xff, vendor >> 8, product & 0xff, product >> 8,
                     triple[0], triple[1], triple[2]);

  return g_strdup_printf ("P: /devices/pci0000:00/0000:00:14.0/usb1/1-%u\n"
                          "N: bus/usb/001/%03u\n"
                          "E: SUBSYSTEM=usb\n"
                          "E: DEVTYPE=usb_device\n"
                          "E: DRIVER=usb\n"
                          "E: BUSNUM=001\n"
                          "E: DEVNUM=%03u\n"
                          "E: DEVNAME=/dev/bus/usb/001/%03u\n"
                          "A: busnum=1\\n\n"
                          "A: devnum=%u\\n\n"
                          "A: speed=480\\n\n"
                          "A: bConfigurationValue=1\\n\n"
                          "A: idVendor=%04x\\n\n"
                          "A: idProduct=%04x\\n\n"
                          "A: manufacturer=Cradle\\n\n"
                          "A: product=Cradle agent\\n\n"
                          "A: serial=%s\\n\n"
                          "H: descriptors=%s\n",
                          port, devnum, devnum, devnum, devnum, vendor, product, serial, descriptors);
}

static const guint8 CRADLE_TRIPLE[3] = { 0xFF, 0x43, 0x01 };

/* Plugs in a device; its ioctl handler is attached first, since adding the
 * device sends the uevent libusb acts on. */
static EmuDevice *
plug (Fixture      *fixture,
      guint         port,
      guint         devnum,
      const guint8  triple[3],
      const char   *serial)
{
  EmuDevice *dev = g_new0 (EmuDevice, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *record = NULL;

  g_mutex_init (&dev->lock);
  g_cond_init (&dev->cond);
  g_queue_init (&dev->in_chunks);
  g_queue_init (&dev->in_urbs);
  g_queue_init (&dev->reapable);
  dev->reader = cradle_bridge_frame_reader_new ();
  dev->echo = TRUE;
  dev->devnode = g_strdup_printf ("/dev/bus/usb/001/%03u", devnum);
  dev->sysfs_path = g_strdup_printf (SYSFS_PARENT "/1-%u", port);
  dev->handler = umockdev_ioctl_base_new ();
  g_signal_connect (dev->handler, "handle-ioctl", G_CALLBACK (handle_ioctl_cb), dev);
  g_ptr_array_add (fixture->devices, dev);

  g_assert_true (umockdev_testbed_attach_ioctl (fixture->testbed, dev->devnode, dev->handler, &error));
  g_assert_no_error (error);
  record = make_record (port, devnum, 0x1209, 0x0001, triple, serial);
  g_assert_true (umockdev_testbed_add_from_string (fixture->testbed, record, &error));
  g_assert_no_error (error);
  return dev;
}

static void
emu_device_free (EmuDevice *dev)
{
  g_signal_handlers_disconnect_by_data (dev->handler, dev);
  g_clear_object (&dev->handler);
  g_queue_clear_full (&dev->in_chunks, (GDestroyNotify) g_bytes_unref);
  g_queue_clear_full (&dev->in_urbs, g_object_unref);
  g_queue_clear_full (&dev->reapable, g_object_unref);
  cradle_bridge_frame_reader_free (dev->reader);
  g_free (dev->devnode);
  g_free (dev->sysfs_path);
  g_mutex_clear (&dev->lock);
  g_cond_clear (&dev->cond);
  g_free (dev);
}

/* Waits (bounded) until the host has an IN URB waiting on @dev. */
static void
wait_for_in_urb (EmuDevice *dev)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;

  g_mutex_lock (&dev->lock);
  while (g_queue_is_empty (&dev->in_urbs))
    if (!g_cond_wait_until (&dev->cond, &dev->lock, deadline))
      break;
  g_assert_false (g_queue_is_empty (&dev->in_urbs));
  g_mutex_unlock (&dev->lock);
}

/* Fails the IN URBs the host has waiting with @status. Under lock. */
static void
fail_in_urbs_locked (EmuDevice *dev,
                     int        status)
{
  UMockdevIoctlData *data;

  while ((data = g_queue_pop_head (&dev->in_urbs)) != NULL)
    {
      urb_of (data)->status = status;
      urb_of (data)->actual_length = 0;
      g_queue_push_tail (&dev->reapable, data);
    }
  g_cond_broadcast (&dev->cond);
}

/* Waits (bounded) until the host has sent @count control requests in all. */
static void
wait_for_control_urbs (EmuDevice *dev,
                       guint      count)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;

  g_mutex_lock (&dev->lock);
  while (dev->control_urbs < count)
    if (!g_cond_wait_until (&dev->cond, &dev->lock, deadline))
      break;
  g_assert_cmpuint (dev->control_urbs, >=, count);
  g_mutex_unlock (&dev->lock);
}

/* Host side ------------------------------------------------------------- */

static void
device_added_cb (CradleBridgeUsbMonitor *monitor,
                 CradleBridgeTransport  *transport,
                 Fixture                *fixture)
{
  g_assert_true (g_main_context_is_owner (g_main_context_default ()));
  g_ptr_array_add (fixture->added, g_object_ref (transport));
}

static void
device_removed_cb (CradleBridgeUsbMonitor *monitor,
                   const char             *id,
                   Fixture                *fixture)
{
  g_assert_true (g_main_context_is_owner (g_main_context_default ()));
  g_ptr_array_add (fixture->removed, g_strdup (id));
}

static void
start_monitor (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;

  fixture->monitor = cradle_bridge_usb_monitor_new (&error);
  g_assert_no_error (error);
  g_assert_nonnull (fixture->monitor);
  g_signal_connect (fixture->monitor, "device-added", G_CALLBACK (device_added_cb), fixture);
  g_signal_connect (fixture->monitor, "device-removed", G_CALLBACK (device_removed_cb), fixture);
}

static CradleBridgeTransport *
dup_only_transport (Fixture *fixture)
{
  g_autoptr(GPtrArray) transports = cradle_bridge_usb_monitor_dup_transports (fixture->monitor);

  g_assert_cmpuint (transports->len, ==, 1);
  return g_object_ref (g_ptr_array_index (transports, 0));
}

static gboolean
flag_timeout_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main context until @done says so, for at most WAIT_MS. */
static void
run_until (gboolean (*done) (gpointer data),
           gpointer  data)
{
  gboolean timed_out = FALSE;
  GSource *timeout = g_timeout_source_new (WAIT_MS);

  g_source_set_callback (timeout, flag_timeout_cb, &timed_out, NULL);
  g_source_attach (timeout, NULL);
  while (!done (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  g_source_destroy (timeout);
  g_source_unref (timeout);
  g_assert_true (done (data));
}

static void
round_trip (CradleBridgeTransport *transport,
            EmuDevice             *dev,
            gsize                  payload_size,
            guint32                request_id)
{
  g_autoptr(GByteArray) payload = g_byte_array_sized_new ((guint) payload_size);
  g_autoptr(GBytes) payload_bytes = NULL;
  g_autoptr(GBytes) frame = NULL;
  g_autoptr(CradleBridgeFrame) answer = NULL;
  g_autoptr(GError) error = NULL;
  gboolean needs_zlp;
  guint out_zlps;

  for (gsize i = 0; i < payload_size; i++)
    {
      guint8 byte = (guint8) g_test_rand_int_range (0, 256);

      g_byte_array_append (payload, &byte, 1);
    }
  payload_bytes = g_byte_array_free_to_bytes (g_steal_pointer (&payload));
  frame = cradle_bridge_frame_encode (CRADLE_BRIDGE_GET_INFO, 0, request_id, payload_bytes);
  needs_zlp = g_bytes_get_size (frame) % MAX_PACKET == 0;

  g_mutex_lock (&dev->lock);
  out_zlps = dev->out_zlps;
  g_mutex_unlock (&dev->lock);

  g_assert_true (cradle_bridge_transport_send (transport, frame, NULL, &error));
  g_assert_no_error (error);
  answer = cradle_bridge_transport_receive_frame (transport, WAIT_MS, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (answer);

  g_assert_cmpuint (answer->header.type, ==, CRADLE_BRIDGE_GET_INFO);
  g_assert_cmpuint (answer->header.flags, ==, CRADLE_BRIDGE_FLAG_RESPONSE);
  g_assert_cmpuint (answer->header.request_id, ==, request_id);
  g_assert_true (g_bytes_equal (answer->payload, payload_bytes));

  g_mutex_lock (&dev->lock);
  g_assert_cmpuint (dev->out_zlps - out_zlps, ==, needs_zlp ? 1 : 0);
  g_assert_cmpuint (dev->out_max_urb, <=, CRADLE_BRIDGE_USB_TRANSFER_SIZE);
  g_assert_false (dev->reader_broken);
  g_mutex_unlock (&dev->lock);
}

/* Tests ---------------------------------------------------------------- */

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->testbed = umockdev_testbed_new ();
  fixture->devices = g_ptr_array_new_with_free_func ((GDestroyNotify) emu_device_free);
  fixture->added = g_ptr_array_new_with_free_func (g_object_unref);
  fixture->removed = g_ptr_array_new_with_free_func (g_free);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *root = umockdev_testbed_get_root_dir (fixture->testbed);

  g_clear_pointer (&fixture->added, g_ptr_array_unref);
  g_clear_pointer (&fixture->removed, g_ptr_array_unref);
  /* Closes the devices (and stops the event thread) while the handlers still answer. */
  if (fixture->monitor != NULL)
    g_assert_finalize_object (g_steal_pointer (&fixture->monitor));
  g_clear_object (&fixture->testbed);
  g_clear_pointer (&fixture->devices, g_ptr_array_unref);
  g_assert_false (g_file_test (root, G_FILE_TEST_EXISTS));
}

static void
test_enumerate (Fixture       *fixture,
                gconstpointer  data)
{
  static const guint8 mass_storage[3] = { 0x08, 0x06, 0x50 };
  static const guint8 other_vendor[3] = { 0xFF, 0x42, 0x01 };
  g_autoptr(GPtrArray) transports = NULL;
  CradleBridgeTransport *transport;

  plug (fixture, 2, 2, CRADLE_TRIPLE, "EMU-0001");
  plug (fixture, 3, 3, mass_storage, "DISK-0001");
  plug (fixture, 5, 5, other_vendor, "OTHER-0001");
  start_monitor (fixture);

  /* No main loop needed. */
  transports = cradle_bridge_usb_monitor_dup_transports (fixture->monitor);
  g_assert_cmpuint (transports->len, ==, 1);
  transport = g_ptr_array_index (transports, 0);
  g_assert_true (CRADLE_IS_BRIDGE_USB (transport));
  g_assert_cmpstr (cradle_bridge_transport_get_kind (transport), ==, "usb");
  g_assert_cmpstr (cradle_bridge_transport_get_id (transport), ==, "usb:1-2");
  g_assert_cmpuint (cradle_bridge_usb_get_vendor_id (CRADLE_BRIDGE_USB (transport)), ==, 0x1209);
  g_assert_cmpuint (cradle_bridge_usb_get_product_id (CRADLE_BRIDGE_USB (transport)), ==, 0x0001);
  g_assert_false (cradle_bridge_usb_is_gone (CRADLE_BRIDGE_USB (transport)));

  /* Present at the start: listed, not announced. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_cmpuint (fixture->added->len, ==, 0);
}

static void
test_round_trips (Fixture       *fixture,
                  gconstpointer  data)
{
  static const gsize sizes[] = {
    0, 1, 496, 511, 512,
    16 * 1024 - 16, 16 * 1024, 32 * 1024 - 16,
    100 * 1024, CRADLE_BRIDGE_MAX_PAYLOAD,
  };
  g_autoptr(CradleBridgeTransport) transport = NULL;
  EmuDevice *dev = plug (fixture, 2, 2, CRADLE_TRIPLE, "EMU-0001");

  start_monitor (fixture);
  transport = dup_only_transport (fixture);

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_test_message ("payload of %" G_GSIZE_FORMAT " bytes", sizes[i]);
      round_trip (transport, dev, sizes[i], i + 1);
    }

  g_mutex_lock (&dev->lock);
  /* Frames of 16 + 496, 16 KiB - 16 + 16 and 32 KiB - 16 + 16 bytes. The
   * host reads the device's zero-length packet at the start of the next
   * receive, skips it, and the next frame still arrives whole. */
  g_assert_cmpuint (dev->out_zlps, ==, 3);
  g_assert_cmpuint (dev->in_zlps, ==, 3);
  g_assert_true (g_queue_is_empty (&dev->in_chunks));
  g_assert_cmpuint (dev->frames, ==, G_N_ELEMENTS (sizes));
  g_mutex_unlock (&dev->lock);

  cradle_bridge_transport_close (transport);
}

static gboolean
added_one (gpointer data)
{
  return ((Fixture *) data)->added->len >= 1;
}

static void
test_hotplug_arrival (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GPtrArray) transports = NULL;
  CradleBridgeTransport *transport;
  EmuDevice *second;

  plug (fixture, 2, 2, CRADLE_TRIPLE, "EMU-0001");
  start_monitor (fixture);

  second = plug (fixture, 4, 4, CRADLE_TRIPLE, "EMU-0002");
  run_until (added_one, fixture);
  g_assert_cmpuint (fixture->added->len, ==, 1);
  transport = g_ptr_array_index (fixture->added, 0);
  g_assert_cmpstr (cradle_bridge_transport_get_id (transport), ==, "usb:1-4");

  transports = cradle_bridge_usb_monitor_dup_transports (fixture->monitor);
  g_assert_cmpuint (transports->len, ==, 2);
  g_assert_cmpstr (cradle_bridge_transport_get_id (g_ptr_array_index (transports, 0)), ==, "usb:1-2");
  g_assert_true (g_ptr_array_index (transports, 1) == (gpointer) transport);

  /* The new device works. */
  round_trip (transport, second, 100, 7);
  cradle_bridge_transport_close (transport);
}

typedef struct {
  CradleBridgeTransport *transport;
  GCancellable          *cancellable;
  guint                  timeout_ms;
  /* Set by the thread */
  GError                *error;
  gint64                 elapsed_us;
  gboolean               done;          /* atomic */
} Receiver;

static gpointer
receiver_thread (gpointer data)
{
  Receiver *receiver = data;
  g_autoptr(CradleBridgeFrame) frame = NULL;
  gint64 start = g_get_monotonic_time ();

  frame = cradle_bridge_transport_receive_frame (receiver->transport, receiver->timeout_ms,
                                                 receiver->cancellable, &receiver->error);
  g_assert_null (frame);
  receiver->elapsed_us = g_get_monotonic_time () - start;
  g_atomic_int_set (&receiver->done, TRUE);
  g_main_context_wakeup (NULL);
  return NULL;
}

typedef struct {
  Fixture  *fixture;
  Receiver *receiver;
} UnplugWait;

static gboolean
unplug_seen (gpointer data)
{
  UnplugWait *wait = data;

  return g_atomic_int_get (&wait->receiver->done) && wait->fixture->removed->len >= 1;
}

static void
test_unplug_during_receive (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(CradleBridgeTransport) transport = NULL;
  g_autoptr(GBytes) frame = cradle_bridge_frame_encode (CRADLE_BRIDGE_HELLO, 0, 1, NULL);
  g_autoptr(GPtrArray) transports = NULL;
  g_autoptr(GError) error = NULL;
  EmuDevice *dev = plug (fixture, 2, 2, CRADLE_TRIPLE, "EMU-0001");
  Receiver receiver = { .timeout_ms = 10000 };
  UnplugWait wait = { fixture, &receiver };
  GThread *thread;

  start_monitor (fixture);
  transport = dup_only_transport (fixture);
  receiver.transport = transport;

  /* A reply that never comes: the receive waits in an IN transfer. */
  thread = g_thread_new ("receiver", receiver_thread, &receiver);
  wait_for_in_urb (dev);

  g_mutex_lock (&dev->lock);
  dev->unplugged = TRUE;
  g_mutex_unlock (&dev->lock);
  umockdev_testbed_uevent (fixture->testbed, dev->sysfs_path, "remove");

  run_until (unplug_seen, &wait);
  g_thread_join (thread);

  g_assert_error (receiver.error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE);
  g_test_message ("receive failed after %" G_GINT64_FORMAT " ms: %s",
                  receiver.elapsed_us / 1000, receiver.error->message);
  g_assert_cmpint (receiver.elapsed_us, <, 5 * G_TIME_SPAN_SECOND);
  g_clear_error (&receiver.error);

  g_assert_cmpuint (fixture->removed->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (fixture->removed, 0), ==, "usb:1-2");
  g_assert_true (cradle_bridge_usb_is_gone (CRADLE_BRIDGE_USB (transport)));
  transports = cradle_bridge_usb_monitor_dup_transports (fixture->monitor);
  g_assert_cmpuint (transports->len, ==, 0);

  /* And everything after. */
  g_assert_false (cradle_bridge_transport_send (transport, frame, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE);
  g_clear_error (&error);
  g_assert_null (cradle_bridge_transport_receive_frame (transport, 1000, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE);
}

static void
test_receive_timeout (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(CradleBridgeTransport) transport = NULL;
  g_autoptr(CradleBridgeFrame) frame = NULL;
  g_autoptr(GError) error = NULL;
  EmuDevice *dev = plug (fixture, 2, 2, CRADLE_TRIPLE, "EMU-0001");

  start_monitor (fixture);
  transport = dup_only_transport (fixture);

  frame = cradle_bridge_transport_receive_frame (transport, 200, NULL, &error);
  g_assert_null (frame);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_TIMED_OUT);

  /* libusb discarded the timed-out IN URB; the session goes on. */
  g_mutex_lock (&dev->lock);
  g_assert_cmpuint (dev->discards, ==, 1);
  g_mutex_unlock (&dev->lock);
  round_trip (transport, dev, 10, 2);
}

static void
test_submit_no_device (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(CradleBridgeTransport) transport = NULL;
  g_autoptr(GBytes) frame = cradle_bridge_frame_encode (CRADLE_BRIDGE_HELLO, 0, 1, NULL);
  g_autoptr(GError) error = NULL;
  EmuDevice *dev = plug (fixture, 2, 2, CRADLE_TRIPLE, "EMU-0001");

  start_monitor (fixture);
  transport = dup_only_transport (fixture);

  /* The kernel answers ENODEV before udev reports the removal. */
  g_mutex_lock (&dev->lock);
  dev->unplugged = TRUE;
  g_mutex_unlock (&dev->lock);
  g_assert_false (cradle_bridge_transport_send (transport, frame, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE);
  g_assert_nonnull (strstr (error->message, "LIBUSB_ERROR_NO_DEVICE"));
  g_assert_true (cradle_bridge_usb_is_gone (CRADLE_BRIDGE_USB (transport)));
}

static void
test_stall (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(CradleBridgeTransport) transport = NULL;
  g_autoptr(GBytes) frame = cradle_bridge_frame_encode (CRADLE_BRIDGE_HELLO, 0, 9, NULL);
  g_autoptr(GError) error = NULL;
  EmuDevice *dev = plug (fixture, 2, 2, CRADLE_TRIPLE, "EMU-0001");

  start_monitor (fixture);
  transport = dup_only_transport (fixture);

  /* One stall: the halt is cleared and the transfer sent again. */
  g_mutex_lock (&dev->lock);
  dev->stall_out = 1;
  g_mutex_unlock (&dev->lock);
  round_trip (transport, dev, 1000, 1);
  g_mutex_lock (&dev->lock);
  g_assert_cmpuint (dev->clear_halts, ==, 1);
  g_mutex_unlock (&dev->lock);

  /* Two in a row: an error that names libusb's code. */
  g_mutex_lock (&dev->lock);
  dev->stall_out = 2;
  g_mutex_unlock (&dev->lock);
  g_assert_false (cradle_bridge_transport_send (transport, frame, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "LIBUSB_ERROR_PIPE"));
}

static gboolean
receiver_done (gpointer data)
{
  return g_atomic_int_get (&((Receiver *) data)->done);
}

/* Starts a receive that waits in an IN transfer for a reply never sent. */
static GThread *
start_waiting_receive (Receiver              *receiver,
                       CradleBridgeTransport *transport,
                       EmuDevice             *dev)
{
  GThread *thread;

  receiver->transport = transport;
  receiver->timeout_ms = 10000;
  thread = g_thread_new ("receiver", receiver_thread, receiver);
  wait_for_in_urb (dev);
  return thread;
}

/* The controller fails the waiting IN transfer (-EPROTO, libusb's
 * TRANSFER_ERROR) before the device is gone: ep0 fails once more, then
 * answers ENODEV. No hotplug event comes, as without udevd. The host reports
 * "device gone", not a generic failure. */
static void
test_io_error_then_gone (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(CradleBridgeTransport) transport = NULL;
  g_autoptr(GBytes) frame = cradle_bridge_frame_encode (CRADLE_BRIDGE_HELLO, 0, 1, NULL);
  g_autoptr(GError) error = NULL;
  EmuDevice *dev = plug (fixture, 2, 2, CRADLE_TRIPLE, "EMU-0001");
  Receiver receiver = { 0 };
  GThread *thread;

  start_monitor (fixture);
  transport = dup_only_transport (fixture);
  thread = start_waiting_receive (&receiver, transport, dev);

  g_mutex_lock (&dev->lock);
  dev->control_errors = 1;
  dev->unplug_after_control_errors = TRUE;
  fail_in_urbs_locked (dev, -EPROTO);
  g_mutex_unlock (&dev->lock);

  run_until (receiver_done, &receiver);
  g_thread_join (thread);
  g_assert_error (receiver.error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE);
  g_test_message ("receive: %s", receiver.error->message);
  g_assert_true (cradle_bridge_usb_is_gone (CRADLE_BRIDGE_USB (transport)));
  g_mutex_lock (&dev->lock);
  g_assert_cmpuint (dev->control_urbs, ==, 2);
  g_mutex_unlock (&dev->lock);

  /* And everything after, without asking the device again. */
  g_assert_false (cradle_bridge_transport_send (transport, frame, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE);
  g_mutex_lock (&dev->lock);
  g_assert_cmpuint (dev->control_urbs, ==, 2);
  g_mutex_unlock (&dev->lock);
}

/* The same on bulk OUT: the frame being sent fails with -EPROTO and the
 * device leaves. */
static void
test_send_io_error_then_gone (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(CradleBridgeTransport) transport = NULL;
  g_autoptr(GBytes) frame = cradle_bridge_frame_encode (CRADLE_BRIDGE_HELLO, 0, 1, NULL);
  g_autoptr(GError) error = NULL;
  EmuDevice *dev = plug (fixture, 2, 2, CRADLE_TRIPLE, "EMU-0001");

  start_monitor (fixture);
  transport = dup_only_transport (fixture);

  g_mutex_lock (&dev->lock);
  dev->fail_out = 1;
  dev->control_errors = 3;
  dev->unplug_after_control_errors = TRUE;
  g_mutex_unlock (&dev->lock);

  g_assert_false (cradle_bridge_transport_send (transport, frame, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE);
  g_assert_true (cradle_bridge_usb_is_gone (CRADLE_BRIDGE_USB (transport)));
  g_mutex_lock (&dev->lock);
  g_assert_cmpuint (dev->control_urbs, ==, 4);
  g_mutex_unlock (&dev->lock);
}

/* ep0 keeps failing while the device is being unplugged; the hotplug event
 * that then comes ends the wait at once. */
static void
test_io_error_then_removed (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(CradleBridgeTransport) transport = NULL;
  EmuDevice *dev = plug (fixture, 2, 2, CRADLE_TRIPLE, "EMU-0001");
  Receiver receiver = { 0 };
  UnplugWait wait = { fixture, &receiver };
  GThread *thread;

  start_monitor (fixture);
  transport = dup_only_transport (fixture);
  thread = start_waiting_receive (&receiver, transport, dev);

  g_mutex_lock (&dev->lock);
  dev->control_errors = G_MAXUINT;
  fail_in_urbs_locked (dev, -EPROTO);
  g_mutex_unlock (&dev->lock);
  /* The host asks ep0 and hears an error: still no verdict. */
  wait_for_control_urbs (dev, 1);
  g_assert_false (g_atomic_int_get (&receiver.done));

  g_mutex_lock (&dev->lock);
  dev->unplugged = TRUE;
  g_mutex_unlock (&dev->lock);
  umockdev_testbed_uevent (fixture->testbed, dev->sysfs_path, "remove");

  run_until (unplug_seen, &wait);
  g_thread_join (thread);
  g_assert_error (receiver.error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE);
  g_assert_cmpstr (g_ptr_array_index (fixture->removed, 0), ==, "usb:1-2");
}

/* An IO error on a device that stays (ep0 answers): the error is reported
 * as it came, the device is not taken for gone, and the next frame works. */
static void
test_io_error_device_stays (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(CradleBridgeTransport) transport = NULL;
  g_autoptr(GBytes) frame = cradle_bridge_frame_encode (CRADLE_BRIDGE_HELLO, 0, 1, NULL);
  g_autoptr(GError) error = NULL;
  EmuDevice *dev = plug (fixture, 2, 2, CRADLE_TRIPLE, "EMU-0001");
  Receiver receiver = { 0 };
  GThread *thread;

  start_monitor (fixture);
  transport = dup_only_transport (fixture);
  thread = start_waiting_receive (&receiver, transport, dev);

  g_mutex_lock (&dev->lock);
  fail_in_urbs_locked (dev, -EPROTO);
  g_mutex_unlock (&dev->lock);
  run_until (receiver_done, &receiver);
  g_thread_join (thread);
  g_assert_error (receiver.error, CRADLE_ERROR, CRADLE_ERROR_FAILED);
  g_assert_nonnull (strstr (receiver.error->message, "LIBUSB_ERROR_IO"));
  g_clear_error (&receiver.error);
  g_assert_false (cradle_bridge_usb_is_gone (CRADLE_BRIDGE_USB (transport)));
  g_mutex_lock (&dev->lock);
  g_assert_cmpuint (dev->control_urbs, ==, 1);
  g_mutex_unlock (&dev->lock);

  /* On bulk OUT too. */
  g_mutex_lock (&dev->lock);
  dev->fail_out = 1;
  g_mutex_unlock (&dev->lock);
  g_assert_false (cradle_bridge_transport_send (transport, frame, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "LIBUSB_ERROR_IO"));
  g_assert_false (cradle_bridge_usb_is_gone (CRADLE_BRIDGE_USB (transport)));

  round_trip (transport, dev, 100, 2);
}

/* A device that neither answers on ep0 nor leaves: after the bounded wait
 * the error is reported as it came. */
static void
test_io_error_silent_device (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(CradleBridgeTransport) transport = NULL;
  EmuDevice *dev = plug (fixture, 2, 2, CRADLE_TRIPLE, "EMU-0001");
  Receiver receiver = { 0 };
  GThread *thread;

  start_monitor (fixture);
  transport = dup_only_transport (fixture);
  thread = start_waiting_receive (&receiver, transport, dev);

  g_mutex_lock (&dev->lock);
  dev->control_errors = G_MAXUINT;
  fail_in_urbs_locked (dev, -EPROTO);
  g_mutex_unlock (&dev->lock);
  run_until (receiver_done, &receiver);
  g_thread_join (thread);
  g_assert_error (receiver.error, CRADLE_ERROR, CRADLE_ERROR_FAILED);
  g_assert_nonnull (strstr (receiver.error->message, "LIBUSB_ERROR_IO"));
  g_assert_false (cradle_bridge_usb_is_gone (CRADLE_BRIDGE_USB (transport)));
  g_mutex_lock (&dev->lock);
  g_assert_cmpuint (dev->control_urbs, >=, 2);
  g_mutex_unlock (&dev->lock);
}

static void
test_cancel_and_close (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(CradleBridgeTransport) transport = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  EmuDevice *dev = plug (fixture, 2, 2, CRADLE_TRIPLE, "EMU-0001");
  Receiver cancelled = { .timeout_ms = 10000, .cancellable = cancellable };
  Receiver closed = { .timeout_ms = 10000 };
  GThread *thread;

  start_monitor (fixture);
  transport = dup_only_transport (fixture);

  /* Cancelling the GCancellable cancels the transfer. */
  cancelled.transport = transport;
  thread = g_thread_new ("receiver", receiver_thread, &cancelled);
  wait_for_in_urb (dev);
  g_cancellable_cancel (cancellable);
  run_until (receiver_done, &cancelled);
  g_thread_join (thread);
  g_assert_error (cancelled.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (cancelled.elapsed_us, <, 5 * G_TIME_SPAN_SECOND);
  g_clear_error (&cancelled.error);

  /* close() fails a receive in flight... */
  closed.transport = transport;
  thread = g_thread_new ("receiver", receiver_thread, &closed);
  wait_for_in_urb (dev);
  cradle_bridge_transport_close (transport);
  run_until (receiver_done, &closed);
  g_thread_join (thread);
  g_assert_error (closed.error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE);
  g_clear_error (&closed.error);

  /* ...and the next call opens a new session, which starts with
   * SET_INTERFACE: the device ends whatever session it still had. */
  g_mutex_lock (&dev->lock);
  g_assert_cmpuint (dev->set_interfaces, ==, 1);
  g_mutex_unlock (&dev->lock);
  round_trip (transport, dev, 20, 3);
  g_mutex_lock (&dev->lock);
  g_assert_cmpuint (dev->set_interfaces, ==, 2);
  g_mutex_unlock (&dev->lock);
}

static void
test_outlive_monitor (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(CradleBridgeTransport) transport = NULL;
  EmuDevice *dev = plug (fixture, 2, 2, CRADLE_TRIPLE, "EMU-0001");

  start_monitor (fixture);
  transport = dup_only_transport (fixture);
  g_assert_finalize_object (g_steal_pointer (&fixture->monitor));

  /* The transport keeps libusb and its event thread. */
  round_trip (transport, dev, 300, 1);
  g_assert_finalize_object (g_steal_pointer (&transport));
}

/* How the monitor follows plugging: the setting first, then whether libusb
 * can report it, then whether udevd runs (its control socket). */
static void
test_choose_watch (void)
{
  g_autofree char *folder = g_dir_make_tmp ("cradle-usb-watch-XXXXXX", NULL);
  g_autofree char *control = g_build_filename (folder, "control", NULL);
  const char *why = NULL;

  g_assert_nonnull (folder);
  /* No udevd: libusb says it has hotplug support, but no event comes. */
  g_assert_cmpint (cradle_bridge_usb_monitor_choose_watch (NULL, TRUE, control, &why), ==,
                   CRADLE_BRIDGE_USB_WATCH_POLL);
  g_assert_nonnull (strstr (why, "/run/udev/control"));
  g_assert_cmpint (cradle_bridge_usb_monitor_choose_watch ("auto", TRUE, control, NULL), ==,
                   CRADLE_BRIDGE_USB_WATCH_POLL);
  g_assert_cmpint (cradle_bridge_usb_monitor_choose_watch ("events", TRUE, control, &why), ==,
                   CRADLE_BRIDGE_USB_WATCH_EVENTS);
  g_assert_cmpstr (why, ==, "CRADLE_USB_HOTPLUG=events");

  /* udevd runs. */
  g_assert_true (g_file_set_contents (control, "", 0, NULL));
  g_assert_cmpint (cradle_bridge_usb_monitor_choose_watch (NULL, TRUE, control, NULL), ==,
                   CRADLE_BRIDGE_USB_WATCH_EVENTS);
  g_assert_cmpint (cradle_bridge_usb_monitor_choose_watch ("something", TRUE, control, NULL), ==,
                   CRADLE_BRIDGE_USB_WATCH_EVENTS);
  g_assert_cmpint (cradle_bridge_usb_monitor_choose_watch ("poll", TRUE, control, &why), ==,
                   CRADLE_BRIDGE_USB_WATCH_POLL);
  g_assert_cmpstr (why, ==, "CRADLE_USB_HOTPLUG=poll");

  /* libusb without hotplug support: polling, whatever is asked. */
  g_assert_cmpint (cradle_bridge_usb_monitor_choose_watch (NULL, FALSE, control, NULL), ==,
                   CRADLE_BRIDGE_USB_WATCH_POLL);
  g_assert_cmpint (cradle_bridge_usb_monitor_choose_watch ("events", FALSE, control, &why), ==,
                   CRADLE_BRIDGE_USB_WATCH_POLL);
  g_assert_cmpstr (why, ==, "libusb has no hotplug support here");

  g_assert_cmpint (g_unlink (control), ==, 0);
  g_assert_cmpint (g_rmdir (folder), ==, 0);
}

/* Times the monitor listed USB devices through a new libusb context. */
static int fresh_listings;

static GLogWriterOutput
count_listings_writer (GLogLevelFlags   level,
                       const GLogField *fields,
                       gsize            n_fields,
                       gpointer         data)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_strcmp0 (fields[i].key, "MESSAGE") == 0 && fields[i].length < 0 &&
        g_str_has_prefix (fields[i].value, "USB devices changed in sysfs"))
      g_atomic_int_inc (&fresh_listings);
  return g_log_writer_default (level, fields, n_fields, data);
}

static gboolean
removed_one (gpointer data)
{
  return ((Fixture *) data)->removed->len >= 1;
}

/* Without hotplug events (as without udevd: umockdev's uevents are not
 * followed here) the monitor polls: a device plugged in later is announced
 * and works, one unplugged is announced as gone and its transport fails. */
static void
test_polling (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(CradleBridgeTransport) first = NULL;
  g_autoptr(GPtrArray) transports = NULL;
  g_autoptr(GBytes) frame = cradle_bridge_frame_encode (CRADLE_BRIDGE_HELLO, 0, 1, NULL);
  g_autoptr(GError) error = NULL;
  CradleBridgeTransport *second;
  EmuDevice *dev;
  int listings;

  if (g_strcmp0 (g_getenv ("CRADLE_USB_HOTPLUG"), "poll") != 0)
    {
      g_test_skip ("run by test-bridge-usb-polling, under CRADLE_USB_HOTPLUG=poll");
      return;
    }
  plug (fixture, 2, 2, CRADLE_TRIPLE, "EMU-0001");
  start_monitor (fixture);
  first = dup_only_transport (fixture);

  /* Listed through a libusb context of its own: the first one's list
   * follows only hotplug events, which do not come without udevd. */
  listings = g_atomic_int_get (&fresh_listings);
  dev = plug (fixture, 4, 4, CRADLE_TRIPLE, "EMU-0002");
  run_until (added_one, fixture);
  g_assert_cmpint (g_atomic_int_get (&fresh_listings), >, listings);
  g_assert_cmpuint (fixture->added->len, ==, 1);
  second = g_ptr_array_index (fixture->added, 0);
  g_assert_cmpstr (cradle_bridge_transport_get_id (second), ==, "usb:1-4");
  round_trip (second, dev, 100, 1);

  umockdev_testbed_remove_device (fixture->testbed, SYSFS_PARENT "/1-2");
  run_until (removed_one, fixture);
  g_assert_cmpuint (fixture->removed->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (fixture->removed, 0), ==, "usb:1-2");
  g_assert_true (cradle_bridge_usb_is_gone (CRADLE_BRIDGE_USB (first)));
  g_assert_false (cradle_bridge_transport_send (first, frame, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE);

  /* The device still there is listed once, and still works. */
  transports = cradle_bridge_usb_monitor_dup_transports (fixture->monitor);
  g_assert_cmpuint (transports->len, ==, 1);
  g_assert_true (g_ptr_array_index (transports, 0) == (gpointer) second);
  g_assert_cmpuint (fixture->added->len, ==, 1);
  round_trip (second, dev, 600, 2);
  cradle_bridge_transport_close (second);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* umockdev sends the uevents udevd would: follow them, whether or not
   * this machine runs udevd (test-bridge-usb-polling asks for polling). */
  if (g_getenv ("CRADLE_USB_HOTPLUG") == NULL)
    g_setenv ("CRADLE_USB_HOTPLUG", "events", TRUE);
  g_log_set_writer_func (count_listings_writer, NULL, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/bridge-usb/enumerate", test_enumerate);
  ADD ("/bridge-usb/round-trips", test_round_trips);
  ADD ("/bridge-usb/hotplug-arrival", test_hotplug_arrival);
  ADD ("/bridge-usb/unplug-during-receive", test_unplug_during_receive);
  ADD ("/bridge-usb/receive-timeout", test_receive_timeout);
  ADD ("/bridge-usb/submit-no-device", test_submit_no_device);
  ADD ("/bridge-usb/stall", test_stall);
  ADD ("/bridge-usb/cancel-and-close", test_cancel_and_close);
  ADD ("/bridge-usb/outlive-monitor", test_outlive_monitor);
  ADD ("/bridge-usb/io-error-then-gone", test_io_error_then_gone);
  ADD ("/bridge-usb/send-io-error-then-gone", test_send_io_error_then_gone);
  ADD ("/bridge-usb/io-error-then-removed", test_io_error_then_removed);
  ADD ("/bridge-usb/io-error-device-stays", test_io_error_device_stays);
  ADD ("/bridge-usb/io-error-silent-device", test_io_error_silent_device);
  ADD ("/bridge-usb/polling", test_polling);
  g_test_add_func ("/bridge-usb/choose-watch", test_choose_watch);
#undef ADD

  return g_test_run ();
}
