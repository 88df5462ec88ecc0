/* cradle-token-private.h: a PKCS#11 token, the second kind of device
 *
 * bridge/pkcs11 is the host's link to hardware tokens and smart cards
 * (YubiKey PIV, Nitrokey, a PIV card, SoftHSM2) through their PKCS#11
 * modules, as bridge/protocol is its link to a device's agent.  It knows
 * nothing of CradleDevice: bridge/host puts a CradleToken behind the device
 * API (cradle-device-token.c), as it puts a CradleBridgeTransport behind it
 * for the agent.  Depends on core/base only; p11-kit loads the modules and
 * formats and parses the RFC 7512 URIs, OpenSSL builds the public keys.
 *
 * Every call may block (a card reader) and is made from a worker thread by
 * the host; one token's calls are serialised by its own lock.  Every
 * failure is a CRADLE_ERROR with a CRADLE_EXPLAIN_TOKEN detail where one
 * fits (cradle-explain.h), naming the token's label (escaped) and what to
 * do next:
 * - CKR_PIN_INCORRECT: AUTH_FAILED, PIN_INCORRECT (PIN_COUNT_LOW or
 *   PIN_FINAL_TRY when the token's flags say so after the failure);
 * - CKR_PIN_LOCKED: PERMISSION_DENIED, PIN_LOCKED;
 * - a private-key operation before cradle_token_log_in(): AUTH_FAILED,
 *   PIN_REQUIRED;
 * - CKR_DEVICE_REMOVED, CKR_TOKEN_NOT_PRESENT, CKR_DEVICE_ERROR,
 *   CKR_SESSION_HANDLE_INVALID, CKR_SESSION_CLOSED, CKR_TOKEN_NOT_RECOGNIZED:
 *   DEVICE_GONE, TOKEN_REMOVED;
 * - a key type the token's mechanisms do not make: NOT_SUPPORTED,
 *   KEY_TYPE_NOT_OFFERED (before anything is made);
 * - CKR_TOKEN_WRITE_PROTECTED: PERMISSION_DENIED, WRITE_PROTECTED;
 * - CKR_DEVICE_MEMORY: NOT_SUPPORTED, TOKEN_FULL;
 * - CKR_USER_TYPE_INVALID on a PIV module's key generation or certificate
 *   write without the officer's login: AUTH_FAILED, OFFICER_REQUIRED.
 * The PIN and the officer's secret never reach an error, a log or a file.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* ---- modules ------------------------------------------------------------ */

/* Which modules the process loads, read once before the first token is
 * listed (and again after a change): p11-kit's configured modules when
 * @use_registered (pkcs11.conf(5); its trust module, which makes no keys,
 * lists no token here), and each module file in @paths (absolute, from
 * cradle.conf [Tokens] Modules= or cradlectl --pkcs11-module).  A module
 * that fails to load is skipped with a debug message, not an error: other
 * tokens still work.  Thread-safe.  The modules loaded before are
 * finalized when the last token found in them is gone (a test that
 * points SoftHSM at another configuration drops its tokens first).
 * Loading ignores SIGPIPE where its action is the default: a module that
 * reaches its token over a socket (p11-kit-client) must see a token that
 * left, not end the process. */
void       cradle_token_set_modules      (const char * const *paths,
                                          gboolean            use_registered);

/* ---- a token ------------------------------------------------------------ */

#define CRADLE_TYPE_TOKEN (cradle_token_get_type ())
G_DECLARE_FINAL_TYPE (CradleToken, cradle_token, CRADLE, TOKEN, GObject)

/* Every initialised token present now that can make a key pair (its
 * mechanisms include CKM_RSA_PKCS_KEY_PAIR_GEN or CKM_EC_KEY_PAIR_GEN),
 * in the loaded modules; none has a session yet.  Slots without a token,
 * uninitialised tokens (CKF_TOKEN_INITIALIZED unset) and tokens that make
 * no keys are left out.  Returns: (element-type CradleToken). */
GPtrArray  *cradle_token_enumerate        (GCancellable  *cancellable,
                                           GError       **error) G_GNUC_WARN_UNUSED_RESULT;
/* The token @uri (RFC 7512, token attributes only) names, if present:
 * p11_kit_uri_match_token_info(), so "pkcs11:token=LABEL" is enough.
 * INVALID_DATA for what is no such URI; NOT_FOUND (detail
 * CRADLE_EXPLAIN_DEVICE NONE_FOUND) when no token matches. */
CradleToken *cradle_token_find            (const char    *uri,
                                           GCancellable  *cancellable,
                                           GError       **error) G_GNUC_WARN_UNUSED_RESULT;

/* "pkcs11:model=...;manufacturer=...;serial=...;token=..." formatted by
 * p11-kit (P11_KIT_URI_FOR_TOKEN): what a token is remembered by, never a
 * slot number. */
const char *cradle_token_get_uri          (CradleToken   *self);
/* CK_TOKEN_INFO's fields, blank padding removed, as the token gave them
 * (not escaped: escape before showing). */
const char *cradle_token_get_label        (CradleToken   *self);
const char *cradle_token_get_manufacturer (CradleToken   *self);
const char *cradle_token_get_model        (CradleToken   *self);
const char *cradle_token_get_serial       (CradleToken   *self);
/* The module's name for people (p11-kit's, else the file's basename). */
const char *cradle_token_get_module_name  (CradleToken   *self);

/* Whether the token is still in its slot (C_GetSlotList with tokens
 * present, matched by URI); for the monitor and for an operation that
 * failed. */
gboolean    cradle_token_is_present       (CradleToken   *self);

/* What the token's mechanisms make, in the device API's words: "rsa2048",
 * "rsa3072", "rsa4096", "p256", "p384" (CKM_*_KEY_PAIR_GEN's key size
 * range). Refreshed by cradle_token_open(). */
const char * const *cradle_token_get_key_types (CradleToken *self);
/* Whether it decrypts with CKM_RSA_PKCS (SCEP needs it). */
gboolean    cradle_token_can_decrypt      (CradleToken   *self);

/* Opens a read-write session and reads the token's info and mechanisms. */
gboolean    cradle_token_open             (CradleToken   *self,
                                           GCancellable  *cancellable,
                                           GError       **error) G_GNUC_WARN_UNUSED_RESULT;
/* Logs out and closes the session; the PIN kept for it is wiped. */
void        cradle_token_close            (CradleToken   *self);

/* ---- the PIN ------------------------------------------------------------ */

/**
 * CradleTokenPinState:
 * @CRADLE_TOKEN_PIN_NOT_NEEDED: the token needs no login (no CKF_LOGIN_REQUIRED)
 * @CRADLE_TOKEN_PIN_LOGGED_IN: logged in as the user in this session
 * @CRADLE_TOKEN_PIN_NEEDED: a PIN is needed
 * @CRADLE_TOKEN_PIN_COUNT_LOW: needed, and a wrong PIN has been entered
 *   (CKF_USER_PIN_COUNT_LOW)
 * @CRADLE_TOKEN_PIN_FINAL_TRY: needed, and one more wrong PIN locks it
 * @CRADLE_TOKEN_PIN_LOCKED: locked (CKF_USER_PIN_LOCKED): only its officer
 *   can unlock it
 */
typedef enum {
  CRADLE_TOKEN_PIN_NOT_NEEDED,
  CRADLE_TOKEN_PIN_LOGGED_IN,
  CRADLE_TOKEN_PIN_NEEDED,
  CRADLE_TOKEN_PIN_COUNT_LOW,
  CRADLE_TOKEN_PIN_FINAL_TRY,
  CRADLE_TOKEN_PIN_LOCKED,
} CradleTokenPinState;

/* Reads the token's flags afresh (C_GetTokenInfo). */
CradleTokenPinState cradle_token_get_pin_state (CradleToken *self);
/* CKF_PROTECTED_AUTHENTICATION_PATH: the PIN is entered on the token's own
 * pad, and cradle_token_log_in() is given %NULL. */
gboolean    cradle_token_has_pinpad       (CradleToken   *self);

/* C_Login (CKU_USER). @pin: %NULL with a pinpad. A copy is kept in
 * OPENSSL_secure memory, wiped at close, for keys that ask again before
 * each use (CKA_ALWAYS_AUTHENTICATE: C_Login (CKU_CONTEXT_SPECIFIC)).
 * Already logged in is success. */
gboolean    cradle_token_log_in           (CradleToken   *self,
                                           const char    *pin,
                                           GCancellable  *cancellable,
                                           GError       **error) G_GNUC_WARN_UNUSED_RESULT;
/* Whether making keys or writing certificates needs the security officer's
 * login too (ykcs11: the PIV management key; cradle_piv_needs_officer()). */
gboolean    cradle_token_needs_officer    (CradleToken   *self);
/* Keeps the officer's secret (wiped memory) for the operations that need
 * it: each is done as C_Logout, C_Login (CKU_SO), the operation, C_Logout,
 * C_Login (CKU_USER) with the kept PIN. */
void        cradle_token_set_officer_secret (CradleToken *self,
                                           const char    *secret);

/* ---- keys --------------------------------------------------------------- */

/* Makes a key pair on the token (INVALID_DATA for a @key_type that is none
 * of the five; KEY_TYPE_NOT_OFFERED, before anything is made, for one the
 * token's mechanisms do not make; PIN_REQUIRED before the login; with the
 * officer's login around it where cradle_token_needs_officer()): private
 * key CKA_TOKEN, CKA_PRIVATE,
 * CKA_SENSITIVE, not CKA_EXTRACTABLE, CKA_SIGN (and CKA_DECRYPT for RSA);
 * public key CKA_TOKEN, CKA_VERIFY (CKA_ENCRYPT); both with CKA_ID @id and
 * CKA_LABEL @label. @id: %NULL for 16 random bytes (a PIV token's id is its
 * slot's, cradle_piv_id_for_slot()). Returns the CKA_ID; @public_key_info
 * gets the DER SubjectPublicKeyInfo built from CKA_MODULUS and
 * CKA_PUBLIC_EXPONENT, or CKA_EC_PARAMS and CKA_EC_POINT (wrapped in an
 * OCTET STRING or raw; both accepted, bounded). A key whose public key
 * cannot be read or is not valid is destroyed, and the error says so. */
GBytes     *cradle_token_generate_key     (CradleToken   *self,
                                           const char    *key_type,
                                           const char    *label,
                                           GBytes        *id,
                                           GBytes       **public_key_info,
                                           GCancellable  *cancellable,
                                           GError       **error) G_GNUC_WARN_UNUSED_RESULT;
/* The SubjectPublicKeyInfo of the key pair @id (its public key object, or
 * the certificate with that id), or NOT_FOUND when the token holds no
 * private key @id. Before the login, when private objects are hidden, the
 * public key object (or certificate) alone stands for the pair. */
GBytes     *cradle_token_get_public_key   (CradleToken   *self,
                                           GBytes        *id,
                                           GCancellable  *cancellable,
                                           GError       **error) G_GNUC_WARN_UNUSED_RESULT;
/* Signs @data with the private key @id: RSA PKCS#1 v1.5 (CKM_RSA_PKCS over
 * a DigestInfo the host builds, which every token offers), ECDSA (CKM_ECDSA
 * over the digest, the token's r‖s converted to a DER Ecdsa-Sig-Value).
 * @digest: "sha256", "sha384" or "sha512". @algorithm gets OpenSSL's name
 * of the signature algorithm ("sha256WithRSAEncryption",
 * "ecdsa-with-SHA256"). */
GBytes     *cradle_token_sign             (CradleToken   *self,
                                           GBytes        *id,
                                           GBytes        *data,
                                           const char    *digest,
                                           char         **algorithm,
                                           GCancellable  *cancellable,
                                           GError       **error) G_GNUC_WARN_UNUSED_RESULT;
/* CKM_RSA_PKCS C_Decrypt of @encrypted with the private key @id. A
 * ciphertext that does not decrypt, or not to @key_size bytes, gives
 * @key_size random bytes, never an error (as the agent does). */
GBytes     *cradle_token_decrypt          (CradleToken   *self,
                                           GBytes        *id,
                                           GBytes        *encrypted,
                                           gsize          key_size,
                                           GCancellable  *cancellable,
                                           GError       **error) G_GNUC_WARN_UNUSED_RESULT;
/* Destroys the private and public key objects @id (found by CKO class and
 * CKA_ID); none left is success. */
gboolean    cradle_token_destroy_key      (CradleToken   *self,
                                           GBytes        *id,
                                           GCancellable  *cancellable,
                                           GError       **error) G_GNUC_WARN_UNUSED_RESULT;

/* ---- certificates ------------------------------------------------------- */

/* CKA_CERTIFICATE_CATEGORY */
typedef enum {
  CRADLE_TOKEN_CERT_UNSPECIFIED = 0,
  CRADLE_TOKEN_CERT_USER = 1,
  CRADLE_TOKEN_CERT_AUTHORITY = 2,
  CRADLE_TOKEN_CERT_OTHER = 3,
} CradleTokenCertCategory;

typedef struct {
  GBytes                  *der;       /* CKA_VALUE */
  GBytes                  *id;        /* CKA_ID, or NULL */
  char                    *label;     /* CKA_LABEL, as the token gave it, or NULL */
  CradleTokenCertCategory  category;
  gboolean                 on_token;  /* CKA_TOKEN (ykcs11's attestations are not) */
  gboolean                 has_key;   /* a private key object has the same CKA_ID */
} CradleTokenCert;

void        cradle_token_cert_free        (CradleTokenCert *cert);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleTokenCert, cradle_token_cert_free)

/* Every X.509 certificate object (CKC_X_509), at most 256, each value at
 * most 64 KiB. has_key is known after the login only (private keys are
 * hidden before it). Returns: (element-type CradleTokenCert). */
GPtrArray  *cradle_token_list_certificates (CradleToken  *self,
                                           GCancellable  *cancellable,
                                           GError       **error) G_GNUC_WARN_UNUSED_RESULT;
/* Creates a certificate object: CKO_CERTIFICATE, CKC_X_509, CKA_TOKEN,
 * not CKA_PRIVATE, CKA_VALUE, CKA_SUBJECT, CKA_ISSUER, CKA_SERIAL_NUMBER
 * (from @der), CKA_ID @id (optional), CKA_LABEL @label, and
 * CKA_CERTIFICATE_CATEGORY @category unless it is UNSPECIFIED (PIV modules
 * refuse the attribute). A certificate already there (same value) is
 * success and creates nothing. */
gboolean    cradle_token_write_certificate (CradleToken  *self,
                                           GBytes        *der,
                                           GBytes        *id,
                                           const char    *label,
                                           CradleTokenCertCategory category,
                                           GCancellable  *cancellable,
                                           GError       **error) G_GNUC_WARN_UNUSED_RESULT;
/* Destroys the certificate objects whose value's SHA-256 is @sha256; none
 * is NOT_FOUND. */
gboolean    cradle_token_destroy_certificate (CradleToken *self,
                                           GBytes        *sha256,
                                           GCancellable  *cancellable,
                                           GError       **error) G_GNUC_WARN_UNUSED_RESULT;

/* The attestation the token offers for the key @id, as ykcs11 does: a
 * certificate object with the key's CKA_ID and public key that is not the
 * key's own certificate (its issuer is not its subject's and it is not
 * CKA_TOKEN, or its label says "Attestation"), and the attesting
 * certificate (the PIV f9 slot's, ykcs11 CKA_ID 25) as @intermediate.
 * NOT_SUPPORTED when the token offers none. */
gboolean    cradle_token_read_attestation  (CradleToken  *self,
                                           GBytes        *id,
                                           GBytes       **attestation,
                                           GBytes       **intermediate,
                                           GCancellable  *cancellable,
                                           GError       **error) G_GNUC_WARN_UNUSED_RESULT;

/* ---- arrivals and departures -------------------------------------------- */

/* One poll of the loaded modules, for a monitor on a GLib timeout:
 * C_WaitForSlotEvent (CKF_DONT_BLOCK) where offered, then the tokens
 * present (C_GetSlotList with a NULL list first, so the module refreshes
 * it).  Returns the URIs of the tokens present now (element-type utf8),
 * for the caller to compare with the last poll's. */
GPtrArray  *cradle_token_poll_present      (GCancellable  *cancellable,
                                           GError       **error) G_GNUC_WARN_UNUSED_RESULT;

/* ---- between the files of CradleToken (cradle-token*.c only) ------------ */

#ifdef CRADLE_TOKEN_COMPILATION
#include <p11-kit/pkcs11.h>

/* The most objects one search returns, and the largest attribute read. */
#define CRADLE_TOKEN_MAX_OBJECTS         256
#define CRADLE_TOKEN_MAX_ATTRIBUTE_SIZE  (64 * 1024)
/* The longest PIN or officer's secret passed on (PKCS#11 has no limit). */
#define CRADLE_TOKEN_MAX_PIN_SIZE        256

/* The modules loaded at one time, shared by the tokens found in them and
 * finalized when the last of them lets go (cradle-token-module.c). */
typedef struct {
  CK_FUNCTION_LIST **lists;   /* NULL-terminated */
  char             **names;   /* the name of each, for people */
  gboolean          *own;     /* loaded by path, not by p11-kit's config */
  guint              n_lists;
  CK_FUNCTION_LIST **registered; /* p11-kit's configured modules, or NULL */
} CradleTokenModules;

CradleTokenModules *_cradle_token_modules_get   (void);
CradleTokenModules *_cradle_token_modules_ref   (CradleTokenModules *modules);
void                _cradle_token_modules_unref (CradleTokenModules *modules);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleTokenModules, _cradle_token_modules_unref)

struct _CradleToken
{
  GObject              parent_instance;

  GRecMutex            lock;

  /* Owned */
  CradleTokenModules  *modules;
  char                *uri;
  char                *label;
  char                *manufacturer;
  char                *model;
  char                *serial;
  char                *module_name;
  const char          *key_types[6];    /* static strings, NULL-terminated;
                                         * rewritten in place, never moved */
  char                *pin;             /* OPENSSL_secure memory, or NULL */
  char                *officer_secret;  /* OPENSSL_secure memory, or NULL */

  /* Borrowed from modules */
  CK_FUNCTION_LIST    *module;

  CK_SLOT_ID           slot;
  CK_TOKEN_INFO        info;
  CK_SESSION_HANDLE    session;
  gboolean             has_session;
  gboolean             logged_in;
  gboolean             can_decrypt;
  gboolean             needs_officer;
  int                  piv;             /* CradlePivModule */
};

/* cradle-token.c */
CradleToken *_cradle_token_new          (CradleTokenModules *modules,
                                         guint               module_index,
                                         CK_SLOT_ID          slot,
                                         const CK_TOKEN_INFO *info);
/* Sets @error from @rv for the step @doing ("make the key"), with the
 * words and detail of cradle-token-private.h's table; a failure that is
 * not one of the table's, on a token no longer present, is TOKEN_REMOVED. */
void        _cradle_token_set_error     (CradleToken   *self,
                                         GError       **error,
                                         CK_RV          rv,
                                         const char    *doing);
/* The token's label escaped, for an error. */
char       *_cradle_token_dup_name      (CradleToken   *self);
/* Which key-pair mechanisms the module's slot offers. */
gboolean    _cradle_token_read_mechanisms (CradleToken *self,
                                         GError       **error) G_GNUC_WARN_UNUSED_RESULT;

/* cradle-token-session.c */
gboolean    _cradle_token_ensure_session (CradleToken  *self,
                                         GError       **error) G_GNUC_WARN_UNUSED_RESULT;
/* PIN_REQUIRED when the token needs a login that was not made. */
gboolean    _cradle_token_ensure_logged_in (CradleToken *self,
                                         const char    *doing,
                                         GError       **error) G_GNUC_WARN_UNUSED_RESULT;
/* Runs @rv_of for an operation that needs the officer (see
 * cradle_token_set_officer_secret()); without one kept, OFFICER_REQUIRED. */
gboolean    _cradle_token_officer_begin  (CradleToken  *self,
                                         const char    *doing,
                                         GError       **error) G_GNUC_WARN_UNUSED_RESULT;
void        _cradle_token_officer_end    (CradleToken  *self);
/* C_Login (CKU_CONTEXT_SPECIFIC) with the kept PIN, for a key that asks
 * before each use. */
CK_RV       _cradle_token_context_login  (CradleToken  *self);

/* cradle-token-object.c */
gboolean    _cradle_token_find_objects  (CradleToken        *self,
                                         CK_ATTRIBUTE       *template,
                                         CK_ULONG            n_template,
                                         GArray            **handles,
                                         GError            **error) G_GNUC_WARN_UNUSED_RESULT;
/* One attribute's value, at most CRADLE_TOKEN_MAX_ATTRIBUTE_SIZE bytes;
 * %NULL without an error when the object has no such attribute or it is
 * sensitive. */
GBytes     *_cradle_token_read_attribute (CradleToken       *self,
                                         CK_OBJECT_HANDLE    object,
                                         CK_ATTRIBUTE_TYPE   type,
                                         GError            **error);
gboolean    _cradle_token_read_ulong    (CradleToken        *self,
                                         CK_OBJECT_HANDLE    object,
                                         CK_ATTRIBUTE_TYPE   type,
                                         CK_ULONG           *value);
gboolean    _cradle_token_read_bool     (CradleToken        *self,
                                         CK_OBJECT_HANDLE    object,
                                         CK_ATTRIBUTE_TYPE   type,
                                         gboolean           *value);
/* The object of @klass with CKA_ID @id, if any (the first found). */
gboolean    _cradle_token_find_by_id    (CradleToken        *self,
                                         CK_OBJECT_CLASS     klass,
                                         GBytes             *id,
                                         CK_OBJECT_HANDLE   *object,
                                         GError            **error) G_GNUC_WARN_UNUSED_RESULT;
#endif /* CRADLE_TOKEN_COMPILATION */

/* ---- the bounded readers of what a token gives (cradle-token-spki.c) ----
 *
 * Pure functions of their input, fuzzed (tests/fuzz/fuzz-token-output.c). */

/* The point of CKA_EC_POINT: the X9.62 uncompressed point, unwrapped from
 * its DER OCTET STRING when wrapped (the standard), taken as it is when raw
 * (some tokens); checked to be 1 + 2 * @field_size bytes starting 0x04.
 * INVALID_DATA otherwise. */
GBytes     *cradle_token_unwrap_ec_point (GBytes       *ec_point,
                                         gsize          field_size,
                                         GError       **error) G_GNUC_WARN_UNUSED_RESULT;
/* A DER Ecdsa-Sig-Value from the token's r‖s (2 * @field_size bytes). */
GBytes     *cradle_token_ecdsa_signature_to_der (GBytes *raw,
                                         gsize          field_size,
                                         GError       **error) G_GNUC_WARN_UNUSED_RESULT;
/* The DER SubjectPublicKeyInfo of an RSA key (@modulus, @exponent: unsigned
 * big-endian, as CKA_MODULUS and CKA_PUBLIC_EXPONENT) or of an EC key
 * (@ec_params: the named curve's DER OID, P-256 or P-384; @ec_point:
 * CKA_EC_POINT, wrapped or raw); checked by OpenSSL (an RSA modulus of 2048
 * to 8192 bits, a point on the curve). @key_type gets the device API's word
 * for it ("rsa3072", "p256"). */
GBytes     *cradle_token_build_rsa_spki (GBytes        *modulus,
                                         GBytes        *exponent,
                                         char         **key_type,
                                         GError       **error) G_GNUC_WARN_UNUSED_RESULT;
GBytes     *cradle_token_build_ec_spki  (GBytes        *ec_params,
                                         GBytes        *ec_point,
                                         char         **key_type,
                                         GError       **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
