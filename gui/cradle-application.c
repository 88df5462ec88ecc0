/* cradle-application.c: the app, its command line and its domain settings
 *
 * The domain options are cradlectl's: --domain, --dc, --user and --ccache,
 * each also read from the environment (CRADLE_DOMAIN, CRADLE_DC,
 * CRADLE_USER, and Kerberos' own KRB5CCNAME), so a desktop session or a
 * test can set them once.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cradle-application.h"
#include "cradle-window.h"

struct _CradleApplication
{
  AdwApplication parent_instance;

  /* Owned */
  char     *domain;
  char     *dc_uri;
  char     *user;
  char     *ccache;
  gboolean  bench;
};

G_DEFINE_FINAL_TYPE (CradleApplication, cradle_application, ADW_TYPE_APPLICATION)

static gint64 start_time;

void
cradle_application_mark_start (void)
{
  start_time = g_get_monotonic_time ();
}

static const GOptionEntry option_entries[] = {
  { "domain", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Domain to use; its controllers are found in DNS (default: your Kerberos realm)"), N_("DOMAIN") },
  { "dc", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Domain controller to use, as ldap://HOST or ldaps://HOST"), N_("URI") },
  { "user", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Sign in as this user with a password instead of your Kerberos ticket"), N_("USER") },
  { "ccache", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Kerberos credential cache to use instead of the desktop's"), N_("NAME") },
  { "bench", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE, NULL,
    "Print when the first frame was drawn, for tests/bench", NULL },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Print the version and exit"), NULL },
  G_OPTION_ENTRY_NULL
};

/* The option's value, else the environment's, else NULL. */
static char *
take_setting (GVariantDict *options,
              const char   *name,
              const char   *variable)
{
  const char *value = NULL;

  if (!g_variant_dict_lookup (options, name, "&s", &value))
    value = g_getenv (variable);
  return value != NULL && *value != '\0' ? g_strdup (value) : NULL;
}

static int
cradle_application_handle_local_options (GApplication *app,
                                         GVariantDict *options)
{
  CradleApplication *self = CRADLE_APPLICATION (app);

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("cradle %s\n", CRADLE_VERSION);
      return 0;
    }
  self->domain = take_setting (options, "domain", "CRADLE_DOMAIN");
  self->dc_uri = take_setting (options, "dc", "CRADLE_DC");
  self->user = take_setting (options, "user", "CRADLE_USER");
  self->ccache = take_setting (options, "ccache", "CRADLE_CCACHE");
  self->bench = g_variant_dict_contains (options, "bench");
  return -1;
}

static void
cradle_application_activate (GApplication *app)
{
  CradleApplication *self = CRADLE_APPLICATION (app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  /* The window gets its session made from the options, and asks the
   * application for nothing. */
  if (window == NULL)
    {
      g_autoptr(CradleSession) session = cradle_session_new (self->domain, self->dc_uri, self->user, self->ccache);

      window = GTK_WINDOW (cradle_window_new (GTK_APPLICATION (app), session, self->bench ? start_time : 0));
    }
  gtk_window_present (window);
}

static void
cradle_application_finalize (GObject *object)
{
  CradleApplication *self = CRADLE_APPLICATION (object);

  g_clear_pointer (&self->domain, g_free);
  g_clear_pointer (&self->dc_uri, g_free);
  g_clear_pointer (&self->user, g_free);
  g_clear_pointer (&self->ccache, g_free);

  G_OBJECT_CLASS (cradle_application_parent_class)->finalize (object);
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  GtkApplication *app = user_data;
  const char *developers[] = { "The Cradle authors", NULL };

  adw_show_about_window (gtk_application_get_active_window (app),
                         "application-name", _("Cradle"),
                         "application-icon", APPLICATION_ID,
                         "version", CRADLE_VERSION,
                         "comments", _("Certificates from your organization for your connected devices"),
                         "developers", developers,
                         "license-type", GTK_LICENSE_LGPL_2_1,
                         NULL);
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static void
cradle_application_startup (GApplication *app)
{
  static const GActionEntry actions[] = {
    { "about", about_action },
    { "quit", quit_action },
  };
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *close_accels[] = { "<Control>w", NULL };

  G_APPLICATION_CLASS (cradle_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (app), actions, G_N_ELEMENTS (actions), app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "window.close", close_accels);
}

static void
cradle_application_class_init (CradleApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->finalize = cradle_application_finalize;
  app_class->handle_local_options = cradle_application_handle_local_options;
  app_class->startup = cradle_application_startup;
  app_class->activate = cradle_application_activate;
}

static void
cradle_application_init (CradleApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Get a certificate from your organization for a connected device."));
}

CradleApplication *
cradle_application_new (void)
{
  /* Unique: starting it again raises the window that runs (and its device
   * session) with the options it was started with. */
  return g_object_new (CRADLE_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/org/cradle/Cradle",
                       NULL);
}
