/* test-files.h: file helpers every test suite shares */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Removes @path and everything under it, read-only folders included;
 * symbolic links are removed, never followed. */
void test_remove_tree (const char *path);

G_END_DECLS
