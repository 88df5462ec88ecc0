/* test-bridge-cbor.c: the bridge's strict CBOR subset, good and hostile input */
#include "config.h"

#include <cradle/cradle.h>

#include "protocol/cradle-bridge-cbor-private.h"

static GBytes *
sample_message (void)
{
  g_autoptr(CradleCborWriter) writer = cradle_cbor_writer_new ();
  const guint8 key_id[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

  cradle_cbor_writer_map (writer, 5);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_uint (writer, G_MAXUINT64);
  cradle_cbor_writer_uint (writer, 2);
  cradle_cbor_writer_bytes (writer, key_id, sizeof key_id);
  cradle_cbor_writer_uint (writer, 3);
  cradle_cbor_writer_text (writer, "Corp Issuing CA / ExchangeUser ✓");
  cradle_cbor_writer_uint (writer, 4);
  cradle_cbor_writer_bool (writer, TRUE);
  cradle_cbor_writer_uint (writer, 7);
  cradle_cbor_writer_array (writer, 2);
  cradle_cbor_writer_map (writer, 1);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_text (writer, "MY");
  cradle_cbor_writer_map (writer, 0);
  return cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
}

static void
test_round_trip (void)
{
  g_autoptr(GBytes) encoded = sample_message ();
  g_autoptr(CradleCborValue) map = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) key_id = NULL;
  const CradleCborValue *stores = NULL;
  const char *text = NULL;
  const char *store = NULL;
  guint64 number = 0;
  gboolean flag = FALSE;

  map = cradle_cbor_decode_map (g_bytes_get_data (encoded, NULL), g_bytes_get_size (encoded), &error);
  g_assert_no_error (error);
  g_assert_true (cradle_cbor_map_get_uint (map, 1, FALSE, &number, &error));
  g_assert_cmpuint (number, ==, G_MAXUINT64);
  g_assert_true (cradle_cbor_map_get_bytes (map, 2, FALSE, &key_id, &error));
  g_assert_cmpuint (g_bytes_get_size (key_id), ==, 16);
  g_assert_true (cradle_cbor_map_get_text (map, 3, FALSE, &text, &error));
  g_assert_cmpstr (text, ==, "Corp Issuing CA / ExchangeUser ✓");
  g_assert_true (cradle_cbor_map_get_bool (map, 4, FALSE, &flag, &error));
  g_assert_true (flag);
  g_assert_true (cradle_cbor_map_get_array (map, 7, FALSE, &stores, &error));
  g_assert_cmpuint (cradle_cbor_value_get_length (stores), ==, 2);
  g_assert_true (cradle_cbor_map_get_text (cradle_cbor_array_get (stores, 0), 1, FALSE, &store, &error));
  g_assert_cmpstr (store, ==, "MY");
  g_assert_cmpint (cradle_cbor_value_get_type (cradle_cbor_array_get (stores, 1)), ==, CRADLE_CBOR_MAP);
  g_assert_no_error (error);
}

static void
test_empty_payload_is_empty_map (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCborValue) map = cradle_cbor_decode_map (NULL, 0, &error);
  guint64 absent = 42;

  g_assert_no_error (error);
  g_assert_cmpuint (cradle_cbor_value_get_length (map), ==, 0);
  g_assert_true (cradle_cbor_map_get_uint (map, 1, TRUE, &absent, &error));
  g_assert_cmpuint (absent, ==, 42);
}

static void
test_accessor_errors (void)
{
  g_autoptr(GBytes) encoded = sample_message ();
  g_autoptr(CradleCborValue) map = NULL;
  g_autoptr(GError) error = NULL;
  const char *text = NULL;
  guint64 number = 0;

  map = cradle_cbor_decode_map (g_bytes_get_data (encoded, NULL), g_bytes_get_size (encoded), &error);
  g_assert_no_error (error);

  g_assert_false (cradle_cbor_map_get_uint (map, 9, FALSE, &number, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "field 9"));
  g_clear_error (&error);

  g_assert_false (cradle_cbor_map_get_text (map, 1, TRUE, &text, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "not text"));
}

static void
assert_rejected (const guint8 *data,
                 gsize         size,
                 const char   *why)
{
  g_autoptr(GError) error = NULL;
  /* An exact-size copy, so sanitizers see any read past the end. */
  g_autofree guint8 *copy = g_memdup2 (data, size);
  g_autoptr(CradleCborValue) map = cradle_cbor_decode_map (copy, size, &error);

  if (map != NULL)
    g_test_message ("accepted input that should fail: %s", why);
  g_assert_null (map);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_true (g_str_has_prefix (error->message, "Malformed message from the device"));
}

static void
test_every_truncation_rejected (void)
{
  g_autoptr(GBytes) encoded = sample_message ();
  const guint8 *data = g_bytes_get_data (encoded, NULL);

  for (gsize size = 1; size < g_bytes_get_size (encoded); size++)
    assert_rejected (data, size, "truncated");
}

static void
test_hostile_inputs (void)
{
  static const struct {
    const char *why;
    const char *hex;
  } cases[] = {
    { "not a map", "01" },
    { "an array at the top", "80" },
    { "trailing bytes", "a0 00" },
    { "two maps", "a0 a0" },
    { "negative integer", "a1 01 20" },
    { "float", "a1 01 fa 3f 80 00 00" },
    { "half float", "a1 01 f9 3c 00" },
    { "tag", "a1 01 c2 41 00" },
    { "null", "a1 01 f6" },
    { "undefined", "a1 01 f7" },
    { "indefinite map", "bf ff" },
    { "indefinite array", "a1 01 9f ff" },
    { "indefinite byte string", "a1 01 5f 41 00 ff" },
    { "indefinite text", "a1 01 7f 61 61 ff" },
    { "lone break", "a1 01 ff" },
    { "depth five", "a1 01 81 81 81 a0" },
    { "33 pairs", "b8 21" },
    { "array of 1025", "a1 01 99 04 01" },
    { "array of 2^64-1", "a1 01 9b ff ff ff ff ff ff ff ff" },
    { "byte string of 2^64-1", "a1 01 5b ff ff ff ff ff ff ff ff" },
    { "byte string longer than input", "a1 01 58 ff 00" },
    { "duplicate key", "a2 01 00 01 00" },
    { "key above 255", "a1 19 01 00 00" },
    { "text key", "a1 61 61 00" },
    { "bytes key", "a1 41 00 00" },
    { "map key", "a1 a0 00" },
    { "bool key", "a1 f5 00" },
    { "invalid UTF-8", "a1 01 62 c3 28" },
    { "NUL inside text", "a1 01 63 61 00 62" },
    { "reserved additional info", "a1 01 1c" },
    { "map missing its value", "a1 01" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GByteArray) bytes = g_byte_array_new ();
      g_auto(GStrv) parts = g_strsplit (cases[i].hex, " ", -1);

      for (guint j = 0; parts[j] != NULL; j++)
        {
          guint8 byte = (guint8) g_ascii_strtoull (parts[j], NULL, 16);

          g_byte_array_append (bytes, &byte, 1);
        }
      assert_rejected (bytes->data, bytes->len, cases[i].why);
    }
}

static void
test_limits_accepted (void)
{
  g_autoptr(CradleCborWriter) writer = cradle_cbor_writer_new ();
  g_autoptr(GBytes) encoded = NULL;
  g_autoptr(CradleCborValue) map = NULL;
  g_autoptr(GError) error = NULL;
  const CradleCborValue *array = NULL;

  /* Depth four and an array at its limit are fine. */
  cradle_cbor_writer_map (writer, 2);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_array (writer, 1);
  cradle_cbor_writer_array (writer, 1);
  cradle_cbor_writer_map (writer, 0);
  cradle_cbor_writer_uint (writer, 2);
  cradle_cbor_writer_array (writer, CRADLE_CBOR_MAX_ARRAY_ITEMS);
  for (guint i = 0; i < CRADLE_CBOR_MAX_ARRAY_ITEMS; i++)
    cradle_cbor_writer_uint (writer, i);
  encoded = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));

  map = cradle_cbor_decode_map (g_bytes_get_data (encoded, NULL), g_bytes_get_size (encoded), &error);
  g_assert_no_error (error);
  g_assert_true (cradle_cbor_map_get_array (map, 2, FALSE, &array, &error));
  g_assert_cmpuint (cradle_cbor_value_get_length (array), ==, CRADLE_CBOR_MAX_ARRAY_ITEMS);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/bridge/cbor/round-trip", test_round_trip);
  g_test_add_func ("/bridge/cbor/empty-payload", test_empty_payload_is_empty_map);
  g_test_add_func ("/bridge/cbor/accessor-errors", test_accessor_errors);
  g_test_add_func ("/bridge/cbor/every-truncation-rejected", test_every_truncation_rejected);
  g_test_add_func ("/bridge/cbor/hostile-inputs", test_hostile_inputs);
  g_test_add_func ("/bridge/cbor/limits-accepted", test_limits_accepted);

  return g_test_run ();
}
