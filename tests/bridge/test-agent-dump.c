/* test-agent-dump.c: dumps of a running cradle-agent hold neither its KEK nor its keys
 *
 * The attack: with the device's KEK, a copy of its key folder opens every
 * key. A gcore of the running agent, or the core file the kernel writes when
 * it crashes, must not hold the KEK (in pieces of 8 bytes at every multiple
 * of 8, so any copy of 15 bytes or more counts), nor the private numbers of a
 * key it has just used. The agent keeps them in memory marked MADV_DONTDUMP,
 * which both leave out, and makes itself non-dumpable, so the kernel writes
 * no core file at all (and its user cannot gcore it; root still can, which
 * these tests, run as root, use).
 */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <glib/gstdio.h>
#include <openssl/core_names.h>

#include "agent-fixture.h"
#include "agent/cradle-agent-keystore-private.h"
#include "test-files.h"

#define PIECE 8

typedef struct {
  char         *folder;   /* the agent's working folder: the kernel's core file lands here */
  AgentFixture  agent;
  GBytes       *key_id;
} Dump;

static void
dump_set_up (Dump          *d,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };

  d->folder = g_dir_make_tmp ("cradle-agent-dump-XXXXXX", &error);
  g_assert_no_error (error);
  /* Both go to the agent this process starts. */
  g_assert_cmpint (chdir (d->folder), ==, 0);
  g_assert_cmpint (setrlimit (RLIMIT_CORE, &unlimited), ==, 0);
}

static void
dump_tear_down (Dump          *d,
                gconstpointer  data)
{
  agent_fixture_stop (&d->agent);
  g_clear_pointer (&d->key_id, g_bytes_unref);
  g_assert_cmpint (chdir ("/"), ==, 0);
  test_remove_tree (d->folder);
  g_free (d->folder);
}

/* The agent makes a key and signs with it: the KEK seals it, then unseals it. */
static void
start_agent_and_use_a_key (Dump *d)
{
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(EVP_PKEY) public_key = NULL;
  g_autoptr(GBytes) request_info = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GError) error = NULL;

  agent_fixture_start (&d->agent, "--confirm=approve", NULL);
  d->key_id = cradle_device_generate_key (d->agent.device, "rsa2048", "test", &spki, NULL, &error);
  g_assert_no_error (error);
  public_key = test_public_key_from_der (spki);
  request_info = test_request_info (public_key, "alice");
  signature = cradle_device_sign_request (d->agent.device, d->key_id, request_info, "sha256", NULL, NULL, &error);
  g_assert_no_error (error);
}

static guint
pieces_found (GBytes       *haystack,
              const guint8 *secret,
              gsize         size,
              const char   *what)
{
  guint found = 0;

  for (gsize i = 0; i + PIECE <= size; i += PIECE)
    if (memmem (g_bytes_get_data (haystack, NULL), g_bytes_get_size (haystack), secret + i, PIECE) != NULL)
      found++;
  g_test_message ("%s: %u of %" G_GSIZE_FORMAT " pieces in the dump", what, found, size / PIECE);
  return found;
}

/* After the agent has gone: the KEK and the key's private numbers, looked
 * for in @core. */
static void
assert_no_secrets (Dump   *d,
                   GBytes *core)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *kek = NULL;
  gsize kek_size = 0;
  g_autoptr(CradleAgentKeystore) keystore = NULL;
  g_autoptr(CradleAgentKeyFile) key_file = NULL;
  g_autoptr(EVP_PKEY) pkey = NULL;
  const char *names[] = { OSSL_PKEY_PARAM_RSA_D, OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2 };

  g_assert_true (g_file_get_contents (d->agent.kek, &kek, &kek_size, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (kek_size, ==, 32);
  g_assert_cmpuint (pieces_found (core, (const guint8 *) kek, kek_size, "KEK"), ==, 0);

  keystore = cradle_agent_keystore_open_full (d->agent.store, d->agent.kek, FALSE, &error);
  g_assert_no_error (error);
  key_file = cradle_agent_keystore_load_key (keystore, d->key_id, &error);
  g_assert_no_error (error);
  pkey = cradle_agent_keystore_unseal_key (keystore, key_file, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      BIGNUM *number = NULL;
      g_autofree guint8 *bytes = NULL;
      int size;

      g_assert_cmpint (EVP_PKEY_get_bn_param (pkey, names[i], &number), ==, 1);
      size = BN_num_bytes (number);
      bytes = g_malloc (size);
      BN_bn2bin (number, bytes);
      BN_clear_free (number);
      g_assert_cmpuint (pieces_found (core, bytes, size, names[i]), ==, 0);
    }
}

static GBytes *
read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize size = 0;

  g_assert_true (g_file_get_contents (path, &contents, &size, &error));
  g_assert_no_error (error);
  return g_bytes_new_take (contents, size);
}

static void
wait_for_death (GSubprocess *process)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (g_subprocess_wait (process, NULL, &error));
  g_assert_no_error (error);
}

/* gcore (gdb) of the agent, idle between two requests. */
static void
test_gcore (Dump          *d,
            gconstpointer  data)
{
  g_autofree char *gcore = g_find_program_in_path ("gcore");
  g_autofree char *prefix = g_build_filename (d->folder, "gcore", NULL);
  g_autofree char *path = NULL;
  g_autofree char *pid = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GBytes) core = NULL;
  g_autoptr(GError) error = NULL;

  if (gcore == NULL)
    {
      g_test_skip ("gcore (gdb) is not installed");
      return;
    }
#ifdef __SANITIZE_ADDRESS__
  /* gdb would write out AddressSanitizer's shadow memory, terabytes. */
  g_test_skip ("the agent is built with AddressSanitizer (-Dsanitize=true): gcore cannot dump it in time");
  return;
#endif
  start_agent_and_use_a_key (d);
  pid = g_strdup (g_subprocess_get_identifier (d->agent.agent));
  path = g_strdup_printf ("%s.%s", prefix, pid);
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                              gcore, "-o", prefix, pid, NULL);
  g_assert_no_error (error);
  wait_for_death (process);

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      /* Without CAP_SYS_PTRACE, a non-dumpable process cannot be traced. */
      g_assert_cmpint (geteuid (), !=, 0);
      g_test_message ("gcore could not attach to the agent: it is not dumpable");
      return;
    }
  core = read_file (path);
  g_test_message ("gcore wrote %" G_GSIZE_FORMAT " bytes", g_bytes_get_size (core));
  g_assert_cmpuint (g_bytes_get_size (core), >, 100 * 1024);
  cradle_device_close (d->agent.device);
  wait_for_death (d->agent.agent);
  assert_no_secrets (d, core);
}

/* Whether the kernel writes core files into a process's working folder
 * here: a process that surely dumps (sleep) is made to. */
static gboolean
kernel_writes_cores_here (Dump *d)
{
  g_autoptr(GSubprocess) sleeper = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *core = g_build_filename (d->folder, "core", NULL);
  gboolean wrote;

  sleeper = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, "sleep", "60", NULL);
  g_assert_no_error (error);
  g_usleep (100 * 1000);
  g_subprocess_send_signal (sleeper, SIGQUIT);
  wait_for_death (sleeper);
  wrote = g_file_test (core, G_FILE_TEST_EXISTS);
  g_unlink (core);
  return wrote;
}

/* The agent crashes (SIGQUIT dumps core) between two requests. */
static void
test_core_file (Dump          *d,
                gconstpointer  data)
{
  g_autofree char *path = g_build_filename (d->folder, "core", NULL);

  if (!kernel_writes_cores_here (d))
    {
      g_test_skip ("this system writes no core file into the crashing process's folder "
                   "(see /proc/sys/kernel/core_pattern)");
      return;
    }
  start_agent_and_use_a_key (d);
  g_subprocess_send_signal (d->agent.agent, SIGQUIT);
  wait_for_death (d->agent.agent);
  g_assert_true (g_subprocess_get_if_signaled (d->agent.agent));
  g_assert_cmpint (g_subprocess_get_term_sig (d->agent.agent), ==, SIGQUIT);

  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      /* Only where fs.suid_dumpable is 2: a root-only core, still without
       * what is marked MADV_DONTDUMP. */
      g_autoptr(GBytes) core = read_file (path);

      g_test_message ("the kernel wrote a core of %" G_GSIZE_FORMAT " bytes", g_bytes_get_size (core));
      assert_no_secrets (d, core);
    }
  else
    g_test_message ("the kernel wrote no core: the agent is not dumpable");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/bridge/agent-dump/gcore", Dump, NULL, dump_set_up, test_gcore, dump_tear_down);
  g_test_add ("/bridge/agent-dump/core-file", Dump, NULL, dump_set_up, test_core_file, dump_tear_down);

  return g_test_run ();
}
