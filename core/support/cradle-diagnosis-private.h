/* cradle-diagnosis-private.h: what the hops of a diagnosis share
 *
 * CradleDiagnosis (cradle-diagnosis.c) starts one thread per hop, each
 * running that hop's function below, from its own file.  A hop reports
 * each check as it ends (_cradle_diagnosis_run_report(), thread-safe) and
 * hands what later hops need to them as a fact (_publish()).  A hop that
 * needs a fact waits for it (_wait()) until the run's deadline; when the
 * hop that finds it failed, it gets %NULL and the reason, and reports its
 * own checks as skipped with that reason.  Every hop publishes each fact
 * it owns exactly once, found or not, on every path, so that nobody waits
 * longer than needed.
 */
#pragma once

#include <cradle/cradle.h>

G_BEGIN_DECLS

typedef struct _CradleDiagnosisRun CradleDiagnosisRun;

/* What a hop finds that another needs; the owner publishes it. */
typedef enum {
  /* owner domain:    the DC's host name (char *), as DNS SRV or the
   *                  settings name it */
  CRADLE_DIAGNOSIS_FACT_DC_HOST,
  /* owner directory: an opened CradleDirectory (GObject) */
  CRADLE_DIAGNOSIS_FACT_DIRECTORY,
  /* owner directory: the CradleCatalog read through it (GObject) */
  CRADLE_DIAGNOSIS_FACT_CATALOG,
  /* owner type:      the CradleCertType asked for (GObject) */
  CRADLE_DIAGNOSIS_FACT_TYPE,
  /* owner device:    an opened, paired CradleDevice (GObject) */
  CRADLE_DIAGNOSIS_FACT_DEVICE,
  CRADLE_DIAGNOSIS_N_FACTS,
} CradleDiagnosisFact;

/* One hop, run on a thread of its own. */
typedef void (*CradleDiagnosisHopFunc) (CradleDiagnosisRun *run,
                                        GCancellable       *cancellable);

void _cradle_diagnose_device      (CradleDiagnosisRun *run, GCancellable *cancellable);
void _cradle_diagnose_clock       (CradleDiagnosisRun *run, GCancellable *cancellable);
void _cradle_diagnose_domain      (CradleDiagnosisRun *run, GCancellable *cancellable);
void _cradle_diagnose_kerberos    (CradleDiagnosisRun *run, GCancellable *cancellable);
void _cradle_diagnose_directory   (CradleDiagnosisRun *run, GCancellable *cancellable);
void _cradle_diagnose_type        (CradleDiagnosisRun *run, GCancellable *cancellable);
void _cradle_diagnose_ca          (CradleDiagnosisRun *run, GCancellable *cancellable);
void _cradle_diagnose_certificate (CradleDiagnosisRun *run, GCancellable *cancellable);

/* Reports one check of @hop.  @error: (transfer full) (nullable): what is
 * wrong, for WARNING and FAILED (a CRADLE_ERROR with its explain detail
 * where one is known).  @found_format: what was found, or for SKIPPED why;
 * outside text in it must already be escaped (cradle_text_escape()). */
void _cradle_diagnosis_run_report (CradleDiagnosisRun *run,
                                   CradleHop           hop,
                                   const char         *name,
                                   const char         *title,
                                   CradleCheckVerdict  verdict,
                                   gint64              duration_us,
                                   GError             *error,
                                   const char         *found_format,
                                   ...) G_GNUC_PRINTF (8, 9);

/* Publishes @fact: @value (transfer full) (nullable: not found; then
 * @reason says why, for the checks that needed it, e.g. "the directory
 * could not be read (see Directory)").  A fact is published once. */
void _cradle_diagnosis_run_publish (CradleDiagnosisRun  *run,
                                    CradleDiagnosisFact  fact,
                                    gpointer             value,
                                    const char          *reason);
/* Waits for @fact until it is published or the run's deadline passes.
 * Returns: (transfer full) (nullable): a new reference (a copy of a
 * string); %NULL with @reason (transfer full) set to why. */
gpointer _cradle_diagnosis_run_wait (CradleDiagnosisRun  *run,
                                     CradleDiagnosisFact  fact,
                                     char               **reason);

/* Replaces @hop's function before the run, for the runner's own tests. */
void _cradle_diagnosis_set_hop_func (CradleDiagnosis        *self,
                                     CradleHop               hop,
                                     CradleDiagnosisHopFunc  func);

/* cradle-check.c: a check; takes @error and @found (nullable). */
CradleCheck *_cradle_check_new (CradleHop           hop,
                                const char         *name,
                                const char         *title,
                                CradleCheckVerdict  verdict,
                                gint64              duration_us,
                                GError             *error,
                                char               *found);

/* What the run was asked (nullable, borrowed). */
const char        *_cradle_diagnosis_run_get_type_name   (CradleDiagnosisRun *run);
const char        *_cradle_diagnosis_run_get_device_id   (CradleDiagnosisRun *run);
const char        *_cradle_diagnosis_run_get_domain      (CradleDiagnosisRun *run);
const char        *_cradle_diagnosis_run_get_dc_uri      (CradleDiagnosisRun *run);
/* (nullable): the open device the caller lent (cradle_diagnosis_set_device()). */
CradleDevice      *_cradle_diagnosis_run_get_device      (CradleDiagnosisRun *run);
/* Never %NULL: the desktop's Kerberos credentials unless set. */
CradleCredentials *_cradle_diagnosis_run_get_credentials (CradleDiagnosisRun *run);
/* One check's deadline, in milliseconds. */
guint              _cradle_diagnosis_run_get_timeout_ms  (CradleDiagnosisRun *run);

G_END_DECLS
