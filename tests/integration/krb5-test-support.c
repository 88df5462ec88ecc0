/* krb5-test-support.c: the fixture the Kerberos tests share */
#include "config.h"

#include <glib/gstdio.h>
#include <gio/gio.h>
#include <krb5.h>
#include <cradle/cradle.h>

#include "kerberos/cradle-krb5-private.h"
#include "krb5-test-support.h"


void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  const char *uri;

  fixture->lab = cradle_test_lab_get ();
  if (fixture->lab == NULL)
    return;
  fixture->dir = g_dir_make_tmp ("cradle-test-krb5-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->realm = g_strdup (cradle_test_lab_env (fixture->lab, "CRADLE_LAB_REALM"));
  uri = cradle_test_lab_env (fixture->lab, "CRADLE_LAB_LDAP_URI");
  g_assert_true (g_str_has_prefix (uri, "ldap://"));
  fixture->dc_host = g_strdup (uri + strlen ("ldap://"));
  fixture->saved_config = g_strdup (g_getenv ("KRB5_CONFIG"));
}

void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (fixture->lab == NULL)
    return;
  if (g_strcmp0 (g_getenv ("KRB5_CONFIG"), fixture->saved_config) != 0)
    g_setenv ("KRB5_CONFIG", fixture->saved_config, TRUE);
  dir = g_dir_open (fixture->dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (fixture->dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (fixture->dir);
  g_free (fixture->dir);
  g_free (fixture->realm);
  g_free (fixture->dc_host);
  g_free (fixture->saved_config);
}



const char *
password_of (Fixture    *fixture,
             const char *user)
{
  g_autofree char *upper = g_ascii_strup (user, -1);
  g_autofree char *name = g_strdup_printf ("CRADLE_LAB_%s_PASSWORD", upper);

  return cradle_test_lab_env (fixture->lab, name);
}

/* kinit with @options (as "-l", "2s") into a FILE cache of the test's own,
 * the password on standard input. Returns: the cache's name */
char *
kinit_with (Fixture     *fixture,
            const char  *cache,
            const char  *user,
            const char **options)
{
  g_autofree char *path = g_build_filename (fixture->dir, cache, NULL);
  g_autofree char *ccache = g_strdup_printf ("FILE:%s", path);
  g_autofree char *principal = g_strdup_printf ("%s@%s", user, fixture->realm);
  g_autofree char *input = g_strdup_printf ("%s\n", password_of (fixture, user));
  g_autofree char *err = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) kinit = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (argv, (char *) "kinit");
  for (guint i = 0; options[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) options[i]);
  g_ptr_array_add (argv, principal);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "KRB5CCNAME", ccache, TRUE);
  kinit = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (kinit, input, NULL, NULL, &err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (kinit))
    g_test_message ("kinit %s failed: %s", principal, err);
  g_assert_true (g_subprocess_get_successful (kinit));
  return g_steal_pointer (&ccache);
}

/* A copy of the lab's krb5.conf whose realm has @kdc as its only KDC, made
 * the one Kerberos reads from now on (the fixture puts the lab's back). */
void
use_config_with_kdc (Fixture    *fixture,
                     const char *kdc)
{
  g_autofree char *text = NULL;
  g_autofree char *changed = NULL;
  g_autofree char *replacement = g_strdup_printf ("\\1kdc = %s", kdc);
  g_autofree char *path = g_build_filename (fixture->dir, "krb5.conf", NULL);
  g_autoptr(GRegex) regex = NULL;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (fixture->saved_config, &text, NULL, &error);
  g_assert_no_error (error);
  regex = g_regex_new ("^(\\s*)kdc\\s*=.*$", G_REGEX_MULTILINE, 0, &error);
  g_assert_no_error (error);
  changed = g_regex_replace (regex, text, -1, 0, replacement, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (changed, !=, text);
  g_file_set_contents (path, changed, -1, &error);
  g_assert_no_error (error);
  g_setenv ("KRB5_CONFIG", path, TRUE);
}

void
assert_ccache_is (const char *ccache,
                  const char *expected_principal,
                  const char *expected_realm)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *principal = NULL;
  g_autofree char *realm = NULL;

  g_assert_true (cradle_krb5_check_ccache (ccache, &principal, &realm, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (principal, ==, expected_principal);
  g_assert_cmpstr (realm, ==, expected_realm);
}
