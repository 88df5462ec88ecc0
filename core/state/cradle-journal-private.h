/* cradle-journal-private.h: writing the journal, and the records it reads */
#pragma once

#include <sqlite3.h>
#include <cradle/cradle.h>

G_BEGIN_DECLS

/* The journal's own schema version, kept in its journal_version table
 * (PRAGMA user_version belongs to the pending store). */
#define CRADLE_JOURNAL_SCHEMA_VERSION 2
/* Texts are kept on one line and cut at this size. */
#define CRADLE_JOURNAL_MAX_TEXT 2048
/* The oldest runs beyond this many are removed when a run begins. */
#define CRADLE_JOURNAL_MAX_RUNS 2000

/* Each call is one transaction; they are for the engine, which records
 * best-effort (a journal that cannot be written never stops an enrollment). */
gint64   cradle_journal_begin_run       (CradleJournal  *self,
                                         const char     *kind,
                                         const char     *type_name,
                                         const char     *protocol,
                                         const char     *device_serial,
                                         gint64          request_id,
                                         GError        **error);
gboolean cradle_journal_set_run_request (CradleJournal  *self,
                                         gint64          run_id,
                                         gint64          request_id,
                                         GError        **error) G_GNUC_WARN_UNUSED_RESULT;
gint64   cradle_journal_begin_step      (CradleJournal  *self,
                                         gint64          run_id,
                                         const char     *step,
                                         const char     *text,
                                         GError        **error);
/* @failure: (nullable): recorded as its text and its explanation's name. */
gboolean cradle_journal_end_step        (CradleJournal  *self,
                                         gint64          step_id,
                                         const char     *outcome,
                                         const GError   *failure,
                                         GError        **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean cradle_journal_end_run         (CradleJournal  *self,
                                         gint64          run_id,
                                         const char     *outcome,
                                         const GError   *failure,
                                         GError        **error) G_GNUC_WARN_UNUSED_RESULT;

/* A key the device made for @type_name whose request it has not signed. */
gboolean cradle_journal_remember_key    (CradleJournal  *self,
                                         const char     *device_serial,
                                         const char     *type_name,
                                         GBytes         *key_id,
                                         GBytes         *public_key,
                                         GError        **error) G_GNUC_WARN_UNUSED_RESULT;
/* The newest such key, or %NULL; @public_key gets its SubjectPublicKeyInfo. */
GBytes  *cradle_journal_find_key        (CradleJournal  *self,
                                         const char     *device_serial,
                                         const char     *type_name,
                                         GBytes        **public_key);
gboolean cradle_journal_forget_key      (CradleJournal  *self,
                                         GBytes         *key_id,
                                         GError        **error) G_GNUC_WARN_UNUSED_RESULT;

/* cradle-journal-entry.c */
CradleJournalStep *cradle_journal_step_new_from_row (sqlite3_stmt *row);
CradleJournalRun  *cradle_journal_run_new_from_row  (sqlite3_stmt *row,
                                                     GPtrArray    *steps);
#define CRADLE_JOURNAL_RUN_COLUMNS \
  "id, kind, request_id, type_name, protocol, device_serial, started, finished, outcome, error, error_name"
#define CRADLE_JOURNAL_STEP_COLUMNS \
  "run_id, step, text, started, duration_ms, outcome, error, error_name"

/* A journal time (microseconds since 1970, UTC) in ISO 8601, or NULL when
 * unset (0 or less) or out of range, as cradle_journal_runs_to_json()
 * writes it. */
char    *cradle_journal_format_time     (gint64          usec);

G_END_DECLS
