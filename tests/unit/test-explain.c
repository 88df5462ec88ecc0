/* test-explain.c: every code a support person meets has a sound explanation */
#include "config.h"

#include <string.h>
#include <gio/gio.h>

#include "base/cradle-explain-private.h"

typedef struct {
  guint32     code;
  const char *name;
} Known;

/* Every CERTSRV_E_* code in protocols.md section 4, listed here by hand so
 * that the table cannot drop one unnoticed. */
static const Known certsrv_codes[] = {
  { 0x80094001, "CERTSRV_E_BAD_REQUESTSUBJECT" },
  { 0x80094002, "CERTSRV_E_NO_REQUEST" },
  { 0x80094003, "CERTSRV_E_BAD_REQUESTSTATUS" },
  { 0x80094004, "CERTSRV_E_PROPERTY_EMPTY" },
  { 0x80094005, "CERTSRV_E_INVALID_CA_CERTIFICATE" },
  { 0x80094006, "CERTSRV_E_SERVER_SUSPENDED" },
  { 0x80094009, "CERTSRV_E_RESTRICTEDOFFICER" },
  { 0x8009400A, "CERTSRV_E_KEY_ARCHIVAL_NOT_CONFIGURED" },
  { 0x8009400B, "CERTSRV_E_NO_VALID_KRA" },
  { 0x8009400E, "CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE" },
  { 0x80094011, "CERTSRV_E_ENROLL_DENIED" },
  { 0x80094012, "CERTSRV_E_TEMPLATE_DENIED" },
  { 0x80094013, "CERTSRV_E_DOWNLEVEL_DC_SSL_OR_UPGRADE" },
  { 0x80094014, "CERTSRV_E_ADMIN_DENIED_REQUEST" },
  { 0x80094015, "CERTSRV_E_NO_POLICY_SERVER" },
  { 0x80094016, "CERTSRV_E_WEAK_SIGNATURE_OR_KEY" },
  { 0x80094017, "CERTSRV_E_KEY_ATTESTATION_NOT_SUPPORTED" },
  { 0x80094018, "CERTSRV_E_ENCRYPTION_CERT_REQUIRED" },
  { 0x80094800, "CERTSRV_E_UNSUPPORTED_CERT_TYPE" },
  { 0x80094801, "CERTSRV_E_NO_CERT_TYPE" },
  { 0x80094802, "CERTSRV_E_TEMPLATE_CONFLICT" },
  { 0x80094803, "CERTSRV_E_SUBJECT_ALT_NAME_REQUIRED" },
  { 0x80094804, "CERTSRV_E_ARCHIVED_KEY_REQUIRED" },
  { 0x80094805, "CERTSRV_E_SMIME_REQUIRED" },
  { 0x80094806, "CERTSRV_E_BAD_RENEWAL_SUBJECT" },
  { 0x80094807, "CERTSRV_E_BAD_TEMPLATE_VERSION" },
  { 0x80094808, "CERTSRV_E_TEMPLATE_POLICY_REQUIRED" },
  { 0x80094809, "CERTSRV_E_SIGNATURE_POLICY_REQUIRED" },
  { 0x8009480A, "CERTSRV_E_SIGNATURE_COUNT" },
  { 0x8009480B, "CERTSRV_E_SIGNATURE_REJECTED" },
  { 0x8009480C, "CERTSRV_E_ISSUANCE_POLICY_REQUIRED" },
  { 0x8009480D, "CERTSRV_E_SUBJECT_UPN_REQUIRED" },
  { 0x8009480E, "CERTSRV_E_SUBJECT_DIRECTORY_GUID_REQUIRED" },
  { 0x8009480F, "CERTSRV_E_SUBJECT_DNS_REQUIRED" },
  { 0x80094810, "CERTSRV_E_ARCHIVED_KEY_UNEXPECTED" },
  { 0x80094811, "CERTSRV_E_KEY_LENGTH" },
  { 0x80094812, "CERTSRV_E_SUBJECT_EMAIL_REQUIRED" },
  { 0x80094813, "CERTSRV_E_UNKNOWN_CERT_TYPE" },
  { 0x80094814, "CERTSRV_E_CERT_TYPE_OVERLAP" },
  { 0x80094815, "CERTSRV_E_TOO_MANY_SIGNATURES" },
  { 0x80094816, "CERTSRV_E_RENEWAL_BAD_PUBLIC_KEY" },
  /* 0x80094817 to 0x8009481B: the attestation and EK errors, each its own */
  { 0x80094817, "CERTSRV_E_INVALID_EK" },
  { 0x80094818, "CERTSRV_E_INVALID_IDBINDING" },
  { 0x80094819, "CERTSRV_E_INVALID_ATTESTATION" },
  { 0x8009481A, "CERTSRV_E_KEY_ATTESTATION" },
  { 0x8009481B, "CERTSRV_E_CORRUPT_KEY_ATTESTATION" },
  { 0x8009481C, "CERTSRV_E_EXPIRED_CHALLENGE" },
  { 0x8009481D, "CERTSRV_E_INVALID_RESPONSE" },
  { 0x8009481E, "CERTSRV_E_INVALID_REQUESTID" },
  { 0x8009481F, "CERTSRV_E_REQUEST_PRECERTIFICATE_MISMATCH" },
  { 0x80094820, "CERTSRV_E_PENDING_CLIENT_RESPONSE" },
  { 0x80094821, "CERTSRV_E_SEC_EXT_DIRECTORY_SID_REQUIRED" },
};

/* HRESULTs from elsewhere that CAs and their web services return. */
static const Known other_hresults[] = {
  { 0x80004005, "E_FAIL" },
  { 0x80070005, "E_ACCESSDENIED" },
  { 0x8007000D, "ERROR_INVALID_DATA" },
  { 0x80070057, "E_INVALIDARG" },
  { 0x800706BA, "RPC_S_SERVER_UNAVAILABLE" },
  { 0x80090006, "NTE_BAD_SIGNATURE" },
  { 0x80090008, "NTE_BAD_ALGID" },
  { 0x80092004, "CRYPT_E_NOT_FOUND" },
  { 0x80092012, "CRYPT_E_NO_REVOCATION_CHECK" },
  { 0x80092013, "CRYPT_E_REVOCATION_OFFLINE" },
  { 0x800B0101, "CERT_E_EXPIRED" },
  { 0x800B0109, "CERT_E_UNTRUSTEDROOT" },
  { 0x800B010A, "CERT_E_CHAINING" },
};

static const Known dispositions[] = {
  { 0, "CR_DISP_INCOMPLETE" }, { 1, "CR_DISP_ERROR" }, { 2, "CR_DISP_DENIED" },
  { 3, "CR_DISP_ISSUED" }, { 4, "CR_DISP_ISSUED_OUT_OF_BAND" }, { 5, "CR_DISP_UNDER_SUBMISSION" },
  { 6, "CR_DISP_REVOKED" },
};

static const Known scep_fail_info[] = {
  { 0, "badAlg" }, { 1, "badMessageCheck" }, { 2, "badRequest" }, { 3, "badTime" }, { 4, "badCertId" },
};

static const guint32 http_statuses[] = { 202, 400, 401, 403, 404, 407, 413, 429, 500, 502, 503, 504 };

static void
assert_specific (CradleExplainKind  kind,
                 guint32            code,
                 const char        *name)
{
  const CradleExplanation *explanation = cradle_explain (kind, code);

  g_assert_nonnull (explanation);
  g_assert_false (cradle_explanation_is_generic (explanation));
  g_assert_cmpint (cradle_explanation_get_kind (explanation), ==, kind);
  g_assert_cmpuint (cradle_explanation_get_code (explanation), ==, code);
  if (name != NULL)
    g_assert_cmpstr (cradle_explanation_get_name (explanation), ==, name);
  g_assert_cmpuint (strlen (cradle_explanation_get_summary (explanation)), >, 20);
  g_assert_cmpuint (strlen (cradle_explanation_get_user_action (explanation)), >, 20);
  g_assert_cmpuint (strlen (cradle_explanation_get_support_action (explanation)), >, 20);
}

static void
test_certsrv_codes (void)
{
  g_assert_cmpuint (G_N_ELEMENTS (certsrv_codes), ==, 52);
  for (gsize i = 0; i < G_N_ELEMENTS (certsrv_codes); i++)
    assert_specific (CRADLE_EXPLAIN_HRESULT, certsrv_codes[i].code, certsrv_codes[i].name);
  for (gsize i = 0; i < G_N_ELEMENTS (other_hresults); i++)
    assert_specific (CRADLE_EXPLAIN_HRESULT, other_hresults[i].code, other_hresults[i].name);
}

static void
test_other_kinds (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (dispositions); i++)
    assert_specific (CRADLE_EXPLAIN_DISPOSITION, dispositions[i].code, dispositions[i].name);
  for (gsize i = 0; i < G_N_ELEMENTS (scep_fail_info); i++)
    assert_specific (CRADLE_EXPLAIN_SCEP_FAIL_INFO, scep_fail_info[i].code, scep_fail_info[i].name);
  for (gsize i = 0; i < G_N_ELEMENTS (http_statuses); i++)
    {
      g_autofree char *prefix = g_strdup_printf ("HTTP %u ", http_statuses[i]);

      assert_specific (CRADLE_EXPLAIN_HTTP_STATUS, http_statuses[i], NULL);
      g_assert_true (g_str_has_prefix (cradle_explanation_get_name (cradle_explain (CRADLE_EXPLAIN_HTTP_STATUS,
                                                                                    http_statuses[i])),
                                       prefix));
    }
  for (guint32 code = CRADLE_TLS_FAILURE_UNTRUSTED; code <= CRADLE_TLS_FAILURE_REVOKED; code++)
    assert_specific (CRADLE_EXPLAIN_TLS, code, NULL);
  for (guint32 code = CRADLE_TRANSPORT_FAILURE_CONNECTION_REFUSED; code <= CRADLE_TRANSPORT_FAILURE_BAD_RESPONSE; code++)
    assert_specific (CRADLE_EXPLAIN_TRANSPORT, code, NULL);
  for (guint32 code = CRADLE_KERBEROS_FAILURE_NO_TICKET; code <= CRADLE_KERBEROS_FAILURE_PREAUTH_FAILED; code++)
    assert_specific (CRADLE_EXPLAIN_KERBEROS, code, NULL);
  for (guint32 code = CRADLE_DIRECTORY_FAILURE_NO_DOMAIN; code <= CRADLE_DIRECTORY_FAILURE_CATALOG_PROBLEMS; code++)
    assert_specific (CRADLE_EXPLAIN_DIRECTORY, code, NULL);
  assert_specific (CRADLE_EXPLAIN_DIRECTORY, CRADLE_DIRECTORY_FAILURE_DC_UNREACHABLE, "DC_UNREACHABLE");
  assert_specific (CRADLE_EXPLAIN_KERBEROS, CRADLE_KERBEROS_FAILURE_CLOCK_SKEW, "KRB5KRB_AP_ERR_SKEW");
  for (guint32 code = CRADLE_DEVICE_FAILURE_NONE_FOUND; code <= CRADLE_DEVICE_FAILURE_STORES_FULL; code++)
    assert_specific (CRADLE_EXPLAIN_DEVICE, code, NULL);
  assert_specific (CRADLE_EXPLAIN_DEVICE, CRADLE_DEVICE_FAILURE_NOT_PAIRED, "DEVICE_NOT_PAIRED");
  for (guint32 code = CRADLE_CERTIFICATE_PROBLEM_NO_STRONG_MAPPING; code <= CRADLE_CERTIFICATE_PROBLEM_CRL_OUT_OF_DATE;
       code++)
    assert_specific (CRADLE_EXPLAIN_CERTIFICATE, code, NULL);
  assert_specific (CRADLE_EXPLAIN_CERTIFICATE, CRADLE_CERTIFICATE_PROBLEM_NO_STRONG_MAPPING,
                   "KB5014754_NO_STRONG_MAPPING");
  assert_specific (CRADLE_EXPLAIN_TLS, CRADLE_TLS_FAILURE_UNTRUSTED, "TLS_UNTRUSTED_ISSUER");
  for (guint32 code = CRADLE_TOKEN_FAILURE_PIN_REQUIRED; code <= CRADLE_TOKEN_FAILURE_MODULE; code++)
    {
      assert_specific (CRADLE_EXPLAIN_TOKEN, code, NULL);
      g_assert_true (g_str_has_prefix (cradle_explanation_get_name (cradle_explain (CRADLE_EXPLAIN_TOKEN, code)),
                                       "TOKEN_"));
    }
  assert_specific (CRADLE_EXPLAIN_TOKEN, CRADLE_TOKEN_FAILURE_PIN_LOCKED, "TOKEN_PIN_LOCKED");
  g_assert_true (cradle_explanation_is_generic (cradle_explain (CRADLE_EXPLAIN_TOKEN, CRADLE_TOKEN_FAILURE_MODULE + 1)));

  /* Each CradleError has its generic entry, named as cradle_error_to_string() names it. */
  for (int code = CRADLE_ERROR_FAILED; code <= CRADLE_ERROR_NOT_PAIRED; code++)
    {
      const CradleExplanation *explanation = cradle_explain (CRADLE_EXPLAIN_CRADLE_ERROR, (guint32) code);

      g_assert_true (cradle_explanation_is_generic (explanation));
      g_assert_cmpint (cradle_explanation_get_kind (explanation), ==, CRADLE_EXPLAIN_CRADLE_ERROR);
      g_assert_cmpuint (cradle_explanation_get_code (explanation), ==, (guint32) code);
      g_assert_cmpstr (cradle_explanation_get_name (explanation), ==, cradle_error_to_string (code));
    }
}

static const char *const placeholders[] = {
  "%", "<", ">", "TODO", "FIXME", "XXX", "...", "  ", "\t", "\n", "\r", " .", " ,", "0x8009xxxx",
};

/* Commands the texts may send people to: the command-line contract's. */
static const char *const commands[] = {
  "devices", "templates", "enroll", "pending", "retrieve", "certs", "log",
};

static void
assert_sentence (const char *text)
{
  gsize length = strlen (text);

  g_assert_cmpuint (length, >, 10);
  g_assert_cmpuint (length, <, 320);
  g_assert_true (g_ascii_isupper (text[0]));
  g_assert_cmpint (text[length - 1], ==, '.');
  for (gsize i = 0; i < length; i++)
    g_assert_true (g_ascii_isprint (text[i]));
  for (gsize i = 0; i < G_N_ELEMENTS (placeholders); i++)
    {
      if (strstr (text, placeholders[i]) != NULL)
        g_test_message ("'%s' in: %s", placeholders[i], text);
      g_assert_null (strstr (text, placeholders[i]));
    }
  for (const char *p = strstr (text, "'cradlectl "); p != NULL; p = strstr (p + 1, "'cradlectl "))
    {
      gboolean known = FALSE;

      for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
        {
          const char *after = p + strlen ("'cradlectl ");

          if (g_str_has_prefix (after, commands[i]) && !g_ascii_isalpha (after[strlen (commands[i])]))
            known = TRUE;
        }
      g_assert_true (known);
    }
}

static void
test_table_well_formed (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_autoptr(GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gsize n_entries = 0;
  const CradleExplanation *table = cradle_explain_get_table (&n_entries);

  g_assert_cmpuint (n_entries, >=, 52 + 13 + 7 + 5 + 12 + 6 + 9 + 6 + 13 + 9);
  for (gsize i = 0; i < n_entries; i++)
    {
      const CradleExplanation *entry = &table[i];
      gint64 *key = g_new (gint64, 1);
      g_autofree char *label = g_strdup_printf ("%u/%s", (guint) entry->kind, entry->name);

      g_test_message ("%s", label);
      *key = ((gint64) entry->kind << 32) | entry->code;
      g_assert_false (g_hash_table_contains (seen, key));
      g_hash_table_add (seen, key);
      /* Names are unique within a kind's meaning, and plain. */
      g_assert_false (g_hash_table_contains (names, label));
      g_hash_table_add (names, g_steal_pointer (&label));

      g_assert_nonnull (entry->name);
      g_assert_cmpuint (strlen (entry->name), >, 0);
      g_assert_false (g_ascii_isspace (entry->name[0]));
      g_assert_false (g_ascii_isspace (entry->name[strlen (entry->name) - 1]));
      assert_sentence (entry->summary);
      assert_sentence (entry->user_action);
      assert_sentence (entry->support_action);
      g_assert_cmpstr (entry->summary, !=, entry->user_action);
      g_assert_cmpstr (entry->user_action, !=, entry->support_action);
      /* Only the CradleError fallbacks are generic in the table. */
      g_assert_cmpint (entry->generic, ==, entry->kind == CRADLE_EXPLAIN_CRADLE_ERROR);
      /* A CERTSRV name sits on a CERTSRV code. */
      if (g_str_has_prefix (entry->name, "CERTSRV_E_"))
        g_assert_cmpuint (entry->code & 0xFFFF0000u, ==, 0x80090000u);
    }
}

static void
test_fallback (void)
{
  const CradleExplanation *unknown = cradle_explain (CRADLE_EXPLAIN_HRESULT, 0x80091234);
  const CradleExplanation *teapot = cradle_explain (CRADLE_EXPLAIN_HTTP_STATUS, 418);
  const CradleExplanation *server = cradle_explain (CRADLE_EXPLAIN_HTTP_STATUS, 599);
  const CradleExplanation *redirect = cradle_explain (CRADLE_EXPLAIN_HTTP_STATUS, 302);
  const CradleExplanation *fail_info = cradle_explain (CRADLE_EXPLAIN_SCEP_FAIL_INFO, 9);
  const CradleExplanation *disposition = cradle_explain (CRADLE_EXPLAIN_DISPOSITION, 42);
  const CradleExplanation *tls = cradle_explain (CRADLE_EXPLAIN_TLS, 99);
  const CradleExplanation *cradle = cradle_explain (CRADLE_EXPLAIN_CRADLE_ERROR, 999);

  g_assert_true (cradle_explanation_is_generic (unknown));
  g_assert_cmpstr (cradle_explanation_get_name (unknown), ==, "0x80091234");
  g_assert_cmpstr (cradle_explanation_get_summary (unknown), ==,
                   "The CA answered with code 0x80091234, which Cradle does not know.");
  g_assert_nonnull (strstr (cradle_explanation_get_support_action (unknown), "certutil -error 0x80091234"));
  assert_sentence (cradle_explanation_get_user_action (unknown));
  /* The same one every time: callers keep the pointer. */
  g_assert_true (cradle_explain (CRADLE_EXPLAIN_HRESULT, 0x80091234) == unknown);

  g_assert_true (cradle_explanation_is_generic (teapot));
  g_assert_cmpstr (cradle_explanation_get_name (teapot), ==, "HTTP 418");
  g_assert_nonnull (strstr (cradle_explanation_get_summary (teapot), "refused"));
  g_assert_nonnull (strstr (cradle_explanation_get_summary (server), "failed with HTTP status 599"));
  g_assert_nonnull (strstr (cradle_explanation_get_summary (redirect), "did not expect"));
  g_assert_nonnull (strstr (cradle_explanation_get_summary (fail_info), "failInfo 9"));
  g_assert_nonnull (strstr (cradle_explanation_get_summary (disposition), "disposition 42"));
  g_assert_true (cradle_explanation_is_generic (tls));
  assert_sentence (cradle_explanation_get_summary (tls));
  g_assert_cmpstr (cradle_explanation_get_name (cradle), ==, "failed");
}

static void
test_ca_code (void)
{
  g_assert_cmpstr (cradle_explanation_get_name (cradle_explain_ca_code ("certsrv", 0x80094012)), ==,
                   "CERTSRV_E_TEMPLATE_DENIED");
  g_assert_cmpstr (cradle_explanation_get_name (cradle_explain_ca_code ("wstep", 0x80094800)), ==,
                   "CERTSRV_E_UNSUPPORTED_CERT_TYPE");
  g_assert_cmpstr (cradle_explanation_get_name (cradle_explain_ca_code ("scep", 2)), ==, "badRequest");
  g_assert_cmpstr (cradle_explanation_get_name (cradle_explain_ca_code ("est", 401)), ==,
                   "HTTP 401 Unauthorized");
  g_assert_true (cradle_explanation_is_generic (cradle_explain_ca_code ("gopher", 1)));
}

static void
test_format_hresult (void)
{
  g_autofree char *denied = cradle_explain_format_hresult (0x80094012);
  g_autofree char *invalid_arg = cradle_explain_format_hresult (0x80070057);
  g_autofree char *unknown = cradle_explain_format_hresult (0x80091234);

  g_assert_cmpstr (denied, ==, "CERTSRV_E_TEMPLATE_DENIED 0x80094012");
  g_assert_cmpstr (invalid_arg, ==, "E_INVALIDARG 0x80070057");
  g_assert_cmpstr (unknown, ==, "0x80091234");
}

static const char *
name_for_error (GError *error)
{
  return cradle_explanation_get_name (cradle_explain_error (error));
}

static void
test_error_detail (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) copy = NULL;
  g_autoptr(GError) propagated = NULL;
  CradleExplainKind kind = CRADLE_EXPLAIN_HRESULT;
  guint32 code = 0;

  cradle_explain_set_error (&error, CRADLE_ERROR_AUTH_FAILED, CRADLE_EXPLAIN_KERBEROS,
                            CRADLE_KERBEROS_FAILURE_CLOCK_SKEW, "Could not sign in to %s.", "ca1");
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED);
  g_assert_cmpstr (error->message, ==, "Could not sign in to ca1.");
  g_assert_true (cradle_explain_get_detail (error, &kind, &code));
  g_assert_cmpint (kind, ==, CRADLE_EXPLAIN_KERBEROS);
  g_assert_cmpuint (code, ==, CRADLE_KERBEROS_FAILURE_CLOCK_SKEW);
  g_assert_cmpstr (name_for_error (error), ==, "KRB5KRB_AP_ERR_SKEW");

  /* Context added on the way up keeps the detail. */
  g_prefix_error (&error, "Enrolling failed: ");
  g_assert_cmpstr (name_for_error (error), ==, "KRB5KRB_AP_ERR_SKEW");
  copy = g_error_copy (error);
  g_assert_cmpstr (name_for_error (copy), ==, "KRB5KRB_AP_ERR_SKEW");
  g_propagate_prefixed_error (&propagated, g_steal_pointer (&error), "%s: ", "cradlectl");
  g_assert_cmpstr (name_for_error (propagated), ==, "KRB5KRB_AP_ERR_SKEW");

  /* Set on an error made the usual way. */
  {
    g_autoptr(GError) later = g_error_new (CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE, "No answer.");

    g_assert_false (cradle_explain_get_detail (later, NULL, NULL));
    g_assert_cmpstr (name_for_error (later), ==, "unreachable");
    cradle_explain_set_detail (later, CRADLE_EXPLAIN_TRANSPORT, CRADLE_TRANSPORT_FAILURE_DNS_NOT_FOUND);
    g_assert_cmpstr (name_for_error (later), ==, "DNS_NAME_NOT_FOUND");
    g_assert_false (cradle_explanation_is_generic (cradle_explain_error (later)));
  }

  /* Nowhere to put it: nothing happens. */
  cradle_explain_set_error (NULL, CRADLE_ERROR_FAILED, CRADLE_EXPLAIN_TLS, CRADLE_TLS_FAILURE_EXPIRED, "x");
  /* Other domains carry no detail. */
  {
    g_autoptr(GError) io = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "x");

    g_assert_false (cradle_explain_get_detail (io, &kind, &code));
  }
}

static void
test_error_without_detail (void)
{
  static const struct {
    int         code;
    const char *message;
    const char *expected;
  } cases[] = {
    /* A CA refusal names its code in the message, as the house style asks. */
    { CRADLE_ERROR_CA_DENIED, "The CA refused: Denied by Policy Module 0x80094012, The permissions.",
      "CERTSRV_E_TEMPLATE_DENIED" },
    { CRADLE_ERROR_CA_DENIED, "Refused (CERTSRV_E_UNSUPPORTED_CERT_TYPE 0x80094800).",
      "CERTSRV_E_UNSUPPORTED_CERT_TYPE" },
    { CRADLE_ERROR_CA_DENIED, "Request 0x12345678 refused with 0x80070057.", "E_INVALIDARG" },
    { CRADLE_ERROR_CA_DENIED, "Refused with 0x800940121, nine digits.", "ca-denied" },
    { CRADLE_ERROR_CA_DENIED, "Refused with 0x8009401 only.", "ca-denied" },
    /* Codes in other errors are not the CA's verdict. */
    { CRADLE_ERROR_INVALID_DATA, "Bad byte 0x80094012.", "invalid-data" },
    { CRADLE_ERROR_DEVICE_GONE, "Gone.", "device-gone" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = g_error_new_literal (CRADLE_ERROR, cases[i].code, cases[i].message);

      g_assert_cmpstr (name_for_error (error), ==, cases[i].expected);
    }

  /* GIO's own errors, from GTlsConnection, GResolver and sockets. */
  {
    g_autoptr(GError) tls = g_error_new_literal (G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE, "x");
    g_autoptr(GError) client = g_error_new_literal (G_TLS_ERROR, G_TLS_ERROR_CERTIFICATE_REQUIRED, "x");
    g_autoptr(GError) handshake = g_error_new_literal (G_TLS_ERROR, G_TLS_ERROR_HANDSHAKE, "x");
    g_autoptr(GError) dns = g_error_new_literal (G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND, "x");
    g_autoptr(GError) refused = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED, "x");
    g_autoptr(GError) timeout = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "x");
    g_autoptr(GError) proxy = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_PROXY_AUTH_FAILED, "x");
    g_autoptr(GError) route = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE, "x");
    g_autoptr(GError) other = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_NOT_MOUNTED, "x");
    g_autoptr(GError) file = g_error_new_literal (G_FILE_ERROR, G_FILE_ERROR_NOENT, "x");

    g_assert_cmpstr (name_for_error (tls), ==, "TLS_UNTRUSTED_ISSUER");
    g_assert_cmpstr (name_for_error (client), ==, "TLS_CLIENT_CERTIFICATE_REQUIRED");
    g_assert_cmpstr (name_for_error (handshake), ==, "TLS_HANDSHAKE_FAILED");
    g_assert_cmpstr (name_for_error (dns), ==, "DNS_NAME_NOT_FOUND");
    g_assert_cmpstr (name_for_error (refused), ==, "CONNECTION_REFUSED");
    g_assert_cmpstr (name_for_error (timeout), ==, "TIMED_OUT");
    g_assert_cmpstr (name_for_error (proxy), ==, "PROXY_FAILED");
    g_assert_cmpstr (name_for_error (route), ==, "NETWORK_UNREACHABLE");
    g_assert_cmpstr (name_for_error (other), ==, "failed");
    g_assert_true (cradle_explanation_is_generic (cradle_explain_error (other)));
    g_assert_cmpstr (name_for_error (file), ==, "failed");
  }
}

/* Codes from outside cannot grow memory without bound. Runs last: it
 * fills the store of made explanations. */
static void
test_fallback_bounded (void)
{
  const CradleExplanation *last = NULL;

  for (guint32 code = 0; code < 1000; code++)
    {
      last = cradle_explain (CRADLE_EXPLAIN_HRESULT, 0x8FFF0000u + code);
      g_assert_nonnull (last);
      g_assert_true (cradle_explanation_is_generic (last));
      assert_sentence (cradle_explanation_get_summary (last));
    }
  g_assert_cmpstr (cradle_explanation_get_name (last), ==, "unknown");
  /* Known codes are unaffected. */
  g_assert_false (cradle_explanation_is_generic (cradle_explain (CRADLE_EXPLAIN_HRESULT, 0x80094012)));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/explain/certsrv-codes", test_certsrv_codes);
  g_test_add_func ("/explain/other-kinds", test_other_kinds);
  g_test_add_func ("/explain/table-well-formed", test_table_well_formed);
  g_test_add_func ("/explain/fallback", test_fallback);
  g_test_add_func ("/explain/ca-code", test_ca_code);
  g_test_add_func ("/explain/format-hresult", test_format_hresult);
  g_test_add_func ("/explain/error-detail", test_error_detail);
  g_test_add_func ("/explain/error-without-detail", test_error_without_detail);
  g_test_add_func ("/explain/fallback-bounded", test_fallback_bounded);

  return g_test_run ();
}
