/* cradle-ces-endpoint.c: strict parsing of msPKI-Enrollment-Servers values */
#include "config.h"

#include <string.h>

#include <cradle/cradle.h>

#include "catalog/cradle-ces-endpoint-private.h"

/* "<priority>\n<authFlags>\n<renewalOnly>\n<URL>" (MS-ADA2 2.612) */
enum {
  FIELD_PRIORITY,
  FIELD_AUTH_FLAGS,
  FIELD_RENEWAL_ONLY,
  FIELD_URI,
  N_FIELDS
};

static const char * const field_names[N_FIELDS] = {
  "priority",
  "authentication flags",
  "renewal-only flag",
  "address",
};

/* What RFC 3986 allows in a URI besides letters and digits. */
#define URI_PUNCTUATION "-._~:/?#[]@!$&'()*+,;=%"

/* How much of a bad field an error message repeats. */
#define SHOWN_FIELD_CHARS 48

static void set_unusable (GError     **error,
                          const char  *format,
                          ...) G_GNUC_PRINTF (2, 3);

static void
set_unusable (GError     **error,
              const char  *format,
              ...)
{
  g_autofree char *detail = NULL;
  va_list args;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
               "The directory lists an enrollment web service that cannot be used (%s). Ask an "
               "administrator to check the CA's msPKI-Enrollment-Servers attribute.",
               detail);
}

/* A field from the directory, quoted, escaped and cut short for an error message. */
static char *
show_field (const char *field)
{
  glong chars = g_utf8_strlen (field, -1);
  gboolean cut = chars > SHOWN_FIELD_CHARS;
  /* g_utf8_substring() must not be asked for more characters than there are. */
  g_autofree char *head = g_utf8_substring (field, 0, cut ? SHOWN_FIELD_CHARS : chars);
  g_autofree char *escaped = g_strescape (head, NULL);

  return g_strdup_printf ("'%s%s'", escaped, cut ? "…" : "");
}

static gboolean
parse_number (const char  *field,
              guint        index,
              guint64      max,
              guint64     *out,
              GError     **error)
{
  g_autofree char *shown = NULL;

  if (*field == '\0')
    {
      set_unusable (error, "its %s field is empty", field_names[index]);
      return FALSE;
    }
  if (g_ascii_string_to_unsigned (field, 10, 0, max, out, NULL))
    return TRUE;

  shown = show_field (field);
  set_unusable (error, "its %s field %s is not a whole number from 0 to %" G_GUINT64_FORMAT,
                field_names[index], shown, max);
  return FALSE;
}

static gboolean
check_uri (const char  *text,
           GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) uri_error = NULL;
  g_autofree char *shown = NULL;
  const char *scheme;
  const char *host;

  if (*text == '\0')
    {
      set_unusable (error, "its %s field is empty", field_names[FIELD_URI]);
      return FALSE;
    }
  shown = show_field (text);
  /* GUri lets spaces and other bytes that cannot go into a request through. */
  for (const char *p = text; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p) && strchr (URI_PUNCTUATION, *p) == NULL)
        {
          set_unusable (error, "its address %s has a character that is not allowed in a URI: "
                        "a space, a control character or one that must be %%-encoded", shown);
          return FALSE;
        }
    }
  uri = g_uri_parse (text, G_URI_FLAGS_NONE, &uri_error);
  if (uri == NULL)
    {
      set_unusable (error, "its address %s is not a valid URI: %s", shown, uri_error->message);
      return FALSE;
    }
  scheme = g_uri_get_scheme (uri);
  if (g_ascii_strcasecmp (scheme, "https") != 0 && g_ascii_strcasecmp (scheme, "http") != 0)
    {
      set_unusable (error, "its address %s is not an https:// or http:// address", shown);
      return FALSE;
    }
  host = g_uri_get_host (uri);
  if (host == NULL || *host == '\0')
    {
      set_unusable (error, "its address %s names no host", shown);
      return FALSE;
    }
  if (g_uri_get_userinfo (uri) != NULL)
    {
      set_unusable (error, "its address %s carries a user name or password", shown);
      return FALSE;
    }
  return TRUE;
}

/**
 * cradle_ces_endpoint_parse:
 * @value: one value of a pKIEnrollmentService's msPKI-Enrollment-Servers,
 *   untrusted, not necessarily NUL-terminated
 * @length: its length in bytes
 * @error: return location for a #GError
 *
 * Parses "<priority>\n<authFlags>\n<renewalOnly>\n<URL>". Lines may end in
 * "\r\n" and carry trailing white space; nothing else is forgiven: the
 * numbers are plain decimal, the flags name known methods only, the
 * renewal-only flag is 0 or 1, and the URL is http:// or https:// with a
 * host, no user name and only the characters RFC 3986 allows.
 *
 * Returns: (transfer full): the service, or %NULL with %CRADLE_ERROR_INVALID_DATA
 */
CradleCesEndpoint *
cradle_ces_endpoint_parse (const char  *value,
                                gsize        length,
                                GError     **error)
{
  g_autoptr(CradleCesEndpoint) server = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  guint n_lines;
  guint64 number = 0;

  g_return_val_if_fail (value != NULL || length == 0, NULL);

  if (length > CRADLE_ENROLLMENT_SERVER_MAX_VALUE)
    {
      set_unusable (error, "its value is %" G_GSIZE_FORMAT " bytes, more than the %d allowed",
                    length, CRADLE_ENROLLMENT_SERVER_MAX_VALUE);
      return NULL;
    }
  if (length > 0 && memchr (value, '\0', length) != NULL)
    {
      set_unusable (error, "its value contains a NUL byte");
      return NULL;
    }
  if (length > 0 && !g_utf8_validate_len (value, length, NULL))
    {
      set_unusable (error, "its value is not valid UTF-8");
      return NULL;
    }

  text = g_strndup (value != NULL ? value : "", length);
  g_strchomp (text);
  if (*text == '\0')
    {
      set_unusable (error, "its value is empty");
      return NULL;
    }

  lines = g_strsplit (text, "\n", N_FIELDS + 1);
  n_lines = g_strv_length (lines);
  if (n_lines < N_FIELDS)
    {
      set_unusable (error, "its %s field is missing: the value has %u of %d lines",
                    field_names[n_lines], n_lines, N_FIELDS);
      return NULL;
    }
  if (n_lines > N_FIELDS)
    {
      set_unusable (error, "its value has more than %d lines", N_FIELDS);
      return NULL;
    }
  /* Drops a '\r' of "\r\n" with any other trailing white space. */
  for (guint i = 0; i < n_lines; i++)
    g_strchomp (lines[i]);

  server = g_new0 (CradleCesEndpoint, 1);

  if (!parse_number (lines[FIELD_PRIORITY], FIELD_PRIORITY,
                     CRADLE_ENROLLMENT_SERVER_MAX_PRIORITY, &number, error))
    return NULL;
  server->priority = (guint) number;

  if (!parse_number (lines[FIELD_AUTH_FLAGS], FIELD_AUTH_FLAGS, G_MAXUINT32, &number, error))
    return NULL;
  if (number == 0)
    {
      set_unusable (error, "its authentication flags are 0, so it accepts no way to sign in");
      return NULL;
    }
  if ((number & ~(guint64) CRADLE_ENDPOINT_AUTH_KNOWN) != 0)
    {
      set_unusable (error, "its authentication flags %" G_GUINT64_FORMAT " name unknown methods; "
                    "only 1 (anonymous), 2 (Kerberos), 4 (password) and 8 (certificate) exist",
                    number);
      return NULL;
    }
  server->auth_flags = (guint) number;

  if (g_strcmp0 (lines[FIELD_RENEWAL_ONLY], "0") == 0)
    server->renewal_only = FALSE;
  else if (g_strcmp0 (lines[FIELD_RENEWAL_ONLY], "1") == 0)
    server->renewal_only = TRUE;
  else
    {
      g_autofree char *shown = show_field (lines[FIELD_RENEWAL_ONLY]);

      set_unusable (error, "its renewal-only flag field %s is neither 0 nor 1", shown);
      return NULL;
    }

  if (!check_uri (lines[FIELD_URI], error))
    return NULL;
  server->uri = g_strdup (lines[FIELD_URI]);

  return g_steal_pointer (&server);
}

void
cradle_ces_endpoint_free (CradleCesEndpoint *server)
{
  if (server == NULL)
    return;
  g_clear_pointer (&server->uri, g_free);
  g_free (server);
}

static gint
compare_priority (gconstpointer a,
                  gconstpointer b)
{
  const CradleCesEndpoint *server_a = *(CradleCesEndpoint * const *) a;
  const CradleCesEndpoint *server_b = *(CradleCesEndpoint * const *) b;

  if (server_a->priority < server_b->priority)
    return -1;
  return server_a->priority > server_b->priority ? 1 : 0;
}

/**
 * cradle_ces_endpoints_sort:
 * @servers: (element-type CradleCesEndpoint): services to try
 *
 * Sorts @servers by ascending priority, the preferred first; services of
 * equal priority keep their order.
 */
void
cradle_ces_endpoints_sort (GPtrArray *servers)
{
  g_return_if_fail (servers != NULL);

  /* g_ptr_array_sort() is stable. */
  g_ptr_array_sort (servers, compare_priority);
}

/**
 * cradle_ces_endpoint_auth_to_string:
 * @flags: #CradleEndpointAuth bits
 *
 * Names the methods in @flags, comma-separated, such as
 * "kerberos,password"; "none" for 0. Unknown bits show as hexadecimal.
 *
 * Returns: (transfer full): the names
 */
char *
cradle_ces_endpoint_auth_to_string (guint flags)
{
  static const struct {
    guint       flag;
    const char *name;
  } names[] = {
    { CRADLE_ENDPOINT_AUTH_KERBEROS, "kerberos" },
    { CRADLE_ENDPOINT_AUTH_PASSWORD, "password" },
    { CRADLE_ENDPOINT_AUTH_CERTIFICATE, "certificate" },
    { CRADLE_ENDPOINT_AUTH_ANONYMOUS, "anonymous" },
  };
  g_autoptr(GString) text = g_string_new (NULL);
  guint unknown = flags & ~(guint) CRADLE_ENDPOINT_AUTH_KNOWN;

  if (flags == 0)
    return g_strdup ("none");

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      if ((flags & names[i].flag) == 0)
        continue;
      if (text->len > 0)
        g_string_append_c (text, ',');
      g_string_append (text, names[i].name);
    }
  if (unknown != 0)
    g_string_append_printf (text, "%s0x%x", text->len > 0 ? "," : "", unknown);

  return g_string_free (g_steal_pointer (&text), FALSE);
}
