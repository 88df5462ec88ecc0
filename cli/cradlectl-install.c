/* cradlectl-install.c: `cradlectl install FILE`: a certificate file onto a device
 *
 * A PFX/P12's password is never an argument (other users see the command
 * line): it comes from --password-file (- for standard input), or is asked
 * on the terminal without echo; it is read into one buffer, wiped after use.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "cradlectl-private.h"

#define MAX_PASSWORD 1024

/* The first line of @fd into one buffer, so no stray copy is left behind. */
static char *
read_line (int          fd,
           const char  *source,
           GError     **error)
{
  char *buffer = g_malloc0 (MAX_PASSWORD + 1);
  gsize length = 0;
  char *end;

  while (length < MAX_PASSWORD && memchr (buffer, '\n', length) == NULL)
    {
      gssize got = read (fd, buffer + length, MAX_PASSWORD - length);

      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0)
        break;
      length += (gsize) got;
    }
  end = strpbrk (buffer, "\r\n");
  if (end != NULL)
    explicit_bzero (end, length - (gsize) (end - buffer));
  if (buffer[0] == '\0')
    {
      cradle_cert_file_free_password (buffer);
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED, "No password was given (%s).", source);
      return NULL;
    }
  return buffer;
}

static char *
read_password_file (const char  *path,
                    GError     **error)
{
  gboolean from_stdin = g_str_equal (path, "-");
  int fd = from_stdin ? 0 : g_open (path, O_RDONLY | O_CLOEXEC, 0);
  char *password;

  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "Could not read the password file %s: %s.", path, g_strerror (saved_errno));
      return NULL;
    }
  password = read_line (fd, from_stdin ? "standard input" : path, error);
  if (!from_stdin)
    close (fd);
  return password;
}

/* Asks on the terminal (stdin) with echo off, the prompt on stderr. */
static char *
ask_password (const char  *name,
              GError     **error)
{
  struct termios saved, quiet;
  char *password;

  g_printerr ("Password for %s: ", name);
  if (tcgetattr (0, &saved) != 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                           "Could not turn off the terminal's echo to ask for the password; "
                           "give it with --password-file.");
      return NULL;
    }
  quiet = saved;
  quiet.c_lflag &= ~(tcflag_t) (ECHO | ECHONL);
  quiet.c_lflag |= ICANON;
  tcsetattr (0, TCSAFLUSH, &quiet);
  password = read_line (0, "the terminal", error);
  tcsetattr (0, TCSAFLUSH, &saved);
  g_printerr ("\n");
  return password;
}

static void
on_waiting (CradleDevice *device,
            guint         status,
            const char   *prompt,
            gpointer      user_data)
{
  gboolean *shown = user_data;

  if (status == 1 && !*shown)
    {
      g_printerr ("Confirm on the device %s…\n", cradle_device_get_id (device));
      *shown = TRUE;
    }
}

static void
print_result (CradleCertFile *file,
              CradleDevice   *device,
              guint           added,
              gboolean        json)
{
  GPtrArray *certificates = cradle_cert_file_get_certificates (file);
  g_autoptr(JsonBuilder) builder = NULL;
  g_autofree char *name = cradlectl_text (cradle_cert_file_get_name (file));
  g_autofree char *id = cradlectl_text (cradle_device_get_id (device));

  if (!json)
    {
      g_print ("Installed %s on %s: %u certificate%s added.\n", name, id, added, added == 1 ? "" : "s");
      for (guint i = 0; i < certificates->len; i++)
        {
          CradleCertificate *certificate = g_ptr_array_index (certificates, i);
          CradleCertRole role = cradle_cert_file_get_role (file, i);
          g_autofree char *subject = cradlectl_text (cradle_certificate_get_subject (certificate));

          g_print ("  %-4s %s%s\n       SHA-256 %s\n", cradle_cert_role_to_store (role), subject,
                   role == CRADLE_CERT_ROLE_END_ENTITY && cradle_cert_file_get_format (file) == CRADLE_CERT_FILE_PFX
                   ? " (its key imported: it was not made on the device)" : "",
                   cradle_certificate_get_sha256 (certificate));
        }
      return;
    }
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "file");
  json_builder_add_string_value (builder, cradle_cert_file_get_name (file));
  json_builder_set_member_name (builder, "format");
  json_builder_add_string_value (builder, cradle_cert_file_format_to_string (cradle_cert_file_get_format (file)));
  json_builder_set_member_name (builder, "device");
  json_builder_add_string_value (builder, cradle_device_get_id (device));
  json_builder_set_member_name (builder, "added");
  json_builder_add_int_value (builder, added);
  json_builder_set_member_name (builder, "certificates");
  json_builder_begin_array (builder);
  for (guint i = 0; i < certificates->len; i++)
    {
      CradleCertificate *certificate = g_ptr_array_index (certificates, i);
      CradleCertRole role = cradle_cert_file_get_role (file, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "store");
      json_builder_add_string_value (builder, cradle_cert_role_to_store (role));
      json_builder_set_member_name (builder, "subject");
      json_builder_add_string_value (builder, cradle_certificate_get_subject (certificate));
      json_builder_set_member_name (builder, "sha256");
      json_builder_add_string_value (builder, cradle_certificate_get_sha256 (certificate));
      /* A PFX's key was made elsewhere; a CER's or P7B's end-entity went to a
       * key the device holds already, which `cradlectl certs` describes. */
      if (role == CRADLE_CERT_ROLE_END_ENTITY && cradle_cert_file_get_format (file) == CRADLE_CERT_FILE_PFX)
        {
          json_builder_set_member_name (builder, "key_origin");
          json_builder_add_string_value (builder, "imported");
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  cradlectl_print_json (builder);
}

int
cradlectl_install (int    argc,
                   char **argv)
{
  g_autofree char *wanted = NULL;
  g_autofree char *password_file = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "device", 0, 0, G_OPTION_ARG_STRING, &wanted, "The device, by id or serial", "ID" },
    { "password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file,
      "Read a PFX/P12 file's password from this file (- for standard input); otherwise it is "
      "asked on the terminal", "FILE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON for scripts", NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("FILE - install a PFX/P12, CER or P7B file on a device");
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = NULL;
  g_autoptr(CradleCertFile) file = NULL;
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(CradleDevice) device = NULL;
  g_autoptr(CradlePendingStore) store = NULL;
  g_autoptr(CradleJournal) journal = NULL;
  g_autofree char *base = NULL;
  char *password = NULL;
  gboolean shown = FALSE;
  gulong handler;
  guint added = 0;
  gboolean ok;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_main_entries (context, cradlectl_token_entries (), NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("cradlectl install: %s\n", error->message);
      return CRADLECTL_EXIT_OTHER;
    }
  if (argc != 2)
    {
      g_printerr ("cradlectl install: give one file: cradlectl install FILE [--device ID] "
                  "[--password-file FILE|-] [--json]\n");
      return CRADLECTL_EXIT_OTHER;
    }

  data = cradle_cert_file_load (argv[1], &error);
  if (data == NULL)
    return cradlectl_report_error (error, json);
  base = g_path_get_basename (argv[1]);
  if (cradle_cert_file_needs_password (data))
    {
      if (password_file != NULL)
        password = read_password_file (password_file, &error);
      else if (isatty (0))
        password = ask_password (base, &error);
      else
        g_set_error (&error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                     "%s is a PFX/P12 file, which needs its password: give --password-file FILE "
                     "(or - for standard input), or run cradlectl on a terminal to be asked.", base);
      if (password == NULL)
        return cradlectl_report_error (error, json);
    }
  file = cradle_cert_file_new (base, data, password, &error);
  cradle_cert_file_free_password (password);
  password = NULL;
  if (file == NULL)
    return cradlectl_report_error (error, json);

  if ((devices = cradlectl_open_devices (&error)) == NULL ||
      (device = cradlectl_choose_device (devices, wanted, &error)) == NULL ||
      !cradlectl_pair_device (device, &error) ||
      !cradlectl_log_in_device (device, &error))
    return cradlectl_report_error (error, json);
  /* A key the device made for a request still waiting may be this file's
   * certificate's: the pending store knows (and without it, only the keys
   * of the device's own certificates are found). */
  if (!cradlectl_open_state (&store, &journal, &error))
    {
      g_debug ("No pending store: %s", error->message);
      g_clear_error (&error);
    }

  handler = g_signal_connect (device, "waiting", G_CALLBACK (on_waiting), &shown);
  ok = cradle_cert_file_install (file, device, store, &added, NULL, &error);
  g_signal_handler_disconnect (device, handler);
  if (!ok)
    return cradlectl_report_error (error, json);
  print_result (file, device, added, json);
  return CRADLECTL_EXIT_DONE;
}
