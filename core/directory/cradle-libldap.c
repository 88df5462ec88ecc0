/* cradle-libldap.c: libldap, liblber and libsasl2, opened when the first
 * connection to a domain controller is made */
#include "config.h"

#include "directory/cradle-libldap-private.h"

CRADLE_LDAP_SYMBOLS (CRADLE_DLOPEN_DEFINE)
CRADLE_LBER_SYMBOLS (CRADLE_DLOPEN_DEFINE)
CRADLE_SASL_SYMBOLS (CRADLE_DLOPEN_DEFINE)

static const CradleDlopenSymbol ldap_symbols[] = {
  CRADLE_LDAP_SYMBOLS (CRADLE_DLOPEN_ENTRY)
  { NULL, NULL }
};
static const CradleDlopenSymbol lber_symbols[] = {
  CRADLE_LBER_SYMBOLS (CRADLE_DLOPEN_ENTRY)
  { NULL, NULL }
};
static const CradleDlopenSymbol sasl_symbols[] = {
  CRADLE_SASL_SYMBOLS (CRADLE_DLOPEN_ENTRY)
  { NULL, NULL }
};

static CradleDlopenLibrary libraries[] = {
  { "libldap-2.5.so.0", "libldap-2.5-0", ldap_symbols, 0, NULL },
  { "liblber-2.5.so.0", "libldap-2.5-0", lber_symbols, 0, NULL },
  { "libsasl2.so.2", "libsasl2-2", sasl_symbols, 0, NULL },
};

/* Cyrus SASL loads every plugin it finds at its first use (ten on Debian,
 * one pulling in Berkeley DB); the directory signs in with GSSAPI alone.
 * Initialised here first, with a filter on the plugin files, it loads
 * that one: about 2 ms less per sign-in and less foreign code in the
 * process.  libldap's own sym_sasl_client_init() then finds it initialised. */
static int
only_gssapi_plugin (void               *context,
                    const char         *file,
                    sasl_verify_type_t  type)
{
  g_autofree char *name = NULL;

  if (type != SASL_VRFY_PLUGIN)
    return SASL_OK;
  name = g_path_get_basename (file);
  return g_str_has_prefix (name, "libgssapiv2.") ? SASL_OK : SASL_CONTINUE;
}

/* SASL, then libldap's own start (which hands SASL its mutex functions),
 * once, before any connection.  Done lazily by whichever thread connects
 * first, they race: a diagnosis reads the DC's RootDSE anonymously on one
 * thread while the directory signs in on another, and a SASL mutex made
 * with SASL's default functions (a dummy, 0x1) was later locked with
 * libldap's, crashing the process when the directory was freed (3 runs in
 * 25 of `cradlectl diagnose`). */
static void
init_once (void)
{
  static gsize done = 0;
  static const sasl_callback_t callbacks[] = {
    { SASL_CB_VERIFYFILE, (int (*) (void)) (void (*) (void)) only_gssapi_plugin, NULL },
    { SASL_CB_LIST_END, NULL, NULL },
  };

  if (g_once_init_enter (&done))
    {
      char **mechanisms = NULL;
      int rc = sym_sasl_client_init (callbacks);

      if (rc != SASL_OK)
        g_debug ("SASL did not start (%s); libldap will try again", sym_sasl_errstring (rc, NULL, NULL));
      /* Starts libldap and its SASL layer; the list is SASL's own. */
      if (sym_ldap_get_option (NULL, LDAP_OPT_X_SASL_MECHLIST, &mechanisms) != LDAP_OPT_SUCCESS)
        g_debug ("libldap's SASL layer did not start; it will try again");
      g_once_init_leave (&done, 1);
    }
}

gboolean
cradle_libldap_load (GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (libraries); i++)
    if (!cradle_dlopen_library (&libraries[i], error))
      return FALSE;
  init_once ();
  return TRUE;
}
