/* cradle-sign-in-dialog.h: asks for the domain password when there is no Kerberos ticket */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define CRADLE_TYPE_SIGN_IN_DIALOG (cradle_sign_in_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CradleSignInDialog, cradle_sign_in_dialog, CRADLE, SIGN_IN_DIALOG, AdwMessageDialog)

/* @why: (nullable): why a password is needed (no ticket, a wrong password) */
CradleSignInDialog *cradle_sign_in_dialog_new          (GtkWindow          *parent,
                                                        const char         *user,
                                                        const char         *why);
const char         *cradle_sign_in_dialog_get_user     (CradleSignInDialog *self);
const char         *cradle_sign_in_dialog_get_password (CradleSignInDialog *self);
/* Empties the password field once the password was taken. */
void                cradle_sign_in_dialog_clear_password (CradleSignInDialog *self);

G_END_DECLS
