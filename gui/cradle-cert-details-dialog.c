/* cradle-cert-details-dialog.c: one certificate of the device, in full, with Export and Remove
 *
 * A view of a CradleCertDetails: every text in it comes from the device's
 * certificate, escaped already by libcradle (cradle_text_escape()), and
 * goes into rows that take no markup.  Export… saves the certificate (never
 * a key: the device does not give it) as PEM or DER through the desktop's
 * file chooser; Remove… is the window's to do ("remove"), since it needs
 * the device.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cradle-cert-details-dialog.h"
#include "cradle-cert-row.h"
#include "cradle-plain-text.h"

struct _CradleCertDetailsDialog
{
  AdwWindow parent_instance;

  /* Owned */
  CradleCertDetails    *details;
  GtkFileChooserNative *chooser;   /* while Export… asks where */

  /* Template widgets */
  AdwWindowTitle       *window_title;
  GtkButton            *export_button;
  GtkButton            *remove_button;
  AdwToastOverlay      *toast_overlay;
  AdwPreferencesGroup  *certificate_group;
  AdwPreferencesGroup  *key_group;
  AdwPreferencesGroup  *names_group;
  AdwPreferencesGroup  *purposes_group;
  AdwPreferencesGroup  *chain_group;
  AdwPreferencesGroup  *fingerprints_group;
  AdwPreferencesGroup  *problems_group;
};

G_DEFINE_FINAL_TYPE (CradleCertDetailsDialog, cradle_cert_details_dialog, ADW_TYPE_WINDOW)

enum {
  SIGNAL_REMOVE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ---- rows -------------------------------------------------------------- */

/* A row of @group: @title in the small print, @value (plain text) under it. */
static AdwActionRow *
add_row (AdwPreferencesGroup *group,
         const char          *title,
         const char          *value)
{
  AdwActionRow *row = ADW_ACTION_ROW (adw_action_row_new ());

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (row, value != NULL ? value : "");
  adw_action_row_set_subtitle_lines (row, 0);
  gtk_widget_add_css_class (GTK_WIDGET (row), "property");
  adw_preferences_group_add (group, GTK_WIDGET (row));
  return row;
}

/* One row per line of @values, or @none when there are none. */
static void
add_list (AdwPreferencesGroup *group,
          const char          *title,
          const char * const  *values,
          const char          *none)
{
  if (values == NULL || values[0] == NULL)
    {
      add_row (group, title, none);
      return;
    }
  for (guint i = 0; values[i] != NULL; i++)
    add_row (group, title, values[i]);
}

static char *
format_date (GDateTime *when)
{
  g_autoptr(GDateTime) local = when != NULL ? g_date_time_to_local (when) : NULL;

  if (local == NULL)
    return g_strdup (_("Not given"));
  /* Translators: "21 November 2027, 14:05" */
  return g_date_time_format (local, _("%-d %B %Y, %H:%M"));
}

char *
cradle_cert_details_dialog_format_fingerprint (const char *hex)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (gsize i = 0; hex != NULL && hex[i] != '\0'; i++)
    {
      if (i > 0 && i % 2 == 0)
        g_string_append_c (text, ':');
      g_string_append_c (text, g_ascii_toupper (hex[i]));
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* The device's own word on the key (LIST_CERTS), which says "imported",
 * else the details'. */
static const char *
key_origin (CradleCertDetails *details)
{
  CradleDeviceCert *cert = cradle_cert_details_get_device_cert (details);

  if (cradle_device_cert_get_key_id (cert) == NULL)
    return "none";
  if (cradle_device_cert_get_key_origin (cert) != CRADLE_DEVICE_KEY_ORIGIN_NONE)
    return cradle_device_key_origin_to_string (cradle_device_cert_get_key_origin (cert));
  return cradle_cert_details_get_key_origin (details);
}

const char *
cradle_cert_details_dialog_describe_origin (const char *origin)
{
  if (g_strcmp0 (origin, "unknown") == 0)
    return _("The device holds a key for it, but does not say where the key came from.");
  if (g_strcmp0 (origin, "generated") == 0)
    return _("Made on the device. It has never left it.");
  if (g_strcmp0 (origin, "imported") == 0)
    return _("Imported from a file: this key was not made on the device, so a copy of it may exist elsewhere.");
  return _("The device holds no key for this certificate.");
}

static void
fill (CradleCertDetailsDialog *self)
{
  CradleCertDetails *details = self->details;
  GPtrArray *chain = cradle_cert_details_get_chain (details);
  const char * const *problems = cradle_cert_details_get_problems (details);
  g_autofree char *name = cradle_cert_row_dup_common_name (cradle_cert_details_get_subject (details));
  g_autofree char *not_before = format_date (cradle_cert_details_get_not_before (details));
  g_autofree char *not_after = format_date (cradle_cert_details_get_not_after (details));
  g_autofree char *sha256 = cradle_cert_details_dialog_format_fingerprint (cradle_cert_details_get_sha256 (details));
  g_autofree char *sha1 = cradle_cert_details_dialog_format_fingerprint (cradle_cert_details_get_sha1 (details));
  g_autofree char *serial = cradle_cert_details_dialog_format_fingerprint (cradle_cert_details_get_serial (details));
  g_autofree char *key_usage = NULL;
  const char * const *usages = cradle_cert_details_get_key_usage (details);
  gboolean personal = g_strcmp0 (cradle_cert_details_get_store (details), "MY") == 0;

  adw_window_title_set_subtitle (self->window_title, name);

  add_row (self->certificate_group, _("Subject"), cradle_cert_details_get_subject (details));
  add_row (self->certificate_group, _("Issuer"), cradle_cert_details_get_issuer (details));
  add_row (self->certificate_group, _("Valid from"), not_before);
  add_row (self->certificate_group, _("Valid until"), not_after);
  add_row (self->certificate_group, _("Serial number"), serial);
  add_row (self->certificate_group, _("Stored in"),
           cradle_cert_row_store_name (cradle_cert_details_get_store (details),
                                       cradle_cert_details_get_scope (details)));
  add_row (self->certificate_group, _("Template"),
           cradle_cert_details_get_template (details) ?: _("None named"));
  if (cradle_cert_details_is_ca (details))
    add_row (self->certificate_group, _("Kind"), _("A certification authority: it issues other certificates"));

  add_row (self->key_group, _("Where the key came from"),
           cradle_cert_details_dialog_describe_origin (key_origin (details)));
  if (personal && g_strcmp0 (key_origin (details), "none") != 0)
    add_row (self->key_group, _("On removal"),
             _("Removing this certificate retires its key on the device for good."));

  add_list (self->names_group, _("Name"), cradle_cert_details_get_sans (details), _("None"));
  if (cradle_cert_details_get_sans_omitted (details) > 0)
    {
      g_autofree char *more = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u more name, not shown",
                                                            "%u more names, not shown",
                                                            cradle_cert_details_get_sans_omitted (details)),
                                               cradle_cert_details_get_sans_omitted (details));

      add_row (self->names_group, _("Name"), more);
    }

  add_list (self->purposes_group, _("Extended key usage"), cradle_cert_details_get_ekus (details),
            _("Any purpose (none named)"));
  if (usages != NULL && usages[0] != NULL)
    key_usage = g_strjoinv (", ", (char **) usages);
  add_row (self->purposes_group, _("Key usage"), key_usage != NULL ? key_usage : _("Not restricted"));

  for (guint i = 0; chain != NULL && i < chain->len; i++)
    {
      CradleCertDetails *issuer = g_ptr_array_index (chain, i);
      g_autofree char *issuer_sha256 = cradle_cert_details_dialog_format_fingerprint (cradle_cert_details_get_sha256 (issuer));
      /* Translators: where an issuer was found on the device, and its fingerprint */
      g_autofree char *where = g_strdup_printf (_("%s · SHA-256 %s"),
                                                cradle_cert_row_store_name (cradle_cert_details_get_store (issuer),
                                                                            cradle_cert_details_get_scope (issuer)),
                                                issuer_sha256);
      g_autofree char *issuer_name = cradle_cert_row_dup_common_name (cradle_cert_details_get_subject (issuer));
      AdwActionRow *row = add_row (self->chain_group, issuer_name, where);

      gtk_widget_remove_css_class (GTK_WIDGET (row), "property");
      gtk_widget_set_tooltip_text (GTK_WIDGET (row), cradle_cert_details_get_subject (issuer));
    }
  if (cradle_cert_details_chain_is_complete (details))
    adw_preferences_group_set_description (self->chain_group,
                                           _("Each verified by its signature, up to a root the device holds."));
  else
    adw_preferences_group_set_description (self->chain_group, cradle_cert_details_get_chain_problem (details));
  if (chain == NULL || chain->len == 0)
    add_row (self->chain_group, _("Issuer"),
             cradle_cert_details_chain_is_complete (details) ? _("Itself: a self-signed root")
                                                             : _("Not found on the device"));

  add_row (self->fingerprints_group, _("SHA-256"), sha256);
  add_row (self->fingerprints_group, _("SHA-1"), sha1);

  for (guint i = 0; problems != NULL && problems[i] != NULL; i++)
    add_row (self->problems_group, _("Problem"), problems[i]);
  gtk_widget_set_visible (GTK_WIDGET (self->problems_group), problems != NULL && problems[0] != NULL);

  gtk_widget_set_tooltip_text (GTK_WIDGET (self->remove_button),
                               personal && g_strcmp0 (key_origin (details), "none") != 0
                                 ? _("Remove the certificate and retire its key on the device; the device asks you to confirm")
                                 : _("Remove the certificate from the device"));
}

/* ---- Export… ------------------------------------------------------------ */

/* The certificate's name as a file name: letters, digits and a few marks. */
static char *
suggested_name (CradleCertDetailsDialog *self)
{
  g_autofree char *name = cradle_cert_row_dup_common_name (cradle_cert_details_get_subject (self->details));
  g_autoptr(GString) file = g_string_new (NULL);

  for (const char *p = name; *p != '\0' && file->len < 64; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isalnum (c) || c == '-' || c == '_' || c == '.' || c == ' ')
        g_string_append_unichar (file, c);
      else
        g_string_append_c (file, '_');
    }
  g_strstrip (file->str);
  if (file->str[0] == '\0' || file->str[0] == '.')
    g_string_assign (file, "certificate");
  g_string_append (file, ".pem");
  return g_string_free (g_steal_pointer (&file), FALSE);
}

static void
on_export_response (GtkNativeDialog         *chooser,
                    int                      response,
                    CradleCertDetailsDialog *self)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  const char *choice;
  CradleCertFormat format;

  if (response != GTK_RESPONSE_ACCEPT)
    goto out;
  choice = gtk_file_chooser_get_choice (GTK_FILE_CHOOSER (chooser), "format");
  format = g_strcmp0 (choice, "der") == 0 ? CRADLE_CERT_FORMAT_DER : CRADLE_CERT_FORMAT_PEM;
  file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  path = file != NULL ? g_file_get_path (file) : NULL;
  if (path == NULL)
    {
      cradle_cert_details_dialog_toast (self, _("Cradle can save only to a folder of this computer. Choose another."));
      goto out;
    }
  if (!cradle_cert_details_export_to_file (self->details, format, path, &error))
    {
      text = g_strdup_printf (_("The certificate was not saved: %s"), error->message);
      cradle_cert_details_dialog_toast (self, text);
      goto out;
    }
  g_info ("Exported %s as %s", cradle_cert_details_get_sha256 (self->details),
          format == CRADLE_CERT_FORMAT_DER ? "DER" : "PEM");
  /* Translators: "Saved as PEM to /home/alice/Alice.pem" */
  text = g_strdup_printf (_("Saved as %s to %s"), format == CRADLE_CERT_FORMAT_DER ? "DER" : "PEM", path);
  cradle_cert_details_dialog_toast (self, text);

out:
  g_clear_object (&self->chooser);
}

static void
on_export_clicked (CradleCertDetailsDialog *self)
{
  const char *format_ids[] = { "pem", "der", NULL };
  const char *format_labels[] = { _("PEM (text, .pem)"), _("DER (binary, .cer)"), NULL };
  g_autofree char *name = suggested_name (self);

  if (self->chooser != NULL)
    return;
  self->chooser = gtk_file_chooser_native_new (_("Export the Certificate"), GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), name);
  gtk_file_chooser_add_choice (GTK_FILE_CHOOSER (self->chooser), "format", _("Format"), format_ids, format_labels);
  gtk_file_chooser_set_choice (GTK_FILE_CHOOSER (self->chooser), "format", "pem");
  g_signal_connect (self->chooser, "response", G_CALLBACK (on_export_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
on_remove_clicked (CradleCertDetailsDialog *self)
{
  g_signal_emit (self, signals[SIGNAL_REMOVE], 0);
}

/* ---- the API ------------------------------------------------------------ */

void
cradle_cert_details_dialog_set_busy (CradleCertDetailsDialog *self,
                                     gboolean                 busy)
{
  g_return_if_fail (CRADLE_IS_CERT_DETAILS_DIALOG (self));

  gtk_widget_set_sensitive (GTK_WIDGET (self->remove_button), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->export_button), !busy);
}

void
cradle_cert_details_dialog_toast (CradleCertDetailsDialog *self,
                                  const char              *text)
{
  AdwToast *toast;

  g_return_if_fail (CRADLE_IS_CERT_DETAILS_DIALOG (self));

  toast = cradle_toast_new_plain (text);
  adw_toast_set_timeout (toast, 5);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

CradleCertDetails *
cradle_cert_details_dialog_get_details (CradleCertDetailsDialog *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_DETAILS_DIALOG (self), NULL);

  return self->details;
}

/* ---- the object -------------------------------------------------------- */

static void
cradle_cert_details_dialog_dispose (GObject *object)
{
  CradleCertDetailsDialog *self = CRADLE_CERT_DETAILS_DIALOG (object);

  if (self->chooser != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->chooser, self);
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
      g_clear_object (&self->chooser);
    }
  g_clear_object (&self->details);
  gtk_widget_dispose_template (GTK_WIDGET (self), CRADLE_TYPE_CERT_DETAILS_DIALOG);

  G_OBJECT_CLASS (cradle_cert_details_dialog_parent_class)->dispose (object);
}

static void
cradle_cert_details_dialog_class_init (CradleCertDetailsDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cradle_cert_details_dialog_dispose;

  /* Remove… was clicked: the window asks, then the device. */
  signals[SIGNAL_REMOVE] =
    g_signal_new ("remove", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/cradle/Cradle/cradle-cert-details-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, CradleCertDetailsDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, CradleCertDetailsDialog, export_button);
  gtk_widget_class_bind_template_child (widget_class, CradleCertDetailsDialog, remove_button);
  gtk_widget_class_bind_template_child (widget_class, CradleCertDetailsDialog, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, CradleCertDetailsDialog, certificate_group);
  gtk_widget_class_bind_template_child (widget_class, CradleCertDetailsDialog, key_group);
  gtk_widget_class_bind_template_child (widget_class, CradleCertDetailsDialog, names_group);
  gtk_widget_class_bind_template_child (widget_class, CradleCertDetailsDialog, purposes_group);
  gtk_widget_class_bind_template_child (widget_class, CradleCertDetailsDialog, chain_group);
  gtk_widget_class_bind_template_child (widget_class, CradleCertDetailsDialog, fingerprints_group);
  gtk_widget_class_bind_template_child (widget_class, CradleCertDetailsDialog, problems_group);
  gtk_widget_class_bind_template_callback (widget_class, on_export_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_remove_clicked);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
cradle_cert_details_dialog_init (CradleCertDetailsDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

CradleCertDetailsDialog *
cradle_cert_details_dialog_new (GtkWindow         *parent,
                                CradleCertDetails *details)
{
  CradleCertDetailsDialog *self;

  g_return_val_if_fail (CRADLE_IS_CERT_DETAILS (details), NULL);

  self = g_object_new (CRADLE_TYPE_CERT_DETAILS_DIALOG, "transient-for", parent, NULL);
  self->details = g_object_ref (details);
  fill (self);
  return self;
}
