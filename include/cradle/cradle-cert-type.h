/* cradle-cert-type.h: what the user picks: a template or an administrator's type
 *
 * A certificate type is either an AD CS template from the directory's
 * catalog, sent to the CA that publishes it, or a custom type an
 * administrator defined in a key file: /etc/cradle/types.d/NAME.conf (the
 * administrator's, cradle_paths_dup_system_config_dir()) and
 * ~/.config/cradle/types.d/NAME.conf (the user's; a user file of the same
 * Name replaces the administrator's):
 *
 *   [Cradle Certificate Type]
 *   Name=wifi-scep                    # what `cradlectl enroll --type` takes
 *   DisplayName=Wi-Fi (SCEP)
 *   Protocol=scep                     # certsrv | wstep | scep | est
 *   URL=http://scep.example.com/scep  # certsrv: the /certsrv base; wstep: the CES;
 *                                     # est: the /.well-known/est base; scep: the URL
 *   PolicyURL=https://…/CEP           # wstep only, optional: find the CES through MS-XCEP
 *   Template=CradleDevice             # optional: the template's cn (certsrv, wstep, est)
 *   Label=devices                     # est only, optional: the CA label
 *   KeyType=rsa2048                   # rsa2048 | rsa3072 | rsa4096 | p256 | p384
 *   Subject=CN=Device                 # optional, RFC 4514
 *   Auth=kerberos                     # kerberos | password | none
 *   TrustAnchors=/etc/cradle/ca.pem   # optional PEM file, trusted beside the system's;
 *                                     # scep: required, must hold the SCEP CA (or a CA
 *                                     # it chains to): GetCACert is checked against
 *                                     # these anchors alone, not the system's
 *   AllowPlainHttp=false              # an explicit choice, shown to the user when true
 *   ChallengeFile=/etc/cradle/scep.secret  # scep only: the challenge password's file
 *   CAFingerprint=AB:CD:…             # scep only, optional: SHA-256 of the SCEP CA's
 *                                     # certificate (64 hex digits, colons allowed), as
 *                                     # `openssl x509 -noout -fingerprint -sha256` prints
 *                                     # it; checked beside TrustAnchors, before any request
 *   Timeout=30                        # seconds per HTTP exchange
 *   RenewAt=80%                       # optional: renew after this share of the lifetime
 *   PivSlot=9c                        # optional: the PIV slot a token's key is made in
 *                                     # (9a | 9c | 9d | 9e | 82..95); by default it
 *                                     # follows the key usage: 9c non-repudiation or
 *                                     # signed mail/code, 9d encryption only, 9e the
 *                                     # PIV card authentication EKU, else 9a
 *   Attestation=check                 # check | require | include: a token's attestation
 *                                     # of the key is verified against [Tokens]
 *                                     # AttestationRoots of cradle.conf and journalled
 *                                     # (check: when offered; require: no request
 *                                     # without one; include: required and added to
 *                                     # the request, 1.3.6.1.4.1.41482.3.1 and .3.2)
 *
 * When Template names a template of the catalog, the request is made as
 * that template's policy says (key, subject, names, extensions), else from
 * KeyType and Subject.  The challenge stays in its file: Cradle reads it
 * when it builds a request and never logs, stores or shows it.
 *
 * General settings are in cradle.conf in the same folders:
 *
 *   [Enrollment]
 *   TrustAnchors=/path/root.pem       # for template types' CAs (and custom
 *                                     # types without their own)
 *
 * and the domain's (cradle-settings.h): [Directory] Domain= and DC=.
 * cradle-type-draft.h and cradle-type-store.h write type files.
 */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <gio/gio.h>
#include <cradle/cradle-macros.h>
#include <cradle/cradle-ca.h>
#include <cradle/cradle-ca-connector.h>
#include <cradle/cradle-catalog.h>
#include <cradle/cradle-credentials.h>

G_BEGIN_DECLS

typedef enum {
  CRADLE_CERT_TYPE_TEMPLATE,  /* an AD CS template of the catalog */
  CRADLE_CERT_TYPE_CUSTOM,    /* an administrator's type from a types.d file */
} CradleCertTypeKind;

/* The group every type file holds. */
#define CRADLE_CERT_TYPE_GROUP "Cradle Certificate Type"

#define CRADLE_TYPE_CERT_TYPE (cradle_cert_type_get_type ())
CRADLE_PUBLIC
G_DECLARE_FINAL_TYPE (CradleCertType, cradle_cert_type, CRADLE, CERT_TYPE, GObject)

/* ---- finding them ------------------------------------------------------ */

/* Every type the user may pick, templates first (sorted by name), then
 * custom types (sorted by name).  @catalog: (nullable): without it, only
 * custom types.  @credentials says how the user signs in, which decides
 * the connector of a template: MS-WSTEP when the template's CA lists an
 * enrollment web service (msPKI-Enrollment-Servers) for that kind of
 * sign-in, else AD CS Web Enrollment at https://<CA host>/certsrv.
 * @problems: (out) (optional): a %NULL-terminated list of sentences, one per
 * type file that could not be read ("FILE:LINE: what is wrong"); such files
 * are left out.  Returns: (element-type CradleCertType): never %NULL. */
CRADLE_PUBLIC
GPtrArray          *cradle_cert_type_list              (CradleCatalog        *catalog,
                                                        CradleCredentialsKind credentials,
                                                        char               ***problems);
/* The type for one template of @catalog (whether or not it is enrollable). */
CRADLE_PUBLIC
CradleCertType     *cradle_cert_type_new_for_template  (CradleCatalog        *catalog,
                                                        CradleTemplate       *template,
                                                        CradleCredentialsKind credentials);
/* Reads one type file.  CRADLE_ERROR_INVALID_DATA names the file and the
 * line: "/etc/cradle/types.d/wifi.conf:4: Protocol 'smtp' is not one of
 * certsrv, wstep, scep, est".  @catalog: (nullable): to resolve Template. */
CRADLE_PUBLIC
CradleCertType     *cradle_cert_type_new_from_file     (const char           *path,
                                                        CradleCatalog        *catalog,
                                                        GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* By name, ignoring case; (nullable). @types: (element-type CradleCertType) */
CRADLE_PUBLIC
CradleCertType     *cradle_cert_type_find              (GPtrArray            *types,
                                                        const char           *name);
/* The type a stored request was made with: the same protocol ("certsrv",
 * …) and endpoint (a custom type's URL, or a template's CA) and, when
 * given, the same template; (nullable). */
CRADLE_PUBLIC
CradleCertType     *cradle_cert_type_find_for_endpoint (GPtrArray            *types,
                                                        const char           *protocol,
                                                        const char           *endpoint,
                                                        const char           *template_name);

/* ---- what one is ------------------------------------------------------- */

CRADLE_PUBLIC
CradleCertTypeKind  cradle_cert_type_get_kind          (CradleCertType *self);
/* A template's cn, or a custom type's Name. */
CRADLE_PUBLIC
const char         *cradle_cert_type_get_name          (CradleCertType *self);
CRADLE_PUBLIC
const char         *cradle_cert_type_get_display_name  (CradleCertType *self);
/* Whether the user can enroll, and why not (nullable) in words for the
 * user, as cradle_catalog_check() says for templates.  A custom type is
 * enrollable unless its settings cannot work (no catalog for its Template,
 * an unreadable challenge file, …). */
CRADLE_PUBLIC
CradleEnrollability cradle_cert_type_get_enrollability (CradleCertType *self);
CRADLE_PUBLIC
const char         *cradle_cert_type_get_reason        (CradleCertType *self);
/* ENROLLABLE or NEEDS_APPROVAL */
CRADLE_PUBLIC
gboolean            cradle_cert_type_is_enrollable     (CradleCertType *self);

CRADLE_PUBLIC
CradleCaProtocol    cradle_cert_type_get_protocol      (CradleCertType *self);
/* Where requests go: the certsrv base, the CES, the SCEP URL or the EST
 * base; (nullable) only for a template no CA publishes, or a WSTEP type
 * that finds its CES through a policy server. */
CRADLE_PUBLIC
const char         *cradle_cert_type_get_url           (CradleCertType *self);
/* (nullable): the MS-XCEP policy server a WSTEP type asks for its CES */
CRADLE_PUBLIC
const char         *cradle_cert_type_get_policy_url    (CradleCertType *self);
/* (nullable): the template's cn sent with requests */
CRADLE_PUBLIC
const char         *cradle_cert_type_get_template_name (CradleCertType *self);
/* (nullable): the catalog's template, for template types and custom types
 * whose Template the catalog holds. */
CRADLE_PUBLIC
CradleTemplate     *cradle_cert_type_get_template      (CradleCertType *self);
/* (nullable): the catalog the type came from. */
CRADLE_PUBLIC
CradleCatalog      *cradle_cert_type_get_catalog       (CradleCertType *self);
/* (nullable): EST's CA label */
CRADLE_PUBLIC
const char         *cradle_cert_type_get_label         (CradleCertType *self);
/* (nullable): the bridge key type of a custom type without a template */
CRADLE_PUBLIC
const char         *cradle_cert_type_get_key_type      (CradleCertType *self);
/* (nullable): RFC 4514 */
CRADLE_PUBLIC
const char         *cradle_cert_type_get_subject       (CradleCertType *self);
/* The sign-in the CA expects; a template's is the session's. */
CRADLE_PUBLIC
CradleCredentialsKind cradle_cert_type_get_auth        (CradleCertType *self);
/* (nullable): a PEM file of TLS anchors trusted beside the system's */
CRADLE_PUBLIC
const char         *cradle_cert_type_get_trust_anchors (CradleCertType *self);
/* TRUE only when an administrator wrote AllowPlainHttp=true: show it. */
CRADLE_PUBLIC
gboolean            cradle_cert_type_get_allow_plain_http (CradleCertType *self);
/* (nullable): SCEP's challenge file (its path, never its content) */
CRADLE_PUBLIC
const char         *cradle_cert_type_get_challenge_file (CradleCertType *self);
/* (nullable): SCEP's CAFingerprint, the SHA-256 of the CA certificate (32 bytes) */
CRADLE_PUBLIC
GBytes             *cradle_cert_type_get_ca_fingerprint (CradleCertType *self);
/* Seconds per HTTP exchange; 0 for the connector's default. */
CRADLE_PUBLIC
guint               cradle_cert_type_get_timeout       (CradleCertType *self);
/* A type file's RenewAt=: the share of a certificate's lifetime (percent,
 * 1 to 99) after which it is due for renewal; 0 when the file does not
 * set it (a template's renewal period applies, else 80). */
CRADLE_PUBLIC
guint               cradle_cert_type_get_renew_at      (CradleCertType *self);
/* (nullable): a type file's PivSlot= ("9a", "9c", "9d", "9e", "82".."95"):
 * the slot of a PIV token the key is made in; otherwise the slot follows
 * the type's key usage. */
CRADLE_PUBLIC
const char         *cradle_cert_type_get_piv_slot      (CradleCertType *self);

/**
 * CradleAttestationPolicy:
 * @CRADLE_ATTESTATION_CHECK: (the default) a token's attestation of the key,
 *   when it offers one, is verified and recorded; a bad one stops the run
 * @CRADLE_ATTESTATION_REQUIRE: Attestation=require: no request is sent
 *   without a verified attestation
 * @CRADLE_ATTESTATION_INCLUDE: Attestation=include: required, and added to
 *   the request's extensions as yubico-piv-tool does (1.3.6.1.4.1.41482.3.1
 *   the attestation, .3.2 the attesting certificate)
 */
typedef enum {
  CRADLE_ATTESTATION_CHECK,
  CRADLE_ATTESTATION_REQUIRE,
  CRADLE_ATTESTATION_INCLUDE,
} CradleAttestationPolicy;

/* A type file's Attestation= (check, require, include). */
CRADLE_PUBLIC
CradleAttestationPolicy cradle_cert_type_get_attestation (CradleCertType *self);
/* "check", "require", "include", as a type file writes them. */
CRADLE_PUBLIC
const char         *cradle_attestation_policy_to_string (CradleAttestationPolicy policy);
CRADLE_PUBLIC
gboolean            cradle_attestation_policy_from_string (const char              *text,
                                                           CradleAttestationPolicy *policy);
/* (nullable): the file a custom type was read from */
CRADLE_PUBLIC
const char         *cradle_cert_type_get_source        (CradleCertType *self);

/* A connector for this type, signed in with @credentials, TLS anchors,
 * plain-HTTP choice and timeout applied.  CRADLE_ERROR_NOT_CONFIGURED when
 * the type has nowhere to send requests. */
CRADLE_PUBLIC
CradleCaConnector  *cradle_cert_type_create_connector  (CradleCertType       *self,
                                                        CradleCredentials    *credentials,
                                                        GError              **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
