/* fuzz-import-key.c: libFuzzer harness for what a device reads from an
 * IMPORT_KEY request (bridge/agent/cradle-agent-keystore-import.c,
 * cradle_agent_keystore_check_import), and for key file 20, the origin
 *
 * Outside bytes: the payload a paired host sends. The input is decoded as
 * the request's CBOR map, as the agent does, and its key (field 1, here as
 * the session's decryption gives it) and certificate (field 2) are checked against a keystore opened once, with
 * no key in it, and then stored: nothing is ever stored that did not pass
 * the check, and what is stored is listed as imported. Seeds: a p256 key
 * with its certificate, a certificate for another key, RSA 1024, damaged
 * DER, an oversized key. */
#include "config.h"

#include <string.h>
#include <cradle/cradle.h>

#include "agent/cradle-agent-keystore-private.h"
#include "protocol/cradle-bridge-cbor-private.h"
#include "test-files.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
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
  g_autoptr(GError) error = NULL;

  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  folder = test_make_memory_folder ("cradle-fuzz-import-key-XXXXXX");
  g_assert (folder != NULL);
  keystore = cradle_agent_keystore_open (folder, FALSE, &error);
  g_assert (keystore != NULL);
  atexit (close_keystore);
}

/* The keystore, and with it OpenSSL's random generator, exist before the
 * first input: made inside one, they would count as its leak. */
int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  open_keystore ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(CradleCborValue) request = NULL;
  g_autoptr(GBytes) key = NULL;
  g_autoptr(GBytes) certificate = NULL;
  g_autoptr(CradleAgentSecret) pkcs8 = NULL;
  g_autoptr(X509) checked = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) host_id = g_bytes_new_take (g_malloc0 (32), 32);
  g_autoptr(GError) error = NULL;

  if (keystore == NULL)
    open_keystore ();
  request = cradle_cbor_decode_map (data, size, NULL);
  if (request == NULL
      || !cradle_cbor_map_get_bytes (request, 1, FALSE, &key, NULL)
      || !cradle_cbor_map_get_bytes (request, 2, FALSE, &certificate, NULL)
      || g_bytes_get_size (key) == 0 || g_bytes_get_size (key) > CRADLE_AGENT_IMPORT_KEY_MAX_SIZE)
    return 0;
  pkcs8 = cradle_agent_secret_new (g_bytes_get_size (key));
  memcpy (pkcs8->data, g_bytes_get_data (key, NULL), pkcs8->size);

  checked = cradle_agent_keystore_check_import (keystore, pkcs8, certificate, &error);
  if (checked == NULL)
    {
      g_assert (error != NULL);
      g_clear_error (&error);
      /* What failed the check is never stored. */
      g_assert (!cradle_agent_keystore_import (keystore, pkcs8, certificate, "fuzz", host_id, &key_id, NULL,
                                               &error));
      g_assert (error != NULL);
      return 0;
    }
  g_assert (cradle_agent_keystore_import (keystore, pkcs8, certificate, "fuzz", host_id, &key_id, NULL, &error));
  g_assert (error == NULL);
  {
    g_autoptr(CradleAgentKeyFile) key_file = cradle_agent_keystore_load_key (keystore, key_id, &error);
    g_autoptr(EVP_PKEY) pkey = NULL;

    g_assert (key_file != NULL);
    g_assert (key_file->origin == CRADLE_AGENT_KEY_IMPORTED);
    g_assert (key_file->state == CRADLE_AGENT_KEY_MADE);
    /* The origin is sealed with the key: it opens as imported. */
    pkey = cradle_agent_keystore_unseal_key (keystore, key_file, &error);
    g_assert (pkey != NULL);
    /* The same key twice: refused. */
    g_assert (cradle_agent_keystore_check_import (keystore, pkcs8, certificate, &error) == NULL);
    g_assert (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED));
    g_clear_error (&error);
    g_assert (cradle_agent_keystore_delete_key (keystore, key_id, host_id, &error));
  }
  return 0;
}
