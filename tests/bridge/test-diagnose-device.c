/* test-diagnose-device.c: the device hop of a diagnosis, against real
 * cradle-agent processes listening where simulated devices do
 *
 * A paired device: every device check ok, its model and serial found, its
 * stores counted, and the device free for others once the run ended.  An
 * unpaired device: pairing fails saying how to pair, nothing asks the
 * device's user, the checks that need no pairing still run.  No device:
 * the hop fails with its next step and every other hop still reports.  A
 * device that never answers: HELLO fails on its deadline.  A hostile
 * device's words arrive escaped.  The other hops run against the lab when
 * it is up, else against a closed loopback port.
 */
#include "config.h"

#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <json-glib/json-glib.h>

#include "agent-fixture.h"
#include "base/cradle-openssl-private.h"
#include "lab.h"
#include "test-files.h"

#define TIMEOUT_MS 1500

typedef struct {
  char        *root;      /* everything of this test */
  char        *runtime;   /* CRADLE_RUNTIME_DIR: where simulated devices listen */
  char        *state;     /* CRADLE_STATE_DIR: this computer's pairings */
  GPtrArray   *agents;    /* GSubprocess */
  int          silent_fd; /* a listening socket that never accepts, or -1 */
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->root = g_dir_make_tmp ("cradle-diagnose-device-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->runtime = g_build_filename (fixture->root, "run", NULL);
  fixture->state = g_build_filename (fixture->root, "state", NULL);
  g_assert_cmpint (g_mkdir_with_parents (fixture->runtime, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (fixture->state, 0700), ==, 0);
  g_setenv ("CRADLE_RUNTIME_DIR", fixture->runtime, TRUE);
  g_setenv ("CRADLE_STATE_DIR", fixture->state, TRUE);
  fixture->agents = g_ptr_array_new_with_free_func (g_object_unref);
  fixture->silent_fd = -1;
}

static void stop_agents (Fixture *fixture);

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  stop_agents (fixture);
  g_ptr_array_unref (fixture->agents);
  if (fixture->silent_fd >= 0)
    close (fixture->silent_fd);
  test_remove_tree (fixture->root);
  g_free (fixture->root);
  g_free (fixture->runtime);
  g_free (fixture->state);
}

/* A simulated device with @serial listening in the fixture's runtime
 * folder; @first_arg: more options for the agent. */
static void
start_agent (Fixture    *fixture,
             const char *serial,
             const char *first_arg,
             ...)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDataInputStream) output = NULL;
  g_autofree char *line = NULL;
  g_autoptr(GError) error = NULL;
  GSubprocess *agent;
  va_list args;

  g_ptr_array_add (argv, agent_fixture_agent_path ());
  g_ptr_array_add (argv, g_strdup_printf ("--serial=%s", serial));
  g_ptr_array_add (argv, g_strdup_printf ("--store=%s/store-%s", fixture->root, serial));
  g_ptr_array_add (argv, g_strdup_printf ("--kek-file=%s/%s.kek", fixture->root, serial));
  /* Its user would trust this computer: only a test that pairs asks. */
  g_ptr_array_add (argv, g_strdup ("--confirm-pair=approve"));
  va_start (args, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (args);
  g_ptr_array_add (argv, NULL);

  g_subprocess_launcher_setenv (launcher, "CRADLE_RUNTIME_DIR", fixture->runtime, TRUE);
  agent = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_ptr_array_add (fixture->agents, agent);
  output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (agent));
  line = g_data_input_stream_read_line (output, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_nonnull (strstr (line, "listening on"));
}

/* Stops every agent started so far (a device unplugged). */
static void
stop_agents (Fixture *fixture)
{
  for (guint i = 0; i < fixture->agents->len; i++)
    {
      GSubprocess *agent = fixture->agents->pdata[i];

      g_subprocess_send_signal (agent, SIGTERM);
      g_subprocess_wait (agent, NULL, NULL);
    }
  g_ptr_array_set_size (fixture->agents, 0);
}

static char *
socket_path (Fixture    *fixture,
             const char *serial)
{
  g_autofree char *name = g_strconcat (serial, ".sock", NULL);

  return g_build_filename (fixture->runtime, "devices", name, NULL);
}

/* Pairs this computer with the device @serial as a user would (its agent
 * approves), then ends the session. */
static void
pair_device (Fixture    *fixture,
             const char *serial)
{
  g_autofree char *path = socket_path (fixture, serial);
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleDevice) device = cradle_device_new_for_socket (path, &error);

  g_assert_no_error (error);
  g_assert_true (cradle_device_open (device, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (cradle_device_pair (device, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (cradle_device_is_paired (device));
  cradle_device_close (device);
}

/* Installs a CA certificate (no confirmation needed) in the device's CA store. */
static void
install_ca_cert (Fixture    *fixture,
                 const char *serial)
{
  g_autofree char *path = socket_path (fixture, serial);
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleDevice) device = cradle_device_new_for_socket (path, &error);
  g_autoptr(EVP_PKEY) key = test_key_new ();
  g_autoptr(GBytes) der = test_cert ("Diagnose Test CA", key, "Diagnose Test CA", key, TRUE);
  g_autoptr(GPtrArray) certs = g_ptr_array_new_with_free_func (g_object_unref);
  guint added = 0;

  g_assert_no_error (error);
  g_assert_true (cradle_device_open (device, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (cradle_device_is_paired (device));
  g_ptr_array_add (certs, cradle_device_cert_new ("CA", "user", der, NULL));
  g_assert_true (cradle_device_install (device, certs, &added, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (added, ==, 1);
  cradle_device_close (device);
}

/* Fills the device's CA store until its certificates' DER (*@der, over
 * *@count of them) and @overhead_per_cert bytes each add up to @bytes. */
static void
fill_stores (Fixture    *fixture,
             const char *serial,
             gsize      *der,
             gsize      *count,
             gsize       overhead_per_cert,
             gsize       bytes)
{
  g_autofree char *path = socket_path (fixture, serial);
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleDevice) device = cradle_device_new_for_socket (path, &error);
  g_autoptr(EVP_PKEY) key = test_key_new ();
  static guint made;

  g_assert_no_error (error);
  g_assert_true (cradle_device_open (device, NULL, &error));
  g_assert_no_error (error);
  while (*der + *count * overhead_per_cert < bytes)
    {
      g_autoptr(GPtrArray) certs = g_ptr_array_new_with_free_func (g_object_unref);
      guint added = 0;

      /* Batches well inside one INSTALL frame. */
      for (guint i = 0; i < 100 && *der + *count * overhead_per_cert < bytes; i++)
        {
          g_autofree char *name = g_strdup_printf ("Filler CA %u", ++made);
          g_autoptr(GBytes) cert = test_cert (name, key, name, key, TRUE);

          *der += g_bytes_get_size (cert);
          *count += 1;
          g_ptr_array_add (certs, cradle_device_cert_new ("CA", "user", cert, NULL));
        }
      g_assert_true (cradle_device_install (device, certs, &added, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (added, ==, certs->len);
    }
  cradle_device_close (device);
}

/* The other hops: the lab when it is up, else a DC on a closed port. */
static CradleDiagnosis *
new_diagnosis (void)
{
  CradleDiagnosis *diagnosis = cradle_diagnosis_new ();
  CradleTestLab *lab = cradle_test_lab_get ();

  cradle_diagnosis_set_timeout (diagnosis, TIMEOUT_MS);
  if (lab != NULL)
    {
      g_setenv ("KRB5CCNAME", cradle_test_lab_env (lab, "CRADLE_LAB_ALICE_CCACHE"), TRUE);
      cradle_diagnosis_set_directory (diagnosis, cradle_test_lab_env (lab, "CRADLE_LAB_DOMAIN"),
                                      cradle_test_lab_env (lab, "CRADLE_LAB_LDAP_URI"));
    }
  else
    {
      g_test_message ("the lab is not up: the other hops meet a closed port");
      cradle_diagnosis_set_directory (diagnosis, "corp.example.test", "ldap://127.0.0.1:1");
    }
  return diagnosis;
}

static CradleCheck *
find_check (CradleDiagnosis *diagnosis,
            CradleHop        hop,
            const char      *name)
{
  GPtrArray *checks = cradle_diagnosis_get_checks (diagnosis);

  for (guint i = 0; i < checks->len; i++)
    {
      CradleCheck *check = checks->pdata[i];

      if (cradle_check_get_hop (check) == hop && g_strcmp0 (cradle_check_get_name (check), name) == 0)
        return check;
    }
  g_test_message ("no check %s/%s", cradle_hop_get_name (hop), name);
  g_assert_not_reached ();
  return NULL;
}

static void
assert_verdict (CradleDiagnosis    *diagnosis,
                const char         *name,
                CradleCheckVerdict  verdict)
{
  CradleCheck *check = find_check (diagnosis, CRADLE_HOP_DEVICE, name);

  g_test_message ("device/%s: %s: %s%s%s", name, cradle_check_verdict_to_string (cradle_check_get_verdict (check)),
                  cradle_check_get_found (check), cradle_check_get_error (check) != NULL ? " -- " : "",
                  cradle_check_get_error (check) != NULL ? cradle_check_get_error (check)->message : "");
  g_assert_cmpstr (cradle_check_verdict_to_string (cradle_check_get_verdict (check)), ==,
                   cradle_check_verdict_to_string (verdict));
  if (verdict == CRADLE_CHECK_OK || verdict == CRADLE_CHECK_SKIPPED)
    g_assert_null (cradle_check_get_error (check));
  else
    g_assert_nonnull (cradle_check_get_error (check));
}

/* The explanation of a failed device check is the table's entry @name. */
static const CradleExplanation *
assert_explained (CradleDiagnosis *diagnosis,
                  const char      *check_name,
                  const char      *name)
{
  CradleCheck *check = find_check (diagnosis, CRADLE_HOP_DEVICE, check_name);
  const CradleExplanation *explanation;

  g_assert_nonnull (cradle_check_get_error (check));
  explanation = cradle_explain_error (cradle_check_get_error (check));
  g_assert_cmpstr (cradle_explanation_get_name (explanation), ==, name);
  g_assert_false (cradle_explanation_is_generic (explanation));
  return explanation;
}

/* Every hop reports at least one check, whatever the device did. */
static void
assert_every_hop_reports (CradleDiagnosis *diagnosis)
{
  GPtrArray *checks = cradle_diagnosis_get_checks (diagnosis);
  guint counts[CRADLE_N_HOPS] = { 0 };

  for (guint i = 0; i < checks->len; i++)
    counts[cradle_check_get_hop (checks->pdata[i])]++;
  for (CradleHop hop = 0; hop < CRADLE_N_HOPS; hop++)
    {
      g_test_message ("hop %s: %u checks, %s", cradle_hop_get_name (hop), counts[hop],
                      cradle_check_verdict_to_string (cradle_diagnosis_get_hop_verdict (diagnosis, hop)));
      g_assert_cmpuint (counts[hop], >, 0);
    }
}

/* The device checks, in the hop's order, each once. */
static void
assert_device_checks (CradleDiagnosis *diagnosis)
{
  static const char * const names[] = { "transport", "hello", "info", "pairing", "key-types", "stores" };
  GPtrArray *checks = cradle_diagnosis_get_checks (diagnosis);
  guint next = 0;

  for (guint i = 0; i < checks->len; i++)
    {
      CradleCheck *check = checks->pdata[i];

      if (cradle_check_get_hop (check) != CRADLE_HOP_DEVICE)
        continue;
      g_assert_cmpuint (next, <, G_N_ELEMENTS (names));
      g_assert_cmpstr (cradle_check_get_name (check), ==, names[next]);
      next++;
    }
  g_assert_cmpuint (next, ==, G_N_ELEMENTS (names));
}

static void
run_diagnosis (CradleDiagnosis *diagnosis)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (cradle_diagnosis_run (diagnosis, NULL, &error));
  g_assert_no_error (error);
  assert_device_checks (diagnosis);
  assert_every_hop_reports (diagnosis);
}

static void
test_paired (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(CradleDiagnosis) diagnosis = new_diagnosis ();
  g_autofree char *path = NULL;
  g_autoptr(CradleDevice) again = NULL;
  g_autoptr(GError) error = NULL;
  const char *found;

  start_agent (fixture, "DIAG-PAIRED", "--model=Tablet 7", "--manufacturer=Example Corp", NULL);
  pair_device (fixture, "DIAG-PAIRED");
  install_ca_cert (fixture, "DIAG-PAIRED");

  run_diagnosis (diagnosis);
  for (guint i = 0; i < 6; i++)
    {
      static const char * const names[] = { "transport", "hello", "info", "pairing", "key-types", "stores" };

      assert_verdict (diagnosis, names[i], CRADLE_CHECK_OK);
    }
  g_assert_cmpint (cradle_diagnosis_get_hop_verdict (diagnosis, CRADLE_HOP_DEVICE), ==, CRADLE_CHECK_OK);

  found = cradle_check_get_found (find_check (diagnosis, CRADLE_HOP_DEVICE, "transport"));
  g_assert_nonnull (strstr (found, "socket:DIAG-PAIRED"));
  g_assert_nonnull (strstr (found, "simulated"));
  found = cradle_check_get_found (find_check (diagnosis, CRADLE_HOP_DEVICE, "hello"));
  g_assert_nonnull (strstr (found, "protocol version 1"));
  g_assert_nonnull (strstr (found, "cradle-agent"));
  found = cradle_check_get_found (find_check (diagnosis, CRADLE_HOP_DEVICE, "info"));
  g_assert_nonnull (strstr (found, "Example Corp Tablet 7"));
  g_assert_nonnull (strstr (found, "serial DIAG-PAIRED"));
  found = cradle_check_get_found (find_check (diagnosis, CRADLE_HOP_DEVICE, "key-types"));
  g_assert_nonnull (strstr (found, "p256"));
  found = cradle_check_get_found (find_check (diagnosis, CRADLE_HOP_DEVICE, "stores"));
  g_assert_nonnull (strstr (found, "CA (user): 1 certificate"));
  g_assert_nonnull (strstr (found, "room for 1023 more of 1024 certificates"));

  /* The run ended: the device serves the next program at once, not after
   * the diagnosis is dropped. */
  path = socket_path (fixture, "DIAG-PAIRED");
  again = cradle_device_new_for_socket (path, &error);
  g_assert_no_error (error);
  g_assert_true (cradle_device_open (again, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (cradle_device_is_paired (again));
}

/* The app's own open session, lent: checked as it is, and left open and
 * sealed (a second HELLO or AUTHENTICATE would start it over). */
static void
test_lent_session (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(CradleDiagnosis) diagnosis = new_diagnosis ();
  g_autofree char *path = NULL;
  g_autoptr(CradleDevice) held = NULL;
  g_autoptr(GPtrArray) certs = NULL;
  g_autoptr(GError) error = NULL;

  start_agent (fixture, "DIAG-LENT", NULL);
  pair_device (fixture, "DIAG-LENT");
  path = socket_path (fixture, "DIAG-LENT");
  held = cradle_device_new_for_socket (path, &error);
  g_assert_no_error (error);
  g_assert_true (cradle_device_open (held, NULL, &error));
  g_assert_no_error (error);

  cradle_diagnosis_set_device (diagnosis, held);
  run_diagnosis (diagnosis);
  for (guint i = 0; i < 6; i++)
    {
      static const char * const names[] = { "transport", "hello", "info", "pairing", "key-types", "stores" };

      assert_verdict (diagnosis, names[i], CRADLE_CHECK_OK);
    }
  g_assert_nonnull (strstr (cradle_check_get_found (find_check (diagnosis, CRADLE_HOP_DEVICE, "transport")),
                            "in the session this program holds"));

  /* Still open and sealed: the holder lists the stores without opening again. */
  g_assert_true (cradle_device_is_paired (held));
  certs = cradle_device_list_certs (held, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (certs);
}

static void
test_unpaired (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(CradleDiagnosis) diagnosis = new_diagnosis ();
  g_autofree char *path = NULL;
  g_autoptr(CradleDevice) device = NULL;
  g_autoptr(GError) error = NULL;
  const CradleExplanation *explanation;

  /* A user who would accept: the diagnosis must not ask. */
  start_agent (fixture, "DIAG-NEW", NULL);

  run_diagnosis (diagnosis);
  assert_verdict (diagnosis, "transport", CRADLE_CHECK_OK);
  assert_verdict (diagnosis, "hello", CRADLE_CHECK_OK);
  assert_verdict (diagnosis, "info", CRADLE_CHECK_OK);
  assert_verdict (diagnosis, "pairing", CRADLE_CHECK_FAILED);
  assert_verdict (diagnosis, "key-types", CRADLE_CHECK_OK);
  assert_verdict (diagnosis, "stores", CRADLE_CHECK_SKIPPED);
  g_assert_cmpint (cradle_diagnosis_get_hop_verdict (diagnosis, CRADLE_HOP_DEVICE), ==, CRADLE_CHECK_FAILED);
  g_assert_true (g_error_matches (cradle_check_get_error (find_check (diagnosis, CRADLE_HOP_DEVICE, "pairing")),
                                  CRADLE_ERROR, CRADLE_ERROR_NOT_PAIRED));
  explanation = assert_explained (diagnosis, "pairing", "DEVICE_NOT_PAIRED");
  g_assert_nonnull (strstr (cradle_explanation_get_user_action (explanation), "Trust this computer"));
  g_assert_nonnull (strstr (cradle_check_get_found (find_check (diagnosis, CRADLE_HOP_DEVICE, "stores")),
                            "paired"));
  g_assert_nonnull (strstr (cradle_check_get_found (find_check (diagnosis, CRADLE_HOP_DEVICE, "info")),
                            "serial DIAG-NEW"));

  /* Nothing was paired behind the user's back: this computer pinned no
   * key, and the device still does not trust it. */
  path = socket_path (fixture, "DIAG-NEW");
  device = cradle_device_new_for_socket (path, &error);
  g_assert_no_error (error);
  g_assert_true (cradle_device_open (device, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (cradle_device_is_paired (device));
}

static void
test_no_device (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(CradleDiagnosis) diagnosis = new_diagnosis ();
  const CradleExplanation *explanation;
  const char *next;

  run_diagnosis (diagnosis);
  assert_verdict (diagnosis, "transport", CRADLE_CHECK_FAILED);
  for (guint i = 1; i < 6; i++)
    {
      static const char * const names[] = { "transport", "hello", "info", "pairing", "key-types", "stores" };

      assert_verdict (diagnosis, names[i], CRADLE_CHECK_SKIPPED);
      g_assert_nonnull (strstr (cradle_check_get_found (find_check (diagnosis, CRADLE_HOP_DEVICE, names[i])),
                                "no device"));
    }
  explanation = assert_explained (diagnosis, "transport", "DEVICE_NOT_FOUND");
  next = cradle_explanation_get_user_action (explanation);
  g_assert_nonnull (strstr (next, "Connect the device"));
  g_assert_nonnull (strstr (next, "unlock it"));
  g_assert_nonnull (strstr (next, "agent"));
  g_assert_cmpint (cradle_diagnosis_get_verdict (diagnosis), ==, CRADLE_CHECK_FAILED);
}

/* Asked for a device that is not there, beside one that is. */
static void
test_wrong_device (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(CradleDiagnosis) diagnosis = new_diagnosis ();
  const char *found;

  start_agent (fixture, "DIAG-THERE", NULL);
  cradle_diagnosis_set_device_id (diagnosis, "DIAG-ELSEWHERE");
  run_diagnosis (diagnosis);
  assert_verdict (diagnosis, "transport", CRADLE_CHECK_FAILED);
  assert_explained (diagnosis, "transport", "DEVICE_NOT_FOUND");
  found = cradle_check_get_found (find_check (diagnosis, CRADLE_HOP_DEVICE, "transport"));
  g_assert_nonnull (strstr (found, "DIAG-ELSEWHERE"));
  g_assert_nonnull (strstr (found, "socket:DIAG-THERE"));
}

/* Two devices; the one asked for by serial is the one checked. */
static void
test_chosen_device (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(CradleDiagnosis) diagnosis = new_diagnosis ();

  start_agent (fixture, "DIAG-AAA", NULL);
  start_agent (fixture, "DIAG-BBB", NULL);
  pair_device (fixture, "DIAG-BBB");
  cradle_diagnosis_set_device_id (diagnosis, "DIAG-BBB");
  run_diagnosis (diagnosis);
  assert_verdict (diagnosis, "transport", CRADLE_CHECK_OK);
  assert_verdict (diagnosis, "pairing", CRADLE_CHECK_OK);
  g_assert_nonnull (strstr (cradle_check_get_found (find_check (diagnosis, CRADLE_HOP_DEVICE, "info")),
                            "serial DIAG-BBB"));
  g_assert_nonnull (strstr (cradle_check_get_found (find_check (diagnosis, CRADLE_HOP_DEVICE, "transport")),
                            "2 devices found"));
}

/* Stores whose listing nears, then passes, what one answer may carry. */
static void
test_full_stores (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(CradleDiagnosis) nearly = new_diagnosis ();
  g_autoptr(CradleDiagnosis) full = new_diagnosis ();
  gsize der = 0, count = 0;

  start_agent (fixture, "DIAG-FULL", NULL);
  pair_device (fixture, "DIAG-FULL");

  /* About 20 KiB left of the 256 KiB, counting each certificate's DER and
   * 64 bytes around it, as the check does: a warning. */
  fill_stores (fixture, "DIAG-FULL", &der, &count, 64, 256 * 1024 - 20 * 1024);
  run_diagnosis (nearly);
  assert_verdict (nearly, "stores", CRADLE_CHECK_WARNING);
  assert_explained (nearly, "stores", "DEVICE_STORES_FULL");
  g_assert_nonnull (strstr (cradle_check_get_found (find_check (nearly, CRADLE_HOP_DEVICE, "stores")),
                            "CA (user): "));

  /* Past it by the DER alone: the device answers TOO_LARGE, a failure. */
  fill_stores (fixture, "DIAG-FULL", &der, &count, 0, 256 * 1024 + 8 * 1024);
  run_diagnosis (full);
  assert_verdict (full, "stores", CRADLE_CHECK_FAILED);
  assert_explained (full, "stores", "DEVICE_STORES_FULL");
  g_assert_nonnull (strstr (cradle_check_get_found (find_check (full, CRADLE_HOP_DEVICE, "stores")),
                            "TOO_LARGE"));
  /* The rest of the device is fine. */
  assert_verdict (full, "pairing", CRADLE_CHECK_OK);
}

/* Paired once; then the device forgot this computer (on the device). */
static void
test_forgotten (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(CradleDiagnosis) diagnosis = new_diagnosis ();
  g_autofree char *agent = agent_fixture_agent_path ();
  g_autofree char *store = g_strdup_printf ("--store=%s/store-DIAG-FORGOT", fixture->root);
  g_autofree char *kek = g_strdup_printf ("--kek-file=%s/DIAG-FORGOT.kek", fixture->root);
  g_autoptr(GSubprocess) forget = NULL;
  g_autoptr(GError) error = NULL;

  start_agent (fixture, "DIAG-FORGOT", NULL);
  pair_device (fixture, "DIAG-FORGOT");
  stop_agents (fixture);
  forget = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error, agent, "--serial=DIAG-FORGOT", store, kek,
                             "--forget-host=all", NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait_check (forget, NULL, &error));
  g_assert_no_error (error);
  start_agent (fixture, "DIAG-FORGOT", NULL);

  run_diagnosis (diagnosis);
  assert_verdict (diagnosis, "info", CRADLE_CHECK_OK);
  assert_verdict (diagnosis, "pairing", CRADLE_CHECK_FAILED);
  assert_verdict (diagnosis, "stores", CRADLE_CHECK_SKIPPED);
  assert_explained (diagnosis, "pairing", "DEVICE_FORGOT_HOST");
}

/* Another device under a paired device's serial (a new identity key). */
static void
test_stand_in (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(CradleDiagnosis) diagnosis = new_diagnosis ();
  g_autofree char *store = g_strdup_printf ("--store=%s/store-impostor", fixture->root);
  g_autofree char *kek = g_strdup_printf ("--kek-file=%s/impostor.kek", fixture->root);

  start_agent (fixture, "DIAG-REAL", NULL);
  pair_device (fixture, "DIAG-REAL");
  stop_agents (fixture);
  start_agent (fixture, "DIAG-REAL", store, kek, NULL);

  run_diagnosis (diagnosis);
  assert_verdict (diagnosis, "info", CRADLE_CHECK_OK);
  assert_verdict (diagnosis, "pairing", CRADLE_CHECK_FAILED);
  assert_verdict (diagnosis, "stores", CRADLE_CHECK_SKIPPED);
  assert_explained (diagnosis, "pairing", "DEVICE_IDENTITY_CHANGED");
  g_assert_true (g_error_matches (cradle_check_get_error (find_check (diagnosis, CRADLE_HOP_DEVICE, "pairing")),
                                  CRADLE_ERROR, CRADLE_ERROR_NOT_PAIRED));
}

/* A device that accepts the connection and never says a word. */
static void
test_silent_device (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(CradleDiagnosis) diagnosis = new_diagnosis ();
  g_autofree char *folder = g_build_filename (fixture->runtime, "devices", NULL);
  g_autofree char *path = socket_path (fixture, "DIAG-SILENT");
  struct sockaddr_un address = { .sun_family = AF_UNIX };

  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
  g_assert_cmpuint (strlen (path), <, sizeof address.sun_path);
  memcpy (address.sun_path, path, strlen (path) + 1);
  fixture->silent_fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (fixture->silent_fd, >=, 0);
  g_assert_cmpint (bind (fixture->silent_fd, (struct sockaddr *) &address, sizeof address), ==, 0);
  g_assert_cmpint (listen (fixture->silent_fd, 4), ==, 0);

  run_diagnosis (diagnosis);
  assert_verdict (diagnosis, "transport", CRADLE_CHECK_OK);
  assert_verdict (diagnosis, "hello", CRADLE_CHECK_FAILED);
  assert_verdict (diagnosis, "info", CRADLE_CHECK_SKIPPED);
  assert_verdict (diagnosis, "pairing", CRADLE_CHECK_SKIPPED);
  assert_explained (diagnosis, "hello", "DEVICE_NOT_ANSWERING");
  g_assert_true (g_error_matches (cradle_check_get_error (find_check (diagnosis, CRADLE_HOP_DEVICE, "hello")),
                                  CRADLE_ERROR, CRADLE_ERROR_TIMED_OUT));
}

static void
assert_no_raw_controls (const char *text)
{
  g_assert_null (strchr (text, 0x1b));
  g_assert_null (strchr (text, 0x07));
  g_assert_null (strstr (text, "\u202e"));
  g_assert_null (strstr (text, "\u2066"));
}

/* Everything the device says about itself arrives escaped. */
static void
test_hostile_device (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(CradleDiagnosis) diagnosis = new_diagnosis ();
  g_autofree char *json = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  GPtrArray *checks;
  const char *found;

  start_agent (fixture, "DIAG-HOSTILE", "--model=\x1b]0;owned\x07Phone\u202etxt.exe",
               "--manufacturer=\x1b[2J\u2066Evil", NULL);
  run_diagnosis (diagnosis);
  assert_verdict (diagnosis, "info", CRADLE_CHECK_OK);
  found = cradle_check_get_found (find_check (diagnosis, CRADLE_HOP_DEVICE, "info"));
  g_assert_nonnull (strstr (found, "\\x1b]0;owned\\x07Phone\\u202etxt.exe"));
  g_assert_nonnull (strstr (found, "\\x1b[2J\\u2066Evil"));

  checks = cradle_diagnosis_get_checks (diagnosis);
  for (guint i = 0; i < checks->len; i++)
    {
      CradleCheck *check = checks->pdata[i];

      if (cradle_check_get_hop (check) != CRADLE_HOP_DEVICE)
        continue;
      assert_no_raw_controls (cradle_check_get_found (check));
      if (cradle_check_get_error (check) != NULL)
        assert_no_raw_controls (cradle_check_get_error (check)->message);
    }
  json = cradle_diagnosis_to_json (diagnosis);
  g_assert_true (json_parser_load_from_data (parser, json, -1, &error));
  g_assert_no_error (error);
  assert_no_raw_controls (json);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add ("/diagnose-device/paired", Fixture, NULL, fixture_set_up, test_paired, fixture_tear_down);
  g_test_add ("/diagnose-device/lent-session", Fixture, NULL, fixture_set_up, test_lent_session, fixture_tear_down);
  g_test_add ("/diagnose-device/unpaired", Fixture, NULL, fixture_set_up, test_unpaired, fixture_tear_down);
  g_test_add ("/diagnose-device/no-device", Fixture, NULL, fixture_set_up, test_no_device, fixture_tear_down);
  g_test_add ("/diagnose-device/wrong-device", Fixture, NULL, fixture_set_up, test_wrong_device,
              fixture_tear_down);
  g_test_add ("/diagnose-device/chosen-device", Fixture, NULL, fixture_set_up, test_chosen_device,
              fixture_tear_down);
  g_test_add ("/diagnose-device/full-stores", Fixture, NULL, fixture_set_up, test_full_stores, fixture_tear_down);
  g_test_add ("/diagnose-device/forgotten", Fixture, NULL, fixture_set_up, test_forgotten, fixture_tear_down);
  g_test_add ("/diagnose-device/stand-in", Fixture, NULL, fixture_set_up, test_stand_in, fixture_tear_down);
  g_test_add ("/diagnose-device/silent-device", Fixture, NULL, fixture_set_up, test_silent_device,
              fixture_tear_down);
  g_test_add ("/diagnose-device/hostile-device", Fixture, NULL, fixture_set_up, test_hostile_device,
              fixture_tear_down);
  status = g_test_run ();
  cradle_test_lab_cleanup ();
  return status;
}
