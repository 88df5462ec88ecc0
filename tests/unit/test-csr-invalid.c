/* test-csr-invalid.c: what the CSR code refuses: device public keys,
 * signatures and request infos that are wrong, and extensions it cannot encode */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/core_names.h>

#include "csr-test-support.h"

static void
assert_public_key_rejected (GBytes   *spki,
                            gint      code,
                            gboolean  show)
{
  g_autoptr(CradleCsrBuilder) builder = cradle_csr_builder_new ();
  g_autoptr(GError) error = NULL;

  g_assert_false (cradle_csr_builder_set_public_key (builder, spki, &error));
  g_assert_error (error, CRADLE_ERROR, code);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  if (show)
    g_test_message ("%s", error->message);
  g_assert_null (cradle_csr_builder_encode_request_info (builder, NULL));
}

static void
test_csr_public_key_invalid (void)
{
  g_autoptr(GBytes) rsa_spki = spki_of (rsa_key);
  g_autoptr(GBytes) ec_spki = spki_of (ec_key);
  gsize size;
  const guint8 *data = g_bytes_get_data (ec_spki, &size);

  /* Every truncation, each an exact-size copy, and one byte too many. */
  for (gsize length = 0; length < size; length++)
    {
      g_autoptr(GBytes) prefix = g_bytes_new (data, length);

      assert_public_key_rejected (prefix, CRADLE_ERROR_INVALID_DATA, length == 0 || length == size - 1);
    }
  {
    g_autofree guint8 *longer = g_malloc (size + 1);
    g_autoptr(GBytes) trailing = NULL;

    memcpy (longer, data, size);
    longer[size] = 0;
    trailing = g_bytes_new (longer, size + 1);
    assert_public_key_rejected (trailing, CRADLE_ERROR_INVALID_DATA, TRUE);
  }
  {
    g_autoptr(GBytes) garbage = g_bytes_new_static ("not a key at all", 16);

    assert_public_key_rejected (garbage, CRADLE_ERROR_INVALID_DATA, TRUE);
  }
  /* A point that is not on the curve. */
  {
    g_autofree guint8 *copy = g_memdup2 (data, size);
    g_autoptr(GBytes) off_curve = NULL;

    copy[size - 1] ^= 0x01;
    off_curve = g_bytes_new (copy, size);
    assert_public_key_rejected (off_curve, CRADLE_ERROR_INVALID_DATA, TRUE);
  }
  /* BER, not DER: the BIT STRING's length in long form. */
  {
    g_autoptr(GByteArray) ber = g_byte_array_new ();
    guint8 header[] = { 0x30, (guint8) (size - 2 + 1) };

    g_assert_cmphex (data[1], ==, size - 2);
    g_assert_cmphex (data[2 + 21], ==, 0x03);
    g_byte_array_append (ber, header, sizeof header);
    g_byte_array_append (ber, data + 2, 21);
    g_byte_array_append (ber, (const guint8 *) "\x03\x81", 2);
    g_byte_array_append (ber, data + 2 + 21 + 1, size - 2 - 21 - 1);
    {
      g_autoptr(GBytes) bytes = g_byte_array_free_to_bytes (g_steal_pointer (&ber));

      assert_public_key_rejected (bytes, CRADLE_ERROR_INVALID_DATA, TRUE);
    }
  }
  /* Explicit curve parameters instead of the curve's name. */
  {
    g_autoptr(EVP_PKEY) explicit = EVP_PKEY_dup (ec_key);
    g_autoptr(GBytes) spki = NULL;

    g_assert_cmpint (EVP_PKEY_set_utf8_string_param (explicit, OSSL_PKEY_PARAM_EC_ENCODING,
                                                     OSSL_PKEY_EC_ENCODING_EXPLICIT), ==, 1);
    spki = spki_of (explicit);
    g_assert_cmpuint (g_bytes_get_size (spki), >, size);
    assert_public_key_rejected (spki, CRADLE_ERROR_NOT_SUPPORTED, TRUE);
  }
  /* Kinds of key a CA will not certify here. */
  {
    const char *types[] = { "ED25519", "X25519" };

    for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
      {
        g_autoptr(EVP_PKEY) key = EVP_PKEY_Q_keygen (NULL, NULL, types[i]);
        g_autoptr(GBytes) spki = spki_of (key);

        assert_public_key_rejected (spki, CRADLE_ERROR_NOT_SUPPORTED, TRUE);
      }
  }
  {
    g_autoptr(EVP_PKEY) small = EVP_PKEY_Q_keygen (NULL, NULL, "RSA", (size_t) 512);
    g_autoptr(GBytes) spki = spki_of (small);

    assert_public_key_rejected (spki, CRADLE_ERROR_NOT_SUPPORTED, TRUE);
  }
  /* An algorithm OpenSSL does not know: 1.2.3.4 */
  {
    g_autoptr(GBytes) unknown = bytes_from_hex ("300d300506032a0304030400010203");

    assert_public_key_rejected (unknown, CRADLE_ERROR_NOT_SUPPORTED, TRUE);
  }
  /* The good ones still pass. */
  {
    g_autoptr(CradleCsrBuilder) builder = cradle_csr_builder_new ();
    g_autoptr(GError) error = NULL;

    g_assert_true (cradle_csr_builder_set_public_key (builder, rsa_spki, &error));
    g_assert_no_error (error);
    g_assert_true (cradle_csr_builder_set_public_key (builder, ec_spki, &error));
    g_assert_no_error (error);
  }
}

static void
assert_assemble_fails (GBytes     *info,
                       const char *algorithm,
                       GBytes     *signature,
                       gint        code,
                       const char *message_start)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) request = cradle_csr_assemble (info, algorithm, signature, &error);

  g_assert_null (request);
  g_assert_error (error, CRADLE_ERROR, code);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  if (g_test_verbose ())
    g_test_message ("%s", error->message);
  if (message_start != NULL)
    g_assert_true (g_str_has_prefix (error->message, message_start));
}

#define DOES_NOT_VERIFY "The device's signature on the certificate request does not verify"

static void
test_csr_wrong_signature (void)
{
  g_autoptr(EVP_PKEY) other_ec = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");
  g_autoptr(CradleCsrBuilder) builder = new_full_builder (rsa_key);
  g_autoptr(GBytes) rsa_info = encode (builder);
  g_autoptr(CradleCsrBuilder) ec_builder = new_full_builder (ec_key);
  g_autoptr(GBytes) ec_info = encode (ec_builder);
  g_autoptr(GBytes) rsa_signature = device_sign (rsa_key, "sha256", rsa_info);

  /* Another key. */
  {
    g_autoptr(GBytes) signature = device_sign (other_ec, "sha256", ec_info);

    assert_assemble_fails (ec_info, "ecdsa-with-SHA256", signature, CRADLE_ERROR_INVALID_DATA, DOES_NOT_VERIFY);
  }
  /* Other bytes. */
  {
    g_autoptr(GBytes) signature = device_sign (ec_key, "sha256", rsa_info);

    assert_assemble_fails (ec_info, "ecdsa-with-SHA256", signature, CRADLE_ERROR_INVALID_DATA, DOES_NOT_VERIFY);
  }
  /* One bit changed. */
  {
    g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (rsa_signature, NULL), g_bytes_get_size (rsa_signature));
    g_autoptr(GBytes) signature = NULL;

    copy[g_bytes_get_size (rsa_signature) / 2] ^= 0x10;
    signature = g_bytes_new (copy, g_bytes_get_size (rsa_signature));
    assert_assemble_fails (rsa_info, "sha256WithRSAEncryption", signature, CRADLE_ERROR_INVALID_DATA,
                           DOES_NOT_VERIFY);
  }
  /* Another digest than the one named. */
  assert_assemble_fails (rsa_info, "sha384WithRSAEncryption", rsa_signature, CRADLE_ERROR_INVALID_DATA,
                         DOES_NOT_VERIFY);
  /* A signature of the wrong length, and none at all. */
  {
    g_autoptr(GBytes) short_signature = g_bytes_new_from_bytes (rsa_signature, 0, 255);
    g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);

    assert_assemble_fails (rsa_info, "sha256WithRSAEncryption", short_signature, CRADLE_ERROR_INVALID_DATA,
                           DOES_NOT_VERIFY);
    assert_assemble_fails (rsa_info, "sha256WithRSAEncryption", empty, CRADLE_ERROR_INVALID_DATA, NULL);
  }
  /* The right signature still passes. */
  {
    g_autoptr(GBytes) request = sign_and_assemble (rsa_key, "sha256", rsa_info);

    g_assert_nonnull (request);
  }
}

static void
test_csr_unknown_algorithm (void)
{
  g_autoptr(CradleCsrBuilder) builder = new_builder (rsa_key);
  g_autoptr(GBytes) info = encode (builder);
  g_autoptr(GBytes) signature = device_sign (rsa_key, "sha256", info);
  const char *unknown[] = { "sha1WithRSAEncryption", "md5WithRSAEncryption", "SHA256WITHRSAENCRYPTION",
                            "sha256", "RSA-SHA256", "rsassaPss", "ecdsa-with-SHA1", "", "sha256WithRSAEncryption ",
                            "sha256WithRSA\nEncryption", "\xff\xfe" };

  for (gsize i = 0; i < G_N_ELEMENTS (unknown); i++)
    assert_assemble_fails (info, unknown[i], signature, CRADLE_ERROR_NOT_SUPPORTED, NULL);
  /* Known, but for the other kind of key. */
  assert_assemble_fails (info, "ecdsa-with-SHA256", signature, CRADLE_ERROR_INVALID_DATA, NULL);
}

static void
test_csr_truncated_request_info (void)
{
  g_autoptr(CradleCsrBuilder) builder = new_full_builder (ec_key);
  g_autoptr(GBytes) info = encode (builder);
  g_autoptr(GBytes) signature = device_sign (ec_key, "sha256", info);
  gsize size;
  const guint8 *data = g_bytes_get_data (info, &size);

  for (gsize length = 0; length < size; length++)
    {
      g_autofree guint8 *copy = g_memdup2 (data, length);
      g_autoptr(GBytes) prefix = g_bytes_new_take (g_steal_pointer (&copy), length);

      assert_assemble_fails (prefix, "ecdsa-with-SHA256", signature, CRADLE_ERROR_INVALID_DATA, NULL);
    }
  /* One byte too many, and a whole request where the info belongs. */
  {
    g_autofree guint8 *longer = g_malloc (size + 1);
    g_autoptr(GBytes) trailing = NULL;
    g_autoptr(GBytes) request = sign_and_assemble (ec_key, "sha256", info);

    memcpy (longer, data, size);
    longer[size] = 0;
    trailing = g_bytes_new_take (g_steal_pointer (&longer), size + 1);
    assert_assemble_fails (trailing, "ecdsa-with-SHA256", signature, CRADLE_ERROR_INVALID_DATA, NULL);
    assert_assemble_fails (request, "ecdsa-with-SHA256", signature, CRADLE_ERROR_INVALID_DATA, NULL);

    /* The info with a signature algorithm and signature of its own after it. */
    {
      gsize request_size;
      const guint8 *request_data = g_bytes_get_data (request, &request_size);
      g_autoptr(GByteArray) smuggled = g_byte_array_new ();
      g_autoptr(GBytes) smuggled_info = NULL;
      gsize header = request_data[1] & 0x80 ? 2 + (request_data[1] & 0x7f) : 2;

      g_byte_array_append (smuggled, request_data + header, request_size - header);
      smuggled_info = g_byte_array_free_to_bytes (g_steal_pointer (&smuggled));
      assert_assemble_fails (smuggled_info, "ecdsa-with-SHA256", signature, CRADLE_ERROR_INVALID_DATA, NULL);
    }
  }
}

/* OpenSSL drops trailing zero bytes from a BIT STRING unless told the
 * unused-bit count; a signature ending in 00 must survive whole. */
static void
test_csr_signature_trailing_zero (void)
{
  g_autoptr(CradleCsrBuilder) builder = new_builder (ec_key);
  g_autoptr(GBytes) info = encode (builder);

  for (guint attempt = 0; attempt < 8192; attempt++)
    {
      g_autoptr(GBytes) signature = device_sign (ec_key, "sha256", info);
      gsize size;
      const guint8 *data = g_bytes_get_data (signature, &size);
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) request = NULL;
      g_autoptr(X509_REQ) parsed = NULL;
      const ASN1_BIT_STRING *bits = NULL;

      if (data[size - 1] != 0)
        continue;
      request = cradle_csr_assemble (info, "ecdsa-with-SHA256", signature, &error);
      g_assert_no_error (error);
      parsed = parse_request (request);
      X509_REQ_get0_signature (parsed, &bits, NULL);
      g_assert_cmpmem (ASN1_STRING_get0_data (bits), ASN1_STRING_length (bits), data, size);
      return;
    }
  g_test_skip ("No ECDSA signature ended in a zero byte");
}

static void
assert_encode_fails (CradleCsrBuilder *builder,
                     gint              code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) info = cradle_csr_builder_encode_request_info (builder, &error);

  g_assert_null (info);
  g_assert_error (error, CRADLE_ERROR, code);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_test_message ("%s", error->message);
}

static void
test_csr_extensions_invalid (void)
{
  {
    g_autoptr(CradleCsrBuilder) builder = cradle_csr_builder_new ();

    assert_encode_fails (builder, CRADLE_ERROR_FAILED);
  }
  {
    g_autoptr(CradleCsrBuilder) builder = new_builder (ec_key);

    cradle_csr_builder_add_extended_key_usage (builder, "1.3.6.1.5.5.7.3.2");
    cradle_csr_builder_add_extended_key_usage (builder, "clientAuth");
    assert_encode_fails (builder, CRADLE_ERROR_INVALID_DATA);
  }
  {
    g_autoptr(CradleCsrBuilder) builder = new_builder (ec_key);

    cradle_csr_builder_set_key_usage (builder, 0x0180, FALSE);
    assert_encode_fails (builder, CRADLE_ERROR_INVALID_DATA);
    cradle_csr_builder_set_key_usage (builder, 0, FALSE);
    g_bytes_unref (encode (builder));
  }
  {
    const struct {
      CradleCsrSanKind kind;
      const char      *value;
    } bad[] = {
      { CRADLE_CSR_SAN_DNS, "bücher.example" },
      { CRADLE_CSR_SAN_DNS, "two words.example" },
      { CRADLE_CSR_SAN_DNS, "" },
      { CRADLE_CSR_SAN_EMAIL, "jörg@corp.example" },
      { CRADLE_CSR_SAN_EMAIL, "a\tb@corp.example" },
      { CRADLE_CSR_SAN_UPN, "" },
      { CRADLE_CSR_SAN_UPN, "\xc3@corp.example" },
    };

    for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr(CradleCsrBuilder) builder = new_builder (ec_key);

        if (bad[i].kind == CRADLE_CSR_SAN_DNS)
          cradle_csr_builder_add_san_dns (builder, bad[i].value);
        else if (bad[i].kind == CRADLE_CSR_SAN_EMAIL)
          cradle_csr_builder_add_san_email (builder, bad[i].value);
        else
          cradle_csr_builder_add_san_upn (builder, bad[i].value);
        assert_encode_fails (builder, CRADLE_ERROR_INVALID_DATA);
      }
  }
  /* A template name outside the BMP, and an empty one. */
  {
    const char *bad[] = { "User\xf0\x9f\x98\x80", "", "\xc3" };

    for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autoptr(CradleCsrBuilder) builder = new_builder (ec_key);

        cradle_csr_builder_add_template_name (builder, bad[i]);
        assert_encode_fails (builder, CRADLE_ERROR_INVALID_DATA);
      }
  }
  /* A UPN in any script is fine: it is a UTF8String. */
  {
    g_autoptr(CradleCsrBuilder) builder = new_builder (ec_key);

    cradle_csr_builder_add_san_upn (builder, "jörg@corp.example");
    cradle_csr_builder_add_template_name (builder, "Benutzer-Übung");
    g_bytes_unref (encode (builder));
  }
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  csr_test_keys_init ();

  g_test_add_func ("/csr/public-key/invalid", test_csr_public_key_invalid);
  g_test_add_func ("/csr/assemble/wrong-signature", test_csr_wrong_signature);
  g_test_add_func ("/csr/assemble/unknown-algorithm", test_csr_unknown_algorithm);
  g_test_add_func ("/csr/assemble/truncated-request-info", test_csr_truncated_request_info);
  g_test_add_func ("/csr/assemble/signature-trailing-zero", test_csr_signature_trailing_zero);
  g_test_add_func ("/csr/extensions/invalid", test_csr_extensions_invalid);

  status = g_test_run ();
  csr_test_keys_free ();
  return status;
}
