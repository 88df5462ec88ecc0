/* cradle-session.c: signing in to the domain, and the certificate types it offers
 *
 * The desktop's Kerberos ticket first; a password only when there is no
 * usable ticket (or when a user was named on the command line).  Opening
 * the directory, reading the catalog and listing the types all block, so
 * they run in GTask threads; the results come back to the main context and
 * the "state" property says where things stand.
 *
 * A CradleTypeLookup reads the directory, as cradlectl's does, and offers
 * the catalog kept from the last sign-in meanwhile: the session is signed
 * in with its types at once (cradle_session_get_type_lookup() says so),
 * an enrollment started then is confirmed with the directory before the
 * device signs, and the directory's types replace them when they come.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "cradle-session.h"

struct _CradleSession
{
  GObject parent_instance;

  /* Owned */
  char               *domain;
  char               *dc_uri;
  char               *user;
  char               *ccache_name;
  GCancellable       *cancellable;
  CradleSessionState  state;
  GError             *error;
  CradleCredentials  *credentials;   /* those signed in with, or being tried */
  CradleTypeLookup   *lookup;        /* while the types are the kept catalog's */
  CradleCatalog      *catalog;
  GPtrArray          *types;
  char               *identity;
  char               *server;
};

G_DEFINE_FINAL_TYPE (CradleSession, cradle_session, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef struct {
  char              *domain;
  char              *dc_uri;
  CradleCredentials *credentials;
  CradleTypeLookup  *lookup;
  /* Results */
  CradleCatalog     *catalog;     /* the directory's, else the kept one */
  GPtrArray         *types;
  char              *server;
} SignInJob;

static void
sign_in_job_free (gpointer data)
{
  SignInJob *job = data;

  g_free (job->domain);
  g_free (job->dc_uri);
  g_clear_object (&job->credentials);
  g_clear_object (&job->lookup);
  g_clear_object (&job->catalog);
  g_clear_pointer (&job->types, g_ptr_array_unref);
  g_free (job->server);
  g_free (job);
}

static GPtrArray *
list_types (CradleCatalog     *catalog,
            CradleCredentials *credentials)
{
  g_auto(GStrv) problems = NULL;
  GPtrArray *types = cradle_cert_type_list (catalog, cradle_credentials_get_kind (credentials), &problems);

  for (guint i = 0; problems != NULL && problems[i] != NULL; i++)
    g_warning ("%s", problems[i]);
  return types;
}

/* Starts reading the directory, and takes the kept catalog's types. */
static void
start_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  SignInJob *job = task_data;
  CradleCatalog *kept;

  job->lookup = cradle_type_lookup_new (job->domain, job->dc_uri, job->credentials, cancellable);
  kept = cradle_type_lookup_get_kept_catalog (job->lookup);
  if (kept != NULL)
    {
      job->catalog = g_object_ref (kept);
      job->types = list_types (kept, job->credentials);
    }
  g_task_return_boolean (task, TRUE);
}

/* The directory's catalog and types. */
static void
sign_in_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  SignInJob *job = task_data;
  GError *error = NULL;

  g_clear_object (&job->catalog);
  g_clear_pointer (&job->types, g_ptr_array_unref);
  job->catalog = cradle_type_lookup_wait (job->lookup, cancellable, &error);
  if (job->catalog == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  job->server = g_strdup (cradle_type_lookup_get_server (job->lookup));
  job->types = list_types (job->catalog, job->credentials);
  g_task_return_boolean (task, TRUE);
}

static void
set_state (CradleSession      *self,
           CradleSessionState  state)
{
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

/* No ticket, or an expired one: a password will do instead. */
static gboolean
needs_password (const GError *error)
{
  CradleExplainKind kind;
  guint32 code;

  if (!cradle_explain_get_detail (error, &kind, &code) || kind != CRADLE_EXPLAIN_KERBEROS)
    return FALSE;
  return code == CRADLE_KERBEROS_FAILURE_NO_TICKET || code == CRADLE_KERBEROS_FAILURE_TICKET_EXPIRED;
}

static void
take_types (CradleSession *self,
            SignInJob     *job)
{
  CradleDirectoryUser *user;

  g_clear_error (&self->error);
  g_set_object (&self->catalog, job->catalog);
  g_clear_pointer (&self->types, g_ptr_array_unref);
  self->types = g_ptr_array_ref (job->types);
  g_free (self->server);
  self->server = g_strdup (job->server);
  user = cradle_catalog_get_user (self->catalog);
  g_free (self->identity);
  self->identity = g_strdup (cradle_directory_user_get_principal_name (user) != NULL
                               ? cradle_directory_user_get_principal_name (user)
                               : cradle_directory_user_get_account_name (user));
}

static void
sign_in_done (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(CradleSession) self = user_data;
  GTask *task = G_TASK (result);
  SignInJob *job = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (task, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_clear_object (&self->lookup);
      g_info ("Sign-in failed: %s", error->message);
      g_clear_error (&self->error);
      self->error = g_steal_pointer (&error);
      if (cradle_credentials_get_kind (job->credentials) == CRADLE_CREDENTIALS_KERBEROS &&
          needs_password (self->error))
        set_state (self, CRADLE_SESSION_NEEDS_PASSWORD);
      else if (cradle_credentials_get_kind (job->credentials) == CRADLE_CREDENTIALS_PASSWORD &&
               g_error_matches (self->error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED))
        set_state (self, CRADLE_SESSION_NEEDS_PASSWORD);
      else
        set_state (self, CRADLE_SESSION_FAILED);
      return;
    }

  g_clear_object (&self->lookup);
  take_types (self, job);
  g_info ("Signed in as %s; %u certificate types", self->identity, self->types->len);
  set_state (self, CRADLE_SESSION_SIGNED_IN);
}

/* The kept catalog's types, shown while the directory is read. */
static void
started_done (GObject      *source_object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(CradleSession) self = user_data;
  SignInJob *job = g_task_get_task_data (G_TASK (result));
  SignInJob *next;
  g_autoptr(GTask) task = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), NULL))
    return;   /* cancelled: signed out, or signing in again */
  if (job->types != NULL)
    {
      g_set_object (&self->lookup, job->lookup);
      take_types (self, job);
      g_info ("Signed in as %s from the kept catalog; %u certificate types", self->identity, self->types->len);
      set_state (self, CRADLE_SESSION_SIGNED_IN);
    }
  next = g_new0 (SignInJob, 1);
  next->credentials = g_object_ref (job->credentials);
  next->lookup = g_object_ref (job->lookup);
  task = g_task_new (self, self->cancellable, sign_in_done, g_object_ref (self));
  g_task_set_source_tag (task, started_done);
  g_task_set_task_data (task, next, sign_in_job_free);
  g_task_run_in_thread (task, sign_in_thread);
}

static void
start (CradleSession     *self,
       CradleCredentials *credentials)
{
  g_autoptr(GTask) task = NULL;
  SignInJob *job = g_new0 (SignInJob, 1);

  cradle_session_cancel (self);
  self->cancellable = g_cancellable_new ();
  g_set_object (&self->credentials, credentials);
  g_clear_object (&self->lookup);

  job->domain = g_strdup (self->domain);
  job->dc_uri = g_strdup (self->dc_uri);
  job->credentials = g_object_ref (credentials);
  task = g_task_new (self, self->cancellable, started_done, g_object_ref (self));
  g_task_set_source_tag (task, start);
  g_task_set_task_data (task, job, sign_in_job_free);
  set_state (self, CRADLE_SESSION_SIGNING_IN);
  g_task_run_in_thread (task, start_thread);
}

void
cradle_session_sign_in (CradleSession *self)
{
  g_autoptr(CradleCredentials) credentials = NULL;

  g_return_if_fail (CRADLE_IS_SESSION (self));

  if (self->user != NULL)
    {
      /* A user named on the command line signs in with a password. */
      g_clear_error (&self->error);
      set_state (self, CRADLE_SESSION_NEEDS_PASSWORD);
      return;
    }
  credentials = cradle_credentials_new_kerberos (self->ccache_name);
  start (self, credentials);
}

void
cradle_session_sign_in_with_password (CradleSession *self,
                                      const char    *user,
                                      const char    *password)
{
  g_autoptr(CradleCredentials) credentials = NULL;

  g_return_if_fail (CRADLE_IS_SESSION (self));
  g_return_if_fail (user != NULL && password != NULL);

  g_free (self->user);
  self->user = g_strdup (user);
  credentials = cradle_credentials_new_password (user, password);
  start (self, credentials);
}

void
cradle_session_refresh (CradleSession *self)
{
  g_autoptr(CradleCredentials) credentials = NULL;

  g_return_if_fail (CRADLE_IS_SESSION (self));

  if (self->credentials == NULL || self->state == CRADLE_SESSION_NEEDS_PASSWORD)
    {
      cradle_session_sign_in (self);
      return;
    }
  credentials = g_object_ref (self->credentials);
  start (self, credentials);
}

void
cradle_session_cancel (CradleSession *self)
{
  g_return_if_fail (CRADLE_IS_SESSION (self));

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
}

static void
cradle_session_dispose (GObject *object)
{
  CradleSession *self = CRADLE_SESSION (object);

  cradle_session_cancel (self);
  g_clear_object (&self->credentials);
  /* Its directory read ends with the session, not under the process's exit. */
  if (self->lookup != NULL)
    cradle_type_lookup_stop (self->lookup);
  g_clear_object (&self->lookup);
  g_clear_object (&self->catalog);
  g_clear_pointer (&self->types, g_ptr_array_unref);

  G_OBJECT_CLASS (cradle_session_parent_class)->dispose (object);
}

static void
cradle_session_finalize (GObject *object)
{
  CradleSession *self = CRADLE_SESSION (object);

  g_clear_pointer (&self->domain, g_free);
  g_clear_pointer (&self->dc_uri, g_free);
  g_clear_pointer (&self->user, g_free);
  g_clear_pointer (&self->ccache_name, g_free);
  g_clear_pointer (&self->identity, g_free);
  g_clear_pointer (&self->server, g_free);
  g_clear_error (&self->error);

  G_OBJECT_CLASS (cradle_session_parent_class)->finalize (object);
}

static void
cradle_session_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  CradleSession *self = CRADLE_SESSION (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cradle_session_class_init (CradleSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cradle_session_dispose;
  object_class->finalize = cradle_session_finalize;
  object_class->get_property = cradle_session_get_property;

  properties[PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL, CRADLE_SESSION_SIGNED_OUT, CRADLE_SESSION_FAILED,
                      CRADLE_SESSION_SIGNED_OUT,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cradle_session_init (CradleSession *self)
{
}

CradleSession *
cradle_session_new (const char *domain,
                    const char *dc_uri,
                    const char *user,
                    const char *ccache_name)
{
  CradleSession *self = g_object_new (CRADLE_TYPE_SESSION, NULL);

  self->domain = g_strdup (domain);
  self->dc_uri = g_strdup (dc_uri);
  self->user = g_strdup (user);
  self->ccache_name = g_strdup (ccache_name);
  return self;
}

CradleSessionState
cradle_session_get_state (CradleSession *self)
{
  return self->state;
}

const GError *
cradle_session_get_error (CradleSession *self)
{
  return self->error;
}

const char *
cradle_session_get_user_hint (CradleSession *self)
{
  return self->user != NULL ? self->user : g_get_user_name ();
}

CradleCredentials *
cradle_session_get_credentials (CradleSession *self)
{
  return self->state == CRADLE_SESSION_SIGNED_IN ? self->credentials : NULL;
}

CradleCatalog *
cradle_session_get_catalog (CradleSession *self)
{
  return self->state == CRADLE_SESSION_SIGNED_IN ? self->catalog : NULL;
}

GPtrArray *
cradle_session_get_types (CradleSession *self)
{
  return self->state == CRADLE_SESSION_SIGNED_IN ? self->types : NULL;
}

const char *
cradle_session_get_identity (CradleSession *self)
{
  return self->identity;
}

const char *
cradle_session_get_server (CradleSession *self)
{
  return self->server;
}

const char *
cradle_session_get_domain (CradleSession *self)
{
  return self->domain;
}

const char *
cradle_session_get_dc_uri (CradleSession *self)
{
  return self->dc_uri;
}

CradleTypeLookup *
cradle_session_get_type_lookup (CradleSession *self)
{
  return self->state == CRADLE_SESSION_SIGNED_IN ? self->lookup : NULL;
}

CradleDirectory *
cradle_session_new_directory (CradleSession *self)
{
  CradleDirectory *directory;

  g_return_val_if_fail (CRADLE_IS_SESSION (self), NULL);

  if (cradle_session_get_credentials (self) == NULL)
    return NULL;
  directory = self->dc_uri != NULL ? cradle_directory_new (self->dc_uri)
                                   : cradle_directory_new_for_domain (self->domain);
  cradle_credentials_apply_to_directory (cradle_session_get_credentials (self), directory);
  return directory;
}
