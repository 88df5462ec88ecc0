/* cradle-log.h: Cradle's log lines, kept where a support report finds them
 *
 * cradle_log_writer() is the GLogWriterFunc the app and cradlectl end
 * their own writers with.  Each line it is given:
 *   - is kept in cradle.log in cradle_paths_dup_state_dir() (0600, at most
 *     256 KiB, then moved to cradle.log.1, so at most 512 KiB in all) when
 *     it is a message, warning or error, or an info line about a run
 *     (one with a CRADLE_RUN field); the message escaped to one line
 *     (cradle_text_escape()), then the fields CRADLE_RUN=, CRADLE_STEP=,
 *     CRADLE_DEVICE= when it has them;
 *   - goes to the systemd journal, fields and all, when journald runs and
 *     it is about a run (`journalctl CRADLE_RUN=12`);
 *   - is then passed to g_log_writer_default().
 * A line logged by the thread working on a run carries that run's
 * fields, whoever logs it.  Secrets never reach a log line.
 */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <glib.h>
#include <cradle/cradle-macros.h>

G_BEGIN_DECLS

CRADLE_PUBLIC
GLogWriterOutput cradle_log_writer        (GLogLevelFlags   log_level,
                                           const GLogField *fields,
                                           gsize            n_fields,
                                           gpointer         user_data);
/* The log file (cradle.log in the state folder); the older lines are in
 * the same path with ".1" added.  (transfer full) */
CRADLE_PUBLIC
char            *cradle_log_dup_path      (void);

G_END_DECLS
