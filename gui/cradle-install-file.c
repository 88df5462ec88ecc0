/* cradle-install-file.c: one certificate file onto the device, asked step by step
 *
 * Read (off the main thread; libcradle bounds its size), its password asked
 * when it is a PFX/P12 and the file opened with it (off the main thread:
 * key derivation may take a while), then what will be installed where shown
 * before anything goes: the certificate with its key, the chain, a root
 * with the fingerprint the device will show.  Installing pairs with the
 * device first when this computer is not paired yet; the device's own
 * questions (import the key? trust this root?) are shown while it waits.
 * How it ended is said in a dialog, in words for people.
 *
 * The password is copied out of GTK's password field (which wipes its own
 * buffer) only to open the file, wiped with cradle_cert_file_free_password()
 * right after, and never logged.  The file's key is wiped by libcradle once
 * it went to the device, or here when the user stops.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cradle-cert-row.h"
#include "cradle-install-file.h"

struct _CradleInstallFile
{
  GObject parent_instance;

  /* Owned */
  CradleDevice       *device;
  CradlePendingStore *pending;
  GFile              *file;
  char               *name;         /* for people: the file's name, escaped */
  GBytes             *data;
  CradleCertFile     *cert_file;
  GCancellable       *cancellable;

  /* Borrowed */
  GtkWindow          *parent;       /* weak */
  AdwMessageDialog   *progress;     /* weak: "Confirm on your device" */
};

G_DEFINE_FINAL_TYPE (CradleInstallFile, cradle_install_file, G_TYPE_OBJECT)

enum {
  SIGNAL_INSTALLING,
  SIGNAL_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void ask_password (CradleInstallFile *self,
                          const char        *why);

/* ---- dialogs ------------------------------------------------------------ */

static AdwMessageDialog *
message_new (CradleInstallFile *self,
             const char        *heading,
             const char        *body)
{
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (self->parent, heading, NULL));

  gtk_window_set_destroy_with_parent (GTK_WINDOW (dialog), TRUE);
  /* The body holds the file's and the device's words: plain text. */
  adw_message_dialog_set_body_use_markup (dialog, FALSE);
  if (body != NULL)
    adw_message_dialog_set_body (dialog, body);
  return dialog;
}

/* Says how it ended and tells the window. */
static void
finish (CradleInstallFile *self,
        guint              added,
        const GError      *error)
{
  g_autoptr(CradleInstallFile) hold = g_object_ref (self);

  if (self->progress != NULL)
    gtk_window_destroy (GTK_WINDOW (self->progress));
  if (self->cert_file != NULL)
    cradle_cert_file_clear_key (self->cert_file);
  if (error == NULL || !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autofree char *body = NULL;
      AdwMessageDialog *dialog;

      if (error == NULL)
        {
          gboolean key = self->cert_file != NULL && cradle_cert_file_get_format (self->cert_file) == CRADLE_CERT_FILE_PFX;
          g_autofree char *what = NULL;

          if (added == 0)
            what = g_strdup_printf (_("The device held everything in “%s” already."), self->name);
          else
            /* Translators: "3 certificates from “alice.pfx” are on the device now." */
            what = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u certificate from “%s” is on the device now.",
                                                 "%u certificates from “%s” are on the device now.", added),
                                    added, self->name);
          body = key ? g_strdup_printf (_("%s Its key was imported: the device marks it as not made on the "
                                          "device."), what)
                     : g_steal_pointer (&what);
          dialog = message_new (self, _("Certificate File Installed"), body);
        }
      else if (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_USER_DECLINED))
        {
          body = g_strdup_printf (_("It was declined on the device, so nothing of “%s” was installed."), self->name);
          dialog = message_new (self, _("Not Installed"), body);
        }
      else
        {
          body = g_strdup_printf (_("Nothing of “%s” was installed. %s"), self->name, error->message);
          dialog = message_new (self, _("Could Not Install the File"), body);
        }
      adw_message_dialog_add_response (dialog, "close", _("_Close"));
      gtk_window_present (GTK_WINDOW (dialog));
    }
  g_info ("Installing a certificate file: %s", error == NULL ? "installed" : error->message);
  g_signal_emit (self, signals[SIGNAL_FINISHED], 0, added, error);
}

static void
finish_with_error (CradleInstallFile *self,
                   GError            *error)
{
  g_autoptr(GError) owned = error;

  finish (self, 0, owned);
}

/* ---- installing: the device asks its user ------------------------------- */

static void
on_device_waiting (CradleDevice      *device,
                   guint              status,
                   const char        *prompt,
                   CradleInstallFile *self)
{
  g_autofree char *text = NULL;

  if (self->progress == NULL)
    return;
  if (status == CRADLE_DEVICE_WAITING_PAIRING && prompt != NULL)
    text = g_strdup (prompt);   /* this computer's words and code */
  else if (status == 1)
    text = g_strdup (_("Your device asks you to confirm: check what it shows, then answer on the device."));
  else
    text = g_strdup (_("The device is installing the file…"));
  adw_message_dialog_set_body (self->progress, text);
}

static void
install_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  CradleInstallFile *self = source_object;
  GError *error = NULL;
  guint added = 0;

  /* Not paired yet: the device asks its user to trust this computer first. */
  if (!cradle_device_is_paired (self->device) && !cradle_device_pair (self->device, cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (!cradle_cert_file_install (self->cert_file, self->device, self->pending, &added, cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_int (task, added);
}

static void
install_done (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  CradleInstallFile *self = CRADLE_INSTALL_FILE (source_object);
  GError *error = NULL;
  gssize added = g_task_propagate_int (G_TASK (result), &error);

  g_signal_handlers_disconnect_by_func (self->device, on_device_waiting, self);
  if (error != NULL)
    finish_with_error (self, error);
  else
    finish (self, (guint) added, NULL);
}

static void
on_progress_response (AdwMessageDialog  *dialog,
                      const char        *response,
                      CradleInstallFile *self)
{
  g_cancellable_cancel (self->cancellable);
}

static void
install (CradleInstallFile *self)
{
  g_autoptr(GTask) task = NULL;
  AdwMessageDialog *dialog;

  dialog = message_new (self, _("Confirm on Your Device"),
                        _("Cradle is sending the file to the device. The device asks you to confirm what it takes."));
  adw_message_dialog_add_response (dialog, "cancel", _("_Cancel"));
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_progress_response), self, 0);
  g_set_weak_pointer (&self->progress, dialog);
  gtk_window_present (GTK_WINDOW (dialog));

  g_signal_connect_object (self->device, "waiting", G_CALLBACK (on_device_waiting), self, 0);
  g_signal_emit (self, signals[SIGNAL_INSTALLING], 0);
  g_info ("Installing a %s file on %s", cradle_cert_file_format_to_string (cradle_cert_file_get_format (self->cert_file)),
          cradle_device_get_serial (self->device));
  task = g_task_new (self, self->cancellable, install_done, NULL);
  g_task_set_source_tag (task, install);
  g_task_run_in_thread (task, install_thread);
}

/* ---- what goes where: asked before anything goes ------------------------- */

char *
cradle_install_file_describe_role (CradleCertRole  role,
                                   gboolean        with_key,
                                   const char     *sha256)
{
  g_autoptr(GString) fingerprint = g_string_new (NULL);

  switch (role)
    {
    case CRADLE_CERT_ROLE_END_ENTITY:
      return g_strdup (with_key ? _("Personal certificate, with its key from the file")
                                : _("Personal certificate, for a key the device made"));
    case CRADLE_CERT_ROLE_CA:
      return g_strdup (_("Intermediate certification authority"));
    case CRADLE_CERT_ROLE_ROOT:
    default:
      for (gsize i = 0; sha256 != NULL && sha256[i] != '\0'; i++)
        {
          if (i > 0 && i % 2 == 0)
            g_string_append_c (fingerprint, ':');
          g_string_append_c (fingerprint, g_ascii_toupper (sha256[i]));
        }
      /* Translators: a root certificate, and the fingerprint the device shows */
      return g_strdup_printf (_("Trusted root: the device asks you to trust it. Compare its fingerprint, SHA-256 %s, "
                                "with the one your administrator gave you."),
                              fingerprint->str);
    }
}

static GtkWidget *
plain_row_new (const char *title,
               const char *subtitle)
{
  AdwActionRow *row = ADW_ACTION_ROW (adw_action_row_new ());

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (row, subtitle);
  adw_action_row_set_subtitle_lines (row, 0);
  return GTK_WIDGET (row);
}

static void
on_confirm_response (AdwMessageDialog  *dialog,
                     const char        *response,
                     CradleInstallFile *self)
{
  if (g_strcmp0 (response, "install") == 0)
    install (self);
  else
    finish_with_error (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Not installed")));
}

static void
confirm (CradleInstallFile *self)
{
  GPtrArray *certificates = cradle_cert_file_get_certificates (self->cert_file);
  gboolean key = cradle_cert_file_has_key (self->cert_file);
  g_autofree char *heading = NULL;
  g_autofree char *model = cradle_text_escape (cradle_device_get_model (self->device) ?: _("the device"), -1,
                                               CRADLE_TEXT_ESCAPE_DEFAULT);
  GtkWidget *list = gtk_list_box_new ();
  AdwMessageDialog *dialog;

  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  gtk_accessible_update_property (GTK_ACCESSIBLE (list), GTK_ACCESSIBLE_PROPERTY_LABEL, _("What is installed"), -1);
  if (key)
    gtk_list_box_append (GTK_LIST_BOX (list),
                         plain_row_new (_("Private key"),
                                        _("Imported into the device, which marks it as not made on the device. "
                                          "The device asks you to confirm; Cradle wipes its copy after.")));
  for (guint i = 0; i < certificates->len; i++)
    {
      CradleCertificate *certificate = g_ptr_array_index (certificates, i);
      CradleCertRole role = cradle_cert_file_get_role (self->cert_file, i);
      g_autofree char *name = cradle_cert_row_dup_common_name (cradle_certificate_get_subject (certificate));
      g_autofree char *title = cradle_text_escape (name, -1, CRADLE_TEXT_ESCAPE_DEFAULT);
      g_autofree char *what = cradle_install_file_describe_role (role, key, cradle_certificate_get_sha256 (certificate));

      gtk_list_box_append (GTK_LIST_BOX (list), plain_row_new (title, what));
    }

  /* Translators: "Install on Test Phone?" */
  heading = g_strdup_printf (_("Install on %s?"), model);
  dialog = message_new (self, heading, NULL);
  {
    g_autofree char *body = g_strdup_printf (_("From “%s”, Cradle installs all of this at once, or nothing:"),
                                             self->name);

    adw_message_dialog_set_body (dialog, body);
  }
  adw_message_dialog_set_extra_child (dialog, list);
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "install", _("_Install"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "install", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "install");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_confirm_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- opening the file, with its password -------------------------------- */

typedef struct {
  char   *name;
  GBytes *data;
  char   *password;   /* wiped */
} OpenJob;

static void
open_job_free (gpointer data)
{
  OpenJob *job = data;

  cradle_cert_file_free_password (job->password);
  g_free (job->name);
  g_bytes_unref (job->data);
  g_free (job);
}

static void
open_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  OpenJob *job = task_data;
  GError *error = NULL;
  CradleCertFile *cert_file = cradle_cert_file_new (job->name, job->data, job->password, &error);

  /* The password is wiped as soon as the file is open, not when the task goes. */
  g_clear_pointer (&job->password, cradle_cert_file_free_password);
  if (cert_file == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, cert_file, g_object_unref);
}

static void
open_done (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  CradleInstallFile *self = CRADLE_INSTALL_FILE (source_object);
  GError *error = NULL;
  CradleCertFile *cert_file = g_task_propagate_pointer (G_TASK (result), &error);

  if (cert_file == NULL)
    {
      if (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED))
        {
          ask_password (self, error->message);
          g_error_free (error);
          return;
        }
      finish_with_error (self, error);
      return;
    }
  self->cert_file = cert_file;
  confirm (self);
}

/* @password: (transfer full) (nullable): wiped once used */
static void
open_file (CradleInstallFile *self,
           char              *password)
{
  g_autoptr(GTask) task = g_task_new (self, self->cancellable, open_done, NULL);
  OpenJob *job = g_new0 (OpenJob, 1);

  job->name = g_file_get_basename (self->file);
  job->data = g_bytes_ref (self->data);
  job->password = password;
  g_task_set_source_tag (task, open_file);
  g_task_set_task_data (task, job, open_job_free);
  g_task_run_in_thread (task, open_thread);
}

static void
on_password_changed (GtkEditable      *entry,
                     AdwMessageDialog *dialog)
{
  adw_message_dialog_set_response_enabled (dialog, "open", *gtk_editable_get_text (entry) != '\0');
}

static void
on_password_response (AdwMessageDialog  *dialog,
                      const char        *response,
                      CradleInstallFile *self)
{
  GtkEditable *entry = g_object_get_data (G_OBJECT (dialog), "cradle-password");

  if (g_strcmp0 (response, "open") == 0)
    open_file (self, g_strdup (gtk_editable_get_text (entry)));
  else
    finish_with_error (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Not installed")));
  /* GTK's password buffer wipes what it held. */
  gtk_editable_set_text (entry, "");
}

static void
ask_password (CradleInstallFile *self,
              const char        *why)
{
  const char *ask = _("The file holds a private key, locked with a password. Whoever gave you the file can tell "
                      "you its password. Cradle uses it to open the file only, and forgets it at once.");
  g_autofree char *heading = g_strdup_printf (_("Password for “%s”"), self->name);
  g_autofree char *body = why != NULL ? g_strdup_printf ("%s\n\n%s", why, ask) : g_strdup (ask);
  AdwMessageDialog *dialog = message_new (self, heading, body);
  GtkWidget *list = gtk_list_box_new ();
  GtkWidget *entry = adw_password_entry_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (entry), _("Password"));
  adw_entry_row_set_activates_default (ADW_ENTRY_ROW (entry), TRUE);
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  gtk_list_box_append (GTK_LIST_BOX (list), entry);
  adw_message_dialog_set_extra_child (dialog, list);
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "open", _("_Open"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "open", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_response_enabled (dialog, "open", FALSE);
  adw_message_dialog_set_default_response (dialog, "open");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data (G_OBJECT (dialog), "cradle-password", entry);
  g_signal_connect (entry, "changed", G_CALLBACK (on_password_changed), dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_password_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GFile *file = task_data;
  g_autofree char *path = g_file_get_path (file);
  GError *error = NULL;
  GBytes *data;

  if (path == NULL)
    {
      g_task_return_new_error (task, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                               _("Cradle opens only files on this computer. Save the file to a folder here first."));
      return;
    }
  data = cradle_cert_file_load (path, &error);
  if (data == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, data, (GDestroyNotify) g_bytes_unref);
}

static void
load_done (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  CradleInstallFile *self = CRADLE_INSTALL_FILE (source_object);
  GError *error = NULL;

  self->data = g_task_propagate_pointer (G_TASK (result), &error);
  if (self->data == NULL)
    {
      finish_with_error (self, error);
      return;
    }
  if (cradle_cert_file_needs_password (self->data))
    ask_password (self, NULL);
  else
    open_file (self, NULL);
}

/* ---- the API ------------------------------------------------------------ */

void
cradle_install_file_start (CradleInstallFile *self)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CRADLE_IS_INSTALL_FILE (self));

  task = g_task_new (self, self->cancellable, load_done, NULL);
  g_task_set_source_tag (task, cradle_install_file_start);
  g_task_set_task_data (task, g_object_ref (self->file), g_object_unref);
  g_task_run_in_thread (task, load_thread);
}

void
cradle_install_file_cancel (CradleInstallFile *self)
{
  g_return_if_fail (CRADLE_IS_INSTALL_FILE (self));

  g_cancellable_cancel (self->cancellable);
}

CradleDevice *
cradle_install_file_get_device (CradleInstallFile *self)
{
  g_return_val_if_fail (CRADLE_IS_INSTALL_FILE (self), NULL);

  return self->device;
}

/* ---- the object -------------------------------------------------------- */

static void
cradle_install_file_dispose (GObject *object)
{
  CradleInstallFile *self = CRADLE_INSTALL_FILE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->device != NULL)
    g_signal_handlers_disconnect_by_data (self->device, self);
  if (self->cert_file != NULL)
    cradle_cert_file_clear_key (self->cert_file);
  g_clear_object (&self->cert_file);
  g_clear_object (&self->device);
  g_clear_object (&self->pending);
  g_clear_object (&self->file);
  g_clear_weak_pointer (&self->parent);
  g_clear_weak_pointer (&self->progress);

  G_OBJECT_CLASS (cradle_install_file_parent_class)->dispose (object);
}

static void
cradle_install_file_finalize (GObject *object)
{
  CradleInstallFile *self = CRADLE_INSTALL_FILE (object);

  g_clear_pointer (&self->data, g_bytes_unref);
  g_clear_pointer (&self->name, g_free);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (cradle_install_file_parent_class)->finalize (object);
}

static void
cradle_install_file_class_init (CradleInstallFileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cradle_install_file_dispose;
  object_class->finalize = cradle_install_file_finalize;

  signals[SIGNAL_INSTALLING] =
    g_signal_new ("installing", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_ERROR);
}

static void
cradle_install_file_init (CradleInstallFile *self)
{
  self->cancellable = g_cancellable_new ();
}

CradleInstallFile *
cradle_install_file_new (GtkWindow          *parent,
                         CradleDevice       *device,
                         CradlePendingStore *pending,
                         GFile              *file)
{
  CradleInstallFile *self;
  g_autofree char *basename = NULL;

  g_return_val_if_fail (CRADLE_IS_DEVICE (device), NULL);
  g_return_val_if_fail (G_IS_FILE (file), NULL);

  self = g_object_new (CRADLE_TYPE_INSTALL_FILE, NULL);
  g_set_weak_pointer (&self->parent, parent);
  self->device = g_object_ref (device);
  self->pending = pending != NULL ? g_object_ref (pending) : NULL;
  self->file = g_object_ref (file);
  basename = g_file_get_basename (file);
  self->name = cradle_text_escape (basename ?: "?", -1, CRADLE_TEXT_ESCAPE_DEFAULT);
  return self;
}
