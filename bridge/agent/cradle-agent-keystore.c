/* cradle-agent-keystore.c: the agent's folder, its KEK and its keys
 *
 * The certificate stores are in cradle-agent-keystore-certs.c, what a SCEP
 * enrollment's key may do in cradle-agent-keystore-scep.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <openssl/crypto.h>
#include <cradle/cradle.h>

#include "agent/cradle-agent-atomic-private.h"
#include "agent/cradle-agent-keystore-private.h"
#include "agent/cradle-agent-request-info-private.h"
#include "agent/cradle-agent-scep-check-private.h"
#include "agent/cradle-agent-secure-memory-private.h"
#include "agent/cradle-agent-store-file-private.h"

#define KEY_SUFFIX ".key"

G_DEFINE_FINAL_TYPE (CradleAgentKeystore, cradle_agent_keystore, G_TYPE_OBJECT)

static void
cradle_agent_secure_free_kek (guint8 *kek)
{
  cradle_agent_secure_free (kek, CRADLE_AGENT_KEK_SIZE);
}

static void
cradle_agent_keystore_finalize (GObject *object)
{
  CradleAgentKeystore *self = CRADLE_AGENT_KEYSTORE (object);

  g_clear_pointer (&self->kek, cradle_agent_secure_free_kek);
  if (self->lock_fd >= 0)
    close (self->lock_fd);
  g_clear_pointer (&self->folder, g_free);
  g_clear_pointer (&self->keys_folder, g_free);
  g_clear_pointer (&self->stores_path, g_free);
  g_clear_pointer (&self->kek_path, g_free);
  g_clear_pointer (&self->certs, g_ptr_array_unref);

  G_OBJECT_CLASS (cradle_agent_keystore_parent_class)->finalize (object);
}

static void
cradle_agent_keystore_class_init (CradleAgentKeystoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cradle_agent_keystore_finalize;
}

static void
cradle_agent_keystore_init (CradleAgentKeystore *self)
{
  self->lock_fd = -1;
}

/* Opening */

/* Creates @folder 0700 if needed and insists that only we can use it. */
static gboolean
ensure_private_folder (const char  *folder,
                       GError     **error)
{
  struct stat st;

  if (g_mkdir_with_parents (folder, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                   "Could not create the folder '%s': %s", folder, g_strerror (saved_errno));
      return FALSE;
    }
  if (stat (folder, &st) != 0 || !S_ISDIR (st.st_mode))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED, "'%s' is not a folder", folder);
      return FALSE;
    }
  if (st.st_uid != geteuid () || (st.st_mode & 0077) != 0)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
                   "The key store folder '%s' must belong to this account and be closed to "
                   "others (it has mode %04o); run: chown %u '%s' && chmod 700 '%s'",
                   folder, (guint) (st.st_mode & 07777), (guint) geteuid (), folder, folder);
      return FALSE;
    }
  return TRUE;
}

static gboolean
lock_folder (CradleAgentKeystore  *self,
             GError              **error)
{
  self->lock_fd = open (self->folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (self->lock_fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                   "Could not open the folder '%s': %s", self->folder, g_strerror (saved_errno));
      return FALSE;
    }
  /* Released by the kernel when the process ends, however it ends. */
  if (flock (self->lock_fd, LOCK_EX | LOCK_NB) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, CRADLE_ERROR,
                   saved_errno == EWOULDBLOCK ? CRADLE_ERROR_BUSY : CRADLE_ERROR_FAILED,
                   saved_errno == EWOULDBLOCK
                   ? "Another cradle-agent is using the key store '%s'; stop it first"
                   : "Could not lock the key store '%s'",
                   self->folder);
      return FALSE;
    }
  return TRUE;
}

static gboolean
folder_has_keys (const char *keys_folder)
{
  g_autoptr(GDir) dir = g_dir_open (keys_folder, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, KEY_SUFFIX) && !cradle_agent_atomic_is_temp_name (name))
      return TRUE;
  return FALSE;
}

/* Nobody else may change what is in the KEK's folder. */
static gboolean
ensure_kek_folder (const char  *folder,
                   GError     **error)
{
  struct stat st;

  if (g_mkdir_with_parents (folder, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                   "Could not create the folder '%s' for the key-encryption key: %s",
                   folder, g_strerror (saved_errno));
      return FALSE;
    }
  if (stat (folder, &st) != 0 || !S_ISDIR (st.st_mode))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED, "'%s' is not a folder", folder);
      return FALSE;
    }
  /* A sticky folder (/tmp) is fine: others cannot replace our file there,
   * and one they made is refused for its owner. */
  if ((st.st_uid != geteuid () && st.st_uid != 0) || ((st.st_mode & 0022) != 0 && (st.st_mode & S_ISVTX) == 0))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
                   "The folder '%s' of the key-encryption key can be changed by other accounts "
                   "(owner %u, mode %04o); run: chown %u '%s' && chmod 700 '%s'",
                   folder, (guint) st.st_uid, (guint) (st.st_mode & 07777), (guint) geteuid (), folder, folder);
      return FALSE;
    }
  return TRUE;
}

/* Reads a KEK file into a wiped buffer and checks its owner, mode and size.
 * A missing file is CRADLE_ERROR_NOT_FOUND, for the caller to decide about. */
static GBytes *
read_kek_file (const char  *path,
               GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GBytes) contents = NULL;
  struct stat st;

  contents = cradle_agent_read_bounded (path, 4096, &st, &local_error);
  if (contents == NULL && g_error_matches (local_error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (contents == NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  "The key-encryption key '%s' cannot be used: ", path);
      return NULL;
    }
  if (st.st_uid != geteuid () || (st.st_mode & 0077) != 0)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
                   "The key-encryption key '%s' is open to other accounts (mode %04o); "
                   "if nobody else could have read it, run: chown %u '%s' && chmod 600 '%s'",
                   path, (guint) (st.st_mode & 07777), (guint) geteuid (), path, path);
      return NULL;
    }
  if (g_bytes_get_size (contents) != CRADLE_AGENT_KEK_SIZE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The key-encryption key '%s' is %" G_GSIZE_FORMAT " bytes, not %d; "
                   "restore it from a backup",
                   path, g_bytes_get_size (contents), CRADLE_AGENT_KEK_SIZE);
      return NULL;
    }
  return g_steal_pointer (&contents);
}

static gboolean
create_kek (CradleAgentKeystore  *self,
            gboolean             *existed,
            GError              **error)
{
  g_autoptr(GBytes) contents = NULL;

  if (folder_has_keys (self->keys_folder))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                   "The key-encryption key '%s' is missing, but '%s' holds keys sealed under it; "
                   "restore it from a backup (or give the agent its place with --kek-file), "
                   "or move the keys folder aside to start afresh",
                   self->kek_path, self->keys_folder);
      return FALSE;
    }
  if (!cradle_agent_crypto_random (self->kek, CRADLE_AGENT_KEK_SIZE, error))
    return FALSE;
  /* Borrows self->kek: no copy of the KEK to wipe. */
  contents = g_bytes_new_static (self->kek, CRADLE_AGENT_KEK_SIZE);
  return cradle_agent_atomic_create (self->kek_path, contents, 0600, existed, error);
}

static gboolean
load_kek (CradleAgentKeystore  *self,
          GError              **error)
{
  for (guint attempt = 0; attempt < 2; attempt++)
    {
      g_autoptr(GError) local_error = NULL;
      g_autoptr(GBytes) contents = read_kek_file (self->kek_path, &local_error);
      gboolean existed = FALSE;

      if (contents != NULL)
        {
          memcpy (self->kek, g_bytes_get_data (contents, NULL), CRADLE_AGENT_KEK_SIZE);
          return TRUE;
        }
      if (!g_error_matches (local_error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      /* Another agent of the same device may create it at the same moment:
       * then its KEK is the one, and we read it. */
      if (!create_kek (self, &existed, error))
        return FALSE;
      if (!existed)
        return TRUE;
    }
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
               "The key-encryption key '%s' keeps appearing and vanishing; "
               "is another program changing it?", self->kek_path);
  return FALSE;
}

/* A KEK an older agent kept in the key folder moves to its own place: it is
 * created there (never replacing a file), then removed from the key folder,
 * each step durable. A crash in between leaves two equal copies, and the
 * next start removes the old one. */
static gboolean
move_legacy_kek (CradleAgentKeystore  *self,
                 GError              **error)
{
  g_autofree char *legacy = g_build_filename (self->folder, CRADLE_AGENT_KEK_NAME, NULL);
  g_autofree char *legacy_full = g_canonicalize_filename (legacy, NULL);
  g_autofree char *target_full = g_canonicalize_filename (self->kek_path, NULL);
  g_autoptr(GBytes) old_kek = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean existed = FALSE;

  if (g_strcmp0 (legacy_full, target_full) == 0)
    return TRUE;
  old_kek = read_kek_file (legacy, &local_error);
  if (old_kek == NULL && g_error_matches (local_error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND))
    return TRUE;
  if (old_kek == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (!cradle_agent_atomic_create (self->kek_path, old_kek, 0600, &existed, error))
    {
      g_prefix_error (error, "Could not move the key-encryption key out of the key folder: ");
      return FALSE;
    }
  if (existed)
    {
      g_autoptr(GBytes) current = read_kek_file (self->kek_path, error);

      if (current == NULL)
        return FALSE;
      if (!g_bytes_equal (current, old_kek))
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "There are two different key-encryption keys: '%s', left in the key folder by "
                       "an older agent, and '%s'; only one of them opens the keys in '%s'. To keep the "
                       "old one, move it out of the key folder and start the agent with --kek-file "
                       "naming it; to keep '%s', move '%s' aside",
                       legacy, self->kek_path, self->keys_folder, self->kek_path, legacy);
          return FALSE;
        }
    }
  if (!cradle_agent_atomic_unlink (legacy, error))
    return FALSE;
  g_info ("Moved the key-encryption key from '%s' to '%s'", legacy, self->kek_path);
  return TRUE;
}

static gboolean
load_stores (CradleAgentKeystore  *self,
             GError              **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GBytes) contents = NULL;

  contents = cradle_agent_read_bounded (self->stores_path, CRADLE_AGENT_STORES_MAX_SIZE, NULL, &local_error);
  if (contents == NULL && g_error_matches (local_error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND))
    {
      self->certs = g_ptr_array_new_with_free_func ((GDestroyNotify) cradle_agent_cert_free);
      return TRUE;
    }
  if (contents != NULL)
    self->certs = cradle_agent_store_file_decode (contents, &local_error);
  if (self->certs != NULL)
    return TRUE;

  if (g_error_matches (local_error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA))
    g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                 "The certificate stores file '%s' is damaged (%s); "
                 "move it aside to start with an empty store",
                 self->stores_path, local_error->message);
  else
    g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

/**
 * cradle_agent_keystore_open_full:
 * @folder: where the agent keeps its keys and stores
 * @kek_path: (nullable): the key-encryption key's file, apart from @folder;
 *   %NULL keeps it in @folder ("kek"), for tests and older layouts
 * @privileged: whether writes to the system stores are allowed
 * @error: return location for a #GError
 *
 * Opens the key store, creating the folder (0700) and the KEK on first use,
 * and removing temporary files left by a crash. A KEK an older agent kept in
 * @folder is moved to @kek_path. The folder is locked for as long as the
 * keystore lives: a second open fails with CRADLE_ERROR_BUSY. The KEK is
 * held in memory kept out of core dumps (cradle-agent-secure-memory-private.h).
 *
 * Returns: (transfer full): the keystore
 */
CradleAgentKeystore *
cradle_agent_keystore_open_full (const char  *folder,
                                 const char  *kek_path,
                                 gboolean     privileged,
                                 GError     **error)
{
  g_autoptr(CradleAgentKeystore) self = NULL;
  g_autofree char *kek_folder = NULL;

  g_return_val_if_fail (folder != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!cradle_agent_secure_memory_init (error))
    return NULL;
  self = g_object_new (CRADLE_TYPE_AGENT_KEYSTORE, NULL);
  self->folder = g_strdup (folder);
  self->keys_folder = g_build_filename (folder, CRADLE_AGENT_KEYS_NAME, NULL);
  self->stores_path = g_build_filename (folder, CRADLE_AGENT_STORES_NAME, NULL);
  self->kek_path = kek_path != NULL ? g_strdup (kek_path) : g_build_filename (folder, CRADLE_AGENT_KEK_NAME, NULL);
  self->kek = cradle_agent_secure_alloc (CRADLE_AGENT_KEK_SIZE);
  self->privileged = privileged;
  kek_folder = g_path_get_dirname (self->kek_path);

  if (!ensure_private_folder (self->folder, error)
      || !lock_folder (self, error)
      || !ensure_private_folder (self->keys_folder, error)
      || !cradle_agent_atomic_remove_stale (self->folder, error)
      || !cradle_agent_atomic_remove_stale (self->keys_folder, error)
      || !ensure_kek_folder (kek_folder, error)
      || !move_legacy_kek (self, error)
      || !load_kek (self, error)
      || !load_stores (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

/**
 * cradle_agent_keystore_open:
 * @folder: where the agent keeps its keys, its stores and its KEK
 * @privileged: whether writes to the system stores are allowed
 * @error: return location for a #GError
 *
 * cradle_agent_keystore_open_full() with the KEK in @folder.
 *
 * Returns: (transfer full): the keystore
 */
CradleAgentKeystore *
cradle_agent_keystore_open (const char  *folder,
                            gboolean     privileged,
                            GError     **error)
{
  return cradle_agent_keystore_open_full (folder, NULL, privileged, error);
}

/* Keys */

const char * const *
cradle_agent_keystore_key_types (void)
{
  static const char * const types[] = { "rsa2048", "rsa3072", "rsa4096", "p256", "p384", NULL };

  return types;
}

static gboolean
key_id_valid (GBytes *key_id)
{
  return key_id != NULL && g_bytes_get_size (key_id) == CRADLE_AGENT_KEY_ID_SIZE;
}

char *
cradle_agent_keystore_key_id_hex (GBytes *key_id)
{
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (key_id, &size);
  GString *hex = g_string_sized_new (size * 2);

  for (gsize i = 0; i < size; i++)
    g_string_append_printf (hex, "%02x", data[i]);
  return g_string_free (hex, FALSE);
}

static gboolean
check_key_id (GBytes  *key_id,
              GError **error)
{
  if (key_id_valid (key_id))
    return TRUE;
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
               "A key id is %d bytes; this one is %" G_GSIZE_FORMAT,
               CRADLE_AGENT_KEY_ID_SIZE, key_id != NULL ? g_bytes_get_size (key_id) : 0);
  return FALSE;
}

char *
cradle_agent_keystore_key_path (CradleAgentKeystore *self,
                                GBytes              *key_id)
{
  g_autofree char *hex = cradle_agent_keystore_key_id_hex (key_id);
  g_autofree char *name = g_strconcat (hex, KEY_SUFFIX, NULL);

  return g_build_filename (self->keys_folder, name, NULL);
}

CradleAgentKeyFile *
cradle_agent_keystore_load_key (CradleAgentKeystore  *self,
                                GBytes               *key_id,
                                GError              **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GBytes) contents = NULL;
  g_autoptr(CradleAgentKeyFile) key_file = NULL;
  g_autofree char *path = NULL;

  if (!check_key_id (key_id, error))
    return NULL;
  path = cradle_agent_keystore_key_path (self, key_id);
  contents = cradle_agent_read_bounded (path, CRADLE_AGENT_KEY_FILE_MAX_SIZE, NULL, &local_error);
  if (contents == NULL && g_error_matches (local_error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND))
    {
      g_autofree char *hex = cradle_agent_keystore_key_id_hex (key_id);

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND, "There is no key %s on this device", hex);
      return NULL;
    }
  if (contents != NULL)
    key_file = cradle_agent_key_file_decode (contents, &local_error);
  if (key_file != NULL && !g_bytes_equal (key_file->key_id, key_id))
    {
      g_clear_pointer (&key_file, cradle_agent_key_file_free);
      g_set_error_literal (&local_error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "it holds another key than its name says");
    }
  if (key_file != NULL)
    return g_steal_pointer (&key_file);

  if (g_error_matches (local_error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA))
    g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                 "The key file '%s' is damaged (%s); its key cannot be used: "
                 "move the file aside and enroll a new key",
                 path, local_error->message);
  else
    g_propagate_error (error, g_steal_pointer (&local_error));
  return NULL;
}

gboolean
cradle_agent_keystore_save_key (CradleAgentKeystore       *self,
                                const CradleAgentKeyFile  *key_file,
                                GError                   **error)
{
  g_autofree char *path = cradle_agent_keystore_key_path (self, key_file->key_id);
  g_autoptr(GBytes) contents = cradle_agent_key_file_encode (key_file);

  if (!cradle_agent_atomic_write (path, contents, 0600, error))
    {
      g_prefix_error (error, "Could not record the key's new state: ");
      return FALSE;
    }
  return TRUE;
}

gboolean
cradle_agent_keystore_key_is_bound (CradleAgentKeystore *self,
                                    GBytes              *key_id)
{
  for (guint i = 0; i < self->certs->len; i++)
    {
      const CradleAgentCert *cert = g_ptr_array_index (self->certs, i);

      if (cert->key_id != NULL && g_bytes_equal (cert->key_id, key_id))
        return TRUE;
    }
  return FALSE;
}

CradleAgentKeyState
cradle_agent_keystore_key_state (CradleAgentKeystore       *self,
                                 const CradleAgentKeyFile  *key_file)
{
  if (key_file->state == CRADLE_AGENT_KEY_MADE && cradle_agent_keystore_key_is_bound (self, key_file->key_id))
    return CRADLE_AGENT_KEY_ENROLLED;
  return key_file->state;
}

const char *
cradle_agent_key_state_to_string (CradleAgentKeyState state)
{
  switch (state)
    {
    case CRADLE_AGENT_KEY_MADE: return "made";
    case CRADLE_AGENT_KEY_ENROLLED: return "enrolled";
    case CRADLE_AGENT_KEY_RETIRED: return "retired";
    default: return "unknown";
    }
}

/* The key, if it is still made for its enrollment; @use says what was asked. */
CradleAgentKeyFile *
_cradle_agent_keystore_load_made_key (CradleAgentKeystore  *self,
                                      GBytes               *key_id,
                                      const char           *use,
                                      GError              **error)
{
  g_autoptr(CradleAgentKeyFile) key_file = cradle_agent_keystore_load_key (self, key_id, error);
  CradleAgentKeyState state;
  g_autofree char *hex = NULL;

  if (key_file == NULL)
    return NULL;
  state = cradle_agent_keystore_key_state (self, key_file);
  if (state == CRADLE_AGENT_KEY_MADE)
    return g_steal_pointer (&key_file);

  hex = cradle_agent_keystore_key_id_hex (key_id);
  if (state == CRADLE_AGENT_KEY_ENROLLED)
    g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
                 "The key %s is enrolled (its certificate was installed), so it can no longer %s: "
                 "only a key still in the enrollment it was made for can. Enroll a new key instead",
                 hex, use);
  else
    g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
                 "The key %s is retired (its certificate was deleted on the device) and can never "
                 "%s again. Enroll a new key instead", hex, use);
  return NULL;
}

static gboolean
owned_by (const CradleAgentKeyFile *key_file,
          GBytes                   *host_id)
{
  return key_file->owner != NULL && host_id != NULL && g_bytes_equal (key_file->owner, host_id);
}

gboolean
_cradle_agent_keystore_check_owner (const CradleAgentKeyFile  *key_file,
                                    GBytes                    *host_id,
                                    const char                *use,
                                    GError                   **error)
{
  g_autofree char *hex = NULL;

  if (owned_by (key_file, host_id))
    return TRUE;
  hex = cradle_agent_keystore_key_id_hex (key_file->key_id);
  if (host_id == NULL)
    g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
                 "Only the paired computer that made the key %s can %s, and this computer is not "
                 "paired with the device", hex, use);
  else if (key_file->owner == NULL)
    g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
                 "The key %s belongs to no computer (an older agent made it), so no computer can %s. "
                 "Enroll a new key instead", hex, use);
  else
    g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
                 "The key %s was made by another computer; only that computer can %s", hex, use);
  return FALSE;
}

/* The private key, in memory only as long as the caller holds it. */
EVP_PKEY *
cradle_agent_keystore_unseal_key (CradleAgentKeystore       *self,
            const CradleAgentKeyFile  *key_file,
            GError                   **error)
{
  g_autoptr(CradleAgentSecret) pkcs8 = NULL;
  g_autoptr(EVP_PKEY) pkey = NULL;
  g_autoptr(GBytes) public_key = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *path = NULL;

  pkcs8 = cradle_agent_key_file_unseal (key_file, self->kek, &local_error);
  if (pkcs8 != NULL)
    pkey = cradle_agent_crypto_private_parse (pkcs8, &local_error);
  if (pkey != NULL)
    public_key = cradle_agent_crypto_public_der (pkey, &local_error);
  if (public_key != NULL && (!cradle_agent_crypto_key_is_type (pkey, key_file->key_type)
                             || !g_bytes_equal (public_key, key_file->public_key)))
    g_set_error_literal (&local_error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                         "the private key does not match the key's type or public key");
  if (local_error == NULL)
    return g_steal_pointer (&pkey);

  path = cradle_agent_keystore_key_path (self, key_file->key_id);
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
               "The key file '%s' is damaged (%s); its key cannot be used: "
               "move the file aside and enroll a new key",
               path, local_error->message);
  return NULL;
}

/* Stores @pkcs8 as a new key file, sealed under the KEK, with an id drawn
 * at random: key files are never replaced, so a (vanishingly unlikely)
 * taken id is drawn again.  The caller holds the folder lock, which
 * makes the check and the write one step.  Returns: the key's id. */
GBytes *
_cradle_agent_keystore_store_new_key (CradleAgentKeystore      *self,
                                      const char               *key_type,
                                      const char               *profile,
                                      GBytes                   *profile_details,
                                      GBytes                   *public_key,
                                      CradleAgentEnrollmentKind kind,
                                      GBytes                   *host_id,
                                      CradleAgentKeyOrigin      origin,
                                      const CradleAgentSecret  *pkcs8,
                                      GError                  **error)
{
  g_autoptr(GBytes) id = NULL;
  g_autoptr(CradleAgentKeyFile) key_file = NULL;
  g_autoptr(GBytes) contents = NULL;
  g_autofree char *path = NULL;
  guint8 id_data[CRADLE_AGENT_KEY_ID_SIZE];

  do
    {
      g_clear_pointer (&id, g_bytes_unref);
      g_clear_pointer (&path, g_free);
      if (!cradle_agent_crypto_random (id_data, sizeof id_data, error))
        return NULL;
      id = g_bytes_new (id_data, sizeof id_data);
      path = cradle_agent_keystore_key_path (self, id);
    }
  while (g_file_test (path, G_FILE_TEST_EXISTS));

  key_file = cradle_agent_key_file_seal (id, key_type, profile, profile_details, public_key, kind, host_id, origin,
                                         pkcs8, self->kek, error);
  if (key_file == NULL)
    return NULL;
  contents = cradle_agent_key_file_encode (key_file);
  if (!cradle_agent_atomic_write (path, contents, 0600, error))
    return NULL;
  return g_steal_pointer (&id);
}

/**
 * cradle_agent_keystore_generate:
 * @self: a #CradleAgentKeystore
 * @key_type: one of cradle_agent_keystore_key_types()
 * @profile: what the key is for, shown to the device's user
 * @profile_details: (nullable): at most 4 KiB for the device's records
 * @kind: the enrollment protocol the key is made for
 * @host_id: (nullable): the SHA-256 of the paired host's public key: the key's owner
 * @key_id: (out) (optional): the new key's id
 * @public_key_info: (out) (optional): its DER SubjectPublicKeyInfo
 * @error: return location for a #GError
 *
 * Generates a key pair and stores the private key sealed under the KEK,
 * made for one enrollment of @kind by @host_id. An unknown @key_type is
 * CRADLE_ERROR_NOT_SUPPORTED.
 */
gboolean
cradle_agent_keystore_generate (CradleAgentKeystore  *self,
                                const char           *key_type,
                                const char           *profile,
                                GBytes               *profile_details,
                                CradleAgentEnrollmentKind kind,
                                GBytes               *host_id,
                                GBytes              **key_id,
                                GBytes              **public_key_info,
                                GError              **error)
{
  g_autoptr(EVP_PKEY) pkey = NULL;
  g_autoptr(CradleAgentSecret) pkcs8 = NULL;
  g_autoptr(GBytes) public_key = NULL;
  g_autoptr(GBytes) id = NULL;

  g_return_val_if_fail (CRADLE_IS_AGENT_KEYSTORE (self), FALSE);
  g_return_val_if_fail (key_type != NULL, FALSE);
  g_return_val_if_fail (profile != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (kind != CRADLE_AGENT_ENROLLMENT_REQUEST && kind != CRADLE_AGENT_ENROLLMENT_SCEP)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "This device makes keys for a certification request (1) or a SCEP enrollment (2), "
                   "not for enrollment kind %u", (guint) kind);
      return FALSE;
    }
  if (host_id != NULL && g_bytes_get_size (host_id) != CRADLE_AGENT_HOST_ID_SIZE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "A host id is %d bytes; this one is %" G_GSIZE_FORMAT,
                   CRADLE_AGENT_HOST_ID_SIZE, g_bytes_get_size (host_id));
      return FALSE;
    }
  if (!cradle_agent_crypto_key_type_known (key_type))
    {
      g_autofree char *known = g_strjoinv (", ", (char **) cradle_agent_keystore_key_types ());

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "This device cannot make '%s' keys; it makes %s", key_type, known);
      return FALSE;
    }
  if (strlen (profile) > CRADLE_AGENT_PROFILE_MAX_SIZE || !g_utf8_validate (profile, -1, NULL))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The profile must be UTF-8 text of at most %d bytes", CRADLE_AGENT_PROFILE_MAX_SIZE);
      return FALSE;
    }
  if (profile_details != NULL && g_bytes_get_size (profile_details) > CRADLE_AGENT_PROFILE_DETAILS_MAX)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The profile details are %" G_GSIZE_FORMAT " bytes, more than the %d allowed",
                   g_bytes_get_size (profile_details), CRADLE_AGENT_PROFILE_DETAILS_MAX);
      return FALSE;
    }

  pkey = cradle_agent_crypto_generate (key_type, error);
  if (pkey == NULL)
    return FALSE;
  public_key = cradle_agent_crypto_public_der (pkey, error);
  if (public_key == NULL)
    return FALSE;
  pkcs8 = cradle_agent_crypto_private_der (pkey, error);
  if (pkcs8 == NULL)
    return FALSE;
  g_clear_pointer (&pkey, EVP_PKEY_free);

  id = _cradle_agent_keystore_store_new_key (self, key_type, profile, profile_details, public_key, kind, host_id,
                                            CRADLE_AGENT_KEY_GENERATED, pkcs8, error);
  if (id == NULL)
    return FALSE;
  g_clear_pointer (&pkcs8, cradle_agent_secret_free);

  g_debug ("Generated a %s key for '%s' (%s)", key_type, profile,
           kind == CRADLE_AGENT_ENROLLMENT_SCEP ? "SCEP" : "certification request");
  if (key_id != NULL)
    *key_id = g_steal_pointer (&id);
  if (public_key_info != NULL)
    *public_key_info = g_steal_pointer (&public_key);
  return TRUE;
}

gboolean
cradle_agent_keystore_has_key (CradleAgentKeystore *self,
                               GBytes              *key_id)
{
  g_autofree char *path = NULL;
  struct stat st;

  g_return_val_if_fail (CRADLE_IS_AGENT_KEYSTORE (self), FALSE);

  if (!key_id_valid (key_id))
    return FALSE;
  path = cradle_agent_keystore_key_path (self, key_id);
  return lstat (path, &st) == 0 && S_ISREG (st.st_mode);
}

CradleAgentKeyState
cradle_agent_keystore_get_state (CradleAgentKeystore *self,
                                 GBytes              *key_id)
{
  g_autoptr(CradleAgentKeyFile) key_file = NULL;

  g_return_val_if_fail (CRADLE_IS_AGENT_KEYSTORE (self), 0);

  if (!cradle_agent_keystore_has_key (self, key_id))
    return 0;
  key_file = cradle_agent_keystore_load_key (self, key_id, NULL);
  return key_file != NULL ? cradle_agent_keystore_key_state (self, key_file) : 0;
}

gboolean
cradle_agent_keystore_is_pending (CradleAgentKeystore *self,
                                  GBytes              *key_id)
{
  return cradle_agent_keystore_get_state (self, key_id) == CRADLE_AGENT_KEY_MADE;
}

GBytes *
cradle_agent_keystore_dup_public_key (CradleAgentKeystore  *self,
                                      GBytes               *key_id,
                                      GError              **error)
{
  g_autoptr(CradleAgentKeyFile) key_file = NULL;

  g_return_val_if_fail (CRADLE_IS_AGENT_KEYSTORE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  key_file = cradle_agent_keystore_load_key (self, key_id, error);
  return key_file != NULL ? g_bytes_ref (key_file->public_key) : NULL;
}

gboolean
cradle_agent_keystore_check_request_info (CradleAgentKeystore  *self,
                                          GBytes               *key_id,
                                          GBytes               *cri,
                                          char                **subject,
                                          GError              **error)
{
  g_autoptr(CradleAgentKeyFile) key_file = NULL;
  g_autofree char *text = NULL;

  g_return_val_if_fail (CRADLE_IS_AGENT_KEYSTORE (self), FALSE);
  g_return_val_if_fail (cri != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  key_file = _cradle_agent_keystore_load_made_key (self, key_id, "sign a certification request", error);
  if (key_file == NULL)
    return FALSE;
  text = cradle_agent_request_info_check (cri, key_file->public_key, error);
  if (text == NULL)
    return FALSE;
  if (subject != NULL)
    *subject = g_steal_pointer (&text);
  return TRUE;
}

GBytes *
cradle_agent_keystore_sign (CradleAgentKeystore  *self,
                            GBytes               *key_id,
                            const char           *digest,
                            GBytes               *data,
                            char                **algorithm,
                            GError              **error)
{
  g_autoptr(CradleAgentKeyFile) key_file = NULL;
  g_autoptr(EVP_PKEY) pkey = NULL;

  g_return_val_if_fail (CRADLE_IS_AGENT_KEYSTORE (self), NULL);
  g_return_val_if_fail (data != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!cradle_agent_crypto_check_digest (digest, error))
    return NULL;
  key_file = _cradle_agent_keystore_load_made_key (self, key_id, "sign", error);
  if (key_file == NULL)
    return NULL;
  pkey = cradle_agent_keystore_unseal_key (self, key_file, error);
  if (pkey == NULL)
    return NULL;
  return cradle_agent_crypto_sign (pkey, digest, data, algorithm, error);
}

CradleAgentSecret *
cradle_agent_keystore_decrypt_key (CradleAgentKeystore  *self,
                                   GBytes               *key_id,
                                   GError              **error)
{
  g_autoptr(CradleAgentKeyFile) key_file = cradle_agent_keystore_load_key (self, key_id, error);

  if (key_file == NULL)
    return NULL;
  return cradle_agent_key_file_unseal (key_file, self->kek, error);
}

gboolean
cradle_agent_keystore_delete_key (CradleAgentKeystore  *self,
                                  GBytes               *key_id,
                                  GBytes               *host_id,
                                  GError              **error)
{
  g_autoptr(CradleAgentKeyFile) key_file = NULL;
  g_autofree char *path = NULL;

  g_return_val_if_fail (CRADLE_IS_AGENT_KEYSTORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_key_id (key_id, error))
    return FALSE;
  key_file = _cradle_agent_keystore_load_made_key (self, key_id, "be deleted", error);
  if (key_file == NULL || !_cradle_agent_keystore_check_owner (key_file, host_id, "delete it", error))
    return FALSE;
  path = cradle_agent_keystore_key_path (self, key_id);
  return cradle_agent_atomic_unlink (path, error);
}
