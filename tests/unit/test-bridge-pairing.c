/* test-bridge-pairing.c: sealed frames, codes, transcripts and the device's
 * list of trusted computers */
#include "config.h"

#include <glib/gstdio.h>
#include <cradle/cradle.h>

#include "test-files.h"
#include "agent/cradle-agent-hosts-private.h"
#include "agent/cradle-agent-pairing-private.h"
#include "protocol/cradle-bridge-cbor-private.h"
#include "protocol/cradle-bridge-pairing-private.h"
#include "base/cradle-openssl-private.h"

typedef struct {
  CradleBridgeSeal *host;
  CradleBridgeSeal *device;
} Seals;

static void
seals_make (Seals *seals)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EVP_PKEY) host = cradle_bridge_ephemeral_generate (&error);
  g_autoptr(EVP_PKEY) device = cradle_bridge_ephemeral_generate (&error);
  guint8 hash[CRADLE_BRIDGE_HASH_SIZE] = { 1, 2, 3 };

  g_assert_no_error (error);
  seals->host = cradle_bridge_seal_new (host, device, hash, TRUE, &error);
  g_assert_no_error (error);
  seals->device = cradle_bridge_seal_new (device, host, hash, FALSE, &error);
  g_assert_no_error (error);
}

static void
seals_clear (Seals *seals)
{
  g_clear_pointer (&seals->host, cradle_bridge_seal_free);
  g_clear_pointer (&seals->device, cradle_bridge_seal_free);
}

static CradleBridgeFrame *
parse (GBytes *bytes)
{
  g_autoptr(CradleBridgeFrameReader) reader = cradle_bridge_frame_reader_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (cradle_bridge_frame_reader_feed (reader, g_bytes_get_data (bytes, NULL),
                                                  g_bytes_get_size (bytes), &error));
  g_assert_no_error (error);
  return cradle_bridge_frame_reader_pop (reader);
}

static GBytes *
sealed_get_info (CradleBridgeSeal *seal,
                 guint32           id)
{
  g_autoptr(GBytes) payload = g_bytes_new_static ("\xa0", 1);
  g_autoptr(GBytes) frame = cradle_bridge_frame_encode (CRADLE_BRIDGE_GET_INFO, 0, id, payload);
  g_autoptr(GError) error = NULL;
  GBytes *sealed = cradle_bridge_seal_frame (seal, frame, &error);

  g_assert_no_error (error);
  return sealed;
}

static void
test_seal_round_trip (void)
{
  Seals seals = { 0 };
  g_autoptr(GError) error = NULL;

  seals_make (&seals);
  for (guint32 id = 1; id <= 3; id++)
    {
      g_autoptr(GBytes) sealed = sealed_get_info (seals.host, id);
      g_autoptr(CradleBridgeFrame) frame = parse (sealed);

      g_assert_cmpuint (frame->header.flags & CRADLE_BRIDGE_FLAG_SEALED, !=, 0);
      g_assert_cmpuint (g_bytes_get_size (sealed), ==, CRADLE_BRIDGE_HEADER_SIZE + 1 + CRADLE_BRIDGE_SEAL_SIZE);
      g_assert_true (cradle_bridge_seal_open (seals.device, frame, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (frame->header.request_id, ==, id);
      g_assert_cmpuint (frame->header.flags, ==, 0);
      g_assert_cmpuint (g_bytes_get_size (frame->payload), ==, 1);
      g_assert_cmpuint (((const guint8 *) g_bytes_get_data (frame->payload, NULL))[0], ==, 0xa0);
    }
  seals_clear (&seals);
}

/* Every byte of a sealed frame counts: header, payload, counter and MAC. */
static void
test_seal_tampered (void)
{
  Seals seals = { 0 };
  g_autoptr(GBytes) sealed = NULL;
  gsize size;

  seals_make (&seals);
  sealed = sealed_get_info (seals.host, 9);
  size = g_bytes_get_size (sealed);
  for (gsize i = 4; i < size; i++)
    {
      g_autoptr(GByteArray) copy = g_byte_array_new ();
      g_autoptr(GBytes) changed = NULL;
      g_autoptr(CradleBridgeFrameReader) reader = cradle_bridge_frame_reader_new ();
      g_autoptr(CradleBridgeFrame) frame = NULL;
      g_autoptr(GError) error = NULL;

      /* The header's own checks refuse some changes before the seal is read. */
      g_byte_array_append (copy, g_bytes_get_data (sealed, NULL), size);
      copy->data[i] ^= 0x01;
      changed = g_byte_array_free_to_bytes (g_steal_pointer (&copy));
      if (!cradle_bridge_frame_reader_feed (reader, g_bytes_get_data (changed, NULL), size, NULL))
        continue;
      frame = cradle_bridge_frame_reader_pop (reader);
      if (frame == NULL)
        continue;
      /* A failed open leaves the receiving counter where it was, so each
       * change meets a seal that expects exactly this frame. */
      g_assert_false (cradle_bridge_seal_open (seals.device, frame, &error));
      g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
    }
  seals_clear (&seals);
}

static void
test_seal_replay_and_order (void)
{
  Seals seals = { 0 };
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) second = NULL;
  g_autoptr(CradleBridgeFrame) frame = NULL;
  g_autoptr(CradleBridgeFrame) again = NULL;
  g_autoptr(CradleBridgeFrame) skipped = NULL;
  g_autoptr(GError) error = NULL;

  seals_make (&seals);
  first = sealed_get_info (seals.host, 1);
  second = sealed_get_info (seals.host, 2);

  /* Out of order: the second before the first. */
  skipped = parse (second);
  g_assert_false (cradle_bridge_seal_open (seals.device, skipped, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);

  frame = parse (first);
  g_assert_true (cradle_bridge_seal_open (seals.device, frame, &error));
  g_assert_no_error (error);
  /* The same frame again. */
  again = parse (first);
  g_assert_false (cradle_bridge_seal_open (seals.device, again, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  seals_clear (&seals);
}

static void
test_seal_direction_and_plain (void)
{
  Seals seals = { 0 };
  g_autoptr(GBytes) sealed = NULL;
  g_autoptr(GBytes) plain = cradle_bridge_frame_encode (CRADLE_BRIDGE_GET_INFO, 0, 1, NULL);
  g_autoptr(CradleBridgeFrame) own = NULL;
  g_autoptr(CradleBridgeFrame) unsealed = NULL;
  g_autoptr(GError) error = NULL;

  seals_make (&seals);
  /* The host's frame does not open with the host's own receiving key:
   * a frame cannot be reflected back to its sender. */
  sealed = sealed_get_info (seals.host, 1);
  own = parse (sealed);
  g_assert_false (cradle_bridge_seal_open (seals.host, own, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);

  unsealed = parse (plain);
  g_assert_false (cradle_bridge_seal_open (seals.device, unsealed, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  seals_clear (&seals);
}

static void
test_code_and_transcript (void)
{
  g_autoptr(CradleBridgeTranscript) a = cradle_bridge_transcript_new ("label");
  g_autoptr(CradleBridgeTranscript) b = cradle_bridge_transcript_new ("label");
  guint8 hash_a[CRADLE_BRIDGE_HASH_SIZE];
  guint8 hash_b[CRADLE_BRIDGE_HASH_SIZE];
  g_autofree char *code_a = NULL;
  g_autofree char *code_again = NULL;
  GHashTable *codes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  /* Fields are length-prefixed: "ab" + "c" is not "a" + "bc". */
  cradle_bridge_transcript_add_text (a, "ab");
  cradle_bridge_transcript_add_text (a, "c");
  cradle_bridge_transcript_add_text (b, "a");
  cradle_bridge_transcript_add_text (b, "bc");
  cradle_bridge_transcript_hash (a, hash_a);
  cradle_bridge_transcript_hash (b, hash_b);
  g_assert_false (memcmp (hash_a, hash_b, sizeof hash_a) == 0);

  code_a = cradle_bridge_pairing_code (hash_a);
  code_again = cradle_bridge_pairing_code (hash_a);
  g_assert_cmpstr (code_a, ==, code_again);
  g_assert_true (g_regex_match_simple ("^[0-9]{6}$", code_a, 0, 0));

  /* Spread over the six digits: 200 transcripts give 200 codes but for
   * the odd birthday collision. */
  for (guint i = 0; i < 200; i++)
    {
      guint8 hash[CRADLE_BRIDGE_HASH_SIZE] = { 0 };

      hash[0] = i & 0xff;
      hash[1] = i >> 8;
      g_hash_table_add (codes, cradle_bridge_pairing_code (hash));
    }
  g_assert_cmpuint (g_hash_table_size (codes), >=, 195);
  g_hash_table_unref (codes);
}

static void
test_commitment (void)
{
  g_autoptr(GBytes) key = g_bytes_new_take (g_malloc0 (32), 32);
  g_autoptr(GBytes) ephemeral = g_bytes_new_take (g_malloc0 (32), 32);
  guint8 one[32] = { 1 }, two[32] = { 2 };
  g_autoptr(GBytes) nonce_one = g_bytes_new (one, sizeof one);
  g_autoptr(GBytes) nonce_two = g_bytes_new (two, sizeof two);
  guint8 c1[CRADLE_BRIDGE_HASH_SIZE], c2[CRADLE_BRIDGE_HASH_SIZE], c3[CRADLE_BRIDGE_HASH_SIZE];

  cradle_bridge_pairing_commitment (key, ephemeral, nonce_one, c1);
  cradle_bridge_pairing_commitment (key, ephemeral, nonce_two, c2);
  cradle_bridge_pairing_commitment (key, ephemeral, nonce_one, c3);
  g_assert_false (memcmp (c1, c2, sizeof c1) == 0);
  g_assert_true (memcmp (c1, c3, sizeof c1) == 0);
}

static void
test_identity_sign_verify (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(EVP_PKEY) key = cradle_bridge_identity_generate (&error);
  g_autoptr(EVP_PKEY) other = cradle_bridge_identity_generate (&error);
  g_autoptr(GBytes) raw = NULL;
  g_autoptr(EVP_PKEY) public_key = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GBytes) short_key = g_bytes_new_static ("short", 5);
  guint8 hash[CRADLE_BRIDGE_HASH_SIZE] = { 7 };

  g_assert_no_error (error);
  raw = cradle_bridge_key_raw_public (key);
  public_key = cradle_bridge_identity_from_raw (raw, &error);
  g_assert_no_error (error);
  signature = cradle_bridge_identity_sign (key, hash, &error);
  g_assert_no_error (error);
  g_assert_true (cradle_bridge_identity_verify (public_key, hash, signature, &error));
  g_assert_no_error (error);
  g_assert_false (cradle_bridge_identity_verify (other, hash, signature, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  hash[0] = 8;
  g_assert_false (cradle_bridge_identity_verify (public_key, hash, signature, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_null (cradle_bridge_identity_from_raw (short_key, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
}

static GBytes *
host_key (guint8 tag)
{
  guint8 raw[CRADLE_BRIDGE_KEY_SIZE] = { tag };

  return g_bytes_new (raw, sizeof raw);
}

static void
test_hosts_file (void)
{
  g_autofree char *folder = g_dir_make_tmp ("cradle-hosts-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (folder, "hosts", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) hosts = NULL;
  g_autoptr(GBytes) first = host_key (1);
  g_autoptr(GBytes) unknown = host_key (99);
  g_autoptr(CradleAgentHost) found = NULL;
  g_autoptr(CradleAgentHost) missing = NULL;
  g_autofree char *id = NULL;
  guint removed = 0;
  GStatBuf st;

  for (guint8 i = 1; i <= CRADLE_AGENT_HOSTS_MAX + 2; i++)
    {
      g_autoptr(GBytes) key = host_key (i);
      g_autofree char *name = g_strdup_printf ("desk-%u", i);

      g_assert_true (cradle_agent_hosts_add (folder, key, name, "alice", &error));
      g_assert_no_error (error);
      /* The first one stays in use; it must survive the limit. */
      if (i > 1)
        {
          g_autoptr(CradleAgentHost) touched = cradle_agent_hosts_touch (folder, first, 0, &error);

          g_assert_no_error (error);
          g_assert_nonnull (touched);
        }
    }
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpuint (st.st_mode & 0777, ==, 0600);
  hosts = cradle_agent_hosts_list (folder, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hosts->len, ==, CRADLE_AGENT_HOSTS_MAX);

  found = cradle_agent_hosts_touch (folder, first, 30, &error);
  g_assert_no_error (error);
  g_assert_nonnull (found);
  g_assert_cmpstr (found->name, ==, "desk-1");
  missing = cradle_agent_hosts_touch (folder, unknown, 30, &error);
  g_assert_no_error (error);
  g_assert_null (missing);

  id = cradle_agent_host_dup_id (found);
  g_assert_cmpuint (strlen (id), ==, 16);
  g_assert_true (cradle_agent_hosts_remove (folder, NULL, id, &removed, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (removed, ==, 1);
  g_assert_true (cradle_agent_hosts_remove (folder, NULL, "all", &removed, &error));
  g_assert_cmpuint (removed, ==, CRADLE_AGENT_HOSTS_MAX - 1);
  g_clear_pointer (&hosts, g_ptr_array_unref);
  hosts = cradle_agent_hosts_list (folder, &error);
  g_assert_cmpuint (hosts->len, ==, 0);

  /* A damaged file is an error that says what to do, not an empty list. */
  g_assert_true (g_file_set_contents (path, "\xa2\x01\x01\x02\x63" "abc", -1, NULL));
  g_clear_pointer (&hosts, g_ptr_array_unref);
  hosts = cradle_agent_hosts_list (folder, &error);
  g_assert_null (hosts);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "Move it aside"));
  test_remove_tree (folder);
}

/* A host unused for longer than the device allows is forgotten. The file
 * is written by hand, in the format cradle-agent-hosts-private.h gives. */
static void
write_hosts_file (const char *folder,
                  GBytes     *key,
                  gint64      last_used)
{
  g_autoptr(CradleCborWriter) writer = cradle_cbor_writer_new ();
  g_autoptr(GBytes) contents = NULL;
  g_autofree char *path = g_build_filename (folder, "hosts", NULL);

  cradle_cbor_writer_map (writer, 2);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_uint (writer, 2);
  cradle_cbor_writer_array (writer, 1);
  cradle_cbor_writer_map (writer, 5);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_bytes (writer, g_bytes_get_data (key, NULL), g_bytes_get_size (key));
  cradle_cbor_writer_uint (writer, 2);
  cradle_cbor_writer_text (writer, "desk");
  cradle_cbor_writer_uint (writer, 3);
  cradle_cbor_writer_text (writer, "bob");
  cradle_cbor_writer_uint (writer, 4);
  cradle_cbor_writer_uint (writer, (guint64) last_used);
  cradle_cbor_writer_uint (writer, 5);
  cradle_cbor_writer_uint (writer, (guint64) last_used);
  contents = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
  g_assert_true (g_file_set_contents (path, g_bytes_get_data (contents, NULL), g_bytes_get_size (contents), NULL));
}

static void
test_hosts_expiry (void)
{
  g_autofree char *folder = g_dir_make_tmp ("cradle-hosts-XXXXXX", NULL);
  g_autoptr(GBytes) key = host_key (5);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) hosts = NULL;
  g_autoptr(CradleAgentHost) kept = NULL;
  g_autoptr(CradleAgentHost) expired = NULL;
  gint64 month_ago = g_get_real_time () / G_USEC_PER_SEC - 31 * 24 * 3600;

  /* Never expiring (0 days): still trusted a month later. */
  write_hosts_file (folder, key, month_ago);
  kept = cradle_agent_hosts_touch (folder, key, 0, &error);
  g_assert_no_error (error);
  g_assert_nonnull (kept);
  g_assert_cmpstr (kept->user, ==, "bob");

  /* 30 days: forgotten, and the file says so. */
  write_hosts_file (folder, key, month_ago);
  expired = cradle_agent_hosts_touch (folder, key, 30, &error);
  g_assert_no_error (error);
  g_assert_null (expired);
  hosts = cradle_agent_hosts_list (folder, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hosts->len, ==, 0);
  test_remove_tree (folder);
}

/* Keys of small order (RFC 7748, section 7): every one agrees on a zero
 * secret. A host that sends one at PAIR_START is refused there, before the
 * device commits, asks its user or records the host; before, the device
 * asked and recorded, then failed to make the session's seal. */
static void
test_small_order_key (void)
{
  static const guint8 small_order[][CRADLE_BRIDGE_KEY_SIZE] = {
    { 0 },
    { 1 },
    { 0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a,
      0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00 },
    { 0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef, 0x5b,
      0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0x57 },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(EVP_PKEY) device = cradle_bridge_identity_generate (&error);
  g_autoptr(EVP_PKEY) host = cradle_bridge_identity_generate (&error);
  g_autoptr(EVP_PKEY) good = cradle_bridge_ephemeral_generate (&error);
  g_autoptr(GBytes) good_raw = NULL;
  g_autoptr(EVP_PKEY) good_again = NULL;
  g_autoptr(GBytes) host_raw = NULL;
  g_autoptr(GBytes) nonce = g_bytes_new_static ("0123456789abcdef0123456789abcdef", 32);

  g_assert_no_error (error);
  good_raw = cradle_bridge_key_raw_public (good);
  good_again = cradle_bridge_ephemeral_from_raw (good_raw, &error);
  g_assert_no_error (error);
  g_assert_nonnull (good_again);
  host_raw = cradle_bridge_key_raw_public (host);

  /* 0, 1, the two points of order 8, and p - 1, p, p + 1 (not reduced). */
  for (guint i = 0; i < G_N_ELEMENTS (small_order) + 3; i++)
    {
      guint8 raw[CRADLE_BRIDGE_KEY_SIZE];
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(EVP_PKEY) key = NULL;
      g_autoptr(CradleCborWriter) writer = cradle_cbor_writer_new ();
      g_autoptr(GBytes) encoded = NULL;
      g_autoptr(CradleCborValue) request = NULL;
      g_autoptr(CradleAgentPairing) pairing = NULL;
      g_autoptr(GBytes) reply = NULL;

      if (i < G_N_ELEMENTS (small_order))
        memcpy (raw, small_order[i], sizeof raw);
      else
        {
          memset (raw, 0xff, sizeof raw);
          raw[0] = 0xec + (i - G_N_ELEMENTS (small_order));
          raw[31] = 0x7f;
        }
      bytes = g_bytes_new (raw, sizeof raw);
      key = cradle_bridge_ephemeral_from_raw (bytes, &error);
      g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
      g_assert_null (key);
      g_clear_error (&error);

      cradle_cbor_writer_map (writer, 4);
      cradle_cbor_writer_uint (writer, 1);
      cradle_cbor_writer_bytes (writer, g_bytes_get_data (host_raw, NULL), g_bytes_get_size (host_raw));
      cradle_cbor_writer_uint (writer, 2);
      cradle_cbor_writer_bytes (writer, raw, sizeof raw);
      cradle_cbor_writer_uint (writer, 3);
      cradle_cbor_writer_text (writer, "workstation");
      cradle_cbor_writer_uint (writer, 4);
      cradle_cbor_writer_text (writer, "alice");
      encoded = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
      request = cradle_cbor_decode_map (g_bytes_get_data (encoded, NULL), g_bytes_get_size (encoded), &error);
      g_assert_no_error (error);
      pairing = cradle_agent_pairing_start (device, nonce, request, &reply, &error);
      g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
      g_assert_null (pairing);
      g_assert_null (reply);
      g_clear_error (&error);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/bridge-pairing/seal/round-trip", test_seal_round_trip);
  g_test_add_func ("/bridge-pairing/seal/tampered", test_seal_tampered);
  g_test_add_func ("/bridge-pairing/seal/replay-and-order", test_seal_replay_and_order);
  g_test_add_func ("/bridge-pairing/seal/direction-and-plain", test_seal_direction_and_plain);
  g_test_add_func ("/bridge-pairing/code-and-transcript", test_code_and_transcript);
  g_test_add_func ("/bridge-pairing/commitment", test_commitment);
  g_test_add_func ("/bridge-pairing/identity", test_identity_sign_verify);
  g_test_add_func ("/bridge-pairing/small-order-key", test_small_order_key);
  g_test_add_func ("/bridge-pairing/hosts/file", test_hosts_file);
  g_test_add_func ("/bridge-pairing/hosts/expiry", test_hosts_expiry);
  return g_test_run ();
}
