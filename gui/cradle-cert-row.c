/* cradle-cert-row.c: a certificate on the device, and when it expires */
#include "config.h"

#include <glib/gi18n.h>

#include "cradle-cert-row.h"

/* Within this many days of its end a certificate is shown as expiring. */
#define EXPIRING_DAYS 30

struct _CradleCertRow
{
  AdwActionRow parent_instance;

  /* Owned */
  CradleDeviceCert  *device_cert;
  CradleCertificate *certificate;
  CradleCertStatus  *status;
  char              *store;
  char              *sha256;

  /* Template widgets */
  GtkImage          *icon;
  GtkLabel          *badge;
  GtkButton         *renew_button;
  GtkButton         *remove_button;
  GtkButton         *details_button;
  GtkLabel          *store_label;
};

G_DEFINE_FINAL_TYPE (CradleCertRow, cradle_cert_row, ADW_TYPE_ACTION_ROW)

static void
cradle_cert_row_dispose (GObject *object)
{
  CradleCertRow *self = CRADLE_CERT_ROW (object);

  g_clear_object (&self->device_cert);
  g_clear_object (&self->certificate);
  g_clear_object (&self->status);

  G_OBJECT_CLASS (cradle_cert_row_parent_class)->dispose (object);
}

static void
cradle_cert_row_finalize (GObject *object)
{
  CradleCertRow *self = CRADLE_CERT_ROW (object);

  g_clear_pointer (&self->store, g_free);
  g_clear_pointer (&self->sha256, g_free);

  G_OBJECT_CLASS (cradle_cert_row_parent_class)->finalize (object);
}

static void
cradle_cert_row_class_init (CradleCertRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cradle_cert_row_dispose;
  object_class->finalize = cradle_cert_row_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/cradle/Cradle/cradle-cert-row.ui");
  gtk_widget_class_bind_template_child (widget_class, CradleCertRow, icon);
  gtk_widget_class_bind_template_child (widget_class, CradleCertRow, badge);
  gtk_widget_class_bind_template_child (widget_class, CradleCertRow, renew_button);
  gtk_widget_class_bind_template_child (widget_class, CradleCertRow, remove_button);
  gtk_widget_class_bind_template_child (widget_class, CradleCertRow, details_button);
  gtk_widget_class_bind_template_child (widget_class, CradleCertRow, store_label);
}

static void
cradle_cert_row_init (CradleCertRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* The subject's last CN (the most specific in a directory path), else the
 * whole subject.  The subject is OpenSSL's one-line form: "DC = test,
 * CN = Users, CN = Alice Liddell", commas in values escaped. */
char *
cradle_cert_row_dup_common_name (const char *subject)
{
  const char *value = NULL;

  if (subject == NULL || *subject == '\0')
    return g_strdup (_("Certificate without a subject"));
  for (const char *p = subject; *p != '\0'; p++)
    {
      const char *q = p;

      if (!(p == subject || (p[-1] == ' ' && p - subject >= 2 && p[-2] == ',')))
        continue;
      if (g_ascii_strncasecmp (q, "CN", 2) != 0)
        continue;
      q += 2;
      while (*q == ' ')
        q++;
      if (*q != '=')
        continue;
      q++;
      while (*q == ' ')
        q++;
      value = q;
    }
  if (value == NULL)
    return g_strdup (subject);
  {
    g_autoptr(GString) cn = g_string_new (NULL);

    for (const char *p = value; *p != '\0' && *p != ','; p++)
      {
        if (*p == '\\' && p[1] != '\0')
          p++;
        g_string_append_c (cn, *p);
      }
    return g_string_free (g_steal_pointer (&cn), FALSE);
  }
}

const char *
cradle_cert_row_store_name (const char *store,
                            const char *scope)
{
  gboolean system = g_strcmp0 (scope, "system") == 0;

  if (g_strcmp0 (store, "MY") == 0)
    return system ? _("Personal (system)") : _("Personal");
  if (g_strcmp0 (store, "CA") == 0)
    return system ? _("Intermediate (system)") : _("Intermediate");
  if (g_strcmp0 (store, "Root") == 0 || g_strcmp0 (store, "ROOT") == 0)
    return system ? _("Trusted root (system)") : _("Trusted root");
  return store;
}

char *
cradle_cert_row_describe_expiry (GDateTime *not_after,
                                 GDateTime *now)
{
  g_autofree char *date = NULL;
  GTimeSpan left;

  if (not_after == NULL)
    return g_strdup (_("No expiry date"));
  /* Translators: a date as "21 November 2027" */
  date = g_date_time_format (not_after, _("%-d %B %Y"));
  left = g_date_time_difference (not_after, now);
  if (left <= 0)
    return g_strdup_printf (_("Expired on %s"), date);
  if (left < EXPIRING_DAYS * G_TIME_SPAN_DAY)
    {
      gint64 days = left / G_TIME_SPAN_DAY;

      if (days == 0)
        return g_strdup_printf (_("Expires today, %s"), date);
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Expires in %d day, on %s",
                                           "Expires in %d days, on %s", days),
                              (int) days, date);
    }
  return g_strdup_printf (_("Expires on %s"), date);
}

GtkWidget *
cradle_cert_row_new (CradleDeviceCert *cert)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCertificate) certificate = cradle_certificate_new_from_der (cradle_device_cert_get_der (cert), &error);
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *title = NULL;
  g_autofree char *expiry = NULL;
  g_autofree char *subtitle = NULL;
  g_autofree char *issuer = NULL;
  CradleCertRow *self;
  GDateTime *not_after;

  if (certificate == NULL)
    {
      g_info ("Not showing a certificate of the device: %s", error->message);
      return NULL;
    }
  self = g_object_new (CRADLE_TYPE_CERT_ROW, NULL);
  self->certificate = g_steal_pointer (&certificate);
  self->device_cert = g_object_ref (cert);
  self->store = g_strdup (cradle_device_cert_get_store (cert));
  self->sha256 = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, cradle_device_cert_get_der (cert));

  title = cradle_cert_row_dup_common_name (cradle_certificate_get_subject (self->certificate));
  not_after = cradle_certificate_get_not_after (self->certificate);
  expiry = cradle_cert_row_describe_expiry (not_after, now);
  issuer = cradle_cert_row_dup_common_name (cradle_certificate_get_issuer (self->certificate));
  subtitle = g_strdup_printf (_("%s · issued by %s"), expiry, issuer);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (self), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), subtitle);
  gtk_label_set_label (self->store_label, cradle_cert_row_store_name (cradle_device_cert_get_store (cert),
                                                                      cradle_device_cert_get_scope (cert)));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), cradle_certificate_get_subject (self->certificate));
  /* Activating the row, or its Details button, shows it in full. */
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self), "s", self->sha256);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->details_button), "s", self->sha256);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->renew_button), "s", self->sha256);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->remove_button), "s", self->sha256);

  if (not_after != NULL && g_date_time_difference (not_after, now) <= 0)
    {
      gtk_image_set_from_icon_name (self->icon, "dialog-warning-symbolic");
      gtk_widget_add_css_class (GTK_WIDGET (self->icon), "error");
    }
  else if (not_after != NULL && g_date_time_difference (not_after, now) < EXPIRING_DAYS * G_TIME_SPAN_DAY)
    {
      gtk_image_set_from_icon_name (self->icon, "dialog-warning-symbolic");
      gtk_widget_add_css_class (GTK_WIDGET (self->icon), "warning");
    }
  return GTK_WIDGET (self);
}

/* ---- the status checks' word ------------------------------------------- */

const char *
cradle_cert_row_verdict_label (CradleCertVerdict verdict)
{
  switch (verdict)
    {
    case CRADLE_CERT_VERDICT_VALID:
      return _("Valid");
    case CRADLE_CERT_VERDICT_RENEW_SOON:
      return _("Renew Soon");
    case CRADLE_CERT_VERDICT_EXPIRED:
      return _("Expired");
    case CRADLE_CERT_VERDICT_REVOKED:
      return _("Revoked");
    case CRADLE_CERT_VERDICT_UNKNOWN:
    default:
      return _("Unknown");
    }
}

static const char *
verdict_style (CradleCertVerdict verdict)
{
  switch (verdict)
    {
    case CRADLE_CERT_VERDICT_VALID:
      return "success";
    case CRADLE_CERT_VERDICT_RENEW_SOON:
      return "warning";
    case CRADLE_CERT_VERDICT_EXPIRED:
    case CRADLE_CERT_VERDICT_REVOKED:
      return "error";
    case CRADLE_CERT_VERDICT_UNKNOWN:
    default:
      return "dim-label";
    }
}

/* Why the badge says what it says, for its tooltip. */
static char *
describe_status (CradleCertStatus *status)
{
  g_autoptr(GString) text = g_string_new (NULL);
  CradleCertVerdict verdict = cradle_cert_status_get_verdict (status);

  switch (cradle_cert_status_get_revocation (status))
    {
    case CRADLE_REVOCATION_REVOKED:
      {
        g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (cradle_cert_status_get_revoked_at (status));
        g_autofree char *date = when != NULL ? g_date_time_format (when, _("%-d %B %Y")) : NULL;

        /* Translators: "Revoked on 6 December 2026 (keyCompromise)." */
        g_string_append_printf (text, _("Revoked on %s (%s). The certificate no longer works: remove it and "
                                        "get a new one."),
                                date != NULL ? date : "?",
                                cradle_revocation_reason_to_string (cradle_cert_status_get_revocation_reason (status)));
      }
      break;
    case CRADLE_REVOCATION_UNKNOWN:
      g_string_append_printf (text, _("Whether it was revoked is not known: %s"),
                              cradle_cert_status_get_revocation_detail (status) ?: _("no answer"));
      break;
    case CRADLE_REVOCATION_GOOD:
      g_string_append (text, _("Not revoked, by its CA's latest word."));
      break;
    case CRADLE_REVOCATION_NOT_CHECKED:
    default:
      break;
    }
  if (verdict == CRADLE_CERT_VERDICT_RENEW_SOON || verdict == CRADLE_CERT_VERDICT_VALID)
    {
      g_autoptr(GDateTime) renew_at = cradle_cert_status_get_renew_at (status) > 0
                                        ? g_date_time_new_from_unix_local (cradle_cert_status_get_renew_at (status))
                                        : NULL;

      if (renew_at != NULL)
        {
          g_autofree char *date = g_date_time_format (renew_at, _("%-d %B %Y"));

          if (text->len > 0)
            g_string_append_c (text, ' ');
          g_string_append_printf (text, verdict == CRADLE_CERT_VERDICT_RENEW_SOON
                                          ? _("Due for renewal since %s (%s).")
                                          : _("Due for renewal on %s (%s)."),
                                  date, cradle_cert_status_get_renewal_rule (status) ?: _("its renewal window"));
        }
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

void
cradle_cert_row_set_status (CradleCertRow    *self,
                            CradleCertStatus *status)
{
  static const char *styles[] = { "success", "warning", "error", "dim-label" };
  CradleCertVerdict verdict;
  gboolean personal;
  g_autofree char *why = NULL;

  g_return_if_fail (CRADLE_IS_CERT_ROW (self));
  g_return_if_fail (CRADLE_IS_CERT_STATUS (status));

  g_set_object (&self->status, status);
  verdict = cradle_cert_status_get_verdict (status);
  personal = g_strcmp0 (self->store, "MY") == 0;
  for (guint i = 0; i < G_N_ELEMENTS (styles); i++)
    gtk_widget_remove_css_class (GTK_WIDGET (self->badge), styles[i]);
  gtk_label_set_label (self->badge, cradle_cert_row_verdict_label (verdict));
  gtk_widget_add_css_class (GTK_WIDGET (self->badge), verdict_style (verdict));
  why = describe_status (status);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->badge), why[0] != '\0' ? why : NULL);
  /* The badge's word for screen readers, with the row. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->badge), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  why, -1);
  gtk_widget_set_visible (GTK_WIDGET (self->badge), TRUE);

  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->renew_button), "s", self->sha256);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->remove_button), "s", self->sha256);
  gtk_widget_set_visible (GTK_WIDGET (self->renew_button),
                          personal && cradle_cert_status_get_has_key (status) &&
                          cradle_cert_status_get_type_name (status) != NULL &&
                          verdict != CRADLE_CERT_VERDICT_REVOKED);
  gtk_widget_set_visible (GTK_WIDGET (self->remove_button),
                          personal && (verdict == CRADLE_CERT_VERDICT_REVOKED ||
                                       verdict == CRADLE_CERT_VERDICT_EXPIRED));
}

CradleCertStatus *
cradle_cert_row_get_status (CradleCertRow *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_ROW (self), NULL);

  return self->status;
}

const char *
cradle_cert_row_get_sha256 (CradleCertRow *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_ROW (self), NULL);

  return self->sha256;
}

CradleDeviceCert *
cradle_cert_row_get_device_cert (CradleCertRow *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_ROW (self), NULL);

  return self->device_cert;
}

const char *
cradle_cert_row_get_store (CradleCertRow *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_ROW (self), NULL);

  return self->store;
}

static int
store_rank (const char *store)
{
  if (g_strcmp0 (store, "MY") == 0)
    return 0;
  if (g_strcmp0 (store, "CA") == 0)
    return 1;
  return 2;
}

int
cradle_cert_row_compare (CradleCertRow *a,
                         CradleCertRow *b)
{
  GDateTime *a_end = cradle_certificate_get_not_after (a->certificate);
  GDateTime *b_end = cradle_certificate_get_not_after (b->certificate);

  if (store_rank (a->store) != store_rank (b->store))
    return store_rank (a->store) - store_rank (b->store);
  if (a_end == NULL || b_end == NULL)
    return (a_end == NULL) - (b_end == NULL);
  return g_date_time_compare (a_end, b_end);
}
