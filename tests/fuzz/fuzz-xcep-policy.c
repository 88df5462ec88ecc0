/* fuzz-xcep-policy.c: libFuzzer harness for MS-XCEP GetPolicies answers */
#include "config.h"

#include <cradle/cradle.h>

#include "ca/wstep/cradle-enrollment-policy-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GBytes) body = g_bytes_new (data, size);
  g_autoptr(CradleEnrollmentPolicy) policy = NULL;
  g_autoptr(GPtrArray) certificates = NULL;
  const char * const *names;

  policy = cradle_enrollment_policy_new_from_xml (body, CRADLE_XML_MAX_SIZE, NULL);
  if (policy == NULL)
    return 0;
  names = cradle_enrollment_policy_get_template_names (policy);
  for (guint i = 0; names[i] != NULL; i++)
    {
      for (guint auth = CRADLE_ENDPOINT_AUTH_ANONYMOUS; auth <= CRADLE_ENDPOINT_AUTH_CERTIFICATE;
           auth <<= 1)
        {
          g_autoptr(GPtrArray) endpoints =
            cradle_enrollment_policy_dup_endpoints (policy, names[i], auth, auth == 1);

          /* Schemes are case-insensitive (RFC 3986 3.1): "HTTPS://" is valid. */
          for (guint j = 0; j < endpoints->len; j++)
            g_assert (g_ascii_strncasecmp (g_ptr_array_index (endpoints, j), "http", 4) == 0);
        }
      g_assert (cradle_enrollment_policy_has_template (policy, names[i]));
    }
  certificates = cradle_enrollment_policy_dup_ca_certificates (policy, NULL);
  return 0;
}
