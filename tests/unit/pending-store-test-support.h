/* pending-store-test-support.h: what the pending store tests share */
#pragma once

#include <sqlite3.h>
#include <cradle/cradle.h>

G_BEGIN_DECLS

typedef struct {
  char *root;   /* a scratch folder, removed afterwards */
  char *path;   /* root/state/requests.sqlite, not created */
} StoreFixture;

void store_fixture_set_up    (StoreFixture  *f,
                              gconstpointer  data);
void store_fixture_tear_down (StoreFixture  *f,
                              gconstpointer  data);

/* Test material derived from @seed, so that a reader can tell what a
 * writer stored from the seed alone. */
GBytes *test_key_id        (guint seed);
/* Not a real PKCS#10: the store keeps it as it is. */
GBytes *test_csr           (guint seed);
char   *test_serial        (guint seed);
/* A self-signed P-256 certificate with this common name. */
CradleCertificate *test_certificate (const char *common_name);

/* Records request @seed in @store; asserts it worked. */
gint64  test_add           (CradlePendingStore *store,
                            guint               seed);
/* Asserts @request is intact: CSR, key id and serial of its seed. */
void    test_assert_intact (CradlePendingRequest *request,
                            guint                 seed);
/* The seed of a request test_add() recorded, from its serial. */
guint   test_seed_of       (CradlePendingRequest *request);

/* A plain SQLite connection to @path, for looking behind the store. */
sqlite3 *test_sqlite_open   (const char *path);
/* The first column of the first row @sql answers, as text. */
char    *test_sqlite_query  (sqlite3    *db,
                             const char *sql);
void     test_assert_bytes_equal (GBytes *actual,
                                  GBytes *expected);

gint64                test_now_seconds (void);
/* The store at @path, opened; asserts it opens. */
CradlePendingStore   *test_open_store  (const char         *path);
/* Request @id of @store; asserts it is there. */
CradlePendingRequest *test_get_request (CradlePendingStore *store,
                                        gint64              id);

G_END_DECLS
