/* cradle-types-helper.c: saves and removes the administrator's certificate types, through pkexec
 *
 *   pkexec LIBEXECDIR/cradle-types-helper save NAME    < type file [NUL challenge]
 *   pkexec LIBEXECDIR/cradle-types-helper remove NAME
 *
 * polkit authorises the caller (org.cradle.Cradle.manage-types, an
 * administrator's password, data/org.cradle.Cradle.policy); this program
 * trusts nothing it is given.  NAME must be a plain file name; standard
 * input is read bounded (64 KiB of type file, then, after a NUL byte, a
 * SCEP challenge of at most 1 KiB, empty to remove it); the text is read
 * by the one strict type-file parser and must be the type NAME; a
 * challenge must not be in the type file, and goes only to
 * TYPES.D/NAME.challenge (0600), which the type must name.  Each file is
 * written beside and renamed over, after fsync: whole or not at all.  The
 * type file is 0644, both root's.  Messages never hold the challenge.
 * Exit: 0 done, 1 refused or failed (the reason on stderr), 2 usage.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <cradle/cradle.h>

#define MAX_TYPE_FILE  (64 * 1024)
#define MAX_CHALLENGE  1024
#define MAX_NAME       64
#define MAX_HELPER_INPUT      (MAX_TYPE_FILE + 1 + MAX_CHALLENGE)

enum {
  EXIT_DONE = 0,
  EXIT_REFUSED = 1,
  EXIT_USAGE = 2,
};

static void G_GNUC_PRINTF (1, 2)
fail (const char *format,
      ...)
{
  g_autofree char *message = NULL;
  g_autofree char *shown = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  shown = cradle_text_escape (message, -1, CRADLE_TEXT_ESCAPE_DEFAULT);
  g_printerr ("cradle-types-helper: %s\n", shown);
}

/* A plain file name as type files name themselves (letters, digits, '-',
 * '_' and '.'), not hidden, no path. */
static gboolean
is_plain_name (const char *name)
{
  gsize length = strlen (name);

  if (length == 0 || length > MAX_NAME || name[0] == '.')
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;
  return TRUE;
}

/* Root, through pkexec or not: nothing else can write the folder, and a
 * user who runs it directly is told where to go. */
static gboolean
check_caller (void)
{
  const char *pkexec_uid = g_getenv ("PKEXEC_UID");
  guint64 uid;

  if (geteuid () != 0 || getuid () != 0)
    {
      fail ("only root may change the certificate types of this computer. Save the type for every "
            "user from the app or cradlectl, which run this helper through pkexec: it asks for an "
            "administrator's password.");
      return FALSE;
    }
  if (pkexec_uid != NULL)
    {
      if (!g_ascii_string_to_unsigned (pkexec_uid, 10, 0, G_MAXUINT32, &uid, NULL))
        {
          fail ("PKEXEC_UID is not a user id; refusing.");
          return FALSE;
        }
      /* pkexec resets the environment; a folder override is for tests run
       * by root, never for a caller pkexec vouches for. */
      g_unsetenv ("CRADLE_SYSTEM_CONFIG_DIR");
    }
  return TRUE;
}

/* All of standard input, at most MAX_HELPER_INPUT bytes; %NULL when larger. */
static GByteArray *
read_input (void)
{
  g_autoptr(GByteArray) input = g_byte_array_sized_new (4096);
  guint8 buffer[4096];

  for (;;)
    {
      gssize got = read (STDIN_FILENO, buffer, sizeof buffer);

      if (got < 0 && errno == EINTR)
        continue;
      if (got < 0)
        {
          fail ("could not read standard input: %s.", g_strerror (errno));
          return NULL;
        }
      if (got == 0)
        break;
      if (input->len + (gsize) got > MAX_HELPER_INPUT)
        {
          explicit_bzero (buffer, sizeof buffer);
          explicit_bzero (input->data, input->len);
          fail ("the input is larger than a type file (%d KiB) and a challenge (%d bytes); refusing.",
                MAX_TYPE_FILE / 1024, MAX_CHALLENGE);
          return NULL;
        }
      g_byte_array_append (input, buffer, (guint) got);
    }
  explicit_bzero (buffer, sizeof buffer);
  return g_steal_pointer (&input);
}

static void
wipe_input (GByteArray *input)
{
  explicit_bzero (input->data, input->len);
  g_byte_array_unref (input);
}
typedef GByteArray WipedBytes;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WipedBytes, wipe_input)

static gboolean
write_all (int           fd,
           const guint8 *data,
           gsize         size)
{
  while (size > 0)
    {
      gssize written = write (fd, data, size);

      if (written < 0 && errno == EINTR)
        continue;
      if (written <= 0)
        return FALSE;
      data += written;
      size -= (gsize) written;
    }
  return TRUE;
}

/* A new file beside @path in @folder, written, synced, with @mode; its
 * name in @temp_path.  Nothing is left on failure. */
static gboolean
write_beside (const char    *folder,
              const char    *file_name,
              const guint8  *data,
              gsize          size,
              mode_t         mode,
              char         **temp_path)
{
  g_autofree char *template = g_strdup_printf (".%s.XXXXXX", file_name);
  g_autofree char *path = g_build_filename (folder, template, NULL);
  int fd = g_mkstemp_full (path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
  int saved_errno;

  if (fd < 0)
    {
      fail ("could not create a file in %s: %s.", folder, g_strerror (errno));
      return FALSE;
    }
  if (write_all (fd, data, size) && fchown (fd, 0, 0) == 0 && fchmod (fd, mode) == 0 &&
      fsync (fd) == 0 && close (fd) == 0)
    {
      *temp_path = g_steal_pointer (&path);
      return TRUE;
    }
  saved_errno = errno;
  close (fd);
  g_unlink (path);
  fail ("could not write %s in %s: %s.", file_name, folder, g_strerror (saved_errno));
  return FALSE;
}

static void
sync_folder (const char *folder)
{
  int fd = open (folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd >= 0)
    {
      fsync (fd);
      close (fd);
    }
}

/* The parser's message names the file it read: name the type's instead. */
static char *
dup_parse_message (const char *message,
                   const char *temp_path,
                   const char *file_name)
{
  g_auto(GStrv) parts = g_strsplit (message, temp_path, -1);

  return g_strjoinv (file_name, parts);
}

/* The type file in @temp_path, read by the one strict parser: it must be
 * the type @name, and name the challenge file as the challenge given says. */
static gboolean
check_type (const char *name,
            const char *temp_path,
            const char *challenge_path,
            gboolean    has_challenge,
            gboolean    challenge_empty)
{
  g_autofree char *file_name = g_strconcat (name, ".conf", NULL);
  g_autoptr(CradleCertType) type = NULL;
  g_autoptr(GError) error = NULL;
  const char *challenge_file;

  type = cradle_cert_type_new_from_file (temp_path, NULL, &error);
  if (type == NULL)
    {
      g_autofree char *message = dup_parse_message (error->message, temp_path, file_name);

      fail ("not a valid certificate type: %s", message);
      return FALSE;
    }
  if (!g_str_equal (cradle_cert_type_get_name (type), name))
    {
      fail ("the type file says Name=%s, but it is to be saved as %s; they must be the same.",
            cradle_cert_type_get_name (type), name);
      return FALSE;
    }
  challenge_file = cradle_cert_type_get_challenge_file (type);
  if (has_challenge && !challenge_empty)
    {
      if (cradle_cert_type_get_protocol (type) != CRADLE_CA_PROTOCOL_SCEP)
        {
          fail ("a challenge was given for %s, which is not a SCEP type; refusing.", name);
          return FALSE;
        }
      if (g_strcmp0 (challenge_file, challenge_path) != 0)
        {
          fail ("the challenge goes to %s, so the type must say ChallengeFile=%s.", challenge_path,
                challenge_path);
          return FALSE;
        }
    }
  else if (g_strcmp0 (challenge_file, challenge_path) == 0 &&
           (challenge_empty || !g_file_test (challenge_path, G_FILE_TEST_IS_REGULAR)))
    {
      fail ("the type names its challenge file %s, but no challenge %s; give the challenge, or "
            "leave ChallengeFile out.", challenge_path, challenge_empty ? "is kept" : "was given");
      return FALSE;
    }
  return TRUE;
}

static int
save (const char *name,
      const char *folder)
{
  g_autoptr(WipedBytes) input = NULL;
  g_autofree char *type_name = g_strconcat (name, ".conf", NULL);
  g_autofree char *challenge_name = g_strconcat (name, ".challenge", NULL);
  g_autofree char *type_path = g_build_filename (folder, type_name, NULL);
  g_autofree char *challenge_path = g_build_filename (folder, challenge_name, NULL);
  g_autofree char *type_temp = NULL;
  g_autofree char *challenge_temp = NULL;
  const guint8 *nul;
  gsize text_size, challenge_size = 0;
  const guint8 *challenge = NULL;
  gboolean has_challenge;

  input = read_input ();
  if (input == NULL)
    return EXIT_REFUSED;
  nul = memchr (input->data, '\0', input->len);
  has_challenge = nul != NULL;
  text_size = has_challenge ? (gsize) (nul - input->data) : input->len;
  if (has_challenge)
    {
      challenge = nul + 1;
      challenge_size = input->len - text_size - 1;
      /* One trailing newline, as `echo` writes it, is not part of it. */
      if (challenge_size > 0 && challenge[challenge_size - 1] == '\n')
        challenge_size--;
    }

  if (text_size == 0 || text_size > MAX_TYPE_FILE || !g_utf8_validate ((const char *) input->data, text_size, NULL))
    {
      fail ("the type file must be 1 byte to %d KiB of UTF-8 text; refusing.", MAX_TYPE_FILE / 1024);
      return EXIT_REFUSED;
    }
  if (challenge_size > MAX_CHALLENGE)
    {
      fail ("the challenge is longer than %d bytes; refusing.", MAX_CHALLENGE);
      return EXIT_REFUSED;
    }
  for (gsize i = 0; i < challenge_size; i++)
    if (challenge[i] < 0x20 || challenge[i] == 0x7f)
      {
        fail ("the challenge must be one line of printable characters; refusing.");
        return EXIT_REFUSED;
      }
  if (challenge_size > 0 && memmem (input->data, text_size, challenge, challenge_size) != NULL)
    {
      fail ("the type file holds the challenge; it must be kept only in %s. Refusing.", challenge_path);
      return EXIT_REFUSED;
    }

  if (g_mkdir_with_parents (folder, 0755) != 0)
    {
      fail ("could not create %s: %s.", folder, g_strerror (errno));
      return EXIT_REFUSED;
    }
  if (!write_beside (folder, type_name, input->data, text_size, 0644, &type_temp))
    return EXIT_REFUSED;
  if (!check_type (name, type_temp, challenge_path, has_challenge, has_challenge && challenge_size == 0))
    {
      g_unlink (type_temp);
      return EXIT_REFUSED;
    }

  /* The challenge first: a type never names a file that is not there. */
  if (challenge_size > 0)
    {
      if (!write_beside (folder, challenge_name, challenge, challenge_size, 0600, &challenge_temp))
        {
          g_unlink (type_temp);
          return EXIT_REFUSED;
        }
      if (g_rename (challenge_temp, challenge_path) != 0)
        {
          fail ("could not put the challenge in %s: %s.", challenge_path, g_strerror (errno));
          g_unlink (challenge_temp);
          g_unlink (type_temp);
          return EXIT_REFUSED;
        }
    }
  if (g_rename (type_temp, type_path) != 0)
    {
      fail ("could not put the type in %s: %s.", type_path, g_strerror (errno));
      g_unlink (type_temp);
      return EXIT_REFUSED;
    }
  if (has_challenge && challenge_size == 0 && g_unlink (challenge_path) != 0 && errno != ENOENT)
    {
      fail ("the type is saved, but its old challenge %s could not be removed: %s.", challenge_path,
            g_strerror (errno));
      return EXIT_REFUSED;
    }
  sync_folder (folder);
  g_print ("%s\n", type_path);
  return EXIT_DONE;
}

static int
remove_type (const char *name,
             const char *folder)
{
  g_autofree char *type_name = g_strconcat (name, ".conf", NULL);
  g_autofree char *challenge_name = g_strconcat (name, ".challenge", NULL);
  g_autofree char *type_path = g_build_filename (folder, type_name, NULL);
  g_autofree char *challenge_path = g_build_filename (folder, challenge_name, NULL);

  if (g_unlink (type_path) != 0)
    {
      if (errno == ENOENT)
        fail ("there is no certificate type %s in %s.", name, folder);
      else
        fail ("could not remove %s: %s.", type_path, g_strerror (errno));
      return EXIT_REFUSED;
    }
  if (g_unlink (challenge_path) != 0 && errno != ENOENT)
    {
      fail ("the type is removed, but its challenge %s could not be: %s.", challenge_path, g_strerror (errno));
      return EXIT_REFUSED;
    }
  sync_folder (folder);
  return EXIT_DONE;
}

static int
run (int    argc,
     char **argv)
{
  g_autofree char *config = NULL;
  g_autofree char *folder = NULL;

  if (argc != 3 || !(g_str_equal (argv[1], "save") || g_str_equal (argv[1], "remove")))
    {
      g_printerr ("Usage: cradle-types-helper save NAME < TYPEFILE[\\0CHALLENGE]\n"
                  "       cradle-types-helper remove NAME\n");
      return EXIT_USAGE;
    }
  if (!check_caller ())
    return EXIT_REFUSED;
  if (!is_plain_name (argv[2]))
    {
      fail ("'%s' is not a type name: 1 to %d letters, digits, '-', '_' or '.', not starting "
            "with '.'.", argv[2], MAX_NAME);
      return EXIT_REFUSED;
    }

  umask (022);
  config = cradle_paths_dup_system_config_dir ();
  folder = g_build_filename (config, "types.d", NULL);
  if (g_str_equal (argv[1], "save"))
    return save (argv[2], folder);
  return remove_type (argv[2], folder);
}

int
main (int    argc,
      char **argv)
{
  setlocale (LC_ALL, "");
  cradle_process_exit (run (argc, argv), EXIT_REFUSED);
}
