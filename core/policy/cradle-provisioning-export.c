/* cradle-provisioning-export.c: types written as a provisioning file
 *
 * Cradle's format holds every field of a type but the challenge file (a
 * path to a secret of this computer).  The Certificate Enroller's holds a
 * certsrv type's name, server, template and TLS choice; what else a type
 * says is left out and listed in the notes, never silently.
 */
#include "config.h"

#include <string.h>

#include "ca/wstep/cradle-xml-private.h"
#include "policy/cradle-cert-type-private.h"
#include "policy/cradle-provisioning-private.h"

static char *
dup_string (CradleTypeDraft *draft,
            const char      *property)
{
  char *value = NULL;

  g_object_get (draft, property, &value, NULL);
  if (value != NULL && value[0] == '\0')
    g_clear_pointer (&value, g_free);
  return value;
}

static guint
get_uint (CradleTypeDraft *draft,
          const char      *property)
{
  guint value = 0;

  g_object_get (draft, property, &value, NULL);
  return value;
}

static gboolean
check_valid (CradleTypeDraft  *draft,
             GError          **error)
{
  g_autoptr(GPtrArray) problems = cradle_type_draft_validate (draft);
  g_autoptr(GString) text = NULL;

  if (problems->len == 0)
    return TRUE;
  text = g_string_new (NULL);
  for (guint i = 0; i < problems->len; i++)
    {
      CradleTypeProblem *problem = g_ptr_array_index (problems, i);

      g_string_append_printf (text, "%s%s: %s", i > 0 ? "\n" : "", problem->field, problem->message);
    }
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "The type '%s' is not valid, so it is not "
               "exported:\n%s",
               cradle_type_draft_get_name (draft), text->str);
  return FALSE;
}

static GBytes *
write_bundle (GPtrArray  *drafts,
              GPtrArray  *notes,
              GError    **error)
{
  g_autoptr(GString) out = g_string_new (NULL);

  g_string_append_printf (out,
                          "# Cradle certificate types: 'cradlectl types import FILE' shows what it\n"
                          "# adds or changes, and imports them when you confirm.\n"
                          "[Cradle Provisioning]\nVersion=%d\n",
                          CRADLE_PROVISIONING_VERSION);
  for (guint i = 0; i < drafts->len; i++)
    {
      CradleTypeDraft *draft = g_ptr_array_index (drafts, i);
      const char *name = cradle_type_draft_get_name (draft);
      g_autofree char *data = NULL;
      g_auto(GStrv) lines = NULL;
      g_autofree char *trust_anchors = dup_string (draft, "trust-anchors");

      if (!check_valid (draft, error))
        return NULL;
      data = cradle_type_draft_dup_data (draft);
      lines = g_strsplit (data, "\n", -1);
      g_string_append_c (out, '\n');
      for (guint j = 0; lines[j] != NULL; j++)
        {
          const char *key = lines[j] + strspn (lines[j], " \t");

          if (g_str_has_prefix (key, "ChallengeFile") && key[strspn (key + 13, " \t") + 13] == '=')
            {
              g_ptr_array_add (notes, g_strdup_printf ("type '%s': its SCEP challenge is not exported; "
                                                       "set it where the file is imported "
                                                       "('cradlectl types edit %s')",
                                                       name, name));
              continue;
            }
          if (lines[j][0] == '\0' && lines[j + 1] == NULL)
            break;
          g_string_append_printf (out, "%s\n", lines[j]);
        }
      if (trust_anchors != NULL)
        g_ptr_array_add (notes, g_strdup_printf ("type '%s': TrustAnchors names %s, a file of this "
                                                 "computer: it must be at the same place where the "
                                                 "file is imported",
                                                 name, trust_anchors));
    }
  return g_bytes_new (out->str, out->len);
}

/* ServerName for a certsrv URL https://HOST[:PORT]/certsrv, or %NULL. */
static char *
dup_server_name (const char *url,
                 gboolean   *plain_http)
{
  g_autoptr(GUri) uri = url != NULL ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;
  const char *host;
  const char *path;
  g_autofree char *bracketed = NULL;

  if (uri == NULL || g_uri_get_userinfo (uri) != NULL || g_uri_get_query (uri) != NULL ||
      g_uri_get_fragment (uri) != NULL)
    return NULL;
  path = g_uri_get_path (uri);
  if (g_strcmp0 (path, "/certsrv") != 0 && g_strcmp0 (path, "/certsrv/") != 0)
    return NULL;
  host = g_uri_get_host (uri);
  if (host == NULL || host[0] == '\0')
    return NULL;
  *plain_http = g_ascii_strcasecmp (g_uri_get_scheme (uri), "http") == 0;
  if (strchr (host, ':') != NULL)
    host = bracketed = g_strdup_printf ("[%s]", host);
  if (g_uri_get_port (uri) > 0)
    return g_strdup_printf ("%s:%d", host, g_uri_get_port (uri));
  return g_strdup (host);
}

static void
append_parm (GString    *out,
             const char *name,
             const char *value,
             const char *datatype)
{
  g_autofree char *escaped = g_markup_escape_text (value, -1);

  g_string_append_printf (out, "        <parm name=\"%s\" value=\"%s\"%s%s%s/>\n", name, escaped,
                          datatype != NULL ? " datatype=\"" : "", datatype != NULL ? datatype : "",
                          datatype != NULL ? "\"" : "");
}

static GBytes *
write_windows (GPtrArray  *drafts,
               GPtrArray  *notes,
               GError    **error)
{
  static const struct {
    const char *property;
    const char *key;
  } left_out[] = {
    { "key-type", "KeyType" },
    { "subject", "Subject" },
    { "trust-anchors", "TrustAnchors" },
  };
  g_autoptr(GString) out = g_string_new ("<wap-provisioningdoc>\n"
                                         "  <characteristic type=\"CertificateEnroller\">\n"
                                         "    <characteristic type=\"Configuration\">\n");

  for (guint i = 0; i < drafts->len; i++)
    {
      CradleTypeDraft *draft = g_ptr_array_index (drafts, i);
      const char *name = cradle_type_draft_get_name (draft);
      g_autofree char *url = dup_string (draft, "url");
      g_autofree char *template_name = dup_string (draft, "template");
      g_autofree char *display_name = dup_string (draft, "display-name");
      g_autofree char *auth = dup_string (draft, "auth");
      g_autofree char *server = NULL;
      g_autofree char *escaped_name = NULL;
      gboolean plain_http = FALSE;
      const char *values[] = { name, url, template_name };

      if (!check_valid (draft, error))
        return NULL;
      if (g_strcmp0 (cradle_type_draft_get_protocol (draft), "certsrv") != 0)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                       "The type '%s' uses %s; the Certificate Enroller's provisioning XML holds "
                       "certsrv (AD CS Web Enrollment) types only. Export it with --format cradle, "
                       "or leave it out",
                       name, cradle_type_draft_get_protocol (draft));
          return NULL;
        }
      server = dup_server_name (url, &plain_http);
      if (server == NULL)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                       "The type '%s' enrolls at %s; the Certificate Enroller knows a server name "
                       "only, at https://SERVER/certsrv. Export it with --format cradle",
                       name, url);
          return NULL;
        }
      for (guint j = 0; j < G_N_ELEMENTS (values); j++)
        if (values[j] != NULL && !cradle_xml_check_text (values[j], "type's text", error))
          {
            g_prefix_error (error, "%s: ", name);
            return NULL;
          }

      escaped_name = g_markup_escape_text (name, -1);
      g_string_append_printf (out, "      <characteristic type=\"%s\">\n", escaped_name);
      append_parm (out, "ServerName", server, NULL);
      if (template_name != NULL)
        append_parm (out, "Template", template_name, NULL);
      append_parm (out, "NoSSL", plain_http ? "1" : "0", "boolean");
      g_string_append (out, "      </characteristic>\n");

      /* What the Certificate Enroller has no place for. */
      if (display_name != NULL && !g_str_equal (display_name, name))
        g_ptr_array_add (notes, g_strdup_printf ("type '%s': DisplayName is not exported (the "
                                                 "Certificate Enroller has no place for it)", name));
      if (auth != NULL && !g_str_equal (auth, "kerberos"))
        g_ptr_array_add (notes, g_strdup_printf ("type '%s': Auth=%s is not exported; the "
                                                 "Certificate Enroller signs in as the desktop's "
                                                 "user (Kerberos)", name, auth));
      for (guint j = 0; j < G_N_ELEMENTS (left_out); j++)
        {
          g_autofree char *value = dup_string (draft, left_out[j].property);

          if (value != NULL)
            g_ptr_array_add (notes, g_strdup_printf ("type '%s': %s is not exported (the Certificate "
                                                     "Enroller has no place for it)",
                                                     name, left_out[j].key));
        }
      if (get_uint (draft, "timeout") != 0)
        g_ptr_array_add (notes, g_strdup_printf ("type '%s': Timeout is not exported (the "
                                                 "Certificate Enroller has no place for it)", name));
      if (get_uint (draft, "renew-at") != 0)
        g_ptr_array_add (notes, g_strdup_printf ("type '%s': RenewAt is not exported (the "
                                                 "Certificate Enroller has no place for it)", name));
    }
  g_string_append (out, "    </characteristic>\n  </characteristic>\n</wap-provisioningdoc>\n");
  return g_bytes_new (out->str, out->len);
}

GBytes *
cradle_provisioning_export (GPtrArray                *drafts,
                            CradleProvisioningFormat  format,
                            GPtrArray               **notes_out,
                            GError                  **error)
{
  g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func (g_free);
  GBytes *document;

  g_return_val_if_fail (drafts != NULL, NULL);

  if (drafts->len == 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND, "There is no type to export");
      return NULL;
    }
  if (drafts->len > CRADLE_PROVISIONING_MAX_TYPES)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "%u types are more than one provisioning file holds (%d)", drafts->len,
                   CRADLE_PROVISIONING_MAX_TYPES);
      return NULL;
    }
  if (format == CRADLE_PROVISIONING_FORMAT_WINDOWS)
    document = write_windows (drafts, notes, error);
  else
    document = write_bundle (drafts, notes, error);
  if (document == NULL)
    return NULL;
  if (g_bytes_get_size (document) > CRADLE_PROVISIONING_MAX_SIZE)
    {
      g_bytes_unref (document);
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "The types make a file larger than %d bytes, which no Cradle would import; "
                   "export fewer at a time",
                   CRADLE_PROVISIONING_MAX_SIZE);
      return NULL;
    }
  if (notes_out != NULL)
    *notes_out = g_steal_pointer (&notes);
  return document;
}
