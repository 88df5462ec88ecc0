/* cradle-dlopen.c: libraries bound when a stage first needs them */
#include "config.h"

#include "base/cradle-dlopen-private.h"

#include <dlfcn.h>

#include <cradle/cradle-error.h>

static char *
open_all (const CradleDlopenLibrary *library)
{
  void *handle;

  /* The handle is never closed: the library stays for the life of the
   * process, as a linked one would. */
  handle = dlopen (library->soname, RTLD_NOW | RTLD_LOCAL);
  if (handle == NULL)
    {
      const char *reason = dlerror ();

      return g_strdup_printf ("%s could not be loaded (%s). Install the %s package.", library->soname,
                              reason != NULL ? reason : "no reason given", library->package);
    }
  for (const CradleDlopenSymbol *symbol = library->symbols; symbol->name != NULL; symbol++)
    {
      gpointer address;

      dlerror ();
      address = dlsym (handle, symbol->name);
      if (address == NULL)
        return g_strdup_printf ("%s has no %s: it is older than Cradle was built for. "
                                "Update the %s package.", library->soname, symbol->name, library->package);
      *symbol->address = address;
    }
  return NULL;
}

gboolean
cradle_dlopen_library (CradleDlopenLibrary *library,
                       GError             **error)
{
  if (g_once_init_enter (&library->once))
    {
      library->failure = open_all (library);
      g_once_init_leave (&library->once, 1);
    }
  if (library->failure != NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED, library->failure);
      return FALSE;
    }
  return TRUE;
}
