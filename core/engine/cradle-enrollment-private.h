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
  CradleCertificate      *renews;        /* nullable: a renewal of this MY certificate */
  GBytes                 *renews_key_id; /* its key on the device */

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
  gboolean                old_removed;
  GPtrArray              *notes;         /* char *, NULL-terminated */

  /* The worker's own */
  gint64                  step_id;       /* the journal's */
  CradleCaConnector      *connector;
  GBytes                 *key_id;
  GBytes                 *csr;
  guint                   attempts;      /* the stored request's, before this run */
  struct _CradlePendingClaim *claim;     /* nullable: the request, while it is worked on */
  GBytes                 *renewal_signed_data; /* certsrv, WSTEP: the SignedData sent */
  gboolean                keep_key;      /* same-key renewal: the key is the old certificate's */
  GBytes                 *attestation;   /* Attestation=include: the token's, verified, for the request */
  GBytes                 *attestation_intermediate;
};

/* For tests: the run uses @connector instead of the one its type makes. */
void     cradle_enrollment_set_connector (CradleEnrollment    *self,
                                          CradleCaConnector   *connector);

/* cradle-request-plan.c: the certification request, signed on the device */
typedef struct _CradleRequestPlan CradleRequestPlan;
/* What the type asks of the device; checks the device can do it. */
CradleRequestPlan *cradle_request_plan_new          (CradleCertType     *type,
                                                     CradleDevice       *device,
                                                     const char         *subject,
                                                     GError            **error) G_GNUC_WARN_UNUSED_RESULT;
void               cradle_request_plan_free         (CradleRequestPlan  *plan);
const char        *cradle_request_plan_get_key_type (CradleRequestPlan  *plan);
const char        *cradle_request_plan_get_digest   (CradleRequestPlan  *plan);
/* The DER CertificationRequestInfo for @public_key_info. */
/* A renewal: the request carries the renewal attribute naming @old_der
 * (%NULL: none, as a new enrollment). */
void               cradle_request_plan_set_renewal  (CradleRequestPlan  *plan,
                                                     GBytes             *old_der);
/* The type's template demands the old key (msPKI-Private-Key-Flag 0x80). */
gboolean           cradle_request_plan_requires_same_key (CradleRequestPlan *plan);
/* A token's attestation of the key (DER; %NULL: none) and the
 * certificate that signed it, carried in the request's extensions. */
void               cradle_request_plan_set_attestation (CradleRequestPlan *plan,
                                                        GBytes            *attestation,
                                                        GBytes            *intermediate);
/* What the request asks the key to be for: CRADLE_CSR_KEY_USAGE_* bits
 * (OpenSSL's KU_*) and dotted extended key usages (nullable); a PIV
 * token's slot follows them. */
guint              cradle_request_plan_get_key_usage (CradleRequestPlan *plan);
const char * const *cradle_request_plan_get_extended_key_usages (CradleRequestPlan *plan);
GBytes            *cradle_request_plan_build_info   (CradleRequestPlan  *plan,
                                                     GBytes             *public_key_info,
                                                     GError            **error) G_GNUC_WARN_UNUSED_RESULT;
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
                                                     GError            **error) G_GNUC_WARN_UNUSED_RESULT;

/* The files of one enrollment call one way: the object (cradle-enrollment.c)
 * -> the run (cradle-enrollment-run.c -> -run-new.c, -run-resume.c ->
 * cradle-enrollment-steps.c) -> what it reports (cradle-enrollment-progress.c). */

/* cradle-enrollment-progress.c: steps, journal and signals, from the worker thread */
void        _cradle_enrollment_class_add_signals (GObjectClass         *object_class);
/* Signals go to the caller's thread-default context; the device's
 * KEEPALIVEs become "waiting-for-device". */
void        _cradle_enrollment_watch_device      (CradleEnrollment     *self);
const char *_cradle_enrollment_type_name         (CradleEnrollment     *self);
void        _cradle_enrollment_begin_run         (CradleEnrollment     *self,
                                                  const char           *kind,
                                                  const char           *protocol);
void        _cradle_enrollment_begin_step        (CradleEnrollment     *self,
                                                  CradleEnrollmentStep  step,
                                                  const char           *format,
                                                  ...) G_GNUC_PRINTF (3, 4);
/* @outcome: "ok", "pending", "denied", "declined", "cancelled", "failed" */
void        _cradle_enrollment_end_step          (CradleEnrollment     *self,
                                                  const char           *outcome,
                                                  const GError         *failure);
/* The journal no longer keeps the run's key for a later run (a request
 * holds it now, or it is gone); a failure to write is logged. */
void        _cradle_enrollment_forget_key        (CradleEnrollment     *self);
/* The device stopped waiting for its user (it answered). */
void        _cradle_enrollment_stop_waiting      (CradleEnrollment     *self);
/* The run ends with @outcome and @error (taken). */
void        _cradle_enrollment_finish            (CradleEnrollment        *self,
                                                  CradleEnrollmentOutcome  outcome,
                                                  GError                  *error);

/* cradle-enrollment-replace.c: after a renewal's install */
/* A note for people (escaped here), kept with the run. */
void     _cradle_enrollment_add_note                 (CradleEnrollment        *self,
                                                      const char              *format,
                                                      ...) G_GNUC_PRINTF (2, 3);
/* The remove-old step: DELETE_CERT of the certificate renewed (its user
 * confirms), recorded in the store; then the SID check.  Never changes
 * the outcome. */
void     _cradle_enrollment_replace_old              (CradleEnrollment        *self,
                                                      GCancellable            *cancellable);
/* Whether @old had the SID security extension (or SAN URI) and @new has not. */
gboolean cradle_enrollment_sid_lost                  (CradleCertificate       *old,
                                                      CradleCertificate       *new_leaf);

/* cradle-enrollment-steps.c: the steps new and resumed runs share.  Those
 * that take a GError take it, and end the run. */
const char             *_cradle_enrollment_step_outcome_for         (const GError *error);
CradleEnrollmentOutcome _cradle_enrollment_outcome_before_recording (const GError *error);
void     _cradle_enrollment_fail_step                (CradleEnrollment        *self,
                                                      CradleEnrollmentOutcome  outcome,
                                                      GError                  *error);
/* Nothing recorded yet: cancelled, declined or failed, as @error says. */
void     _cradle_enrollment_fail_before_recording    (CradleEnrollment        *self,
                                                      GError                  *error);
/* No answer this time: the request stays as it is, the attempt is counted. */
void     _cradle_enrollment_keep_for_later           (CradleEnrollment        *self,
                                                      CradleEnrollmentOutcome  outcome,
                                                      guint                    delay,
                                                      GError                  *error);
void     _cradle_enrollment_keep_after_failure       (CradleEnrollment        *self,
                                                      GError                  *error);
void     _cradle_enrollment_keep_after_device_failure (CradleEnrollment       *self,
                                                       GError                 *error);
gboolean _cradle_enrollment_step_device              (CradleEnrollment        *self,
                                                      GCancellable            *cancellable,
                                                      GError                 **error) G_GNUC_WARN_UNUSED_RESULT;
void     _cradle_enrollment_step_session             (CradleEnrollment        *self);
void     _cradle_enrollment_delete_abandoned_key     (CradleEnrollment        *self);
GBytes  *_cradle_enrollment_sign_on_device           (CradleEnrollment        *self,
                                                      CradleRequestPlan       *plan,
                                                      GBytes                  *public_key,
                                                      GCancellable            *cancellable,
                                                      GError                 **error) G_GNUC_WARN_UNUSED_RESULT;
CradleCaRequest *_cradle_enrollment_ca_request_new   (CradleEnrollment        *self,
                                                      const char              *template_name);
/* Submits @request, or asks about it (@retrieve), and takes the CA's answer. */
void     _cradle_enrollment_ask_ca                   (CradleEnrollment        *self,
                                                      CradleCaRequest         *request,
                                                      gboolean                 retrieve,
                                                      const char              *retrieve_uri,
                                                      GCancellable            *cancellable);
void     _cradle_enrollment_chain_and_install        (CradleEnrollment        *self,
                                                      GPtrArray               *from_ca,
                                                      GCancellable            *cancellable);

/* cradle-enrollment-attestation.c: a token's slot and its word on the key */
/* Before the key is made on a PIV token: the slot the type's key goes in
 * (its PivSlot=, else its key usage), set on the device; named in @slot
 * for people (%NULL: not a PIV token).  FALSE when the type's slot is
 * wrong. */
gboolean _cradle_enrollment_choose_key_slot          (CradleEnrollment        *self,
                                                      CradleRequestPlan       *plan,
                                                      char                   **slot,
                                                      GError                 **error) G_GNUC_WARN_UNUSED_RESULT;
/* After the key @public_key is made: the token's attestation of it read,
 * verified against [Tokens] AttestationRoots= and journalled as a step,
 * as the type's Attestation= says (a bridge device, which offers none,
 * is not asked unless the type requires one).  A verified one is kept
 * for Attestation=include.  FALSE when the run must stop: no request is
 * made. */
gboolean _cradle_enrollment_check_attestation        (CradleEnrollment        *self,
                                                      GBytes                  *public_key,
                                                      GCancellable            *cancellable,
                                                      GError                 **error) G_GNUC_WARN_UNUSED_RESULT;

/* cradle-enrollment-run-new.c, cradle-enrollment-run-resume.c: one kind of run each */
void     _cradle_enrollment_run_new                  (CradleEnrollment        *self,
                                                      GCancellable            *cancellable);
void     _cradle_enrollment_run_resume               (CradleEnrollment        *self,
                                                      GCancellable            *cancellable);

/* cradle-enrollment-run.c: the state machine, blocking, in a worker thread.
 * Sets the outcome and, for all but INSTALLED and PENDING, the error. */
void     _cradle_enrollment_run_blocking             (CradleEnrollment        *self,
                                                      GCancellable            *cancellable);

G_END_DECLS
