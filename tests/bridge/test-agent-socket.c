/* test-agent-socket.c: a listening cradle-agent, found as a simulated device
 *
 * Discovery through the runtime folder, a second host refused as BUSY,
 * malformed input on a connection (the agent answers and keeps serving),
 * cradlectl's devices and certs, an agent killed in the middle of an
 * INSTALL that restarts with consistent stores, and the libraries it binds.
 */
#include "config.h"

#include <signal.h>
#include <glib/gstdio.h>
#include <gio/gunixsocketaddress.h>
#include <json-glib/json-glib.h>
#include <cradle/cradle.h>

#include "agent-fixture.h"
#include "base/cradle-openssl-private.h"
#include "protocol/cradle-bridge-cbor-private.h"
#include "protocol/cradle-bridge-frame-private.h"
#include "protocol/cradle-bridge-message-private.h"

typedef struct {
  char        *home;
  char        *runtime;
  char        *store;
  char        *socket_path;
  GSubprocess *agent;
} Listening;

static void
listening_start_agent (Listening  *l,
                       const char *confirm)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autofree char *agent = agent_fixture_agent_path ();
  g_autofree char *store_arg = g_strdup_printf ("--store=%s", l->store);
  g_autofree char *kek_arg = g_strdup_printf ("--kek-file=%s/secrets/kek", l->home);
  g_autoptr(GDataInputStream) output = NULL;
  g_autofree char *line = NULL;
  g_autoptr(GError) error = NULL;

  g_subprocess_launcher_setenv (launcher, "CRADLE_RUNTIME_DIR", l->runtime, TRUE);
  l->agent = g_subprocess_launcher_spawn (launcher, &error, agent, "--serial=SOCK-1", store_arg, kek_arg,
                                          confirm, NULL);
  g_assert_no_error (error);

  /* Ready once it says where it listens (connecting to find out would
   * itself be a session, and make the next host wait). */
  output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (l->agent));
  line = g_data_input_stream_read_line (output, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_nonnull (strstr (line, "listening on"));
}

static void
listening_stop_agent (Listening *l)
{
  if (l->agent == NULL)
    return;
  g_subprocess_send_signal (l->agent, SIGTERM);
  g_subprocess_wait (l->agent, NULL, NULL);
  g_clear_object (&l->agent);
}

static void
listening_set_up (Listening     *l,
                  gconstpointer  data)
{
  g_autofree char *state = NULL;

  l->home = g_dir_make_tmp ("cradle-agent-socket-XXXXXX", NULL);
  l->runtime = g_build_filename (l->home, "run", NULL);
  l->store = g_build_filename (l->home, "store", NULL);
  l->socket_path = g_build_filename (l->runtime, "devices", "SOCK-1.sock", NULL);
  /* For cradle_device_enumerate() in this process and for cradlectl. */
  g_setenv ("CRADLE_RUNTIME_DIR", l->runtime, TRUE);
  /* This computer's pairing key and pins, shared with cradlectl. */
  state = g_build_filename (l->home, "state", NULL);
  g_setenv ("CRADLE_STATE_DIR", state, TRUE);
  listening_start_agent (l, data != NULL ? data : "--confirm=approve");
}

static void
listening_tear_down (Listening     *l,
                     gconstpointer  data)
{
  g_autofree char *command = NULL;

  listening_stop_agent (l);
  command = g_strdup_printf ("rm -rf '%s'", l->home);
  g_assert_true (g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL));
  g_free (l->home);
  g_free (l->runtime);
  g_free (l->store);
  g_free (l->socket_path);
}

static CradleDevice *
find_and_open (GError **error)
{
  g_autoptr(GPtrArray) devices = cradle_device_enumerate (NULL, error);

  g_assert_nonnull (devices);
  for (guint i = 0; i < devices->len; i++)
    {
      CradleDevice *device = g_ptr_array_index (devices, i);

      if (g_strcmp0 (cradle_device_get_transport (device), "socket") != 0)
        continue;
      if (!cradle_device_open (device, NULL, error) || !cradle_device_pair (device, NULL, error))
        return NULL;
      return g_object_ref (device);
    }
  return NULL;
}

static void
test_discovered (Listening     *l,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleDevice) device = find_and_open (&error);

  g_assert_no_error (error);
  g_assert_nonnull (device);
  g_assert_cmpstr (cradle_device_get_id (device), ==, "socket:SOCK-1");
  g_assert_cmpstr (cradle_device_get_serial (device), ==, "SOCK-1");
}

/* Opens the device at @path, waiting out the agent's grace period while
 * the previous session winds down. */
static CradleDevice *
open_when_free (const char *path)
{
  g_autoptr(CradleDevice) device = NULL;
  g_autoptr(GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  do
    {
      g_clear_error (&error);
      g_clear_object (&device);
      device = cradle_device_new_for_socket (path, &error);
      g_assert_no_error (error);
    }
  while (!cradle_device_open (device, NULL, &error) &&
         g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_BUSY) &&
         g_get_monotonic_time () < deadline);
  g_assert_no_error (error);
  return g_steal_pointer (&device);
}

static void
test_second_host_busy (Listening     *l,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleDevice) first = find_and_open (&error);
  g_autoptr(CradleDevice) second = NULL;

  g_assert_no_error (error);
  second = cradle_device_new_for_socket (l->socket_path, &error);
  g_assert_no_error (error);
  g_assert_false (cradle_device_open (second, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_BUSY);
  g_clear_error (&error);

  /* Once the first session ends, the device is free again. */
  cradle_device_close (first);
  g_clear_object (&second);
  second = open_when_free (l->socket_path);
}

static GSocket *
raw_connect (Listening *l)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (l->socket_path);
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, 0, &error);

  g_assert_no_error (error);
  g_assert_true (g_socket_connect (socket, address, NULL, &error));
  g_socket_set_timeout (socket, 10);
  return socket;
}

static void
raw_send (GSocket      *socket,
          const guint8 *data,
          gsize         size)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_socket_send (socket, (const char *) data, size, NULL, &error), ==, (gssize) size);
  g_assert_no_error (error);
}

/* The next whole frame, or %NULL when the agent closed the connection. */
static CradleBridgeFrame *
raw_receive (GSocket                 *socket,
             CradleBridgeFrameReader *reader)
{
  for (;;)
    {
      CradleBridgeFrame *frame = cradle_bridge_frame_reader_pop (reader);
      guint8 buffer[4096];
      gssize got;

      if (frame != NULL)
        return frame;
      got = g_socket_receive (socket, (char *) buffer, sizeof buffer, NULL, NULL);
      if (got <= 0)
        return NULL;
      g_assert_true (cradle_bridge_frame_reader_feed (reader, buffer, got, NULL));
    }
}

static guint64
error_code_of (CradleBridgeFrame *frame)
{
  g_autoptr(CradleCborValue) payload = NULL;
  guint64 code = 0;

  g_assert_cmpuint (frame->header.type, ==, CRADLE_BRIDGE_ERROR);
  payload = cradle_cbor_decode_map (g_bytes_get_data (frame->payload, NULL),
                                    g_bytes_get_size (frame->payload), NULL);
  g_assert_nonnull (payload);
  g_assert_true (cradle_cbor_map_get_uint (payload, 1, FALSE, &code, NULL));
  return code;
}

static GBytes *
hello_frame (guint32 id)
{
  const guint8 hello[] = { 0xa2, 0x01, 0x01, 0x02, 0x01 };
  g_autoptr(GBytes) payload = g_bytes_new (hello, sizeof hello);

  return cradle_bridge_frame_encode (CRADLE_BRIDGE_HELLO, 0, id, payload);
}

static void
test_malformed_payload_keeps_session (Listening     *l,
                                      gconstpointer  data)
{
  g_autoptr(GSocket) socket = raw_connect (l);
  g_autoptr(CradleBridgeFrameReader) reader = cradle_bridge_frame_reader_new ();
  const guint8 garbage[] = { 0xa1, 0x01, 0xfa, 0x00 };
  g_autoptr(GBytes) payload = g_bytes_new (garbage, sizeof garbage);
  g_autoptr(GBytes) bad = cradle_bridge_frame_encode (CRADLE_BRIDGE_HELLO, 0, 7, payload);
  g_autoptr(GBytes) hello = hello_frame (8);
  g_autoptr(CradleBridgeFrame) refusal = NULL;
  g_autoptr(CradleBridgeFrame) answer = NULL;

  raw_send (socket, g_bytes_get_data (bad, NULL), g_bytes_get_size (bad));
  refusal = raw_receive (socket, reader);
  g_assert_nonnull (refusal);
  g_assert_cmpuint (refusal->header.request_id, ==, 7);
  g_assert_cmpuint (error_code_of (refusal), ==, 1);   /* MALFORMED */

  raw_send (socket, g_bytes_get_data (hello, NULL), g_bytes_get_size (hello));
  answer = raw_receive (socket, reader);
  g_assert_nonnull (answer);
  g_assert_cmpuint (answer->header.type, ==, CRADLE_BRIDGE_HELLO);
  g_assert_cmpuint (answer->header.request_id, ==, 8);
}

static void
test_malformed_header_ends_only_that_session (Listening     *l,
                                              gconstpointer  data)
{
  const guint8 noise[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  const guint8 huge[] = { 'C', 'R', 'D', 'L', 1, 1, 0, 0, 0, 0, 0, 1, 0x7f, 0xff, 0xff, 0xff };
  const guint8 *inputs[] = { noise, huge };
  const gsize sizes[] = { sizeof noise - 1, sizeof huge };

  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autoptr(GSocket) socket = raw_connect (l);
      g_autoptr(CradleBridgeFrameReader) reader = cradle_bridge_frame_reader_new ();
      g_autoptr(CradleBridgeFrame) refusal = NULL;
      g_autoptr(CradleBridgeFrame) after = NULL;

      raw_send (socket, inputs[i], sizes[i]);
      refusal = raw_receive (socket, reader);
      g_assert_nonnull (refusal);
      g_assert_cmpuint (refusal->header.request_id, ==, 0);
      g_assert_cmpuint (error_code_of (refusal), ==, 1);
      after = raw_receive (socket, reader);
      g_assert_null (after);   /* closed */
    }

  /* The agent still serves the next host. */
  {
    g_autoptr(CradleDevice) device = open_when_free (l->socket_path);

    g_assert_nonnull (device);
  }
}

/* An idle session is closed after --idle-timeout when another host waits,
 * and that host served: one local program cannot keep the device to itself
 * by saying nothing. Without anyone waiting, it keeps its session (as the
 * app keeps the device it shows). */
static void
test_idle_session_dropped (Listening     *l,
                           gconstpointer  data)
{
  g_autoptr(GSocket) idle = raw_connect (l);
  g_autoptr(CradleBridgeFrameReader) reader = cradle_bridge_frame_reader_new ();
  g_autoptr(GBytes) hello = hello_frame (1);
  g_autoptr(CradleBridgeFrame) answer = NULL;
  g_autoptr(CradleBridgeFrame) after = NULL;
  g_autoptr(CradleDevice) device = NULL;
  gint64 start;

  raw_send (idle, g_bytes_get_data (hello, NULL), g_bytes_get_size (hello));
  answer = raw_receive (idle, reader);
  g_assert_nonnull (answer);
  g_assert_cmpuint (answer->header.type, ==, CRADLE_BRIDGE_HELLO);

  /* Idle past the limit, but nobody else wants the device. */
  g_usleep (2500 * 1000);
  {
    g_autoptr(GBytes) again = hello_frame (2);

    g_clear_pointer (&answer, cradle_bridge_frame_free);
    raw_send (idle, g_bytes_get_data (again, NULL), g_bytes_get_size (again));
    answer = raw_receive (idle, reader);
    g_assert_nonnull (answer);
    g_assert_cmpuint (answer->header.request_id, ==, 2);
  }

  /* It says nothing more; within a few seconds another host has the device. */
  start = g_get_monotonic_time ();
  device = open_when_free (l->socket_path);
  g_assert_nonnull (device);
  g_test_message ("served the next host after %.1f s", (g_get_monotonic_time () - start) / 1e6);
  after = raw_receive (idle, reader);
  g_assert_null (after);   /* the idle host was hung up on */
}

static guint
count_threads (GSubprocess *process)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/task", g_subprocess_get_identifier (process));
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint count = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    count++;
  return count;
}

/* 100 connections at once: at most the session and 4 waiting hosts get a
 * thread; the others hear BUSY at once; the agent serves the next host. */
static void
test_connection_flood (Listening     *l,
                       gconstpointer  data)
{
  g_autoptr(GPtrArray) sockets = g_ptr_array_new_with_free_func (g_object_unref);
  guint before = count_threads (l->agent);
  guint during;
  guint busy = 0, closed = 0;

  /* As fast as the agent accepts them (its listen backlog is short). */
  for (guint i = 0; i < 100; i++)
    {
      g_autoptr(GSocketAddress) address = g_unix_socket_address_new (l->socket_path);
      g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, 0, NULL);
      g_autoptr(GError) error = NULL;

      while (!g_socket_connect (socket, address, NULL, &error)
             && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_clear_error (&error);
          g_usleep (1000);
        }
      g_assert_no_error (error);
      g_socket_set_timeout (socket, 10);
      g_ptr_array_add (sockets, g_steal_pointer (&socket));
    }
  g_usleep (500 * 1000);
  during = count_threads (l->agent);
  g_test_message ("%u threads before, %u with 100 connections open", before, during);
  g_assert_cmpuint (during, <=, before + 5);

  for (guint i = 0; i < sockets->len; i++)
    {
      g_autoptr(CradleBridgeFrameReader) reader = cradle_bridge_frame_reader_new ();

      /* The one with the session hears nothing, and keeps it: nobody waits. */
      g_socket_set_timeout (g_ptr_array_index (sockets, i), 3);
      g_autoptr(CradleBridgeFrame) frame = raw_receive (g_ptr_array_index (sockets, i), reader);

      if (frame == NULL)
        closed++;
      else if (error_code_of (frame) == CRADLE_BRIDGE_E_BUSY)
        busy++;
    }
  g_assert_cmpuint (busy, ==, 99);
  g_assert_cmpuint (closed, ==, 1);
  g_ptr_array_set_size (sockets, 0);

  {
    g_autoptr(CradleDevice) device = open_when_free (l->socket_path);

    g_assert_nonnull (device);
  }
  g_assert_cmpuint (count_threads (l->agent), <=, before + 1);
}

/* The KEK is not in the key folder: a copy of the folder alone opens no key.
 * By default it is in $XDG_CONFIG_HOME/cradle-agent/<serial>/kek; a KEK an
 * older agent left in the folder is moved there, and its keys still work. */
static void
test_kek_apart_from_store (Listening     *l,
                           gconstpointer  data)
{
  g_autofree char *config = g_build_filename (l->home, "config", NULL);
  g_autofree char *kek = g_build_filename (config, "cradle-agent", "SOCK-1", "kek", NULL);
  g_autofree char *legacy = g_build_filename (l->store, "kek", NULL);
  g_autofree char *copy = g_build_filename (l->home, "copy", NULL);
  g_autofree char *command = NULL;
  g_autofree char *agent = agent_fixture_agent_path ();
  g_autofree char *store_arg = g_strdup_printf ("--store=%s", l->store);
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *kek_bytes = NULL;
  gsize kek_size = 0;

  /* This agent as a user starts it: no --kek-file. The fixture's agent
   * sealed the device's identity under its own KEK: a new KEK means a new
   * device, so its identity goes too. */
  listening_stop_agent (l);
  {
    g_autofree char *identity = g_build_filename (l->store, "identity.key", NULL);

    g_assert_cmpint (g_unlink (identity), ==, 0);
  }
  {
    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
    g_autoptr(GDataInputStream) output = NULL;
    g_autofree char *line = NULL;

    for (guint round = 0; round < 2; round++)
      {
        g_autoptr(CradleDevice) device = NULL;

        g_subprocess_launcher_setenv (launcher, "CRADLE_RUNTIME_DIR", l->runtime, TRUE);
        g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config, TRUE);
        l->agent = g_subprocess_launcher_spawn (launcher, &error, agent, "--serial=SOCK-1", store_arg,
                                                "--confirm=approve", NULL);
        g_assert_no_error (error);
        g_clear_object (&output);
        output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (l->agent));
        g_clear_pointer (&line, g_free);
        line = g_data_input_stream_read_line (output, NULL, NULL, &error);
        g_assert_no_error (error);
        g_assert_nonnull (line);

        device = open_when_free (l->socket_path);
        g_assert_true (cradle_device_pair (device, NULL, &error));
        g_assert_no_error (error);
        if (round == 0)
          {
            key_id = cradle_device_generate_key (device, "p256", "test", &spki, NULL, &error);
            g_assert_no_error (error);
          }
        else
          {
            /* The key sealed before the move still works. */
            g_autoptr(EVP_PKEY) public_key = test_public_key_from_der (spki);
            g_autoptr(GBytes) request_info = test_request_info (public_key, "alice");
            g_autoptr(GBytes) signature = cradle_device_sign_request (device, key_id, request_info, "sha256",
                                                                      NULL, NULL, &error);

            g_assert_no_error (error);
            g_assert_true (test_verify (public_key, request_info, signature));
          }
        cradle_device_close (device);
        listening_stop_agent (l);

        g_assert_false (g_file_test (legacy, G_FILE_TEST_EXISTS));
        g_assert_true (g_file_test (kek, G_FILE_TEST_IS_REGULAR));
        if (round == 0)
          {
            /* As an older agent kept it. */
            g_assert_true (g_file_get_contents (kek, &kek_bytes, &kek_size, &error));
            g_assert_no_error (error);
            g_assert_cmpint (g_rename (kek, legacy), ==, 0);
          }
      }
  }

  /* Moved back out, unchanged. */
  {
    g_autofree char *moved = NULL;
    gsize moved_size = 0;

    g_assert_true (g_file_get_contents (kek, &moved, &moved_size, &error));
    g_assert_no_error (error);
    g_assert_cmpmem (moved, moved_size, kek_bytes, kek_size);
  }

  /* A copy of the key folder, without the KEK, opens nothing. */
  command = g_strdup_printf ("cp -a '%s' '%s'", l->store, copy);
  g_assert_true (g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL));
  {
    g_autofree char *keys = g_build_filename (copy, "keys", NULL);
    g_autoptr(GDir) dir = g_dir_open (keys, 0, NULL);
    g_autofree char *copied_kek = g_build_filename (copy, "kek", NULL);

    g_assert_nonnull (dir);
    g_assert_nonnull (g_dir_read_name (dir));   /* the sealed key is there */
    g_assert_false (g_file_test (copied_kek, G_FILE_TEST_EXISTS));
  }

  /* Back to the fixture's KEK, which cannot open this identity. */
  {
    g_autofree char *identity = g_build_filename (l->store, "identity.key", NULL);

    g_assert_cmpint (g_unlink (identity), ==, 0);
  }
  listening_start_agent (l, "--confirm=approve");
}

static JsonNode *
run_cradlectl_json (const char *command)
{
  g_autofree char *program = g_build_filename (g_getenv ("CRADLE_BUILD_ROOT"), "cli", "cradlectl", NULL);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, program, command, "--json", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  return json_from_string (out, &error);
}

static void
test_cradlectl_devices_and_certs (Listening     *l,
                                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) devices = NULL;
  g_autoptr(JsonNode) certs = NULL;
  JsonObject *device;
  JsonObject *cert;

  /* Put a root in the device's store first. */
  {
    g_autoptr(CradleDevice) host = find_and_open (&error);
    g_autoptr(EVP_PKEY) key = test_key_new ();
    g_autoptr(GBytes) root = test_cert ("Listed Root", key, "Listed Root", key, TRUE);
    g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);

    g_assert_no_error (error);
    g_ptr_array_add (batch, cradle_device_cert_new ("Root", "user", root, NULL));
    g_assert_true (cradle_device_install (host, batch, NULL, NULL, &error));
    g_assert_no_error (error);
    cradle_device_close (host);
  }

  devices = run_cradlectl_json ("devices");
  g_assert_cmpuint (json_array_get_length (json_node_get_array (devices)), >=, 1);
  device = json_array_get_object_element (json_node_get_array (devices), 0);
  g_assert_cmpstr (json_object_get_string_member (device, "id"), ==, "socket:SOCK-1");
  g_assert_cmpstr (json_object_get_string_member (device, "transport"), ==, "socket");
  g_assert_cmpstr (json_object_get_string_member (device, "serial"), ==, "SOCK-1");
  g_assert_cmpstr (json_object_get_string_member (device, "model"), ==, "Cradle Simulator");
  g_assert_cmpint (json_object_get_int_member (device, "protocol_version"), ==, 1);
  g_assert_true (json_object_has_member (device, "agent_version"));

  certs = run_cradlectl_json ("certs");
  g_assert_cmpuint (json_array_get_length (json_node_get_array (certs)), ==, 1);
  cert = json_array_get_object_element (json_node_get_array (certs), 0);
  g_assert_cmpstr (json_object_get_string_member (cert, "store"), ==, "Root");
  g_assert_cmpstr (json_object_get_string_member (cert, "subject"), ==, "CN = Listed Root");
  g_assert_cmpstr (json_object_get_string_member (cert, "issuer"), ==, "CN = Listed Root");
  g_assert_cmpuint (strlen (json_object_get_string_member (cert, "sha256")), ==, 64);
  g_assert_true (json_object_has_member (cert, "serial"));
  g_assert_true (json_object_has_member (cert, "not_after"));
  g_assert_false (json_object_get_boolean_member (cert, "has_key"));
}

static void
install_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  gboolean *done = user_data;

  /* The test looks at what the device holds afterwards, not at how the call ended. */
  if (!cradle_device_install_finish (CRADLE_DEVICE (source), result, NULL, NULL))
    g_test_message ("the install ended in an error");
  *done = TRUE;
}

static void
test_killed_during_install (Listening     *l,
                            gconstpointer  data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(EVP_PKEY) key = test_key_new ();

  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *name = g_strdup_printf ("Intermediate %u", i);
      g_autoptr(GBytes) cert = test_cert (name, key, "Some Root", key, TRUE);

      g_ptr_array_add (batch, cradle_device_cert_new ("CA", "user", cert, NULL));
    }

  for (guint round = 0; round < 6; round++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CradleDevice) device = find_and_open (&error);
      g_autoptr(GPtrArray) listed = NULL;
      gboolean done = FALSE;

      g_assert_no_error (error);
      cradle_device_install_async (device, batch, NULL, install_done, &done);
      /* Kill the agent at a different moment each round, without warning. */
      g_usleep (round * 3000);
      g_subprocess_force_exit (l->agent);
      g_subprocess_wait (l->agent, NULL, NULL);
      g_clear_object (&l->agent);
      while (!done)
        g_main_context_iteration (NULL, TRUE);
      cradle_device_close (device);

      listening_start_agent (l, "--confirm=approve");
      g_clear_object (&device);
      device = find_and_open (&error);
      g_assert_no_error (error);
      listed = cradle_device_list_certs (device, "CA", NULL, NULL, &error);
      g_assert_no_error (error);
      /* Never a partial batch: the old state or the whole new one. */
      g_test_message ("round %u: %u certificates after the kill", round, listed->len);
      g_assert_true (listed->len == 0 || listed->len == 100);
      /* Start the next round from empty again. */
      if (listed->len == 100)
        test_empty_store (device, "CA");
      cradle_device_close (device);
    }
}

/* The agent serves on GLib's main loop and plain descriptors: GIO and the
 * libraries behind it are never bound (a third of the idle agent's resident
 * memory, bench-bridge). */
static void
test_binds_no_gio (void)
{
  g_autofree char *agent = agent_fixture_agent_path ();
  g_autofree char *store = g_dir_make_tmp ("cradle-agent-binds-XXXXXX", NULL);
  g_autofree char *store_arg = g_strdup_printf ("--store=%s", store);
  const char *argv[] = { agent, "--list-hosts", store_arg, NULL };
  const char *unwanted[] = { "libgio-2.0.so", "libgmodule-2.0.so", "libmount.so", "libselinux.so",
                             "libblkid.so", "libz.so" };
  g_auto(GStrv) env = g_environ_setenv (g_get_environ (), "LD_DEBUG", "files", TRUE);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *command = NULL;
  g_autoptr(GError) error = NULL;
  int status = -1;

  g_assert_nonnull (store);
  g_assert_true (g_spawn_sync (NULL, (char **) argv, env, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                               &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (out, "trusts no computer"));
  /* The loader did report what it opened. */
  g_assert_nonnull (strstr (err, "file=libcrypto.so.3"));
  for (guint i = 0; i < G_N_ELEMENTS (unwanted); i++)
    {
      g_autofree char *opened = g_strconcat ("file=", unwanted[i], NULL);

      if (strstr (err, opened) != NULL)
        g_error ("cradle-agent bound %s", unwanted[i]);
    }
  command = g_strdup_printf ("rm -rf '%s'", store);
  g_assert_true (g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/bridge/agent-socket/binds-no-gio", test_binds_no_gio);

  g_test_add ("/bridge/agent-socket/discovered", Listening, NULL,
              listening_set_up, test_discovered, listening_tear_down);
  g_test_add ("/bridge/agent-socket/second-host-busy", Listening, NULL,
              listening_set_up, test_second_host_busy, listening_tear_down);
  g_test_add ("/bridge/agent-socket/malformed-payload-keeps-session", Listening, NULL,
              listening_set_up, test_malformed_payload_keeps_session, listening_tear_down);
  g_test_add ("/bridge/agent-socket/malformed-header-ends-only-that-session", Listening, NULL,
              listening_set_up, test_malformed_header_ends_only_that_session, listening_tear_down);
  g_test_add ("/bridge/agent-socket/cradlectl-devices-and-certs", Listening, NULL,
              listening_set_up, test_cradlectl_devices_and_certs, listening_tear_down);
  g_test_add ("/bridge/agent-socket/killed-during-install", Listening, NULL,
              listening_set_up, test_killed_during_install, listening_tear_down);
  g_test_add ("/bridge/agent-socket/idle-session-dropped", Listening, "--idle-timeout=1",
              listening_set_up, test_idle_session_dropped, listening_tear_down);
  g_test_add ("/bridge/agent-socket/connection-flood", Listening, "--idle-timeout=5",
              listening_set_up, test_connection_flood, listening_tear_down);
  g_test_add ("/bridge/agent-socket/kek-apart-from-store", Listening, NULL,
              listening_set_up, test_kek_apart_from_store, listening_tear_down);

  return g_test_run ();
}
