/* cradle-diagnosis.c: the hops of a diagnosis run at once, each on a thread
 *
 * Each hop's function (cradle-diagnose-*.c) runs on a thread of its own and
 * reports its checks as they end; they reach the caller's main context as
 * "check-finished", in the order they were reported.  What one hop finds
 * and another needs passes as a fact: published once by its owner, waited
 * for by the others until the run's deadline (cradle-diagnosis-private.h).
 * The run's deadline is three checks' deadlines from its start: a hop that
 * waits on a fact from a hop that is stuck gives up then, so that a DC
 * that does not answer costs one deadline, not one per hop.
 */
#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "base/cradle-json-private.h"
#include "support/cradle-diagnosis-private.h"

#define DEFAULT_TIMEOUT_MS 4000
/* How many checks' deadlines a wait for a fact may take, from the start. */
#define WAIT_DEADLINES 3
/* A hop still running this long after the start (five checks' deadlines
 * and 5 s: more than any hop's own deadlines add up to, the device's
 * grace for CANCEL included) is stuck; the run ends without it. */
#define STUCK_DEADLINES 5
#define STUCK_GRACE_MS 5000

struct _CradleDiagnosisRun {
  CradleDiagnosis *diagnosis;   /* not owned: the run lives inside it */
  GMutex           lock;
  GCond            changed;
  gboolean         published[CRADLE_DIAGNOSIS_N_FACTS];
  gpointer         facts[CRADLE_DIAGNOSIS_N_FACTS];
  char            *reasons[CRADLE_DIAGNOSIS_N_FACTS];
  gint64           deadline;    /* monotonic, for waits */
  gboolean         cancelled;
  guint            hops_left;
  gboolean         hop_ended[CRADLE_N_HOPS];
  gboolean         finished;    /* the task returned; later reports are dropped */
  GSource         *watchdog;
  GPtrArray       *checks;      /* reported so far, in report order */
  GMainContext    *context;     /* where signals are emitted */
  GTask           *task;
  GCancellable    *cancellable;
  gulong           cancelled_id;
};

struct _CradleDiagnosis {
  GObject             parent_instance;
  char               *type_name;
  char               *device_id;
  char               *domain;
  char               *dc_uri;
  CradleCredentials  *credentials;
  CradleDevice       *device;     /* lent by the caller, never closed here */
  guint               timeout_ms;
  gboolean            started;
  gint64              started_us;
  gint64              duration_us;
  GPtrArray          *checks;   /* sorted, once the run ended */
  CradleDiagnosisHopFunc hops[CRADLE_N_HOPS];
  CradleDiagnosisRun  run;
};

G_DEFINE_FINAL_TYPE (CradleDiagnosis, cradle_diagnosis, G_TYPE_OBJECT)

enum {
  SIGNAL_CHECK_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const CradleDiagnosisHopFunc hop_funcs[CRADLE_N_HOPS] = {
  [CRADLE_HOP_DEVICE] = _cradle_diagnose_device,
  [CRADLE_HOP_CLOCK] = _cradle_diagnose_clock,
  [CRADLE_HOP_DOMAIN] = _cradle_diagnose_domain,
  [CRADLE_HOP_KERBEROS] = _cradle_diagnose_kerberos,
  [CRADLE_HOP_DIRECTORY] = _cradle_diagnose_directory,
  [CRADLE_HOP_TYPE] = _cradle_diagnose_type,
  [CRADLE_HOP_CA] = _cradle_diagnose_ca,
  [CRADLE_HOP_CERTIFICATE] = _cradle_diagnose_certificate,
};

/* The hop that publishes each fact. */
static const CradleHop fact_owners[CRADLE_DIAGNOSIS_N_FACTS] = {
  [CRADLE_DIAGNOSIS_FACT_DC_HOST] = CRADLE_HOP_DOMAIN,
  [CRADLE_DIAGNOSIS_FACT_DIRECTORY] = CRADLE_HOP_DIRECTORY,
  [CRADLE_DIAGNOSIS_FACT_CATALOG] = CRADLE_HOP_DIRECTORY,
  [CRADLE_DIAGNOSIS_FACT_TYPE] = CRADLE_HOP_TYPE,
  [CRADLE_DIAGNOSIS_FACT_DEVICE] = CRADLE_HOP_DEVICE,
};

static void
clear_fact (CradleDiagnosisFact fact,
            gpointer            value)
{
  if (value == NULL)
    return;
  if (fact == CRADLE_DIAGNOSIS_FACT_DC_HOST)
    g_free (value);
  else
    g_object_unref (value);
}

static gpointer
copy_fact (CradleDiagnosisFact fact,
           gpointer            value)
{
  if (value == NULL)
    return NULL;
  if (fact == CRADLE_DIAGNOSIS_FACT_DC_HOST)
    return g_strdup (value);
  return g_object_ref (value);
}

static void
cradle_diagnosis_finalize (GObject *object)
{
  CradleDiagnosis *self = CRADLE_DIAGNOSIS (object);

  for (guint i = 0; i < CRADLE_DIAGNOSIS_N_FACTS; i++)
    {
      clear_fact (i, self->run.facts[i]);
      g_free (self->run.reasons[i]);
    }
  g_clear_pointer (&self->run.checks, g_ptr_array_unref);
  g_clear_pointer (&self->run.context, g_main_context_unref);
  g_mutex_clear (&self->run.lock);
  g_cond_clear (&self->run.changed);
  g_clear_pointer (&self->checks, g_ptr_array_unref);
  g_free (self->type_name);
  g_free (self->device_id);
  g_free (self->domain);
  g_free (self->dc_uri);
  g_clear_object (&self->credentials);
  g_clear_object (&self->device);
  G_OBJECT_CLASS (cradle_diagnosis_parent_class)->finalize (object);
}

static void
cradle_diagnosis_class_init (CradleDiagnosisClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cradle_diagnosis_finalize;

  /**
   * CradleDiagnosis::check-finished:
   * @check: (type CradleCheck): the check that ended
   *
   * Emitted in the caller's main context as each check ends.
   */
  signals[SIGNAL_CHECK_FINISHED] =
    g_signal_new ("check-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, CRADLE_TYPE_CHECK);
}

static void
cradle_diagnosis_init (CradleDiagnosis *self)
{
  self->timeout_ms = DEFAULT_TIMEOUT_MS;
  memcpy (self->hops, hop_funcs, sizeof self->hops);
  self->run.diagnosis = self;
  g_mutex_init (&self->run.lock);
  g_cond_init (&self->run.changed);
  self->run.checks = g_ptr_array_new_with_free_func ((GDestroyNotify) cradle_check_unref);
  self->checks = g_ptr_array_new_with_free_func ((GDestroyNotify) cradle_check_unref);
}

CradleDiagnosis *
cradle_diagnosis_new (void)
{
  return g_object_new (CRADLE_TYPE_DIAGNOSIS, NULL);
}

static void
set_string (char       **field,
            const char  *value)
{
  g_free (*field);
  *field = (value != NULL && *value != '\0') ? g_strdup (value) : NULL;
}

void
cradle_diagnosis_set_type_name (CradleDiagnosis *self,
                                const char      *name)
{
  g_return_if_fail (CRADLE_IS_DIAGNOSIS (self) && !self->started);
  set_string (&self->type_name, name);
}

void
cradle_diagnosis_set_device_id (CradleDiagnosis *self,
                                const char      *device_id)
{
  g_return_if_fail (CRADLE_IS_DIAGNOSIS (self) && !self->started);
  set_string (&self->device_id, device_id);
}

void
cradle_diagnosis_set_directory (CradleDiagnosis *self,
                                const char      *domain,
                                const char      *dc_uri)
{
  g_return_if_fail (CRADLE_IS_DIAGNOSIS (self) && !self->started);
  set_string (&self->domain, domain);
  set_string (&self->dc_uri, dc_uri);
}

void
cradle_diagnosis_set_credentials (CradleDiagnosis   *self,
                                  CradleCredentials *credentials)
{
  g_return_if_fail (CRADLE_IS_DIAGNOSIS (self) && !self->started);
  g_set_object (&self->credentials, credentials);
}

void
cradle_diagnosis_set_device (CradleDiagnosis *self,
                             CradleDevice    *device)
{
  g_return_if_fail (CRADLE_IS_DIAGNOSIS (self) && !self->started);
  g_return_if_fail (device == NULL || CRADLE_IS_DEVICE (device));
  g_set_object (&self->device, device);
}

void
cradle_diagnosis_set_timeout (CradleDiagnosis *self,
                              guint            timeout_ms)
{
  g_return_if_fail (CRADLE_IS_DIAGNOSIS (self) && !self->started);
  self->timeout_ms = timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS;
}

void
_cradle_diagnosis_set_hop_func (CradleDiagnosis        *self,
                                CradleHop               hop,
                                CradleDiagnosisHopFunc  func)
{
  g_return_if_fail (CRADLE_IS_DIAGNOSIS (self) && !self->started && hop < CRADLE_N_HOPS && func != NULL);
  self->hops[hop] = func;
}

/* The run's accessors, for the hops. */

const char *
_cradle_diagnosis_run_get_type_name (CradleDiagnosisRun *run)
{
  return run->diagnosis->type_name;
}

const char *
_cradle_diagnosis_run_get_device_id (CradleDiagnosisRun *run)
{
  return run->diagnosis->device_id;
}

const char *
_cradle_diagnosis_run_get_domain (CradleDiagnosisRun *run)
{
  return run->diagnosis->domain;
}

const char *
_cradle_diagnosis_run_get_dc_uri (CradleDiagnosisRun *run)
{
  return run->diagnosis->dc_uri;
}

CradleDevice *
_cradle_diagnosis_run_get_device (CradleDiagnosisRun *run)
{
  return run->diagnosis->device;
}

CradleCredentials *
_cradle_diagnosis_run_get_credentials (CradleDiagnosisRun *run)
{
  return run->diagnosis->credentials;
}

guint
_cradle_diagnosis_run_get_timeout_ms (CradleDiagnosisRun *run)
{
  return run->diagnosis->timeout_ms;
}

/* Facts. */

void
_cradle_diagnosis_run_publish (CradleDiagnosisRun  *run,
                               CradleDiagnosisFact  fact,
                               gpointer             value,
                               const char          *reason)
{
  g_return_if_fail (fact < CRADLE_DIAGNOSIS_N_FACTS);

  g_mutex_lock (&run->lock);
  if (run->published[fact])
    {
      g_mutex_unlock (&run->lock);
      g_critical ("fact %u of a diagnosis published twice", fact);
      clear_fact (fact, value);
      return;
    }
  run->published[fact] = TRUE;
  run->facts[fact] = value;
  run->reasons[fact] = g_strdup (value == NULL ? (reason != NULL ? reason : "it was not found") : NULL);
  g_cond_broadcast (&run->changed);
  g_mutex_unlock (&run->lock);
}

gpointer
_cradle_diagnosis_run_wait (CradleDiagnosisRun  *run,
                            CradleDiagnosisFact  fact,
                            char               **reason)
{
  gpointer value = NULL;

  g_return_val_if_fail (fact < CRADLE_DIAGNOSIS_N_FACTS, NULL);

  g_mutex_lock (&run->lock);
  while (!run->published[fact] && !run->cancelled)
    {
      if (!g_cond_wait_until (&run->changed, &run->lock, run->deadline))
        break;
    }
  if (run->published[fact])
    {
      value = copy_fact (fact, run->facts[fact]);
      if (value == NULL && reason != NULL)
        *reason = g_strdup (run->reasons[fact]);
    }
  else if (reason != NULL)
    *reason = g_strdup (run->cancelled ? "the checks were cancelled"
                                       : "the check it needs did not finish in time");
  g_mutex_unlock (&run->lock);
  return value;
}

/* Reports and their signals. */

typedef struct {
  CradleDiagnosis *diagnosis;
  CradleCheck     *check;   /* NULL: a hop ended */
  CradleHop        hop;     /* the hop that ended */
} Emission;

static void
emission_free (gpointer data)
{
  Emission *emission = data;

  g_clear_pointer (&emission->check, cradle_check_unref);
  g_object_unref (emission->diagnosis);
  g_free (emission);
}

static gint
compare_checks (gconstpointer a,
                gconstpointer b)
{
  CradleCheck *check_a = *(CradleCheck * const *) a;
  CradleCheck *check_b = *(CradleCheck * const *) b;

  return (gint) cradle_check_get_hop (check_a) - (gint) cradle_check_get_hop (check_b);
}

/* In the caller's context, once every hop ended or the stuck ones were
 * given up: the checks in order, and the task returned.  @abandoned: a hop
 * still runs (and may hold the device: its session is left alone). */
static void
finish_run (CradleDiagnosis *self,
            gboolean         abandoned)
{
  CradleDiagnosisRun *run = &self->run;
  GTask *task;

  g_mutex_lock (&run->lock);
  run->finished = TRUE;
  /* g_ptr_array_sort() is stable from GLib 2.76 only: sort a copy made in
   * report order with an insertion sort, which is. */
  for (guint i = 0; i < run->checks->len; i++)
    {
      guint j = self->checks->len;

      g_ptr_array_add (self->checks, cradle_check_ref (run->checks->pdata[i]));
      while (j > 0 && compare_checks (&self->checks->pdata[j - 1], &self->checks->pdata[j]) > 0)
        {
          gpointer swap = self->checks->pdata[j - 1];

          self->checks->pdata[j - 1] = self->checks->pdata[j];
          self->checks->pdata[j] = swap;
          j--;
        }
    }
  self->duration_us = g_get_monotonic_time () - self->started_us;
  task = g_steal_pointer (&run->task);
  g_mutex_unlock (&run->lock);
  /* A device serves one session at a time: once every hop is done, the
   * device is free for others while the diagnosis is kept (its details stay). */
  if (!abandoned && run->facts[CRADLE_DIAGNOSIS_FACT_DEVICE] != NULL &&
      run->facts[CRADLE_DIAGNOSIS_FACT_DEVICE] != (gpointer) self->device)
    cradle_device_close (run->facts[CRADLE_DIAGNOSIS_FACT_DEVICE]);

  if (run->watchdog != NULL)
    {
      g_source_destroy (run->watchdog);
      g_clear_pointer (&run->watchdog, g_source_unref);
    }
  if (run->cancellable != NULL && run->cancelled_id != 0)
    g_cancellable_disconnect (run->cancellable, run->cancelled_id);
  run->cancelled_id = 0;
  g_clear_object (&run->cancellable);
  if (g_task_return_error_if_cancelled (task))
    ;
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

/* In the caller's context: a check, or the end of a hop (and maybe of all). */
static gboolean
emit_in_context (gpointer data)
{
  Emission *emission = data;
  CradleDiagnosis *self = emission->diagnosis;
  CradleDiagnosisRun *run = &self->run;
  gboolean finished;

  g_mutex_lock (&run->lock);
  finished = run->finished;
  g_mutex_unlock (&run->lock);
  if (finished)
    return G_SOURCE_REMOVE;

  if (emission->check != NULL)
    {
      g_signal_emit (self, signals[SIGNAL_CHECK_FINISHED], 0, emission->check);
      return G_SOURCE_REMOVE;
    }

  g_mutex_lock (&run->lock);
  g_assert (run->hops_left > 0);
  run->hops_left--;
  run->hop_ended[emission->hop] = TRUE;
  if (run->hops_left > 0)
    {
      g_mutex_unlock (&run->lock);
      return G_SOURCE_REMOVE;
    }
  g_mutex_unlock (&run->lock);
  finish_run (self, FALSE);
  return G_SOURCE_REMOVE;
}

/* In the caller's context, long after every hop should have ended: each
 * hop still running gets a failed check saying so, and the run ends with
 * what the others found.  The stuck thread keeps its references; what it
 * reports later is dropped. */
static gboolean
on_stuck (gpointer data)
{
  CradleDiagnosis *self = data;
  CradleDiagnosisRun *run = &self->run;
  g_autoptr(GPtrArray) stuck = g_ptr_array_new_with_free_func ((GDestroyNotify) cradle_check_unref);
  gint64 elapsed = g_get_monotonic_time () - self->started_us;

  g_mutex_lock (&run->lock);
  for (CradleHop hop = 0; hop < CRADLE_N_HOPS; hop++)
    {
      GError *error = NULL;
      CradleCheck *check;

      if (run->hop_ended[hop])
        continue;
      g_set_error (&error, CRADLE_ERROR, CRADLE_ERROR_TIMED_OUT,
                   "The %s checks did not end within %" G_GINT64_FORMAT " s, although each has a deadline; "
                   "Cradle stopped waiting for them. Run the checks again; if this happens again, attach a "
                   "report (cradlectl report) to a support ticket.",
                   cradle_hop_get_name (hop), elapsed / G_TIME_SPAN_SECOND);
      check = _cradle_check_new (hop, "ended", "Checks ended in time", CRADLE_CHECK_FAILED, elapsed, error,
                                 g_strdup ("still running when the run gave up waiting"));
      g_ptr_array_add (run->checks, cradle_check_ref (check));
      g_ptr_array_add (stuck, check);
    }
  g_mutex_unlock (&run->lock);
  g_clear_pointer (&run->watchdog, g_source_unref);
  for (guint i = 0; i < stuck->len; i++)
    {
      g_message ("diagnosis: the %s hop is stuck; ending the run without it",
                 cradle_hop_get_name (cradle_check_get_hop (stuck->pdata[i])));
      g_signal_emit (self, signals[SIGNAL_CHECK_FINISHED], 0, stuck->pdata[i]);
    }
  finish_run (self, TRUE);
  return G_SOURCE_REMOVE;
}

static void
schedule (CradleDiagnosisRun *run,
          CradleCheck        *check,
          CradleHop           hop)
{
  Emission *emission = g_new0 (Emission, 1);

  emission->diagnosis = g_object_ref (run->diagnosis);
  emission->check = check;
  emission->hop = hop;
  g_main_context_invoke_full (run->context, G_PRIORITY_DEFAULT, emit_in_context, emission, emission_free);
}

void
_cradle_diagnosis_run_report (CradleDiagnosisRun *run,
                              CradleHop           hop,
                              const char         *name,
                              const char         *title,
                              CradleCheckVerdict  verdict,
                              gint64              duration_us,
                              GError             *error,
                              const char         *found_format,
                              ...)
{
  CradleCheck *check;
  char *found = NULL;

  g_return_if_fail (hop < CRADLE_N_HOPS && name != NULL && title != NULL);

  if (found_format != NULL)
    {
      va_list args;

      va_start (args, found_format);
      found = g_strdup_vprintf (found_format, args);
      va_end (args);
    }
  /* A failure without a cause still has to say what is wrong. */
  if (error == NULL && (verdict == CRADLE_CHECK_FAILED || verdict == CRADLE_CHECK_WARNING))
    error = g_error_new (CRADLE_ERROR, CRADLE_ERROR_FAILED, "%s: %s", title,
                         found != NULL ? found : "failed");
  check = _cradle_check_new (hop, name, title, verdict, duration_us, error, found);

  g_mutex_lock (&run->lock);
  if (run->finished)
    {
      /* A hop given up as stuck: the run ended without it. */
      g_mutex_unlock (&run->lock);
      cradle_check_unref (check);
      return;
    }
  g_ptr_array_add (run->checks, cradle_check_ref (check));
  g_mutex_unlock (&run->lock);
  g_debug ("diagnosis: %s/%s %s", cradle_hop_get_name (hop), name, cradle_check_verdict_to_string (verdict));
  schedule (run, check, hop);
}

typedef struct {
  CradleDiagnosisRun *run;
  CradleHop           hop;
} HopThread;

static gpointer
run_hop (gpointer data)
{
  HopThread *hop_thread = data;
  CradleDiagnosisRun *run = hop_thread->run;
  CradleHop hop = hop_thread->hop;

  g_free (hop_thread);
  run->diagnosis->hops[hop] (run, run->cancellable);
  /* Whatever the hop did not publish, nobody will find. */
  for (CradleDiagnosisFact fact = 0; fact < CRADLE_DIAGNOSIS_N_FACTS; fact++)
    {
      gboolean unpublished;

      if (fact_owners[fact] != hop)
        continue;
      g_mutex_lock (&run->lock);
      unpublished = !run->published[fact];
      g_mutex_unlock (&run->lock);
      if (unpublished)
        _cradle_diagnosis_run_publish (run, fact, NULL, "the check that finds it ended without it");
    }
  schedule (run, NULL, hop);
  g_object_unref (run->diagnosis);
  return NULL;
}

static void
on_cancelled (GCancellable *cancellable,
              gpointer      data)
{
  CradleDiagnosisRun *run = data;

  g_mutex_lock (&run->lock);
  run->cancelled = TRUE;
  g_cond_broadcast (&run->changed);
  g_mutex_unlock (&run->lock);
}

void
cradle_diagnosis_run_async (CradleDiagnosis     *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  CradleDiagnosisRun *run;

  g_return_if_fail (CRADLE_IS_DIAGNOSIS (self));
  g_return_if_fail (!self->started);

  self->started = TRUE;
  self->started_us = g_get_monotonic_time ();
  if (self->credentials == NULL)
    self->credentials = cradle_credentials_new_kerberos (NULL);

  run = &self->run;
  run->context = g_main_context_ref_thread_default ();
  run->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (run->task, cradle_diagnosis_run_async);
  run->deadline = self->started_us + (gint64) WAIT_DEADLINES * self->timeout_ms * G_TIME_SPAN_MILLISECOND;
  run->hops_left = CRADLE_N_HOPS;
  run->watchdog = g_timeout_source_new ((guint) MIN ((guint64) STUCK_DEADLINES * self->timeout_ms + STUCK_GRACE_MS,
                                                     G_MAXUINT));
  g_source_set_callback (run->watchdog, on_stuck, self, NULL);
  g_source_set_static_name (run->watchdog, "[cradle] diagnosis watchdog");
  g_source_attach (run->watchdog, run->context);
  if (cancellable != NULL)
    {
      run->cancellable = g_object_ref (cancellable);
      run->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), run, NULL);
    }

  for (CradleHop hop = 0; hop < CRADLE_N_HOPS; hop++)
    {
      HopThread *hop_thread = g_new0 (HopThread, 1);
      GThread *thread;

      hop_thread->run = run;
      hop_thread->hop = hop;
      g_object_ref (self);
      thread = g_thread_new (cradle_hop_get_name (hop), run_hop, hop_thread);
      g_thread_unref (thread);
    }
}

gboolean
cradle_diagnosis_run_finish (CradleDiagnosis  *self,
                             GAsyncResult     *result,
                             GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_run_done (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  GAsyncResult **out = data;

  *out = g_object_ref (result);
}

gboolean
cradle_diagnosis_run (CradleDiagnosis  *self,
                      GCancellable     *cancellable,
                      GError          **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GAsyncResult) result = NULL;

  g_main_context_push_thread_default (context);
  cradle_diagnosis_run_async (self, cancellable, on_run_done, &result);
  while (result == NULL)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);
  return cradle_diagnosis_run_finish (self, result, error);
}

/* Results. */

GPtrArray *
cradle_diagnosis_get_checks (CradleDiagnosis *self)
{
  g_return_val_if_fail (CRADLE_IS_DIAGNOSIS (self), NULL);
  return self->checks;
}

static CradleCheckVerdict
worse (CradleCheckVerdict a,
       CradleCheckVerdict b)
{
  /* failed > warning > ok > skipped */
  static const int rank[] = { [CRADLE_CHECK_SKIPPED] = 0, [CRADLE_CHECK_OK] = 1,
                              [CRADLE_CHECK_WARNING] = 2, [CRADLE_CHECK_FAILED] = 3 };

  return rank[b] > rank[a] ? b : a;
}

CradleCheckVerdict
cradle_diagnosis_get_hop_verdict (CradleDiagnosis *self,
                                  CradleHop        hop)
{
  CradleCheckVerdict verdict = CRADLE_CHECK_SKIPPED;

  g_return_val_if_fail (CRADLE_IS_DIAGNOSIS (self), CRADLE_CHECK_FAILED);
  for (guint i = 0; i < self->checks->len; i++)
    {
      CradleCheck *check = self->checks->pdata[i];

      if (cradle_check_get_hop (check) == hop)
        verdict = worse (verdict, cradle_check_get_verdict (check));
    }
  return verdict;
}

CradleCheckVerdict
cradle_diagnosis_get_verdict (CradleDiagnosis *self)
{
  CradleCheckVerdict verdict = CRADLE_CHECK_OK;

  g_return_val_if_fail (CRADLE_IS_DIAGNOSIS (self), CRADLE_CHECK_FAILED);
  for (guint i = 0; i < self->checks->len; i++)
    verdict = worse (verdict, cradle_check_get_verdict (self->checks->pdata[i]));
  return verdict;
}

gint64
cradle_diagnosis_get_duration_us (CradleDiagnosis *self)
{
  g_return_val_if_fail (CRADLE_IS_DIAGNOSIS (self), 0);
  return self->duration_us;
}

const char *
cradle_diagnosis_get_type_name (CradleDiagnosis *self)
{
  g_return_val_if_fail (CRADLE_IS_DIAGNOSIS (self), NULL);
  return self->type_name;
}

const char *
cradle_diagnosis_get_device_id (CradleDiagnosis *self)
{
  g_return_val_if_fail (CRADLE_IS_DIAGNOSIS (self), NULL);
  return self->device_id;
}

static void
add_error (JsonBuilder  *builder,
           const GError *error)
{
  const CradleExplanation *explanation = cradle_explain_error (error);

  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  cradle_json_add_string (builder, "code", error->domain == CRADLE_ERROR ? cradle_error_to_string (error->code) : "failed");
  cradle_json_add_string (builder, "message", error->message);
  if (!cradle_explanation_is_generic (explanation))
    cradle_json_add_string (builder, "detail", cradle_explanation_get_name (explanation));
  cradle_json_add_string (builder, "explanation", cradle_explanation_get_summary (explanation));
  cradle_json_add_string (builder, "next_step", cradle_explanation_get_user_action (explanation));
  cradle_json_add_string (builder, "support_step", cradle_explanation_get_support_action (explanation));
  json_builder_end_object (builder);
}

char *
cradle_diagnosis_to_json (CradleDiagnosis *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (CRADLE_IS_DIAGNOSIS (self), NULL);

  json_builder_begin_object (builder);
  cradle_json_add_string (builder, "verdict", cradle_check_verdict_to_string (cradle_diagnosis_get_verdict (self)));
  json_builder_set_member_name (builder, "duration_ms");
  json_builder_add_double_value (builder, self->duration_us / 1000.0);
  cradle_json_add_string (builder, "type", self->type_name);
  cradle_json_add_string (builder, "device", self->device_id);
  json_builder_set_member_name (builder, "hops");
  json_builder_begin_array (builder);
  for (CradleHop hop = 0; hop < CRADLE_N_HOPS; hop++)
    {
      json_builder_begin_object (builder);
      cradle_json_add_string (builder, "hop", cradle_hop_get_name (hop));
      cradle_json_add_string (builder, "title", cradle_hop_get_title (hop));
      cradle_json_add_string (builder, "verdict", cradle_check_verdict_to_string (cradle_diagnosis_get_hop_verdict (self, hop)));
      json_builder_set_member_name (builder, "checks");
      json_builder_begin_array (builder);
      for (guint i = 0; i < self->checks->len; i++)
        {
          CradleCheck *check = self->checks->pdata[i];

          if (cradle_check_get_hop (check) != hop)
            continue;
          json_builder_begin_object (builder);
          cradle_json_add_string (builder, "name", cradle_check_get_name (check));
          cradle_json_add_string (builder, "title", cradle_check_get_title (check));
          cradle_json_add_string (builder, "verdict", cradle_check_verdict_to_string (cradle_check_get_verdict (check)));
          json_builder_set_member_name (builder, "duration_ms");
          json_builder_add_double_value (builder, cradle_check_get_duration_us (check) / 1000.0);
          cradle_json_add_string (builder, "found", cradle_check_get_found (check));
          if (cradle_check_get_error (check) != NULL)
            add_error (builder, cradle_check_get_error (check));
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  return json_generator_to_data (generator, NULL);
}
