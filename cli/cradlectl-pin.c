/* cradlectl-pin.c: the token options and the PIN, for every command that
 * takes --device
 *
 * --pkcs11-module PATH (repeatable) loads a PKCS#11 module besides those
 * cradle.conf's [Tokens] names (and p11-kit's, unless UseP11Kit=false);
 * --pin-file FILE (- for standard input) gives a token's PIN.  Without it
 * the PIN is asked on the terminal without echo, when the token needs one;
 * a token with a pinpad asks on its pad.  The PIN lives in a buffer that is
 * wiped as soon as the token has it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "cradlectl-private.h"

#define MAX_PIN 256
/* Wrong PINs typed on the terminal before cradlectl gives up (each one
 * costs one of the token's tries). */
#define TERMINAL_ATTEMPTS 3

/* One command per process: the options are the process's. */
static char **pkcs11_modules;
static char  *pin_file;
static gboolean modules_applied;

const GOptionEntry *
cradlectl_token_entries (void)
{
  static const GOptionEntry entries[] = {
    { "pkcs11-module", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &pkcs11_modules,
      "Also look for tokens in this PKCS#11 module (repeatable)", "PATH" },
    { "pin-file", 0, 0, G_OPTION_ARG_FILENAME, &pin_file,
      "Read the token's PIN from the first line of FILE (- for standard input)", "FILE" },
    G_OPTION_ENTRY_NULL
  };

  return entries;
}

void
cradlectl_apply_token_options (void)
{
  g_autoptr(GPtrArray) paths = NULL;
  g_auto(GStrv) configured = NULL;

  if (modules_applied || pkcs11_modules == NULL)
    return;
  modules_applied = TRUE;
  paths = g_ptr_array_new_with_free_func (g_free);
  configured = cradle_settings_dup_token_modules ();
  for (guint i = 0; configured[i] != NULL; i++)
    g_ptr_array_add (paths, g_strdup (configured[i]));
  for (guint i = 0; pkcs11_modules[i] != NULL; i++)
    {
      /* p11-kit wants an absolute path; a relative one is the user's folder's. */
      g_autofree char *absolute = g_canonicalize_filename (pkcs11_modules[i], NULL);

      g_ptr_array_add (paths, g_steal_pointer (&absolute));
    }
  g_ptr_array_add (paths, NULL);
  cradle_device_set_pkcs11_modules ((const char * const *) paths->pdata, cradle_settings_get_token_use_p11kit ());
}

static void
wipe_pin (char *pin)
{
  if (pin == NULL)
    return;
  explicit_bzero (pin, strlen (pin));
  g_free (pin);
}

/* The PIN typed on the controlling terminal, without echo; %NULL with
 * @error when there is no terminal. */
static char *
ask_pin (const char  *prompt,
         GError     **error)
{
  g_autofree char *buffer = g_malloc0 (MAX_PIN + 1);
  struct termios saved, quiet;
  int fd = g_open ("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY, 0);
  gsize length = 0;
  gboolean echo_off;

  if (fd < 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                           "The token needs its PIN and there is no terminal to ask it on: "
                           "give it with --pin-file FILE (- for standard input).");
      return NULL;
    }
  echo_off = tcgetattr (fd, &saved) == 0;
  if (echo_off)
    {
      quiet = saved;
      quiet.c_lflag &= ~(tcflag_t) (ECHO | ECHONL);
      quiet.c_lflag |= ICANON;
      echo_off = tcsetattr (fd, TCSAFLUSH, &quiet) == 0;
    }
  if (write (fd, prompt, strlen (prompt)) < 0)
    g_debug ("Could not write the PIN prompt: %s", g_strerror (errno));
  while (length < MAX_PIN)
    {
      char c;
      gssize got = read (fd, &c, 1);

      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0 || c == '\n' || c == '\r')
        break;
      buffer[length++] = c;
    }
  if (echo_off)
    tcsetattr (fd, TCSAFLUSH, &saved);
  if (write (fd, "\n", 1) < 0)
    g_debug ("Could not end the PIN prompt: %s", g_strerror (errno));
  close (fd);
  if (length == 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_USER_DECLINED,
                           "No PIN was entered; nothing was done on the token.");
      return NULL;
    }
  return g_steal_pointer (&buffer);
}

gboolean
cradlectl_log_in_device (CradleDevice  *device,
                         GError       **error)
{
  g_autofree char *label = NULL;

  if (g_strcmp0 (cradle_device_get_transport (device), CRADLE_DEVICE_TRANSPORT_PKCS11) != 0)
    return TRUE;
  label = cradlectl_text (cradle_device_get_label (device));

  for (guint attempt = 1;; attempt++)
    {
      CradleDevicePinState state = cradle_device_get_pin_state (device);
      g_autoptr(GError) local_error = NULL;
      g_autofree char *prompt = NULL;
      char *pin = NULL;
      gboolean logged_in;

      switch (state)
        {
        case CRADLE_DEVICE_PIN_NOT_NEEDED:
        case CRADLE_DEVICE_PIN_ENTERED:
          return TRUE;
        case CRADLE_DEVICE_PIN_LOCKED:
          cradle_explain_set_error (error, CRADLE_ERROR_PERMISSION_DENIED, CRADLE_EXPLAIN_TOKEN,
                                    CRADLE_TOKEN_FAILURE_PIN_LOCKED,
                                    "The PIN of the token '%s' is locked after too many wrong PINs; nothing "
                                    "was tried. Only the token's administrator can unlock it (its PUK or "
                                    "security officer's PIN).", label);
          return FALSE;
        default:
          break;
        }

      if (cradle_device_has_pinpad (device))
        {
          g_printerr ("Enter the PIN on the token's pinpad.\n");
          return cradle_device_log_in (device, NULL, NULL, error);
        }
      if (pin_file != NULL)
        {
          pin = cradlectl_read_secret (pin_file, "PIN", error);
          if (pin == NULL)
            return FALSE;
          logged_in = cradle_device_log_in (device, pin, NULL, error);
          wipe_pin (pin);
          /* A file says the same again: no second try of a wrong one. */
          return logged_in;
        }

      prompt = g_strdup_printf ("PIN of the token '%s'%s: ", label,
                                state == CRADLE_DEVICE_PIN_FINAL_TRY
                                ? " (one more wrong PIN locks it)"
                                : state == CRADLE_DEVICE_PIN_COUNT_LOW ? " (a wrong PIN was entered before)" : "");
      pin = ask_pin (prompt, error);
      if (pin == NULL)
        return FALSE;
      logged_in = cradle_device_log_in (device, pin, NULL, &local_error);
      wipe_pin (pin);
      if (logged_in)
        return TRUE;
      if (!g_error_matches (local_error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED) || attempt >= TERMINAL_ATTEMPTS)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      cradlectl_print_error (local_error);
    }
}

gboolean
cradlectl_has_pin_file (void)
{
  return pin_file != NULL;
}

/* Whether @device is a token whose keys are hidden until its PIN is given. */
gboolean
cradlectl_device_needs_pin (CradleDevice *device)
{
  switch (cradle_device_get_pin_state (device))
    {
    case CRADLE_DEVICE_PIN_NEEDED:
    case CRADLE_DEVICE_PIN_COUNT_LOW:
    case CRADLE_DEVICE_PIN_FINAL_TRY:
    case CRADLE_DEVICE_PIN_LOCKED:
      return TRUE;
    case CRADLE_DEVICE_PIN_NOT_NEEDED:
    case CRADLE_DEVICE_PIN_ENTERED:
    default:
      return FALSE;
    }
}

const char *
cradlectl_pin_state_to_string (CradleDevicePinState state)
{
  switch (state)
    {
    case CRADLE_DEVICE_PIN_ENTERED: return "entered";
    case CRADLE_DEVICE_PIN_NEEDED: return "needed";
    case CRADLE_DEVICE_PIN_COUNT_LOW: return "count-low";
    case CRADLE_DEVICE_PIN_FINAL_TRY: return "final-try";
    case CRADLE_DEVICE_PIN_LOCKED: return "locked";
    case CRADLE_DEVICE_PIN_NOT_NEEDED:
    default:
      return "not-needed";
    }
}

const char *
cradlectl_pin_state_to_words (CradleDevicePinState state)
{
  switch (state)
    {
    case CRADLE_DEVICE_PIN_ENTERED: return "PIN entered";
    case CRADLE_DEVICE_PIN_NEEDED: return "PIN needed";
    case CRADLE_DEVICE_PIN_COUNT_LOW: return "PIN needed; a wrong PIN was entered before";
    case CRADLE_DEVICE_PIN_FINAL_TRY: return "PIN needed; one more wrong PIN locks it";
    case CRADLE_DEVICE_PIN_LOCKED: return "PIN locked: only its administrator can unlock it";
    case CRADLE_DEVICE_PIN_NOT_NEEDED:
    default:
      return "no PIN needed";
    }
}
