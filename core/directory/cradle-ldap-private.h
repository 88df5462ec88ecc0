/* cradle-ldap-private.h: the libldap boundary of libcradle */
#pragma once

#include <ldap.h>
#include <glib.h>

#include "directory/cradle-libldap-private.h"

G_BEGIN_DECLS

/* Hard limits on what a directory may hand us. */
#define CRADLE_LDAP_MAX_STRING_VALUE 4096
#define CRADLE_LDAP_MAX_VALUES 4096
#define CRADLE_LDAP_MAX_ENTRIES 10000
/* One message from the server: larger is refused by liblber before it is
 * allocated (without a limit it allocates what the length says, up to 4 GiB). */
#define CRADLE_LDAP_MAX_MESSAGE (16 * 1024 * 1024)

static inline void
cradle_ldap_unbind (LDAP *ld)
{
  sym_ldap_unbind_ext_s (ld, NULL, NULL);
}

static inline void
cradle_ldap_msgfree (LDAPMessage *msg)
{
  sym_ldap_msgfree (msg);
}

static inline void
cradle_ldap_value_free_len (struct berval **values)
{
  sym_ldap_value_free_len (values);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LDAP, cradle_ldap_unbind)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LDAPMessage, cradle_ldap_msgfree)

typedef struct berval **CradleBervalArray;
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (CradleBervalArray, cradle_ldap_value_free_len, NULL)

/* Sets CRADLE_LDAP_MAX_MESSAGE on @ld's connection; before it connects. */
gboolean  cradle_ldap_limit_incoming    (LDAP          *ld,
                                         GError       **error) G_GNUC_WARN_UNUSED_RESULT;
void      cradle_ldap_set_error         (GError       **error,
                                         LDAP          *ld,
                                         int            rc,
                                         const char    *what);

gboolean  cradle_ldap_search            (LDAP          *ld,
                                         const char    *base,
                                         int            scope,
                                         const char    *filter,
                                         const char   **attributes,
                                         guint          timeout_seconds,
                                         LDAPMessage  **result,
                                         GError       **error) G_GNUC_WARN_UNUSED_RESULT;

gboolean  cradle_ldap_search_with_controls (LDAP          *ld,
                                            const char    *base,
                                            int            scope,
                                            const char    *filter,
                                            const char   **attributes,
                                            LDAPControl  **server_controls,
                                            guint          timeout_seconds,
                                            LDAPMessage  **result,
                                            GError       **error) G_GNUC_WARN_UNUSED_RESULT;

char     *cradle_ldap_escape_filter     (const guint8  *data,
                                         gsize          size);

/* A GeneralizedTime is at most 14 digits, a fraction and a zone. */
#define CRADLE_LDAP_MAX_GENERALIZED_TIME 40

gboolean  cradle_ldap_parse_generalized_time (const char  *text,
                                              gint64      *unix_us_out,
                                              GError     **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
