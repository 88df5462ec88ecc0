/* cradle-file.c: a file from outside, read bounded
 *
 * What the batch file, a provisioning file and a certificate file share:
 * opened without following a FIFO into a block, refused when it is not a
 * regular file, read in chunks until its end or one byte past its limit.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <cradle/cradle-error.h>

#include "base/cradle-file-private.h"

GBytes *
cradle_file_read_bounded (const char  *path,
                          gsize        max_size,
                          const char  *hint,
                          GError     **error)
{
  guint8 *buffer;
  gsize filled = 0;
  GBytes *data;
  struct stat st;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (max_size < G_MAXSIZE, NULL);

  /* O_NONBLOCK: a FIFO opens at once, and is refused below. */
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, CRADLE_ERROR,
                   saved_errno == ENOENT ? CRADLE_ERROR_NOT_FOUND
                   : saved_errno == EACCES || saved_errno == EPERM ? CRADLE_ERROR_PERMISSION_DENIED
                   : CRADLE_ERROR_FAILED,
                   "Could not open %s: %s. Check its name and that you may read it.%s%s", path,
                   g_strerror (saved_errno), hint != NULL ? " " : "", hint != NULL ? hint : "");
      return NULL;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "%s is not a regular file.%s%s", path,
                   hint != NULL ? " " : "", hint != NULL ? hint : "");
      return NULL;
    }

  /* One buffer of the most that is read, so no copy of a secret is left
   * behind by a reallocation. */
  buffer = g_malloc (max_size + 1);
  while (filled < max_size + 1)
    {
      gssize got = read (fd, buffer + filled, max_size + 1 - filled);

      if (got < 0 && errno == EINTR)
        continue;
      if (got < 0)
        {
          int saved_errno = errno;

          close (fd);
          OPENSSL_cleanse (buffer, filled);
          g_free (buffer);
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED, "Could not read %s: %s.", path,
                       g_strerror (saved_errno));
          return NULL;
        }
      if (got == 0)
        break;
      filled += (gsize) got;
    }
  close (fd);
  data = g_bytes_new (buffer, filled);
  OPENSSL_cleanse (buffer, filled);
  g_free (buffer);
  return data;
}
