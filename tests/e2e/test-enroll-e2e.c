/* test-enroll-e2e.c: `cradlectl enroll | pending | retrieve | log` end to end
 *
 * Against the lab, with a simulated device (a listening cradle-agent in a
 * runtime folder of the test's own), for each connector: issued; pending
 * then approved; denied; declined on the device; the device unplugged in
 * the middle and cradled again; the CA stopped in the middle.  Each case
 * has its own state, configuration and device, so the cases and the other
 * suites run side by side.  "The CA stopped" is a forwarder in front of
 * the lab CA (tests/e2e/tcp-forward.py) that the test kills and starts
 * again on the same port, so the lab CA keeps serving the other suites.
 * Ctrl-C, two programs at once and exits under way are in
 * test-enroll-e2e-interrupt.c.
 *
 * Run one connector's cases with -p /enroll-e2e/certsrv (meson does).
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "e2e-support.h"

static const Connector connectors[] = {
  { "certsrv" }, { "wstep" }, { "scep" }, { "est" },
};

/* ---- the cases -------------------------------------------------------------- */

static void
test_issued (E2e           *e2e,
             gconstpointer  data)
{
  g_autofree char *type = NULL;
  g_autoptr(JsonNode) result = NULL;
  g_autoptr(JsonNode) runs = NULL;
  JsonArray *steps;
  const char *expected[] = { "device", "session", "type", "generate-key", "sign", "submit", "chain", "install" };

  if (skipped (e2e))
    return;
  start_agent (e2e, "--confirm=approve", NULL);
  type = write_type (e2e, issued_template (e2e), NULL, NULL);
  result = enroll (e2e, type, 0);
  assert_installed (e2e, result);
  g_assert_cmpstr (member (result, "device"), ==, e2e->serial);
  assert_no_challenge_on_disk (e2e);

  /* Every step is in the journal, in order, each ended well. */
  runs = journal (e2e, int_member (result, "request"));
  g_assert_cmpuint (json_array_get_length (json_node_get_array (runs)), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (json_node_get_array (runs), 0),
                                                  "outcome"), ==, "installed");
  steps = json_object_get_array_member (json_array_get_object_element (json_node_get_array (runs), 0), "steps");
  g_assert_cmpuint (json_array_get_length (steps), ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      JsonObject *step = json_array_get_object_element (steps, i);

      g_assert_cmpstr (json_object_get_string_member (step, "step"), ==, expected[i]);
      g_assert_cmpstr (json_object_get_string_member (step, "outcome"), ==, "ok");
      g_assert_cmpint (json_object_get_int_member (step, "duration_ms"), >=, 0);
    }
  {
    g_autoptr(JsonNode) stored = stored_request (e2e, int_member (result, "request"));

    g_assert_cmpstr (member (stored, "status"), ==, "installed");
    g_assert_cmpstr (member (stored, "connector"), ==, e2e->protocol);
  }
}

/* The step names of a request's newest run, in order. */
static char *
step_names (E2e    *e2e,
            gint64  request)
{
  g_autoptr(JsonNode) runs = journal (e2e, request);
  JsonArray *array = json_node_get_array (runs);
  JsonArray *steps = json_object_get_array_member (json_array_get_object_element (array, 0), "steps");
  g_autoptr(GString) names = g_string_new (NULL);

  for (guint i = 0; i < json_array_get_length (steps); i++)
    {
      JsonObject *step = json_array_get_object_element (steps, i);

      g_assert_cmpstr (json_object_get_string_member (step, "outcome"), ==, "ok");
      g_string_append_printf (names, "%s%s", i > 0 ? " " : "", json_object_get_string_member (step, "step"));
    }
  return g_string_free (g_steal_pointer (&names), FALSE);
}

/* The kept catalog's file(s) in the state folder. */
static GPtrArray *
kept_catalogs (E2e *e2e)
{
  g_autofree char *folder = g_build_filename (e2e->state, "catalogs", NULL);
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (files, g_build_filename (folder, name, NULL));
  return files;
}

/* The second enrollment starts from the catalog the first kept: the device
 * makes the key while the directory is read again, and the request is
 * checked against it before the device signs. A damaged kept catalog is
 * ignored and replaced. */
static void
test_kept_catalog (E2e           *e2e,
                   gconstpointer  data)
{
  g_autofree char *type = NULL;
  g_autoptr(JsonNode) first = NULL;
  g_autoptr(JsonNode) second = NULL;
  g_autoptr(JsonNode) third = NULL;
  g_autofree char *first_steps = NULL;
  g_autofree char *second_steps = NULL;
  g_autofree char *third_steps = NULL;
  g_autoptr(GPtrArray) files = NULL;
  g_autoptr(GError) error = NULL;

  if (skipped (e2e))
    return;
  start_agent (e2e, "--confirm=approve", NULL);
  type = write_type (e2e, issued_template (e2e), NULL, NULL);
  first = enroll (e2e, type, 0);
  assert_installed (e2e, first);
  first_steps = step_names (e2e, int_member (first, "request"));
  g_assert_cmpstr (first_steps, ==, "device session type generate-key sign submit chain install");
  files = kept_catalogs (e2e);
  g_assert_cmpuint (files->len, ==, 1);

  second = enroll (e2e, type, 0);
  assert_installed (e2e, second);
  second_steps = step_names (e2e, int_member (second, "request"));
  g_assert_cmpstr (second_steps, ==, "device session type generate-key type sign submit chain install");

  write_file (g_ptr_array_index (files, 0), "not a catalog");
  third = enroll (e2e, type, 0);
  assert_installed (e2e, third);
  third_steps = step_names (e2e, int_member (third, "request"));
  g_assert_cmpstr (third_steps, ==, first_steps);
  {
    g_autofree char *rewritten = NULL;

    g_file_get_contents (g_ptr_array_index (files, 0), &rewritten, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (rewritten, !=, "not a catalog");
  }
}

/* The directory's template, whose CA's web service takes Kerberos:
 * MS-WSTEP is chosen without any type file. */
static void
test_template_chooses_wstep (E2e           *e2e,
                             gconstpointer  data)
{
  const char *args[] = { "enroll", "--template", "CradleDeviceUPN", "--json", "--dc", NULL, "--ccache", NULL, NULL };
  g_autofree char *out = NULL;
  g_autoptr(JsonNode) result = NULL;
  g_autoptr(JsonNode) stored = NULL;

  if (skipped (e2e))
    return;
  args[5] = env (e2e, "CRADLE_LAB_LDAP_URI");
  args[7] = alice_ccache (e2e);
  start_agent (e2e, "--confirm=approve", NULL);
  g_assert_cmpint (cradlectl (e2e, args, &out, NULL), ==, 0);
  result = parse_json (out);
  assert_installed (e2e, result);
  stored = stored_request (e2e, int_member (result, "request"));
  g_assert_cmpstr (member (stored, "connector"), ==, "wstep");
  g_assert_cmpstr (member (stored, "endpoint"), ==, env (e2e, "CRADLE_LAB_CES_KERBEROS_URL"));
}

/* Signed in with a password: the CA's web service for passwords, and the
 * password in no file Cradle writes. */
static void
test_password_sign_in (E2e           *e2e,
                       gconstpointer  data)
{
  g_autofree char *password_file = NULL;
  g_autofree char *password_line = NULL;
  g_autofree char *out = NULL;
  g_autoptr(JsonNode) result = NULL;
  g_autoptr(JsonNode) stored = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *password;
  const char *name;
  const char *args[] = { "enroll", "--template", "CradleDeviceUPN", "--json", "--dc", NULL, "--user", "alice",
                         "--password-file", NULL, NULL };

  if (skipped (e2e))
    return;
  password = env (e2e, "CRADLE_LAB_ALICE_PASSWORD");
  password_file = g_build_filename (e2e->home, "password", NULL);
  password_line = g_strconcat (password, "\n", NULL);
  write_file (password_file, password_line);
  args[5] = env (e2e, "CRADLE_LAB_LDAP_URI");
  args[9] = password_file;
  start_agent (e2e, "--confirm=approve", NULL);
  g_assert_cmpint (cradlectl (e2e, args, &out, NULL), ==, 0);
  g_assert_null (strstr (out, password));
  result = parse_json (out);
  assert_installed (e2e, result);
  stored = stored_request (e2e, int_member (result, "request"));
  g_assert_cmpstr (member (stored, "endpoint"), ==, env (e2e, "CRADLE_LAB_CES_PASSWORD_URL"));

  dir = g_dir_open (e2e->state, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (e2e->state, name, NULL);
      g_autofree char *content = NULL;
      gsize size = 0;

      if (g_file_get_contents (path, &content, &size, NULL))
        g_assert_null (memmem (content, size, password, strlen (password)));
    }
}

static void
test_pending_then_approved (E2e           *e2e,
                            gconstpointer  data)
{
  g_autofree char *type = NULL;
  g_autofree char *ca_id = NULL;
  g_autoptr(JsonNode) pending = NULL;
  g_autoptr(JsonNode) still = NULL;
  g_autoptr(JsonNode) done = NULL;
  g_autoptr(JsonNode) stored = NULL;
  gint64 id;

  if (skipped (e2e))
    return;
  start_agent (e2e, "--confirm=approve", NULL);
  type = write_type (e2e, "CradleDeviceApproval", NULL, NULL);
  pending = enroll_as (e2e, type, approval_ccache (e2e), 1);
  g_assert_cmpstr (member (pending, "outcome"), ==, "pending");
  id = int_member (pending, "request");
  g_assert_cmpint (id, >, 0);
  g_assert_nonnull (member (pending, "next_attempt"));
  stored = stored_request (e2e, id);
  g_assert_cmpstr (member (stored, "status"), ==, "pending");

  /* Asked again before the officer decides: still pending. */
  still = retrieve_as (e2e, id, approval_ccache (e2e), 1);
  g_assert_cmpstr (member (still, "outcome"), ==, "pending");

  ca_id = officer_id_for (e2e, pending);
  officer ("approve", ca_id);
  done = retrieve_as (e2e, id, approval_ccache (e2e), 0);
  assert_installed (e2e, done);
}

/* The officer denies: exit 2, the CA's code, the abandoned key deleted. */
static void
test_denied (E2e           *e2e,
             gconstpointer  data)
{
  g_autofree char *type = NULL;
  g_autoptr(JsonNode) result = NULL;
  g_autoptr(JsonNode) stored = NULL;
  g_autoptr(JsonNode) runs = NULL;
  JsonObject *denial;
  JsonObject *deleted;
  gint64 id;

  if (skipped (e2e))
    return;
  start_agent (e2e, "--confirm=approve", NULL);
  if (g_str_equal (e2e->protocol, "scep"))
    {
      /* micromdm never pends; it refuses a wrong challenge (failInfo badRequest). */
      type = write_type (e2e, "scep", NULL, "not-the-challenge\n");
      result = enroll (e2e, type, 2);
      denial = json_object_get_object_member (json_node_get_object (result), "denial");
      g_assert_cmpint (json_object_get_int_member (denial, "code"), ==, 2);
    }
  else
    {
      g_autoptr(JsonNode) pending = NULL;
      g_autofree char *ca_id = NULL;

      type = write_type (e2e, "CradleDeviceApproval", NULL, NULL);
      pending = enroll_as (e2e, type, approval_ccache (e2e), 1);
      ca_id = officer_id_for (e2e, pending);
      officer ("deny", ca_id);
      result = retrieve_as (e2e, int_member (pending, "request"), approval_ccache (e2e), 2);
      denial = json_object_get_object_member (json_node_get_object (result), "denial");
      /* certsrv and WSTEP: CERTSRV_E_ADMIN_DENIED_REQUEST; EST: HTTP 403. */
      g_assert_cmpint (json_object_get_int_member (denial, "code"), ==,
                       g_str_equal (e2e->protocol, "est") ? 403 : 0x80094014);
    }
  g_assert_cmpstr (member (result, "outcome"), ==, "denied");
  g_assert_cmpstr (error_code (result), ==, "ca-denied");
  id = int_member (result, "request");
  stored = stored_request (e2e, id);
  g_assert_cmpstr (member (stored, "status"), ==, "denied");
  runs = journal (e2e, id);
  deleted = newest_step (runs, "delete-key");
  g_assert_nonnull (deleted);
  g_assert_cmpstr (json_object_get_string_member (deleted, "outcome"), ==, "ok");
  /* Nothing of it reached the device's stores. */
  {
    const char *args[] = { "certs", "--json", NULL };
    g_autofree char *out = NULL;
    g_autoptr(JsonNode) certs = NULL;

    g_assert_cmpint (cradlectl (e2e, args, &out, NULL), ==, 0);
    certs = parse_json (out);
    g_assert_cmpuint (json_array_get_length (json_node_get_array (certs)), ==, 0);
  }
}

/* The device's user says no when asked to sign: exit 5, nothing sent, the key deleted. */
static void
test_declined (E2e           *e2e,
               gconstpointer  data)
{
  g_autofree char *type = NULL;
  g_autoptr(JsonNode) result = NULL;
  g_autoptr(JsonNode) runs = NULL;
  JsonObject *sign;
  JsonObject *deleted;

  if (skipped (e2e))
    return;
  start_agent (e2e, "--confirm=approve", "--confirm-sign=decline", NULL);
  type = write_type (e2e, issued_template (e2e), NULL, NULL);
  result = enroll (e2e, type, 5);
  g_assert_cmpstr (member (result, "outcome"), ==, "declined");
  g_assert_cmpstr (error_code (result), ==, "user-declined");
  g_assert_cmpint (int_member (result, "request"), ==, 0);
  runs = journal (e2e, 0);
  sign = newest_step (runs, "sign");
  g_assert_cmpstr (json_object_get_string_member (sign, "outcome"), ==, "declined");
  deleted = newest_step (runs, "delete-key");
  g_assert_nonnull (deleted);
  g_assert_cmpstr (json_object_get_string_member (deleted, "outcome"), ==, "ok");
  {
    const char *args[] = { "pending", "--all", "--json", NULL };
    g_autofree char *out = NULL;
    g_autoptr(JsonNode) requests = NULL;

    g_assert_cmpint (cradlectl (e2e, args, &out, NULL), ==, 0);
    requests = parse_json (out);
    g_assert_cmpuint (json_array_get_length (json_node_get_array (requests)), ==, 0);
  }
}

/* Unplugged while its user is asked to sign; cradled again, the next
 * enrollment signs with the key the device already made. */
static void
test_unplugged_signing (E2e           *e2e,
                        gconstpointer  data)
{
  g_autofree char *type = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *out = NULL;
  g_autoptr(JsonNode) gone = NULL;
  g_autoptr(JsonNode) result = NULL;
  g_autoptr(JsonNode) runs = NULL;
  JsonObject *generate;

  if (skipped (e2e))
    return;
  start_agent (e2e, "--confirm=approve", "--confirm-sign=never", NULL);
  type = write_type (e2e, issued_template (e2e), NULL, NULL);
  process = spawn_enroll (e2e, type, NULL);
  g_assert_true (wait_for_step (e2e, process, "sign"));
  kill_agent (e2e);
  g_assert_cmpint (finish_cradlectl (process, &out, NULL), ==, 6);
  gone = parse_json (out);
  g_assert_cmpstr (error_code (gone), ==, "device-gone");

  start_agent (e2e, "--confirm=approve", NULL);
  result = enroll (e2e, type, 0);
  assert_installed (e2e, result);
  runs = journal (e2e, 0);
  generate = newest_step (runs, "generate-key");
  g_assert_true (g_str_has_prefix (json_object_get_string_member (generate, "text"), "Continuing with the"));
}

/* Unplugged while its user is asked to trust the root: the issued
 * certificate is kept, and `retrieve` installs it once it is back. */
static void
test_unplugged_installing (E2e           *e2e,
                           gconstpointer  data)
{
  g_autofree char *type = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *out = NULL;
  g_autoptr(JsonNode) gone = NULL;
  g_autoptr(JsonNode) stored = NULL;
  g_autoptr(JsonNode) result = NULL;
  gint64 id;

  if (skipped (e2e))
    return;
  start_agent (e2e, "--confirm=approve", "--confirm-root=never", NULL);
  type = write_type (e2e, issued_template (e2e), NULL, NULL);
  process = spawn_enroll (e2e, type, NULL);
  g_assert_true (wait_for_step (e2e, process, "install"));
  kill_agent (e2e);
  g_assert_cmpint (finish_cradlectl (process, &out, NULL), ==, 6);
  gone = parse_json (out);
  g_assert_cmpstr (member (gone, "outcome"), ==, "interrupted");
  id = int_member (gone, "request");
  stored = stored_request (e2e, id);
  g_assert_cmpstr (member (stored, "status"), ==, "issued");
  g_assert_cmpint (int_member (stored, "attempts"), >=, 1);

  start_agent (e2e, "--confirm=approve", NULL);
  result = retrieve (e2e, id, 0);
  assert_installed (e2e, result);
}

/* The CA does not answer when the request goes out: it stays submitting
 * with the error and the attempt recorded; once the CA is back, retrieving
 * sends it again and it is installed. */
static void
test_ca_stopped (E2e           *e2e,
                 gconstpointer  data)
{
  g_autofree char *type = NULL;
  g_autoptr(JsonNode) interrupted = NULL;
  g_autoptr(JsonNode) stored = NULL;
  g_autoptr(JsonNode) again = NULL;
  g_autoptr(JsonNode) result = NULL;
  guint port;
  gint64 id;

  if (skipped (e2e))
    return;
  interrupted = enroll_with_ca_down (e2e, &type, &port);
  g_assert_cmpstr (member (interrupted, "outcome"), ==, "interrupted");
  g_assert_cmpstr (error_code (interrupted), ==, "unreachable");
  id = int_member (interrupted, "request");
  g_assert_cmpint (id, >, 0);
  stored = stored_request (e2e, id);
  g_assert_cmpstr (member (stored, "status"), ==, "submitting");
  g_assert_cmpint (int_member (stored, "attempts"), ==, 1);
  g_assert_nonnull (member (stored, "last_error"));
  assert_no_challenge_on_disk (e2e);

  /* Still down: retried, still kept. */
  again = retrieve (e2e, id, 3);
  g_assert_cmpstr (member (again, "outcome"), ==, "interrupted");
  g_clear_pointer (&stored, json_node_unref);
  stored = stored_request (e2e, id);
  g_assert_cmpint (int_member (stored, "attempts"), ==, 2);

  /* Back up on the same port. */
  e2e->forward_port = port;
  start_forwarder (e2e, ca_port (e2e));
  g_assert_cmpuint (e2e->forward_port, ==, port);
  result = retrieve (e2e, id, 0);
  assert_installed (e2e, result);
  assert_no_challenge_on_disk (e2e);
  /* SCEP's request was kept without its challenge: the device signed it again. */
  if (g_str_equal (e2e->protocol, "scep"))
    {
      g_autoptr(JsonNode) runs = journal (e2e, id);

      g_assert_nonnull (newest_step (runs, "sign"));
    }
}

/* `cradlectl templates` lists the administrator's types beside the
 * directory's templates; a broken type file is named with its line. */
static void
test_types_listed (E2e           *e2e,
                   gconstpointer  data)
{
  g_autofree char *type = NULL;
  g_autofree char *broken = g_build_filename (e2e->config, "types.d", "broken.conf", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(JsonNode) types = NULL;
  const char *args[] = { "templates", "--json", "--dc", NULL, "--ccache", NULL, NULL };
  JsonArray *array;
  gboolean found_custom = FALSE;
  gboolean found_template = FALSE;

  if (skipped (e2e))
    return;
  args[3] = env (e2e, "CRADLE_LAB_LDAP_URI");
  args[5] = alice_ccache (e2e);
  type = write_type (e2e, issued_template (e2e), NULL, NULL);
  write_file (broken, "[Cradle Certificate Type]\nName=broken\nProtocol=gopher\n");
  g_assert_cmpint (cradlectl (e2e, args, &out, &err), ==, 0);
  g_assert_nonnull (strstr (err, "broken.conf:3: Protocol 'gopher'"));
  types = parse_json (out);
  array = json_node_get_array (types);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *entry = json_array_get_object_element (array, i);
      const char *name = json_object_get_string_member (entry, "name");

      if (g_str_equal (name, type))
        {
          g_assert_cmpstr (json_object_get_string_member (entry, "kind"), ==, "custom");
          g_assert_cmpstr (json_object_get_string_member (entry, "protocol"), ==, "certsrv");
          g_assert_true (json_object_get_boolean_member (entry, "enrollable"));
          found_custom = TRUE;
        }
      else if (g_str_equal (name, "CradleDeviceUPN"))
        {
          /* Kerberos: the CA's web service for Kerberos. */
          g_assert_cmpstr (json_object_get_string_member (entry, "kind"), ==, "template");
          g_assert_cmpstr (json_object_get_string_member (entry, "protocol"), ==, "wstep");
          found_template = TRUE;
        }
      g_assert_false (g_str_equal (name, "broken"));
    }
  g_assert_true (found_custom);
  g_assert_true (found_template);
}

/* The device's user refuses the new root: declined (exit 5), the issued
 * certificate kept; accepted on the next try. */
static void
test_root_declined (E2e           *e2e,
                    gconstpointer  data)
{
  g_autofree char *type = NULL;
  g_autoptr(JsonNode) declined = NULL;
  g_autoptr(JsonNode) stored = NULL;
  g_autoptr(JsonNode) result = NULL;
  gint64 id;

  if (skipped (e2e))
    return;
  start_agent (e2e, "--confirm=approve", "--confirm-root=decline", NULL);
  type = write_type (e2e, issued_template (e2e), NULL, NULL);
  declined = enroll (e2e, type, 5);
  g_assert_cmpstr (member (declined, "outcome"), ==, "declined");
  id = int_member (declined, "request");
  stored = stored_request (e2e, id);
  g_assert_cmpstr (member (stored, "status"), ==, "issued");

  stop_process (&e2e->agent, SIGTERM);
  start_agent (e2e, "--confirm=approve", NULL);
  result = retrieve (e2e, id, 0);
  assert_installed (e2e, result);
}

/* Writes @conf as cradle.conf, and takes TrustAnchors out of @type's file. */
static void
without_anchors (E2e        *e2e,
                 const char *type,
                 const char *conf)
{
  g_autofree char *conf_path = g_build_filename (e2e->config, "cradle.conf", NULL);
  g_autofree char *type_path = g_strdup_printf ("%s/types.d/%s.conf", e2e->config, type);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GString) kept = g_string_new (NULL);

  write_file (conf_path, conf);
  g_assert_true (g_file_get_contents (type_path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (lines[i][0] != '\0' && !g_str_has_prefix (lines[i], "TrustAnchors="))
      g_string_append_printf (kept, "%s\n", lines[i]);
  write_file (type_path, kept->str);
}

/* No root file anywhere: the lab's root is published in the directory
 * (Certification Authorities), so it is the CA's TLS anchor and the root
 * installed on the device.  With TrustDirectoryRoots=false it is no TLS
 * anchor any more: nothing is sent. */
static void
test_directory_roots (E2e           *e2e,
                      gconstpointer  data)
{
  g_autofree char *type = NULL;
  g_autoptr(JsonNode) result = NULL;
  g_autoptr(JsonNode) refused = NULL;

  if (skipped (e2e))
    return;
  start_agent (e2e, "--confirm=approve", NULL);
  type = write_type (e2e, issued_template (e2e), NULL, NULL);
  without_anchors (e2e, type, "[Directory]\nCatalogCacheHours=0\n");
  result = enroll (e2e, type, 0);
  assert_installed (e2e, result);

  without_anchors (e2e, type, "[Directory]\nCatalogCacheHours=0\n[Enrollment]\nTrustDirectoryRoots=false\n");
  refused = enroll (e2e, type, 4);
  g_assert_cmpstr (error_code (refused), ==, "not-configured");
  g_assert_nonnull (strstr (json_object_get_string_member (
                              json_object_get_object_member (json_node_get_object (refused), "error"), "message"),
                            "not trusted"));
}

/* A plain-HTTP EST server (tests/ca/misbehaving-ca.py, own-root) issues
 * the device's key from a root of its own, named as the lab's: the
 * enrollment fails before INSTALL, explained, and the device's stores are
 * unchanged. */
static void
test_own_root_plain_http (E2e           *e2e,
                          gconstpointer  data)
{
  g_autofree char *script = NULL;
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(GDataInputStream) output = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) result = NULL;
  g_autoptr(JsonNode) runs = NULL;
  JsonObject *failure;
  guint64 port = 0;

  if (skipped (e2e))
    return;
  script = g_build_filename (g_getenv ("CRADLE_SOURCE_ROOT"), "tests", "ca", "misbehaving-ca.py", NULL);
  server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, "python3", script, NULL);
  g_assert_no_error (error);
  output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  line = g_data_input_stream_read_line (output, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (line != NULL && g_str_has_prefix (line, "port "));
  g_assert_true (g_ascii_string_to_unsigned (line + 5, 10, 1, 65535, &port, NULL));

  start_agent (e2e, "--confirm=approve", NULL);
  text = g_strdup_printf ("[Cradle Certificate Type]\nName=e2e-own-root\nProtocol=est\n"
                          "URL=http://127.0.0.1:%u/own-root/.well-known/est/CradleDeviceUPN\n"
                          "Subject=CN=%s\nKeyType=p256\nAuth=none\nAllowPlainHttp=true\nTrustAnchors=%s\n",
                          (guint) port, e2e->serial, e2e->anchors);
  path = g_build_filename (e2e->config, "types.d", "e2e-own-root.conf", NULL);
  write_file (path, text);
  result = enroll (e2e, "e2e-own-root", 7);
  g_assert_cmpstr (member (result, "outcome"), ==, "failed");
  failure = json_object_get_object_member (json_node_get_object (result), "error");
  g_assert_cmpstr (json_object_get_string_member (failure, "code"), ==, "invalid-data");
  g_assert_cmpstr (json_object_get_string_member (failure, "detail"), ==, "UNTRUSTED_ROOT_CA");
  g_assert_nonnull (strstr (json_object_get_string_member (failure, "message"), "does not trust"));
  runs = journal (e2e, int_member (result, "request"));
  g_assert_nonnull (newest_step (runs, "chain"));
  g_assert_null (newest_step (runs, "install"));
  {
    const char *args[] = { "certs", "--json", NULL };
    g_autofree char *out = NULL;
    g_autoptr(JsonNode) certs = NULL;

    g_assert_cmpint (cradlectl (e2e, args, &out, NULL), ==, 0);
    certs = parse_json (out);
    g_assert_cmpuint (json_array_get_length (json_node_get_array (certs)), ==, 0);
  }
  g_subprocess_force_exit (server);
  g_subprocess_wait (server, NULL, NULL);
}

/* A SCEP type pinned to another CA (CAFingerprint): cradlectl refuses
 * before the request, and its challenge, go out: exit 4, not-configured. */
static void
test_wrong_fingerprint (E2e           *e2e,
                        gconstpointer  data)
{
  g_autofree char *type = NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GRegex) pin = g_regex_new ("^CAFingerprint=.*$", G_REGEX_MULTILINE, 0, NULL);
  g_autofree char *pinned_elsewhere = NULL;
  g_autoptr(JsonNode) result = NULL;
  const char *message;

  if (skipped (e2e))
    return;
  start_agent (e2e, "--confirm=approve", NULL);
  type = write_type (e2e, "scep", NULL, NULL);
  path = g_strdup_printf ("%s/types.d/%s.conf", e2e->config, type);
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  pinned_elsewhere = g_regex_replace_literal (pin, text, -1, 0, "CAFingerprint=" "00:11:22:33:44:55:66:77:88:99:"
                                              "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF",
                                              0, NULL);
  g_assert_cmpstr (pinned_elsewhere, !=, text);
  g_assert_true (g_file_set_contents (path, pinned_elsewhere, -1, NULL));

  result = enroll (e2e, type, 4);
  g_assert_cmpstr (error_code (result), ==, "not-configured");
  message = json_object_get_string_member (json_object_get_object_member (json_node_get_object (result), "error"),
                                           "message");
  g_test_message ("refused: %s", message);
  g_assert_nonnull (strstr (message, "CAFingerprint"));
  g_assert_null (strstr (message, env (e2e, "CRADLE_LAB_SCEP_CHALLENGE")));
  assert_no_challenge_on_disk (e2e);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (connectors); i++)
    {
      const Connector *connector = &connectors[i];
      gboolean scep = g_str_equal (connector->protocol, "scep");
#define ADD(name, function)                                                                   \
      G_STMT_START {                                                                          \
        g_autofree char *path = g_strdup_printf ("/enroll-e2e/%s/" name, connector->protocol); \
        g_test_add (path, E2e, connector, e2e_set_up, function, e2e_tear_down);               \
      } G_STMT_END

      ADD ("issued", test_issued);
      /* micromdm's SCEP server never answers PENDING. */
      if (!scep)
        ADD ("pending-then-approved", test_pending_then_approved);
      ADD ("denied", test_denied);
      ADD ("declined", test_declined);
      ADD ("unplugged-while-signing", test_unplugged_signing);
      ADD ("unplugged-while-installing", test_unplugged_installing);
      ADD ("ca-stopped", test_ca_stopped);
#undef ADD
    }
  g_test_add ("/enroll-e2e/wstep/template-chooses-wstep", E2e, &connectors[1], e2e_set_up,
              test_template_chooses_wstep, e2e_tear_down);
  g_test_add ("/enroll-e2e/wstep/password-sign-in", E2e, &connectors[1], e2e_set_up, test_password_sign_in,
              e2e_tear_down);
  g_test_add ("/enroll-e2e/certsrv/types-listed", E2e, &connectors[0], e2e_set_up, test_types_listed,
              e2e_tear_down);
  g_test_add ("/enroll-e2e/certsrv/kept-catalog", E2e, &connectors[0], e2e_set_up, test_kept_catalog,
              e2e_tear_down);
  g_test_add ("/enroll-e2e/certsrv/root-declined", E2e, &connectors[0], e2e_set_up, test_root_declined,
              e2e_tear_down);

  g_test_add ("/enroll-e2e/certsrv/directory-roots", E2e, &connectors[0], e2e_set_up, test_directory_roots,
              e2e_tear_down);
  g_test_add ("/enroll-e2e/est/own-root-plain-http", E2e, &connectors[3], e2e_set_up, test_own_root_plain_http,
              e2e_tear_down);

  g_test_add ("/enroll-e2e/scep/wrong-fingerprint", E2e, &connectors[2], e2e_set_up, test_wrong_fingerprint,
              e2e_tear_down);

  status = g_test_run ();
  cradle_test_lab_cleanup ();
  return status;
}
