/* cradle-window-token.c: a token's PIN, and its officer's secret, before a run
 *
 * A PKCS#11 token confirms with its PIN what a bridge device's user
 * confirms on the device: before a run on a token that needs one, the
 * window asks for it (cradle-pin-dialog.c) and logs in with
 * cradle_device_log_in_async(); a wrong PIN asks again, saying so with the
 * error table's words and the tries left; a locked PIN says so and asks
 * nothing; a token with a pinpad waits while the PIN is typed on it.  A
 * token whose module lets only its officer make keys (a YubiKey's PIV)
 * then gets the officer's secret, asked the same way.  The token's state is
 * read on a worker thread (it may be a card reader); the typed secrets are
 * wiped once the token has them.  The device is held from the retriever
 * meanwhile.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cradle-pin-dialog.h"
#include "cradle-window-private.h"

struct _CradleWindowUnlock
{
  CradleDevice         *device;
  CradleWindowUnlocked  unlocked;
  gpointer              data;
  GDestroyNotify        destroy;
  GCancellable         *cancellable;
  CradlePinDialog      *dialog;     /* shown now, or NULL */
  gulong                response_id;
  GError               *error;      /* the last wrong PIN's */
};

/* A login in flight: it owns the copy of the PIN the token is given, so
 * the copy outlives the worker thread that reads it, whatever closes. */
typedef struct {
  CradleWindow *window;
  char         *pin;
} LogIn;

typedef struct {
  CradleDevicePinState state;
  gboolean             pinpad;
  gboolean             officer;
} TokenState;

static void inspect (CradleWindow *self);

/* The dialog closed itself (AdwMessageDialog does, on any response), or is
 * closed here (@destroy). */
static void
forget_dialog (CradleWindowUnlock *unlock,
               gboolean            destroy)
{
  g_autoptr(CradlePinDialog) dialog = g_steal_pointer (&unlock->dialog);

  if (dialog == NULL)
    return;
  g_clear_signal_handler (&unlock->response_id, dialog);
  /* Closed as its own Cancel would close it. */
  if (destroy)
    gtk_window_close (GTK_WINDOW (dialog));
}

static void
unlock_free (CradleWindowUnlock *unlock)
{
  forget_dialog (unlock, TRUE);
  g_cancellable_cancel (unlock->cancellable);
  g_clear_object (&unlock->cancellable);
  g_clear_error (&unlock->error);
  if (unlock->destroy != NULL)
    unlock->destroy (unlock->data);
  g_clear_object (&unlock->device);
  g_free (unlock);
}

gboolean
_cradle_window_is_unlocking (CradleWindow *self)
{
  return self->unlock != NULL;
}

void
_cradle_window_unlock_give_back (CradleWindow *self,
                                 CradleDevice *device)
{
  if (g_strcmp0 (cradle_device_get_transport (device), CRADLE_DEVICE_TRANSPORT_PKCS11) == 0)
    cradle_care_release_device (self->care, device);
}

/* The end: on @go, the run starts; otherwise the device goes back to the
 * retriever. */
static void
finish (CradleWindow *self,
        gboolean      go)
{
  CradleWindowUnlock *unlock = g_steal_pointer (&self->unlock);
  g_autoptr(CradleDevice) device = g_object_ref (unlock->device);

  if (go && device == cradle_device_watcher_get_device (self->watcher))
    unlock->unlocked (self, device, unlock->data);
  else
    cradle_care_release_device (self->care, device);
  unlock_free (unlock);
  _cradle_window_update_pin_state (self);
  _cradle_window_update_actions (self);
}

/* The token left, or said something a PIN does not mend. */
static void
fail (CradleWindow *self,
      const GError *error)
{
  g_autofree char *why = cradle_pin_dialog_dup_why (error, CRADLE_DEVICE_PIN_NEEDED);

  /* The watcher forgets a token that left, which ends the unlock too
   * (_cradle_window_unlock_follow_device()); the words go on the page
   * shown then. */
  if (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE))
    cradle_device_watcher_device_gone (self->watcher, self->unlock->device);
  if (self->unlock != NULL)
    finish (self, FALSE);
  _cradle_window_toast (self, why != NULL ? why : error->message);
}

static void
show (CradleWindow        *self,
      CradlePinDialogMode  mode,
      const char          *why,
      GCallback            on_response)
{
  CradleWindowUnlock *unlock = self->unlock;
  g_autofree char *token = cradle_pin_dialog_dup_token_name (unlock->device);

  g_return_if_fail (unlock->dialog == NULL);

  unlock->dialog = g_object_ref_sink (cradle_pin_dialog_new (GTK_WINDOW (self), mode, token, why));
  unlock->response_id = g_signal_connect (unlock->dialog, "response", on_response, self);
  gtk_window_present (GTK_WINDOW (unlock->dialog));
}

/* ---- the officer's secret ------------------------------------------------ */

static void
on_officer_response (CradlePinDialog *dialog,
                     const char      *response,
                     CradleWindow    *self)
{
  g_autofree char *secret = NULL;

  forget_dialog (self->unlock, FALSE);
  if (g_strcmp0 (response, "continue") != 0)
    {
      finish (self, FALSE);
      return;
    }
  secret = cradle_pin_dialog_take_secret (dialog);
  /* The device keeps its own copy in wiped memory. */
  cradle_device_set_officer_secret (self->unlock->device, secret);
  cradle_pin_free (g_steal_pointer (&secret));
  finish (self, TRUE);
}

static void
ask_officer_or_go (CradleWindow *self,
                   gboolean      officer)
{
  if (!officer)
    {
      finish (self, TRUE);
      return;
    }
  show (self, CRADLE_PIN_DIALOG_OFFICER, NULL, G_CALLBACK (on_officer_response));
}

/* ---- the PIN ------------------------------------------------------------- */

static void
log_in_done (GObject      *source_object,
             GAsyncResult *result,
             gpointer      user_data)
{
  CradleDevice *device = CRADLE_DEVICE (source_object);
  LogIn *login = user_data;
  g_autoptr(CradleWindow) self = login->window;
  g_autoptr(GError) error = NULL;
  gboolean logged_in = cradle_device_log_in_finish (device, result, &error);
  CradleWindowUnlock *unlock = self->unlock;

  /* The token has answered: the copy goes. */
  cradle_pin_free (login->pin);
  g_free (login);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || unlock == NULL || unlock->device != device)
    return;   /* the window closed, or the user cancelled */
  /* A pinpad's dialog waited: it goes. */
  forget_dialog (unlock, TRUE);
  if (logged_in)
    {
      g_clear_error (&unlock->error);
      inspect (self);   /* the officer next, if the token has one */
      return;
    }
  g_info ("Token %s: %s", cradle_device_get_id (device), error->message);
  /* A wrong PIN (the state read again says how many tries are left), or a
   * locked one: asked again, or said so. */
  if (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED) ||
      g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED))
    {
      CradleExplainKind kind;
      guint32 code;

      if (!g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED) ||
          (cradle_explain_get_detail (error, &kind, &code) && kind == CRADLE_EXPLAIN_TOKEN &&
           code == CRADLE_TOKEN_FAILURE_PIN_LOCKED))
        {
          g_clear_error (&unlock->error);
          unlock->error = g_steal_pointer (&error);
          inspect (self);
          return;
        }
    }
  fail (self, error);
}

/* @pin: (transfer full) (nullable): %NULL with a pinpad */
static void
log_in (CradleWindow *self,
        char         *pin)
{
  LogIn *login = g_new0 (LogIn, 1);

  login->window = g_object_ref (self);
  login->pin = pin;
  cradle_device_log_in_async (self->unlock->device, pin, self->unlock->cancellable, log_in_done, login);
}

static void
on_pin_response (CradlePinDialog *dialog,
                 const char      *response,
                 CradleWindow    *self)
{
  forget_dialog (self->unlock, FALSE);
  if (g_strcmp0 (response, "unlock") != 0)
    {
      finish (self, FALSE);
      return;
    }
  log_in (self, cradle_pin_dialog_take_secret (dialog));
}

/* Cancel on the pinpad's dialog: the login is abandoned. */
static void
on_pinpad_response (CradlePinDialog *dialog,
                    const char      *response,
                    CradleWindow    *self)
{
  forget_dialog (self->unlock, FALSE);
  finish (self, FALSE);
}

static void
on_locked_response (CradlePinDialog *dialog,
                    const char      *response,
                    CradleWindow    *self)
{
  forget_dialog (self->unlock, FALSE);
  finish (self, FALSE);
}

/* ---- what the token needs, read on a worker thread ------------------------ */

static void
inspect_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  CradleDevice *device = task_data;
  TokenState *state = g_new0 (TokenState, 1);

  state->state = cradle_device_get_pin_state (device);
  state->pinpad = cradle_device_has_pinpad (device);
  state->officer = cradle_device_needs_officer_secret (device);
  g_task_return_pointer (task, state, g_free);
}

static void
inspect_done (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  CradleWindow *self = CRADLE_WINDOW (source_object);
  CradleDevice *device = g_task_get_task_data (G_TASK (result));
  g_autofree TokenState *state = g_task_propagate_pointer (G_TASK (result), NULL);
  CradleWindowUnlock *unlock = self->unlock;
  g_autofree char *why = NULL;

  if (state == NULL || unlock == NULL || unlock->device != device)
    return;
  cradle_device_page_set_pin_state (self->device_page, state->state);
  switch (state->state)
    {
    case CRADLE_DEVICE_PIN_NOT_NEEDED:
    case CRADLE_DEVICE_PIN_ENTERED:
      ask_officer_or_go (self, state->officer);
      break;

    case CRADLE_DEVICE_PIN_LOCKED:
      why = cradle_pin_dialog_dup_why (unlock->error, CRADLE_DEVICE_PIN_LOCKED);
      show (self, CRADLE_PIN_DIALOG_LOCKED, why, G_CALLBACK (on_locked_response));
      break;

    case CRADLE_DEVICE_PIN_NEEDED:
    case CRADLE_DEVICE_PIN_COUNT_LOW:
    case CRADLE_DEVICE_PIN_FINAL_TRY:
    default:
      why = cradle_pin_dialog_dup_why (unlock->error, state->state);
      if (state->pinpad)
        {
          show (self, CRADLE_PIN_DIALOG_PINPAD, why, G_CALLBACK (on_pinpad_response));
          log_in (self, NULL);
        }
      else
        show (self, CRADLE_PIN_DIALOG_PIN, why, G_CALLBACK (on_pin_response));
      break;
    }
}

static void
inspect (CradleWindow *self)
{
  CradleWindowUnlock *unlock = self->unlock;
  g_autoptr(GTask) task = g_task_new (self, unlock->cancellable, inspect_done, NULL);

  g_task_set_source_tag (task, inspect);
  g_task_set_task_data (task, g_object_ref (unlock->device), g_object_unref);
  g_task_run_in_thread (task, inspect_thread);
}

void
_cradle_window_unlock (CradleWindow         *self,
                       CradleDevice         *device,
                       CradleWindowUnlocked  unlocked,
                       gpointer              data,
                       GDestroyNotify        destroy)
{
  CradleWindowUnlock *unlock;

  if (g_strcmp0 (cradle_device_get_transport (device), CRADLE_DEVICE_TRANSPORT_PKCS11) != 0)
    {
      /* A bridge device asks its user itself. */
      unlocked (self, device, data);
      if (destroy != NULL)
        destroy (data);
      return;
    }
  if (self->unlock != NULL)
    {
      if (destroy != NULL)
        destroy (data);
      return;
    }
  unlock = g_new0 (CradleWindowUnlock, 1);
  unlock->device = g_object_ref (device);
  unlock->unlocked = unlocked;
  unlock->data = data;
  unlock->destroy = destroy;
  unlock->cancellable = g_cancellable_new ();
  self->unlock = unlock;
  /* Ours while the user types: no resume logs in or uses it meanwhile. */
  cradle_care_hold_device (self->care, device);
  _cradle_window_update_actions (self);
  inspect (self);
}

void
_cradle_window_unlock_follow_device (CradleWindow *self)
{
  if (self->unlock == NULL || self->unlock->device == cradle_device_watcher_get_device (self->watcher))
    return;
  /* The token left while its PIN was asked for: nothing to unlock. */
  g_info ("Token %s left while its PIN was asked for", cradle_device_get_id (self->unlock->device));
  finish (self, FALSE);
}

void
_cradle_window_token_dispose (CradleWindow *self)
{
  CradleWindowUnlock *unlock = g_steal_pointer (&self->unlock);

  if (unlock == NULL)
    return;
  if (self->care != NULL)
    cradle_care_release_device (self->care, unlock->device);
  unlock_free (unlock);
}
