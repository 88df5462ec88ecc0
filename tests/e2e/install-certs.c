/* install-certs.c: puts certificates on the simulated device, as an enrollment would
 *
 *   install-certs STORE:FILE.der...   (STORE is MY, CA or Root)
 *
 * Opens the one device in CRADLE_RUNTIME_DIR (pairing first, as cradlectl
 * does: run the agent with --confirm=approve) and installs every file in
 * one INSTALL.  MY certificates go without a key: the device holds them as
 * it would hold certificates another program put there.  For
 * test-status-e2e and tests/bench/bench-status, which need a device holding
 * certificates the lab CA issued outside an enrollment (100 of them, or an
 * expired one).
 */
#include "config.h"

#include <cradle/cradle.h>

int
main (int    argc,
      char **argv)
{
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  CradleDevice *device;
  guint added = 0;

  if (argc < 2)
    {
      g_printerr ("usage: install-certs STORE:FILE.der...\n");
      return 2;
    }
  for (int i = 1; i < argc; i++)
    {
      const char *colon = strchr (argv[i], ':');
      g_autofree char *store = colon != NULL ? g_strndup (argv[i], colon - argv[i]) : NULL;
      g_autofree char *data = NULL;
      g_autoptr(GBytes) der = NULL;
      gsize size = 0;

      if (store == NULL || !g_file_get_contents (colon + 1, &data, &size, &error))
        {
          g_printerr ("install-certs: %s: %s\n", argv[i], error != NULL ? error->message : "not STORE:FILE");
          return 2;
        }
      der = g_bytes_new_take (g_steal_pointer (&data), size);
      g_ptr_array_add (batch, cradle_device_cert_new (store, "user", der, NULL));
    }
  devices = cradle_device_enumerate (NULL, &error);
  if (devices == NULL || devices->len != 1)
    {
      g_printerr ("install-certs: want one simulated device: %s\n", error != NULL ? error->message : "found another count");
      return 1;
    }
  device = g_ptr_array_index (devices, 0);
  if (!cradle_device_open (device, NULL, &error) ||
      (!cradle_device_is_paired (device) && !cradle_device_pair (device, NULL, &error)) ||
      !cradle_device_install (device, batch, &added, NULL, &error))
    {
      g_printerr ("install-certs: %s\n", error->message);
      return 1;
    }
  g_print ("installed %u of %u\n", added, batch->len);
  return 0;
}
