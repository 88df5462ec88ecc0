/* cradle-token-session.c: a token's session, its PIN and its officer (see
 * cradle-token-private.h) */
#include "config.h"

#include <string.h>
#include <openssl/crypto.h>
#include <cradle/cradle.h>

#define CRADLE_TOKEN_COMPILATION
#include "pkcs11/cradle-token-private.h"

/* A copy of a secret in wiped memory (OPENSSL_secure_*). */
static char *
secret_dup (const char *secret)
{
  gsize size = strlen (secret) + 1;
  char *copy = OPENSSL_secure_malloc (size);

  if (copy != NULL)
    memcpy (copy, secret, size);
  return copy;
}

static void
secret_clear (char **secret)
{
  if (*secret != NULL)
    OPENSSL_secure_clear_free (*secret, strlen (*secret) + 1);
  *secret = NULL;
}

static gboolean
refresh_token_info (CradleToken *self,
                    GError     **error)
{
  CK_TOKEN_INFO info;
  CK_RV rv = self->module->C_GetTokenInfo (self->slot, &info);

  if (rv != CKR_OK)
    {
      _cradle_token_set_error (self, error, rv, "read the token's state");
      return FALSE;
    }
  self->info.flags = info.flags;
  return TRUE;
}

/* A login is the application's, not the session's: another CradleToken of
 * this process for the same token may have made it, or ended it. */
static void
refresh_login (CradleToken *self)
{
  CK_SESSION_INFO session_info;

  if (!self->has_session)
    return;
  if (self->module->C_GetSessionInfo (self->session, &session_info) == CKR_OK)
    self->logged_in = session_info.state == CKS_RW_USER_FUNCTIONS
                      || session_info.state == CKS_RO_USER_FUNCTIONS;
}

gboolean
_cradle_token_ensure_session (CradleToken *self,
                              GError     **error)
{
  CK_RV rv;

  if (self->has_session)
    return TRUE;
  /* The slot may have moved (SoftHSM renumbers), or the token gone. */
  if (!cradle_token_is_present (self))
    {
      _cradle_token_set_error (self, error, CKR_TOKEN_NOT_PRESENT, "open a session");
      return FALSE;
    }
  rv = self->module->C_OpenSession (self->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
                                    NULL, NULL, &self->session);
  if (rv == CKR_TOKEN_WRITE_PROTECTED)
    rv = self->module->C_OpenSession (self->slot, CKF_SERIAL_SESSION, NULL, NULL, &self->session);
  if (rv != CKR_OK)
    {
      _cradle_token_set_error (self, error, rv, "open a session");
      return FALSE;
    }
  self->has_session = TRUE;
  self->logged_in = FALSE;
  refresh_login (self);
  return refresh_token_info (self, error);
}

gboolean
cradle_token_open (CradleToken  *self,
                   GCancellable *cancellable,
                   GError      **error)
{
  g_autoptr(GRecMutexLocker) locker = NULL;

  g_return_val_if_fail (CRADLE_IS_TOKEN (self), FALSE);
  locker = g_rec_mutex_locker_new (&self->lock);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (!_cradle_token_ensure_session (self, error))
    return FALSE;
  return _cradle_token_read_mechanisms (self, error);
}

void
cradle_token_close (CradleToken *self)
{
  g_autoptr(GRecMutexLocker) locker = NULL;

  g_return_if_fail (CRADLE_IS_TOKEN (self));
  locker = g_rec_mutex_locker_new (&self->lock);
  if (self->has_session)
    {
      if (self->logged_in)
        self->module->C_Logout (self->session);
      self->module->C_CloseSession (self->session);
    }
  self->has_session = FALSE;
  self->logged_in = FALSE;
  secret_clear (&self->pin);
  secret_clear (&self->officer_secret);
}

CradleTokenPinState
cradle_token_get_pin_state (CradleToken *self)
{
  g_autoptr(GRecMutexLocker) locker = NULL;
  CK_TOKEN_INFO info;
  CK_FLAGS flags;

  g_return_val_if_fail (CRADLE_IS_TOKEN (self), CRADLE_TOKEN_PIN_NEEDED);
  locker = g_rec_mutex_locker_new (&self->lock);
  if (self->module->C_GetTokenInfo (self->slot, &info) == CKR_OK)
    self->info.flags = info.flags;
  flags = self->info.flags;
  refresh_login (self);
  if (self->logged_in)
    return CRADLE_TOKEN_PIN_LOGGED_IN;
  if (flags & CKF_USER_PIN_LOCKED)
    return CRADLE_TOKEN_PIN_LOCKED;
  if ((flags & CKF_LOGIN_REQUIRED) == 0)
    return CRADLE_TOKEN_PIN_NOT_NEEDED;
  if (flags & CKF_USER_PIN_FINAL_TRY)
    return CRADLE_TOKEN_PIN_FINAL_TRY;
  if (flags & CKF_USER_PIN_COUNT_LOW)
    return CRADLE_TOKEN_PIN_COUNT_LOW;
  return CRADLE_TOKEN_PIN_NEEDED;
}

gboolean
cradle_token_has_pinpad (CradleToken *self)
{
  g_return_val_if_fail (CRADLE_IS_TOKEN (self), FALSE);
  return (self->info.flags & CKF_PROTECTED_AUTHENTICATION_PATH) != 0;
}

gboolean
cradle_token_log_in (CradleToken  *self,
                     const char   *pin,
                     GCancellable *cancellable,
                     GError      **error)
{
  g_autoptr(GRecMutexLocker) locker = NULL;
  g_autofree char *name = NULL;
  CK_RV rv;

  g_return_val_if_fail (CRADLE_IS_TOKEN (self), FALSE);
  locker = g_rec_mutex_locker_new (&self->lock);
  name = _cradle_token_dup_name (self);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (!_cradle_token_ensure_session (self, error))
    return FALSE;
  refresh_login (self);
  if (self->logged_in)
    {
      /* Kept for keys that ask before each use, as after a login here. */
      if (pin != NULL && self->pin == NULL && strlen (pin) <= CRADLE_TOKEN_MAX_PIN_SIZE)
        self->pin = secret_dup (pin);
      return TRUE;
    }

  /* A locked PIN is never tried: the token would only count it. */
  switch (cradle_token_get_pin_state (self))
    {
    case CRADLE_TOKEN_PIN_LOCKED:
      _cradle_token_set_error (self, error, CKR_PIN_LOCKED, "log in");
      return FALSE;
    case CRADLE_TOKEN_PIN_NOT_NEEDED:
      if (pin == NULL)
        return TRUE;
      break;
    case CRADLE_TOKEN_PIN_LOGGED_IN:
    case CRADLE_TOKEN_PIN_NEEDED:
    case CRADLE_TOKEN_PIN_COUNT_LOW:
    case CRADLE_TOKEN_PIN_FINAL_TRY:
    default:
      break;
    }
  if (pin == NULL && !cradle_token_has_pinpad (self))
    {
      _cradle_token_set_error (self, error, CKR_USER_NOT_LOGGED_IN, "log in");
      return FALSE;
    }
  if (pin != NULL && strlen (pin) > CRADLE_TOKEN_MAX_PIN_SIZE)
    {
      cradle_explain_set_error (error, CRADLE_ERROR_AUTH_FAILED, CRADLE_EXPLAIN_TOKEN,
                                CRADLE_TOKEN_FAILURE_PIN_INCORRECT,
                                "The PIN given for the token '%s' is longer than any token takes "
                                "(%d bytes). Check it and try again.", name, CRADLE_TOKEN_MAX_PIN_SIZE);
      return FALSE;
    }

  rv = self->module->C_Login (self->session, CKU_USER, (CK_UTF8CHAR_PTR) pin,
                              pin != NULL ? strlen (pin) : 0);
  if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN)
    {
      _cradle_token_set_error (self, error, rv, "log in");
      return FALSE;
    }
  self->logged_in = TRUE;
  secret_clear (&self->pin);
  if (pin != NULL)
    self->pin = secret_dup (pin);
  return TRUE;
}

void
cradle_token_set_officer_secret (CradleToken *self,
                                 const char  *secret)
{
  g_autoptr(GRecMutexLocker) locker = NULL;

  g_return_if_fail (CRADLE_IS_TOKEN (self));
  locker = g_rec_mutex_locker_new (&self->lock);
  secret_clear (&self->officer_secret);
  if (secret != NULL)
    self->officer_secret = secret_dup (secret);
}

gboolean
_cradle_token_ensure_logged_in (CradleToken *self,
                                const char  *doing,
                                GError     **error)
{
  if (!_cradle_token_ensure_session (self, error))
    return FALSE;
  refresh_login (self);
  if (self->logged_in || (self->info.flags & CKF_LOGIN_REQUIRED) == 0)
    return TRUE;
  _cradle_token_set_error (self, error, CKR_USER_NOT_LOGGED_IN, doing);
  return FALSE;
}

gboolean
_cradle_token_officer_begin (CradleToken *self,
                             const char  *doing,
                             GError     **error)
{
  CK_RV rv;

  if (self->officer_secret == NULL)
    {
      _cradle_token_set_error (self, error, CKR_USER_TYPE_INVALID, doing);
      return FALSE;
    }
  if (self->logged_in)
    self->module->C_Logout (self->session);
  self->logged_in = FALSE;
  rv = self->module->C_Login (self->session, CKU_SO, (CK_UTF8CHAR_PTR) self->officer_secret,
                              strlen (self->officer_secret));
  if (rv != CKR_OK)
    {
      _cradle_token_set_error (self, error, rv, doing);
      g_prefix_error (error, "The officer's login failed: ");
      _cradle_token_officer_end (self);
      return FALSE;
    }
  return TRUE;
}

void
_cradle_token_officer_end (CradleToken *self)
{
  if (!self->has_session)
    return;
  self->module->C_Logout (self->session);
  self->logged_in = FALSE;
  if (self->pin != NULL
      && self->module->C_Login (self->session, CKU_USER, (CK_UTF8CHAR_PTR) self->pin,
                                strlen (self->pin)) == CKR_OK)
    self->logged_in = TRUE;
}

CK_RV
_cradle_token_context_login (CradleToken *self)
{
  if (self->pin == NULL)
    {
      if (cradle_token_has_pinpad (self))
        return self->module->C_Login (self->session, CKU_CONTEXT_SPECIFIC, NULL, 0);
      return CKR_USER_NOT_LOGGED_IN;
    }
  return self->module->C_Login (self->session, CKU_CONTEXT_SPECIFIC, (CK_UTF8CHAR_PTR) self->pin,
                                strlen (self->pin));
}
