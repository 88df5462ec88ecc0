/* main.c: the Cradle desktop app */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include <cradle/cradle.h>

#include "cradle-application.h"

/* With the cairo renderer chosen (software rendering: a VM, remote X,
 * Xvfb), nothing draws with GL, yet GDK on X11 still loads the GL driver
 * to pick a visual; Mesa's llvmpipe alone maps about 40 MB.  Skip it. */
static void
skip_gl_for_cairo (void)
{
  const char *renderer = g_getenv ("GSK_RENDERER");
  const char *debug = g_getenv ("GDK_DEBUG");
  g_autofree char *flags = NULL;

  if (g_strcmp0 (renderer, "cairo") != 0 || (debug != NULL && strstr (debug, "gl") != NULL))
    return;
  flags = debug != NULL && debug[0] != '\0' ? g_strconcat (debug, ",gl-disable", NULL)
                                             : g_strdup ("gl-disable");
  g_setenv ("GDK_DEBUG", flags, TRUE);
}

int
main (int    argc,
      char **argv)
{
  CradleApplication *app;
  int status;

  skip_gl_for_cairo ();
  /* Cradle's lines kept for a support report, runs' lines in the journal
   * (cradle-log.h). */
  g_log_set_writer_func (cradle_log_writer, NULL, NULL);

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  cradle_application_mark_start ();
  app = cradle_application_new ();
  status = g_application_run (G_APPLICATION (app), argc, argv);
  /* The window, the care and their threads end with the application; the
   * libraries' destructors are not run (cradle-process.c says why). */
  g_object_unref (app);
  cradle_process_exit (status, EXIT_FAILURE);
}
