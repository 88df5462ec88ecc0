/* cradle-enrollment-server-private.h: a CA's enrollment web services (msPKI-Enrollment-Servers) */
#pragma once

#include <cradle/cradle.h>

G_BEGIN_DECLS

/* Hard limits on one msPKI-Enrollment-Servers value. */
#define CRADLE_ENROLLMENT_SERVER_MAX_VALUE    4096
#define CRADLE_ENROLLMENT_SERVER_MAX_PRIORITY 65535

/* Auth flags are CradleEndpointAuth bits (cradle-enrollment-service.h). */
#define CRADLE_ENDPOINT_AUTH_KNOWN                                                  \
  (CRADLE_ENDPOINT_AUTH_ANONYMOUS | CRADLE_ENDPOINT_AUTH_KERBEROS                 \
   | CRADLE_ENDPOINT_AUTH_PASSWORD | CRADLE_ENDPOINT_AUTH_CERTIFICATE)

/**
 * CradleCesEndpoint:
 * @priority: lower numbers are preferred
 * @auth_flags: #CradleEndpointAuth bits, at least one
 * @renewal_only: whether the service only renews certificates
 * @uri: the service's http:// or https:// address, as the directory wrote it
 */
typedef struct
{
  guint     priority;
  guint     auth_flags;
  gboolean  renewal_only;

  /* Owned */
  char     *uri;
} CradleCesEndpoint;

CradleCesEndpoint *cradle_ces_endpoint_parse          (const char              *value,
                                                                 gsize                    length,
                                                                 GError                 **error) G_GNUC_WARN_UNUSED_RESULT;
void                    cradle_ces_endpoint_free           (CradleCesEndpoint  *server);

void                    cradle_ces_endpoints_sort          (GPtrArray               *servers);

char                   *cradle_ces_endpoint_auth_to_string (guint                    flags);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleCesEndpoint, cradle_ces_endpoint_free)

G_END_DECLS
