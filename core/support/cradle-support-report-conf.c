/* cradle-support-report-conf.c: cradle.conf and the type files, with
 * secrets removed
 *
 * The files are read as hostile: a bounded part of a regular file only,
 * never through a symbolic link, each line escaped (cradle_text_escape()).
 * A key whose name says it may hold a secret keeps its name and loses its
 * value, and that value is then removed from every file of the report,
 * as is each type's SCEP challenge, which is never copied itself. */
#include "config.h"

#include "support/cradle-support-report-private.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cradle/cradle-text.h>

#define MAX_LINE_BYTES 4096
#define MIN_SECRET_BYTES 4

GBytes *
_cradle_support_report_read_file (const char *path,
              gsize       max,
              gboolean   *cut)
{
  g_autofree guint8 *data = g_malloc (max + 1);
  gsize length = 0;
  struct stat st;
  int fd;

  *cut = FALSE;
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  if (fd < 0)
    return NULL;
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      close (fd);
      errno = 0;
      return NULL;
    }
  while (length < max + 1)
    {
      ssize_t got = read (fd, data + length, max + 1 - length);

      if (got < 0 && errno == EINTR)
        continue;
      if (got < 0)
        {
          int saved = errno;

          close (fd);
          errno = saved;
          return NULL;
        }
      if (got == 0)
        break;
      length += (gsize) got;
    }
  close (fd);
  if (length > max)
    {
      length = max;
      *cut = TRUE;
    }
  /* Ended by a NUL past its length, and never NULL data, even when empty. */
  data[length] = '\0';
  return g_bytes_new_take (g_steal_pointer (&data), length);
}

static gboolean
is_secret_key (const char *key,
               gsize       length)
{
  g_autofree char *lower = g_strstrip (g_ascii_strdown (key, (gssize) length));
  static const char * const words[] = {
    "password", "passwd", "passphrase", "secret", "token", "credential", "privatekey", "private-key",
    "private_key", "ticket", "psk", "cookie",
  };

  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    if (strstr (lower, words[i]) != NULL)
      return TRUE;
  /* ChallengeFile= names the challenge's file, not the challenge. */
  if (strstr (lower, "challenge") != NULL && !g_str_has_suffix (lower, "file"))
    return TRUE;
  return g_str_equal (lower, "pin") || g_str_has_prefix (lower, "pin") || g_str_has_suffix (lower, "pin");
}

static void
note_secret (GPtrArray  *secrets,
             const char *value,
             gsize       length)
{
  g_autofree char *trimmed = g_strstrip (g_strndup (value, length));

  if (strlen (trimmed) >= MIN_SECRET_BYTES)
    g_ptr_array_add (secrets, g_steal_pointer (&trimmed));
}

void
_cradle_support_report_note_secret_file (const char *path,
                                         GPtrArray  *secrets)
{
  g_autoptr(GBytes) bytes = NULL;
  gboolean cut;
  gsize length;
  const char *data;
  const char *end;

  bytes = _cradle_support_report_read_file (path, 1024, &cut);
  if (bytes == NULL)
    return;
  data = g_bytes_get_data (bytes, &length);
  end = memchr (data, '\n', length);
  note_secret (secrets, data, end != NULL ? (gsize) (end - data) : length);
}

static void
add_line (GString    *out,
          const char *line,
          gsize       length,
          gboolean   *in_private_key,
          GPtrArray  *secrets)
{
  const char *equals;
  gsize key_length;
  g_autofree char *escaped = NULL;

  if (length > 0 && line[length - 1] == '\r')
    length--;
  /* A PEM private key pasted in: none of it. */
  if (g_strstr_len (line, (gssize) length, "PRIVATE KEY-----") != NULL)
    {
      gboolean begins = g_strstr_len (line, (gssize) length, "-----BEGIN") != NULL;

      if (begins)
        g_string_append (out, "(a private key: removed)\n");
      *in_private_key = begins;
      return;
    }
  if (*in_private_key)
    return;
  if (length > MAX_LINE_BYTES)
    length = MAX_LINE_BYTES;
  equals = memchr (line, '=', length);
  if (equals != NULL && line[0] != '#' && line[0] != ';' && line[0] != '[')
    {
      key_length = (gsize) (equals - line);
      if (is_secret_key (line, key_length))
        {
          g_autofree char *key = cradle_text_escape (line, (gssize) key_length, CRADLE_TEXT_ESCAPE_DEFAULT);

          note_secret (secrets, equals + 1, length - key_length - 1);
          g_string_append_printf (out, "%s=(removed)\n", key);
          return;
        }
    }
  escaped = cradle_text_escape (line, (gssize) length, CRADLE_TEXT_ESCAPE_DEFAULT);
  g_string_append (out, escaped);
  g_string_append_c (out, '\n');
}

void
_cradle_support_report_add_conf (GString    *out,
                                 const char *path,
                                 GPtrArray  *secrets)
{
  g_autofree char *shown = cradle_text_escape (path, -1, CRADLE_TEXT_ESCAPE_DEFAULT);
  g_autoptr(GBytes) bytes = NULL;
  gboolean in_private_key = FALSE;
  gboolean cut;
  const char *data;
  gsize length;
  gsize start = 0;

  bytes = _cradle_support_report_read_file (path, CRADLE_REPORT_MAX_FILE_BYTES, &cut);
  if (bytes == NULL)
    {
      if (errno == ENOENT)
        g_string_append_printf (out, "# %s: there is no such file\n", shown);
      else if (errno == ELOOP)
        g_string_append_printf (out, "# %s: a symbolic link, not followed\n", shown);
      else if (errno == 0)
        g_string_append_printf (out, "# %s: not a regular file, not read\n", shown);
      else
        g_string_append_printf (out, "# %s: could not be read (%s)\n", shown, g_strerror (errno));
      return;
    }
  g_string_append_printf (out, "# %s (secrets removed)\n", shown);
  data = g_bytes_get_data (bytes, &length);
  while (start < length)
    {
      const char *end = memchr (data + start, '\n', length - start);
      gsize line_length = end != NULL ? (gsize) (end - (data + start)) : length - start;

      add_line (out, data + start, line_length, &in_private_key, secrets);
      start += line_length + 1;
    }
  if (cut)
    g_string_append_printf (out, "# (the rest is left out: only the first %d KiB of a file are read)\n",
                            CRADLE_REPORT_MAX_FILE_BYTES / 1024);
}

void
_cradle_support_report_remove_secrets (GPtrArray *files,
                                       GPtrArray *secrets)
{
  for (guint i = 0; i < files->len; i++)
    {
      CradleReportFile *file = g_ptr_array_index (files, i);

      for (guint j = 0; j < secrets->len; j++)
        {
          const char *secret = g_ptr_array_index (secrets, j);
          g_autofree char *escaped = cradle_text_escape (secret, -1, CRADLE_TEXT_ESCAPE_DEFAULT);
          g_autofree char *json = g_strescape (secret, NULL);

          /* As it is, as the escaper and as JSON would write it. */
          g_string_replace (file->text, secret, "(removed)", 0);
          g_string_replace (file->text, escaped, "(removed)", 0);
          g_string_replace (file->text, json, "(removed)", 0);
        }
    }
}
