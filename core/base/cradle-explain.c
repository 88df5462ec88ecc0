/* cradle-explain.c: finding the explanation for a code or an error */
#include "config.h"

#include <string.h>
#include <gio/gio.h>

#include "base/cradle-error-private.h"
#include "base/cradle-explain-private.h"

/* Explanations made for codes the table does not know are kept for the
 * life of the process (callers hold const pointers); this many at most,
 * since the codes come from outside. */
#define MAX_MADE_EXPLANATIONS 256

/* Each text has at most one conversion, filled with the code. */
typedef struct {
  const char *name;
  const char *summary;
  const char *user_action;
  const char *support_action;
} FallbackTemplate;

static const FallbackTemplate hresult_fallback = {
  "0x%08X",
  "The CA answered with code 0x%08X, which Cradle does not know.",
  "Ask your administrator what the CA's code 0x%08X means.",
  "Look the code up with 'certutil -error 0x%08X' and in the CA's event log at the time of the "
  "request.",
};

static const FallbackTemplate disposition_fallback = {
  "CR_DISP %u",
  "The CA reported disposition %u, which Cradle does not know.",
  "Ask your administrator to look the request up on the CA.",
  "Check the request's disposition and status code in the CA database (certutil -view).",
};

static const FallbackTemplate scep_fallback = {
  "failInfo %u",
  "The SCEP server refused the request with failInfo %u, which Cradle does not know.",
  "Ask your administrator to check the SCEP server's log.",
  "Check the SCEP server's log at the time of the request; RFC 8894 defines failInfo 0 to 4 "
  "only.",
};

static const FallbackTemplate http_client_fallback = {
  "HTTP %u",
  "The server refused the request with HTTP status %u.",
  "Ask your administrator to check the server settings of this certificate type.",
  "Check the server's access log for the request; a 4xx status means it rejected what Cradle "
  "sent or who sent it.",
};

static const FallbackTemplate http_server_fallback = {
  "HTTP %u",
  "The server failed with HTTP status %u while handling the request.",
  "Try again later; if it keeps failing, ask your administrator.",
  "Check the server's error log at the time of the request.",
};

static const FallbackTemplate http_other_fallback = {
  "HTTP %u",
  "The server answered with HTTP status %u, which Cradle did not expect.",
  "Report this to support with the output of 'cradlectl log'.",
  "Check the endpoint URL; a redirect means Cradle is not talking to the enrollment service "
  "itself.",
};

static const FallbackTemplate cause_fallback = {
  "cause %u",
  "The connection or sign-in failed for a reason Cradle cannot name (cause %u).",
  "Try again later; if it keeps failing, ask your administrator.",
  "Read the error message and the journal ('cradlectl log --json') for the step that failed.",
};

/* When even a made explanation is too many. */
static const CradleExplanation unknown_code = {
  CRADLE_EXPLAIN_CRADLE_ERROR, CRADLE_ERROR_FAILED, "unknown",
  "The server or the device answered with a code Cradle does not know.",
  "Report this to support with the output of 'cradlectl log'.",
  "The code is in the error message and the journal; look it up in the peer's documentation.",
  TRUE,
};

static GMutex made_lock;
static GHashTable *made;  /* (kind << 32 | code) -> CradleExplanation, never freed */

CradleExplainKind
cradle_explanation_get_kind (const CradleExplanation *self)
{
  g_return_val_if_fail (self != NULL, CRADLE_EXPLAIN_CRADLE_ERROR);
  return self->kind;
}

guint32
cradle_explanation_get_code (const CradleExplanation *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->code;
}

const char *
cradle_explanation_get_name (const CradleExplanation *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->name;
}

const char *
cradle_explanation_get_summary (const CradleExplanation *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->summary;
}

const char *
cradle_explanation_get_user_action (const CradleExplanation *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->user_action;
}

const char *
cradle_explanation_get_support_action (const CradleExplanation *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->support_action;
}

gboolean
cradle_explanation_is_generic (const CradleExplanation *self)
{
  g_return_val_if_fail (self != NULL, TRUE);
  return self->generic;
}

static const CradleExplanation *
find (CradleExplainKind kind,
      guint32           code)
{
  gsize n_entries;
  const CradleExplanation *table = cradle_explain_get_table (&n_entries);

  for (gsize i = 0; i < n_entries; i++)
    {
      if (table[i].kind == kind && table[i].code == code)
        return &table[i];
    }
  return NULL;
}

static const FallbackTemplate *
fallback_for (CradleExplainKind kind,
              guint32           code)
{
  switch (kind)
    {
    case CRADLE_EXPLAIN_HRESULT:
      return &hresult_fallback;
    case CRADLE_EXPLAIN_DISPOSITION:
      return &disposition_fallback;
    case CRADLE_EXPLAIN_SCEP_FAIL_INFO:
      return &scep_fallback;
    case CRADLE_EXPLAIN_HTTP_STATUS:
      if (code >= 400 && code < 500)
        return &http_client_fallback;
      if (code >= 500 && code < 600)
        return &http_server_fallback;
      return &http_other_fallback;
    case CRADLE_EXPLAIN_TLS:
    case CRADLE_EXPLAIN_TRANSPORT:
    case CRADLE_EXPLAIN_KERBEROS:
    case CRADLE_EXPLAIN_TRUST:
    case CRADLE_EXPLAIN_DIRECTORY:
    case CRADLE_EXPLAIN_DEVICE:
    case CRADLE_EXPLAIN_CERTIFICATE:
    case CRADLE_EXPLAIN_TOKEN:
      return &cause_fallback;
    case CRADLE_EXPLAIN_CRADLE_ERROR:
    default:
      return NULL;
    }
}

/* The templates are ours and take one guint32 each. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static const CradleExplanation *
make_explanation (CradleExplainKind       kind,
                  guint32                 code,
                  const FallbackTemplate *template)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&made_lock);
  guint64 key = ((guint64) kind << 32) | code;
  CradleExplanation *explanation;
  gint64 *stored_key;

  if (made == NULL)
    made = g_hash_table_new (g_int64_hash, g_int64_equal);
  explanation = g_hash_table_lookup (made, &key);
  if (explanation != NULL)
    return explanation;
  if (g_hash_table_size (made) >= MAX_MADE_EXPLANATIONS)
    return &unknown_code;

  explanation = g_new0 (CradleExplanation, 1);
  explanation->kind = kind;
  explanation->code = code;
  explanation->name = g_strdup_printf (template->name, code);
  explanation->summary = g_strdup_printf (template->summary, code);
  explanation->user_action = g_strdup_printf (template->user_action, code);
  explanation->support_action = g_strdup_printf (template->support_action, code);
  explanation->generic = TRUE;
  stored_key = g_new (gint64, 1);
  *stored_key = (gint64) key;
  g_hash_table_insert (made, stored_key, explanation);
  return explanation;
}
#pragma GCC diagnostic pop

/**
 * cradle_explain:
 * @kind: what @code is
 * @code: the code
 *
 * Returns: (transfer none): the explanation; for a code Cradle does not
 *   know, a generic one that names the code.  Never %NULL.
 */
const CradleExplanation *
cradle_explain (CradleExplainKind kind,
                guint32           code)
{
  const CradleExplanation *explanation = find (kind, code);
  const FallbackTemplate *template;

  if (explanation != NULL)
    return explanation;
  template = fallback_for (kind, code);
  if (template == NULL)
    return find (CRADLE_EXPLAIN_CRADLE_ERROR, CRADLE_ERROR_FAILED);
  return make_explanation (kind, code, template);
}

const CradleExplanation *
cradle_explain_ca_code (const char *connector,
                        guint32     code)
{
  g_return_val_if_fail (connector != NULL, &unknown_code);

  if (g_str_equal (connector, "certsrv") || g_str_equal (connector, "wstep"))
    return cradle_explain (CRADLE_EXPLAIN_HRESULT, code);
  if (g_str_equal (connector, "scep"))
    return cradle_explain (CRADLE_EXPLAIN_SCEP_FAIL_INFO, code);
  if (g_str_equal (connector, "est"))
    return cradle_explain (CRADLE_EXPLAIN_HTTP_STATUS, code);
  return &unknown_code;
}

/* The first "0x" and eight hex digits in @text that the table knows as an
 * HRESULT: CA refusals carry their code in the message. */
static const CradleExplanation *
find_hresult_in (const char *text)
{
  for (const char *p = strstr (text, "0x"); p != NULL; p = strstr (p + 2, "0x"))
    {
      guint32 code = 0;
      guint digits = 0;

      while (digits < 8 && g_ascii_isxdigit (p[2 + digits]))
        {
          code = (code << 4) | (guint32) g_ascii_xdigit_value (p[2 + digits]);
          digits++;
        }
      if (digits == 8 && !g_ascii_isxdigit (p[10]))
        {
          const CradleExplanation *explanation = find (CRADLE_EXPLAIN_HRESULT, code);

          if (explanation != NULL)
            return explanation;
        }
    }
  return NULL;
}

static const CradleExplanation *
explain_gio_error (const GError *error)
{
  if (error->domain == G_TLS_ERROR)
    {
      switch (error->code)
        {
        case G_TLS_ERROR_BAD_CERTIFICATE:
          return cradle_explain (CRADLE_EXPLAIN_TLS, CRADLE_TLS_FAILURE_UNTRUSTED);
        case G_TLS_ERROR_CERTIFICATE_REQUIRED:
          return cradle_explain (CRADLE_EXPLAIN_TLS, CRADLE_TLS_FAILURE_CLIENT_CERT_REQUIRED);
        default:
          return cradle_explain (CRADLE_EXPLAIN_TLS, CRADLE_TLS_FAILURE_HANDSHAKE);
        }
    }
  if (error->domain == G_RESOLVER_ERROR)
    return cradle_explain (CRADLE_EXPLAIN_TRANSPORT, CRADLE_TRANSPORT_FAILURE_DNS_NOT_FOUND);
  if (error->domain != G_IO_ERROR)
    return NULL;

  switch (error->code)
    {
    case G_IO_ERROR_CONNECTION_REFUSED:
      return cradle_explain (CRADLE_EXPLAIN_TRANSPORT, CRADLE_TRANSPORT_FAILURE_CONNECTION_REFUSED);
    case G_IO_ERROR_HOST_NOT_FOUND:
      return cradle_explain (CRADLE_EXPLAIN_TRANSPORT, CRADLE_TRANSPORT_FAILURE_DNS_NOT_FOUND);
    case G_IO_ERROR_TIMED_OUT:
      return cradle_explain (CRADLE_EXPLAIN_TRANSPORT, CRADLE_TRANSPORT_FAILURE_TIMED_OUT);
    case G_IO_ERROR_HOST_UNREACHABLE:
    case G_IO_ERROR_NETWORK_UNREACHABLE:
      return cradle_explain (CRADLE_EXPLAIN_TRANSPORT, CRADLE_TRANSPORT_FAILURE_NETWORK_UNREACHABLE);
    case G_IO_ERROR_PROXY_FAILED:
    case G_IO_ERROR_PROXY_AUTH_FAILED:
    case G_IO_ERROR_PROXY_NEED_AUTH:
    case G_IO_ERROR_PROXY_NOT_ALLOWED:
      return cradle_explain (CRADLE_EXPLAIN_TRANSPORT, CRADLE_TRANSPORT_FAILURE_PROXY);
    case G_IO_ERROR_CONNECTION_CLOSED:
      return cradle_explain (CRADLE_EXPLAIN_TRANSPORT, CRADLE_TRANSPORT_FAILURE_CONNECTION_CLOSED);
    case G_IO_ERROR_MESSAGE_TOO_LARGE:
      return cradle_explain (CRADLE_EXPLAIN_TRANSPORT, CRADLE_TRANSPORT_FAILURE_RESPONSE_TOO_LARGE);
    case G_IO_ERROR_PERMISSION_DENIED:
      return cradle_explain (CRADLE_EXPLAIN_CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
    default:
      return NULL;
    }
}

/**
 * cradle_explain_error:
 * @error: an error from libcradle or GIO
 *
 * Returns: (transfer none): what @error means and what to do; never %NULL
 */
const CradleExplanation *
cradle_explain_error (const GError *error)
{
  CradleExplainKind kind;
  guint32 code;
  const CradleExplanation *explanation;

  g_return_val_if_fail (error != NULL, &unknown_code);

  if (cradle_explain_get_detail (error, &kind, &code))
    return cradle_explain (kind, code);
  if (error->domain == CRADLE_ERROR)
    {
      if (error->code == CRADLE_ERROR_CA_DENIED && error->message != NULL)
        {
          explanation = find_hresult_in (error->message);
          if (explanation != NULL)
            return explanation;
        }
      return cradle_explain (CRADLE_EXPLAIN_CRADLE_ERROR, (guint32) error->code);
    }
  explanation = explain_gio_error (error);
  if (explanation != NULL)
    return explanation;
  return cradle_explain (CRADLE_EXPLAIN_CRADLE_ERROR, CRADLE_ERROR_FAILED);
}

/**
 * cradle_explain_format_hresult:
 * @hresult: a CA's code
 *
 * Returns: (transfer full): "CERTSRV_E_TEMPLATE_DENIED 0x80094012", or only
 *   the number when Cradle does not know the code
 */
char *
cradle_explain_format_hresult (guint32 hresult)
{
  const CradleExplanation *explanation = find (CRADLE_EXPLAIN_HRESULT, hresult);

  if (explanation == NULL)
    return g_strdup_printf ("0x%08X", hresult);
  return g_strdup_printf ("%s 0x%08X", explanation->name, hresult);
}

void
cradle_explain_set_detail (GError            *error,
                           CradleExplainKind  kind,
                           guint32            code)
{
  CradleErrorDetail *detail = cradle_error_get_detail (error);

  g_return_if_fail (detail != NULL);
  detail->set = TRUE;
  detail->kind = kind;
  detail->code = code;
}

gboolean
cradle_explain_get_detail (const GError      *error,
                           CradleExplainKind *kind,
                           guint32           *code)
{
  CradleErrorDetail *detail = cradle_error_get_detail (error);

  if (detail == NULL || !detail->set)
    return FALSE;
  if (kind != NULL)
    *kind = (CradleExplainKind) detail->kind;
  if (code != NULL)
    *code = detail->code;
  return TRUE;
}

void
cradle_explain_set_error (GError            **error,
                          CradleError         code,
                          CradleExplainKind   kind,
                          guint32             detail,
                          const char         *format,
                          ...)
{
  va_list args;
  GError *new_error;

  if (error == NULL)
    return;
  va_start (args, format);
  new_error = g_error_new_valist (CRADLE_ERROR, code, format, args);
  va_end (args);
  cradle_explain_set_detail (new_error, kind, detail);
  g_propagate_error (error, new_error);
}
