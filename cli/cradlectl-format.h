/* cradlectl-format.h: values as the cradlectl commands write them, for
 * people and for scripts */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Adds the member @name: @value, or null when @value is NULL.  Every string
 * member cradlectl writes goes through here, so a missing value always reads
 * null to a script, never "". */
void       cradlectl_add_string            (JsonBuilder *builder,
                                            const char  *name,
                                            const char  *value);

/* @microseconds since 1970 (UTC), or NULL out of range.  GLib 2.74 has no
 * g_date_time_new_from_unix_utc_usec(). */
GDateTime *cradlectl_time_from_usec        (gint64       microseconds);
/* The store counts seconds: as microseconds, 0 (unset) when they would
 * not fit. */
gint64     cradlectl_time_usec_from_seconds (gint64      seconds);

/* A time that is unset when 0 or less: ISO 8601 in UTC for JSON (NULL when
 * unset), or local time in @format for people (@unset when unset). */
char      *cradlectl_time_format_iso8601   (gint64       microseconds);
char      *cradlectl_time_format_local     (gint64       microseconds,
                                            const char  *format,
                                            const char  *unset);

G_END_DECLS
