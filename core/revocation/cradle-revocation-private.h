/* cradle-revocation-private.h: is a certificate revoked? OCSP, else the CRL
 *
 * cradle-ocsp.c and cradle-crl.c read and verify one answer against the
 * certificate's issuer, from bytes, with no network: the unit tests and the
 * cache use them as they are.  cradle-revocation-fetch.c asks the network
 * (HTTP through core/ca's client, ldap:/// through the directory session),
 * cradle-revocation-cache.c keeps verified answers until their nextUpdate,
 * and cradle-revocation.c tries them in order: OCSP, then each CRL.
 */
#pragma once

#include <openssl/err.h>
#include <cradle/cradle.h>

#include "base/cradle-openssl-private.h"
#include "ca/cradle-http-private.h"

G_BEGIN_DECLS

/* Bounds on what is read from outside. */
#define CRADLE_OCSP_MAX_RESPONSE (64 * 1024)
#define CRADLE_CRL_MAX_SIZE      (16 * 1024 * 1024)
/* Clock skew allowed on thisUpdate (and nextUpdate), as OpenSSL's example. */
#define CRADLE_REVOCATION_SKEW_SECONDS 300
/* An OCSP answer without nextUpdate is used only this long after its thisUpdate, and never cached. */
#define CRADLE_OCSP_MAX_AGE_WITHOUT_NEXT_UPDATE 3600

/* One answer, read and verified. */
typedef struct {
  CradleRevocationState state;
  const char *method;        /* "ocsp", "crl" (static) */
  gboolean    cached;
  gint64      this_update;   /* seconds since 1970 UTC */
  gint64      next_update;   /* 0 when the answer has none */
  gint64      revoked_at;    /* REVOKED */
  int         reason;        /* REVOKED: CRLReason, -1 none */
  char       *url;           /* where it came from */
  char       *detail;        /* UNKNOWN: why, in words */
} CradleRevocationResult;

CradleRevocationResult *cradle_revocation_result_new  (void);
void                    cradle_revocation_result_free (CradleRevocationResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleRevocationResult, cradle_revocation_result_free)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_CRL, X509_CRL_free)

/* ---- cradle-leaf.c ------------------------------------------------------ */

/* The certificate being checked, read without decoding its own key. */
typedef struct _CradleLeaf CradleLeaf;

CradleLeaf *cradle_leaf_new_from_der    (GBytes            *der,
                                         GError           **error) G_GNUC_WARN_UNUSED_RESULT;
void        cradle_leaf_free            (CradleLeaf        *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleLeaf, cradle_leaf_free)
const ASN1_INTEGER *cradle_leaf_get_serial (const CradleLeaf *self);
const X509_NAME *cradle_leaf_get_issuer_name (const CradleLeaf *self);
/* (nullable) */
const STACK_OF (X509_EXTENSION) *cradle_leaf_get_extensions (const CradleLeaf *self);
/* Seconds since 1970 UTC. */
gint64      cradle_leaf_get_not_before  (const CradleLeaf  *self);
gint64      cradle_leaf_get_not_after   (const CradleLeaf  *self);
/* @issuer's subject is the leaf's issuer, and its key verifies the leaf's
 * signature over the TBSCertificate as it came. */
gboolean    cradle_leaf_is_issued_by    (const CradleLeaf  *self,
                                         X509              *issuer);

/* ---- cradle-ocsp.c ------------------------------------------------------ */

/* The DER OCSPRequest for @cert issued by @issuer (SHA-1 CertID, as RFC
 * 5019 clients send), with a fresh 32-byte nonce in @nonce. */
GBytes  *cradle_ocsp_request_new   (const CradleLeaf *cert,
                                    X509        *issuer,
                                    GBytes     **nonce,
                                    GError     **error) G_GNUC_WARN_UNUSED_RESULT;
/* Reads @response (DER OCSPResponse) for @cert: successful, a basic
 * response signed by @issuer or by a responder @issuer issued with the
 * OCSPSigning EKU, a SingleResponse for this very certificate, current at
 * @now (thisUpdate at most CRADLE_REVOCATION_SKEW_SECONDS ahead, nextUpdate
 * not passed), and with @nonce (nullable: an answer read from the cache)
 * echoed or absent (docs/security.md says why absent is accepted).
 * @responder (nullable): a certificate that may have signed it besides
 * those it carries (a kept answer's, kept apart); it is trusted no more
 * than those, only found.  Sets
 * @result's state GOOD, REVOKED or (the responder says so) UNKNOWN; an
 * answer that fails any of these is an error (INVALID_DATA), never a state. */
gboolean cradle_ocsp_check_response (GBytes                 *response,
                                     const CradleLeaf       *cert,
                                     X509                   *issuer,
                                     X509                   *responder,
                                     GBytes                 *nonce,
                                     gint64                  now,
                                     CradleRevocationResult *result,
                                     GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* @response without the certificates it carries (outside what the
 * responder signed, so its signature still holds), and in @signer the DER
 * of the one that signed it (%NULL when it carries none): kept answers are
 * read without decoding the responder's certificate each time. */
GBytes  *cradle_ocsp_strip_certs    (GBytes                 *response,
                                     GBytes                **signer,
                                     GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* The first http:// id-ad-ocsp address of @cert's AIA, or %NULL. */
char    *cradle_ocsp_dup_url        (const CradleLeaf       *cert);

/* ---- cradle-crl.c ------------------------------------------------------- */

/* Reads @crl (DER CertificateList, at most CRADLE_CRL_MAX_SIZE): issued and
 * signed by @issuer (its name, its key, cRLSign when it has a key usage),
 * a complete CRL (not a delta) current at @now (thisUpdate at most the skew
 * ahead, nextUpdate present and not passed); sets @result GOOD or REVOKED
 * (with date and reason) for @cert.  Anything else is an error. */
gboolean cradle_crl_check           (GBytes                 *crl,
                                     const CradleLeaf       *cert,
                                     X509                   *issuer,
                                     gint64                  now,
                                     CradleRevocationResult *result,
                                     GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* The full-name URIs of @cert's CRL distribution points Cradle can read:
 * http:// and ldap:/// (an empty host: the directory's own), in order. */
char   **cradle_crl_dup_urls        (const CradleLeaf       *cert);

/* ---- cradle-revocation-fetch.c ------------------------------------------ */

/* An ldap:/// URL taken apart: the DN, the attribute (certificateRevocationList
 * when absent), the filter (objectClass=* when absent); only base scope. */
gboolean cradle_revocation_parse_ldap_url (const char  *url,
                                           char       **dn,
                                           char       **attribute,
                                           char       **filter,
                                           GError     **error) G_GNUC_WARN_UNUSED_RESULT;
/* POSTs @request to the responder at @url; the answer's body, at most
 * CRADLE_OCSP_MAX_RESPONSE.  Errors say what came back. */
GBytes  *cradle_revocation_fetch_ocsp     (CradleHttp       *http,
                                           const char       *url,
                                           GBytes           *request,
                                           GCancellable     *cancellable,
                                           GError          **error) G_GNUC_WARN_UNUSED_RESULT;
/* The CRL at @url: http:// through @http, ldap:/// through @directory
 * (open; %NULL: an error saying there is none). */
GBytes  *cradle_revocation_fetch_crl      (CradleHttp       *http,
                                           CradleDirectory  *directory,
                                           const char       *url,
                                           GCancellable     *cancellable,
                                           GError          **error) G_GNUC_WARN_UNUSED_RESULT;

/* ---- cradle-revocation-cache.c ------------------------------------------ */

/* The cache folder (cradle_paths_dup_cache_dir()/revocation), or @folder. */
typedef struct _CradleRevocationCache CradleRevocationCache;

CradleRevocationCache *cradle_revocation_cache_new    (const char *folder);
void                   cradle_revocation_cache_free   (CradleRevocationCache *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleRevocationCache, cradle_revocation_cache_free)
/* The bytes kept under @key, at most @max_size, or %NULL (none, too large,
 * unreadable).  The caller verifies them again: the file is outside input. */
GBytes  *cradle_revocation_cache_load  (CradleRevocationCache *self,
                                        const char            *key,
                                        gsize                  max_size);
/* Kept under @key, replacing the old whole (write, fsync, rename), 0600. */
gboolean cradle_revocation_cache_store (CradleRevocationCache *self,
                                        const char            *key,
                                        GBytes                *bytes,
                                        GError               **error) G_GNUC_WARN_UNUSED_RESULT;
void     cradle_revocation_cache_forget (CradleRevocationCache *self,
                                         const char            *key);
/* "ocsp-<SHA-256 of the issuer's key and the serial>", "crl-<SHA-256 of
 * the URL>", and "responder-<SHA-256 of the issuer's key>" for the
 * certificate that signs the issuer's OCSP answers. */
char    *cradle_revocation_cache_ocsp_key (const CradleLeaf *cert,
                                           X509             *issuer);
char    *cradle_revocation_cache_crl_key  (const char *url);
char    *cradle_revocation_cache_responder_key (X509   *issuer);

/* ---- cradle-revocation.c: the checker ----------------------------------- */

typedef struct _CradleRevocationChecker CradleRevocationChecker;

/* Lower code reports each answer it asks for up through these: a journal
 * step begins (its id returned) and ends. */
typedef gint64 (*CradleRevocationStepBegin) (const char   *step,
                                             const char   *text,
                                             gpointer      user_data);
typedef void   (*CradleRevocationStepEnd)   (gint64        step_id,
                                             const char   *outcome,
                                             const GError *failure,
                                             gpointer      user_data);

CradleRevocationChecker *cradle_revocation_checker_new  (void);
void     cradle_revocation_checker_free                 (CradleRevocationChecker *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleRevocationChecker, cradle_revocation_checker_free)
/* %NULL folder: the user's cache folder. */
void     cradle_revocation_checker_set_cache_folder     (CradleRevocationChecker *self,
                                                         const char              *folder);
void     cradle_revocation_checker_set_directory        (CradleRevocationChecker *self,
                                                         CradleDirectory         *directory);
void     cradle_revocation_checker_set_online           (CradleRevocationChecker *self,
                                                         gboolean                 online);
/* Asks the network even when a kept answer still holds (and keeps the new one). */
void     cradle_revocation_checker_set_refresh          (CradleRevocationChecker *self,
                                                         gboolean                 refresh);
void     cradle_revocation_checker_set_timeout          (CradleRevocationChecker *self,
                                                         guint                    seconds);
void     cradle_revocation_checker_set_observer         (CradleRevocationChecker *self,
                                                         CradleRevocationStepBegin begin,
                                                         CradleRevocationStepEnd   end,
                                                         gpointer                  user_data);
/* @now: seconds since 1970 UTC (0: the clock).  Always a result: GOOD or
 * REVOKED from the first answer that verifies (the cache's first), else
 * UNKNOWN with every reason; %NULL only when @cancellable was cancelled. */
CradleRevocationResult *cradle_revocation_checker_check (CradleRevocationChecker *self,
                                                         const CradleLeaf        *cert,
                                                         X509                    *issuer,
                                                         gint64                   now,
                                                         GCancellable            *cancellable,
                                                         GError                 **error) G_GNUC_WARN_UNUSED_RESULT;

/* Seconds since 1970 UTC of an ASN1_TIME; FALSE when it cannot be read. */
gboolean cradle_revocation_time_to_unix (const ASN1_TIME *time,
                                         gint64          *seconds);

G_END_DECLS
