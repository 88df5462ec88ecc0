/* csr-test-support.c: the pretend device and the openssl peer the CSR tests share */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/core_names.h>

#include "csr-test-support.h"

/* The pretend device's keys, made once. */
EVP_PKEY *rsa_key;
EVP_PKEY *ec_key;

/* What openssl needs to run without the system's openssl.cnf. */
const char minimal_config[] =
  "[req]\n"
  "distinguished_name = dn\n"
  "[dn]\n";

GBytes *
bytes_from_hex (const char *hex)
{
  gsize length = strlen (hex);
  GByteArray *bytes = g_byte_array_sized_new (length / 2);

  g_assert_cmpuint (length % 2, ==, 0);
  for (gsize i = 0; i < length; i += 2)
    {
      guint8 byte = (guint8) (g_ascii_xdigit_value (hex[i]) << 4 | g_ascii_xdigit_value (hex[i + 1]));

      g_byte_array_append (bytes, &byte, 1);
    }
  return g_byte_array_free_to_bytes (bytes);
}

GBytes *
spki_of (EVP_PKEY *key)
{
  unsigned char *der = NULL;
  int size = i2d_PUBKEY (key, &der);
  GBytes *bytes;

  g_assert_cmpint (size, >, 0);
  bytes = g_bytes_new (der, size);
  OPENSSL_free (der);
  return bytes;
}

const char *
algorithm_name (EVP_PKEY   *key,
                const char *digest)
{
  gboolean rsa = EVP_PKEY_get_base_id (key) == EVP_PKEY_RSA;

  if (g_str_equal (digest, "sha256"))
    return rsa ? "sha256WithRSAEncryption" : "ecdsa-with-SHA256";
  if (g_str_equal (digest, "sha384"))
    return rsa ? "sha384WithRSAEncryption" : "ecdsa-with-SHA384";
  g_assert_cmpstr (digest, ==, "sha512");
  return rsa ? "sha512WithRSAEncryption" : "ecdsa-with-SHA512";
}

/* What the device does on SIGN, purpose 1. */
GBytes *
device_sign (EVP_PKEY   *key,
             const char *digest,
             GBytes     *data)
{
  g_autoptr(EVP_MD_CTX) context = EVP_MD_CTX_new ();
  g_autofree guint8 *signature = NULL;
  gsize data_size;
  const guint8 *bytes = g_bytes_get_data (data, &data_size);
  size_t size = 0;

  g_assert_cmpint (EVP_DigestSignInit_ex (context, NULL, digest, NULL, NULL, key, NULL), ==, 1);
  g_assert_cmpint (EVP_DigestSign (context, NULL, &size, bytes, data_size), ==, 1);
  signature = g_malloc (size);
  g_assert_cmpint (EVP_DigestSign (context, signature, &size, bytes, data_size), ==, 1);
  return g_bytes_new_take (g_steal_pointer (&signature), size);
}

/* The CertificationRequestInfo inside a DER request, as it is there. */
GBytes *
request_info_of (GBytes *request)
{
  gsize size;
  const unsigned char *start = g_bytes_get_data (request, &size);
  const unsigned char *p = start;
  const unsigned char *info;
  long length = 0;
  int tag;
  int class;

  g_assert_cmpint (ASN1_get_object (&p, &length, &tag, &class, (long) size), ==, V_ASN1_CONSTRUCTED);
  info = p;
  g_assert_cmpint (ASN1_get_object (&p, &length, &tag, &class, (long) (size - (p - start))), ==,
                   V_ASN1_CONSTRUCTED);
  g_assert_cmpint (tag, ==, V_ASN1_SEQUENCE);
  return g_bytes_new (info, (p - info) + length);
}

void
write_file (const char *path,
            const char *contents)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

/* Runs `openssl req -new` for @key in a scratch folder and returns what it
 * wrote (DER or PEM, per @outform). @args follow the fixed ones. */
GBytes *
openssl_req (EVP_PKEY          *key,
             const char        *digest,
             const char        *config,
             const char        *outform,
             const char *const *args)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = g_dir_make_tmp ("cradle-test-csr-XXXXXX", &error);
  g_autofree char *key_path = NULL;
  g_autofree char *config_path = NULL;
  g_autofree char *out_path = NULL;
  g_autofree char *digest_option = g_strdup_printf ("-%s", digest);
  g_autofree char *standard_error = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(BIO) bio = NULL;
  gsize size = 0;
  int status = 0;

  g_assert_no_error (error);
  key_path = g_build_filename (folder, "key.pem", NULL);
  config_path = g_build_filename (folder, "req.cnf", NULL);
  out_path = g_build_filename (folder, "req.out", NULL);

  bio = BIO_new_file (key_path, "w");
  g_assert_nonnull (bio);
  g_assert_cmpint (PEM_write_bio_PrivateKey (bio, key, NULL, NULL, 0, NULL, NULL), ==, 1);
  g_clear_pointer (&bio, BIO_free_all);
  write_file (config_path, config);

  for (const char *const *fixed = (const char *const[]) { "openssl", "req", "-new", "-key", key_path,
                                                          "-config", config_path, digest_option,
                                                          "-outform", outform, "-out", out_path, NULL };
       *fixed != NULL; fixed++)
    g_ptr_array_add (argv, (gpointer) *fixed);
  for (; args != NULL && *args != NULL; args++)
    g_ptr_array_add (argv, (gpointer) *args);
  g_ptr_array_add (argv, NULL);

  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                NULL, NULL, NULL, &standard_error, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_test_message ("openssl req said: %s", standard_error);
  g_assert_no_error (error);
  g_file_get_contents (out_path, &contents, &size, &error);
  g_assert_no_error (error);

  g_assert_cmpint (g_remove (key_path), ==, 0);
  g_assert_cmpint (g_remove (config_path), ==, 0);
  g_assert_cmpint (g_remove (out_path), ==, 0);
  g_assert_cmpint (g_rmdir (folder), ==, 0);
  return g_bytes_new_take (g_steal_pointer (&contents), size);
}

/* The comparisons need the openssl command; without it they say so
 * plainly rather than crash. */
gboolean
have_openssl (void)
{
  g_autofree char *path = g_find_program_in_path ("openssl");

  if (path == NULL)
    g_test_skip ("The openssl command is not installed; install the openssl package to compare with it");
  return path != NULL;
}

void
assert_bytes_equal (GBytes *actual,
                    GBytes *expected)
{
  gsize actual_size;
  gsize expected_size;
  const guint8 *a = g_bytes_get_data (actual, &actual_size);
  const guint8 *e = g_bytes_get_data (expected, &expected_size);

  g_assert_cmpmem (a, actual_size, e, expected_size);
}

CradleCsrBuilder *
new_builder (EVP_PKEY *key)
{
  g_autoptr(CradleCsrBuilder) builder = cradle_csr_builder_new ();
  g_autoptr(GBytes) spki = spki_of (key);
  g_autoptr(GError) error = NULL;

  g_assert_true (cradle_csr_builder_set_public_key (builder, spki, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&builder);
}

/* Everything a User-like template asks for; full_request_args says the same to openssl. */
CradleCsrBuilder *
new_full_builder (EVP_PKEY *key)
{
  g_autoptr(CradleCsrBuilder) builder = new_builder (key);
  g_autoptr(GError) error = NULL;

  g_assert_true (cradle_csr_builder_set_subject (builder, "CN=alice,OU=Devices,DC=corp,DC=example", &error));
  g_assert_no_error (error);
  cradle_csr_builder_add_template_name (builder, "User");
  g_assert_true (cradle_csr_builder_add_template_oid (builder, TEMPLATE_OID, 100, 4, &error));
  g_assert_no_error (error);
  cradle_csr_builder_add_extended_key_usage (builder, "1.3.6.1.5.5.7.3.2");
  cradle_csr_builder_add_extended_key_usage (builder, "1.3.6.1.4.1.311.20.2.2");
  cradle_csr_builder_add_extended_key_usage (builder, "1.3.6.1.5.5.7.3.4");
  cradle_csr_builder_add_extended_key_usage (builder, "1.3.6.1.5.5.7.3.2");
  cradle_csr_builder_set_key_usage (builder,
                                    CRADLE_CSR_KEY_USAGE_DIGITAL_SIGNATURE | CRADLE_CSR_KEY_USAGE_KEY_ENCIPHERMENT,
                                    TRUE);
  cradle_csr_builder_add_san_upn (builder, "alice@corp.example");
  cradle_csr_builder_add_san_email (builder, "alice@corp.example");
  cradle_csr_builder_add_san_dns (builder, "host.corp.example");
  return g_steal_pointer (&builder);
}

const char *const full_request_args[] = {
  "-subj", "/DC=example/DC=corp/OU=Devices/CN=alice",
  "-addext", "1.3.6.1.4.1.311.20.2=DER:" TEMPLATE_NAME_DER,
  "-addext", "1.3.6.1.4.1.311.21.7=DER:" TEMPLATE_OID_DER,
  "-addext", "extendedKeyUsage=1.3.6.1.5.5.7.3.2,1.3.6.1.4.1.311.20.2.2,1.3.6.1.5.5.7.3.4",
  "-addext", "keyUsage=critical,digitalSignature,keyEncipherment",
  "-addext", "subjectAltName=otherName:1.3.6.1.4.1.311.20.2.3;UTF8:alice@corp.example,"
             "email:alice@corp.example,DNS:host.corp.example",
  NULL
};

GBytes *
encode (CradleCsrBuilder *builder)
{
  g_autoptr(GError) error = NULL;
  GBytes *info = cradle_csr_builder_encode_request_info (builder, &error);

  g_assert_no_error (error);
  g_assert_nonnull (info);
  return info;
}

GBytes *
sign_and_assemble (EVP_PKEY   *key,
                   const char *digest,
                   GBytes     *info)
{
  g_autoptr(GBytes) signature = device_sign (key, digest, info);
  g_autoptr(GError) error = NULL;
  GBytes *request = cradle_csr_assemble (info, algorithm_name (key, digest), signature, &error);

  g_assert_no_error (error);
  g_assert_nonnull (request);
  return request;
}

X509_REQ *
parse_request (GBytes *request)
{
  const unsigned char *p = g_bytes_get_data (request, NULL);
  X509_REQ *parsed = d2i_X509_REQ (NULL, &p, (long) g_bytes_get_size (request));

  g_assert_nonnull (parsed);
  g_assert_true (p == (const unsigned char *) g_bytes_get_data (request, NULL) + g_bytes_get_size (request));
  return parsed;
}

void
csr_test_keys_init (void)
{
  rsa_key = EVP_PKEY_Q_keygen (NULL, NULL, "RSA", (size_t) 2048);
  ec_key = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");
  g_assert_nonnull (rsa_key);
  g_assert_nonnull (ec_key);
}

void
csr_test_keys_free (void)
{
  g_clear_pointer (&rsa_key, EVP_PKEY_free);
  g_clear_pointer (&ec_key, EVP_PKEY_free);
}
