/* cradle-token-cert.c: certificate objects on a token, and the attestation
 * it offers for a key (see cradle-token-private.h) */
#include "config.h"

#include <string.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <cradle/cradle.h>

#include "base/cradle-openssl-private.h"
#define CRADLE_TOKEN_COMPILATION
#include "pkcs11/cradle-token-private.h"

/* ykcs11's CKA_ID of the PIV attestation slot f9's objects. */
#define ATTESTATION_SLOT_ID 25

void
cradle_token_cert_free (CradleTokenCert *cert)
{
  if (cert == NULL)
    return;
  g_clear_pointer (&cert->der, g_bytes_unref);
  g_clear_pointer (&cert->id, g_bytes_unref);
  g_free (cert->label);
  g_free (cert);
}

/* The X.509 certificate objects, their handles in @handles. */
static gboolean
find_certificates (CradleToken *self,
                   GBytes      *id,
                   GArray     **handles,
                   GError     **error)
{
  CK_OBJECT_CLASS klass = CKO_CERTIFICATE;
  CK_CERTIFICATE_TYPE type = CKC_X_509;
  gsize id_size = 0;
  gconstpointer id_data = id != NULL ? g_bytes_get_data (id, &id_size) : NULL;
  CK_ATTRIBUTE template[] = {
    { CKA_CLASS, &klass, sizeof klass },
    { CKA_CERTIFICATE_TYPE, &type, sizeof type },
    { CKA_ID, (void *) id_data, id_size },
  };

  return _cradle_token_find_objects (self, template, id != NULL ? 3 : 2, handles, error);
}

static CradleTokenCert *
read_certificate (CradleToken      *self,
                  CK_OBJECT_HANDLE  object,
                  GError          **error)
{
  g_autoptr(CradleTokenCert) cert = g_new0 (CradleTokenCert, 1);
  g_autoptr(GBytes) label = NULL;
  GError *local_error = NULL;
  CK_ULONG category = 0;

  cert->der = _cradle_token_read_attribute (self, object, CKA_VALUE, &local_error);
  if (local_error == NULL)
    cert->id = _cradle_token_read_attribute (self, object, CKA_ID, &local_error);
  if (local_error == NULL)
    label = _cradle_token_read_attribute (self, object, CKA_LABEL, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  if (cert->der == NULL || g_bytes_get_size (cert->der) == 0)
    return NULL;   /* nothing to list */
  if (cert->id != NULL && g_bytes_get_size (cert->id) == 0)
    g_clear_pointer (&cert->id, g_bytes_unref);
  if (label != NULL)
    cert->label = g_strndup (g_bytes_get_data (label, NULL), g_bytes_get_size (label));
  if (_cradle_token_read_ulong (self, object, CKA_CERTIFICATE_CATEGORY, &category)
      && category <= CRADLE_TOKEN_CERT_OTHER)
    cert->category = (CradleTokenCertCategory) category;
  if (!_cradle_token_read_bool (self, object, CKA_TOKEN, &cert->on_token))
    cert->on_token = TRUE;
  if (cert->id != NULL)
    {
      CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;

      if (!_cradle_token_find_by_id (self, CKO_PRIVATE_KEY, cert->id, &key, error))
        return NULL;
      cert->has_key = key != CK_INVALID_HANDLE;
    }
  return g_steal_pointer (&cert);
}

GPtrArray *
cradle_token_list_certificates (CradleToken  *self,
                                GCancellable *cancellable,
                                GError      **error)
{
  g_autoptr(GRecMutexLocker) locker = NULL;
  g_autoptr(GPtrArray) certs = g_ptr_array_new_with_free_func ((GDestroyNotify) cradle_token_cert_free);
  g_autoptr(GArray) handles = NULL;

  g_return_val_if_fail (CRADLE_IS_TOKEN (self), NULL);
  locker = g_rec_mutex_locker_new (&self->lock);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  if (!find_certificates (self, NULL, &handles, error))
    return NULL;
  for (guint i = 0; i < handles->len; i++)
    {
      GError *local_error = NULL;
      CradleTokenCert *cert = read_certificate (self, g_array_index (handles, CK_OBJECT_HANDLE, i),
                                                &local_error);

      if (local_error != NULL)
        {
          g_propagate_prefixed_error (error, local_error, "Could not list the token's certificates: ");
          return NULL;
        }
      if (cert != NULL)
        g_ptr_array_add (certs, cert);
    }
  return g_steal_pointer (&certs);
}

/* DER of an X509_NAME or ASN1_INTEGER, by OpenSSL's i2d. */
static GBytes *
der_of_name (const X509_NAME *name)
{
  unsigned char *der = NULL;
  int size = i2d_X509_NAME (name, &der);
  GBytes *bytes;

  if (size <= 0)
    return NULL;
  bytes = g_bytes_new (der, (gsize) size);
  OPENSSL_free (der);
  return bytes;
}

static GBytes *
der_of_serial (const ASN1_INTEGER *serial)
{
  unsigned char *der = NULL;
  int size = i2d_ASN1_INTEGER (serial, &der);
  GBytes *bytes;

  if (size <= 0)
    return NULL;
  bytes = g_bytes_new (der, (gsize) size);
  OPENSSL_free (der);
  return bytes;
}

gboolean
cradle_token_write_certificate (CradleToken            *self,
                                GBytes                 *der,
                                GBytes                 *id,
                                const char             *label,
                                CradleTokenCertCategory category,
                                GCancellable           *cancellable,
                                GError                **error)
{
  g_autoptr(GRecMutexLocker) locker = NULL;
  g_autoptr(X509) cert = NULL;
  g_autoptr(GBytes) subject = NULL;
  g_autoptr(GBytes) issuer = NULL;
  g_autoptr(GBytes) serial = NULL;
  g_autoptr(GArray) existing = NULL;
  const unsigned char *p;
  CK_OBJECT_CLASS klass = CKO_CERTIFICATE;
  CK_CERTIFICATE_TYPE type = CKC_X_509;
  CK_ULONG ck_category = category;
  CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
  CK_OBJECT_HANDLE object = CK_INVALID_HANDLE;
  gsize id_size = 0;
  gconstpointer id_data = NULL;
  const char *cert_label = label != NULL ? label : "Cradle";
  gboolean officer;
  CK_RV rv;

  g_return_val_if_fail (CRADLE_IS_TOKEN (self), FALSE);
  g_return_val_if_fail (der != NULL, FALSE);
  locker = g_rec_mutex_locker_new (&self->lock);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  p = g_bytes_get_data (der, NULL);
  cert = d2i_X509 (NULL, &p, (long) g_bytes_get_size (der));
  if (cert == NULL || p != (const unsigned char *) g_bytes_get_data (der, NULL) + g_bytes_get_size (der))
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_INVALID_DATA,
                                "The certificate to write to the token is not one DER X.509 certificate");
      return FALSE;
    }
  subject = der_of_name (X509_get_subject_name (cert));
  issuer = der_of_name (X509_get_issuer_name (cert));
  serial = der_of_serial (X509_get0_serialNumber (cert));
  if (subject == NULL || issuer == NULL || serial == NULL)
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_INVALID_DATA,
                                "The certificate to write to the token has no readable subject, "
                                "issuer or serial number");
      return FALSE;
    }
  /* Writing needs the login where the token asks for one. */
  if (!_cradle_token_ensure_logged_in (self, "write the certificate", error))
    return FALSE;

  /* Already there: nothing to do. */
  {
    CK_ATTRIBUTE same[] = {
      { CKA_CLASS, &klass, sizeof klass },
      { CKA_VALUE, (void *) g_bytes_get_data (der, NULL), g_bytes_get_size (der) },
    };

    if (!_cradle_token_find_objects (self, same, G_N_ELEMENTS (same), &existing, error))
      return FALSE;
    if (existing->len > 0)
      return TRUE;
  }

  if (id != NULL)
    id_data = g_bytes_get_data (id, &id_size);
  {
    CK_ATTRIBUTE template[] = {
      { CKA_CLASS, &klass, sizeof klass },
      { CKA_CERTIFICATE_TYPE, &type, sizeof type },
      { CKA_TOKEN, &yes, sizeof yes },
      { CKA_PRIVATE, &no, sizeof no },
      { CKA_VALUE, (void *) g_bytes_get_data (der, NULL), g_bytes_get_size (der) },
      { CKA_SUBJECT, (void *) g_bytes_get_data (subject, NULL), g_bytes_get_size (subject) },
      { CKA_ISSUER, (void *) g_bytes_get_data (issuer, NULL), g_bytes_get_size (issuer) },
      { CKA_SERIAL_NUMBER, (void *) g_bytes_get_data (serial, NULL), g_bytes_get_size (serial) },
      { CKA_LABEL, (void *) cert_label, strlen (cert_label) },
      /* optional: */
      { CKA_ID, (void *) id_data, id_size },
      { CKA_CERTIFICATE_CATEGORY, &ck_category, sizeof ck_category },
    };
    CK_ULONG n = 9;

    if (id != NULL)
      n++;
    if (category != CRADLE_TOKEN_CERT_UNSPECIFIED)
      {
        if (id == NULL)
          template[n] = template[10];
        n++;
      }
    officer = self->needs_officer;
    if (officer && !_cradle_token_officer_begin (self, "write the certificate", error))
      return FALSE;
    rv = self->module->C_CreateObject (self->session, template, n, &object);
    if (officer)
      _cradle_token_officer_end (self);
  }
  if (rv != CKR_OK)
    {
      _cradle_token_set_error (self, error, rv, "write the certificate");
      return FALSE;
    }
  return TRUE;
}

static gboolean
sha256_matches (GBytes *der,
                GBytes *sha256)
{
  guint8 hash[32];
  guint size = 0;

  if (g_bytes_get_size (sha256) != sizeof hash
      || EVP_Digest (g_bytes_get_data (der, NULL), g_bytes_get_size (der), hash, &size,
                     EVP_sha256 (), NULL) != 1)
    return FALSE;
  return memcmp (hash, g_bytes_get_data (sha256, NULL), sizeof hash) == 0;
}

gboolean
cradle_token_destroy_certificate (CradleToken  *self,
                                  GBytes       *sha256,
                                  GCancellable *cancellable,
                                  GError      **error)
{
  g_autoptr(GRecMutexLocker) locker = NULL;
  g_autoptr(GArray) handles = NULL;
  g_autofree char *name = NULL;
  guint destroyed = 0;

  g_return_val_if_fail (CRADLE_IS_TOKEN (self), FALSE);
  g_return_val_if_fail (sha256 != NULL, FALSE);
  locker = g_rec_mutex_locker_new (&self->lock);
  name = _cradle_token_dup_name (self);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (!_cradle_token_ensure_logged_in (self, "delete the certificate", error))
    return FALSE;
  if (!find_certificates (self, NULL, &handles, error))
    return FALSE;
  for (guint i = 0; i < handles->len; i++)
    {
      CK_OBJECT_HANDLE object = g_array_index (handles, CK_OBJECT_HANDLE, i);
      GError *local_error = NULL;
      g_autoptr(GBytes) value = _cradle_token_read_attribute (self, object, CKA_VALUE, &local_error);
      CK_RV rv;

      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return FALSE;
        }
      if (value == NULL || !sha256_matches (value, sha256))
        continue;
      if (self->needs_officer && !_cradle_token_officer_begin (self, "delete the certificate", error))
        return FALSE;
      rv = self->module->C_DestroyObject (self->session, object);
      if (self->needs_officer)
        _cradle_token_officer_end (self);
      if (rv != CKR_OK)
        {
          _cradle_token_set_error (self, error, rv, "delete the certificate");
          return FALSE;
        }
      destroyed++;
    }
  if (destroyed == 0)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                   "The token '%s' holds no such certificate", name);
      return FALSE;
    }
  return TRUE;
}

/* ---- attestation ------------------------------------------------------- */

static GBytes *
spki_of (GBytes *der)
{
  const unsigned char *p = g_bytes_get_data (der, NULL);
  g_autoptr(X509) cert = d2i_X509 (NULL, &p, (long) g_bytes_get_size (der));
  unsigned char *out = NULL;
  int size;
  GBytes *bytes;

  if (cert == NULL || (size = i2d_X509_PUBKEY (X509_get_X509_PUBKEY (cert), &out)) <= 0)
    return NULL;
  bytes = g_bytes_new (out, (gsize) size);
  OPENSSL_free (out);
  return bytes;
}

/* Whether @a's issuer is @b's subject. */
static gboolean
issued_by (GBytes *a,
           GBytes *b)
{
  const unsigned char *pa = g_bytes_get_data (a, NULL), *pb = g_bytes_get_data (b, NULL);
  g_autoptr(X509) ca = d2i_X509 (NULL, &pa, (long) g_bytes_get_size (a));
  g_autoptr(X509) cb = d2i_X509 (NULL, &pb, (long) g_bytes_get_size (b));

  return ca != NULL && cb != NULL
         && X509_NAME_cmp (X509_get_issuer_name (ca), X509_get_subject_name (cb)) == 0;
}

gboolean
cradle_token_read_attestation (CradleToken  *self,
                               GBytes       *id,
                               GBytes      **attestation,
                               GBytes      **intermediate,
                               GCancellable *cancellable,
                               GError      **error)
{
  g_autoptr(GRecMutexLocker) locker = NULL;
  g_autoptr(GPtrArray) certs = NULL;
  g_autoptr(GBytes) key_spki = NULL;
  g_autoptr(GBytes) slot_id = NULL;
  g_autofree char *name = NULL;
  const guint8 f9 = ATTESTATION_SLOT_ID;
  CradleTokenCert *found = NULL;
  CradleTokenCert *attesting = NULL;

  g_return_val_if_fail (CRADLE_IS_TOKEN (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);
  locker = g_rec_mutex_locker_new (&self->lock);
  name = _cradle_token_dup_name (self);
  key_spki = cradle_token_get_public_key (self, id, cancellable, error);
  if (key_spki == NULL)
    return FALSE;
  certs = cradle_token_list_certificates (self, cancellable, error);
  if (certs == NULL)
    return FALSE;

  slot_id = g_bytes_new_static (&f9, 1);
  for (guint i = 0; i < certs->len && found == NULL; i++)
    {
      CradleTokenCert *cert = g_ptr_array_index (certs, i);
      g_autoptr(GBytes) spki = NULL;

      if (cert->id == NULL || !g_bytes_equal (cert->id, id))
        continue;
      if (cert->on_token && (cert->label == NULL || strstr (cert->label, "ttestation") == NULL))
        continue;
      spki = spki_of (cert->der);
      if (spki != NULL && g_bytes_equal (spki, key_spki))
        found = cert;
    }
  if (found == NULL)
    {
      cradle_explain_set_error (error, CRADLE_ERROR_NOT_SUPPORTED, CRADLE_EXPLAIN_TOKEN,
                                CRADLE_TOKEN_FAILURE_ATTESTATION_MISSING,
                                "The token '%s' offers no attestation for the key", name);
      return FALSE;
    }
  /* The attesting certificate: PIV slot f9's, else the one that issued it. */
  for (guint i = 0; i < certs->len && attesting == NULL; i++)
    {
      CradleTokenCert *cert = g_ptr_array_index (certs, i);

      if (cert->id != NULL && g_bytes_equal (cert->id, slot_id))
        attesting = cert;
    }
  for (guint i = 0; i < certs->len && attesting == NULL; i++)
    {
      CradleTokenCert *cert = g_ptr_array_index (certs, i);

      if (cert != found && issued_by (found->der, cert->der))
        attesting = cert;
    }
  if (attesting == NULL)
    {
      cradle_explain_set_error (error, CRADLE_ERROR_NOT_SUPPORTED, CRADLE_EXPLAIN_TOKEN,
                                CRADLE_TOKEN_FAILURE_ATTESTATION_MISSING,
                                "The token '%s' offers an attestation for the key but not the "
                                "certificate that signed it (PIV slot f9)", name);
      return FALSE;
    }
  if (attestation != NULL)
    *attestation = g_bytes_ref (found->der);
  if (intermediate != NULL)
    *intermediate = g_bytes_ref (attesting->der);
  return TRUE;
}
