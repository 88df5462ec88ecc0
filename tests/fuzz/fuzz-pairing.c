/* fuzz-pairing.c: libFuzzer harness for what a device reads from a host that
 * is not authenticated yet: PAIR_START, PAIR_REVEAL, PAIR_CONFIRM and
 * AUTHENTICATE (docs/bridge-protocol.md, section 5; bridge/agent/cradle-agent-pairing.c)
 *
 * The first byte picks the message, modulo 5; the rest is its CBOR map:
 * 0, PAIR_START, then a good PAIR_REVEAL; 1, PAIR_REVEAL after a good
 * PAIR_START; 2, PAIR_CONFIRM after both; 3, AUTHENTICATE with a folder whose
 * hosts file lists the host key below, used just now; 4, the same with that
 * host unused for years. Whatever arrives, the device answers or refuses
 * with an error; it never accepts a signature it did not check, and when
 * the exchange goes through, the device's code, signature and seal are the
 * ones the host computes from what it sent and received. */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <openssl/evp.h>
#include <cradle/cradle.h>

#include "agent/cradle-agent-pairing-private.h"
#include "agent/cradle-agent-prompt-private.h"
#include "base/cradle-openssl-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

/* The host's keys (raw private keys), the session's HELLO nonce: the
 * corpus's AUTHENTICATE requests are signed for these. */
#define HOST_IDENTITY_SEED  0x11
#define HOST_EPHEMERAL_SEED 0x22

static struct {
  EVP_PKEY *device;            /* the device's identity */
  EVP_PKEY *host;              /* the host's identity */
  EVP_PKEY *host_ephemeral;
  GBytes   *host_key;
  GBytes   *host_ephemeral_public;
  GBytes   *session_nonce;
  char     *folder;            /* holds `hosts` */
} fixture;

/* In memory when it can be: the agent syncs each file it writes. */
static char *
make_folder (const char *template)
{
  g_autofree char *in_memory = g_build_filename ("/dev/shm", template, NULL);

  if (g_mkdtemp (in_memory) != NULL)
    return g_steal_pointer (&in_memory);
  return g_dir_make_tmp (template, NULL);
}

static void
remove_folder (void)
{
  g_autofree char *hosts = g_build_filename (fixture.folder, "hosts", NULL);
  g_autofree char *lock = g_build_filename (fixture.folder, "hosts.lock", NULL);

  g_unlink (hosts);
  g_unlink (lock);
  g_rmdir (fixture.folder);
}

static EVP_PKEY *
private_key (int    type,
             guint8 fill)
{
  guint8 raw[32];
  EVP_PKEY *key;

  memset (raw, fill, sizeof raw);
  key = EVP_PKEY_new_raw_private_key (type, NULL, raw, sizeof raw);
  g_assert (key != NULL);
  return key;
}

static void
set_up (void)
{
  guint8 nonce[CRADLE_BRIDGE_NONCE_SIZE];

  if (fixture.device != NULL)
    return;
  fixture.device = cradle_bridge_identity_generate (NULL);
  g_assert (fixture.device != NULL);
  fixture.host = private_key (EVP_PKEY_ED25519, HOST_IDENTITY_SEED);
  fixture.host_ephemeral = private_key (EVP_PKEY_X25519, HOST_EPHEMERAL_SEED);
  fixture.host_key = cradle_bridge_key_raw_public (fixture.host);
  fixture.host_ephemeral_public = cradle_bridge_key_raw_public (fixture.host_ephemeral);
  for (guint i = 0; i < sizeof nonce; i++)
    nonce[i] = i;
  fixture.session_nonce = g_bytes_new (nonce, sizeof nonce);
  fixture.folder = make_folder ("cradle-fuzz-pairing-XXXXXX");
  g_assert (fixture.folder != NULL);
  atexit (remove_folder);
}

static CradleCborValue *
decode (GBytes *bytes)
{
  g_autoptr(GError) error = NULL;
  CradleCborValue *map = cradle_cbor_decode_map (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                                 &error);

  g_assert_no_error (error);
  return map;
}

static GBytes *
get_bytes (const CradleCborValue *map,
           guint                  key,
           gsize                  size)
{
  GBytes *bytes = NULL;

  g_assert (cradle_cbor_map_get_bytes (map, key, FALSE, &bytes, NULL));
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, size);
  return bytes;
}

static CradleCborValue *
good_start (void)
{
  g_autoptr(CradleCborWriter) writer = cradle_cbor_writer_new ();
  g_autoptr(GBytes) bytes = NULL;

  cradle_cbor_writer_map (writer, 4);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_bytes (writer, g_bytes_get_data (fixture.host_key, NULL), CRADLE_BRIDGE_KEY_SIZE);
  cradle_cbor_writer_uint (writer, 2);
  cradle_cbor_writer_bytes (writer, g_bytes_get_data (fixture.host_ephemeral_public, NULL), CRADLE_BRIDGE_KEY_SIZE);
  cradle_cbor_writer_uint (writer, 3);
  cradle_cbor_writer_text (writer, "workstation");
  cradle_cbor_writer_uint (writer, 4);
  cradle_cbor_writer_text (writer, "alice");
  bytes = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
  return decode (bytes);
}

static CradleCborValue *
good_reveal (void)
{
  g_autoptr(CradleCborWriter) writer = cradle_cbor_writer_new ();
  g_autoptr(GBytes) bytes = NULL;
  guint8 nonce[CRADLE_BRIDGE_NONCE_SIZE];

  memset (nonce, 0x4e, sizeof nonce);
  cradle_cbor_writer_map (writer, 1);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_bytes (writer, nonce, sizeof nonce);
  bytes = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
  return decode (bytes);
}

static CradleCborValue *
signature_request (const guint8 *hash)
{
  g_autoptr(CradleCborWriter) writer = cradle_cbor_writer_new ();
  g_autoptr(GBytes) signature = cradle_bridge_identity_sign (fixture.host, hash, NULL);
  g_autoptr(GBytes) bytes = NULL;

  g_assert (signature != NULL);
  cradle_cbor_writer_map (writer, 1);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_bytes (writer, g_bytes_get_data (signature, NULL), g_bytes_get_size (signature));
  bytes = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
  return decode (bytes);
}

/* The device's signature in @reply verifies over @hash. */
static void
check_device_signature (const CradleCborValue *reply,
                        guint                  key,
                        const guint8          *hash)
{
  g_autoptr(GBytes) signature = get_bytes (reply, key, CRADLE_BRIDGE_SIGNATURE_SIZE);

  g_assert (cradle_bridge_identity_verify (fixture.device, hash, signature, NULL));
}

/* The host's seal, made from what it sent and heard, and the device's agree
 * both ways, and a replayed frame is refused. */
static void
check_seals (CradleBridgeSeal *device_seal,
             GBytes           *device_ephemeral_public,
             const guint8     *hash)
{
  g_autoptr(EVP_PKEY) device_ephemeral = cradle_bridge_ephemeral_from_raw (device_ephemeral_public, NULL);
  g_autoptr(CradleBridgeSeal) host_seal = NULL;
  g_autoptr(GBytes) payload = g_bytes_new_static ("\xa1\x01\x01", 3);
  g_autoptr(GBytes) plain = cradle_bridge_frame_encode (CRADLE_BRIDGE_LIST_CERTS, 0, 1, payload);
  g_autoptr(GBytes) sealed = NULL;
  g_autoptr(GBytes) answer = NULL;
  CradleBridgeFrame frame = { 0 };

  g_assert (device_ephemeral != NULL);
  host_seal = cradle_bridge_seal_new (fixture.host_ephemeral, device_ephemeral, hash, TRUE, NULL);
  g_assert (host_seal != NULL);

  sealed = cradle_bridge_seal_frame (host_seal, plain, NULL);
  g_assert (sealed != NULL);
  g_assert (cradle_bridge_header_decode (g_bytes_get_data (sealed, NULL), g_bytes_get_size (sealed),
                                         &frame.header, NULL));
  frame.payload = g_bytes_new_from_bytes (sealed, CRADLE_BRIDGE_HEADER_SIZE, frame.header.length);
  g_assert (cradle_bridge_seal_open (device_seal, &frame, NULL));
  g_assert (g_bytes_equal (frame.payload, payload));
  g_clear_pointer (&frame.payload, g_bytes_unref);
  frame.header.length += CRADLE_BRIDGE_SEAL_SIZE;
  frame.header.flags |= CRADLE_BRIDGE_FLAG_SEALED;
  frame.payload = g_bytes_new_from_bytes (sealed, CRADLE_BRIDGE_HEADER_SIZE, frame.header.length);
  g_assert (!cradle_bridge_seal_open (device_seal, &frame, NULL));
  g_clear_pointer (&frame.payload, g_bytes_unref);

  answer = cradle_bridge_seal_frame (device_seal, plain, NULL);
  g_assert (answer != NULL);
  g_assert (cradle_bridge_header_decode (g_bytes_get_data (answer, NULL), g_bytes_get_size (answer),
                                         &frame.header, NULL));
  frame.payload = g_bytes_new_from_bytes (answer, CRADLE_BRIDGE_HEADER_SIZE, frame.header.length);
  g_assert (cradle_bridge_seal_open (host_seal, &frame, NULL));
  g_clear_pointer (&frame.payload, g_bytes_unref);
}

static void
check_prompt (CradleAgentPairing *pairing)
{
  const char *code = cradle_agent_pairing_get_code (pairing);
  g_autofree char *prompt = NULL;

  g_assert (strlen (code) == CRADLE_BRIDGE_CODE_DIGITS);
  for (const char *p = code; *p != '\0'; p++)
    g_assert (g_ascii_isdigit (*p));
  prompt = cradle_agent_prompt_pair (cradle_agent_pairing_get_host_name (pairing),
                                     cradle_agent_pairing_get_user_name (pairing), code);
  g_assert (g_utf8_validate (prompt, -1, NULL));
  for (const char *p = prompt; *p != '\0'; p++)
    g_assert (*p == '\n' || ((guchar) *p >= 0x20 && *p != 0x7f));
}

/* PAIR_START, PAIR_REVEAL and PAIR_CONFIRM; a NULL @confirm is the host's
 * real signature over the transcript. */
static void
run_pairing (const CradleCborValue *start,
             const CradleCborValue *reveal,
             const CradleCborValue *confirm)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) start_bytes = NULL;
  g_autoptr(GBytes) reveal_bytes = NULL;
  g_autoptr(GBytes) again = NULL;
  g_autoptr(CradleAgentPairing) pairing = NULL;
  g_autoptr(CradleCborValue) start_reply = NULL;
  g_autoptr(CradleCborValue) reveal_reply = NULL;
  g_autoptr(CradleCborValue) own_confirm = NULL;
  g_autoptr(GBytes) device_key = NULL;
  g_autoptr(GBytes) device_ephemeral = NULL;
  g_autoptr(GBytes) commitment = NULL;
  g_autoptr(GBytes) host_key = NULL;
  g_autoptr(GBytes) host_ephemeral = NULL;
  g_autoptr(GBytes) host_nonce = NULL;
  g_autoptr(GBytes) device_nonce = NULL;
  g_autoptr(GBytes) device_key_expected = cradle_bridge_key_raw_public (fixture.device);
  g_autoptr(CradleBridgeTranscript) transcript = NULL;
  g_autofree char *code = NULL;
  const char *host_name = NULL, *user_name = NULL;
  guint8 expected_commitment[CRADLE_BRIDGE_HASH_SIZE];
  guint8 hash[CRADLE_BRIDGE_HASH_SIZE];
  gboolean checked;

  pairing = cradle_agent_pairing_start (fixture.device, fixture.session_nonce, start, &start_bytes, &error);
  g_assert ((pairing == NULL) == (error != NULL));
  if (pairing == NULL)
    return;
  start_reply = decode (start_bytes);
  device_key = get_bytes (start_reply, 1, CRADLE_BRIDGE_KEY_SIZE);
  device_ephemeral = get_bytes (start_reply, 2, CRADLE_BRIDGE_KEY_SIZE);
  commitment = get_bytes (start_reply, 3, CRADLE_BRIDGE_HASH_SIZE);
  g_assert (g_bytes_equal (device_key, device_key_expected));

  /* No confirmation before the nonces are known. */
  checked = cradle_agent_pairing_check_host (pairing, confirm != NULL ? confirm : start, &error);
  g_assert (!checked && error != NULL);
  g_clear_error (&error);

  reveal_bytes = cradle_agent_pairing_reveal (pairing, reveal, &error);
  g_assert ((reveal_bytes == NULL) == (error != NULL));
  if (reveal_bytes == NULL)
    return;
  again = cradle_agent_pairing_reveal (pairing, reveal, &error);
  g_assert (again == NULL && error != NULL);
  g_clear_error (&error);
  check_prompt (pairing);

  /* The device committed to the nonce it revealed, and its code is the one
   * the host computes from what it sent and heard. */
  reveal_reply = decode (reveal_bytes);
  device_nonce = get_bytes (reveal_reply, 1, CRADLE_BRIDGE_NONCE_SIZE);
  cradle_bridge_pairing_commitment (device_key, device_ephemeral, device_nonce, expected_commitment);
  g_assert (memcmp (expected_commitment, g_bytes_get_data (commitment, NULL), sizeof expected_commitment) == 0);
  g_assert (cradle_cbor_map_get_bytes (start, 1, FALSE, &host_key, NULL));
  g_assert (cradle_cbor_map_get_bytes (start, 2, FALSE, &host_ephemeral, NULL));
  g_assert (cradle_cbor_map_get_text (start, 3, FALSE, &host_name, NULL));
  g_assert (cradle_cbor_map_get_text (start, 4, FALSE, &user_name, NULL));
  g_assert (cradle_cbor_map_get_bytes (reveal, 1, FALSE, &host_nonce, NULL));
  transcript = cradle_bridge_transcript_new ("cradle-bridge pair");
  cradle_bridge_transcript_add_bytes (transcript, fixture.session_nonce);
  cradle_bridge_transcript_add_bytes (transcript, host_key);
  cradle_bridge_transcript_add_bytes (transcript, host_ephemeral);
  cradle_bridge_transcript_add_text (transcript, host_name);
  cradle_bridge_transcript_add_text (transcript, user_name);
  cradle_bridge_transcript_add_bytes (transcript, device_key);
  cradle_bridge_transcript_add_bytes (transcript, device_ephemeral);
  cradle_bridge_transcript_add_bytes (transcript, commitment);
  cradle_bridge_transcript_add_bytes (transcript, host_nonce);
  cradle_bridge_transcript_add_bytes (transcript, device_nonce);
  cradle_bridge_transcript_hash (transcript, hash);
  code = cradle_bridge_pairing_code (hash);
  g_assert_cmpstr (code, ==, cradle_agent_pairing_get_code (pairing));

  if (confirm != NULL)
    {
      /* Made up: no one but the host can sign this transcript. */
      checked = cradle_agent_pairing_check_host (pairing, confirm, &error);
      g_assert (!checked && error != NULL);
      return;
    }

  /* The host's real signature: accepted only for the key PAIR_START named. */
  own_confirm = signature_request (hash);
  checked = cradle_agent_pairing_check_host (pairing, own_confirm, &error);
  g_assert (checked == g_bytes_equal (host_key, fixture.host_key));
  g_assert (checked == (error == NULL));
  if (checked)
    {
      g_autoptr(CradleBridgeSeal) seal = NULL;
      g_autoptr(GBytes) finish_bytes = cradle_agent_pairing_finish (pairing, &seal, &error);
      g_autoptr(CradleCborValue) finish_reply = NULL;

      g_assert_no_error (error);
      finish_reply = decode (finish_bytes);
      check_device_signature (finish_reply, 1, hash);
      if (g_bytes_equal (host_ephemeral, fixture.host_ephemeral_public))
        check_seals (seal, device_ephemeral, hash);
    }
}

/* The hosts file lists the fixture's host key, last used @last_used. */
static void
write_hosts (gint64 last_used)
{
  g_autoptr(CradleCborWriter) writer = cradle_cbor_writer_new ();
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *path = g_build_filename (fixture.folder, "hosts", NULL);

  cradle_cbor_writer_map (writer, 2);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_uint (writer, 2);
  cradle_cbor_writer_array (writer, 1);
  cradle_cbor_writer_map (writer, 5);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_bytes (writer, g_bytes_get_data (fixture.host_key, NULL), CRADLE_BRIDGE_KEY_SIZE);
  cradle_cbor_writer_uint (writer, 2);
  cradle_cbor_writer_text (writer, "workstation");
  cradle_cbor_writer_uint (writer, 3);
  cradle_cbor_writer_text (writer, "alice");
  cradle_cbor_writer_uint (writer, 4);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_uint (writer, 5);
  cradle_cbor_writer_uint (writer, (guint64) last_used);
  bytes = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
  g_assert (g_file_set_contents_full (path, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                     G_FILE_SET_CONTENTS_NONE, 0600, NULL));
}

static void
run_authenticate (const CradleCborValue *request,
                  gboolean               expired)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) host_key = NULL;
  g_autoptr(CradleBridgeSeal) seal = NULL;
  g_autoptr(GBytes) reply_bytes = NULL;
  g_autoptr(CradleCborValue) reply = NULL;
  g_autoptr(GBytes) device_key = NULL;
  g_autoptr(GBytes) device_key_expected = cradle_bridge_key_raw_public (fixture.device);
  g_autoptr(GBytes) device_ephemeral = NULL;
  g_autoptr(GBytes) host_ephemeral = NULL;
  g_autoptr(CradleBridgeTranscript) transcript = NULL;
  guint8 hash[CRADLE_BRIDGE_HASH_SIZE];

  write_hosts (expired ? 1 : g_get_real_time () / G_USEC_PER_SEC);
  reply_bytes = cradle_agent_authenticate (fixture.device, fixture.session_nonce, fixture.folder, 30,
                                           request, &host_key, &seal, &error);
  g_assert ((reply_bytes == NULL) == (error != NULL));
  if (reply_bytes == NULL)
    {
      g_assert (host_key == NULL);
      return;
    }
  /* Only the listed host, proving its key, is let in. */
  g_assert (!expired);
  g_assert (g_bytes_equal (host_key, fixture.host_key));
  g_assert (seal != NULL);

  reply = decode (reply_bytes);
  device_key = get_bytes (reply, 1, CRADLE_BRIDGE_KEY_SIZE);
  device_ephemeral = get_bytes (reply, 2, CRADLE_BRIDGE_KEY_SIZE);
  g_assert (g_bytes_equal (device_key, device_key_expected));
  g_assert (cradle_cbor_map_get_bytes (request, 2, FALSE, &host_ephemeral, NULL));
  transcript = cradle_bridge_transcript_new ("cradle-bridge authenticate");
  cradle_bridge_transcript_add_bytes (transcript, fixture.session_nonce);
  cradle_bridge_transcript_add_bytes (transcript, host_key);
  cradle_bridge_transcript_add_bytes (transcript, host_ephemeral);
  cradle_bridge_transcript_add_bytes (transcript, device_key);
  cradle_bridge_transcript_add_bytes (transcript, device_ephemeral);
  cradle_bridge_transcript_hash (transcript, hash);
  check_device_signature (reply, 3, hash);
  if (g_bytes_equal (host_ephemeral, fixture.host_ephemeral_public))
    check_seals (seal, device_ephemeral, hash);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(CradleCborValue) request = NULL;
  g_autoptr(CradleCborValue) start = NULL;
  g_autoptr(CradleCborValue) reveal = NULL;
  if (size < 1)
    return 0;
  set_up ();
  request = cradle_cbor_decode_map (data + 1, size - 1, NULL);
  if (request == NULL)
    return 0;
  start = good_start ();
  reveal = good_reveal ();

  switch (data[0] % 5)
    {
    case 0:
      run_pairing (request, reveal, NULL);
      break;
    case 1:
      run_pairing (start, request, NULL);
      break;
    case 2:
      run_pairing (start, reveal, request);
      break;
    default:
      run_authenticate (request, data[0] % 5 == 4);
      break;
    }
  return 0;
}
