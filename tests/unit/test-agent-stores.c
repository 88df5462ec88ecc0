/* test-agent-stores.c: the device agent's certificate stores: install and delete
 *
 * Damaged files and crashes are in test-agent-stores-damage.c. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <glib/gstdio.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <cradle/cradle.h>

#include "base/cradle-digest-private.h"
#include "agent/cradle-agent-atomic-private.h"
#include "agent/cradle-agent-keystore-private.h"
#include "agent/cradle-agent-store-file-private.h"
#include "agent/cradle-agent-request-info-private.h"

#include "keystore-test-support.h"

static void
test_install (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = ks_open_keystore (f->folder, FALSE);
  g_autoptr(EVP_PKEY) ca_key = ks_test_key ();
  g_autoptr(EVP_PKEY) root_key = ks_test_key ();
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) my_der = NULL;
  g_autoptr(GBytes) renewed_der = NULL;
  g_autoptr(GBytes) ca_der = ks_make_cert (ca_key, ca_key, "Corp Issuing CA", 1);
  g_autoptr(GBytes) root_der = ks_make_cert (root_key, root_key, "Corp Root CA", 2);
  g_autoptr(GPtrArray) batch = ks_cert_list ();
  g_autoptr(GPtrArray) renewal = ks_cert_list ();
  g_autoptr(GPtrArray) expected = ks_cert_list ();
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) mine = NULL;
  g_autoptr(GPtrArray) user = NULL;
  g_autoptr(GPtrArray) none = NULL;
  g_autoptr(GError) error = NULL;

  ks_generate (keystore, "p256", &key_id, &spki);
  my_der = ks_make_cert_for_spki (spki, ca_key, "alice", 10);
  renewed_der = ks_make_cert_for_spki (spki, ca_key, "alice", 11);
  g_assert_true (cradle_agent_keystore_is_pending (keystore, key_id));
  g_assert_false (cradle_agent_keystore_trusts_root (keystore, root_der));

  ks_add_cert (batch, "MY", "user", my_der, key_id);
  ks_add_cert (batch, "CA", "user", ca_der, NULL);
  ks_add_cert (batch, "Root", "user", root_der, NULL);
  ks_add_cert (batch, "Root", "user", root_der, NULL);   /* twice in one batch: once in the store */
  g_assert_cmpuint (ks_install (keystore, batch), ==, 3);
  g_assert_false (cradle_agent_keystore_is_pending (keystore, key_id));
  g_assert_true (cradle_agent_keystore_has_key (keystore, key_id));
  g_assert_true (cradle_agent_keystore_trusts_root (keystore, root_der));
  g_assert_false (cradle_agent_keystore_trusts_root (keystore, ca_der));

  /* Again: nothing new. */
  g_assert_cmpuint (ks_install (keystore, batch), ==, 0);

  /* A second certificate for the same key: refused, an enrolled key has
   * its certificate (a renewal makes a new key). */
  ks_add_cert (renewal, "MY", "user", renewed_der, key_id);
  ks_install_fails (keystore, renewal, CRADLE_ERROR_PERMISSION_DENIED);
  g_assert_cmpint (cradle_agent_keystore_get_state (keystore, key_id), ==, CRADLE_AGENT_KEY_ENROLLED);

  ks_add_cert (expected, "MY", "user", my_der, key_id);
  ks_add_cert (expected, "CA", "user", ca_der, NULL);
  ks_add_cert (expected, "Root", "user", root_der, NULL);
  all = ks_list (keystore, NULL, NULL);
  ks_assert_certs_equal (all, expected);
  mine = ks_list (keystore, "MY", NULL);
  g_assert_cmpuint (mine->len, ==, 1);
  user = ks_list (keystore, NULL, "user");
  g_assert_cmpuint (user->len, ==, 3);
  none = ks_list (keystore, "Root", "system");
  g_assert_cmpuint (none->len, ==, 0);
  g_assert_null (cradle_agent_keystore_list (keystore, "My", NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_null (cradle_agent_keystore_list (keystore, NULL, "machine", &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* Everything survives a restart. */
  g_clear_object (&keystore);
  keystore = ks_open_keystore (f->folder, FALSE);
  g_clear_pointer (&all, g_ptr_array_unref);
  all = ks_list (keystore, NULL, NULL);
  ks_assert_certs_equal (all, expected);
  g_assert_false (cradle_agent_keystore_is_pending (keystore, key_id));
}

static void
test_install_binds_present_cert (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = ks_open_keystore (f->folder, FALSE);
  g_autoptr(EVP_PKEY) ca_key = ks_test_key ();
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) der = NULL;
  g_autoptr(GPtrArray) unbound = ks_cert_list ();
  g_autoptr(GPtrArray) bound = ks_cert_list ();
  g_autoptr(GPtrArray) all = NULL;

  ks_generate (keystore, "p256", &key_id, &spki);
  der = ks_make_cert_for_spki (spki, ca_key, "alice", 1);
  ks_add_cert (unbound, "MY", "user", der, NULL);
  ks_add_cert (bound, "MY", "user", der, key_id);

  g_assert_cmpuint (ks_install (keystore, unbound), ==, 1);
  g_assert_true (cradle_agent_keystore_is_pending (keystore, key_id));
  g_assert_cmpuint (ks_install (keystore, bound), ==, 0);
  g_assert_false (cradle_agent_keystore_is_pending (keystore, key_id));
  all = ks_list (keystore, NULL, NULL);
  ks_assert_certs_equal (all, bound);
}

static void
test_install_batch_is_atomic (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = ks_open_keystore (f->folder, FALSE);
  g_autoptr(EVP_PKEY) ca_key = ks_test_key ();
  g_autoptr(EVP_PKEY) other_key = ks_test_key ();
  g_autoptr(GBytes) first = ks_make_cert (ca_key, ca_key, "first", 1);
  g_autoptr(GBytes) second = ks_make_cert (other_key, other_key, "second", 2);
  g_autoptr(GBytes) garbage = g_bytes_new_static ("\x30\x03\x02\x01\x00", 5);
  g_autoptr(GBytes) trailing = NULL;
  g_autoptr(GPtrArray) initial = ks_cert_list ();
  g_autoptr(GBytes) file_before = NULL;
  g_autofree char *stores_path = g_build_filename (f->folder, "stores", NULL);
  const char *bad[][3] = {
    { "CA", "user", "garbage" },
    { "CA", "user", "trailing" },
    { "Trust", "user", "good" },
    { "CA", "machine", "good" },
    { "CA", "system", "good" },
  };

  {
    GByteArray *longer = g_byte_array_new ();

    g_byte_array_append (longer, g_bytes_get_data (second, NULL), g_bytes_get_size (second));
    g_byte_array_append (longer, (const guint8 *) "", 1);
    trailing = g_byte_array_free_to_bytes (longer);
  }

  ks_add_cert (initial, "CA", "user", first, NULL);
  g_assert_cmpuint (ks_install (keystore, initial), ==, 1);
  file_before = ks_read_file (stores_path);

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GPtrArray) batch = ks_cert_list ();
      g_autoptr(GPtrArray) after = NULL;
      g_autoptr(GBytes) file_after = NULL;
      GBytes *der = g_str_equal (bad[i][2], "garbage") ? garbage
                    : g_str_equal (bad[i][2], "trailing") ? trailing : second;

      /* A good item first, then the bad one: neither goes in. */
      ks_add_cert (batch, "Root", "user", second, NULL);
      ks_add_cert (batch, bad[i][0], bad[i][1], der, NULL);
      ks_install_fails (keystore, batch, g_str_equal (bad[i][1], "system")
                                         ? CRADLE_ERROR_PERMISSION_DENIED : CRADLE_ERROR_INVALID_DATA);
      after = ks_list (keystore, NULL, NULL);
      ks_assert_certs_equal (after, initial);
      file_after = ks_read_file (stores_path);
      g_assert_true (g_bytes_equal (file_before, file_after));
      g_assert_false (cradle_agent_keystore_trusts_root (keystore, second));
    }
}

static void
test_system_scope (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = ks_open_keystore (f->folder, FALSE);
  g_autoptr(EVP_PKEY) root_key = ks_test_key ();
  g_autoptr(GBytes) root_der = ks_make_cert (root_key, root_key, "Corp Root CA", 1);
  g_autoptr(GBytes) fingerprint = cradle_digest_sha256 (root_der);
  g_autoptr(GPtrArray) batch = ks_cert_list ();
  g_autoptr(GPtrArray) system = NULL;
  g_autoptr(GError) error = NULL;

  ks_add_cert (batch, "Root", "system", root_der, NULL);
  ks_install_fails (keystore, batch, CRADLE_ERROR_PERMISSION_DENIED);
  g_assert_false (cradle_agent_keystore_trusts_root (keystore, root_der));

  g_clear_object (&keystore);
  keystore = ks_open_keystore (f->folder, TRUE);
  g_assert_cmpuint (ks_install (keystore, batch), ==, 1);
  g_assert_true (cradle_agent_keystore_trusts_root (keystore, root_der));
  system = ks_list (keystore, "Root", "system");
  ks_assert_certs_equal (system, batch);

  /* Deleting from a system store needs privilege too. */
  g_clear_object (&keystore);
  keystore = ks_open_keystore (f->folder, FALSE);
  g_assert_false (cradle_agent_keystore_delete_cert (keystore, "Root", "system", fingerprint, FALSE, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);
  g_assert_true (cradle_agent_keystore_trusts_root (keystore, root_der));

  g_clear_object (&keystore);
  keystore = ks_open_keystore (f->folder, TRUE);
  g_assert_true (cradle_agent_keystore_delete_cert (keystore, "Root", "system", fingerprint, FALSE, &error));
  g_assert_no_error (error);
  g_assert_false (cradle_agent_keystore_trusts_root (keystore, root_der));
}

static void
test_install_key_rules (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = ks_open_keystore (f->folder, FALSE);
  g_autoptr(EVP_PKEY) ca_key = ks_test_key ();
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) other_id = NULL;
  g_autoptr(GBytes) other_spki = NULL;
  g_autoptr(GBytes) der = NULL;
  g_autoptr(GBytes) absent = g_bytes_new_static ("0123456789abcdef", 16);
  g_autoptr(GBytes) short_id = g_bytes_new_static ("0123", 4);
  GBytes *wrong_ids[] = { NULL, absent, short_id };

  ks_generate (keystore, "p256", &key_id, &spki);
  ks_generate (keystore, "p256", &other_id, &other_spki);
  der = ks_make_cert_for_spki (spki, ca_key, "alice", 1);
  wrong_ids[0] = other_id;

  /* A key id outside MY. */
  {
    g_autoptr(GPtrArray) batch = ks_cert_list ();

    ks_add_cert (batch, "CA", "user", der, key_id);
    ks_install_fails (keystore, batch, CRADLE_ERROR_INVALID_DATA);
  }
  /* Another key's, an absent key's, a malformed key id. */
  for (gsize i = 0; i < G_N_ELEMENTS (wrong_ids); i++)
    {
      g_autoptr(GPtrArray) batch = ks_cert_list ();

      ks_add_cert (batch, "MY", "user", der, wrong_ids[i]);
      ks_install_fails (keystore, batch, CRADLE_ERROR_INVALID_DATA);
    }
  g_assert_true (cradle_agent_keystore_is_pending (keystore, key_id));
  g_assert_true (cradle_agent_keystore_is_pending (keystore, other_id));
  {
    g_autoptr(GPtrArray) all = ks_list (keystore, NULL, NULL);

    g_assert_cmpuint (all->len, ==, 0);
  }
}

static void
test_install_limit (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = ks_open_keystore (f->folder, FALSE);
  g_autoptr(GPtrArray) ders = ks_make_many_certs (CRADLE_AGENT_STORES_MAX_CERTS + 1, 1);
  g_autoptr(GPtrArray) too_many = ks_batch_of (ders, 0, ders->len, "CA");
  g_autoptr(GPtrArray) most = ks_batch_of (ders, 0, 1000, "CA");
  g_autoptr(GPtrArray) rest = ks_batch_of (ders, 1000, CRADLE_AGENT_STORES_MAX_CERTS, "CA");
  g_autoptr(GPtrArray) one_more = ks_batch_of (ders, CRADLE_AGENT_STORES_MAX_CERTS, ders->len, "CA");
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GError) error = NULL;

  ks_install_fails (keystore, too_many, CRADLE_ERROR_INVALID_DATA);
  g_assert_cmpuint (ks_install (keystore, most), ==, 1000);
  g_assert_cmpuint (ks_install (keystore, rest), ==, 24);
  /* Full: duplicates are still fine, a new certificate is not. */
  g_assert_cmpuint (ks_install (keystore, rest), ==, 0);
  g_assert_false (cradle_agent_keystore_install (keystore, one_more, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "1024"));
  g_test_message ("%s", error->message);

  g_clear_object (&keystore);
  keystore = ks_open_keystore (f->folder, FALSE);
  all = ks_list (keystore, "CA", "user");
  g_assert_cmpuint (all->len, ==, CRADLE_AGENT_STORES_MAX_CERTS);
}

static void
test_delete_cert (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = ks_open_keystore (f->folder, FALSE);
  g_autoptr(EVP_PKEY) ca_key = ks_test_key ();
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) my_der = NULL;
  g_autoptr(GBytes) ca_der = ks_make_cert (ca_key, ca_key, "Corp Issuing CA", 1);
  g_autoptr(GBytes) my_sha = NULL;
  g_autoptr(GBytes) ca_sha = cradle_digest_sha256 (ca_der);
  g_autoptr(GBytes) short_sha = g_bytes_new_static ("0123", 4);
  g_autoptr(GPtrArray) batch = ks_cert_list ();
  g_autoptr(GPtrArray) rest = NULL;
  g_autoptr(GError) error = NULL;

  ks_generate (keystore, "p256", &key_id, &spki);
  my_der = ks_make_cert_for_spki (spki, ca_key, "alice", 2);
  my_sha = cradle_digest_sha256 (my_der);
  ks_add_cert (batch, "MY", "user", my_der, key_id);
  ks_add_cert (batch, "CA", "user", ca_der, NULL);
  g_assert_cmpuint (ks_install (keystore, batch), ==, 2);

  /* In another store, or a malformed fingerprint. */
  g_assert_false (cradle_agent_keystore_delete_cert (keystore, "Root", "user", ca_sha, FALSE, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (cradle_agent_keystore_delete_cert (keystore, "CA", "user", short_sha, FALSE, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_false (cradle_agent_keystore_delete_cert (keystore, "Roots", "user", ca_sha, FALSE, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);

  g_assert_true (cradle_agent_keystore_delete_cert (keystore, "CA", "user", ca_sha, FALSE, &error));
  g_assert_no_error (error);
  g_assert_false (cradle_agent_keystore_delete_cert (keystore, "CA", "user", ca_sha, FALSE, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  rest = ks_list (keystore, NULL, NULL);
  g_assert_cmpuint (rest->len, ==, 1);

  /* An enrolled key cannot be deleted. */
  g_assert_false (cradle_agent_keystore_delete_key (keystore, key_id, ks_host_a (), &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);

  /* The attack: delete the user's certificate so that the key is "pending"
   * again. Not without the device user's yes... */
  g_assert_true (cradle_agent_keystore_delete_cert_retires (keystore, "MY", "user", my_sha, NULL));
  g_assert_false (cradle_agent_keystore_delete_cert (keystore, "MY", "user", my_sha, FALSE, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);
  g_clear_pointer (&rest, g_ptr_array_unref);
  rest = ks_list (keystore, "MY", "user");
  g_assert_cmpuint (rest->len, ==, 1);
  g_assert_cmpint (cradle_agent_keystore_get_state (keystore, key_id), ==, CRADLE_AGENT_KEY_ENROLLED);

  /* ...and with it, the key is retired for good, never made again. */
  g_assert_true (cradle_agent_keystore_delete_cert (keystore, "MY", "user", my_sha, TRUE, &error));
  g_assert_no_error (error);
  g_assert_false (cradle_agent_keystore_is_pending (keystore, key_id));
  g_assert_cmpint (cradle_agent_keystore_get_state (keystore, key_id), ==, CRADLE_AGENT_KEY_RETIRED);
  g_assert_false (cradle_agent_keystore_delete_cert_retires (keystore, "MY", "user", my_sha, NULL));
  g_assert_false (cradle_agent_keystore_delete_key (keystore, key_id, ks_host_a (), &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);
  {
    g_autoptr(GPtrArray) back = ks_cert_list ();
    g_autoptr(GBytes) data_to_sign = g_bytes_new_static ("Pay Mallory 1,000,000 EUR", 25);

    /* INSTALL cannot put it back... */
    ks_add_cert (back, "MY", "user", my_der, key_id);
    ks_install_fails (keystore, back, CRADLE_ERROR_PERMISSION_DENIED);
    /* ...and the key signs nothing, even after a restart. */
    g_clear_object (&keystore);
    keystore = ks_open_keystore (f->folder, FALSE);
    g_assert_cmpint (cradle_agent_keystore_get_state (keystore, key_id), ==, CRADLE_AGENT_KEY_RETIRED);
    g_assert_null (cradle_agent_keystore_sign (keystore, key_id, "sha256", data_to_sign, NULL, &error));
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
    g_clear_error (&error);
  }
}

/* A key's record written by an agent before the key's life (format 1)
 * reads as made, with no owner and no enrollment kind. */
static void
test_key_file_format_1 (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = ks_open_keystore (f->folder, FALSE);
  g_autoptr(EVP_PKEY) ca_key = ks_test_key ();
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) bound_id = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) bound_spki = NULL;
  g_autoptr(GBytes) bound_der = NULL;
  g_autoptr(GBytes) tbs = g_bytes_new_static ("\x30\x00", 2);
  g_autoptr(GPtrArray) batch = ks_cert_list ();
  g_autoptr(GError) error = NULL;
  GBytes *ids[2];

  ks_generate (keystore, "rsa2048", &key_id, &spki);
  ks_generate (keystore, "p256", &bound_id, &bound_spki);
  ids[0] = key_id;
  ids[1] = bound_id;
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    {
      g_autoptr(CradleAgentKeyFile) key_file = cradle_agent_keystore_load_key (keystore, ids[i], &error);
      g_autoptr(CradleCborWriter) writer = cradle_cbor_writer_new ();
      g_autoptr(GBytes) contents = NULL;
      g_autofree char *path = cradle_agent_keystore_key_path (keystore, ids[i]);

      /* The nine fields of format 1, exactly as it wrote them. */
      g_assert_no_error (error);
      cradle_cbor_writer_map (writer, 9);
      cradle_cbor_writer_uint (writer, 1);
      cradle_cbor_writer_uint (writer, 1);
      cradle_cbor_writer_uint (writer, 2);
      cradle_cbor_writer_bytes (writer, g_bytes_get_data (key_file->key_id, NULL), g_bytes_get_size (key_file->key_id));
      cradle_cbor_writer_uint (writer, 3);
      cradle_cbor_writer_text (writer, key_file->key_type);
      cradle_cbor_writer_uint (writer, 4);
      cradle_cbor_writer_text (writer, key_file->profile);
      cradle_cbor_writer_uint (writer, 6);
      cradle_cbor_writer_bytes (writer, g_bytes_get_data (key_file->public_key, NULL),
                                g_bytes_get_size (key_file->public_key));
      cradle_cbor_writer_uint (writer, 7);
      cradle_cbor_writer_bytes (writer, g_bytes_get_data (key_file->nonce, NULL), g_bytes_get_size (key_file->nonce));
      cradle_cbor_writer_uint (writer, 8);
      cradle_cbor_writer_bytes (writer, g_bytes_get_data (key_file->ciphertext, NULL),
                                g_bytes_get_size (key_file->ciphertext));
      cradle_cbor_writer_uint (writer, 9);
      cradle_cbor_writer_bytes (writer, g_bytes_get_data (key_file->tag, NULL), g_bytes_get_size (key_file->tag));
      cradle_cbor_writer_uint (writer, 10);
      cradle_cbor_writer_uint (writer, key_file->created);
      contents = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
      ks_write_file (path, g_bytes_get_data (contents, NULL), g_bytes_get_size (contents));
    }

  /* Made, no owner, no kind: it signs (a certification request, with the
   * user's yes), but no host may use it for SCEP or delete it. */
  g_assert_cmpint (cradle_agent_keystore_get_state (keystore, key_id), ==, CRADLE_AGENT_KEY_MADE);
  {
    g_autoptr(CradleAgentKeyFile) key_file = cradle_agent_keystore_load_key (keystore, key_id, &error);

    g_assert_no_error (error);
    g_assert_null (key_file->owner);
    g_assert_cmpint (key_file->kind, ==, CRADLE_AGENT_ENROLLMENT_UNKNOWN);
    g_assert_cmpuint (key_file->decryptions, ==, 0);
  }
  g_assert_false (cradle_agent_keystore_check_scep_signer (keystore, key_id, ks_host_a (), "sha256", tbs, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);
  g_assert_false (cradle_agent_keystore_delete_key (keystore, key_id, ks_host_a (), &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);
  {
    g_autoptr(GBytes) data_to_sign = g_bytes_new_static ("request", 7);
    g_autoptr(GBytes) signature = cradle_agent_keystore_sign (keystore, key_id, "sha256", data_to_sign, NULL, &error);

    g_assert_no_error (error);
    g_assert_nonnull (signature);
  }

  /* One bound to a certificate by then is enrolled; installing writes the
   * new format and deleting the certificate retires it. */
  bound_der = ks_make_cert_for_spki (bound_spki, ca_key, "alice", 3);
  ks_add_cert (batch, "MY", "user", bound_der, bound_id);
  g_assert_cmpuint (ks_install (keystore, batch), ==, 1);
  g_assert_cmpint (cradle_agent_keystore_get_state (keystore, bound_id), ==, CRADLE_AGENT_KEY_ENROLLED);
  {
    g_autoptr(CradleAgentKeyFile) key_file = cradle_agent_keystore_load_key (keystore, bound_id, &error);

    g_assert_no_error (error);
    g_assert_cmpint (key_file->state, ==, CRADLE_AGENT_KEY_ENROLLED);
  }
}

static void
test_delete_key (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = ks_open_keystore (f->folder, FALSE);
  g_autoptr(EVP_PKEY) ca_key = ks_test_key ();
  g_autoptr(GBytes) pending_id = NULL;
  g_autoptr(GBytes) enrolled_id = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) der = NULL;
  g_autoptr(GBytes) short_id = g_bytes_new_static ("0123", 4);
  g_autoptr(GPtrArray) batch = ks_cert_list ();
  g_autoptr(GError) error = NULL;
  g_autofree char *pending_path = NULL;

  ks_generate (keystore, "p256", &pending_id, NULL);
  ks_generate (keystore, "p256", &enrolled_id, &spki);
  der = ks_make_cert_for_spki (spki, ca_key, "alice", 1);
  ks_add_cert (batch, "MY", "user", der, enrolled_id);
  g_assert_cmpuint (ks_install (keystore, batch), ==, 1);

  g_assert_false (cradle_agent_keystore_delete_key (keystore, enrolled_id, ks_host_a (), &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);
  g_assert_true (cradle_agent_keystore_has_key (keystore, enrolled_id));

  pending_path = cradle_agent_keystore_key_path (keystore, pending_id);
  g_assert_true (g_file_test (pending_path, G_FILE_TEST_EXISTS));
  /* Only the host that made it may delete a made key. */
  g_assert_false (cradle_agent_keystore_delete_key (keystore, pending_id, ks_host_b (), &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);
  g_assert_false (cradle_agent_keystore_delete_key (keystore, pending_id, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);
  g_assert_true (g_file_test (pending_path, G_FILE_TEST_EXISTS));
  g_assert_true (cradle_agent_keystore_delete_key (keystore, pending_id, ks_host_a (), &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (pending_path, G_FILE_TEST_EXISTS));
  g_assert_false (cradle_agent_keystore_has_key (keystore, pending_id));
  g_assert_false (cradle_agent_keystore_is_pending (keystore, pending_id));

  g_assert_false (cradle_agent_keystore_delete_key (keystore, pending_id, ks_host_a (), &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (cradle_agent_keystore_delete_key (keystore, short_id, ks_host_a (), &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_null (cradle_agent_keystore_dup_public_key (keystore, pending_id, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static void
test_install_timing (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GPtrArray) ders = ks_make_many_certs (100, 1);
  g_autoptr(GPtrArray) batch = ks_batch_of (ders, 0, 100, "CA");
  gint64 times[10];

  for (guint run = 0; run < G_N_ELEMENTS (times); run++)
    {
      g_autofree char *name = g_strdup_printf ("timing-%u", run);
      g_autofree char *folder = g_build_filename (f->root, name, NULL);
      g_autoptr(CradleAgentKeystore) keystore = ks_open_keystore (folder, FALSE);
      gint64 start = g_get_monotonic_time ();

      g_assert_cmpuint (ks_install (keystore, batch), ==, 100);
      times[run] = g_get_monotonic_time () - start;
    }
  qsort (times, G_N_ELEMENTS (times), sizeof times[0], compare_gint64);
  g_test_message ("install of 100 certificates (with fsyncs), 10 runs: median %.2f ms, "
                  "min %.2f ms, max %.2f ms",
                  (times[4] + times[5]) / 2000.0, times[0] / 1000.0, times[9] / 1000.0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/agent/keystore/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("install/basic", test_install);
  ADD ("install/binds-present-cert", test_install_binds_present_cert);
  ADD ("install/batch-is-atomic", test_install_batch_is_atomic);
  ADD ("install/system-scope", test_system_scope);
  ADD ("install/key-rules", test_install_key_rules);
  ADD ("install/limit", test_install_limit);
  ADD ("install/timing", test_install_timing);
  ADD ("delete-cert", test_delete_cert);
  ADD ("delete-key", test_delete_key);
  ADD ("key-file/format-1", test_key_file_format_1);

#undef ADD

  return g_test_run ();
}
