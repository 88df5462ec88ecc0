/* cradle-pending-row.h: a request the CA has not finished, with "Check Now" */
#pragma once

#include <adwaita.h>
#include <cradle/cradle.h>

G_BEGIN_DECLS

#define CRADLE_TYPE_PENDING_ROW (cradle_pending_row_get_type ())
G_DECLARE_FINAL_TYPE (CradlePendingRow, cradle_pending_row, CRADLE, PENDING_ROW, AdwActionRow)

/* @display_name: (nullable): the type's name for people */
GtkWidget *cradle_pending_row_new         (CradlePendingRequest *request,
                                           const char           *display_name);
gint64     cradle_pending_row_get_id      (CradlePendingRow     *self);
/* A resume of this request runs: a spinner instead of the button. */
void       cradle_pending_row_set_busy    (CradlePendingRow     *self,
                                           gboolean              busy);
/* "Request 12 at the CA · sent 21 November, 14:02 · next check at 14:32" */
char      *cradle_pending_row_describe    (CradlePendingRequest *request,
                                           GDateTime            *now);

G_END_DECLS
