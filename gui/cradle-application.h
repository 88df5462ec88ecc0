/* cradle-application.h: the app, its command line and its domain settings */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define CRADLE_TYPE_APPLICATION (cradle_application_get_type ())
G_DECLARE_FINAL_TYPE (CradleApplication, cradle_application, CRADLE, APPLICATION, AdwApplication)

CradleApplication *cradle_application_new         (void);
/* Notes when the process started, for --bench; call first thing in main(). */
void               cradle_application_mark_start  (void);

G_END_DECLS
