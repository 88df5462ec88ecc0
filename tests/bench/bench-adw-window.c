/* bench-adw-window.c: the smallest libadwaita app with a window like Cradle's first page
 *
 * The peer of the app's start-up benchmark: an AdwApplication whose window
 * has a header bar and a status page, nothing else; it prints its first
 * frame as the app's --bench does.
 */
#include <stdio.h>
#include <adwaita.h>

/* The app's --bench hook, the same: the first frame clock "after-paint". */
static void
on_after_paint (GdkFrameClock *clock,
                gpointer       user_data)
{
  g_signal_handlers_disconnect_by_func (clock, on_after_paint, user_data);
  g_print ("cradle-bench: first-frame monotonic-us=%" G_GINT64_FORMAT "\n", g_get_monotonic_time ());
  fflush (stdout);
}

static void
on_realize (GtkWidget *window,
            gpointer   user_data)
{
  GdkFrameClock *clock = gdk_surface_get_frame_clock (gtk_native_get_surface (GTK_NATIVE (window)));

  g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), NULL);
}

static void
activate (GApplication *app)
{
  GtkWidget *window = adw_application_window_new (GTK_APPLICATION (app));
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *status = adw_status_page_new ();

  adw_status_page_set_icon_name (ADW_STATUS_PAGE (status), "phone-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (status), "Connect a Device");
  adw_status_page_set_description (ADW_STATUS_PAGE (status), "A minimal libadwaita window.");
  gtk_widget_set_vexpand (status, TRUE);
  gtk_box_append (GTK_BOX (box), adw_header_bar_new ());
  gtk_box_append (GTK_BOX (box), status);
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), box);
  gtk_window_set_default_size (GTK_WINDOW (window), 720, 700);
  g_signal_connect (window, "realize", G_CALLBACK (on_realize), NULL);
  gtk_window_present (GTK_WINDOW (window));
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(AdwApplication) app = adw_application_new ("org.cradle.BenchAdwWindow", G_APPLICATION_DEFAULT_FLAGS);

  g_signal_connect (app, "activate", G_CALLBACK (activate), NULL);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
