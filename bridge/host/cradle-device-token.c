/* cradle-device-token.c: a PKCS#11 token behind the device API
 *
 * A CradleDevice of transport "pkcs11" holds a CradleToken instead of a
 * bridge transport; every public operation of the other cradle-device*.c
 * files hands its work to the _cradle_device_token_* call of the same name
 * here.  What differs from an agent:
 * - the PIN is the token's confirmation, given with cradle_device_log_in()
 *   (a key used before it is AUTH_FAILED with the PIN_REQUIRED detail);
 *   there is no pairing: a token is always "paired";
 * - the key id is the key's CKA_ID (16 random bytes), or on a PIV token
 *   the slot's id carried as 16 bytes, "PIV-SLOT", seven zero bytes and
 *   ykcs11's id (cradle-piv-private.h);
 * - the stores are views of the token's certificate objects: "MY" those
 *   whose CKA_ID has a private key (category user), "CA" the authority
 *   certificates (category 2) that are not self-signed, "Root" those that
 *   are; all of scope "user";
 * - INSTALL writes every new object before it removes anything, and on a
 *   failure destroys what it wrote in that call (best effort) and says so.
 * The token's own calls are serialised by its lock; nothing here holds the
 * device's.
 */
#include "config.h"

#include <string.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cradle/cradle.h>

#include "base/cradle-openssl-private.h"
#include "pkcs11/cradle-piv-private.h"
#include "host/cradle-device-private.h"

#define PIN_PAD_PROMPT "Enter the PIN on the token's pinpad"

/* ---- which modules ------------------------------------------------------ */

static GMutex modules_lock;
static gboolean modules_chosen;

void
cradle_device_set_pkcs11_modules (const char * const *paths,
                                  gboolean            use_registered)
{
  g_mutex_lock (&modules_lock);
  modules_chosen = TRUE;
  cradle_token_set_modules (paths, use_registered);
  g_mutex_unlock (&modules_lock);
}

/* cradle.conf's [Tokens] Modules= and UseP11Kit=, unless the program chose. */
void
_cradle_device_token_ensure_modules (void)
{
  g_mutex_lock (&modules_lock);
  if (!modules_chosen)
    {
      g_auto(GStrv) paths = cradle_settings_dup_token_modules ();

      modules_chosen = TRUE;
      cradle_token_set_modules ((const char * const *) paths, cradle_settings_get_token_use_p11kit ());
    }
  g_mutex_unlock (&modules_lock);
}

/* ---- the device --------------------------------------------------------- */

CradleDevice *
_cradle_device_new_for_token (CradleToken *token)
{
  CradleDevice *self = g_object_new (CRADLE_TYPE_DEVICE, NULL);

  self->token = g_object_ref (token);
  return self;
}

GPtrArray *
_cradle_device_token_enumerate (GCancellable *cancellable)
{
  g_autoptr(GPtrArray) devices = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) tokens = NULL;
  g_autoptr(GError) error = NULL;

  _cradle_device_token_ensure_modules ();
  tokens = cradle_token_enumerate (cancellable, &error);
  if (tokens == NULL)
    {
      /* Tokens are one kind of device among others: the rest still count. */
      g_debug ("No tokens listed: %s", error->message);
      return g_steal_pointer (&devices);
    }
  for (guint i = 0; i < tokens->len; i++)
    g_ptr_array_add (devices, _cradle_device_new_for_token (g_ptr_array_index (tokens, i)));
  return g_steal_pointer (&devices);
}

/**
 * cradle_device_new_for_pkcs11_uri:
 * @uri: a "pkcs11:" URI naming a token (RFC 7512)
 *
 * Returns: (transfer full): the token as a device, not opened yet
 */
CradleDevice *
cradle_device_new_for_pkcs11_uri (const char    *uri,
                                  GCancellable  *cancellable,
                                  GError       **error)
{
  g_autoptr(CradleToken) token = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (uri != NULL, NULL);

  _cradle_device_token_ensure_modules ();
  token = cradle_token_find (uri, cancellable, &local_error);
  if (token != NULL)
    return _cradle_device_new_for_token (token);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  {
    g_autofree char *shown = cradle_text_escape (uri, -1, CRADLE_TEXT_ESCAPE_DEFAULT);

    g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                 "No token matching %s is present. Insert the token or smart card, check that its "
                 "PKCS#11 module is loaded (p11-kit's modules, [Tokens] Modules= in cradle.conf, or "
                 "--pkcs11-module), and retry; 'cradlectl devices' lists the tokens found.", shown);
  }
  return NULL;
}

/* What the token says of itself, now that its session is open. */
static void
read_token_info (CradleDevice *self)
{
  g_autoptr(GPtrArray) features = g_ptr_array_new_with_free_func (g_free);
  const char * const *types = cradle_token_get_key_types (self->token);
  gboolean rsa = FALSE;

  for (guint i = 0; types != NULL && types[i] != NULL; i++)
    rsa = rsa || g_str_has_prefix (types[i], "rsa");
  /* SCEP needs a key that decrypts the CA's answer: RSA with CKM_RSA_PKCS. */
  if (rsa && cradle_token_can_decrypt (self->token))
    g_ptr_array_add (features, g_strdup (CRADLE_DEVICE_FEATURE_SCEP));
  g_ptr_array_add (features, g_strdup (CRADLE_DEVICE_FEATURE_RENEWAL));
  g_ptr_array_add (features, NULL);

  g_mutex_lock (&self->lock);
  g_free (self->manufacturer);
  self->manufacturer = g_strdup (cradle_token_get_manufacturer (self->token));
  g_free (self->model);
  self->model = g_strdup (cradle_token_get_model (self->token));
  g_free (self->serial);
  self->serial = g_strdup (cradle_token_get_serial (self->token));
  g_clear_pointer (&self->os, g_free);
  g_free (self->agent_version);
  self->agent_version = g_strdup (cradle_token_get_module_name (self->token));
  g_strfreev (self->key_types);
  self->key_types = g_strdupv ((GStrv) types);
  g_strfreev (self->features);
  self->features = (GStrv) g_ptr_array_steal (features, NULL);
  self->paired = TRUE;
  g_mutex_unlock (&self->lock);
}

gboolean
_cradle_device_token_open (CradleDevice  *self,
                           GCancellable  *cancellable,
                           GError       **error)
{
  if (!cradle_token_open (self->token, cancellable, error))
    return FALSE;
  read_token_info (self);
  return TRUE;
}

void
_cradle_device_token_close (CradleDevice *self)
{
  cradle_token_close (self->token);
}

/* ---- PIV ---------------------------------------------------------------- */

static CradlePivModule
piv_module (CradleDevice *self)
{
  return cradle_piv_module_for_token (cradle_token_get_manufacturer (self->token),
                                      cradle_token_get_model (self->token),
                                      cradle_token_get_label (self->token),
                                      cradle_token_get_module_name (self->token));
}

/* The CKA_ID on the token of the host's key id: the same bytes, except a
 * PIV slot's 16-byte form, which is ykcs11's one-byte id. */
static GBytes *
token_id_for_key_id (GBytes *key_id)
{
  GBytes *piv_id = cradle_piv_token_id_for_key_id (key_id);

  return piv_id != NULL ? piv_id : g_bytes_ref (key_id);
}

/* The inverse: a PIV slot's one-byte CKA_ID in its 16-byte form. */
static GBytes *
key_id_for_token_id (GBytes *id)
{
  GBytes *key_id = NULL;

  if (id != NULL && g_bytes_get_size (id) == 1)
    key_id = cradle_piv_key_id_for_slot (cradle_piv_slot_for_id (((const guint8 *) g_bytes_get_data (id, NULL))[0]));
  if (key_id != NULL)
    return key_id;
  return id != NULL ? g_bytes_ref (id) : NULL;
}

/* "9a" → 0x9a; 0 for anything else. */
static guint8
parse_slot (const char *slot)
{
  if (slot == NULL || strlen (slot) != 2 || !g_ascii_isxdigit (slot[0]) || !g_ascii_isxdigit (slot[1]))
    return 0;
  return (guint8) (g_ascii_xdigit_value (slot[0]) << 4 | g_ascii_xdigit_value (slot[1]));
}

/* ---- keys --------------------------------------------------------------- */

GBytes *
_cradle_device_token_generate_key (CradleDevice               *self,
                                   const char                 *key_type,
                                   const char                 *profile,
                                   CradleDeviceKeyEnrollment   enrollment,
                                   GBytes                    **public_key_info,
                                   GCancellable               *cancellable,
                                   GError                    **error)
{
  g_autofree char *label = g_strdup_printf ("Cradle %s", profile);
  g_autoptr(GBytes) slot_id = NULL;
  g_autoptr(GBytes) id = NULL;
  CradlePivModule piv = piv_module (self);

  /* SCEP's answer is decrypted with the key: a token that cannot is told
   * before anything is made. */
  if (enrollment == CRADLE_DEVICE_KEY_FOR_SCEP &&
      (!g_str_has_prefix (key_type, "rsa") || !cradle_token_can_decrypt (self->token)))
    {
      g_autofree char *shown = cradle_text_escape (cradle_token_get_label (self->token), -1,
                                                   CRADLE_TEXT_ESCAPE_DEFAULT);

      cradle_explain_set_error (error, CRADLE_ERROR_NOT_SUPPORTED, CRADLE_EXPLAIN_TOKEN,
                                CRADLE_TOKEN_FAILURE_KEY_TYPE_NOT_OFFERED,
                                "The token '%s' cannot decrypt with a %s key, which a SCEP enrollment needs "
                                "(the CA's answer is encrypted to the key). Nothing was made on the token; "
                                "choose a certificate type that does not use SCEP, or another device.",
                                shown, key_type);
      return NULL;
    }
  if (piv != CRADLE_PIV_NONE)
    {
      guint8 slot = self->key_slot != NULL ? parse_slot (self->key_slot) : 0x9a;
      guint8 piv_id = cradle_piv_id_for_slot (slot);

      if (!cradle_piv_can_make_keys (piv))
        {
          g_autofree char *shown = cradle_text_escape (cradle_token_get_label (self->token), -1,
                                                       CRADLE_TEXT_ESCAPE_DEFAULT);

          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                       "The PIV token '%s' is read-only through its PKCS#11 module (OpenSC's PIV driver "
                       "makes no keys). Nothing was made; make the key with the card's own tool, or use "
                       "its vendor's module (ykcs11 for a YubiKey).", shown);
          return NULL;
        }
      if (piv_id == 0)
        {
          g_autofree char *shown = cradle_text_escape (self->key_slot, -1, CRADLE_TEXT_ESCAPE_DEFAULT);

          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "'%s' is not a PIV key slot; the slots are 9a, 9c, 9d, 9e and 82 to 95. "
                       "Fix PivSlot= in the certificate type.", shown);
          return NULL;
        }
      slot_id = g_bytes_new (&piv_id, 1);
    }
  id = cradle_token_generate_key (self->token, key_type, label, slot_id, public_key_info, cancellable, error);
  if (id == NULL)
    return NULL;
  return key_id_for_token_id (id);
}

GBytes *
_cradle_device_token_sign (CradleDevice  *self,
                           GBytes        *key_id,
                           GBytes        *data,
                           const char    *digest,
                           char         **algorithm,
                           GCancellable  *cancellable,
                           GError       **error)
{
  g_autoptr(GBytes) id = token_id_for_key_id (key_id);

  /* The PIN given for the session is the token's confirmation of every
   * signature; the token checks nothing of what it signs. */
  return cradle_token_sign (self->token, id, data, digest, algorithm, cancellable, error);
}

GBytes *
_cradle_device_token_decrypt (CradleDevice  *self,
                              GBytes        *key_id,
                              GBytes        *encrypted_key,
                              gsize          key_size,
                              GCancellable  *cancellable,
                              GError       **error)
{
  g_autoptr(GBytes) id = token_id_for_key_id (key_id);

  return cradle_token_decrypt (self->token, id, encrypted_key, key_size, cancellable, error);
}

gboolean
_cradle_device_token_delete_key (CradleDevice  *self,
                                 GBytes        *key_id,
                                 GCancellable  *cancellable,
                                 GError       **error)
{
  g_autoptr(GBytes) id = token_id_for_key_id (key_id);

  return cradle_token_destroy_key (self->token, id, cancellable, error);
}

GBytes *
_cradle_device_token_import_key (CradleDevice  *self,
                                 GError       **error)
{
  g_autofree char *shown = cradle_text_escape (cradle_token_get_label (self->token), -1, CRADLE_TEXT_ESCAPE_DEFAULT);

  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
               "Cradle does not put a key from a file on the token '%s': a key made elsewhere has copies "
               "outside it. Enroll for a new certificate whose key the token makes, or import the file "
               "with the token's own tool (p11tool --write, pkcs11-tool --write-object).", shown);
  return NULL;
}

/* ---- stores ------------------------------------------------------------- */

static char *
sha256_of (GBytes *der)
{
  return g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, der);
}

/* The store a certificate object belongs to, or %NULL for one that is no
 * store's (an attestation, which the token makes on reading). */
static const char *
store_for (const CradleTokenCert *cert)
{
  const guint8 *data;
  g_autoptr(X509) x509 = NULL;
  gboolean self_signed;

  if (!cert->on_token)
    return NULL;
  if (cert->has_key || cert->category == CRADLE_TOKEN_CERT_USER)
    return "MY";
  data = g_bytes_get_data (cert->der, NULL);
  x509 = d2i_X509 (NULL, &data, (long) g_bytes_get_size (cert->der));
  if (x509 == NULL)
    {
      g_debug ("Skipping a certificate object that is not X.509 DER");
      return NULL;
    }
  self_signed = X509_check_issued (x509, x509) == X509_V_OK;
  if (cert->category == CRADLE_TOKEN_CERT_AUTHORITY || X509_check_ca (x509) > 0)
    return self_signed ? "Root" : "CA";
  /* Someone else's certificate, or a leaf without its key. */
  return cert->category == CRADLE_TOKEN_CERT_OTHER ? NULL : "MY";
}

/* Every certificate of @store ("MY", "CA", "Root", %NULL for all) with
 * its SHA-256 in hex (@sums, optional). */
static GPtrArray *
list_certs (CradleDevice  *self,
            const char    *store,
            GHashTable    *sums,
            GCancellable  *cancellable,
            GError       **error)
{
  g_autoptr(GPtrArray) objects = cradle_token_list_certificates (self->token, cancellable, error);
  g_autoptr(GPtrArray) certs = g_ptr_array_new_with_free_func (g_object_unref);

  if (objects == NULL)
    return NULL;
  for (guint i = 0; i < objects->len; i++)
    {
      const CradleTokenCert *object = g_ptr_array_index (objects, i);
      const char *object_store = store_for (object);
      g_autoptr(GBytes) key_id = NULL;

      if (object_store == NULL || (store != NULL && !g_str_equal (store, object_store)))
        continue;
      if (sums != NULL)
        g_hash_table_add (sums, sha256_of (object->der));
      if (object->has_key)
        key_id = key_id_for_token_id (object->id);
      g_ptr_array_add (certs, cradle_device_cert_new_full (object_store, "user", object->der, key_id,
                                                           CRADLE_DEVICE_KEY_ORIGIN_GENERATED));
    }
  return g_steal_pointer (&certs);
}

GPtrArray *
_cradle_device_token_list_certs (CradleDevice  *self,
                                 const char    *store,
                                 const char    *scope,
                                 GCancellable  *cancellable,
                                 GError       **error)
{
  /* A token's certificates are its user's: scope "user" only. */
  if (scope != NULL && !g_str_equal (scope, "user"))
    return g_ptr_array_new_with_free_func (g_object_unref);
  return list_certs (self, store, NULL, cancellable, error);
}

gboolean
_cradle_device_token_install (CradleDevice  *self,
                              GPtrArray     *certs,
                              guint         *added,
                              GCancellable  *cancellable,
                              GError       **error)
{
  g_autoptr(GHashTable) before = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) held = NULL;
  g_autoptr(GPtrArray) written = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  gboolean authority = cradle_device_holds_authority_certificates (self);
  g_autoptr(GError) local_error = NULL;
  guint skipped = 0;

  held = list_certs (self, NULL, before, cancellable, error);
  if (held == NULL)
    return FALSE;

  for (guint i = 0; i < certs->len; i++)
    {
      CradleDeviceCert *cert = g_ptr_array_index (certs, i);
      const char *store = cradle_device_cert_get_store (cert);
      GBytes *der = cradle_device_cert_get_der (cert);
      GBytes *key_id = cradle_device_cert_get_key_id (cert);
      g_autoptr(GBytes) id = key_id != NULL ? token_id_for_key_id (key_id) : NULL;
      g_autofree char *sum = sha256_of (der);
      CradleTokenCertCategory category;
      const char *label;

      if (g_str_equal (store, "MY"))
        {
          category = CRADLE_TOKEN_CERT_USER;
          label = "Cradle certificate";
        }
      else if (g_str_equal (store, "CA") || g_str_equal (store, "Root"))
        {
          /* PIV keeps no CA or root of its own: the chain stays on the host. */
          if (!authority)
            {
              skipped++;
              continue;
            }
          category = CRADLE_TOKEN_CERT_AUTHORITY;
          label = g_str_equal (store, "CA") ? "Cradle CA certificate" : "Cradle root certificate";
        }
      else
        {
          g_autofree char *shown = cradle_text_escape (store, -1, CRADLE_TEXT_ESCAPE_DEFAULT);

          g_set_error (&local_error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "A token has no certificate store called '%s' (only MY, CA and Root).", shown);
          break;
        }
      if (!authority)
        category = CRADLE_TOKEN_CERT_UNSPECIFIED;
      if (g_hash_table_contains (before, sum))
        continue;
      if (!cradle_token_write_certificate (self->token, der, id, label, category, cancellable, &local_error))
        break;
      g_hash_table_add (before, g_steal_pointer (&sum));
      g_ptr_array_add (written, g_bytes_ref (der));
    }

  if (local_error != NULL)
    {
      guint undone = 0;

      /* What this call wrote goes again; what was there before stays. */
      for (guint i = 0; i < written->len; i++)
        {
          g_autoptr(GBytes) digest = NULL;
          g_autoptr(GError) undo_error = NULL;
          guint8 sum[32];
          gsize sum_size = sizeof sum;
          g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);

          g_checksum_update (checksum, g_bytes_get_data (g_ptr_array_index (written, i), NULL),
                             g_bytes_get_size (g_ptr_array_index (written, i)));
          g_checksum_get_digest (checksum, sum, &sum_size);
          digest = g_bytes_new (sum, sum_size);
          if (cradle_token_destroy_certificate (self->token, digest, NULL, &undo_error))
            undone++;
          else
            g_debug ("Could not remove a certificate written before the failure: %s", undo_error->message);
        }
      if (written->len > 0)
        g_prefix_error (&local_error, "%u of the %u certificates written before this failure were removed "
                        "again; ", undone, written->len);
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "While installing on the token: ");
      return FALSE;
    }
  if (skipped > 0)
    g_debug ("%u CA and root certificates stay on the host: the PIV token holds none", skipped);
  if (added != NULL)
    *added = written->len;
  return TRUE;
}

gboolean
_cradle_device_token_delete_cert (CradleDevice  *self,
                                  const char    *store,
                                  const char    *scope,
                                  GBytes        *sha256,
                                  GCancellable  *cancellable,
                                  GError       **error)
{
  if (!g_str_equal (scope, "user"))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                           "A token holds certificates of its user only (scope \"user\").");
      return FALSE;
    }
  /* The PIN is the confirmation: no second question on a token. */
  return cradle_token_destroy_certificate (self->token, sha256, cancellable, error);
}

/* ---- the PIN and the rest of the token's part of the API ---------------- */

const char *
cradle_device_get_label (CradleDevice *self)
{
  g_return_val_if_fail (CRADLE_IS_DEVICE (self), NULL);
  return self->token != NULL ? cradle_token_get_label (self->token) : NULL;
}

CradleDevicePinState
cradle_device_get_pin_state (CradleDevice *self)
{
  g_return_val_if_fail (CRADLE_IS_DEVICE (self), CRADLE_DEVICE_PIN_NOT_NEEDED);

  if (self->token == NULL)
    return CRADLE_DEVICE_PIN_NOT_NEEDED;
  switch (cradle_token_get_pin_state (self->token))
    {
    case CRADLE_TOKEN_PIN_LOGGED_IN:
      return CRADLE_DEVICE_PIN_ENTERED;
    case CRADLE_TOKEN_PIN_NEEDED:
      return CRADLE_DEVICE_PIN_NEEDED;
    case CRADLE_TOKEN_PIN_COUNT_LOW:
      return CRADLE_DEVICE_PIN_COUNT_LOW;
    case CRADLE_TOKEN_PIN_FINAL_TRY:
      return CRADLE_DEVICE_PIN_FINAL_TRY;
    case CRADLE_TOKEN_PIN_LOCKED:
      return CRADLE_DEVICE_PIN_LOCKED;
    case CRADLE_TOKEN_PIN_NOT_NEEDED:
    default:
      return CRADLE_DEVICE_PIN_NOT_NEEDED;
    }
}

gboolean
cradle_device_has_pinpad (CradleDevice *self)
{
  g_return_val_if_fail (CRADLE_IS_DEVICE (self), FALSE);
  return self->token != NULL && cradle_token_has_pinpad (self->token);
}

typedef struct {
  CradleDevice *device;
} PinPadEvent;

static gboolean
emit_pinpad_waiting (gpointer data)
{
  PinPadEvent *event = data;

  g_signal_emit_by_name (event->device, "waiting", 1u, PIN_PAD_PROMPT);
  return G_SOURCE_REMOVE;
}

static void
pinpad_event_free (gpointer data)
{
  PinPadEvent *event = data;

  g_object_unref (event->device);
  g_free (event);
}

gboolean
cradle_device_log_in (CradleDevice  *self,
                      const char    *pin,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_return_val_if_fail (CRADLE_IS_DEVICE (self), FALSE);

  if (self->token == NULL)
    return TRUE;
  if (pin == NULL && cradle_token_has_pinpad (self->token))
    {
      PinPadEvent *event = g_new0 (PinPadEvent, 1);

      event->device = g_object_ref (self);
      g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, emit_pinpad_waiting, event,
                                  pinpad_event_free);
    }
  return cradle_token_log_in (self->token, pin, cancellable, error);
}

gboolean
cradle_device_needs_officer_secret (CradleDevice *self)
{
  g_return_val_if_fail (CRADLE_IS_DEVICE (self), FALSE);
  return self->token != NULL && cradle_token_needs_officer (self->token);
}

void
cradle_device_set_officer_secret (CradleDevice *self,
                                  const char   *secret)
{
  g_return_if_fail (CRADLE_IS_DEVICE (self));
  if (self->token != NULL)
    cradle_token_set_officer_secret (self->token, secret);
}

void
cradle_device_set_key_slot (CradleDevice *self,
                            const char   *slot)
{
  g_return_if_fail (CRADLE_IS_DEVICE (self));

  g_mutex_lock (&self->lock);
  g_free (self->key_slot);
  self->key_slot = g_strdup (slot);
  g_mutex_unlock (&self->lock);
}

gboolean
cradle_device_holds_authority_certificates (CradleDevice *self)
{
  g_return_val_if_fail (CRADLE_IS_DEVICE (self), FALSE);
  if (self->token == NULL)
    return TRUE;
  return cradle_piv_holds_authority_certificates (piv_module (self));
}

gboolean
cradle_device_get_attestation (CradleDevice  *self,
                               GBytes        *key_id,
                               GBytes       **attestation,
                               GBytes       **intermediate,
                               GCancellable  *cancellable,
                               GError       **error)
{
  g_autoptr(GBytes) id = NULL;

  g_return_val_if_fail (CRADLE_IS_DEVICE (self), FALSE);
  g_return_val_if_fail (key_id != NULL, FALSE);

  if (self->token == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "The device %s offers no attestation of its keys.",
                   self->transport != NULL ? cradle_bridge_transport_get_id (self->transport) : "(closed)");
      return FALSE;
    }
  id = token_id_for_key_id (key_id);
  return cradle_token_read_attestation (self->token, id, attestation, intermediate, cancellable, error);
}
