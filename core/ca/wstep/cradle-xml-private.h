/* cradle-xml-private.h: untrusted XML in through libxml2, our own XML out */
#pragma once

#include <gio/gio.h>
#include <libxml/tree.h>

#include "ca/wstep/cradle-libxml-private.h"

G_BEGIN_DECLS

/* No answer from a server is parsed when larger than this. */
#define CRADLE_XML_MAX_SIZE (8 * 1024 * 1024)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlDoc, sym_xmlFreeDoc)

/* ---- reading -------------------------------------------------------------- */

xmlDoc   *cradle_xml_parse              (GBytes      *data,
                                         gsize        max_size,
                                         GError     **error) G_GNUC_WARN_UNUSED_RESULT;

/* Element children in the namespace @ns (%NULL: no namespace) called @name. */
gboolean  cradle_xml_is                 (xmlNode     *node,
                                         const char  *ns,
                                         const char  *name);
xmlNode  *cradle_xml_first_element      (xmlNode     *parent);
xmlNode  *cradle_xml_next_element       (xmlNode     *node);
xmlNode  *cradle_xml_child              (xmlNode     *parent,
                                         const char  *ns,
                                         const char  *name);
xmlNode  *cradle_xml_next               (xmlNode     *node,
                                         const char  *ns,
                                         const char  *name);
guint     cradle_xml_count_children     (xmlNode     *parent,
                                         const char  *ns,
                                         const char  *name);

/* xsi:nil="true" (or "1") */
gboolean  cradle_xml_is_nil             (xmlNode     *node);
/* The text of @node (%NULL when @node is %NULL or nil), trimmed. */
char     *cradle_xml_dup_text           (xmlNode     *node);
char     *cradle_xml_dup_child_text     (xmlNode     *parent,
                                         const char  *ns,
                                         const char  *name);
/* @ns: %NULL for an attribute without a namespace. */
char     *cradle_xml_dup_attribute      (xmlNode     *node,
                                         const char  *ns,
                                         const char  *name);

/* Optional children read as numbers and flags: when the child is absent or
 * nil, *@present is FALSE and the value is left alone; a value that is not
 * what the schema says is CRADLE_ERROR_INVALID_DATA naming @parent/@name. */
gboolean  cradle_xml_get_child_uint     (xmlNode     *parent,
                                         const char  *ns,
                                         const char  *name,
                                         guint64      max,
                                         guint64     *value,
                                         gboolean    *present,
                                         GError     **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean  cradle_xml_get_child_int      (xmlNode     *parent,
                                         const char  *ns,
                                         const char  *name,
                                         gint64       min,
                                         gint64       max,
                                         gint64      *value,
                                         gboolean    *present,
                                         GError     **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean  cradle_xml_get_child_boolean  (xmlNode     *parent,
                                         const char  *ns,
                                         const char  *name,
                                         gboolean    *value,
                                         gboolean    *present,
                                         GError     **error) G_GNUC_WARN_UNUSED_RESULT;

/* Base64 text (white space and line breaks, also "&#xD;", allowed) decoded;
 * CRADLE_ERROR_INVALID_DATA naming @what when it is not base64. */
GBytes   *cradle_xml_decode_base64      (const char  *text,
                                         const char  *what,
                                         GError     **error) G_GNUC_WARN_UNUSED_RESULT;

/* Text a server sent, made safe to quote in a message for people: control
 * characters and runs of white space become one space, invalid UTF-8 is
 * replaced, and it is cut at @max_chars with "…". */
char     *cradle_xml_dup_display_text   (const char  *text,
                                         gsize        max_chars);

/* ---- writing -------------------------------------------------------------- */

/* TRUE when @text can be written into XML 1.0 as it is: valid UTF-8 with no
 * control characters other than tab, line feed and carriage return.  The
 * error names @what, never the text (it may be a password). */
gboolean  cradle_xml_check_text         (const char  *text,
                                         const char  *what,
                                         GError     **error) G_GNUC_WARN_UNUSED_RESULT;

/* A small writer of well-formed XML.  Every text and attribute value given to
 * it must have passed cradle_xml_check_text(). */
typedef struct _CradleXmlWriter CradleXmlWriter;

CradleXmlWriter *cradle_xml_writer_new     (void);
void      cradle_xml_writer_free        (CradleXmlWriter *self);
/* Attributes as %NULL-terminated name, value pairs. */
void      cradle_xml_writer_start       (CradleXmlWriter *self,
                                         const char      *qname,
                                         ...) G_GNUC_NULL_TERMINATED;
void      cradle_xml_writer_text        (CradleXmlWriter *self,
                                         const char      *text);
void      cradle_xml_writer_end         (CradleXmlWriter *self);
/* start, text, end; @text may be %NULL for an empty element. */
void      cradle_xml_writer_element     (CradleXmlWriter *self,
                                         const char      *qname,
                                         const char      *text,
                                         ...) G_GNUC_NULL_TERMINATED;
/* Text that is a secret: it is borrowed, not copied, until _finish(), which
 * escapes it straight into the result.  At most one per document. */
void      cradle_xml_writer_secret_text (CradleXmlWriter *self,
                                         const char      *secret);
/* The document, with every element closed.  When it holds a secret, its
 * memory is wiped when the last reference goes. */
GBytes   *cradle_xml_writer_finish      (CradleXmlWriter *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleXmlWriter, cradle_xml_writer_free)

G_END_DECLS
