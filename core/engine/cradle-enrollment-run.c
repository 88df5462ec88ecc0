/* cradle-enrollment-run.c: the state machine of one enrollment, in a worker thread
 *
 *   new:    device -> session -> type -> generate-key -> sign -> (recorded
 *           as submitting) -> submit
 *   resume: device -> session -> type -> submit (submitting) | retrieve
 *           (pending) | chain (issued)
 *   then:   denied -> delete-key; pending -> (kept); issued -> chain ->
 *           install
 *
 * Rules: the request is recorded before it goes to the CA; only a CA's
 * decision (or a certificate that cannot be used) finishes it; every try
 * without an answer (CA unreachable, device gone, cancelled, declined
 * root) keeps the status and records the attempt with the back-off.  A
 * key made but not signed with (the device went away while its user was
 * asked) is remembered, and the next enrollment of the type signs with it.
 *
 * The run is split by job: cradle-enrollment-run-new.c and
 * cradle-enrollment-run-resume.c each drive one kind of run through the
 * steps they share (cradle-enrollment-steps.c); all of them report
 * through cradle-enrollment-progress.c, never through the object's file.
 */
#include "config.h"

#include "engine/cradle-enrollment-private.h"
#include "state/cradle-pending-store-private.h"

void
_cradle_enrollment_run_blocking (CradleEnrollment *self,
                                 GCancellable     *cancellable)
{
  if (self->resume != NULL)
    _cradle_enrollment_run_resume (self, cancellable);
  else
    _cradle_enrollment_run_new (self, cancellable);
  /* The run is over: another program may take the request up. */
  g_clear_pointer (&self->claim, cradle_pending_claim_release);
  g_debug ("Enrollment run %" G_GINT64_FORMAT " ended: %s%s%s", self->run_id,
           cradle_enrollment_outcome_to_string (self->outcome), self->error != NULL ? ": " : "",
           self->error != NULL ? self->error->message : "");
}
