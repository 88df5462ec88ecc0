/* cradle-json-private.h: JSON members as libcradle writes them */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Adds the member @name: @value, or null when @value is NULL, so that a
 * missing value reads null to a script, never "". */
void cradle_json_add_string (JsonBuilder *builder,
                             const char  *name,
                             const char  *value);

G_END_DECLS
