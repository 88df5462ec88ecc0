/* keystore-test-support.c: fixtures and test material for the keystore tests */
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

#include "agent/cradle-agent-atomic-private.h"
#include "agent/cradle-agent-keystore-private.h"
#include "agent/cradle-agent-store-file-private.h"
#include "agent/cradle-agent-request-info-private.h"

#include "keystore-test-support.h"
#include "test-files.h"

void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->root = g_dir_make_tmp ("cradle-agent-XXXXXX", &error);
  g_assert_no_error (error);
  f->folder = g_build_filename (f->root, "agent", NULL);
}

void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  test_remove_tree (f->root);
  g_free (f->root);
  g_free (f->folder);
}

CradleAgentKeystore *
ks_open_keystore (const char *folder,
                  gboolean    privileged)
{
  g_autoptr(GError) error = NULL;
  CradleAgentKeystore *keystore = cradle_agent_keystore_open (folder, privileged, &error);

  g_assert_no_error (error);
  g_assert_nonnull (keystore);
  return keystore;
}

void
ks_generate (CradleAgentKeystore  *keystore,
             const char           *key_type,
             GBytes              **key_id,
             GBytes              **spki)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (cradle_agent_keystore_generate (keystore, key_type, "Corp Issuing CA / ExchangeUser",
                                                 NULL, CRADLE_AGENT_ENROLLMENT_SCEP, ks_host_a (),
                                                 key_id, spki, &error));
  g_assert_no_error (error);
}

void
ks_generate_for (CradleAgentKeystore        *keystore,
                 const char                 *key_type,
                 CradleAgentEnrollmentKind   kind,
                 GBytes                     *host_id,
                 GBytes                    **key_id,
                 GBytes                    **spki)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (cradle_agent_keystore_generate (keystore, key_type, "test", NULL, kind, host_id,
                                                 key_id, spki, &error));
  g_assert_no_error (error);
}

static GBytes *
host_id (const char *name)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize size = sizeof digest;

  g_checksum_update (checksum, (const guchar *) name, -1);
  g_checksum_get_digest (checksum, digest, &size);
  return g_bytes_new (digest, size);
}

GBytes *
ks_host_a (void)
{
  static GBytes *id;

  if (id == NULL)
    id = host_id ("host A's public key");
  return id;
}

GBytes *
ks_host_b (void)
{
  static GBytes *id;

  if (id == NULL)
    id = host_id ("host B's public key");
  return id;
}

void
ks_set_key_record (CradleAgentKeystore *keystore,
                   GBytes              *key_id,
                   guint64              created,
                   guint64              decryptions)
{
  g_autoptr(CradleAgentKeyFile) key_file = NULL;
  g_autoptr(GError) error = NULL;

  key_file = cradle_agent_keystore_load_key (keystore, key_id, &error);
  g_assert_no_error (error);
  key_file->created = created;
  key_file->decryptions = decryptions;
  g_assert_true (cradle_agent_keystore_save_key (keystore, key_file, &error));
  g_assert_no_error (error);
}

GBytes *
ks_read_file (const char *path)
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
void
ks_write_file (const char   *path,
               const guint8 *data,
               gsize         size)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (size == 0 ? 0 : write (fd, data, size), ==, (gssize) size);
  g_assert_cmpint (close (fd), ==, 0);
}

EVP_PKEY *
ks_parse_spki (GBytes *spki)
{
  const guint8 *p = g_bytes_get_data (spki, NULL);
  EVP_PKEY *pkey = d2i_PUBKEY (NULL, &p, (long) g_bytes_get_size (spki));

  g_assert_nonnull (pkey);
  g_assert_true (p == (const guint8 *) g_bytes_get_data (spki, NULL) + g_bytes_get_size (spki));
  return pkey;
}

EVP_PKEY *
ks_test_key (void)
{
  EVP_PKEY *pkey = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");

  g_assert_nonnull (pkey);
  return pkey;
}

/* A certificate for @subject_key, signed by @issuer_key (self-signed when the same). */
GBytes *
ks_make_cert (EVP_PKEY   *subject_key,
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

GBytes *
ks_make_cert_for_spki (GBytes     *spki,
                       EVP_PKEY   *issuer_key,
                       const char *common_name,
                       long        serial)
{
  g_autoptr(EVP_PKEY) subject_key = ks_parse_spki (spki);

  return ks_make_cert (subject_key, issuer_key, common_name, serial);
}

GPtrArray *
ks_cert_list (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) cradle_agent_cert_free);
}

void
ks_add_cert (GPtrArray  *list,
             const char *store,
             const char *scope,
             GBytes     *der,
             GBytes     *key_id)
{
  g_ptr_array_add (list, cradle_agent_cert_new (store, scope, der, key_id));
}

guint
ks_install (CradleAgentKeystore *keystore,
            GPtrArray           *certs)
{
  g_autoptr(GError) error = NULL;
  guint added = G_MAXUINT;

  g_assert_true (cradle_agent_keystore_install (keystore, certs, &added, &error));
  g_assert_no_error (error);
  return added;
}

void
ks_install_fails (CradleAgentKeystore *keystore,
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

GPtrArray *
ks_list (CradleAgentKeystore *keystore,
         const char          *store,
         const char          *scope)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *certs = cradle_agent_keystore_list (keystore, store, scope, &error);

  g_assert_no_error (error);
  g_assert_nonnull (certs);
  return certs;
}

gboolean
ks_same_cert (const CradleAgentCert *a,
              const CradleAgentCert *b)
{
  return cradle_agent_cert_same_place (a, b)
         && ((a->key_id == NULL && b->key_id == NULL)
             || (a->key_id != NULL && b->key_id != NULL && g_bytes_equal (a->key_id, b->key_id)));
}

void
ks_assert_certs_equal (GPtrArray *actual,
                       GPtrArray *expected)
{
  g_assert_cmpuint (actual->len, ==, expected->len);
  for (guint i = 0; i < actual->len; i++)
    g_assert_true (ks_same_cert (g_ptr_array_index (actual, i), g_ptr_array_index (expected, i)));
}

gboolean
ks_verify (GBytes     *spki,
           const char *digest,
           GBytes     *data,
           GBytes     *signature)
{
  g_autoptr(EVP_PKEY) pkey = ks_parse_spki (spki);
  g_autoptr(EVP_MD_CTX) ctx = EVP_MD_CTX_new ();
  EVP_PKEY_CTX *pkey_ctx = NULL;

  g_assert_true (EVP_DigestVerifyInit_ex (ctx, &pkey_ctx, digest, NULL, NULL, pkey, NULL));
  if (EVP_PKEY_is_a (pkey, "RSA"))
    g_assert_true (EVP_PKEY_CTX_set_rsa_padding (pkey_ctx, RSA_PKCS1_PADDING));
  return EVP_DigestVerify (ctx, g_bytes_get_data (signature, NULL), g_bytes_get_size (signature),
                           g_bytes_get_data (data, NULL), g_bytes_get_size (data)) == 1;
}

GBytes *
ks_sign (CradleAgentKeystore *keystore,
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

gboolean
ks_contains (GBytes       *haystack,
             const guint8 *needle,
             gsize         size)
{
  return memmem (g_bytes_get_data (haystack, NULL), g_bytes_get_size (haystack), needle, size) != NULL;
}

mode_t
ks_file_mode (const char *path)
{
  struct stat st;

  g_assert_cmpint (stat (path, &st), ==, 0);
  return st.st_mode & 07777;
}

/* Keys */

/* @data encrypted to @spki with RSA PKCS #1 v1.5, as a SCEP CA wraps a
 * content-encryption key. */
GBytes *
ks_encrypt_to (GBytes       *spki,
               const guint8 *data,
               gsize         size)
{
  g_autoptr(EVP_PKEY) pkey = ks_parse_spki (spki);
  g_autoptr(EVP_PKEY_CTX) ctx = EVP_PKEY_CTX_new_from_pkey (NULL, pkey, NULL);
  guint8 out[512];
  size_t out_size = sizeof out;

  g_assert_true (EVP_PKEY_encrypt_init (ctx) == 1);
  g_assert_true (EVP_PKEY_CTX_set_rsa_padding (ctx, RSA_PKCS1_PADDING) == 1);
  g_assert_true (EVP_PKEY_encrypt (ctx, out, &out_size, data, size) == 1);
  return g_bytes_new (out, out_size);
}

/* Every truncation and every single flipped byte: refused, or (inside a
 * value) still accepted; never a crash. */
void
ks_assert_damage_refused (GBytes   *good,
                          gboolean (*check) (GBytes *bytes, gpointer data, GError **error),
                          gpointer  data)
{
  gsize size = 0;
  const guint8 *bytes = g_bytes_get_data (good, &size);

  for (gsize length = 0; length < size; length++)
    {
      g_autoptr(GBytes) truncated = g_bytes_new (bytes, length);
      g_autoptr(GError) error = NULL;

      g_assert_false (check (truncated, data, &error));
      g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
    }
  {
    g_autofree guint8 *longer = g_malloc (size + 1);
    g_autoptr(GBytes) extended = NULL;
    g_autoptr(GError) error = NULL;

    memcpy (longer, bytes, size);
    longer[size] = 0;
    extended = g_bytes_new (longer, size + 1);
    g_assert_false (check (extended, data, &error));
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  }
  for (gsize i = 0; i < size; i++)
    {
      g_autofree guint8 *copy = g_memdup2 (bytes, size);
      g_autoptr(GBytes) mutated = NULL;
      g_autoptr(GError) error = NULL;

      copy[i] ^= 0x41;
      mutated = g_bytes_new (copy, size);
      if (!check (mutated, data, &error))
        g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
    }
  for (guint round = 0; round < 300; round++)
    {
      guint8 junk[128];
      gsize length = g_test_rand_int_range (0, sizeof junk + 1);
      g_autoptr(GBytes) random = NULL;
      g_autoptr(GError) error = NULL;

      for (gsize i = 0; i < length; i++)
        junk[i] = g_test_rand_int_range (0, 256);
      if (length > 2 && round % 2 == 0)
        {
          junk[0] = round % 4 == 0 ? 0x30 : 0x31;
          junk[1] = (guint8) MIN (length - 2, 0x7f);
        }
      random = g_bytes_new (junk, length);
      g_assert_false (check (random, data, &error));
      g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
    }
}

/* @count self-signed CA certificates "CA 0"... with serials from @first_serial. */
GPtrArray *
ks_make_many_certs (guint count,
                    long  first_serial)
{
  g_autoptr(EVP_PKEY) key = ks_test_key ();
  GPtrArray *ders = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  for (guint i = 0; i < count; i++)
    {
      g_autofree char *name = g_strdup_printf ("CA %u", i);

      g_ptr_array_add (ders, ks_make_cert (key, key, name, first_serial + i));
    }
  return ders;
}

/* A batch installing @ders[@from..@to) into @store. */
GPtrArray *
ks_batch_of (GPtrArray  *ders,
             guint       from,
             guint       to,
             const char *store)
{
  GPtrArray *batch = ks_cert_list ();

  for (guint i = from; i < to; i++)
    ks_add_cert (batch, store, "user", g_ptr_array_index (ders, i), NULL);
  return batch;
}
