/* cradle-ldap.c: LDAP errors and bounded reads of directory values */
#include "config.h"

#include <cradle/cradle.h>

#include "cradle-ldap-private.h"

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
void
cradle_ldap_set_error (GError     **error,
                       LDAP        *ld,
                       int          rc,
                       const char  *what)
{
  CradleError code = error_code_for_ldap (rc);
  char *diagnostic = NULL;
  g_autofree char *detail = NULL;

  if (ld != NULL)
    ldap_get_option (ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diagnostic);
  if (diagnostic != NULL && *diagnostic != '\0' && g_utf8_validate (diagnostic, -1, NULL))
    detail = g_strdup_printf (" (%s)", diagnostic);
  ldap_memfree (diagnostic);

  g_set_error (error, CRADLE_ERROR, code,
               "The directory failed while %s: %s%s [LDAP %d]. %s",
               what, ldap_err2string (rc), detail != NULL ? detail : "", rc,
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

  rc = ldap_search_ext_s (ld, base, scope, filter, (char **) attributes, 0,
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

static gboolean
check_string_value (const char           *attribute,
                    const struct berval  *value,
                    GError              **error)
{
  if (value->bv_len > CRADLE_LDAP_MAX_STRING_VALUE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The directory attribute %s has a value of %lu bytes, more than the %d allowed",
                   attribute, (unsigned long) value->bv_len, CRADLE_LDAP_MAX_STRING_VALUE);
      return FALSE;
    }
  if (memchr (value->bv_val, '\0', value->bv_len) != NULL ||
      !g_utf8_validate_len (value->bv_val, value->bv_len, NULL))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The directory attribute %s holds a value that is not valid UTF-8 text",
                   attribute);
      return FALSE;
    }
  return TRUE;
}

/**
 * cradle_ldap_entry_dup_string:
 * @out: (out): the first value, or %NULL when the entry lacks @attribute
 *
 * Returns: %FALSE only if the value is malformed
 */
gboolean
cradle_ldap_entry_dup_string (LDAP         *ld,
                              LDAPMessage  *entry,
                              const char   *attribute,
                              char        **out,
                              GError      **error)
{
  g_auto(CradleBervalArray) values = ldap_get_values_len (ld, entry, attribute);

  *out = NULL;
  if (values == NULL || values[0] == NULL)
    return TRUE;
  if (!check_string_value (attribute, values[0], error))
    return FALSE;
  *out = g_strndup (values[0]->bv_val, values[0]->bv_len);
  return TRUE;
}

/**
 * cradle_ldap_entry_dup_strings:
 * @out: (out): every value, an empty vector when the entry lacks @attribute
 *
 * Returns: %FALSE if a value is malformed or there are too many
 */
gboolean
cradle_ldap_entry_dup_strings (LDAP          *ld,
                               LDAPMessage   *entry,
                               const char    *attribute,
                               char        ***out,
                               GError       **error)
{
  g_auto(CradleBervalArray) values = ldap_get_values_len (ld, entry, attribute);
  g_autoptr(GPtrArray) builder = g_ptr_array_new_with_free_func (g_free);
  guint count = 0;

  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    {
      if (++count > CRADLE_LDAP_MAX_VALUES)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "The directory attribute %s has more than %d values",
                       attribute, CRADLE_LDAP_MAX_VALUES);
          return FALSE;
        }
      if (!check_string_value (attribute, values[i], error))
        return FALSE;
      g_ptr_array_add (builder, g_strndup (values[i]->bv_val, values[i]->bv_len));
    }
  g_ptr_array_add (builder, NULL);
  *out = (char **) g_ptr_array_steal (builder, NULL);
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

/**
 * cradle_ldap_entry_dup_binaries:
 * @max_size: the largest value accepted
 * @out: (out) (element-type GBytes): every value, empty when the entry lacks
 *   @attribute
 *
 * Returns: %FALSE if a value is larger than @max_size or there are too many
 */
gboolean
cradle_ldap_entry_dup_binaries (LDAP          *ld,
                                LDAPMessage   *entry,
                                const char    *attribute,
                                gsize          max_size,
                                GPtrArray    **out,
                                GError       **error)
{
  g_auto(CradleBervalArray) values = ldap_get_values_len (ld, entry, attribute);
  g_autoptr(GPtrArray) builder = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    {
      if (i >= CRADLE_LDAP_MAX_VALUES)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "The directory attribute %s has more than %d values",
                       attribute, CRADLE_LDAP_MAX_VALUES);
          return FALSE;
        }
      if (values[i]->bv_len > max_size)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "The directory attribute %s has a value of %lu bytes, more than the %lu allowed",
                       attribute, (unsigned long) values[i]->bv_len, (unsigned long) max_size);
          return FALSE;
        }
      g_ptr_array_add (builder, g_bytes_new (values[i]->bv_val, values[i]->bv_len));
    }
  *out = g_steal_pointer (&builder);
  return TRUE;
}

/**
 * cradle_ldap_entry_dup_binary:
 * @out: (out) (nullable): the first value, %NULL when the entry lacks @attribute
 */
gboolean
cradle_ldap_entry_dup_binary (LDAP          *ld,
                              LDAPMessage   *entry,
                              const char    *attribute,
                              gsize          max_size,
                              GBytes       **out,
                              GError       **error)
{
  g_autoptr(GPtrArray) values = NULL;

  *out = NULL;
  if (!cradle_ldap_entry_dup_binaries (ld, entry, attribute, max_size, &values, error))
    return FALSE;
  if (values->len > 0)
    *out = g_bytes_ref (g_ptr_array_index (values, 0));
  return TRUE;
}

/**
 * cradle_ldap_entry_get_int32:
 * @out: (out): the value's 32 bits; @fallback when the entry lacks @attribute
 *
 * AD's Integer syntax is a signed 32-bit number in decimal: flag words with
 * the top bit set arrive negative. Returns %FALSE if the value is not one.
 */
gboolean
cradle_ldap_entry_get_int32 (LDAP          *ld,
                             LDAPMessage   *entry,
                             const char    *attribute,
                             guint32        fallback,
                             guint32       *out,
                             GError       **error)
{
  g_autofree char *text = NULL;
  gint64 value;

  *out = fallback;
  if (!cradle_ldap_entry_dup_string (ld, entry, attribute, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  /* Unsigned values written by other tools are accepted too. */
  if (!g_ascii_string_to_signed (text, 10, G_MININT32, G_MAXUINT32, &value, NULL))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The directory attribute %s holds \"%.32s\", not a 32-bit number",
                   attribute, text);
      return FALSE;
    }
  *out = (guint32) value;
  return TRUE;
}
