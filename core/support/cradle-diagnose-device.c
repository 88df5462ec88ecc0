/* cradle-diagnose-device.c: the device hop of a diagnosis
 *
 * The steps cradle_device_open() takes, one at a time, so that a failure
 * names its step, then what the device can do:
 *
 *   transport  which device, found how (USB or the simulator's socket), as
 *              cradle_device_enumerate() finds them: the one asked for (its
 *              id or serial), else the first that answers HELLO
 *   hello      the protocol version and the agent's software (HELLO)
 *   info       manufacturer, model, serial, OS, agent version (GET_INFO)
 *   pairing    whether this computer is paired with it (AUTHENTICATE when
 *              this user pinned it); the DEVICE fact is published here
 *   key-types  the key types it can make (GET_INFO)
 *   stores     the certificates in each store and the room left (LIST_CERTS,
 *              which a device answers only to a paired computer)
 *
 * A PKCS#11 token (transport "pkcs11") takes the same steps in its own
 * terms: "hello" opens its session, "info" reads CK_TOKEN_INFO, and
 * "pairing" is its PIN's state instead (a token has no pairing; no PIN is
 * tried).
 *
 * Nothing here asks the device's user anything or starts a pairing: HELLO,
 * GET_INFO, AUTHENTICATE and LIST_CERTS need no confirmation.  Each request
 * has the run's deadline: when it passes the request is cancelled (the
 * device then has the protocol's grace of five seconds to stop before the
 * session is closed).  Everything the device says is escaped.
 */
#include "config.h"

#include <string.h>

#include "support/cradle-diagnosis-private.h"
#include "host/cradle-device-private.h"
#include "host/cradle-host-pairing-private.h"
#include "protocol/cradle-bridge-frame-private.h"
#include "protocol/cradle-bridge-message-private.h"

#define HOP CRADLE_HOP_DEVICE

/* No message says how much a device can hold, so the diagnosis counts
 * against the protocol's own limits (docs/bridge-protocol.md): one
 * LIST_CERTS answer holds at most 1,024 certificates (the reference agent
 * holds no more in all its stores together) in a payload of at most
 * 256 KiB.  Hosts list a device's stores in one answer (`cradlectl certs`,
 * the app, an enrollment checking what it installed), so a device whose
 * listing outgrows it cannot be used, whatever it could store. */
#define STORES_MAX_CERTS 1024
#define STORES_MAX_BYTES CRADLE_BRIDGE_MAX_PAYLOAD
/* What one certificate adds to the answer besides its DER: its store,
 * scope, key id and origin, and the CBOR around them (at most). */
#define STORES_ITEM_OVERHEAD 64
/* An enrollment installs its certificate and a chain of up to three... */
#define STORES_ROOM_NEEDED 4
#define STORES_BYTES_NEEDED (8 * 1024)
/* ...and below these the stores are worth a warning. */
#define STORES_ROOM_LOW 64
#define STORES_BYTES_LOW (32 * 1024)

/* ---- a deadline for one request ----------------------------------------- */

typedef struct {
  GMutex        lock;
  GCond         cond;
  gboolean      stopped;
  gboolean      fired;
  gint64        end;
  GCancellable *cancellable;  /* cancelled when the deadline passes or @parent is */
  GCancellable *parent;
  gulong        parent_id;
  GThread      *thread;
} Deadline;

static gpointer
deadline_watch (gpointer data)
{
  Deadline *deadline = data;
  gboolean fired = FALSE;

  g_mutex_lock (&deadline->lock);
  while (!deadline->stopped)
    {
      if (!g_cond_wait_until (&deadline->cond, &deadline->lock, deadline->end))
        {
          fired = deadline->fired = TRUE;
          break;
        }
    }
  g_mutex_unlock (&deadline->lock);
  if (fired)
    g_cancellable_cancel (deadline->cancellable);
  return NULL;
}

static void
on_parent_cancelled (GCancellable *parent,
                     gpointer      data)
{
  g_cancellable_cancel (G_CANCELLABLE (data));
}

static void
deadline_start (Deadline     *deadline,
                GCancellable *parent,
                guint         timeout_ms)
{
  g_mutex_init (&deadline->lock);
  g_cond_init (&deadline->cond);
  deadline->stopped = deadline->fired = FALSE;
  deadline->end = g_get_monotonic_time () + (gint64) timeout_ms * G_TIME_SPAN_MILLISECOND;
  deadline->cancellable = g_cancellable_new ();
  deadline->parent = parent != NULL ? g_object_ref (parent) : NULL;
  deadline->parent_id = 0;
  if (parent != NULL)
    deadline->parent_id = g_cancellable_connect (parent, G_CALLBACK (on_parent_cancelled),
                                                 g_object_ref (deadline->cancellable), g_object_unref);
  deadline->thread = g_thread_new ("device-deadline", deadline_watch, deadline);
}

/* Returns whether the deadline passed before the step ended. */
static gboolean
deadline_stop (Deadline *deadline)
{
  gboolean fired;

  g_mutex_lock (&deadline->lock);
  deadline->stopped = TRUE;
  g_cond_signal (&deadline->cond);
  g_mutex_unlock (&deadline->lock);
  g_thread_join (deadline->thread);
  if (deadline->parent != NULL)
    g_cancellable_disconnect (deadline->parent, deadline->parent_id);
  g_clear_object (&deadline->parent);
  g_clear_object (&deadline->cancellable);
  fired = deadline->fired;
  g_mutex_clear (&deadline->lock);
  g_cond_clear (&deadline->cond);
  return fired;
}

/* ---- the hop's state ------------------------------------------------------ */

typedef enum {
  STEP_NOT_RUN,
  STEP_OK,
  STEP_FAILED,
} StepState;

typedef struct {
  StepState  state;
  gint64     duration_us;
  GError    *error;
} Step;

/* One device found, and what it answered so far. */
typedef struct {
  CradleDevice *device;
  char         *id;          /* escaped */
  const char   *how;         /* its transport, in words */
  Step          hello;
  char         *hello_agent; /* HELLO's agent software, raw */
  Step          info;
  gboolean      lent;        /* the caller's open session */
} Candidate;

static void
candidate_free (gpointer data)
{
  Candidate *candidate = data;

  g_clear_object (&candidate->device);
  g_free (candidate->id);
  g_clear_error (&candidate->hello.error);
  g_clear_error (&candidate->info.error);
  g_free (candidate->hello_agent);
  g_free (candidate);
}

typedef struct {
  CradleDiagnosisRun *run;
  GCancellable       *cancellable;
  guint               timeout_ms;
} Hop;

static gboolean
cancelled (Hop *hop)
{
  return hop->cancellable != NULL && g_cancellable_is_cancelled (hop->cancellable);
}

static char *
escape (const char *text)
{
  return cradle_text_escape (text != NULL ? text : "(none)", -1, CRADLE_TEXT_ESCAPE_DEFAULT);
}

/* A device's own words inside our error message: escaped, one line. */
static char *
escaped_message (const GError *error)
{
  return escape (error != NULL ? error->message : NULL);
}

/* @error from a request whose deadline passed, or that failed on its own:
 * a CRADLE_ERROR with the device's cause attached where one is known. */
static GError *
step_error (Hop          *hop,
            Candidate    *candidate,
            const char   *doing,
            gboolean      timed_out,
            GError       *error)
{
  g_autoptr(GError) cause = error;
  g_autofree char *message = escaped_message (cause);
  GError *out = NULL;

  if (timed_out)
    cradle_explain_set_error (&out, CRADLE_ERROR_TIMED_OUT, CRADLE_EXPLAIN_DEVICE,
                              CRADLE_DEVICE_FAILURE_NOT_ANSWERING,
                              "The device %s did not answer within %u ms while %s. Unlock it and check "
                              "that its Cradle agent is running.",
                              candidate->id, hop->timeout_ms, doing);
  else if (g_error_matches (cause, CRADLE_ERROR, CRADLE_ERROR_BUSY))
    cradle_explain_set_error (&out, CRADLE_ERROR_BUSY, CRADLE_EXPLAIN_DEVICE, CRADLE_DEVICE_FAILURE_BUSY,
                              "The device %s is serving another program while %s: %s",
                              candidate->id, doing, message);
  else if (g_error_matches (cause, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED))
    cradle_explain_set_error (&out, CRADLE_ERROR_NOT_SUPPORTED, CRADLE_EXPLAIN_DEVICE,
                              CRADLE_DEVICE_FAILURE_AGENT_TOO_OLD,
                              "The device %s cannot go on while %s: %s", candidate->id, doing, message);
  else if (g_error_matches (cause, CRADLE_ERROR, CRADLE_ERROR_TIMED_OUT) ||
           g_error_matches (cause, CRADLE_ERROR, CRADLE_ERROR_DEVICE_GONE))
    cradle_explain_set_error (&out, cause->code, CRADLE_EXPLAIN_DEVICE, CRADLE_DEVICE_FAILURE_NOT_ANSWERING,
                              "The device %s stopped answering while %s: %s", candidate->id, doing, message);
  else
    {
      /* Keep the code (and any detail) of what failed; only its words change. */
      gint code = cause != NULL && cause->domain == CRADLE_ERROR ? cause->code : CRADLE_ERROR_FAILED;
      CradleExplainKind kind;
      guint32 detail;

      if (cause != NULL && cradle_explain_get_detail (cause, &kind, &detail))
        cradle_explain_set_error (&out, code, kind, detail, "The device %s failed while %s: %s",
                                  candidate->id, doing, message);
      else
        cradle_explain_set_error (&out, code, CRADLE_EXPLAIN_CRADLE_ERROR, (guint32) code,
                                  "The device %s failed while %s: %s", candidate->id, doing, message);
    }
  return out;
}

static void
report_step (Hop        *hop,
             const char *name,
             const char *title,
             Step       *step,
             const char *found)
{
  _cradle_diagnosis_run_report (hop->run, HOP, name, title,
                                step->state == STEP_OK ? CRADLE_CHECK_OK : CRADLE_CHECK_FAILED,
                                step->duration_us, g_steal_pointer (&step->error), "%s", found);
}

static void
skip (Hop        *hop,
      const char *name,
      const char *title,
      const char *why)
{
  _cradle_diagnosis_run_report (hop->run, HOP, name, title, CRADLE_CHECK_SKIPPED, 0, NULL,
                                "skipped: %s", why);
}

/* The checks after the connection, in the order the hop makes them. */
static const struct { const char *name; const char *title; } later_checks[] = {
  { "hello", "Greeting (HELLO)" },
  { "info", "Device details" },
  { "pairing", "Paired with this computer" },
  { "key-types", "Key types it can make" },
  { "stores", "Room in its stores" },
};

/* Skips @first and every check after it: an earlier one failed, @why. */
static void
skip_from (Hop        *hop,
           const char *first,
           const char *why)
{
  gboolean skipping = FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (later_checks); i++)
    {
      skipping |= g_str_equal (later_checks[i].name, first);
      if (skipping)
        skip (hop, later_checks[i].name, later_checks[i].title, why);
    }
}

/* The hop stops before @first: no DEVICE fact (@fact_why), and @first and
 * every check after it skipped for @why. */
static void
give_up (Hop        *hop,
         const char *first,
         const char *why,
         const char *fact_why)
{
  _cradle_diagnosis_run_publish (hop->run, CRADLE_DIAGNOSIS_FACT_DEVICE, NULL, fact_why);
  skip_from (hop, first, why);
}

/* ---- the steps ------------------------------------------------------------ */

static void
run_hello (Hop       *hop,
           Candidate *candidate)
{
  Deadline deadline;
  g_autoptr(GError) error = NULL;
  gint64 started = g_get_monotonic_time ();
  gboolean ok, fired;

  if (candidate->hello.state != STEP_NOT_RUN)
    return;
  deadline_start (&deadline, hop->cancellable, hop->timeout_ms);
  ok = _cradle_device_hello (candidate->device, &candidate->hello_agent, deadline.cancellable, &error);
  fired = deadline_stop (&deadline);
  candidate->hello.duration_us = g_get_monotonic_time () - started;
  candidate->hello.state = ok ? STEP_OK : STEP_FAILED;
  if (!ok)
    candidate->hello.error = step_error (hop, candidate, "greeting it (HELLO)", fired && !cancelled (hop),
                                         g_steal_pointer (&error));
}

static void
run_info (Hop       *hop,
          Candidate *candidate)
{
  Deadline deadline;
  g_autoptr(GError) error = NULL;
  gint64 started = g_get_monotonic_time ();
  gboolean ok, fired;

  if (candidate->info.state != STEP_NOT_RUN)
    return;
  deadline_start (&deadline, hop->cancellable, hop->timeout_ms);
  ok = cradle_device_refresh_info (candidate->device, deadline.cancellable, &error);
  fired = deadline_stop (&deadline);
  candidate->info.duration_us = g_get_monotonic_time () - started;
  candidate->info.state = ok ? STEP_OK : STEP_FAILED;
  if (!ok)
    candidate->info.error = step_error (hop, candidate, "reading its details (GET_INFO)",
                                        fired && !cancelled (hop), g_steal_pointer (&error));
}

static gboolean
names_device (Candidate  *candidate,
              const char *wanted)
{
  const char *id = cradle_device_get_id (candidate->device);

  /* A simulated device's id is "socket:SERIAL". */
  return g_strcmp0 (id, wanted) == 0 ||
         (g_str_has_prefix (id != NULL ? id : "", "socket:") && g_strcmp0 (id + strlen ("socket:"), wanted) == 0);
}

static const char *
transport_words (CradleDevice *device)
{
  const char *kind = cradle_device_get_transport (device);

  if (g_strcmp0 (kind, "usb") == 0)
    return "over USB";
  if (g_strcmp0 (kind, "socket") == 0)
    return "a simulated device, over its Unix socket";
  if (g_strcmp0 (kind, CRADLE_DEVICE_TRANSPORT_PKCS11) == 0)
    return "a PKCS#11 token or smart card, through its module";
  return "over an unknown transport";
}

static char *
list_ids (GPtrArray *candidates)
{
  g_autoptr(GString) ids = g_string_new (NULL);

  for (guint i = 0; i < candidates->len; i++)
    {
      Candidate *candidate = candidates->pdata[i];

      g_string_append_printf (ids, "%s%s", i > 0 ? ", " : "", candidate->id);
    }
  return g_string_free (g_steal_pointer (&ids), FALSE);
}

/* Finds the devices and chooses one; reports "transport".  Returns the one
 * chosen (its HELLO may have run already), or %NULL. */
static Candidate *
choose_device (Hop       *hop,
               GPtrArray *candidates)
{
  const char *wanted = _cradle_diagnosis_run_get_device_id (hop->run);
  g_autofree char *wanted_escaped = escape (wanted);
  g_autoptr(GPtrArray) devices = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *ids = NULL;
  Candidate *chosen = NULL;
  gint64 started = g_get_monotonic_time ();
  gint64 duration;
  GError *failure = NULL;

  /* The caller's own session (the app's): a device serves one at a time,
   * and a second HELLO would start the session over under its feet. */
  if (_cradle_diagnosis_run_get_device (hop->run) != NULL)
    {
      CradleDevice *lent = _cradle_diagnosis_run_get_device (hop->run);

      chosen = g_new0 (Candidate, 1);
      chosen->device = g_object_ref (lent);
      chosen->id = escape (cradle_device_get_id (lent));
      chosen->how = transport_words (lent);
      chosen->lent = TRUE;
      if (cradle_device_get_protocol_version (lent) != 0)
        chosen->hello.state = STEP_OK;
      g_ptr_array_add (candidates, chosen);
      _cradle_diagnosis_run_report (hop->run, HOP, "transport", "Connection", CRADLE_CHECK_OK,
                                    g_get_monotonic_time () - started, NULL,
                                    "%s, %s, in the session this program holds", chosen->id, chosen->how);
      return chosen;
    }

  devices = cradle_device_enumerate (hop->cancellable, &error);
  if (devices == NULL)
    {
      g_autofree char *message = escaped_message (error);

      cradle_explain_set_error (&failure, CRADLE_ERROR_FAILED, CRADLE_EXPLAIN_DEVICE,
                                CRADLE_DEVICE_FAILURE_NONE_FOUND, "Could not look for devices: %s", message);
      _cradle_diagnosis_run_report (hop->run, HOP, "transport", "Connection", CRADLE_CHECK_FAILED,
                                    g_get_monotonic_time () - started, failure, "no device could be listed");
      return NULL;
    }
  for (guint i = 0; i < devices->len; i++)
    {
      Candidate *candidate = g_new0 (Candidate, 1);

      candidate->device = g_object_ref (devices->pdata[i]);
      candidate->id = escape (cradle_device_get_id (candidate->device));
      candidate->how = transport_words (candidate->device);
      g_ptr_array_add (candidates, candidate);
    }
  ids = list_ids (candidates);

  if (candidates->len == 0)
    {
      cradle_explain_set_error (&failure, CRADLE_ERROR_DEVICE_GONE, CRADLE_EXPLAIN_DEVICE,
                                CRADLE_DEVICE_FAILURE_NONE_FOUND,
                                "No device is connected: no USB device with the Cradle interface, no "
                                "simulated device and no token. Connect the device, unlock it and start its "
                                "Cradle agent, or insert the token.");
      _cradle_diagnosis_run_report (hop->run, HOP, "transport", "Connection", CRADLE_CHECK_FAILED,
                                    g_get_monotonic_time () - started, failure,
                                    "no device found (USB or simulated)");
      return NULL;
    }

  /* A "pkcs11:" URI may name a token by some of its attributes only. */
  if (wanted != NULL && g_str_has_prefix (wanted, "pkcs11:"))
    {
      g_autoptr(CradleDevice) token = cradle_device_new_for_pkcs11_uri (wanted, hop->cancellable, NULL);

      for (guint i = 0; token != NULL && i < candidates->len && chosen == NULL; i++)
        if (g_strcmp0 (cradle_device_get_id (((Candidate *) candidates->pdata[i])->device),
                       cradle_device_get_id (token)) == 0)
          chosen = candidates->pdata[i];
    }
  if (wanted != NULL)
    {
      /* By id first; a serial is known once the device answers GET_INFO. */
      for (guint i = 0; i < candidates->len && chosen == NULL; i++)
        {
          if (names_device (candidates->pdata[i], wanted))
            chosen = candidates->pdata[i];
        }
      for (guint i = 0; i < candidates->len && chosen == NULL && !cancelled (hop); i++)
        {
          Candidate *candidate = candidates->pdata[i];

          run_hello (hop, candidate);
          if (candidate->hello.state == STEP_OK)
            run_info (hop, candidate);
          if (candidate->info.state == STEP_OK &&
              g_strcmp0 (cradle_device_get_serial (candidate->device), wanted) == 0)
            chosen = candidate;
        }
      if (chosen == NULL)
        {
          cradle_explain_set_error (&failure, CRADLE_ERROR_DEVICE_GONE, CRADLE_EXPLAIN_DEVICE,
                                    CRADLE_DEVICE_FAILURE_NONE_FOUND,
                                    "No connected device is called '%s' (found: %s). Connect it, unlock it "
                                    "and start its Cradle agent, or choose one of those found.",
                                    wanted_escaped, ids);
          _cradle_diagnosis_run_report (hop->run, HOP, "transport", "Connection", CRADLE_CHECK_FAILED,
                                        g_get_monotonic_time () - started, failure,
                                        "none of the devices found is %s: %s", wanted_escaped, ids);
          return NULL;
        }
    }
  else
    {
      /* The first that answers; when none does, the first, whose HELLO says why. */
      for (guint i = 0; i < candidates->len && chosen == NULL && !cancelled (hop); i++)
        {
          Candidate *candidate = candidates->pdata[i];

          run_hello (hop, candidate);
          if (candidate->hello.state == STEP_OK)
            chosen = candidate;
        }
      if (chosen == NULL)
        chosen = candidates->pdata[0];
    }

  /* The others' sessions end now: a device serves one at a time. */
  for (guint i = 0; i < candidates->len; i++)
    {
      Candidate *candidate = candidates->pdata[i];

      if (candidate != chosen)
        cradle_device_close (candidate->device);
    }
  /* The chosen one's HELLO and GET_INFO are their own checks' time. */
  duration = g_get_monotonic_time () - started - chosen->hello.duration_us - chosen->info.duration_us;
  if (candidates->len == 1)
    _cradle_diagnosis_run_report (hop->run, HOP, "transport", "Connection", CRADLE_CHECK_OK,
                                  MAX (duration, 0), NULL, "%s, %s", chosen->id, chosen->how);
  else
    _cradle_diagnosis_run_report (hop->run, HOP, "transport", "Connection", CRADLE_CHECK_OK,
                                  MAX (duration, 0), NULL, "%s, %s (%u devices found: %s)",
                                  chosen->id, chosen->how, candidates->len, ids);
  return chosen;
}

static void
report_hello (Hop       *hop,
              Candidate *candidate)
{
  g_autofree char *agent = NULL;
  g_autofree char *found = NULL;

  if (candidate->hello.state == STEP_OK && cradle_device_get_label (candidate->device) != NULL)
    {
      agent = escape (cradle_device_get_agent_version (candidate->device));
      found = g_strdup_printf ("session open, through the PKCS#11 module %s", agent);
    }
  else if (candidate->hello.state == STEP_OK && candidate->lent && candidate->hello_agent == NULL)
    found = g_strdup_printf ("bridge protocol version %u, greeted when this program opened its session",
                             cradle_device_get_protocol_version (candidate->device));
  else if (candidate->hello.state == STEP_OK)
    {
      agent = escape (candidate->hello_agent != NULL ? candidate->hello_agent : "(not named)");
      found = g_strdup_printf ("bridge protocol version %u, agent %s",
                               cradle_device_get_protocol_version (candidate->device), agent);
    }
  else
    found = g_strdup_printf ("%s did not answer HELLO", candidate->id);
  report_step (hop, "hello", "Greeting (HELLO)", &candidate->hello, found);
}

static void
report_info (Hop       *hop,
             Candidate *candidate)
{
  CradleDevice *device = candidate->device;
  g_autofree char *manufacturer = NULL, *model = NULL, *serial = NULL, *os = NULL, *agent = NULL;
  g_autofree char *found = NULL;
  g_autoptr(GString) features = g_string_new (NULL);
  static const char * const known[] = {
    CRADLE_DEVICE_FEATURE_SCEP, CRADLE_DEVICE_FEATURE_RENEWAL, CRADLE_DEVICE_FEATURE_IMPORT_KEY,
  };

  if (candidate->info.state != STEP_OK)
    {
      report_step (hop, "info", "Device details", &candidate->info, "the device did not say what it is");
      return;
    }
  manufacturer = escape (cradle_device_get_manufacturer (device));
  model = escape (cradle_device_get_model (device));
  serial = escape (cradle_device_get_serial (device));
  os = escape (cradle_device_get_os (device));
  agent = escape (cradle_device_get_agent_version (device));
  for (gsize i = 0; i < G_N_ELEMENTS (known); i++)
    {
      if (cradle_device_has_feature (device, known[i]))
        g_string_append_printf (features, "%s%s", features->len > 0 ? ", " : "", known[i]);
    }
  if (cradle_device_get_label (device) != NULL)
    {
      g_autofree char *label = escape (cradle_device_get_label (device));

      found = g_strdup_printf ("token '%s': %s %s, serial %s, module %s; features: %s", label, manufacturer,
                               model, serial, agent, features->len > 0 ? features->str : "none");
    }
  else
    found = g_strdup_printf ("%s %s, serial %s, %s, agent %s; features: %s", manufacturer, model, serial, os,
                             agent, features->len > 0 ? features->str : "none");
  report_step (hop, "info", "Device details", &candidate->info, found);
}

/* AUTHENTICATE when this user pinned the device; reports "pairing".
 * Returns whether the session is paired. */
static gboolean
check_pairing (Hop       *hop,
               Candidate *candidate)
{
  CradleDevice *device = candidate->device;
  g_autofree char *serial = escape (cradle_device_get_serial (device));
  g_autoptr(GBytes) pinned = NULL;
  g_autoptr(GError) error = NULL;
  gint64 started = g_get_monotonic_time ();
  Deadline deadline;
  GError *failure = NULL;
  gboolean ok, fired;

  pinned = cradle_host_pin_lookup (cradle_device_get_serial (device), &error);
  if (pinned == NULL && error != NULL)
    {
      g_autofree char *message = escaped_message (error);

      cradle_explain_set_error (&failure, CRADLE_ERROR_FAILED, CRADLE_EXPLAIN_CRADLE_ERROR, CRADLE_ERROR_FAILED,
                                "Could not read this computer's pairing with %s: %s", serial, message);
      _cradle_diagnosis_run_report (hop->run, HOP, "pairing", "Paired with this computer", CRADLE_CHECK_FAILED,
                                    g_get_monotonic_time () - started, failure, "pairing unknown");
      return FALSE;
    }
  g_clear_error (&error);

  deadline_start (&deadline, hop->cancellable, hop->timeout_ms);
  ok = _cradle_device_authenticate (device, deadline.cancellable, &error);
  fired = deadline_stop (&deadline);

  if (!ok && g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_NOT_PAIRED))
    {
      cradle_explain_set_error (&failure, CRADLE_ERROR_NOT_PAIRED, CRADLE_EXPLAIN_DEVICE,
                                CRADLE_DEVICE_FAILURE_IDENTITY_CHANGED,
                                "The device says it is %s, but it is not the device this computer paired "
                                "with under that serial (its identity key differs); nothing was sent to it.",
                                serial);
      _cradle_diagnosis_run_report (hop->run, HOP, "pairing", "Paired with this computer", CRADLE_CHECK_FAILED,
                                    g_get_monotonic_time () - started, failure,
                                    "identity key differs from the one pinned for serial %s", serial);
      return FALSE;
    }
  if (!ok)
    {
      failure = step_error (hop, candidate, "proving who this computer is (AUTHENTICATE)",
                            fired && !cancelled (hop), g_steal_pointer (&error));
      _cradle_diagnosis_run_report (hop->run, HOP, "pairing", "Paired with this computer", CRADLE_CHECK_FAILED,
                                    g_get_monotonic_time () - started, failure, "pairing not confirmed");
      return FALSE;
    }
  if (cradle_device_is_paired (device))
    {
      _cradle_diagnosis_run_report (hop->run, HOP, "pairing", "Paired with this computer", CRADLE_CHECK_OK,
                                    g_get_monotonic_time () - started, NULL,
                                    "paired; the device proved the identity pinned for serial %s and the "
                                    "session is sealed", serial);
      return TRUE;
    }
  if (pinned == NULL)
    {
      cradle_explain_set_error (&failure, CRADLE_ERROR_NOT_PAIRED, CRADLE_EXPLAIN_DEVICE,
                                CRADLE_DEVICE_FAILURE_NOT_PAIRED,
                                "This computer's user never paired with the device %s, so it will not use its "
                                "keys or stores for this computer.", serial);
      _cradle_diagnosis_run_report (hop->run, HOP, "pairing", "Paired with this computer", CRADLE_CHECK_FAILED,
                                    g_get_monotonic_time () - started, failure,
                                    "not paired with this computer");
    }
  else
    {
      cradle_explain_set_error (&failure, CRADLE_ERROR_NOT_PAIRED, CRADLE_EXPLAIN_DEVICE,
                                CRADLE_DEVICE_FAILURE_HOST_FORGOTTEN,
                                "The device %s was paired with this computer, but no longer trusts it "
                                "(it answered NOT_PAIRED to AUTHENTICATE).", serial);
      _cradle_diagnosis_run_report (hop->run, HOP, "pairing", "Paired with this computer", CRADLE_CHECK_FAILED,
                                    g_get_monotonic_time () - started, failure,
                                    "paired before, but the device no longer trusts this computer");
    }
  return FALSE;
}

/* A token's PIN state, in place of the pairing: nothing is tried, the
 * flags are read.  Reports "pairing"; returns whether its keys can be used
 * (not locked). */
static gboolean
check_pin (Hop       *hop,
           Candidate *candidate)
{
  const char *title = "The token's PIN";
  gint64 started = g_get_monotonic_time ();
  CradleDevicePinState state = cradle_device_get_pin_state (candidate->device);
  g_autofree char *label = escape (cradle_device_get_label (candidate->device));
  GError *failure = NULL;

  switch (state)
    {
    case CRADLE_DEVICE_PIN_NOT_NEEDED:
      _cradle_diagnosis_run_report (hop->run, HOP, "pairing", title, CRADLE_CHECK_OK,
                                    g_get_monotonic_time () - started, NULL, "the token needs no PIN");
      return TRUE;
    case CRADLE_DEVICE_PIN_ENTERED:
      _cradle_diagnosis_run_report (hop->run, HOP, "pairing", title, CRADLE_CHECK_OK,
                                    g_get_monotonic_time () - started, NULL, "PIN entered in this session");
      return TRUE;
    case CRADLE_DEVICE_PIN_NEEDED:
      _cradle_diagnosis_run_report (hop->run, HOP, "pairing", title, CRADLE_CHECK_OK,
                                    g_get_monotonic_time () - started, NULL,
                                    "a PIN is needed%s; Cradle asks for it before it uses a key",
                                    cradle_device_has_pinpad (candidate->device) ? " (on the token's pinpad)" : "");
      return TRUE;
    case CRADLE_DEVICE_PIN_COUNT_LOW:
    case CRADLE_DEVICE_PIN_FINAL_TRY:
      cradle_explain_set_error (&failure, CRADLE_ERROR_AUTH_FAILED, CRADLE_EXPLAIN_TOKEN,
                                state == CRADLE_DEVICE_PIN_FINAL_TRY ? CRADLE_TOKEN_FAILURE_PIN_FINAL_TRY
                                                                     : CRADLE_TOKEN_FAILURE_PIN_COUNT_LOW,
                                "A wrong PIN was entered on the token '%s' before%s.", label,
                                state == CRADLE_DEVICE_PIN_FINAL_TRY ? ": one more wrong PIN locks it" : "");
      _cradle_diagnosis_run_report (hop->run, HOP, "pairing", title, CRADLE_CHECK_WARNING,
                                    g_get_monotonic_time () - started, failure,
                                    state == CRADLE_DEVICE_PIN_FINAL_TRY
                                    ? "a PIN is needed; one more wrong PIN locks the token"
                                    : "a PIN is needed; a wrong PIN was entered before");
      return TRUE;
    case CRADLE_DEVICE_PIN_LOCKED:
    default:
      cradle_explain_set_error (&failure, CRADLE_ERROR_PERMISSION_DENIED, CRADLE_EXPLAIN_TOKEN,
                                CRADLE_TOKEN_FAILURE_PIN_LOCKED,
                                "The PIN of the token '%s' is locked; only its administrator can unlock it.",
                                label);
      _cradle_diagnosis_run_report (hop->run, HOP, "pairing", title, CRADLE_CHECK_FAILED,
                                    g_get_monotonic_time () - started, failure, "the PIN is locked");
      return FALSE;
    }
}

static void
check_key_types (Hop       *hop,
                 Candidate *candidate)
{
  const char * const *types = cradle_device_get_key_types (candidate->device);
  g_autoptr(GString) found = g_string_new (NULL);
  GError *failure = NULL;

  for (gsize i = 0; types[i] != NULL; i++)
    {
      g_autofree char *type = escape (types[i]);

      g_string_append_printf (found, "%s%s", i > 0 ? ", " : "", type);
    }
  if (found->len > 0)
    {
      _cradle_diagnosis_run_report (hop->run, HOP, "key-types", "Key types it can make", CRADLE_CHECK_OK, 0,
                                    NULL, "%s", found->str);
      return;
    }
  cradle_explain_set_error (&failure, CRADLE_ERROR_NOT_SUPPORTED, CRADLE_EXPLAIN_DEVICE,
                            CRADLE_DEVICE_FAILURE_NO_KEY_TYPES,
                            "The device %s says it can make no key type at all.", candidate->id);
  _cradle_diagnosis_run_report (hop->run, HOP, "key-types", "Key types it can make", CRADLE_CHECK_FAILED, 0,
                                failure, "none");
}

typedef struct {
  char  *name;      /* escaped "MY (user)" */
  guint  certs;
  guint  keys;      /* certificates whose key the device holds */
} StoreCount;

static void
store_count_free (gpointer data)
{
  StoreCount *count = data;

  g_free (count->name);
  g_free (count);
}

/* The device answered TOO_LARGE: the host names the code last, after the
 * device's own words ("... (TOO_LARGE 12)"). */
static gboolean
is_too_large (const GError *error)
{
  g_autofree char *code = g_strdup_printf ("(TOO_LARGE %u)", (guint) CRADLE_BRIDGE_E_TOO_LARGE);

  return error != NULL && g_str_has_suffix (error->message, code);
}

static void
check_stores (Hop       *hop,
              Candidate *candidate)
{
  g_autoptr(GPtrArray) certs = NULL;
  g_autoptr(GPtrArray) counts = g_ptr_array_new_with_free_func (store_count_free);
  g_autoptr(GString) found = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  gint64 started = g_get_monotonic_time ();
  Deadline deadline;
  GError *failure = NULL;
  gint64 duration;
  gsize bytes = 0;
  guint room, bytes_room;
  gboolean fired;

  deadline_start (&deadline, hop->cancellable, hop->timeout_ms);
  certs = cradle_device_list_certs (candidate->device, NULL, NULL, deadline.cancellable, &error);
  fired = deadline_stop (&deadline);
  duration = g_get_monotonic_time () - started;
  if (certs == NULL && is_too_large (error) && !fired)
    {
      cradle_explain_set_error (&failure, CRADLE_ERROR_NOT_SUPPORTED, CRADLE_EXPLAIN_DEVICE,
                                CRADLE_DEVICE_FAILURE_STORES_FULL,
                                "The device %s holds more certificates than one answer of the bridge protocol "
                                "carries (%u KiB), so Cradle cannot list them, nor check what it installs.",
                                candidate->id, STORES_MAX_BYTES / 1024);
      _cradle_diagnosis_run_report (hop->run, HOP, "stores", "Room in its stores", CRADLE_CHECK_FAILED,
                                    duration, failure,
                                    "more certificates than one LIST_CERTS answer carries (TOO_LARGE)");
      return;
    }
  if (certs == NULL)
    {
      failure = step_error (hop, candidate, "listing its stores (LIST_CERTS)", fired && !cancelled (hop),
                            g_steal_pointer (&error));
      _cradle_diagnosis_run_report (hop->run, HOP, "stores", "Room in its stores", CRADLE_CHECK_FAILED,
                                    duration, failure, "the device did not list its stores");
      return;
    }

  for (guint i = 0; i < certs->len; i++)
    {
      CradleDeviceCert *cert = certs->pdata[i];
      g_autofree char *store = escape (cradle_device_cert_get_store (cert));
      g_autofree char *scope = escape (cradle_device_cert_get_scope (cert));
      g_autofree char *name = g_strdup_printf ("%s (%s)", store, scope);
      StoreCount *count = NULL;

      bytes += g_bytes_get_size (cradle_device_cert_get_der (cert)) + STORES_ITEM_OVERHEAD;
      for (guint j = 0; j < counts->len && count == NULL; j++)
        {
          if (g_strcmp0 (((StoreCount *) counts->pdata[j])->name, name) == 0)
            count = counts->pdata[j];
        }
      if (count == NULL)
        {
          count = g_new0 (StoreCount, 1);
          count->name = g_steal_pointer (&name);
          g_ptr_array_add (counts, count);
        }
      count->certs++;
      if (cradle_device_cert_get_key_id (cert) != NULL)
        count->keys++;
    }
  for (guint i = 0; i < counts->len; i++)
    {
      StoreCount *count = counts->pdata[i];

      g_string_append_printf (found, "%s%s: %u certificate%s", i > 0 ? "; " : "", count->name, count->certs,
                              count->certs == 1 ? "" : "s");
      if (count->keys > 0)
        g_string_append_printf (found, ", %u with a key on the device", count->keys);
    }
  if (counts->len == 0)
    g_string_append (found, "every store is empty");
  room = certs->len < STORES_MAX_CERTS ? STORES_MAX_CERTS - certs->len : 0;
  bytes_room = bytes < STORES_MAX_BYTES ? (guint) (STORES_MAX_BYTES - bytes) : 0;
  g_string_append_printf (found, "; room for %u more of %u certificates, and about %u of the %u KiB one "
                                 "listing may take (the protocol's limits: devices do not report their own)",
                          room, STORES_MAX_CERTS, bytes_room / 1024, STORES_MAX_BYTES / 1024);

  if (room >= STORES_ROOM_LOW && bytes_room >= STORES_BYTES_LOW)
    {
      _cradle_diagnosis_run_report (hop->run, HOP, "stores", "Room in its stores", CRADLE_CHECK_OK, duration,
                                    NULL, "%s", found->str);
      return;
    }
  cradle_explain_set_error (&failure, CRADLE_ERROR_NOT_SUPPORTED, CRADLE_EXPLAIN_DEVICE,
                            CRADLE_DEVICE_FAILURE_STORES_FULL,
                            "The device %s holds %u certificates: room for %u more, and about %u KiB of what "
                            "one listing may take; an enrollment adds a certificate and its chain.",
                            candidate->id, certs->len, room, bytes_room / 1024);
  _cradle_diagnosis_run_report (hop->run, HOP, "stores", "Room in its stores",
                                room >= STORES_ROOM_NEEDED && bytes_room >= STORES_BYTES_NEEDED
                                  ? CRADLE_CHECK_WARNING : CRADLE_CHECK_FAILED,
                                duration, failure, "%s", found->str);
}

/* ---- the hop --------------------------------------------------------------- */

static void
diagnose (Hop *hop)
{
  g_autoptr(GPtrArray) candidates = g_ptr_array_new_with_free_func (candidate_free);
  Candidate *chosen;
  gboolean paired;

  chosen = choose_device (hop, candidates);
  if (chosen == NULL)
    {
      give_up (hop, "hello", "no device was found (see Connection)", "no device was found (see Device)");
      return;
    }

  run_hello (hop, chosen);
  report_hello (hop, chosen);
  if (chosen->hello.state != STEP_OK)
    {
      give_up (hop, "info", "the device did not answer HELLO (see Greeting)",
               "the device did not answer (see Device)");
      return;
    }

  run_info (hop, chosen);
  report_info (hop, chosen);
  if (chosen->info.state != STEP_OK)
    {
      give_up (hop, "pairing", "the device did not say what it is (see Device details)",
               "the device did not say what it is (see Device)");
      return;
    }

  if (cradle_device_get_label (chosen->device) != NULL)
    paired = check_pin (hop, chosen);
  else if (chosen->lent && cradle_device_is_paired (chosen->device))
    {
      g_autofree char *serial = escape (cradle_device_get_serial (chosen->device));

      /* AUTHENTICATE again would seal the session over again. */
      _cradle_diagnosis_run_report (hop->run, HOP, "pairing", "Paired with this computer", CRADLE_CHECK_OK, 0,
                                    NULL, "paired; the device proved the identity pinned for serial %s when this "
                                    "program opened its session, which is sealed", serial);
      paired = TRUE;
    }
  else
    paired = check_pairing (hop, chosen);
  /* As soon as it is known: the certificate hop waits on it for the key types. */
  if (paired)
    _cradle_diagnosis_run_publish (hop->run, CRADLE_DIAGNOSIS_FACT_DEVICE, g_object_ref (chosen->device), NULL);
  else
    _cradle_diagnosis_run_publish (hop->run, CRADLE_DIAGNOSIS_FACT_DEVICE, NULL,
                                   cradle_device_get_label (chosen->device) != NULL
                                   ? "the token's PIN is locked (see Device)"
                                   : "the device is not paired with this computer (see Device)");

  check_key_types (hop, chosen);
  if (paired)
    check_stores (hop, chosen);
  else if (cradle_device_get_label (chosen->device) != NULL)
    skip (hop, "stores", "Room in its stores", "the token's PIN is locked (see The token's PIN)");
  else
    skip (hop, "stores", "Room in its stores",
          "a device lists its stores only to a computer it is paired with (see Paired with this computer)");
}

void
_cradle_diagnose_device (CradleDiagnosisRun *run,
                         GCancellable       *cancellable)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  Hop hop = { run, cancellable, _cradle_diagnosis_run_get_timeout_ms (run) };

  /* The devices made here emit "waiting" in this thread's context, not in
   * the caller's default one; nothing waits for it, so it is drained here. */
  g_main_context_push_thread_default (context);
  diagnose (&hop);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);
}
