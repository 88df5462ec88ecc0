/* pending-store-test-support.c: scratch folders and test material for the pending store tests */
#include "config.h"

#include <string.h>
#include <openssl/ec.h>
#include <openssl/x509.h>

#include "base/cradle-openssl-private.h"
#include "pending-store-test-support.h"
#include "test-files.h"

void
store_fixture_set_up (StoreFixture  *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->root = g_dir_make_tmp ("cradle-store-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->root, "state", "requests.sqlite", NULL);
}

void
store_fixture_tear_down (StoreFixture  *f,
                         gconstpointer  data)
{
  test_remove_tree (f->root);
  g_clear_pointer (&f->root, g_free);
  g_clear_pointer (&f->path, g_free);
}

GBytes *
test_key_id (guint seed)
{
  guint8 key_id[CRADLE_PENDING_KEY_ID_SIZE];

  for (guint i = 0; i < sizeof key_id; i++)
    key_id[i] = (guint8) (seed * 31 + i * 7 + 1);
  return g_bytes_new (key_id, sizeof key_id);
}

GBytes *
test_csr (guint seed)
{
  /* Sizes from a few bytes to a few KiB, and zero bytes inside. */
  gsize size = 200 + (seed * 97) % 3000;
  guint8 *csr = g_malloc (size);

  for (gsize i = 0; i < size; i++)
    csr[i] = (guint8) ((seed + i) * 13);
  csr[0] = 0x30;
  return g_bytes_new_take (csr, size);
}

char *
test_serial (guint seed)
{
  return g_strdup_printf ("SIM-%06u", seed);
}

CradleCertificate *
test_certificate (const char *common_name)
{
  g_autoptr(EVP_PKEY) key = EVP_EC_gen ("P-256");
  g_autoptr(X509) x509 = X509_new ();
  g_autoptr(GError) error = NULL;
  X509_NAME *name;
  unsigned char *der = NULL;
  int size;
  GBytes *bytes;
  CradleCertificate *certificate;

  g_assert_nonnull (key);
  g_assert_cmpint (X509_set_version (x509, 2), ==, 1);
  g_assert_cmpint (ASN1_INTEGER_set (X509_get_serialNumber (x509), g_str_hash (common_name) & 0x7fffffff), ==, 1);
  name = X509_get_subject_name (x509);
  g_assert_cmpint (X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8,
                                               (const unsigned char *) common_name, -1, -1, 0), ==, 1);
  g_assert_cmpint (X509_set_issuer_name (x509, name), ==, 1);
  g_assert_nonnull (X509_gmtime_adj (X509_getm_notBefore (x509), 0));
  g_assert_nonnull (X509_gmtime_adj (X509_getm_notAfter (x509), 3600));
  g_assert_cmpint (X509_set_pubkey (x509, key), ==, 1);
  g_assert_cmpint (X509_sign (x509, key, EVP_sha256 ()), >, 0);
  size = i2d_X509 (x509, &der);
  g_assert_cmpint (size, >, 0);
  bytes = g_bytes_new (der, (gsize) size);
  OPENSSL_free (der);
  certificate = cradle_certificate_new_from_der (bytes, &error);
  g_assert_no_error (error);
  g_bytes_unref (bytes);
  return certificate;
}

gint64
test_add (CradlePendingStore *store,
          guint               seed)
{
  g_autoptr(GBytes) key_id = test_key_id (seed);
  g_autoptr(GBytes) csr = test_csr (seed);
  g_autofree char *serial = test_serial (seed);
  g_autoptr(GError) error = NULL;
  gint64 id;

  id = cradle_pending_store_add (store, "certsrv", "https://ca1.corp.example.test/certsrv",
                                 "CradleDevice", serial, key_id, csr, &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, >, 0);
  return id;
}

guint
test_seed_of (CradlePendingRequest *request)
{
  const char *serial = cradle_pending_request_get_device_serial (request);
  guint64 seed = 0;

  g_assert_true (g_str_has_prefix (serial, "SIM-"));
  g_assert_true (g_ascii_string_to_unsigned (serial + 4, 10, 0, G_MAXUINT, &seed, NULL));
  return (guint) seed;
}

void
test_assert_bytes_equal (GBytes *actual,
                         GBytes *expected)
{
  g_assert_nonnull (actual);
  g_assert_cmpmem (g_bytes_get_data (actual, NULL), g_bytes_get_size (actual),
                   g_bytes_get_data (expected, NULL), g_bytes_get_size (expected));
}

void
test_assert_intact (CradlePendingRequest *request,
                    guint                 seed)
{
  g_autoptr(GBytes) key_id = test_key_id (seed);
  g_autoptr(GBytes) csr = test_csr (seed);
  g_autofree char *serial = test_serial (seed);

  g_assert_cmpstr (cradle_pending_request_get_device_serial (request), ==, serial);
  g_assert_cmpstr (cradle_pending_request_get_connector (request), ==, "certsrv");
  g_assert_cmpstr (cradle_pending_request_get_endpoint (request), ==, "https://ca1.corp.example.test/certsrv");
  g_assert_cmpstr (cradle_pending_request_get_template_name (request), ==, "CradleDevice");
  test_assert_bytes_equal (cradle_pending_request_get_key_id (request), key_id);
  test_assert_bytes_equal (cradle_pending_request_get_csr (request), csr);
}

sqlite3 *
test_sqlite_open (const char *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 10000);
  return db;
}

char *
test_sqlite_query (sqlite3    *db,
                   const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  char *answer;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  answer = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return answer;
}

gint64
test_now_seconds (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

CradlePendingStore *
test_open_store (const char *path)
{
  g_autoptr(GError) error = NULL;
  CradlePendingStore *store = cradle_pending_store_open (path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (store);
  return store;
}

CradlePendingRequest *
test_get_request (CradlePendingStore *store,
             gint64              id)
{
  g_autoptr(GError) error = NULL;
  CradlePendingRequest *request = cradle_pending_store_get (store, id, &error);

  g_assert_no_error (error);
  g_assert_nonnull (request);
  return request;
}
