/* cradle-diagnosis.h: why an enrollment fails, and where, hop by hop
 *
 * A diagnosis checks every hop an enrollment crosses, each on its own and
 * each with a deadline, without sending a request or making a key:
 *
 *   device       transport, HELLO, pairing, info, key types, room in its stores
 *   clock        skew against the DC and the KDC
 *   domain       realm, DNS SRV, the DC reachable, LDAP, LDAPS, StartTLS
 *   kerberos     the ticket and its expiry, service tickets for the DC and
 *                each CA host, encryption types
 *   directory    RootDSE, the PKI containers, the catalog's problems
 *   type         enrollable or why not, its flags in words
 *   ca           DNS, TCP, TLS (chain, expiry, name), HTTP sign-in, the
 *                service's own answer, the CA certificate, CRL/OCSP
 *   certificate  will the certificate work: the KB5014754 SID extension or
 *                SAN URL, the EKU, the attributes the CA needs, the key size
 *
 * The hops run at once; a hop that needs what another finds (the type
 * needs the catalog) waits for it, and is skipped, saying why, when that
 * hop failed.  Each check reports its verdict, its duration, what it
 * found and, when not ok, a GError that cradle_explain_error() explains
 * in the words of the error table.  Every piece of outside text in a
 * check is escaped (cradle_text_escape()); nothing secret enters one.
 */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <gio/gio.h>

#include <cradle/cradle-macros.h>
#include <cradle/cradle-credentials.h>
#include <cradle/cradle-device.h>

G_BEGIN_DECLS

typedef enum {
  CRADLE_CHECK_OK,
  CRADLE_CHECK_WARNING,
  CRADLE_CHECK_FAILED,
  CRADLE_CHECK_SKIPPED,
} CradleCheckVerdict;

/* "ok", "warning", "failed", "skipped": stable, for scripts. */
CRADLE_PUBLIC
const char *cradle_check_verdict_to_string (CradleCheckVerdict verdict);

/* The hops, in the order they are shown. */
typedef enum {
  CRADLE_HOP_DEVICE,
  CRADLE_HOP_CLOCK,
  CRADLE_HOP_DOMAIN,
  CRADLE_HOP_KERBEROS,
  CRADLE_HOP_DIRECTORY,
  CRADLE_HOP_TYPE,
  CRADLE_HOP_CA,
  CRADLE_HOP_CERTIFICATE,
  CRADLE_N_HOPS,
} CradleHop;

/* "device", "clock", "domain", "kerberos", "directory", "type", "ca",
 * "certificate": stable, for scripts. */
CRADLE_PUBLIC
const char *cradle_hop_get_name  (CradleHop hop);
/* For people: "Device", "Clock", …, "Will the certificate work". */
CRADLE_PUBLIC
const char *cradle_hop_get_title (CradleHop hop);

/* One check of a hop, immutable once reported. */
typedef struct _CradleCheck CradleCheck;

#define CRADLE_TYPE_CHECK (cradle_check_get_type ())
CRADLE_PUBLIC
GType               cradle_check_get_type        (void) G_GNUC_CONST;
CRADLE_PUBLIC
CradleCheck        *cradle_check_ref             (CradleCheck *self);
CRADLE_PUBLIC
void                cradle_check_unref           (CradleCheck *self);
CRADLE_PUBLIC
CradleHop           cradle_check_get_hop         (CradleCheck *self);
/* Stable within its hop, for scripts: "transport", "dns-srv", "tls", … */
CRADLE_PUBLIC
const char         *cradle_check_get_name        (CradleCheck *self);
/* For people: "DNS SRV records", "TLS certificate", … */
CRADLE_PUBLIC
const char         *cradle_check_get_title       (CradleCheck *self);
CRADLE_PUBLIC
CradleCheckVerdict  cradle_check_get_verdict     (CradleCheck *self);
/* Microseconds the check took (0 for one skipped). */
CRADLE_PUBLIC
gint64              cradle_check_get_duration_us (CradleCheck *self);
/* What was found, for people, one or more lines, escaped; for a skipped
 * check, why it was skipped.  Never %NULL. */
CRADLE_PUBLIC
const char         *cradle_check_get_found       (CradleCheck *self);
/* (nullable): for a warning or a failure, what is wrong, a CRADLE_ERROR
 * whose detail cradle_explain_error() explains; borrowed. */
CRADLE_PUBLIC
const GError       *cradle_check_get_error       (CradleCheck *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleCheck, cradle_check_unref)

#define CRADLE_TYPE_DIAGNOSIS (cradle_diagnosis_get_type ())
CRADLE_PUBLIC
G_DECLARE_FINAL_TYPE (CradleDiagnosis, cradle_diagnosis, CRADLE, DIAGNOSIS, GObject)

/* A diagnosis of the domain and CA as cradle_settings_dup() finds them,
 * with the desktop's Kerberos credentials, of the first device that
 * answers.  Set what differs before running it. */
CRADLE_PUBLIC
CradleDiagnosis    *cradle_diagnosis_new             (void);
/* The certificate type to check (a custom type's name or a template's
 * cn or display name); %NULL (the default) skips the type, certificate
 * hops and checks the CA of every enrollment service instead. */
CRADLE_PUBLIC
void                cradle_diagnosis_set_type_name   (CradleDiagnosis   *self,
                                                      const char        *name);
/* The device (its id or serial, as `cradlectl devices` shows); %NULL for
 * the first device that answers. */
CRADLE_PUBLIC
void                cradle_diagnosis_set_device_id   (CradleDiagnosis   *self,
                                                      const char        *device_id);
/* An open device the caller holds (the app's): a device serves one
 * session at a time, so its session is checked instead of opening
 * another, and it is left open.  Takes a reference; %NULL (the default):
 * the device is found as cradle_diagnosis_set_device_id() says. */
CRADLE_PUBLIC
void                cradle_diagnosis_set_device      (CradleDiagnosis   *self,
                                                      CradleDevice      *device);
/* The domain and its controller (as cradle_settings_dup_directory()). */
CRADLE_PUBLIC
void                cradle_diagnosis_set_directory   (CradleDiagnosis   *self,
                                                      const char        *domain,
                                                      const char        *dc_uri);
/* How to sign in (nullable: the desktop's Kerberos credentials). */
CRADLE_PUBLIC
void                cradle_diagnosis_set_credentials (CradleDiagnosis   *self,
                                                      CradleCredentials *credentials);
/* Each check's deadline in milliseconds (default 4000); the whole run
 * ends within a few such deadlines, whatever is down. */
CRADLE_PUBLIC
void                cradle_diagnosis_set_timeout     (CradleDiagnosis   *self,
                                                      guint              timeout_ms);

/* Runs the checks on threads.  "check-finished" (CradleCheck *) is
 * emitted in the thread-default main context of the caller as each check
 * ends, in the order they end.  Runs once per object. */
CRADLE_PUBLIC
void                cradle_diagnosis_run_async       (CradleDiagnosis     *self,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
/* FALSE with @error only when cancelled; failed checks are results. */
CRADLE_PUBLIC
gboolean            cradle_diagnosis_run_finish      (CradleDiagnosis     *self,
                                                      GAsyncResult        *result,
                                                      GError             **error) G_GNUC_WARN_UNUSED_RESULT;
/* The same, blocking (a main context of its own; "check-finished" is
 * emitted from it). */
CRADLE_PUBLIC
gboolean            cradle_diagnosis_run             (CradleDiagnosis     *self,
                                                      GCancellable        *cancellable,
                                                      GError             **error) G_GNUC_WARN_UNUSED_RESULT;

/* Every check once the run ended, by hop, then in each hop's own order.
 * Returns: (element-type CradleCheck) (transfer none): never %NULL */
CRADLE_PUBLIC
GPtrArray          *cradle_diagnosis_get_checks      (CradleDiagnosis   *self);
/* The worst verdict of @hop's checks (skipped when all were skipped or
 * it has none). */
CRADLE_PUBLIC
CradleCheckVerdict  cradle_diagnosis_get_hop_verdict (CradleDiagnosis   *self,
                                                      CradleHop          hop);
/* The worst verdict of all (skipped checks do not count; ok when none ran). */
CRADLE_PUBLIC
CradleCheckVerdict  cradle_diagnosis_get_verdict     (CradleDiagnosis   *self);
/* Microseconds from start to end. */
CRADLE_PUBLIC
gint64              cradle_diagnosis_get_duration_us (CradleDiagnosis   *self);
/* The type and device as asked (nullable). */
CRADLE_PUBLIC
const char         *cradle_diagnosis_get_type_name   (CradleDiagnosis   *self);
CRADLE_PUBLIC
const char         *cradle_diagnosis_get_device_id   (CradleDiagnosis   *self);

/* The whole diagnosis as JSON text (`cradlectl diagnose --json`):
 *   { "verdict", "duration_ms", "type", "device",
 *     "hops": [ { "hop", "title", "verdict",
 *                 "checks": [ { "name", "title", "verdict", "duration_ms",
 *                               "found", "error": { "code", "message",
 *                               "detail", "explanation", "next_step",
 *                               "support_step" } } ] } ] }
 * "error" is present only for a check with one; "detail" is the error
 * table's name ("KRB5KRB_AP_ERR_SKEW", …). */
CRADLE_PUBLIC
char               *cradle_diagnosis_to_json         (CradleDiagnosis   *self);

G_END_DECLS
