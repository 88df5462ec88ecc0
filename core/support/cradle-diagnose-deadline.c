/* cradle-diagnose-deadline.c: a cancellable that a deadline cancels
 *
 * Some steps a check reuses (a type probe, a name lookup) take a
 * cancellable but no deadline of their own, or a deadline in whole
 * seconds: a thread of the deadline's own cancels them when it passes,
 * whatever main context runs or does not.
 */
#include "config.h"

#include "support/cradle-diagnose-hops-private.h"

struct _CradleDiagnoseDeadline
{
  GMutex        lock;
  GCond         changed;
  gboolean      done;
  gboolean      expired;
  gint64        deadline;      /* monotonic */
  GCancellable *cancellable;
  GCancellable *parent;
  gulong        parent_id;
  GThread      *thread;
};

static gpointer
watch (gpointer data)
{
  CradleDiagnoseDeadline *self = data;

  g_mutex_lock (&self->lock);
  while (!self->done)
    if (!g_cond_wait_until (&self->changed, &self->lock, self->deadline))
      {
        self->expired = !self->done;
        break;
      }
  g_mutex_unlock (&self->lock);
  if (self->expired)
    g_cancellable_cancel (self->cancellable);
  return NULL;
}

static void
on_parent_cancelled (GCancellable *parent,
                     gpointer      data)
{
  g_cancellable_cancel (G_CANCELLABLE (data));
}

CradleDiagnoseDeadline *
_cradle_diagnose_deadline_new (GCancellable *parent,
                               guint         timeout_ms)
{
  CradleDiagnoseDeadline *self = g_new0 (CradleDiagnoseDeadline, 1);

  g_mutex_init (&self->lock);
  g_cond_init (&self->changed);
  self->deadline = g_get_monotonic_time () + (gint64) timeout_ms * G_TIME_SPAN_MILLISECOND;
  self->cancellable = g_cancellable_new ();
  if (parent != NULL)
    {
      self->parent = g_object_ref (parent);
      self->parent_id = g_cancellable_connect (parent, G_CALLBACK (on_parent_cancelled),
                                               g_object_ref (self->cancellable), g_object_unref);
    }
  self->thread = g_thread_new ("diagnose-deadline", watch, self);
  return self;
}

GCancellable *
_cradle_diagnose_deadline_get_cancellable (CradleDiagnoseDeadline *self)
{
  return self->cancellable;
}

gboolean
_cradle_diagnose_deadline_expired (CradleDiagnoseDeadline *self)
{
  gboolean expired;

  g_mutex_lock (&self->lock);
  expired = self->expired;
  g_mutex_unlock (&self->lock);
  return expired;
}

void
_cradle_diagnose_deadline_free (CradleDiagnoseDeadline *self)
{
  if (self == NULL)
    return;
  g_mutex_lock (&self->lock);
  self->done = TRUE;
  g_cond_broadcast (&self->changed);
  g_mutex_unlock (&self->lock);
  g_thread_join (self->thread);
  if (self->parent != NULL)
    {
      g_cancellable_disconnect (self->parent, self->parent_id);
      g_object_unref (self->parent);
    }
  g_object_unref (self->cancellable);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->changed);
  g_free (self);
}
