/* cradle-enrollment.h: one enrollment, from a cradled device to an installed certificate
 *
 * A run is a state machine:
 *
 *   device ready -> domain session -> type chosen -> key generated on the
 *   device -> request signed on the device -> submitted -> pending or
 *   issued -> chain verified -> installed
 *
 * and it can end at any step: denied, declined on the device, cancelled,
 * interrupted (kept to resume) or failed.  The request is recorded in the
 * pending store before it goes to the CA, so nothing is lost when the
 * device is unplugged or the CA is down: a resumed run (from the pending
 * store, with cradle_enrollment_new_resume()) picks it up where it stopped:
 *
 *   submitting -> send the same request again (the CA may never have had it)
 *   pending    -> ask the CA (retrieve)
 *   issued     -> verify the chain and install
 *
 * After a denial the key the device made for the request is deleted
 * (DELETE_KEY).  Every run and step is written to the journal.
 */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <gio/gio.h>
#include <cradle/cradle-macros.h>
#include <cradle/cradle-certificate.h>
#include <cradle/cradle-device.h>
#include <cradle/cradle-cert-type.h>
#include <cradle/cradle-credentials.h>
#include <cradle/cradle-type-lookup.h>
#include <cradle/cradle-journal.h>
#include <cradle/cradle-pending-store.h>

G_BEGIN_DECLS

/**
 * CradleEnrollmentStep:
 * @CRADLE_ENROLLMENT_STEP_NONE: not started
 * @CRADLE_ENROLLMENT_STEP_DEVICE: opening the device (HELLO, GET_INFO)
 * @CRADLE_ENROLLMENT_STEP_SESSION: the domain session and credentials
 * @CRADLE_ENROLLMENT_STEP_TYPE: the type's request policy and CA connector
 * @CRADLE_ENROLLMENT_STEP_GENERATE_KEY: the device makes the key (its user confirms)
 * @CRADLE_ENROLLMENT_STEP_SIGN: the device signs the request (its user confirms)
 * @CRADLE_ENROLLMENT_STEP_SUBMIT: sending the request to the CA
 * @CRADLE_ENROLLMENT_STEP_RETRIEVE: asking the CA about a pending request
 * @CRADLE_ENROLLMENT_STEP_CHAIN: building and verifying the chain, and
 *   checking the certificate is for the device's key
 * @CRADLE_ENROLLMENT_STEP_INSTALL: installing leaf, intermediates and root
 *   on the device in one batch (its user accepts a new root)
 * @CRADLE_ENROLLMENT_STEP_DELETE_KEY: deleting the key a denied or
 *   abandoned request leaves on the device
 * @CRADLE_ENROLLMENT_STEP_REMOVE_OLD: a renewal's new certificate is
 *   installed: removing the certificate it replaces (its user confirms)
 * @CRADLE_ENROLLMENT_STEP_FINISHED: the run is over; see the outcome
 */
typedef enum {
  CRADLE_ENROLLMENT_STEP_NONE,
  CRADLE_ENROLLMENT_STEP_DEVICE,
  CRADLE_ENROLLMENT_STEP_SESSION,
  CRADLE_ENROLLMENT_STEP_TYPE,
  CRADLE_ENROLLMENT_STEP_GENERATE_KEY,
  CRADLE_ENROLLMENT_STEP_SIGN,
  CRADLE_ENROLLMENT_STEP_SUBMIT,
  CRADLE_ENROLLMENT_STEP_RETRIEVE,
  CRADLE_ENROLLMENT_STEP_CHAIN,
  CRADLE_ENROLLMENT_STEP_INSTALL,
  CRADLE_ENROLLMENT_STEP_DELETE_KEY,
  CRADLE_ENROLLMENT_STEP_REMOVE_OLD,
  CRADLE_ENROLLMENT_STEP_FINISHED,
} CradleEnrollmentStep;

/**
 * CradleEnrollmentOutcome:
 * @CRADLE_ENROLLMENT_OUTCOME_NONE: still running (or not started)
 * @CRADLE_ENROLLMENT_OUTCOME_INSTALLED: issued, verified and on the device
 * @CRADLE_ENROLLMENT_OUTCOME_PENDING: the CA will decide later; the request
 *   is in the pending store and will be retrieved
 * @CRADLE_ENROLLMENT_OUTCOME_DENIED: the CA refused; see cradle_enrollment_get_denial()
 * @CRADLE_ENROLLMENT_OUTCOME_DECLINED: the device's user said no
 * @CRADLE_ENROLLMENT_OUTCOME_INTERRUPTED: stopped without an answer after the
 *   request was recorded (the device was unplugged, the CA could not be
 *   reached): the request is kept and resumes later; the error says why
 * @CRADLE_ENROLLMENT_OUTCOME_FAILED: given up; the error says why
 * @CRADLE_ENROLLMENT_OUTCOME_CANCELLED: the caller cancelled; a recorded
 *   request is kept and resumes later
 */
typedef enum {
  CRADLE_ENROLLMENT_OUTCOME_NONE,
  CRADLE_ENROLLMENT_OUTCOME_INSTALLED,
  CRADLE_ENROLLMENT_OUTCOME_PENDING,
  CRADLE_ENROLLMENT_OUTCOME_DENIED,
  CRADLE_ENROLLMENT_OUTCOME_DECLINED,
  CRADLE_ENROLLMENT_OUTCOME_INTERRUPTED,
  CRADLE_ENROLLMENT_OUTCOME_FAILED,
  CRADLE_ENROLLMENT_OUTCOME_CANCELLED,
} CradleEnrollmentOutcome;

/* "device", "session", "type", "generate-key", "sign", "submit",
 * "retrieve", "chain", "install", "delete-key", "remove-old", "finished"
 * (and "none"). */
CRADLE_PUBLIC
const char *cradle_enrollment_step_to_string    (CradleEnrollmentStep    step);
/* "installed", "pending", "denied", "declined", "interrupted", "failed",
 * "cancelled" (and "none"). */
CRADLE_PUBLIC
const char *cradle_enrollment_outcome_to_string (CradleEnrollmentOutcome outcome);

#define CRADLE_TYPE_ENROLLMENT (cradle_enrollment_get_type ())
CRADLE_PUBLIC
G_DECLARE_FINAL_TYPE (CradleEnrollment, cradle_enrollment, CRADLE, ENROLLMENT, GObject)

/* A new enrollment of @device (opened or not) for @type.  The request is
 * built from the type's template policy (with the catalog's user entry) or
 * from its KeyType and Subject; @credentials sign in to the CA.
 * @journal: (nullable): where to record the run. */
CRADLE_PUBLIC
CradleEnrollment *cradle_enrollment_new        (CradleDevice         *device,
                                                CradleCertType       *type,
                                                CradleCredentials    *credentials,
                                                CradlePendingStore   *store,
                                                CradleJournal        *journal);
/* Resumes @request (unfinished) with @device, the device of the request's
 * serial, cradled again.  @type: (nullable): the type it was made with
 * (cradle_cert_type_find_for_endpoint()), for its connector settings;
 * without it the stored protocol and endpoint are used with default
 * settings, except for SCEP, whose CA only its type's TrustAnchors and
 * CAFingerprint vouch for: the request is kept, CRADLE_ERROR_NOT_CONFIGURED.
 * The catalog of @type, when there is one, adds the directory's
 * CA certificates to the chain. */
CRADLE_PUBLIC
CradleEnrollment *cradle_enrollment_new_resume (CradlePendingRequest *request,
                                                CradleDevice         *device,
                                                CradleCertType       *type,
                                                CradleCredentials    *credentials,
                                                CradlePendingStore   *store,
                                                CradleJournal        *journal);

/* The subject the user typed (RFC 4514), used when the template lets the
 * enrollee supply it; before running. */
CRADLE_PUBLIC
void              cradle_enrollment_set_subject (CradleEnrollment    *self,
                                                 const char          *subject);

/* Makes the run a renewal of @old_certificate, a MY certificate on the
 * device whose key is @old_key_id (as cradle_device_list_certs() gives
 * them); the type must be the one it came from.  The device makes a new
 * key unless the template demands the same one (msPKI-Private-Key-Flag
 * 0x80); the request carries the renewal attribute and, for certsrv and
 * WSTEP, goes as a SignedData signed by the old key (SIGN purpose 4);
 * SCEP sends a RenewalReq when the CA offers it; EST, and a CA that
 * refuses renewals, enroll again (cradle_enrollment_get_notes() says so).
 * Once the new certificate is installed the old one is deleted
 * (DELETE_CERT, the device asks its user).  Before running. */
CRADLE_PUBLIC
void              cradle_enrollment_set_renewal (CradleEnrollment    *self,
                                                 CradleCertificate   *old_certificate,
                                                 GBytes              *old_key_id);
/* (nullable): the certificate the run renews (a resumed renewal's too) */
CRADLE_PUBLIC
CradleCertificate *cradle_enrollment_get_renewed_certificate (CradleEnrollment *self);
/* TRUE once a renewal's old certificate is gone from the device. */
CRADLE_PUBLIC
gboolean          cradle_enrollment_get_old_removed (CradleEnrollment *self);
/* (array zero-terminated=1): what people should know about the run beyond
 * its outcome, one sentence each: a renewal that enrolled again and why,
 * an old certificate its user kept, a SID extension the new certificate
 * lacks.  Untrusted text already escaped; never %NULL. */
CRADLE_PUBLIC
const char * const *cradle_enrollment_get_notes (CradleEnrollment *self);

/**
 * CradleTypeConfirmFunc:
 *
 * Reads the enrollment's type afresh (it may block: it runs on the
 * enrollment's worker thread) and returns it, or %NULL with @error.
 */
typedef CradleCertType *(*CradleTypeConfirmFunc) (gpointer       user_data,
                                                  GCancellable  *cancellable,
                                                  GError       **error);

/* Makes the type given to cradle_enrollment_new() provisional (read from a
 * kept catalog, say): the device makes the key with it, and before it signs
 * anything @func's fresh type must make the same request.  When it does,
 * the run goes on with the fresh type; when it does not, the key is deleted
 * and the run starts again from the fresh type.  Before running. */
CRADLE_PUBLIC
void              cradle_enrollment_set_type_confirmation (CradleEnrollment      *self,
                                                           CradleTypeConfirmFunc  func,
                                                           gpointer               user_data,
                                                           GDestroyNotify         destroy);
/* The same, confirmed by @lookup's type from the directory
 * (cradle_type_lookup_dup_fresh_type()): start with
 * cradle_type_lookup_dup_kept_type().  Before running. */
CRADLE_PUBLIC
void              cradle_enrollment_set_type_lookup (CradleEnrollment      *self,
                                                     CradleTypeLookup      *lookup);

/* Runs the state machine once.  Signals are emitted on the thread-default
 * main context of the caller.  Cancelling @cancellable sends CANCEL to the
 * device when it waits for its user.  A run object runs once. */
CRADLE_PUBLIC
void              cradle_enrollment_run_async   (CradleEnrollment    *self,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
/* @error is set for every outcome but INSTALLED and PENDING: why it was
 * denied, declined, interrupted, cancelled or failed (a CRADLE_ERROR, or
 * G_IO_ERROR_CANCELLED; cradle_explain_error() explains it). */
CRADLE_PUBLIC
CradleEnrollmentOutcome cradle_enrollment_run_finish (CradleEnrollment *self,
                                                      GAsyncResult     *result,
                                                      GError          **error);

CRADLE_PUBLIC
CradleDevice     *cradle_enrollment_get_device        (CradleEnrollment *self);
/* (nullable) for a resume without a type */
CRADLE_PUBLIC
CradleCertType   *cradle_enrollment_get_cert_type     (CradleEnrollment *self);
CRADLE_PUBLIC
CradleEnrollmentStep    cradle_enrollment_get_step    (CradleEnrollment *self);
CRADLE_PUBLIC
CradleEnrollmentOutcome cradle_enrollment_get_outcome (CradleEnrollment *self);
/* The pending store's id; 0 until the request was recorded. */
CRADLE_PUBLIC
gint64            cradle_enrollment_get_request_id    (CradleEnrollment *self);
/* (nullable): the CA's number for the request, once it answered */
CRADLE_PUBLIC
const char       *cradle_enrollment_get_ca_request_id (CradleEnrollment *self);
/* The journal's id of this run; 0 without a journal. */
CRADLE_PUBLIC
gint64            cradle_enrollment_get_run_id        (CradleEnrollment *self);
/* (nullable): the issued certificate, once issued */
CRADLE_PUBLIC
CradleCertificate *cradle_enrollment_get_leaf         (CradleEnrollment *self);
/* (element-type CradleCertificate): the verified chain above the leaf,
 * issuer first, root last; empty until verified. */
CRADLE_PUBLIC
GPtrArray        *cradle_enrollment_get_chain         (CradleEnrollment *self);
/* TRUE when denied: the CA's code (HRESULT, SCEP failInfo or HTTP status,
 * by the protocol) and its own words (nullable, untrusted text). */
CRADLE_PUBLIC
gboolean          cradle_enrollment_get_denial        (CradleEnrollment *self,
                                                       guint32          *code,
                                                       const char      **message);
/* When a PENDING or INTERRUPTED request will be tried again, seconds
 * since 1970 UTC; 0 otherwise. */
CRADLE_PUBLIC
gint64            cradle_enrollment_get_next_attempt  (CradleEnrollment *self);
/* (nullable): why the run did not install, as run_finish() reported */
CRADLE_PUBLIC
const GError     *cradle_enrollment_get_error         (CradleEnrollment *self);

/* Signals:
 *
 * "step-changed" (CradleEnrollmentStep step, const char *text): a step
 *   starts; @text says what it does, for people ("Submitting the request to
 *   ca1.corp.example.test").
 * "waiting-for-device" (gboolean waiting, const char *prompt): the device
 *   waits for its user (KEEPALIVE) — "Waiting for confirmation on the
 *   device…" — or stopped waiting.
 */

/* ---- retrieving pending requests while the app runs --------------------- */

/* The delay before trying an unfinished request again after @attempts
 * tries: 30 s doubling up to 1 h, and never less than the CA's
 * @retry_after. */
CRADLE_PUBLIC
guint             cradle_enrollment_backoff_seconds   (guint             attempts,
                                                       guint             retry_after);

G_END_DECLS
