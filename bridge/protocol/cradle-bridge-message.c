/* cradle-bridge-message.c: ERROR frames, both ways */
#include "config.h"

#include <gio/gio.h>
#include <cradle/cradle.h>

#include "base/cradle-error-private.h"
#include "protocol/cradle-bridge-message-private.h"

const char *
cradle_bridge_error_code_to_string (guint code)
{
  switch (code)
    {
    case CRADLE_BRIDGE_E_MALFORMED: return "MALFORMED";
    case CRADLE_BRIDGE_E_UNSUPPORTED_VERSION: return "UNSUPPORTED_VERSION";
    case CRADLE_BRIDGE_E_UNSUPPORTED: return "UNSUPPORTED";
    case CRADLE_BRIDGE_E_NOT_READY: return "NOT_READY";
    case CRADLE_BRIDGE_E_NOT_FOUND: return "NOT_FOUND";
    case CRADLE_BRIDGE_E_DECLINED: return "DECLINED";
    case CRADLE_BRIDGE_E_CANCELLED: return "CANCELLED";
    case CRADLE_BRIDGE_E_TIMED_OUT: return "TIMED_OUT";
    case CRADLE_BRIDGE_E_PERMISSION_DENIED: return "PERMISSION_DENIED";
    case CRADLE_BRIDGE_E_INVALID_REQUEST: return "INVALID_REQUEST";
    case CRADLE_BRIDGE_E_UNSUPPORTED_KEY_TYPE: return "UNSUPPORTED_KEY_TYPE";
    case CRADLE_BRIDGE_E_TOO_LARGE: return "TOO_LARGE";
    case CRADLE_BRIDGE_E_BUSY: return "BUSY";
    case CRADLE_BRIDGE_E_INTERNAL: return "INTERNAL";
    case CRADLE_BRIDGE_E_NOT_PAIRED: return "NOT_PAIRED";
    default: return "UNKNOWN";
    }
}

GBytes *
cradle_bridge_error_payload (CradleBridgeErrorCode  code,
                             const char            *message)
{
  g_autoptr(CradleCborWriter) writer = cradle_cbor_writer_new ();

  cradle_cbor_writer_map (writer, 2);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_uint (writer, code);
  cradle_cbor_writer_uint (writer, 2);
  cradle_cbor_writer_text (writer, message != NULL && g_utf8_validate (message, -1, NULL)
                                     ? message : "(no message)");
  return cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
}

/* The agent's side: which protocol code tells the host what went wrong. */
guint
cradle_bridge_error_code_for (const GError *error)
{
  if (g_error_matches (error, CRADLE_GIO_ERROR, G_IO_ERROR_CANCELLED))
    return CRADLE_BRIDGE_E_CANCELLED;
  if (error->domain != CRADLE_ERROR)
    return CRADLE_BRIDGE_E_INTERNAL;
  switch ((CradleError) error->code)
    {
    case CRADLE_ERROR_INVALID_DATA: return CRADLE_BRIDGE_E_INVALID_REQUEST;
    case CRADLE_ERROR_NOT_FOUND: return CRADLE_BRIDGE_E_NOT_FOUND;
    case CRADLE_ERROR_NOT_SUPPORTED: return CRADLE_BRIDGE_E_UNSUPPORTED;
    case CRADLE_ERROR_PERMISSION_DENIED: return CRADLE_BRIDGE_E_PERMISSION_DENIED;
    case CRADLE_ERROR_USER_DECLINED: return CRADLE_BRIDGE_E_DECLINED;
    case CRADLE_ERROR_TIMED_OUT: return CRADLE_BRIDGE_E_TIMED_OUT;
    case CRADLE_ERROR_BUSY: return CRADLE_BRIDGE_E_BUSY;
    case CRADLE_ERROR_NOT_PAIRED: return CRADLE_BRIDGE_E_NOT_PAIRED;
    default: return CRADLE_BRIDGE_E_INTERNAL;
    }
}

/**
 * cradle_bridge_error_to_gerror:
 * @payload: an ERROR frame's decoded payload
 * @operation: what the host asked, as "generating a key"
 *
 * The host's side: the device's refusal as a CRADLE_ERROR a person can act on.
 */
void
cradle_bridge_error_to_gerror (const CradleCborValue  *payload,
                               const char             *operation,
                               GError                **error)
{
  guint64 code = 0;
  const char *message = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!cradle_cbor_map_get_uint (payload, 1, FALSE, &code, &local_error) ||
      !cradle_cbor_map_get_text (payload, 2, TRUE, &message, &local_error))
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  "The device failed while %s, and its error report is unreadable: ",
                                  operation);
      return;
    }
  if (message == NULL)
    message = "no details";

  switch (code)
    {
    case CRADLE_BRIDGE_E_DECLINED:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_USER_DECLINED,
                   "The device's user declined %s (%s). Try again and accept on the device.",
                   operation, message);
      break;
    case CRADLE_BRIDGE_E_TIMED_OUT:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_TIMED_OUT,
                   "Nobody answered on the device while %s (%s). Try again and confirm on the device.",
                   operation, message);
      break;
    case CRADLE_BRIDGE_E_CANCELLED:
      g_set_error (error, CRADLE_GIO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled while %s", operation);
      break;
    case CRADLE_BRIDGE_E_PERMISSION_DENIED:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED,
                   "The device refused %s: %s", operation, message);
      break;
    case CRADLE_BRIDGE_E_NOT_FOUND:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                   "The device could not find what %s needs: %s", operation, message);
      break;
    case CRADLE_BRIDGE_E_INVALID_REQUEST:
    case CRADLE_BRIDGE_E_MALFORMED:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The device refused %s as invalid: %s", operation, message);
      break;
    case CRADLE_BRIDGE_E_BUSY:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_BUSY,
                   "The device is busy with another session (%s). Close the other program using it and retry.",
                   message);
      break;
    case CRADLE_BRIDGE_E_NOT_PAIRED:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_PAIRED,
                   "The device refused %s: it does not trust this computer (%s). "
                   "Pair it again and accept on the device.", operation, message);
      break;
    case CRADLE_BRIDGE_E_UNSUPPORTED:
    case CRADLE_BRIDGE_E_UNSUPPORTED_VERSION:
    case CRADLE_BRIDGE_E_UNSUPPORTED_KEY_TYPE:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "The device cannot do %s: %s. Update the Cradle agent on the device.",
                   operation, message);
      break;
    default:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                   "The device failed while %s: %s (%s %u)",
                   operation, message, cradle_bridge_error_code_to_string ((guint) MIN (code, G_MAXUINT)),
                   (guint) MIN (code, G_MAXUINT));
      break;
    }
}
