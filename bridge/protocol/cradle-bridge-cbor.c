/* cradle-bridge-cbor.c: bounded decoding and simple encoding of bridge payloads */
#include "config.h"

#include <cbor.h>
#include <cradle/cradle.h>

#include "protocol/cradle-bridge-cbor-private.h"

struct _CradleCborValue
{
  CradleCborType type;
  union {
    guint64 uint;
    gboolean boolean;
    GBytes *bytes;          /* BYTES; TEXT holds NUL-terminated text */
    GPtrArray *items;       /* ARRAY */
    struct {
      GArray *keys;         /* guint */
      GPtrArray *values;
    } map;
  };
  gsize expected;           /* while decoding: items (or pairs) announced */
};

void
cradle_cbor_value_free (CradleCborValue *value)
{
  if (value == NULL)
    return;
  switch (value->type)
    {
    case CRADLE_CBOR_BYTES:
    case CRADLE_CBOR_TEXT:
      g_bytes_unref (value->bytes);
      break;
    case CRADLE_CBOR_ARRAY:
      g_ptr_array_unref (value->items);
      break;
    case CRADLE_CBOR_MAP:
      g_array_unref (value->map.keys);
      g_ptr_array_unref (value->map.values);
      break;
    case CRADLE_CBOR_UINT:
    case CRADLE_CBOR_BOOL:
    default:
      break;
    }
  g_free (value);
}

/* Decoding: libcbor's streaming decoder calls back per item; we build the
 * tree ourselves so depth, counts and types are checked as items arrive. */
typedef struct {
  CradleCborValue *root;
  CradleCborValue *stack[CRADLE_CBOR_MAX_DEPTH];
  guint            depth;
  guint            nodes;
  gboolean         expect_key;   /* the top is a map waiting for a key */
  guint            pending_key;
  GError          *error;
} Decoder;

G_GNUC_PRINTF (2, 3)
static void
decoder_fail (Decoder    *decoder,
              const char *format,
              ...)
{
  va_list args;
  g_autofree char *message = NULL;

  if (decoder->error != NULL)
    return;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (&decoder->error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
               "Malformed message from the device: %s", message);
}

static gsize
container_count (const CradleCborValue *value)
{
  return value->type == CRADLE_CBOR_MAP ? value->map.values->len : value->items->len;
}

/* Pops every container that has all its items. */
static void
decoder_close_full (Decoder *decoder)
{
  while (decoder->depth > 0)
    {
      CradleCborValue *top = decoder->stack[decoder->depth - 1];

      if (container_count (top) < top->expected)
        break;
      decoder->depth--;
    }
  if (decoder->depth > 0)
    decoder->expect_key = decoder->stack[decoder->depth - 1]->type == CRADLE_CBOR_MAP;
}

static void
decoder_add (Decoder         *decoder,
             CradleCborValue *value)
{
  CradleCborValue *top;

  if (decoder->error != NULL || ++decoder->nodes > CRADLE_CBOR_MAX_NODES)
    {
      decoder_fail (decoder, "more than %d items", CRADLE_CBOR_MAX_NODES);
      cradle_cbor_value_free (value);
      return;
    }

  if (decoder->depth == 0)
    {
      if (decoder->root != NULL)
        {
          decoder_fail (decoder, "more than one item at the top");
          cradle_cbor_value_free (value);
          return;
        }
      decoder->root = value;
    }
  else
    {
      top = decoder->stack[decoder->depth - 1];
      if (top->type == CRADLE_CBOR_MAP)
        {
          guint key = decoder->pending_key;

          g_array_append_val (top->map.keys, key);
          g_ptr_array_add (top->map.values, value);
        }
      else
        g_ptr_array_add (top->items, value);
    }

  if (value->type == CRADLE_CBOR_MAP || value->type == CRADLE_CBOR_ARRAY)
    {
      if (decoder->depth >= CRADLE_CBOR_MAX_DEPTH)
        {
          decoder_fail (decoder, "nested deeper than %d levels", CRADLE_CBOR_MAX_DEPTH);
          return;
        }
      decoder->stack[decoder->depth++] = value;
    }
  decoder_close_full (decoder);
}

/* A map key: an unsigned integer below 256, once per map. */
static gboolean
decoder_take_key (Decoder *decoder,
                  guint64  key)
{
  CradleCborValue *top;

  if (decoder->depth == 0 || !decoder->expect_key)
    return FALSE;
  top = decoder->stack[decoder->depth - 1];
  if (key > CRADLE_CBOR_MAX_KEY)
    {
      decoder_fail (decoder, "map key %" G_GUINT64_FORMAT " is above %d", key, CRADLE_CBOR_MAX_KEY);
      return TRUE;
    }
  for (guint i = 0; i < top->map.keys->len; i++)
    if (g_array_index (top->map.keys, guint, i) == key)
      {
        decoder_fail (decoder, "map key %" G_GUINT64_FORMAT " appears twice", key);
        return TRUE;
      }
  decoder->pending_key = (guint) key;
  decoder->expect_key = FALSE;
  return TRUE;
}

static gboolean
decoder_refuse_non_key (Decoder    *decoder,
                        const char *what)
{
  if (decoder->depth > 0 && decoder->expect_key)
    {
      decoder_fail (decoder, "a map key is %s, not an unsigned integer", what);
      return TRUE;
    }
  return decoder->error != NULL;
}

static void
on_uint (Decoder *decoder,
         guint64  value)
{
  CradleCborValue *item;

  if (decoder->error != NULL || decoder_take_key (decoder, value))
    return;
  item = g_new0 (CradleCborValue, 1);
  item->type = CRADLE_CBOR_UINT;
  item->uint = value;
  decoder_add (decoder, item);
}

static void on_uint8 (void *d, uint8_t v) { on_uint (d, v); }
static void on_uint16 (void *d, uint16_t v) { on_uint (d, v); }
static void on_uint32 (void *d, uint32_t v) { on_uint (d, v); }
static void on_uint64 (void *d, uint64_t v) { on_uint (d, v); }

static void
on_string (Decoder      *decoder,
           CradleCborType type,
           cbor_data     data,
           size_t        size)
{
  CradleCborValue *item;

  if (decoder_refuse_non_key (decoder, "a string"))
    return;
  item = g_new0 (CradleCborValue, 1);
  item->type = type;
  if (type == CRADLE_CBOR_TEXT)
    {
      if (memchr (data, '\0', size) != NULL || !g_utf8_validate_len ((const char *) data, size, NULL))
        {
          decoder_fail (decoder, "a text field is not valid UTF-8");
          g_free (item);
          return;
        }
      /* Stored with a terminating NUL so callers get a C string. */
      item->bytes = g_bytes_new_take (g_strndup ((const char *) data, size), size + 1);
    }
  else
    item->bytes = g_bytes_new (data, size);
  decoder_add (decoder, item);
}

static void
on_bytes (void *d, cbor_data data, size_t size)
{
  on_string (d, CRADLE_CBOR_BYTES, data, size);
}

static void
on_text (void *d, cbor_data data, size_t size)
{
  on_string (d, CRADLE_CBOR_TEXT, data, size);
}

static void
on_container (Decoder        *decoder,
              CradleCborType  type,
              size_t          size)
{
  CradleCborValue *item;
  gsize limit = type == CRADLE_CBOR_MAP ? CRADLE_CBOR_MAX_MAP_PAIRS : CRADLE_CBOR_MAX_ARRAY_ITEMS;

  if (decoder_refuse_non_key (decoder, type == CRADLE_CBOR_MAP ? "a map" : "an array"))
    return;
  /* Checked before anything is sized from it. */
  if (size > limit)
    {
      decoder_fail (decoder, "%s of %zu entries, more than the %" G_GSIZE_FORMAT " allowed",
                    type == CRADLE_CBOR_MAP ? "a map" : "an array", size, limit);
      return;
    }
  item = g_new0 (CradleCborValue, 1);
  item->type = type;
  item->expected = size;
  if (type == CRADLE_CBOR_MAP)
    {
      item->map.keys = g_array_sized_new (FALSE, FALSE, sizeof (guint), size);
      item->map.values = g_ptr_array_new_full (size, (GDestroyNotify) cradle_cbor_value_free);
    }
  else
    item->items = g_ptr_array_new_full (size, (GDestroyNotify) cradle_cbor_value_free);
  decoder_add (decoder, item);
}

static void
on_array (void *d, size_t size)
{
  on_container (d, CRADLE_CBOR_ARRAY, size);
}

static void
on_map (void *d, size_t size)
{
  on_container (d, CRADLE_CBOR_MAP, size);
}

static void
on_bool (void *d, bool value)
{
  Decoder *decoder = d;
  CradleCborValue *item;

  if (decoder_refuse_non_key (decoder, "a boolean"))
    return;
  item = g_new0 (CradleCborValue, 1);
  item->type = CRADLE_CBOR_BOOL;
  item->boolean = value;
  decoder_add (decoder, item);
}

static void on_negint64 (void *d, uint64_t v) { decoder_fail (d, "negative integers are not used"); }
static void on_negint32 (void *d, uint32_t v) { decoder_fail (d, "negative integers are not used"); }
static void on_negint16 (void *d, uint16_t v) { decoder_fail (d, "negative integers are not used"); }
static void on_negint8 (void *d, uint8_t v) { decoder_fail (d, "negative integers are not used"); }
static void on_indefinite (void *d) { decoder_fail (d, "indefinite lengths are not allowed"); }
static void on_tag (void *d, uint64_t v) { decoder_fail (d, "tags are not used"); }
static void on_float (void *d, float v) { decoder_fail (d, "floating-point numbers are not used"); }
static void on_double (void *d, double v) { decoder_fail (d, "floating-point numbers are not used"); }
static void on_null (void *d) { decoder_fail (d, "null and undefined are not used"); }

static const struct cbor_callbacks decoder_callbacks = {
  .uint8 = on_uint8,
  .uint16 = on_uint16,
  .uint32 = on_uint32,
  .uint64 = on_uint64,
  .negint64 = on_negint64,
  .negint32 = on_negint32,
  .negint16 = on_negint16,
  .negint8 = on_negint8,
  .byte_string_start = on_indefinite,
  .byte_string = on_bytes,
  .string = on_text,
  .string_start = on_indefinite,
  .indef_array_start = on_indefinite,
  .array_start = on_array,
  .indef_map_start = on_indefinite,
  .map_start = on_map,
  .tag = on_tag,
  .float2 = on_float,
  .float4 = on_float,
  .float8 = on_double,
  .undefined = on_null,
  .null = on_null,
  .boolean = on_bool,
  .indef_break = on_indefinite,
};

/**
 * cradle_cbor_decode_map:
 * @data: a payload from the peer, untrusted
 * @size: its size
 * @error: return location for a #GError
 *
 * Decodes exactly one map from @data. An empty payload is an empty map.
 *
 * Returns: (transfer full): the map
 */
CradleCborValue *
cradle_cbor_decode_map (const guint8  *data,
                        gsize          size,
                        GError       **error)
{
  Decoder decoder = { 0 };
  gsize offset = 0;

  if (size == 0)
    {
      CradleCborValue *empty = g_new0 (CradleCborValue, 1);

      empty->type = CRADLE_CBOR_MAP;
      empty->map.keys = g_array_new (FALSE, FALSE, sizeof (guint));
      empty->map.values = g_ptr_array_new_with_free_func ((GDestroyNotify) cradle_cbor_value_free);
      return empty;
    }

  while (offset < size && decoder.error == NULL)
    {
      struct cbor_decoder_result result;

      if (decoder.root != NULL && decoder.depth == 0)
        {
          decoder_fail (&decoder, "%" G_GSIZE_FORMAT " bytes follow the payload", size - offset);
          break;
        }
      result = cbor_stream_decode (data + offset, size - offset, &decoder_callbacks, &decoder);
      if (result.status == CBOR_DECODER_NEDATA)
        decoder_fail (&decoder, "the payload is truncated");
      else if (result.status != CBOR_DECODER_FINISHED || result.read == 0)
        decoder_fail (&decoder, "the payload is not CBOR");
      else
        offset += result.read;
    }

  if (decoder.error == NULL && decoder.depth > 0)
    decoder_fail (&decoder, "the payload ends inside a map or array");
  if (decoder.error == NULL && (decoder.root == NULL || decoder.root->type != CRADLE_CBOR_MAP))
    decoder_fail (&decoder, "the payload is not a map");

  if (decoder.error != NULL)
    {
      cradle_cbor_value_free (decoder.root);
      g_propagate_error (error, decoder.error);
      return NULL;
    }
  return decoder.root;
}

CradleCborType
cradle_cbor_value_get_type (const CradleCborValue *value)
{
  return value->type;
}

gsize
cradle_cbor_value_get_length (const CradleCborValue *value)
{
  switch (value->type)
    {
    case CRADLE_CBOR_ARRAY:
      return value->items->len;
    case CRADLE_CBOR_MAP:
      return value->map.values->len;
    case CRADLE_CBOR_BYTES:
      return g_bytes_get_size (value->bytes);
    case CRADLE_CBOR_TEXT:
      return g_bytes_get_size (value->bytes) - 1;
    case CRADLE_CBOR_UINT:
    case CRADLE_CBOR_BOOL:
    default:
      return 0;
    }
}

CradleCborValue *
cradle_cbor_array_get (const CradleCborValue *array,
                       gsize                  index)
{
  g_return_val_if_fail (array->type == CRADLE_CBOR_ARRAY, NULL);
  g_return_val_if_fail (index < array->items->len, NULL);
  return g_ptr_array_index (array->items, index);
}

const char *
cradle_cbor_text_get (const CradleCborValue *value)
{
  if (value == NULL || value->type != CRADLE_CBOR_TEXT)
    return NULL;
  return g_bytes_get_data (value->bytes, NULL);
}

static const char *
type_name (CradleCborType type)
{
  switch (type)
    {
    case CRADLE_CBOR_UINT: return "an unsigned integer";
    case CRADLE_CBOR_BYTES: return "a byte string";
    case CRADLE_CBOR_TEXT: return "text";
    case CRADLE_CBOR_BOOL: return "a boolean";
    case CRADLE_CBOR_ARRAY: return "an array";
    case CRADLE_CBOR_MAP: return "a map";
    default: return "unknown";
    }
}

/* The value under @key of the wanted type; %NULL with or without error. */
static const CradleCborValue *
map_lookup (const CradleCborValue  *map,
            guint                   key,
            CradleCborType          type,
            gboolean                optional,
            GError                **error)
{
  g_return_val_if_fail (map != NULL && map->type == CRADLE_CBOR_MAP, NULL);

  for (guint i = 0; i < map->map.keys->len; i++)
    {
      const CradleCborValue *value;

      if (g_array_index (map->map.keys, guint, i) != key)
        continue;
      value = g_ptr_array_index (map->map.values, i);
      if (value->type != type)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "Malformed message from the device: field %u is %s, not %s",
                       key, type_name (value->type), type_name (type));
          return NULL;
        }
      return value;
    }
  if (!optional)
    g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                 "Malformed message from the device: field %u (%s) is missing",
                 key, type_name (type));
  return NULL;
}

/* TRUE when found, or absent and optional (then @out is untouched). */
#define LOOKUP_OR_RETURN(value, map, key, type, optional, error)                 \
  G_STMT_START {                                                                 \
    g_autoptr(GError) lookup_error = NULL;                                       \
    value = map_lookup (map, key, type, optional, &lookup_error);                \
    if (lookup_error != NULL)                                                    \
      {                                                                          \
        g_propagate_error (error, g_steal_pointer (&lookup_error));              \
        return FALSE;                                                            \
      }                                                                          \
    if (value == NULL)                                                           \
      return TRUE;                                                               \
  } G_STMT_END

gboolean
cradle_cbor_map_get_uint (const CradleCborValue  *map,
                          guint                   key,
                          gboolean                optional,
                          guint64                *out,
                          GError                **error)
{
  const CradleCborValue *value;

  LOOKUP_OR_RETURN (value, map, key, CRADLE_CBOR_UINT, optional, error);
  *out = value->uint;
  return TRUE;
}

gboolean
cradle_cbor_map_get_bool (const CradleCborValue  *map,
                          guint                   key,
                          gboolean                optional,
                          gboolean               *out,
                          GError                **error)
{
  const CradleCborValue *value;

  LOOKUP_OR_RETURN (value, map, key, CRADLE_CBOR_BOOL, optional, error);
  *out = value->boolean;
  return TRUE;
}

gboolean
cradle_cbor_map_get_bytes (const CradleCborValue  *map,
                           guint                   key,
                           gboolean                optional,
                           GBytes                **out,
                           GError                **error)
{
  const CradleCborValue *value;

  *out = NULL;
  LOOKUP_OR_RETURN (value, map, key, CRADLE_CBOR_BYTES, optional, error);
  *out = g_bytes_ref (value->bytes);
  return TRUE;
}

gboolean
cradle_cbor_map_get_bytes_sized (const CradleCborValue  *map,
                                 guint                   key,
                                 gsize                   size,
                                 const char             *what,
                                 GBytes                **out,
                                 GError                **error)
{
  if (!cradle_cbor_map_get_bytes (map, key, FALSE, out, error))
    return FALSE;
  if (g_bytes_get_size (*out) == size)
    return TRUE;
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
               "Malformed message: field %u (%s) is %" G_GSIZE_FORMAT " bytes, not %" G_GSIZE_FORMAT,
               key, what, g_bytes_get_size (*out), size);
  g_clear_pointer (out, g_bytes_unref);
  return FALSE;
}

/* @out points into @map: valid while the map lives. */
gboolean
cradle_cbor_map_get_text (const CradleCborValue  *map,
                          guint                   key,
                          gboolean                optional,
                          const char            **out,
                          GError                **error)
{
  const CradleCborValue *value;

  *out = NULL;
  LOOKUP_OR_RETURN (value, map, key, CRADLE_CBOR_TEXT, optional, error);
  *out = g_bytes_get_data (value->bytes, NULL);
  return TRUE;
}

gboolean
cradle_cbor_map_get_array (const CradleCborValue  *map,
                           guint                   key,
                           gboolean                optional,
                           const CradleCborValue **out,
                           GError                **error)
{
  const CradleCborValue *value;

  *out = NULL;
  LOOKUP_OR_RETURN (value, map, key, CRADLE_CBOR_ARRAY, optional, error);
  *out = value;
  return TRUE;
}

/* Writing */
struct _CradleCborWriter
{
  GByteArray *buffer;
};

CradleCborWriter *
cradle_cbor_writer_new (void)
{
  CradleCborWriter *writer = g_new0 (CradleCborWriter, 1);

  writer->buffer = g_byte_array_sized_new (256);
  return writer;
}

/* A writer whose buffer holds @size bytes before it grows: what is written
 * within them is never copied by a reallocation (a key to be wiped). */
CradleCborWriter *
cradle_cbor_writer_new_sized (gsize size)
{
  CradleCborWriter *writer = g_new0 (CradleCborWriter, 1);

  writer->buffer = g_byte_array_sized_new ((guint) MIN (size, G_MAXUINT));
  return writer;
}

void
cradle_cbor_writer_free (CradleCborWriter *writer)
{
  if (writer == NULL)
    return;
  g_byte_array_unref (writer->buffer);
  g_free (writer);
}

/* A CBOR head is at most 9 bytes. */
static void
append_head (CradleCborWriter *writer,
             size_t (*encode) (size_t, unsigned char *, size_t),
             gsize             value)
{
  unsigned char head[9];
  size_t written = encode (value, head, sizeof head);

  g_assert (written > 0);
  g_byte_array_append (writer->buffer, head, written);
}

void
cradle_cbor_writer_map (CradleCborWriter *writer,
                        gsize             pairs)
{
  append_head (writer, cbor_encode_map_start, pairs);
}

void
cradle_cbor_writer_array (CradleCborWriter *writer,
                          gsize             items)
{
  append_head (writer, cbor_encode_array_start, items);
}

void
cradle_cbor_writer_uint (CradleCborWriter *writer,
                         guint64           value)
{
  unsigned char head[9];
  size_t written = cbor_encode_uint (value, head, sizeof head);

  g_assert (written > 0);
  g_byte_array_append (writer->buffer, head, written);
}

void
cradle_cbor_writer_bool (CradleCborWriter *writer,
                         gboolean          value)
{
  unsigned char byte;

  cbor_encode_bool (value, &byte, 1);
  g_byte_array_append (writer->buffer, &byte, 1);
}

void
cradle_cbor_writer_bytes (CradleCborWriter *writer,
                          const guint8     *data,
                          gsize             size)
{
  append_head (writer, cbor_encode_bytestring_start, size);
  if (size > 0)
    g_byte_array_append (writer->buffer, data, size);
}

void
cradle_cbor_writer_pair_bytes (CradleCborWriter *writer,
                               guint             key,
                               GBytes           *value)
{
  cradle_cbor_writer_uint (writer, key);
  cradle_cbor_writer_bytes (writer, g_bytes_get_data (value, NULL), g_bytes_get_size (value));
}

void
cradle_cbor_writer_text (CradleCborWriter *writer,
                         const char       *text)
{
  gsize size = strlen (text);

  append_head (writer, cbor_encode_string_start, size);
  g_byte_array_append (writer->buffer, (const guint8 *) text, size);
}

GBytes *
cradle_cbor_writer_free_to_bytes (CradleCborWriter *writer)
{
  GBytes *bytes = g_byte_array_free_to_bytes (g_steal_pointer (&writer->buffer));

  g_free (writer);
  return bytes;
}
