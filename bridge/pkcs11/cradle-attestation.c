/* cradle-attestation.c: see cradle-attestation-private.h (being written) */
#include "config.h"

#include "pkcs11/cradle-attestation-private.h"
