/* fuzz-wstep-result.c: libFuzzer harness for MS-WSTEP answers (RSTRC and SOAP faults) */
#include "config.h"

#include <cradle/cradle.h>

#include "ca/wstep/cradle-wstep-message-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GBytes) body = g_bytes_new (data, size);
  g_autoptr(CradleWstepResult) result = cradle_wstep_result_parse (body, CRADLE_XML_MAX_SIZE, NULL);

  if (result == NULL)
    return 0;
  switch (result->kind)
    {
    case CRADLE_WSTEP_RESULT_ISSUED:
      g_assert (result->leaf != NULL && g_bytes_get_size (result->leaf) > 0);
      break;
    case CRADLE_WSTEP_RESULT_PENDING:
      g_assert (result->request_id != NULL);
      break;
    case CRADLE_WSTEP_RESULT_FAULT:
    default:
      g_assert (result->leaf == NULL && result->pkcs7 == NULL);
      break;
    }
  g_assert (result->message == NULL || g_utf8_validate (result->message, -1, NULL));
  return 0;
}
