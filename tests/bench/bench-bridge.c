/* bench-bridge.c: the bridge's figures, each against its peer in one run
 *
 *  1. GET_INFO round trip over the socket transport (host client to a real
 *     cradle-agent process, in a paired session: every frame sealed, a
 *     counter and an HMAC-SHA-256 each way) against a raw Unix-socket echo
 *     of the same sizes with a forked echo process: the ratio of medians.
 *  2. INSTALL of 100 certificates into the simulator, fsyncs included.
 *  3. The idle agent's resident memory, new and started again on its store.
 *
 * Usage: bench-bridge [ROUNDS]   (CRADLE_BUILD_ROOT names the build folder)
 * Prints figures; asserts nothing about time.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cradle/cradle.h>

#include "agent-fixture.h"
#include "protocol/cradle-bridge-frame-private.h"
#include "base/cradle-openssl-private.h"

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median (GArray *samples)
{
  g_array_sort (samples, compare_doubles);
  return g_array_index (samples, double, samples->len / 2);
}

static gboolean
write_all (int fd, const guint8 *data, gsize size)
{
  while (size > 0)
    {
      ssize_t n = write (fd, data, size);

      if (n <= 0)
        return FALSE;
      data += n;
      size -= n;
    }
  return TRUE;
}

static gboolean
read_all (int fd, guint8 *data, gsize size)
{
  while (size > 0)
    {
      ssize_t n = read (fd, data, size);

      if (n <= 0)
        return FALSE;
      data += n;
      size -= n;
    }
  return TRUE;
}

/* The peer: a process that answers each request of @in bytes with @out bytes. */
static pid_t
start_echo (int fd, int other_end, gsize in, gsize out)
{
  pid_t pid = fork ();

  if (pid == 0)
    {
      /* Else the parent's close would never reach us as end of input. */
      close (other_end);
      g_autofree guint8 *request = g_malloc (in);
      g_autofree guint8 *reply = g_malloc0 (out);

      while (read_all (fd, request, in) && write_all (fd, reply, out))
        ;
      _exit (0);
    }
  return pid;
}

static void
bench_get_info (guint rounds)
{
  AgentFixture fixture = { 0 };
  g_autoptr(GArray) cradle = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) raw = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GError) error = NULL;
  gsize request_size, reply_size;
  int fds[2];
  pid_t echo;

  agent_fixture_start (&fixture, "--confirm=approve", NULL);
  /* The exact sizes GET_INFO puts on the wire, for the echo to match. */
  g_byte_array_set_size (fixture.sent, 0);
  g_byte_array_set_size (fixture.received, 0);
  g_assert_true (cradle_device_refresh_info (fixture.device, NULL, &error));
  g_assert_no_error (error);
  request_size = fixture.sent->len;
  reply_size = fixture.received->len;
  cradle_bridge_transport_record (cradle_device_get_bridge_transport (fixture.device), NULL, NULL);

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
  echo = start_echo (fds[1], fds[0], request_size, reply_size);
  close (fds[1]);

  {
    g_autofree guint8 *request = g_malloc0 (request_size);
    g_autofree guint8 *reply = g_malloc (reply_size);

    /* Interleaved blocks, so both see the same machine. */
    for (guint block = 0; block < 10; block++)
      for (guint i = 0; i < rounds / 10; i++)
        {
          gint64 start = g_get_monotonic_time ();
          double us;

          g_assert_true (cradle_device_refresh_info (fixture.device, NULL, &error));
          g_assert_no_error (error);
          us = g_get_monotonic_time () - start;
          g_array_append_val (cradle, us);

          start = g_get_monotonic_time ();
          g_assert_true (write_all (fds[0], request, request_size));
          g_assert_true (read_all (fds[0], reply, reply_size));
          us = g_get_monotonic_time () - start;
          g_array_append_val (raw, us);
        }
  }
  close (fds[0]);
  waitpid (echo, NULL, 0);

  g_assert_true (cradle_device_is_paired (fixture.device));
  g_print ("GET_INFO round trip, paired and sealed session (%u rounds, request %" G_GSIZE_FORMAT
           " B, reply %" G_GSIZE_FORMAT " B):\n"
           "  cradle host client -> cradle-agent  median %.1f us\n"
           "  raw Unix-socket echo, same sizes    median %.1f us\n"
           "  ratio %.2fx (target: within 1.3x)\n",
           rounds, request_size, reply_size, median (cradle), median (raw), median (cradle) / median (raw));
  agent_fixture_stop (&fixture);
}

static void
bench_install (guint rounds)
{
  AgentFixture fixture = { 0 };
  g_autoptr(GArray) samples = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(EVP_PKEY) key = test_key_new ();
  g_autoptr(GError) error = NULL;

  agent_fixture_start (&fixture, "--confirm=approve", NULL);
  cradle_bridge_transport_record (cradle_device_get_bridge_transport (fixture.device), NULL, NULL);
  for (guint round = 0; round < rounds; round++)
    {
      g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
      gint64 start;
      double ms;
      guint added = 0;

      /* New certificates each round: a repeat would be skipped as present. */
      for (guint i = 0; i < 100; i++)
        {
          g_autofree char *name = g_strdup_printf ("Bench CA %u.%u", round, i);
          g_autoptr(GBytes) der = test_cert (name, key, "Bench Root", key, TRUE);

          g_ptr_array_add (batch, cradle_device_cert_new ("CA", "user", der, NULL));
        }
      start = g_get_monotonic_time ();
      g_assert_true (cradle_device_install (fixture.device, batch, &added, NULL, &error));
      g_assert_no_error (error);
      ms = (g_get_monotonic_time () - start) / 1000.0;
      g_assert_cmpuint (added, ==, 100);
      g_array_append_val (samples, ms);

      /* Empty the store again so every round installs into the same state. */
      test_empty_store (fixture.device, "CA");
    }
  g_print ("INSTALL of 100 certificates through the bridge, fsyncs included (%u rounds):\n"
           "  median %.1f ms (target: under 100 ms)\n", rounds, median (samples));
  agent_fixture_stop (&fixture);
}

/* The agent's VmRSS in kB; CRADLE_BENCH_SMAPS=FILE also keeps where the
 * memory is, mapping by mapping. */
static guint
agent_rss_kb (AgentFixture *fixture)
{
  g_autofree char *status_path = NULL;
  g_autofree char *status = NULL;
  const char *line;

  status_path = g_strdup_printf ("/proc/%s/status", g_subprocess_get_identifier (fixture->agent));
  g_assert_true (g_file_get_contents (status_path, &status, NULL, NULL));
  if (g_getenv ("CRADLE_BENCH_SMAPS") != NULL)
    {
      g_autofree char *smaps_path = g_strdup_printf ("/proc/%s/smaps", g_subprocess_get_identifier (fixture->agent));
      g_autofree char *smaps = NULL;
      gsize length = 0;

      if (g_file_get_contents (smaps_path, &smaps, &length, NULL))
        g_assert_true (g_file_set_contents (g_getenv ("CRADLE_BENCH_SMAPS"), smaps, length, NULL));
    }
  line = strstr (status, "VmRSS:");
  g_assert_nonnull (line);
  return (guint) g_ascii_strtoull (line + strlen ("VmRSS:"), NULL, 10);
}

/* The agent's private dirty memory in kB (what is its own, whatever it
 * trims), from smaps_rollup. */
static guint
agent_private_dirty_kb (AgentFixture *fixture)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/smaps_rollup", g_subprocess_get_identifier (fixture->agent));
  g_autofree char *rollup = NULL;
  const char *line;

  g_assert_true (g_file_get_contents (path, &rollup, NULL, NULL));
  line = strstr (rollup, "Private_Dirty:");
  g_assert_nonnull (line);
  return (guint) g_ascii_strtoull (line + strlen ("Private_Dirty:"), NULL, 10);
}

/* GET_INFO's round trip in microseconds. */
static double
time_request (AgentFixture *fixture)
{
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  g_assert_true (cradle_device_refresh_info (fixture->device, NULL, &error));
  g_assert_no_error (error);
  return (double) (g_get_monotonic_time () - start);
}

static void
print_idle_agent (AgentFixture *fixture,
                  const char   *what)
{
  g_autoptr(GArray) warm = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) after_idle = g_array_new (FALSE, FALSE, sizeof (double));
  guint idle_kb, busy_kb = 0;

  /* Idle: longer than the agent waits before it trims. */
  g_usleep (500 * 1000);
  idle_kb = agent_rss_kb (fixture);
  g_print ("%s:\n  VmRSS %u kB (target: under 6 MB); private dirty %u kB\n", what, idle_kb,
           agent_private_dirty_kb (fixture));

  /* What a request brings back, measured before the agent is idle again,
   * and what the first request after an idle wait costs against one
   * straight after another. */
  for (guint i = 0; i < 20; i++)
    {
      double us;

      g_usleep (500 * 1000);
      us = time_request (fixture);
      g_array_append_val (after_idle, us);
      busy_kb = MAX (busy_kb, agent_rss_kb (fixture));
      us = time_request (fixture);
      g_array_append_val (warm, us);
    }
  g_print ("  VmRSS right after a request %u kB (the most of 20)\n"
           "  GET_INFO after an idle wait: median %.0f us; straight after another: median %.0f us\n",
           busy_kb, median (after_idle), median (warm));
}

/* First on a new device (it makes its KEK and identity, then pairs), then
 * started again on the same folder as a device is after a reboot (it
 * decrypts its identity, and the host authenticates). */
static void
bench_idle_memory (void)
{
  AgentFixture fixture = { 0 };

  agent_fixture_start (&fixture, "--confirm=approve", NULL);
  print_idle_agent (&fixture, "Idle agent, one session open");
  agent_fixture_restart (&fixture, "--confirm=approve", NULL);
  print_idle_agent (&fixture, "Idle agent started again on its store, one session open");
  agent_fixture_stop (&fixture);
}

int
main (int    argc,
      char **argv)
{
  guint rounds = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 2000;

  if (g_getenv ("CRADLE_BUILD_ROOT") == NULL)
    {
      g_printerr ("Set CRADLE_BUILD_ROOT to the build folder (tests/bench/run-bench sets it)\n");
      return 2;
    }
  bench_get_info (MAX (rounds, 10));
  bench_install (10);
  bench_idle_memory ();
  return 0;
}
