/* test-files.h: file helpers every test suite shares */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Removes @path and everything under it, read-only folders included;
 * symbolic links are removed, never followed. */
void  test_remove_tree       (const char *path);
/* A new private folder named from @template (XXXXXX at its end), in
 * /dev/shm when it can be (the agent syncs each file it writes), else in
 * the temporary folder; %NULL when neither works. */
char *test_make_memory_folder (const char *template);

/* A test's own configuration folders, under a new temporary HOME:
 * HOME/user as CRADLE_CONFIG_DIR and HOME/system as
 * CRADLE_SYSTEM_CONFIG_DIR (neither made yet), with CRADLE_DOMAIN and
 * CRADLE_DC unset; a fixture for g_test_add(). */
typedef struct {
  char *home;
  char *user;
  char *system;
} TestFolders;

void  test_folders_set_up    (TestFolders   *folders,
                              gconstpointer  data);
void  test_folders_tear_down (TestFolders   *folders,
                              gconstpointer  data);

G_END_DECLS
