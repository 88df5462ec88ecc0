/* cradle-json.c: JSON members as libcradle writes them (the journal, a
 * diagnosis, a support report) */
#include "config.h"

#include "base/cradle-json-private.h"

void
cradle_json_add_string (JsonBuilder *builder,
                        const char  *name,
                        const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}
