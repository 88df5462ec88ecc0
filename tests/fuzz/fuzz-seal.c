/* fuzz-seal.c: libFuzzer harness for sealed frames (docs/bridge-protocol.md,
 * section 5.4; cradle_bridge_seal_open in bridge/protocol/cradle-bridge-pairing.c),
 * which both ends run on every frame of an authenticated session
 *
 * Both seals come from fixed X25519 keys and a fixed transcript, made anew
 * for each input so that counters start at 0. The first byte, modulo 3,
 * picks: 0, the rest is a stream of frames the device opens (host to
 * device); 1, the same for the host; 2, the rest is a frame's type and
 * payload, which the host seals and the device opens. A frame opens only
 * with a good MAC and the next counter; the first that does not ends the
 * session, as it does on both ends. */
#include "config.h"

#include <string.h>
#include <openssl/evp.h>
#include <cradle/cradle.h>

#include "protocol/cradle-bridge-frame-private.h"
#include "protocol/cradle-bridge-pairing-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

/* Raw X25519 private keys; the corpus was sealed with these. */
#define HOST_SEED   0x44
#define DEVICE_SEED 0x55

static EVP_PKEY *host_key, *host_public, *device_key, *device_public;
static guint8 transcript_hash[CRADLE_BRIDGE_HASH_SIZE];

static void
make_keys (guint8     fill,
           EVP_PKEY **private_key,
           EVP_PKEY **public_key)
{
  guint8 raw[32];
  g_autoptr(GBytes) public_raw = NULL;

  memset (raw, fill, sizeof raw);
  *private_key = EVP_PKEY_new_raw_private_key (EVP_PKEY_X25519, NULL, raw, sizeof raw);
  g_assert (*private_key != NULL);
  public_raw = cradle_bridge_key_raw_public (*private_key);
  *public_key = cradle_bridge_ephemeral_from_raw (public_raw, NULL);
  g_assert (*public_key != NULL);
}

static void
set_up (void)
{
  g_autoptr(CradleBridgeTranscript) transcript = NULL;

  if (host_key != NULL)
    return;
  make_keys (HOST_SEED, &host_key, &host_public);
  make_keys (DEVICE_SEED, &device_key, &device_public);
  transcript = cradle_bridge_transcript_new ("cradle-fuzz seal");
  cradle_bridge_transcript_hash (transcript, transcript_hash);
}

static CradleBridgeSeal *
make_seal (gboolean is_host)
{
  CradleBridgeSeal *seal = is_host ? cradle_bridge_seal_new (host_key, device_public, transcript_hash, TRUE, NULL)
                                   : cradle_bridge_seal_new (device_key, host_public, transcript_hash, FALSE, NULL);

  g_assert (seal != NULL);
  return seal;
}

/* Opens each frame of @data in turn, until one does not open. */
static void
open_stream (CradleBridgeSeal *seal,
             const guint8     *data,
             gsize             size)
{
  g_autoptr(CradleBridgeFrameReader) reader = cradle_bridge_frame_reader_new ();
  CradleBridgeFrame *frame;

  if (!cradle_bridge_frame_reader_feed (reader, data, size, NULL))
    return;
  while ((frame = cradle_bridge_frame_reader_pop (reader)) != NULL)
    {
      g_autoptr(CradleBridgeFrame) owned = frame;
      g_autoptr(GError) error = NULL;
      guint32 length = frame->header.length;
      gboolean opened = cradle_bridge_seal_open (seal, frame, &error);

      g_assert (opened == (error == NULL));
      if (!opened)
        return;
      g_assert ((frame->header.flags & CRADLE_BRIDGE_FLAG_SEALED) == 0);
      g_assert_cmpuint (frame->header.length, ==, length - CRADLE_BRIDGE_SEAL_SIZE);
      g_assert_cmpuint (g_bytes_get_size (frame->payload), ==, frame->header.length);
    }
}

/* The host seals @payload; the device opens it once, and only once. */
static void
round_trip (guint8        type,
            const guint8 *data,
            gsize         size)
{
  g_autoptr(CradleBridgeSeal) host = make_seal (TRUE);
  g_autoptr(CradleBridgeSeal) device = make_seal (FALSE);
  g_autoptr(GBytes) payload = g_bytes_new (data, size);
  g_autoptr(GBytes) plain = cradle_bridge_frame_encode (type, 0, 1, payload);
  g_autoptr(GBytes) sealed = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleBridgeFrameReader) reader = cradle_bridge_frame_reader_new ();
  g_autoptr(CradleBridgeFrame) frame = NULL;
  g_autoptr(CradleBridgeFrame) replayed = NULL;

  sealed = cradle_bridge_seal_frame (host, plain, &error);
  g_assert ((sealed == NULL) == (error != NULL));
  if (sealed == NULL)
    return;
  /* What the reader does not take (an unknown type) is not opened either. */
  if (!cradle_bridge_frame_reader_feed (reader, g_bytes_get_data (sealed, NULL), g_bytes_get_size (sealed), NULL) ||
      !cradle_bridge_frame_reader_feed (reader, g_bytes_get_data (sealed, NULL), g_bytes_get_size (sealed), NULL))
    return;
  frame = cradle_bridge_frame_reader_pop (reader);
  replayed = cradle_bridge_frame_reader_pop (reader);
  g_assert (frame != NULL && replayed != NULL);
  g_assert (cradle_bridge_seal_open (device, frame, &error));
  g_assert_no_error (error);
  g_assert (g_bytes_equal (frame->payload, payload));
  g_assert_cmpuint (frame->header.type, ==, type);
  g_assert (!cradle_bridge_seal_open (device, replayed, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  if (size < 1)
    return 0;
  set_up ();
  switch (data[0] % 3)
    {
    case 0:
    case 1:
      {
        g_autoptr(CradleBridgeSeal) seal = make_seal (data[0] % 3 == 1);

        open_stream (seal, data + 1, size - 1);
      }
      break;
    default:
      if (size >= 2)
        round_trip (data[1], data + 2, size - 2);
      break;
    }
  return 0;
}
