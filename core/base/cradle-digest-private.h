/* cradle-digest-private.h: the SHA-256 of bytes, as bytes */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The 32-byte SHA-256 of @data (cradle-digest.c): how a device names a
 * certificate in its stores, and how the pending store keys one.
 * GLib's, without starting OpenSSL's default provider for one digest. */
GBytes *cradle_digest_sha256 (GBytes *data);

G_END_DECLS
