/* cradle-enrollment.c: one enrollment run: the object and its async run
 *
 * The state machine itself (cradle-enrollment-run.c) runs in a worker
 * thread with the blocking device and connector calls; what it reports
 * (cradle-enrollment-progress.c) reaches the caller's main context as
 * "step-changed" and "waiting-for-device".
 */
#include "config.h"

#include "engine/cradle-enrollment-private.h"

G_DEFINE_FINAL_TYPE (CradleEnrollment, cradle_enrollment, G_TYPE_OBJECT)

/* ---- the object ---------------------------------------------------------- */

static void
cradle_enrollment_dispose (GObject *object)
{
  CradleEnrollment *self = CRADLE_ENROLLMENT (object);

  if (self->waiting_handler != 0)
    g_clear_signal_handler (&self->waiting_handler, self->device);
  g_clear_object (&self->device);
  g_clear_object (&self->type);
  g_clear_object (&self->credentials);
  g_clear_object (&self->store);
  g_clear_object (&self->journal);
  g_clear_object (&self->resume);
  g_clear_object (&self->connector);
  g_clear_object (&self->leaf);
  g_clear_object (&self->renews);
  G_OBJECT_CLASS (cradle_enrollment_parent_class)->dispose (object);
}

static void
cradle_enrollment_finalize (GObject *object)
{
  CradleEnrollment *self = CRADLE_ENROLLMENT (object);

  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->chain, g_ptr_array_unref);
  g_clear_pointer (&self->key_id, g_bytes_unref);
  g_clear_pointer (&self->csr, g_bytes_unref);
  g_clear_pointer (&self->renews_key_id, g_bytes_unref);
  g_clear_pointer (&self->renewal_signed_data, g_bytes_unref);
  g_clear_pointer (&self->attestation, g_bytes_unref);
  g_clear_pointer (&self->attestation_intermediate, g_bytes_unref);
  g_clear_pointer (&self->notes, g_ptr_array_unref);
  g_clear_error (&self->error);
  if (self->confirm_destroy != NULL)
    self->confirm_destroy (self->confirm_data);
  g_free (self->subject);
  g_free (self->ca_request_id);
  g_free (self->denial_message);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (cradle_enrollment_parent_class)->finalize (object);
}

static void
cradle_enrollment_class_init (CradleEnrollmentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cradle_enrollment_dispose;
  object_class->finalize = cradle_enrollment_finalize;

  _cradle_enrollment_class_add_signals (object_class);
}

static void
cradle_enrollment_init (CradleEnrollment *self)
{
  g_mutex_init (&self->lock);
  self->chain = g_ptr_array_new_with_free_func (g_object_unref);
  self->notes = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->notes, NULL);
}

static CradleEnrollment *
enrollment_new (CradleDevice       *device,
                CradleCertType     *type,
                CradleCredentials  *credentials,
                CradlePendingStore *store,
                CradleJournal      *journal)
{
  CradleEnrollment *self = g_object_new (CRADLE_TYPE_ENROLLMENT, NULL);

  self->device = g_object_ref (device);
  self->type = type != NULL ? g_object_ref (type) : NULL;
  self->credentials = g_object_ref (credentials);
  self->store = g_object_ref (store);
  self->journal = journal != NULL ? g_object_ref (journal) : NULL;
  return self;
}

CradleEnrollment *
cradle_enrollment_new (CradleDevice       *device,
                       CradleCertType     *type,
                       CradleCredentials  *credentials,
                       CradlePendingStore *store,
                       CradleJournal      *journal)
{
  g_return_val_if_fail (CRADLE_IS_DEVICE (device), NULL);
  g_return_val_if_fail (CRADLE_IS_CERT_TYPE (type), NULL);
  g_return_val_if_fail (CRADLE_IS_CREDENTIALS (credentials), NULL);
  g_return_val_if_fail (CRADLE_IS_PENDING_STORE (store), NULL);
  g_return_val_if_fail (journal == NULL || CRADLE_IS_JOURNAL (journal), NULL);

  return enrollment_new (device, type, credentials, store, journal);
}

CradleEnrollment *
cradle_enrollment_new_resume (CradlePendingRequest *request,
                              CradleDevice         *device,
                              CradleCertType       *type,
                              CradleCredentials    *credentials,
                              CradlePendingStore   *store,
                              CradleJournal        *journal)
{
  CradleEnrollment *self;

  g_return_val_if_fail (CRADLE_IS_PENDING_REQUEST (request), NULL);
  g_return_val_if_fail (CRADLE_IS_DEVICE (device), NULL);
  g_return_val_if_fail (type == NULL || CRADLE_IS_CERT_TYPE (type), NULL);
  g_return_val_if_fail (CRADLE_IS_CREDENTIALS (credentials), NULL);
  g_return_val_if_fail (CRADLE_IS_PENDING_STORE (store), NULL);
  g_return_val_if_fail (journal == NULL || CRADLE_IS_JOURNAL (journal), NULL);

  self = enrollment_new (device, type, credentials, store, journal);
  self->resume = g_object_ref (request);
  self->request_id = cradle_pending_request_get_id (request);
  self->ca_request_id = g_strdup (cradle_pending_request_get_ca_request_id (request));
  return self;
}

void
cradle_enrollment_set_renewal (CradleEnrollment  *self,
                               CradleCertificate *old_certificate,
                               GBytes            *old_key_id)
{
  g_return_if_fail (CRADLE_IS_ENROLLMENT (self));
  g_return_if_fail (!self->started);
  g_return_if_fail (CRADLE_IS_CERTIFICATE (old_certificate));
  g_return_if_fail (old_key_id != NULL);

  g_set_object (&self->renews, old_certificate);
  g_clear_pointer (&self->renews_key_id, g_bytes_unref);
  self->renews_key_id = g_bytes_ref (old_key_id);
}

CradleCertificate *
cradle_enrollment_get_renewed_certificate (CradleEnrollment *self)
{
  g_return_val_if_fail (CRADLE_IS_ENROLLMENT (self), NULL);
  return self->renews;
}

gboolean
cradle_enrollment_get_old_removed (CradleEnrollment *self)
{
  g_return_val_if_fail (CRADLE_IS_ENROLLMENT (self), FALSE);
  return self->old_removed;
}

const char * const *
cradle_enrollment_get_notes (CradleEnrollment *self)
{
  g_return_val_if_fail (CRADLE_IS_ENROLLMENT (self), NULL);
  return (const char * const *) self->notes->pdata;
}

void
cradle_enrollment_set_subject (CradleEnrollment *self,
                               const char       *subject)
{
  g_return_if_fail (CRADLE_IS_ENROLLMENT (self));
  g_return_if_fail (!self->started);

  g_free (self->subject);
  self->subject = g_strdup (subject);
}

void
cradle_enrollment_set_type_confirmation (CradleEnrollment      *self,
                                         CradleTypeConfirmFunc  func,
                                         gpointer               user_data,
                                         GDestroyNotify         destroy)
{
  g_return_if_fail (CRADLE_IS_ENROLLMENT (self));
  g_return_if_fail (!self->started);
  g_return_if_fail (self->type != NULL && self->resume == NULL);

  if (self->confirm_destroy != NULL)
    self->confirm_destroy (self->confirm_data);
  self->confirm_type = func;
  self->confirm_data = user_data;
  self->confirm_destroy = destroy;
}

typedef struct {
  CradleTypeLookup *lookup;
  CradleCertType   *provisional;
} LookupConfirmation;

static void
lookup_confirmation_free (gpointer data)
{
  LookupConfirmation *confirmation = data;

  g_object_unref (confirmation->lookup);
  g_object_unref (confirmation->provisional);
  g_free (confirmation);
}

static CradleCertType *
confirm_with_lookup (gpointer       user_data,
                     GCancellable  *cancellable,
                     GError       **error)
{
  LookupConfirmation *confirmation = user_data;

  return cradle_type_lookup_dup_fresh_type (confirmation->lookup, confirmation->provisional, cancellable, error);
}

void
cradle_enrollment_set_type_lookup (CradleEnrollment *self,
                                   CradleTypeLookup *lookup)
{
  LookupConfirmation *confirmation;

  g_return_if_fail (CRADLE_IS_ENROLLMENT (self));
  g_return_if_fail (CRADLE_IS_TYPE_LOOKUP (lookup));
  g_return_if_fail (self->type != NULL && self->resume == NULL);

  confirmation = g_new0 (LookupConfirmation, 1);
  confirmation->lookup = g_object_ref (lookup);
  confirmation->provisional = g_object_ref (self->type);
  cradle_enrollment_set_type_confirmation (self, confirm_with_lookup, confirmation, lookup_confirmation_free);
}

void
cradle_enrollment_set_connector (CradleEnrollment  *self,
                                 CradleCaConnector *connector)
{
  g_return_if_fail (CRADLE_IS_ENROLLMENT (self));
  g_return_if_fail (!self->started);

  g_set_object (&self->connector, connector);
}

/* ---- running ------------------------------------------------------------- */

/* Each run has a thread of its own, not one of GIO's shared pool: a run
 * spends most of its life blocked on its device (a user who does not
 * answer for ten minutes) or on the CA, and the pool holds ten threads
 * before it grows, slowly; with more runs at once than that, a stalled
 * device would hold up the start of another device's run. */
static gpointer
run_thread (gpointer data)
{
  g_autoptr(GTask) task = data;
  CradleEnrollment *self = g_task_get_source_object (task);

  _cradle_enrollment_run_blocking (self, g_task_get_cancellable (task));
  g_task_return_boolean (task, TRUE);
  return NULL;
}

void
cradle_enrollment_run_async (CradleEnrollment    *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  GThread *thread;

  g_return_if_fail (CRADLE_IS_ENROLLMENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  g_return_if_fail (!self->started);

  self->started = TRUE;
  _cradle_enrollment_watch_device (self);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cradle_enrollment_run_async);
  /* The outcome is the answer; cancellation is one of them, not an error. */
  g_task_set_check_cancellable (task, FALSE);
  thread = g_thread_try_new ("cradle-enroll", run_thread, g_object_ref (task), &error);
  if (thread == NULL)
    {
      g_object_unref (task);
      _cradle_enrollment_finish (self, CRADLE_ENROLLMENT_OUTCOME_FAILED,
                                 g_error_new (CRADLE_ERROR, CRADLE_ERROR_FAILED,
                                              "Could not start the enrollment: %s. Close other programs and "
                                              "try again.", error->message));
      g_task_return_boolean (task, TRUE);
      return;
    }
  g_thread_unref (thread);
}

CradleEnrollmentOutcome
cradle_enrollment_run_finish (CradleEnrollment  *self,
                              GAsyncResult      *result,
                              GError           **error)
{
  g_return_val_if_fail (CRADLE_IS_ENROLLMENT (self), CRADLE_ENROLLMENT_OUTCOME_FAILED);
  g_return_val_if_fail (g_task_is_valid (result, self), CRADLE_ENROLLMENT_OUTCOME_FAILED);
  g_return_val_if_fail (g_async_result_is_tagged (result, cradle_enrollment_run_async),
                        CRADLE_ENROLLMENT_OUTCOME_FAILED);

  g_task_propagate_boolean (G_TASK (result), NULL);
  if (self->waiting_handler != 0)
    g_clear_signal_handler (&self->waiting_handler, self->device);
  if (self->error != NULL && error != NULL)
    *error = g_error_copy (self->error);
  return self->outcome;
}

/* ---- getters ------------------------------------------------------------- */

CradleDevice *
cradle_enrollment_get_device (CradleEnrollment *self)
{
  g_return_val_if_fail (CRADLE_IS_ENROLLMENT (self), NULL);
  return self->device;
}

CradleCertType *
cradle_enrollment_get_cert_type (CradleEnrollment *self)
{
  g_return_val_if_fail (CRADLE_IS_ENROLLMENT (self), NULL);
  return self->type;
}

CradleEnrollmentStep
cradle_enrollment_get_step (CradleEnrollment *self)
{
  CradleEnrollmentStep step;

  g_return_val_if_fail (CRADLE_IS_ENROLLMENT (self), CRADLE_ENROLLMENT_STEP_NONE);
  g_mutex_lock (&self->lock);
  step = self->step;
  g_mutex_unlock (&self->lock);
  return step;
}

CradleEnrollmentOutcome
cradle_enrollment_get_outcome (CradleEnrollment *self)
{
  g_return_val_if_fail (CRADLE_IS_ENROLLMENT (self), CRADLE_ENROLLMENT_OUTCOME_NONE);
  return self->outcome;
}

gint64
cradle_enrollment_get_request_id (CradleEnrollment *self)
{
  g_return_val_if_fail (CRADLE_IS_ENROLLMENT (self), 0);
  return self->request_id;
}

const char *
cradle_enrollment_get_ca_request_id (CradleEnrollment *self)
{
  g_return_val_if_fail (CRADLE_IS_ENROLLMENT (self), NULL);
  return self->ca_request_id;
}

gint64
cradle_enrollment_get_run_id (CradleEnrollment *self)
{
  g_return_val_if_fail (CRADLE_IS_ENROLLMENT (self), 0);
  return self->run_id;
}

CradleCertificate *
cradle_enrollment_get_leaf (CradleEnrollment *self)
{
  g_return_val_if_fail (CRADLE_IS_ENROLLMENT (self), NULL);
  return self->leaf;
}

GPtrArray *
cradle_enrollment_get_chain (CradleEnrollment *self)
{
  g_return_val_if_fail (CRADLE_IS_ENROLLMENT (self), NULL);
  return self->chain;
}

gboolean
cradle_enrollment_get_denial (CradleEnrollment  *self,
                              guint32           *code,
                              const char       **message)
{
  g_return_val_if_fail (CRADLE_IS_ENROLLMENT (self), FALSE);

  if (code != NULL)
    *code = self->denied ? self->denial_code : 0;
  if (message != NULL)
    *message = self->denied ? self->denial_message : NULL;
  return self->denied;
}

gint64
cradle_enrollment_get_next_attempt (CradleEnrollment *self)
{
  g_return_val_if_fail (CRADLE_IS_ENROLLMENT (self), 0);
  return self->next_attempt;
}

const GError *
cradle_enrollment_get_error (CradleEnrollment *self)
{
  g_return_val_if_fail (CRADLE_IS_ENROLLMENT (self), NULL);
  return self->error;
}
