/* cradle-ca-connector.c: what every CA connector shares — settings, the HTTP
 * client they configure, and running the blocking calls on a thread */
#include "config.h"


#include "ca/cradle-ca-connector-private.h"
#include "base/cradle-openssl-private.h"

typedef struct
{
  CradleCaProtocol protocol;

  /* Owned */
  char       *url;
  CradleHttp *http;
  char       *user;
  char       *password;  /* wiped */
} CradleCaConnectorPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (CradleCaConnector, cradle_ca_connector, G_TYPE_OBJECT)

static void
cradle_ca_connector_finalize (GObject *object)
{
  CradleCaConnectorPrivate *priv =
    cradle_ca_connector_get_instance_private (CRADLE_CA_CONNECTOR (object));

  g_clear_pointer (&priv->url, g_free);
  g_clear_pointer (&priv->http, cradle_http_free);
  g_clear_pointer (&priv->user, g_free);
  g_clear_pointer (&priv->password, cradle_secret_free);

  G_OBJECT_CLASS (cradle_ca_connector_parent_class)->finalize (object);
}

static void
cradle_ca_connector_real_prepare (CradleCaConnector *self)
{
  CradleCaConnectorPrivate *priv = cradle_ca_connector_get_instance_private (self);

  cradle_http_prepare_trust (priv->http, priv->url);
}

/* A server that has no more to say than its CA certificates. */
static gboolean
cradle_ca_connector_real_describe (CradleCaConnector   *self,
                                   CradleCaDescription *description,
                                   GCancellable        *cancellable,
                                   GError             **error)
{
  g_autoptr(GPtrArray) certificates = NULL;

  certificates = CRADLE_CA_CONNECTOR_GET_CLASS (self)->dup_ca_certificates (self, cancellable, error);
  if (certificates == NULL)
    return FALSE;
  for (guint i = 0; i < certificates->len; i++)
    g_ptr_array_add (description->certificates, g_object_ref (g_ptr_array_index (certificates, i)));
  return TRUE;
}

static void
cradle_ca_connector_class_init (CradleCaConnectorClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cradle_ca_connector_finalize;
  klass->prepare = cradle_ca_connector_real_prepare;
  klass->describe = cradle_ca_connector_real_describe;
}

static void
cradle_ca_connector_init (CradleCaConnector *self)
{
  CradleCaConnectorPrivate *priv = cradle_ca_connector_get_instance_private (self);

  priv->http = cradle_http_new ();
}

void
cradle_ca_connector_init_kind (CradleCaConnector *self,
                               CradleCaProtocol   protocol,
                               const char        *url)
{
  CradleCaConnectorPrivate *priv = cradle_ca_connector_get_instance_private (self);

  priv->protocol = protocol;
  g_free (priv->url);
  priv->url = g_strdup (url);
}

CradleHttp *
cradle_ca_connector_get_http (CradleCaConnector *self)
{
  CradleCaConnectorPrivate *priv = cradle_ca_connector_get_instance_private (self);

  return priv->http;
}

const char *
cradle_ca_connector_get_user (CradleCaConnector *self)
{
  CradleCaConnectorPrivate *priv = cradle_ca_connector_get_instance_private (self);

  return priv->user;
}

const char *
cradle_ca_connector_get_password (CradleCaConnector *self)
{
  CradleCaConnectorPrivate *priv = cradle_ca_connector_get_instance_private (self);

  return priv->password;
}

CradleCaProtocol
cradle_ca_connector_get_protocol (CradleCaConnector *self)
{
  CradleCaConnectorPrivate *priv;

  g_return_val_if_fail (CRADLE_IS_CA_CONNECTOR (self), CRADLE_CA_PROTOCOL_CERTSRV);
  priv = cradle_ca_connector_get_instance_private (self);
  return priv->protocol;
}

const char *
cradle_ca_connector_get_url (CradleCaConnector *self)
{
  CradleCaConnectorPrivate *priv;

  g_return_val_if_fail (CRADLE_IS_CA_CONNECTOR (self), NULL);
  priv = cradle_ca_connector_get_instance_private (self);
  return priv->url;
}

/* ---- settings ------------------------------------------------------------ */

void
cradle_ca_connector_set_kerberos (CradleCaConnector *self,
                                  const char        *ccache_name)
{
  g_return_if_fail (CRADLE_IS_CA_CONNECTOR (self));
  cradle_http_set_negotiate (cradle_ca_connector_get_http (self), ccache_name);
}

void
cradle_ca_connector_set_password (CradleCaConnector *self,
                                  const char        *user,
                                  const char        *password)
{
  CradleCaConnectorPrivate *priv;

  g_return_if_fail (CRADLE_IS_CA_CONNECTOR (self));
  g_return_if_fail (user != NULL && password != NULL);

  priv = cradle_ca_connector_get_instance_private (self);
  g_free (priv->user);
  priv->user = g_strdup (user);
  g_clear_pointer (&priv->password, cradle_secret_free);
  priv->password = g_strdup (password);
  cradle_http_set_basic (priv->http, user, password);
}

void
cradle_ca_connector_set_client_certificate (CradleCaConnector *self,
                                            const char        *certificate_file,
                                            const char        *key_file)
{
  g_return_if_fail (CRADLE_IS_CA_CONNECTOR (self));
  cradle_http_set_client_certificate (cradle_ca_connector_get_http (self),
                                      certificate_file, key_file);
}

void
cradle_ca_connector_add_trust_anchors (CradleCaConnector *self,
                                       const char        *pem_file)
{
  g_return_if_fail (CRADLE_IS_CA_CONNECTOR (self));
  cradle_http_add_trust_anchors (cradle_ca_connector_get_http (self), pem_file);
}

void
cradle_ca_connector_set_allow_plain_http (CradleCaConnector *self,
                                          gboolean           allow)
{
  g_return_if_fail (CRADLE_IS_CA_CONNECTOR (self));
  cradle_http_set_allow_plain_http (cradle_ca_connector_get_http (self), allow);
}

void
cradle_ca_connector_set_timeout (CradleCaConnector *self,
                                 guint              seconds)
{
  g_return_if_fail (CRADLE_IS_CA_CONNECTOR (self));
  cradle_http_set_timeout (cradle_ca_connector_get_http (self), seconds);
}

void
cradle_ca_connector_set_max_response_size (CradleCaConnector *self,
                                           gsize              bytes)
{
  g_return_if_fail (CRADLE_IS_CA_CONNECTOR (self));
  cradle_http_set_max_response_size (cradle_ca_connector_get_http (self), bytes);
}

/* ---- operations ---------------------------------------------------------- */

void
cradle_ca_connector_prepare (CradleCaConnector *self)
{
  g_return_if_fail (CRADLE_IS_CA_CONNECTOR (self));

  CRADLE_CA_CONNECTOR_GET_CLASS (self)->prepare (self);
}

CradleCaAnswer *
cradle_ca_connector_submit (CradleCaConnector  *self,
                            CradleCaRequest    *request,
                            GCancellable       *cancellable,
                            GError            **error)
{
  g_return_val_if_fail (CRADLE_IS_CA_CONNECTOR (self), NULL);
  g_return_val_if_fail (CRADLE_IS_CA_REQUEST (request), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return CRADLE_CA_CONNECTOR_GET_CLASS (self)->submit (self, request, cancellable, error);
}

CradleCaAnswer *
cradle_ca_connector_retrieve (CradleCaConnector  *self,
                              CradleCaRequest    *request,
                              const char         *request_id,
                              const char         *retrieve_uri,
                              GCancellable       *cancellable,
                              GError            **error)
{
  g_return_val_if_fail (CRADLE_IS_CA_CONNECTOR (self), NULL);
  g_return_val_if_fail (CRADLE_IS_CA_REQUEST (request), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return CRADLE_CA_CONNECTOR_GET_CLASS (self)->retrieve (self, request, request_id,
                                                          retrieve_uri, cancellable, error);
}

GPtrArray *
cradle_ca_connector_dup_ca_certificates (CradleCaConnector  *self,
                                         GCancellable       *cancellable,
                                         GError            **error)
{
  g_return_val_if_fail (CRADLE_IS_CA_CONNECTOR (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return CRADLE_CA_CONNECTOR_GET_CLASS (self)->dup_ca_certificates (self, cancellable, error);
}

/* ---- what the server says of itself ---------------------------------------- */

void
cradle_ca_connector_init_description (CradleCaDescription *description)
{
  *description = (CradleCaDescription) { 0 };
  description->certificates = g_ptr_array_new_with_free_func (g_object_unref);
}

void
cradle_ca_connector_clear_description (CradleCaDescription *description)
{
  g_clear_pointer (&description->certificates, g_ptr_array_unref);
  g_clear_pointer (&description->capabilities, g_free);
  g_clear_pointer (&description->ca_fingerprint, g_free);
  g_clear_object (&description->policy);
}

gboolean
cradle_ca_connector_describe (CradleCaConnector   *self,
                              CradleCaDescription *description,
                              GCancellable        *cancellable,
                              GError             **error)
{
  g_return_val_if_fail (CRADLE_IS_CA_CONNECTOR (self), FALSE);
  g_return_val_if_fail (description != NULL && description->certificates != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return CRADLE_CA_CONNECTOR_GET_CLASS (self)->describe (self, description, cancellable, error);
}

/* ---- on a thread --------------------------------------------------------- */

/* What a call on a thread needs; the task's source tag says which call. */
typedef struct
{
  CradleCaRequest *request;
  char            *request_id;
  char            *retrieve_uri;
} CallData;

static void
call_data_free (CallData *data)
{
  g_clear_object (&data->request);
  g_free (data->request_id);
  g_free (data->retrieve_uri);
  g_free (data);
}

static void
call_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  CallData *data = task_data;
  GError *error = NULL;
  CradleCaAnswer *answer;

  if (g_task_get_source_tag (task) == cradle_ca_connector_retrieve_async)
    answer = cradle_ca_connector_retrieve (source_object, data->request, data->request_id,
                                           data->retrieve_uri, cancellable, &error);
  else
    answer = cradle_ca_connector_submit (source_object, data->request, cancellable, &error);
  if (answer == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, answer, g_object_unref);
}

static void
call_in_thread (CradleCaConnector   *self,
                CradleCaRequest     *request,
                const char          *request_id,
                const char          *retrieve_uri,
                gpointer             source_tag,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  CallData *data = g_new0 (CallData, 1);

  data->request = g_object_ref (request);
  data->request_id = g_strdup (request_id);
  data->retrieve_uri = g_strdup (retrieve_uri);
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, data, (GDestroyNotify) call_data_free);
  g_task_run_in_thread (task, call_thread);
}

void
cradle_ca_connector_submit_async (CradleCaConnector   *self,
                                  CradleCaRequest     *request,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_return_if_fail (CRADLE_IS_CA_CONNECTOR (self));
  g_return_if_fail (CRADLE_IS_CA_REQUEST (request));

  call_in_thread (self, request, NULL, NULL, cradle_ca_connector_submit_async,
                  cancellable, callback, user_data);
}

CradleCaAnswer *
cradle_ca_connector_submit_finish (CradleCaConnector  *self,
                                   GAsyncResult       *result,
                                   GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
cradle_ca_connector_retrieve_async (CradleCaConnector   *self,
                                    CradleCaRequest     *request,
                                    const char          *request_id,
                                    const char          *retrieve_uri,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (CRADLE_IS_CA_CONNECTOR (self));
  g_return_if_fail (CRADLE_IS_CA_REQUEST (request));

  call_in_thread (self, request, request_id, retrieve_uri, cradle_ca_connector_retrieve_async,
                  cancellable, callback, user_data);
}

CradleCaAnswer *
cradle_ca_connector_retrieve_finish (CradleCaConnector  *self,
                                     GAsyncResult       *result,
                                     GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
