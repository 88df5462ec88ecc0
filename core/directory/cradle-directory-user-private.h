/* cradle-directory-user-private.h: building a user from its LDAP entry */
#pragma once

#include <cradle/cradle.h>

#include "directory/cradle-ldap-entry-private.h"

G_BEGIN_DECLS

CradleDirectoryUser *cradle_directory_user_new_from_entry (const CradleLdapEntry  *entry,
                                                           GError                **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
