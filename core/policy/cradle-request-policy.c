/* cradle-request-policy.c: the certificate request a template calls for */
#include "config.h"

#include <string.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <cradle/cradle.h>

#include "csr/cradle-csr-private.h"
#include "base/cradle-openssl-private.h"
#include "policy/cradle-request-policy-private.h"

struct _CradleRequestPolicy
{
  GObject parent_instance;

  /* Owned */
  char              *template_name;
  char              *template_oid;
  char              *key_algorithm;
  char              *device_key_type;
  char              *digest;
  char              *subject;        /* RFC 4514, as the user typed it */
  char              *common_name;    /* or one CN with this value, as it is */
  char              *san_upn;
  char              *san_email;
  GStrv              extended_key_usages;
  char              *request_attributes;

  guint              key_size;
  guint              key_usage;
  gboolean           key_usage_critical;
  guint              schema_version;
  guint              major_revision;
  guint              minor_revision;
  CradleSubjectMode  subject_mode;
  gboolean           requires_approval;
};

G_DEFINE_FINAL_TYPE (CradleRequestPolicy, cradle_request_policy, G_TYPE_OBJECT)

static void
cradle_request_policy_finalize (GObject *object)
{
  CradleRequestPolicy *self = CRADLE_REQUEST_POLICY (object);

  g_clear_pointer (&self->template_name, g_free);
  g_clear_pointer (&self->template_oid, g_free);
  g_clear_pointer (&self->key_algorithm, g_free);
  g_clear_pointer (&self->device_key_type, g_free);
  g_clear_pointer (&self->digest, g_free);
  g_clear_pointer (&self->subject, g_free);
  g_clear_pointer (&self->common_name, g_free);
  g_clear_pointer (&self->san_upn, g_free);
  g_clear_pointer (&self->san_email, g_free);
  g_clear_pointer (&self->extended_key_usages, g_strfreev);
  g_clear_pointer (&self->request_attributes, g_free);

  G_OBJECT_CLASS (cradle_request_policy_parent_class)->finalize (object);
}

static void
cradle_request_policy_class_init (CradleRequestPolicyClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cradle_request_policy_finalize;
}

static void
cradle_request_policy_init (CradleRequestPolicy *self)
{
}

/* The curves a device makes, by the CNG names templates use. */
static const struct {
  const char *cng_suffix;
  const char *device_key_type;
  guint       bits;
} curves[] = {
  { "_P256", "p256", 256 },
  { "_P384", "p384", 384 },
};

static gboolean
choose_ec_key (CradleRequestPolicy  *self,
               const char           *cng_algorithm,
               GError              **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (curves); i++)
    if (g_str_has_suffix (cng_algorithm, curves[i].cng_suffix))
      {
        self->key_algorithm = g_strdup ("EC");
        self->device_key_type = g_strdup (curves[i].device_key_type);
        self->key_size = curves[i].bits;
        return TRUE;
      }
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
               "This type needs a %s key, which Cradle devices cannot make (they make RSA "
               "2048 to 4096 and ECDSA P-256 and P-384). Ask an administrator for a type "
               "with one of those.", cng_algorithm);
  return FALSE;
}

/* RSA at the template's minimum, rounded up to a size devices make; 2048
 * when the template names none. */
static gboolean
choose_rsa_key (CradleRequestPolicy  *self,
                guint                 minimum,
                GError              **error)
{
  static const guint sizes[] = { 2048, 3072, 4096 };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    if (sizes[i] >= minimum)
      {
        self->key_algorithm = g_strdup ("RSA");
        self->key_size = sizes[i];
        self->device_key_type = g_strdup_printf ("rsa%u", sizes[i]);
        return TRUE;
      }
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
               "This type needs an RSA key of at least %u bits; Cradle devices make at most "
               "4096. Ask an administrator for a type with a smaller minimum.", minimum);
  return FALSE;
}

static gboolean
choose_key (CradleRequestPolicy  *self,
            CradleTemplate       *template,
            GError              **error)
{
  const char *cng_algorithm = cradle_template_get_cng_algorithm (template);
  const char *cng_hash = cradle_template_get_cng_hash (template);

  if (cng_algorithm != NULL &&
      (g_str_has_prefix (cng_algorithm, "ECDSA") || g_str_has_prefix (cng_algorithm, "ECDH")))
    {
      if (!choose_ec_key (self, cng_algorithm, error))
        return FALSE;
    }
  else if (cng_algorithm != NULL && !g_str_equal (cng_algorithm, "RSA"))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "This type needs a %s key, which Cradle devices cannot make. "
                   "Ask an administrator for an RSA or ECDSA type.", cng_algorithm);
      return FALSE;
    }
  else if (!choose_rsa_key (self, cradle_template_get_minimal_key_size (template), error))
    return FALSE;

  if (cng_hash != NULL && g_ascii_strcasecmp (cng_hash, "SHA384") == 0)
    self->digest = g_strdup ("sha384");
  else if (cng_hash != NULL && g_ascii_strcasecmp (cng_hash, "SHA512") == 0)
    self->digest = g_strdup ("sha512");
  else
    self->digest = g_strdup ("sha256");
  return TRUE;
}

/* What Cradle cannot do whatever the key. */
static gboolean
check_supported (CradleTemplate  *template,
                 GError         **error)
{
  /* msPKI-Private-Key-Flag REQUIRE_PRIVATE_KEY_ARCHIVAL */
  if (cradle_template_get_private_key_flags (template) & 0x1)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                           "This type has the CA keep a copy of the private key, and a device's "
                           "key never leaves it. Ask an administrator for a type without key archival.");
      return FALSE;
    }
  if (cradle_template_get_ra_signatures (template) > 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                           "This type needs an enrollment agent to co-sign each request, which "
                           "Cradle cannot do. Ask an enrollment agent to request it for you.");
      return FALSE;
    }
  if (cradle_template_get_flags (template) & (CRADLE_TEMPLATE_FLAG_MACHINE_TYPE | CRADLE_TEMPLATE_FLAG_IS_CA))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                           "This type is for computers or certification authorities, not for "
                           "a user's device.");
      return FALSE;
    }
  if (cradle_template_get_schema_version (template) >= 2 && cradle_template_get_oid (template) == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "This type has no template OID in the directory, so no request can "
                           "name it. Ask an administrator to repair the template.");
      return FALSE;
    }
  return TRUE;
}

/* @subject is RFC 4514 text a person typed; @common_name a value from the
 * device or the directory, which is never parsed as a name. */
static void
choose_subject (CradleRequestPolicy *self,
                CradleTemplate      *template,
                CradleDirectoryUser *user,
                const char          *subject,
                const char          *common_name)
{
  guint32 name_flags = cradle_template_get_name_flags (template);

  /* MS-WCCE 3.1.2.4.2.2.2.10: unless the enrollee supplies names, the
   * subject must be empty and the CA builds it and the SAN from AD. */
  if ((name_flags & (CRADLE_TEMPLATE_ENROLLEE_SUPPLIES_SUBJECT | CRADLE_TEMPLATE_ENROLLEE_SUPPLIES_ALT_NAME)) == 0)
    {
      self->subject_mode = CRADLE_SUBJECT_FROM_DIRECTORY;
      return;
    }

  self->subject_mode = CRADLE_SUBJECT_SUPPLIED;
  if (name_flags & CRADLE_TEMPLATE_ENROLLEE_SUPPLIES_SUBJECT)
    {
      if (subject != NULL && *subject != '\0')
        self->subject = g_strdup (subject);
      else if (common_name != NULL && *common_name != '\0')
        self->common_name = g_strdup (common_name);
      else
        {
          const char *cn = cradle_directory_user_get_common_name (user);

          self->common_name = g_strdup (cn != NULL ? cn : cradle_directory_user_get_account_name (user));
        }
    }
  /* The names the directory vouches for, as a Windows client adds them. */
  self->san_upn = g_strdup (cradle_directory_user_get_principal_name (user));
  self->san_email = g_strdup (cradle_directory_user_get_mail (user));
}

static gboolean
has_critical (CradleTemplate *template,
              const char     *oid)
{
  const char * const *critical = cradle_template_get_critical_extensions (template);

  return critical != NULL && g_strv_contains (critical, oid);
}

/**
 * cradle_request_policy_new:
 *
 * Returns: (transfer full): the request @template calls for, for @user
 */
CradleRequestPolicy *
cradle_request_policy_new (CradleTemplate       *template,
                           CradleDirectoryUser  *user,
                           const char           *subject,
                           GError              **error)
{
  return cradle_request_policy_new_full (template, user, subject, NULL, error);
}

CradleRequestPolicy *
cradle_request_policy_new_full (CradleTemplate       *template,
                                CradleDirectoryUser  *user,
                                const char           *subject,
                                const char           *common_name,
                                GError              **error)
{
  g_autoptr(CradleRequestPolicy) self = NULL;

  g_return_val_if_fail (CRADLE_IS_TEMPLATE (template), NULL);
  g_return_val_if_fail (CRADLE_IS_DIRECTORY_USER (user), NULL);

  if (!check_supported (template, error))
    return NULL;
  self = g_object_new (CRADLE_TYPE_REQUEST_POLICY, NULL);
  if (!choose_key (self, template, error))
    return NULL;
  choose_subject (self, template, user, subject, common_name);

  self->template_name = g_strdup (cradle_template_get_name (template));
  self->template_oid = g_strdup (cradle_template_get_oid (template));
  self->schema_version = cradle_template_get_schema_version (template);
  self->major_revision = cradle_template_get_major_revision (template);
  self->minor_revision = cradle_template_get_minor_revision (template);
  self->key_usage = cradle_template_get_key_usage (template);
  self->key_usage_critical = has_critical (template, "2.5.29.15");
  self->extended_key_usages = g_strdupv ((char **) cradle_template_get_extended_key_usages (template));
  self->requires_approval = (cradle_template_get_enrollment_flags (template) & CRADLE_TEMPLATE_PEND_ALL_REQUESTS) != 0;
  self->request_attributes = g_strdup_printf ("CertificateTemplate:%s", self->template_name);
  return g_steal_pointer (&self);
}

/* The device is untrusted: its key must be the kind the template asked for. */
static gboolean
check_public_key (CradleRequestPolicy  *self,
                  GBytes               *public_key_info,
                  GError              **error)
{
  gsize size;
  const unsigned char *der = g_bytes_get_data (public_key_info, &size);
  const unsigned char *cursor = der;
  g_autoptr(EVP_PKEY) key = d2i_PUBKEY (NULL, &cursor, (long) size);
  gboolean is_ec;

  if (key == NULL || cursor != der + size)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The device sent a public key that cannot be read. "
                           "Unplug it, plug it in again and retry.");
      return FALSE;
    }
  is_ec = EVP_PKEY_get_base_id (key) == EVP_PKEY_EC;
  if (is_ec != g_str_equal (self->key_algorithm, "EC") ||
      (guint) EVP_PKEY_get_bits (key) != self->key_size)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The device made a %s key of %d bits where %s %u was asked for. "
                   "Check that the Cradle agent on it is up to date.",
                   is_ec ? "EC" : "RSA", EVP_PKEY_get_bits (key), self->key_algorithm, self->key_size);
      return FALSE;
    }
  return TRUE;
}

GBytes *
cradle_request_policy_build_request_info (CradleRequestPolicy  *self,
                                          GBytes               *public_key_info,
                                          GError              **error)
{
  return cradle_request_policy_build_renewal_info (self, public_key_info, NULL, error);
}

/* The same request, renewing @renewed (DER, nullable): it carries the
 * renewal attribute (MS-WCCE 2.2.2.7.3). */
GBytes *
cradle_request_policy_build_renewal_info (CradleRequestPolicy  *self,
                                          GBytes               *public_key_info,
                                          GBytes               *renewed,
                                          GError              **error)
{
  return cradle_request_policy_build_attested_info (self, public_key_info, renewed, NULL, NULL, error);
}

GBytes *
cradle_request_policy_build_attested_info (CradleRequestPolicy  *self,
                                           GBytes               *public_key_info,
                                           GBytes               *renewed,
                                           GBytes               *attestation,
                                           GBytes               *intermediate,
                                           GError              **error)
{
  g_autoptr(CradleCsrBuilder) builder = NULL;

  g_return_val_if_fail (CRADLE_IS_REQUEST_POLICY (self), NULL);
  g_return_val_if_fail (public_key_info != NULL, NULL);

  if (!check_public_key (self, public_key_info, error))
    return NULL;
  builder = cradle_csr_builder_new ();
  if (!cradle_csr_builder_set_public_key (builder, public_key_info, error) ||
      !(self->common_name != NULL
          ? cradle_csr_builder_set_subject_common_name (builder, self->common_name, error)
          : cradle_csr_builder_set_subject (builder, self->subject, error)))
    return NULL;
  if (self->san_upn != NULL)
    cradle_csr_builder_add_san_upn (builder, self->san_upn);
  if (self->san_email != NULL)
    cradle_csr_builder_add_san_email (builder, self->san_email);
  if (self->key_usage != 0)
    cradle_csr_builder_set_key_usage (builder, self->key_usage & CRADLE_CSR_KEY_USAGE_ALL, self->key_usage_critical);
  for (guint i = 0; self->extended_key_usages != NULL && self->extended_key_usages[i] != NULL; i++)
    cradle_csr_builder_add_extended_key_usage (builder, self->extended_key_usages[i]);

  /* Version 1 templates are named by cn, later ones by OID and version
   * (MS-WCCE 2.2.2.7.7); the CA rejects a request whose names disagree. */
  if (self->schema_version <= 1)
    cradle_csr_builder_add_template_name (builder, self->template_name);
  else if (!cradle_csr_builder_add_template_oid (builder, self->template_oid, (gint) self->major_revision,
                                                 (gint) self->minor_revision, error))
    return NULL;
  cradle_csr_builder_set_renewal_certificate (builder, renewed);
  cradle_csr_builder_set_attestation (builder, attestation, intermediate);
  return cradle_csr_builder_encode_request_info (builder, error);
}

#define GETTER(type, field)                                            \
  type                                                                 \
  cradle_request_policy_get_##field (CradleRequestPolicy *self)        \
  {                                                                    \
    g_return_val_if_fail (CRADLE_IS_REQUEST_POLICY (self), 0);         \
    return self->field;                                                \
  }

GETTER (const char *, template_name)
GETTER (const char *, key_algorithm)
GETTER (guint, key_size)
GETTER (const char *, device_key_type)
GETTER (const char *, digest)
GETTER (CradleSubjectMode, subject_mode)
GETTER (const char *, subject)
GETTER (const char *, common_name)
GETTER (const char *, san_upn)
GETTER (const char *, san_email)
GETTER (guint, key_usage)
GETTER (gboolean, requires_approval)
GETTER (const char *, request_attributes)

const char * const *
cradle_request_policy_get_extended_key_usages (CradleRequestPolicy *self)
{
  g_return_val_if_fail (CRADLE_IS_REQUEST_POLICY (self), NULL);
  return (const char * const *) self->extended_key_usages;
}
