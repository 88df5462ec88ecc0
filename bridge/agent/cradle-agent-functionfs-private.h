/* cradle-agent-functionfs-private.h: serving the USB binding on a Linux gadget
 *
 * The gadget itself (vendor and product id, device strings, the UDC) is set
 * up in configfs by data/cradle-gadget; the agent owns the function: it
 * writes descriptors and strings to ep0, follows ep0's events, and serves
 * sessions on the bulk endpoint files while the host has the function enabled.
 */
#pragma once

#include "agent/cradle-agent-functionfs-transport-private.h"
#include "agent/cradle-agent-session-private.h"

G_BEGIN_DECLS

/* Runs sessions on @transport, one after another, until it is disconnected. */
void     cradle_agent_functionfs_serve_endpoints (CradleAgentConfig               *config,
                                                  CradleAgentFunctionfsTransport  *transport);

/* Serves the FunctionFS instance mounted at @mount_dir until SIGTERM or
 * SIGINT. Fails when ep0 cannot be set up. */
gboolean cradle_agent_functionfs_serve           (CradleAgentConfig  *config,
                                                  const char         *mount_dir,
                                                  GError            **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
