/* cradle-pending-row.c: a request the CA has not finished, with "Check Now" */
#include "config.h"

#include <glib/gi18n.h>

#include "cradle-pending-row.h"

struct _CradlePendingRow
{
  AdwActionRow parent_instance;

  gint64      id;

  /* Template widgets */
  GtkStack   *suffix_stack;
  GtkButton  *check_button;
  GtkSpinner *spinner;
};

G_DEFINE_FINAL_TYPE (CradlePendingRow, cradle_pending_row, ADW_TYPE_ACTION_ROW)

static void
cradle_pending_row_class_init (CradlePendingRowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/cradle/Cradle/cradle-pending-row.ui");
  gtk_widget_class_bind_template_child (widget_class, CradlePendingRow, suffix_stack);
  gtk_widget_class_bind_template_child (widget_class, CradlePendingRow, check_button);
  gtk_widget_class_bind_template_child (widget_class, CradlePendingRow, spinner);
}

static void
cradle_pending_row_init (CradlePendingRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* A local time for people: "14:02" today, else "21 November, 14:02". */
static char *
format_time (gint64     seconds,
             GDateTime *now)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (seconds);
  g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;
  g_autoptr(GDateTime) local_now = g_date_time_to_local (now);

  if (local == NULL)
    return g_strdup ("?");
  if (g_date_time_get_year (local) == g_date_time_get_year (local_now) &&
      g_date_time_get_day_of_year (local) == g_date_time_get_day_of_year (local_now))
    /* Translators: a time today, as "14:02" */
    return g_date_time_format (local, _("%H:%M"));
  /* Translators: a time on another day, as "21 November, 14:02" */
  return g_date_time_format (local, _("%-d %B, %H:%M"));
}

char *
cradle_pending_row_describe (CradlePendingRequest *request,
                             GDateTime            *now)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *sent = format_time (cradle_pending_request_get_created (request), now);
  const char *ca_id = cradle_pending_request_get_ca_request_id (request);
  gint64 next = cradle_pending_request_get_next_attempt (request);
  const char *last_error = cradle_pending_request_get_last_error (request);

  switch (cradle_pending_request_get_status (request))
    {
    case CRADLE_PENDING_STATUS_PENDING:
      if (ca_id != NULL)
        g_string_append_printf (text, _("Request %s waits for approval, sent %s."), ca_id, sent);
      else
        g_string_append_printf (text, _("Waits for approval, sent %s."), sent);
      break;

    case CRADLE_PENDING_STATUS_ISSUED:
      g_string_append (text, _("Issued; it is installed when the device is connected."));
      break;

    case CRADLE_PENDING_STATUS_SUBMITTING:
    default:
      g_string_append_printf (text, _("Sent %s; the certification authority has not answered yet."), sent);
      break;
    }
  if (last_error != NULL)
    g_string_append_printf (text, _(" Last try: %s"), last_error);
  if (next > g_date_time_to_unix (now))
    {
      g_autofree char *when = format_time (next, now);

      g_string_append_printf (text, _(" Cradle checks again at %s."), when);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

GtkWidget *
cradle_pending_row_new (CradlePendingRequest *request,
                        const char           *display_name)
{
  CradlePendingRow *self = g_object_new (CRADLE_TYPE_PENDING_ROW, NULL);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *subtitle = cradle_pending_row_describe (request, now);
  const char *title = display_name;

  if (title == NULL)
    title = cradle_pending_request_get_template_name (request);
  if (title == NULL)
    title = _("Certificate request");
  self->id = cradle_pending_request_get_id (request);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (self), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), subtitle);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->check_button), "x", self->id);
  return GTK_WIDGET (self);
}

gint64
cradle_pending_row_get_id (CradlePendingRow *self)
{
  return self->id;
}

void
cradle_pending_row_set_busy (CradlePendingRow *self,
                             gboolean          busy)
{
  gtk_stack_set_visible_child_name (self->suffix_stack, busy ? "busy" : "button");
  gtk_spinner_set_spinning (self->spinner, busy);
}
