/* fuzz-der.c: libFuzzer harness for the DER reader both ends share
 *
 * Walks the input element by element, into every constructed element, and
 * checks what the reader promises: each element lies inside what it was
 * taken from, taking only shrinks the input, and the writer writes back
 * exactly the header the reader took (the reader takes minimal DER only).
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "protocol/cradle-der-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

#define MAX_DEPTH 32

static void
walk (CradleDerSlice in,
      guint          depth)
{
  CradleDerSlice whole, value;
  guint8 tag;

  while (in.size > 0)
    {
      const guint8 *start = in.data;
      gsize before = in.size;
      g_autoptr(GByteArray) header = g_byte_array_new ();

      if (!cradle_der_take_any (&in, &tag, &whole, &value))
        {
          g_assert (in.data == start && in.size == before);
          return;
        }
      g_assert (whole.data == start);
      g_assert (whole.size <= before);
      g_assert (in.data == start + whole.size && in.size == before - whole.size);
      g_assert (value.data >= whole.data && value.data + value.size == whole.data + whole.size);
      g_assert (tag == start[0]);

      cradle_der_append_header (header, tag, value.size);
      g_assert (header->len == (gsize) (value.data - whole.data));
      g_assert (memcmp (header->data, whole.data, header->len) == 0);

      if ((tag & 0x20) != 0 && depth < MAX_DEPTH)
        walk (value, depth + 1);
    }
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  CradleDerSlice in = { data, size };

  walk (in, 0);
  if (size > 0)
    {
      /* Asked for one tag, the reader takes only that one. */
      CradleDerSlice again = { data, size };
      CradleDerSlice value;

      if (cradle_der_take (&again, CRADLE_DER_SEQUENCE, NULL, &value))
        g_assert (data[0] == CRADLE_DER_SEQUENCE);
    }
  return 0;
}
