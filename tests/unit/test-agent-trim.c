/* test-agent-trim.c: an idle agent's trim releases its read-only pages,
 * and everything it runs afterwards still works */
#include "config.h"

#include <string.h>
#include <openssl/evp.h>
#include <glib.h>

#include "agent/cradle-agent-trim-private.h"

/* Written at run time: must keep its value through a trim. */
static char written[4096];
static const char constant[] = "a constant in .rodata";

static guint
rss_kb (void)
{
  g_autofree char *status = NULL;
  const char *line;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  line = strstr (status, "VmRSS:");
  g_assert_nonnull (line);
  return (guint) g_ascii_strtoull (line + strlen ("VmRSS:"), NULL, 10);
}

static GBytes *
sha256 (const char *text)
{
  guint8 digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;

  g_assert_true (EVP_Digest (text, strlen (text), digest, &length, EVP_sha256 (), NULL));
  return g_bytes_new (digest, length);
}

static void
test_releases_and_runs_on (void)
{
  g_autoptr(GBytes) before = NULL;
  g_autoptr(GBytes) after = NULL;
  g_autofree char *heap = g_strdup ("a string on the heap");
  g_autofree char *hex = NULL;
  g_autofree char *hex_after = NULL;
  guint rss_before, rss_after, released;

  memset (written, 0x5a, sizeof written);
  /* Touch code in libcrypto, GLib and libc, as a session does. */
  before = sha256 (constant);
  hex = g_compute_checksum_for_string (G_CHECKSUM_SHA1, heap, -1);
  rss_before = rss_kb ();

  released = cradle_agent_trim_working_set ();
  rss_after = rss_kb ();
  g_test_message ("released %u segments, VmRSS %u kB -> %u kB", released, rss_before, rss_after);
  /* The program, libc, GLib and libcrypto each have read-only segments. */
  g_assert_cmpuint (released, >=, 4);
  g_assert_cmpuint (rss_after, <, rss_before);

  /* What was written, the constants and the heap are all still there,
   * and code in every library runs again. */
  for (gsize i = 0; i < sizeof written; i++)
    g_assert_cmpint (written[i], ==, 0x5a);
  g_assert_cmpstr (constant, ==, "a constant in .rodata");
  g_assert_cmpstr (heap, ==, "a string on the heap");
  after = sha256 (constant);
  g_assert_true (g_bytes_equal (before, after));
  hex_after = g_compute_checksum_for_string (G_CHECKSUM_SHA1, heap, -1);
  g_assert_cmpstr (hex_after, ==, hex);

  /* A second trim in a row is as safe. */
  g_assert_cmpuint (cradle_agent_trim_working_set (), ==, released);
  g_assert_cmpstr (constant, ==, "a constant in .rodata");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/agent-trim/releases-and-runs-on", test_releases_and_runs_on);
  return g_test_run ();
}
