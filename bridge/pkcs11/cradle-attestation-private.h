/* cradle-attestation-private.h: checking a token's word that it made a key
 *
 * A YubiKey attests a key made in a PIV slot with a certificate for that
 * key signed by its f9 attestation key, whose certificate chains to
 * Yubico's PIV root (pairing-and-tokens.md B4).  The desktop checks the
 * chain to the vendor roots named in cradle.conf ([Tokens]
 * AttestationRoots=, a PEM file), that the attested key is the key the
 * token gave for the request, and reads what the attestation says.
 * OpenSSL verifies; outside text in the result is escaped.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Yubico's PIV attestation extensions (1.3.6.1.4.1.41482.3.x). */
#define CRADLE_ATTESTATION_OID_FIRMWARE    "1.3.6.1.4.1.41482.3.3"
#define CRADLE_ATTESTATION_OID_SERIAL      "1.3.6.1.4.1.41482.3.7"
#define CRADLE_ATTESTATION_OID_POLICY      "1.3.6.1.4.1.41482.3.8"
#define CRADLE_ATTESTATION_OID_FORM_FACTOR "1.3.6.1.4.1.41482.3.9"
/* The attestation and the attesting (f9) certificate carried in a request's
 * extensions, as yubico-piv-tool --attestation adds them; 2.2.0 to 2.7.1
 * used .3.11 for the attestation: a reader accepts both. */
#define CRADLE_ATTESTATION_OID_IN_REQUEST     "1.3.6.1.4.1.41482.3.1"
#define CRADLE_ATTESTATION_OID_IN_REQUEST_OLD "1.3.6.1.4.1.41482.3.11"
#define CRADLE_ATTESTATION_OID_INTERMEDIATE   "1.3.6.1.4.1.41482.3.2"

typedef struct {
  gboolean  verified;         /* chain to a vendor root and the key matched */
  char     *vendor_root;      /* the root's subject, escaped */
  char     *firmware;         /* "5.4.3", or NULL */
  gint64    serial;           /* the token's serial, -1 if not said */
  guint8    pin_policy;       /* 1 never, 2 once, 3 always; 0 not said */
  guint8    touch_policy;     /* 1 never, 2 always, 3 cached; 0 not said */
  char     *summary;          /* one line for the journal and the app */
} CradleAttestation;

void cradle_attestation_free (CradleAttestation *attestation);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleAttestation, cradle_attestation_free)

/* Verifies @attestation (DER) through @intermediate (DER, the attesting
 * certificate) to a root in @roots_file (PEM), at the current time, and
 * that its public key is @public_key_info (DER SPKI) byte for byte.
 * Errors (CRADLE_ERROR with a CRADLE_EXPLAIN_TOKEN detail):
 * - no roots file configured or unreadable: NOT_CONFIGURED,
 *   ATTESTATION_NO_ROOTS;
 * - a chain that does not reach those roots, or a bad signature:
 *   INVALID_DATA, ATTESTATION_UNTRUSTED (OpenSSL's reason in words);
 * - another key's attestation: INVALID_DATA, ATTESTATION_WRONG_KEY;
 * - malformed DER or extensions: INVALID_DATA, ATTESTATION_UNTRUSTED. */
CradleAttestation *cradle_attestation_verify (GBytes      *attestation,
                                              GBytes      *intermediate,
                                              const char  *roots_file,
                                              GBytes      *public_key_info,
                                              GError     **error) G_GNUC_WARN_UNUSED_RESULT;

/* What the reader takes: an attestation or attesting certificate, and the
 * vendor roots file. */
#define CRADLE_ATTESTATION_MAX_CERTIFICATE_SIZE (16 * 1024)
#define CRADLE_ATTESTATION_MAX_ROOTS_SIZE       (1024 * 1024)

/* The attestation and the attesting certificate a request (DER PKCS#10)
 * carries in its extension request: the attestation under .3.1, or .3.11
 * as yubico-piv-tool 2.2.0 to 2.7.1 wrote it (.3.1 wins when both are
 * there), the attesting certificate under .3.2, each value one DER
 * certificate and nothing after it.  @intermediate gets %NULL when the
 * request has no .3.2.  CRADLE_ERROR_NOT_FOUND when it carries no
 * attestation; INVALID_DATA (ATTESTATION_UNTRUSTED) when the request or a
 * value is malformed. */
gboolean cradle_attestation_from_request (GBytes      *request,
                                          GBytes     **attestation,
                                          GBytes     **intermediate,
                                          GError     **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
