/* cradle-template-private.h: building a template from its LDAP entry */
#pragma once

#include <cradle/cradle.h>

#include "directory/cradle-ldap-entry-private.h"

G_BEGIN_DECLS

/* What to ask the directory for. nTSecurityDescriptor needs the SD_FLAGS
 * control to be readable by a user. */
extern const char *cradle_template_ldap_attributes[];

CradleTemplate *cradle_template_new_from_entry            (const CradleLdapEntry  *entry,
                                                           GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* The DACL-only security descriptor the entry carried, or %NULL. */
GBytes         *cradle_template_get_security_descriptor   (CradleTemplate  *self);

/* A template period (pKIExpirationPeriod, pKIOverlapPeriod): 8 bytes, a
 * little-endian negative count of 100 ns ticks; FALSE when not 8 bytes. */
gboolean        cradle_template_decode_period             (const guint8    *data,
                                                           gsize            size,
                                                           guint64         *seconds);

/* Splits msPKI-RA-Application-Policies' backtick triples
 * (name`type`value`...) and returns the value of @name, or %NULL. */
char           *cradle_template_policy_lookup             (const char      *policies,
                                                           const char      *name);

G_END_DECLS
