/* cradle-piv.c: see cradle-piv-private.h (being written) */
#include "config.h"

#include "pkcs11/cradle-piv-private.h"
