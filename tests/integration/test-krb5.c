/* test-krb5.c: Kerberos credentials against the lab's KDC
 *
 * Credential caches that are fine, missing, expired or not valid yet; a
 * password sign-in into a private MEMORY cache that GSSAPI then binds with;
 * each failure a user meets (wrong password, unknown user, realm or
 * service, clocks apart, a KDC that refuses connections or never answers)
 * with its own error code; and what a sign-in left behind at its deadline
 * still does (sends nothing more, keeps no ticket).
 */
#include "config.h"

#include <glib/gstdio.h>
#include <gio/gio.h>
#include <krb5.h>
#include <cradle/cradle.h>

#include "cradle-krb5-private.h"
#include "lab.h"

#define TIMEOUT_SECONDS 15
#define DC_SERVICE "ldap"

typedef struct {
  CradleTestLab *lab;
  char          *dir;          /* this test's own caches and configurations */
  char          *realm;
  char          *dc_host;
  char          *saved_config; /* KRB5_CONFIG before the test changed it */
} Fixture;

static void
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

static void
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

#define SKIP_WITHOUT_LAB(fixture)                         \
  G_STMT_START                                            \
  {                                                       \
    if ((fixture)->lab == NULL)                           \
      {                                                   \
        g_test_skip (cradle_test_lab_skip_reason ());     \
        return;                                           \
      }                                                   \
  }                                                       \
  G_STMT_END

static const char *
password_of (Fixture    *fixture,
             const char *user)
{
  g_autofree char *upper = g_ascii_strup (user, -1);
  g_autofree char *name = g_strdup_printf ("CRADLE_LAB_%s_PASSWORD", upper);

  return cradle_test_lab_env (fixture->lab, name);
}

/* kinit with @options (as "-l", "2s") into a FILE cache of the test's own,
 * the password on standard input. Returns: the cache's name */
static char *
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
static void
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

static void
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

static void
test_default_realm (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *realm = NULL;

  SKIP_WITHOUT_LAB (fixture);

  realm = cradle_krb5_dup_default_realm (&error);
  g_assert_no_error (error);
  g_assert_cmpstr (realm, ==, fixture->realm);
}

/* A krb5.conf that names no realm at all. */
static void
test_no_realm (Fixture       *fixture,
               gconstpointer  data)
{
  g_autofree char *path = NULL;
  g_autofree char *realm = NULL;
  g_autofree char *ccache = NULL;
  g_autoptr(GError) error = NULL;

  SKIP_WITHOUT_LAB (fixture);

  path = g_build_filename (fixture->dir, "empty.conf", NULL);
  g_file_set_contents (path, "[libdefaults]\n\tdns_lookup_realm = false\n", -1, &error);
  g_assert_no_error (error);
  g_setenv ("KRB5_CONFIG", path, TRUE);

  realm = cradle_krb5_dup_default_realm (&error);
  g_assert_null (realm);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED);
  g_assert_nonnull (strstr (error->message, "default_realm"));
  g_clear_error (&error);

  ccache = cradle_krb5_password_login ("alice", NULL, password_of (fixture, "alice"),
                                       TIMEOUT_SECONDS, &error);
  g_assert_null (ccache);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED);
}

static void
test_ccache_valid (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *alice = NULL;
  g_autofree char *bob = NULL;
  g_autofree char *alice_principal = NULL;
  g_autofree char *bob_principal = NULL;

  SKIP_WITHOUT_LAB (fixture);

  alice = cradle_test_lab_kinit (fixture->lab, "alice");
  bob = cradle_test_lab_kinit (fixture->lab, "bob");
  alice_principal = g_strdup_printf ("alice@%s", fixture->realm);
  bob_principal = g_strdup_printf ("bob@%s", fixture->realm);
  assert_ccache_is (alice, alice_principal, fixture->realm);
  assert_ccache_is (bob, bob_principal, fixture->realm);

  /* The outputs are optional. */
  g_assert_true (cradle_krb5_check_ccache (alice, NULL, NULL, NULL));
}

static void
test_ccache_missing (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *path = NULL;
  g_autofree char *file = NULL;
  const char *names[] = { NULL, /* the default, which lab.c points at nothing */
                          "", /* filled in below */
                          "MEMORY:cradle-test-never-made",
                          NULL };

  SKIP_WITHOUT_LAB (fixture);

  path = g_build_filename (fixture->dir, "no-such-ccache", NULL);
  file = g_strdup_printf ("FILE:%s", path);
  names[1] = file;
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *principal = NULL;

      g_test_message ("ccache %s", names[i] != NULL ? names[i] : "(default)");
      g_assert_false (cradle_krb5_check_ccache (names[i], &principal, NULL, &error));
      g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED);
      g_assert_nonnull (strstr (error->message, "no Kerberos ticket"));
      g_assert_nonnull (strstr (error->message, "kinit"));
      g_assert_null (principal);
    }
}

static void
test_ccache_unknown_type (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  SKIP_WITHOUT_LAB (fixture);

  g_assert_false (cradle_krb5_check_ccache ("NOSUCHTYPE:x", NULL, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED);
  g_assert_nonnull (strstr (error->message, "NOSUCHTYPE:x"));
}

/* kinit -S: a cache with a service ticket and no ticket-granting ticket. */
static void
test_ccache_without_tgt (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autofree char *service = NULL;
  g_autofree char *ccache = NULL;
  g_autoptr(GError) error = NULL;

  SKIP_WITHOUT_LAB (fixture);

  service = g_strdup_printf (DC_SERVICE "/%s", fixture->dc_host);
  ccache = kinit_with (fixture, "service-only", "alice", (const char *[]) { "-S", service, NULL });
  g_assert_false (cradle_krb5_check_ccache (ccache, NULL, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED);
  g_assert_nonnull (strstr (error->message, "ticket-granting ticket"));
}

/* Samba grants a ticket of 2 s when asked, so one really expires. */
static void
test_ccache_expired (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *ccache = NULL;
  g_autoptr(GError) error = NULL;

  SKIP_WITHOUT_LAB (fixture);

  ccache = kinit_with (fixture, "short", "alice", (const char *[]) { "-l", "2s", NULL });
  g_assert_true (cradle_krb5_check_ccache (ccache, NULL, NULL, NULL));
  g_usleep (3 * G_USEC_PER_SEC);

  g_assert_false (cradle_krb5_check_ccache (ccache, NULL, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "expired at"));
  g_assert_nonnull (strstr (error->message, "alice@"));
  g_clear_error (&error);

  /* Checked before any KDC is asked. */
  g_assert_false (cradle_krb5_get_service_ticket (ccache, DC_SERVICE, fixture->dc_host,
                                                  TIMEOUT_SECONDS, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED);
  g_assert_nonnull (strstr (error->message, "expired"));
}

/* Samba refuses postdated tickets ("KDC policy rejects request"), so the
 * ticket of a clock that went back is made from alice's real one: the
 * same ticket, its start moved an hour on, in a cache of its own. */
static void
test_ccache_not_yet_valid (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *real = NULL;
  const char *moved = CRADLE_KRB5_MEMORY_CCACHE_PREFIX "test-not-yet-valid";
  krb5_context context = NULL;
  krb5_ccache from = NULL;
  krb5_ccache to = NULL;
  krb5_principal client = NULL;
  krb5_creds match = { 0 };
  krb5_creds tgt = { 0 };
  g_autoptr(GError) error = NULL;

  SKIP_WITHOUT_LAB (fixture);

  real = cradle_test_lab_kinit (fixture->lab, "alice");
  g_assert_cmpint (krb5_init_context (&context), ==, 0);
  g_assert_cmpint (krb5_cc_resolve (context, real, &from), ==, 0);
  g_assert_cmpint (krb5_cc_get_principal (context, from, &client), ==, 0);
  match.client = client;
  g_assert_cmpint (krb5_build_principal (context, &match.server, strlen (fixture->realm),
                                         fixture->realm, KRB5_TGS_NAME, fixture->realm, NULL),
                   ==, 0);
  g_assert_cmpint (krb5_cc_retrieve_cred (context, from, 0, &match, &tgt), ==, 0);
  tgt.times.starttime += 3600;
  tgt.times.endtime += 3600;
  g_assert_cmpint (krb5_cc_resolve (context, moved, &to), ==, 0);
  g_assert_cmpint (krb5_cc_initialize (context, to, client), ==, 0);
  g_assert_cmpint (krb5_cc_store_cred (context, to, &tgt), ==, 0);
  krb5_cc_close (context, to);
  krb5_free_cred_contents (context, &tgt);
  krb5_free_principal (context, match.server);
  krb5_free_principal (context, client);
  krb5_cc_close (context, from);
  krb5_free_context (context);

  g_assert_false (cradle_krb5_check_ccache (moved, NULL, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "not valid yet"));
  cradle_krb5_ccache_destroy (moved);
}

static void
test_login (Fixture       *fixture,
            gconstpointer  data)
{
  g_autofree char *expected = NULL;
  g_autofree char *upn = NULL;
  g_autofree char *upn_lower = NULL;
  g_autofree char *dns_domain = NULL;
  g_autoptr(GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  SKIP_WITHOUT_LAB (fixture);

  expected = g_strdup_printf ("alice@%s", fixture->realm);
  upn = g_strdup (expected);
  dns_domain = g_ascii_strdown (fixture->realm, -1);
  upn_lower = g_strdup_printf ("alice@%s", dns_domain);
  {
    /* DOMAIN\\user, with the DNS name or the NetBIOS one (CORP). */
    g_autofree char *dns = g_strdup_printf ("%s\\alice", dns_domain);
    g_autofree char *netbios_name = g_ascii_strup (dns_domain, strcspn (dns_domain, "."));
    g_autofree char *netbios = g_strdup_printf ("%s\\alice", netbios_name);
    const char *users[] = { "alice", "ALICE", upn, upn_lower, dns, netbios, NULL };

    for (guint i = 0; users[i] != NULL; i++)
      {
        g_autoptr(GError) error = NULL;
        g_autofree char *ccache = NULL;

        g_test_message ("signing in as %s", users[i]);
        ccache = cradle_krb5_password_login (users[i], NULL, password_of (fixture, "alice"),
                                             TIMEOUT_SECONDS, &error);
        g_assert_no_error (error);
        g_assert_true (g_str_has_prefix (ccache, "MEMORY:cradle-"));
        g_assert_false (g_hash_table_contains (names, ccache));

        assert_ccache_is (ccache, expected, fixture->realm);
        g_assert_true (cradle_krb5_get_service_ticket (ccache, DC_SERVICE, fixture->dc_host,
                                                       TIMEOUT_SECONDS, &error));
        g_assert_no_error (error);

        cradle_krb5_ccache_destroy (ccache);
        g_assert_false (cradle_krb5_check_ccache (ccache, NULL, NULL, &error));
        g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED);
        g_hash_table_add (names, g_steal_pointer (&ccache));
      }
  }

  /* The realm given outright. */
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *ccache = cradle_krb5_password_login ("alice", fixture->realm,
                                                          password_of (fixture, "alice"),
                                                          TIMEOUT_SECONDS, &error);

    g_assert_no_error (error);
    assert_ccache_is (ccache, expected, fixture->realm);
    cradle_krb5_ccache_destroy (ccache);
  }
}

/* GSSAPI binds with the private cache: the directory session as bob. */
static void
test_login_then_bind (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(CradleDirectory) directory = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *ccache = NULL;
  g_autofree char *expected = NULL;

  SKIP_WITHOUT_LAB (fixture);

  ccache = cradle_krb5_password_login ("bob", NULL, password_of (fixture, "bob"),
                                       TIMEOUT_SECONDS, &error);
  g_assert_no_error (error);

  directory = cradle_directory_new (cradle_test_lab_env (fixture->lab, "CRADLE_LAB_LDAP_URI"));
  cradle_directory_set_credential_cache (directory, ccache);
  g_assert_true (cradle_directory_open (directory, NULL, &error));
  g_assert_no_error (error);
  expected = g_strdup_printf ("bob@%s", fixture->realm);
  g_assert_cmpstr (cradle_directory_get_bound_identity (directory), ==, expected);
  g_assert_cmpuint (cradle_directory_get_security_strength (directory), >=, 56);

  g_clear_object (&directory);
  cradle_krb5_ccache_destroy (ccache);
}

typedef struct {
  Fixture    *fixture;
  const char *user;
  char       *ccache;
  char       *principal;
} ParallelLogin;

static gpointer
parallel_login_thread (gpointer data)
{
  ParallelLogin *login = data;
  g_autoptr(GError) error = NULL;

  login->ccache = cradle_krb5_password_login (login->user, NULL,
                                              password_of (login->fixture, login->user),
                                              TIMEOUT_SECONDS, &error);
  g_assert_no_error (error);
  g_assert_true (cradle_krb5_check_ccache (login->ccache, &login->principal, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (cradle_krb5_get_service_ticket (login->ccache, DC_SERVICE,
                                                 login->fixture->dc_host, TIMEOUT_SECONDS,
                                                 &error));
  g_assert_no_error (error);
  return NULL;
}

/* Two sign-ins at once, each in its own context and cache. */
static void
test_login_parallel (Fixture       *fixture,
                     gconstpointer  data)
{
  ParallelLogin logins[] = { { fixture, "alice" }, { fixture, "bob" },
                             { fixture, "alice" }, { fixture, "bob" } };
  GThread *threads[G_N_ELEMENTS (logins)];

  SKIP_WITHOUT_LAB (fixture);

  for (guint i = 0; i < G_N_ELEMENTS (logins); i++)
    threads[i] = g_thread_new ("login", parallel_login_thread, &logins[i]);
  for (guint i = 0; i < G_N_ELEMENTS (logins); i++)
    g_thread_join (threads[i]);

  for (guint i = 0; i < G_N_ELEMENTS (logins); i++)
    {
      g_autofree char *expected = g_strdup_printf ("%s@%s", logins[i].user, fixture->realm);

      g_assert_cmpstr (logins[i].principal, ==, expected);
      for (guint j = 0; j < i; j++)
        g_assert_cmpstr (logins[i].ccache, !=, logins[j].ccache);
    }
  for (guint i = 0; i < G_N_ELEMENTS (logins); i++)
    {
      cradle_krb5_ccache_destroy (logins[i].ccache);
      g_free (logins[i].ccache);
      g_free (logins[i].principal);
    }
}

static void
test_login_wrong_password (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *wrong = g_strdup_printf ("Wrong-%08x-Pass", g_random_int ());
  g_autofree char *ccache = NULL;
  g_autoptr(GError) error = NULL;

  SKIP_WITHOUT_LAB (fixture);

  ccache = cradle_krb5_password_login ("alice", NULL, wrong, TIMEOUT_SECONDS, &error);
  g_assert_null (ccache);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "password"));
  g_assert_null (strstr (error->message, wrong));
  g_assert_null (strstr (error->message, password_of (fixture, "alice")));
}

static void
test_login_unknown_user (Fixture       *fixture,
                         gconstpointer  data)
{
  const char *password = password_of (fixture, "alice");
  g_autofree char *ccache = NULL;
  g_autoptr(GError) error = NULL;

  SKIP_WITHOUT_LAB (fixture);

  ccache = cradle_krb5_password_login ("nosuch-cradle-user", NULL, password, TIMEOUT_SECONDS,
                                       &error);
  g_assert_null (ccache);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "nosuch-cradle-user"));
  g_assert_null (strstr (error->message, password));
  g_clear_error (&error);

  /* A user principal name of a suffix the forest does not have. */
  ccache = cradle_krb5_password_login ("alice@elsewhere.example", NULL, password,
                                       TIMEOUT_SECONDS, &error);
  g_assert_null (ccache);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED);
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  ccache = cradle_krb5_password_login ("CORP\\", NULL, password, TIMEOUT_SECONDS, &error);
  g_assert_null (ccache);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
}

static void
test_login_unknown_realm (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autofree char *ccache = NULL;
  g_autoptr(GError) error = NULL;

  SKIP_WITHOUT_LAB (fixture);

  ccache = cradle_krb5_password_login ("alice", "NOSUCH.EXAMPLE.TEST",
                                       password_of (fixture, "alice"), TIMEOUT_SECONDS, &error);
  g_assert_null (ccache);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "NOSUCH.EXAMPLE.TEST"));
}

static void
test_service_unknown (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *ccache = NULL;
  const char *hosts[] = { "nosuch.corp.example.test", "127.0.0.1", NULL };

  SKIP_WITHOUT_LAB (fixture);

  ccache = cradle_test_lab_kinit (fixture->lab, "alice");
  for (guint i = 0; hosts[i] != NULL; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *named = g_strdup_printf (DC_SERVICE "/%s", hosts[i]);

      g_assert_false (cradle_krb5_get_service_ticket (ccache, DC_SERVICE, hosts[i],
                                                      TIMEOUT_SECONDS, &error));
      g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED);
      g_test_message ("%s", error->message);
      g_assert_nonnull (strstr (error->message, named));
      g_assert_nonnull (strstr (error->message, "full"));
    }
}

/* A cache that says this computer's clock is an hour behind the KDC's, as
 * kdc_timesync records it: libkrb5 then dates the request an hour ahead,
 * and the KDC answers that the clocks differ too much. */
static void
test_service_clock_skew (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autofree char *real = NULL;
  g_autofree char *path = NULL;
  g_autofree char *skewed = NULL;
  krb5_context context = NULL;
  krb5_ccache from = NULL;
  krb5_ccache to = NULL;
  krb5_principal client = NULL;
  krb5_cc_cursor cursor = NULL;
  krb5_creds creds;
  krb5_timestamp now = 0;
  g_autoptr(GError) error = NULL;

  SKIP_WITHOUT_LAB (fixture);

  real = cradle_test_lab_kinit (fixture->lab, "alice");
  path = g_build_filename (fixture->dir, "skewed", NULL);
  skewed = g_strdup_printf ("FILE:%s", path);
  g_assert_cmpint (krb5_init_context (&context), ==, 0);
  g_assert_cmpint (krb5_timeofday (context, &now), ==, 0);
  g_assert_cmpint (krb5_set_real_time (context, now + 3600, 0), ==, 0);
  g_assert_cmpint (krb5_cc_resolve (context, real, &from), ==, 0);
  g_assert_cmpint (krb5_cc_get_principal (context, from, &client), ==, 0);
  g_assert_cmpint (krb5_cc_resolve (context, skewed, &to), ==, 0);
  g_assert_cmpint (krb5_cc_initialize (context, to, client), ==, 0);
  g_assert_cmpint (krb5_cc_start_seq_get (context, from, &cursor), ==, 0);
  while (krb5_cc_next_cred (context, from, &cursor, &creds) == 0)
    {
      g_assert_cmpint (krb5_cc_store_cred (context, to, &creds), ==, 0);
      krb5_free_cred_contents (context, &creds);
    }
  krb5_cc_end_seq_get (context, from, &cursor);
  krb5_free_principal (context, client);
  krb5_cc_close (context, to);
  krb5_cc_close (context, from);
  krb5_free_context (context);

  g_assert_false (cradle_krb5_get_service_ticket (skewed, DC_SERVICE, fixture->dc_host,
                                                  TIMEOUT_SECONDS, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "more than 5 minutes"));
}

/* A KDC address where nothing listens: refused at once, UDP and TCP alike. */
static void
test_kdc_unreachable (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *alice = NULL;
  g_autofree char *ccache = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;
  gint64 elapsed;

  SKIP_WITHOUT_LAB (fixture);

  alice = cradle_test_lab_kinit (fixture->lab, "alice");
  use_config_with_kdc (fixture, "127.0.0.1:1");

  start = g_get_monotonic_time ();
  ccache = cradle_krb5_password_login ("alice", NULL, password_of (fixture, "alice"),
                                       TIMEOUT_SECONDS, &error);
  elapsed = g_get_monotonic_time () - start;
  g_test_message ("password sign-in with the KDC refusing: %.3f s", elapsed / 1e6);
  g_assert_null (ccache);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE);
  g_assert_nonnull (strstr (error->message, fixture->realm));
  g_assert_cmpint (elapsed, <, 3 * G_USEC_PER_SEC);
  g_clear_error (&error);

  start = g_get_monotonic_time ();
  g_assert_false (cradle_krb5_get_service_ticket (alice, DC_SERVICE, "other.corp.example.test",
                                                  TIMEOUT_SECONDS, &error));
  elapsed = g_get_monotonic_time () - start;
  g_test_message ("service ticket with the KDC refusing: %.3f s", elapsed / 1e6);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE);
  g_assert_nonnull (strstr (error->message, fixture->realm));
  g_assert_cmpint (elapsed, <, 3 * G_USEC_PER_SEC);
}

/* A KDC that takes requests and never answers (libkrb5 alone would wait
 * 27 s per exchange): the caller's wait ends at its deadline. */
static void
test_kdc_silent (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GSocket) udp = NULL;
  g_autoptr(GSocket) tcp = NULL;
  g_autoptr(GSocketAddress) any = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *alice = NULL;
  g_autofree char *kdc = NULL;
  g_autofree char *ccache = NULL;
  guint16 port;
  gint64 start;
  gint64 elapsed;

  SKIP_WITHOUT_LAB (fixture);

  alice = cradle_test_lab_kinit (fixture->lab, "alice");

  /* UDP and TCP on one port: bound, listening, never read. The port UDP
   * gets may be taken for TCP (a connection winding down): try another. */
  for (guint attempt = 0; tcp == NULL; attempt++)
    {
      g_autoptr(GError) bind_error = NULL;

      g_assert_cmpuint (attempt, <, 50);
      g_clear_object (&udp);
      g_clear_object (&any);
      g_clear_object (&bound);
      udp = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
      g_assert_no_error (error);
      any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
      g_socket_bind (udp, any, FALSE, &error);
      g_assert_no_error (error);
      bound = g_socket_get_local_address (udp, &error);
      g_assert_no_error (error);
      port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
      tcp = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
      g_assert_no_error (error);
      if (!g_socket_bind (tcp, bound, FALSE, &bind_error))
        {
          g_assert_error (bind_error, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
          g_clear_object (&tcp);
        }
    }
  g_socket_listen (tcp, &error);
  g_assert_no_error (error);
  kdc = g_strdup_printf ("127.0.0.1:%u", port);
  use_config_with_kdc (fixture, kdc);

  start = g_get_monotonic_time ();
  ccache = cradle_krb5_password_login ("alice", NULL, password_of (fixture, "alice"), 2, &error);
  elapsed = g_get_monotonic_time () - start;
  g_test_message ("password sign-in with a silent KDC, 2 s allowed: %.3f s", elapsed / 1e6);
  g_assert_null (ccache);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_TIMED_OUT);
  g_assert_nonnull (strstr (error->message, fixture->realm));
  g_assert_cmpint (elapsed, >=, 2 * G_USEC_PER_SEC);
  g_assert_cmpint (elapsed, <, 3 * G_USEC_PER_SEC);
  g_clear_error (&error);

  start = g_get_monotonic_time ();
  g_assert_false (cradle_krb5_get_service_ticket (alice, DC_SERVICE, "other.corp.example.test",
                                                  1, &error));
  elapsed = g_get_monotonic_time () - start;
  g_test_message ("service ticket with a silent KDC, 1 s allowed: %.3f s", elapsed / 1e6);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_TIMED_OUT);
  g_assert_cmpint (elapsed, >=, 1 * G_USEC_PER_SEC);
  g_assert_cmpint (elapsed, <, 2 * G_USEC_PER_SEC);

  /* Closing the sockets ends the exchanges left behind. */
}

/* A KDC that answers late: a relay to the lab's KDC that holds each
 * request for its own delay before passing it on. It takes requests over
 * UDP and asks the KDC over TCP, so that even a ticket (too big for the
 * KDC's UDP) comes back in the one UDP exchange the relay serves. */
typedef struct {
  GSocket      *socket;
  GCancellable *stop;
  guint         delays_ms[2];
  guint         requests;    /* atomic: how many reached the KDC */
  gint64        last_reply;  /* when the last answer went back; read after joining */
} SlowKdc;

static GBytes *
ask_lab_kdc (const char *request,
             gsize       length)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  guint32 prefix = GUINT32_TO_BE ((guint32) length);
  guint32 reply_length = 0;
  g_autofree char *reply = NULL;
  GInputStream *in;
  GOutputStream *out;

  g_socket_client_set_timeout (client, 5);
  connection = g_socket_client_connect_to_host (client, "127.0.0.1", 88, NULL, &error);
  g_assert_no_error (error);
  in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_output_stream_write_all (out, &prefix, sizeof prefix, NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_write_all (out, request, length, NULL, NULL, &error);
  g_assert_no_error (error);
  g_input_stream_read_all (in, &reply_length, sizeof reply_length, NULL, NULL, &error);
  g_assert_no_error (error);
  reply_length = GUINT32_FROM_BE (reply_length);
  g_assert_cmpuint (reply_length, <, 65536);
  reply = g_malloc (reply_length);
  g_input_stream_read_all (in, reply, reply_length, NULL, NULL, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (g_steal_pointer (&reply), reply_length);
}

static gpointer
slow_kdc_thread (gpointer data)
{
  SlowKdc *kdc = data;

  for (guint i = 0; i < G_N_ELEMENTS (kdc->delays_ms); i++)
    {
      g_autoptr(GSocketAddress) client = NULL;
      g_autoptr(GBytes) reply = NULL;
      g_autoptr(GError) error = NULL;
      char request[8192];
      gssize length;

      length = g_socket_receive_from (kdc->socket, &client, request, sizeof request, kdc->stop,
                                      &error);
      if (length <= 0)
        return NULL;  /* the test is over */
      g_usleep (kdc->delays_ms[i] * 1000);
      reply = ask_lab_kdc (request, length);
      g_atomic_int_inc (&kdc->requests);
      g_socket_send_to (kdc->socket, client, g_bytes_get_data (reply, NULL),
                        g_bytes_get_size (reply), NULL, &error);
      g_assert_no_error (error);
      kdc->last_reply = g_get_monotonic_time ();
    }
  return NULL;
}

static GThread *
slow_kdc_start (Fixture *fixture,
                SlowKdc *kdc)
{
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new_from_string ("127.0.0.1", 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *address = NULL;

  kdc->socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM,
                              G_SOCKET_PROTOCOL_UDP, &error);
  g_assert_no_error (error);
  g_socket_set_timeout (kdc->socket, 10);
  kdc->stop = g_cancellable_new ();
  g_socket_bind (kdc->socket, any, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (kdc->socket, &error);
  g_assert_no_error (error);
  address = g_strdup_printf ("127.0.0.1:%u",
                             g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  use_config_with_kdc (fixture, address);
  return g_thread_new ("slow-kdc", slow_kdc_thread, kdc);
}

static void
slow_kdc_stop (SlowKdc *kdc,
               GThread *thread)
{
  g_cancellable_cancel (kdc->stop);
  g_thread_join (thread);
  g_clear_object (&kdc->socket);
  g_clear_object (&kdc->stop);
}

/* The serial number in a name cradle_krb5_password_login() gave,
 * MEMORY:cradle-PID-SERIAL-RANDOM. */
static guint64
serial_of (const char *ccache)
{
  g_auto(GStrv) parts = g_strsplit (ccache, "-", -1);
  guint64 serial = 0;

  g_assert_cmpuint (g_strv_length (parts), ==, 4);
  g_assert_true (g_ascii_string_to_unsigned (parts[2], 10, 0, G_MAXUINT, &serial, NULL));
  return serial;
}

static guint64
login_serial (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *ccache = cradle_krb5_password_login ("alice", NULL,
                                                        password_of (fixture, "alice"),
                                                        TIMEOUT_SECONDS, &error);

  g_assert_no_error (error);
  cradle_krb5_ccache_destroy (ccache);
  return serial_of (ccache);
}

/* The caller gave up while the first answer (pre-authentication required)
 * was on its way: the password-derived request is never sent. */
static void
test_kdc_late_first (Fixture       *fixture,
                     gconstpointer  data)
{
  SlowKdc kdc = { .delays_ms = { 1500, 0 } };
  g_autoptr(GError) error = NULL;
  g_autofree char *ccache = NULL;
  GThread *thread;

  SKIP_WITHOUT_LAB (fixture);

  thread = slow_kdc_start (fixture, &kdc);
  ccache = cradle_krb5_password_login ("alice", NULL, password_of (fixture, "alice"), 1, &error);
  g_assert_null (ccache);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_TIMED_OUT);

  /* The first answer arrives at 1.5 s; a second request would follow at once. */
  g_usleep (3 * G_USEC_PER_SEC);
  g_assert_cmpuint (g_atomic_int_get (&kdc.requests), ==, 1);
  slow_kdc_stop (&kdc, thread);
}

/* The caller gave up while the ticket was on its way: the ticket is
 * dropped and no cache made, as the serial of the caches shows. */
static void
test_kdc_late_ticket (Fixture       *fixture,
                      gconstpointer  data)
{
  SlowKdc kdc = { .delays_ms = { 0, 1500 } };
  g_autoptr(GError) error = NULL;
  g_autofree char *ccache = NULL;
  guint64 before;
  GThread *thread;

  SKIP_WITHOUT_LAB (fixture);

  before = login_serial (fixture);
  thread = slow_kdc_start (fixture, &kdc);
  ccache = cradle_krb5_password_login ("alice", NULL, password_of (fixture, "alice"), 1, &error);
  g_assert_null (ccache);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_TIMED_OUT);

  g_thread_join (thread);
  g_assert_cmpuint (g_atomic_int_get (&kdc.requests), ==, 2);
  /* Time for the worker to take the ticket the relay passed on. */
  while (g_get_monotonic_time () < kdc.last_reply + G_USEC_PER_SEC / 2)
    g_usleep (G_USEC_PER_SEC / 20);
  g_clear_object (&kdc.socket);
  g_clear_object (&kdc.stop);

  g_setenv ("KRB5_CONFIG", fixture->saved_config, TRUE);
  g_assert_cmpuint (login_serial (fixture), ==, before + 1);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/krb5/default-realm", test_default_realm);
  ADD ("/krb5/default-realm/none", test_no_realm);
  ADD ("/krb5/ccache/valid", test_ccache_valid);
  ADD ("/krb5/ccache/missing", test_ccache_missing);
  ADD ("/krb5/ccache/unknown-type", test_ccache_unknown_type);
  ADD ("/krb5/ccache/without-tgt", test_ccache_without_tgt);
  ADD ("/krb5/ccache/expired", test_ccache_expired);
  ADD ("/krb5/ccache/not-yet-valid", test_ccache_not_yet_valid);
  ADD ("/krb5/login/forms", test_login);
  ADD ("/krb5/login/then-bind", test_login_then_bind);
  ADD ("/krb5/login/parallel", test_login_parallel);
  ADD ("/krb5/login/wrong-password", test_login_wrong_password);
  ADD ("/krb5/login/unknown-user", test_login_unknown_user);
  ADD ("/krb5/login/unknown-realm", test_login_unknown_realm);
  ADD ("/krb5/service-ticket/unknown-service", test_service_unknown);
  ADD ("/krb5/service-ticket/clock-skew", test_service_clock_skew);
  ADD ("/krb5/kdc/unreachable", test_kdc_unreachable);
  ADD ("/krb5/kdc/silent", test_kdc_silent);
  ADD ("/krb5/kdc/late-first-answer", test_kdc_late_first);
  ADD ("/krb5/kdc/late-ticket", test_kdc_late_ticket);

#undef ADD

  status = g_test_run ();
  cradle_test_lab_cleanup ();
  return status;
}
