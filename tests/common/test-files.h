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

G_END_DECLS
