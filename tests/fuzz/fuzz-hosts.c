/* fuzz-hosts.c: libFuzzer harness for the device's list of trusted computers
 * (`hosts` in the agent's folder; bridge/agent/cradle-agent-hosts.c)
 *
 * The file is the device's own, but it is read on every AUTHENTICATE and by
 * `cradle-agent --list-hosts`, so damage must be an error, never a crash.
 * The input is written as the hosts file of a scratch folder and listed;
 * when it lists, the first host is touched (which rewrites the file, or
 * forgets a host unused for 30 days) and the list read again must hold
 * the same hosts, less the one forgotten. */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>
#include <cradle/cradle.h>

#include "agent/cradle-agent-hosts-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

static char *folder;

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
  g_autofree char *hosts = g_build_filename (folder, "hosts", NULL);
  g_autofree char *lock = g_build_filename (folder, "hosts.lock", NULL);

  g_unlink (hosts);
  g_unlink (lock);
  g_rmdir (folder);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *path = NULL;
  g_autoptr(GPtrArray) hosts = NULL;
  g_autoptr(GPtrArray) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleAgentHost) touched = NULL;
  g_autoptr(GBytes) key = NULL;

  if (folder == NULL)
    {
      folder = make_folder ("cradle-fuzz-hosts-XXXXXX");
      g_assert (folder != NULL);
      atexit (remove_folder);
    }
  path = g_build_filename (folder, "hosts", NULL);
  /* Removed first: GLib does not empty a file for an empty input. */
  g_unlink (path);
  g_assert (g_file_set_contents_full (path, (const char *) data, (gssize) size,
                                     G_FILE_SET_CONTENTS_NONE, 0600, NULL));

  hosts = cradle_agent_hosts_list (folder, &error);
  g_assert ((hosts == NULL) == (error != NULL));
  if (hosts == NULL)
    return 0;
  g_assert_cmpuint (hosts->len, <=, CRADLE_AGENT_HOSTS_MAX);
  for (guint i = 0; i < hosts->len; i++)
    {
      CradleAgentHost *host = g_ptr_array_index (hosts, i);
      g_autofree char *id = cradle_agent_host_dup_id (host);

      g_assert_cmpuint (g_bytes_get_size (host->key), ==, 32);
      g_assert (host->name != NULL && host->user != NULL);
      g_assert (host->paired >= 0 && host->last_used >= 0);
      g_assert_cmpuint (strlen (id), ==, 16);
    }
  if (hosts->len == 0)
    return 0;

  /* What the agent writes back, it reads. */
  key = g_bytes_ref (((CradleAgentHost *) g_ptr_array_index (hosts, 0))->key);
  touched = cradle_agent_hosts_touch (folder, key, 30, &error);
  g_assert_no_error (error);
  g_assert (touched == NULL || g_bytes_equal (touched->key, key));
  again = cradle_agent_hosts_list (folder, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (again->len, ==, hosts->len - (touched == NULL ? 1 : 0));
  return 0;
}
