/* test-agent-memory.c: the agent's secrets are kept out of core dumps
 *
 * A core dump (the kernel's, or gdb's gcore) leaves out the mappings marked
 * MADV_DONTDUMP: /proc/PID/smaps shows them with the VmFlag "dd". These
 * tests read this process's own smaps and memory (/proc/self/mem, which a
 * process may always read) as a dump would, and look for the KEK and the
 * private parts of keys the keystore unsealed: in pieces of 8 bytes, so a
 * partial copy (a freed buffer whose head the allocator overwrote) counts.
 * The pieces the tests look for are themselves in the secure heap, which a
 * dump leaves out.
 *
 * What these tests found with OpenSSL 3.0: the private BIGNUMs of keys it
 * decodes or the agent generates (RSA d, p, q, CRT values; the EC scalar)
 * go to the secure heap once it is set up; but its ASN.1 code frees buffers
 * holding an EC scalar without wiping them, hence the agent's wiping
 * allocator for OpenSSL.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <cradle/cradle.h>

#include "agent/cradle-agent-keystore-private.h"
#include "agent/cradle-agent-secure-memory-private.h"

#include "keystore-test-support.h"

#define PIECE 8

typedef struct {
  guint64 start;
  guint64 end;
  char    perms[5];
  char    name[256];
  char    flags[256];
} Region;

static GArray *
read_regions (void)
{
  g_autofree char *smaps = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;
  GArray *regions = g_array_new (FALSE, TRUE, sizeof (Region));

  g_assert_true (g_file_get_contents ("/proc/self/smaps", &smaps, NULL, &error));
  g_assert_no_error (error);
  lines = g_strsplit (smaps, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      Region region = { 0 };
      int name_at = 0;

      if (sscanf (lines[i], "%" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER "x %4s %*s %*s %*s %n",
                  &region.start, &region.end, region.perms, &name_at) >= 3
          && strchr (lines[i], '-') != NULL && lines[i][0] != 'V')
        {
          g_strlcpy (region.name, name_at > 0 ? lines[i] + name_at : "", sizeof region.name);
          g_array_append_val (regions, region);
        }
      else if (g_str_has_prefix (lines[i], "VmFlags:") && regions->len > 0)
        g_strlcpy (g_array_index (regions, Region, regions->len - 1).flags, lines[i] + 8,
                   sizeof region.flags);
    }
  return regions;
}

static gboolean
region_has_flag (const Region *region,
                 const char   *flag)
{
  g_auto(GStrv) flags = g_strsplit_set (region->flags, " ", -1);

  return g_strv_contains ((const char * const *) flags, flag);
}

/* The smaps VmFlags of the mapping holding @address. */
static Region
region_of (gconstpointer address)
{
  g_autoptr(GArray) regions = read_regions ();
  guint64 at = (guint64) (guintptr) address;

  for (guint i = 0; i < regions->len; i++)
    {
      const Region *region = &g_array_index (regions, Region, i);

      if (at >= region->start && at < region->end)
        return *region;
    }
  g_assert_not_reached ();
}

/* Pieces of @size bytes of @secret, at every multiple of PIECE: any copy of
 * 2 * PIECE - 1 bytes or more holds one. Kept in the secure heap. */
static GPtrArray *
pieces_of (const guint8 *secret,
           gsize         size)
{
  GPtrArray *pieces = g_ptr_array_new_with_free_func ((GDestroyNotify) cradle_agent_secret_free);

  for (gsize i = 0; i + PIECE <= size; i += PIECE)
    {
      CradleAgentSecret *piece = cradle_agent_secret_new (PIECE);

      memcpy (piece->data, secret + i, PIECE);
      g_ptr_array_add (pieces, piece);
    }
  return pieces;
}

/* How many pieces a dump of this process would hold: every readable mapping
 * but those marked "dd" (and the kernel's own pages). */
static guint
pieces_in_dump (GPtrArray  *pieces,
                const char *what)
{
  g_autoptr(GArray) regions = read_regions ();
  /* Read in chunks that overlap by a piece less one byte. */
  const gsize chunk = 1024 * 1024;
  g_autofree guint8 *buffer = g_malloc (chunk);
  gsize buffer_size = chunk;
  guint found = 0;
  int fd = open ("/proc/self/mem", O_RDONLY | O_CLOEXEC);

  g_assert_cmpint (fd, >=, 0);
  for (guint i = 0; i < regions->len; i++)
    {
      const Region *region = &g_array_index (regions, Region, i);
      g_autofree gboolean *seen = g_new0 (gboolean, pieces->len);

      if (region->perms[0] != 'r' || region_has_flag (region, "dd")
          || g_str_equal (region->name, "[vvar]") || g_str_equal (region->name, "[vsyscall]"))
        continue;
      for (guint64 at = region->start; at < region->end; at += chunk - (PIECE - 1))
        {
          gsize size = (gsize) MIN ((guint64) chunk, region->end - at);
          ssize_t got = pread (fd, buffer, size, (off_t) at);

          if (got <= 0)
            break;
          for (guint p = 0; p < pieces->len; p++)
            {
              const CradleAgentSecret *piece = g_ptr_array_index (pieces, p);

              if (!seen[p] && memmem (buffer, (gsize) got, piece->data, PIECE) != NULL)
                {
                  g_test_message ("%s: piece %u (of %u) is in %" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER "x %s %s",
                                  what, p, pieces->len, region->start, region->end, region->perms, region->name);
                  seen[p] = TRUE;
                  found++;
                }
            }
          if ((guint64) got < size || at + size >= region->end)
            break;
        }
    }
  /* What we read may have held a piece: leave no copy behind. */
  if (buffer != NULL)
    OPENSSL_cleanse (buffer, buffer_size);
  close (fd);
  return found;
}

static void
test_kek (Fixture       *f,
          gconstpointer  data)
{
  g_autofree char *kek_path = g_build_filename (f->root, "secrets", "kek", NULL);
  g_autoptr(CradleAgentKeystore) keystore = NULL;
  g_autoptr(GPtrArray) pieces = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GBytes) message = g_bytes_new_static ("hello", 5);
  g_autoptr(GError) error = NULL;
  Region region;

  keystore = cradle_agent_keystore_open_full (f->folder, kek_path, FALSE, &error);
  g_assert_no_error (error);
  ks_generate (keystore, "p256", &key_id, NULL);
  signature = ks_sign (keystore, key_id, "sha256", message, NULL);

  /* The KEK is in a mapping a dump leaves out, locked in RAM where allowed... */
  region = region_of (keystore->kek);
  g_test_message ("the KEK is in %" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER "x, flags:%s",
                  region.start, region.end, region.flags);
  g_assert_true (region_has_flag (&region, "dd"));
  g_assert_true (CRYPTO_secure_allocated (keystore->kek));

  /* ...and no other copy of it, whole or in part, is anywhere a dump looks:
   * not from reading its file, nor from sealing and unsealing. */
  pieces = pieces_of (keystore->kek, CRADLE_AGENT_KEK_SIZE);
  g_assert_cmpuint (pieces_in_dump (pieces, "KEK"), ==, 0);

  /* Reopened: read from its file this time. */
  g_clear_object (&keystore);
  keystore = cradle_agent_keystore_open_full (f->folder, kek_path, FALSE, &error);
  g_assert_no_error (error);
  g_assert_true (region_has_flag ((region = region_of (keystore->kek), &region), "dd"));
  g_assert_cmpuint (pieces_in_dump (pieces, "KEK read back"), ==, 0);
}

/* The private numbers of @pkey, as pieces. */
static GPtrArray *
private_pieces (EVP_PKEY *pkey)
{
  const char *rsa[] = { OSSL_PKEY_PARAM_RSA_D, OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2,
                        OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
                        OSSL_PKEY_PARAM_RSA_COEFFICIENT1, NULL };
  const char *ec[] = { OSSL_PKEY_PARAM_PRIV_KEY, NULL };
  const char **names = EVP_PKEY_is_a (pkey, "RSA") ? rsa : ec;
  GPtrArray *pieces = g_ptr_array_new_with_free_func ((GDestroyNotify) cradle_agent_secret_free);

  for (guint i = 0; names[i] != NULL; i++)
    {
      BIGNUM *number = BN_secure_new ();
      g_autoptr(CradleAgentSecret) bytes = NULL;
      g_autoptr(GPtrArray) more = NULL;

      g_assert_cmpint (EVP_PKEY_get_bn_param (pkey, names[i], &number), ==, 1);
      bytes = cradle_agent_secret_new (BN_num_bytes (number));
      g_assert_cmpint (BN_bn2bin (number, bytes->data), ==, (int) bytes->size);
      BN_clear_free (number);
      more = pieces_of (bytes->data, bytes->size);
      for (guint p = 0; p < more->len; p++)
        g_ptr_array_add (pieces, g_ptr_array_steal_index_fast (more, p--));
    }
  return pieces;
}

static void
test_private_key (Fixture       *f,
                  gconstpointer  data)
{
  const char *key_type = data;
  g_autofree char *kek_path = g_build_filename (f->root, "secrets", "kek", NULL);
  g_autoptr(CradleAgentKeystore) keystore = NULL;
  g_autoptr(CradleAgentKeyFile) key_file = NULL;
  g_autoptr(GPtrArray) pieces = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) message = g_bytes_new_static ("hello", 5);
  g_autoptr(GBytes) first_signature = NULL;
  g_autoptr(GError) error = NULL;
  EVP_PKEY *pkey;

  keystore = cradle_agent_keystore_open_full (f->folder, kek_path, FALSE, &error);
  g_assert_no_error (error);
  ks_generate (keystore, key_type, &key_id, NULL);
  first_signature = ks_sign (keystore, key_id, "sha256", message, NULL);

  key_file = cradle_agent_keystore_load_key (keystore, key_id, &error);
  g_assert_no_error (error);

  /* While the agent holds the key, its private numbers are out of the dump. */
  pkey = cradle_agent_keystore_unseal_key (keystore, key_file, &error);
  g_assert_no_error (error);
  pieces = private_pieces (pkey);
  g_assert_cmpuint (pieces_in_dump (pieces, "unsealed key"), ==, 0);

  /* Nor while it signs (OpenSSL's RSA caches Montgomery forms of p and q). */
  {
    g_autoptr(GBytes) signature = cradle_agent_crypto_sign (pkey, "sha256", message, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (pieces_in_dump (pieces, "key in use"), ==, 0);
  }

  /* Once freed, nothing of it is left anywhere: generating, sealing,
   * unsealing and signing left no copy in memory they freed. (Without
   * cradle_agent_secure_memory_wipe_openssl_frees(), OpenSSL 3.0 leaves an EC
   * key's scalar in freed ECPrivateKey buffers.) */
  EVP_PKEY_free (pkey);
  g_assert_cmpuint (pieces_in_dump (pieces, "freed key"), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  /* As the agent's main() does, before OpenSSL allocates anything. */
  g_assert_true (cradle_agent_secure_memory_wipe_openssl_frees ());
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/agent/memory/kek", Fixture, NULL, fixture_set_up, test_kek, fixture_tear_down);
  g_test_add ("/agent/memory/private-key/p256", Fixture, "p256", fixture_set_up, test_private_key,
              fixture_tear_down);
  g_test_add ("/agent/memory/private-key/rsa2048", Fixture, "rsa2048", fixture_set_up, test_private_key,
              fixture_tear_down);

  return g_test_run ();
}
