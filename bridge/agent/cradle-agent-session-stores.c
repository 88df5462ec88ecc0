/* cradle-agent-session-stores.c: a session's requests on the stores and keys
 *
 * LIST_CERTS, INSTALL, IMPORT_KEY, DELETE_KEY and DELETE_CERT, served for
 * an authenticated host (cradle-agent-session.c checks that before it
 * hands them here), each asking the device's user where the rules of
 * docs/bridge-protocol.md section 4.1 say so.
 */
#include "config.h"

#include <string.h>
#include <cradle/cradle.h>

#include <openssl/crypto.h>

#include "agent/cradle-agent-keystore-private.h"
#include "agent/cradle-agent-prompt-private.h"
#include "agent/cradle-agent-session-private.h"
#include "base/cradle-error-private.h"
#include "protocol/cradle-bridge-message-private.h"

GBytes *
_cradle_agent_session_handle_list_certs (CradleAgentSession     *session,
                                         const CradleCborValue  *request,
                                         GError                **error)
{
  const char *store = NULL;
  const char *scope = NULL;
  g_autoptr(GPtrArray) certs = NULL;
  CradleCborWriter *writer;
  GBytes *payload;

  if (!cradle_cbor_map_get_text (request, 1, TRUE, &store, error) ||
      !cradle_cbor_map_get_text (request, 2, TRUE, &scope, error))
    return NULL;
  certs = cradle_agent_keystore_list (session->config->keystore, store, scope, error);
  if (certs == NULL)
    return NULL;

  writer = cradle_cbor_writer_new ();
  cradle_cbor_writer_map (writer, 1);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_array (writer, certs->len);
  for (guint i = 0; i < certs->len; i++)
    {
      CradleAgentCert *cert = g_ptr_array_index (certs, i);

      cradle_cbor_writer_map (writer, cert->key_id != NULL ? 5 : 3);
      cradle_cbor_writer_uint (writer, 1);
      cradle_cbor_writer_text (writer, cert->store);
      cradle_cbor_writer_uint (writer, 2);
      cradle_cbor_writer_text (writer, cert->scope);
      cradle_cbor_writer_uint (writer, 3);
      cradle_cbor_writer_bytes (writer, g_bytes_get_data (cert->der, NULL), g_bytes_get_size (cert->der));
      if (cert->key_id != NULL)
        {
          cradle_cbor_writer_uint (writer, 4);
          cradle_cbor_writer_bytes (writer, g_bytes_get_data (cert->key_id, NULL),
                                    g_bytes_get_size (cert->key_id));
          /* Where the key came from: everything that shows the key says so. */
          cradle_cbor_writer_uint (writer, 5);
          cradle_cbor_writer_text (writer, cert->key_origin == CRADLE_AGENT_KEY_IMPORTED
                                           ? CRADLE_BRIDGE_KEY_ORIGIN_IMPORTED
                                           : cert->key_origin == CRADLE_AGENT_KEY_GENERATED
                                           ? CRADLE_BRIDGE_KEY_ORIGIN_GENERATED : "unknown");
        }
    }
  payload = _cradle_agent_session_reply (writer);
  if (g_bytes_get_size (payload) > CRADLE_BRIDGE_MAX_PAYLOAD || certs->len > CRADLE_CBOR_MAX_ARRAY_ITEMS)
    {
      g_bytes_unref (payload);
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                           "the list is larger than one frame; ask for one store at a time");
      return NULL;
    }
  return payload;
}

static GPtrArray *
read_install_items (const CradleCborValue  *request,
                    GError                **error)
{
  const CradleCborValue *items = NULL;
  g_autoptr(GPtrArray) certs = g_ptr_array_new_with_free_func ((GDestroyNotify) cradle_agent_cert_free);

  if (!cradle_cbor_map_get_array (request, 1, FALSE, &items, error))
    return NULL;
  if (cradle_cbor_value_get_length (items) == 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "the batch is empty");
      return NULL;
    }
  for (gsize i = 0; i < cradle_cbor_value_get_length (items); i++)
    {
      const CradleCborValue *item = cradle_cbor_array_get (items, i);
      const char *store = NULL, *scope = NULL;
      g_autoptr(GBytes) der = NULL;
      g_autoptr(GBytes) key_id = NULL;

      if (cradle_cbor_value_get_type (item) != CRADLE_CBOR_MAP)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "item %" G_GSIZE_FORMAT " is not a map", i);
          return NULL;
        }
      if (!cradle_cbor_map_get_text (item, 1, FALSE, &store, error) ||
          !cradle_cbor_map_get_text (item, 2, FALSE, &scope, error) ||
          !cradle_cbor_map_get_bytes (item, 3, FALSE, &der, error) ||
          !cradle_cbor_map_get_bytes (item, 4, TRUE, &key_id, error))
        return NULL;
      g_ptr_array_add (certs, cradle_agent_cert_new (store, scope, der, key_id));
    }
  return g_steal_pointer (&certs);
}

GBytes *
_cradle_agent_session_handle_install (CradleAgentSession     *session,
                                      const CradleCborValue  *request,
                                      GError                **error)
{
  g_autoptr(GPtrArray) certs = read_install_items (request, error);
  CradleCborWriter *writer;
  guint added = 0;

  if (certs == NULL)
    return NULL;

  /* A root the device does not trust yet needs its user's yes, fingerprint shown. */
  for (guint i = 0; i < certs->len; i++)
    {
      CradleAgentCert *cert = g_ptr_array_index (certs, i);
      g_autoptr(CradleCertificate) parsed = NULL;
      g_autofree char *prompt = NULL;

      if (g_strcmp0 (cert->store, "Root") != 0 ||
          cradle_agent_keystore_trusts_root (session->config->keystore, cert->der))
        continue;
      parsed = cradle_certificate_new_from_der (cert->der, error);
      if (parsed == NULL)
        return NULL;
      prompt = cradle_agent_prompt_root (cradle_certificate_get_subject (parsed),
                                         cradle_certificate_get_sha256 (parsed));
      if (!_cradle_agent_session_ask_user (session, CRADLE_CONFIRM_ROOT, prompt, error))
        return NULL;
    }

  _cradle_agent_session_send_keepalive (session, CRADLE_BRIDGE_PROCESSING, NULL);
  if (!cradle_agent_keystore_install (session->config->keystore, certs, &added, error))
    return NULL;

  writer = cradle_cbor_writer_new ();
  cradle_cbor_writer_map (writer, 1);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_uint (writer, added);
  return _cradle_agent_session_reply (writer);
}

GBytes *
_cradle_agent_session_handle_import_key (CradleAgentSession     *session,
                                         const CradleCborValue  *request,
                                         GError                **error)
{
  g_autoptr(GBytes) key = NULL;
  g_autoptr(GBytes) certificate = NULL;
  g_autoptr(CradleAgentSecret) pkcs8 = NULL;
  g_autoptr(X509) parsed = NULL;
  g_autoptr(CradleCertificate) shown = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) public_key = NULL;
  g_autofree char *prompt = NULL;
  const char *profile = NULL;
  CradleBridgeSeal *seal;
  CradleCborWriter *writer;
  gboolean stored;
  gsize size = 0;

  if (!cradle_cbor_map_get_bytes (request, 1, FALSE, &key, error) ||
      !cradle_cbor_map_get_bytes (request, 2, FALSE, &certificate, error) ||
      !cradle_cbor_map_get_text (request, 3, TRUE, &profile, error))
    return NULL;
  /* Sizes first, before anything is parsed or allocated for them. */
  if (g_bytes_get_size (key) == 0
      || g_bytes_get_size (key) > CRADLE_BRIDGE_IMPORT_KEY_MAX_SIZE + CRADLE_BRIDGE_IMPORT_NONCE_SIZE
                                  + CRADLE_BRIDGE_IMPORT_TAG_SIZE
      || g_bytes_get_size (certificate) == 0 || g_bytes_get_size (certificate) > CRADLE_BRIDGE_IMPORT_CERT_MAX_SIZE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "an imported key takes at most %d bytes and its certificate at most %d",
                   CRADLE_BRIDGE_IMPORT_KEY_MAX_SIZE, CRADLE_BRIDGE_IMPORT_CERT_MAX_SIZE);
      return NULL;
    }
  /* Decrypted straight into the agent's secure memory, bound to the
   * certificate it came with: nothing else holds it in clear. */
  pkcs8 = cradle_agent_secret_new (CRADLE_BRIDGE_IMPORT_KEY_MAX_SIZE);
  seal = cradle_bridge_transport_get_seal (session->transport);
  if (seal == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_PAIRED, "this session is not authenticated");
      return NULL;
    }
  if (!cradle_bridge_seal_unwrap_import (seal, certificate, key, pkcs8->data, pkcs8->capacity, &size, error))
    return NULL;
  pkcs8->size = size;

  parsed = cradle_agent_keystore_check_import (session->config->keystore, pkcs8, certificate, error);
  if (parsed == NULL)
    return NULL;
  shown = cradle_certificate_new_from_der (certificate, error);
  if (shown == NULL)
    return NULL;
  prompt = cradle_agent_prompt_import (cradle_certificate_get_subject (shown), cradle_certificate_get_issuer (shown),
                                       cradle_certificate_get_sha256 (shown));
  if (!_cradle_agent_session_ask_user (session, CRADLE_CONFIRM_IMPORT_KEY, prompt, error))
    return NULL;

  _cradle_agent_session_send_keepalive (session, CRADLE_BRIDGE_PROCESSING, NULL);
  stored = cradle_agent_keystore_import (session->config->keystore, pkcs8, certificate,
                                         profile != NULL ? profile : "imported", session->host_id,
                                         &key_id, &public_key, error);
  g_clear_pointer (&pkcs8, cradle_agent_secret_free);
  if (!stored)
    return NULL;
  g_info ("Imported a key made elsewhere, for the device user's certificate");

  writer = cradle_cbor_writer_new ();
  cradle_cbor_writer_map (writer, 2);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_bytes (writer, g_bytes_get_data (key_id, NULL), g_bytes_get_size (key_id));
  cradle_cbor_writer_uint (writer, 2);
  cradle_cbor_writer_bytes (writer, g_bytes_get_data (public_key, NULL), g_bytes_get_size (public_key));
  return _cradle_agent_session_reply (writer);
}

GBytes *
_cradle_agent_session_handle_delete_key (CradleAgentSession     *session,
                                         const CradleCborValue  *request,
                                         GError                **error)
{
  g_autoptr(GBytes) key_id = NULL;

  if (!cradle_cbor_map_get_bytes (request, 1, FALSE, &key_id, error) ||
      !cradle_agent_keystore_delete_key (session->config->keystore, key_id, session->host_id, error))
    return NULL;
  return _cradle_agent_session_empty_reply ();
}

GBytes *
_cradle_agent_session_handle_delete_cert (CradleAgentSession     *session,
                                          const CradleCborValue  *request,
                                          GError                **error)
{
  const char *store = NULL, *scope = NULL;
  g_autoptr(GBytes) sha256 = NULL;
  g_autoptr(GBytes) der = NULL;
  g_autoptr(GBytes) key_id = NULL;
  gboolean asked_for = FALSE;
  gboolean retires = FALSE;
  gboolean confirmed = FALSE;

  if (!cradle_cbor_map_get_text (request, 1, FALSE, &store, error) ||
      !cradle_cbor_map_get_text (request, 2, FALSE, &scope, error) ||
      !cradle_cbor_map_get_bytes (request, 3, FALSE, &sha256, error) ||
      !cradle_cbor_map_get_bool (request, 4, TRUE, &asked_for, error))
    return NULL;

  /* The certificate of an enrolled key: deleting it retires the key for
   * good, so the device's user decides, seeing whose certificate it is and
   * that its key goes too.  A root: the user decides what the device
   * trusts, fingerprint shown.  Anything else when the host asks for the
   * user's yes (field 4: a certificate a person removes on purpose). */
  retires = cradle_agent_keystore_delete_cert_retires (session->config->keystore, store, scope, sha256, NULL);
  der = cradle_agent_keystore_find_cert (session->config->keystore, store, scope, sha256, &key_id);
  /* A system store this agent may not change is refused below, unasked. */
  if (der != NULL && (g_strcmp0 (scope, "system") != 0 || session->config->privileged) &&
      (retires || g_strcmp0 (store, "Root") == 0 || asked_for))
    {
      g_autofree char *prompt = cradle_agent_prompt_delete_cert (der, store, retires, key_id, error);

      if (prompt == NULL || !_cradle_agent_session_ask_user (session, CRADLE_CONFIRM_DELETE_CERT, prompt, error))
        return NULL;
      confirmed = retires;
    }
  if (!cradle_agent_keystore_delete_cert (session->config->keystore, store, scope, sha256, confirmed, error))
    return NULL;
  return _cradle_agent_session_empty_reply ();
}
