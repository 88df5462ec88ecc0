/* cradle-diagnose-kerberos.c: the kerberos hop of a diagnosis (being built) */
#include "config.h"

#include "support/cradle-diagnosis-private.h"

void
_cradle_diagnose_kerberos (CradleDiagnosisRun *run,
                     GCancellable       *cancellable)
{
  _cradle_diagnosis_run_report (run, CRADLE_HOP_KERBEROS, "kerberos", "kerberos", CRADLE_CHECK_SKIPPED, 0, NULL,
                                "not built yet");
}
