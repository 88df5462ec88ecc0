/* cradle-type-store.c: saving, removing and listing administrators' certificate types
 *
 * The user's types.d is written here: each file whole or not at all
 * (written beside, then renamed over).  A SCEP challenge goes to
 * NAME.challenge, created 0600 before a byte of it is written, and is
 * wiped from memory after; the type file only names it.  The
 * administrator's types.d is written by cradle-types-helper through
 * pkexec, which polkit authorises.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "policy/cradle-cert-type-private.h"
#include "policy/cradle-type-draft-private.h"

/* A challenge is a password: one line, as the request plan reads it. */
#define MAX_CHALLENGE 1024

char *
cradle_type_store_dup_folder (CradleTypeScope scope)
{
  g_autofree char *config = scope == CRADLE_TYPE_SCOPE_SYSTEM ? cradle_paths_dup_system_config_dir ()
                                                              : cradle_paths_dup_config_dir ();

  return g_build_filename (config, "types.d", NULL);
}

/* ---- listing ------------------------------------------------------------- */

static gint
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* The drafts of @folder's *.conf files, by file name, as
 * cradle_cert_type_list() reads them. */
static gboolean
list_folder (const char  *folder,
             GPtrArray   *drafts,
             GPtrArray   *problems,
             GError     **error)
{
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) local_error = NULL;
  const char *entry;

  dir = g_dir_open (folder, 0, &local_error);
  if (dir == NULL)
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT) ||
          g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR))
        return TRUE;
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                   "Could not read the certificate types in %s: %s.", folder, local_error->message);
      return FALSE;
    }
  while ((entry = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (entry, ".conf") && entry[0] != '.')
      g_ptr_array_add (names, g_strdup (entry));
  g_ptr_array_sort (names, compare_strings);
  if (names->len > CRADLE_CERT_TYPE_MAX_FILES)
    {
      if (problems != NULL)
        g_ptr_array_add (problems, g_strdup_printf ("%s: more than %d type files; only the first %d are read",
                                                    folder, CRADLE_CERT_TYPE_MAX_FILES,
                                                    CRADLE_CERT_TYPE_MAX_FILES));
      g_ptr_array_set_size (names, CRADLE_CERT_TYPE_MAX_FILES);
    }
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (folder, g_ptr_array_index (names, i), NULL);
      g_autoptr(CradleCertTypeSettings) settings = NULL;
      g_autoptr(GError) file_error = NULL;

      settings = cradle_cert_type_settings_load (path, &file_error);
      if (settings == NULL)
        {
          if (problems != NULL)
            g_ptr_array_add (problems, g_strdup (file_error->message));
          continue;
        }
      g_ptr_array_add (drafts, _cradle_type_draft_new_from_settings (settings));
    }
  return TRUE;
}

GPtrArray *
cradle_type_store_list_full (GPtrArray **problems,
                             GError    **error)
{
  g_autoptr(GPtrArray) drafts = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func (g_free);
  CradleTypeScope scopes[] = { CRADLE_TYPE_SCOPE_SYSTEM, CRADLE_TYPE_SCOPE_USER };

  for (guint i = 0; i < G_N_ELEMENTS (scopes); i++)
    {
      g_autofree char *folder = cradle_type_store_dup_folder (scopes[i]);

      if (!list_folder (folder, drafts, found, error))
        return NULL;
    }
  if (problems != NULL)
    *problems = g_steal_pointer (&found);
  return g_steal_pointer (&drafts);
}

GPtrArray *
cradle_type_store_list (GError **error)
{
  return cradle_type_store_list_full (NULL, error);
}

/* The draft of @scope's folder whose Name is @name (ignoring case, as
 * types are found); (nullable). */
static CradleTypeDraft *
find_in_folder (const char  *folder,
                const char  *name,
                GError     **error)
{
  g_autoptr(GPtrArray) drafts = g_ptr_array_new_with_free_func (g_object_unref);

  if (!list_folder (folder, drafts, NULL, error))
    return NULL;
  for (guint i = 0; i < drafts->len; i++)
    {
      CradleTypeDraft *draft = g_ptr_array_index (drafts, i);

      if (g_ascii_strcasecmp (cradle_type_draft_get_name (draft), name) == 0)
        return g_object_ref (draft);
    }
  return NULL;
}

/* ---- writing the user's folder ------------------------------------------- */

/* Writes @challenge and a line break to a new file of @folder, created
 * 0600; returns its path, to be renamed into place. */
static char *
write_challenge (const char  *folder,
                 const char  *challenge,
                 GError     **error)
{
  g_autofree char *path = g_build_filename (folder, ".challenge-XXXXXX", NULL);
  g_autofree char *line = g_strconcat (challenge, "\n", NULL);
  gsize length = strlen (line);
  gsize written = 0;
  int fd;

  fd = g_mkstemp_full (path, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved_errno = errno;

      explicit_bzero (line, length);
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                   "Could not write the SCEP challenge to %s: %s.", folder, g_strerror (saved_errno));
      return NULL;
    }
  while (written < length)
    {
      gssize got = write (fd, line + written, length - written);

      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0)
        break;
      written += (gsize) got;
    }
  explicit_bzero (line, length);
  if (written < length || fsync (fd) != 0)
    {
      int saved_errno = errno;

      close (fd);
      g_unlink (path);
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                   "Could not write the SCEP challenge to %s: %s.", folder, g_strerror (saved_errno));
      return NULL;
    }
  close (fd);
  return g_steal_pointer (&path);
}

/* Whether @path is a file of @folder (not of a folder below it). */
static gboolean
is_in_folder (const char *path,
              const char *folder)
{
  g_autofree char *dir = path != NULL ? g_path_get_dirname (path) : NULL;

  return dir != NULL && g_str_equal (dir, folder);
}

static gboolean
save_user (CradleTypeDraft  *draft,
           const char       *challenge,
           GError          **error)
{
  g_autofree char *folder = cradle_type_store_dup_folder (CRADLE_TYPE_SCOPE_USER);
  const char *name = cradle_type_draft_get_name (draft);
  g_autofree char *file_name = g_strconcat (name, ".conf", NULL);
  g_autofree char *challenge_name = g_strconcat (name, ".challenge", NULL);
  g_autofree char *path = g_build_filename (folder, file_name, NULL);
  g_autofree char *challenge_path = g_build_filename (folder, challenge_name, NULL);
  g_autofree char *old_source = g_strdup (cradle_type_draft_get_source (draft));
  g_autofree char *old_challenge = g_strdup (cradle_type_draft_get_challenge_file (draft));
  g_autofree char *challenge_temp = NULL;
  g_autofree char *data = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!cradle_paths_ensure_private_dir (folder, error))
    return FALSE;
  if (challenge != NULL && challenge[0] != '\0')
    {
      challenge_temp = write_challenge (folder, challenge, error);
      if (challenge_temp == NULL)
        return FALSE;
      _cradle_type_draft_set_challenge_file (draft, challenge_path);
    }
  else if (challenge != NULL)
    _cradle_type_draft_set_challenge_file (draft, NULL);

  data = cradle_type_draft_dup_data (draft);
  if (!_cradle_type_draft_check (draft, error) ||
      !g_file_set_contents_full (path, data, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, &local_error))
    {
      if (local_error != NULL)
        g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                     "Could not save the certificate type %s: %s.", name, local_error->message);
      if (challenge_temp != NULL)
        g_unlink (challenge_temp);
      _cradle_type_draft_set_challenge_file (draft, old_challenge);
      return FALSE;
    }
  if (challenge_temp != NULL && g_rename (challenge_temp, challenge_path) != 0)
    {
      int saved_errno = errno;

      g_unlink (challenge_temp);
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                   "The certificate type %s is saved, but its SCEP challenge could not be put in %s: %s.",
                   name, challenge_path, g_strerror (saved_errno));
      return FALSE;
    }
  /* A challenge of ours the type no longer names goes. */
  if (old_challenge != NULL && is_in_folder (old_challenge, folder) &&
      g_strcmp0 (old_challenge, cradle_type_draft_get_challenge_file (draft)) != 0)
    g_unlink (old_challenge);
  if (cradle_type_draft_get_challenge_file (draft) == NULL)
    g_unlink (challenge_path);
  /* Renamed: the file it was read from goes. */
  if (old_source != NULL && is_in_folder (old_source, folder) && !g_str_equal (old_source, path))
    g_unlink (old_source);
  _cradle_type_draft_set_source (draft, path);
  return TRUE;
}

/* ---- the administrator's folder, through the helper ---------------------- */

static gboolean
run_helper (const char  *verb,
            const char  *name,
            GBytes      *input,
            GError     **error)
{
  g_autoptr(GSubprocess) helper = NULL;
  g_autoptr(GBytes) err = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *message = NULL;
  int status;

  helper = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                             G_SUBPROCESS_FLAGS_STDERR_PIPE, &local_error,
                             "pkexec", CRADLE_TYPES_HELPER, verb, name, NULL);
  if (helper == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "Could not ask for an administrator's permission to change the certificate types "
                   "of this computer: %s. Install polkit's pkexec, or save the type for yourself.",
                   local_error->message);
      return FALSE;
    }
  if (!g_subprocess_communicate (helper, input, NULL, NULL, &err, &local_error))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                   "Could not change the certificate types of this computer: %s.", local_error->message);
      return FALSE;
    }
  if (g_subprocess_get_if_exited (helper) && g_subprocess_get_exit_status (helper) == 0)
    return TRUE;
  status = g_subprocess_get_if_exited (helper) ? g_subprocess_get_exit_status (helper) : -1;
  if (err != NULL && g_bytes_get_size (err) > 0)
    {
      gsize size = MIN (g_bytes_get_size (err), 2048);

      message = cradle_text_escape (g_bytes_get_data (err, NULL), (gssize) size, CRADLE_TEXT_ESCAPE_DEFAULT);
      g_strstrip (message);
    }
  /* pkexec: 126 when the administrator's password was not given, 127
   * when the user is not allowed. */
  if (status == 126 || status == 127)
    g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
                 "An administrator did not authorise changing the certificate types of this computer%s%s. "
                 "Save the type for yourself, or ask your administrator.",
                 message != NULL && message[0] != '\0' ? ": " : "", message != NULL ? message : "");
  else
    g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                 "Could not change the certificate types of this computer (%s %s): %s",
                 CRADLE_TYPES_HELPER, verb,
                 message != NULL && message[0] != '\0' ? message : "it failed without saying why");
  return FALSE;
}

static gboolean
save_system (CradleTypeDraft  *draft,
             const char       *challenge,
             GError          **error)
{
  g_autofree char *folder = cradle_type_store_dup_folder (CRADLE_TYPE_SCOPE_SYSTEM);
  const char *name = cradle_type_draft_get_name (draft);
  g_autofree char *challenge_name = g_strconcat (name, ".challenge", NULL);
  g_autofree char *challenge_path = g_build_filename (folder, challenge_name, NULL);
  g_autofree char *path = NULL;
  g_autofree char *old_challenge = g_strdup (cradle_type_draft_get_challenge_file (draft));
  g_autofree char *data = NULL;
  g_autoptr(GBytes) input = NULL;
  GByteArray *bytes;

  if (challenge != NULL)
    _cradle_type_draft_set_challenge_file (draft, challenge[0] != '\0' ? challenge_path : NULL);
  if (!_cradle_type_draft_check (draft, error))
    {
      _cradle_type_draft_set_challenge_file (draft, old_challenge);
      return FALSE;
    }
  data = cradle_type_draft_dup_data (draft);
  bytes = g_byte_array_new ();
  g_byte_array_append (bytes, (const guint8 *) data, (guint) strlen (data));
  if (challenge != NULL)
    {
      g_byte_array_append (bytes, (const guint8 *) "", 1);
      g_byte_array_append (bytes, (const guint8 *) challenge, (guint) strlen (challenge));
    }
  input = g_bytes_new_with_free_func (bytes->data, bytes->len, (GDestroyNotify) g_byte_array_unref, bytes);
  if (!run_helper ("save", name, input, error))
    {
      explicit_bzero (bytes->data, bytes->len);
      _cradle_type_draft_set_challenge_file (draft, old_challenge);
      return FALSE;
    }
  explicit_bzero (bytes->data, bytes->len);
  path = g_strconcat (folder, G_DIR_SEPARATOR_S, name, ".conf", NULL);
  _cradle_type_draft_set_source (draft, path);
  return TRUE;
}

/* ---- the public calls ---------------------------------------------------- */

static gboolean
check_challenge (CradleTypeDraft  *draft,
                 const char       *challenge,
                 GError          **error)
{
  if (challenge == NULL || challenge[0] == '\0')
    return TRUE;
  if (g_strcmp0 (cradle_type_draft_get_protocol (draft), "scep") != 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "A challenge password is for SCEP types only; this type's protocol is not scep.");
      return FALSE;
    }
  if (strlen (challenge) > MAX_CHALLENGE || strpbrk (challenge, "\r\n") != NULL ||
      !g_utf8_validate (challenge, -1, NULL))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The SCEP challenge must be one line of text of at most %d bytes.", MAX_CHALLENGE);
      return FALSE;
    }
  return TRUE;
}

gboolean
cradle_type_store_save (CradleTypeDraft  *draft,
                        CradleTypeScope   scope,
                        const char       *challenge,
                        GError          **error)
{
  g_return_val_if_fail (CRADLE_IS_TYPE_DRAFT (draft), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!_cradle_type_draft_check (draft, error) || !check_challenge (draft, challenge, error))
    return FALSE;
  /* A type that is no longer SCEP keeps no challenge. */
  if (challenge == NULL && g_strcmp0 (cradle_type_draft_get_protocol (draft), "scep") != 0)
    challenge = "";
  if (scope == CRADLE_TYPE_SCOPE_SYSTEM)
    return save_system (draft, challenge, error);
  return save_user (draft, challenge, error);
}

gboolean
cradle_type_store_remove (const char       *name,
                          CradleTypeScope   scope,
                          GError          **error)
{
  g_autofree char *folder = NULL;
  g_autoptr(CradleTypeDraft) draft = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *challenge_file;

  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!cradle_cert_type_check_name (name, error))
    return FALSE;
  if (scope == CRADLE_TYPE_SCOPE_SYSTEM)
    return run_helper ("remove", name, NULL, error);

  folder = cradle_type_store_dup_folder (scope);
  draft = find_in_folder (folder, name, &local_error);
  if (draft == NULL)
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                     "There is no certificate type %s in %s. 'cradlectl types list' shows the types "
                     "and where each is kept.", name, folder);
      return FALSE;
    }
  if (g_unlink (cradle_type_draft_get_source (draft)) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED, "Could not remove %s: %s.",
                   cradle_type_draft_get_source (draft), g_strerror (saved_errno));
      return FALSE;
    }
  challenge_file = cradle_type_draft_get_challenge_file (draft);
  if (challenge_file != NULL && is_in_folder (challenge_file, folder))
    g_unlink (challenge_file);
  return TRUE;
}
