/* test-scep-ca.c: what a SCEP CA says of itself, without a network
 *
 * GetCACaps answers read, and GetCACert answers (one certificate, or a
 * degenerate PKCS#7 of the RA and CA certificates) read and refused, and
 * the recipient a request is encrypted to chosen among them: the host's
 * side (core/ca/scep/) against a CA made in the test (scep-test-ca.c).
 */
#include "config.h"

#include <string.h>
#include <openssl/x509v3.h>
#include <cradle/cradle.h>

#include "ca/scep/cradle-scep-private.h"
#include "scep-test-ca.h"

/* GetCACaps */

static void
test_caps (void)
{
  struct {
    const char *text;
    gboolean    post;
    const char *digest;
    const char *cipher;
  } good[] = {
    { "Renewal\nSHA-1\nSHA-256\nAES\nDES3\nSCEPStandard\nPOSTPKIOperation\n", TRUE, "sha256", "aes-128-cbc" },
    { "scepstandard", TRUE, "sha256", "aes-128-cbc" },
    { "  aes \r\n sha-512\r\n", FALSE, "sha512", "aes-128-cbc" },
    { "DES3\nSHA-384\nPOSTPKIOperation", TRUE, "sha384", "des-ede3-cbc" },
    { "DES3\nSHA-1\n", FALSE, "sha256", "des-ede3-cbc" },
    { "AES\nDES3\nGetNextCACert\nSomethingNew\n", FALSE, "sha256", "aes-128-cbc" },
  };
  const char *refused[] = { "", "SHA-256\nPOSTPKIOperation\n", "DES\nSHA-1\n" };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GBytes) body = g_bytes_new_static (good[i].text, strlen (good[i].text));
      g_autoptr(GError) error = NULL;
      g_autoptr(CradleScepCaps) caps = cradle_scep_caps_parse (body, &error);

      g_assert_no_error (error);
      g_assert_cmpint (caps->post, ==, good[i].post);
      g_assert_cmpstr (caps->digest, ==, good[i].digest);
      g_assert_cmpstr (caps->cipher, ==, good[i].cipher);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(GBytes) body = g_bytes_new_static (refused[i], strlen (refused[i]));
      g_autoptr(GError) error = NULL;

      g_assert_null (cradle_scep_caps_parse (body, &error));
      g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED);
      g_assert_nonnull (strstr (error->message, "single DES"));
    }
  {
    g_autofree char *big = g_strnfill (CRADLE_SCEP_MAX_CAPS_SIZE + 1, 'A');
    g_autoptr(GBytes) oversized = g_bytes_new_static (big, strlen (big));
    g_autoptr(GBytes) binary = g_bytes_new_static ("AES\0\xff\xfe", 6);
    g_autoptr(GError) error = NULL;

    g_assert_null (cradle_scep_caps_parse (oversized, &error));
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
    g_clear_error (&error);
    g_assert_null (cradle_scep_caps_parse (binary, &error));
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  }
}

/* GetCACert */

static GBytes *
one_der (X509 *cert)
{
  unsigned char *der = NULL;
  int size = i2d_X509 (cert, &der);
  GBytes *bytes;

  g_assert_cmpint (size, >, 0);
  bytes = g_bytes_new (der, size);
  OPENSSL_free (der);
  return bytes;
}

static void
assert_ca_refused (const char *content_type,
                   GBytes     *body,
                   int         code,
                   const char *words)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (cradle_scep_ca_parse (content_type, body, &error));
  g_assert_error (error, CRADLE_ERROR, code);
  if (words != NULL && strstr (error->message, words) == NULL)
    g_error ("'%s' does not say '%s'", error->message, words);
}

/* A CA/RA bundle of @count certificates, read as GetCACert's answer. */
static CradleScepCa *
parse_bundle (X509 **certs,
              gsize  count)
{
  g_autoptr(GBytes) bundle = test_scep_ca_bundle (certs, count);
  g_autoptr(GError) error = NULL;
  CradleScepCa *scep_ca = cradle_scep_ca_parse ("Application/X-X509-CA-RA-Cert", bundle, &error);

  g_assert_no_error (error);
  return scep_ca;
}

static gboolean
among (STACK_OF (X509) *certs,
       X509            *cert)
{
  for (int i = 0; i < sk_X509_num (certs); i++)
    if (X509_cmp (sk_X509_value (certs, i), cert) == 0)
      return TRUE;
  return FALSE;
}

static void
test_ca_certificates (void)
{
  g_autoptr(TestScepCa) ca = test_scep_ca_new ("CA with RAs");
  g_autoptr(GBytes) ca_der = test_scep_ca_der (ca);
  g_autoptr(GError) error = NULL;
  g_autoptr(TestScepCa) signing_ra = test_scep_ca_make_cert (ca, "RA signing", FALSE,
                                                             "critical,digitalSignature",
                                                             TEST_SCEP_EKU_REQUEST_AGENT, TRUE);
  g_autoptr(TestScepCa) encrypting_ra = test_scep_ca_make_cert (ca, "RA encryption", FALSE,
                                                                "critical,keyEncipherment",
                                                                TEST_SCEP_EKU_REQUEST_AGENT, TRUE);
  g_autoptr(TestScepCa) ec_ra = test_scep_ca_make_cert (ca, "RA EC", FALSE, "critical,keyEncipherment",
                                                        TEST_SCEP_EKU_CMC_RA, FALSE);
  g_autoptr(TestScepCa) ec_ca = test_scep_ca_make_cert (NULL, "EC CA", TRUE, "critical,keyCertSign,cRLSign",
                                                        NULL, FALSE);

  /* One certificate: the CA, whatever its key usage says; it alone signs CertReps. */
  {
    g_autoptr(CradleScepCa) scep_ca = cradle_scep_ca_parse ("application/x-x509-ca-cert", ca_der, &error);
    g_autoptr(GPtrArray) chain = NULL;

    g_assert_no_error (error);
    g_assert_true (scep_ca->recipient == scep_ca->issuer);
    g_assert_cmpint (sk_X509_num (scep_ca->signers), ==, 1);
    g_assert_true (among (scep_ca->signers, ca->cert));
    chain = cradle_scep_ca_dup_chain (scep_ca);
    g_assert_cmpuint (chain->len, ==, 1);
    g_assert_true (g_bytes_equal (cradle_certificate_get_der (g_ptr_array_index (chain, 0)), ca_der));
  }
  /* The CA and its RAs: requests go to the RSA RA that enciphers, in any
   * order; CertReps come from the CA or the RA that signs. */
  {
    X509 *orders[][4] = {
      { ca->cert, signing_ra->cert, encrypting_ra->cert, ec_ra->cert },
      { ec_ra->cert, encrypting_ra->cert, signing_ra->cert, ca->cert },
    };

    for (gsize o = 0; o < G_N_ELEMENTS (orders); o++)
      {
        g_autoptr(CradleScepCa) scep_ca = parse_bundle (orders[o], 4);
        g_autoptr(GPtrArray) chain = NULL;

        g_assert_cmpint (X509_cmp (scep_ca->recipient, encrypting_ra->cert), ==, 0);
        g_assert_cmpint (X509_cmp (scep_ca->issuer, ca->cert), ==, 0);
        g_assert_cmpint (sk_X509_num (scep_ca->signers), ==, 2);
        g_assert_true (among (scep_ca->signers, ca->cert));
        g_assert_true (among (scep_ca->signers, signing_ra->cert));
        chain = cradle_scep_ca_dup_chain (scep_ca);
        g_assert_cmpuint (chain->len, ==, 1);
      }
  }
  /* RAs that do not encipher: the CA takes the request itself. */
  {
    X509 *certs[] = { signing_ra->cert, ca->cert };
    g_autoptr(CradleScepCa) scep_ca = parse_bundle (certs, 2);

    g_assert_cmpint (X509_cmp (scep_ca->recipient, ca->cert), ==, 0);
  }
  /* RAs without their CA; a CA without an RSA key to encrypt to. */
  {
    X509 *certs[] = { signing_ra->cert, encrypting_ra->cert };
    g_autoptr(GBytes) bundle = test_scep_ca_bundle (certs, 2);

    assert_ca_refused ("application/x-x509-ca-ra-cert", bundle, CRADLE_ERROR_INVALID_DATA, "without its CA");
  }
  {
    g_autoptr(GBytes) der = one_der (ec_ca->cert);

    assert_ca_refused ("application/x-x509-ca-cert", der, CRADLE_ERROR_NOT_SUPPORTED, "RSA key");
  }
  /* Too many, wrong types, damaged. */
  {
    X509 *many[CRADLE_SCEP_MAX_CA_CERTS + 1];
    g_autoptr(GBytes) bundle = NULL;
    g_autoptr(GBytes) truncated = g_bytes_new (g_bytes_get_data (ca_der, NULL), g_bytes_get_size (ca_der) - 1);
    g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
    g_autoptr(GBytes) html = g_bytes_new_static ("<html></html>", 13);

    for (gsize i = 0; i < G_N_ELEMENTS (many); i++)
      many[i] = ca->cert;
    bundle = test_scep_ca_bundle (many, G_N_ELEMENTS (many));
    assert_ca_refused ("application/x-x509-ca-ra-cert", bundle, CRADLE_ERROR_INVALID_DATA, "at most");
    assert_ca_refused ("application/x-x509-ca-cert", bundle, CRADLE_ERROR_INVALID_DATA, "not one DER certificate");
    assert_ca_refused ("application/x-x509-ca-ra-cert", ca_der, CRADLE_ERROR_INVALID_DATA, "bundle");
    assert_ca_refused ("text/html", html, CRADLE_ERROR_INVALID_DATA, "text/html");
    assert_ca_refused (NULL, ca_der, CRADLE_ERROR_INVALID_DATA, "no content type");
    assert_ca_refused ("application/x-x509-ca-cert", truncated, CRADLE_ERROR_INVALID_DATA, NULL);
    assert_ca_refused ("application/x-x509-ca-cert", empty, CRADLE_ERROR_INVALID_DATA, NULL);
  }
}

/* Who is an RA: a man in the middle adds a certificate the CA issued him
 * (his phone's) to GetCACert, to read the challenge and answer as the CA.
 * It chains to the anchors like an RA's; what it lacks is an RA's
 * extended key usage, so the answer is refused. */
static void
test_ca_recipients (void)
{
  g_autoptr(TestScepCa) ca = test_scep_ca_new ("SCEP CA");
  g_autoptr(TestScepCa) other_ca = test_scep_ca_new ("Another CA");
  g_autoptr(TestScepCa) phone = test_scep_ca_make_cert (ca, "Mallory's phone", FALSE,
                                                        "critical,digitalSignature,keyEncipherment",
                                                        "clientAuth", TRUE);
  g_autoptr(TestScepCa) bare = test_scep_ca_make_cert (ca, "No extensions", FALSE, NULL, NULL, TRUE);
  g_autoptr(TestScepCa) any_purpose = test_scep_ca_make_cert (ca, "Any purpose", FALSE,
                                                              "critical,keyEncipherment", "anyExtendedKeyUsage",
                                                              TRUE);
  g_autoptr(TestScepCa) ra = test_scep_ca_make_cert (ca, "RA", FALSE, "critical,keyEncipherment",
                                                     TEST_SCEP_EKU_REQUEST_AGENT, TRUE);
  g_autoptr(TestScepCa) cmc_ra = test_scep_ca_make_cert (ca, "CMC RA", FALSE, NULL, TEST_SCEP_EKU_CMC_RA, TRUE);
  g_autoptr(TestScepCa) other_ra = test_scep_ca_make_cert (other_ca, "Other RA", FALSE,
                                                           "critical,keyEncipherment",
                                                           TEST_SCEP_EKU_REQUEST_AGENT, TRUE);
  g_autoptr(TestScepCa) self_ra = test_scep_ca_make_cert (NULL, "Self-signed RA", FALSE,
                                                          "critical,keyEncipherment",
                                                          TEST_SCEP_EKU_REQUEST_AGENT, TRUE);
  g_autoptr(TestScepCa) useless_ra = test_scep_ca_make_cert (ca, "Useless RA", FALSE, "critical,nonRepudiation",
                                                             TEST_SCEP_EKU_REQUEST_AGENT, TRUE);
  g_autoptr(TestScepCa) issuing = test_scep_ca_make_cert (ca, "Issuing CA", TRUE,
                                                          "critical,keyCertSign,cRLSign", NULL, TRUE);
  g_autoptr(TestScepCa) issuing_ra = test_scep_ca_make_cert (issuing, "Issuing RA", FALSE,
                                                             "critical,keyEncipherment",
                                                             TEST_SCEP_EKU_REQUEST_AGENT, TRUE);

  /* An ordinary certificate of the CA beside it, with or without
   * extensions: never a recipient, and the answer is refused. */
  {
    TestScepCa *ordinary[] = { phone, bare, any_purpose };

    for (gsize i = 0; i < G_N_ELEMENTS (ordinary); i++)
      {
        X509 *certs[] = { ca->cert, ordinary[i]->cert };
        g_autoptr(GBytes) bundle = test_scep_ca_bundle (certs, 2);
        X509 *with_ra[] = { ca->cert, ra->cert, ordinary[i]->cert };
        g_autoptr(GBytes) bundle_with_ra = test_scep_ca_bundle (with_ra, 3);

        assert_ca_refused ("application/x-x509-ca-ra-cert", bundle, CRADLE_ERROR_NOT_CONFIGURED,
                           "it is an ordinary certificate of that CA");
        assert_ca_refused ("application/x-x509-ca-ra-cert", bundle_with_ra, CRADLE_ERROR_NOT_CONFIGURED,
                           "not a registration authority (RA) certificate");
      }
    {
      X509 *certs[] = { ca->cert, phone->cert };
      g_autoptr(GBytes) bundle = test_scep_ca_bundle (certs, 2);

      assert_ca_refused ("application/x-x509-ca-ra-cert", bundle, CRADLE_ERROR_NOT_CONFIGURED,
                         "\"CN=Mallory's phone\" (SHA-256 ");
    }
  }
  /* A certificate that may sign certificates by its key usage, but does
   * not say it is a CA, is no CA beside the real one. */
  {
    g_autoptr(TestScepCa) signer = test_scep_ca_make_cert (ca, "Key usage only", FALSE,
                                                           "critical,keyCertSign,keyEncipherment", NULL, TRUE);
    X509 *certs[] = { ca->cert, signer->cert };
    g_autoptr(GBytes) bundle = test_scep_ca_bundle (certs, 2);

    assert_ca_refused ("application/x-x509-ca-ra-cert", bundle, CRADLE_ERROR_NOT_CONFIGURED,
                       "\"CN=Key usage only\"");
  }
  /* Alone, it is no CA either. */
  {
    g_autoptr(GBytes) der = one_der (phone->cert);
    X509 *certs[] = { phone->cert };
    g_autoptr(GBytes) bundle = test_scep_ca_bundle (certs, 1);

    assert_ca_refused ("application/x-x509-ca-cert", der, CRADLE_ERROR_NOT_CONFIGURED, "is not a CA certificate");
    assert_ca_refused ("application/x-x509-ca-ra-cert", bundle, CRADLE_ERROR_NOT_CONFIGURED,
                       "is not a CA certificate");
  }
  /* RAs of another CA, of two CAs, self-signed, fit for nothing. */
  {
    X509 *foreign[] = { ca->cert, other_ra->cert };
    X509 *two[] = { ca->cert, other_ca->cert, ra->cert, other_ra->cert };
    X509 *self[] = { ca->cert, self_ra->cert };
    X509 *useless[] = { ca->cert, useless_ra->cert };
    g_autoptr(GBytes) foreign_bundle = test_scep_ca_bundle (foreign, G_N_ELEMENTS (foreign));
    g_autoptr(GBytes) two_bundle = test_scep_ca_bundle (two, G_N_ELEMENTS (two));
    g_autoptr(GBytes) self_bundle = test_scep_ca_bundle (self, G_N_ELEMENTS (self));
    g_autoptr(GBytes) useless_bundle = test_scep_ca_bundle (useless, G_N_ELEMENTS (useless));

    assert_ca_refused ("application/x-x509-ca-ra-cert", foreign_bundle, CRADLE_ERROR_NOT_CONFIGURED,
                       "no CA certificate of the answer issued it");
    assert_ca_refused ("application/x-x509-ca-ra-cert", two_bundle, CRADLE_ERROR_NOT_CONFIGURED,
                       "another CA of the answer issued it");
    assert_ca_refused ("application/x-x509-ca-ra-cert", self_bundle, CRADLE_ERROR_NOT_CONFIGURED, "self-signed");
    assert_ca_refused ("application/x-x509-ca-ra-cert", useless_bundle, CRADLE_ERROR_NOT_CONFIGURED,
                       "neither key encipherment");
  }
  /* RFC 6402's RA purpose, without a keyUsage extension: receives and signs. */
  {
    X509 *certs[] = { cmc_ra->cert, ca->cert };
    g_autoptr(CradleScepCa) scep_ca = parse_bundle (certs, 2);

    g_assert_cmpint (X509_cmp (scep_ca->recipient, cmc_ra->cert), ==, 0);
    g_assert_true (among (scep_ca->signers, cmc_ra->cert));
    g_assert_true (among (scep_ca->signers, ca->cert));
  }
  /* A root and an issuing CA: the issuing CA is the SCEP CA, and its RA
   * the recipient; without an RA, the issuing CA itself. */
  {
    X509 *with_ra[] = { ca->cert, issuing_ra->cert, issuing->cert };
    X509 *without[] = { ca->cert, issuing->cert };
    X509 *reversed[] = { issuing->cert, ca->cert };
    g_autoptr(CradleScepCa) scep_ca = parse_bundle (with_ra, G_N_ELEMENTS (with_ra));
    g_autoptr(CradleScepCa) no_ra = parse_bundle (without, G_N_ELEMENTS (without));
    g_autoptr(CradleScepCa) no_ra_reversed = parse_bundle (reversed, G_N_ELEMENTS (reversed));
    g_autoptr(GPtrArray) chain = cradle_scep_ca_dup_chain (scep_ca);

    g_assert_cmpint (X509_cmp (scep_ca->issuer, issuing->cert), ==, 0);
    g_assert_cmpint (X509_cmp (scep_ca->recipient, issuing_ra->cert), ==, 0);
    g_assert_false (among (scep_ca->signers, ca->cert));
    g_assert_cmpuint (chain->len, ==, 2);
    g_assert_cmpint (X509_cmp (no_ra->issuer, issuing->cert), ==, 0);
    g_assert_cmpint (X509_cmp (no_ra->recipient, issuing->cert), ==, 0);
    g_assert_cmpint (X509_cmp (no_ra_reversed->issuer, issuing->cert), ==, 0);
  }
  /* Two CAs that are not one chain: which is the SCEP CA? */
  {
    X509 *certs[] = { ca->cert, other_ca->cert };
    g_autoptr(GBytes) bundle = test_scep_ca_bundle (certs, 2);

    assert_ca_refused ("application/x-x509-ca-ra-cert", bundle, CRADLE_ERROR_INVALID_DATA, "not one chain");
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/scep/caps", test_caps);
  g_test_add_func ("/scep/ca-certificates", test_ca_certificates);
  g_test_add_func ("/scep/ca-recipients", test_ca_recipients);

  return g_test_run ();
}
