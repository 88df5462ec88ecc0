/* cradle-bridge-transport-private.h: how frames reach a device
 *
 * A transport moves whole frames, one request at a time, for the host
 * client. Implementations: libusb bulk endpoints (cradle-bridge-usb.c) and a
 * Unix socket to the simulator (cradle-bridge-socket.c). Both block: the host
 * client calls them from a worker thread.
 */
#pragma once

#include <gio/gio.h>

#include "protocol/cradle-bridge-frame-private.h"
#include "protocol/cradle-bridge-pairing-private.h"

G_BEGIN_DECLS

#define CRADLE_TYPE_BRIDGE_TRANSPORT (cradle_bridge_transport_get_type ())
G_DECLARE_DERIVABLE_TYPE (CradleBridgeTransport, cradle_bridge_transport, CRADLE, BRIDGE_TRANSPORT, GObject)

struct _CradleBridgeTransportClass
{
  GObjectClass parent_class;

  /* Writes one whole encoded frame. */
  gboolean (*send)    (CradleBridgeTransport  *self,
                       GBytes                 *frame,
                       GCancellable           *cancellable,
                       GError                **error) G_GNUC_WARN_UNUSED_RESULT;
  /* Reads some bytes (at most @size), waiting at most @timeout_ms.
   * Returns the count read, 0 on timeout, -1 with @error set on failure:
   * CRADLE_ERROR_DEVICE_GONE when the device was unplugged or closed. */
  gssize   (*receive) (CradleBridgeTransport  *self,
                       guint8                 *buffer,
                       gsize                   size,
                       guint                   timeout_ms,
                       GCancellable           *cancellable,
                       GError                **error);
  void     (*close)   (CradleBridgeTransport  *self);
};

/* "usb" or "socket" */
const char *cradle_bridge_transport_get_kind (CradleBridgeTransport  *self);
/* Stable for the device while it is connected: "usb:1-2" or "socket:SERIAL". */
const char *cradle_bridge_transport_get_id   (CradleBridgeTransport  *self);

/* Seals @frame in an authenticated session, then sends it. A frame once
 * sealed has spent its counter and must go out, else the session breaks:
 * a caller that may cancel checks @cancellable before calling. */
gboolean    cradle_bridge_transport_send     (CradleBridgeTransport  *self,
                                              GBytes                 *frame,
                                              GCancellable           *cancellable,
                                              GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* Blocks until a whole frame arrives, reassembling it from whatever the
 * transport delivers. %NULL with CRADLE_ERROR_TIMED_OUT after @timeout_ms
 * without any byte. */
CradleBridgeFrame *cradle_bridge_transport_receive_frame (CradleBridgeTransport  *self,
                                                          guint                   timeout_ms,
                                                          GCancellable           *cancellable,
                                                          GError                **error) G_GNUC_WARN_UNUSED_RESULT;
void        cradle_bridge_transport_close    (CradleBridgeTransport  *self);
void        cradle_bridge_transport_set_seal (CradleBridgeTransport  *self,
                                              CradleBridgeSeal       *seal);
/* (transfer none) (nullable): the session's seal, once authenticated. */
CradleBridgeSeal *cradle_bridge_transport_get_seal (CradleBridgeTransport *self);
void        cradle_bridge_transport_record   (CradleBridgeTransport  *self,
                                              GByteArray             *sent,
                                              GByteArray             *received);

G_END_DECLS
