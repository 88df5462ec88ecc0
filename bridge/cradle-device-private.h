/* cradle-device-private.h: building a device on any transport */
#pragma once

#include <cradle/cradle.h>

#include "cradle-bridge-transport-private.h"
#include "cradle-bridge-usb-private.h"

G_BEGIN_DECLS

CradleDevice          *cradle_device_new_for_transport (CradleBridgeTransport *transport);
CradleBridgeTransport *cradle_device_get_bridge_transport (CradleDevice       *self);
CradleBridgeUsbMonitor *cradle_device_dup_usb_monitor    (void);

G_END_DECLS
