/* cradle-catalog.c: reading what the directory offers the signed-in user */
#include "config.h"

#include <openssl/err.h>

#include "catalog/cradle-catalog-private.h"
#include "directory/cradle-directory-private.h"
#include "directory/cradle-directory-user-private.h"
#include "catalog/cradle-enrollment-service-private.h"
#include "base/cradle-openssl-private.h"
#include "catalog/cradle-template-private.h"

G_DEFINE_FINAL_TYPE (CradleCatalog, cradle_catalog, G_TYPE_OBJECT)

#define MAX_CERTIFICATE_SIZE (64 * 1024)

static void
cradle_catalog_finalize (GObject *object)
{
  CradleCatalog *self = CRADLE_CATALOG (object);

  g_clear_pointer (&self->verdicts, g_hash_table_unref);
  g_clear_pointer (&self->open_services, g_hash_table_unref);
  g_clear_object (&self->user);
  g_clear_pointer (&self->templates, g_ptr_array_unref);
  g_clear_pointer (&self->services, g_ptr_array_unref);
  g_clear_pointer (&self->ntauth, g_ptr_array_unref);
  g_clear_pointer (&self->aia, g_ptr_array_unref);
  g_clear_pointer (&self->roots, g_ptr_array_unref);
  g_clear_pointer (&self->problems, g_ptr_array_unref);
  g_clear_pointer (&self->sid_names, g_hash_table_unref);
  g_clear_pointer (&self->user_entry, cradle_ldap_entry_unref);
  g_clear_pointer (&self->template_entries, g_ptr_array_unref);
  g_clear_pointer (&self->service_entries, g_ptr_array_unref);
  g_clear_pointer (&self->ntauth_entries, g_ptr_array_unref);
  g_clear_pointer (&self->aia_entries, g_ptr_array_unref);
  g_clear_pointer (&self->root_entries, g_ptr_array_unref);

  G_OBJECT_CLASS (cradle_catalog_parent_class)->finalize (object);
}

static void
cradle_catalog_class_init (CradleCatalogClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cradle_catalog_finalize;
}

static void
cradle_catalog_init (CradleCatalog *self)
{
  self->templates = g_ptr_array_new_with_free_func (g_object_unref);
  self->services = g_ptr_array_new_with_free_func (g_object_unref);
  self->ntauth = g_ptr_array_new_with_free_func (g_object_unref);
  self->aia = g_ptr_array_new_with_free_func (g_object_unref);
  self->roots = g_ptr_array_new_with_free_func (g_object_unref);
  self->problems = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->problems, NULL);
  self->verdicts = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) cradle_catalog_verdict_free);
  self->open_services = g_hash_table_new (NULL, NULL);
  self->sid_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->template_entries = g_ptr_array_new_with_free_func ((GDestroyNotify) cradle_ldap_entry_unref);
  self->service_entries = g_ptr_array_new_with_free_func ((GDestroyNotify) cradle_ldap_entry_unref);
  self->ntauth_entries = g_ptr_array_new_with_free_func ((GDestroyNotify) cradle_ldap_entry_unref);
  self->aia_entries = g_ptr_array_new_with_free_func ((GDestroyNotify) cradle_ldap_entry_unref);
  self->root_entries = g_ptr_array_new_with_free_func ((GDestroyNotify) cradle_ldap_entry_unref);
}

CradleCatalog *
cradle_catalog_new_empty (void)
{
  return g_object_new (CRADLE_TYPE_CATALOG, NULL);
}

/* One malformed object must not hide the others: it becomes a problem. */
static void
add_problem (CradleCatalog *self,
             const char    *message)
{
  g_info ("%s", message);
  g_ptr_array_insert (self->problems, (gint) self->problems->len - 1, g_strdup (message));
}

static void
add_template (CradleCatalog         *self,
              const CradleLdapEntry *entry)
{
  g_autoptr(GError) error = NULL;
  CradleTemplate *template = cradle_template_new_from_entry (entry, &error);

  if (template != NULL)
    g_ptr_array_add (self->templates, template);
  else
    add_problem (self, error->message);
}

static void
add_service (CradleCatalog         *self,
             const CradleLdapEntry *entry)
{
  g_autoptr(GError) error = NULL;
  CradleEnrollmentService *service = cradle_enrollment_service_new_from_entry (entry, &error);

  if (service != NULL)
    g_ptr_array_add (self->services, service);
  else
    add_problem (self, error->message);
}

static void
add_certificates (CradleCatalog         *self,
                  const CradleLdapEntry *entry,
                  GPtrArray             *into,
                  const char            *what)
{
  g_autoptr(GPtrArray) values = NULL;
  g_autoptr(GError) error = NULL;

  if (!cradle_ldap_entry_dup_binaries (entry, "cACertificate", MAX_CERTIFICATE_SIZE, &values, &error))
    {
      g_autofree char *message = g_strdup_printf ("The certificates in %s cannot be read and are ignored: %s",
                                                   what, error->message);

      add_problem (self, message);
      return;
    }
  for (guint i = 0; i < values->len; i++)
    {
      g_autoptr(GError) local_error = NULL;
      CradleCertificate *certificate = cradle_certificate_new_from_der (g_ptr_array_index (values, i),
                                                                        &local_error);

      if (certificate != NULL)
        g_ptr_array_add (into, certificate);
      else
        {
          g_autofree char *message = g_strdup_printf ("A certificate in %s cannot be read and is ignored: %s",
                                                       what, local_error->message);

          add_problem (self, message);
        }
    }
}

static gboolean
keep_entry (const CradleLdapEntry  *entry,
            gpointer                user_data,
            GError                **error)
{
  g_ptr_array_add (user_data, cradle_ldap_entry_ref ((CradleLdapEntry *) entry));
  return TRUE;
}

static gboolean
search_entries (CradleDirectory  *directory,
                const char       *container,
                int               scope,
                const char       *filter,
                const char      **attributes,
                gboolean          dacl_only,
                GPtrArray        *into,
                GCancellable     *cancellable,
                GError          **error)
{
  return cradle_directory_search_pki (directory, container, scope, filter, attributes, dacl_only,
                                      keep_entry, into, cancellable, error);
}

/* A forest without NTAuth, AIA or root entries is still usable. */
static gboolean
search_certificates (CradleDirectory  *directory,
                     const char       *container,
                     int               scope,
                     GPtrArray        *into,
                     GCancellable     *cancellable,
                     GError          **error)
{
  const char *attributes[] = { "cACertificate", NULL };
  g_autoptr(GError) local_error = NULL;

  if (search_entries (directory, container, scope, "(objectClass=certificationAuthority)", attributes, FALSE,
                      into, cancellable, &local_error))
    return TRUE;
  if (g_error_matches (local_error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND))
    return TRUE;
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

static int
compare_templates (gconstpointer a,
                   gconstpointer b)
{
  return g_ascii_strcasecmp (cradle_template_get_name (*(CradleTemplate * const *) a),
                             cradle_template_get_name (*(CradleTemplate * const *) b));
}

static int
compare_services (gconstpointer a,
                  gconstpointer b)
{
  return g_ascii_strcasecmp (cradle_enrollment_service_get_name (*(CradleEnrollmentService * const *) a),
                             cradle_enrollment_service_get_name (*(CradleEnrollmentService * const *) b));
}

/**
 * cradle_catalog_load:
 *
 * Returns: (transfer full): the catalog, or %NULL when the directory could
 *   not be read; malformed objects in it are problems, not failures
 */
CradleCatalog *
cradle_catalog_load (CradleDirectory  *directory,
                     GCancellable     *cancellable,
                     GError          **error)
{
  g_autoptr(CradleCatalog) self = NULL;

  g_return_val_if_fail (CRADLE_IS_DIRECTORY (directory), NULL);

  self = cradle_catalog_new_empty ();
  self->user_entry = cradle_directory_read_user_entry (directory, cancellable, error);
  if (self->user_entry == NULL ||
      !search_entries (directory, "CN=Certificate Templates,", LDAP_SCOPE_ONELEVEL,
                       "(objectClass=pKICertificateTemplate)", cradle_template_ldap_attributes, TRUE,
                       self->template_entries, cancellable, error) ||
      !search_entries (directory, "CN=Enrollment Services,", LDAP_SCOPE_ONELEVEL,
                       "(objectClass=pKIEnrollmentService)", cradle_enrollment_service_ldap_attributes, TRUE,
                       self->service_entries, cancellable, error) ||
      !search_certificates (directory, "CN=NTAuthCertificates,", LDAP_SCOPE_BASE, self->ntauth_entries,
                            cancellable, error) ||
      !search_certificates (directory, "CN=AIA,", LDAP_SCOPE_ONELEVEL, self->aia_entries, cancellable, error) ||
      !search_certificates (directory, "CN=Certification Authorities,", LDAP_SCOPE_ONELEVEL, self->root_entries,
                            cancellable, error) ||
      !cradle_catalog_build (self, directory, cancellable, error))
    return NULL;
  return g_steal_pointer (&self);
}

gboolean
cradle_catalog_build (CradleCatalog    *self,
                      CradleDirectory  *directory,
                      GCancellable     *cancellable,
                      GError          **error)
{
  self->user = cradle_directory_user_new_from_entry (self->user_entry, error);
  if (self->user == NULL)
    return FALSE;
  for (guint i = 0; i < self->template_entries->len; i++)
    add_template (self, g_ptr_array_index (self->template_entries, i));
  for (guint i = 0; i < self->service_entries->len; i++)
    add_service (self, g_ptr_array_index (self->service_entries, i));
  for (guint i = 0; i < self->ntauth_entries->len; i++)
    add_certificates (self, g_ptr_array_index (self->ntauth_entries, i), self->ntauth, "NTAuthCertificates");
  for (guint i = 0; i < self->aia_entries->len; i++)
    add_certificates (self, g_ptr_array_index (self->aia_entries, i), self->aia, "the AIA container");
  for (guint i = 0; i < self->root_entries->len; i++)
    add_certificates (self, g_ptr_array_index (self->root_entries, i), self->roots,
                      "Certification Authorities");

  g_ptr_array_sort (self->templates, compare_templates);
  g_ptr_array_sort (self->services, compare_services);
  return cradle_catalog_evaluate (self, directory, cancellable, error);
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;
  CradleCatalog *catalog = cradle_catalog_load (task_data, cancellable, &error);

  if (catalog != NULL)
    g_task_return_pointer (task, catalog, g_object_unref);
  else
    g_task_return_error (task, error);
}

void
cradle_catalog_load_async (CradleDirectory     *directory,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CRADLE_IS_DIRECTORY (directory));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, cradle_catalog_load_async);
  g_task_set_task_data (task, g_object_ref (directory), g_object_unref);
  g_task_run_in_thread (task, load_thread);
}

CradleCatalog *
cradle_catalog_load_finish (GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

CradleDirectoryUser *
cradle_catalog_get_user (CradleCatalog *self)
{
  g_return_val_if_fail (CRADLE_IS_CATALOG (self), NULL);
  return self->user;
}

GPtrArray *
cradle_catalog_get_templates (CradleCatalog *self)
{
  g_return_val_if_fail (CRADLE_IS_CATALOG (self), NULL);
  return self->templates;
}

GPtrArray *
cradle_catalog_get_services (CradleCatalog *self)
{
  g_return_val_if_fail (CRADLE_IS_CATALOG (self), NULL);
  return self->services;
}

GPtrArray *
cradle_catalog_get_ntauth_certificates (CradleCatalog *self)
{
  g_return_val_if_fail (CRADLE_IS_CATALOG (self), NULL);
  return self->ntauth;
}

GPtrArray *
cradle_catalog_get_aia_certificates (CradleCatalog *self)
{
  g_return_val_if_fail (CRADLE_IS_CATALOG (self), NULL);
  return self->aia;
}

static gboolean
is_self_signed (CradleCertificate *certificate)
{
  GBytes *der = cradle_certificate_get_der (certificate);
  const unsigned char *p = g_bytes_get_data (der, NULL);
  g_autoptr(X509) cert = d2i_X509 (NULL, &p, (long) g_bytes_get_size (der));
  gboolean self_signed = cert != NULL && X509_check_issued (cert, cert) == X509_V_OK &&
                         X509_verify (cert, X509_get0_pubkey (cert)) == 1;

  ERR_clear_error ();
  return self_signed;
}

GPtrArray *
cradle_catalog_dup_directory_roots (CradleCatalog *self)
{
  GPtrArray *roots = g_ptr_array_new_with_free_func (g_object_unref);
  GPtrArray *lists[] = { self->roots, self->ntauth };

  for (guint l = 0; l < G_N_ELEMENTS (lists); l++)
    for (guint i = 0; i < lists[l]->len; i++)
      {
        CradleCertificate *certificate = g_ptr_array_index (lists[l], i);

        if (is_self_signed (certificate))
          g_ptr_array_add (roots, g_object_ref (certificate));
      }
  return roots;
}

const char * const *
cradle_catalog_get_problems (CradleCatalog *self)
{
  g_return_val_if_fail (CRADLE_IS_CATALOG (self), NULL);
  return (const char * const *) self->problems->pdata;
}

CradleTemplate *
cradle_catalog_find_template (CradleCatalog *self,
                              const char    *name)
{
  g_return_val_if_fail (CRADLE_IS_CATALOG (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < self->templates->len; i++)
    {
      CradleTemplate *template = g_ptr_array_index (self->templates, i);

      if (g_ascii_strcasecmp (cradle_template_get_name (template), name) == 0)
        return template;
    }
  return NULL;
}
