/* test-text.c: the terminal sanitiser, with the sequences an attacker
 * would put in a device name, a CA message or a directory value */
#include "config.h"

#include <cradle/cradle.h>

static void
check (const char            *text,
       gssize                 length,
       CradleTextEscapeFlags  flags,
       const char            *expected)
{
  g_autofree char *escaped = cradle_text_escape (text, length, flags);
  g_autofree char *again = cradle_text_escape (escaped, -1, flags);

  g_assert_cmpstr (escaped, ==, expected);
  /* Escaped text escapes to itself: the journal's text can be printed
   * through the sanitiser again. */
  g_assert_cmpstr (again, ==, expected);
}

static void
test_text_plain (void)
{
  check ("Pixel 7 (AT&T) <a href=\"x\">", -1, 0, "Pixel 7 (AT&T) <a href=\"x\">");
  check ("Ünïcödé 電話 ✓", -1, 0, "Ünïcödé 電話 ✓");
  check ("CN=a\\,b", -1, 0, "CN=a\\,b");
  check ("", -1, 0, "");
  g_assert_null (cradle_text_escape (NULL, -1, 0));
}

static void
test_text_c0 (void)
{
  /* CSI (set colour, clear screen), OSC 8 (a hyperlink) and OSC 52 (the
   * clipboard): the ESC is shown, so the rest is harmless text. */
  check ("\x1b[31mred\x1b[0m", -1, 0, "\\x1b[31mred\\x1b[0m");
  check ("\x1b[2J\x1b[H", -1, 0, "\\x1b[2J\\x1b[H");
  check ("\x1b]8;;http://evil\x1b\\x\x1b]8;;\x1b\\", -1, 0,
         "\\x1b]8;;http://evil\\x1b\\x\\x1b]8;;\\x1b\\");
  check ("\x1b]52;c;ZXZpbA==\x07", -1, 0, "\\x1b]52;c;ZXZpbA==\\x07");
  check ("a\rInstalled\nb\tc\bd\x7f", -1, 0, "a\\rInstalled\\nb\\tc\\x08d\\x7f");
  check ("a\0b", 3, 0, "a\\x00b");
  /* Laid-out text keeps its lines and tabs, and only those. */
  check ("line\n\tmore\x1b[K\r", -1, CRADLE_TEXT_ESCAPE_KEEP_LINES, "line\n\tmore\\x1b[K\\r");
}

static void
test_text_c1 (void)
{
  /* U+009B is CSI and U+009D is OSC for a terminal that honours C1. */
  check ("\xc2\x9b" "31m" "\xc2\x9d" "0;title\xc2\x9c" "\xc2\x85", -1, 0,
         "\\u009b31m\\u009d0;title\\u009c\\u0085");
  /* U+00A0 and up are printable. */
  check ("\xc2\xa0\xc2\xa9", -1, 0, "\xc2\xa0\xc2\xa9");
}

static void
test_text_bidi (void)
{
  /* "exe.txt" shown as "txt.exe" without the escape. */
  check ("invoice\xe2\x80\xaetxt.exe", -1, 0, "invoice\\u202etxt.exe");
  check ("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad", -1, 0,
         "\\u202a\\u202b\\u202c\\u202d");
  check ("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9", -1, 0,
         "\\u2066\\u2067\\u2068\\u2069");
  check ("\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", -1, 0, "\\u200e\\u200f\\u061c");
  check ("a\xe2\x80\xa8" "b\xe2\x80\xa9" "c\xef\xbb\xbf", -1, 0, "a\\u2028b\\u2029c\\ufeff");
  /* Right-to-left script itself is text, not a control. */
  check ("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d", -1, 0, "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d");
}

static void
test_text_invalid_utf8 (void)
{
  /* A lone continuation byte, a truncated sequence, an overlong ESC
   * (C0 9B), a surrogate, and a sequence cut by the end. */
  check ("a\x80" "b", -1, 0, "a\\x80b");
  check ("\xe2\x80", -1, 0, "\\xe2\\x80");
  check ("\xc0\x9b" "1m", -1, 0, "\\xc0\\x9b1m");
  check ("\xed\xa0\x80", -1, 0, "\\xed\\xa0\\x80");
  check ("ok\xf0\x9f\x98", -1, 0, "ok\\xf0\\x9f\\x98");
  check ("\xe2\x80\xae", 2, 0, "\\xe2\\x80");
}

static void
test_text_json (void)
{
  /* Over JSON text: what is escaped stays JSON, the same characters. */
  check ("{\n  \"model\" : \"a\xc2\x9b" "b\xe2\x80\xae" "c\x7f\x80\"\n}", -1, CRADLE_TEXT_ESCAPE_JSON,
         "{\n  \"model\" : \"a\\u009bb\\u202ec\\u007f\\ufffd\"\n}");
  check ("\"\\u001b[31m\"", -1, CRADLE_TEXT_ESCAPE_JSON, "\"\\u001b[31m\"");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/text/plain", test_text_plain);
  g_test_add_func ("/text/c0", test_text_c0);
  g_test_add_func ("/text/c1", test_text_c1);
  g_test_add_func ("/text/bidi", test_text_bidi);
  g_test_add_func ("/text/invalid-utf8", test_text_invalid_utf8);
  g_test_add_func ("/text/json", test_text_json);
  return g_test_run ();
}
