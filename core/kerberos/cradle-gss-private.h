/* cradle-gss-private.h: choosing which Kerberos credential cache GSSAPI uses */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CradleGssCcacheScope CradleGssCcacheScope;

CradleGssCcacheScope *cradle_gss_ccache_scope_enter (const char            *ccache_name,
                                                     GError               **error) G_GNUC_WARN_UNUSED_RESULT;
void                  cradle_gss_ccache_scope_leave (CradleGssCcacheScope  *scope);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleGssCcacheScope, cradle_gss_ccache_scope_leave)

G_END_DECLS
