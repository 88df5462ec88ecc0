/* bench-first-frame.c: how long an X client takes to show its window, and its idle size
 *
 *   bench-first-frame [--idle SECONDS] COMMAND [ARG...]
 *
 * Measured from just before the command is started, the same way for any
 * X client: "map" when its first top-level window is mapped (MapNotify on
 * the root; no window manager, as under Xvfb).  A client that prints
 * "cradle-bench: first-frame monotonic-us=N" (the app and the minimal
 * libadwaita peer do with their frame clock's first "after-paint") also
 * gets "first frame".  With --idle it waits that long after and reads the
 * client's resident size from /proc.  Prints one line:
 *
 *   map-ms=41.2 first-frame-ms=63.0 rss-kb=51234
 *
 * (-1 for what was not measured.)  The client's other output goes to
 * standard error.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <X11/Xlib.h>

#define TIMEOUT_MS 30000
#define HOOK "cradle-bench: first-frame monotonic-us="

static double
now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static long
rss_kb (pid_t pid)
{
  char path[64], line[256];
  long kb = -1;
  FILE *file;

  snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
  file = fopen (path, "r");
  if (file == NULL)
    return -1;
  while (fgets (line, sizeof line, file) != NULL)
    if (strncmp (line, "VmRSS:", 6) == 0)
      {
        kb = strtol (line + 6, NULL, 10);
        break;
      }
  fclose (file);
  return kb;
}

static void
stop (pid_t pid)
{
  kill (pid, SIGTERM);
  for (int i = 0; i < 100; i++)
    {
      if (waitpid (pid, NULL, WNOHANG) == pid)
        return;
      usleep (50 * 1000);
    }
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
}

/* Passes the client's output on to stderr, and finds the hook's line. */
static void
read_output (int     fd,
             char   *buffer,
             size_t *length,
             double *frame_us)
{
  ssize_t got = read (fd, buffer + *length, 4095 - *length);
  char *line, *end;

  if (got <= 0)
    return;
  *length += (size_t) got;
  buffer[*length] = '\0';
  line = buffer;
  while ((end = strchr (line, '\n')) != NULL)
    {
      *end = '\0';
      if (strncmp (line, HOOK, strlen (HOOK)) == 0)
        *frame_us = strtod (line + strlen (HOOK), NULL);
      else
        fprintf (stderr, "%s\n", line);
      line = end + 1;
    }
  *length = strlen (line);
  memmove (buffer, line, *length + 1);
  if (*length == 4095)
    *length = 0;
}

int
main (int    argc,
      char **argv)
{
  Display *display;
  double start, map_ms = -1, frame_us = -1, waited;
  char output[4096];
  size_t output_length = 0;
  unsigned idle = 0;
  int first = 1, pipe_fds[2];
  pid_t pid;

  if (argc > 2 && strcmp (argv[1], "--idle") == 0)
    {
      idle = (unsigned) strtoul (argv[2], NULL, 10);
      first = 3;
    }
  if (first >= argc)
    {
      fprintf (stderr, "usage: bench-first-frame [--idle SECONDS] COMMAND [ARG...]\n");
      return 2;
    }
  display = XOpenDisplay (NULL);
  if (display == NULL)
    {
      fprintf (stderr, "bench-first-frame: cannot open the display (DISPLAY=%s)\n", getenv ("DISPLAY"));
      return 2;
    }
  XSelectInput (display, DefaultRootWindow (display), SubstructureNotifyMask);
  XSync (display, False);
  if (pipe (pipe_fds) != 0)
    {
      perror ("pipe");
      return 2;
    }

  start = now_ms ();
  pid = fork ();
  if (pid < 0)
    {
      perror ("fork");
      return 2;
    }
  if (pid == 0)
    {
      close (ConnectionNumber (display));
      close (pipe_fds[0]);
      dup2 (pipe_fds[1], STDOUT_FILENO);
      close (pipe_fds[1]);
      execvp (argv[first], argv + first);
      fprintf (stderr, "bench-first-frame: cannot run %s: %s\n", argv[first], strerror (errno));
      _exit (127);
    }
  close (pipe_fds[1]);

  /* Until the window is mapped, and a little longer for a first-frame line. */
  while (now_ms () - start < TIMEOUT_MS && (map_ms < 0 || (frame_us < 0 && now_ms () - start < map_ms + 3000)))
    {
      struct pollfd fds[2] = {
        { .fd = ConnectionNumber (display), .events = POLLIN },
        { .fd = pipe_fds[0], .events = POLLIN },
      };

      while (XPending (display) > 0)
        {
          XEvent event;

          XNextEvent (display, &event);
          if (event.type == MapNotify && map_ms < 0 && !event.xmap.override_redirect)
            map_ms = now_ms () - start;
        }
      if (poll (fds, 2, 50) > 0 && (fds[1].revents & (POLLIN | POLLHUP)))
        read_output (pipe_fds[0], output, &output_length, &frame_us);
    }
  if (map_ms < 0)
    {
      fprintf (stderr, "bench-first-frame: %s mapped no window within %d s\n", argv[first], TIMEOUT_MS / 1000);
      stop (pid);
      return 1;
    }
  /* Keep passing its output on while it idles. */
  waited = now_ms ();
  while (now_ms () - waited < idle * 1000.0)
    {
      struct pollfd fd = { .fd = pipe_fds[0], .events = POLLIN };

      if (poll (&fd, 1, 100) > 0 && (fd.revents & POLLIN))
        read_output (pipe_fds[0], output, &output_length, &frame_us);
    }
  printf ("map-ms=%.1f first-frame-ms=%.1f rss-kb=%ld\n", map_ms,
          frame_us > 0 ? frame_us / 1000.0 - start : -1.0, idle > 0 ? rss_kb (pid) : -1L);
  fflush (stdout);
  stop (pid);
  XCloseDisplay (display);
  return 0;
}
