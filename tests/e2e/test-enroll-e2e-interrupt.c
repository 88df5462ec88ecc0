/* test-enroll-e2e-interrupt.c: `cradlectl enroll | retrieve` stopped part way
 *
 * Against the lab with a simulated device, for certsrv: two `retrieve`s of
 * one request at once; Ctrl-C while the CA holds the request, and while the
 * directory does not answer; a device that declines at once, again and
 * again, while the trust store is still being built.  Nothing is lost, the
 * exit codes are the contract's, and no process ends by a signal.
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "e2e-support.h"

static const Connector certsrv = { "certsrv" };

/* Whether @process ends within @seconds (it is left running if not). */
static gboolean
exits_within (GSubprocess *process,
              guint        seconds)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;

  while (g_subprocess_get_identifier (process) != NULL && g_get_monotonic_time () < deadline)
    g_usleep (100 * 1000);
  return g_subprocess_get_identifier (process) == NULL;
}

/* How many requests the lab CA holds for the key of its request @ca_id:
 * each time Cradle sent that request counts. */
static guint
ca_requests_for_key_of (const char *ca_id)
{
  g_autofree char *db = g_build_filename (g_getenv ("CRADLE_LAB_DIR"), "ca", "requests.sqlite", NULL);
  const char *script =
    "import sqlite3, sys\n"
    "db = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True)\n"
    "print(db.execute('SELECT count(*) FROM requests WHERE spki_sha256 = "
    "(SELECT spki_sha256 FROM requests WHERE id = ?)', (int(sys.argv[2]),)).fetchone()[0])\n";
  const char *argv[] = { "/usr/bin/python3", "-c", script, db, ca_id, NULL };
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  guint64 count = 0;
  int status = 0;

  g_assert_nonnull (ca_id);
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_strstrip (out);
  g_assert_true (g_ascii_string_to_unsigned (out, 10, 0, G_MAXUINT, &count, NULL));
  return (guint) count;
}

/* Two `cradlectl retrieve N` at once: the second says another program is
 * working on the request (exit 7) at once, without sending it; the CA gets
 * it once. The CA front-end is stopped (SIGSTOP) while the first one sends,
 * so the two overlap. */
static void
test_two_retrieves (E2e           *e2e,
                    gconstpointer  data)
{
  g_autofree char *type = NULL;
  g_autoptr(JsonNode) interrupted = NULL;
  g_autoptr(JsonNode) first_result = NULL;
  g_autoptr(JsonNode) second_result = NULL;
  g_autoptr(GSubprocess) first = NULL;
  g_autoptr(GSubprocess) second = NULL;
  g_autofree char *first_out = NULL;
  g_autofree char *second_out = NULL;
  g_autofree char *second_err = NULL;
  gboolean reached, second_ended;
  int first_status, second_status;
  guint port;
  gint64 id;

  if (skipped (e2e))
    return;
  interrupted = enroll_with_ca_down (e2e, &type, &port);
  id = int_member (interrupted, "request");
  g_assert_cmpint (id, >, 0);

  /* Back on the same port, but holding every connection. */
  e2e->forward_port = port;
  start_forwarder (e2e, ca_port (e2e));
  g_subprocess_send_signal (e2e->forwarder, SIGSTOP);
  first = spawn_retrieve (e2e, id);
  reached = wait_for_step (e2e, first, "submit");
  if (!reached)
    {
      g_subprocess_send_signal (e2e->forwarder, SIGCONT);
      g_assert_true (reached);
    }
  second = spawn_retrieve (e2e, id);
  second_ended = exits_within (second, 20);
  g_subprocess_send_signal (e2e->forwarder, SIGCONT);
  second_status = finish_cradlectl (second, &second_out, &second_err);
  first_status = finish_cradlectl (first, &first_out, NULL);

  g_assert_true (second_ended);
  g_assert_cmpint (first_status, ==, 0);
  first_result = parse_json (first_out);
  assert_installed (e2e, first_result);
  g_assert_cmpint (second_status, ==, 7);
  second_result = parse_json (second_out);
  g_assert_cmpstr (error_code (second_result), ==, "busy");
  g_assert_nonnull (strstr (second_err, "Another Cradle program"));
  g_assert_cmpuint (ca_requests_for_key_of (member (first_result, "ca_request_id")), ==, 1);
}

/* Interrupts @process (SIGINT, Ctrl-C) once it sends to the held CA; says
 * whether it ended within the requirement's 10 seconds, and its exit. */
static gboolean
interrupt_at_submit (E2e          *e2e,
                     GSubprocess  *process,
                     int          *status,
                     char        **out)
{
  gint64 interrupted;
  gboolean ended;

  if (!wait_for_step (e2e, process, "submit"))
    return FALSE;
  interrupted = g_get_monotonic_time ();
  g_subprocess_send_signal (process, SIGINT);
  ended = exits_within (process, 20) && g_get_monotonic_time () - interrupted < 10 * G_USEC_PER_SEC;
  if (!ended)
    g_printerr ("cradlectl still ran %d s after SIGINT\n",
                (int) ((g_get_monotonic_time () - interrupted) / G_USEC_PER_SEC));
  g_subprocess_send_signal (e2e->forwarder, SIGCONT);
  *status = finish_cradlectl (process, out, NULL);
  g_subprocess_send_signal (e2e->forwarder, SIGSTOP);
  return ended;
}

/* Ctrl-C while the CA holds the request, in enroll and in retrieve: each
 * ends within 10 seconds as cancelled (exit 7), the request kept, and a
 * later retrieve finishes it. */
static void
test_interrupted_at_ca (E2e           *e2e,
                        gconstpointer  data)
{
  g_autofree char *url = NULL;
  g_autofree char *type = NULL;
  g_autofree char *out = NULL;
  g_autofree char *retrieve_out = NULL;
  g_autoptr(JsonNode) result = NULL;
  g_autoptr(JsonNode) retrieved = NULL;
  g_autoptr(JsonNode) stored = NULL;
  g_autoptr(JsonNode) done = NULL;
  g_autoptr(GSubprocess) enrolling = NULL;
  g_autoptr(GSubprocess) retrieving = NULL;
  int status = -1, retrieve_status = -1;
  gboolean ended;
  gint64 id;

  if (skipped (e2e))
    return;
  start_agent (e2e, "--confirm=approve", NULL);
  start_forwarder (e2e, ca_port (e2e));
  g_subprocess_send_signal (e2e->forwarder, SIGSTOP);
  url = through_forwarder (e2e, env (e2e, ca_url_name (e2e)));
  type = write_type (e2e, issued_template (e2e), url, NULL);

  enrolling = spawn_enroll (e2e, type, NULL);
  ended = interrupt_at_submit (e2e, enrolling, &status, &out);
  g_assert_true (ended);
  g_assert_cmpint (status, ==, 7);
  result = parse_json (out);
  g_assert_cmpstr (member (result, "outcome"), ==, "cancelled");
  id = int_member (result, "request");
  stored = stored_request (e2e, id);
  g_assert_cmpstr (member (stored, "status"), ==, "submitting");

  retrieving = spawn_retrieve (e2e, id);
  ended = interrupt_at_submit (e2e, retrieving, &retrieve_status, &retrieve_out);
  g_assert_true (ended);
  g_assert_cmpint (retrieve_status, ==, 7);
  retrieved = parse_json (retrieve_out);
  g_assert_cmpstr (member (retrieved, "outcome"), ==, "cancelled");

  g_subprocess_send_signal (e2e->forwarder, SIGCONT);
  done = retrieve (e2e, id, 0);
  assert_installed (e2e, done);
}

/* Ctrl-C while the directory does not answer: an enrollment that started
 * from the kept catalog waits for the directory's fresh answer before the
 * device signs; the domain controller stops answering (its forwarder is
 * stopped), and cradlectl still ends within 10 s of SIGINT, cancelled,
 * instead of at libldap's timeouts. */
static void
test_interrupted_at_directory (E2e           *e2e,
                               gconstpointer  data)
{
  const char *args[] = { "enroll", "--type", NULL, "--json", "--dc", NULL, "--ccache", NULL, NULL };
  g_autofree char *type = NULL;
  g_autofree char *dc = NULL;
  g_autofree char *out = NULL;
  g_autofree char *again_out = NULL;
  g_autoptr(JsonNode) result = NULL;
  g_autoptr(GSubprocess) enrolling = NULL;
  gint64 interrupted;
  gboolean ended;

  if (skipped (e2e))
    return;
  start_agent (e2e, "--confirm=approve", NULL);
  start_forwarder (e2e, 389);
  dc = through_forwarder (e2e, env (e2e, "CRADLE_LAB_LDAP_URI"));
  type = write_type (e2e, issued_template (e2e), NULL, NULL);
  args[2] = type;
  args[5] = dc;
  args[7] = alice_ccache (e2e);
  /* The first enrollment keeps the catalog for this directory. */
  g_assert_cmpint (cradlectl (e2e, args, &out, NULL), ==, 0);

  g_subprocess_send_signal (e2e->forwarder, SIGSTOP);
  enrolling = spawn_cradlectl (e2e, args);
  /* The device makes its key at once; the run then waits for the directory. */
  g_usleep (3 * G_USEC_PER_SEC);
  g_assert_nonnull (g_subprocess_get_identifier (enrolling));
  interrupted = g_get_monotonic_time ();
  g_subprocess_send_signal (enrolling, SIGINT);
  ended = exits_within (enrolling, 10);
  g_test_message ("cradlectl ended %.1f s after SIGINT",
                  (g_get_monotonic_time () - interrupted) / (double) G_USEC_PER_SEC);
  g_subprocess_send_signal (e2e->forwarder, SIGCONT);
  if (!ended)
    g_subprocess_force_exit (enrolling);
  g_assert_true (ended);
  g_assert_cmpint (finish_cradlectl (enrolling, &again_out, NULL), ==, 7);
  result = parse_json (again_out);
  g_assert_cmpstr (member (result, "outcome"), ==, "cancelled");
}

/* The device declines at once, again and again: cradlectl exits with the
 * contract's code (5, declined) every time, never by a signal, while the
 * thread that loads the TLS trust store may still be running (it crashed
 * at exit in about half the runs, 139 or a glibc "double free"). */
static void
test_exit_after_quick_failure (E2e           *e2e,
                               gconstpointer  data)
{
  g_autofree char *type = NULL;

  g_autofree char *root = NULL;
  g_autoptr(GString) anchors = NULL;

  if (skipped (e2e))
    return;
  /* A large anchors file (the lab's root, then many more certificates)
   * keeps the trust store's build running while cradlectl exits. */
  g_assert_true (g_file_get_contents (e2e->anchors, &root, NULL, NULL));
  anchors = g_string_new (root);
  for (guint i = 0; i < 400; i++)
    g_string_append (anchors, root);
  g_free (e2e->anchors);
  e2e->anchors = g_build_filename (e2e->config, "many-anchors.pem", NULL);
  write_file (e2e->anchors, anchors->str);
  start_agent (e2e, "--confirm=decline", NULL);
  type = write_type (e2e, issued_template (e2e), NULL, NULL);
  for (guint i = 0; i < 16; i++)
    {
      g_autoptr(GSubprocess) process = spawn_enroll (e2e, type, NULL);
      g_autoptr(GError) error = NULL;
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;

      g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
      g_assert_no_error (error);
      g_subprocess_wait (process, NULL, &error);
      g_assert_no_error (error);
      if (!g_subprocess_get_if_exited (process))
        g_error ("run %u: cradlectl was killed by signal %d: %s", i, g_subprocess_get_term_sig (process), err);
      g_assert_null (strstr (err, "double free"));
      g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 5);
    }
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add ("/enroll-e2e/certsrv/two-retrieves", E2e, &certsrv, e2e_set_up, test_two_retrieves, e2e_tear_down);
  g_test_add ("/enroll-e2e/certsrv/interrupted-at-directory", E2e, &certsrv, e2e_set_up, test_interrupted_at_directory, e2e_tear_down);
  g_test_add ("/enroll-e2e/certsrv/interrupted-at-ca", E2e, &certsrv, e2e_set_up, test_interrupted_at_ca, e2e_tear_down);
  g_test_add ("/enroll-e2e/certsrv/exit-after-quick-failure", E2e, &certsrv, e2e_set_up, test_exit_after_quick_failure, e2e_tear_down);

  status = g_test_run ();
  cradle_test_lab_cleanup ();
  return status;
}
