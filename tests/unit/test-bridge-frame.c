/* test-bridge-frame.c: frame headers and reassembly from arbitrary chunks */
#include "config.h"

#include <cradle/cradle.h>

#include "protocol/cradle-bridge-frame-private.h"

static GBytes *
make_frame (guint8      type,
            guint32     request_id,
            const char *payload)
{
  g_autoptr(GBytes) bytes = g_bytes_new (payload, strlen (payload));

  return cradle_bridge_frame_encode (type, CRADLE_BRIDGE_FLAG_RESPONSE, request_id, bytes);
}

static void
test_header_round_trip (void)
{
  g_autoptr(GBytes) frame = make_frame (CRADLE_BRIDGE_SIGN, 0xdeadbeef, "hello");
  const guint8 *data = g_bytes_get_data (frame, NULL);
  g_autoptr(GError) error = NULL;
  CradleBridgeHeader header;

  g_assert_cmpuint (g_bytes_get_size (frame), ==, CRADLE_BRIDGE_HEADER_SIZE + 5);
  g_assert_cmpmem (data, 4, "CRDL", 4);
  g_assert_true (cradle_bridge_header_decode (data, g_bytes_get_size (frame), &header, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (header.version, ==, 1);
  g_assert_cmpuint (header.type, ==, CRADLE_BRIDGE_SIGN);
  g_assert_cmpuint (header.flags, ==, CRADLE_BRIDGE_FLAG_RESPONSE);
  g_assert_cmpuint (header.request_id, ==, 0xdeadbeef);
  g_assert_cmpuint (header.length, ==, 5);
}

static void
assert_header_rejected (const guint8 *header,
                        gsize         size,
                        int           code)
{
  g_autofree guint8 *copy = g_memdup2 (header, size);
  g_autoptr(GError) error = NULL;
  CradleBridgeHeader decoded;

  g_assert_false (cradle_bridge_header_decode (copy, size, &decoded, &error));
  g_assert_error (error, CRADLE_ERROR, code);
}

static void
test_header_rejects (void)
{
  g_autoptr(GBytes) frame = make_frame (CRADLE_BRIDGE_HELLO, 1, "");
  guint8 header[CRADLE_BRIDGE_HEADER_SIZE];

  for (gsize size = 0; size < CRADLE_BRIDGE_HEADER_SIZE; size++)
    assert_header_rejected (g_bytes_get_data (frame, NULL), size, CRADLE_ERROR_INVALID_DATA);

#define RESET() memcpy (header, g_bytes_get_data (frame, NULL), sizeof header)
  RESET (); header[0] = 'X';
  assert_header_rejected (header, sizeof header, CRADLE_ERROR_INVALID_DATA);
  RESET (); header[4] = 0;
  assert_header_rejected (header, sizeof header, CRADLE_ERROR_INVALID_DATA);
  RESET (); header[5] = 0x42;
  assert_header_rejected (header, sizeof header, CRADLE_ERROR_NOT_SUPPORTED);
  RESET (); header[6] = 0x80;
  assert_header_rejected (header, sizeof header, CRADLE_ERROR_INVALID_DATA);
  /* 256 KiB + 1, and the largest length a header can claim. */
  RESET (); header[13] = 0x04; header[15] = 0x01;
  assert_header_rejected (header, sizeof header, CRADLE_ERROR_INVALID_DATA);
  RESET (); memset (header + 12, 0xff, 4);
  assert_header_rejected (header, sizeof header, CRADLE_ERROR_INVALID_DATA);
#undef RESET
}

static GByteArray *
three_frames (void)
{
  g_autoptr(GBytes) a = make_frame (CRADLE_BRIDGE_HELLO, 1, "first");
  g_autoptr(GBytes) b = make_frame (CRADLE_BRIDGE_KEEPALIVE, 2, "");
  g_autoptr(GBytes) c = make_frame (CRADLE_BRIDGE_ERROR, 3, "third frame");
  GByteArray *stream = g_byte_array_new ();

  g_byte_array_append (stream, g_bytes_get_data (a, NULL), g_bytes_get_size (a));
  g_byte_array_append (stream, g_bytes_get_data (b, NULL), g_bytes_get_size (b));
  g_byte_array_append (stream, g_bytes_get_data (c, NULL), g_bytes_get_size (c));
  return stream;
}

static void
assert_three_frames (CradleBridgeFrameReader *reader)
{
  g_autoptr(CradleBridgeFrame) a = cradle_bridge_frame_reader_pop (reader);
  g_autoptr(CradleBridgeFrame) b = cradle_bridge_frame_reader_pop (reader);
  g_autoptr(CradleBridgeFrame) c = cradle_bridge_frame_reader_pop (reader);

  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_nonnull (c);
  g_assert_null (cradle_bridge_frame_reader_pop (reader));
  g_assert_cmpuint (a->header.request_id, ==, 1);
  g_assert_cmpmem (g_bytes_get_data (a->payload, NULL), g_bytes_get_size (a->payload), "first", 5);
  g_assert_cmpuint (b->header.type, ==, CRADLE_BRIDGE_KEEPALIVE);
  g_assert_cmpuint (g_bytes_get_size (b->payload), ==, 0);
  g_assert_cmpmem (g_bytes_get_data (c->payload, NULL), g_bytes_get_size (c->payload), "third frame", 11);
}

static void
test_reader_any_chunking (void)
{
  g_autoptr(GByteArray) stream = three_frames ();

  /* Every chunk size from one byte to the whole stream. */
  for (gsize chunk = 1; chunk <= stream->len; chunk++)
    {
      g_autoptr(CradleBridgeFrameReader) reader = cradle_bridge_frame_reader_new ();
      g_autoptr(GError) error = NULL;

      for (gsize offset = 0; offset < stream->len; offset += chunk)
        {
          g_assert_true (cradle_bridge_frame_reader_feed (reader, stream->data + offset,
                                                          MIN (chunk, stream->len - offset), &error));
          g_assert_no_error (error);
        }
      assert_three_frames (reader);
      g_assert_cmpuint (cradle_bridge_frame_reader_wanted (reader), ==, CRADLE_BRIDGE_HEADER_SIZE);
    }
}

static void
test_reader_breaks_on_bad_header (void)
{
  g_autoptr(CradleBridgeFrameReader) reader = cradle_bridge_frame_reader_new ();
  g_autoptr(GByteArray) stream = three_frames ();
  g_autoptr(GError) error = NULL;

  stream->data[16 + 5] = 'Z';   /* the second frame's magic */
  g_assert_false (cradle_bridge_frame_reader_feed (reader, stream->data, stream->len, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* The frame before the damage was delivered; nothing after it ever is. */
  {
    g_autoptr(CradleBridgeFrame) first = cradle_bridge_frame_reader_pop (reader);

    g_assert_nonnull (first);
    g_assert_cmpuint (first->header.request_id, ==, 1);
  }
  g_assert_false (cradle_bridge_frame_reader_feed (reader, stream->data, 16, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_null (cradle_bridge_frame_reader_pop (reader));
}

static void
test_reader_oversized_never_allocates (void)
{
  g_autoptr(CradleBridgeFrameReader) reader = cradle_bridge_frame_reader_new ();
  g_autoptr(GBytes) frame = make_frame (CRADLE_BRIDGE_INSTALL, 9, "");
  g_autoptr(GError) error = NULL;
  guint8 header[CRADLE_BRIDGE_HEADER_SIZE];

  memcpy (header, g_bytes_get_data (frame, NULL), sizeof header);
  memset (header + 12, 0x7f, 4);
  g_assert_false (cradle_bridge_frame_reader_feed (reader, header, sizeof header, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "limit"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/bridge/frame/header-round-trip", test_header_round_trip);
  g_test_add_func ("/bridge/frame/header-rejects", test_header_rejects);
  g_test_add_func ("/bridge/frame/reader-any-chunking", test_reader_any_chunking);
  g_test_add_func ("/bridge/frame/reader-breaks-on-bad-header", test_reader_breaks_on_bad_header);
  g_test_add_func ("/bridge/frame/reader-oversized-never-allocates", test_reader_oversized_never_allocates);

  return g_test_run ();
}
