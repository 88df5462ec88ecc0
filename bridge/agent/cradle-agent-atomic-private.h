/* cradle-agent-atomic-private.h: crash-safe writes and bounded reads
 *
 * A write goes to a temporary file beside its target (".NAME.tmp-XXXXXX"),
 * created with O_EXCL and the final mode, written whole and fsync()ed, then
 * renamed over the target; the folder is fsync()ed last so the rename itself
 * survives a power cut. Readers see the old file or the new one, never a mix.
 * A crash can leave a temporary file behind; the owner of the folder removes
 * them with cradle_agent_atomic_remove_stale() when it starts.
 */
#pragma once

#include <glib.h>
#include <sys/stat.h>

G_BEGIN_DECLS

gboolean  cradle_agent_atomic_write        (const char   *path,
                                            GBytes       *contents,
                                            mode_t        mode,
                                            GError      **error) G_GNUC_WARN_UNUSED_RESULT;
/* Like cradle_agent_atomic_write(), but never replaces a file: when @path
 * exists already (or another process creates it first), nothing is written,
 * *@existed is TRUE and the call succeeds. */
gboolean  cradle_agent_atomic_create       (const char   *path,
                                            GBytes       *contents,
                                            mode_t        mode,
                                            gboolean     *existed,
                                            GError      **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean  cradle_agent_atomic_unlink       (const char   *path,
                                            GError      **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean  cradle_agent_atomic_sync_folder  (const char   *folder,
                                            GError      **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean  cradle_agent_atomic_is_temp_name (const char   *name);
gboolean  cradle_agent_atomic_remove_stale (const char   *folder,
                                            GError      **error) G_GNUC_WARN_UNUSED_RESULT;

/* Reads a regular file of at most @max_size bytes; larger files are refused
 * before anything is allocated for them. A missing file is
 * CRADLE_ERROR_NOT_FOUND; one too large or not a regular file is
 * CRADLE_ERROR_INVALID_DATA with a reason ("it is ...") for the caller to
 * put after the file's name. The buffer is wiped when the bytes are freed, so
 * this also serves for secrets. @st (nullable) receives the file's status. */
GBytes   *cradle_agent_read_bounded        (const char   *path,
                                            gsize         max_size,
                                            struct stat  *st,
                                            GError      **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
