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

/* What may be shown of a ticket: times and encryption types, never the
 * ticket or its key.  Times in Unix seconds, 0 when the ticket has none. */
typedef struct {
  gint64  authtime;
  gint64  starttime;
  gint64  endtime;
  gint64  renew_till;
  gint32  session_enctype;   /* the session key's */
  gint32  ticket_enctype;    /* the ticket's own: the service's key */
  gboolean from_kdc;         /* asked of the KDC now, not found in the cache */
} CradleKrb5TicketInfo;

gboolean  cradle_krb5_inspect_ccache      (const char            *ccache_name,
                                           char                 **principal_out,
                                           char                 **ccache_out,
                                           CradleKrb5TicketInfo  *tgt_out,
                                           GError               **error) G_GNUC_WARN_UNUSED_RESULT;

gboolean  cradle_krb5_peek_service_ticket (const char            *ccache_name,
                                           const char            *service,
                                           const char            *host,
                                           guint                  timeout_seconds,
                                           CradleKrb5TicketInfo  *info_out,
                                           GError               **error) G_GNUC_WARN_UNUSED_RESULT;

gboolean  cradle_krb5_read_kdc_time       (const char            *ccache_name,
                                           gboolean               use_ccache,
                                           const char            *realm,
                                           guint                  timeout_seconds,
                                           gint64                *skew_us_out,
                                           char                 **realm_out,
                                           GError               **error) G_GNUC_WARN_UNUSED_RESULT;

/* "aes256-cts-hmac-sha1-96", or "enctype 23" for one libkrb5 does not name. */
char     *cradle_krb5_dup_enctype_name    (gint32                 enctype);
/* DES and RC4: broken or deprecated. */
gboolean  cradle_krb5_enctype_is_weak     (gint32                 enctype);

G_END_DECLS
