/* cradle-bridge-frame.c: frame headers, checked before any allocation */
#include "config.h"

#include <cradle/cradle.h>

#include "protocol/cradle-bridge-frame-private.h"

const char *
cradle_bridge_type_to_string (guint8 type)
{
  switch (type)
    {
    case CRADLE_BRIDGE_HELLO: return "HELLO";
    case CRADLE_BRIDGE_GET_INFO: return "GET_INFO";
    case CRADLE_BRIDGE_GENERATE_KEY: return "GENERATE_KEY";
    case CRADLE_BRIDGE_SIGN: return "SIGN";
    case CRADLE_BRIDGE_LIST_CERTS: return "LIST_CERTS";
    case CRADLE_BRIDGE_INSTALL: return "INSTALL";
    case CRADLE_BRIDGE_DELETE_KEY: return "DELETE_KEY";
    case CRADLE_BRIDGE_DELETE_CERT: return "DELETE_CERT";
    case CRADLE_BRIDGE_DECRYPT: return "DECRYPT";
    case CRADLE_BRIDGE_IMPORT_KEY: return "IMPORT_KEY";
    case CRADLE_BRIDGE_PAIR_START: return "PAIR_START";
    case CRADLE_BRIDGE_PAIR_REVEAL: return "PAIR_REVEAL";
    case CRADLE_BRIDGE_PAIR_CONFIRM: return "PAIR_CONFIRM";
    case CRADLE_BRIDGE_AUTHENTICATE: return "AUTHENTICATE";
    case CRADLE_BRIDGE_FORGET_HOST: return "FORGET_HOST";
    case CRADLE_BRIDGE_KEEPALIVE: return "KEEPALIVE";
    case CRADLE_BRIDGE_CANCEL: return "CANCEL";
    case CRADLE_BRIDGE_ERROR: return "ERROR";
    default: return NULL;
    }
}

static guint32
read_be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static void
write_be32 (guint8  *p,
            guint32  value)
{
  p[0] = value >> 24;
  p[1] = value >> 16;
  p[2] = value >> 8;
  p[3] = value;
}

/**
 * cradle_bridge_header_decode:
 * @data: at least %CRADLE_BRIDGE_HEADER_SIZE bytes from the peer
 *
 * Checks magic, version, type, flags and length. A failure here means the
 * stream cannot be trusted any more.
 */
gboolean
cradle_bridge_header_decode (const guint8        *data,
                             gsize                size,
                             CradleBridgeHeader  *header,
                             GError             **error)
{
  if (size < CRADLE_BRIDGE_HEADER_SIZE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "Malformed frame from the device: a header needs %d bytes, %" G_GSIZE_FORMAT " came",
                   CRADLE_BRIDGE_HEADER_SIZE, size);
      return FALSE;
    }
  if (read_be32 (data) != CRADLE_BRIDGE_MAGIC)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "Malformed frame from the device: it does not start with the Cradle magic; "
                           "the other side does not speak the Cradle bridge protocol");
      return FALSE;
    }
  header->version = data[4];
  header->type = data[5];
  header->flags = (guint16) ((data[6] << 8) | data[7]);
  header->request_id = read_be32 (data + 8);
  header->length = read_be32 (data + 12);

  if (header->version == 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "Malformed frame from the device: protocol version 0 does not exist");
      return FALSE;
    }
  if (cradle_bridge_type_to_string (header->type) == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "Frame of unknown type 0x%02x from the device", header->type);
      return FALSE;
    }
  if ((header->flags & ~(CRADLE_BRIDGE_FLAG_RESPONSE | CRADLE_BRIDGE_FLAG_SEALED)) != 0)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "Malformed frame from the device: reserved flags 0x%04x are set", header->flags);
      return FALSE;
    }
  if (header->length > CRADLE_BRIDGE_MAX_PAYLOAD)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "Malformed frame from the device: a payload of %u bytes is over the %d-byte limit",
                   header->length, CRADLE_BRIDGE_MAX_PAYLOAD);
      return FALSE;
    }
  return TRUE;
}

/* Our own frames are well-formed by construction: only the size is checked. */
GBytes *
cradle_bridge_frame_encode (guint8   type,
                            guint16  flags,
                            guint32  request_id,
                            GBytes  *payload)
{
  gsize length = payload != NULL ? g_bytes_get_size (payload) : 0;
  GByteArray *frame;
  guint8 header[CRADLE_BRIDGE_HEADER_SIZE];

  g_return_val_if_fail (length <= CRADLE_BRIDGE_MAX_PAYLOAD, NULL);

  write_be32 (header, CRADLE_BRIDGE_MAGIC);
  header[4] = CRADLE_BRIDGE_VERSION;
  header[5] = type;
  header[6] = flags >> 8;
  header[7] = flags & 0xff;
  write_be32 (header + 8, request_id);
  write_be32 (header + 12, (guint32) length);

  frame = g_byte_array_sized_new (CRADLE_BRIDGE_HEADER_SIZE + length);
  g_byte_array_append (frame, header, sizeof header);
  if (length > 0)
    g_byte_array_append (frame, g_bytes_get_data (payload, NULL), length);
  return g_byte_array_free_to_bytes (frame);
}

void
cradle_bridge_frame_free (CradleBridgeFrame *frame)
{
  if (frame == NULL)
    return;
  g_clear_pointer (&frame->payload, g_bytes_unref);
  g_free (frame);
}

struct _CradleBridgeFrameReader
{
  guint8              header_bytes[CRADLE_BRIDGE_HEADER_SIZE];
  gsize               header_filled;
  CradleBridgeHeader  header;
  guint8             *payload;        /* allocated once the header is valid */
  gsize               payload_filled;
  GQueue              complete;       /* of CradleBridgeFrame */
  gboolean            broken;
};

CradleBridgeFrameReader *
cradle_bridge_frame_reader_new (void)
{
  CradleBridgeFrameReader *reader = g_new0 (CradleBridgeFrameReader, 1);

  g_queue_init (&reader->complete);
  return reader;
}

void
cradle_bridge_frame_reader_free (CradleBridgeFrameReader *reader)
{
  if (reader == NULL)
    return;
  g_free (reader->payload);
  g_queue_clear_full (&reader->complete, (GDestroyNotify) cradle_bridge_frame_free);
  g_free (reader);
}

static void
finish_frame (CradleBridgeFrameReader *reader)
{
  CradleBridgeFrame *frame = g_new0 (CradleBridgeFrame, 1);

  frame->header = reader->header;
  frame->payload = g_bytes_new_take (g_steal_pointer (&reader->payload), reader->header.length);
  g_queue_push_tail (&reader->complete, frame);
  reader->header_filled = 0;
  reader->payload_filled = 0;
}

/**
 * cradle_bridge_frame_reader_feed:
 *
 * Consumes every byte of @data. Once it fails the stream is out of step and
 * every later call fails too: close the session.
 */
gboolean
cradle_bridge_frame_reader_feed (CradleBridgeFrameReader  *reader,
                                 const guint8             *data,
                                 gsize                     size,
                                 GError                  **error)
{
  if (reader->broken)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The session with the device is out of step after a malformed frame");
      return FALSE;
    }

  while (size > 0)
    {
      if (reader->header_filled < CRADLE_BRIDGE_HEADER_SIZE)
        {
          gsize take = MIN (size, CRADLE_BRIDGE_HEADER_SIZE - reader->header_filled);

          memcpy (reader->header_bytes + reader->header_filled, data, take);
          reader->header_filled += take;
          data += take;
          size -= take;
          if (reader->header_filled < CRADLE_BRIDGE_HEADER_SIZE)
            break;
          if (!cradle_bridge_header_decode (reader->header_bytes, CRADLE_BRIDGE_HEADER_SIZE,
                                            &reader->header, error))
            {
              reader->broken = TRUE;
              return FALSE;
            }
          /* Bounded by the header check above. */
          reader->payload = g_malloc (MAX (reader->header.length, 1));
          if (reader->header.length == 0)
            finish_frame (reader);
          continue;
        }
      else
        {
          gsize take = MIN (size, reader->header.length - reader->payload_filled);

          memcpy (reader->payload + reader->payload_filled, data, take);
          reader->payload_filled += take;
          data += take;
          size -= take;
          if (reader->payload_filled == reader->header.length)
            finish_frame (reader);
        }
    }
  return TRUE;
}

/* Returns: (transfer full) (nullable): the oldest complete frame */
CradleBridgeFrame *
cradle_bridge_frame_reader_pop (CradleBridgeFrameReader *reader)
{
  return g_queue_pop_head (&reader->complete);
}

/* How many more bytes finish the frame being read: a good read size. */
gsize
cradle_bridge_frame_reader_wanted (CradleBridgeFrameReader *reader)
{
  if (reader->header_filled < CRADLE_BRIDGE_HEADER_SIZE)
    return CRADLE_BRIDGE_HEADER_SIZE - reader->header_filled;
  return reader->header.length - reader->payload_filled;
}
