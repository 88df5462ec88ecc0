/* cradle-window.h: the main window */
#pragma once

#include <adwaita.h>

#include "cradle-application.h"

G_BEGIN_DECLS

#define CRADLE_TYPE_WINDOW (cradle_window_get_type ())
G_DECLARE_FINAL_TYPE (CradleWindow, cradle_window, CRADLE, WINDOW, AdwApplicationWindow)

CradleWindow *cradle_window_new (CradleApplication *application);

G_END_DECLS
