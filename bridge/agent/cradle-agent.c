/* cradle-agent.c: the device side of Cradle
 *
 * On a Linux device it serves the USB binding through FunctionFS
 * (--functionfs DIR); elsewhere it runs as the device simulator, listening on
 * $XDG_RUNTIME_DIR/cradle/devices/<serial>.sock (or serving one session on an
 * inherited socket with --fd, for tests).
 */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <cradle/cradle.h>

#include "agent/cradle-agent-functionfs-private.h"
#include "agent/cradle-agent-hardware-private.h"
#include "agent/cradle-agent-hosts-private.h"
#include "agent/cradle-agent-keystore-private.h"
#include "agent/cradle-agent-secure-memory-private.h"
#include "agent/cradle-agent-session-private.h"
#include "agent/cradle-agent-socket-transport-private.h"
#include "protocol/cradle-bridge-socket-private.h"

typedef struct {
  CradleAgentConfig *config;
  GMainLoop         *loop;
  char              *socket_path;
  gint               busy;      /* atomic: a session is open */
  gint               threads;   /* atomic: session threads, serving or waiting */
  gint               waiting;   /* atomic: of those, the ones waiting */
} Agent;

typedef struct {
  Agent                 *agent;
  CradleBridgeTransport *transport;
} SessionJob;

/* A host that closed a moment ago may still be winding down: a new host
 * waits up to this long for the device before hearing BUSY. */
#define BUSY_GRACE_USEC (2 * G_USEC_PER_SEC)

/* Threads for connections: the session's, and at most this many more
 * waiting out the grace; later hosts hear BUSY at once, without a thread. */
#define MAX_WAITING_THREADS 4

static gpointer
session_thread (gpointer data)
{
  SessionJob *job = data;
  gint64 deadline = g_get_monotonic_time () + BUSY_GRACE_USEC;
  gboolean claimed;

  g_atomic_int_inc (&job->agent->waiting);
  while (!(claimed = g_atomic_int_compare_and_exchange (&job->agent->busy, 0, 1)) &&
         g_get_monotonic_time () < deadline)
    g_usleep (10 * 1000);
  g_atomic_int_add (&job->agent->waiting, -1);

  if (claimed)
    {
      cradle_agent_session_run (job->agent->config, job->transport);
      g_atomic_int_set (&job->agent->busy, 0);
    }
  else
    cradle_agent_session_refuse_busy (job->transport);
  g_object_unref (job->transport);
  g_atomic_int_add (&job->agent->threads, -1);
  g_free (job);
  return NULL;
}

static gboolean
on_incoming (int          listener,
             GIOCondition condition,
             gpointer     user_data)
{
  Agent *agent = user_data;
  g_autoptr(CradleBridgeTransport) transport = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  int fd = accept4 (listener, NULL, NULL, SOCK_CLOEXEC);

  if (fd < 0)
    {
      /* Gone before we took it, or a signal: wait for the next one. */
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
        g_warning ("Could not take a connection: %s", g_strerror (errno));
      return G_SOURCE_CONTINUE;
    }
  id = g_strdup_printf ("socket:%s", agent->config->serial);
  transport = cradle_agent_socket_transport_new (fd, id, &error);
  if (transport == NULL)
    {
      g_warning ("Could not take a connection: %s", error->message);
      return G_SOURCE_CONTINUE;
    }

  /* Only this thread adds to the count, so it cannot go over. The refusal
   * is a few bytes into a fresh socket's empty buffer: it does not block. */
  if (g_atomic_int_get (&agent->threads) >= 1 + MAX_WAITING_THREADS)
    {
      g_debug ("Refused a connection: %d threads already serve or wait", 1 + MAX_WAITING_THREADS);
      cradle_agent_session_refuse_busy (transport);
      return G_SOURCE_CONTINUE;
    }
  g_atomic_int_inc (&agent->threads);
  {
    SessionJob *job = g_new0 (SessionJob, 1);

    job->agent = agent;
    job->transport = g_steal_pointer (&transport);
    g_thread_unref (g_thread_new ("cradle-session", session_thread, job));
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
on_quit_signal (gpointer user_data)
{
  g_main_loop_quit (((Agent *) user_data)->loop);
  return G_SOURCE_REMOVE;
}

/* @path as a Unix socket address; FALSE if it does not fit. */
static gboolean
socket_address (const char         *path,
                struct sockaddr_un *address,
                GError            **error)
{
  *address = (struct sockaddr_un) { .sun_family = AF_UNIX };
  if (strlen (path) >= sizeof address->sun_path)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "Could not listen on %s: a socket's path is at most %u bytes long. "
                   "Give a shorter --socket or --serial.", path, (guint) sizeof address->sun_path - 1);
      return FALSE;
    }
  g_strlcpy (address->sun_path, path, sizeof address->sun_path);
  return TRUE;
}

/* A socket file nobody answers on is left over from a crash: remove it. */
static gboolean
claim_socket_path (const char                *path,
                   const struct sockaddr_un  *address,
                   GError                   **error)
{
  int fd;
  gboolean answered;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return TRUE;
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                   "Could not check whether another agent serves %s: %s", path, g_strerror (saved_errno));
      return FALSE;
    }
  answered = connect (fd, (const struct sockaddr *) address, sizeof *address) == 0;
  close (fd);
  if (answered)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_BUSY,
                   "Another agent already serves %s. Stop it, or give this one another --serial.", path);
      return FALSE;
    }
  g_unlink (path);
  return TRUE;
}

/* A listening socket at @path, for the main loop to watch; -1 on failure. */
static int
listen_at (const char  *path,
           GError     **error)
{
  struct sockaddr_un address;
  int fd;

  if (!socket_address (path, &address, error) || !claim_socket_path (path, &address, error))
    return -1;
  /* Non-blocking: a host that gave up before accept() must not stall the loop. */
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0 ||
      bind (fd, (const struct sockaddr *) &address, sizeof address) < 0 ||
      listen (fd, 10) < 0)
    {
      int saved_errno = errno;

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                   "Could not listen on %s: %s", path, g_strerror (saved_errno));
      if (fd >= 0)
        close (fd);
      return -1;
    }
  return fd;
}

static gboolean
listen_and_serve (Agent   *agent,
                  GError **error)
{
  g_autofree char *folder = cradle_bridge_socket_dup_devices_dir ();
  guint watch;
  int fd;

  if (!cradle_paths_ensure_private_dir (folder, error))
    return FALSE;
  if (agent->socket_path == NULL)
    {
      g_autofree char *name = g_strdup_printf ("%s.sock", agent->config->serial);

      agent->socket_path = g_build_filename (folder, name, NULL);
    }
  fd = listen_at (agent->socket_path, error);
  if (fd < 0)
    return FALSE;
  watch = g_unix_fd_add (fd, G_IO_IN, on_incoming, agent);

  g_unix_signal_add (SIGTERM, on_quit_signal, agent);
  g_unix_signal_add (SIGINT, on_quit_signal, agent);
  g_print ("cradle-agent: device %s (%s) listening on %s\n",
           agent->config->serial, agent->config->model, agent->socket_path);
  g_main_loop_run (agent->loop);

  g_source_remove (watch);
  close (fd);
  g_unlink (agent->socket_path);
  return TRUE;
}

static gboolean
parse_policies (CradleAgentConfig  *config,
                const char         *all,
                const char * const *per_operation,
                GError            **error)
{
  CradleConfirmPolicy base = CRADLE_CONFIRM_ASK;

  if (all != NULL && !cradle_confirm_policy_parse (all, &base, error))
    return FALSE;
  for (guint i = 0; i < CRADLE_CONFIRM_N_OPERATIONS; i++)
    {
      config->policy[i] = base;
      if (per_operation[i] != NULL && !cradle_confirm_policy_parse (per_operation[i], &config->policy[i], error))
        return FALSE;
    }
  return TRUE;
}

/* The device's user looks after the computers it trusts. */
static int
manage_hosts (const char *folder,
              gboolean    list,
              const char *forget)
{
  g_autoptr(GError) error = NULL;

  if (list)
    {
      g_autoptr(GPtrArray) hosts = cradle_agent_hosts_list (folder, &error);

      if (hosts == NULL)
        {
          g_printerr ("cradle-agent: %s\n", error->message);
          return 1;
        }
      if (hosts->len == 0)
        g_print ("This device trusts no computer yet.\n");
      for (guint i = 0; i < hosts->len; i++)
        {
          CradleAgentHost *host = g_ptr_array_index (hosts, i);
          g_autofree char *id = cradle_agent_host_dup_id (host);
          g_autofree char *name = cradle_text_escape (host->name, -1, CRADLE_TEXT_ESCAPE_DEFAULT);
          g_autofree char *user = cradle_text_escape (host->user, -1, CRADLE_TEXT_ESCAPE_DEFAULT);
          g_autoptr(GDateTime) paired = g_date_time_new_from_unix_local (host->paired);
          g_autoptr(GDateTime) used = g_date_time_new_from_unix_local (host->last_used);
          g_autofree char *paired_text = paired != NULL ? g_date_time_format (paired, "%F %R") : g_strdup ("?");
          g_autofree char *used_text = used != NULL ? g_date_time_format (used, "%F %R") : g_strdup ("?");

          g_print ("%s  %s  user %s  paired %s  last used %s\n", id, name, user, paired_text, used_text);
        }
      return 0;
    }
  {
    guint removed = 0;

    if (!cradle_agent_hosts_remove (folder, NULL, forget, &removed, &error))
      {
        g_printerr ("cradle-agent: %s\n", error->message);
        return 1;
      }
    if (removed == 0)
      {
        g_printerr ("cradle-agent: no paired computer has the id '%s' (see --list-hosts; "
                    "give at least 4 characters, or \"all\")\n", forget);
        return 1;
      }
    g_print ("This device no longer trusts %u computer%s.\n", removed, removed == 1 ? "" : "s");
    return 0;
  }
}

int
main (int    argc,
      char **argv)
{
  int status = 0;
  g_autofree char *serial = NULL;
  g_autofree char *model = NULL;
  g_autofree char *manufacturer = NULL;
  g_autofree char *store = NULL;
  g_autofree char *kek_file = NULL;
  g_autofree char *socket_path = NULL;
  g_autofree char *functionfs = NULL;
  g_autofree char *confirm = NULL;
  g_autofree char *confirm_generate = NULL;
  g_autofree char *confirm_sign = NULL;
  g_autofree char *confirm_root = NULL;
  g_autofree char *confirm_pair = NULL;
  g_autofree char *forget_host = NULL;
  gboolean list_hosts = FALSE;
  int host_expiry_days = 30;
  g_autofree char *confirm_delete = NULL;
  g_autofree char *confirm_import = NULL;
  gboolean privileged = FALSE;
  gboolean verbose = FALSE;
  int fd = -1;
  int confirm_max = 600;
  int idle_timeout = 120;
  GOptionEntry entries[] = {
    { "serial", 0, 0, G_OPTION_ARG_STRING, &serial, "Serial number of the simulated device", "SERIAL" },
    { "model", 0, 0, G_OPTION_ARG_STRING, &model,
      "Model name it reports (default: over USB the machine's, from DMI or the device tree)", "MODEL" },
    { "manufacturer", 0, 0, G_OPTION_ARG_STRING, &manufacturer,
      "Manufacturer it reports (default: over USB the machine's, from DMI or the device tree)", "NAME" },
    { "store", 0, 0, G_OPTION_ARG_FILENAME, &store, "Folder of its keys and certificate stores", "DIR" },
    { "kek-file", 0, 0, G_OPTION_ARG_FILENAME, &kek_file,
      "Its key-encryption key, apart from the store (default: $XDG_CONFIG_HOME/cradle-agent/SERIAL/kek)", "PATH" },
    { "privileged", 0, 0, G_OPTION_ARG_NONE, &privileged, "Allow changes to the system stores", NULL },
    { "confirm", 0, 0, G_OPTION_ARG_STRING, &confirm, "ask (default), approve, decline or never", "POLICY" },
    { "confirm-generate", 0, 0, G_OPTION_ARG_STRING, &confirm_generate, "Policy for key generation", "POLICY" },
    { "confirm-sign", 0, 0, G_OPTION_ARG_STRING, &confirm_sign, "Policy for signing requests", "POLICY" },
    { "confirm-root", 0, 0, G_OPTION_ARG_STRING, &confirm_root, "Policy for trusting a new root", "POLICY" },
    { "confirm-pair", 0, 0, G_OPTION_ARG_STRING, &confirm_pair, "Policy for trusting a new computer", "POLICY" },
    { "host-expiry-days", 0, 0, G_OPTION_ARG_INT, &host_expiry_days,
      "Forget a paired computer unused for this many days (30; 0: never)", "DAYS" },
    { "list-hosts", 0, 0, G_OPTION_ARG_NONE, &list_hosts, "List the computers this device trusts, then exit", NULL },
    { "forget-host", 0, 0, G_OPTION_ARG_STRING, &forget_host,
      "Stop trusting a computer (its id from --list-hosts, or \"all\"), then exit", "ID" },
    { "confirm-delete", 0, 0, G_OPTION_ARG_STRING, &confirm_delete,
      "Policy for deleting a certificate, which retires its key", "POLICY" },
    { "confirm-import", 0, 0, G_OPTION_ARG_STRING, &confirm_import,
      "Policy for importing a key made elsewhere (from a PFX/P12 file)", "POLICY" },
    { "confirm-timeout", 0, 0, G_OPTION_ARG_INT, &confirm_max, "Seconds to wait for an answer (600)", "SECONDS" },
    { "socket", 0, 0, G_OPTION_ARG_FILENAME, &socket_path, "Listen here instead of the runtime folder", "PATH" },
    { "functionfs", 0, 0, G_OPTION_ARG_FILENAME, &functionfs, "Serve USB through the FunctionFS mounted here", "DIR" },
    { "fd", 0, 0, G_OPTION_ARG_INT, &fd, "Serve one session on this connected socket, then exit", "FD" },
    { "idle-timeout", 0, 0, G_OPTION_ARG_INT, &idle_timeout,
      "Close a socket session idle this many seconds when another host waits (120; 0: never)", "SECONDS" },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Say what happens", NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- the Cradle device agent and simulator");
  g_autoptr(GError) error = NULL;
  const char *per_operation[CRADLE_CONFIRM_N_OPERATIONS];
  CradleAgentConfig config = { 0 };
  Agent agent = { 0 };

  /* First of all: from here on no core file, gcore or ptrace by this user
   * sees the keys (cradle-agent-secure-memory-private.h). */
  if (!cradle_agent_secure_memory_wipe_openssl_frees ())
    g_warning ("OpenSSL's memory is not wiped when freed: it was in use too early");
  setlocale (LC_ALL, "");
  if (!cradle_agent_secure_memory_protect_process (&error) || !cradle_agent_secure_memory_init (&error))
    {
      g_printerr ("cradle-agent: %s\n", error->message);
      return 1;
    }
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("cradle-agent: %s\n", error->message);
      return 2;
    }
  if (verbose)
    g_log_set_debug_enabled (TRUE);
  if ((functionfs != NULL) + (socket_path != NULL) + (fd >= 0) > 1)
    {
      g_printerr ("cradle-agent: --functionfs, --socket and --fd each choose where to serve: give one.\n");
      return 2;
    }

  per_operation[CRADLE_CONFIRM_GENERATE_KEY] = confirm_generate;
  per_operation[CRADLE_CONFIRM_SIGN] = confirm_sign;
  per_operation[CRADLE_CONFIRM_ROOT] = confirm_root;
  per_operation[CRADLE_CONFIRM_PAIR] = confirm_pair;
  per_operation[CRADLE_CONFIRM_DELETE_CERT] = confirm_delete;
  per_operation[CRADLE_CONFIRM_IMPORT_KEY] = confirm_import;
  if (!parse_policies (&config, confirm, per_operation, &error))
    {
      g_printerr ("cradle-agent: %s\n", error->message);
      return 2;
    }
  config.serial = g_strdup (serial != NULL ? serial : "SIM-0001");
  if (functionfs != NULL)
    {
      /* A real machine over USB: it is what its firmware says it is, unless
       * its configuration says otherwise. */
      g_autofree char *machine_manufacturer = NULL;
      g_autofree char *machine_model = NULL;

      cradle_agent_hardware_describe ("/", &machine_manufacturer, &machine_model);
      config.model = g_strdup (model != NULL ? model : machine_model != NULL ? machine_model : "Linux device");
      config.manufacturer = g_strdup (manufacturer != NULL ? manufacturer :
                                      machine_manufacturer != NULL ? machine_manufacturer : "Unknown");
    }
  else
    {
      config.model = g_strdup (model != NULL ? model : "Cradle Simulator");
      config.manufacturer = g_strdup (manufacturer != NULL ? manufacturer : "Cradle");
    }
  config.privileged = privileged;
  config.confirm_max_seconds = (guint) CLAMP (confirm_max, 1, 24 * 3600);
  /* Only where other hosts can wait: the listening socket (not USB, not --fd). */
  config.idle_seconds = functionfs == NULL && fd < 0 ? (guint) CLAMP (idle_timeout, 0, 24 * 3600) : 0;
  if (store == NULL)
    store = g_build_filename (g_get_user_data_dir (), "cradle-agent", config.serial, NULL);
  if (kek_file == NULL)
    kek_file = g_build_filename (g_get_user_config_dir (), "cradle-agent", config.serial, "kek", NULL);

  if (list_hosts || forget_host != NULL)
    {
      status = manage_hosts (store, list_hosts, forget_host);
      goto out;
    }

  config.keystore = cradle_agent_keystore_open_full (store, kek_file, privileged, &error);
  if (config.keystore == NULL)
    {
      g_printerr ("cradle-agent: %s\n", error->message);
      status = 1;
      goto out;
    }
  config.identity = cradle_agent_keystore_load_identity (config.keystore, &error);
  if (config.identity == NULL)
    {
      g_printerr ("cradle-agent: %s\n", error->message);
      status = 1;
      goto out;
    }
  config.folder = g_strdup (store);
  config.host_expiry_days = (guint) CLAMP (host_expiry_days, 0, 100 * 365);

  if (fd >= 0)
    {
      g_autoptr(CradleBridgeTransport) transport = cradle_agent_socket_transport_new (fd, "socket:fd", &error);

      if (transport == NULL)
        {
          g_printerr ("cradle-agent: %s\n", error->message);
          status = 1;
          goto out;
        }
      cradle_agent_session_run (&config, transport);
    }
  else if (functionfs != NULL)
    {
      if (!cradle_agent_functionfs_serve (&config, functionfs, &error))
        {
          g_printerr ("cradle-agent: %s\n", error->message);
          status = 1;
          goto out;
        }
    }
  else
    {
      agent.config = &config;
      config.waiting_hosts = &agent.waiting;
      agent.loop = g_main_loop_new (NULL, FALSE);
      agent.socket_path = g_steal_pointer (&socket_path);
      if (!listen_and_serve (&agent, &error))
        {
          g_printerr ("cradle-agent: %s\n", error->message);
          status = 1;
          goto out;
        }
      g_main_loop_unref (agent.loop);
      g_free (agent.socket_path);
    }

out:
  g_clear_object (&config.keystore);
  g_clear_pointer (&config.identity, EVP_PKEY_free);
  g_free (config.folder);
  g_free (config.serial);
  g_free (config.model);
  g_free (config.manufacturer);
  return status;
}
