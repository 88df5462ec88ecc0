/* cradlectl-private.h: what the cradlectl commands share */
#pragma once

#include <json-glib/json-glib.h>
#include <cradle/cradle.h>

G_BEGIN_DECLS

/* The exit codes of DESIGN.md's command-line contract, after certmonger's helpers. */
typedef enum {
  CRADLECTL_EXIT_DONE = 0,
  CRADLECTL_EXIT_PENDING = 1,
  CRADLECTL_EXIT_REFUSED = 2,
  CRADLECTL_EXIT_UNREACHABLE = 3,
  CRADLECTL_EXIT_NOT_CONFIGURED = 4,
  CRADLECTL_EXIT_DECLINED = 5,
  CRADLECTL_EXIT_DEVICE_ABSENT = 6,
  CRADLECTL_EXIT_OTHER = 7,
  /* `status`: a certificate is revoked, expired or due for renewal. */
  CRADLECTL_EXIT_ATTENTION = 8,
  /* `status`: the revocation of a certificate is unknown (none needs attention). */
  CRADLECTL_EXIT_STATUS_UNKNOWN = 9,
  /* `enroll --batch` and `--all-devices`: some devices got (or held) their
   * certificate, some did not; none did. */
  CRADLECTL_EXIT_SOME = 10,
  CRADLECTL_EXIT_NONE = 11,
} CradlectlExit;

/* A command, or a subcommand of `types`: run with argv[0] its own name. */
typedef struct {
  const char *name;
  const char *summary;
  int (*run) (int argc, char **argv);
} CradlectlCommand;

/* Options every command that talks to the domain accepts. */
typedef struct {
  char     *domain;
  char     *dc_uri;
  char     *user;
  char     *password_file;
  char     *ccache_name;
  gboolean  json;
  /* Set by cradlectl_domain_options_resolve(): where user came from. */
  char     *user_origin;
} CradlectlDomainOptions;

CradlectlExit cradlectl_exit_for_error    (const GError           *error);
CradlectlExit cradlectl_report_error      (const GError           *error,
                                           gboolean                json);
void          cradlectl_print_json        (JsonBuilder            *builder);
/* Routes g_print(), g_printerr() and log messages through the one terminal
 * sanitiser (cradle_text_escape()); main() calls it first. */
void          cradlectl_install_sanitiser (void);
/* @value (from a device, a CA, the directory or the journal) for one line:
 * every control escaped, newlines too. Free with g_free(). */
char         *cradlectl_text              (const char             *value);
GOptionEntry *cradlectl_domain_entries    (CradlectlDomainOptions *options);
void          cradlectl_domain_options_clear (CradlectlDomainOptions *options);
/* After the options are parsed: each unset one from the environment
 * (CRADLE_DOMAIN, CRADLE_DC, CRADLE_USER, CRADLE_CCACHE), else cradle.conf
 * ([Directory] Domain=, DC=), as the app reads them (cradle_settings_dup()). */
void          cradlectl_domain_options_resolve (CradlectlDomainOptions *options);
/* The first line of @path (- for standard input) in a buffer to wipe
 * (explicit_bzero) and free: a password or a SCEP challenge (@what names
 * it in errors, which never hold it). */
char         *cradlectl_read_secret       (const char             *path,
                                           const char             *what,
                                           GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* A directory session opened as the options say: the desktop's Kerberos
 * credentials by default, or --user with --password-file. */
CradleDirectory *cradlectl_open_directory (CradlectlDomainOptions *options,
                                           GCancellable           *cancellable,
                                           GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* The same session, not opened yet. */
CradleDirectory *cradlectl_new_directory  (CradlectlDomainOptions *options,
                                           GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* The same choice as credentials for the engine (the password read into
 * wiped memory). */
CradleCredentials *cradlectl_dup_credentials (CradlectlDomainOptions *options,
                                              GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* Adds the members of an error report ("code", "message", "exit_code",
 * "detail", "explanation", "next_step") to an open object. */
void          cradlectl_add_error_members (JsonBuilder            *builder,
                                           const GError           *error);
/* Prints the error and, when its cause is known, the next step on stderr. */
void          cradlectl_print_error       (const GError           *error);

/* cradlectl-devices.c: every device that answers, and the one to use. */
GPtrArray    *cradlectl_open_devices      (GError                **error) G_GNUC_WARN_UNUSED_RESULT;
CradleDevice *cradlectl_choose_device     (GPtrArray              *devices,
                                           const char             *wanted,
                                           GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* The device's user is asked to trust this computer (the code on stderr). */
gboolean      cradlectl_pair_device       (CradleDevice           *device,
                                           GError                **error) G_GNUC_WARN_UNUSED_RESULT;

/* cradlectl-pin.c: --pkcs11-module and --pin-file, which every command
 * taking --device accepts. */
const GOptionEntry *cradlectl_token_entries (void);
/* Loads --pkcs11-module's modules besides cradle.conf's; before the first
 * device is listed (cradlectl_open_devices() calls it). */
void          cradlectl_apply_token_options (void);
/* Gives a token its PIN when it needs one: --pin-file, the token's pinpad,
 * or asked on the terminal without echo; other devices: nothing to do. */
gboolean      cradlectl_log_in_device     (CradleDevice           *device,
                                           GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* Whether --pin-file was given (commands that only read use the PIN then). */
gboolean      cradlectl_has_pin_file      (void);
/* A token whose keys stay hidden until its PIN is given (or locked). */
gboolean      cradlectl_device_needs_pin  (CradleDevice           *device);
/* "needed", "count-low", … for JSON; and words for people. */
const char   *cradlectl_pin_state_to_string (CradleDevicePinState  state);
const char   *cradlectl_pin_state_to_words  (CradleDevicePinState  state);

/* cradlectl-run.c: one enrollment run to its end, with progress lines on
 * a terminal; the result printed (or added to @results, a JSON array
 * being built), and its exit code returned. */
CradlectlExit cradlectl_run_enrollment    (CradleEnrollment       *enrollment,
                                           gboolean                json,
                                           JsonBuilder            *results,
                                           GCancellable           *cancellable);
CradlectlExit cradlectl_exit_for_outcome  (CradleEnrollmentOutcome outcome,
                                           const GError           *error);
/* The result object of one run, as `enroll --json` prints it. */
void          cradlectl_add_enrollment_json (JsonBuilder          *builder,
                                             CradleEnrollment     *enrollment,
                                             CradlectlExit         code);

/* cradlectl-enroll-batch.c: several devices at once (--all-devices, --batch) */
typedef struct {
  const char             *batch_file;     /* nullable: --all-devices */
  const char             *type_name;      /* --all-devices: --type, or */
  const char             *template_name;  /* --template */
  CradlectlDomainOptions *options;
  guint                   at_once;        /* 0: the default */
} CradlectlBatchParams;
int           cradlectl_enroll_batch      (CradlectlBatchParams  *params);
/* The store and journal of the state folder. */
gboolean      cradlectl_open_state        (CradlePendingStore    **store,
                                           CradleJournal         **journal,
                                           GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* Custom types only (no directory), problems reported on stderr. */
GPtrArray    *cradlectl_list_custom_types (void);

int           cradlectl_devices           (int                     argc,
                                           char                  **argv);
int           cradlectl_status            (int                     argc,
                                           char                  **argv);
int           cradlectl_certs             (int                     argc,
                                           char                  **argv);
int           cradlectl_whoami            (int                     argc,
                                           char                  **argv);
int           cradlectl_templates         (int                     argc,
                                           char                  **argv);
int           cradlectl_enroll            (int                     argc,
                                           char                  **argv);
int           cradlectl_pending           (int                     argc,
                                           char                  **argv);
int           cradlectl_retrieve          (int                     argc,
                                           char                  **argv);
int           cradlectl_renew             (int                     argc,
                                           char                  **argv);
int           cradlectl_log               (int                     argc,
                                           char                  **argv);
int           cradlectl_report            (int                     argc,
                                           char                  **argv);
int           cradlectl_install           (int                     argc,
                                           char                  **argv);
int           cradlectl_diagnose          (int                     argc,
                                           char                  **argv);
/* cradlectl-types.c: `cradlectl types SUBCOMMAND`; its table in that file
 * takes one line per subcommand.  The subcommands of other files: */
int           cradlectl_types             (int                     argc,
                                           char                  **argv);
int           cradlectl_types_test        (int                     argc,
                                           char                  **argv);
int           cradlectl_types_export      (int                     argc,
                                           char                  **argv);
int           cradlectl_types_import      (int                     argc,
                                           char                  **argv);

G_END_DECLS
