/* cradle-plain-text.h: text from a device, a CA or the directory into
 * widgets that would read it as Pango markup */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* libadwaita 1.2 reads an AdwStatusPage's description and an AdwToast's
 * title as Pango markup, with no switch to turn that off: these escape
 * @text first, so "AT&T" shows as written and a tag is text, not a link.
 * Rows turn markup off instead (adw_preferences_row_set_use_markup()). */
void      cradle_status_page_set_plain_description (AdwStatusPage *page,
                                                    const char    *text);
AdwToast *cradle_toast_new_plain                   (const char    *text);

G_END_DECLS
