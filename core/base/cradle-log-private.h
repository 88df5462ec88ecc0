/* cradle-log-private.h: the run a thread works on, for its log lines */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* From now on, each line this thread logs carries CRADLE_RUN=@run_id,
 * CRADLE_STEP=@step (nullable) and CRADLE_DEVICE=@device (nullable);
 * @run_id 0 ends it. */
void cradle_log_set_context (gint64      run_id,
                             const char *step,
                             const char *device);

G_END_DECLS
