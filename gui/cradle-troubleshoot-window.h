/* cradle-troubleshoot-window.h: every hop of an enrollment checked, and a report for support */
#pragma once

#include <adwaita.h>

#include "cradle-session.h"

G_BEGIN_DECLS

#define CRADLE_TYPE_TROUBLESHOOT_WINDOW (cradle_troubleshoot_window_get_type ())
G_DECLARE_FINAL_TYPE (CradleTroubleshootWindow, cradle_troubleshoot_window, CRADLE, TROUBLESHOOT_WINDOW, AdwWindow)

/* Starts checking at once.  @type_name and @device_id (nullable) are what
 * to check, as cradle_diagnosis_set_type_name() and _set_device_id() take
 * them (a failed run's); @device (nullable) is the app's open session with
 * that device, lent to the diagnosis (cradle_diagnosis_set_device()), as a
 * device serves one session at a time; @run_id (0 for none) is the run a
 * saved report is about. */
CradleTroubleshootWindow *cradle_troubleshoot_window_new (GtkWindow     *parent,
                                                          CradleSession *session,
                                                          const char    *type_name,
                                                          CradleDevice  *device,
                                                          const char    *device_id,
                                                          gint64         run_id);

G_END_DECLS
