/* test-wstep-fixtures.c: MS-WSTEP messages — the specification's section 4
 * examples as published, and reconstructions of what they lack */
#include "config.h"

#include <string.h>

#include <openssl/cms.h>

#include "wstep-test-support.h"

/* ---- MS-WSTEP section 4, as published -----------------------------------------
 *
 * The ms-wstep-4.*.xml fixtures are the specification's own text; README.md
 * says where each comes from and the little that was undone.  Its authors
 * broke long lines by hand, some inside a URI: the white space that leaves in
 * text and attribute values is kept as published, and where it lands inside
 * a namespace name the element is in another namespace, which Cradle's
 * readers (that go by namespace) do not guess at. */

/* @text without its white space: a URI as it was before the line was broken. */
static char *
without_space (const char *text)
{
  GString *joined = g_string_new (NULL);

  for (const char *p = text; p != NULL && *p != '\0'; p++)
    {
      if (!g_ascii_isspace (*p))
        g_string_append_c (joined, *p);
    }
  return g_string_free (joined, FALSE);
}

/* The content a PKCS#7 signs: the PKCS#10 inside a renewal request. */
static GBytes *
signed_content (GBytes *pkcs7)
{
  gsize size = 0;
  const unsigned char *p = g_bytes_get_data (pkcs7, &size);
  CMS_ContentInfo *cms = d2i_CMS_ContentInfo (NULL, &p, (long) size);
  ASN1_OCTET_STRING **content;
  GBytes *bytes;

  g_assert_nonnull (cms);
  content = CMS_get0_content (cms);
  g_assert_true (content != NULL && *content != NULL);
  bytes = g_bytes_new (ASN1_STRING_get0_data (*content), ASN1_STRING_length (*content));
  CMS_ContentInfo_free (cms);
  return bytes;
}

/* Whether @certificates holds one with @der. */
static gboolean
holds_der (GPtrArray *certificates,
           GBytes    *der)
{
  for (guint i = 0; i < certificates->len; i++)
    {
      if (g_bytes_equal (cradle_certificate_get_der (g_ptr_array_index (certificates, i)), der))
        return TRUE;
    }
  return FALSE;
}

/* An issued answer of the specification: the leaf (the user "abby") and the
 * CMC response beside it with the root, the issuing CA and the leaf again. */
static void
assert_spec_issued (const CradleWstepResult *result,
                    CradleCaRequest         *request,
                    const char              *request_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCertificate) leaf = cradle_certificate_new_from_der (result->leaf, &error);
  g_autoptr(GPtrArray) bundle = NULL;
  g_autoptr(CradleCaAnswer) answer = NULL;
  GPtrArray *chain;

  g_assert_no_error (error);
  g_assert_cmpint (result->kind, ==, CRADLE_WSTEP_RESULT_ISSUED);
  g_assert_cmpstr (result->request_id, ==, request_id);
  g_assert_null (result->reference_uri);
  g_assert_nonnull (strstr (cradle_certificate_get_subject (leaf), "CN = abby"));
  g_assert_nonnull (strstr (cradle_certificate_get_issuer (leaf), "CN = FB_EntSubCA"));
  bundle = cradle_pkcs7_dup_certificates (result->pkcs7, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bundle->len, ==, 3);
  g_assert_true (holds_der (bundle, result->leaf));

  /* The leaf is for the request's key; the chain is the two CAs. */
  answer = cradle_wstep_answer_new (result, request, NULL, FIXTURE_CES,
                                    CRADLE_ENDPOINT_AUTH_KERBEROS, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cradle_ca_answer_get_status (answer), ==, CRADLE_CA_STATUS_ISSUED);
  g_assert_cmpint (cradle_ca_answer_get_protocol (answer), ==, CRADLE_CA_PROTOCOL_WSTEP);
  g_assert_cmpstr (cradle_ca_answer_get_request_id (answer), ==, request_id);
  g_assert_true (g_bytes_equal (cradle_certificate_get_der (cradle_ca_answer_get_leaf (answer)),
                                result->leaf));
  chain = cradle_ca_answer_get_chain (answer);
  g_assert_cmpuint (chain->len, ==, 2);
  for (guint i = 0; i < chain->len; i++)
    g_assert_nonnull (strstr (cradle_certificate_get_subject (g_ptr_array_index (chain, i)),
                              "CN = FB_Ent"));
}

/* 4.1.1.1 RequestSecurityToken Message (Issue Request) */
static void
test_spec_issue_request (void)
{
  g_autoptr(GBytes) body = fixture ("ms-wstep-4.1.1.1-issue-request.xml");
  g_autoptr(Rst) spec = read_rst (body);
  CradleSoapHeader header = { .action = CRADLE_WSTEP_ACTION_RST, .to = FIXTURE_CES };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) built_body = NULL;
  g_autoptr(Rst) built = NULL;
  g_autofree char *encoding_type = without_space (spec->encoding_type);
  g_autofree char *value_type = without_space (spec->value_type);

  /* The line break after <a:Action> is white space around the text. */
  g_assert_cmpstr (spec->action, ==, CRADLE_WSTEP_ACTION_RST);
  g_assert_cmpstr (spec->token_type, ==, CRADLE_WSTEP_TOKEN_X509V3);
  g_assert_cmpstr (spec->request_type, ==, CRADLE_WSTEP_REQUEST_ISSUE);
  g_assert_false (spec->request_ket);
  g_assert_cmpstr (spec->token_ns, ==, CRADLE_WSSE_NS);
  g_assert_true (spec->has_request_id);
  g_assert_true (spec->request_id_nil);
  /* The attribute values are broken across lines as published; the
   * example's ValueType says #PKCS7 for what is a PKCS#10. */
  g_assert_nonnull (strstr (spec->encoding_type, "/2004/01/  oasis-200401-"));
  g_assert_cmpstr (encoding_type, ==, CRADLE_WSTEP_ENCODING_BASE64);
  g_assert_cmpstr (value_type, ==, CRADLE_WSSE_NS "#PKCS7");
  /* The base64, in 64-character groups separated by spaces, is read whole. */
  g_assert_cmpuint (g_bytes_get_size (spec->token), ==, 1040);

  /* What Cradle builds for the same PKCS#10 reads the same. */
  built_body = cradle_wstep_build_issue (&header, spec->token, NULL, NULL, &error);
  g_assert_no_error (error);
  built = read_rst (built_body);
  g_assert_cmpstr (built->action, ==, spec->action);
  g_assert_cmpstr (built->token_type, ==, spec->token_type);
  g_assert_cmpstr (built->request_type, ==, spec->request_type);
  g_assert_cmpstr (built->token_ns, ==, spec->token_ns);
  g_assert_cmpstr (built->encoding_type, ==, encoding_type);
  g_assert_true (g_bytes_equal (built->token, spec->token));
  g_assert_true (built->has_request_id);
  g_assert_true (built->request_id_nil);
  /* Cradle names the payload what it is, as cepces and Windows clients do. */
  g_assert_cmpstr (built->value_type, ==, CRADLE_WSTEP_VALUE_PKCS10);
}

/* 4.1.1.2 Server RequestSecurityToken Response */
static void
test_spec_issue_response (void)
{
  g_autoptr(CradleWstepResult) result = parse_fixture ("ms-wstep-4.1.1.2-issue-response.xml");
  g_autoptr(CradleCaRequest) request = spec_issue_request ();

  /* "<DispositionMessage …>\n Issued": the line break is white space around it. */
  g_assert_cmpstr (result->message, ==, "Issued");
  assert_spec_issued (result, request, "61");
}

/* 4.1.2.1 Client Exchange Token Request */
static void
test_spec_ket_request (void)
{
  g_autoptr(GBytes) body = fixture ("ms-wstep-4.1.2.1-ket-request.xml");
  g_autoptr(Rst) spec = read_rst (body);

  g_assert_cmpstr (spec->action, ==, "http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/KET");
  g_assert_cmpstr (spec->token_type, ==, CRADLE_WSTEP_TOKEN_X509V3);
  g_assert_cmpstr (spec->request_type, ==, "http://docs.oasis-open.org/ws-sx/ws-trust/200512/KET");
  g_assert_true (spec->request_ket);
  g_assert_null (spec->token_ns);
  g_assert_null (spec->token);
  g_assert_true (spec->has_request_id);
  g_assert_true (spec->request_id_nil);
}

/* 4.1.2.2 Server Key Exchange Token Response: the CA's exchange certificate,
 * which Cradle never asks for (it has no key to archive).  It is not taken
 * for an issued certificate; what it carries reads as a certificate. */
static void
test_spec_ket_response (void)
{
  g_autoptr(GBytes) body = fixture ("ms-wstep-4.1.2.2-ket-response.xml");
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleWstepResult) result = cradle_wstep_result_parse (body, CRADLE_XML_MAX_SIZE,
                                                                   &error);
  g_autoptr(CradleSoapMessage) message = NULL;
  g_autoptr(GBytes) der = NULL;
  g_autoptr(CradleCertificate) exchange = NULL;
  g_autofree char *text = NULL;
  xmlNode *token;

  g_assert_null (result);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "neither a certificate nor a pending request"));
  g_clear_error (&error);

  message = cradle_soap_message_parse (body, CRADLE_XML_MAX_SIZE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (message->action, ==,
                   "http://docs.oasis-open.org/ws-sx/ws-trust/200512/RSTR/KETFinal");
  token = cradle_xml_child (message->payload, CRADLE_WST_NS, "RequestSecurityTokenResponse");
  token = cradle_xml_child (token, CRADLE_WST_NS, "RequestedSecurityToken");
  token = cradle_xml_child (token, CRADLE_WST_NS, "KeyExchangeToken");
  token = cradle_xml_child (token, CRADLE_WSSE_NS, "BinarySecurityToken");
  text = cradle_xml_dup_text (token);
  der = cradle_xml_decode_base64 (text, "The exchange certificate", &error);
  g_assert_no_error (error);
  exchange = cradle_certificate_new_from_der (der, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (cradle_certificate_get_subject (exchange), "CN = FB_EntSubCA-Xchg"));
}

/* 4.1.3.1 Client Request (QueryTokenStatus; the answer is not shown) */
static void
test_spec_query_request (void)
{
  g_autoptr(GBytes) body = fixture ("ms-wstep-4.1.3.1-query-request.xml");
  g_autoptr(Rst) spec = read_rst (body);
  CradleSoapHeader header = { .action = CRADLE_WSTEP_ACTION_RST, .to = FIXTURE_CES };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) built_body = cradle_wstep_build_query (&header, "65", &error);
  g_autoptr(Rst) built = NULL;

  g_assert_cmpstr (spec->action, ==, CRADLE_WSTEP_ACTION_RST);
  g_assert_cmpstr (spec->token_type, ==, CRADLE_WSTEP_TOKEN_X509V3);
  g_assert_cmpstr (spec->request_type, ==, CRADLE_WSTEP_REQUEST_QUERY);
  g_assert_cmpstr (spec->request_id, ==, "65");
  g_assert_false (spec->request_id_nil);
  g_assert_null (spec->token);

  g_assert_no_error (error);
  built = read_rst (built_body);
  g_assert_cmpstr (built->action, ==, spec->action);
  g_assert_cmpstr (built->token_type, ==, spec->token_type);
  g_assert_cmpstr (built->request_type, ==, spec->request_type);
  g_assert_cmpstr (built->request_id, ==, spec->request_id);
  g_assert_false (built->request_id_nil);
  g_assert_null (built->token);
}

/* 4.1.4.2 Server Fault Response, with the one change that makes it XML (see
 * the next test): a WCF fault, no detail, so no HRESULT. */
static void
test_spec_fault (void)
{
  g_autoptr(GBytes) body = fixture ("ms-wstep-4.1.4.2-fault-response.xml");
  g_autoptr(CradleWstepResult) result = parse_ok (body);
  g_autoptr(CradleCaRequest) request = spec_issue_request ();
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleSoapMessage) message = NULL;
  g_autoptr(CradleCaAnswer) answer = NULL;

  g_assert_cmpint (result->kind, ==, CRADLE_WSTEP_RESULT_FAULT);
  g_assert_cmpstr (result->fault_code, ==, "Receiver");
  g_assert_cmpstr (result->fault_subcode, ==, "InternalServiceFault");
  g_assert_false (result->fault_is_security);
  g_assert_false (result->has_error_code);
  g_assert_false (result->invalid_request);
  g_assert_null (result->request_id);
  g_assert_null (result->binary_response);
  g_assert_null (result->leaf);
  /* The reason's hand-made line breaks become single spaces. */
  g_assert_true (g_str_has_prefix (result->message, "The server was unable to process the "
                                                    "request due to an internal error. For more "
                                                    "information about the error, either turn "
                                                    "on IncludeExceptionDetailInFaults"));
  g_assert_nonnull (strstr (result->message, "from the <<serviceDebug>> configuration behavior)"));
  g_assert_true (g_str_has_suffix (result->message, "inspect the server trace logs."));

  /* The subcode's prefix is declared with a namespace broken across lines as
   * published; it is kept as it is, and only the local name classifies. */
  message = cradle_soap_message_parse (body, CRADLE_XML_MAX_SIZE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (message->fault->subcode_ns, ==,
                   "http://schemas.microsoft.com/net/2005/12/windowscommunicationfoundation/"
                   "  dispatcher");

  answer = cradle_wstep_answer_new (result, request, NULL, FIXTURE_CES,
                                    CRADLE_ENDPOINT_AUTH_KERBEROS, &error);
  g_assert_null (answer);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "ca1.contoso.example"));
  g_assert_nonnull (strstr (error->message, "gave no error code"));
  g_assert_nonnull (strstr (error->message, "“The server was unable to process the request "
                                            "due to an internal error."));
  g_assert_nonnull (strstr (error->message, "InternalServiceFault"));
}

/* 4.1.4.2 exactly as published: "&lt;<serviceDebug>&gt;" opens an element
 * that is never closed, so it is not XML, and the refusal names that. */
static void
test_spec_fault_as_published (void)
{
  g_autoptr(GBytes) body = fixture ("ms-wstep-4.1.4.2-fault-response.as-published.xml");
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleWstepResult) result = cradle_wstep_result_parse (body, CRADLE_XML_MAX_SIZE,
                                                                   &error);

  g_assert_null (result);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "not well-formed"));
  /* The first error, where it broke, not the last ("Premature end of data"). */
  g_assert_nonnull (strstr (error->message, "serviceDebug line 23 and s:Text (line 26)"));
}

/* 4.1.5.1 Client Renewal Request */
static void
test_spec_renewal_request (void)
{
  g_autoptr(GBytes) body = fixture ("ms-wstep-4.1.5.1-renewal-request.xml");
  g_autoptr(Rst) spec = read_rst (body);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) signers = NULL;
  g_autoptr(GBytes) csr = NULL;
  g_autofree char *action = without_space (spec->action);
  g_autofree char *token_type = without_space (spec->token_type);
  g_autofree char *token_ns = without_space (spec->token_ns);
  g_autofree char *value_type = without_space (spec->value_type);

  /* Action and TokenType are broken inside the URI as published. */
  g_assert_cmpstr (spec->action, !=, CRADLE_WSTEP_ACTION_RST);
  g_assert_cmpstr (action, ==, CRADLE_WSTEP_ACTION_RST);
  g_assert_cmpstr (spec->token_type, !=, CRADLE_WSTEP_TOKEN_X509V3);
  g_assert_cmpstr (token_type, ==, CRADLE_WSTEP_TOKEN_X509V3);
  g_assert_cmpstr (spec->request_type, ==, CRADLE_WSTEP_REQUEST_ISSUE);
  g_assert_true (spec->request_id_nil);
  /* So is the BinarySecurityToken's xmlns: that puts it in another
   * namespace, and a reader going by namespace does not see it. */
  g_assert_cmpstr (spec->token_ns, !=, CRADLE_WSSE_NS);
  g_assert_cmpstr (token_ns, ==, CRADLE_WSSE_NS);
  g_assert_cmpstr (value_type, ==, CRADLE_WSSE_NS "#PKCS7");

  /* The token (a space before it, spaces between its groups) is a PKCS#7
   * signed with the certificate being renewed, around the new PKCS#10. */
  g_assert_nonnull (spec->token);
  signers = cradle_pkcs7_dup_certificates (spec->token, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (signers->len, ==, 1);
  g_assert_nonnull (strstr (cradle_certificate_get_subject (g_ptr_array_index (signers, 0)),
                            "CN = abby"));
  csr = signed_content (spec->token);
  g_assert_cmpuint (g_bytes_get_size (csr), >, 0);
}

/* 4.1.5.2 Server Request Security Token Response */
static void
test_spec_renewal_response (void)
{
  g_autoptr(CradleWstepResult) result = parse_fixture ("ms-wstep-4.1.5.2-renewal-response.xml");
  g_autoptr(CradleWstepResult) first = parse_fixture ("ms-wstep-4.1.1.2-issue-response.xml");
  g_autoptr(GBytes) request_body = fixture ("ms-wstep-4.1.5.1-renewal-request.xml");
  g_autoptr(Rst) renewal = read_rst (request_body);
  g_autoptr(GBytes) csr = signed_content (renewal->token);
  g_autoptr(CradleCaRequest) request = cradle_ca_request_new (csr, "User");

  /* Its DispositionMessage's xmlns is broken across lines as published:
   * another namespace, so no message is read from it. */
  g_assert_null (result->message);
  /* A new certificate, for the key of the PKCS#10 inside the renewal. */
  g_assert_false (g_bytes_equal (result->leaf, first->leaf));
  assert_spec_issued (result, request, "63");
}

/* ---- reconstructed: what section 4 lacks (README.md) ---------------------------- */

static void
assert_reconstructed_certificates (const CradleWstepResult *result)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCertificate) leaf = cradle_certificate_new_from_der (result->leaf, &error);
  g_autoptr(GPtrArray) bundle = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (strstr (cradle_certificate_get_subject (leaf), "Test User"));
  bundle = cradle_pkcs7_dup_certificates (result->pkcs7, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bundle->len, ==, 3);
}

/* An Issue request with an AdditionalContext, its base64 broken by &#xD; as
 * Windows clients send it. */
static void
test_reconstructed_request (void)
{
  g_autoptr(GBytes) body = fixture ("reconstructed-4.1.1.1-request-with-context.xml");
  g_autoptr(GBytes) csr = fixture ("request.csr");
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleSoapMessage) message = cradle_soap_message_parse (body, CRADLE_XML_MAX_SIZE,
                                                                    &error);
  g_autoptr(GBytes) token = NULL;
  g_autofree char *request_type = NULL;
  g_autofree char *token_text = NULL;
  g_autofree char *value_type = NULL;
  g_autofree char *items = NULL;
  xmlNode *rst;
  xmlNode *bst;

  g_assert_no_error (error);
  g_assert_null (message->fault);
  g_assert_cmpstr (message->action, ==, CRADLE_WSTEP_ACTION_RST);
  rst = message->payload;
  g_assert_true (cradle_xml_is (rst, CRADLE_WST_NS, "RequestSecurityToken"));
  request_type = cradle_xml_dup_child_text (rst, CRADLE_WST_NS, "RequestType");
  g_assert_cmpstr (request_type, ==, CRADLE_WSTEP_REQUEST_ISSUE);

  bst = cradle_xml_child (rst, CRADLE_WSSE_NS, "BinarySecurityToken");
  value_type = cradle_xml_dup_attribute (bst, NULL, "ValueType");
  g_assert_true (g_str_has_suffix (value_type, "#PKCS7"));
  token_text = cradle_xml_dup_text (bst);
  g_assert_nonnull (strchr (token_text, '\r'));
  token = cradle_xml_decode_base64 (token_text, "The token", &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (token, csr));

  items = context_items (rst);
  g_assert_nonnull (strstr (items, "CertificateTemplate:User\n"));
  g_assert_true (cradle_xml_is_nil (cradle_xml_child (rst, CRADLE_WSTEP_NS, "RequestID")));
}

static void
test_reconstructed_informational (void)
{
  g_autoptr(CradleWstepResult) result = parse_fixture (
    "reconstructed-windows-issued-informational.xml");

  g_assert_cmpint (result->kind, ==, CRADLE_WSTEP_RESULT_ISSUED);
  g_assert_cmpstr (result->request_id, ==, "71");
  /* The &#xD; at its end is gone. */
  g_assert_cmpstr (result->message, ==, "Issued 0x80094004, The Enrollee has no E-Mail name.");
  assert_reconstructed_certificates (result);
}

static void
test_reconstructed_pending (void)
{
  g_autoptr(CradleWstepResult) result = parse_fixture (
    "reconstructed-3.1.4.1.3.2-pending-response.xml");
  g_autoptr(CradleCaRequest) request = fixture_request ();
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCaAnswer) answer = NULL;
  g_autoptr(CradleCaAnswer) elsewhere = NULL;

  g_assert_cmpint (result->kind, ==, CRADLE_WSTEP_RESULT_PENDING);
  g_assert_cmpstr (result->request_id, ==, "65");
  g_assert_cmpstr (result->message, ==, "Taken Under Submission");
  g_assert_cmpstr (result->reference_uri, ==, FIXTURE_CES);
  g_assert_null (result->leaf);

  answer = cradle_wstep_answer_new (result, request, NULL, FIXTURE_CES,
                                    CRADLE_ENDPOINT_AUTH_KERBEROS, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cradle_ca_answer_get_status (answer), ==, CRADLE_CA_STATUS_PENDING);
  g_assert_cmpstr (cradle_ca_answer_get_request_id (answer), ==, "65");
  g_assert_cmpstr (cradle_ca_answer_get_retrieve_uri (answer), ==, FIXTURE_CES);
  g_assert_cmpstr (cradle_ca_answer_get_message (answer), ==, "Taken Under Submission");

  /* A reference to another server is not followed: credentials stay where they went. */
  elsewhere = cradle_wstep_answer_new (result, request, NULL, OTHER_CES,
                                       CRADLE_ENDPOINT_AUTH_KERBEROS, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cradle_ca_answer_get_retrieve_uri (elsewhere), ==, OTHER_CES);
}

/* The answer to 4.1.3.1's QueryTokenStatus once request 65 was issued. */
static void
test_reconstructed_query_response (void)
{
  g_autoptr(CradleWstepResult) result = parse_fixture ("reconstructed-4.1.3-query-response.xml");

  g_assert_cmpint (result->kind, ==, CRADLE_WSTEP_RESULT_ISSUED);
  g_assert_cmpstr (result->request_id, ==, "65");
  assert_reconstructed_certificates (result);
}

static void
test_reconstructed_fault_denied (void)
{
  g_autoptr(CradleWstepResult) result = parse_fixture (
    "reconstructed-3.1.4.1.2.1-fault-denied.xml");
  g_autoptr(CradleCaRequest) request = fixture_request ();
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCaAnswer) answer = NULL;

  g_assert_cmpint (result->kind, ==, CRADLE_WSTEP_RESULT_FAULT);
  g_assert_true (result->has_error_code);
  g_assert_cmphex (result->error_code, ==, 0x80094012);
  g_assert_true (result->invalid_request);
  g_assert_cmpstr (result->request_id, ==, "68");
  g_assert_cmpstr (result->fault_code, ==, "Receiver");
  g_assert_null (result->binary_response);

  answer = cradle_wstep_answer_new (result, request, NULL, FIXTURE_CES,
                                    CRADLE_ENDPOINT_AUTH_KERBEROS, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cradle_ca_answer_get_status (answer), ==, CRADLE_CA_STATUS_DENIED);
  g_assert_cmphex (cradle_ca_answer_get_code (answer), ==, 0x80094012);
  g_assert_cmpstr (cradle_ca_answer_get_request_id (answer), ==, "68");
  g_assert_true (g_str_has_prefix (cradle_ca_answer_get_message (answer),
                                   "Denied by Policy Module 0x80094012"));
}

static void
test_reconstructed_fault_encoding (void)
{
  g_autoptr(CradleWstepResult) result = parse_fixture (
    "reconstructed-cepces-81-fault-encoding-type.xml");
  g_autoptr(CradleCaRequest) request = fixture_request ();
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCaAnswer) answer = NULL;

  g_assert_true (result->has_error_code);
  g_assert_cmphex (result->error_code, ==, 0x80070057);
  g_assert_false (result->invalid_request);
  g_assert_null (result->request_id);

  /* Not the CA's decision: the service could not read the request. */
  answer = cradle_wstep_answer_new (result, request, NULL, FIXTURE_CES,
                                    CRADLE_ENDPOINT_AUTH_KERBEROS, &error);
  g_assert_null (answer);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "“The EncodingType is invalid.”"));
  g_assert_nonnull (strstr (error->message, "0x80070057"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/wstep/spec/4.1.1.1-issue-request", test_spec_issue_request);
  g_test_add_func ("/wstep/spec/4.1.1.2-issue-response", test_spec_issue_response);
  g_test_add_func ("/wstep/spec/4.1.2.1-ket-request", test_spec_ket_request);
  g_test_add_func ("/wstep/spec/4.1.2.2-ket-response", test_spec_ket_response);
  g_test_add_func ("/wstep/spec/4.1.3.1-query-request", test_spec_query_request);
  g_test_add_func ("/wstep/spec/4.1.4.2-fault-response", test_spec_fault);
  g_test_add_func ("/wstep/spec/4.1.4.2-as-published", test_spec_fault_as_published);
  g_test_add_func ("/wstep/spec/4.1.5.1-renewal-request", test_spec_renewal_request);
  g_test_add_func ("/wstep/spec/4.1.5.2-renewal-response", test_spec_renewal_response);
  g_test_add_func ("/wstep/reconstructed/request-with-context", test_reconstructed_request);
  g_test_add_func ("/wstep/reconstructed/windows-informational", test_reconstructed_informational);
  g_test_add_func ("/wstep/reconstructed/3.1.4.1.3.2-pending", test_reconstructed_pending);
  g_test_add_func ("/wstep/reconstructed/4.1.3-query-response", test_reconstructed_query_response);
  g_test_add_func ("/wstep/reconstructed/3.1.4.1.2.1-fault-denied",
                   test_reconstructed_fault_denied);
  g_test_add_func ("/wstep/reconstructed/cepces-81-fault", test_reconstructed_fault_encoding);

  return g_test_run ();
}
