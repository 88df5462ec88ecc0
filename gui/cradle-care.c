/* cradle-care.c: the application's care of the cradled device
 *
 * It owns what outlives a window: the session, the device watcher, the
 * pending store and journal (opened off the main thread), and the
 * retriever, made again at each sign-in with the directory's types (a kept
 * catalog is no authority).  The device goes to the retriever when it is
 * opened, unless the user's own run holds it.  The retriever's signals are
 * passed on as the care's own, so those who follow them need not follow
 * the retriever being replaced.
 *
 * It also looks after the certificates on the device: when the device
 * arrives (after the retriever's turn) and then daily while it stays, it
 * finishes replacements a renewal left (an old certificate whose removal
 * was interrupted), checks every certificate's expiry and revocation,
 * and renews those in their renewal window, one at a time, with the device
 * held from the retriever meanwhile.  The device still asks its user
 * wherever it always asks.  What it finds is told through signals; the
 * application turns them into notifications.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cradle-care.h"

struct _CradleCare
{
  GObject              parent_instance;

  /* Owned */
  CradleSession       *session;
  CradleDeviceWatcher *watcher;
  CradlePendingStore  *store;
  CradleJournal       *journal;
  CradleRetriever     *retriever;
  GCancellable        *cancellable;
  char                *problem;
  gboolean             started;

  GSource             *look_timer;
  CradleDevice        *looking;       /* looked after now, or next */
  GPtrArray           *due;           /* CradleCertStatus to renew on @looking */
  CradleEnrollment    *renewing;
  GHashTable          *told;          /* what was told already, by key */
  gboolean             look_deferred; /* the device was busy: look when it is free */

  GPtrArray           *held;          /* of CradleDevice: the user's own runs
                                       * use them (several at once when the
                                       * user enrolls several devices) */
};

/* How soon after a device arrives the certificates are looked at (the
 * retriever goes first), how long to wait while the device is busy, and
 * how often while it stays. */
#define LOOK_DELAY_SECONDS      5
#define LOOK_BUSY_SECONDS       20
#define LOOK_EVERY_SECONDS      (24 * 60 * 60)

G_DEFINE_FINAL_TYPE (CradleCare, cradle_care, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STORE,
  PROP_RETRIEVER,
  PROP_PROBLEM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
is_held (CradleCare   *self,
         CradleDevice *device)
{
  return g_ptr_array_find (self->held, device, NULL);
}

enum {
  SIGNAL_RESUME_STARTED,
  SIGNAL_RESUME_FINISHED,
  SIGNAL_STATUSES,
  SIGNAL_REVOKED,
  SIGNAL_EXPIRING,
  SIGNAL_RENEWAL_STARTED,
  SIGNAL_RENEWAL_FINISHED,
  N_SIGNALS
};

/* Days before the end at which an expiry that was not renewed is told
 * (certmonger's defaults, without its 2 days). */
static const int expiry_thresholds[] = { 28, 7, 3, 1 };

static void schedule_look (CradleCare *self,
                           guint       seconds);

static guint signals[N_SIGNALS];

/* ---- the retriever ----------------------------------------------------- */

static void
on_resume_started (CradleRetriever  *retriever,
                   CradleEnrollment *enrollment,
                   CradleCare       *self)
{
  g_signal_emit (self, signals[SIGNAL_RESUME_STARTED], 0, enrollment);
}

static void
on_resume_finished (CradleRetriever  *retriever,
                    CradleEnrollment *enrollment,
                    CradleCare       *self)
{
  const GError *error = cradle_enrollment_get_error (enrollment);

  if (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE))
    cradle_device_watcher_device_gone (self->watcher, cradle_enrollment_get_device (enrollment));
  g_signal_emit (self, signals[SIGNAL_RESUME_FINISHED], 0, enrollment);
  /* A look at the certificates that waited for the resume goes now. */
  if (self->look_deferred)
    schedule_look (self, 1);
}

static void
drop_retriever (CradleCare *self)
{
  if (self->retriever == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->retriever, self);
  cradle_retriever_stop (self->retriever);
  g_clear_object (&self->retriever);
}

static void
start_retriever (CradleCare *self)
{
  CradleCredentials *credentials = cradle_session_get_credentials (self->session);
  CradleDevice *device = cradle_device_watcher_get_device (self->watcher);

  /* Resumes wait for the directory's types: a kept catalog is no authority. */
  if (self->store == NULL || credentials == NULL || cradle_session_get_type_lookup (self->session) != NULL)
    return;
  drop_retriever (self);
  self->retriever = cradle_retriever_new (self->store, self->journal, credentials);
  cradle_retriever_set_cert_types (self->retriever, cradle_session_get_types (self->session));
  g_signal_connect (self->retriever, "enrollment-started", G_CALLBACK (on_resume_started), self);
  g_signal_connect (self->retriever, "enrollment-finished", G_CALLBACK (on_resume_finished), self);
  if (device != NULL && !is_held (self, device))
    cradle_retriever_add_device (self->retriever, device);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RETRIEVER]);
}

/* ---- following the device and the session ------------------------------ */

static void
on_device_changed (CradleDeviceWatcher *watcher,
                   GParamSpec          *pspec,
                   CradleCare          *self)
{
  CradleDevice *device = cradle_device_watcher_get_device (watcher);

  if (device != NULL && !is_held (self, device) && self->retriever != NULL)
    cradle_retriever_add_device (self->retriever, device);
  if (device != self->looking)
    {
      g_clear_pointer (&self->due, g_ptr_array_unref);
      g_set_object (&self->looking, device);
    }
  if (device != NULL)
    schedule_look (self, LOOK_DELAY_SECONDS);
}

static void
on_session_state (CradleSession *session,
                  GParamSpec    *pspec,
                  CradleCare    *self)
{
  if (cradle_session_get_state (session) == CRADLE_SESSION_SIGNED_IN)
    {
      start_retriever (self);
      if (self->looking != NULL)
        schedule_look (self, LOOK_DELAY_SECONDS);
    }
}

/* ---- the pending store and the journal, opened off the main thread ------ */

typedef struct {
  CradlePendingStore *store;
  CradleJournal      *journal;
} StateFiles;

static void
state_files_free (gpointer data)
{
  StateFiles *files = data;

  g_clear_object (&files->store);
  g_clear_object (&files->journal);
  g_free (files);
}

static void
open_state_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  g_autoptr(GError) journal_error = NULL;
  GError *error = NULL;
  StateFiles *files = g_new0 (StateFiles, 1);

  files->store = cradle_pending_store_open (NULL, &error);
  if (files->store == NULL)
    {
      state_files_free (files);
      g_task_return_error (task, error);
      return;
    }
  /* Without a journal enrollments still work; support just sees less. */
  files->journal = cradle_journal_open (NULL, &journal_error);
  if (files->journal == NULL)
    g_warning ("Enrollments are not journaled: %s", journal_error->message);
  g_task_return_pointer (task, files, state_files_free);
}

static void
open_state_done (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  CradleCare *self = CRADLE_CARE (source_object);
  g_autoptr(GError) error = NULL;
  StateFiles *files = g_task_propagate_pointer (G_TASK (result), &error);

  if (files == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_warning ("Could not open the pending store: %s", error->message);
      g_free (self->problem);
      self->problem = g_strdup_printf (_("Cradle cannot keep requests, so it cannot enroll: %s"), error->message);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROBLEM]);
      return;
    }
  self->store = g_steal_pointer (&files->store);
  self->journal = g_steal_pointer (&files->journal);
  state_files_free (files);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STORE]);
  if (cradle_session_get_state (self->session) == CRADLE_SESSION_SIGNED_IN)
    start_retriever (self);
}

/* ---- looking after the certificates ------------------------------------ */

typedef struct {
  CradleDevice        *device;
  CradleStatusChecker *checker;
  CradlePendingStore  *store;
  CradleJournal       *journal;
  GPtrArray           *certs;      /* given, or read in the thread */
  gboolean             finish_replacements;
} CheckJob;

static void
check_job_free (gpointer data)
{
  CheckJob *job = data;

  g_clear_object (&job->device);
  g_clear_object (&job->checker);
  g_clear_object (&job->store);
  g_clear_object (&job->journal);
  g_clear_pointer (&job->certs, g_ptr_array_unref);
  g_free (job);
}

static void
check_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  CheckJob *job = task_data;
  GError *error = NULL;
  GPtrArray *statuses;

  /* A renewal's old certificate whose removal an unplug interrupted. */
  if (job->finish_replacements && job->store != NULL)
    {
      g_autoptr(GError) local_error = NULL;
      guint removed = 0;

      if (!cradle_renewal_finish_replacements (job->device, job->store, job->journal, &removed,
                                               cancellable, &local_error))
        g_info ("Could not finish replacing certificates: %s", local_error->message);
      else if (removed > 0)
        g_info ("Removed %u replaced certificates", removed);
    }
  if (job->certs == NULL)
    {
      job->certs = cradle_device_list_certs (job->device, NULL, NULL, cancellable, &error);
      if (job->certs == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
    }
  statuses = cradle_status_checker_check (job->checker, cradle_device_get_serial (job->device), job->certs,
                                          cancellable, &error);
  if (statuses == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* Each status keeps its certificate's key on the device, for a renewal. */
  for (guint i = 0; i < statuses->len; i++)
    {
      CradleCertStatus *status = g_ptr_array_index (statuses, i);

      for (guint j = 0; j < job->certs->len; j++)
        {
          CradleDeviceCert *cert = g_ptr_array_index (job->certs, j);

          if (cradle_device_cert_get_key_id (cert) != NULL &&
              g_strcmp0 (cradle_device_cert_get_store (cert), cradle_cert_status_get_store (status)) == 0 &&
              g_bytes_equal (cradle_device_cert_get_der (cert), cradle_cert_status_get_der (status)))
            {
              g_object_set_data_full (G_OBJECT (status), "cradle-key-id",
                                      g_bytes_ref (cradle_device_cert_get_key_id (cert)),
                                      (GDestroyNotify) g_bytes_unref);
              break;
            }
        }
    }
  g_task_return_pointer (task, statuses, (GDestroyNotify) g_ptr_array_unref);
}

/* A checker with what the care knows now: the directory's catalog and
 * types (renewal periods, the names behind template OIDs), the pending
 * store (the type each certificate was installed from), the journal, and
 * a directory session for ldap:/// CRLs. */
static CradleStatusChecker *
new_checker (CradleCare *self,
             gboolean    refresh)
{
  CradleStatusChecker *checker = cradle_status_checker_new ();
  g_autoptr(CradleDirectory) directory = cradle_session_new_directory (self->session);

  cradle_status_checker_set_directory (checker, directory);
  cradle_status_checker_set_catalog (checker, cradle_session_get_catalog (self->session));
  cradle_status_checker_set_types (checker, cradle_session_get_types (self->session));
  cradle_status_checker_set_pending_store (checker, self->store);
  cradle_status_checker_set_journal (checker, self->journal);
  cradle_status_checker_set_refresh (checker, refresh);
  return checker;
}

static GTask *
check_task_new (CradleCare          *self,
                CradleDevice        *device,
                GPtrArray           *certs,
                gboolean             finish_replacements,
                gboolean             refresh,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  CheckJob *job = g_new0 (CheckJob, 1);

  job->device = g_object_ref (device);
  job->checker = new_checker (self, refresh);
  job->store = self->store != NULL ? g_object_ref (self->store) : NULL;
  job->journal = self->journal != NULL ? g_object_ref (self->journal) : NULL;
  job->certs = certs != NULL ? g_ptr_array_ref (certs) : NULL;
  job->finish_replacements = finish_replacements;
  g_task_set_task_data (task, job, check_job_free);
  return task;
}

void
cradle_care_check_async (CradleCare          *self,
                         CradleDevice        *device,
                         GPtrArray           *certs,
                         gboolean             refresh,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CRADLE_IS_CARE (self));
  g_return_if_fail (CRADLE_IS_DEVICE (device));
  g_return_if_fail (certs != NULL);

  task = check_task_new (self, device, certs, FALSE, refresh, cancellable, callback, user_data);
  g_task_set_source_tag (task, cradle_care_check_async);
  g_task_run_in_thread (task, check_thread);
}

GPtrArray *
cradle_care_check_finish (CradleCare    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Once per @key in this process: no notification repeats itself. */
static gboolean
first_time (CradleCare *self,
            char       *key)
{
  if (g_hash_table_contains (self->told, key))
    {
      g_free (key);
      return FALSE;
    }
  g_hash_table_add (self->told, key);
  return TRUE;
}

/* An expiry that was not renewed, once at the nearest threshold it has
 * crossed (at 5 days left: the 7-day one). */
static void
tell_expiring (CradleCare       *self,
               CradleCertStatus *status,
               const char       *why)
{
  gint64 left = cradle_cert_status_get_not_after (status) - g_get_real_time () / G_USEC_PER_SEC;
  int days = (int) MAX (0, left / (24 * 60 * 60));

  for (guint i = G_N_ELEMENTS (expiry_thresholds); i > 0; i--)
    if (days < expiry_thresholds[i - 1])
      {
        if (first_time (self, g_strdup_printf ("expiring %s %d", cradle_cert_status_get_sha256 (status),
                                               expiry_thresholds[i - 1])))
          g_signal_emit (self, signals[SIGNAL_EXPIRING], 0, status, days, why);
        return;
      }
}

static void renew_next (CradleCare *self);

static void
renewal_done (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  CradleEnrollment *enrollment = CRADLE_ENROLLMENT (source_object);
  g_autoptr(CradleCare) self = user_data;
  g_autoptr(GError) error = NULL;
  CradleCertStatus *status = g_object_get_data (G_OBJECT (enrollment), "cradle-care-status");

  cradle_enrollment_run_finish (enrollment, result, &error);
  if (self->renewing != enrollment)
    return;
  g_info ("Renewal of %s: %s", cradle_cert_status_get_sha256 (status),
          cradle_enrollment_outcome_to_string (cradle_enrollment_get_outcome (enrollment)));
  if (cradle_enrollment_get_outcome (enrollment) != CRADLE_ENROLLMENT_OUTCOME_INSTALLED &&
      cradle_enrollment_get_outcome (enrollment) != CRADLE_ENROLLMENT_OUTCOME_PENDING)
    tell_expiring (self, status, error != NULL ? error->message : _("the renewal did not finish"));
  if (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE))
    cradle_device_watcher_device_gone (self->watcher, cradle_enrollment_get_device (enrollment));
  g_signal_emit (self, signals[SIGNAL_RENEWAL_FINISHED], 0, enrollment);
  g_clear_object (&self->renewing);
  cradle_care_release_device (self, cradle_enrollment_get_device (enrollment));
  renew_next (self);
}

gboolean
cradle_care_is_renewing (CradleCare *self)
{
  g_return_val_if_fail (CRADLE_IS_CARE (self), FALSE);

  return self->renewing != NULL;
}

CradleEnrollment *
cradle_care_new_renewal (CradleCare        *self,
                         CradleDevice      *device,
                         CradleCertStatus  *status,
                         GError           **error)
{
  CradleCredentials *credentials = cradle_session_get_credentials (self->session);
  GPtrArray *types = cradle_session_get_types (self->session);
  CradleCertType *type = NULL;
  g_autoptr(CradleCertificate) old = NULL;
  g_autoptr(CradleEnrollment) enrollment = NULL;
  GBytes *key_id;

  g_return_val_if_fail (CRADLE_IS_CARE (self), NULL);

  if (credentials == NULL || self->store == NULL || cradle_session_get_type_lookup (self->session) != NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                           _("Cradle is not signed in to the domain yet. Renewal starts once it is."));
      return NULL;
    }
  key_id = g_object_get_data (G_OBJECT (status), "cradle-key-id");
  if (!cradle_cert_status_get_has_key (status) || key_id == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                           _("The device does not hold this certificate's key, so Cradle cannot renew it. "
                             "Get a new certificate instead."));
      return NULL;
    }
  if (cradle_cert_status_get_type_name (status) != NULL && types != NULL)
    type = cradle_cert_type_find (types, cradle_cert_status_get_type_name (status));
  if (type == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   _("Cradle does not know the certificate type “%s” this certificate came from, so it cannot "
                     "renew it. Ask your administrator which type replaces it."),
                   cradle_cert_status_get_type_name (status) ?: _("unknown"));
      return NULL;
    }
  old = cradle_certificate_new_from_der (cradle_cert_status_get_der (status), error);
  if (old == NULL)
    return NULL;
  enrollment = cradle_enrollment_new (device, type, credentials, self->store, self->journal);
  cradle_enrollment_set_renewal (enrollment, old, key_id);
  g_object_set_data_full (G_OBJECT (enrollment), "cradle-care-status", g_object_ref (status), g_object_unref);
  return g_steal_pointer (&enrollment);
}

/* The next due certificate, while the device stays and nobody else uses it. */
static void
renew_next (CradleCare *self)
{
  while (self->renewing == NULL && self->due != NULL && self->due->len > 0)
    {
      g_autoptr(CradleCertStatus) status = g_ptr_array_steal_index (self->due, 0);
      g_autoptr(GError) error = NULL;
      CradleDevice *device = self->looking;

      if (device == NULL || device != cradle_device_watcher_get_device (self->watcher))
        return;
      if (is_held (self, device) || (self->retriever != NULL && cradle_retriever_is_busy (self->retriever)))
        {
          /* Looked at again (and renewed) once the device is free. */
          self->look_deferred = TRUE;
          schedule_look (self, LOOK_BUSY_SECONDS);
          return;
        }
      self->renewing = cradle_care_new_renewal (self, device, status, &error);
      if (self->renewing == NULL)
        {
          tell_expiring (self, status, error->message);
          continue;
        }
      cradle_care_hold_device (self, device);
      g_signal_emit (self, signals[SIGNAL_RENEWAL_STARTED], 0, self->renewing);
      cradle_enrollment_run_async (self->renewing, self->cancellable, renewal_done, g_object_ref (self));
    }
}

static void
look_done (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  CradleCare *self = CRADLE_CARE (source_object);
  CradleDevice *device = user_data;   /* the task holds it */
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) statuses = g_task_propagate_pointer (G_TASK (result), &error);

  if (statuses == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_info ("Could not look after the device's certificates: %s", error->message);
      if (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE))
        cradle_device_watcher_device_gone (self->watcher, device);
      else if (device == self->looking)
        schedule_look (self, LOOK_BUSY_SECONDS);
      return;
    }
  if (device != self->looking)
    return;
  g_signal_emit (self, signals[SIGNAL_STATUSES], 0, device, statuses);
  g_clear_pointer (&self->due, g_ptr_array_unref);
  self->due = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < statuses->len; i++)
    {
      CradleCertStatus *status = g_ptr_array_index (statuses, i);

      if (g_strcmp0 (cradle_cert_status_get_store (status), "MY") != 0)
        continue;
      switch (cradle_cert_status_get_verdict (status))
        {
        case CRADLE_CERT_VERDICT_REVOKED:
          if (first_time (self, g_strdup_printf ("revoked %s", cradle_cert_status_get_sha256 (status))))
            g_signal_emit (self, signals[SIGNAL_REVOKED], 0, status);
          break;
        case CRADLE_CERT_VERDICT_RENEW_SOON:
          /* Unless the administrator or the user turned it off; the
           * certificate's row still offers Renew. */
          if (cradle_settings_get_automatic_renewal ())
            g_ptr_array_add (self->due, g_object_ref (status));
          break;
        default:
          break;
        }
    }
  schedule_look (self, LOOK_EVERY_SECONDS);
  renew_next (self);
}

static gboolean
on_look_timer (gpointer user_data)
{
  CradleCare *self = user_data;
  CradleDevice *device = self->looking;
  g_autoptr(GTask) task = NULL;

  g_clear_pointer (&self->look_timer, g_source_unref);
  if (device == NULL || device != cradle_device_watcher_get_device (self->watcher))
    return G_SOURCE_REMOVE;
  /* Not while the user's run or a resume uses the device, nor before the
   * pending store and the directory's types are here. */
  if (is_held (self, device) || self->renewing != NULL ||
      (self->retriever != NULL && cradle_retriever_is_busy (self->retriever)) ||
      self->store == NULL || cradle_session_get_state (self->session) != CRADLE_SESSION_SIGNED_IN)
    {
      self->look_deferred = TRUE;
      schedule_look (self, LOOK_BUSY_SECONDS);
      return G_SOURCE_REMOVE;
    }
  self->look_deferred = FALSE;
  task = check_task_new (self, device, NULL, TRUE, FALSE, self->cancellable, look_done, device);
  g_task_set_source_tag (task, on_look_timer);
  g_task_run_in_thread (task, check_thread);
  return G_SOURCE_REMOVE;
}

static void
schedule_look (CradleCare *self,
               guint       seconds)
{
  if (self->look_timer != NULL)
    {
      g_source_destroy (self->look_timer);
      g_clear_pointer (&self->look_timer, g_source_unref);
    }
  self->look_timer = g_timeout_source_new_seconds (seconds);
  g_source_set_callback (self->look_timer, on_look_timer, self, NULL);
  g_source_set_name (self->look_timer, "[cradle] look after the device");
  g_source_attach (self->look_timer, NULL);
}

void
cradle_care_look_after (CradleCare   *self,
                        CradleDevice *device)
{
  g_return_if_fail (CRADLE_IS_CARE (self));
  g_return_if_fail (CRADLE_IS_DEVICE (device));

  if (device != self->looking)
    return;
  schedule_look (self, 0);
}

/* ---- the API ----------------------------------------------------------- */

void
cradle_care_start (CradleCare *self)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CRADLE_IS_CARE (self));

  if (self->started)
    return;
  self->started = TRUE;
  task = g_task_new (self, self->cancellable, open_state_done, NULL);
  g_task_set_source_tag (task, cradle_care_start);
  g_task_run_in_thread (task, open_state_thread);
  cradle_device_watcher_start (self->watcher);
  cradle_session_sign_in (self->session);
}

gboolean
cradle_care_is_started (CradleCare *self)
{
  g_return_val_if_fail (CRADLE_IS_CARE (self), FALSE);

  return self->started;
}

/* Stops what runs in the background; the objects stay for those who hold
 * them.  The application calls it before it exits. */
void
cradle_care_stop (CradleCare *self)
{
  g_return_if_fail (CRADLE_IS_CARE (self));

  g_cancellable_cancel (self->cancellable);
  drop_retriever (self);
  if (self->look_timer != NULL)
    {
      g_source_destroy (self->look_timer);
      g_clear_pointer (&self->look_timer, g_source_unref);
    }
  if (self->session != NULL)
    cradle_session_cancel (self->session);
}

CradleSession *
cradle_care_get_session (CradleCare *self)
{
  g_return_val_if_fail (CRADLE_IS_CARE (self), NULL);

  return self->session;
}

CradleDeviceWatcher *
cradle_care_get_watcher (CradleCare *self)
{
  g_return_val_if_fail (CRADLE_IS_CARE (self), NULL);

  return self->watcher;
}

CradlePendingStore *
cradle_care_get_store (CradleCare *self)
{
  g_return_val_if_fail (CRADLE_IS_CARE (self), NULL);

  return self->store;
}

CradleJournal *
cradle_care_get_journal (CradleCare *self)
{
  g_return_val_if_fail (CRADLE_IS_CARE (self), NULL);

  return self->journal;
}

const char *
cradle_care_get_problem (CradleCare *self)
{
  g_return_val_if_fail (CRADLE_IS_CARE (self), NULL);

  return self->problem;
}

CradleRetriever *
cradle_care_get_retriever (CradleCare *self)
{
  g_return_val_if_fail (CRADLE_IS_CARE (self), NULL);

  return self->retriever;
}

void
cradle_care_hold_device (CradleCare   *self,
                         CradleDevice *device)
{
  g_return_if_fail (CRADLE_IS_CARE (self));
  g_return_if_fail (CRADLE_IS_DEVICE (device));

  if (!is_held (self, device))
    g_ptr_array_add (self->held, g_object_ref (device));
  if (self->retriever != NULL)
    cradle_retriever_remove_device (self->retriever, device);
}

void
cradle_care_release_device (CradleCare   *self,
                            CradleDevice *device)
{
  g_return_if_fail (CRADLE_IS_CARE (self));
  g_return_if_fail (CRADLE_IS_DEVICE (device));

  g_ptr_array_remove (self->held, device);
  if (self->retriever != NULL && device == cradle_device_watcher_get_device (self->watcher))
    cradle_retriever_add_device (self->retriever, device);
  if (self->look_deferred && device == self->looking && self->renewing == NULL)
    schedule_look (self, LOOK_DELAY_SECONDS);
}

/* ---- the object -------------------------------------------------------- */

static void
cradle_care_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  CradleCare *self = CRADLE_CARE (object);

  switch (prop_id)
    {
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;
    case PROP_RETRIEVER:
      g_value_set_object (value, self->retriever);
      break;
    case PROP_PROBLEM:
      g_value_set_string (value, self->problem);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cradle_care_dispose (GObject *object)
{
  CradleCare *self = CRADLE_CARE (object);

  cradle_care_stop (self);
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  if (self->watcher != NULL)
    g_signal_handlers_disconnect_by_data (self->watcher, self);
  g_clear_object (&self->session);
  g_clear_object (&self->watcher);
  g_clear_object (&self->store);
  g_clear_object (&self->journal);
  g_clear_object (&self->looking);
  g_clear_object (&self->renewing);
  g_clear_pointer (&self->due, g_ptr_array_unref);
  g_ptr_array_set_size (self->held, 0);

  G_OBJECT_CLASS (cradle_care_parent_class)->dispose (object);
}

static void
cradle_care_finalize (GObject *object)
{
  CradleCare *self = CRADLE_CARE (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->problem, g_free);
  g_clear_pointer (&self->told, g_hash_table_unref);
  g_clear_pointer (&self->held, g_ptr_array_unref);

  G_OBJECT_CLASS (cradle_care_parent_class)->finalize (object);
}

static void
cradle_care_class_init (CradleCareClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = cradle_care_get_property;
  object_class->dispose = cradle_care_dispose;
  object_class->finalize = cradle_care_finalize;

  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, CRADLE_TYPE_PENDING_STORE,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RETRIEVER] =
    g_param_spec_object ("retriever", NULL, NULL, CRADLE_TYPE_RETRIEVER,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PROBLEM] =
    g_param_spec_string ("problem", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* A resume of a pending request, in the background. */
  signals[SIGNAL_RESUME_STARTED] =
    g_signal_new ("resume-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, CRADLE_TYPE_ENROLLMENT);
  signals[SIGNAL_RESUME_FINISHED] =
    g_signal_new ("resume-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, CRADLE_TYPE_ENROLLMENT);
  /* The device's certificates were checked: (CradleDevice, GPtrArray of CradleCertStatus). */
  signals[SIGNAL_STATUSES] =
    g_signal_new ("statuses", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, CRADLE_TYPE_DEVICE, G_TYPE_PTR_ARRAY);
  /* A personal certificate was found revoked (once per process). */
  signals[SIGNAL_REVOKED] =
    g_signal_new ("certificate-revoked", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, CRADLE_TYPE_CERT_STATUS);
  /* A certificate ends within 28, 7, 3 or 1 days and could not be renewed:
   * (status, whole days left, why in words). */
  signals[SIGNAL_EXPIRING] =
    g_signal_new ("certificate-expiring", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3, CRADLE_TYPE_CERT_STATUS, G_TYPE_INT, G_TYPE_STRING);
  signals[SIGNAL_RENEWAL_STARTED] =
    g_signal_new ("renewal-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, CRADLE_TYPE_ENROLLMENT);
  signals[SIGNAL_RENEWAL_FINISHED] =
    g_signal_new ("renewal-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, CRADLE_TYPE_ENROLLMENT);
}

static void
cradle_care_init (CradleCare *self)
{
  self->cancellable = g_cancellable_new ();
  self->watcher = cradle_device_watcher_new ();
  self->told = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->held = g_ptr_array_new_with_free_func (g_object_unref);
}

CradleCare *
cradle_care_new (CradleSession *session)
{
  CradleCare *self;

  g_return_val_if_fail (CRADLE_IS_SESSION (session), NULL);

  self = g_object_new (CRADLE_TYPE_CARE, NULL);
  self->session = g_object_ref (session);
  g_signal_connect (self->session, "notify::state", G_CALLBACK (on_session_state), self);
  g_signal_connect (self->watcher, "notify::device", G_CALLBACK (on_device_changed), self);
  return self;
}
