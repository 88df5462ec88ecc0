/* test-renewal.c: the renewal window `renew --due` uses, at its edges, and
 * the SID check after a renewal (KB5014754) */
#include "config.h"

#include <string.h>
#include <openssl/x509v3.h>
#include <cradle/cradle.h>

#include "engine/cradle-enrollment-private.h"
#include "base/cradle-openssl-private.h"

#define NOT_BEFORE ((gint64) 1700000000)
#define DAY        ((gint64) 86400)

/* A certificate valid from NOT_BEFORE for @life seconds; with the SID
 * extension and/or the SID SAN URI when asked. */
static CradleCertificate *
certificate (gint64   life,
             gboolean sid_extension,
             gboolean sid_uri)
{
  g_autoptr(EVP_PKEY) key = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");
  g_autoptr(X509) x509 = X509_new ();
  g_autoptr(GError) error = NULL;
  X509V3_CTX ctx;
  unsigned char *der = NULL;
  int size;
  CradleCertificate *parsed;

  X509_set_version (x509, X509_VERSION_3);
  ASN1_INTEGER_set (X509_get_serialNumber (x509), 42);
  X509_NAME_add_entry_by_txt (X509_get_subject_name (x509), "CN", MBSTRING_UTF8, (const guchar *) "t", -1, -1, 0);
  X509_set_issuer_name (x509, X509_get_subject_name (x509));
  ASN1_TIME_set (X509_getm_notBefore (x509), (time_t) NOT_BEFORE);
  ASN1_TIME_set (X509_getm_notAfter (x509), (time_t) (NOT_BEFORE + life));
  X509_set_pubkey (x509, key);
  X509V3_set_ctx (&ctx, x509, x509, NULL, NULL, 0);
  if (sid_extension)
    {
      /* SEQUENCE { [0] { OID 1.3.6.1.4.1.311.25.2.1, [0] { OCTET STRING "S-1-5-21-1" } } } */
      X509_EXTENSION *ext = X509V3_EXT_conf (NULL, &ctx, "1.3.6.1.4.1.311.25.2",
                                             "DER:30:1c:a0:1a:06:0a:2b:06:01:04:01:82:37:19:02:01:"
                                             "a0:0c:04:0a:53:2d:31:2d:35:2d:32:31:2d:31");

      g_assert_nonnull (ext);
      X509_add_ext (x509, ext, -1);
      X509_EXTENSION_free (ext);
    }
  if (sid_uri)
    {
      /* Built by hand: the comma in the tag would split a config string. */
      GENERAL_NAMES *names = GENERAL_NAMES_new ();
      GENERAL_NAME *name = GENERAL_NAME_new ();
      ASN1_IA5STRING *uri = ASN1_IA5STRING_new ();
      const char *text = "tag:microsoft.com,2022-09-14:sid:S-1-5-21-1";

      g_assert_true (ASN1_STRING_set (uri, text, (int) strlen (text)));
      GENERAL_NAME_set0_value (name, GEN_URI, uri);
      sk_GENERAL_NAME_push (names, name);
      g_assert_cmpint (X509_add1_ext_i2d (x509, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT), ==, 1);
      GENERAL_NAMES_free (names);
    }
  g_assert_cmpint (X509_sign (x509, key, EVP_sha256 ()), >, 0);
  size = i2d_X509 (x509, &der);
  g_assert_cmpint (size, >, 0);
  {
    g_autoptr(GBytes) bytes = cradle_openssl_take_der (der, size);

    parsed = cradle_certificate_new_from_der (bytes, &error);
  }
  g_assert_no_error (error);
  return parsed;
}

static void
test_window_share (void)
{
  g_autoptr(CradleCertificate) year = certificate (100 * DAY, FALSE, FALSE);

  /* No type: 80 % of the lifetime, to the second. */
  g_assert_false (cradle_renewal_is_due (year, NULL, NOT_BEFORE));
  g_assert_false (cradle_renewal_is_due (year, NULL, NOT_BEFORE + 80 * DAY - 1));
  g_assert_true (cradle_renewal_is_due (year, NULL, NOT_BEFORE + 80 * DAY));
  /* Expired is due too. */
  g_assert_true (cradle_renewal_is_due (year, NULL, NOT_BEFORE + 100 * DAY));
  g_assert_true (cradle_renewal_is_due (year, NULL, NOT_BEFORE + 1000 * DAY));
}

static void
test_window_short (void)
{
  /* A 20-minute certificate (the lab's short-lived template, backdated):
   * due after 16 minutes. */
  g_autoptr(CradleCertificate) minutes = certificate (1200, FALSE, FALSE);

  g_assert_false (cradle_renewal_is_due (minutes, NULL, NOT_BEFORE + 959));
  g_assert_true (cradle_renewal_is_due (minutes, NULL, NOT_BEFORE + 960));
}

static void
test_sid_lost (void)
{
  g_autoptr(CradleCertificate) plain = certificate (DAY, FALSE, FALSE);
  g_autoptr(CradleCertificate) with_extension = certificate (DAY, TRUE, FALSE);
  g_autoptr(CradleCertificate) with_uri = certificate (DAY, FALSE, TRUE);

  g_assert_true (cradle_enrollment_sid_lost (with_extension, plain));
  g_assert_true (cradle_enrollment_sid_lost (with_uri, plain));
  g_assert_false (cradle_enrollment_sid_lost (with_extension, with_extension));
  g_assert_false (cradle_enrollment_sid_lost (with_extension, with_uri));
  g_assert_false (cradle_enrollment_sid_lost (with_uri, with_extension));
  g_assert_false (cradle_enrollment_sid_lost (plain, plain));
  g_assert_false (cradle_enrollment_sid_lost (plain, with_extension));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/renewal/window-share", test_window_share);
  g_test_add_func ("/renewal/window-short", test_window_short);
  g_test_add_func ("/renewal/sid-lost", test_sid_lost);
  return g_test_run ();
}
