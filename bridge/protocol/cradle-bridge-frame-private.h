/* cradle-bridge-frame-private.h: the bridge's frame header and reassembly */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CRADLE_BRIDGE_MAGIC 0x4352444Cu   /* "CRDL" */
#define CRADLE_BRIDGE_VERSION 1
#define CRADLE_BRIDGE_HEADER_SIZE 16
#define CRADLE_BRIDGE_MAX_PAYLOAD (256 * 1024)
#define CRADLE_BRIDGE_FLAG_RESPONSE 0x0001u
/* The payload ends with the session's counter and MAC (section 5.4). */
#define CRADLE_BRIDGE_FLAG_SEALED   0x0002u

typedef enum {
  CRADLE_BRIDGE_HELLO = 0x01,
  CRADLE_BRIDGE_GET_INFO = 0x02,
  CRADLE_BRIDGE_GENERATE_KEY = 0x03,
  CRADLE_BRIDGE_SIGN = 0x04,
  CRADLE_BRIDGE_LIST_CERTS = 0x05,
  CRADLE_BRIDGE_INSTALL = 0x06,
  CRADLE_BRIDGE_DELETE_KEY = 0x07,
  CRADLE_BRIDGE_DELETE_CERT = 0x08,
  CRADLE_BRIDGE_DECRYPT = 0x09,
  CRADLE_BRIDGE_IMPORT_KEY = 0x0A,
  CRADLE_BRIDGE_PAIR_START = 0x10,
  CRADLE_BRIDGE_PAIR_REVEAL = 0x11,
  CRADLE_BRIDGE_PAIR_CONFIRM = 0x12,
  CRADLE_BRIDGE_AUTHENTICATE = 0x13,
  CRADLE_BRIDGE_FORGET_HOST = 0x14,
  CRADLE_BRIDGE_KEEPALIVE = 0x0E,
  CRADLE_BRIDGE_CANCEL = 0x0F,
  CRADLE_BRIDGE_ERROR = 0x7F,
} CradleBridgeType;

typedef struct {
  guint8  version;
  guint8  type;
  guint16 flags;
  guint32 request_id;
  guint32 length;
} CradleBridgeHeader;

typedef struct {
  CradleBridgeHeader  header;
  GBytes             *payload;
} CradleBridgeFrame;

const char        *cradle_bridge_type_to_string (guint8                    type);
gboolean           cradle_bridge_header_decode  (const guint8             *data,
                                                 gsize                     size,
                                                 CradleBridgeHeader       *header,
                                                 GError                  **error) G_GNUC_WARN_UNUSED_RESULT;
GBytes            *cradle_bridge_frame_encode   (guint8                    type,
                                                 guint16                   flags,
                                                 guint32                   request_id,
                                                 GBytes                   *payload);
void               cradle_bridge_frame_free     (CradleBridgeFrame        *frame);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleBridgeFrame, cradle_bridge_frame_free)

/* Reassembles frames from arbitrary chunks (USB transfers, socket reads). */
typedef struct _CradleBridgeFrameReader CradleBridgeFrameReader;

CradleBridgeFrameReader *cradle_bridge_frame_reader_new  (void);
void                     cradle_bridge_frame_reader_free (CradleBridgeFrameReader  *reader);
gboolean                 cradle_bridge_frame_reader_feed (CradleBridgeFrameReader  *reader,
                                                          const guint8             *data,
                                                          gsize                     size,
                                                          GError                  **error) G_GNUC_WARN_UNUSED_RESULT;
CradleBridgeFrame       *cradle_bridge_frame_reader_pop  (CradleBridgeFrameReader  *reader);
gsize                    cradle_bridge_frame_reader_wanted (CradleBridgeFrameReader *reader);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleBridgeFrameReader, cradle_bridge_frame_reader_free)

G_END_DECLS
