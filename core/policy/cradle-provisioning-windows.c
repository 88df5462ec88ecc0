/* cradle-provisioning-windows.c: Windows Mobile's Certificate Enroller
 * provisioning XML, read into type files
 *
 * The Configuration Service Provider's tree (cradle-provisioning.h):
 * wap-provisioningdoc / characteristic CertificateEnroller / Configuration /
 * one characteristic per type, whose parms are ServerName, Template, NoSSL
 * (boolean) and ServerPickupPage.  Operation holds requests to enroll or
 * renew now, with credentials: reported, skipped, never read.  Anything
 * else is an error with its line, so that a typo is never a silently
 * different type.
 */
#include "config.h"

#include <string.h>

#include "ca/wstep/cradle-xml-private.h"
#include "policy/cradle-provisioning-private.h"

typedef struct {
  const char                 *source;
  CradleProvisioningDocument *document;
} Reader;

static guint
line_of (xmlNode *node)
{
  long line = sym_xmlGetLineNo (node);

  return line > 0 && line <= G_MAXUINT ? (guint) line : 0;
}

/* A value from the file, fit to quote in a message. */
static char *
shown (const char *value)
{
  g_autofree char *short_text = cradle_xml_dup_display_text (value, 60);

  return cradle_text_escape (short_text, -1, CRADLE_TEXT_ESCAPE_DEFAULT);
}

/* Only the attributes in @allowed (%NULL-terminated), none in a namespace. */
static gboolean
check_attributes (Reader              *reader,
                  xmlNode             *node,
                  const char * const  *allowed,
                  GError             **error)
{
  for (xmlAttr *attribute = node->properties; attribute != NULL; attribute = attribute->next)
    {
      const char *name = (const char *) attribute->name;

      if (attribute->ns != NULL || !g_strv_contains (allowed, name))
        {
          g_autofree char *name_shown = shown (name);

          return _cradle_provisioning_fail (reader->source, line_of (node), error,
                                            "<%s> has an attribute '%s' that Cradle does not know",
                                            (const char *) node->name, name_shown);
        }
    }
  return TRUE;
}

/* Element children only (comments and white space between them are fine). */
static gboolean
check_children (Reader   *reader,
                xmlNode  *node,
                GError  **error)
{
  for (xmlNode *child = node->children; child != NULL; child = child->next)
    {
      if (child->type == XML_ELEMENT_NODE || child->type == XML_COMMENT_NODE)
        continue;
      if (child->type == XML_TEXT_NODE && child->content != NULL &&
          strspn ((const char *) child->content, " \t\r\n") == strlen ((const char *) child->content))
        continue;
      return _cradle_provisioning_fail (reader->source, line_of (child), error,
                                        "<%s> holds text or a node that a provisioning document does not have; "
                                        "only <characteristic> and <parm> elements", (const char *) node->name);
    }
  return TRUE;
}

/* A <characteristic type="…"> (no other element, no other attribute). */
static gboolean
read_characteristic (Reader   *reader,
                     xmlNode  *node,
                     char    **type,
                     GError  **error)
{
  static const char * const allowed[] = { "type", NULL };

  if (!cradle_xml_is (node, NULL, "characteristic"))
    {
      g_autofree char *name_shown = shown ((const char *) node->name);

      return _cradle_provisioning_fail (reader->source, line_of (node), error,
                                        "<%s> is not something Cradle reads here (a <characteristic type=\"…\"> is)",
                                        name_shown);
    }
  if (!check_attributes (reader, node, allowed, error) || !check_children (reader, node, error))
    return FALSE;
  *type = cradle_xml_dup_attribute (node, NULL, "type");
  if (*type == NULL || (*type)[0] == '\0')
    return _cradle_provisioning_fail (reader->source, line_of (node), error, "<characteristic> has no type");
  return TRUE;
}

typedef enum {
  PARM_SERVER_NAME,
  PARM_TEMPLATE,
  PARM_NO_SSL,
  PARM_SERVER_PICKUP_PAGE,
  N_PARMS,
} Parm;

static const struct {
  const char *name;
  const char *datatype;
} parms[N_PARMS] = {
  [PARM_SERVER_NAME] = { "ServerName", "string" },
  [PARM_TEMPLATE] = { "Template", "string" },
  [PARM_NO_SSL] = { "NoSSL", "boolean" },
  [PARM_SERVER_PICKUP_PAGE] = { "ServerPickupPage", "string" },
};

/* ServerName: a host name or address, optionally ":port"; the type-file
 * parser checks the URL it makes, this only keeps it a host. */
static gboolean
check_server_name (Reader      *reader,
                   guint        line,
                   const char  *value,
                   GError     **error)
{
  if (value[0] == '\0' || strpbrk (value, "/?#@\\ \t") != NULL)
    {
      g_autofree char *value_shown = shown (value);

      return _cradle_provisioning_fail (reader->source, line, error,
                                        "ServerName '%s' is not a server name: write the CA web server's host name, "
                                        "as in ca01.corp.example (optionally with :PORT), without http:// or a path",
                                        value_shown);
    }
  return TRUE;
}

static gboolean
read_type (Reader   *reader,
           xmlNode  *node,
           GError  **error)
{
  g_autofree char *name = NULL;
  g_autoptr(CradleProvisioningEntry) entry = NULL;
  /* Each parm's value, %NULL while unset. */
  g_autoptr(GPtrArray) parm_values = g_ptr_array_new_full (N_PARMS, g_free);
  char **values;
  guint lines[N_PARMS] = { 0, };
  gboolean no_ssl = FALSE;
  g_autofree char *url = NULL;

  g_ptr_array_set_size (parm_values, N_PARMS);
  values = (char **) parm_values->pdata;
  if (!read_characteristic (reader, node, &name, error))
    return FALSE;
  if (!_cradle_provisioning_check_name (reader->source, line_of (node), name, error) ||
      !_cradle_provisioning_check_unique (reader->document->entries, reader->source, name,
                                          line_of (node), error))
    return FALSE;

  for (xmlNode *child = cradle_xml_first_element (node); child != NULL;
       child = cradle_xml_next_element (child))
    {
      static const char * const allowed[] = { "name", "value", "datatype", NULL };
      g_autofree char *parm_name = NULL;
      g_autofree char *value = NULL;
      g_autofree char *datatype = NULL;
      guint which;

      if (!cradle_xml_is (child, NULL, "parm"))
        {
          g_autofree char *element = shown ((const char *) child->name);

          return _cradle_provisioning_fail (reader->source, line_of (child), error,
                                            "<%s> in the type '%s' is not something Cradle reads: a type holds "
                                            "<parm> elements (ServerName, Template, NoSSL, ServerPickupPage)", element,
                                            name);
        }
      if (!check_attributes (reader, child, allowed, error))
        return FALSE;
      if (cradle_xml_first_element (child) != NULL)
        return _cradle_provisioning_fail (reader->source, line_of (child), error, "<parm> holds elements; it has none");
      if (!check_children (reader, child, error))
        return FALSE;
      parm_name = cradle_xml_dup_attribute (child, NULL, "name");
      value = cradle_xml_dup_attribute (child, NULL, "value");
      datatype = cradle_xml_dup_attribute (child, NULL, "datatype");
      if (parm_name == NULL)
        return _cradle_provisioning_fail (reader->source, line_of (child), error, "<parm> has no name");
      for (which = 0; which < N_PARMS; which++)
        if (g_str_equal (parms[which].name, parm_name))
          break;
      if (which == N_PARMS)
        {
          g_autofree char *parm_shown = shown (parm_name);

          return _cradle_provisioning_fail (reader->source, line_of (child), error,
                                            "the parm '%s' of the type '%s' is not one Cradle knows (ServerName, "
                                            "Template, NoSSL, ServerPickupPage); Cradle does not guess what it means",
                                            parm_shown, name);
        }
      if (values[which] != NULL)
        return _cradle_provisioning_fail (reader->source, line_of (child), error,
                                          "the parm %s of the type '%s' is set twice (first at line %u)", parm_name,
                                          name, lines[which]);
      if (value == NULL)
        return _cradle_provisioning_fail (reader->source, line_of (child), error, "the parm %s has no value",
                                          parm_name);
      if (datatype != NULL && !g_str_equal (datatype, parms[which].datatype))
        {
          g_autofree char *datatype_shown = shown (datatype);

          return _cradle_provisioning_fail (reader->source, line_of (child), error,
                                            "the parm %s is a %s, not datatype=\"%s\"", parm_name,
                                            parms[which].datatype, datatype_shown);
        }
      g_strstrip (value);
      if (!g_utf8_validate (value, -1, NULL))
        return _cradle_provisioning_fail (reader->source, line_of (child), error, "the value of %s is not UTF-8 text",
                                          parm_name);
      values[which] = g_steal_pointer (&value);
      lines[which] = line_of (child);
    }

  if (values[PARM_NO_SSL] != NULL)
    {
      const char *text = values[PARM_NO_SSL];

      if (g_str_equal (text, "1") || g_ascii_strcasecmp (text, "true") == 0)
        no_ssl = TRUE;
      else if (g_str_equal (text, "0") || g_ascii_strcasecmp (text, "false") == 0)
        no_ssl = FALSE;
      else
        {
          g_autofree char *value_shown = shown (text);

          return _cradle_provisioning_fail (reader->source, lines[PARM_NO_SSL], error,
                                            "NoSSL '%s' is not a boolean: write 0 (the server requires an encrypted "
                                            "connection) or 1", value_shown);
        }
    }
  /* The Certificate Enroller signs in as the desktop's user: over plain
   * HTTP that sign-in would cross the network without TLS. */
  if (no_ssl)
    return _cradle_provisioning_fail (reader->source, lines[PARM_NO_SSL], error,
                                      "NoSSL=1 asks for plain HTTP, where the desktop's sign-in (Kerberos) would cross "
                                      "the network without TLS, which Cradle never does. Serve certsrv over "
                                      "https:// and set NoSSL to 0");
  if (values[PARM_SERVER_NAME] == NULL)
    return _cradle_provisioning_fail (reader->source, line_of (node), error,
                                      "the type '%s' has no ServerName: which CA web server does it enroll with?",
                                      name);
  if (!check_server_name (reader, lines[PARM_SERVER_NAME], values[PARM_SERVER_NAME], error))
    return FALSE;

  entry = _cradle_provisioning_entry_new (name, line_of (node));
  _cradle_provisioning_entry_add_line (entry, "[" CRADLE_CERT_TYPE_GROUP "]", line_of (node));
  if (!_cradle_provisioning_entry_add_key (entry, reader->source, "Name", name, line_of (node), error) ||
      !_cradle_provisioning_entry_add_key (entry, reader->source, "Protocol", "certsrv", line_of (node),
                                           error))
    return FALSE;
  url = g_strdup_printf ("https://%s/certsrv", values[PARM_SERVER_NAME]);
  if (!_cradle_provisioning_entry_add_key (entry, reader->source, "URL", url, lines[PARM_SERVER_NAME],
                                           error))
    return FALSE;
  if (values[PARM_TEMPLATE] != NULL &&
      !_cradle_provisioning_entry_add_key (entry, reader->source, "Template", values[PARM_TEMPLATE],
                                           lines[PARM_TEMPLATE], error))
    return FALSE;
  if (!_cradle_provisioning_entry_check (entry, reader->source, error))
    return FALSE;

  if (values[PARM_SERVER_PICKUP_PAGE] != NULL)
    {
      g_autofree char *value_shown = shown (values[PARM_SERVER_PICKUP_PAGE]);

      g_ptr_array_add (reader->document->notes,
                       g_strdup_printf ("%s:%u: type '%s': ServerPickupPage '%s' is not kept: Cradle "
                                        "builds the chain from the CA's answer, the directory and "
                                        "the certificates' AIA",
                                        reader->source, lines[PARM_SERVER_PICKUP_PAGE], name,
                                        value_shown));
    }
  g_ptr_array_add (reader->document->entries, g_steal_pointer (&entry));
  return TRUE;
}

static gboolean
read_enroller (Reader   *reader,
               xmlNode  *node,
               GError  **error)
{
  for (xmlNode *child = cradle_xml_first_element (node); child != NULL;
       child = cradle_xml_next_element (child))
    {
      g_autofree char *type = NULL;

      if (!read_characteristic (reader, child, &type, error))
        return FALSE;
      if (g_str_equal (type, "Configuration"))
        {
          for (xmlNode *item = cradle_xml_first_element (child); item != NULL;
               item = cradle_xml_next_element (item))
            if (!read_type (reader, item, error))
              return FALSE;
        }
      else if (g_str_equal (type, "Operation"))
        {
          /* Requests to enroll or renew now, with a user name and a
           * password: not types, and never read. */
          g_ptr_array_add (reader->document->notes,
                           g_strdup_printf ("%s:%u: the Operation (enroll or renew now) is not "
                                            "imported, nor the credentials it may hold; enroll "
                                            "with 'cradlectl enroll --type NAME'",
                                            reader->source, line_of (child)));
        }
      else
        {
          g_autofree char *type_shown = shown (type);

          return _cradle_provisioning_fail (reader->source, line_of (child), error,
                                            "the CertificateEnroller characteristic '%s' is not one Cradle knows "
                                            "(Configuration, Operation)", type_shown);
        }
    }
  return TRUE;
}

gboolean
_cradle_provisioning_read_windows (CradleProvisioningDocument *document,
                                   const char                 *source,
                                   GBytes                     *data,
                                   GError                    **error)
{
  static const char * const root_attributes[] = { "version", NULL };
  Reader reader = { source, document };
  g_autoptr(xmlDoc) doc = NULL;
  g_autoptr(GError) local_error = NULL;
  xmlNode *root;

  document->format = CRADLE_PROVISIONING_FORMAT_WINDOWS;
  doc = cradle_xml_parse (data, CRADLE_PROVISIONING_MAX_SIZE, &local_error);
  if (doc == NULL)
    {
      /* "… (line N)": named up front, as every other error does. */
      const char *at = g_strrstr (local_error->message, "line ");
      guint64 line = 0;

      if (at != NULL)
        line = g_ascii_strtoull (at + 5, NULL, 10);
      if (line > 0)
        g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "%s:%" G_GUINT64_FORMAT ": %s", source,
                     line, local_error->message);
      else
        g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "%s: %s", source, local_error->message);
      return FALSE;
    }
  root = sym_xmlDocGetRootElement (doc);
  if (!cradle_xml_is (root, NULL, "wap-provisioningdoc"))
    return _cradle_provisioning_fail (reader.source, line_of (root), error,
                                      "the document is not a provisioning document: its root is not "
                                      "<wap-provisioningdoc>");
  if (!check_attributes (&reader, root, root_attributes, error) ||
      !check_children (&reader, root, error))
    return FALSE;
  for (xmlNode *child = cradle_xml_first_element (root); child != NULL;
       child = cradle_xml_next_element (child))
    {
      g_autofree char *type = NULL;

      if (!read_characteristic (&reader, child, &type, error))
        return FALSE;
      if (!g_str_equal (type, "CertificateEnroller"))
        {
          g_autofree char *type_shown = shown (type);

          return _cradle_provisioning_fail (reader.source, line_of (child), error,
                                            "the characteristic '%s' is not one Cradle applies: a provisioning file "
                                            "for Cradle holds CertificateEnroller only", type_shown);
        }
      if (!read_enroller (&reader, child, error))
        return FALSE;
    }
  if (document->entries->len == 0)
    return _cradle_provisioning_fail (reader.source, line_of (root), error,
                                      "the document defines no certificate type (no "
                                      "CertificateEnroller/Configuration characteristic)");
  return TRUE;
}
