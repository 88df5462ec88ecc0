/* test-sid.c: binary and text security identifiers, well-formed and not */
#include "config.h"

#include <cradle/cradle.h>

#include "directory/cradle-sid-private.h"

/* S-1-5-21-1004336348-1177238915-682003330-512, as AD stores it */
static const guint8 domain_admins[] = {
  0x01, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
  0x15, 0x00, 0x00, 0x00,
  0xdc, 0xf4, 0xdc, 0x3b,
  0x83, 0x3d, 0x2b, 0x46,
  0x82, 0x8b, 0xa6, 0x28,
  0x00, 0x02, 0x00, 0x00,
};

static void
test_sid_to_string (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = cradle_sid_to_string (domain_admins, sizeof domain_admins, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "S-1-5-21-1004336348-1177238915-682003330-512");
}

static void
test_sid_round_trip (void)
{
  const char *sids[] = {
    "S-1-5-11",
    "S-1-1-0",
    "S-1-5",
    "S-1-5-32-544",
    "S-1-5-21-1004336348-1177238915-682003330-512",
    "S-1-5-21-4294967295-0-1-2-3-4-5-6-7-8-9-10-11-12",
    "S-1-0x000100000000-1",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (sids); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) binary = cradle_sid_from_string (sids[i], &error);
      g_autofree char *text = NULL;

      g_assert_no_error (error);
      text = cradle_sid_to_string (g_bytes_get_data (binary, NULL), g_bytes_get_size (binary), &error);
      g_assert_no_error (error);
      g_assert_cmpstr (text, ==, sids[i]);
    }
}

static void
test_sid_read_consumes_exactly (void)
{
  guint8 buffer[sizeof domain_admins + 5];
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  gsize consumed = 0;

  memset (buffer, 0xAA, sizeof buffer);
  memcpy (buffer, domain_admins, sizeof domain_admins);
  text = cradle_sid_read (buffer, sizeof buffer, &consumed, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (consumed, ==, sizeof domain_admins);
  g_assert_cmpstr (text, ==, "S-1-5-21-1004336348-1177238915-682003330-512");
}

static void
assert_binary_rejected (const guint8 *data,
                        gsize         size)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = cradle_sid_to_string (data, size, &error);

  g_assert_null (text);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "security identifier"));
}

static void
test_sid_every_truncation_rejected (void)
{
  /* Each prefix is copied so ASan and valgrind catch a read past its end. */
  for (gsize size = 0; size < sizeof domain_admins; size++)
    {
      g_autofree guint8 *prefix = g_memdup2 (domain_admins, size);

      assert_binary_rejected (prefix, size);
    }
  assert_binary_rejected (NULL, 0);
}

static void
test_sid_malformed_binary (void)
{
  guint8 bad[sizeof domain_admins + 1];

  memcpy (bad, domain_admins, sizeof domain_admins);
  bad[0] = 2;
  assert_binary_rejected (bad, sizeof domain_admins);

  memcpy (bad, domain_admins, sizeof domain_admins);
  bad[1] = 16;
  assert_binary_rejected (bad, sizeof domain_admins);

  memcpy (bad, domain_admins, sizeof domain_admins);
  bad[1] = 0xff;
  assert_binary_rejected (bad, sizeof domain_admins);

  /* One byte too many for a whole value. */
  memcpy (bad, domain_admins, sizeof domain_admins);
  bad[sizeof domain_admins] = 0;
  assert_binary_rejected (bad, sizeof bad);
}

static void
test_sid_malformed_text (void)
{
  const char *bad[] = {
    "",
    "S-1",
    "S-1-",
    "S-2-5-11",
    "s-1-5-11",
    "S-1-5-x",
    "S-1-5--11",
    "S-1-5-11-",
    "S-1-5-4294967296",
    "S-1-5- 11",
    "S-1-281474976710656",
    "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) binary = cradle_sid_from_string (bad[i], &error);

      g_assert_null (binary);
      g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sid/to-string", test_sid_to_string);
  g_test_add_func ("/sid/round-trip", test_sid_round_trip);
  g_test_add_func ("/sid/read-consumes-exactly", test_sid_read_consumes_exactly);
  g_test_add_func ("/sid/every-truncation-rejected", test_sid_every_truncation_rejected);
  g_test_add_func ("/sid/malformed-binary", test_sid_malformed_binary);
  g_test_add_func ("/sid/malformed-text", test_sid_malformed_text);

  return g_test_run ();
}
