/* test-gui-text.c: what the app's pages and "Copy Details" say, without a display
 *
 * The support report names the request, the CA's code and the table's
 * explanation, keeps the CA's own words to one plain line, and never holds
 * more than it was given; expiry and pending-request descriptions say the
 * right thing at their thresholds.  A token's PIN dialog says what went
 * wrong in the error table's words, with the tries left, once.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <cradle/cradle.h>

#include "cradle-cert-row.h"
#include "cradle-device-page.h"
#include "cradle-pending-row.h"
#include "cradle-pin-dialog.h"
#include "cradle-report.h"
#include "cradle-result-page.h"
#include "test-files.h"

static CradleReport *
denied_report (void)
{
  CradleReport *report = g_new0 (CradleReport, 1);

  report->outcome = CRADLE_ENROLLMENT_OUTCOME_DENIED;
  report->type_name = g_strdup ("CradleDeviceApproval");
  report->type_display_name = g_strdup ("Cradle Device (Manager Approval)");
  report->protocol = g_strdup ("wstep");
  report->endpoint = g_strdup ("https://ca1.corp.example.test/CES");
  report->device = g_strdup ("Cradle Test Phone (serial GUI-1, Linux, agent 0.1.0)");
  report->identity = g_strdup ("alice@corp.example.test");
  report->request_id = 12;
  report->ca_request_id = g_strdup ("188");
  report->run_id = 30;
  report->step = g_strdup ("retrieve");
  report->denied = TRUE;
  report->denial_code = 0x80094014;
  report->when = g_date_time_new_utc (2026, 11, 21, 22, 11, 0);
  g_set_error (&report->error, CRADLE_ERROR, CRADLE_ERROR_CA_DENIED,
               "The CA refused the request: Denied by Certificate Manager");
  return report;
}

static void
test_report_denied (void)
{
  g_autoptr(CradleReport) report = denied_report ();
  g_autofree char *text = NULL;
  g_autofree char *cause = cradle_report_dup_cause (report);
  const CradleExplanation *explanation = cradle_report_get_explanation (report);

  g_assert_nonnull (explanation);
  g_assert_cmpstr (cradle_explanation_get_name (explanation), ==, "CERTSRV_E_ADMIN_DENIED_REQUEST");
  g_assert_cmpstr (cause, ==, "CERTSRV_E_ADMIN_DENIED_REQUEST 0x80094014");

  report->denial_message = g_strdup ("Denied by Certificate Manager");
  text = cradle_report_to_text (report);
  g_assert_nonnull (strstr (text, "Outcome:          denied\n"));
  g_assert_nonnull (strstr (text, "Stopped at step:  retrieve\n"));
  g_assert_nonnull (strstr (text, "Certificate type: CradleDeviceApproval (Cradle Device (Manager Approval))\n"));
  g_assert_nonnull (strstr (text, "Request:          12 (cradlectl pending, cradlectl log 12)\n"));
  g_assert_nonnull (strstr (text, "CA request ID:    188\n"));
  g_assert_nonnull (strstr (text, "Journal run:      30\n"));
  g_assert_nonnull (strstr (text, "CA refused:       CERTSRV_E_ADMIN_DENIED_REQUEST 0x80094014: Denied by Certificate Manager\n"));
  g_assert_nonnull (strstr (text, "When:             2026-11-21T22:11:00Z\n"));
  g_assert_nonnull (strstr (text, "What to do:"));
  g_assert_nonnull (strstr (text, "For support:"));
}

/* The CA's words are untrusted: one printable line, cut. */
static void
test_report_ca_words (void)
{
  g_autoptr(GString) long_words = g_string_new (NULL);
  g_autofree char *cleaned = cradle_report_dup_ca_words ("first line\r\nsecond\tline \x1b[31mred\x07");
  g_autofree char *cut = NULL;
  g_autofree char *invalid = cradle_report_dup_ca_words ("valid \xff then not");

  g_assert_cmpstr (cleaned, ==, "first line second line [31mred");
  for (guint i = 0; i < 200; i++)
    g_string_append (long_words, "padding ");
  cut = cradle_report_dup_ca_words (long_words->str);
  g_assert_cmpuint (strlen (cut), <=, 500);
  g_assert_true (g_str_has_prefix (cut, "padding padding"));
  g_assert_cmpstr (invalid, ==, "valid");
  g_assert_null (cradle_report_dup_ca_words (NULL));
}

static void
test_report_installed_has_no_explanation (void)
{
  g_autoptr(CradleReport) report = g_new0 (CradleReport, 1);
  g_autofree char *text = NULL;

  report->outcome = CRADLE_ENROLLMENT_OUTCOME_INSTALLED;
  report->leaf_subject = g_strdup ("DC = test, CN = Alice Liddell");
  report->leaf_not_after = g_date_time_new_utc (2027, 11, 21, 22, 8, 0);
  g_assert_null (cradle_report_get_explanation (report));
  text = cradle_report_to_text (report);
  g_assert_nonnull (strstr (text, "Outcome:          installed\n"));
  g_assert_nonnull (strstr (text, "Expires:          2027-11-21T22:08:00Z\n"));
  g_assert_null (strstr (text, "Cause:"));
  g_assert_null (strstr (text, "Error:"));
}

static void
test_expiry (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_utc (2026, 11, 21, 12, 0, 0);
  g_autoptr(GDateTime) far = g_date_time_new_utc (2027, 11, 21, 12, 0, 0);
  g_autoptr(GDateTime) soon = g_date_time_new_utc (2026, 11, 24, 13, 0, 0);
  g_autoptr(GDateTime) today = g_date_time_new_utc (2026, 11, 21, 18, 0, 0);
  g_autoptr(GDateTime) past = g_date_time_new_utc (2026, 1, 2, 0, 0, 0);
  g_autofree char *far_text = cradle_cert_row_describe_expiry (far, now);
  g_autofree char *soon_text = cradle_cert_row_describe_expiry (soon, now);
  g_autofree char *today_text = cradle_cert_row_describe_expiry (today, now);
  g_autofree char *past_text = cradle_cert_row_describe_expiry (past, now);

  g_assert_cmpstr (far_text, ==, "Expires on 21 November 2027");
  g_assert_cmpstr (soon_text, ==, "Expires in 3 days, on 24 November 2026");
  g_assert_cmpstr (today_text, ==, "Expires today, 21 November 2026");
  g_assert_cmpstr (past_text, ==, "Expired on 2 January 2026");
}

static void
test_pending_description (void)
{
  g_autofree char *dir = g_dir_make_tmp ("cradle-gui-text-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "requests.sqlite", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CradlePendingStore) store = cradle_pending_store_open (path, &error);
  g_autoptr(GBytes) key_id = g_bytes_new_static ("0123456789abcdef", CRADLE_PENDING_KEY_ID_SIZE);
  g_autoptr(GBytes) csr = g_bytes_new_static ("\x30\x00", 2);
  g_autoptr(CradlePendingRequest) request = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *text = NULL;
  gint64 id;

  g_assert_no_error (error);
  id = cradle_pending_store_add (store, "certsrv", "https://ca1/certsrv", "CradleDeviceApproval", "GUI-1",
                                 key_id, csr, &error);
  g_assert_no_error (error);
  g_assert_true (cradle_pending_store_mark_pending (store, id, "187", NULL, 600, &error));
  g_assert_no_error (error);
  request = cradle_pending_store_get (store, id, &error);
  g_assert_no_error (error);

  now = g_date_time_new_now_utc ();
  text = cradle_pending_row_describe (request, now);
  g_assert_true (g_str_has_prefix (text, "Request 187 waits for approval, sent "));
  g_assert_nonnull (strstr (text, " Cradle checks again at "));

  g_clear_object (&store);
  test_remove_tree (dir);
}

static char *
table_words (guint32 detail)
{
  const CradleExplanation *explanation = cradle_explain (CRADLE_EXPLAIN_TOKEN, detail);

  g_assert_false (cradle_explanation_is_generic (explanation));
  return g_strdup_printf ("%s %s", cradle_explanation_get_summary (explanation),
                          cradle_explanation_get_user_action (explanation));
}

/* A PIN simply needed: nothing to say before asking. */
static void
test_pin_why_needed (void)
{
  g_assert_null (cradle_pin_dialog_dup_why (NULL, CRADLE_DEVICE_PIN_NEEDED));
  g_assert_null (cradle_pin_dialog_dup_why (NULL, CRADLE_DEVICE_PIN_ENTERED));
  g_assert_null (cradle_device_page_describe_pin_state (CRADLE_DEVICE_PIN_NOT_NEEDED));
  g_assert_nonnull (cradle_device_page_describe_pin_state (CRADLE_DEVICE_PIN_NEEDED));
}

/* A wrong PIN: the table's words for the error, and the tries left said
 * once (the error's detail says them already when it matches the state). */
static void
test_pin_why_wrong (void)
{
  g_autoptr(GError) low = NULL;
  g_autoptr(GError) wrong = NULL;
  g_autofree char *low_words = table_words (CRADLE_TOKEN_FAILURE_PIN_COUNT_LOW);
  g_autofree char *wrong_words = table_words (CRADLE_TOKEN_FAILURE_PIN_INCORRECT);
  g_autofree char *final_words = table_words (CRADLE_TOKEN_FAILURE_PIN_FINAL_TRY);
  g_autofree char *low_why = NULL;
  g_autofree char *final_why = NULL;
  g_autofree char *expected = NULL;

  cradle_explain_set_error (&low, CRADLE_ERROR_AUTH_FAILED, CRADLE_EXPLAIN_TOKEN,
                            CRADLE_TOKEN_FAILURE_PIN_COUNT_LOW, "The PIN for “cradle” is wrong");
  low_why = cradle_pin_dialog_dup_why (low, CRADLE_DEVICE_PIN_COUNT_LOW);
  g_assert_cmpstr (low_why, ==, low_words);

  /* The token's flags said more after the error was made: both. */
  cradle_explain_set_error (&wrong, CRADLE_ERROR_AUTH_FAILED, CRADLE_EXPLAIN_TOKEN,
                            CRADLE_TOKEN_FAILURE_PIN_INCORRECT, "The PIN for “cradle” is wrong");
  final_why = cradle_pin_dialog_dup_why (wrong, CRADLE_DEVICE_PIN_FINAL_TRY);
  expected = g_strdup_printf ("%s %s", wrong_words, final_words);
  g_assert_cmpstr (final_why, ==, expected);
}

/* Locked: the table's words, from the state alone or from the error. */
static void
test_pin_why_locked (void)
{
  g_autoptr(GError) locked = NULL;
  g_autofree char *words = table_words (CRADLE_TOKEN_FAILURE_PIN_LOCKED);
  g_autofree char *from_state = cradle_pin_dialog_dup_why (NULL, CRADLE_DEVICE_PIN_LOCKED);
  g_autofree char *from_error = NULL;
  g_autoptr(GError) plain = g_error_new_literal (CRADLE_ERROR, CRADLE_ERROR_FAILED, "The module failed");
  g_autofree char *from_plain = cradle_pin_dialog_dup_why (plain, CRADLE_DEVICE_PIN_NEEDED);

  g_assert_cmpstr (from_state, ==, words);
  cradle_explain_set_error (&locked, CRADLE_ERROR_PERMISSION_DENIED, CRADLE_EXPLAIN_TOKEN,
                            CRADLE_TOKEN_FAILURE_PIN_LOCKED, "The PIN of “cradle” is locked");
  from_error = cradle_pin_dialog_dup_why (locked, CRADLE_DEVICE_PIN_LOCKED);
  g_assert_cmpstr (from_error, ==, words);
  g_assert_cmpstr (cradle_device_page_describe_pin_state (CRADLE_DEVICE_PIN_LOCKED), ==,
                   cradle_explanation_get_summary (cradle_explain (CRADLE_EXPLAIN_TOKEN,
                                                                   CRADLE_TOKEN_FAILURE_PIN_LOCKED)));
  /* An error the table has no words for: its own. */
  g_assert_cmpstr (from_plain, ==, "The module failed");
}

/* A row of the batch page: how one device's run ended, on one line, with
 * the result page's words. */
static void
test_batch_summary (void)
{
  g_autoptr(CradleReport) denied = denied_report ();
  g_autoptr(CradleReport) pending = denied_report ();
  g_autoptr(CradleReport) installed = denied_report ();
  g_autoptr(CradleReport) cancelled = denied_report ();
  g_autofree char *denied_text = cradle_result_page_dup_summary (denied);
  g_autofree char *pending_text = NULL;
  g_autofree char *installed_text = NULL;
  g_autofree char *cancelled_text = NULL;

  g_assert_cmpstr (cradle_result_page_describe_outcome (denied), ==, "Request Refused");
  g_assert_true (g_str_has_prefix (denied_text, "Request Refused. "));
  /* The table's words, what to do included. */
  g_assert_nonnull (strstr (denied_text, cradle_explanation_get_user_action (cradle_report_get_explanation (denied))));

  pending->outcome = CRADLE_ENROLLMENT_OUTCOME_PENDING;
  pending_text = cradle_result_page_dup_summary (pending);
  g_assert_true (g_str_has_prefix (pending_text, "Waiting for Approval. Request ID 188: "));

  installed->outcome = CRADLE_ENROLLMENT_OUTCOME_INSTALLED;
  installed->leaf_not_after = g_date_time_new_utc (2031, 6, 2, 12, 0, 0);
  installed_text = cradle_result_page_dup_summary (installed);
  g_assert_true (g_str_has_prefix (installed_text, "Certificate Installed. Expires "));
  g_assert_nonnull (strstr (installed_text, "2031"));
  installed->renewed_serial = g_strdup ("01");
  g_assert_cmpstr (cradle_result_page_describe_outcome (installed), ==, "Certificate Renewed");

  cancelled->outcome = CRADLE_ENROLLMENT_OUTCOME_CANCELLED;
  cancelled->request_id = 0;
  cancelled_text = cradle_result_page_dup_summary (cancelled);
  g_assert_cmpstr (cancelled_text, ==, "Cancelled. Nothing was requested and nothing was installed.");
}

int
main (int    argc,
      char **argv)
{
  g_setenv ("TZ", "UTC", TRUE);
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/gui/report/denied", test_report_denied);
  g_test_add_func ("/gui/report/ca-words", test_report_ca_words);
  g_test_add_func ("/gui/report/installed", test_report_installed_has_no_explanation);
  g_test_add_func ("/gui/batch/summary", test_batch_summary);
  g_test_add_func ("/gui/cert-row/expiry", test_expiry);
  g_test_add_func ("/gui/pending-row/description", test_pending_description);
  g_test_add_func ("/gui/pin/needed", test_pin_why_needed);
  g_test_add_func ("/gui/pin/wrong", test_pin_why_wrong);
  g_test_add_func ("/gui/pin/locked", test_pin_why_locked);
  return g_test_run ();
}
