/* cradle-agent-confirm-private.h: asking the device's user */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What the agent does when an operation needs its user's consent. */
typedef enum {
  CRADLE_CONFIRM_ASK,      /* prompt on the agent's terminal */
  CRADLE_CONFIRM_APPROVE,  /* say yes at once (tests, unattended simulators) */
  CRADLE_CONFIRM_DECLINE,  /* say no at once */
  CRADLE_CONFIRM_NEVER,    /* never answer: the host's timeout or cancel decides */
} CradleConfirmPolicy;

typedef enum {
  CRADLE_CONFIRM_GENERATE_KEY,
  CRADLE_CONFIRM_SIGN,
  CRADLE_CONFIRM_ROOT,
  CRADLE_CONFIRM_PAIR,
  CRADLE_CONFIRM_DELETE_CERT,  /* deleting a certificate retires its enrolled key */
  CRADLE_CONFIRM_IMPORT_KEY,   /* storing a key made elsewhere (IMPORT_KEY) */
  CRADLE_CONFIRM_N_OPERATIONS,
} CradleConfirmOperation;

gboolean cradle_confirm_policy_parse (const char           *text,
                                      CradleConfirmPolicy  *policy,
                                      GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* Non-blocking read of a y/n answer typed on the agent's terminal:
 * TRUE with *answered set once a whole line is there. */
gboolean cradle_confirm_poll_terminal (gboolean *answered,
                                       gboolean *approved);

G_END_DECLS
