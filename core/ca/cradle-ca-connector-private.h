/* cradle-ca-connector-private.h: what the connector kinds share */
#pragma once

#include <cradle/cradle.h>
#include "ca/cradle-http-private.h"

G_BEGIN_DECLS

/* Subclasses call this from their constructor. */
void        cradle_ca_connector_init_kind     (CradleCaConnector *self,
                                               CradleCaProtocol   protocol,
                                               const char        *url);
/* The HTTP client, configured with every setting (auth included). */
CradleHttp *cradle_ca_connector_get_http      (CradleCaConnector *self);
/* The password credentials, for protocols that carry them in the message
 * (WSTEP UsernameToken); %NULL when none were set.  Borrowed. */
const char *cradle_ca_connector_get_user      (CradleCaConnector *self);
const char *cradle_ca_connector_get_password  (CradleCaConnector *self);

/* What a server said of itself (the Test of a certificate type); text
 * from the server as sent, not escaped yet. */
struct _CradleCaDescription
{
  GPtrArray              *certificates;    /* CradleCertificate: the CA's, as sent, even
                                            * when they do not verify; never %NULL */
  char                   *capabilities;    /* SCEP: GetCACaps's keywords, one line */
  char                   *ca_fingerprint;  /* SCEP: the SCEP CA's SHA-256, "AB:CD:…" */
  CradleEnrollmentPolicy *policy;          /* WSTEP with a policy server: GetPolicies */
  guint                   http_status;     /* the status of a page asked only to see that
                                            * the server answers (a CES); 0: none */
};

void     cradle_ca_connector_init_description  (CradleCaDescription  *description);
void     cradle_ca_connector_clear_description (CradleCaDescription  *description);
/* Asks the server what it is (describe), sending no request. */
gboolean cradle_ca_connector_describe          (CradleCaConnector    *self,
                                                CradleCaDescription  *description,
                                                GCancellable         *cancellable,
                                                GError              **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
