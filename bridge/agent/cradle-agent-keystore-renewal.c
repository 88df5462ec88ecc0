/* cradle-agent-keystore-renewal.c: what a renewal lets a key sign and decrypt
 *
 * A renewal is one certification request its user confirmed (SIGN purpose 1
 * with the renewal attribute naming one of this device's enrolled
 * certificates), recorded as a renewal mark on the request's key. While the
 * mark lives (CRADLE_AGENT_RENEWAL_DAYS, and until the new certificate is
 * installed), and for the host that asked, the old certificate's key signs
 * that renewal's messages and nothing else: a CMS SignedData over exactly
 * the confirmed request (purpose 4), a SCEP RenewalReq carrying exactly it or
 * a CertPoll for it (purpose 5); and it decrypts that renewal's SCEP answers,
 * a counted number of times (docs/bridge-protocol.md, "Renewal").
 */
#include "config.h"

#include <string.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <cradle/cradle.h>

#include "base/cradle-digest-private.h"
#include "agent/cradle-agent-atomic-private.h"
#include "agent/cradle-agent-keystore-private.h"
#include "agent/cradle-agent-renewal-check-private.h"
#include "agent/cradle-agent-request-info-private.h"
#include "agent/cradle-agent-scep-check-private.h"

/* The MY certificate bound to @key_id, or NULL. */
static const CradleAgentCert *
bound_certificate (CradleAgentKeystore *self,
                   GBytes              *key_id)
{
  for (guint i = 0; i < self->certs->len; i++)
    {
      const CradleAgentCert *cert = g_ptr_array_index (self->certs, i);

      if (g_str_equal (cert->store, "MY") && cert->key_id != NULL && g_bytes_equal (cert->key_id, key_id))
        return cert;
    }
  return NULL;
}

/* The MY certificate that is byte for byte @der and bound to a key, or NULL. */
static const CradleAgentCert *
find_bound (CradleAgentKeystore *self,
            GBytes              *der)
{
  for (guint i = 0; i < self->certs->len; i++)
    {
      const CradleAgentCert *cert = g_ptr_array_index (self->certs, i);

      if (g_str_equal (cert->store, "MY") && cert->key_id != NULL && g_bytes_equal (cert->der, der))
        return cert;
    }
  return NULL;
}

/* The old key of a renewal: enrolled, with its certificate @old (optional). */
static CradleAgentKeyFile *
load_enrolled_key (CradleAgentKeystore     *self,
                   GBytes                  *key_id,
                   const char              *use,
                   const CradleAgentCert  **old,
                   GError                 **error)
{
  g_autoptr(CradleAgentKeyFile) key_file = cradle_agent_keystore_load_key (self, key_id, error);
  const CradleAgentCert *cert;
  g_autofree char *hex = NULL;

  if (key_file == NULL)
    return NULL;
  cert = bound_certificate (self, key_id);
  if (cradle_agent_keystore_key_state (self, key_file) == CRADLE_AGENT_KEY_ENROLLED && cert != NULL)
    {
      if (old != NULL)
        *old = cert;
      return g_steal_pointer (&key_file);
    }
  hex = cradle_agent_keystore_key_id_hex (key_id);
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
               "The key %s is %s, not enrolled with a certificate on this device, so it cannot %s: "
               "only the key of a certificate being renewed can",
               hex, cradle_agent_key_state_to_string (cradle_agent_keystore_key_state (self, key_file)), use);
  return NULL;
}

/* Every key file in the folder, to find a key by its public key. */
CradleAgentKeyFile *
_cradle_agent_keystore_find_key (CradleAgentKeystore *self,
                                 CradleAgentKeyMatch  match,
                                 gconstpointer        data)
{
  g_autoptr(GDir) dir = g_dir_open (self->keys_folder, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autoptr(GBytes) contents = NULL;
      g_autoptr(CradleAgentKeyFile) key_file = NULL;

      if (!g_str_has_suffix (name, ".key") || cradle_agent_atomic_is_temp_name (name))
        continue;
      path = g_build_filename (self->keys_folder, name, NULL);
      contents = cradle_agent_read_bounded (path, CRADLE_AGENT_KEY_FILE_MAX_SIZE, NULL, NULL);
      if (contents != NULL)
        key_file = cradle_agent_key_file_decode (contents, NULL);
      /* A damaged file is no one's renewal. */
      if (key_file != NULL && match (key_file, data))
        {
          g_autofree char *expected = cradle_agent_keystore_key_path (self, key_file->key_id);

          if (g_str_equal (expected, path))
            return g_steal_pointer (&key_file);
        }
    }
  return NULL;
}

static gboolean
has_public_key (const CradleAgentKeyFile *key_file,
                gconstpointer             spki)
{
  return g_bytes_equal (key_file->public_key, spki);
}

static char *
transaction_id_for (GBytes *public_key)
{
  g_autofree char *hex = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, public_key);

  return g_ascii_strup (hex, -1);
}

static gboolean
has_transaction_id (const CradleAgentKeyFile *key_file,
                    gconstpointer             transaction_id)
{
  g_autofree char *id = transaction_id_for (key_file->public_key);

  return g_str_equal (id, transaction_id);
}

typedef struct {
  GBytes *renews;
  GBytes *host_id;
  GBytes *old_key_id;
  gint64  now;
} MarkQuery;

static void
mark_query_clear (MarkQuery *query)
{
  g_clear_pointer (&query->renews, g_bytes_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (MarkQuery, mark_query_clear)

/* Whether @key_file's mark is a live one for the renewal @query asks about:
 * the renewal of that certificate, asked by that host, confirmed within
 * CRADLE_AGENT_RENEWAL_DAYS, on a key still in it (made, or the old key
 * itself for a renewal with the same key). */
static gboolean
mark_is_live (const CradleAgentKeyFile *key_file,
              const MarkQuery          *query,
              CradleAgentKeyState       state,
              const char              **why)
{
  *why = NULL;
  if (key_file->mark_renews == NULL || !g_bytes_equal (key_file->mark_renews, query->renews))
    *why = "its user confirmed no renewal of this certificate with it (or that renewal is complete)";
  else if (query->host_id == NULL || !g_bytes_equal (key_file->mark_host, query->host_id))
    *why = "its renewal was asked by another computer";
  else if (query->now < 0 || key_file->mark_confirmed > (guint64) query->now
           || (guint64) query->now - key_file->mark_confirmed > (guint64) CRADLE_AGENT_RENEWAL_DAYS * 24 * 3600)
    *why = "its renewal was confirmed more than " G_STRINGIFY (CRADLE_AGENT_RENEWAL_DAYS) " days ago";
  else if (!(state == CRADLE_AGENT_KEY_MADE
             || (state == CRADLE_AGENT_KEY_ENROLLED && g_bytes_equal (key_file->key_id, query->old_key_id))))
    *why = "it is no longer in that renewal (its new certificate is installed)";
  return *why == NULL;
}

static MarkQuery
mark_query (const CradleAgentCert *old,
            GBytes                *host_id)
{
  return (MarkQuery) {
    .renews = cradle_digest_sha256 (old->der),
    .host_id = host_id,
    .old_key_id = old->key_id,
    .now = g_get_real_time () / G_USEC_PER_SEC,
  };
}

/* The key of a renewal @old, whose mark must be live (PERMISSION_DENIED). */
static gboolean
check_mark (CradleAgentKeystore      *self,
            const CradleAgentKeyFile *key_file,
            const MarkQuery          *query,
            GError                  **error)
{
  const char *why = NULL;
  g_autofree char *hex = NULL;

  if (mark_is_live (key_file, query, cradle_agent_keystore_key_state (self, key_file), &why))
    return TRUE;
  hex = cradle_agent_keystore_key_id_hex (key_file->key_id);
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
               "The device signs a renewal only within one its user confirmed, and for the key %s %s. "
               "Start the renewal again", hex, why);
  return FALSE;
}

/* ---- purpose 1: confirming a renewal ----------------------------------- */

gboolean
cradle_agent_keystore_check_request (CradleAgentKeystore  *self,
                                     GBytes               *key_id,
                                     GBytes               *cri,
                                     GBytes              **renewed,
                                     GError              **error)
{
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) old_der = NULL;
  g_autoptr(CradleAgentKeyFile) key_file = NULL;
  g_autofree char *subject = NULL;
  const CradleAgentCert *old;
  CradleAgentKeyState state;
  g_autofree char *hex = NULL;

  g_return_val_if_fail (CRADLE_IS_AGENT_KEYSTORE (self), FALSE);
  g_return_val_if_fail (cri != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!cradle_agent_request_info_renewal (cri, &spki, &old_der, error))
    return FALSE;
  if (old_der == NULL)
    {
      if (!cradle_agent_keystore_check_request_info (self, key_id, cri, NULL, error))
        return FALSE;
      if (renewed != NULL)
        *renewed = NULL;
      return TRUE;
    }

  /* A renewal: of one of this device's own enrolled certificates, byte for byte. */
  old = find_bound (self, old_der);
  if (old == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
                           "The request renews a certificate that is not one of this device's own "
                           "(none of its certificates with a key is that one); it renews only its own");
      return FALSE;
    }
  {
    g_autoptr(CradleAgentKeyFile) old_key = load_enrolled_key (self, old->key_id, "be renewed", NULL, error);

    if (old_key == NULL)
      return FALSE;
  }
  key_file = cradle_agent_keystore_load_key (self, key_id, error);
  if (key_file == NULL)
    return FALSE;
  state = cradle_agent_keystore_key_state (self, key_file);
  hex = cradle_agent_keystore_key_id_hex (key_id);
  /* A new key, made for it; or, where the template keeps the key, the old
   * certificate's own key, and no other enrolled one. */
  if (state == CRADLE_AGENT_KEY_RETIRED
      || (state == CRADLE_AGENT_KEY_ENROLLED && !g_bytes_equal (key_id, old->key_id)))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
                   "The key %s is %s: a renewal is signed by a new key, or by the renewed "
                   "certificate's own key, not by another one",
                   hex, cradle_agent_key_state_to_string (state));
      return FALSE;
    }
  subject = cradle_agent_request_info_check (cri, key_file->public_key, error);
  if (subject == NULL)
    return FALSE;
  if (renewed != NULL)
    *renewed = g_bytes_ref (old->der);
  return TRUE;
}

/* Signs a request its user confirmed; a renewal's leaves its mark first. */
GBytes *
cradle_agent_keystore_sign_request (CradleAgentKeystore  *self,
                                    GBytes               *key_id,
                                    GBytes               *host_id,
                                    const char           *digest,
                                    GBytes               *cri,
                                    char                **algorithm,
                                    GError              **error)
{
  g_autoptr(GBytes) renewed = NULL;
  g_autoptr(CradleAgentKeyFile) key_file = NULL;
  g_autoptr(EVP_PKEY) pkey = NULL;

  g_return_val_if_fail (CRADLE_IS_AGENT_KEYSTORE (self), NULL);
  g_return_val_if_fail (cri != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!cradle_agent_crypto_check_digest (digest, error))
    return NULL;
  if (!cradle_agent_keystore_check_request (self, key_id, cri, &renewed, error))
    return NULL;
  if (renewed == NULL)
    return cradle_agent_keystore_sign (self, key_id, digest, cri, algorithm, error);

  if (host_id == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
                           "A renewal is for a paired computer; this one is not paired with the device");
      return NULL;
    }
  key_file = cradle_agent_keystore_load_key (self, key_id, error);
  if (key_file == NULL)
    return NULL;
  /* Recorded before the signature leaves: a crash in between leaves a mark
   * for a request nobody holds, which signs nothing else. */
  cradle_agent_key_file_clear_mark (key_file);
  key_file->mark_renews = cradle_digest_sha256 (renewed);
  key_file->mark_request = cradle_digest_sha256 (cri);
  key_file->mark_confirmed = (guint64) MAX (g_get_real_time () / G_USEC_PER_SEC, 0);
  key_file->mark_host = g_bytes_ref (host_id);
  if (!cradle_agent_keystore_save_key (self, key_file, error))
    return NULL;
  pkey = cradle_agent_keystore_unseal_key (self, key_file, error);
  if (pkey == NULL)
    return NULL;
  return cradle_agent_crypto_sign (pkey, digest, cri, algorithm, error);
}

/* ---- purposes 4 and 5: the old key signs the renewal ------------------- */

/* @request (a DER CertificationRequest) is exactly the one @key_file's mark
 * records its user confirmed, signed by that key. */
static gboolean
check_confirmed_request (const CradleAgentKeyFile *key_file,
                         GBytes                   *request,
                         const CradleAgentCert    *old,
                         GError                  **error)
{
  g_autoptr(GBytes) cri = NULL;
  g_autoptr(GBytes) cri_digest = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) renewed = NULL;
  g_autoptr(X509_REQ) parsed = NULL;
  g_autoptr(EVP_PKEY) public_key = NULL;
  const guint8 *p;

  if (!cradle_agent_renewal_split_request (request, &cri, error)
      || !cradle_agent_request_info_renewal (cri, &spki, &renewed, error))
    return FALSE;
  if (renewed == NULL || !g_bytes_equal (renewed, old->der))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The request in the renewal does not renew this key's certificate");
      return FALSE;
    }
  cri_digest = cradle_digest_sha256 (cri);
  if (!g_bytes_equal (spki, key_file->public_key) || !g_bytes_equal (cri_digest, key_file->mark_request))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The request in the renewal is not the one the device's user confirmed");
      return FALSE;
    }
  public_key = cradle_agent_crypto_public_parse (key_file->public_key, error);
  if (public_key == NULL)
    return FALSE;
  p = g_bytes_get_data (request, NULL);
  parsed = d2i_X509_REQ (NULL, &p, (long) g_bytes_get_size (request));
  if (parsed == NULL || p != (const guint8 *) g_bytes_get_data (request, NULL) + g_bytes_get_size (request)
      || X509_REQ_verify (parsed, public_key) != 1)
    {
      ERR_clear_error ();
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The request in the renewal does not carry its key's valid signature");
      return FALSE;
    }
  return TRUE;
}

/* The key whose public key is @spki: the old key itself (same key) or another one. */
static CradleAgentKeyFile *
load_renewal_key (CradleAgentKeystore      *self,
                  const CradleAgentKeyFile *old_key,
                  CradleAgentKeyMatch       match,
                  gconstpointer             data)
{
  if (match (old_key, data))
    return cradle_agent_keystore_load_key (self, old_key->key_id, NULL);
  return _cradle_agent_keystore_find_key (self, match, data);
}

/* The signed attributes, read by @profile, sign exactly @content: their
 * messageDigest is the digest the device computes of it itself. */
static gboolean
check_attributes_sign (CradleAgentAttributesProfile   profile,
                       GBytes                        *attributes,
                       const char                    *digest,
                       GBytes                        *content,
                       guint                         *message_type,
                       char                         **transaction_id,
                       const char                    *mismatch,
                       GError                       **error)
{
  g_autoptr(GBytes) message_digest = NULL;
  g_autoptr(GBytes) content_digest = cradle_agent_crypto_digest (digest, content, error);

  if (content_digest == NULL
      || !cradle_agent_scep_check_attributes_for (profile, attributes, cradle_agent_crypto_digest_size (digest),
                                                  message_type, &message_digest, transaction_id, error))
    return FALSE;
  if (!g_bytes_equal (message_digest, content_digest))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, mismatch);
      return FALSE;
    }
  return TRUE;
}

static gboolean
sign_cms (CradleAgentKeystore      *self,
          const CradleAgentKeyFile *old_key,
          const CradleAgentCert    *old,
          GBytes                   *host_id,
          const char               *digest,
          GBytes                   *attributes,
          GBytes                   *content,
          GError                  **error)
{
  g_autoptr(GBytes) cri = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) renewed = NULL;
  g_autoptr(CradleAgentKeyFile) new_key = NULL;
  g_auto(MarkQuery) query = mark_query (old, host_id);

  /* The content: a request renewing this very certificate... */
  if (!cradle_agent_renewal_split_request (content, &cri, error)
      || !cradle_agent_request_info_renewal (cri, &spki, &renewed, error))
    return FALSE;
  if (renewed == NULL || !g_bytes_equal (renewed, old->der))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The request in the renewal does not renew this key's certificate");
      return FALSE;
    }
  /* ... for a key in a renewal its user confirmed ... */
  new_key = load_renewal_key (self, old_key, has_public_key, spki);
  if (new_key == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
                           "The request in the renewal is for a key this device does not hold; it "
                           "signs only a renewal for a key it made");
      return FALSE;
    }
  /* ... exactly the one confirmed, and the attributes sign exactly that content. */
  return check_mark (self, new_key, &query, error)
         && check_confirmed_request (new_key, content, old, error)
         && check_attributes_sign (CRADLE_AGENT_ATTRIBUTES_CMS, attributes, digest, content, NULL, NULL,
                                   "The renewal's messageDigest is not the digest of the request it carries; "
                                   "the device signs only over the request its user confirmed",
                                   error);
}

/* A CertPoll's IssuerAndSubject names the old certificate's issuer. */
static gboolean
check_poll (const CradleAgentCert  *old,
            GBytes                 *inside,
            GError                **error)
{
  g_autoptr(X509) old_cert = cradle_agent_crypto_parse_certificate (old->der, error);
  const unsigned char *issuer_der = NULL;
  size_t issuer_size = 0;
  g_autoptr(GBytes) issuer_bytes = NULL;

  if (old_cert == NULL)
    return FALSE;
  if (X509_NAME_get0_der (X509_get_issuer_name (old_cert), &issuer_der, &issuer_size) != 1)
    {
      cradle_agent_crypto_set_error (error, CRADLE_ERROR_FAILED, "Could not read the certificate's issuer");
      return FALSE;
    }
  issuer_bytes = g_bytes_new (issuer_der, issuer_size);
  return cradle_agent_renewal_check_poll (inside, issuer_bytes, error);
}

static gboolean
sign_scep (CradleAgentKeystore      *self,
           const CradleAgentKeyFile *old_key,
           const CradleAgentCert    *old,
           GBytes                   *host_id,
           const char               *digest,
           GBytes                   *attributes,
           GBytes                   *content,
           GBytes                   *content_key,
           guint                    *message_type,
           GError                  **error)
{
  g_autoptr(GBytes) inside = NULL;
  g_autoptr(CradleAgentKeyFile) new_key = NULL;
  g_autofree char *transaction_id = NULL;
  g_auto(MarkQuery) query = mark_query (old, host_id);

  if (content_key == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The device reads what a SCEP renewal carries before it signs it, and the "
                           "request did not give the envelope's content-encryption key (field 6)");
      return FALSE;
    }
  if (!cradle_agent_scep_check_envelope (content, error)
      || !check_attributes_sign (CRADLE_AGENT_ATTRIBUTES_SCEP_RENEWAL, attributes, digest, content, message_type,
                                 &transaction_id,
                                 "The SCEP message's messageDigest is not the digest of the SCEP envelope it "
                                 "carries; the device signs only over the envelope it was shown",
                                 error))
    return FALSE;
  /* The transaction is the new key's, and that key is in a renewal of this certificate. */
  new_key = load_renewal_key (self, old_key, has_transaction_id, transaction_id);
  if (new_key == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The SCEP renewal's transactionID is not that of a key on this device (the "
                           "uppercase hex SHA-256 of the new key's public key)");
      return FALSE;
    }
  if (!check_mark (self, new_key, &query, error))
    return FALSE;
  /* What the envelope carries: exactly the confirmed request, or a poll for it. */
  inside = cradle_agent_renewal_open_envelope (content, content_key, error);
  if (inside == NULL)
    return FALSE;
  if (*message_type == CRADLE_AGENT_SCEP_RENEWAL_REQ)
    return check_confirmed_request (new_key, inside, old, error);
  return check_poll (old, inside, error);
}

GBytes *
cradle_agent_keystore_sign_renewal (CradleAgentKeystore  *self,
                                    GBytes               *key_id,
                                    GBytes               *host_id,
                                    guint                 purpose,
                                    const char           *digest,
                                    GBytes               *attributes,
                                    GBytes               *content,
                                    GBytes               *content_key,
                                    char                **algorithm,
                                    guint                *message_type,
                                    GError              **error)
{
  g_autoptr(CradleAgentKeyFile) old_key = NULL;
  g_autoptr(EVP_PKEY) pkey = NULL;
  const CradleAgentCert *old = NULL;
  guint type = 0;

  g_return_val_if_fail (CRADLE_IS_AGENT_KEYSTORE (self), NULL);
  g_return_val_if_fail (purpose == 4 || purpose == 5, NULL);
  g_return_val_if_fail (attributes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!cradle_agent_crypto_check_digest (digest, error))
    return NULL;
  old_key = load_enrolled_key (self, key_id, "sign a renewal", &old, error);
  if (old_key == NULL)
    return NULL;
  if (content == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The device reads what a renewal carries before it signs it, and the request "
                           "did not carry it (field 5)");
      return NULL;
    }
  if (purpose == 4
      ? !sign_cms (self, old_key, old, host_id, digest, attributes, content, error)
      : !sign_scep (self, old_key, old, host_id, digest, attributes, content, content_key, &type, error))
    return NULL;
  pkey = cradle_agent_keystore_unseal_key (self, old_key, error);
  if (pkey == NULL)
    return NULL;
  if (message_type != NULL)
    *message_type = type;
  return cradle_agent_crypto_sign (pkey, digest, attributes, algorithm, error);
}

/* ---- DECRYPT with the old key ------------------------------------------ */

static gboolean
marks_renewal (const CradleAgentKeyFile *key_file,
               gconstpointer             data)
{
  const MarkQuery *query = data;
  const char *why = NULL;

  /* A key other than the old one that is still made (the old one is looked at first). */
  return mark_is_live (key_file, query, key_file->state, &why);
}

gboolean
_cradle_agent_keystore_count_renewal_decryption (CradleAgentKeystore      *self,
                                                 const CradleAgentKeyFile *old_key,
                                                 GBytes                   *host_id,
                                                 GError                  **error)
{
  const CradleAgentCert *old = bound_certificate (self, old_key->key_id);
  g_autoptr(CradleAgentKeyFile) marked = NULL;
  g_autofree char *hex = cradle_agent_keystore_key_id_hex (old_key->key_id);
  g_auto(MarkQuery) query = { 0 };
  const char *why = NULL;

  if (old == NULL || cradle_agent_keystore_key_state (self, old_key) != CRADLE_AGENT_KEY_ENROLLED)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
                   "The key %s is not enrolled with a certificate, so it decrypts no renewal's answer", hex);
      return FALSE;
    }
  query = mark_query (old, host_id);
  marked = cradle_agent_keystore_load_key (self, old_key->key_id, NULL);
  if (marked == NULL || !mark_is_live (marked, &query, CRADLE_AGENT_KEY_ENROLLED, &why))
    {
      g_clear_pointer (&marked, cradle_agent_key_file_free);
      marked = _cradle_agent_keystore_find_key (self, marks_renewal, &query);
      /* find_key() reads the file's state; a key bound since is enrolled. */
      if (marked != NULL && cradle_agent_keystore_key_state (self, marked) != CRADLE_AGENT_KEY_MADE)
        g_clear_pointer (&marked, cradle_agent_key_file_free);
    }
  if (marked == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
                   "The key %s is enrolled: it decrypts only the SCEP answers of a renewal of its "
                   "certificate that the device's user confirmed, for the computer that asked, "
                   "within %d days, and there is none", hex, CRADLE_AGENT_RENEWAL_DAYS);
      return FALSE;
    }
  if (marked->mark_decryptions >= CRADLE_AGENT_MAX_DECRYPTIONS)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
                   "The renewal of the key %s's certificate has decrypted the %d SCEP answers a "
                   "renewal may; start the renewal again", hex, CRADLE_AGENT_MAX_DECRYPTIONS);
      return FALSE;
    }
  /* Counted on the device's storage before the key is used. */
  marked->mark_decryptions++;
  return cradle_agent_keystore_save_key (self, marked, error);
}
