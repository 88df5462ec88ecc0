/* cradle-template-extension.c: the template a certificate names (MS-WCCE 2.2.2.7.7)
 *
 * AD CS writes the template into what it issues: version 2 and later
 * templates as szOID_CERTIFICATE_TEMPLATE (1.3.6.1.4.1.311.21.7: SEQUENCE
 * { OID, major INTEGER OPTIONAL, minor INTEGER OPTIONAL }), version 1 as
 * szOID_ENROLL_CERTTYPE_EXTENSION (1.3.6.1.4.1.311.20.2: the cn as a
 * BMPString).  Both are read through the bounded DER reader.
 */
#include "config.h"

#include "lifecycle/cradle-lifecycle-private.h"
#include "protocol/cradle-der-private.h"

#define TEMPLATE_OID "1.3.6.1.4.1.311.21.7"
#define TEMPLATE_NAME_OID "1.3.6.1.4.1.311.20.2"
#define MAX_NAME 256

#define DER_UTF8_STRING 0x0c
#define DER_IA5_STRING  0x16
#define DER_BMP_STRING  0x1e

static gboolean
get_extension (const STACK_OF (X509_EXTENSION) *extensions,
               const char                      *dotted,
               CradleDerSlice                  *value)
{
  g_autoptr(ASN1_OBJECT) object = OBJ_txt2obj (dotted, 1);
  int index;
  const ASN1_OCTET_STRING *data;

  if (object == NULL)
    return FALSE;
  index = X509v3_get_ext_by_OBJ (extensions, object, -1);
  if (index < 0)
    return FALSE;
  data = X509_EXTENSION_get_data (X509v3_get_ext (extensions, index));
  *value = (CradleDerSlice) { ASN1_STRING_get0_data (data), (gsize) ASN1_STRING_length (data) };
  return TRUE;
}

static char *
dup_oid (CradleDerSlice whole)
{
  const unsigned char *p = whole.data;
  g_autoptr(ASN1_OBJECT) object = d2i_ASN1_OBJECT (NULL, &p, (long) whole.size);
  char text[128];
  int length;

  if (object == NULL || p != whole.data + whole.size)
    return NULL;
  length = OBJ_obj2txt (text, sizeof text, object, 1);
  if (length <= 0 || length >= (int) sizeof text)
    return NULL;
  return g_strdup (text);
}

static char *
read_template_oid (const STACK_OF (X509_EXTENSION) *cert,
                   guint                           *major_version)
{
  CradleDerSlice extension, sequence, whole, value, rest;
  char *oid;

  if (!get_extension (cert, TEMPLATE_OID, &extension) ||
      !cradle_der_take (&extension, CRADLE_DER_SEQUENCE, NULL, &sequence) || extension.size != 0 ||
      !cradle_der_take (&sequence, CRADLE_DER_OID, &whole, NULL))
    return NULL;
  oid = dup_oid (whole);
  rest = sequence;
  *major_version = 0;
  if (cradle_der_take (&rest, CRADLE_DER_INTEGER, NULL, &value) && value.size >= 1 && value.size <= 4 &&
      (value.data[0] & 0x80) == 0)
    {
      guint number = 0;

      for (gsize i = 0; i < value.size; i++)
        number = (number << 8) | value.data[i];
      *major_version = number;
    }
  return oid;
}

static char *
read_template_name (const STACK_OF (X509_EXTENSION) *cert)
{
  CradleDerSlice extension, value;
  g_autofree char *name = NULL;
  guint8 tag;

  if (!get_extension (cert, TEMPLATE_NAME_OID, &extension) ||
      !cradle_der_take_any (&extension, &tag, NULL, &value) || extension.size != 0 ||
      value.size == 0 || value.size > MAX_NAME * 2)
    return NULL;
  switch (tag)
    {
    case DER_BMP_STRING:
      {
        g_autofree gunichar2 *units = NULL;

        if (value.size % 2 != 0)
          return NULL;
        units = g_new (gunichar2, value.size / 2);
        for (gsize i = 0; i < value.size / 2; i++)
          units[i] = (gunichar2) ((value.data[2 * i] << 8) | value.data[2 * i + 1]);
        name = g_utf16_to_utf8 (units, (glong) (value.size / 2), NULL, NULL, NULL);
        break;
      }
    case DER_UTF8_STRING:
    case CRADLE_DER_PRINTABLE_STRING:
    case DER_IA5_STRING:
      name = g_strndup ((const char *) value.data, value.size);
      if (strlen (name) != value.size || !g_utf8_validate (name, -1, NULL))
        return NULL;
      break;
    default:
      return NULL;
    }
  if (name == NULL || *name == '\0')
    return NULL;
  return g_steal_pointer (&name);
}

void
cradle_template_extension_read (const STACK_OF (X509_EXTENSION) *cert,
                                char                           **oid,
                                guint                           *major_version,
                                char                           **name)
{
  *major_version = 0;
  *oid = read_template_oid (cert, major_version);
  *name = read_template_name (cert);
  ERR_clear_error ();
}
