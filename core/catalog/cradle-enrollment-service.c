/* cradle-enrollment-service.c: an enterprise CA as the directory lists it */
#include "config.h"

#include "catalog/cradle-ces-endpoint-private.h"
#include "catalog/cradle-enrollment-service-private.h"

struct _CradleEnrollmentService
{
  GObject parent_instance;

  /* Owned */
  char              *name;
  char              *display_name;
  char              *host;
  CradleCertificate *certificate;
  GStrv              template_names;
  GPtrArray         *endpoints;     /* of CradleCesEndpoint, sorted */
  GBytes            *security_descriptor;

  guint32            flags;
};

G_DEFINE_FINAL_TYPE (CradleEnrollmentService, cradle_enrollment_service, G_TYPE_OBJECT)

#define MAX_CERTIFICATE_SIZE         (64 * 1024)
#define MAX_SECURITY_DESCRIPTOR_SIZE (64 * 1024)

const char *cradle_enrollment_service_ldap_attributes[] = {
  "cn", "displayName", "dNSHostName", "cACertificate", "certificateTemplates", "flags",
  "msPKI-Enrollment-Servers", "nTSecurityDescriptor",
  NULL
};

static void
cradle_enrollment_service_finalize (GObject *object)
{
  CradleEnrollmentService *self = CRADLE_ENROLLMENT_SERVICE (object);

  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->display_name, g_free);
  g_clear_pointer (&self->host, g_free);
  g_clear_object (&self->certificate);
  g_clear_pointer (&self->template_names, g_strfreev);
  g_clear_pointer (&self->endpoints, g_ptr_array_unref);
  g_clear_pointer (&self->security_descriptor, g_bytes_unref);

  G_OBJECT_CLASS (cradle_enrollment_service_parent_class)->finalize (object);
}

static void
cradle_enrollment_service_class_init (CradleEnrollmentServiceClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cradle_enrollment_service_finalize;
}

static void
cradle_enrollment_service_init (CradleEnrollmentService *self)
{
  self->endpoints = g_ptr_array_new_with_free_func ((GDestroyNotify) cradle_ces_endpoint_free);
}

/* A malformed endpoint leaves out that endpoint, not the whole CA: the
 * others, and the CA's other protocols, still work. */
static gboolean
read_endpoints (CradleEnrollmentService  *self,
                const CradleLdapEntry    *entry,
                GError                  **error)
{
  g_autoptr(GPtrArray) values = NULL;

  if (!cradle_ldap_entry_dup_binaries (entry, "msPKI-Enrollment-Servers",
                                       CRADLE_LDAP_MAX_STRING_VALUE, &values, error))
    return FALSE;
  for (guint i = 0; i < values->len; i++)
    {
      gsize size;
      const char *text = g_bytes_get_data (g_ptr_array_index (values, i), &size);
      g_autoptr(GError) local_error = NULL;
      CradleCesEndpoint *server = cradle_ces_endpoint_parse (text, size, &local_error);

      if (server == NULL)
        g_info ("Ignoring an enrollment web service of the CA %s: %s", self->name, local_error->message);
      else
        g_ptr_array_add (self->endpoints, server);
    }
  cradle_ces_endpoints_sort (self->endpoints);
  return TRUE;
}

static gboolean
read_attributes (CradleEnrollmentService  *self,
                 const CradleLdapEntry    *entry,
                 GError                  **error)
{
  g_autoptr(GBytes) der = NULL;

  if (!cradle_ldap_entry_dup_string (entry, "displayName", &self->display_name, error) ||
      !cradle_ldap_entry_dup_string (entry, "dNSHostName", &self->host, error) ||
      !cradle_ldap_entry_dup_strings (entry, "certificateTemplates", &self->template_names, error) ||
      !cradle_ldap_entry_get_int32 (entry, "flags", 0, &self->flags, error) ||
      !cradle_ldap_entry_dup_binary (entry, "nTSecurityDescriptor", MAX_SECURITY_DESCRIPTOR_SIZE,
                                     &self->security_descriptor, error) ||
      !cradle_ldap_entry_dup_binary (entry, "cACertificate", MAX_CERTIFICATE_SIZE, &der, error) ||
      !read_endpoints (self, entry, error))
    return FALSE;

  if (self->host == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "it has no host name (dNSHostName)");
      return FALSE;
    }
  if (der != NULL)
    {
      self->certificate = cradle_certificate_new_from_der (der, error);
      if (self->certificate == NULL)
        {
          g_prefix_error (error, "its certificate (cACertificate) cannot be read: ");
          return FALSE;
        }
    }
  return TRUE;
}

/**
 * cradle_enrollment_service_new_from_entry:
 *
 * Returns: (transfer full): the CA, or %NULL with @error naming what of it
 *   is malformed
 */
CradleEnrollmentService *
cradle_enrollment_service_new_from_entry (const CradleLdapEntry  *entry,
                                          GError                **error)
{
  g_autoptr(CradleEnrollmentService) self = g_object_new (CRADLE_TYPE_ENROLLMENT_SERVICE, NULL);
  g_autoptr(GError) local_error = NULL;

  if (!cradle_ldap_entry_dup_string (entry, "cn", &self->name, error))
    return NULL;
  if (self->name == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The directory lists a certification authority without a name (cn). "
                           "Ask an administrator to repair its enrollment service object.");
      return NULL;
    }
  if (!read_attributes (self, entry, &local_error))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The certification authority %s is damaged in the directory: %s. "
                   "Ask an administrator to repair its enrollment service object.",
                   self->name, local_error->message);
      return NULL;
    }
  return g_steal_pointer (&self);
}

GBytes *
cradle_enrollment_service_get_security_descriptor (CradleEnrollmentService *self)
{
  g_return_val_if_fail (CRADLE_IS_ENROLLMENT_SERVICE (self), NULL);
  return self->security_descriptor;
}

const char *
cradle_enrollment_service_get_name (CradleEnrollmentService *self)
{
  g_return_val_if_fail (CRADLE_IS_ENROLLMENT_SERVICE (self), NULL);
  return self->name;
}

const char *
cradle_enrollment_service_get_display_name (CradleEnrollmentService *self)
{
  g_return_val_if_fail (CRADLE_IS_ENROLLMENT_SERVICE (self), NULL);
  return self->display_name != NULL ? self->display_name : self->name;
}

const char *
cradle_enrollment_service_get_host (CradleEnrollmentService *self)
{
  g_return_val_if_fail (CRADLE_IS_ENROLLMENT_SERVICE (self), NULL);
  return self->host;
}

CradleCertificate *
cradle_enrollment_service_get_certificate (CradleEnrollmentService *self)
{
  g_return_val_if_fail (CRADLE_IS_ENROLLMENT_SERVICE (self), NULL);
  return self->certificate;
}

const char * const *
cradle_enrollment_service_get_template_names (CradleEnrollmentService *self)
{
  g_return_val_if_fail (CRADLE_IS_ENROLLMENT_SERVICE (self), NULL);
  return (const char * const *) self->template_names;
}

gboolean
cradle_enrollment_service_publishes (CradleEnrollmentService *self,
                                     const char              *template_name)
{
  g_return_val_if_fail (CRADLE_IS_ENROLLMENT_SERVICE (self), FALSE);
  g_return_val_if_fail (template_name != NULL, FALSE);

  /* The CA matches template names without regard to case. */
  for (guint i = 0; self->template_names[i] != NULL; i++)
    if (g_ascii_strcasecmp (self->template_names[i], template_name) == 0)
      return TRUE;
  return FALSE;
}

guint32
cradle_enrollment_service_get_flags (CradleEnrollmentService *self)
{
  g_return_val_if_fail (CRADLE_IS_ENROLLMENT_SERVICE (self), 0);
  return self->flags;
}

guint
cradle_enrollment_service_get_n_endpoints (CradleEnrollmentService *self)
{
  g_return_val_if_fail (CRADLE_IS_ENROLLMENT_SERVICE (self), 0);
  return self->endpoints->len;
}

static CradleCesEndpoint *
endpoint_at (CradleEnrollmentService *self,
             guint                    index)
{
  g_return_val_if_fail (CRADLE_IS_ENROLLMENT_SERVICE (self), NULL);
  g_return_val_if_fail (index < self->endpoints->len, NULL);
  return g_ptr_array_index (self->endpoints, index);
}

const char *
cradle_enrollment_service_get_endpoint_uri (CradleEnrollmentService *self,
                                            guint                    index)
{
  CradleCesEndpoint *server = endpoint_at (self, index);

  return server != NULL ? server->uri : NULL;
}

CradleEndpointAuth
cradle_enrollment_service_get_endpoint_auth (CradleEnrollmentService *self,
                                             guint                    index)
{
  CradleCesEndpoint *server = endpoint_at (self, index);

  return server != NULL ? (CradleEndpointAuth) server->auth_flags : 0;
}

guint
cradle_enrollment_service_get_endpoint_priority (CradleEnrollmentService *self,
                                                 guint                    index)
{
  CradleCesEndpoint *server = endpoint_at (self, index);

  return server != NULL ? server->priority : 0;
}

gboolean
cradle_enrollment_service_get_endpoint_renewal_only (CradleEnrollmentService *self,
                                                     guint                    index)
{
  CradleCesEndpoint *server = endpoint_at (self, index);

  return server != NULL && server->renewal_only;
}
