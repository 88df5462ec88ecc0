/* test-provisioning-signature.c: signed provisioning files, over a PKI of
 * real OpenSSL certificates: a signer this computer trusts (through
 * cradle.conf's [Enrollment] TrustAnchors), one it does not, a file changed
 * after signing, a certificate not meant to sign, and an unsigned file
 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <openssl/pem.h>
#include <openssl/cms.h>

#include "revocation-test-pki.h"
#include "base/cradle-openssl-private.h"

#include "test-files.h"

typedef struct {
  char *home;
  char *user;
  Pki  *root;         /* named in TrustAnchors */
  Pki  *signer;       /* issued by root, code signing */
  Pki  *tls;          /* issued by root, a TLS server's */
  Pki  *other_root;   /* trusted by nobody here */
  Pki  *stranger;     /* issued by other_root, code signing */
} SigningFixture;

static char *
write_pem (SigningFixture    *f,
           const char *name,
           X509       *cert,
           EVP_PKEY   *key)
{
  char *path = g_build_filename (f->home, name, NULL);
  g_autoptr(BIO) bio = BIO_new_file (path, "w");

  g_assert_nonnull (bio);
  if (cert != NULL)
    g_assert_cmpint (PEM_write_bio_X509 (bio, cert), ==, 1);
  if (key != NULL)
    g_assert_cmpint (PEM_write_bio_PrivateKey (bio, key, NULL, NULL, 0, NULL, NULL), ==, 1);
  return path;
}

static void
fixture_set_up_signing (SigningFixture       *f,
                        gconstpointer  data)
{
  CertOptions code_signing = { .eku = "codeSigning" };
  CertOptions tls = { .eku = "serverAuth" };
  g_autofree char *system = NULL;
  g_autofree char *anchors = NULL;
  g_autofree char *conf = NULL;
  g_autofree char *conf_text = NULL;

  f->home = g_dir_make_tmp ("cradle-provisioning-signature-XXXXXX", NULL);
  g_assert_nonnull (f->home);
  f->user = g_build_filename (f->home, "user", NULL);
  system = g_build_filename (f->home, "system", NULL);
  g_setenv ("CRADLE_CONFIG_DIR", f->user, TRUE);
  g_setenv ("CRADLE_SYSTEM_CONFIG_DIR", system, TRUE);

  f->root = make_cert (NULL, "Corp Provisioning Root", TRUE, NULL);
  f->signer = make_cert (f->root, "Corp Provisioning Signer", FALSE, &code_signing);
  f->tls = make_cert (f->root, "ca01.corp.example", FALSE, &tls);
  f->other_root = make_cert (NULL, "Stranger Root", TRUE, NULL);
  f->stranger = make_cert (f->other_root, "Stranger Signer", FALSE, &code_signing);

  anchors = write_pem (f, "root.pem", f->root->cert, NULL);
  g_assert_cmpint (g_mkdir_with_parents (f->user, 0700), ==, 0);
  conf = g_build_filename (f->user, "cradle.conf", NULL);
  conf_text = g_strdup_printf ("[Enrollment]\nTrustAnchors=%s\n", anchors);
  g_assert_true (g_file_set_contents (conf, conf_text, -1, NULL));
}

static void
fixture_tear_down_signing (SigningFixture       *f,
                           gconstpointer  data)
{
  test_remove_tree (f->home);
  g_free (f->home);
  g_free (f->user);
  pki_free (f->root);
  pki_free (f->signer);
  pki_free (f->tls);
  pki_free (f->other_root);
  pki_free (f->stranger);
}

static const char document_text[] =
  "[Cradle Provisioning]\nVersion=1\n\n"
  "[Cradle Certificate Type]\nName=corp-user\nProtocol=certsrv\n"
  "URL=https://ca01.corp.example/certsrv\nTemplate=User\n";

static GBytes *
sign_with (SigningFixture    *f,
           Pki        *pki,
           const char *text)
{
  g_autofree char *cert = write_pem (f, "signer-cert.pem", pki->cert, NULL);
  g_autofree char *key = write_pem (f, "signer-key.pem", NULL, pki->key);
  g_autoptr(GBytes) document = g_bytes_new (text, strlen (text));
  g_autoptr(GError) error = NULL;
  GBytes *signed_document = cradle_provisioning_sign (document, cert, key, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (signed_document), >, 19);
  g_assert_cmpmem (g_bytes_get_data (signed_document, NULL), 19, "-----BEGIN CMS-----", 19);
  return signed_document;
}

static char *
sha256_of (X509 *cert)
{
  g_autoptr(GBytes) der = cert_der (cert);
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCertificate) certificate = cradle_certificate_new_from_der (der, &error);

  g_assert_no_error (error);
  return g_strdup (cradle_certificate_get_sha256 (certificate));
}

static void
test_trusted_signer (SigningFixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GBytes) signed_document = sign_with (f, f->signer, document_text);
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleProvisioning) provisioning = cradle_provisioning_new_from_bytes ("signed.cradle", signed_document,
                                                                                   &error);
  g_autofree char *sha256 = sha256_of (f->signer->cert);
  CradleCertificate *signer;

  g_assert_no_error (error);
  signer = cradle_provisioning_get_signer (provisioning);
  g_assert_nonnull (signer);
  g_assert_cmpstr (cradle_certificate_get_subject (signer), ==, "CN = Corp Provisioning Signer");
  g_assert_cmpstr (cradle_certificate_get_sha256 (signer), ==, sha256);
  g_assert_cmpuint (cradle_provisioning_get_drafts (provisioning)->len, ==, 1);
  g_assert_cmpstr (cradle_type_draft_get_name (g_ptr_array_index (cradle_provisioning_get_drafts (provisioning), 0)),
                   ==, "corp-user");
}

static void
test_trusted_signer_windows (SigningFixture       *f,
                             gconstpointer  data)
{
  static const char xml[] =
    "<wap-provisioningdoc>\n"
    "  <characteristic type=\"CertificateEnroller\">\n"
    "    <characteristic type=\"Configuration\">\n"
    "      <characteristic type=\"CRADLE_VPN\">\n"
    "        <parm name=\"ServerName\" value=\"ca01.corp.example\"/>\n"
    "        <parm name=\"Template\" value=\"CorpMobileVPN\"/>\n"
    "      </characteristic>\n"
    "    </characteristic>\n"
    "  </characteristic>\n"
    "</wap-provisioningdoc>\n";
  g_autoptr(GBytes) signed_document = sign_with (f, f->signer, xml);
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleProvisioning) provisioning = cradle_provisioning_new_from_bytes ("signed.xml", signed_document,
                                                                                   &error);

  g_assert_no_error (error);
  g_assert_cmpint (cradle_provisioning_get_format (provisioning), ==, CRADLE_PROVISIONING_FORMAT_WINDOWS);
  g_assert_nonnull (cradle_provisioning_get_signer (provisioning));
}

static void
test_untrusted_signer (SigningFixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GBytes) signed_document = sign_with (f, f->stranger, document_text);
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleProvisioning) provisioning = cradle_provisioning_new_from_bytes ("stranger.cradle", signed_document,
                                                                                   &error);
  g_autofree char *sha256 = sha256_of (f->stranger->cert);

  g_assert_null (provisioning);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  /* Who signed it, so the administrator can decide to trust them. */
  g_assert_nonnull (strstr (error->message, "CN = Stranger Signer"));
  g_assert_nonnull (strstr (error->message, sha256));
  g_assert_nonnull (strstr (error->message, "does not trust"));
  g_assert_nonnull (strstr (error->message, "TrustAnchors"));
}

static void
test_not_for_signing (SigningFixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GBytes) signed_document = sign_with (f, f->tls, document_text);
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleProvisioning) provisioning = cradle_provisioning_new_from_bytes ("tls.cradle", signed_document,
                                                                                   &error);

  g_assert_null (provisioning);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "not one for signing documents"));
}

/* The signed DER with its document changed: the URL now goes elsewhere. */
static GBytes *
tamper (GBytes *signed_document)
{
  g_autoptr(BIO) bio = BIO_new_mem_buf (g_bytes_get_data (signed_document, NULL),
                                        (int) g_bytes_get_size (signed_document));
  CMS_ContentInfo *cms = PEM_read_bio_CMS (bio, NULL, NULL, NULL);
  unsigned char *der = NULL;
  int size;
  guint8 *at;

  g_assert_nonnull (cms);
  size = i2d_CMS_ContentInfo (cms, &der);
  CMS_ContentInfo_free (cms);
  g_assert_cmpint (size, >, 0);
  at = memmem (der, (gsize) size, "ca01.corp", 9);
  g_assert_nonnull (at);
  memcpy (at, "ev1l.corp", 9);
  return cradle_openssl_take_der (der, size);
}

static void
test_tampered (SigningFixture       *f,
               gconstpointer  data)
{
  g_autoptr(GBytes) signed_document = sign_with (f, f->signer, document_text);
  g_autoptr(GBytes) changed = tamper (signed_document);
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleProvisioning) provisioning = cradle_provisioning_new_from_bytes ("tampered.p7", changed, &error);

  g_assert_null (provisioning);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "changed after it was signed"));
}

static void
test_unsigned (SigningFixture       *f,
               gconstpointer  data)
{
  g_autoptr(GBytes) document = g_bytes_new_static (document_text, strlen (document_text));
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleProvisioning) provisioning = cradle_provisioning_new_from_bytes ("plain.cradle", document, &error);

  g_assert_no_error (error);
  g_assert_null (cradle_provisioning_get_signer (provisioning));
}

static void
test_sign_refuses (SigningFixture       *f,
                   gconstpointer  data)
{
  g_autofree char *cert = write_pem (f, "cert.pem", f->signer->cert, NULL);
  g_autofree char *other_key = write_pem (f, "other-key.pem", NULL, f->stranger->key);
  g_autofree char *encrypted = g_build_filename (f->home, "encrypted-key.pem", NULL);
  g_autoptr(GBytes) document = g_bytes_new_static (document_text, strlen (document_text));
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) result = NULL;

  /* A key that is not the certificate's. */
  result = cradle_provisioning_sign (document, cert, other_key, &error);
  g_assert_null (result);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);

  /* An encrypted key: refused, never a passphrase prompt. */
  {
    g_autoptr(BIO) bio = BIO_new_file (encrypted, "w");

    g_assert_cmpint (PEM_write_bio_PrivateKey (bio, f->signer->key, EVP_aes_256_cbc (),
                                               (unsigned char *) "pass", 4, NULL, NULL), ==, 1);
  }
  result = cradle_provisioning_sign (document, cert, encrypted, &error);
  g_assert_null (result);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "not encrypted"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, SigningFixture, NULL, fixture_set_up_signing, func, fixture_tear_down_signing)
  ADD ("/provisioning/signature/trusted", test_trusted_signer);
  ADD ("/provisioning/signature/trusted-windows", test_trusted_signer_windows);
  ADD ("/provisioning/signature/untrusted", test_untrusted_signer);
  ADD ("/provisioning/signature/not-for-signing", test_not_for_signing);
  ADD ("/provisioning/signature/tampered", test_tampered);
  ADD ("/provisioning/signature/unsigned", test_unsigned);
  ADD ("/provisioning/signature/sign-refuses", test_sign_refuses);
#undef ADD
  return g_test_run ();
}
