/* cradle-type-probe.h: a certificate type tested against its server
 *
 * The Test of a certificate type: the server is asked what it is, and no
 * request is sent (no key, no CSR, no SCEP challenge):
 *   certsrv  its CA certificates (certnew.cer, certcarc.asp);
 *   wstep    GetPolicies of the policy server (PolicyURL) and whether the
 *            type's Template is offered; without a policy server, the CA
 *            certificates the CES's settings give;
 *   scep     GetCACaps and GetCACert: the CA's subject and SHA-256, and
 *            whether it matches the type's CAFingerprint and TrustAnchors;
 *   est      /cacerts.
 * The probe reports what it found (findings, lines for people, every piece
 * of the server's text escaped with cradle_text_escape()) and what is
 * wrong, as a GError that cradle_explain_error() explains in the words of
 * the error table.
 */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <gio/gio.h>
#include <cradle/cradle-macros.h>
#include <cradle/cradle-cert-type.h>
#include <cradle/cradle-credentials.h>

G_BEGIN_DECLS

/* Whether the server's CA is the one the type names (SCEP's CAFingerprint). */
typedef enum {
  CRADLE_TYPE_PROBE_FINGERPRINT_NOT_SET,  /* the type names none, or is not SCEP */
  CRADLE_TYPE_PROBE_FINGERPRINT_MATCHES,
  CRADLE_TYPE_PROBE_FINGERPRINT_DIFFERS,
  CRADLE_TYPE_PROBE_FINGERPRINT_UNKNOWN,  /* the server sent no CA to compare */
} CradleTypeProbeFingerprint;

/* Whether the policy server offers the type's Template (WSTEP with PolicyURL). */
typedef enum {
  CRADLE_TYPE_PROBE_TEMPLATE_NOT_ASKED,   /* not WSTEP, no PolicyURL, no Template, or no answer */
  CRADLE_TYPE_PROBE_TEMPLATE_OFFERED,
  CRADLE_TYPE_PROBE_TEMPLATE_NOT_OFFERED,
} CradleTypeProbeTemplate;

#define CRADLE_TYPE_TYPE_PROBE (cradle_type_probe_get_type ())
CRADLE_PUBLIC
G_DECLARE_FINAL_TYPE (CradleTypeProbe, cradle_type_probe, CRADLE, TYPE_PROBE, GObject)

/* Tests @type against its server, on a thread, signed in with
 * @credentials (nullable: none; a probe needs no sign-in for SCEP, EST
 * and most certsrv and XCEP servers ask for one).  @type's TLS anchors,
 * plain-HTTP choice and timeout apply, as for an enrollment. */
CRADLE_PUBLIC
void             cradle_type_probe_async   (CradleCertType      *type,
                                            CradleCredentials   *credentials,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
/* Returns the probe, which says whether all was well and, when not, why
 * (cradle_type_probe_get_error()).  %NULL with @error only when
 * @cancellable was cancelled. */
CRADLE_PUBLIC
CradleTypeProbe *cradle_type_probe_finish  (GAsyncResult        *result,
                                            GError             **error) G_GNUC_WARN_UNUSED_RESULT;
/* The same, blocking (for a command line or a thread). */
CRADLE_PUBLIC
CradleTypeProbe *cradle_type_probe_run     (CradleCertType      *type,
                                            CradleCredentials   *credentials,
                                            GCancellable        *cancellable,
                                            GError             **error) G_GNUC_WARN_UNUSED_RESULT;

/* TRUE when the server answered as the type expects: reachable, trusted,
 * the protocol it says, the template offered, the CA pinned when pinned. */
CRADLE_PUBLIC
gboolean            cradle_type_probe_get_ok          (CradleTypeProbe *self);
/* (nullable): what is wrong when not ok, a CRADLE_ERROR with its detail
 * for cradle_explain_error(); borrowed. */
CRADLE_PUBLIC
const GError       *cradle_type_probe_get_error       (CradleTypeProbe *self);
/* What the server said, one line each, for people, in the order asked,
 * kept also when something went wrong later; every line escaped
 * (cradle_text_escape()).  %NULL-terminated, never %NULL. */
CRADLE_PUBLIC
const char * const *cradle_type_probe_get_findings    (CradleTypeProbe *self);
/* The type's protocol and the URL asked. */
CRADLE_PUBLIC
CradleCaProtocol    cradle_type_probe_get_protocol    (CradleTypeProbe *self);
CRADLE_PUBLIC
const char         *cradle_type_probe_get_url         (CradleTypeProbe *self);
/* The CA certificates the server sent (SCEP: GetCACert's, even when they
 * do not verify, so that their fingerprints can be compared).
 * Returns: (element-type CradleCertificate) (transfer none): never %NULL */
CRADLE_PUBLIC
GPtrArray          *cradle_type_probe_get_ca_certificates (CradleTypeProbe *self);
/* SCEP: the SCEP CA's SHA-256 as colon-separated uppercase hex (as
 * `openssl x509 -fingerprint -sha256` prints it), (nullable). */
CRADLE_PUBLIC
const char         *cradle_type_probe_get_ca_fingerprint (CradleTypeProbe *self);
/* SCEP: the capabilities GetCACaps listed, one line, escaped; (nullable). */
CRADLE_PUBLIC
const char         *cradle_type_probe_get_capabilities (CradleTypeProbe *self);
CRADLE_PUBLIC
CradleTypeProbeFingerprint cradle_type_probe_get_fingerprint_match (CradleTypeProbe *self);
CRADLE_PUBLIC
CradleTypeProbeTemplate    cradle_type_probe_get_template_offered  (CradleTypeProbe *self);

G_END_DECLS
