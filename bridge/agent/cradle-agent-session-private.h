/* cradle-agent-session-private.h: one bridge session on the device side */
#pragma once

#include "agent/cradle-agent-confirm-private.h"
#include "agent/cradle-agent-keystore.h"
#include "agent/cradle-agent-pairing-private.h"
#include <openssl/evp.h>
#include "protocol/cradle-bridge-cbor-private.h"
#include "protocol/cradle-bridge-pairing-private.h"
#include "protocol/cradle-bridge-transport-private.h"

G_BEGIN_DECLS

/* What every session of one agent shares. */
typedef struct {
  CradleAgentKeystore *keystore;
  char                *manufacturer;
  char                *model;
  char                *serial;
  gboolean             privileged;
  CradleConfirmPolicy  policy[CRADLE_CONFIRM_N_OPERATIONS];
  guint                confirm_max_seconds;
  EVP_PKEY            *identity;          /* the device's Ed25519 key */
  char                *folder;            /* where `hosts` lives */
  guint                host_expiry_days;  /* 0: paired hosts never expire */
  /* A session idle this long (0: never) ends when another host waits for
   * the device: *waiting_hosts > 0, or always when it is %NULL. */
  guint                idle_seconds;
  gint                *waiting_hosts;  /* nullable, atomic */
} CradleAgentConfig;

/* Serves requests until the host goes away, breaks the framing, or sends
 * nothing for config->idle_seconds while another host waits.
 * Malformed requests are answered with ERROR and the session goes on. */
/* One session, shared by the files that serve it (cradle-agent-session*.c). */
typedef struct {
  CradleAgentConfig     *config;
  CradleBridgeTransport *transport;
  gboolean               greeted;
  guint32                request_id;   /* the request being served */
  GBytes                *nonce;        /* HELLO's, fresh per session */
  GBytes                *host_key;     /* the authenticated host's identity key */
  GBytes                *host_id;      /* SHA-256 of host_key: whose keys are whose */
  CradleAgentPairing    *pairing;      /* a pairing under way */
  CradleBridgeSeal      *next_seal;    /* installed once the answer is out */
} CradleAgentSession;

gboolean _cradle_agent_session_ask_user       (CradleAgentSession     *session,
                                               CradleConfirmOperation  operation,
                                               const char             *prompt,
                                               GError                **error) G_GNUC_WARN_UNUSED_RESULT;
void     _cradle_agent_session_send_keepalive (CradleAgentSession     *session,
                                               guint                   status,
                                               const char             *prompt);
GBytes  *_cradle_agent_session_reply          (CradleCborWriter       *writer);
GBytes  *_cradle_agent_session_empty_reply    (void);
/* Overwrites bytes that held a private key before they are freed. */
void     _cradle_agent_session_wipe_bytes     (GBytes                 *bytes);

/* cradle-agent-session-stores.c: the requests on the stores and keys. */
GBytes  *_cradle_agent_session_handle_list_certs  (CradleAgentSession     *session,
                                                   const CradleCborValue  *request,
                                                   GError                **error);
GBytes  *_cradle_agent_session_handle_install     (CradleAgentSession     *session,
                                                   const CradleCborValue  *request,
                                                   GError                **error);
GBytes  *_cradle_agent_session_handle_import_key  (CradleAgentSession     *session,
                                                   const CradleCborValue  *request,
                                                   GError                **error);
GBytes  *_cradle_agent_session_handle_delete_key  (CradleAgentSession     *session,
                                                   const CradleCborValue  *request,
                                                   GError                **error);
GBytes  *_cradle_agent_session_handle_delete_cert (CradleAgentSession     *session,
                                                   const CradleCborValue  *request,
                                                   GError                **error);

void cradle_agent_session_run (CradleAgentConfig     *config,
                               CradleBridgeTransport *transport);

/* Refuses a second session, as a device in use would. */
void cradle_agent_session_refuse_busy (CradleBridgeTransport *transport);

G_END_DECLS
