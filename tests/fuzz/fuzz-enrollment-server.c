/* fuzz-enrollment-server.c: libFuzzer harness for msPKI-Enrollment-Servers values */
#include "config.h"

#include <cradle/cradle.h>

#include "cradle-enrollment-server-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(CradleEnrollmentServer) server = NULL;
  g_autofree char *auth = NULL;

  server = cradle_enrollment_server_parse ((const char *) data, size, NULL);
  if (server == NULL)
    return 0;
  g_assert (server->uri != NULL && g_utf8_validate (server->uri, -1, NULL));
  auth = cradle_enrollment_server_auth_to_string (server->auth_flags);
  return 0;
}
