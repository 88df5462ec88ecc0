/* test-paths.c: XDG folders and their environment overrides */
#include "config.h"

#include <sys/stat.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include <cradle/cradle.h>

static void
test_paths_default_to_xdg (void)
{
  g_autofree char *config = NULL;
  g_autofree char *state = NULL;
  g_autofree char *runtime = NULL;
  g_autofree char *expected_config = g_build_filename (g_get_user_config_dir (), "cradle", NULL);
  g_autofree char *expected_state = g_build_filename (g_get_user_state_dir (), "cradle", NULL);
  g_autofree char *expected_runtime = g_build_filename (g_get_user_runtime_dir (), "cradle", NULL);

  g_unsetenv ("CRADLE_CONFIG_DIR");
  g_unsetenv ("CRADLE_STATE_DIR");
  g_unsetenv ("CRADLE_RUNTIME_DIR");
  g_setenv ("CRADLE_SYSTEM_CONFIG_DIR", "", TRUE);

  config = cradle_paths_dup_config_dir ();
  state = cradle_paths_dup_state_dir ();
  runtime = cradle_paths_dup_runtime_dir ();
  g_assert_cmpstr (config, ==, expected_config);
  g_assert_cmpstr (state, ==, expected_state);
  g_assert_cmpstr (runtime, ==, expected_runtime);
  /* Isolated by main(): never the real profile. */
  g_assert_true (g_str_has_prefix (config, g_get_tmp_dir ()));
}

static void
test_paths_system_config (void)
{
  g_autofree char *system_dir = NULL;

  g_unsetenv ("CRADLE_SYSTEM_CONFIG_DIR");
  system_dir = cradle_paths_dup_system_config_dir ();
  g_assert_true (g_str_has_suffix (system_dir, "/cradle"));
  g_assert_true (g_path_is_absolute (system_dir));
}

static void
test_paths_overrides (void)
{
  g_autofree char *config = NULL;
  g_autofree char *system_dir = NULL;
  g_autofree char *state = NULL;
  g_autofree char *runtime = NULL;

  g_setenv ("CRADLE_CONFIG_DIR", "/tmp/cradle-test/config", TRUE);
  g_setenv ("CRADLE_SYSTEM_CONFIG_DIR", "/tmp/cradle-test/etc", TRUE);
  g_setenv ("CRADLE_STATE_DIR", "/tmp/cradle-test/state", TRUE);
  g_setenv ("CRADLE_RUNTIME_DIR", "/tmp/cradle-test/run", TRUE);

  config = cradle_paths_dup_config_dir ();
  system_dir = cradle_paths_dup_system_config_dir ();
  state = cradle_paths_dup_state_dir ();
  runtime = cradle_paths_dup_runtime_dir ();
  g_assert_cmpstr (config, ==, "/tmp/cradle-test/config");
  g_assert_cmpstr (system_dir, ==, "/tmp/cradle-test/etc");
  g_assert_cmpstr (state, ==, "/tmp/cradle-test/state");
  g_assert_cmpstr (runtime, ==, "/tmp/cradle-test/run");

  g_unsetenv ("CRADLE_CONFIG_DIR");
  g_unsetenv ("CRADLE_SYSTEM_CONFIG_DIR");
  g_unsetenv ("CRADLE_STATE_DIR");
  g_unsetenv ("CRADLE_RUNTIME_DIR");
}

static void
test_paths_private_dir (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *base = g_build_filename (g_get_user_state_dir (), "private-test", NULL);
  g_autofree char *nested = g_build_filename (base, "a", "b", NULL);
  GStatBuf st;

  g_assert_true (cradle_paths_ensure_private_dir (nested, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (nested, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 0777, ==, 0700);
  /* Again: an existing folder is fine. */
  g_assert_true (cradle_paths_ensure_private_dir (nested, &error));
  g_assert_no_error (error);
}

static void
test_paths_private_dir_fails_clearly (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *file = g_build_filename (g_get_user_state_dir (), "a-file", NULL);
  g_autofree char *below = g_build_filename (file, "state", NULL);

  g_assert_cmpint (g_mkdir_with_parents (g_get_user_state_dir (), 0700), ==, 0);
  g_assert_true (g_file_set_contents (file, "x", 1, NULL));
  g_assert_false (cradle_paths_ensure_private_dir (below, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, below));
}

static void
rm_rf (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileEnumerator) children = NULL;
  GFileInfo *info;

  children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  while (children != NULL && (info = g_file_enumerator_next_file (children, NULL, NULL)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, g_file_info_get_name (info), NULL);

      rm_rf (child);
      g_object_unref (info);
    }
  g_file_delete (file, NULL, NULL);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *home = g_dir_make_tmp ("cradle-test-paths-XXXXXX", NULL);
  g_autofree char *config_home = g_build_filename (home, "config", NULL);
  g_autofree char *state_home = g_build_filename (home, "state", NULL);
  g_autofree char *runtime = g_build_filename (home, "run", NULL);
  int result;

  /* Before GLib caches them: a test must never touch the real profile.
   * (G_TEST_OPTION_ISOLATE_DIRS would do this but leaks by design.) */
  g_setenv ("HOME", home, TRUE);
  g_setenv ("XDG_CONFIG_HOME", config_home, TRUE);
  g_setenv ("XDG_STATE_HOME", state_home, TRUE);
  g_setenv ("XDG_RUNTIME_DIR", runtime, TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/paths/default-to-xdg", test_paths_default_to_xdg);
  g_test_add_func ("/paths/system-config", test_paths_system_config);
  g_test_add_func ("/paths/overrides", test_paths_overrides);
  g_test_add_func ("/paths/private-dir", test_paths_private_dir);
  g_test_add_func ("/paths/private-dir-fails-clearly", test_paths_private_dir_fails_clearly);

  result = g_test_run ();
  rm_rf (home);
  return result;
}
