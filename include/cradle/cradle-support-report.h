/* cradle-support-report.h: one archive for a support ticket
 *
 * A report is a .tar.gz with a README.txt saying what it holds: the
 * versions of Cradle, its libraries and the OS; cradle.conf and the type
 * files with secrets removed; the journal of recent runs (or of one run);
 * a fresh diagnosis; the device's info; Cradle's recent log lines.
 * Passwords, SCEP challenges, PINs, Kerberos tickets and private keys
 * never enter it.  With CRADLE_SUPPORT_REPORT_REDACT_NAMES, user and host
 * names are replaced, the same name by the same stand-in throughout.
 */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <gio/gio.h>

#include <cradle/cradle-macros.h>
#include <cradle/cradle-diagnosis.h>

G_BEGIN_DECLS

typedef enum {
  CRADLE_SUPPORT_REPORT_NONE = 0,
  CRADLE_SUPPORT_REPORT_REDACT_NAMES = 1 << 0,
} CradleSupportReportFlags;

#define CRADLE_TYPE_SUPPORT_REPORT (cradle_support_report_get_type ())
CRADLE_PUBLIC
G_DECLARE_FINAL_TYPE (CradleSupportReport, cradle_support_report, CRADLE, SUPPORT_REPORT, GObject)

CRADLE_PUBLIC
CradleSupportReport *cradle_support_report_new           (CradleSupportReportFlags flags);
/* Which runs of the journal: 0 (the default) for the recent ones, -1 for
 * the last run only, else that run's id. */
CRADLE_PUBLIC
void                 cradle_support_report_set_run       (CradleSupportReport *self,
                                                          gint64               run_id);
/* A finished diagnosis to include (nullable: the report runs a fresh one
 * for the run's type and device, or for none). */
CRADLE_PUBLIC
void                 cradle_support_report_set_diagnosis (CradleSupportReport *self,
                                                          CradleDiagnosis     *diagnosis);
/* The type and device the fresh diagnosis checks (nullable: the chosen
 * run's, when one run is asked for; else none and the first device that
 * answers).  Not used with cradle_support_report_set_diagnosis(). */
CRADLE_PUBLIC
void                 cradle_support_report_set_type_name (CradleSupportReport *self,
                                                          const char          *type_name);
CRADLE_PUBLIC
void                 cradle_support_report_set_device_id (CradleSupportReport *self,
                                                          const char          *device_id);
/* Writes the archive to @path: whole or not at all (a temporary file
 * renamed into place), mode 0600. */
CRADLE_PUBLIC
gboolean             cradle_support_report_write         (CradleSupportReport *self,
                                                          const char          *path,
                                                          GCancellable        *cancellable,
                                                          GError             **error) G_GNUC_WARN_UNUSED_RESULT;
CRADLE_PUBLIC
void                 cradle_support_report_write_async   (CradleSupportReport *self,
                                                          const char          *path,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
CRADLE_PUBLIC
gboolean             cradle_support_report_write_finish  (CradleSupportReport *self,
                                                          GAsyncResult        *result,
                                                          GError             **error) G_GNUC_WARN_UNUSED_RESULT;
/* The files the archive holds, once written, each "name\tdescription"
 * (the README's list).  (transfer none) never %NULL. */
CRADLE_PUBLIC
const char * const  *cradle_support_report_get_contents  (CradleSupportReport *self);

G_END_DECLS
