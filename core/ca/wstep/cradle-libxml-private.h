/* cradle-libxml-private.h: libxml2, opened when the first document is
 * parsed (cradle-dlopen-private.h says why) */
#pragma once

#include <glib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "base/cradle-dlopen-private.h"

G_BEGIN_DECLS

#define CRADLE_LIBXML_SYMBOLS(X) \
  X (xmlCtxtGetLastError)     \
  X (xmlCtxtReadMemory)       \
  X (xmlDocGetRootElement)    \
  X (xmlFreeDoc)              \
  X (xmlFreeParserCtxt)       \
  X (xmlGetLineNo)            \
  X (xmlGetNoNsProp)          \
  X (xmlGetNsProp)            \
  X (xmlInitParser)           \
  X (xmlNewParserCtxt)        \
  X (xmlNodeGetContent)       \
  X (xmlNodeGetLang)          \
  X (xmlSearchNs)             \
  X (xmlStopParser)

CRADLE_LIBXML_SYMBOLS (CRADLE_DLOPEN_DECLARE)

/* xmlFree is a variable that holds the function. */
extern xmlFreeFunc *sym_xmlFree;

static inline void
cradle_xml_free (void *data)
{
  (*sym_xmlFree) (data);
}

/* Opens libxml2 and initialises its parser, once per process. */
gboolean cradle_libxml_load (GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
