/* cradle-ca.h: what a CA connector takes (a request) and gives (an answer) */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <gio/gio.h>
#include <cradle/cradle-macros.h>
#include <cradle/cradle-certificate.h>
#include <cradle/cradle-device.h>

G_BEGIN_DECLS

/* The protocol a connector speaks; it also says what an answer's code means. */
typedef enum {
  CRADLE_CA_PROTOCOL_CERTSRV,  /* code: HRESULT (CERTSRV_E_*) */
  CRADLE_CA_PROTOCOL_WSTEP,    /* code: HRESULT */
  CRADLE_CA_PROTOCOL_SCEP,     /* code: failInfo 0-4 */
  CRADLE_CA_PROTOCOL_EST,      /* code: HTTP status */
} CradleCaProtocol;

CRADLE_PUBLIC
const char       *cradle_ca_protocol_to_string   (CradleCaProtocol protocol);
/* "certsrv", "wstep", "scep" or "est"; FALSE for anything else. */
CRADLE_PUBLIC
gboolean          cradle_ca_protocol_from_string (const char       *name,
                                                  CradleCaProtocol *protocol);

typedef enum {
  CRADLE_CA_STATUS_ISSUED,
  CRADLE_CA_STATUS_PENDING,
  CRADLE_CA_STATUS_DENIED,
} CradleCaStatus;

/* ---- the request ------------------------------------------------------- */

/* One signed request and the key behind it.  The device and key id are
 * needed by protocols that use the key again (SCEP signs its messages and
 * decrypts the answer with it, on the device). */
#define CRADLE_TYPE_CA_REQUEST (cradle_ca_request_get_type ())
CRADLE_PUBLIC
G_DECLARE_FINAL_TYPE (CradleCaRequest, cradle_ca_request, CRADLE, CA_REQUEST, GObject)

/* @csr: the DER PKCS#10. @template_name: the template's cn, sent to CAs
 * that take it beside the request (certsrv, WSTEP, EST label); may be %NULL. */
CRADLE_PUBLIC
CradleCaRequest  *cradle_ca_request_new              (GBytes          *csr,
                                                      const char      *template_name);
CRADLE_PUBLIC
GBytes           *cradle_ca_request_get_csr          (CradleCaRequest *self);
CRADLE_PUBLIC
const char       *cradle_ca_request_get_template_name (CradleCaRequest *self);
CRADLE_PUBLIC
void              cradle_ca_request_set_device_key   (CradleCaRequest *self,
                                                      CradleDevice    *device,
                                                      GBytes          *key_id);
/* (nullable) */
CRADLE_PUBLIC
CradleDevice     *cradle_ca_request_get_device       (CradleCaRequest *self);
/* (nullable) */
CRADLE_PUBLIC
GBytes           *cradle_ca_request_get_key_id       (CradleCaRequest *self);
/* A renewal of @old_certificate, whose key @old_key_id on the request's
 * device signs for it.  @signed_data: (nullable): the MS-WCCE renewal, a
 * DER CMS SignedData around the request's PKCS#10 signed by the old key,
 * which certsrv and WSTEP send instead of the bare PKCS#10.  SCEP sends a
 * RenewalReq signed by the old key when the CA offers "Renewal", and a
 * PKCSReq otherwise; EST enrolls again. */
CRADLE_PUBLIC
void               cradle_ca_request_set_renewal     (CradleCaRequest   *self,
                                                      CradleCertificate *old_certificate,
                                                      GBytes            *old_key_id,
                                                      GBytes            *signed_data);
/* (nullable): the certificate a renewal renews */
CRADLE_PUBLIC
CradleCertificate *cradle_ca_request_get_renewal_certificate (CradleCaRequest *self);
/* (nullable): its key on the device */
CRADLE_PUBLIC
GBytes            *cradle_ca_request_get_renewal_key_id      (CradleCaRequest *self);
/* (nullable): the SignedData certsrv and WSTEP send */
CRADLE_PUBLIC
GBytes            *cradle_ca_request_get_renewal_signed_data (CradleCaRequest *self);
/* What goes to an AD CS CA: the renewal's SignedData, else the PKCS#10. */
CRADLE_PUBLIC
GBytes            *cradle_ca_request_get_body                (CradleCaRequest *self);
/* Extra "name:value" request attributes (certsrv CertAttrib lines), e.g.
 * "SAN:upn=alice@corp.example.test".  The template is added on its own. */
CRADLE_PUBLIC
void              cradle_ca_request_add_attribute    (CradleCaRequest *self,
                                                      const char      *name,
                                                      const char      *value);
/* NULL-terminated "name:value" strings, never %NULL. */
CRADLE_PUBLIC
const char * const *cradle_ca_request_get_attributes (CradleCaRequest *self);

/* ---- the answer -------------------------------------------------------- */

#define CRADLE_TYPE_CA_ANSWER (cradle_ca_answer_get_type ())
CRADLE_PUBLIC
G_DECLARE_FINAL_TYPE (CradleCaAnswer, cradle_ca_answer, CRADLE, CA_ANSWER, GObject)

/* @chain: (element-type CradleCertificate) (nullable): the CA certificates
 * that came with the answer, in any order; the leaf is not among them. */
CRADLE_PUBLIC
CradleCaAnswer   *cradle_ca_answer_new_issued       (CradleCaProtocol   protocol,
                                                     const char        *request_id,
                                                     CradleCertificate *leaf,
                                                     GPtrArray         *chain);
/* @retrieve_uri: where to ask again (%NULL: the same endpoint);
 * @retry_after: seconds the CA asked to wait, 0 when it did not say. */
CRADLE_PUBLIC
CradleCaAnswer   *cradle_ca_answer_new_pending      (CradleCaProtocol   protocol,
                                                     const char        *request_id,
                                                     const char        *retrieve_uri,
                                                     guint              retry_after,
                                                     const char        *message);
/* @code: what the protocol calls it (see CradleCaProtocol);
 * @message: the CA's own words, as untrusted text (may be %NULL). */
CRADLE_PUBLIC
CradleCaAnswer   *cradle_ca_answer_new_denied       (CradleCaProtocol   protocol,
                                                     const char        *request_id,
                                                     guint32            code,
                                                     const char        *message);

CRADLE_PUBLIC
CradleCaStatus     cradle_ca_answer_get_status       (CradleCaAnswer *self);
CRADLE_PUBLIC
CradleCaProtocol   cradle_ca_answer_get_protocol     (CradleCaAnswer *self);
/* (nullable): SCEP's transaction id, the CA's request number, … */
CRADLE_PUBLIC
const char        *cradle_ca_answer_get_request_id   (CradleCaAnswer *self);
/* (nullable): only when issued */
CRADLE_PUBLIC
CradleCertificate *cradle_ca_answer_get_leaf         (CradleCaAnswer *self);
/* (element-type CradleCertificate): empty unless issued */
CRADLE_PUBLIC
GPtrArray         *cradle_ca_answer_get_chain        (CradleCaAnswer *self);
CRADLE_PUBLIC
const char        *cradle_ca_answer_get_retrieve_uri (CradleCaAnswer *self);
CRADLE_PUBLIC
guint              cradle_ca_answer_get_retry_after  (CradleCaAnswer *self);
CRADLE_PUBLIC
guint32            cradle_ca_answer_get_code         (CradleCaAnswer *self);
CRADLE_PUBLIC
const char        *cradle_ca_answer_get_message      (CradleCaAnswer *self);

G_END_DECLS
