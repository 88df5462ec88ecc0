/* cradle-agent-hardware-private.h: what the device running the agent is
 *
 * Over USB the agent is a real machine: it names itself after its firmware
 * (DMI) or its device tree, not as the simulator does. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The longest manufacturer or model it reports, in characters. */
#define CRADLE_AGENT_HARDWARE_MAX_CHARS 64

/* Reads, under @root ("/" on the device; a folder in tests), DMI's
 * sys/class/dmi/id/sys_vendor and product_name, else the device tree's
 * proc/device-tree/model and the vendor of its first "compatible" entry.
 * Placeholders firmware leaves ("To Be Filled By O.E.M.") are skipped. Each
 * value is one line, escaped with cradle_text_escape() and at most
 * CRADLE_AGENT_HARDWARE_MAX_CHARS long; NULL where nothing names it. */
void cradle_agent_hardware_describe (const char  *root,
                                     char       **manufacturer,
                                     char       **model);

G_END_DECLS
