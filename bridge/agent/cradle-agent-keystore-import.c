/* cradle-agent-keystore-import.c: IMPORT_KEY, a key made elsewhere
 *
 * A PFX/P12 file's key was made outside the device, so it arrives from the
 * host once and is stored like a key GENERATE_KEY makes (made, for a
 * certification request, owned by the host that imported it), but marked
 * imported, a mark sealed with the key (cradle-agent-key-file-private.h).
 * It must not stand beside a key the device holds: the same public key as
 * any key on the device, in any state, is refused, so an import can neither
 * replace nor shadow a key, nor revive a retired one.
 */
#include "config.h"

#include <string.h>
#include <cradle/cradle.h>

#include "agent/cradle-agent-atomic-private.h"
#include "agent/cradle-agent-keystore-private.h"

/* The key type of @pkey among those the device holds, or NULL. */
static const char *
key_type_of (EVP_PKEY *pkey)
{
  const char * const *types = cradle_agent_keystore_key_types ();

  for (guint i = 0; types[i] != NULL; i++)
    if (cradle_agent_crypto_key_is_type (pkey, types[i]))
      return types[i];
  return NULL;
}

static gboolean
holds_public_key (const CradleAgentKeyFile *key_file,
                  gconstpointer             data)
{
  return g_bytes_equal (key_file->public_key, data);
}

/* Whether any key file on the device holds @public_key. A file that does
 * not decode holds no usable key, and is passed over. */
static gboolean
device_holds (CradleAgentKeystore *self,
              GBytes              *public_key)
{
  g_autoptr(CradleAgentKeyFile) key_file = _cradle_agent_keystore_find_key (self, holds_public_key, public_key);

  return key_file != NULL;
}

/* The key in @pkcs8, of a known type, and its public key. */
static EVP_PKEY *
parse_key (const CradleAgentSecret  *pkcs8,
           const char              **key_type,
           GBytes                  **public_key,
           GError                  **error)
{
  g_autoptr(EVP_PKEY) pkey = NULL;
  g_autoptr(GError) local_error = NULL;

  if (pkcs8->size == 0 || pkcs8->size > CRADLE_AGENT_IMPORT_KEY_MAX_SIZE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "An imported key is 1 to %d bytes of PKCS#8; this one is %" G_GSIZE_FORMAT,
                   CRADLE_AGENT_IMPORT_KEY_MAX_SIZE, pkcs8->size);
      return NULL;
    }
  pkey = cradle_agent_crypto_private_parse (pkcs8, &local_error);
  if (pkey == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The imported key is not a DER PKCS#8 private key");
      return NULL;
    }
  *key_type = key_type_of (pkey);
  if (*key_type == NULL)
    {
      g_autofree char *known = g_strjoinv (", ", (char **) cradle_agent_keystore_key_types ());

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "This device holds %s keys only; the imported key is of another type or size", known);
      return NULL;
    }
  *public_key = cradle_agent_crypto_public_der (pkey, error);
  if (*public_key == NULL)
    return NULL;
  return g_steal_pointer (&pkey);
}

static gboolean
check_certificate (X509     *x509,
                   GBytes   *public_key,
                   GError  **error)
{
  g_autofree guint8 *der = NULL;
  int size = i2d_X509_PUBKEY (X509_get_X509_PUBKEY (x509), &der);

  if (size <= 0 || (gsize) size != g_bytes_get_size (public_key) ||
      memcmp (der, g_bytes_get_data (public_key, NULL), (gsize) size) != 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The certificate is not for the imported key: its public key is another");
      return FALSE;
    }
  return TRUE;
}

X509 *
cradle_agent_keystore_check_import (CradleAgentKeystore     *self,
                                    const CradleAgentSecret *pkcs8,
                                    GBytes                  *certificate_der,
                                    GError                 **error)
{
  g_autoptr(EVP_PKEY) pkey = NULL;
  g_autoptr(GBytes) public_key = NULL;
  g_autoptr(X509) x509 = NULL;
  const char *key_type = NULL;

  g_return_val_if_fail (CRADLE_IS_AGENT_KEYSTORE (self), NULL);
  g_return_val_if_fail (pkcs8 != NULL && certificate_der != NULL, NULL);

  pkey = parse_key (pkcs8, &key_type, &public_key, error);
  if (pkey == NULL)
    return NULL;
  g_clear_pointer (&pkey, EVP_PKEY_free);
  x509 = cradle_agent_crypto_parse_certificate (certificate_der, error);
  if (x509 == NULL || !check_certificate (x509, public_key, error))
    return NULL;
  if (device_holds (self, public_key))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
                           "This device already holds this key; an imported key never stands beside, "
                           "replaces or shadows a key of the device");
      return NULL;
    }
  return g_steal_pointer (&x509);
}

gboolean
cradle_agent_keystore_import (CradleAgentKeystore     *self,
                              const CradleAgentSecret *pkcs8,
                              GBytes                  *certificate_der,
                              const char              *profile,
                              GBytes                  *host_id,
                              GBytes                 **key_id,
                              GBytes                 **public_key_info,
                              GError                 **error)
{
  g_autoptr(X509) x509 = NULL;
  g_autoptr(EVP_PKEY) pkey = NULL;
  g_autoptr(GBytes) public_key = NULL;
  g_autoptr(CradleAgentSecret) normal = NULL;
  g_autoptr(GBytes) id = NULL;
  const char *key_type = NULL;

  g_return_val_if_fail (CRADLE_IS_AGENT_KEYSTORE (self), FALSE);
  g_return_val_if_fail (profile != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (host_id == NULL || g_bytes_get_size (host_id) != CRADLE_AGENT_HOST_ID_SIZE)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
                           "Only a paired computer may import a key");
      return FALSE;
    }
  if (strlen (profile) > CRADLE_AGENT_PROFILE_MAX_SIZE || !g_utf8_validate (profile, -1, NULL))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The profile must be UTF-8 text of at most %d bytes", CRADLE_AGENT_PROFILE_MAX_SIZE);
      return FALSE;
    }
  /* Checked again: the folder lock makes the check and the write one step. */
  x509 = cradle_agent_keystore_check_import (self, pkcs8, certificate_der, error);
  if (x509 == NULL)
    return FALSE;
  pkey = parse_key (pkcs8, &key_type, &public_key, error);
  if (pkey == NULL)
    return FALSE;
  /* Stored as the device encodes keys: nothing of the file's encoding
   * (attributes, a public key copy) comes along. */
  normal = cradle_agent_crypto_private_der (pkey, error);
  if (normal == NULL)
    return FALSE;
  g_clear_pointer (&pkey, EVP_PKEY_free);

  id = _cradle_agent_keystore_store_new_key (self, key_type, profile, NULL, public_key, CRADLE_AGENT_ENROLLMENT_REQUEST,
                                            host_id, CRADLE_AGENT_KEY_IMPORTED, normal, error);
  if (id == NULL)
    return FALSE;
  g_clear_pointer (&normal, cradle_agent_secret_free);

  g_debug ("Imported a %s key for '%s'", key_type, profile);
  if (key_id != NULL)
    *key_id = g_steal_pointer (&id);
  if (public_key_info != NULL)
    *public_key_info = g_steal_pointer (&public_key);
  return TRUE;
}
