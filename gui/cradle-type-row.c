/* cradle-type-row.c: one certificate type, to choose, or why it cannot be
 *
 * An enrollable type is a radio button with where its requests go; one
 * that needs approval says so; any other shows why the user cannot have
 * it, in the catalog's words, and cannot be chosen.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cradle-type-row.h"

struct _CradleTypeRow
{
  AdwActionRow parent_instance;

  /* Owned */
  CradleCertType *type;

  /* Template widgets */
  GtkCheckButton *check;
  GtkImage       *unavailable_icon;
  GtkLabel       *badge;
};

G_DEFINE_FINAL_TYPE (CradleTypeRow, cradle_type_row, ADW_TYPE_ACTION_ROW)

enum {
  PROP_0,
  PROP_ACTIVE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char *
protocol_name (CradleCaProtocol protocol)
{
  switch (protocol)
    {
    case CRADLE_CA_PROTOCOL_CERTSRV: return _("AD CS Web Enrollment");
    case CRADLE_CA_PROTOCOL_WSTEP: return _("Certificate Enrollment Web Service");
    case CRADLE_CA_PROTOCOL_SCEP: return "SCEP";
    case CRADLE_CA_PROTOCOL_EST: return "EST";
    default: return _("an unknown protocol");
    }
}

/* What the user must know before choosing it: approval, plain HTTP. */
static char *
describe_enrollable (CradleCertType *type)
{
  g_autoptr(GString) text = g_string_new (NULL);

  if (cradle_cert_type_get_enrollability (type) == CRADLE_ENROLLABILITY_NEEDS_APPROVAL)
    g_string_append (text, _("An administrator approves each request before the certificate is issued. "));
  if (cradle_cert_type_get_allow_plain_http (type))
    g_string_append (text, _("Your administrator chose to send these requests without encryption (HTTP)."));
  return g_strstrip (g_string_free (g_steal_pointer (&text), FALSE));
}

/* "Issued by ca1.corp.example.test through EST", or NULL. */
static char *
describe_issuer (CradleCertType *type)
{
  const char *url = cradle_cert_type_get_url (type);
  g_autoptr(GUri) uri = url != NULL ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;

  if (uri == NULL || g_uri_get_host (uri) == NULL)
    return NULL;
  /* Translators: "Issued by ca1.example.com through EST" */
  return g_strdup_printf (_("Issued by %s through %s"), g_uri_get_host (uri),
                          protocol_name (cradle_cert_type_get_protocol (type)));
}

static void
on_check_toggled (CradleTypeRow *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ACTIVE]);
}

static void
cradle_type_row_dispose (GObject *object)
{
  CradleTypeRow *self = CRADLE_TYPE_ROW (object);

  g_clear_object (&self->type);

  G_OBJECT_CLASS (cradle_type_row_parent_class)->dispose (object);
}

static void
cradle_type_row_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  CradleTypeRow *self = CRADLE_TYPE_ROW (object);

  switch (prop_id)
    {
    case PROP_ACTIVE:
      g_value_set_boolean (value, cradle_type_row_get_active (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cradle_type_row_class_init (CradleTypeRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cradle_type_row_dispose;
  object_class->get_property = cradle_type_row_get_property;

  properties[PROP_ACTIVE] =
    g_param_spec_boolean ("active", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/cradle/Cradle/cradle-type-row.ui");
  gtk_widget_class_bind_template_child (widget_class, CradleTypeRow, check);
  gtk_widget_class_bind_template_child (widget_class, CradleTypeRow, unavailable_icon);
  gtk_widget_class_bind_template_child (widget_class, CradleTypeRow, badge);
  gtk_widget_class_bind_template_callback (widget_class, on_check_toggled);
}

static void
cradle_type_row_init (CradleTypeRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
cradle_type_row_new (CradleCertType *type)
{
  CradleTypeRow *self = g_object_new (CRADLE_TYPE_TYPE_ROW, NULL);
  const char *display_name = cradle_cert_type_get_display_name (type);
  g_autofree char *subtitle = NULL;

  self->type = g_object_ref (type);
  if (display_name == NULL || *display_name == '\0')
    display_name = cradle_cert_type_get_name (type);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), display_name);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (self), FALSE);

  if (cradle_cert_type_is_enrollable (type))
    {
      subtitle = describe_enrollable (type);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (self), GTK_WIDGET (self->check));
      if (cradle_cert_type_get_enrollability (type) == CRADLE_ENROLLABILITY_NEEDS_APPROVAL)
        {
          gtk_label_set_label (self->badge, _("Needs approval"));
          gtk_widget_set_visible (GTK_WIDGET (self->badge), TRUE);
        }
    }
  else
    {
      const char *reason = cradle_cert_type_get_reason (type);

      subtitle = g_strdup (reason != NULL ? reason : _("You cannot get this type of certificate."));
      gtk_widget_set_visible (GTK_WIDGET (self->check), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->unavailable_icon), TRUE);
      gtk_widget_add_css_class (GTK_WIDGET (self), "cradle-unavailable");
    }
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), subtitle);
  {
    g_autofree char *issuer = describe_issuer (type);

    gtk_widget_set_tooltip_text (GTK_WIDGET (self), issuer);
  }
  return GTK_WIDGET (self);
}

CradleCertType *
cradle_type_row_get_cert_type (CradleTypeRow *self)
{
  return self->type;
}

void
cradle_type_row_set_group (CradleTypeRow *self,
                           CradleTypeRow *group)
{
  gtk_check_button_set_group (self->check, group != NULL ? group->check : NULL);
}

gboolean
cradle_type_row_get_active (CradleTypeRow *self)
{
  return gtk_check_button_get_active (self->check);
}

void
cradle_type_row_set_active (CradleTypeRow *self,
                            gboolean       active)
{
  gtk_check_button_set_active (self->check, active);
}
