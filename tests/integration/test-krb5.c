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

#include "kerberos/cradle-krb5-private.h"
#include "krb5-test-support.h"

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

/* Samba grants a ticket of a few seconds when asked, so one really expires.
 * 5 s, not 2: on a loaded machine kinit and the first check together took
 * over 2 s, and the ticket was gone before the test looked (a CI flake). */
static void
test_ccache_expired (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *ccache = NULL;
  g_autoptr(GError) error = NULL;

  SKIP_WITHOUT_LAB (fixture);

  ccache = kinit_with (fixture, "short", "alice", (const char *[]) { "-l", "5s", NULL });
  g_assert_true (cradle_krb5_check_ccache (ccache, NULL, NULL, NULL));
  g_usleep (6 * G_USEC_PER_SEC);

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

#undef ADD

  status = g_test_run ();
  cradle_test_lab_cleanup ();
  return status;
}
