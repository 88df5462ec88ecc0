/* fuzz-catalog-cache.c: libFuzzer harness for the kept-catalog file
 * (core/catalog/cradle-catalog-cache.c, cradle_catalog_load_cached: the
 * file's GVariant, each directory entry in it through
 * cradle_ldap_entry_new_from_variant, then the whole catalog built from
 * them as from a fresh read: templates, services, certificates, verdicts)
 *
 * Outside bytes: the file <state>/catalogs/<digest>.catalog, kept between
 * runs; it is the user's own, but a damaged disk, a full one, another
 * version of Cradle or another program may have left anything there, and
 * it is read at every start. The input is written as the file of an
 * offline directory session (no network) and loaded with no age limit: it
 * loads or is refused with an error, and what loads is kept again and
 * loads again alike.
 *
 * Seeds: the lab's catalog for bob, read from the lab Samba by
 * cradle_catalog_load and kept by cradle_catalog_save_cache for this
 * harness's session; and that file damaged (cut short, of another version,
 * another account's, not in normal form). */
#include "config.h"

#include <glib/gstdio.h>
#include <cradle/cradle.h>

#include "catalog/cradle-catalog-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

#define URI  "ldap://fuzz.invalid"
#define USER "fuzz"

static char *state;
static char *path;
static CradleDirectory *directory;

/* In memory when it can be: the file is written with a sync. */
static char *
make_folder (const char *template)
{
  g_autofree char *in_memory = g_build_filename ("/dev/shm", template, NULL);

  if (g_mkdtemp (in_memory) != NULL)
    return g_steal_pointer (&in_memory);
  return g_dir_make_tmp (template, NULL);
}

static void
clean_up (void)
{
  g_autofree char *catalogs = g_path_get_dirname (path);

  g_clear_object (&directory);
  g_unlink (path);
  g_rmdir (catalogs);
  g_rmdir (state);
}

static void
set_up (void)
{
  g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, URI "\n" USER, -1);
  g_autofree char *name = g_strconcat (digest, ".catalog", NULL);
  g_autofree char *catalogs = NULL;

  /* A GLib critical is a bug, here as in the product. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  state = make_folder ("cradle-fuzz-catalog-XXXXXX");
  g_assert (state != NULL);
  g_setenv ("CRADLE_STATE_DIR", state, TRUE);
  catalogs = g_build_filename (state, "catalogs", NULL);
  g_assert_cmpint (g_mkdir (catalogs, 0700), ==, 0);
  path = g_build_filename (catalogs, name, NULL);
  /* A session that is never opened: its account names the file. */
  directory = cradle_directory_new (URI);
  cradle_directory_set_password (directory, USER, NULL);
  atexit (clean_up);
}

static guint
count (GPtrArray *array)
{
  return array != NULL ? array->len : 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(CradleCatalog) catalog = NULL;
  g_autoptr(CradleCatalog) again = NULL;
  g_autoptr(GError) error = NULL;

  if (directory == NULL)
    set_up ();
  /* Removed first: GLib does not empty a file for an empty input. */
  g_unlink (path);
  g_assert (g_file_set_contents_full (path, (const char *) data, (gssize) size,
                                     G_FILE_SET_CONTENTS_NONE, 0600, NULL));

  catalog = cradle_catalog_load_cached (directory, G_MAXUINT, &error);
  g_assert ((catalog == NULL) == (error != NULL));
  if (catalog == NULL)
    {
      g_assert (error->domain == CRADLE_ERROR);
      g_assert (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }

  for (guint i = 0; i < count (cradle_catalog_get_templates (catalog)); i++)
    g_assert_nonnull (g_ptr_array_index (cradle_catalog_get_templates (catalog), i));
  g_assert_nonnull (cradle_catalog_get_problems (catalog));

  /* Kept again, it loads again alike. */
  g_assert_true (cradle_catalog_save_cache (catalog, directory, &error));
  g_assert_no_error (error);
  again = cradle_catalog_load_cached (directory, G_MAXUINT, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (count (cradle_catalog_get_templates (again)), ==, count (cradle_catalog_get_templates (catalog)));
  g_assert_cmpuint (count (cradle_catalog_get_services (again)), ==, count (cradle_catalog_get_services (catalog)));
  g_assert_cmpuint (count (cradle_catalog_get_ntauth_certificates (again)), ==,
                    count (cradle_catalog_get_ntauth_certificates (catalog)));
  g_assert_cmpuint (count (cradle_catalog_get_aia_certificates (again)), ==,
                    count (cradle_catalog_get_aia_certificates (catalog)));
  g_assert_cmpuint (g_strv_length ((char **) cradle_catalog_get_problems (again)), ==,
                    g_strv_length ((char **) cradle_catalog_get_problems (catalog)));
  return 0;
}
