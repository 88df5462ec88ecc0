/* cradle-sign-in-dialog.c: asks for the domain password when there is no Kerberos ticket
 *
 * The password stays in GTK's password buffer (not swapped, wiped when
 * freed) until the window has copied it into its credentials, which wipe
 * theirs too; the field is emptied right after.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cradle-sign-in-dialog.h"

struct _CradleSignInDialog
{
  AdwMessageDialog parent_instance;

  /* Template widgets */
  AdwEntryRow         *user_row;
  AdwPasswordEntryRow *password_row;
};

G_DEFINE_FINAL_TYPE (CradleSignInDialog, cradle_sign_in_dialog, ADW_TYPE_MESSAGE_DIALOG)

static void
on_changed (CradleSignInDialog *self)
{
  gboolean ready = *gtk_editable_get_text (GTK_EDITABLE (self->user_row)) != '\0' &&
                   *gtk_editable_get_text (GTK_EDITABLE (self->password_row)) != '\0';

  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), "sign-in", ready);
}

static void
cradle_sign_in_dialog_class_init (CradleSignInDialogClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/cradle/Cradle/cradle-sign-in-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, CradleSignInDialog, user_row);
  gtk_widget_class_bind_template_child (widget_class, CradleSignInDialog, password_row);
  gtk_widget_class_bind_template_callback (widget_class, on_changed);
}

static void
cradle_sign_in_dialog_init (CradleSignInDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

CradleSignInDialog *
cradle_sign_in_dialog_new (GtkWindow  *parent,
                           const char *user,
                           const char *why)
{
  CradleSignInDialog *self = g_object_new (CRADLE_TYPE_SIGN_IN_DIALOG,
                                           "transient-for", parent,
                                           "modal", TRUE,
                                           NULL);
  g_autofree char *body = NULL;
  const char *ask = _("Enter your domain user name and password. Cradle keeps the password in memory "
                      "only, until you close it, to sign in to the domain and the certification authority.");

  body = why != NULL ? g_strdup_printf ("%s\n\n%s", why, ask) : g_strdup (ask);
  adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (self), body);
  if (user != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->user_row), user);
  gtk_widget_grab_focus (user != NULL ? GTK_WIDGET (self->password_row) : GTK_WIDGET (self->user_row));
  return self;
}

const char *
cradle_sign_in_dialog_get_user (CradleSignInDialog *self)
{
  return gtk_editable_get_text (GTK_EDITABLE (self->user_row));
}

const char *
cradle_sign_in_dialog_get_password (CradleSignInDialog *self)
{
  return gtk_editable_get_text (GTK_EDITABLE (self->password_row));
}

void
cradle_sign_in_dialog_clear_password (CradleSignInDialog *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
}
