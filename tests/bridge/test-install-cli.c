/* test-install-cli.c: `cradlectl install FILE` against a simulated device
 *
 * The real cradlectl and the real agent on its socket. The PFX's password
 * is given the ways a user can (a file, standard input) and must never
 * reach the output, an error, the host's state (journal, pending store,
 * keys) or the device.
 */
#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>
#include <cradle/cradle.h>

#include "test-files.h"

#define PASSWORD "Pfx secret 4711"
#define SERIAL   "CLI-FILE-1"

typedef struct {
  char        *home;
  char        *runtime;
  char        *state;
  char        *store;
  GSubprocess *agent;
} Fixture;

static char *
build_path (const char *first,
            ...)
{
  va_list args;
  char *path;

  va_start (args, first);
  path = g_build_filename_valist (first, &args);
  va_end (args);
  return path;
}

static void
run_command (const char  *program,
             const char  *const *args,
             int         *status,
             char       **out,
             char       **err)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (argv, (gpointer) program);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               out, err, status, &error));
  g_assert_no_error (error);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *agent = build_path (g_getenv ("CRADLE_BUILD_ROOT"), "bridge", "agent", "cradle-agent", NULL);
  g_autofree char *kek = NULL;
  g_autofree char *socket = NULL;
  /* Its "listening" line is not TAP. */
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_autoptr(GError) error = NULL;
  gint64 deadline;

  fixture->home = g_dir_make_tmp ("cradle-install-cli-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->runtime = build_path (fixture->home, "run", NULL);
  fixture->state = build_path (fixture->home, "state", NULL);
  fixture->store = build_path (fixture->home, "device", NULL);
  kek = build_path (fixture->home, "device.kek", NULL);
  socket = build_path (fixture->runtime, "devices", SERIAL ".sock", NULL);
  g_setenv ("CRADLE_RUNTIME_DIR", fixture->runtime, TRUE);
  g_setenv ("CRADLE_STATE_DIR", fixture->state, TRUE);
  g_setenv ("CRADLE_CONFIG_DIR", fixture->home, TRUE);
  g_subprocess_launcher_setenv (launcher, "CRADLE_RUNTIME_DIR", fixture->runtime, TRUE);
  fixture->agent = g_subprocess_launcher_spawn (launcher, &error, agent, "--serial", SERIAL, "--store",
                                                fixture->store, "--kek-file", kek, "--confirm=approve", NULL);
  g_assert_no_error (error);
  /* Waits for the socket, as long as the agent lives; no time is asserted. */
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (!g_file_test (socket, G_FILE_TEST_EXISTS) && g_get_monotonic_time () < deadline)
    g_usleep (20 * 1000);
  g_assert_true (g_file_test (socket, G_FILE_TEST_EXISTS));
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  if (fixture->agent != NULL)
    {
      g_subprocess_send_signal (fixture->agent, SIGTERM);
      g_subprocess_wait (fixture->agent, NULL, NULL);
      g_clear_object (&fixture->agent);
    }
  test_remove_tree (fixture->home);
  g_free (fixture->home);
  g_free (fixture->runtime);
  g_free (fixture->state);
  g_free (fixture->store);
}

/* A PFX of a fresh key, its certificate and a root, by the openssl command. */
static char *
make_pfx (Fixture *fixture)
{
  g_autofree char *key = build_path (fixture->home, "key.pem", NULL);
  g_autofree char *cert = build_path (fixture->home, "cert.pem", NULL);
  g_autofree char *pass = build_path (fixture->home, "pass.txt", NULL);
  g_autofree char *passout = g_strconcat ("file:", pass, NULL);
  char *pfx = build_path (fixture->home, "user.pfx", NULL);
  const char *req[] = { "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", key, "-out", cert, "-subj", "/CN=CLI File User", "-days", "30", NULL };
  const char *export[] = { "pkcs12", "-export", "-in", cert, "-inkey", key, "-passout", passout, "-out", pfx, NULL };
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_file_set_contents (pass, PASSWORD "\n", -1, &error);
  g_assert_no_error (error);
  run_command ("openssl", req, &status, NULL, NULL);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  run_command ("openssl", export, &status, NULL, NULL);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return pfx;
}

/* Runs cradlectl with @input on its standard input. */
static int
cradlectl (const char  *input,
           char       **out,
           char       **err,
           const char  *first,
           ...)
{
  g_autofree char *program = build_path (g_getenv ("CRADLE_BUILD_ROOT"), "cli", "cradlectl", NULL);
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                               | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  va_list args;

  g_ptr_array_add (argv, program);
  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, input != NULL ? input : "", NULL, out, err, &error);
  g_assert_no_error (error);
  return g_subprocess_get_exit_status (process);
}

/* Whether any file under @folder holds @needle. */
static gboolean
tree_holds (const char *folder,
            const char *needle)
{
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (folder, name, NULL);
      g_autofree char *contents = NULL;
      gsize size = 0;

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          if (tree_holds (path, needle))
            return TRUE;
          continue;
        }
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR) && g_file_get_contents (path, &contents, &size, NULL)
          && memmem (contents, size, needle, strlen (needle)) != NULL)
        return TRUE;
    }
  return FALSE;
}

static void
test_install_pfx (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *pfx = make_pfx (fixture);
  g_autofree char *pass = build_path (fixture->home, "pass.txt", NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *certs_out = NULL, *certs_err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *result;
  JsonArray *listed;
  int status;
  guint imported = 0;

  /* A wrong password, on standard input: refused, and not repeated. */
  status = cradlectl ("Not " PASSWORD "\n", &out, &err, "install", pfx, "--device", "socket:" SERIAL,
                      "--password-file", "-", NULL);
  g_test_message ("wrong password: exit %d: %s%s", status, out, err);
  g_assert_cmpint (status, ==, 4);
  g_assert_nonnull (strstr (err, "password for user.pfx is wrong"));
  g_assert_null (strstr (out, PASSWORD));
  g_assert_null (strstr (err, PASSWORD));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* No password and no terminal: said how to give it. */
  status = cradlectl (NULL, &out, &err, "install", pfx, "--device", "socket:" SERIAL, NULL);
  g_assert_cmpint (status, ==, 4);
  g_assert_nonnull (strstr (err, "--password-file"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  status = cradlectl (NULL, &out, &err, "install", pfx, "--device", "socket:" SERIAL,
                      "--password-file", pass, "--json", NULL);
  g_test_message ("install: exit %d: %s%s", status, out, err);
  g_assert_cmpint (status, ==, 0);
  g_assert_null (strstr (out, PASSWORD));
  g_assert_null (strstr (err, PASSWORD));
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  result = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (result, "format"), ==, "pfx");
  g_assert_cmpint (json_object_get_int_member (result, "added"), ==, 1);

  /* What the device holds says where the key came from. */
  status = cradlectl (NULL, &certs_out, &certs_err, "certs", "--device", "socket:" SERIAL, "--json", NULL);
  g_assert_cmpint (status, ==, 0);
  json_parser_load_from_data (parser, certs_out, -1, &error);
  g_assert_no_error (error);
  listed = json_node_get_array (json_parser_get_root (parser));
  for (guint i = 0; i < json_array_get_length (listed); i++)
    {
      JsonObject *cert = json_array_get_object_element (listed, i);

      if (json_object_has_member (cert, "key_origin")
          && g_str_equal (json_object_get_string_member (cert, "key_origin"), "imported"))
        imported++;
    }
  g_assert_cmpuint (imported, ==, 1);

  /* Nowhere on the host's side or the device's. */
  g_assert_false (tree_holds (fixture->state, PASSWORD));
  g_assert_false (tree_holds (fixture->store, PASSWORD));
  g_assert_false (tree_holds (fixture->runtime, PASSWORD));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/install-cli/pfx-password-never-shown", Fixture, NULL, fixture_set_up, test_install_pfx,
              fixture_tear_down);
  return g_test_run ();
}
