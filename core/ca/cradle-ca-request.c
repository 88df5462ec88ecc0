/* cradle-ca-request.c: one signed request, with the key behind it */
#include "config.h"

#include <cradle/cradle.h>

struct _CradleCaRequest
{
  GObject parent_instance;

  /* Owned */
  GBytes       *csr;
  char         *template_name;
  CradleDevice *device;
  GBytes       *key_id;
  GPtrArray    *attributes;  /* "name:value", NULL-terminated */
  CradleCertificate *renewal_certificate;  /* nullable */
  GBytes       *renewal_key_id;
  GBytes       *renewal_signed_data;
};

G_DEFINE_FINAL_TYPE (CradleCaRequest, cradle_ca_request, G_TYPE_OBJECT)

static void
cradle_ca_request_dispose (GObject *object)
{
  CradleCaRequest *self = CRADLE_CA_REQUEST (object);

  g_clear_object (&self->device);
  g_clear_object (&self->renewal_certificate);

  G_OBJECT_CLASS (cradle_ca_request_parent_class)->dispose (object);
}

static void
cradle_ca_request_finalize (GObject *object)
{
  CradleCaRequest *self = CRADLE_CA_REQUEST (object);

  g_clear_pointer (&self->csr, g_bytes_unref);
  g_clear_pointer (&self->template_name, g_free);
  g_clear_pointer (&self->key_id, g_bytes_unref);
  g_clear_pointer (&self->attributes, g_ptr_array_unref);
  g_clear_pointer (&self->renewal_key_id, g_bytes_unref);
  g_clear_pointer (&self->renewal_signed_data, g_bytes_unref);

  G_OBJECT_CLASS (cradle_ca_request_parent_class)->finalize (object);
}

static void
cradle_ca_request_class_init (CradleCaRequestClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cradle_ca_request_dispose;
  object_class->finalize = cradle_ca_request_finalize;
}

static void
cradle_ca_request_init (CradleCaRequest *self)
{
  self->attributes = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->attributes, NULL);
}

CradleCaRequest *
cradle_ca_request_new (GBytes     *csr,
                       const char *template_name)
{
  CradleCaRequest *self;

  g_return_val_if_fail (csr != NULL, NULL);

  self = g_object_new (CRADLE_TYPE_CA_REQUEST, NULL);
  self->csr = g_bytes_ref (csr);
  self->template_name = g_strdup (template_name);
  return self;
}

GBytes *
cradle_ca_request_get_csr (CradleCaRequest *self)
{
  g_return_val_if_fail (CRADLE_IS_CA_REQUEST (self), NULL);
  return self->csr;
}

const char *
cradle_ca_request_get_template_name (CradleCaRequest *self)
{
  g_return_val_if_fail (CRADLE_IS_CA_REQUEST (self), NULL);
  return self->template_name;
}

void
cradle_ca_request_set_device_key (CradleCaRequest *self,
                                  CradleDevice    *device,
                                  GBytes          *key_id)
{
  g_return_if_fail (CRADLE_IS_CA_REQUEST (self));

  g_set_object (&self->device, device);
  g_clear_pointer (&self->key_id, g_bytes_unref);
  if (key_id != NULL)
    self->key_id = g_bytes_ref (key_id);
}

CradleDevice *
cradle_ca_request_get_device (CradleCaRequest *self)
{
  g_return_val_if_fail (CRADLE_IS_CA_REQUEST (self), NULL);
  return self->device;
}

GBytes *
cradle_ca_request_get_key_id (CradleCaRequest *self)
{
  g_return_val_if_fail (CRADLE_IS_CA_REQUEST (self), NULL);
  return self->key_id;
}

void
cradle_ca_request_add_attribute (CradleCaRequest *self,
                                 const char      *name,
                                 const char      *value)
{
  g_return_if_fail (CRADLE_IS_CA_REQUEST (self));
  g_return_if_fail (name != NULL && value != NULL);
  /* A line break would smuggle in another attribute. */
  g_return_if_fail (strpbrk (name, "\r\n:") == NULL && strpbrk (value, "\r\n") == NULL);

  /* Keep the terminating NULL last. */
  g_ptr_array_index (self->attributes, self->attributes->len - 1) =
    g_strdup_printf ("%s:%s", name, value);
  g_ptr_array_add (self->attributes, NULL);
}

const char * const *
cradle_ca_request_get_attributes (CradleCaRequest *self)
{
  g_return_val_if_fail (CRADLE_IS_CA_REQUEST (self), NULL);
  return (const char * const *) self->attributes->pdata;
}

void
cradle_ca_request_set_renewal (CradleCaRequest   *self,
                               CradleCertificate *old_certificate,
                               GBytes            *old_key_id,
                               GBytes            *signed_data)
{
  g_return_if_fail (CRADLE_IS_CA_REQUEST (self));

  g_set_object (&self->renewal_certificate, old_certificate);
  g_clear_pointer (&self->renewal_key_id, g_bytes_unref);
  g_clear_pointer (&self->renewal_signed_data, g_bytes_unref);
  if (old_key_id != NULL)
    self->renewal_key_id = g_bytes_ref (old_key_id);
  if (signed_data != NULL)
    self->renewal_signed_data = g_bytes_ref (signed_data);
}

CradleCertificate *
cradle_ca_request_get_renewal_certificate (CradleCaRequest *self)
{
  g_return_val_if_fail (CRADLE_IS_CA_REQUEST (self), NULL);
  return self->renewal_certificate;
}

GBytes *
cradle_ca_request_get_renewal_key_id (CradleCaRequest *self)
{
  g_return_val_if_fail (CRADLE_IS_CA_REQUEST (self), NULL);
  return self->renewal_key_id;
}

GBytes *
cradle_ca_request_get_renewal_signed_data (CradleCaRequest *self)
{
  g_return_val_if_fail (CRADLE_IS_CA_REQUEST (self), NULL);
  return self->renewal_signed_data;
}

GBytes *
cradle_ca_request_get_body (CradleCaRequest *self)
{
  g_return_val_if_fail (CRADLE_IS_CA_REQUEST (self), NULL);
  return self->renewal_signed_data != NULL ? self->renewal_signed_data : self->csr;
}
