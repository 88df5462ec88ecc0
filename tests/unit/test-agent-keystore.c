/* test-agent-keystore.c: the device agent's keys: generation, KEK, signing, request checks */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <glib/gstdio.h>
#include <openssl/core_names.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <cradle/cradle.h>

#include "agent/cradle-agent-atomic-private.h"
#include "agent/cradle-agent-keystore-private.h"
#include "agent/cradle-agent-store-file-private.h"
#include "agent/cradle-agent-request-info-private.h"
#include "agent/cradle-agent-rsa-keygen-private.h"

#include "keystore-test-support.h"

static void
check_generated_key (Fixture    *f,
                     const char *key_type)
{
  g_autoptr(CradleAgentKeystore) keystore = ks_open_keystore (f->folder, FALSE);
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) again = NULL;
  g_autoptr(EVP_PKEY) pkey = NULL;
  g_autoptr(GBytes) file = NULL;
  g_autoptr(GBytes) data = g_bytes_new_static ("to be signed", 12);
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(CradleAgentSecret) pkcs8 = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *algorithm = NULL;

  ks_generate (keystore, key_type, &key_id, &spki);
  g_assert_cmpuint (g_bytes_get_size (key_id), ==, CRADLE_AGENT_KEY_ID_SIZE);

  pkey = ks_parse_spki (spki);
  if (g_str_has_prefix (key_type, "rsa"))
    {
      BIGNUM *e = NULL;

      g_assert_true (EVP_PKEY_is_a (pkey, "RSA"));
      g_assert_cmpint (EVP_PKEY_get_bits (pkey), ==, (int) g_ascii_strtoull (key_type + 3, NULL, 10));
      g_assert_true (EVP_PKEY_get_bn_param (pkey, "e", &e));
      g_assert_true (BN_is_word (e, 65537));
      BN_free (e);
    }
  else
    {
      g_assert_true (EVP_PKEY_is_a (pkey, "EC"));
      g_assert_cmpint (EVP_PKEY_get_bits (pkey), ==, g_str_equal (key_type, "p256") ? 256 : 384);
    }

  g_assert_true (cradle_agent_keystore_has_key (keystore, key_id));
  g_assert_true (cradle_agent_keystore_is_pending (keystore, key_id));
  again = cradle_agent_keystore_dup_public_key (keystore, key_id, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (again, spki));

  /* The private key works... */
  signature = ks_sign (keystore, key_id, "sha256", data, &algorithm);
  g_assert_true (ks_verify (spki, "sha256", data, signature));

  /* ...and is not in its file in clear: no 32-byte window of its PKCS#8,
   * except the public parts (an RSA modulus, an EC point) kept in the SPKI. */
  path = cradle_agent_keystore_key_path (keystore, key_id);
  g_assert_cmpuint (ks_file_mode (path), ==, 0600);
  file = ks_read_file (path);
  pkcs8 = cradle_agent_keystore_decrypt_key (keystore, key_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pkcs8->size, >, 32);
  for (gsize i = 0; i + 32 <= pkcs8->size; i++)
    if (!ks_contains (spki, pkcs8->data + i, 32))
      g_assert_false (ks_contains (file, pkcs8->data + i, 32));
  {
    g_autoptr(EVP_PKEY) private_key = cradle_agent_crypto_private_parse (pkcs8, &error);

    g_assert_no_error (error);
    g_assert_cmpint (EVP_PKEY_eq (private_key, pkey), ==, 1);
  }
}

static void
test_generate_each_type (Fixture       *f,
                         gconstpointer  data)
{
  const char * const *types = cradle_agent_keystore_key_types ();

  g_assert_cmpuint (g_strv_length ((char **) types), ==, 5);
  for (guint i = 0; types[i] != NULL; i++)
    {
      g_test_message ("key type %s", types[i]);
      check_generated_key (f, types[i]);
    }
}

static BIGNUM *
rsa_number (EVP_PKEY   *pkey,
            const char *name)
{
  BIGNUM *number = NULL;

  g_assert_cmpint (EVP_PKEY_get_bn_param (pkey, name, &number), ==, 1);
  return number;
}

/* The device's RSA keys (random probable primes, not OpenSSL 3's FIPS
 * method): OpenSSL's full check passes (p and q prime, n = pq, d and the
 * CRT values right), with FIPS 186-4's size and distance conditions. */
static void
test_generate_rsa_method (void)
{
  g_autoptr(GHashTable) moduli = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const int sizes[] = { 2048, 2048, 2048, 2048, 3072 };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      int bits = sizes[i];
      g_autoptr(EVP_PKEY) pkey = cradle_agent_rsa_generate (bits);
      g_autoptr(EVP_PKEY_CTX) check = NULL;
      g_autoptr(BIGNUM) n = NULL;
      g_autoptr(BIGNUM) e = NULL;
      g_autoptr(BIGNUM) d = NULL;
      g_autoptr(BIGNUM) p = NULL;
      g_autoptr(BIGNUM) q = NULL;
      g_autoptr(BIGNUM) difference = BN_new ();
      char *hex;

      g_assert_nonnull (pkey);
      g_assert_true (EVP_PKEY_is_a (pkey, "RSA"));
      check = EVP_PKEY_CTX_new_from_pkey (NULL, pkey, NULL);
      g_assert_cmpint (EVP_PKEY_check (check), ==, 1);

      n = rsa_number (pkey, OSSL_PKEY_PARAM_RSA_N);
      e = rsa_number (pkey, OSSL_PKEY_PARAM_RSA_E);
      d = rsa_number (pkey, OSSL_PKEY_PARAM_RSA_D);
      p = rsa_number (pkey, OSSL_PKEY_PARAM_RSA_FACTOR1);
      q = rsa_number (pkey, OSSL_PKEY_PARAM_RSA_FACTOR2);
      g_assert_cmpint (BN_num_bits (n), ==, bits);
      g_assert_cmpuint (BN_get_word (e), ==, 65537);
      g_assert_cmpint (BN_num_bits (p), ==, bits / 2);
      g_assert_cmpint (BN_num_bits (q), ==, bits / 2);
      g_assert_cmpint (BN_num_bits (d), >, bits / 2);
      g_assert_cmpint (BN_sub (difference, p, q), ==, 1);
      g_assert_cmpint (BN_num_bits (difference), >, bits / 2 - 100);
      g_assert_cmpuint (BN_mod_word (p, 65537), !=, 1);
      g_assert_cmpuint (BN_mod_word (q, 65537), !=, 1);

      /* Each key is new. */
      hex = BN_bn2hex (n);
      g_assert_true (g_hash_table_add (moduli, g_strdup (hex)));
      OPENSSL_free (hex);
    }
}

static void
test_generate_refusals (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = ks_open_keystore (f->folder, FALSE);
  g_autoptr(GBytes) details = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *big = g_malloc0 (4097);
  g_autoptr(CradleAgentKeyFile) key_file = NULL;
  g_autoptr(GBytes) contents = NULL;
  g_autofree char *path = NULL;

  g_assert_false (cradle_agent_keystore_generate (keystore, "rsa1024", "x", NULL,
                                                  CRADLE_AGENT_ENROLLMENT_REQUEST, ks_host_a (), &key_id, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "p384"));
  g_clear_error (&error);

  details = g_bytes_new (big, 4097);
  g_assert_false (cradle_agent_keystore_generate (keystore, "p256", "x", details,
                                                  CRADLE_AGENT_ENROLLMENT_REQUEST, ks_host_a (), &key_id, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_false (cradle_agent_keystore_generate (keystore, "p256", "\xff\xfe", NULL,
                                                  CRADLE_AGENT_ENROLLMENT_REQUEST, ks_host_a (), &key_id, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  /* An enrollment kind the device does not know; a host id of the wrong size. */
  g_assert_false (cradle_agent_keystore_generate (keystore, "p256", "x", NULL, 3, ks_host_a (), &key_id, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);
  {
    g_autoptr(GBytes) short_host = g_bytes_new_static ("host", 4);

    g_assert_false (cradle_agent_keystore_generate (keystore, "p256", "x", NULL, CRADLE_AGENT_ENROLLMENT_SCEP,
                                                    short_host, &key_id, NULL, &error));
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
    g_clear_error (&error);
  }
  g_assert_null (key_id);

  /* 4 KiB of details is allowed, and kept. */
  g_clear_pointer (&details, g_bytes_unref);
  details = g_bytes_new (big, 4096);
  g_assert_true (cradle_agent_keystore_generate (keystore, "p256", "Profile ✓", details,
                                                  CRADLE_AGENT_ENROLLMENT_REQUEST, ks_host_a (), &key_id, NULL, &error));
  g_assert_no_error (error);
  path = cradle_agent_keystore_key_path (keystore, key_id);
  contents = ks_read_file (path);
  key_file = cradle_agent_key_file_decode (contents, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key_file->profile, ==, "Profile ✓");
  /* Made, for a certification request, by host A. */
  g_assert_cmpint (key_file->state, ==, CRADLE_AGENT_KEY_MADE);
  g_assert_cmpint (key_file->kind, ==, CRADLE_AGENT_ENROLLMENT_REQUEST);
  g_assert_nonnull (key_file->owner);
  g_assert_true (g_bytes_equal (key_file->owner, ks_host_a ()));
  g_assert_cmpuint (key_file->decryptions, ==, 0);
  g_assert_cmpstr (key_file->key_type, ==, "p256");
  g_assert_true (g_bytes_equal (key_file->details, details));
  g_assert_cmpuint (key_file->created, >, 1700000000);
}

static void
test_permissions_and_reopen (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = ks_open_keystore (f->folder, FALSE);
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) kek = NULL;
  g_autoptr(GBytes) kek_again = NULL;
  g_autoptr(GBytes) again = NULL;
  g_autoptr(GBytes) message = g_bytes_new_static ("hello", 5);
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *kek_path = g_build_filename (f->folder, "kek", NULL);
  g_autofree char *keys_path = g_build_filename (f->folder, "keys", NULL);

  ks_generate (keystore, "p256", &key_id, &spki);
  g_assert_cmpuint (ks_file_mode (f->folder), ==, 0700);
  g_assert_cmpuint (ks_file_mode (keys_path), ==, 0700);
  g_assert_cmpuint (ks_file_mode (kek_path), ==, 0600);
  kek = ks_read_file (kek_path);
  g_assert_cmpuint (g_bytes_get_size (kek), ==, 32);

  /* The folder is locked while a keystore has it open. */
  g_assert_null (cradle_agent_keystore_open (f->folder, FALSE, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_BUSY);
  g_clear_error (&error);

  g_clear_object (&keystore);
  keystore = ks_open_keystore (f->folder, FALSE);
  kek_again = ks_read_file (kek_path);
  g_assert_true (g_bytes_equal (kek, kek_again));
  g_assert_true (cradle_agent_keystore_has_key (keystore, key_id));
  g_assert_true (cradle_agent_keystore_is_pending (keystore, key_id));
  again = cradle_agent_keystore_dup_public_key (keystore, key_id, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (again, spki));
  signature = ks_sign (keystore, key_id, "sha384", message, NULL);
  g_assert_true (ks_verify (spki, "sha384", message, signature));
}

/* The KEK apart from the key folder (cradle-agent --kek-file): a copy of the
 * folder alone opens no key. One an older agent left in the folder moves out;
 * a crash halfway through the move, and two different KEKs, are handled. */
static void
test_kek_apart (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *secrets = g_build_filename (f->root, "secrets", NULL);
  g_autofree char *kek_path = g_build_filename (secrets, "kek", NULL);
  g_autofree char *legacy = g_build_filename (f->folder, "kek", NULL);
  g_autoptr(CradleAgentKeystore) keystore = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) kek = NULL;
  g_autoptr(GBytes) message = g_bytes_new_static ("hello", 5);
  g_autoptr(GError) error = NULL;
  const guint8 other[32] = { 1, 2, 3 };

  /* As an older agent: the KEK in the folder. */
  keystore = ks_open_keystore (f->folder, FALSE);
  ks_generate (keystore, "p256", &key_id, &spki);
  g_clear_object (&keystore);
  kek = ks_read_file (legacy);

  /* Opened with its own place: moved there, the same bytes, and the key works. */
  keystore = cradle_agent_keystore_open_full (f->folder, kek_path, FALSE, &error);
  g_assert_no_error (error);
  g_assert_false (g_file_test (legacy, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (ks_file_mode (kek_path), ==, 0600);
  g_assert_cmpuint (ks_file_mode (secrets), ==, 0700);
  {
    g_autoptr(GBytes) moved = ks_read_file (kek_path);
    g_autoptr(GBytes) signature = ks_sign (keystore, key_id, "sha256", message, NULL);

    g_assert_true (g_bytes_equal (moved, kek));
    g_assert_true (ks_verify (spki, "sha256", message, signature));
  }
  g_clear_object (&keystore);

  /* A crash after the copy, before the old one was removed: both the same. */
  ks_write_file (legacy, g_bytes_get_data (kek, NULL), g_bytes_get_size (kek));
  g_assert_cmpint (chmod (legacy, 0600), ==, 0);
  keystore = cradle_agent_keystore_open_full (f->folder, kek_path, FALSE, &error);
  g_assert_no_error (error);
  g_assert_false (g_file_test (legacy, G_FILE_TEST_EXISTS));
  g_clear_object (&keystore);

  /* Two different ones: neither is guessed at, neither is touched. */
  ks_write_file (legacy, other, sizeof other);
  g_assert_cmpint (chmod (legacy, 0600), ==, 0);
  g_assert_null (cradle_agent_keystore_open_full (f->folder, kek_path, FALSE, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_test_message ("%s", error->message);
  g_clear_error (&error);
  g_assert_true (g_file_test (legacy, G_FILE_TEST_EXISTS));
  {
    g_autoptr(GBytes) kept = ks_read_file (kek_path);

    g_assert_true (g_bytes_equal (kept, kek));
  }
  g_assert_cmpint (g_unlink (legacy), ==, 0);

  /* Without its KEK, the folder opens no key: it says where the KEK was looked for. */
  g_assert_cmpint (g_unlink (kek_path), ==, 0);
  g_assert_null (cradle_agent_keystore_open_full (f->folder, kek_path, FALSE, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, kek_path));
  g_assert_nonnull (strstr (error->message, "--kek-file"));
  g_clear_error (&error);

  /* The KEK's folder may not be open to others' changes. */
  ks_write_file (kek_path, g_bytes_get_data (kek, NULL), g_bytes_get_size (kek));
  g_assert_cmpint (chmod (kek_path, 0600), ==, 0);
  g_assert_cmpint (chmod (secrets, 0777), ==, 0);
  g_assert_null (cradle_agent_keystore_open_full (f->folder, kek_path, FALSE, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);
  g_assert_cmpint (chmod (secrets, 0700), ==, 0);
  keystore = cradle_agent_keystore_open_full (f->folder, kek_path, FALSE, &error);
  g_assert_no_error (error);
  g_assert_true (cradle_agent_keystore_is_pending (keystore, key_id));
}

static void
test_kek_refused (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = ks_open_keystore (f->folder, FALSE);
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) kek = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *kek_path = g_build_filename (f->folder, "kek", NULL);
  const guint8 zeros[64] = { 0 };
  const gsize wrong_sizes[] = { 0, 31, 33, 64 };
  const mode_t wrong_modes[] = { 0640, 0604, 0644, 0660 };

  ks_generate (keystore, "p256", &key_id, NULL);
  g_clear_object (&keystore);
  kek = ks_read_file (kek_path);

  for (gsize i = 0; i < G_N_ELEMENTS (wrong_sizes); i++)
    {
      ks_write_file (kek_path, zeros, wrong_sizes[i]);
      g_assert_null (cradle_agent_keystore_open (f->folder, FALSE, &error));
      g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
      g_assert_nonnull (strstr (error->message, kek_path));
      g_test_message ("%s", error->message);
      g_clear_error (&error);
    }

  ks_write_file (kek_path, g_bytes_get_data (kek, NULL), g_bytes_get_size (kek));
  for (gsize i = 0; i < G_N_ELEMENTS (wrong_modes); i++)
    {
      g_assert_cmpint (chmod (kek_path, wrong_modes[i]), ==, 0);
      g_assert_null (cradle_agent_keystore_open (f->folder, FALSE, &error));
      g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
      g_assert_nonnull (strstr (error->message, "chmod 600"));
      g_test_message ("%s", error->message);
      g_clear_error (&error);
    }

  /* A missing KEK is not silently replaced while keys depend on it. */
  g_assert_cmpint (g_unlink (kek_path), ==, 0);
  g_assert_null (cradle_agent_keystore_open (f->folder, FALSE, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Put back, it works again. */
  ks_write_file (kek_path, g_bytes_get_data (kek, NULL), g_bytes_get_size (kek));
  keystore = ks_open_keystore (f->folder, FALSE);
  g_assert_true (cradle_agent_keystore_is_pending (keystore, key_id));
  g_clear_object (&keystore);

  /* A folder open to others is refused. */
  g_assert_cmpint (chmod (f->folder, 0755), ==, 0);
  g_assert_null (cradle_agent_keystore_open (f->folder, FALSE, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_assert_nonnull (strstr (error->message, "chmod 700"));
}

static void
test_sign (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = ks_open_keystore (f->folder, FALSE);
  const char *types[] = { "rsa2048", "p256", "p384" };
  const char *digests[] = { "sha256", "sha384", "sha512" };
  const char *rsa_names[] = { "sha256WithRSAEncryption", "sha384WithRSAEncryption", "sha512WithRSAEncryption" };
  const char *ec_names[] = { "ecdsa-with-SHA256", "ecdsa-with-SHA384", "ecdsa-with-SHA512" };
  const char *bad_digests[] = { "md5", "sha1", "SHA256", "sha224", "", NULL };
  g_autoptr(GBytes) message = g_bytes_new_static ("a CertificationRequestInfo, say", 31);
  g_autoptr(GBytes) other = g_bytes_new_static ("something else", 14);
  g_autoptr(GError) error = NULL;

  for (gsize t = 0; t < G_N_ELEMENTS (types); t++)
    {
      g_autoptr(GBytes) key_id = NULL;
      g_autoptr(GBytes) spki = NULL;

      ks_generate (keystore, types[t], &key_id, &spki);
      for (gsize d = 0; d < G_N_ELEMENTS (digests); d++)
        {
          g_autofree char *algorithm = NULL;
          g_autoptr(GBytes) signature = ks_sign (keystore, key_id, digests[d], message, &algorithm);

          g_assert_cmpstr (algorithm, ==, t == 0 ? rsa_names[d] : ec_names[d]);
          g_assert_true (ks_verify (spki, digests[d], message, signature));
          g_assert_false (ks_verify (spki, digests[d], other, signature));
          if (t == 0)
            g_assert_cmpuint (g_bytes_get_size (signature), ==, 256);
          else
            /* DER ECDSA-Sig-Value: a SEQUENCE of two INTEGERs */
            g_assert_cmpuint (((const guint8 *) g_bytes_get_data (signature, NULL))[0], ==, 0x30);
        }
      for (gsize d = 0; d < G_N_ELEMENTS (bad_digests); d++)
        {
          g_assert_null (cradle_agent_keystore_sign (keystore, key_id, bad_digests[d], message, NULL, &error));
          g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED);
          g_clear_error (&error);
        }
    }

  {
    g_autoptr(GBytes) absent = g_bytes_new_static ("0123456789abcdef", 16);
    g_autoptr(GBytes) short_id = g_bytes_new_static ("0123", 4);

    g_assert_null (cradle_agent_keystore_sign (keystore, absent, "sha256", message, NULL, &error));
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
    g_clear_error (&error);
    g_assert_null (cradle_agent_keystore_sign (keystore, short_id, "sha256", message, NULL, &error));
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
    g_clear_error (&error);
    g_assert_false (cradle_agent_keystore_has_key (keystore, absent));
    g_assert_false (cradle_agent_keystore_is_pending (keystore, absent));
  }
}

/* Certification requests */

static GBytes *
make_cri (GBytes     *spki,
          const char *organization,
          const char *common_name,
          gboolean    with_attribute)
{
  g_autoptr(X509_REQ) req = X509_REQ_new ();
  g_autoptr(EVP_PKEY) pkey = ks_parse_spki (spki);
  X509_NAME *name = X509_REQ_get_subject_name (req);
  g_autofree guint8 *der = NULL;
  guint8 *end;
  int size;

  g_assert_true (X509_REQ_set_version (req, 0));
  g_assert_true (X509_REQ_set_pubkey (req, pkey));
  if (organization != NULL)
    g_assert_true (X509_NAME_add_entry_by_txt (name, "O", MBSTRING_UTF8,
                                               (const unsigned char *) organization, -1, -1, 0));
  if (common_name != NULL)
    g_assert_true (X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8,
                                               (const unsigned char *) common_name, -1, -1, 0));
  if (with_attribute)
    g_assert_true (X509_REQ_add1_attr_by_txt (req, "challengePassword", MBSTRING_ASC,
                                              (const unsigned char *) "secret", -1));
  size = i2d_re_X509_REQ_tbs (req, NULL);
  g_assert_cmpint (size, >, 0);
  der = g_malloc (size);
  end = der;
  g_assert_cmpint (i2d_re_X509_REQ_tbs (req, &end), ==, size);
  return g_bytes_new_take (g_steal_pointer (&der), size);
}

static void
check_cri_fails (CradleAgentKeystore *keystore,
                 GBytes              *key_id,
                 const guint8        *data,
                 gsize                size)
{
  g_autoptr(GBytes) cri = g_bytes_new (data, size);
  g_autoptr(GError) error = NULL;
  g_autofree char *subject = NULL;

  g_assert_false (cradle_agent_keystore_check_request_info (keystore, key_id, cri, &subject, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_null (subject);
}

static void
test_request_info (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = ks_open_keystore (f->folder, FALSE);
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) rsa_id = NULL;
  g_autoptr(GBytes) rsa_spki = NULL;
  g_autoptr(GBytes) cri = NULL;
  g_autoptr(GError) error = NULL;
  const guint8 *bytes;
  gsize size;
  struct {
    const char *organization;
    const char *common_name;
    gboolean    attribute;
    const char *expected;
  } cases[] = {
    { "Corp", "Alice", FALSE, "O = Corp, CN = Alice" },
    { "Corp", "Alice", TRUE, "O = Corp, CN = Alice" },
    { NULL, "Jürgen Müller", FALSE, "CN = Jürgen Müller" },
    { NULL, "Eve\nCN = Mallory", FALSE, "CN = Eve\\0ACN = Mallory" },
    { NULL, "Bob\xe2\x80\xae" "cod.exe", FALSE, "CN = Bob\\u202Ecod.exe" },
    { NULL, NULL, FALSE, CRADLE_AGENT_EMPTY_SUBJECT },
    { NULL, NULL, TRUE, CRADLE_AGENT_EMPTY_SUBJECT },
  };

  ks_generate (keystore, "p256", &key_id, &spki);
  ks_generate (keystore, "rsa2048", &rsa_id, &rsa_spki);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) request = make_cri (spki, cases[i].organization, cases[i].common_name, cases[i].attribute);
      g_autoptr(GBytes) rsa_request = make_cri (rsa_spki, cases[i].organization, cases[i].common_name, cases[i].attribute);
      g_autofree char *subject = NULL;
      g_autofree char *rsa_subject = NULL;

      g_assert_true (cradle_agent_keystore_check_request_info (keystore, key_id, request, &subject, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (subject, ==, cases[i].expected);
      g_assert_true (cradle_agent_keystore_check_request_info (keystore, rsa_id, rsa_request, &rsa_subject, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (rsa_subject, ==, cases[i].expected);

      /* Each key's request is refused for the other key. */
      g_assert_false (cradle_agent_keystore_check_request_info (keystore, rsa_id, request, NULL, &error));
      g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
      g_assert_nonnull (strstr (error->message, "not for this key"));
      g_clear_error (&error);
    }

  cri = make_cri (spki, "Corp", "Alice", TRUE);
  bytes = g_bytes_get_data (cri, &size);

  /* Every truncation, and a byte too many. */
  for (gsize length = 0; length < size; length++)
    check_cri_fails (keystore, key_id, bytes, length);
  {
    g_autofree guint8 *longer = g_malloc (size + 1);

    memcpy (longer, bytes, size);
    longer[size] = 0;
    check_cri_fails (keystore, key_id, longer, size + 1);
  }

  /* Version 2 (1) instead of 1 (0): "02 01 00" follows the outer header. */
  {
    g_autofree guint8 *copy = g_memdup2 (bytes, size);
    gsize header = (copy[1] & 0x80) ? 2 + (copy[1] & 0x7f) : 2;

    g_assert_cmpuint (copy[header], ==, 0x02);
    g_assert_cmpuint (copy[header + 1], ==, 0x01);
    g_assert_cmpuint (copy[header + 2], ==, 0x00);
    copy[header + 2] = 0x01;
    check_cri_fails (keystore, key_id, copy, size);
  }

  /* Each single byte flipped: refused, or (inside a string) still this key's request. */
  for (gsize i = 0; i < size; i++)
    {
      g_autofree guint8 *copy = g_memdup2 (bytes, size);
      g_autoptr(GBytes) mutated = NULL;
      g_autofree char *subject = NULL;

      copy[i] ^= 0x41;
      mutated = g_bytes_new (copy, size);
      if (!cradle_agent_keystore_check_request_info (keystore, key_id, mutated, &subject, &error))
        {
          g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
          g_clear_error (&error);
        }
      else
        g_assert_nonnull (subject);
    }

  /* Garbage, including DER-looking garbage. */
  for (guint round = 0; round < 500; round++)
    {
      guint8 junk[96];
      gsize length = g_test_rand_int_range (0, sizeof junk + 1);

      for (gsize i = 0; i < length; i++)
        junk[i] = g_test_rand_int_range (0, 256);
      if (length > 2 && round % 2 == 0)
        {
          junk[0] = 0x30;
          junk[1] = (guint8) (length - 2);
        }
      check_cri_fails (keystore, key_id, junk, length);
    }
  {
    /* Lengths that claim more than there is, indefinite and non-minimal lengths. */
    const guint8 hostile[][8] = {
      { 0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02, 0x01 },
      { 0x30, 0x80, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00 },
      { 0x30, 0x81, 0x06, 0x02, 0x01, 0x00, 0x30, 0x00 },
      { 0x30, 0x06, 0x02, 0x01, 0x00, 0x30, 0x00, 0xa0 },
      { 0x30, 0x89, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00 },
    };

    for (gsize i = 0; i < G_N_ELEMENTS (hostile); i++)
      check_cri_fails (keystore, key_id, hostile[i], sizeof hostile[i]);
  }

  /* An unknown key. */
  {
    g_autoptr(GBytes) absent = g_bytes_new_static ("0123456789abcdef", 16);

    g_assert_false (cradle_agent_keystore_check_request_info (keystore, absent, cri, NULL, &error));
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  }
}

/* The renewal mark is kept whole in the key's file, and only whole. */
static void
test_renewal_mark (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = ks_open_keystore (f->folder, FALSE);
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(CradleAgentKeyFile) key_file = NULL;
  g_autoptr(CradleAgentKeyFile) again = NULL;
  g_autoptr(GBytes) renews = g_bytes_new_static ("the renewed certificate's sha256", 32);
  g_autoptr(GBytes) request = g_bytes_new_static ("the confirmed request's sha-256!", 32);
  g_autoptr(GBytes) encoded = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (cradle_agent_keystore_generate (keystore, "p256", "renewal", NULL, CRADLE_AGENT_ENROLLMENT_REQUEST,
                                                  ks_host_a (), &key_id, NULL, &error));
  g_assert_no_error (error);
  key_file = cradle_agent_keystore_load_key (keystore, key_id, &error);
  g_assert_no_error (error);
  g_assert_null (key_file->mark_renews);
  key_file->mark_renews = g_bytes_ref (renews);
  key_file->mark_request = g_bytes_ref (request);
  key_file->mark_confirmed = 1800000000;
  key_file->mark_host = g_bytes_ref (ks_host_a ());
  key_file->mark_decryptions = 3;
  g_assert_true (cradle_agent_keystore_save_key (keystore, key_file, &error));
  g_assert_no_error (error);
  again = cradle_agent_keystore_load_key (keystore, key_id, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (again->mark_renews, renews));
  g_assert_true (g_bytes_equal (again->mark_request, request));
  g_assert_cmpuint (again->mark_confirmed, ==, 1800000000);
  g_assert_true (g_bytes_equal (again->mark_host, ks_host_a ()));
  g_assert_cmpuint (again->mark_decryptions, ==, 3);

  /* Half a mark is a damaged file. */
  g_clear_pointer (&key_file->mark_host, g_bytes_unref);
  key_file->mark_host = g_bytes_new_static ("short", 5);
  encoded = cradle_agent_key_file_encode (key_file);
  g_assert_null (cradle_agent_key_file_decode (encoded, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "renewal mark"));
  g_clear_error (&error);

  /* Cleared, it is gone from the file. */
  cradle_agent_key_file_clear_mark (again);
  g_assert_true (cradle_agent_keystore_save_key (keystore, again, &error));
  g_clear_pointer (&key_file, cradle_agent_key_file_free);
  key_file = cradle_agent_keystore_load_key (keystore, key_id, &error);
  g_assert_no_error (error);
  g_assert_null (key_file->mark_renews);
  g_assert_null (key_file->mark_host);
  g_assert_cmpuint (key_file->mark_decryptions, ==, 0);
}

/* Certificate stores */

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/agent/keystore/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  g_test_add_func ("/agent/keystore/generate/rsa-method", test_generate_rsa_method);
  ADD ("generate/each-type", test_generate_each_type);
  ADD ("generate/refusals", test_generate_refusals);
  ADD ("open/permissions-and-reopen", test_permissions_and_reopen);
  ADD ("open/kek-refused", test_kek_refused);
  ADD ("open/kek-apart", test_kek_apart);
  ADD ("sign", test_sign);
  ADD ("request-info", test_request_info);
  ADD ("renewal-mark", test_renewal_mark);

#undef ADD

  return g_test_run ();
}
