/* cradle-agent-functionfs-transport-private.h: the device's end of the USB binding
 *
 * Frames go out on the bulk IN endpoint file and come in on the bulk OUT one.
 * FunctionFS endpoint files cannot be polled, so a reader thread blocks in
 * read() and hands what arrives to receive(), which can then wait with a
 * timeout. The endpoints stay open across sessions: a session that ends on
 * broken framing is followed by a new one on the same endpoints, as the host
 * may send HELLO again without re-plugging. Only disconnect() (the gadget was
 * disabled or unbound) ends the transport for good.
 */
#pragma once

#include "protocol/cradle-bridge-transport-private.h"

G_BEGIN_DECLS

#define CRADLE_TYPE_AGENT_FUNCTIONFS_TRANSPORT (cradle_agent_functionfs_transport_get_type ())
G_DECLARE_FINAL_TYPE (CradleAgentFunctionfsTransport, cradle_agent_functionfs_transport,
                      CRADLE, AGENT_FUNCTIONFS_TRANSPORT, CradleBridgeTransport)

/* Takes ownership of both descriptors. @max_packet is the IN endpoint's
 * wMaxPacketSize: a frame that fills whole packets ends with a zero-length one. */
CradleBridgeTransport *cradle_agent_functionfs_transport_new (int         in_fd,
                                                              int         out_fd,
                                                              gsize       max_packet,
                                                              const char *id);

/* The host is gone: waiting and later calls fail with CRADLE_ERROR_DEVICE_GONE. */
void     cradle_agent_functionfs_transport_disconnect   (CradleAgentFunctionfsTransport *self,
                                                         const char                     *why);
gboolean cradle_agent_functionfs_transport_is_connected (CradleAgentFunctionfsTransport *self);

G_END_DECLS
