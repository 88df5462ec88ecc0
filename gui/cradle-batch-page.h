/* cradle-batch-page.h: several devices enrolled at once, one row each */
#pragma once

#include <adwaita.h>
#include <cradle/cradle.h>

#include "cradle-report.h"

G_BEGIN_DECLS

#define CRADLE_TYPE_BATCH_PAGE (cradle_batch_page_get_type ())
G_DECLARE_FINAL_TYPE (CradleBatchPage, cradle_batch_page, CRADLE, BATCH_PAGE, AdwBin)

/* A new set of runs: @type_title names the certificate (plain text); the
 * rows of the last set go. */
void        cradle_batch_page_start       (CradleBatchPage      *self,
                                           const char           *type_title);
/* A row for the device @id, named by @title (plain text, escaped by the
 * caller: cradle_device_page_dup_device_title()). */
void        cradle_batch_page_add_device  (CradleBatchPage      *self,
                                           const char           *id,
                                           const char           *title);
/* @text: (nullable): the engine's words for what the step does */
void        cradle_batch_page_set_step    (CradleBatchPage      *self,
                                           const char           *id,
                                           CradleEnrollmentStep  step,
                                           const char           *text);
/* The device @id waits for its user (@prompt: what it shows), or no
 * longer: a card "Confirm on <device>" above the rows, and the row says so. */
void        cradle_batch_page_set_waiting (CradleBatchPage      *self,
                                           const char           *id,
                                           gboolean              waiting,
                                           const char           *prompt);
/* How the device @id's run ended; once every row has one, the page says
 * how many got their certificate and offers Done. */
void        cradle_batch_page_set_result  (CradleBatchPage      *self,
                                           const char           *id,
                                           const CradleReport   *report);
gboolean    cradle_batch_page_is_finished (CradleBatchPage      *self);
const char *cradle_batch_page_get_title   (CradleBatchPage      *self);

G_END_DECLS
