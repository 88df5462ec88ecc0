/* cradle-bridge-cbor-private.h: the bridge's strict CBOR subset
 *
 * Payloads are maps with small unsigned keys holding unsigned integers, byte
 * strings, UTF-8 text, booleans, arrays and maps (docs/bridge-protocol.md,
 * section 3). The decoder enforces every limit while it reads, before it
 * allocates, so no input can make it recurse deeply or allocate much.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CRADLE_CBOR_MAX_DEPTH 4
#define CRADLE_CBOR_MAX_MAP_PAIRS 32
#define CRADLE_CBOR_MAX_ARRAY_ITEMS 1024
#define CRADLE_CBOR_MAX_KEY 255
#define CRADLE_CBOR_MAX_NODES 8192

typedef enum {
  CRADLE_CBOR_UINT,
  CRADLE_CBOR_BYTES,
  CRADLE_CBOR_TEXT,
  CRADLE_CBOR_BOOL,
  CRADLE_CBOR_ARRAY,
  CRADLE_CBOR_MAP,
} CradleCborType;

typedef struct _CradleCborValue CradleCborValue;

void             cradle_cbor_value_free      (CradleCborValue  *value);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleCborValue, cradle_cbor_value_free)

CradleCborValue *cradle_cbor_decode_map      (const guint8     *data,
                                              gsize             size,
                                              GError          **error) G_GNUC_WARN_UNUSED_RESULT;

CradleCborType   cradle_cbor_value_get_type  (const CradleCborValue *value);
gsize            cradle_cbor_value_get_length (const CradleCborValue *value);
CradleCborValue *cradle_cbor_array_get       (const CradleCborValue *array,
                                              gsize             index);
/* The text of a TEXT value, %NULL for any other type. */
const char      *cradle_cbor_text_get        (const CradleCborValue *value);

/* Map lookups: a missing key is an error unless @optional; a wrong type always is.
 * An absent optional key leaves numbers untouched (preset a default) and sets
 * pointers to %NULL. */
gboolean cradle_cbor_map_get_uint  (const CradleCborValue  *map,
                                    guint                   key,
                                    gboolean                optional,
                                    guint64                *out,
                                    GError                **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean cradle_cbor_map_get_bool  (const CradleCborValue  *map,
                                    guint                   key,
                                    gboolean                optional,
                                    gboolean               *out,
                                    GError                **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean cradle_cbor_map_get_bytes (const CradleCborValue  *map,
                                    guint                   key,
                                    gboolean                optional,
                                    GBytes                **out,
                                    GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* A byte string of exactly @size bytes (a key, a nonce, a signature);
 * @what names it in the error. */
gboolean cradle_cbor_map_get_bytes_sized (const CradleCborValue  *map,
                                          guint                   key,
                                          gsize                   size,
                                          const char             *what,
                                          GBytes                **out,
                                          GError                **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean cradle_cbor_map_get_text  (const CradleCborValue  *map,
                                    guint                   key,
                                    gboolean                optional,
                                    const char            **out,
                                    GError                **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean cradle_cbor_map_get_array (const CradleCborValue  *map,
                                    guint                   key,
                                    gboolean                optional,
                                    const CradleCborValue **out,
                                    GError                **error) G_GNUC_WARN_UNUSED_RESULT;

/* Writing: the caller states each container's size up front (definite lengths). */
typedef struct _CradleCborWriter CradleCborWriter;

CradleCborWriter *cradle_cbor_writer_new         (void);
CradleCborWriter *cradle_cbor_writer_new_sized   (gsize             size);
void              cradle_cbor_writer_free        (CradleCborWriter *writer);
void              cradle_cbor_writer_map         (CradleCborWriter *writer,
                                                  gsize             pairs);
void              cradle_cbor_writer_array       (CradleCborWriter *writer,
                                                  gsize             items);
void              cradle_cbor_writer_uint        (CradleCborWriter *writer,
                                                  guint64           value);
void              cradle_cbor_writer_bool        (CradleCborWriter *writer,
                                                  gboolean          value);
void              cradle_cbor_writer_bytes       (CradleCborWriter *writer,
                                                  const guint8     *data,
                                                  gsize             size);
void              cradle_cbor_writer_text        (CradleCborWriter *writer,
                                                  const char       *text);
GBytes           *cradle_cbor_writer_free_to_bytes (CradleCborWriter *writer);
/* A key and its byte string value, in a map being written. */
void              cradle_cbor_writer_pair_bytes  (CradleCborWriter *writer,
                                                  guint             key,
                                                  GBytes           *value);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleCborWriter, cradle_cbor_writer_free)

G_END_DECLS
