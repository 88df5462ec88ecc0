/* cradle-paths.h: where Cradle keeps configuration and state */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <glib.h>
#include <cradle/cradle-macros.h>

G_BEGIN_DECLS

/*
 * Each folder follows the XDG base directories and can be moved with an
 * environment variable, so tests and the lab never touch a real profile:
 *   CRADLE_CONFIG_DIR         ~/.config/cradle        (the user's configuration)
 *   CRADLE_SYSTEM_CONFIG_DIR  /etc/cradle             (the administrator's)
 *   CRADLE_STATE_DIR          ~/.local/state/cradle   (pending requests, journal)
 *   CRADLE_CACHE_DIR          ~/.cache/cradle         (revocation answers, until their nextUpdate)
 *   CRADLE_RUNTIME_DIR        $XDG_RUNTIME_DIR/cradle (simulated device sockets)
 */
CRADLE_PUBLIC
char *cradle_paths_dup_config_dir        (void);
CRADLE_PUBLIC
char *cradle_paths_dup_system_config_dir (void);
CRADLE_PUBLIC
char *cradle_paths_dup_state_dir         (void);
CRADLE_PUBLIC
char *cradle_paths_dup_cache_dir         (void);
CRADLE_PUBLIC
char *cradle_paths_dup_runtime_dir       (void);
CRADLE_PUBLIC
gboolean cradle_paths_ensure_private_dir (const char  *path,
                                          GError     **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
