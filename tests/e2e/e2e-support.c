/* e2e-support.c: what the end-to-end cases share — a test's own folders and
 * configuration, the simulated device, the stoppable CA forwarder, type
 * files, cradlectl and its JSON, and the CA officer */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <glib/gstdio.h>

#include "e2e-support.h"

const char *
env (E2e        *e2e,
     const char *name)
{
  const char *value = cradle_test_lab_env (e2e->lab, name);

  g_assert_nonnull (value);
  return value;
}

const char *
alice_ccache (E2e *e2e)
{
  static char *ccache;

  /* One ticket for the whole program (its cases run one after another). */
  if (ccache == NULL)
    ccache = cradle_test_lab_kinit (e2e->lab, "alice");
  return ccache;
}

static const char *
bob_ccache (E2e *e2e)
{
  static char *ccache;

  if (ccache == NULL)
    ccache = cradle_test_lab_kinit (e2e->lab, "bob");
  return ccache;
}

/* Children die with the test, even when an assertion aborts it. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static GSubprocessLauncher *
launcher_new (GSubprocessFlags flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  return launcher;
}

static char *
build_path (const char *first,
            ...)
{
  const char *root = g_getenv ("CRADLE_BUILD_ROOT");
  va_list args;
  char *path;
  g_autofree char *rest = NULL;

  g_assert_nonnull (root);
  va_start (args, first);
  rest = g_build_filename_valist (first, &args);
  va_end (args);
  path = g_build_filename (root, rest, NULL);
  return path;
}

void
write_file (const char *path,
            const char *content)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents_full (path, content, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error);
  g_assert_no_error (error);
}

void
e2e_set_up (E2e           *e2e,
            gconstpointer  data)
{
  const Connector *connector = data;
  static gint counter;
  g_autofree char *types = NULL;
  g_autofree char *conf = NULL;
  g_autofree char *conf_path = NULL;

  e2e->lab = cradle_test_lab_get ();
  e2e->protocol = connector != NULL ? connector->protocol : "certsrv";
  if (e2e->lab == NULL)
    return;
  e2e->home = g_dir_make_tmp ("cradle-e2e-XXXXXX", NULL);
  g_assert_nonnull (e2e->home);
  e2e->runtime = g_build_filename (e2e->home, "run", NULL);
  e2e->state = g_build_filename (e2e->home, "state", NULL);
  e2e->config = g_build_filename (e2e->home, "config", NULL);
  e2e->store = g_build_filename (e2e->home, "device", NULL);
  types = g_build_filename (e2e->config, "types.d", NULL);
  g_assert_cmpint (g_mkdir_with_parents (types, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (e2e->runtime, 0700), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (e2e->store, 0700), ==, 0);
  /* Unique among the suites running at once: SCEP issues by subject. */
  e2e->serial = g_strdup_printf ("E2E-%d-%d-%s", (int) getpid (), g_atomic_int_add (&counter, 1), e2e->protocol);
  if (g_str_equal (e2e->protocol, "scep"))
    {
      /* TrustAnchors names one file: the lab's root and its SCEP CA
       * (micromdm's, which the SCEP connector checks GetCACert against),
       * also the default, for a stored request retrieved without its type. */
      g_autofree char *root = NULL;
      g_autofree char *scep_ca = NULL;
      g_autofree char *both = NULL;

      g_assert_true (g_file_get_contents (env (e2e, "CRADLE_LAB_ROOT_CA"), &root, NULL, NULL));
      g_assert_true (g_file_get_contents (env (e2e, "CRADLE_LAB_SCEP_CA"), &scep_ca, NULL, NULL));
      e2e->anchors = g_build_filename (e2e->config, "anchors.pem", NULL);
      both = g_strconcat (root, g_str_has_suffix (root, "\n") ? "" : "\n", scep_ca, NULL);
      write_file (e2e->anchors, both);
    }
  else
    e2e->anchors = g_strdup (env (e2e, "CRADLE_LAB_ROOT_CA"));
  conf = g_strdup_printf ("[Enrollment]\nTrustAnchors=%s\n", e2e->anchors);
  conf_path = g_build_filename (e2e->config, "cradle.conf", NULL);
  write_file (conf_path, conf);
}

void
stop_process (GSubprocess **process,
              int           signal_number)
{
  if (*process == NULL)
    return;
  g_subprocess_send_signal (*process, signal_number);
  g_subprocess_wait (*process, NULL, NULL);
  g_clear_object (process);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

void
e2e_tear_down (E2e           *e2e,
               gconstpointer  data)
{
  stop_process (&e2e->agent, SIGTERM);
  stop_process (&e2e->forwarder, SIGTERM);
  if (e2e->home != NULL)
    remove_tree (e2e->home);
  g_free (e2e->home);
  g_free (e2e->runtime);
  g_free (e2e->state);
  g_free (e2e->config);
  g_free (e2e->anchors);
  g_free (e2e->store);
  g_free (e2e->serial);
}

gboolean
skipped (E2e *e2e)
{
  if (e2e->lab != NULL)
    return FALSE;
  g_test_skip (cradle_test_lab_skip_reason ());
  return TRUE;
}

/* ---- the simulated device --------------------------------------------- */

static GSubprocess *
spawn_agent_valist (E2e        *e2e,
                    const char *serial,
                    const char *store,
                    const char *first_arg,
                    va_list     args)
{
  g_autoptr(GSubprocessLauncher) launcher = launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDataInputStream) output = NULL;
  g_autofree char *line = NULL;
  g_autoptr(GError) error = NULL;
  GSubprocess *agent;

  g_ptr_array_add (argv, build_path ("bridge", "agent", "cradle-agent", NULL));
  g_ptr_array_add (argv, g_strdup_printf ("--serial=%s", serial));
  g_ptr_array_add (argv, g_strdup_printf ("--store=%s", store));
  g_ptr_array_add (argv, g_strdup_printf ("--kek-file=%s.kek", store));
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (arg));
  g_ptr_array_add (argv, NULL);

  g_subprocess_launcher_setenv (launcher, "CRADLE_RUNTIME_DIR", e2e->runtime, TRUE);
  agent = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (agent));
  line = g_data_input_stream_read_line (output, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_nonnull (strstr (line, "listening on"));
  return agent;
}

/* A listening agent for our serial on our store; @first_arg: its
 * --confirm options. */
void
start_agent (E2e        *e2e,
             const char *first_arg,
             ...)
{
  va_list args;

  g_assert_null (e2e->agent);
  va_start (args, first_arg);
  e2e->agent = spawn_agent_valist (e2e, e2e->serial, e2e->store, first_arg, args);
  va_end (args);
}

GSubprocess *
start_device (E2e        *e2e,
              const char *serial,
              const char *first_arg,
              ...)
{
  g_autofree char *store = g_build_filename (e2e->home, serial, NULL);
  GSubprocess *agent;
  va_list args;

  g_assert_cmpint (g_mkdir_with_parents (store, 0700), ==, 0);
  va_start (args, first_arg);
  agent = spawn_agent_valist (e2e, serial, store, first_arg, args);
  va_end (args);
  return agent;
}

/* Unplugged: the agent dies without a word. */
void
kill_agent (E2e *e2e)
{
  stop_process (&e2e->agent, SIGKILL);
}

/* ---- a CA front-end that can be stopped ---------------------------------- */

void
start_forwarder (E2e   *e2e,
                 guint  target_port)
{
  g_autofree char *script = g_build_filename (g_getenv ("CRADLE_SOURCE_ROOT"), "tests", "e2e", "tcp-forward.py",
                                              NULL);
  g_autofree char *port = g_strdup_printf ("%u", e2e->forward_port);
  g_autofree char *target = g_strdup_printf ("%u", target_port);
  g_autoptr(GDataInputStream) output = NULL;
  g_autofree char *line = NULL;
  g_autoptr(GError) error = NULL;
  guint64 listening = 0;

  g_autoptr(GSubprocessLauncher) launcher = launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);

  g_assert_null (e2e->forwarder);
  e2e->forwarder = g_subprocess_launcher_spawn (launcher, &error, "/usr/bin/python3", script, port, "127.0.0.1",
                                                target, NULL);
  g_assert_no_error (error);
  output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (e2e->forwarder));
  line = g_data_input_stream_read_line (output, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "port "));
  g_assert_true (g_ascii_string_to_unsigned (line + 5, 10, 1, 65535, &listening, NULL));
  e2e->forward_port = (guint) listening;
}

void
stop_forwarder (E2e *e2e)
{
  stop_process (&e2e->forwarder, SIGKILL);
}

/* @url with its host's port replaced by the forwarder's. */
char *
through_forwarder (E2e        *e2e,
                   const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);
  g_autoptr(GUri) moved = NULL;

  g_assert_nonnull (uri);
  moved = g_uri_build (G_URI_FLAGS_ENCODED, g_uri_get_scheme (uri), NULL, g_uri_get_host (uri),
                       (gint) e2e->forward_port, g_uri_get_path (uri), NULL, NULL);
  return g_uri_to_string (moved);
}

/* ---- certificate types ---------------------------------------------------- */

/* SHA-256 of the first certificate of the PEM file @path, as hex: what a
 * type's CAFingerprint takes (plain hex here; colons are read too). */
static char *
pem_sha256 (const char *path)
{
  g_autofree char *text = NULL;
  g_autofree guint8 *der = NULL;
  const char *begin, *end;
  gsize size = 0;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  begin = strstr (text, "-----BEGIN CERTIFICATE-----");
  g_assert_nonnull (begin);
  begin += strlen ("-----BEGIN CERTIFICATE-----");
  end = strstr (begin, "-----END CERTIFICATE-----");
  g_assert_nonnull (end);
  {
    g_autofree char *base64 = g_strndup (begin, (gsize) (end - begin));

    der = g_base64_decode (base64, &size);
  }
  g_assert_cmpuint (size, >, 0);
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, der, size);
}

/* A type file for our connector and @template; @url_override: (nullable).
 * SCEP types pin the lab's SCEP CA with CAFingerprint. */
char *
write_type (E2e        *e2e,
            const char *template_name,
            const char *url_override,
            const char *challenge)
{
  g_autofree char *name = g_strdup_printf ("e2e-%s-%s", e2e->protocol, template_name);
  g_autofree char *path = NULL;
  g_autoptr(GString) text = g_string_new ("[Cradle Certificate Type]\n");

  g_string_append_printf (text, "Name=%s\nProtocol=%s\n", name, e2e->protocol);
  if (g_str_equal (e2e->protocol, "certsrv"))
    g_string_append_printf (text, "URL=%s\nTemplate=%s\n",
                            url_override ?: env (e2e, "CRADLE_LAB_CERTSRV_URL"), template_name);
  else if (g_str_equal (e2e->protocol, "wstep"))
    g_string_append_printf (text, "URL=%s\nTemplate=%s\n",
                            url_override ?: env (e2e, "CRADLE_LAB_CES_KERBEROS_URL"), template_name);
  else if (g_str_equal (e2e->protocol, "est"))
    g_string_append_printf (text, "URL=%s\nLabel=%s\nTemplate=%s\n",
                            url_override ?: env (e2e, "CRADLE_LAB_EST_URL"), template_name, template_name);
  else
    {
      g_autofree char *secret = g_build_filename (e2e->config, "scep-challenge", NULL);

      g_autofree char *fingerprint = pem_sha256 (env (e2e, "CRADLE_LAB_SCEP_CA"));

      write_file (secret, challenge != NULL ? challenge : env (e2e, "CRADLE_LAB_SCEP_CHALLENGE"));
      g_string_append_printf (text, "URL=%s\nSubject=CN=%s,O=Cradle Tests\nChallengeFile=%s\nKeyType=rsa2048\n"
                              "CAFingerprint=%s\n",
                              url_override ?: env (e2e, "CRADLE_LAB_SCEP_URL"), e2e->serial, secret, fingerprint);
    }
  if (!g_str_equal (e2e->protocol, "scep"))
    g_string_append (text, "Auth=kerberos\n");
  g_string_append_printf (text, "TrustAnchors=%s\n", e2e->anchors);
  path = g_strdup_printf ("%s/types.d/%s.conf", e2e->config, name);
  write_file (path, text->str);
  return g_steal_pointer (&name);
}

/* ---- cradlectl ------------------------------------------------------------ */

GSubprocess *
spawn_cradlectl (E2e                *e2e,
                 const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *program = build_path ("cli", "cradlectl", NULL);
  g_autofree char *none = g_build_filename (e2e->home, "no-system-config", NULL);
  g_autofree char *cache = g_build_filename (e2e->home, "cache", NULL);
  g_autoptr(GError) error = NULL;
  GSubprocess *process;

  g_ptr_array_add (argv, program);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  launcher = launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "CRADLE_RUNTIME_DIR", e2e->runtime, TRUE);
  g_subprocess_launcher_setenv (launcher, "CRADLE_STATE_DIR", e2e->state, TRUE);
  g_subprocess_launcher_setenv (launcher, "CRADLE_CONFIG_DIR", e2e->config, TRUE);
  g_subprocess_launcher_setenv (launcher, "CRADLE_SYSTEM_CONFIG_DIR", none, TRUE);
  g_subprocess_launcher_setenv (launcher, "CRADLE_CACHE_DIR", cache, TRUE);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  return process;
}

int
finish_cradlectl (GSubprocess  *process,
                  char        **out,
                  char        **err)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;

  g_subprocess_communicate_utf8 (process, NULL, NULL, &stdout_text, &stderr_text, &error);
  g_assert_no_error (error);
  g_test_message ("cradlectl said: %s%s", stdout_text, stderr_text);
  if (!g_subprocess_get_if_exited (process))
    g_error ("cradlectl did not exit: it was killed by signal %d. It said: %s%s",
             g_subprocess_get_term_sig (process), stdout_text, stderr_text);
  if (out != NULL)
    *out = g_steal_pointer (&stdout_text);
  if (err != NULL)
    *err = g_steal_pointer (&stderr_text);
  return g_subprocess_get_exit_status (process);
}

int
cradlectl (E2e                *e2e,
           const char * const *args,
           char              **out,
           char              **err)
{
  g_autoptr(GSubprocess) process = spawn_cradlectl (e2e, args);

  return finish_cradlectl (process, out, err);
}

JsonNode *
parse_json (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

/* `cradlectl enroll --type TYPE --json` as alice, or as @user's ccache. */
GSubprocess *
spawn_enroll (E2e        *e2e,
              const char *type,
              const char *ccache)
{
  const char *args[] = { "enroll", "--type", type, "--json", "--dc", env (e2e, "CRADLE_LAB_LDAP_URI"),
                         "--ccache", ccache != NULL ? ccache : alice_ccache (e2e), NULL };

  return spawn_cradlectl (e2e, args);
}

JsonNode *
enroll_as (E2e        *e2e,
           const char *type,
           const char *ccache,
           int         expected_exit)
{
  g_autoptr(GSubprocess) process = spawn_enroll (e2e, type, ccache);
  g_autofree char *out = NULL;

  g_assert_cmpint (finish_cradlectl (process, &out, NULL), ==, expected_exit);
  return parse_json (out);
}

JsonNode *
enroll (E2e        *e2e,
        const char *type,
        int         expected_exit)
{
  return enroll_as (e2e, type, NULL, expected_exit);
}

/* `cradlectl retrieve REQUEST --json` as alice, left running. */
GSubprocess *
spawn_retrieve (E2e    *e2e,
                gint64  request)
{
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, request);
  const char *args[] = { "retrieve", id, "--json", "--ccache", alice_ccache (e2e), NULL };

  return spawn_cradlectl (e2e, args);
}

JsonNode *
retrieve_as (E2e        *e2e,
             gint64      request,
             const char *ccache,
             int         expected_exit)
{
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, request);
  const char *args[] = { "retrieve", id, "--json", "--ccache", ccache != NULL ? ccache : alice_ccache (e2e),
                         NULL };
  g_autofree char *out = NULL;

  g_assert_cmpint (cradlectl (e2e, args, &out, NULL), ==, expected_exit);
  return parse_json (out);
}

JsonNode *
retrieve (E2e    *e2e,
          gint64  request,
          int     expected_exit)
{
  return retrieve_as (e2e, request, NULL, expected_exit);
}

/* The stored request @id as `cradlectl pending --all --json` shows it. */
JsonNode *
stored_request (E2e    *e2e,
                gint64  id)
{
  const char *args[] = { "pending", "--all", "--json", NULL };
  g_autofree char *out = NULL;
  g_autoptr(JsonNode) root = NULL;
  JsonArray *requests;

  g_assert_cmpint (cradlectl (e2e, args, &out, NULL), ==, 0);
  root = parse_json (out);
  requests = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (requests); i++)
    {
      JsonNode *node = json_array_get_element (requests, i);

      if (json_object_get_int_member (json_node_get_object (node), "id") == id)
        return json_node_copy (node);
    }
  g_assert_not_reached ();
}

/* The journal's runs of @request (0: all), newest first. */
JsonNode *
journal (E2e    *e2e,
         gint64  request)
{
  g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, request);
  const char *with_id[] = { "log", id, "--json", NULL };
  const char *all[] = { "log", "--json", "--limit", "0", NULL };
  g_autofree char *out = NULL;

  g_assert_cmpint (cradlectl (e2e, request > 0 ? with_id : all, &out, NULL), ==, 0);
  return parse_json (out);
}

/* The step @name of the newest run, or %NULL. */
JsonObject *
newest_step (JsonNode   *runs,
             const char *name)
{
  JsonArray *array = json_node_get_array (runs);
  JsonArray *steps;
  JsonObject *found = NULL;

  if (json_array_get_length (array) == 0)
    return NULL;
  steps = json_object_get_array_member (json_array_get_object_element (array, 0), "steps");
  for (guint i = 0; i < json_array_get_length (steps); i++)
    if (g_str_equal (json_object_get_string_member (json_array_get_object_element (steps, i), "step"), name))
      found = json_array_get_object_element (steps, i);
  return found;
}

/* Waits (up to 30 s) until the newest run is in step @name, running. */
gboolean
wait_for_step (E2e         *e2e,
               GSubprocess *process,
               const char  *name)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  g_autofree char *last_error = NULL;

  while (g_get_monotonic_time () < deadline)
    {
      const char *args[] = { "log", "--json", "--limit", "1", NULL };
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      g_autoptr(JsonNode) runs = NULL;
      JsonObject *step;

      /* An enrollment that ended early never gets there: say what it said. */
      if (g_subprocess_get_identifier (process) == NULL)
        {
          g_autofree char *said = NULL;
          int status = finish_cradlectl (process, &said, NULL);

          /* On stderr, which meson shows with a failure. */
          g_printerr ("the enrollment ended (exit %d) before the step '%s': %s\n", status, name, said);
          return FALSE;
        }
      /* The enrollment may hold the state file a moment: ask again. */
      if (cradlectl (e2e, args, &out, &err) != 0)
        {
          g_free (last_error);
          last_error = g_steal_pointer (&err);
          g_usleep (100 * 1000);
          continue;
        }
      runs = parse_json (out);
      step = newest_step (runs, name);

      if (step != NULL && g_str_equal (json_object_get_string_member (step, "outcome"), "running"))
        return TRUE;
      g_usleep (100 * 1000);
    }
  g_printerr ("the enrollment never reached the step '%s'%s%s\n", name,
              last_error != NULL ? "; `cradlectl log` last said: " : "", last_error != NULL ? last_error : "");
  return FALSE;
}

const char *
member (JsonNode   *node,
        const char *name)
{
  JsonObject *object = json_node_get_object (node);

  if (!json_object_has_member (object, name) || JSON_NODE_HOLDS_NULL (json_object_get_member (object, name)))
    return NULL;
  return json_object_get_string_member (object, name);
}

gint64
int_member (JsonNode   *node,
            const char *name)
{
  return json_object_get_int_member (json_node_get_object (node), name);
}

const char *
error_code (JsonNode *node)
{
  return json_object_get_string_member (json_object_get_object_member (json_node_get_object (node), "error"),
                                        "code");
}

/* The device holds the leaf (bound to its key), the issuing CA and the root. */
void
assert_installed (E2e      *e2e,
                  JsonNode *result)
{
  const char *args[] = { "certs", "--json", NULL };
  g_autofree char *out = NULL;
  g_autoptr(JsonNode) certs = NULL;
  JsonObject *leaf;
  JsonArray *array;
  gboolean found_leaf = FALSE;
  guint found_chain = 0;

  g_assert_cmpstr (member (result, "outcome"), ==, "installed");
  leaf = json_object_get_object_member (json_node_get_object (result), "certificate");
  g_assert_nonnull (leaf);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (result), "chain")),
                    >=, 1);
  g_assert_cmpint (cradlectl (e2e, args, &out, NULL), ==, 0);
  certs = parse_json (out);
  array = json_node_get_array (certs);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *cert = json_array_get_object_element (array, i);
      const char *store = json_object_get_string_member (cert, "store");

      if (g_str_equal (store, "MY") &&
          g_str_equal (json_object_get_string_member (cert, "sha256"), json_object_get_string_member (leaf, "sha256")))
        {
          g_assert_true (json_object_get_boolean_member (cert, "has_key"));
          found_leaf = TRUE;
        }
      else if (g_str_equal (store, "CA") || g_str_equal (store, "Root"))
        found_chain++;
    }
  g_assert_true (found_leaf);
  g_assert_cmpuint (found_chain, >=, 1);
}

/* The SCEP challenge is in no file of the state folder (the pending store
 * keeps the request without it). */
void
assert_no_challenge_on_disk (E2e *e2e)
{
  g_autoptr(GDir) dir = NULL;
  const char *secret;
  const char *name;
  guint files = 0;

  if (!g_str_equal (e2e->protocol, "scep"))
    return;
  secret = env (e2e, "CRADLE_LAB_SCEP_CHALLENGE");
  dir = g_dir_open (e2e->state, 0, NULL);
  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (e2e->state, name, NULL);
      g_autofree char *data = NULL;
      gsize size = 0;

      if (!g_file_get_contents (path, &data, &size, NULL))
        continue;
      files++;
      g_assert_null (memmem (data, size, secret, strlen (secret)));
    }
  g_assert_cmpuint (files, >=, 1);
}

/* ---- the CA officer ---------------------------------------------------- */

void
officer (const char *verb,
         const char *ca_request_id)
{
  g_autofree char *script = g_build_filename (g_getenv ("CRADLE_SOURCE_ROOT"), "tests", "lab", "cradle-lab", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;
  const char *argv[] = { script, verb, ca_request_id, NULL };

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("cradle-lab %s %s failed: %s%s", verb, ca_request_id, out, err);
}

/* EST answers 202 without a number: the officer finds the newest pending
 * request of @user through EST for @template_name in the CA's queue.  The
 * EST cases enroll as bob, whom no other suite uses through EST. */
static char *
queue_id_for (const char *user,
              const char *template_name)
{
  g_autofree char *script = g_build_filename (g_getenv ("CRADLE_SOURCE_ROOT"), "tests", "lab", "cradle-lab", NULL);
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  const char *argv[] = { script, "requests", "--pending", NULL };
  guint64 newest = 0;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  /* ID STATUS VIA REQUESTER TEMPLATE ... */
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) words = g_strsplit_set (lines[i], " ", -1);
      const char *field[5] = { NULL };
      guint n = 0;
      guint64 id;

      for (guint w = 0; words[w] != NULL && n < G_N_ELEMENTS (field); w++)
        if (words[w][0] != '\0')
          field[n++] = words[w];
      if (n == G_N_ELEMENTS (field) && g_ascii_string_to_unsigned (field[0], 10, 1, G_MAXUINT32, &id, NULL) &&
          g_str_equal (field[1], "pending") && g_str_equal (field[2], "est") && g_str_equal (field[3], user) &&
          g_str_equal (field[4], template_name))
        newest = MAX (newest, id);
    }
  g_assert_cmpuint (newest, >, 0);
  return g_strdup_printf ("%" G_GUINT64_FORMAT, newest);
}

/* The CA's number for a pending request, as an officer finds it. */
char *
officer_id_for (E2e      *e2e,
                JsonNode *result)
{
  if (g_str_equal (e2e->protocol, "est"))
    return queue_id_for ("bob", "CradleDeviceApproval");
  g_assert_nonnull (member (result, "ca_request_id"));
  return g_strdup (member (result, "ca_request_id"));
}

/* The user of the approval cases (see queue_id_for()). */
const char *
approval_ccache (E2e *e2e)
{
  return g_str_equal (e2e->protocol, "est") ? bob_ccache (e2e) : alice_ccache (e2e);
}

/* ---- the CA behind the forwarder -------------------------------------------- */

guint
ca_port (E2e *e2e)
{
  g_autoptr(GUri) uri = NULL;
  const char *name = g_str_equal (e2e->protocol, "scep") ? "CRADLE_LAB_SCEP_URL" : "CRADLE_LAB_CERTSRV_URL";

  uri = g_uri_parse (env (e2e, name), G_URI_FLAGS_ENCODED, NULL);
  g_assert_nonnull (uri);
  return g_uri_get_port (uri) > 0 ? (guint) g_uri_get_port (uri) : 443;
}

const char *
ca_url_name (E2e *e2e)
{
  if (g_str_equal (e2e->protocol, "certsrv"))
    return "CRADLE_LAB_CERTSRV_URL";
  if (g_str_equal (e2e->protocol, "wstep"))
    return "CRADLE_LAB_CES_KERBEROS_URL";
  if (g_str_equal (e2e->protocol, "est"))
    return "CRADLE_LAB_EST_URL";
  return "CRADLE_LAB_SCEP_URL";
}

/* The template every connector's lab type issues at once. */
const char *
issued_template (E2e *e2e)
{
  return "CradleDeviceUPN";
}

/* An enrollment through a port of our own that is closed, so the CA is
 * down: interrupted (exit 3). @type gets the type; @port the closed port,
 * where start_forwarder() brings the CA back. */
JsonNode *
enroll_with_ca_down (E2e    *e2e,
                     char  **type,
                     guint  *port)
{
  g_autofree char *url = NULL;

  start_agent (e2e, "--confirm=approve", NULL);
  start_forwarder (e2e, ca_port (e2e));
  *port = e2e->forward_port;
  stop_forwarder (e2e);
  url = through_forwarder (e2e, env (e2e, ca_url_name (e2e)));
  *type = write_type (e2e, issued_template (e2e), url, NULL);
  return enroll (e2e, *type, 3);
}
