/* test-agent-hardware.c: the manufacturer and model an agent over USB
 * reports, read from DMI or the device tree under a folder laid out as the
 * device's / would be
 */
#include "config.h"

#include <glib/gstdio.h>
#include <cradle/cradle.h>

#include "agent/cradle-agent-hardware-private.h"

typedef struct {
  char *root;
} Fixture;

static void
put (Fixture    *fixture,
     const char *relative,
     const char *contents,
     gssize      length)
{
  g_autofree char *path = g_build_filename (fixture->root, relative, NULL);
  g_autofree char *folder = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, contents, length, &error));
  g_assert_no_error (error);
}

static void
describe (Fixture  *fixture,
          char    **manufacturer,
          char    **model)
{
  cradle_agent_hardware_describe (fixture->root, manufacturer, model);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->root = g_dir_make_tmp ("cradle-agent-hardware-XXXXXX", &error);
  g_assert_no_error (error);
}

static gboolean
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    return g_unlink (path) == 0;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (!remove_tree (child))
        return FALSE;
    }
  return g_rmdir (path) == 0;
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_assert_true (remove_tree (fixture->root));
  g_free (fixture->root);
}

/* A PC: DMI names both, as sysfs shows them (a line each). */
static void
test_dmi (Fixture       *fixture,
          gconstpointer  data)
{
  g_autofree char *manufacturer = NULL;
  g_autofree char *model = NULL;

  put (fixture, "sys/class/dmi/id/sys_vendor", "QEMU\n", -1);
  put (fixture, "sys/class/dmi/id/product_name", "Standard PC (i440FX + PIIX, 1996)\n", -1);
  /* DMI comes first where both are there. */
  put (fixture, "proc/device-tree/model", "Some Board\0", 11);
  describe (fixture, &manufacturer, &model);
  g_assert_cmpstr (manufacturer, ==, "QEMU");
  g_assert_cmpstr (model, ==, "Standard PC (i440FX + PIIX, 1996)");
}

/* An ARM board: no DMI; the device tree's strings end with NUL. */
static void
test_device_tree (Fixture       *fixture,
                  gconstpointer  data)
{
  static const char compatible[] = "raspberrypi,4-model-b\0brcm,bcm2711\0";
  g_autofree char *manufacturer = NULL;
  g_autofree char *model = NULL;

  put (fixture, "proc/device-tree/model", "Raspberry Pi 4 Model B Rev 1.4\0", 31);
  put (fixture, "proc/device-tree/compatible", compatible, sizeof compatible - 1);
  describe (fixture, &manufacturer, &model);
  g_assert_cmpstr (manufacturer, ==, "raspberrypi");
  g_assert_cmpstr (model, ==, "Raspberry Pi 4 Model B Rev 1.4");
}

/* Firmware placeholders name nothing: the device tree, else nothing. */
static void
test_placeholders (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *manufacturer = NULL;
  g_autofree char *model = NULL;

  put (fixture, "sys/class/dmi/id/sys_vendor", "To Be Filled By O.E.M.\n", -1);
  put (fixture, "sys/class/dmi/id/product_name", "  \n", -1);
  put (fixture, "proc/device-tree/model", "Board X\0", 8);
  describe (fixture, &manufacturer, &model);
  g_assert_null (manufacturer);
  g_assert_cmpstr (model, ==, "Board X");
}

static void
test_nothing (Fixture       *fixture,
              gconstpointer  data)
{
  g_autofree char *manufacturer = NULL;
  g_autofree char *model = NULL;

  describe (fixture, &manufacturer, &model);
  g_assert_null (manufacturer);
  g_assert_null (model);
}

/* Firmware text is outside text: controls escaped, one line, bounded. */
static void
test_hostile (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GString) long_name = g_string_new (NULL);
  g_autofree char *manufacturer = NULL;
  g_autofree char *model = NULL;

  for (guint i = 0; i < 1000; i++)
    g_string_append_c (long_name, 'A' + (char) (i % 26));
  put (fixture, "sys/class/dmi/id/sys_vendor", "Evil\033[2J\r\xff Corp\nsecond line\n", -1);
  put (fixture, "sys/class/dmi/id/product_name", long_name->str, -1);
  describe (fixture, &manufacturer, &model);

  g_assert_nonnull (manufacturer);
  g_assert_true (g_utf8_validate (manufacturer, -1, NULL));
  g_assert_null (strchr (manufacturer, '\033'));
  g_assert_null (strchr (manufacturer, '\r'));
  g_assert_null (strstr (manufacturer, "second line"));
  g_assert_true (g_str_has_prefix (manufacturer, "Evil"));
  g_assert_nonnull (model);
  g_assert_cmpuint (g_utf8_strlen (model, -1), ==, CRADLE_AGENT_HARDWARE_MAX_CHARS);
  g_assert_true (g_str_has_prefix (model, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/agent/hardware/dmi", test_dmi);
  ADD ("/agent/hardware/device-tree", test_device_tree);
  ADD ("/agent/hardware/placeholders", test_placeholders);
  ADD ("/agent/hardware/nothing", test_nothing);
  ADD ("/agent/hardware/hostile", test_hostile);
#undef ADD

  return g_test_run ();
}
