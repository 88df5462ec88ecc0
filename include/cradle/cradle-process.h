/* cradle-process.h: how a Cradle program ends */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <glib.h>
#include <cradle/cradle-macros.h>

G_BEGIN_DECLS

/*
 * Ends a program whose work is done and whose objects are released:
 * flushes standard output and error, then leaves without running the
 * libraries' destructors (see cradle-process.c for why).  When standard
 * output cannot be written, says so and ends with @failure_status
 * instead of @status, so a script never takes a cut-short answer for a
 * whole one.
 */
CRADLE_PUBLIC G_GNUC_NORETURN
void cradle_process_exit (int status,
                          int failure_status);

G_END_DECLS
