/* cradle-diagnose-certificate.c: the certificate hop of a diagnosis (being built) */
#include "config.h"

#include "support/cradle-diagnosis-private.h"

void
_cradle_diagnose_certificate (CradleDiagnosisRun *run,
                     GCancellable       *cancellable)
{
  _cradle_diagnosis_run_report (run, CRADLE_HOP_CERTIFICATE, "certificate", "certificate", CRADLE_CHECK_SKIPPED, 0, NULL,
                                "not built yet");
}
