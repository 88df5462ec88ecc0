/* test-cert-file.c: PFX/P12, CER and P7B files onto a real cradle-agent
 *
 * The files are made at test time, by OpenSSL in the test and by the
 * `openssl` command (PKCS#12 with modern and legacy encryption, P7B), never
 * checked in.
 */
#include "config.h"

#include <string.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <cradle/cradle.h>

#include "agent-fixture.h"
#include "base/cradle-openssl-private.h"
#include "protocol/cradle-der-private.h"
#include "test-files.h"

#define PASSWORD "Correct horse 7!"

typedef struct {
  AgentFixture agent;
  char        *dir;      /* where the files are made */
  EVP_PKEY    *root_key;
  EVP_PKEY    *ca_key;
  EVP_PKEY    *key;
  GBytes      *root;
  GBytes      *ca;
  GBytes      *leaf;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("cradle-cert-file-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->root_key = test_key_new ();
  fixture->ca_key = test_key_new ();
  fixture->key = test_key_new ();
  fixture->root = test_cert ("File Test Root", fixture->root_key, "File Test Root", fixture->root_key, TRUE);
  fixture->ca = test_cert ("File Test CA", fixture->ca_key, "File Test Root", fixture->root_key, TRUE);
  fixture->leaf = test_cert ("File Test User", fixture->key, "File Test CA", fixture->ca_key, FALSE);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  agent_fixture_stop (&fixture->agent);
  test_remove_tree (fixture->dir);
  g_free (fixture->dir);
  EVP_PKEY_free (fixture->root_key);
  EVP_PKEY_free (fixture->ca_key);
  EVP_PKEY_free (fixture->key);
  g_bytes_unref (fixture->root);
  g_bytes_unref (fixture->ca);
  g_bytes_unref (fixture->leaf);
}

static char *
path_in (Fixture    *fixture,
         const char *name)
{
  return g_build_filename (fixture->dir, name, NULL);
}

static void
append_pem (GString *text,
            GBytes  *der)
{
  const guint8 *p = g_bytes_get_data (der, NULL);
  g_autoptr(X509) x509 = d2i_X509 (NULL, &p, (long) g_bytes_get_size (der));
  g_autoptr(BIO) bio = BIO_new (BIO_s_mem ());
  char *data = NULL;
  long size;

  g_assert_nonnull (x509);
  g_assert_true (PEM_write_bio_X509 (bio, x509));
  size = BIO_get_mem_data (bio, &data);
  g_string_append_len (text, data, size);
}

/* @first and the rest: DER certificates, as one PEM file. */
static char *
write_pem_certs (Fixture    *fixture,
                 const char *name,
                 GBytes     *first,
                 ...)
{
  g_autoptr(GString) text = g_string_new (NULL);
  char *path = path_in (fixture, name);
  g_autoptr(GError) error = NULL;
  va_list args;

  va_start (args, first);
  for (GBytes *der = first; der != NULL; der = va_arg (args, GBytes *))
    append_pem (text, der);
  va_end (args);
  g_file_set_contents (path, text->str, (gssize) text->len, &error);
  g_assert_no_error (error);
  return path;
}

static char *
write_pem_key (Fixture  *fixture,
               EVP_PKEY *key)
{
  char *path = path_in (fixture, "key.pem");
  g_autoptr(BIO) bio = BIO_new_file (path, "w");

  g_assert_nonnull (bio);
  g_assert_true (PEM_write_bio_PrivateKey (bio, key, NULL, NULL, 0, NULL, NULL));
  return path;
}

/* Runs the openssl command; FALSE when it failed (its words in the log). */
static gboolean
run_openssl (const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_ptr_array_add (argv, (gpointer) "openssl");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, &error))
    {
      g_test_message ("openssl: %s", error->message);
      return FALSE;
    }
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_test_message ("openssl %s: %s", args[0], err);
      return FALSE;
    }
  return TRUE;
}

static GBytes *
read_file (const char *path)
{
  g_autoptr(GError) error = NULL;
  GBytes *data = cradle_cert_file_load (path, &error);

  g_assert_no_error (error);
  return data;
}

/* A PFX of the fixture's key, leaf, CA and root, as `openssl pkcs12 -export`
 * writes it (@extra: "-legacy", "-nokeys" or NULL). */
static GBytes *
make_pfx (Fixture    *fixture,
          const char *extra)
{
  g_autofree char *key = write_pem_key (fixture, fixture->key);
  g_autofree char *leaf = write_pem_certs (fixture, "leaf.pem", fixture->leaf, NULL);
  g_autofree char *chain = write_pem_certs (fixture, "chain.pem", fixture->ca, fixture->root, NULL);
  g_autofree char *password = path_in (fixture, "password");
  g_autofree char *passout = g_strconcat ("file:", password, NULL);
  g_autofree char *out = path_in (fixture, "file.pfx");
  const char *args[] = { "pkcs12", "-export", "-in", leaf, "-inkey", key, "-certfile", chain,
                         "-passout", passout, "-out", out, extra, NULL };
  g_autoptr(GError) error = NULL;

  g_file_set_contents (password, PASSWORD "\n", -1, &error);
  g_assert_no_error (error);
  if (extra != NULL && g_str_equal (extra, "-nokeys"))
    {
      /* No key: no -inkey. */
      args[4] = "-nokeys";
      args[5] = "-noenc";
      args[12] = NULL;
    }
  if (!run_openssl (args))
    return NULL;
  return read_file (out);
}

static GPtrArray *
list (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *certs = cradle_device_list_certs (fixture->agent.device, NULL, NULL, NULL, &error);

  g_assert_no_error (error);
  return certs;
}

static CradleDeviceCert *
find (GPtrArray *certs,
      GBytes    *der)
{
  for (guint i = 0; i < certs->len; i++)
    if (g_bytes_equal (cradle_device_cert_get_der (g_ptr_array_index (certs, i)), der))
      return g_ptr_array_index (certs, i);
  return NULL;
}

static guint
count_keys (Fixture *fixture)
{
  g_autofree char *folder = g_build_filename (fixture->agent.store, "keys", NULL);
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  guint count = 0;
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".key"))
      count++;
  return count;
}

/* The file's certificates in its roles' order, and all three on the device
 * in their stores, the leaf bound to its imported key. */
static void
check_pfx_installed (Fixture *fixture,
                     GBytes  *data)
{
  g_autoptr(CradleCertFile) file = NULL;
  g_autoptr(GPtrArray) certs = NULL;
  CradleDeviceCert *cert;
  g_autoptr(GError) error = NULL;
  guint added = 0;

  g_assert_true (cradle_cert_file_needs_password (data));
  file = cradle_cert_file_new ("user.pfx", data, PASSWORD, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cradle_cert_file_get_format (file), ==, CRADLE_CERT_FILE_PFX);
  g_assert_true (cradle_cert_file_has_key (file));
  g_assert_cmpuint (cradle_cert_file_get_certificates (file)->len, ==, 3);
  g_assert_cmpint (cradle_cert_file_get_role (file, 0), ==, CRADLE_CERT_ROLE_END_ENTITY);
  g_assert_cmpint (cradle_cert_file_get_role (file, 1), ==, CRADLE_CERT_ROLE_CA);
  g_assert_cmpint (cradle_cert_file_get_role (file, 2), ==, CRADLE_CERT_ROLE_ROOT);
  g_assert_true (g_bytes_equal (cradle_certificate_get_der (g_ptr_array_index (cradle_cert_file_get_certificates (file), 0)),
                                fixture->leaf));

  g_assert_true (cradle_cert_file_install (file, fixture->agent.device, NULL, &added, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (added, ==, 3);
  g_assert_false (cradle_cert_file_has_key (file));

  certs = list (fixture);
  cert = find (certs, fixture->leaf);
  g_assert_nonnull (cert);
  g_assert_cmpstr (cradle_device_cert_get_store (cert), ==, "MY");
  g_assert_nonnull (cradle_device_cert_get_key_id (cert));
  g_assert_cmpint (cradle_device_cert_get_key_origin (cert), ==, CRADLE_DEVICE_KEY_ORIGIN_IMPORTED);
  g_assert_cmpstr (cradle_device_cert_get_store (find (certs, fixture->ca)), ==, "CA");
  g_assert_cmpstr (cradle_device_cert_get_store (find (certs, fixture->root)), ==, "Root");
  g_assert_cmpuint (count_keys (fixture), ==, 1);
}

static void
test_pfx_modern (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GBytes) pfx = make_pfx (fixture, NULL);
  g_autoptr(CradleCertFile) again = NULL;
  g_autoptr(GError) error = NULL;
  guint added = 99;

  g_assert_nonnull (pfx);
  agent_fixture_start (&fixture->agent, "--confirm=approve", NULL);
  check_pfx_installed (fixture, pfx);

  /* The same file again changes nothing, and imports no second key. */
  again = cradle_cert_file_new ("user.pfx", pfx, PASSWORD, &error);
  g_assert_no_error (error);
  g_assert_true (cradle_cert_file_install (again, fixture->agent.device, NULL, &added, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (added, ==, 0);
  g_assert_false (cradle_cert_file_has_key (again));
  g_assert_cmpuint (count_keys (fixture), ==, 1);
}

static void
test_pfx_legacy (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GBytes) pfx = make_pfx (fixture, "-legacy");

  if (pfx == NULL)
    {
      g_test_skip ("this openssl command cannot write legacy PKCS#12 (no legacy provider)");
      return;
    }
  agent_fixture_start (&fixture->agent, "--confirm=approve", NULL);
  check_pfx_installed (fixture, pfx);

  /* The file needs the legacy provider, and the reader left it loaded
   * nowhere: the program's own OpenSSL context still cannot read it. */
  {
    const guint8 *p = g_bytes_get_data (pfx, NULL);
    PKCS12 *p12 = d2i_PKCS12 (NULL, &p, (long) g_bytes_get_size (pfx));
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    STACK_OF (X509) *chain = NULL;

    g_assert_nonnull (p12);
    g_assert_false (PKCS12_parse (p12, PASSWORD, &key, &cert, &chain));
    ERR_clear_error ();
    EVP_PKEY_free (key);
    X509_free (cert);
    sk_X509_pop_free (chain, X509_free);
    PKCS12_free (p12);
  }
}

static void
test_pfx_wrong_password (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GBytes) pfx = make_pfx (fixture, NULL);
  g_autoptr(CradleCertFile) file = NULL;
  g_autoptr(GError) error = NULL;

  file = cradle_cert_file_new ("user.pfx", pfx, "not the password", &error);
  g_assert_null (file);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED);
  g_assert_nonnull (strstr (error->message, "password for user.pfx is wrong"));
  g_assert_null (strstr (error->message, "not the password"));
  g_clear_error (&error);
  file = cradle_cert_file_new ("user.pfx", pfx, NULL, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED);
}

static void
test_pfx_no_key (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GBytes) pfx = make_pfx (fixture, "-nokeys");
  g_autoptr(CradleCertFile) file = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (pfx);
  file = cradle_cert_file_new ("certs-only.pfx", pfx, PASSWORD, &error);
  g_assert_null (file);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "holds no private key"));
}

/* The openssl command will not put a key with another's certificate, so
 * the test puts the bags together itself. */
static void
test_pfx_key_mismatch (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(EVP_PKEY) stranger = test_key_new ();
  const guint8 *p = g_bytes_get_data (fixture->leaf, NULL);
  g_autoptr(X509) leaf = d2i_X509 (NULL, &p, (long) g_bytes_get_size (fixture->leaf));
  STACK_OF (PKCS12_SAFEBAG) *bags = NULL;
  STACK_OF (PKCS7) *safes = NULL;
  PKCS12 *p12;
  unsigned char *der = NULL;
  int size;
  g_autoptr(GBytes) pfx = NULL;
  g_autoptr(CradleCertFile) file = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (PKCS12_add_cert (&bags, leaf));
  g_assert_nonnull (PKCS12_add_key (&bags, stranger, 0, PKCS12_DEFAULT_ITER, NID_aes_256_cbc, PASSWORD));
  g_assert_true (PKCS12_add_safe (&safes, bags, -1, 0, NULL));
  p12 = PKCS12_add_safes (safes, 0);
  g_assert_nonnull (p12);
  g_assert_true (PKCS12_set_mac (p12, PASSWORD, -1, NULL, 0, PKCS12_DEFAULT_ITER, NULL));
  size = i2d_PKCS12 (p12, &der);
  g_assert_cmpint (size, >, 0);
  pfx = cradle_openssl_take_der (der, size);
  PKCS12_free (p12);
  sk_PKCS7_pop_free (safes, PKCS7_free);
  sk_PKCS12_SAFEBAG_pop_free (bags, PKCS12_SAFEBAG_free);

  file = cradle_cert_file_new ("mixed-up.pfx", pfx, PASSWORD, &error);
  g_assert_null (file);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "does not match any certificate"));
}

/* A file asking for five billion rounds of password hashing would stall
 * the reader for hours: refused before any hashing. */
static void
test_pfx_stalling_iterations (Fixture       *fixture,
                              gconstpointer  data)
{
  const guint8 *p = g_bytes_get_data (fixture->leaf, NULL);
  g_autoptr(X509) leaf = d2i_X509 (NULL, &p, (long) g_bytes_get_size (fixture->leaf));
  PKCS12 *p12 = PKCS12_create (PASSWORD, "user", fixture->key, leaf, NULL, 0, 0, 2048, 2048, 0);
  const ASN1_INTEGER *iterations = NULL;
  unsigned char *der = NULL;
  int size;
  g_autoptr(GBytes) pfx = NULL;
  g_autoptr(CradleCertFile) file = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (p12);
  PKCS12_get0_mac (NULL, NULL, NULL, &iterations, p12);
  g_assert_nonnull (iterations);
  g_assert_true (ASN1_INTEGER_set_int64 ((ASN1_INTEGER *) iterations, G_GINT64_CONSTANT (5000000000)));
  size = i2d_PKCS12 (p12, &der);
  g_assert_cmpint (size, >, 0);
  pfx = cradle_openssl_take_der (der, size);
  PKCS12_free (p12);

  file = cradle_cert_file_new ("stall.pfx", pfx, PASSWORD, &error);
  g_assert_null (file);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "rounds of password hashing"));
}

/* A key the device cannot hold (RSA 1024, Ed25519): the file reads, the
 * device refuses the key, and nothing of the file stays. */
static void
test_pfx_unsupported_key (Fixture       *fixture,
                          gconstpointer  data)
{
  EVP_PKEY *keys[] = { EVP_RSA_gen (1024), EVP_PKEY_Q_keygen (NULL, NULL, "ED25519") };

  agent_fixture_start (&fixture->agent, "--confirm=approve", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autoptr(GBytes) cert = test_cert ("Odd Key", keys[i], "File Test CA", fixture->ca_key, FALSE);
      const guint8 *p = g_bytes_get_data (cert, NULL);
      g_autoptr(X509) x509 = d2i_X509 (NULL, &p, (long) g_bytes_get_size (cert));
      PKCS12 *p12 = PKCS12_create (PASSWORD, "odd", keys[i], x509, NULL, 0, 0, 2048, 2048, 0);
      unsigned char *der = NULL;
      int size = i2d_PKCS12 (p12, &der);
      g_autoptr(GBytes) pfx = cradle_openssl_take_der (der, size);
      g_autoptr(CradleCertFile) file = NULL;
      g_autoptr(GPtrArray) certs = NULL;
      g_autoptr(GError) error = NULL;

      PKCS12_free (p12);
      file = cradle_cert_file_new ("odd.pfx", pfx, PASSWORD, &error);
      g_assert_no_error (error);
      g_assert_false (cradle_cert_file_install (file, fixture->agent.device, NULL, NULL, NULL, &error));
      g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED);
      g_assert_nonnull (strstr (error->message, "keys only"));
      certs = list (fixture);
      g_assert_cmpuint (certs->len, ==, 0);
      g_assert_cmpuint (count_keys (fixture), ==, 0);
      EVP_PKEY_free (keys[i]);
    }
}

/* A damaged file, cut short or not a certificate file at all: said so. */
static void
test_damaged (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GBytes) pfx = make_pfx (fixture, NULL);
  g_autoptr(GBytes) cut = g_bytes_new_from_bytes (pfx, 0, g_bytes_get_size (pfx) - 40);
  g_autoptr(GBytes) text = g_bytes_new_static ("hello, not a certificate\n", 25);
  g_autoptr(GBytes) leaf_cut = g_bytes_new_from_bytes (fixture->leaf, 0, g_bytes_get_size (fixture->leaf) - 1);
  g_autoptr(CradleCertFile) file = NULL;
  g_autoptr(GError) error = NULL;

  file = cradle_cert_file_new ("cut.pfx", cut, PASSWORD, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  file = cradle_cert_file_new ("text.cer", text, NULL, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  file = cradle_cert_file_new ("cut.cer", leaf_cut, NULL, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_null (file);
}

/* A CA certificate as PEM, a root as DER: each to its store. */
static void
test_cer_pem_and_der (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *pem = write_pem_certs (fixture, "ca.cer", fixture->ca, NULL);
  g_autoptr(GBytes) pem_data = read_file (pem);
  g_autoptr(CradleCertFile) ca_file = NULL;
  g_autoptr(CradleCertFile) root_file = NULL;
  g_autoptr(GPtrArray) certs = NULL;
  g_autoptr(GError) error = NULL;
  guint added = 0;

  agent_fixture_start (&fixture->agent, "--confirm=approve", NULL);
  g_assert_false (cradle_cert_file_needs_password (pem_data));
  ca_file = cradle_cert_file_new ("ca.cer", pem_data, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cradle_cert_file_get_format (ca_file), ==, CRADLE_CERT_FILE_CER);
  g_assert_cmpint (cradle_cert_file_get_role (ca_file, 0), ==, CRADLE_CERT_ROLE_CA);
  g_assert_true (cradle_cert_file_install (ca_file, fixture->agent.device, NULL, &added, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (added, ==, 1);

  g_assert_false (cradle_cert_file_needs_password (fixture->root));
  root_file = cradle_cert_file_new ("root.cer", fixture->root, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cradle_cert_file_get_format (root_file), ==, CRADLE_CERT_FILE_CER);
  g_assert_cmpint (cradle_cert_file_get_role (root_file, 0), ==, CRADLE_CERT_ROLE_ROOT);
  g_assert_true (cradle_cert_file_install (root_file, fixture->agent.device, NULL, &added, NULL, &error));
  g_assert_no_error (error);

  certs = list (fixture);
  g_assert_cmpstr (cradle_device_cert_get_store (find (certs, fixture->ca)), ==, "CA");
  g_assert_cmpstr (cradle_device_cert_get_store (find (certs, fixture->root)), ==, "Root");
  g_assert_null (cradle_device_cert_get_key_id (find (certs, fixture->ca)));
}

static GBytes *
make_p7b (Fixture    *fixture,
          const char *form,
          GBytes     *first,
          ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *out = path_in (fixture, "file.p7b");
  va_list list_args;
  guint n = 0;

  g_ptr_array_add (args, g_strdup ("crl2pkcs7"));
  g_ptr_array_add (args, g_strdup ("-nocrl"));
  va_start (list_args, first);
  for (GBytes *der = first; der != NULL; der = va_arg (list_args, GBytes *))
    {
      g_autofree char *name = g_strdup_printf ("p7b-%u.pem", n++);
      g_autofree char *pem = write_pem_certs (fixture, name, der, NULL);

      g_ptr_array_add (args, g_strdup ("-certfile"));
      g_ptr_array_add (args, g_steal_pointer (&pem));
    }
  va_end (list_args);
  g_ptr_array_add (args, g_strdup ("-outform"));
  g_ptr_array_add (args, g_strdup (form));
  g_ptr_array_add (args, g_strdup ("-out"));
  g_ptr_array_add (args, g_strdup (out));
  g_ptr_array_add (args, NULL);
  g_assert_true (run_openssl ((const char * const *) args->pdata));
  return read_file (out);
}

/* Root, CA and an end-entity certificate whose key the device made: each
 * to its store, the leaf bound to the device's key, in PEM and in DER. */
static void
test_p7b_mixed_roles (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(EVP_PKEY) device_key = NULL;
  g_autoptr(GBytes) leaf = NULL;
  g_autoptr(GBytes) der_p7b = NULL;
  g_autoptr(GBytes) pem_p7b = NULL;
  g_autoptr(CradleCertFile) file = NULL;
  g_autoptr(CradleCertFile) pem_file = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) certs = NULL;
  CradleDeviceCert *cert;
  g_autoptr(GError) error = NULL;
  guint added = 0;

  agent_fixture_start (&fixture->agent, "--confirm=approve", NULL);
  key_id = cradle_device_generate_key (fixture->agent.device, "p256", "test", &spki, NULL, &error);
  g_assert_no_error (error);
  device_key = test_public_key_from_der (spki);
  leaf = test_cert ("Device User", device_key, "File Test CA", fixture->ca_key, FALSE);
  g_ptr_array_add (batch, cradle_device_cert_new ("MY", "user", leaf, key_id));
  g_assert_true (cradle_device_install (fixture->agent.device, batch, NULL, NULL, &error));
  g_assert_no_error (error);

  der_p7b = make_p7b (fixture, "DER", fixture->root, leaf, fixture->ca, NULL);
  file = cradle_cert_file_new ("chain.p7b", der_p7b, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cradle_cert_file_get_format (file), ==, CRADLE_CERT_FILE_P7B);
  g_assert_false (cradle_cert_file_has_key (file));
  g_assert_cmpuint (cradle_cert_file_get_certificates (file)->len, ==, 3);
  g_assert_cmpint (cradle_cert_file_get_role (file, 0), ==, CRADLE_CERT_ROLE_END_ENTITY);
  g_assert_cmpint (cradle_cert_file_get_role (file, 1), ==, CRADLE_CERT_ROLE_CA);
  g_assert_cmpint (cradle_cert_file_get_role (file, 2), ==, CRADLE_CERT_ROLE_ROOT);
  g_assert_true (cradle_cert_file_install (file, fixture->agent.device, NULL, &added, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (added, ==, 2);

  certs = list (fixture);
  cert = find (certs, leaf);
  g_assert_true (g_bytes_equal (cradle_device_cert_get_key_id (cert), key_id));
  g_assert_cmpint (cradle_device_cert_get_key_origin (cert), ==, CRADLE_DEVICE_KEY_ORIGIN_GENERATED);
  g_assert_cmpstr (cradle_device_cert_get_store (find (certs, fixture->ca)), ==, "CA");
  g_assert_cmpstr (cradle_device_cert_get_store (find (certs, fixture->root)), ==, "Root");

  pem_p7b = make_p7b (fixture, "PEM", fixture->ca, fixture->root, NULL);
  pem_file = cradle_cert_file_new ("chain-pem.p7b", pem_p7b, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cradle_cert_file_get_format (pem_file), ==, CRADLE_CERT_FILE_P7B);
  g_assert_cmpuint (cradle_cert_file_get_certificates (pem_file)->len, ==, 2);
}

/* A CertificationRequest the device signed for its own key, as an
 * enrollment records it before the CA answers. */
static GBytes *
device_request (CradleDevice *device,
                GBytes       *key_id,
                EVP_PKEY     *public_key)
{
  static const guint8 ecdsa_sha256[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
  g_autoptr(GBytes) info = test_request_info (public_key, "Pending User");
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GByteArray) body = g_byte_array_new ();
  GByteArray *csr = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  guint8 unused = 0;

  signature = cradle_device_sign_request (device, key_id, info, "sha256", NULL, NULL, &error);
  g_assert_no_error (error);
  g_byte_array_append (body, g_bytes_get_data (info, NULL), g_bytes_get_size (info));
  g_byte_array_append (body, ecdsa_sha256, sizeof ecdsa_sha256);
  cradle_der_append_header (body, CRADLE_DER_BIT_STRING, g_bytes_get_size (signature) + 1);
  g_byte_array_append (body, &unused, 1);
  g_byte_array_append (body, g_bytes_get_data (signature, NULL), g_bytes_get_size (signature));
  cradle_der_append_header (csr, CRADLE_DER_SEQUENCE, body->len);
  g_byte_array_append (csr, body->data, body->len);
  return g_byte_array_free_to_bytes (csr);
}

/* The CA's certificate for a request still waiting, handed over as a P7B:
 * found through the pending store, bound to the key the device made for
 * that request, and the request is done. */
static void
test_p7b_for_pending_request (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autofree char *path = path_in (fixture, "requests.sqlite");
  g_autoptr(CradlePendingStore) store = NULL;
  g_autoptr(CradlePendingRequest) request = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) csr = NULL;
  g_autoptr(EVP_PKEY) device_key = NULL;
  g_autoptr(GBytes) leaf = NULL;
  g_autoptr(GBytes) p7b = NULL;
  g_autoptr(CradleCertFile) file = NULL;
  g_autoptr(GPtrArray) certs = NULL;
  g_autoptr(GError) error = NULL;
  gint64 id;

  agent_fixture_start (&fixture->agent, "--confirm=approve", NULL);
  key_id = cradle_device_generate_key (fixture->agent.device, "p256", "test", &spki, NULL, &error);
  g_assert_no_error (error);
  device_key = test_public_key_from_der (spki);
  csr = device_request (fixture->agent.device, key_id, device_key);
  store = cradle_pending_store_open (path, &error);
  g_assert_no_error (error);
  id = cradle_pending_store_add (store, "certsrv", "https://ca.invalid/certsrv", "User",
                                 cradle_device_get_serial (fixture->agent.device), key_id, csr, &error);
  g_assert_no_error (error);
  leaf = test_cert ("Pending User", device_key, "File Test CA", fixture->ca_key, FALSE);
  p7b = make_p7b (fixture, "DER", leaf, fixture->ca, NULL);
  file = cradle_cert_file_new ("issued.p7b", p7b, NULL, &error);
  g_assert_no_error (error);

  /* Without the pending store the key cannot be found: a made key is in no list. */
  g_assert_false (cradle_cert_file_install (file, fixture->agent.device, NULL, NULL, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_true (cradle_cert_file_install (file, fixture->agent.device, store, NULL, NULL, &error));
  g_assert_no_error (error);
  certs = list (fixture);
  g_assert_true (g_bytes_equal (cradle_device_cert_get_key_id (find (certs, leaf)), key_id));
  g_assert_cmpint (cradle_device_cert_get_key_origin (find (certs, leaf)), ==, CRADLE_DEVICE_KEY_ORIGIN_GENERATED);
  request = cradle_pending_store_get (store, id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cradle_pending_request_get_status (request), ==, CRADLE_PENDING_STATUS_INSTALLED);
}

/* An end-entity certificate with no key on the device: refused, nothing
 * installed, not even the CA beside it. */
static void
test_p7b_end_entity_without_key (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autoptr(GBytes) p7b = make_p7b (fixture, "DER", fixture->leaf, fixture->ca, NULL);
  g_autoptr(CradleCertFile) file = NULL;
  g_autoptr(GPtrArray) certs = NULL;
  g_autoptr(GError) error = NULL;

  agent_fixture_start (&fixture->agent, "--confirm=approve", NULL);
  file = cradle_cert_file_new ("lonely.p7b", p7b, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (cradle_cert_file_install (file, fixture->agent.device, NULL, NULL, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "holds no key for it"));
  certs = list (fixture);
  g_assert_cmpuint (certs->len, ==, 0);
}

/* The device's user declines the PFX's root: nothing of the file stays,
 * neither the certificates nor the imported key. */
static void
test_root_declined_leaves_nothing (Fixture       *fixture,
                                   gconstpointer  data)
{
  g_autoptr(GBytes) pfx = make_pfx (fixture, NULL);
  g_autoptr(CradleCertFile) file = NULL;
  g_autoptr(GPtrArray) certs = NULL;
  g_autoptr(GError) error = NULL;

  agent_fixture_start (&fixture->agent, "--confirm=approve", "--confirm-root=decline", NULL);
  file = cradle_cert_file_new ("user.pfx", pfx, PASSWORD, &error);
  g_assert_no_error (error);
  g_assert_false (cradle_cert_file_install (file, fixture->agent.device, NULL, NULL, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_USER_DECLINED);
  g_assert_nonnull (strstr (error->message, "nothing of it"));
  g_assert_false (cradle_cert_file_has_key (file));
  certs = list (fixture);
  g_assert_cmpuint (certs->len, ==, 0);
  g_assert_cmpuint (count_keys (fixture), ==, 0);
}

/* The import itself declined: nothing either. */
static void
test_import_declined_leaves_nothing (Fixture       *fixture,
                                     gconstpointer  data)
{
  g_autoptr(GBytes) pfx = make_pfx (fixture, NULL);
  g_autoptr(CradleCertFile) file = NULL;
  g_autoptr(GPtrArray) certs = NULL;
  g_autoptr(GError) error = NULL;

  agent_fixture_start (&fixture->agent, "--confirm=approve", "--confirm-import=decline", NULL);
  file = cradle_cert_file_new ("user.pfx", pfx, PASSWORD, &error);
  g_assert_no_error (error);
  g_assert_false (cradle_cert_file_install (file, fixture->agent.device, NULL, NULL, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_USER_DECLINED);
  certs = list (fixture);
  g_assert_cmpuint (certs->len, ==, 0);
  g_assert_cmpuint (count_keys (fixture), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/cert-file/pfx-modern", test_pfx_modern);
  ADD ("/cert-file/pfx-legacy", test_pfx_legacy);
  ADD ("/cert-file/pfx-wrong-password", test_pfx_wrong_password);
  ADD ("/cert-file/pfx-no-key", test_pfx_no_key);
  ADD ("/cert-file/pfx-key-mismatch", test_pfx_key_mismatch);
  ADD ("/cert-file/pfx-stalling-iterations", test_pfx_stalling_iterations);
  ADD ("/cert-file/pfx-unsupported-key", test_pfx_unsupported_key);
  ADD ("/cert-file/damaged", test_damaged);
  ADD ("/cert-file/cer-pem-and-der", test_cer_pem_and_der);
  ADD ("/cert-file/p7b-mixed-roles", test_p7b_mixed_roles);
  ADD ("/cert-file/p7b-end-entity-without-key", test_p7b_end_entity_without_key);
  ADD ("/cert-file/p7b-for-pending-request", test_p7b_for_pending_request);
  ADD ("/cert-file/root-declined-leaves-nothing", test_root_declined_leaves_nothing);
  ADD ("/cert-file/import-declined-leaves-nothing", test_import_declined_leaves_nothing);
#undef ADD
  return g_test_run ();
}
