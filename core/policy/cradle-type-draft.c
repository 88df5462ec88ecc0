/* cradle-type-draft.c: an administrator's certificate type being written, field by field
 *
 * A draft holds each key of a type file as the text an administrator
 * typed.  It is checked by writing it as a type file and reading that
 * back with the one parser of cradle-cert-type-file.c, collecting every
 * problem: the rules live there alone.
 */
#include "config.h"

#include <string.h>

#include "policy/cradle-cert-type-private.h"
#include "policy/cradle-type-draft-private.h"

/* ---- problems ------------------------------------------------------------ */

CradleTypeProblem *
cradle_type_problem_new (const char *field,
                         const char *message)
{
  CradleTypeProblem *problem = g_new0 (CradleTypeProblem, 1);

  problem->field = g_strdup (field);
  problem->message = g_strdup (message);
  return problem;
}

CradleTypeProblem *
cradle_type_problem_copy (const CradleTypeProblem *problem)
{
  g_return_val_if_fail (problem != NULL, NULL);

  return cradle_type_problem_new (problem->field, problem->message);
}

void
cradle_type_problem_free (CradleTypeProblem *problem)
{
  if (problem == NULL)
    return;
  g_free (problem->field);
  g_free (problem->message);
  g_free (problem);
}

G_DEFINE_BOXED_TYPE (CradleTypeProblem, cradle_type_problem, cradle_type_problem_copy, cradle_type_problem_free)

/* ---- the draft ----------------------------------------------------------- */

/* The text fields, in the order the type file takes their keys. */
typedef enum {
  FIELD_NAME,
  FIELD_DISPLAY_NAME,
  FIELD_PROTOCOL,
  FIELD_URL,
  FIELD_POLICY_URL,
  FIELD_TEMPLATE,
  FIELD_LABEL,
  FIELD_KEY_TYPE,
  FIELD_SUBJECT,
  FIELD_AUTH,
  FIELD_TRUST_ANCHORS,
  FIELD_CHALLENGE_FILE,
  FIELD_CA_FINGERPRINT,
  FIELD_PIV_SLOT,
  FIELD_ATTESTATION,
  N_FIELDS
} Field;

static const char * const field_keys[N_FIELDS] = {
  "Name", "DisplayName", "Protocol", "URL", "PolicyURL", "Template", "Label", "KeyType",
  "Subject", "Auth", "TrustAnchors", "ChallengeFile", "CAFingerprint", "PivSlot", "Attestation",
};

struct _CradleTypeDraft
{
  GObject   parent_instance;

  /* Owned */
  char     *fields[N_FIELDS];
  gboolean  require_tls;
  guint     timeout;
  guint     renew_at;
  char     *source;
};

G_DEFINE_FINAL_TYPE (CradleTypeDraft, cradle_type_draft, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_NAME,
  PROP_DISPLAY_NAME,
  PROP_PROTOCOL,
  PROP_URL,
  PROP_POLICY_URL,
  PROP_TEMPLATE,
  PROP_LABEL,
  PROP_KEY_TYPE,
  PROP_SUBJECT,
  PROP_AUTH,
  PROP_TRUST_ANCHORS,
  PROP_CHALLENGE_FILE,
  PROP_CA_FINGERPRINT,
  PROP_PIV_SLOT,
  PROP_ATTESTATION,
  PROP_REQUIRE_TLS,
  PROP_TIMEOUT,
  PROP_RENEW_AT,
  PROP_SOURCE,
  N_PROPS
};

/* The text properties are PROP_NAME.. in Field's order. */
#define FIELD_OF(prop) ((Field) ((prop) - PROP_NAME))

static GParamSpec *properties[N_PROPS];

static void
cradle_type_draft_finalize (GObject *object)
{
  CradleTypeDraft *self = CRADLE_TYPE_DRAFT (object);

  for (guint i = 0; i < N_FIELDS; i++)
    g_free (self->fields[i]);
  g_free (self->source);
  G_OBJECT_CLASS (cradle_type_draft_parent_class)->finalize (object);
}

/* Sets a text field; "" is unset.  Notifies when it changed. */
static void
set_field (CradleTypeDraft *self,
           Field            field,
           const char      *value)
{
  if (value != NULL && value[0] == '\0')
    value = NULL;
  if (g_strcmp0 (self->fields[field], value) == 0)
    return;
  g_free (self->fields[field]);
  self->fields[field] = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME + field]);
}

static void
cradle_type_draft_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  CradleTypeDraft *self = CRADLE_TYPE_DRAFT (object);

  switch (prop_id)
    {
    case PROP_NAME ... PROP_ATTESTATION:
      g_value_set_string (value, self->fields[FIELD_OF (prop_id)]);
      break;
    case PROP_REQUIRE_TLS:
      g_value_set_boolean (value, self->require_tls);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout);
      break;
    case PROP_RENEW_AT:
      g_value_set_uint (value, self->renew_at);
      break;
    case PROP_SOURCE:
      g_value_set_string (value, self->source);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cradle_type_draft_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  CradleTypeDraft *self = CRADLE_TYPE_DRAFT (object);

  switch (prop_id)
    {
    case PROP_NAME ... PROP_TRUST_ANCHORS:
    case PROP_CA_FINGERPRINT ... PROP_ATTESTATION:
      set_field (self, FIELD_OF (prop_id), g_value_get_string (value));
      break;
    case PROP_REQUIRE_TLS:
      if (self->require_tls != g_value_get_boolean (value))
        {
          self->require_tls = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_TIMEOUT:
      if (self->timeout != g_value_get_uint (value))
        {
          self->timeout = g_value_get_uint (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_RENEW_AT:
      if (self->renew_at != g_value_get_uint (value))
        {
          self->renew_at = g_value_get_uint (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cradle_type_draft_class_init (CradleTypeDraftClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;
  static const struct {
    guint       prop;
    const char *name;
  } texts[] = {
    { PROP_NAME, "name" },
    { PROP_DISPLAY_NAME, "display-name" },
    { PROP_PROTOCOL, "protocol" },
    { PROP_URL, "url" },
    { PROP_POLICY_URL, "policy-url" },
    { PROP_TEMPLATE, "template" },
    { PROP_LABEL, "label" },
    { PROP_KEY_TYPE, "key-type" },
    { PROP_SUBJECT, "subject" },
    { PROP_AUTH, "auth" },
    { PROP_TRUST_ANCHORS, "trust-anchors" },
    { PROP_CHALLENGE_FILE, "challenge-file" },
    { PROP_CA_FINGERPRINT, "ca-fingerprint" },
    { PROP_PIV_SLOT, "piv-slot" },
    { PROP_ATTESTATION, "attestation" },
  };

  object_class->finalize = cradle_type_draft_finalize;
  object_class->get_property = cradle_type_draft_get_property;
  object_class->set_property = cradle_type_draft_set_property;

  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++)
    properties[texts[i].prop] = g_param_spec_string (texts[i].name, NULL, NULL, NULL,
                                                     texts[i].prop == PROP_CHALLENGE_FILE ? ro : rw);
  properties[PROP_REQUIRE_TLS] = g_param_spec_boolean ("require-tls", NULL, NULL, TRUE, rw);
  properties[PROP_TIMEOUT] = g_param_spec_uint ("timeout", NULL, NULL, 0, G_MAXUINT, 0, rw);
  properties[PROP_RENEW_AT] = g_param_spec_uint ("renew-at", NULL, NULL, 0, G_MAXUINT, 0, rw);
  properties[PROP_SOURCE] = g_param_spec_string ("source", NULL, NULL, NULL, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cradle_type_draft_init (CradleTypeDraft *self)
{
  self->require_tls = TRUE;
  self->fields[FIELD_PROTOCOL] = g_strdup ("certsrv");
}

CradleTypeDraft *
cradle_type_draft_new (void)
{
  return g_object_new (CRADLE_TYPE_TYPE_DRAFT, NULL);
}

/* "AB:CD:…", as OpenSSL prints a fingerprint and CAFingerprint takes it. */
static char *
format_fingerprint (GBytes *digest)
{
  gsize size = 0;
  const guint8 *bytes = g_bytes_get_data (digest, &size);
  GString *text = g_string_sized_new (size * 3);

  for (gsize i = 0; i < size; i++)
    g_string_append_printf (text, "%s%02X", i > 0 ? ":" : "", bytes[i]);
  return g_string_free (text, FALSE);
}

CradleTypeDraft *
cradle_type_draft_new_from_type (CradleCertType *type)
{
  CradleTypeDraft *self;
  GBytes *fingerprint;

  g_return_val_if_fail (CRADLE_IS_CERT_TYPE (type), NULL);

  self = cradle_type_draft_new ();
  self->fields[FIELD_NAME] = g_strdup (cradle_cert_type_get_name (type));
  self->fields[FIELD_DISPLAY_NAME] = g_strdup (cradle_cert_type_get_display_name (type));
  g_free (self->fields[FIELD_PROTOCOL]);
  self->fields[FIELD_PROTOCOL] = g_strdup (cradle_ca_protocol_to_string (cradle_cert_type_get_protocol (type)));
  self->fields[FIELD_URL] = g_strdup (cradle_cert_type_get_url (type));
  self->fields[FIELD_POLICY_URL] = g_strdup (cradle_cert_type_get_policy_url (type));
  self->fields[FIELD_TEMPLATE] = g_strdup (cradle_cert_type_get_template_name (type));
  self->fields[FIELD_LABEL] = g_strdup (cradle_cert_type_get_label (type));
  self->fields[FIELD_KEY_TYPE] = g_strdup (cradle_cert_type_get_key_type (type));
  self->fields[FIELD_SUBJECT] = g_strdup (cradle_cert_type_get_subject (type));
  self->fields[FIELD_AUTH] = g_strdup (cradle_credentials_kind_to_string (cradle_cert_type_get_auth (type)));
  if (cradle_cert_type_get_kind (type) == CRADLE_CERT_TYPE_CUSTOM)
    self->fields[FIELD_TRUST_ANCHORS] = g_strdup (cradle_cert_type_get_trust_anchors (type));
  self->fields[FIELD_CHALLENGE_FILE] = g_strdup (cradle_cert_type_get_challenge_file (type));
  fingerprint = cradle_cert_type_get_ca_fingerprint (type);
  if (fingerprint != NULL)
    self->fields[FIELD_CA_FINGERPRINT] = format_fingerprint (fingerprint);
  self->fields[FIELD_PIV_SLOT] = g_strdup (cradle_cert_type_get_piv_slot (type));
  if (cradle_cert_type_get_attestation (type) != CRADLE_ATTESTATION_CHECK)
    self->fields[FIELD_ATTESTATION] =
      g_strdup (cradle_attestation_policy_to_string (cradle_cert_type_get_attestation (type)));
  self->require_tls = !cradle_cert_type_get_allow_plain_http (type);
  self->timeout = cradle_cert_type_get_timeout (type);
  self->renew_at = cradle_cert_type_get_renew_at (type);
  self->source = g_strdup (cradle_cert_type_get_source (type));
  return self;
}

/* The draft of parsed settings.  DisplayName, which the parser sets to
 * Name when the file does not, is left unset then. */
CradleTypeDraft *
_cradle_type_draft_new_from_settings (CradleCertTypeSettings *settings)
{
  CradleTypeDraft *self = cradle_type_draft_new ();

  self->source = g_strdup (settings->source);
  self->fields[FIELD_NAME] = g_strdup (settings->name);
  if (g_strcmp0 (settings->display_name, settings->name) != 0)
    self->fields[FIELD_DISPLAY_NAME] = g_strdup (settings->display_name);
  g_free (self->fields[FIELD_PROTOCOL]);
  self->fields[FIELD_PROTOCOL] = g_strdup (cradle_ca_protocol_to_string (settings->protocol));
  self->fields[FIELD_URL] = g_strdup (settings->url);
  self->fields[FIELD_POLICY_URL] = g_strdup (settings->policy_url);
  self->fields[FIELD_TEMPLATE] = g_strdup (settings->template_name);
  self->fields[FIELD_LABEL] = g_strdup (settings->label);
  self->fields[FIELD_KEY_TYPE] = g_strdup (settings->key_type);
  self->fields[FIELD_SUBJECT] = g_strdup (settings->subject);
  self->fields[FIELD_AUTH] = g_strdup (cradle_credentials_kind_to_string (settings->auth));
  self->fields[FIELD_TRUST_ANCHORS] = g_strdup (settings->trust_anchors);
  self->fields[FIELD_CHALLENGE_FILE] = g_strdup (settings->challenge_file);
  if (settings->ca_fingerprint != NULL)
    self->fields[FIELD_CA_FINGERPRINT] = format_fingerprint (settings->ca_fingerprint);
  self->fields[FIELD_PIV_SLOT] = g_strdup (settings->piv_slot);
  if (settings->attestation != CRADLE_ATTESTATION_CHECK)
    self->fields[FIELD_ATTESTATION] = g_strdup (cradle_attestation_policy_to_string (settings->attestation));
  self->require_tls = !settings->allow_plain_http;
  self->timeout = settings->timeout;
  self->renew_at = settings->renew_at;
  return self;
}

CradleTypeDraft *
cradle_type_draft_new_from_data (const char  *source,
                                 const char  *data,
                                 gsize        size,
                                 GError     **error)
{
  g_autoptr(CradleCertTypeSettings) settings = NULL;

  g_return_val_if_fail (source != NULL, NULL);
  g_return_val_if_fail (data != NULL || size == 0, NULL);

  settings = cradle_cert_type_settings_parse (source, data != NULL ? data : "", size, error);
  if (settings == NULL)
    return NULL;
  return _cradle_type_draft_new_from_settings (settings);
}

/* @value on one line: a line break would start another key. */
static void
append_key (GString    *text,
            const char *key,
            const char *value)
{
  g_autofree char *line = g_strdup (value);

  g_strdelimit (line, "\r\n", ' ');
  g_string_append_printf (text, "%s=%s\n", key, line);
}

char *
cradle_type_draft_dup_data (CradleTypeDraft *self)
{
  GString *text;

  g_return_val_if_fail (CRADLE_IS_TYPE_DRAFT (self), NULL);

  text = g_string_new ("[" CRADLE_CERT_TYPE_GROUP "]\n");
  for (guint i = 0; i < N_FIELDS; i++)
    {
      if (i == FIELD_CHALLENGE_FILE && !self->require_tls)
        append_key (text, "AllowPlainHttp", "true");
      if (self->fields[i] != NULL)
        append_key (text, field_keys[i], self->fields[i]);
    }
  if (self->timeout > 0)
    g_string_append_printf (text, "Timeout=%u\n", self->timeout);
  if (self->renew_at > 0)
    g_string_append_printf (text, "RenewAt=%u\n", self->renew_at);
  return g_string_free (text, FALSE);
}

GPtrArray *
cradle_type_draft_validate (CradleTypeDraft *self)
{
  g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func ((GDestroyNotify) cradle_type_problem_free);
  g_autoptr(CradleCertTypeSettings) settings = NULL;
  g_autofree char *data = NULL;

  g_return_val_if_fail (CRADLE_IS_TYPE_DRAFT (self), NULL);

  /* What the file cannot say: a value over two lines. */
  for (guint i = 0; i < N_FIELDS; i++)
    if (self->fields[i] != NULL && strpbrk (self->fields[i], "\r\n") != NULL)
      {
        g_autofree char *message = g_strdup_printf ("%s must be one line of text", field_keys[i]);

        g_ptr_array_add (problems, cradle_type_problem_new (cradle_cert_type_key_to_property (field_keys[i]),
                                                            message));
      }
  if (problems->len > 0)
    return g_steal_pointer (&problems);

  data = cradle_type_draft_dup_data (self);
  settings = cradle_cert_type_settings_check (self->source != NULL ? self->source : "the new type",
                                              data, strlen (data), problems);
  return g_steal_pointer (&problems);
}

/* "field: message" lines of @problems, for an error. */
static char *
join_problems (GPtrArray *problems)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < problems->len; i++)
    {
      CradleTypeProblem *problem = g_ptr_array_index (problems, i);

      g_string_append_printf (text, "%s%s", i > 0 ? "\n" : "", problem->message);
    }
  return g_string_free (text, FALSE);
}

gboolean
_cradle_type_draft_check (CradleTypeDraft  *self,
                          GError          **error)
{
  g_autoptr(GPtrArray) problems = cradle_type_draft_validate (self);
  g_autofree char *text = NULL;

  if (problems->len == 0)
    return TRUE;
  text = join_problems (problems);
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
               "The certificate type %s is not valid: %s", self->fields[FIELD_NAME] != NULL
               ? self->fields[FIELD_NAME] : "(without a name)", text);
  return FALSE;
}

CradleCertType *
cradle_type_draft_dup_cert_type (CradleTypeDraft  *self,
                                 GError          **error)
{
  g_autoptr(CradleCertTypeSettings) settings = NULL;
  g_autofree char *data = NULL;

  g_return_val_if_fail (CRADLE_IS_TYPE_DRAFT (self), NULL);

  if (!_cradle_type_draft_check (self, error))
    return NULL;
  data = cradle_type_draft_dup_data (self);
  settings = cradle_cert_type_settings_parse (self->source != NULL ? self->source : "the new type",
                                              data, strlen (data), error);
  if (settings == NULL)
    return NULL;
  return cradle_cert_type_new_custom (settings, NULL);
}

/* ---- accessors ----------------------------------------------------------- */

const char *
cradle_type_draft_get_name (CradleTypeDraft *self)
{
  g_return_val_if_fail (CRADLE_IS_TYPE_DRAFT (self), NULL);
  return self->fields[FIELD_NAME];
}

void
cradle_type_draft_set_name (CradleTypeDraft *self,
                            const char      *name)
{
  g_return_if_fail (CRADLE_IS_TYPE_DRAFT (self));
  set_field (self, FIELD_NAME, name);
}

const char *
cradle_type_draft_get_protocol (CradleTypeDraft *self)
{
  g_return_val_if_fail (CRADLE_IS_TYPE_DRAFT (self), NULL);
  return self->fields[FIELD_PROTOCOL];
}

void
cradle_type_draft_set_protocol (CradleTypeDraft *self,
                                const char      *protocol)
{
  g_return_if_fail (CRADLE_IS_TYPE_DRAFT (self));
  set_field (self, FIELD_PROTOCOL, protocol);
}

const char *
cradle_type_draft_get_challenge_file (CradleTypeDraft *self)
{
  g_return_val_if_fail (CRADLE_IS_TYPE_DRAFT (self), NULL);
  return self->fields[FIELD_CHALLENGE_FILE];
}

const char *
cradle_type_draft_get_source (CradleTypeDraft *self)
{
  g_return_val_if_fail (CRADLE_IS_TYPE_DRAFT (self), NULL);
  return self->source;
}

void
_cradle_type_draft_set_source (CradleTypeDraft *self,
                               const char      *source)
{
  if (g_strcmp0 (self->source, source) == 0)
    return;
  g_free (self->source);
  self->source = g_strdup (source);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SOURCE]);
}

void
_cradle_type_draft_set_challenge_file (CradleTypeDraft *self,
                                       const char      *challenge_file)
{
  set_field (self, FIELD_CHALLENGE_FILE, challenge_file);
}
