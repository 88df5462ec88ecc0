/* test-agent-keystore.c: the device agent's keys and certificate stores */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <glib/gstdio.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <cradle/cradle.h>

#include "cradle-agent-atomic-private.h"
#include "cradle-agent-keystore-private.h"
#include "cradle-agent-store-file-private.h"
#include "cradle-agent-request-info-private.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_REQ, X509_REQ_free)

/* Fixture: a fresh temporary folder per test; the keystore lives in "agent". */
typedef struct {
  char *root;
  char *folder;
} Fixture;

static void
remove_tree (const char *path)
{
  struct stat st;

  if (lstat (path, &st) != 0)
    return;
  if (S_ISDIR (st.st_mode))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      chmod (path, 0700);
      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          remove_tree (child);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->root = g_dir_make_tmp ("cradle-agent-XXXXXX", &error);
  g_assert_no_error (error);
  f->folder = g_build_filename (f->root, "agent", NULL);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  remove_tree (f->root);
  g_free (f->root);
  g_free (f->folder);
}

static CradleAgentKeystore *
open_keystore (const char *folder,
               gboolean    privileged)
{
  g_autoptr(GError) error = NULL;
  CradleAgentKeystore *keystore = cradle_agent_keystore_open (folder, privileged, &error);

  g_assert_no_error (error);
  g_assert_nonnull (keystore);
  return keystore;
}

static void
generate (CradleAgentKeystore  *keystore,
          const char           *key_type,
          GBytes              **key_id,
          GBytes              **spki)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (cradle_agent_keystore_generate (keystore, key_type, "Corp Issuing CA / ExchangeUser",
                                                 NULL, key_id, spki, &error));
  g_assert_no_error (error);
}

static GBytes *
read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize size = 0;

  g_assert_true (g_file_get_contents (path, &contents, &size, &error));
  g_assert_no_error (error);
  return g_bytes_new_take (contents, size);
}

/* Overwrites in place, as damage would (and g_file_set_contents_full()
 * would not truncate to 0 bytes here). */
static void
write_file (const char   *path,
            const guint8 *data,
            gsize         size)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (size == 0 ? 0 : write (fd, data, size), ==, (gssize) size);
  g_assert_cmpint (close (fd), ==, 0);
}

static EVP_PKEY *
parse_spki (GBytes *spki)
{
  const guint8 *p = g_bytes_get_data (spki, NULL);
  EVP_PKEY *pkey = d2i_PUBKEY (NULL, &p, (long) g_bytes_get_size (spki));

  g_assert_nonnull (pkey);
  g_assert_true (p == (const guint8 *) g_bytes_get_data (spki, NULL) + g_bytes_get_size (spki));
  return pkey;
}

static EVP_PKEY *
test_key (void)
{
  EVP_PKEY *pkey = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");

  g_assert_nonnull (pkey);
  return pkey;
}

/* A certificate for @subject_key, signed by @issuer_key (self-signed when the same). */
static GBytes *
make_cert (EVP_PKEY   *subject_key,
           EVP_PKEY   *issuer_key,
           const char *common_name,
           long        serial)
{
  g_autoptr(X509) x509 = X509_new ();
  X509_NAME *name = X509_get_subject_name (x509);
  guint8 *der = NULL;
  GBytes *bytes;
  int size;

  g_assert_true (X509_set_version (x509, 2));
  g_assert_true (ASN1_INTEGER_set (X509_get_serialNumber (x509), serial));
  g_assert_true (X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8,
                                             (const unsigned char *) common_name, -1, -1, 0));
  g_assert_true (X509_set_issuer_name (x509, name));
  g_assert_nonnull (X509_gmtime_adj (X509_getm_notBefore (x509), 0));
  g_assert_nonnull (X509_gmtime_adj (X509_getm_notAfter (x509), 86400));
  g_assert_true (X509_set_pubkey (x509, subject_key));
  g_assert_true (X509_sign (x509, issuer_key, EVP_sha256 ()) > 0);
  size = i2d_X509 (x509, &der);
  g_assert_cmpint (size, >, 0);
  bytes = g_bytes_new (der, size);
  OPENSSL_free (der);
  return bytes;
}

static GBytes *
make_cert_for_spki (GBytes     *spki,
                    EVP_PKEY   *issuer_key,
                    const char *common_name,
                    long        serial)
{
  g_autoptr(EVP_PKEY) subject_key = parse_spki (spki);

  return make_cert (subject_key, issuer_key, common_name, serial);
}

static GPtrArray *
cert_list (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) cradle_agent_cert_free);
}

static void
add_cert (GPtrArray  *list,
          const char *store,
          const char *scope,
          GBytes     *der,
          GBytes     *key_id)
{
  g_ptr_array_add (list, cradle_agent_cert_new (store, scope, der, key_id));
}

static guint
install (CradleAgentKeystore *keystore,
         GPtrArray           *certs)
{
  g_autoptr(GError) error = NULL;
  guint added = G_MAXUINT;

  g_assert_true (cradle_agent_keystore_install (keystore, certs, &added, &error));
  g_assert_no_error (error);
  return added;
}

static void
install_fails (CradleAgentKeystore *keystore,
               GPtrArray           *certs,
               int                  code)
{
  g_autoptr(GError) error = NULL;
  guint added = 42;

  g_assert_false (cradle_agent_keystore_install (keystore, certs, &added, &error));
  g_assert_error (error, CRADLE_ERROR, code);
  g_assert_cmpuint (added, ==, 42);
  g_test_message ("refused as expected: %s", error->message);
}

static GPtrArray *
list (CradleAgentKeystore *keystore,
      const char          *store,
      const char          *scope)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *certs = cradle_agent_keystore_list (keystore, store, scope, &error);

  g_assert_no_error (error);
  g_assert_nonnull (certs);
  return certs;
}

static gboolean
same_cert (const CradleAgentCert *a,
           const CradleAgentCert *b)
{
  return cradle_agent_cert_same_place (a, b)
         && ((a->key_id == NULL && b->key_id == NULL)
             || (a->key_id != NULL && b->key_id != NULL && g_bytes_equal (a->key_id, b->key_id)));
}

static void
assert_certs_equal (GPtrArray *actual,
                    GPtrArray *expected)
{
  g_assert_cmpuint (actual->len, ==, expected->len);
  for (guint i = 0; i < actual->len; i++)
    g_assert_true (same_cert (g_ptr_array_index (actual, i), g_ptr_array_index (expected, i)));
}

static gboolean
verify (GBytes     *spki,
        const char *digest,
        GBytes     *data,
        GBytes     *signature)
{
  g_autoptr(EVP_PKEY) pkey = parse_spki (spki);
  g_autoptr(EVP_MD_CTX) ctx = EVP_MD_CTX_new ();
  EVP_PKEY_CTX *pkey_ctx = NULL;

  g_assert_true (EVP_DigestVerifyInit_ex (ctx, &pkey_ctx, digest, NULL, NULL, pkey, NULL));
  if (EVP_PKEY_is_a (pkey, "RSA"))
    g_assert_true (EVP_PKEY_CTX_set_rsa_padding (pkey_ctx, RSA_PKCS1_PADDING));
  return EVP_DigestVerify (ctx, g_bytes_get_data (signature, NULL), g_bytes_get_size (signature),
                           g_bytes_get_data (data, NULL), g_bytes_get_size (data)) == 1;
}

static GBytes *
sign (CradleAgentKeystore *keystore,
      GBytes              *key_id,
      const char          *digest,
      GBytes              *data,
      char               **algorithm)
{
  g_autoptr(GError) error = NULL;
  GBytes *signature = cradle_agent_keystore_sign (keystore, key_id, digest, data, algorithm, &error);

  g_assert_no_error (error);
  g_assert_nonnull (signature);
  return signature;
}

static gboolean
contains (GBytes       *haystack,
          const guint8 *needle,
          gsize         size)
{
  return memmem (g_bytes_get_data (haystack, NULL), g_bytes_get_size (haystack), needle, size) != NULL;
}

static mode_t
file_mode (const char *path)
{
  struct stat st;

  g_assert_cmpint (stat (path, &st), ==, 0);
  return st.st_mode & 07777;
}

/* Keys */

static void
check_generated_key (Fixture    *f,
                     const char *key_type)
{
  g_autoptr(CradleAgentKeystore) keystore = open_keystore (f->folder, FALSE);
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

  generate (keystore, key_type, &key_id, &spki);
  g_assert_cmpuint (g_bytes_get_size (key_id), ==, CRADLE_AGENT_KEY_ID_SIZE);

  pkey = parse_spki (spki);
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
  signature = sign (keystore, key_id, "sha256", data, &algorithm);
  g_assert_true (verify (spki, "sha256", data, signature));

  /* ...and is not in its file in clear: no 32-byte window of its PKCS#8,
   * except the public parts (an RSA modulus, an EC point) kept in the SPKI. */
  path = cradle_agent_keystore_key_path (keystore, key_id);
  g_assert_cmpuint (file_mode (path), ==, 0600);
  file = read_file (path);
  pkcs8 = cradle_agent_keystore_decrypt_key (keystore, key_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pkcs8->size, >, 32);
  for (gsize i = 0; i + 32 <= pkcs8->size; i++)
    if (!contains (spki, pkcs8->data + i, 32))
      g_assert_false (contains (file, pkcs8->data + i, 32));
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

static void
test_generate_refusals (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = open_keystore (f->folder, FALSE);
  g_autoptr(GBytes) details = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *big = g_malloc0 (4097);
  g_autoptr(CradleAgentKeyFile) key_file = NULL;
  g_autoptr(GBytes) contents = NULL;
  g_autofree char *path = NULL;

  g_assert_false (cradle_agent_keystore_generate (keystore, "rsa1024", "x", NULL, &key_id, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "p384"));
  g_clear_error (&error);

  details = g_bytes_new (big, 4097);
  g_assert_false (cradle_agent_keystore_generate (keystore, "p256", "x", details, &key_id, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_false (cradle_agent_keystore_generate (keystore, "p256", "\xff\xfe", NULL, &key_id, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_null (key_id);

  /* 4 KiB of details is allowed, and kept. */
  g_clear_pointer (&details, g_bytes_unref);
  details = g_bytes_new (big, 4096);
  g_assert_true (cradle_agent_keystore_generate (keystore, "p256", "Profile ✓", details, &key_id, NULL, &error));
  g_assert_no_error (error);
  path = cradle_agent_keystore_key_path (keystore, key_id);
  contents = read_file (path);
  key_file = cradle_agent_key_file_decode (contents, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key_file->profile, ==, "Profile ✓");
  g_assert_cmpstr (key_file->key_type, ==, "p256");
  g_assert_true (g_bytes_equal (key_file->details, details));
  g_assert_cmpuint (key_file->created, >, 1700000000);
}

static void
test_permissions_and_reopen (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = open_keystore (f->folder, FALSE);
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

  generate (keystore, "p256", &key_id, &spki);
  g_assert_cmpuint (file_mode (f->folder), ==, 0700);
  g_assert_cmpuint (file_mode (keys_path), ==, 0700);
  g_assert_cmpuint (file_mode (kek_path), ==, 0600);
  kek = read_file (kek_path);
  g_assert_cmpuint (g_bytes_get_size (kek), ==, 32);

  /* The folder is locked while a keystore has it open. */
  g_assert_null (cradle_agent_keystore_open (f->folder, FALSE, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_BUSY);
  g_clear_error (&error);

  g_clear_object (&keystore);
  keystore = open_keystore (f->folder, FALSE);
  kek_again = read_file (kek_path);
  g_assert_true (g_bytes_equal (kek, kek_again));
  g_assert_true (cradle_agent_keystore_has_key (keystore, key_id));
  g_assert_true (cradle_agent_keystore_is_pending (keystore, key_id));
  again = cradle_agent_keystore_dup_public_key (keystore, key_id, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (again, spki));
  signature = sign (keystore, key_id, "sha384", message, NULL);
  g_assert_true (verify (spki, "sha384", message, signature));
}

static void
test_kek_refused (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = open_keystore (f->folder, FALSE);
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) kek = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *kek_path = g_build_filename (f->folder, "kek", NULL);
  const guint8 zeros[64] = { 0 };
  const gsize wrong_sizes[] = { 0, 31, 33, 64 };
  const mode_t wrong_modes[] = { 0640, 0604, 0644, 0660 };

  generate (keystore, "p256", &key_id, NULL);
  g_clear_object (&keystore);
  kek = read_file (kek_path);

  for (gsize i = 0; i < G_N_ELEMENTS (wrong_sizes); i++)
    {
      write_file (kek_path, zeros, wrong_sizes[i]);
      g_assert_null (cradle_agent_keystore_open (f->folder, FALSE, &error));
      g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
      g_assert_nonnull (strstr (error->message, kek_path));
      g_test_message ("%s", error->message);
      g_clear_error (&error);
    }

  write_file (kek_path, g_bytes_get_data (kek, NULL), g_bytes_get_size (kek));
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
  write_file (kek_path, g_bytes_get_data (kek, NULL), g_bytes_get_size (kek));
  keystore = open_keystore (f->folder, FALSE);
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
  g_autoptr(CradleAgentKeystore) keystore = open_keystore (f->folder, FALSE);
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

      generate (keystore, types[t], &key_id, &spki);
      for (gsize d = 0; d < G_N_ELEMENTS (digests); d++)
        {
          g_autofree char *algorithm = NULL;
          g_autoptr(GBytes) signature = sign (keystore, key_id, digests[d], message, &algorithm);

          g_assert_cmpstr (algorithm, ==, t == 0 ? rsa_names[d] : ec_names[d]);
          g_assert_true (verify (spki, digests[d], message, signature));
          g_assert_false (verify (spki, digests[d], other, signature));
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
  g_autoptr(EVP_PKEY) pkey = parse_spki (spki);
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
  g_autoptr(CradleAgentKeystore) keystore = open_keystore (f->folder, FALSE);
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

  generate (keystore, "p256", &key_id, &spki);
  generate (keystore, "rsa2048", &rsa_id, &rsa_spki);

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

/* Certificate stores */

static void
test_install (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = open_keystore (f->folder, FALSE);
  g_autoptr(EVP_PKEY) ca_key = test_key ();
  g_autoptr(EVP_PKEY) root_key = test_key ();
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) my_der = NULL;
  g_autoptr(GBytes) renewed_der = NULL;
  g_autoptr(GBytes) ca_der = make_cert (ca_key, ca_key, "Corp Issuing CA", 1);
  g_autoptr(GBytes) root_der = make_cert (root_key, root_key, "Corp Root CA", 2);
  g_autoptr(GPtrArray) batch = cert_list ();
  g_autoptr(GPtrArray) renewal = cert_list ();
  g_autoptr(GPtrArray) expected = cert_list ();
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GPtrArray) mine = NULL;
  g_autoptr(GPtrArray) user = NULL;
  g_autoptr(GPtrArray) none = NULL;
  g_autoptr(GError) error = NULL;

  generate (keystore, "p256", &key_id, &spki);
  my_der = make_cert_for_spki (spki, ca_key, "alice", 10);
  renewed_der = make_cert_for_spki (spki, ca_key, "alice", 11);
  g_assert_true (cradle_agent_keystore_is_pending (keystore, key_id));
  g_assert_false (cradle_agent_keystore_trusts_root (keystore, root_der));

  add_cert (batch, "MY", "user", my_der, key_id);
  add_cert (batch, "CA", "user", ca_der, NULL);
  add_cert (batch, "Root", "user", root_der, NULL);
  add_cert (batch, "Root", "user", root_der, NULL);   /* twice in one batch: once in the store */
  g_assert_cmpuint (install (keystore, batch), ==, 3);
  g_assert_false (cradle_agent_keystore_is_pending (keystore, key_id));
  g_assert_true (cradle_agent_keystore_has_key (keystore, key_id));
  g_assert_true (cradle_agent_keystore_trusts_root (keystore, root_der));
  g_assert_false (cradle_agent_keystore_trusts_root (keystore, ca_der));

  /* Again: nothing new. */
  g_assert_cmpuint (install (keystore, batch), ==, 0);

  /* Renewal: another certificate for the same key. */
  add_cert (renewal, "MY", "user", renewed_der, key_id);
  g_assert_cmpuint (install (keystore, renewal), ==, 1);

  add_cert (expected, "MY", "user", my_der, key_id);
  add_cert (expected, "CA", "user", ca_der, NULL);
  add_cert (expected, "Root", "user", root_der, NULL);
  add_cert (expected, "MY", "user", renewed_der, key_id);
  all = list (keystore, NULL, NULL);
  assert_certs_equal (all, expected);
  mine = list (keystore, "MY", NULL);
  g_assert_cmpuint (mine->len, ==, 2);
  user = list (keystore, NULL, "user");
  g_assert_cmpuint (user->len, ==, 4);
  none = list (keystore, "Root", "system");
  g_assert_cmpuint (none->len, ==, 0);
  g_assert_null (cradle_agent_keystore_list (keystore, "My", NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_null (cradle_agent_keystore_list (keystore, NULL, "machine", &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* Everything survives a restart. */
  g_clear_object (&keystore);
  keystore = open_keystore (f->folder, FALSE);
  g_clear_pointer (&all, g_ptr_array_unref);
  all = list (keystore, NULL, NULL);
  assert_certs_equal (all, expected);
  g_assert_false (cradle_agent_keystore_is_pending (keystore, key_id));
}

static void
test_install_binds_present_cert (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = open_keystore (f->folder, FALSE);
  g_autoptr(EVP_PKEY) ca_key = test_key ();
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) der = NULL;
  g_autoptr(GPtrArray) unbound = cert_list ();
  g_autoptr(GPtrArray) bound = cert_list ();
  g_autoptr(GPtrArray) all = NULL;

  generate (keystore, "p256", &key_id, &spki);
  der = make_cert_for_spki (spki, ca_key, "alice", 1);
  add_cert (unbound, "MY", "user", der, NULL);
  add_cert (bound, "MY", "user", der, key_id);

  g_assert_cmpuint (install (keystore, unbound), ==, 1);
  g_assert_true (cradle_agent_keystore_is_pending (keystore, key_id));
  g_assert_cmpuint (install (keystore, bound), ==, 0);
  g_assert_false (cradle_agent_keystore_is_pending (keystore, key_id));
  all = list (keystore, NULL, NULL);
  assert_certs_equal (all, bound);
}

static void
test_install_batch_is_atomic (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = open_keystore (f->folder, FALSE);
  g_autoptr(EVP_PKEY) ca_key = test_key ();
  g_autoptr(EVP_PKEY) other_key = test_key ();
  g_autoptr(GBytes) first = make_cert (ca_key, ca_key, "first", 1);
  g_autoptr(GBytes) second = make_cert (other_key, other_key, "second", 2);
  g_autoptr(GBytes) garbage = g_bytes_new_static ("\x30\x03\x02\x01\x00", 5);
  g_autoptr(GBytes) trailing = NULL;
  g_autoptr(GPtrArray) initial = cert_list ();
  g_autoptr(GBytes) file_before = NULL;
  g_autofree char *stores_path = g_build_filename (f->folder, "stores", NULL);
  const char *bad[][3] = {
    { "CA", "user", "garbage" },
    { "CA", "user", "trailing" },
    { "Trust", "user", "good" },
    { "CA", "machine", "good" },
    { "CA", "system", "good" },
  };

  {
    GByteArray *longer = g_byte_array_new ();

    g_byte_array_append (longer, g_bytes_get_data (second, NULL), g_bytes_get_size (second));
    g_byte_array_append (longer, (const guint8 *) "", 1);
    trailing = g_byte_array_free_to_bytes (longer);
  }

  add_cert (initial, "CA", "user", first, NULL);
  g_assert_cmpuint (install (keystore, initial), ==, 1);
  file_before = read_file (stores_path);

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GPtrArray) batch = cert_list ();
      g_autoptr(GPtrArray) after = NULL;
      g_autoptr(GBytes) file_after = NULL;
      GBytes *der = g_str_equal (bad[i][2], "garbage") ? garbage
                    : g_str_equal (bad[i][2], "trailing") ? trailing : second;

      /* A good item first, then the bad one: neither goes in. */
      add_cert (batch, "Root", "user", second, NULL);
      add_cert (batch, bad[i][0], bad[i][1], der, NULL);
      install_fails (keystore, batch, g_str_equal (bad[i][1], "system")
                                      ? CRADLE_ERROR_PERMISSION_DENIED : CRADLE_ERROR_INVALID_DATA);
      after = list (keystore, NULL, NULL);
      assert_certs_equal (after, initial);
      file_after = read_file (stores_path);
      g_assert_true (g_bytes_equal (file_before, file_after));
      g_assert_false (cradle_agent_keystore_trusts_root (keystore, second));
    }
}

static void
test_system_scope (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = open_keystore (f->folder, FALSE);
  g_autoptr(EVP_PKEY) root_key = test_key ();
  g_autoptr(GBytes) root_der = make_cert (root_key, root_key, "Corp Root CA", 1);
  g_autoptr(GBytes) fingerprint = cradle_agent_crypto_sha256 (root_der);
  g_autoptr(GPtrArray) batch = cert_list ();
  g_autoptr(GPtrArray) system = NULL;
  g_autoptr(GError) error = NULL;

  add_cert (batch, "Root", "system", root_der, NULL);
  install_fails (keystore, batch, CRADLE_ERROR_PERMISSION_DENIED);
  g_assert_false (cradle_agent_keystore_trusts_root (keystore, root_der));

  g_clear_object (&keystore);
  keystore = open_keystore (f->folder, TRUE);
  g_assert_cmpuint (install (keystore, batch), ==, 1);
  g_assert_true (cradle_agent_keystore_trusts_root (keystore, root_der));
  system = list (keystore, "Root", "system");
  assert_certs_equal (system, batch);

  /* Deleting from a system store needs privilege too. */
  g_clear_object (&keystore);
  keystore = open_keystore (f->folder, FALSE);
  g_assert_false (cradle_agent_keystore_delete_cert (keystore, "Root", "system", fingerprint, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);
  g_assert_true (cradle_agent_keystore_trusts_root (keystore, root_der));

  g_clear_object (&keystore);
  keystore = open_keystore (f->folder, TRUE);
  g_assert_true (cradle_agent_keystore_delete_cert (keystore, "Root", "system", fingerprint, &error));
  g_assert_no_error (error);
  g_assert_false (cradle_agent_keystore_trusts_root (keystore, root_der));
}

static void
test_install_key_rules (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = open_keystore (f->folder, FALSE);
  g_autoptr(EVP_PKEY) ca_key = test_key ();
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) other_id = NULL;
  g_autoptr(GBytes) other_spki = NULL;
  g_autoptr(GBytes) der = NULL;
  g_autoptr(GBytes) absent = g_bytes_new_static ("0123456789abcdef", 16);
  g_autoptr(GBytes) short_id = g_bytes_new_static ("0123", 4);
  GBytes *wrong_ids[] = { NULL, absent, short_id };

  generate (keystore, "p256", &key_id, &spki);
  generate (keystore, "p256", &other_id, &other_spki);
  der = make_cert_for_spki (spki, ca_key, "alice", 1);
  wrong_ids[0] = other_id;

  /* A key id outside MY. */
  {
    g_autoptr(GPtrArray) batch = cert_list ();

    add_cert (batch, "CA", "user", der, key_id);
    install_fails (keystore, batch, CRADLE_ERROR_INVALID_DATA);
  }
  /* Another key's, an absent key's, a malformed key id. */
  for (gsize i = 0; i < G_N_ELEMENTS (wrong_ids); i++)
    {
      g_autoptr(GPtrArray) batch = cert_list ();

      add_cert (batch, "MY", "user", der, wrong_ids[i]);
      install_fails (keystore, batch, CRADLE_ERROR_INVALID_DATA);
    }
  g_assert_true (cradle_agent_keystore_is_pending (keystore, key_id));
  g_assert_true (cradle_agent_keystore_is_pending (keystore, other_id));
  {
    g_autoptr(GPtrArray) all = list (keystore, NULL, NULL);

    g_assert_cmpuint (all->len, ==, 0);
  }
}

static GPtrArray *
make_many_certs (guint count,
                 long  first_serial)
{
  g_autoptr(EVP_PKEY) key = test_key ();
  GPtrArray *ders = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  for (guint i = 0; i < count; i++)
    {
      g_autofree char *name = g_strdup_printf ("CA %u", i);

      g_ptr_array_add (ders, make_cert (key, key, name, first_serial + i));
    }
  return ders;
}

static GPtrArray *
batch_of (GPtrArray  *ders,
          guint       from,
          guint       to,
          const char *store)
{
  GPtrArray *batch = cert_list ();

  for (guint i = from; i < to; i++)
    add_cert (batch, store, "user", g_ptr_array_index (ders, i), NULL);
  return batch;
}

static void
test_install_limit (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = open_keystore (f->folder, FALSE);
  g_autoptr(GPtrArray) ders = make_many_certs (CRADLE_AGENT_STORES_MAX_CERTS + 1, 1);
  g_autoptr(GPtrArray) too_many = batch_of (ders, 0, ders->len, "CA");
  g_autoptr(GPtrArray) most = batch_of (ders, 0, 1000, "CA");
  g_autoptr(GPtrArray) rest = batch_of (ders, 1000, CRADLE_AGENT_STORES_MAX_CERTS, "CA");
  g_autoptr(GPtrArray) one_more = batch_of (ders, CRADLE_AGENT_STORES_MAX_CERTS, ders->len, "CA");
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GError) error = NULL;

  install_fails (keystore, too_many, CRADLE_ERROR_INVALID_DATA);
  g_assert_cmpuint (install (keystore, most), ==, 1000);
  g_assert_cmpuint (install (keystore, rest), ==, 24);
  /* Full: duplicates are still fine, a new certificate is not. */
  g_assert_cmpuint (install (keystore, rest), ==, 0);
  g_assert_false (cradle_agent_keystore_install (keystore, one_more, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "1024"));
  g_test_message ("%s", error->message);

  g_clear_object (&keystore);
  keystore = open_keystore (f->folder, FALSE);
  all = list (keystore, "CA", "user");
  g_assert_cmpuint (all->len, ==, CRADLE_AGENT_STORES_MAX_CERTS);
}

static void
test_delete_cert (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = open_keystore (f->folder, FALSE);
  g_autoptr(EVP_PKEY) ca_key = test_key ();
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) my_der = NULL;
  g_autoptr(GBytes) ca_der = make_cert (ca_key, ca_key, "Corp Issuing CA", 1);
  g_autoptr(GBytes) my_sha = NULL;
  g_autoptr(GBytes) ca_sha = cradle_agent_crypto_sha256 (ca_der);
  g_autoptr(GBytes) short_sha = g_bytes_new_static ("0123", 4);
  g_autoptr(GPtrArray) batch = cert_list ();
  g_autoptr(GPtrArray) rest = NULL;
  g_autoptr(GError) error = NULL;

  generate (keystore, "p256", &key_id, &spki);
  my_der = make_cert_for_spki (spki, ca_key, "alice", 2);
  my_sha = cradle_agent_crypto_sha256 (my_der);
  add_cert (batch, "MY", "user", my_der, key_id);
  add_cert (batch, "CA", "user", ca_der, NULL);
  g_assert_cmpuint (install (keystore, batch), ==, 2);

  /* In another store, or a malformed fingerprint. */
  g_assert_false (cradle_agent_keystore_delete_cert (keystore, "Root", "user", ca_sha, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (cradle_agent_keystore_delete_cert (keystore, "CA", "user", short_sha, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_false (cradle_agent_keystore_delete_cert (keystore, "Roots", "user", ca_sha, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);

  g_assert_true (cradle_agent_keystore_delete_cert (keystore, "CA", "user", ca_sha, &error));
  g_assert_no_error (error);
  g_assert_false (cradle_agent_keystore_delete_cert (keystore, "CA", "user", ca_sha, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  rest = list (keystore, NULL, NULL);
  g_assert_cmpuint (rest->len, ==, 1);

  /* Without its certificate the key is pending again, and may go. */
  g_assert_false (cradle_agent_keystore_delete_key (keystore, key_id, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);
  g_assert_true (cradle_agent_keystore_delete_cert (keystore, "MY", "user", my_sha, &error));
  g_assert_no_error (error);
  g_assert_true (cradle_agent_keystore_is_pending (keystore, key_id));
  g_assert_true (cradle_agent_keystore_delete_key (keystore, key_id, &error));
  g_assert_no_error (error);
}

static void
test_delete_key (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = open_keystore (f->folder, FALSE);
  g_autoptr(EVP_PKEY) ca_key = test_key ();
  g_autoptr(GBytes) pending_id = NULL;
  g_autoptr(GBytes) enrolled_id = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) der = NULL;
  g_autoptr(GBytes) short_id = g_bytes_new_static ("0123", 4);
  g_autoptr(GPtrArray) batch = cert_list ();
  g_autoptr(GError) error = NULL;
  g_autofree char *pending_path = NULL;

  generate (keystore, "p256", &pending_id, NULL);
  generate (keystore, "p256", &enrolled_id, &spki);
  der = make_cert_for_spki (spki, ca_key, "alice", 1);
  add_cert (batch, "MY", "user", der, enrolled_id);
  g_assert_cmpuint (install (keystore, batch), ==, 1);

  g_assert_false (cradle_agent_keystore_delete_key (keystore, enrolled_id, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);
  g_assert_true (cradle_agent_keystore_has_key (keystore, enrolled_id));

  pending_path = cradle_agent_keystore_key_path (keystore, pending_id);
  g_assert_true (g_file_test (pending_path, G_FILE_TEST_EXISTS));
  g_assert_true (cradle_agent_keystore_delete_key (keystore, pending_id, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (pending_path, G_FILE_TEST_EXISTS));
  g_assert_false (cradle_agent_keystore_has_key (keystore, pending_id));
  g_assert_false (cradle_agent_keystore_is_pending (keystore, pending_id));

  g_assert_false (cradle_agent_keystore_delete_key (keystore, pending_id, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (cradle_agent_keystore_delete_key (keystore, short_id, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_null (cradle_agent_keystore_dup_public_key (keystore, pending_id, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
}

/* Damaged files */

static void
assert_stores_damaged (const char   *folder,
                       const char   *stores_path,
                       const guint8 *data,
                       gsize         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleAgentKeystore) keystore = NULL;

  write_file (stores_path, data, size);
  keystore = cradle_agent_keystore_open (folder, FALSE, &error);
  g_assert_null (keystore);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, stores_path));
  g_assert_nonnull (strstr (error->message, "move it aside"));
}

static void
test_damaged_stores (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = open_keystore (f->folder, FALSE);
  g_autoptr(GPtrArray) ders = make_many_certs (3, 1);
  g_autoptr(GPtrArray) batch = batch_of (ders, 0, 3, "Root");
  g_autofree char *stores_path = g_build_filename (f->folder, "stores", NULL);
  g_autoptr(GBytes) good = NULL;
  g_autoptr(GError) error = NULL;
  const guint8 *bytes;
  gsize size;

  g_assert_cmpuint (install (keystore, batch), ==, 3);
  g_clear_object (&keystore);
  good = read_file (stores_path);
  bytes = g_bytes_get_data (good, &size);

  for (gsize length = 0; length < size; length += length < 64 ? 1 : 29)
    assert_stores_damaged (f->folder, stores_path, bytes, length);
  for (guint round = 0; round < 50; round++)
    {
      guint8 junk[256];
      gsize length = g_test_rand_int_range (1, sizeof junk + 1);

      for (gsize i = 0; i < length; i++)
        junk[i] = g_test_rand_int_range (0, 256);
      if (round % 2 == 0)
        junk[0] = 0xa2;   /* a map of two pairs, so the decoder gets further */
      assert_stores_damaged (f->folder, stores_path, junk, length);
    }
  {
    /* Well-formed CBOR, wrong content: a newer format, a bad store name. */
    g_autoptr(CradleCborWriter) writer = cradle_cbor_writer_new ();
    g_autoptr(GBytes) newer = NULL;

    cradle_cbor_writer_map (writer, 2);
    cradle_cbor_writer_uint (writer, 1);
    cradle_cbor_writer_uint (writer, 2);
    cradle_cbor_writer_uint (writer, 2);
    cradle_cbor_writer_array (writer, 0);
    newer = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
    assert_stores_damaged (f->folder, stores_path, g_bytes_get_data (newer, NULL), g_bytes_get_size (newer));
  }
  {
    g_autoptr(CradleCborWriter) writer = cradle_cbor_writer_new ();
    g_autoptr(GBytes) bad_store = NULL;

    cradle_cbor_writer_map (writer, 2);
    cradle_cbor_writer_uint (writer, 1);
    cradle_cbor_writer_uint (writer, 1);
    cradle_cbor_writer_uint (writer, 2);
    cradle_cbor_writer_array (writer, 1);
    cradle_cbor_writer_map (writer, 3);
    cradle_cbor_writer_uint (writer, 1);
    cradle_cbor_writer_text (writer, "Trust");
    cradle_cbor_writer_uint (writer, 2);
    cradle_cbor_writer_text (writer, "user");
    cradle_cbor_writer_uint (writer, 3);
    cradle_cbor_writer_bytes (writer, (const guint8 *) "x", 1);
    bad_store = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
    assert_stores_damaged (f->folder, stores_path, g_bytes_get_data (bad_store, NULL),
                           g_bytes_get_size (bad_store));
  }

  /* Too large: refused from its size, before reading. */
  {
    int fd = open (stores_path, O_WRONLY | O_TRUNC | O_CLOEXEC);

    g_assert_cmpint (fd, >=, 0);
    g_assert_cmpint (ftruncate (fd, CRADLE_AGENT_STORES_MAX_SIZE + 1), ==, 0);
    close (fd);
    g_assert_null (cradle_agent_keystore_open (f->folder, FALSE, &error));
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
    g_assert_nonnull (strstr (error->message, "move it aside"));
    g_test_message ("%s", error->message);
    g_clear_error (&error);
  }
  /* Not a file at all. */
  g_assert_cmpint (g_unlink (stores_path), ==, 0);
  g_assert_cmpint (g_mkdir (stores_path, 0700), ==, 0);
  g_assert_null (cradle_agent_keystore_open (f->folder, FALSE, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* Moved aside: an empty store. */
  g_assert_cmpint (g_rmdir (stores_path), ==, 0);
  keystore = open_keystore (f->folder, FALSE);
  {
    g_autoptr(GPtrArray) all = list (keystore, NULL, NULL);

    g_assert_cmpuint (all->len, ==, 0);
  }
  g_assert_cmpuint (install (keystore, batch), ==, 3);
}

static void
assert_key_damaged (CradleAgentKeystore *keystore,
                    GBytes              *key_id,
                    const char          *path)
{
  g_autoptr(GBytes) message = g_bytes_new_static ("x", 1);
  g_autoptr(GError) error = NULL;

  g_assert_null (cradle_agent_keystore_sign (keystore, key_id, "sha256", message, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "damaged"));
}

static void
test_damaged_key_file (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = open_keystore (f->folder, FALSE);
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) other_id = NULL;
  g_autoptr(GBytes) good = NULL;
  g_autoptr(GBytes) other_file = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autofree char *other_path = NULL;
  const guint8 *bytes;
  gsize size;

  generate (keystore, "p256", &key_id, NULL);
  generate (keystore, "p256", &other_id, NULL);
  path = cradle_agent_keystore_key_path (keystore, key_id);
  other_path = cradle_agent_keystore_key_path (keystore, other_id);
  good = read_file (path);
  other_file = read_file (other_path);
  bytes = g_bytes_get_data (good, &size);

  for (gsize length = 0; length < size; length += length < 64 ? 1 : 7)
    {
      write_file (path, bytes, length);
      assert_key_damaged (keystore, key_id, path);
      g_assert_null (cradle_agent_keystore_dup_public_key (keystore, key_id, &error));
      g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
      g_clear_error (&error);
    }
  for (guint round = 0; round < 50; round++)
    {
      guint8 junk[256];
      gsize length = g_test_rand_int_range (1, sizeof junk + 1);

      for (gsize i = 0; i < length; i++)
        junk[i] = g_test_rand_int_range (0, 256);
      write_file (path, junk, length);
      assert_key_damaged (keystore, key_id, path);
    }

  /* Another key's file under this key's name. */
  write_file (path, g_bytes_get_data (other_file, NULL), g_bytes_get_size (other_file));
  assert_key_damaged (keystore, key_id, path);

  /* Well-formed but tampered with: the ciphertext, the key type (in the AAD). */
  {
    g_autoptr(CradleAgentKeyFile) key_file = cradle_agent_key_file_decode (good, &error);
    g_autoptr(GBytes) tampered = NULL;
    gsize ciphertext_size = 0;
    guint8 *ciphertext;

    g_assert_no_error (error);
    ciphertext = g_bytes_unref_to_data (g_steal_pointer (&key_file->ciphertext), &ciphertext_size);
    ciphertext[ciphertext_size / 2] ^= 1;
    key_file->ciphertext = g_bytes_new_take (ciphertext, ciphertext_size);
    tampered = cradle_agent_key_file_encode (key_file);
    write_file (path, g_bytes_get_data (tampered, NULL), g_bytes_get_size (tampered));
    assert_key_damaged (keystore, key_id, path);
  }
  {
    g_autoptr(CradleAgentKeyFile) key_file = cradle_agent_key_file_decode (good, &error);
    g_autoptr(GBytes) tampered = NULL;

    g_assert_no_error (error);
    g_free (key_file->key_type);
    key_file->key_type = g_strdup ("p384");
    tampered = cradle_agent_key_file_encode (key_file);
    write_file (path, g_bytes_get_data (tampered, NULL), g_bytes_get_size (tampered));
    assert_key_damaged (keystore, key_id, path);
  }

  /* Too large: refused from its size. */
  {
    int fd = open (path, O_WRONLY | O_TRUNC | O_CLOEXEC);

    g_assert_cmpint (fd, >=, 0);
    g_assert_cmpint (ftruncate (fd, CRADLE_AGENT_KEY_FILE_MAX_SIZE + 1), ==, 0);
    close (fd);
    assert_key_damaged (keystore, key_id, path);
  }

  /* The other key was never touched, and the original file works again. */
  write_file (path, bytes, size);
  {
    g_autoptr(GBytes) message = g_bytes_new_static ("x", 1);
    g_autoptr(GBytes) signature = sign (keystore, key_id, "sha256", message, NULL);
    g_autoptr(GBytes) other_signature = sign (keystore, other_id, "sha256", message, NULL);
  }
}

static void
test_stale_temp_files (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = open_keystore (f->folder, FALSE);
  g_autoptr(GPtrArray) ders = make_many_certs (2, 1);
  g_autoptr(GPtrArray) batch = batch_of (ders, 0, 2, "CA");
  g_autofree char *stale_stores = g_build_filename (f->folder, ".stores.tmp-Ab12Cd", NULL);
  g_autofree char *stale_kek = g_build_filename (f->folder, ".kek.tmp-Zz99Yy", NULL);
  g_autofree char *stale_key = g_build_filename (f->folder, "keys", ".00112233445566778899aabbccddeeff.key.tmp-QwErTy", NULL);
  g_autoptr(GPtrArray) all = NULL;

  g_assert_cmpuint (install (keystore, batch), ==, 2);
  g_clear_object (&keystore);
  write_file (stale_stores, (const guint8 *) "\xa2\x01", 2);
  write_file (stale_kek, (const guint8 *) "half", 4);
  write_file (stale_key, (const guint8 *) "", 0);

  keystore = open_keystore (f->folder, FALSE);
  g_assert_false (g_file_test (stale_stores, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (stale_kek, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (stale_key, G_FILE_TEST_EXISTS));
  all = list (keystore, NULL, NULL);
  assert_certs_equal (all, batch);
}

static void
test_read_bounded (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->root, "file", NULL);
  g_autofree char *absent = g_build_filename (f->root, "absent", NULL);
  g_autofree char *link = g_build_filename (f->root, "link", NULL);
  g_autoptr(GBytes) contents = NULL;
  g_autoptr(GBytes) written = g_bytes_new_static ("0123456789", 10);
  g_autoptr(GError) error = NULL;

  g_assert_true (cradle_agent_atomic_write (path, written, 0640, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (file_mode (path) & ~0022, ==, 0640 & ~0022);
  contents = cradle_agent_read_bounded (path, 10, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (contents, written));
  g_assert_null (cradle_agent_read_bounded (path, 9, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_null (cradle_agent_read_bounded (absent, 9, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* Symbolic links are not followed. */
  g_assert_cmpint (symlink (path, link), ==, 0);
  g_assert_null (cradle_agent_read_bounded (link, 100, NULL, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  /* No temporary file stays behind. */
  {
    g_autoptr(GDir) dir = g_dir_open (f->root, 0, NULL);
    const char *name;

    while ((name = g_dir_read_name (dir)) != NULL)
      g_assert_false (cradle_agent_atomic_is_temp_name (name));
  }
}

/* Crash consistency: a child installing 100 certificates is killed at a
 * random moment; the stores then hold the old set or the new one. The
 * moments spread over how long a whole run takes here (timed first), so
 * they cover the write also under valgrind or on a slow disk. */

static void
assert_no_temp_files (const char *folder)
{
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_assert_false (cradle_agent_atomic_is_temp_name (name));
}

/* A fresh keystore holding @baseline, then a child process that opens it
 * and installs @batch; killed after @delay µs unless @delay is negative.
 * Returns the child's wait status; @elapsed (nullable) gets its lifetime. */
static int
run_child_install (const char *folder,
                   GPtrArray  *baseline,
                   GPtrArray  *batch,
                   gint64      delay,
                   gint64     *elapsed)
{
  gint64 start;
  g_autoptr(CradleAgentKeystore) keystore = open_keystore (folder, FALSE);
  int status = 0;
  pid_t pid;

  g_assert_cmpuint (install (keystore, baseline), ==, baseline->len);
  /* The child must take the folder lock itself. */
  g_clear_object (&keystore);

  start = g_get_monotonic_time ();
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      CradleAgentKeystore *child = cradle_agent_keystore_open (folder, FALSE, NULL);
      gboolean done;

      if (child == NULL)
        _exit (2);
      done = cradle_agent_keystore_install (child, batch, NULL, NULL);
      g_object_unref (child);
      _exit (done ? 0 : 3);
    }

  if (delay >= 0)
    {
      g_usleep (delay);
      kill (pid, SIGKILL);
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  if (elapsed != NULL)
    *elapsed = g_get_monotonic_time () - start;
  if (WIFEXITED (status))
    g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  else
    g_assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  return status;
}

static void
test_crash_consistency (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GPtrArray) ders = make_many_certs (110, 1);
  g_autoptr(GPtrArray) baseline = batch_of (ders, 0, 10, "CA");
  g_autoptr(GPtrArray) batch = batch_of (ders, 10, 110, "Root");
  g_autoptr(GPtrArray) everything = batch_of (ders, 0, 10, "CA");
  g_autofree char *calibration = g_build_filename (f->root, "calibration", NULL);
  guint killed_before = 0;
  guint killed_after = 0;
  guint finished = 0;
  const guint runs = 20;
  gint64 whole_run;

  for (guint i = 10; i < 110; i++)
    add_cert (everything, "Root", "user", g_ptr_array_index (ders, i), NULL);

  run_child_install (calibration, baseline, batch, -1, &whole_run);
  whole_run = MAX (whole_run, 1000);
  g_test_message ("a whole run takes %" G_GINT64_FORMAT " us", whole_run);

  for (guint run = 0; run < runs; run++)
    {
      g_autofree char *name = g_strdup_printf ("crash-%u", run);
      g_autofree char *folder = g_build_filename (f->root, name, NULL);
      g_autoptr(CradleAgentKeystore) keystore = NULL;
      g_autoptr(GPtrArray) after = NULL;
      gint64 delay = g_test_rand_int_range (0, (gint32) MIN (whole_run * 11 / 10, G_MAXINT32));
      int status = run_child_install (folder, baseline, batch, delay, NULL);

      keystore = open_keystore (folder, FALSE);
      after = list (keystore, NULL, NULL);
      if (after->len == baseline->len)
        {
          assert_certs_equal (after, baseline);
          killed_before++;
        }
      else
        {
          assert_certs_equal (after, everything);
          if (WIFEXITED (status))
            finished++;
          else
            killed_after++;
        }
      assert_no_temp_files (folder);
      g_test_message ("run %u: killed after %" G_GINT64_FORMAT " us: %u certificates",
                      run, delay, after->len);
    }
  g_test_message ("%u runs: %u with the old set, %u killed with the new set written, %u finished",
                  runs, killed_before, killed_after, finished);
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static void
test_install_timing (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GPtrArray) ders = make_many_certs (100, 1);
  g_autoptr(GPtrArray) batch = batch_of (ders, 0, 100, "CA");
  gint64 times[10];

  for (guint run = 0; run < G_N_ELEMENTS (times); run++)
    {
      g_autofree char *name = g_strdup_printf ("timing-%u", run);
      g_autofree char *folder = g_build_filename (f->root, name, NULL);
      g_autoptr(CradleAgentKeystore) keystore = open_keystore (folder, FALSE);
      gint64 start = g_get_monotonic_time ();

      g_assert_cmpuint (install (keystore, batch), ==, 100);
      times[run] = g_get_monotonic_time () - start;
    }
  qsort (times, G_N_ELEMENTS (times), sizeof times[0], compare_gint64);
  g_test_message ("install of 100 certificates (with fsyncs), 10 runs: median %.2f ms, "
                  "min %.2f ms, max %.2f ms",
                  (times[4] + times[5]) / 2000.0, times[0] / 1000.0, times[9] / 1000.0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/agent/keystore/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("generate/each-type", test_generate_each_type);
  ADD ("generate/refusals", test_generate_refusals);
  ADD ("open/permissions-and-reopen", test_permissions_and_reopen);
  ADD ("open/kek-refused", test_kek_refused);
  ADD ("open/stale-temp-files", test_stale_temp_files);
  ADD ("sign", test_sign);
  ADD ("request-info", test_request_info);
  ADD ("install/basic", test_install);
  ADD ("install/binds-present-cert", test_install_binds_present_cert);
  ADD ("install/batch-is-atomic", test_install_batch_is_atomic);
  ADD ("install/system-scope", test_system_scope);
  ADD ("install/key-rules", test_install_key_rules);
  ADD ("install/limit", test_install_limit);
  ADD ("install/timing", test_install_timing);
  ADD ("delete-cert", test_delete_cert);
  ADD ("delete-key", test_delete_key);
  ADD ("damaged/stores", test_damaged_stores);
  ADD ("damaged/key-file", test_damaged_key_file);
  ADD ("atomic/read-bounded", test_read_bounded);
  ADD ("crash-consistency", test_crash_consistency);

#undef ADD

  return g_test_run ();
}
