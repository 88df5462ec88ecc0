/* cradle-type-editor.h: one custom certificate type, its fields, its Test and its Save */
#pragma once

#include <adwaita.h>
#include <cradle/cradle.h>

G_BEGIN_DECLS

#define CRADLE_TYPE_TYPE_EDITOR (cradle_type_editor_get_type ())
G_DECLARE_FINAL_TYPE (CradleTypeEditor, cradle_type_editor, CRADLE, TYPE_EDITOR, AdwWindow)

/* @draft: (nullable): the type to edit (a copy is edited; the name stays),
 * or %NULL for a new one.  @scope: where an edited type is saved.
 * @credentials: (nullable): the session's sign-in, for Test.  Emits
 * "saved" (the type's display name) once the type is saved, then closes. */
CradleTypeEditor *cradle_type_editor_new (GtkWindow         *parent,
                                          CradleTypeDraft   *draft,
                                          CradleTypeScope    scope,
                                          CradleCredentials *credentials);

G_END_DECLS
