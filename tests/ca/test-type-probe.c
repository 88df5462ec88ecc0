/* test-type-probe.c: the Test of a certificate type against the lab's servers
 *
 * Each case writes a type file as an administrator would, reads it with
 * the one parser, and asks its server what it is (CradleTypeProbe):
 * certsrv, XCEP/CES, SCEP and EST of the lab, a wrong CA fingerprint and
 * anchors, a template the policy does not offer, a server that is not
 * there, and a SCEP server whose answers are hostile.
 */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base/cradle-openssl-private.h"
#include "enroll-test-support.h"

/* Where the misbehaving SCEP server writes its CA (set in main()). */
static char *misbehaving_ca_pem;

/* A type read from a file of @lines (after the group line). */
static CradleCertType *
type_from_lines (const char *lines)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = g_dir_make_tmp ("cradle-type-probe-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  CradleCertType *type;

  g_assert_no_error (error);
  path = g_build_filename (folder, "probe.conf", NULL);
  text = g_strconcat ("[" CRADLE_CERT_TYPE_GROUP "]\n", lines, NULL);
  g_assert_true (g_file_set_contents (path, text, -1, &error));
  type = cradle_cert_type_new_from_file (path, NULL, &error);
  g_assert_no_error (error);
  g_unlink (path);
  g_rmdir (folder);
  return type;
}

static CradleCredentials *
alice (EnrollFixture *fixture)
{
  return cradle_credentials_new_kerberos (enroll_fixture_env (fixture, "CRADLE_LAB_ALICE_CCACHE"));
}

static CradleTypeProbe *
run_probe (CradleCertType    *type,
           CradleCredentials *credentials)
{
  g_autoptr(GError) error = NULL;
  CradleTypeProbe *probe = cradle_type_probe_run (type, credentials, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (probe);
  return probe;
}

static gboolean
findings_contain (CradleTypeProbe *probe,
                  const char      *text)
{
  const char * const *findings = cradle_type_probe_get_findings (probe);

  for (guint i = 0; findings[i] != NULL; i++)
    if (strstr (findings[i], text) != NULL)
      return TRUE;
  return FALSE;
}

/* Every finding is one line with no control character a terminal acts on. */
static void
assert_findings_clean (CradleTypeProbe *probe)
{
  const char * const *findings = cradle_type_probe_get_findings (probe);

  g_assert_nonnull (findings[0]);
  for (guint i = 0; findings[i] != NULL; i++)
    {
      g_assert_true (g_utf8_validate (findings[i], -1, NULL));
      for (const char *p = findings[i]; *p != '\0'; p = g_utf8_next_char (p))
        {
          gunichar c = g_utf8_get_char (p);

          g_assert_false (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) ||
                          (c >= 0x2066 && c <= 0x2069));
        }
    }
}

/* The SHA-256 of the first certificate in @pem_file, as openssl prints it. */
static char *
pem_fingerprint (const char *pem_file)
{
  g_autoptr(BIO) bio = BIO_new_file (pem_file, "r");
  g_autoptr(X509) cert = NULL;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  GString *text = g_string_new (NULL);

  g_assert_nonnull (bio);
  cert = PEM_read_bio_X509 (bio, NULL, NULL, NULL);
  g_assert_nonnull (cert);
  g_assert_cmpint (X509_digest (cert, EVP_sha256 (), digest, &size), ==, 1);
  for (unsigned int i = 0; i < size; i++)
    g_string_append_printf (text, "%s%02X", i > 0 ? ":" : "", digest[i]);
  return g_string_free (text, FALSE);
}

static void
test_certsrv (EnrollFixture *fixture,
              gconstpointer  data)
{
  g_autoptr(CradleCertType) type = NULL;
  g_autoptr(CradleCredentials) credentials = NULL;
  g_autoptr(CradleTypeProbe) probe = NULL;
  g_autofree char *lines = NULL;

  SKIP_WITHOUT_LAB (fixture);
  lines = g_strdup_printf ("Name=probe-certsrv\nProtocol=certsrv\nURL=%s\nTemplate=CradleDevice\nAuth=kerberos\nTrustAnchors=%s\n",
                           enroll_fixture_env (fixture, "CRADLE_LAB_CERTSRV_URL"),
                           enroll_fixture_env (fixture, "CRADLE_LAB_CA_TLS_ANCHOR"));
  type = type_from_lines (lines);
  credentials = alice (fixture);
  probe = run_probe (type, credentials);

  g_assert_null (cradle_type_probe_get_error (probe));
  g_assert_true (cradle_type_probe_get_ok (probe));
  g_assert_cmpint (cradle_type_probe_get_protocol (probe), ==, CRADLE_CA_PROTOCOL_CERTSRV);
  g_assert_cmpstr (cradle_type_probe_get_url (probe), ==, enroll_fixture_env (fixture, "CRADLE_LAB_CERTSRV_URL"));
  g_assert_cmpuint (cradle_type_probe_get_ca_certificates (probe)->len, >=, 1);
  g_assert_true (findings_contain (probe, "CA certificate: "));
  g_assert_true (findings_contain (probe, "Corp Issuing CA"));
  g_assert_null (cradle_type_probe_get_ca_fingerprint (probe));
  g_assert_cmpint (cradle_type_probe_get_template_offered (probe), ==, CRADLE_TYPE_PROBE_TEMPLATE_NOT_ASKED);
  assert_findings_clean (probe);
}

static void
test_est (EnrollFixture *fixture,
          gconstpointer  data)
{
  g_autoptr(CradleCertType) type = NULL;
  g_autoptr(CradleTypeProbe) probe = NULL;
  g_autofree char *lines = NULL;

  SKIP_WITHOUT_LAB (fixture);
  lines = g_strdup_printf ("Name=probe-est\nProtocol=est\nURL=%s\nAuth=none\nKeyType=p256\nTrustAnchors=%s\n",
                           enroll_fixture_env (fixture, "CRADLE_LAB_EST_URL"),
                           enroll_fixture_env (fixture, "CRADLE_LAB_CA_TLS_ANCHOR"));
  type = type_from_lines (lines);
  probe = run_probe (type, NULL);

  g_assert_true (cradle_type_probe_get_ok (probe));
  g_assert_cmpuint (cradle_type_probe_get_ca_certificates (probe)->len, >=, 1);
  g_assert_true (findings_contain (probe, "Corp Issuing CA"));
  assert_findings_clean (probe);
}

static void
got_result (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* The app's way: on a thread, the answer in the caller's main context. */
static void
test_est_async (EnrollFixture *fixture,
                gconstpointer  data)
{
  g_autoptr(CradleCertType) type = NULL;
  g_autoptr(CradleTypeProbe) probe = NULL;
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *lines = NULL;

  SKIP_WITHOUT_LAB (fixture);
  lines = g_strdup_printf ("Name=probe-est\nProtocol=est\nURL=%s\nAuth=none\nKeyType=p256\nTrustAnchors=%s\n",
                           enroll_fixture_env (fixture, "CRADLE_LAB_EST_URL"),
                           enroll_fixture_env (fixture, "CRADLE_LAB_CA_TLS_ANCHOR"));
  type = type_from_lines (lines);

  g_main_context_push_thread_default (context);
  cradle_type_probe_async (type, NULL, NULL, got_result, &result);
  while (result == NULL)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);
  probe = cradle_type_probe_finish (result, &error);

  g_assert_no_error (error);
  g_assert_true (cradle_type_probe_get_ok (probe));
  g_assert_cmpint (cradle_type_probe_get_protocol (probe), ==, CRADLE_CA_PROTOCOL_EST);
  g_assert_cmpuint (cradle_type_probe_get_ca_certificates (probe)->len, >=, 1);
  g_assert_true (findings_contain (probe, "Corp Issuing CA"));
  assert_findings_clean (probe);
}

static void
test_wstep_policy (EnrollFixture *fixture,
                   gconstpointer  data)
{
  g_autoptr(CradleCertType) type = NULL;
  g_autoptr(CradleCredentials) credentials = NULL;
  g_autoptr(CradleTypeProbe) probe = NULL;
  g_autofree char *lines = NULL;

  SKIP_WITHOUT_LAB (fixture);
  lines = g_strdup_printf ("Name=probe-xcep\nProtocol=wstep\nPolicyURL=%s\nTemplate=CradleDeviceUPN\n"
                           "Auth=kerberos\nTrustAnchors=%s\n",
                           enroll_fixture_env (fixture, "CRADLE_LAB_CEP_KERBEROS_URL"),
                           enroll_fixture_env (fixture, "CRADLE_LAB_CA_TLS_ANCHOR"));
  type = type_from_lines (lines);
  credentials = alice (fixture);
  probe = run_probe (type, credentials);

  g_assert_null (cradle_type_probe_get_error (probe));
  g_assert_true (cradle_type_probe_get_ok (probe));
  g_assert_cmpint (cradle_type_probe_get_template_offered (probe), ==, CRADLE_TYPE_PROBE_TEMPLATE_OFFERED);
  g_assert_true (findings_contain (probe, "GetPolicies: "));
  g_assert_true (findings_contain (probe, "The template 'CradleDeviceUPN' is offered"));
  /* The CES the policy names for a Kerberos sign-in. */
  g_assert_true (findings_contain (probe, "CES_Kerberos"));
  g_assert_cmpuint (cradle_type_probe_get_ca_certificates (probe)->len, >=, 1);
  assert_findings_clean (probe);
}

/* CradleDevice is the lab's certsrv template: the policy server does not list it. */
static void
test_wstep_not_offered (EnrollFixture *fixture,
                        gconstpointer  data)
{
  g_autoptr(CradleCertType) type = NULL;
  g_autoptr(CradleCredentials) credentials = NULL;
  g_autoptr(CradleTypeProbe) probe = NULL;
  g_autofree char *lines = NULL;
  const GError *error;

  SKIP_WITHOUT_LAB (fixture);
  lines = g_strdup_printf ("Name=probe-xcep\nProtocol=wstep\nPolicyURL=%s\nTemplate=NotATemplate\n"
                           "Auth=kerberos\nTrustAnchors=%s\n",
                           enroll_fixture_env (fixture, "CRADLE_LAB_CEP_KERBEROS_URL"),
                           enroll_fixture_env (fixture, "CRADLE_LAB_CA_TLS_ANCHOR"));
  type = type_from_lines (lines);
  credentials = alice (fixture);
  probe = run_probe (type, credentials);

  g_assert_false (cradle_type_probe_get_ok (probe));
  error = cradle_type_probe_get_error (probe);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "NotATemplate"));
  g_assert_nonnull (strstr (error->message, "CradleDeviceUPN"));   /* what it does offer */
  g_assert_cmpint (cradle_type_probe_get_template_offered (probe), ==, CRADLE_TYPE_PROBE_TEMPLATE_NOT_OFFERED);
  /* What the server said is kept. */
  g_assert_true (findings_contain (probe, "GetPolicies: "));
  g_assert_true (findings_contain (probe, "is not offered"));
}

/* A CES alone takes only requests: Test sees it answer over trusted TLS. */
static void
test_wstep_ces (EnrollFixture *fixture,
                gconstpointer  data)
{
  g_autoptr(CradleCertType) type = NULL;
  g_autoptr(CradleCredentials) credentials = NULL;
  g_autoptr(CradleTypeProbe) probe = NULL;
  g_autofree char *lines = NULL;

  SKIP_WITHOUT_LAB (fixture);
  lines = g_strdup_printf ("Name=probe-ces\nProtocol=wstep\nURL=%s\nTemplate=CradleDeviceUPN\n"
                           "Auth=kerberos\nTrustAnchors=%s\n",
                           enroll_fixture_env (fixture, "CRADLE_LAB_CES_KERBEROS_URL"),
                           enroll_fixture_env (fixture, "CRADLE_LAB_CA_TLS_ANCHOR"));
  type = type_from_lines (lines);
  credentials = alice (fixture);
  probe = run_probe (type, credentials);

  g_assert_null (cradle_type_probe_get_error (probe));
  g_assert_true (cradle_type_probe_get_ok (probe));
  g_assert_true (findings_contain (probe, "The enrollment web service answered (HTTP "));
  g_assert_true (findings_contain (probe, "trusted TLS"));
  g_assert_cmpint (cradle_type_probe_get_template_offered (probe), ==, CRADLE_TYPE_PROBE_TEMPLATE_NOT_ASKED);
}

static CradleCertType *
lab_scep_type (EnrollFixture *fixture,
               const char    *anchors,
               const char    *fingerprint)
{
  g_autofree char *lines = NULL;

  lines = g_strdup_printf ("Name=probe-scep\nProtocol=scep\nURL=%s\nAuth=none\nKeyType=rsa2048\n"
                           "TrustAnchors=%s\n%s%s%s",
                           enroll_fixture_env (fixture, "CRADLE_LAB_SCEP_URL"), anchors,
                           fingerprint != NULL ? "CAFingerprint=" : "",
                           fingerprint != NULL ? fingerprint : "", fingerprint != NULL ? "\n" : "");
  return type_from_lines (lines);
}

static void
test_scep (EnrollFixture *fixture,
           gconstpointer  data)
{
  g_autoptr(CradleCertType) type = NULL;
  g_autoptr(CradleTypeProbe) probe = NULL;
  g_autofree char *expected = NULL;

  SKIP_WITHOUT_LAB (fixture);
  expected = pem_fingerprint (enroll_fixture_env (fixture, "CRADLE_LAB_SCEP_CA"));
  type = lab_scep_type (fixture, enroll_fixture_env (fixture, "CRADLE_LAB_SCEP_CA"), NULL);
  probe = run_probe (type, NULL);

  g_assert_null (cradle_type_probe_get_error (probe));
  g_assert_true (cradle_type_probe_get_ok (probe));
  g_assert_nonnull (strstr (cradle_type_probe_get_capabilities (probe), "POSTPKIOperation"));
  g_assert_true (findings_contain (probe, "GetCACaps: "));
  g_assert_cmpstr (cradle_type_probe_get_ca_fingerprint (probe), ==, expected);
  g_assert_true (findings_contain (probe, expected));
  g_assert_true (findings_contain (probe, "CAFingerprint="));       /* how to pin it */
  g_assert_true (findings_contain (probe, "verify against the type's TrustAnchors"));
  g_assert_cmpint (cradle_type_probe_get_fingerprint_match (probe), ==, CRADLE_TYPE_PROBE_FINGERPRINT_NOT_SET);
  g_assert_cmpuint (cradle_type_probe_get_ca_certificates (probe)->len, >=, 1);
  assert_findings_clean (probe);
}

static void
test_scep_pinned (EnrollFixture *fixture,
                  gconstpointer  data)
{
  g_autoptr(CradleCertType) type = NULL;
  g_autoptr(CradleTypeProbe) probe = NULL;
  g_autofree char *expected = NULL;

  SKIP_WITHOUT_LAB (fixture);
  expected = pem_fingerprint (enroll_fixture_env (fixture, "CRADLE_LAB_SCEP_CA"));
  type = lab_scep_type (fixture, enroll_fixture_env (fixture, "CRADLE_LAB_SCEP_CA"), expected);
  probe = run_probe (type, NULL);

  g_assert_true (cradle_type_probe_get_ok (probe));
  g_assert_cmpint (cradle_type_probe_get_fingerprint_match (probe), ==, CRADLE_TYPE_PROBE_FINGERPRINT_MATCHES);
  g_assert_true (findings_contain (probe, "matches the type's CAFingerprint"));
}

static void
test_scep_wrong_fingerprint (EnrollFixture *fixture,
                             gconstpointer  data)
{
  g_autoptr(CradleCertType) type = NULL;
  g_autoptr(CradleTypeProbe) probe = NULL;
  g_autofree char *expected = NULL;
  const char *wrong = "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
                      "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF";

  SKIP_WITHOUT_LAB (fixture);
  expected = pem_fingerprint (enroll_fixture_env (fixture, "CRADLE_LAB_SCEP_CA"));
  type = lab_scep_type (fixture, enroll_fixture_env (fixture, "CRADLE_LAB_SCEP_CA"), wrong);
  probe = run_probe (type, NULL);

  g_assert_false (cradle_type_probe_get_ok (probe));
  g_assert_error (cradle_type_probe_get_error (probe), CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED);
  g_assert_nonnull (strstr (cradle_type_probe_get_error (probe)->message, "CAFingerprint"));
  g_assert_cmpint (cradle_type_probe_get_fingerprint_match (probe), ==, CRADLE_TYPE_PROBE_FINGERPRINT_DIFFERS);
  /* The real one, to compare, and the one the type wrote. */
  g_assert_cmpstr (cradle_type_probe_get_ca_fingerprint (probe), ==, expected);
  g_assert_true (findings_contain (probe, expected));
  g_assert_true (findings_contain (probe, wrong));
}

/* The lab's root is not the SCEP CA: GetCACert does not verify, and its
 * fingerprint is still shown. */
static void
test_scep_wrong_anchors (EnrollFixture *fixture,
                         gconstpointer  data)
{
  g_autoptr(CradleCertType) type = NULL;
  g_autoptr(CradleTypeProbe) probe = NULL;

  SKIP_WITHOUT_LAB (fixture);
  type = lab_scep_type (fixture, enroll_fixture_env (fixture, "CRADLE_LAB_CA_TLS_ANCHOR"), NULL);
  probe = run_probe (type, NULL);

  g_assert_false (cradle_type_probe_get_ok (probe));
  g_assert_error (cradle_type_probe_get_error (probe), CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED);
  g_assert_nonnull (strstr (cradle_type_probe_get_error (probe)->message, "does not verify"));
  g_assert_nonnull (cradle_type_probe_get_ca_fingerprint (probe));
  g_assert_false (findings_contain (probe, "verify against the type's TrustAnchors"));
}

/* A port nobody listens on: bound, then closed. */
static guint16
closed_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (socket);
  g_assert_true (g_socket_bind (socket, address, FALSE, &error));
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  g_socket_close (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
test_unreachable (EnrollFixture *fixture,
                  gconstpointer  data)
{
  g_autoptr(CradleCertType) type = NULL;
  g_autoptr(CradleTypeProbe) probe = NULL;
  g_autofree char *lines = NULL;
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/scep", closed_port ());
  const CradleExplanation *explanation;

  lines = g_strdup_printf ("Name=probe-down\nProtocol=scep\nURL=%s\nAuth=none\nKeyType=rsa2048\n"
                           "TrustAnchors=%s\n", url, misbehaving_ca_pem);
  type = type_from_lines (lines);
  probe = run_probe (type, NULL);

  g_assert_false (cradle_type_probe_get_ok (probe));
  g_assert_error (cradle_type_probe_get_error (probe), CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE);
  g_assert_cmpstr (cradle_type_probe_get_url (probe), ==, url);
  g_assert_cmpuint (cradle_type_probe_get_ca_certificates (probe)->len, ==, 0);
  g_assert_null (cradle_type_probe_get_ca_fingerprint (probe));
  /* In the error table's words. */
  explanation = cradle_explain_error (cradle_type_probe_get_error (probe));
  g_assert_cmpstr (cradle_explanation_get_name (explanation), ==, "CONNECTION_REFUSED");
}

/* A type that cannot be tested says so, without asking anyone. */
static void
test_needs_password (EnrollFixture *fixture,
                     gconstpointer  data)
{
  g_autoptr(CradleCertType) type = type_from_lines ("Name=probe-password\nProtocol=certsrv\n"
                                                    "URL=https://127.0.0.1:9/certsrv\nTemplate=CradleDevice\nAuth=password\n");
  g_autoptr(CradleTypeProbe) probe = run_probe (type, NULL);

  g_assert_false (cradle_type_probe_get_ok (probe));
  g_assert_error (cradle_type_probe_get_error (probe), CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED);
  g_assert_null (cradle_type_probe_get_url (probe));
  g_assert_null (cradle_type_probe_get_findings (probe)[0]);
}

/* Escape sequences and a bidi override among GetCACaps's words reach no
 * finding as they came. */
static void
test_hostile_caps (EnrollFixture *fixture,
                   gconstpointer  data)
{
  g_autofree char *url = enroll_fixture_misbehaving_url (fixture, "misbehaving-scep.py", "caps-escapes", "/scep");
  g_autoptr(CradleCertType) type = NULL;
  g_autoptr(CradleTypeProbe) probe = NULL;
  g_autofree char *lines = NULL;

  lines = g_strdup_printf ("Name=probe-hostile\nProtocol=scep\nURL=%s\nAuth=none\nKeyType=rsa2048\n"
                           "TrustAnchors=%s\n", url, misbehaving_ca_pem);
  type = type_from_lines (lines);
  probe = run_probe (type, NULL);

  g_assert_null (cradle_type_probe_get_error (probe));
  g_assert_true (findings_contain (probe, "\\x1b]0;owned"));
  g_assert_true (findings_contain (probe, "\\u202eReversed"));
  g_assert_null (strchr (cradle_type_probe_get_capabilities (probe), 0x1b));
  assert_findings_clean (probe);
}

static void
test_hostile_cacert (EnrollFixture *fixture,
                     gconstpointer  data)
{
  g_autofree char *url = enroll_fixture_misbehaving_url (fixture, "misbehaving-scep.py", "cacert-garbage", "/scep");
  g_autoptr(CradleCertType) type = NULL;
  g_autoptr(CradleTypeProbe) probe = NULL;
  g_autofree char *lines = NULL;

  lines = g_strdup_printf ("Name=probe-hostile\nProtocol=scep\nURL=%s\nAuth=none\nKeyType=rsa2048\n"
                           "TrustAnchors=%s\n", url, misbehaving_ca_pem);
  type = type_from_lines (lines);
  probe = run_probe (type, NULL);

  g_assert_false (cradle_type_probe_get_ok (probe));
  g_assert_error (cradle_type_probe_get_error (probe), CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_true (findings_contain (probe, "GetCACaps: "));   /* what came before */
  g_assert_cmpuint (cradle_type_probe_get_ca_certificates (probe)->len, ==, 0);
}

static void
test_hostile_html (EnrollFixture *fixture,
                   gconstpointer  data)
{
  g_autofree char *url = enroll_fixture_misbehaving_url (fixture, "misbehaving-scep.py", "caps-html", "/scep");
  g_autoptr(CradleCertType) type = NULL;
  g_autoptr(CradleTypeProbe) probe = NULL;
  g_autofree char *lines = NULL;

  lines = g_strdup_printf ("Name=probe-hostile\nProtocol=scep\nURL=%s\nAuth=none\nKeyType=rsa2048\n"
                           "TrustAnchors=%s\n", url, misbehaving_ca_pem);
  type = type_from_lines (lines);
  probe = run_probe (type, NULL);

  g_assert_false (cradle_type_probe_get_ok (probe));
  g_assert_error (cradle_type_probe_get_error (probe), CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (cradle_type_probe_get_error (probe)->message, "may not be a SCEP server"));
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *folder = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  folder = g_dir_make_tmp ("cradle-type-probe-test-XXXXXX", NULL);
  g_assert_nonnull (folder);
  misbehaving_ca_pem = g_build_filename (folder, "misbehaving-ca.pem", NULL);
  g_setenv ("CRADLE_MISBEHAVING_SCEP_CA", misbehaving_ca_pem, TRUE);
  /* Not the lab's anchors: the unreachable case needs a file that exists. */
  g_assert_true (g_file_set_contents (misbehaving_ca_pem, "", 0, NULL));

  enroll_test_add (test_certsrv, NULL, "/type-probe/lab/certsrv");
  enroll_test_add (test_est, NULL, "/type-probe/lab/est");
  enroll_test_add (test_est_async, NULL, "/type-probe/lab/est-async");
  enroll_test_add (test_wstep_policy, NULL, "/type-probe/lab/xcep");
  enroll_test_add (test_wstep_not_offered, NULL, "/type-probe/lab/xcep-not-offered");
  enroll_test_add (test_wstep_ces, NULL, "/type-probe/lab/ces");
  enroll_test_add (test_scep, NULL, "/type-probe/lab/scep");
  enroll_test_add (test_scep_pinned, NULL, "/type-probe/lab/scep-pinned");
  enroll_test_add (test_scep_wrong_fingerprint, NULL, "/type-probe/lab/scep-wrong-fingerprint");
  enroll_test_add (test_scep_wrong_anchors, NULL, "/type-probe/lab/scep-wrong-anchors");
  enroll_test_add_device_only (test_unreachable, NULL, "/type-probe/unreachable");
  enroll_test_add_device_only (test_needs_password, NULL, "/type-probe/needs-password");
  enroll_test_add_device_only (test_hostile_caps, NULL, "/type-probe/hostile/caps-escapes");
  enroll_test_add_device_only (test_hostile_cacert, NULL, "/type-probe/hostile/cacert-garbage");
  enroll_test_add_device_only (test_hostile_html, NULL, "/type-probe/hostile/caps-html");

  status = g_test_run ();
  g_unlink (misbehaving_ca_pem);
  g_rmdir (folder);
  g_free (misbehaving_ca_pem);
  return status;
}
