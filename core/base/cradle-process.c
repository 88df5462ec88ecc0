/* cradle-process.c: how a Cradle program ends
 *
 * Cradle's work runs in threads: GLib's pooled GTask workers, and the
 * threads core starts and joins itself.  A pooled worker that once called
 * into Kerberos (a SASL GSSAPI bind, a Negotiate exchange, a KDC call)
 * carries Kerberos's thread-specific data.  GLib retires such a worker
 * when it has more idle ones than it keeps, or after it idles a while,
 * and Kerberos's thread-exit hook then takes a lock of libkrb5support.
 * If the process is exiting at that moment, that library's destructor
 * may already have destroyed the lock, and the hook aborts the program
 * ("k5_mutex_lock: Received error 22") after its work is done and told.
 * exit() cannot wait for pooled workers, and no public GLib call does.
 *
 * So a program that is done does not run the destructors at all: its
 * objects are released, its databases committed and closed and its files
 * written (atomically) before it gets here; what is left is to flush what
 * it printed.
 */
#include "config.h"

#include <cradle/cradle.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void
cradle_process_exit (int status,
                     int failure_status)
{
  if (fflush (stdout) != 0 || ferror (stdout))
    {
      int saved = errno;

      fprintf (stderr, "%s: could not write the output (%s); what was printed is incomplete.\n",
               program_invocation_short_name, g_strerror (saved));
      status = failure_status;
    }
  fflush (stderr);
  _exit (status);
}
