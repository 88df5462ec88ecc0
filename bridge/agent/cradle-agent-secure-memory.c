/* cradle-agent-secure-memory.c: memory kept out of core dumps, and a process that cannot be dumped */
#include "config.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <openssl/crypto.h>
#include <cradle/cradle.h>

#include "agent/cradle-agent-secure-memory-private.h"

/* The smallest block the secure heap hands out. */
#define SECURE_HEAP_MIN_SIZE 16

static void *
wiping_malloc (size_t      size,
               const char *file,
               int         line)
{
  return malloc (size);
}

static void
wiping_free (void       *data,
             const char *file,
             int         line)
{
  if (data == NULL)
    return;
  explicit_bzero (data, malloc_usable_size (data));
  free (data);
}

/* Never realloc() in place: the old block is wiped, whatever moved. */
static void *
wiping_realloc (void       *data,
                size_t      size,
                const char *file,
                int         line)
{
  gsize old_size;
  void *moved;

  if (data == NULL)
    return malloc (size);
  if (size == 0)
    {
      wiping_free (data, file, line);
      return NULL;
    }
  moved = malloc (size);
  if (moved == NULL)
    return NULL;
  old_size = malloc_usable_size (data);
  memcpy (moved, data, MIN (old_size, size));
  wiping_free (data, file, line);
  return moved;
}

gboolean
cradle_agent_secure_memory_wipe_openssl_frees (void)
{
  return CRYPTO_set_mem_functions (wiping_malloc, wiping_realloc, wiping_free) == 1;
}

gboolean
cradle_agent_secure_memory_init (GError **error)
{
  static gsize done = 0;
  static gboolean ok = FALSE;

  if (g_once_init_enter (&done))
    {
      int result = CRYPTO_secure_malloc_initialized ()
                   ? 1 : CRYPTO_secure_malloc_init (CRADLE_AGENT_SECURE_HEAP_SIZE, SECURE_HEAP_MIN_SIZE);

      /* 2: the arena works, but mlock() (RLIMIT_MEMLOCK) or a guard page
       * failed. It is still MADV_DONTDUMP unless that failed too; either way
       * it could now be swapped out, which the agent's user should know. */
      if (result == 2)
        g_warning ("The memory for the device's keys could not all be locked in RAM "
                   "(raise RLIMIT_MEMLOCK to %u KiB or more); it may be written to swap",
                   CRADLE_AGENT_SECURE_HEAP_SIZE / 1024);
      ok = result != 0;
      g_once_init_leave (&done, 1);
    }
  if (!ok)
    g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                 "Could not set aside %u KiB of memory kept out of core dumps for the device's keys",
                 CRADLE_AGENT_SECURE_HEAP_SIZE / 1024);
  return ok;
}

gboolean
cradle_agent_secure_memory_protect_process (GError **error)
{
  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                   "Could not stop this process from being dumped or traced: %s", g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

gpointer
cradle_agent_secure_alloc (gsize size)
{
  gpointer data = OPENSSL_secure_zalloc (MAX (size, 1));

  if (data == NULL)
    {
      g_warning ("The memory kept out of core dumps is full: a secret of %" G_GSIZE_FORMAT
                 " bytes goes to ordinary memory", size);
      data = OPENSSL_zalloc (MAX (size, 1));
      /* As g_malloc() does when memory runs out. */
      if (data == NULL)
        g_abort ();
    }
  return data;
}

void
cradle_agent_secure_free (gpointer data,
                          gsize    size)
{
  /* Wipes the whole block, from the secure heap or not. */
  if (data != NULL)
    OPENSSL_secure_clear_free (data, MAX (size, 1));
}
