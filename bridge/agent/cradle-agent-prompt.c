/* cradle-agent-prompt.c: the words the device's user reads before saying
 * yes, with everything the host supplied escaped */
#include "config.h"

#include <string.h>
#include <cradle/cradle.h>

#include "agent/cradle-agent-prompt-private.h"
#include "agent/cradle-agent-request-info-private.h"

/* One value from the host, on one line, controls and bidi shown escaped. */
static char *
escape (const char *text)
{
  return cradle_text_escape (text != NULL ? text : "", -1, CRADLE_TEXT_ESCAPE_DEFAULT);
}

char *
cradle_agent_prompt_generate_key (const char *key_type,
                                  const char *profile)
{
  g_autofree char *shown_type = escape (key_type);
  g_autofree char *shown_profile = escape (profile);

  return g_strdup_printf ("The desktop asks this device to make a new %s key for: %s", shown_type, shown_profile);
}

static void
append_names (GString    *prompt,
              const char *label,
              GPtrArray  *names)
{
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *shown = escape (g_ptr_array_index (names, i));

      g_string_append_printf (prompt, "\n  %-10s %s", label, shown);
    }
}

char *
cradle_agent_prompt_sign (GBytes  *cri,
                          GError **error)
{
  g_autoptr(CradleAgentRequestInfo) info = cradle_agent_request_info_describe (cri, error);
  g_autoptr(GString) prompt = NULL;
  g_autofree char *subject = NULL;

  if (info == NULL)
    return NULL;
  subject = escape (info->subject);
  prompt = g_string_new ("The desktop asks this device to sign a certificate request for:");
  g_string_append_printf (prompt, "\n  %-10s %s", "Subject:", subject);
  /* The names the certificate will also stand for: a UPN here signs the
   * holder in as that account, whatever the subject says. */
  append_names (prompt, "UPN:", info->upns);
  append_names (prompt, "Mail:", info->mails);
  append_names (prompt, "DNS:", info->dns_names);
  if (info->other_names > 0)
    g_string_append_printf (prompt, "\n  %-10s %u of other kinds", "Names:", info->other_names);
  append_names (prompt, "Use:", info->extended_key_usages);
  if (info->template_name != NULL)
    {
      g_autofree char *shown = escape (info->template_name);

      g_string_append_printf (prompt, "\n  %-10s %s", "Template:", shown);
    }
  if (info->template_oid != NULL)
    {
      g_autofree char *shown = escape (info->template_oid);

      g_string_append_printf (prompt, "\n  %-10s %s", "Template:", shown);
    }
  return g_string_free (g_steal_pointer (&prompt), FALSE);
}

char *
cradle_agent_prompt_renew (GBytes  *renewed,
                           GBytes  *cri,
                           GError **error)
{
  g_autoptr(CradleCertificate) old = cradle_certificate_new_from_der (renewed, error);
  g_autofree char *request = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *issuer = NULL;
  g_autofree char *sha256 = NULL;
  const char *body;

  if (old == NULL)
    return NULL;
  request = cradle_agent_prompt_sign (cri, error);
  if (request == NULL)
    return NULL;
  subject = escape (cradle_certificate_get_subject (old));
  issuer = escape (cradle_certificate_get_issuer (old));
  sha256 = escape (cradle_certificate_get_sha256 (old));
  /* The request's own words follow its first line. */
  body = strchr (request, '\n');
  return g_strdup_printf ("Renew %s?\n"
                          "The desktop asks this device to renew your certificate\n"
                          "  %-10s %s\n  %-10s %s\n  %-10s %s\n"
                          "with a new certificate request for:%s",
                          subject, "Subject:", subject, "Issuer:", issuer, "SHA-256:", sha256,
                          body != NULL ? body : "");
}

char *
cradle_agent_prompt_root (const char *subject,
                          const char *sha256)
{
  g_autofree char *shown_subject = escape (subject);
  g_autofree char *shown_sha256 = escape (sha256);

  return g_strdup_printf ("The desktop asks this device to trust a new root certificate:\n"
                          "  %s\n  SHA-256 %s", shown_subject, shown_sha256);
}

char *
cradle_agent_prompt_import (const char *subject,
                            const char *issuer,
                            const char *sha256)
{
  g_autofree char *shown_subject = escape (subject);
  g_autofree char *shown_issuer = escape (issuer);
  g_autofree char *shown_sha256 = escape (sha256);

  return g_strdup_printf ("The desktop asks this device to import a private key that was NOT made on "
                          "this device (copies of it may exist elsewhere), for the certificate:\n"
                          "  %-10s %s\n  %-10s %s\n  %-10s %s\n"
                          "It will be shown as imported wherever the key is listed.",
                          "Subject:", shown_subject, "Issuer:", shown_issuer, "SHA-256:", shown_sha256);
}

char *
cradle_agent_prompt_delete_cert (GBytes      *der,
                                 const char  *store,
                                 gboolean     retires_key,
                                 GBytes      *key_id,
                                 GError     **error)
{
  g_autoptr(CradleCertificate) parsed = cradle_certificate_new_from_der (der, error);
  g_autofree char *shown_subject = NULL;
  g_autofree char *shown_issuer = NULL;
  g_autofree char *shown_store = NULL;
  g_autofree char *key_hex = NULL;
  const char *what;

  if (parsed == NULL)
    return NULL;
  shown_subject = escape (cradle_certificate_get_subject (parsed));
  shown_issuer = escape (cradle_certificate_get_issuer (parsed));
  shown_store = escape (store);
  if (retires_key)
    {
      GString *hex = g_string_new (NULL);
      gsize size = 0;
      const guint8 *bytes = key_id != NULL ? g_bytes_get_data (key_id, &size) : NULL;

      for (gsize i = 0; i < size && i < 8; i++)
        g_string_append_printf (hex, "%02x", bytes[i]);
      key_hex = g_string_free (hex, FALSE);
      return g_strdup_printf ("The desktop asks this device to delete your certificate, and with it its key, "
                              "for good: the key will sign and decrypt nothing again.\n"
                              "  Certificate: %s\n  issued by %s\n  SHA-256 %s\n"
                              "  Key: %s… (retired: never used again)",
                              shown_subject, shown_issuer, cradle_certificate_get_sha256 (parsed), key_hex);
    }
  what = g_strcmp0 (store, "Root") == 0
    ? "a root certificate: this device will no longer trust what it issued"
    : "a certificate";
  return g_strdup_printf ("The desktop asks this device to delete %s (%s store):\n"
                          "  %s\n  issued by %s\n  SHA-256 %s",
                          what, shown_store, shown_subject, shown_issuer, cradle_certificate_get_sha256 (parsed));
}

char *
cradle_agent_prompt_pair (const char *host_name,
                          const char *user_name,
                          const char *code)
{
  g_autofree char *shown_host = escape (host_name);
  g_autofree char *shown_user = escape (user_name);

  return g_strdup_printf ("Trust this computer?\n"
                          "  Computer: %s\n  User: %s\n"
                          "  Code: %.3s %.3s\n"
                          "Accept only if the computer shows the same code. A trusted computer can "
                          "make keys and install certificates on this device, with your consent "
                          "where it is needed.", shown_host, shown_user, code, code + 3);
}
