/* cradle-device-async.c: CradleDevice's operations without blocking
 *
 * Every _async call is the same: its arguments are packed into a DeviceCall,
 * start_call() runs the blocking operation (run_call(), one case per
 * operation) in a worker thread, and the _finish call takes the results out
 * of the finished call. Cancellation and errors are the blocking call's own:
 * the GCancellable is handed to it, and its GError comes back unchanged.
 */
#include "config.h"

#include <string.h>

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
  OP_LOG_IN,
} DeviceOp;

/* What an _async call was given (borrowed; start_call copies it). */
typedef struct {
  const char *text1;       /* key type, store, PIN */
  const char *text2;       /* profile, scope, digest */
  GBytes     *bytes1;      /* key id */
  GBytes     *bytes2;      /* request info, data, encrypted key, sha256 */
  GPtrArray  *certs;
  guint       number;      /* purpose */
  gsize       size;        /* key size */
} DeviceArgs;

typedef struct {
  DeviceOp   op;
  /* Arguments, owned copies of a DeviceArgs */
  char      *text1;
  char      *text2;
  GBytes    *bytes1;
  GBytes    *bytes2;
  GPtrArray *certs;
  guint      number;
  gsize      size;
  /* Results */
  GBytes    *out_bytes;   /* key id, signature, content key */
  GBytes    *out_bytes2;  /* public key */
  char      *out_text;    /* algorithm */
  GPtrArray *out_certs;
  guint      out_count;
} DeviceCall;

static void
device_call_free (DeviceCall *call)
{
  /* OP_LOG_IN's text is a PIN: gone before the memory is given back. */
  if (call->op == OP_LOG_IN && call->text1 != NULL)
    explicit_bzero (call->text1, strlen (call->text1));
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
    case OP_LOG_IN:
      return cradle_device_log_in (device, call->text1, cancellable, error);
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

/* Runs @op with @args in a worker thread; @source_tag is the _async call. */
static void
start_call (CradleDevice        *self,
            DeviceOp             op,
            const DeviceArgs    *args,
            gpointer             source_tag,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  DeviceCall *call = g_new0 (DeviceCall, 1);

  call->op = op;
  call->text1 = g_strdup (args->text1);
  call->text2 = g_strdup (args->text2);
  call->bytes1 = args->bytes1 != NULL ? g_bytes_ref (args->bytes1) : NULL;
  call->bytes2 = args->bytes2 != NULL ? g_bytes_ref (args->bytes2) : NULL;
  call->certs = args->certs != NULL ? g_ptr_array_ref (args->certs) : NULL;
  call->number = args->number;
  call->size = args->size;

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

/* For the calls that answer bytes: those (a new reference), and the public
 * key and the algorithm into @out_bytes2 and @out_text when not %NULL. */
static GBytes *
finish_bytes (CradleDevice  *self,
              GAsyncResult  *result,
              gpointer       source_tag,
              GBytes       **out_bytes2,
              char         **out_text,
              GError       **error)
{
  DeviceCall *call = finish_call (self, result, source_tag, error);

  if (call == NULL)
    return NULL;
  if (out_bytes2 != NULL)
    *out_bytes2 = g_bytes_ref (call->out_bytes2);
  if (out_text != NULL)
    *out_text = g_strdup (call->out_text);
  return g_bytes_ref (call->out_bytes);
}

void
cradle_device_open_async (CradleDevice        *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_return_if_fail (CRADLE_IS_DEVICE (self));
  start_call (self, OP_OPEN, &(DeviceArgs) { 0, }, cradle_device_open_async, cancellable, callback, user_data);
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
  g_return_if_fail (CRADLE_IS_DEVICE (self));
  start_call (self, OP_GENERATE_KEY, &(DeviceArgs) { .text1 = key_type, .text2 = profile },
              cradle_device_generate_key_async, cancellable, callback, user_data);
}

GBytes *
cradle_device_generate_key_finish (CradleDevice  *self,
                                   GAsyncResult  *result,
                                   GBytes       **public_key_info,
                                   GError       **error)
{
  return finish_bytes (self, result, cradle_device_generate_key_async, public_key_info, NULL, error);
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
  g_return_if_fail (CRADLE_IS_DEVICE (self));
  start_call (self, OP_SIGN_REQUEST, &(DeviceArgs) { .bytes1 = key_id, .bytes2 = request_info, .text2 = digest },
              cradle_device_sign_request_async, cancellable, callback, user_data);
}

GBytes *
cradle_device_sign_request_finish (CradleDevice  *self,
                                   GAsyncResult  *result,
                                   char         **algorithm,
                                   GError       **error)
{
  return finish_bytes (self, result, cradle_device_sign_request_async, NULL, algorithm, error);
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
  g_return_if_fail (CRADLE_IS_DEVICE (self));
  start_call (self, OP_SIGN, &(DeviceArgs) { .bytes1 = key_id, .number = purpose, .bytes2 = data, .text2 = digest },
              cradle_device_sign_async, cancellable, callback, user_data);
}

GBytes *
cradle_device_sign_finish (CradleDevice  *self,
                           GAsyncResult  *result,
                           char         **algorithm,
                           GError       **error)
{
  return finish_bytes (self, result, cradle_device_sign_async, NULL, algorithm, error);
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
  g_return_if_fail (CRADLE_IS_DEVICE (self));
  start_call (self, OP_DECRYPT,
              &(DeviceArgs) { .bytes1 = key_id, .number = purpose, .bytes2 = encrypted_key, .size = key_size },
              cradle_device_decrypt_async, cancellable, callback, user_data);
}

GBytes *
cradle_device_decrypt_finish (CradleDevice  *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  return finish_bytes (self, result, cradle_device_decrypt_async, NULL, NULL, error);
}

void
cradle_device_list_certs_async (CradleDevice        *self,
                                const char          *store,
                                const char          *scope,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_return_if_fail (CRADLE_IS_DEVICE (self));
  start_call (self, OP_LIST_CERTS, &(DeviceArgs) { .text1 = store, .text2 = scope },
              cradle_device_list_certs_async, cancellable, callback, user_data);
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
  g_return_if_fail (CRADLE_IS_DEVICE (self));
  start_call (self, OP_INSTALL, &(DeviceArgs) { .certs = certs },
              cradle_device_install_async, cancellable, callback, user_data);
}

gboolean
cradle_device_install_finish (CradleDevice  *self,
                              GAsyncResult  *result,
                              guint         *added,
                              GError       **error)
{
  DeviceCall *call = finish_call (self, result, cradle_device_install_async, error);

  if (call != NULL && added != NULL)
    *added = call->out_count;
  return call != NULL;
}

void
cradle_device_delete_key_async (CradleDevice        *self,
                                GBytes              *key_id,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_return_if_fail (CRADLE_IS_DEVICE (self));
  start_call (self, OP_DELETE_KEY, &(DeviceArgs) { .bytes1 = key_id },
              cradle_device_delete_key_async, cancellable, callback, user_data);
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
  g_return_if_fail (CRADLE_IS_DEVICE (self));
  start_call (self, OP_DELETE_CERT, &(DeviceArgs) { .text1 = store, .text2 = scope, .bytes2 = sha256 },
              cradle_device_delete_cert_async, cancellable, callback, user_data);
}

gboolean
cradle_device_delete_cert_finish (CradleDevice  *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  return finish_call (self, result, cradle_device_delete_cert_async, error) != NULL;
}

/* @pin is copied for the worker and the copy wiped when the call is done;
 * the caller wipes its own. */
void
cradle_device_log_in_async (CradleDevice        *self,
                            const char          *pin,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (CRADLE_IS_DEVICE (self));
  start_call (self, OP_LOG_IN, &(DeviceArgs) { .text1 = pin }, cradle_device_log_in_async, cancellable, callback,
              user_data);
}

gboolean
cradle_device_log_in_finish (CradleDevice  *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  return finish_call (self, result, cradle_device_log_in_async, error) != NULL;
}
