/* cradle-der-private.h: the one bounded reader and writer of DER headers
 *
 * Both ends use it: the device checks the bytes it is asked to sign before it
 * signs them (docs/bridge-protocol.md, SIGN), and the host builds the pieces
 * of SCEP messages OpenSSL has no encoder for. The reader takes DER apart one
 * element at a time: every length is checked against what remains, only
 * definite minimal lengths of at most four bytes and one-byte tags are
 * taken, and taking from a slice only ever shrinks it. The writer writes
 * exactly the headers the reader takes.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CRADLE_DER_BOOLEAN          0x01
#define CRADLE_DER_INTEGER          0x02
#define CRADLE_DER_BIT_STRING       0x03
#define CRADLE_DER_OCTET_STRING     0x04
#define CRADLE_DER_NULL             0x05
#define CRADLE_DER_OID              0x06
#define CRADLE_DER_PRINTABLE_STRING 0x13
#define CRADLE_DER_UTC_TIME         0x17
#define CRADLE_DER_GENERALIZED_TIME 0x18
#define CRADLE_DER_SEQUENCE         0x30
#define CRADLE_DER_SET              0x31
#define CRADLE_DER_CONTEXT_0        0xa0
#define CRADLE_DER_CONTEXT_3        0xa3

/* The longest content the reader takes and the writer writes: four length bytes. */
#define CRADLE_DER_MAX_LENGTH       G_GUINT64_CONSTANT (0xffffffff)

/* A window onto the input. */
typedef struct {
  const guint8 *data;
  gsize         size;
} CradleDerSlice;

static inline CradleDerSlice
cradle_der_slice_from_bytes (GBytes *bytes)
{
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (bytes, &size);

  return (CradleDerSlice) { data, size };
}

/* Takes one element with @tag off the front of @in. @whole (nullable) gets
 * the element with its header, @value (nullable) its contents. FALSE, with
 * @in untouched, when the front is not such an element. */
gboolean cradle_der_take       (CradleDerSlice *in,
                                guint8          tag,
                                CradleDerSlice *whole,
                                CradleDerSlice *value);
/* Takes one element of any one-byte tag; @tag gets it. */
gboolean cradle_der_take_any   (CradleDerSlice *in,
                                guint8         *tag,
                                CradleDerSlice *whole,
                                CradleDerSlice *value);
/* Appends the header of an element with @tag and @length content bytes:
 * the short form below 0x80, else the shortest long form. @length is at most
 * CRADLE_DER_MAX_LENGTH, the most the reader takes. */
void     cradle_der_append_header (GByteArray *out,
                                   guint8      tag,
                                   gsize       length);
/* Whether @slice holds exactly the @size bytes at @data. */
gboolean cradle_der_equal      (CradleDerSlice  slice,
                                const guint8   *data,
                                gsize           size);
/* X.690 11.6: the order of the elements of a DER SET OF (the shorter one
 * padded with zero bytes at its end). Negative, zero or positive. */
int      cradle_der_set_order  (CradleDerSlice  a,
                                CradleDerSlice  b);

G_END_DECLS
