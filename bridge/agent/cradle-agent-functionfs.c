/* cradle-agent-functionfs.c: ep0 of the agent's USB function
 *
 * This path needs a USB device controller, which the project's test machines
 * lack: the tests cover the descriptors and the endpoint transport, not this
 * file's event loop. See docs/bridge-protocol.md, 1.1.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/usb/ch9.h>
#include <linux/usb/functionfs.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <cradle/cradle.h>

#include "agent/cradle-agent-functionfs-descriptors-private.h"
#include "agent/cradle-agent-functionfs-private.h"

typedef struct {
  CradleAgentConfig              *config;
  char                           *mount_dir;
  int                             ep0;
  GMainLoop                      *loop;
  CradleAgentFunctionfsTransport *transport;   /* while enabled */
  GThread                        *sessions;    /* serves transport */
  guint                           ep0_source;
} Function;

typedef struct {
  CradleAgentConfig              *config;
  CradleAgentFunctionfsTransport *transport;
} SessionsJob;

void
cradle_agent_functionfs_serve_endpoints (CradleAgentConfig              *config,
                                         CradleAgentFunctionfsTransport *transport)
{
  /* A session ends on broken framing too; the host may start again with
   * HELLO on the same endpoints. */
  while (cradle_agent_functionfs_transport_is_connected (transport))
    cradle_agent_session_run (config, CRADLE_BRIDGE_TRANSPORT (transport));
}

static gpointer
sessions_thread (gpointer data)
{
  SessionsJob *job = data;

  cradle_agent_functionfs_serve_endpoints (job->config, job->transport);
  g_object_unref (job->transport);
  g_free (job);
  return NULL;
}

static gboolean
write_all (int           fd,
           GBytes       *blob,
           GError      **error)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (blob, &size);
  gssize written;

  do
    written = write (fd, data, size);
  while (written < 0 && errno == EINTR);
  if (written != (gssize) size)
    {
      int saved_errno = written < 0 ? errno : EIO;

      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_FAILED, g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

static int
open_endpoint (Function    *function,
               const char  *name,
               GError     **error)
{
  g_autofree char *path = g_build_filename (function->mount_dir, name, NULL);
  int fd = g_open (path, O_RDWR | O_CLOEXEC, 0);

  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                   "Could not open the USB endpoint %s: %s.", path, g_strerror (saved_errno));
    }
  return fd;
}

/* The speed the host chose decides the packet size, hence when a ZLP is due. */
static gsize
endpoint_max_packet (int fd)
{
  struct usb_endpoint_descriptor descriptor = { 0 };

  if (ioctl (fd, FUNCTIONFS_ENDPOINT_DESC, &descriptor) < 0 ||
      GUINT16_FROM_LE (descriptor.wMaxPacketSize) == 0)
    return 512;
  return GUINT16_FROM_LE (descriptor.wMaxPacketSize) & 0x7ff;
}

static void
stop_sessions (Function   *function,
               const char *why)
{
  if (function->transport != NULL)
    {
      cradle_agent_functionfs_transport_disconnect (function->transport, why);
      g_clear_object (&function->transport);
    }
  /* It ends promptly: every wait of a disconnected transport fails at once,
   * and disconnecting interrupted the endpoint calls in progress (a write
   * to a host that stopped reading would wait for ever). What the session
   * was doing to the store ends first: a key being made is saved whole. */
  g_clear_pointer (&function->sessions, g_thread_join);
}

static void
start_sessions (Function *function)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *id = g_strdup_printf ("usb:%s", function->config->serial);
  SessionsJob *job;
  int in_fd;
  int out_fd;

  stop_sessions (function, "the host enabled the function again");
  in_fd = open_endpoint (function, CRADLE_AGENT_FUNCTIONFS_EP_IN, &error);
  out_fd = in_fd >= 0 ? open_endpoint (function, CRADLE_AGENT_FUNCTIONFS_EP_OUT, &error) : -1;
  if (out_fd < 0)
    {
      g_warning ("%s The host cannot reach this device until it enables the function again.",
                 error->message);
      if (in_fd >= 0)
        close (in_fd);
      return;
    }

  function->transport = CRADLE_AGENT_FUNCTIONFS_TRANSPORT (
    cradle_agent_functionfs_transport_new (in_fd, out_fd, endpoint_max_packet (in_fd), id));
  job = g_new0 (SessionsJob, 1);
  job->config = function->config;
  job->transport = g_object_ref (function->transport);
  function->sessions = g_thread_new ("cradle-session", sessions_thread, job);
}

/* This function has no control requests of its own: stall every one, which
 * FunctionFS does when ep0 is used against the request's direction. */
static void
stall_setup (Function                          *function,
             const struct usb_functionfs_event *event)
{
  if (event->u.setup.bRequestType & USB_DIR_IN)
    (void) read (function->ep0, NULL, 0);
  else
    (void) write (function->ep0, NULL, 0);
}

static void
handle_event (Function                          *function,
              const struct usb_functionfs_event *event)
{
  switch (event->type)
    {
    case FUNCTIONFS_BIND:
      g_info ("Bound to the USB device controller");
      break;
    case FUNCTIONFS_ENABLE:
      g_info ("The host enabled the function: serving sessions");
      start_sessions (function);
      break;
    case FUNCTIONFS_DISABLE:
      stop_sessions (function, "the host disabled the function");
      break;
    case FUNCTIONFS_UNBIND:
      stop_sessions (function, "the device was unplugged");
      break;
    case FUNCTIONFS_SETUP:
      stall_setup (function, event);
      break;
    default:
      /* SUSPEND and RESUME change nothing for a session. */
      break;
    }
}

static gboolean
on_ep0_readable (gint         fd,
                 GIOCondition condition,
                 gpointer     user_data)
{
  Function *function = user_data;
  struct usb_functionfs_event events[4];
  gssize got = read (fd, events, sizeof events);

  if (got < 0 && (errno == EINTR || errno == EAGAIN))
    return G_SOURCE_CONTINUE;
  if (got <= 0)
    {
      g_warning ("The USB function's control endpoint failed (%s); stopping.",
                 got < 0 ? g_strerror (errno) : "end of file");
      g_main_loop_quit (function->loop);
      function->ep0_source = 0;
      return G_SOURCE_REMOVE;
    }
  for (gsize i = 0; i < (gsize) got / sizeof events[0]; i++)
    handle_event (function, &events[i]);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_quit_signal (gpointer user_data)
{
  g_main_loop_quit (((Function *) user_data)->loop);
  return G_SOURCE_REMOVE;
}

gboolean
cradle_agent_functionfs_serve (CradleAgentConfig  *config,
                               const char         *mount_dir,
                               GError            **error)
{
  g_autofree char *ep0_path = g_build_filename (mount_dir, "ep0", NULL);
  g_autoptr(GBytes) descriptors = cradle_agent_functionfs_descriptors ();
  g_autoptr(GBytes) strings = cradle_agent_functionfs_strings ();
  g_autoptr(GError) local_error = NULL;
  Function function = { .config = config, .ep0 = -1 };

  function.ep0 = g_open (ep0_path, O_RDWR | O_CLOEXEC, 0);
  if (function.ep0 < 0)
    {
      int saved_errno = errno;

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                   "Could not open %s (%s). Mount FunctionFS there first (data/cradle-gadget does it).",
                   ep0_path, g_strerror (saved_errno));
      return FALSE;
    }
  if (!write_all (function.ep0, descriptors, &local_error) ||
      !write_all (function.ep0, strings, &local_error))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                   "FunctionFS at %s refused the USB descriptors (%s). "
                   "Is another agent already serving it, or the gadget already bound?",
                   mount_dir, local_error->message);
      close (function.ep0);
      return FALSE;
    }

  function.mount_dir = g_strdup (mount_dir);
  function.loop = g_main_loop_new (NULL, FALSE);
  function.ep0_source = g_unix_fd_add (function.ep0, G_IO_IN, on_ep0_readable, &function);
  g_unix_signal_add (SIGTERM, on_quit_signal, &function);
  g_unix_signal_add (SIGINT, on_quit_signal, &function);
  g_print ("cradle-agent: device %s (%s) serving USB through %s\n",
           config->serial, config->model, mount_dir);
  g_main_loop_run (function.loop);

  g_clear_handle_id (&function.ep0_source, g_source_remove);
  stop_sessions (&function, "the agent is stopping");
  close (function.ep0);
  g_info ("Stopped serving USB through %s", mount_dir);
  g_main_loop_unref (function.loop);
  g_free (function.mount_dir);
  return TRUE;
}
