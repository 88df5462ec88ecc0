/* cradle-revocation-cache.c: verified revocation answers kept until their nextUpdate
 *
 * One file per answer in the user's cache folder (revocation/, 0700):
 * an OCSP answer per certificate, a CRL per URL, as the DER that came.
 * Files are replaced whole (written beside, synced, renamed) and read with a
 * size bound; whoever reads one verifies it again, since anyone who can
 * write the folder could have put anything there.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "revocation/cradle-revocation-private.h"

struct _CradleRevocationCache
{
  char *folder;
};

CradleRevocationCache *
cradle_revocation_cache_new (const char *folder)
{
  CradleRevocationCache *self = g_new0 (CradleRevocationCache, 1);

  if (folder != NULL)
    self->folder = g_strdup (folder);
  else
    {
      g_autofree char *base = cradle_paths_dup_cache_dir ();

      self->folder = g_build_filename (base, "revocation", NULL);
    }
  return self;
}

void
cradle_revocation_cache_free (CradleRevocationCache *self)
{
  if (self == NULL)
    return;
  g_free (self->folder);
  g_free (self);
}

static gboolean
is_key (const char *key)
{
  if (key == NULL || *key == '\0' || strlen (key) > 100)
    return FALSE;
  for (const char *c = key; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && *c != '-')
      return FALSE;
  return TRUE;
}

GBytes *
cradle_revocation_cache_load (CradleRevocationCache *self,
                              const char            *key,
                              gsize                  max_size)
{
  g_autofree char *path = NULL;
  g_autofree guint8 *data = NULL;
  struct stat st;
  gsize done = 0;
  int fd;

  g_return_val_if_fail (is_key (key), NULL);
  path = g_build_filename (self->folder, key, NULL);
  fd = g_open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0);
  if (fd < 0)
    return NULL;
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode) || st.st_size <= 0 || (guint64) st.st_size > max_size)
    {
      close (fd);
      return NULL;
    }
  data = g_malloc (st.st_size);
  while (done < (gsize) st.st_size)
    {
      ssize_t got = read (fd, data + done, st.st_size - done);

      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0)
        break;
      done += got;
    }
  close (fd);
  if (done != (gsize) st.st_size)
    return NULL;
  return g_bytes_new_take (g_steal_pointer (&data), done);
}

gboolean
cradle_revocation_cache_store (CradleRevocationCache *self,
                               const char            *key,
                               GBytes                *bytes,
                               GError               **error)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize size = 0;
  const char *data = g_bytes_get_data (bytes, &size);

  g_return_val_if_fail (is_key (key), FALSE);
  if (!cradle_paths_ensure_private_dir (self->folder, error))
    return FALSE;
  path = g_build_filename (self->folder, key, NULL);
  if (!g_file_set_contents_full (path, data, size, G_FILE_SET_CONTENTS_CONSISTENT, 0600, &local_error))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                   "Could not keep the revocation answer in %s: %s", self->folder, local_error->message);
      return FALSE;
    }
  return TRUE;
}

void
cradle_revocation_cache_forget (CradleRevocationCache *self,
                                const char            *key)
{
  g_autofree char *path = NULL;

  g_return_if_fail (is_key (key));
  path = g_build_filename (self->folder, key, NULL);
  (void) g_unlink (path);
}

static char *
dup_key (const char   *prefix,
         GChecksum    *checksum)
{
  return g_strconcat (prefix, g_checksum_get_string (checksum), NULL);
}

char *
cradle_revocation_cache_ocsp_key (const CradleLeaf *cert,
                                  X509             *issuer)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  unsigned char *der = NULL;
  int size;

  /* The issuer's key and the serial: what a CertID names. */
  size = i2d_X509_PUBKEY (X509_get_X509_PUBKEY (issuer), &der);
  if (size > 0)
    g_checksum_update (checksum, der, size);
  OPENSSL_free (der);
  der = NULL;
  size = i2d_ASN1_INTEGER ((ASN1_INTEGER *) cradle_leaf_get_serial (cert), &der);
  if (size > 0)
    g_checksum_update (checksum, der, size);
  OPENSSL_free (der);
  return dup_key ("ocsp-", checksum);
}

char *
cradle_revocation_cache_crl_key (const char *url)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);

  g_checksum_update (checksum, (const guchar *) url, strlen (url));
  return dup_key ("crl-", checksum);
}

char *
cradle_revocation_cache_responder_key (X509 *issuer)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  unsigned char *der = NULL;
  int size = i2d_X509_PUBKEY (X509_get_X509_PUBKEY (issuer), &der);

  if (size > 0)
    g_checksum_update (checksum, der, size);
  OPENSSL_free (der);
  return dup_key ("responder-", checksum);
}
