/* lab.c: find the running lab, read its `env`, get Kerberos tickets
 *
 * Tests talk to the lab only through `cradle-lab` and the files it
 * documents, as a user's shell would.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <gio/gio.h>

#include "lab.h"

struct _CradleTestLab
{
  GHashTable *env;
  char       *dir;
  char       *tmp_dir;
};

static CradleTestLab *the_lab;
static char *skip_reason;

static char *
lab_command (void)
{
  const char *source_root = g_getenv ("CRADLE_SOURCE_ROOT");

  return g_build_filename (source_root != NULL ? source_root : ".", "tests", "lab", "cradle-lab", NULL);
}

static GHashTable *
parse_exports (const char  *text,
               GError     **error)
{
  g_autoptr(GHashTable) env = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      const char *equals;
      char *value;

      if (!g_str_has_prefix (line, "export "))
        continue;
      line += strlen ("export ");
      equals = strchr (line, '=');
      if (equals == NULL)
        continue;
      value = g_shell_unquote (equals + 1, error);
      if (value == NULL)
        return NULL;
      g_hash_table_insert (env, g_strndup (line, equals - line), value);
    }
  return g_steal_pointer (&env);
}

static CradleTestLab *
load_lab (char **reason)
{
  g_autofree char *command = lab_command ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) env = NULL;
  const char *argv_status[] = { command, "status", NULL };
  const char *argv_env[] = { command, "env", NULL };
  CradleTestLab *lab;
  int status = 0;

  if (!g_spawn_sync (NULL, (char **) argv_status, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                     &out, &err, &status, &error))
    {
      *reason = g_strdup_printf ("the lab cannot be asked: %s", error->message);
      return NULL;
    }
  if (!g_spawn_check_wait_status (status, NULL))
    {
      *reason = g_strdup_printf ("the lab is not running (`cradle-lab status`: %s); "
                                 "start it with tests/lab/cradle-lab up",
                                 g_strstrip (out));
      return NULL;
    }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  if (!g_spawn_sync (NULL, (char **) argv_env, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                     &out, &err, &status, &error) ||
      !g_spawn_check_wait_status (status, &error))
    {
      *reason = g_strdup_printf ("`cradle-lab env` failed: %s %s",
                                 error->message, err != NULL ? err : "");
      return NULL;
    }
  env = parse_exports (out, &error);
  if (env == NULL)
    {
      *reason = g_strdup_printf ("`cradle-lab env` printed something unreadable: %s", error->message);
      return NULL;
    }
  if (!g_hash_table_contains (env, "KRB5_CONFIG") || !g_hash_table_contains (env, "CRADLE_LAB_DIR"))
    {
      *reason = g_strdup ("`cradle-lab env` did not name KRB5_CONFIG and CRADLE_LAB_DIR");
      return NULL;
    }

  lab = g_new0 (CradleTestLab, 1);
  lab->env = g_steal_pointer (&env);
  lab->dir = g_strdup (g_hash_table_lookup (lab->env, "CRADLE_LAB_DIR"));
  lab->tmp_dir = g_dir_make_tmp ("cradle-test-XXXXXX", NULL);
  /* Before any Kerberos call: the lab's realm lives only in its own krb5.conf. */
  g_setenv ("KRB5_CONFIG", g_hash_table_lookup (lab->env, "KRB5_CONFIG"), TRUE);
  /* And the DC's TLS certificate only verifies against the lab's CA. */
  if (g_hash_table_contains (lab->env, "CRADLE_LAB_DC_TLS_CA"))
    g_setenv ("LDAPTLS_CACERT", g_hash_table_lookup (lab->env, "CRADLE_LAB_DC_TLS_CA"), TRUE);
  /* Tests name their ccache; a stray default would hide a bug. */
  g_setenv ("KRB5CCNAME", "FILE:/nonexistent/cradle-test-default-ccache", TRUE);
  return lab;
}

/**
 * cradle_test_lab_get:
 *
 * Returns: (nullable): the running lab, or %NULL with a reason to skip
 */
CradleTestLab *
cradle_test_lab_get (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      the_lab = load_lab (&skip_reason);
      g_once_init_leave (&once, 1);
    }
  return the_lab;
}

/* Removes the test's own credential caches. */
void
cradle_test_lab_cleanup (void)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (the_lab == NULL)
    return;
  dir = g_dir_open (the_lab->tmp_dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (the_lab->tmp_dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (the_lab->tmp_dir);
  g_hash_table_unref (the_lab->env);
  g_free (the_lab->dir);
  g_free (the_lab->tmp_dir);
  g_clear_pointer (&the_lab, g_free);
  g_clear_pointer (&skip_reason, g_free);
}

const char *
cradle_test_lab_skip_reason (void)
{
  return skip_reason != NULL ? skip_reason : "the lab is not running";
}

const char *
cradle_test_lab_env (CradleTestLab *lab,
                     const char    *name)
{
  const char *value = g_hash_table_lookup (lab->env, name);

  if (value == NULL)
    g_test_message ("`cradle-lab env` does not define %s", name);
  g_assert_nonnull (value);
  return value;
}

const char *
cradle_test_lab_dir (CradleTestLab *lab)
{
  return lab->dir;
}

char *
cradle_test_lab_dup_json_path (CradleTestLab *lab)
{
  return g_build_filename (lab->dir, "lab.json", NULL);
}

/**
 * cradle_test_lab_kinit:
 * @user: "alice", "bob" or "officer"
 *
 * Gets a fresh ticket into a credential cache of the test's own, the way a
 * user signs in: kinit with the password on its standard input.
 *
 * Returns: (transfer full): the ccache name, as FILE:/…
 */
char *
cradle_test_lab_kinit (CradleTestLab *lab,
                       const char    *user)
{
  g_autofree char *upper = g_ascii_strup (user, -1);
  g_autofree char *user_var = g_strdup_printf ("CRADLE_LAB_%s_USER", upper);
  g_autofree char *password_var = g_strdup_printf ("CRADLE_LAB_%s_PASSWORD", upper);
  g_autofree char *principal = g_strdup_printf ("%s@%s", cradle_test_lab_env (lab, user_var),
                                                cradle_test_lab_env (lab, "CRADLE_LAB_REALM"));
  g_autofree char *path = g_build_filename (lab->tmp_dir, user, NULL);
  g_autofree char *ccache = g_strdup_printf ("FILE:%s", path);
  g_autofree char *input = g_strdup_printf ("%s\n", cradle_test_lab_env (lab, password_var));
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) kinit = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;

  g_subprocess_launcher_setenv (launcher, "KRB5CCNAME", ccache, TRUE);
  kinit = g_subprocess_launcher_spawn (launcher, &error, "kinit", principal, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (kinit, input, NULL, NULL, &err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (kinit))
    g_test_message ("kinit %s failed: %s", principal, err);
  g_assert_true (g_subprocess_get_successful (kinit));
  return g_steal_pointer (&ccache);
}
