/* cradle-agent-hosts.c: the computers this device trusts, on disk */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/file.h>
#include <cradle/cradle.h>

#include "agent/cradle-agent-atomic-private.h"
#include "agent/cradle-agent-hosts-private.h"
#include "agent/cradle-agent-key-file-private.h"
#include "protocol/cradle-bridge-cbor-private.h"
#include "protocol/cradle-bridge-pairing-private.h"

#define HOSTS_NAME      "hosts"
#define HOSTS_LOCK_NAME "hosts.lock"
#define HOSTS_VERSION   1
#define HOSTS_MAX_SIZE  (32 * 1024)

void
cradle_agent_host_free (CradleAgentHost *host)
{
  if (host == NULL)
    return;
  g_clear_pointer (&host->key, g_bytes_unref);
  g_free (host->name);
  g_free (host->user);
  g_free (host);
}

char *
cradle_agent_host_dup_id (const CradleAgentHost *host)
{
  g_autofree char *fingerprint = cradle_bridge_key_fingerprint (host->key);

  return g_strndup (fingerprint, 16);
}

static CradleAgentHost *
host_copy (const CradleAgentHost *host)
{
  CradleAgentHost *copy = g_new0 (CradleAgentHost, 1);

  copy->key = g_bytes_ref (host->key);
  copy->name = g_strdup (host->name);
  copy->user = g_strdup (host->user);
  copy->paired = host->paired;
  copy->last_used = host->last_used;
  return copy;
}

static GPtrArray *
decode (GBytes      *contents,
        GError     **error)
{
  g_autoptr(CradleCborValue) map = cradle_agent_file_decode_map (contents, error);
  g_autoptr(GPtrArray) hosts = g_ptr_array_new_with_free_func ((GDestroyNotify) cradle_agent_host_free);
  const CradleCborValue *items = NULL;
  guint64 version = 0;

  if (map == NULL ||
      !cradle_cbor_map_get_uint (map, 1, FALSE, &version, error) ||
      !cradle_cbor_map_get_array (map, 2, FALSE, &items, error))
    return NULL;
  if (version != HOSTS_VERSION || cradle_cbor_value_get_length (items) > CRADLE_AGENT_HOSTS_MAX)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "it is of version %" G_GUINT64_FORMAT " or lists more than %d hosts",
                   version, CRADLE_AGENT_HOSTS_MAX);
      return NULL;
    }
  for (gsize i = 0; i < cradle_cbor_value_get_length (items); i++)
    {
      const CradleCborValue *item = cradle_cbor_array_get (items, i);
      g_autoptr(CradleAgentHost) host = g_new0 (CradleAgentHost, 1);
      const char *name = NULL, *user = NULL;
      guint64 paired = 0, last_used = 0;

      if (cradle_cbor_value_get_type (item) != CRADLE_CBOR_MAP ||
          !cradle_cbor_map_get_bytes (item, 1, FALSE, &host->key, error) ||
          !cradle_cbor_map_get_text (item, 2, FALSE, &name, error) ||
          !cradle_cbor_map_get_text (item, 3, FALSE, &user, error) ||
          !cradle_cbor_map_get_uint (item, 4, FALSE, &paired, error) ||
          !cradle_cbor_map_get_uint (item, 5, FALSE, &last_used, error))
        {
          if (error != NULL && *error == NULL)
            g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "host %" G_GSIZE_FORMAT " is not a map", i);
          return NULL;
        }
      if (g_bytes_get_size (host->key) != CRADLE_BRIDGE_KEY_SIZE || paired > G_MAXINT64 || last_used > G_MAXINT64)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "host %" G_GSIZE_FORMAT " is malformed", i);
          return NULL;
        }
      host->name = g_strdup (name);
      host->user = g_strdup (user);
      host->paired = (gint64) paired;
      host->last_used = (gint64) last_used;
      g_ptr_array_add (hosts, g_steal_pointer (&host));
    }
  return g_steal_pointer (&hosts);
}

static GBytes *
encode (GPtrArray *hosts)
{
  g_autoptr(CradleCborWriter) writer = cradle_cbor_writer_new ();

  cradle_cbor_writer_map (writer, 2);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_uint (writer, HOSTS_VERSION);
  cradle_cbor_writer_uint (writer, 2);
  cradle_cbor_writer_array (writer, hosts->len);
  for (guint i = 0; i < hosts->len; i++)
    {
      CradleAgentHost *host = g_ptr_array_index (hosts, i);

      cradle_cbor_writer_map (writer, 5);
      cradle_cbor_writer_uint (writer, 1);
      cradle_cbor_writer_bytes (writer, g_bytes_get_data (host->key, NULL), g_bytes_get_size (host->key));
      cradle_cbor_writer_uint (writer, 2);
      cradle_cbor_writer_text (writer, host->name);
      cradle_cbor_writer_uint (writer, 3);
      cradle_cbor_writer_text (writer, host->user);
      cradle_cbor_writer_uint (writer, 4);
      cradle_cbor_writer_uint (writer, (guint64) MAX (host->paired, 0));
      cradle_cbor_writer_uint (writer, 5);
      cradle_cbor_writer_uint (writer, (guint64) MAX (host->last_used, 0));
    }
  return cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
}

static GPtrArray *
load (const char  *folder,
      GError     **error)
{
  g_autofree char *path = g_build_filename (folder, HOSTS_NAME, NULL);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GBytes) contents = cradle_agent_read_bounded (path, HOSTS_MAX_SIZE, NULL, &local_error);
  GPtrArray *hosts;

  if (contents == NULL && g_error_matches (local_error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND))
    return g_ptr_array_new_with_free_func ((GDestroyNotify) cradle_agent_host_free);
  if (contents == NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "The paired hosts file %s ", path);
      return NULL;
    }
  hosts = decode (contents, &local_error);
  if (hosts == NULL)
    g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                 "The paired hosts file %s is damaged (%s). Move it aside: every computer then "
                 "asks once more to be trusted.", path, local_error->message);
  return hosts;
}

static gboolean
save (const char  *folder,
      GPtrArray   *hosts,
      GError     **error)
{
  g_autofree char *path = g_build_filename (folder, HOSTS_NAME, NULL);
  g_autoptr(GBytes) contents = encode (hosts);

  if (!cradle_agent_atomic_write (path, contents, 0600, error))
    {
      g_prefix_error (error, "Could not save the paired hosts: ");
      return FALSE;
    }
  return TRUE;
}

/* An flock() held while the list is read, changed and written. */
static int
lock_hosts (const char  *folder,
            GError     **error)
{
  g_autofree char *path = g_build_filename (folder, HOSTS_LOCK_NAME, NULL);
  int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

  if (fd < 0 || flock (fd, LOCK_EX) != 0)
    {
      int saved_errno = errno;

      if (fd >= 0)
        close (fd);
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED, "Could not lock %s: %s", path, g_strerror (saved_errno));
      return -1;
    }
  return fd;
}

GPtrArray *
cradle_agent_hosts_list (const char  *folder,
                         GError     **error)
{
  int fd = lock_hosts (folder, error);
  GPtrArray *hosts;

  if (fd < 0)
    return NULL;
  hosts = load (folder, error);
  close (fd);
  return hosts;
}

static gint
find_key (GPtrArray *hosts,
          GBytes    *key)
{
  for (guint i = 0; i < hosts->len; i++)
    if (g_bytes_equal (((CradleAgentHost *) g_ptr_array_index (hosts, i))->key, key))
      return (gint) i;
  return -1;
}

CradleAgentHost *
cradle_agent_hosts_touch (const char  *folder,
                          GBytes      *key,
                          guint        expiry_days,
                          GError     **error)
{
  int fd = lock_hosts (folder, error);
  g_autoptr(GPtrArray) hosts = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  CradleAgentHost *host;
  gint index;
  gboolean saved;

  if (fd < 0)
    return NULL;
  hosts = load (folder, error);
  index = hosts != NULL ? find_key (hosts, key) : -1;
  if (index < 0)
    {
      close (fd);
      return NULL;
    }
  host = g_ptr_array_index (hosts, index);
  if (expiry_days > 0 && now - host->last_used > (gint64) expiry_days * 24 * 3600)
    {
      g_autofree char *id = cradle_agent_host_dup_id (host);

      g_info ("Host %s unused for over %u days: forgotten", id, expiry_days);
      g_ptr_array_remove_index (hosts, index);
      /* Not found either way; @error says if forgetting it failed. */
      save (folder, hosts, error);
      close (fd);
      return NULL;
    }
  /* Expiry counts in days: a host used within the hour is not written
   * again (a write is an fsync of the file and the folder, the largest part
   * of a session's start). Otherwise the list is kept in order of use, so
   * the least recently used is first even within the same second. */
  if (now - host->last_used < 3600 && (guint) index == hosts->len - 1)
    {
      close (fd);
      return host_copy (host);
    }
  host->last_used = now;
  host = g_ptr_array_steal_index (hosts, index);
  g_ptr_array_add (hosts, host);
  saved = save (folder, hosts, error);
  close (fd);
  return saved ? host_copy (host) : NULL;
}

gboolean
cradle_agent_hosts_add (const char  *folder,
                        GBytes      *key,
                        const char  *name,
                        const char  *user,
                        GError     **error)
{
  int fd = lock_hosts (folder, error);
  g_autoptr(GPtrArray) hosts = NULL;
  CradleAgentHost *host;
  gint index;
  gboolean saved;

  if (fd < 0)
    return FALSE;
  hosts = load (folder, error);
  if (hosts == NULL)
    {
      close (fd);
      return FALSE;
    }
  index = find_key (hosts, key);
  if (index >= 0)
    g_ptr_array_remove_index (hosts, index);
  if (hosts->len >= CRADLE_AGENT_HOSTS_MAX)
    {
      guint oldest = 0;

      for (guint i = 1; i < hosts->len; i++)
        if (((CradleAgentHost *) g_ptr_array_index (hosts, i))->last_used <
            ((CradleAgentHost *) g_ptr_array_index (hosts, oldest))->last_used)
          oldest = i;
      g_ptr_array_remove_index (hosts, oldest);
    }
  host = g_new0 (CradleAgentHost, 1);
  host->key = g_bytes_ref (key);
  host->name = g_strdup (name);
  host->user = g_strdup (user);
  host->paired = host->last_used = g_get_real_time () / G_USEC_PER_SEC;
  g_ptr_array_add (hosts, host);
  saved = save (folder, hosts, error);
  close (fd);
  return saved;
}

gboolean
cradle_agent_hosts_remove (const char  *folder,
                           GBytes      *key,
                           const char  *id,
                           guint       *removed,
                           GError     **error)
{
  int fd = lock_hosts (folder, error);
  g_autoptr(GPtrArray) hosts = NULL;
  guint count = 0;
  gboolean saved = TRUE;

  if (removed != NULL)
    *removed = 0;
  if (fd < 0)
    return FALSE;
  hosts = load (folder, error);
  if (hosts == NULL)
    {
      close (fd);
      return FALSE;
    }
  for (guint i = hosts->len; i-- > 0;)
    {
      CradleAgentHost *host = g_ptr_array_index (hosts, i);
      g_autofree char *host_id = cradle_agent_host_dup_id (host);
      gboolean match = (key != NULL && g_bytes_equal (host->key, key)) ||
                       (id != NULL && (g_strcmp0 (id, "all") == 0 ||
                                       (strlen (id) >= 4 && g_str_has_prefix (host_id, id))));

      if (match)
        {
          g_ptr_array_remove_index (hosts, i);
          count++;
        }
    }
  if (count > 0)
    saved = save (folder, hosts, error);
  close (fd);
  if (removed != NULL)
    *removed = count;
  return saved;
}
