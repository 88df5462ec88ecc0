/* cradle-cert-file-install.c: a certificate file onto a device, all or nothing
 *
 * One INSTALL carries the whole file (the agent's INSTALL is atomic across
 * stores): the end-entity certificate into MY bound to its key, CAs into
 * CA, roots into Root, all "user". A PFX's key first goes to the device
 * with IMPORT_KEY (its user confirms), and is wiped here at once; should the
 * INSTALL then fail (a root declined on the device, say), that key is
 * deleted again, so nothing of the file stays. An end-entity certificate
 * of a CER or P7B goes to MY only bound to a key the device holds: the key
 * of a MY certificate it holds already (the same public key), or one it made
 * for a request of this host still waiting for its certificate (the pending
 * store). Without one the file is refused before anything is sent.
 */
#include "config.h"

#include <openssl/err.h>

#include "base/cradle-openssl-private.h"
#include "engine/cradle-cert-file-private.h"

static GBytes *
public_key_of_certificate (CradleCertificate *certificate)
{
  GBytes *der = cradle_certificate_get_der (certificate);
  const guint8 *p = g_bytes_get_data (der, NULL);
  g_autoptr(X509) x509 = d2i_X509 (NULL, &p, (long) g_bytes_get_size (der));
  unsigned char *spki = NULL;
  int size;

  if (x509 == NULL)
    return NULL;
  size = i2d_X509_PUBKEY (X509_get_X509_PUBKEY (x509), &spki);
  return size > 0 ? cradle_openssl_take_der (spki, size) : NULL;
}

static GBytes *
public_key_of_request (GBytes *csr)
{
  const guint8 *p;
  g_autoptr(X509_REQ) req = NULL;
  unsigned char *spki = NULL;
  int size;

  if (csr == NULL)
    return NULL;
  p = g_bytes_get_data (csr, NULL);
  req = d2i_X509_REQ (NULL, &p, (long) g_bytes_get_size (csr));
  if (req == NULL)
    {
      ERR_clear_error ();
      return NULL;
    }
  size = i2d_X509_PUBKEY (X509_REQ_get_X509_PUBKEY (req), &spki);
  return size > 0 ? cradle_openssl_take_der (spki, size) : NULL;
}

/* The key on the device for @certificate, or NULL. */
static GBytes *
find_device_key (CradleDevice       *device,
                 GPtrArray          *held,
                 CradlePendingStore *pending,
                 CradleCertificate  *certificate)
{
  g_autoptr(GBytes) spki = public_key_of_certificate (certificate);

  if (spki == NULL)
    return NULL;
  for (guint i = 0; i < held->len; i++)
    {
      CradleDeviceCert *cert = g_ptr_array_index (held, i);
      g_autoptr(CradleCertificate) parsed = NULL;
      g_autoptr(GBytes) held_spki = NULL;

      if (cradle_device_cert_get_key_id (cert) == NULL)
        continue;
      parsed = cradle_certificate_new_from_der (cradle_device_cert_get_der (cert), NULL);
      if (parsed != NULL)
        held_spki = public_key_of_certificate (parsed);
      if (held_spki != NULL && g_bytes_equal (held_spki, spki))
        return g_bytes_ref (cradle_device_cert_get_key_id (cert));
    }
  if (pending != NULL)
    {
      g_autoptr(GPtrArray) requests = cradle_pending_store_list (pending, CRADLE_PENDING_LIST_UNFINISHED, NULL);

      for (guint i = 0; requests != NULL && i < requests->len; i++)
        {
          CradlePendingRequest *request = g_ptr_array_index (requests, i);
          g_autoptr(GBytes) request_spki = NULL;

          if (g_strcmp0 (cradle_pending_request_get_device_serial (request), cradle_device_get_serial (device)) != 0)
            continue;
          request_spki = public_key_of_request (cradle_pending_request_get_csr (request));
          if (request_spki != NULL && g_bytes_equal (request_spki, spki))
            return g_bytes_ref (cradle_pending_request_get_key_id (request));
        }
    }
  return NULL;
}

static gboolean
install (CradleCertFile     *self,
         CradleDevice       *device,
         CradlePendingStore *pending,
         guint              *added,
         GCancellable       *cancellable,
         GError            **error)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) held = NULL;
  g_autoptr(GBytes) imported = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean needs_device_key = FALSE;

  if (!cradle_device_is_paired (device))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_PAIRED,
                   "The device %s does not trust this computer yet: pair it first "
                   "(cradlectl devices --pair), then install %s.", cradle_device_get_id (device), self->name);
      return FALSE;
    }
  for (guint i = 0; i < self->certificates->len; i++)
    if (g_array_index (self->roles, CradleCertRole, i) == CRADLE_CERT_ROLE_END_ENTITY
        && (int) i != self->key_certificate)
      needs_device_key = TRUE;
  if (needs_device_key)
    {
      held = cradle_device_list_certs (device, "MY", "user", cancellable, error);
      if (held == NULL)
        return FALSE;
    }

  /* Everything is decided before anything is sent. */
  for (guint i = 0; i < self->certificates->len; i++)
    {
      CradleCertificate *certificate = g_ptr_array_index (self->certificates, i);
      CradleCertRole role = g_array_index (self->roles, CradleCertRole, i);
      g_autoptr(GBytes) key_id = NULL;

      if (role == CRADLE_CERT_ROLE_END_ENTITY && (int) i != self->key_certificate)
        {
          key_id = find_device_key (device, held, pending, certificate);
          if (key_id == NULL)
            {
              g_autofree char *subject = cradle_text_escape (cradle_certificate_get_subject (certificate), -1,
                                                             CRADLE_TEXT_ESCAPE_DEFAULT);

              g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                           "%s holds the certificate \"%s\", which is not a CA's, but the device holds "
                           "no key for it, so it would be of no use there. Install the PFX/P12 file "
                           "with its key instead, or remove that certificate from the file. Nothing "
                           "was installed.", self->name, subject);
              return FALSE;
            }
        }
      g_ptr_array_add (items, cradle_device_cert_new (cradle_cert_role_to_store (role), "user",
                                                      cradle_certificate_get_der (certificate), key_id));
    }

  if (self->key != NULL && self->key_certificate >= 0)
    {
      CradleCertificate *certificate = g_ptr_array_index (self->certificates, self->key_certificate);
      g_autofree char *profile = g_strdup_printf ("imported from %s", self->name);
      CradleDeviceCert *item = g_ptr_array_index (items, self->key_certificate);

      imported = cradle_device_import_key (device, self->key, self->key_size,
                                           cradle_certificate_get_der (certificate), profile, cancellable, error);
      /* Sent or refused, the key has no more use here. */
      cradle_cert_file_clear_key (self);
      if (imported == NULL)
        {
          g_prefix_error (error, "The key of %s was not imported: ", self->name);
          return FALSE;
        }
      g_ptr_array_index (items, self->key_certificate)
        = cradle_device_cert_new_full ("MY", "user", cradle_device_cert_get_der (item), imported,
                                       CRADLE_DEVICE_KEY_ORIGIN_IMPORTED);
      g_object_unref (item);
    }

  if (cradle_device_install (device, items, added, cancellable, &local_error))
    return TRUE;

  /* Nothing of the file stays: the key just imported goes again. */
  if (imported != NULL)
    {
      g_autoptr(GError) delete_error = NULL;

      if (!cradle_device_delete_key (device, imported, NULL, &delete_error))
        g_warning ("The key imported from %s could not be deleted from the device again: %s",
                   self->name, delete_error->message);
    }
  g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "%s was not installed, nothing of it: ",
                              self->name);
  return FALSE;
}

gboolean
cradle_cert_file_install (CradleCertFile     *self,
                          CradleDevice       *device,
                          CradlePendingStore *pending,
                          guint              *added,
                          GCancellable       *cancellable,
                          GError            **error)
{
  gboolean ok;

  g_return_val_if_fail (CRADLE_IS_CERT_FILE (self), FALSE);
  g_return_val_if_fail (CRADLE_IS_DEVICE (device), FALSE);
  g_return_val_if_fail (pending == NULL || CRADLE_IS_PENDING_STORE (pending), FALSE);

  if (added != NULL)
    *added = 0;
  ok = install (self, device, pending, added, cancellable, error);
  /* Whatever happened, the key is not kept. */
  cradle_cert_file_clear_key (self);
  return ok;
}

typedef struct {
  CradleDevice       *device;
  CradlePendingStore *pending;
} InstallData;

static void
install_data_free (InstallData *data)
{
  g_clear_object (&data->device);
  g_clear_object (&data->pending);
  g_free (data);
}

static void
install_thread (GTask        *task,
                gpointer      source,
                gpointer      task_data,
                GCancellable *cancellable)
{
  InstallData *data = task_data;
  GError *error = NULL;
  guint added = 0;

  if (cradle_cert_file_install (CRADLE_CERT_FILE (source), data->device, data->pending, &added, cancellable, &error))
    g_task_return_int (task, added);
  else
    g_task_return_error (task, error);
}

void
cradle_cert_file_install_async (CradleCertFile      *self,
                                CradleDevice        *device,
                                CradlePendingStore  *pending,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  InstallData *data;

  g_return_if_fail (CRADLE_IS_CERT_FILE (self));
  g_return_if_fail (CRADLE_IS_DEVICE (device));

  data = g_new0 (InstallData, 1);
  data->device = g_object_ref (device);
  data->pending = pending != NULL ? g_object_ref (pending) : NULL;
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cradle_cert_file_install_async);
  g_task_set_task_data (task, data, (GDestroyNotify) install_data_free);
  g_task_run_in_thread (task, install_thread);
}

gboolean
cradle_cert_file_install_finish (CradleCertFile  *self,
                                 GAsyncResult    *result,
                                 guint           *added,
                                 GError         **error)
{
  gssize count;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  count = g_task_propagate_int (G_TASK (result), error);
  if (count < 0)
    return FALSE;
  if (added != NULL)
    *added = (guint) count;
  return TRUE;
}
