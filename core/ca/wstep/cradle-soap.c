/* cradle-soap.c: SOAP 1.2 envelopes with WS-Addressing and WS-Security
 *
 * What AD CS's web services (CEP and CES, both WCF) expect: SOAP 1.2,
 * WS-Addressing 1.0 Action (mustUnderstand), MessageID, ReplyTo anonymous
 * and To; for UsernamePassword endpoints a WS-Security 1.0 header with a
 * timestamp and a UsernameToken whose password is sent as text (the
 * transport is TLS).
 */
#include "config.h"

#include <string.h>

#include <cradle/cradle.h>

#include "ca/wstep/cradle-soap-private.h"

/* How much of a fault's reason is kept. */
#define MAX_REASON_CHARS 1024

static char *
format_time (GDateTime *time)
{
  g_autoptr(GDateTime) utc = g_date_time_to_utc (time);
  g_autofree char *seconds = g_date_time_format (utc, "%Y-%m-%dT%H:%M:%S");

  return g_strdup_printf ("%s.%03dZ", seconds, g_date_time_get_microsecond (utc) / 1000);
}

static void
write_security (CradleXmlWriter        *writer,
                const CradleSoapHeader *header)
{
  g_autoptr(GDateTime) now = header->now != NULL ? g_date_time_ref (header->now)
                                                 : g_date_time_new_now_utc ();
  g_autoptr(GDateTime) expires = g_date_time_add_seconds (now, CRADLE_SOAP_TIMESTAMP_SECONDS);
  g_autofree char *created_text = format_time (now);
  g_autofree char *expires_text = format_time (expires);
  g_autofree char *uuid = g_uuid_string_random ();
  g_autofree char *token_id = g_strdup_printf ("uuid-%s-1", uuid);

  cradle_xml_writer_start (writer, "o:Security",
                           "s:mustUnderstand", "1",
                           "xmlns:o", CRADLE_WSSE_NS,
                           NULL);
  cradle_xml_writer_start (writer, "u:Timestamp", "u:Id", "_0", NULL);
  cradle_xml_writer_element (writer, "u:Created", created_text, NULL);
  cradle_xml_writer_element (writer, "u:Expires", expires_text, NULL);
  cradle_xml_writer_end (writer);
  cradle_xml_writer_start (writer, "o:UsernameToken", "u:Id", token_id, NULL);
  cradle_xml_writer_element (writer, "o:Username", header->user, NULL);
  cradle_xml_writer_start (writer, "o:Password", "Type", CRADLE_WSSE_PASSWORD_TEXT, NULL);
  cradle_xml_writer_secret_text (writer, header->password);
  cradle_xml_writer_end (writer);
  cradle_xml_writer_end (writer);
  cradle_xml_writer_end (writer);
}

/**
 * cradle_soap_writer_new:
 * @header: what goes into the envelope's header
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a writer inside <s:Body>, or %NULL with
 *   %CRADLE_ERROR_INVALID_DATA when a header value cannot go into XML
 */
CradleXmlWriter *
cradle_soap_writer_new (const CradleSoapHeader  *header,
                        GError                 **error)
{
  g_autoptr(CradleXmlWriter) writer = NULL;
  g_autofree char *message_id = NULL;

  g_return_val_if_fail (header != NULL, NULL);
  g_return_val_if_fail (header->action != NULL && header->to != NULL, NULL);
  g_return_val_if_fail ((header->user == NULL) == (header->password == NULL), NULL);

  if (!cradle_xml_check_text (header->to, "service address", error))
    return NULL;
  if (header->user != NULL &&
      (!cradle_xml_check_text (header->user, "user name", error) ||
       !cradle_xml_check_text (header->password, "password", error)))
    return NULL;
  if (header->message_id != NULL)
    {
      if (!cradle_xml_check_text (header->message_id, "message id", error))
        return NULL;
      message_id = g_strdup (header->message_id);
    }
  else
    {
      g_autofree char *uuid = g_uuid_string_random ();

      message_id = g_strdup_printf ("urn:uuid:%s", uuid);
    }

  writer = cradle_xml_writer_new ();
  if (header->user != NULL)
    cradle_xml_writer_start (writer, "s:Envelope",
                             "xmlns:s", CRADLE_SOAP_NS,
                             "xmlns:a", CRADLE_WSA_NS,
                             "xmlns:u", CRADLE_WSU_NS,
                             NULL);
  else
    cradle_xml_writer_start (writer, "s:Envelope",
                             "xmlns:s", CRADLE_SOAP_NS,
                             "xmlns:a", CRADLE_WSA_NS,
                             NULL);
  cradle_xml_writer_start (writer, "s:Header", NULL);
  cradle_xml_writer_element (writer, "a:Action", header->action, "s:mustUnderstand", "1", NULL);
  cradle_xml_writer_element (writer, "a:MessageID", message_id, NULL);
  cradle_xml_writer_start (writer, "a:ReplyTo", NULL);
  cradle_xml_writer_element (writer, "a:Address", CRADLE_WSA_ANONYMOUS, NULL);
  cradle_xml_writer_end (writer);
  cradle_xml_writer_element (writer, "a:To", header->to, "s:mustUnderstand", "1", NULL);
  if (header->user != NULL)
    write_security (writer, header);
  cradle_xml_writer_end (writer);
  cradle_xml_writer_start (writer, "s:Body", NULL);

  return g_steal_pointer (&writer);
}

static void
soap_fault_free (CradleSoapFault *fault)
{
  if (fault == NULL)
    return;
  g_free (fault->code);
  g_free (fault->subcode);
  g_free (fault->subcode_ns);
  g_free (fault->reason);
  g_free (fault);
}

void
cradle_soap_message_free (CradleSoapMessage *message)
{
  if (message == NULL)
    return;
  g_clear_pointer (&message->fault, soap_fault_free);
  g_clear_pointer (&message->doc, sym_xmlFreeDoc);
  g_free (message->action);
  g_free (message);
}

/* "prefix:Local" of a fault code: the local part, and the namespace the
 * prefix stands for at @node. */
static void
split_qname (xmlNode     *node,
             const char  *qname,
             char       **local,
             char       **ns)
{
  const char *colon = strchr (qname, ':');
  g_autofree char *prefix = NULL;
  xmlNs *found;

  if (colon == NULL)
    {
      *local = g_strdup (qname);
      found = sym_xmlSearchNs (node->doc, node, NULL);
    }
  else
    {
      *local = g_strdup (colon + 1);
      prefix = g_strndup (qname, colon - qname);
      found = sym_xmlSearchNs (node->doc, node, (const xmlChar *) prefix);
    }
  if (ns != NULL)
    *ns = found != NULL && found->href != NULL ? g_strdup ((const char *) found->href) : NULL;
}

static char *
pick_reason (xmlNode *reason)
{
  xmlNode *chosen = NULL;
  g_autofree char *text = NULL;

  for (xmlNode *node = cradle_xml_child (reason, CRADLE_SOAP_NS, "Text"); node != NULL;
       node = cradle_xml_next (node, CRADLE_SOAP_NS, "Text"))
    {
      xmlChar *lang = sym_xmlNodeGetLang (node);
      gboolean english = lang != NULL && g_ascii_strncasecmp ((const char *) lang, "en", 2) == 0;

      cradle_xml_free (lang);
      if (chosen == NULL || english)
        chosen = node;
      if (english)
        break;
    }
  text = cradle_xml_dup_text (chosen);
  if (text == NULL || *text == '\0')
    return NULL;
  return cradle_xml_dup_display_text (text, MAX_REASON_CHARS);
}

static CradleSoapFault *
parse_fault (xmlNode *fault_node)
{
  CradleSoapFault *fault = g_new0 (CradleSoapFault, 1);
  xmlNode *code = cradle_xml_child (fault_node, CRADLE_SOAP_NS, "Code");
  xmlNode *value = cradle_xml_child (code, CRADLE_SOAP_NS, "Value");
  xmlNode *subcode = cradle_xml_child (code, CRADLE_SOAP_NS, "Subcode");
  xmlNode *subvalue = cradle_xml_child (subcode, CRADLE_SOAP_NS, "Value");
  g_autofree char *code_text = cradle_xml_dup_text (value);
  g_autofree char *subcode_text = cradle_xml_dup_text (subvalue);

  /* A fault without a code is still a fault; the code only classifies it. */
  split_qname (value != NULL ? value : fault_node, code_text != NULL ? code_text : "Receiver",
               &fault->code, NULL);
  if (subcode_text != NULL && *subcode_text != '\0')
    split_qname (subvalue, subcode_text, &fault->subcode, &fault->subcode_ns);
  fault->reason = pick_reason (cradle_xml_child (fault_node, CRADLE_SOAP_NS, "Reason"));
  fault->detail = cradle_xml_first_element (cradle_xml_child (fault_node, CRADLE_SOAP_NS,
                                                              "Detail"));
  return fault;
}

/**
 * cradle_soap_message_parse:
 * @body: an HTTP answer's body, untrusted
 * @max_size: the largest accepted
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the message, or %NULL with
 *   %CRADLE_ERROR_INVALID_DATA
 */
CradleSoapMessage *
cradle_soap_message_parse (GBytes  *body,
                           gsize    max_size,
                           GError **error)
{
  g_autoptr(CradleSoapMessage) message = g_new0 (CradleSoapMessage, 1);
  xmlNode *root;
  xmlNode *header;
  xmlNode *soap_body;

  message->doc = cradle_xml_parse (body, max_size, error);
  if (message->doc == NULL)
    return NULL;

  root = sym_xmlDocGetRootElement (message->doc);
  if (!cradle_xml_is (root, CRADLE_SOAP_NS, "Envelope"))
    {
      if (root->ns != NULL && g_strcmp0 ((const char *) root->name, "Envelope") == 0)
        g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                     "The answer is a SOAP envelope of another version than SOAP 1.2");
      else
        g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                     "The answer is XML but not a SOAP envelope: its root element is <%s>",
                     (const char *) root->name);
      return NULL;
    }
  header = cradle_xml_child (root, CRADLE_SOAP_NS, "Header");
  message->action = cradle_xml_dup_child_text (header, CRADLE_WSA_NS, "Action");

  soap_body = cradle_xml_child (root, CRADLE_SOAP_NS, "Body");
  message->payload = cradle_xml_first_element (soap_body);
  if (message->payload == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The SOAP envelope has an empty body");
      return NULL;
    }
  if (cradle_xml_is (message->payload, CRADLE_SOAP_NS, "Fault"))
    message->fault = parse_fault (message->payload);

  return g_steal_pointer (&message);
}

gboolean
cradle_soap_fault_is_security (const CradleSoapFault *fault)
{
  static const char * const names[] = {
    "FailedAuthentication",
    "InvalidSecurityToken",
    "InvalidSecurity",
  };

  if (fault == NULL || fault->subcode == NULL)
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      if (g_strcmp0 (fault->subcode, names[i]) == 0)
        return TRUE;
    }
  return FALSE;
}
