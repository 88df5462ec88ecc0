/* cradle-device-async.c: CradleDevice's operations without blocking
 *
 * Each call packs its arguments, runs the blocking operation in a worker
 * thread and hands the result back through GTask.
 */
#include "config.h"

#include <cradle/cradle.h>

typedef enum {
  OP_OPEN,
  OP_GENERATE_KEY,
  OP_SIGN_REQUEST,
  OP_SIGN,
  OP_DECRYPT,
  OP_LIST_CERTS,
  OP_INSTALL,
  OP_DELETE_KEY,
  OP_DELETE_CERT,
} DeviceOp;

typedef struct {
  DeviceOp   op;
  /* Arguments */
  char      *text1;       /* key type, store */
  char      *text2;       /* profile, scope, digest */
  GBytes    *bytes1;      /* key id */
  GBytes    *bytes2;      /* request info, sha256 */
  GPtrArray *certs;
  guint      number;      /* purpose */
  gsize      size;        /* key size */
  /* Results */
  GBytes    *out_bytes;   /* key id, signature */
  GBytes    *out_bytes2;  /* public key */
  char      *out_text;    /* algorithm */
  GPtrArray *out_certs;
  guint      out_count;
} DeviceCall;

static void
device_call_free (DeviceCall *call)
{
  g_free (call->text1);
  g_free (call->text2);
  g_clear_pointer (&call->bytes1, g_bytes_unref);
  g_clear_pointer (&call->bytes2, g_bytes_unref);
  g_clear_pointer (&call->certs, g_ptr_array_unref);
  g_clear_pointer (&call->out_bytes, g_bytes_unref);
  g_clear_pointer (&call->out_bytes2, g_bytes_unref);
  g_free (call->out_text);
  g_clear_pointer (&call->out_certs, g_ptr_array_unref);
  g_free (call);
}

static gboolean
run_call (CradleDevice  *device,
          DeviceCall    *call,
          GCancellable  *cancellable,
          GError       **error)
{
  switch (call->op)
    {
    case OP_OPEN:
      return cradle_device_open (device, cancellable, error);
    case OP_GENERATE_KEY:
      call->out_bytes = cradle_device_generate_key (device, call->text1, call->text2, &call->out_bytes2,
                                                    cancellable, error);
      return call->out_bytes != NULL;
    case OP_SIGN_REQUEST:
      call->out_bytes = cradle_device_sign_request (device, call->bytes1, call->bytes2, call->text2,
                                                    &call->out_text, cancellable, error);
      return call->out_bytes != NULL;
    case OP_SIGN:
      call->out_bytes = cradle_device_sign (device, call->bytes1, (CradleDeviceSignPurpose) call->number,
                                            call->bytes2, call->text2, &call->out_text, cancellable, error);
      return call->out_bytes != NULL;
    case OP_DECRYPT:
      call->out_bytes = cradle_device_decrypt (device, call->bytes1, (CradleDeviceDecryptPurpose) call->number,
                                               call->bytes2, call->size, cancellable, error);
      return call->out_bytes != NULL;
    case OP_LIST_CERTS:
      call->out_certs = cradle_device_list_certs (device, call->text1, call->text2, cancellable, error);
      return call->out_certs != NULL;
    case OP_INSTALL:
      return cradle_device_install (device, call->certs, &call->out_count, cancellable, error);
    case OP_DELETE_KEY:
      return cradle_device_delete_key (device, call->bytes1, cancellable, error);
    case OP_DELETE_CERT:
      return cradle_device_delete_cert (device, call->text1, call->text2, call->bytes2, cancellable, error);
    default:
      g_assert_not_reached ();
    }
}

static void
call_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;

  if (run_call (source_object, task_data, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
start_call (CradleDevice        *self,
            DeviceCall          *call,
            gpointer             source_tag,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, call, (GDestroyNotify) device_call_free);
  g_task_run_in_thread (task, call_thread);
}

/* The finished call, or %NULL with @error set. */
static DeviceCall *
finish_call (CradleDevice  *self,
             GAsyncResult  *result,
             gpointer       source_tag,
             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  return g_task_get_task_data (G_TASK (result));
}

static DeviceCall *
new_call (DeviceOp op)
{
  DeviceCall *call = g_new0 (DeviceCall, 1);

  call->op = op;
  return call;
}

void
cradle_device_open_async (CradleDevice        *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_return_if_fail (CRADLE_IS_DEVICE (self));
  start_call (self, new_call (OP_OPEN), cradle_device_open_async, cancellable, callback, user_data);
}

gboolean
cradle_device_open_finish (CradleDevice  *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  return finish_call (self, result, cradle_device_open_async, error) != NULL;
}

void
cradle_device_generate_key_async (CradleDevice        *self,
                                  const char          *key_type,
                                  const char          *profile,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  DeviceCall *call;

  g_return_if_fail (CRADLE_IS_DEVICE (self));
  call = new_call (OP_GENERATE_KEY);
  call->text1 = g_strdup (key_type);
  call->text2 = g_strdup (profile);
  start_call (self, call, cradle_device_generate_key_async, cancellable, callback, user_data);
}

GBytes *
cradle_device_generate_key_finish (CradleDevice  *self,
                                   GAsyncResult  *result,
                                   GBytes       **public_key_info,
                                   GError       **error)
{
  DeviceCall *call = finish_call (self, result, cradle_device_generate_key_async, error);

  if (call == NULL)
    return NULL;
  if (public_key_info != NULL)
    *public_key_info = g_bytes_ref (call->out_bytes2);
  return g_bytes_ref (call->out_bytes);
}

void
cradle_device_sign_request_async (CradleDevice        *self,
                                  GBytes              *key_id,
                                  GBytes              *request_info,
                                  const char          *digest,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  DeviceCall *call;

  g_return_if_fail (CRADLE_IS_DEVICE (self));
  call = new_call (OP_SIGN_REQUEST);
  call->bytes1 = g_bytes_ref (key_id);
  call->bytes2 = g_bytes_ref (request_info);
  call->text2 = g_strdup (digest);
  start_call (self, call, cradle_device_sign_request_async, cancellable, callback, user_data);
}

GBytes *
cradle_device_sign_request_finish (CradleDevice  *self,
                                   GAsyncResult  *result,
                                   char         **algorithm,
                                   GError       **error)
{
  DeviceCall *call = finish_call (self, result, cradle_device_sign_request_async, error);

  if (call == NULL)
    return NULL;
  if (algorithm != NULL)
    *algorithm = g_strdup (call->out_text);
  return g_bytes_ref (call->out_bytes);
}

void
cradle_device_sign_async (CradleDevice            *self,
                          GBytes                  *key_id,
                          CradleDeviceSignPurpose  purpose,
                          GBytes                  *data,
                          const char              *digest,
                          GCancellable            *cancellable,
                          GAsyncReadyCallback      callback,
                          gpointer                 user_data)
{
  DeviceCall *call;

  g_return_if_fail (CRADLE_IS_DEVICE (self));
  call = new_call (OP_SIGN);
  call->bytes1 = g_bytes_ref (key_id);
  call->number = purpose;
  call->bytes2 = g_bytes_ref (data);
  call->text2 = g_strdup (digest);
  start_call (self, call, cradle_device_sign_async, cancellable, callback, user_data);
}

GBytes *
cradle_device_sign_finish (CradleDevice  *self,
                           GAsyncResult  *result,
                           char         **algorithm,
                           GError       **error)
{
  DeviceCall *call = finish_call (self, result, cradle_device_sign_async, error);

  if (call == NULL)
    return NULL;
  if (algorithm != NULL)
    *algorithm = g_strdup (call->out_text);
  return g_bytes_ref (call->out_bytes);
}

void
cradle_device_decrypt_async (CradleDevice               *self,
                             GBytes                     *key_id,
                             CradleDeviceDecryptPurpose  purpose,
                             GBytes                     *encrypted_key,
                             gsize                       key_size,
                             GCancellable               *cancellable,
                             GAsyncReadyCallback         callback,
                             gpointer                    user_data)
{
  DeviceCall *call;

  g_return_if_fail (CRADLE_IS_DEVICE (self));
  call = new_call (OP_DECRYPT);
  call->bytes1 = g_bytes_ref (key_id);
  call->number = purpose;
  call->bytes2 = g_bytes_ref (encrypted_key);
  call->size = key_size;
  start_call (self, call, cradle_device_decrypt_async, cancellable, callback, user_data);
}

GBytes *
cradle_device_decrypt_finish (CradleDevice  *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  DeviceCall *call = finish_call (self, result, cradle_device_decrypt_async, error);

  return call != NULL ? g_bytes_ref (call->out_bytes) : NULL;
}

void
cradle_device_list_certs_async (CradleDevice        *self,
                                const char          *store,
                                const char          *scope,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  DeviceCall *call;

  g_return_if_fail (CRADLE_IS_DEVICE (self));
  call = new_call (OP_LIST_CERTS);
  call->text1 = g_strdup (store);
  call->text2 = g_strdup (scope);
  start_call (self, call, cradle_device_list_certs_async, cancellable, callback, user_data);
}

GPtrArray *
cradle_device_list_certs_finish (CradleDevice  *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  DeviceCall *call = finish_call (self, result, cradle_device_list_certs_async, error);

  return call != NULL ? g_ptr_array_ref (call->out_certs) : NULL;
}

void
cradle_device_install_async (CradleDevice        *self,
                             GPtrArray           *certs,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  DeviceCall *call;

  g_return_if_fail (CRADLE_IS_DEVICE (self));
  call = new_call (OP_INSTALL);
  call->certs = g_ptr_array_ref (certs);
  start_call (self, call, cradle_device_install_async, cancellable, callback, user_data);
}

gboolean
cradle_device_install_finish (CradleDevice  *self,
                              GAsyncResult  *result,
                              guint         *added,
                              GError       **error)
{
  DeviceCall *call = finish_call (self, result, cradle_device_install_async, error);

  if (call == NULL)
    return FALSE;
  if (added != NULL)
    *added = call->out_count;
  return TRUE;
}

void
cradle_device_delete_key_async (CradleDevice        *self,
                                GBytes              *key_id,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  DeviceCall *call;

  g_return_if_fail (CRADLE_IS_DEVICE (self));
  call = new_call (OP_DELETE_KEY);
  call->bytes1 = g_bytes_ref (key_id);
  start_call (self, call, cradle_device_delete_key_async, cancellable, callback, user_data);
}

gboolean
cradle_device_delete_key_finish (CradleDevice  *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  return finish_call (self, result, cradle_device_delete_key_async, error) != NULL;
}

void
cradle_device_delete_cert_async (CradleDevice        *self,
                                 const char          *store,
                                 const char          *scope,
                                 GBytes              *sha256,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  DeviceCall *call;

  g_return_if_fail (CRADLE_IS_DEVICE (self));
  call = new_call (OP_DELETE_CERT);
  call->text1 = g_strdup (store);
  call->text2 = g_strdup (scope);
  call->bytes2 = g_bytes_ref (sha256);
  start_call (self, call, cradle_device_delete_cert_async, cancellable, callback, user_data);
}

gboolean
cradle_device_delete_cert_finish (CradleDevice  *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  return finish_call (self, result, cradle_device_delete_cert_async, error) != NULL;
}
