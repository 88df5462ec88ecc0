/* cradlectl-devices.c: `cradlectl devices`, and the device a command uses */
#include "config.h"

#include "cradlectl-format.h"
#include "cradlectl-private.h"

/* How long the bridge devices have to open, all at once: a device that
 * answers HELLO, then sends KEEPALIVEs forever instead of its details,
 * would otherwise hold every command (and every other device of a batch)
 * for ever. Opening needs no answer from the device's user. */
#define OPEN_BOUND_SECONDS 20

typedef struct {
  CradleDevice *device;
  char         *id;           /* as found: a device that lost its session has none */
  GCancellable *cancellable;
  GError       *error;
  gboolean      opened;
  gboolean      done;         /* under lock */
  gboolean      late;         /* still opening when the time was up */
  GMutex       *lock;
  GCond        *cond;
  guint        *unfinished;
} Opening;

static gpointer
open_thread (gpointer data)
{
  Opening *opening = data;

  opening->opened = cradle_device_open (opening->device, opening->cancellable, &opening->error);
  g_mutex_lock (opening->lock);
  opening->done = TRUE;
  (*opening->unfinished)--;
  g_cond_signal (opening->cond);
  g_mutex_unlock (opening->lock);
  return NULL;
}

/* Every device that answers HELLO and GET_INFO; others are reported on
 * stderr. The bridge devices are opened at once, each on a thread, so one
 * that is slow to answer delays no other, and within OPEN_BOUND_SECONDS;
 * tokens one after another, as their modules ask. */
GPtrArray *
cradlectl_open_devices (GError **error)
{
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GPtrArray) opened = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree Opening *openings = NULL;
  g_autofree GThread **threads = NULL;
  GMutex lock;
  GCond cond;
  guint unfinished = 0;
  gint64 deadline;

  cradlectl_apply_token_options ();
  found = cradle_device_enumerate (NULL, error);
  if (found == NULL)
    return NULL;

  g_mutex_init (&lock);
  g_cond_init (&cond);
  openings = g_new0 (Opening, found->len);
  threads = g_new0 (GThread *, found->len);
  for (guint i = 0; i < found->len; i++)
    {
      Opening *opening = &openings[i];

      opening->device = g_ptr_array_index (found, i);
      opening->id = g_strdup (cradle_device_get_id (opening->device));
      opening->cancellable = cancellable;
      opening->lock = &lock;
      opening->cond = &cond;
      opening->unfinished = &unfinished;
      if (g_strcmp0 (cradle_device_get_transport (opening->device), CRADLE_DEVICE_TRANSPORT_PKCS11) == 0)
        continue;
      g_mutex_lock (&lock);
      unfinished++;
      g_mutex_unlock (&lock);
      threads[i] = g_thread_try_new ("cradlectl-open", open_thread, opening, NULL);
      if (threads[i] == NULL)
        {
          /* No thread: opened here, as before. */
          open_thread (opening);
          threads[i] = NULL;
        }
    }
  for (guint i = 0; i < found->len; i++)
    {
      Opening *opening = &openings[i];

      if (g_strcmp0 (cradle_device_get_transport (opening->device), CRADLE_DEVICE_TRANSPORT_PKCS11) == 0)
        opening->opened = cradle_device_open (opening->device, NULL, &opening->error);
    }

  /* Those that did not open in time are cancelled (a device that ignores
   * CANCEL loses its session within the host's grace time). */
  deadline = g_get_monotonic_time () + OPEN_BOUND_SECONDS * G_TIME_SPAN_SECOND;
  g_mutex_lock (&lock);
  while (unfinished > 0)
    if (!g_cond_wait_until (&cond, &lock, deadline) && unfinished > 0)
      {
        for (guint i = 0; i < found->len; i++)
          openings[i].late = threads[i] != NULL && !openings[i].done;
        g_cancellable_cancel (cancellable);
        while (unfinished > 0)
          g_cond_wait (&cond, &lock);
      }
  g_mutex_unlock (&lock);
  for (guint i = 0; i < found->len; i++)
    if (threads[i] != NULL)
      g_thread_join (threads[i]);
  g_mutex_clear (&lock);
  g_cond_clear (&cond);

  /* In the order they were found, as before. */
  for (guint i = 0; i < found->len; i++)
    {
      Opening *opening = &openings[i];
      g_autofree char *found_id = g_steal_pointer (&opening->id);

      if (!opening->opened)
        {
          g_autofree char *id = cradlectl_text (found_id != NULL ? found_id : "a device");
          g_autofree char *message = cradlectl_text (opening->error != NULL ? opening->error->message : "?");

          if (opening->late)
            g_printerr ("cradlectl: skipping %s: it did not answer within %d seconds (%s). Unplug it and "
                        "connect it again, or restart its agent.\n", id, OPEN_BOUND_SECONDS, message);
          else
            g_printerr ("cradlectl: skipping %s: %s\n", id, message);
          g_clear_error (&opening->error);
          continue;
        }
      g_ptr_array_add (opened, g_object_ref (opening->device));
    }
  return g_steal_pointer (&opened);
}

static void
on_pairing_prompt (CradleDevice *device,
                   guint         status,
                   const char   *prompt,
                   gpointer      user_data)
{
  gboolean *shown = user_data;

  /* The prompt is this computer's own words and code (never the device's). */
  if (status == CRADLE_DEVICE_WAITING_PAIRING && prompt != NULL && !*shown)
    {
      g_printerr ("%s\n", prompt);
      *shown = TRUE;
    }
}

/* Asks the device's user to trust this computer, the first time; the code
 * goes to stderr, so JSON on stdout stays whole. */
gboolean
cradlectl_pair_device (CradleDevice  *device,
                       GError       **error)
{
  gboolean shown = FALSE;
  gulong handler;
  gboolean paired;

  if (cradle_device_is_paired (device))
    return TRUE;
  handler = g_signal_connect (device, "waiting", G_CALLBACK (on_pairing_prompt), &shown);
  paired = cradle_device_pair (device, NULL, error);
  g_signal_handler_disconnect (device, handler);
  return paired;
}

/* `devices --forget ID`: the device forgets this computer when it is here
 * and paired; this computer forgets the device in any case. */
static int
forget_device (GPtrArray  *devices,
               const char *wanted,
               gboolean    json)
{
  g_autoptr(GError) error = NULL;
  gboolean removed = FALSE;
  const char *serial = wanted;

  for (guint i = 0; i < devices->len; i++)
    {
      CradleDevice *device = g_ptr_array_index (devices, i);

      if (g_strcmp0 (cradle_device_get_id (device), wanted) != 0 &&
          g_strcmp0 (cradle_device_get_serial (device), wanted) != 0)
        continue;
      serial = cradle_device_get_serial (device);
      if (cradle_device_is_paired (device))
        {
          if (!cradle_device_forget (device, NULL, &error))
            return cradlectl_report_error (error, json);
          removed = TRUE;
        }
      break;
    }
  if (!cradle_device_forget_serial (serial, removed ? NULL : &removed, &error))
    return cradlectl_report_error (error, json);
  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      cradlectl_add_string (builder, "serial", serial);
      json_builder_set_member_name (builder, "forgotten");
      json_builder_add_boolean_value (builder, removed);
      json_builder_end_object (builder);
      cradlectl_print_json (builder);
    }
  else if (removed)
    g_print ("Forgot device %s. It must be paired again (confirmed on the device) before Cradle uses it.\n",
             serial);
  else
    g_print ("This computer was not paired with a device called %s; nothing to forget.\n", serial);
  return CRADLECTL_EXIT_DONE;
}


int
cradlectl_devices (int    argc,
                   char **argv)
{
  gboolean json = FALSE;
  g_autofree char *forget = NULL;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON for scripts", NULL },
    { "forget", 0, 0, G_OPTION_ARG_STRING, &forget,
      "Unpair a device (by id or serial; it need not be connected)", "ID" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- list the connected devices and tokens");
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_main_entries (context, cradlectl_token_entries (), NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("cradlectl devices: %s\n", error->message);
      return CRADLECTL_EXIT_OTHER;
    }
  devices = cradlectl_open_devices (&error);
  if (devices == NULL)
    return cradlectl_report_error (error, json);
  if (forget != NULL)
    return forget_device (devices, forget, json);

  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_array (builder);
      for (guint i = 0; i < devices->len; i++)
        {
          CradleDevice *device = g_ptr_array_index (devices, i);

          json_builder_begin_object (builder);
          cradlectl_add_string (builder, "id", cradle_device_get_id (device));
          if (cradle_device_get_label (device) != NULL)
            {
              cradlectl_add_string (builder, "label", cradle_device_get_label (device));
              cradlectl_add_string (builder, "pin_state",
                                    cradlectl_pin_state_to_string (cradle_device_get_pin_state (device)));
              json_builder_set_member_name (builder, "pinpad");
              json_builder_add_boolean_value (builder, cradle_device_has_pinpad (device));
            }
          cradlectl_add_string (builder, "transport", cradle_device_get_transport (device));
          cradlectl_add_string (builder, "manufacturer", cradle_device_get_manufacturer (device));
          cradlectl_add_string (builder, "model", cradle_device_get_model (device));
          cradlectl_add_string (builder, "serial", cradle_device_get_serial (device));
          cradlectl_add_string (builder, "os", cradle_device_get_os (device));
          cradlectl_add_string (builder, "agent_version", cradle_device_get_agent_version (device));
          json_builder_set_member_name (builder, "protocol_version");
          json_builder_add_int_value (builder, cradle_device_get_protocol_version (device));
          json_builder_set_member_name (builder, "paired");
          json_builder_add_boolean_value (builder, cradle_device_is_paired (device));
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      cradlectl_print_json (builder);
      return CRADLECTL_EXIT_DONE;
    }

  if (devices->len == 0)
    g_print ("No device is connected. Connect a device running the Cradle agent, "
             "start a simulated one with cradle-agent, or insert a token or smart card.\n");
  for (guint i = 0; i < devices->len; i++)
    {
      CradleDevice *device = g_ptr_array_index (devices, i);
      /* Everything but the id is what the device says about itself. */
      g_autofree char *id = cradlectl_text (cradle_device_get_id (device));
      g_autofree char *manufacturer = cradlectl_text (cradle_device_get_manufacturer (device));
      g_autofree char *model = cradlectl_text (cradle_device_get_model (device));
      g_autofree char *serial = cradlectl_text (cradle_device_get_serial (device));
      g_autofree char *os = cradlectl_text (cradle_device_get_os (device));
      g_autofree char *agent = cradlectl_text (cradle_device_get_agent_version (device));

      if (cradle_device_get_label (device) != NULL)
        {
          g_autofree char *label = cradlectl_text (cradle_device_get_label (device));

          g_print ("%s  token '%s': %s %s, serial %s, module %s, %s\n", id, label, manufacturer, model, serial,
                   agent, cradlectl_pin_state_to_words (cradle_device_get_pin_state (device)));
          continue;
        }
      g_print ("%s  %s %s, serial %s, %s, agent %s (protocol %u), %s\n", id, manufacturer, model, serial, os,
               agent, cradle_device_get_protocol_version (device),
               cradle_device_is_paired (device) ? "paired" : "not paired with this computer yet");
    }
  return CRADLECTL_EXIT_DONE;
}

/* The device named by --device (id, serial, or a pkcs11: URI matching a
 * token), or the only one there is. */
CradleDevice *
cradlectl_choose_device (GPtrArray   *devices,
                         const char  *wanted,
                         GError     **error)
{
  if (wanted != NULL && g_str_has_prefix (wanted, "pkcs11:"))
    {
      g_autoptr(GError) local_error = NULL;
      g_autoptr(CradleDevice) token = cradle_device_new_for_pkcs11_uri (wanted, NULL, &local_error);

      /* Absent is absent, whatever the kind of device (exit code 6). */
      if (token == NULL && g_error_matches (local_error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND))
        local_error->code = CRADLE_ERROR_DEVICE_GONE;
      if (token == NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      /* The one already opened, when the URI names a token listed. */
      for (guint i = 0; i < devices->len; i++)
        if (g_strcmp0 (cradle_device_get_id (g_ptr_array_index (devices, i)), cradle_device_get_id (token)) == 0)
          return g_object_ref (g_ptr_array_index (devices, i));
      if (!cradle_device_open (token, NULL, error))
        return NULL;
      return g_steal_pointer (&token);
    }
  if (wanted != NULL)
    {
      for (guint i = 0; i < devices->len; i++)
        {
          CradleDevice *device = g_ptr_array_index (devices, i);

          if (g_strcmp0 (cradle_device_get_id (device), wanted) == 0 ||
              g_strcmp0 (cradle_device_get_serial (device), wanted) == 0)
            return g_object_ref (device);
        }
      g_autofree char *shown = cradlectl_text (wanted);

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE,
                   "No connected device is called '%s'. 'cradlectl devices' lists them.", shown);
      return NULL;
    }
  if (devices->len == 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE,
                           "No device is connected. Connect a device running the Cradle agent and retry.");
      return NULL;
    }
  if (devices->len > 1)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                           "Several devices are connected. Choose one with --device ID "
                           "('cradlectl devices' lists them).");
      return NULL;
    }
  return g_object_ref (g_ptr_array_index (devices, 0));
}
