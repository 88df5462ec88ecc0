/* cradle-agent-session.c: the device side of one bridge session */
#include "config.h"

#include <stdio.h>
#include <sys/utsname.h>
#include <gio/gio.h>
#include <cradle/cradle.h>

#include <openssl/crypto.h>

#include "agent/cradle-agent-hosts-private.h"
#include "agent/cradle-agent-keystore-private.h"
#include "agent/cradle-agent-pairing-private.h"
#include "agent/cradle-agent-prompt-private.h"
#include "agent/cradle-agent-session-private.h"
#include "agent/cradle-agent-trim-private.h"
#include "base/cradle-error-private.h"
#include "protocol/cradle-bridge-message-private.h"

/* A request that could not be served: the code for the host and words for people. */
typedef struct {
  CradleBridgeErrorCode code;
  char                 *message;
} Refusal;

static void
send_frame (CradleAgentSession *session,
            guint8              type,
            guint16             flags,
            guint32             request_id,
            GBytes             *payload)
{
  g_autoptr(GBytes) frame = cradle_bridge_frame_encode (type, flags, request_id, payload);
  g_autoptr(GError) error = NULL;

  /* A host that vanished is noticed by the next read. */
  if (!cradle_bridge_transport_send (session->transport, frame, NULL, &error))
    g_debug ("Could not answer the host: %s", error->message);
}

static void
send_error (CradleAgentSession    *session,
            guint32                request_id,
            CradleBridgeErrorCode  code,
            const char            *message)
{
  g_autoptr(GBytes) payload = cradle_bridge_error_payload (code, message);
  g_autofree char *shown = cradle_text_escape (message, -1, CRADLE_TEXT_ESCAPE_DEFAULT);

  g_info ("Request %u refused: %s: %s", request_id, cradle_bridge_error_code_to_string (code), shown);
  send_frame (session, CRADLE_BRIDGE_ERROR, CRADLE_BRIDGE_FLAG_RESPONSE, request_id, payload);
}

static void
send_gerror (CradleAgentSession *session,
             guint32             request_id,
             const GError       *error)
{
  send_error (session, request_id, cradle_bridge_error_code_for (error), error->message);
}

void
_cradle_agent_session_send_keepalive (CradleAgentSession *session,
                                      guint               status,
                                      const char         *prompt)
{
  g_autoptr(CradleCborWriter) writer = cradle_cbor_writer_new ();
  g_autoptr(GBytes) payload = NULL;

  cradle_cbor_writer_map (writer, prompt != NULL ? 2 : 1);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_uint (writer, status);
  if (prompt != NULL)
    {
      cradle_cbor_writer_uint (writer, 2);
      cradle_cbor_writer_text (writer, prompt);
    }
  payload = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
  send_frame (session, CRADLE_BRIDGE_KEEPALIVE, 0, session->request_id, payload);
}

/**
 * _cradle_agent_session_ask_user:
 *
 * Waits for the device user's answer under the configured policy, sending a
 * KEEPALIVE every second and watching for the host's CANCEL meanwhile.
 * Returns TRUE only for a yes; otherwise @error says DECLINED, TIMED_OUT,
 * cancelled, or that the host went away.
 */
gboolean
_cradle_agent_session_ask_user (CradleAgentSession      *session,
                                CradleConfirmOperation   operation,
                                const char              *prompt,
                                GError                 **error)
{
  CradleConfirmPolicy policy = session->config->policy[operation];
  gint64 deadline = g_get_monotonic_time () + (gint64) session->config->confirm_max_seconds * G_USEC_PER_SEC;

  if (policy == CRADLE_CONFIRM_APPROVE)
    return TRUE;
  if (policy == CRADLE_CONFIRM_DECLINE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_USER_DECLINED, "the user said no to: %s", prompt);
      return FALSE;
    }
  if (policy == CRADLE_CONFIRM_ASK)
    {
      g_print ("\n%s\nAllow? [y/N] ", prompt);
      fflush (stdout);
    }

  for (;;)
    {
      g_autoptr(CradleBridgeFrame) frame = NULL;
      g_autoptr(GError) local_error = NULL;

      _cradle_agent_session_send_keepalive (session, CRADLE_BRIDGE_WAITING_FOR_USER, prompt);

      if (policy == CRADLE_CONFIRM_ASK)
        {
          gboolean answered = FALSE, approved = FALSE;

          cradle_confirm_poll_terminal (&answered, &approved);
          if (answered && approved)
            return TRUE;
          if (answered)
            {
              g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_USER_DECLINED, "the user said no to: %s", prompt);
              return FALSE;
            }
        }
      if (g_get_monotonic_time () > deadline)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_TIMED_OUT,
                       "nobody answered within %u seconds", session->config->confirm_max_seconds);
          return FALSE;
        }

      /* Sleeping here is waiting for the host: a CANCEL ends the wait. */
      frame = cradle_bridge_transport_receive_frame (session->transport,
                                                     CRADLE_BRIDGE_KEEPALIVE_INTERVAL_MS, NULL, &local_error);
      if (frame == NULL)
        {
          if (g_error_matches (local_error, CRADLE_ERROR, CRADLE_ERROR_TIMED_OUT))
            continue;
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (frame->header.type == CRADLE_BRIDGE_CANCEL && frame->header.request_id == session->request_id)
        {
          g_set_error (error, CRADLE_GIO_ERROR, G_IO_ERROR_CANCELLED, "the host cancelled the request");
          if (policy == CRADLE_CONFIRM_ASK)
            g_print ("\n(cancelled by the desktop)\n");
          return FALSE;
        }
      if (frame->header.type != CRADLE_BRIDGE_CANCEL)
        send_error (session, frame->header.request_id, CRADLE_BRIDGE_E_BUSY,
                    "another request is waiting for the device's user");
    }
}

GBytes *
_cradle_agent_session_reply (CradleCborWriter *writer)
{
  return cradle_cbor_writer_free_to_bytes (writer);
}

GBytes *
_cradle_agent_session_empty_reply (void)
{
  CradleCborWriter *writer = cradle_cbor_writer_new ();

  cradle_cbor_writer_map (writer, 0);
  return _cradle_agent_session_reply (writer);
}

void
_cradle_agent_session_wipe_bytes (GBytes *bytes)
{
  gsize size = 0;
  guint8 *data = (guint8 *) g_bytes_get_data (bytes, &size);

  if (data != NULL && size > 0)
    OPENSSL_cleanse (data, size);
}

static GBytes *
handle_hello (CradleAgentSession     *session,
              const CradleCborValue  *request,
              GError                **error)
{
  CradleCborWriter *writer;
  guint64 lowest = 0, highest = 0;
  guint8 nonce[CRADLE_BRIDGE_NONCE_SIZE];

  if (!cradle_cbor_map_get_uint (request, 1, FALSE, &lowest, error) ||
      !cradle_cbor_map_get_uint (request, 2, FALSE, &highest, error))
    return NULL;
  if (lowest > CRADLE_BRIDGE_VERSION || highest < CRADLE_BRIDGE_VERSION)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "this device speaks bridge version %d only; the host offered %" G_GUINT64_FORMAT
                   " to %" G_GUINT64_FORMAT, CRADLE_BRIDGE_VERSION, lowest, highest);
      return NULL;
    }
  /* A new nonce would let an authenticated session be authenticated again. */
  if (session->host_key != NULL || session->pairing != NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "this session is authenticated or pairing already; open a new one");
      return NULL;
    }
  if (!cradle_bridge_random (nonce, sizeof nonce, error))
    return NULL;
  g_clear_pointer (&session->nonce, g_bytes_unref);
  session->nonce = g_bytes_new (nonce, sizeof nonce);
  session->greeted = TRUE;
  writer = cradle_cbor_writer_new ();
  cradle_cbor_writer_map (writer, 3);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_uint (writer, CRADLE_BRIDGE_VERSION);
  cradle_cbor_writer_uint (writer, 2);
  cradle_cbor_writer_text (writer, "cradle-agent " CRADLE_VERSION);
  cradle_cbor_writer_uint (writer, 3);
  cradle_cbor_writer_bytes (writer, nonce, sizeof nonce);
  return _cradle_agent_session_reply (writer);
}

static gsize os_once;
static char *os_name;

static GBytes *
handle_get_info (CradleAgentSession     *session,
                 const CradleCborValue  *request,
                 GError                **error)
{
  static const char * const stores[] = { "MY", "CA", "Root" };
  static const char * const scopes[] = { "user", "system" };
  const char * const *key_types = cradle_agent_keystore_key_types ();
  CradleCborWriter *writer = cradle_cbor_writer_new ();
  struct utsname uts;
  g_autofree char *os = NULL;

  /* The running kernel does not change: asked once per process. */
  if (g_once_init_enter (&os_once))
    {
      os_name = uname (&uts) == 0 ? g_strdup_printf ("%s %s", uts.sysname, uts.release) : g_strdup ("Linux");
      g_once_init_leave (&os_once, 1);
    }
  os = g_strdup (os_name);
  cradle_cbor_writer_map (writer, 9);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_text (writer, session->config->manufacturer);
  cradle_cbor_writer_uint (writer, 2);
  cradle_cbor_writer_text (writer, session->config->model);
  cradle_cbor_writer_uint (writer, 3);
  cradle_cbor_writer_text (writer, session->config->serial);
  cradle_cbor_writer_uint (writer, 4);
  cradle_cbor_writer_text (writer, os);
  cradle_cbor_writer_uint (writer, 5);
  cradle_cbor_writer_text (writer, CRADLE_VERSION);
  cradle_cbor_writer_uint (writer, 6);
  cradle_cbor_writer_array (writer, g_strv_length ((char **) key_types));
  for (guint i = 0; key_types[i] != NULL; i++)
    cradle_cbor_writer_text (writer, key_types[i]);
  cradle_cbor_writer_uint (writer, 7);
  cradle_cbor_writer_array (writer, G_N_ELEMENTS (stores) * G_N_ELEMENTS (scopes));
  for (guint i = 0; i < G_N_ELEMENTS (stores); i++)
    for (guint j = 0; j < G_N_ELEMENTS (scopes); j++)
      {
        cradle_cbor_writer_map (writer, 3);
        cradle_cbor_writer_uint (writer, 1);
        cradle_cbor_writer_text (writer, stores[i]);
        cradle_cbor_writer_uint (writer, 2);
        cradle_cbor_writer_text (writer, scopes[j]);
        cradle_cbor_writer_uint (writer, 3);
        cradle_cbor_writer_bool (writer, j == 0 || session->config->privileged);
      }
  /* SIGN purposes 2 and 3, and DECRYPT; renewals: purposes 4 and 5; IMPORT_KEY */
  cradle_cbor_writer_uint (writer, 8);
  cradle_cbor_writer_array (writer, 3);
  cradle_cbor_writer_text (writer, CRADLE_BRIDGE_FEATURE_SCEP);
  cradle_cbor_writer_text (writer, CRADLE_BRIDGE_FEATURE_RENEWAL);
  cradle_cbor_writer_text (writer, CRADLE_BRIDGE_FEATURE_IMPORT_KEY);
  /* Who the device claims to be; AUTHENTICATE and pairing prove it. */
  {
    g_autoptr(GBytes) identity = cradle_bridge_key_raw_public (session->config->identity);

    cradle_cbor_writer_uint (writer, 9);
    cradle_cbor_writer_bytes (writer, g_bytes_get_data (identity, NULL), g_bytes_get_size (identity));
  }
  return _cradle_agent_session_reply (writer);
}

/* A key being made on a thread of its own, so that the session can tell
 * the host it works meanwhile. */
typedef struct {
  GMutex                     lock;
  GCond                      done_cond;
  gboolean                   done;
  CradleAgentKeystore       *keystore;
  const char                *key_type;
  const char                *profile;
  GBytes                    *details;
  CradleAgentEnrollmentKind  kind;
  GBytes                    *host_id;
  gboolean                   made;
  GBytes                    *key_id;
  GBytes                    *spki;
  GError                    *error;
} KeyGeneration;

static gpointer
generate_thread (gpointer data)
{
  KeyGeneration *generation = data;

  generation->made = cradle_agent_keystore_generate (generation->keystore, generation->key_type,
                                                     generation->profile, generation->details, generation->kind,
                                                     generation->host_id, &generation->key_id, &generation->spki,
                                                     &generation->error);
  g_mutex_lock (&generation->lock);
  generation->done = TRUE;
  g_cond_signal (&generation->done_cond);
  g_mutex_unlock (&generation->lock);
  return NULL;
}

/* Makes the key while sending a KEEPALIVE (processing) every second, as
 * the protocol asks of a request that works: an RSA key on a busy device
 * (a loaded simulator host with sixteen of them, say) can take longer
 * than the host's 10 seconds without a frame. */
static gboolean
generate_with_keepalives (CradleAgentSession         *session,
                          const char                 *key_type,
                          const char                 *profile,
                          GBytes                     *details,
                          CradleAgentEnrollmentKind   kind,
                          GBytes                    **key_id,
                          GBytes                    **spki,
                          GError                    **error)
{
  KeyGeneration generation = { .keystore = session->config->keystore, .key_type = key_type,
                               .profile = profile, .details = details, .kind = kind,
                               .host_id = session->host_id };
  GThread *thread;

  g_mutex_init (&generation.lock);
  g_cond_init (&generation.done_cond);
  thread = g_thread_try_new ("cradle-agent-keygen", generate_thread, &generation, error);
  if (thread != NULL)
    {
      g_mutex_lock (&generation.lock);
      while (!generation.done)
        {
          gint64 until = g_get_monotonic_time () + (gint64) CRADLE_BRIDGE_KEEPALIVE_INTERVAL_MS * 1000;

          if (!g_cond_wait_until (&generation.done_cond, &generation.lock, until) && !generation.done)
            {
              g_mutex_unlock (&generation.lock);
              _cradle_agent_session_send_keepalive (session, CRADLE_BRIDGE_PROCESSING, NULL);
              g_mutex_lock (&generation.lock);
            }
        }
      g_mutex_unlock (&generation.lock);
      g_thread_join (thread);
    }
  g_mutex_clear (&generation.lock);
  g_cond_clear (&generation.done_cond);
  if (thread == NULL)
    return FALSE;
  if (!generation.made)
    {
      g_propagate_error (error, generation.error);
      return FALSE;
    }
  *key_id = generation.key_id;
  *spki = generation.spki;
  return TRUE;
}

static GBytes *
handle_generate_key (CradleAgentSession     *session,
                     const CradleCborValue  *request,
                     GError                **error)
{
  const char *key_type = NULL;
  const char *profile = NULL;
  g_autoptr(GBytes) details = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autofree char *prompt = NULL;
  guint64 kind = CRADLE_AGENT_ENROLLMENT_REQUEST;
  CradleCborWriter *writer;

  if (!cradle_cbor_map_get_text (request, 1, FALSE, &key_type, error) ||
      !cradle_cbor_map_get_text (request, 2, FALSE, &profile, error) ||
      !cradle_cbor_map_get_bytes (request, 3, TRUE, &details, error) ||
      !cradle_cbor_map_get_uint (request, 4, TRUE, &kind, error))
    return NULL;
  if (kind != CRADLE_AGENT_ENROLLMENT_REQUEST && kind != CRADLE_AGENT_ENROLLMENT_SCEP)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "enrollment kind %" G_GUINT64_FORMAT " is not one this device knows: 1 (a "
                   "certification request) or 2 (SCEP)", kind);
      return NULL;
    }
  if (details != NULL && g_bytes_get_size (details) > 4096)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "the profile details are over 4 KiB");
      return NULL;
    }
  if (!g_strv_contains (cradle_agent_keystore_key_types (), key_type))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "this device cannot make %s keys", key_type);
      return NULL;
    }

  prompt = cradle_agent_prompt_generate_key (key_type, profile);
  if (!_cradle_agent_session_ask_user (session, CRADLE_CONFIRM_GENERATE_KEY, prompt, error))
    return NULL;
  _cradle_agent_session_send_keepalive (session, CRADLE_BRIDGE_PROCESSING, NULL);
  if (!generate_with_keepalives (session, key_type, profile, details, (CradleAgentEnrollmentKind) kind,
                                 &key_id, &spki, error))
    return NULL;

  writer = cradle_cbor_writer_new ();
  cradle_cbor_writer_map (writer, 2);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_bytes (writer, g_bytes_get_data (key_id, NULL), g_bytes_get_size (key_id));
  cradle_cbor_writer_uint (writer, 2);
  cradle_cbor_writer_bytes (writer, g_bytes_get_data (spki, NULL), g_bytes_get_size (spki));
  return _cradle_agent_session_reply (writer);
}

/* Purpose 1: the device user sees the subject and says yes; for a
 * renewal, also which of their certificates it renews. */
static gboolean
check_certification_request (CradleAgentSession  *session,
                             GBytes              *key_id,
                             GBytes              *data,
                             GError             **error)
{
  g_autoptr(GBytes) renewed = NULL;
  g_autofree char *prompt = NULL;

  /* Only a request for this very key, whatever the host says it is. */
  if (!cradle_agent_keystore_check_request (session->config->keystore, key_id, data, &renewed, error))
    return FALSE;
  prompt = renewed != NULL ? cradle_agent_prompt_renew (renewed, data, error) : cradle_agent_prompt_sign (data, error);
  return prompt != NULL && _cradle_agent_session_ask_user (session, CRADLE_CONFIRM_SIGN, prompt, error);
}

/* Purposes 2 and 3: no question of their own. They serve the SCEP
 * enrollment of a key whose making the user confirmed and whose request
 * the user confirmed, only for the host that made it, and the checks leave
 * them no other use: purpose 3 signs only over the SCEP envelope in
 * @content, for the key's own transaction. */
static gboolean
check_scep (CradleAgentSession  *session,
            guint64              purpose,
            GBytes              *key_id,
            const char          *digest,
            GBytes              *data,
            GBytes              *content,
            GError             **error)
{
  guint message_type = 0;

  if (purpose == CRADLE_BRIDGE_PURPOSE_SCEP_SIGNER)
    {
      if (!cradle_agent_keystore_check_scep_signer (session->config->keystore, key_id, session->host_id,
                                                    digest, data, error))
        return FALSE;
      g_info ("Signing the SCEP signer certificate of a key in its SCEP enrollment");
      return TRUE;
    }
  if (!cradle_agent_keystore_check_scep_message (session->config->keystore, key_id, session->host_id,
                                                 digest, data, content, &message_type, error))
    return FALSE;
  g_info ("Signing a SCEP %s for a key in its SCEP enrollment", message_type == 19 ? "PKCSReq" : "CertPoll");
  return TRUE;
}

static GBytes *
handle_sign (CradleAgentSession     *session,
             const CradleCborValue  *request,
             GError                **error)
{
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) data = NULL;
  g_autoptr(GBytes) content = NULL;
  g_autoptr(GBytes) content_key = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autofree char *algorithm = NULL;
  const char *digest = NULL;
  guint64 purpose = 0;
  CradleCborWriter *writer;

  if (!cradle_cbor_map_get_bytes (request, 1, FALSE, &key_id, error) ||
      !cradle_cbor_map_get_uint (request, 2, FALSE, &purpose, error) ||
      !cradle_cbor_map_get_bytes (request, 3, FALSE, &data, error) ||
      !cradle_cbor_map_get_text (request, 4, FALSE, &digest, error) ||
      !cradle_cbor_map_get_bytes (request, 5, TRUE, &content, error) ||
      !cradle_cbor_map_get_bytes (request, 6, TRUE, &content_key, error))
    return NULL;
  if (purpose != CRADLE_BRIDGE_PURPOSE_CERTIFICATION_REQUEST &&
      purpose != CRADLE_BRIDGE_PURPOSE_SCEP_SIGNER &&
      purpose != CRADLE_BRIDGE_PURPOSE_SCEP_MESSAGE &&
      purpose != CRADLE_BRIDGE_PURPOSE_RENEWAL &&
      purpose != CRADLE_BRIDGE_PURPOSE_SCEP_RENEWAL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "signing purpose %" G_GUINT64_FORMAT " is not supported; this device signs "
                   "certification requests (1), SCEP messages (2, 3) and renewals (4, 5) only", purpose);
      return NULL;
    }
  if (!cradle_agent_keystore_has_key (session->config->keystore, key_id))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND, "no key with that id on this device");
      return NULL;
    }
  if (purpose == CRADLE_BRIDGE_PURPOSE_RENEWAL || purpose == CRADLE_BRIDGE_PURPOSE_SCEP_RENEWAL)
    {
      guint message_type = 0;

      /* No question of their own: the user confirmed this renewal (purpose 1). */
      signature = cradle_agent_keystore_sign_renewal (session->config->keystore, key_id, session->host_id,
                                                      (guint) purpose, digest, data, content, content_key,
                                                      &algorithm, &message_type, error);
      if (signature == NULL)
        return NULL;
      g_info ("Signed a renewal the device's user confirmed with the renewed certificate's key (%s)",
              purpose == CRADLE_BRIDGE_PURPOSE_RENEWAL ? "CMS"
              : message_type == 17 ? "SCEP RenewalReq" : "SCEP CertPoll");
    }
  else if (purpose == CRADLE_BRIDGE_PURPOSE_CERTIFICATION_REQUEST)
    {
      if (!check_certification_request (session, key_id, data, error))
        return NULL;
      signature = cradle_agent_keystore_sign_request (session->config->keystore, key_id, session->host_id,
                                                      digest, data, &algorithm, error);
    }
  else
    {
      if (!check_scep (session, purpose, key_id, digest, data, content, error))
        return NULL;
      signature = cradle_agent_keystore_sign (session->config->keystore, key_id, digest, data, &algorithm, error);
    }
  if (signature == NULL)
    return NULL;

  writer = cradle_cbor_writer_new ();
  cradle_cbor_writer_map (writer, 2);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_bytes (writer, g_bytes_get_data (signature, NULL), g_bytes_get_size (signature));
  cradle_cbor_writer_uint (writer, 2);
  cradle_cbor_writer_text (writer, algorithm);
  return _cradle_agent_session_reply (writer);
}

static GBytes *
handle_decrypt (CradleAgentSession     *session,
                const CradleCborValue  *request,
                GError                **error)
{
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) encrypted_key = NULL;
  g_autoptr(GBytes) key = NULL;
  guint64 purpose = 0;
  guint64 key_size = 0;
  CradleCborWriter *writer;

  if (!cradle_cbor_map_get_bytes (request, 1, FALSE, &key_id, error) ||
      !cradle_cbor_map_get_uint (request, 2, FALSE, &purpose, error) ||
      !cradle_cbor_map_get_bytes (request, 3, FALSE, &encrypted_key, error) ||
      !cradle_cbor_map_get_uint (request, 4, FALSE, &key_size, error))
    return NULL;
  if (purpose != CRADLE_BRIDGE_DECRYPT_SCEP_CONTENT_KEY)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "decryption purpose %" G_GUINT64_FORMAT " is not supported; this device decrypts "
                   "the content-encryption key of a SCEP answer (1) only", purpose);
      return NULL;
    }
  if (!cradle_agent_keystore_has_key (session->config->keystore, key_id))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND, "no key with that id on this device");
      return NULL;
    }
  key = cradle_agent_keystore_unwrap_key (session->config->keystore, key_id, session->host_id, encrypted_key,
                                          (gsize) MIN (key_size, G_MAXSIZE), error);
  if (key == NULL)
    return NULL;
  g_info ("Decrypted the content-encryption key of a SCEP answer (an enrollment's or a renewal's)");

  writer = cradle_cbor_writer_new ();
  cradle_cbor_writer_map (writer, 1);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_bytes (writer, g_bytes_get_data (key, NULL), g_bytes_get_size (key));
  return _cradle_agent_session_reply (writer);
}

/* ---- pairing and authentication (docs/bridge-protocol.md, section 5) ---- */

static void
set_host (CradleAgentSession *session,
          GBytes             *host_key)
{
  g_autofree char *fingerprint = NULL;
  guint8 id[CRADLE_BRIDGE_HASH_SIZE];
  gsize size = sizeof id;
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);

  g_clear_pointer (&session->host_key, g_bytes_unref);
  g_clear_pointer (&session->host_id, g_bytes_unref);
  if (host_key == NULL)
    return;
  g_checksum_update (checksum, g_bytes_get_data (host_key, NULL), g_bytes_get_size (host_key));
  g_checksum_get_digest (checksum, id, &size);
  session->host_key = g_bytes_ref (host_key);
  session->host_id = g_bytes_new (id, size);
}

static GBytes *
handle_authenticate (CradleAgentSession     *session,
                     const CradleCborValue  *request,
                     GError                **error)
{
  g_autoptr(GBytes) host_key = NULL;
  GBytes *reply;

  if (session->host_key != NULL || session->pairing != NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "this session is authenticated or pairing already");
      return NULL;
    }
  reply = cradle_agent_authenticate (session->config->identity, session->nonce, session->config->folder,
                                     session->config->host_expiry_days, request, &host_key,
                                     &session->next_seal, error);
  if (reply != NULL)
    set_host (session, host_key);
  return reply;
}

static GBytes *
handle_pair_start (CradleAgentSession     *session,
                   const CradleCborValue  *request,
                   GError                **error)
{
  GBytes *reply = NULL;

  if (session->host_key != NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "this computer is paired and authenticated already");
      return NULL;
    }
  g_clear_pointer (&session->pairing, cradle_agent_pairing_free);
  session->pairing = cradle_agent_pairing_start (session->config->identity, session->nonce, request,
                                                 &reply, error);
  return session->pairing != NULL ? reply : NULL;
}

static GBytes *
handle_pair_reveal (CradleAgentSession     *session,
                    const CradleCborValue  *request,
                    GError                **error)
{
  if (session->pairing == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "PAIR_REVEAL before PAIR_START");
      return NULL;
    }
  return cradle_agent_pairing_reveal (session->pairing, request, error);
}

static GBytes *
handle_pair_confirm (CradleAgentSession     *session,
                     const CradleCborValue  *request,
                     GError                **error)
{
  g_autoptr(CradleAgentPairing) pairing = g_steal_pointer (&session->pairing);
  g_autofree char *prompt = NULL;
  const char *code;
  GBytes *reply;

  /* One try per PAIR_START: a failed or declined pairing starts over. */
  if (pairing == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "PAIR_CONFIRM before PAIR_START");
      return NULL;
    }
  if (!cradle_agent_pairing_check_host (pairing, request, error))
    return NULL;
  code = cradle_agent_pairing_get_code (pairing);
  prompt = cradle_agent_prompt_pair (cradle_agent_pairing_get_host_name (pairing),
                                     cradle_agent_pairing_get_user_name (pairing), code);
  if (!_cradle_agent_session_ask_user (session, CRADLE_CONFIRM_PAIR, prompt, error))
    return NULL;
  if (!cradle_agent_hosts_add (session->config->folder, cradle_agent_pairing_get_host_key (pairing),
                               cradle_agent_pairing_get_host_name (pairing),
                               cradle_agent_pairing_get_user_name (pairing), error))
    return NULL;
  reply = cradle_agent_pairing_finish (pairing, &session->next_seal, error);
  if (reply == NULL)
    return NULL;
  g_info ("Paired with a computer (%s)", cradle_agent_pairing_get_code (pairing));
  set_host (session, cradle_agent_pairing_get_host_key (pairing));
  return reply;
}

static GBytes *
handle_forget_host (CradleAgentSession     *session,
                    const CradleCborValue  *request,
                    GError                **error)
{
  guint removed = 0;

  if (!cradle_agent_hosts_remove (session->config->folder, session->host_key, NULL, &removed, error))
    return NULL;
  g_info ("The host asked to be forgotten (%u entry removed)", removed);
  set_host (session, NULL);
  return _cradle_agent_session_empty_reply ();
}

typedef GBytes *(*Handler) (CradleAgentSession *, const CradleCborValue *, GError **);

static Handler
handler_for (guint8 type)
{
  switch (type)
    {
    case CRADLE_BRIDGE_HELLO: return handle_hello;
    case CRADLE_BRIDGE_GET_INFO: return handle_get_info;
    case CRADLE_BRIDGE_GENERATE_KEY: return handle_generate_key;
    case CRADLE_BRIDGE_SIGN: return handle_sign;
    case CRADLE_BRIDGE_LIST_CERTS: return _cradle_agent_session_handle_list_certs;
    case CRADLE_BRIDGE_INSTALL: return _cradle_agent_session_handle_install;
    case CRADLE_BRIDGE_DELETE_KEY: return _cradle_agent_session_handle_delete_key;
    case CRADLE_BRIDGE_DELETE_CERT: return _cradle_agent_session_handle_delete_cert;
    case CRADLE_BRIDGE_DECRYPT: return handle_decrypt;
    case CRADLE_BRIDGE_IMPORT_KEY: return _cradle_agent_session_handle_import_key;
    case CRADLE_BRIDGE_PAIR_START: return handle_pair_start;
    case CRADLE_BRIDGE_PAIR_REVEAL: return handle_pair_reveal;
    case CRADLE_BRIDGE_PAIR_CONFIRM: return handle_pair_confirm;
    case CRADLE_BRIDGE_AUTHENTICATE: return handle_authenticate;
    case CRADLE_BRIDGE_FORGET_HOST: return handle_forget_host;
    default: return NULL;
    }
}

/* What a host that is not authenticated may ask: enough to greet the
 * device, say which device it is, and pair or prove a pairing. */
static gboolean
allowed_unpaired (guint8 type)
{
  switch (type)
    {
    case CRADLE_BRIDGE_HELLO:
    case CRADLE_BRIDGE_GET_INFO:
    case CRADLE_BRIDGE_PAIR_START:
    case CRADLE_BRIDGE_PAIR_REVEAL:
    case CRADLE_BRIDGE_PAIR_CONFIRM:
    case CRADLE_BRIDGE_AUTHENTICATE:
      return TRUE;
    default:
      return FALSE;
    }
}

static void
serve_request (CradleAgentSession *session,
               CradleBridgeFrame  *frame)
{
  Handler handler = handler_for (frame->header.type);
  g_autoptr(CradleCborValue) request = NULL;
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GError) error = NULL;

  session->request_id = frame->header.request_id;
  if (frame->header.type == CRADLE_BRIDGE_CANCEL)
    return;   /* nothing is running: nothing to cancel */
  if (handler == NULL || (frame->header.flags & CRADLE_BRIDGE_FLAG_RESPONSE) != 0)
    {
      send_error (session, frame->header.request_id, CRADLE_BRIDGE_E_UNSUPPORTED,
                  "the device does not take this message from the host");
      return;
    }
  if (frame->header.request_id == 0)
    {
      send_error (session, 0, CRADLE_BRIDGE_E_MALFORMED, "request id 0 is reserved");
      return;
    }
  if (!session->greeted && frame->header.type != CRADLE_BRIDGE_HELLO)
    {
      send_error (session, frame->header.request_id, CRADLE_BRIDGE_E_NOT_READY, "send HELLO first");
      return;
    }
  if (session->host_key == NULL && !allowed_unpaired (frame->header.type))
    {
      send_error (session, frame->header.request_id, CRADLE_BRIDGE_E_NOT_PAIRED,
                  "this device does not trust this computer yet: pair first (the device's user "
                  "is asked to trust it)");
      return;
    }
  request = cradle_cbor_decode_map (g_bytes_get_data (frame->payload, NULL),
                                    g_bytes_get_size (frame->payload), &error);
  if (request == NULL)
    {
      send_error (session, frame->header.request_id, CRADLE_BRIDGE_E_MALFORMED, error->message);
      return;
    }

  reply = handler (session, request, &error);
  /* The request carried a private key: its bytes (the decoded copy is
   * wiped by the handler) go now, whatever the answer. */
  if (frame->header.type == CRADLE_BRIDGE_IMPORT_KEY)
    _cradle_agent_session_wipe_bytes (frame->payload);
  if (reply == NULL)
    {
      /* A malformed field is the host's fault, whatever the handler was doing. */
      if (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA) &&
          g_str_has_prefix (error->message, "Malformed message"))
        send_error (session, frame->header.request_id, CRADLE_BRIDGE_E_MALFORMED, error->message);
      else if (frame->header.type == CRADLE_BRIDGE_HELLO &&
               g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED))
        send_error (session, frame->header.request_id, CRADLE_BRIDGE_E_UNSUPPORTED_VERSION, error->message);
      else if (frame->header.type == CRADLE_BRIDGE_LIST_CERTS &&
               g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED))
        send_error (session, frame->header.request_id, CRADLE_BRIDGE_E_TOO_LARGE, error->message);
      else if (frame->header.type == CRADLE_BRIDGE_GENERATE_KEY &&
               g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED))
        send_error (session, frame->header.request_id, CRADLE_BRIDGE_E_UNSUPPORTED_KEY_TYPE, error->message);
      else
        send_gerror (session, frame->header.request_id, error);
      return;
    }
  send_frame (session, frame->header.type, CRADLE_BRIDGE_FLAG_RESPONSE, frame->header.request_id, reply);
  /* The answer that authenticates goes out in clear; everything after is sealed. */
  if (session->next_seal != NULL)
    cradle_bridge_transport_set_seal (session->transport, g_steal_pointer (&session->next_seal));
}

void
cradle_agent_session_run (CradleAgentConfig     *config,
                          CradleBridgeTransport *transport)
{
  CradleAgentSession session = { .config = config, .transport = transport };
  gint64 last_request = g_get_monotonic_time ();
  gboolean trimmed = FALSE;

  g_info ("Session opened on %s", cradle_bridge_transport_get_id (transport));
  for (;;)
    {
      g_autoptr(CradleBridgeFrame) frame = NULL;
      g_autoptr(GError) error = NULL;
      guint wait_ms = config->idle_seconds > 0 ? 1000 : 60 * 1000;

      /* A host may sit idle between requests as long as it likes, unless
       * it keeps another host waiting (config->idle_seconds).  Once a
       * request is answered and the host is quiet a moment, the agent
       * gives back the pages it does not need while it waits. */
      frame = cradle_bridge_transport_receive_frame (transport, trimmed ? wait_ms : CRADLE_AGENT_TRIM_AFTER_MS,
                                                     NULL, &error);
      if (frame == NULL)
        {
          if (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_TIMED_OUT))
            {
              if (!trimmed)
                {
                  guint released = cradle_agent_trim_working_set ();

                  g_debug ("Idle: released %u read-only segments", released);
                  trimmed = TRUE;
                }
              if (config->idle_seconds > 0
                  && g_get_monotonic_time () - last_request >= (gint64) config->idle_seconds * G_USEC_PER_SEC
                  && (config->waiting_hosts == NULL || g_atomic_int_get (config->waiting_hosts) > 0))
                {
                  g_info ("No request for %u s and another host waits: closing the session",
                          config->idle_seconds);
                  break;
                }
              continue;
            }
          if (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE))
            break;
          /* The framing is broken: say so once, then end this session only. */
          send_error (&session, 0, CRADLE_BRIDGE_E_MALFORMED, error->message);
          break;
        }
      serve_request (&session, frame);
      last_request = g_get_monotonic_time ();
      trimmed = FALSE;
    }
  cradle_bridge_transport_close (transport);
  g_clear_pointer (&session.nonce, g_bytes_unref);
  g_clear_pointer (&session.pairing, cradle_agent_pairing_free);
  g_clear_pointer (&session.next_seal, cradle_bridge_seal_free);
  set_host (&session, NULL);
  g_info ("Session closed");
}

void
cradle_agent_session_refuse_busy (CradleBridgeTransport *transport)
{
  g_autoptr(GBytes) payload = cradle_bridge_error_payload (CRADLE_BRIDGE_E_BUSY,
                                                           "the device is in a session with another host");
  g_autoptr(GBytes) frame = cradle_bridge_frame_encode (CRADLE_BRIDGE_ERROR, CRADLE_BRIDGE_FLAG_RESPONSE,
                                                        0, payload);

  /* The host that cannot be told sees the connection close instead. */
  if (!cradle_bridge_transport_send (transport, frame, NULL, NULL))
    g_debug ("A host was turned away without the busy answer");
  cradle_bridge_transport_close (transport);
}
