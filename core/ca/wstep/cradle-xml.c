/* cradle-xml.c: untrusted XML in through libxml2, our own XML out
 *
 * Parsing: network access off (XML_PARSE_NONET), entities never substituted
 * (no XML_PARSE_NOENT), no DTD loaded or validated, and any document type
 * declaration refused before its internal subset is read, so no entity can
 * be declared at all.  A hard size limit comes first.
 */
#include "config.h"

#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <openssl/crypto.h>

#include <cradle/cradle.h>

#include "ca/wstep/cradle-xml-private.h"

#define XSI_NS "http://www.w3.org/2001/XMLSchema-instance"

/* CDATA sections become plain text; errors stay in the context; lines past
 * 65535 are kept (xmlGetLineNo()) for messages that name them. */
#define PARSE_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | \
                       XML_PARSE_BIG_LINES)

/* How much of libxml2's own complaint an error repeats. */
#define SHOWN_PARSER_ERROR_CHARS 160

/* ---- reading -------------------------------------------------------------- */

typedef struct
{
  gboolean saw_doctype;
  int      doctype_line;
  /* The first fatal error, which is what broke the document: libxml2 reads
   * on, and the last error it keeps is often only a consequence ("Premature
   * end of data" at the end of the document). */
  char    *first_fatal;
  int      first_fatal_line;
} ParseState;

/* Called as soon as "<!DOCTYPE name ...>" is read, before any declaration in
 * its internal subset: stop right there. */
static void
refuse_doctype (void          *user_data,
                const xmlChar *name,
                const xmlChar *external_id,
                const xmlChar *system_id)
{
  xmlParserCtxt *ctxt = user_data;
  ParseState *state = ctxt->_private;

  state->saw_doctype = TRUE;
  state->doctype_line = ctxt->input != NULL ? ctxt->input->line : 0;
  sym_xmlStopParser (ctxt);
}

/* Nothing goes to stderr; the first fatal error is kept for the message, the
 * last one stays in the context (sym_xmlCtxtGetLastError). */
static void
record_error (void        *user_data,
              xmlError    *error)
{
  xmlParserCtxt *ctxt = user_data;
  ParseState *state = ctxt->_private;

  if (error == NULL || error->level != XML_ERR_FATAL || state->first_fatal != NULL)
    return;
  state->first_fatal = g_strdup (error->message != NULL ? error->message : "");
  state->first_fatal_line = error->line;
}

/**
 * cradle_xml_parse:
 * @data: bytes from outside
 * @max_size: the largest document accepted
 * @error: return location for a #GError
 *
 * Parses @data as an XML document without touching the network, without
 * entity expansion and without any document type declaration.
 *
 * Returns: (transfer full): the document, or %NULL with
 *   %CRADLE_ERROR_INVALID_DATA
 */
xmlDoc *
cradle_xml_parse (GBytes      *data,
                  gsize        max_size,
                  GError     **error)
{
  xmlParserCtxt *ctxt;
  g_autoptr(xmlDoc) doc = NULL;
  ParseState state = { FALSE, 0, NULL, 0 };
  gboolean well_formed;
  g_autofree char *complaint = NULL;
  const char *bytes;
  gsize length;

  g_return_val_if_fail (data != NULL, NULL);

  bytes = g_bytes_get_data (data, &length);
  if (length > max_size || length > CRADLE_XML_MAX_SIZE || length > G_MAXINT)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The XML document is %" G_GSIZE_FORMAT " bytes, more than the %" G_GSIZE_FORMAT
                   " allowed",
                   length, MIN (max_size, (gsize) CRADLE_XML_MAX_SIZE));
      return NULL;
    }
  if (length == 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The XML document is empty");
      return NULL;
    }

  if (!cradle_libxml_load (error))
    return NULL;
  ctxt = sym_xmlNewParserCtxt ();
  if (ctxt == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                           "Could not start the XML parser: out of memory");
      return NULL;
    }
  ctxt->_private = &state;
  ctxt->sax->internalSubset = refuse_doctype;
  ctxt->sax->externalSubset = NULL;
  ctxt->sax->serror = record_error;

  doc = sym_xmlCtxtReadMemory (ctxt, bytes, (int) length, NULL, NULL, PARSE_OPTIONS);
  well_formed = ctxt->wellFormed;
  if (!well_formed && !state.saw_doctype)
    {
      xmlError *last = sym_xmlCtxtGetLastError (ctxt);
      const char *said = state.first_fatal;
      int line = state.first_fatal_line;

      if (said == NULL && last != NULL)
        {
          said = last->message;
          line = last->line;
        }
      if (said != NULL)
        {
          g_autofree char *shown = cradle_xml_dup_display_text (said, SHOWN_PARSER_ERROR_CHARS);

          complaint = g_strdup_printf ("%s (line %d)", shown, line);
        }
    }
  sym_xmlFreeParserCtxt (ctxt);
  g_free (state.first_fatal);

  if (state.saw_doctype)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The XML document has a document type declaration (<!DOCTYPE>, line %d), "
                   "which is never accepted: it could declare entities that read files or "
                   "grow without bound",
                   state.doctype_line);
      return NULL;
    }
  if (doc == NULL || !well_formed)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The document is not well-formed XML: %s",
                   complaint != NULL ? complaint : "the parser gave no reason");
      return NULL;
    }
  if (doc->intSubset != NULL || doc->extSubset != NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The XML document has a document type declaration, which is never "
                           "accepted from a server");
      return NULL;
    }
  if (sym_xmlDocGetRootElement (doc) == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The XML document has no root element");
      return NULL;
    }
  return g_steal_pointer (&doc);
}

gboolean
cradle_xml_is (xmlNode     *node,
               const char  *ns,
               const char  *name)
{
  if (node == NULL || node->type != XML_ELEMENT_NODE)
    return FALSE;
  if (g_strcmp0 ((const char *) node->name, name) != 0)
    return FALSE;
  if (ns == NULL)
    return node->ns == NULL || node->ns->href == NULL;
  return node->ns != NULL && g_strcmp0 ((const char *) node->ns->href, ns) == 0;
}

xmlNode *
cradle_xml_first_element (xmlNode *parent)
{
  if (parent == NULL)
    return NULL;
  for (xmlNode *child = parent->children; child != NULL; child = child->next)
    {
      if (child->type == XML_ELEMENT_NODE)
        return child;
    }
  return NULL;
}

xmlNode *
cradle_xml_next_element (xmlNode *node)
{
  if (node == NULL)
    return NULL;
  for (xmlNode *next = node->next; next != NULL; next = next->next)
    {
      if (next->type == XML_ELEMENT_NODE)
        return next;
    }
  return NULL;
}

xmlNode *
cradle_xml_child (xmlNode     *parent,
                  const char  *ns,
                  const char  *name)
{
  for (xmlNode *child = cradle_xml_first_element (parent); child != NULL;
       child = cradle_xml_next_element (child))
    {
      if (cradle_xml_is (child, ns, name))
        return child;
    }
  return NULL;
}

xmlNode *
cradle_xml_next (xmlNode     *node,
                 const char  *ns,
                 const char  *name)
{
  for (xmlNode *next = cradle_xml_next_element (node); next != NULL;
       next = cradle_xml_next_element (next))
    {
      if (cradle_xml_is (next, ns, name))
        return next;
    }
  return NULL;
}

guint
cradle_xml_count_children (xmlNode     *parent,
                           const char  *ns,
                           const char  *name)
{
  guint count = 0;

  for (xmlNode *child = cradle_xml_child (parent, ns, name); child != NULL;
       child = cradle_xml_next (child, ns, name))
    count++;
  return count;
}

char *
cradle_xml_dup_attribute (xmlNode     *node,
                          const char  *ns,
                          const char  *name)
{
  xmlChar *value;
  char *copy;

  if (node == NULL)
    return NULL;
  value = ns != NULL ? sym_xmlGetNsProp (node, (const xmlChar *) name, (const xmlChar *) ns)
                     : sym_xmlGetNoNsProp (node, (const xmlChar *) name);
  if (value == NULL)
    return NULL;
  copy = g_strdup ((const char *) value);
  cradle_xml_free (value);
  return copy;
}

gboolean
cradle_xml_is_nil (xmlNode *node)
{
  g_autofree char *nil = cradle_xml_dup_attribute (node, XSI_NS, "nil");

  if (nil == NULL)
    return FALSE;
  g_strstrip (nil);
  return g_strcmp0 (nil, "true") == 0 || g_strcmp0 (nil, "1") == 0;
}

char *
cradle_xml_dup_text (xmlNode *node)
{
  xmlChar *content;
  char *text;

  if (node == NULL || cradle_xml_is_nil (node))
    return NULL;
  content = sym_xmlNodeGetContent (node);
  text = g_strdup (content != NULL ? (const char *) content : "");
  cradle_xml_free (content);
  return g_strstrip (text);
}

char *
cradle_xml_dup_child_text (xmlNode     *parent,
                           const char  *ns,
                           const char  *name)
{
  return cradle_xml_dup_text (cradle_xml_child (parent, ns, name));
}

static void
set_bad_value (GError     **error,
               xmlNode     *parent,
               const char  *name,
               const char  *value,
               const char  *expected)
{
  g_autofree char *shown = cradle_xml_dup_display_text (value, 40);

  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
               "The element <%s> in <%s> holds '%s', which is not %s", name,
               parent != NULL ? (const char *) parent->name : "?", shown, expected);
}

gboolean
cradle_xml_get_child_uint (xmlNode     *parent,
                           const char  *ns,
                           const char  *name,
                           guint64      max,
                           guint64     *value,
                           gboolean    *present,
                           GError     **error)
{
  g_autofree char *text = cradle_xml_dup_child_text (parent, ns, name);
  g_autofree char *expected = NULL;

  *present = FALSE;
  if (text == NULL)
    return TRUE;
  if (g_ascii_string_to_unsigned (text, 10, 0, max, value, NULL))
    {
      *present = TRUE;
      return TRUE;
    }
  expected = g_strdup_printf ("a whole number from 0 to %" G_GUINT64_FORMAT, max);
  set_bad_value (error, parent, name, text, expected);
  return FALSE;
}

gboolean
cradle_xml_get_child_int (xmlNode     *parent,
                          const char  *ns,
                          const char  *name,
                          gint64       min,
                          gint64       max,
                          gint64      *value,
                          gboolean    *present,
                          GError     **error)
{
  g_autofree char *text = cradle_xml_dup_child_text (parent, ns, name);
  g_autofree char *expected = NULL;
  const char *digits;

  *present = FALSE;
  if (text == NULL)
    return TRUE;
  /* g_ascii_string_to_signed() refuses a leading '+', which xs:int allows. */
  digits = text[0] == '+' && text[1] != '-' ? text + 1 : text;
  if (g_ascii_string_to_signed (digits, 10, min, max, value, NULL))
    {
      *present = TRUE;
      return TRUE;
    }
  expected = g_strdup_printf ("a whole number from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
                              min, max);
  set_bad_value (error, parent, name, text, expected);
  return FALSE;
}

gboolean
cradle_xml_get_child_boolean (xmlNode     *parent,
                              const char  *ns,
                              const char  *name,
                              gboolean    *value,
                              gboolean    *present,
                              GError     **error)
{
  g_autofree char *text = cradle_xml_dup_child_text (parent, ns, name);

  *present = FALSE;
  if (text == NULL)
    return TRUE;
  /* xs:boolean */
  if (g_strcmp0 (text, "true") == 0 || g_strcmp0 (text, "1") == 0)
    *value = TRUE;
  else if (g_strcmp0 (text, "false") == 0 || g_strcmp0 (text, "0") == 0)
    *value = FALSE;
  else
    {
      set_bad_value (error, parent, name, text, "true or false");
      return FALSE;
    }
  *present = TRUE;
  return TRUE;
}

GBytes *
cradle_xml_decode_base64 (const char  *text,
                          const char  *what,
                          GError     **error)
{
  g_autoptr(GString) clean = g_string_sized_new (text != NULL ? strlen (text) : 0);
  gsize padding = 0;
  guchar *decoded;
  gsize length = 0;

  if (text == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "%s is missing", what);
      return NULL;
    }
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
        continue;
      if (*p == '=')
        padding++;
      else if (padding > 0 || !(g_ascii_isalnum (*p) || *p == '+' || *p == '/'))
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "%s is not base64: it has a character base64 does not use", what);
          return NULL;
        }
      g_string_append_c (clean, *p);
    }
  if (clean->len == 0)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "%s is empty", what);
      return NULL;
    }
  if (clean->len % 4 != 0 || padding > 2)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s is not base64: it was cut short (%" G_GSIZE_FORMAT " characters)", what,
                   clean->len);
      return NULL;
    }
  decoded = g_base64_decode (clean->str, &length);
  return g_bytes_new_take (decoded, length);
}

char *
cradle_xml_dup_display_text (const char  *text,
                             gsize        max_chars)
{
  g_autofree char *valid = NULL;
  g_autoptr(GString) shown = g_string_new (NULL);
  gboolean pending_space = FALSE;
  gsize chars = 0;

  if (text == NULL)
    return g_strdup ("");
  valid = g_utf8_make_valid (text, -1);
  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isspace (c) || g_unichar_iscntrl (c) || c == 0x2028 || c == 0x2029)
        {
          pending_space = shown->len > 0;
          continue;
        }
      if (chars >= max_chars)
        {
          g_string_append (shown, "…");
          break;
        }
      if (pending_space)
        {
          g_string_append_c (shown, ' ');
          chars++;
          pending_space = FALSE;
        }
      g_string_append_unichar (shown, c);
      chars++;
    }
  return g_string_free (g_steal_pointer (&shown), FALSE);
}

/* ---- writing -------------------------------------------------------------- */

gboolean
cradle_xml_check_text (const char  *text,
                       const char  *what,
                       GError     **error)
{
  if (!g_utf8_validate (text, -1, NULL))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The %s is not valid UTF-8, so it cannot be sent in an XML message", what);
      return FALSE;
    }
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0xFFFE || c == 0xFFFF)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "The %s contains a control character, which cannot be sent in an XML "
                       "message",
                       what);
          return FALSE;
        }
    }
  return TRUE;
}

struct _CradleXmlWriter
{
  /* Owned */
  GString    *out;
  GPtrArray  *open;      /* of char *, qualified names of open elements */

  /* Borrowed */
  const char *secret;
  gsize       secret_at; /* where in @out its escaped text goes */
};

CradleXmlWriter *
cradle_xml_writer_new (void)
{
  CradleXmlWriter *self = g_new0 (CradleXmlWriter, 1);

  self->out = g_string_new ("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
  self->open = g_ptr_array_new_with_free_func (g_free);
  return self;
}

void
cradle_xml_writer_free (CradleXmlWriter *self)
{
  if (self == NULL)
    return;
  g_string_free (self->out, TRUE);
  g_ptr_array_unref (self->open);
  g_free (self);
}

/* The escaped form of one character, or %NULL when it is written as it is. */
static const char *
escape_of (char c)
{
  switch (c)
    {
    case '&':
      return "&amp;";
    case '<':
      return "&lt;";
    case '>':
      return "&gt;";
    case '"':
      return "&quot;";
    case '\'':
      return "&apos;";
    /* Kept through parsing, which would turn them into spaces or '\n'. */
    case '\r':
      return "&#xD;";
    case '\n':
      return "&#xA;";
    case '\t':
      return "&#x9;";
    default:
      return NULL;
    }
}

static void
append_escaped (GString    *out,
                const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    {
      const char *escaped = escape_of (*p);

      if (escaped != NULL)
        g_string_append (out, escaped);
      else
        g_string_append_c (out, *p);
    }
}

static gsize
escaped_length (const char *text)
{
  gsize length = 0;

  for (const char *p = text; *p != '\0'; p++)
    {
      const char *escaped = escape_of (*p);

      length += escaped != NULL ? strlen (escaped) : 1;
    }
  return length;
}

static void
start_valist (CradleXmlWriter *self,
              const char      *qname,
              va_list          args)
{
  const char *name;

  g_string_append_printf (self->out, "<%s", qname);
  while ((name = va_arg (args, const char *)) != NULL)
    {
      const char *value = va_arg (args, const char *);

      g_string_append_printf (self->out, " %s=\"", name);
      append_escaped (self->out, value);
      g_string_append_c (self->out, '"');
    }
  g_string_append_c (self->out, '>');
  g_ptr_array_add (self->open, g_strdup (qname));
}

void
cradle_xml_writer_start (CradleXmlWriter *self,
                         const char      *qname,
                         ...)
{
  va_list args;

  va_start (args, qname);
  start_valist (self, qname, args);
  va_end (args);
}

void
cradle_xml_writer_text (CradleXmlWriter *self,
                        const char      *text)
{
  append_escaped (self->out, text);
}

void
cradle_xml_writer_end (CradleXmlWriter *self)
{
  g_return_if_fail (self->open->len > 0);

  g_string_append_printf (self->out, "</%s>",
                          (const char *) g_ptr_array_index (self->open, self->open->len - 1));
  g_ptr_array_remove_index (self->open, self->open->len - 1);
}

void
cradle_xml_writer_element (CradleXmlWriter *self,
                           const char      *qname,
                           const char      *text,
                           ...)
{
  va_list args;

  va_start (args, text);
  start_valist (self, qname, args);
  va_end (args);
  if (text != NULL)
    cradle_xml_writer_text (self, text);
  cradle_xml_writer_end (self);
}

void
cradle_xml_writer_secret_text (CradleXmlWriter *self,
                               const char      *secret)
{
  g_return_if_fail (self->secret == NULL);

  self->secret = secret;
  self->secret_at = self->out->len;
}

typedef struct
{
  char  *data;
  gsize  length;
} WipedBuffer;

static void
wiped_buffer_free (gpointer user_data)
{
  WipedBuffer *buffer = user_data;

  OPENSSL_cleanse (buffer->data, buffer->length);
  g_free (buffer->data);
  g_free (buffer);
}

GBytes *
cradle_xml_writer_finish (CradleXmlWriter *self)
{
  WipedBuffer *buffer;
  gsize secret_length;
  char *at;

  while (self->open->len > 0)
    cradle_xml_writer_end (self);

  if (self->secret == NULL)
    return g_bytes_new (self->out->str, self->out->len);

  /* Written once, into memory of its exact size, so no copy is left behind. */
  secret_length = escaped_length (self->secret);
  buffer = g_new0 (WipedBuffer, 1);
  buffer->length = self->out->len + secret_length;
  buffer->data = g_malloc (buffer->length);
  memcpy (buffer->data, self->out->str, self->secret_at);
  at = buffer->data + self->secret_at;
  for (const char *p = self->secret; *p != '\0'; p++)
    {
      const char *escaped = escape_of (*p);
      gsize n = escaped != NULL ? strlen (escaped) : 1;

      memcpy (at, escaped != NULL ? escaped : p, n);
      at += n;
    }
  memcpy (at, self->out->str + self->secret_at, self->out->len - self->secret_at);
  self->secret = NULL;

  return g_bytes_new_with_free_func (buffer->data, buffer->length, wiped_buffer_free, buffer);
}
