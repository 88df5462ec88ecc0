/* cradle-report.h: what happened in an enrollment, for the result page and for support */
#pragma once

#include <cradle/cradle.h>

G_BEGIN_DECLS

typedef struct {
  CradleEnrollmentOutcome  outcome;
  char                    *type_name;
  char                    *type_display_name;
  char                    *protocol;       /* "certsrv", … */
  char                    *endpoint;
  char                    *device;         /* "Cradle Simulator (serial SIM-1, agent 0.1.0)" */
  char                    *device_serial;
  char                    *identity;       /* who was signed in */
  gint64                   request_id;     /* the pending store's; 0 if none */
  char                    *ca_request_id;
  gint64                   run_id;         /* the journal's; 0 if none */
  char                    *step;           /* where it stopped, "submit" */
  GError                  *error;
  gboolean                 denied;
  guint32                  denial_code;
  char                    *denial_message; /* the CA's words, untrusted */
  char                    *leaf_subject;
  char                    *leaf_issuer;
  char                    *leaf_serial;
  GDateTime               *leaf_not_after;
  GDateTime               *next_attempt;
  GDateTime               *when;
  char                    *renewed_serial; /* a renewal's old certificate */
  gboolean                 old_removed;    /* and it is gone from the device */
  char                   **notes;          /* the engine's, already escaped */
} CradleReport;

CradleReport            *cradle_report_new_for_enrollment (CradleEnrollment   *enrollment,
                                                           const char         *identity);
void                     cradle_report_free               (CradleReport       *report);
/* The explanation of what went wrong: the CA's code when it refused, else
 * the error's; NULL when nothing went wrong. */
const CradleExplanation *cradle_report_get_explanation    (const CradleReport *report);
/* "CERTSRV_E_TEMPLATE_DENIED 0x80094012", or the error's name; (nullable) */
char                    *cradle_report_dup_cause          (const CradleReport *report);
/* The CA's own words (untrusted): printable characters on one line, at
 * most 500 bytes; (nullable) */
char                    *cradle_report_dup_ca_words       (const char         *text);
/* Plain text for "Copy Details": everything support needs, nothing secret. */
char                    *cradle_report_to_text            (const CradleReport *report);

/* Plain text for the History window's "Copy Details": a run of the
 * journal, with its steps, their durations and errors, in the same form. */
char                    *cradle_report_run_to_text        (CradleJournalRun   *run);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleReport, cradle_report_free)

G_END_DECLS
