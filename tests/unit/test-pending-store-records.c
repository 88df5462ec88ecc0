/* test-pending-store-records.c: what the pending store keeps beside a
 * request: who claims it (two programs never work on one request at once),
 * what a renewal renews, and the type each installed certificate came from */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "state/cradle-pending-store-private.h"
#include "pending-store-test-support.h"

/* Two programs (two connections to one file) never work on one request at
 * once: the second is told who holds it, until the first releases it. */
static void
test_claim_exclusive (StoreFixture  *f,
                      gconstpointer  data)
{
  g_autoptr(CradlePendingStore) app = test_open_store (f->path);
  g_autoptr(CradlePendingStore) cli = test_open_store (f->path);
  g_autofree char *app_owner = cradle_pending_claim_owner_new ();
  g_autofree char *cli_owner = cradle_pending_claim_owner_new ();
  g_autofree char *expected = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id = test_add (app, 1);
  gint64 expires = 0;
  gint64 before = test_now_seconds ();

  g_assert_cmpstr (app_owner, !=, cli_owner);
  g_assert_true (cradle_pending_store_claim (app, id, app_owner, 60, &expires, &error));
  g_assert_no_error (error);
  g_assert_cmpint (expires, >=, before + 60);

  g_assert_false (cradle_pending_store_claim (cli, id, cli_owner, 60, &expires, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_BUSY);
  expected = g_strdup_printf ("Another Cradle program (process %d) is working on request %" G_GINT64_FORMAT
                              "; try again in a minute.", (int) getpid (), id);
  g_assert_cmpstr (error->message, ==, expected);
  g_assert_cmpint (expires, >=, before + 60);
  g_clear_error (&error);

  /* The holder renews it; the other's release leaves it alone. */
  g_assert_true (cradle_pending_store_claim (app, id, app_owner, 60, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (cradle_pending_store_release (cli, id, cli_owner, &error));
  g_assert_no_error (error);
  g_assert_false (cradle_pending_store_claim (cli, id, cli_owner, 60, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_BUSY);
  g_clear_error (&error);

  g_assert_true (cradle_pending_store_release (app, id, app_owner, &error));
  g_assert_no_error (error);
  g_assert_true (cradle_pending_store_claim (cli, id, cli_owner, 60, NULL, &error));
  g_assert_no_error (error);

  /* No such request, no claim. */
  g_assert_false (cradle_pending_store_claim (cli, id + 100, cli_owner, 60, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
}

/* A program that crashed holding a claim does not hold it for ever. */
static void
test_claim_lapses (StoreFixture  *f,
                   gconstpointer  data)
{
  g_autoptr(CradlePendingStore) crashed = test_open_store (f->path);
  g_autoptr(CradlePendingStore) next = test_open_store (f->path);
  g_autoptr(GError) error = NULL;
  gint64 id = test_add (crashed, 2);

  g_assert_true (cradle_pending_store_claim (crashed, id, "1:dead", 1, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (cradle_pending_store_claim (next, id, "2:next", 60, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_BUSY);
  g_clear_error (&error);
  g_usleep (2100 * 1000);
  g_assert_true (cradle_pending_store_claim (next, id, "2:next", 60, NULL, &error));
  g_assert_no_error (error);
}

/* A request is claimed as it is recorded, and the claim goes with it. */
static void
test_claim_added (StoreFixture  *f,
                  gconstpointer  data)
{
  g_autoptr(CradlePendingStore) store = test_open_store (f->path);
  g_autoptr(CradlePendingStore) other = test_open_store (f->path);
  g_autoptr(GBytes) key_id = test_key_id (3);
  g_autoptr(GBytes) csr = test_csr (3);
  g_autofree char *serial = test_serial (3);
  g_autoptr(GError) error = NULL;
  sqlite3 *db;
  gint64 id;

  id = cradle_pending_store_add_claimed (store, "est", "https://ca/est", NULL, serial, key_id, csr, "7:adder",
                                         &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  g_assert_false (cradle_pending_store_claim (other, id, "8:other", 60, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_BUSY);
  g_assert_nonnull (strstr (error->message, "(process 7)"));
  g_clear_error (&error);

  g_assert_true (cradle_pending_store_remove (store, id, &error));
  g_assert_no_error (error);
  db = test_sqlite_open (f->path);
  {
    g_autofree char *count = test_sqlite_query (db, "SELECT count(*) FROM claims");

    g_assert_cmpstr (count, ==, "0");
  }
  sqlite3_close (db);
}

/* A held claim stays the holder's until it is released. */
static void
test_claim_kept (StoreFixture  *f,
                 gconstpointer  data)
{
  g_autoptr(CradlePendingStore) store = test_open_store (f->path);
  g_autoptr(CradlePendingStore) other = test_open_store (f->path);
  g_autoptr(GError) error = NULL;
  gint64 id = test_add (store, 4);
  CradlePendingClaim *claim = cradle_pending_claim_take (store, id, NULL, &error);
  CradlePendingClaim *second;
  gint64 busy_until = 0;

  g_assert_no_error (error);
  g_assert_nonnull (claim);
  second = cradle_pending_claim_take (other, id, &busy_until, &error);
  g_assert_null (second);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_BUSY);
  g_assert_cmpint (busy_until, >, test_now_seconds ());
  g_clear_error (&error);

  cradle_pending_claim_release (claim);
  second = cradle_pending_claim_take (other, id, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (second);
  cradle_pending_claim_release (second);
}

/* A file of schema 1 (no claims) is brought up to date. */
static void
test_claim_schema_1 (StoreFixture  *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  gint64 id;

  {
    g_autoptr(CradlePendingStore) store = test_open_store (f->path);
    sqlite3 *db;

    id = test_add (store, 5);
    g_clear_object (&store);
    db = test_sqlite_open (f->path);
    g_assert_cmpint (sqlite3_exec (db, "DROP TABLE renewals; DROP TABLE claims; PRAGMA user_version = 1", NULL,
                                   NULL, NULL), ==, SQLITE_OK);
    sqlite3_close (db);
  }
  {
    g_autoptr(CradlePendingStore) store = test_open_store (f->path);
    g_autoptr(CradlePendingRequest) request = test_get_request (store, id);

    test_assert_intact (request, 5);
    g_assert_true (cradle_pending_store_claim (store, id, "9:after", 60, NULL, &error));
    g_assert_no_error (error);
  }
}

/* A renewal is recorded with its request, in one transaction; once the
 * new certificate is installed the old one is left to remove until that
 * is recorded; a request removed takes its renewal with it. */
static void
test_renewal (StoreFixture  *f,
              gconstpointer  data)
{
  g_autoptr(CradlePendingStore) store = test_open_store (f->path);
  g_autoptr(CradleCertificate) old = test_certificate ("old");
  g_autoptr(CradleCertificate) leaf = test_certificate ("new");
  g_autoptr(GBytes) key_id = test_key_id (8);
  g_autoptr(GBytes) old_key_id = test_key_id (9);
  g_autoptr(GBytes) csr = test_csr (8);
  g_autoptr(GBytes) signed_data = g_bytes_new_static ("\x30\x03\x02\x01\x00", 5);
  g_autoptr(GError) error = NULL;
  g_autoptr(CradlePendingRenewal) read = NULL;
  g_autoptr(GPtrArray) unreplaced = NULL;
  CradlePendingRenewal renewal = {
    .old_certificate = cradle_certificate_get_der (old), .old_key_id = old_key_id, .signed_data = signed_data,
  };
  CradlePendingRenewal short_key = { .old_certificate = cradle_certificate_get_der (old), .old_key_id = csr };
  gint64 plain = test_add (store, 7);
  gint64 id;

  id = cradle_pending_store_add_renewal_claimed (store, "certsrv", "https://ca1.corp.example.test/certsrv",
                                                 "CradleDevice", "SIM-8", key_id, csr, &renewal, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, plain);

  /* A plain request renews nothing. */
  g_assert_null (cradle_pending_store_get_renewal (store, plain, &error));
  g_assert_no_error (error);
  read = cradle_pending_store_get_renewal (store, id, &error);
  g_assert_no_error (error);
  g_assert_nonnull (read);
  g_assert_cmpint (read->request_id, ==, id);
  test_assert_bytes_equal (read->old_certificate, cradle_certificate_get_der (old));
  test_assert_bytes_equal (read->old_key_id, old_key_id);
  test_assert_bytes_equal (read->signed_data, signed_data);
  g_assert_false (read->old_removed);

  /* Not installed yet: nothing to clean up. */
  unreplaced = cradle_pending_store_list_unreplaced (store, "SIM-8", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (unreplaced->len, ==, 0);
  g_clear_pointer (&unreplaced, g_ptr_array_unref);
  g_assert_true (cradle_pending_store_mark_issued (store, id, "12", leaf, NULL, &error));
  g_assert_true (cradle_pending_store_mark_installed (store, id, &error));
  g_assert_no_error (error);
  unreplaced = cradle_pending_store_list_unreplaced (store, "SIM-8", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (unreplaced->len, ==, 1);
  g_assert_cmpint (((CradlePendingRenewal *) g_ptr_array_index (unreplaced, 0))->request_id, ==, id);
  g_clear_pointer (&unreplaced, g_ptr_array_unref);
  unreplaced = cradle_pending_store_list_unreplaced (store, "SIM-9", &error);
  g_assert_cmpuint (unreplaced->len, ==, 0);
  g_clear_pointer (&unreplaced, g_ptr_array_unref);

  g_assert_true (cradle_pending_store_mark_old_removed (store, id, &error));
  g_assert_no_error (error);
  unreplaced = cradle_pending_store_list_unreplaced (store, "SIM-8", &error);
  g_assert_cmpuint (unreplaced->len, ==, 0);
  g_clear_pointer (&read, cradle_pending_renewal_free);
  read = cradle_pending_store_get_renewal (store, id, &error);
  g_assert_true (read->old_removed);

  /* A key id of the wrong size is refused, and nothing is recorded. */
  g_assert_cmpint (cradle_pending_store_add_renewal_claimed (store, "certsrv", "https://ca1.corp.example.test/certsrv",
                                                             NULL, "SIM-8", key_id, csr, &short_key, NULL, &error),
                   ==, 0);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);

  g_assert_true (cradle_pending_store_remove (store, id, &error));
  g_clear_pointer (&read, cradle_pending_renewal_free);
  read = cradle_pending_store_get_renewal (store, id, &error);
  g_assert_no_error (error);
  g_assert_null (read);
}

/* A file of schema 3 (no renewals) is brought up to date. */
static void
test_renewal_schema_3 (StoreFixture  *f,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  gint64 id;

  {
    g_autoptr(CradlePendingStore) store = test_open_store (f->path);
    sqlite3 *db;

    id = test_add (store, 5);
    g_clear_object (&store);
    db = test_sqlite_open (f->path);
    g_assert_cmpint (sqlite3_exec (db, "DROP TABLE renewals; PRAGMA user_version = 3", NULL, NULL, NULL), ==,
                     SQLITE_OK);
    sqlite3_close (db);
  }
  {
    g_autoptr(CradlePendingStore) store = test_open_store (f->path);
    g_autoptr(CradlePendingRequest) request = test_get_request (store, id);
    g_autoptr(CradlePendingRenewal) renewal = cradle_pending_store_get_renewal (store, id, &error);

    test_assert_intact (request, 5);
    g_assert_no_error (error);
    g_assert_null (renewal);
  }
}

/* The type each installed certificate came from (schema 3), by its DER. */
static void
test_installed_type (StoreFixture  *f,
                     gconstpointer  data)
{
  g_autoptr(CradlePendingStore) store = test_open_store (f->path);
  g_autoptr(GBytes) one = g_bytes_new_static ("certificate one", 15);
  g_autoptr(GBytes) two = g_bytes_new_static ("certificate two", 15);
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL;
  g_autofree char *again = NULL;
  g_autofree char *none = NULL;

  g_assert_true (cradle_pending_store_record_installed_type (store, one, "wifi", "SERIAL", 4, &error));
  g_assert_no_error (error);
  first = cradle_pending_store_dup_installed_type (store, one, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (first, ==, "wifi");
  none = cradle_pending_store_dup_installed_type (store, two, &error);
  g_assert_no_error (error);
  g_assert_null (none);
  /* Installed again (renewed as another type): the newest wins. */
  g_assert_true (cradle_pending_store_record_installed_type (store, one, "vpn", NULL, 0, &error));
  again = cradle_pending_store_dup_installed_type (store, one, &error);
  g_assert_cmpstr (again, ==, "vpn");
  /* A name that is not one line of text is refused. */
  g_assert_false (cradle_pending_store_record_installed_type (store, two, "", NULL, 0, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
}

#define ADD(name, func) \
  g_test_add ("/pending-store/" name, StoreFixture, NULL, store_fixture_set_up, func, store_fixture_tear_down)

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  ADD ("renewal", test_renewal);
  ADD ("renewal-schema-3", test_renewal_schema_3);
  ADD ("claim/exclusive", test_claim_exclusive);
  ADD ("claim/lapses", test_claim_lapses);
  ADD ("claim/added", test_claim_added);
  ADD ("claim/kept", test_claim_kept);
  ADD ("claim/schema-1", test_claim_schema_1);
  ADD ("installed-type", test_installed_type);

  return g_test_run ();
}
