/* cradle-status-checker.c: where each certificate on a device stands
 *
 * For the device's MY certificates: the type (as recorded at install, else
 * the template its extensions name), the renewal window (the template's
 * renewal period, else RenewAt= of the type file, else 80% of the
 * lifetime), and the revocation status from core/revocation, checked
 * against the issuer's certificate the device holds.  CA and Root
 * certificates get their expiry only: a device does not renew them, and
 * their revocation is their CA's business (docs/security.md).  One journal
 * run of kind "check" per check, a step per answer asked for.
 */
#include "config.h"

#include "lifecycle/cradle-lifecycle-private.h"
#include "revocation/cradle-revocation-private.h"
#include "state/cradle-journal-private.h"
#include "state/cradle-pending-store-private.h"

struct _CradleStatusChecker
{
  GObject parent_instance;

  /* Owned */
  CradleDirectory    *directory;
  CradleCatalog      *catalog;
  GPtrArray          *types;
  CradlePendingStore *store;
  CradleJournal      *journal;
  gboolean            online;
  gboolean            refresh;
  guint               timeout_s;
};

G_DEFINE_FINAL_TYPE (CradleStatusChecker, cradle_status_checker, G_TYPE_OBJECT)

/* One device certificate, parsed: a MY one as a leaf (its key left
 * undecoded: see cradle-leaf.c), a CA or Root one whole, as an issuer. */
typedef struct {
  CradleDeviceCert  *cert;   /* borrowed */
  CradleLeaf        *leaf;
  X509              *x509;   /* CA and Root */
  CradleCertificate *parsed;
  gboolean           is_my;
} Entry;

static void
entry_clear (Entry *entry)
{
  g_clear_pointer (&entry->leaf, cradle_leaf_free);
  g_clear_pointer (&entry->x509, X509_free);
  g_clear_object (&entry->parsed);
}

/* The journal run of one check. */
typedef struct {
  CradleJournal *journal;
  gint64         run_id;
} Recorder;

static void
cradle_status_checker_dispose (GObject *object)
{
  CradleStatusChecker *self = CRADLE_STATUS_CHECKER (object);

  g_clear_object (&self->directory);
  g_clear_object (&self->catalog);
  g_clear_pointer (&self->types, g_ptr_array_unref);
  g_clear_object (&self->store);
  g_clear_object (&self->journal);
  G_OBJECT_CLASS (cradle_status_checker_parent_class)->dispose (object);
}

static void
cradle_status_checker_class_init (CradleStatusCheckerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = cradle_status_checker_dispose;
}

static void
cradle_status_checker_init (CradleStatusChecker *self)
{
  self->online = TRUE;
}

CradleStatusChecker *
cradle_status_checker_new (void)
{
  return g_object_new (CRADLE_TYPE_STATUS_CHECKER, NULL);
}

void
cradle_status_checker_set_directory (CradleStatusChecker *self,
                                     CradleDirectory     *directory)
{
  g_return_if_fail (CRADLE_IS_STATUS_CHECKER (self));
  g_set_object (&self->directory, directory);
}

void
cradle_status_checker_set_catalog (CradleStatusChecker *self,
                                   CradleCatalog       *catalog)
{
  g_return_if_fail (CRADLE_IS_STATUS_CHECKER (self));
  g_set_object (&self->catalog, catalog);
}

void
cradle_status_checker_set_types (CradleStatusChecker *self,
                                 GPtrArray           *types)
{
  g_return_if_fail (CRADLE_IS_STATUS_CHECKER (self));
  g_clear_pointer (&self->types, g_ptr_array_unref);
  if (types != NULL)
    self->types = g_ptr_array_ref (types);
}

void
cradle_status_checker_set_pending_store (CradleStatusChecker *self,
                                         CradlePendingStore  *store)
{
  g_return_if_fail (CRADLE_IS_STATUS_CHECKER (self));
  g_set_object (&self->store, store);
}

void
cradle_status_checker_set_journal (CradleStatusChecker *self,
                                   CradleJournal       *journal)
{
  g_return_if_fail (CRADLE_IS_STATUS_CHECKER (self));
  g_set_object (&self->journal, journal);
}

void
cradle_status_checker_set_online (CradleStatusChecker *self,
                                  gboolean             online)
{
  g_return_if_fail (CRADLE_IS_STATUS_CHECKER (self));
  self->online = online;
}

void
cradle_status_checker_set_refresh (CradleStatusChecker *self,
                                   gboolean             refresh)
{
  g_return_if_fail (CRADLE_IS_STATUS_CHECKER (self));
  self->refresh = refresh;
}

void
cradle_status_checker_set_timeout (CradleStatusChecker *self,
                                   guint                seconds)
{
  g_return_if_fail (CRADLE_IS_STATUS_CHECKER (self));
  self->timeout_s = seconds;
}

/* ---- the journal ---------------------------------------------------------- */

static gint64
record_begin (const char *step,
              const char *text,
              gpointer    user_data)
{
  Recorder *recorder = user_data;
  g_autoptr(GError) error = NULL;
  gint64 id;

  if (recorder->journal == NULL || recorder->run_id <= 0)
    return 0;
  id = cradle_journal_begin_step (recorder->journal, recorder->run_id, step, text, &error);
  if (id <= 0)
    g_debug ("The journal could not record a step: %s", error != NULL ? error->message : "?");
  return id;
}

static void
record_end (gint64        step_id,
            const char   *outcome,
            const GError *failure,
            gpointer      user_data)
{
  Recorder *recorder = user_data;
  g_autoptr(GError) error = NULL;

  if (recorder->journal == NULL || step_id <= 0)
    return;
  if (!cradle_journal_end_step (recorder->journal, step_id, outcome, failure, &error))
    g_debug ("The journal could not record a step: %s", error->message);
}

/* ---- one certificate -------------------------------------------------------- */

static char *
dup_duration (guint64 seconds)
{
  if (seconds % (7 * 86400) == 0)
    return g_strdup_printf (g_dngettext (NULL, "%" G_GUINT64_FORMAT " week", "%" G_GUINT64_FORMAT " weeks",
                                         seconds / (7 * 86400)), seconds / (7 * 86400));
  if (seconds % 86400 == 0)
    return g_strdup_printf (g_dngettext (NULL, "%" G_GUINT64_FORMAT " day", "%" G_GUINT64_FORMAT " days",
                                         seconds / 86400), seconds / 86400);
  if (seconds % 3600 == 0)
    return g_strdup_printf ("%" G_GUINT64_FORMAT " h", seconds / 3600);
  if (seconds % 60 == 0)
    return g_strdup_printf ("%" G_GUINT64_FORMAT " min", seconds / 60);
  return g_strdup_printf ("%" G_GUINT64_FORMAT " s", seconds);
}

/* The type: as recorded at install, else the template the certificate names. */
static void
find_type (CradleStatusChecker *self,
           CradleCertStatus    *status,
           const CradleLeaf    *leaf,
           CradleTemplate     **template)
{
  g_autofree char *oid = NULL;
  g_autofree char *name = NULL;
  guint major = 0;

  *template = NULL;
  if (self->store != NULL)
    {
      g_autoptr(GError) error = NULL;

      status->type_name = cradle_pending_store_dup_installed_type (self->store, status->der, &error);
      if (error != NULL)
        g_debug ("%s", error->message);
      if (status->type_name != NULL)
        status->origin = CRADLE_CERT_ORIGIN_INSTALLED;
    }
  cradle_template_extension_read (cradle_leaf_get_extensions (leaf), &oid, &major, &name);
  if (self->catalog != NULL)
    {
      GPtrArray *templates = cradle_catalog_get_templates (self->catalog);

      for (guint i = 0; oid != NULL && *template == NULL && i < templates->len; i++)
        if (g_strcmp0 (cradle_template_get_oid (g_ptr_array_index (templates, i)), oid) == 0)
          *template = g_ptr_array_index (templates, i);
      if (*template == NULL && name != NULL)
        *template = cradle_catalog_find_template (self->catalog, name);
      if (*template == NULL && status->type_name != NULL)
        *template = cradle_catalog_find_template (self->catalog, status->type_name);
    }
  if (status->type_name != NULL)
    return;
  if (*template != NULL)
    status->type_name = g_strdup (cradle_template_get_name (*template));
  else if (name != NULL)
    status->type_name = g_strdup (name);
  else if (oid != NULL)
    status->type_name = g_strdup (oid);
  if (status->type_name != NULL)
    status->origin = CRADLE_CERT_ORIGIN_TEMPLATE;
}

static void
find_renewal_window (CradleStatusChecker *self,
                     CradleCertStatus    *status,
                     CradleTemplate      *template)
{
  CradleCertType *type = NULL;
  guint64 overlap;

  if (self->types != NULL && status->type_name != NULL)
    type = cradle_cert_type_find (self->types, status->type_name);
  if (type != NULL && cradle_cert_type_get_renew_at (type) > 0)
    {
      guint percent = cradle_cert_type_get_renew_at (type);

      status->renew_at = cradle_renewal_window_for_share (status->not_before, status->not_after, percent);
      status->renewal_rule = g_strdup_printf ("RenewAt=%u%% of its lifetime (%s)", percent,
                                              cradle_cert_type_get_source (type) != NULL
                                                ? cradle_cert_type_get_source (type) : "its type");
      return;
    }
  if (template == NULL && type != NULL)
    template = cradle_cert_type_get_template (type);
  overlap = template != NULL ? cradle_template_get_renewal_seconds (template) : 0;
  if (overlap > 0)
    {
      g_autofree char *period = dup_duration (overlap);

      status->renew_at = cradle_renewal_window_for_template (status->not_before, status->not_after, overlap);
      status->renewal_rule = g_strdup_printf ("after 80%% of its lifetime, within the template's renewal "
                                              "period of %s", period);
      return;
    }
  status->renew_at = cradle_renewal_window_for_share (status->not_before, status->not_after,
                                                      CRADLE_RENEW_AT_DEFAULT_PERCENT);
  status->renewal_rule = g_strdup_printf ("%u%% of its lifetime", CRADLE_RENEW_AT_DEFAULT_PERCENT);
}

/* The CA or Root certificate among @entries that issued @leaf: its
 * subject is the leaf's issuer and its key verifies the leaf; the one
 * found last time first (a device's certificates mostly share one). */
static X509 *
find_issuer (GArray           *entries,
             const CradleLeaf *leaf,
             guint            *hint)
{
  for (guint n = 0; n < entries->len; n++)
    {
      guint i = (*hint + n) % entries->len;
      Entry *candidate = &g_array_index (entries, Entry, i);

      if (candidate->x509 == NULL || !cradle_leaf_is_issued_by (leaf, candidate->x509))
        continue;
      *hint = i;
      return candidate->x509;
    }
  return NULL;
}

static CradleCertStatus *
new_status (Entry  *entry,
            gint64  now)
{
  CradleCertStatus *status = cradle_cert_status_new ();

  status->store = g_strdup (cradle_device_cert_get_store (entry->cert));
  status->scope = g_strdup (cradle_device_cert_get_scope (entry->cert));
  status->der = g_bytes_ref (cradle_device_cert_get_der (entry->cert));
  status->subject = g_strdup (cradle_certificate_get_subject (entry->parsed));
  status->issuer = g_strdup (cradle_certificate_get_issuer (entry->parsed));
  status->serial = g_strdup (cradle_certificate_get_serial (entry->parsed));
  status->sha256 = g_strdup (cradle_certificate_get_sha256 (entry->parsed));
  status->has_key = cradle_device_cert_get_key_id (entry->cert) != NULL;
  status->not_before = cradle_leaf_get_not_before (entry->leaf);
  status->not_after = cradle_leaf_get_not_after (entry->leaf);
  status->verdict = now < status->not_before || now >= status->not_after ? CRADLE_CERT_VERDICT_EXPIRED
                                                                          : CRADLE_CERT_VERDICT_VALID;
  return status;
}

static gboolean
check_my (CradleStatusChecker      *self,
          CradleRevocationChecker  *revocation,
          GArray                   *entries,
          Entry                    *entry,
          CradleCertStatus         *status,
          gint64                    now,
          guint                    *issuer_hint,
          guint                    *cached,
          GCancellable             *cancellable,
          GError                  **error)
{
  CradleTemplate *template = NULL;
  g_autoptr(CradleRevocationResult) result = NULL;
  X509 *issuer;

  find_type (self, status, entry->leaf, &template);
  find_renewal_window (self, status, template);
  if (status->verdict == CRADLE_CERT_VERDICT_EXPIRED)
    return TRUE;  /* revocation is not asked about an expired certificate */

  issuer = find_issuer (entries, entry->leaf, issuer_hint);
  if (issuer == NULL)
    {
      status->revocation = CRADLE_REVOCATION_UNKNOWN;
      status->revocation_detail = g_strdup ("the certificate of its issuer is not on the device, so no "
                                            "revocation answer can be verified");
    }
  else
    {
      result = cradle_revocation_checker_check (revocation, entry->leaf, issuer, now, cancellable, error);
      if (result == NULL)
        return FALSE;
      status->revocation = result->state;
      status->revocation_method = result->method;
      status->revocation_cached = result->cached;
      status->revoked_at = result->revoked_at;
      status->revocation_reason = result->reason;
      status->revocation_next_update = result->next_update;
      status->revocation_detail = g_steal_pointer (&result->detail);
      if (result->cached)
        (*cached)++;
    }
  status->verdict = cradle_cert_verdict_at (status->not_before, status->not_after, status->renew_at,
                                            status->revocation, now);
  return TRUE;
}

/* Worst first: what the journal's run says of the whole device. */
static int
severity (CradleCertVerdict verdict)
{
  switch (verdict)
    {
    case CRADLE_CERT_VERDICT_REVOKED: return 4;
    case CRADLE_CERT_VERDICT_EXPIRED: return 3;
    case CRADLE_CERT_VERDICT_RENEW_SOON: return 2;
    case CRADLE_CERT_VERDICT_UNKNOWN: return 1;
    default: return 0;
    }
}

static gboolean
is_my_store (const char *store)
{
  return g_ascii_strcasecmp (store, "MY") == 0;
}

GPtrArray *
cradle_status_checker_check (CradleStatusChecker *self,
                             const char          *device_serial,
                             GPtrArray           *certs,
                             GCancellable        *cancellable,
                             GError             **error)
{
  g_autoptr(GArray) entries = g_array_new (FALSE, TRUE, sizeof (Entry));
  g_autoptr(GPtrArray) statuses = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(CradleRevocationChecker) revocation = cradle_revocation_checker_new ();
  g_autoptr(GError) local_error = NULL;
  Recorder recorder = { NULL, 0 };
  CradleCertVerdict worst = CRADLE_CERT_VERDICT_VALID;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  guint cached = 0;
  guint checked = 0;
  guint issuer_hint = 0;

  g_return_val_if_fail (CRADLE_IS_STATUS_CHECKER (self), NULL);
  g_return_val_if_fail (certs != NULL, NULL);

  g_array_set_clear_func (entries, (GDestroyNotify) entry_clear);
  for (guint i = 0; i < certs->len; i++)
    {
      CradleDeviceCert *cert = g_ptr_array_index (certs, i);
      GBytes *der = cradle_device_cert_get_der (cert);
      const unsigned char *p = g_bytes_get_data (der, NULL);
      g_autoptr(GError) parse_error = NULL;
      Entry entry = { cert, NULL, NULL, NULL, FALSE };

      entry.is_my = is_my_store (cradle_device_cert_get_store (cert));
      entry.parsed = cradle_certificate_new_from_der (der, &parse_error);
      if (entry.parsed != NULL)
        entry.leaf = cradle_leaf_new_from_der (der, &parse_error);
      if (entry.leaf != NULL && !entry.is_my)
        entry.x509 = d2i_X509 (NULL, &p, (long) g_bytes_get_size (der));
      if (entry.parsed == NULL || entry.leaf == NULL || (!entry.is_my && entry.x509 == NULL))
        {
          g_debug ("Leaving out an unreadable certificate of the device's %s store: %s",
                   cradle_device_cert_get_store (cert), parse_error != NULL ? parse_error->message : "?");
          ERR_clear_error ();
          entry_clear (&entry);
          continue;
        }
      g_array_append_val (entries, entry);
    }

  cradle_revocation_checker_set_directory (revocation, self->directory);
  cradle_revocation_checker_set_online (revocation, self->online);
  cradle_revocation_checker_set_refresh (revocation, self->refresh);
  cradle_revocation_checker_set_timeout (revocation, self->timeout_s);
  if (self->journal != NULL)
    {
      g_autoptr(GError) journal_error = NULL;

      recorder.journal = self->journal;
      recorder.run_id = cradle_journal_begin_run (self->journal, "check", NULL, NULL, device_serial, 0,
                                                  &journal_error);
      if (recorder.run_id <= 0)
        g_debug ("The journal could not record the check: %s",
                 journal_error != NULL ? journal_error->message : "?");
    }
  cradle_revocation_checker_set_observer (revocation, record_begin, record_end, &recorder);

  /* MY first, in the device's order; then CA and Root. */
  for (int pass = 0; pass < 2; pass++)
    for (guint i = 0; i < entries->len; i++)
      {
        Entry *entry = &g_array_index (entries, Entry, i);
        g_autoptr(CradleCertStatus) status = NULL;

        if (entry->is_my != (pass == 0))
          continue;
        status = new_status (entry, now);
        if (entry->is_my)
          {
            if (!check_my (self, revocation, entries, entry, status, now, &issuer_hint, &cached, cancellable,
                           &local_error))
              break;
            checked++;
            if (severity (status->verdict) > severity (worst))
              worst = status->verdict;
          }
        g_ptr_array_add (statuses, g_steal_pointer (&status));
      }

  if (recorder.run_id > 0)
    {
      g_autoptr(GError) journal_error = NULL;

      if (cached > 0)
        {
          g_autofree char *text = g_strdup_printf ("%u of %u revocation answers read from the cache "
                                                   "(verified again)", cached, checked);

          record_end (record_begin ("cache", text, &recorder), "ok", NULL, &recorder);
        }
      if (!cradle_journal_end_run (self->journal, recorder.run_id,
                                   local_error != NULL ? "cancelled" : cradle_cert_verdict_to_string (worst),
                                   local_error, &journal_error))
        g_debug ("The journal could not record the check: %s", journal_error->message);
    }
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return g_steal_pointer (&statuses);
}

/* ---- async ------------------------------------------------------------------ */

typedef struct {
  char      *device_serial;
  GPtrArray *certs;
} CheckData;

static void
check_data_free (CheckData *data)
{
  g_free (data->device_serial);
  g_ptr_array_unref (data->certs);
  g_free (data);
}

static void
check_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  CheckData *data = task_data;
  GError *error = NULL;
  GPtrArray *statuses = cradle_status_checker_check (source_object, data->device_serial, data->certs,
                                                     cancellable, &error);

  if (statuses == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, statuses, (GDestroyNotify) g_ptr_array_unref);
}

void
cradle_status_checker_check_async (CradleStatusChecker *self,
                                   const char          *device_serial,
                                   GPtrArray           *certs,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  CheckData *data;

  g_return_if_fail (CRADLE_IS_STATUS_CHECKER (self));
  g_return_if_fail (certs != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cradle_status_checker_check_async);
  data = g_new0 (CheckData, 1);
  data->device_serial = g_strdup (device_serial);
  data->certs = g_ptr_array_ref (certs);
  g_task_set_task_data (task, data, (GDestroyNotify) check_data_free);
  g_task_run_in_thread (task, check_thread);
}

GPtrArray *
cradle_status_checker_check_finish (CradleStatusChecker *self,
                                    GAsyncResult        *result,
                                    GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
