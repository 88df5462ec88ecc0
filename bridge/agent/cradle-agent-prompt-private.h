/* cradle-agent-prompt-private.h: what the device asks its user, in words
 *
 * Everything in a prompt that the host supplied (the key's profile, what a
 * request asks for, a root's subject) goes through the terminal sanitiser
 * (cradle_text_escape()) first: a host cannot clear the agent's screen,
 * recolour it, reorder it with bidi controls or start a line of its own.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* GENERATE_KEY: @profile is the host's description of the key's use. */
char *cradle_agent_prompt_generate_key (const char  *key_type,
                                        const char  *profile);
/* SIGN purpose 1: the subject, every name in the subjectAltName (UPN,
 * mail, DNS, and how many of other kinds), the extended key usages and the
 * Microsoft template of the CertificationRequestInfo @cri, which the
 * keystore has checked is for the key. NULL with an error when the request
 * cannot be shown whole. */
char *cradle_agent_prompt_sign         (GBytes      *cri,
                                        GError     **error) G_GNUC_WARN_UNUSED_RESULT;
/* SIGN purpose 1 for a renewal: "Renew <subject of @renewed>?", naming the
 * certificate (subject, issuer, SHA-256), then the new request @cri as
 * cradle_agent_prompt_sign() shows it. */
char *cradle_agent_prompt_renew        (GBytes      *renewed,
                                        GBytes      *cri,
                                        GError     **error) G_GNUC_WARN_UNUSED_RESULT;
/* INSTALL of a root the device does not trust yet. */
char *cradle_agent_prompt_root         (const char  *subject,
                                        const char  *sha256);

/* IMPORT_KEY: the certificate the key is for (subject, issuer, SHA-256,
 * escaped), and that the key was made elsewhere. */
char *cradle_agent_prompt_import       (const char  *subject,
                                        const char  *issuer,
                                        const char  *sha256);
/* DELETE_CERT: the certificate @der of @store, by subject, issuer and
 * SHA-256; a root says the device stops trusting what it issued, and
 * @retires_key names the key (@key_id) that goes with it for good. NULL
 * with an error when @der cannot be read. */
char *cradle_agent_prompt_delete_cert  (GBytes      *der,
                                        const char  *store,
                                        gboolean     retires_key,
                                        GBytes      *key_id,
                                        GError     **error) G_GNUC_WARN_UNUSED_RESULT;

/* "Trust this computer?" with the host's names (escaped) and the code. */
char *cradle_agent_prompt_pair         (const char  *host_name,
                                        const char  *user_name,
                                        const char  *code);

G_END_DECLS
