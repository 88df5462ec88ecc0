/* cradle-agent-store-file.c: the stores file format, and CradleAgentCert */
#include "config.h"

#include <cradle/cradle.h>

#include "agent/cradle-agent-key-file-private.h"
#include "agent/cradle-agent-store-file-private.h"

enum {
  FIELD_VERSION = 1,
  FIELD_CERTS = 2,
};

enum {
  CERT_STORE = 1,
  CERT_SCOPE,
  CERT_DER,
  CERT_KEY_ID,
};

CradleAgentCert *
cradle_agent_cert_new (const char *store,
                       const char *scope,
                       GBytes     *der,
                       GBytes     *key_id)
{
  CradleAgentCert *cert;

  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (scope != NULL, NULL);
  g_return_val_if_fail (der != NULL, NULL);

  cert = g_new0 (CradleAgentCert, 1);
  cert->store = g_strdup (store);
  cert->scope = g_strdup (scope);
  cert->der = g_bytes_ref (der);
  cert->key_id = key_id != NULL ? g_bytes_ref (key_id) : NULL;
  return cert;
}

void
cradle_agent_cert_free (CradleAgentCert *cert)
{
  if (cert == NULL)
    return;
  g_free (cert->store);
  g_free (cert->scope);
  g_clear_pointer (&cert->der, g_bytes_unref);
  g_clear_pointer (&cert->key_id, g_bytes_unref);
  g_free (cert);
}

CradleAgentCert *
cradle_agent_cert_copy (const CradleAgentCert *cert)
{
  return cradle_agent_cert_new (cert->store, cert->scope, cert->der, cert->key_id);
}

gboolean
cradle_agent_cert_same_place (const CradleAgentCert *a,
                              const CradleAgentCert *b)
{
  return g_str_equal (a->store, b->store)
         && g_str_equal (a->scope, b->scope)
         && g_bytes_equal (a->der, b->der);
}

gboolean
cradle_agent_store_name_valid (const char *store)
{
  return g_strcmp0 (store, "MY") == 0 || g_strcmp0 (store, "CA") == 0 || g_strcmp0 (store, "Root") == 0;
}

gboolean
cradle_agent_scope_name_valid (const char *scope)
{
  return g_strcmp0 (scope, "user") == 0 || g_strcmp0 (scope, "system") == 0;
}

static CradleAgentCert *
decode_cert (const CradleCborValue  *item,
             gsize                   index,
             GError                **error)
{
  g_autoptr(GBytes) der = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *store = NULL;
  const char *scope = NULL;

  if (cradle_cbor_value_get_type (item) != CRADLE_CBOR_MAP)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "certificate %" G_GSIZE_FORMAT " is not a map", index + 1);
      return NULL;
    }
  if (!cradle_cbor_map_get_text (item, CERT_STORE, FALSE, &store, &local_error)
      || !cradle_cbor_map_get_text (item, CERT_SCOPE, FALSE, &scope, &local_error)
      || !cradle_cbor_map_get_bytes (item, CERT_DER, FALSE, &der, &local_error)
      || !cradle_cbor_map_get_bytes (item, CERT_KEY_ID, TRUE, &key_id, &local_error))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "certificate %" G_GSIZE_FORMAT " is malformed", index + 1);
      return NULL;
    }
  if (!cradle_agent_store_name_valid (store) || !cradle_agent_scope_name_valid (scope)
      || g_bytes_get_size (der) == 0
      || (key_id != NULL && (g_bytes_get_size (key_id) != CRADLE_AGENT_KEY_ID_SIZE
                             || !g_str_equal (store, "MY"))))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "certificate %" G_GSIZE_FORMAT " has a wrong store, scope or key id", index + 1);
      return NULL;
    }
  /* The certificates themselves were checked when they were installed. */
  return cradle_agent_cert_new (store, scope, der, key_id);
}

GPtrArray *
cradle_agent_store_file_decode (GBytes  *contents,
                                GError **error)
{
  g_autoptr(CradleCborValue) map = NULL;
  g_autoptr(GPtrArray) certs = NULL;
  g_autoptr(GError) local_error = NULL;
  const CradleCborValue *array = NULL;
  guint64 version = 0;
  gsize count;

  map = cradle_agent_file_decode_map (contents, error);
  if (map == NULL)
    return NULL;
  if (!cradle_cbor_map_get_uint (map, FIELD_VERSION, FALSE, &version, &local_error)
      || !cradle_cbor_map_get_array (map, FIELD_CERTS, FALSE, &array, &local_error))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "its version or certificate list is missing");
      return NULL;
    }
  if (version != CRADLE_AGENT_STORES_VERSION)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "it has format %" G_GUINT64_FORMAT ", and this agent reads format %d only",
                   version, CRADLE_AGENT_STORES_VERSION);
      return NULL;
    }

  count = cradle_cbor_value_get_length (array);
  certs = g_ptr_array_new_full (count, (GDestroyNotify) cradle_agent_cert_free);
  for (gsize i = 0; i < count; i++)
    {
      CradleAgentCert *cert = decode_cert (cradle_cbor_array_get (array, i), i, error);

      if (cert == NULL)
        return NULL;
      g_ptr_array_add (certs, cert);
    }
  return g_steal_pointer (&certs);
}

GBytes *
cradle_agent_store_file_encode (GPtrArray  *certs,
                                GError    **error)
{
  g_autoptr(CradleCborWriter) writer = cradle_cbor_writer_new ();
  g_autoptr(GBytes) contents = NULL;

  if (certs->len > CRADLE_AGENT_STORES_MAX_CERTS)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The stores can hold at most %d certificates in all",
                   CRADLE_AGENT_STORES_MAX_CERTS);
      return NULL;
    }

  cradle_cbor_writer_map (writer, 2);
  cradle_cbor_writer_uint (writer, FIELD_VERSION);
  cradle_cbor_writer_uint (writer, CRADLE_AGENT_STORES_VERSION);
  cradle_cbor_writer_uint (writer, FIELD_CERTS);
  cradle_cbor_writer_array (writer, certs->len);
  for (guint i = 0; i < certs->len; i++)
    {
      const CradleAgentCert *cert = g_ptr_array_index (certs, i);

      cradle_cbor_writer_map (writer, cert->key_id != NULL ? 4 : 3);
      cradle_cbor_writer_uint (writer, CERT_STORE);
      cradle_cbor_writer_text (writer, cert->store);
      cradle_cbor_writer_uint (writer, CERT_SCOPE);
      cradle_cbor_writer_text (writer, cert->scope);
      cradle_cbor_writer_uint (writer, CERT_DER);
      cradle_cbor_writer_bytes (writer, g_bytes_get_data (cert->der, NULL), g_bytes_get_size (cert->der));
      if (cert->key_id != NULL)
        {
          cradle_cbor_writer_uint (writer, CERT_KEY_ID);
          cradle_cbor_writer_bytes (writer, g_bytes_get_data (cert->key_id, NULL),
                                    g_bytes_get_size (cert->key_id));
        }
    }
  contents = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
  if (g_bytes_get_size (contents) > CRADLE_AGENT_STORES_MAX_SIZE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The certificates would take %" G_GSIZE_FORMAT " bytes, more than the %d the stores file may hold",
                   g_bytes_get_size (contents), CRADLE_AGENT_STORES_MAX_SIZE);
      return NULL;
    }
  return g_steal_pointer (&contents);
}
