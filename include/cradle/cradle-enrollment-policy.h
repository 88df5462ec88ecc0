/* cradle-enrollment-policy.h: what a certificate enrollment policy server (MS-XCEP) offers */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <glib-object.h>
#include <cradle/cradle-macros.h>
#include <cradle/cradle-enrollment-service.h>

G_BEGIN_DECLS

/* One GetPolicies answer: the templates the user may see, the CAs that
 * issue them and those CAs' enrollment web services.  Templates are named
 * by their common name (cn), compared without case.  For a name the policy
 * does not list, the getters return %NULL, 0 or %FALSE. */
#define CRADLE_TYPE_ENROLLMENT_POLICY (cradle_enrollment_policy_get_type ())
CRADLE_PUBLIC
G_DECLARE_FINAL_TYPE (CradleEnrollmentPolicy, cradle_enrollment_policy, CRADLE, ENROLLMENT_POLICY, GObject)

/* (nullable): the policy's id and friendly name */
CRADLE_PUBLIC
const char         *cradle_enrollment_policy_get_id                 (CradleEnrollmentPolicy *self);
CRADLE_PUBLIC
const char         *cradle_enrollment_policy_get_friendly_name      (CradleEnrollmentPolicy *self);
/* How long the answer may be kept; 0 when the server did not say. */
CRADLE_PUBLIC
guint               cradle_enrollment_policy_get_next_update_hours  (CradleEnrollmentPolicy *self);
/* %NULL-terminated, in the server's order. */
CRADLE_PUBLIC
const char * const *cradle_enrollment_policy_get_template_names     (CradleEnrollmentPolicy *self);
CRADLE_PUBLIC
gboolean            cradle_enrollment_policy_has_template           (CradleEnrollmentPolicy *self,
                                                                     const char             *template_name);
/* (nullable): msPKI-Cert-Template-OID */
CRADLE_PUBLIC
const char         *cradle_enrollment_policy_get_template_oid       (CradleEnrollmentPolicy *self,
                                                                     const char             *template_name);
CRADLE_PUBLIC
guint               cradle_enrollment_policy_get_minimal_key_length (CradleEnrollmentPolicy *self,
                                                                     const char             *template_name);
/* Whether the server says the user may enroll. */
CRADLE_PUBLIC
gboolean            cradle_enrollment_policy_get_may_enroll         (CradleEnrollmentPolicy *self,
                                                                     const char             *template_name);
/* The flag words, with the msPKI-* attributes' bit values (MS-CRTD). */
CRADLE_PUBLIC
guint32             cradle_enrollment_policy_get_enrollment_flags   (CradleEnrollmentPolicy *self,
                                                                     const char             *template_name);
CRADLE_PUBLIC
guint32             cradle_enrollment_policy_get_subject_name_flags (CradleEnrollmentPolicy *self,
                                                                     const char             *template_name);
CRADLE_PUBLIC
guint32             cradle_enrollment_policy_get_private_key_flags  (CradleEnrollmentPolicy *self,
                                                                     const char             *template_name);
CRADLE_PUBLIC
guint32             cradle_enrollment_policy_get_general_flags      (CradleEnrollmentPolicy *self,
                                                                     const char             *template_name);

/* The enrollment web services (CES) to try for @template_name (%NULL: for
 * any template), for a client signing in with @auth, most preferred first:
 * the CAs' cAURI entries whose authentication is @auth, renewal-only ones
 * left out unless @renewal, by ascending priority.
 * Returns: (transfer container) (element-type utf8): never %NULL */
CRADLE_PUBLIC
GPtrArray          *cradle_enrollment_policy_dup_endpoints          (CradleEnrollmentPolicy *self,
                                                                     const char             *template_name,
                                                                     CradleEndpointAuth      auth,
                                                                     gboolean                renewal);
/* The certificates of the CAs that issue @template_name (%NULL: of every
 * CA), as the policy carries them.
 * Returns: (transfer container) (element-type CradleCertificate): never %NULL */
CRADLE_PUBLIC
GPtrArray          *cradle_enrollment_policy_dup_ca_certificates    (CradleEnrollmentPolicy *self,
                                                                     const char             *template_name);

G_END_DECLS
