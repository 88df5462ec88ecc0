/* cradle-device.h: a cradled device, through the bridge protocol */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <gio/gio.h>
#include <cradle/cradle-macros.h>

G_BEGIN_DECLS

/* A certificate in one of the device's stores. */
#define CRADLE_TYPE_DEVICE_CERT (cradle_device_cert_get_type ())
CRADLE_PUBLIC
G_DECLARE_FINAL_TYPE (CradleDeviceCert, cradle_device_cert, CRADLE, DEVICE_CERT, GObject)

CRADLE_PUBLIC
CradleDeviceCert *cradle_device_cert_new       (const char       *store,
                                                const char       *scope,
                                                GBytes           *der,
                                                GBytes           *key_id);
CRADLE_PUBLIC
const char       *cradle_device_cert_get_store (CradleDeviceCert *self);
CRADLE_PUBLIC
const char       *cradle_device_cert_get_scope (CradleDeviceCert *self);
CRADLE_PUBLIC
GBytes           *cradle_device_cert_get_der   (CradleDeviceCert *self);
CRADLE_PUBLIC
GBytes           *cradle_device_cert_get_key_id (CradleDeviceCert *self);

/**
 * CradleDeviceKeyOrigin:
 * @CRADLE_DEVICE_KEY_ORIGIN_NONE: the device holds no key for the certificate
 * @CRADLE_DEVICE_KEY_ORIGIN_GENERATED: the device made the key itself
 *   (GENERATE_KEY); it never left the device
 * @CRADLE_DEVICE_KEY_ORIGIN_IMPORTED: the key was made elsewhere and imported
 *   (IMPORT_KEY, from a PFX/P12 file): copies of it may exist outside the device
 * @CRADLE_DEVICE_KEY_ORIGIN_UNKNOWN: the device named an origin this host
 *   does not know
 *
 * Where the key of a MY certificate came from: LIST_CERTS field 5
 * ("generated" or "imported"; absent from agents before IMPORT_KEY, whose
 * keys are all generated).
 */
typedef enum {
  CRADLE_DEVICE_KEY_ORIGIN_NONE = 0,
  CRADLE_DEVICE_KEY_ORIGIN_GENERATED = 1,
  CRADLE_DEVICE_KEY_ORIGIN_IMPORTED = 2,
  CRADLE_DEVICE_KEY_ORIGIN_UNKNOWN = 3,
} CradleDeviceKeyOrigin;

/* @key_origin: ignored (NONE) when @key_id is %NULL. */
CRADLE_PUBLIC
CradleDeviceCert *cradle_device_cert_new_full   (const char            *store,
                                                 const char            *scope,
                                                 GBytes                *der,
                                                 GBytes                *key_id,
                                                 CradleDeviceKeyOrigin  key_origin);
CRADLE_PUBLIC
CradleDeviceKeyOrigin cradle_device_cert_get_key_origin (CradleDeviceCert *self);
/* "generated", "imported", "unknown", or %NULL for NONE: the words the
 * protocol, `cradlectl --json` and the app use. */
CRADLE_PUBLIC
const char       *cradle_device_key_origin_to_string (CradleDeviceKeyOrigin origin);

/**
 * CradleDeviceSignPurpose:
 * @CRADLE_DEVICE_SIGN_CERTIFICATION_REQUEST: a DER CertificationRequestInfo
 *   for the key; the device's user confirms
 * @CRADLE_DEVICE_SIGN_SCEP_SIGNER: a DER TBSCertificate of the transient
 *   self-signed certificate SCEP messages are signed with (a key made for
 *   SCEP by this host and still in its enrollment only, no confirmation)
 * @CRADLE_DEVICE_SIGN_SCEP_MESSAGE: the DER SET OF signed attributes of a
 *   SCEP PKCSReq or CertPoll, with the pkcsPKIEnvelope they sign over (as
 *   for purpose 2; see cradle_device_sign_scep_message())
 * @CRADLE_DEVICE_SIGN_RENEWAL: the DER SET OF signed attributes of the CMS
 *   SignedData an MS-WCCE renewal wraps a certification request in, signed
 *   with the old certificate's key, with that request as content (see
 *   cradle_device_sign_renewal())
 * @CRADLE_DEVICE_SIGN_SCEP_RENEWAL: the DER SET OF signed attributes of a
 *   SCEP RenewalReq (or its CertPoll), signed with the old certificate's
 *   key, with its pkcsPKIEnvelope and that envelope's content-encryption
 *   key (see cradle_device_sign_renewal())
 *
 * What the device is asked to sign; it checks the bytes are what the purpose
 * says (docs/bridge-protocol.md, SIGN).
 */
typedef enum {
  CRADLE_DEVICE_SIGN_CERTIFICATION_REQUEST = 1,
  CRADLE_DEVICE_SIGN_SCEP_SIGNER = 2,
  CRADLE_DEVICE_SIGN_SCEP_MESSAGE = 3,
  CRADLE_DEVICE_SIGN_RENEWAL = 4,
  CRADLE_DEVICE_SIGN_SCEP_RENEWAL = 5,
} CradleDeviceSignPurpose;

/**
 * CradleDeviceKeyEnrollment:
 * @CRADLE_DEVICE_KEY_FOR_REQUEST: a certification request (CertSrv, WSTEP, EST)
 * @CRADLE_DEVICE_KEY_FOR_SCEP: a SCEP enrollment: only such a key signs
 *   SCEP messages and decrypts SCEP answers
 *
 * The enrollment a key is made for (GENERATE_KEY field 4).
 */
typedef enum {
  CRADLE_DEVICE_KEY_FOR_REQUEST = 1,
  CRADLE_DEVICE_KEY_FOR_SCEP = 2,
} CradleDeviceKeyEnrollment;

/* What the device decrypts (docs/bridge-protocol.md, DECRYPT). */
typedef enum {
  CRADLE_DEVICE_DECRYPT_SCEP_CONTENT_KEY = 1,
} CradleDeviceDecryptPurpose;

/* The "waiting" signal's status: 1 the device waits for its user, 2 it is
 * working, 3 it asks its user to trust this computer; the prompt then holds
 * this computer's words and pairing code, never the device's.  A device's
 * own prompt arrives escaped (cradle_text_escape(), lines kept) and cut at
 * 2 KiB: ready for a label or a terminal. */
#define CRADLE_DEVICE_WAITING_PAIRING 3

/* GET_INFO features: "scep" is SIGN purposes 2 and 3 and DECRYPT. */
#define CRADLE_DEVICE_FEATURE_SCEP "scep"
/* GET_INFO features: "renewal" is SIGN purpose 1 with the renewal
 * attribute, purposes 4 and 5, and DECRYPT with a renewed certificate's key. */
#define CRADLE_DEVICE_FEATURE_RENEWAL "renewal"
/* GET_INFO features: "import-key" is IMPORT_KEY (a key from a PFX/P12). */
#define CRADLE_DEVICE_FEATURE_IMPORT_KEY "import-key"

#define CRADLE_TYPE_DEVICE (cradle_device_get_type ())
CRADLE_PUBLIC
G_DECLARE_FINAL_TYPE (CradleDevice, cradle_device, CRADLE, DEVICE, GObject)

/* Every device present now, USB and simulated; none is opened yet. */
CRADLE_PUBLIC
GPtrArray          *cradle_device_enumerate          (GCancellable      *cancellable,
                                                      GError           **error) G_GNUC_WARN_UNUSED_RESULT;
CRADLE_PUBLIC
CradleDevice       *cradle_device_new_for_socket     (const char        *path,
                                                      GError           **error) G_GNUC_WARN_UNUSED_RESULT;

/* HELLO and GET_INFO, then AUTHENTICATE when this user paired the device:
 * a device whose identity key is not the one pinned at pairing fails with
 * CRADLE_ERROR_NOT_PAIRED. Blocks; see cradle_device_open_async(). */
CRADLE_PUBLIC
gboolean            cradle_device_open               (CradleDevice      *self,
                                                      GCancellable      *cancellable,
                                                      GError           **error) G_GNUC_WARN_UNUSED_RESULT;
CRADLE_PUBLIC
void                cradle_device_open_async         (CradleDevice      *self,
                                                      GCancellable      *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer           user_data);
CRADLE_PUBLIC
gboolean            cradle_device_open_finish        (CradleDevice      *self,
                                                      GAsyncResult      *result,
                                                      GError           **error) G_GNUC_WARN_UNUSED_RESULT;
CRADLE_PUBLIC
gboolean            cradle_device_refresh_info       (CradleDevice      *self,
                                                      GCancellable      *cancellable,
                                                      GError           **error) G_GNUC_WARN_UNUSED_RESULT;
CRADLE_PUBLIC
void                cradle_device_close              (CradleDevice      *self);

/* Whether this session is authenticated: the device trusts this computer's
 * user and proved it is the device paired before. Only then does it use its
 * keys and stores (docs/bridge-protocol.md, section 5). */
CRADLE_PUBLIC
gboolean            cradle_device_is_paired          (CradleDevice      *self);
/* Asks the device's user to trust this computer ("waiting" with status
 * CRADLE_DEVICE_WAITING_PAIRING and the code both screens show), then pins
 * the device's key. Blocks; does nothing when already paired. */
CRADLE_PUBLIC
gboolean            cradle_device_pair               (CradleDevice      *self,
                                                      GCancellable      *cancellable,
                                                      GError           **error) G_GNUC_WARN_UNUSED_RESULT;
/* Unpairs: the device forgets this computer's user (when the session is
 * paired) and this computer forgets the device's key. */
CRADLE_PUBLIC
gboolean            cradle_device_forget             (CradleDevice      *self,
                                                      GCancellable      *cancellable,
                                                      GError           **error) G_GNUC_WARN_UNUSED_RESULT;
/* Forgets the device with @serial on this computer only (it need not be
 * connected). @removed (optional): whether it was paired. */
CRADLE_PUBLIC
gboolean            cradle_device_forget_serial      (const char        *serial,
                                                      gboolean          *removed,
                                                      GError           **error) G_GNUC_WARN_UNUSED_RESULT;

CRADLE_PUBLIC
const char         *cradle_device_get_id             (CradleDevice      *self);
CRADLE_PUBLIC
const char         *cradle_device_get_transport      (CradleDevice      *self);
/* Known once opened. */
CRADLE_PUBLIC
const char         *cradle_device_get_manufacturer   (CradleDevice      *self);
CRADLE_PUBLIC
const char         *cradle_device_get_model          (CradleDevice      *self);
CRADLE_PUBLIC
const char         *cradle_device_get_serial         (CradleDevice      *self);
CRADLE_PUBLIC
const char         *cradle_device_get_os             (CradleDevice      *self);
CRADLE_PUBLIC
const char         *cradle_device_get_agent_version  (CradleDevice      *self);
CRADLE_PUBLIC
guint               cradle_device_get_protocol_version (CradleDevice    *self);
CRADLE_PUBLIC
const char * const *cradle_device_get_key_types      (CradleDevice      *self);
/* Optional operations the agent declares, as CRADLE_DEVICE_FEATURE_SCEP. */
CRADLE_PUBLIC
gboolean            cradle_device_has_feature        (CradleDevice      *self,
                                                      const char        *feature);

/* How long the device's user may take to confirm; 5 minutes by default. */
CRADLE_PUBLIC
void                cradle_device_set_confirm_timeout (CradleDevice     *self,
                                                      guint              seconds);

/* The device makes a key pair for a certification request, after its user
 * confirms. Returns the key id; @public_key_info gets the DER
 * SubjectPublicKeyInfo. */
CRADLE_PUBLIC
GBytes             *cradle_device_generate_key       (CradleDevice      *self,
                                                      const char        *key_type,
                                                      const char        *profile,
                                                      GBytes           **public_key_info,
                                                      GCancellable      *cancellable,
                                                      GError           **error) G_GNUC_WARN_UNUSED_RESULT;
/* The same, for the enrollment @enrollment: the key serves that one
 * enrollment, for this host only (docs/bridge-protocol.md, "A key's life"). */
CRADLE_PUBLIC
GBytes             *cradle_device_generate_key_for   (CradleDevice      *self,
                                                      const char        *key_type,
                                                      const char        *profile,
                                                      CradleDeviceKeyEnrollment enrollment,
                                                      GBytes           **public_key_info,
                                                      GCancellable      *cancellable,
                                                      GError           **error) G_GNUC_WARN_UNUSED_RESULT;
/* The device signs a DER CertificationRequestInfo for its own key, after its
 * user confirms; @algorithm gets the signature algorithm's name. */
CRADLE_PUBLIC
GBytes             *cradle_device_sign_request       (CradleDevice      *self,
                                                      GBytes            *key_id,
                                                      GBytes            *request_info,
                                                      const char        *digest,
                                                      char             **algorithm,
                                                      GCancellable      *cancellable,
                                                      GError           **error) G_GNUC_WARN_UNUSED_RESULT;
/* The device signs @data for @purpose with its key, after checking @data is
 * what @purpose says; purpose 1 is cradle_device_sign_request(). */
CRADLE_PUBLIC
GBytes             *cradle_device_sign               (CradleDevice      *self,
                                                      GBytes            *key_id,
                                                      CradleDeviceSignPurpose purpose,
                                                      GBytes            *data,
                                                      const char        *digest,
                                                      char             **algorithm,
                                                      GCancellable      *cancellable,
                                                      GError           **error) G_GNUC_WARN_UNUSED_RESULT;
/* SIGN purpose 3: the device signs @signed_attributes (the DER SET OF a
 * PKCSReq's or CertPoll's signed attributes) after checking that @content
 * (the DER pkcsPKIEnvelope the SignedData carries) is a SCEP envelope whose
 * @digest is their messageDigest, and that their transactionID is the key's. */
CRADLE_PUBLIC
GBytes             *cradle_device_sign_scep_message  (CradleDevice      *self,
                                                      GBytes            *key_id,
                                                      GBytes            *signed_attributes,
                                                      GBytes            *content,
                                                      const char        *digest,
                                                      GCancellable      *cancellable,
                                                      GError           **error) G_GNUC_WARN_UNUSED_RESULT;
/* SIGN purposes 4 and 5, a renewal signed with the old certificate's key
 * @key_id (docs/bridge-protocol.md, "Renewal"): the device signs
 * @signed_attributes after checking @content and that the renewal was
 * confirmed by its user. Purpose 4: @content is the DER PKCS#10
 * CertificationRequest the user confirmed, @content_key %NULL. Purpose 5:
 * @content is the RenewalReq's (or CertPoll's) pkcsPKIEnvelope and
 * @content_key the key its content is encrypted with, which the device
 * uses to read what the envelope carries. */
CRADLE_PUBLIC
GBytes             *cradle_device_sign_renewal       (CradleDevice      *self,
                                                      GBytes            *key_id,
                                                      CradleDeviceSignPurpose purpose,
                                                      GBytes            *signed_attributes,
                                                      GBytes            *content,
                                                      GBytes            *content_key,
                                                      const char        *digest,
                                                      char             **algorithm,
                                                      GCancellable      *cancellable,
                                                      GError           **error) G_GNUC_WARN_UNUSED_RESULT;
/* The device decrypts @encrypted_key (a CMS KeyTransRecipientInfo's
 * encryptedKey, RSA PKCS#1 v1.5) with a key pending enrollment and returns
 * the @key_size-byte content-encryption key. A ciphertext that was not for
 * this key gives a key that does not decrypt the content, never an error. */
CRADLE_PUBLIC
GBytes             *cradle_device_decrypt            (CradleDevice      *self,
                                                      GBytes            *key_id,
                                                      CradleDeviceDecryptPurpose purpose,
                                                      GBytes            *encrypted_key,
                                                      gsize              key_size,
                                                      GCancellable      *cancellable,
                                                      GError           **error) G_GNUC_WARN_UNUSED_RESULT;
/* @store and @scope: %NULL for all. Returns: (element-type CradleDeviceCert) */
CRADLE_PUBLIC
GPtrArray          *cradle_device_list_certs         (CradleDevice      *self,
                                                      const char        *store,
                                                      const char        *scope,
                                                      GCancellable      *cancellable,
                                                      GError           **error) G_GNUC_WARN_UNUSED_RESULT;
/* Installs @certs (of CradleDeviceCert) atomically: all or none. */
CRADLE_PUBLIC
gboolean            cradle_device_install            (CradleDevice      *self,
                                                      GPtrArray         *certs,
                                                      guint             *added,
                                                      GCancellable      *cancellable,
                                                      GError           **error) G_GNUC_WARN_UNUSED_RESULT;
/* IMPORT_KEY (docs/bridge-protocol.md): the device shows its user the
 * certificate @certificate_der (subject, issuer, SHA-256) and that the key
 * was not made on the device, and on yes stores @pkcs8 (a DER PKCS#8
 * PrivateKeyInfo, at most 8 KiB) marked imported, made and owned by this
 * host, as a key GENERATE_KEY makes. Returns its key id; bind the
 * certificate with cradle_device_install(), or cradle_device_delete_key()
 * it. Needs a paired session and the "import-key" feature. The request's
 * bytes are wiped once sent; the caller wipes @pkcs8. */
CRADLE_PUBLIC
GBytes             *cradle_device_import_key         (CradleDevice      *self,
                                                      const guint8      *pkcs8,
                                                      gsize              pkcs8_size,
                                                      GBytes            *certificate_der,
                                                      const char        *profile,
                                                      GCancellable      *cancellable,
                                                      GError           **error) G_GNUC_WARN_UNUSED_RESULT;
CRADLE_PUBLIC
gboolean            cradle_device_delete_key         (CradleDevice      *self,
                                                      GBytes            *key_id,
                                                      GCancellable      *cancellable,
                                                      GError           **error) G_GNUC_WARN_UNUSED_RESULT;
CRADLE_PUBLIC
gboolean            cradle_device_delete_cert        (CradleDevice      *self,
                                                      const char        *store,
                                                      const char        *scope,
                                                      GBytes            *sha256,
                                                      GCancellable      *cancellable,
                                                      GError           **error) G_GNUC_WARN_UNUSED_RESULT;
/* DELETE_CERT asking the device's user in every case (field 4), as for a
 * certificate a person removes on purpose; CRADLE_ERROR_USER_DECLINED when
 * they say no.  (A root or the certificate of an enrolled key is asked
 * about either way.) */
CRADLE_PUBLIC
gboolean            cradle_device_delete_cert_confirmed (CradleDevice   *self,
                                                      const char        *store,
                                                      const char        *scope,
                                                      GBytes            *sha256,
                                                      GCancellable      *cancellable,
                                                      GError           **error) G_GNUC_WARN_UNUSED_RESULT;

/* ---- tokens and smart cards (PKCS#11) ------------------------------------
 *
 * A PKCS#11 token is a CradleDevice of transport "pkcs11" (bridge/pkcs11,
 * docs/ARCHITECTURE.md "Tokens"): its id is its RFC 7512 URI, its
 * manufacturer, model and serial are CK_TOKEN_INFO's, its label
 * cradle_device_get_label()'s.  Every operation above works on it; the PIN
 * is its confirmation, given with cradle_device_log_in() before the first
 * operation on a key (CRADLE_ERROR_AUTH_FAILED with the PIN_REQUIRED
 * detail otherwise).  It is always "paired": it has no agent to pair with.
 */
#define CRADLE_DEVICE_TRANSPORT_PKCS11 "pkcs11"

/* Which PKCS#11 modules are searched for tokens, process-wide: p11-kit's
 * configured modules when @use_registered, and each module file in @paths.
 * Until called, cradle.conf's [Tokens] Modules= and UseP11Kit= (true by
 * default) decide. */
CRADLE_PUBLIC
void                cradle_device_set_pkcs11_modules (const char * const *paths,
                                                      gboolean            use_registered);
/* The token @uri names (an RFC 7512 "pkcs11:" URI), not opened yet;
 * CRADLE_ERROR_NOT_FOUND when no such token is present. */
CRADLE_PUBLIC
CradleDevice       *cradle_device_new_for_pkcs11_uri (const char        *uri,
                                                      GCancellable      *cancellable,
                                                      GError           **error) G_GNUC_WARN_UNUSED_RESULT;
/* A token's label, %NULL for other devices (not escaped). */
CRADLE_PUBLIC
const char         *cradle_device_get_label          (CradleDevice      *self);

/**
 * CradleDevicePinState:
 * @CRADLE_DEVICE_PIN_NOT_NEEDED: no PIN is needed (every bridge device, and
 *   tokens without a login)
 * @CRADLE_DEVICE_PIN_ENTERED: the PIN was given in this session
 * @CRADLE_DEVICE_PIN_NEEDED: a PIN is needed
 * @CRADLE_DEVICE_PIN_COUNT_LOW: needed; a wrong PIN was entered before
 * @CRADLE_DEVICE_PIN_FINAL_TRY: needed; one more wrong PIN locks the token
 * @CRADLE_DEVICE_PIN_LOCKED: locked: only the token's administrator can
 *   unlock it
 */
typedef enum {
  CRADLE_DEVICE_PIN_NOT_NEEDED,
  CRADLE_DEVICE_PIN_ENTERED,
  CRADLE_DEVICE_PIN_NEEDED,
  CRADLE_DEVICE_PIN_COUNT_LOW,
  CRADLE_DEVICE_PIN_FINAL_TRY,
  CRADLE_DEVICE_PIN_LOCKED,
} CradleDevicePinState;

/* Read afresh from the token (blocks briefly). */
CRADLE_PUBLIC
CradleDevicePinState cradle_device_get_pin_state     (CradleDevice      *self);
/* The PIN is entered on the token's own pad: cradle_device_log_in() with a
 * %NULL @pin, "waiting" (status 1) is emitted meanwhile. */
CRADLE_PUBLIC
gboolean            cradle_device_has_pinpad         (CradleDevice      *self);
/* Logs in with @pin (kept in wiped memory while the session lasts, for
 * keys that ask before every use; the caller wipes its own copy). A wrong
 * PIN is CRADLE_ERROR_AUTH_FAILED, a locked one PERMISSION_DENIED, each
 * with its CRADLE_EXPLAIN_TOKEN detail; then cradle_device_get_pin_state()
 * says how many tries are left. A device without a PIN: success. */
CRADLE_PUBLIC
gboolean            cradle_device_log_in             (CradleDevice      *self,
                                                      const char        *pin,
                                                      GCancellable      *cancellable,
                                                      GError           **error) G_GNUC_WARN_UNUSED_RESULT;
CRADLE_PUBLIC
void                cradle_device_log_in_async       (CradleDevice      *self,
                                                      const char        *pin,
                                                      GCancellable      *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer           user_data);
CRADLE_PUBLIC
gboolean            cradle_device_log_in_finish      (CradleDevice      *self,
                                                      GAsyncResult      *result,
                                                      GError           **error) G_GNUC_WARN_UNUSED_RESULT;
/* Whether making a key or writing a certificate needs a second secret, the
 * token officer's (a YubiKey's PIV management key). */
CRADLE_PUBLIC
gboolean            cradle_device_needs_officer_secret (CradleDevice    *self);
/* Kept in wiped memory until the session closes. */
CRADLE_PUBLIC
void                cradle_device_set_officer_secret (CradleDevice      *self,
                                                      const char        *secret);
/* Where the next key is made, on a token with fixed slots (PIV: "9a",
 * "9c", "9d", "9e", "82".."95"); %NULL: the token's own choice. The
 * engine sets it from the certificate type (cradle_cert_type_get_piv_slot()
 * or its key usage). */
CRADLE_PUBLIC
void                cradle_device_set_key_slot       (CradleDevice      *self,
                                                      const char        *slot);
/* Whether the device can hold CA and root certificates of their own
 * (a PIV token cannot: the chain stays on the host). */
CRADLE_PUBLIC
gboolean            cradle_device_holds_authority_certificates (CradleDevice *self);
/* The token's attestation of the key @key_id (DER) and the certificate
 * that signed it (DER, a YubiKey's f9); CRADLE_ERROR_NOT_SUPPORTED when the
 * device offers none. The engine verifies it (docs/security.md, Tokens). */
CRADLE_PUBLIC
gboolean            cradle_device_get_attestation    (CradleDevice      *self,
                                                      GBytes            *key_id,
                                                      GBytes           **attestation,
                                                      GBytes           **intermediate,
                                                      GCancellable      *cancellable,
                                                      GError           **error) G_GNUC_WARN_UNUSED_RESULT;

/* The same operations without blocking: each runs in a worker thread and
 * "waiting" is emitted on the caller's main context while the device waits
 * for its user. */
CRADLE_PUBLIC
void       cradle_device_generate_key_async   (CradleDevice *self, const char *key_type, const char *profile,
                                               GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data);
CRADLE_PUBLIC
GBytes    *cradle_device_generate_key_finish  (CradleDevice *self, GAsyncResult *result,
                                               GBytes **public_key_info, GError **error) G_GNUC_WARN_UNUSED_RESULT;
CRADLE_PUBLIC
void       cradle_device_sign_request_async   (CradleDevice *self, GBytes *key_id, GBytes *request_info,
                                               const char *digest, GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data);
CRADLE_PUBLIC
GBytes    *cradle_device_sign_request_finish  (CradleDevice *self, GAsyncResult *result,
                                               char **algorithm, GError **error) G_GNUC_WARN_UNUSED_RESULT;
CRADLE_PUBLIC
void       cradle_device_sign_async           (CradleDevice *self, GBytes *key_id, CradleDeviceSignPurpose purpose,
                                               GBytes *data, const char *digest, GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data);
CRADLE_PUBLIC
GBytes    *cradle_device_sign_finish          (CradleDevice *self, GAsyncResult *result,
                                               char **algorithm, GError **error) G_GNUC_WARN_UNUSED_RESULT;
CRADLE_PUBLIC
void       cradle_device_decrypt_async        (CradleDevice *self, GBytes *key_id, CradleDeviceDecryptPurpose purpose,
                                               GBytes *encrypted_key, gsize key_size, GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data);
CRADLE_PUBLIC
GBytes    *cradle_device_decrypt_finish       (CradleDevice *self, GAsyncResult *result, GError **error) G_GNUC_WARN_UNUSED_RESULT;
CRADLE_PUBLIC
void       cradle_device_list_certs_async     (CradleDevice *self, const char *store, const char *scope,
                                               GCancellable *cancellable, GAsyncReadyCallback callback,
                                               gpointer user_data);
CRADLE_PUBLIC
GPtrArray *cradle_device_list_certs_finish    (CradleDevice *self, GAsyncResult *result, GError **error) G_GNUC_WARN_UNUSED_RESULT;
CRADLE_PUBLIC
void       cradle_device_install_async        (CradleDevice *self, GPtrArray *certs, GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data);
CRADLE_PUBLIC
gboolean   cradle_device_install_finish       (CradleDevice *self, GAsyncResult *result, guint *added,
                                               GError **error) G_GNUC_WARN_UNUSED_RESULT;
CRADLE_PUBLIC
void       cradle_device_delete_key_async     (CradleDevice *self, GBytes *key_id, GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data);
CRADLE_PUBLIC
gboolean   cradle_device_delete_key_finish    (CradleDevice *self, GAsyncResult *result, GError **error) G_GNUC_WARN_UNUSED_RESULT;
CRADLE_PUBLIC
void       cradle_device_delete_cert_async    (CradleDevice *self, const char *store, const char *scope,
                                               GBytes *sha256, GCancellable *cancellable,
                                               GAsyncReadyCallback callback, gpointer user_data);
CRADLE_PUBLIC
gboolean   cradle_device_delete_cert_finish   (CradleDevice *self, GAsyncResult *result, GError **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
