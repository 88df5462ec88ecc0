/* cradle-certsrv-page.c: reading the outcome from a certsrv HTML page
 *
 * The strings matched here are the ones AD CS prints in English
 * (protocols.md §3); a localised CA still prints the HRESULT, which is what
 * a denial is recognised by.
 */
#include "config.h"

#include "ca/certsrv/cradle-certsrv-page-private.h"
#include "ca/cradle-html-private.h"

#define MAX_MESSAGE 400


void
cradle_certsrv_page_clear (CradleCertsrvPage *page)
{
  g_clear_pointer (&page->request_id, g_free);
  g_clear_pointer (&page->message, g_free);
}

static char *
match_group (const char *pattern,
             const char *subject)
{
  g_autoptr(GRegex) regex = g_regex_new (pattern, G_REGEX_CASELESS | G_REGEX_RAW, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;

  if (!g_regex_match (regex, subject, 0, &match))
    return NULL;
  return g_match_info_fetch (match, 1);
}

/* The line of @text holding @needle, whitespace folded, bounded. */
static char *
dup_line_with (const char *text,
               const char *needle)
{
  const char *at = strstr (text, needle);
  const char *start;
  const char *end;
  g_autofree char *line = NULL;
  g_auto(GStrv) words = NULL;

  if (at == NULL)
    return NULL;
  start = at;
  while (start > text && start[-1] != '\n')
    start--;
  end = strchr (at, '\n');
  if (end == NULL)
    end = at + strlen (at);
  line = g_strndup (start, MIN ((gsize) (end - start), MAX_MESSAGE));
  words = g_strsplit_set (line, " \t", -1);
  g_autoptr(GString) folded = g_string_new (NULL);
  for (guint i = 0; words[i] != NULL; i++)
    if (words[i][0] != '\0')
      g_string_append_printf (folded, "%s%s", folded->len > 0 ? " " : "", words[i]);
  return g_string_free (g_steal_pointer (&folded), FALSE);
}

static char *
dup_title (const char *html)
{
  g_autofree char *title = match_group ("<title>([^<]{0,200})</title>", html);

  return title != NULL ? g_strstrip (g_steal_pointer (&title)) : g_strdup ("none");
}

gboolean
cradle_certsrv_page_parse (GBytes             *html,
                           CradleCertsrvPage  *page,
                           GError            **error)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (html, &size);
  g_autofree char *raw = g_strndup (data != NULL ? data : "", size);
  g_autofree char *text = cradle_html_dup_text (raw, size);
  g_autofree char *code = NULL;
  g_autofree char *title = NULL;

  memset (page, 0, sizeof *page);

  /* Issued: the page links the certificate by its request number. */
  page->request_id = match_group ("certnew\\.cer\\?ReqID=([0-9]{1,10})&", raw);
  if (page->request_id != NULL)
    {
      page->kind = CRADLE_CERTSRV_PAGE_ISSUED;
      return TRUE;
    }

  code = match_group ("0x(8[0-9a-f]{7})\\b", text);
  if (code != NULL)
    {
      g_autofree char *hex = g_strconcat ("0x", code, NULL);

      page->kind = CRADLE_CERTSRV_PAGE_DENIED;
      page->code = (guint32) g_ascii_strtoull (code, NULL, 16);
      page->message = dup_line_with (text, hex);
      if (page->message == NULL)
        page->message = dup_line_with (text, code);
      page->request_id = match_group ("Request Id is ([0-9]{1,10})", text);
      if (page->code == 0x80094004)
        page->kind = CRADLE_CERTSRV_PAGE_UNKNOWN_REQUEST;
      return TRUE;
    }
  if (strstr (text, "The requested property value is empty") != NULL)
    {
      page->kind = CRADLE_CERTSRV_PAGE_UNKNOWN_REQUEST;
      page->code = 0x80094004;
      return TRUE;
    }
  if (strstr (text, "template that is not supported") != NULL)
    {
      page->kind = CRADLE_CERTSRV_PAGE_DENIED;
      page->code = 0x80094800;
      page->message = dup_line_with (text, "template that is not supported");
      return TRUE;
    }
  if (strstr (text, "Certificate Pending") != NULL ||
      strstr (text, "Taken Under Submission") != NULL ||
      strstr (text, "taken under submission") != NULL)
    {
      page->kind = CRADLE_CERTSRV_PAGE_PENDING;
      page->request_id = match_group ("Request Id is ([0-9]{1,10})", text);
      return TRUE;
    }

  title = dup_title (raw);
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
               "The CA's web enrollment answered with a page Cradle does not recognise "
               "(%" G_GSIZE_FORMAT " bytes, title \"%s\"): it says neither issued, pending "
               "nor denied. The address may not be an AD CS certsrv site; support should "
               "open it in a browser.", size, title);
  return FALSE;
}

CradleCaAnswer *
cradle_certsrv_page_to_answer (CradleCertsrvPage  *page,
                               const char         *request_id,
                               GError            **error)
{
  const char *id = page->request_id != NULL ? page->request_id : request_id;
  CradleCaAnswer *answer = NULL;

  switch (page->kind)
    {
    case CRADLE_CERTSRV_PAGE_PENDING:
      if (id == NULL)
        {
          g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                               "The CA says the request is pending but gave no request "
                               "number, so it could never be retrieved. Support should "
                               "find the request in the CA's pending queue.");
          break;
        }
      answer = cradle_ca_answer_new_pending (CRADLE_CA_PROTOCOL_CERTSRV, id, NULL, 0,
                                             "Taken under submission");
      break;
    case CRADLE_CERTSRV_PAGE_DENIED:
      answer = cradle_ca_answer_new_denied (CRADLE_CA_PROTOCOL_CERTSRV, id, page->code,
                                            page->message);
      break;
    case CRADLE_CERTSRV_PAGE_UNKNOWN_REQUEST:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                   "The CA has no request number %s (CERTSRV_E_PROPERTY_EMPTY 0x80094004). "
                   "It may have been removed from the CA's database; enroll again.",
                   id != NULL ? id : "(none)");
      break;
    case CRADLE_CERTSRV_PAGE_ISSUED:
    default:
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The CA's page says issued where a certificate was expected.");
      break;
    }
  cradle_certsrv_page_clear (page);
  return answer;
}

gboolean
cradle_certsrv_page_find_renewals (GBytes    *html,
                                   guint     *renewals,
                                   GError   **error)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (html, &size);
  g_autofree char *raw = g_strndup (data != NULL ? data : "", size);
  g_autofree char *number = match_group ("var\\s+nRenewals\\s*=\\s*([0-9]{1,4})\\s*;", raw);
  guint64 value;

  if (number == NULL ||
      !g_ascii_string_to_unsigned (number, 10, 0, 9999, &value, NULL))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The CA's certificate page (certcarc.asp) does not say how many "
                           "times the CA was renewed, so its certificates cannot be "
                           "fetched. Support should check the CA's web enrollment pages.");
      return FALSE;
    }
  *renewals = (guint) value;
  return TRUE;
}
