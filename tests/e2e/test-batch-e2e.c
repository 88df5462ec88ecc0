/* test-batch-e2e.c: `cradlectl enroll --batch` against the lab, with many
 * simulated devices at once
 *
 * Sixteen devices through one batch file (CSV, subjects with commas): each
 * certificate on its own device with its own subject, one journal run per
 * device, and the same batch again skips them all.  Then one device's
 * trouble stays its own: beside a device that enrolls, one declines, one
 * never answers and one is unplugged while it asks; the first is
 * installed and the second has declined while the third still waits. */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "e2e-support.h"

#define DEVICES 16

static char *
device_serial (guint i)
{
  return g_strdup_printf ("BATCH-%d-%02u", (int) getpid (), i);
}

static char *
write_batch (E2e        *e2e,
             const char *type,
             GPtrArray  *serials)
{
  g_autofree char *path = g_build_filename (e2e->home, "cart.csv", NULL);
  g_autoptr(GString) text = g_string_new ("# the cart of this test\r\nserial,type,subject\r\n");

  for (guint i = 0; i < serials->len; i++)
    /* RFC 4514's escaped comma inside a CSV quoted field. */
    g_string_append_printf (text, "%s,%s,\"CN=%s,O=Cradle Tests\\, Batch\"\r\n", (char *) serials->pdata[i], type,
                            (char *) serials->pdata[i]);
  write_file (path, text->str);
  return g_steal_pointer (&path);
}

static GSubprocess *
spawn_batch (E2e        *e2e,
             const char *path)
{
  const char *args[] = { "enroll", "--batch", path, "--json", "--dc", env (e2e, "CRADLE_LAB_LDAP_URI"),
                         "--ccache", alice_ccache (e2e), NULL };

  return spawn_cradlectl (e2e, args);
}

/* The result of @serial among the batch's. */
static JsonObject *
result_for (JsonNode   *root,
            const char *serial)
{
  JsonArray *results = json_object_get_array_member (json_node_get_object (root), "results");

  for (guint i = 0; i < json_array_get_length (results); i++)
    {
      JsonObject *result = json_array_get_object_element (results, i);

      if (g_strcmp0 (json_object_get_string_member (result, "device"), serial) == 0)
        return result;
    }
  g_error ("the batch gave no result for %s", serial);
}

/* The journal's runs of kind "enroll" of the device @serial. */
static GPtrArray *
enroll_runs (JsonNode   *runs,
             const char *serial)
{
  GPtrArray *found = g_ptr_array_new ();
  JsonArray *array = json_node_get_array (runs);

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *run = json_array_get_object_element (array, i);

      if (g_str_equal (json_object_get_string_member (run, "kind"), "enroll") &&
          g_strcmp0 (json_object_get_string_member (run, "device"), serial) == 0)
        g_ptr_array_add (found, run);
    }
  return found;
}

/* @sha256 is in the MY store of the device @serial, with its key. */
static void
assert_on_device (E2e        *e2e,
                  const char *serial,
                  const char *sha256)
{
  const char *args[] = { "certs", "--device", serial, "--json", NULL };
  g_autofree char *out = NULL;
  g_autoptr(JsonNode) certs = NULL;
  JsonArray *array;
  gboolean found = FALSE;

  g_assert_cmpint (cradlectl (e2e, args, &out, NULL), ==, 0);
  certs = parse_json (out);
  array = json_node_get_array (certs);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *cert = json_array_get_object_element (array, i);

      if (g_str_equal (json_object_get_string_member (cert, "store"), "MY") &&
          g_str_equal (json_object_get_string_member (cert, "sha256"), sha256))
        {
          g_assert_true (json_object_get_boolean_member (cert, "has_key"));
          found = TRUE;
        }
    }
  g_assert_true (found);
}

static void
test_batch_sixteen (E2e           *e2e,
                    gconstpointer  data)
{
  g_autoptr(GPtrArray) agents = g_ptr_array_new ();
  g_autoptr(GPtrArray) serials = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) fingerprints = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(JsonNode) first = NULL;
  g_autoptr(JsonNode) second = NULL;
  g_autoptr(JsonNode) runs = NULL;
  g_autoptr(JsonNode) runs_after = NULL;
  g_autofree char *type = NULL;
  g_autofree char *path = NULL;
  g_autofree char *out = NULL;
  JsonObject *summary;

  if (skipped (e2e))
    return;
  for (guint i = 0; i < DEVICES; i++)
    {
      g_ptr_array_add (serials, device_serial (i));
      g_ptr_array_add (agents, start_device (e2e, serials->pdata[i], "--confirm=approve", NULL));
    }
  /* The template takes the subject from the request: each device's own. */
  type = write_type (e2e, "CradleDeviceSuppliedSubject", NULL, NULL);
  path = write_batch (e2e, type, serials);

  {
    g_autoptr(GSubprocess) process = spawn_batch (e2e, path);

    g_assert_cmpint (finish_cradlectl (process, &out, NULL), ==, 0);
  }
  first = parse_json (out);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (first), "results")),
                    ==, DEVICES);
  summary = json_object_get_object_member (json_node_get_object (first), "summary");
  g_assert_cmpint (json_object_get_int_member (summary, "installed"), ==, DEVICES);
  g_assert_cmpint (json_object_get_int_member (summary, "skipped"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (first), "exit_code"), ==, 0);
  for (guint i = 0; i < DEVICES; i++)
    {
      const char *serial = serials->pdata[i];
      JsonObject *result = result_for (first, serial);
      JsonObject *leaf = json_object_get_object_member (result, "certificate");
      const char *subject = json_object_get_string_member (leaf, "subject");
      const char *sha256 = json_object_get_string_member (leaf, "sha256");
      g_autofree char *cn = g_strdup_printf ("CN = %s", serial);

      g_assert_cmpstr (json_object_get_string_member (result, "outcome"), ==, "installed");
      g_assert_cmpint (json_object_get_int_member (result, "exit_code"), ==, 0);
      /* Its own subject, the batch's comma kept, on its own device. */
      g_assert_nonnull (strstr (subject, cn));
      g_assert_nonnull (strstr (subject, "Cradle Tests, Batch"));
      g_assert_true (g_hash_table_add (fingerprints, (gpointer) sha256));
      assert_on_device (e2e, serial, sha256);
    }

  /* One run per device in the journal, each installed. */
  runs = journal (e2e, 0);
  for (guint i = 0; i < DEVICES; i++)
    {
      g_autoptr(GPtrArray) mine = enroll_runs (runs, serials->pdata[i]);

      g_assert_cmpuint (mine->len, ==, 1);
      g_assert_cmpstr (json_object_get_string_member (mine->pdata[0], "outcome"), ==, "installed");
    }

  /* The same batch again: every device holds its certificate, so none is enrolled. */
  g_clear_pointer (&out, g_free);
  {
    g_autoptr(GSubprocess) process = spawn_batch (e2e, path);

    g_assert_cmpint (finish_cradlectl (process, &out, NULL), ==, 0);
  }
  second = parse_json (out);
  summary = json_object_get_object_member (json_node_get_object (second), "summary");
  g_assert_cmpint (json_object_get_int_member (summary, "skipped"), ==, DEVICES);
  g_assert_cmpint (json_object_get_int_member (summary, "installed"), ==, 0);
  for (guint i = 0; i < DEVICES; i++)
    {
      JsonObject *result = result_for (second, serials->pdata[i]);
      JsonObject *held = json_object_get_object_member (result, "certificate");

      g_assert_cmpstr (json_object_get_string_member (result, "outcome"), ==, "skipped");
      /* The certificate it holds is the one the first run installed there. */
      g_assert_cmpstr (json_object_get_string_member (held, "sha256"), ==,
                       json_object_get_string_member (json_object_get_object_member (result_for (first, serials->pdata[i]),
                                                                                     "certificate"), "sha256"));
    }
  runs_after = journal (e2e, 0);
  for (guint i = 0; i < DEVICES; i++)
    {
      g_autoptr(GPtrArray) mine = enroll_runs (runs_after, serials->pdata[i]);

      g_assert_cmpuint (mine->len, ==, 1);
    }
  for (guint i = 0; i < agents->len; i++)
    stop_process ((GSubprocess **) &agents->pdata[i], SIGTERM);
}

/* The newest enroll run of @serial in the journal now, or %NULL. */
static JsonObject *
run_of (JsonNode   *runs,
        const char *serial)
{
  g_autoptr(GPtrArray) mine = enroll_runs (runs, serial);

  return mine->len > 0 ? mine->pdata[0] : NULL;
}

static const char *
run_outcome (JsonObject *run)
{
  JsonNode *node = run != NULL ? json_object_get_member (run, "outcome") : NULL;

  return node != NULL && !JSON_NODE_HOLDS_NULL (node) ? json_node_get_string (node) : NULL;
}

/* The run's step @name is running (the device waits for its user). */
static gboolean
waits_in (JsonObject *run,
          const char *name)
{
  JsonArray *steps = run != NULL ? json_object_get_array_member (run, "steps") : NULL;

  for (guint i = 0; steps != NULL && i < json_array_get_length (steps); i++)
    {
      JsonObject *step = json_array_get_object_element (steps, i);

      if (g_str_equal (json_object_get_string_member (step, "step"), name) &&
          g_str_equal (json_object_get_string_member (step, "outcome"), "running"))
        return TRUE;
    }
  return FALSE;
}

typedef gboolean (*Condition) (JsonNode *runs, gpointer data);

/* Polls the journal (up to 2 minutes) until @condition holds. */
static gboolean
wait_for_journal (E2e         *e2e,
                  GSubprocess *process,
                  Condition    condition,
                  gpointer     data)
{
  gint64 deadline = g_get_monotonic_time () + 120 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      const char *args[] = { "log", "--json", "--limit", "0", NULL };
      g_autofree char *out = NULL;
      g_autoptr(JsonNode) runs = NULL;

      g_assert_nonnull (g_subprocess_get_identifier (process));
      if (cradlectl (e2e, args, &out, NULL) == 0)
        {
          runs = parse_json (out);
          if (condition (runs, data))
            return TRUE;
        }
      g_usleep (200 * 1000);
    }
  return FALSE;
}

typedef struct {
  const char *ok;
  const char *decline;
  const char *stall;
  const char *gone;
} Trouble;

/* The good device is installed and the declining one declined, while
 * the stalled and the doomed device both wait for their users. */
static gboolean
others_done_while_waiting (JsonNode *runs,
                           gpointer  data)
{
  Trouble *trouble = data;

  return g_strcmp0 (run_outcome (run_of (runs, trouble->ok)), "installed") == 0 &&
         g_strcmp0 (run_outcome (run_of (runs, trouble->decline)), "declined") == 0 &&
         waits_in (run_of (runs, trouble->stall), "generate-key") &&
         waits_in (run_of (runs, trouble->gone), "generate-key");
}

/* The unplugged device's run ended; the stalled one still waits. */
static gboolean
gone_ended_stall_waits (JsonNode *runs,
                        gpointer  data)
{
  Trouble *trouble = data;

  const char *gone = run_outcome (run_of (runs, trouble->gone));

  return gone != NULL && !g_str_equal (gone, "running") &&
         g_strcmp0 (run_outcome (run_of (runs, trouble->stall)), "running") == 0 &&
         waits_in (run_of (runs, trouble->stall), "generate-key");
}

static void
test_batch_trouble (E2e           *e2e,
                    gconstpointer  data)
{
  g_autoptr(GPtrArray) serials = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GSubprocess) ok_agent = NULL;
  g_autoptr(GSubprocess) decline_agent = NULL;
  g_autoptr(GSubprocess) stall_agent = NULL;
  g_autoptr(GSubprocess) gone_agent = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *type = NULL;
  g_autofree char *path = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *stall_prompt = NULL;
  Trouble trouble;

  if (skipped (e2e))
    return;
  for (guint i = 0; i < 4; i++)
    g_ptr_array_add (serials, device_serial (50 + i));
  trouble = (Trouble) { serials->pdata[0], serials->pdata[1], serials->pdata[2], serials->pdata[3] };
  /* Each pairs at once; then each answers the key generation its own way. */
  ok_agent = start_device (e2e, trouble.ok, "--confirm=approve", NULL);
  decline_agent = start_device (e2e, trouble.decline, "--confirm=approve", "--confirm-generate=decline", NULL);
  stall_agent = start_device (e2e, trouble.stall, "--confirm=approve", "--confirm-generate=never", NULL);
  gone_agent = start_device (e2e, trouble.gone, "--confirm=approve", "--confirm-generate=never", NULL);
  type = write_type (e2e, "CradleDeviceSuppliedSubject", NULL, NULL);
  path = write_batch (e2e, type, serials);

  process = spawn_batch (e2e, path);
  /* The others finish while two devices wait for their users. */
  g_assert_true (wait_for_journal (e2e, process, others_done_while_waiting, &trouble));
  /* Unplugged while it asks: its run ends; the stalled one still waits. */
  stop_process (&gone_agent, SIGKILL);
  g_assert_true (wait_for_journal (e2e, process, gone_ended_stall_waits, &trouble));
  /* Ctrl-C ends the one still waiting. */
  g_subprocess_send_signal (process, SIGINT);
  g_assert_cmpint (finish_cradlectl (process, &out, &err), ==, 10);

  root = parse_json (out);
  g_assert_cmpstr (json_object_get_string_member (result_for (root, trouble.ok), "outcome"), ==, "installed");
  g_assert_cmpstr (json_object_get_string_member (result_for (root, trouble.decline), "outcome"), ==, "declined");
  g_assert_cmpint (json_object_get_int_member (result_for (root, trouble.decline), "exit_code"), ==, 5);
  g_assert_cmpint (json_object_get_int_member (result_for (root, trouble.gone), "exit_code"), ==, 6);
  g_assert_cmpstr (json_object_get_string_member (result_for (root, trouble.stall), "outcome"), ==, "cancelled");
  /* Which device asks is said with its prompt. */
  stall_prompt = g_strdup_printf ("[%s] Waiting for confirmation on the device", trouble.stall);
  g_assert_nonnull (strstr (err, stall_prompt));
  assert_on_device (e2e, trouble.ok,
                    json_object_get_string_member (json_object_get_object_member (result_for (root, trouble.ok),
                                                                                  "certificate"), "sha256"));
  stop_process (&ok_agent, SIGTERM);
  stop_process (&decline_agent, SIGTERM);
  stop_process (&stall_agent, SIGTERM);
}

/* --all-devices in words; a batch naming a device that is not there; a
 * batch file or type that is wrong stops before any device is asked. */
static void
test_batch_text (E2e           *e2e,
                 gconstpointer  data)
{
  g_autofree char *first = device_serial (70);
  g_autofree char *second = device_serial (71);
  g_autofree char *absent = device_serial (79);
  g_autoptr(GSubprocess) first_agent = NULL;
  g_autoptr(GSubprocess) second_agent = NULL;
  g_autofree char *type = NULL;
  g_autofree char *path = g_build_filename (e2e->home, "text.csv", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *batch = NULL;

  if (skipped (e2e))
    return;
  first_agent = start_device (e2e, first, "--confirm=approve", NULL);
  second_agent = start_device (e2e, second, "--confirm=approve", NULL);
  type = write_type (e2e, issued_template (e2e), NULL, NULL);
  {
    const char *args[] = { "enroll", "--type", type, "--all-devices", "--dc", env (e2e, "CRADLE_LAB_LDAP_URI"),
                           "--ccache", alice_ccache (e2e), NULL };

    g_assert_cmpint (cradlectl (e2e, args, &out, &err), ==, 0);
  }
  expected = g_strdup_printf ("[%s] Installed: ", first);
  g_assert_nonnull (strstr (out, expected));
  g_clear_pointer (&expected, g_free);
  expected = g_strdup_printf ("[%s] Installed: ", second);
  g_assert_nonnull (strstr (out, expected));
  g_assert_nonnull (strstr (out, "2 devices: 2 installed, 0 skipped"));

  /* One device holds its certificate, the other is not connected: some (10). */
  batch = g_strdup_printf ("%s,%s\n%s,%s\n", first, type, absent, type);
  write_file (path, batch);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    const char *args[] = { "enroll", "--batch", path, "--dc", env (e2e, "CRADLE_LAB_LDAP_URI"),
                           "--ccache", alice_ccache (e2e), NULL };

    g_assert_cmpint (cradlectl (e2e, args, &out, &err), ==, 10);
    g_clear_pointer (&expected, g_free);
    expected = g_strdup_printf ("[%s] Skipped: ", first);
    g_assert_nonnull (strstr (out, expected));
    g_clear_pointer (&expected, g_free);
    expected = g_strdup_printf ("[%s] absent (exit 6): ", absent);
    g_assert_nonnull (strstr (out, expected));
    g_assert_nonnull (strstr (out, "line 2 of the batch"));

    /* Nobody succeeds: none (11). */
    g_clear_pointer (&batch, g_free);
    batch = g_strdup_printf ("%s,%s\n", absent, type);
    write_file (path, batch);
    g_clear_pointer (&out, g_free);
    g_assert_cmpint (cradlectl (e2e, args, &out, NULL), ==, 11);

    /* A damaged file: no device asked, the line named (7). */
    g_clear_pointer (&batch, g_free);
    batch = g_strdup_printf ("%s,%s\n%s,%s,\"CN=x\n", second, type, first, type);
    write_file (path, batch);
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (cradlectl (e2e, args, NULL, &err), ==, 7);
    g_assert_nonnull (strstr (err, "Line 2 of the batch file"));

    /* A type that does not exist: not configured (4), with its line. */
    g_clear_pointer (&batch, g_free);
    batch = g_strdup_printf ("# one comment\n%s,no-such-type\n", second);
    write_file (path, batch);
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (cradlectl (e2e, args, NULL, &err), ==, 4);
    g_assert_nonnull (strstr (err, "Line 2 of"));
    g_assert_nonnull (strstr (err, "no-such-type"));
  }
  /* --at-once 0 is refused, not taken for the default: no device asked (7). */
  {
    const char *args[] = { "enroll", "--batch", path, "--at-once", "0", "--dc", env (e2e, "CRADLE_LAB_LDAP_URI"),
                           "--ccache", alice_ccache (e2e), NULL };

    g_clear_pointer (&err, g_free);
    g_assert_cmpint (cradlectl (e2e, args, NULL, &err), ==, 7);
    g_assert_nonnull (strstr (err, "--at-once takes a number of devices from 1 to 1024"));
  }
  /* Neither of the refused batches enrolled the second device again. */
  {
    g_autoptr(JsonNode) runs = journal (e2e, 0);
    g_autoptr(GPtrArray) mine = enroll_runs (runs, second);

    g_assert_cmpuint (mine->len, ==, 1);
  }
  stop_process (&first_agent, SIGTERM);
  stop_process (&second_agent, SIGTERM);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/batch-e2e/sixteen", E2e, NULL, e2e_set_up, test_batch_sixteen, e2e_tear_down);
  g_test_add ("/batch-e2e/trouble", E2e, NULL, e2e_set_up, test_batch_trouble, e2e_tear_down);
  g_test_add ("/batch-e2e/text", E2e, NULL, e2e_set_up, test_batch_text, e2e_tear_down);
  return g_test_run ();
}
