/* cradle-support-report-archive.c: the report's .tar.gz, whole or not at all */
#include "config.h"

#include "support/cradle-libarchive-private.h"
#include "support/cradle-support-report-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <cradle/cradle-error.h>

char *
_cradle_support_report_archive_version (void)
{
  g_autoptr(GError) error = NULL;

  if (!cradle_libarchive_load (&error))
    return g_strdup_printf ("not loaded: %s", error->message);
  return g_strdup (sym_archive_version_string ());
}

/* The folder the archive unpacks into: its file name without .tar.gz. */
static char *
top_folder_for (const char *path)
{
  g_autofree char *base = g_path_get_basename (path);

  if (g_str_has_suffix (base, ".tar.gz"))
    base[strlen (base) - strlen (".tar.gz")] = '\0';
  else if (g_str_has_suffix (base, ".tgz"))
    base[strlen (base) - strlen (".tgz")] = '\0';
  if (base[0] == '\0' || base[0] == '.')
    return g_strdup ("cradle-report");
  return g_steal_pointer (&base);
}

static gboolean
archive_failed (struct archive *archive,
                const char     *what,
                GError        **error)
{
  const char *reason = sym_archive_error_string (archive);

  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED, "Could not %s (%s).", what,
               reason != NULL ? reason : "libarchive gave no reason");
  return FALSE;
}

static gboolean
add_entry (struct archive *archive,
           const char     *name,
           gboolean        folder,
           const char     *data,
           gsize           length,
           time_t          now,
           GError        **error)
{
  struct archive_entry *entry = sym_archive_entry_new ();
  gboolean ok;

  sym_archive_entry_set_pathname_utf8 (entry, name);
  sym_archive_entry_set_filetype (entry, folder ? AE_IFDIR : AE_IFREG);
  sym_archive_entry_set_perm (entry, folder ? 0700 : 0600);
  sym_archive_entry_set_size (entry, folder ? 0 : (la_int64_t) length);
  sym_archive_entry_set_mtime (entry, now, 0);
  ok = sym_archive_write_header (archive, entry) == ARCHIVE_OK;
  sym_archive_entry_free (entry);
  if (!ok)
    return archive_failed (archive, "add a file to the report", error);
  if (!folder && length > 0 && sym_archive_write_data (archive, data, length) != (la_ssize_t) length)
    return archive_failed (archive, "write a file of the report", error);
  return TRUE;
}

static gboolean
write_to_fd (int         fd,
             const char *top,
             GPtrArray  *files,
             GError    **error)
{
  struct archive *archive = sym_archive_write_new ();
  g_autoptr(GHashTable) folders = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  time_t now = time (NULL);
  gboolean ok = FALSE;

  if (sym_archive_write_add_filter_gzip (archive) != ARCHIVE_OK ||
      sym_archive_write_set_format_pax_restricted (archive) != ARCHIVE_OK ||
      sym_archive_write_open_fd (archive, fd) != ARCHIVE_OK)
    {
      archive_failed (archive, "start the report's archive", error);
      goto out;
    }
  if (!add_entry (archive, top, TRUE, NULL, 0, now, error))
    goto out;
  for (guint i = 0; i < files->len; i++)
    {
      CradleReportFile *file = g_ptr_array_index (files, i);
      g_autofree char *name = g_build_filename (top, file->name, NULL);
      g_autofree char *folder = g_path_get_dirname (name);

      /* Each folder once, before its first file. */
      if (!g_str_equal (folder, top) && !g_hash_table_contains (folders, folder))
        {
          if (!add_entry (archive, folder, TRUE, NULL, 0, now, error))
            goto out;
          g_hash_table_add (folders, g_steal_pointer (&folder));
        }
      if (!add_entry (archive, name, FALSE, file->text->str, file->text->len, now, error))
        goto out;
    }
  if (sym_archive_write_close (archive) != ARCHIVE_OK)
    {
      archive_failed (archive, "finish the report's archive", error);
      goto out;
    }
  ok = TRUE;
out:
  sym_archive_write_free (archive);
  return ok;
}

gboolean
_cradle_support_report_write_archive (const char *path,
                                      GPtrArray  *files,
                                      GError    **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *top = top_folder_for (path);
  g_autofree char *temporary = NULL;
  int fd;

  if (!cradle_libarchive_load (error))
    {
      g_prefix_error (error, "Could not write the report: ");
      return FALSE;
    }
  temporary = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);
  fd = g_mkstemp_full (temporary, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, CRADLE_ERROR,
                   saved == ENOENT ? CRADLE_ERROR_NOT_FOUND
                   : saved == EACCES || saved == EPERM || saved == EROFS ? CRADLE_ERROR_PERMISSION_DENIED
                   : CRADLE_ERROR_FAILED,
                   "Could not write the report in %s (%s). Choose a folder you may write to.", dir,
                   g_strerror (saved));
      return FALSE;
    }
  if (fchmod (fd, 0600) != 0 || !write_to_fd (fd, top, files, error) || fsync (fd) != 0)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED, "Could not write the report to %s (%s).",
                     temporary, g_strerror (errno));
      close (fd);
      g_unlink (temporary);
      return FALSE;
    }
  if (close (fd) != 0 || g_rename (temporary, path) != 0)
    {
      int saved = errno;

      g_unlink (temporary);
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED, "Could not put the report at %s (%s).", path,
                   g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}
