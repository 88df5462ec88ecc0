/* cradle-request-policy-private.h: the request policy for the engine */
#pragma once

#include <cradle/cradle.h>

G_BEGIN_DECLS

/* As cradle_request_policy_new(), and when the template lets the enrollee
 * supply the subject and no @subject is given, a subject of one commonName
 * holding @common_name exactly (a device's serial): added as an X509_NAME
 * entry, never parsed as a distinguished name. Without either, the
 * directory's cn of the user, the same way. */
CradleRequestPolicy *cradle_request_policy_new_full (CradleTemplate       *template,
                                                     CradleDirectoryUser  *user,
                                                     const char           *subject,
                                                     const char           *common_name,
                                                     GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* cradle_request_policy_build_request_info() for a renewal of @renewed
 * (DER; %NULL: none): the request carries the renewal attribute. */
GBytes              *cradle_request_policy_build_renewal_info (CradleRequestPolicy  *self,
                                                               GBytes               *public_key_info,
                                                               GBytes               *renewed,
                                                               GError              **error) G_GNUC_WARN_UNUSED_RESULT;
/* The same, carrying a token's @attestation of the key and the
 * certificate that signed it (DER, nullable) in its extensions, as
 * yubico-piv-tool does (cradle_csr_builder_set_attestation()). */
GBytes              *cradle_request_policy_build_attested_info (CradleRequestPolicy  *self,
                                                                GBytes               *public_key_info,
                                                                GBytes               *renewed,
                                                                GBytes               *attestation,
                                                                GBytes               *intermediate,
                                                                GError              **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
