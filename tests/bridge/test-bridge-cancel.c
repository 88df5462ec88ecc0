/* test-bridge-cancel.c: cancelling ends, whatever the device does
 *
 * A device that ignores CANCEL (misbehaving-device.py, speaking the bridge
 * frames over the simulator's socket) must not hold the host: the call
 * ends within the grace time with "the device did not stop", whether the
 * device keeps sending KEEPALIVEs or falls silent, and `cradlectl enroll`
 * interrupted with SIGINT exits. The bounds asserted are the requirement
 * itself (10 seconds), twice the host's grace time, so they do not flake.
 */
#include "config.h"

#include <signal.h>

#include <cradle/cradle.h>

/* The requirement: cancelling ends within this, in every state. */
#define CANCEL_BOUND_USEC (10 * G_USEC_PER_SEC)
/* How long a test waits before it calls the host stuck and frees it. */
#define STUCK_USEC (25 * G_USEC_PER_SEC)

typedef struct {
  char               *home;
  char               *runtime;
  char               *socket_path;
  GSubprocess        *device;
  GDataInputStream   *device_output;
} Stuck;

static void
stuck_set_up (Stuck         *s,
              gconstpointer  data)
{
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "bridge", "misbehaving-device.py", NULL);
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autofree char *state = NULL;

  s->home = g_dir_make_tmp ("cradle-cancel-XXXXXX", &error);
  g_assert_no_error (error);
  s->runtime = g_build_filename (s->home, "run", NULL);
  s->socket_path = g_build_filename (s->runtime, "devices", "STUCK-1.sock", NULL);
  /* This computer's pairing key and pins, fresh per test. */
  state = g_build_filename (s->home, "host-state", NULL);
  g_setenv ("CRADLE_STATE_DIR", state, TRUE);
  g_subprocess_launcher_setenv (launcher, "CRADLE_RUNTIME_DIR", s->runtime, TRUE);
  /* Debian's Python, whose python3-cryptography the device pairs with. */
  s->device = g_subprocess_launcher_spawn (launcher, &error, "/usr/bin/python3", script, data, "STUCK-1", NULL);
  g_assert_no_error (error);
  s->device_output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (s->device));
  line = g_data_input_stream_read_line (s->device_output, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "listening on"));
}

/* Closing its standard input ends the device. */
static void
stop_device (Stuck *s)
{
  if (s->device == NULL)
    return;
  g_output_stream_close (g_subprocess_get_stdin_pipe (s->device), NULL, NULL);
  g_subprocess_wait (s->device, NULL, NULL);
  g_clear_object (&s->device);
}

static void
stuck_tear_down (Stuck         *s,
                 gconstpointer  data)
{
  g_autofree char *command = g_strdup_printf ("rm -rf '%s'", s->home);

  stop_device (s);
  g_clear_object (&s->device_output);
  g_assert_true (g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL));
  g_free (s->home);
  g_free (s->runtime);
  g_free (s->socket_path);
}

/* The device's next line that starts with @prefix (its other lines skipped). */
static gboolean
wait_for_device_line (Stuck      *s,
                      const char *prefix)
{
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *line = g_data_input_stream_read_line (s->device_output, NULL, NULL, &error);

      if (line == NULL)
        return FALSE;
      g_test_message ("device: %s", line);
      if (g_str_has_prefix (line, prefix))
        return TRUE;
    }
}

typedef struct {
  CradleDevice *device;
  GCancellable *cancellable;
  GError       *error;
  gint          done;           /* atomic */
  gint64        cancelled_at;
} Call;

static void
cancel_on_waiting (CradleDevice *device,
                   guint         status,
                   const char   *prompt,
                   gpointer      user_data)
{
  Call *call = user_data;

  if (call->cancelled_at == 0)
    call->cancelled_at = g_get_monotonic_time ();
  g_cancellable_cancel (call->cancellable);
}

/* The blocking call, as the engine makes it from its worker thread (the
 * asynchronous wrapper reports any cancelled call as cancelled). */
static gpointer
generate_key (gpointer data)
{
  Call *call = data;
  g_autoptr(GBytes) key_id = cradle_device_generate_key (call->device, "p256", "test", NULL, call->cancellable,
                                                         &call->error);

  g_assert_null (key_id);
  g_atomic_int_set (&call->done, 1);
  g_main_context_wakeup (NULL);
  return NULL;
}

static gboolean
set_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Cancelled while its user is asked, the device keeps the request open. */
static void
test_call_ends (Stuck         *s,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleDevice) device = cradle_device_new_for_socket (s->socket_path, &error);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Call call = { device, cancellable, NULL, 0, 0 };
  gboolean stuck = FALSE;
  guint stuck_source;
  GThread *thread;
  gint64 took;

  g_assert_no_error (error);
  g_assert_true (cradle_device_open (device, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (cradle_device_pair (device, NULL, &error));
  g_assert_no_error (error);
  g_signal_connect (device, "waiting", G_CALLBACK (cancel_on_waiting), &call);

  thread = g_thread_new ("generate-key", generate_key, &call);
  stuck_source = g_timeout_add (STUCK_USEC / 1000, set_flag, &stuck);
  while (!g_atomic_int_get (&call.done) && !stuck)
    g_main_context_iteration (NULL, TRUE);
  if (!g_atomic_int_get (&call.done))
    {
      g_test_message ("The host still waits for the device %d seconds after cancelling",
                      (int) ((g_get_monotonic_time () - call.cancelled_at) / G_USEC_PER_SEC));
      g_test_fail ();
      /* Frees the worker: the device goes away. */
      stop_device (s);
      g_thread_join (thread);
      g_clear_error (&call.error);
      return;
    }
  g_thread_join (thread);
  g_source_remove (stuck_source);
  took = g_get_monotonic_time () - call.cancelled_at;
  g_test_message ("ended %.1f s after CANCEL: %s", took / (double) G_USEC_PER_SEC, call.error->message);
  g_assert_cmpint (call.cancelled_at, >, 0);
  g_assert_cmpint (took, <, CANCEL_BOUND_USEC);
  g_assert_error (call.error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE);
  g_assert_nonnull (strstr (call.error->message, "Cradle cancelled generating a key on the device, "
                                                 "but the device did not stop"));
  g_assert_true (wait_for_device_line (s, "cancel"));
  g_clear_error (&call.error);

  /* The session is over: the next request fails at once. */
  g_assert_false (cradle_device_refresh_info (device, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE);
}

static void
write_file (const char *path,
            const char *content)
{
  g_autofree char *folder = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
  g_file_set_contents (path, content, -1, &error);
  g_assert_no_error (error);
}

/* `cradlectl enroll` interrupted while the device asks its user. */
static void
test_cradlectl_interrupted (Stuck         *s,
                            gconstpointer  data)
{
  g_autofree char *program = g_build_filename (g_getenv ("CRADLE_BUILD_ROOT"), "cli", "cradlectl", NULL);
  g_autofree char *config = g_build_filename (s->home, "config", NULL);
  g_autofree char *state = g_build_filename (s->home, "state", NULL);
  g_autofree char *none = g_build_filename (s->home, "no-system-config", NULL);
  g_autofree char *type = g_build_filename (config, "types.d", "stuck.conf", NULL);
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  gboolean exited = FALSE;
  gint64 interrupted;
  gint64 took;

  /* Nothing is ever sent: the device never lets the run past its key. */
  write_file (type, "[Cradle Certificate Type]\nName=stuck\nProtocol=est\n"
                    "URL=https://127.0.0.1:9/.well-known/est\nAuth=none\nKeyType=p256\n"
                    "Subject=CN=stuck\n");
  g_subprocess_launcher_setenv (launcher, "CRADLE_RUNTIME_DIR", s->runtime, TRUE);
  g_subprocess_launcher_setenv (launcher, "CRADLE_STATE_DIR", state, TRUE);
  g_subprocess_launcher_setenv (launcher, "CRADLE_CONFIG_DIR", config, TRUE);
  g_subprocess_launcher_setenv (launcher, "CRADLE_SYSTEM_CONFIG_DIR", none, TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error, program, "enroll", "--type", "stuck",
                                         "--device", "socket:STUCK-1", "--json", NULL);
  g_assert_no_error (error);

  g_assert_true (wait_for_device_line (s, "request GENERATE_KEY"));
  interrupted = g_get_monotonic_time ();
  g_subprocess_send_signal (process, SIGINT);
  g_subprocess_wait_async (process, NULL, NULL, NULL);
  {
    guint stuck_source = g_timeout_add (STUCK_USEC / 1000, set_flag, &exited);

    /* Polls: the wait's callback is not needed, only the exit. */
    while (!exited && g_subprocess_get_identifier (process) != NULL)
      g_main_context_iteration (NULL, TRUE);
    if (!exited)
      g_source_remove (stuck_source);
  }
  took = g_get_monotonic_time () - interrupted;
  if (g_subprocess_get_identifier (process) != NULL)
    {
      g_test_message ("cradlectl still runs %d seconds after SIGINT", (int) (took / G_USEC_PER_SEC));
      g_test_fail ();
      g_subprocess_force_exit (process);
      g_subprocess_wait (process, NULL, NULL);
      return;
    }
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_test_message ("cradlectl ended %.1f s after SIGINT: %s%s", took / (double) G_USEC_PER_SEC, out, err);
  g_assert_cmpint (took, <, CANCEL_BOUND_USEC);
  g_assert_true (g_subprocess_get_if_exited (process));
  /* 6: the device is gone (the contract's exit codes). */
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 6);
  g_assert_nonnull (strstr (err, "did not stop"));
  g_assert_nonnull (strstr (out, "\"device-gone\""));
}

static void
keep_prompt (CradleDevice *device,
             guint         status,
             const char   *prompt,
             gpointer      user_data)
{
  char **kept = user_data;

  if (status == 1 && *kept == NULL)
    *kept = g_strdup (prompt != NULL ? prompt : "");
}

/* A device's prompt reaches labels and terminals (the app's "Confirm on"
 * card, cradlectl's stderr): what the "waiting" signal carries is
 * escaped and bounded, whatever the device sent. */
static void
test_hostile_prompt (Stuck         *s,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleDevice) device = cradle_device_new_for_socket (s->socket_path, &error);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  Call call = { device, cancellable, NULL, 0, 0 };
  g_autofree char *prompt = NULL;
  g_autofree char *start = NULL;
  GThread *thread;

  g_assert_no_error (error);
  g_assert_true (cradle_device_open (device, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (cradle_device_pair (device, NULL, &error));
  g_assert_no_error (error);
  g_signal_connect (device, "waiting", G_CALLBACK (keep_prompt), &prompt);

  thread = g_thread_new ("generate-key", generate_key, &call);
  while (prompt == NULL && !g_atomic_int_get (&call.done))
    g_main_context_iteration (NULL, TRUE);
  /* The device goes: the call ends. */
  stop_device (s);
  g_thread_join (thread);
  g_clear_error (&call.error);

  g_assert_nonnull (prompt);
  g_assert_true (g_utf8_validate (prompt, -1, NULL));
  start = g_utf8_substring (prompt, 0, 80);
  g_test_message ("prompt: %s", start);
  g_assert_true (g_str_has_prefix (prompt, "Confirm on \\x1b[2J\\x1b]0;owned\\x07the \\u202etxt.exe device\\u0085 "));
  for (const char *p = prompt; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      g_assert_false (g_unichar_iscntrl (c) && c != '\n' && c != '\t');
      g_assert_cmpint (g_unichar_type (c), !=, G_UNICODE_FORMAT);
    }
  g_assert_cmpuint (strlen (prompt), <=, 2048 + strlen ("…"));
  g_assert_true (g_str_has_suffix (prompt, "…"));
}

/* A device that answers HELLO, then sends KEEPALIVEs for ever instead of
 * its details: cradlectl does not wait for it for ever (it would hold
 * every other device of a batch), it skips it, saying so. */
static void
test_cradlectl_stalled_open (Stuck         *s,
                             gconstpointer  data)
{
  g_autofree char *program = g_build_filename (g_getenv ("CRADLE_BUILD_ROOT"), "cli", "cradlectl", NULL);
  g_autofree char *state = g_build_filename (s->home, "state", NULL);
  g_autofree char *config = g_build_filename (s->home, "config", NULL);
  g_autofree char *none = g_build_filename (s->home, "no-system-config", NULL);
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  gboolean stuck = FALSE;
  guint stuck_source;

  g_subprocess_launcher_setenv (launcher, "CRADLE_RUNTIME_DIR", s->runtime, TRUE);
  g_subprocess_launcher_setenv (launcher, "CRADLE_STATE_DIR", state, TRUE);
  g_subprocess_launcher_setenv (launcher, "CRADLE_CONFIG_DIR", config, TRUE);
  g_subprocess_launcher_setenv (launcher, "CRADLE_SYSTEM_CONFIG_DIR", none, TRUE);
  g_subprocess_launcher_setenv (launcher, "CRADLE_TOKENS_USE_P11KIT", "false", TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error, program, "devices", "--json", NULL);
  g_assert_no_error (error);
  g_assert_true (wait_for_device_line (s, "request GET_INFO"));

  g_subprocess_wait_async (process, NULL, NULL, NULL);
  /* Far beyond the bound: only a cradlectl that waits for ever gets here. */
  stuck_source = g_timeout_add_seconds (90, set_flag, &stuck);
  while (!stuck && g_subprocess_get_identifier (process) != NULL)
    g_main_context_iteration (NULL, TRUE);
  if (g_subprocess_get_identifier (process) != NULL)
    {
      g_test_message ("cradlectl devices still waits for the stalled device");
      g_test_fail ();
      g_subprocess_force_exit (process);
      g_subprocess_wait (process, NULL, NULL);
      return;
    }
  g_source_remove (stuck_source);
  g_assert_true (g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error));
  g_assert_no_error (error);
  g_test_message ("stderr: %s", err);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  g_assert_nonnull (strstr (err, "skipping socket:STUCK-1: it did not answer within"));
  g_assert_nonnull (strstr (out, "[]"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/bridge/cancel/keepalives-go-on", Stuck, "ignore-cancel", stuck_set_up, test_call_ends,
              stuck_tear_down);
  g_test_add ("/bridge/cancel/silence", Stuck, "silent-cancel", stuck_set_up, test_call_ends,
              stuck_tear_down);
  g_test_add ("/bridge/cancel/cradlectl-enroll-sigint", Stuck, "ignore-cancel", stuck_set_up,
              test_cradlectl_interrupted, stuck_tear_down);
  g_test_add ("/bridge/cancel/hostile-prompt", Stuck, "hostile-prompt", stuck_set_up, test_hostile_prompt,
              stuck_tear_down);
  g_test_add ("/bridge/cancel/cradlectl-stalled-open", Stuck, "stall-info", stuck_set_up,
              test_cradlectl_stalled_open, stuck_tear_down);
  return g_test_run ();
}
