/* cradle-ldap-entry.c: a directory object as read, apart from its connection */
#include "config.h"

#include "directory/cradle-ldap-entry-private.h"
#include "directory/cradle-ldap-private.h"

#include <cradle/cradle-error.h>

/* The most one entry may hold in all, whatever its attributes. */
#define MAX_ENTRY_SIZE (16 * 1024 * 1024)

struct _CradleLdapEntry
{
  gatomicrefcount  ref_count;
  char            *dn;
  GHashTable      *attributes;   /* lower-case name → GPtrArray of GBytes */
  gsize            size;
};

static CradleLdapEntry *
entry_new (const char *dn)
{
  CradleLdapEntry *self = g_new0 (CradleLdapEntry, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->dn = g_strdup (dn);
  self->attributes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) g_ptr_array_unref);
  return self;
}

CradleLdapEntry *
cradle_ldap_entry_ref (CradleLdapEntry *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
cradle_ldap_entry_unref (CradleLdapEntry *self)
{
  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_hash_table_unref (self->attributes);
  g_free (self->dn);
  g_free (self);
}

const char *
cradle_ldap_entry_get_dn (const CradleLdapEntry *self)
{
  return self->dn;
}

/* Attribute names are case-insensitive: "CN" and "cn" are one attribute. */
static GPtrArray *
values_for (CradleLdapEntry  *self,
            const char       *attribute,
            GError          **error)
{
  g_autofree char *key = g_ascii_strdown (attribute, -1);
  GPtrArray *values = g_hash_table_lookup (self->attributes, key);

  if (values != NULL)
    return values;
  if (g_hash_table_size (self->attributes) >= CRADLE_LDAP_MAX_VALUES)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The directory entry %s has more than %d attributes", self->dn, CRADLE_LDAP_MAX_VALUES);
      return NULL;
    }
  values = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_hash_table_insert (self->attributes, g_steal_pointer (&key), values);
  return values;
}

static gboolean
add_value (CradleLdapEntry  *self,
           GPtrArray        *values,
           const char       *attribute,
           const void       *data,
           gsize             size,
           GError          **error)
{
  if (values->len >= CRADLE_LDAP_MAX_VALUES)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The directory attribute %s has more than %d values", attribute, CRADLE_LDAP_MAX_VALUES);
      return FALSE;
    }
  if (size > MAX_ENTRY_SIZE - self->size)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The directory entry %s holds more than %d MiB", self->dn, MAX_ENTRY_SIZE / (1024 * 1024));
      return FALSE;
    }
  self->size += size;
  g_ptr_array_add (values, g_bytes_new (data, size));
  return TRUE;
}

static void
ber_free_all (BerElement *ber)
{
  sym_ber_free (ber, 0);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BerElement, ber_free_all)

/* Reads the entry in one pass: ldap_get_attribute_ber() hands each
 * attribute's values as it walks the message, where ldap_get_values_len()
 * searched the message again from its start for every attribute (with 200
 * templates of 19 attributes, a fifth of `cradlectl templates`). */
CradleLdapEntry *
cradle_ldap_entry_new_from_message (LDAP         *ld,
                                    LDAPMessage  *message,
                                    GError      **error)
{
  g_autoptr(CradleLdapEntry) self = NULL;
  g_autoptr(BerElement) ber = NULL;
  struct berval dn = { 0 };

  if (sym_ldap_get_dn_ber (ld, message, &ber, &dn) != LDAP_SUCCESS || dn.bv_val == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The directory returned an entry without a name");
      return NULL;
    }
  /* Kept catalogs store names as GVariant strings, which must be UTF-8,
   * as LDAP says they are (RFC 4511, 4.1.2 and 4.1.3). */
  if (!g_utf8_validate_len (dn.bv_val, dn.bv_len, NULL))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The directory returned an entry whose name is not UTF-8 text; "
                           "an administrator should check the domain controller");
      return NULL;
    }
  {
    /* In place in the message, as are the names and values below: not
     * NUL-terminated. */
    g_autofree char *name = g_strndup (dn.bv_val, dn.bv_len);

    self = entry_new (name);
  }

  for (;;)
    {
      struct berval attribute = { 0 };
      struct berval *found = NULL;
      g_autofree char *name = NULL;
      GPtrArray *values;
      gboolean added;

      /* The end, or a malformed rest: ignored, as ldap_next_attribute()
       * did (and as ldapsearch does, @found is not ours on an error). */
      if (sym_ldap_get_attribute_ber (ld, message, ber, &attribute, &found) != LDAP_SUCCESS ||
          attribute.bv_val == NULL)
        break;
      if (!g_utf8_validate_len (attribute.bv_val, attribute.bv_len, NULL))
        {
          if (found != NULL)
            sym_ber_memfree (found);
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "The directory entry %s has an attribute whose name is not UTF-8 text; "
                       "an administrator should check the domain controller", self->dn);
          return NULL;
        }
      name = g_strndup (attribute.bv_val, attribute.bv_len);
      values = values_for (self, name, error);
      added = values != NULL;
      for (guint i = 0; added && found != NULL && found[i].bv_val != NULL; i++)
        added = add_value (self, values, name, found[i].bv_val, found[i].bv_len, error);
      if (found != NULL)
        sym_ber_memfree (found);
      if (!added)
        return NULL;
    }
  return g_steal_pointer (&self);
}

GVariant *
cradle_ldap_entry_to_variant (const CradleLdapEntry *self)
{
  GVariantBuilder attributes;
  GHashTableIter iter;
  gpointer key, value;

  g_variant_builder_init (&attributes, G_VARIANT_TYPE ("a{saay}"));
  g_hash_table_iter_init (&iter, self->attributes);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      GPtrArray *values = value;
      GVariantBuilder list;

      g_variant_builder_init (&list, G_VARIANT_TYPE ("aay"));
      for (guint i = 0; i < values->len; i++)
        {
          GBytes *bytes = g_ptr_array_index (values, i);

          g_variant_builder_add_value (&list, g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, bytes, TRUE));
        }
      g_variant_builder_add (&attributes, "{saay}", key, &list);
    }
  return g_variant_new ("(sa{saay})", self->dn, &attributes);
}

CradleLdapEntry *
cradle_ldap_entry_new_from_variant (GVariant  *variant,
                                    GError   **error)
{
  g_autoptr(CradleLdapEntry) self = NULL;
  g_autoptr(GVariantIter) attributes = NULL;
  const char *dn;
  const char *name;
  GVariantIter *list;

  if (!g_variant_is_of_type (variant, G_VARIANT_TYPE (CRADLE_LDAP_ENTRY_VARIANT_TYPE)))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "A kept directory entry has the type %s, not " CRADLE_LDAP_ENTRY_VARIANT_TYPE,
                   g_variant_get_type_string (variant));
      return NULL;
    }
  g_variant_get (variant, "(&sa{saay})", &dn, &attributes);
  self = entry_new (dn);
  while (g_variant_iter_next (attributes, "{&saay}", &name, &list))
    {
      g_autoptr(GVariantIter) owned_list = list;
      GPtrArray *values = values_for (self, name, error);
      GVariant *child;

      if (values == NULL)
        return NULL;
      while ((child = g_variant_iter_next_value (owned_list)) != NULL)
        {
          g_autoptr(GVariant) owned_child = child;
          gsize size = 0;
          const void *data = g_variant_get_fixed_array (child, &size, 1);

          if (!add_value (self, values, name, data, size, error))
            return NULL;
        }
    }
  return g_steal_pointer (&self);
}

static GPtrArray *
lookup (const CradleLdapEntry *self,
        const char            *attribute)
{
  g_autofree char *key = g_ascii_strdown (attribute, -1);

  return g_hash_table_lookup (self->attributes, key);
}

static gboolean
check_string_value (const char  *attribute,
                    GBytes      *value,
                    GError     **error)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (value, &size);

  if (size > CRADLE_LDAP_MAX_STRING_VALUE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The directory attribute %s has a value of %lu bytes, more than the %d allowed",
                   attribute, (unsigned long) size, CRADLE_LDAP_MAX_STRING_VALUE);
      return FALSE;
    }
  if ((size > 0 && memchr (data, '\0', size) != NULL) || !g_utf8_validate_len (data, size, NULL))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The directory attribute %s holds a value that is not valid UTF-8 text", attribute);
      return FALSE;
    }
  return TRUE;
}

static char *
dup_text (GBytes *value)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (value, &size);

  return g_strndup (data != NULL ? data : "", size);
}

gboolean
cradle_ldap_entry_dup_string (const CradleLdapEntry  *self,
                              const char             *attribute,
                              char                  **out,
                              GError                **error)
{
  GPtrArray *values = lookup (self, attribute);

  *out = NULL;
  if (values == NULL || values->len == 0)
    return TRUE;
  if (!check_string_value (attribute, g_ptr_array_index (values, 0), error))
    return FALSE;
  *out = dup_text (g_ptr_array_index (values, 0));
  return TRUE;
}

gboolean
cradle_ldap_entry_dup_strings (const CradleLdapEntry  *self,
                               const char             *attribute,
                               char                 ***out,
                               GError                **error)
{
  GPtrArray *values = lookup (self, attribute);
  g_autoptr(GPtrArray) builder = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; values != NULL && i < values->len; i++)
    {
      if (!check_string_value (attribute, g_ptr_array_index (values, i), error))
        return FALSE;
      g_ptr_array_add (builder, dup_text (g_ptr_array_index (values, i)));
    }
  g_ptr_array_add (builder, NULL);
  *out = (char **) g_ptr_array_steal (builder, NULL);
  return TRUE;
}

gboolean
cradle_ldap_entry_dup_binaries (const CradleLdapEntry  *self,
                                const char             *attribute,
                                gsize                   max_size,
                                GPtrArray             **out,
                                GError                **error)
{
  GPtrArray *values = lookup (self, attribute);
  g_autoptr(GPtrArray) builder = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  for (guint i = 0; values != NULL && i < values->len; i++)
    {
      GBytes *value = g_ptr_array_index (values, i);

      if (g_bytes_get_size (value) > max_size)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "The directory attribute %s has a value of %lu bytes, more than the %lu allowed",
                       attribute, (unsigned long) g_bytes_get_size (value), (unsigned long) max_size);
          return FALSE;
        }
      g_ptr_array_add (builder, g_bytes_ref (value));
    }
  *out = g_steal_pointer (&builder);
  return TRUE;
}

gboolean
cradle_ldap_entry_dup_binary (const CradleLdapEntry  *self,
                              const char             *attribute,
                              gsize                   max_size,
                              GBytes                **out,
                              GError                **error)
{
  g_autoptr(GPtrArray) values = NULL;

  *out = NULL;
  if (!cradle_ldap_entry_dup_binaries (self, attribute, max_size, &values, error))
    return FALSE;
  if (values->len > 0)
    *out = g_bytes_ref (g_ptr_array_index (values, 0));
  return TRUE;
}

gboolean
cradle_ldap_entry_get_int32 (const CradleLdapEntry  *self,
                             const char             *attribute,
                             guint32                 fallback,
                             guint32                *out,
                             GError                **error)
{
  g_autofree char *text = NULL;
  gint64 value;

  *out = fallback;
  if (!cradle_ldap_entry_dup_string (self, attribute, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  /* Unsigned values written by other tools are accepted too. */
  if (!g_ascii_string_to_signed (text, 10, G_MININT32, G_MAXUINT32, &value, NULL))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The directory attribute %s holds \"%.32s\", not a 32-bit number", attribute, text);
      return FALSE;
    }
  *out = (guint32) value;
  return TRUE;
}
