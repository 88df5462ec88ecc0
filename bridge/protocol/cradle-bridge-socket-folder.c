/* cradle-bridge-socket-folder.c: where simulated devices listen
 *
 * Each simulated device listens at $XDG_RUNTIME_DIR/cradle/devices/<serial>.sock.
 * Apart from the transport (cradle-bridge-socket.c, built on GSocket) so that
 * the agent, which links no GIO, finds the folder the host looks in.
 */
#include "config.h"

#include <cradle/cradle.h>

#include "protocol/cradle-bridge-socket-private.h"

/* The device id of a socket path: socket:<file name without .sock>. */
char *
cradle_bridge_socket_id_for_path (const char *path)
{
  g_autofree char *base = g_path_get_basename (path);

  if (g_str_has_suffix (base, ".sock"))
    base[strlen (base) - strlen (".sock")] = '\0';
  return g_strdup_printf ("socket:%s", base);
}

char *
cradle_bridge_socket_dup_devices_dir (void)
{
  g_autofree char *runtime = cradle_paths_dup_runtime_dir ();

  return g_build_filename (runtime, "devices", NULL);
}

static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* Returns: (element-type utf8): the socket of every simulated device, sorted */
GPtrArray *
cradle_bridge_socket_list_paths (void)
{
  g_autofree char *folder = cradle_bridge_socket_dup_devices_dir ();
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      if (g_str_has_suffix (name, ".sock"))
        g_ptr_array_add (paths, g_build_filename (folder, name, NULL));
    }
  g_ptr_array_sort (paths, compare_paths);
  return paths;
}
