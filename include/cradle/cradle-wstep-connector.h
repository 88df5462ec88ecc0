/* cradle-wstep-connector.h: MS-WSTEP enrollment, with the service found through MS-XCEP or the directory */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <gio/gio.h>
#include <cradle/cradle-macros.h>
#include <cradle/cradle-ca-connector.h>
#include <cradle/cradle-enrollment-policy.h>
#include <cradle/cradle-enrollment-service.h>

G_BEGIN_DECLS

/* cradle_wstep_connector_new() (cradle-ca-connector.h) talks to one CES.
 * These find it instead.  Either way the connector signs in as its settings
 * say: Kerberos (cradle_ca_connector_set_kerberos) as HTTP Negotiate, a
 * password (cradle_ca_connector_set_password) as a WS-Security
 * UsernameToken inside the message, only ever over https://, or a TLS
 * client certificate.  Endpoints are chosen for that kind of sign-in, never
 * renewal-only ones, by ascending priority, the first one is used. */

/* The most preferred of the CA's enrollment web services (its
 * msPKI-Enrollment-Servers) that accepts @auth for new requests.
 * CRADLE_ERROR_NOT_CONFIGURED when it lists none; the error says which it
 * does list.  cradle_ca_connector_dup_ca_certificates() then gives the CA
 * certificate the directory holds. */
CRADLE_PUBLIC
CradleCaConnector      *cradle_wstep_connector_new_for_service       (CradleEnrollmentService *service,
                                                                      CradleEndpointAuth       auth,
                                                                      GError                 **error) G_GNUC_WARN_UNUSED_RESULT;
/* The service is found through the enrollment policy server (CEP) at
 * @cep_url on the first call: its GetPolicies answer names the CAs that
 * issue the request's template and their services.
 * cradle_ca_connector_dup_ca_certificates() gives those CAs' certificates
 * from the same answer. */
CRADLE_PUBLIC
CradleCaConnector      *cradle_wstep_connector_new_for_policy_server (const char              *cep_url);

/* The policy server's answer (asked once per connector, then kept).
 * CRADLE_ERROR_NOT_CONFIGURED when the connector has no policy server. */
CRADLE_PUBLIC
CradleEnrollmentPolicy *cradle_wstep_connector_dup_policy            (CradleCaConnector       *self,
                                                                      GCancellable            *cancellable,
                                                                      GError                 **error) G_GNUC_WARN_UNUSED_RESULT;
CRADLE_PUBLIC
void                    cradle_wstep_connector_dup_policy_async      (CradleCaConnector       *self,
                                                                      GCancellable            *cancellable,
                                                                      GAsyncReadyCallback      callback,
                                                                      gpointer                 user_data);
CRADLE_PUBLIC
CradleEnrollmentPolicy *cradle_wstep_connector_dup_policy_finish     (CradleCaConnector       *self,
                                                                      GAsyncResult            *result,
                                                                      GError                 **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
