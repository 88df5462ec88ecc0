/* cradle-krb5-private.h: Kerberos credentials, checked before a bind, with precise errors */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What cradle_krb5_password_login() names its credential caches. */
#define CRADLE_KRB5_MEMORY_CCACHE_PREFIX "MEMORY:cradle-"

char     *cradle_krb5_dup_default_realm   (GError     **error) G_GNUC_WARN_UNUSED_RESULT;

gboolean  cradle_krb5_check_ccache        (const char  *ccache_name,
                                           char       **principal_out,
                                           char       **realm_out,
                                           GError     **error) G_GNUC_WARN_UNUSED_RESULT;

gboolean  cradle_krb5_get_service_ticket  (const char  *ccache_name,
                                           const char  *service,
                                           const char  *host,
                                           guint        timeout_seconds,
                                           GError     **error) G_GNUC_WARN_UNUSED_RESULT;

char     *cradle_krb5_password_login      (const char  *user,
                                           const char  *realm,
                                           const char  *password,
                                           guint        timeout_seconds,
                                           GError     **error) G_GNUC_WARN_UNUSED_RESULT;

void      cradle_krb5_ccache_destroy      (const char  *ccache_name);

G_END_DECLS
