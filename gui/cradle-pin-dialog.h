/* cradle-pin-dialog.h: asks for a token's PIN, or its officer's secret */
#pragma once

#include <adwaita.h>
#include <cradle/cradle.h>

G_BEGIN_DECLS

/**
 * CradlePinDialogMode:
 * @CRADLE_PIN_DIALOG_PIN: the user's PIN, typed here ("unlock" or "cancel")
 * @CRADLE_PIN_DIALOG_OFFICER: the officer's secret (a YubiKey's PIV
 *   management key), typed here ("continue" or "cancel")
 * @CRADLE_PIN_DIALOG_PINPAD: the PIN is typed on the token's own pad; the
 *   dialog waits ("cancel")
 * @CRADLE_PIN_DIALOG_LOCKED: the PIN is locked: the words, no field ("close")
 */
typedef enum {
  CRADLE_PIN_DIALOG_PIN,
  CRADLE_PIN_DIALOG_OFFICER,
  CRADLE_PIN_DIALOG_PINPAD,
  CRADLE_PIN_DIALOG_LOCKED,
} CradlePinDialogMode;

#define CRADLE_TYPE_PIN_DIALOG (cradle_pin_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CradlePinDialog, cradle_pin_dialog, CRADLE, PIN_DIALOG, AdwMessageDialog)

/* @token: what the token is called, escaped (cradle_pin_dialog_dup_token_name());
 * @why: (nullable): what went wrong the last time (a wrong PIN and the
 * tries left, the locked PIN's words), from cradle_pin_dialog_dup_why(). */
CradlePinDialog *cradle_pin_dialog_new          (GtkWindow          *parent,
                                                 CradlePinDialogMode mode,
                                                 const char         *token,
                                                 const char         *why);
CradlePinDialogMode cradle_pin_dialog_get_mode  (CradlePinDialog    *self);
/* The secret typed, copied (free it with cradle_pin_free()); the field is
 * emptied at once (GTK's password buffer wipes what it held). */
char            *cradle_pin_dialog_take_secret  (CradlePinDialog    *self);

/* Wipes, then frees, a copy of a PIN or an officer's secret; %NULL is fine. */
void             cradle_pin_free                (char               *secret);

/* The token's name for people: its label, else its model, escaped
 * (cradle_text_escape()). */
char            *cradle_pin_dialog_dup_token_name (CradleDevice      *device);
/* What to tell the user before asking (again): @error's words from the
 * error table (what happened, what to do) when it has a token detail, else
 * its message; then what @state says of the tries left.  %NULL when
 * there is nothing to say (no error, a PIN simply needed). */
char            *cradle_pin_dialog_dup_why      (const GError        *error,
                                                 CradleDevicePinState state);

G_END_DECLS
