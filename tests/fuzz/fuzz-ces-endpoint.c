/* fuzz-ces-endpoint.c: libFuzzer harness for msPKI-Enrollment-Servers values */
#include "config.h"

#include <cradle/cradle.h>

#include "catalog/cradle-ces-endpoint-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(CradleCesEndpoint) server = NULL;
  g_autofree char *auth = NULL;

  server = cradle_ces_endpoint_parse ((const char *) data, size, NULL);
  if (server == NULL)
    return 0;
  g_assert (server->uri != NULL && g_utf8_validate (server->uri, -1, NULL));
  auth = cradle_ces_endpoint_auth_to_string (server->auth_flags);
  return 0;
}
