/* cradle-bridge-socket.c: simulated devices over a Unix socket, the host's end
 *
 * A simulated device listens at $XDG_RUNTIME_DIR/cradle/devices/<serial>.sock
 * (cradle-bridge-socket-folder.c); one connection is one session, like one
 * plug-in over USB. Built on GSocket for the host's cancellable waits; the
 * agent's end, which links no GIO, is bridge/agent/cradle-agent-socket-transport.c.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <cradle/cradle.h>

#include "protocol/cradle-bridge-socket-private.h"

struct _CradleBridgeSocket
{
  CradleBridgeTransport parent_instance;

  /* Owned */
  GSocket *socket;
  guint    receive_timeout_ms;   /* SO_RCVTIMEO now set on the descriptor */
  gboolean blocking_fd;          /* O_NONBLOCK cleared for plain reads */
};

G_DEFINE_FINAL_TYPE (CradleBridgeSocket, cradle_bridge_socket, CRADLE_TYPE_BRIDGE_TRANSPORT)

static void
set_gone (GError     **error,
          const char  *id,
          const char  *why)
{
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE,
               "The device %s went away (%s). Connect it again to continue.", id, why);
}

static gboolean
cradle_bridge_socket_send (CradleBridgeTransport  *transport,
                           GBytes                 *frame,
                           GCancellable           *cancellable,
                           GError                **error)
{
  CradleBridgeSocket *self = CRADLE_BRIDGE_SOCKET (transport);
  const guint8 *data;
  gsize size;
  gsize offset = 0;

  if (self->socket == NULL)
    {
      set_gone (error, cradle_bridge_transport_get_id (transport), "the session is closed");
      return FALSE;
    }
  data = g_bytes_get_data (frame, &size);
  while (offset < size)
    {
      g_autoptr(GError) local_error = NULL;
      gssize sent = g_socket_send (self->socket, (const char *) data + offset, size - offset,
                                   cancellable, &local_error);

      if (sent < 0)
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            g_propagate_error (error, g_steal_pointer (&local_error));
          else
            set_gone (error, cradle_bridge_transport_get_id (transport), local_error->message);
          return FALSE;
        }
      offset += (gsize) sent;
    }
  return TRUE;
}

/* A blocking read() that gives up after @timeout_ms (-1 with EAGAIN). */
static gssize
read_with_timeout (CradleBridgeSocket *self,
                   guint8             *buffer,
                   gsize               size,
                   guint               timeout_ms)
{
  int fd = g_socket_get_fd (self->socket);
  gssize got;

  if (!self->blocking_fd)
    {
      int flags = fcntl (fd, F_GETFL);

      if (flags < 0 || fcntl (fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
        return -1;
      self->blocking_fd = TRUE;
    }
  if (self->receive_timeout_ms != timeout_ms)
    {
      struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };

      if (setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)
        return -1;
      self->receive_timeout_ms = timeout_ms;
    }
  do
    got = recv (fd, buffer, size, 0);
  while (got < 0 && errno == EINTR);
  return got;
}

static gssize
cradle_bridge_socket_receive (CradleBridgeTransport  *transport,
                              guint8                 *buffer,
                              gsize                   size,
                              guint                   timeout_ms,
                              GCancellable           *cancellable,
                              GError                **error)
{
  CradleBridgeSocket *self = CRADLE_BRIDGE_SOCKET (transport);
  g_autoptr(GError) local_error = NULL;
  gssize got;

  if (self->socket == NULL)
    {
      set_gone (error, cradle_bridge_transport_get_id (transport), "the session is closed");
      return -1;
    }
  /* Nothing to cancel: one blocking read bounded by SO_RCVTIMEO, instead
   * of a poll() and a read for every frame (bench-bridge). */
  if (cancellable == NULL && timeout_ms > 0)
    {
      got = read_with_timeout (self, buffer, size, timeout_ms);
      if (got > 0)
        return got;
      if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return 0;
      set_gone (error, cradle_bridge_transport_get_id (transport),
                got == 0 ? "the other side closed the session" : g_strerror (errno));
      return -1;
    }
  if (!g_socket_condition_timed_wait (self->socket, G_IO_IN, (gint64) timeout_ms * 1000,
                                      cancellable, &local_error))
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
        return 0;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return -1;
    }
  got = g_socket_receive (self->socket, (char *) buffer, size, cancellable, &local_error);
  if (got < 0)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        set_gone (error, cradle_bridge_transport_get_id (transport), local_error->message);
      return -1;
    }
  if (got == 0)
    {
      set_gone (error, cradle_bridge_transport_get_id (transport), "the agent closed the session");
      return -1;
    }
  return got;
}

static void
cradle_bridge_socket_close (CradleBridgeTransport *transport)
{
  CradleBridgeSocket *self = CRADLE_BRIDGE_SOCKET (transport);

  if (self->socket != NULL)
    g_socket_close (self->socket, NULL);
  g_clear_object (&self->socket);
}

static void
cradle_bridge_socket_dispose (GObject *object)
{
  cradle_bridge_socket_close (CRADLE_BRIDGE_TRANSPORT (object));
  G_OBJECT_CLASS (cradle_bridge_socket_parent_class)->dispose (object);
}

static void
cradle_bridge_socket_class_init (CradleBridgeSocketClass *klass)
{
  CradleBridgeTransportClass *transport_class = CRADLE_BRIDGE_TRANSPORT_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = cradle_bridge_socket_dispose;
  transport_class->send = cradle_bridge_socket_send;
  transport_class->receive = cradle_bridge_socket_receive;
  transport_class->close = cradle_bridge_socket_close;
}

static void
cradle_bridge_socket_init (CradleBridgeSocket *self)
{
}

/**
 * cradle_bridge_socket_new_for_fd:
 * @fd: a connected stream socket, owned by the transport from now on
 */
CradleBridgeTransport *
cradle_bridge_socket_new_for_fd (int          fd,
                                 const char  *id,
                                 GError     **error)
{
  g_autoptr(GSocket) socket = g_socket_new_from_fd (fd, error);
  CradleBridgeSocket *self;

  if (socket == NULL)
    return NULL;
  g_socket_set_blocking (socket, TRUE);
  self = g_object_new (CRADLE_TYPE_BRIDGE_SOCKET, "kind", "socket", "id", id, NULL);
  self->socket = g_steal_pointer (&socket);
  return CRADLE_BRIDGE_TRANSPORT (self);
}

CradleBridgeTransport *
cradle_bridge_socket_connect (const char  *path,
                              GError     **error)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *id = cradle_bridge_socket_id_for_path (path);
  CradleBridgeSocket *self;

  socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, error);
  if (socket == NULL)
    return NULL;
  address = g_unix_socket_address_new (path);
  if (!g_socket_connect (socket, address, NULL, &local_error))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE,
                   "The simulated device at %s does not answer (%s). Start it again with cradle-agent.",
                   path, local_error->message);
      return NULL;
    }
  self = g_object_new (CRADLE_TYPE_BRIDGE_SOCKET, "kind", "socket", "id", id, NULL);
  self->socket = g_steal_pointer (&socket);
  return CRADLE_BRIDGE_TRANSPORT (self);
}
