/* test-files.c: file helpers every test suite shares */
#include "config.h"

#include <sys/stat.h>
#include <glib/gstdio.h>

#include "test-files.h"

void
test_remove_tree (const char *path)
{
  struct stat st;

  if (lstat (path, &st) != 0)
    return;
  if (S_ISDIR (st.st_mode))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      /* A test may have made it read-only to provoke a failure. */
      g_chmod (path, 0700);
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          test_remove_tree (child);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

char *
test_make_memory_folder (const char *template)
{
  g_autofree char *in_memory = g_build_filename ("/dev/shm", template, NULL);

  if (g_mkdtemp (in_memory) != NULL)
    return g_steal_pointer (&in_memory);
  return g_dir_make_tmp (template, NULL);
}

void
test_folders_set_up (TestFolders   *folders,
                     gconstpointer  data)
{
  folders->home = g_dir_make_tmp ("cradle-test-XXXXXX", NULL);
  g_assert_nonnull (folders->home);
  folders->user = g_build_filename (folders->home, "user", NULL);
  folders->system = g_build_filename (folders->home, "system", NULL);
  g_setenv ("CRADLE_CONFIG_DIR", folders->user, TRUE);
  g_setenv ("CRADLE_SYSTEM_CONFIG_DIR", folders->system, TRUE);
  g_unsetenv ("CRADLE_DOMAIN");
  g_unsetenv ("CRADLE_DC");
}

void
test_folders_tear_down (TestFolders   *folders,
                        gconstpointer  data)
{
  test_remove_tree (folders->home);
  g_clear_pointer (&folders->home, g_free);
  g_clear_pointer (&folders->user, g_free);
  g_clear_pointer (&folders->system, g_free);
}
