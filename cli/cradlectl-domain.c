/* cradlectl-domain.c: the domain options, and the directory session they choose */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "cradlectl-private.h"

GOptionEntry *
cradlectl_domain_entries (CradlectlDomainOptions *options)
{
  GOptionEntry entries[] = {
    { "domain", 0, 0, G_OPTION_ARG_STRING, &options->domain,
      "Domain to use; its controllers are found in DNS (default: $CRADLE_DOMAIN, cradle.conf's "
      "[Directory] Domain=, else your Kerberos realm)", "DOMAIN" },
    { "dc", 0, 0, G_OPTION_ARG_STRING, &options->dc_uri,
      "Domain controller to use, as ldap://HOST or ldaps://HOST (default: $CRADLE_DC, "
      "cradle.conf's [Directory] DC=)", "URI" },
    { "user", 0, 0, G_OPTION_ARG_STRING, &options->user,
      "Sign in as this user with a password instead of your Kerberos ticket (default: $CRADLE_USER)",
      "USER" },
    { "password-file", 0, 0, G_OPTION_ARG_FILENAME, &options->password_file,
      "Read the password for --user from this file (- for standard input)", "FILE" },
    { "ccache", 0, 0, G_OPTION_ARG_STRING, &options->ccache_name,
      "Kerberos credential cache to use instead of the desktop's (default: $CRADLE_CCACHE)", "NAME" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &options->json,
      "Print JSON for scripts", NULL },
    G_OPTION_ENTRY_NULL
  };

  return g_memdup2 (entries, sizeof entries);
}

void
cradlectl_domain_options_clear (CradlectlDomainOptions *options)
{
  g_clear_pointer (&options->domain, g_free);
  g_clear_pointer (&options->dc_uri, g_free);
  g_clear_pointer (&options->user, g_free);
  g_clear_pointer (&options->password_file, g_free);
  g_clear_pointer (&options->ccache_name, g_free);
  g_clear_pointer (&options->user_origin, g_free);
}

static void
resolve (char          **value,
         CradleSetting   setting)
{
  char *resolved = cradle_settings_dup (setting, *value);

  g_free (*value);
  *value = resolved;
}

void
cradlectl_domain_options_resolve (CradlectlDomainOptions *options)
{
  g_free (options->user_origin);
  options->user_origin = cradle_settings_dup_origin (CRADLE_SETTING_USER, options->user);
  resolve (&options->domain, CRADLE_SETTING_DOMAIN);
  resolve (&options->dc_uri, CRADLE_SETTING_DC);
  resolve (&options->user, CRADLE_SETTING_USER);
  resolve (&options->ccache_name, CRADLE_SETTING_CCACHE);
}

/* --user (or CRADLE_USER) and --password-file go together. */
static gboolean
check_sign_in (CradlectlDomainOptions  *options,
               GError                 **error)
{
  if (options->user != NULL && options->password_file == NULL &&
      g_strcmp0 (options->user_origin, "--user") != 0 && options->user_origin != NULL)
    {
      g_autofree char *user = cradlectl_text (options->user);

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "%s says to sign in as %s with a password, so cradlectl needs --password-file FILE "
                   "(- for standard input); or unset %s to use your Kerberos ticket.",
                   options->user_origin, user, options->user_origin);
      return FALSE;
    }
  if ((options->user != NULL) != (options->password_file != NULL))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                           "--user and --password-file go together: give both to sign in with a "
                           "password, or neither to use your Kerberos ticket.");
      return FALSE;
    }
  return TRUE;
}

#define MAX_PASSWORD 1024

/* The first line of @path, read straight into one buffer so no stray copy
 * is left in freed memory; the caller wipes and frees it. */
char *
cradlectl_read_secret (const char  *path,
                       const char  *what,
                       GError     **error)
{
  g_autofree char *buffer = g_malloc0 (MAX_PASSWORD + 1);
  gboolean from_stdin = g_str_equal (path, "-");
  int fd = from_stdin ? 0 : g_open (path, O_RDONLY | O_CLOEXEC, 0);
  gsize length = 0;
  char *end;

  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "Could not read the %s file %s: %s.", what, path, g_strerror (saved_errno));
      return NULL;
    }
  while (length < MAX_PASSWORD && memchr (buffer, '\n', length) == NULL)
    {
      gssize got = read (fd, buffer + length, MAX_PASSWORD - length);

      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0)
        break;
      length += (gsize) got;
    }
  if (!from_stdin)
    close (fd);

  end = strpbrk (buffer, "\r\n");
  if (end != NULL)
    explicit_bzero (end, length - (gsize) (end - buffer));
  if (buffer[0] == '\0')
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "No %s was found in %s.", what, from_stdin ? "standard input" : path);
      return NULL;
    }
  return g_steal_pointer (&buffer);
}

CradleCredentials *
cradlectl_dup_credentials (CradlectlDomainOptions  *options,
                           GError                 **error)
{
  char *password;
  CradleCredentials *credentials;

  if (!check_sign_in (options, error))
    return NULL;
  if (options->password_file == NULL)
    return cradle_credentials_new_kerberos (options->ccache_name);
  password = cradlectl_read_secret (options->password_file, "password", error);
  if (password == NULL)
    return NULL;
  credentials = cradle_credentials_new_password (options->user, password);
  explicit_bzero (password, strlen (password));
  g_free (password);
  return credentials;
}

CradleDirectory *
cradlectl_new_directory (CradlectlDomainOptions  *options,
                         GError                 **error)
{
  g_autoptr(CradleDirectory) directory = NULL;

  if (!check_sign_in (options, error))
    return NULL;
  if (options->dc_uri != NULL)
    directory = cradle_directory_new (options->dc_uri);
  else
    directory = cradle_directory_new_for_domain (options->domain);
  cradle_directory_set_credential_cache (directory, options->ccache_name);

  if (options->password_file != NULL)
    {
      char *password = cradlectl_read_secret (options->password_file, "password", error);

      if (password == NULL)
        return NULL;
      cradle_directory_set_password (directory, options->user, password);
      explicit_bzero (password, strlen (password));
      g_free (password);
    }
  return g_steal_pointer (&directory);
}

CradleDirectory *
cradlectl_open_directory (CradlectlDomainOptions  *options,
                          GCancellable            *cancellable,
                          GError                 **error)
{
  g_autoptr(CradleDirectory) directory = cradlectl_new_directory (options, error);

  if (directory == NULL || !cradle_directory_open (directory, cancellable, error))
    return NULL;
  return g_steal_pointer (&directory);
}
