/* cradle-curl.c: libcurl, opened when the first exchange needs it */
#include "config.h"

#include "ca/cradle-curl-private.h"

CRADLE_CURL_SYMBOLS (CRADLE_DLOPEN_DEFINE)

static const CradleDlopenSymbol curl_symbols[] = {
  CRADLE_CURL_SYMBOLS (CRADLE_DLOPEN_ENTRY)
  { NULL, NULL }
};

static CradleDlopenLibrary curl_library = { "libcurl.so.4", "libcurl4", curl_symbols, 0, NULL };

gboolean
cradle_curl_load (GError **error)
{
  static gsize initialised = 0;

  if (!cradle_dlopen_library (&curl_library, error))
    return FALSE;
  if (g_once_init_enter (&initialised))
    {
      sym_curl_global_init (CURL_GLOBAL_DEFAULT);
      g_once_init_leave (&initialised, 1);
    }
  return TRUE;
}
