/* test-renew-e2e.c: `cradlectl renew` end to end against the lab
 *
 * A certificate is enrolled on a simulated device, then renewed: through
 * certsrv and WSTEP as an MS-WCCE renewal (a SignedData signed by the old
 * key, which the lab CA records as renewing the old serial), through SCEP
 * as a RenewalReq (micromdm's scepserver advertises Renewal; the lab starts
 * it with -allowrenew 0, so it re-issues for a subject whatever its current
 * certificate's expiry), and through EST by enrolling again, said in a note.
 * Each time the old certificate is removed from the device after the new
 * one is installed.  certsrv also covers the same-key template, the device
 * unplugged while its user is asked to sign and while it is asked to remove
 * the old certificate, the user keeping the old one, and the CA unreachable
 * in the middle (a type through a closed loopback port, as the enroll cases
 * do: the lab CA itself is never stopped).
 *
 * Run one connector's cases with -p /renew-e2e/certsrv (meson does).
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "e2e-support.h"

static const Connector connectors[] = {
  { "certsrv" }, { "wstep" }, { "scep" }, { "est" },
};

#define TEMPLATE "CradleDeviceUPN"

/* ---- helpers ----------------------------------------------------------------- */

/* `cradlectl renew ARGS... --json` as alice; its JSON. */
static JsonNode *
renew_with (E2e          *e2e,
            const char  **extra,
            int           expected_exit,
            char        **err)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  g_autofree char *out = NULL;
  g_autofree char *errors = NULL;
  int status;

  g_ptr_array_add (args, (gpointer) "renew");
  for (guint i = 0; extra[i] != NULL; i++)
    g_ptr_array_add (args, (gpointer) extra[i]);
  g_ptr_array_add (args, (gpointer) "--json");
  g_ptr_array_add (args, (gpointer) "--dc");
  g_ptr_array_add (args, (gpointer) env (e2e, "CRADLE_LAB_LDAP_URI"));
  g_ptr_array_add (args, (gpointer) "--ccache");
  g_ptr_array_add (args, (gpointer) alice_ccache (e2e));
  g_ptr_array_add (args, NULL);
  status = cradlectl (e2e, (const char * const *) args->pdata, &out, &errors);
  if (status != expected_exit)
    g_test_message ("cradlectl renew: %s\n%s", out, errors);
  g_assert_cmpint (status, ==, expected_exit);
  if (err != NULL)
    *err = g_steal_pointer (&errors);
  return parse_json (out);
}

static JsonNode *
renew (E2e        *e2e,
       const char *sha256,
       int         expected_exit)
{
  const char *extra[] = { sha256, NULL };

  return renew_with (e2e, extra, expected_exit, NULL);
}

/* The one renewal run of `renew`'s answer. */
static JsonNode *
only_renewal (JsonNode *answer)
{
  JsonArray *renewals = json_object_get_array_member (json_node_get_object (answer), "renewals");

  g_assert_cmpuint (json_array_get_length (renewals), ==, 1);
  return json_array_get_element (renewals, 0);
}

static const char *
leaf_member (JsonNode   *result,
             const char *object,
             const char *name)
{
  JsonObject *cert = json_object_get_object_member (json_node_get_object (result), object);

  g_assert_nonnull (cert);
  return json_object_get_string_member (cert, name);
}

/* The device's MY certificates, by SHA-256, each with whether it has a key. */
static GHashTable *
device_certificates (E2e *e2e)
{
  const char *args[] = { "certs", "--json", NULL };
  g_autofree char *out = NULL;
  g_autoptr(JsonNode) certs = NULL;
  GHashTable *mine = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  JsonArray *array;

  g_assert_cmpint (cradlectl (e2e, args, &out, NULL), ==, 0);
  certs = parse_json (out);
  array = json_node_get_array (certs);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *cert = json_array_get_object_element (array, i);

      if (g_str_equal (json_object_get_string_member (cert, "store"), "MY"))
        g_hash_table_insert (mine, g_strdup (json_object_get_string_member (cert, "sha256")),
                             GINT_TO_POINTER (json_object_get_boolean_member (cert, "has_key")));
    }
  return mine;
}

static gboolean
on_device (E2e        *e2e,
           const char *sha256)
{
  g_autoptr(GHashTable) mine = device_certificates (e2e);

  return g_hash_table_contains (mine, sha256);
}

/* What `cradle-lab requests` says of the CA's request @ca_id. */
static char *
ca_request_line (const char *ca_id)
{
  g_autofree char *script = g_build_filename (g_getenv ("CRADLE_SOURCE_ROOT"), "tests", "lab", "cradle-lab", NULL);
  g_autofree char *out = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { script, "requests", NULL };
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) fields = g_strsplit_set (lines[i], " ", 2);

      if (fields[0] != NULL && g_str_equal (fields[0], ca_id))
        return g_strdup (lines[i]);
    }
  return NULL;
}

/* The newest journal run: its kind, and whether it has @step ended @outcome. */
static void
assert_newest_run (E2e        *e2e,
                   const char *kind,
                   const char *step,
                   const char *outcome)
{
  g_autoptr(JsonNode) runs = journal (e2e, 0);
  JsonObject *run = json_array_get_object_element (json_node_get_array (runs), 0);
  JsonObject *found = newest_step (runs, step);

  g_assert_cmpstr (json_object_get_string_member (run, "kind"), ==, kind);
  g_assert_nonnull (found);
  g_assert_cmpstr (json_object_get_string_member (found, "outcome"), ==, outcome);
}

/* Enrolls for @template_name and returns the installed certificate's SHA-256. */
static char *
enroll_first (E2e        *e2e,
              const char *template_name,
              char      **type)
{
  g_autoptr(JsonNode) result = NULL;

  *type = write_type (e2e, template_name, NULL, NULL);
  result = enroll (e2e, *type, 0);
  assert_installed (e2e, result);
  return g_strdup (leaf_member (result, "certificate", "sha256"));
}

/* ---- the cases --------------------------------------------------------------- */

/* Renewed the protocol's way, and the old certificate replaced. */
static void
test_renewed (E2e           *e2e,
              gconstpointer  data)
{
  g_autofree char *type = NULL;
  g_autofree char *old_sha = NULL;
  g_autofree char *old_serial = NULL;
  g_autofree char *err = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(GHashTable) mine = NULL;
  JsonNode *result;
  JsonArray *notes;
  const char *extra[] = { NULL, NULL };

  if (skipped (e2e))
    return;
  start_agent (e2e, "--confirm=approve", NULL);
  old_sha = enroll_first (e2e, TEMPLATE, &type);
  {
    g_autoptr(GHashTable) before = device_certificates (e2e);

    g_assert_true (g_hash_table_contains (before, old_sha));
  }

  /* SCEP's exchange is told in the debug log: RenewalReq, not PKCSReq. */
  if (g_str_equal (e2e->protocol, "scep"))
    g_setenv ("G_MESSAGES_DEBUG", "cradle-core", TRUE);
  extra[0] = old_sha;
  answer = renew_with (e2e, extra, 0, &err);
  g_unsetenv ("G_MESSAGES_DEBUG");
  result = only_renewal (answer);
  assert_installed (e2e, result);
  g_assert_cmpstr (leaf_member (result, "renews", "sha256"), ==, old_sha);
  old_serial = g_strdup (leaf_member (result, "renews", "serial"));
  g_assert_true (json_object_get_boolean_member (json_node_get_object (result), "old_removed"));
  g_assert_cmpstr (leaf_member (result, "certificate", "sha256"), !=, old_sha);

  /* The new certificate is on the device with its key; the old one is gone. */
  mine = device_certificates (e2e);
  g_assert_false (g_hash_table_contains (mine, old_sha));
  g_assert_true (GPOINTER_TO_INT (g_hash_table_lookup (mine, leaf_member (result, "certificate", "sha256"))));
  assert_newest_run (e2e, "renew", "remove-old", "ok");

  notes = json_object_get_array_member (json_node_get_object (result), "notes");
  if (g_str_equal (e2e->protocol, "certsrv") || g_str_equal (e2e->protocol, "wstep"))
    {
      /* The CA took it as a renewal of the old serial. */
      g_autofree char *line = ca_request_line (member (result, "ca_request_id"));

      g_assert_nonnull (line);
      g_test_message ("CA: %s", line);
      g_assert_nonnull (strstr (line, "Issued"));
      {
        g_autofree char *renewing = g_strdup_printf ("renewing %s", old_serial);

        g_assert_nonnull (strstr (line, renewing));
      }
      g_assert_cmpuint (json_array_get_length (notes), ==, 0);
    }
  else if (g_str_equal (e2e->protocol, "scep"))
    {
      g_assert_nonnull (strstr (err, "SCEP RenewalReq for transaction"));
      g_assert_null (strstr (err, "SCEP PKCSReq for transaction"));
    }
  else
    {
      /* EST enrolled again, and said why. */
      g_assert_cmpuint (json_array_get_length (notes), ==, 1);
      g_assert_nonnull (strstr (json_array_get_string_element (notes, 0), "enrolled again"));
    }
}

/* A template that demands the same key: the old key signs the new request,
 * and the CA (which refuses another key with 0x80094816) issues. */
static void
test_same_key (E2e           *e2e,
               gconstpointer  data)
{
  g_autofree char *type = NULL;
  g_autofree char *old_sha = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(JsonNode) runs = NULL;
  g_autoptr(GHashTable) mine = NULL;
  JsonNode *result;

  if (skipped (e2e))
    return;
  start_agent (e2e, "--confirm=approve", NULL);
  old_sha = enroll_first (e2e, "CradleShortLivedSameKey", &type);
  answer = renew (e2e, old_sha, 0);
  result = only_renewal (answer);
  assert_installed (e2e, result);
  runs = journal (e2e, 0);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (newest_step (runs, "generate-key"), "text"),
                                   "Keeping the key of the certificate it renews"));
  /* The new certificate keeps the key. */
  mine = device_certificates (e2e);
  g_assert_true (GPOINTER_TO_INT (g_hash_table_lookup (mine, leaf_member (result, "certificate", "sha256"))));
  g_assert_false (g_hash_table_contains (mine, old_sha));
}

/* Unplugged while its user is asked to confirm the renewal: nothing is
 * recorded, the old certificate still works; cradled again, it renews. */
static void
test_unplugged_signing (E2e           *e2e,
                        gconstpointer  data)
{
  g_autofree char *type = NULL;
  g_autofree char *old_sha = NULL;
  g_autofree char *id = NULL;
  g_autofree char *out = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(JsonNode) answer = NULL;
  const char *args[] = { "renew", NULL, "--json", "--ccache", NULL, "--dc", NULL, NULL };

  if (skipped (e2e))
    return;
  start_agent (e2e, "--confirm=approve", NULL);
  old_sha = enroll_first (e2e, TEMPLATE, &type);
  kill_agent (e2e);
  start_agent (e2e, "--confirm=approve", "--confirm-sign=never", NULL);
  args[1] = old_sha;
  args[4] = alice_ccache (e2e);
  args[6] = env (e2e, "CRADLE_LAB_LDAP_URI");
  process = spawn_cradlectl (e2e, args);
  g_assert_true (wait_for_step (e2e, process, "sign"));
  kill_agent (e2e);
  g_assert_cmpint (finish_cradlectl (process, &out, NULL), ==, 6);

  start_agent (e2e, "--confirm=approve", NULL);
  g_assert_true (on_device (e2e, old_sha));
  answer = renew (e2e, old_sha, 0);
  assert_installed (e2e, only_renewal (answer));
  g_assert_false (on_device (e2e, old_sha));
}

/* Unplugged while its user is asked to remove the old certificate: the
 * new one is installed and both work; the next `renew` removes the old. */
static void
test_unplugged_removing (E2e           *e2e,
                         gconstpointer  data)
{
  g_autofree char *type = NULL;
  g_autofree char *old_sha = NULL;
  g_autofree char *out = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(JsonNode) cleanup = NULL;
  const char *args[] = { "renew", NULL, "--json", "--ccache", NULL, "--dc", NULL, NULL };
  const char *due[] = { "--due", NULL };
  JsonNode *result;

  if (skipped (e2e))
    return;
  start_agent (e2e, "--confirm=approve", NULL);
  old_sha = enroll_first (e2e, TEMPLATE, &type);
  kill_agent (e2e);
  start_agent (e2e, "--confirm=approve", "--confirm-delete=never", NULL);
  args[1] = old_sha;
  args[4] = alice_ccache (e2e);
  args[6] = env (e2e, "CRADLE_LAB_LDAP_URI");
  process = spawn_cradlectl (e2e, args);
  g_assert_true (wait_for_step (e2e, process, "remove-old"));
  kill_agent (e2e);
  /* Installed is installed: exit 0, with a note that the old one stays. */
  g_assert_cmpint (finish_cradlectl (process, &out, NULL), ==, 0);
  answer = parse_json (out);
  result = only_renewal (answer);
  g_assert_cmpstr (member (result, "outcome"), ==, "installed");
  g_assert_false (json_object_get_boolean_member (json_node_get_object (result), "old_removed"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (result), "notes")),
                    >=, 1);

  start_agent (e2e, "--confirm=approve", NULL);
  g_assert_true (on_device (e2e, old_sha));
  g_assert_true (on_device (e2e, leaf_member (result, "certificate", "sha256")));
  /* Nothing is due (a year's certificate), but the clean-up is finished. */
  cleanup = renew_with (e2e, due, 0, NULL);
  g_assert_cmpint (int_member (cleanup, "replaced_removed"), ==, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (cleanup),
                                                                         "renewals")), ==, 0);
  g_assert_false (on_device (e2e, old_sha));
  g_assert_true (on_device (e2e, leaf_member (result, "certificate", "sha256")));
  assert_newest_run (e2e, "remove", "remove-old", "ok");
}

/* The device's user keeps the old certificate: both stay, and it is said. */
static void
test_removal_declined (E2e           *e2e,
                       gconstpointer  data)
{
  g_autofree char *type = NULL;
  g_autofree char *old_sha = NULL;
  g_autoptr(JsonNode) answer = NULL;
  const char *remove[] = { "--remove", NULL, NULL };
  JsonNode *result;
  JsonArray *notes;

  if (skipped (e2e))
    return;
  start_agent (e2e, "--confirm=approve", NULL);
  old_sha = enroll_first (e2e, TEMPLATE, &type);
  kill_agent (e2e);
  start_agent (e2e, "--confirm=approve", "--confirm-delete=decline", NULL);
  answer = renew (e2e, old_sha, 0);
  result = only_renewal (answer);
  g_assert_cmpstr (member (result, "outcome"), ==, "installed");
  g_assert_false (json_object_get_boolean_member (json_node_get_object (result), "old_removed"));
  notes = json_object_get_array_member (json_node_get_object (result), "notes");
  g_assert_cmpuint (json_array_get_length (notes), ==, 1);
  g_assert_nonnull (strstr (json_array_get_string_element (notes, 0), "kept the old certificate"));
  g_assert_true (on_device (e2e, old_sha));
  g_assert_true (on_device (e2e, leaf_member (result, "certificate", "sha256")));
  assert_newest_run (e2e, "renew", "remove-old", "declined");

  /* Removed on demand later, the device asking again. */
  kill_agent (e2e);
  start_agent (e2e, "--confirm=approve", NULL);
  remove[1] = old_sha;
  g_clear_pointer (&answer, json_node_unref);
  answer = renew_with (e2e, remove, 0, NULL);
  g_assert_cmpstr (member (answer, "removed"), ==, old_sha);
  g_assert_false (on_device (e2e, old_sha));
  assert_newest_run (e2e, "remove", "remove-old", "ok");
}

/* The CA cannot be reached when the renewal goes out: kept as submitting
 * with what it renews, the old certificate untouched; once the CA is back,
 * `retrieve` sends it again, installs it and removes the old one. */
static void
test_ca_stopped (E2e           *e2e,
                 gconstpointer  data)
{
  g_autofree char *type = NULL;
  g_autofree char *old_sha = NULL;
  g_autofree char *url = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(JsonNode) stored = NULL;
  g_autoptr(JsonNode) result = NULL;
  const char *extra[] = { NULL, "--type", NULL, NULL };
  JsonNode *interrupted;
  guint port;
  gint64 id;

  if (skipped (e2e))
    return;
  start_agent (e2e, "--confirm=approve", NULL);
  old_sha = enroll_first (e2e, TEMPLATE, &type);
  /* The same type, now through a closed port of our own. */
  start_forwarder (e2e, ca_port (e2e));
  port = e2e->forward_port;
  stop_forwarder (e2e);
  url = through_forwarder (e2e, env (e2e, ca_url_name (e2e)));
  g_free (write_type (e2e, TEMPLATE, url, NULL));

  extra[0] = old_sha;
  extra[2] = type;
  answer = renew_with (e2e, extra, 3, NULL);
  interrupted = only_renewal (answer);
  g_assert_cmpstr (member (interrupted, "outcome"), ==, "interrupted");
  g_assert_cmpstr (error_code (interrupted), ==, "unreachable");
  id = int_member (interrupted, "request");
  g_assert_cmpint (id, >, 0);
  stored = stored_request (e2e, id);
  g_assert_cmpstr (member (stored, "status"), ==, "submitting");
  g_assert_true (on_device (e2e, old_sha));

  /* Cradled again after the outage (the device too), the CA back. */
  kill_agent (e2e);
  start_agent (e2e, "--confirm=approve", NULL);
  e2e->forward_port = port;
  start_forwarder (e2e, ca_port (e2e));
  g_assert_cmpuint (e2e->forward_port, ==, port);
  result = retrieve (e2e, id, 0);
  assert_installed (e2e, result);
  g_assert_cmpstr (leaf_member (result, "renews", "sha256"), ==, old_sha);
  g_assert_true (json_object_get_boolean_member (json_node_get_object (result), "old_removed"));
  g_assert_false (on_device (e2e, old_sha));
  if (g_str_equal (e2e->protocol, "certsrv"))
    {
      g_autofree char *line = ca_request_line (member (result, "ca_request_id"));
      g_autofree char *renewing = g_strdup_printf ("renewing %s", leaf_member (result, "renews", "serial"));

      g_assert_nonnull (line);
      g_assert_nonnull (strstr (line, renewing));
    }
}

/* A certsrv CA that will not renew the certificate (the lab CA renews only
 * what it issued: this one came from the SCEP server, 0x8009400E): the
 * same type is enrolled again, said in a note, and the old certificate
 * still replaced.  Run with the SCEP cases, whose anchors hold both CAs. */
static void
test_ca_refuses_renewal (E2e           *e2e,
                         gconstpointer  data)
{
  g_autofree char *scep_type = NULL;
  g_autofree char *type = NULL;
  g_autoptr(JsonNode) first = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(JsonNode) runs = NULL;
  const char *extra[] = { NULL, "--type", NULL, NULL };
  JsonNode *result;
  JsonArray *notes;
  JsonArray *steps;
  guint signs = 0;
  const char *old_sha;

  if (skipped (e2e))
    return;
  /* A SCEP fixture (its anchors hold the SCEP CA and the lab's root), and
   * a certsrv type beside the SCEP one. */
  start_agent (e2e, "--confirm=approve", NULL);
  scep_type = write_type (e2e, TEMPLATE, NULL, NULL);
  first = enroll (e2e, scep_type, 0);
  e2e->protocol = "certsrv";
  type = write_type (e2e, TEMPLATE, NULL, NULL);
  e2e->protocol = "scep";
  old_sha = leaf_member (first, "certificate", "sha256");

  extra[0] = old_sha;
  extra[2] = type;
  answer = renew_with (e2e, extra, 0, NULL);
  result = only_renewal (answer);
  assert_installed (e2e, result);
  g_assert_cmpstr (leaf_member (result, "renews", "sha256"), ==, old_sha);
  g_assert_true (json_object_get_boolean_member (json_node_get_object (result), "old_removed"));
  notes = json_object_get_array_member (json_node_get_object (result), "notes");
  g_assert_cmpuint (json_array_get_length (notes), ==, 1);
  g_assert_nonnull (strstr (json_array_get_string_element (notes, 0), "0x8009400E"));
  g_assert_nonnull (strstr (json_array_get_string_element (notes, 0), "enrolled again"));
  g_assert_false (on_device (e2e, old_sha));
  /* One run: the renewal refused, then a request of its own. */
  runs = journal (e2e, 0);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (json_node_get_array (runs), 0),
                                                  "kind"), ==, "renew");
  steps = json_object_get_array_member (json_array_get_object_element (json_node_get_array (runs), 0), "steps");
  for (guint i = 0; i < json_array_get_length (steps); i++)
    if (g_str_equal (json_object_get_string_member (json_array_get_object_element (steps, i), "step"), "submit"))
      signs++;
  g_assert_cmpuint (signs, ==, 2);
  {
    g_autofree char *line = ca_request_line (member (result, "ca_request_id"));

    g_assert_nonnull (line);
    g_assert_null (strstr (line, "renewing"));
  }
}

/* The old certificate carried the account's SID (the lab CA adds it when
 * it builds the subject from the directory) and the new one does not (a
 * template whose enrollee supplies the subject, enrolled again through
 * EST): the renewal says so. */
static void
test_sid_lost (E2e           *e2e,
               gconstpointer  data)
{
  g_autofree char *certsrv_type = NULL;
  g_autofree char *old_sha = NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) answer = NULL;
  const char *extra[] = { NULL, "--type", "e2e-est-supplied", NULL };
  JsonNode *result;
  JsonArray *notes;
  gboolean said = FALSE;

  if (skipped (e2e))
    return;
  start_agent (e2e, "--confirm=approve", NULL);
  e2e->protocol = "certsrv";
  old_sha = enroll_first (e2e, TEMPLATE, &certsrv_type);
  e2e->protocol = "est";
  path = g_strdup_printf ("%s/types.d/e2e-est-supplied.conf", e2e->config);
  text = g_strdup_printf ("[Cradle Certificate Type]\nName=e2e-est-supplied\nProtocol=est\nURL=%s\n"
                          "Label=CradleDeviceSuppliedSubject\nTemplate=CradleDeviceSuppliedSubject\n"
                          "KeyType=rsa3072\nAuth=kerberos\nTrustAnchors=%s\n",
                          env (e2e, "CRADLE_LAB_EST_URL"), e2e->anchors);
  write_file (path, text);

  extra[0] = old_sha;
  answer = renew_with (e2e, extra, 0, NULL);
  result = only_renewal (answer);
  assert_installed (e2e, result);
  notes = json_object_get_array_member (json_node_get_object (result), "notes");
  for (guint i = 0; i < json_array_get_length (notes); i++)
    said |= strstr (json_array_get_string_element (notes, i), "1.3.6.1.4.1.311.25.2") != NULL;
  g_assert_true (said);
  g_assert_false (on_device (e2e, old_sha));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (connectors); i++)
    {
      g_autofree char *path = g_strdup_printf ("/renew-e2e/%s/renewed", connectors[i].protocol);

      g_test_add (path, E2e, &connectors[i], e2e_set_up, test_renewed, e2e_tear_down);
    }
  g_test_add ("/renew-e2e/est/sid-lost", E2e, &connectors[3], e2e_set_up, test_sid_lost, e2e_tear_down);
  g_test_add ("/renew-e2e/certsrv/same-key", E2e, &connectors[0], e2e_set_up, test_same_key, e2e_tear_down);
  g_test_add ("/renew-e2e/certsrv/unplugged-signing", E2e, &connectors[0], e2e_set_up, test_unplugged_signing,
              e2e_tear_down);
  g_test_add ("/renew-e2e/certsrv/unplugged-removing", E2e, &connectors[0], e2e_set_up, test_unplugged_removing,
              e2e_tear_down);
  g_test_add ("/renew-e2e/certsrv/removal-declined", E2e, &connectors[0], e2e_set_up, test_removal_declined,
              e2e_tear_down);
  g_test_add ("/renew-e2e/scep/ca-refuses-renewal", E2e, &connectors[2], e2e_set_up, test_ca_refuses_renewal,
              e2e_tear_down);
  g_test_add ("/renew-e2e/certsrv/ca-stopped", E2e, &connectors[0], e2e_set_up, test_ca_stopped, e2e_tear_down);
  g_test_add ("/renew-e2e/scep/ca-stopped", E2e, &connectors[2], e2e_set_up, test_ca_stopped, e2e_tear_down);
  return g_test_run ();
}
