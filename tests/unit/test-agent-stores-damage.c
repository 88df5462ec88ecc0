/* test-agent-stores-damage.c: the device agent's stores when files are damaged
 * and when the agent is killed mid-install: refused clearly, never half-written */
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
  g_autoptr(GPtrArray) ders = ks_make_many_certs (3, 1);
  g_autoptr(GPtrArray) batch = ks_batch_of (ders, 0, 3, "Root");
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
  g_autoptr(GPtrArray) ders = ks_make_many_certs (2, 1);
  g_autoptr(GPtrArray) batch = ks_batch_of (ders, 0, 2, "CA");
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
  g_autoptr(GPtrArray) ders = ks_make_many_certs (110, 1);
  g_autoptr(GPtrArray) baseline = ks_batch_of (ders, 0, 10, "CA");
  g_autoptr(GPtrArray) batch = ks_batch_of (ders, 10, 110, "Root");
  g_autoptr(GPtrArray) everything = ks_batch_of (ders, 0, 10, "CA");
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

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/agent/keystore/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("open/stale-temp-files", test_stale_temp_files);
  ADD ("damaged/stores", test_damaged_stores);
  ADD ("damaged/key-file", test_damaged_key_file);
  ADD ("atomic/read-bounded", test_read_bounded);
  ADD ("crash-consistency", test_crash_consistency);

  return g_test_run ();
}
