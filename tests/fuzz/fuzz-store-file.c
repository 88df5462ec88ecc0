/* fuzz-store-file.c: libFuzzer harness for the agent's certificate stores
 * file, `stores` in its folder (bridge/agent/cradle-agent-store-file.c,
 * cradle_agent_store_file_decode, read by cradle_agent_keystore_open)
 *
 * Outside bytes: a file on the device's disk, which a damaged disk, a
 * restored backup or another program may have changed; the agent reads it
 * each time it opens its keystore. The input is written as the stores file
 * of a scratch keystore, which is opened: it must either open, listing
 * exactly the certificates the decoder finds, each in a known store and
 * scope, or refuse with an error saying the file is damaged. What opened
 * encodes back to a file listing the same certificates.
 *
 * Seeds: a stores file the real keystore wrote (cradle_agent_keystore_install
 * of the lab's root and issuing CA and a MY certificate the lab issuing CA
 * issued for a key the keystore made, bound to it), an empty one, and
 * damaged ones. */
#include "config.h"

#include <glib/gstdio.h>
#include <cradle/cradle.h>

#include "agent/cradle-agent-keystore-private.h"
#include "test-files.h"
#include "agent/cradle-agent-store-file-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static char *folder;


static void
remove_folder (void)
{
  test_remove_tree (folder);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GBytes) contents = g_bytes_new (data, size);
  g_autoptr(GPtrArray) decoded = NULL;
  g_autoptr(CradleAgentKeystore) keystore = NULL;
  g_autoptr(GPtrArray) listed = NULL;
  g_autoptr(GBytes) encoded = NULL;
  g_autoptr(GPtrArray) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  if (folder == NULL)
    {
      /* A GLib critical is a bug, here as in the product. */
      g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
      folder = test_make_memory_folder ("cradle-fuzz-store-file-XXXXXX");
      g_assert (folder != NULL);
      atexit (remove_folder);
    }
  path = g_build_filename (folder, CRADLE_AGENT_STORES_NAME, NULL);
  /* Removed first: GLib does not empty a file for an empty input. */
  g_unlink (path);
  g_assert (g_file_set_contents_full (path, (const char *) data, (gssize) size,
                                     G_FILE_SET_CONTENTS_NONE, 0600, NULL));

  decoded = cradle_agent_store_file_decode (contents, NULL);
  keystore = cradle_agent_keystore_open (folder, FALSE, &error);
  g_assert ((keystore == NULL) == (error != NULL));
  g_assert ((keystore == NULL) == (decoded == NULL));
  if (keystore == NULL)
    {
      g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
      g_assert (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }

  listed = cradle_agent_keystore_list (keystore, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (listed->len, ==, decoded->len);
  g_assert_cmpuint (listed->len, <=, CRADLE_AGENT_STORES_MAX_CERTS);
  for (guint i = 0; i < listed->len; i++)
    {
      const CradleAgentCert *cert = g_ptr_array_index (listed, i);

      g_assert_true (cradle_agent_store_name_valid (cert->store));
      g_assert_true (cradle_agent_scope_name_valid (cert->scope));
      g_assert_cmpuint (g_bytes_get_size (cert->der), >, 0);
      g_assert (cert->key_id == NULL || g_str_equal (cert->store, "MY"));
      g_assert_true (cradle_agent_cert_same_place (cert, g_ptr_array_index (decoded, i)));
      if (g_str_equal (cert->store, "Root"))
        g_assert_true (cradle_agent_keystore_trusts_root (keystore, cert->der));
    }

  /* What the agent writes after a change, it reads back. */
  encoded = cradle_agent_store_file_encode (listed, &error);
  g_assert_no_error (error);
  again = cradle_agent_store_file_decode (encoded, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (again->len, ==, listed->len);
  for (guint i = 0; i < again->len; i++)
    {
      const CradleAgentCert *a = g_ptr_array_index (again, i);
      const CradleAgentCert *b = g_ptr_array_index (listed, i);

      g_assert_true (cradle_agent_cert_same_place (a, b));
      g_assert ((a->key_id == NULL) == (b->key_id == NULL));
      g_assert (a->key_id == NULL || g_bytes_equal (a->key_id, b->key_id));
    }
  return 0;
}
