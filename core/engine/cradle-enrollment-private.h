/* cradle-enrollment-private.h: what the enrollment's files share */
#pragma once

#include <cradle/cradle.h>

G_BEGIN_DECLS

struct _CradleEnrollment
{
  GObject                 parent_instance;

  /* Owned, set before the run */
  CradleDevice           *device;
  CradleCertType         *type;          /* nullable on a resume */
  CradleCredentials      *credentials;
  CradlePendingStore     *store;
  CradleJournal          *journal;       /* nullable */
  CradlePendingRequest   *resume;        /* nullable: a new enrollment */
  char                   *subject;
  CradleTypeConfirmFunc   confirm_type;  /* nullable: the type is final */
  gpointer                confirm_data;
  GDestroyNotify          confirm_destroy;
  GMainContext           *context;       /* where signals are emitted */
  gulong                  waiting_handler;
  gboolean                started;

  /* What the run found; written by the worker, read once it ended (the
   * step also while it runs, under the lock) */
  GMutex                  lock;
  CradleEnrollmentStep    step;
  CradleEnrollmentOutcome outcome;
  gint64                  request_id;
  char                   *ca_request_id;
  gint64                  run_id;
  CradleCertificate      *leaf;
  GPtrArray              *chain;
  gboolean                denied;
  guint32                 denial_code;
  char                   *denial_message;
  gint64                  next_attempt;
  GError                 *error;

  /* The worker's own */
  gint64                  step_id;       /* the journal's */
  CradleCaConnector      *connector;
  GBytes                 *key_id;
  GBytes                 *csr;
  guint                   attempts;      /* the stored request's, before this run */
  struct _CradlePendingClaim *claim;     /* nullable: the request, while it is worked on */
};

/* For tests: the run uses @connector instead of the one its type makes. */
void     cradle_enrollment_set_connector (CradleEnrollment    *self,
                                          CradleCaConnector   *connector);

/* cradle-enrollment.c: steps and signals, from the worker thread */
void     cradle_enrollment_begin_step   (CradleEnrollment     *self,
                                         CradleEnrollmentStep  step,
                                         const char           *format,
                                         ...) G_GNUC_PRINTF (3, 4);
/* @outcome: "ok", "pending", "denied", "declined", "cancelled", "failed" */
void     cradle_enrollment_end_step     (CradleEnrollment     *self,
                                         const char           *outcome,
                                         const GError         *failure);
/* The device stopped waiting for its user (it answered). */
void     cradle_enrollment_stop_waiting (CradleEnrollment     *self);

/* cradle-enrollment-run.c: the state machine, blocking, in a worker thread.
 * Sets the outcome and, for all but INSTALLED and PENDING, the error. */
void     cradle_enrollment_run_blocking (CradleEnrollment     *self,
                                         GCancellable         *cancellable);

/* cradle-request-plan.c: the certification request, signed on the device */
typedef struct _CradleRequestPlan CradleRequestPlan;
/* What the type asks of the device; checks the device can do it. */
CradleRequestPlan *cradle_request_plan_new          (CradleCertType     *type,
                                                     CradleDevice       *device,
                                                     const char         *subject,
                                                     GError            **error);
void               cradle_request_plan_free         (CradleRequestPlan  *plan);
const char        *cradle_request_plan_get_key_type (CradleRequestPlan  *plan);
const char        *cradle_request_plan_get_digest   (CradleRequestPlan  *plan);
/* The DER CertificationRequestInfo for @public_key_info. */
GBytes            *cradle_request_plan_build_info   (CradleRequestPlan  *plan,
                                                     GBytes             *public_key_info,
                                                     GError            **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleRequestPlan, cradle_request_plan_free)
/* cradle-enrollment-chain.c: the chain above an issued certificate */
/* Checks @leaf is for the key of @csr, then builds and verifies its chain
 * from @candidates (CradleCertificate) to a root the host trusts: one of
 * @directory_roots (CradleCertificate, nullable), of @anchors_file (PEM,
 * nullable) or of the system store; AIA caIssuers fetched over HTTP when
 * an issuer is missing brings intermediates only.  Returns the chain above
 * the leaf, issuer first, the trusted root last.  CRADLE_ERROR_INVALID_DATA
 * when the certificate is not for the key or the chain does not verify,
 * or ends at a root the host does not trust (explained as
 * CRADLE_TRUST_FAILURE_UNTRUSTED_ROOT); CRADLE_ERROR_NOT_FOUND when an
 * issuer could not be found (more candidates may help); network errors
 * from AIA. */
GPtrArray         *cradle_enrollment_build_chain    (CradleCertificate  *leaf,
                                                     GBytes             *csr,
                                                     GPtrArray          *candidates,
                                                     const char         *anchors_file,
                                                     GPtrArray          *directory_roots,
                                                     GCancellable       *cancellable,
                                                     GError            **error);

G_END_DECLS
