/* cradle-device-cert.c: a certificate in one of a device's stores */
#include "config.h"

#include <cradle/cradle.h>

struct _CradleDeviceCert
{
  GObject parent_instance;

  /* Owned */
  char   *store;
  char   *scope;
  GBytes *der;
  GBytes *key_id;
  CradleDeviceKeyOrigin key_origin;
};

G_DEFINE_FINAL_TYPE (CradleDeviceCert, cradle_device_cert, G_TYPE_OBJECT)

static void
cradle_device_cert_finalize (GObject *object)
{
  CradleDeviceCert *self = CRADLE_DEVICE_CERT (object);

  g_clear_pointer (&self->store, g_free);
  g_clear_pointer (&self->scope, g_free);
  g_clear_pointer (&self->der, g_bytes_unref);
  g_clear_pointer (&self->key_id, g_bytes_unref);

  G_OBJECT_CLASS (cradle_device_cert_parent_class)->finalize (object);
}

static void
cradle_device_cert_class_init (CradleDeviceCertClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cradle_device_cert_finalize;
}

static void
cradle_device_cert_init (CradleDeviceCert *self)
{
}

/**
 * cradle_device_cert_new:
 * @store: "MY", "CA" or "Root"
 * @scope: "user" or "system"
 * @key_id: (nullable): the device key the certificate belongs to (MY only)
 */
CradleDeviceCert *
cradle_device_cert_new (const char *store,
                        const char *scope,
                        GBytes     *der,
                        GBytes     *key_id)
{
  return cradle_device_cert_new_full (store, scope, der, key_id,
                                      key_id != NULL ? CRADLE_DEVICE_KEY_ORIGIN_GENERATED
                                                     : CRADLE_DEVICE_KEY_ORIGIN_NONE);
}

/**
 * cradle_device_cert_new_full:
 * @key_origin: where the key came from; NONE whatever it says when @key_id is %NULL
 */
CradleDeviceCert *
cradle_device_cert_new_full (const char            *store,
                             const char            *scope,
                             GBytes                *der,
                             GBytes                *key_id,
                             CradleDeviceKeyOrigin  key_origin)
{
  CradleDeviceCert *self;

  g_return_val_if_fail (store != NULL && scope != NULL && der != NULL, NULL);

  self = g_object_new (CRADLE_TYPE_DEVICE_CERT, NULL);
  self->store = g_strdup (store);
  self->scope = g_strdup (scope);
  self->der = g_bytes_ref (der);
  self->key_id = key_id != NULL ? g_bytes_ref (key_id) : NULL;
  self->key_origin = key_id != NULL ? key_origin : CRADLE_DEVICE_KEY_ORIGIN_NONE;
  return self;
}

const char *
cradle_device_cert_get_store (CradleDeviceCert *self)
{
  g_return_val_if_fail (CRADLE_IS_DEVICE_CERT (self), NULL);
  return self->store;
}

const char *
cradle_device_cert_get_scope (CradleDeviceCert *self)
{
  g_return_val_if_fail (CRADLE_IS_DEVICE_CERT (self), NULL);
  return self->scope;
}

GBytes *
cradle_device_cert_get_der (CradleDeviceCert *self)
{
  g_return_val_if_fail (CRADLE_IS_DEVICE_CERT (self), NULL);
  return self->der;
}

/* Returns: (nullable): the key id, when the device holds the certificate's key */
GBytes *
cradle_device_cert_get_key_id (CradleDeviceCert *self)
{
  g_return_val_if_fail (CRADLE_IS_DEVICE_CERT (self), NULL);
  return self->key_id;
}

/* Where the certificate's key came from: NONE when the device holds none. */
CradleDeviceKeyOrigin
cradle_device_cert_get_key_origin (CradleDeviceCert *self)
{
  g_return_val_if_fail (CRADLE_IS_DEVICE_CERT (self), CRADLE_DEVICE_KEY_ORIGIN_NONE);
  return self->key_origin;
}

const char *
cradle_device_key_origin_to_string (CradleDeviceKeyOrigin origin)
{
  switch (origin)
    {
    case CRADLE_DEVICE_KEY_ORIGIN_GENERATED: return "generated";
    case CRADLE_DEVICE_KEY_ORIGIN_IMPORTED: return "imported";
    case CRADLE_DEVICE_KEY_ORIGIN_UNKNOWN: return "unknown";
    case CRADLE_DEVICE_KEY_ORIGIN_NONE:
    default:
      return NULL;
    }
}
