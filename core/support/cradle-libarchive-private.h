/* cradle-libarchive-private.h: libarchive, opened when a report is written
 * (cradle-dlopen-private.h says why): a process that never writes a
 * support report never loads it. */
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <glib.h>

#include "base/cradle-dlopen-private.h"

G_BEGIN_DECLS

#define CRADLE_LIBARCHIVE_SYMBOLS(X)       \
  X (archive_entry_free)                   \
  X (archive_entry_new)                    \
  X (archive_entry_set_filetype)           \
  X (archive_entry_set_mtime)              \
  X (archive_entry_set_pathname_utf8)      \
  X (archive_entry_set_perm)               \
  X (archive_entry_set_size)               \
  X (archive_error_string)                 \
  X (archive_version_string)               \
  X (archive_write_add_filter_gzip)        \
  X (archive_write_close)                  \
  X (archive_write_data)                   \
  X (archive_write_free)                   \
  X (archive_write_header)                 \
  X (archive_write_new)                    \
  X (archive_write_open_fd)                \
  X (archive_write_set_format_pax_restricted)

CRADLE_LIBARCHIVE_SYMBOLS (CRADLE_DLOPEN_DECLARE)

/* Opens libarchive, once per process. */
gboolean cradle_libarchive_load (GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
