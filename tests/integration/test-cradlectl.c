/* test-cradlectl.c: `cradlectl whoami` and `templates` as a script sees them:
 * JSON and exit codes, with a ticket, with a password, and without Kerberos */
#include "config.h"

#include <string.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "lab.h"

static char *
cradlectl_path (void)
{
  return g_build_filename (g_getenv ("CRADLE_BUILD_ROOT"), "cli", "cradlectl", NULL);
}

/* Runs cradlectl with @args after the program name, and @env (NAME=VALUE,
 * or NAME= to unset) on top of ours; returns its exit code. */
static int
run_cradlectl_env (const char * const  *args,
                   const char * const  *env,
                   char               **out,
                   char               **err)
{
  g_autofree char *program = cradlectl_path ();
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (argv, program);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  for (guint i = 0; env != NULL && env[i] != NULL; i++)
    {
      g_auto(GStrv) pair = g_strsplit (env[i], "=", 2);

      if (pair[1][0] == '\0')
        g_subprocess_launcher_unsetenv (launcher, pair[0]);
      else
        g_subprocess_launcher_setenv (launcher, pair[0], pair[1], TRUE);
    }
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, out, err, &error);
  g_assert_no_error (error);
  return g_subprocess_get_exit_status (process);
}

static int
run_cradlectl (const char * const  *args,
               char               **out,
               char               **err)
{
  return run_cradlectl_env (args, NULL, out, err);
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

static JsonNode *parse_json (const char *text);

/* No --dc, no --domain and no default realm: nothing to look up in DNS. */
static void
test_whoami_without_domain (void)
{
  const char *args[] = { "whoami", "--json", NULL };
  const char *env[] = { "KRB5_CONFIG=/dev/null", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  /* 4: configuration missing, per the command-line contract. */
  g_assert_cmpint (run_cradlectl_env (args, env, &out, &err), ==, 4);
  g_assert_nonnull (strstr (err, "No domain was given"));
  g_assert_nonnull (strstr (out, "\"not-configured\""));
  /* The explanation table's words for scripts and support. */
  {
    g_autoptr(JsonNode) root = parse_json (out);
    JsonObject *report = json_object_get_object_member (json_node_get_object (root), "error");

    g_assert_cmpint (json_object_get_int_member (report, "exit_code"), ==, 4);
    g_assert_cmpstr (json_object_get_string_member (report, "explanation"), ==,
                     "Settings Cradle needs are missing.");
    g_assert_true (g_str_has_suffix (json_object_get_string_member (report, "next_step"), "."));
    g_assert_false (json_object_has_member (report, "detail"));
  }
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


static JsonNode *
parse_json (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

static JsonObject *
find_template (JsonArray  *templates,
               const char *name)
{
  for (guint i = 0; i < json_array_get_length (templates); i++)
    {
      JsonObject *template = json_array_get_object_element (templates, i);

      if (g_str_equal (json_object_get_string_member (template, "name"), name))
        return template;
    }
  g_assert_not_reached ();
}

/* The JSON of the contract, for alice and bob. */
static void
test_templates_json (void)
{
  CradleTestLab *lab = cradle_test_lab_get ();
  const char *users[] = { "alice", "bob" };
  g_autofree char *manifest_path = NULL;
  g_autofree char *manifest_text = NULL;
  g_autoptr(JsonNode) manifest = NULL;
  guint n_templates;

  if (lab == NULL)
    {
      g_test_skip (cradle_test_lab_skip_reason ());
      return;
    }
  /* Every template of the forest, as lab.json lists them (the lab adds
   * templates over time: eight at first, then the short-lived ones). */
  manifest_path = g_build_filename (cradle_test_lab_dir (lab), "lab.json", NULL);
  g_assert_true (g_file_get_contents (manifest_path, &manifest_text, NULL, NULL));
  manifest = parse_json (manifest_text);
  n_templates = json_array_get_length (json_object_get_array_member (json_node_get_object (manifest),
                                                                     "template_cns"));
  g_assert_cmpuint (n_templates, >=, 8);
  for (guint u = 0; u < G_N_ELEMENTS (users); u++)
    {
      g_autofree char *ccache = cradle_test_lab_kinit (lab, users[u]);
      const char *args[] = { "templates", "--json", "--dc", cradle_test_lab_env (lab, "CRADLE_LAB_LDAP_URI"),
                             "--ccache", ccache, NULL };
      g_autofree char *out = NULL;
      g_autofree char *err = NULL;
      g_autoptr(JsonNode) root = NULL;
      JsonArray *templates;
      JsonObject *template;
      JsonObject *ca;
      JsonArray *endpoints;
      gboolean is_alice = u == 0;

      g_assert_cmpint (run_cradlectl (args, &out, &err), ==, 0);
      root = parse_json (out);
      templates = json_node_get_array (root);
      g_assert_cmpuint (json_array_get_length (templates), ==, n_templates);

      template = find_template (templates, "CradleDeviceECC");
      g_assert_cmpstr (json_object_get_string_member (template, "display_name"), ==, "Cradle Device ECC P-256");
      g_assert_cmpint (json_object_get_int_member (template, "schema_version"), ==, 4);
      g_assert_true (json_object_get_boolean_member (template, "enrollable"));
      g_assert_false (json_object_get_boolean_member (template, "requires_approval"));
      g_assert_cmpstr (json_object_get_string_member (template, "key_algorithm"), ==, "EC");
      g_assert_cmpint (json_object_get_int_member (template, "key_size"), ==, 256);
      g_assert_cmpstr (json_object_get_string_member (template, "subject_mode"), ==, "directory");
      ca = json_array_get_object_element (json_object_get_array_member (template, "cas"), 0);
      g_assert_cmpstr (json_object_get_string_member (ca, "name"), ==, "Corp Issuing CA");
      g_assert_cmpstr (json_object_get_string_member (ca, "host"), ==, "ca1.corp.example.test");
      endpoints = json_object_get_array_member (ca, "endpoints");
      g_assert_cmpuint (json_array_get_length (endpoints), ==, 2);
      g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (endpoints, 0), "uri"), ==,
                       cradle_test_lab_env (lab, "CRADLE_LAB_CES_KERBEROS_URL"));

      template = find_template (templates, "CradleDeviceApproval");
      g_assert_true (json_object_get_boolean_member (template, "enrollable"));
      g_assert_true (json_object_get_boolean_member (template, "requires_approval"));

      template = find_template (templates, "CradleDeviceSuppliedSubject");
      g_assert_cmpstr (json_object_get_string_member (template, "subject_mode"), ==, "supplied");
      g_assert_cmpint (json_object_get_int_member (template, "key_size"), ==, 3072);

      template = find_template (templates, "CradleDeviceUnpublished");
      g_assert_false (json_object_get_boolean_member (template, "enrollable"));
      g_assert_cmpuint (json_array_get_length (json_object_get_array_member (template, "cas")), ==, 0);

      template = find_template (templates, "CradleDeviceRestricted");
      g_assert_true (json_object_get_boolean_member (template, "enrollable") == is_alice);
      if (!is_alice)
        g_assert_nonnull (strstr (json_object_get_string_member (template, "reason"), "Mobile Device Users"));

      template = find_template (templates, "User");
      g_assert_true (json_object_get_boolean_member (template, "enrollable") == is_alice);
      if (!is_alice)
        g_assert_nonnull (strstr (json_object_get_string_member (template, "reason"), "e-mail"));
    }
}

/* A file of the lab's scratch folder holding @text. */
static char *
write_scratch (const char *name,
               const char *text)
{
  g_autofree char *folder = g_build_filename (g_get_tmp_dir (), "cradle-test-cradlectl", NULL);
  char *path = g_build_filename (folder, name, NULL);
  g_autoptr(GError) error = NULL;

  g_mkdir_with_parents (folder, 0700);
  g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error);
  g_assert_no_error (error);
  return path;
}

/* The lab's krb5.conf with its KDC moved to a port nobody listens on. */
static char *
write_unreachable_kdc_config (CradleTestLab *lab)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GRegex) kdc = g_regex_new ("(kdc|admin_server|kpasswd_server) = 127\\.0\\.0\\.1[0-9:]*", 0, 0, NULL);
  g_autofree char *moved = NULL;

  g_file_get_contents (cradle_test_lab_env (lab, "KRB5_CONFIG"), &contents, NULL, &error);
  g_assert_no_error (error);
  moved = g_regex_replace (kdc, contents, -1, 0, "\\1 = 127.0.0.1:1", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (moved, !=, contents);
  return write_scratch ("krb5-no-kdc.conf", moved);
}

static void
test_password_sign_in (void)
{
  CradleTestLab *lab = cradle_test_lab_get ();
  g_autofree char *password_file = NULL;
  g_autofree char *wrong_file = NULL;
  g_autofree char *no_kdc = NULL;
  g_autofree char *no_kdc_env = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  const char *password;
  const char *ldaps;
  const char *ldap;

  if (lab == NULL)
    {
      g_test_skip (cradle_test_lab_skip_reason ());
      return;
    }
  password = cradle_test_lab_env (lab, "CRADLE_LAB_BOB_PASSWORD");
  password_file = write_scratch ("bob-password", password);
  wrong_file = write_scratch ("wrong-password", "Not-Bobs-Password-1\n");
  no_kdc = write_unreachable_kdc_config (lab);
  no_kdc_env = g_strdup_printf ("KRB5_CONFIG=%s", no_kdc);
  ldaps = cradle_test_lab_env (lab, "CRADLE_LAB_LDAPS_URI");
  ldap = cradle_test_lab_env (lab, "CRADLE_LAB_LDAP_URI");

  /* Kerberos from the password: a sealed GSSAPI session. */
  {
    const char *args[] = { "whoami", "--json", "--dc", ldap, "--user", "bob", "--password-file", password_file, NULL };
    g_autoptr(JsonNode) root = NULL;

    g_assert_cmpint (run_cradlectl (args, &out, &err), ==, 0);
    root = parse_json (out);
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (root), "account"), ==, "bob");
    g_assert_cmpint (json_object_get_int_member (json_node_get_object (root), "security_strength"), >=, 56);
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }

  /* A wrong password: 4, and the password is nowhere in what is printed. */
  {
    const char *args[] = { "whoami", "--json", "--dc", ldap, "--user", "bob", "--password-file", wrong_file, NULL };

    g_assert_cmpint (run_cradlectl (args, &out, &err), ==, 4);
    g_assert_nonnull (strstr (err, "did not accept the password"));
    g_assert_null (strstr (err, "Not-Bobs-Password-1"));
    g_assert_null (strstr (out, "Not-Bobs-Password-1"));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }

  /* No KDC: a password bind inside verified TLS, LDAPS or StartTLS. */
  for (guint i = 0; i < 2; i++)
    {
      const char *args[] = { "whoami", "--json", "--dc", i == 0 ? ldaps : ldap, "--user", "bob",
                             "--password-file", password_file, NULL };
      const char *env[] = { no_kdc_env, NULL };
      g_autoptr(JsonNode) root = NULL;

      g_assert_cmpint (run_cradlectl_env (args, env, &out, &err), ==, 0);
      root = parse_json (out);
      g_assert_cmpstr (json_object_get_string_member (json_node_get_object (root), "account"), ==, "bob");
      g_assert_cmpint (json_object_get_int_member (json_node_get_object (root), "security_strength"), >=, 128);
      g_clear_pointer (&out, g_free);
      g_clear_pointer (&err, g_free);
    }

  /* No KDC and the DC's certificate not trusted: no password is sent. */
  for (guint i = 0; i < 2; i++)
    {
      const char *args[] = { "whoami", "--dc", i == 0 ? ldaps : ldap, "--user", "bob",
                             "--password-file", password_file, NULL };
      const char *env[] = { no_kdc_env, "LDAPTLS_CACERT=", NULL };

      g_assert_cmpint (run_cradlectl_env (args, env, &out, &err), ==, 4);
      g_assert_nonnull (strstr (err, "not trusted"));
      g_clear_pointer (&out, g_free);
      g_clear_pointer (&err, g_free);
    }

  g_unlink (password_file);
  g_unlink (wrong_file);
  g_unlink (no_kdc);
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

/* libcurl, libxml2 and libldap (and the thirty libraries behind them) are
 * opened by the stage that needs them, never bound at start; libarchive
 * only when a support report is written. */
static void
test_start_binds_no_optional_library (void)
{
  const char *args[] = { "--version", NULL };
  const char *env[] = { "LD_DEBUG=files", NULL };
  const char *optional[] = { "libcurl.so", "libxml2.so", "libldap", "liblber", "libsasl2.so", "libgnutls.so",
                             "libarchive.so" };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_assert_cmpint (run_cradlectl_env (args, env, &out, &err), ==, 0);
  g_assert_nonnull (strstr (out, "cradlectl"));
  /* The loader did report what it opened. */
  g_assert_nonnull (strstr (err, "file=libcradle.so.0"));
  for (guint i = 0; i < G_N_ELEMENTS (optional); i++)
    {
      g_autofree char *opened = g_strconcat ("file=", optional[i], NULL);

      if (strstr (err, opened) != NULL)
        g_error ("cradlectl --version bound %s at start", optional[i]);
    }
}

int
main (int    argc,
      char **argv)
{
  int result;

  g_test_init (&argc, &argv, NULL);
  cradle_test_lab_get ();

  g_test_add_func ("/cradlectl/whoami-json", test_whoami_json);
  g_test_add_func ("/cradlectl/whoami-without-domain", test_whoami_without_domain);
  g_test_add_func ("/cradlectl/whoami-without-ticket", test_whoami_without_ticket);
  g_test_add_func ("/cradlectl/templates-json", test_templates_json);
  g_test_add_func ("/cradlectl/password-sign-in", test_password_sign_in);
  g_test_add_func ("/cradlectl/unknown-command", test_unknown_command);
  g_test_add_func ("/cradlectl/start/binds-no-optional-library", test_start_binds_no_optional_library);

  result = g_test_run ();
  cradle_test_lab_cleanup ();
  return result;
}
