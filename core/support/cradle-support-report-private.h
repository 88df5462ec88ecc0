/* cradle-support-report-private.h: what the files of the report share
 *
 *   cradle-support-report.c          the object; gathers the files
 *   cradle-support-report-conf.c     configuration and type files, secrets removed
 *   cradle-support-report-redact.c   user and host names replaced
 *   cradle-support-report-archive.c  the .tar.gz, whole or not at all
 */
#pragma once

#include <gio/gio.h>

#include <cradle/cradle-support-report.h>

G_BEGIN_DECLS

/* One file of the archive, its text built in memory. */
typedef struct {
  char    *name;         /* relative to the archive's top folder */
  char    *description;  /* one line, for README.txt */
  GString *text;
} CradleReportFile;

CradleReportFile *_cradle_report_file_new  (GPtrArray  *files,
                                            const char *name,
                                            const char *description);
void              _cradle_report_file_free (gpointer    data);

/* The most read of any one file from outside; what is past it is left
 * out, saying so. */
#define CRADLE_REPORT_MAX_FILE_BYTES (64 * 1024)

/* At most @max bytes of the regular file @path, not through a symbolic
 * link and without blocking on a FIFO; *@cut set when there was more.
 * NULL with errno set, or with errno 0 for a file that is not a regular
 * one. */
GBytes  *_cradle_support_report_read_file      (const char *path,
                                                gsize       max,
                                                gboolean   *cut);
/* Appends @path (a cradle.conf or a type file, hostile: at most
 * CRADLE_REPORT_MAX_FILE_BYTES, not through a symbolic link) to @out,
 * each line escaped, the value of every key that may hold a secret
 * replaced; the values replaced are added to @secrets.  Says so in @out
 * when the file is missing or unreadable. */
void     _cradle_support_report_add_conf       (GString    *out,
                                                const char *path,
                                                GPtrArray  *secrets);
/* The first line of a secret's file (a type's NAME.challenge), added to
 * @secrets so that it is removed wherever it appears; never copied. */
void     _cradle_support_report_note_secret_file (const char *path,
                                                  GPtrArray  *secrets);
/* Every occurrence of each of @secrets (strings) in every file replaced
 * by "(removed)". */
void     _cradle_support_report_remove_secrets (GPtrArray  *files,
                                                GPtrArray  *secrets);

/* Replaces each of @names (strings: user names, the domain, hosts), and
 * every host name under a domain of @domains, in every file, case
 * insensitively and as whole names, by a stand-in (the same name, the
 * same stand-in).  Adds a file saying which kinds were replaced, never
 * the names. */
void     _cradle_support_report_redact_names   (GPtrArray  *files,
                                                GPtrArray  *users,
                                                GPtrArray  *domains,
                                                GPtrArray  *hosts);

/* Writes @files (CradleReportFile) as a .tar.gz at @path under a folder
 * named after it: a temporary file in the same folder, 0600, renamed into
 * place once complete. */
gboolean _cradle_support_report_write_archive  (const char *path,
                                                GPtrArray  *files,
                                                GError    **error) G_GNUC_WARN_UNUSED_RESULT;
/* libarchive's version ("libarchive 3.6.2"), loading it. (transfer full) */
char    *_cradle_support_report_archive_version (void);

G_END_DECLS
