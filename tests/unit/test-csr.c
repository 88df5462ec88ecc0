/* test-csr.c: certification requests, built here and signed by a pretend device,
 * against what `openssl req` makes of the same key and inputs */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/core_names.h>

#include "csr-test-support.h"

static void
test_csr_rsa_matches_openssl (void)
{
  const char *digests[] = { "sha256", "sha384", "sha512" };

  if (!have_openssl ())
    return;

  /* PKCS#1 v1.5 is deterministic: the whole request is openssl's, byte for byte. */
  for (gsize i = 0; i < G_N_ELEMENTS (digests); i++)
    {
      g_autoptr(CradleCsrBuilder) builder = new_full_builder (rsa_key);
      g_autoptr(GBytes) info = encode (builder);
      g_autoptr(GBytes) request = sign_and_assemble (rsa_key, digests[i], info);
      g_autoptr(GBytes) expected = openssl_req (rsa_key, digests[i], minimal_config, "DER", full_request_args);
      g_autoptr(GBytes) expected_info = request_info_of (expected);

      assert_bytes_equal (info, expected_info);
      assert_bytes_equal (request, expected);
    }
}

static void
test_csr_pem_matches_openssl (void)
{
  g_autoptr(CradleCsrBuilder) builder = new_full_builder (rsa_key);
  g_autoptr(GBytes) info = encode (builder);
  g_autoptr(GBytes) request = sign_and_assemble (rsa_key, "sha256", info);
  g_autoptr(GBytes) expected = NULL;
  g_autofree char *pem = cradle_csr_to_pem (request);

  if (!have_openssl ())
    return;
  expected = openssl_req (rsa_key, "sha256", minimal_config, "PEM", full_request_args);

  g_assert_cmpmem (pem, strlen (pem), g_bytes_get_data (expected, NULL), g_bytes_get_size (expected));
}

static void
assert_ec_matches_openssl (EVP_PKEY   *key,
                           const char *digest)
{
  g_autoptr(CradleCsrBuilder) builder = new_full_builder (key);
  g_autoptr(GBytes) info = encode (builder);
  g_autoptr(GBytes) request = sign_and_assemble (key, digest, info);
  g_autoptr(GBytes) expected = openssl_req (key, digest, minimal_config, "DER", full_request_args);
  g_autoptr(GBytes) expected_info = request_info_of (expected);
  g_autoptr(GBytes) request_info = request_info_of (request);
  g_autoptr(X509_REQ) ours = NULL;
  g_autoptr(X509_REQ) theirs = NULL;
  const X509_ALGOR *our_algorithm = NULL;
  const X509_ALGOR *their_algorithm = NULL;
  const unsigned char *p;

  /* ECDSA is randomised: the signed part and the algorithm must match, and
   * the signature must verify. */
  assert_bytes_equal (info, expected_info);
  assert_bytes_equal (request_info, expected_info);
  p = g_bytes_get_data (request, NULL);
  ours = d2i_X509_REQ (NULL, &p, (long) g_bytes_get_size (request));
  p = g_bytes_get_data (expected, NULL);
  theirs = d2i_X509_REQ (NULL, &p, (long) g_bytes_get_size (expected));
  g_assert_nonnull (ours);
  g_assert_nonnull (theirs);
  X509_REQ_get0_signature (ours, NULL, &our_algorithm);
  X509_REQ_get0_signature (theirs, NULL, &their_algorithm);
  g_assert_cmpint (X509_ALGOR_cmp (our_algorithm, their_algorithm), ==, 0);
  g_assert_cmpint (X509_REQ_verify (ours, key), ==, 1);
}

static void
test_csr_ec_matches_openssl (void)
{
  g_autoptr(EVP_PKEY) p384 = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-384");

  if (!have_openssl ())
    return;

  g_assert_nonnull (p384);
  assert_ec_matches_openssl (ec_key, "sha256");
  assert_ec_matches_openssl (ec_key, "sha512");
  assert_ec_matches_openssl (p384, "sha384");
}

static char *
name_to_rfc2253 (const X509_NAME *name)
{
  g_autoptr(BIO) bio = BIO_new (BIO_s_mem ());
  char *data = NULL;
  long size;

  g_assert_cmpint (X509_NAME_print_ex (bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB), >=, 0);
  size = BIO_get_mem_data (bio, &data);
  return g_strndup (data, size);
}

static char *
oid_to_string (const ASN1_OBJECT *object)
{
  char buffer[256];

  g_assert_cmpint (OBJ_obj2txt (buffer, sizeof buffer, object, 1), >, 0);
  return g_strdup (buffer);
}

static char *
string_to_utf8 (const ASN1_STRING *string)
{
  unsigned char *utf8 = NULL;
  int size = ASN1_STRING_to_UTF8 (&utf8, string);
  char *copy;

  g_assert_cmpint (size, >=, 0);
  copy = g_strndup ((const char *) utf8, size);
  OPENSSL_free (utf8);
  return copy;
}

static void
test_csr_parse_back (void)
{
  g_autoptr(CradleCsrBuilder) builder = new_full_builder (ec_key);
  g_autoptr(GBytes) info = encode (builder);
  g_autoptr(GBytes) request = sign_and_assemble (ec_key, "sha256", info);
  g_autoptr(X509_REQ) parsed = parse_request (request);
  g_autoptr(X509_EXTENSIONS) extensions = X509_REQ_get_extensions (parsed);
  g_autofree char *subject = name_to_rfc2253 (X509_REQ_get_subject_name (parsed));
  X509_EXTENSION *extension;
  const unsigned char *p;

  g_assert_cmpint (X509_REQ_get_version (parsed), ==, 0);
  g_assert_cmpstr (subject, ==, "CN=alice,OU=Devices,DC=corp,DC=example");
  g_assert_cmpint (EVP_PKEY_eq (X509_REQ_get0_pubkey (parsed), ec_key), ==, 1);
  g_assert_cmpint (X509_REQ_get_attr_count (parsed), ==, 1);
  g_assert_cmpint (X509_REQ_get_attr_by_NID (parsed, NID_ext_req, -1), ==, 0);
  g_assert_cmpint (sk_X509_EXTENSION_num (extensions), ==, 5);

  /* The template's name: a bare BMPString, non-critical. */
  extension = sk_X509_EXTENSION_value (extensions, 0);
  {
    g_autofree char *oid = oid_to_string (X509_EXTENSION_get_object (extension));
    const ASN1_OCTET_STRING *value = X509_EXTENSION_get_data (extension);
    g_autoptr(ASN1_TYPE) name = NULL;
    g_autofree char *text = NULL;

    g_assert_cmpstr (oid, ==, CRADLE_CSR_OID_TEMPLATE_NAME);
    g_assert_cmpint (X509_EXTENSION_get_critical (extension), ==, 0);
    p = ASN1_STRING_get0_data (value);
    name = d2i_ASN1_TYPE (NULL, &p, ASN1_STRING_length (value));
    g_assert_nonnull (name);
    g_assert_cmpint (name->type, ==, V_ASN1_BMPSTRING);
    text = string_to_utf8 (name->value.bmpstring);
    g_assert_cmpstr (text, ==, "User");
  }

  /* The template's OID with its major and minor versions. */
  extension = sk_X509_EXTENSION_value (extensions, 1);
  {
    g_autofree char *oid = oid_to_string (X509_EXTENSION_get_object (extension));
    g_autofree char *template_oid = NULL;
    const ASN1_OCTET_STRING *value = X509_EXTENSION_get_data (extension);
    g_autoptr(ASN1_SEQUENCE_ANY) sequence = NULL;

    g_assert_cmpstr (oid, ==, CRADLE_CSR_OID_TEMPLATE);
    g_assert_cmpint (X509_EXTENSION_get_critical (extension), ==, 0);
    p = ASN1_STRING_get0_data (value);
    sequence = d2i_ASN1_SEQUENCE_ANY (NULL, &p, ASN1_STRING_length (value));
    g_assert_nonnull (sequence);
    g_assert_cmpint (sk_ASN1_TYPE_num (sequence), ==, 3);
    g_assert_cmpint (sk_ASN1_TYPE_value (sequence, 0)->type, ==, V_ASN1_OBJECT);
    template_oid = oid_to_string (sk_ASN1_TYPE_value (sequence, 0)->value.object);
    g_assert_cmpstr (template_oid, ==, TEMPLATE_OID);
    g_assert_cmpint (sk_ASN1_TYPE_value (sequence, 1)->type, ==, V_ASN1_INTEGER);
    g_assert_cmpint (ASN1_INTEGER_get (sk_ASN1_TYPE_value (sequence, 1)->value.integer), ==, 100);
    g_assert_cmpint (ASN1_INTEGER_get (sk_ASN1_TYPE_value (sequence, 2)->value.integer), ==, 4);
  }

  /* Extended key usage, the repeated OID once. */
  extension = sk_X509_EXTENSION_value (extensions, 2);
  {
    g_autoptr(EXTENDED_KEY_USAGE) usages = X509V3_EXT_d2i (extension);
    const char *expected[] = { "1.3.6.1.5.5.7.3.2", "1.3.6.1.4.1.311.20.2.2", "1.3.6.1.5.5.7.3.4" };

    g_assert_cmpint (OBJ_obj2nid (X509_EXTENSION_get_object (extension)), ==, NID_ext_key_usage);
    g_assert_nonnull (usages);
    g_assert_cmpint (sk_ASN1_OBJECT_num (usages), ==, G_N_ELEMENTS (expected));
    for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
      {
        g_autofree char *oid = oid_to_string (sk_ASN1_OBJECT_value (usages, (int) i));

        g_assert_cmpstr (oid, ==, expected[i]);
      }
  }

  /* Key usage, critical: digitalSignature (bit 0) and keyEncipherment (bit 2). */
  extension = sk_X509_EXTENSION_value (extensions, 3);
  {
    g_autoptr(ASN1_STRING) bits = X509V3_EXT_d2i (extension);

    g_assert_cmpint (OBJ_obj2nid (X509_EXTENSION_get_object (extension)), ==, NID_key_usage);
    g_assert_cmpint (X509_EXTENSION_get_critical (extension), ==, 1);
    g_assert_nonnull (bits);
    for (int n = 0; n < 9; n++)
      g_assert_cmpint (ASN1_BIT_STRING_get_bit (bits, n), ==, n == 0 || n == 2);
  }

  /* Subject alternative names, in the order given. */
  extension = sk_X509_EXTENSION_value (extensions, 4);
  {
    g_autoptr(GENERAL_NAMES) names = X509V3_EXT_d2i (extension);
    GENERAL_NAME *name;
    g_autofree char *upn_oid = NULL;
    g_autofree char *upn = NULL;

    g_assert_cmpint (OBJ_obj2nid (X509_EXTENSION_get_object (extension)), ==, NID_subject_alt_name);
    g_assert_nonnull (names);
    g_assert_cmpint (sk_GENERAL_NAME_num (names), ==, 3);
    name = sk_GENERAL_NAME_value (names, 0);
    g_assert_cmpint (name->type, ==, GEN_OTHERNAME);
    upn_oid = oid_to_string (name->d.otherName->type_id);
    g_assert_cmpstr (upn_oid, ==, CRADLE_CSR_OID_UPN);
    g_assert_cmpint (name->d.otherName->value->type, ==, V_ASN1_UTF8STRING);
    upn = string_to_utf8 (name->d.otherName->value->value.utf8string);
    g_assert_cmpstr (upn, ==, "alice@corp.example");
    name = sk_GENERAL_NAME_value (names, 1);
    g_assert_cmpint (name->type, ==, GEN_EMAIL);
    g_assert_cmpstr ((const char *) ASN1_STRING_get0_data (name->d.rfc822Name), ==, "alice@corp.example");
    name = sk_GENERAL_NAME_value (names, 2);
    g_assert_cmpint (name->type, ==, GEN_DNS);
    g_assert_cmpstr ((const char *) ASN1_STRING_get0_data (name->d.dNSName), ==, "host.corp.example");
  }
}

static GBytes *
template_oid_value (const char *oid,
                    gint        major,
                    gint        minor)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(X509_EXTENSION) extension = cradle_csr_extension_template_oid (oid, major, minor, &error);
  const ASN1_OCTET_STRING *value;

  g_assert_no_error (error);
  g_assert_nonnull (extension);
  value = X509_EXTENSION_get_data (extension);
  return g_bytes_new (ASN1_STRING_get0_data (value), ASN1_STRING_length (value));
}

static void
test_csr_template_oid_versions (void)
{
  const struct {
    gint        major;
    gint        minor;
    const char *der;
  } cases[] = {
    { 2147483647, -1, "3013060b2b0601040182371508010202047fffffff" },
    { -1, -1, "300d060b2b06010401823715080102" },
    { 0, 0, "3013060b2b06010401823715080102020100020100" },
  };
  const char *bad_oids[] = { "", "1", "1.", ".1.2", "1..2", "1.2.", "01.2", "1.02", "3.1", "1.40",
                             "1.2.x", "1.2 ", "-1.2", "User" };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) value = template_oid_value ("1.3.6.1.4.1.311.21.8.1.2", cases[i].major, cases[i].minor);
      g_autoptr(GBytes) expected = bytes_from_hex (cases[i].der);

      assert_bytes_equal (value, expected);
    }

  /* A minor version alone would read back as the major one. */
  {
    g_autoptr(CradleCsrBuilder) builder = cradle_csr_builder_new ();
    g_autoptr(GError) error = NULL;

    g_assert_false (cradle_csr_builder_add_template_oid (builder, "1.3.6.1.4.1.311.21.8.1.2", -1, 3, &error));
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  }
  for (gsize i = 0; i < G_N_ELEMENTS (bad_oids); i++)
    {
      g_autoptr(CradleCsrBuilder) builder = cradle_csr_builder_new ();
      g_autoptr(GError) error = NULL;

      g_assert_false (cradle_csr_builder_add_template_oid (builder, bad_oids[i], 1, 0, &error));
      g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
    }
}

static GBytes *
encode_subject (const char *subject)
{
  g_autoptr(CradleCsrBuilder) builder = new_builder (ec_key);
  g_autoptr(GError) error = NULL;

  g_assert_true (cradle_csr_builder_set_subject (builder, subject, &error));
  g_assert_no_error (error);
  return encode (builder);
}

static void
test_csr_empty_subject (void)
{
  const char *const args[] = { "-subj", "/", NULL };
  g_autoptr(GBytes) from_null = encode_subject (NULL);
  g_autoptr(GBytes) from_empty = encode_subject ("");
  g_autoptr(GBytes) expected = NULL;
  g_autoptr(GBytes) expected_info = NULL;
  g_autoptr(CradleCsrBuilder) builder = new_builder (ec_key);
  g_autoptr(GBytes) never_set = encode (builder);
  const guint8 *data;
  gsize size;

  if (!have_openssl ())
    return;
  expected = openssl_req (ec_key, "sha256", minimal_config, "DER", args);
  expected_info = request_info_of (expected);

  /* SEQUENCE, INTEGER 0, then the Name: an empty SEQUENCE. */
  data = g_bytes_get_data (from_null, &size);
  g_assert_cmpuint (size, >, 7);
  g_assert_cmphex (data[0], ==, 0x30);
  g_assert_cmpmem (data + 2, 5, "\x02\x01\x00\x30\x00", 5);
  assert_bytes_equal (from_null, expected_info);
  assert_bytes_equal (from_empty, expected_info);
  assert_bytes_equal (never_set, expected_info);
}

static void
test_csr_subject_escapes (void)
{
  const char *const args[] = {
    "-utf8", "-subj", "/C=DE/O=\"Quoted\" \\\\ Corp/OU=R\\+ D/O=Bäckerei/CN=Smith, John+UID=jsmith", NULL
  };
  g_autoptr(GBytes) expected = NULL;
  g_autoptr(GBytes) expected_info = NULL;
  const char *equivalents[] = {
    "CN=Smith\\, John+UID=jsmith,O=Bäckerei,OU=R\\+ D,O=\\\"Quoted\\\" \\\\ Corp,C=DE",
    "CN=Smith\\2C John+UID=jsmith,O=B\\C3\\A4ckerei,OU=R\\2b\\20D,O=\\22Quoted\\22 \\5C Corp,C=DE",
    "cn = Smith\\, John + uid=jsmith , o=Bäckerei,OU=R\\+ D ,organizationName=\\\"Quoted\\\" \\\\ Corp,c=DE",
    "2.5.4.3=Smith\\, John+0.9.2342.19200300.100.1.1=#0C066A736D697468,O=Bäckerei,OU=R\\+ D,"
    "O=\\\"Quoted\\\" \\\\ Corp,2.5.4.6=DE",
  };

  if (!have_openssl ())
    return;
  expected = openssl_req (ec_key, "sha256", minimal_config, "DER", args);
  expected_info = request_info_of (expected);

  for (gsize i = 0; i < G_N_ELEMENTS (equivalents); i++)
    {
      g_autoptr(GBytes) info = encode_subject (equivalents[i]);

      assert_bytes_equal (info, expected_info);
    }

  /* An escaped space at the end stays; unescaped ones go. */
  {
    g_autoptr(GBytes) info = encode_subject ("CN=alice\\  ,O= Corp ");
    g_autoptr(GBytes) request = sign_and_assemble (ec_key, "sha256", info);
    g_autoptr(X509_REQ) parsed = parse_request (request);
    char text[64];

    g_assert_cmpint (X509_NAME_get_text_by_NID (X509_REQ_get_subject_name (parsed), NID_commonName, text,
                                                sizeof text), ==, 6);
    g_assert_cmpstr (text, ==, "alice ");
    g_assert_cmpint (X509_NAME_get_text_by_NID (X509_REQ_get_subject_name (parsed), NID_organizationName,
                                                text, sizeof text), ==, 4);
    g_assert_cmpstr (text, ==, "Corp");
  }
}

/* A device's serial (or the directory's cn) is the value of one CN, taken
 * as it is: spliced into "CN=%s" and parsed, this serial was issued
 * CN=Administrator, OU=Domain Admins, CN=PHONE-7. */
static void
test_csr_subject_common_name (void)
{
  const char *serial = "PHONE-7,OU=Domain Admins,CN=Administrator";
  const char *others[] = { "a+UID=root", "#0C0141", " spaced ", "x\\,y=\"z\"", "Bäckerei\\2C" };
  g_autoptr(CradleCsrBuilder) builder = new_builder (ec_key);
  g_autoptr(GBytes) info = NULL;
  g_autoptr(GBytes) request = NULL;
  g_autoptr(X509_REQ) parsed = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *too_long = g_strnfill (65, 'x');
  X509_NAME *name;
  const ASN1_STRING *value;

  g_assert_true (cradle_csr_builder_set_subject_common_name (builder, serial, &error));
  g_assert_no_error (error);
  info = encode (builder);
  request = sign_and_assemble (ec_key, "sha256", info);
  parsed = parse_request (request);
  name = X509_REQ_get_subject_name (parsed);
  g_assert_cmpint (X509_NAME_entry_count (name), ==, 1);
  g_assert_cmpint (OBJ_obj2nid (X509_NAME_ENTRY_get_object (X509_NAME_get_entry (name, 0))), ==, NID_commonName);
  value = X509_NAME_ENTRY_get_data (X509_NAME_get_entry (name, 0));
  g_assert_cmpmem (ASN1_STRING_get0_data (value), ASN1_STRING_length (value), serial, strlen (serial));

  for (gsize i = 0; i < G_N_ELEMENTS (others); i++)
    {
      g_autoptr(CradleCsrBuilder) other = new_builder (ec_key);
      g_autoptr(GBytes) other_info = NULL;
      g_autoptr(GBytes) other_request = NULL;
      g_autoptr(X509_REQ) other_parsed = NULL;

      g_assert_true (cradle_csr_builder_set_subject_common_name (other, others[i], &error));
      other_info = encode (other);
      other_request = sign_and_assemble (ec_key, "sha256", other_info);
      other_parsed = parse_request (other_request);
      name = X509_REQ_get_subject_name (other_parsed);
      g_assert_cmpint (X509_NAME_entry_count (name), ==, 1);
      value = X509_NAME_ENTRY_get_data (X509_NAME_get_entry (name, 0));
      g_assert_cmpmem (ASN1_STRING_get0_data (value), ASN1_STRING_length (value), others[i], strlen (others[i]));
    }

  /* Empty, not UTF-8, or longer than X.520's 64 characters: an error, and
   * the subject set before stays. */
  g_assert_false (cradle_csr_builder_set_subject_common_name (builder, "", &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_false (cradle_csr_builder_set_subject_common_name (builder, "\xff\xfe", &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_false (cradle_csr_builder_set_subject_common_name (builder, too_long, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  {
    g_autoptr(GBytes) kept = encode (builder);

    assert_bytes_equal (kept, info);
  }
}

static void
test_csr_subject_invalid (void)
{
  g_autofree char *too_long = g_strnfill (CRADLE_CSR_MAX_SUBJECT_LENGTH + 1, 'a');
  g_autofree char *long_cn = g_strdup_printf ("CN=%0*d", 65, 0);
  const char *bad[] = {
    "XX=foo",
    "CN",
    "CN alice",
    "=alice",
    "CN=alice,",
    "CN=alice,,O=Corp",
    "CN=alice+",
    "CN=",
    "CN=  ,O=Corp",
    "CN=alice\\",
    "CN=\\ZZ",
    "CN=\\4",
    "CN=a\\00b",
    "CN=\xff\xfe",
    "CN=\\C3",
    "CN=a\"b",
    "CN=a;b",
    "CN=a<b",
    "C=DEU",
    "CN=#0C0",
    "CN=#",
    "CN=#0201FF",
    "CN=#0C05616C69636500",
    "CN=#0C05616C6963",
    "1.2.=x",
    "1.2.840.113549.1.9.1.=x",
    "RSA=x",
    "sha256=x",
    long_cn,
    too_long,
  };
  g_autoptr(CradleCsrBuilder) builder = new_builder (ec_key);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) info = NULL;
  g_autoptr(GBytes) expected = encode_subject ("CN=kept");

  g_assert_true (cradle_csr_builder_set_subject (builder, "CN=kept", &error));
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_false (cradle_csr_builder_set_subject (builder, bad[i], &error));
      g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      g_test_message ("%s", error->message);
      g_clear_error (&error);
    }
  /* A refused subject leaves the last good one in place. */
  info = encode (builder);
  assert_bytes_equal (info, expected);
}

static void
test_csr_challenge_password (void)
{
  static const char config[] =
    "[req]\n"
    "prompt = no\n"
    "distinguished_name = dn\n"
    "attributes = attributes\n"
    "string_mask = default\n"
    "[dn]\n"
    "C = DE\n"
    "[attributes]\n"
    "challengePassword = s3cret (pass)\n";
  const char *const args[] = { "-addext", "1.3.6.1.4.1.311.20.2=DER:" TEMPLATE_NAME_DER, NULL };
  g_autoptr(GBytes) expected = NULL;
  g_autoptr(CradleCsrBuilder) builder = new_builder (rsa_key);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) info = NULL;
  g_autoptr(GBytes) request = NULL;

  if (!have_openssl ())
    return;
  expected = openssl_req (rsa_key, "sha256", config, "DER", args);

  /* A printable password is a PrintableString, as openssl writes it with string_mask = default. */
  g_assert_true (cradle_csr_builder_set_subject (builder, "C=DE", &error));
  g_assert_no_error (error);
  cradle_csr_builder_add_template_name (builder, "User");
  cradle_csr_builder_set_challenge_password (builder, "first, replaced");
  cradle_csr_builder_set_challenge_password (builder, "s3cret (pass)");
  info = encode (builder);
  request = sign_and_assemble (rsa_key, "sha256", info);
  assert_bytes_equal (request, expected);

  /* Others are UTF8Strings; and the attribute sits beside the extensions. */
  {
    g_autoptr(GBytes) utf8_info = NULL;
    g_autoptr(GBytes) utf8_request = NULL;
    g_autoptr(X509_REQ) parsed = NULL;
    g_autoptr(X509_EXTENSIONS) extensions = NULL;
    X509_ATTRIBUTE *attribute;
    ASN1_TYPE *value;
    g_autofree char *text = NULL;

    cradle_csr_builder_set_challenge_password (builder, "pässwörd_!");
    utf8_info = encode (builder);
    utf8_request = sign_and_assemble (rsa_key, "sha256", utf8_info);
    parsed = parse_request (utf8_request);
    g_assert_cmpint (X509_REQ_get_attr_count (parsed), ==, 2);
    attribute = X509_REQ_get_attr (parsed, X509_REQ_get_attr_by_NID (parsed, NID_pkcs9_challengePassword, -1));
    g_assert_nonnull (attribute);
    g_assert_cmpint (X509_ATTRIBUTE_count (attribute), ==, 1);
    value = X509_ATTRIBUTE_get0_type (attribute, 0);
    g_assert_cmpint (value->type, ==, V_ASN1_UTF8STRING);
    text = string_to_utf8 (value->value.utf8string);
    g_assert_cmpstr (text, ==, "pässwörd_!");
    extensions = X509_REQ_get_extensions (parsed);
    g_assert_cmpint (sk_X509_EXTENSION_num (extensions), ==, 1);
  }

  /* PKCS#9 allows 255 characters. */
  {
    g_autofree char *longest = g_strnfill (255, 'x');
    g_autofree char *too_long = g_strnfill (256, 'x');
    g_autoptr(GBytes) longest_info = NULL;

    cradle_csr_builder_set_challenge_password (builder, longest);
    longest_info = encode (builder);
    cradle_csr_builder_set_challenge_password (builder, too_long);
    g_assert_null (cradle_csr_builder_encode_request_info (builder, &error));
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
    g_assert_null (strstr (error->message, "xxx"));
    g_clear_error (&error);
  }

  /* None again. */
  {
    g_autoptr(GBytes) without = NULL;
    g_autoptr(GBytes) expected_without = NULL;
    g_autoptr(CradleCsrBuilder) plain = new_builder (rsa_key);

    cradle_csr_builder_set_challenge_password (builder, NULL);
    without = encode (builder);
    g_assert_true (cradle_csr_builder_set_subject (plain, "C=DE", &error));
    cradle_csr_builder_add_template_name (plain, "User");
    cradle_csr_builder_set_challenge_password (plain, "");
    expected_without = encode (plain);
    assert_bytes_equal (without, expected_without);
  }
}

static void
test_csr_pem_format (void)
{
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr(GBytes) small = g_bytes_new_static ("\x30\x00", 2);
  g_autofree char *empty_pem = cradle_csr_to_pem (empty);
  g_autofree char *small_pem = cradle_csr_to_pem (small);
  g_autofree guint8 *long_data = g_malloc0 (48);
  g_autoptr(GBytes) exactly_one_line = g_bytes_new (long_data, 48);
  g_autofree char *one_line_pem = cradle_csr_to_pem (exactly_one_line);

  g_assert_cmpstr (empty_pem, ==, "-----BEGIN CERTIFICATE REQUEST-----\n-----END CERTIFICATE REQUEST-----\n");
  g_assert_cmpstr (small_pem, ==, "-----BEGIN CERTIFICATE REQUEST-----\nMAA=\n-----END CERTIFICATE REQUEST-----\n");
  g_assert_cmpstr (one_line_pem, ==,
                   "-----BEGIN CERTIFICATE REQUEST-----\n"
                   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
                   "-----END CERTIFICATE REQUEST-----\n");
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  csr_test_keys_init ();

  g_test_add_func ("/csr/rsa/matches-openssl", test_csr_rsa_matches_openssl);
  g_test_add_func ("/csr/rsa/pem-matches-openssl", test_csr_pem_matches_openssl);
  g_test_add_func ("/csr/ec/matches-openssl", test_csr_ec_matches_openssl);
  g_test_add_func ("/csr/parse-back", test_csr_parse_back);
  g_test_add_func ("/csr/template-oid/versions", test_csr_template_oid_versions);
  g_test_add_func ("/csr/subject/empty", test_csr_empty_subject);
  g_test_add_func ("/csr/subject/escapes", test_csr_subject_escapes);
  g_test_add_func ("/csr/subject/invalid", test_csr_subject_invalid);
  g_test_add_func ("/csr/subject/common-name", test_csr_subject_common_name);
  g_test_add_func ("/csr/challenge-password", test_csr_challenge_password);
  g_test_add_func ("/csr/pem/format", test_csr_pem_format);

  status = g_test_run ();
  csr_test_keys_free ();
  return status;
}
