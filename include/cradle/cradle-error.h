/* cradle-error.h: the one error domain of libcradle */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <glib.h>
#include <cradle/cradle-macros.h>

G_BEGIN_DECLS

#define CRADLE_ERROR (cradle_error_quark ())

/**
 * CradleError:
 * @CRADLE_ERROR_FAILED: something went wrong that has no better code
 * @CRADLE_ERROR_NOT_FOUND: an object, entry or file does not exist
 * @CRADLE_ERROR_NOT_SUPPORTED: the peer or this build cannot do it
 * @CRADLE_ERROR_INVALID_DATA: input from outside is malformed
 * @CRADLE_ERROR_TIMED_OUT: a peer did not answer in time
 * @CRADLE_ERROR_BUSY: the resource is in use
 * @CRADLE_ERROR_PERMISSION_DENIED: the account may not do this
 * @CRADLE_ERROR_AUTH_FAILED: credentials are missing, expired or wrong
 * @CRADLE_ERROR_UNREACHABLE: a server could not be reached
 * @CRADLE_ERROR_NOT_CONFIGURED: configuration needed for this is missing
 * @CRADLE_ERROR_DEVICE_GONE: the device was unplugged or stopped answering
 * @CRADLE_ERROR_USER_DECLINED: the device's user said no
 * @CRADLE_ERROR_CA_DENIED: the certification authority refused the request
 * @CRADLE_ERROR_NOT_PAIRED: the device does not trust this computer yet, or
 *   is not the device this computer paired with
 *
 * The codes are stable: scripts see them through cradlectl's exit codes.
 * Cancellation is reported as G_IO_ERROR_CANCELLED, as everywhere in GIO.
 */
typedef enum {
  CRADLE_ERROR_FAILED,
  CRADLE_ERROR_NOT_FOUND,
  CRADLE_ERROR_NOT_SUPPORTED,
  CRADLE_ERROR_INVALID_DATA,
  CRADLE_ERROR_TIMED_OUT,
  CRADLE_ERROR_BUSY,
  CRADLE_ERROR_PERMISSION_DENIED,
  CRADLE_ERROR_AUTH_FAILED,
  CRADLE_ERROR_UNREACHABLE,
  CRADLE_ERROR_NOT_CONFIGURED,
  CRADLE_ERROR_DEVICE_GONE,
  CRADLE_ERROR_USER_DECLINED,
  CRADLE_ERROR_CA_DENIED,
  CRADLE_ERROR_NOT_PAIRED,
} CradleError;

CRADLE_PUBLIC
GQuark       cradle_error_quark     (void);
CRADLE_PUBLIC
const char  *cradle_error_to_string (CradleError code);

G_END_DECLS
