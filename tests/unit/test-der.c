/* test-der.c: the bounded DER reader and writer both ends share
 *
 * OpenSSL's own ASN.1 header code is the reference: the writer must write
 * the headers ASN1_put_object writes, and the reader must find in a real
 * encoding (an X509_NAME from i2d) what OpenSSL put there.
 */
#include "config.h"

#include <string.h>

#include <openssl/asn1.h>
#include <openssl/x509.h>

#include <cradle/cradle.h>

#include "protocol/cradle-der-private.h"

static const gsize lengths[] = { 0, 1, 0x7f, 0x80, 0x81, 0xff, 0x100, 0x1234, 0xffff, 0x10000, 0x123456 };

/* The header OpenSSL writes for a universal @tag of @length bytes. */
static GBytes *
openssl_header (gboolean constructed,
                int      tag,
                gsize    length)
{
  int size = ASN1_object_size (constructed, (int) length, tag) - (int) length;
  guint8 *header = g_malloc (size);
  unsigned char *p = header;

  ASN1_put_object (&p, constructed, (int) length, tag, V_ASN1_UNIVERSAL);
  g_assert_cmpint (p - header, ==, size);
  return g_bytes_new_take (header, size);
}

static void
test_writer_matches_openssl (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (lengths); i++)
    {
      g_autoptr(GByteArray) mine = g_byte_array_new ();
      g_autoptr(GBytes) sequence = openssl_header (TRUE, V_ASN1_SEQUENCE, lengths[i]);
      g_autoptr(GBytes) octets = openssl_header (FALSE, V_ASN1_OCTET_STRING, lengths[i]);

      cradle_der_append_header (mine, CRADLE_DER_SEQUENCE, lengths[i]);
      g_assert_cmpmem (mine->data, mine->len, g_bytes_get_data (sequence, NULL), g_bytes_get_size (sequence));
      g_byte_array_set_size (mine, 0);
      cradle_der_append_header (mine, CRADLE_DER_OCTET_STRING, lengths[i]);
      g_assert_cmpmem (mine->data, mine->len, g_bytes_get_data (octets, NULL), g_bytes_get_size (octets));
    }
}

/* What the writer writes the reader takes back, exactly, and stops there. */
static void
test_round_trip (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (lengths); i++)
    {
      g_autoptr(GByteArray) der = g_byte_array_new ();
      CradleDerSlice in, whole, value;
      gsize header;
      guint8 tag = 0;

      cradle_der_append_header (der, CRADLE_DER_OCTET_STRING, lengths[i]);
      header = der->len;
      g_byte_array_set_size (der, header + lengths[i] + 1);
      memset (der->data + header, 0x5a, lengths[i]);
      der->data[der->len - 1] = 0xee;   /* the next element's first byte */

      in = (CradleDerSlice) { der->data, der->len };
      g_assert_true (cradle_der_take_any (&in, &tag, &whole, &value));
      g_assert_cmpuint (tag, ==, CRADLE_DER_OCTET_STRING);
      g_assert_true (whole.data == der->data);
      g_assert_cmpuint (whole.size, ==, header + lengths[i]);
      g_assert_true (value.data == der->data + header);
      g_assert_cmpuint (value.size, ==, lengths[i]);
      g_assert_cmpuint (in.size, ==, 1);
      g_assert_cmpuint (in.data[0], ==, 0xee);

      /* One byte short of its content: refused, and nothing taken. */
      in = (CradleDerSlice) { der->data, header + lengths[i] - 1 };
      if (lengths[i] > 0)
        {
          g_assert_false (cradle_der_take_any (&in, &tag, &whole, &value));
          g_assert_true (in.data == der->data);
          g_assert_cmpuint (in.size, ==, header + lengths[i] - 1);
        }
    }
}

static void
test_refuses (void)
{
  static const struct {
    const char   *why;
    const guint8  data[8];
    gsize         size;
  } cases[] = {
    { "empty", { 0 }, 0 },
    { "a tag alone", { 0x04 }, 1 },
    { "content missing", { 0x04, 0x01 }, 2 },
    { "indefinite length", { 0x30, 0x80, 0x00, 0x00 }, 4 },
    { "five length bytes", { 0x04, 0x85, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00 }, 8 },
    { "long form of a short length", { 0x04, 0x81, 0x01, 0x00 }, 4 },
    { "leading zero length byte", { 0x04, 0x82, 0x00, 0x80 }, 4 },
    { "length bytes cut off", { 0x04, 0x82, 0x01 }, 3 },
    { "length past the end", { 0x04, 0x84, 0xff, 0xff, 0xff, 0xff, 0x00 }, 7 },
    { "high tag number", { 0x1f, 0x01, 0x00 }, 3 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      CradleDerSlice in = { cases[i].data, cases[i].size };
      CradleDerSlice whole = { NULL, 0 }, value = { NULL, 0 };
      guint8 tag = 0x42;

      g_test_message ("%s", cases[i].why);
      g_assert_false (cradle_der_take_any (&in, &tag, &whole, &value));
      g_assert_true (in.data == cases[i].data);
      g_assert_cmpuint (in.size, ==, cases[i].size);
      g_assert_cmpuint (tag, ==, 0x42);
      g_assert_null (whole.data);
      g_assert_null (value.data);
    }
}

static void
test_take_wants_its_tag (void)
{
  static const guint8 data[] = { 0x02, 0x01, 0x05 };
  CradleDerSlice in = { data, sizeof data };
  CradleDerSlice value;

  g_assert_false (cradle_der_take (&in, CRADLE_DER_SEQUENCE, NULL, &value));
  g_assert_cmpuint (in.size, ==, sizeof data);
  g_assert_true (cradle_der_take (&in, CRADLE_DER_INTEGER, NULL, &value));
  g_assert_cmpuint (in.size, ==, 0);
  g_assert_true (cradle_der_equal (value, (const guint8 *) "\x05", 1));
  g_assert_false (cradle_der_take (&in, CRADLE_DER_INTEGER, NULL, &value));
}

/* A Name as OpenSSL encodes it: SEQUENCE OF SET OF SEQUENCE { OID, string }. */
static void
test_reads_openssl_name (void)
{
  static const char *const fields[] = { "C", "O", "OU", "L", "CN" };
  X509_NAME *name = X509_NAME_new ();
  /* Long enough for the outer SEQUENCE to need the long form (two bytes). */
  g_autofree char *long_text = g_strnfill (60, 'x');
  unsigned char *der = NULL;
  CradleDerSlice in, rdns, rdn, atv, oid, text;
  int size;
  guint count = 0;

  g_assert_true (X509_NAME_add_entry_by_txt (name, fields[0], MBSTRING_ASC, (const guint8 *) "DE", -1, -1, 0));
  for (guint i = 1; i < G_N_ELEMENTS (fields); i++)
    g_assert_true (X509_NAME_add_entry_by_txt (name, fields[i], MBSTRING_ASC, (const guint8 *) long_text, -1, -1, 0));
  size = i2d_X509_NAME (name, &der);
  g_assert_cmpint (size, >, 0x100);

  in = (CradleDerSlice) { der, size };
  g_assert_true (cradle_der_take (&in, CRADLE_DER_SEQUENCE, NULL, &rdns));
  g_assert_cmpuint (in.size, ==, 0);
  while (rdns.size > 0)
    {
      g_assert_true (cradle_der_take (&rdns, CRADLE_DER_SET, NULL, &rdn));
      g_assert_true (cradle_der_take (&rdn, CRADLE_DER_SEQUENCE, NULL, &atv));
      g_assert_cmpuint (rdn.size, ==, 0);
      g_assert_true (cradle_der_take (&atv, CRADLE_DER_OID, NULL, &oid));
      g_assert_true (cradle_der_take_any (&atv, NULL, NULL, &text));
      g_assert_cmpuint (atv.size, ==, 0);
      if (count == 0)
        g_assert_true (cradle_der_equal (text, (const guint8 *) "DE", 2));
      else
        g_assert_true (cradle_der_equal (text, (const guint8 *) long_text, 60));
      count++;
    }
  g_assert_cmpuint (count, ==, G_N_ELEMENTS (fields));

  OPENSSL_free (der);
  X509_NAME_free (name);
}

static void
test_set_order (void)
{
  static const guint8 a[] = { 0x31, 0x03, 0x02, 0x01, 0x01 };
  static const guint8 b[] = { 0x31, 0x03, 0x02, 0x01, 0x02 };
  static const guint8 a_padded[] = { 0x31, 0x03, 0x02, 0x01, 0x01, 0x00 };
  static const guint8 a_longer[] = { 0x31, 0x03, 0x02, 0x01, 0x01, 0x01 };

  g_assert_cmpint (cradle_der_set_order ((CradleDerSlice) { a, sizeof a }, (CradleDerSlice) { b, sizeof b }), <, 0);
  g_assert_cmpint (cradle_der_set_order ((CradleDerSlice) { b, sizeof b }, (CradleDerSlice) { a, sizeof a }), >, 0);
  g_assert_cmpint (cradle_der_set_order ((CradleDerSlice) { a, sizeof a }, (CradleDerSlice) { a_padded, sizeof a_padded }), ==, 0);
  g_assert_cmpint (cradle_der_set_order ((CradleDerSlice) { a, sizeof a }, (CradleDerSlice) { a_longer, sizeof a_longer }), <, 0);
  g_assert_cmpint (cradle_der_set_order ((CradleDerSlice) { a_longer, sizeof a_longer }, (CradleDerSlice) { a, sizeof a }), >, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/der/writer-matches-openssl", test_writer_matches_openssl);
  g_test_add_func ("/der/round-trip", test_round_trip);
  g_test_add_func ("/der/refuses", test_refuses);
  g_test_add_func ("/der/take-wants-its-tag", test_take_wants_its_tag);
  g_test_add_func ("/der/reads-openssl-name", test_reads_openssl_name);
  g_test_add_func ("/der/set-order", test_set_order);

  return g_test_run ();
}
