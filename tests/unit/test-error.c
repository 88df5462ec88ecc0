/* test-error.c: the CRADLE_ERROR domain's names are stable and distinct */
#include "config.h"

#include <gio/gio.h>
#include <cradle/cradle.h>

#include "base/cradle-error-private.h"

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

/* The agent, which links no GIO, names GIO's domain by its registered
 * name: a cancellation it reports must match G_IO_ERROR on the host. */
static void
test_error_gio_domain (void)
{
  g_autoptr(GError) cancelled = g_error_new_literal (CRADLE_GIO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");

  g_assert_true (g_error_matches (cancelled, G_IO_ERROR, G_IO_ERROR_CANCELLED));
  g_assert_cmpuint (CRADLE_GIO_ERROR, ==, G_IO_ERROR);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/error/quark", test_error_quark);
  g_test_add_func ("/error/names-distinct", test_error_names_distinct);
  g_test_add_func ("/error/gio-domain", test_error_gio_domain);

  return g_test_run ();
}
