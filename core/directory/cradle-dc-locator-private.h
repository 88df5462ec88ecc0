/* cradle-dc-locator-private.h: finding a domain's controllers in DNS */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The LDAP URIs of @domain's controllers, from the SRV records
 * _ldap._tcp.dc._msdcs.<domain>, in the order RFC 2782 prefers them.
 * Gives up after @timeout_seconds (CRADLE_ERROR_TIMED_OUT); a domain DNS
 * knows no controller of is CRADLE_ERROR_NOT_CONFIGURED. */
GStrv cradle_dc_locate (const char    *domain,
                        guint          timeout_seconds,
                        GCancellable  *cancellable,
                        GError       **error);

G_END_DECLS
