/* cradle-journal.h: every enrollment's steps, for the people who find out why
 *
 * Each run of an enrollment (a new one, or one resumed to retrieve or
 * install a pending request) is recorded as it goes: the run (type, device,
 * the request it made or resumed, outcome, error) and each of its steps
 * (start, duration, outcome, error detail).  The journal lives in the same
 * SQLite state file as the pending store (requests.sqlite in
 * cradle_paths_dup_state_dir()).  Nothing secret is written: errors are
 * recorded as their text and the name from the explanation table
 * (cradle_explain_error()), and texts never hold credentials.
 */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <glib-object.h>
#include <cradle/cradle-macros.h>

G_BEGIN_DECLS

/* ---- one step of a run (a snapshot) ------------------------------------ */

#define CRADLE_TYPE_JOURNAL_STEP (cradle_journal_step_get_type ())
CRADLE_PUBLIC
G_DECLARE_FINAL_TYPE (CradleJournalStep, cradle_journal_step, CRADLE, JOURNAL_STEP, GObject)

CRADLE_PUBLIC
gint64      cradle_journal_step_get_run_id      (CradleJournalStep *self);
/* As cradle_enrollment_step_to_string(): "device", "generate-key", … */
CRADLE_PUBLIC
const char *cradle_journal_step_get_step        (CradleJournalStep *self);
/* What the step did, for people ("Submitting to ca1.corp.example.test (certsrv)"). */
CRADLE_PUBLIC
const char *cradle_journal_step_get_text        (CradleJournalStep *self);
/* Microseconds since 1970-01-01 UTC. */
CRADLE_PUBLIC
gint64      cradle_journal_step_get_started     (CradleJournalStep *self);
/* Milliseconds; -1 while the step runs (or when its program died in it). */
CRADLE_PUBLIC
gint64      cradle_journal_step_get_duration_ms (CradleJournalStep *self);
/* "ok", "pending", "denied", "declined", "cancelled", "failed", or
 * "running" when it never ended. */
CRADLE_PUBLIC
const char *cradle_journal_step_get_outcome     (CradleJournalStep *self);
/* (nullable): the error's text, as it was shown */
CRADLE_PUBLIC
const char *cradle_journal_step_get_error       (CradleJournalStep *self);
/* (nullable): the error's name in the explanation table
 * ("CERTSRV_E_TEMPLATE_DENIED", "DEVICE_GONE", …) */
CRADLE_PUBLIC
const char *cradle_journal_step_get_error_name  (CradleJournalStep *self);

/* ---- one run of an enrollment (a snapshot) ----------------------------- */

#define CRADLE_TYPE_JOURNAL_RUN (cradle_journal_run_get_type ())
CRADLE_PUBLIC
G_DECLARE_FINAL_TYPE (CradleJournalRun, cradle_journal_run, CRADLE, JOURNAL_RUN, GObject)

/* From 1, never reused. */
CRADLE_PUBLIC
gint64      cradle_journal_run_get_id            (CradleJournalRun *self);
/* "enroll" (a new request), "resume" (retrieving, resending or
 * installing a stored one), "renew", "remove", or "check" (the
 * revocation checks of a device's certificates, one step per answer
 * asked for). */
CRADLE_PUBLIC
const char *cradle_journal_run_get_kind          (CradleJournalRun *self);
/* The pending store's id of the request; 0 when the run ended before one
 * was recorded. */
CRADLE_PUBLIC
gint64      cradle_journal_run_get_request_id    (CradleJournalRun *self);
/* (nullable): the certificate type's name */
CRADLE_PUBLIC
const char *cradle_journal_run_get_type_name     (CradleJournalRun *self);
/* (nullable): "certsrv", "wstep", "scep", "est" */
CRADLE_PUBLIC
const char *cradle_journal_run_get_protocol      (CradleJournalRun *self);
/* (nullable) */
CRADLE_PUBLIC
const char *cradle_journal_run_get_device_serial (CradleJournalRun *self);
/* Microseconds since 1970-01-01 UTC; finished is 0 while it runs. */
CRADLE_PUBLIC
gint64      cradle_journal_run_get_started       (CradleJournalRun *self);
CRADLE_PUBLIC
gint64      cradle_journal_run_get_finished      (CradleJournalRun *self);
/* As cradle_enrollment_outcome_to_string(), or "running". */
CRADLE_PUBLIC
const char *cradle_journal_run_get_outcome       (CradleJournalRun *self);
/* (nullable) */
CRADLE_PUBLIC
const char *cradle_journal_run_get_error         (CradleJournalRun *self);
/* (nullable) */
CRADLE_PUBLIC
const char *cradle_journal_run_get_error_name    (CradleJournalRun *self);
/* (element-type CradleJournalStep): in order; read with the run. */
CRADLE_PUBLIC
GPtrArray  *cradle_journal_run_get_steps         (CradleJournalRun *self);

/* ---- the journal -------------------------------------------------------- */

#define CRADLE_TYPE_JOURNAL (cradle_journal_get_type ())
CRADLE_PUBLIC
G_DECLARE_FINAL_TYPE (CradleJournal, cradle_journal, CRADLE, JOURNAL, GObject)

/* @path: the state file, or %NULL for requests.sqlite in the state folder
 * (the pending store's file).  Several programs may write it together. */
CRADLE_PUBLIC
CradleJournal *cradle_journal_open        (const char    *path,
                                           GError       **error) G_GNUC_WARN_UNUSED_RESULT;
CRADLE_PUBLIC
const char    *cradle_journal_get_path    (CradleJournal *self);

/* The runs of request @request_id (0: of every request, and the runs that
 * ended before recording one), newest first, at most @limit (0: all).
 * Returns: (element-type CradleJournalRun) */
CRADLE_PUBLIC
GPtrArray     *cradle_journal_list_runs   (CradleJournal *self,
                                           gint64         request_id,
                                           guint          limit,
                                           GError       **error) G_GNUC_WARN_UNUSED_RESULT;
CRADLE_PUBLIC
CradleJournalRun *cradle_journal_get_run  (CradleJournal *self,
                                           gint64         run_id,
                                           GError       **error) G_GNUC_WARN_UNUSED_RESULT;

/* @runs as the JSON array `cradlectl log --json` prints and a support
 * report's journal.json holds: for each run "run", "kind", "request",
 * "type", "protocol", "device", "started", "finished" (ISO 8601 UTC, null
 * when unset), "outcome", "error", "error_name" and "steps" (each "step",
 * "text", "started", "duration_ms", "outcome", "error", "error_name").
 * Pretty-printed and not escaped: pass it through cradle_text_escape()
 * with CRADLE_TEXT_ESCAPE_JSON before it reaches a terminal.
 * @runs: (element-type CradleJournalRun) */
CRADLE_PUBLIC
char          *cradle_journal_runs_to_json (GPtrArray     *runs);

G_END_DECLS
