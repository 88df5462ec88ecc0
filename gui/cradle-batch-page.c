/* cradle-batch-page.c: several devices enrolled at once, one row each
 *
 * Each device's run is a row: the device's name, a state (to do, running,
 * waiting for its user, installed or not), the engine's words for the step
 * it is at and, once it ended, how it ended with what to do, and a button
 * that stops that device's run alone.  A device waiting for its user also
 * gets a card above the rows saying "Confirm on <device>" with what the
 * device shows: with several devices on the desk, the user knows which one
 * asks.  One device's end does not touch another's row.  When every run
 * has ended, the page says how many devices got their certificate and
 * offers Done.  Every text from outside (the device's name, the engine's
 * and the device's words) goes into rows and labels with markup off.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cradle-batch-page.h"
#include "cradle-plain-text.h"
#include "cradle-result-page.h"

typedef enum {
  STATE_TO_DO,
  STATE_RUNNING,
  STATE_WAITING,
  STATE_SUCCEEDED,
  STATE_PENDING,
  STATE_FAILED,
} RowState;

typedef struct {
  char                    *id;
  char                    *title;
  AdwActionRow            *row;
  GtkStack                *state;
  GtkSpinner              *spinner;
  GtkWidget               *stop;
  GtkWidget               *card;     /* "Confirm on <device>", while it waits */
  GtkLabel                *prompt;
  gboolean                 ended;
  CradleEnrollmentOutcome  outcome;
} Device;

struct _CradleBatchPage
{
  AdwBin parent_instance;

  /* Owned */
  GPtrArray     *devices;   /* of Device, in the rows' order */
  char          *type_title;

  /* Template widgets */
  AdwStatusPage *status_page;
  GtkWidget     *prompts_box;
  GtkListBox    *devices_list;
  GtkWidget     *cancel_button;
  GtkWidget     *done_button;
};

G_DEFINE_FINAL_TYPE (CradleBatchPage, cradle_batch_page, ADW_TYPE_BIN)

static void
device_free (gpointer data)
{
  Device *device = data;

  g_free (device->id);
  g_free (device->title);
  g_free (device);
}

static Device *
lookup (CradleBatchPage *self,
        const char      *id)
{
  for (guint i = 0; self->devices != NULL && i < self->devices->len; i++)
    {
      Device *device = g_ptr_array_index (self->devices, i);

      if (g_strcmp0 (device->id, id) == 0)
        return device;
    }
  return NULL;
}

/* The row's state, shown and said: its accessible description is the
 * state's word ("running", "waiting", "installed", "declined", …), for
 * screen readers and the GUI tests. */
static void
set_state (Device     *device,
           RowState    state,
           const char *word)
{
  static const char * const names[] = { "to-do", "running", "waiting", "succeeded", "pending", "failed" };

  gtk_stack_set_visible_child_name (device->state, names[state]);
  gtk_spinner_set_spinning (device->spinner, state == STATE_RUNNING);
  gtk_accessible_update_property (GTK_ACCESSIBLE (device->row), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, word, -1);
  if (state == STATE_TO_DO)
    gtk_widget_add_css_class (GTK_WIDGET (device->row), "dim-label");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (device->row), "dim-label");
}

static GtkWidget *
state_icon_new (const char *icon_name,
                const char *label,
                const char *css_class)
{
  GtkWidget *image = gtk_image_new_from_icon_name (icon_name);

  gtk_accessible_update_property (GTK_ACCESSIBLE (image), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  if (css_class != NULL)
    gtk_widget_add_css_class (image, css_class);
  return image;
}

static void
update_prompts (CradleBatchPage *self)
{
  gboolean any = FALSE;

  for (guint i = 0; i < self->devices->len; i++)
    any = any || ((Device *) g_ptr_array_index (self->devices, i))->card != NULL;
  gtk_widget_set_visible (self->prompts_box, any);
}

static void
drop_card (CradleBatchPage *self,
           Device          *device)
{
  if (device->card == NULL)
    return;
  gtk_box_remove (GTK_BOX (self->prompts_box), device->card);
  device->card = NULL;
  device->prompt = NULL;
  update_prompts (self);
}

void
cradle_batch_page_start (CradleBatchPage *self,
                         const char      *type_title)
{
  GtkListBoxRow *row;

  g_return_if_fail (CRADLE_IS_BATCH_PAGE (self));

  for (guint i = 0; i < self->devices->len; i++)
    drop_card (self, g_ptr_array_index (self->devices, i));
  g_ptr_array_set_size (self->devices, 0);
  while ((row = gtk_list_box_get_row_at_index (self->devices_list, 0)) != NULL)
    gtk_list_box_remove (self->devices_list, GTK_WIDGET (row));
  g_free (self->type_title);
  self->type_title = g_strdup (type_title);

  adw_status_page_set_icon_name (self->status_page, "emblem-synchronizing-symbolic");
  adw_status_page_set_title (self->status_page, _("Getting the Certificates"));
  gtk_widget_remove_css_class (GTK_WIDGET (self->status_page), "cradle-success");
  gtk_widget_set_visible (self->cancel_button, TRUE);
  gtk_widget_set_visible (self->done_button, FALSE);
}

static void
update_description (CradleBatchPage *self)
{
  g_autofree char *description = NULL;
  guint n = self->devices->len;

  /* Translators: "Cradle Device (UPN) for 2 devices at once. …" */
  description = g_strdup_printf (ngettext ("%s for %u device. Each device asks its own user; one that fails or "
                                           "waits does not hold up the others.",
                                           "%s for %u devices at once. Each device asks its own user; one that "
                                           "fails or waits does not hold up the others.", n),
                                 self->type_title != NULL ? self->type_title : _("A certificate"), n);
  cradle_status_page_set_plain_description (self->status_page, description);
}

void
cradle_batch_page_add_device (CradleBatchPage *self,
                              const char      *id,
                              const char      *title)
{
  Device *device;
  GtkWidget *row;
  GtkWidget *stop;
  g_autofree char *stop_label = NULL;

  g_return_if_fail (CRADLE_IS_BATCH_PAGE (self));
  g_return_if_fail (id != NULL);

  if (lookup (self, id) != NULL)
    return;
  device = g_new0 (Device, 1);
  device->id = g_strdup (id);
  device->title = g_strdup (title != NULL ? title : id);

  row = adw_action_row_new ();
  /* The device's name and the engine's words: plain text, never markup. */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), device->title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), _("Waiting to start"));
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 5);
  device->row = ADW_ACTION_ROW (row);

  device->state = GTK_STACK (gtk_stack_new ());
  gtk_stack_add_named (device->state, state_icon_new ("content-loading-symbolic", _("To do"), NULL), "to-do");
  device->spinner = GTK_SPINNER (gtk_spinner_new ());
  gtk_stack_add_named (device->state, GTK_WIDGET (device->spinner), "running");
  gtk_stack_add_named (device->state, state_icon_new ("phone-symbolic", _("Waiting for its user"), "accent"),
                       "waiting");
  gtk_stack_add_named (device->state, state_icon_new ("object-select-symbolic", _("Done"), "success"), "succeeded");
  gtk_stack_add_named (device->state, state_icon_new ("document-open-recent-symbolic", _("Waiting for approval"), NULL),
                       "pending");
  gtk_stack_add_named (device->state, state_icon_new ("dialog-error-symbolic", _("Not installed"), "error"),
                       "failed");
  gtk_widget_set_valign (GTK_WIDGET (device->state), GTK_ALIGN_CENTER);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), GTK_WIDGET (device->state));

  /* Stops this device's run alone. */
  stop = gtk_button_new_from_icon_name ("process-stop-symbolic");
  gtk_widget_set_valign (stop, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (stop, "flat");
  /* Translators: a button's tooltip and name, "Stop Test Phone" */
  stop_label = g_strdup_printf (_("Stop %s"), device->title);
  gtk_widget_set_tooltip_text (stop, stop_label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (stop), GTK_ACCESSIBLE_PROPERTY_LABEL, stop_label, -1);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (stop), "win.cancel-device");
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (stop), g_variant_new_string (id));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), stop);
  device->stop = stop;

  set_state (device, STATE_TO_DO, "to-do");
  gtk_list_box_append (self->devices_list, row);
  g_ptr_array_add (self->devices, device);
  update_description (self);
}

void
cradle_batch_page_set_step (CradleBatchPage      *self,
                            const char           *id,
                            CradleEnrollmentStep  step,
                            const char           *text)
{
  Device *device;

  g_return_if_fail (CRADLE_IS_BATCH_PAGE (self));

  device = lookup (self, id);
  if (device == NULL || device->ended || step == CRADLE_ENROLLMENT_STEP_FINISHED)
    return;
  if (text != NULL && *text != '\0')
    adw_action_row_set_subtitle (device->row, text);
  if (device->card == NULL)
    set_state (device, STATE_RUNNING, "running");
}

void
cradle_batch_page_set_waiting (CradleBatchPage *self,
                               const char      *id,
                               gboolean         waiting,
                               const char      *prompt)
{
  Device *device;
  const char *shown;

  g_return_if_fail (CRADLE_IS_BATCH_PAGE (self));

  device = lookup (self, id);
  if (device == NULL || device->ended)
    return;
  if (!waiting)
    {
      drop_card (self, device);
      set_state (device, STATE_RUNNING, "running");
      return;
    }

  shown = prompt != NULL && *prompt != '\0' ? prompt
                                            : _("The device asks its user to allow this. Unlock it and confirm.");
  if (device->card == NULL)
    {
      GtkWidget *card = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
      GtkWidget *icon = gtk_image_new_from_icon_name ("phone-symbolic");
      GtkWidget *texts = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
      GtkWidget *heading;
      g_autofree char *title = NULL;

      /* Translators: "Confirm on Test Phone": which device asks its user */
      title = g_strdup_printf (_("Confirm on %s"), device->title);
      gtk_widget_add_css_class (card, "card");
      gtk_widget_add_css_class (card, "cradle-prompt");
      gtk_accessible_update_property (GTK_ACCESSIBLE (card), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
      gtk_image_set_pixel_size (GTK_IMAGE (icon), 48);
      gtk_widget_set_margin_start (icon, 12);
      gtk_widget_set_margin_top (icon, 12);
      gtk_widget_set_margin_bottom (icon, 12);
      gtk_widget_add_css_class (icon, "accent");
      gtk_widget_set_valign (texts, GTK_ALIGN_CENTER);
      gtk_widget_set_margin_end (texts, 12);
      /* GtkLabel reads no markup unless told to: the device's name as written. */
      heading = gtk_label_new (title);
      gtk_label_set_xalign (GTK_LABEL (heading), 0);
      gtk_label_set_wrap (GTK_LABEL (heading), TRUE);
      gtk_widget_add_css_class (heading, "title-3");
      device->prompt = GTK_LABEL (gtk_label_new (NULL));
      gtk_label_set_xalign (device->prompt, 0);
      gtk_label_set_wrap (device->prompt, TRUE);
      gtk_box_append (GTK_BOX (texts), heading);
      gtk_box_append (GTK_BOX (texts), GTK_WIDGET (device->prompt));
      gtk_box_append (GTK_BOX (card), icon);
      gtk_box_append (GTK_BOX (card), texts);
      gtk_box_append (GTK_BOX (self->prompts_box), card);
      device->card = card;
      update_prompts (self);
    }
  gtk_label_set_label (device->prompt, shown);
  adw_action_row_set_subtitle (device->row, _("Waiting for its user to confirm on the device"));
  set_state (device, STATE_WAITING, "waiting");
}

static void
finish (CradleBatchPage *self)
{
  guint succeeded = 0, pending = 0, n = self->devices->len;
  g_autoptr(GString) description = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    {
      Device *device = g_ptr_array_index (self->devices, i);

      succeeded += device->outcome == CRADLE_ENROLLMENT_OUTCOME_INSTALLED;
      pending += device->outcome == CRADLE_ENROLLMENT_OUTCOME_PENDING;
    }
  if (succeeded == n)
    {
      adw_status_page_set_icon_name (self->status_page, "emblem-ok-symbolic");
      adw_status_page_set_title (self->status_page, _("Certificates Installed"));
      gtk_widget_add_css_class (GTK_WIDGET (self->status_page), "cradle-success");
    }
  else if (succeeded == 0 && pending == n)
    {
      adw_status_page_set_icon_name (self->status_page, "document-open-recent-symbolic");
      adw_status_page_set_title (self->status_page, _("Waiting for Approval"));
    }
  else if (succeeded + pending == 0)
    {
      adw_status_page_set_icon_name (self->status_page, "dialog-error-symbolic");
      adw_status_page_set_title (self->status_page, _("No Certificate Installed"));
    }
  else
    {
      adw_status_page_set_icon_name (self->status_page, "dialog-warning-symbolic");
      adw_status_page_set_title (self->status_page, _("Some Certificates Installed"));
    }
  /* Translators: "1 of 2 devices got the Cradle Device (UPN) certificate." */
  g_string_append_printf (description, ngettext ("%u of %u device got the %s certificate.",
                                                 "%u of %u devices got the %s certificate.", n),
                          succeeded, n, self->type_title != NULL ? self->type_title : _("chosen"));
  if (pending > 0)
    {
      g_string_append_c (description, ' ');
      g_string_append_printf (description,
                              ngettext ("The request of %u device waits for an administrator's approval; "
                                        "Cradle asks again by itself while it is connected.",
                                        "The requests of %u devices wait for an administrator's approval; "
                                        "Cradle asks again by itself while they are connected.", pending),
                              pending);
    }
  g_string_append_c (description, ' ');
  g_string_append (description, _("Each row says how its run ended and what to do."));
  cradle_status_page_set_plain_description (self->status_page, description->str);
  gtk_widget_set_visible (self->cancel_button, FALSE);
  gtk_widget_set_visible (self->done_button, TRUE);
}

void
cradle_batch_page_set_result (CradleBatchPage    *self,
                              const char         *id,
                              const CradleReport *report)
{
  Device *device;
  g_autofree char *summary = NULL;
  g_autofree char *word = NULL;
  RowState state;

  g_return_if_fail (CRADLE_IS_BATCH_PAGE (self));
  g_return_if_fail (report != NULL);

  device = lookup (self, id);
  if (device == NULL || device->ended)
    return;
  device->ended = TRUE;
  device->outcome = report->outcome;
  drop_card (self, device);
  summary = cradle_result_page_dup_summary (report);
  adw_action_row_set_subtitle (device->row, summary);
  if (report->outcome == CRADLE_ENROLLMENT_OUTCOME_INSTALLED)
    state = STATE_SUCCEEDED;
  else if (report->outcome == CRADLE_ENROLLMENT_OUTCOME_PENDING)
    state = STATE_PENDING;
  else
    state = STATE_FAILED;
  word = g_strdup (cradle_enrollment_outcome_to_string (report->outcome));
  set_state (device, state, word);
  gtk_widget_set_visible (device->stop, FALSE);
  if (cradle_batch_page_is_finished (self))
    finish (self);
}

gboolean
cradle_batch_page_is_finished (CradleBatchPage *self)
{
  g_return_val_if_fail (CRADLE_IS_BATCH_PAGE (self), TRUE);

  for (guint i = 0; i < self->devices->len; i++)
    if (!((Device *) g_ptr_array_index (self->devices, i))->ended)
      return FALSE;
  return TRUE;
}

const char *
cradle_batch_page_get_title (CradleBatchPage *self)
{
  return adw_status_page_get_title (self->status_page);
}

static void
cradle_batch_page_dispose (GObject *object)
{
  CradleBatchPage *self = CRADLE_BATCH_PAGE (object);

  g_clear_pointer (&self->devices, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (object), CRADLE_TYPE_BATCH_PAGE);

  G_OBJECT_CLASS (cradle_batch_page_parent_class)->dispose (object);
}

static void
cradle_batch_page_finalize (GObject *object)
{
  CradleBatchPage *self = CRADLE_BATCH_PAGE (object);

  g_clear_pointer (&self->type_title, g_free);

  G_OBJECT_CLASS (cradle_batch_page_parent_class)->finalize (object);
}

static void
cradle_batch_page_class_init (CradleBatchPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cradle_batch_page_dispose;
  object_class->finalize = cradle_batch_page_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/cradle/Cradle/cradle-batch-page.ui");
  gtk_widget_class_bind_template_child (widget_class, CradleBatchPage, status_page);
  gtk_widget_class_bind_template_child (widget_class, CradleBatchPage, prompts_box);
  gtk_widget_class_bind_template_child (widget_class, CradleBatchPage, devices_list);
  gtk_widget_class_bind_template_child (widget_class, CradleBatchPage, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, CradleBatchPage, done_button);
}

static void
cradle_batch_page_init (CradleBatchPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->devices = g_ptr_array_new_with_free_func (device_free);
}
