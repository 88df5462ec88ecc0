/* cradle-agent-store-file-private.h: every certificate store in one file
 *
 * The `stores` file is a CBOR map {1: format version (uint, 1), 2: array of
 * map {1: store (text), 2: scope (text), 3: certificate DER (bytes), 4: key
 * id (bytes, optional, MY only)}}. The project's strict CBOR reader allows
 * at most 1,024 items in an array, so all the stores together hold at most
 * 1,024 certificates; the file is at most 8 MiB. Both limits are checked
 * before writing, so a file we wrote can always be read back.
 */
#pragma once

#include <glib.h>

#include "agent/cradle-agent-keystore.h"
#include "protocol/cradle-bridge-cbor-private.h"

G_BEGIN_DECLS

#define CRADLE_AGENT_STORES_VERSION   1
#define CRADLE_AGENT_STORES_MAX_CERTS CRADLE_CBOR_MAX_ARRAY_ITEMS
#define CRADLE_AGENT_STORES_MAX_SIZE  (8 * 1024 * 1024)

gboolean         cradle_agent_store_name_valid  (const char            *store);
gboolean         cradle_agent_scope_name_valid  (const char            *scope);

CradleAgentCert *cradle_agent_cert_copy         (const CradleAgentCert *cert);
/* Same store, scope and certificate; the key binding is not compared. */
gboolean         cradle_agent_cert_same_place   (const CradleAgentCert *a,
                                                 const CradleAgentCert *b);

/* Returns: (element-type CradleAgentCert): the certificates in @contents */
GPtrArray       *cradle_agent_store_file_decode (GBytes                *contents,
                                                 GError               **error) G_GNUC_WARN_UNUSED_RESULT;
GBytes          *cradle_agent_store_file_encode (GPtrArray             *certs,
                                                 GError               **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
