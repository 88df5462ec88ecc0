/* cradle-libxml.c: libxml2, opened when the first document is parsed */
#include "config.h"

#include "ca/wstep/cradle-libxml-private.h"

CRADLE_LIBXML_SYMBOLS (CRADLE_DLOPEN_DEFINE)
xmlFreeFunc *sym_xmlFree;

static const CradleDlopenSymbol libxml_symbols[] = {
  CRADLE_LIBXML_SYMBOLS (CRADLE_DLOPEN_ENTRY)
  { "xmlFree", (gpointer *) &sym_xmlFree },
  { NULL, NULL }
};

static CradleDlopenLibrary libxml_library = { "libxml2.so.2", "libxml2", libxml_symbols, 0, NULL };

gboolean
cradle_libxml_load (GError **error)
{
  static gsize initialised = 0;

  if (!cradle_dlopen_library (&libxml_library, error))
    return FALSE;
  if (g_once_init_enter (&initialised))
    {
      sym_xmlInitParser ();
      g_once_init_leave (&initialised, 1);
    }
  return TRUE;
}
