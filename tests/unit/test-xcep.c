/* test-xcep.c: MS-XCEP GetPolicies — the request Cradle builds, an example answer, the
 * enrollment web services chosen from it, and answers that break the protocol */
#include "config.h"

#include <string.h>

#include <cradle/cradle.h>

#include "ca/wstep/cradle-endpoint-choice-private.h"
#include "ca/wstep/cradle-enrollment-policy-private.h"
#include "catalog/cradle-ces-endpoint-private.h"
#include "ca/wstep/cradle-xcep-private.h"

#define CEP          "https://ca1.contoso.example/ADPolicyProvider_CEP_Kerberos/service.svc/CEP"
#define CA1          "https://ca1.contoso.example/Contoso%20Issuing%20CA_CES_"
#define CA1_KERBEROS CA1 "Kerberos/service.svc/CES"
#define CA1_PASSWORD CA1 "UsernamePassword/service.svc/CES"
#define CA1_RENEWAL  CA1 "Kerberos_Renewal/service.svc/CES"
#define CA1_CERT     CA1 "Certificate/service.svc/CES"
#define CA2          "https://ca2.contoso.example/Contoso%20Device%20CA_CES_"
#define CA2_KERBEROS CA2 "Kerberos/service.svc/CES"
#define CA2_PASSWORD CA2 "UsernamePassword/service.svc/CES"
#define TEMPLATE_BASE "1.3.6.1.4.1.311.21.8.16187918.14945684.15749023.11519519.4925321.197"

static GBytes *
fixture (const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fixtures", "wstep", name, NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize length = 0;

  g_file_get_contents (path, &contents, &length, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (contents, length);
}

static CradleEnrollmentPolicy *
fixture_policy (void)
{
  g_autoptr(GBytes) body = fixture ("reconstructed-ms-xcep-getpolicies-response.xml");
  g_autoptr(GError) error = NULL;
  CradleEnrollmentPolicy *policy = cradle_enrollment_policy_new_from_xml (body,
                                                                          CRADLE_XML_MAX_SIZE,
                                                                          &error);

  g_assert_no_error (error);
  g_assert_nonnull (policy);
  return policy;
}

/* "a b c" from an array of strings */
static char *
join (GPtrArray *strings)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < strings->len; i++)
    g_string_append_printf (text, "%s%s", i > 0 ? " " : "",
                            (const char *) g_ptr_array_index (strings, i));
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
test_build_get_policies (void)
{
  CradleSoapHeader header = { .action = CRADLE_XCEP_ACTION_GET_POLICIES, .to = CEP };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) message = cradle_xcep_build_get_policies (&header, &error);
  g_autoptr(CradleSoapMessage) parsed = NULL;
  xmlNode *client;
  xmlNode *filter;

  g_assert_no_error (error);
  parsed = cradle_soap_message_parse (message, CRADLE_XML_MAX_SIZE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (parsed->action, ==, CRADLE_XCEP_ACTION_GET_POLICIES);
  g_assert_true (cradle_xml_is (parsed->payload, CRADLE_XCEP_NS, "GetPolicies"));
  /* A request without <client> gets a fault from Windows. */
  client = cradle_xml_child (parsed->payload, CRADLE_XCEP_NS, "client");
  g_assert_nonnull (client);
  g_assert_true (cradle_xml_is_nil (cradle_xml_child (client, CRADLE_XCEP_NS, "lastUpdate")));
  g_assert_true (cradle_xml_is_nil (cradle_xml_child (client, CRADLE_XCEP_NS,
                                                      "preferredLanguage")));
  filter = cradle_xml_child (parsed->payload, CRADLE_XCEP_NS, "requestFilter");
  g_assert_true (cradle_xml_is_nil (cradle_xml_child (filter, CRADLE_XCEP_NS, "policyOIDs")));
  g_assert_true (cradle_xml_is_nil (cradle_xml_child (filter, CRADLE_XCEP_NS, "clientVersion")));
  g_assert_true (cradle_xml_is_nil (cradle_xml_child (filter, CRADLE_XCEP_NS, "serverVersion")));
}

static void
test_fixture_request (void)
{
  g_autoptr(GBytes) body = fixture ("reconstructed-ms-xcep-getpolicies-request.xml");
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleSoapMessage) parsed = cradle_soap_message_parse (body, CRADLE_XML_MAX_SIZE,
                                                                   &error);

  g_assert_no_error (error);
  g_assert_cmpstr (parsed->action, ==, CRADLE_XCEP_ACTION_GET_POLICIES);
  g_assert_true (cradle_xml_is (parsed->payload, CRADLE_XCEP_NS, "GetPolicies"));
  g_assert_nonnull (cradle_xml_child (parsed->payload, CRADLE_XCEP_NS, "client"));
}

static void
test_fixture_response (void)
{
  g_autoptr(CradleEnrollmentPolicy) policy = fixture_policy ();
  const CradleXcepResponse *response = cradle_enrollment_policy_get_response (policy);
  const CradleXcepPolicy *user = cradle_xcep_response_find_policy (response, "User");
  const CradleXcepPolicy *web = cradle_xcep_response_find_policy (response, "webserver");
  const CradleXcepPolicy *ecc = cradle_xcep_response_find_policy (response, "CradleDeviceECC");
  const CradleXcepCa *ca1 = cradle_xcep_response_find_ca (response, 0);
  const CradleXcepCa *ca2 = cradle_xcep_response_find_ca (response, 1);
  const CradleXcepExtension *extension;
  const CradleCesEndpoint *first;

  g_assert_cmpstr (response->policy_id, ==, "{F2B4C6D8-0A1C-4E3F-9B5D-7A9C1E3F5B70}");
  g_assert_cmpstr (response->friendly_name, ==, "Active Directory Enrollment Policy");
  g_assert_cmpuint (response->next_update_hours, ==, 8);
  g_assert_false (response->policies_not_changed);
  g_assert_cmpuint (response->policies->len, ==, 3);
  g_assert_cmpuint (response->cas->len, ==, 2);
  g_assert_cmpuint (response->oids->len, ==, 6);

  g_assert_nonnull (user);
  g_assert_cmpstr (user->oid, ==, TEMPLATE_BASE ".1");
  g_assert_cmpuint (user->schema, ==, 1);
  g_assert_cmpuint (user->minimal_key_length, ==, 2048);
  g_assert_cmpuint (user->key_spec, ==, 1);
  g_assert_null (user->key_algorithm_oid);
  g_assert_cmpuint (user->major_revision, ==, 100);
  g_assert_cmpuint (user->minor_revision, ==, 4);
  g_assert_cmpuint (user->validity_seconds, ==, 31536000);
  g_assert_cmpuint (user->renewal_seconds, ==, 3628800);
  g_assert_true (user->enroll);
  g_assert_false (user->auto_enroll);
  g_assert_cmphex (user->private_key_flags, ==, 16);
  g_assert_cmphex (user->subject_name_flags, ==, 0xA6000000);
  g_assert_cmphex (user->enrollment_flags, ==, 0x29);
  g_assert_cmphex (user->general_flags, ==, 0x1023A);
  g_assert_cmpuint (user->ca_references->len, ==, 1);
  g_assert_cmpuint (user->extensions->len, ==, 2);
  extension = g_ptr_array_index (user->extensions, 0);
  g_assert_cmpstr (extension->oid, ==, "1.3.6.1.4.1.311.20.2");
  g_assert_false (extension->critical);
  g_assert_cmpmem (g_bytes_get_data (extension->value, NULL), g_bytes_get_size (extension->value),
                   "\x1e\x08\x00U\x00s\x00""e\x00r", 10);
  extension = g_ptr_array_index (user->extensions, 1);
  g_assert_cmpstr (extension->oid, ==, "2.5.29.15");
  g_assert_true (extension->critical);

  g_assert_nonnull (web);
  g_assert_cmpstr (web->common_name, ==, "WebServer");
  g_assert_cmpuint (web->ca_references->len, ==, 2);

  g_assert_nonnull (ecc);
  g_assert_cmpuint (ecc->schema, ==, 4);
  g_assert_cmpuint (ecc->minimal_key_length, ==, 256);
  g_assert_cmpstr (ecc->key_algorithm_oid, ==, "1.2.840.10045.2.1");

  /* Each CA's services sorted: the renewal-only Kerberos one (priority 0) first. */
  g_assert_nonnull (ca1);
  g_assert_cmpuint (ca1->endpoints->len, ==, 4);
  first = g_ptr_array_index (ca1->endpoints, 0);
  g_assert_cmpstr (first->uri, ==, CA1_RENEWAL);
  g_assert_true (first->renewal_only);
  g_assert_nonnull (ca1->certificate);
  g_assert_true (ca1->enroll_permission);
  g_assert_nonnull (ca2);
  g_assert_null (ca2->certificate);
  g_assert_false (ca2->enroll_permission);
}

typedef struct {
  const char        *template_name;
  CradleEndpointAuth auth;
  gboolean           renewal;
  const char        *expected;
} EndpointCase;

static const EndpointCase endpoint_cases[] = {
  /* renewal-only skipped for new requests */
  { "User", CRADLE_ENDPOINT_AUTH_KERBEROS, FALSE, CA1_KERBEROS },
  { "User", CRADLE_ENDPOINT_AUTH_KERBEROS, TRUE, CA1_RENEWAL " " CA1_KERBEROS },
  { "User", CRADLE_ENDPOINT_AUTH_PASSWORD, FALSE, CA1_PASSWORD },
  { "User", CRADLE_ENDPOINT_AUTH_CERTIFICATE, FALSE, "" },
  { "User", CRADLE_ENDPOINT_AUTH_CERTIFICATE, TRUE, CA1_CERT },
  { "User", CRADLE_ENDPOINT_AUTH_ANONYMOUS, TRUE, "" },
  /* across both CAs, by priority */
  { "WebServer", CRADLE_ENDPOINT_AUTH_KERBEROS, FALSE, CA2_KERBEROS " " CA1_KERBEROS },
  { "WebServer", CRADLE_ENDPOINT_AUTH_PASSWORD, FALSE, CA1_PASSWORD " " CA2_PASSWORD },
  { "CradleDeviceECC", CRADLE_ENDPOINT_AUTH_KERBEROS, FALSE, CA2_KERBEROS },
  { "cradledeviceecc", CRADLE_ENDPOINT_AUTH_PASSWORD, FALSE, CA2_PASSWORD },
  { "NotInThePolicy", CRADLE_ENDPOINT_AUTH_KERBEROS, FALSE, "" },
  { NULL, CRADLE_ENDPOINT_AUTH_KERBEROS, FALSE, CA2_KERBEROS " " CA1_KERBEROS },
};

static void
test_policy_endpoints (void)
{
  g_autoptr(CradleEnrollmentPolicy) policy = fixture_policy ();

  for (gsize i = 0; i < G_N_ELEMENTS (endpoint_cases); i++)
    {
      const EndpointCase *c = &endpoint_cases[i];
      g_autoptr(GPtrArray) endpoints = cradle_enrollment_policy_dup_endpoints (policy,
                                                                               c->template_name,
                                                                               c->auth,
                                                                               c->renewal);
      g_autofree char *joined = join (endpoints);

      g_test_message ("%s, auth %u, renewal %d", c->template_name, c->auth, c->renewal);
      g_assert_cmpstr (joined, ==, c->expected);
    }
}

static void
test_policy_accessors (void)
{
  g_autoptr(CradleEnrollmentPolicy) policy = fixture_policy ();
  const char * const *names = cradle_enrollment_policy_get_template_names (policy);
  g_autoptr(GPtrArray) user_cas = cradle_enrollment_policy_dup_ca_certificates (policy, "User");
  g_autoptr(GPtrArray) ecc_cas = cradle_enrollment_policy_dup_ca_certificates (policy,
                                                                               "CradleDeviceECC");
  g_autoptr(GPtrArray) all_cas = cradle_enrollment_policy_dup_ca_certificates (policy, NULL);

  g_assert_cmpstr (cradle_enrollment_policy_get_id (policy), ==,
                   "{F2B4C6D8-0A1C-4E3F-9B5D-7A9C1E3F5B70}");
  g_assert_cmpstr (cradle_enrollment_policy_get_friendly_name (policy), ==,
                   "Active Directory Enrollment Policy");
  g_assert_cmpuint (cradle_enrollment_policy_get_next_update_hours (policy), ==, 8);
  g_assert_cmpuint (g_strv_length ((GStrv) names), ==, 3);
  g_assert_cmpstr (names[0], ==, "User");
  g_assert_cmpstr (names[1], ==, "WebServer");
  g_assert_cmpstr (names[2], ==, "CradleDeviceECC");

  g_assert_true (cradle_enrollment_policy_has_template (policy, "USER"));
  g_assert_false (cradle_enrollment_policy_has_template (policy, "Administrator"));
  g_assert_cmpstr (cradle_enrollment_policy_get_template_oid (policy, "WebServer"), ==,
                   TEMPLATE_BASE ".11");
  g_assert_null (cradle_enrollment_policy_get_template_oid (policy, "Administrator"));
  g_assert_cmpuint (cradle_enrollment_policy_get_minimal_key_length (policy, "CradleDeviceECC"),
                    ==, 256);
  g_assert_true (cradle_enrollment_policy_get_may_enroll (policy, "User"));
  g_assert_false (cradle_enrollment_policy_get_may_enroll (policy, "Administrator"));
  g_assert_cmphex (cradle_enrollment_policy_get_enrollment_flags (policy, "User"), ==, 0x29);
  g_assert_cmphex (cradle_enrollment_policy_get_subject_name_flags (policy, "CradleDeviceECC"),
                   ==, 0x2000000);
  g_assert_cmphex (cradle_enrollment_policy_get_private_key_flags (policy, "CradleDeviceECC"),
                   ==, 0x100);
  g_assert_cmphex (cradle_enrollment_policy_get_general_flags (policy, "WebServer"), ==,
                   0x10241);

  g_assert_cmpuint (user_cas->len, ==, 1);
  g_assert_nonnull (strstr (cradle_certificate_get_subject (g_ptr_array_index (user_cas, 0)),
                            "Contoso Issuing CA"));
  g_assert_cmpuint (ecc_cas->len, ==, 0);
  g_assert_cmpuint (all_cas->len, ==, 1);
}

static CradleCesEndpoint *
server (guint       priority,
        guint       auth,
        gboolean    renewal_only,
        const char *uri)
{
  CradleCesEndpoint *s = g_new0 (CradleCesEndpoint, 1);

  s->priority = priority;
  s->auth_flags = auth;
  s->renewal_only = renewal_only;
  s->uri = g_strdup (uri);
  return s;
}

static void
test_endpoint_choice (void)
{
  g_autoptr(GPtrArray) servers =
    g_ptr_array_new_with_free_func ((GDestroyNotify) cradle_ces_endpoint_free);
  g_autoptr(GPtrArray) kerberos = NULL;
  g_autoptr(GPtrArray) password = NULL;
  g_autoptr(GPtrArray) renewal = NULL;
  g_autofree char *kerberos_text = NULL;
  g_autofree char *password_text = NULL;
  g_autofree char *renewal_text = NULL;

  g_ptr_array_add (servers, server (5, CRADLE_ENDPOINT_AUTH_KERBEROS, FALSE, "https://e/"));
  g_ptr_array_add (servers, server (1, CRADLE_ENDPOINT_AUTH_KERBEROS | CRADLE_ENDPOINT_AUTH_PASSWORD,
                                    FALSE, "https://both/"));
  g_ptr_array_add (servers, server (0, CRADLE_ENDPOINT_AUTH_KERBEROS, TRUE, "https://renew/"));
  g_ptr_array_add (servers, server (5, CRADLE_ENDPOINT_AUTH_KERBEROS, FALSE, "https://f/"));
  g_ptr_array_add (servers, server (5, CRADLE_ENDPOINT_AUTH_KERBEROS, FALSE, "https://e/"));
  g_ptr_array_add (servers, server (2, CRADLE_ENDPOINT_AUTH_PASSWORD, FALSE, "https://pw/"));

  kerberos = cradle_endpoints_choose (servers, CRADLE_ENDPOINT_AUTH_KERBEROS, FALSE);
  password = cradle_endpoints_choose (servers, CRADLE_ENDPOINT_AUTH_PASSWORD, FALSE);
  renewal = cradle_endpoints_choose (servers, CRADLE_ENDPOINT_AUTH_KERBEROS, TRUE);
  kerberos_text = join (kerberos);
  password_text = join (password);
  renewal_text = join (renewal);
  /* Equal priorities keep their order; an address comes once. */
  g_assert_cmpstr (kerberos_text, ==, "https://both/ https://e/ https://f/");
  g_assert_cmpstr (password_text, ==, "https://both/ https://pw/");
  g_assert_cmpstr (renewal_text, ==, "https://renew/ https://both/ https://e/ https://f/");
  /* The input is left as it was. */
  g_assert_cmpstr (((CradleCesEndpoint *) g_ptr_array_index (servers, 0))->uri, ==,
                   "https://e/");
}

/* ---- answers that break the protocol ------------------------------------------- */

#define RESPONSE_OPEN                                                                              \
  "<s:Envelope xmlns:s='" CRADLE_SOAP_NS "'><s:Body>"                                            \
  "<GetPoliciesResponse xmlns='" CRADLE_XCEP_NS "' xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance'>"
#define RESPONSE_CLOSE "</GetPoliciesResponse></s:Body></s:Envelope>"
#define HEAD(policies) "<response><policyID>p</policyID><policies>" policies "</policies></response>"
#define POLICY(cn, ca_refs, oid_ref)                                                              \
  "<policy><policyOIDReference>" oid_ref "</policyOIDReference><cAs>" ca_refs "</cAs>"            \
  "<attributes><commonName>" cn "</commonName></attributes></policy>"
#define CA(id, uris) "<cA><uris>" uris "</uris><cAReferenceID>" id "</cAReferenceID></cA>"
#define URI(auth, uri, prio)                                                                       \
  "<cAURI><clientAuthentication>" auth "</clientAuthentication><uri>" uri "</uri>"                 \
  "<priority>" prio "</priority><renewalOnly>false</renewalOnly></cAURI>"
#define OID(id, value) "<oID><value>" value "</value><group>9</group><oIDReferenceID>" id "</oIDReferenceID></oID>"

static CradleEnrollmentPolicy *
parse_text (const char  *text,
            GError     **error)
{
  g_autoptr(GBytes) body = g_bytes_new (text, strlen (text));

  return cradle_enrollment_policy_new_from_xml (body, CRADLE_XML_MAX_SIZE, error);
}

static void
test_minimal_and_lenient (void)
{
  g_autoptr(GError) error = NULL;
  /* A bad address leaves out that address only; a nil priority sorts last. */
  g_autoptr(CradleEnrollmentPolicy) policy =
    parse_text (RESPONSE_OPEN HEAD (POLICY ("T", "<cAReference>7</cAReference>", "0"))
                "<cAs>" CA ("7", URI ("2", "ftp://nope/", "1")
                            "<cAURI><clientAuthentication>2</clientAuthentication>"
                            "<uri>https://last/</uri><priority xsi:nil='true'/></cAURI>"
                            URI ("2", "https://first/", "9"))
                "</cAs><oIDs>" OID ("0", "1.2.3.4") "</oIDs>" RESPONSE_CLOSE, &error);
  g_autoptr(GPtrArray) endpoints = NULL;
  g_autofree char *joined = NULL;

  g_assert_no_error (error);
  endpoints = cradle_enrollment_policy_dup_endpoints (policy, "T", CRADLE_ENDPOINT_AUTH_KERBEROS,
                                                      FALSE);
  joined = join (endpoints);
  g_assert_cmpstr (joined, ==, "https://first/ https://last/");
  g_assert_cmpstr (cradle_enrollment_policy_get_template_oid (policy, "T"), ==, "1.2.3.4");
  g_assert_false (cradle_enrollment_policy_get_may_enroll (policy, "T"));
}

typedef struct {
  const char *name;
  const char *body;
  const char *words;
} Malformed;

static const Malformed malformed[] = {
  { "fault", "<s:Envelope xmlns:s='" CRADLE_SOAP_NS "'><s:Body><s:Fault><s:Code><s:Value>"
    "s:Sender</s:Value></s:Code><s:Reason><s:Text xml:lang='en'>No client</s:Text></s:Reason>"
    "</s:Fault></s:Body></s:Envelope>", "No client" },
  { "not-policies", "<s:Envelope xmlns:s='" CRADLE_SOAP_NS "'><s:Body><x/></s:Body></s:Envelope>",
    "not a GetPoliciesResponse" },
  { "no-response", RESPONSE_OPEN RESPONSE_CLOSE, "no <response>" },
  { "unknown-ca", RESPONSE_OPEN HEAD (POLICY ("T", "<cAReference>3</cAReference>", "0"))
    "<oIDs>" OID ("0", "1.2.3") "</oIDs>" RESPONSE_CLOSE, "CA number 3" },
  { "ca-reference-word", RESPONSE_OPEN HEAD (POLICY ("T", "<cAReference>x</cAReference>", "0"))
    "<oIDs>" OID ("0", "1.2.3") "</oIDs>" RESPONSE_CLOSE, "other than its number" },
  { "unknown-oid", RESPONSE_OPEN HEAD (POLICY ("T", "", "4")) RESPONSE_CLOSE, "OID number 4" },
  { "bad-oid", RESPONSE_OPEN HEAD ("") "<oIDs>" OID ("0", "1..2") "</oIDs>" RESPONSE_CLOSE,
    "not one" },
  { "oid-without-id", RESPONSE_OPEN HEAD ("") "<oIDs><oID><value>1.2</value></oID></oIDs>"
    RESPONSE_CLOSE, "oIDReferenceID" },
  { "no-common-name", RESPONSE_OPEN HEAD ("<policy><attributes/></policy>") RESPONSE_CLOSE,
    "no <commonName>" },
  { "no-attributes", RESPONSE_OPEN HEAD ("<policy/>") RESPONSE_CLOSE, "no <attributes>" },
  { "two-cas-same-id", RESPONSE_OPEN HEAD ("") "<cAs>" CA ("1", "") CA ("1", "") "</cAs>"
    RESPONSE_CLOSE, "two CAs numbered 1" },
  { "ca-without-id", RESPONSE_OPEN HEAD ("") "<cAs><cA/></cAs>" RESPONSE_CLOSE, "cAReferenceID" },
  { "priority-word", RESPONSE_OPEN HEAD ("") "<cAs>" CA ("1", URI ("2", "https://a/", "high"))
    "</cAs>" RESPONSE_CLOSE, "<priority>" },
  { "flags-negative", RESPONSE_OPEN HEAD ("<policy><attributes><commonName>T</commonName>"
    "<enrollmentFlags>-1</enrollmentFlags></attributes></policy>") RESPONSE_CLOSE,
    "The template 'T'" },
  { "certificate-not-base64", RESPONSE_OPEN HEAD ("") "<cAs><cA><certificate>MII*</certificate>"
    "<cAReferenceID>0</cAReferenceID></cA></cAs>" RESPONSE_CLOSE, "not base64" },
};

static void
test_malformed (gconstpointer data)
{
  const Malformed *c = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleEnrollmentPolicy) policy = parse_text (c->body, &error);

  g_assert_null (policy);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  if (strstr (error->message, c->words) == NULL)
    g_error ("'%s' does not say '%s'", error->message, c->words);
}

static void
test_too_many_uris (void)
{
  g_autoptr(GString) text = g_string_new (RESPONSE_OPEN HEAD ("") "<cAs><cA><uris>");
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleEnrollmentPolicy) policy = NULL;

  for (guint i = 0; i <= CRADLE_XCEP_MAX_CA_URIS; i++)
    g_string_append (text, URI ("2", "https://a/", "1"));
  g_string_append (text, "</uris><cAReferenceID>0</cAReferenceID></cA></cAs>" RESPONSE_CLOSE);
  policy = parse_text (text->str, &error);
  g_assert_null (policy);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "more than the 64 allowed"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/xcep/build/get-policies", test_build_get_policies);
  g_test_add_func ("/xcep/example/request", test_fixture_request);
  g_test_add_func ("/xcep/example/response", test_fixture_response);
  g_test_add_func ("/xcep/policy/endpoints", test_policy_endpoints);
  g_test_add_func ("/xcep/policy/accessors", test_policy_accessors);
  g_test_add_func ("/xcep/endpoint-choice", test_endpoint_choice);
  g_test_add_func ("/xcep/minimal-and-lenient", test_minimal_and_lenient);
  g_test_add_func ("/xcep/malformed/too-many-uris", test_too_many_uris);
  for (gsize i = 0; i < G_N_ELEMENTS (malformed); i++)
    {
      g_autofree char *path = g_strdup_printf ("/xcep/malformed/%s", malformed[i].name);

      g_test_add_data_func (path, &malformed[i], test_malformed);
    }

  return g_test_run ();
}
