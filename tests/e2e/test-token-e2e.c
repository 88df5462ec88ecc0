/* test-token-e2e.c: `cradlectl enroll | retrieve | renew` with the key on a token
 *
 * Against the lab, with a SoftHSM2 token made for each case in the case's
 * own folder (SOFTHSM2_CONF; cradle.conf [Tokens] UseP11Kit=false and the
 * SoftHSM2 module, so the machine's own tokens are never seen), for each
 * connector: issued; pending, then approved and retrieved; denied;
 * renewed.  What the token holds afterwards is read with a standard tool
 * (tests/e2e/token-objects.py: p11tool), not with Cradle: the leaf beside
 * a private key of the same CKA_ID that is sensitive and never extractable,
 * the certified key the token's own, the chain as authority certificates.
 * For certsrv also a renewal with the same key, found again on the token by
 * its CKA_ID, and the token going away in the middle: it is served by
 * p11-kit-server and cradlectl reaches it through p11-kit-client.so, and
 * the server (its whole process group) is killed
 * - while the CA holds the request (a stopped forwarder in front of the lab
 *   CA): the run fails with the words, the issued certificate is kept in
 *   the pending store, the key is on the token and nothing half-written;
 *   served again, `retrieve` installs it;
 * - after the key is made, while the run waits for the directory before it
 *   signs (a stopped forwarder in front of the DC): nothing is sent, and
 *   the next enrollment continues with that key.
 *
 * Run one connector's cases with -p /token-e2e/certsrv (meson does).
 */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <glib/gstdio.h>

#include "e2e-support.h"

#define SOFTHSM_MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define P11_KIT_CLIENT "/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so"
#define P11_KIT_SERVER "/usr/libexec/p11-kit/p11-kit-server"
#define TOKEN_PIN      "1234"
#define TOKEN_SO_PIN   "12345678"

static const Connector connectors[] = {
  { "certsrv" }, { "wstep" }, { "scep" }, { "est" },
};

typedef struct {
  E2e          e2e;
  char        *label;          /* the token's label */
  char        *uri;            /* pkcs11:token=LABEL */
  char        *softhsm_conf;
  char        *pin_file;
  GSubprocess *server;         /* p11-kit-server, when the token is served */
  char        *socket;
} Token;

/* ---- the token --------------------------------------------------------------- */

static gboolean
tools_missing (void)
{
  const char *needed[] = { SOFTHSM_MODULE, "/usr/bin/softhsm2-util", "/usr/bin/p11tool" };

  for (guint i = 0; i < G_N_ELEMENTS (needed); i++)
    if (!g_file_test (needed[i], G_FILE_TEST_EXISTS))
      {
        g_autofree char *reason = g_strdup_printf ("%s is not installed (tests/tools/install-deps)", needed[i]);

        g_test_skip (reason);
        return TRUE;
      }
  return FALSE;
}

static gboolean
token_skipped (Token *t)
{
  return skipped (&t->e2e) || tools_missing ();
}

static void
run_tool (const char * const *argv)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s%s", argv[0], out, err);
}

/* cradle.conf naming @module as the only place tokens are looked for. */
static void
write_conf (Token      *t,
            const char *module)
{
  g_autofree char *path = g_build_filename (t->e2e.config, "cradle.conf", NULL);
  g_autofree char *text = g_strdup_printf ("[Enrollment]\nTrustAnchors=%s\n\n[Tokens]\nUseP11Kit=false\nModules=%s\n",
                                           t->e2e.anchors, module);

  write_file (path, text);
}

static void
token_set_up (Token         *t,
              gconstpointer  data)
{
  g_autofree char *tokens = NULL;
  g_autofree char *conf = NULL;

  e2e_set_up (&t->e2e, data);
  if (t->e2e.lab == NULL || !g_file_test (SOFTHSM_MODULE, G_FILE_TEST_EXISTS))
    return;
  tokens = g_build_filename (t->e2e.home, "tokens", NULL);
  g_assert_cmpint (g_mkdir_with_parents (tokens, 0700), ==, 0);
  t->softhsm_conf = g_build_filename (t->e2e.home, "softhsm2.conf", NULL);
  conf = g_strdup_printf ("directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n", tokens);
  write_file (t->softhsm_conf, conf);
  /* Every program of the case (cradlectl, softhsm2-util, p11tool) sees this folder's tokens alone. */
  g_setenv ("SOFTHSM2_CONF", t->softhsm_conf, TRUE);
  g_unsetenv ("P11_KIT_SERVER_ADDRESS");
  t->label = g_strdup_printf ("e2e-%s-%d", t->e2e.protocol, (int) getpid ());
  t->uri = g_strdup_printf ("pkcs11:token=%s", t->label);
  {
    const char *argv[] = { "softhsm2-util", "--init-token", "--free", "--label", t->label,
                           "--so-pin", TOKEN_SO_PIN, "--pin", TOKEN_PIN, NULL };

    run_tool (argv);
  }
  t->pin_file = g_build_filename (t->e2e.home, "pin", NULL);
  write_file (t->pin_file, TOKEN_PIN "\n");
  write_conf (t, SOFTHSM_MODULE);
}

static pid_t server_pid (const char *identifier);

/* The token leaves: p11-kit-server serves each client from a child of its
 * own, so the whole process group goes. */
static void
stop_server (Token *t)
{
  if (t->server == NULL)
    return;
  kill (-server_pid (g_subprocess_get_identifier (t->server)), SIGKILL);
  g_subprocess_wait (t->server, NULL, NULL);
  g_clear_object (&t->server);
}

static void
token_tear_down (Token         *t,
                 gconstpointer  data)
{
  stop_server (t);
  g_unsetenv ("P11_KIT_SERVER_ADDRESS");
  g_unsetenv ("SOFTHSM2_CONF");
  e2e_tear_down (&t->e2e, data);
  g_free (t->label);
  g_free (t->uri);
  g_free (t->softhsm_conf);
  g_free (t->pin_file);
  g_free (t->socket);
}

static pid_t
server_pid (const char *identifier)
{
  guint64 pid = 0;

  g_assert_nonnull (identifier);
  g_assert_true (g_ascii_string_to_unsigned (identifier, 10, 2, G_MAXINT32, &pid, NULL));
  return (pid_t) pid;
}

/* The server and its children are a process group of their own, and die
 * with the test. */
static void
server_child_setup (gpointer user_data)
{
  setpgid (0, 0);
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* Serves the token with p11-kit-server on a socket of the case's own; from
 * now on cradlectl reaches it through p11-kit-client.so alone. */
static void
serve_token (Token *t)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GDataInputStream) output = NULL;
  g_autofree char *line = NULL;
  g_autofree char *address = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_null (t->server);
  g_subprocess_launcher_set_child_setup (launcher, server_child_setup, NULL, NULL);
  if (t->socket == NULL)
    t->socket = g_build_filename (t->e2e.runtime, "token.sock", NULL);
  g_unlink (t->socket);
  t->server = g_subprocess_launcher_spawn (launcher, &error, P11_KIT_SERVER, "-f", "-s", "--provider",
                                           SOFTHSM_MODULE, "-n", t->socket, t->uri, NULL);
  g_assert_no_error (error);
  /* "P11_KIT_SERVER_ADDRESS=unix:path=...; export ...": it listens. */
  output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (t->server));
  line = g_data_input_stream_read_line (output, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "P11_KIT_SERVER_ADDRESS="));
  address = g_strdup_printf ("unix:path=%s", t->socket);
  g_setenv ("P11_KIT_SERVER_ADDRESS", address, TRUE);
  write_conf (t, P11_KIT_CLIENT);
}

/* ---- cradlectl on the token -------------------------------------------------- */

static JsonNode *
run_json (Token              *t,
          const char * const *args,
          int                 expected_exit)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = cradlectl (&t->e2e, args, &out, &err);

  if (status != expected_exit)
    g_printerr ("cradlectl %s: exit %d, not %d: %s%s\n", args[0], status, expected_exit, out, err);
  g_assert_cmpint (status, ==, expected_exit);
  return parse_json (out);
}

static GSubprocess *
spawn_token_enroll (Token      *t,
                    const char *type,
                    const char *ccache)
{
  const char *args[] = { "enroll", "--type", type, "--device", t->uri, "--pin-file", t->pin_file, "--json",
                         "--dc", env (&t->e2e, "CRADLE_LAB_LDAP_URI"),
                         "--ccache", ccache != NULL ? ccache : alice_ccache (&t->e2e), NULL };

  return spawn_cradlectl (&t->e2e, args);
}

static JsonNode *
token_enroll (Token      *t,
              const char *type,
              const char *ccache,
              int         expected_exit)
{
  const char *args[] = { "enroll", "--type", type, "--device", t->uri, "--pin-file", t->pin_file, "--json",
                         "--dc", env (&t->e2e, "CRADLE_LAB_LDAP_URI"),
                         "--ccache", ccache != NULL ? ccache : alice_ccache (&t->e2e), NULL };

  return run_json (t, args, expected_exit);
}

static JsonNode *
token_retrieve (Token      *t,
                gint64      request,
                const char *ccache,
                int         expected_exit)
{
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, request);
  const char *args[] = { "retrieve", id, "--pin-file", t->pin_file, "--json",
                         "--ccache", ccache != NULL ? ccache : alice_ccache (&t->e2e), NULL };

  return run_json (t, args, expected_exit);
}

static JsonNode *
token_renew (Token      *t,
             const char *sha256,
             int         expected_exit)
{
  const char *args[] = { "renew", sha256, "--device", t->uri, "--pin-file", t->pin_file, "--json",
                         "--dc", env (&t->e2e, "CRADLE_LAB_LDAP_URI"), "--ccache", alice_ccache (&t->e2e), NULL };

  return run_json (t, args, expected_exit);
}

/* `cradlectl certs --device URI --json`: the MY certificates by SHA-256,
 * each with whether Cradle found its key. */
static GHashTable *
cradle_certs (Token *t)
{
  const char *args[] = { "certs", "--device", t->uri, "--pin-file", t->pin_file, "--json", NULL };
  g_autoptr(JsonNode) certs = run_json (t, args, 0);
  JsonArray *array = json_node_get_array (certs);
  GHashTable *mine = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *cert = json_array_get_object_element (array, i);

      if (g_str_equal (json_object_get_string_member (cert, "store"), "MY"))
        g_hash_table_insert (mine, g_strdup (json_object_get_string_member (cert, "sha256")),
                             GINT_TO_POINTER (json_object_get_boolean_member (cert, "has_key")));
    }
  return mine;
}

/* ---- the token seen by a standard tool --------------------------------------- */

/* The token's objects as tests/e2e/token-objects.py reads them with p11tool,
 * straight from SoftHSM2 (never through the server). */
static JsonNode *
token_objects (Token *t)
{
  g_autofree char *script = g_build_filename (g_getenv ("CRADLE_SOURCE_ROOT"), "tests", "e2e", "token-objects.py",
                                              NULL);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;

  g_subprocess_launcher_setenv (launcher, "GNUTLS_PIN", TOKEN_PIN, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "P11_KIT_SERVER_ADDRESS");
  process = g_subprocess_launcher_spawn (launcher, &error, "/usr/bin/python3", script, SOFTHSM_MODULE, t->label,
                                         NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (process))
    g_error ("token-objects.py failed: %s", err);
  return parse_json (out);
}

static guint
count_objects (JsonNode   *objects,
               const char *type,
               const char *id)
{
  JsonArray *array = json_node_get_array (objects);
  guint count = 0;

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *object = json_array_get_object_element (array, i);

      if (g_strcmp0 (json_object_get_string_member (object, "type"), type) == 0 &&
          (id == NULL || g_str_equal (json_object_get_string_member (object, "id"), id)))
        count++;
    }
  return count;
}

static JsonObject *
find_object (JsonNode   *objects,
             const char *type,
             const char *member_name,
             const char *value)
{
  JsonArray *array = json_node_get_array (objects);

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *object = json_array_get_object_element (array, i);

      if (g_strcmp0 (json_object_get_string_member (object, "type"), type) == 0 &&
          json_object_has_member (object, member_name) &&
          g_strcmp0 (json_object_get_string_member (object, member_name), value) == 0)
        return object;
    }
  return NULL;
}

static gboolean
has_flag (JsonObject *object,
          const char *flag)
{
  JsonArray *flags = json_object_get_array_member (object, "flags");

  for (guint i = 0; i < json_array_get_length (flags); i++)
    if (g_str_equal (json_array_get_string_element (flags, i), flag))
      return TRUE;
  return FALSE;
}

/* The certificate @sha256 is on the token beside the key it certifies: a
 * private key of the same CKA_ID, private, sensitive and never extractable,
 * and a public key of that CKA_ID whose SPKI is the certificate's; the
 * chain is there as authority certificates. Returns the key's CKA_ID. */
static char *
assert_on_token (Token      *t,
                 const char *sha256)
{
  g_autoptr(JsonNode) objects = token_objects (t);
  JsonObject *leaf = find_object (objects, "cert", "sha256", sha256);
  JsonObject *key;
  JsonObject *public_key;
  const char *id;
  guint authorities = 0;

  g_assert_nonnull (leaf);
  id = json_object_get_string_member (leaf, "id");
  /* 16 random bytes (the contract's CKA_ID). */
  g_assert_cmpuint (strlen (id), ==, 32);
  g_assert_cmpuint (count_objects (objects, "private", id), ==, 1);
  key = find_object (objects, "private", "id", id);
  g_assert_true (has_flag (key, "CKA_PRIVATE"));
  g_assert_true (has_flag (key, "CKA_SENSITIVE"));
  g_assert_true (has_flag (key, "CKA_NEVER_EXTRACTABLE"));
  g_assert_false (has_flag (key, "CKA_EXTRACTABLE"));
  public_key = find_object (objects, "public", "id", id);
  g_assert_nonnull (public_key);
  g_assert_cmpstr (json_object_get_string_member (public_key, "spki_sha256"), ==,
                   json_object_get_string_member (leaf, "spki_sha256"));
  g_assert_null (json_object_get_string_member (leaf, "category"));
  for (guint i = 0; i < json_array_get_length (json_node_get_array (objects)); i++)
    {
      JsonObject *object = json_array_get_object_element (json_node_get_array (objects), i);

      if (g_strcmp0 (json_object_get_string_member (object, "category"), "CA") == 0)
        authorities++;
    }
  g_assert_cmpuint (authorities, >=, 1);
  return g_strdup (id);
}

/* The CRADLE_EXPLAIN detail of a failed run's error. */
static const char *
error_detail (JsonNode *node)
{
  JsonObject *error = json_object_get_object_member (json_node_get_object (node), "error");

  g_assert_nonnull (error);
  if (!json_object_has_member (error, "detail"))
    return NULL;
  return json_object_get_string_member (error, "detail");
}

/* The text of the first step @name of the newest run (the generate-key
 * step is followed by another of that name for the attestation). */
static const char *
first_step_text (JsonNode   *runs,
                 const char *name)
{
  JsonArray *array = json_node_get_array (runs);
  JsonArray *steps;

  g_assert_cmpuint (json_array_get_length (array), >, 0);
  steps = json_object_get_array_member (json_array_get_object_element (array, 0), "steps");
  for (guint i = 0; i < json_array_get_length (steps); i++)
    {
      JsonObject *step = json_array_get_object_element (steps, i);

      if (g_str_equal (json_object_get_string_member (step, "step"), name))
        return json_object_get_string_member (step, "text");
    }
  g_assert_not_reached ();
}

static const char *
leaf_sha256 (JsonNode *result)
{
  JsonObject *cert = json_object_get_object_member (json_node_get_object (result), "certificate");

  g_assert_nonnull (cert);
  return json_object_get_string_member (cert, "sha256");
}

/* Installed: cradlectl says so, Cradle lists it with its key, and the token holds it. */
static char *
assert_token_installed (Token    *t,
                        JsonNode *result)
{
  g_autoptr(GHashTable) mine = NULL;

  g_assert_cmpstr (member (result, "outcome"), ==, "installed");
  mine = cradle_certs (t);
  g_assert_true (g_hash_table_contains (mine, leaf_sha256 (result)));
  g_assert_true (GPOINTER_TO_INT (g_hash_table_lookup (mine, leaf_sha256 (result))));
  return assert_on_token (t, leaf_sha256 (result));
}

/* ---- the cases --------------------------------------------------------------- */

static void
test_issued (Token         *t,
             gconstpointer  data)
{
  g_autofree char *type = NULL;
  g_autofree char *key_id = NULL;
  g_autoptr(JsonNode) result = NULL;
  g_autoptr(JsonNode) stored = NULL;
  g_autoptr(JsonNode) runs = NULL;
  JsonObject *generate;

  if (token_skipped (t))
    return;
  type = write_type (&t->e2e, issued_template (&t->e2e), NULL, NULL);
  result = token_enroll (t, type, NULL, 0);
  key_id = assert_token_installed (t, result);
  g_assert_nonnull (member (result, "device"));
  stored = stored_request (&t->e2e, int_member (result, "request"));
  g_assert_cmpstr (member (stored, "status"), ==, "installed");
  g_assert_cmpstr (member (stored, "connector"), ==, t->e2e.protocol);
  runs = journal (&t->e2e, int_member (result, "request"));
  generate = newest_step (runs, "generate-key");
  g_assert_nonnull (generate);
  g_assert_cmpstr (json_object_get_string_member (generate, "outcome"), ==, "ok");
  g_assert_nonnull (newest_step (runs, "install"));
  assert_no_challenge_on_disk (&t->e2e);
}

static void
test_pending_then_approved (Token         *t,
                            gconstpointer  data)
{
  g_autofree char *type = NULL;
  g_autofree char *ca_id = NULL;
  g_autofree char *key_id = NULL;
  g_autoptr(JsonNode) pending = NULL;
  g_autoptr(JsonNode) still = NULL;
  g_autoptr(JsonNode) done = NULL;
  g_autoptr(JsonNode) stored = NULL;
  g_autoptr(JsonNode) objects = NULL;
  const char *ccache;
  gint64 id;

  if (token_skipped (t))
    return;
  ccache = approval_ccache (&t->e2e);
  type = write_type (&t->e2e, "CradleDeviceApproval", NULL, NULL);
  pending = token_enroll (t, type, ccache, 1);
  g_assert_cmpstr (member (pending, "outcome"), ==, "pending");
  id = int_member (pending, "request");
  g_assert_cmpint (id, >, 0);
  stored = stored_request (&t->e2e, id);
  g_assert_cmpstr (member (stored, "status"), ==, "pending");
  /* The key waits on the token, no certificate yet. */
  objects = token_objects (t);
  g_assert_cmpuint (count_objects (objects, "private", NULL), ==, 1);
  g_assert_cmpuint (count_objects (objects, "cert", NULL), ==, 0);

  still = token_retrieve (t, id, ccache, 1);
  g_assert_cmpstr (member (still, "outcome"), ==, "pending");

  ca_id = officer_id_for (&t->e2e, pending);
  officer ("approve", ca_id);
  done = token_retrieve (t, id, ccache, 0);
  key_id = assert_token_installed (t, done);
  /* The key the request was made with, found again by its CKA_ID. */
  g_clear_pointer (&objects, json_node_unref);
  objects = token_objects (t);
  g_assert_cmpuint (count_objects (objects, "private", NULL), ==, 1);
}

static void
test_denied (Token         *t,
             gconstpointer  data)
{
  g_autofree char *type = NULL;
  g_autoptr(JsonNode) result = NULL;
  g_autoptr(JsonNode) stored = NULL;
  g_autoptr(JsonNode) runs = NULL;
  g_autoptr(JsonNode) objects = NULL;
  JsonObject *denial;
  JsonObject *deleted;
  gint64 id;

  if (token_skipped (t))
    return;
  if (g_str_equal (t->e2e.protocol, "scep"))
    {
      /* micromdm never pends; it refuses a wrong challenge (failInfo badRequest). */
      type = write_type (&t->e2e, "scep", NULL, "not-the-challenge\n");
      result = token_enroll (t, type, NULL, 2);
      denial = json_object_get_object_member (json_node_get_object (result), "denial");
      g_assert_cmpint (json_object_get_int_member (denial, "code"), ==, 2);
    }
  else
    {
      g_autoptr(JsonNode) pending = NULL;
      g_autofree char *ca_id = NULL;
      const char *ccache = approval_ccache (&t->e2e);

      type = write_type (&t->e2e, "CradleDeviceApproval", NULL, NULL);
      pending = token_enroll (t, type, ccache, 1);
      ca_id = officer_id_for (&t->e2e, pending);
      officer ("deny", ca_id);
      result = token_retrieve (t, int_member (pending, "request"), ccache, 2);
      denial = json_object_get_object_member (json_node_get_object (result), "denial");
      g_assert_cmpint (json_object_get_int_member (denial, "code"), ==,
                       g_str_equal (t->e2e.protocol, "est") ? 403 : 0x80094014);
    }
  g_assert_cmpstr (member (result, "outcome"), ==, "denied");
  g_assert_cmpstr (error_code (result), ==, "ca-denied");
  id = int_member (result, "request");
  stored = stored_request (&t->e2e, id);
  g_assert_cmpstr (member (stored, "status"), ==, "denied");
  runs = journal (&t->e2e, id);
  deleted = newest_step (runs, "delete-key");
  g_assert_nonnull (deleted);
  g_assert_cmpstr (json_object_get_string_member (deleted, "outcome"), ==, "ok");
  /* The abandoned key is gone from the token, and nothing was written. */
  objects = token_objects (t);
  g_assert_cmpuint (count_objects (objects, "private", NULL), ==, 0);
  g_assert_cmpuint (count_objects (objects, "public", NULL), ==, 0);
  g_assert_cmpuint (count_objects (objects, "cert", NULL), ==, 0);
}

/* Renewed the protocol's way with a new key made on the token; the old
 * certificate removed from the token after the new one is written. */
static void
test_renewed (Token         *t,
              gconstpointer  data)
{
  g_autofree char *type = NULL;
  g_autofree char *old_sha = NULL;
  g_autofree char *old_key = NULL;
  g_autofree char *new_key = NULL;
  g_autoptr(JsonNode) first = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(JsonNode) objects = NULL;
  g_autoptr(GHashTable) mine = NULL;
  JsonArray *renewals;
  JsonNode *result;

  if (token_skipped (t))
    return;
  type = write_type (&t->e2e, issued_template (&t->e2e), NULL, NULL);
  first = token_enroll (t, type, NULL, 0);
  old_key = assert_token_installed (t, first);
  old_sha = g_strdup (leaf_sha256 (first));

  answer = token_renew (t, old_sha, 0);
  renewals = json_object_get_array_member (json_node_get_object (answer), "renewals");
  g_assert_cmpuint (json_array_get_length (renewals), ==, 1);
  result = json_array_get_element (renewals, 0);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (json_node_get_object (result),
                                                                                 "renews"), "sha256"), ==, old_sha);
  g_assert_true (json_object_get_boolean_member (json_node_get_object (result), "old_removed"));
  new_key = assert_token_installed (t, result);
  g_assert_cmpstr (leaf_sha256 (result), !=, old_sha);
  g_assert_cmpstr (new_key, !=, old_key);

  objects = token_objects (t);
  g_assert_null (find_object (objects, "cert", "sha256", old_sha));
  mine = cradle_certs (t);
  g_assert_false (g_hash_table_contains (mine, old_sha));
  g_assert_cmpuint (g_hash_table_size (mine), ==, 1);
}

/* A template that demands the same key (the CA refuses another with
 * 0x80094816): the key is found again on the token by its CKA_ID, signs
 * the renewal, and the new certificate is written beside it; the token
 * still holds that one key. */
static void
test_renewed_same_key (Token         *t,
                       gconstpointer  data)
{
  g_autofree char *type = NULL;
  g_autofree char *old_sha = NULL;
  g_autofree char *old_key = NULL;
  g_autofree char *new_key = NULL;
  g_autoptr(JsonNode) first = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(JsonNode) runs = NULL;
  g_autoptr(JsonNode) objects = NULL;
  JsonArray *renewals;
  JsonNode *result;

  if (token_skipped (t))
    return;
  type = write_type (&t->e2e, "CradleShortLivedSameKey", NULL, NULL);
  first = token_enroll (t, type, NULL, 0);
  old_key = assert_token_installed (t, first);
  old_sha = g_strdup (leaf_sha256 (first));

  answer = token_renew (t, old_sha, 0);
  renewals = json_object_get_array_member (json_node_get_object (answer), "renewals");
  g_assert_cmpuint (json_array_get_length (renewals), ==, 1);
  result = json_array_get_element (renewals, 0);
  new_key = assert_token_installed (t, result);
  g_assert_cmpstr (new_key, ==, old_key);
  g_assert_cmpstr (leaf_sha256 (result), !=, old_sha);
  runs = journal (&t->e2e, 0);
  g_assert_true (g_str_has_prefix (first_step_text (runs, "generate-key"),
                                   "Keeping the key of the certificate it renews"));
  objects = token_objects (t);
  g_assert_cmpuint (count_objects (objects, "private", NULL), ==, 1);
  g_assert_cmpuint (count_objects (objects, "cert", old_key), ==, 1);
  g_assert_null (find_object (objects, "cert", "sha256", old_sha));
}

/* The token goes away while the CA holds the request: the run fails with
 * the words (device-gone, exit 6), the issued certificate is kept in the
 * pending store, the key stays on the token and nothing half-written is
 * there; served again, `retrieve` installs it beside its key. */
static void
test_gone_while_at_ca (Token         *t,
                       gconstpointer  data)
{
  g_autofree char *url = NULL;
  g_autofree char *type = NULL;
  g_autofree char *out = NULL;
  g_autofree char *key_id = NULL;
  g_autoptr(GSubprocess) enrolling = NULL;
  g_autoptr(JsonNode) gone = NULL;
  g_autoptr(JsonNode) stored = NULL;
  g_autoptr(JsonNode) objects = NULL;
  g_autoptr(JsonNode) done = NULL;
  gboolean reached;
  const char *message;
  gint64 id;

  if (token_skipped (t))
    return;
  serve_token (t);
  start_forwarder (&t->e2e, ca_port (&t->e2e));
  url = through_forwarder (&t->e2e, env (&t->e2e, ca_url_name (&t->e2e)));
  type = write_type (&t->e2e, issued_template (&t->e2e), url, NULL);
  /* The CA holds every connection while the token leaves. */
  g_subprocess_send_signal (t->e2e.forwarder, SIGSTOP);
  enrolling = spawn_token_enroll (t, type, NULL);
  reached = wait_for_step (&t->e2e, enrolling, "submit");
  stop_server (t);
  g_subprocess_send_signal (t->e2e.forwarder, SIGCONT);
  g_assert_true (reached);
  g_assert_cmpint (finish_cradlectl (enrolling, &out, NULL), ==, 6);
  gone = parse_json (out);
  g_assert_cmpstr (member (gone, "outcome"), ==, "interrupted");
  g_assert_cmpstr (error_code (gone), ==, "device-gone");
  g_assert_cmpstr (error_detail (gone), ==, "TOKEN_REMOVED");
  message = json_object_get_string_member (json_object_get_object_member (json_node_get_object (gone), "error"),
                                           "message");
  g_test_message ("gone: %s", message);
  /* The words name the token and say what to do. */
  g_assert_nonnull (strstr (message, t->label));
  g_assert_nonnull (strstr (message, "again"));

  id = int_member (gone, "request");
  g_assert_cmpint (id, >, 0);
  stored = stored_request (&t->e2e, id);
  g_assert_cmpstr (member (stored, "status"), ==, "issued");

  /* The key is on the token, no certificate: nothing half-written. */
  objects = token_objects (t);
  g_assert_cmpuint (count_objects (objects, "private", NULL), ==, 1);
  g_assert_cmpuint (count_objects (objects, "public", NULL), ==, 1);
  g_assert_cmpuint (count_objects (objects, "cert", NULL), ==, 0);

  serve_token (t);
  done = token_retrieve (t, id, NULL, 0);
  key_id = assert_token_installed (t, done);
  g_clear_pointer (&objects, json_node_unref);
  objects = token_objects (t);
  g_assert_cmpuint (count_objects (objects, "private", NULL), ==, 1);
  g_assert_cmpuint (count_objects (objects, "public", NULL), ==, 1);
}

/* Waits until the newest run has made its key (generate-key ended ok) and
 * waits in a later step @name; FALSE if @process ended first. */
static gboolean
wait_after_key (Token       *t,
                GSubprocess *process,
                const char  *name)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline && g_subprocess_get_identifier (process) != NULL)
    {
      const char *args[] = { "log", "--json", "--limit", "1", NULL };
      g_autofree char *out = NULL;
      g_autoptr(JsonNode) runs = NULL;
      JsonArray *steps;
      JsonObject *last;
      gboolean key_made = FALSE;

      g_usleep (100 * 1000);
      /* The enrollment may hold the state file a moment: ask again. */
      if (cradlectl (&t->e2e, args, &out, NULL) != 0)
        continue;
      runs = parse_json (out);
      if (json_array_get_length (json_node_get_array (runs)) == 0)
        continue;
      steps = json_object_get_array_member (json_array_get_object_element (json_node_get_array (runs), 0), "steps");
      for (guint i = 0; i < json_array_get_length (steps); i++)
        {
          JsonObject *step = json_array_get_object_element (steps, i);

          if (g_str_equal (json_object_get_string_member (step, "step"), "generate-key") &&
              g_str_equal (json_object_get_string_member (step, "outcome"), "ok"))
            key_made = TRUE;
        }
      if (!key_made || json_array_get_length (steps) == 0)
        continue;
      last = json_array_get_object_element (steps, json_array_get_length (steps) - 1);
      if (g_str_equal (json_object_get_string_member (last, "step"), name) &&
          g_str_equal (json_object_get_string_member (last, "outcome"), "running"))
        return TRUE;
    }
  return FALSE;
}

/* The token goes away after it made the key, while the run waits for the
 * directory's fresh answer before it signs (an enrollment starting from
 * the kept catalog; the directory held by a stopped forwarder): the run
 * fails with the words (device-gone, exit 6), nothing is sent; the key is
 * accounted for: served again, the next enrollment signs with it and
 * installs, and the token holds that one key. */
static void
test_gone_while_signing (Token         *t,
                         gconstpointer  data)
{
  const char *args[] = { "enroll", "--type", NULL, "--device", NULL, "--pin-file", NULL, "--json",
                         "--dc", NULL, "--ccache", NULL, NULL };
  g_autofree char *type = NULL;
  g_autofree char *dc = NULL;
  g_autofree char *out = NULL;
  g_autofree char *first_key = NULL;
  g_autofree char *key_id = NULL;
  g_autoptr(GSubprocess) enrolling = NULL;
  g_autoptr(JsonNode) first = NULL;
  g_autoptr(JsonNode) gone = NULL;
  g_autoptr(JsonNode) objects = NULL;
  g_autoptr(JsonNode) done = NULL;
  g_autoptr(JsonNode) requests = NULL;
  g_autoptr(JsonNode) runs = NULL;
  const char *pending_args[] = { "pending", "--all", "--json", NULL };
  gboolean reached;
  guint keys_before;

  if (token_skipped (t))
    return;
  serve_token (t);
  start_forwarder (&t->e2e, 389);
  dc = through_forwarder (&t->e2e, env (&t->e2e, "CRADLE_LAB_LDAP_URI"));
  type = write_type (&t->e2e, issued_template (&t->e2e), NULL, NULL);
  args[2] = type;
  args[4] = t->uri;
  args[6] = t->pin_file;
  args[9] = dc;
  args[11] = alice_ccache (&t->e2e);
  /* The first enrollment keeps the catalog for this directory. */
  first = run_json (t, args, 0);
  first_key = assert_token_installed (t, first);
  objects = token_objects (t);
  keys_before = count_objects (objects, "private", NULL);
  g_assert_cmpuint (keys_before, ==, 1);

  g_subprocess_send_signal (t->e2e.forwarder, SIGSTOP);
  enrolling = spawn_cradlectl (&t->e2e, args);
  reached = wait_after_key (t, enrolling, "type");
  stop_server (t);
  g_subprocess_send_signal (t->e2e.forwarder, SIGCONT);
  g_assert_true (reached);
  g_assert_cmpint (finish_cradlectl (enrolling, &out, NULL), ==, 6);
  gone = parse_json (out);
  g_assert_cmpstr (error_code (gone), ==, "device-gone");
  g_assert_cmpstr (error_detail (gone), ==, "TOKEN_REMOVED");
  /* Nothing was sent: no request of it in the pending store. */
  requests = run_json (t, pending_args, 0);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (requests)), ==, 1);

  /* The new key is on the token, with no certificate yet. */
  g_clear_pointer (&objects, json_node_unref);
  objects = token_objects (t);
  g_assert_cmpuint (count_objects (objects, "private", NULL), ==, keys_before + 1);
  g_assert_cmpuint (count_objects (objects, "cert", first_key), ==, 1);

  /* Served again: the key already made is the one signed with. */
  serve_token (t);
  done = run_json (t, args, 0);
  key_id = assert_token_installed (t, done);
  g_assert_cmpstr (key_id, !=, first_key);
  runs = journal (&t->e2e, int_member (done, "request"));
  g_assert_true (g_str_has_prefix (first_step_text (runs, "generate-key"),
                                   "Continuing with the"));
  g_clear_pointer (&objects, json_node_unref);
  objects = token_objects (t);
  g_assert_cmpuint (count_objects (objects, "private", NULL), ==, keys_before + 1);
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
#define ADD(name, function)                                                                   \
      G_STMT_START {                                                                          \
        g_autofree char *path = g_strdup_printf ("/token-e2e/%s/" name, connector->protocol);  \
        g_test_add (path, Token, connector, token_set_up, function, token_tear_down);         \
      } G_STMT_END

      ADD ("issued", test_issued);
      /* micromdm's SCEP server never answers PENDING. */
      if (!g_str_equal (connector->protocol, "scep"))
        ADD ("pending-then-approved", test_pending_then_approved);
      ADD ("denied", test_denied);
      ADD ("renewed", test_renewed);
#undef ADD
    }
  g_test_add ("/token-e2e/certsrv/renewed-same-key", Token, &connectors[0], token_set_up, test_renewed_same_key,
              token_tear_down);
  g_test_add ("/token-e2e/certsrv/gone-while-at-ca", Token, &connectors[0], token_set_up, test_gone_while_at_ca,
              token_tear_down);
  g_test_add ("/token-e2e/certsrv/gone-while-signing", Token, &connectors[0], token_set_up, test_gone_while_signing,
              token_tear_down);

  status = g_test_run ();
  cradle_test_lab_cleanup ();
  return status;
}
