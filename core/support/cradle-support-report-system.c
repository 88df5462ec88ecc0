/* cradle-support-report-system.c: a report's versions.txt, settings.txt
 * and configuration: the versions of Cradle, its libraries and the OS; the
 * domain settings and where they came from; cradle.conf and the type files
 * (cradle-support-report-conf.c cleans each) */
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

#include <cradle/cradle-paths.h>
#include <cradle/cradle-settings.h>
#include <cradle/cradle-text.h>

#define MAX_TYPE_FILES 200

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

void
_cradle_support_report_add_versions (CradleReportGathering *gathering)
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
  _cradle_report_append_escaped (out, curl);
  g_string_append (out, "\nlibldap     ");
  _cradle_report_append_escaped (out, ldap);
  g_string_append_printf (out, "\nSQLite      %s\n", sqlite3_libversion ());
  g_string_append_printf (out, "libusb      %u.%u.%u.%u%s\n", usb->major, usb->minor, usb->micro, usb->nano,
                          usb->rc != NULL ? usb->rc : "");
  g_string_append_printf (out, "libcbor     built with %d.%d.%d\n", CBOR_MAJOR_VERSION, CBOR_MINOR_VERSION,
                          CBOR_PATCH_VERSION);
  g_string_append_printf (out, "json-glib   built with %s\n", JSON_VERSION_S);
  g_string_append (out, "libarchive  ");
  _cradle_report_append_escaped (out, archive);
  g_string_append_c (out, '\n');
  if (uname (&names) == 0)
    {
      g_string_append (out, "uname       ");
      _cradle_report_append_escaped (out, names.sysname);
      g_string_append_c (out, ' ');
      _cradle_report_append_escaped (out, names.release);
      g_string_append_c (out, ' ');
      _cradle_report_append_escaped (out, names.version);
      g_string_append_c (out, ' ');
      _cradle_report_append_escaped (out, names.machine);
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
      _cradle_report_append_escaped (out, value);
      g_string_append (out, "  (from ");
      _cradle_report_append_escaped (out, origin);
      g_string_append (out, ")\n");
    }
}

void
_cradle_support_report_add_settings (CradleReportGathering *gathering)
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
  _cradle_report_append_escaped (out, g_get_host_name ());
  g_string_append_c (out, '\n');
  add_setting (out, "domain", CRADLE_SETTING_DOMAIN);
  add_setting (out, "dc", CRADLE_SETTING_DC);
  add_setting (out, "user", CRADLE_SETTING_USER);
  /* Where the ticket cache is, never what it holds. */
  add_setting (out, "ccache", CRADLE_SETTING_CCACHE);
  g_string_append (out, "\nFolders:\n  configuration  ");
  _cradle_report_append_escaped (out, config_dir);
  g_string_append (out, "\n  system         ");
  _cradle_report_append_escaped (out, system_dir);
  g_string_append (out, "\n  state          ");
  _cradle_report_append_escaped (out, state_dir);
  g_string_append (out, "\n  cache          ");
  _cradle_report_append_escaped (out, cache_dir);
  g_string_append (out, "\n\nEnvironment (these variables only):\n");
  for (guint i = 0; i < G_N_ELEMENTS (variables); i++)
    {
      const char *value = g_getenv (variables[i]);

      g_string_append_printf (out, "  %-24s ", variables[i]);
      if (value != NULL)
        _cradle_report_append_escaped (out, value);
      else
        g_string_append (out, "(not set)");
      g_string_append_c (out, '\n');
    }

  cradle_settings_dup_directory (NULL, NULL, &domain, &dc);
  _cradle_report_add_name (gathering->domains, domain);
  if (dc != NULL)
    {
      char *host = _cradle_report_host_of_uri (dc);

      if (host != NULL)
        g_ptr_array_add (gathering->hosts, host);
    }
  _cradle_report_add_name (gathering->users, user);
  _cradle_report_add_name (gathering->users, g_get_user_name ());
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
        _cradle_report_add_name (gathering->users, principal);
        _cradle_report_add_name (gathering->domains, realm);
      }
  }
  _cradle_report_add_name (gathering->hosts, g_get_host_name ());
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
add_config_folder (CradleReportGathering *gathering,
                   const char            *dir,
                   const char            *scope)
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

          if ((host = _cradle_report_host_of_uri (url)) != NULL)
            g_ptr_array_add (gathering->hosts, host);
          if ((host = _cradle_report_host_of_uri (policy)) != NULL)
            g_ptr_array_add (gathering->hosts, host);
        }
    }
}

void
_cradle_support_report_add_configuration (CradleReportGathering *gathering)
{
  g_autofree char *config_dir = cradle_paths_dup_config_dir ();
  g_autofree char *system_dir = cradle_paths_dup_system_config_dir ();

  add_config_folder (gathering, config_dir, "user");
  add_config_folder (gathering, system_dir, "system");
}
