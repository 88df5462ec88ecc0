/* cradle-dc-locator.c: finding a domain's controllers in DNS
 *
 * GResolver's blocking lookups cannot time out, so the asynchronous one
 * runs on a private main context with a deadline.
 */
#include "config.h"

#include <cradle/cradle.h>

#include "directory/cradle-dc-locator-private.h"

typedef struct {
  GList   *targets;
  GError  *error;
  gboolean done;
} Lookup;

static void
on_lookup_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Lookup *lookup = user_data;

  lookup->targets = g_resolver_lookup_service_finish (G_RESOLVER (source), result, &lookup->error);
  lookup->done = TRUE;
}

static gboolean
on_deadline (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

GStrv
cradle_dc_locate (const char    *domain,
                  guint          timeout_seconds,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GResolver) resolver = g_resolver_get_default ();
  g_autoptr(GCancellable) deadline_cancel = g_cancellable_new ();
  g_autoptr(GSource) deadline = g_timeout_source_new_seconds (MAX (timeout_seconds, 1));
  g_autofree char *service_domain = NULL;
  g_autoptr(GPtrArray) uris = NULL;
  gulong chained = 0;
  Lookup lookup = { 0 };

  g_return_val_if_fail (domain != NULL, NULL);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  /* The caller's cancel and the deadline both stop the lookup. */
  if (cancellable != NULL)
    chained = g_cancellable_connect (cancellable, G_CALLBACK (g_cancellable_cancel),
                                     g_object_ref (deadline_cancel), g_object_unref);
  g_source_set_callback (deadline, on_deadline, deadline_cancel, NULL);
  g_source_attach (deadline, context);

  service_domain = g_strdup_printf ("dc._msdcs.%s", domain);
  g_main_context_push_thread_default (context);
  g_resolver_lookup_service_async (resolver, "ldap", "tcp", service_domain, deadline_cancel,
                                   on_lookup_done, &lookup);
  while (!lookup.done)
    g_main_context_iteration (context, TRUE);
  g_main_context_pop_thread_default (context);
  g_source_destroy (deadline);
  if (cancellable != NULL)
    g_cancellable_disconnect (cancellable, chained);

  if (lookup.error != NULL)
    {
      if (g_cancellable_is_cancelled (cancellable))
        g_cancellable_set_error_if_cancelled (cancellable, error);
      else if (g_error_matches (lookup.error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_TIMED_OUT,
                     "DNS did not answer within %u seconds when looking for the domain controllers "
                     "of %s. Check the network, or name a controller with --dc ldap://HOST.",
                     timeout_seconds, domain);
      else
        g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                     "No domain controller of %s was found in DNS (no _ldap._tcp.dc._msdcs record: %s). "
                     "Check the domain's name, or name a controller with --dc ldap://HOST.",
                     domain, lookup.error->message);
      g_error_free (lookup.error);
      return NULL;
    }

  uris = g_ptr_array_new_with_free_func (g_free);
  for (GList *l = lookup.targets; l != NULL; l = l->next)
    {
      GSrvTarget *target = l->data;
      const char *host = g_srv_target_get_hostname (target);

      /* "." means the domain says it has no such service. */
      if (host[0] == '\0' || g_str_equal (host, "."))
        continue;
      if (g_srv_target_get_port (target) == 389)
        g_ptr_array_add (uris, g_strdup_printf ("ldap://%s", host));
      else
        g_ptr_array_add (uris, g_strdup_printf ("ldap://%s:%u", host, g_srv_target_get_port (target)));
    }
  g_resolver_free_targets (lookup.targets);
  if (uris->len == 0)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "DNS lists no domain controller for %s. Name one with --dc ldap://HOST.", domain);
      return NULL;
    }
  g_ptr_array_add (uris, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&uris), FALSE);
}
