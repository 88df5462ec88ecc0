/* cradle-template.c: a certificate template as AD CS publishes it
 *
 * Every value comes from the directory and is checked here: numbers must be
 * numbers, periods eight bytes, the CNG policy string well formed.
 */
#include "config.h"

#include <string.h>

#include "catalog/cradle-template-private.h"

struct _CradleTemplate
{
  GObject parent_instance;

  /* Owned */
  char    *name;
  char    *display_name;
  char    *dn;
  char    *oid;
  GStrv    extended_key_usages;
  GStrv    application_policies;
  GStrv    critical_extensions;
  char    *cng_algorithm;
  char    *cng_hash;
  GBytes  *security_descriptor;

  guint    schema_version;
  guint    major_revision;
  guint    minor_revision;
  guint32  flags;
  guint32  enrollment_flags;
  guint32  name_flags;
  guint32  private_key_flags;
  guint    minimal_key_size;
  guint    ra_signatures;
  guint    key_usage;
  guint64  validity_seconds;
  guint64  renewal_seconds;
};

G_DEFINE_FINAL_TYPE (CradleTemplate, cradle_template, G_TYPE_OBJECT)

/* Security descriptors of real templates are a few hundred bytes. */
#define MAX_SECURITY_DESCRIPTOR_SIZE (64 * 1024)

const char *cradle_template_ldap_attributes[] = {
  "cn", "displayName", "flags", "revision",
  "msPKI-Template-Schema-Version", "msPKI-Template-Minor-Revision", "msPKI-Cert-Template-OID",
  "msPKI-Enrollment-Flag", "msPKI-Certificate-Name-Flag", "msPKI-Private-Key-Flag",
  "msPKI-Minimal-Key-Size", "msPKI-RA-Signature", "msPKI-RA-Application-Policies",
  "msPKI-Certificate-Application-Policy", "pKIExtendedKeyUsage", "pKIKeyUsage",
  "pKICriticalExtensions", "pKIExpirationPeriod", "pKIOverlapPeriod", "nTSecurityDescriptor",
  NULL
};

static void
cradle_template_finalize (GObject *object)
{
  CradleTemplate *self = CRADLE_TEMPLATE (object);

  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->display_name, g_free);
  g_clear_pointer (&self->dn, g_free);
  g_clear_pointer (&self->oid, g_free);
  g_clear_pointer (&self->extended_key_usages, g_strfreev);
  g_clear_pointer (&self->application_policies, g_strfreev);
  g_clear_pointer (&self->critical_extensions, g_strfreev);
  g_clear_pointer (&self->cng_algorithm, g_free);
  g_clear_pointer (&self->cng_hash, g_free);
  g_clear_pointer (&self->security_descriptor, g_bytes_unref);

  G_OBJECT_CLASS (cradle_template_parent_class)->finalize (object);
}

static void
cradle_template_class_init (CradleTemplateClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cradle_template_finalize;
}

static void
cradle_template_init (CradleTemplate *self)
{
}

char *
cradle_template_policy_lookup (const char *policies,
                               const char *name)
{
  g_auto(GStrv) fields = NULL;
  guint count;

  if (policies == NULL)
    return NULL;
  fields = g_strsplit (policies, "`", -1);
  count = g_strv_length (fields);
  /* A trailing backtick leaves one empty field: ignore it. */
  for (guint i = 0; i + 2 < count; i += 3)
    if (g_str_equal (fields[i], name))
      return g_strdup (fields[i + 2]);
  return NULL;
}

/* pKIExpirationPeriod and pKIOverlapPeriod: a FILETIME interval, a
 * little-endian int64 of 100 ns units, stored negative (MS-CRTD 2.11,
 * 2.15): 00 40 39 87 2E E1 FE FF is 365 days. */
gboolean
cradle_template_decode_period (const guint8  *data,
                               gsize          size,
                               guint64       *seconds)
{
  gint64 ticks;

  *seconds = 0;
  if (size != sizeof ticks)
    return FALSE;
  memcpy (&ticks, data, sizeof ticks);
  ticks = GINT64_FROM_LE (ticks);
  if (ticks == G_MININT64)
    ticks = G_MAXINT64;
  *seconds = (guint64) ABS (ticks) / 10000000u;
  return TRUE;
}

static gboolean
read_period (const CradleLdapEntry  *entry,
             const char             *attribute,
             guint64                *seconds,
             GError                **error)
{
  g_autoptr(GBytes) value = NULL;

  *seconds = 0;
  if (!cradle_ldap_entry_dup_binary (entry, attribute, 64, &value, error))
    return FALSE;
  if (value == NULL)
    return TRUE;
  if (!cradle_template_decode_period (g_bytes_get_data (value, NULL), g_bytes_get_size (value), seconds))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s is %lu bytes long, not 8", attribute,
                   (unsigned long) g_bytes_get_size (value));
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_key_usage (const CradleLdapEntry  *entry,
                guint                  *key_usage,
                GError                **error)
{
  g_autoptr(GBytes) value = NULL;
  const guint8 *bytes;
  gsize size;

  *key_usage = 0;
  if (!cradle_ldap_entry_dup_binary (entry, "pKIKeyUsage", 64, &value, error))
    return FALSE;
  if (value == NULL)
    return TRUE;
  bytes = g_bytes_get_data (value, &size);
  if (size > 2)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "pKIKeyUsage is %lu bytes long, not 1 or 2", (unsigned long) size);
      return FALSE;
    }
  if (size > 0)
    *key_usage = bytes[0];
  if (size > 1)
    *key_usage |= (guint) bytes[1] << 8;
  return TRUE;
}

static gboolean
read_small_number (const CradleLdapEntry  *entry,
                   const char             *attribute,
                   guint                   maximum,
                   guint                  *out,
                   GError                **error)
{
  guint32 value;

  if (!cradle_ldap_entry_get_int32 (entry, attribute, 0, &value, error))
    return FALSE;
  if (value > maximum)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s is %u, more than the %u it can be", attribute, value, maximum);
      return FALSE;
    }
  *out = value;
  return TRUE;
}

static gboolean
read_attributes (CradleTemplate         *self,
                 const CradleLdapEntry  *entry,
                 GError                **error)
{
  g_autofree char *policies = NULL;

  if (!cradle_ldap_entry_dup_string (entry, "displayName", &self->display_name, error) ||
      !cradle_ldap_entry_dup_string (entry, "msPKI-Cert-Template-OID", &self->oid, error) ||
      !read_small_number (entry, "msPKI-Template-Schema-Version", 4, &self->schema_version, error) ||
      !read_small_number (entry, "revision", G_MAXINT32, &self->major_revision, error) ||
      !read_small_number (entry, "msPKI-Template-Minor-Revision", G_MAXINT32, &self->minor_revision, error) ||
      !cradle_ldap_entry_get_int32 (entry, "flags", 0, &self->flags, error) ||
      !cradle_ldap_entry_get_int32 (entry, "msPKI-Enrollment-Flag", 0, &self->enrollment_flags, error) ||
      !cradle_ldap_entry_get_int32 (entry, "msPKI-Certificate-Name-Flag", 0, &self->name_flags, error) ||
      !cradle_ldap_entry_get_int32 (entry, "msPKI-Private-Key-Flag", 0, &self->private_key_flags, error) ||
      !read_small_number (entry, "msPKI-Minimal-Key-Size", 16384, &self->minimal_key_size, error) ||
      !read_small_number (entry, "msPKI-RA-Signature", 16, &self->ra_signatures, error) ||
      !read_key_usage (entry, &self->key_usage, error) ||
      !read_period (entry, "pKIExpirationPeriod", &self->validity_seconds, error) ||
      !read_period (entry, "pKIOverlapPeriod", &self->renewal_seconds, error) ||
      !cradle_ldap_entry_dup_strings (entry, "pKIExtendedKeyUsage", &self->extended_key_usages, error) ||
      !cradle_ldap_entry_dup_strings (entry, "msPKI-Certificate-Application-Policy",
                                      &self->application_policies, error) ||
      !cradle_ldap_entry_dup_strings (entry, "pKICriticalExtensions", &self->critical_extensions, error) ||
      !cradle_ldap_entry_dup_binary (entry, "nTSecurityDescriptor", MAX_SECURITY_DESCRIPTOR_SIZE,
                                     &self->security_descriptor, error))
    return FALSE;

  /* Version 1 templates predate the attribute. */
  if (self->schema_version == 0)
    self->schema_version = 1;

  /* On version 3 and 4 templates this attribute is the CNG policy; on
   * earlier ones it lists RA application policies instead. */
  if (self->schema_version >= 3)
    {
      if (!cradle_ldap_entry_dup_string (entry, "msPKI-RA-Application-Policies", &policies, error))
        return FALSE;
      self->cng_algorithm = cradle_template_policy_lookup (policies, "msPKI-Asymmetric-Algorithm");
      self->cng_hash = cradle_template_policy_lookup (policies, "msPKI-Hash-Algorithm");
    }
  return TRUE;
}

/**
 * cradle_template_new_from_entry:
 *
 * Returns: (transfer full): the template, or %NULL with @error saying which
 *   attribute of which template is malformed
 */
CradleTemplate *
cradle_template_new_from_entry (const CradleLdapEntry  *entry,
                                GError                **error)
{
  g_autoptr(CradleTemplate) self = g_object_new (CRADLE_TYPE_TEMPLATE, NULL);
  g_autoptr(GError) local_error = NULL;

  self->dn = g_strdup (cradle_ldap_entry_get_dn (entry));
  if (!cradle_ldap_entry_dup_string (entry, "cn", &self->name, error))
    return NULL;
  if (self->name == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The certificate template %s has no name (cn). "
                   "Ask an administrator to repair it.", self->dn != NULL ? self->dn : "?");
      return NULL;
    }
  if (!read_attributes (self, entry, &local_error))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The certificate template %s is damaged in the directory: %s. "
                   "Ask an administrator to repair it.", self->name, local_error->message);
      return NULL;
    }
  return g_steal_pointer (&self);
}

GBytes *
cradle_template_get_security_descriptor (CradleTemplate *self)
{
  g_return_val_if_fail (CRADLE_IS_TEMPLATE (self), NULL);
  return self->security_descriptor;
}

#define GETTER(type, field)                                     \
  type                                                          \
  cradle_template_get_##field (CradleTemplate *self)            \
  {                                                             \
    g_return_val_if_fail (CRADLE_IS_TEMPLATE (self), 0);        \
    return self->field;                                         \
  }

GETTER (const char *, name)
GETTER (const char *, display_name)
GETTER (const char *, dn)
GETTER (const char *, oid)
GETTER (guint, schema_version)
GETTER (guint, major_revision)
GETTER (guint, minor_revision)
GETTER (guint32, flags)
GETTER (guint32, enrollment_flags)
GETTER (guint32, name_flags)
GETTER (guint32, private_key_flags)
GETTER (guint, minimal_key_size)
GETTER (guint, ra_signatures)
GETTER (guint, key_usage)
GETTER (const char *, cng_algorithm)
GETTER (const char *, cng_hash)
GETTER (guint64, validity_seconds)
GETTER (guint64, renewal_seconds)

const char * const *
cradle_template_get_extended_key_usages (CradleTemplate *self)
{
  g_return_val_if_fail (CRADLE_IS_TEMPLATE (self), NULL);
  return (const char * const *) self->extended_key_usages;
}

const char * const *
cradle_template_get_application_policies (CradleTemplate *self)
{
  g_return_val_if_fail (CRADLE_IS_TEMPLATE (self), NULL);
  return (const char * const *) self->application_policies;
}

const char * const *
cradle_template_get_critical_extensions (CradleTemplate *self)
{
  g_return_val_if_fail (CRADLE_IS_TEMPLATE (self), NULL);
  return (const char * const *) self->critical_extensions;
}
