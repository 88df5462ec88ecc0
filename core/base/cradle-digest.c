/* cradle-digest.c: the SHA-256 of bytes, as bytes */
#include "config.h"

#include "base/cradle-digest-private.h"

GBytes *
cradle_digest_sha256 (GBytes *data)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize size = sizeof digest;

  g_checksum_update (checksum, g_bytes_get_data (data, NULL), g_bytes_get_size (data));
  g_checksum_get_digest (checksum, digest, &size);
  return g_bytes_new (digest, size);
}
