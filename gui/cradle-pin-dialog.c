/* cradle-pin-dialog.c: asks for a token's PIN, or its officer's secret
 *
 * One dialog per question: a wrong PIN closes it, and the window asks
 * again with a new one that says why (the error table's words and the
 * tries left).  The PIN stays in GTK's password buffer (not swapped, wiped
 * when freed) until cradle_pin_dialog_take_secret() copies it for
 * cradle_device_log_in_async() and empties the field; the window wipes its
 * copy with cradle_pin_free() once the token has answered.  A locked PIN
 * gets the words and no field; a token with a pinpad gets a dialog that
 * waits while the PIN is typed on the token.
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "cradle-pin-dialog.h"

struct _CradlePinDialog
{
  AdwMessageDialog parent_instance;

  CradlePinDialogMode mode;

  /* Template widgets */
  GtkPasswordEntry *entry;
  GtkSpinner       *spinner;
};

G_DEFINE_FINAL_TYPE (CradlePinDialog, cradle_pin_dialog, ADW_TYPE_MESSAGE_DIALOG)

void
cradle_pin_free (char *secret)
{
  if (secret == NULL)
    return;
  /* Not optimised away, unlike memset before a free. */
  explicit_bzero (secret, strlen (secret));
  g_free (secret);
}

char *
cradle_pin_dialog_dup_token_name (CradleDevice *device)
{
  const char *name = cradle_device_get_label (device);

  if (name == NULL || *name == '\0')
    name = cradle_device_get_model (device);
  if (name == NULL || *name == '\0')
    return g_strdup (_("The token"));
  return cradle_text_escape (name, -1, CRADLE_TEXT_ESCAPE_DEFAULT);
}

/* The table's detail that says what @state says. */
static guint32
state_detail (CradleDevicePinState state)
{
  switch (state)
    {
    case CRADLE_DEVICE_PIN_COUNT_LOW:
      return CRADLE_TOKEN_FAILURE_PIN_COUNT_LOW;
    case CRADLE_DEVICE_PIN_FINAL_TRY:
      return CRADLE_TOKEN_FAILURE_PIN_FINAL_TRY;
    case CRADLE_DEVICE_PIN_LOCKED:
      return CRADLE_TOKEN_FAILURE_PIN_LOCKED;
    case CRADLE_DEVICE_PIN_NOT_NEEDED:
    case CRADLE_DEVICE_PIN_ENTERED:
    case CRADLE_DEVICE_PIN_NEEDED:
    default:
      return 0;
    }
}

/* Our own words, should the table have none for @detail. */
static const char *
state_fallback (guint32 detail)
{
  switch (detail)
    {
    case CRADLE_TOKEN_FAILURE_PIN_COUNT_LOW:
      return _("A wrong PIN was entered on this token before: only a few tries are left before it locks.");
    case CRADLE_TOKEN_FAILURE_PIN_FINAL_TRY:
      return _("One try is left: one more wrong PIN locks the token, and only its administrator can unlock it.");
    case CRADLE_TOKEN_FAILURE_PIN_LOCKED:
      return _("The token's PIN is locked after too many wrong tries. Only the token's administrator can "
               "unlock it (with the PUK or the security officer's PIN).");
    default:
      return NULL;
    }
}

static char *
explanation_words (const CradleExplanation *explanation)
{
  return g_strdup_printf ("%s %s", cradle_explanation_get_summary (explanation),
                          cradle_explanation_get_user_action (explanation));
}

char *
cradle_pin_dialog_dup_why (const GError        *error,
                           CradleDevicePinState state)
{
  g_autoptr(GString) why = g_string_new (NULL);
  CradleExplainKind kind;
  guint32 code = 0;
  guint32 detail = state_detail (state);

  if (error != NULL)
    {
      const CradleExplanation *explanation = cradle_explain_error (error);

      if (cradle_explanation_is_generic (explanation))
        g_string_append (why, error->message);
      else
        {
          g_autofree char *words = explanation_words (explanation);

          g_string_append (why, words);
        }
      /* The table's words for the error say the tries left already. */
      if (cradle_explain_get_detail (error, &kind, &code) && kind == CRADLE_EXPLAIN_TOKEN && code == detail)
        detail = 0;
    }
  if (detail != 0)
    {
      const CradleExplanation *explanation = cradle_explain (CRADLE_EXPLAIN_TOKEN, detail);
      g_autofree char *words = cradle_explanation_is_generic (explanation)
                                 ? g_strdup (state_fallback (detail))
                                 : explanation_words (explanation);

      if (why->len > 0)
        g_string_append_c (why, ' ');
      g_string_append (why, words);
    }
  if (why->len == 0)
    return NULL;
  return g_string_free (g_steal_pointer (&why), FALSE);
}

static void
on_changed (CradlePinDialog *self)
{
  if (self->entry == NULL)
    return;
  if (self->mode == CRADLE_PIN_DIALOG_PIN || self->mode == CRADLE_PIN_DIALOG_OFFICER)
    adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self),
                                             self->mode == CRADLE_PIN_DIALOG_PIN ? "unlock" : "continue",
                                             *gtk_editable_get_text (GTK_EDITABLE (self->entry)) != '\0');
}

static void
cradle_pin_dialog_dispose (GObject *object)
{
  CradlePinDialog *self = CRADLE_PIN_DIALOG (object);

  /* Nothing typed outlives the dialog, whichever way it closes. */
  if (self->entry != NULL)
    {
      gtk_editable_set_text (GTK_EDITABLE (self->entry), "");
      /* Its "changed" while the template goes must not reach a half-gone dialog. */
      g_signal_handlers_disconnect_by_func (self->entry, on_changed, self);
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), CRADLE_TYPE_PIN_DIALOG);
  /* Dispose runs again when the last reference goes: nothing left to empty. */
  self->entry = NULL;
  self->spinner = NULL;

  G_OBJECT_CLASS (cradle_pin_dialog_parent_class)->dispose (object);
}

/* Runs after the window's handler took the secret, before the dialog
 * closes itself: the field is emptied and hidden.  Hidden, it also gives
 * up the focus: GTK 4.8's GtkPasswordEntry keeps following the keyboard's
 * Caps Lock state after a focused entry is destroyed, and then writes to
 * freed memory ("invalid unclassed pointer in cast to 'GtkPasswordEntry'"). */
static void
cradle_pin_dialog_response (AdwMessageDialog *dialog,
                            const char       *response)
{
  CradlePinDialog *self = CRADLE_PIN_DIALOG (dialog);

  if (self->entry != NULL)
    {
      gtk_editable_set_text (GTK_EDITABLE (self->entry), "");
      gtk_widget_set_visible (GTK_WIDGET (self->entry), FALSE);
    }
  if (ADW_MESSAGE_DIALOG_CLASS (cradle_pin_dialog_parent_class)->response != NULL)
    ADW_MESSAGE_DIALOG_CLASS (cradle_pin_dialog_parent_class)->response (dialog, response);
}

static void
cradle_pin_dialog_class_init (CradlePinDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cradle_pin_dialog_dispose;
  ADW_MESSAGE_DIALOG_CLASS (klass)->response = cradle_pin_dialog_response;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/cradle/Cradle/cradle-pin-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, CradlePinDialog, entry);
  gtk_widget_class_bind_template_child (widget_class, CradlePinDialog, spinner);
  gtk_widget_class_bind_template_callback (widget_class, on_changed);
}

static void
cradle_pin_dialog_init (CradlePinDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

static void
ask (CradlePinDialog *self,
     const char      *heading,
     const char      *field,
     const char      *response,
     const char      *label)
{
  adw_message_dialog_set_heading (ADW_MESSAGE_DIALOG (self), heading);
  gtk_widget_set_visible (GTK_WIDGET (self->entry), TRUE);
  g_object_set (self->entry, "placeholder-text", field, NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->entry), GTK_ACCESSIBLE_PROPERTY_LABEL, field, -1);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (self), "cancel", _("_Cancel"), response, label, NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (self), response, ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_response_enabled (ADW_MESSAGE_DIALOG (self), response, FALSE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (self), response);
  gtk_widget_grab_focus (GTK_WIDGET (self->entry));
}

CradlePinDialog *
cradle_pin_dialog_new (GtkWindow          *parent,
                       CradlePinDialogMode mode,
                       const char         *token,
                       const char         *why)
{
  CradlePinDialog *self = g_object_new (CRADLE_TYPE_PIN_DIALOG,
                                        "transient-for", parent,
                                        "modal", TRUE,
                                        NULL);
  g_autofree char *text = NULL;

  self->mode = mode;
  switch (mode)
    {
    case CRADLE_PIN_DIALOG_PIN:
      ask (self, _("Enter the Token's PIN"), _("PIN"), "unlock", _("_Unlock"));
      /* Translators: %s is the token's label */
      text = g_strdup_printf (_("“%s” asks for its PIN before Cradle makes a key on it and installs the "
                                "certificate. The token keeps the key; Cradle keeps the PIN in memory only, "
                                "until the token is removed."), token);
      break;

    case CRADLE_PIN_DIALOG_OFFICER:
      ask (self, _("Enter the Token's Management Key"), _("Management key"), "continue", _("_Continue"));
      /* Translators: %s is the token's label */
      text = g_strdup_printf (_("“%s” lets only its security officer make keys and write certificates: "
                                "enter the officer's secret (on a YubiKey, the PIV management key). Cradle "
                                "keeps it in memory only, until the token is removed."), token);
      break;

    case CRADLE_PIN_DIALOG_PINPAD:
      adw_message_dialog_set_heading (ADW_MESSAGE_DIALOG (self), _("Enter the PIN on the Token"));
      gtk_widget_set_visible (GTK_WIDGET (self->spinner), TRUE);
      gtk_spinner_set_spinning (self->spinner, TRUE);
      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (self), "cancel", _("_Cancel"));
      /* Translators: %s is the token's label */
      text = g_strdup_printf (_("Enter the PIN on the token's pinpad. (“%s” reads it itself: it never passes "
                                "through this computer.)"), token);
      break;

    case CRADLE_PIN_DIALOG_LOCKED:
    default:
      adw_message_dialog_set_heading (ADW_MESSAGE_DIALOG (self), _("The Token's PIN Is Locked"));
      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (self), "cancel", _("_Close"));
      /* Translators: %s is the token's label */
      text = g_strdup_printf (_("Cradle cannot use “%s” until its PIN is unlocked."), token);
      break;
    }
  if (why != NULL)
    {
      /* Locked: what it means, then the table's words; otherwise what
       * went wrong the last time first, then the question. */
      g_autofree char *body = mode == CRADLE_PIN_DIALOG_LOCKED ? g_strdup_printf ("%s\n\n%s", text, why)
                                                               : g_strdup_printf ("%s\n\n%s", why, text);

      adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (self), body);
    }
  else
    adw_message_dialog_set_body (ADW_MESSAGE_DIALOG (self), text);
  return self;
}

CradlePinDialogMode
cradle_pin_dialog_get_mode (CradlePinDialog *self)
{
  g_return_val_if_fail (CRADLE_IS_PIN_DIALOG (self), CRADLE_PIN_DIALOG_LOCKED);

  return self->mode;
}

char *
cradle_pin_dialog_take_secret (CradlePinDialog *self)
{
  char *secret;

  g_return_val_if_fail (CRADLE_IS_PIN_DIALOG (self), NULL);

  secret = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->entry)));
  gtk_editable_set_text (GTK_EDITABLE (self->entry), "");
  return secret;
}
