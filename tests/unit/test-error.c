/* test-error.c: the CRADLE_ERROR domain's names are stable and distinct */
#include "config.h"

#include <cradle/cradle.h>

static void
test_error_quark (void)
{
  g_assert_cmpstr (g_quark_to_string (CRADLE_ERROR), ==, "cradle-error-quark");
}

static void
test_error_names_distinct (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  for (int code = CRADLE_ERROR_FAILED; code <= CRADLE_ERROR_NOT_PAIRED; code++)
    {
      const char *name = cradle_error_to_string (code);

      g_assert_cmpstr (name, !=, "unknown");
      g_assert_false (g_hash_table_contains (seen, name));
      g_hash_table_add (seen, (gpointer) name);
    }
  g_assert_cmpstr (cradle_error_to_string (CRADLE_ERROR_NOT_PAIRED + 1), ==, "unknown");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/error/quark", test_error_quark);
  g_test_add_func ("/error/names-distinct", test_error_names_distinct);

  return g_test_run ();
}
