/* cradle-paths.c: XDG folders for configuration, state and run time */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <cradle/cradle.h>

/* An override set to an empty string counts as unset. */
static char *
dup_override_or (const char *variable,
                 const char *base,
                 const char *leaf)
{
  const char *override = g_getenv (variable);

  if (override != NULL && *override != '\0')
    return g_strdup (override);
  return g_build_filename (base, leaf, NULL);
}

char *
cradle_paths_dup_config_dir (void)
{
  return dup_override_or ("CRADLE_CONFIG_DIR", g_get_user_config_dir (), "cradle");
}

char *
cradle_paths_dup_system_config_dir (void)
{
  const char *override = g_getenv ("CRADLE_SYSTEM_CONFIG_DIR");

  if (override != NULL && *override != '\0')
    return g_strdup (override);
  return g_strdup (CRADLE_SYSCONFDIR);
}

char *
cradle_paths_dup_state_dir (void)
{
  return dup_override_or ("CRADLE_STATE_DIR", g_get_user_state_dir (), "cradle");
}

char *
cradle_paths_dup_cache_dir (void)
{
  return dup_override_or ("CRADLE_CACHE_DIR", g_get_user_cache_dir (), "cradle");
}

char *
cradle_paths_dup_runtime_dir (void)
{
  return dup_override_or ("CRADLE_RUNTIME_DIR", g_get_user_runtime_dir (), "cradle");
}

/**
 * cradle_paths_ensure_private_dir:
 * @path: a folder
 * @error: return location for a #GError
 *
 * Creates @path and its parents, readable only by the user, since state
 * folders hold request identifiers and device serials.
 *
 * Returns: %TRUE if the folder exists now
 */
gboolean
cradle_paths_ensure_private_dir (const char  *path,
                                 GError     **error)
{
  g_return_val_if_fail (path != NULL, FALSE);

  if (g_mkdir_with_parents (path, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, CRADLE_ERROR,
                   saved_errno == EACCES ? CRADLE_ERROR_PERMISSION_DENIED : CRADLE_ERROR_FAILED,
                   "Could not create the folder %s: %s. Check that your home folder is writable.",
                   path, g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}
