/* cradle-progress-page.h: each step of an enrollment, and when the user must act on the device */
#pragma once

#include <adwaita.h>
#include <cradle/cradle.h>

G_BEGIN_DECLS

#define CRADLE_TYPE_PROGRESS_PAGE (cradle_progress_page_get_type ())
G_DECLARE_FINAL_TYPE (CradleProgressPage, cradle_progress_page, CRADLE, PROGRESS_PAGE, AdwBin)

/* A new run: @title says what is being done; @resume leaves out the steps
 * a resumed request already did (the key and the signature). */
void cradle_progress_page_start       (CradleProgressPage   *self,
                                       const char           *title,
                                       const char           *description,
                                       gboolean              resume);
/* @text: (nullable): the engine's words for what the step does */
void cradle_progress_page_set_step    (CradleProgressPage   *self,
                                       CradleEnrollmentStep  step,
                                       const char           *text);
/* The device waits for its user to confirm (@prompt: what it shows), or no longer. */
const char *cradle_progress_page_get_title (CradleProgressPage *self);
void cradle_progress_page_set_waiting (CradleProgressPage   *self,
                                       gboolean              waiting,
                                       const char           *prompt);

G_END_DECLS
