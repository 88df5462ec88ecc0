/* cradle-directory-search.c: what an open directory session reads: the
 * PKI objects, the signed-in user's entry, the names behind SIDs
 */
#include "config.h"

#include <string.h>
#include <cradle/cradle.h>

#include "directory/cradle-directory-private.h"
#include "directory/cradle-directory-user-private.h"
#include "directory/cradle-ldap-private.h"
#include "directory/cradle-sid-private.h"

#define PUBLIC_KEY_SERVICES "CN=Public Key Services,CN=Services,"

static gboolean
check_open (CradleDirectory  *self,
            GCancellable     *cancellable,
            GError          **error)
{
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (self->ld == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                           "The directory session is not open yet");
      return FALSE;
    }
  return TRUE;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static gboolean
add_name (const CradleLdapEntry  *entry,
          gpointer                user_data,
          GError                **error)
{
  GPtrArray *names = user_data;
  char *cn = NULL;

  if (!cradle_ldap_entry_dup_string (entry, "cn", &cn, error))
    return FALSE;
  if (cn != NULL)
    g_ptr_array_add (names, cn);
  return TRUE;
}

char **
cradle_directory_list_names (CradleDirectory  *self,
                             const char       *container,
                             const char       *object_class,
                             GCancellable     *cancellable,
                             GError          **error)
{
  const char *attributes[] = { "cn", NULL };
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *filter = g_strdup_printf ("(objectClass=%s)", object_class);

  if (!cradle_directory_search_pki (self, container, LDAP_SCOPE_ONELEVEL, filter, attributes, FALSE,
                                    add_name, names, cancellable, error))
    return NULL;
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_steal (names, NULL);
}

/**
 * cradle_directory_list_template_names:
 *
 * Returns: (transfer full): the cn of every certificate template in the
 *   forest, sorted
 */
char **
cradle_directory_list_template_names (CradleDirectory  *self,
                                      GCancellable     *cancellable,
                                      GError          **error)
{
  g_return_val_if_fail (CRADLE_IS_DIRECTORY (self), NULL);
  return cradle_directory_list_names (self, "CN=Certificate Templates,", "pKICertificateTemplate",
                                      cancellable, error);
}

/**
 * cradle_directory_list_enrollment_service_names:
 *
 * Returns: (transfer full): the name of every enterprise CA, sorted
 */
char **
cradle_directory_list_enrollment_service_names (CradleDirectory  *self,
                                                GCancellable     *cancellable,
                                                GError          **error)
{
  g_return_val_if_fail (CRADLE_IS_DIRECTORY (self), NULL);
  return cradle_directory_list_names (self, "CN=Enrollment Services,", "pKIEnrollmentService",
                                      cancellable, error);
}

CradleLdapEntry *
cradle_directory_read_root_dse (CradleDirectory  *self,
                                const char      **attributes,
                                GCancellable     *cancellable,
                                GError          **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(LDAPMessage) result = NULL;
  g_autoptr(GError) local_error = NULL;
  CradleLdapEntry *entry;

  g_return_val_if_fail (CRADLE_IS_DIRECTORY (self), NULL);

  locker = g_mutex_locker_new (&self->lock);
  if (!check_open (self, cancellable, error) ||
      !cradle_ldap_search (self->ld, "", LDAP_SCOPE_BASE, "(objectClass=*)", attributes,
                           self->timeout_seconds, &result, error))
    return NULL;
  entry = _cradle_directory_dup_first_entry (self->ld, result, &local_error);
  if (entry == NULL && local_error == NULL)
    g_set_error (&local_error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                 "%s returned no RootDSE; it is not an Active Directory domain controller", self->uri);
  if (entry == NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return entry;
}

/* LDAP_SERVER_SD_FLAGS_OID with DACL_SECURITY_INFORMATION: without it AD
 * asks for rights a user lacks to read the owner and the SACL. */
#define SD_FLAGS_CONTROL_OID "1.2.840.113556.1.4.801"

gboolean
cradle_directory_search_pki (CradleDirectory           *self,
                             const char                *container,
                             int                        scope,
                             const char                *filter,
                             const char               **attributes,
                             gboolean                   dacl_only,
                             CradleDirectoryEntryFunc   func,
                             gpointer                   user_data,
                             GCancellable              *cancellable,
                             GError                   **error)
{
  /* SEQUENCE { INTEGER 4 } */
  static const char dacl_only_value[] = { 0x30, 0x03, 0x02, 0x01, 0x04 };
  struct berval value = { .bv_len = sizeof dacl_only_value, .bv_val = (char *) dacl_only_value };
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(LDAPMessage) result = NULL;
  g_autofree char *base = NULL;
  LDAPControl *control = NULL;
  LDAPControl *controls[2] = { NULL, NULL };
  gboolean found;

  g_return_val_if_fail (CRADLE_IS_DIRECTORY (self), FALSE);

  locker = g_mutex_locker_new (&self->lock);
  if (!check_open (self, cancellable, error))
    return FALSE;
  if (dacl_only)
    {
      if (sym_ldap_control_create (SD_FLAGS_CONTROL_OID, 1, &value, 1, &control) != LDAP_SUCCESS)
        {
          g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_FAILED, "Out of memory for an LDAP control");
          return FALSE;
        }
      controls[0] = control;
    }
  base = g_strdup_printf ("%s" PUBLIC_KEY_SERVICES "%s", container, self->configuration_naming_context);
  found = cradle_ldap_search_with_controls (self->ld, base, scope, filter, attributes,
                                            dacl_only ? controls : NULL,
                                            self->timeout_seconds, &result, error);
  if (control != NULL)
    sym_ldap_control_free (control);
  if (!found)
    return FALSE;

  for (LDAPMessage *message = sym_ldap_first_entry (self->ld, result);
       message != NULL;
       message = sym_ldap_next_entry (self->ld, message))
    {
      g_autoptr(CradleLdapEntry) entry = NULL;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      entry = cradle_ldap_entry_new_from_message (self->ld, message, error);
      if (entry == NULL || !func (entry, user_data, error))
        return FALSE;
    }
  return TRUE;
}

/* The account name is the bound principal without its realm. */
static char *
dup_bound_account_name (CradleDirectory  *self,
                        GError          **error)
{
  const char *at;

  if (self->bound_identity == NULL || self->bound_identity[0] == '\0' ||
      (at = strchr (self->bound_identity, '@')) == self->bound_identity)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "%s did not say which account signed in, so your directory entry cannot be found",
                   self->uri);
      return NULL;
    }
  return at != NULL ? g_strndup (self->bound_identity, at - self->bound_identity)
                    : g_strdup (self->bound_identity);
}

static char *
find_user_dn (CradleDirectory  *self,
              const char       *account_name,
              GError          **error)
{
  const char *attributes[] = { LDAP_NO_ATTRS, NULL };
  g_autoptr(LDAPMessage) result = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *filter = NULL;
  LDAPMessage *entry;
  char *dn;
  char *copy;

  escaped = cradle_ldap_escape_filter ((const guint8 *) account_name, strlen (account_name));
  filter = g_strdup_printf ("(&(objectClass=user)(sAMAccountName=%s))", escaped);
  if (!cradle_ldap_search (self->ld, self->default_naming_context, LDAP_SCOPE_SUBTREE, filter,
                           attributes, self->timeout_seconds, &result, error))
    return NULL;

  if (sym_ldap_count_entries (self->ld, result) != 1 ||
      (entry = sym_ldap_first_entry (self->ld, result)) == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                   "The directory has no single account named '%s' under %s. "
                   "Check that you signed in with your domain account.",
                   account_name, self->default_naming_context);
      return NULL;
    }
  dn = sym_ldap_get_dn (self->ld, entry);
  copy = g_strdup (dn);
  sym_ldap_memfree (dn);
  if (copy == NULL)
    g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                         "The directory returned your account without a name");
  return copy;
}

CradleLdapEntry *
cradle_directory_read_user_entry (CradleDirectory  *self,
                                  GCancellable     *cancellable,
                                  GError          **error)
{
  const char *attributes[] = { "sAMAccountName", "userPrincipalName", "mail", "cn",
                               "displayName", "objectSid", "tokenGroups", NULL };
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(LDAPMessage) result = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *account_name = NULL;
  g_autofree char *dn = NULL;
  CradleLdapEntry *entry;

  g_return_val_if_fail (CRADLE_IS_DIRECTORY (self), NULL);

  locker = g_mutex_locker_new (&self->lock);
  if (!check_open (self, cancellable, error))
    return NULL;
  account_name = dup_bound_account_name (self, error);
  if (account_name == NULL)
    return NULL;
  dn = find_user_dn (self, account_name, error);
  if (dn == NULL)
    return NULL;

  /* tokenGroups is constructed, and only returned by a base-scope search. */
  if (!cradle_ldap_search (self->ld, dn, LDAP_SCOPE_BASE, "(objectClass=*)", attributes,
                           self->timeout_seconds, &result, error))
    return NULL;
  entry = _cradle_directory_dup_first_entry (self->ld, result, &local_error);
  if (entry == NULL)
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                     "Your directory entry %s could not be read", dn);
    }
  return entry;
}

/**
 * cradle_directory_read_user:
 *
 * Reads the bound user's entry: DN, account and principal names, mail,
 * objectSid and tokenGroups (every group SID, transitively, as the DC
 * computes it). Blocks.
 *
 * Returns: (transfer full): the user
 */
CradleDirectoryUser *
cradle_directory_read_user (CradleDirectory  *self,
                            GCancellable     *cancellable,
                            GError          **error)
{
  g_autoptr(CradleLdapEntry) entry = NULL;

  g_return_val_if_fail (CRADLE_IS_DIRECTORY (self), NULL);

  entry = cradle_directory_read_user_entry (self, cancellable, error);
  return entry != NULL ? cradle_directory_user_new_from_entry (entry, error) : NULL;
}

static void
read_user_thread (GTask        *task,
                  gpointer      source_object,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  GError *error = NULL;
  CradleDirectoryUser *user = cradle_directory_read_user (source_object, cancellable, &error);

  if (user != NULL)
    g_task_return_pointer (task, user, g_object_unref);
  else
    g_task_return_error (task, error);
}

void
cradle_directory_read_user_async (CradleDirectory     *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CRADLE_IS_DIRECTORY (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cradle_directory_read_user_async);
  g_task_run_in_thread (task, read_user_thread);
}

CradleDirectoryUser *
cradle_directory_read_user_finish (CradleDirectory  *self,
                                   GAsyncResult     *result,
                                   GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static char *
lookup_sid_under (CradleDirectory  *self,
                  const char       *base,
                  int               scope,
                  const char       *filter,
                  GError          **error)
{
  const char *attributes[] = { "sAMAccountName", "cn", NULL };
  g_autoptr(LDAPMessage) result = NULL;
  g_autoptr(CradleLdapEntry) entry = NULL;
  char *name = NULL;

  if (!cradle_ldap_search (self->ld, base, scope, filter, attributes,
                           self->timeout_seconds, &result, error))
    return NULL;
  entry = _cradle_directory_dup_first_entry (self->ld, result, error);
  if (entry == NULL)
    return NULL;
  if (!cradle_ldap_entry_dup_string (entry, "sAMAccountName", &name, error))
    return NULL;
  if (name == NULL && !cradle_ldap_entry_dup_string (entry, "cn", &name, error))
    return NULL;
  return name;
}

/**
 * cradle_directory_lookup_sid:
 * @sid: a SID as text
 *
 * Finds the account, group or well-known principal with this SID, so a
 * reason can name "Mobile Device Users" rather than a SID. Blocks.
 *
 * Returns: (transfer full): its name, or %NULL with %CRADLE_ERROR_NOT_FOUND
 */
char *
cradle_directory_lookup_sid (CradleDirectory  *self,
                             const char       *sid,
                             GCancellable     *cancellable,
                             GError          **error)
{
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(GBytes) binary = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *domain_filter = NULL;
  g_autofree char *filter = NULL;
  g_autofree char *well_known_base = NULL;
  char *name;

  g_return_val_if_fail (CRADLE_IS_DIRECTORY (self), NULL);
  g_return_val_if_fail (sid != NULL, NULL);

  binary = cradle_sid_from_string (sid, error);
  if (binary == NULL)
    return NULL;

  locker = g_mutex_locker_new (&self->lock);
  if (!check_open (self, cancellable, error))
    return NULL;

  escaped = cradle_ldap_escape_filter (g_bytes_get_data (binary, NULL), g_bytes_get_size (binary));
  /* A foreignSecurityPrincipal is only a stand-in named after the SID itself. */
  domain_filter = g_strdup_printf ("(&(objectSid=%s)(!(objectClass=foreignSecurityPrincipal)))", escaped);
  name = lookup_sid_under (self, self->default_naming_context, LDAP_SCOPE_SUBTREE, domain_filter, &local_error);
  if (name != NULL || local_error != NULL)
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      return name;
    }

  /* Authenticated Users, Everyone and the like live in the configuration partition. */
  filter = g_strdup_printf ("(objectSid=%s)", escaped);
  well_known_base = g_strdup_printf ("CN=WellKnown Security Principals,%s",
                                     self->configuration_naming_context);
  name = lookup_sid_under (self, well_known_base, LDAP_SCOPE_ONELEVEL, filter, &local_error);
  if (name != NULL || local_error != NULL)
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      return name;
    }

  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
               "No account or group in the directory has the SID %s", sid);
  return NULL;
}

GBytes *
cradle_directory_read_binary (CradleDirectory  *self,
                              const char       *dn,
                              const char       *attribute,
                              const char       *filter,
                              gsize             max_size,
                              GCancellable     *cancellable,
                              GError          **error)
{
  g_autofree char *binary = g_strconcat (attribute, ";binary", NULL);
  const char *attributes[] = { attribute, NULL };
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(LDAPMessage) result = NULL;
  g_autoptr(CradleLdapEntry) entry = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GBytes) value = NULL;

  g_return_val_if_fail (CRADLE_IS_DIRECTORY (self), NULL);

  locker = g_mutex_locker_new (&self->lock);
  if (!check_open (self, cancellable, error))
    return NULL;
  if (!cradle_ldap_search (self->ld, dn, LDAP_SCOPE_BASE, filter, attributes,
                           self->timeout_seconds, &result, error))
    return NULL;
  entry = _cradle_directory_dup_first_entry (self->ld, result, &local_error);
  if (entry == NULL)
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                     "The directory has no entry %s", dn);
      return NULL;
    }
  /* AD returns certificateRevocationList as "certificateRevocationList;binary". */
  if (!cradle_ldap_entry_dup_binary (entry, attribute, max_size, &value, error) ||
      (value == NULL && !cradle_ldap_entry_dup_binary (entry, binary, max_size, &value, error)))
    return NULL;
  if (value == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                   "The directory entry %s has no %s", dn, attribute);
      return NULL;
    }
  return g_steal_pointer (&value);
}
