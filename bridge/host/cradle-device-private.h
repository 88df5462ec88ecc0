/* cradle-device-private.h: building a device on any transport */
#pragma once

#include <cradle/cradle.h>

#include "protocol/cradle-bridge-transport-private.h"
#include "host/cradle-bridge-usb-private.h"
#include "protocol/cradle-bridge-cbor-private.h"

G_BEGIN_DECLS

CradleDevice          *cradle_device_new_for_transport (CradleBridgeTransport *transport);
CradleBridgeTransport *cradle_device_get_bridge_transport (CradleDevice       *self);
CradleBridgeUsbMonitor *cradle_device_dup_usb_monitor    (void);

/* cradle-device.c: one request and its final answer */
CradleCborValue *_cradle_device_call (CradleDevice  *self,
                                      guint8         type,
                                      GBytes        *payload,
                                      const char    *operation,
                                      GCancellable  *cancellable,
                                      GError       **error) G_GNUC_WARN_UNUSED_RESULT;
GBytes   *_cradle_device_get_session_nonce (CradleDevice *self);
/* The identity key GET_INFO claims (%NULL from an agent without pairing). */
GBytes   *_cradle_device_get_identity_key  (CradleDevice *self);
void      _cradle_device_set_paired        (CradleDevice *self,
                                            gboolean      paired);
/* Shown instead of the device's own prompt while it asks to pair (%NULL: none). */
void      _cradle_device_set_pairing_prompt (CradleDevice *self,
                                             const char   *prompt);

/* cradle-device-pairing.c: AUTHENTICATE when this user paired the device */
gboolean  _cradle_device_authenticate      (CradleDevice  *self,
                                            GCancellable  *cancellable,
                                            GError       **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
