/* test-ces-endpoint.c: msPKI-Enrollment-Servers values, well-formed and not */
#include "config.h"

#include <string.h>

#include <cradle/cradle.h>

#include "catalog/cradle-ces-endpoint-private.h"

#define EXAMPLE_URI \
  "https://ca1.corp.example.test/Corp%20Issuing%20CA_CES_UsernamePassword/service.svc/CES"
#define EXAMPLE     "1\n4\n0\n" EXAMPLE_URI

/* Parses a copy of exactly @length bytes, with no NUL after them. */
static CradleCesEndpoint *
parse_exact (const char  *value,
             gsize        length,
             GError     **error)
{
  g_autofree char *copy = g_memdup2 (value, length);

  return cradle_ces_endpoint_parse (copy, length, error);
}

static CradleCesEndpoint *
parse_ok (const char *value)
{
  g_autoptr(GError) error = NULL;
  CradleCesEndpoint *server = parse_exact (value, strlen (value), &error);

  g_assert_no_error (error);
  g_assert_nonnull (server);
  return server;
}

static void
assert_rejected_len (const char *value,
                     gsize       length,
                     const char *reason)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCesEndpoint) server = parse_exact (value, length, &error);

  g_assert_null (server);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_true (g_str_has_prefix (error->message,
                                   "The directory lists an enrollment web service that cannot be used ("));
  g_assert_true (g_str_has_suffix (error->message,
                                   "check the CA's msPKI-Enrollment-Servers attribute."));
  if (reason != NULL && strstr (error->message, reason) == NULL)
    g_error ("'%s' does not say '%s'", error->message, reason);
}

static void
assert_rejected (const char *value,
                 const char *reason)
{
  assert_rejected_len (value, strlen (value), reason);
}

static void
test_example (void)
{
  g_autoptr(CradleCesEndpoint) server = parse_ok (EXAMPLE);

  g_assert_cmpuint (server->priority, ==, 1);
  g_assert_cmpuint (server->auth_flags, ==, CRADLE_ENDPOINT_AUTH_PASSWORD);
  g_assert_false (server->renewal_only);
  g_assert_cmpstr (server->uri, ==, EXAMPLE_URI);
}

static void
test_fields (void)
{
  g_autoptr(CradleCesEndpoint) kerberos =
    parse_ok ("0\n2\n1\nhttp://ces.corp.example.test:8080/CA_CES_Kerberos/service.svc/CES");
  g_autoptr(CradleCesEndpoint) all = parse_ok ("65535\n15\n0\nHTTPS://[2001:db8::1]/CES");
  g_autoptr(CradleCesEndpoint) zeros = parse_ok ("007\n08\n1\nhttps://h/");

  g_assert_cmpuint (kerberos->priority, ==, 0);
  g_assert_cmpuint (kerberos->auth_flags, ==, CRADLE_ENDPOINT_AUTH_KERBEROS);
  g_assert_true (kerberos->renewal_only);
  g_assert_cmpstr (kerberos->uri, ==,
                   "http://ces.corp.example.test:8080/CA_CES_Kerberos/service.svc/CES");

  g_assert_cmpuint (all->priority, ==, 65535);
  g_assert_cmpuint (all->auth_flags, ==, CRADLE_ENDPOINT_AUTH_KNOWN);
  g_assert_cmpstr (all->uri, ==, "HTTPS://[2001:db8::1]/CES");

  g_assert_cmpuint (zeros->priority, ==, 7);
  g_assert_cmpuint (zeros->auth_flags, ==, CRADLE_ENDPOINT_AUTH_CERTIFICATE);
}

static void
test_line_endings (void)
{
  const char *values[] = {
    "1\r\n4\r\n0\r\n" EXAMPLE_URI,
    "1\r\n4\r\n0\r\n" EXAMPLE_URI "\r\n",
    EXAMPLE "\n",
    EXAMPLE " \t\r\n\n",
    "1 \n4\t\n0  \r\n" EXAMPLE_URI "  ",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_autoptr(CradleCesEndpoint) server = parse_ok (values[i]);

      g_assert_cmpuint (server->priority, ==, 1);
      g_assert_cmpuint (server->auth_flags, ==, CRADLE_ENDPOINT_AUTH_PASSWORD);
      g_assert_false (server->renewal_only);
      g_assert_cmpstr (server->uri, ==, EXAMPLE_URI);
    }
}

static void
test_missing_fields (void)
{
  assert_rejected ("", "its value is empty");
  assert_rejected (" \r\n\n", "its value is empty");
  assert_rejected_len (NULL, 0, "its value is empty");
  assert_rejected ("1", "its authentication flags field is missing: the value has 1 of 4 lines");
  assert_rejected ("1\n4", "its renewal-only flag field is missing");
  assert_rejected ("1\n4\n0", "its address field is missing");
  assert_rejected ("1\n4\n0\n", "its address field is missing");
  assert_rejected ("1\n4\n0\r\n  \r\n", "its address field is missing");
  assert_rejected ("\n4\n0\n" EXAMPLE_URI, "its priority field is empty");
  assert_rejected ("1\n\n0\n" EXAMPLE_URI, "its authentication flags field is empty");
  assert_rejected ("1\n4\n\n" EXAMPLE_URI, "its renewal-only flag field '' is neither 0 nor 1");
  assert_rejected ("1\n4\n0\n \n" EXAMPLE_URI, "more than 4 lines");
  assert_rejected (EXAMPLE "\nhttps://other.example.test/", "more than 4 lines");
  assert_rejected ("\n\n\n\n" EXAMPLE, "more than 4 lines");
}

static void
test_non_numeric (void)
{
  const char *priorities[] = { "x", "1a", "0x1", " 1", "1.0", "１", "1e3", "\t1" };

  for (gsize i = 0; i < G_N_ELEMENTS (priorities); i++)
    {
      g_autofree char *value = g_strdup_printf ("%s\n4\n0\n%s", priorities[i], EXAMPLE_URI);
      g_autofree char *flags = g_strdup_printf ("1\n%s\n0\n%s", priorities[i], EXAMPLE_URI);

      assert_rejected (value, "its priority field '");
      assert_rejected (flags, "its authentication flags field '");
    }
  assert_rejected ("one\n4\n0\n" EXAMPLE_URI,
                   "its priority field 'one' is not a whole number from 0 to 65535");
}

static void
test_negative (void)
{
  assert_rejected ("-1\n4\n0\n" EXAMPLE_URI, "its priority field '-1' is not a whole number");
  assert_rejected ("+1\n4\n0\n" EXAMPLE_URI, "its priority field '+1' is not a whole number");
  assert_rejected ("-0\n4\n0\n" EXAMPLE_URI, "its priority field '-0'");
  assert_rejected ("1\n-4\n0\n" EXAMPLE_URI, "its authentication flags field '-4'");
  assert_rejected ("1\n4\n-1\n" EXAMPLE_URI, "its renewal-only flag field '-1' is neither 0 nor 1");
}

static void
test_overflow (void)
{
  assert_rejected ("99999999999999999999\n4\n0\n" EXAMPLE_URI,
                   "its priority field '99999999999999999999'");
  assert_rejected ("65536\n4\n0\n" EXAMPLE_URI,
                   "its priority field '65536' is not a whole number from 0 to 65535");
  assert_rejected ("4294967297\n4\n0\n" EXAMPLE_URI, "its priority field");
  assert_rejected ("1\n99999999999999999999\n0\n" EXAMPLE_URI, "its authentication flags field");
  assert_rejected ("1\n4294967300\n0\n" EXAMPLE_URI, "its authentication flags field");
  assert_rejected ("1\n16\n0\n" EXAMPLE_URI, "flags 16 name unknown methods");
  assert_rejected ("1\n4294967295\n0\n" EXAMPLE_URI, "flags 4294967295 name unknown methods");
  assert_rejected ("1\n0\n0\n" EXAMPLE_URI, "its authentication flags are 0");
}

static void
test_renewal_only (void)
{
  const char *bad[] = { "2", "01", "00", "true", "yes", "1 1", " 0", "0x0" };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *value = g_strdup_printf ("1\n4\n%s\n%s", bad[i], EXAMPLE_URI);

      assert_rejected (value, "renewal-only flag field '");
    }
  assert_rejected ("1\n4\n2\n" EXAMPLE_URI, "its renewal-only flag field '2' is neither 0 nor 1");
}

static void
test_uri (void)
{
  assert_rejected ("1\n4\n0\nftp://ca1.corp.example.test/CES",
                   "its address 'ftp://ca1.corp.example.test/CES' is not an https:// or http:// "
                   "address");
  assert_rejected ("1\n4\n0\nfile:///etc/passwd", "is not an https:// or http:// address");
  assert_rejected ("1\n4\n0\nmailto:pki@corp.example.test",
                   "is not an https:// or http:// address");
  assert_rejected ("1\n4\n0\nhttps:///CES", "its address 'https:///CES' names no host");
  assert_rejected ("1\n4\n0\nhttps:CES", "names no host");
  assert_rejected ("1\n4\n0\nhttps://", "names no host");
  assert_rejected ("1\n4\n0\nca1.corp.example.test/CES", "is not a valid URI");
  assert_rejected ("1\n4\n0\n/CES", "is not a valid URI");
  assert_rejected ("1\n4\n0\n https://ca1.corp.example.test/CES",
                   "has a character that is not allowed");
  assert_rejected ("1\n4\n0\nhttps://ca1 corp.example.test/CES",
                   "has a character that is not allowed in a URI");
  assert_rejected ("1\n4\n0\nhttps://ca1.corp.example.test/Corp Issuing CA_CES_Kerberos/CES",
                   "has a character that is not allowed in a URI");
  assert_rejected ("1\n4\n0\nhttps://ca1.corp.example.test/\tCES",
                   "has a character that is not allowed");
  assert_rejected ("1\n4\n0\nhttps://ca1.corp.example.test/\x7f",
                   "has a character that is not allowed");
  assert_rejected ("1\n4\n0\nhttps://ca1.corp.example.test/<script>",
                   "has a character that is not allowed");
  assert_rejected ("1\n4\n0\nhttps://ca1.corp.example.test/\xc3\xa9",
                   "has a character that is not allowed");
  assert_rejected ("1\n4\n0\nhttps://ca1.corp.example.test/%00", "is not a valid URI");
  assert_rejected ("1\n4\n0\nhttps://admin:secret@ca1.corp.example.test/CES",
                   "carries a user name or password");
  assert_rejected ("1\n4\n0\nhttps://admin@ca1.corp.example.test/CES",
                   "carries a user name or password");
  assert_rejected ("1\n4\n0\nhttps://ca1.corp.example.test:99999/CES", "is not a valid URI");
  assert_rejected ("1\n4\n0\nhttps://ca1.corp.example.test/%zz", "is not a valid URI");
}

static void
test_embedded_nul (void)
{
  const char value[] = "1\n4\n0\nhttps://ca1.corp.example.test/\0https://evil.example.test/";
  const char in_number[] = "1\0\n4\n0\n" EXAMPLE_URI;

  assert_rejected_len (value, sizeof value - 1, "its value contains a NUL byte");
  assert_rejected_len (in_number, sizeof in_number - 1, "its value contains a NUL byte");
  assert_rejected_len (EXAMPLE "\0", sizeof EXAMPLE, "its value contains a NUL byte");
}

static void
test_invalid_utf8 (void)
{
  assert_rejected ("1\n4\n0\nhttps://ca1.corp.example.test/\xff", "its value is not valid UTF-8");
  assert_rejected ("1\xc3\n4\n0\n" EXAMPLE_URI, "its value is not valid UTF-8");
}

static void
test_overlong (void)
{
  g_autoptr(GString) value = g_string_new ("1\n4\n0\nhttps://ca1.corp.example.test/");
  g_autoptr(CradleCesEndpoint) longest = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *shown = NULL;

  while (value->len < CRADLE_ENROLLMENT_SERVER_MAX_VALUE)
    g_string_append_c (value, 'a');

  longest = parse_exact (value->str, value->len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (longest->uri), ==, CRADLE_ENROLLMENT_SERVER_MAX_VALUE - 6);

  g_string_append_c (value, 'a');
  assert_rejected_len (value->str, value->len,
                       "its value is 4097 bytes, more than the 4096 allowed");

  /* An error repeats only the start of a long field. */
  g_string_assign (value, "1\n4\n0\nftp://ca1.corp.example.test/");
  while (value->len < 1000)
    g_string_append_c (value, 'b');
  assert_rejected_len (value->str, value->len, "bbbbb…' is not an https:// or http:// address");
  g_string_printf (value, "1\n4\n\x1b[2J\n%s", EXAMPLE_URI);
  assert_rejected (value->str, "its renewal-only flag field '\\033[2J' is neither 0 nor 1");
}

static void
test_every_truncation (void)
{
  /* A prefix either parses (the URI may still have a host) or is refused cleanly. */
  for (gsize length = 0; length <= strlen (EXAMPLE); length++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CradleCesEndpoint) server = parse_exact (EXAMPLE, length, &error);

      if (length < strlen ("1\n4\n0\nhttps://c"))
        g_assert_null (server);
      if (server == NULL)
        g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
      else
        g_assert_true (g_str_has_prefix (EXAMPLE_URI, server->uri));
    }
}

static CradleCesEndpoint *
server_new (guint       priority,
            const char *uri)
{
  CradleCesEndpoint *server = g_new0 (CradleCesEndpoint, 1);

  server->priority = priority;
  server->auth_flags = CRADLE_ENDPOINT_AUTH_KERBEROS;
  server->uri = g_strdup (uri);
  return server;
}

static void
test_sort (void)
{
  g_autoptr(GPtrArray) servers =
    g_ptr_array_new_with_free_func ((GDestroyNotify) cradle_ces_endpoint_free);
  g_autoptr(GPtrArray) empty = g_ptr_array_new ();
  const char *expected[] = {
    "https://a0/", "https://b1/", "https://c1/", "https://d1/",
    "https://e2/", "https://f3/", "https://g65535/",
  };

  g_ptr_array_add (servers, server_new (3, "https://f3/"));
  g_ptr_array_add (servers, server_new (1, "https://b1/"));
  g_ptr_array_add (servers, server_new (65535, "https://g65535/"));
  g_ptr_array_add (servers, server_new (2, "https://e2/"));
  g_ptr_array_add (servers, server_new (1, "https://c1/"));
  g_ptr_array_add (servers, server_new (0, "https://a0/"));
  g_ptr_array_add (servers, server_new (1, "https://d1/"));

  cradle_ces_endpoints_sort (servers);
  g_assert_cmpuint (servers->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < servers->len; i++)
    {
      CradleCesEndpoint *server = g_ptr_array_index (servers, i);

      g_assert_cmpstr (server->uri, ==, expected[i]);
    }

  cradle_ces_endpoints_sort (empty);
  g_assert_cmpuint (empty->len, ==, 0);
}

static void
test_auth_to_string (void)
{
  const struct {
    guint       flags;
    const char *text;
  } cases[] = {
    { 0, "none" },
    { CRADLE_ENDPOINT_AUTH_ANONYMOUS, "anonymous" },
    { CRADLE_ENDPOINT_AUTH_KERBEROS, "kerberos" },
    { CRADLE_ENDPOINT_AUTH_PASSWORD, "password" },
    { CRADLE_ENDPOINT_AUTH_CERTIFICATE, "certificate" },
    { 6, "kerberos,password" },
    { 9, "certificate,anonymous" },
    { 15, "kerberos,password,certificate,anonymous" },
    { 0x32, "kerberos,0x30" },
    { 0x100, "0x100" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = cradle_ces_endpoint_auth_to_string (cases[i].flags);

      g_assert_cmpstr (text, ==, cases[i].text);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ces-endpoint/example", test_example);
  g_test_add_func ("/ces-endpoint/fields", test_fields);
  g_test_add_func ("/ces-endpoint/line-endings", test_line_endings);
  g_test_add_func ("/ces-endpoint/missing-fields", test_missing_fields);
  g_test_add_func ("/ces-endpoint/non-numeric", test_non_numeric);
  g_test_add_func ("/ces-endpoint/negative", test_negative);
  g_test_add_func ("/ces-endpoint/overflow", test_overflow);
  g_test_add_func ("/ces-endpoint/renewal-only", test_renewal_only);
  g_test_add_func ("/ces-endpoint/uri", test_uri);
  g_test_add_func ("/ces-endpoint/embedded-nul", test_embedded_nul);
  g_test_add_func ("/ces-endpoint/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/ces-endpoint/overlong", test_overlong);
  g_test_add_func ("/ces-endpoint/every-truncation", test_every_truncation);
  g_test_add_func ("/ces-endpoint/sort", test_sort);
  g_test_add_func ("/ces-endpoint/auth-to-string", test_auth_to_string);

  return g_test_run ();
}
