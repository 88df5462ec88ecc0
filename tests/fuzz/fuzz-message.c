/* fuzz-message.c: libFuzzer harness for the strict CBOR payload decoder */
#include "config.h"

#include <gio/gio.h>
#include <cradle/cradle.h>

#include "protocol/cradle-bridge-cbor-private.h"
#include "protocol/cradle-bridge-message-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static void
walk (const CradleCborValue *map,
      guint                  depth)
{
  for (guint key = 0; key < 10; key++)
    {
      guint64 number;
      gboolean flag;
      const char *text;
      const CradleCborValue *array;
      g_autoptr(GBytes) bytes = NULL;

      /* Each reader is tried on every key; a type mismatch is refused, not a crash. */
      gboolean read = cradle_cbor_map_get_uint (map, key, TRUE, &number, NULL);

      read = cradle_cbor_map_get_bool (map, key, TRUE, &flag, NULL) || read;
      read = cradle_cbor_map_get_text (map, key, TRUE, &text, NULL) || read;
      read = cradle_cbor_map_get_bytes (map, key, TRUE, &bytes, NULL) || read;
      (void) read;
      if (cradle_cbor_map_get_array (map, key, TRUE, &array, NULL) && array != NULL)
        for (gsize i = 0; i < cradle_cbor_value_get_length (array); i++)
          {
            const CradleCborValue *item = cradle_cbor_array_get (array, i);

            if (cradle_cbor_value_get_type (item) == CRADLE_CBOR_MAP && depth < 4)
              walk (item, depth + 1);
            cradle_cbor_text_get (item);
          }
    }
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(CradleCborValue) map = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) device_error = NULL;

  map = cradle_cbor_decode_map (data, size, &error);
  if (map == NULL)
    {
      g_assert (error != NULL);
      return 0;
    }
  walk (map, 1);
  /* As the host reads an ERROR frame. */
  cradle_bridge_error_to_gerror (map, "fuzzing", &device_error);
  g_assert (device_error != NULL);
  return 0;
}
