/* cradle-token-module.c: which PKCS#11 modules the process loads (see
 * cradle-token-private.h, cradle_token_set_modules()) */
#include "config.h"

#include <signal.h>
#define P11_KIT_FUTURE_UNSTABLE_API
#include <p11-kit/p11-kit.h>
#include <cradle/cradle.h>

#define CRADLE_TOKEN_COMPILATION
#include "pkcs11/cradle-token-private.h"

/* The configuration, and the modules loaded for it (NULL until the first
 * token is asked for after a change). */
static GMutex modules_lock;
static char **wanted_paths;
static gboolean wanted_registered = TRUE;
static CradleTokenModules *loaded;

void
cradle_token_set_modules (const char * const *paths,
                          gboolean            use_registered)
{
  CradleTokenModules *old;

  g_mutex_lock (&modules_lock);
  g_strfreev (wanted_paths);
  wanted_paths = g_strdupv ((char **) paths);
  wanted_registered = use_registered;
  old = g_steal_pointer (&loaded);
  g_mutex_unlock (&modules_lock);

  /* The tokens found in them keep the old modules until they go. */
  g_clear_pointer (&old, _cradle_token_modules_unref);
}

static void
modules_free (CradleTokenModules *modules)
{
  for (guint i = 0; i < modules->n_lists; i++)
    {
      if (modules->own[i])
        {
          p11_kit_module_finalize (modules->lists[i]);
          p11_kit_module_release (modules->lists[i]);
        }
    }
  /* Those from p11-kit's config were loaded together; release them so. */
  if (modules->registered != NULL)
    p11_kit_modules_finalize_and_release (modules->registered);
  g_free (modules->lists);
  g_strfreev (modules->names);
  g_free (modules->own);
}

CradleTokenModules *
_cradle_token_modules_ref (CradleTokenModules *modules)
{
  return g_atomic_rc_box_acquire (modules);
}

void
_cradle_token_modules_unref (CradleTokenModules *modules)
{
  g_atomic_rc_box_release_full (modules, (GDestroyNotify) modules_free);
}

/* A module that reaches its token over a socket (p11-kit's client, a
 * remote token) writes to it: when the other end goes, that write must be
 * an error (the token left), not a SIGPIPE that ends the process. Only a
 * default disposition is changed; a program's own handler stays. */
static void
ignore_sigpipe (void)
{
  struct sigaction current;

  if (sigaction (SIGPIPE, NULL, &current) == 0 && current.sa_handler == SIG_DFL)
    signal (SIGPIPE, SIG_IGN);
}

static CradleTokenModules *
modules_load (const char * const *paths,
              gboolean            use_registered)
{
  CradleTokenModules *modules = g_atomic_rc_box_new0 (CradleTokenModules);
  g_autoptr(GPtrArray) lists = g_ptr_array_new ();
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) own = g_array_new (FALSE, TRUE, sizeof (gboolean));
  gboolean yes = TRUE, no = FALSE;

  ignore_sigpipe ();
  if (use_registered)
    {
      modules->registered = p11_kit_modules_load_and_initialize (0);
      if (modules->registered == NULL)
        g_debug ("p11-kit loaded no configured module (a critical one failed)");
      for (guint i = 0; modules->registered != NULL && modules->registered[i] != NULL; i++)
        {
          g_autofree char *name = p11_kit_module_get_name (modules->registered[i]);

          /* The trust module lists anchors, never keys: leave it out. */
          if (name != NULL && g_str_equal (name, "p11-kit-trust"))
            continue;
          g_ptr_array_add (lists, modules->registered[i]);
          g_ptr_array_add (names, name != NULL ? g_steal_pointer (&name) : g_strdup ("PKCS#11 module"));
          g_array_append_val (own, no);
        }
    }
  for (guint i = 0; paths != NULL && paths[i] != NULL; i++)
    {
      CK_FUNCTION_LIST *module;
      CK_RV rv;

      if (!g_path_is_absolute (paths[i]))
        {
          g_debug ("PKCS#11 module %s skipped: not an absolute path", paths[i]);
          continue;
        }
      module = p11_kit_module_load (paths[i], 0);
      if (module == NULL)
        {
          g_debug ("PKCS#11 module %s skipped: %s", paths[i], p11_kit_message ());
          continue;
        }
      rv = p11_kit_module_initialize (module);
      if (rv != CKR_OK)
        {
          g_debug ("PKCS#11 module %s skipped: C_Initialize gave 0x%08lx", paths[i], (gulong) rv);
          p11_kit_module_release (module);
          continue;
        }
      g_ptr_array_add (lists, module);
      g_ptr_array_add (names, g_path_get_basename (paths[i]));
      g_array_append_val (own, yes);
    }
  modules->n_lists = lists->len;
  g_ptr_array_add (lists, NULL);
  g_ptr_array_add (names, NULL);
  modules->lists = (CK_FUNCTION_LIST **) g_ptr_array_free (g_steal_pointer (&lists), FALSE);
  modules->names = (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
  modules->own = (gboolean *) g_array_free (g_steal_pointer (&own), FALSE);
  return modules;
}

CradleTokenModules *
_cradle_token_modules_get (void)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&modules_lock);

  if (loaded == NULL)
    loaded = modules_load ((const char * const *) wanted_paths, wanted_registered);
  return _cradle_token_modules_ref (loaded);
}
