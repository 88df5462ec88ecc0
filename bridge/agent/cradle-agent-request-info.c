/* cradle-agent-request-info.c: a bounded DER walk over a CertificationRequestInfo */
#include "config.h"

#include <string.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <cradle/cradle.h>

#include "protocol/cradle-der-private.h"
#include "agent/cradle-agent-keystore-crypto-private.h"
#include "agent/cradle-agent-request-info-private.h"

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

/* The parts of a CertificationRequestInfo, every length checked. */
static gboolean
take_apart (GBytes          *cri,
            X509_NAME      **name,
            CradleDerSlice  *key,
            CradleDerSlice  *attributes,
            GError         **error)
{
  CradleDerSlice input = cradle_der_slice_from_bytes (cri);
  CradleDerSlice info;
  CradleDerSlice version;
  CradleDerSlice subject;
  const guint8 *p;

  if (!cradle_der_take (&input, CRADLE_DER_SEQUENCE, NULL, &info) || input.size != 0
      || !cradle_der_take (&info, CRADLE_DER_INTEGER, NULL, &version)
      || !cradle_der_take (&info, CRADLE_DER_SEQUENCE, &subject, NULL)
      || !cradle_der_take (&info, CRADLE_DER_SEQUENCE, key, NULL)
      || !cradle_der_take (&info, CRADLE_DER_CONTEXT_0, NULL, attributes)
      || info.size != 0
      || !check_attributes (*attributes))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The bytes to sign are not a DER PKCS#10 CertificationRequestInfo");
      return FALSE;
    }
  if (version.size != 1 || version.data[0] != 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The certification request is not version 1 (0)");
      return FALSE;
    }

  p = subject.data;
  *name = d2i_X509_NAME (NULL, &p, (long) subject.size);
  if (*name == NULL || p != subject.data + subject.size)
    {
      g_clear_pointer (name, X509_NAME_free);
      cradle_agent_crypto_set_error (error, CRADLE_ERROR_INVALID_DATA,
                                     "The certification request's subject is not a valid Name");
      return FALSE;
    }
  return TRUE;
}

char *
cradle_agent_request_info_check (GBytes  *cri,
                                 GBytes  *public_key,
                                 GError **error)
{
  CradleDerSlice key;
  CradleDerSlice attributes;
  g_autoptr(X509_NAME) name = NULL;

  if (!take_apart (cri, &name, &key, &attributes, error))
    return NULL;
  if (!cradle_der_equal (key, g_bytes_get_data (public_key, NULL), g_bytes_get_size (public_key)))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The request is not for this key: its public key is another one");
      return NULL;
    }
  return print_name (name, error);
}

/* Microsoft's szOID_RENEWAL_CERTIFICATE, 1.3.6.1.4.1.311.13.1. */
static const guint8 renewal_certificate_oid[] = { 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x0d, 0x01 };

gboolean
cradle_agent_request_info_renewal (GBytes  *cri,
                                   GBytes **public_key,
                                   GBytes **renewed,
                                   GError **error)
{
  CradleDerSlice key;
  CradleDerSlice attributes;
  CradleDerSlice found = { NULL, 0 };
  g_autoptr(X509_NAME) name = NULL;

  if (!take_apart (cri, &name, &key, &attributes, error))
    return FALSE;
  /* check_attributes() has checked the framing. */
  while (attributes.size > 0)
    {
      CradleDerSlice attribute;
      CradleDerSlice oid;
      CradleDerSlice values;
      CradleDerSlice certificate;

      if (!cradle_der_take (&attributes, CRADLE_DER_SEQUENCE, NULL, &attribute)
          || !cradle_der_take (&attribute, CRADLE_DER_OID, NULL, &oid)
          || !cradle_der_take (&attribute, CRADLE_DER_SET, NULL, &values))
        break;
      if (!cradle_der_equal (oid, renewal_certificate_oid, sizeof renewal_certificate_oid))
        continue;
      if (found.data != NULL)
        {
          g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                               "The certification request names the certificate it renews twice");
          return FALSE;
        }
      if (!cradle_der_take (&values, CRADLE_DER_SEQUENCE, &certificate, NULL) || values.size != 0)
        {
          g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                               "The certification request's renewal attribute is not one certificate");
          return FALSE;
        }
      found = certificate;
    }
  if (public_key != NULL)
    *public_key = g_bytes_new (key.data, key.size);
  if (renewed != NULL)
    *renewed = found.data != NULL ? g_bytes_new (found.data, found.size) : NULL;
  return TRUE;
}

/* ---- what the request asks for, for the SIGN prompt --------------------- */

/* PKCS#9 extensionRequest, 1.2.840.113549.1.9.14. */
static const guint8 extension_request_oid[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x0e };

void
cradle_agent_request_info_free (CradleAgentRequestInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->subject);
  g_ptr_array_unref (info->upns);
  g_ptr_array_unref (info->mails);
  g_ptr_array_unref (info->dns_names);
  g_ptr_array_unref (info->extended_key_usages);
  g_free (info->template_name);
  g_free (info->template_oid);
  g_free (info);
}

static char *
string_to_utf8 (const ASN1_STRING *string)
{
  unsigned char *utf8 = NULL;
  int length = ASN1_STRING_to_UTF8 (&utf8, string);
  char *copy;

  if (length < 0)
    return NULL;
  copy = g_strndup ((const char *) utf8, (gsize) length);
  OPENSSL_free (utf8);
  return copy;
}

static gboolean
describe_alt_names (CradleAgentRequestInfo *info,
                    X509_EXTENSION         *extension)
{
  g_autoptr(GENERAL_NAMES) names = X509V3_EXT_d2i (extension);
  g_autoptr(ASN1_OBJECT) upn = OBJ_txt2obj ("1.3.6.1.4.1.311.20.2.3", 1);

  if (names == NULL || upn == NULL)
    return FALSE;
  for (int i = 0; i < sk_GENERAL_NAME_num (names); i++)
    {
      const GENERAL_NAME *name = sk_GENERAL_NAME_value (names, i);
      char *text = NULL;

      switch (name->type)
        {
        case GEN_OTHERNAME:
          if (OBJ_cmp (name->d.otherName->type_id, upn) == 0 &&
              name->d.otherName->value->type == V_ASN1_UTF8STRING &&
              (text = string_to_utf8 (name->d.otherName->value->value.utf8string)) != NULL)
            g_ptr_array_add (info->upns, text);
          else
            info->other_names++;
          break;
        case GEN_EMAIL:
          if ((text = string_to_utf8 (name->d.rfc822Name)) == NULL)
            return FALSE;
          g_ptr_array_add (info->mails, text);
          break;
        case GEN_DNS:
          if ((text = string_to_utf8 (name->d.dNSName)) == NULL)
            return FALSE;
          g_ptr_array_add (info->dns_names, text);
          break;
        default:
          info->other_names++;
          break;
        }
    }
  return TRUE;
}

static gboolean
describe_extended_key_usages (CradleAgentRequestInfo *info,
                              X509_EXTENSION         *extension)
{
  g_autoptr(EXTENDED_KEY_USAGE) usages = X509V3_EXT_d2i (extension);

  if (usages == NULL)
    return FALSE;
  for (int i = 0; i < sk_ASN1_OBJECT_num (usages); i++)
    {
      char name[128];
      char oid[128];
      const ASN1_OBJECT *object = sk_ASN1_OBJECT_value (usages, i);

      if (OBJ_obj2txt (oid, sizeof oid, object, 1) <= 0)
        return FALSE;
      /* OpenSSL's words when it knows the purpose, and the OID always. */
      if (OBJ_obj2nid (object) != NID_undef && OBJ_obj2txt (name, sizeof name, object, 0) > 0)
        g_ptr_array_add (info->extended_key_usages, g_strdup_printf ("%s (%s)", name, oid));
      else
        g_ptr_array_add (info->extended_key_usages, g_strdup (oid));
    }
  return TRUE;
}

/* MS-WCCE 2.2.2.7.7.1: the template's name, a BMPString (or another string). */
static gboolean
describe_template_name (CradleAgentRequestInfo *info,
                        X509_EXTENSION         *extension)
{
  const ASN1_OCTET_STRING *value = X509_EXTENSION_get_data (extension);
  const unsigned char *p = ASN1_STRING_get0_data (value);
  g_autoptr(ASN1_TYPE) type = d2i_ASN1_TYPE (NULL, &p, ASN1_STRING_length (value));

  if (type == NULL || p != ASN1_STRING_get0_data (value) + ASN1_STRING_length (value) ||
      (type->type != V_ASN1_BMPSTRING && type->type != V_ASN1_UTF8STRING &&
       type->type != V_ASN1_PRINTABLESTRING && type->type != V_ASN1_IA5STRING))
    return FALSE;
  g_free (info->template_name);
  info->template_name = string_to_utf8 (type->value.asn1_string);
  return info->template_name != NULL;
}

static gboolean
take_small_integer (CradleDerSlice *in,
                    gint64         *value)
{
  CradleDerSlice integer;

  if (!cradle_der_take (in, CRADLE_DER_INTEGER, NULL, &integer) ||
      integer.size == 0 || integer.size > 4 || (integer.data[0] & 0x80))
    return FALSE;
  *value = 0;
  for (gsize i = 0; i < integer.size; i++)
    *value = (*value << 8) | integer.data[i];
  return TRUE;
}

/* MS-WCCE 2.2.2.7.7.2: SEQUENCE { templateID OID, major INTEGER OPTIONAL,
 * minor INTEGER OPTIONAL }. */
static gboolean
describe_template_oid (CradleAgentRequestInfo *info,
                       X509_EXTENSION         *extension)
{
  const ASN1_OCTET_STRING *value = X509_EXTENSION_get_data (extension);
  CradleDerSlice in = { ASN1_STRING_get0_data (value), (gsize) ASN1_STRING_length (value) };
  CradleDerSlice sequence;
  CradleDerSlice oid_whole;
  const unsigned char *p;
  g_autoptr(ASN1_OBJECT) oid = NULL;
  char text[256];
  gint64 major = -1;
  gint64 minor = -1;

  if (!cradle_der_take (&in, CRADLE_DER_SEQUENCE, NULL, &sequence) || in.size != 0 ||
      !cradle_der_take (&sequence, CRADLE_DER_OID, &oid_whole, NULL))
    return FALSE;
  if (sequence.size > 0 && !take_small_integer (&sequence, &major))
    return FALSE;
  if (sequence.size > 0 && !take_small_integer (&sequence, &minor))
    return FALSE;
  if (sequence.size != 0)
    return FALSE;
  p = oid_whole.data;
  oid = d2i_ASN1_OBJECT (NULL, &p, (long) oid_whole.size);
  if (oid == NULL || OBJ_obj2txt (text, sizeof text, oid, 1) <= 0)
    return FALSE;
  g_free (info->template_oid);
  if (major >= 0)
    info->template_oid = g_strdup_printf ("%s, version %" G_GINT64_FORMAT ".%" G_GINT64_FORMAT,
                                          text, major, minor >= 0 ? minor : 0);
  else
    info->template_oid = g_strdup (text);
  return TRUE;
}

static gboolean
describe_extensions (CradleAgentRequestInfo *info,
                     CradleDerSlice          values)
{
  while (values.size > 0)
    {
      CradleDerSlice whole;
      const unsigned char *p;
      g_autoptr(X509_EXTENSIONS) extensions = NULL;

      if (!cradle_der_take (&values, CRADLE_DER_SEQUENCE, &whole, NULL))
        return FALSE;
      p = whole.data;
      extensions = d2i_X509_EXTENSIONS (NULL, &p, (long) whole.size);
      if (extensions == NULL || p != whole.data + whole.size)
        return FALSE;
      for (int i = 0; i < sk_X509_EXTENSION_num (extensions); i++)
        {
          X509_EXTENSION *extension = sk_X509_EXTENSION_value (extensions, i);
          char oid[128];
          gboolean ok = TRUE;

          if (OBJ_obj2txt (oid, sizeof oid, X509_EXTENSION_get_object (extension), 1) <= 0)
            return FALSE;
          if (g_str_equal (oid, "2.5.29.17"))
            ok = describe_alt_names (info, extension);
          else if (g_str_equal (oid, "2.5.29.37"))
            ok = describe_extended_key_usages (info, extension);
          else if (g_str_equal (oid, "1.3.6.1.4.1.311.20.2"))
            ok = describe_template_name (info, extension);
          else if (g_str_equal (oid, "1.3.6.1.4.1.311.21.7"))
            ok = describe_template_oid (info, extension);
          if (!ok)
            return FALSE;
        }
    }
  return TRUE;
}

CradleAgentRequestInfo *
cradle_agent_request_info_describe (GBytes  *cri,
                                    GError **error)
{
  g_autoptr(CradleAgentRequestInfo) info = g_new0 (CradleAgentRequestInfo, 1);
  g_autoptr(X509_NAME) name = NULL;
  CradleDerSlice key;
  CradleDerSlice attributes;

  info->upns = g_ptr_array_new_with_free_func (g_free);
  info->mails = g_ptr_array_new_with_free_func (g_free);
  info->dns_names = g_ptr_array_new_with_free_func (g_free);
  info->extended_key_usages = g_ptr_array_new_with_free_func (g_free);
  if (!take_apart (cri, &name, &key, &attributes, error))
    return NULL;
  info->subject = print_name (name, error);
  if (info->subject == NULL)
    return NULL;
  while (attributes.size > 0)
    {
      CradleDerSlice attribute;
      CradleDerSlice oid;
      CradleDerSlice values;

      /* check_attributes() has checked this framing. */
      if (!cradle_der_take (&attributes, CRADLE_DER_SEQUENCE, NULL, &attribute) ||
          !cradle_der_take (&attribute, CRADLE_DER_OID, NULL, &oid) ||
          !cradle_der_take (&attribute, CRADLE_DER_SET, NULL, &values))
        break;
      if (!cradle_der_equal (oid, extension_request_oid, sizeof extension_request_oid))
        continue;
      /* What the device cannot show, it does not sign. */
      if (!describe_extensions (info, values))
        {
          ERR_clear_error ();
          g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                               "The certification request's extensions cannot be read, so they "
                               "cannot be shown to the device's user");
          return NULL;
        }
    }
  return g_steal_pointer (&info);
}
