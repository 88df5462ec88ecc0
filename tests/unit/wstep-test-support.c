/* wstep-test-support.c: what the MS-WSTEP tests share — the fixtures, the
 * request made from them, and an RST read as a server would read it */
#include "config.h"

#include "wstep-test-support.h"

GBytes *
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

CradleCaRequest *
fixture_request (void)
{
  g_autoptr(GBytes) csr = fixture ("request.csr");

  return cradle_ca_request_new (csr, "User");
}

CradleWstepResult *
parse_ok (GBytes *body)
{
  g_autoptr(GError) error = NULL;
  CradleWstepResult *result = cradle_wstep_result_parse (body, CRADLE_XML_MAX_SIZE, &error);

  g_assert_no_error (error);
  g_assert_nonnull (result);
  return result;
}

CradleWstepResult *
parse_fixture (const char *name)
{
  g_autoptr(GBytes) body = fixture (name);

  return parse_ok (body);
}

/* The context items of an RST as "name:value" lines. */
char *
context_items (xmlNode *rst)
{
  xmlNode *context = cradle_xml_child (rst, CRADLE_AUTH_NS, "AdditionalContext");
  g_autoptr(GString) items = g_string_new (NULL);

  for (xmlNode *item = cradle_xml_child (context, CRADLE_AUTH_NS, "ContextItem"); item != NULL;
       item = cradle_xml_next (item, CRADLE_AUTH_NS, "ContextItem"))
    {
      g_autofree char *name = cradle_xml_dup_attribute (item, NULL, "Name");
      g_autofree char *value = cradle_xml_dup_child_text (item, CRADLE_AUTH_NS, "Value");

      g_string_append_printf (items, "%s:%s\n", name, value);
    }
  return g_string_free (g_steal_pointer (&items), FALSE);
}

void
rst_free (Rst *rst)
{
  g_free (rst->action);
  g_free (rst->token_type);
  g_free (rst->request_type);
  g_free (rst->token_ns);
  g_free (rst->value_type);
  g_free (rst->encoding_type);
  g_clear_pointer (&rst->token, g_bytes_unref);
  g_free (rst->request_id);
  g_free (rst);
}

Rst *
read_rst (GBytes *body)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleSoapMessage) message = cradle_soap_message_parse (body, CRADLE_XML_MAX_SIZE,
                                                                    &error);
  Rst *rst = g_new0 (Rst, 1);
  xmlNode *payload;
  xmlNode *request_id;

  g_assert_no_error (error);
  g_assert_null (message->fault);
  payload = message->payload;
  g_assert_true (cradle_xml_is (payload, CRADLE_WST_NS, "RequestSecurityToken"));
  rst->action = g_strdup (message->action);
  rst->token_type = cradle_xml_dup_child_text (payload, CRADLE_WST_NS, "TokenType");
  rst->request_type = cradle_xml_dup_child_text (payload, CRADLE_WST_NS, "RequestType");
  rst->request_ket = cradle_xml_child (payload, CRADLE_WST_NS, "RequestKET") != NULL;
  /* By its local name, so that a test can say which namespace it is in. */
  for (xmlNode *child = cradle_xml_first_element (payload); child != NULL;
       child = cradle_xml_next_element (child))
    {
      g_autofree char *text = NULL;

      if (g_strcmp0 ((const char *) child->name, "BinarySecurityToken") != 0)
        continue;
      rst->token_ns = g_strdup (child->ns != NULL ? (const char *) child->ns->href : "");
      rst->value_type = cradle_xml_dup_attribute (child, NULL, "ValueType");
      rst->encoding_type = cradle_xml_dup_attribute (child, NULL, "EncodingType");
      text = cradle_xml_dup_text (child);
      rst->token = cradle_xml_decode_base64 (text, "The token", &error);
      g_assert_no_error (error);
      break;
    }
  request_id = cradle_xml_child (payload, CRADLE_WSTEP_NS, "RequestID");
  rst->has_request_id = request_id != NULL;
  rst->request_id_nil = cradle_xml_is_nil (request_id);
  rst->request_id = cradle_xml_dup_text (request_id);
  return rst;
}

/* 4.1.1.1's request: 4.1.1.2 is the certificate issued for its key. */
CradleCaRequest *
spec_issue_request (void)
{
  g_autoptr(GBytes) body = fixture ("ms-wstep-4.1.1.1-issue-request.xml");
  g_autoptr(Rst) rst = read_rst (body);

  return cradle_ca_request_new (rst->token, "User");
}
