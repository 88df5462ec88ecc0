/* cradle-agent-key-file.c: the format of one sealed private key */
#include "config.h"

#include <cradle/cradle.h>

#include "agent/cradle-agent-key-file-private.h"
#include "agent/cradle-agent-keystore.h"

enum {
  FIELD_VERSION = 1,
  FIELD_KEY_ID,
  FIELD_KEY_TYPE,
  FIELD_PROFILE,
  FIELD_DETAILS,
  FIELD_PUBLIC_KEY,
  FIELD_NONCE,
  FIELD_CIPHERTEXT,
  FIELD_TAG,
  FIELD_CREATED,
  FIELD_OWNER,
  FIELD_KIND,
  FIELD_STATE,
  FIELD_DECRYPTIONS,
  FIELD_MARK_RENEWS,
  FIELD_MARK_REQUEST,
  FIELD_MARK_CONFIRMED,
  FIELD_MARK_HOST,
  FIELD_MARK_DECRYPTIONS,
  FIELD_ORIGIN,
};

/* Generous for an RSA 4096 SubjectPublicKeyInfo (550 bytes) and PKCS#8 (2.4 KiB). */
#define PUBLIC_KEY_MAX_SIZE 4096
#define CIPHERTEXT_MAX_SIZE 16384

#define CBOR_DEVICE_PREFIX "Malformed message from the device: "

CradleCborValue *
cradle_agent_file_decode_map (GBytes  *contents,
                              GError **error)
{
  g_autoptr(GError) local_error = NULL;
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (contents, &size);
  CradleCborValue *map;

  if (size == 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "it is empty");
      return NULL;
    }
  map = cradle_cbor_decode_map (data, size, &local_error);
  if (map == NULL)
    {
      /* The decoder speaks of device messages; here the bytes came from a file. */
      const char *reason = local_error->message;

      if (g_str_has_prefix (reason, CBOR_DEVICE_PREFIX))
        reason += strlen (CBOR_DEVICE_PREFIX);
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "%s", reason);
    }
  return map;
}

/* Field lookups on a decoded file: same rewording as above. */
static void
reword (GError **error)
{
  if (error != NULL && *error != NULL && g_str_has_prefix ((*error)->message, CBOR_DEVICE_PREFIX))
    {
      char *reason = g_strdup ((*error)->message + strlen (CBOR_DEVICE_PREFIX));

      g_free ((*error)->message);
      (*error)->message = reason;
    }
}

void
cradle_agent_key_file_free (CradleAgentKeyFile *key_file)
{
  if (key_file == NULL)
    return;
  g_clear_pointer (&key_file->key_id, g_bytes_unref);
  g_clear_pointer (&key_file->key_type, g_free);
  g_clear_pointer (&key_file->profile, g_free);
  g_clear_pointer (&key_file->details, g_bytes_unref);
  g_clear_pointer (&key_file->public_key, g_bytes_unref);
  g_clear_pointer (&key_file->nonce, g_bytes_unref);
  g_clear_pointer (&key_file->ciphertext, g_bytes_unref);
  g_clear_pointer (&key_file->tag, g_bytes_unref);
  g_clear_pointer (&key_file->owner, g_bytes_unref);
  cradle_agent_key_file_clear_mark (key_file);
  g_free (key_file);
}

void
cradle_agent_key_file_clear_mark (CradleAgentKeyFile *key_file)
{
  g_clear_pointer (&key_file->mark_renews, g_bytes_unref);
  g_clear_pointer (&key_file->mark_request, g_bytes_unref);
  g_clear_pointer (&key_file->mark_host, g_bytes_unref);
  key_file->mark_confirmed = 0;
  key_file->mark_decryptions = 0;
}

static GBytes *
make_aad (GBytes              *key_id,
          const char          *key_type,
          CradleAgentKeyOrigin origin)
{
  GByteArray *aad = g_byte_array_new ();
  static const char imported[] = "imported";

  /* The key id has a fixed size, so the concatenation is unambiguous. */
  g_byte_array_append (aad, g_bytes_get_data (key_id, NULL), g_bytes_get_size (key_id));
  g_byte_array_append (aad, (const guint8 *) key_type, strlen (key_type));
  /* An imported key's origin is sealed with it (a key type holds no NUL):
   * a file edited to call it generated no longer opens. */
  if (origin == CRADLE_AGENT_KEY_IMPORTED)
    g_byte_array_append (aad, (const guint8 *) imported, sizeof imported);
  return g_byte_array_free_to_bytes (aad);
}

CradleAgentKeyFile *
cradle_agent_key_file_seal (GBytes                   *key_id,
                            const char               *key_type,
                            const char               *profile,
                            GBytes                   *details,
                            GBytes                   *public_key,
                            CradleAgentEnrollmentKind kind,
                            GBytes                   *owner,
                            CradleAgentKeyOrigin      origin,
                            const CradleAgentSecret  *pkcs8,
                            const guint8             *kek,
                            GError                  **error)
{
  g_autoptr(CradleAgentKeyFile) key_file = g_new0 (CradleAgentKeyFile, 1);
  g_autoptr(GBytes) aad = make_aad (key_id, key_type, origin);

  key_file->key_id = g_bytes_ref (key_id);
  key_file->key_type = g_strdup (key_type);
  key_file->profile = g_strdup (profile);
  key_file->details = details != NULL ? g_bytes_ref (details) : NULL;
  key_file->public_key = g_bytes_ref (public_key);
  key_file->created = (guint64) (g_get_real_time () / G_USEC_PER_SEC);
  key_file->owner = owner != NULL ? g_bytes_ref (owner) : NULL;
  key_file->kind = kind;
  key_file->state = CRADLE_AGENT_KEY_MADE;
  key_file->origin = origin;
  if (!cradle_agent_crypto_seal (kek, aad, pkcs8, &key_file->nonce, &key_file->ciphertext,
                                 &key_file->tag, error))
    return NULL;
  return g_steal_pointer (&key_file);
}

CradleAgentSecret *
cradle_agent_key_file_unseal (const CradleAgentKeyFile  *key_file,
                              const guint8              *kek,
                              GError                   **error)
{
  g_autoptr(GBytes) aad = make_aad (key_file->key_id, key_file->key_type, key_file->origin);

  return cradle_agent_crypto_unseal (kek, aad, key_file->nonce, key_file->ciphertext,
                                     key_file->tag, error);
}

static void
write_bytes_field (CradleCborWriter *writer,
                   guint             key,
                   GBytes           *value)
{
  cradle_cbor_writer_uint (writer, key);
  cradle_cbor_writer_bytes (writer, g_bytes_get_data (value, NULL), g_bytes_get_size (value));
}

GBytes *
cradle_agent_key_file_encode (const CradleAgentKeyFile *key_file)
{
  g_autoptr(CradleCborWriter) writer = cradle_cbor_writer_new ();
  gboolean marked = key_file->mark_renews != NULL;

  cradle_cbor_writer_map (writer, 11 + (key_file->details != NULL) + (key_file->owner != NULL)
                                  + (key_file->kind != CRADLE_AGENT_ENROLLMENT_UNKNOWN) + (marked ? 5 : 0)
                                  + (key_file->origin == CRADLE_AGENT_KEY_IMPORTED));
  cradle_cbor_writer_uint (writer, FIELD_VERSION);
  cradle_cbor_writer_uint (writer, CRADLE_AGENT_KEY_FILE_VERSION);
  write_bytes_field (writer, FIELD_KEY_ID, key_file->key_id);
  cradle_cbor_writer_uint (writer, FIELD_KEY_TYPE);
  cradle_cbor_writer_text (writer, key_file->key_type);
  cradle_cbor_writer_uint (writer, FIELD_PROFILE);
  cradle_cbor_writer_text (writer, key_file->profile);
  if (key_file->details != NULL)
    write_bytes_field (writer, FIELD_DETAILS, key_file->details);
  write_bytes_field (writer, FIELD_PUBLIC_KEY, key_file->public_key);
  write_bytes_field (writer, FIELD_NONCE, key_file->nonce);
  write_bytes_field (writer, FIELD_CIPHERTEXT, key_file->ciphertext);
  write_bytes_field (writer, FIELD_TAG, key_file->tag);
  cradle_cbor_writer_uint (writer, FIELD_CREATED);
  cradle_cbor_writer_uint (writer, key_file->created);
  if (key_file->owner != NULL)
    write_bytes_field (writer, FIELD_OWNER, key_file->owner);
  if (key_file->kind != CRADLE_AGENT_ENROLLMENT_UNKNOWN)
    {
      cradle_cbor_writer_uint (writer, FIELD_KIND);
      cradle_cbor_writer_uint (writer, key_file->kind);
    }
  cradle_cbor_writer_uint (writer, FIELD_STATE);
  cradle_cbor_writer_uint (writer, key_file->state);
  cradle_cbor_writer_uint (writer, FIELD_DECRYPTIONS);
  cradle_cbor_writer_uint (writer, key_file->decryptions);
  if (key_file->origin == CRADLE_AGENT_KEY_IMPORTED)
    {
      cradle_cbor_writer_uint (writer, FIELD_ORIGIN);
      cradle_cbor_writer_uint (writer, key_file->origin);
    }
  if (marked)
    {
      write_bytes_field (writer, FIELD_MARK_RENEWS, key_file->mark_renews);
      write_bytes_field (writer, FIELD_MARK_REQUEST, key_file->mark_request);
      cradle_cbor_writer_uint (writer, FIELD_MARK_CONFIRMED);
      cradle_cbor_writer_uint (writer, key_file->mark_confirmed);
      write_bytes_field (writer, FIELD_MARK_HOST, key_file->mark_host);
      cradle_cbor_writer_uint (writer, FIELD_MARK_DECRYPTIONS);
      cradle_cbor_writer_uint (writer, key_file->mark_decryptions);
    }
  return cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
}

static gboolean
check_size (GBytes      *value,
            gsize        min_size,
            gsize        max_size,
            const char  *what,
            GError     **error)
{
  gsize size = g_bytes_get_size (value);

  if (size < min_size || size > max_size)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "its %s is %" G_GSIZE_FORMAT " bytes long", what, size);
      return FALSE;
    }
  return TRUE;
}

/* Fields 15 to 19: the renewal mark, whole or not at all. */
static gboolean
decode_mark (const CradleCborValue  *map,
             CradleAgentKeyFile     *key_file,
             GError                **error)
{
  const guint64 absent = G_MAXUINT64;
  guint64 confirmed = absent;
  gboolean confirmed_present;

  if (!cradle_cbor_map_get_bytes (map, FIELD_MARK_RENEWS, TRUE, &key_file->mark_renews, error)
      || !cradle_cbor_map_get_bytes (map, FIELD_MARK_REQUEST, TRUE, &key_file->mark_request, error)
      || !cradle_cbor_map_get_uint (map, FIELD_MARK_CONFIRMED, TRUE, &confirmed, error)
      || !cradle_cbor_map_get_bytes (map, FIELD_MARK_HOST, TRUE, &key_file->mark_host, error)
      || !cradle_cbor_map_get_uint (map, FIELD_MARK_DECRYPTIONS, TRUE, &key_file->mark_decryptions, error))
    {
      reword (error);
      return FALSE;
    }
  confirmed_present = confirmed != absent;
  key_file->mark_confirmed = confirmed_present ? confirmed : 0;
  if (key_file->mark_renews == NULL && key_file->mark_request == NULL && key_file->mark_host == NULL
      && !confirmed_present && key_file->mark_decryptions == 0)
    return TRUE;
  if (key_file->mark_renews == NULL || key_file->mark_request == NULL || key_file->mark_host == NULL
      || !confirmed_present
      || g_bytes_get_size (key_file->mark_renews) != 32 || g_bytes_get_size (key_file->mark_request) != 32
      || g_bytes_get_size (key_file->mark_host) != CRADLE_AGENT_HOST_ID_SIZE)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "its renewal mark is incomplete");
      return FALSE;
    }
  return TRUE;
}

/* Fields 11 to 14; a format 1 file has none of them: made, no owner, no kind. */
static gboolean
decode_life (const CradleCborValue  *map,
             guint64                 version,
             CradleAgentKeyFile     *key_file,
             GError                **error)
{
  guint64 kind = CRADLE_AGENT_ENROLLMENT_UNKNOWN;
  guint64 state = CRADLE_AGENT_KEY_MADE;
  guint64 origin = CRADLE_AGENT_KEY_GENERATED;

  key_file->state = CRADLE_AGENT_KEY_MADE;
  key_file->origin = CRADLE_AGENT_KEY_GENERATED;
  if (version == 1)
    return TRUE;
  if (!cradle_cbor_map_get_uint (map, FIELD_ORIGIN, TRUE, &origin, error)
      || !cradle_cbor_map_get_bytes (map, FIELD_OWNER, TRUE, &key_file->owner, error)
      || !cradle_cbor_map_get_uint (map, FIELD_KIND, TRUE, &kind, error)
      || !cradle_cbor_map_get_uint (map, FIELD_STATE, FALSE, &state, error)
      || !cradle_cbor_map_get_uint (map, FIELD_DECRYPTIONS, FALSE, &key_file->decryptions, error))
    {
      reword (error);
      return FALSE;
    }
  if (key_file->owner != NULL && g_bytes_get_size (key_file->owner) != CRADLE_AGENT_HOST_ID_SIZE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "its owner is %" G_GSIZE_FORMAT " bytes long", g_bytes_get_size (key_file->owner));
      return FALSE;
    }
  if (kind != CRADLE_AGENT_ENROLLMENT_REQUEST && kind != CRADLE_AGENT_ENROLLMENT_SCEP
      && kind != CRADLE_AGENT_ENROLLMENT_UNKNOWN)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "its enrollment kind %" G_GUINT64_FORMAT " is unknown", kind);
      return FALSE;
    }
  if (state < CRADLE_AGENT_KEY_MADE || state > CRADLE_AGENT_KEY_RETIRED)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "its state %" G_GUINT64_FORMAT " is unknown", state);
      return FALSE;
    }
  if (origin != CRADLE_AGENT_KEY_GENERATED && origin != CRADLE_AGENT_KEY_IMPORTED)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "its origin %" G_GUINT64_FORMAT " is unknown", origin);
      return FALSE;
    }
  key_file->kind = (CradleAgentEnrollmentKind) kind;
  key_file->state = (CradleAgentKeyState) state;
  key_file->origin = (CradleAgentKeyOrigin) origin;
  return decode_mark (map, key_file, error);
}

CradleAgentKeyFile *
cradle_agent_key_file_decode (GBytes  *contents,
                              GError **error)
{
  g_autoptr(CradleCborValue) map = NULL;
  g_autoptr(CradleAgentKeyFile) key_file = g_new0 (CradleAgentKeyFile, 1);
  const char *key_type = NULL;
  const char *profile = NULL;
  guint64 version = 0;

  map = cradle_agent_file_decode_map (contents, error);
  if (map == NULL)
    return NULL;

  if (!cradle_cbor_map_get_uint (map, FIELD_VERSION, FALSE, &version, error))
    {
      reword (error);
      return NULL;
    }
  if (version != 1 && version != CRADLE_AGENT_KEY_FILE_VERSION)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "it has format %" G_GUINT64_FORMAT ", and this agent reads formats 1 and %d only",
                   version, CRADLE_AGENT_KEY_FILE_VERSION);
      return NULL;
    }
  if (!cradle_cbor_map_get_bytes (map, FIELD_KEY_ID, FALSE, &key_file->key_id, error)
      || !cradle_cbor_map_get_text (map, FIELD_KEY_TYPE, FALSE, &key_type, error)
      || !cradle_cbor_map_get_text (map, FIELD_PROFILE, FALSE, &profile, error)
      || !cradle_cbor_map_get_bytes (map, FIELD_DETAILS, TRUE, &key_file->details, error)
      || !cradle_cbor_map_get_bytes (map, FIELD_PUBLIC_KEY, FALSE, &key_file->public_key, error)
      || !cradle_cbor_map_get_bytes (map, FIELD_NONCE, FALSE, &key_file->nonce, error)
      || !cradle_cbor_map_get_bytes (map, FIELD_CIPHERTEXT, FALSE, &key_file->ciphertext, error)
      || !cradle_cbor_map_get_bytes (map, FIELD_TAG, FALSE, &key_file->tag, error)
      || !cradle_cbor_map_get_uint (map, FIELD_CREATED, FALSE, &key_file->created, error))
    {
      reword (error);
      return NULL;
    }
  if (!decode_life (map, version, key_file, error))
    return NULL;
  if (!cradle_agent_crypto_key_type_known (key_type))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "its key type '%s' is unknown", key_type);
      return NULL;
    }
  key_file->key_type = g_strdup (key_type);
  key_file->profile = g_strdup (profile);

  if (!check_size (key_file->key_id, CRADLE_AGENT_KEY_ID_SIZE, CRADLE_AGENT_KEY_ID_SIZE, "key id", error)
      || !check_size (key_file->public_key, 1, PUBLIC_KEY_MAX_SIZE, "public key", error)
      || !check_size (key_file->nonce, CRADLE_AGENT_NONCE_SIZE, CRADLE_AGENT_NONCE_SIZE, "nonce", error)
      || !check_size (key_file->ciphertext, 1, CIPHERTEXT_MAX_SIZE, "ciphertext", error)
      || !check_size (key_file->tag, CRADLE_AGENT_TAG_SIZE, CRADLE_AGENT_TAG_SIZE, "tag", error)
      || (key_file->details != NULL
          && !check_size (key_file->details, 0, CRADLE_AGENT_PROFILE_DETAILS_MAX, "profile details", error)))
    return NULL;
  if (strlen (profile) > CRADLE_AGENT_PROFILE_MAX_SIZE)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "its profile is too long");
      return NULL;
    }
  return g_steal_pointer (&key_file);
}
