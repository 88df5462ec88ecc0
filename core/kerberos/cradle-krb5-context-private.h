/* cradle-krb5-context-private.h: what cradle-krb5.c and cradle-krb5-kdc.c share */
#pragma once

#include <krb5.h>
#include <glib.h>

G_BEGIN_DECLS

/* Active Directory's default "maximum tolerance for computer clock
 * synchronization", and libkrb5's default clockskew. */
#define CLOCK_SKEW_SECONDS 300

static inline void
cradle_krb5_free_context (krb5_context context)
{
  krb5_free_context (context);
}

G_DEFINE_AUTO_CLEANUP_FREE_FUNC (krb5_context, cradle_krb5_free_context, NULL)

char *
cradle_krb5_dup_detail (krb5_context    context,
                        krb5_error_code code);

char *
cradle_krb5_dup_realm_of (krb5_const_principal principal);

char *
cradle_krb5_dup_unparsed (krb5_context         context,
                          krb5_const_principal principal);

gboolean
cradle_krb5_make_context (krb5_context  *context_out,
                          GError       **error) G_GNUC_WARN_UNUSED_RESULT;

char *
cradle_krb5_context_default_realm (krb5_context   context,
                                   GError       **error) G_GNUC_WARN_UNUSED_RESULT;

gboolean
cradle_krb5_set_kdc_error (GError          **error,
                           krb5_context      context,
                           krb5_error_code   code,
                           const char       *realm) G_GNUC_WARN_UNUSED_RESULT;

gboolean
cradle_krb5_resolve_ccache (krb5_context   context,
                            const char    *ccache_name,
                            krb5_ccache   *ccache_out,
                            GError       **error) G_GNUC_WARN_UNUSED_RESULT;

krb5_principal
cradle_krb5_ccache_client (krb5_context   context,
                           krb5_ccache    ccache,
                           GError       **error);

G_END_DECLS
