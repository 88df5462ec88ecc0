/* cradle-html-private.h: the words of an HTML page a CA answered with */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The text of an HTML page: tags dropped, script bodies skipped, entities
 * decoded, lines kept. */
char *cradle_html_dup_text (const char *html,
                            gsize       length);

G_END_DECLS
