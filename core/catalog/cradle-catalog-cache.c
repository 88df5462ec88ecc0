/* cradle-catalog-cache.c: the last catalog read, kept to start the next enrollment sooner
 *
 * A kept catalog only lets the device start on the key while the directory
 * is read again: the engine compares the request with what the fresh
 * catalog makes of it before the device signs (cradle-enrollment-run.c).
 * So the file is a speed-up, never an authority; a damaged or foreign one
 * is ignored and replaced.
 */
#include "config.h"

#include <glib/gstdio.h>

#include "base/cradle-settings-private.h"
#include "catalog/cradle-catalog-private.h"
#include "directory/cradle-directory-private.h"

/* The file: (version, saved at (Unix seconds), reader, snapshot). */
#define FILE_TYPE     "(uxsv)"
#define FILE_VERSION  2
/* The snapshot: the user, templates, services, NTAuth, AIA and
 * Certification Authorities entries, and the names of the groups the
 * reasons mention. */
#define SNAPSHOT_TYPE "((sa{saay})a(sa{saay})a(sa{saay})a(sa{saay})a(sa{saay})a(sa{saay})a{ss})"
#define MAX_FILE_SIZE (32 * 1024 * 1024)
#define DEFAULT_MAX_AGE_HOURS 8
#define MAX_AGE_HOURS_LIMIT (24 * 7)

static GVariant *
entries_to_variant (GPtrArray *entries)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(sa{saay})"));
  for (guint i = 0; i < entries->len; i++)
    g_variant_builder_add_value (&builder, cradle_ldap_entry_to_variant (g_ptr_array_index (entries, i)));
  return g_variant_builder_end (&builder);
}

static GVariant *
snapshot_to_variant (CradleCatalog *self)
{
  GVariantBuilder names;
  GHashTableIter iter;
  gpointer sid, name;

  g_variant_builder_init (&names, G_VARIANT_TYPE ("a{ss}"));
  g_hash_table_iter_init (&iter, self->sid_names);
  while (g_hash_table_iter_next (&iter, &sid, &name))
    g_variant_builder_add (&names, "{ss}", sid, name);
  return g_variant_new ("(@(sa{saay})@a(sa{saay})@a(sa{saay})@a(sa{saay})@a(sa{saay})@a(sa{saay})a{ss})",
                        cradle_ldap_entry_to_variant (self->user_entry),
                        entries_to_variant (self->template_entries),
                        entries_to_variant (self->service_entries),
                        entries_to_variant (self->ntauth_entries),
                        entries_to_variant (self->aia_entries),
                        entries_to_variant (self->root_entries),
                        &names);
}

static gboolean
entries_from_variant (GVariant   *list,
                      GPtrArray  *into,
                      GError    **error)
{
  for (gsize i = 0; i < g_variant_n_children (list); i++)
    {
      g_autoptr(GVariant) child = g_variant_get_child_value (list, i);
      CradleLdapEntry *entry = cradle_ldap_entry_new_from_variant (child, error);

      if (entry == NULL)
        return FALSE;
      g_ptr_array_add (into, entry);
    }
  return TRUE;
}

static CradleCatalog *
catalog_from_snapshot (GVariant  *snapshot,
                       GError   **error)
{
  g_autoptr(CradleCatalog) self = cradle_catalog_new_empty ();
  g_autoptr(GVariant) user = g_variant_get_child_value (snapshot, 0);
  g_autoptr(GVariant) names = g_variant_get_child_value (snapshot, 6);
  GPtrArray *lists[] = { self->template_entries, self->service_entries, self->ntauth_entries,
                         self->aia_entries, self->root_entries };
  GVariantIter iter;
  const char *sid, *name;

  self->user_entry = cradle_ldap_entry_new_from_variant (user, error);
  if (self->user_entry == NULL)
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (lists); i++)
    {
      g_autoptr(GVariant) list = g_variant_get_child_value (snapshot, i + 1);

      if (!entries_from_variant (list, lists[i], error))
        return NULL;
    }
  g_variant_iter_init (&iter, names);
  while (g_variant_iter_next (&iter, "{&s&s}", &sid, &name))
    g_hash_table_insert (self->sid_names, g_strdup (sid), g_strdup (name));
  if (!cradle_catalog_build (self, NULL, NULL, error))
    return NULL;
  return g_steal_pointer (&self);
}

/* One file per reader, named by a digest so that no name leaks into it. */
static char *
dup_cache_path (const char *reader)
{
  g_autofree char *state = cradle_paths_dup_state_dir ();
  g_autofree char *digest = g_compute_checksum_for_string (G_CHECKSUM_SHA256, reader, -1);
  g_autofree char *name = g_strconcat (digest, ".catalog", NULL);

  return g_build_filename (state, "catalogs", name, NULL);
}

static CradleCatalog *
read_file (const char  *path,
           const char  *reader,
           guint        max_age_seconds,
           GError     **error)
{
  g_autoptr(GMappedFile) file = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GVariant) content = NULL;
  g_autoptr(GVariant) snapshot = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *saved_reader;
  guint32 version;
  gint64 saved_at;
  gint64 age;

  file = g_mapped_file_new (path, FALSE, &local_error);
  if (file == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND, "No catalog is kept: %s", local_error->message);
      return NULL;
    }
  if (g_mapped_file_get_length (file) > MAX_FILE_SIZE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "%s is larger than %d MiB",
                   path, MAX_FILE_SIZE / (1024 * 1024));
      return NULL;
    }
  bytes = g_mapped_file_get_bytes (file);
  content = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (FILE_TYPE), bytes, FALSE));
  /* A file in normal form is one GLib wrote; anything else is damage. */
  if (!g_variant_is_normal_form (content))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "%s is damaged", path);
      return NULL;
    }
  g_variant_get (content, "(ux&sv)", &version, &saved_at, &saved_reader, &snapshot);
  if (version != FILE_VERSION || !g_variant_is_of_type (snapshot, G_VARIANT_TYPE (SNAPSHOT_TYPE)))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s was written by another version of Cradle", path);
      return NULL;
    }
  if (!g_str_equal (saved_reader, reader))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND, "%s is another account's", path);
      return NULL;
    }
  age = g_get_real_time () / G_USEC_PER_SEC - saved_at;
  if (age < 0 || age > (gint64) max_age_seconds)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                   "The kept catalog is %" G_GINT64_FORMAT " s old, older than the %u s allowed",
                   age, max_age_seconds);
      return NULL;
    }
  return catalog_from_snapshot (snapshot, error);
}

/**
 * cradle_catalog_load_cached:
 * @directory: the session the catalog would be read through; it need not
 *   be open
 * @max_age_seconds: how old a kept catalog may be
 *
 * The catalog cradle_catalog_save_cache() kept for the same directory and
 * account, if it is young enough. Reads one file: no network. Use it only
 * to start early, and read the directory again meanwhile.
 *
 * Returns: (transfer full): the catalog, or %NULL with %CRADLE_ERROR_NOT_FOUND
 *   when none is kept, or %CRADLE_ERROR_INVALID_DATA when the file is damaged
 */
CradleCatalog *
cradle_catalog_load_cached (CradleDirectory  *directory,
                            guint             max_age_seconds,
                            GError          **error)
{
  g_autofree char *reader = NULL;
  g_autofree char *path = NULL;

  g_return_val_if_fail (CRADLE_IS_DIRECTORY (directory), NULL);

  if (max_age_seconds == 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND, "Keeping the catalog is turned off");
      return NULL;
    }
  reader = cradle_directory_dup_reader (directory, error);
  if (reader == NULL)
    return NULL;
  path = dup_cache_path (reader);
  return read_file (path, reader, max_age_seconds, error);
}

/**
 * cradle_catalog_save_cache:
 * @directory: the session @self was read through
 *
 * Keeps @self for cradle_catalog_load_cached(), in a file only the user can
 * read, replaced whole (never half-written).
 */
gboolean
cradle_catalog_save_cache (CradleCatalog    *self,
                           CradleDirectory  *directory,
                           GError          **error)
{
  g_autofree char *reader = NULL;
  g_autofree char *path = NULL;
  g_autofree char *folder = NULL;
  g_autoptr(GVariant) content = NULL;

  g_return_val_if_fail (CRADLE_IS_CATALOG (self), FALSE);
  g_return_val_if_fail (CRADLE_IS_DIRECTORY (directory), FALSE);

  if (self->user_entry == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                           "This catalog was not read from a directory");
      return FALSE;
    }
  reader = cradle_directory_dup_reader (directory, error);
  if (reader == NULL)
    return FALSE;
  path = dup_cache_path (reader);
  folder = g_path_get_dirname (path);
  if (!cradle_paths_ensure_private_dir (folder, error))
    return FALSE;
  content = g_variant_ref_sink (g_variant_new ("(uxsv)", FILE_VERSION, g_get_real_time () / G_USEC_PER_SEC,
                                               reader, snapshot_to_variant (self)));
  return g_file_set_contents_full (path, g_variant_get_data (content), g_variant_get_size (content),
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

/**
 * cradle_catalog_get_cache_max_age:
 *
 * Returns: [Directory] CatalogCacheHours of cradle.conf (the user's, else
 *   the administrator's) in seconds: 8 hours when neither sets it, 0 when
 *   it is 0 (never keep), at most a week
 */
static gboolean
read_hours (GKeyFile   *file,
            const char *path,
            const char *group,
            const char *key,
            gpointer    value)
{
  g_autoptr(GError) error = NULL;
  gint64 hours = g_key_file_get_int64 (file, group, key, &error);

  if (error != NULL || hours < 0)
    {
      g_warning ("Ignoring %s in %s: it must be a number of hours, 0 or more", key, path);
      return FALSE;
    }
  *(gint64 *) value = hours;
  return TRUE;
}

guint
cradle_catalog_get_cache_max_age (void)
{
  gint64 hours = DEFAULT_MAX_AGE_HOURS;

  cradle_settings_read_conf ("Directory", "CatalogCacheHours", read_hours, &hours);
  return (guint) MIN (hours, MAX_AGE_HOURS_LIMIT) * 3600;
}
