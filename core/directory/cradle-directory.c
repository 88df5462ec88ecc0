/* cradle-directory.c: an authenticated LDAP session with the domain */
#include "config.h"

#include <fcntl.h>
#include <unistd.h>
#include <sys/socket.h>

#include <string.h>
#include <cradle/cradle.h>

#include "directory/cradle-dc-locator-private.h"
#include "directory/cradle-directory-bind-private.h"
#include "directory/cradle-directory-private.h"
#include "directory/cradle-directory-user-private.h"
#include "kerberos/cradle-krb5-private.h"
#include "directory/cradle-ldap-private.h"
#include "directory/cradle-sid-private.h"

#define DEFAULT_TIMEOUT_SECONDS 15
#define PUBLIC_KEY_SERVICES "CN=Public Key Services,CN=Services,"

struct _CradleDirectory
{
  GObject parent_instance;

  /* Owned */
  GMutex  lock;            /* one LDAP call at a time on @ld */
  LDAP   *ld;
  char   *uri;             /* NULL until found in DNS for @domain */
  char   *domain;          /* NULL: the default realm's */
  char   *source;          /* what the session was asked for: the URI or the domain */
  char   *ccache_name;
  char   *user;
  char   *password;        /* wiped and freed once open() used it */
  char   *memory_ccache;   /* the private ccache of a password sign-in */
  char   *dc_host_name;
  char   *default_naming_context;
  char   *configuration_naming_context;
  char   *bound_identity;
  guint   timeout_seconds;
  guint   security_strength;

  /* A cancellation shuts the connection down, which ends a blocking
   * libldap call at once instead of at its timeout. */
  GMutex        cancel_lock;
  int           cancel_fd;        /* our duplicate of the LDAP socket, or -1 */
  GCancellable *cancellable;
  gulong        cancel_handler;
};

G_DEFINE_FINAL_TYPE (CradleDirectory, cradle_directory, G_TYPE_OBJECT)

static void
forget_password (CradleDirectory *self)
{
  if (self->password != NULL)
    explicit_bzero (self->password, strlen (self->password));
  g_clear_pointer (&self->password, g_free);
}

static void
cradle_directory_finalize (GObject *object)
{
  CradleDirectory *self = CRADLE_DIRECTORY (object);

  if (self->cancellable != NULL)
    g_cancellable_disconnect (self->cancellable, self->cancel_handler);
  g_clear_object (&self->cancellable);
  if (self->cancel_fd >= 0)
    close (self->cancel_fd);
  g_mutex_clear (&self->cancel_lock);
  g_clear_pointer (&self->ld, cradle_ldap_unbind);
  if (self->memory_ccache != NULL)
    cradle_krb5_ccache_destroy (self->memory_ccache);
  g_clear_pointer (&self->memory_ccache, g_free);
  forget_password (self);
  g_clear_pointer (&self->uri, g_free);
  g_clear_pointer (&self->domain, g_free);
  g_clear_pointer (&self->user, g_free);
  g_clear_pointer (&self->ccache_name, g_free);
  g_clear_pointer (&self->source, g_free);
  g_clear_pointer (&self->dc_host_name, g_free);
  g_clear_pointer (&self->default_naming_context, g_free);
  g_clear_pointer (&self->configuration_naming_context, g_free);
  g_clear_pointer (&self->bound_identity, g_free);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (cradle_directory_parent_class)->finalize (object);
}

static void
cradle_directory_class_init (CradleDirectoryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cradle_directory_finalize;
}

static void
cradle_directory_init (CradleDirectory *self)
{
  self->cancel_fd = -1;
  g_mutex_init (&self->cancel_lock);
  g_mutex_init (&self->lock);
  self->timeout_seconds = DEFAULT_TIMEOUT_SECONDS;
}

/**
 * cradle_directory_new:
 * @uri: the domain controller, as ldap://dc1.corp.example.test
 *
 * Returns: (transfer full): a session, not yet connected
 */
CradleDirectory *
cradle_directory_new (const char *uri)
{
  CradleDirectory *self;

  g_return_val_if_fail (uri != NULL, NULL);

  self = g_object_new (CRADLE_TYPE_DIRECTORY, NULL);
  self->uri = g_strdup (uri);
  self->source = g_strdup (uri);
  return self;
}

/**
 * cradle_directory_new_for_domain:
 * @domain: (nullable): a DNS domain, as corp.example.test; %NULL for the
 *   domain of the default Kerberos realm
 *
 * Its controllers are found in DNS when the session opens.
 *
 * Returns: (transfer full): a session, not yet connected
 */
CradleDirectory *
cradle_directory_new_for_domain (const char *domain)
{
  CradleDirectory *self = g_object_new (CRADLE_TYPE_DIRECTORY, NULL);

  self->domain = g_strdup (domain);
  self->source = g_strconcat ("domain:", domain != NULL ? domain : "", NULL);
  return self;
}

/**
 * cradle_directory_set_password:
 * @user: the account, as alice, alice@CORP.EXAMPLE.TEST or CORP\alice
 * @password: (nullable): its password; %NULL to use the credential cache
 *
 * The session signs in with the password instead of the credential cache:
 * a Kerberos ticket kept in a private memory cache, or, when no KDC can be
 * reached, a password bind inside TLS. The copy kept is wiped as soon as
 * cradle_directory_open() has used it.
 */
void
cradle_directory_set_password (CradleDirectory *self,
                               const char      *user,
                               const char      *password)
{
  g_return_if_fail (CRADLE_IS_DIRECTORY (self));
  g_return_if_fail (password == NULL || user != NULL);

  g_mutex_lock (&self->lock);
  forget_password (self);
  g_free (self->user);
  self->user = g_strdup (user);
  self->password = g_strdup (password);
  g_mutex_unlock (&self->lock);
}

/**
 * cradle_directory_set_credential_cache:
 * @ccache_name: (nullable): a Kerberos ccache name; %NULL for the desktop's default
 */
void
cradle_directory_set_credential_cache (CradleDirectory *self,
                                       const char      *ccache_name)
{
  g_return_if_fail (CRADLE_IS_DIRECTORY (self));

  g_mutex_lock (&self->lock);
  g_free (self->ccache_name);
  self->ccache_name = g_strdup (ccache_name);
  g_mutex_unlock (&self->lock);
}

/* Bounds every network wait: connecting and each operation. */
void
cradle_directory_set_timeout (CradleDirectory *self,
                              guint            seconds)
{
  g_return_if_fail (CRADLE_IS_DIRECTORY (self));
  g_return_if_fail (seconds > 0);

  self->timeout_seconds = seconds;
}

static void
on_cancelled (GCancellable *cancellable,
              gpointer      user_data)
{
  CradleDirectory *self = user_data;

  g_mutex_lock (&self->cancel_lock);
  if (self->cancel_fd >= 0)
    shutdown (self->cancel_fd, SHUT_RDWR);
  g_mutex_unlock (&self->cancel_lock);
}

static void
on_connected (int      fd,
              gpointer user_data)
{
  CradleDirectory *self = user_data;

  g_mutex_lock (&self->cancel_lock);
  if (self->cancel_fd >= 0)
    close (self->cancel_fd);
  /* A duplicate of our own: it stays valid, whatever libldap closes. */
  self->cancel_fd = fcntl (fd, F_DUPFD_CLOEXEC, 0);
  if (self->cancel_fd >= 0 && self->cancellable != NULL && g_cancellable_is_cancelled (self->cancellable))
    shutdown (self->cancel_fd, SHUT_RDWR);
  g_mutex_unlock (&self->cancel_lock);
}

static gboolean
connect_and_bind (CradleDirectory  *self,
                  const char       *uri,
                  LDAP            **ld_out,
                  GError          **error)
{
  CradleBindSettings settings = {
    .uri = uri,
    .ccache_name = self->ccache_name,
    .user = self->user,
    .password = self->password,
    .timeout_seconds = self->timeout_seconds,
    .connected = on_connected,
    .connected_data = self,
  };
  CradleBindResult result;

  if (!cradle_directory_bind (&settings, &result, error))
    return FALSE;

  g_free (self->uri);
  self->uri = g_strdup (uri);
  g_free (self->bound_identity);
  self->bound_identity = g_steal_pointer (&result.identity);
  self->security_strength = result.security_strength;
  if (self->memory_ccache != NULL)
    cradle_krb5_ccache_destroy (self->memory_ccache);
  g_free (self->memory_ccache);
  self->memory_ccache = g_steal_pointer (&result.memory_ccache);
  *ld_out = g_steal_pointer (&result.ld);
  cradle_bind_result_clear (&result);
  return TRUE;
}

/* The domain's controllers, most preferred first: the one given, or DNS's. */
static GStrv
dup_candidate_uris (CradleDirectory  *self,
                    GCancellable     *cancellable,
                    GError          **error)
{
  g_autofree char *domain = NULL;

  if (self->uri != NULL)
    {
      char *uris[] = { self->uri, NULL };

      return g_strdupv (uris);
    }
  domain = g_strdup (self->domain);
  if (domain == NULL)
    {
      g_autofree char *realm = cradle_krb5_dup_default_realm (error);

      if (realm == NULL)
        {
          g_prefix_error (error, "No domain was given and none is configured: ");
          return NULL;
        }
      domain = g_ascii_strdown (realm, -1);
    }
  return cradle_dc_locate (domain, self->timeout_seconds, cancellable, error);
}

/* The result's first entry, copied; %NULL without @error when there is none. */
static CradleLdapEntry *
dup_first_entry (LDAP         *ld,
                 LDAPMessage  *result,
                 GError      **error)
{
  LDAPMessage *message = sym_ldap_first_entry (ld, result);

  return message != NULL ? cradle_ldap_entry_new_from_message (ld, message, error) : NULL;
}

static gboolean
read_root_dse (CradleDirectory  *self,
               LDAP             *ld,
               GError          **error)
{
  const char *attributes[] = { "dnsHostName", "defaultNamingContext",
                               "configurationNamingContext", NULL };
  g_autoptr(LDAPMessage) result = NULL;
  g_autoptr(CradleLdapEntry) entry = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!cradle_ldap_search (ld, "", LDAP_SCOPE_BASE, "(objectClass=*)", attributes,
                           self->timeout_seconds, &result, error))
    return FALSE;

  entry = dup_first_entry (ld, result, &local_error);
  if (entry == NULL)
    {
      if (local_error != NULL)
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "In the RootDSE of %s: ", self->uri);
          return FALSE;
        }
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "%s returned no RootDSE; it is not an Active Directory domain controller",
                   self->uri);
      return FALSE;
    }

  g_clear_pointer (&self->dc_host_name, g_free);
  g_clear_pointer (&self->default_naming_context, g_free);
  g_clear_pointer (&self->configuration_naming_context, g_free);
  if (!cradle_ldap_entry_dup_string (entry, "dnsHostName", &self->dc_host_name, error) ||
      !cradle_ldap_entry_dup_string (entry, "defaultNamingContext", &self->default_naming_context, error) ||
      !cradle_ldap_entry_dup_string (entry, "configurationNamingContext", &self->configuration_naming_context, error))
    {
      g_prefix_error (error, "In the RootDSE of %s: ", self->uri);
      return FALSE;
    }
  if (self->default_naming_context == NULL || self->configuration_naming_context == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "%s has no default or configuration naming context; "
                   "it is not an Active Directory domain controller",
                   self->uri);
      return FALSE;
    }
  return TRUE;
}

/**
 * cradle_directory_open:
 * @self: a #CradleDirectory
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Connects to the domain controller, binds with SASL/GSSAPI from the
 * configured credential cache (sealed: the bind fails rather than fall back
 * to an unencrypted session) and reads the RootDSE. Blocks: call it from a
 * worker thread, or use cradle_directory_open_async().
 *
 * Returns: %TRUE when the session is ready
 */
gboolean
cradle_directory_open (CradleDirectory  *self,
                       GCancellable     *cancellable,
                       GError          **error)
{
  g_autoptr(LDAP) ld = NULL;
  g_autoptr(GMutexLocker) locker = NULL;
  g_autoptr(GError) local_error = NULL;
  g_auto(GStrv) uris = NULL;
  gboolean bound = FALSE;

  g_return_val_if_fail (CRADLE_IS_DIRECTORY (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  locker = g_mutex_locker_new (&self->lock);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  /* From now on, and for the searches after, cancelling ends what waits
   * on the domain controller. */
  if (cancellable != NULL && self->cancellable == NULL)
    {
      self->cancellable = g_object_ref (cancellable);
      self->cancel_handler = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), self, NULL);
    }
  uris = dup_candidate_uris (self, cancellable, error);
  if (uris == NULL)
    {
      forget_password (self);
      return FALSE;
    }
  /* An unreachable controller gives way to the next one DNS lists. */
  for (guint i = 0; uris[i] != NULL; i++)
    {
      g_clear_error (&local_error);
      bound = connect_and_bind (self, uris[i], &ld, &local_error);
      if (bound || !g_error_matches (local_error, CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE))
        break;
    }
  forget_password (self);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (!bound)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (!read_root_dse (self, ld, error))
    {
      if (g_cancellable_is_cancelled (cancellable))
        {
          g_clear_error (error);
          g_cancellable_set_error_if_cancelled (cancellable, error);
        }
      return FALSE;
    }

  g_clear_pointer (&self->ld, cradle_ldap_unbind);
  self->ld = g_steal_pointer (&ld);
  g_debug ("Bound to %s as %s, security strength %u",
           self->uri, self->bound_identity, self->security_strength);
  return TRUE;
}

static void
open_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;

  if (cradle_directory_open (source_object, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
cradle_directory_open_async (CradleDirectory     *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CRADLE_IS_DIRECTORY (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cradle_directory_open_async);
  g_task_run_in_thread (task, open_thread);
}

gboolean
cradle_directory_open_finish (CradleDirectory  *self,
                              GAsyncResult     *result,
                              GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

const char *
cradle_directory_get_uri (CradleDirectory *self)
{
  g_return_val_if_fail (CRADLE_IS_DIRECTORY (self), NULL);
  return self->uri;
}

const char *
cradle_directory_get_dc_host_name (CradleDirectory *self)
{
  g_return_val_if_fail (CRADLE_IS_DIRECTORY (self), NULL);
  return self->dc_host_name;
}

const char *
cradle_directory_get_default_naming_context (CradleDirectory *self)
{
  g_return_val_if_fail (CRADLE_IS_DIRECTORY (self), NULL);
  return self->default_naming_context;
}

const char *
cradle_directory_get_configuration_naming_context (CradleDirectory *self)
{
  g_return_val_if_fail (CRADLE_IS_DIRECTORY (self), NULL);
  return self->configuration_naming_context;
}

/* Returns: (nullable): the authenticated principal, as alice@CORP.EXAMPLE.TEST */
const char *
cradle_directory_get_bound_identity (CradleDirectory *self)
{
  g_return_val_if_fail (CRADLE_IS_DIRECTORY (self), NULL);
  return self->bound_identity;
}

/* The SASL security strength factor: 0 means unprotected, 256 a sealed session. */
guint
cradle_directory_get_security_strength (CradleDirectory *self)
{
  g_return_val_if_fail (CRADLE_IS_DIRECTORY (self), 0);
  return self->security_strength;
}

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

/* The cn of every object of @object_class one level below @container. */
static char **
list_names_in (CradleDirectory  *self,
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
  return list_names_in (self, "CN=Certificate Templates,", "pKICertificateTemplate",
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
  return list_names_in (self, "CN=Enrollment Services,", "pKIEnrollmentService",
                        cancellable, error);
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
  entry = dup_first_entry (self->ld, result, &local_error);
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
  entry = dup_first_entry (self->ld, result, error);
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

/* Who reads what: the session's directory and account, known before it
 * opens (the ccache's client, or the user given with a password). */
char *
cradle_directory_dup_reader (CradleDirectory  *self,
                             GError          **error)
{
  g_autofree char *principal = NULL;

  g_return_val_if_fail (CRADLE_IS_DIRECTORY (self), NULL);

  if (self->user != NULL)
    principal = g_strdup (self->user);
  else if (!cradle_krb5_check_ccache (self->ccache_name, &principal, NULL, error))
    return NULL;
  return g_strconcat (self->source, "\n", principal, NULL);
}
