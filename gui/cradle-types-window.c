/* cradle-types-window.c: the custom certificate types, to add, edit and remove
 *
 * Lists the types of the user's types.d and of the computer's
 * (cradle_type_store_list()), saying whose each is; Add and Edit open a
 * CradleTypeEditor, Remove asks first.  Removing one for everyone goes
 * through the polkit helper, which asks for an administrator's password,
 * so it runs on a thread.  Import… and Export… (provisioning files) are in
 * cradle-types-provision.c.  "changed" tells the main window to list its
 * types again.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cradle-plain-text.h"
#include "cradle-type-editor.h"
#include "cradle-types-provision.h"
#include "cradle-types-window.h"

struct _CradleTypesWindow
{
  AdwWindow parent_instance;

  /* Owned */
  CradleCredentials *credentials;
  GCancellable      *cancellable;      /* cancelled when the window closes */
  char              *system_dir;       /* /etc/cradle/types.d, or CRADLE_SYSTEM_CONFIG_DIR's */

  /* Template widgets */
  AdwToastOverlay   *toast_overlay;
  GtkListBox        *types_list;
};

G_DEFINE_FINAL_TYPE (CradleTypesWindow, cradle_types_window, ADW_TYPE_WINDOW)

enum {
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
toast (CradleTypesWindow *self,
       const char        *text)
{
  AdwToast *toast = cradle_toast_new_plain (text);

  adw_toast_set_timeout (toast, 6);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static char *
draft_string (CradleTypeDraft *draft,
              const char      *property)
{
  char *value = NULL;

  g_object_get (draft, property, &value, NULL);
  return value;
}

static CradleTypeScope
scope_of (CradleTypesWindow *self,
          CradleTypeDraft   *draft)
{
  g_autofree char *source = draft_string (draft, "source");
  g_autofree char *prefix = g_build_filename (self->system_dir, "", NULL);

  return source != NULL && g_str_has_prefix (source, prefix) ? CRADLE_TYPE_SCOPE_SYSTEM : CRADLE_TYPE_SCOPE_USER;
}

static const char *
protocol_title (const char *protocol)
{
  if (g_strcmp0 (protocol, "certsrv") == 0)
    return _("AD CS Web Enrollment");
  if (g_strcmp0 (protocol, "wstep") == 0)
    return _("Enrollment Web Service");
  if (g_strcmp0 (protocol, "scep") == 0)
    return "SCEP";
  if (g_strcmp0 (protocol, "est") == 0)
    return "EST";
  return _("unknown protocol");
}

/* ---- the list ------------------------------------------------------------ */

static void edit_clicked   (GtkButton *button, CradleTypesWindow *self);
static void remove_clicked (GtkButton *button, CradleTypesWindow *self);

static GtkWidget *
new_button (const char *label,
            const char *accessible,
            GCallback   callback,
            gpointer    self)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, accessible);
  g_signal_connect (button, "clicked", callback, self);
  return button;
}

static GtkWidget *
new_type_row (CradleTypesWindow *self,
              CradleTypeDraft   *draft,
              gboolean           replaces)
{
  g_autofree char *name = draft_string (draft, "name");
  g_autofree char *display_name = draft_string (draft, "display-name");
  g_autofree char *protocol = draft_string (draft, "protocol");
  g_autofree char *url = draft_string (draft, "url");
  g_autofree char *edit = NULL;
  g_autofree char *remove = NULL;
  g_autofree char *subtitle = NULL;
  CradleTypeScope scope = scope_of (self, draft);
  const char *whose;
  GtkWidget *row = adw_action_row_new ();

  if (scope == CRADLE_TYPE_SCOPE_SYSTEM)
    whose = _("For everyone on this computer");
  else if (replaces)
    whose = _("Yours, in place of the one for everyone");
  else
    whose = _("Yours");
  /* Translators: "wifi-scep · SCEP · http://… · Yours" */
  subtitle = g_strdup_printf ("%s · %s%s%s · %s", name, protocol_title (protocol), url != NULL ? " · " : "",
                              url != NULL ? url : "", whose);
  /* Written by an administrator, maybe another: plain text. */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), display_name != NULL ? display_name : name);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 3);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row),
                             gtk_image_new_from_icon_name (scope == CRADLE_TYPE_SCOPE_SYSTEM
                                                             ? "system-users-symbolic" : "avatar-default-symbolic"));
  /* Translators: a button's tooltip, "Edit Wi-Fi (SCEP)" */
  edit = g_strdup_printf (_("Edit %s"), display_name != NULL ? display_name : name);
  remove = g_strdup_printf (_("Remove %s"), display_name != NULL ? display_name : name);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), new_button (_("_Edit"), edit, G_CALLBACK (edit_clicked), self));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                             new_button (_("_Remove"), remove, G_CALLBACK (remove_clicked), self));
  g_object_set_data_full (G_OBJECT (row), "cradle-draft", g_object_ref (draft), g_object_unref);
  return row;
}

static void
reload (CradleTypesWindow *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GPtrArray) drafts = cradle_type_store_list_full (&problems, &error);
  g_autoptr(GHashTable) system_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->types_list))) != NULL)
    gtk_list_box_remove (self->types_list, child);
  if (drafts == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Cradle could not read the certificate types: %s"),
                                               error->message);

      toast (self, text);
      return;
    }
  for (guint i = 0; i < drafts->len; i++)
    {
      g_autofree char *name = draft_string (g_ptr_array_index (drafts, i), "name");

      if (name != NULL && scope_of (self, g_ptr_array_index (drafts, i)) == CRADLE_TYPE_SCOPE_SYSTEM)
        g_hash_table_add (system_names, g_ascii_strdown (name, -1));
    }
  for (guint i = 0; i < drafts->len; i++)
    {
      CradleTypeDraft *draft = g_ptr_array_index (drafts, i);
      g_autofree char *name = draft_string (draft, "name");
      g_autofree char *folded = g_ascii_strdown (name != NULL ? name : "", -1);
      gboolean replaces = scope_of (self, draft) == CRADLE_TYPE_SCOPE_USER &&
                          g_hash_table_contains (system_names, folded);

      gtk_list_box_append (self->types_list, new_type_row (self, draft, replaces));
    }
  /* A file Cradle leaves out, and why ("FILE:LINE: what is wrong"). */
  for (guint i = 0; problems != NULL && i < problems->len; i++)
    {
      g_autofree char *text = cradle_text_escape (g_ptr_array_index (problems, i), -1,
                                                  CRADLE_TEXT_ESCAPE_DEFAULT);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *icon = gtk_image_new_from_icon_name ("dialog-warning-symbolic");

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("A type file Cradle cannot read, left out"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), text);
      adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
      gtk_widget_add_css_class (icon, "warning");
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
      gtk_list_box_append (self->types_list, row);
    }
}

/* ---- Import… and Export… (cradle-types-provision.c) --------------------- */

static void
on_provision_report (const char *text,
                     gboolean    changed,
                     gpointer    user_data)
{
  CradleTypesWindow *self = user_data;

  if (changed)
    reload (self);
  toast (self, text);
  if (changed)
    g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

/* The listed types, a user's replacing the computer's of the same name. */
static GPtrArray *
dup_drafts (CradleTypesWindow *self)
{
  g_autoptr(GPtrArray) drafts = g_ptr_array_new_with_free_func (g_object_unref);

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->types_list)); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      CradleTypeDraft *draft = g_object_get_data (G_OBJECT (row), "cradle-draft");
      g_autofree char *name = draft != NULL ? draft_string (draft, "name") : NULL;
      gboolean user = draft != NULL && scope_of (self, draft) == CRADLE_TYPE_SCOPE_USER;
      gboolean skip = FALSE;

      if (name == NULL)
        continue;
      for (guint i = 0; i < drafts->len && !skip; i++)
        {
          g_autofree char *other = draft_string (g_ptr_array_index (drafts, i), "name");

          if (g_ascii_strcasecmp (other, name) != 0)
            continue;
          /* The user's own replaces the one for everyone. */
          if (user)
            g_ptr_array_remove_index (drafts, i);
          else
            skip = TRUE;
          break;
        }
      if (!skip)
        g_ptr_array_add (drafts, g_object_ref (draft));
    }
  return g_steal_pointer (&drafts);
}

/* ---- Add and Edit -------------------------------------------------------- */

static void
on_saved (CradleTypeEditor  *editor,
          const char        *title,
          CradleTypesWindow *self)
{
  g_autofree char *text = g_strdup_printf (_("Saved “%s”. The device page lists it now."), title);

  reload (self);
  toast (self, text);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

static void
open_editor (CradleTypesWindow *self,
             CradleTypeDraft   *draft)
{
  CradleTypeEditor *editor = cradle_type_editor_new (GTK_WINDOW (self), draft,
                                                     draft != NULL ? scope_of (self, draft) : CRADLE_TYPE_SCOPE_USER,
                                                     self->credentials);

  g_signal_connect_object (editor, "saved", G_CALLBACK (on_saved), self, 0);
  gtk_window_present (GTK_WINDOW (editor));
}

static void
add_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  open_editor (CRADLE_TYPES_WINDOW (widget), NULL);
}

static void
import_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  CradleTypesWindow *self = CRADLE_TYPES_WINDOW (widget);

  cradle_types_provision_import (GTK_WINDOW (self), self->cancellable, on_provision_report, self);
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  CradleTypesWindow *self = CRADLE_TYPES_WINDOW (widget);
  g_autoptr(GPtrArray) drafts = dup_drafts (self);

  cradle_types_provision_export (GTK_WINDOW (self), self->cancellable, drafts, on_provision_report, self);
}

static CradleTypeDraft *
row_draft (GtkButton *button)
{
  GtkWidget *row = gtk_widget_get_ancestor (GTK_WIDGET (button), ADW_TYPE_ACTION_ROW);

  return row != NULL ? g_object_get_data (G_OBJECT (row), "cradle-draft") : NULL;
}

static void
edit_clicked (GtkButton         *button,
              CradleTypesWindow *self)
{
  CradleTypeDraft *draft = row_draft (button);

  if (draft != NULL)
    open_editor (self, draft);
}

/* ---- Remove ---------------------------------------------------------------- */

typedef struct {
  char           *name;
  char           *title;
  CradleTypeScope scope;
} RemoveJob;

static void
remove_job_free (RemoveJob *job)
{
  g_free (job->name);
  g_free (job->title);
  g_free (job);
}

static void
remove_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  RemoveJob *job = task_data;
  GError *error = NULL;

  if (cradle_type_store_remove (job->name, job->scope, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
remove_done (GObject      *source_object,
             GAsyncResult *result,
             gpointer      user_data)
{
  CradleTypesWindow *self = CRADLE_TYPES_WINDOW (source_object);
  RemoveJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  gboolean removed = g_task_propagate_boolean (G_TASK (result), &error);

  /* Closed meanwhile: its widgets are gone. */
  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  if (!removed)
    {
      text = g_strdup_printf (_("“%s” was not removed: %s"), job->title, error->message);
      toast (self, text);
      return;
    }
  text = g_strdup_printf (_("Removed “%s”."), job->title);
  reload (self);
  toast (self, text);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

static void
on_remove_response (AdwMessageDialog  *dialog,
                    const char        *response,
                    CradleTypesWindow *self)
{
  RemoveJob *job = g_object_steal_data (G_OBJECT (dialog), "cradle-remove-job");
  g_autoptr(GTask) task = NULL;

  if (job == NULL)
    return;
  if (g_strcmp0 (response, "remove") != 0)
    {
      remove_job_free (job);
      return;
    }
  g_info ("Removing the type %s", job->name);
  task = g_task_new (self, self->cancellable, remove_done, NULL);
  g_task_set_source_tag (task, on_remove_response);
  g_task_set_task_data (task, job, (GDestroyNotify) remove_job_free);
  g_task_run_in_thread (task, remove_thread);
}

static void
remove_clicked (GtkButton         *button,
                CradleTypesWindow *self)
{
  CradleTypeDraft *draft = row_draft (button);
  g_autofree char *display_name = NULL;
  g_autofree char *heading = NULL;
  g_autoptr(GString) body = g_string_new (NULL);
  GtkWidget *dialog;
  RemoveJob *job;

  if (draft == NULL)
    return;
  job = g_new0 (RemoveJob, 1);
  job->name = draft_string (draft, "name");
  display_name = draft_string (draft, "display-name");
  job->title = g_strdup (display_name != NULL ? display_name : job->name);
  job->scope = scope_of (self, draft);
  /* Translators: "Remove “Wi-Fi (SCEP)”?" */
  heading = g_strdup_printf (_("Remove “%s”?"), job->title);
  {
    g_autofree char *protocol = draft_string (draft, "protocol");

    g_string_append (body, g_strcmp0 (protocol, "scep") == 0
                             ? _("Cradle forgets this type and its SCEP challenge password. Certificates "
                                 "already on devices stay there.")
                             : _("Cradle forgets this type. Certificates already on devices stay there."));
  }
  if (job->scope == CRADLE_TYPE_SCOPE_SYSTEM)
    g_string_append (body, _(" It is removed for everyone on this computer: that asks for an administrator's "
                             "password."));
  dialog = adw_message_dialog_new (GTK_WINDOW (self), NULL, NULL);
  /* Names come from files: no markup. */
  adw_message_dialog_set_heading (ADW_MESSAGE_DIALOG (dialog), heading);
  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog), body->str);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "remove", _("_Remove"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "remove", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "cradle-remove-job", job, (GDestroyNotify) remove_job_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_remove_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- the object -------------------------------------------------------- */

static void
cradle_types_window_dispose (GObject *object)
{
  CradleTypesWindow *self = CRADLE_TYPES_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), CRADLE_TYPE_TYPES_WINDOW);
  g_clear_object (&self->credentials);

  G_OBJECT_CLASS (cradle_types_window_parent_class)->dispose (object);
}

static void
cradle_types_window_finalize (GObject *object)
{
  CradleTypesWindow *self = CRADLE_TYPES_WINDOW (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->system_dir, g_free);

  G_OBJECT_CLASS (cradle_types_window_parent_class)->finalize (object);
}

static void
cradle_types_window_class_init (CradleTypesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cradle_types_window_dispose;
  object_class->finalize = cradle_types_window_finalize;

  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                          NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/cradle/Cradle/cradle-types-window.ui");
  gtk_widget_class_bind_template_child (widget_class, CradleTypesWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, CradleTypesWindow, types_list);

  gtk_widget_class_install_action (widget_class, "types.add", NULL, add_action);
  gtk_widget_class_install_action (widget_class, "types.import", NULL, import_action);
  gtk_widget_class_install_action (widget_class, "types.export", NULL, export_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "types.add", NULL);
}

static void
cradle_types_window_init (CradleTypesWindow *self)
{
  GtkWidget *placeholder;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->system_dir = cradle_type_store_dup_folder (CRADLE_TYPE_SCOPE_SYSTEM);
  placeholder = gtk_label_new (_("No custom certificate types yet. Add one to get certificates from a CA of your "
                                 "own."));
  gtk_label_set_wrap (GTK_LABEL (placeholder), TRUE);
  gtk_widget_add_css_class (placeholder, "dim-label");
  gtk_widget_set_margin_top (placeholder, 18);
  gtk_widget_set_margin_bottom (placeholder, 18);
  gtk_widget_set_margin_start (placeholder, 12);
  gtk_widget_set_margin_end (placeholder, 12);
  gtk_list_box_set_placeholder (self->types_list, placeholder);
}

CradleTypesWindow *
cradle_types_window_new (GtkWindow         *parent,
                         CradleCredentials *credentials)
{
  CradleTypesWindow *self = g_object_new (CRADLE_TYPE_TYPES_WINDOW, "transient-for", parent, NULL);

  self->credentials = credentials != NULL ? g_object_ref (credentials) : NULL;
  reload (self);
  return self;
}
