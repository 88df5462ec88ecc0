/* cradle-device-private.h: CradleDevice across its files
 *
 * The object (cradle-device.c), its requests (cradle-device-call.c), opening
 * (cradle-device-open.c), keys (cradle-device-keys.c), stores
 * (cradle-device-stores.c), pairing (cradle-device-pairing.c) and tokens
 * (cradle-device-token.c) share the
 * instance struct and the _cradle_device_* calls below. Calls go one way:
 * call.c calls none of the others, and cradle-device.c calls none of them.
 */
#pragma once

#include <cradle/cradle.h>

#include "protocol/cradle-bridge-transport-private.h"
#include "host/cradle-bridge-usb-private.h"
#include "protocol/cradle-bridge-cbor-private.h"
#include "pkcs11/cradle-token-private.h"

G_BEGIN_DECLS

struct _CradleDevice
{
  GObject parent_instance;

  /* Owned */
  GMutex                 lock;         /* one request at a time */
  CradleBridgeTransport *transport;
  GMainContext          *context;      /* where "waiting" is emitted */
  guint32                next_request_id;
  guint                  confirm_timeout_seconds;
  char                  *manufacturer;
  char                  *model;
  char                  *serial;
  char                  *os;
  char                  *agent_version;
  GStrv                  key_types;
  GStrv                  features;
  guint                  protocol_version;
  GBytes                *session_nonce;   /* HELLO's, for AUTHENTICATE */
  GBytes                *identity_key;    /* GET_INFO's claim, proven only by AUTHENTICATE */
  gboolean               paired;          /* this session is authenticated */
  char                  *pairing_prompt;  /* shown while the device asks to pair */
  /* A PKCS#11 token instead of a transport (cradle-device-token.c): every
   * operation goes to it; transport is then NULL. */
  CradleToken           *token;
  char                  *key_slot;        /* cradle_device_set_key_slot() */
};


CradleDevice          *cradle_device_new_for_transport (CradleBridgeTransport *transport);
CradleBridgeTransport *cradle_device_get_bridge_transport (CradleDevice       *self);
CradleBridgeUsbMonitor *cradle_device_dup_usb_monitor    (void);

/* cradle-device-call.c: one request and its final answer; KEEPALIVEs are
 * emitted as "waiting" on the device's main context. */
CradleCborValue *_cradle_device_call (CradleDevice  *self,
                                      guint8         type,
                                      GBytes        *payload,
                                      const char    *operation,
                                      GCancellable  *cancellable,
                                      GError       **error) G_GNUC_WARN_UNUSED_RESULT;
/* The device answered something the protocol does not allow while @operation. */
void      _cradle_device_set_protocol_error (GError     **error,
                                             const char  *operation,
                                             const char  *what);
GBytes   *_cradle_device_get_session_nonce (CradleDevice *self);
/* The identity key GET_INFO claims (%NULL from an agent without pairing). */
GBytes   *_cradle_device_get_identity_key  (CradleDevice *self);
void      _cradle_device_set_paired        (CradleDevice *self,
                                            gboolean      paired);
/* Shown instead of the device's own prompt while it asks to pair (%NULL: none). */
void      _cradle_device_set_pairing_prompt (CradleDevice *self,
                                             const char   *prompt);

/* cradle-device-open.c: HELLO alone, the first step of cradle_device_open();
 * @agent (optional) gets the agent software it names (%NULL if none). */
gboolean  _cradle_device_hello             (CradleDevice  *self,
                                            char         **agent,
                                            GCancellable  *cancellable,
                                            GError       **error) G_GNUC_WARN_UNUSED_RESULT;

/* cradle-device-pairing.c: AUTHENTICATE when this user paired the device */
gboolean  _cradle_device_authenticate      (CradleDevice  *self,
                                            GCancellable  *cancellable,
                                            GError       **error) G_GNUC_WARN_UNUSED_RESULT;

/* cradle-device-token.c: a PKCS#11 token behind the device API.  Each
 * public operation on a device whose token is set calls the one of the same
 * name here instead of speaking the bridge protocol. */
CradleDevice *_cradle_device_new_for_token      (CradleToken   *token);
/* Loads the modules cradle.conf names, unless the program chose them. */
void          _cradle_device_token_ensure_modules (void);
/* Every token present, as devices (none opened); tokens that cannot be
 * listed are a debug message, not an error. */
GPtrArray    *_cradle_device_token_enumerate    (GCancellable  *cancellable);
gboolean      _cradle_device_token_open         (CradleDevice  *self,
                                                 GCancellable  *cancellable,
                                                 GError       **error) G_GNUC_WARN_UNUSED_RESULT;
void          _cradle_device_token_close        (CradleDevice  *self);
GBytes       *_cradle_device_token_generate_key (CradleDevice  *self,
                                                 const char    *key_type,
                                                 const char    *profile,
                                                 CradleDeviceKeyEnrollment enrollment,
                                                 GBytes       **public_key_info,
                                                 GCancellable  *cancellable,
                                                 GError       **error) G_GNUC_WARN_UNUSED_RESULT;
GBytes       *_cradle_device_token_sign         (CradleDevice  *self,
                                                 GBytes        *key_id,
                                                 GBytes        *data,
                                                 const char    *digest,
                                                 char         **algorithm,
                                                 GCancellable  *cancellable,
                                                 GError       **error) G_GNUC_WARN_UNUSED_RESULT;
GBytes       *_cradle_device_token_decrypt      (CradleDevice  *self,
                                                 GBytes        *key_id,
                                                 GBytes        *encrypted_key,
                                                 gsize          key_size,
                                                 GCancellable  *cancellable,
                                                 GError       **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean      _cradle_device_token_delete_key   (CradleDevice  *self,
                                                 GBytes        *key_id,
                                                 GCancellable  *cancellable,
                                                 GError       **error) G_GNUC_WARN_UNUSED_RESULT;
/* Always NOT_SUPPORTED, with the words why. */
GBytes       *_cradle_device_token_import_key   (CradleDevice  *self,
                                                 GError       **error) G_GNUC_WARN_UNUSED_RESULT;
GPtrArray    *_cradle_device_token_list_certs   (CradleDevice  *self,
                                                 const char    *store,
                                                 const char    *scope,
                                                 GCancellable  *cancellable,
                                                 GError       **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean      _cradle_device_token_install      (CradleDevice  *self,
                                                 GPtrArray     *certs,
                                                 guint         *added,
                                                 GCancellable  *cancellable,
                                                 GError       **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean      _cradle_device_token_delete_cert  (CradleDevice  *self,
                                                 const char    *store,
                                                 const char    *scope,
                                                 GBytes        *sha256,
                                                 GCancellable  *cancellable,
                                                 GError       **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
