/* cradle-device-call.c: CradleDevice's requests, one at a time
 *
 * One request at a time: send it, then read frames until its final answer,
 * passing KEEPALIVEs on as the "waiting" signal. Cancelling sends CANCEL and
 * still waits (briefly) for the device's answer, so both sides agree the
 * request is over. That wait is bounded whatever the device sends: a device
 * that does not answer CANCEL within CANCEL_GRACE_MS loses the session.
 */
#include "config.h"

#include <cradle/cradle.h>

#include "protocol/cradle-bridge-message-private.h"
#include "host/cradle-device-private.h"

/* How long the device has to answer CANCEL; its KEEPALIVEs do not extend it. */
#define CANCEL_GRACE_MS 5000

/* A device's prompt, at most, as shown: longer is no question for people. */
#define PROMPT_MAX_BYTES 2048

typedef struct {
  CradleDevice *device;
  guint         status;
  char         *prompt;
} WaitingEvent;

static gboolean
emit_waiting (gpointer data)
{
  WaitingEvent *event = data;

  g_signal_emit_by_name (event->device, "waiting", event->status, event->prompt);
  return G_SOURCE_REMOVE;
}

static void
waiting_event_free (gpointer data)
{
  WaitingEvent *event = data;

  g_object_unref (event->device);
  g_free (event->prompt);
  g_free (event);
}

/* The device's words as they may reach a label or a terminal: escaped
 * (lines kept; escape sequences, bidi overrides and C1 controls made
 * visible) and cut at PROMPT_MAX_BYTES on a character's boundary. */
static char *
dup_shown_prompt (const char *prompt)
{
  g_autofree char *shown = cradle_text_escape (prompt, -1, CRADLE_TEXT_ESCAPE_KEEP_LINES);
  const char *end;

  if (strlen (shown) <= PROMPT_MAX_BYTES)
    return g_steal_pointer (&shown);
  end = g_utf8_find_prev_char (shown, shown + PROMPT_MAX_BYTES + 1);
  return g_strdup_printf ("%.*s…", (int) (end - shown), shown);
}

static void
report_keepalive (CradleDevice      *self,
                  CradleBridgeFrame *frame)
{
  g_autoptr(CradleCborValue) payload = NULL;
  WaitingEvent *event;
  guint64 status = CRADLE_BRIDGE_PROCESSING;
  const char *prompt = NULL;

  /* A keepalive only restarts the clock; a garbled one is not worth failing for. */
  payload = cradle_cbor_decode_map (g_bytes_get_data (frame->payload, NULL),
                                    g_bytes_get_size (frame->payload), NULL);
  if (payload != NULL)
    {
      if (!cradle_cbor_map_get_uint (payload, 1, TRUE, &status, NULL))
        status = CRADLE_BRIDGE_PROCESSING;
      if (!cradle_cbor_map_get_text (payload, 2, TRUE, &prompt, NULL))
        prompt = NULL;
    }
  event = g_new0 (WaitingEvent, 1);
  event->device = g_object_ref (self);
  event->status = (guint) MIN (status, G_MAXUINT);
  /* The device's own words: from outside, shown to people. */
  event->prompt = prompt != NULL ? dup_shown_prompt (prompt) : NULL;
  /* While the device asks to pair, what people see is this computer's own
   * words and code, never the device's. */
  if (self->pairing_prompt != NULL && status == CRADLE_BRIDGE_WAITING_FOR_USER)
    {
      event->status = CRADLE_DEVICE_WAITING_PAIRING;
      g_free (event->prompt);
      event->prompt = g_strdup (self->pairing_prompt);
    }
  /* Runs at once when the caller owns the context (a blocking call from the
   * main thread); from a worker thread it is queued to the caller's loop. */
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, emit_waiting, event, waiting_event_free);
}

void
_cradle_device_set_protocol_error (GError     **error,
                                   const char  *operation,
                                   const char  *what)
{
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
               "The device broke the bridge protocol while %s: %s. "
               "Update the Cradle agent on the device.",
               operation, what);
}

/* Sends CANCEL for @id; from now on the device has CANCEL_GRACE_MS to answer. */
static gboolean
send_cancel (CradleDevice  *self,
             guint32        id,
             gint64        *deadline,
             GError       **error)
{
  g_autoptr(GBytes) cancel = cradle_bridge_frame_encode (CRADLE_BRIDGE_CANCEL, 0, id, NULL);

  *deadline = g_get_monotonic_time () + (gint64) CANCEL_GRACE_MS * 1000;
  return cradle_bridge_transport_send (self->transport, cancel, NULL, error);
}

/* The device kept a cancelled request open past its grace time: the session
 * cannot be trusted to be in step any more, so it ends here. Called with
 * the lock held. */
static void
close_after_ignored_cancel (CradleDevice  *self,
                            const char    *operation,
                            GError       **error)
{
  g_debug ("The device %s did not answer CANCEL within %d seconds; closing the session",
           cradle_bridge_transport_get_id (self->transport), CANCEL_GRACE_MS / 1000);
  cradle_bridge_transport_close (self->transport);
  g_clear_object (&self->transport);
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE,
               "Cradle cancelled %s, but the device did not stop: it was still busy %d seconds later, "
               "so Cradle closed the connection to it. Disconnect the device and connect it again, "
               "or restart the Cradle agent on it, before trying again.",
               operation, CANCEL_GRACE_MS / 1000);
}

static void
wipe_frame (GBytes *frame)
{
  gsize size = 0;
  guint8 *data = (guint8 *) g_bytes_get_data (frame, &size);

  if (data != NULL && size > 0)
    explicit_bzero (data, size);
}

/* Sends @type with @payload; returns the decoded final answer. */
CradleCborValue *
_cradle_device_call (CradleDevice  *self,
                     guint8         type,
                     GBytes        *payload,
                     const char    *operation,
                     GCancellable  *cancellable,
                     GError       **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&self->lock);
  g_autoptr(GBytes) frame = NULL;
  guint32 id;
  gint64 started = g_get_monotonic_time ();
  gint64 cancel_deadline = 0;
  gboolean cancel_sent = FALSE;
  gboolean host_gave_up = FALSE;

  if (self->transport == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE,
                   "The device is closed. Connect it again to continue.");
      return NULL;
    }

  id = ++self->next_request_id;
  if (id == 0)
    id = ++self->next_request_id;
  frame = cradle_bridge_frame_encode (type, 0, id, payload);
  /* Before the transport seals the frame and spends a counter on it. */
  if (g_cancellable_set_error_if_cancelled (cancellable, error) ||
      !cradle_bridge_transport_send (self->transport, frame, cancellable, error))
    {
      if (type == CRADLE_BRIDGE_IMPORT_KEY)
        wipe_frame (frame);
      return NULL;
    }
  /* IMPORT_KEY's frame holds a private key: gone once it is sent. */
  if (type == CRADLE_BRIDGE_IMPORT_KEY)
    wipe_frame (frame);

  for (;;)
    {
      g_autoptr(CradleBridgeFrame) reply = NULL;
      g_autoptr(GError) local_error = NULL;
      g_autoptr(CradleCborValue) decoded = NULL;
      guint timeout_ms = CRADLE_BRIDGE_IDLE_TIMEOUT_MS;

      if (cancel_sent)
        {
          gint64 left_ms = (cancel_deadline - g_get_monotonic_time () + 999) / 1000;

          if (left_ms <= 0)
            {
              close_after_ignored_cancel (self, operation, error);
              return NULL;
            }
          timeout_ms = (guint) MIN (left_ms, (gint64) timeout_ms);
        }
      reply = cradle_bridge_transport_receive_frame (self->transport, timeout_ms,
                                                     cancel_sent ? NULL : cancellable, &local_error);
      if (reply == NULL)
        {
          if (!cancel_sent && g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              cancel_sent = TRUE;
              if (!send_cancel (self, id, &cancel_deadline, error))
                return NULL;
              continue;
            }
          if (cancel_sent && g_error_matches (local_error, CRADLE_ERROR, CRADLE_ERROR_TIMED_OUT) &&
              g_get_monotonic_time () >= cancel_deadline)
            {
              close_after_ignored_cancel (self, operation, error);
              return NULL;
            }
          g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "While %s: ", operation);
          return NULL;
        }

      /* Request id 0 is the session itself: BUSY, or a framing complaint. */
      if (reply->header.request_id == 0 && reply->header.type == CRADLE_BRIDGE_ERROR)
        {
          decoded = cradle_cbor_decode_map (g_bytes_get_data (reply->payload, NULL),
                                            g_bytes_get_size (reply->payload), &local_error);
          if (decoded == NULL)
            g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "While %s: ", operation);
          else
            cradle_bridge_error_to_gerror (decoded, operation, error);
          return NULL;
        }
      if (reply->header.request_id != id)
        {
          g_autofree char *what = g_strdup_printf ("it answered request %u while %u was waiting",
                                                   reply->header.request_id, id);

          _cradle_device_set_protocol_error (error, operation, what);
          return NULL;
        }
      if (reply->header.type == CRADLE_BRIDGE_KEEPALIVE &&
          (reply->header.flags & CRADLE_BRIDGE_FLAG_RESPONSE) == 0)
        {
          report_keepalive (self, reply);
          if (!cancel_sent &&
              g_get_monotonic_time () - started > (gint64) self->confirm_timeout_seconds * G_USEC_PER_SEC)
            {
              cancel_sent = host_gave_up = TRUE;
              if (!send_cancel (self, id, &cancel_deadline, error))
                return NULL;
            }
          continue;
        }
      if ((reply->header.flags & CRADLE_BRIDGE_FLAG_RESPONSE) == 0 ||
          (reply->header.type != type && reply->header.type != CRADLE_BRIDGE_ERROR))
        {
          g_autofree char *what = g_strdup_printf ("it sent %s where an answer to %s belongs",
                                                   cradle_bridge_type_to_string (reply->header.type),
                                                   cradle_bridge_type_to_string (type));

          _cradle_device_set_protocol_error (error, operation, what);
          return NULL;
        }

      decoded = cradle_cbor_decode_map (g_bytes_get_data (reply->payload, NULL),
                                        g_bytes_get_size (reply->payload), &local_error);
      if (decoded == NULL)
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "While %s: ", operation);
          return NULL;
        }
      if (reply->header.type == CRADLE_BRIDGE_ERROR)
        {
          if (host_gave_up)
            g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_TIMED_OUT,
                         "Nobody confirmed on the device within %u seconds while %s. "
                         "Try again and confirm on the device.",
                         self->confirm_timeout_seconds, operation);
          else
            cradle_bridge_error_to_gerror (decoded, operation, error);
          return NULL;
        }
      return g_steal_pointer (&decoded);
    }
}
