/* cradle-endpoint-choice-private.h: which enrollment web service to use */
#pragma once

#include <cradle/cradle.h>

G_BEGIN_DECLS

/* The addresses among @servers (of CradleCesEndpoint, from the
 * directory's msPKI-Enrollment-Servers or a policy's cAURI list) a client
 * signing in with @auth may use, as cepces chooses them: those whose
 * authentication flags include @auth, renewal-only ones left out unless
 * @renewal, by ascending priority (equal priorities keep their order), each
 * address once.  Returns: (element-type utf8): never %NULL */
GPtrArray *cradle_endpoints_choose (GPtrArray          *servers,
                                    CradleEndpointAuth  auth,
                                    gboolean            renewal);

G_END_DECLS
