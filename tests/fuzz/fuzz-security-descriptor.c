/* fuzz-security-descriptor.c: libFuzzer harness for nTSecurityDescriptor values */
#include "config.h"

#include <cradle/cradle.h>

#include "directory/cradle-security-descriptor-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  static const char * const user_sids[] = {
    "S-1-5-21-1-2-3-1104", "S-1-5-21-1-2-3-513", "S-1-1-0", "S-1-5-11", NULL
  };
  g_autoptr(CradleSecurityDescriptor) descriptor = NULL;
  g_autofree char *deciding_sid = NULL;
  g_auto(GStrv) enroll_sids = NULL;

  descriptor = cradle_security_descriptor_parse (data, size, NULL);
  if (descriptor == NULL)
    return 0;
  for (guint i = 0; i < cradle_security_descriptor_get_n_aces (descriptor); i++)
    g_assert (cradle_security_descriptor_get_ace (descriptor, i)->sid != NULL);
  cradle_security_descriptor_check_enroll (descriptor, user_sids, &deciding_sid);
  enroll_sids = cradle_security_descriptor_dup_enroll_sids (descriptor);
  return 0;
}
