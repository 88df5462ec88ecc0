/* cradle-enrollment-progress.c: what an enrollment run reports: its steps,
 * its journal and its signals
 *
 * Both the object (cradle-enrollment.c) and the run (cradle-enrollment-run*.c,
 * cradle-enrollment-steps.c) call down into this file, so the run never
 * calls the object's.  The run works in a worker thread; what it reports
 * reaches the caller's main context as "step-changed" and
 * "waiting-for-device", and the journal, when there is one.
 */
#include "config.h"

#include "base/cradle-log-private.h"
#include "engine/cradle-enrollment-private.h"
#include "state/cradle-journal-private.h"

enum {
  SIGNAL_STEP_CHANGED,
  SIGNAL_WAITING_FOR_DEVICE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char * const step_names[] = {
  "none", "device", "session", "type", "generate-key", "sign", "submit", "retrieve", "chain",
  "install", "delete-key", "remove-old", "finished",
};
G_STATIC_ASSERT (G_N_ELEMENTS (step_names) == CRADLE_ENROLLMENT_STEP_FINISHED + 1);

static const char * const outcome_names[] = {
  "none", "installed", "pending", "denied", "declined", "interrupted", "failed", "cancelled",
};
G_STATIC_ASSERT (G_N_ELEMENTS (outcome_names) == CRADLE_ENROLLMENT_OUTCOME_CANCELLED + 1);

const char *
cradle_enrollment_step_to_string (CradleEnrollmentStep step)
{
  g_return_val_if_fail ((guint) step < G_N_ELEMENTS (step_names), NULL);
  return step_names[step];
}

const char *
cradle_enrollment_outcome_to_string (CradleEnrollmentOutcome outcome)
{
  g_return_val_if_fail ((guint) outcome < G_N_ELEMENTS (outcome_names), NULL);
  return outcome_names[outcome];
}

void
_cradle_enrollment_class_add_signals (GObjectClass *object_class)
{
  /**
   * CradleEnrollment::step-changed:
   * @step: the #CradleEnrollmentStep that starts
   * @text: what it does, for people
   */
  signals[SIGNAL_STEP_CHANGED] =
    g_signal_new ("step-changed", G_TYPE_FROM_CLASS (object_class), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
  /**
   * CradleEnrollment::waiting-for-device:
   * @waiting: whether the device waits for its user now
   * @prompt: what to tell the user ("Waiting for confirmation on the device…")
   */
  signals[SIGNAL_WAITING_FOR_DEVICE] =
    g_signal_new ("waiting-for-device", G_TYPE_FROM_CLASS (object_class), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, G_TYPE_BOOLEAN, G_TYPE_STRING);
}

const char *
_cradle_enrollment_type_name (CradleEnrollment *self)
{
  return self->type != NULL ? cradle_cert_type_get_name (self->type) : NULL;
}

/* ---- log lines people can filter ------------------------------------------ */

static const char *
device_serial (CradleEnrollment *self)
{
  return self->device != NULL ? cradle_device_get_serial (self->device) : NULL;
}

/* An info line with the run's fields (cradle-log.h: kept in the log file,
 * and in the systemd journal for `journalctl CRADLE_RUN=N`); the worker's
 * other lines get them from cradle_log_set_context(). */
static void
log_run_line (CradleEnrollment *self,
              const char       *step,
              const char       *format,
              ...) G_GNUC_PRINTF (3, 4);

static void
log_run_line (CradleEnrollment *self,
              const char       *step,
              const char       *format,
              ...)
{
  g_autofree char *message = NULL;
  g_autofree char *run = g_strdup_printf ("%" G_GINT64_FORMAT, self->run_id);
  g_autofree char *device = cradle_text_escape (device_serial (self), -1, CRADLE_TEXT_ESCAPE_DEFAULT);
  GLogField fields[6];
  gsize n_fields = 0;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  fields[n_fields++] = (GLogField) { "GLIB_DOMAIN", G_LOG_DOMAIN, -1 };
  fields[n_fields++] = (GLogField) { "PRIORITY", "6", -1 };
  fields[n_fields++] = (GLogField) { "MESSAGE", message, -1 };
  fields[n_fields++] = (GLogField) { "CRADLE_RUN", run, -1 };
  if (step != NULL)
    fields[n_fields++] = (GLogField) { "CRADLE_STEP", step, -1 };
  if (device != NULL)
    fields[n_fields++] = (GLogField) { "CRADLE_DEVICE", device, -1 };
  g_log_structured_array (G_LOG_LEVEL_INFO, fields, n_fields);
}

/* ---- signals from the worker --------------------------------------------- */

typedef struct {
  CradleEnrollment *self;
  guint             signal_id;
  guint             step;
  gboolean          waiting;
  char             *text;
} Emission;

static void
emission_free (gpointer data)
{
  Emission *emission = data;

  g_object_unref (emission->self);
  g_free (emission->text);
  g_free (emission);
}

static gboolean
emit_now (gpointer data)
{
  Emission *emission = data;

  if (emission->signal_id == signals[SIGNAL_STEP_CHANGED])
    g_signal_emit (emission->self, emission->signal_id, 0, emission->step, emission->text);
  else
    g_signal_emit (emission->self, emission->signal_id, 0, emission->waiting, emission->text);
  return G_SOURCE_REMOVE;
}

static void
emit_on_context (CradleEnrollment *self,
                 guint             signal_id,
                 guint             step,
                 gboolean          waiting,
                 const char       *text)
{
  Emission *emission = g_new0 (Emission, 1);

  emission->self = g_object_ref (self);
  emission->signal_id = signal_id;
  emission->step = step;
  emission->waiting = waiting;
  emission->text = g_strdup (text);
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, emit_now, emission, emission_free);
}

void
_cradle_enrollment_begin_step (CradleEnrollment     *self,
                               CradleEnrollmentStep  step,
                               const char           *format,
                               ...)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  va_list args;

  va_start (args, format);
  text = g_strdup_vprintf (format, args);
  va_end (args);

  g_mutex_lock (&self->lock);
  self->step = step;
  g_mutex_unlock (&self->lock);
  if (self->run_id != 0)
    {
      cradle_log_set_context (self->run_id, cradle_enrollment_step_to_string (step), device_serial (self));
      log_run_line (self, cradle_enrollment_step_to_string (step), "Run %" G_GINT64_FORMAT ", step %s: %s",
                    self->run_id, cradle_enrollment_step_to_string (step), text);
    }
  else
    g_debug ("Enrollment step %s: %s", cradle_enrollment_step_to_string (step), text);

  self->step_id = 0;
  if (self->journal != NULL && self->run_id != 0)
    {
      self->step_id = cradle_journal_begin_step (self->journal, self->run_id,
                                                 cradle_enrollment_step_to_string (step), text, &error);
      if (self->step_id == 0)
        g_warning ("Could not write the journal: %s", error->message);
    }
  emit_on_context (self, signals[SIGNAL_STEP_CHANGED], step, FALSE, text);
}

void
_cradle_enrollment_end_step (CradleEnrollment *self,
                             const char       *outcome,
                             const GError     *failure)
{
  g_autoptr(GError) error = NULL;

  if (self->run_id != 0)
    {
      const char *step = cradle_enrollment_step_to_string (self->step);

      log_run_line (self, step, "Run %" G_GINT64_FORMAT ", step %s: %s%s%s", self->run_id, step, outcome,
                    failure != NULL ? ": " : "", failure != NULL ? failure->message : "");
    }
  if (self->journal == NULL || self->step_id == 0)
    return;
  if (!cradle_journal_end_step (self->journal, self->step_id, outcome, failure, &error))
    g_warning ("Could not write the journal: %s", error->message);
  self->step_id = 0;
}

void
_cradle_enrollment_forget_key (CradleEnrollment *self)
{
  g_autoptr(GError) error = NULL;

  if (self->journal == NULL || self->key_id == NULL)
    return;
  if (!cradle_journal_forget_key (self->journal, self->key_id, &error))
    g_warning ("Could not write the journal: %s", error->message);
}

void
_cradle_enrollment_stop_waiting (CradleEnrollment *self)
{
  emit_on_context (self, signals[SIGNAL_WAITING_FOR_DEVICE], 0, FALSE, NULL);
}

/* KEEPALIVE from the device, on the device's context: passed on to ours. */
static void
on_device_waiting (CradleDevice *device,
                   guint         status,
                   const char   *prompt,
                   gpointer      user_data)
{
  CradleEnrollment *self = user_data;
  g_autofree char *text = NULL;

  /* 1: waiting for the user; 2: working, which is no news for people;
   * 3: pairing, where the prompt is this computer's own, with the code. */
  if (status == CRADLE_DEVICE_WAITING_PAIRING && prompt != NULL)
    text = g_strdup (prompt);
  else if (status != 1)
    return;
  else if (prompt != NULL && prompt[0] != '\0')
    text = g_strdup_printf ("Waiting for confirmation on the device: %s", prompt);
  else
    text = g_strdup ("Waiting for confirmation on the device…");
  emit_on_context (self, signals[SIGNAL_WAITING_FOR_DEVICE], 0, TRUE, text);
}

void
_cradle_enrollment_watch_device (CradleEnrollment *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->waiting_handler = g_signal_connect (self->device, "waiting", G_CALLBACK (on_device_waiting), self);
}

/* ---- the journal's run --------------------------------------------------- */

void
_cradle_enrollment_begin_run (CradleEnrollment *self,
                              const char       *kind,
                              const char       *protocol)
{
  g_autoptr(GError) error = NULL;

  if (self->journal == NULL)
    return;
  self->run_id = cradle_journal_begin_run (self->journal, kind, _cradle_enrollment_type_name (self), protocol,
                                           cradle_device_get_serial (self->device), self->request_id, &error);
  if (self->run_id == 0)
    {
      g_warning ("Could not write the journal: %s", error->message);
      return;
    }
  cradle_log_set_context (self->run_id, NULL, device_serial (self));
  log_run_line (self, NULL, "Run %" G_GINT64_FORMAT " begins: %s of %s (%s)", self->run_id, kind,
                _cradle_enrollment_type_name (self) ?: "?", protocol ?: "?");
}

void
_cradle_enrollment_finish (CradleEnrollment        *self,
                           CradleEnrollmentOutcome  outcome,
                           GError                  *error)
{
  g_autoptr(GError) journal_error = NULL;

  if (self->run_id != 0)
    log_run_line (self, NULL, "Run %" G_GINT64_FORMAT " ends: %s%s%s", self->run_id,
                  cradle_enrollment_outcome_to_string (outcome), error != NULL ? ": " : "",
                  error != NULL ? error->message : "");
  cradle_log_set_context (0, NULL, NULL);
  self->outcome = outcome;
  g_clear_error (&self->error);
  self->error = error;
  if (self->journal != NULL && self->run_id != 0 &&
      !cradle_journal_end_run (self->journal, self->run_id, cradle_enrollment_outcome_to_string (outcome),
                               error, &journal_error))
    g_warning ("Could not write the journal: %s", journal_error->message);
  g_mutex_lock (&self->lock);
  self->step = CRADLE_ENROLLMENT_STEP_FINISHED;
  g_mutex_unlock (&self->lock);
}
