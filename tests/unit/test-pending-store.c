/* test-pending-store.c: the pending store keeps every field, allows only the
 * documented status changes, and refuses files that are not its own */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "state/cradle-pending-store-private.h"
#include "pending-store-test-support.h"

static void
test_round_trip (StoreFixture  *f,
                 gconstpointer  data)
{
  g_autoptr(CradlePendingStore) store = test_open_store (f->path);
  g_autoptr(CradlePendingRequest) request = NULL;
  g_autoptr(CradlePendingRequest) bare = NULL;
  g_autoptr(GBytes) key_id = test_key_id (7);
  g_autoptr(GBytes) csr = test_csr (7);
  g_autoptr(GError) error = NULL;
  gint64 before = test_now_seconds ();
  gint64 id, bare_id;
  guint32 code = 1;
  const char *message = "unset";

  g_assert_cmpstr (cradle_pending_store_get_path (store), ==, f->path);
  id = cradle_pending_store_add (store, "wstep",
                                 "https://ca1.corp.example.test/Corp%20Issuing%20CA_CES_Kerberos/service.svc/CES",
                                 "CradleDeviceECC", "SIM-000007", key_id, csr, &error);
  g_assert_no_error (error);
  g_assert_cmpint (id, ==, 1);

  request = test_get_request (store, id);
  g_assert_cmpint (cradle_pending_request_get_id (request), ==, id);
  g_assert_cmpstr (cradle_pending_request_get_connector (request), ==, "wstep");
  g_assert_cmpstr (cradle_pending_request_get_endpoint (request), ==,
                   "https://ca1.corp.example.test/Corp%20Issuing%20CA_CES_Kerberos/service.svc/CES");
  g_assert_null (cradle_pending_request_get_ca_request_id (request));
  g_assert_null (cradle_pending_request_get_retrieve_uri (request));
  g_assert_cmpstr (cradle_pending_request_get_template_name (request), ==, "CradleDeviceECC");
  g_assert_cmpstr (cradle_pending_request_get_device_serial (request), ==, "SIM-000007");
  test_assert_bytes_equal (cradle_pending_request_get_key_id (request), key_id);
  test_assert_bytes_equal (cradle_pending_request_get_csr (request), csr);
  g_assert_cmpint (cradle_pending_request_get_status (request), ==, CRADLE_PENDING_STATUS_SUBMITTING);
  g_assert_cmpint (cradle_pending_request_get_created (request), >=, before);
  g_assert_cmpint (cradle_pending_request_get_created (request), <=, test_now_seconds ());
  g_assert_cmpint (cradle_pending_request_get_updated (request), ==,
                   cradle_pending_request_get_created (request));
  g_assert_cmpuint (cradle_pending_request_get_attempts (request), ==, 0);
  g_assert_cmpint (cradle_pending_request_get_next_attempt (request), ==, 0);
  g_assert_null (cradle_pending_request_get_last_error (request));
  g_assert_false (cradle_pending_request_get_denial (request, &code, &message));
  g_assert_null (cradle_pending_request_get_leaf (request));
  g_assert_cmpuint (cradle_pending_request_get_chain (request)->len, ==, 0);

  /* The template is optional (EST and SCEP types may have none). */
  bare_id = cradle_pending_store_add (store, "est", "https://est.corp.example.test/.well-known/est/",
                                      NULL, "SIM-000008", key_id, csr, &error);
  g_assert_no_error (error);
  g_assert_cmpint (bare_id, ==, 2);
  bare = test_get_request (store, bare_id);
  g_assert_null (cradle_pending_request_get_template_name (bare));
  g_assert_cmpstr (cradle_pending_request_get_connector (bare), ==, "est");
}

/* submitting -> pending -> pending -> (attempt) -> issued -> (attempt) -> installed */
static void
test_pending_issued_installed (StoreFixture  *f,
                               gconstpointer  data)
{
  g_autoptr(CradlePendingStore) store = test_open_store (f->path);
  g_autoptr(CradleCertificate) leaf = test_certificate ("alice device");
  g_autoptr(CradleCertificate) issuing = test_certificate ("Corp Issuing CA");
  g_autoptr(CradleCertificate) root = test_certificate ("Corp Root CA");
  g_autoptr(GPtrArray) chain = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  gint64 id = test_add (store, 1);
  gint64 now;

  g_assert_true (cradle_pending_store_mark_pending (store, id, "61",
                                                    "https://ca1.corp.example.test/CES", 3600, &error));
  g_assert_no_error (error);
  now = test_now_seconds ();
  {
    g_autoptr(CradlePendingRequest) request = test_get_request (store, id);

    g_assert_cmpint (cradle_pending_request_get_status (request), ==, CRADLE_PENDING_STATUS_PENDING);
    g_assert_cmpstr (cradle_pending_request_get_ca_request_id (request), ==, "61");
    g_assert_cmpstr (cradle_pending_request_get_retrieve_uri (request), ==, "https://ca1.corp.example.test/CES");
    g_assert_cmpuint (cradle_pending_request_get_attempts (request), ==, 1);
    g_assert_cmpint (cradle_pending_request_get_next_attempt (request), >=, now + 3600 - 2);
    g_assert_cmpint (cradle_pending_request_get_next_attempt (request), <=, now + 3600);
    test_assert_intact (request, 1);
  }

  /* Polled, still pending: NULL keeps what is known. */
  g_assert_true (cradle_pending_store_mark_pending (store, id, NULL, NULL, 60, &error));
  g_assert_no_error (error);
  /* The CA cannot be reached: the status stays, the try is counted. */
  g_assert_true (cradle_pending_store_record_attempt (store, id, "Could not reach the CA at ca1.corp.example.test.",
                                                      120, &error));
  g_assert_no_error (error);
  now = test_now_seconds ();
  {
    g_autoptr(CradlePendingRequest) request = test_get_request (store, id);

    g_assert_cmpint (cradle_pending_request_get_status (request), ==, CRADLE_PENDING_STATUS_PENDING);
    g_assert_cmpstr (cradle_pending_request_get_ca_request_id (request), ==, "61");
    g_assert_cmpstr (cradle_pending_request_get_retrieve_uri (request), ==, "https://ca1.corp.example.test/CES");
    g_assert_cmpuint (cradle_pending_request_get_attempts (request), ==, 3);
    g_assert_cmpstr (cradle_pending_request_get_last_error (request), ==,
                     "Could not reach the CA at ca1.corp.example.test.");
    g_assert_cmpint (cradle_pending_request_get_next_attempt (request), >=, now + 120 - 2);
    g_assert_cmpint (cradle_pending_request_get_next_attempt (request), <=, now + 120);
  }

  g_ptr_array_add (chain, issuing);
  g_ptr_array_add (chain, root);
  g_assert_true (cradle_pending_store_mark_issued (store, id, "61", leaf, chain, &error));
  g_assert_no_error (error);
  {
    g_autoptr(CradlePendingRequest) request = test_get_request (store, id);
    GPtrArray *stored = cradle_pending_request_get_chain (request);

    g_assert_cmpint (cradle_pending_request_get_status (request), ==, CRADLE_PENDING_STATUS_ISSUED);
    test_assert_bytes_equal (cradle_certificate_get_der (cradle_pending_request_get_leaf (request)),
                             cradle_certificate_get_der (leaf));
    g_assert_cmpuint (stored->len, ==, 2);
    test_assert_bytes_equal (cradle_certificate_get_der (g_ptr_array_index (stored, 0)),
                             cradle_certificate_get_der (issuing));
    test_assert_bytes_equal (cradle_certificate_get_der (g_ptr_array_index (stored, 1)),
                             cradle_certificate_get_der (root));
    g_assert_null (cradle_pending_request_get_last_error (request));
    g_assert_cmpint (cradle_pending_request_get_next_attempt (request), ==, 0);
    test_assert_intact (request, 1);
  }

  /* The device is unplugged before the install: try again later. */
  g_assert_true (cradle_pending_store_record_attempt (store, id, "The device was unplugged.", 0, &error));
  g_assert_no_error (error);
  g_assert_true (cradle_pending_store_mark_installed (store, id, &error));
  g_assert_no_error (error);
  {
    g_autoptr(CradlePendingRequest) request = test_get_request (store, id);

    g_assert_cmpint (cradle_pending_request_get_status (request), ==, CRADLE_PENDING_STATUS_INSTALLED);
    g_assert_nonnull (cradle_pending_request_get_leaf (request));
    g_assert_cmpuint (cradle_pending_request_get_chain (request)->len, ==, 2);
    g_assert_null (cradle_pending_request_get_last_error (request));
    g_assert_cmpuint (cradle_pending_request_get_attempts (request), ==, 4);
    g_assert_cmpint (cradle_pending_request_get_updated (request), >=,
                     cradle_pending_request_get_created (request));
  }
}

static void
test_issued_at_once (StoreFixture  *f,
                     gconstpointer  data)
{
  g_autoptr(CradlePendingStore) store = test_open_store (f->path);
  g_autoptr(CradleCertificate) leaf = test_certificate ("bob device");
  g_autoptr(CradlePendingRequest) request = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id = test_add (store, 2);

  /* EST answers 200 at once, with no request id and no chain. */
  g_assert_true (cradle_pending_store_mark_issued (store, id, NULL, leaf, NULL, &error));
  g_assert_no_error (error);
  request = test_get_request (store, id);
  g_assert_cmpint (cradle_pending_request_get_status (request), ==, CRADLE_PENDING_STATUS_ISSUED);
  g_assert_null (cradle_pending_request_get_ca_request_id (request));
  g_assert_cmpuint (cradle_pending_request_get_chain (request)->len, ==, 0);
  g_assert_cmpuint (cradle_pending_request_get_attempts (request), ==, 0);
  test_assert_bytes_equal (cradle_certificate_get_der (cradle_pending_request_get_leaf (request)),
                           cradle_certificate_get_der (leaf));
}

static void
test_denied_and_failed (StoreFixture  *f,
                        gconstpointer  data)
{
  g_autoptr(CradlePendingStore) store = test_open_store (f->path);
  g_autoptr(GError) error = NULL;
  gint64 denied = test_add (store, 3);
  gint64 pending_denied = test_add (store, 4);
  gint64 bad_alg = test_add (store, 5);
  gint64 failed = test_add (store, 6);
  g_autofree char *long_message = g_strnfill (5000, 'x');
  guint32 code = 0;
  const char *message = NULL;

  g_assert_true (cradle_pending_store_mark_denied (store, denied, "168", 0x80094012,
                                                   "Denied by Policy Module\r\n 0x80094012,\tThe permissions...",
                                                   &error));
  g_assert_no_error (error);
  {
    g_autoptr(CradlePendingRequest) request = test_get_request (store, denied);

    g_assert_cmpint (cradle_pending_request_get_status (request), ==, CRADLE_PENDING_STATUS_DENIED);
    g_assert_cmpstr (cradle_pending_request_get_ca_request_id (request), ==, "168");
    g_assert_true (cradle_pending_request_get_denial (request, &code, &message));
    g_assert_cmpuint (code, ==, 0x80094012);
    /* One line: control characters become spaces. */
    g_assert_cmpstr (message, ==, "Denied by Policy Module   0x80094012, The permissions...");
    test_assert_intact (request, 3);
  }

  /* From pending, with a message that is far too long and not UTF-8. */
  long_message[10] = '\xff';
  g_assert_true (cradle_pending_store_mark_pending (store, pending_denied, "169", NULL, 10, &error));
  g_assert_no_error (error);
  g_assert_true (cradle_pending_store_mark_denied (store, pending_denied, NULL, 0x80094014, long_message, &error));
  g_assert_no_error (error);
  {
    g_autoptr(CradlePendingRequest) request = test_get_request (store, pending_denied);

    g_assert_true (cradle_pending_request_get_denial (request, &code, &message));
    g_assert_cmpuint (code, ==, 0x80094014);
    g_assert_cmpstr (cradle_pending_request_get_ca_request_id (request), ==, "169");
    g_assert_true (g_utf8_validate (message, -1, NULL));
    g_assert_cmpuint (strlen (message), <=, 2048);
    g_assert_cmpuint (strlen (message), >, 2000);
  }

  /* SCEP's badAlg is code 0, and still a denial; the CA may give no words. */
  g_assert_true (cradle_pending_store_mark_denied (store, bad_alg, NULL, 0, NULL, &error));
  g_assert_no_error (error);
  {
    g_autoptr(CradlePendingRequest) request = test_get_request (store, bad_alg);

    message = "unset";
    g_assert_true (cradle_pending_request_get_denial (request, &code, &message));
    g_assert_cmpuint (code, ==, 0);
    g_assert_null (message);
  }

  g_assert_true (cradle_pending_store_mark_failed (store, failed,
                                                   "The CA's answer could not be read as a certificate.", &error));
  g_assert_no_error (error);
  {
    g_autoptr(CradlePendingRequest) request = test_get_request (store, failed);

    g_assert_cmpint (cradle_pending_request_get_status (request), ==, CRADLE_PENDING_STATUS_FAILED);
    g_assert_cmpstr (cradle_pending_request_get_last_error (request), ==,
                     "The CA's answer could not be read as a certificate.");
    g_assert_false (cradle_pending_request_get_denial (request, NULL, NULL));
  }
}

/* Brings a new request to @status along an allowed path. */
static gint64
add_with_status (CradlePendingStore  *store,
                 guint                seed,
                 CradlePendingStatus  status)
{
  g_autoptr(CradleCertificate) leaf = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id = test_add (store, seed);

  switch (status)
    {
    case CRADLE_PENDING_STATUS_SUBMITTING:
      break;
    case CRADLE_PENDING_STATUS_PENDING:
      g_assert_true (cradle_pending_store_mark_pending (store, id, "1", NULL, 0, &error));
      break;
    case CRADLE_PENDING_STATUS_ISSUED:
    case CRADLE_PENDING_STATUS_INSTALLED:
      leaf = test_certificate ("device");
      g_assert_true (cradle_pending_store_mark_issued (store, id, "1", leaf, NULL, &error));
      if (status == CRADLE_PENDING_STATUS_INSTALLED)
        g_assert_true (cradle_pending_store_mark_installed (store, id, &error));
      break;
    case CRADLE_PENDING_STATUS_DENIED:
      g_assert_true (cradle_pending_store_mark_denied (store, id, "1", 0x80094012, "no", &error));
      break;
    case CRADLE_PENDING_STATUS_FAILED:
      g_assert_true (cradle_pending_store_mark_failed (store, id, "broken", &error));
      break;
    default:
      g_assert_not_reached ();
    }
  g_assert_no_error (error);
  return id;
}

/* Tries to move request @id to @to through the store. */
static gboolean
try_mark (CradlePendingStore   *store,
          gint64                id,
          CradlePendingStatus   to,
          GError              **error)
{
  g_autoptr(CradleCertificate) leaf = NULL;

  switch (to)
    {
    case CRADLE_PENDING_STATUS_PENDING:
      return cradle_pending_store_mark_pending (store, id, "2", NULL, 0, error);
    case CRADLE_PENDING_STATUS_ISSUED:
      leaf = test_certificate ("again");
      return cradle_pending_store_mark_issued (store, id, "2", leaf, NULL, error);
    case CRADLE_PENDING_STATUS_INSTALLED:
      return cradle_pending_store_mark_installed (store, id, error);
    case CRADLE_PENDING_STATUS_DENIED:
      return cradle_pending_store_mark_denied (store, id, "2", 2, "no", error);
    case CRADLE_PENDING_STATUS_FAILED:
      return cradle_pending_store_mark_failed (store, id, "gave up", error);
    case CRADLE_PENDING_STATUS_SUBMITTING:
    default:
      g_assert_not_reached ();
    }
}

/* Every (from, to) pair through the store agrees with the documented table. */
static void
test_transitions_table (StoreFixture  *f,
                        gconstpointer  data)
{
  /* expected[from][to], in CradlePendingStatus order; submitting is only reached by add. */
  static const gboolean expected[6][6] = {
    /*              sub    pend   iss    inst   den    fail */
    /* sub  */ { FALSE, TRUE,  TRUE,  FALSE, TRUE,  TRUE },
    /* pend */ { FALSE, TRUE,  TRUE,  FALSE, TRUE,  TRUE },
    /* iss  */ { FALSE, FALSE, FALSE, TRUE,  FALSE, TRUE },
    /* inst */ { FALSE, FALSE, FALSE, FALSE, FALSE, FALSE },
    /* den  */ { FALSE, FALSE, FALSE, FALSE, FALSE, FALSE },
    /* fail */ { FALSE, FALSE, FALSE, FALSE, FALSE, FALSE },
  };
  g_autoptr(CradlePendingStore) store = test_open_store (f->path);
  guint seed = 100;
  guint refused = 0;

  for (int from = 0; from < 6; from++)
    {
      for (int to = 0; to < 6; to++)
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(CradlePendingRequest) before = NULL;
          g_autoptr(CradlePendingRequest) after = NULL;
          gint64 id;
          gboolean ok;

          g_assert_cmpint (cradle_pending_status_can_become (from, to), ==, expected[from][to]);
          if (to == CRADLE_PENDING_STATUS_SUBMITTING)
            continue;
          id = add_with_status (store, seed++, from);
          before = test_get_request (store, id);
          ok = try_mark (store, id, to, &error);
          after = test_get_request (store, id);
          g_test_message ("%s -> %s: %s", cradle_pending_status_to_string (from),
                          cradle_pending_status_to_string (to), ok ? "allowed" : error->message);
          g_assert_cmpint (ok, ==, expected[from][to]);
          if (ok)
            {
              g_assert_no_error (error);
              g_assert_cmpint (cradle_pending_request_get_status (after), ==, to);
              continue;
            }
          refused++;
          g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED);
          g_assert_nonnull (strstr (error->message, cradle_pending_status_to_string (from)));
          g_assert_nonnull (strstr (error->message, cradle_pending_status_to_string (to)));
          /* Refused means untouched. */
          g_assert_cmpint (cradle_pending_request_get_status (after), ==, from);
          g_assert_cmpstr (cradle_pending_request_get_ca_request_id (after), ==,
                           cradle_pending_request_get_ca_request_id (before));
          g_assert_cmpint (cradle_pending_request_get_updated (after), ==,
                           cradle_pending_request_get_updated (before));
          g_assert_cmpuint (cradle_pending_request_get_attempts (after), ==,
                            cradle_pending_request_get_attempts (before));
        }
    }
  g_assert_cmpuint (refused, ==, 20);
}

static void
test_refusals (StoreFixture  *f,
               gconstpointer  data)
{
  g_autoptr(CradlePendingStore) store = test_open_store (f->path);
  g_autoptr(GError) error = NULL;
  gint64 installed = add_with_status (store, 1, CRADLE_PENDING_STATUS_INSTALLED);
  gint64 denied = add_with_status (store, 2, CRADLE_PENDING_STATUS_DENIED);

  /* The issue's example: installed never goes back to pending. */
  g_assert_false (cradle_pending_store_mark_pending (store, installed, "9", NULL, 0, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "installed, so it cannot become pending"));
  g_clear_error (&error);

  /* A finished request has nothing more to try. */
  g_assert_false (cradle_pending_store_record_attempt (store, denied, "x", 0, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "nothing more to try"));
  g_clear_error (&error);

  /* Unknown ids. */
  g_assert_null (cradle_pending_store_get (store, 999, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "There is no request 999"));
  g_clear_error (&error);
  g_assert_false (cradle_pending_store_mark_installed (store, 999, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (cradle_pending_store_remove (store, 999, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_clear_error (&error);
}

static void
assert_add_refused (CradlePendingStore *store,
                    const char         *connector,
                    const char         *endpoint,
                    const char         *serial,
                    GBytes             *key_id,
                    GBytes             *csr,
                    const char         *expected)
{
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (cradle_pending_store_add (store, connector, endpoint, NULL, serial, key_id, csr, &error),
                   ==, 0);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, expected));
}

static void
test_invalid_input (StoreFixture  *f,
                    gconstpointer  data)
{
  g_autoptr(CradlePendingStore) store = test_open_store (f->path);
  g_autoptr(GBytes) key_id = test_key_id (1);
  g_autoptr(GBytes) short_key_id = g_bytes_new ("0123456789abcde", 15);
  g_autoptr(GBytes) csr = test_csr (1);
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr(GBytes) huge = g_bytes_new_take (g_malloc0 (65 * 1024), 65 * 1024);
  g_autofree char *long_text = g_strnfill (5000, 'a');
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GError) error = NULL;
  const char *url = "https://ca";

  assert_add_refused (store, "ftp", url, "SIM-1", key_id, csr, "'ftp' is not a CA protocol");
  assert_add_refused (store, "scep", url, "SIM-1", short_key_id, csr, "key id has 15 bytes");
  assert_add_refused (store, "scep", url, "SIM-1", key_id, empty, "certification request has 0 bytes");
  assert_add_refused (store, "scep", url, "SIM-1", key_id, huge, "certification request has 66560 bytes");
  assert_add_refused (store, "scep", url, "", key_id, csr, "device serial is empty");
  assert_add_refused (store, "scep", "https://ca/\xff", "SIM-1", key_id, csr, "CA address is not valid text");
  assert_add_refused (store, "scep", long_text, "SIM-1", key_id, csr, "longer than 4096 bytes");

  {
    gint64 id = test_add (store, 1);

    g_assert_false (cradle_pending_store_mark_pending (store, id, "\xc3", NULL, 0, &error));
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
    g_clear_error (&error);
    g_assert_false (cradle_pending_store_mark_pending (store, id, NULL, "", 0, &error));
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
    g_clear_error (&error);
  }

  /* Only the one good request was recorded, untouched. */
  all = cradle_pending_store_list (store, CRADLE_PENDING_LIST_ALL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 1);
  g_assert_cmpint (cradle_pending_request_get_status (g_ptr_array_index (all, 0)), ==,
                   CRADLE_PENDING_STATUS_SUBMITTING);
}

static void
test_list_and_remove (StoreFixture  *f,
                      gconstpointer  data)
{
  g_autoptr(CradlePendingStore) store = test_open_store (f->path);
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) unfinished = NULL;
  g_autoptr(GPtrArray) after = NULL;
  g_autoptr(GError) error = NULL;
  gint64 ids[6];
  gint64 next;

  for (int status = 0; status < 6; status++)
    ids[status] = add_with_status (store, 10 + (guint) status, status);

  all = cradle_pending_store_list (store, CRADLE_PENDING_LIST_ALL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 6);
  for (guint i = 0; i < all->len; i++)
    {
      g_assert_cmpint (cradle_pending_request_get_id (g_ptr_array_index (all, i)), ==, ids[i]);
      test_assert_intact (g_ptr_array_index (all, i), 10 + i);
    }

  unfinished = cradle_pending_store_list (store, CRADLE_PENDING_LIST_UNFINISHED, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (unfinished->len, ==, 3);
  g_assert_cmpint (cradle_pending_request_get_id (g_ptr_array_index (unfinished, 0)), ==,
                   ids[CRADLE_PENDING_STATUS_SUBMITTING]);
  g_assert_cmpint (cradle_pending_request_get_id (g_ptr_array_index (unfinished, 1)), ==,
                   ids[CRADLE_PENDING_STATUS_PENDING]);
  g_assert_cmpint (cradle_pending_request_get_id (g_ptr_array_index (unfinished, 2)), ==,
                   ids[CRADLE_PENDING_STATUS_ISSUED]);
  g_assert_nonnull (cradle_pending_request_get_leaf (g_ptr_array_index (unfinished, 2)));

  /* Removing takes the certificates too; an id is never given out again. */
  g_assert_true (cradle_pending_store_remove (store, ids[CRADLE_PENDING_STATUS_ISSUED], &error));
  g_assert_no_error (error);
  g_assert_true (cradle_pending_store_remove (store, ids[CRADLE_PENDING_STATUS_FAILED], &error));
  g_assert_no_error (error);
  g_assert_false (cradle_pending_store_remove (store, ids[CRADLE_PENDING_STATUS_FAILED], &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  after = cradle_pending_store_list (store, CRADLE_PENDING_LIST_ALL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (after->len, ==, 4);
  next = test_add (store, 99);
  g_assert_cmpint (next, >, ids[CRADLE_PENDING_STATUS_FAILED]);
  {
    sqlite3 *db = test_sqlite_open (f->path);
    g_autofree char *orphans = test_sqlite_query (db, "SELECT count(*) FROM certificates "
                                                      "WHERE request_id NOT IN (SELECT id FROM requests)");

    g_assert_cmpstr (orphans, ==, "0");
    sqlite3_close (db);
  }
}

static void
test_reopen (StoreFixture  *f,
             gconstpointer  data)
{
  g_autoptr(CradleCertificate) leaf = test_certificate ("reopened");
  g_autoptr(GError) error = NULL;
  gint64 first, second;

  {
    g_autoptr(CradlePendingStore) store = test_open_store (f->path);

    first = test_add (store, 1);
    second = test_add (store, 2);
    g_assert_true (cradle_pending_store_mark_pending (store, first, "77", "https://ca/retrieve", 30, &error));
    g_assert_no_error (error);
    g_assert_true (cradle_pending_store_mark_issued (store, second, "78", leaf, NULL, &error));
    g_assert_no_error (error);
  }
  {
    g_autoptr(CradlePendingStore) store = test_open_store (f->path);
    g_autoptr(CradlePendingRequest) a = test_get_request (store, first);
    g_autoptr(CradlePendingRequest) b = test_get_request (store, second);

    test_assert_intact (a, 1);
    test_assert_intact (b, 2);
    g_assert_cmpint (cradle_pending_request_get_status (a), ==, CRADLE_PENDING_STATUS_PENDING);
    g_assert_cmpstr (cradle_pending_request_get_ca_request_id (a), ==, "77");
    g_assert_cmpstr (cradle_pending_request_get_retrieve_uri (a), ==, "https://ca/retrieve");
    g_assert_cmpint (cradle_pending_request_get_status (b), ==, CRADLE_PENDING_STATUS_ISSUED);
    test_assert_bytes_equal (cradle_certificate_get_der (cradle_pending_request_get_leaf (b)),
                             cradle_certificate_get_der (leaf));
    /* And it goes on where it stopped. */
    g_assert_true (cradle_pending_store_mark_installed (store, second, &error));
    g_assert_no_error (error);
  }
  {
    sqlite3 *db = test_sqlite_open (f->path);
    g_autofree char *version = test_sqlite_query (db, "PRAGMA user_version");
    g_autofree char *application = test_sqlite_query (db, "PRAGMA application_id");
    g_autofree char *journal = test_sqlite_query (db, "PRAGMA journal_mode");
    g_autofree char *integrity = test_sqlite_query (db, "PRAGMA integrity_check");

    g_assert_cmpstr (version, ==, "4");
    g_assert_cmpstr (application, ==, "1131570284"); /* "Crdl" */
    g_assert_cmpstr (journal, ==, "wal");
    g_assert_cmpstr (integrity, ==, "ok");
    sqlite3_close (db);
  }
}

static guint
mode_of (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_mode & 0777;
}

static void
test_default_path_and_modes (StoreFixture  *f,
                             gconstpointer  data)
{
  g_autofree char *state = g_build_filename (f->root, "home", "state", "cradle", NULL);
  g_autofree char *expected = g_build_filename (state, "requests.sqlite", NULL);
  g_autofree char *wal = g_strconcat (expected, "-wal", NULL);
  g_autofree char *shm = g_strconcat (expected, "-shm", NULL);
  g_autofree char *loose = g_build_filename (f->root, "loose.sqlite", NULL);
  g_autoptr(CradlePendingStore) store = NULL;
  g_autoptr(CradlePendingStore) tightened = NULL;
  g_autoptr(GError) error = NULL;

  g_setenv ("CRADLE_STATE_DIR", state, TRUE);
  store = cradle_pending_store_open (NULL, &error);
  g_unsetenv ("CRADLE_STATE_DIR");
  g_assert_no_error (error);
  g_assert_cmpstr (cradle_pending_store_get_path (store), ==, expected);
  test_add (store, 1);

  g_assert_cmpuint (mode_of (state), ==, 0700);
  g_assert_cmpuint (mode_of (expected), ==, 0600);
  g_assert_cmpuint (mode_of (wal), ==, 0600);
  g_assert_cmpuint (mode_of (shm), ==, 0600);

  /* A file someone made readable by others is made private. */
  g_assert_true (g_file_set_contents (loose, "", 0, NULL));
  g_assert_cmpint (g_chmod (loose, 0644), ==, 0);
  tightened = cradle_pending_store_open (loose, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (mode_of (loose), ==, 0600);
}

static void
test_not_a_database (StoreFixture  *f,
                     gconstpointer  data)
{
  static const char text[] = "These are my notes, not a database.\n"
                             "They go on for a while so that SQLite reads a whole header of them.\n"
                             "...........................................................\n";
  g_autofree char *folder = g_path_get_dirname (f->path);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  CradlePendingStore *store;

  g_assert_true (cradle_paths_ensure_private_dir (folder, NULL));
  g_assert_true (g_file_set_contents (f->path, text, -1, NULL));

  store = cradle_pending_store_open (f->path, &error);
  g_assert_null (store);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "is not a Cradle request database"));
  g_assert_nonnull (strstr (error->message, f->path));
  g_assert_nonnull (strstr (error->message, "Move it aside"));

  /* Left exactly as it was. */
  g_assert_true (g_file_get_contents (f->path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, text);
}

static void
test_foreign_database (StoreFixture  *f,
                       gconstpointer  data)
{
  g_autofree char *folder = g_path_get_dirname (f->path);
  g_autoptr(GError) error = NULL;
  CradlePendingStore *store;
  sqlite3 *db;

  g_assert_true (cradle_paths_ensure_private_dir (folder, NULL));
  db = test_sqlite_open (f->path);
  g_assert_cmpint (sqlite3_exec (db, "CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('mine')",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  store = cradle_pending_store_open (f->path, &error);
  g_assert_null (store);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "is not a Cradle request database"));
  g_assert_nonnull (strstr (error->message, "another program's data"));

  /* Not switched to WAL, not given our schema. */
  db = test_sqlite_open (f->path);
  {
    g_autofree char *journal = test_sqlite_query (db, "PRAGMA journal_mode");
    g_autofree char *tables = test_sqlite_query (db, "SELECT group_concat (name) FROM sqlite_schema");

    g_assert_cmpstr (journal, ==, "delete");
    g_assert_cmpstr (tables, ==, "notes");
  }
  sqlite3_close (db);
}

static void
test_future_schema (StoreFixture  *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  CradlePendingStore *store;
  sqlite3 *db;

  store = test_open_store (f->path);
  test_add (store, 1);
  g_clear_object (&store);

  db = test_sqlite_open (f->path);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA user_version = 7", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  store = cradle_pending_store_open (f->path, &error);
  g_assert_null (store);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "newer version of Cradle"));
  g_assert_nonnull (strstr (error->message, "schema 7"));

  /* Untouched: the newer Cradle still finds its data. */
  db = test_sqlite_open (f->path);
  {
    g_autofree char *version = test_sqlite_query (db, "PRAGMA user_version");
    g_autofree char *count = test_sqlite_query (db, "SELECT count(*) FROM requests");

    g_assert_cmpstr (version, ==, "7");
    g_assert_cmpstr (count, ==, "1");
  }
  sqlite3_close (db);
}

/* A damaged page is found at open, not halfway through a later read. */
static void
test_damaged_file (StoreFixture  *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize size = 0;
  CradlePendingStore *store = test_open_store (f->path);

  for (guint seed = 1; seed <= 40; seed++)
    test_add (store, seed);
  /* The last close folds the WAL into the file. */
  g_clear_object (&store);

  g_assert_true (g_file_get_contents (f->path, &contents, &size, NULL));
  g_assert_cmpuint (size, >, 16 * 4096);
  /* Scribble over the b-tree page headers of pages 3 to 6. */
  for (gsize page = 2; page < 6; page++)
    memset (contents + page * 4096, 0xa5, 64);
  g_assert_true (g_file_set_contents (f->path, contents, (gssize) size, NULL));

  store = cradle_pending_store_open (f->path, &error);
  g_assert_null (store);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "damaged"));
  g_assert_null (strchr (error->message, '\n'));
  g_assert_nonnull (strstr (error->message, "Move it aside"));
}

/* Damaged in place, after this process checked it: the same inode, so the
 * once-per-process check must still notice the file changed. */
static void
test_damaged_in_place (StoreFixture  *f,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  CradlePendingStore *store = test_open_store (f->path);
  FILE *file;

  for (guint seed = 1; seed <= 40; seed++)
    test_add (store, seed);
  g_clear_object (&store);
  store = test_open_store (f->path);   /* checked, and remembered as checked */
  g_clear_object (&store);

  file = fopen (f->path, "r+b");
  g_assert_nonnull (file);
  for (long page = 2; page < 6; page++)
    {
      static const guint8 junk[64] = { [0 ... 63] = 0xa5 };

      g_assert_cmpint (fseek (file, page * 4096, SEEK_SET), ==, 0);
      g_assert_cmpuint (fwrite (junk, 1, sizeof junk, file), ==, sizeof junk);
    }
  g_assert_cmpint (fclose (file), ==, 0);

  store = cradle_pending_store_open (f->path, &error);
  g_assert_null (store);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "damaged"));
}

typedef struct {
  char    *path;
  gboolean holding;
} Holder;

static gpointer
hold_write_lock (gpointer data)
{
  Holder *holder = data;
  sqlite3 *db = test_sqlite_open (holder->path);

  g_assert_cmpint (sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL), ==, SQLITE_OK);
  g_atomic_int_set (&holder->holding, TRUE);
  g_usleep (400 * 1000);
  g_assert_cmpint (sqlite3_exec (db, "COMMIT", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  return NULL;
}

/* The CLI and the app share the file: each sees the other's changes, and
 * a write waits for the other's transaction instead of failing. */
static void
test_two_programs (StoreFixture  *f,
                   gconstpointer  data)
{
  g_autoptr(CradlePendingStore) cli = test_open_store (f->path);
  g_autoptr(CradlePendingStore) app = test_open_store (f->path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GThread) thread = NULL;
  Holder holder = { f->path, FALSE };
  gint64 id = test_add (cli, 1);
  gint64 started;

  {
    g_autoptr(CradlePendingRequest) seen = test_get_request (app, id);

    test_assert_intact (seen, 1);
  }
  g_assert_true (cradle_pending_store_mark_pending (app, id, "5", NULL, 0, &error));
  g_assert_no_error (error);
  {
    g_autoptr(CradlePendingRequest) seen = test_get_request (cli, id);

    g_assert_cmpint (cradle_pending_request_get_status (seen), ==, CRADLE_PENDING_STATUS_PENDING);
  }
  /* Both try the same step: one wins, the other is told clearly. */
  {
    g_autoptr(CradleCertificate) leaf = test_certificate ("raced");

    g_assert_true (cradle_pending_store_mark_issued (cli, id, NULL, leaf, NULL, &error));
    g_assert_no_error (error);
    g_assert_false (cradle_pending_store_mark_pending (app, id, NULL, NULL, 0, &error));
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED);
    g_clear_error (&error);
  }

  thread = g_thread_new ("holder", hold_write_lock, &holder);
  while (!g_atomic_int_get (&holder.holding))
    g_usleep (1000);
  started = g_get_monotonic_time ();
  test_add (app, 2);
  g_assert_cmpint (g_get_monotonic_time () - started, >=, 200 * 1000);
  g_thread_join (g_steal_pointer (&thread));
}

/* Programs that start together find no file yet: each must see the
 * other's new database whole, never half made (a CI run once saw the
 * schema without the application id and called the file foreign). */
typedef struct {
  const char *path;
  gint       *go;
} Opener;

static gpointer
open_when_told (gpointer data)
{
  Opener *opener = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CradlePendingStore) store = NULL;

  while (!g_atomic_int_get (opener->go))
    ;
  store = cradle_pending_store_open (opener->path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (store);
  return NULL;
}

static void
test_first_open_race (StoreFixture  *f,
                      gconstpointer  data)
{
  for (guint round = 0; round < 60; round++)
    {
      g_autofree char *path = g_strdup_printf ("%s.%u", f->path, round);
      GThread *threads[4];
      Opener opener;
      gint go = 0;

      opener.path = path;
      opener.go = &go;
      for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
        threads[i] = g_thread_new ("opener", open_when_told, &opener);
      g_atomic_int_set (&go, 1);
      for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
        g_thread_join (threads[i]);
    }
}

static void
test_status_names (void)
{
  for (int status = 0; status < 6; status++)
    {
      CradlePendingStatus parsed = 99;
      const char *name = cradle_pending_status_to_string (status);

      g_assert_cmpstr (name, !=, "unknown");
      g_assert_true (cradle_pending_status_from_string (name, &parsed));
      g_assert_cmpint (parsed, ==, status);
      g_assert_cmpint (cradle_pending_status_is_finished (status), ==,
                       status == CRADLE_PENDING_STATUS_INSTALLED || status == CRADLE_PENDING_STATUS_DENIED
                       || status == CRADLE_PENDING_STATUS_FAILED);
    }
  g_assert_cmpstr (cradle_pending_status_to_string (6), ==, "unknown");
  {
    CradlePendingStatus parsed;

    g_assert_false (cradle_pending_status_from_string ("Pending", &parsed));
    g_assert_false (cradle_pending_status_from_string (NULL, &parsed));
  }
}

#define ADD(name, func) \
  g_test_add ("/pending-store/" name, StoreFixture, NULL, store_fixture_set_up, func, store_fixture_tear_down)

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/pending-store/status-names", test_status_names);
  ADD ("round-trip", test_round_trip);
  ADD ("pending-issued-installed", test_pending_issued_installed);
  ADD ("issued-at-once", test_issued_at_once);
  ADD ("denied-and-failed", test_denied_and_failed);
  ADD ("transitions-table", test_transitions_table);
  ADD ("refusals", test_refusals);
  ADD ("invalid-input", test_invalid_input);
  ADD ("list-and-remove", test_list_and_remove);
  ADD ("reopen", test_reopen);
  ADD ("default-path-and-modes", test_default_path_and_modes);
  ADD ("not-a-database", test_not_a_database);
  ADD ("foreign-database", test_foreign_database);
  ADD ("future-schema", test_future_schema);
  ADD ("damaged-file", test_damaged_file);
  ADD ("damaged-in-place", test_damaged_in_place);
  ADD ("two-programs", test_two_programs);
  ADD ("first-open-race", test_first_open_race);

  return g_test_run ();
}
