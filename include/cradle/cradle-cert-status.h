/* cradle-cert-status.h: where each certificate on a device stands
 *
 * For each certificate in a device's MY store: the type or template it came
 * from, its expiry, its renewal window and its revocation status (OCSP at
 * the AIA address, else the CRL at the CDP over HTTP or the directory's
 * ldap:///), folded into one verdict.  The certificates of the CA and Root
 * stores get their expiry only (their revocation is the CA's business, and
 * a device does not renew them).  A check that cannot reach an answer is
 * UNKNOWN with its reason, never good.  Each check is a run of kind
 * "check" in the journal, one step per answer asked for.
 */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <gio/gio.h>
#include <cradle/cradle-macros.h>
#include <cradle/cradle-catalog.h>
#include <cradle/cradle-cert-type.h>
#include <cradle/cradle-directory.h>
#include <cradle/cradle-journal.h>
#include <cradle/cradle-pending-store.h>

G_BEGIN_DECLS

typedef enum {
  CRADLE_REVOCATION_NOT_CHECKED,  /* a CA or root certificate, or an expired one */
  CRADLE_REVOCATION_GOOD,
  CRADLE_REVOCATION_REVOKED,
  CRADLE_REVOCATION_UNKNOWN,      /* no answer that verifies: see the reason */
} CradleRevocationState;

typedef enum {
  CRADLE_CERT_VERDICT_VALID,
  CRADLE_CERT_VERDICT_RENEW_SOON,  /* inside its renewal window */
  CRADLE_CERT_VERDICT_EXPIRED,     /* or not valid yet */
  CRADLE_CERT_VERDICT_REVOKED,
  CRADLE_CERT_VERDICT_UNKNOWN,     /* otherwise valid, revocation unknown */
} CradleCertVerdict;

/* Where the type came from. */
typedef enum {
  CRADLE_CERT_ORIGIN_NONE,         /* not known */
  CRADLE_CERT_ORIGIN_INSTALLED,    /* recorded when Cradle installed it */
  CRADLE_CERT_ORIGIN_TEMPLATE,     /* the Microsoft template extensions */
} CradleCertOrigin;

/* "valid", "renew-soon", "expired", "revoked", "unknown" */
CRADLE_PUBLIC
const char *cradle_cert_verdict_to_string     (CradleCertVerdict     verdict);
/* "not-checked", "good", "revoked", "unknown" */
CRADLE_PUBLIC
const char *cradle_revocation_state_to_string (CradleRevocationState state);
/* RFC 5280 CRLReason as text ("keyCompromise", …); "unspecified" for -1. */
CRADLE_PUBLIC
const char *cradle_revocation_reason_to_string (int                  reason);

/* ---- one certificate's status (a snapshot) ----------------------------- */

#define CRADLE_TYPE_CERT_STATUS (cradle_cert_status_get_type ())
CRADLE_PUBLIC
G_DECLARE_FINAL_TYPE (CradleCertStatus, cradle_cert_status, CRADLE, CERT_STATUS, GObject)

/* "MY", "CA", "Root" and the scope, as the device lists them. */
CRADLE_PUBLIC
const char           *cradle_cert_status_get_store       (CradleCertStatus *self);
CRADLE_PUBLIC
const char           *cradle_cert_status_get_scope       (CradleCertStatus *self);
CRADLE_PUBLIC
GBytes               *cradle_cert_status_get_der         (CradleCertStatus *self);
CRADLE_PUBLIC
const char           *cradle_cert_status_get_subject     (CradleCertStatus *self);
CRADLE_PUBLIC
const char           *cradle_cert_status_get_issuer      (CradleCertStatus *self);
/* Hex, as cradle_certificate_get_serial() */
CRADLE_PUBLIC
const char           *cradle_cert_status_get_serial      (CradleCertStatus *self);
CRADLE_PUBLIC
const char           *cradle_cert_status_get_sha256      (CradleCertStatus *self);
/* (nullable): the type's name (a template's cn or a type file's Name),
 * or the template's OID when the catalog does not know it. */
CRADLE_PUBLIC
const char           *cradle_cert_status_get_type_name   (CradleCertStatus *self);
CRADLE_PUBLIC
CradleCertOrigin      cradle_cert_status_get_origin      (CradleCertStatus *self);
/* Seconds since 1970 UTC. */
CRADLE_PUBLIC
gint64                cradle_cert_status_get_not_before  (CradleCertStatus *self);
CRADLE_PUBLIC
gint64                cradle_cert_status_get_not_after   (CradleCertStatus *self);
/* When its renewal window opens (seconds since 1970 UTC); 0 for CA and
 * root certificates. */
CRADLE_PUBLIC
gint64                cradle_cert_status_get_renew_at    (CradleCertStatus *self);
/* (nullable): how the window was worked out ("the template's renewal
 * period of 6 weeks", "80% of its lifetime"). */
CRADLE_PUBLIC
const char           *cradle_cert_status_get_renewal_rule (CradleCertStatus *self);
CRADLE_PUBLIC
CradleRevocationState cradle_cert_status_get_revocation  (CradleCertStatus *self);
/* (nullable): "ocsp" or "crl": the answer the state came from. */
CRADLE_PUBLIC
const char           *cradle_cert_status_get_revocation_method (CradleCertStatus *self);
/* Whether that answer was read from the cache (it was verified again). */
CRADLE_PUBLIC
gboolean              cradle_cert_status_get_revocation_cached (CradleCertStatus *self);
/* For REVOKED: when (seconds since 1970 UTC) and the CRLReason (-1: none given). */
CRADLE_PUBLIC
gint64                cradle_cert_status_get_revoked_at  (CradleCertStatus *self);
CRADLE_PUBLIC
int                   cradle_cert_status_get_revocation_reason (CradleCertStatus *self);
/* (nullable): for UNKNOWN, why, in words ("the OCSP responder at
 * http://… could not be reached: …; the CRL at … is stale"). */
CRADLE_PUBLIC
const char           *cradle_cert_status_get_revocation_detail (CradleCertStatus *self);
/* Until when the revocation answer holds (its nextUpdate), 0 if none. */
CRADLE_PUBLIC
gint64                cradle_cert_status_get_revocation_next_update (CradleCertStatus *self);
CRADLE_PUBLIC
CradleCertVerdict     cradle_cert_status_get_verdict     (CradleCertStatus *self);
/* Whether the device holds the key of this certificate (MY). */
CRADLE_PUBLIC
gboolean              cradle_cert_status_get_has_key     (CradleCertStatus *self);

/* The first of @statuses (CradleCertStatus, as the checker returns them)
 * that shows the device already holds a certificate of @type it can use:
 * in MY with its key on the device; of @type, that is, recorded as @type
 * when Cradle installed it (origin INSTALLED: the type's name), or, for one
 * Cradle did not install (origin TEMPLATE), naming @type's template in its
 * template extension; and neither expired nor revoked (valid, renew soon,
 * or valid with its revocation unknown: a responder that cannot be reached
 * is no reason for a second certificate).  %NULL when there is none.
 * `cradlectl enroll --batch` and `--all-devices` skip such a device. */
CRADLE_PUBLIC
CradleCertStatus     *cradle_cert_status_find_held       (GPtrArray        *statuses,
                                                          CradleCertType   *type);

/* ---- the checker -------------------------------------------------------- */

#define CRADLE_TYPE_STATUS_CHECKER (cradle_status_checker_get_type ())
CRADLE_PUBLIC
G_DECLARE_FINAL_TYPE (CradleStatusChecker, cradle_status_checker, CRADLE, STATUS_CHECKER, GObject)

CRADLE_PUBLIC
CradleStatusChecker *cradle_status_checker_new             (void);
/* The session ldap:/// CDPs are read through (opened when first needed,
 * with its own credentials); %NULL: such CDPs give UNKNOWN. */
CRADLE_PUBLIC
void                 cradle_status_checker_set_directory   (CradleStatusChecker *self,
                                                            CradleDirectory     *directory);
/* Templates (renewal period, the name behind a template OID); nullable. */
CRADLE_PUBLIC
void                 cradle_status_checker_set_catalog     (CradleStatusChecker *self,
                                                            CradleCatalog       *catalog);
/* The certificate types (CradleCertType) whose RenewAt= applies; nullable. */
CRADLE_PUBLIC
void                 cradle_status_checker_set_types       (CradleStatusChecker *self,
                                                            GPtrArray           *types);
/* Where installs were recorded (the type each certificate came from); nullable. */
CRADLE_PUBLIC
void                 cradle_status_checker_set_pending_store (CradleStatusChecker *self,
                                                              CradlePendingStore  *store);
/* Each revocation check is recorded there (kind "check"); nullable. */
CRADLE_PUBLIC
void                 cradle_status_checker_set_journal     (CradleStatusChecker *self,
                                                            CradleJournal       *journal);
/* FALSE: only cached answers are used (no network); for a badge drawn
 * before the network is asked.  TRUE by default. */
CRADLE_PUBLIC
void                 cradle_status_checker_set_online      (CradleStatusChecker *self,
                                                            gboolean             online);
/* Ask the responders and CRL servers again even where a kept answer still
 * holds (after a revocation notice, say); the new answers are kept. */
CRADLE_PUBLIC
void                 cradle_status_checker_set_refresh     (CradleStatusChecker *self,
                                                            gboolean             refresh);
/* Seconds per exchange with a responder or CRL server (10 by default). */
CRADLE_PUBLIC
void                 cradle_status_checker_set_timeout     (CradleStatusChecker *self,
                                                            guint                seconds);

/* The status of each of @certs (CradleDeviceCert, as
 * cradle_device_list_certs() returns them) of the device @device_serial:
 * MY certificates first, in the device's order, then CA and Root.  Blocks
 * (network); fails only when cancelled.
 * Returns: (element-type CradleCertStatus) (transfer container) */
CRADLE_PUBLIC
GPtrArray           *cradle_status_checker_check           (CradleStatusChecker *self,
                                                            const char          *device_serial,
                                                            GPtrArray           *certs,
                                                            GCancellable        *cancellable,
                                                            GError             **error) G_GNUC_WARN_UNUSED_RESULT;
CRADLE_PUBLIC
void                 cradle_status_checker_check_async     (CradleStatusChecker *self,
                                                            const char          *device_serial,
                                                            GPtrArray           *certs,
                                                            GCancellable        *cancellable,
                                                            GAsyncReadyCallback  callback,
                                                            gpointer             user_data);
CRADLE_PUBLIC
GPtrArray           *cradle_status_checker_check_finish    (CradleStatusChecker *self,
                                                            GAsyncResult        *result,
                                                            GError             **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
