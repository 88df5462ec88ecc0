/* cradle-window.h: the main window */
#pragma once

#include <adwaita.h>

#include "cradle-care.h"

G_BEGIN_DECLS

#define CRADLE_TYPE_WINDOW (cradle_window_get_type ())
G_DECLARE_FINAL_TYPE (CradleWindow, cradle_window, CRADLE, WINDOW, AdwApplicationWindow)

/* A window of @application showing @care, the application's (its session
 * made from the application's options).  @bench_start_time: when main() started, to print when the
 * first frame was drawn (--bench); 0 otherwise. */
CradleWindow *cradle_window_new (GtkApplication *application,
                                 CradleCare     *care,
                                 gint64          bench_start_time);

G_END_DECLS
