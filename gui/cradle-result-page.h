/* cradle-result-page.h: how an enrollment ended: installed, pending, or why it failed */
#pragma once

#include <adwaita.h>

#include "cradle-report.h"

G_BEGIN_DECLS

#define CRADLE_TYPE_RESULT_PAGE (cradle_result_page_get_type ())
G_DECLARE_FINAL_TYPE (CradleResultPage, cradle_result_page, CRADLE, RESULT_PAGE, AdwBin)

/* Takes @report. */
void                cradle_result_page_show       (CradleResultPage *self,
                                                   CradleReport     *report);
const char         *cradle_result_page_get_title  (CradleResultPage *self);
/* (nullable) */
const CradleReport *cradle_result_page_get_report (CradleResultPage *self);

/* A run's outcome in the words of the page's title ("Declined on the
 * Device"), and on one line with what to do (a row of the batch page):
 * plain text, for labels and rows with markup off. */
const char         *cradle_result_page_describe_outcome (const CradleReport *report);
char               *cradle_result_page_dup_summary      (const CradleReport *report);
/* What happened and what to do, for a run that did not install anything. */
char               *cradle_result_page_dup_failure      (const CradleReport *report);

G_END_DECLS
