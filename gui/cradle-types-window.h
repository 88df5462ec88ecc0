/* cradle-types-window.h: the custom certificate types, to add, edit and remove */
#pragma once

#include <adwaita.h>
#include <cradle/cradle.h>

G_BEGIN_DECLS

#define CRADLE_TYPE_TYPES_WINDOW (cradle_types_window_get_type ())
G_DECLARE_FINAL_TYPE (CradleTypesWindow, cradle_types_window, CRADLE, TYPES_WINDOW, AdwWindow)

/* @credentials: (nullable): the session's sign-in, for Test.  Emits
 * "changed" after a type was saved or removed. */
CradleTypesWindow *cradle_types_window_new (GtkWindow         *parent,
                                            CradleCredentials *credentials);

G_END_DECLS
