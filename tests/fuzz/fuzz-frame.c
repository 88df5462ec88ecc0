/* fuzz-frame.c: libFuzzer harness for frame headers and reassembly */
#include "config.h"

#include <cradle/cradle.h>

#include "protocol/cradle-bridge-frame-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(CradleBridgeFrameReader) reader = cradle_bridge_frame_reader_new ();
  CradleBridgeHeader header;
  gsize chunk;
  gsize offset = 1;

  if (size == 0)
    return 0;
  /* Whether the header decodes or not, nothing else may happen. */
  if (!cradle_bridge_header_decode (data + 1, size - 1, &header, NULL))
    memset (&header, 0, sizeof header);

  /* The first byte picks the chunk size, as transfers would split the stream. */
  chunk = (data[0] % 64) + 1;
  while (offset < size)
    {
      gsize take = MIN (chunk, size - offset);
      CradleBridgeFrame *frame;

      if (!cradle_bridge_frame_reader_feed (reader, data + offset, take, NULL))
        break;
      while ((frame = cradle_bridge_frame_reader_pop (reader)) != NULL)
        {
          g_assert (g_bytes_get_size (frame->payload) == frame->header.length);
          cradle_bridge_frame_free (frame);
        }
      offset += take;
    }
  return 0;
}
