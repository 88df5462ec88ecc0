/* cradle-agent-request-info.c: a bounded DER walk over a CertificationRequestInfo */
#include "config.h"

#include <string.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <cradle/cradle.h>

#include "cradle-agent-der-private.h"
#include "cradle-agent-keystore-crypto-private.h"
#include "cradle-agent-request-info-private.h"

/* SET OF Attribute, Attribute ::= SEQUENCE { type OID, values SET }.
 * The values are for the CA; only their framing is checked here. */
static gboolean
check_attributes (CradleDerSlice attributes)
{
  while (attributes.size > 0)
    {
      CradleDerSlice attribute;
      CradleDerSlice oid;

      if (!cradle_der_take (&attributes, CRADLE_DER_SEQUENCE, NULL, &attribute)
          || !cradle_der_take (&attribute, CRADLE_DER_OID, NULL, &oid) || oid.size == 0
          || !cradle_der_take (&attribute, CRADLE_DER_SET, NULL, NULL)
          || attribute.size != 0)
        return FALSE;
    }
  return TRUE;
}

/* Escapes what could disguise the prompt: control, format (bidi overrides,
 * zero-width) and line-separating characters. */
static char *
escape_for_prompt (const char *text)
{
  g_autoptr(GString) out = g_string_sized_new (strlen (text));

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      GUnicodeType type = g_unichar_type (c);

      if (type == G_UNICODE_CONTROL || type == G_UNICODE_FORMAT
          || type == G_UNICODE_LINE_SEPARATOR || type == G_UNICODE_PARAGRAPH_SEPARATOR)
        g_string_append_printf (out, "\\u%04X", c);
      else
        g_string_append_unichar (out, c);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static char *
print_name (X509_NAME *name,
            GError   **error)
{
  /* One line, as UTF-8 rather than \XX escapes; control bytes stay escaped. */
  const unsigned long utf8_flags = (XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) | ASN1_STRFLGS_UTF8_CONVERT;
  const unsigned long flag_sets[] = { utf8_flags, XN_FLAG_ONELINE };

  if (X509_NAME_entry_count (name) == 0)
    return g_strdup (CRADLE_AGENT_EMPTY_SUBJECT);

  for (gsize i = 0; i < G_N_ELEMENTS (flag_sets); i++)
    {
      g_autoptr(BIO) bio = BIO_new (BIO_s_mem ());
      g_autofree char *text = NULL;
      char *data = NULL;
      long size;

      if (bio == NULL || X509_NAME_print_ex (bio, name, 0, flag_sets[i]) < 0)
        break;
      size = BIO_get_mem_data (bio, &data);
      /* Not UTF-8 after all (a mislabelled string): fall back to escapes. */
      if (size <= 0 || memchr (data, '\0', (gsize) size) != NULL
          || !g_utf8_validate_len (data, (gsize) size, NULL))
        continue;
      text = g_strndup (data, (gsize) size);
      return escape_for_prompt (text);
    }
  cradle_agent_crypto_set_error (error, CRADLE_ERROR_INVALID_DATA,
                                 "The request's subject cannot be shown");
  return NULL;
}

char *
cradle_agent_request_info_check (GBytes  *cri,
                                 GBytes  *public_key,
                                 GError **error)
{
  CradleDerSlice input = cradle_der_slice_from_bytes (cri);
  CradleDerSlice info;
  CradleDerSlice version;
  CradleDerSlice subject;
  CradleDerSlice key;
  CradleDerSlice attributes;
  g_autoptr(X509_NAME) name = NULL;
  const guint8 *p;

  if (!cradle_der_take (&input, CRADLE_DER_SEQUENCE, NULL, &info) || input.size != 0
      || !cradle_der_take (&info, CRADLE_DER_INTEGER, NULL, &version)
      || !cradle_der_take (&info, CRADLE_DER_SEQUENCE, &subject, NULL)
      || !cradle_der_take (&info, CRADLE_DER_SEQUENCE, &key, NULL)
      || !cradle_der_take (&info, CRADLE_DER_CONTEXT_0, NULL, &attributes)
      || info.size != 0
      || !check_attributes (attributes))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The bytes to sign are not a DER PKCS#10 CertificationRequestInfo");
      return NULL;
    }
  if (version.size != 1 || version.data[0] != 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The certification request is not version 1 (0)");
      return NULL;
    }

  p = subject.data;
  name = d2i_X509_NAME (NULL, &p, (long) subject.size);
  if (name == NULL || p != subject.data + subject.size)
    {
      cradle_agent_crypto_set_error (error, CRADLE_ERROR_INVALID_DATA,
                                     "The certification request's subject is not a valid Name");
      return NULL;
    }

  if (!cradle_der_equal (key, g_bytes_get_data (public_key, NULL), g_bytes_get_size (public_key)))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The request is not for this key: its public key is another one");
      return NULL;
    }
  return print_name (name, error);
}
