/* cradle-token.c: see cradle-token-private.h (being written) */
#include "config.h"

#include "pkcs11/cradle-token-private.h"
