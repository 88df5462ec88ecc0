/* cradle-device-private.h: building a device on any transport */
#pragma once

#include <cradle/cradle.h>

#include "cradle-bridge-transport-private.h"

G_BEGIN_DECLS

CradleDevice          *cradle_device_new_for_transport (CradleBridgeTransport *transport);
CradleBridgeTransport *cradle_device_get_bridge_transport (CradleDevice       *self);

G_END_DECLS
