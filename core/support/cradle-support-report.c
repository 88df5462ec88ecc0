/* cradle-support-report.c: one archive for a support ticket
 *
 * The files are built in memory, each from what Cradle knows or a
 * bounded, escaped read of a file (the versions, settings and
 * configuration in cradle-support-report-system.c, the journal in
 * cradle-support-report-journal.c, the diagnosis, the device and the log
 * here), then the known secrets are removed
 * from all of them (cradle-support-report-conf.c), then, when asked, the
 * names (cradle-support-report-redact.c), then README.txt lists them,
 * and the archive is written whole or not at all
 * (cradle-support-report-archive.c).  Nothing reads a Kerberos ticket
 * cache, a challenge file's text into a file, the device's keys or a
 * password: what never enters cannot leak. */
#include "config.h"

#include "support/cradle-support-report-private.h"

#include <string.h>

#include <cradle/cradle-explain.h>
#include <cradle/cradle-log.h>
#include <cradle/cradle-text.h>

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

static void
gathering_clear (CradleReportGathering *gathering)
{
  g_clear_pointer (&gathering->files, g_ptr_array_unref);
  g_clear_pointer (&gathering->secrets, g_ptr_array_unref);
  g_clear_pointer (&gathering->users, g_ptr_array_unref);
  g_clear_pointer (&gathering->domains, g_ptr_array_unref);
  g_clear_pointer (&gathering->hosts, g_ptr_array_unref);
  g_clear_pointer (&gathering->run_type, g_free);
  g_clear_pointer (&gathering->run_device, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CradleReportGathering, gathering_clear)

void
_cradle_report_add_name (GPtrArray  *names,
                         const char *name)
{
  if (name != NULL && name[0] != '\0')
    g_ptr_array_add (names, g_strdup (name));
}

/* The host of a URI ("ldap://dc1.corp.example.com:389" -> dc1…), or NULL. */
char *
_cradle_report_host_of_uri (const char *uri)
{
  g_autoptr(GUri) parsed = uri != NULL ? g_uri_parse (uri, G_URI_FLAGS_NON_DNS, NULL) : NULL;

  return parsed != NULL && g_uri_get_host (parsed) != NULL ? g_strdup (g_uri_get_host (parsed)) : NULL;
}

void
_cradle_report_append_escaped (GString    *out,
                               const char *text)
{
  g_autofree char *escaped = cradle_text_escape (text != NULL ? text : "", -1, CRADLE_TEXT_ESCAPE_DEFAULT);

  g_string_append (out, escaped);
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
        _cradle_report_append_escaped (out, found[i]);
        g_string_append_c (out, '\n');
      }
  if (check_error != NULL)
    {
      const CradleExplanation *explanation = cradle_explain_error (check_error);

      g_string_append (out, "           error: ");
      _cradle_report_append_escaped (out, check_error->message);
      g_string_append_c (out, '\n');
      if (explanation != NULL)
        {
          g_string_append_printf (out, "           [%s] ", cradle_explanation_get_name (explanation));
          _cradle_report_append_escaped (out, cradle_explanation_get_summary (explanation));
          g_string_append (out, "\n           next step: ");
          _cradle_report_append_escaped (out, cradle_explanation_get_user_action (explanation));
          g_string_append (out, "\n           for support: ");
          _cradle_report_append_escaped (out, cradle_explanation_get_support_action (explanation));
          g_string_append_c (out, '\n');
        }
    }
}

static gboolean
add_diagnosis (CradleSupportReport   *self,
               CradleReportGathering *gathering,
               GCancellable          *cancellable,
               GError               **error)
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
  _cradle_report_append_escaped (text_file->text, cradle_diagnosis_get_type_name (diagnosis) ?: "(none)");
  g_string_append (text_file->text, ", device ");
  _cradle_report_append_escaped (text_file->text, cradle_diagnosis_get_device_id (diagnosis) ?: "(the first that answers)");
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
add_log (CradleReportGathering *gathering)
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
  g_auto(CradleReportGathering) gathering = { 0 };
  g_autoptr(GStrvBuilder) contents = g_strv_builder_new ();

  gathering.files = g_ptr_array_new_with_free_func (_cradle_report_file_free);
  gathering.secrets = g_ptr_array_new_with_free_func (g_free);
  gathering.users = g_ptr_array_new_with_free_func (g_free);
  gathering.domains = g_ptr_array_new_with_free_func (g_free);
  gathering.hosts = g_ptr_array_new_with_free_func (g_free);

  _cradle_support_report_add_versions (&gathering);
  _cradle_support_report_add_settings (&gathering);
  _cradle_support_report_add_configuration (&gathering);
  if (!_cradle_support_report_add_journal (&gathering, self->run_id, error))
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
