/* cradle-host-pairing.c: the host key and the pinned device keys */
#include "config.h"

#include <errno.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <cradle/cradle.h>

#include "protocol/cradle-bridge-pairing-private.h"
#include "host/cradle-host-pairing-private.h"
#include "base/cradle-openssl-private.h"

#define HOST_KEY_NAME      "host-key.pem"
#define PAIRED_FOLDER_NAME "paired-devices"
#define MAX_FILE_SIZE      (16 * 1024)
#define GROUP              "Paired Device"

void
cradle_host_identity_free (CradleHostIdentity *identity)
{
  if (identity == NULL)
    return;
  g_clear_pointer (&identity->key, EVP_PKEY_free);
  g_clear_pointer (&identity->public_key, g_bytes_unref);
  g_free (identity->host_name);
  g_free (identity->user_name);
  g_free (identity);
}

/* At most CRADLE_BRIDGE_LABEL_MAX bytes, cut at a character boundary. */
static char *
dup_label (const char *text)
{
  const char *end = text;

  if (text == NULL || !g_utf8_validate (text, -1, NULL))
    return g_strdup ("unknown");
  while (*end != '\0')
    {
      const char *next = g_utf8_next_char (end);

      if (next - text > CRADLE_BRIDGE_LABEL_MAX)
        break;
      end = next;
    }
  return g_strndup (text, end - text);
}

static char *
dup_state_path (const char *name)
{
  g_autofree char *state = cradle_paths_dup_state_dir ();

  return g_build_filename (state, name, NULL);
}

static GBytes *
read_small_file (const char  *path,
                 GError     **error)
{
  GStatBuf st;
  g_autofree char *contents = NULL;
  gsize size = 0;

  if (g_stat (path, &st) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, CRADLE_ERROR, saved_errno == ENOENT ? CRADLE_ERROR_NOT_FOUND : CRADLE_ERROR_FAILED,
                   "Could not read %s: %s", path, g_strerror (saved_errno));
      return NULL;
    }
  if (!S_ISREG (st.st_mode) || st.st_size > MAX_FILE_SIZE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s is not a pairing file (not a regular file, or over %d bytes). "
                   "Move it aside; Cradle makes a new one and the device asks to pair again.",
                   path, MAX_FILE_SIZE);
      return NULL;
    }
  if (!g_file_get_contents (path, &contents, &size, error))
    return NULL;
  return g_bytes_new_take (g_steal_pointer (&contents), size);
}

static EVP_PKEY *
load_key (const char  *path,
          GError     **error)
{
  g_autoptr(GBytes) contents = read_small_file (path, error);
  g_autoptr(BIO) bio = NULL;
  EVP_PKEY *key;

  if (contents == NULL)
    return NULL;
  bio = BIO_new_mem_buf (g_bytes_get_data (contents, NULL), (int) g_bytes_get_size (contents));
  key = bio != NULL ? PEM_read_bio_PrivateKey (bio, NULL, NULL, NULL) : NULL;
  if (key == NULL || EVP_PKEY_get_id (key) != EVP_PKEY_ED25519)
    {
      ERR_clear_error ();
      EVP_PKEY_free (key);
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "This computer's pairing key %s is damaged. Move it aside: Cradle makes a new "
                   "one, and each device asks once more to trust this computer.", path);
      return NULL;
    }
  return key;
}

/* Writes a new key beside @path and links it in place, so two programs
 * making the first key at once end up with the same one.  The file written
 * first is this call's own: two threads of one program (a batch pairing
 * several devices at once) would otherwise write, link and remove the
 * same one under each other. */
static EVP_PKEY *
create_key (const char  *path,
            GError     **error)
{
  static gint calls;
  g_autoptr(EVP_PKEY) key = cradle_bridge_identity_generate (error);
  g_autoptr(BIO) bio = BIO_new (BIO_s_mem ());
  g_autofree char *temporary = g_strdup_printf ("%s.new-%u-%u", path, (guint) getpid (),
                                                (guint) g_atomic_int_add (&calls, 1));
  char *pem = NULL;
  long size;

  if (key == NULL)
    return NULL;
  if (bio == NULL || PEM_write_bio_PrivateKey (bio, key, NULL, NULL, 0, NULL, NULL) != 1)
    {
      ERR_clear_error ();
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_FAILED, "Could not encode this computer's pairing key");
      return NULL;
    }
  size = BIO_get_mem_data (bio, &pem);
  if (!g_file_set_contents_full (temporary, pem, size, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    {
      g_prefix_error (error, "Could not save this computer's pairing key: ");
      return NULL;
    }
  OPENSSL_cleanse (pem, size);
  if (link (temporary, path) != 0)
    {
      int saved_errno = errno;

      g_unlink (temporary);
      if (saved_errno == EEXIST)
        return load_key (path, error);
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                   "Could not save this computer's pairing key %s: %s", path, g_strerror (saved_errno));
      return NULL;
    }
  g_unlink (temporary);
  return g_steal_pointer (&key);
}

CradleHostIdentity *
cradle_host_identity_load (GError **error)
{
  g_autofree char *state = cradle_paths_dup_state_dir ();
  g_autofree char *path = g_build_filename (state, HOST_KEY_NAME, NULL);
  g_autoptr(CradleHostIdentity) identity = g_new0 (CradleHostIdentity, 1);
  g_autoptr(GError) local_error = NULL;

  if (!cradle_paths_ensure_private_dir (state, error))
    return NULL;
  identity->key = load_key (path, &local_error);
  if (identity->key == NULL && g_error_matches (local_error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND))
    {
      g_clear_error (&local_error);
      identity->key = create_key (path, &local_error);
    }
  if (identity->key == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  identity->public_key = cradle_bridge_key_raw_public (identity->key);
  identity->host_name = dup_label (g_get_host_name ());
  identity->user_name = dup_label (g_get_user_name ());
  return g_steal_pointer (&identity);
}

static char *
dup_pin_path (const char *serial)
{
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, serial, -1);
  g_autofree char *name = g_strconcat (hash, ".device", NULL);
  g_autofree char *folder = dup_state_path (PAIRED_FOLDER_NAME);

  return g_build_filename (folder, name, NULL);
}

static GBytes *
bytes_from_hex (const char *hex)
{
  gsize length = hex != NULL ? strlen (hex) : 0;
  g_autoptr(GByteArray) bytes = g_byte_array_new ();

  if (length == 0 || length % 2 != 0)
    return NULL;
  for (gsize i = 0; i < length; i += 2)
    {
      int high = g_ascii_xdigit_value (hex[i]);
      int low = g_ascii_xdigit_value (hex[i + 1]);
      guint8 byte;

      if (high < 0 || low < 0)
        return NULL;
      byte = (guint8) (high << 4 | low);
      g_byte_array_append (bytes, &byte, 1);
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&bytes));
}

GBytes *
cradle_host_pin_lookup (const char  *serial,
                        GError     **error)
{
  g_autofree char *path = dup_pin_path (serial);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GBytes) contents = read_small_file (path, &local_error);
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autofree char *stored_serial = NULL;
  g_autofree char *hex = NULL;
  g_autoptr(GBytes) key = NULL;

  if (contents == NULL)
    {
      if (g_error_matches (local_error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND))
        return NULL;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (g_key_file_load_from_bytes (file, contents, G_KEY_FILE_NONE, NULL))
    {
      stored_serial = g_key_file_get_string (file, GROUP, "Serial", NULL);
      hex = g_key_file_get_string (file, GROUP, "Key", NULL);
      key = bytes_from_hex (hex);
    }
  if (g_strcmp0 (stored_serial, serial) != 0 || key == NULL || g_bytes_get_size (key) != CRADLE_BRIDGE_KEY_SIZE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The record of the pairing with device %s (%s) is damaged. Forget the device "
                   "('cradlectl devices --forget %s') and pair it again.", serial, path, serial);
      return NULL;
    }
  return g_steal_pointer (&key);
}

gboolean
cradle_host_pin_save (const char  *serial,
                      const char  *model,
                      GBytes      *device_key,
                      GError     **error)
{
  g_autofree char *folder = dup_state_path (PAIRED_FOLDER_NAME);
  g_autofree char *path = dup_pin_path (serial);
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autofree char *contents = NULL;
  g_autoptr(GString) key_hex = g_string_new (NULL);
  gsize size = 0;
  const guint8 *key = g_bytes_get_data (device_key, &size);

  for (gsize i = 0; i < size; i++)
    g_string_append_printf (key_hex, "%02x", key[i]);
  g_key_file_set_string (file, GROUP, "Serial", serial);
  g_key_file_set_string (file, GROUP, "Model", model != NULL ? model : "");
  g_key_file_set_string (file, GROUP, "Key", key_hex->str);
  g_key_file_set_int64 (file, GROUP, "Paired", g_get_real_time () / G_USEC_PER_SEC);
  contents = g_key_file_to_data (file, &size, NULL);
  if (!cradle_paths_ensure_private_dir (folder, error) ||
      !g_file_set_contents_full (path, contents, size, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
    {
      g_prefix_error (error, "Could not remember the pairing with device %s: ", serial);
      return FALSE;
    }
  return TRUE;
}

gboolean
cradle_host_pin_forget (const char  *serial,
                        gboolean    *removed,
                        GError     **error)
{
  g_autofree char *path = dup_pin_path (serial);

  if (removed != NULL)
    *removed = FALSE;
  if (g_unlink (path) == 0)
    {
      if (removed != NULL)
        *removed = TRUE;
      return TRUE;
    }
  if (errno == ENOENT)
    return TRUE;
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED, "Could not forget device %s: %s (%s)",
               serial, g_strerror (errno), path);
  return FALSE;
}
