/* cradle-ldap.c: LDAP errors and bounded reads of directory values */
#include "config.h"

#include <cradle/cradle.h>

#include "directory/cradle-ldap-private.h"

static CradleError
error_code_for_ldap (int rc)
{
  switch (rc)
    {
    case LDAP_SERVER_DOWN:
    case LDAP_CONNECT_ERROR:
      return CRADLE_ERROR_UNREACHABLE;
    case LDAP_TIMEOUT:
    case LDAP_TIMELIMIT_EXCEEDED:
      return CRADLE_ERROR_TIMED_OUT;
    case LDAP_INVALID_CREDENTIALS:
    case LDAP_AUTH_UNKNOWN:
    case LDAP_INAPPROPRIATE_AUTH:
    case LDAP_STRONG_AUTH_REQUIRED:
    case LDAP_LOCAL_ERROR:
    case LDAP_AUTH_METHOD_NOT_SUPPORTED:
      return CRADLE_ERROR_AUTH_FAILED;
    case LDAP_INSUFFICIENT_ACCESS:
      return CRADLE_ERROR_PERMISSION_DENIED;
    case LDAP_NO_SUCH_OBJECT:
      return CRADLE_ERROR_NOT_FOUND;
    case LDAP_BUSY:
    case LDAP_UNAVAILABLE:
      return CRADLE_ERROR_BUSY;
    case LDAP_DECODING_ERROR:
    case LDAP_PROTOCOL_ERROR:
      return CRADLE_ERROR_INVALID_DATA;
    default:
      return CRADLE_ERROR_FAILED;
    }
}

static const char *
advice_for (CradleError code)
{
  switch (code)
    {
    case CRADLE_ERROR_UNREACHABLE:
      return "Check the network connection and the domain controller's name.";
    case CRADLE_ERROR_TIMED_OUT:
      return "The domain controller is slow or unreachable; try again, or name another one with --dc.";
    case CRADLE_ERROR_AUTH_FAILED:
      return "Sign in to the domain again (for example with kinit) and retry.";
    case CRADLE_ERROR_PERMISSION_DENIED:
      return "Your account may not read this; ask your administrator.";
    default:
      return "If this persists, give these details to your support contact.";
    }
}

/**
 * cradle_ldap_set_error:
 * @error: return location for a #GError
 * @ld: (nullable): the session, for the server's diagnostic message
 * @rc: the LDAP result code
 * @what: what was being done, as "reading the RootDSE"
 *
 * Converts an LDAP failure into a CRADLE_ERROR that says what failed, the
 * server's words, the LDAP code for support, and what to do.
 */
gboolean
cradle_ldap_limit_incoming (LDAP    *ld,
                            GError **error)
{
  Sockbuf *sockbuf = NULL;
  ber_len_t limit = CRADLE_LDAP_MAX_MESSAGE;

  if (sym_ldap_get_option (ld, LDAP_OPT_SOCKBUF, &sockbuf) != LDAP_OPT_SUCCESS || sockbuf == NULL ||
      sym_ber_sockbuf_ctrl (sockbuf, LBER_SB_OPT_SET_MAX_INCOMING, &limit) != 1)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                           "Could not limit the size of the directory's answers; "
                           "libldap may be of an unexpected version");
      return FALSE;
    }
  return TRUE;
}

void
cradle_ldap_set_error (GError     **error,
                       LDAP        *ld,
                       int          rc,
                       const char  *what)
{
  CradleError code = error_code_for_ldap (rc);
  char *diagnostic = NULL;
  g_autofree char *detail = NULL;
  /* Loaded already when there is a connection; told by its code alone if
   * libldap cannot be opened. */
  gboolean loaded = cradle_libldap_load (NULL);

  if (ld != NULL && loaded)
    sym_ldap_get_option (ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diagnostic);
  if (diagnostic != NULL && *diagnostic != '\0' && g_utf8_validate (diagnostic, -1, NULL))
    detail = g_strdup_printf (" (%s)", diagnostic);
  if (diagnostic != NULL)
    sym_ldap_memfree (diagnostic);

  g_set_error (error, CRADLE_ERROR, code,
               "The directory failed while %s: %s%s [LDAP %d]. %s",
               what, loaded ? sym_ldap_err2string (rc) : "an LDAP error", detail != NULL ? detail : "", rc,
               advice_for (code));
}

gboolean
cradle_ldap_search (LDAP          *ld,
                    const char    *base,
                    int            scope,
                    const char    *filter,
                    const char   **attributes,
                    guint          timeout_seconds,
                    LDAPMessage  **result,
                    GError       **error)
{
  return cradle_ldap_search_with_controls (ld, base, scope, filter, attributes, NULL,
                                           timeout_seconds, result, error);
}

gboolean
cradle_ldap_search_with_controls (LDAP          *ld,
                                  const char    *base,
                                  int            scope,
                                  const char    *filter,
                                  const char   **attributes,
                                  LDAPControl  **server_controls,
                                  guint          timeout_seconds,
                                  LDAPMessage  **result,
                                  GError       **error)
{
  struct timeval timeout = { .tv_sec = timeout_seconds, .tv_usec = 0 };
  g_autoptr(LDAPMessage) msg = NULL;
  g_autofree char *what = NULL;
  int rc;

  rc = sym_ldap_search_ext_s (ld, base, scope, filter, (char **) attributes, 0,
                          server_controls, NULL, &timeout, CRADLE_LDAP_MAX_ENTRIES, &msg);
  if (rc != LDAP_SUCCESS)
    {
      what = g_strdup_printf ("searching %s", base[0] != '\0' ? base : "the RootDSE");
      cradle_ldap_set_error (error, ld, rc, what);
      return FALSE;
    }
  *result = g_steal_pointer (&msg);
  return TRUE;
}

/**
 * cradle_ldap_escape_filter:
 *
 * Returns: (transfer full): @data with every byte escaped as \xx, safe to
 *   put inside an LDAP filter whatever it holds
 */
char *
cradle_ldap_escape_filter (const guint8 *data,
                           gsize         size)
{
  GString *escaped = g_string_sized_new (size * 3 + 1);

  for (gsize i = 0; i < size; i++)
    g_string_append_printf (escaped, "\\%02x", data[i]);
  return g_string_free (escaped, FALSE);
}

static gboolean
take_digits (const char **p,
             const char  *end,
             guint        count,
             gint        *out)
{
  gint value = 0;

  for (guint i = 0; i < count; i++)
    {
      if (*p >= end || !g_ascii_isdigit (**p))
        return FALSE;
      value = value * 10 + (**p - '0');
      (*p)++;
    }
  *out = value;
  return TRUE;
}

/**
 * cradle_ldap_parse_generalized_time:
 * @text: a GeneralizedTime (RFC 4517 3.3.13),
 *   YYYYMMDDHH[MM[SS]][(.|,)fraction](Z|(+|-)HH[MM]), as AD writes
 *   currentTime and whenChanged ("20261206204730.0Z")
 * @unix_us_out: (out): the time, in microseconds since 1970 UTC
 *
 * Reads at most %CRADLE_LDAP_MAX_GENERALIZED_TIME bytes of @text.
 *
 * Returns: %FALSE with %CRADLE_ERROR_INVALID_DATA if @text is not one
 */
gboolean
cradle_ldap_parse_generalized_time (const char  *text,
                                    gint64      *unix_us_out,
                                    GError     **error)
{
  gsize length = text != NULL ? strnlen (text, CRADLE_LDAP_MAX_GENERALIZED_TIME + 1) : 0;
  const char *p = text;
  const char *end = text + length;
  gint year, month, day, hour, minute = 0, second = 0, offset_minutes = 0;
  gint64 fraction_us = 0;
  g_autoptr(GDateTime) time = NULL;

  if (length == 0 || length > CRADLE_LDAP_MAX_GENERALIZED_TIME ||
      !take_digits (&p, end, 4, &year) || !take_digits (&p, end, 2, &month) ||
      !take_digits (&p, end, 2, &day) || !take_digits (&p, end, 2, &hour))
    goto malformed;
  if (p < end && g_ascii_isdigit (*p))
    {
      if (!take_digits (&p, end, 2, &minute))
        goto malformed;
      if (p < end && g_ascii_isdigit (*p) && !take_digits (&p, end, 2, &second))
        goto malformed;
    }
  if (p < end && (*p == '.' || *p == ','))
    {
      gint64 scale = G_USEC_PER_SEC / 10;

      p++;
      if (p >= end || !g_ascii_isdigit (*p))
        goto malformed;
      for (; p < end && g_ascii_isdigit (*p); p++, scale /= 10)
        fraction_us += (*p - '0') * scale;
    }
  if (p < end && *p == 'Z')
    p++;
  else if (p < end && (*p == '+' || *p == '-'))
    {
      gint sign = *p == '-' ? -1 : 1;
      gint offset_hours, offset_rest = 0;

      p++;
      if (!take_digits (&p, end, 2, &offset_hours) ||
          (p < end && !take_digits (&p, end, 2, &offset_rest)) ||
          offset_hours > 23 || offset_rest > 59)
        goto malformed;
      offset_minutes = sign * (offset_hours * 60 + offset_rest);
    }
  else
    goto malformed;
  if (p != end || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
      minute > 59 || second > 60)
    goto malformed;

  time = g_date_time_new_utc (year, month, day, hour, minute, MIN (second, 59));
  if (time == NULL)
    goto malformed;
  *unix_us_out = g_date_time_to_unix (time) * G_USEC_PER_SEC + fraction_us -
                 (gint64) offset_minutes * 60 * G_USEC_PER_SEC;
  return TRUE;

malformed:
  {
    g_autofree char *escaped = cradle_text_escape (text != NULL ? text : "", MIN (length, CRADLE_LDAP_MAX_GENERALIZED_TIME),
                                                   CRADLE_TEXT_ESCAPE_DEFAULT);

    g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                 "'%s' is not an LDAP time (GeneralizedTime, as 20261206204730.0Z).",
                 escaped);
    return FALSE;
  }
}
