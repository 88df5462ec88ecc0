/* cradle-support-report.c: one archive for a support ticket
 *
 * The files are built in memory, each from what Cradle knows or a
 * bounded, escaped read of a file, then the known secrets are removed
 * from all of them (cradle-support-report-conf.c), then, when asked, the
 * names (cradle-support-report-redact.c), then README.txt lists them,
 * and the archive is written whole or not at all
 * (cradle-support-report-archive.c).  Nothing reads a Kerberos ticket
 * cache, a challenge file's text into a file, the device's keys or a
 * password: what never enters cannot leak. */
#include "config.h"

#include "ca/cradle-curl-private.h"
#include "directory/cradle-libldap-private.h"
#include "kerberos/cradle-krb5-private.h"
#include "support/cradle-support-report-private.h"

#include <string.h>
#include <sys/utsname.h>

#include <json-glib/json-glib.h>
#include <libusb.h>
#include <cbor.h>
#include <openssl/crypto.h>
#include <sqlite3.h>

#include <cradle/cradle-error.h>
#include <cradle/cradle-explain.h>
#include <cradle/cradle-journal.h>
#include <cradle/cradle-log.h>
#include <cradle/cradle-paths.h>
#include <cradle/cradle-settings.h>
#include <cradle/cradle-text.h>

#define RECENT_RUNS 50
#define MAX_TYPE_FILES 200
#define MAX_LOG_BYTES (600 * 1024)

struct _CradleSupportReport
{
  GObject                  parent_instance;
  CradleSupportReportFlags flags;
  gint64                   run_id;
  CradleDiagnosis         *diagnosis;
  char                    *type_name;
  char                    *device_id;
  GStrv                    contents;
};

G_DEFINE_FINAL_TYPE (CradleSupportReport, cradle_support_report, G_TYPE_OBJECT)

static const char * const no_contents[] = { NULL };

static void
cradle_support_report_finalize (GObject *object)
{
  CradleSupportReport *self = CRADLE_SUPPORT_REPORT (object);

  g_clear_object (&self->diagnosis);
  g_free (self->type_name);
  g_free (self->device_id);
  g_strfreev (self->contents);
  G_OBJECT_CLASS (cradle_support_report_parent_class)->finalize (object);
}

static void
cradle_support_report_class_init (CradleSupportReportClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cradle_support_report_finalize;
}

static void
cradle_support_report_init (CradleSupportReport *self)
{
}

CradleSupportReport *
cradle_support_report_new (CradleSupportReportFlags flags)
{
  CradleSupportReport *self = g_object_new (CRADLE_TYPE_SUPPORT_REPORT, NULL);

  self->flags = flags;
  return self;
}

void
cradle_support_report_set_run (CradleSupportReport *self,
                               gint64               run_id)
{
  g_return_if_fail (CRADLE_IS_SUPPORT_REPORT (self));
  self->run_id = run_id;
}

void
cradle_support_report_set_diagnosis (CradleSupportReport *self,
                                     CradleDiagnosis     *diagnosis)
{
  g_return_if_fail (CRADLE_IS_SUPPORT_REPORT (self));
  g_set_object (&self->diagnosis, diagnosis);
}

void
cradle_support_report_set_type_name (CradleSupportReport *self,
                                     const char          *type_name)
{
  g_return_if_fail (CRADLE_IS_SUPPORT_REPORT (self));
  g_free (self->type_name);
  self->type_name = g_strdup (type_name);
}

void
cradle_support_report_set_device_id (CradleSupportReport *self,
                                     const char          *device_id)
{
  g_return_if_fail (CRADLE_IS_SUPPORT_REPORT (self));
  g_free (self->device_id);
  self->device_id = g_strdup (device_id);
}

const char * const *
cradle_support_report_get_contents (CradleSupportReport *self)
{
  g_return_val_if_fail (CRADLE_IS_SUPPORT_REPORT (self), no_contents);
  return self->contents != NULL ? (const char * const *) self->contents : no_contents;
}

/* ---- the files ------------------------------------------------------------ */

CradleReportFile *
_cradle_report_file_new (GPtrArray  *files,
                         const char *name,
                         const char *description)
{
  CradleReportFile *file = g_new0 (CradleReportFile, 1);

  file->name = g_strdup (name);
  file->description = g_strdup (description);
  file->text = g_string_new (NULL);
  g_ptr_array_add (files, file);
  return file;
}

void
_cradle_report_file_free (gpointer data)
{
  CradleReportFile *file = data;

  g_free (file->name);
  g_free (file->description);
  g_string_free (file->text, TRUE);
  g_free (file);
}

/* What a report gathers, besides the files. */
typedef struct {
  GPtrArray *files;
  GPtrArray *secrets;  /* removed from every file at the end */
  GPtrArray *users;    /* names to replace, with REDACT_NAMES */
  GPtrArray *domains;
  GPtrArray *hosts;
  char      *run_type;    /* the chosen run's, for the diagnosis */
  char      *run_device;
} Gathering;

static void
gathering_clear (Gathering *gathering)
{
  g_clear_pointer (&gathering->files, g_ptr_array_unref);
  g_clear_pointer (&gathering->secrets, g_ptr_array_unref);
  g_clear_pointer (&gathering->users, g_ptr_array_unref);
  g_clear_pointer (&gathering->domains, g_ptr_array_unref);
  g_clear_pointer (&gathering->hosts, g_ptr_array_unref);
  g_clear_pointer (&gathering->run_type, g_free);
  g_clear_pointer (&gathering->run_device, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Gathering, gathering_clear)

static void
add_name (GPtrArray  *names,
          const char *name)
{
  if (name != NULL && name[0] != '\0')
    g_ptr_array_add (names, g_strdup (name));
}

/* The host of a URI ("ldap://dc1.corp.example.com:389" -> dc1…), or NULL. */
static char *
host_of_uri (const char *uri)
{
  g_autoptr(GUri) parsed = uri != NULL ? g_uri_parse (uri, G_URI_FLAGS_NON_DNS, NULL) : NULL;

  return parsed != NULL && g_uri_get_host (parsed) != NULL ? g_strdup (g_uri_get_host (parsed)) : NULL;
}

static void
append_escaped (GString    *out,
                const char *text)
{
  g_autofree char *escaped = cradle_text_escape (text != NULL ? text : "", -1, CRADLE_TEXT_ESCAPE_DEFAULT);

  g_string_append (out, escaped);
}

/* ---- versions.txt --------------------------------------------------------- */

static char *
ldap_version (void)
{
  LDAPAPIInfo info = { .ldapai_info_version = LDAP_API_INFO_VERSION };
  g_autoptr(GError) error = NULL;
  char *text;

  if (!cradle_libldap_load (&error))
    return g_strdup_printf ("not loaded: %s", error->message);
  if (sym_ldap_get_option (NULL, LDAP_OPT_API_INFO, &info) != LDAP_OPT_SUCCESS)
    return g_strdup ("loaded; it did not say its version");
  text = g_strdup_printf ("%s %d.%d.%d (API %d)", info.ldapai_vendor_name != NULL ? info.ldapai_vendor_name : "?",
                          info.ldapai_vendor_version / 10000, (info.ldapai_vendor_version / 100) % 100,
                          info.ldapai_vendor_version % 100, info.ldapai_api_version);
  if (info.ldapai_extensions != NULL)
    {
      for (char **extension = info.ldapai_extensions; *extension != NULL; extension++)
        sym_ldap_memfree (*extension);
      sym_ldap_memfree (info.ldapai_extensions);
    }
  sym_ldap_memfree (info.ldapai_vendor_name);
  return text;
}

static char *
curl_version_text (void)
{
  g_autoptr(GError) error = NULL;

  if (!cradle_curl_load (&error))
    return g_strdup_printf ("not loaded: %s", error->message);
  return g_strdup (sym_curl_version ());
}

static void
add_versions (Gathering *gathering)
{
  CradleReportFile *file = _cradle_report_file_new (gathering->files, "versions.txt",
                                                    "the versions of Cradle, its libraries and the OS");
  const struct libusb_version *usb = libusb_get_version ();
  g_autofree char *ldap = ldap_version ();
  g_autofree char *curl = curl_version_text ();
  g_autofree char *archive = _cradle_support_report_archive_version ();
  g_autoptr(GBytes) os_release = NULL;
  struct utsname names;
  gboolean cut;
  GString *out = file->text;

  g_string_append_printf (out, "Cradle      %s\n", CRADLE_VERSION);
  g_string_append_printf (out, "GLib        %u.%u.%u (built with %d.%d.%d)\n", glib_major_version, glib_minor_version,
                          glib_micro_version, GLIB_MAJOR_VERSION, GLIB_MINOR_VERSION, GLIB_MICRO_VERSION);
  g_string_append_printf (out, "OpenSSL     %s (built with %s)\n", OpenSSL_version (OPENSSL_VERSION),
                          OPENSSL_VERSION_TEXT);
  g_string_append (out, "libcurl     ");
  append_escaped (out, curl);
  g_string_append (out, "\nlibldap     ");
  append_escaped (out, ldap);
  g_string_append_printf (out, "\nSQLite      %s\n", sqlite3_libversion ());
  g_string_append_printf (out, "libusb      %u.%u.%u.%u%s\n", usb->major, usb->minor, usb->micro, usb->nano,
                          usb->rc != NULL ? usb->rc : "");
  g_string_append_printf (out, "libcbor     built with %d.%d.%d\n", CBOR_MAJOR_VERSION, CBOR_MINOR_VERSION,
                          CBOR_PATCH_VERSION);
  g_string_append_printf (out, "json-glib   built with %s\n", JSON_VERSION_S);
  g_string_append (out, "libarchive  ");
  append_escaped (out, archive);
  g_string_append_c (out, '\n');
  if (uname (&names) == 0)
    {
      g_string_append (out, "uname       ");
      append_escaped (out, names.sysname);
      g_string_append_c (out, ' ');
      append_escaped (out, names.release);
      g_string_append_c (out, ' ');
      append_escaped (out, names.version);
      g_string_append_c (out, ' ');
      append_escaped (out, names.machine);
      g_string_append_c (out, '\n');
    }
  g_string_append (out, "\n/etc/os-release:\n");
  /* /etc/os-release is usually a link to /usr/lib/os-release, which is
   * read when it cannot be followed. */
  os_release = _cradle_support_report_read_file ("/etc/os-release", 8192, &cut);
  if (os_release == NULL)
    os_release = _cradle_support_report_read_file ("/usr/lib/os-release", 8192, &cut);
  if (os_release == NULL)
    g_string_append (out, "  (could not be read)\n");
  else
    {
      g_autofree char *text = cradle_text_escape (g_bytes_get_data (os_release, NULL),
                                                  (gssize) g_bytes_get_size (os_release),
                                                  CRADLE_TEXT_ESCAPE_KEEP_LINES);
      g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

      for (guint i = 0; lines[i] != NULL; i++)
        if (lines[i][0] != '\0')
          g_string_append_printf (out, "  %s\n", lines[i]);
    }
}

/* ---- settings.txt and the configuration ------------------------------------ */

static void
add_setting (GString       *out,
             const char    *label,
             CradleSetting  setting)
{
  g_autofree char *value = cradle_settings_dup (setting, NULL);
  g_autofree char *origin = cradle_settings_dup_origin (setting, NULL);

  g_string_append_printf (out, "%-10s ", label);
  if (value == NULL)
    g_string_append (out, "(not set)\n");
  else
    {
      append_escaped (out, value);
      g_string_append (out, "  (from ");
      append_escaped (out, origin);
      g_string_append (out, ")\n");
    }
}

static void
add_settings (Gathering *gathering)
{
  CradleReportFile *file = _cradle_report_file_new (gathering->files, "settings.txt",
                                                    "the domain settings in use and where each came from; "
                                                    "Cradle's folders");
  static const char * const variables[] = {
    "CRADLE_DOMAIN", "CRADLE_DC", "CRADLE_USER", "CRADLE_CCACHE", "CRADLE_CONFIG_DIR",
    "CRADLE_SYSTEM_CONFIG_DIR", "CRADLE_STATE_DIR", "CRADLE_CACHE_DIR", "CRADLE_RUNTIME_DIR", "KRB5_CONFIG",
    "KRB5CCNAME", "G_MESSAGES_DEBUG",
  };
  g_autofree char *domain = NULL;
  g_autofree char *dc = NULL;
  g_autofree char *user = cradle_settings_dup (CRADLE_SETTING_USER, NULL);
  g_autofree char *config_dir = cradle_paths_dup_config_dir ();
  g_autofree char *system_dir = cradle_paths_dup_system_config_dir ();
  g_autofree char *state_dir = cradle_paths_dup_state_dir ();
  g_autofree char *cache_dir = cradle_paths_dup_cache_dir ();
  GString *out = file->text;

  g_string_append (out, "computer   ");
  append_escaped (out, g_get_host_name ());
  g_string_append_c (out, '\n');
  add_setting (out, "domain", CRADLE_SETTING_DOMAIN);
  add_setting (out, "dc", CRADLE_SETTING_DC);
  add_setting (out, "user", CRADLE_SETTING_USER);
  /* Where the ticket cache is, never what it holds. */
  add_setting (out, "ccache", CRADLE_SETTING_CCACHE);
  g_string_append (out, "\nFolders:\n  configuration  ");
  append_escaped (out, config_dir);
  g_string_append (out, "\n  system         ");
  append_escaped (out, system_dir);
  g_string_append (out, "\n  state          ");
  append_escaped (out, state_dir);
  g_string_append (out, "\n  cache          ");
  append_escaped (out, cache_dir);
  g_string_append (out, "\n\nEnvironment (these variables only):\n");
  for (guint i = 0; i < G_N_ELEMENTS (variables); i++)
    {
      const char *value = g_getenv (variables[i]);

      g_string_append_printf (out, "  %-24s ", variables[i]);
      if (value != NULL)
        append_escaped (out, value);
      else
        g_string_append (out, "(not set)");
      g_string_append_c (out, '\n');
    }

  cradle_settings_dup_directory (NULL, NULL, &domain, &dc);
  add_name (gathering->domains, domain);
  if (dc != NULL)
    {
      char *host = host_of_uri (dc);

      if (host != NULL)
        g_ptr_array_add (gathering->hosts, host);
    }
  add_name (gathering->users, user);
  add_name (gathering->users, g_get_user_name ());
  /* The ticket cache's client, by name only: nothing else of it is read. */
  {
    g_autofree char *ccache = cradle_settings_dup (CRADLE_SETTING_CCACHE, NULL);
    g_autofree char *principal = NULL;
    g_autofree char *realm = NULL;

    if (cradle_krb5_check_ccache (ccache, &principal, &realm, NULL))
      {
        char *at = principal != NULL ? strrchr (principal, '@') : NULL;

        if (at != NULL)
          *at = '\0';
        add_name (gathering->users, principal);
        add_name (gathering->domains, realm);
      }
  }
  add_name (gathering->hosts, g_get_host_name ());
}

/* A name from a folder as a name in the archive: letters, digits, '.',
 * '-' and '_' only, at most 100 bytes. */
static char *
archive_name_of (const char *name)
{
  GString *safe = g_string_new (NULL);

  for (const char *p = name; *p != '\0' && safe->len < 100; p++)
    g_string_append_c (safe, g_ascii_isalnum (*p) || *p == '.' || *p == '-' || *p == '_' ? *p : '_');
  if (safe->str[0] == '.')
    safe->str[0] = '_';
  return g_string_free (safe, FALSE);
}

static gint
by_name (gconstpointer a,
         gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static void
add_config_folder (Gathering  *gathering,
                   const char *dir,
                   const char *scope)
{
  g_autofree char *conf_path = g_build_filename (dir, "cradle.conf", NULL);
  g_autofree char *conf_name = g_strdup_printf ("config/%s/cradle.conf", scope);
  g_autofree char *conf_description = g_strdup_printf ("the %s cradle.conf (%s), secrets removed",
                                                       g_str_equal (scope, "user") ? "user's" : "system's",
                                                       conf_path);
  g_autofree char *types_dir = g_build_filename (dir, "types.d", NULL);
  g_autoptr(GDir) folder = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  CradleReportFile *file;
  const char *entry;
  guint seen = 0;

  file = _cradle_report_file_new (gathering->files, conf_name, conf_description);
  _cradle_support_report_add_conf (file->text, conf_path, gathering->secrets);

  folder = g_dir_open (types_dir, 0, NULL);
  if (folder == NULL)
    return;
  while ((entry = g_dir_read_name (folder)) != NULL && seen++ < MAX_TYPE_FILES)
    g_ptr_array_add (names, g_strdup (entry));
  g_ptr_array_sort (names, by_name);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      g_autofree char *path = g_build_filename (types_dir, name, NULL);

      /* A challenge's file is never copied; its text is removed from
       * wherever it appears. */
      if (g_str_has_suffix (name, ".challenge"))
        _cradle_support_report_note_secret_file (path, gathering->secrets);
    }
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      g_autofree char *path = g_build_filename (types_dir, name, NULL);
      g_autofree char *safe = NULL;
      g_autofree char *archive_name = NULL;
      g_autofree char *description = NULL;
      g_autoptr(GKeyFile) keys = g_key_file_new ();

      if (!g_str_has_suffix (name, ".conf"))
        continue;
      safe = archive_name_of (name);
      archive_name = g_strdup_printf ("config/%s/types.d/%s", scope, safe);
      description = g_strdup_printf ("a certificate type of the %s, secrets removed",
                                     g_str_equal (scope, "user") ? "user" : "system");
      file = _cradle_report_file_new (gathering->files, archive_name, description);
      _cradle_support_report_add_conf (file->text, path, gathering->secrets);
      /* Its server's host is a name to replace. */
      if (g_key_file_load_from_data (keys, file->text->str, file->text->len, G_KEY_FILE_NONE, NULL))
        {
          g_autofree char *url = g_key_file_get_string (keys, "Enrollment", "URL", NULL);
          g_autofree char *policy = g_key_file_get_string (keys, "Enrollment", "PolicyURL", NULL);
          char *host;

          if ((host = host_of_uri (url)) != NULL)
            g_ptr_array_add (gathering->hosts, host);
          if ((host = host_of_uri (policy)) != NULL)
            g_ptr_array_add (gathering->hosts, host);
        }
    }
}

static void
add_configuration (Gathering *gathering)
{
  g_autofree char *config_dir = cradle_paths_dup_config_dir ();
  g_autofree char *system_dir = cradle_paths_dup_system_config_dir ();

  add_config_folder (gathering, config_dir, "user");
  add_config_folder (gathering, system_dir, "system");
}

/* ---- the journal ---------------------------------------------------------- */

static void
add_json_string (JsonBuilder *builder,
                 const char  *name,
                 const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static char *
format_time (gint64 usec)
{
  g_autoptr(GDateTime) seconds = usec > 0 ? g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC) : NULL;
  g_autoptr(GDateTime) time = seconds != NULL ? g_date_time_add (seconds, usec % G_USEC_PER_SEC) : NULL;

  return time != NULL ? g_date_time_format_iso8601 (time) : g_strdup ("-");
}

static void
add_run (JsonBuilder      *builder,
         GString          *text,
         CradleJournalRun *run)
{
  GPtrArray *steps = cradle_journal_run_get_steps (run);
  g_autofree char *started = format_time (cradle_journal_run_get_started (run));
  g_autofree char *finished = format_time (cradle_journal_run_get_finished (run));

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "run");
  json_builder_add_int_value (builder, cradle_journal_run_get_id (run));
  add_json_string (builder, "kind", cradle_journal_run_get_kind (run));
  json_builder_set_member_name (builder, "request");
  json_builder_add_int_value (builder, cradle_journal_run_get_request_id (run));
  add_json_string (builder, "type", cradle_journal_run_get_type_name (run));
  add_json_string (builder, "protocol", cradle_journal_run_get_protocol (run));
  add_json_string (builder, "device", cradle_journal_run_get_device_serial (run));
  add_json_string (builder, "started", started);
  add_json_string (builder, "finished", finished);
  add_json_string (builder, "outcome", cradle_journal_run_get_outcome (run));
  add_json_string (builder, "error", cradle_journal_run_get_error (run));
  add_json_string (builder, "error_name", cradle_journal_run_get_error_name (run));

  g_string_append_printf (text, "Run %" G_GINT64_FORMAT "  %s  %s ", cradle_journal_run_get_id (run), started,
                          cradle_journal_run_get_kind (run));
  append_escaped (text, cradle_journal_run_get_type_name (run) ?: "?");
  g_string_append (text, " (");
  append_escaped (text, cradle_journal_run_get_protocol (run) ?: "?");
  g_string_append (text, ") on ");
  append_escaped (text, cradle_journal_run_get_device_serial (run) ?: "?");
  g_string_append_printf (text, ", request %" G_GINT64_FORMAT ": %s, finished %s\n",
                          cradle_journal_run_get_request_id (run), cradle_journal_run_get_outcome (run), finished);
  if (cradle_journal_run_get_error (run) != NULL)
    {
      g_string_append (text, "    ");
      append_escaped (text, cradle_journal_run_get_error (run));
      g_string_append_printf (text, " [%s]\n", cradle_journal_run_get_error_name (run) ?: "-");
    }

  json_builder_set_member_name (builder, "steps");
  json_builder_begin_array (builder);
  for (guint i = 0; i < steps->len; i++)
    {
      CradleJournalStep *step = g_ptr_array_index (steps, i);
      g_autofree char *step_started = format_time (cradle_journal_step_get_started (step));

      json_builder_begin_object (builder);
      add_json_string (builder, "step", cradle_journal_step_get_step (step));
      add_json_string (builder, "text", cradle_journal_step_get_text (step));
      add_json_string (builder, "started", step_started);
      json_builder_set_member_name (builder, "duration_ms");
      json_builder_add_int_value (builder, cradle_journal_step_get_duration_ms (step));
      add_json_string (builder, "outcome", cradle_journal_step_get_outcome (step));
      add_json_string (builder, "error", cradle_journal_step_get_error (step));
      add_json_string (builder, "error_name", cradle_journal_step_get_error_name (step));
      json_builder_end_object (builder);

      g_string_append_printf (text, "    %s  %-12s %-9s %6" G_GINT64_FORMAT " ms  ", step_started,
                              cradle_journal_step_get_step (step), cradle_journal_step_get_outcome (step),
                              cradle_journal_step_get_duration_ms (step));
      append_escaped (text, cradle_journal_step_get_text (step));
      g_string_append_c (text, '\n');
      if (cradle_journal_step_get_error (step) != NULL)
        {
          g_string_append (text, "        ");
          append_escaped (text, cradle_journal_step_get_error (step));
          g_string_append_printf (text, " [%s]\n", cradle_journal_step_get_error_name (step) ?: "-");
        }
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

static gboolean
add_journal (CradleSupportReport *self,
             Gathering           *gathering,
             GError             **error)
{
  g_autofree char *state_dir = cradle_paths_dup_state_dir ();
  g_autofree char *path = g_build_filename (state_dir, "requests.sqlite", NULL);
  g_autofree char *description = NULL;
  g_autoptr(CradleJournal) journal = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;
  g_autoptr(GError) local_error = NULL;
  CradleReportFile *text_file;
  CradleReportFile *json_file;

  if (self->run_id > 0)
    description = g_strdup_printf ("run %" G_GINT64_FORMAT " of the journal, step by step, with its errors",
                                   self->run_id);
  else if (self->run_id < 0)
    description = g_strdup ("the last run of the journal, step by step, with its errors");
  else
    description = g_strdup_printf ("the journal's last %d runs, step by step, with their errors", RECENT_RUNS);
  text_file = _cradle_report_file_new (gathering->files, "journal.txt", description);
  json_file = _cradle_report_file_new (gathering->files, "journal.json", "the same runs as JSON (as `cradlectl log --json`)");

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_string_append (text_file->text, "No run was recorded: the journal has not been written yet.\n");
      g_string_append (json_file->text, "[]\n");
      if (self->run_id > 0)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                       "There is no run %" G_GINT64_FORMAT ": no run was recorded yet.", self->run_id);
          return FALSE;
        }
      return TRUE;
    }
  journal = cradle_journal_open (path, &local_error);
  if (journal != NULL && self->run_id > 0)
    {
      CradleJournalRun *run = cradle_journal_get_run (journal, self->run_id, &local_error);

      if (run == NULL && g_error_matches (local_error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND))
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                       "There is no run %" G_GINT64_FORMAT " in the journal. `cradlectl log` lists the runs.",
                       self->run_id);
          return FALSE;
        }
      if (run != NULL)
        {
          runs = g_ptr_array_new_with_free_func (g_object_unref);
          g_ptr_array_add (runs, run);
        }
    }
  else if (journal != NULL)
    runs = cradle_journal_list_runs (journal, 0, self->run_id < 0 ? 1 : RECENT_RUNS, &local_error);
  if (runs == NULL)
    {
      g_string_append (text_file->text, "The journal could not be read: ");
      append_escaped (text_file->text, local_error->message);
      g_string_append_c (text_file->text, '\n');
      g_string_append (json_file->text, "[]\n");
      return TRUE;
    }
  if (runs->len == 0)
    g_string_append (text_file->text, "No run was recorded.\n");
  json_builder_begin_array (builder);
  for (guint i = 0; i < runs->len; i++)
    {
      CradleJournalRun *run = g_ptr_array_index (runs, i);

      add_run (builder, text_file->text, run);
    }
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  json = json_generator_to_data (generator, NULL);
  {
    g_autofree char *safe = cradle_text_escape (json, -1, CRADLE_TEXT_ESCAPE_JSON);

    g_string_append (json_file->text, safe);
    g_string_append_c (json_file->text, '\n');
  }
  /* One run asked for: the diagnosis checks its type and device. */
  if (self->run_id != 0 && runs->len == 1)
    {
      CradleJournalRun *run = g_ptr_array_index (runs, 0);

      gathering->run_type = g_strdup (cradle_journal_run_get_type_name (run));
      gathering->run_device = g_strdup (cradle_journal_run_get_device_serial (run));
    }
  return TRUE;
}

/* ---- the diagnosis and the device ------------------------------------------ */

static void
render_check (GString     *out,
              CradleCheck *check)
{
  const GError *check_error = cradle_check_get_error (check);
  g_auto(GStrv) found = g_strsplit (cradle_check_get_found (check), "\n", -1);

  g_string_append_printf (out, "  %-8s %s (%s), %.1f ms\n",
                          cradle_check_verdict_to_string (cradle_check_get_verdict (check)),
                          cradle_check_get_title (check), cradle_check_get_name (check),
                          (double) cradle_check_get_duration_us (check) / 1000.0);
  for (guint i = 0; found[i] != NULL; i++)
    if (found[i][0] != '\0')
      {
        g_string_append (out, "           ");
        append_escaped (out, found[i]);
        g_string_append_c (out, '\n');
      }
  if (check_error != NULL)
    {
      const CradleExplanation *explanation = cradle_explain_error (check_error);

      g_string_append (out, "           error: ");
      append_escaped (out, check_error->message);
      g_string_append_c (out, '\n');
      if (explanation != NULL)
        {
          g_string_append_printf (out, "           [%s] ", cradle_explanation_get_name (explanation));
          append_escaped (out, cradle_explanation_get_summary (explanation));
          g_string_append (out, "\n           next step: ");
          append_escaped (out, cradle_explanation_get_user_action (explanation));
          g_string_append (out, "\n           for support: ");
          append_escaped (out, cradle_explanation_get_support_action (explanation));
          g_string_append_c (out, '\n');
        }
    }
}

static gboolean
add_diagnosis (CradleSupportReport *self,
               Gathering           *gathering,
               GCancellable        *cancellable,
               GError             **error)
{
  g_autoptr(CradleDiagnosis) diagnosis = NULL;
  g_autofree char *json = NULL;
  CradleReportFile *json_file;
  CradleReportFile *text_file;
  CradleReportFile *device_file;
  GPtrArray *checks;
  guint device_checks = 0;

  if (self->diagnosis != NULL)
    diagnosis = g_object_ref (self->diagnosis);
  else
    {
      diagnosis = cradle_diagnosis_new ();
      cradle_diagnosis_set_type_name (diagnosis, self->type_name != NULL ? self->type_name : gathering->run_type);
      cradle_diagnosis_set_device_id (diagnosis,
                                      self->device_id != NULL ? self->device_id : gathering->run_device);
      /* Failed checks are results; only a cancel stops the report. */
      if (!cradle_diagnosis_run (diagnosis, cancellable, error))
        return FALSE;
    }
  json = cradle_diagnosis_to_json (diagnosis);
  json_file = _cradle_report_file_new (gathering->files, "diagnosis.json",
                                       self->diagnosis != NULL ? "the diagnosis of every hop, as it was shown (as `cradlectl diagnose --json`)"
                                                               : "a fresh diagnosis of every hop (as `cradlectl diagnose --json`)");
  g_string_append (json_file->text, json);
  g_string_append_c (json_file->text, '\n');
  text_file = _cradle_report_file_new (gathering->files, "diagnosis.txt",
                                       "the same diagnosis for people: each hop, each check, its explanation");
  device_file = _cradle_report_file_new (gathering->files, "device.txt",
                                         "the device's info, from the diagnosis' device checks");

  g_string_append_printf (text_file->text, "Diagnosis: %s, %.1f ms; type ",
                          cradle_check_verdict_to_string (cradle_diagnosis_get_verdict (diagnosis)),
                          (double) cradle_diagnosis_get_duration_us (diagnosis) / 1000.0);
  append_escaped (text_file->text, cradle_diagnosis_get_type_name (diagnosis) ?: "(none)");
  g_string_append (text_file->text, ", device ");
  append_escaped (text_file->text, cradle_diagnosis_get_device_id (diagnosis) ?: "(the first that answers)");
  g_string_append_c (text_file->text, '\n');
  checks = cradle_diagnosis_get_checks (diagnosis);
  for (guint hop = 0; hop < CRADLE_N_HOPS; hop++)
    {
      g_string_append_printf (text_file->text, "\n%s: %s\n", cradle_hop_get_title (hop),
                              cradle_check_verdict_to_string (cradle_diagnosis_get_hop_verdict (diagnosis, hop)));
      for (guint i = 0; i < checks->len; i++)
        {
          CradleCheck *check = g_ptr_array_index (checks, i);

          if (cradle_check_get_hop (check) != hop)
            continue;
          render_check (text_file->text, check);
          if (hop == CRADLE_HOP_DEVICE)
            {
              render_check (device_file->text, check);
              device_checks++;
            }
        }
    }
  if (device_checks == 0)
    g_string_append (device_file->text, "The diagnosis has no device checks.\n");
  return TRUE;
}

/* ---- log.txt -------------------------------------------------------------- */

static void
add_log_file (GString    *out,
              const char *path)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *text = NULL;
  gboolean cut;

  bytes = _cradle_support_report_read_file (path, MAX_LOG_BYTES / 2, &cut);
  if (bytes == NULL)
    return;
  /* Lines are escaped when written; again here, as the file is outside. */
  text = cradle_text_escape (g_bytes_get_data (bytes, NULL), (gssize) g_bytes_get_size (bytes),
                             CRADLE_TEXT_ESCAPE_KEEP_LINES);
  g_string_append (out, text);
  if (out->len > 0 && out->str[out->len - 1] != '\n')
    g_string_append_c (out, '\n');
}

static void
add_log (Gathering *gathering)
{
  g_autofree char *path = cradle_log_dup_path ();
  g_autofree char *older = g_strconcat (path, ".1", NULL);
  g_autofree char *description = g_strdup_printf ("Cradle's recent log lines, oldest first (%s and %s.1)", path, path);
  CradleReportFile *file = _cradle_report_file_new (gathering->files, "log.txt", description);

  add_log_file (file->text, older);
  add_log_file (file->text, path);
  if (file->text->len == 0)
    g_string_append (file->text, "No log line was kept yet.\n");
}

/* ---- README.txt and the whole ---------------------------------------------- */

static CradleReportFile *
make_readme (CradleSupportReport *self,
             GPtrArray           *files)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format_iso8601 (now);
  CradleReportFile *readme = g_new0 (CradleReportFile, 1);
  gsize width = strlen ("README.txt");

  readme->name = g_strdup ("README.txt");
  readme->description = g_strdup ("this list: what each file holds");
  readme->text = g_string_new (NULL);
  for (guint i = 0; i < files->len; i++)
    width = MAX (width, strlen (((CradleReportFile *) g_ptr_array_index (files, i))->name));
  g_string_append_printf (readme->text,
                          "Cradle support report\n"
                          "Made %s by Cradle %s, for support staff.\n\n"
                          "Files:\n",
                          stamp, CRADLE_VERSION);
  g_string_append_printf (readme->text, "  %-*s  %s\n", (int) width, readme->name, readme->description);
  for (guint i = 0; i < files->len; i++)
    {
      CradleReportFile *file = g_ptr_array_index (files, i);

      g_string_append_printf (readme->text, "  %-*s  %s\n", (int) width, file->name, file->description);
    }
  g_string_append (readme->text,
                   "\nNothing secret is in this report: no password, SCEP challenge, PIN, Kerberos\n"
                   "ticket or private key.  Keys that may hold a secret are kept with their value\n"
                   "replaced by \"(removed)\"; challenge files and ticket caches are never read into it.\n");
  if (self->flags & CRADLE_SUPPORT_REPORT_REDACT_NAMES)
    g_string_append (readme->text, "User and host names were replaced (redacted-names.txt says how).\n");
  else
    g_string_append (readme->text, "User and host names are as they are (`cradlectl report --redact-names`\n"
                                   "replaces them).\n");
  return readme;
}

static gboolean
write_report (CradleSupportReport *self,
              const char          *path,
              GCancellable        *cancellable,
              GError             **error)
{
  g_auto(Gathering) gathering = { 0 };
  g_autoptr(GStrvBuilder) contents = g_strv_builder_new ();

  gathering.files = g_ptr_array_new_with_free_func (_cradle_report_file_free);
  gathering.secrets = g_ptr_array_new_with_free_func (g_free);
  gathering.users = g_ptr_array_new_with_free_func (g_free);
  gathering.domains = g_ptr_array_new_with_free_func (g_free);
  gathering.hosts = g_ptr_array_new_with_free_func (g_free);

  add_versions (&gathering);
  add_settings (&gathering);
  add_configuration (&gathering);
  if (!add_journal (self, &gathering, error))
    return FALSE;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (!add_diagnosis (self, &gathering, cancellable, error))
    return FALSE;
  add_log (&gathering);

  _cradle_support_report_remove_secrets (gathering.files, gathering.secrets);
  if (self->flags & CRADLE_SUPPORT_REPORT_REDACT_NAMES)
    _cradle_support_report_redact_names (gathering.files, gathering.users, gathering.domains, gathering.hosts);
  g_ptr_array_insert (gathering.files, 0, make_readme (self, gathering.files));

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (!_cradle_support_report_write_archive (path, gathering.files, error))
    return FALSE;
  for (guint i = 0; i < gathering.files->len; i++)
    {
      CradleReportFile *file = g_ptr_array_index (gathering.files, i);
      g_autofree char *line = g_strdup_printf ("%s\t%s", file->name, file->description);

      g_strv_builder_add (contents, line);
    }
  g_strfreev (self->contents);
  self->contents = g_strv_builder_end (contents);
  return TRUE;
}

gboolean
cradle_support_report_write (CradleSupportReport *self,
                             const char          *path,
                             GCancellable        *cancellable,
                             GError             **error)
{
  g_return_val_if_fail (CRADLE_IS_SUPPORT_REPORT (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  return write_report (self, path, cancellable, error);
}

static void
write_in_thread (GTask        *task,
                 gpointer      source_object,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  GError *error = NULL;

  if (write_report (source_object, task_data, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
cradle_support_report_write_async (CradleSupportReport *self,
                                   const char          *path,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CRADLE_IS_SUPPORT_REPORT (self));
  g_return_if_fail (path != NULL);
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cradle_support_report_write_async);
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_run_in_thread (task, write_in_thread);
}

gboolean
cradle_support_report_write_finish (CradleSupportReport *self,
                                    GAsyncResult        *result,
                                    GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
