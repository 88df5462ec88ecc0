/* cradle-settings.c: the domain settings the app and cradlectl share
 *
 * One order for every setting: the command line, the environment, the
 * user's cradle.conf, the administrator's.  cradle.conf is a small key
 * file; a value it cannot hold is ignored with a warning naming the file.
 */
#include "config.h"

#include <string.h>

#include <cradle/cradle.h>

#include "base/cradle-settings-private.h"

static const struct {
  const char *variable;
  const char *option;
  const char *key;      /* of [Directory]; NULL: not read from cradle.conf */
} settings[] = {
  [CRADLE_SETTING_DOMAIN] = { "CRADLE_DOMAIN", "--domain", "Domain" },
  [CRADLE_SETTING_DC]     = { "CRADLE_DC", "--dc", "DC" },
  [CRADLE_SETTING_USER]   = { "CRADLE_USER", "--user", NULL },
  [CRADLE_SETTING_CCACHE] = { "CRADLE_CCACHE", "--ccache", NULL },
};

#define MAX_VALUE 1024

const char *
cradle_settings_get_variable (CradleSetting setting)
{
  g_return_val_if_fail ((guint) setting < G_N_ELEMENTS (settings), NULL);
  return settings[setting].variable;
}

/* [Directory] @key of @folder's cradle.conf, when it is a value that can
 * be; (nullable). */
static char *
read_conf (const char *folder,
           const char *key)
{
  g_autofree char *path = g_build_filename (folder, "cradle.conf", NULL);
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autofree char *value = NULL;

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, NULL))
    return NULL;
  value = g_key_file_get_string (file, "Directory", key, NULL);
  if (value == NULL)
    return NULL;
  g_strstrip (value);
  if (value[0] == '\0')
    return NULL;
  if (strlen (value) > MAX_VALUE || !g_utf8_validate (value, -1, NULL))
    {
      g_warning ("Ignoring %s in %s: it is not text of at most %d bytes", key, path, MAX_VALUE);
      return NULL;
    }
  if (g_str_equal (key, "DC") && !g_str_has_prefix (value, "ldap://") && !g_str_has_prefix (value, "ldaps://"))
    {
      g_autofree char *shown = cradle_text_escape (value, -1, CRADLE_TEXT_ESCAPE_DEFAULT);

      g_warning ("Ignoring DC=%s in %s: it must be ldap://HOST or ldaps://HOST", shown, path);
      return NULL;
    }
  return g_steal_pointer (&value);
}

/* Where a value came from, first to last. */
enum {
  LEVEL_OPTION,
  LEVEL_ENVIRONMENT,
  LEVEL_USER,
  LEVEL_SYSTEM,
  LEVEL_UNSET,
};

/* The value, where it came from, and its level. */
static char *
lookup (CradleSetting   setting,
        const char     *option,
        char          **origin,
        int            *level)
{
  const char *value;

  if (option != NULL && option[0] != '\0')
    {
      *origin = g_strdup (settings[setting].option);
      *level = LEVEL_OPTION;
      return g_strdup (option);
    }
  value = g_getenv (settings[setting].variable);
  if (value != NULL && value[0] != '\0')
    {
      *origin = g_strdup (settings[setting].variable);
      *level = LEVEL_ENVIRONMENT;
      return g_strdup (value);
    }
  if (settings[setting].key != NULL)
    {
      char *(*folders[]) (void) = { cradle_paths_dup_config_dir, cradle_paths_dup_system_config_dir };

      for (guint i = 0; i < G_N_ELEMENTS (folders); i++)
        {
          g_autofree char *folder = folders[i] ();
          char *found = read_conf (folder, settings[setting].key);

          if (found != NULL)
            {
              *origin = g_build_filename (folder, "cradle.conf", NULL);
              *level = i == 0 ? LEVEL_USER : LEVEL_SYSTEM;
              return found;
            }
        }
    }
  *origin = NULL;
  *level = LEVEL_UNSET;
  return NULL;
}

char *
cradle_settings_dup (CradleSetting  setting,
                     const char    *option)
{
  g_autofree char *origin = NULL;
  int level;

  g_return_val_if_fail ((guint) setting < G_N_ELEMENTS (settings), NULL);
  return lookup (setting, option, &origin, &level);
}

char *
cradle_settings_dup_origin (CradleSetting  setting,
                            const char    *option)
{
  g_autofree char *value = NULL;
  char *origin = NULL;
  int level;

  g_return_val_if_fail ((guint) setting < G_N_ELEMENTS (settings), NULL);
  value = lookup (setting, option, &origin, &level);
  return origin;
}

void
cradle_settings_dup_directory (const char  *domain_option,
                               const char  *dc_option,
                               char       **domain,
                               char       **dc)
{
  g_autofree char *domain_origin = NULL;
  g_autofree char *dc_origin = NULL;
  int domain_level, dc_level;

  g_return_if_fail (domain != NULL && dc != NULL);

  *domain = lookup (CRADLE_SETTING_DOMAIN, domain_option, &domain_origin, &domain_level);
  *dc = lookup (CRADLE_SETTING_DC, dc_option, &dc_origin, &dc_level);
  /* A controller set further down than the domain may be another
   * domain's: `--domain other` is not sent to $CRADLE_DC. */
  if (*dc != NULL && dc_level > domain_level)
    g_clear_pointer (dc, g_free);
}

gboolean
cradle_settings_read_conf (const char     *group,
                           const char     *key,
                           CradleConfRead  read,
                           gpointer        value)
{
  g_autofree char *user = cradle_paths_dup_config_dir ();
  g_autofree char *system = cradle_paths_dup_system_config_dir ();
  const char *folders[] = { user, system };

  for (gsize i = 0; i < G_N_ELEMENTS (folders); i++)
    {
      g_autofree char *path = g_build_filename (folders[i], "cradle.conf", NULL);
      g_autoptr(GKeyFile) file = g_key_file_new ();

      if (g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, NULL) &&
          g_key_file_has_key (file, group, key, NULL) && read (file, path, group, key, value))
        return TRUE;
    }
  return FALSE;
}

static gboolean
read_boolean (GKeyFile   *file,
              const char *path,
              const char *group,
              const char *key,
              gpointer    value)
{
  g_autoptr(GError) error = NULL;
  gboolean read = g_key_file_get_boolean (file, group, key, &error);

  if (error != NULL)
    {
      g_warning ("Ignoring [%s] %s in %s: it must be true or false", group, key, path);
      return FALSE;
    }
  *(gboolean *) value = read;
  return TRUE;
}

gboolean
cradle_settings_get_conf_boolean (const char *group,
                                  const char *key,
                                  gboolean    fallback)
{
  gboolean value = fallback;

  cradle_settings_read_conf (group, key, read_boolean, &value);
  return value;
}

/* [Renewal] Automatic of cradle.conf: the user's, else the
 * administrator's; TRUE unless one of them says false. */
gboolean
cradle_settings_get_automatic_renewal (void)
{
  return cradle_settings_get_conf_boolean ("Renewal", "Automatic", TRUE);
}

static gboolean
read_module_paths (GKeyFile   *file,
                   const char *path,
                   const char *group,
                   const char *key,
                   gpointer    value)
{
  g_auto(GStrv) listed = g_key_file_get_string_list (file, group, key, NULL, NULL);
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; listed != NULL && listed[i] != NULL; i++)
    {
      g_autofree char *module = g_strstrip (g_strdup (listed[i]));

      if (module[0] == '\0')
        continue;
      if (strlen (module) > MAX_VALUE || !g_utf8_validate (module, -1, NULL) || !g_path_is_absolute (module))
        {
          g_autofree char *shown = cradle_text_escape (module, -1, CRADLE_TEXT_ESCAPE_DEFAULT);

          g_warning ("Ignoring the module %s of [%s] %s in %s: it must be an absolute path", shown, group, key,
                     path);
          continue;
        }
      g_ptr_array_add (paths, g_steal_pointer (&module));
    }
  g_ptr_array_add (paths, NULL);
  *(GStrv *) value = (GStrv) g_ptr_array_steal (paths, NULL);
  return TRUE;
}

GStrv
cradle_settings_dup_token_modules (void)
{
  GStrv paths = NULL;

  if (!cradle_settings_read_conf ("Tokens", "Modules", read_module_paths, &paths))
    return g_new0 (char *, 1);
  return paths;
}

/* As every setting: the environment ($CRADLE_TOKENS_USE_P11KIT, which the
 * tests set to false so that no test sees this machine's tokens) before
 * cradle.conf. */
gboolean
cradle_settings_get_token_use_p11kit (void)
{
  const char *value = g_getenv ("CRADLE_TOKENS_USE_P11KIT");

  if (value != NULL && value[0] != '\0')
    {
      if (g_ascii_strcasecmp (value, "true") == 0 || g_str_equal (value, "1"))
        return TRUE;
      if (g_ascii_strcasecmp (value, "false") == 0 || g_str_equal (value, "0"))
        return FALSE;
      g_warning ("Ignoring CRADLE_TOKENS_USE_P11KIT: it must be true or false");
    }
  return cradle_settings_get_conf_boolean ("Tokens", "UseP11Kit", TRUE);
}

#define MIN_POLL_SECONDS 1
#define MAX_POLL_SECONDS 3600
#define DEFAULT_POLL_SECONDS 2

static gboolean
read_poll_seconds (GKeyFile   *file,
                   const char *path,
                   const char *group,
                   const char *key,
                   gpointer    value)
{
  g_autoptr(GError) error = NULL;
  gint64 read = g_key_file_get_int64 (file, group, key, &error);

  if (error != NULL || read < MIN_POLL_SECONDS || read > MAX_POLL_SECONDS)
    {
      g_warning ("Ignoring [%s] %s in %s: it must be a number of seconds from %d to %d", group, key, path,
                 MIN_POLL_SECONDS, MAX_POLL_SECONDS);
      return FALSE;
    }
  *(guint *) value = (guint) read;
  return TRUE;
}

guint
cradle_settings_get_token_poll_seconds (void)
{
  guint seconds = DEFAULT_POLL_SECONDS;

  cradle_settings_read_conf ("Tokens", "PollSeconds", read_poll_seconds, &seconds);
  return seconds;
}

static gboolean
read_path (GKeyFile   *file,
           const char *path,
           const char *group,
           const char *key,
           gpointer    value)
{
  g_autofree char *read = g_key_file_get_string (file, group, key, NULL);

  if (read != NULL)
    g_strstrip (read);
  if (read == NULL || read[0] == '\0' || strlen (read) > MAX_VALUE || !g_utf8_validate (read, -1, NULL) ||
      !g_path_is_absolute (read))
    {
      g_warning ("Ignoring [%s] %s in %s: it must be the absolute path of a file", group, key, path);
      return FALSE;
    }
  *(char **) value = g_steal_pointer (&read);
  return TRUE;
}

char *
cradle_settings_dup_attestation_roots (void)
{
  char *path = NULL;

  cradle_settings_read_conf ("Tokens", "AttestationRoots", read_path, &path);
  return path;
}
