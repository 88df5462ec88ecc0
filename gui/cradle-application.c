/* cradle-application.c: the app, its command line, its domain settings, and the service
 *
 * The domain options are cradlectl's: --domain, --dc, --user and --ccache,
 * each also read from the environment (CRADLE_DOMAIN, CRADLE_DC,
 * CRADLE_USER, CRADLE_CCACHE) and the domain and its controller from
 * cradle.conf's [Directory] Domain= and DC=, in the one order
 * cradle_settings_dup() keeps for the app and cradlectl.
 *
 * The application owns the care of the cradled device (CradleCare): one
 * per desktop session, since the app is unique.  Started with
 * --gapplication-service (at login, from the autostart entry, or by D-Bus
 * activation), it runs the care without a window and stays until the
 * session ends; opening Cradle then shows a window on the same care, so
 * the window and the background never contend for the device.  What the
 * care finishes in the background is told as a desktop notification
 * unless a window of the app has the focus.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cradle-application.h"
#include "cradle-cert-row.h"
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
  CradleCare *care;
  gboolean  service;
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

/* The option's value, else the environment's, else cradle.conf's, else
 * NULL: cradle_settings_dup(), as cradlectl reads them. */
static char *
take_setting (GVariantDict  *options,
              const char    *name,
              CradleSetting  setting)
{
  const char *value = NULL;

  g_variant_dict_lookup (options, name, "&s", &value);
  return cradle_settings_dup (setting, value);
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
  self->domain = take_setting (options, "domain", CRADLE_SETTING_DOMAIN);
  self->dc_uri = take_setting (options, "dc", CRADLE_SETTING_DC);
  self->user = take_setting (options, "user", CRADLE_SETTING_USER);
  self->ccache = take_setting (options, "ccache", CRADLE_SETTING_CCACHE);
  self->bench = g_variant_dict_contains (options, "bench");
  return -1;
}

/* ---- the care, and what it tells the desktop ---------------------------- */

static const char *
type_title (CradleCertType *type)
{
  if (type == NULL)
    return _("device");
  return cradle_cert_type_get_display_name (type) != NULL ? cradle_cert_type_get_display_name (type)
                                                          : cradle_cert_type_get_name (type);
}

/* Whether a window of the app has the focus: it says so itself. */
static gboolean
window_has_focus (CradleApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  return window != NULL && gtk_widget_get_visible (GTK_WIDGET (window)) && gtk_window_is_active (window);
}

/* Text from outside (the device's model, the directory's type names) for a
 * notification's body: controls escaped, and no markup, since notification
 * servers that support it read the body as markup. */
static char *
outside_text (const char *text)
{
  g_autofree char *escaped = cradle_text_escape (text, -1, CRADLE_TEXT_ESCAPE_DEFAULT);

  return g_markup_escape_text (escaped, -1);
}

/* One notification per request: a newer word on it replaces the older. */
static void
notify (CradleApplication *self,
        const char        *id,
        const char        *title,
        const char        *body)
{
  g_autoptr(GNotification) notification = g_notification_new (title);

  g_notification_set_body (notification, body);
  g_notification_set_default_action (notification, "app.activate");
  g_info ("Notifying %s: %s", id, title);
  g_application_send_notification (G_APPLICATION (self), id, notification);
}

static void
on_resume_finished (CradleCare        *care,
                    CradleEnrollment  *enrollment,
                    CradleApplication *self)
{
  CradleEnrollmentOutcome outcome = cradle_enrollment_get_outcome (enrollment);
  CradleDevice *device = cradle_enrollment_get_device (enrollment);
  g_autofree char *id = g_strdup_printf ("request-%" G_GINT64_FORMAT, cradle_enrollment_get_request_id (enrollment));
  g_autofree char *model = outside_text (device != NULL && cradle_device_get_model (device) != NULL
                                          ? cradle_device_get_model (device) : _("the device"));
  g_autofree char *type = outside_text (type_title (cradle_enrollment_get_cert_type (enrollment)));
  g_autofree char *body = NULL;

  if (window_has_focus (self))
    return;
  if (outcome == CRADLE_ENROLLMENT_OUTCOME_INSTALLED)
    {
      /* Translators: "Your Cradle Device (UPN) certificate was issued and installed on Pixel 8." */
      body = g_strdup_printf (_("Your %s certificate was issued and installed on %s."), type, model);
      notify (self, id, _("Certificate Installed"), body);
    }
  else if (outcome == CRADLE_ENROLLMENT_OUTCOME_DENIED)
    {
      body = g_strdup_printf (_("Your request for a %s certificate was refused. Open Cradle to see why "
                                "and what to do."), type);
      notify (self, id, _("Request Refused"), body);
    }
}

/* The certificate's common name, or its subject, for a notification. */
static char *
cert_title (CradleCertStatus *status)
{
  g_autofree char *name = cradle_cert_row_dup_common_name (cradle_cert_status_get_subject (status));

  return outside_text (name);
}

static void
on_renewal_finished (CradleCare        *care,
                     CradleEnrollment  *enrollment,
                     CradleApplication *self)
{
  g_autofree char *type = outside_text (type_title (cradle_enrollment_get_cert_type (enrollment)));
  g_autofree char *body = NULL;
  g_autofree char *id = NULL;

  if (cradle_enrollment_get_outcome (enrollment) != CRADLE_ENROLLMENT_OUTCOME_INSTALLED || window_has_focus (self))
    return;
  id = g_strdup_printf ("renewed-%s", cradle_device_get_serial (cradle_enrollment_get_device (enrollment)));
  body = g_strdup_printf (_("Your %s certificate was renewed before it expired. The device keeps working "
                            "as before."), type);
  notify (self, id, _("Certificate Renewed"), body);
}

static void
on_certificate_revoked (CradleCare        *care,
                        CradleCertStatus  *status,
                        CradleApplication *self)
{
  g_autofree char *name = cert_title (status);
  g_autofree char *id = g_strdup_printf ("revoked-%s", cradle_cert_status_get_sha256 (status));
  g_autofree char *body = NULL;

  /* Told even with a window open: it may not show the device page. */
  body = g_strdup_printf (_("The certificate “%s” on your device was revoked (reason given: %s) and no longer works. "
                            "Open Cradle to remove it and get a new one; if you did not expect this, "
                            "tell your support team."),
                          name, cradle_revocation_reason_to_string (cradle_cert_status_get_revocation_reason (status)));
  notify (self, id, _("Certificate Revoked"), body);
}

static void
on_certificate_expiring (CradleCare        *care,
                         CradleCertStatus  *status,
                         int                days,
                         const char        *why,
                         CradleApplication *self)
{
  g_autofree char *name = cert_title (status);
  g_autofree char *reason = outside_text (why);
  g_autofree char *id = g_strdup_printf ("expiring-%s", cradle_cert_status_get_sha256 (status));
  g_autofree char *body = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (cradle_cert_status_get_not_after (status) <= now)
    body = g_strdup_printf (_("The certificate “%s” on your device has expired and could not be renewed: %s. "
                              "Open Cradle to get a new one."), name, reason);
  else if (days == 0)
    body = g_strdup_printf (_("The certificate “%s” on your device expires today and could not be renewed: %s. "
                              "Keep the device connected, or open Cradle to get a new one."), name, reason);
  else
    body = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "The certificate “%s” on your device expires in %d day and could not be "
                                         "renewed: %s. Keep the device connected, or open Cradle to get a new one.",
                                         "The certificate “%s” on your device expires in %d days and could not be "
                                         "renewed: %s. Keep the device connected, or open Cradle to get a new one.",
                                         days),
                            name, days, reason);
  notify (self, id, _("Certificate Expiring"), body);
}

static CradleCare *
ensure_care (CradleApplication *self)
{
  if (self->care == NULL)
    {
      g_autoptr(CradleSession) session = cradle_session_new (self->domain, self->dc_uri, self->user, self->ccache);

      self->care = cradle_care_new (session);
      g_signal_connect (self->care, "resume-finished", G_CALLBACK (on_resume_finished), self);
      g_signal_connect (self->care, "renewal-finished", G_CALLBACK (on_renewal_finished), self);
      g_signal_connect (self->care, "certificate-revoked", G_CALLBACK (on_certificate_revoked), self);
      g_signal_connect (self->care, "certificate-expiring", G_CALLBACK (on_certificate_expiring), self);
    }
  return self->care;
}

static void
activate_action (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  g_application_activate (G_APPLICATION (user_data));
}

static void
cradle_application_activate (GApplication *app)
{
  CradleApplication *self = CRADLE_APPLICATION (app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  /* The window gets the care, its session made from the options, and asks
   * the application for nothing. */
  if (window == NULL)
    window = GTK_WINDOW (cradle_window_new (GTK_APPLICATION (app), ensure_care (self), self->bench ? start_time : 0));
  gtk_window_present (window);
}

static void
cradle_application_shutdown (GApplication *app)
{
  CradleApplication *self = CRADLE_APPLICATION (app);

  if (self->care != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->care, self);
      cradle_care_stop (self->care);
    }
  if (self->service)
    g_application_release (app);
  self->service = FALSE;
  G_APPLICATION_CLASS (cradle_application_parent_class)->shutdown (app);
}

static void
cradle_application_finalize (GObject *object)
{
  CradleApplication *self = CRADLE_APPLICATION (object);

  g_clear_object (&self->care);
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
    { "activate", activate_action },
  };
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *close_accels[] = { "<Control>w", NULL };

  G_APPLICATION_CLASS (cradle_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (app), actions, G_N_ELEMENTS (actions), app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "window.close", close_accels);

  /* As a service: the care runs without a window, held until the desktop
   * session ends (or Quit). */
  if (g_application_get_flags (app) & G_APPLICATION_IS_SERVICE)
    {
      CradleApplication *self = CRADLE_APPLICATION (app);

      g_info ("Running as a service");
      self->service = TRUE;
      g_application_hold (app);
      cradle_care_start (ensure_care (self));
    }
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
  app_class->shutdown = cradle_application_shutdown;
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
