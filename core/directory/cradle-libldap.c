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

gboolean
cradle_libldap_load (GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (libraries); i++)
    if (!cradle_dlopen_library (&libraries[i], error))
      return FALSE;
  return TRUE;
}
