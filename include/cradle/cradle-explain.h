/* cradle-explain.h: what a CA code or a failure means, and what to do next */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <glib.h>
#include <cradle/cradle-macros.h>
#include <cradle/cradle-error.h>

G_BEGIN_DECLS

/**
 * CradleExplainKind:
 * @CRADLE_EXPLAIN_HRESULT: a CA's HRESULT (CERTSRV_E_*, E_ACCESSDENIED, …),
 *   as certsrv and MS-WSTEP report them
 * @CRADLE_EXPLAIN_DISPOSITION: an AD CS disposition (CR_DISP_*)
 * @CRADLE_EXPLAIN_SCEP_FAIL_INFO: a SCEP failInfo, 0 to 4
 * @CRADLE_EXPLAIN_HTTP_STATUS: an HTTP status (EST, and any web endpoint)
 * @CRADLE_EXPLAIN_TLS: a #CradleTlsFailure
 * @CRADLE_EXPLAIN_TRANSPORT: a #CradleTransportFailure
 * @CRADLE_EXPLAIN_KERBEROS: a #CradleKerberosFailure
 * @CRADLE_EXPLAIN_CRADLE_ERROR: a #CradleError, when nothing more precise is known
 * @CRADLE_EXPLAIN_TRUST: a #CradleTrustFailure
 * @CRADLE_EXPLAIN_DIRECTORY: a #CradleDirectoryFailure
 * @CRADLE_EXPLAIN_DEVICE: a #CradleDeviceFailure
 * @CRADLE_EXPLAIN_CERTIFICATE: a #CradleCertificateProblem
 * @CRADLE_EXPLAIN_TOKEN: a #CradleTokenFailure
 *
 * What a code means depends on its kind.
 */
typedef enum {
  CRADLE_EXPLAIN_HRESULT,
  CRADLE_EXPLAIN_DISPOSITION,
  CRADLE_EXPLAIN_SCEP_FAIL_INFO,
  CRADLE_EXPLAIN_HTTP_STATUS,
  CRADLE_EXPLAIN_TLS,
  CRADLE_EXPLAIN_TRANSPORT,
  CRADLE_EXPLAIN_KERBEROS,
  CRADLE_EXPLAIN_CRADLE_ERROR,
  CRADLE_EXPLAIN_TRUST,
  CRADLE_EXPLAIN_DIRECTORY,
  CRADLE_EXPLAIN_DEVICE,
  CRADLE_EXPLAIN_CERTIFICATE,
  CRADLE_EXPLAIN_TOKEN,
} CradleExplainKind;

typedef enum {
  CRADLE_TLS_FAILURE_UNTRUSTED = 1,     /* issuer not trusted */
  CRADLE_TLS_FAILURE_EXPIRED,           /* expired or not yet valid */
  CRADLE_TLS_FAILURE_HOSTNAME_MISMATCH,
  CRADLE_TLS_FAILURE_HANDSHAKE,         /* no common version or cipher, reset */
  CRADLE_TLS_FAILURE_CLIENT_CERT_REQUIRED,
  CRADLE_TLS_FAILURE_REVOKED,
} CradleTlsFailure;

typedef enum {
  CRADLE_TRANSPORT_FAILURE_CONNECTION_REFUSED = 1,
  CRADLE_TRANSPORT_FAILURE_DNS_NOT_FOUND,
  CRADLE_TRANSPORT_FAILURE_TIMED_OUT,
  CRADLE_TRANSPORT_FAILURE_RESPONSE_TOO_LARGE,
  CRADLE_TRANSPORT_FAILURE_PROXY,
  CRADLE_TRANSPORT_FAILURE_PLAIN_HTTP_REFUSED,  /* by policy */
  CRADLE_TRANSPORT_FAILURE_NETWORK_UNREACHABLE,
  CRADLE_TRANSPORT_FAILURE_CONNECTION_CLOSED,   /* before the answer was complete */
  CRADLE_TRANSPORT_FAILURE_BAD_RESPONSE,        /* not what the protocol answers */
} CradleTransportFailure;

/* What the host would not trust in what a CA sent. */
typedef enum {
  CRADLE_TRUST_FAILURE_UNTRUSTED_ROOT = 1,      /* the chain ends at a root the host does not trust */
} CradleTrustFailure;

/* What is wrong with the domain, its controller or what it publishes
 * (found by a diagnosis, cradle-diagnosis.h). */
typedef enum {
  CRADLE_DIRECTORY_FAILURE_NO_DOMAIN = 1,       /* no domain set, no Kerberos realm */
  CRADLE_DIRECTORY_FAILURE_REALM_MISMATCH,      /* the realm is not the domain's */
  CRADLE_DIRECTORY_FAILURE_NO_DC_RECORDS,       /* no _ldap._tcp.dc._msdcs SRV records */
  CRADLE_DIRECTORY_FAILURE_DC_UNREACHABLE,      /* no TCP connection to the DC */
  CRADLE_DIRECTORY_FAILURE_LDAP_NO_ANSWER,      /* connected, but no LDAP answer */
  CRADLE_DIRECTORY_FAILURE_TLS_UNTRUSTED,       /* LDAPS or StartTLS certificate not trusted */
  CRADLE_DIRECTORY_FAILURE_NO_PKI,              /* a Public Key Services container missing or empty */
  CRADLE_DIRECTORY_FAILURE_NTAUTH_EMPTY,        /* no CA in NTAuthCertificates */
  CRADLE_DIRECTORY_FAILURE_CATALOG_PROBLEMS,    /* templates or CAs the catalog skipped */
} CradleDirectoryFailure;

typedef enum {
  CRADLE_KERBEROS_FAILURE_NO_TICKET = 1,
  CRADLE_KERBEROS_FAILURE_TICKET_EXPIRED,
  CRADLE_KERBEROS_FAILURE_KDC_UNREACHABLE,
  CRADLE_KERBEROS_FAILURE_SERVER_UNKNOWN,       /* no SPN HTTP/<host> */
  CRADLE_KERBEROS_FAILURE_CLOCK_SKEW,
  CRADLE_KERBEROS_FAILURE_PREAUTH_FAILED,       /* wrong password */
} CradleKerberosFailure;

/* What is wrong with the device, as its checks find it. */
typedef enum {
  CRADLE_DEVICE_FAILURE_NONE_FOUND = 1,         /* none connected, or not the one asked for */
  CRADLE_DEVICE_FAILURE_NOT_ANSWERING,          /* connected, but silent past the deadline */
  CRADLE_DEVICE_FAILURE_BUSY,                   /* another program has its one session */
  CRADLE_DEVICE_FAILURE_AGENT_TOO_OLD,          /* no common protocol version, or no pairing */
  CRADLE_DEVICE_FAILURE_NOT_PAIRED,             /* this user never paired it */
  CRADLE_DEVICE_FAILURE_HOST_FORGOTTEN,         /* paired once; the device no longer trusts this computer */
  CRADLE_DEVICE_FAILURE_IDENTITY_CHANGED,       /* not the identity key pinned at pairing */
  CRADLE_DEVICE_FAILURE_NO_KEY_TYPES,           /* it makes no key at all */
  CRADLE_DEVICE_FAILURE_STORES_FULL,            /* no room for a certificate and its chain */
} CradleDeviceFailure;

/* What would keep a certificate from working where it is used, known
 * before it is requested (a diagnosis's certificate and ca hops). */
typedef enum {
  CRADLE_CERTIFICATE_PROBLEM_NO_STRONG_MAPPING = 1, /* signs in, but no SID extension nor SAN URL (KB5014754) */
  CRADLE_CERTIFICATE_PROBLEM_NO_DIGITAL_SIGNATURE,  /* signs in, but its key usage cannot sign */
  CRADLE_CERTIFICATE_PROBLEM_KEY_TYPE_NOT_MADE,     /* the device does not make the key it needs */
  CRADLE_CERTIFICATE_PROBLEM_CA_ENDING,             /* the CA certificate ends soon */
  CRADLE_CERTIFICATE_PROBLEM_CRL_OUT_OF_DATE,       /* the CA's CRL is past its next update */
} CradleCertificateProblem;

/* What went wrong with a PKCS#11 token or smart card, or its attestation. */
typedef enum {
  CRADLE_TOKEN_FAILURE_PIN_REQUIRED = 1,        /* a key was used before the PIN was given */
  CRADLE_TOKEN_FAILURE_PIN_INCORRECT,           /* wrong PIN; tries are left */
  CRADLE_TOKEN_FAILURE_PIN_COUNT_LOW,           /* wrong PIN; few tries are left */
  CRADLE_TOKEN_FAILURE_PIN_FINAL_TRY,           /* wrong PIN; one more wrong locks it */
  CRADLE_TOKEN_FAILURE_PIN_LOCKED,              /* the PIN is locked */
  CRADLE_TOKEN_FAILURE_TOKEN_REMOVED,           /* the token left in the middle */
  CRADLE_TOKEN_FAILURE_KEY_TYPE_NOT_OFFERED,    /* the token does not make that key */
  CRADLE_TOKEN_FAILURE_WRITE_PROTECTED,         /* the token is read-only */
  CRADLE_TOKEN_FAILURE_TOKEN_FULL,              /* no room for another object */
  CRADLE_TOKEN_FAILURE_OFFICER_REQUIRED,        /* needs the officer's login (PIV management key) */
  CRADLE_TOKEN_FAILURE_NO_AUTHORITY_OBJECTS,    /* cannot hold CA or root certificates (PIV) */
  CRADLE_TOKEN_FAILURE_ATTESTATION_MISSING,     /* the type requires an attestation; none offered */
  CRADLE_TOKEN_FAILURE_ATTESTATION_NO_ROOTS,    /* no vendor roots configured */
  CRADLE_TOKEN_FAILURE_ATTESTATION_UNTRUSTED,   /* the chain does not reach the vendor roots */
  CRADLE_TOKEN_FAILURE_ATTESTATION_WRONG_KEY,   /* it attests another key */
  CRADLE_TOKEN_FAILURE_MODULE,                  /* the module failed (CKR_GENERAL_ERROR and the like) */
} CradleTokenFailure;

/* One entry of the table: constant, never freed. */
typedef struct _CradleExplanation CradleExplanation;

CRADLE_PUBLIC
CradleExplainKind  cradle_explanation_get_kind           (const CradleExplanation *self);
CRADLE_PUBLIC
guint32            cradle_explanation_get_code           (const CradleExplanation *self);
/* The symbolic name a support person searches for: "CERTSRV_E_TEMPLATE_DENIED",
 * "CR_DISP_DENIED", "badRequest", "HTTP 503", "KRB5KRB_AP_ERR_SKEW", … */
CRADLE_PUBLIC
const char        *cradle_explanation_get_name           (const CradleExplanation *self);
/* One sentence for the user: what happened and why. */
CRADLE_PUBLIC
const char        *cradle_explanation_get_summary        (const CradleExplanation *self);
/* One sentence for the user: what to do next. */
CRADLE_PUBLIC
const char        *cradle_explanation_get_user_action    (const CradleExplanation *self);
/* One sentence for support staff: where to look, what to change. */
CRADLE_PUBLIC
const char        *cradle_explanation_get_support_action (const CradleExplanation *self);
/* TRUE for the broad fallbacks (a #CradleError, a class of HTTP status, a
 * code Cradle does not know), which say less than the error's own text. */
CRADLE_PUBLIC
gboolean           cradle_explanation_is_generic         (const CradleExplanation *self);

/* Never %NULL: an unknown code gets a generic explanation that names it. */
CRADLE_PUBLIC
const CradleExplanation *cradle_explain            (CradleExplainKind  kind,
                                                    guint32            code);
/* A CA's refusal code as a connector reports it: @connector is "certsrv"
 * or "wstep" (HRESULT), "scep" (failInfo) or "est" (HTTP status). */
CRADLE_PUBLIC
const CradleExplanation *cradle_explain_ca_code    (const char        *connector,
                                                    guint32            code);
/* The explanation for @error: its attached detail if any, else what its
 * domain and code say (GIO's TLS, resolver and network errors are
 * understood), else the #CradleError fallback.  Never %NULL. */
CRADLE_PUBLIC
const CradleExplanation *cradle_explain_error      (const GError      *error);

/* "CERTSRV_E_TEMPLATE_DENIED 0x80094012", or "0x80091234" for an unknown code. */
CRADLE_PUBLIC
char      *cradle_explain_format_hresult (guint32            hresult);

/* Attaches the precise cause to a CRADLE_ERROR @error, so that the CLI, the
 * app and the journal can explain it; survives g_prefix_error() and copies. */
CRADLE_PUBLIC
void       cradle_explain_set_detail     (GError            *error,
                                          CradleExplainKind  kind,
                                          guint32            code);
CRADLE_PUBLIC
gboolean   cradle_explain_get_detail     (const GError      *error,
                                          CradleExplainKind *kind,
                                          guint32           *code);
/* g_set_error() in CRADLE_ERROR with a detail attached. */
CRADLE_PUBLIC
void       cradle_explain_set_error      (GError           **error,
                                          CradleError        code,
                                          CradleExplainKind  kind,
                                          guint32            detail,
                                          const char        *format,
                                          ...) G_GNUC_PRINTF (5, 6);

G_END_DECLS
