/* cradle-progress-page.c: each step of an enrollment, and when the user must act on the device
 *
 * The engine's steps, folded into the ones a person follows: preparing,
 * the key and the signature on the device, the CA, checking, installing.
 * The running one spins and carries the engine's words; those done are
 * ticked.  While the device waits for its user a card says so, with what
 * the device shows.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cradle-plain-text.h"
#include "cradle-progress-page.h"

typedef enum {
  ROW_PREPARE,
  ROW_KEY,
  ROW_SIGN,
  ROW_CA,
  ROW_CHAIN,
  ROW_INSTALL,
  N_ROWS
} Row;

static const char * const row_titles[N_ROWS] = {
  N_("Prepare the request"),
  N_("Make a key on the device"),
  N_("Sign the request on the device"),
  N_("Get the certificate from the certification authority"),
  N_("Check the certificate"),
  N_("Install the certificate on the device"),
};

typedef enum {
  STATE_TO_DO,
  STATE_RUNNING,
  STATE_DONE,
} RowState;

struct _CradleProgressPage
{
  AdwBin parent_instance;

  AdwActionRow  *rows[N_ROWS];
  GtkStack      *row_states[N_ROWS];
  GtkSpinner    *row_spinners[N_ROWS];
  int            current;       /* Row, or -1 */

  /* Template widgets */
  AdwStatusPage *status_page;
  GtkWidget     *prompt_box;
  GtkLabel      *prompt_label;
  GtkListBox    *steps_list;
};

G_DEFINE_FINAL_TYPE (CradleProgressPage, cradle_progress_page, ADW_TYPE_BIN)

static int
row_for_step (CradleEnrollmentStep step)
{
  switch (step)
    {
    case CRADLE_ENROLLMENT_STEP_DEVICE:
    case CRADLE_ENROLLMENT_STEP_SESSION:
    case CRADLE_ENROLLMENT_STEP_TYPE:
      return ROW_PREPARE;
    case CRADLE_ENROLLMENT_STEP_GENERATE_KEY:
      return ROW_KEY;
    case CRADLE_ENROLLMENT_STEP_SIGN:
      return ROW_SIGN;
    case CRADLE_ENROLLMENT_STEP_SUBMIT:
    case CRADLE_ENROLLMENT_STEP_RETRIEVE:
      return ROW_CA;
    case CRADLE_ENROLLMENT_STEP_CHAIN:
      return ROW_CHAIN;
    case CRADLE_ENROLLMENT_STEP_INSTALL:
      return ROW_INSTALL;
    case CRADLE_ENROLLMENT_STEP_NONE:
    case CRADLE_ENROLLMENT_STEP_DELETE_KEY:
    case CRADLE_ENROLLMENT_STEP_FINISHED:
    default:
      return -1;
    }
}

static void
set_row_state (CradleProgressPage *self,
               Row                 row,
               RowState            state)
{
  static const char * const names[] = { "to-do", "running", "done" };

  gtk_stack_set_visible_child_name (self->row_states[row], names[state]);
  gtk_spinner_set_spinning (self->row_spinners[row], state == STATE_RUNNING);
  if (state == STATE_TO_DO)
    gtk_widget_add_css_class (GTK_WIDGET (self->rows[row]), "dim-label");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->rows[row]), "dim-label");
}

void
cradle_progress_page_start (CradleProgressPage *self,
                            const char         *title,
                            const char         *description,
                            gboolean            resume)
{
  g_return_if_fail (CRADLE_IS_PROGRESS_PAGE (self));

  adw_status_page_set_title (self->status_page, title);
  cradle_status_page_set_plain_description (self->status_page, description);
  for (guint i = 0; i < N_ROWS; i++)
    {
      set_row_state (self, i, STATE_TO_DO);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (self->rows[i]), "");
      gtk_widget_set_visible (GTK_WIDGET (self->rows[i]), !(resume && (i == ROW_KEY || i == ROW_SIGN)));
    }
  self->current = -1;
  cradle_progress_page_set_waiting (self, FALSE, NULL);
}

void
cradle_progress_page_set_step (CradleProgressPage   *self,
                               CradleEnrollmentStep  step,
                               const char           *text)
{
  int row = row_for_step (step);

  g_return_if_fail (CRADLE_IS_PROGRESS_PAGE (self));

  if (row < 0)
    {
      /* Not a step of its own (deleting a refused request's key): say it
       * on the row that runs. */
      if (self->current >= 0 && text != NULL)
        adw_action_row_set_subtitle (ADW_ACTION_ROW (self->rows[self->current]), text);
      return;
    }
  for (int i = 0; i < row; i++)
    if (gtk_widget_get_visible (GTK_WIDGET (self->rows[i])))
      set_row_state (self, i, STATE_DONE);
  set_row_state (self, row, STATE_RUNNING);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->rows[row]), text != NULL ? text : "");
  self->current = row;
}

const char *
cradle_progress_page_get_title (CradleProgressPage *self)
{
  return adw_status_page_get_title (self->status_page);
}

void
cradle_progress_page_set_waiting (CradleProgressPage *self,
                                  gboolean            waiting,
                                  const char         *prompt)
{
  g_return_if_fail (CRADLE_IS_PROGRESS_PAGE (self));

  if (waiting)
    {
      gtk_label_set_label (self->prompt_label,
                           prompt != NULL && *prompt != '\0'
                             ? prompt
                             : _("The device asks its user to allow this. Unlock it and confirm."));
    }
  gtk_widget_set_visible (self->prompt_box, waiting);
}

static void
cradle_progress_page_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), CRADLE_TYPE_PROGRESS_PAGE);

  G_OBJECT_CLASS (cradle_progress_page_parent_class)->dispose (object);
}

static void
cradle_progress_page_class_init (CradleProgressPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cradle_progress_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/cradle/Cradle/cradle-progress-page.ui");
  gtk_widget_class_bind_template_child (widget_class, CradleProgressPage, status_page);
  gtk_widget_class_bind_template_child (widget_class, CradleProgressPage, prompt_box);
  gtk_widget_class_bind_template_child (widget_class, CradleProgressPage, prompt_label);
  gtk_widget_class_bind_template_child (widget_class, CradleProgressPage, steps_list);
}

static GtkWidget *
state_icon_new (const char *icon_name,
                const char *label)
{
  GtkWidget *image = gtk_image_new_from_icon_name (icon_name);

  gtk_accessible_update_property (GTK_ACCESSIBLE (image), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  return image;
}

static void
cradle_progress_page_init (CradleProgressPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  for (guint i = 0; i < N_ROWS; i++)
    {
      GtkStack *stack = GTK_STACK (gtk_stack_new ());
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *done = state_icon_new ("object-select-symbolic", _("Done"));

      gtk_widget_add_css_class (done, "success");
      gtk_stack_add_named (stack, state_icon_new ("content-loading-symbolic", _("To do")), "to-do");
      self->row_spinners[i] = GTK_SPINNER (gtk_spinner_new ());
      gtk_stack_add_named (stack, GTK_WIDGET (self->row_spinners[i]), "running");
      gtk_stack_add_named (stack, done, "done");
      gtk_widget_set_valign (GTK_WIDGET (stack), GTK_ALIGN_CENTER);

      /* Subtitles carry the engine's steps and the device's prompts. */
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _(row_titles[i]));
      adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 3);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), GTK_WIDGET (stack));
      gtk_list_box_append (self->steps_list, row);
      self->rows[i] = ADW_ACTION_ROW (row);
      self->row_states[i] = stack;
    }
  cradle_progress_page_start (self, _("Getting the Certificate"), NULL, FALSE);
}
