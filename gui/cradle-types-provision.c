/* cradle-types-provision.c: the types window's Import… and Export…
 *
 * Import… reads a provisioning file (cradle_provisioning_new_from_file(),
 * on a thread: it checks a signature) and shows what importing it would do
 * before anything is saved: each type new, changed (which fields) or
 * unchanged, who signed the file or that nobody did, and what Cradle does
 * not keep of it.  Import saves on a thread, for this user or, through the
 * polkit helper, for everyone.  A refused file changes nothing and says
 * why, with its line.
 *
 * Export… writes the listed types as Cradle's own provisioning file or as
 * the Windows Certificate Enroller's XML, atomically, and then says what
 * the format left out.
 *
 * Everything from a file is shown as plain text: escaped with
 * cradle_text_escape(), in labels and dialogs with markup off.
 */
#include "config.h"

#include <glib/gi18n.h>

#include <string.h>

#include "cradle-types-provision.h"

#define CHOOSER_KEY "cradle-provision-chooser"

/* Whom a flow reports to, from the chooser to the end. */
typedef struct {
  GtkWindow                 *parent;      /* owned */
  GCancellable              *cancellable; /* owned */
  CradleTypesProvisionReport report;
  gpointer                   user_data;
  GPtrArray                 *drafts;      /* (nullable): Export's */
} Flow;

static Flow *
flow_new (GtkWindow                 *parent,
          GCancellable              *cancellable,
          CradleTypesProvisionReport report,
          gpointer                   user_data)
{
  Flow *flow = g_new0 (Flow, 1);

  flow->parent = g_object_ref (parent);
  flow->cancellable = g_object_ref (cancellable);
  flow->report = report;
  flow->user_data = user_data;
  return flow;
}

static void
flow_free (Flow *flow)
{
  g_clear_object (&flow->parent);
  g_clear_object (&flow->cancellable);
  g_clear_pointer (&flow->drafts, g_ptr_array_unref);
  g_free (flow);
}

/* Tells the window, unless it closed meanwhile (its widgets are gone). */
static void
tell (Flow       *flow,
      const char *text,
      gboolean    changed)
{
  if (!g_cancellable_is_cancelled (flow->cancellable))
    flow->report (text, changed, flow->user_data);
}

static char *
escaped (const char *text)
{
  return cradle_text_escape (text != NULL ? text : "", -1, CRADLE_TEXT_ESCAPE_DEFAULT);
}

/* "FILE:LINE: what is wrong" as "Line LINE: what is wrong", for people. */
static char *
in_words (const char *path,
          const char *message)
{
  g_autofree char *base = g_path_get_basename (path);
  const char *prefixes[] = { path, base };

  for (guint i = 0; i < G_N_ELEMENTS (prefixes); i++)
    {
      const char *rest = message;
      const char *digits;

      if (!g_str_has_prefix (rest, prefixes[i]) || rest[strlen (prefixes[i])] != ':')
        continue;
      rest += strlen (prefixes[i]) + 1;
      digits = rest;
      while (g_ascii_isdigit (*rest))
        rest++;
      if (rest > digits && g_str_has_prefix (rest, ": "))
        {
          g_autofree char *line = g_strndup (digits, rest - digits);
          g_autofree char *what = escaped (rest + 2);

          /* Translators: "Line 7 of the file: the parm Foo is not one Cradle knows" */
          return g_strdup_printf (_("Line %s of the file: %s"), line, what);
        }
      if (g_str_has_prefix (rest, " "))
        return escaped (rest + 1);
    }
  return escaped (message);
}

static void
show_message (Flow       *flow,
              const char *heading,
              const char *body)
{
  GtkWidget *dialog;

  if (g_cancellable_is_cancelled (flow->cancellable))
    return;
  dialog = adw_message_dialog_new (flow->parent, NULL, NULL);

  /* Both may quote a file: no markup (libadwaita 1.2's default). */
  adw_message_dialog_set_heading (ADW_MESSAGE_DIALOG (dialog), heading);
  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog), body);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "close");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "close");
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
chooser_free (GtkFileChooserNative *chooser)
{
  gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (chooser));
  g_object_unref (chooser);
}

/* (nullable): %NULL while the window already asks for a file */
static GtkFileChooserNative *
new_chooser (Flow                *flow,
             const char          *title,
             GtkFileChooserAction action,
             const char          *accept)
{
  GtkFileChooserNative *chooser;

  if (g_object_get_data (G_OBJECT (flow->parent), CHOOSER_KEY) != NULL)
    {
      flow_free (flow);
      return NULL;
    }
  chooser = gtk_file_chooser_native_new (title, flow->parent, action, accept, _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_object_set_data_full (G_OBJECT (chooser), "cradle-flow", flow, (GDestroyNotify) flow_free);
  /* Held by the window while it asks; dropped when it answers. */
  g_object_set_data_full (G_OBJECT (flow->parent), CHOOSER_KEY, chooser, (GDestroyNotify) chooser_free);
  return chooser;
}

/* Drops the chooser (ask it everything first), and gives its flow to the
 * caller. */
static Flow *
chooser_done (GtkNativeDialog *chooser)
{
  Flow *flow = g_object_steal_data (G_OBJECT (chooser), "cradle-flow");

  g_object_ref (chooser);
  g_object_set_data (G_OBJECT (flow->parent), CHOOSER_KEY, NULL);
  g_object_unref (chooser);
  return flow;
}

/* (nullable): the path chosen, or %NULL (cancelled, or not a local file:
 * then said) */
static char *
chosen_path (Flow            *flow,
             GtkNativeDialog *chooser,
             int              response)
{
  g_autoptr(GFile) file = NULL;
  char *path;

  if (response != GTK_RESPONSE_ACCEPT)
    return NULL;
  file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  path = file != NULL ? g_file_get_path (file) : NULL;
  if (path == NULL)
    tell (flow, _("Cradle can use only a file of this computer. Choose another."), FALSE);
  return path;
}

/* ---- Import: read the file and make the plan, on a thread --------------- */

typedef struct {
  Flow               *flow;
  char               *path;
  CradleProvisioning *provisioning;
  GPtrArray          *user_plan;    /* (element-type CradleProvisioningStep) */
  GPtrArray          *system_plan;  /* (nullable): the computer's types could not be read */
  CradleTypeScope     scope;        /* chosen for Import */
} ImportJob;

static void
import_job_free (ImportJob *job)
{
  g_clear_pointer (&job->flow, flow_free);
  g_free (job->path);
  g_clear_object (&job->provisioning);
  g_clear_pointer (&job->user_plan, g_ptr_array_unref);
  g_clear_pointer (&job->system_plan, g_ptr_array_unref);
  g_free (job);
}

static void
read_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  ImportJob *job = task_data;
  g_autoptr(GError) system_error = NULL;
  GError *error = NULL;

  job->provisioning = cradle_provisioning_new_from_file (job->path, &error);
  if (job->provisioning == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  job->user_plan = cradle_provisioning_plan (job->provisioning, CRADLE_TYPE_SCOPE_USER, &error);
  if (job->user_plan == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  job->system_plan = cradle_provisioning_plan (job->provisioning, CRADLE_TYPE_SCOPE_SYSTEM, &system_error);
  if (job->system_plan == NULL)
    g_info ("No plan for everyone: %s", system_error->message);
  g_task_return_boolean (task, TRUE);
}

static char *
plan_text (ImportJob *job,
           guint     *n_to_save)
{
  GPtrArray *plan = job->scope == CRADLE_TYPE_SCOPE_SYSTEM ? job->system_plan : job->user_plan;
  CradleCertificate *signer = cradle_provisioning_get_signer (job->provisioning);
  const char * const *notes = cradle_provisioning_get_notes (job->provisioning);
  g_autoptr(GString) text = g_string_new (NULL);

  if (signer != NULL)
    {
      g_autofree char *subject = escaped (cradle_certificate_get_subject (signer));
      g_autofree char *sha256 = escaped (cradle_certificate_get_sha256 (signer));

      /* Translators: who signed the file, then its certificate's SHA-256 */
      g_string_append_printf (text, _("Signed by %s (SHA-256 %s), whose certificate chains to a root this "
                                      "computer trusts."),
                              subject, sha256);
    }
  else
    g_string_append (text, _("Not signed: anyone could have written this file. Import it only if you know "
                             "where it comes from."));
  g_string_append (text, "\n");
  *n_to_save = 0;
  for (guint i = 0; i < plan->len; i++)
    {
      CradleProvisioningStep *step = g_ptr_array_index (plan, i);
      g_autofree char *name = escaped (step->name);

      g_string_append (text, "\n");
      switch (step->action)
        {
        case CRADLE_PROVISIONING_ACTION_NEW:
          /* Translators: "New: vpn-lab" */
          g_string_append_printf (text, _("New: %s"), name);
          (*n_to_save)++;
          break;
        case CRADLE_PROVISIONING_ACTION_CHANGED:
          {
            g_autofree char *fields = step->fields != NULL ? g_strjoinv (", ", step->fields) : g_strdup ("");

            /* Translators: "Changed: vpn-lab (url, template)" */
            g_string_append_printf (text, _("Changed: %s (%s)"), name, fields);
            (*n_to_save)++;
          }
          break;
        case CRADLE_PROVISIONING_ACTION_UNCHANGED:
        default:
          g_string_append_printf (text, _("Unchanged: %s"), name);
          break;
        }
    }
  if (notes != NULL && notes[0] != NULL)
    {
      g_string_append (text, "\n\n");
      g_string_append (text, _("What Cradle does not keep of this file:"));
      for (guint i = 0; notes[i] != NULL; i++)
        {
          g_autofree char *note = in_words (job->path, notes[i]);

          g_string_append_printf (text, "\n• %s", note);
        }
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* ---- Import: save, on a thread ------------------------------------------ */

static void
apply_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  ImportJob *job = task_data;
  GPtrArray *plan = job->scope == CRADLE_TYPE_SCOPE_SYSTEM ? job->system_plan : job->user_plan;
  guint n_saved = 0;
  GError *error = NULL;

  if (cradle_provisioning_apply (plan, job->scope, &n_saved, &error))
    g_task_return_int (task, n_saved);
  else
    {
      g_prefix_error (&error, ngettext ("%u type was saved, then: ", "%u types were saved, then: ", n_saved),
                      n_saved);
      g_task_return_error (task, error);
    }
}

static void
apply_done (GObject      *source_object,
            GAsyncResult *result,
            gpointer      user_data)
{
  ImportJob *job = g_task_get_task_data (G_TASK (result));
  g_autofree char *base = g_path_get_basename (job->path);
  g_autofree char *shown = escaped (base);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  gssize n_saved = g_task_propagate_int (G_TASK (result), &error);

  if (error != NULL)
    {
      g_autofree char *heading = g_strdup_printf (_("“%s” was not imported"), shown);
      g_autofree char *body = escaped (error->message);

      show_message (job->flow, heading, body);
      /* Some may have been saved before the failure. */
      tell (job->flow, heading, TRUE);
      return;
    }
  /* Translators: "Imported 2 types from lab.cradle." */
  text = g_strdup_printf (ngettext ("Imported %d type from %s.", "Imported %d types from %s.", (int) n_saved),
                          (int) n_saved, shown);
  tell (job->flow, text, TRUE);
}

static void
on_plan_response (AdwMessageDialog *dialog,
                  const char       *response,
                  gpointer          user_data)
{
  ImportJob *job = g_object_steal_data (G_OBJECT (dialog), "cradle-import-job");
  g_autoptr(GTask) task = NULL;

  if (job == NULL)
    return;
  if (g_strcmp0 (response, "import") != 0)
    {
      import_job_free (job);
      return;
    }
  g_info ("Importing the types of %s for %s", job->path,
          job->scope == CRADLE_TYPE_SCOPE_SYSTEM ? "everyone" : "this user");
  task = g_task_new (job->flow->parent, job->flow->cancellable, apply_done, NULL);
  g_task_set_source_tag (task, on_plan_response);
  g_task_set_task_data (task, job, (GDestroyNotify) import_job_free);
  g_task_run_in_thread (task, apply_thread);
}

static void
update_plan (AdwMessageDialog *dialog)
{
  ImportJob *job = g_object_get_data (G_OBJECT (dialog), "cradle-import-job");
  GtkCheckButton *everyone = g_object_get_data (G_OBJECT (dialog), "cradle-everyone");
  GtkLabel *label = g_object_get_data (G_OBJECT (dialog), "cradle-plan");
  g_autofree char *text = NULL;
  guint n_to_save = 0;

  if (job == NULL)
    return;
  job->scope = gtk_check_button_get_active (everyone) ? CRADLE_TYPE_SCOPE_SYSTEM : CRADLE_TYPE_SCOPE_USER;
  text = plan_text (job, &n_to_save);
  gtk_label_set_text (label, text);
  /* Nothing new nor changed: nothing to save. */
  adw_message_dialog_set_response_enabled (dialog, "import", n_to_save > 0);
}

static void
show_plan (ImportJob *job)
{
  g_autofree char *base = g_path_get_basename (job->path);
  g_autofree char *shown = escaped (base);
  g_autofree char *heading = NULL;
  GtkWidget *dialog = adw_message_dialog_new (job->flow->parent, NULL, NULL);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *label = gtk_label_new (NULL);
  GtkWidget *everyone = gtk_check_button_new_with_mnemonic (_("For _everyone on this computer (asks for an "
                                                               "administrator's password)"));

  /* Translators: "Import the types of lab.cradle?" */
  heading = g_strdup_printf (_("Import the types of “%s”?"), shown);
  adw_message_dialog_set_heading (ADW_MESSAGE_DIALOG (dialog), heading);
  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (dialog),
                               _("Nothing is saved until you click Import. Types of the same name are replaced."));
  /* From the file: plain text, never markup. */
  gtk_label_set_use_markup (GTK_LABEL (label), FALSE);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_set_valign (label, GTK_ALIGN_START);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scrolled), TRUE);
  /* A wrapped label's natural height comes short by a line or two: room
   * enough for a few types, scrolling beyond. */
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scrolled), 160);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled), 320);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), label);
  gtk_box_append (GTK_BOX (box), scrolled);
  gtk_widget_set_sensitive (everyone, job->system_plan != NULL);
  gtk_box_append (GTK_BOX (box), everyone);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), box);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "import", _("_Import"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "import", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "cradle-import-job", job, (GDestroyNotify) import_job_free);
  g_object_set_data (G_OBJECT (dialog), "cradle-everyone", everyone);
  g_object_set_data (G_OBJECT (dialog), "cradle-plan", label);
  update_plan (ADW_MESSAGE_DIALOG (dialog));
  g_signal_connect_swapped (everyone, "toggled", G_CALLBACK (update_plan), dialog);
  g_signal_connect (dialog, "response", G_CALLBACK (on_plan_response), NULL);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
read_done (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  /* The task does not free it: the plan's dialog takes it. */
  ImportJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (g_cancellable_is_cancelled (job->flow->cancellable))
    {
      import_job_free (job);
      return;
    }
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_autofree char *base = g_path_get_basename (job->path);
      g_autofree char *shown = escaped (base);
      g_autofree char *why = in_words (job->path, error->message);
      g_autofree char *heading = NULL;
      g_autofree char *body = NULL;

      /* Translators: "“lab.cradle” was not imported" */
      heading = g_strdup_printf (_("“%s” was not imported"), shown);
      /* Translators: the reason, then this */
      body = g_strdup_printf (_("%s\n\nNothing was changed."), why);
      g_info ("Refused %s: %s", job->path, error->message);
      show_message (job->flow, heading, body);
      import_job_free (job);
      return;
    }
  show_plan (job);
}

static void
on_import_chosen (GtkNativeDialog *chooser,
                  int              response,
                  gpointer         user_data)
{
  g_autofree char *path = chosen_path (g_object_get_data (G_OBJECT (chooser), "cradle-flow"), chooser, response);
  Flow *flow = chooser_done (chooser);
  g_autoptr(GTask) task = NULL;
  ImportJob *job;

  if (path == NULL)
    {
      flow_free (flow);
      return;
    }
  job = g_new0 (ImportJob, 1);
  job->flow = flow;
  job->path = g_steal_pointer (&path);
  g_info ("Reading the provisioning file %s", job->path);
  task = g_task_new (flow->parent, flow->cancellable, read_done, NULL);
  g_task_set_source_tag (task, on_import_chosen);
  g_task_set_task_data (task, job, NULL);
  g_task_run_in_thread (task, read_thread);
}

void
cradle_types_provision_import (GtkWindow                 *parent,
                               GCancellable              *cancellable,
                               CradleTypesProvisionReport report,
                               gpointer                   user_data)
{
  GtkFileChooserNative *chooser = new_chooser (flow_new (parent, cancellable, report, user_data),
                                               _("Import Certificate Types"), GTK_FILE_CHOOSER_ACTION_OPEN,
                                               _("_Open"));

  if (chooser == NULL)
    return;
  g_signal_connect (chooser, "response", G_CALLBACK (on_import_chosen), NULL);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* ---- Export -------------------------------------------------------------- */

static void
export (Flow                    *flow,
        const char              *path,
        CradleProvisioningFormat format)
{
  g_autoptr(GPtrArray) drafts = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) left_out = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) notes = NULL;
  g_autoptr(GBytes) document = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) body = g_string_new (NULL);
  g_autofree char *text = NULL;
  g_autofree char *shown = escaped (path);
  gsize size = 0;
  const char *data = NULL;

  for (guint i = 0; flow->drafts != NULL && i < flow->drafts->len; i++)
    {
      CradleTypeDraft *draft = g_ptr_array_index (flow->drafts, i);

      /* The Certificate Enroller knows AD CS Web Enrollment only. */
      if (format == CRADLE_PROVISIONING_FORMAT_WINDOWS &&
          g_strcmp0 (cradle_type_draft_get_protocol (draft), "certsrv") != 0)
        {
          g_autofree char *name = escaped (cradle_type_draft_get_name (draft));

          /* Translators: "lab-est uses est; the Windows format holds AD CS Web Enrollment types only" */
          g_ptr_array_add (left_out, g_strdup_printf (_("%s uses %s; the Windows format holds AD CS Web "
                                                        "Enrollment (certsrv) types only"),
                                                      name, cradle_type_draft_get_protocol (draft)));
          continue;
        }
      g_ptr_array_add (drafts, g_object_ref (draft));
    }
  if (drafts->len == 0)
    {
      tell (flow, format == CRADLE_PROVISIONING_FORMAT_WINDOWS
                    ? _("Nothing was exported: no listed type is an AD CS Web Enrollment type, the only kind "
                        "the Windows format holds.")
                    : _("Nothing was exported: there are no types to export."),
            FALSE);
      return;
    }
  document = cradle_provisioning_export (drafts, format, &notes, &error);
  if (document != NULL)
    data = g_bytes_get_data (document, &size);
  if (document == NULL || !g_file_set_contents (path, data, size, &error))
    {
      g_autofree char *why = escaped (error->message);

      text = g_strdup_printf (_("The types were not exported to %s: %s"), shown, why);
      tell (flow, text, FALSE);
      return;
    }
  g_info ("Exported %u types to %s as %s", drafts->len, path, cradle_provisioning_format_to_string (format));
  /* Translators: "Exported 3 types to /home/alice/types.xml." */
  text = g_strdup_printf (ngettext ("Exported %u type to %s.", "Exported %u types to %s.", drafts->len),
                          drafts->len, shown);
  for (guint i = 0; i < left_out->len; i++)
    g_string_append_printf (body, "\n• %s", (const char *) g_ptr_array_index (left_out, i));
  for (guint i = 0; notes != NULL && i < notes->len; i++)
    {
      g_autofree char *note = escaped (g_ptr_array_index (notes, i));

      g_string_append_printf (body, "\n• %s", note);
    }
  if (body->len == 0)
    {
      tell (flow, text, FALSE);
      return;
    }
  g_string_prepend (body, _("What the format has no place for was left out:"));
  show_message (flow, text, body->str);
}

static void
on_export_chosen (GtkNativeDialog *chooser,
                  int              response,
                  gpointer         user_data)
{
  g_autofree char *path = chosen_path (g_object_get_data (G_OBJECT (chooser), "cradle-flow"), chooser, response);
  const char *choice = gtk_file_chooser_get_choice (GTK_FILE_CHOOSER (chooser), "format");
  CradleProvisioningFormat format = CRADLE_PROVISIONING_FORMAT_CRADLE;
  Flow *flow;

  /* Read before the chooser is dropped: destroyed, it forgets. */
  if (choice == NULL || !cradle_provisioning_format_from_string (choice, &format))
    format = CRADLE_PROVISIONING_FORMAT_CRADLE;
  flow = chooser_done (chooser);
  if (path != NULL)
    export (flow, path, format);
  flow_free (flow);
}

void
cradle_types_provision_export (GtkWindow                 *parent,
                               GCancellable              *cancellable,
                               GPtrArray                 *drafts,
                               CradleTypesProvisionReport report,
                               gpointer                   user_data)
{
  const char *format_ids[] = { "cradle", "windows", NULL };
  const char *format_labels[] = { _("Cradle's own (every type)"),
                                  _("Windows Certificate Enroller XML (AD CS Web Enrollment types)"), NULL };
  Flow *flow = flow_new (parent, cancellable, report, user_data);
  GtkFileChooserNative *chooser;

  flow->drafts = g_ptr_array_ref (drafts);
  chooser = new_chooser (flow, _("Export Certificate Types"), GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"));
  if (chooser == NULL)
    return;
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), "certificate-types.cradle");
  gtk_file_chooser_add_choice (GTK_FILE_CHOOSER (chooser), "format", _("Format"), format_ids, format_labels);
  gtk_file_chooser_set_choice (GTK_FILE_CHOOSER (chooser), "format", "cradle");
  g_signal_connect (chooser, "response", G_CALLBACK (on_export_chosen), NULL);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}
