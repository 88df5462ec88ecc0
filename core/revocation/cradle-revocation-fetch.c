/* cradle-revocation-fetch.c: an OCSP answer or a CRL from the network
 *
 * HTTP goes through core/ca's one libcurl client (deadline, size ceiling,
 * no redirects, loopback like any host); plain http:// is allowed, as OCSP
 * and CRLs are signed and RFC 5280 expects them there.  An ldap:/// CDP
 * with an empty host, as AD CS writes it, is read through Cradle's own
 * directory session.
 */
#include "config.h"

#include "revocation/cradle-revocation-private.h"
#include "directory/cradle-directory-private.h"

GBytes *
cradle_revocation_fetch_ocsp (CradleHttp    *http,
                              const char    *url,
                              GBytes        *request,
                              GCancellable  *cancellable,
                              GError       **error)
{
  CradleHttpRequest message = {
    .method = "POST",
    .url = url,
    .content_type = "application/ocsp-request",
    .body = request,
  };
  g_autoptr(CradleHttpResponse) response = NULL;

  cradle_http_set_max_response_size (http, CRADLE_OCSP_MAX_RESPONSE);
  response = cradle_http_send (http, &message, cancellable, error);
  if (response == NULL)
    return NULL;
  if (response->status != 200)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE,
                   "the OCSP responder answered HTTP %u", response->status);
      return NULL;
    }
  if (!cradle_http_response_has_type (response, "application/ocsp-response"))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "the OCSP responder answered %s, not application/ocsp-response",
                   response->content_type != NULL ? "another type" : "without a type");
      return NULL;
    }
  return g_bytes_ref (response->body);
}

static char *
dup_unescaped (const char *text,
               gsize       length)
{
  g_autofree char *part = g_strndup (text, length);

  return g_uri_unescape_string (part, NULL);
}

gboolean
cradle_revocation_parse_ldap_url (const char  *url,
                                  char       **dn,
                                  char       **attribute,
                                  char       **filter,
                                  GError     **error)
{
  const char *rest;
  g_auto(GStrv) parts = NULL;
  g_autofree char *the_dn = NULL;
  g_autofree char *the_attribute = NULL;
  g_autofree char *the_filter = NULL;

  if (g_ascii_strncasecmp (url, "ldap://", 7) != 0)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED, "%s is not an ldap:// address", url);
      return FALSE;
    }
  rest = url + 7;
  if (*rest != '/')
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                           "the CDP names a directory server of its own; Cradle reads only ldap:/// "
                           "(its own directory session)");
      return FALSE;
    }
  rest++;
  /* dn ? attributes ? scope ? filter ? extensions (RFC 4516) */
  parts = g_strsplit (rest, "?", 6);
  if (parts[0] == NULL || parts[0][0] == '\0')
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "the ldap:/// CDP names no entry");
      return FALSE;
    }
  the_dn = dup_unescaped (parts[0], strlen (parts[0]));
  if (parts[1] != NULL && parts[1][0] != '\0')
    {
      const char *comma = strchr (parts[1], ',');

      the_attribute = dup_unescaped (parts[1], comma != NULL ? (gsize) (comma - parts[1]) : strlen (parts[1]));
    }
  else
    the_attribute = g_strdup ("certificateRevocationList");
  if (parts[1] != NULL && parts[2] != NULL && parts[2][0] != '\0' && g_ascii_strcasecmp (parts[2], "base") != 0)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "the ldap:/// CDP asks for a %s search; a CRL is read from one entry (base)", parts[2]);
      return FALSE;
    }
  if (parts[1] != NULL && parts[2] != NULL && parts[3] != NULL && parts[3][0] != '\0')
    {
      g_autofree char *raw = dup_unescaped (parts[3], strlen (parts[3]));

      the_filter = raw != NULL && raw[0] == '(' ? g_strdup (raw) : g_strdup_printf ("(%s)", raw);
    }
  else
    the_filter = g_strdup ("(objectClass=*)");
  if (the_dn == NULL || the_attribute == NULL || the_filter == NULL || *the_attribute == '\0' ||
      !g_utf8_validate (the_dn, -1, NULL) || !g_utf8_validate (the_filter, -1, NULL))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "the ldap:/// CDP is malformed");
      return FALSE;
    }
  for (const char *c = the_attribute; *c != '\0'; c++)
    if (!g_ascii_isalnum (*c) && *c != '-' && *c != ';' && *c != '.')
      {
        g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                             "the ldap:/// CDP names a malformed attribute");
        return FALSE;
      }
  /* AD writes the attribute as "certificateRevocationList?base?…"; the
   * ;binary option is added when the value is read. */
  if (g_str_has_suffix (the_attribute, ";binary"))
    the_attribute[strlen (the_attribute) - strlen (";binary")] = '\0';
  *dn = g_steal_pointer (&the_dn);
  *attribute = g_steal_pointer (&the_attribute);
  *filter = g_steal_pointer (&the_filter);
  return TRUE;
}

static GBytes *
fetch_ldap (CradleDirectory  *directory,
            const char       *url,
            GCancellable     *cancellable,
            GError          **error)
{
  g_autofree char *dn = NULL;
  g_autofree char *attribute = NULL;
  g_autofree char *filter = NULL;

  if (!cradle_revocation_parse_ldap_url (url, &dn, &attribute, &filter, error))
    return NULL;
  if (directory == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                           "no directory session to read an ldap:/// CDP through (sign in to the domain)");
      return NULL;
    }
  return cradle_directory_read_binary (directory, dn, attribute, filter, CRADLE_CRL_MAX_SIZE,
                                       cancellable, error);
}

GBytes *
cradle_revocation_fetch_crl (CradleHttp       *http,
                             CradleDirectory  *directory,
                             const char       *url,
                             GCancellable     *cancellable,
                             GError          **error)
{
  CradleHttpRequest message = { .method = "GET", .url = url };
  g_autoptr(CradleHttpResponse) response = NULL;

  if (g_ascii_strncasecmp (url, "ldap:", 5) == 0)
    return fetch_ldap (directory, url, cancellable, error);
  cradle_http_set_max_response_size (http, CRADLE_CRL_MAX_SIZE);
  response = cradle_http_send (http, &message, cancellable, error);
  if (response == NULL)
    return NULL;
  if (response->status != 200)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE, "the CRL server answered HTTP %u", response->status);
      return NULL;
    }
  return g_bytes_ref (response->body);
}
