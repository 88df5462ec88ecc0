/* cradlectl-enroll-batch.c: `cradlectl enroll --all-devices | --batch FILE`
 *
 * Several devices enrolled at once in one process: one type lookup per
 * type (one directory sign-in), one pending store and journal, one
 * enrollment run per device, each in a thread of its own (the engine's),
 * so that a device that stalls, declines or goes away holds up nobody
 * else.  Before its run, each device is paired if it must be and its
 * certificates are read: a device that already holds a valid certificate
 * of the type is skipped (cradle_cert_status_find_held() says what counts).
 * What a device says (its prompts) and each result are prefixed with the
 * device's serial.  The exit code says whether all, some or none of the
 * devices got (or held) their certificate.
 */
#include "config.h"

#include <unistd.h>
#include <glib-unix.h>

#include "cradlectl-format.h"
#include "cradlectl-private.h"

/* Runs at once at most, unless --at-once says otherwise; the rest wait
 * for a slot.  Each run is a thread and a device session. */
#define DEFAULT_AT_ONCE 64

typedef struct _Batch Batch;

typedef enum {
  JOB_WAITING,
  JOB_PREPARING,
  JOB_RUNNING,
  JOB_DONE,
} JobState;

typedef struct {
  Batch            *batch;
  JobState          state;
  char             *serial;       /* the batch's, or the device's */
  guint             line;         /* of the batch file; 0 for --all-devices */
  char             *prefix;       /* "[SERIAL] ", escaped */
  CradleCertType   *type;
  char             *subject;      /* nullable */
  CradleDevice     *device;       /* nullable: not connected, or its PIN refused */
  gboolean          absent;       /* the batch names it, and it is not connected */
  gulong            pairing_handler;
  gboolean          pairing_shown;
  gboolean          waiting_shown;
  /* Set by the preparation (its thread), read once it ended */
  GError           *error;        /* the device could not be asked */
  CradleCertStatus *held;         /* the certificate that makes it skipped */
  /* The run */
  CradleEnrollment *enrollment;
  CradlectlExit     code;
} Job;

struct _Batch {
  CradlectlDomainOptions *options;
  CradleCredentials      *credentials;
  CradlePendingStore     *store;
  CradleJournal          *journal;
  CradleTypeLookup       *lookup;      /* nullable: no type reads the catalog */
  GPtrArray              *custom_types;
  GPtrArray              *types;       /* CradleCertType, each once */
  GCancellable           *cancellable;
  GPtrArray              *jobs;
  guint                   next;        /* the next job to start */
  guint                   at_once;
  guint                   max_at_once;
  guint                   unfinished;
  gboolean                json;
  gboolean                progress;    /* step lines on a terminal */
};

static void
job_free (gpointer data)
{
  Job *job = data;

  if (job->pairing_handler != 0)
    g_clear_signal_handler (&job->pairing_handler, job->device);
  g_clear_object (&job->enrollment);
  g_clear_object (&job->device);
  g_clear_object (&job->type);
  g_clear_object (&job->held);
  g_clear_error (&job->error);
  g_free (job->serial);
  g_free (job->prefix);
  g_free (job->subject);
  g_free (job);
}

static Job *
job_new (Batch      *batch,
         const char *serial,
         guint       line)
{
  Job *job = g_new0 (Job, 1);
  g_autofree char *shown = cradlectl_text (serial);

  job->batch = batch;
  job->serial = g_strdup (serial);
  job->line = line;
  job->prefix = g_strdup_printf ("[%s] ", shown);
  return job;
}

/* ---- what people see ---------------------------------------------------------- */

/* @text (from the device or the engine) with every line after @job's prefix, on stderr. */
static void
print_prefixed (Job        *job,
                const char *text)
{
  g_autofree char *escaped = cradle_text_escape (text, -1, CRADLE_TEXT_ESCAPE_KEEP_LINES);
  g_auto(GStrv) lines = g_strsplit (escaped, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    g_printerr ("%s%s\n", job->prefix, lines[i]);
}

static void
on_pairing_prompt (CradleDevice *device,
                   guint         status,
                   const char   *prompt,
                   gpointer      user_data)
{
  Job *job = user_data;

  /* This computer's own words and code, which both screens show. */
  if (status == CRADLE_DEVICE_WAITING_PAIRING && prompt != NULL && !job->pairing_shown)
    {
      print_prefixed (job, prompt);
      job->pairing_shown = TRUE;
    }
}

static void
on_step_changed (CradleEnrollment *enrollment,
                 guint             step,
                 const char       *text,
                 gpointer          user_data)
{
  Job *job = user_data;

  if (job->batch->progress && step != CRADLE_ENROLLMENT_STEP_FINISHED)
    {
      g_autofree char *line = cradlectl_text (text);

      g_print ("%s%s…\n", job->prefix, line);
    }
}

/* The device waits for its user: which device, always said (on stderr, so
 * JSON on stdout stays whole), once per wait. */
static void
on_waiting (CradleEnrollment *enrollment,
            gboolean          waiting,
            const char       *prompt,
            gpointer          user_data)
{
  Job *job = user_data;

  if (waiting && !job->waiting_shown && prompt != NULL)
    print_prefixed (job, prompt);
  job->waiting_shown = waiting;
}

static const char *
job_outcome (Job *job)
{
  if (job->held != NULL)
    return "skipped";
  if (job->enrollment != NULL)
    return cradle_enrollment_outcome_to_string (cradle_enrollment_get_outcome (job->enrollment));
  /* A token whose PIN was refused is there: it failed. */
  if (job->absent)
    return "absent";
  return "failed";
}

static gboolean
job_succeeded (Job *job)
{
  return job->held != NULL ||
         (job->enrollment != NULL &&
          cradle_enrollment_get_outcome (job->enrollment) == CRADLE_ENROLLMENT_OUTCOME_INSTALLED);
}

static void
print_job_text (Job *job)
{
  const GError *error = job->error;

  if (job->held != NULL)
    {
      g_autofree char *subject = cradlectl_text (cradle_cert_status_get_subject (job->held));

      g_print ("%sSkipped: it holds a valid certificate of the type already: %s, SHA-256 %s (%s).\n",
               job->prefix, subject, cradle_cert_status_get_sha256 (job->held),
               cradle_cert_verdict_to_string (cradle_cert_status_get_verdict (job->held)));
      return;
    }
  if (job->enrollment != NULL)
    {
      CradleCertificate *leaf = cradle_enrollment_get_leaf (job->enrollment);

      if (cradle_enrollment_get_outcome (job->enrollment) == CRADLE_ENROLLMENT_OUTCOME_INSTALLED && leaf != NULL)
        {
          g_autofree char *subject = cradlectl_text (cradle_certificate_get_subject (leaf));
          g_autofree char *expiry = g_date_time_format (cradle_certificate_get_not_after (leaf), "%Y-%m-%d");

          g_print ("%sInstalled: %s, expires %s, SHA-256 %s (request %" G_GINT64_FORMAT ").\n", job->prefix,
                   subject, expiry, cradle_certificate_get_sha256 (leaf),
                   cradle_enrollment_get_request_id (job->enrollment));
          return;
        }
      if (cradle_enrollment_get_outcome (job->enrollment) == CRADLE_ENROLLMENT_OUTCOME_PENDING)
        {
          g_print ("%sPending: request %" G_GINT64_FORMAT " waits for the CA's decision; 'cradlectl retrieve "
                   "%" G_GINT64_FORMAT "' continues it.\n", job->prefix,
                   cradle_enrollment_get_request_id (job->enrollment),
                   cradle_enrollment_get_request_id (job->enrollment));
          return;
        }
      error = cradle_enrollment_get_error (job->enrollment);
    }
  if (error != NULL)
    {
      const CradleExplanation *explanation = cradle_explain_error (error);
      g_autofree char *message = cradlectl_text (error->message);

      g_print ("%s%s (exit %d): %s\n", job->prefix, job_outcome (job), job->code, message);
      if (cradle_explanation_get_user_action (explanation) != NULL)
        g_print ("%s  Next step: %s\n", job->prefix, cradle_explanation_get_user_action (explanation));
    }
  else
    g_print ("%s%s (exit %d)\n", job->prefix, job_outcome (job), job->code);
}

static void
add_job_json (JsonBuilder *builder,
              Job         *job)
{
  if (job->enrollment != NULL)
    {
      /* enroll's own result, with the batch's line. */
      cradlectl_add_enrollment_json (builder, job->enrollment, job->code);
      return;
    }
  json_builder_begin_object (builder);
  cradlectl_add_string (builder, "outcome", job_outcome (job));
  json_builder_set_member_name (builder, "exit_code");
  json_builder_add_int_value (builder, job->code);
  cradlectl_add_string (builder, "type", job->type != NULL ? cradle_cert_type_get_name (job->type) : NULL);
  cradlectl_add_string (builder, "device", job->serial);
  if (job->held != NULL)
    {
      json_builder_set_member_name (builder, "certificate");
      json_builder_begin_object (builder);
      cradlectl_add_string (builder, "subject", cradle_cert_status_get_subject (job->held));
      cradlectl_add_string (builder, "issuer", cradle_cert_status_get_issuer (job->held));
      cradlectl_add_string (builder, "serial", cradle_cert_status_get_serial (job->held));
      cradlectl_add_string (builder, "sha256", cradle_cert_status_get_sha256 (job->held));
      cradlectl_add_string (builder, "verdict", cradle_cert_verdict_to_string (cradle_cert_status_get_verdict (job->held)));
      cradlectl_add_string (builder, "revocation_detail", cradle_cert_status_get_revocation_detail (job->held));
      json_builder_end_object (builder);
    }
  if (job->error != NULL)
    {
      json_builder_set_member_name (builder, "error");
      json_builder_begin_object (builder);
      cradlectl_add_error_members (builder, job->error);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
}

/* ---- each device: prepared on a thread, then its run ------------------------- */

static void start_jobs (Batch *batch);

static void
job_done (Job *job)
{
  Batch *batch = job->batch;

  if (job->held != NULL)
    job->code = CRADLECTL_EXIT_DONE;
  else if (job->enrollment != NULL)
    job->code = cradlectl_exit_for_outcome (cradle_enrollment_get_outcome (job->enrollment),
                                            cradle_enrollment_get_error (job->enrollment));
  else
    job->code = cradlectl_exit_for_error (job->error);
  if (job->state != JOB_WAITING)
    batch->at_once--;
  job->state = JOB_DONE;
  batch->unfinished--;
  if (!batch->json)
    print_job_text (job);
  start_jobs (batch);
}

static void
on_run_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Job *job = user_data;

  cradle_enrollment_run_finish (job->enrollment, result, NULL);
  /* Signals still queued for this run say nothing new. */
  g_signal_handlers_disconnect_by_data (job->enrollment, job);
  job_done (job);
}

static void
start_run (Job *job)
{
  Batch *batch = job->batch;

  job->state = JOB_RUNNING;
  job->enrollment = cradle_enrollment_new (job->device, job->type, batch->credentials, batch->store, batch->journal);
  if (job->subject != NULL)
    cradle_enrollment_set_subject (job->enrollment, job->subject);
  g_signal_connect (job->enrollment, "step-changed", G_CALLBACK (on_step_changed), job);
  g_signal_connect (job->enrollment, "waiting-for-device", G_CALLBACK (on_waiting), job);
  cradle_enrollment_run_async (job->enrollment, batch->cancellable, on_run_done, job);
}

/* Back on the main thread after the preparation. */
static gboolean
prepared (gpointer data)
{
  Job *job = data;

  g_clear_signal_handler (&job->pairing_handler, job->device);
  if (job->error != NULL || job->held != NULL || g_cancellable_is_cancelled (job->batch->cancellable))
    {
      if (job->error == NULL && job->held == NULL)
        g_set_error_literal (&job->error, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                             "The batch was cancelled before this device's enrollment started.");
      job_done (job);
      return G_SOURCE_REMOVE;
    }
  start_run (job);
  return G_SOURCE_REMOVE;
}

/* The device paired (its user asked the first time) and its certificates
 * read; blocking, on a thread of its own. */
static gpointer
prepare_thread (gpointer data)
{
  Job *job = data;
  Batch *batch = job->batch;
  g_autoptr(GPtrArray) certs = NULL;
  g_autoptr(GPtrArray) statuses = NULL;
  g_autoptr(CradleStatusChecker) checker = cradle_status_checker_new ();
  g_autoptr(GError) error = NULL;

  if (!cradle_device_pair (job->device, batch->cancellable, &error) ||
      (certs = cradle_device_list_certs (job->device, NULL, NULL, batch->cancellable, &error)) == NULL)
    {
      g_prefix_error (&error, "Before enrolling, the device's certificates could not be read: ");
      job->error = g_steal_pointer (&error);
      g_main_context_invoke (NULL, prepared, job);
      return NULL;
    }
  /* The check is the batch's, not a journal run of its own: the journal
   * keeps one run per enrolled device. */
  cradle_status_checker_set_catalog (checker, cradle_cert_type_get_catalog (job->type));
  cradle_status_checker_set_types (checker, batch->types);
  cradle_status_checker_set_pending_store (checker, batch->store);
  statuses = cradle_status_checker_check (checker, cradle_device_get_serial (job->device), certs,
                                          batch->cancellable, &error);
  if (statuses == NULL)
    job->error = g_steal_pointer (&error);
  else if (cradle_cert_status_find_held (statuses, job->type) != NULL)
    job->held = g_object_ref (cradle_cert_status_find_held (statuses, job->type));
  g_main_context_invoke (NULL, prepared, job);
  return NULL;
}

static void
start_job (Job *job)
{
  Batch *batch = job->batch;
  g_autoptr(GError) error = NULL;
  GThread *thread;

  job->state = JOB_PREPARING;
  batch->at_once++;
  job->pairing_handler = g_signal_connect (job->device, "waiting", G_CALLBACK (on_pairing_prompt), job);
  thread = g_thread_try_new ("cradlectl-device", prepare_thread, job, &error);
  if (thread == NULL)
    {
      g_clear_signal_handler (&job->pairing_handler, job->device);
      g_set_error (&job->error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                   "Could not start this device's enrollment: %s. Enroll fewer devices at once.", error->message);
      job_done (job);
      return;
    }
  g_thread_unref (thread);
}

static void
start_jobs (Batch *batch)
{
  while (batch->next < batch->jobs->len && batch->at_once < batch->max_at_once)
    {
      Job *job = g_ptr_array_index (batch->jobs, batch->next++);

      if (job->state == JOB_WAITING)
        start_job (job);
    }
}

static gboolean
on_interrupt (gpointer user_data)
{
  Batch *batch = user_data;

  g_printerr ("cradlectl: cancelling every device's enrollment…\n");
  g_cancellable_cancel (batch->cancellable);
  return G_SOURCE_CONTINUE;
}

/* ---- setting the batch up ------------------------------------------------------ */

/* The type @name (types.d, or with --template a template of the
 * directory), looked up once for the batch. */
static CradleCertType *
find_type (Batch       *batch,
           const char  *name,
           const char  *template_name,
           GError     **error)
{
  CradleCertType *custom = NULL;
  CradleCertType *type;

  for (guint i = 0; i < batch->types->len; i++)
    {
      type = g_ptr_array_index (batch->types, i);
      if (g_strcmp0 (cradle_cert_type_get_name (type), name != NULL ? name : template_name) == 0)
        return g_object_ref (type);
    }
  if (name != NULL)
    {
      custom = cradle_cert_type_find (batch->custom_types, name);
      if (custom == NULL)
        {
          g_autofree char *shown = cradlectl_text (name);

          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                       "There is no certificate type '%s' in types.d. Ask your administrator for the type's file, "
                       "or correct the name.", shown);
          return NULL;
        }
    }
  if (cradle_type_lookup_reads_catalog (custom))
    {
      if (batch->lookup == NULL)
        batch->lookup = cradle_type_lookup_new (batch->options->domain, batch->options->dc_uri, batch->credentials,
                                                batch->cancellable);
      type = cradle_type_lookup_dup_type (batch->lookup, template_name, custom, batch->cancellable, error);
    }
  else
    type = g_object_ref (custom);
  if (type != NULL)
    g_ptr_array_add (batch->types, g_object_ref (type));
  return type;
}

static CradleDevice *
find_device (GPtrArray  *devices,
             const char *serial)
{
  for (guint i = 0; i < devices->len; i++)
    {
      CradleDevice *device = g_ptr_array_index (devices, i);

      if (g_strcmp0 (cradle_device_get_serial (device), serial) == 0)
        return device;
    }
  return NULL;
}

/* One job per line of the batch file; its type looked up, its device found. */
static gboolean
jobs_from_file (Batch                *batch,
                CradlectlBatchParams *params,
                GPtrArray            *devices,
                GError              **error)
{
  g_autoptr(GPtrArray) entries = cradle_batch_file_read (params->batch_file, error);

  if (entries == NULL)
    return FALSE;
  for (guint i = 0; i < entries->len; i++)
    {
      CradleBatchEntry *entry = g_ptr_array_index (entries, i);
      Job *job = job_new (batch, cradle_batch_entry_get_serial (entry), cradle_batch_entry_get_line (entry));
      CradleDevice *device = find_device (devices, job->serial);

      g_ptr_array_add (batch->jobs, job);
      job->subject = g_strdup (cradle_batch_entry_get_subject (entry));
      job->type = find_type (batch, cradle_batch_entry_get_type_name (entry), NULL, error);
      if (job->type == NULL)
        {
          g_prefix_error (error, "Line %u of %s: ", job->line, params->batch_file);
          return FALSE;
        }
      if (device != NULL)
        job->device = g_object_ref (device);
      else
        {
          job->absent = TRUE;
          g_set_error (&job->error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE,
                       "No connected device has the serial '%s' (line %u of the batch). Connect it and run the "
                       "batch again; the devices enrolled meanwhile are skipped.", job->serial, job->line);
        }
    }
  return TRUE;
}

static gboolean
jobs_for_all_devices (Batch                *batch,
                      CradlectlBatchParams *params,
                      GPtrArray            *devices,
                      GError              **error)
{
  g_autoptr(CradleCertType) type = find_type (batch, params->type_name, params->template_name, error);

  if (type == NULL)
    return FALSE;
  if (devices->len == 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE,
                           "No device is connected. Connect the devices running the Cradle agent and retry.");
      return FALSE;
    }
  for (guint i = 0; i < devices->len; i++)
    {
      CradleDevice *device = g_ptr_array_index (devices, i);
      Job *job = job_new (batch, cradle_device_get_serial (device), 0);

      job->device = g_object_ref (device);
      job->type = g_object_ref (type);
      g_ptr_array_add (batch->jobs, job);
    }
  return TRUE;
}

static void
batch_clear (Batch *batch)
{
  g_clear_pointer (&batch->jobs, g_ptr_array_unref);
  if (batch->lookup != NULL)
    {
      /* Its thread ends before the process does. */
      cradle_type_lookup_stop (batch->lookup);
      g_clear_object (&batch->lookup);
    }
  g_clear_object (&batch->credentials);
  g_clear_object (&batch->store);
  g_clear_object (&batch->journal);
  g_clear_pointer (&batch->custom_types, g_ptr_array_unref);
  g_clear_pointer (&batch->types, g_ptr_array_unref);
  g_clear_object (&batch->cancellable);
}

static CradlectlExit
print_results (Batch *batch)
{
  guint succeeded = 0, installed = 0, skipped = 0, pending = 0;
  CradlectlExit code;

  for (guint i = 0; i < batch->jobs->len; i++)
    {
      Job *job = g_ptr_array_index (batch->jobs, i);

      succeeded += job_succeeded (job);
      skipped += job->held != NULL;
      installed += job->held == NULL && job_succeeded (job);
      pending += job->code == CRADLECTL_EXIT_PENDING;
    }
  code = succeeded == batch->jobs->len ? CRADLECTL_EXIT_DONE
       : succeeded > 0 ? CRADLECTL_EXIT_SOME
       : CRADLECTL_EXIT_NONE;
  if (batch->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "results");
      json_builder_begin_array (builder);
      for (guint i = 0; i < batch->jobs->len; i++)
        add_job_json (builder, g_ptr_array_index (batch->jobs, i));
      json_builder_end_array (builder);
      json_builder_set_member_name (builder, "summary");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "devices");
      json_builder_add_int_value (builder, batch->jobs->len);
      json_builder_set_member_name (builder, "installed");
      json_builder_add_int_value (builder, installed);
      json_builder_set_member_name (builder, "skipped");
      json_builder_add_int_value (builder, skipped);
      json_builder_set_member_name (builder, "pending");
      json_builder_add_int_value (builder, pending);
      json_builder_set_member_name (builder, "failed");
      json_builder_add_int_value (builder, batch->jobs->len - succeeded - pending);
      json_builder_end_object (builder);
      json_builder_set_member_name (builder, "exit_code");
      json_builder_add_int_value (builder, code);
      json_builder_end_object (builder);
      cradlectl_print_json (builder);
      return code;
    }
  g_print ("%u device%s: %u installed, %u skipped (a valid certificate of the type already), %u pending, "
           "%u failed.\n", batch->jobs->len, batch->jobs->len == 1 ? "" : "s", installed, skipped, pending,
           batch->jobs->len - succeeded - pending);
  return code;
}

int
cradlectl_enroll_batch (CradlectlBatchParams *params)
{
  Batch batch = { 0 };
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(GError) error = NULL;
  guint sigint, sigterm;
  CradlectlExit code;

  batch.options = params->options;
  batch.max_at_once = params->at_once > 0 ? params->at_once : DEFAULT_AT_ONCE;
  batch.json = params->options->json;
  batch.progress = !batch.json && isatty (STDOUT_FILENO);
  batch.cancellable = g_cancellable_new ();
  batch.types = g_ptr_array_new_with_free_func (g_object_unref);
  batch.jobs = g_ptr_array_new_with_free_func (job_free);
  batch.custom_types = cradlectl_list_custom_types ();

  if ((batch.credentials = cradlectl_dup_credentials (params->options, &error)) == NULL ||
      (devices = cradlectl_open_devices (&error)) == NULL ||
      !(params->batch_file != NULL ? jobs_from_file (&batch, params, devices, &error)
                                   : jobs_for_all_devices (&batch, params, devices, &error)) ||
      !cradlectl_open_state (&batch.store, &batch.journal, &error))
    {
      code = cradlectl_report_error (error, batch.json);
      batch_clear (&batch);
      return code;
    }
  /* A token's PIN is asked here, one device after another, before any run. */
  for (guint i = 0; i < batch.jobs->len; i++)
    {
      Job *job = g_ptr_array_index (batch.jobs, i);

      if (job->device != NULL && !cradlectl_log_in_device (job->device, &job->error))
        g_clear_object (&job->device);
    }

  sigint = g_unix_signal_add (SIGINT, on_interrupt, &batch);
  sigterm = g_unix_signal_add (SIGTERM, on_interrupt, &batch);
  batch.unfinished = batch.jobs->len;
  for (guint i = 0; i < batch.jobs->len; i++)
    {
      Job *job = g_ptr_array_index (batch.jobs, i);

      /* Not connected, or its PIN refused: its result is known already. */
      if (job->device == NULL)
        job_done (job);
    }
  start_jobs (&batch);
  while (batch.unfinished > 0)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (sigint);
  g_source_remove (sigterm);

  code = print_results (&batch);
  batch_clear (&batch);
  return code;
}
