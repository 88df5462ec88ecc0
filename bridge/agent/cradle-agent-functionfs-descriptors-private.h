/* cradle-agent-functionfs-descriptors-private.h: what the agent writes to ep0
 *
 * FunctionFS takes the function's USB descriptors and strings as two blobs
 * written to ep0 (linux/usb/functionfs.h). Building them is kept apart from
 * the I/O so the unit tests can check the layout on machines without a USB
 * device controller.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The interface string the function presents. */
#define CRADLE_AGENT_FUNCTIONFS_INTERFACE_NAME "Cradle bridge"

/* Endpoint files in the order the descriptors declare the endpoints. */
#define CRADLE_AGENT_FUNCTIONFS_EP_IN  "ep1"
#define CRADLE_AGENT_FUNCTIONFS_EP_OUT "ep2"

/* v2 descriptors for full, high and super speed: one vendor interface
 * 0xFF/0x43/0x01, bulk IN 0x81 and bulk OUT 0x02. */
GBytes *cradle_agent_functionfs_descriptors (void);
/* One string (the interface's), in US English. */
GBytes *cradle_agent_functionfs_strings     (void);

G_END_DECLS
