/* cradle-agent-hosts-private.h: the computers this device trusts
 *
 * `hosts` in the agent's folder, a CBOR map written atomically:
 *   1 format version (uint, 1)
 *   2 array of at most CRADLE_AGENT_HOSTS_MAX maps, one per paired host user:
 *     1 its Ed25519 identity key (32 bytes)   4 paired at (uint, Unix seconds)
 *     2 computer name (text)                  5 last used (uint, Unix seconds)
 *     3 user name (text)
 * A change is read-modify-write under an flock() on `hosts.lock`, so the
 * running agent and `cradle-agent --forget-host` never lose each other's
 * changes. Pairing a host that is already there replaces its entry; pairing
 * one more than the maximum drops the least recently used.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CRADLE_AGENT_HOSTS_MAX 32

typedef struct {
  GBytes *key;
  char   *name;
  char   *user;
  gint64  paired;
  gint64  last_used;
} CradleAgentHost;

void             cradle_agent_host_free        (CradleAgentHost *host);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleAgentHost, cradle_agent_host_free)
/* The short name people see and type: the first 16 hex digits of SHA-256
 * of the host's key. */
char            *cradle_agent_host_dup_id      (const CradleAgentHost *host);

/* Returns: (element-type CradleAgentHost): every paired host, least recently used first */
GPtrArray       *cradle_agent_hosts_list       (const char  *folder,
                                                GError     **error) G_GNUC_WARN_UNUSED_RESULT;
/* The host with @key, its last use set to now (written when it moved, or at
 * most once an hour); %NULL without an error when
 * it is not paired, or was unused for more than @expiry_days (0: never
 * expires), in which case it is forgotten. */
CradleAgentHost *cradle_agent_hosts_touch      (const char  *folder,
                                                GBytes      *key,
                                                guint        expiry_days,
                                                GError     **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean         cradle_agent_hosts_add        (const char  *folder,
                                                GBytes      *key,
                                                const char  *name,
                                                const char  *user,
                                                GError     **error) G_GNUC_WARN_UNUSED_RESULT;
/* Removes the host with @key, or those whose id starts with @id ("all":
 * every host). @removed (optional) counts them. */
gboolean         cradle_agent_hosts_remove     (const char  *folder,
                                                GBytes      *key,
                                                const char  *id,
                                                guint       *removed,
                                                GError     **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
