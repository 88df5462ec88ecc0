/* cradle-check.c: one check of a diagnosis, immutable once made */
#include "config.h"

#include "support/cradle-diagnosis-private.h"

struct _CradleCheck {
  gatomicrefcount     ref_count;
  CradleHop           hop;
  char               *name;
  char               *title;
  CradleCheckVerdict  verdict;
  gint64              duration_us;
  char               *found;
  GError             *error;
};

G_DEFINE_BOXED_TYPE (CradleCheck, cradle_check, cradle_check_ref, cradle_check_unref)

static const char * const verdict_names[] = { "ok", "warning", "failed", "skipped" };

static const struct {
  const char *name;
  const char *title;
} hops[CRADLE_N_HOPS] = {
  [CRADLE_HOP_DEVICE] = { "device", "Device" },
  [CRADLE_HOP_CLOCK] = { "clock", "Clock" },
  [CRADLE_HOP_DOMAIN] = { "domain", "Domain" },
  [CRADLE_HOP_KERBEROS] = { "kerberos", "Kerberos" },
  [CRADLE_HOP_DIRECTORY] = { "directory", "Directory" },
  [CRADLE_HOP_TYPE] = { "type", "Certificate type" },
  [CRADLE_HOP_CA] = { "ca", "Certification authority" },
  [CRADLE_HOP_CERTIFICATE] = { "certificate", "Will the certificate work" },
};

const char *
cradle_check_verdict_to_string (CradleCheckVerdict verdict)
{
  g_return_val_if_fail (verdict <= CRADLE_CHECK_SKIPPED, "failed");
  return verdict_names[verdict];
}

const char *
cradle_hop_get_name (CradleHop hop)
{
  g_return_val_if_fail (hop < CRADLE_N_HOPS, NULL);
  return hops[hop].name;
}

const char *
cradle_hop_get_title (CradleHop hop)
{
  g_return_val_if_fail (hop < CRADLE_N_HOPS, NULL);
  return hops[hop].title;
}

CradleCheck *
_cradle_check_new (CradleHop           hop,
                   const char         *name,
                   const char         *title,
                   CradleCheckVerdict  verdict,
                   gint64              duration_us,
                   GError             *error,
                   char               *found)
{
  CradleCheck *self = g_new0 (CradleCheck, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->hop = hop;
  self->name = g_strdup (name);
  self->title = g_strdup (title);
  self->verdict = verdict;
  self->duration_us = verdict == CRADLE_CHECK_SKIPPED ? 0 : MAX (duration_us, 0);
  self->error = error;
  self->found = found != NULL ? found : g_strdup ("");
  return self;
}

CradleCheck *
cradle_check_ref (CradleCheck *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
cradle_check_unref (CradleCheck *self)
{
  g_return_if_fail (self != NULL);
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_free (self->name);
  g_free (self->title);
  g_free (self->found);
  g_clear_error (&self->error);
  g_free (self);
}

CradleHop
cradle_check_get_hop (CradleCheck *self)
{
  return self->hop;
}

const char *
cradle_check_get_name (CradleCheck *self)
{
  return self->name;
}

const char *
cradle_check_get_title (CradleCheck *self)
{
  return self->title;
}

CradleCheckVerdict
cradle_check_get_verdict (CradleCheck *self)
{
  return self->verdict;
}

gint64
cradle_check_get_duration_us (CradleCheck *self)
{
  return self->duration_us;
}

const char *
cradle_check_get_found (CradleCheck *self)
{
  return self->found;
}

const GError *
cradle_check_get_error (CradleCheck *self)
{
  return self->error;
}
