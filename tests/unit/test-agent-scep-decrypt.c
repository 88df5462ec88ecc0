/* test-agent-scep-decrypt.c: what a device decrypts for SCEP, and how often
 *
 * DECRYPT at the keystore: the content-encryption key a SCEP CA wrapped
 * to the request's key, each size; keys of another host or kind, EC keys,
 * implicit rejection; and its bounds (CRADLE_AGENT_MAX_DECRYPTIONS per
 * key, counted on disk, within CRADLE_AGENT_DECRYPT_WINDOW_DAYS).
 */
#include "config.h"

#include <string.h>
#include <cradle/cradle.h>

#include "agent/cradle-agent-keystore-private.h"

#include "keystore-test-support.h"

static GBytes *
unwrap (CradleAgentKeystore *keystore,
        GBytes              *key_id,
        GBytes              *encrypted,
        gsize                key_size)
{
  g_autoptr(GError) error = NULL;
  GBytes *key;

  /* This test is about the answers, not their count (test_decrypt_bounds). */
  ks_set_key_record (keystore, key_id, (guint64) (g_get_real_time () / G_USEC_PER_SEC), 0);
  key = cradle_agent_keystore_unwrap_key (keystore, key_id, ks_host_a (), encrypted, key_size, &error);

  g_assert_no_error (error);
  g_assert_nonnull (key);
  g_assert_cmpuint (g_bytes_get_size (key), ==, key_size);
  return key;
}

static void
test_unwrap_key (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = ks_open_keystore (f->folder, FALSE);
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) other_id = NULL;
  g_autoptr(GBytes) other_spki = NULL;
  g_autoptr(GError) error = NULL;
  const gsize sizes[] = { 8, 16, 24, 32 };
  guint8 cek[32];

  ks_generate (keystore, "rsa2048", &key_id, &spki);
  ks_generate (keystore, "rsa2048", &other_id, &other_spki);
  for (gsize i = 0; i < sizeof cek; i++)
    cek[i] = (guint8) g_test_rand_int_range (0, 256);

  for (gsize s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      g_autoptr(GBytes) encrypted = ks_encrypt_to (spki, cek, sizes[s]);
      g_autoptr(GBytes) key = unwrap (keystore, key_id, encrypted, sizes[s]);
      g_autoptr(GBytes) expected = g_bytes_new (cek, sizes[s]);

      g_assert_true (g_bytes_equal (key, expected));
    }

  /* Implicit rejection: a wrong size, another key's ciphertext or random
   * bytes give a key that is not the real one, the same each time, and no
   * error that would tell them apart. */
  {
    g_autoptr(GBytes) encrypted = ks_encrypt_to (spki, cek, 16);
    g_autoptr(GBytes) right = g_bytes_new (cek, 16);
    g_autoptr(GBytes) wrong_size = unwrap (keystore, key_id, encrypted, 24);
    g_autoptr(GBytes) again = unwrap (keystore, key_id, encrypted, 24);
    g_autoptr(GBytes) for_other = NULL;
    g_autoptr(GBytes) misdirected = NULL;
    g_autoptr(GBytes) misdirected_again = NULL;

    g_assert_true (g_bytes_equal (wrong_size, again));
    g_assert_false (ks_contains (wrong_size, cek, 16));

    /* Another key's ciphertext, below this key's modulus (one that is not
     * is refused openly: the comparison is public). */
    do
      {
        g_clear_pointer (&for_other, g_bytes_unref);
        g_clear_error (&error);
        for_other = ks_encrypt_to (other_spki, cek, 16);
        ks_set_key_record (keystore, key_id, (guint64) (g_get_real_time () / G_USEC_PER_SEC), 0);
        misdirected = cradle_agent_keystore_unwrap_key (keystore, key_id, ks_host_a (), for_other, 16, &error);
        if (misdirected == NULL)
          g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
      }
    while (misdirected == NULL);
    misdirected_again = unwrap (keystore, key_id, for_other, 16);
    g_assert_true (g_bytes_equal (misdirected, misdirected_again));
    g_assert_false (g_bytes_equal (misdirected, right));
  }
  for (guint round = 0; round < 8; round++)
    {
      guint8 junk[256];
      g_autoptr(GBytes) random = NULL;
      g_autoptr(GBytes) key = NULL;

      for (gsize i = 0; i < sizeof junk; i++)
        junk[i] = (guint8) g_test_rand_int_range (0, 256);
      junk[0] = 0;   /* below any 2048-bit modulus */
      random = g_bytes_new (junk, sizeof junk);
      key = unwrap (keystore, key_id, random, 16);
    }

  /* The size asked must not tell a rejected ciphertext from a good one: if
   * every size's answer were a prefix of the same rejection value, a
   * ciphertext whose answers disagree across sizes would be one whose
   * padding was right (a Bleichenbacher oracle). */
  for (guint round = 0; round < 8; round++)
    {
      guint8 junk[256];
      g_autoptr(GBytes) random = NULL;
      g_autoptr(GBytes) longest = NULL;

      for (gsize i = 0; i < sizeof junk; i++)
        junk[i] = (guint8) g_test_rand_int_range (0, 256);
      junk[0] = 0;
      random = g_bytes_new (junk, sizeof junk);
      longest = unwrap (keystore, key_id, random, 32);
      for (gsize s = 0; s + 1 < G_N_ELEMENTS (sizes); s++)
        {
          g_autoptr(GBytes) shorter = unwrap (keystore, key_id, random, sizes[s]);

          g_assert_false (ks_contains (longest, g_bytes_get_data (shorter, NULL), sizes[s]));
        }
    }

  /* What is refused openly: sizes, lengths and values that are public. */
  {
    g_autoptr(GBytes) encrypted = ks_encrypt_to (spki, cek, 16);
    g_autoptr(GBytes) short_one = g_bytes_new (g_bytes_get_data (encrypted, NULL), 255);
    guint8 too_big[256];
    g_autoptr(GBytes) above = NULL;
    const gsize bad_sizes[] = { 0, 1, 12, 20, 33, 64 };

    memset (too_big, 0xff, sizeof too_big);
    above = g_bytes_new (too_big, sizeof too_big);
    for (gsize s = 0; s < G_N_ELEMENTS (bad_sizes); s++)
      {
        g_assert_null (cradle_agent_keystore_unwrap_key (keystore, key_id, ks_host_a (), encrypted, bad_sizes[s], &error));
        g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
        g_clear_error (&error);
      }
    g_assert_null (cradle_agent_keystore_unwrap_key (keystore, key_id, ks_host_a (), short_one, 16, &error));
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
    g_clear_error (&error);
    g_assert_null (cradle_agent_keystore_unwrap_key (keystore, key_id, ks_host_a (), above, 16, &error));
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
    g_clear_error (&error);
  }

  /* EC keys cannot: key transport is RSA. */
  {
    g_autoptr(GBytes) ec_id = NULL;
    g_autoptr(GBytes) encrypted = ks_encrypt_to (spki, cek, 16);

    ks_generate (keystore, "p256", &ec_id, NULL);
    g_assert_null (cradle_agent_keystore_unwrap_key (keystore, ec_id, ks_host_a (), encrypted, 16, &error));
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED);
    g_assert_nonnull (strstr (error->message, "only RSA keys"));
  }
}

/* DECRYPT is bounded: CRADLE_AGENT_MAX_DECRYPTIONS per key, counted on
 * disk, and only within CRADLE_AGENT_DECRYPT_WINDOW_DAYS of its making. */
static void
test_decrypt_bounds (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = ks_open_keystore (f->folder, FALSE);
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) encrypted = NULL;
  g_autoptr(GError) error = NULL;
  static const guint8 key16[16] = "sixteen byte key";
  guint64 now = (guint64) (g_get_real_time () / G_USEC_PER_SEC);
  guint64 day = 24 * 3600;

  ks_generate (keystore, "rsa2048", &key_id, &spki);
  encrypted = ks_encrypt_to (spki, key16, sizeof key16);

  for (guint i = 0; i < CRADLE_AGENT_MAX_DECRYPTIONS; i++)
    {
      g_autoptr(GBytes) cek = cradle_agent_keystore_unwrap_key (keystore, key_id, ks_host_a (), encrypted, 16, &error);

      g_assert_no_error (error);
      g_assert_cmpmem (g_bytes_get_data (cek, NULL), 16, key16, 16);
    }
  /* The 33rd is refused, and stays refused after a restart. */
  g_assert_null (cradle_agent_keystore_unwrap_key (keystore, key_id, ks_host_a (), encrypted, 16, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_test_message ("refused: %s", error->message);
  g_clear_error (&error);
  g_clear_object (&keystore);
  keystore = ks_open_keystore (f->folder, FALSE);
  g_assert_null (cradle_agent_keystore_unwrap_key (keystore, key_id, ks_host_a (), encrypted, 16, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);

  /* Time: a key made 29 days ago may, one made 31 days ago may not. */
  ks_set_key_record (keystore, key_id, now - 29 * day, 0);
  {
    g_autoptr(GBytes) cek = cradle_agent_keystore_unwrap_key (keystore, key_id, ks_host_a (), encrypted, 16, &error);

    g_assert_no_error (error);
    g_assert_nonnull (cek);
  }
  ks_set_key_record (keystore, key_id, now - (CRADLE_AGENT_DECRYPT_WINDOW_DAYS + 1) * day, 0);
  g_assert_null (cradle_agent_keystore_unwrap_key (keystore, key_id, ks_host_a (), encrypted, 16, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_assert_nonnull (strstr (error->message, "days ago"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/agent/scep/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("unwrap-key", test_unwrap_key);
  ADD ("attack/decrypt-bounds", test_decrypt_bounds);

  return g_test_run ();
}
