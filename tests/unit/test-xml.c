/* test-xml.c: untrusted XML through libxml2 (no DTD, no entities, no network), and the writer */
#include "config.h"

#include <string.h>

#include <cradle/cradle.h>

#include "ca/wstep/cradle-xml-private.h"

#define NS_A "urn:test:a"
#define NS_B "urn:test:b"
#define XSI  "http://www.w3.org/2001/XMLSchema-instance"

static xmlDoc *
parse_text (const char  *text,
            GError     **error)
{
  /* An exact-size copy: no NUL after the document. */
  g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));

  return cradle_xml_parse (bytes, CRADLE_XML_MAX_SIZE, error);
}

static void
assert_refused (const char *text,
                const char *words)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(xmlDoc) doc = parse_text (text, &error);

  g_assert_null (doc);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  if (words != NULL && strstr (error->message, words) == NULL)
    g_error ("'%s' does not say '%s'", error->message, words);
}

static void
test_parse_tree (void)
{
  const char *text =
    "<?xml version='1.0'?>\n"
    "<r xmlns='" NS_A "' xmlns:b='" NS_B "' xmlns:xsi='" XSI "'>\n"
    "  <x>one</x><b:x>two</b:x><x attr='v' b:attr='w'>  three\n</x>\n"
    "  <nil xsi:nil='true'>ignored</nil><cdata><![CDATA[<raw & text>]]></cdata>\n"
    "  <!-- a comment --><?pi data?>\n"
    "</r>";
  g_autoptr(GError) error = NULL;
  g_autoptr(xmlDoc) doc = parse_text (text, &error);
  xmlNode *root;
  xmlNode *x;
  g_autofree char *first = NULL;
  g_autofree char *third = NULL;
  g_autofree char *attr = NULL;
  g_autofree char *ns_attr = NULL;
  g_autofree char *nil = NULL;
  g_autofree char *cdata = NULL;

  g_assert_no_error (error);
  root = xmlDocGetRootElement (doc);
  g_assert_true (cradle_xml_is (root, NS_A, "r"));
  g_assert_false (cradle_xml_is (root, NS_B, "r"));
  g_assert_false (cradle_xml_is (root, NULL, "r"));
  g_assert_cmpuint (cradle_xml_count_children (root, NS_A, "x"), ==, 2);
  g_assert_cmpuint (cradle_xml_count_children (root, NS_B, "x"), ==, 1);

  x = cradle_xml_child (root, NS_A, "x");
  first = cradle_xml_dup_text (x);
  g_assert_cmpstr (first, ==, "one");
  x = cradle_xml_next (x, NS_A, "x");
  third = cradle_xml_dup_text (x);
  g_assert_cmpstr (third, ==, "three");
  attr = cradle_xml_dup_attribute (x, NULL, "attr");
  ns_attr = cradle_xml_dup_attribute (x, NS_B, "attr");
  g_assert_cmpstr (attr, ==, "v");
  g_assert_cmpstr (ns_attr, ==, "w");
  g_assert_null (cradle_xml_next (x, NS_A, "x"));

  g_assert_true (cradle_xml_is_nil (cradle_xml_child (root, NS_A, "nil")));
  nil = cradle_xml_dup_child_text (root, NS_A, "nil");
  g_assert_null (nil);
  cdata = cradle_xml_dup_child_text (root, NS_A, "cdata");
  g_assert_cmpstr (cdata, ==, "<raw & text>");
  g_assert_null (cradle_xml_child (root, NS_A, "missing"));
  g_assert_null (cradle_xml_dup_child_text (root, NS_A, "missing"));
}

/* Entities can only be declared in a DTD: no DTD, no entity expansion. */
static void
test_parse_doctype_refused (void)
{
  assert_refused ("<?xml version='1.0'?>\n"
                  "<!DOCTYPE lolz [\n"
                  " <!ENTITY lol 'lol'>\n"
                  " <!ENTITY lol1 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>\n"
                  " <!ENTITY lol2 '&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;'>\n"
                  " <!ENTITY lol3 '&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'>\n"
                  "]>\n<lolz>&lol3;</lolz>",
                  "document type declaration");
  assert_refused ("<!DOCTYPE r [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]><r>&xxe;</r>",
                  "document type declaration");
  assert_refused ("<!DOCTYPE r SYSTEM 'http://127.0.0.1:9/r.dtd'><r/>",
                  "document type declaration");
  assert_refused ("<!DOCTYPE r PUBLIC '-//X//Y' 'file:///etc/passwd'><r/>",
                  "document type declaration");
  assert_refused ("<!DOCTYPE r><r/>", "document type declaration");
}

static void
test_parse_entities (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(xmlDoc) doc = NULL;
  g_autofree char *text = NULL;

  /* Undeclared entities are not well-formed. */
  assert_refused ("<r>&undeclared;</r>", "not well-formed");
  /* XInclude is never processed. */
  doc = parse_text ("<r xmlns:xi='http://www.w3.org/2001/XInclude'>"
                    "<xi:include href='file:///etc/passwd' parse='text'/></r>", &error);
  g_assert_no_error (error);
  text = cradle_xml_dup_text (xmlDocGetRootElement (doc));
  g_assert_cmpstr (text, ==, "");
  g_clear_pointer (&doc, xmlFreeDoc);
  g_clear_pointer (&text, g_free);

  /* The predefined ones and character references are plain text. */
  doc = parse_text ("<r>&lt;&amp;&gt;&quot;&apos;&#xD;&#65;</r>", &error);
  g_assert_no_error (error);
  text = cradle_xml_dup_text (xmlDocGetRootElement (doc));
  g_assert_cmpstr (text, ==, "<&>\"'\rA");
}

static void
test_parse_malformed (void)
{
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr(GBytes) big = NULL;
  g_autoptr(GString) deep = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(xmlDoc) doc = NULL;
  char *filler;

  assert_refused ("<r><a></r>", "not well-formed");
  assert_refused ("<r>", "line");
  assert_refused ("not xml at all", "not well-formed");
  assert_refused ("<html><body><p>Hello<br></body></html>", "not well-formed");
  assert_refused ("<r/><r/>", "not well-formed");
  assert_refused ("<?xml version='1.0' encoding='no-such-encoding'?><r/>", NULL);
  /* The first fatal error is named, where the document broke: not the last
   * ("Premature end of data") nor a namespace complaint before it. */
  assert_refused ("<r>\n<a xmlns:p='http://x.example/ y'>\n</r>\n",
                  "mismatch: a line 2 and r (line 3)");

  /* A namespace name that is not a URI (white space in it) is a namespace
   * complaint, not a reason to refuse the document. */
  doc = parse_text ("<r xmlns:p='http://x.example/\n y'><p:a/></r>", &error);
  g_assert_no_error (error);
  g_assert_nonnull (doc);
  g_clear_pointer (&doc, xmlFreeDoc);

  doc = cradle_xml_parse (empty, 100, &error);
  g_assert_null (doc);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* The limit comes before any parsing. */
  filler = g_malloc (1001);
  memset (filler, ' ', 1001);
  memcpy (filler, "<r/>", 4);
  big = g_bytes_new_take (filler, 1001);
  doc = cradle_xml_parse (big, 1000, &error);
  g_assert_null (doc);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "1001 bytes"));
  g_clear_error (&error);
  doc = cradle_xml_parse (big, 1001, &error);
  g_assert_no_error (error);
  g_assert_nonnull (doc);
  g_clear_pointer (&doc, xmlFreeDoc);

  /* Nesting deeper than libxml2's limit is an error, not a crash. */
  for (guint i = 0; i < 5000; i++)
    g_string_append (deep, "<a>");
  for (guint i = 0; i < 5000; i++)
    g_string_append (deep, "</a>");
  assert_refused (deep->str, "not well-formed");
}

static void
test_numbers (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(xmlDoc) doc = parse_text ("<r xmlns:xsi='" XSI "'><u>42</u><big>4294967296</big>"
                                      "<neg>-2146877422</neg><plus>+7</plus><t>true</t>"
                                      "<one>1</one><f>false</f><bad>yes</bad><word>x1</word>"
                                      "<nil xsi:nil='true'/></r>", &error);
  xmlNode *root;
  guint64 u = 0;
  gint64 i = 0;
  gboolean b = FALSE;
  gboolean present = FALSE;

  g_assert_no_error (error);
  root = xmlDocGetRootElement (doc);

  g_assert_true (cradle_xml_get_child_uint (root, NULL, "u", 100, &u, &present, &error));
  g_assert_true (present);
  g_assert_cmpuint (u, ==, 42);
  g_assert_false (cradle_xml_get_child_uint (root, NULL, "big", G_MAXUINT32, &u, &present, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "<big>"));
  g_clear_error (&error);
  g_assert_true (cradle_xml_get_child_uint (root, NULL, "missing", 1, &u, &present, &error));
  g_assert_false (present);
  g_assert_true (cradle_xml_get_child_uint (root, NULL, "nil", 1, &u, &present, &error));
  g_assert_false (present);

  g_assert_true (cradle_xml_get_child_int (root, NULL, "neg", G_MININT32, G_MAXINT32, &i,
                                           &present, &error));
  g_assert_cmpint (i, ==, -2146877422);
  g_assert_cmphex ((guint32) (gint32) i, ==, 0x80094012);
  g_assert_true (cradle_xml_get_child_int (root, NULL, "plus", 0, 10, &i, &present, &error));
  g_assert_cmpint (i, ==, 7);
  g_assert_false (cradle_xml_get_child_int (root, NULL, "word", 0, 10, &i, &present, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);

  g_assert_true (cradle_xml_get_child_boolean (root, NULL, "t", &b, &present, &error));
  g_assert_true (b);
  g_assert_true (cradle_xml_get_child_boolean (root, NULL, "one", &b, &present, &error));
  g_assert_true (b);
  g_assert_true (cradle_xml_get_child_boolean (root, NULL, "f", &b, &present, &error));
  g_assert_false (b);
  g_assert_false (cradle_xml_get_child_boolean (root, NULL, "bad", &b, &present, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "true or false"));
}

static void
test_base64 (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;

  bytes = cradle_xml_decode_base64 ("SGVs\r\nbG8g\r\n d29y bGQ=\r", "The test", &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), "Hello world", 11);

  g_assert_null (cradle_xml_decode_base64 ("SGVsbG8*", "The test", &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_true (g_str_has_prefix (error->message, "The test is not base64"));
  g_clear_error (&error);
  g_assert_null (cradle_xml_decode_base64 ("SGVsbG8gd29ybG", "The test", &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "cut short"));
  g_clear_error (&error);
  g_assert_null (cradle_xml_decode_base64 ("SG=sbG8=", "The test", &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_null (cradle_xml_decode_base64 (" \r\n", "The test", &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_null (cradle_xml_decode_base64 (NULL, "The test", &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
}

static void
test_display_text (void)
{
  g_autofree char *plain = cradle_xml_dup_display_text ("  Denied by\r\n Policy\tModule \r", 100);
  g_autofree char *cut = cradle_xml_dup_display_text ("abcdefghij", 4);
  g_autofree char *invalid = cradle_xml_dup_display_text ("ok \xff\xfe bytes\x1b[31m", 100);
  g_autofree char *empty = cradle_xml_dup_display_text (NULL, 10);

  g_assert_cmpstr (plain, ==, "Denied by Policy Module");
  g_assert_cmpstr (cut, ==, "abcd…");
  g_assert_true (g_utf8_validate (invalid, -1, NULL));
  g_assert_null (strchr (invalid, '\x1b'));
  g_assert_cmpstr (empty, ==, "");
}

static void
test_writer (void)
{
  g_autoptr(CradleXmlWriter) writer = cradle_xml_writer_new ();
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(xmlDoc) doc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *attr = NULL;
  xmlNode *root;
  const char *tricky = "a<b>&c\"d'e\r\nf\tg ]]> é";

  cradle_xml_writer_start (writer, "p:root", "xmlns:p", NS_A, "p:attr", tricky, NULL);
  cradle_xml_writer_element (writer, "p:text", tricky, NULL);
  cradle_xml_writer_element (writer, "p:empty", NULL, NULL);
  cradle_xml_writer_start (writer, "p:open", NULL);
  /* finish() closes what is open */
  bytes = cradle_xml_writer_finish (writer);

  doc = cradle_xml_parse (bytes, CRADLE_XML_MAX_SIZE, &error);
  g_assert_no_error (error);
  root = xmlDocGetRootElement (doc);
  g_assert_true (cradle_xml_is (root, NS_A, "root"));
  attr = cradle_xml_dup_attribute (root, NS_A, "attr");
  g_assert_cmpstr (attr, ==, tricky);
  /* dup_text trims; the element keeps every character. */
  text = (char *) xmlNodeGetContent (cradle_xml_child (root, NS_A, "text"));
  g_assert_cmpstr (text, ==, tricky);
  xmlFree (g_steal_pointer (&text));
  g_assert_nonnull (cradle_xml_child (root, NS_A, "empty"));
  g_assert_nonnull (cradle_xml_child (root, NS_A, "open"));
}

static void
test_writer_secret (void)
{
  g_autoptr(CradleXmlWriter) writer = cradle_xml_writer_new ();
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(xmlDoc) doc = NULL;
  g_autoptr(GError) error = NULL;
  xmlChar *text;
  const char *secret = "S3cr&t<pa\"ss'>";

  cradle_xml_writer_start (writer, "root", NULL);
  cradle_xml_writer_element (writer, "before", "1", NULL);
  cradle_xml_writer_start (writer, "secret", NULL);
  cradle_xml_writer_secret_text (writer, secret);
  cradle_xml_writer_end (writer);
  cradle_xml_writer_element (writer, "after", "2", NULL);
  bytes = cradle_xml_writer_finish (writer);

  g_assert_null (g_strstr_len (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), secret));
  doc = cradle_xml_parse (bytes, CRADLE_XML_MAX_SIZE, &error);
  g_assert_no_error (error);
  text = xmlNodeGetContent (cradle_xml_child (xmlDocGetRootElement (doc), NULL, "secret"));
  g_assert_cmpstr ((const char *) text, ==, secret);
  xmlFree (text);
  g_assert_nonnull (cradle_xml_child (xmlDocGetRootElement (doc), NULL, "after"));
}

static void
test_check_text (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (cradle_xml_check_text ("plain, é, tab\t and lines\r\n", "field", &error));
  g_assert_no_error (error);
  g_assert_false (cradle_xml_check_text ("hunter\x01two", "password", &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "password"));
  g_assert_null (strstr (error->message, "hunter"));
  g_clear_error (&error);
  g_assert_false (cradle_xml_check_text ("bad \xc3\x28 utf-8", "user name", &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_false (cradle_xml_check_text ("\xef\xbf\xbe", "user name", &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/xml/parse/tree", test_parse_tree);
  g_test_add_func ("/xml/parse/doctype-refused", test_parse_doctype_refused);
  g_test_add_func ("/xml/parse/entities", test_parse_entities);
  g_test_add_func ("/xml/parse/malformed", test_parse_malformed);
  g_test_add_func ("/xml/read/numbers", test_numbers);
  g_test_add_func ("/xml/read/base64", test_base64);
  g_test_add_func ("/xml/read/display-text", test_display_text);
  g_test_add_func ("/xml/write/escaping", test_writer);
  g_test_add_func ("/xml/write/secret", test_writer_secret);
  g_test_add_func ("/xml/write/check-text", test_check_text);

  return g_test_run ();
}
