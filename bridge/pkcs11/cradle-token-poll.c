/* cradle-token-poll.c: which tokens are present now, for the device
 * monitor (see cradle-token-private.h, cradle_token_poll_present()) */
#include "config.h"

#include <cradle/cradle.h>

#define CRADLE_TOKEN_COMPILATION
#include "pkcs11/cradle-token-private.h"

/* The most slot events drained from one module in one poll. */
#define MAX_EVENTS 64

GPtrArray *
cradle_token_poll_present (GCancellable *cancellable,
                           GError      **error)
{
  g_autoptr(CradleTokenModules) modules = _cradle_token_modules_get ();
  g_autoptr(GPtrArray) tokens = NULL;
  g_autoptr(GPtrArray) uris = g_ptr_array_new_with_free_func (g_free);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  /* Events where the module keeps them (never blocking: p11-kit's proxy
   * and SoftHSM refuse a blocking wait); the slot list is what counts. */
  for (guint m = 0; m < modules->n_lists; m++)
    {
      CK_SLOT_ID slot;

      for (guint i = 0; i < MAX_EVENTS; i++)
        if (modules->lists[m]->C_WaitForSlotEvent (CKF_DONT_BLOCK, &slot, NULL) != CKR_OK)
          break;
    }
  tokens = cradle_token_enumerate (cancellable, error);
  if (tokens == NULL)
    return NULL;
  for (guint i = 0; i < tokens->len; i++)
    g_ptr_array_add (uris, g_strdup (cradle_token_get_uri (g_ptr_array_index (tokens, i))));
  return g_steal_pointer (&uris);
}
