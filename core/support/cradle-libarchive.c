/* cradle-libarchive.c: libarchive, opened when a report is written */
#include "config.h"

#include "support/cradle-libarchive-private.h"

CRADLE_LIBARCHIVE_SYMBOLS (CRADLE_DLOPEN_DEFINE)

static const CradleDlopenSymbol libarchive_symbols[] = {
  CRADLE_LIBARCHIVE_SYMBOLS (CRADLE_DLOPEN_ENTRY)
  { NULL, NULL }
};

static CradleDlopenLibrary libarchive_library = {
  "libarchive.so.13", "libarchive13", libarchive_symbols, 0, NULL
};

gboolean
cradle_libarchive_load (GError **error)
{
  return cradle_dlopen_library (&libarchive_library, error);
}
