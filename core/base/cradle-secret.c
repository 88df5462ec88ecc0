/* cradle-secret.c: freeing strings that held a secret */
#include "config.h"

#include <openssl/crypto.h>

#include "base/cradle-openssl-private.h"

/* Overwrites @secret (a password, a challenge) before freeing it, so the
 * freed heap does not keep it; OPENSSL_cleanse is not optimised away. */
void
cradle_secret_free (char *secret)
{
  if (secret == NULL)
    return;
  OPENSSL_cleanse (secret, strlen (secret));
  g_free (secret);
}
