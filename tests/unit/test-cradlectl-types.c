/* test-cradlectl-types.c: `cradlectl types` as an administrator and a script
 * use it: add, show, edit, remove; problems per option with nothing written;
 * the SCEP challenge only in its 0600 file, never in the type file, the
 * output or the journal */
#include <string.h>
#include <sys/stat.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#define CHALLENGE "Sc3p-ch4llenge-0f-the-test"

typedef struct {
  char *home;
  char *config;
  char *system;
  char *state;
  char *types;
} Fixture;

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

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->home = g_dir_make_tmp ("cradlectl-types-XXXXXX", NULL);
  fixture->config = g_build_filename (fixture->home, "config", NULL);
  fixture->system = g_build_filename (fixture->home, "system", NULL);
  fixture->state = g_build_filename (fixture->home, "state", NULL);
  fixture->types = g_build_filename (fixture->config, "types.d", NULL);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  remove_tree (fixture->home);
  g_free (fixture->home);
  g_free (fixture->config);
  g_free (fixture->system);
  g_free (fixture->state);
  g_free (fixture->types);
}

/* cradlectl @args (after "types" unless @command), @input on its
 * standard input, @variable set to @value when given; its exit code. */
static int
run_full (Fixture             *fixture,
          const char          *command,
          const char * const  *args,
          const char          *input,
          const char          *variable,
          const char          *value,
          char               **out,
          char               **err)
{
  g_autofree char *program = g_build_filename (g_getenv ("CRADLE_BUILD_ROOT"), "cli", "cradlectl", NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *stdout_text = NULL;
  g_autofree char *stderr_text = NULL;

  g_ptr_array_add (argv, program);
  g_ptr_array_add (argv, (gpointer) (command != NULL ? command : "types"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "CRADLE_CONFIG_DIR", fixture->config, TRUE);
  g_subprocess_launcher_setenv (launcher, "CRADLE_SYSTEM_CONFIG_DIR", fixture->system, TRUE);
  g_subprocess_launcher_setenv (launcher, "CRADLE_STATE_DIR", fixture->state, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "CRADLE_USER");
  if (variable != NULL)
    g_subprocess_launcher_setenv (launcher, variable, value, TRUE);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, input, NULL, &stdout_text, &stderr_text, &error);
  g_assert_no_error (error);
  g_test_message ("cradlectl types %s said: %s%s", args[0], stdout_text, stderr_text);
  g_assert_true (g_subprocess_get_if_exited (process));
  /* Whatever it says, it never says the challenge. */
  g_assert_null (strstr (stdout_text, CHALLENGE));
  g_assert_null (strstr (stderr_text, CHALLENGE));
  if (out != NULL)
    *out = g_steal_pointer (&stdout_text);
  if (err != NULL)
    *err = g_steal_pointer (&stderr_text);
  return g_subprocess_get_exit_status (process);
}

static int
run (Fixture             *fixture,
     const char * const  *args,
     const char          *input,
     char               **out,
     char               **err)
{
  return run_full (fixture, NULL, args, input, NULL, NULL, out, err);
}

static JsonObject *
parse_object (JsonParser *parser,
              const char *text)
{
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_node_get_object (json_parser_get_root (parser));
}

/* The files below @folder that hold @text. */
static void
find_text (const char *folder,
           const char *text,
           GPtrArray  *found)
{
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (folder, name, NULL);
      g_autofree char *data = NULL;
      gsize size = 0;

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        find_text (path, text, found);
      else if (g_file_get_contents (path, &data, &size, NULL) &&
               memmem (data, size, text, strlen (text)) != NULL)
        g_ptr_array_add (found, g_steal_pointer (&path));
    }
}

static void
test_round_trip (Fixture       *fixture,
                 gconstpointer  data)
{
  const char *add[] = { "add", "wifi", "--protocol", "scep", "--url", "http://scep.example.test/scep",
                        "--trust-anchors", "/etc/cradle/scep-ca.pem", "--display-name", "Wi-Fi",
                        "--challenge-file", "-", "--json", NULL };
  const char *show[] = { "show", "wifi", "--json", NULL };
  const char *list[] = { "list", "--json", NULL };
  const char *edit[] = { "edit", "wifi", "--timeout", "45", "--key-type", "rsa3072", "--subject", "CN=Phone", NULL };
  const char *remove[] = { "remove", "wifi", NULL };
  g_autofree char *conf = g_build_filename (fixture->types, "wifi.conf", NULL);
  g_autofree char *secret = g_build_filename (fixture->types, "wifi.challenge", NULL);
  g_autofree char *out = NULL;
  g_autofree char *conf_text = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) holders = g_ptr_array_new_with_free_func (g_free);
  JsonObject *object;
  JsonArray *types;
  GStatBuf st;

  g_assert_cmpint (run (fixture, add, CHALLENGE "\n", &out, NULL), ==, 0);
  object = parse_object (parser, out);
  g_assert_cmpstr (json_object_get_string_member (object, "name"), ==, "wifi");
  g_assert_cmpstr (json_object_get_string_member (object, "source"), ==, conf);
  g_assert_cmpstr (json_object_get_string_member (object, "challenge_file"), ==, secret);
  g_assert_cmpstr (json_object_get_string_member (object, "scope"), ==, "user");
  g_clear_pointer (&out, g_free);

  /* The challenge: one file, 0600, and in no other. */
  g_assert_cmpint (g_stat (secret, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  find_text (fixture->home, CHALLENGE, holders);
  g_assert_cmpuint (holders->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (holders, 0), ==, secret);
  g_assert_true (g_file_get_contents (conf, &conf_text, NULL, NULL));
  g_assert_nonnull (strstr (conf_text, "ChallengeFile="));

  g_assert_cmpint (run (fixture, show, NULL, &out, NULL), ==, 0);
  object = parse_object (parser, out);
  g_assert_cmpstr (json_object_get_string_member (object, "display_name"), ==, "Wi-Fi");
  g_assert_cmpstr (json_object_get_string_member (object, "protocol"), ==, "scep");
  g_assert_cmpstr (json_object_get_string_member (object, "url"), ==, "http://scep.example.test/scep");
  g_assert_true (json_object_get_null_member (object, "template"));
  g_clear_pointer (&out, g_free);

  /* edit changes what it is given, and keeps the rest and the challenge. */
  g_assert_cmpint (run (fixture, edit, NULL, NULL, NULL), ==, 0);
  g_assert_cmpint (run (fixture, show, NULL, &out, NULL), ==, 0);
  object = parse_object (parser, out);
  g_assert_cmpint (json_object_get_int_member (object, "timeout"), ==, 45);
  g_assert_cmpstr (json_object_get_string_member (object, "key_type"), ==, "rsa3072");
  g_assert_cmpstr (json_object_get_string_member (object, "subject"), ==, "CN=Phone");
  g_assert_cmpstr (json_object_get_string_member (object, "display_name"), ==, "Wi-Fi");
  g_assert_cmpstr (json_object_get_string_member (object, "challenge_file"), ==, secret);
  g_assert_true (g_file_test (secret, G_FILE_TEST_IS_REGULAR));
  g_clear_pointer (&out, g_free);

  g_assert_cmpint (run (fixture, list, NULL, &out, NULL), ==, 0);
  object = parse_object (parser, out);
  types = json_object_get_array_member (object, "types");
  g_assert_cmpuint (json_array_get_length (types), ==, 1);
  g_clear_pointer (&out, g_free);

  g_assert_cmpint (run (fixture, remove, NULL, &out, NULL), ==, 0);
  g_assert_false (g_file_test (conf, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (secret, G_FILE_TEST_EXISTS));
  g_clear_pointer (&out, g_free);
  /* Gone: show and remove say so, exit 7. */
  g_assert_cmpint (run (fixture, show, NULL, NULL, &out), ==, 7);
  g_assert_nonnull (strstr (out, "There is no certificate type wifi"));
  g_clear_pointer (&out, g_free);
  g_assert_cmpint (run (fixture, remove, NULL, NULL, &out), ==, 7);
  g_assert_nonnull (strstr (out, "There is no certificate type wifi"));
}

/* --piv-slot and --attestation: saved as PivSlot= and Attestation=, shown,
 * and a wrong one told against its option with nothing saved. */
static void
test_token_fields (Fixture       *fixture,
                   gconstpointer  data)
{
  const char *add[] = { "add", "piv-sign", "--protocol", "est", "--url", "https://ca.example.test/.well-known/est",
                        "--piv-slot", "9c", "--attestation", "include", "--json", NULL };
  const char *wrong[] = { "add", "piv-bad", "--protocol", "est", "--url", "https://ca.example.test/.well-known/est",
                          "--piv-slot", "f9", "--attestation", "always", NULL };
  g_autofree char *conf = g_build_filename (fixture->types, "piv-sign.conf", NULL);
  g_autofree char *bad_conf = g_build_filename (fixture->types, "piv-bad.conf", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *conf_text = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *object;

  g_assert_cmpint (run (fixture, add, NULL, &out, NULL), ==, 0);
  object = parse_object (parser, out);
  g_assert_cmpstr (json_object_get_string_member (object, "piv_slot"), ==, "9c");
  g_assert_cmpstr (json_object_get_string_member (object, "attestation"), ==, "include");
  g_assert_true (g_file_get_contents (conf, &conf_text, NULL, NULL));
  g_assert_nonnull (strstr (conf_text, "\nPivSlot=9c\n"));
  g_assert_nonnull (strstr (conf_text, "\nAttestation=include\n"));

  g_assert_cmpint (run (fixture, wrong, NULL, NULL, &err), ==, 7);
  g_assert_nonnull (strstr (err, "--piv-slot: PivSlot 'f9' is not a PIV key slot"));
  g_assert_nonnull (strstr (err, "--attestation: Attestation 'always' is not one of check, require, include"));
  g_assert_false (g_file_test (bad_conf, G_FILE_TEST_EXISTS));
}

static void
assert_nothing_written (Fixture *fixture)
{
  g_autoptr(GDir) dir = g_dir_open (fixture->types, 0, NULL);

  g_assert_true (dir == NULL || g_dir_read_name (dir) == NULL);
}

static void
test_invalid_fields (Fixture       *fixture,
                     gconstpointer  data)
{
  const char *add[] = { "add", "bad", "--protocol", "smtp", "--url", "ftp://ca.example.test/",
                        "--timeout", "soon", "--trust-anchors", "ca.pem", "--json", NULL };
  const char *plain[] = { "add", "web", "--url", "http://ca.example.test/certsrv", "--template", "User", NULL };
  const char *kerberos[] = { "add", "web", "--url", "http://ca.example.test/certsrv", "--template", "User",
                             "--no-tls", NULL };
  const char *no_tls[] = { "add", "web", "--url", "http://ca.example.test/certsrv", "--template", "User",
                           "--no-tls", "--auth", "none", NULL };
  const char *on_command_line[] = { "add", "wifi", "--protocol", "scep", "--url", "http://scep.example.test/",
                                    "--challenge", CHALLENGE, NULL };
  const char *not_scep[] = { "add", "est", "--protocol", "est", "--url", "https://est.example.test/",
                             "--challenge-file", "-", NULL };
  const char *edit_missing[] = { "edit", "nothing", "--timeout", "5", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GHashTable) fields = g_hash_table_new (g_str_hash, g_str_equal);
  JsonObject *object;
  JsonArray *problems;

  /* Every problem, each against its option, and nothing written. */
  g_assert_cmpint (run (fixture, add, NULL, &out, &err), ==, 7);
  object = json_object_get_object_member (parse_object (parser, out), "error");
  g_assert_cmpstr (json_object_get_string_member (object, "code"), ==, "invalid-data");
  problems = json_object_get_array_member (object, "problems");
  for (guint i = 0; i < json_array_get_length (problems); i++)
    g_hash_table_add (fields, (gpointer) json_object_get_string_member (json_array_get_object_element (problems, i),
                                                                         "field"));
  g_assert_true (g_hash_table_contains (fields, "protocol"));
  g_assert_true (g_hash_table_contains (fields, "url"));
  g_assert_true (g_hash_table_contains (fields, "timeout"));
  g_assert_true (g_hash_table_contains (fields, "trust-anchors"));
  g_assert_nonnull (strstr (err, "--protocol: Protocol 'smtp' is not one of certsrv, wstep, scep, est"));
  g_assert_nonnull (strstr (err, "--url: URL 'ftp://ca.example.test/' is not an http:// or https:// URL"));
  g_assert_nonnull (strstr (err, "--trust-anchors: TrustAnchors 'ca.pem' must be an absolute path"));
  g_assert_nonnull (strstr (err, "nothing was saved"));
  assert_nothing_written (fixture);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Plain HTTP: refused unless chosen, and then Kerberos still needs TLS. */
  g_assert_cmpint (run (fixture, plain, NULL, NULL, &err), ==, 7);
  g_assert_nonnull (strstr (err, "--url: http://ca.example.test/certsrv is plain http://"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run (fixture, kerberos, NULL, NULL, &err), ==, 7);
  g_assert_nonnull (strstr (err, "--auth: Auth=kerberos"));
  assert_nothing_written (fixture);
  g_clear_pointer (&err, g_free);
  /* Chosen: saved, with a warning of what it exposes. */
  g_assert_cmpint (run (fixture, no_tls, NULL, NULL, &err), ==, 0);
  g_assert_nonnull (strstr (err, "Warning: this type allows plain http://"));
  g_assert_nonnull (strstr (err, "anyone on the way can read the requests"));
  g_clear_pointer (&err, g_free);

  /* The challenge never from the command line, and only for SCEP. */
  g_assert_cmpint (run (fixture, on_command_line, NULL, NULL, &err), ==, 7);
  g_assert_nonnull (strstr (err, "--challenge"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run (fixture, not_scep, CHALLENGE "\n", NULL, &err), ==, 7);
  g_assert_nonnull (strstr (err, "for SCEP types only"));
  g_clear_pointer (&err, g_free);
  {
    g_autofree char *est = g_build_filename (fixture->types, "est.conf", NULL);

    g_assert_false (g_file_test (est, G_FILE_TEST_EXISTS));
  }

  g_assert_cmpint (run (fixture, edit_missing, NULL, NULL, &err), ==, 7);
  g_assert_nonnull (strstr (err, "There is no certificate type nothing to edit"));
}

/* An administrator's type edited by a user becomes the user's own, which
 * wins; the administrator's file is untouched. */
static void
test_edit_system_type (Fixture       *fixture,
                       gconstpointer  data)
{
  const char *edit[] = { "edit", "est", "--label", "phones", NULL };
  const char *show[] = { "show", "est", "--json", NULL };
  g_autofree char *system_types = g_build_filename (fixture->system, "types.d", NULL);
  g_autofree char *system_conf = g_build_filename (system_types, "est.conf", NULL);
  g_autofree char *user_conf = g_build_filename (fixture->types, "est.conf", NULL);
  const char *original = "[Cradle Certificate Type]\nName=est\nProtocol=est\nURL=https://est.example.test/\n";
  g_autofree char *after = NULL;
  g_autofree char *out = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *object;

  g_assert_cmpint (g_mkdir_with_parents (system_types, 0700), ==, 0);
  g_file_set_contents (system_conf, original, -1, &error);
  g_assert_no_error (error);

  g_assert_cmpint (run (fixture, show, NULL, &out, NULL), ==, 0);
  object = parse_object (parser, out);
  g_assert_cmpstr (json_object_get_string_member (object, "scope"), ==, "system");
  g_clear_pointer (&out, g_free);

  g_assert_cmpint (run (fixture, edit, NULL, NULL, NULL), ==, 0);
  g_assert_true (g_file_get_contents (system_conf, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, original);
  g_assert_true (g_file_test (user_conf, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpint (run (fixture, show, NULL, &out, NULL), ==, 0);
  object = parse_object (parser, out);
  g_assert_cmpstr (json_object_get_string_member (object, "scope"), ==, "user");
  g_assert_cmpstr (json_object_get_string_member (object, "label"), ==, "phones");
}

/* cradlectl reads CRADLE_USER as the app does; without a password file
 * it says what to do instead of signing in as someone else. */
static void
test_user_from_environment (Fixture       *fixture,
                            gconstpointer  data)
{
  const char *whoami[] = { "--dc", "ldap://127.0.0.1:9", NULL };
  g_autofree char *err = NULL;

  g_assert_cmpint (run_full (fixture, "whoami", whoami, NULL, "CRADLE_USER", "alice", NULL, &err), ==, 4);
  g_assert_nonnull (strstr (err, "CRADLE_USER says to sign in as alice with a password"));
  g_assert_nonnull (strstr (err, "--password-file"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/cradlectl-types/round-trip", Fixture, NULL, fixture_set_up, test_round_trip, fixture_tear_down);
  g_test_add ("/cradlectl-types/token-fields", Fixture, NULL, fixture_set_up, test_token_fields, fixture_tear_down);
  g_test_add ("/cradlectl-types/invalid-fields", Fixture, NULL, fixture_set_up, test_invalid_fields,
              fixture_tear_down);
  g_test_add ("/cradlectl-types/edit-system-type", Fixture, NULL, fixture_set_up, test_edit_system_type,
              fixture_tear_down);
  g_test_add ("/cradlectl-types/user-from-environment", Fixture, NULL, fixture_set_up, test_user_from_environment,
              fixture_tear_down);
  return g_test_run ();
}
