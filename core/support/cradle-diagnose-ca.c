/* cradle-diagnose-ca.c: the ca hop of a diagnosis (being built) */
#include "config.h"

#include "support/cradle-diagnosis-private.h"

void
_cradle_diagnose_ca (CradleDiagnosisRun *run,
                     GCancellable       *cancellable)
{
  _cradle_diagnosis_run_report (run, CRADLE_HOP_CA, "ca", "ca", CRADLE_CHECK_SKIPPED, 0, NULL,
                                "not built yet");
}
