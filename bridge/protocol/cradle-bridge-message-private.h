/* cradle-bridge-message-private.h: field keys and error codes of bridge v1
 *
 * docs/bridge-protocol.md is the reference; these names follow it.
 */
#pragma once

#include <glib.h>

#include "protocol/cradle-bridge-cbor-private.h"

G_BEGIN_DECLS

/* Error codes carried by ERROR frames (section 4, ERROR). */
typedef enum {
  CRADLE_BRIDGE_E_MALFORMED = 1,
  CRADLE_BRIDGE_E_UNSUPPORTED_VERSION = 2,
  CRADLE_BRIDGE_E_UNSUPPORTED = 3,
  CRADLE_BRIDGE_E_NOT_READY = 4,
  CRADLE_BRIDGE_E_NOT_FOUND = 5,
  CRADLE_BRIDGE_E_DECLINED = 6,
  CRADLE_BRIDGE_E_CANCELLED = 7,
  CRADLE_BRIDGE_E_TIMED_OUT = 8,
  CRADLE_BRIDGE_E_PERMISSION_DENIED = 9,
  CRADLE_BRIDGE_E_INVALID_REQUEST = 10,
  CRADLE_BRIDGE_E_UNSUPPORTED_KEY_TYPE = 11,
  CRADLE_BRIDGE_E_TOO_LARGE = 12,
  CRADLE_BRIDGE_E_BUSY = 13,
  CRADLE_BRIDGE_E_INTERNAL = 14,
  CRADLE_BRIDGE_E_NOT_PAIRED = 15,
} CradleBridgeErrorCode;

/* KEEPALIVE status */
#define CRADLE_BRIDGE_WAITING_FOR_USER 1
#define CRADLE_BRIDGE_PROCESSING 2

/* SIGN purposes */
#define CRADLE_BRIDGE_PURPOSE_CERTIFICATION_REQUEST 1
#define CRADLE_BRIDGE_PURPOSE_SCEP_SIGNER           2
#define CRADLE_BRIDGE_PURPOSE_SCEP_MESSAGE          3
#define CRADLE_BRIDGE_PURPOSE_RENEWAL               4   /* MS-WCCE: CMS over the request, old key */
#define CRADLE_BRIDGE_PURPOSE_SCEP_RENEWAL          5   /* SCEP RenewalReq, old key */

/* DECRYPT purposes */
#define CRADLE_BRIDGE_DECRYPT_SCEP_CONTENT_KEY 1

/* GET_INFO features (key 8) */
#define CRADLE_BRIDGE_FEATURE_SCEP "scep"
#define CRADLE_BRIDGE_FEATURE_RENEWAL "renewal"
#define CRADLE_BRIDGE_FEATURE_IMPORT_KEY "import-key"

/* IMPORT_KEY: the largest PKCS#8 private key the device takes (an RSA 4096
 * key is about 2.4 KiB), and the certificate it is for. */
#define CRADLE_BRIDGE_IMPORT_KEY_MAX_SIZE  8192
#define CRADLE_BRIDGE_IMPORT_CERT_MAX_SIZE (64 * 1024)

/* LIST_CERTS field 5: where the key of a MY certificate came from. */
#define CRADLE_BRIDGE_KEY_ORIGIN_GENERATED "generated"
#define CRADLE_BRIDGE_KEY_ORIGIN_IMPORTED  "imported"

/* Timing the host keeps (section 4, KEEPALIVE). */
#define CRADLE_BRIDGE_IDLE_TIMEOUT_MS 10000
#define CRADLE_BRIDGE_KEEPALIVE_INTERVAL_MS 1000

const char *cradle_bridge_error_code_to_string (guint                  code);
GBytes     *cradle_bridge_error_payload        (CradleBridgeErrorCode  code,
                                                const char            *message);
guint       cradle_bridge_error_code_for       (const GError          *error);
void        cradle_bridge_error_to_gerror      (const CradleCborValue *payload,
                                                const char            *operation,
                                                GError               **error);

G_END_DECLS
