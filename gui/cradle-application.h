/* cradle-application.h: the app, its command line and its domain settings */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define CRADLE_TYPE_APPLICATION (cradle_application_get_type ())
G_DECLARE_FINAL_TYPE (CradleApplication, cradle_application, CRADLE, APPLICATION, AdwApplication)

CradleApplication *cradle_application_new         (void);
/* Notes when the process started, for --bench; call first thing in main(). */
void               cradle_application_mark_start  (void);
gint64             cradle_application_get_start_time (void);

/* The domain settings from the command line or the environment (nullable). */
const char        *cradle_application_get_domain  (CradleApplication *self);
const char        *cradle_application_get_dc_uri  (CradleApplication *self);
const char        *cradle_application_get_user    (CradleApplication *self);
const char        *cradle_application_get_ccache  (CradleApplication *self);
/* --bench: print the time of the first frame and the resident size. */
gboolean           cradle_application_get_bench   (CradleApplication *self);

G_END_DECLS
