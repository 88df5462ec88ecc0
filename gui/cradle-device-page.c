/* cradle-device-page.c: the cradled device, the account, the types, pending requests and certificates
 *
 * A view: the window gives it the device, the session, the device's
 * certificates and its pending requests, and acts on its buttons through
 * its actions (win.enroll, win.sign-in, win.refresh, win.check-now,
 * win.cert-details, win.install-file).  A certificate file dropped on it
 * is passed on as "file-dropped".
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cradle-cert-row.h"
#include "cradle-device-page.h"
#include "cradle-pending-row.h"
#include "cradle-type-row.h"

struct _CradleDevicePage
{
  AdwBin parent_instance;

  /* Owned */
  CradleDevice   *device;
  CradleSession  *session;
  CradleCertType *selected;
  char           *wanted_type;   /* to choose again after a refresh */
  GPtrArray      *certs;         /* the device's, as read last */
  GPtrArray      *devices;       /* of CradleDevice: the bridge devices listed */
  GHashTable     *chosen;        /* the ids of those checked */

  /* Template widgets */
  AdwActionRow   *device_row;
  GtkImage       *device_icon;
  AdwActionRow   *pin_row;
  AdwActionRow   *chain_row;
  AdwActionRow   *account_row;
  GtkSpinner     *account_spinner;
  GtkButton      *sign_in_button;
  GtkButton      *retry_button;
  GtkListBox     *types_list;
  GtkListBox     *subject_list;
  AdwEntryRow    *subject_row;
  GtkListBox     *unavailable_list;
  AdwPreferencesGroup *unavailable_group;
  AdwPreferencesGroup *pending_group;
  GtkListBox     *pending_list;
  GtkListBox     *certs_list;
  AdwPreferencesGroup *devices_group;
  GtkListBox     *devices_list;
  GtkButton      *enroll_button;
};

G_DEFINE_FINAL_TYPE (CradleDevicePage, cradle_device_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_SELECTED_TYPE,
  PROP_N_CHOSEN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_FILE_DROPPED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
clear_list (GtkListBox *list)
{
  GtkListBoxRow *row;

  while ((row = gtk_list_box_get_row_at_index (list, 0)) != NULL)
    gtk_list_box_remove (list, GTK_WIDGET (row));
}

static int
compare_cert_rows (gconstpointer a,
                   gconstpointer b)
{
  return cradle_cert_row_compare (*(CradleCertRow * const *) a, *(CradleCertRow * const *) b);
}

static GtkWidget *
placeholder_new (const char *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_justify (GTK_LABEL (label), GTK_JUSTIFY_CENTER);
  gtk_widget_set_margin_top (label, 18);
  gtk_widget_set_margin_bottom (label, 18);
  gtk_widget_set_margin_start (label, 12);
  gtk_widget_set_margin_end (label, 12);
  gtk_widget_add_css_class (label, "dim-label");
  return label;
}

static void
set_placeholder (GtkListBox *list,
                 const char *text)
{
  gtk_list_box_set_placeholder (list, placeholder_new (text));
}

/* ---- the chosen type --------------------------------------------------- */

static gboolean
wants_subject (CradleCertType *type)
{
  CradleTemplate *template = type != NULL ? cradle_cert_type_get_template (type) : NULL;

  return template != NULL &&
         (cradle_template_get_name_flags (template) & CRADLE_TEMPLATE_ENROLLEE_SUPPLIES_SUBJECT) != 0;
}

static guint
count_chosen (CradleDevicePage *self)
{
  return gtk_widget_get_visible (GTK_WIDGET (self->devices_group)) ? g_hash_table_size (self->chosen)
                                                                   : self->device != NULL;
}

static void
update_subject (CradleDevicePage *self)
{
  gboolean wanted = wants_subject (self->selected);

  /* Left empty, the engine names the certificate by the device's serial,
   * as one CN entry holding it exactly: a serial is never written into a
   * name here, where it would be parsed as one (commas and all).  Several
   * devices at once each get their own serial: one typed subject would
   * name them all alike. */
  gtk_widget_set_visible (GTK_WIDGET (self->subject_list), wanted && count_chosen (self) <= 1);
}

static void
set_selected (CradleDevicePage *self,
              CradleCertType   *type)
{
  if (!g_set_object (&self->selected, type))
    return;
  if (type != NULL)
    {
      g_free (self->wanted_type);
      self->wanted_type = g_strdup (cradle_cert_type_get_name (type));
    }
  update_subject (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED_TYPE]);
}

static void
on_type_row_active (CradleTypeRow    *row,
                    GParamSpec       *pspec,
                    CradleDevicePage *self)
{
  if (cradle_type_row_get_active (row))
    set_selected (self, cradle_type_row_get_cert_type (row));
  else if (self->selected == cradle_type_row_get_cert_type (row))
    set_selected (self, NULL);
}

/* ---- the session: account row and types -------------------------------- */

static void
show_account (CradleDevicePage *self,
              const char       *title,
              const char       *subtitle,
              gboolean          spinning,
              GtkButton        *button)
{
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->account_row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->account_row), subtitle != NULL ? subtitle : "");
  gtk_widget_set_visible (GTK_WIDGET (self->account_spinner), spinning);
  gtk_spinner_set_spinning (self->account_spinner, spinning);
  gtk_widget_set_visible (GTK_WIDGET (self->sign_in_button), button == self->sign_in_button);
  gtk_widget_set_visible (GTK_WIDGET (self->retry_button), button == self->retry_button);
}

/* What went wrong and what to do, from the explanation table when it knows
 * more than the error's own words. */
static char *
describe_error (const GError *error)
{
  const CradleExplanation *explanation;

  if (error == NULL)
    return NULL;
  explanation = cradle_explain_error (error);
  if (cradle_explanation_is_generic (explanation))
    return g_strdup (error->message);
  return g_strdup_printf ("%s %s", cradle_explanation_get_summary (explanation),
                          cradle_explanation_get_user_action (explanation));
}

static void
fill_types (CradleDevicePage *self,
            GPtrArray        *types)
{
  CradleTypeRow *group = NULL;
  CradleTypeRow *only = NULL;
  guint enrollable = 0, unavailable = 0;
  g_autofree char *wanted = g_strdup (self->wanted_type);

  clear_list (self->types_list);
  clear_list (self->unavailable_list);
  set_selected (self, NULL);

  for (guint i = 0; types != NULL && i < types->len; i++)
    {
      CradleCertType *type = g_ptr_array_index (types, i);
      GtkWidget *row = cradle_type_row_new (type);

      if (!cradle_cert_type_is_enrollable (type))
        {
          gtk_list_box_append (self->unavailable_list, row);
          unavailable++;
          continue;
        }
      cradle_type_row_set_group (CRADLE_TYPE_ROW (row), group);
      if (group == NULL)
        group = CRADLE_TYPE_ROW (row);
      g_signal_connect (row, "notify::active", G_CALLBACK (on_type_row_active), self);
      gtk_list_box_append (self->types_list, row);
      enrollable++;
      only = CRADLE_TYPE_ROW (row);
      if (wanted != NULL && g_ascii_strcasecmp (wanted, cradle_cert_type_get_name (type)) == 0)
        cradle_type_row_set_active (CRADLE_TYPE_ROW (row), TRUE);
    }
  if (enrollable == 1)
    cradle_type_row_set_active (only, TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->unavailable_group), unavailable > 0);
  set_placeholder (self->types_list, _("Your domain offers no certificate type you can get. "
                                       "Ask your administrator which one to use."));
}

static void
on_session_state (CradleSession    *session,
                  GParamSpec       *pspec,
                  CradleDevicePage *self)
{
  g_autofree char *why = describe_error (cradle_session_get_error (session));

  switch (cradle_session_get_state (session))
    {
    case CRADLE_SESSION_SIGNED_OUT:
    case CRADLE_SESSION_SIGNING_IN:
      show_account (self, _("Signing in to your domain…"), NULL, TRUE, NULL);
      clear_list (self->types_list);
      clear_list (self->unavailable_list);
      gtk_widget_set_visible (GTK_WIDGET (self->unavailable_group), FALSE);
      set_placeholder (self->types_list, _("Looking for the certificate types your domain offers…"));
      break;

    case CRADLE_SESSION_NEEDS_PASSWORD:
      show_account (self, _("Sign in to your domain"),
                    why != NULL ? why : _("Sign in with your domain account and password to see the certificate types you can get."),
                    FALSE, self->sign_in_button);
      clear_list (self->types_list);
      clear_list (self->unavailable_list);
      gtk_widget_set_visible (GTK_WIDGET (self->unavailable_group), FALSE);
      set_placeholder (self->types_list, _("Sign in to see the certificate types you can get."));
      break;

    case CRADLE_SESSION_FAILED:
      show_account (self, _("Could not sign in to your domain"), why, FALSE, self->retry_button);
      clear_list (self->types_list);
      clear_list (self->unavailable_list);
      gtk_widget_set_visible (GTK_WIDGET (self->unavailable_group), FALSE);
      set_placeholder (self->types_list, _("The certificate types appear once Cradle can sign in."));
      break;

    case CRADLE_SESSION_SIGNED_IN:
      {
        g_autofree char *title = g_strdup_printf (_("Signed in as %s"), cradle_session_get_identity (session));
        g_autofree char *subtitle = NULL;

        if (cradle_session_get_type_lookup (session) != NULL)
          subtitle = g_strdup (_("These are the certificate types from your last sign-in; Cradle is checking them "
                                 "with your domain. You can start now: your device signs nothing until your domain "
                                 "has confirmed the type."));
        else if (cradle_session_get_server (session) != NULL)
          subtitle = g_strdup_printf (_("Domain controller %s"), cradle_session_get_server (session));

        show_account (self, title, subtitle, FALSE, NULL);
        fill_types (self, cradle_session_get_types (session));
      }
      break;

    default:
      break;
    }
}

void
cradle_device_page_set_session (CradleDevicePage *self,
                                CradleSession    *session)
{
  g_return_if_fail (CRADLE_IS_DEVICE_PAGE (self));

  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_set_object (&self->session, session);
  if (session == NULL)
    return;
  g_signal_connect (session, "notify::state", G_CALLBACK (on_session_state), self);
  on_session_state (session, NULL, self);
}

/* ---- the device, its certificates and its pending requests ------------- */

static gboolean
is_token (CradleDevice *device)
{
  return g_strcmp0 (cradle_device_get_transport (device), CRADLE_DEVICE_TRANSPORT_PKCS11) == 0;
}

/* What the device says it is, escaped (one line each). */
static char *
escaped (const char *text,
         const char *otherwise)
{
  return cradle_text_escape (text != NULL && *text != '\0' ? text : otherwise, -1, CRADLE_TEXT_ESCAPE_DEFAULT);
}

char *
cradle_device_page_dup_device_title (CradleDevice *device)
{
  g_autofree char *manufacturer = escaped (cradle_device_get_manufacturer (device), "");
  g_autofree char *model = escaped (cradle_device_get_model (device), is_token (device) ? _("Token") : _("Device"));
  char *title;

  /* A token by its label, what its owner named it. */
  if (is_token (device) && cradle_device_get_label (device) != NULL && *cradle_device_get_label (device) != '\0')
    return escaped (cradle_device_get_label (device), NULL);
  title = g_strdup_printf ("%s %s", manufacturer, model);
  return g_strstrip (title);
}

/* The device's title, with its serial when another of @devices has the
 * same title: the user must tell which one asks (a name is the device's own
 * word). Escaped, as the title is. */
char *
cradle_device_page_dup_distinct_title (GPtrArray    *devices,
                                       CradleDevice *device)
{
  g_autofree char *title = cradle_device_page_dup_device_title (device);

  for (guint i = 0; i < devices->len; i++)
    {
      CradleDevice *other = g_ptr_array_index (devices, i);
      g_autofree char *other_title = NULL;

      if (other == device)
        continue;
      other_title = cradle_device_page_dup_device_title (other);
      if (g_strcmp0 (title, other_title) == 0)
        {
          g_autofree char *serial = escaped (cradle_device_get_serial (device), "?");

          /* Translators: a device's name and serial, "Cradle Phone (serial 42)" */
          return g_strdup_printf (_("%s (serial %s)"), title, serial);
        }
    }
  return g_steal_pointer (&title);
}

char *
cradle_device_page_dup_device_subtitle (CradleDevice *device)
{
  g_autofree char *serial = escaped (cradle_device_get_serial (device), "?");

  if (is_token (device))
    {
      g_autofree char *manufacturer = escaped (cradle_device_get_manufacturer (device), "");
      g_autofree char *model = escaped (cradle_device_get_model (device), "");
      g_autofree char *made = g_strstrip (g_strdup_printf ("%s %s", manufacturer, model));

      /* Translators: the transport ("pkcs11"), manufacturer and model, serial number */
      return g_strdup_printf (_("Token (%s) · %s · serial %s"), CRADLE_DEVICE_TRANSPORT_PKCS11,
                              *made != '\0' ? made : _("unknown maker"), serial);
    }
  else
    {
      g_autofree char *os = escaped (cradle_device_get_os (device), _("unknown system"));
      g_autofree char *agent = escaped (cradle_device_get_agent_version (device), "?");

      /* Translators: serial number, operating system, agent version */
      return g_strdup_printf (_("Serial %s · %s · agent %s"), serial, os, agent);
    }
}

void
cradle_device_page_set_device (CradleDevicePage *self,
                               CradleDevice     *device)
{
  g_autofree char *title = NULL;
  g_autofree char *subtitle = NULL;

  g_return_if_fail (CRADLE_IS_DEVICE_PAGE (self));

  if (!g_set_object (&self->device, device) || device == NULL)
    return;
  title = cradle_device_page_dup_device_title (device);
  subtitle = cradle_device_page_dup_device_subtitle (device);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->device_row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->device_row), subtitle);
  gtk_image_set_from_icon_name (self->device_icon, is_token (device) ? "auth-smartcard-symbolic" : "phone-symbolic");
  /* Read on a thread by the window: cradle_device_page_set_pin_state(). */
  gtk_widget_set_visible (GTK_WIDGET (self->pin_row), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->chain_row),
                          is_token (device) && !cradle_device_holds_authority_certificates (device));
  gtk_editable_set_text (GTK_EDITABLE (self->subject_row), "");
  update_subject (self);
  cradle_device_page_set_certs (self, NULL, NULL);
  cradle_device_page_set_pending (self, NULL, NULL);
}

/* ---- the devices to enroll ----------------------------------------------- */

/* By title, then serial, then id: a cart of devices reads in order,
 * whatever order they arrived in ("Phone 2" before "Phone 10"). */
int
cradle_device_page_compare_devices (gconstpointer a,
                                    gconstpointer b)
{
  CradleDevice *device_a = *(CradleDevice * const *) a;
  CradleDevice *device_b = *(CradleDevice * const *) b;
  g_autofree char *title_a = cradle_device_page_dup_device_title (device_a);
  g_autofree char *title_b = cradle_device_page_dup_device_title (device_b);
  g_autofree char *key_a = g_utf8_collate_key_for_filename (title_a, -1);
  g_autofree char *key_b = g_utf8_collate_key_for_filename (title_b, -1);
  int order = strcmp (key_a, key_b);

  if (order == 0)
    {
      g_autofree char *serial_a = escaped (cradle_device_get_serial (device_a), "");
      g_autofree char *serial_b = escaped (cradle_device_get_serial (device_b), "");

      g_free (key_a);
      g_free (key_b);
      key_a = g_utf8_collate_key_for_filename (serial_a, -1);
      key_b = g_utf8_collate_key_for_filename (serial_b, -1);
      order = strcmp (key_a, key_b);
    }
  return order != 0 ? order : g_strcmp0 (cradle_device_get_id (device_a), cradle_device_get_id (device_b));
}

static void
update_chosen (CradleDevicePage *self)
{
  guint n = count_chosen (self);
  g_autofree char *label = NULL;

  /* Translators: the button that enrolls every device checked */
  label = n > 1 ? g_strdup_printf (ngettext ("_Get Certificates for %u Device", "_Get Certificates for %u Devices", n), n)
                : g_strdup (_("_Get Certificate"));
  gtk_button_set_label (self->enroll_button, label);
  update_subject (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_CHOSEN]);
}

static void
on_device_check_toggled (GtkCheckButton   *check,
                         CradleDevicePage *self)
{
  const char *id = g_object_get_data (G_OBJECT (check), "cradle-device-id");

  if (gtk_check_button_get_active (check))
    g_hash_table_add (self->chosen, g_strdup (id));
  else
    g_hash_table_remove (self->chosen, id);
  update_chosen (self);
}

void
cradle_device_page_set_devices (CradleDevicePage *self,
                                GPtrArray        *devices,
                                CradleDevice     *shown)
{
  g_autoptr(GHashTable) before = NULL;
  gboolean was_listed;

  g_return_if_fail (CRADLE_IS_DEVICE_PAGE (self));

  was_listed = gtk_widget_get_visible (GTK_WIDGET (self->devices_group));
  before = g_steal_pointer (&self->chosen);
  self->chosen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  clear_list (self->devices_list);
  g_ptr_array_set_size (self->devices, 0);

  /* Bridge devices only: a token asks for its PIN in a dialog of its own,
   * so it keeps its own page (the header's device button) and is enrolled
   * on its own, as before. */
  for (guint i = 0; devices != NULL && i < devices->len; i++)
    {
      CradleDevice *device = g_ptr_array_index (devices, i);

      if (!is_token (device) && cradle_device_get_id (device) != NULL)
        g_ptr_array_add (self->devices, g_object_ref (device));
    }
  g_ptr_array_sort (self->devices, cradle_device_page_compare_devices);

  if (self->devices->len > 1 && shown != NULL && !is_token (shown))
    {
      for (guint i = 0; i < self->devices->len; i++)
        {
          CradleDevice *device = g_ptr_array_index (self->devices, i);
          const char *id = cradle_device_get_id (device);
          g_autofree char *title = cradle_device_page_dup_device_title (device);
          g_autofree char *subtitle = cradle_device_page_dup_device_subtitle (device);
          GtkWidget *row = adw_action_row_new ();
          GtkWidget *check = gtk_check_button_new ();
          /* The device shown is checked the first time the list appears;
           * after that, each keeps what the user chose. */
          gboolean active = was_listed ? g_hash_table_contains (before, id) : device == shown;

          /* What the device says it is: plain text, never markup. */
          adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
          adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
          gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
          gtk_accessible_update_property (GTK_ACCESSIBLE (check), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
          g_object_set_data_full (G_OBJECT (check), "cradle-device-id", g_strdup (id), g_free);
          gtk_check_button_set_active (GTK_CHECK_BUTTON (check), active);
          if (active)
            g_hash_table_add (self->chosen, g_strdup (id));
          g_signal_connect (check, "toggled", G_CALLBACK (on_device_check_toggled), self);
          adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
          adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
          gtk_list_box_append (self->devices_list, row);
        }
      gtk_widget_set_visible (GTK_WIDGET (self->devices_group), TRUE);
    }
  else
    gtk_widget_set_visible (GTK_WIDGET (self->devices_group), FALSE);
  update_chosen (self);
}

GPtrArray *
cradle_device_page_dup_chosen_devices (CradleDevicePage *self)
{
  GPtrArray *chosen = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_val_if_fail (CRADLE_IS_DEVICE_PAGE (self), chosen);

  if (!gtk_widget_get_visible (GTK_WIDGET (self->devices_group)))
    {
      if (self->device != NULL)
        g_ptr_array_add (chosen, g_object_ref (self->device));
      return chosen;
    }
  /* In the list's order. */
  for (guint i = 0; i < self->devices->len; i++)
    {
      CradleDevice *device = g_ptr_array_index (self->devices, i);

      if (g_hash_table_contains (self->chosen, cradle_device_get_id (device)))
        g_ptr_array_add (chosen, g_object_ref (device));
    }
  return chosen;
}

guint
cradle_device_page_get_n_chosen (CradleDevicePage *self)
{
  g_return_val_if_fail (CRADLE_IS_DEVICE_PAGE (self), 0);

  return count_chosen (self);
}

const char *
cradle_device_page_describe_pin_state (CradleDevicePinState state)
{
  guint32 detail = 0;

  switch (state)
    {
    case CRADLE_DEVICE_PIN_NOT_NEEDED:
      return NULL;
    case CRADLE_DEVICE_PIN_ENTERED:
      return _("Entered: the token is unlocked until it is removed.");
    case CRADLE_DEVICE_PIN_NEEDED:
      return _("Cradle asks for it when you get a certificate: the PIN confirms the token's key is used.");
    case CRADLE_DEVICE_PIN_COUNT_LOW:
      detail = CRADLE_TOKEN_FAILURE_PIN_COUNT_LOW;
      break;
    case CRADLE_DEVICE_PIN_FINAL_TRY:
      detail = CRADLE_TOKEN_FAILURE_PIN_FINAL_TRY;
      break;
    case CRADLE_DEVICE_PIN_LOCKED:
    default:
      detail = CRADLE_TOKEN_FAILURE_PIN_LOCKED;
      break;
    }
  /* The error table's words, as the PIN dialog says them. */
  return cradle_explanation_get_summary (cradle_explain (CRADLE_EXPLAIN_TOKEN, detail));
}

void
cradle_device_page_set_pin_state (CradleDevicePage     *self,
                                  CradleDevicePinState  state)
{
  const char *words = cradle_device_page_describe_pin_state (state);

  g_return_if_fail (CRADLE_IS_DEVICE_PAGE (self));

  gtk_widget_set_visible (GTK_WIDGET (self->pin_row), words != NULL);
  if (words != NULL)
    adw_action_row_set_subtitle (self->pin_row, words);
}

void
cradle_device_page_set_certs (CradleDevicePage *self,
                              GPtrArray        *certs,
                              const GError     *error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new ();

  g_return_if_fail (CRADLE_IS_DEVICE_PAGE (self));

  g_clear_pointer (&self->certs, g_ptr_array_unref);
  if (certs != NULL)
    self->certs = g_ptr_array_ref (certs);
  clear_list (self->certs_list);
  if (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_NOT_PAIRED))
    {
      set_placeholder (self->certs_list,
                       _("This computer is not paired with the device yet. When you get a certificate, "
                         "the device asks whether to trust this computer: accept only if both show the "
                         "same code."));
      return;
    }
  if (g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED) && self->device != NULL &&
      is_token (self->device))
    {
      set_placeholder (self->certs_list,
                       _("The token shows its certificates once its PIN is entered. Cradle asks for it when "
                         "you get a certificate."));
      return;
    }
  if (error != NULL)
    {
      g_autofree char *text = g_strdup_printf (_("The device's certificates could not be read: %s"),
                                               error->message);

      set_placeholder (self->certs_list, text);
      return;
    }
  if (certs == NULL)
    {
      set_placeholder (self->certs_list, _("Reading the device's certificates…"));
      return;
    }
  for (guint i = 0; i < certs->len; i++)
    {
      GtkWidget *row = cradle_cert_row_new (g_ptr_array_index (certs, i));

      if (row != NULL)
        g_ptr_array_add (rows, row);
    }
  g_ptr_array_sort (rows, compare_cert_rows);
  for (guint i = 0; i < rows->len; i++)
    gtk_list_box_append (self->certs_list, g_ptr_array_index (rows, i));
  set_placeholder (self->certs_list, _("No certificates yet. The one you get appears here."));
}

void
cradle_device_page_set_cert_statuses (CradleDevicePage *self,
                                      GPtrArray        *statuses)
{
  GtkListBoxRow *row;

  g_return_if_fail (CRADLE_IS_DEVICE_PAGE (self));
  g_return_if_fail (statuses != NULL);

  for (guint i = 0; (row = gtk_list_box_get_row_at_index (self->certs_list, i)) != NULL; i++)
    {
      CradleCertRow *cert_row = CRADLE_CERT_ROW (row);

      for (guint j = 0; j < statuses->len; j++)
        {
          CradleCertStatus *status = g_ptr_array_index (statuses, j);
          g_autofree char *sha256 = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256,
                                                                  cradle_cert_status_get_der (status));

          if (g_strcmp0 (sha256, cradle_cert_row_get_sha256 (cert_row)) == 0 &&
              g_strcmp0 (cradle_cert_status_get_store (status), cradle_cert_row_get_store (cert_row)) == 0)
            {
              cradle_cert_row_set_status (cert_row, status);
              break;
            }
        }
    }
}

CradleCertStatus *
cradle_device_page_lookup_status (CradleDevicePage *self,
                                  const char       *sha256)
{
  GtkListBoxRow *row;

  g_return_val_if_fail (CRADLE_IS_DEVICE_PAGE (self), NULL);

  for (guint i = 0; (row = gtk_list_box_get_row_at_index (self->certs_list, i)) != NULL; i++)
    if (g_strcmp0 (cradle_cert_row_get_sha256 (CRADLE_CERT_ROW (row)), sha256) == 0 &&
        g_strcmp0 (cradle_cert_row_get_store (CRADLE_CERT_ROW (row)), "MY") == 0)
      return cradle_cert_row_get_status (CRADLE_CERT_ROW (row));
  return NULL;
}

static CradleCertRow *
lookup_row (CradleDevicePage *self,
            const char       *sha256)
{
  CradleCertRow *found = NULL;
  GtkListBoxRow *row;

  /* The personal one first, should the same certificate be in two stores. */
  for (guint i = 0; (row = gtk_list_box_get_row_at_index (self->certs_list, i)) != NULL; i++)
    if (CRADLE_IS_CERT_ROW (row) && g_strcmp0 (cradle_cert_row_get_sha256 (CRADLE_CERT_ROW (row)), sha256) == 0 &&
        (found == NULL || g_strcmp0 (cradle_cert_row_get_store (CRADLE_CERT_ROW (row)), "MY") == 0))
      found = CRADLE_CERT_ROW (row);
  return found;
}

CradleDeviceCert *
cradle_device_page_lookup_cert (CradleDevicePage  *self,
                                const char        *sha256,
                                CradleCertStatus **status)
{
  CradleCertRow *row;

  g_return_val_if_fail (CRADLE_IS_DEVICE_PAGE (self), NULL);

  row = lookup_row (self, sha256);
  if (status != NULL)
    *status = row != NULL ? cradle_cert_row_get_status (row) : NULL;
  return row != NULL ? cradle_cert_row_get_device_cert (row) : NULL;
}

GPtrArray *
cradle_device_page_get_certs (CradleDevicePage *self)
{
  g_return_val_if_fail (CRADLE_IS_DEVICE_PAGE (self), NULL);

  return self->certs;
}

/* ---- a certificate file dropped on the page ---------------------------- */

static gboolean
on_drop (GtkDropTarget    *target,
         const GValue     *value,
         double            x,
         double            y,
         CradleDevicePage *self)
{
  GFile *file = NULL;

  if (G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    {
      GSList *files = gdk_file_list_get_files (g_value_get_boxed (value));

      /* One file at a time: each is one install the device confirms. */
      if (files != NULL && files->next == NULL)
        file = files->data;
      g_slist_free (files);
    }
  else if (G_VALUE_HOLDS (value, G_TYPE_FILE))
    file = g_value_get_object (value);
  if (file == NULL)
    return FALSE;
  g_signal_emit (self, signals[SIGNAL_FILE_DROPPED], 0, file);
  return TRUE;
}

/* ---- pending requests --------------------------------------------------- */

void
cradle_device_page_set_pending (CradleDevicePage *self,
                                GPtrArray        *requests,
                                GPtrArray        *types)
{
  g_return_if_fail (CRADLE_IS_DEVICE_PAGE (self));

  clear_list (self->pending_list);
  for (guint i = 0; requests != NULL && i < requests->len; i++)
    {
      CradlePendingRequest *request = g_ptr_array_index (requests, i);
      const char *template_name = cradle_pending_request_get_template_name (request);
      CradleCertType *type = types != NULL && template_name != NULL ? cradle_cert_type_find (types, template_name) : NULL;

      gtk_list_box_append (self->pending_list,
                           cradle_pending_row_new (request, type != NULL ? cradle_cert_type_get_display_name (type) : NULL));
    }
  gtk_widget_set_visible (GTK_WIDGET (self->pending_group), requests != NULL && requests->len > 0);
}

void
cradle_device_page_set_checking (CradleDevicePage *self,
                                 gint64            request_id,
                                 gboolean          busy)
{
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->pending_list));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (CRADLE_IS_PENDING_ROW (child) &&
        (request_id == 0 || cradle_pending_row_get_id (CRADLE_PENDING_ROW (child)) == request_id))
      cradle_pending_row_set_busy (CRADLE_PENDING_ROW (child), busy);
}

CradleCertType *
cradle_device_page_get_selected_type (CradleDevicePage *self)
{
  return self->selected;
}

char *
cradle_device_page_dup_subject (CradleDevicePage *self)
{
  g_autofree char *subject = NULL;

  if (!wants_subject (self->selected) || count_chosen (self) > 1)
    return NULL;
  subject = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->subject_row))));
  return *subject != '\0' ? g_steal_pointer (&subject) : NULL;
}

/* ---- the object -------------------------------------------------------- */

static void
cradle_device_page_dispose (GObject *object)
{
  CradleDevicePage *self = CRADLE_DEVICE_PAGE (object);

  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_clear_object (&self->session);
  g_clear_object (&self->device);
  g_clear_object (&self->selected);
  g_clear_pointer (&self->certs, g_ptr_array_unref);
  g_clear_pointer (&self->devices, g_ptr_array_unref);
  g_clear_pointer (&self->chosen, g_hash_table_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), CRADLE_TYPE_DEVICE_PAGE);

  G_OBJECT_CLASS (cradle_device_page_parent_class)->dispose (object);
}

static void
cradle_device_page_finalize (GObject *object)
{
  CradleDevicePage *self = CRADLE_DEVICE_PAGE (object);

  g_clear_pointer (&self->wanted_type, g_free);

  G_OBJECT_CLASS (cradle_device_page_parent_class)->finalize (object);
}

static void
cradle_device_page_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  CradleDevicePage *self = CRADLE_DEVICE_PAGE (object);

  switch (prop_id)
    {
    case PROP_SELECTED_TYPE:
      g_value_set_object (value, self->selected);
      break;

    case PROP_N_CHOSEN:
      g_value_set_uint (value, count_chosen (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cradle_device_page_class_init (CradleDevicePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = cradle_device_page_dispose;
  object_class->finalize = cradle_device_page_finalize;
  object_class->get_property = cradle_device_page_get_property;

  properties[PROP_SELECTED_TYPE] =
    g_param_spec_object ("selected-type", NULL, NULL, CRADLE_TYPE_CERT_TYPE,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* How many devices Get Certificate enrolls. */
  properties[PROP_N_CHOSEN] =
    g_param_spec_uint ("n-chosen", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* A certificate file was dropped on the page: (GFile). */
  signals[SIGNAL_FILE_DROPPED] =
    g_signal_new ("file-dropped", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_FILE);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/cradle/Cradle/cradle-device-page.ui");
  gtk_widget_class_bind_template_child (widget_class, CradleDevicePage, device_row);
  gtk_widget_class_bind_template_child (widget_class, CradleDevicePage, device_icon);
  gtk_widget_class_bind_template_child (widget_class, CradleDevicePage, pin_row);
  gtk_widget_class_bind_template_child (widget_class, CradleDevicePage, chain_row);
  gtk_widget_class_bind_template_child (widget_class, CradleDevicePage, account_row);
  gtk_widget_class_bind_template_child (widget_class, CradleDevicePage, account_spinner);
  gtk_widget_class_bind_template_child (widget_class, CradleDevicePage, sign_in_button);
  gtk_widget_class_bind_template_child (widget_class, CradleDevicePage, retry_button);
  gtk_widget_class_bind_template_child (widget_class, CradleDevicePage, types_list);
  gtk_widget_class_bind_template_child (widget_class, CradleDevicePage, subject_list);
  gtk_widget_class_bind_template_child (widget_class, CradleDevicePage, subject_row);
  gtk_widget_class_bind_template_child (widget_class, CradleDevicePage, unavailable_list);
  gtk_widget_class_bind_template_child (widget_class, CradleDevicePage, unavailable_group);
  gtk_widget_class_bind_template_child (widget_class, CradleDevicePage, pending_group);
  gtk_widget_class_bind_template_child (widget_class, CradleDevicePage, pending_list);
  gtk_widget_class_bind_template_child (widget_class, CradleDevicePage, certs_list);
  gtk_widget_class_bind_template_child (widget_class, CradleDevicePage, devices_group);
  gtk_widget_class_bind_template_child (widget_class, CradleDevicePage, devices_list);
  gtk_widget_class_bind_template_child (widget_class, CradleDevicePage, enroll_button);
}

static void
cradle_device_page_init (CradleDevicePage *self)
{
  GType types[] = { GDK_TYPE_FILE_LIST, G_TYPE_FILE };
  GtkDropTarget *target;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->devices = g_ptr_array_new_with_free_func (g_object_unref);
  self->chosen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  target = gtk_drop_target_new (G_TYPE_INVALID, GDK_ACTION_COPY);
  gtk_drop_target_set_gtypes (target, types, G_N_ELEMENTS (types));
  g_signal_connect (target, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (target));
  set_placeholder (self->types_list, _("Looking for the certificate types your domain offers…"));
  set_placeholder (self->certs_list, _("Reading the device's certificates…"));
}
