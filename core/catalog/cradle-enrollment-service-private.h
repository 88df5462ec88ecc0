/* cradle-enrollment-service-private.h: building a CA from its LDAP entry */
#pragma once

#include <cradle/cradle.h>

#include "directory/cradle-ldap-entry-private.h"

G_BEGIN_DECLS

extern const char *cradle_enrollment_service_ldap_attributes[];

CradleEnrollmentService *cradle_enrollment_service_new_from_entry (const CradleLdapEntry  *entry,
                                                                   GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* The DACL-only security descriptor, or %NULL. */
GBytes                  *cradle_enrollment_service_get_security_descriptor (CradleEnrollmentService *self);

G_END_DECLS
