/* cradle-piv-private.h: the rules of PIV tokens (NIST SP 800-73) as their
 * PKCS#11 modules show them
 *
 * A PIV token has fixed key slots instead of free objects: 9a
 * authentication, 9c digital signature (the PIN before every use), 9d key
 * management, 9e card authentication, 82-95 retired key management, f9 the
 * attestation key.  ykcs11 (Yubico's module) shows slot N's key, public key
 * and certificate with one fixed CKA_ID, needs the security officer's login
 * (the PIV management key) to make a key or write a certificate, and
 * refuses CKA_CERTIFICATE_CATEGORY and CKA_TRUSTED, so a PIV token holds no
 * free-standing CA or root certificate.  OpenSC's PIV driver makes no keys
 * and writes nothing through PKCS#11.
 *
 * Pure functions of Cradle's own mapping, unit-tested
 * (tests/unit/test-piv.c): no PIV card can be emulated from Debian's
 * packages, so no test here reaches a real one.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * CradlePivModule:
 * @CRADLE_PIV_NONE: not a PIV token
 * @CRADLE_PIV_YKCS11: Yubico's ykcs11 (manufacturer "Yubico", model
 *   "YubiKey ..."; module libykcs11)
 * @CRADLE_PIV_OPENSC: OpenSC's PIV driver (model "PKCS#15 emulated",
 *   label or model naming PIV-II); reads only
 */
typedef enum {
  CRADLE_PIV_NONE,
  CRADLE_PIV_YKCS11,
  CRADLE_PIV_OPENSC,
} CradlePivModule;

/* Which PIV module (if any) a token is, from CK_TOKEN_INFO's fields and the
 * module's file name (any may be %NULL). */
CradlePivModule cradle_piv_module_for_token (const char *manufacturer,
                                             const char *model,
                                             const char *label,
                                             const char *module_path);

/* The slot a certificate type's key goes in: @named_slot ("9a", "9c", "9d",
 * "9e", "82".."95", from the type's PivSlot=) when set, else from the
 * type's key usage (X.509 KeyUsage bits as OpenSSL's KU_* constants) and
 * extended key usages (dotted OIDs, %NULL-terminated, may be %NULL):
 * - nonRepudiation (contentCommitment), or only digitalSignature with
 *   emailProtection or codeSigning and no client authentication: 9c;
 * - keyEncipherment or keyAgreement without digitalSignature: 9d;
 * - the PIV card authentication EKU (2.16.840.1.101.3.6.8): 9e;
 * - anything else (client authentication, smart card logon): 9a.
 * A named slot that is not a PIV key slot (f9, or not a slot at all) is
 * CRADLE_ERROR_INVALID_DATA naming the slots there are. Returns the slot
 * (0x9a...), 0 on error. */
guint8      cradle_piv_slot_for_type    (const char          *named_slot,
                                         guint32              key_usage,
                                         const char * const  *ekus,
                                         GError             **error);
/* "9a" for 0x9a; %NULL for a byte that is no PIV slot. */
const char *cradle_piv_slot_to_string   (guint8               slot);
/* ykcs11's CKA_ID of a slot's objects: 9a 1, 9c 2, 9d 3, 9e 4, 82-95 5-24,
 * f9 25; 0 for a byte that is no slot. */
guint8      cradle_piv_id_for_slot      (guint8               slot);
/* The inverse; 0 for an id no slot has. */
guint8      cradle_piv_slot_for_id      (guint8               id);
/* Whether the slot's key asks for the PIN before every use (9c), so that
 * signing needs a context-specific login. */
gboolean    cradle_piv_slot_always_authenticate (guint8       slot);
/* Whether making a key or writing a certificate needs the officer's login
 * (ykcs11: yes). */
gboolean    cradle_piv_needs_officer    (CradlePivModule      module);
/* Whether Cradle can make keys there at all (OpenSC's PIV: no). */
gboolean    cradle_piv_can_make_keys    (CradlePivModule      module);
/* Whether the token can hold CA and root certificates as objects of their
 * own (PIV: no; the chain stays on the host). */
gboolean    cradle_piv_holds_authority_certificates (CradlePivModule module);

/* The 16-byte key id a PIV token's key is known by to the host (the
 * pending store and the journal keep 16-byte ids,
 * CRADLE_PENDING_KEY_ID_SIZE): "PIV-SLOT", seven zero bytes, and the
 * slot's ykcs11 CKA_ID.  The token itself knows the key by that one-byte
 * CKA_ID (cradle_piv_token_id_for_key_id()). */
#define CRADLE_PIV_KEY_ID_SIZE   16
#define CRADLE_PIV_KEY_ID_PREFIX "PIV-SLOT"

/* The key id of @slot's key; %NULL for a byte that is no PIV slot. */
GBytes     *cradle_piv_key_id_for_slot  (guint8               slot);
/* The slot a key id names (0x9a...); 0 when @key_id is not one
 * cradle_piv_key_id_for_slot() makes (any other length, prefix, a non-zero
 * padding byte or an id no slot has), as for a CKA_ID of another token. */
guint8      cradle_piv_slot_for_key_id  (GBytes              *key_id);
/* The one-byte CKA_ID ykcs11 gives the objects of the slot @key_id names
 * (the same id cradle_piv_id_for_slot() gives); %NULL when @key_id names
 * no slot. */
GBytes     *cradle_piv_token_id_for_key_id (GBytes           *key_id);
/* The slot for people: "9a (authentication)", "9c (digital signature)",
 * "9d (key management)", "9e (card authentication)", "82 (retired key
 * management 1)" .. "95 (retired key management 20)", "f9 (attestation)";
 * a new string, %NULL for a byte that is no slot. */
char       *cradle_piv_slot_describe    (guint8               slot);

G_END_DECLS
