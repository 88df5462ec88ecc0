/* test-device-monitor-usb.c: CradleDeviceMonitor following USB devices, under umockdev
 *
 * A device with the Cradle interface plugged in after the monitor was made
 * is announced as a CradleDevice with its USB id, and its unplugging with
 * that id; a device without the interface is not announced.  (Simulated
 * devices are tested in tests/bridge/test-device-monitor.c.)  Run twice:
 * following umockdev's uevents, and polling (test-device-monitor-usb-polling,
 * CRADLE_USB_HOTPLUG=poll, as without udevd).  Its own program: the monitor
 * uses the process's one libusb context, made here under this program's
 * testbed.
 */
#include "config.h"

#include <umockdev.h>

#include <cradle/cradle.h>

#define SYSFS_PARENT "/sys/devices/pci0000:00/0000:00:14.0/usb1"

typedef struct {
  UMockdevTestbed *testbed;
  GPtrArray       *added;     /* of CradleDevice */
  GPtrArray       *removed;   /* of char * */
} Fixture;

/* A high-speed device with one interface of @class/@subclass/@protocol and
 * a bulk endpoint pair, as a FunctionFS gadget presents it. */
static void
plug (Fixture    *f,
      guint       port,
      guint8      class,
      guint8      subclass,
      guint8      protocol)
{
  g_autofree char *descriptors =
    g_strdup_printf ("120100020000004009120100000101020301"
                     "09022000010100803209040000"
                     "02%02x%02x%02x00"
                     "0705810200020007050102000200",
                     class, subclass, protocol);
  g_autofree char *record =
    g_strdup_printf ("P: /devices/pci0000:00/0000:00:14.0/usb1/1-%u\n"
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
                     "A: idVendor=1209\\n\n"
                     "A: idProduct=0001\\n\n"
                     "A: manufacturer=Cradle\\n\n"
                     "A: product=Cradle agent\\n\n"
                     "A: serial=MON-USB-%u\\n\n"
                     "H: descriptors=%s\n",
                     port, port, port, port, port, port, descriptors);
  g_autoptr(GError) error = NULL;

  g_assert_true (umockdev_testbed_add_from_string (f->testbed, record, &error));
  g_assert_no_error (error);
}

static void
on_added (CradleDeviceMonitor *monitor,
          CradleDevice        *device,
          Fixture             *f)
{
  g_ptr_array_add (f->added, g_object_ref (device));
}

static void
on_removed (CradleDeviceMonitor *monitor,
            const char          *id,
            Fixture             *f)
{
  g_ptr_array_add (f->removed, g_strdup (id));
}

/* Runs the main context until @count things arrived in @array, at most 5 s. */
static void
run_until (GPtrArray *array,
           guint      count)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (array->len < count && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE) || (g_usleep (5000), TRUE);
}

static void
test_plug_and_unplug (void)
{
  Fixture f = { 0 };
  g_autoptr(CradleDeviceMonitor) monitor = NULL;
  g_autofree char *path = g_strdup (SYSFS_PARENT "/1-4");

  f.testbed = umockdev_testbed_new ();
  f.added = g_ptr_array_new_with_free_func (g_object_unref);
  f.removed = g_ptr_array_new_with_free_func (g_free);

  monitor = cradle_device_monitor_new ();
  g_signal_connect (monitor, "device-added", G_CALLBACK (on_added), &f);
  g_signal_connect (monitor, "device-removed", G_CALLBACK (on_removed), &f);

  /* A mass-storage stick is not announced; the Cradle device is. */
  plug (&f, 3, 0x08, 0x06, 0x50);
  plug (&f, 4, 0xFF, 0x43, 0x01);
  run_until (f.added, 1);
  g_assert_cmpuint (f.added->len, ==, 1);
  g_assert_cmpstr (cradle_device_get_id (g_ptr_array_index (f.added, 0)), ==, "usb:1-4");
  g_assert_cmpstr (cradle_device_get_transport (g_ptr_array_index (f.added, 0)), ==, "usb");

  /* What udevd reports, and what polling sees. */
  umockdev_testbed_uevent (f.testbed, path, "remove");
  umockdev_testbed_remove_device (f.testbed, path);
  run_until (f.removed, 1);
  g_assert_cmpuint (f.removed->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f.removed, 0), ==, "usb:1-4");
  g_assert_cmpuint (f.added->len, ==, 1);

  g_clear_object (&monitor);
  g_ptr_array_unref (f.added);
  g_ptr_array_unref (f.removed);
  g_clear_object (&f.testbed);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* umockdev sends the uevents udevd would: follow them, whether or not
   * this machine runs udevd (test-device-monitor-usb-polling polls). */
  if (g_getenv ("CRADLE_USB_HOTPLUG") == NULL)
    g_setenv ("CRADLE_USB_HOTPLUG", "events", TRUE);
  g_test_add_func ("/device-monitor/usb/plug-and-unplug", test_plug_and_unplug);
  return g_test_run ();
}
