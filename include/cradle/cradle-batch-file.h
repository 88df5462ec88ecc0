/* cradle-batch-file.h: a batch of devices to enroll, one line per device
 *
 * CSV as RFC 4180 writes it, because subjects hold commas:
 *
 *   # the cart of 2026-12-07
 *   serial,type,subject
 *   SN-0001,wifi,"CN=SN-0001,O=Example, Inc."
 *   SN-0002,wifi,
 *
 * Each record is a device's serial, the certificate type (types.d) and the
 * subject (RFC 4514; empty or left out: the type's own).  A line that
 * starts with '#' is a comment; blank lines are skipped; the first record
 * may be the header "serial,type[,subject]".  Lines end with CRLF or LF.
 * A field in double quotes may hold commas and doubled quotes; spaces
 * around a quoted field are ignored; a serial's and a type's own spaces
 * around them are dropped.  Bounded: 1 MiB, 10000 devices, 1024 bytes a
 * field; UTF-8 without control characters; each serial once.  Anything
 * else is a CRADLE_ERROR_INVALID_DATA naming the line.
 */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <glib.h>
#include <cradle/cradle-macros.h>

G_BEGIN_DECLS

#define CRADLE_BATCH_FILE_MAX_SIZE    (1024 * 1024)
#define CRADLE_BATCH_FILE_MAX_DEVICES 10000
#define CRADLE_BATCH_FILE_MAX_FIELD   1024

typedef struct _CradleBatchEntry CradleBatchEntry;

CRADLE_PUBLIC
const char *cradle_batch_entry_get_serial    (const CradleBatchEntry *entry);
CRADLE_PUBLIC
const char *cradle_batch_entry_get_type_name (const CradleBatchEntry *entry);
/* (nullable): none given, the type's own. */
CRADLE_PUBLIC
const char *cradle_batch_entry_get_subject   (const CradleBatchEntry *entry);
/* The line of the file the record starts on (from 1). */
CRADLE_PUBLIC
guint       cradle_batch_entry_get_line      (const CradleBatchEntry *entry);
CRADLE_PUBLIC
void        cradle_batch_entry_free          (CradleBatchEntry       *entry);

/* The records of @data, in order.
 * Returns: (element-type CradleBatchEntry) (transfer full): at least one */
CRADLE_PUBLIC
GPtrArray  *cradle_batch_file_parse          (const char             *data,
                                              gsize                   size,
                                              GError                **error) G_GNUC_WARN_UNUSED_RESULT;
/* The same from the regular file @path, read bounded; errors name it. */
CRADLE_PUBLIC
GPtrArray  *cradle_batch_file_read           (const char             *path,
                                              GError                **error) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleBatchEntry, cradle_batch_entry_free)

G_END_DECLS
