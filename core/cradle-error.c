/* cradle-error.c: the CRADLE_ERROR domain */
#include "config.h"

#include <cradle/cradle.h>

G_DEFINE_QUARK (cradle-error-quark, cradle_error)

/**
 * cradle_error_to_string:
 * @code: a #CradleError
 *
 * Returns: the code's stable name, for journals and `--json` output.
 */
const char *
cradle_error_to_string (CradleError code)
{
  switch (code)
    {
    case CRADLE_ERROR_FAILED: return "failed";
    case CRADLE_ERROR_NOT_FOUND: return "not-found";
    case CRADLE_ERROR_NOT_SUPPORTED: return "not-supported";
    case CRADLE_ERROR_INVALID_DATA: return "invalid-data";
    case CRADLE_ERROR_TIMED_OUT: return "timed-out";
    case CRADLE_ERROR_BUSY: return "busy";
    case CRADLE_ERROR_PERMISSION_DENIED: return "permission-denied";
    case CRADLE_ERROR_AUTH_FAILED: return "auth-failed";
    case CRADLE_ERROR_UNREACHABLE: return "unreachable";
    case CRADLE_ERROR_NOT_CONFIGURED: return "not-configured";
    case CRADLE_ERROR_DEVICE_GONE: return "device-gone";
    case CRADLE_ERROR_USER_DECLINED: return "user-declined";
    case CRADLE_ERROR_CA_DENIED: return "ca-denied";
    default: return "unknown";
    }
}
