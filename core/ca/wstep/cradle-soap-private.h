/* cradle-soap-private.h: SOAP 1.2 envelopes with WS-Addressing and WS-Security */
#pragma once

#include <gio/gio.h>

#include "ca/wstep/cradle-xml-private.h"

G_BEGIN_DECLS

#define CRADLE_SOAP_NS       "http://www.w3.org/2003/05/soap-envelope"
#define CRADLE_WSA_NS        "http://www.w3.org/2005/08/addressing"
#define CRADLE_WSSE_NS       "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
#define CRADLE_WSU_NS        "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
#define CRADLE_XSI_NS        "http://www.w3.org/2001/XMLSchema-instance"
#define CRADLE_WSA_ANONYMOUS "http://www.w3.org/2005/08/addressing/anonymous"
#define CRADLE_WSSE_PASSWORD_TEXT                                                                  \
  "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText"

#define CRADLE_SOAP_CONTENT_TYPE "application/soap+xml; charset=utf-8"

/* How long a WS-Security timestamp says the message is good for. */
#define CRADLE_SOAP_TIMESTAMP_SECONDS 300

/**
 * CradleSoapHeader:
 * @action: the WS-Addressing action
 * @to: the endpoint's address
 * @message_id: (nullable): "urn:uuid:…"; a fresh one when %NULL
 * @user: (nullable): for a WS-Security UsernameToken; none when %NULL
 * @password: (nullable): its password, sent as PasswordText (over TLS only)
 * @now: (nullable): the time for the token's timestamp; the clock's when %NULL
 */
typedef struct
{
  const char *action;
  const char *to;
  const char *message_id;
  const char *user;
  const char *password;
  GDateTime  *now;
} CradleSoapHeader;

/* Writes the envelope and its header and opens <s:Body>: the caller writes
 * the body and calls cradle_xml_writer_finish().  The body's elements
 * declare their own namespaces. */
CradleXmlWriter *cradle_soap_writer_new (const CradleSoapHeader *header,
                                         GError                **error) G_GNUC_WARN_UNUSED_RESULT;

/**
 * CradleSoapFault:
 * @code, @subcode: local names of the fault's code values ("Receiver",
 *   "InternalServiceFault"); @subcode may be %NULL
 * @subcode_ns: (nullable): the namespace of @subcode's prefix
 * @reason: (nullable): the reason text (English preferred), untrusted
 * @detail: (nullable): the first element inside <s:Detail>, borrowed
 */
typedef struct
{
  char    *code;
  char    *subcode;
  char    *subcode_ns;
  char    *reason;
  xmlNode *detail;
} CradleSoapFault;

/**
 * CradleSoapMessage:
 * @doc: the parsed document
 * @action: (nullable): its WS-Addressing action
 * @payload: the first element in <s:Body>, borrowed from @doc
 * @fault: (nullable): set when @payload is an <s:Fault>
 */
typedef struct
{
  xmlDoc          *doc;
  char            *action;
  xmlNode         *payload;
  CradleSoapFault *fault;
} CradleSoapMessage;

/* CRADLE_ERROR_INVALID_DATA unless @body is a SOAP 1.2 envelope with an
 * element in its body. */
CradleSoapMessage *cradle_soap_message_parse (GBytes             *body,
                                              gsize               max_size,
                                              GError            **error) G_GNUC_WARN_UNUSED_RESULT;
void               cradle_soap_message_free  (CradleSoapMessage  *message);

/* Whether a fault's subcode says the message's security (credentials) was
 * refused: WS-Security's FailedAuthentication, InvalidSecurityToken, and
 * WCF's a:InvalidSecurity. */
gboolean           cradle_soap_fault_is_security (const CradleSoapFault *fault);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleSoapMessage, cradle_soap_message_free)

G_END_DECLS
