/* test-lifecycle.c: where a device's certificate stands: the overlap
 * period decoded, the renewal window at its edges, the verdicts, the
 * template extensions, and a device's certificates checked whole
 *
 * The certificates are real ones made with OpenSSL (revocation-test-pki.c).
 */
#include "config.h"

#include <openssl/ocsp.h>
#include <openssl/x509v3.h>
#include <glib/gstdio.h>

#include "catalog/cradle-template-private.h"
#include "lifecycle/cradle-lifecycle-private.h"
#include "revocation/cradle-revocation-private.h"
#include "state/cradle-journal-private.h"

#include "revocation-test-pki.h"

/* ---- periods, windows, verdicts -------------------------------------------------- */

static void
test_period_decoding (void)
{
  static const guint8 year[8] = { 0x00, 0x40, 0x39, 0x87, 0x2E, 0xE1, 0xFE, 0xFF };
  static const guint8 six_weeks[8] = { 0x00, 0x80, 0xA6, 0x0A, 0xFF, 0xDE, 0xFF, 0xFF };
  static const guint8 most_negative[8] = { 0, 0, 0, 0, 0, 0, 0, 0x80 };
  guint64 seconds = 1;

  g_assert_true (cradle_template_decode_period (year, sizeof year, &seconds));
  g_assert_cmpuint (seconds, ==, 365 * DAY);
  g_assert_true (cradle_template_decode_period (six_weeks, sizeof six_weeks, &seconds));
  g_assert_cmpuint (seconds, ==, 42 * DAY);
  /* The extreme value does not overflow. */
  g_assert_true (cradle_template_decode_period (most_negative, sizeof most_negative, &seconds));
  g_assert_cmpuint (seconds, ==, (guint64) G_MAXINT64 / 10000000u);
  g_assert_false (cradle_template_decode_period (year, 7, &seconds));
  g_assert_cmpuint (seconds, ==, 0);
}

static void
test_renewal_window (void)
{
  const gint64 start = 1700000000;
  const gint64 year = 365 * DAY;

  /* lifecycle.md: a one-year certificate with a six-week period renews in week 46. */
  g_assert_cmpint (cradle_renewal_window_for_template (start, start + year, 42 * DAY), ==, start + year - 42 * DAY);
  g_assert_cmpint ((cradle_renewal_window_for_template (start, start + year, 42 * DAY) - start) / (7 * DAY), ==, 46);
  /* A period longer than a fifth of the life: the 80% decides. */
  g_assert_cmpint (cradle_renewal_window_for_template (start, start + 100 * DAY, 30 * DAY), ==, start + 80 * DAY);
  /* Exactly a fifth: both agree. */
  g_assert_cmpint (cradle_renewal_window_for_template (start, start + 100 * DAY, 20 * DAY), ==, start + 80 * DAY);
  /* One second less than a fifth: the period decides, one second later. */
  g_assert_cmpint (cradle_renewal_window_for_template (start, start + 100 * DAY, 20 * DAY - 1), ==,
                   start + 80 * DAY + 1);
  /* Unset, longer than the life, far beyond it. */
  g_assert_cmpint (cradle_renewal_window_for_template (start, start + 100, 0), ==, start + 80);
  g_assert_cmpint (cradle_renewal_window_for_template (start, start + 100, 1000), ==, start + 80);
  g_assert_cmpint (cradle_renewal_window_for_template (start, start + 100, G_MAXUINT64), ==, start + 80);
  /* A certificate whose end is not after its start: due at once. */
  g_assert_cmpint (cradle_renewal_window_for_template (start, start, 10), ==, start);
  g_assert_cmpint (cradle_renewal_window_for_template (start, start - 10, 10), ==, start);
  /* Shares of the lifetime, rounded down; huge lives do not overflow. */
  g_assert_cmpint (cradle_renewal_window_for_share (start, start + 100, 80), ==, start + 80);
  g_assert_cmpint (cradle_renewal_window_for_share (start, start + 101, 80), ==, start + 80);
  g_assert_cmpint (cradle_renewal_window_for_share (start, start + 99, 99), ==, start + 98);
  g_assert_cmpint (cradle_renewal_window_for_share (start, start + 1, 99), ==, start);
  g_assert_cmpint (cradle_renewal_window_for_share (start, start + 10 * 60, 50), ==, start + 5 * 60);
  g_assert_cmpint (cradle_renewal_window_for_share (0, G_MAXINT64, 99), ==,
                   (G_MAXINT64 / 100) * 99 + (G_MAXINT64 % 100) * 99 / 100);
}

static void
test_verdict (void)
{
  const gint64 nb = 1000;
  const gint64 na = 2000;
  const gint64 renew = 1800;

  g_assert_cmpint (cradle_cert_verdict_at (nb, na, renew, CRADLE_REVOCATION_GOOD, nb), ==, CRADLE_CERT_VERDICT_VALID);
  g_assert_cmpint (cradle_cert_verdict_at (nb, na, renew, CRADLE_REVOCATION_GOOD, renew - 1), ==,
                   CRADLE_CERT_VERDICT_VALID);
  g_assert_cmpint (cradle_cert_verdict_at (nb, na, renew, CRADLE_REVOCATION_GOOD, renew), ==,
                   CRADLE_CERT_VERDICT_RENEW_SOON);
  g_assert_cmpint (cradle_cert_verdict_at (nb, na, renew, CRADLE_REVOCATION_GOOD, na - 1), ==,
                   CRADLE_CERT_VERDICT_RENEW_SOON);
  g_assert_cmpint (cradle_cert_verdict_at (nb, na, renew, CRADLE_REVOCATION_GOOD, na), ==,
                   CRADLE_CERT_VERDICT_EXPIRED);
  g_assert_cmpint (cradle_cert_verdict_at (nb, na, renew, CRADLE_REVOCATION_GOOD, nb - 1), ==,
                   CRADLE_CERT_VERDICT_EXPIRED);
  /* Revoked wins over everything; unknown only on an otherwise valid one. */
  g_assert_cmpint (cradle_cert_verdict_at (nb, na, renew, CRADLE_REVOCATION_REVOKED, nb), ==,
                   CRADLE_CERT_VERDICT_REVOKED);
  g_assert_cmpint (cradle_cert_verdict_at (nb, na, renew, CRADLE_REVOCATION_UNKNOWN, nb), ==,
                   CRADLE_CERT_VERDICT_UNKNOWN);
  g_assert_cmpint (cradle_cert_verdict_at (nb, na, renew, CRADLE_REVOCATION_UNKNOWN, renew), ==,
                   CRADLE_CERT_VERDICT_RENEW_SOON);
  g_assert_cmpint (cradle_cert_verdict_at (nb, na, renew, CRADLE_REVOCATION_UNKNOWN, na), ==,
                   CRADLE_CERT_VERDICT_EXPIRED);
  g_assert_cmpstr (cradle_cert_verdict_to_string (CRADLE_CERT_VERDICT_RENEW_SOON), ==, "renew-soon");
}

/* ---- template extensions, and a device's certificates ----------------------- */

static void
test_template_extension (Fixture       *f,
                         gconstpointer  data)
{
  /* SEQUENCE { OID 1.3.6.1.4.1.311.21.8.1.2, INTEGER 100, INTEGER 3 } */
  g_autoptr(GBytes) oid_ext = hex_bytes ("3013060b2b06010401823715080102020164020103");
  /* BMPString "User" */
  g_autoptr(GBytes) name_ext = hex_bytes ("1e080055007300650072");
  /* A BMPString of odd length, and a SEQUENCE with garbage after it. */
  g_autoptr(GBytes) odd_name = hex_bytes ("1e0700550073006500");
  g_autoptr(GBytes) trailing = hex_bytes ("3013060b2b06010401823715080102020164020103" "00");
  CertOptions with = { .template_oid_ext = oid_ext, .template_name_ext = name_ext };
  CertOptions broken = { .template_oid_ext = trailing, .template_name_ext = odd_name };
  g_autoptr(Pki) named = make_cert (f->ca, "named", FALSE, &with);
  g_autoptr(Pki) bad = make_cert (f->ca, "bad", FALSE, &broken);
  g_autofree char *oid = NULL;
  g_autofree char *name = NULL;
  guint major = 0;

  cradle_template_extension_read (cradle_leaf_get_extensions (named->outline), &oid, &major, &name);
  g_assert_cmpstr (oid, ==, "1.3.6.1.4.1.311.21.8.1.2");
  g_assert_cmpuint (major, ==, 100);
  g_assert_cmpstr (name, ==, "User");
  g_clear_pointer (&oid, g_free);
  g_clear_pointer (&name, g_free);
  cradle_template_extension_read (cradle_leaf_get_extensions (bad->outline), &oid, &major, &name);
  g_assert_null (oid);
  g_assert_null (name);
  cradle_template_extension_read (cradle_leaf_get_extensions (f->leaf->outline), &oid, &major, &name);
  g_assert_null (oid);
  g_assert_null (name);
}

static void
add_device_cert (GPtrArray  *certs,
                 const char *store,
                 X509       *cert,
                 GBytes     *key_id)
{
  g_autoptr(GBytes) der = cert_der (cert);

  g_ptr_array_add (certs, cradle_device_cert_new (store, "user", der, key_id));
}

static void
test_device_status (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *folder = g_dir_make_tmp ("cradle-status-XXXXXX", NULL);
  g_autofree char *cache_folder = g_build_filename (folder, "cache", NULL);
  g_autofree char *revocation_folder = g_build_filename (cache_folder, "revocation", NULL);
  g_autofree char *db_path = g_build_filename (folder, "requests.sqlite", NULL);
  g_autoptr(GBytes) name_ext = hex_bytes ("1e080055007300650072");
  CertOptions due = { .ocsp_url = "http://127.0.0.1:9/ocsp", .crl_url = "http://127.0.0.1:9/ca.crl",
                      .not_before = -90 * DAY, .not_after = 10 * DAY, .template_name_ext = name_ext };
  CertOptions gone = { .crl_url = "http://127.0.0.1:9/ca.crl", .not_before = -90 * DAY, .not_after = -DAY };
  g_autoptr(Pki) renewing = make_cert (f->ca, "due", FALSE, &due);
  g_autoptr(Pki) expired = make_cert (f->ca, "gone", FALSE, &gone);
  CertOptions plain = { .crl_url = "http://127.0.0.1:9/ca.crl" };
  g_autoptr(Pki) stranger = make_cert (f->other_ca, "stranger", FALSE, &plain);
  CrlOptions revoking = { .signer = f->ca, .revoked_serial = serial_of (f->sibling->cert), .reason = 1,
                          .this_update = -60, .next_update = HOUR };
  g_autoptr(GBytes) crl = make_crl (&revoking);
  g_autoptr(CradleRevocationCache) cache = cradle_revocation_cache_new (revocation_folder);
  g_autofree char *crl_key = cradle_revocation_cache_crl_key ("http://127.0.0.1:9/ca.crl");
  g_autoptr(GPtrArray) certs = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) statuses = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(CradleStatusChecker) checker = cradle_status_checker_new ();
  g_autoptr(CradleJournal) journal = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) key_id = g_bytes_new_static ("0123456789abcdef", 16);
  CradleJournalRun *run;

  g_setenv ("CRADLE_CACHE_DIR", cache_folder, TRUE);
  g_assert_true (cradle_revocation_cache_store (cache, crl_key, crl, &error));
  g_assert_no_error (error);
  journal = cradle_journal_open (db_path, &error);
  g_assert_no_error (error);

  add_device_cert (certs, "Root", f->ca->cert, NULL);
  add_device_cert (certs, "MY", f->leaf->cert, key_id);
  add_device_cert (certs, "MY", f->sibling->cert, key_id);
  add_device_cert (certs, "MY", renewing->cert, key_id);
  add_device_cert (certs, "MY", expired->cert, key_id);
  add_device_cert (certs, "MY", stranger->cert, key_id);
  cradle_status_checker_set_online (checker, FALSE);
  cradle_status_checker_set_journal (checker, journal);
  statuses = cradle_status_checker_check (checker, "SERIAL-1", certs, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (statuses->len, ==, 6);

  /* MY first, in the device's order. */
#define STATUS(i) ((CradleCertStatus *) g_ptr_array_index (statuses, i))
  g_assert_cmpstr (cradle_cert_status_get_subject (STATUS (0)), ==, "CN = phone");
  g_assert_cmpint (cradle_cert_status_get_verdict (STATUS (0)), ==, CRADLE_CERT_VERDICT_VALID);
  g_assert_cmpint (cradle_cert_status_get_revocation (STATUS (0)), ==, CRADLE_REVOCATION_GOOD);
  g_assert_true (cradle_cert_status_get_revocation_cached (STATUS (0)));
  g_assert_cmpstr (cradle_cert_status_get_revocation_method (STATUS (0)), ==, "crl");
  g_assert_cmpstr (cradle_cert_status_get_renewal_rule (STATUS (0)), ==, "80% of its lifetime");
  g_assert_true (cradle_cert_status_get_has_key (STATUS (0)));

  g_assert_cmpint (cradle_cert_status_get_verdict (STATUS (1)), ==, CRADLE_CERT_VERDICT_REVOKED);
  g_assert_cmpint (cradle_cert_status_get_revocation_reason (STATUS (1)), ==, 1);

  g_assert_cmpint (cradle_cert_status_get_verdict (STATUS (2)), ==, CRADLE_CERT_VERDICT_RENEW_SOON);
  g_assert_cmpstr (cradle_cert_status_get_type_name (STATUS (2)), ==, "User");
  g_assert_cmpint (cradle_cert_status_get_origin (STATUS (2)), ==, CRADLE_CERT_ORIGIN_TEMPLATE);
  g_assert_cmpint (cradle_cert_status_get_renew_at (STATUS (2)), ==,
                   cradle_cert_status_get_not_before (STATUS (2)) + 80 * DAY);

  g_assert_cmpint (cradle_cert_status_get_verdict (STATUS (3)), ==, CRADLE_CERT_VERDICT_EXPIRED);
  g_assert_cmpint (cradle_cert_status_get_revocation (STATUS (3)), ==, CRADLE_REVOCATION_NOT_CHECKED);

  /* Its issuer is not on the device: unknown, with why, never good. */
  g_assert_cmpint (cradle_cert_status_get_verdict (STATUS (4)), ==, CRADLE_CERT_VERDICT_UNKNOWN);
  g_assert_nonnull (strstr (cradle_cert_status_get_revocation_detail (STATUS (4)), "issuer is not on the device"));

  /* The root: its expiry only. */
  g_assert_cmpstr (cradle_cert_status_get_store (STATUS (5)), ==, "Root");
  g_assert_cmpint (cradle_cert_status_get_verdict (STATUS (5)), ==, CRADLE_CERT_VERDICT_VALID);
  g_assert_cmpint (cradle_cert_status_get_renew_at (STATUS (5)), ==, 0);
  g_assert_cmpint (cradle_cert_status_get_revocation (STATUS (5)), ==, CRADLE_REVOCATION_NOT_CHECKED);
#undef STATUS

  /* The journal has the check as a run. */
  runs = cradle_journal_list_runs (journal, 0, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 1);
  run = g_ptr_array_index (runs, 0);
  g_assert_cmpstr (cradle_journal_run_get_kind (run), ==, "check");
  g_assert_cmpstr (cradle_journal_run_get_device_serial (run), ==, "SERIAL-1");
  g_assert_cmpstr (cradle_journal_run_get_outcome (run), ==, "revoked");
  g_assert_cmpuint (cradle_journal_run_get_steps (run)->len, ==, 1);
  g_assert_cmpstr (cradle_journal_step_get_step (g_ptr_array_index (cradle_journal_run_get_steps (run), 0)), ==,
                   "cache");

  g_unsetenv ("CRADLE_CACHE_DIR");
  g_clear_object (&journal);
  {
    g_autofree char *path = g_build_filename (revocation_folder, crl_key, NULL);
    g_autofree char *wal = g_strconcat (db_path, "-wal", NULL);
    g_autofree char *shm = g_strconcat (db_path, "-shm", NULL);

    g_unlink (path);
    g_unlink (db_path);
    g_unlink (wal);
    g_unlink (shm);
    g_rmdir (revocation_folder);
    g_rmdir (cache_folder);
    g_rmdir (folder);
  }
}

#define ADD(name, func) \
  g_test_add ("/lifecycle/" name, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/lifecycle/period-decoding", test_period_decoding);
  g_test_add_func ("/lifecycle/renewal-window", test_renewal_window);
  g_test_add_func ("/lifecycle/verdict", test_verdict);
  ADD ("template-extension", test_template_extension);
  ADD ("device-status", test_device_status);
  return g_test_run ();
}
