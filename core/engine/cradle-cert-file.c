/* cradle-cert-file.c: a certificate file and what goes where
 *
 * The format is told by the contents: PEM blocks (CERTIFICATE, PKCS7), or
 * DER whose outer SEQUENCE (read with the bounded DER reader, and required
 * to span the whole file) starts with a SEQUENCE (a certificate), an OID (a
 * PKCS#7 ContentInfo) or an INTEGER (a PKCS#12 PFX). Each certificate's
 * role: the PFX key's certificate, or one that is neither self-signed nor a
 * CA, is an end-entity certificate (MY); a self-signed one a root (Root);
 * one with basicConstraints cA a CA (CA).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>

#include "base/cradle-file-private.h"
#include "base/cradle-openssl-private.h"
#include "protocol/cradle-der-private.h"
#include "engine/cradle-cert-file-private.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PKCS7, PKCS7_free)

G_DEFINE_FINAL_TYPE (CradleCertFile, cradle_cert_file, G_TYPE_OBJECT)

static void
cradle_cert_file_finalize (GObject *object)
{
  CradleCertFile *self = CRADLE_CERT_FILE (object);

  cradle_cert_file_clear_key (self);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->certificates, g_ptr_array_unref);
  g_clear_pointer (&self->roles, g_array_unref);
  G_OBJECT_CLASS (cradle_cert_file_parent_class)->finalize (object);
}

static void
cradle_cert_file_class_init (CradleCertFileClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cradle_cert_file_finalize;
}

static void
cradle_cert_file_init (CradleCertFile *self)
{
  self->certificates = g_ptr_array_new_with_free_func (g_object_unref);
  self->roles = g_array_new (FALSE, FALSE, sizeof (CradleCertRole));
  self->key_certificate = -1;
}

const char *
cradle_cert_role_to_store (CradleCertRole role)
{
  switch (role)
    {
    case CRADLE_CERT_ROLE_ROOT: return "Root";
    case CRADLE_CERT_ROLE_CA: return "CA";
    case CRADLE_CERT_ROLE_END_ENTITY: return "MY";
    default: return NULL;
    }
}

const char *
cradle_cert_file_format_to_string (CradleCertFileFormat format)
{
  switch (format)
    {
    case CRADLE_CERT_FILE_PFX: return "pfx";
    case CRADLE_CERT_FILE_CER: return "cer";
    case CRADLE_CERT_FILE_P7B: return "p7b";
    default: return NULL;
    }
}

void
cradle_cert_file_free_password (char *password)
{
  cradle_secret_free (password);
}

/**
 * cradle_cert_file_load:
 *
 * Reads a regular file of at most CRADLE_CERT_FILE_MAX_SIZE bytes, never
 * more than that limit and one byte, whatever the file claims.
 */
GBytes *
cradle_cert_file_load (const char  *path,
                       GError     **error)
{
  g_autoptr(GBytes) data = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  data = cradle_file_read_bounded (path, CRADLE_CERT_FILE_MAX_SIZE,
                                   "Give a .pfx, .p12, .cer, .crt or .p7b file.", error);
  if (data == NULL)
    return NULL;
  if (g_bytes_get_size (data) > CRADLE_CERT_FILE_MAX_SIZE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s is larger than %d bytes, more than any certificate file; it is not one.",
                   path, CRADLE_CERT_FILE_MAX_SIZE);
      return NULL;
    }
  if (g_bytes_get_size (data) == 0)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "%s is empty.", path);
      return NULL;
    }
  return g_steal_pointer (&data);
}

/* The tag of the first element inside the outer SEQUENCE, when that
 * SEQUENCE is the whole of @data; 0 otherwise. */
static guint8
der_inner_tag (GBytes *data)
{
  CradleDerSlice in = cradle_der_slice_from_bytes (data);
  CradleDerSlice value, whole;
  guint8 tag = 0;

  if (!cradle_der_take (&in, CRADLE_DER_SEQUENCE, NULL, &value) || in.size != 0)
    return 0;
  if (!cradle_der_take_any (&value, &tag, &whole, NULL))
    return 0;
  return tag;
}

static gboolean
is_pem (GBytes *data)
{
  gsize size = 0;
  const char *text = g_bytes_get_data (data, &size);

  return size >= 11 && g_strstr_len (text, MIN (size, 4096), "-----BEGIN ") != NULL;
}

gboolean
cradle_cert_file_needs_password (GBytes *data)
{
  g_return_val_if_fail (data != NULL, FALSE);
  return !is_pem (data) && der_inner_tag (data) == CRADLE_DER_INTEGER;
}

static gboolean
add_certificate (CradleCertFile  *self,
                 GBytes          *der,
                 GError         **error)
{
  g_autoptr(CradleCertificate) certificate = NULL;

  if (self->certificates->len >= CRADLE_CERT_FILE_MAX_CERTIFICATES)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s holds more than %d certificates; no certificate file needs that many.",
                   self->name, CRADLE_CERT_FILE_MAX_CERTIFICATES);
      return FALSE;
    }
  certificate = cradle_certificate_new_from_der (der, error);
  if (certificate == NULL)
    {
      g_prefix_error (error, "%s holds a damaged certificate: ", self->name);
      return FALSE;
    }
  /* The same certificate twice is one install. */
  for (guint i = 0; i < self->certificates->len; i++)
    if (g_bytes_equal (cradle_certificate_get_der (g_ptr_array_index (self->certificates, i)), der))
      return TRUE;
  g_ptr_array_add (self->certificates, g_steal_pointer (&certificate));
  return TRUE;
}

static gboolean
add_pkcs7 (CradleCertFile  *self,
           const guint8    *data,
           gsize            size,
           GError         **error)
{
  const guint8 *p = data;
  g_autoptr(PKCS7) p7 = NULL;
  STACK_OF (X509) *certs = NULL;

  if (size > G_MAXLONG)
    return FALSE;
  p7 = d2i_PKCS7 (NULL, &p, (long) size);
  if (p7 == NULL || p != data + size)
    {
      ERR_clear_error ();
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s is damaged: its PKCS#7 structure does not decode. Export it again.", self->name);
      return FALSE;
    }
  if (PKCS7_type_is_signed (p7) && p7->d.sign != NULL)
    certs = p7->d.sign->cert;
  else if (PKCS7_type_is_signedAndEnveloped (p7) && p7->d.signed_and_enveloped != NULL)
    certs = p7->d.signed_and_enveloped->cert;
  for (int i = 0; certs != NULL && i < sk_X509_num (certs); i++)
    {
      unsigned char *der = NULL;
      int der_size = i2d_X509 (sk_X509_value (certs, i), &der);
      g_autoptr(GBytes) bytes = NULL;

      if (der_size <= 0)
        {
          cradle_openssl_set_error (error, CRADLE_ERROR_INVALID_DATA, "A certificate in the file cannot be encoded");
          return FALSE;
        }
      bytes = cradle_openssl_take_der (der, der_size);
      if (!add_certificate (self, bytes, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
read_pem (CradleCertFile  *self,
          GBytes          *data,
          GError         **error)
{
  gsize size = 0;
  const guint8 *text = g_bytes_get_data (data, &size);
  g_autoptr(BIO) bio = BIO_new_mem_buf (text, (int) size);
  gboolean saw_pkcs7 = FALSE, saw_certificate = FALSE;

  for (;;)
    {
      char *name = NULL, *header = NULL;
      unsigned char *der = NULL;
      long der_size = 0;
      gboolean ok = TRUE;

      if (!PEM_read_bio (bio, &name, &header, &der, &der_size))
        {
          ERR_clear_error ();
          break;
        }
      if (g_str_equal (name, "CERTIFICATE") || g_str_equal (name, "X509 CERTIFICATE"))
        {
          g_autoptr(GBytes) bytes = g_bytes_new (der, (gsize) der_size);

          saw_certificate = TRUE;
          ok = add_certificate (self, bytes, error);
        }
      else if (g_str_equal (name, "PKCS7"))
        {
          saw_pkcs7 = TRUE;
          ok = add_pkcs7 (self, der, (gsize) der_size, error);
        }
      else
        {
          g_autofree char *shown = cradle_text_escape (name, -1, CRADLE_TEXT_ESCAPE_DEFAULT);

          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                       "%s holds a PEM block of type '%s'; Cradle installs certificates (CERTIFICATE, "
                       "PKCS7) and PFX files. A private key goes to the device only inside a PFX/P12 file.",
                       self->name, shown);
          ok = FALSE;
        }
      OPENSSL_free (name);
      OPENSSL_free (header);
      OPENSSL_clear_free (der, (size_t) MAX (der_size, 0));
      if (!ok)
        return FALSE;
    }
  if (self->certificates->len == 0)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s holds no certificate: its PEM text is damaged or empty.", self->name);
      return FALSE;
    }
  self->format = saw_pkcs7 && !saw_certificate ? CRADLE_CERT_FILE_P7B : CRADLE_CERT_FILE_CER;
  return TRUE;
}

static gboolean
read_pkcs12 (CradleCertFile  *self,
             GBytes          *data,
             const char      *password,
             GError         **error)
{
  CradleCertFilePkcs12 contents = { 0 };
  gboolean ok = FALSE;

  if (!_cradle_cert_file_read_pkcs12 (self->name, data, password, &contents, error))
    return FALSE;
  if (contents.key == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s holds no private key, only certificates. Export it again with its private key, "
                   "or export the certificates as a .p7b or .cer file to install them without a key.",
                   self->name);
      goto out;
    }
  if (!contents.key_matched)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The private key in %s does not match any certificate in it: the file was put "
                   "together wrongly. Export the certificate with its own key again.", self->name);
      goto out;
    }
  for (guint i = 0; i < contents.certificates->len; i++)
    if (!add_certificate (self, g_ptr_array_index (contents.certificates, i), error))
      goto out;
  self->key = g_steal_pointer (&contents.key);
  self->key_size = contents.key_size;
  contents.key_size = 0;
  self->key_certificate = 0;
  self->format = CRADLE_CERT_FILE_PFX;
  ok = TRUE;
out:
  _cradle_cert_file_pkcs12_clear (&contents);
  return ok;
}

static gboolean
self_signed (X509 *x509)
{
  g_autoptr(EVP_PKEY) key = X509_get_pubkey (x509);
  gboolean yes;

  yes = key != NULL && X509_NAME_cmp (X509_get_subject_name (x509), X509_get_issuer_name (x509)) == 0
        && X509_verify (x509, key) == 1;
  ERR_clear_error ();
  return yes;
}

static CradleCertRole
role_of (CradleCertificate *certificate)
{
  GBytes *der = cradle_certificate_get_der (certificate);
  const guint8 *p = g_bytes_get_data (der, NULL);
  g_autoptr(X509) x509 = d2i_X509 (NULL, &p, (long) g_bytes_get_size (der));
  CradleCertRole role = CRADLE_CERT_ROLE_END_ENTITY;

  if (x509 == NULL)
    role = CRADLE_CERT_ROLE_END_ENTITY;
  else if (self_signed (x509))
    role = CRADLE_CERT_ROLE_ROOT;
  else if (X509_check_ca (x509) >= 1)
    role = CRADLE_CERT_ROLE_CA;
  ERR_clear_error ();
  return role;
}

/* Roles, and the order INSTALL takes: end-entity, CAs, roots. */
static void
assign_roles (CradleCertFile *self)
{
  g_autoptr(GPtrArray) sorted = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GArray) roles = g_array_new (FALSE, FALSE, sizeof (CradleCertRole));
  CradleCertRole order[] = { CRADLE_CERT_ROLE_END_ENTITY, CRADLE_CERT_ROLE_CA, CRADLE_CERT_ROLE_ROOT };
  g_autoptr(GArray) found = g_array_new (FALSE, FALSE, sizeof (CradleCertRole));

  for (guint i = 0; i < self->certificates->len; i++)
    {
      /* A PFX's key certificate is the key's, whatever else it is. */
      CradleCertRole role = (int) i == self->key_certificate ? CRADLE_CERT_ROLE_END_ENTITY
                            : role_of (g_ptr_array_index (self->certificates, i));

      g_array_append_val (found, role);
    }
  for (guint r = 0; r < G_N_ELEMENTS (order); r++)
    for (guint i = 0; i < self->certificates->len; i++)
      if (g_array_index (found, CradleCertRole, i) == order[r])
        {
          if ((int) i == self->key_certificate)
            self->key_certificate = (int) sorted->len;
          g_ptr_array_add (sorted, g_object_ref (g_ptr_array_index (self->certificates, i)));
          g_array_append_val (roles, order[r]);
        }
  g_ptr_array_unref (self->certificates);
  self->certificates = g_steal_pointer (&sorted);
  g_array_unref (self->roles);
  self->roles = g_steal_pointer (&roles);
}

CradleCertFile *
cradle_cert_file_new (const char  *name,
                      GBytes      *data,
                      const char  *password,
                      GError     **error)
{
  g_autoptr(CradleCertFile) self = NULL;
  gsize size = 0;
  const guint8 *bytes;
  guint8 tag;

  g_return_val_if_fail (name != NULL && data != NULL, NULL);

  self = g_object_new (CRADLE_TYPE_CERT_FILE, NULL);
  self->name = cradle_text_escape (name, -1, CRADLE_TEXT_ESCAPE_DEFAULT);
  bytes = g_bytes_get_data (data, &size);
  if (size == 0 || size > CRADLE_CERT_FILE_MAX_SIZE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s is empty or larger than %d bytes: it is not a certificate file.",
                   self->name, CRADLE_CERT_FILE_MAX_SIZE);
      return NULL;
    }
  if (is_pem (data))
    {
      if (!read_pem (self, data, error))
        return NULL;
    }
  else
    {
      tag = der_inner_tag (data);
      if (tag == CRADLE_DER_SEQUENCE)
        {
          self->format = CRADLE_CERT_FILE_CER;
          if (!add_certificate (self, data, error))
            return NULL;
        }
      else if (tag == CRADLE_DER_OID)
        {
          self->format = CRADLE_CERT_FILE_P7B;
          if (!add_pkcs7 (self, bytes, size, error))
            return NULL;
        }
      else if (tag == CRADLE_DER_INTEGER)
        {
          if (!read_pkcs12 (self, data, password, error))
            return NULL;
        }
      else
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "%s is not a certificate file Cradle can read, or it is damaged: give a PFX/P12, "
                       "a CER (PEM or DER) or a P7B (PEM or DER) file.", self->name);
          return NULL;
        }
    }
  if (self->certificates->len == 0)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "%s holds no certificate.", self->name);
      return NULL;
    }
  assign_roles (self);
  return g_steal_pointer (&self);
}

const char *
cradle_cert_file_get_name (CradleCertFile *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_FILE (self), NULL);
  return self->name;
}

CradleCertFileFormat
cradle_cert_file_get_format (CradleCertFile *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_FILE (self), 0);
  return self->format;
}

gboolean
cradle_cert_file_has_key (CradleCertFile *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_FILE (self), FALSE);
  return self->key != NULL;
}

GPtrArray *
cradle_cert_file_get_certificates (CradleCertFile *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_FILE (self), NULL);
  return self->certificates;
}

CradleCertRole
cradle_cert_file_get_role (CradleCertFile *self,
                           guint           index)
{
  g_return_val_if_fail (CRADLE_IS_CERT_FILE (self), 0);
  g_return_val_if_fail (index < self->roles->len, 0);
  return g_array_index (self->roles, CradleCertRole, index);
}

void
cradle_cert_file_clear_key (CradleCertFile *self)
{
  g_return_if_fail (CRADLE_IS_CERT_FILE (self));
  _cradle_cert_file_wipe_free (self->key, self->key_size);
  self->key = NULL;
  self->key_size = 0;
}
