/* cradle-agent-socket-transport-private.h: the simulator's end of a Unix socket
 *
 * One connected stream socket, one session. Reads block, bounded by
 * SO_RCVTIMEO; the agent never cancels a wait, so this transport takes no
 * GCancellable (pass %NULL) and the agent links no GIO: the host's end,
 * CradleBridgeSocket, is the one built on GSocket.
 */
#pragma once

#include "protocol/cradle-bridge-transport-private.h"

G_BEGIN_DECLS

#define CRADLE_TYPE_AGENT_SOCKET_TRANSPORT (cradle_agent_socket_transport_get_type ())
G_DECLARE_FINAL_TYPE (CradleAgentSocketTransport, cradle_agent_socket_transport,
                      CRADLE, AGENT_SOCKET_TRANSPORT, CradleBridgeTransport)

/* Takes ownership of @fd, a connected stream socket, also on failure. */
CradleBridgeTransport *cradle_agent_socket_transport_new (int          fd,
                                                          const char  *id,
                                                          GError     **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
