/* cradle-bridge-usb-interface-private.h: what a Cradle device shows on USB
 *
 * A Cradle device presents a vendor interface 0xFF/0x43/0x01 with one bulk IN
 * and one bulk OUT endpoint (docs/bridge-protocol.md, 1.1). Both ends read
 * these: the host looks for the interface, the agent's FunctionFS binding
 * describes it.
 */
#pragma once

#define CRADLE_BRIDGE_USB_INTERFACE_CLASS    0xFF
#define CRADLE_BRIDGE_USB_INTERFACE_SUBCLASS 0x43
#define CRADLE_BRIDGE_USB_INTERFACE_PROTOCOL 0x01
/* Either end writes at most this much per bulk transfer. */
#define CRADLE_BRIDGE_USB_TRANSFER_SIZE      (16 * 1024)
