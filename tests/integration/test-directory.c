/* test-directory.c: libcradle's directory session against the lab's Samba AD DC
 *
 * As alice and as bob, each with a Kerberos ticket of their own: a sealed
 * SASL/GSSAPI bind, the RootDSE, the PKI objects the lab loaded, the user's
 * entry and tokenGroups; and the failures a user meets first.
 */
#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>
#include <cradle/cradle.h>

#include "lab-fixture.h"

typedef CradleLabFixture Fixture;

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static char **
manifest_strings (JsonObject *object,
                  const char *member)
{
  JsonArray *array = json_object_get_array_member (object, member);
  g_autoptr(GPtrArray) strings = g_ptr_array_new ();

  for (guint i = 0; i < json_array_get_length (array); i++)
    g_ptr_array_add (strings, g_strdup (json_array_get_string_element (array, i)));
  g_ptr_array_sort (strings, compare_strings);
  g_ptr_array_add (strings, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&strings), FALSE);
}

static void
test_open_sealed (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(CradleDirectory) directory = NULL;
  const char *base_dn;

  if (fixture->lab == NULL)
    {
      g_test_skip (cradle_test_lab_skip_reason ());
      return;
    }
  directory = cradle_lab_fixture_open_as (fixture, "alice");
  base_dn = cradle_test_lab_env (fixture->lab, "CRADLE_LAB_BASE_DN");

  g_assert_cmpuint (cradle_directory_get_security_strength (directory), >=, 56);
  g_assert_true (g_str_has_prefix (cradle_directory_get_bound_identity (directory), "alice@"));
  g_assert_cmpstr (cradle_directory_get_default_naming_context (directory), ==, base_dn);
  g_assert_true (g_str_has_prefix (cradle_directory_get_configuration_naming_context (directory),
                                   "CN=Configuration,"));
  g_assert_cmpstr (cradle_directory_get_dc_host_name (directory), ==,
                   json_object_get_string_member (fixture->manifest, "dc_host"));

  /* Signed in with GSSAPI, and no other SASL plugin in the process. */
  {
    g_autofree char *maps = NULL;

    g_assert_true (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
    g_assert_nonnull (strstr (maps, "/sasl2/libgssapiv2.so"));
    g_assert_null (strstr (maps, "/sasl2/libplain.so"));
    g_assert_null (strstr (maps, "/sasl2/libsasldb.so"));
    g_assert_null (strstr (maps, "/sasl2/libdigestmd5.so"));
  }
}

static void
test_pki_objects (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(CradleDirectory) directory = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) templates = NULL;
  g_auto(GStrv) expected_templates = NULL;
  g_auto(GStrv) services = NULL;
  JsonObject *service;

  if (fixture->lab == NULL)
    {
      g_test_skip (cradle_test_lab_skip_reason ());
      return;
    }
  directory = cradle_lab_fixture_open_as (fixture, (const char *) data);

  templates = cradle_directory_list_template_names (directory, NULL, &error);
  g_assert_no_error (error);
  expected_templates = manifest_strings (fixture->manifest, "template_cns");
  g_assert_cmpuint (g_strv_length (templates), ==, g_strv_length (expected_templates));
  g_assert_cmpuint (g_strv_length (templates), >=, 8);
  g_assert_true (g_strv_equal ((const char * const *) templates, (const char * const *) expected_templates));
  g_assert_true (g_strv_contains ((const char * const *) templates, "ExchangeUser"));

  services = cradle_directory_list_enrollment_service_names (directory, NULL, &error);
  g_assert_no_error (error);
  service = json_object_get_object_member (fixture->manifest, "enrollment_service");
  g_assert_cmpuint (g_strv_length (services), ==, 1);
  g_assert_cmpstr (services[0], ==, json_object_get_string_member (service, "cn"));
  g_assert_cmpstr (services[0], ==, "Corp Issuing CA");
}

/* The names of the user's tokenGroups, as the directory names them. */
static GPtrArray *
group_names_of (CradleDirectory     *directory,
                CradleDirectoryUser *user)
{
  const char * const *groups = cradle_directory_user_get_token_groups (user);
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      char *name = cradle_directory_lookup_sid (directory, groups[i], NULL, &error);

      if (name != NULL)
        g_ptr_array_add (names, name);
      else
        g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
    }
  return names;
}

static gboolean
names_contain (GPtrArray  *names,
               const char *name)
{
  return g_ptr_array_find_with_equal_func (names, name, g_str_equal, NULL);
}

static void
test_user_alice (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(CradleDirectory) directory = NULL;
  g_autoptr(CradleDirectoryUser) user = NULL;
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *domain_users = NULL;
  const char *domain_sid;

  if (fixture->lab == NULL)
    {
      g_test_skip (cradle_test_lab_skip_reason ());
      return;
    }
  directory = cradle_lab_fixture_open_as (fixture, "alice");
  user = cradle_directory_read_user (directory, NULL, &error);
  g_assert_no_error (error);

  domain_sid = json_object_get_string_member (fixture->manifest, "domain_sid");
  domain_users = g_strdup_printf ("%s-513", domain_sid);
  g_assert_cmpstr (cradle_directory_user_get_account_name (user), ==, "alice");
  g_assert_cmpstr (cradle_directory_user_get_principal_name (user), ==, "alice@corp.example.test");
  g_assert_cmpstr (cradle_directory_user_get_mail (user), ==, "alice@corp.example.test");
  g_assert_cmpstr (cradle_directory_user_get_display_name (user), ==, "Alice Liddell");
  g_assert_true (g_str_has_prefix (cradle_directory_user_get_dn (user), "CN="));
  g_assert_true (g_str_has_prefix (cradle_directory_user_get_sid (user), domain_sid));
  g_assert_true (cradle_directory_user_has_sid (user, domain_users));
  g_assert_true (cradle_directory_user_has_sid (user, cradle_directory_user_get_sid (user)));

  names = group_names_of (directory, user);
  g_assert_true (names_contain (names, "Domain Users"));
  g_assert_true (names_contain (names, "Mobile Device Users"));
}

static void
test_user_bob (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(CradleDirectory) directory = NULL;
  g_autoptr(CradleDirectoryUser) user = NULL;
  g_autoptr(GPtrArray) names = NULL;
  g_autoptr(GError) error = NULL;

  if (fixture->lab == NULL)
    {
      g_test_skip (cradle_test_lab_skip_reason ());
      return;
    }
  directory = cradle_lab_fixture_open_as (fixture, "bob");
  user = cradle_directory_read_user (directory, NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpstr (cradle_directory_user_get_account_name (user), ==, "bob");
  g_assert_null (cradle_directory_user_get_mail (user));
  g_assert_cmpuint (g_strv_length ((char **) cradle_directory_user_get_token_groups (user)), >=, 1);

  names = group_names_of (directory, user);
  g_assert_true (names_contain (names, "Domain Users"));
  g_assert_false (names_contain (names, "Mobile Device Users"));
}

static void
async_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static void
test_async (Fixture       *fixture,
            gconstpointer  data)
{
  g_autofree char *ccache = NULL;
  g_autoptr(CradleDirectory) directory = NULL;
  g_autoptr(CradleDirectoryUser) user = NULL;
  g_autoptr(GAsyncResult) opened = NULL;
  g_autoptr(GAsyncResult) read = NULL;
  g_autoptr(GError) error = NULL;

  if (fixture->lab == NULL)
    {
      g_test_skip (cradle_test_lab_skip_reason ());
      return;
    }
  ccache = cradle_test_lab_kinit (fixture->lab, "alice");
  directory = cradle_directory_new (cradle_test_lab_env (fixture->lab, "CRADLE_LAB_LDAP_URI"));
  cradle_directory_set_credential_cache (directory, ccache);

  cradle_directory_open_async (directory, NULL, async_done, &opened);
  while (opened == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (cradle_directory_open_finish (directory, opened, &error));
  g_assert_no_error (error);

  cradle_directory_read_user_async (directory, NULL, async_done, &read);
  while (read == NULL)
    g_main_context_iteration (NULL, TRUE);
  user = cradle_directory_read_user_finish (directory, read, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cradle_directory_user_get_account_name (user), ==, "alice");
}

static void
test_no_ticket (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(CradleDirectory) directory = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = NULL;

  if (fixture->lab == NULL)
    {
      g_test_skip (cradle_test_lab_skip_reason ());
      return;
    }
  missing = g_strdup_printf ("FILE:%s/no-such-ccache", cradle_test_lab_dir (fixture->lab));
  directory = cradle_directory_new (cradle_test_lab_env (fixture->lab, "CRADLE_LAB_LDAP_URI"));
  cradle_directory_set_credential_cache (directory, missing);

  /* Credentials missing, told apart from a refused ticket before any bind. */
  g_assert_false (cradle_directory_open (directory, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED);
  g_assert_nonnull (strstr (error->message, "no Kerberos ticket"));
  g_assert_nonnull (strstr (error->message, "kinit"));
}

static void
test_unreachable (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr(CradleDirectory) directory = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  guint16 port;

  /* A port that nothing serves: bind one, then let it go. */
  port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_assert_no_error (error);
  g_socket_listener_close (listener);

  {
    g_autofree char *uri = g_strdup_printf ("ldap://127.0.0.1:%u", port);

    directory = cradle_directory_new (uri);
    cradle_directory_set_timeout (directory, 3);
    g_assert_false (cradle_directory_open (directory, NULL, &error));
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE);
    g_assert_nonnull (strstr (error->message, uri));
  }
}

static void
test_bad_uri (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(CradleDirectory) directory = cradle_directory_new ("http://dc1.corp.example.test");
  g_autoptr(GError) error = NULL;

  g_assert_false (cradle_directory_open (directory, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED);
}

static void
test_cancelled (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(CradleDirectory) directory = cradle_directory_new ("ldap://127.0.0.1");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  g_cancellable_cancel (cancellable);
  g_assert_false (cradle_directory_open (directory, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_lookup_sid_errors (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(CradleDirectory) directory = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *unknown = NULL;

  if (fixture->lab == NULL)
    {
      g_test_skip (cradle_test_lab_skip_reason ());
      return;
    }
  directory = cradle_lab_fixture_open_as (fixture, "alice");

  name = cradle_directory_lookup_sid (directory, "S-1-5-11", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (name, ==, "Authenticated Users");
  g_clear_pointer (&name, g_free);

  unknown = g_strdup_printf ("%s-999999", json_object_get_string_member (fixture->manifest, "domain_sid"));
  name = cradle_directory_lookup_sid (directory, unknown, NULL, &error);
  g_assert_null (name);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  name = cradle_directory_lookup_sid (directory, "S-1-5-21-x", NULL, &error);
  g_assert_null (name);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
}

int
main (int    argc,
      char **argv)
{
  int result;

  g_test_init (&argc, &argv, NULL);
  cradle_test_lab_get ();

  g_test_add ("/directory/open-sealed", Fixture, NULL,
              cradle_lab_fixture_set_up, test_open_sealed, cradle_lab_fixture_tear_down);
  g_test_add ("/directory/pki-objects/alice", Fixture, "alice",
              cradle_lab_fixture_set_up, test_pki_objects, cradle_lab_fixture_tear_down);
  g_test_add ("/directory/pki-objects/bob", Fixture, "bob",
              cradle_lab_fixture_set_up, test_pki_objects, cradle_lab_fixture_tear_down);
  g_test_add ("/directory/user/alice", Fixture, NULL,
              cradle_lab_fixture_set_up, test_user_alice, cradle_lab_fixture_tear_down);
  g_test_add ("/directory/user/bob", Fixture, NULL,
              cradle_lab_fixture_set_up, test_user_bob, cradle_lab_fixture_tear_down);
  g_test_add ("/directory/async", Fixture, NULL,
              cradle_lab_fixture_set_up, test_async, cradle_lab_fixture_tear_down);
  g_test_add ("/directory/no-ticket", Fixture, NULL,
              cradle_lab_fixture_set_up, test_no_ticket, cradle_lab_fixture_tear_down);
  g_test_add ("/directory/lookup-sid-errors", Fixture, NULL,
              cradle_lab_fixture_set_up, test_lookup_sid_errors, cradle_lab_fixture_tear_down);
  g_test_add ("/directory/unreachable", Fixture, NULL,
              NULL, test_unreachable, NULL);
  g_test_add ("/directory/bad-uri", Fixture, NULL,
              NULL, test_bad_uri, NULL);
  g_test_add ("/directory/cancelled", Fixture, NULL,
              NULL, test_cancelled, NULL);

  result = g_test_run ();
  cradle_test_lab_cleanup ();
  return result;
}
