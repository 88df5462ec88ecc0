/* test-pairing.c: the device serves only hosts its user paired
 *
 * A real cradle-agent on a socketpair (agent-fixture.c). Each test is an
 * attack from docs/security.md, or the life of a pairing.
 */
#include "config.h"

#include <unistd.h>
#include <sys/socket.h>
#include <glib/gstdio.h>
#include <cradle/cradle.h>

#include "agent-fixture.h"
#include "test-files.h"
#include "protocol/cradle-bridge-socket-private.h"
#include "protocol/cradle-bridge-message-private.h"
#include "host/cradle-host-pairing-private.h"
#include "base/cradle-openssl-private.h"

typedef struct {
  AgentFixture agent;
} Fixture;

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  agent_fixture_stop (&fixture->agent);
}

static void
start_unpaired (Fixture    *fixture,
                const char *policy)
{
  fixture->agent.unpaired = TRUE;
  agent_fixture_start (&fixture->agent, policy, NULL);
}

static guint
count_files (const char *folder)
{
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  guint count = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    count++;
  return count;
}

/* What the device's user sees with `cradle-agent --list-hosts`. */
static char *
list_hosts (Fixture *fixture)
{
  g_autofree char *agent = agent_fixture_agent_path ();
  g_autofree char *store = g_strdup_printf ("--store=%s", fixture->agent.store);
  g_autofree char *out = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, agent, store, "--list-hosts", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (process));
  return g_steal_pointer (&out);
}

static guint
count_lines (const char *text)
{
  guint lines = 0;

  for (const char *p = text; *p != '\0'; p++)
    lines += *p == '\n';
  return lines;
}

/* Juice jacking: a computer the user never trusted touches no key and no
 * store, and the device makes no key for it. */
static void
test_unpaired_refused (Fixture       *fixture,
                       gconstpointer  data)
{
  CradleDevice *device;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GPtrArray) certs = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(EVP_PKEY) key = test_key_new ();
  g_autoptr(GBytes) root = test_cert ("Mallory Root", key, "Mallory Root", key, TRUE);
  g_autoptr(GBytes) fake_id = g_bytes_new_take (g_malloc0 (16), 16);
  g_autoptr(GBytes) digest = test_sha256 (root);
  g_autoptr(GBytes) signature = NULL;
  g_autofree char *keys = NULL;

  start_unpaired (fixture, "--confirm=approve");
  device = fixture->agent.device;

  /* What it may still see: who the device is, so it can ask to pair. */
  g_assert_false (cradle_device_is_paired (device));
  g_assert_true (cradle_device_refresh_info (device, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (cradle_device_get_serial (device), ==, "TEST-0001");

  key_id = cradle_device_generate_key (device, "p256", "Mallory", NULL, NULL, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_PAIRED);
  g_assert_null (key_id);
  g_clear_error (&error);
  certs = cradle_device_list_certs (device, NULL, NULL, NULL, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_PAIRED);
  g_clear_error (&error);
  g_ptr_array_add (batch, cradle_device_cert_new ("Root", "user", root, NULL));
  g_assert_false (cradle_device_install (device, batch, NULL, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_PAIRED);
  g_clear_error (&error);
  g_assert_false (cradle_device_delete_cert (device, "MY", "user", digest, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_PAIRED);
  g_clear_error (&error);
  g_assert_false (cradle_device_delete_key (device, fake_id, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_PAIRED);
  g_clear_error (&error);
  signature = cradle_device_sign (device, fake_id, CRADLE_DEVICE_SIGN_SCEP_MESSAGE, root, "sha256", NULL, NULL,
                                  &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_PAIRED);
  g_assert_null (signature);
  g_clear_error (&error);

  /* Nothing was made. */
  keys = g_build_filename (fixture->agent.store, "keys", NULL);
  g_assert_cmpuint (count_files (keys), ==, 0);
}

typedef struct {
  GSubprocess *agent;
  char        *host_code;     /* set by the "waiting" handler */
  char        *device_code;   /* read from the agent's prompt */
  gboolean     answered;
} CodeCheck;

static void
on_waiting (CradleDevice *device,
            guint         status,
            const char   *prompt,
            gpointer      user_data)
{
  CodeCheck *check = user_data;
  const char *code;

  if (status != CRADLE_DEVICE_WAITING_PAIRING || prompt == NULL || g_atomic_pointer_get (&check->host_code) != NULL)
    return;
  code = strstr (prompt, "shows the code ");
  g_assert_nonnull (code);
  g_atomic_pointer_set (&check->host_code, g_strndup (code + strlen ("shows the code "), 7));
}

/* The device's user: reads the prompt, compares the codes, answers. */
static gpointer
device_user (gpointer data)
{
  CodeCheck *check = data;
  g_autoptr(GDataInputStream) prompt = g_data_input_stream_new (g_subprocess_get_stdout_pipe (check->agent));
  GOutputStream *answer = g_subprocess_get_stdin_pipe (check->agent);
  gint64 deadline;
  char *line;

  while ((line = g_data_input_stream_read_line (prompt, NULL, NULL, NULL)) != NULL)
    {
      const char *code = strstr (line, "Code: ");

      if (code != NULL)
        check->device_code = g_strndup (code + strlen ("Code: "), 7);
      g_free (line);
      if (check->device_code != NULL)
        break;
    }
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (g_atomic_pointer_get (&check->host_code) == NULL && g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);
  check->answered = TRUE;
  g_output_stream_write_all (answer,
                             g_strcmp0 (check->device_code, g_atomic_pointer_get (&check->host_code)) == 0
                               ? "y\n" : "n\n", 2, NULL, NULL, NULL);
  return NULL;
}

/* Both screens show the same six digits, and the user's yes pairs. */
static void
test_codes_match (void)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autofree char *agent = agent_fixture_agent_path ();
  g_autofree char *store = g_dir_make_tmp ("cradle-pair-XXXXXX", NULL);
  g_autofree char *state = g_build_filename (store, "host", NULL);
  g_autofree char *device_store = g_build_filename (store, "device", NULL);
  g_autofree char *store_arg = g_strdup_printf ("--store=%s", device_store);
  g_autofree char *kek_arg = g_strdup_printf ("--kek-file=%s/kek", store);
  g_autoptr(CradleBridgeTransport) transport = NULL;
  g_autoptr(CradleDevice) device = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GThread) user = NULL;
  CodeCheck check = { 0 };
  int fds[2];

  g_setenv ("CRADLE_STATE_DIR", state, TRUE);
  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), ==, 0);
  g_subprocess_launcher_take_fd (launcher, fds[1], 3);
  check.agent = g_subprocess_launcher_spawn (launcher, &error, agent, "--fd=3", store_arg, kek_arg, "--serial=CODE-1",
                                             "--confirm=approve", "--confirm-pair=ask", NULL);
  g_assert_no_error (error);
  transport = cradle_bridge_socket_new_for_fd (fds[0], "socket:code", &error);
  g_assert_no_error (error);
  device = cradle_device_new_for_transport (transport);
  g_signal_connect (device, "waiting", G_CALLBACK (on_waiting), &check);
  g_assert_true (cradle_device_open (device, NULL, &error));
  g_assert_no_error (error);

  user = g_thread_new ("device-user", device_user, &check);
  g_assert_true (cradle_device_pair (device, NULL, &error));
  g_assert_no_error (error);
  g_thread_join (g_steal_pointer (&user));

  g_assert_true (check.answered);
  g_assert_nonnull (check.device_code);
  g_assert_true (g_regex_match_simple ("^[0-9]{3} [0-9]{3}$", check.device_code, 0, 0));
  g_assert_cmpstr (check.host_code, ==, check.device_code);
  g_assert_true (cradle_device_is_paired (device));

  cradle_device_close (device);
  g_subprocess_wait (check.agent, NULL, NULL);
  g_clear_object (&check.agent);
  g_free (check.host_code);
  g_free (check.device_code);
  test_remove_tree (store);
}

static void
test_declined (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) pin = NULL;
  g_autofree char *hosts = NULL;

  start_unpaired (fixture, "--confirm-pair=decline");
  g_assert_false (cradle_device_pair (fixture->agent.device, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_USER_DECLINED);
  g_clear_error (&error);
  g_assert_false (cradle_device_is_paired (fixture->agent.device));
  pin = cradle_host_pin_lookup ("TEST-0001", &error);
  g_assert_no_error (error);
  g_assert_null (pin);
  hosts = list_hosts (fixture);
  g_assert_nonnull (strstr (hosts, "trusts no computer"));
}

/* The next session proves the pairing without asking anyone. */
static void
test_next_session (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) certs = NULL;
  g_autofree char *hosts = NULL;

  agent_fixture_start (&fixture->agent, "--confirm=approve", NULL);
  g_assert_true (cradle_device_is_paired (fixture->agent.device));
  agent_fixture_end_session (&fixture->agent);

  fixture->agent.unpaired = TRUE;
  agent_fixture_start (&fixture->agent, "--confirm-pair=decline", NULL);
  g_assert_true (cradle_device_is_paired (fixture->agent.device));
  certs = cradle_device_list_certs (fixture->agent.device, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (certs);

  hosts = list_hosts (fixture);
  g_assert_cmpuint (count_lines (hosts), ==, 1);
  g_assert_nonnull (strstr (hosts, g_get_user_name ()));
}

/* A stand-in that claims the serial of a paired device is refused before
 * anything is sent to it. */
static void
test_stand_in (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *real_store = NULL;

  agent_fixture_start (&fixture->agent, "--confirm=approve", NULL);
  agent_fixture_end_session (&fixture->agent);

  /* Same serial, another device (its own identity key). */
  real_store = g_steal_pointer (&fixture->agent.store);
  fixture->agent.unpaired = TRUE;
  fixture->agent.expect_open_failure = TRUE;
  agent_fixture_start (&fixture->agent, "--confirm=approve", NULL);
  g_assert_false (cradle_device_is_paired (fixture->agent.device));
  g_assert_error (fixture->agent.open_error, CRADLE_ERROR, CRADLE_ERROR_NOT_PAIRED);
  g_assert_nonnull (strstr (fixture->agent.open_error->message, "not the device this computer paired with"));
  test_remove_tree (real_store);
}

static void
test_forget (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) pin = NULL;
  g_autofree char *hosts = NULL;
  g_autoptr(GBytes) key_id = NULL;

  agent_fixture_start (&fixture->agent, "--confirm=approve", NULL);
  g_assert_true (cradle_device_forget (fixture->agent.device, NULL, &error));
  g_assert_no_error (error);
  pin = cradle_host_pin_lookup ("TEST-0001", &error);
  g_assert_no_error (error);
  g_assert_null (pin);
  agent_fixture_end_session (&fixture->agent);
  hosts = list_hosts (fixture);
  g_assert_nonnull (strstr (hosts, "trusts no computer"));

  fixture->agent.unpaired = TRUE;
  agent_fixture_start (&fixture->agent, "--confirm=approve", NULL);
  g_assert_false (cradle_device_is_paired (fixture->agent.device));
  key_id = cradle_device_generate_key (fixture->agent.device, "p256", "test", NULL, NULL, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_PAIRED);
}

/* Unpaired on the device, or a lost host key: the host simply pairs again. */
static void
test_pair_again (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *agent = agent_fixture_agent_path ();
  g_autofree char *store = g_strdup_printf ("--store=%s", fixture->agent.store);
  g_autofree char *host_key = NULL;
  g_autofree char *hosts = NULL;
  int status = -1;

  agent_fixture_start (&fixture->agent, "--confirm=approve", NULL);
  agent_fixture_end_session (&fixture->agent);

  /* The device's user removes every computer. */
  {
    g_autofree char *command = g_strdup_printf ("'%s' '--store=%s' --forget-host=all", agent, fixture->agent.store);
    g_autofree char *out = NULL;

    g_assert_true (g_spawn_command_line_sync (command, &out, NULL, &status, &error));
    g_assert_nonnull (strstr (out, "no longer trusts 1 computer"));
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (status, NULL));
  }
  fixture->agent.unpaired = TRUE;
  agent_fixture_start (&fixture->agent, "--confirm=approve", NULL);
  g_assert_false (cradle_device_is_paired (fixture->agent.device));
  g_assert_true (cradle_device_pair (fixture->agent.device, NULL, &error));
  g_assert_no_error (error);
  agent_fixture_end_session (&fixture->agent);

  /* This computer loses its key: a new host, paired anew. */
  host_key = g_build_filename (fixture->agent.host_state, "host-key.pem", NULL);
  g_assert_cmpint (g_unlink (host_key), ==, 0);
  fixture->agent.unpaired = FALSE;
  agent_fixture_start (&fixture->agent, "--confirm=approve", NULL);
  g_assert_true (cradle_device_is_paired (fixture->agent.device));
  agent_fixture_end_session (&fixture->agent);
  hosts = list_hosts (fixture);
  g_assert_cmpuint (count_lines (hosts), ==, 2);
}

static void
write_raw (Fixture      *fixture,
           const guint8 *data,
           gsize         size)
{
  g_assert_cmpint (write (fixture->agent.host_fd, data, size), ==, (gssize) size);
}

/* Another program on the same socket or bus cannot slip a request in. */
static void
test_injected_frame (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) frame = cradle_bridge_frame_encode (CRADLE_BRIDGE_GET_INFO, 0, 77, NULL);
  g_autoptr(GPtrArray) certs = NULL;

  fixture->agent.raw_access = TRUE;
  agent_fixture_start (&fixture->agent, "--confirm=approve", NULL);
  write_raw (fixture, g_bytes_get_data (frame, NULL), g_bytes_get_size (frame));
  /* The device ends the session instead of answering it. */
  certs = cradle_device_list_certs (fixture->agent.device, NULL, NULL, NULL, &error);
  g_assert_null (certs);
  g_assert_nonnull (error);
  g_assert_false (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_NOT_PAIRED));
  g_assert_true (g_subprocess_wait (fixture->agent.agent, NULL, NULL));
}

/* A recorded sealed request, sent again, ends the session. */
static void
test_replayed_frame (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) certs = NULL;
  gsize before;

  fixture->agent.raw_access = TRUE;
  agent_fixture_start (&fixture->agent, "--confirm=approve", NULL);
  before = fixture->agent.sent->len;
  g_assert_true (cradle_device_refresh_info (fixture->agent.device, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (fixture->agent.sent->len, >, before);
  /* The GET_INFO just sent, sealed, byte for byte. */
  g_assert_cmpuint (fixture->agent.sent->data[before + 7] & CRADLE_BRIDGE_FLAG_SEALED, !=, 0);
  write_raw (fixture, fixture->agent.sent->data + before, fixture->agent.sent->len - before);
  certs = cradle_device_list_certs (fixture->agent.device, NULL, NULL, NULL, &error);
  g_assert_null (certs);
  g_assert_nonnull (error);
  g_assert_true (g_subprocess_wait (fixture->agent.agent, NULL, NULL));
}

/* Two computers paired with one device: the second cannot use a key the
 * first made, even for the first one's own SCEP enrollment. */
static void
test_other_host (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) plain = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autofree char *first_host = NULL;
  g_autofree char *hosts = NULL;
  guint8 ciphertext[256] = { 0x01 };
  g_autoptr(GBytes) encrypted = g_bytes_new (ciphertext, sizeof ciphertext);

  agent_fixture_start (&fixture->agent, "--confirm=approve", NULL);
  key_id = cradle_device_generate_key_for (fixture->agent.device, "rsa2048", "SCEP for the first computer",
                                           CRADLE_DEVICE_KEY_FOR_SCEP, &spki, NULL, &error);
  g_assert_no_error (error);
  agent_fixture_end_session (&fixture->agent);

  /* Another user of this computer, or another computer: its own host key. */
  first_host = g_steal_pointer (&fixture->agent.host_state);
  agent_fixture_start (&fixture->agent, "--confirm=approve", NULL);
  g_assert_true (cradle_device_is_paired (fixture->agent.device));
  hosts = list_hosts (fixture);
  g_assert_cmpuint (count_lines (hosts), ==, 2);

  plain = cradle_device_decrypt (fixture->agent.device, key_id, CRADLE_DEVICE_DECRYPT_SCEP_CONTENT_KEY,
                                 encrypted, 16, NULL, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_assert_null (plain);
  g_clear_error (&error);
  g_assert_false (cradle_device_delete_key (fixture->agent.device, key_id, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);
  signature = cradle_device_sign (fixture->agent.device, key_id, CRADLE_DEVICE_SIGN_SCEP_SIGNER, spki, "sha256",
                                  NULL, NULL, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_assert_null (signature);
  test_remove_tree (first_host);
}

/* Several devices paired at once by one program (the app enrolling
 * several, cradlectl --all-devices): the threads making this user's first
 * host key at the same moment all end up with the one key on disk. */
#define FIRST_KEY_THREADS 8
#define FIRST_KEY_ROUNDS  20

typedef struct {
  GMutex  lock;
  GCond   cond;
  gboolean go;
} Gate;

static gpointer
first_key_thread (gpointer data)
{
  Gate *gate = data;
  GError *error = NULL;
  CradleHostIdentity *identity;

  g_mutex_lock (&gate->lock);
  while (!gate->go)
    g_cond_wait (&gate->cond, &gate->lock);
  g_mutex_unlock (&gate->lock);
  identity = cradle_host_identity_load (&error);
  g_assert_no_error (error);
  return identity;
}

static void
test_first_key_threads (void)
{
  g_autofree char *saved = g_strdup (g_getenv ("CRADLE_STATE_DIR"));

  for (guint round = 0; round < FIRST_KEY_ROUNDS; round++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *state = g_dir_make_tmp ("cradle-first-key-XXXXXX", &error);
      g_autoptr(CradleHostIdentity) again = NULL;
      GThread *threads[FIRST_KEY_THREADS];
      CradleHostIdentity *identities[FIRST_KEY_THREADS];
      Gate gate = { 0 };

      g_assert_no_error (error);
      g_setenv ("CRADLE_STATE_DIR", state, TRUE);
      g_mutex_init (&gate.lock);
      g_cond_init (&gate.cond);
      for (guint i = 0; i < FIRST_KEY_THREADS; i++)
        threads[i] = g_thread_new ("first-key", first_key_thread, &gate);
      g_mutex_lock (&gate.lock);
      gate.go = TRUE;
      g_cond_broadcast (&gate.cond);
      g_mutex_unlock (&gate.lock);
      for (guint i = 0; i < FIRST_KEY_THREADS; i++)
        identities[i] = g_thread_join (threads[i]);

      /* The key on disk is every thread's key, and no file is left beside it. */
      again = cradle_host_identity_load (&error);
      g_assert_no_error (error);
      for (guint i = 0; i < FIRST_KEY_THREADS; i++)
        {
          g_assert_nonnull (identities[i]);
          g_assert_true (g_bytes_equal (identities[i]->public_key, again->public_key));
          cradle_host_identity_free (identities[i]);
        }
      g_assert_cmpuint (count_files (state), ==, 1);
      g_mutex_clear (&gate.lock);
      g_cond_clear (&gate.cond);
      test_remove_tree (state);
    }
  if (saved != NULL)
    g_setenv ("CRADLE_STATE_DIR", saved, TRUE);
  else
    g_unsetenv ("CRADLE_STATE_DIR");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/pairing/unpaired-host-refused", Fixture, NULL, NULL, test_unpaired_refused, fixture_tear_down);
  g_test_add_func ("/pairing/codes-match", test_codes_match);
  g_test_add_func ("/pairing/first-key-threads", test_first_key_threads);
  g_test_add ("/pairing/declined", Fixture, NULL, NULL, test_declined, fixture_tear_down);
  g_test_add ("/pairing/next-session", Fixture, NULL, NULL, test_next_session, fixture_tear_down);
  g_test_add ("/pairing/stand-in-device", Fixture, NULL, NULL, test_stand_in, fixture_tear_down);
  g_test_add ("/pairing/forget", Fixture, NULL, NULL, test_forget, fixture_tear_down);
  g_test_add ("/pairing/pair-again", Fixture, NULL, NULL, test_pair_again, fixture_tear_down);
  g_test_add ("/pairing/other-host", Fixture, NULL, NULL, test_other_host, fixture_tear_down);
  g_test_add ("/pairing/injected-frame", Fixture, NULL, NULL, test_injected_frame, fixture_tear_down);
  g_test_add ("/pairing/replayed-frame", Fixture, NULL, NULL, test_replayed_frame, fixture_tear_down);
  return g_test_run ();
}
