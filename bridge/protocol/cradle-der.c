/* cradle-der.c: the one bounded reader and writer of DER headers, for the host and the device */
#include "config.h"

#include <string.h>

#include "protocol/cradle-der-private.h"

gboolean
cradle_der_take_any (CradleDerSlice *in,
                     guint8         *tag,
                     CradleDerSlice *whole,
                     CradleDerSlice *value)
{
  gsize header = 2;
  gsize length;

  /* High tag numbers (low five bits all set) are not used by anything read here. */
  if (in->size < 2 || (in->data[0] & 0x1f) == 0x1f)
    return FALSE;
  length = in->data[1];
  if (length & 0x80)
    {
      gsize count = length & 0x7f;

      /* 0x80 (indefinite), lengths of more than 4 bytes, leading zero bytes
       * and long forms of short lengths are not DER. */
      if (count == 0 || count > 4 || in->size - 2 < count || in->data[2] == 0)
        return FALSE;
      length = 0;
      for (gsize i = 0; i < count; i++)
        length = (length << 8) | in->data[2 + i];
      if (length < 0x80)
        return FALSE;
      header += count;
    }
  if (length > in->size - header)
    return FALSE;

  if (tag != NULL)
    *tag = in->data[0];
  if (whole != NULL)
    *whole = (CradleDerSlice) { in->data, header + length };
  if (value != NULL)
    *value = (CradleDerSlice) { in->data + header, length };
  in->data += header + length;
  in->size -= header + length;
  return TRUE;
}

gboolean
cradle_der_take (CradleDerSlice *in,
                 guint8          tag,
                 CradleDerSlice *whole,
                 CradleDerSlice *value)
{
  if (in->size < 1 || in->data[0] != tag)
    return FALSE;
  return cradle_der_take_any (in, NULL, whole, value);
}

void
cradle_der_append_header (GByteArray *out,
                          guint8      tag,
                          gsize       length)
{
  guint8 header[6] = { tag };
  gsize size = 2;

  g_return_if_fail ((guint64) length <= CRADLE_DER_MAX_LENGTH);

  if (length < 0x80)
    header[1] = (guint8) length;
  else
    {
      guint count = length > 0xffffff ? 4 : length > 0xffff ? 3 : length > 0xff ? 2 : 1;

      header[1] = 0x80 | count;
      for (guint i = 0; i < count; i++)
        header[2 + i] = (guint8) (length >> (8 * (count - 1 - i)));
      size += count;
    }
  g_byte_array_append (out, header, size);
}

gboolean
cradle_der_equal (CradleDerSlice  slice,
                  const guint8   *data,
                  gsize           size)
{
  return slice.size == size && (size == 0 || memcmp (slice.data, data, size) == 0);
}

int
cradle_der_set_order (CradleDerSlice a,
                      CradleDerSlice b)
{
  gsize common = MIN (a.size, b.size);
  int order = common > 0 ? memcmp (a.data, b.data, common) : 0;

  if (order != 0)
    return order;
  /* The longer one's tail against zero padding: only a nonzero byte makes it larger. */
  for (gsize i = common; i < a.size; i++)
    if (a.data[i] != 0)
      return 1;
  for (gsize i = common; i < b.size; i++)
    if (b.data[i] != 0)
      return -1;
  return 0;
}
