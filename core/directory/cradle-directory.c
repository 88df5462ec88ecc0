/* cradle-directory.c: an authenticated LDAP session with the domain: the
 * object, finding and opening the connection, what the root DSE says
 *
 * What the open session reads (PKI objects, the user's entry, SIDs) is in
 * cradle-directory-search.c.
 */
#include "config.h"

#include <fcntl.h>
#include <unistd.h>
#include <sys/socket.h>

#include <string.h>
#include <cradle/cradle.h>

#include "directory/cradle-dc-locator-private.h"
#include "directory/cradle-directory-bind-private.h"
#include "directory/cradle-directory-private.h"
#include "kerberos/cradle-krb5-private.h"
#include "directory/cradle-ldap-private.h"

#define DEFAULT_TIMEOUT_SECONDS 15

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

CradleLdapEntry *
_cradle_directory_dup_first_entry (LDAP         *ld,
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

  entry = _cradle_directory_dup_first_entry (ld, result, &local_error);
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
