/* cradle-directory-user.h: the signed-in user's entry in the directory */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <glib-object.h>
#include <cradle/cradle-macros.h>

G_BEGIN_DECLS

#define CRADLE_TYPE_DIRECTORY_USER (cradle_directory_user_get_type ())
CRADLE_PUBLIC
G_DECLARE_FINAL_TYPE (CradleDirectoryUser, cradle_directory_user, CRADLE, DIRECTORY_USER, GObject)

CRADLE_PUBLIC
const char         *cradle_directory_user_get_dn                (CradleDirectoryUser *self);
CRADLE_PUBLIC
const char         *cradle_directory_user_get_account_name      (CradleDirectoryUser *self);
CRADLE_PUBLIC
const char         *cradle_directory_user_get_principal_name    (CradleDirectoryUser *self);
CRADLE_PUBLIC
const char         *cradle_directory_user_get_mail              (CradleDirectoryUser *self);
CRADLE_PUBLIC
const char         *cradle_directory_user_get_common_name       (CradleDirectoryUser *self);
CRADLE_PUBLIC
const char         *cradle_directory_user_get_display_name      (CradleDirectoryUser *self);
CRADLE_PUBLIC
const char         *cradle_directory_user_get_sid               (CradleDirectoryUser *self);
CRADLE_PUBLIC
const char * const *cradle_directory_user_get_token_groups      (CradleDirectoryUser *self);
CRADLE_PUBLIC
gboolean            cradle_directory_user_has_sid               (CradleDirectoryUser *self,
                                                                 const char          *sid);

G_END_DECLS
