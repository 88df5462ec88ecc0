/* cradle-type-lookup.c: a certificate type from the directory, with a head start from the kept catalog
 *
 * Opening the directory is the slowest part of starting an enrollment (a
 * Kerberos bind and seven searches, about 13 ms against the lab) and needs
 * neither the device nor the state, so it runs on a thread of its own
 * while the caller opens those.  Meanwhile the catalog kept from the last
 * read (cradle-catalog-cache.c) gives a provisional type: the device makes
 * the key with it, and the engine confirms it with
 * cradle_type_lookup_dup_fresh_type() before the device signs
 * (cradle_enrollment_set_type_lookup()).  cradlectl and the app share it.
 */
#include "config.h"

#include <cradle/cradle.h>

struct _CradleTypeLookup
{
  GObject parent_instance;

  /* Owned */
  CradleCredentials *credentials;
  GCancellable      *cancellable;
  CradleDirectory   *directory;      /* the thread's */
  CradleCatalog     *kept;           /* nullable */
  gboolean           keeps;          /* a Kerberos sign-in, keeping turned on */
  GThread           *thread;         /* joined by cradle_type_lookup_stop() */

  /* Under lock: the thread's results. */
  GMutex             lock;
  GCond              cond;
  gboolean           kept_read;      /* the kept catalog is read before the new one replaces it */
  gboolean           done;
  CradleCatalog     *catalog;
  GError            *error;
};

G_DEFINE_FINAL_TYPE (CradleTypeLookup, cradle_type_lookup, G_TYPE_OBJECT)

gboolean
cradle_type_lookup_reads_catalog (CradleCertType *custom)
{
  return custom == NULL ||
         (cradle_cert_type_get_template_name (custom) != NULL &&
          cradle_cert_type_get_auth (custom) != CRADLE_CREDENTIALS_NONE);
}

static CradleDirectory *
new_directory (const char        *domain,
               const char        *dc_uri,
               CradleCredentials *credentials)
{
  CradleDirectory *directory = dc_uri != NULL ? cradle_directory_new (dc_uri) : cradle_directory_new_for_domain (domain);

  cradle_credentials_apply_to_directory (credentials, directory);
  return directory;
}

/* Kept for Kerberos sign-ins only: a password's account is checked by signing in. */
static gboolean
keeps_catalog (CradleCredentials *credentials)
{
  return cradle_catalog_get_cache_max_age () > 0 &&
         cradle_credentials_get_kind (credentials) == CRADLE_CREDENTIALS_KERBEROS;
}

CradleCatalog *
cradle_type_lookup_read_kept_catalog (const char        *domain,
                                      const char        *dc_uri,
                                      CradleCredentials *credentials,
                                      GError           **error)
{
  g_autoptr(CradleDirectory) directory = NULL;

  g_return_val_if_fail (CRADLE_IS_CREDENTIALS (credentials), NULL);

  if (!keeps_catalog (credentials))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                           "No catalog is kept for this sign-in (a password's, or keeping is turned off)");
      return NULL;
    }
  directory = new_directory (domain, dc_uri, credentials);
  return cradle_catalog_load_cached (directory, cradle_catalog_get_cache_max_age (), error);
}

static void
set_flag (CradleTypeLookup *self,
          gboolean         *flag)
{
  g_mutex_lock (&self->lock);
  *flag = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

static void
wait_for_flag (CradleTypeLookup *self,
               gboolean         *flag)
{
  g_mutex_lock (&self->lock);
  while (!*flag)
    g_cond_wait (&self->cond, &self->lock);
  g_mutex_unlock (&self->lock);
}

/* The thread holds a reference: the lookup outlives it. */
static gpointer
read_directory (gpointer data)
{
  g_autoptr(CradleTypeLookup) self = data;
  g_autoptr(CradleCatalog) catalog = NULL;
  g_autoptr(GError) cache_error = NULL;
  GError *error = NULL;

  if (cradle_directory_open (self->directory, self->cancellable, &error))
    catalog = cradle_catalog_load (self->directory, self->cancellable, &error);
  if (catalog != NULL && self->keeps)
    {
      wait_for_flag (self, &self->kept_read);
      if (!cradle_catalog_save_cache (catalog, self->directory, &cache_error))
        g_debug ("The catalog is not kept: %s", cache_error->message);
    }
  g_mutex_lock (&self->lock);
  self->catalog = g_steal_pointer (&catalog);
  self->error = error;
  self->done = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return NULL;
}

CradleTypeLookup *
cradle_type_lookup_new (const char        *domain,
                        const char        *dc_uri,
                        CradleCredentials *credentials,
                        GCancellable      *cancellable)
{
  g_autoptr(CradleTypeLookup) self = NULL;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (CRADLE_IS_CREDENTIALS (credentials), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);

  self = g_object_new (CRADLE_TYPE_TYPE_LOOKUP, NULL);
  self->credentials = g_object_ref (credentials);
  self->cancellable = cancellable != NULL ? g_object_ref (cancellable) : g_cancellable_new ();
  self->directory = new_directory (domain, dc_uri, credentials);
  self->keeps = keeps_catalog (credentials);
  self->thread = g_thread_new ("cradle-type-lookup", read_directory, g_object_ref (self));

  if (self->keeps)
    {
      /* Through a directory of its own: the thread's one is being opened. */
      self->kept = cradle_type_lookup_read_kept_catalog (domain, dc_uri, credentials, &error);
      if (self->kept == NULL)
        g_debug ("Not starting from a kept catalog: %s", error->message);
    }
  set_flag (self, &self->kept_read);
  return g_steal_pointer (&self);
}

CradleCatalog *
cradle_type_lookup_get_kept_catalog (CradleTypeLookup *self)
{
  g_return_val_if_fail (CRADLE_IS_TYPE_LOOKUP (self), NULL);

  return self->kept;
}

/* The type as @catalog (nullable: the directory could not be read) makes it. */
static CradleCertType *
type_with_catalog (CradleTypeLookup  *self,
                   CradleCatalog     *catalog,
                   const char        *template_name,
                   CradleCertType    *custom,
                   GError           **error)
{
  CradleTemplate *template;

  if (custom != NULL)
    {
      if (catalog == NULL || !cradle_type_lookup_reads_catalog (custom))
        return g_object_ref (custom);
      /* Read again with the catalog, so the request follows the template's policy. */
      return cradle_cert_type_new_from_file (cradle_cert_type_get_source (custom), catalog, error);
    }
  template = cradle_catalog_find_template (catalog, template_name);
  if (template == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "The directory has no certificate template '%s'. Choose one it offers, or ask your "
                   "administrator to publish it.", template_name);
      return NULL;
    }
  return cradle_cert_type_new_for_template (catalog, template, cradle_credentials_get_kind (self->credentials));
}

CradleCertType *
cradle_type_lookup_dup_kept_type (CradleTypeLookup *self,
                                  const char       *template_name,
                                  CradleCertType   *custom)
{
  g_autoptr(CradleCertType) type = NULL;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (CRADLE_IS_TYPE_LOOKUP (self), NULL);
  g_return_val_if_fail ((template_name == NULL) != (custom == NULL), NULL);

  if (self->kept == NULL || !cradle_type_lookup_reads_catalog (custom))
    return NULL;
  type = type_with_catalog (self, self->kept, template_name, custom, &error);
  if (type == NULL || !cradle_cert_type_is_enrollable (type))
    {
      g_debug ("Not starting from a kept catalog: %s",
               error != NULL ? error->message : "it does not allow this type");
      return NULL;
    }
  return g_steal_pointer (&type);
}

static void
on_caller_cancelled (GCancellable *cancellable,
                     gpointer      user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

CradleCatalog *
cradle_type_lookup_wait (CradleTypeLookup  *self,
                         GCancellable      *cancellable,
                         GError           **error)
{
  g_return_val_if_fail (CRADLE_IS_TYPE_LOOKUP (self), NULL);

  /* Cancelling the wait ends the directory read: nobody waits for it any more. */
  if (cancellable != NULL && cancellable != self->cancellable)
    {
      gulong id = g_cancellable_connect (cancellable, G_CALLBACK (on_caller_cancelled),
                                         g_object_ref (self->cancellable), g_object_unref);

      wait_for_flag (self, &self->done);
      g_cancellable_disconnect (cancellable, id);
    }
  else
    wait_for_flag (self, &self->done);
  if (self->catalog == NULL)
    {
      g_propagate_error (error, g_error_copy (self->error));
      return NULL;
    }
  return g_object_ref (self->catalog);
}

const char *
cradle_type_lookup_get_server (CradleTypeLookup *self)
{
  const char *server = NULL;

  g_return_val_if_fail (CRADLE_IS_TYPE_LOOKUP (self), NULL);

  g_mutex_lock (&self->lock);
  if (self->done && self->catalog != NULL)
    server = cradle_directory_get_dc_host_name (self->directory);
  g_mutex_unlock (&self->lock);
  return server;
}

CradleCertType *
cradle_type_lookup_dup_type (CradleTypeLookup  *self,
                             const char        *template_name,
                             CradleCertType    *custom,
                             GCancellable      *cancellable,
                             GError           **error)
{
  g_autoptr(CradleCatalog) catalog = NULL;
  g_autoptr(GError) catalog_error = NULL;

  g_return_val_if_fail (CRADLE_IS_TYPE_LOOKUP (self), NULL);
  g_return_val_if_fail ((template_name == NULL) != (custom == NULL), NULL);

  if (!cradle_type_lookup_reads_catalog (custom))
    return g_object_ref (custom);
  catalog = cradle_type_lookup_wait (self, cancellable, &catalog_error);
  if (catalog == NULL && custom == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&catalog_error));
      return NULL;
    }
  if (catalog == NULL)
    g_debug ("No directory for the type '%s': %s", cradle_cert_type_get_name (custom), catalog_error->message);
  return type_with_catalog (self, catalog, template_name, custom, error);
}

CradleCertType *
cradle_type_lookup_dup_fresh_type (CradleTypeLookup  *self,
                                   CradleCertType    *type,
                                   GCancellable      *cancellable,
                                   GError           **error)
{
  g_return_val_if_fail (CRADLE_IS_TYPE_LOOKUP (self), NULL);
  g_return_val_if_fail (CRADLE_IS_CERT_TYPE (type), NULL);

  /* An administrator's type is read from its file again; a template's is found by name. */
  if (cradle_cert_type_get_source (type) != NULL)
    return cradle_type_lookup_dup_type (self, NULL, type, cancellable, error);
  return cradle_type_lookup_dup_type (self, cradle_cert_type_get_template_name (type), NULL, cancellable, error);
}

void
cradle_type_lookup_stop (CradleTypeLookup *self)
{
  GThread *thread;

  g_return_if_fail (CRADLE_IS_TYPE_LOOKUP (self));

  g_mutex_lock (&self->lock);
  thread = g_steal_pointer (&self->thread);
  g_mutex_unlock (&self->lock);
  if (thread == NULL)
    return;
  /* A read that has its catalog still saves it; one still reading ends. */
  g_cancellable_cancel (self->cancellable);
  g_thread_join (thread);
}

static void
cradle_type_lookup_dispose (GObject *object)
{
  CradleTypeLookup *self = CRADLE_TYPE_LOOKUP (object);

  g_clear_object (&self->kept);
  g_clear_object (&self->catalog);

  G_OBJECT_CLASS (cradle_type_lookup_parent_class)->dispose (object);
}

static void
cradle_type_lookup_finalize (GObject *object)
{
  CradleTypeLookup *self = CRADLE_TYPE_LOOKUP (object);

  g_clear_object (&self->credentials);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->directory);
  g_clear_error (&self->error);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);

  G_OBJECT_CLASS (cradle_type_lookup_parent_class)->finalize (object);
}

static void
cradle_type_lookup_class_init (CradleTypeLookupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cradle_type_lookup_dispose;
  object_class->finalize = cradle_type_lookup_finalize;
}

static void
cradle_type_lookup_init (CradleTypeLookup *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
}
