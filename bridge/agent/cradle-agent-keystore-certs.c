/* cradle-agent-keystore-certs.c: the certificate stores (MY, CA, Root; user, system)
 *
 * Every change builds a new list, writes it to the stores file in one atomic
 * step and only then replaces the list in memory, so a failure at any point
 * leaves both as they were.
 */
#include "config.h"

#include <cradle/cradle.h>

#include "base/cradle-digest-private.h"
#include "agent/cradle-agent-atomic-private.h"
#include "agent/cradle-agent-keystore-private.h"
#include "agent/cradle-agent-store-file-private.h"

static gboolean
check_names (const char  *store,
             const char  *scope,
             GError     **error)
{
  if (store != NULL && !cradle_agent_store_name_valid (store))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "There is no store '%s'; the stores are MY, CA and Root", store);
      return FALSE;
    }
  if (scope != NULL && !cradle_agent_scope_name_valid (scope))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "There is no scope '%s'; the scopes are user and system", scope);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_writable (CradleAgentKeystore  *self,
                const char           *store,
                const char           *scope,
                GError              **error)
{
  if (g_str_equal (scope, "system") && !self->privileged)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
                   "Changing the system %s store needs the agent to run privileged", store);
      return FALSE;
    }
  return TRUE;
}

/* Writes @certs as the new stores file and, once that worked, adopts them. */
static gboolean
commit (CradleAgentKeystore  *self,
        GPtrArray            *certs,
        GError              **error)
{
  g_autoptr(GBytes) contents = cradle_agent_store_file_encode (certs, error);

  if (contents == NULL || !cradle_agent_atomic_write (self->stores_path, contents, 0600, error))
    return FALSE;
  g_ptr_array_unref (self->certs);
  self->certs = g_ptr_array_ref (certs);
  return TRUE;
}

static GPtrArray *
copy_certs (GPtrArray *certs)
{
  GPtrArray *copy = g_ptr_array_new_full (certs->len, (GDestroyNotify) cradle_agent_cert_free);

  for (guint i = 0; i < certs->len; i++)
    g_ptr_array_add (copy, cradle_agent_cert_copy (g_ptr_array_index (certs, i)));
  return copy;
}

/**
 * cradle_agent_keystore_list:
 * @self: a #CradleAgentKeystore
 * @store: (nullable): "MY", "CA" or "Root"; %NULL for all
 * @scope: (nullable): "user" or "system"; %NULL for both
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type CradleAgentCert): copies of the
 *   matching certificates, in the order they were installed
 */
GPtrArray *
cradle_agent_keystore_list (CradleAgentKeystore  *self,
                            const char           *store,
                            const char           *scope,
                            GError              **error)
{
  g_autoptr(GPtrArray) matches = NULL;

  g_return_val_if_fail (CRADLE_IS_AGENT_KEYSTORE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_names (store, scope, error))
    return NULL;
  matches = g_ptr_array_new_with_free_func ((GDestroyNotify) cradle_agent_cert_free);
  for (guint i = 0; i < self->certs->len; i++)
    {
      const CradleAgentCert *cert = g_ptr_array_index (self->certs, i);

      CradleAgentCert *copy;

      if ((store != NULL && !g_str_equal (store, cert->store))
          || (scope != NULL && !g_str_equal (scope, cert->scope)))
        continue;
      copy = cradle_agent_cert_copy (cert);
      /* Where the key came from, read from its sealed file each time. */
      if (copy->key_id != NULL)
        {
          g_autoptr(CradleAgentKeyFile) key_file = cradle_agent_keystore_load_key (self, copy->key_id, NULL);

          copy->key_origin = key_file != NULL ? key_file->origin : CRADLE_AGENT_KEY_ORIGIN_UNKNOWN;
        }
      g_ptr_array_add (matches, copy);
    }
  return g_steal_pointer (&matches);
}

gboolean
cradle_agent_keystore_trusts_root (CradleAgentKeystore *self,
                                   GBytes              *der)
{
  g_return_val_if_fail (CRADLE_IS_AGENT_KEYSTORE (self), FALSE);
  g_return_val_if_fail (der != NULL, FALSE);

  for (guint i = 0; i < self->certs->len; i++)
    {
      const CradleAgentCert *cert = g_ptr_array_index (self->certs, i);

      if (g_str_equal (cert->store, "Root") && g_bytes_equal (cert->der, der))
        return TRUE;
    }
  return FALSE;
}

/* Whether @item is already in its store, bound to the key it names:
 * installing it again changes nothing. */
static gboolean
already_bound (CradleAgentKeystore    *self,
               const CradleAgentCert  *item)
{
  for (guint i = 0; i < self->certs->len; i++)
    {
      const CradleAgentCert *cert = g_ptr_array_index (self->certs, i);

      if (cradle_agent_cert_same_place (cert, item) && cert->key_id != NULL
          && g_bytes_equal (cert->key_id, item->key_id))
        return TRUE;
    }
  return FALSE;
}

/* The MY certificate bound to @key_id, or NULL. */
static CradleAgentCert *
bound_to (GPtrArray *certs,
          GBytes    *key_id)
{
  for (guint i = 0; i < certs->len; i++)
    {
      CradleAgentCert *cert = g_ptr_array_index (certs, i);

      if (g_str_equal (cert->store, "MY") && cert->key_id != NULL && g_bytes_equal (cert->key_id, key_id))
        return cert;
    }
  return NULL;
}

/* Whether the enrolled key is in a renewal of its own certificate with the
 * same key, which its user confirmed within CRADLE_AGENT_RENEWAL_DAYS: then
 * the new certificate takes the old one's place on it. */
static gboolean
renews_same_key (CradleAgentKeystore      *self,
                 const CradleAgentKeyFile *key_file,
                 CradleAgentKeyState       state)
{
  const CradleAgentCert *old = bound_to (self->certs, key_file->key_id);
  g_autoptr(GBytes) old_sha256 = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (state != CRADLE_AGENT_KEY_ENROLLED || old == NULL || key_file->mark_renews == NULL)
    return FALSE;
  old_sha256 = cradle_digest_sha256 (old->der);
  return g_bytes_equal (old_sha256, key_file->mark_renews) && now >= 0
         && key_file->mark_confirmed <= (guint64) now
         && (guint64) now - key_file->mark_confirmed <= (guint64) CRADLE_AGENT_RENEWAL_DAYS * 24 * 3600;
}

/* The key exists, is made (a key is enrolled once) or renews its own
 * certificate, and the certificate is for it. */
static gboolean
check_binding (CradleAgentKeystore    *self,
               const CradleAgentCert  *item,
               X509                   *x509,
               GError                **error)
{
  GBytes *key_id = item->key_id;
  CradleAgentKeyState state;
  g_autoptr(CradleAgentKeyFile) key_file = NULL;
  g_autoptr(EVP_PKEY) public_key = NULL;
  g_autoptr(GError) local_error = NULL;

  key_file = cradle_agent_keystore_load_key (self, key_id, &local_error);
  if (key_file == NULL && g_error_matches (local_error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND))
    {
      /* A request naming a missing key is invalid, not a lookup that failed. */
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, local_error->message);
      return FALSE;
    }
  if (key_file == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  state = cradle_agent_keystore_key_state (self, key_file);
  if (state != CRADLE_AGENT_KEY_MADE && !already_bound (self, item) && !renews_same_key (self, key_file, state))
    {
      g_autofree char *hex = cradle_agent_keystore_key_id_hex (key_id);

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
                   "The key %s is %s; a certificate can be bound only to a key still in the "
                   "enrollment it was made for, once. Enroll a new key instead",
                   hex, cradle_agent_key_state_to_string (state));
      return FALSE;
    }
  public_key = cradle_agent_crypto_public_parse (key_file->public_key, error);
  if (public_key == NULL)
    return FALSE;
  if (EVP_PKEY_eq (public_key, X509_get0_pubkey (x509)) != 1)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The certificate is not for the key it is to be bound to");
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_item (CradleAgentKeystore    *self,
            const CradleAgentCert  *item,
            GError                **error)
{
  g_autoptr(X509) x509 = NULL;

  if (item == NULL || item->store == NULL || item->scope == NULL || item->der == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "A store, a scope and a certificate are needed");
      return FALSE;
    }
  if (!check_names (item->store, item->scope, error))
    return FALSE;
  x509 = cradle_agent_crypto_parse_certificate (item->der, error);
  if (x509 == NULL)
    return FALSE;
  if (item->key_id != NULL && !g_str_equal (item->store, "MY"))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "Only certificates in MY can be bound to a key, not in %s", item->store);
      return FALSE;
    }
  if (item->key_id != NULL && !check_binding (self, item, x509, error))
    return FALSE;
  return check_writable (self, item->store, item->scope, error);
}

/**
 * cradle_agent_keystore_install:
 * @self: a #CradleAgentKeystore
 * @certs: (element-type CradleAgentCert): the batch
 * @added: (out) (optional): how many certificates were new
 * @error: return location for a #GError
 *
 * Checks every item, then writes them all in one atomic step; if any item
 * fails nothing changes. A certificate already in its store is skipped (a
 * key id given for it binds it, if it was not bound yet). A key id binds a
 * certificate only to a made key, which then is enrolled: one certificate
 * per key, never a second one, except in a renewal with the same key its
 * user confirmed, where the new certificate takes the key and the old one
 * stays unbound. Each key that gets its certificate loses its renewal mark.
 * The stores hold at most 1,024 certificates in all.
 */
gboolean
cradle_agent_keystore_install (CradleAgentKeystore  *self,
                               GPtrArray            *certs,
                               guint                *added,
                               GError              **error)
{
  g_autoptr(GPtrArray) next = NULL;
  g_autoptr(GPtrArray) enrolled = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  gboolean changed = FALSE;
  guint new_count = 0;

  g_return_val_if_fail (CRADLE_IS_AGENT_KEYSTORE (self), FALSE);
  g_return_val_if_fail (certs != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  for (guint i = 0; i < certs->len; i++)
    {
      const CradleAgentCert *item = g_ptr_array_index (certs, i);

      if (!check_item (self, item, error))
        {
          g_prefix_error (error, "Nothing was installed, because of certificate %u of %u. ", i + 1, certs->len);
          return FALSE;
        }
      if (item->key_id == NULL || already_bound (self, item))
        continue;
      /* One certificate per key, in a batch too. */
      for (guint j = 0; j < enrolled->len; j++)
        if (g_bytes_equal (g_ptr_array_index (enrolled, j), item->key_id))
          {
            g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
                         "Nothing was installed, because of certificate %u of %u. It binds a second "
                         "certificate to a key; a key has one", i + 1, certs->len);
            return FALSE;
          }
      g_ptr_array_add (enrolled, g_bytes_ref (item->key_id));
    }

  next = copy_certs (self->certs);
  for (guint i = 0; i < certs->len; i++)
    {
      const CradleAgentCert *item = g_ptr_array_index (certs, i);
      CradleAgentCert *present = NULL;

      for (guint j = 0; j < next->len && present == NULL; j++)
        if (cradle_agent_cert_same_place (g_ptr_array_index (next, j), item))
          present = g_ptr_array_index (next, j);

      /* A renewal with the same key: the new certificate takes the key, the
       * old one stays in MY without it, for the host to delete. */
      if (item->key_id != NULL)
        {
          CradleAgentCert *previous = bound_to (next, item->key_id);

          if (previous != NULL && !cradle_agent_cert_same_place (previous, item))
            g_clear_pointer (&previous->key_id, g_bytes_unref);
        }
      if (present == NULL)
        {
          g_ptr_array_add (next, cradle_agent_cert_copy (item));
          new_count++;
          changed = TRUE;
        }
      else if (present->key_id == NULL && item->key_id != NULL)
        {
          present->key_id = g_bytes_ref (item->key_id);
          changed = TRUE;
        }
      else if (item->key_id != NULL && !g_bytes_equal (present->key_id, item->key_id))
        {
          g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                               "Nothing was installed: a certificate in the batch is already bound "
                               "to another key");
          return FALSE;
        }
    }

  if (next->len > CRADLE_AGENT_STORES_MAX_CERTS)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The device's stores hold at most %d certificates in all; they have %u and "
                   "this batch adds %u. Delete certificates that are no longer needed first",
                   CRADLE_AGENT_STORES_MAX_CERTS, self->certs->len, new_count);
      return FALSE;
    }
  if (changed && !commit (self, next, error))
    return FALSE;

  /* The binding made these keys enrolled already; their files say so too,
   * for the day the certificate is gone. */
  for (guint i = 0; i < enrolled->len; i++)
    {
      g_autoptr(CradleAgentKeyFile) key_file = NULL;
      g_autoptr(GError) local_error = NULL;

      key_file = cradle_agent_keystore_load_key (self, g_ptr_array_index (enrolled, i), &local_error);
      /* Its renewal, if it was in one, is complete: the mark goes. */
      if (key_file != NULL && (key_file->state == CRADLE_AGENT_KEY_MADE || key_file->mark_renews != NULL))
        {
          key_file->state = CRADLE_AGENT_KEY_ENROLLED;
          cradle_agent_key_file_clear_mark (key_file);
          if (!cradle_agent_keystore_save_key (self, key_file, &local_error))
            g_assert (local_error != NULL);
        }
      if (local_error != NULL)
        g_warning ("The certificate was installed, but its key's state was not recorded "
                   "(the binding still holds it enrolled): %s", local_error->message);
    }
  if (added != NULL)
    *added = new_count;
  return TRUE;
}

/* The certificate @store, @scope and @sha256 name, or NULL. */
static const CradleAgentCert *
find_cert (CradleAgentKeystore *self,
           const char          *store,
           const char          *scope,
           GBytes              *sha256)
{
  for (guint i = 0; i < self->certs->len; i++)
    {
      const CradleAgentCert *cert = g_ptr_array_index (self->certs, i);
      g_autoptr(GBytes) fingerprint = NULL;

      if (!g_str_equal (cert->store, store) || !g_str_equal (cert->scope, scope))
        continue;
      fingerprint = cradle_digest_sha256 (cert->der);
      if (g_bytes_equal (fingerprint, sha256))
        return cert;
    }
  return NULL;
}

GBytes *
cradle_agent_keystore_find_cert (CradleAgentKeystore  *self,
                                 const char           *store,
                                 const char           *scope,
                                 GBytes               *sha256,
                                 GBytes              **key_id)
{
  const CradleAgentCert *cert;

  g_return_val_if_fail (CRADLE_IS_AGENT_KEYSTORE (self), NULL);

  if (key_id != NULL)
    *key_id = NULL;
  if (store == NULL || scope == NULL || sha256 == NULL || (cert = find_cert (self, store, scope, sha256)) == NULL)
    return NULL;
  if (key_id != NULL && cert->key_id != NULL)
    *key_id = g_bytes_ref (cert->key_id);
  return g_bytes_ref (cert->der);
}

/* The enrolled key that deleting @cert retires, or NULL. */
static CradleAgentKeyFile *
key_to_retire (CradleAgentKeystore    *self,
               const CradleAgentCert  *cert)
{
  g_autoptr(CradleAgentKeyFile) key_file = NULL;

  if (cert->key_id == NULL)
    return NULL;
  /* A missing or damaged key file leaves nothing that could be used. */
  key_file = cradle_agent_keystore_load_key (self, cert->key_id, NULL);
  if (key_file == NULL || cradle_agent_keystore_key_state (self, key_file) != CRADLE_AGENT_KEY_ENROLLED)
    return NULL;
  return g_steal_pointer (&key_file);
}

gboolean
cradle_agent_keystore_delete_cert_retires (CradleAgentKeystore  *self,
                                           const char           *store,
                                           const char           *scope,
                                           GBytes               *sha256,
                                           GBytes              **der)
{
  const CradleAgentCert *cert;
  g_autoptr(CradleAgentKeyFile) key_file = NULL;

  g_return_val_if_fail (CRADLE_IS_AGENT_KEYSTORE (self), FALSE);

  if (store == NULL || scope == NULL || sha256 == NULL)
    return FALSE;
  cert = find_cert (self, store, scope, sha256);
  if (cert == NULL || (key_file = key_to_retire (self, cert)) == NULL)
    return FALSE;
  if (der != NULL)
    *der = g_bytes_ref (cert->der);
  return TRUE;
}

gboolean
cradle_agent_keystore_delete_cert (CradleAgentKeystore  *self,
                                   const char           *store,
                                   const char           *scope,
                                   GBytes               *sha256,
                                   gboolean              confirmed,
                                   GError              **error)
{
  g_autoptr(GPtrArray) next = NULL;
  g_autoptr(CradleAgentKeyFile) retired = NULL;
  const CradleAgentCert *target;

  g_return_val_if_fail (CRADLE_IS_AGENT_KEYSTORE (self), FALSE);
  g_return_val_if_fail (store != NULL && scope != NULL && sha256 != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_names (store, scope, error))
    return FALSE;
  if (g_bytes_get_size (sha256) != 32)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "A SHA-256 fingerprint is 32 bytes; this one is %" G_GSIZE_FORMAT,
                   g_bytes_get_size (sha256));
      return FALSE;
    }
  if (!check_writable (self, store, scope, error))
    return FALSE;
  target = find_cert (self, store, scope, sha256);
  if (target == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                   "The %s %s store has no certificate with that SHA-256 fingerprint", scope, store);
      return FALSE;
    }

  /* The key goes first: a crash after this leaves the certificate with a
   * retired key, never a key usable again without its certificate. */
  retired = key_to_retire (self, target);
  if (retired != NULL)
    {
      if (!confirmed)
        {
          g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
                               "Deleting this certificate retires its key for good, which needs the "
                               "device user's yes");
          return FALSE;
        }
      retired->state = CRADLE_AGENT_KEY_RETIRED;
      if (!cradle_agent_keystore_save_key (self, retired, error))
        return FALSE;
    }

  next = g_ptr_array_new_full (self->certs->len, (GDestroyNotify) cradle_agent_cert_free);
  for (guint i = 0; i < self->certs->len; i++)
    if (g_ptr_array_index (self->certs, i) != target)
      g_ptr_array_add (next, cradle_agent_cert_copy (g_ptr_array_index (self->certs, i)));
  return commit (self, next, error);
}
