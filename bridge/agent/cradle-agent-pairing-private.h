/* cradle-agent-pairing-private.h: the device's side of pairing and sessions
 *
 * The exchanges of docs/bridge-protocol.md, section 5, without the talking:
 * cradle-agent-session.c reads the requests, asks the user and sends the
 * answers; these check and compute.
 */
#pragma once

#include <openssl/evp.h>

#include "protocol/cradle-bridge-cbor-private.h"
#include "protocol/cradle-bridge-pairing-private.h"

G_BEGIN_DECLS

typedef struct _CradleAgentPairing CradleAgentPairing;

void                cradle_agent_pairing_free      (CradleAgentPairing     *pairing);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleAgentPairing, cradle_agent_pairing_free)

/* PAIR_START: takes the host's keys and names, commits to a nonce. */
CradleAgentPairing *cradle_agent_pairing_start     (EVP_PKEY               *identity,
                                                    GBytes                 *session_nonce,
                                                    const CradleCborValue  *request,
                                                    GBytes                **reply,
                                                    GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* PAIR_REVEAL: takes the host's nonce, reveals ours; the code is known. */
GBytes             *cradle_agent_pairing_reveal    (CradleAgentPairing     *pairing,
                                                    const CradleCborValue  *request,
                                                    GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* PAIR_CONFIRM, before the user is asked: the host proves its key. */
gboolean            cradle_agent_pairing_check_host (CradleAgentPairing    *pairing,
                                                    const CradleCborValue  *request,
                                                    GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* After the user's yes: our signature, and the session's seal. */
GBytes             *cradle_agent_pairing_finish    (CradleAgentPairing     *pairing,
                                                    CradleBridgeSeal      **seal,
                                                    GError                **error) G_GNUC_WARN_UNUSED_RESULT;
const char         *cradle_agent_pairing_get_code      (CradleAgentPairing *pairing);
GBytes             *cradle_agent_pairing_get_host_key  (CradleAgentPairing *pairing);
const char         *cradle_agent_pairing_get_host_name (CradleAgentPairing *pairing);
const char         *cradle_agent_pairing_get_user_name (CradleAgentPairing *pairing);

/* AUTHENTICATE: a paired host (in @folder's hosts, not expired) proves its
 * key against @session_nonce; we prove ours. CRADLE_ERROR_NOT_PAIRED for a
 * host we do not know. */
GBytes             *cradle_agent_authenticate      (EVP_PKEY               *identity,
                                                    GBytes                 *session_nonce,
                                                    const char             *folder,
                                                    guint                   expiry_days,
                                                    const CradleCborValue  *request,
                                                    GBytes                **host_key,
                                                    CradleBridgeSeal      **seal,
                                                    GError                **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
