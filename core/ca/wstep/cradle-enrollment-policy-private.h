/* cradle-enrollment-policy-private.h: a policy made from a GetPolicies answer */
#pragma once

#include <cradle/cradle.h>

#include "ca/wstep/cradle-xcep-private.h"

G_BEGIN_DECLS

/* Takes @response. */
CradleEnrollmentPolicy   *cradle_enrollment_policy_new          (CradleXcepResponse     *response);
/* From a whole SOAP answer: CRADLE_ERROR_INVALID_DATA when it is not a
 * GetPoliciesResponse (a fault included). */
CradleEnrollmentPolicy   *cradle_enrollment_policy_new_from_xml (GBytes                 *body,
                                                                 gsize                   max_size,
                                                                 GError                **error) G_GNUC_WARN_UNUSED_RESULT;
const CradleXcepResponse *cradle_enrollment_policy_get_response (CradleEnrollmentPolicy *self);

G_END_DECLS
