/* cradle-agent-atomic.c: crash-safe writes and bounded reads of the agent's files */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <cradle/cradle.h>

#include "agent/cradle-agent-atomic-private.h"

#define TEMP_MARK ".tmp-"

static gboolean
set_errno_error (GError     **error,
                 int          saved_errno,
                 const char  *action,
                 const char  *path)
{
  g_set_error (error, CRADLE_ERROR,
               saved_errno == ENOENT ? CRADLE_ERROR_NOT_FOUND
               : saved_errno == EACCES || saved_errno == EPERM ? CRADLE_ERROR_PERMISSION_DENIED
               : CRADLE_ERROR_FAILED,
               "Could not %s '%s': %s", action, path, g_strerror (saved_errno));
  return FALSE;
}

static gboolean
write_all (int           fd,
           const guint8 *data,
           gsize         size)
{
  while (size > 0)
    {
      ssize_t written = write (fd, data, size);

      if (written < 0 && errno == EINTR)
        continue;
      if (written <= 0)
        {
          if (written == 0)
            errno = EIO;
          return FALSE;
        }
      data += written;
      size -= (gsize) written;
    }
  return TRUE;
}

gboolean
cradle_agent_atomic_sync_folder (const char  *folder,
                                 GError     **error)
{
  int fd = open (folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0)
    return set_errno_error (error, errno, "open the folder", folder);
  if (fsync (fd) != 0)
    {
      int saved_errno = errno;

      close (fd);
      return set_errno_error (error, saved_errno, "sync the folder", folder);
    }
  close (fd);
  return TRUE;
}

/**
 * cradle_agent_atomic_write:
 * @path: the file to replace or create
 * @contents: its new contents
 * @mode: its mode, given at creation so it is never briefly wider
 * @error: return location for a #GError
 *
 * Replaces @path so that after a crash at any moment it holds either its
 * old contents or @contents.
 */
/* Writes @contents whole to a new temporary file beside @path and syncs it;
 * gives its name. */
static char *
write_temp (const char  *path,
            GBytes      *contents,
            mode_t       mode,
            GError     **error)
{
  g_autofree char *folder = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *temp = g_strdup_printf ("%s%s.%s" TEMP_MARK "XXXXXX", folder, G_DIR_SEPARATOR_S, base);
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (contents, &size);
  int saved_errno;
  int fd;

  /* g_mkstemp_full() adds O_CREAT | O_EXCL itself. */
  fd = g_mkstemp_full (temp, O_WRONLY | O_CLOEXEC, (int) mode);
  if (fd < 0)
    {
      set_errno_error (error, errno, "create a file in", folder);
      return NULL;
    }

  if (!write_all (fd, data, size) || fsync (fd) != 0)
    {
      saved_errno = errno;
      close (fd);
      unlink (temp);
      set_errno_error (error, saved_errno, "write", temp);
      return NULL;
    }
  if (close (fd) != 0)
    {
      saved_errno = errno;
      unlink (temp);
      set_errno_error (error, saved_errno, "write", temp);
      return NULL;
    }
  return g_steal_pointer (&temp);
}

gboolean
cradle_agent_atomic_write (const char  *path,
                           GBytes      *contents,
                           mode_t       mode,
                           GError     **error)
{
  g_autofree char *folder = g_path_get_dirname (path);
  g_autofree char *temp = write_temp (path, contents, mode, error);

  if (temp == NULL)
    return FALSE;
  if (rename (temp, path) != 0)
    {
      int saved_errno = errno;

      unlink (temp);
      return set_errno_error (error, saved_errno, "replace", path);
    }
  return cradle_agent_atomic_sync_folder (folder, error);
}

gboolean
cradle_agent_atomic_create (const char  *path,
                            GBytes      *contents,
                            mode_t       mode,
                            gboolean    *existed,
                            GError     **error)
{
  g_autofree char *folder = g_path_get_dirname (path);
  g_autofree char *temp = write_temp (path, contents, mode, error);
  int saved_errno;

  *existed = FALSE;
  if (temp == NULL)
    return FALSE;
  /* link() never replaces: of two processes creating @path, one wins. */
  if (link (temp, path) == 0)
    {
      unlink (temp);
      return cradle_agent_atomic_sync_folder (folder, error);
    }
  saved_errno = errno;
  unlink (temp);
  if (saved_errno == EEXIST)
    {
      *existed = TRUE;
      return TRUE;
    }
  return set_errno_error (error, saved_errno, "create", path);
}

/* Removes @path and makes the removal durable. */
gboolean
cradle_agent_atomic_unlink (const char  *path,
                            GError     **error)
{
  g_autofree char *folder = g_path_get_dirname (path);

  if (unlink (path) != 0)
    return set_errno_error (error, errno, "delete", path);
  return cradle_agent_atomic_sync_folder (folder, error);
}

gboolean
cradle_agent_atomic_is_temp_name (const char *name)
{
  return name[0] == '.' && strstr (name, TEMP_MARK) != NULL;
}

/* Only the folder's single owner may call this: another writer's temporary
 * file would look stale too. */
gboolean
cradle_agent_atomic_remove_stale (const char  *folder,
                                  GError     **error)
{
  g_autoptr(GDir) dir = NULL;
  gboolean removed = FALSE;
  const char *name;

  dir = g_dir_open (folder, 0, error);
  if (dir == NULL)
    return FALSE;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;

      if (!cradle_agent_atomic_is_temp_name (name))
        continue;
      path = g_build_filename (folder, name, NULL);
      if (unlink (path) != 0 && errno != ENOENT)
        return set_errno_error (error, errno, "delete the leftover file", path);
      g_info ("Removed '%s', left by an interrupted write", path);
      removed = TRUE;
    }
  return !removed || cradle_agent_atomic_sync_folder (folder, error);
}

typedef struct {
  guint8 *data;
  gsize   capacity;
} WipedBuffer;

static void
wiped_buffer_free (gpointer user_data)
{
  WipedBuffer *buffer = user_data;

  explicit_bzero (buffer->data, buffer->capacity);
  g_free (buffer->data);
  g_free (buffer);
}

GBytes *
cradle_agent_read_bounded (const char   *path,
                           gsize         max_size,
                           struct stat  *st,
                           GError      **error)
{
  WipedBuffer *buffer;
  struct stat own_st;
  gsize length = 0;
  int fd;

  if (st == NULL)
    st = &own_st;

  /* O_NONBLOCK: a FIFO planted here must not hang us before fstat() says what it is. */
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    {
      set_errno_error (error, errno, "open", path);
      return NULL;
    }
  if (fstat (fd, st) != 0)
    {
      int saved_errno = errno;

      close (fd);
      set_errno_error (error, saved_errno, "read", path);
      return NULL;
    }
  if (!S_ISREG (st->st_mode))
    {
      close (fd);
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "it is not a regular file");
      return NULL;
    }
  if (st->st_size < 0 || (guint64) st->st_size > max_size)
    {
      close (fd);
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "it is %" G_GINT64_FORMAT " bytes, more than the %" G_GSIZE_FORMAT " allowed",
                   (gint64) st->st_size, max_size);
      return NULL;
    }

  /* One byte more than the size fstat() gave, to notice a file that grows. */
  buffer = g_new0 (WipedBuffer, 1);
  buffer->capacity = (gsize) st->st_size + 1;
  buffer->data = g_malloc (buffer->capacity);
  while (length < buffer->capacity)
    {
      ssize_t got = read (fd, buffer->data + length, buffer->capacity - length);

      if (got < 0 && errno == EINTR)
        continue;
      if (got < 0)
        {
          int saved_errno = errno;

          close (fd);
          wiped_buffer_free (buffer);
          set_errno_error (error, saved_errno, "read", path);
          return NULL;
        }
      if (got == 0)
        break;
      length += (gsize) got;
    }
  close (fd);
  if (length != (gsize) st->st_size)
    {
      wiped_buffer_free (buffer);
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                   "'%s' changed while it was read", path);
      return NULL;
    }
  return g_bytes_new_with_free_func (buffer->data, length, wiped_buffer_free, buffer);
}
