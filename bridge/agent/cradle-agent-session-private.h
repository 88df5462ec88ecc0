/* cradle-agent-session-private.h: one bridge session on the device side */
#pragma once

#include "agent/cradle-agent-confirm-private.h"
#include "agent/cradle-agent-keystore.h"
#include <openssl/evp.h>
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
void cradle_agent_session_run (CradleAgentConfig     *config,
                               CradleBridgeTransport *transport);

/* Refuses a second session, as a device in use would. */
void cradle_agent_session_refuse_busy (CradleBridgeTransport *transport);

G_END_DECLS
