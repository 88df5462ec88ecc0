/* test-agent-stores.c: the device agent's certificate stores: install, delete, damage, crashes */
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

static GPtrArray *
make_many_certs (guint count,
                 long  first_serial)
{
  g_autoptr(EVP_PKEY) key = ks_test_key ();
  GPtrArray *ders = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  for (guint i = 0; i < count; i++)
    {
      g_autofree char *name = g_strdup_printf ("CA %u", i);

      g_ptr_array_add (ders, ks_make_cert (key, key, name, first_serial + i));
    }
  return ders;
}

static GPtrArray *
batch_of (GPtrArray  *ders,
          guint       from,
          guint       to,
          const char *store)
{
  GPtrArray *batch = ks_cert_list ();

  for (guint i = from; i < to; i++)
    ks_add_cert (batch, store, "user", g_ptr_array_index (ders, i), NULL);
  return batch;
}

static void
test_install_limit (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = ks_open_keystore (f->folder, FALSE);
  g_autoptr(GPtrArray) ders = make_many_certs (CRADLE_AGENT_STORES_MAX_CERTS + 1, 1);
  g_autoptr(GPtrArray) too_many = batch_of (ders, 0, ders->len, "CA");
  g_autoptr(GPtrArray) most = batch_of (ders, 0, 1000, "CA");
  g_autoptr(GPtrArray) rest = batch_of (ders, 1000, CRADLE_AGENT_STORES_MAX_CERTS, "CA");
  g_autoptr(GPtrArray) one_more = batch_of (ders, CRADLE_AGENT_STORES_MAX_CERTS, ders->len, "CA");
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

/* Damaged files */

static void
assert_stores_damaged (const char   *folder,
                       const char   *stores_path,
                       const guint8 *data,
                       gsize         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleAgentKeystore) keystore = NULL;

  ks_write_file (stores_path, data, size);
  keystore = cradle_agent_keystore_open (folder, FALSE, &error);
  g_assert_null (keystore);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, stores_path));
  g_assert_nonnull (strstr (error->message, "move it aside"));
}

static void
test_damaged_stores (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = ks_open_keystore (f->folder, FALSE);
  g_autoptr(GPtrArray) ders = make_many_certs (3, 1);
  g_autoptr(GPtrArray) batch = batch_of (ders, 0, 3, "Root");
  g_autofree char *stores_path = g_build_filename (f->folder, "stores", NULL);
  g_autoptr(GBytes) good = NULL;
  g_autoptr(GError) error = NULL;
  const guint8 *bytes;
  gsize size;

  g_assert_cmpuint (ks_install (keystore, batch), ==, 3);
  g_clear_object (&keystore);
  good = ks_read_file (stores_path);
  bytes = g_bytes_get_data (good, &size);

  for (gsize length = 0; length < size; length += length < 64 ? 1 : 29)
    assert_stores_damaged (f->folder, stores_path, bytes, length);
  for (guint round = 0; round < 50; round++)
    {
      guint8 junk[256];
      gsize length = g_test_rand_int_range (1, sizeof junk + 1);

      for (gsize i = 0; i < length; i++)
        junk[i] = g_test_rand_int_range (0, 256);
      if (round % 2 == 0)
        junk[0] = 0xa2;   /* a map of two pairs, so the decoder gets further */
      assert_stores_damaged (f->folder, stores_path, junk, length);
    }
  {
    /* Well-formed CBOR, wrong content: a newer format, a bad store name. */
    g_autoptr(CradleCborWriter) writer = cradle_cbor_writer_new ();
    g_autoptr(GBytes) newer = NULL;

    cradle_cbor_writer_map (writer, 2);
    cradle_cbor_writer_uint (writer, 1);
    cradle_cbor_writer_uint (writer, 2);
    cradle_cbor_writer_uint (writer, 2);
    cradle_cbor_writer_array (writer, 0);
    newer = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
    assert_stores_damaged (f->folder, stores_path, g_bytes_get_data (newer, NULL), g_bytes_get_size (newer));
  }
  {
    g_autoptr(CradleCborWriter) writer = cradle_cbor_writer_new ();
    g_autoptr(GBytes) bad_store = NULL;

    cradle_cbor_writer_map (writer, 2);
    cradle_cbor_writer_uint (writer, 1);
    cradle_cbor_writer_uint (writer, 1);
    cradle_cbor_writer_uint (writer, 2);
    cradle_cbor_writer_array (writer, 1);
    cradle_cbor_writer_map (writer, 3);
    cradle_cbor_writer_uint (writer, 1);
    cradle_cbor_writer_text (writer, "Trust");
    cradle_cbor_writer_uint (writer, 2);
    cradle_cbor_writer_text (writer, "user");
    cradle_cbor_writer_uint (writer, 3);
    cradle_cbor_writer_bytes (writer, (const guint8 *) "x", 1);
    bad_store = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
    assert_stores_damaged (f->folder, stores_path, g_bytes_get_data (bad_store, NULL),
                           g_bytes_get_size (bad_store));
  }

  /* Too large: refused from its size, before reading. */
  {
    int fd = open (stores_path, O_WRONLY | O_TRUNC | O_CLOEXEC);

    g_assert_cmpint (fd, >=, 0);
    g_assert_cmpint (ftruncate (fd, CRADLE_AGENT_STORES_MAX_SIZE + 1), ==, 0);
    close (fd);
    g_assert_null (cradle_agent_keystore_open (f->folder, FALSE, &error));
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
    g_assert_nonnull (strstr (error->message, "move it aside"));
    g_test_message ("%s", error->message);
    g_clear_error (&error);
  }
  /* Not a file at all. */
  g_assert_cmpint (g_unlink (stores_path), ==, 0);
  g_assert_cmpint (g_mkdir (stores_path, 0700), ==, 0);
  g_assert_null (cradle_agent_keystore_open (f->folder, FALSE, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* Moved aside: an empty store. */
  g_assert_cmpint (g_rmdir (stores_path), ==, 0);
  keystore = ks_open_keystore (f->folder, FALSE);
  {
    g_autoptr(GPtrArray) all = ks_list (keystore, NULL, NULL);

    g_assert_cmpuint (all->len, ==, 0);
  }
  g_assert_cmpuint (ks_install (keystore, batch), ==, 3);
}

static void
assert_key_damaged (CradleAgentKeystore *keystore,
                    GBytes              *key_id,
                    const char          *path)
{
  g_autoptr(GBytes) message = g_bytes_new_static ("x", 1);
  g_autoptr(GError) error = NULL;

  g_assert_null (cradle_agent_keystore_sign (keystore, key_id, "sha256", message, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "damaged"));
}

static void
test_damaged_key_file (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = ks_open_keystore (f->folder, FALSE);
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) other_id = NULL;
  g_autoptr(GBytes) good = NULL;
  g_autoptr(GBytes) other_file = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *other_path = NULL;
  const guint8 *bytes;
  gsize size;

  ks_generate (keystore, "p256", &key_id, NULL);
  ks_generate (keystore, "p256", &other_id, NULL);
  path = cradle_agent_keystore_key_path (keystore, key_id);
  other_path = cradle_agent_keystore_key_path (keystore, other_id);
  good = ks_read_file (path);
  other_file = ks_read_file (other_path);
  bytes = g_bytes_get_data (good, &size);

  for (gsize length = 0; length < size; length += length < 64 ? 1 : 7)
    {
      ks_write_file (path, bytes, length);
      assert_key_damaged (keystore, key_id, path);
      g_assert_null (cradle_agent_keystore_dup_public_key (keystore, key_id, &error));
      g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
      g_clear_error (&error);
    }
  for (guint round = 0; round < 50; round++)
    {
      guint8 junk[256];
      gsize length = g_test_rand_int_range (1, sizeof junk + 1);

      for (gsize i = 0; i < length; i++)
        junk[i] = g_test_rand_int_range (0, 256);
      ks_write_file (path, junk, length);
      assert_key_damaged (keystore, key_id, path);
    }

  /* Another key's file under this key's name. */
  ks_write_file (path, g_bytes_get_data (other_file, NULL), g_bytes_get_size (other_file));
  assert_key_damaged (keystore, key_id, path);

  /* Well-formed but tampered with: the ciphertext, the key type (in the AAD). */
  {
    g_autoptr(CradleAgentKeyFile) key_file = cradle_agent_key_file_decode (good, &error);
    g_autoptr(GBytes) tampered = NULL;
    gsize ciphertext_size = 0;
    guint8 *ciphertext;

    g_assert_no_error (error);
    ciphertext = g_bytes_unref_to_data (g_steal_pointer (&key_file->ciphertext), &ciphertext_size);
    ciphertext[ciphertext_size / 2] ^= 1;
    key_file->ciphertext = g_bytes_new_take (ciphertext, ciphertext_size);
    tampered = cradle_agent_key_file_encode (key_file);
    ks_write_file (path, g_bytes_get_data (tampered, NULL), g_bytes_get_size (tampered));
    assert_key_damaged (keystore, key_id, path);
  }
  {
    g_autoptr(CradleAgentKeyFile) key_file = cradle_agent_key_file_decode (good, &error);
    g_autoptr(GBytes) tampered = NULL;

    g_assert_no_error (error);
    g_free (key_file->key_type);
    key_file->key_type = g_strdup ("p384");
    tampered = cradle_agent_key_file_encode (key_file);
    ks_write_file (path, g_bytes_get_data (tampered, NULL), g_bytes_get_size (tampered));
    assert_key_damaged (keystore, key_id, path);
  }

  /* Too large: refused from its size. */
  {
    int fd = open (path, O_WRONLY | O_TRUNC | O_CLOEXEC);

    g_assert_cmpint (fd, >=, 0);
    g_assert_cmpint (ftruncate (fd, CRADLE_AGENT_KEY_FILE_MAX_SIZE + 1), ==, 0);
    close (fd);
    assert_key_damaged (keystore, key_id, path);
  }

  /* The other key was never touched, and the original file works again. */
  ks_write_file (path, bytes, size);
  {
    g_autoptr(GBytes) message = g_bytes_new_static ("x", 1);
    g_autoptr(GBytes) signature = ks_sign (keystore, key_id, "sha256", message, NULL);
    g_autoptr(GBytes) other_signature = ks_sign (keystore, other_id, "sha256", message, NULL);
  }
}

static void
test_stale_temp_files (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = ks_open_keystore (f->folder, FALSE);
  g_autoptr(GPtrArray) ders = make_many_certs (2, 1);
  g_autoptr(GPtrArray) batch = batch_of (ders, 0, 2, "CA");
  g_autofree char *stale_stores = g_build_filename (f->folder, ".stores.tmp-Ab12Cd", NULL);
  g_autofree char *stale_kek = g_build_filename (f->folder, ".kek.tmp-Zz99Yy", NULL);
  g_autofree char *stale_key = g_build_filename (f->folder, "keys", ".00112233445566778899aabbccddeeff.key.tmp-QwErTy", NULL);
  g_autoptr(GPtrArray) all = NULL;

  g_assert_cmpuint (ks_install (keystore, batch), ==, 2);
  g_clear_object (&keystore);
  ks_write_file (stale_stores, (const guint8 *) "\xa2\x01", 2);
  ks_write_file (stale_kek, (const guint8 *) "half", 4);
  ks_write_file (stale_key, (const guint8 *) "", 0);

  keystore = ks_open_keystore (f->folder, FALSE);
  g_assert_false (g_file_test (stale_stores, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (stale_kek, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (stale_key, G_FILE_TEST_EXISTS));
  all = ks_list (keystore, NULL, NULL);
  ks_assert_certs_equal (all, batch);
}

static void
test_read_bounded (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->root, "file", NULL);
  g_autofree char *absent = g_build_filename (f->root, "absent", NULL);
  g_autofree char *link = g_build_filename (f->root, "link", NULL);
  g_autoptr(GBytes) contents = NULL;
  g_autoptr(GBytes) written = g_bytes_new_static ("0123456789", 10);
  g_autoptr(GError) error = NULL;

  g_assert_true (cradle_agent_atomic_write (path, written, 0640, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ks_file_mode (path) & ~0022, ==, 0640 & ~0022);
  contents = cradle_agent_read_bounded (path, 10, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (contents, written));
  g_assert_null (cradle_agent_read_bounded (path, 9, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_null (cradle_agent_read_bounded (absent, 9, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* Symbolic links are not followed. */
  g_assert_cmpint (symlink (path, link), ==, 0);
  g_assert_null (cradle_agent_read_bounded (link, 100, NULL, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  /* No temporary file stays behind. */
  {
    g_autoptr(GDir) dir = g_dir_open (f->root, 0, NULL);
    const char *name;

    while ((name = g_dir_read_name (dir)) != NULL)
      g_assert_false (cradle_agent_atomic_is_temp_name (name));
  }
}

/* Crash consistency: a child installing 100 certificates is killed at a
 * random moment; the stores then hold the old set or the new one. The
 * moments spread over how long a whole run takes here (timed first), so
 * they cover the write also under valgrind or on a slow disk. */

static void
assert_no_temp_files (const char *folder)
{
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_assert_false (cradle_agent_atomic_is_temp_name (name));
}

/* A fresh keystore holding @baseline, then a child process that opens it
 * and installs @batch; killed after @delay µs unless @delay is negative.
 * Returns the child's wait status; @elapsed (nullable) gets its lifetime. */
static int
run_child_install (const char *folder,
                   GPtrArray  *baseline,
                   GPtrArray  *batch,
                   gint64      delay,
                   gint64     *elapsed)
{
  gint64 start;
  g_autoptr(CradleAgentKeystore) keystore = ks_open_keystore (folder, FALSE);
  int status = 0;
  pid_t pid;

  g_assert_cmpuint (ks_install (keystore, baseline), ==, baseline->len);
  /* The child must take the folder lock itself. */
  g_clear_object (&keystore);

  start = g_get_monotonic_time ();
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      CradleAgentKeystore *child = cradle_agent_keystore_open (folder, FALSE, NULL);
      gboolean done;

      if (child == NULL)
        _exit (2);
      done = cradle_agent_keystore_install (child, batch, NULL, NULL);
      g_object_unref (child);
      _exit (done ? 0 : 3);
    }

  if (delay >= 0)
    {
      g_usleep (delay);
      kill (pid, SIGKILL);
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  if (elapsed != NULL)
    *elapsed = g_get_monotonic_time () - start;
  if (WIFEXITED (status))
    g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  else
    g_assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  return status;
}

static void
test_crash_consistency (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GPtrArray) ders = make_many_certs (110, 1);
  g_autoptr(GPtrArray) baseline = batch_of (ders, 0, 10, "CA");
  g_autoptr(GPtrArray) batch = batch_of (ders, 10, 110, "Root");
  g_autoptr(GPtrArray) everything = batch_of (ders, 0, 10, "CA");
  g_autofree char *calibration = g_build_filename (f->root, "calibration", NULL);
  guint killed_before = 0;
  guint killed_after = 0;
  guint finished = 0;
  const guint runs = 20;
  gint64 whole_run;

  for (guint i = 10; i < 110; i++)
    ks_add_cert (everything, "Root", "user", g_ptr_array_index (ders, i), NULL);

  run_child_install (calibration, baseline, batch, -1, &whole_run);
  whole_run = MAX (whole_run, 1000);
  g_test_message ("a whole run takes %" G_GINT64_FORMAT " us", whole_run);

  for (guint run = 0; run < runs; run++)
    {
      g_autofree char *name = g_strdup_printf ("crash-%u", run);
      g_autofree char *folder = g_build_filename (f->root, name, NULL);
      g_autoptr(CradleAgentKeystore) keystore = NULL;
      g_autoptr(GPtrArray) after = NULL;
      gint64 delay = g_test_rand_int_range (0, (gint32) MIN (whole_run * 11 / 10, G_MAXINT32));
      int status = run_child_install (folder, baseline, batch, delay, NULL);

      keystore = ks_open_keystore (folder, FALSE);
      after = ks_list (keystore, NULL, NULL);
      if (after->len == baseline->len)
        {
          ks_assert_certs_equal (after, baseline);
          killed_before++;
        }
      else
        {
          ks_assert_certs_equal (after, everything);
          if (WIFEXITED (status))
            finished++;
          else
            killed_after++;
        }
      assert_no_temp_files (folder);
      g_test_message ("run %u: killed after %" G_GINT64_FORMAT " us: %u certificates",
                      run, delay, after->len);
    }
  g_test_message ("%u runs: %u with the old set, %u killed with the new set written, %u finished",
                  runs, killed_before, killed_after, finished);
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
  g_autoptr(GPtrArray) ders = make_many_certs (100, 1);
  g_autoptr(GPtrArray) batch = batch_of (ders, 0, 100, "CA");
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

  ADD ("open/stale-temp-files", test_stale_temp_files);
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
  ADD ("damaged/stores", test_damaged_stores);
  ADD ("damaged/key-file", test_damaged_key_file);
  ADD ("atomic/read-bounded", test_read_bounded);
  ADD ("crash-consistency", test_crash_consistency);

#undef ADD

  return g_test_run ();
}
