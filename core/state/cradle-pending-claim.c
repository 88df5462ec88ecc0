/* cradle-pending-claim.c: holding a request's claim while the work goes on
 *
 * A claim in the pending store says which program works on a request; its
 * lease lapses unless renewed. A held claim is renewed on a thread of its
 * own, so that a run blocked for minutes (the device's user, a slow CA)
 * keeps it, and released when the work ends.
 */
#include "config.h"

#include "state/cradle-pending-store-private.h"

struct _CradlePendingClaim
{
  /* Owned */
  CradlePendingStore *store;
  char               *owner;
  gint64              id;
  GThread            *thread;
  GMutex              lock;
  GCond               cond;
  gboolean            stop;
};

static gpointer
renew (gpointer data)
{
  CradlePendingClaim *claim = data;

  g_mutex_lock (&claim->lock);
  while (!claim->stop)
    {
      gint64 wake = g_get_monotonic_time () + (gint64) CRADLE_PENDING_CLAIM_RENEW_SECONDS * G_USEC_PER_SEC;
      g_autoptr(GError) error = NULL;

      while (!claim->stop && g_cond_wait_until (&claim->cond, &claim->lock, wake))
        ;
      if (claim->stop)
        break;
      g_mutex_unlock (&claim->lock);
      if (!cradle_pending_store_claim (claim->store, claim->id, claim->owner, CRADLE_PENDING_CLAIM_LEASE_SECONDS,
                                       NULL, &error))
        g_message ("Could not renew the claim on request %" G_GINT64_FORMAT ": %s", claim->id, error->message);
      g_mutex_lock (&claim->lock);
    }
  g_mutex_unlock (&claim->lock);
  return NULL;
}

/**
 * cradle_pending_claim_keep:
 * @owner: who holds the claim on @id already (cradle_pending_store_claim()
 *   or cradle_pending_store_add_claimed())
 *
 * Returns: (transfer full): the claim, renewed until
 *   cradle_pending_claim_release()
 */
CradlePendingClaim *
cradle_pending_claim_keep (CradlePendingStore *store,
                           gint64              id,
                           const char         *owner)
{
  CradlePendingClaim *claim = g_new0 (CradlePendingClaim, 1);

  claim->store = g_object_ref (store);
  claim->owner = g_strdup (owner);
  claim->id = id;
  g_mutex_init (&claim->lock);
  g_cond_init (&claim->cond);
  claim->thread = g_thread_new ("cradle-claim", renew, claim);
  return claim;
}

/**
 * cradle_pending_claim_take:
 * @busy_until: (out) (optional): when another program holds the claim,
 *   when its lease ends
 *
 * Claims request @id for a new owner.
 *
 * Returns: (transfer full): the claim, or %NULL with CRADLE_ERROR_BUSY
 *   when another program works on the request
 */
CradlePendingClaim *
cradle_pending_claim_take (CradlePendingStore  *store,
                           gint64               id,
                           gint64              *busy_until,
                           GError             **error)
{
  g_autofree char *owner = cradle_pending_claim_owner_new ();

  if (!cradle_pending_store_claim (store, id, owner, CRADLE_PENDING_CLAIM_LEASE_SECONDS, busy_until, error))
    return NULL;
  return cradle_pending_claim_keep (store, id, owner);
}

const char *
cradle_pending_claim_get_owner (CradlePendingClaim *claim)
{
  return claim->owner;
}

/* Stops renewing and gives the claim up. */
void
cradle_pending_claim_release (CradlePendingClaim *claim)
{
  g_autoptr(GError) error = NULL;

  if (claim == NULL)
    return;
  g_mutex_lock (&claim->lock);
  claim->stop = TRUE;
  g_cond_signal (&claim->cond);
  g_mutex_unlock (&claim->lock);
  g_thread_join (claim->thread);
  if (!cradle_pending_store_release (claim->store, claim->id, claim->owner, &error))
    g_message ("Could not release the claim on request %" G_GINT64_FORMAT " (it lapses on its own): %s",
               claim->id, error->message);
  g_object_unref (claim->store);
  g_free (claim->owner);
  g_mutex_clear (&claim->lock);
  g_cond_clear (&claim->cond);
  g_free (claim);
}
