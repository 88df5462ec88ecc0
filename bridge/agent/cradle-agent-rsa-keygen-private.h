/* cradle-agent-rsa-keygen-private.h: the device's RSA keys (see the .c for the method) */
#pragma once

#include <glib.h>
#include <openssl/evp.h>

G_BEGIN_DECLS

/* A new RSA key of @bits (2048 or more, even) with e = 65537, or NULL
 * with OpenSSL's error queue saying why. */
EVP_PKEY *cradle_agent_rsa_generate (int bits);

G_END_DECLS
