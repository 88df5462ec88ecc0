/* cradle-cert-type.c: a template of the catalog or an administrator's type, and its connector */
#include "config.h"

#include <string.h>

#include "policy/cradle-cert-type-private.h"
#include "ca/cradle-ca-connector-private.h"
#include "ca/cradle-http-private.h"
#include "catalog/cradle-catalog-private.h"

struct _CradleCertType
{
  GObject                  parent_instance;

  /* Owned */
  CradleCertTypeKind       kind;
  char                    *name;
  char                    *display_name;
  CradleEnrollability      enrollability;
  char                    *reason;
  CradleCaProtocol         protocol;
  char                    *url;
  char                    *policy_url;
  char                    *template_name;
  CradleTemplate          *template;
  CradleCatalog           *catalog;
  CradleEnrollmentService *service;        /* a template's CA */
  CradleEndpointAuth       service_auth;   /* WSTEP: the endpoint's sign-in */
  char                    *label;
  char                    *key_type;
  char                    *subject;
  CradleCredentialsKind    auth;
  char                    *trust_anchors;
  gboolean                 trust_anchors_default;  /* cradle.conf's, read on first use */
  gsize                    trust_anchors_read;     /* g_once */
  gboolean                 allow_plain_http;
  char                    *challenge_file;
  GBytes                  *ca_fingerprint;   /* scep: CAFingerprint, 32 bytes */
  guint                    timeout;
  guint                    renew_at;
  char                    *piv_slot;
  CradleAttestationPolicy  attestation;
  char                    *source;
};

G_DEFINE_FINAL_TYPE (CradleCertType, cradle_cert_type, G_TYPE_OBJECT)

static void
cradle_cert_type_dispose (GObject *object)
{
  CradleCertType *self = CRADLE_CERT_TYPE (object);

  g_clear_object (&self->template);
  g_clear_object (&self->catalog);
  g_clear_object (&self->service);
  G_OBJECT_CLASS (cradle_cert_type_parent_class)->dispose (object);
}

static void
cradle_cert_type_finalize (GObject *object)
{
  CradleCertType *self = CRADLE_CERT_TYPE (object);

  g_free (self->name);
  g_free (self->display_name);
  g_free (self->reason);
  g_free (self->url);
  g_free (self->policy_url);
  g_free (self->template_name);
  g_free (self->label);
  g_free (self->key_type);
  g_free (self->subject);
  g_free (self->trust_anchors);
  g_free (self->challenge_file);
  g_clear_pointer (&self->ca_fingerprint, g_bytes_unref);
  g_free (self->piv_slot);
  g_free (self->source);
  G_OBJECT_CLASS (cradle_cert_type_parent_class)->finalize (object);
}

static void
cradle_cert_type_class_init (CradleCertTypeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cradle_cert_type_dispose;
  object_class->finalize = cradle_cert_type_finalize;
}

static void
cradle_cert_type_init (CradleCertType *self)
{
}

/* ---- templates ----------------------------------------------------------- */

/* The TrustAnchors of cradle.conf, for a type that names none itself, are
 * read when a connector is made or the getter asks, not for every type a
 * listing shows: with 200 templates, `cradlectl templates` tried 832 files
 * for them (5 million instructions). */
static const char *
get_trust_anchors (CradleCertType *self)
{
  if (g_once_init_enter (&self->trust_anchors_read))
    {
      if (self->trust_anchors_default)
        self->trust_anchors = cradle_cert_type_dup_default_trust_anchors ();
      g_once_init_leave (&self->trust_anchors_read, 1);
    }
  return self->trust_anchors;
}

static CradleEndpointAuth
endpoint_auth_for (CradleCredentialsKind credentials)
{
  return credentials == CRADLE_CREDENTIALS_PASSWORD ? CRADLE_ENDPOINT_AUTH_PASSWORD
                                                    : CRADLE_ENDPOINT_AUTH_KERBEROS;
}

gint
cradle_cert_type_choose_endpoint (CradleEnrollmentService *service,
                                  CradleCredentialsKind    credentials)
{
  CradleEndpointAuth wanted = endpoint_auth_for (credentials);
  gint best = -1;

  for (guint i = 0; i < cradle_enrollment_service_get_n_endpoints (service); i++)
    {
      if ((cradle_enrollment_service_get_endpoint_auth (service, i) & wanted) == 0 ||
          cradle_enrollment_service_get_endpoint_renewal_only (service, i))
        continue;
      if (best < 0 || cradle_enrollment_service_get_endpoint_priority (service, i) <
                      cradle_enrollment_service_get_endpoint_priority (service, (guint) best))
        best = (gint) i;
    }
  return best;
}

/* The first CA that publishes the template: its web service for this
 * sign-in, by ascending priority, else its Web Enrollment pages. */
static void
choose_connector (CradleCertType       *self,
                  CradleCredentialsKind credentials)
{
  g_autoptr(GPtrArray) services = cradle_catalog_dup_services_for (self->catalog, self->template);
  CradleEndpointAuth wanted = endpoint_auth_for (credentials);
  CradleEnrollmentService *service;
  gint best;

  if (services->len == 0)
    return;
  service = g_ptr_array_index (services, 0);
  self->service = g_object_ref (service);
  best = cradle_cert_type_choose_endpoint (service, credentials);
  if (best >= 0)
    {
      self->protocol = CRADLE_CA_PROTOCOL_WSTEP;
      self->service_auth = wanted;
      self->url = g_strdup (cradle_enrollment_service_get_endpoint_uri (service, (guint) best));
    }
  else
    {
      self->protocol = CRADLE_CA_PROTOCOL_CERTSRV;
      self->url = g_strdup_printf ("https://%s/certsrv", cradle_enrollment_service_get_host (service));
    }
}

CradleCertType *
cradle_cert_type_new_for_template (CradleCatalog        *catalog,
                                   CradleTemplate       *template,
                                   CradleCredentialsKind credentials)
{
  CradleCertType *self;
  const char *display_name;

  g_return_val_if_fail (CRADLE_IS_CATALOG (catalog), NULL);
  g_return_val_if_fail (CRADLE_IS_TEMPLATE (template), NULL);

  self = g_object_new (CRADLE_TYPE_CERT_TYPE, NULL);
  self->kind = CRADLE_CERT_TYPE_TEMPLATE;
  self->catalog = g_object_ref (catalog);
  self->template = g_object_ref (template);
  self->name = g_strdup (cradle_template_get_name (template));
  self->template_name = g_strdup (self->name);
  display_name = cradle_template_get_display_name (template);
  self->display_name = g_strdup (display_name != NULL && display_name[0] != '\0' ? display_name : self->name);
  self->enrollability = cradle_catalog_check (catalog, template, &self->reason);
  self->auth = credentials;
  self->trust_anchors_default = TRUE;
  choose_connector (self, credentials);
  return self;
}

/* ---- custom types -------------------------------------------------------- */

CradleCertType *
cradle_cert_type_new_custom (CradleCertTypeSettings *settings,
                             CradleCatalog          *catalog)
{
  CradleCertType *self = g_object_new (CRADLE_TYPE_CERT_TYPE, NULL);

  self->kind = CRADLE_CERT_TYPE_CUSTOM;
  self->source = g_strdup (settings->source);
  self->name = g_strdup (settings->name);
  self->display_name = g_strdup (settings->display_name);
  self->protocol = settings->protocol;
  self->url = g_strdup (settings->url);
  self->policy_url = g_strdup (settings->policy_url);
  self->template_name = g_strdup (settings->template_name);
  self->label = g_strdup (settings->label);
  self->key_type = g_strdup (settings->key_type != NULL ? settings->key_type : "rsa2048");
  self->subject = g_strdup (settings->subject);
  self->auth = settings->auth;
  self->trust_anchors = g_strdup (settings->trust_anchors);
  self->trust_anchors_default = settings->trust_anchors == NULL;
  self->allow_plain_http = settings->allow_plain_http;
  self->challenge_file = g_strdup (settings->challenge_file);
  self->ca_fingerprint = settings->ca_fingerprint != NULL ? g_bytes_ref (settings->ca_fingerprint) : NULL;
  self->timeout = settings->timeout;
  self->renew_at = settings->renew_at;
  self->piv_slot = g_strdup (settings->piv_slot);
  self->attestation = settings->attestation;
  self->enrollability = CRADLE_ENROLLABILITY_ENROLLABLE;

  if (catalog != NULL)
    self->catalog = g_object_ref (catalog);
  if (catalog != NULL && self->template_name != NULL)
    {
      CradleTemplate *template = cradle_catalog_find_template (catalog, self->template_name);

      if (template != NULL)
        {
          self->template = g_object_ref (template);
          g_clear_pointer (&self->key_type, g_free);
          self->enrollability = cradle_catalog_check (catalog, template, &self->reason);
        }
    }
  if (self->challenge_file != NULL && !g_file_test (self->challenge_file, G_FILE_TEST_IS_REGULAR))
    {
      self->enrollability = CRADLE_ENROLLABILITY_DAMAGED;
      g_free (self->reason);
      self->reason = g_strdup_printf ("The challenge file %s of this type is missing. "
                                      "Ask your administrator.", self->challenge_file);
    }
  return self;
}

CradleCertType *
cradle_cert_type_new_from_file (const char     *path,
                                CradleCatalog  *catalog,
                                GError        **error)
{
  g_autoptr(CradleCertTypeSettings) settings = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (catalog == NULL || CRADLE_IS_CATALOG (catalog), NULL);

  settings = cradle_cert_type_settings_load (path, error);
  if (settings == NULL)
    return NULL;
  return cradle_cert_type_new_custom (settings, catalog);
}

static gint
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* Every *.conf of @folder's types.d, by name; a later folder's type
 * replaces an earlier one of the same name. */
static void
load_folder (const char    *folder,
             CradleCatalog *catalog,
             GHashTable    *by_name,
             GPtrArray     *problems)
{
  g_autofree char *types_dir = g_build_filename (folder, "types.d", NULL);
  g_autoptr(GDir) dir = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  const char *entry;

  dir = g_dir_open (types_dir, 0, &error);
  if (dir == NULL)
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT) &&
          !g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOTDIR))
        g_ptr_array_add (problems, g_strdup_printf ("%s: %s", types_dir, error->message));
      return;
    }
  while ((entry = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (entry, ".conf") && entry[0] != '.')
      g_ptr_array_add (names, g_strdup (entry));
  g_ptr_array_sort (names, compare_strings);
  if (names->len > CRADLE_CERT_TYPE_MAX_FILES)
    {
      g_ptr_array_add (problems, g_strdup_printf ("%s: more than %d type files; only the first %d are read",
                                                  types_dir, CRADLE_CERT_TYPE_MAX_FILES,
                                                  CRADLE_CERT_TYPE_MAX_FILES));
      g_ptr_array_set_size (names, CRADLE_CERT_TYPE_MAX_FILES);
    }
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (types_dir, g_ptr_array_index (names, i), NULL);
      g_autoptr(GError) local_error = NULL;
      CradleCertType *type = cradle_cert_type_new_from_file (path, catalog, &local_error);

      if (type == NULL)
        {
          g_ptr_array_add (problems, g_strdup (local_error->message));
          continue;
        }
      g_hash_table_replace (by_name, g_ascii_strdown (type->name, -1), type);
    }
}

static gint
compare_by_name (gconstpointer a,
                 gconstpointer b)
{
  CradleCertType *x = *(CradleCertType **) a;
  CradleCertType *y = *(CradleCertType **) b;

  return g_ascii_strcasecmp (x->name, y->name);
}

GPtrArray *
cradle_cert_type_list (CradleCatalog         *catalog,
                       CradleCredentialsKind  credentials,
                       char                ***problems)
{
  g_autoptr(GPtrArray) types = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) custom = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) found_problems = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) by_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  g_autofree char *system = cradle_paths_dup_system_config_dir ();
  g_autofree char *user = cradle_paths_dup_config_dir ();
  GHashTableIter iter;
  gpointer value;

  g_return_val_if_fail (catalog == NULL || CRADLE_IS_CATALOG (catalog), NULL);

  if (catalog != NULL)
    {
      GPtrArray *templates = cradle_catalog_get_templates (catalog);

      for (guint i = 0; i < templates->len; i++)
        g_ptr_array_add (types, cradle_cert_type_new_for_template (catalog, g_ptr_array_index (templates, i),
                                                                   credentials));
    }

  load_folder (system, catalog, by_name, found_problems);
  load_folder (user, catalog, by_name, found_problems);
  g_hash_table_iter_init (&iter, by_name);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (custom, g_object_ref (value));
  g_ptr_array_sort (custom, compare_by_name);
  g_ptr_array_extend_and_steal (types, g_steal_pointer (&custom));

  if (problems != NULL)
    {
      g_ptr_array_add (found_problems, NULL);
      *problems = (char **) g_ptr_array_free (g_steal_pointer (&found_problems), FALSE);
    }
  return g_steal_pointer (&types);
}

CradleCertType *
cradle_cert_type_find (GPtrArray  *types,
                       const char *name)
{
  g_return_val_if_fail (types != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < types->len; i++)
    {
      CradleCertType *type = g_ptr_array_index (types, i);

      if (g_ascii_strcasecmp (type->name, name) == 0)
        return type;
    }
  return NULL;
}

char *
cradle_cert_type_dup_endpoint (CradleCertType *self)
{
  if (self->url == NULL)
    return NULL;
  if (self->protocol == CRADLE_CA_PROTOCOL_EST && self->label != NULL)
    return g_strconcat (self->url, g_str_has_suffix (self->url, "/") ? "" : "/", self->label, NULL);
  return g_strdup (self->url);
}

CradleCertType *
cradle_cert_type_find_for_endpoint (GPtrArray  *types,
                                    const char *protocol,
                                    const char *endpoint,
                                    const char *template_name)
{
  CradleCaProtocol wanted;
  CradleCertType *policy_match = NULL;

  g_return_val_if_fail (types != NULL, NULL);
  g_return_val_if_fail (protocol != NULL, NULL);

  if (!cradle_ca_protocol_from_string (protocol, &wanted))
    return NULL;
  for (guint i = 0; i < types->len; i++)
    {
      CradleCertType *type = g_ptr_array_index (types, i);
      g_autofree char *type_endpoint = cradle_cert_type_dup_endpoint (type);

      if (type->protocol != wanted)
        continue;
      if (template_name != NULL && type->template_name != NULL &&
          g_ascii_strcasecmp (template_name, type->template_name) != 0)
        continue;
      if (endpoint != NULL && g_strcmp0 (type_endpoint, endpoint) == 0)
        return type;
      /* A WSTEP type that finds its CES through a policy server. */
      if (type_endpoint == NULL && type->policy_url != NULL && policy_match == NULL)
        policy_match = type;
    }
  return policy_match;
}

/* ---- the connector ------------------------------------------------------- */

/* @policy_server: a WSTEP type's policy server (PolicyURL) even when it
 * names its CES (URL). */
static CradleCaConnector *
create_connector (CradleCertType     *self,
                  CradleCredentials  *credentials,
                  gboolean            policy_server,
                  GError            **error)
{
  g_autoptr(CradleCaConnector) connector = NULL;
  CradleCredentialsKind given;

  given = cradle_credentials_get_kind (credentials);
  if (self->url == NULL && self->policy_url == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "No certification authority issues '%s': %s",
                   self->name, self->reason != NULL ? self->reason : "no CA publishes it.");
      return NULL;
    }
  if (self->kind == CRADLE_CERT_TYPE_CUSTOM && self->auth == CRADLE_CREDENTIALS_PASSWORD &&
      given != CRADLE_CREDENTIALS_PASSWORD)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "The certificate type '%s' signs in to its CA with a user name and password. "
                   "Give them (cradlectl: --user and --password-file).", self->name);
      return NULL;
    }

  switch (self->protocol)
    {
    case CRADLE_CA_PROTOCOL_CERTSRV:
      connector = cradle_certsrv_connector_new (self->url);
      break;
    case CRADLE_CA_PROTOCOL_WSTEP:
      if (self->policy_url != NULL && (self->url == NULL || policy_server))
        connector = cradle_wstep_connector_new_for_policy_server (self->policy_url);
      else if (self->service != NULL)
        {
          connector = cradle_wstep_connector_new_for_service (self->service, self->service_auth, error);
          if (connector == NULL)
            return NULL;
        }
      else
        connector = cradle_wstep_connector_new (self->url);
      break;
    case CRADLE_CA_PROTOCOL_SCEP:
      connector = cradle_scep_connector_new (self->url);
      break;
    case CRADLE_CA_PROTOCOL_EST:
    default:
      connector = cradle_est_connector_new (self->url, self->label);
      break;
    }

  /* A type that asks for no sign-in gets none, whatever the session has. */
  if (self->kind == CRADLE_CERT_TYPE_TEMPLATE || self->auth != CRADLE_CREDENTIALS_NONE)
    cradle_credentials_apply_to_connector (credentials, connector);
  if (get_trust_anchors (self) != NULL)
    cradle_ca_connector_add_trust_anchors (connector, get_trust_anchors (self));
  /* The enterprise's roots, read from the directory over the sealed
   * Kerberos session, are trusted for its CAs' TLS endpoints too. */
  if (self->catalog != NULL && cradle_cert_type_get_trust_directory_roots ())
    {
      g_autoptr(GPtrArray) roots = cradle_catalog_dup_directory_roots (self->catalog);

      cradle_http_add_trust_certificates (cradle_ca_connector_get_http (connector), roots);
    }
  if (self->allow_plain_http)
    cradle_ca_connector_set_allow_plain_http (connector, TRUE);
  if (self->ca_fingerprint != NULL && self->protocol == CRADLE_CA_PROTOCOL_SCEP)
    cradle_scep_connector_set_ca_fingerprint (connector, self->ca_fingerprint);
  if (self->timeout > 0)
    cradle_ca_connector_set_timeout (connector, self->timeout);
  return g_steal_pointer (&connector);
}

CradleCaConnector *
cradle_cert_type_create_connector (CradleCertType     *self,
                                   CradleCredentials  *credentials,
                                   GError            **error)
{
  g_return_val_if_fail (CRADLE_IS_CERT_TYPE (self), NULL);
  g_return_val_if_fail (CRADLE_IS_CREDENTIALS (credentials), NULL);

  return create_connector (self, credentials, FALSE, error);
}

CradleCaConnector *
cradle_cert_type_create_policy_connector (CradleCertType     *self,
                                          CradleCredentials  *credentials,
                                          GError            **error)
{
  g_return_val_if_fail (CRADLE_IS_CERT_TYPE (self), NULL);
  g_return_val_if_fail (CRADLE_IS_CREDENTIALS (credentials), NULL);
  g_return_val_if_fail (self->protocol == CRADLE_CA_PROTOCOL_WSTEP && self->policy_url != NULL, NULL);

  return create_connector (self, credentials, TRUE, error);
}

/* ---- getters ------------------------------------------------------------- */

CradleCertTypeKind
cradle_cert_type_get_kind (CradleCertType *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_TYPE (self), CRADLE_CERT_TYPE_CUSTOM);
  return self->kind;
}

const char *
cradle_cert_type_get_name (CradleCertType *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_TYPE (self), NULL);
  return self->name;
}

const char *
cradle_cert_type_get_display_name (CradleCertType *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_TYPE (self), NULL);
  return self->display_name;
}

CradleEnrollability
cradle_cert_type_get_enrollability (CradleCertType *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_TYPE (self), CRADLE_ENROLLABILITY_DAMAGED);
  return self->enrollability;
}

const char *
cradle_cert_type_get_reason (CradleCertType *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_TYPE (self), NULL);
  return self->reason;
}

gboolean
cradle_cert_type_is_enrollable (CradleCertType *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_TYPE (self), FALSE);
  return self->enrollability == CRADLE_ENROLLABILITY_ENROLLABLE ||
         self->enrollability == CRADLE_ENROLLABILITY_NEEDS_APPROVAL;
}

CradleCaProtocol
cradle_cert_type_get_protocol (CradleCertType *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_TYPE (self), CRADLE_CA_PROTOCOL_CERTSRV);
  return self->protocol;
}

const char *
cradle_cert_type_get_url (CradleCertType *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_TYPE (self), NULL);
  return self->url;
}

const char *
cradle_cert_type_get_policy_url (CradleCertType *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_TYPE (self), NULL);
  return self->policy_url;
}

const char *
cradle_cert_type_get_template_name (CradleCertType *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_TYPE (self), NULL);
  return self->template_name;
}

CradleTemplate *
cradle_cert_type_get_template (CradleCertType *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_TYPE (self), NULL);
  return self->template;
}

CradleCatalog *
cradle_cert_type_get_catalog (CradleCertType *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_TYPE (self), NULL);
  return self->catalog;
}

const char *
cradle_cert_type_get_label (CradleCertType *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_TYPE (self), NULL);
  return self->label;
}

const char *
cradle_cert_type_get_key_type (CradleCertType *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_TYPE (self), NULL);
  return self->key_type;
}

const char *
cradle_cert_type_get_subject (CradleCertType *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_TYPE (self), NULL);
  return self->subject;
}

CradleCredentialsKind
cradle_cert_type_get_auth (CradleCertType *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_TYPE (self), CRADLE_CREDENTIALS_NONE);
  return self->auth;
}

const char *
cradle_cert_type_get_trust_anchors (CradleCertType *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_TYPE (self), NULL);
  return get_trust_anchors (self);
}

gboolean
cradle_cert_type_get_allow_plain_http (CradleCertType *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_TYPE (self), FALSE);
  return self->allow_plain_http;
}

const char *
cradle_cert_type_get_challenge_file (CradleCertType *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_TYPE (self), NULL);
  return self->challenge_file;
}

GBytes *
cradle_cert_type_get_ca_fingerprint (CradleCertType *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_TYPE (self), NULL);
  return self->ca_fingerprint;
}

guint
cradle_cert_type_get_timeout (CradleCertType *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_TYPE (self), 0);
  return self->timeout;
}

guint
cradle_cert_type_get_renew_at (CradleCertType *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_TYPE (self), 0);
  return self->renew_at;
}

const char *
cradle_cert_type_get_piv_slot (CradleCertType *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_TYPE (self), NULL);
  return self->piv_slot;
}

CradleAttestationPolicy
cradle_cert_type_get_attestation (CradleCertType *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_TYPE (self), CRADLE_ATTESTATION_CHECK);
  return self->attestation;
}

const char *
cradle_cert_type_get_source (CradleCertType *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_TYPE (self), NULL);
  return self->source;
}
