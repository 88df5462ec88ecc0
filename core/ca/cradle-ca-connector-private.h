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

G_END_DECLS
