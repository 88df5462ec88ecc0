/* cradle-types-provision.h: the types window's Import… and Export… */
#pragma once

#include <adwaita.h>
#include <cradle/cradle.h>

G_BEGIN_DECLS

/* What a flow tells its window: @text for a toast (plain text), and
 * @changed when types were saved, so it lists them again. */
typedef void (*CradleTypesProvisionReport) (const char *text,
                                            gboolean    changed,
                                            gpointer    user_data);

/* Import…: a file chooser, the file read and its plan shown on @parent,
 * then saved when the person clicks Import.  @report is not called once
 * @cancellable (the window's, cancelled when it closes) is. */
void cradle_types_provision_import (GtkWindow                 *parent,
                                    GCancellable              *cancellable,
                                    CradleTypesProvisionReport report,
                                    gpointer                   user_data);
/* Export…: @drafts (element-type CradleTypeDraft) to the file and format
 * chosen. */
void cradle_types_provision_export (GtkWindow                 *parent,
                                    GCancellable              *cancellable,
                                    GPtrArray                 *drafts,
                                    CradleTypesProvisionReport report,
                                    gpointer                   user_data);

G_END_DECLS
