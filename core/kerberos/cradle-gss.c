/* cradle-gss.c: point this thread's GSSAPI at one credential cache
 *
 * SASL's GSSAPI mechanism uses the default credentials of the calling
 * thread. MIT Kerberos keeps the ccache name chosen by gss_krb5_ccache_name()
 * per thread, so a bind can use alice's cache while another thread uses
 * bob's, without touching the process environment.
 */
#include "config.h"

#include <gssapi/gssapi_krb5.h>
#include <cradle/cradle.h>

#include "kerberos/cradle-gss-private.h"

struct _CradleGssCcacheScope
{
  char *previous;
};

/**
 * cradle_gss_ccache_scope_enter:
 * @ccache_name: (nullable): as KRB5CCNAME would name it; %NULL keeps the default
 *
 * Returns: (transfer full): a scope to leave when the GSSAPI work is done
 */
CradleGssCcacheScope *
cradle_gss_ccache_scope_enter (const char  *ccache_name,
                               GError     **error)
{
  CradleGssCcacheScope *scope = g_new0 (CradleGssCcacheScope, 1);
  const char *previous = NULL;
  OM_uint32 major;
  OM_uint32 minor = 0;

  if (ccache_name == NULL)
    return scope;

  major = gss_krb5_ccache_name (&minor, ccache_name, &previous);
  if (GSS_ERROR (major))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED,
                   "Could not use the Kerberos credential cache %s (GSSAPI minor code %u). "
                   "Sign in to the domain again and retry.",
                   ccache_name, minor);
      g_free (scope);
      return NULL;
    }
  /* Only valid until the next call: keep a copy to restore. */
  scope->previous = g_strdup (previous != NULL ? previous : "");
  return scope;
}

void
cradle_gss_ccache_scope_leave (CradleGssCcacheScope *scope)
{
  OM_uint32 minor = 0;

  if (scope == NULL)
    return;
  if (scope->previous != NULL)
    gss_krb5_ccache_name (&minor, scope->previous[0] != '\0' ? scope->previous : NULL, NULL);
  g_free (scope->previous);
  g_free (scope);
}
