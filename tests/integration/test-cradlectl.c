/* test-cradlectl.c: `cradlectl whoami` as a script sees it: JSON and exit codes */
#include "config.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "lab.h"

static char *
cradlectl_path (void)
{
  return g_build_filename (g_getenv ("CRADLE_BUILD_ROOT"), "cli", "cradlectl", NULL);
}

/* Runs cradlectl with @argv after the program name; returns its exit code. */
static int
run_cradlectl (const char * const  *args,
               char               **out,
               char               **err)
{
  g_autofree char *program = cradlectl_path ();
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (argv, program);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char * const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, out, err, &error);
  g_assert_no_error (error);
  return g_subprocess_get_exit_status (process);
}

static void
test_whoami_json (void)
{
  CradleTestLab *lab = cradle_test_lab_get ();
  g_autofree char *ccache = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *root;
  JsonArray *groups;
  gboolean found_group = FALSE;

  if (lab == NULL)
    {
      g_test_skip (cradle_test_lab_skip_reason ());
      return;
    }
  ccache = cradle_test_lab_kinit (lab, "alice");
  {
    const char *args[] = { "whoami", "--json", "--dc", cradle_test_lab_env (lab, "CRADLE_LAB_LDAP_URI"),
                           "--ccache", ccache, NULL };

    g_assert_cmpint (run_cradlectl (args, &out, &err), ==, 0);
  }
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (root, "account"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (root, "mail"), ==, "alice@corp.example.test");
  g_assert_cmpint (json_object_get_int_member (root, "security_strength"), >=, 56);
  groups = json_object_get_array_member (root, "groups");
  for (guint i = 0; i < json_array_get_length (groups); i++)
    {
      JsonObject *group = json_array_get_object_element (groups, i);

      if (g_strcmp0 (json_object_get_string_member (group, "name"), "Mobile Device Users") == 0)
        found_group = TRUE;
    }
  g_assert_true (found_group);
}

static void
test_whoami_without_dc (void)
{
  const char *args[] = { "whoami", "--json", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  /* 4: configuration missing, per the command-line contract. */
  g_assert_cmpint (run_cradlectl (args, &out, &err), ==, 4);
  g_assert_nonnull (strstr (err, "--dc"));
  g_assert_nonnull (strstr (out, "\"not-configured\""));
}

static void
test_whoami_without_ticket (void)
{
  CradleTestLab *lab = cradle_test_lab_get ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  if (lab == NULL)
    {
      g_test_skip (cradle_test_lab_skip_reason ());
      return;
    }
  {
    const char *args[] = { "whoami", "--dc", cradle_test_lab_env (lab, "CRADLE_LAB_LDAP_URI"),
                           "--ccache", "FILE:/nonexistent/ccache", NULL };

    /* 4: credentials missing. */
    g_assert_cmpint (run_cradlectl (args, &out, &err), ==, 4);
  }
  g_assert_nonnull (strstr (err, "Kerberos"));
}

static void
test_unknown_command (void)
{
  const char *args[] = { "frobnicate", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (run_cradlectl (args, &out, &err), ==, 7);
  g_assert_nonnull (strstr (err, "cradlectl help"));
}

int
main (int    argc,
      char **argv)
{
  int result;

  g_test_init (&argc, &argv, NULL);
  cradle_test_lab_get ();

  g_test_add_func ("/cradlectl/whoami-json", test_whoami_json);
  g_test_add_func ("/cradlectl/whoami-without-dc", test_whoami_without_dc);
  g_test_add_func ("/cradlectl/whoami-without-ticket", test_whoami_without_ticket);
  g_test_add_func ("/cradlectl/unknown-command", test_unknown_command);

  result = g_test_run ();
  cradle_test_lab_cleanup ();
  return result;
}
