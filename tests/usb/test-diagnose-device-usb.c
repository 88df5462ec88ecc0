/* test-diagnose-device-usb.c: the device hop of a diagnosis finds a USB
 * device, under umockdev
 *
 * A device with the Cradle interface on the bus (and a mass-storage stick
 * beside it) is the one the connection check names, as a USB device with
 * its id; the emulated device answers nothing, so the greeting fails and
 * the rest of the hop is skipped, saying why, with the DEVICE fact's
 * waiters told.  (Simulated devices: tests/bridge/test-diagnose-device.c.)
 * Its own program: libusb's one context is made under this testbed.
 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <umockdev.h>

#include <cradle/cradle.h>

/* A high-speed device with one interface of @class/@subclass/@protocol and
 * a bulk endpoint pair, as a FunctionFS gadget presents it. */
static void
plug (UMockdevTestbed *testbed,
      guint            port,
      guint8           class,
      guint8           subclass,
      guint8           protocol)
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
                     "A: serial=DIAG-USB-%u\\n\n"
                     "H: descriptors=%s\n",
                     port, port, port, port, port, port, descriptors);
  g_autoptr(GError) error = NULL;

  g_assert_true (umockdev_testbed_add_from_string (testbed, record, &error));
  g_assert_no_error (error);
}

static CradleCheck *
device_check (CradleDiagnosis *diagnosis,
              const char      *name)
{
  GPtrArray *checks = cradle_diagnosis_get_checks (diagnosis);

  for (guint i = 0; i < checks->len; i++)
    {
      CradleCheck *check = checks->pdata[i];

      if (cradle_check_get_hop (check) == CRADLE_HOP_DEVICE && g_strcmp0 (cradle_check_get_name (check), name) == 0)
        {
          g_test_message ("device/%s: %s: %s%s%s", name,
                          cradle_check_verdict_to_string (cradle_check_get_verdict (check)),
                          cradle_check_get_found (check), cradle_check_get_error (check) != NULL ? " -- " : "",
                          cradle_check_get_error (check) != NULL ? cradle_check_get_error (check)->message : "");
          return check;
        }
    }
  g_assert_not_reached ();
  return NULL;
}

static void
test_usb_device (void)
{
  g_autoptr(UMockdevTestbed) testbed = umockdev_testbed_new ();
  g_autoptr(CradleDiagnosis) diagnosis = cradle_diagnosis_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *runtime = g_dir_make_tmp ("cradle-diagnose-usb-XXXXXX", &error);
  const char *found;

  g_assert_no_error (error);
  /* No simulated device: only the bus. */
  g_setenv ("CRADLE_RUNTIME_DIR", runtime, TRUE);
  plug (testbed, 3, 0x08, 0x06, 0x50);
  plug (testbed, 4, 0xFF, 0x43, 0x01);

  /* The other hops meet a closed loopback port; only the device's are checked. */
  cradle_diagnosis_set_directory (diagnosis, "corp.example.test", "ldap://127.0.0.1:1");
  cradle_diagnosis_set_timeout (diagnosis, 1000);
  g_assert_true (cradle_diagnosis_run (diagnosis, NULL, &error));
  g_assert_no_error (error);

  g_assert_cmpint (cradle_check_get_verdict (device_check (diagnosis, "transport")), ==, CRADLE_CHECK_OK);
  found = cradle_check_get_found (device_check (diagnosis, "transport"));
  g_assert_nonnull (strstr (found, "usb:1-4"));
  g_assert_nonnull (strstr (found, "over USB"));
  g_assert_null (strstr (found, "1-3"));
  /* The emulated device has nobody behind its endpoints. */
  g_assert_cmpint (cradle_check_get_verdict (device_check (diagnosis, "hello")), ==, CRADLE_CHECK_FAILED);
  g_assert_nonnull (cradle_check_get_error (device_check (diagnosis, "hello")));
  g_assert_cmpint (cradle_check_get_verdict (device_check (diagnosis, "pairing")), ==, CRADLE_CHECK_SKIPPED);
  g_assert_cmpint (cradle_check_get_verdict (device_check (diagnosis, "stores")), ==, CRADLE_CHECK_SKIPPED);
  g_rmdir (runtime);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* libusb's event thread warns that the emulated device file cannot be
   * polled; that is umockdev's, not the diagnosis's. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  g_test_add_func ("/diagnose-device/usb", test_usb_device);
  return g_test_run ();
}
