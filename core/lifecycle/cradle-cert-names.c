/* cradle-cert-names.c: what a certificate's names and extensions say, for people
 *
 * Subject alternative names of every kind, extended key usages by name,
 * key usage bits, basicConstraints, and distinguished names.  The
 * certificate comes from a device, so it is hostile: the extensions are
 * decoded by OpenSSL within the outline reader's 64 KiB, at most @max
 * names are kept, and every value is escaped (cradle_text_escape()) from
 * its own bytes: a NUL, a control, an ESC sequence or bytes that are not
 * UTF-8 in a name come out visible, never acted on, never cut short.
 */
#include "config.h"

#include <arpa/inet.h>
#include <openssl/x509v3.h>

#include "lifecycle/cradle-lifecycle-private.h"

#define UPN_OID "1.3.6.1.4.1.311.20.2.3"
#define MAX_EKUS 64

static const struct {
  const char *oid;
  const char *name;
} known_ekus[] = {
  { "1.3.6.1.5.5.7.3.1", "Server Authentication" },
  { "1.3.6.1.5.5.7.3.2", "Client Authentication" },
  { "1.3.6.1.5.5.7.3.3", "Code Signing" },
  { "1.3.6.1.5.5.7.3.4", "Secure Email" },
  { "1.3.6.1.5.5.7.3.5", "IP Security End System" },
  { "1.3.6.1.5.5.7.3.6", "IP Security Tunnel Termination" },
  { "1.3.6.1.5.5.7.3.7", "IP Security User" },
  { "1.3.6.1.5.5.7.3.8", "Time Stamping" },
  { "1.3.6.1.5.5.7.3.9", "OCSP Signing" },
  { "1.3.6.1.5.5.7.3.17", "IP Security IKE Intermediate" },
  { "1.3.6.1.5.5.8.2.2", "IP Security IKE Intermediate (IKE)" },
  { "1.3.6.1.5.2.3.4", "PKINIT Client Authentication" },
  { "1.3.6.1.5.2.3.5", "KDC Authentication" },
  { "1.3.6.1.4.1.311.20.2.1", "Certificate Request Agent" },
  { "1.3.6.1.4.1.311.20.2.2", "Smart Card Logon" },
  { "1.3.6.1.4.1.311.10.3.1", "Microsoft Trust List Signing" },
  { "1.3.6.1.4.1.311.10.3.4", "Encrypting File System" },
  { "1.3.6.1.4.1.311.10.3.4.1", "File Recovery" },
  { "1.3.6.1.4.1.311.10.3.12", "Document Signing" },
  { "1.3.6.1.4.1.311.21.5", "Private Key Archival" },
  { "1.3.6.1.4.1.311.21.6", "Key Recovery Agent" },
  { "2.5.29.37.0", "Any Purpose" },
};

/* RFC 5280 4.2.1.3, bit by bit. */
static const char *const key_usage_bits[] = {
  "digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment",
  "keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly",
};

static void
add_problem (GPtrArray  *problems,
             const char *format,
             ...) G_GNUC_PRINTF (2, 3);

static void
add_problem (GPtrArray  *problems,
             const char *format,
             ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (problems, g_strdup_vprintf (format, args));
  va_end (args);
}

/* The extension @nid decoded, or %NULL: absent (*@present FALSE), or
 * malformed or repeated (a problem added). */
static void *
get_extension (const STACK_OF (X509_EXTENSION) *extensions,
               int                              nid,
               const char                      *what,
               GPtrArray                       *problems)
{
  int critical = -1;
  void *decoded;

  if (extensions == NULL)
    return NULL;
  decoded = X509V3_get_d2i (extensions, nid, &critical, NULL);
  if (decoded == NULL && critical == -2)
    add_problem (problems, "The certificate has more than one %s extension; none is shown.", what);
  else if (decoded == NULL && critical >= 0)
    add_problem (problems, "The certificate's %s extension is malformed; it is not shown.", what);
  ERR_clear_error ();
  return decoded;
}

static char *
escape_string (const ASN1_STRING *string)
{
  return cradle_text_escape ((const char *) ASN1_STRING_get0_data (string), ASN1_STRING_length (string),
                             CRADLE_TEXT_ESCAPE_DEFAULT);
}

/* Dotted, or a placeholder for an OID too long to be one anyone uses. */
static char *
dup_oid (const ASN1_OBJECT *object)
{
  char text[128];
  int length = OBJ_obj2txt (text, sizeof text, object, 1);

  if (length <= 0 || length >= (int) sizeof text)
    return g_strdup ("(an OID too long to show)");
  return g_strdup (text);
}

/* An ASN.1 string's text as UTF-8 when it is BMP or Universal, its own
 * bytes otherwise; escaped either way. */
static char *
escape_name_value (const ASN1_STRING *value)
{
  int type = ASN1_STRING_type (value);

  if (type == V_ASN1_BMPSTRING || type == V_ASN1_UNIVERSALSTRING)
    {
      unsigned char *utf8 = NULL;
      int length = ASN1_STRING_to_UTF8 (&utf8, value);

      ERR_clear_error ();
      if (length >= 0)
        {
          char *escaped = cradle_text_escape ((const char *) utf8, length, CRADLE_TEXT_ESCAPE_DEFAULT);

          OPENSSL_free (utf8);
          return escaped;
        }
    }
  return escape_string (value);
}

char *
cradle_cert_names_dup_name (const X509_NAME *name)
{
  g_autoptr(GString) text = g_string_new (NULL);
  int count = name != NULL ? X509_NAME_entry_count (name) : 0;
  int previous_set = -1;

  for (int i = 0; i < count; i++)
    {
      const X509_NAME_ENTRY *entry = X509_NAME_get_entry (name, i);
      const ASN1_OBJECT *object = X509_NAME_ENTRY_get_object (entry);
      int nid = OBJ_obj2nid (object);
      g_autofree char *oid = nid == NID_undef ? dup_oid (object) : NULL;
      g_autofree char *value = escape_name_value (X509_NAME_ENTRY_get_data (entry));
      int set = X509_NAME_ENTRY_set (entry);

      if (i > 0)
        g_string_append (text, set == previous_set ? " + " : ", ");
      g_string_append_printf (text, "%s = %s", oid != NULL ? oid : OBJ_nid2sn (nid), value);
      previous_set = set;
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static char *
describe_ip (const ASN1_OCTET_STRING *address)
{
  const unsigned char *data = ASN1_STRING_get0_data (address);
  int length = ASN1_STRING_length (address);
  char text[INET6_ADDRSTRLEN];

  if ((length == 4 && inet_ntop (AF_INET, data, text, sizeof text) != NULL) ||
      (length == 16 && inet_ntop (AF_INET6, data, text, sizeof text) != NULL))
    return g_strdup_printf ("IP:%s", text);
  /* Name constraints carry address and mask; a SAN has no business doing so. */
  return g_strdup_printf ("IP:(malformed, %d bytes)", length);
}

static char *
describe_other_name (const OTHERNAME *other)
{
  g_autofree char *oid = dup_oid (other->type_id);

  if (g_str_equal (oid, UPN_OID))
    {
      g_autofree char *value = NULL;

      if (other->value == NULL || other->value->type != V_ASN1_UTF8STRING)
        return g_strdup ("UPN:(not a UTF8String)");
      value = escape_string (other->value->value.utf8string);
      return g_strdup_printf ("UPN:%s", value);
    }
  return g_strdup_printf ("otherName:%s", oid);
}

static char *
describe_general_name (const GENERAL_NAME *name)
{
  g_autofree char *value = NULL;

  switch (name->type)
    {
    case GEN_DNS:
      value = escape_string (name->d.dNSName);
      return g_strdup_printf ("DNS:%s", value);
    case GEN_EMAIL:
      value = escape_string (name->d.rfc822Name);
      return g_strdup_printf ("email:%s", value);
    case GEN_URI:
      value = escape_string (name->d.uniformResourceIdentifier);
      return g_strdup_printf ("URI:%s", value);
    case GEN_IPADD:
      return describe_ip (name->d.iPAddress);
    case GEN_OTHERNAME:
      return describe_other_name (name->d.otherName);
    case GEN_DIRNAME:
      value = cradle_cert_names_dup_name (name->d.directoryName);
      return g_strdup_printf ("DirName:%s", value);
    case GEN_RID:
      value = dup_oid (name->d.registeredID);
      return g_strdup_printf ("RID:%s", value);
    case GEN_X400:
      return g_strdup ("X400Name");
    case GEN_EDIPARTY:
      return g_strdup ("EdiPartyName");
    default:
      return g_strdup ("(a name of an unknown kind)");
    }
}

void
cradle_cert_names_read_sans (const STACK_OF (X509_EXTENSION) *extensions,
                             guint                            max,
                             GPtrArray                       *out,
                             guint                           *omitted,
                             GPtrArray                       *problems)
{
  GENERAL_NAMES *names = get_extension (extensions, NID_subject_alt_name, "subject alternative name", problems);
  int count = names != NULL ? sk_GENERAL_NAME_num (names) : 0;

  *omitted = 0;
  for (int i = 0; i < count; i++)
    {
      if ((guint) i >= max)
        {
          *omitted = (guint) (count - i);
          break;
        }
      g_ptr_array_add (out, describe_general_name (sk_GENERAL_NAME_value (names, i)));
    }
  GENERAL_NAMES_free (names);
}

void
cradle_cert_names_read_ekus (const STACK_OF (X509_EXTENSION) *extensions,
                             GPtrArray                       *out,
                             GPtrArray                       *problems)
{
  EXTENDED_KEY_USAGE *usages = get_extension (extensions, NID_ext_key_usage, "extended key usage", problems);
  int count = usages != NULL ? sk_ASN1_OBJECT_num (usages) : 0;

  for (int i = 0; i < count && i < MAX_EKUS; i++)
    {
      g_autofree char *oid = dup_oid (sk_ASN1_OBJECT_value (usages, i));
      const char *known = NULL;

      for (gsize k = 0; k < G_N_ELEMENTS (known_ekus) && known == NULL; k++)
        if (g_str_equal (oid, known_ekus[k].oid))
          known = known_ekus[k].name;
      g_ptr_array_add (out, known != NULL ? g_strdup_printf ("%s (%s)", known, oid) : g_steal_pointer (&oid));
    }
  if (count > MAX_EKUS)
    add_problem (problems, "The certificate names %d extended key usages; the first %d are shown.", count,
                 MAX_EKUS);
  EXTENDED_KEY_USAGE_free (usages);
}

void
cradle_cert_names_read_key_usage (const STACK_OF (X509_EXTENSION) *extensions,
                                  GPtrArray                       *out,
                                  GPtrArray                       *problems)
{
  ASN1_BIT_STRING *usage = get_extension (extensions, NID_key_usage, "key usage", problems);

  if (usage == NULL)
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (key_usage_bits); i++)
    if (ASN1_BIT_STRING_get_bit (usage, (int) i))
      g_ptr_array_add (out, g_strdup (key_usage_bits[i]));
  ASN1_BIT_STRING_free (usage);
}

gboolean
cradle_cert_names_read_is_ca (const STACK_OF (X509_EXTENSION) *extensions)
{
  int critical = -1;
  BASIC_CONSTRAINTS *constraints = extensions != NULL
    ? X509V3_get_d2i (extensions, NID_basic_constraints, &critical, NULL) : NULL;
  gboolean is_ca = constraints != NULL && constraints->ca;

  BASIC_CONSTRAINTS_free (constraints);
  ERR_clear_error ();
  return is_ca;
}
