/* cradle-file-private.h: a file from outside, read bounded */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The contents of @path, a regular file (a FIFO or device is refused
 * without blocking on it), read until its end or until more than
 * @max_size bytes have come, whatever size the file claims: the caller
 * tells a file longer than @max_size by the result's size and words that
 * error itself. @hint ends the errors for a file that cannot be opened or
 * is not a regular file, saying what to give instead ("Give the path of a
 * CSV file."). Buffers that held the file are wiped before they are freed,
 * since some files (a PFX) hold secrets. */
G_GNUC_WARN_UNUSED_RESULT
GBytes *cradle_file_read_bounded (const char  *path,
                                  gsize        max_size,
                                  const char  *hint,
                                  GError     **error);

G_END_DECLS
