/* cradle-csr-name.c: RFC 4514 distinguished names to X.509 Names */
#include "config.h"

#include <string.h>
#include <openssl/err.h>
#include <cradle/cradle.h>

#include "csr/cradle-csr-private.h"
#include "base/cradle-openssl-private.h"

/* The attribute types a subject may name: RFC 4514's table, the short forms
 * Windows' CertStrToName writes (E, S, G, T, I), and their long names.
 * Anything else must be written as a dotted OID. */
static const struct {
  const char *keyword;
  int         nid;
} attribute_types[] = {
  { "CN", NID_commonName },
  { "commonName", NID_commonName },
  { "L", NID_localityName },
  { "localityName", NID_localityName },
  { "ST", NID_stateOrProvinceName },
  { "S", NID_stateOrProvinceName },
  { "stateOrProvinceName", NID_stateOrProvinceName },
  { "O", NID_organizationName },
  { "organizationName", NID_organizationName },
  { "OU", NID_organizationalUnitName },
  { "organizationalUnitName", NID_organizationalUnitName },
  { "C", NID_countryName },
  { "countryName", NID_countryName },
  { "STREET", NID_streetAddress },
  { "streetAddress", NID_streetAddress },
  { "DC", NID_domainComponent },
  { "domainComponent", NID_domainComponent },
  { "UID", NID_userId },
  { "userId", NID_userId },
  { "E", NID_pkcs9_emailAddress },
  { "emailAddress", NID_pkcs9_emailAddress },
  { "serialNumber", NID_serialNumber },
  { "SN", NID_surname },
  { "surname", NID_surname },
  { "G", NID_givenName },
  { "GN", NID_givenName },
  { "givenName", NID_givenName },
  { "T", NID_title },
  { "title", NID_title },
  { "I", NID_initials },
  { "initials", NID_initials },
  { "dnQualifier", NID_dnQualifier },
  { "postalCode", NID_postalCode },
  { "description", NID_description },
  { "unstructuredName", NID_pkcs9_unstructuredName },
};

/* Dotted decimal, at least two arcs, no empty arcs or leading zeros, and
 * something OpenSSL accepts (first arc 0 to 2, second below 40 under 0 and 1). */
gboolean
cradle_csr_oid_is_valid (const char *oid)
{
  g_autoptr(ASN1_OBJECT) object = NULL;
  gsize arcs = 1;

  if (oid == NULL || oid[0] == '\0' || strlen (oid) > 256)
    return FALSE;
  for (const char *p = oid; *p != '\0'; p++)
    {
      gboolean arc_start = p == oid || p[-1] == '.';

      if (*p == '.')
        {
          if (arc_start || p[1] == '\0')
            return FALSE;
          arcs++;
        }
      else if (!g_ascii_isdigit (*p) || (arc_start && *p == '0' && g_ascii_isdigit (p[1])))
        return FALSE;
    }
  if (arcs < 2)
    return FALSE;
  object = OBJ_txt2obj (oid, 1);
  ERR_clear_error ();
  return object != NULL;
}

typedef struct {
  const char *text;
  const char *p;
  char       *shown; /* text as valid UTF-8, for messages */
} Reader;

static void
set_syntax_error (GError      **error,
                  const Reader *reader,
                  const char   *what)
{
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
               "The subject \"%s\" is not a distinguished name: %s at position %u. "
               "Write it as RFC 4514 does, most significant part last: CN=alice,OU=Devices,O=Corp",
               reader->shown, what, (guint) (reader->p - reader->text) + 1);
}

static void
skip_spaces (Reader *reader)
{
  while (*reader->p == ' ')
    reader->p++;
}

/* attributeType: a keyword from the table, or a dotted OID. */
static ASN1_OBJECT *
read_type (Reader  *reader,
           char   **type_out,
           GError **error)
{
  const char *start = reader->p;
  g_autofree char *type = NULL;
  ASN1_OBJECT *object;

  while (g_ascii_isalnum (*reader->p) || *reader->p == '-' || *reader->p == '.')
    reader->p++;
  if (reader->p == start)
    {
      set_syntax_error (error, reader, "an attribute type is missing");
      return NULL;
    }
  type = g_strndup (start, reader->p - start);
  skip_spaces (reader);
  if (*reader->p != '=')
    {
      set_syntax_error (error, reader, "\"=\" is missing after an attribute type");
      return NULL;
    }
  reader->p++;

  if (g_ascii_isdigit (type[0]))
    {
      if (!cradle_csr_oid_is_valid (type))
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "The subject \"%s\" names the attribute type \"%s\", which is not a valid OID",
                       reader->shown, type);
          return NULL;
        }
      object = OBJ_txt2obj (type, 1);
    }
  else
    {
      int nid = NID_undef;

      for (gsize i = 0; i < G_N_ELEMENTS (attribute_types); i++)
        if (g_ascii_strcasecmp (type, attribute_types[i].keyword) == 0)
          nid = attribute_types[i].nid;
      if (nid == NID_undef)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "The subject \"%s\" names the attribute type \"%s\", which Cradle does not know. "
                       "Use CN, O, OU, L, ST, C, DC, UID, E, SN, G, T, STREET or serialNumber, "
                       "or write the type as a dotted OID",
                       reader->shown, type);
          return NULL;
        }
      object = OBJ_dup (OBJ_nid2obj (nid));
    }
  if (object == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                   "Could not look up the attribute type \"%s\"", type);
      return NULL;
    }
  *type_out = g_steal_pointer (&type);
  return object;
}

static int
hex_value (char c)
{
  if (g_ascii_isxdigit (c))
    return g_ascii_xdigit_value (c);
  return -1;
}

/* "#" hexstring: the BER encoding of a string value (RFC 4514 2.4). */
static ASN1_TYPE *
read_hex_value (Reader  *reader,
                GError **error)
{
  g_autoptr(GByteArray) bytes = g_byte_array_new ();
  const unsigned char *p;
  ASN1_TYPE *value;

  reader->p++;
  while (hex_value (reader->p[0]) >= 0)
    {
      guint8 byte;

      if (hex_value (reader->p[1]) < 0)
        {
          set_syntax_error (error, reader, "a hex value has an odd number of digits");
          return NULL;
        }
      byte = (guint8) (hex_value (reader->p[0]) << 4 | hex_value (reader->p[1]));
      g_byte_array_append (bytes, &byte, 1);
      reader->p += 2;
    }
  skip_spaces (reader);
  if (bytes->len == 0 || (*reader->p != '\0' && *reader->p != ',' && *reader->p != '+'))
    {
      set_syntax_error (error, reader, "a \"#\" value is not hex digits");
      return NULL;
    }

  p = bytes->data;
  value = d2i_ASN1_TYPE (NULL, &p, bytes->len);
  if (value == NULL || p != bytes->data + bytes->len)
    {
      g_autofree char *openssl_error = cradle_openssl_dup_errors ();

      ASN1_TYPE_free (value);
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The subject \"%s\" has a \"#\" value that is not one DER element (%s)",
                   reader->shown, openssl_error != NULL ? openssl_error : "trailing bytes");
      return NULL;
    }
  switch (value->type)
    {
    case V_ASN1_UTF8STRING:
    case V_ASN1_PRINTABLESTRING:
    case V_ASN1_IA5STRING:
    case V_ASN1_T61STRING:
    case V_ASN1_BMPSTRING:
    case V_ASN1_UNIVERSALSTRING:
    case V_ASN1_VISIBLESTRING:
    case V_ASN1_NUMERICSTRING:
      return value;
    default:
      ASN1_TYPE_free (value);
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The subject \"%s\" has a \"#\" value that is not a string", reader->shown);
      return NULL;
    }
}

/* A string value up to an unescaped "," or "+" or the end. Unescaped spaces
 * at its end are dropped (the caller skips those before it), as most
 * writers of DNs expect. */
static GByteArray *
read_string_value (Reader  *reader,
                   GError **error)
{
  g_autoptr(GByteArray) value = g_byte_array_new ();
  gsize kept = 0;

  while (*reader->p != '\0' && *reader->p != ',' && *reader->p != '+')
    {
      guint8 byte = (guint8) *reader->p;

      if (byte == '\\')
        {
          reader->p++;
          if (hex_value (reader->p[0]) >= 0 && hex_value (reader->p[1]) >= 0)
            {
              byte = (guint8) (hex_value (reader->p[0]) << 4 | hex_value (reader->p[1]));
              reader->p += 2;
            }
          else if (*reader->p != '\0' && strchr (" \"#+,;<=>\\", *reader->p) != NULL)
            byte = (guint8) *reader->p++;
          else
            {
              set_syntax_error (error, reader, "\"\\\" is followed by neither a special character nor two hex digits");
              return NULL;
            }
          if (byte == '\0')
            {
              set_syntax_error (error, reader, "a value holds a NUL character");
              return NULL;
            }
          g_byte_array_append (value, &byte, 1);
          kept = value->len;
          continue;
        }
      if (strchr ("\";<>", byte) != NULL)
        {
          set_syntax_error (error, reader, "a special character is not escaped with \"\\\"");
          return NULL;
        }
      reader->p++;
      g_byte_array_append (value, &byte, 1);
      if (byte != ' ')
        kept = value->len;
    }
  g_byte_array_set_size (value, kept);

  if (value->len == 0)
    {
      set_syntax_error (error, reader, "a value is empty");
      return NULL;
    }
  if (!g_utf8_validate ((const char *) value->data, value->len, NULL))
    {
      set_syntax_error (error, reader, "a value is not UTF-8");
      return NULL;
    }
  return g_steal_pointer (&value);
}

static gboolean
add_entry (X509_NAME    *name,
           ASN1_OBJECT  *object,
           const char   *type,
           GByteArray   *string,
           ASN1_TYPE    *hex,
           gboolean      new_rdn,
           const Reader *reader,
           GError      **error)
{
  int added;

  if (hex != NULL)
    added = X509_NAME_add_entry_by_OBJ (name, object, hex->type, hex->value.asn1_string->data,
                                        hex->value.asn1_string->length, -1, new_rdn ? 0 : -1);
  else
    added = X509_NAME_add_entry_by_OBJ (name, object, MBSTRING_UTF8, string->data, (int) string->len,
                                        -1, new_rdn ? 0 : -1);
  if (!added)
    {
      g_autofree char *openssl_error = cradle_openssl_dup_errors ();

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The subject \"%s\" has a %s value that X.509 does not allow there "
                   "(too long, too short, or characters its string type cannot hold: %s)",
                   reader->shown, type, openssl_error != NULL ? openssl_error : "unknown error");
      return FALSE;
    }
  return TRUE;
}

/* One attribute of the name, as parsed, before it joins the X.509 Name. */
typedef struct {
  ASN1_OBJECT *object;
  char        *type;
  GByteArray  *string;
  ASN1_TYPE   *hex;
  gboolean     new_rdn;
} Entry;

static void
entry_free (Entry *entry)
{
  ASN1_OBJECT_free (entry->object);
  g_free (entry->type);
  g_clear_pointer (&entry->string, g_byte_array_unref);
  ASN1_TYPE_free (entry->hex);
  g_free (entry);
}

/**
 * cradle_csr_name_from_string:
 * @text: (nullable): an RFC 4514 string, most significant RDN last
 *
 * %NULL or "" give an empty Name (it encodes as 30 00). Multi-valued RDNs
 * are joined with "+". Values are UTF-8 with the escapes of RFC 4514
 * (\, \+ \" \\ \2C …) or "#" and the hex of a DER string.
 *
 * Returns: (transfer full): the Name in X.509 order, most significant first
 */
X509_NAME *
cradle_csr_name_from_string (const char  *text,
                             GError     **error)
{
  g_autoptr(X509_NAME) name = X509_NAME_new ();
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);
  g_autofree char *shown = NULL;
  Reader reader;
  gboolean new_rdn = TRUE;

  if (name == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_FAILED, "Could not allocate a Name");
      return NULL;
    }
  if (text == NULL || text[0] == '\0')
    return g_steal_pointer (&name);
  if (strlen (text) > CRADLE_CSR_MAX_SUBJECT_LENGTH)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "A subject of %" G_GSIZE_FORMAT " bytes is too long (at most %d)",
                   strlen (text), CRADLE_CSR_MAX_SUBJECT_LENGTH);
      return NULL;
    }
  shown = g_utf8_make_valid (text, -1);
  reader = (Reader) { text, text, shown };

  for (;;)
    {
      Entry *entry = g_new0 (Entry, 1);

      g_ptr_array_add (entries, entry);
      entry->new_rdn = new_rdn;
      skip_spaces (&reader);
      entry->object = read_type (&reader, &entry->type, error);
      if (entry->object == NULL)
        return NULL;
      skip_spaces (&reader);
      if (*reader.p == '#')
        entry->hex = read_hex_value (&reader, error);
      else
        entry->string = read_string_value (&reader, error);
      if (entry->hex == NULL && entry->string == NULL)
        return NULL;

      if (*reader.p == '\0')
        break;
      new_rdn = *reader.p == ',';
      reader.p++;
    }

  /* RFC 4514 writes the most significant RDN last; X.509 stores it first.
   * Walk the RDNs from the end, each one's values in their own order. */
  for (guint end = entries->len; end > 0;)
    {
      guint start = end - 1;

      while (!((Entry *) entries->pdata[start])->new_rdn)
        start--;
      for (guint i = start; i < end; i++)
        {
          Entry *entry = entries->pdata[i];

          if (!add_entry (name, entry->object, entry->type, entry->string, entry->hex,
                          i == start, &reader, error))
            return NULL;
        }
      end = start;
    }
  return g_steal_pointer (&name);
}
