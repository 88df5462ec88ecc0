/* test-ldap-time.c: reading an LDAP GeneralizedTime (a DC's currentTime),
 * well-formed and hostile */
#include "config.h"

#include <cradle/cradle.h>

#include "directory/cradle-ldap-private.h"

static void
test_forms (void)
{
  struct {
    const char *text;
    gint64      expected_us;
  } cases[] = {
    /* 2026-12-06 20:47:30 UTC */
    { "20261206204730.0Z", G_GINT64_CONSTANT (1796590050) * G_USEC_PER_SEC },
    { "20261206204730Z", G_GINT64_CONSTANT (1796590050) * G_USEC_PER_SEC },
    { "20261206204730.25Z", G_GINT64_CONSTANT (1796590050) * G_USEC_PER_SEC + 250000 },
    { "20261206204730,5Z", G_GINT64_CONSTANT (1796590050) * G_USEC_PER_SEC + 500000 },
    /* More digits than a microsecond: the rest is ignored. */
    { "20261206204730.1234567891Z", G_GINT64_CONSTANT (1796590050) * G_USEC_PER_SEC + 123456 },
    { "202612062047Z", G_GINT64_CONSTANT (1796590020) * G_USEC_PER_SEC },
    { "2026120620Z", G_GINT64_CONSTANT (1796587200) * G_USEC_PER_SEC },
    /* Local time with its offset: the same instant. */
    { "20261206224730+0200", G_GINT64_CONSTANT (1796590050) * G_USEC_PER_SEC },
    { "20261206194730-01", G_GINT64_CONSTANT (1796590050) * G_USEC_PER_SEC },
    /* A leap second reads as the second before it. */
    { "20161231235960Z", G_GINT64_CONSTANT (1483228799) * G_USEC_PER_SEC },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 time_us = 0;

      g_test_message ("%s", cases[i].text);
      g_assert_true (cradle_ldap_parse_generalized_time (cases[i].text, &time_us, &error));
      g_assert_no_error (error);
      g_assert_cmpint (time_us, ==, cases[i].expected_us);
    }
}

static void
test_malformed (void)
{
  const char *cases[] = {
    "",
    "2026",
    "20261206204730",            /* no zone */
    "20261206204730.Z",          /* a point without digits */
    "20261206204730.0",
    "20261206204730.0ZZ",        /* trailing text */
    "20261206204730.0Z ",
    "2026120620473Z",            /* an odd number of digits */
    "20261306204730Z",           /* month 13 */
    "20260230204730Z",           /* 30 February */
    "20261206244730Z",           /* hour 24 */
    "20261206206030Z",           /* minute 60 */
    "20261206204761Z",           /* second 61 */
    "00001206204730Z",           /* year 0 */
    "20261206204730+2400",       /* offset out of range */
    "20261206204730+013",
    "2026120620473\xc3\xa9Z",    /* not a digit */
    "-2026120620473Z",
    "2026\x1b[2J1206204730Z",      /* a terminal's escape */
    /* Longer than any GeneralizedTime: refused, not read to its end. */
    "20261206204730.00000000000000000000000000000000000000000000000000000000Z",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 time_us = 42;

      g_assert_false (cradle_ldap_parse_generalized_time (cases[i], &time_us, &error));
      g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
      g_assert_cmpint (time_us, ==, 42);
      /* The text is escaped in the message. */
      g_assert_null (strchr (error->message, '\x1b'));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ldap/generalized-time/forms", test_forms);
  g_test_add_func ("/ldap/generalized-time/malformed", test_malformed);
  return g_test_run ();
}
