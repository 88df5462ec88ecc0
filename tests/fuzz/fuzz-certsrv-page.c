/* fuzz-certsrv-page.c: libFuzzer harness for the certsrv page reader */
#include "config.h"

#include <cradle/cradle.h>

#include "ca/certsrv/cradle-certsrv-page-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GBytes) html = g_bytes_new (data, size);
  g_autoptr(GError) error = NULL;
  CradleCertsrvPage page;
  guint renewals = 0;

  if (cradle_certsrv_page_parse (html, &page, &error))
    {
      g_autoptr(CradleCaAnswer) answer = NULL;

      if (page.kind == CRADLE_CERTSRV_PAGE_ISSUED)
        g_assert (page.request_id != NULL && g_ascii_isdigit (page.request_id[0]));
      answer = cradle_certsrv_page_to_answer (&page, "1", NULL);
      if (answer != NULL && cradle_ca_answer_get_message (answer) != NULL)
        g_assert (g_utf8_validate (cradle_ca_answer_get_message (answer), -1, NULL));
    }
  else
    g_assert (error != NULL);
  g_clear_error (&error);
  if (!cradle_certsrv_page_find_renewals (html, &renewals, &error))
    g_assert (error != NULL);
  return 0;
}
