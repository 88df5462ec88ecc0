/* fuzz-key-file.c: libFuzzer harness for the agent's sealed private keys at
 * rest: keys/<id>.key (bridge/agent/cradle-agent-key-file.c,
 * cradle_agent_key_file_decode, read by cradle_agent_keystore_load_key) and
 * identity.key (cradle_agent_keystore_load_identity,
 * bridge/agent/cradle-agent-keystore-identity.c)
 *
 * Outside bytes: files on the device's disk, which a damaged disk, a
 * restored backup or another program may have changed; the agent reads a
 * key file at every request that names it. The input is written as a key
 * file (named after the key id it holds, else after a fixed id) and as the
 * identity key of a keystore opened once, then read the ways the agent
 * reads them: loaded, its state asked, and when made, unsealed and used to
 * sign. Whatever decodes encodes back to the same record.
 *
 * The keystore's KEK is fixed (bytes 0 to 31), so the seeds, made by the
 * real keystore (cradle_agent_keystore_generate, _install and
 * _load_identity) under that KEK, unseal: rsa2048 made for a request and
 * owned by a host, p256 made for SCEP, p384 owned by no host, p256 enrolled
 * (its certificate installed), a format 1 file, the identity key; and
 * damaged ones. */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <cradle/cradle.h>

#include "agent/cradle-agent-key-file-private.h"
#include "agent/cradle-agent-keystore-private.h"
#include "test-files.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static char *folder;
static CradleAgentKeystore *keystore;


static void
close_keystore (void)
{
  g_clear_object (&keystore);
  test_remove_tree (folder);
}

static void
open_keystore (void)
{
  g_autofree char *kek_path = NULL;
  g_autoptr(GError) error = NULL;
  guint8 kek[CRADLE_AGENT_KEK_SIZE];

  /* A GLib critical is a bug, here as in the product. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  folder = test_make_memory_folder ("cradle-fuzz-key-file-XXXXXX");
  g_assert (folder != NULL);
  for (guint i = 0; i < sizeof kek; i++)
    kek[i] = i;
  kek_path = g_build_filename (folder, CRADLE_AGENT_KEK_NAME, NULL);
  g_assert (g_file_set_contents_full (kek_path, (const char *) kek, sizeof kek,
                                     G_FILE_SET_CONTENTS_NONE, 0600, NULL));
  keystore = cradle_agent_keystore_open (folder, FALSE, &error);
  g_assert_no_error (error);
  atexit (close_keystore);
}

static void
write_file (const char   *path,
            const guint8 *data,
            gsize         size)
{
  /* Removed first: GLib does not empty a file for an empty input. */
  g_unlink (path);
  g_assert (g_file_set_contents_full (path, (const char *) data, (gssize) size,
                                     G_FILE_SET_CONTENTS_NONE, 0600, NULL));
}

static void
read_key_file (GBytes *contents)
{
  static const guint8 fixed_id[CRADLE_AGENT_KEY_ID_SIZE] = { 0xf0, 0x22 };
  g_autoptr(CradleAgentKeyFile) decoded = NULL;
  g_autoptr(CradleAgentKeyFile) loaded = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  decoded = cradle_agent_key_file_decode (contents, NULL);
  key_id = decoded != NULL ? g_bytes_ref (decoded->key_id) : g_bytes_new_static (fixed_id, sizeof fixed_id);
  path = cradle_agent_keystore_key_path (keystore, key_id);
  write_file (path, g_bytes_get_data (contents, NULL), g_bytes_get_size (contents));

  loaded = cradle_agent_keystore_load_key (keystore, key_id, &error);
  g_assert ((loaded == NULL) == (error != NULL));
  g_assert ((loaded == NULL) == (decoded == NULL));
  if (loaded == NULL)
    {
      g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
      g_assert (g_utf8_validate (error->message, -1, NULL));
      g_assert_cmpuint (cradle_agent_keystore_get_state (keystore, key_id), ==, 0);
      g_unlink (path);
      return;
    }

  /* What the agent writes back when the key's state changes, it reads. */
  {
    g_autoptr(GBytes) encoded = cradle_agent_key_file_encode (loaded);
    g_autoptr(CradleAgentKeyFile) again = cradle_agent_key_file_decode (encoded, &error);
    g_autoptr(GBytes) encoded_again = NULL;

    g_assert_no_error (error);
    encoded_again = cradle_agent_key_file_encode (again);
    g_assert_true (g_bytes_equal (encoded, encoded_again));
    g_assert_true (g_bytes_equal (again->public_key, loaded->public_key));
    g_assert_cmpint (again->state, ==, loaded->state);
  }

  g_assert_cmpint (cradle_agent_keystore_get_state (keystore, key_id), ==, loaded->state);
  {
    g_autoptr(GBytes) public_key = cradle_agent_keystore_dup_public_key (keystore, key_id, &error);

    g_assert_no_error (error);
    g_assert_true (g_bytes_equal (public_key, loaded->public_key));
  }
  if (loaded->state == CRADLE_AGENT_KEY_MADE)
    {
      g_autoptr(GBytes) message = g_bytes_new_static ("fuzz", 4);
      g_autofree char *algorithm = NULL;
      g_autoptr(GBytes) signature = cradle_agent_keystore_sign (keystore, key_id, "sha256", message,
                                                                &algorithm, &error);

      g_assert ((signature == NULL) == (error != NULL));
      g_assert ((signature == NULL) == (algorithm == NULL));
      g_clear_error (&error);
    }
  g_unlink (path);
}

static void
read_identity (GBytes *contents)
{
  g_autofree char *path = g_build_filename (folder, "identity.key", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(EVP_PKEY) key = NULL;

  write_file (path, g_bytes_get_data (contents, NULL), g_bytes_get_size (contents));
  key = cradle_agent_keystore_load_identity (keystore, &error);
  g_assert ((key == NULL) == (error != NULL));
  if (key != NULL)
    g_assert_cmpint (EVP_PKEY_get_id (key), ==, EVP_PKEY_ED25519);
  else
    g_assert (g_utf8_validate (error->message, -1, NULL));
  /* Never left missing: the agent would make a new identity. */
  g_unlink (path);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GBytes) contents = g_bytes_new (data, size);

  if (keystore == NULL)
    open_keystore ();
  read_key_file (contents);
  read_identity (contents);
  return 0;
}
