/* cradle-diagnose-type.c: the type hop of a diagnosis (being built) */
#include "config.h"

#include "support/cradle-diagnosis-private.h"

void
_cradle_diagnose_type (CradleDiagnosisRun *run,
                     GCancellable       *cancellable)
{
  _cradle_diagnosis_run_report (run, CRADLE_HOP_TYPE, "type", "type", CRADLE_CHECK_SKIPPED, 0, NULL,
                                "not built yet");
}
