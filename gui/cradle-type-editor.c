/* cradle-type-editor.c: one custom certificate type, its fields, its Test and its Save
 *
 * The rows are bound to a CradleTypeDraft, the type file's fields; the
 * draft's own validation (the type-file parser's rules) marks the rows it
 * names and says what is wrong above them, and Save stays off until it
 * has nothing to say.  Test asks the server what it is
 * (cradle_type_probe_async()) and lists what it said, or what is wrong in
 * the error table's words; the server's text goes into rows with markup
 * off.  The SCEP challenge is not a field of the draft: it stays in GTK's
 * password buffer until Save hands it to cradle_type_store_save(), which
 * keeps it in a 0600 file beside the type; it is never logged.
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "cradle-plain-text.h"
#include "cradle-type-editor.h"

struct _CradleTypeEditor
{
  AdwWindow parent_instance;

  /* Owned */
  CradleTypeDraft   *draft;
  CradleCredentials *credentials;
  GCancellable      *cancellable;      /* cancelled when the window closes */
  GtkFileChooserNative *chooser;
  CradleTypeScope    scope;
  gboolean           editing;          /* an existing type: its name stays */
  gboolean           valid;
  gboolean           saving;
  gboolean           testing;

  /* Template widgets */
  AdwToastOverlay     *toast_overlay;
  GtkWidget           *save_button;
  GtkSpinner          *save_spinner;
  GtkRevealer         *banner;
  GtkLabel            *banner_label;
  AdwPreferencesPage  *page;
  AdwEntryRow         *display_name_row;
  AdwEntryRow         *name_row;
  AdwComboRow         *protocol_row;
  AdwEntryRow         *url_row;
  AdwEntryRow         *policy_url_row;
  AdwActionRow        *tls_row;
  GtkSwitch           *tls_switch;
  AdwActionRow        *plain_warning_row;
  AdwComboRow         *auth_row;
  AdwActionRow        *timeout_row;
  GtkSpinButton       *timeout_spin;
  AdwEntryRow         *template_row;
  AdwEntryRow         *label_row;
  AdwComboRow         *key_type_row;
  AdwEntryRow         *subject_row;
  AdwEntryRow         *trust_anchors_row;
  AdwEntryRow         *fingerprint_row;
  AdwPasswordEntryRow *challenge_row;
  AdwPreferencesGroup *scope_group;
  AdwActionRow        *system_row;
  GtkSwitch           *system_switch;
  GtkSpinner          *test_spinner;
  GtkListBox          *test_list;
};

G_DEFINE_FINAL_TYPE (CradleTypeEditor, cradle_type_editor, ADW_TYPE_WINDOW)

enum {
  SIGNAL_SAVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The combo rows' items, in the .ui's order; "" is "not set". */
static const char * const protocols[] = { "certsrv", "wstep", "scep", "est", NULL };
static const char * const auths[] = { "kerberos", "password", "none", NULL };
static const char * const key_types[] = { "", "rsa2048", "rsa3072", "rsa4096", "p256", "p384", NULL };

/* Which row shows a field's problem: the draft names fields by property. */
static const struct {
  const char *field;
  gsize       offset;
} field_rows[] = {
  { "name", G_STRUCT_OFFSET (CradleTypeEditor, name_row) },
  { "display-name", G_STRUCT_OFFSET (CradleTypeEditor, display_name_row) },
  { "protocol", G_STRUCT_OFFSET (CradleTypeEditor, protocol_row) },
  { "url", G_STRUCT_OFFSET (CradleTypeEditor, url_row) },
  { "policy-url", G_STRUCT_OFFSET (CradleTypeEditor, policy_url_row) },
  { "require-tls", G_STRUCT_OFFSET (CradleTypeEditor, tls_row) },
  { "auth", G_STRUCT_OFFSET (CradleTypeEditor, auth_row) },
  { "timeout", G_STRUCT_OFFSET (CradleTypeEditor, timeout_row) },
  { "template", G_STRUCT_OFFSET (CradleTypeEditor, template_row) },
  { "label", G_STRUCT_OFFSET (CradleTypeEditor, label_row) },
  { "key-type", G_STRUCT_OFFSET (CradleTypeEditor, key_type_row) },
  { "subject", G_STRUCT_OFFSET (CradleTypeEditor, subject_row) },
  { "trust-anchors", G_STRUCT_OFFSET (CradleTypeEditor, trust_anchors_row) },
  { "ca-fingerprint", G_STRUCT_OFFSET (CradleTypeEditor, fingerprint_row) },
};

static GtkWidget *
row_for_field (CradleTypeEditor *self,
               const char       *field)
{
  for (guint i = 0; i < G_N_ELEMENTS (field_rows); i++)
    if (g_strcmp0 (field_rows[i].field, field) == 0)
      return G_STRUCT_MEMBER (GtkWidget *, self, field_rows[i].offset);
  return NULL;
}

static char *
dup_string (CradleTypeEditor *self,
            const char       *property)
{
  char *value = NULL;

  g_object_get (self->draft, property, &value, NULL);
  return value;
}

/* ---- bindings ----------------------------------------------------------- */

/* An unset field is an empty entry, and an emptied entry unsets it. */
static gboolean
text_to_entry (GBinding     *binding,
               const GValue *from,
               GValue       *to,
               gpointer      user_data)
{
  const char *text = g_value_get_string (from);

  g_value_set_string (to, text != NULL ? text : "");
  return TRUE;
}

static gboolean
entry_to_text (GBinding     *binding,
               const GValue *from,
               GValue       *to,
               gpointer      user_data)
{
  const char *text = g_value_get_string (from);

  g_value_set_string (to, text != NULL && *text != '\0' ? text : NULL);
  return TRUE;
}

static void
bind_entry (CradleTypeEditor *self,
            const char       *property,
            gpointer          row)
{
  g_object_bind_property_full (self->draft, property, row, "text",
                               G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE,
                               text_to_entry, entry_to_text, NULL, NULL);
}

static guint
index_of (const char * const *items,
          const char         *value)
{
  for (guint i = 0; items[i] != NULL; i++)
    if (g_strcmp0 (items[i], value != NULL ? value : "") == 0)
      return i;
  return GTK_INVALID_LIST_POSITION;
}

static gboolean
text_to_selected (GBinding     *binding,
                  const GValue *from,
                  GValue       *to,
                  gpointer      user_data)
{
  guint index = index_of (user_data, g_value_get_string (from));

  if (index == GTK_INVALID_LIST_POSITION)
    return FALSE;
  g_value_set_uint (to, index);
  return TRUE;
}

static gboolean
selected_to_text (GBinding     *binding,
                  const GValue *from,
                  GValue       *to,
                  gpointer      user_data)
{
  const char * const *items = user_data;
  guint index = g_value_get_uint (from);

  if (index >= g_strv_length ((char **) items))
    return FALSE;
  g_value_set_string (to, *items[index] != '\0' ? items[index] : NULL);
  return TRUE;
}

static void
bind_combo (CradleTypeEditor   *self,
            const char         *property,
            AdwComboRow        *row,
            const char * const *items)
{
  g_object_bind_property_full (self->draft, property, row, "selected",
                               G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE,
                               text_to_selected, selected_to_text, (gpointer) items, NULL);
}

/* ---- what is shown, and what is wrong ------------------------------------ */

static void
update_actions (CradleTypeEditor *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "editor.save", self->valid && !self->saving);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "editor.test", !self->testing && !self->saving);
  gtk_widget_set_visible (GTK_WIDGET (self->save_spinner), self->saving);
  gtk_spinner_set_spinning (self->save_spinner, self->saving);
  gtk_widget_set_visible (GTK_WIDGET (self->test_spinner), self->testing);
  gtk_spinner_set_spinning (self->test_spinner, self->testing);
  gtk_widget_set_sensitive (GTK_WIDGET (self->page), !self->saving);
}

/* Rows shown for the protocol, and what plain HTTP would expose. */
static void
update_rows (CradleTypeEditor *self)
{
  g_autofree char *protocol = dup_string (self, "protocol");
  gboolean scep = g_strcmp0 (protocol, "scep") == 0;
  gboolean est = g_strcmp0 (protocol, "est") == 0;
  gboolean require_tls = TRUE;

  g_object_get (self->draft, "require-tls", &require_tls, NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->policy_url_row), g_strcmp0 (protocol, "wstep") == 0);
  gtk_widget_set_visible (GTK_WIDGET (self->template_row), !scep);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->template_row),
                                 est ? _("Template name (optional)") : _("Template name"));
  gtk_widget_set_visible (GTK_WIDGET (self->label_row), est);
  gtk_widget_set_visible (GTK_WIDGET (self->fingerprint_row), scep);
  gtk_widget_set_visible (GTK_WIDGET (self->challenge_row), scep);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->challenge_row),
                                 self->editing ? _("SCEP challenge password (empty: keep the saved one)")
                                               : _("SCEP challenge password"));
  gtk_widget_set_visible (GTK_WIDGET (self->plain_warning_row), !require_tls);
  adw_action_row_set_subtitle (self->plain_warning_row,
                               scep ? _("Requests and the SCEP challenge password travel readable on the "
                                        "network: anyone on the way can read them, and use the challenge "
                                        "to get certificates of their own. SCEP protects the certificate "
                                        "itself, not the challenge.")
                                    : _("Requests travel readable on the network, and anyone on the way can "
                                        "read or change them. Cradle refuses to sign in with Kerberos or a "
                                        "password over plain HTTP: choose None for Sign-in."));
}

/* The draft's own rules, each shown on its row (red, the message as its
 * tooltip) and all of them above the form; Save waits for none. */
static void
validate (CradleTypeEditor *self)
{
  g_autoptr(GPtrArray) problems = cradle_type_draft_validate (self->draft);
  g_autoptr(GHashTable) tooltips = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_autoptr(GString) banner = g_string_new (NULL);
  GHashTableIter iter;
  gpointer row, text;

  for (guint i = 0; i < G_N_ELEMENTS (field_rows); i++)
    {
      GtkWidget *widget = G_STRUCT_MEMBER (GtkWidget *, self, field_rows[i].offset);

      gtk_widget_remove_css_class (widget, "error");
      gtk_widget_set_tooltip_text (widget, NULL);
    }
  for (guint i = 0; i < problems->len; i++)
    {
      CradleTypeProblem *problem = g_ptr_array_index (problems, i);
      GtkWidget *widget = row_for_field (self, problem->field);

      if (widget != NULL)
        {
          const char *before = g_hash_table_lookup (tooltips, widget);

          g_hash_table_insert (tooltips, widget,
                               before != NULL ? g_strdup_printf ("%s\n%s", before, problem->message)
                                              : g_strdup (problem->message));
        }
      if (banner->len > 0)
        g_string_append_c (banner, '\n');
      g_string_append (banner, problem->message);
    }
  g_hash_table_iter_init (&iter, tooltips);
  while (g_hash_table_iter_next (&iter, &row, &text))
    {
      gtk_widget_add_css_class (row, "error");
      gtk_widget_set_tooltip_text (row, text);
    }
  self->valid = problems->len == 0;
  gtk_label_set_text (self->banner_label, banner->str);
  gtk_revealer_set_reveal_child (self->banner, !self->valid);
  update_actions (self);
}

/* A new protocol: fields only another protocol takes are emptied (they
 * would be hidden, and wrong), and SCEP signs in with its challenge. */
static void
on_protocol_changed (CradleTypeEditor *self)
{
  g_autofree char *protocol = dup_string (self, "protocol");
  g_autofree char *auth = dup_string (self, "auth");

  if (g_strcmp0 (protocol, "wstep") != 0)
    g_object_set (self->draft, "policy-url", NULL, NULL);
  if (g_strcmp0 (protocol, "est") != 0)
    g_object_set (self->draft, "label", NULL, NULL);
  if (g_strcmp0 (protocol, "scep") != 0)
    {
      g_object_set (self->draft, "ca-fingerprint", NULL, NULL);
      gtk_editable_set_text (GTK_EDITABLE (self->challenge_row), "");
      if (g_strcmp0 (auth, "none") == 0 || auth == NULL)
        g_object_set (self->draft, "auth", "kerberos", NULL);
    }
  else
    g_object_set (self->draft, "auth", "none", "template", NULL, NULL);
}

static void
on_draft_notify (CradleTypeDraft  *draft,
                 GParamSpec       *pspec,
                 CradleTypeEditor *self)
{
  update_rows (self);
  validate (self);
}

/* ---- Test ---------------------------------------------------------------- */

static void
clear_test (CradleTypeEditor *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->test_list))) != NULL)
    gtk_list_box_remove (self->test_list, child);
  gtk_widget_set_visible (GTK_WIDGET (self->test_list), FALSE);
}

/* A row of the Test's results; the server's words stay plain text. */
static void
add_test_row (CradleTypeEditor *self,
              const char       *icon_name,
              const char       *style,
              const char       *title,
              const char       *subtitle)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 0);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  if (icon_name != NULL)
    {
      GtkWidget *icon = gtk_image_new_from_icon_name (icon_name);

      gtk_widget_set_valign (icon, GTK_ALIGN_CENTER);
      if (style != NULL)
        gtk_widget_add_css_class (icon, style);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
    }
  gtk_list_box_append (self->test_list, row);
  gtk_widget_set_visible (GTK_WIDGET (self->test_list), TRUE);
}

/* What is wrong, in the error table's words when it knows the cause. */
static void
add_error_row (CradleTypeEditor *self,
               const GError     *error)
{
  const CradleExplanation *explanation = cradle_explain_error (error);
  g_autofree char *subtitle = NULL;

  if (cradle_explanation_is_generic (explanation))
    {
      add_test_row (self, "dialog-error-symbolic", "error", error->message, NULL);
      return;
    }
  subtitle = g_strdup_printf ("%s (%s)", cradle_explanation_get_user_action (explanation),
                              cradle_explanation_get_name (explanation));
  add_test_row (self, "dialog-error-symbolic", "error", cradle_explanation_get_summary (explanation), subtitle);
  if (g_strcmp0 (error->message, cradle_explanation_get_summary (explanation)) != 0)
    add_test_row (self, NULL, NULL, error->message, NULL);
}

static void
on_probe_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(CradleTypeEditor) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleTypeProbe) probe = cradle_type_probe_finish (result, &error);
  const char * const *findings;
  const char *fingerprint;

  /* Closed meanwhile: its widgets are gone. */
  if (g_cancellable_is_cancelled (self->cancellable) ||
      (probe == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)))
    return;
  self->testing = FALSE;
  update_actions (self);
  clear_test (self);
  if (probe == NULL)
    {
      add_error_row (self, error);
      return;
    }
  if (cradle_type_probe_get_ok (probe))
    add_test_row (self, "emblem-ok-symbolic", "success", _("The server answered as this type expects"), NULL);
  else if (cradle_type_probe_get_error (probe) != NULL)
    add_error_row (self, cradle_type_probe_get_error (probe));
  else
    add_test_row (self, "dialog-error-symbolic", "error", _("The server did not answer as this type expects"),
                  NULL);

  switch (cradle_type_probe_get_template_offered (probe))
    {
    case CRADLE_TYPE_PROBE_TEMPLATE_OFFERED:
      add_test_row (self, "emblem-ok-symbolic", "success", _("The policy server offers the template"), NULL);
      break;
    case CRADLE_TYPE_PROBE_TEMPLATE_NOT_OFFERED:
      add_test_row (self, "dialog-warning-symbolic", "warning", _("The policy server does not offer the template"),
                    _("Check the template's name, and that it is published for your account."));
      break;
    default:
      break;
    }
  fingerprint = cradle_type_probe_get_ca_fingerprint (probe);
  switch (cradle_type_probe_get_fingerprint_match (probe))
    {
    case CRADLE_TYPE_PROBE_FINGERPRINT_MATCHES:
      add_test_row (self, "emblem-ok-symbolic", "success", _("The CA's fingerprint matches the one entered"),
                    fingerprint);
      break;
    case CRADLE_TYPE_PROBE_FINGERPRINT_DIFFERS:
      add_test_row (self, "dialog-error-symbolic", "error",
                    _("The CA's fingerprint differs from the one entered: this may not be your CA"), fingerprint);
      break;
    default:
      if (fingerprint != NULL)
        add_test_row (self, "dialog-information-symbolic", NULL,
                      _("Compare the CA's fingerprint with the one your CA's administrator gave you, then enter "
                        "it above"), fingerprint);
      break;
    }
  if (cradle_type_probe_get_capabilities (probe) != NULL)
    add_test_row (self, NULL, NULL, _("SCEP capabilities"), cradle_type_probe_get_capabilities (probe));
  findings = cradle_type_probe_get_findings (probe);
  for (guint i = 0; findings != NULL && findings[i] != NULL; i++)
    add_test_row (self, NULL, NULL, findings[i], NULL);
}

static void
test_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  CradleTypeEditor *self = CRADLE_TYPE_EDITOR (widget);
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCertType) type = cradle_type_draft_dup_cert_type (self->draft, &error);

  clear_test (self);
  if (type == NULL)
    {
      add_test_row (self, "dialog-error-symbolic", "error", _("This type cannot be tested until it is complete"),
                    error->message);
      return;
    }
  g_info ("Testing the type %s at %s", cradle_cert_type_get_name (type),
          cradle_cert_type_get_url (type) != NULL ? cradle_cert_type_get_url (type) : "its policy server");
  self->testing = TRUE;
  update_actions (self);
  add_test_row (self, NULL, NULL, _("Asking the server…"), NULL);
  cradle_type_probe_async (type, self->credentials, self->cancellable, on_probe_done, g_object_ref (self));
}

/* ---- the trust anchor file ------------------------------------------------ */

static void
on_chooser_response (GtkNativeDialog  *chooser,
                     int               response,
                     CradleTypeEditor *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

      if (path != NULL)
        g_object_set (self->draft, "trust-anchors", path, NULL);
      else
        adw_toast_overlay_add_toast (self->toast_overlay,
                                     adw_toast_new (_("Choose a file on this computer: Cradle reads trust "
                                                      "anchors from a local file.")));
    }
  g_clear_object (&self->chooser);
}

static void
choose_anchors_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  CradleTypeEditor *self = CRADLE_TYPE_EDITOR (widget);
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();
  g_autofree char *current = dup_string (self, "trust-anchors");

  if (self->chooser != NULL)
    return;
  self->chooser = gtk_file_chooser_native_new (_("Choose the Trust Anchor File"), GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_OPEN, _("_Choose"), _("_Cancel"));
  gtk_file_filter_set_name (filter, _("Certificates (PEM)"));
  gtk_file_filter_add_pattern (filter, "*.pem");
  gtk_file_filter_add_pattern (filter, "*.crt");
  gtk_file_filter_add_pattern (filter, "*.cer");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  if (current != NULL && g_path_is_absolute (current))
    {
      g_autoptr(GFile) file = g_file_new_for_path (current);

      gtk_file_chooser_set_file (GTK_FILE_CHOOSER (self->chooser), file, NULL);
    }
  g_signal_connect (self->chooser, "response", G_CALLBACK (on_chooser_response), self);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* ---- Save ----------------------------------------------------------------- */

typedef struct {
  CradleTypeDraft *draft;     /* a copy: the form stays the user's */
  CradleTypeScope  scope;
  char            *challenge; /* (nullable): wiped when freed */
} SaveJob;

static void
save_job_free (SaveJob *job)
{
  g_clear_object (&job->draft);
  if (job->challenge != NULL)
    explicit_bzero (job->challenge, strlen (job->challenge));
  g_free (job->challenge);
  g_free (job);
}

/* In a thread: saving for everyone asks for an administrator (pkexec). */
static void
save_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  SaveJob *job = task_data;
  GError *error = NULL;

  if (cradle_type_store_save (job->draft, job->scope, job->challenge, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
save_done (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  CradleTypeEditor *self = CRADLE_TYPE_EDITOR (source_object);
  g_autoptr(GError) error = NULL;
  g_autofree char *title = NULL;
  g_autofree char *text = NULL;

  gboolean saved = g_task_propagate_boolean (G_TASK (result), &error);

  /* Closed meanwhile: its widgets are gone. */
  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  self->saving = FALSE;
  update_actions (self);
  if (!saved)
    {
      AdwToast *toast;

      text = g_strdup_printf (_("Not saved: %s"), error->message);
      /* The error may quote a file's text: no markup. */
      toast = cradle_toast_new_plain (text);
      adw_toast_set_timeout (toast, 0);
      adw_toast_overlay_add_toast (self->toast_overlay, toast);
      return;
    }
  gtk_editable_set_text (GTK_EDITABLE (self->challenge_row), "");
  title = dup_string (self, "display-name");
  if (title == NULL)
    title = dup_string (self, "name");
  g_signal_emit (self, signals[SIGNAL_SAVED], 0, title);
  gtk_window_close (GTK_WINDOW (self));
}

static void
save_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  CradleTypeEditor *self = CRADLE_TYPE_EDITOR (widget);
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL;
  g_autofree char *source = dup_string (self, "source");
  g_autofree char *name = dup_string (self, "name");
  g_autofree char *protocol = dup_string (self, "protocol");
  const char *challenge = gtk_editable_get_text (GTK_EDITABLE (self->challenge_row));
  SaveJob *job;

  if (!self->valid || self->saving)
    return;
  data = cradle_type_draft_dup_data (self->draft);
  job = g_new0 (SaveJob, 1);
  job->draft = cradle_type_draft_new_from_data (source != NULL ? source : name, data, strlen (data), &error);
  if (job->draft == NULL)
    {
      save_job_free (job);
      adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (_("Not saved: the type does not read back "
                                                                         "as it was written; this is a bug in "
                                                                         "Cradle")));
      g_warning ("A draft does not read back: %s", error->message);
      return;
    }
  job->scope = gtk_switch_get_active (self->system_switch) ? CRADLE_TYPE_SCOPE_SYSTEM : CRADLE_TYPE_SCOPE_USER;
  if (g_strcmp0 (protocol, "scep") == 0 && challenge != NULL && *challenge != '\0')
    job->challenge = g_strdup (challenge);
  g_info ("Saving the type %s for %s", name, job->scope == CRADLE_TYPE_SCOPE_SYSTEM ? "everyone" : "this user");
  self->saving = TRUE;
  update_actions (self);
  task = g_task_new (self, self->cancellable, save_done, NULL);
  g_task_set_source_tag (task, save_action);
  g_task_set_task_data (task, job, (GDestroyNotify) save_job_free);
  g_task_run_in_thread (task, save_thread);
}

/* ---- the object -------------------------------------------------------- */

static void
cradle_type_editor_dispose (GObject *object)
{
  CradleTypeEditor *self = CRADLE_TYPE_EDITOR (object);

  g_cancellable_cancel (self->cancellable);
  if (self->draft != NULL)
    g_signal_handlers_disconnect_by_data (self->draft, self);
  if (self->chooser != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->chooser, self);
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
      g_clear_object (&self->chooser);
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), CRADLE_TYPE_TYPE_EDITOR);
  g_clear_object (&self->draft);
  g_clear_object (&self->credentials);

  G_OBJECT_CLASS (cradle_type_editor_parent_class)->dispose (object);
}

static void
cradle_type_editor_finalize (GObject *object)
{
  CradleTypeEditor *self = CRADLE_TYPE_EDITOR (object);

  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (cradle_type_editor_parent_class)->finalize (object);
}

static void
cradle_type_editor_class_init (CradleTypeEditorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cradle_type_editor_dispose;
  object_class->finalize = cradle_type_editor_finalize;

  signals[SIGNAL_SAVED] = g_signal_new ("saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                        NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/cradle/Cradle/cradle-type-editor.ui");
  gtk_widget_class_bind_template_child (widget_class, CradleTypeEditor, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, CradleTypeEditor, save_button);
  gtk_widget_class_bind_template_child (widget_class, CradleTypeEditor, save_spinner);
  gtk_widget_class_bind_template_child (widget_class, CradleTypeEditor, banner);
  gtk_widget_class_bind_template_child (widget_class, CradleTypeEditor, banner_label);
  gtk_widget_class_bind_template_child (widget_class, CradleTypeEditor, page);
  gtk_widget_class_bind_template_child (widget_class, CradleTypeEditor, display_name_row);
  gtk_widget_class_bind_template_child (widget_class, CradleTypeEditor, name_row);
  gtk_widget_class_bind_template_child (widget_class, CradleTypeEditor, protocol_row);
  gtk_widget_class_bind_template_child (widget_class, CradleTypeEditor, url_row);
  gtk_widget_class_bind_template_child (widget_class, CradleTypeEditor, policy_url_row);
  gtk_widget_class_bind_template_child (widget_class, CradleTypeEditor, tls_row);
  gtk_widget_class_bind_template_child (widget_class, CradleTypeEditor, tls_switch);
  gtk_widget_class_bind_template_child (widget_class, CradleTypeEditor, plain_warning_row);
  gtk_widget_class_bind_template_child (widget_class, CradleTypeEditor, auth_row);
  gtk_widget_class_bind_template_child (widget_class, CradleTypeEditor, timeout_row);
  gtk_widget_class_bind_template_child (widget_class, CradleTypeEditor, timeout_spin);
  gtk_widget_class_bind_template_child (widget_class, CradleTypeEditor, template_row);
  gtk_widget_class_bind_template_child (widget_class, CradleTypeEditor, label_row);
  gtk_widget_class_bind_template_child (widget_class, CradleTypeEditor, key_type_row);
  gtk_widget_class_bind_template_child (widget_class, CradleTypeEditor, subject_row);
  gtk_widget_class_bind_template_child (widget_class, CradleTypeEditor, trust_anchors_row);
  gtk_widget_class_bind_template_child (widget_class, CradleTypeEditor, fingerprint_row);
  gtk_widget_class_bind_template_child (widget_class, CradleTypeEditor, challenge_row);
  gtk_widget_class_bind_template_child (widget_class, CradleTypeEditor, scope_group);
  gtk_widget_class_bind_template_child (widget_class, CradleTypeEditor, system_row);
  gtk_widget_class_bind_template_child (widget_class, CradleTypeEditor, system_switch);
  gtk_widget_class_bind_template_child (widget_class, CradleTypeEditor, test_spinner);
  gtk_widget_class_bind_template_child (widget_class, CradleTypeEditor, test_list);

  gtk_widget_class_install_action (widget_class, "editor.save", NULL, save_action);
  gtk_widget_class_install_action (widget_class, "editor.test", NULL, test_action);
  gtk_widget_class_install_action (widget_class, "editor.choose-anchors", NULL, choose_anchors_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "editor.save", NULL);
}

static void
cradle_type_editor_init (CradleTypeEditor *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

CradleTypeEditor *
cradle_type_editor_new (GtkWindow         *parent,
                        CradleTypeDraft   *draft,
                        CradleTypeScope    scope,
                        CradleCredentials *credentials)
{
  CradleTypeEditor *self = g_object_new (CRADLE_TYPE_TYPE_EDITOR, "transient-for", parent, NULL);

  self->credentials = credentials != NULL ? g_object_ref (credentials) : NULL;
  self->scope = scope;
  self->editing = draft != NULL;
  if (draft != NULL)
    {
      g_autofree char *source = NULL;
      g_autofree char *data = cradle_type_draft_dup_data (draft);
      g_autoptr(GError) error = NULL;

      g_object_get (draft, "source", &source, NULL);
      self->draft = cradle_type_draft_new_from_data (source, data, strlen (data), &error);
      if (self->draft == NULL)
        {
          g_warning ("A listed type does not read back: %s", error->message);
          self->draft = g_object_ref (draft);
        }
      gtk_window_set_title (GTK_WINDOW (self), _("Edit Certificate Type"));
    }
  else
    self->draft = cradle_type_draft_new ();
  /* The combo rows show a choice: the draft holds the one shown. */
  {
    g_autofree char *protocol = dup_string (self, "protocol");
    g_autofree char *auth = dup_string (self, "auth");

    if (index_of (protocols, protocol) == GTK_INVALID_LIST_POSITION)
      g_object_set (self->draft, "protocol", "certsrv", NULL);
    g_free (protocol);
    protocol = dup_string (self, "protocol");
    if (index_of (auths, auth) == GTK_INVALID_LIST_POSITION)
      g_object_set (self->draft, "auth", g_strcmp0 (protocol, "scep") == 0 ? "none" : "kerberos", NULL);
  }

  bind_entry (self, "display-name", self->display_name_row);
  bind_entry (self, "name", self->name_row);
  bind_combo (self, "protocol", self->protocol_row, protocols);
  bind_entry (self, "url", self->url_row);
  bind_entry (self, "policy-url", self->policy_url_row);
  g_object_bind_property (self->draft, "require-tls", self->tls_switch, "active",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  bind_combo (self, "auth", self->auth_row, auths);
  g_object_bind_property (self->draft, "timeout", self->timeout_spin, "value",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  bind_entry (self, "template", self->template_row);
  bind_entry (self, "label", self->label_row);
  bind_combo (self, "key-type", self->key_type_row, key_types);
  bind_entry (self, "subject", self->subject_row);
  bind_entry (self, "trust-anchors", self->trust_anchors_row);
  bind_entry (self, "ca-fingerprint", self->fingerprint_row);

  /* The name is the file's and what cradlectl takes: a new name is a new type. */
  gtk_editable_set_editable (GTK_EDITABLE (self->name_row), !self->editing);
  gtk_switch_set_active (self->system_switch, scope == CRADLE_TYPE_SCOPE_SYSTEM);
  gtk_widget_set_sensitive (GTK_WIDGET (self->system_row), !self->editing);

  g_signal_connect_swapped (self->draft, "notify::protocol", G_CALLBACK (on_protocol_changed), self);
  g_signal_connect (self->draft, "notify", G_CALLBACK (on_draft_notify), self);
  update_rows (self);
  validate (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->editing ? GTK_WIDGET (self->url_row)
                                                   : GTK_WIDGET (self->display_name_row)));
  return self;
}
