/* cradle-plain-text.c: plain text into widgets that take Pango markup */
#include "config.h"

#include "cradle-plain-text.h"

void
cradle_status_page_set_plain_description (AdwStatusPage *page,
                                          const char    *text)
{
  g_autofree char *escaped = text != NULL ? g_markup_escape_text (text, -1) : NULL;

  adw_status_page_set_description (page, escaped);
}

AdwToast *
cradle_toast_new_plain (const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text != NULL ? text : "", -1);

  return adw_toast_new (escaped);
}
