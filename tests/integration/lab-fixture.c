/* lab-fixture.c: the fixture the directory tests share */
#include "config.h"

#include "lab-fixture.h"

void
cradle_lab_fixture_set_up (CradleLabFixture *fixture,
                           gconstpointer     data)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  fixture->lab = cradle_test_lab_get ();
  if (fixture->lab == NULL)
    return;
  path = cradle_test_lab_dup_json_path (fixture->lab);
  fixture->parser = json_parser_new ();
  json_parser_load_from_file (fixture->parser, path, &error);
  g_assert_no_error (error);
  fixture->manifest = json_node_get_object (json_parser_get_root (fixture->parser));
}

void
cradle_lab_fixture_tear_down (CradleLabFixture *fixture,
                              gconstpointer     data)
{
  g_clear_object (&fixture->parser);
}

CradleDirectory *
cradle_lab_fixture_open_as (CradleLabFixture *fixture,
                            const char       *user)
{
  g_autofree char *ccache = cradle_test_lab_kinit (fixture->lab, user);
  g_autoptr(CradleDirectory) directory = NULL;
  g_autoptr(GError) error = NULL;

  directory = cradle_directory_new (cradle_test_lab_env (fixture->lab, "CRADLE_LAB_LDAP_URI"));
  cradle_directory_set_credential_cache (directory, ccache);
  g_assert_true (cradle_directory_open (directory, NULL, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&directory);
}
