/* cradle-ldap-entry-private.h: a directory object as read, apart from its connection
 *
 * The parsers of templates, enrollment services and accounts read these, so
 * an entry read now and one kept in a catalog snapshot are read alike.
 */
#pragma once

#include "directory/cradle-ldap-private.h"

G_BEGIN_DECLS

typedef struct _CradleLdapEntry CradleLdapEntry;

/* A serialised entry: its DN and every attribute's values. */
#define CRADLE_LDAP_ENTRY_VARIANT_TYPE "(sa{saay})"

/* Copies @message's DN and attributes (bounded by CRADLE_LDAP_MAX_*). */
CradleLdapEntry *cradle_ldap_entry_new_from_message (LDAP         *ld,
                                                     LDAPMessage  *message,
                                                     GError      **error) G_GNUC_WARN_UNUSED_RESULT;
/* Reads back cradle_ldap_entry_to_variant(); the same bounds apply. */
CradleLdapEntry *cradle_ldap_entry_new_from_variant (GVariant     *variant,
                                                     GError      **error) G_GNUC_WARN_UNUSED_RESULT;
GVariant        *cradle_ldap_entry_to_variant       (const CradleLdapEntry *self);
CradleLdapEntry *cradle_ldap_entry_ref              (CradleLdapEntry *self);
void             cradle_ldap_entry_unref            (CradleLdapEntry *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleLdapEntry, cradle_ldap_entry_unref)

const char      *cradle_ldap_entry_get_dn           (const CradleLdapEntry *self);

/**
 * cradle_ldap_entry_dup_string:
 * @out: (out): the first value, or %NULL when the entry lacks @attribute
 *
 * Returns: %FALSE only if the value is malformed
 */
gboolean  cradle_ldap_entry_dup_string   (const CradleLdapEntry  *self,
                                          const char             *attribute,
                                          char                  **out,
                                          GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* @out: every value, an empty vector when the entry lacks @attribute. */
gboolean  cradle_ldap_entry_dup_strings  (const CradleLdapEntry  *self,
                                          const char             *attribute,
                                          char                 ***out,
                                          GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* @out: (nullable): the first value, %NULL when the entry lacks @attribute. */
gboolean  cradle_ldap_entry_dup_binary   (const CradleLdapEntry  *self,
                                          const char             *attribute,
                                          gsize                   max_size,
                                          GBytes                **out,
                                          GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* @out: (element-type GBytes): every value, empty when the entry lacks it. */
gboolean  cradle_ldap_entry_dup_binaries (const CradleLdapEntry  *self,
                                          const char             *attribute,
                                          gsize                   max_size,
                                          GPtrArray             **out,
                                          GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* AD's Integer syntax: a signed 32-bit decimal; @fallback when absent. */
gboolean  cradle_ldap_entry_get_int32    (const CradleLdapEntry  *self,
                                          const char             *attribute,
                                          guint32                 fallback,
                                          guint32                *out,
                                          GError                **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
