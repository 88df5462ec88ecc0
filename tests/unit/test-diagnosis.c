/* test-diagnosis.c: the diagnosis runner: hops at once, facts between
 * them, deadlines, the order of results, cancellation, JSON
 *
 * The hops here are the test's own functions (the runner's hook for its
 * tests); the real hops are tested against the lab in tests/integration.
 */
#include "config.h"

#include <json-glib/json-glib.h>

#include "support/cradle-diagnosis-private.h"

static void
hop_quiet (CradleDiagnosisRun *run,
           GCancellable       *cancellable)
{
}

static CradleDiagnosis *
new_quiet_diagnosis (guint timeout_ms)
{
  CradleDiagnosis *diagnosis = cradle_diagnosis_new ();

  cradle_diagnosis_set_timeout (diagnosis, timeout_ms);
  for (CradleHop hop = 0; hop < CRADLE_N_HOPS; hop++)
    _cradle_diagnosis_set_hop_func (diagnosis, hop, hop_quiet);
  return diagnosis;
}

/* The domain hop publishes the DC after a while; the clock hop waits. */
static void
hop_publish_late (CradleDiagnosisRun *run,
                  GCancellable       *cancellable)
{
  g_usleep (50 * G_TIME_SPAN_MILLISECOND);
  _cradle_diagnosis_run_report (run, CRADLE_HOP_DOMAIN, "dc", "Domain controller", CRADLE_CHECK_OK, 50000,
                                NULL, "dc1.example.test");
  _cradle_diagnosis_run_publish (run, CRADLE_DIAGNOSIS_FACT_DC_HOST, g_strdup ("dc1.example.test"), NULL);
}

static void
hop_wait_dc (CradleDiagnosisRun *run,
             GCancellable       *cancellable)
{
  g_autofree char *reason = NULL;
  g_autofree char *dc = _cradle_diagnosis_run_wait (run, CRADLE_DIAGNOSIS_FACT_DC_HOST, &reason);

  if (dc != NULL)
    _cradle_diagnosis_run_report (run, CRADLE_HOP_CLOCK, "dc-skew", "Clock against the DC", CRADLE_CHECK_OK,
                                  10, NULL, "asked %s", dc);
  else
    _cradle_diagnosis_run_report (run, CRADLE_HOP_CLOCK, "dc-skew", "Clock against the DC",
                                  CRADLE_CHECK_SKIPPED, 0, NULL, "skipped: %s", reason);
}

static void
count_check (CradleDiagnosis *diagnosis,
             CradleCheck     *check,
             guint           *count)
{
  g_assert_true (g_main_context_is_owner (g_main_context_get_thread_default ()));
  (*count)++;
}

static void
test_fact_passes (void)
{
  g_autoptr(CradleDiagnosis) diagnosis = new_quiet_diagnosis (2000);
  g_autoptr(GError) error = NULL;
  CradleCheck *check;
  guint signalled = 0;

  _cradle_diagnosis_set_hop_func (diagnosis, CRADLE_HOP_DOMAIN, hop_publish_late);
  _cradle_diagnosis_set_hop_func (diagnosis, CRADLE_HOP_CLOCK, hop_wait_dc);
  g_signal_connect (diagnosis, "check-finished", G_CALLBACK (count_check), &signalled);
  g_assert_true (cradle_diagnosis_run (diagnosis, NULL, &error));
  g_assert_no_error (error);

  g_assert_cmpuint (cradle_diagnosis_get_checks (diagnosis)->len, ==, 2);
  g_assert_cmpuint (signalled, ==, 2);
  /* In hop order, whatever order they ended in: the clock's came last. */
  check = cradle_diagnosis_get_checks (diagnosis)->pdata[0];
  g_assert_cmpint (cradle_check_get_hop (check), ==, CRADLE_HOP_CLOCK);
  g_assert_cmpstr (cradle_check_get_found (check), ==, "asked dc1.example.test");
  g_assert_cmpint (cradle_check_get_verdict (check), ==, CRADLE_CHECK_OK);
  check = cradle_diagnosis_get_checks (diagnosis)->pdata[1];
  g_assert_cmpint (cradle_check_get_hop (check), ==, CRADLE_HOP_DOMAIN);
  g_assert_cmpint (cradle_diagnosis_get_verdict (diagnosis), ==, CRADLE_CHECK_OK);
  g_assert_cmpint (cradle_diagnosis_get_hop_verdict (diagnosis, CRADLE_HOP_DEVICE), ==, CRADLE_CHECK_SKIPPED);
}

/* A hop that ends without publishing what it owns: the waiter learns it at
 * once, not at the deadline. */
static void
hop_forgets (CradleDiagnosisRun *run,
             GCancellable       *cancellable)
{
  _cradle_diagnosis_run_report (run, CRADLE_HOP_DOMAIN, "dns-srv", "DNS SRV records", CRADLE_CHECK_FAILED, 5,
                                NULL, "no records");
}

static void
test_unpublished_fact (void)
{
  /* A deadline long enough that waiting it out would show. */
  g_autoptr(CradleDiagnosis) diagnosis = new_quiet_diagnosis (20000);
  g_autoptr(GError) error = NULL;
  CradleCheck *clock_check;
  CradleCheck *domain_check;

  _cradle_diagnosis_set_hop_func (diagnosis, CRADLE_HOP_DOMAIN, hop_forgets);
  _cradle_diagnosis_set_hop_func (diagnosis, CRADLE_HOP_CLOCK, hop_wait_dc);
  g_assert_true (cradle_diagnosis_run (diagnosis, NULL, &error));
  /* Ended long before 3 × 20 s: the waiter did not wait for the deadline. */
  g_assert_cmpint (cradle_diagnosis_get_duration_us (diagnosis), <, 20 * G_TIME_SPAN_SECOND);

  clock_check = cradle_diagnosis_get_checks (diagnosis)->pdata[0];
  g_assert_cmpint (cradle_check_get_verdict (clock_check), ==, CRADLE_CHECK_SKIPPED);
  g_assert_cmpstr (cradle_check_get_found (clock_check), ==,
                   "skipped: the check that finds it ended without it");
  g_assert_cmpint (cradle_check_get_duration_us (clock_check), ==, 0);
  /* A failure without a cause of its own still carries an error. */
  domain_check = cradle_diagnosis_get_checks (diagnosis)->pdata[1];
  g_assert_nonnull (cradle_check_get_error (domain_check));
  g_assert_cmpint (cradle_diagnosis_get_verdict (diagnosis), ==, CRADLE_CHECK_FAILED);
  g_assert_cmpint (cradle_diagnosis_get_hop_verdict (diagnosis, CRADLE_HOP_DOMAIN), ==, CRADLE_CHECK_FAILED);
}

/* A hop stuck past the deadline: the waiter gives up at the deadline. */
static void
hop_stuck (CradleDiagnosisRun *run,
           GCancellable       *cancellable)
{
  /* Three deadlines of 100 ms pass while this sleeps. */
  g_usleep (600 * G_TIME_SPAN_MILLISECOND);
  _cradle_diagnosis_run_publish (run, CRADLE_DIAGNOSIS_FACT_DC_HOST, g_strdup ("late.example.test"), NULL);
}

static void
test_deadline (void)
{
  g_autoptr(CradleDiagnosis) diagnosis = new_quiet_diagnosis (100);
  g_autoptr(GError) error = NULL;
  CradleCheck *check;

  _cradle_diagnosis_set_hop_func (diagnosis, CRADLE_HOP_DOMAIN, hop_stuck);
  _cradle_diagnosis_set_hop_func (diagnosis, CRADLE_HOP_CLOCK, hop_wait_dc);
  g_assert_true (cradle_diagnosis_run (diagnosis, NULL, &error));
  check = cradle_diagnosis_get_checks (diagnosis)->pdata[0];
  g_assert_cmpint (cradle_check_get_verdict (check), ==, CRADLE_CHECK_SKIPPED);
  g_assert_cmpstr (cradle_check_get_found (check), ==,
                   "skipped: the check it needs did not finish in time");
}

/* Cancelled while a hop waits: it wakes, and the run says cancelled. */
static gpointer
cancel_soon (gpointer data)
{
  g_usleep (20 * G_TIME_SPAN_MILLISECOND);
  g_cancellable_cancel (data);
  return NULL;
}

static void
test_cancel (void)
{
  g_autoptr(CradleDiagnosis) diagnosis = new_quiet_diagnosis (20000);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GThread) canceller = NULL;

  /* The DC is published only after 600 ms; the clock hop waits for it. */
  _cradle_diagnosis_set_hop_func (diagnosis, CRADLE_HOP_DOMAIN, hop_stuck);
  _cradle_diagnosis_set_hop_func (diagnosis, CRADLE_HOP_CLOCK, hop_wait_dc);
  canceller = g_thread_new ("canceller", cancel_soon, cancellable);
  g_assert_false (cradle_diagnosis_run (diagnosis, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* A hop that never ends in time (whatever its own deadlines say): the run
 * ends without it, saying so, and drops what it reports later. */
static void
hop_never_ends (CradleDiagnosisRun *run,
                GCancellable       *cancellable)
{
  _cradle_diagnosis_run_report (run, CRADLE_HOP_DEVICE, "transport", "Connection", CRADLE_CHECK_OK, 10, NULL,
                                "found one");
  /* 5 × 100 ms + 5 s is when the run gives up on it. */
  g_usleep (7 * G_TIME_SPAN_SECOND);
  _cradle_diagnosis_run_report (run, CRADLE_HOP_DEVICE, "hello", "Greeting", CRADLE_CHECK_OK, 10, NULL, "late");
}

static void
test_stuck_hop (void)
{
  g_autoptr(CradleDiagnosis) diagnosis = new_quiet_diagnosis (100);
  g_autoptr(GError) error = NULL;
  GPtrArray *checks;
  CradleCheck *check;
  guint signalled = 0;

  _cradle_diagnosis_set_hop_func (diagnosis, CRADLE_HOP_DEVICE, hop_never_ends);
  g_signal_connect (diagnosis, "check-finished", G_CALLBACK (count_check), &signalled);
  g_assert_true (cradle_diagnosis_run (diagnosis, NULL, &error));
  g_assert_no_error (error);
  /* Ended while the hop still sleeps, not when it wakes. */
  g_assert_cmpint (cradle_diagnosis_get_duration_us (diagnosis), <, 7 * G_TIME_SPAN_SECOND);

  checks = cradle_diagnosis_get_checks (diagnosis);
  g_assert_cmpuint (checks->len, ==, 2);
  g_assert_cmpuint (signalled, ==, 2);
  check = checks->pdata[1];
  g_assert_cmpstr (cradle_check_get_name (check), ==, "ended");
  g_assert_cmpint (cradle_check_get_verdict (check), ==, CRADLE_CHECK_FAILED);
  g_assert_error (cradle_check_get_error (check), CRADLE_ERROR, CRADLE_ERROR_TIMED_OUT);
  g_assert_cmpint (cradle_diagnosis_get_hop_verdict (diagnosis, CRADLE_HOP_DEVICE), ==, CRADLE_CHECK_FAILED);
}

static void
hop_escaped (CradleDiagnosisRun *run,
             GCancellable       *cancellable)
{
  g_autofree char *text = cradle_text_escape ("Evil\x1b]0;owned\x07 \xe2\x80\xae" "CA", -1, CRADLE_TEXT_ESCAPE_DEFAULT);
  GError *error = NULL;

  cradle_explain_set_error (&error, CRADLE_ERROR_UNREACHABLE, CRADLE_EXPLAIN_TRANSPORT,
                            CRADLE_TRANSPORT_FAILURE_CONNECTION_REFUSED,
                            "ca1.example.test refused the connection on port 443");
  _cradle_diagnosis_run_report (run, CRADLE_HOP_CA, "tcp", "TCP connection", CRADLE_CHECK_FAILED, 1500, error,
                                "%s", text);
}

static void
test_json (void)
{
  g_autoptr(CradleDiagnosis) diagnosis = new_quiet_diagnosis (1000);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *json = NULL;
  JsonObject *root;
  JsonArray *hops;
  JsonObject *ca;
  JsonObject *check;
  JsonObject *check_error;

  cradle_diagnosis_set_type_name (diagnosis, "Lab Type");
  _cradle_diagnosis_set_hop_func (diagnosis, CRADLE_HOP_CA, hop_escaped);
  g_assert_true (cradle_diagnosis_run (diagnosis, NULL, &error));
  json = cradle_diagnosis_to_json (diagnosis);
  g_assert_null (strchr (json, '\x1b'));
  g_assert_true (json_parser_load_from_data (parser, json, -1, &error));
  g_assert_no_error (error);

  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (root, "verdict"), ==, "failed");
  g_assert_cmpstr (json_object_get_string_member (root, "type"), ==, "Lab Type");
  hops = json_object_get_array_member (root, "hops");
  g_assert_cmpuint (json_array_get_length (hops), ==, CRADLE_N_HOPS);
  ca = json_array_get_object_element (hops, CRADLE_HOP_CA);
  g_assert_cmpstr (json_object_get_string_member (ca, "hop"), ==, "ca");
  g_assert_cmpstr (json_object_get_string_member (ca, "verdict"), ==, "failed");
  check = json_array_get_object_element (json_object_get_array_member (ca, "checks"), 0);
  g_assert_cmpstr (json_object_get_string_member (check, "name"), ==, "tcp");
  g_assert_cmpfloat (json_object_get_double_member (check, "duration_ms"), ==, 1.5);
  g_assert_nonnull (strstr (json_object_get_string_member (check, "found"), "\\x1b]0;owned"));
  check_error = json_object_get_object_member (check, "error");
  g_assert_cmpstr (json_object_get_string_member (check_error, "code"), ==, "unreachable");
  g_assert_true (json_object_has_member (check_error, "explanation"));
  g_assert_true (json_object_has_member (check_error, "next_step"));
  g_assert_true (json_object_has_member (check_error, "support_step"));
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (hops, CRADLE_HOP_DEVICE),
                                                  "verdict"), ==, "skipped");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/diagnosis/fact-passes", test_fact_passes);
  g_test_add_func ("/diagnosis/unpublished-fact", test_unpublished_fact);
  g_test_add_func ("/diagnosis/deadline", test_deadline);
  g_test_add_func ("/diagnosis/cancel", test_cancel);
  g_test_add_func ("/diagnosis/json", test_json);
  g_test_add_func ("/diagnosis/stuck-hop", test_stuck_hop);
  return g_test_run ();
}
