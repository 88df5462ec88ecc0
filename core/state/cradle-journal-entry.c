/* cradle-journal-entry.c: a run and its steps as the journal holds them (snapshots) */
#include "config.h"

#include "state/cradle-journal-private.h"

struct _CradleJournalStep
{
  GObject parent_instance;

  /* Owned */
  gint64  run_id;
  char   *step;
  char   *text;
  gint64  started;
  gint64  duration_ms;
  char   *outcome;
  char   *error;
  char   *error_name;
};

G_DEFINE_FINAL_TYPE (CradleJournalStep, cradle_journal_step, G_TYPE_OBJECT)

struct _CradleJournalRun
{
  GObject    parent_instance;

  /* Owned */
  gint64     id;
  char      *kind;
  gint64     request_id;
  char      *type_name;
  char      *protocol;
  char      *device_serial;
  gint64     started;
  gint64     finished;
  char      *outcome;
  char      *error;
  char      *error_name;
  GPtrArray *steps;
};

G_DEFINE_FINAL_TYPE (CradleJournalRun, cradle_journal_run, G_TYPE_OBJECT)

static char *
dup_column (sqlite3_stmt *row,
            int           column)
{
  const unsigned char *text = sqlite3_column_text (row, column);

  return text != NULL ? g_strdup ((const char *) text) : NULL;
}

static void
cradle_journal_step_finalize (GObject *object)
{
  CradleJournalStep *self = CRADLE_JOURNAL_STEP (object);

  g_free (self->step);
  g_free (self->text);
  g_free (self->outcome);
  g_free (self->error);
  g_free (self->error_name);
  G_OBJECT_CLASS (cradle_journal_step_parent_class)->finalize (object);
}

static void
cradle_journal_step_class_init (CradleJournalStepClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cradle_journal_step_finalize;
}

static void
cradle_journal_step_init (CradleJournalStep *self)
{
}

CradleJournalStep *
cradle_journal_step_new_from_row (sqlite3_stmt *row)
{
  CradleJournalStep *self = g_object_new (CRADLE_TYPE_JOURNAL_STEP, NULL);

  self->run_id = sqlite3_column_int64 (row, 0);
  self->step = dup_column (row, 1);
  self->text = dup_column (row, 2);
  self->started = sqlite3_column_int64 (row, 3);
  self->duration_ms = sqlite3_column_int64 (row, 4);
  self->outcome = dup_column (row, 5);
  self->error = dup_column (row, 6);
  self->error_name = dup_column (row, 7);
  return self;
}

gint64
cradle_journal_step_get_run_id (CradleJournalStep *self)
{
  g_return_val_if_fail (CRADLE_IS_JOURNAL_STEP (self), 0);
  return self->run_id;
}

const char *
cradle_journal_step_get_step (CradleJournalStep *self)
{
  g_return_val_if_fail (CRADLE_IS_JOURNAL_STEP (self), NULL);
  return self->step;
}

const char *
cradle_journal_step_get_text (CradleJournalStep *self)
{
  g_return_val_if_fail (CRADLE_IS_JOURNAL_STEP (self), NULL);
  return self->text;
}

gint64
cradle_journal_step_get_started (CradleJournalStep *self)
{
  g_return_val_if_fail (CRADLE_IS_JOURNAL_STEP (self), 0);
  return self->started;
}

gint64
cradle_journal_step_get_duration_ms (CradleJournalStep *self)
{
  g_return_val_if_fail (CRADLE_IS_JOURNAL_STEP (self), -1);
  return self->duration_ms;
}

const char *
cradle_journal_step_get_outcome (CradleJournalStep *self)
{
  g_return_val_if_fail (CRADLE_IS_JOURNAL_STEP (self), NULL);
  return self->outcome;
}

const char *
cradle_journal_step_get_error (CradleJournalStep *self)
{
  g_return_val_if_fail (CRADLE_IS_JOURNAL_STEP (self), NULL);
  return self->error;
}

const char *
cradle_journal_step_get_error_name (CradleJournalStep *self)
{
  g_return_val_if_fail (CRADLE_IS_JOURNAL_STEP (self), NULL);
  return self->error_name;
}

static void
cradle_journal_run_finalize (GObject *object)
{
  CradleJournalRun *self = CRADLE_JOURNAL_RUN (object);

  g_free (self->kind);
  g_free (self->type_name);
  g_free (self->protocol);
  g_free (self->device_serial);
  g_free (self->outcome);
  g_free (self->error);
  g_free (self->error_name);
  g_clear_pointer (&self->steps, g_ptr_array_unref);
  G_OBJECT_CLASS (cradle_journal_run_parent_class)->finalize (object);
}

static void
cradle_journal_run_class_init (CradleJournalRunClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cradle_journal_run_finalize;
}

static void
cradle_journal_run_init (CradleJournalRun *self)
{
}

CradleJournalRun *
cradle_journal_run_new_from_row (sqlite3_stmt *row,
                                 GPtrArray    *steps)
{
  CradleJournalRun *self = g_object_new (CRADLE_TYPE_JOURNAL_RUN, NULL);

  self->id = sqlite3_column_int64 (row, 0);
  self->kind = dup_column (row, 1);
  self->request_id = sqlite3_column_int64 (row, 2);
  self->type_name = dup_column (row, 3);
  self->protocol = dup_column (row, 4);
  self->device_serial = dup_column (row, 5);
  self->started = sqlite3_column_int64 (row, 6);
  self->finished = sqlite3_column_int64 (row, 7);
  self->outcome = dup_column (row, 8);
  self->error = dup_column (row, 9);
  self->error_name = dup_column (row, 10);
  self->steps = g_ptr_array_ref (steps);
  return self;
}

gint64
cradle_journal_run_get_id (CradleJournalRun *self)
{
  g_return_val_if_fail (CRADLE_IS_JOURNAL_RUN (self), 0);
  return self->id;
}

const char *
cradle_journal_run_get_kind (CradleJournalRun *self)
{
  g_return_val_if_fail (CRADLE_IS_JOURNAL_RUN (self), NULL);
  return self->kind;
}

gint64
cradle_journal_run_get_request_id (CradleJournalRun *self)
{
  g_return_val_if_fail (CRADLE_IS_JOURNAL_RUN (self), 0);
  return self->request_id;
}

const char *
cradle_journal_run_get_type_name (CradleJournalRun *self)
{
  g_return_val_if_fail (CRADLE_IS_JOURNAL_RUN (self), NULL);
  return self->type_name;
}

const char *
cradle_journal_run_get_protocol (CradleJournalRun *self)
{
  g_return_val_if_fail (CRADLE_IS_JOURNAL_RUN (self), NULL);
  return self->protocol;
}

const char *
cradle_journal_run_get_device_serial (CradleJournalRun *self)
{
  g_return_val_if_fail (CRADLE_IS_JOURNAL_RUN (self), NULL);
  return self->device_serial;
}

gint64
cradle_journal_run_get_started (CradleJournalRun *self)
{
  g_return_val_if_fail (CRADLE_IS_JOURNAL_RUN (self), 0);
  return self->started;
}

gint64
cradle_journal_run_get_finished (CradleJournalRun *self)
{
  g_return_val_if_fail (CRADLE_IS_JOURNAL_RUN (self), 0);
  return self->finished;
}

const char *
cradle_journal_run_get_outcome (CradleJournalRun *self)
{
  g_return_val_if_fail (CRADLE_IS_JOURNAL_RUN (self), NULL);
  return self->outcome;
}

const char *
cradle_journal_run_get_error (CradleJournalRun *self)
{
  g_return_val_if_fail (CRADLE_IS_JOURNAL_RUN (self), NULL);
  return self->error;
}

const char *
cradle_journal_run_get_error_name (CradleJournalRun *self)
{
  g_return_val_if_fail (CRADLE_IS_JOURNAL_RUN (self), NULL);
  return self->error_name;
}

GPtrArray *
cradle_journal_run_get_steps (CradleJournalRun *self)
{
  g_return_val_if_fail (CRADLE_IS_JOURNAL_RUN (self), NULL);
  return self->steps;
}
