/* cradle-log.c: Cradle's log lines, kept where a support report finds them
 *
 * Every process of Cradle appends to the same file, one write() per line
 * with O_APPEND, so lines of processes running together never mix.  The
 * file is moved aside when it passes its size, so that it stays bounded
 * whatever runs; what is older is gone. */
#include "config.h"

#include "base/cradle-log-private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cradle/cradle-log.h>
#include <cradle/cradle-paths.h>
#include <cradle/cradle-text.h>

#define LOG_FILE_MAX_BYTES (256 * 1024)

typedef struct {
  char *run;
  char *step;
  char *device;
} LogContext;

static void
log_context_free (gpointer data)
{
  LogContext *context = data;

  g_free (context->run);
  g_free (context->step);
  g_free (context->device);
  g_free (context);
}

static GPrivate context_key = G_PRIVATE_INIT (log_context_free);
static GMutex file_lock;

void
cradle_log_set_context (gint64      run_id,
                        const char *step,
                        const char *device)
{
  LogContext *context;

  if (run_id <= 0)
    {
      g_private_replace (&context_key, NULL);
      return;
    }
  context = g_new0 (LogContext, 1);
  context->run = g_strdup_printf ("%" G_GINT64_FORMAT, run_id);
  context->step = g_strdup (step);
  context->device = cradle_text_escape (device, -1, CRADLE_TEXT_ESCAPE_DEFAULT);
  g_private_replace (&context_key, context);
}

char *
cradle_log_dup_path (void)
{
  g_autofree char *state_dir = cradle_paths_dup_state_dir ();

  return g_build_filename (state_dir, "cradle.log", NULL);
}

static const char *
level_name (GLogLevelFlags log_level)
{
  switch (log_level & G_LOG_LEVEL_MASK)
    {
    case G_LOG_LEVEL_ERROR:
      return "error";
    case G_LOG_LEVEL_CRITICAL:
      return "critical";
    case G_LOG_LEVEL_WARNING:
      return "warning";
    case G_LOG_LEVEL_MESSAGE:
      return "message";
    case G_LOG_LEVEL_INFO:
      return "info";
    default:
      return "debug";
    }
}

static int
open_log_file (const char *path)
{
  return open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
}

/* One line, written with one write(); failures are dropped, as a log
 * cannot report its own. */
static void
keep_line (const char *line,
           gsize       length)
{
  g_autofree char *path = cradle_log_dup_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  struct stat st;
  int fd;

  g_mutex_lock (&file_lock);
  if (!cradle_paths_ensure_private_dir (dir, NULL))
    goto out;
  fd = open_log_file (path);
  if (fd < 0)
    goto out;
  if (fstat (fd, &st) == 0 && st.st_size + (off_t) length > LOG_FILE_MAX_BYTES)
    {
      g_autofree char *older = g_strconcat (path, ".1", NULL);

      /* Another process may move it first: then this one's line goes to
       * the new file, which is as good. */
      close (fd);
      if (rename (path, older) != 0 && errno != ENOENT)
        goto out;
      fd = open_log_file (path);
      if (fd < 0)
        goto out;
    }
  while (length > 0)
    {
      ssize_t written = write (fd, line, length);

      if (written < 0 && errno == EINTR)
        continue;
      if (written <= 0)
        break;
      line += written;
      length -= (gsize) written;
    }
  close (fd);
out:
  g_mutex_unlock (&file_lock);
}

static char *
format_line (GLogLevelFlags  log_level,
             const char     *domain,
             const char     *message,
             const char     *run,
             const char     *step,
             const char     *device)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y-%m-%dT%H:%M:%S.%fZ");
  g_autofree char *one_line = cradle_text_escape (message != NULL ? message : "", -1, CRADLE_TEXT_ESCAPE_DEFAULT);
  g_autofree char *safe_domain = cradle_text_escape (domain != NULL ? domain : "-", -1, CRADLE_TEXT_ESCAPE_DEFAULT);
  GString *line = g_string_new (NULL);

  /* %f is microseconds: milliseconds are enough. */
  if (stamp != NULL && strlen (stamp) == 27)
    {
      stamp[23] = 'Z';
      stamp[24] = '\0';
    }
  g_string_append_printf (line, "%s %s[%d] %s: %s", stamp != NULL ? stamp : "?", safe_domain, (int) getpid (),
                          level_name (log_level), one_line);
  if (run != NULL)
    g_string_append_printf (line, " CRADLE_RUN=%s", run);
  if (step != NULL)
    g_string_append_printf (line, " CRADLE_STEP=%s", step);
  if (device != NULL)
    g_string_append_printf (line, " CRADLE_DEVICE=%s", device);
  g_string_append_c (line, '\n');
  return g_string_free (line, FALSE);
}

GLogWriterOutput
cradle_log_writer (GLogLevelFlags   log_level,
                   const GLogField *fields,
                   gsize            n_fields,
                   gpointer         user_data)
{
  LogContext *context = g_private_get (&context_key);
  g_autofree GLogField *all = g_new (GLogField, n_fields + 3);
  g_autofree char *message = NULL;
  const char *domain = NULL;
  const char *run = NULL, *step = NULL, *device = NULL;
  gsize n_all = 0;
  GLogLevelFlags level = log_level & G_LOG_LEVEL_MASK;
  gboolean about_run;

  for (gsize i = 0; i < n_fields; i++)
    {
      all[n_all] = fields[i];
      if (g_str_equal (fields[i].key, "MESSAGE") && message == NULL && fields[i].value != NULL)
        {
          message = cradle_text_escape (fields[i].value, fields[i].length, CRADLE_TEXT_ESCAPE_KEEP_LINES);
          all[n_all].value = message;
          all[n_all].length = -1;
        }
      else if (g_str_equal (fields[i].key, "GLIB_DOMAIN") && fields[i].length < 0)
        domain = fields[i].value;
      else if (g_str_equal (fields[i].key, "CRADLE_RUN") && fields[i].length < 0)
        run = fields[i].value;
      else if (g_str_equal (fields[i].key, "CRADLE_STEP") && fields[i].length < 0)
        step = fields[i].value;
      else if (g_str_equal (fields[i].key, "CRADLE_DEVICE") && fields[i].length < 0)
        device = fields[i].value;
      n_all++;
    }
  /* The thread's run, for lines that do not name one themselves. */
  if (context != NULL && run == NULL)
    {
      run = context->run;
      all[n_all++] = (GLogField) { "CRADLE_RUN", run, -1 };
      if (step == NULL && context->step != NULL)
        {
          step = context->step;
          all[n_all++] = (GLogField) { "CRADLE_STEP", step, -1 };
        }
      if (device == NULL && context->device != NULL)
        {
          device = context->device;
          all[n_all++] = (GLogField) { "CRADLE_DEVICE", device, -1 };
        }
    }

  about_run = run != NULL && level <= G_LOG_LEVEL_INFO && level != 0;
  if ((level != 0 && level <= G_LOG_LEVEL_MESSAGE) || about_run)
    {
      g_autofree char *line = format_line (log_level, domain, message, run, step, device);

      keep_line (line, strlen (line));
    }
  /* GLib's writer sends a line to the journal only when stderr is the
   * journal and the line is not dropped (info lines are unless
   * G_MESSAGES_DEBUG names them); a run's lines go there in any case. */
  if (about_run &&
      !(g_log_writer_is_journald (fileno (stderr)) && !g_log_writer_default_would_drop (log_level, domain)))
    g_log_writer_journald (log_level, all, n_all, user_data);
  return g_log_writer_default (log_level, all, n_all, user_data);
}
