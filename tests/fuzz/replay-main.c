/* replay-main.c: runs a harness over its committed corpus without libFuzzer,
 * so every build (gcc, valgrind, ASan) replays the corpus as a regression test. */
#include "config.h"

#include <glib.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
main (int    argc,
      char **argv)
{
  guint count = 0;

  if (argc != 2)
    {
      g_printerr ("usage: %s CORPUS-FOLDER\n", argv[0]);
      return 2;
    }
  {
    g_autoptr(GDir) dir = g_dir_open (argv[1], 0, NULL);
    const char *name;

    g_print ("1..1\n");
    while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *path = g_build_filename (argv[1], name, NULL);
        g_autofree char *contents = NULL;
        gsize size = 0;

        if (!g_file_get_contents (path, &contents, &size, NULL))
          continue;
        /* An exact-size copy: a read past the end is caught by the sanitizers. */
        {
          g_autofree guint8 *exact = g_memdup2 (contents, size);

          LLVMFuzzerTestOneInput (exact, size);
        }
        count++;
      }
  }
  g_print ("%s 1 replayed %u corpus inputs from %s\n", count > 0 ? "ok" : "not ok", count, argv[1]);
  return count > 0 ? 0 : 1;
}
