/* test-status-e2e.c: `cradlectl status` against the lab's OCSP responder and CRLs
 *
 * A simulated device holds certificates of the lab CA: enrolled through
 * certsrv, or issued by the lab CA outside an enrollment
 * (tests/bench/issue-lab-certs.py, put on the device with install-certs).
 * The lab's responder and CRLs answer; `cradle-lab revoke` revokes.  An
 * outage is an HTTP proxy in front of cradlectl that cuts one server off
 * (block-proxy.py), and a directory address where nothing listens, so the
 * lab other suites use keeps running.
 */
#include "config.h"

#include <glib/gstdio.h>

#include "e2e-support.h"

#define OCSP_SERVER "ca1.corp.example.test:8089"
#define CRL_SERVER  "ca1.corp.example.test:80"
#define NO_DIRECTORY "ldap://127.0.0.1:1"

/* ---- helpers -------------------------------------------------------------- */

static char *
source_path (const char *first,
             ...)
{
  const char *root = g_getenv ("CRADLE_SOURCE_ROOT");
  g_autofree char *rest = NULL;
  va_list args;

  g_assert_nonnull (root);
  va_start (args, first);
  rest = g_build_filename_valist (first, &args);
  va_end (args);
  return g_build_filename (root, rest, NULL);
}

static char *
build_path (const char *name)
{
  const char *root = g_getenv ("CRADLE_BUILD_ROOT");

  g_assert_nonnull (root);
  return g_build_filename (root, "tests", "e2e", name, NULL);
}

/* Runs @argv with the test's environment plus the e2e folders; asserts it
 * exits 0 and returns what it printed. */
static char *
run (E2e                *e2e,
     const char * const *argv)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                      G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_subprocess_launcher_setenv (launcher, "CRADLE_RUNTIME_DIR", e2e->runtime, TRUE);
  g_subprocess_launcher_setenv (launcher, "CRADLE_STATE_DIR", e2e->state, TRUE);
  g_subprocess_launcher_setenv (launcher, "CRADLE_CONFIG_DIR", e2e->config, TRUE);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (process))
    g_error ("%s failed: %s%s", argv[0], out, err);
  return g_steal_pointer (&out);
}

/* @count certificates of the lab CA put on the device with the CA and
 * root; their serials returned. */
static char **
install_lab_certs (E2e      *e2e,
                   guint     count,
                   gboolean  expired)
{
  g_autofree char *script = source_path ("tests", "bench", "issue-lab-certs.py", NULL);
  g_autofree char *installer = build_path ("install-certs");
  g_autofree char *folder = g_build_filename (e2e->home, expired ? "expired" : "issued", NULL);
  g_autofree char *number = g_strdup_printf ("%u", count);
  const char *issue[] = { script, env (e2e, "CRADLE_LAB_DIR"), number, folder, expired ? "--expired" : NULL, NULL };
  g_autofree char *serials = run (e2e, issue);
  g_autoptr(GPtrArray) install = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *done = NULL;

  g_ptr_array_add (install, g_strdup (installer));
  for (guint i = 0; i < count; i++)
    g_ptr_array_add (install, g_strdup_printf ("MY:%s/leaf-%u.der", folder, i));
  g_ptr_array_add (install, g_strdup_printf ("CA:%s/issuing.der", folder));
  g_ptr_array_add (install, g_strdup_printf ("Root:%s/root.der", folder));
  g_ptr_array_add (install, NULL);
  done = run (e2e, (const char * const *) install->pdata);
  g_assert_nonnull (strstr (done, "installed"));
  return g_strsplit (g_strstrip (serials), "\n", -1);
}

static void
lab_revoke (E2e        *e2e,
        const char *serial,
        const char *reason)
{
  g_autofree char *lab = source_path ("tests", "lab", "cradle-lab", NULL);
  const char *argv[] = { lab, "revoke", serial, reason, NULL };
  g_autofree char *out = run (e2e, argv);

  g_assert_nonnull (strstr (out, "revoked"));
}

/* An HTTP proxy cutting off @first_server (and the others), set as
 * http_proxy for the cradlectl runs that follow. */
static GSubprocess *
start_block_proxy (const char *first_server,
                   ...)
{
  g_autofree char *script = source_path ("tests", "e2e", "block-proxy.py", NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) output = NULL;
  g_autofree char *line = NULL;
  g_autofree char *proxy = NULL;
  GSubprocess *process;
  va_list args;

  g_ptr_array_add (argv, script);
  va_start (args, first_server);
  for (const char *server = first_server; server != NULL; server = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) server);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_newv ((const char * const *) argv->pdata, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  line = g_data_input_stream_read_line (output, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (line, "port "));
  proxy = g_strdup_printf ("http://127.0.0.1:%s", line + 5);
  g_setenv ("http_proxy", proxy, TRUE);
  g_unsetenv ("no_proxy");
  g_unsetenv ("NO_PROXY");
  return process;
}

static void
stop_block_proxy (GSubprocess **proxy)
{
  g_unsetenv ("http_proxy");
  stop_process (proxy, SIGTERM);
}

/* `cradlectl status --json`, its exit code checked; @dc: the directory
 * ldap:/// CDPs are read through (as alice). */
static JsonNode *
status (E2e        *e2e,
        const char *dc,
        gboolean    refresh,
        int         expected_exit)
{
  const char *args[] = { "status", "--json", "--dc", dc, "--ccache", alice_ccache (e2e),
                         refresh ? "--refresh" : NULL, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int code = cradlectl (e2e, args, &out, &err);

  if (code != expected_exit)
    g_error ("cradlectl status exited %d, not %d: %s%s", code, expected_exit, out, err);
  return parse_json (out);
}

/* The status of the MY certificate with @serial (NULL: the first MY one). */
static JsonObject *
my_cert (JsonNode   *result,
         const char *serial)
{
  JsonArray *certs = json_object_get_array_member (json_node_get_object (result), "certificates");

  for (guint i = 0; i < json_array_get_length (certs); i++)
    {
      JsonObject *cert = json_array_get_object_element (certs, i);
      g_autofree char *wanted = serial != NULL ? g_ascii_strdown (serial, -1) : NULL;
      g_autofree char *have = g_ascii_strdown (json_object_get_string_member (cert, "serial"), -1);

      if (!g_str_equal (json_object_get_string_member (cert, "store"), "MY"))
        continue;
      /* cradle_certificate_get_serial() may separate bytes with colons. */
      if (wanted == NULL)
        return cert;
      {
        g_autoptr(GString) compact = g_string_new (NULL);

        for (const char *c = have; *c != '\0'; c++)
          if (*c != ':')
            g_string_append_c (compact, *c);
        while (compact->len > 1 && compact->str[0] == '0')
          g_string_erase (compact, 0, 1);
        if (g_str_equal (compact->str, wanted))
          return cert;
      }
    }
  g_error ("No MY certificate %s in the status", serial != NULL ? serial : "at all");
  return NULL;
}

static const char *
revocation (JsonObject *cert,
            const char *name)
{
  JsonObject *answer = json_object_get_object_member (cert, "revocation");

  return json_object_get_null_member (answer, name) ? NULL : json_object_get_string_member (answer, name);
}

static gint64
seconds_of (JsonObject *cert,
            const char *name)
{
  g_autoptr(GDateTime) when = g_date_time_new_from_iso8601 (json_object_get_string_member (cert, name), NULL);

  g_assert_nonnull (when);
  return g_date_time_to_unix (when);
}

/* The newest journal run (a status check) and its steps. */
static JsonNode *
newest_run (E2e *e2e)
{
  const char *args[] = { "log", "--json", "--limit", "1", NULL };
  g_autofree char *out = NULL;

  g_assert_cmpint (cradlectl (e2e, args, &out, NULL), ==, 0);
  return parse_json (out);
}

static JsonObject *
run_object (JsonNode *runs)
{
  g_assert_cmpuint (json_array_get_length (json_node_get_array (runs)), ==, 1);
  return json_array_get_object_element (json_node_get_array (runs), 0);
}

/* The step of @run whose text holds @words; its outcome. */
static const char *
step_outcome (JsonObject *run,
              const char *name,
              const char *words)
{
  JsonArray *steps = json_object_get_array_member (run, "steps");

  for (guint i = 0; i < json_array_get_length (steps); i++)
    {
      JsonObject *step = json_array_get_object_element (steps, i);

      if (g_str_equal (json_object_get_string_member (step, "step"), name) &&
          strstr (json_object_get_string_member (step, "text"), words) != NULL)
        return json_object_get_string_member (step, "outcome");
    }
  g_error ("No %s step about %s in the journal", name, words);
  return NULL;
}

/* ---- the cases ---------------------------------------------------------------- */

/* Enrolled: valid through OCSP, as its template says when to renew; the
 * answer kept; revoked through OCSP once the CA revokes it. */
static void
test_ocsp (E2e           *e2e,
           gconstpointer  data)
{
  g_autofree char *type = NULL;
  g_autoptr(JsonNode) result = NULL;
  g_autoptr(JsonNode) first = NULL;
  g_autoptr(JsonNode) kept = NULL;
  g_autoptr(JsonNode) after = NULL;
  g_autoptr(JsonNode) runs = NULL;
  JsonObject *cert;
  g_autofree char *serial = NULL;

  if (skipped (e2e))
    return;
  start_agent (e2e, "--confirm=approve", NULL);
  type = write_type (e2e, "CradleDeviceUPN", NULL, NULL);
  result = enroll (e2e, type, 0);
  assert_installed (e2e, result);

  first = status (e2e, env (e2e, "CRADLE_LAB_LDAP_URI"), FALSE, 0);
  cert = my_cert (first, NULL);
  serial = g_strdup (json_object_get_string_member (cert, "serial"));
  g_assert_cmpstr (json_object_get_string_member (cert, "verdict"), ==, "valid");
  g_assert_cmpstr (revocation (cert, "state"), ==, "good");
  g_assert_cmpstr (revocation (cert, "method"), ==, "ocsp");
  g_assert_false (json_object_get_boolean_member (json_object_get_object_member (cert, "revocation"), "cached"));
  g_assert_cmpstr (json_object_get_string_member (cert, "type"), ==, type);
  g_assert_cmpstr (json_object_get_string_member (cert, "type_origin"), ==, "installed");
  /* A year with the template's six weeks: its window opens six weeks before the end. */
  g_assert_nonnull (strstr (json_object_get_string_member (cert, "renewal_rule"), "6 weeks"));
  g_assert_cmpint (seconds_of (cert, "renew_at"), ==, seconds_of (cert, "not_after") - 42 * 86400);

  /* Asked again: the kept answer, verified again. */
  kept = status (e2e, env (e2e, "CRADLE_LAB_LDAP_URI"), FALSE, 0);
  cert = my_cert (kept, serial);
  g_assert_cmpstr (revocation (cert, "state"), ==, "good");
  g_assert_true (json_object_get_boolean_member (json_object_get_object_member (cert, "revocation"), "cached"));

  lab_revoke (e2e, serial, "keyCompromise");
  after = status (e2e, env (e2e, "CRADLE_LAB_LDAP_URI"), TRUE, 8);
  cert = my_cert (after, serial);
  g_assert_cmpstr (json_object_get_string_member (cert, "verdict"), ==, "revoked");
  g_assert_cmpstr (revocation (cert, "state"), ==, "revoked");
  g_assert_cmpstr (revocation (cert, "method"), ==, "ocsp");
  g_assert_cmpstr (revocation (cert, "reason"), ==, "keyCompromise");
  g_assert_nonnull (revocation (cert, "revoked_at"));

  /* The check is a run of the journal, its OCSP question a step. */
  runs = newest_run (e2e);
  g_assert_cmpstr (json_object_get_string_member (run_object (runs), "kind"), ==, "check");
  g_assert_cmpstr (json_object_get_string_member (run_object (runs), "outcome"), ==, "revoked");
  g_assert_cmpstr (step_outcome (run_object (runs), "ocsp", "ocsp"), ==, "revoked");
}

/* OCSP cut off: the CRL from the directory (ldap:///, first in the CDP). */
static void
test_crl_ldap (E2e           *e2e,
               gconstpointer  data)
{
  g_auto(GStrv) serials = NULL;
  g_autoptr(GSubprocess) proxy = NULL;
  g_autoptr(JsonNode) result = NULL;
  g_autoptr(JsonNode) runs = NULL;
  JsonObject *cert;

  if (skipped (e2e))
    return;
  start_agent (e2e, "--confirm=approve", NULL);
  serials = install_lab_certs (e2e, 2, FALSE);
  lab_revoke (e2e, serials[0], "superseded");
  proxy = start_block_proxy (OCSP_SERVER, NULL);
  result = status (e2e, env (e2e, "CRADLE_LAB_LDAP_URI"), FALSE, 8);
  stop_block_proxy (&proxy);

  cert = my_cert (result, serials[0]);
  g_assert_cmpstr (json_object_get_string_member (cert, "verdict"), ==, "revoked");
  g_assert_cmpstr (revocation (cert, "method"), ==, "crl");
  g_assert_cmpstr (revocation (cert, "reason"), ==, "superseded");
  cert = my_cert (result, serials[1]);
  g_assert_cmpstr (json_object_get_string_member (cert, "verdict"), ==, "valid");
  g_assert_cmpstr (revocation (cert, "method"), ==, "crl");

  runs = newest_run (e2e);
  g_assert_cmpstr (step_outcome (run_object (runs), "ocsp", "ocsp"), ==, "failed");
  g_assert_cmpstr (step_outcome (run_object (runs), "crl", "ldap:///"), ==, "revoked");
}

/* OCSP cut off and no directory: the CRL over HTTP. */
static void
test_crl_http (E2e           *e2e,
               gconstpointer  data)
{
  g_auto(GStrv) serials = NULL;
  g_autoptr(GSubprocess) proxy = NULL;
  g_autoptr(JsonNode) result = NULL;
  g_autoptr(JsonNode) runs = NULL;
  JsonObject *cert;

  if (skipped (e2e))
    return;
  start_agent (e2e, "--confirm=approve", NULL);
  serials = install_lab_certs (e2e, 1, FALSE);
  lab_revoke (e2e, serials[0], "cessationOfOperation");
  proxy = start_block_proxy (OCSP_SERVER, NULL);
  result = status (e2e, NO_DIRECTORY, FALSE, 8);
  stop_block_proxy (&proxy);

  cert = my_cert (result, serials[0]);
  g_assert_cmpstr (json_object_get_string_member (cert, "verdict"), ==, "revoked");
  g_assert_cmpstr (revocation (cert, "method"), ==, "crl");
  g_assert_cmpstr (revocation (cert, "reason"), ==, "cessationOfOperation");

  runs = newest_run (e2e);
  g_assert_cmpstr (step_outcome (run_object (runs), "crl", "ldap:///"), ==, "failed");
  g_assert_cmpstr (step_outcome (run_object (runs), "crl", "http://"), ==, "revoked");
}

/* Nothing answers: unknown, with every reason; never good. */
static void
test_unreachable (E2e           *e2e,
                  gconstpointer  data)
{
  g_auto(GStrv) serials = NULL;
  g_autoptr(GSubprocess) proxy = NULL;
  g_autoptr(JsonNode) result = NULL;
  JsonObject *cert;
  const char *detail;

  if (skipped (e2e))
    return;
  start_agent (e2e, "--confirm=approve", NULL);
  serials = install_lab_certs (e2e, 1, FALSE);
  proxy = start_block_proxy (OCSP_SERVER, CRL_SERVER, NULL);
  result = status (e2e, NO_DIRECTORY, FALSE, 9);
  stop_block_proxy (&proxy);

  cert = my_cert (result, serials[0]);
  g_assert_cmpstr (json_object_get_string_member (cert, "verdict"), ==, "unknown");
  g_assert_cmpstr (revocation (cert, "state"), ==, "unknown");
  detail = revocation (cert, "detail");
  g_assert_nonnull (strstr (detail, "the OCSP responder at http://ca1.corp.example.test:8089/ocsp"));
  g_assert_nonnull (strstr (detail, "the CRL at ldap:///"));
  g_assert_nonnull (strstr (detail, "the CRL at http://ca1.corp.example.test/CertEnroll/"));
}

/* Issued by the lab CA two days ago for an hour. */
static void
test_expired (E2e           *e2e,
              gconstpointer  data)
{
  g_auto(GStrv) serials = NULL;
  g_autoptr(JsonNode) result = NULL;
  JsonObject *cert;

  if (skipped (e2e))
    return;
  start_agent (e2e, "--confirm=approve", NULL);
  serials = install_lab_certs (e2e, 1, TRUE);
  result = status (e2e, env (e2e, "CRADLE_LAB_LDAP_URI"), FALSE, 8);
  cert = my_cert (result, serials[0]);
  g_assert_cmpstr (json_object_get_string_member (cert, "verdict"), ==, "expired");
  g_assert_cmpstr (revocation (cert, "state"), ==, "not-checked");
  g_assert_cmpint (seconds_of (cert, "not_after"), <, g_get_real_time () / G_USEC_PER_SEC);
}

/* The lab's template valid a minute with a minute's renewal period: due
 * as soon as it is issued, expired a minute later (no revocation asked). */
static void
test_expires_soon (E2e           *e2e,
                   gconstpointer  data)
{
  g_autofree char *type = NULL;
  g_autoptr(JsonNode) result = NULL;
  g_autoptr(JsonNode) due = NULL;
  g_autoptr(JsonNode) gone = NULL;
  g_autofree char *serial = NULL;
  JsonObject *cert;
  gint64 not_after;

  if (skipped (e2e))
    return;
  start_agent (e2e, "--confirm=approve", NULL);
  type = write_type (e2e, "CradleExpiresSoon", NULL, NULL);
  result = enroll (e2e, type, 0);
  assert_installed (e2e, result);
  due = status (e2e, env (e2e, "CRADLE_LAB_LDAP_URI"), FALSE, 8);
  cert = my_cert (due, NULL);
  serial = g_strdup (json_object_get_string_member (cert, "serial"));
  not_after = seconds_of (cert, "not_after");
  g_assert_cmpstr (json_object_get_string_member (cert, "verdict"), ==, "renew-soon");
  g_assert_cmpint (seconds_of (cert, "renew_at"), ==, not_after - 60);
  g_assert_cmpstr (revocation (cert, "state"), ==, "good");

  /* A second past its end (the lab's clock is this one). */
  while (g_get_real_time () / G_USEC_PER_SEC <= not_after)
    g_usleep (G_USEC_PER_SEC / 2);
  g_usleep (G_USEC_PER_SEC);
  gone = status (e2e, env (e2e, "CRADLE_LAB_LDAP_URI"), FALSE, 8);
  cert = my_cert (gone, serial);
  g_assert_cmpstr (json_object_get_string_member (cert, "verdict"), ==, "expired");
  g_assert_cmpstr (revocation (cert, "state"), ==, "not-checked");
}

/* The short-lived template: ten minutes (and ten backdated), a renewal
 * period of four: the window opens at max (80% of the life, four minutes
 * before the end), from the template the kept catalog describes. */
static void
test_short_lived (E2e           *e2e,
                  gconstpointer  data)
{
  g_autofree char *type = NULL;
  g_autoptr(JsonNode) result = NULL;
  g_autoptr(JsonNode) first = NULL;
  JsonObject *cert;
  gint64 not_before, not_after;

  if (skipped (e2e))
    return;
  start_agent (e2e, "--confirm=approve", NULL);
  type = write_type (e2e, "CradleShortLived", NULL, NULL);
  result = enroll (e2e, type, 0);
  assert_installed (e2e, result);
  first = status (e2e, env (e2e, "CRADLE_LAB_LDAP_URI"), FALSE, 0);
  cert = my_cert (first, NULL);
  not_before = seconds_of (cert, "not_before");
  not_after = seconds_of (cert, "not_after");
  g_assert_cmpint (not_after - not_before, <=, 20 * 60);
  g_assert_cmpint (seconds_of (cert, "renew_at"), ==,
                   MAX (not_before + (not_after - not_before) * 4 / 5, not_after - 4 * 60));
  g_assert_nonnull (strstr (json_object_get_string_member (cert, "renewal_rule"), "4 min"));
  g_assert_cmpstr (json_object_get_string_member (cert, "verdict"), ==, "valid");
  g_assert_cmpstr (revocation (cert, "state"), ==, "good");
}

#define ADD(name, func) \
  g_test_add ("/status-e2e/" name, E2e, NULL, e2e_set_up, func, e2e_tear_down)

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  ADD ("ocsp", test_ocsp);
  ADD ("crl-ldap", test_crl_ldap);
  ADD ("crl-http", test_crl_http);
  ADD ("unreachable", test_unreachable);
  ADD ("expired", test_expired);
  ADD ("expires-soon", test_expires_soon);
  ADD ("short-lived", test_short_lived);
  return g_test_run ();
}
