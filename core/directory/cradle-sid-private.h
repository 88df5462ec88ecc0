/* cradle-sid-private.h: Windows security identifiers, binary and text */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* MS-DTYP 2.4.2.2: revision, count, 6-byte authority, up to 15 sub-authorities. */
#define CRADLE_SID_MAX_SUB_AUTHORITIES 15
#define CRADLE_SID_MIN_SIZE 8
#define CRADLE_SID_MAX_SIZE (CRADLE_SID_MIN_SIZE + 4 * CRADLE_SID_MAX_SUB_AUTHORITIES)

char   *cradle_sid_read        (const guint8  *data,
                                gsize          available,
                                gsize         *consumed,
                                GError       **error) G_GNUC_WARN_UNUSED_RESULT;
char   *cradle_sid_to_string   (const guint8  *data,
                                gsize          size,
                                GError       **error) G_GNUC_WARN_UNUSED_RESULT;
GBytes *cradle_sid_from_string (const char    *text,
                                GError       **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
