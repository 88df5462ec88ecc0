/* cradle-care.c: the application's care of the cradled device
 *
 * It owns what outlives a window: the session, the device watcher, the
 * pending store and journal (opened off the main thread), and the
 * retriever, made again at each sign-in with the directory's types (a kept
 * catalog is no authority).  The device goes to the retriever when it is
 * opened, unless the user's own run holds it.  The retriever's signals are
 * passed on as the care's own, so those who follow them need not follow
 * the retriever being replaced.
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

  /* Borrowed: the device the user's own run uses */
  CradleDevice        *held;
};

G_DEFINE_FINAL_TYPE (CradleCare, cradle_care, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STORE,
  PROP_RETRIEVER,
  PROP_PROBLEM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_RESUME_STARTED,
  SIGNAL_RESUME_FINISHED,
  N_SIGNALS
};

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
  if (device != NULL && device != self->held)
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

  if (device != NULL && device != self->held && self->retriever != NULL)
    cradle_retriever_add_device (self->retriever, device);
}

static void
on_session_state (CradleSession *session,
                  GParamSpec    *pspec,
                  CradleCare    *self)
{
  if (cradle_session_get_state (session) == CRADLE_SESSION_SIGNED_IN)
    start_retriever (self);
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

  self->held = device;
  if (self->retriever != NULL)
    cradle_retriever_remove_device (self->retriever, device);
}

void
cradle_care_release_device (CradleCare   *self,
                            CradleDevice *device)
{
  g_return_if_fail (CRADLE_IS_CARE (self));
  g_return_if_fail (CRADLE_IS_DEVICE (device));

  if (self->held == device)
    self->held = NULL;
  if (self->retriever != NULL && device == cradle_device_watcher_get_device (self->watcher))
    cradle_retriever_add_device (self->retriever, device);
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
  self->held = NULL;

  G_OBJECT_CLASS (cradle_care_parent_class)->dispose (object);
}

static void
cradle_care_finalize (GObject *object)
{
  CradleCare *self = CRADLE_CARE (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->problem, g_free);

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
}

static void
cradle_care_init (CradleCare *self)
{
  self->cancellable = g_cancellable_new ();
  self->watcher = cradle_device_watcher_new ();
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
