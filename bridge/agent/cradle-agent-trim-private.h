/* cradle-agent-trim-private.h: an idle agent gives back what it does not use */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* How long a session is quiet before the agent trims (milliseconds). */
#define CRADLE_AGENT_TRIM_AFTER_MS 200

/* Drops the agent's hold on the pages of its programs' code and
 * constants (they stay in the page cache and come back on the next
 * touch), and returns freed heap to the system.  Returns how many
 * read-only segments it released. */
guint cradle_agent_trim_working_set (void);

G_END_DECLS
