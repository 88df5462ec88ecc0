/* cradle-ca-connector.h: one way of talking to a certification authority */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <gio/gio.h>
#include <cradle/cradle-macros.h>
#include <cradle/cradle-ca.h>

G_BEGIN_DECLS

/* A connector submits a signed request and retrieves it later.  Every call
 * blocks (run it in a thread; the _async variants do) and honours
 * @cancellable.  A CA's decision is an answer, never an error: issued,
 * pending or denied with the CA's code.  Errors say why no decision came:
 * CRADLE_ERROR_UNREACHABLE, _TIMED_OUT, _AUTH_FAILED, _NOT_CONFIGURED (TLS
 * trust, plain HTTP refused, missing settings), _INVALID_DATA (an answer that
 * does not follow the protocol), G_IO_ERROR_CANCELLED. */
#define CRADLE_TYPE_CA_CONNECTOR (cradle_ca_connector_get_type ())
CRADLE_PUBLIC
G_DECLARE_DERIVABLE_TYPE (CradleCaConnector, cradle_ca_connector, CRADLE, CA_CONNECTOR, GObject)

/* What a server says of itself (core/ca/cradle-ca-connector-private.h). */
typedef struct _CradleCaDescription CradleCaDescription;

struct _CradleCaConnectorClass
{
  GObjectClass parent_class;

  CradleCaAnswer *(*submit)              (CradleCaConnector *self,
                                          CradleCaRequest   *request,
                                          GCancellable      *cancellable,
                                          GError           **error) G_GNUC_WARN_UNUSED_RESULT;
  /* @request_id and @retrieve_uri come from the pending answer. */
  CradleCaAnswer *(*retrieve)            (CradleCaConnector *self,
                                          CradleCaRequest   *request,
                                          const char        *request_id,
                                          const char        *retrieve_uri,
                                          GCancellable      *cancellable,
                                          GError           **error) G_GNUC_WARN_UNUSED_RESULT;
  GPtrArray      *(*dup_ca_certificates) (CradleCaConnector *self,
                                          GCancellable      *cancellable,
                                          GError           **error) G_GNUC_WARN_UNUSED_RESULT;
  /* Optional; the default reads the TLS trust store. */
  void            (*prepare)             (CradleCaConnector *self);
  /* Optional: asks the server what it is, sending no request, and fills
   * @description as far as it got, also on error; the default reads the
   * CA certificates. */
  gboolean        (*describe)            (CradleCaConnector   *self,
                                          CradleCaDescription *description,
                                          GCancellable        *cancellable,
                                          GError             **error) G_GNUC_WARN_UNUSED_RESULT;

  gpointer padding[6];
};

CRADLE_PUBLIC
CradleCaProtocol cradle_ca_connector_get_protocol (CradleCaConnector *self);
/* The URL requests go to. */
CRADLE_PUBLIC
const char      *cradle_ca_connector_get_url      (CradleCaConnector *self);
/* Starts, on a thread of its own, what the next submission needs that does
 * not depend on the request: the TLS trust store, and for SCEP the CA's
 * capabilities and certificates.  An engine calls it before the device
 * makes the key, so the two overlap.  Nothing is lost without it: a
 * submission does what was not prepared, and reports its errors itself. */
CRADLE_PUBLIC
void             cradle_ca_connector_prepare      (CradleCaConnector *self);

/* ---- settings (before the first call) ----------------------------------- */

/* Kerberos (HTTP Negotiate) with the tickets in @ccache_name, or the
 * desktop's default cache when %NULL. */
CRADLE_PUBLIC
void      cradle_ca_connector_set_kerberos           (CradleCaConnector *self,
                                                      const char        *ccache_name);
/* A user name and password: HTTP Basic (certsrv, EST) or a WS-Security
 * UsernameToken (WSTEP), only ever over TLS.  The password is copied into
 * memory that is wiped when replaced or freed. */
CRADLE_PUBLIC
void      cradle_ca_connector_set_password           (CradleCaConnector *self,
                                                      const char        *user,
                                                      const char        *password);
/* TLS client authentication with a certificate and key in PEM files. */
CRADLE_PUBLIC
void      cradle_ca_connector_set_client_certificate (CradleCaConnector *self,
                                                      const char        *certificate_file,
                                                      const char        *key_file);
/* Certificates in @pem_file are trusted as TLS anchors beside the system's. */
CRADLE_PUBLIC
void      cradle_ca_connector_add_trust_anchors      (CradleCaConnector *self,
                                                      const char        *pem_file);
/* Plain http:// URLs are refused unless an administrator allowed them. */
CRADLE_PUBLIC
void      cradle_ca_connector_set_allow_plain_http   (CradleCaConnector *self,
                                                      gboolean           allow);
/* Whole-exchange limit per HTTP request; 30 s by default. */
CRADLE_PUBLIC
void      cradle_ca_connector_set_timeout            (CradleCaConnector *self,
                                                      guint              seconds);
/* Answers larger than this are refused; 4 MiB by default. */
CRADLE_PUBLIC
void      cradle_ca_connector_set_max_response_size  (CradleCaConnector *self,
                                                      gsize              bytes);

/* ---- operations ----------------------------------------------------------- */

CRADLE_PUBLIC
CradleCaAnswer *cradle_ca_connector_submit              (CradleCaConnector   *self,
                                                         CradleCaRequest     *request,
                                                         GCancellable        *cancellable,
                                                         GError             **error) G_GNUC_WARN_UNUSED_RESULT;
CRADLE_PUBLIC
CradleCaAnswer *cradle_ca_connector_retrieve            (CradleCaConnector   *self,
                                                         CradleCaRequest     *request,
                                                         const char          *request_id,
                                                         const char          *retrieve_uri,
                                                         GCancellable        *cancellable,
                                                         GError             **error) G_GNUC_WARN_UNUSED_RESULT;
/* Returns: (element-type CradleCertificate): the CA's own certificates. */
CRADLE_PUBLIC
GPtrArray      *cradle_ca_connector_dup_ca_certificates (CradleCaConnector   *self,
                                                         GCancellable        *cancellable,
                                                         GError             **error) G_GNUC_WARN_UNUSED_RESULT;

CRADLE_PUBLIC
void            cradle_ca_connector_submit_async        (CradleCaConnector   *self,
                                                         CradleCaRequest     *request,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
CRADLE_PUBLIC
CradleCaAnswer *cradle_ca_connector_submit_finish       (CradleCaConnector   *self,
                                                         GAsyncResult        *result,
                                                         GError             **error) G_GNUC_WARN_UNUSED_RESULT;
CRADLE_PUBLIC
void            cradle_ca_connector_retrieve_async      (CradleCaConnector   *self,
                                                         CradleCaRequest     *request,
                                                         const char          *request_id,
                                                         const char          *retrieve_uri,
                                                         GCancellable        *cancellable,
                                                         GAsyncReadyCallback  callback,
                                                         gpointer             user_data);
CRADLE_PUBLIC
CradleCaAnswer *cradle_ca_connector_retrieve_finish     (CradleCaConnector   *self,
                                                         GAsyncResult        *result,
                                                         GError             **error) G_GNUC_WARN_UNUSED_RESULT;

/* ---- the four kinds ------------------------------------------------------- */

/* AD CS Web Enrollment; @base_url as "https://ca1.corp.example.test/certsrv". */
CRADLE_PUBLIC
CradleCaConnector *cradle_certsrv_connector_new (const char *base_url);
/* MS-WSTEP to the CES at @ces_url. */
CRADLE_PUBLIC
CradleCaConnector *cradle_wstep_connector_new   (const char *ces_url);
/* SCEP (RFC 8894) at @url, as "http://127.0.0.1:8088/scep".  SCEP messages
 * are signed and encrypted, so plain HTTP is its norm and allowed. */
CRADLE_PUBLIC
CradleCaConnector *cradle_scep_connector_new    (const char *url);
/* Pins the SCEP CA: the SHA-256 of its certificate's DER (32 bytes), as
 * sscep's and Apple's SCEP clients take it; %NULL removes the pin.  A CA
 * certificate GetCACert answers with that is not this one is refused
 * (CRADLE_ERROR_NOT_CONFIGURED) before any PKIOperation.  The trust anchors
 * are still needed and checked. */
CRADLE_PUBLIC
void               cradle_scep_connector_set_ca_fingerprint (CradleCaConnector *scep,
                                                             GBytes            *sha256);
/* EST (RFC 7030) below @base_url ("https://host/.well-known/est"); @label is
 * the optional CA label path segment. */
CRADLE_PUBLIC
CradleCaConnector *cradle_est_connector_new     (const char *base_url,
                                                 const char *label);
/* Renewal: /simplereenroll instead of /simpleenroll. */
CRADLE_PUBLIC
void               cradle_est_connector_set_reenroll (CradleCaConnector *est,
                                                      gboolean           reenroll);

G_END_DECLS
