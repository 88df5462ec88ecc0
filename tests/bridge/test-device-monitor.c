/* test-device-monitor.c: simulated devices announced as they come and go
 *
 * A real cradle-agent listening in a private runtime folder: its socket
 * appearing is announced with a device that opens, SIGTERM (the agent
 * removes its socket) is announced with the same id, and a monitor that is
 * gone announces nothing.
 */
#include "config.h"

#include <signal.h>
#include <cradle/cradle.h>

#include "agent-fixture.h"
#include "test-files.h"

typedef struct {
  char         *home;
  char         *runtime;
  GSubprocess  *agent;
  CradleDevice *added;
  char         *removed;
} Fixture;

static void
on_added (CradleDeviceMonitor *monitor,
          CradleDevice        *device,
          Fixture             *f)
{
  g_set_object (&f->added, device);
}

static void
on_removed (CradleDeviceMonitor *monitor,
            const char          *id,
            Fixture             *f)
{
  g_free (f->removed);
  f->removed = g_strdup (id);
}

static void
start_agent (Fixture    *f,
             const char *serial)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autofree char *agent = agent_fixture_agent_path ();
  g_autofree char *store = g_build_filename (f->home, serial, NULL);
  g_autofree char *store_arg = g_strdup_printf ("--store=%s", store);
  g_autofree char *kek_arg = g_strdup_printf ("--kek-file=%s.kek", store);
  g_autofree char *serial_arg = g_strdup_printf ("--serial=%s", serial);
  g_autoptr(GError) error = NULL;

  g_subprocess_launcher_setenv (launcher, "CRADLE_RUNTIME_DIR", f->runtime, TRUE);
  f->agent = g_subprocess_launcher_spawn (launcher, &error, agent, serial_arg, store_arg, kek_arg,
                                          "--confirm=approve", NULL);
  g_assert_no_error (error);
}

static void
stop_agent (Fixture *f)
{
  if (f->agent == NULL)
    return;
  g_subprocess_send_signal (f->agent, SIGTERM);
  g_subprocess_wait (f->agent, NULL, NULL);
  g_clear_object (&f->agent);
}

/* Runs the main context until @done says so, for at most 10 s. */
static gboolean
wait_for (gboolean (*done) (Fixture *f),
          Fixture  *f)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (!done (f) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE) || (g_usleep (5000), TRUE);
  return done (f);
}

static gboolean
was_added (Fixture *f)
{
  return f->added != NULL;
}

static gboolean
was_removed (Fixture *f)
{
  return f->removed != NULL;
}

static void
set_up (Fixture       *f,
        gconstpointer  data)
{
  f->home = g_dir_make_tmp ("cradle-device-monitor-XXXXXX", NULL);
  g_assert_nonnull (f->home);
  f->runtime = g_build_filename (f->home, "run", NULL);
  g_setenv ("CRADLE_RUNTIME_DIR", f->runtime, TRUE);
}

static void
tear_down (Fixture       *f,
           gconstpointer  data)
{
  stop_agent (f);
  g_clear_object (&f->added);
  g_clear_pointer (&f->removed, g_free);
  test_remove_tree (f->home);
  g_clear_pointer (&f->home, g_free);
  g_clear_pointer (&f->runtime, g_free);
}

static void
test_arrive_and_leave (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(CradleDeviceMonitor) monitor = cradle_device_monitor_new ();
  g_autoptr(GError) error = NULL;

  g_signal_connect (monitor, "device-added", G_CALLBACK (on_added), f);
  g_signal_connect (monitor, "device-removed", G_CALLBACK (on_removed), f);

  start_agent (f, "MON-1");
  g_assert_true (wait_for (was_added, f));
  g_assert_cmpstr (cradle_device_get_id (f->added), ==, "socket:MON-1");
  g_assert_true (cradle_device_open (f->added, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (cradle_device_get_serial (f->added), ==, "MON-1");
  cradle_device_close (f->added);
  g_assert_null (f->removed);

  stop_agent (f);
  g_assert_true (wait_for (was_removed, f));
  g_assert_cmpstr (f->removed, ==, "socket:MON-1");
}

static void
test_gone_monitor_is_quiet (Fixture       *f,
                            gconstpointer  data)
{
  CradleDeviceMonitor *monitor = cradle_device_monitor_new ();
  gint64 until;

  g_signal_connect (monitor, "device-added", G_CALLBACK (on_added), f);
  g_object_unref (monitor);

  start_agent (f, "MON-2");
  until = g_get_monotonic_time () + G_USEC_PER_SEC / 2;
  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, FALSE) || (g_usleep (5000), TRUE);
  g_assert_null (f->added);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/bridge/device-monitor/arrive-and-leave", Fixture, NULL,
              set_up, test_arrive_and_leave, tear_down);
  g_test_add ("/bridge/device-monitor/gone-monitor-is-quiet", Fixture, NULL,
              set_up, test_gone_monitor_is_quiet, tear_down);
  return g_test_run ();
}
