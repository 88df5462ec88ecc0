/* cradle-settings-private.h: reading cradle.conf, for core */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Reads the value of [@group] @key out of @file (at @path) into @value;
 * FALSE (having said why with g_warning()) when it is not a value that
 * can be, so that the next file is read instead. */
typedef gboolean (*CradleConfRead) (GKeyFile   *file,
                                    const char *path,
                                    const char *group,
                                    const char *key,
                                    gpointer    value);

/* [@group] @key of cradle.conf: the user's, else the administrator's
 * (a file whose value @read refuses counts as not saying).  TRUE when
 * one of them said, and @read stored it in @value. */
gboolean cradle_settings_read_conf (const char     *group,
                                    const char     *key,
                                    CradleConfRead  read,
                                    gpointer        value);

/* [@group] @key of cradle.conf as a boolean (the user's, else the
 * administrator's); @fallback when neither says true or false. */
gboolean cradle_settings_get_conf_boolean (const char *group,
                                           const char *key,
                                           gboolean    fallback);

G_END_DECLS
