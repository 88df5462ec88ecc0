/* test-wstep-message.c: MS-WSTEP messages — what Cradle builds, what answers
 * mean (issued, pending, denied, errors), and malformed answers */
#include "config.h"

#include <string.h>

#include "wstep-test-support.h"

static xmlNode *
body_payload (xmlDoc *doc)
{
  xmlNode *root = xmlDocGetRootElement (doc);

  g_assert_true (cradle_xml_is (root, CRADLE_SOAP_NS, "Envelope"));
  return cradle_xml_first_element (cradle_xml_child (root, CRADLE_SOAP_NS, "Body"));
}

static xmlNode *
header_child (xmlDoc     *doc,
              const char *ns,
              const char *name)
{
  xmlNode *root = xmlDocGetRootElement (doc);

  return cradle_xml_child (cradle_xml_child (root, CRADLE_SOAP_NS, "Header"), ns, name);
}

/* ---- what Cradle builds ------------------------------------------------------- */

static void
test_build_issue (void)
{
  g_autoptr(GBytes) csr = fixture ("request.csr");
  const char *attributes[] = {
    "CertificateTemplate:User", "SAN:upn=alice@corp.example.test", "ccm:host:with:colons", NULL
  };
  CradleSoapHeader header = { .action = CRADLE_WSTEP_ACTION_RST, .to = FIXTURE_CES };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) message = cradle_wstep_build_issue (&header, csr, "User", attributes, &error);
  g_autoptr(xmlDoc) doc = NULL;
  g_autoptr(GBytes) token = NULL;
  g_autofree char *action = NULL;
  g_autofree char *must = NULL;
  g_autofree char *message_id = NULL;
  g_autofree char *to = NULL;
  g_autofree char *token_type = NULL;
  g_autofree char *request_type = NULL;
  g_autofree char *value_type = NULL;
  g_autofree char *encoding_type = NULL;
  g_autofree char *token_text = NULL;
  g_autofree char *items = NULL;
  xmlNode *rst;
  xmlNode *bst;

  g_assert_no_error (error);
  doc = cradle_xml_parse (message, CRADLE_XML_MAX_SIZE, &error);
  g_assert_no_error (error);

  action = cradle_xml_dup_text (header_child (doc, CRADLE_WSA_NS, "Action"));
  must = cradle_xml_dup_attribute (header_child (doc, CRADLE_WSA_NS, "Action"), CRADLE_SOAP_NS,
                                   "mustUnderstand");
  message_id = cradle_xml_dup_text (header_child (doc, CRADLE_WSA_NS, "MessageID"));
  to = cradle_xml_dup_text (header_child (doc, CRADLE_WSA_NS, "To"));
  g_assert_cmpstr (action, ==, CRADLE_WSTEP_ACTION_RST);
  g_assert_cmpstr (must, ==, "1");
  g_assert_true (g_str_has_prefix (message_id, "urn:uuid:"));
  g_assert_true (g_uuid_string_is_valid (message_id + strlen ("urn:uuid:")));
  g_assert_cmpstr (to, ==, FIXTURE_CES);
  g_assert_null (header_child (doc, CRADLE_WSSE_NS, "Security"));

  rst = body_payload (doc);
  g_assert_true (cradle_xml_is (rst, CRADLE_WST_NS, "RequestSecurityToken"));
  token_type = cradle_xml_dup_child_text (rst, CRADLE_WST_NS, "TokenType");
  request_type = cradle_xml_dup_child_text (rst, CRADLE_WST_NS, "RequestType");
  g_assert_cmpstr (token_type, ==, CRADLE_WSTEP_TOKEN_X509V3);
  g_assert_cmpstr (request_type, ==, CRADLE_WSTEP_REQUEST_ISSUE);
  bst = cradle_xml_child (rst, CRADLE_WSSE_NS, "BinarySecurityToken");
  value_type = cradle_xml_dup_attribute (bst, NULL, "ValueType");
  encoding_type = cradle_xml_dup_attribute (bst, NULL, "EncodingType");
  g_assert_cmpstr (value_type, ==, CRADLE_WSTEP_VALUE_PKCS10);
  g_assert_cmpstr (encoding_type, ==, CRADLE_WSTEP_ENCODING_BASE64);
  token_text = cradle_xml_dup_text (bst);
  token = cradle_xml_decode_base64 (token_text, "The token", &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (token, csr));

  /* The template once, then the other attributes, split at their first ':'. */
  items = context_items (rst);
  g_assert_cmpstr (items, ==, "CertificateTemplate:User\nSAN:upn=alice@corp.example.test\n"
                              "ccm:host:with:colons\n");
  g_assert_true (cradle_xml_is_nil (cradle_xml_child (rst, CRADLE_WSTEP_NS, "RequestID")));
}

static void
test_build_issue_password (void)
{
  g_autoptr(GBytes) csr = fixture ("request.csr");
  g_autoptr(GDateTime) now = g_date_time_new_utc (2026, 1, 2, 3, 4, 5.25);
  const char *password = "p&ss<w>\"rd' é";
  CradleSoapHeader header = {
    .action = CRADLE_WSTEP_ACTION_RST,
    .to = FIXTURE_CES,
    .message_id = "urn:uuid:00000000-0000-4000-8000-000000000001",
    .user = "CORP\\alice",
    .password = password,
    .now = now,
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) message = cradle_wstep_build_issue (&header, csr, NULL, NULL, &error);
  g_autoptr(xmlDoc) doc = NULL;
  g_autofree char *message_id = NULL;
  g_autofree char *must = NULL;
  g_autofree char *created = NULL;
  g_autofree char *expires = NULL;
  g_autofree char *user = NULL;
  g_autofree char *type = NULL;
  g_autofree char *items = NULL;
  xmlChar *sent_password;
  xmlNode *security;
  xmlNode *timestamp;
  xmlNode *token;

  g_assert_no_error (error);
  doc = cradle_xml_parse (message, CRADLE_XML_MAX_SIZE, &error);
  g_assert_no_error (error);
  message_id = cradle_xml_dup_text (header_child (doc, CRADLE_WSA_NS, "MessageID"));
  g_assert_cmpstr (message_id, ==, "urn:uuid:00000000-0000-4000-8000-000000000001");

  security = header_child (doc, CRADLE_WSSE_NS, "Security");
  g_assert_nonnull (security);
  must = cradle_xml_dup_attribute (security, CRADLE_SOAP_NS, "mustUnderstand");
  g_assert_cmpstr (must, ==, "1");
  timestamp = cradle_xml_child (security, CRADLE_WSU_NS, "Timestamp");
  created = cradle_xml_dup_child_text (timestamp, CRADLE_WSU_NS, "Created");
  expires = cradle_xml_dup_child_text (timestamp, CRADLE_WSU_NS, "Expires");
  g_assert_cmpstr (created, ==, "2026-01-02T03:04:05.250Z");
  g_assert_cmpstr (expires, ==, "2026-01-02T03:09:05.250Z");

  token = cradle_xml_child (security, CRADLE_WSSE_NS, "UsernameToken");
  user = cradle_xml_dup_child_text (token, CRADLE_WSSE_NS, "Username");
  g_assert_cmpstr (user, ==, "CORP\\alice");
  type = cradle_xml_dup_attribute (cradle_xml_child (token, CRADLE_WSSE_NS, "Password"), NULL,
                                   "Type");
  g_assert_cmpstr (type, ==, CRADLE_WSSE_PASSWORD_TEXT);
  sent_password = xmlNodeGetContent (cradle_xml_child (token, CRADLE_WSSE_NS, "Password"));
  g_assert_cmpstr ((const char *) sent_password, ==, password);
  xmlFree (sent_password);

  /* No template, no attributes: no AdditionalContext. */
  g_assert_null (cradle_xml_child (body_payload (doc), CRADLE_AUTH_NS, "AdditionalContext"));
}

static void
test_build_query (void)
{
  CradleSoapHeader header = { .action = CRADLE_WSTEP_ACTION_RST, .to = FIXTURE_CES };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) message = cradle_wstep_build_query (&header, "65", &error);
  g_autoptr(xmlDoc) doc = NULL;
  g_autofree char *long_id = g_strnfill (CRADLE_WSTEP_MAX_REQUEST_ID + 1, '7');
  g_autofree char *request_type = NULL;
  g_autofree char *request_id = NULL;
  g_autofree char *token_type = NULL;
  xmlNode *rst;

  g_assert_no_error (error);
  doc = cradle_xml_parse (message, CRADLE_XML_MAX_SIZE, &error);
  g_assert_no_error (error);
  rst = body_payload (doc);
  token_type = cradle_xml_dup_child_text (rst, CRADLE_WST_NS, "TokenType");
  request_type = cradle_xml_dup_child_text (rst, CRADLE_WST_NS, "RequestType");
  request_id = cradle_xml_dup_child_text (rst, CRADLE_WSTEP_NS, "RequestID");
  g_assert_cmpstr (token_type, ==, CRADLE_WSTEP_TOKEN_X509V3);
  g_assert_cmpstr (request_type, ==, CRADLE_WSTEP_REQUEST_QUERY);
  g_assert_cmpstr (request_id, ==, "65");
  g_assert_null (cradle_xml_child (rst, CRADLE_WSSE_NS, "BinarySecurityToken"));

  g_assert_null (cradle_wstep_build_query (&header, "", &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_null (cradle_wstep_build_query (&header, long_id, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_null (cradle_wstep_build_query (&header, "6\0015", &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
}

static void
test_build_refused (void)
{
  g_autoptr(GBytes) csr = fixture ("request.csr");
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  const char *no_colon[] = { "SAN", NULL };
  const char *control[] = { "SAN:upn=a\x02@b", NULL };
  CradleSoapHeader header = { .action = CRADLE_WSTEP_ACTION_RST, .to = FIXTURE_CES };
  CradleSoapHeader bad_password = {
    .action = CRADLE_WSTEP_ACTION_RST, .to = FIXTURE_CES,
    .user = "alice", .password = "hunter\x07two",
  };
  g_autoptr(GError) error = NULL;

  g_assert_null (cradle_wstep_build_issue (&header, empty, "User", NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_null (cradle_wstep_build_issue (&header, csr, "Us\x01r", NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "template name"));
  g_clear_error (&error);
  g_assert_null (cradle_wstep_build_issue (&header, csr, "User", no_colon, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_null (cradle_wstep_build_issue (&header, csr, "User", control, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  /* The password is refused without being repeated. */
  g_assert_null (cradle_wstep_build_issue (&bad_password, csr, "User", NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_null (strstr (error->message, "hunter"));
}

/* ---- what answers mean -------------------------------------------------------- */

static GBytes *
fault_body (const char *subcode,
            const char *reason,
            const char *detail)
{
  g_autofree char *sub = subcode != NULL
    ? g_strdup_printf ("<s:Subcode><s:Value>%s</s:Value></s:Subcode>", subcode)
    : g_strdup ("");
  char *text = g_strdup_printf (
    "<s:Envelope xmlns:s='" CRADLE_SOAP_NS "' xmlns:a='" CRADLE_WSA_NS "'"
    " xmlns:o='" CRADLE_WSSE_NS "'><s:Body><s:Fault>"
    "<s:Code><s:Value>s:Receiver</s:Value>%s</s:Code>"
    "<s:Reason><s:Text xml:lang='de-DE'>Auf Deutsch</s:Text>"
    "<s:Text xml:lang='en-US'>%s</s:Text></s:Reason>%s</s:Fault></s:Body></s:Envelope>",
    sub, reason, detail != NULL ? detail : "");

  return g_bytes_new_take (text, strlen (text));
}

static GBytes *
detail_fault (const char *error_code,
              const char *invalid_request,
              const char *request_id)
{
  g_autofree char *detail = g_strdup_printf (
    "<s:Detail><CertificateEnrollmentWSDetail xmlns='" CRADLE_WSTEP_NS "'"
    " xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance'>"
    "<BinaryResponse xsi:nil='true'/><ErrorCode>%s</ErrorCode>"
    "<InvalidRequest>%s</InvalidRequest><RequestID>%s</RequestID>"
    "</CertificateEnrollmentWSDetail></s:Detail>",
    error_code, invalid_request, request_id);

  return fault_body (NULL, "Denied by Policy Module", detail);
}

typedef struct {
  guint32     code;
  const char *name;
} Denial;

static const Denial denials[] = {
  { 0x80094800, "CERTSRV_E_UNSUPPORTED_CERT_TYPE" },
  { 0x80094801, "CERTSRV_E_NO_CERT_TYPE" },
  { 0x80094012, "CERTSRV_E_TEMPLATE_DENIED" },
  { 0x80094811, "CERTSRV_E_KEY_LENGTH" },
  { 0x8009480D, "CERTSRV_E_SUBJECT_UPN_REQUIRED" },
};

/* Each denial, as a signed decimal (the schema's xs:int), with and without
 * InvalidRequest: the CA's code makes it a denial either way. */
static void
test_denials (void)
{
  g_autoptr(CradleCaRequest) request = fixture_request ();

  for (gsize i = 0; i < G_N_ELEMENTS (denials); i++)
    {
      for (guint invalid = 0; invalid < 2; invalid++)
        {
          g_autofree char *decimal = g_strdup_printf ("%d", (gint32) denials[i].code);
          g_autoptr(GBytes) body = detail_fault (decimal, invalid ? "true" : "false", "42");
          g_autoptr(CradleWstepResult) result = parse_ok (body);
          g_autoptr(GError) error = NULL;
          g_autoptr(CradleCaAnswer) answer = NULL;

          g_test_message ("%s, InvalidRequest %u", denials[i].name, invalid);
          g_assert_cmphex (result->error_code, ==, denials[i].code);
          g_assert_true (cradle_wstep_fault_is_denial (result));
          answer = cradle_wstep_answer_new (result, request, "41", FIXTURE_CES,
                                            CRADLE_ENDPOINT_AUTH_KERBEROS, &error);
          g_assert_no_error (error);
          g_assert_cmpint (cradle_ca_answer_get_status (answer), ==, CRADLE_CA_STATUS_DENIED);
          g_assert_cmphex (cradle_ca_answer_get_code (answer), ==, denials[i].code);
          g_assert_cmpstr (cradle_ca_answer_get_request_id (answer), ==, "42");
          g_assert_cmpstr (cradle_ca_answer_get_message (answer), ==, "Denied by Policy Module");
        }
    }
}

static void
test_error_code_spellings (void)
{
  g_autoptr(GBytes) unsigned_body = detail_fault ("2148089874", "true", "1");
  g_autoptr(GBytes) plus_body = detail_fault ("+5", "false", "1");
  g_autoptr(GBytes) huge_body = detail_fault ("4294967296", "true", "1");
  g_autoptr(GBytes) word_body = detail_fault ("0x80094012", "true", "1");
  g_autoptr(GBytes) bool_body = detail_fault ("-2146877422", "maybe", "1");
  g_autoptr(CradleWstepResult) unsigned_result = parse_ok (unsigned_body);
  g_autoptr(CradleWstepResult) plus_result = parse_ok (plus_body);
  g_autoptr(GError) error = NULL;

  g_assert_cmphex (unsigned_result->error_code, ==, 0x80094012);
  g_assert_cmphex (plus_result->error_code, ==, 5);
  /* A success code with InvalidRequest false is no denial. */
  g_assert_false (cradle_wstep_fault_is_denial (plus_result));

  g_assert_null (cradle_wstep_result_parse (huge_body, CRADLE_XML_MAX_SIZE, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "ErrorCode"));
  g_clear_error (&error);
  g_assert_null (cradle_wstep_result_parse (word_body, CRADLE_XML_MAX_SIZE, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_null (cradle_wstep_result_parse (bool_body, CRADLE_XML_MAX_SIZE, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "InvalidRequest"));
}

typedef struct {
  const char *subcode;
  const char *error_code;  /* %NULL: no detail */
  CradleEndpointAuth auth;
  gint        expected;
  const char *words;
} FaultCase;

static const FaultCase fault_cases[] = {
  { "a:InvalidSecurity", NULL, CRADLE_ENDPOINT_AUTH_PASSWORD, CRADLE_ERROR_AUTH_FAILED,
    "did not accept the user name and password" },
  { "o:FailedAuthentication", NULL, CRADLE_ENDPOINT_AUTH_PASSWORD, CRADLE_ERROR_AUTH_FAILED,
    "Check them" },
  { NULL, "-2147024891", CRADLE_ENDPOINT_AUTH_KERBEROS, CRADLE_ERROR_AUTH_FAILED,
    "did not accept your sign-in" },                       /* E_ACCESSDENIED */
  { NULL, "-2147023174", CRADLE_ENDPOINT_AUTH_KERBEROS, CRADLE_ERROR_UNREACHABLE,
    "could not reach its certification authority" },       /* RPC_S_SERVER_UNAVAILABLE */
  { NULL, "-2146877434", CRADLE_ENDPOINT_AUTH_KERBEROS, CRADLE_ERROR_UNREACHABLE,
    "0x80094006" },                                        /* CERTSRV_E_SERVER_SUSPENDED */
  { "a:InternalServiceFault", NULL, CRADLE_ENDPOINT_AUTH_KERBEROS, CRADLE_ERROR_FAILED,
    "gave no error code" },
  { NULL, "-2147467259", CRADLE_ENDPOINT_AUTH_KERBEROS, CRADLE_ERROR_FAILED,
    "0x80004005" },                                        /* E_FAIL */
};

static void
test_fault_errors (void)
{
  g_autoptr(CradleCaRequest) request = fixture_request ();

  for (gsize i = 0; i < G_N_ELEMENTS (fault_cases); i++)
    {
      const FaultCase *c = &fault_cases[i];
      g_autofree char *detail = c->error_code != NULL
        ? g_strdup_printf ("<s:Detail><CertificateEnrollmentWSDetail xmlns='" CRADLE_WSTEP_NS
                           "'><ErrorCode>%s</ErrorCode><InvalidRequest>false</InvalidRequest>"
                           "</CertificateEnrollmentWSDetail></s:Detail>", c->error_code)
        : NULL;
      g_autoptr(GBytes) body = fault_body (c->subcode, "The words of the server.", detail);
      g_autoptr(CradleWstepResult) result = parse_ok (body);
      g_autoptr(GError) error = NULL;
      g_autoptr(CradleCaAnswer) answer = NULL;

      g_test_message ("case %" G_GSIZE_FORMAT ": %s", i, c->words);
      g_assert_false (cradle_wstep_fault_is_denial (result));
      answer = cradle_wstep_answer_new (result, request, NULL, FIXTURE_CES, c->auth, &error);
      g_assert_null (answer);
      g_assert_error (error, CRADLE_ERROR, c->expected);
      g_assert_nonnull (strstr (error->message, c->words));
      /* The CA's code goes with the error, for the explanation table. */
      if (c->error_code != NULL)
        {
          gint64 value = g_ascii_strtoll (c->error_code, NULL, 10);
          CradleExplainKind kind;
          guint32 hresult = 0;

          g_assert_true (cradle_explain_get_detail (error, &kind, &hresult));
          g_assert_cmpint (kind, ==, CRADLE_EXPLAIN_HRESULT);
          g_assert_cmphex (hresult, ==, (guint32) (gint32) value);
        }
      /* The English reason, quoted. */
      g_assert_nonnull (strstr (error->message, "“The words of the server.”"));
      g_assert_nonnull (strstr (error->message, "ca1.contoso.example"));
    }
}

/* A bare response without the collection is read as well. */
static void
test_bare_response (void)
{
  const char *text =
    "<s:Envelope xmlns:s='" CRADLE_SOAP_NS "'><s:Body>"
    "<RequestSecurityTokenResponse xmlns='" CRADLE_WST_NS "'>"
    "<RequestedSecurityToken><SecurityTokenReference xmlns='" CRADLE_WSSE_NS "'>"
    "<Reference URI='" FIXTURE_CES "'/></SecurityTokenReference></RequestedSecurityToken>"
    "<RequestID xmlns='" CRADLE_WSTEP_NS "'>9</RequestID>"
    "</RequestSecurityTokenResponse></s:Body></s:Envelope>";
  g_autoptr(GBytes) body = g_bytes_new_static (text, strlen (text));
  g_autoptr(CradleWstepResult) result = parse_ok (body);

  g_assert_cmpint (result->kind, ==, CRADLE_WSTEP_RESULT_PENDING);
  g_assert_cmpstr (result->request_id, ==, "9");
  g_assert_null (result->message);
}

#define ENV_OPEN  "<s:Envelope xmlns:s='" CRADLE_SOAP_NS "'><s:Body>"
#define ENV_CLOSE "</s:Body></s:Envelope>"
#define RSTRC_OPEN                                                                                 \
  ENV_OPEN "<RequestSecurityTokenResponseCollection xmlns='" CRADLE_WST_NS "'>"                   \
           "<RequestSecurityTokenResponse>"
#define RSTRC_CLOSE "</RequestSecurityTokenResponse></RequestSecurityTokenResponseCollection>" ENV_CLOSE
#define LEAF(b64)                                                                                  \
  "<RequestedSecurityToken><BinarySecurityToken xmlns='" CRADLE_WSSE_NS "'>" b64                   \
  "</BinarySecurityToken></RequestedSecurityToken>"
#define PENDING_REF(uri)                                                                           \
  "<RequestedSecurityToken><SecurityTokenReference xmlns='" CRADLE_WSSE_NS "'>"                   \
  "<Reference URI='" uri "'/></SecurityTokenReference></RequestedSecurityToken>"
#define RID(id) "<RequestID xmlns='" CRADLE_WSTEP_NS "'>" id "</RequestID>"

typedef struct {
  const char *name;
  const char *body;
  const char *words;
} Malformed;

static const Malformed malformed[] = {
  { "html", "<html><head><title>IIS Windows Server</title></head><body><p>Hi</body></html>",
    "not well-formed" },
  { "xhtml", "<html xmlns='http://www.w3.org/1999/xhtml'><body/></html>", "not a SOAP envelope" },
  { "soap-1.1", "<e:Envelope xmlns:e='http://schemas.xmlsoap.org/soap/envelope/'><e:Body>"
    "<x/></e:Body></e:Envelope>", "another version" },
  { "empty-body", ENV_OPEN ENV_CLOSE, "empty body" },
  { "other-payload", ENV_OPEN "<GetPoliciesResponse xmlns='urn:x'/>" ENV_CLOSE,
    "not a WS-Trust token response" },
  { "two-responses", ENV_OPEN "<RequestSecurityTokenResponseCollection xmlns='" CRADLE_WST_NS "'>"
    "<RequestSecurityTokenResponse/><RequestSecurityTokenResponse/>"
    "</RequestSecurityTokenResponseCollection>" ENV_CLOSE, "exactly one" },
  { "no-response", ENV_OPEN "<RequestSecurityTokenResponseCollection xmlns='" CRADLE_WST_NS "'/>"
    ENV_CLOSE, "exactly one" },
  { "nothing-in-it", RSTRC_OPEN "<DispositionMessage xmlns='" CRADLE_WSTEP_NS "'>Error"
    "</DispositionMessage>" RID ("3") RSTRC_CLOSE, "neither a certificate nor a pending" },
  { "pending-without-id", RSTRC_OPEN PENDING_REF (FIXTURE_CES) RSTRC_CLOSE, "no request id" },
  { "pending-ftp", RSTRC_OPEN PENDING_REF ("ftp://ca1/x") RID ("3") RSTRC_CLOSE,
    "not an https://" },
  { "pending-space", RSTRC_OPEN PENDING_REF ("https://ca1/a b") RID ("3") RSTRC_CLOSE,
    "a space" },
  { "leaf-not-base64", RSTRC_OPEN LEAF ("MIIB*AAA") RSTRC_CLOSE, "not base64" },
  { "leaf-cut", RSTRC_OPEN LEAF ("MIIBAA") RSTRC_CLOSE, "cut short" },
  { "leaf-empty", RSTRC_OPEN LEAF ("") RSTRC_CLOSE, "empty" },
  { "request-id-binary", RSTRC_OPEN LEAF ("AAAA") "<RequestID xmlns='" CRADLE_WSTEP_NS "'>4&#x9;5"
    "</RequestID>" RSTRC_CLOSE, "printable ASCII" },
  { "doctype", "<!DOCTYPE s:Envelope [<!ENTITY x 'y'>]>" ENV_OPEN ENV_CLOSE,
    "document type declaration" },
  { "truncated", RSTRC_OPEN LEAF ("AAAA"), "not well-formed" },
};

static void
test_malformed (gconstpointer data)
{
  const Malformed *c = data;
  g_autoptr(GBytes) body = g_bytes_new (c->body, strlen (c->body));
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleWstepResult) result = cradle_wstep_result_parse (body, CRADLE_XML_MAX_SIZE,
                                                                   &error);

  g_assert_null (result);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  if (strstr (error->message, c->words) == NULL)
    g_error ("'%s' does not say '%s'", error->message, c->words);
}

static void
test_answer_truncated_pkcs7 (void)
{
  g_autoptr(CradleWstepResult) result = parse_fixture ("ms-wstep-4.1.1.2-issue-response.xml");
  g_autoptr(CradleCaRequest) request = spec_issue_request ();
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCaAnswer) answer = NULL;
  GBytes *whole = result->pkcs7;

  result->pkcs7 = g_bytes_new_from_bytes (whole, 0, g_bytes_get_size (whole) / 2);
  g_bytes_unref (whole);
  answer = cradle_wstep_answer_new (result, request, NULL, FIXTURE_CES,
                                    CRADLE_ENDPOINT_AUTH_KERBEROS, &error);
  g_assert_null (answer);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "ca1.contoso.example"));
  g_assert_nonnull (strstr (error->message, "truncated or damaged"));
}

static void
test_answer_bad_leaf (void)
{
  g_autoptr(CradleWstepResult) result = parse_fixture ("ms-wstep-4.1.1.2-issue-response.xml");
  g_autoptr(CradleCaRequest) request = spec_issue_request ();
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCaAnswer) answer = NULL;

  g_clear_pointer (&result->leaf, g_bytes_unref);
  result->leaf = g_bytes_new_static ("\x30\x03\x02\x01\x01", 5);
  answer = cradle_wstep_answer_new (result, request, NULL, FIXTURE_CES,
                                    CRADLE_ENDPOINT_AUTH_KERBEROS, &error);
  g_assert_null (answer);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "cannot be read"));
}

/* An issued certificate for another key is not the one that was asked for. */
static void
test_answer_wrong_key (void)
{
  g_autoptr(CradleWstepResult) result = parse_fixture ("ms-wstep-4.1.1.2-issue-response.xml");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) bundle = cradle_pkcs7_dup_certificates (result->pkcs7, &error);
  g_autoptr(CradleCaRequest) request = spec_issue_request ();
  g_autoptr(CradleCaAnswer) answer = NULL;

  g_assert_no_error (error);
  /* The issuing CA's certificate as the "leaf", and no bundle. */
  for (guint i = 0; i < bundle->len; i++)
    {
      CradleCertificate *certificate = g_ptr_array_index (bundle, i);

      if (strstr (cradle_certificate_get_subject (certificate), "CN = FB_EntSubCA") == NULL)
        continue;
      g_clear_pointer (&result->leaf, g_bytes_unref);
      result->leaf = g_bytes_ref (cradle_certificate_get_der (certificate));
    }
  g_clear_pointer (&result->pkcs7, g_bytes_unref);
  answer = cradle_wstep_answer_new (result, request, NULL, FIXTURE_CES,
                                    CRADLE_ENDPOINT_AUTH_KERBEROS, &error);
  g_assert_null (answer);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "no certificate for the device's key"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/wstep/build/issue", test_build_issue);
  g_test_add_func ("/wstep/build/issue-password", test_build_issue_password);
  g_test_add_func ("/wstep/build/query", test_build_query);
  g_test_add_func ("/wstep/build/refused", test_build_refused);
  g_test_add_func ("/wstep/answer/denials", test_denials);
  g_test_add_func ("/wstep/answer/error-code-spellings", test_error_code_spellings);
  g_test_add_func ("/wstep/answer/fault-errors", test_fault_errors);
  g_test_add_func ("/wstep/answer/bare-response", test_bare_response);
  g_test_add_func ("/wstep/answer/truncated-pkcs7", test_answer_truncated_pkcs7);
  g_test_add_func ("/wstep/answer/bad-leaf", test_answer_bad_leaf);
  g_test_add_func ("/wstep/answer/wrong-key", test_answer_wrong_key);
  for (gsize i = 0; i < G_N_ELEMENTS (malformed); i++)
    {
      g_autofree char *path = g_strdup_printf ("/wstep/malformed/%s", malformed[i].name);

      g_test_add_data_func (path, &malformed[i], test_malformed);
    }

  return g_test_run ();
}
