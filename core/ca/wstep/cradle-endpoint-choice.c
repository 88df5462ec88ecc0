/* cradle-endpoint-choice.c: which enrollment web service to use */
#include "config.h"

#include <cradle/cradle.h>

#include "ca/wstep/cradle-endpoint-choice-private.h"
#include "catalog/cradle-ces-endpoint-private.h"

GPtrArray *
cradle_endpoints_choose (GPtrArray          *servers,
                         CradleEndpointAuth  auth,
                         gboolean            renewal)
{
  g_autoptr(GPtrArray) matching = g_ptr_array_new ();
  g_autoptr(GPtrArray) uris = g_ptr_array_new_with_free_func (g_free);

  g_return_val_if_fail (servers != NULL, NULL);

  for (guint i = 0; i < servers->len; i++)
    {
      CradleCesEndpoint *server = g_ptr_array_index (servers, i);

      if ((server->auth_flags & auth) == 0)
        continue;
      if (server->renewal_only && !renewal)
        continue;
      g_ptr_array_add (matching, server);
    }
  cradle_ces_endpoints_sort (matching);

  for (guint i = 0; i < matching->len; i++)
    {
      CradleCesEndpoint *server = g_ptr_array_index (matching, i);

      if (!g_ptr_array_find_with_equal_func (uris, server->uri, g_str_equal, NULL))
        g_ptr_array_add (uris, g_strdup (server->uri));
    }
  return g_steal_pointer (&uris);
}
