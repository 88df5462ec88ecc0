/* cradle-type-row.h: one certificate type, to choose, or why it cannot be */
#pragma once

#include <adwaita.h>
#include <cradle/cradle.h>

G_BEGIN_DECLS

#define CRADLE_TYPE_TYPE_ROW (cradle_type_row_get_type ())
G_DECLARE_FINAL_TYPE (CradleTypeRow, cradle_type_row, CRADLE, TYPE_ROW, AdwActionRow)

GtkWidget      *cradle_type_row_new         (CradleCertType *type);
CradleCertType *cradle_type_row_get_cert_type (CradleTypeRow *self);
/* Rows of enrollable types are radio buttons of one group. */
void            cradle_type_row_set_group   (CradleTypeRow  *self,
                                             CradleTypeRow  *group);
gboolean        cradle_type_row_get_active  (CradleTypeRow  *self);
void            cradle_type_row_set_active  (CradleTypeRow  *self,
                                             gboolean        active);

G_END_DECLS
