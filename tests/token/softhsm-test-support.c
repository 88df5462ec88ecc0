/* softhsm-test-support.c: see softhsm-test-support.h */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "test-files.h"
#include "pkcs11/cradle-token-private.h"
#include "softhsm-test-support.h"

/* SoftHSM's vendor attribute holding a token's flags in token.object, and
 * the kinds of the values there (its ObjectFile format). */
#define SOFTHSM_CKA_OS_TOKENFLAGS 0x8000534bULL
#define SOFTHSM_BOOLEAN_ATTR      0x1ULL
#define SOFTHSM_ULONG_ATTR        0x2ULL
#define SOFTHSM_BYTESTR_ATTR      0x3ULL
#define CKF_USER_PIN_LOCKED_FLAG  0x00040000ULL

const char *
cradle_test_softhsm_missing (void)
{
  if (!g_file_test (CRADLE_TEST_SOFTHSM_MODULE, G_FILE_TEST_EXISTS))
    return "SoftHSM2 is not installed (" CRADLE_TEST_SOFTHSM_MODULE "; apt-get install softhsm2)";
  {
    g_autofree char *util = g_find_program_in_path ("softhsm2-util");

    if (util == NULL)
      return "softhsm2-util is not installed (apt-get install softhsm2)";
  }
  return NULL;
}

static void
run (const char * const *argv,
     char              **out)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  g_autofree char *ignored = NULL;
  int status = 0;

  /* Its output never reaches the test's TAP stream. */
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                     out != NULL ? out : &ignored, &err,
                     &status, &error))
    g_error ("Could not run %s: %s", argv[0], error->message);
  if (!g_spawn_check_wait_status (status, &error))
    g_error ("%s failed: %s\n%s", argv[0], error->message, err != NULL ? err : "");
}

void
cradle_test_softhsm_add_token (CradleTestSofthsm *self,
                               const char        *label)
{
  const char *argv[] = { "softhsm2-util", "--init-token", "--free", "--label", label,
                         "--so-pin", self->so_pin, "--pin", self->pin, NULL };

  g_setenv ("SOFTHSM2_CONF", self->conf, TRUE);
  run (argv, NULL);
}

CradleTestSofthsm *
cradle_test_softhsm_new (const char *label,
                         const char *pin,
                         const char *so_pin,
                         const char *mechanisms)
{
  CradleTestSofthsm *self = g_new0 (CradleTestSofthsm, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *tokens = NULL;
  g_autofree char *text = NULL;

  self->dir = test_make_memory_folder ("cradle-softhsm-XXXXXX");
  g_assert_nonnull (self->dir);
  self->conf = g_build_filename (self->dir, "softhsm2.conf", NULL);
  self->label = g_strdup (label);
  self->pin = g_strdup (pin);
  self->so_pin = g_strdup (so_pin);
  self->uri = g_strdup_printf ("pkcs11:token=%s", label);
  tokens = g_build_filename (self->dir, "tokens", NULL);
  g_assert_cmpint (g_mkdir (tokens, 0700), ==, 0);
  text = g_strdup_printf ("directories.tokendir = %s\n"
                          "objectstore.backend = file\n"
                          "log.level = ERROR\n"
                          "slots.removable = false\n"
                          "%s%s%s",
                          tokens,
                          mechanisms != NULL ? "slots.mechanisms = " : "",
                          mechanisms != NULL ? mechanisms : "",
                          mechanisms != NULL ? "\n" : "");
  g_file_set_contents (self->conf, text, -1, &error);
  g_assert_no_error (error);
  cradle_test_softhsm_add_token (self, label);
  cradle_test_softhsm_reload (self);
  return self;
}

void
cradle_test_softhsm_reload (CradleTestSofthsm *self)
{
  const char *softhsm[] = { CRADLE_TEST_SOFTHSM_MODULE, NULL };
  const char *client[] = { CRADLE_TEST_P11KIT_CLIENT, NULL };

  /* Unload first, so that SoftHSM reads its configuration again. */
  cradle_token_set_modules (NULL, FALSE);
  g_setenv ("SOFTHSM2_CONF", self->conf, TRUE);
  if (self->address != NULL)
    g_setenv ("P11_KIT_SERVER_ADDRESS", self->address, TRUE);
  cradle_token_set_modules (self->server != 0 ? client : softhsm, FALSE);
}

static guint
count_files (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;
  guint count = 0;

  if (dir == NULL)
    return 0;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        count += count_files (child);
      else if (g_str_has_suffix (name, ".object") && !g_str_equal (name, "token.object"))
        count++;
    }
  return count;
}

guint
cradle_test_softhsm_count_objects (CradleTestSofthsm *self)
{
  g_autofree char *tokens = g_build_filename (self->dir, "tokens", NULL);

  return count_files (tokens);
}

static guint64
read_u64 (const guint8 *p)
{
  guint64 v = 0;

  for (int i = 0; i < 8; i++)
    v = (v << 8) | p[i];
  return v;
}

static void
write_u64 (guint8  *p,
           guint64  v)
{
  for (int i = 7; i >= 0; i--)
    {
      p[i] = v & 0xff;
      v >>= 8;
    }
}

/* Sets the flag in every token.object of the folder (one token). */
static gboolean
lock_in (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;
  gboolean done = FALSE;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      g_autofree guint8 *data = NULL;
      g_autoptr(GError) error = NULL;
      gsize size = 0, at = 8;

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        {
          done |= lock_in (child);
          continue;
        }
      if (!g_str_equal (name, "token.object"))
        continue;
      g_file_get_contents (child, (char **) &data, &size, &error);
      g_assert_no_error (error);
      /* generation, then (type, kind, value) records */
      while (at + 16 <= size)
        {
          guint64 type = read_u64 (data + at), kind = read_u64 (data + at + 8);

          at += 16;
          if (kind == SOFTHSM_BOOLEAN_ATTR)
            at += 1;
          else if (kind == SOFTHSM_ULONG_ATTR && at + 8 <= size)
            {
              if (type == SOFTHSM_CKA_OS_TOKENFLAGS)
                {
                  write_u64 (data + at, read_u64 (data + at) | CKF_USER_PIN_LOCKED_FLAG);
                  done = TRUE;
                }
              at += 8;
            }
          else if (kind == SOFTHSM_BYTESTR_ATTR && at + 8 <= size)
            at += 8 + read_u64 (data + at);
          else
            break;
        }
      g_file_set_contents (child, (const char *) data, size, &error);
      g_assert_no_error (error);
    }
  return done;
}

void
cradle_test_softhsm_lock_pin (CradleTestSofthsm *self)
{
  g_autofree char *tokens = g_build_filename (self->dir, "tokens", NULL);

  g_assert_true (lock_in (tokens));
}

/* The server forks a process per client: all go with its group. */
static void
new_process_group (gpointer data)
{
  setpgid (0, 0);
  /* Gone with the test, even one that aborted. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

void
cradle_test_softhsm_serve (CradleTestSofthsm *self)
{
  g_autofree char *socket = g_build_filename (self->dir, "p11-kit.sock", NULL);
  const char *argv[] = { CRADLE_TEST_P11KIT_SERVER, "--foreground", "--sh", "--name", socket,
                         "--provider", CRADLE_TEST_SOFTHSM_MODULE, self->uri, NULL };
  g_autoptr(GError) error = NULL;

  g_setenv ("SOFTHSM2_CONF", self->conf, TRUE);
  g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL,
                 new_process_group, NULL, &self->server, &error);
  g_assert_no_error (error);
  /* The server has bound its socket when the path is there. */
  for (int i = 0; i < 1000 && !g_file_test (socket, G_FILE_TEST_EXISTS); i++)
    g_usleep (10 * 1000);
  g_assert_true (g_file_test (socket, G_FILE_TEST_EXISTS));
  self->address = g_strdup_printf ("unix:path=%s", socket);
  cradle_test_softhsm_reload (self);
}

void
cradle_test_softhsm_stop_server (CradleTestSofthsm *self)
{
  int status;

  if (self->server == 0)
    return;
  kill (-self->server, SIGKILL);
  waitpid (self->server, &status, 0);
  g_spawn_close_pid (self->server);
  self->server = 0;
}

char *
cradle_test_softhsm_pkcs11_tool (CradleTestSofthsm  *self,
                                 const char * const *args)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  char *out = NULL;

  g_ptr_array_add (argv, (gpointer) "pkcs11-tool");
  g_ptr_array_add (argv, (gpointer) "--module");
  g_ptr_array_add (argv, (gpointer) CRADLE_TEST_SOFTHSM_MODULE);
  g_ptr_array_add (argv, (gpointer) "--token-label");
  g_ptr_array_add (argv, self->label);
  g_ptr_array_add (argv, (gpointer) "--login");
  g_ptr_array_add (argv, (gpointer) "--pin");
  g_ptr_array_add (argv, self->pin);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_setenv ("SOFTHSM2_CONF", self->conf, TRUE);
  run ((const char * const *) argv->pdata, &out);
  return out;
}

void
cradle_test_softhsm_free (CradleTestSofthsm *self)
{
  if (self == NULL)
    return;
  cradle_token_set_modules (NULL, FALSE);
  cradle_test_softhsm_stop_server (self);
  g_unsetenv ("P11_KIT_SERVER_ADDRESS");
  test_remove_tree (self->dir);
  g_free (self->dir);
  g_free (self->conf);
  g_free (self->label);
  g_free (self->pin);
  g_free (self->so_pin);
  g_free (self->uri);
  g_free (self->address);
  g_free (self);
}
