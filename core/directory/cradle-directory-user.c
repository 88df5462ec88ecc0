/* cradle-directory-user.c: the signed-in user's entry in the directory */
#include "config.h"

#include "directory/cradle-directory-user-private.h"
#include "directory/cradle-sid-private.h"

struct _CradleDirectoryUser
{
  GObject parent_instance;

  /* Owned */
  char  *dn;
  char  *account_name;
  char  *principal_name;
  char  *mail;
  char  *common_name;
  char  *display_name;
  char  *sid;
  GStrv  token_groups;
};

G_DEFINE_FINAL_TYPE (CradleDirectoryUser, cradle_directory_user, G_TYPE_OBJECT)

static void
cradle_directory_user_finalize (GObject *object)
{
  CradleDirectoryUser *self = CRADLE_DIRECTORY_USER (object);

  g_clear_pointer (&self->dn, g_free);
  g_clear_pointer (&self->account_name, g_free);
  g_clear_pointer (&self->principal_name, g_free);
  g_clear_pointer (&self->mail, g_free);
  g_clear_pointer (&self->common_name, g_free);
  g_clear_pointer (&self->display_name, g_free);
  g_clear_pointer (&self->sid, g_free);
  g_clear_pointer (&self->token_groups, g_strfreev);

  G_OBJECT_CLASS (cradle_directory_user_parent_class)->finalize (object);
}

static void
cradle_directory_user_class_init (CradleDirectoryUserClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cradle_directory_user_finalize;
}

static void
cradle_directory_user_init (CradleDirectoryUser *self)
{
}

/* Every value of a binary SID attribute, as text; malformed ones fail the read. */
static GStrv
dup_sid_values (const CradleLdapEntry  *entry,
                const char             *attribute,
                GError                **error)
{
  g_autoptr(GPtrArray) values = NULL;
  g_autoptr(GPtrArray) builder = g_ptr_array_new_with_free_func (g_free);

  if (!cradle_ldap_entry_dup_binaries (entry, attribute, G_MAXSIZE, &values, error))
    return NULL;
  for (guint i = 0; i < values->len; i++)
    {
      GBytes *value = g_ptr_array_index (values, i);
      char *sid;

      sid = cradle_sid_to_string (g_bytes_get_data (value, NULL), g_bytes_get_size (value), error);
      if (sid == NULL)
        {
          g_prefix_error (error, "In the directory attribute %s: ", attribute);
          return NULL;
        }
      g_ptr_array_add (builder, sid);
    }
  g_ptr_array_add (builder, NULL);
  return (GStrv) g_ptr_array_steal (builder, NULL);
}

/**
 * cradle_directory_user_new_from_entry:
 * @entry: a base-scope result carrying tokenGroups (AD only computes it there)
 *
 * Returns: (transfer full): the user, or %NULL if the entry is malformed or
 *   lacks what every account has (sAMAccountName, objectSid)
 */
CradleDirectoryUser *
cradle_directory_user_new_from_entry (const CradleLdapEntry  *entry,
                                      GError                **error)
{
  g_autoptr(CradleDirectoryUser) self = g_object_new (CRADLE_TYPE_DIRECTORY_USER, NULL);
  g_auto(GStrv) object_sid = NULL;

  self->dn = g_strdup (cradle_ldap_entry_get_dn (entry));

  if (!cradle_ldap_entry_dup_string (entry, "sAMAccountName", &self->account_name, error) ||
      !cradle_ldap_entry_dup_string (entry, "userPrincipalName", &self->principal_name, error) ||
      !cradle_ldap_entry_dup_string (entry, "mail", &self->mail, error) ||
      !cradle_ldap_entry_dup_string (entry, "cn", &self->common_name, error) ||
      !cradle_ldap_entry_dup_string (entry, "displayName", &self->display_name, error))
    return NULL;

  object_sid = dup_sid_values (entry, "objectSid", error);
  if (object_sid == NULL)
    return NULL;
  self->token_groups = dup_sid_values (entry, "tokenGroups", error);
  if (self->token_groups == NULL)
    return NULL;

  if (self->account_name == NULL || g_strv_length (object_sid) != 1)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The directory entry %s is not a usable account: it lacks sAMAccountName or a single objectSid",
                   self->dn);
      return NULL;
    }
  self->sid = g_strdup (object_sid[0]);
  return g_steal_pointer (&self);
}

const char *
cradle_directory_user_get_dn (CradleDirectoryUser *self)
{
  g_return_val_if_fail (CRADLE_IS_DIRECTORY_USER (self), NULL);
  return self->dn;
}

const char *
cradle_directory_user_get_account_name (CradleDirectoryUser *self)
{
  g_return_val_if_fail (CRADLE_IS_DIRECTORY_USER (self), NULL);
  return self->account_name;
}

/* Returns: (nullable): the userPrincipalName, absent on some accounts */
const char *
cradle_directory_user_get_principal_name (CradleDirectoryUser *self)
{
  g_return_val_if_fail (CRADLE_IS_DIRECTORY_USER (self), NULL);
  return self->principal_name;
}

/* Returns: (nullable): the mail attribute */
const char *
cradle_directory_user_get_mail (CradleDirectoryUser *self)
{
  g_return_val_if_fail (CRADLE_IS_DIRECTORY_USER (self), NULL);
  return self->mail;
}

const char *
cradle_directory_user_get_common_name (CradleDirectoryUser *self)
{
  g_return_val_if_fail (CRADLE_IS_DIRECTORY_USER (self), NULL);
  return self->common_name;
}

const char *
cradle_directory_user_get_display_name (CradleDirectoryUser *self)
{
  g_return_val_if_fail (CRADLE_IS_DIRECTORY_USER (self), NULL);
  return self->display_name;
}

const char *
cradle_directory_user_get_sid (CradleDirectoryUser *self)
{
  g_return_val_if_fail (CRADLE_IS_DIRECTORY_USER (self), NULL);
  return self->sid;
}

/* Returns: (array zero-terminated=1): the SIDs of every group the user is in, transitively */
const char * const *
cradle_directory_user_get_token_groups (CradleDirectoryUser *self)
{
  g_return_val_if_fail (CRADLE_IS_DIRECTORY_USER (self), NULL);
  return (const char * const *) self->token_groups;
}

/* Whether @sid is the user's own or one of its groups: what an ACE is matched against. */
gboolean
cradle_directory_user_has_sid (CradleDirectoryUser *self,
                               const char          *sid)
{
  g_return_val_if_fail (CRADLE_IS_DIRECTORY_USER (self), FALSE);
  g_return_val_if_fail (sid != NULL, FALSE);

  return g_strcmp0 (self->sid, sid) == 0 ||
         g_strv_contains ((const char * const *) self->token_groups, sid);
}
