/* cradlectl-format.c: values as the cradlectl commands write them — times
 * from the store and the journal, and strings that may be missing */
#include "config.h"

#include "cradlectl-format.h"

void
cradlectl_add_string (JsonBuilder *builder,
                      const char  *name,
                      const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

GDateTime *
cradlectl_time_from_usec (gint64 microseconds)
{
  g_autoptr(GDateTime) seconds = g_date_time_new_from_unix_utc (microseconds / G_USEC_PER_SEC);

  if (seconds == NULL)
    return NULL;
  return g_date_time_add (seconds, microseconds % G_USEC_PER_SEC);
}

gint64
cradlectl_time_usec_from_seconds (gint64 seconds)
{
  if (seconds <= 0 || seconds > G_MAXINT64 / G_USEC_PER_SEC)
    return 0;
  return seconds * G_USEC_PER_SEC;
}

char *
cradlectl_time_format_iso8601 (gint64 microseconds)
{
  g_autoptr(GDateTime) time = microseconds > 0 ? cradlectl_time_from_usec (microseconds) : NULL;

  return time != NULL ? g_date_time_format_iso8601 (time) : NULL;
}

char *
cradlectl_time_format_local (gint64      microseconds,
                             const char *format,
                             const char *unset)
{
  g_autoptr(GDateTime) utc = microseconds > 0 ? cradlectl_time_from_usec (microseconds) : NULL;
  g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;

  return local != NULL ? g_date_time_format (local, format) : g_strdup (unset);
}
