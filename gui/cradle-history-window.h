/* cradle-history-window.h: the journal's runs, newest first, each with its steps */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define CRADLE_TYPE_HISTORY_WINDOW (cradle_history_window_get_type ())
G_DECLARE_FINAL_TYPE (CradleHistoryWindow, cradle_history_window, CRADLE, HISTORY_WINDOW, AdwWindow)

/* Reads the journal (of cradle_paths_dup_state_dir()) off the main thread. */
CradleHistoryWindow *cradle_history_window_new (GtkWindow *parent);

G_END_DECLS
