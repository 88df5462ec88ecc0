/* cradle-request-plan.c: what request a type calls for, and building it for the device's key
 *
 * A type with a template of the catalog is built as the template's request
 * policy says; a custom type without one from its KeyType and Subject
 * (the device's serial as CN when it has none), naming its Template when
 * it has one.  A SCEP type's challenge is read from its file into wiped
 * memory, put in the request's challengePassword and nowhere else.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <openssl/crypto.h>

#include "csr/cradle-csr-private.h"
#include "engine/cradle-enrollment-private.h"
#include "base/cradle-openssl-private.h"
#include "policy/cradle-request-policy-private.h"

#define MAX_CHALLENGE 1024

struct _CradleRequestPlan
{
  CradleRequestPolicy *policy;          /* a template's, or %NULL */
  char                *key_type;
  char                *digest;
  char                *subject;         /* custom types: RFC 4514, as configured */
  char                *common_name;     /* or one CN, the device's serial */
  char                *template_name;   /* custom types: named in the request */
  char                *challenge_file;  /* SCEP */
  gboolean             client_auth;
  GBytes              *renewal;         /* the certificate renewed (DER), or NULL */
  gboolean             same_key;        /* the template demands the old key */
  GBytes              *attestation;     /* a token's attestation of the key, or NULL */
  GBytes              *intermediate;    /* the certificate that signed it, or NULL */
};

void
cradle_request_plan_free (CradleRequestPlan *plan)
{
  if (plan == NULL)
    return;
  g_clear_object (&plan->policy);
  g_free (plan->key_type);
  g_free (plan->digest);
  g_free (plan->subject);
  g_free (plan->common_name);
  g_free (plan->template_name);
  g_free (plan->challenge_file);
  g_clear_pointer (&plan->renewal, g_bytes_unref);
  g_clear_pointer (&plan->attestation, g_bytes_unref);
  g_clear_pointer (&plan->intermediate, g_bytes_unref);
  g_free (plan);
}

static gboolean
check_device (CradleDevice     *device,
              CradleCertType   *type,
              const char       *key_type,
              GError          **error)
{
  const char * const *key_types = cradle_device_get_key_types (device);

  if (key_types != NULL && !g_strv_contains (key_types, key_type))
    {
      g_autofree char *offered = g_strjoinv (", ", (char **) key_types);

      /* A token's mechanisms say what it makes: nothing is made or sent. */
      if (cradle_device_get_label (device) != NULL)
        {
          g_autofree char *label = cradle_text_escape (cradle_device_get_label (device), -1,
                                                       CRADLE_TEXT_ESCAPE_DEFAULT);

          cradle_explain_set_error (error, CRADLE_ERROR_NOT_SUPPORTED, CRADLE_EXPLAIN_TOKEN,
                                    CRADLE_TOKEN_FAILURE_KEY_TYPE_NOT_OFFERED,
                                    "The token '%s' cannot make the %s key '%s' needs: its module offers %s. "
                                    "Nothing was made or sent; choose another certificate type, or another "
                                    "token.", label, key_type, cradle_cert_type_get_name (type),
                                    offered[0] != '\0' ? offered : "no key type");
          return FALSE;
        }
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "The device cannot make the key '%s' needs (%s); it makes %s. "
                   "Choose another certificate type, or update the device.",
                   cradle_cert_type_get_name (type), key_type, offered);
      return FALSE;
    }
  if (cradle_cert_type_get_protocol (type) == CRADLE_CA_PROTOCOL_SCEP &&
      !cradle_device_has_feature (device, CRADLE_DEVICE_FEATURE_SCEP))
    {
      if (cradle_device_get_label (device) != NULL)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                       "The token cannot take part in SCEP, which '%s' uses: it cannot decrypt the CA's "
                       "answer with an RSA key (CKM_RSA_PKCS). Choose a type that does not use SCEP.",
                       cradle_cert_type_get_name (type));
          return FALSE;
        }
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "The device's agent cannot take part in SCEP, which '%s' uses. "
                   "Update the Cradle agent on the device.",
                   cradle_cert_type_get_name (type));
      return FALSE;
    }
  return TRUE;
}

CradleRequestPlan *
cradle_request_plan_new (CradleCertType  *type,
                         CradleDevice    *device,
                         const char      *subject,
                         GError         **error)
{
  g_autoptr(CradleRequestPlan) plan = g_new0 (CradleRequestPlan, 1);
  CradleTemplate *template = cradle_cert_type_get_template (type);
  CradleCatalog *catalog = cradle_cert_type_get_catalog (type);

  if (template != NULL && catalog != NULL)
    {
      const char *wanted = subject != NULL ? subject : cradle_cert_type_get_subject (type);

      /* A template that takes the subject from the request gets the
       * device's serial as its one CN when nobody typed one: the value as
       * it is, never spliced into a name and parsed. */
      plan->policy = cradle_request_policy_new_full (template, cradle_catalog_get_user (catalog), wanted,
                                                     cradle_device_get_serial (device), error);
      if (plan->policy == NULL)
        return NULL;
      plan->key_type = g_strdup (cradle_request_policy_get_device_key_type (plan->policy));
      /* CT_FLAG_REQUIRE_SAME_KEY_RENEWAL (MS-CRTD 2.27): the CA refuses a
       * renewal with another key (CERTSRV_E_RENEWAL_BAD_PUBLIC_KEY). */
      plan->same_key = (cradle_template_get_private_key_flags (template) & 0x80) != 0;
      plan->digest = g_strdup (cradle_request_policy_get_digest (plan->policy));
    }
  else
    {
      const char *wanted = subject != NULL ? subject : cradle_cert_type_get_subject (type);

      plan->key_type = g_strdup (cradle_cert_type_get_key_type (type) != NULL
                                   ? cradle_cert_type_get_key_type (type) : "rsa2048");
      plan->digest = g_strdup ("sha256");
      plan->subject = g_strdup (wanted);
      if (wanted == NULL)
        plan->common_name = g_strdup (cradle_device_get_serial (device));
      plan->template_name = g_strdup (cradle_cert_type_get_template_name (type));
      plan->challenge_file = g_strdup (cradle_cert_type_get_challenge_file (type));
      plan->client_auth = TRUE;
    }
  if (!check_device (device, type, plan->key_type, error))
    return NULL;
  return g_steal_pointer (&plan);
}

void
cradle_request_plan_set_renewal (CradleRequestPlan *plan,
                                 GBytes            *old_der)
{
  g_clear_pointer (&plan->renewal, g_bytes_unref);
  if (old_der != NULL)
    plan->renewal = g_bytes_ref (old_der);
}

void
cradle_request_plan_set_attestation (CradleRequestPlan *plan,
                                     GBytes            *attestation,
                                     GBytes            *intermediate)
{
  g_clear_pointer (&plan->attestation, g_bytes_unref);
  g_clear_pointer (&plan->intermediate, g_bytes_unref);
  if (attestation == NULL)
    return;
  plan->attestation = g_bytes_ref (attestation);
  if (intermediate != NULL)
    plan->intermediate = g_bytes_ref (intermediate);
}

/* What a custom type's request asks of the key: key encipherment for RSA
 * keys only (SCEP's answer is encrypted to it). */
static guint
custom_key_usage (CradleRequestPlan *plan)
{
  return g_str_has_prefix (plan->key_type, "rsa")
           ? CRADLE_CSR_KEY_USAGE_DIGITAL_SIGNATURE | CRADLE_CSR_KEY_USAGE_KEY_ENCIPHERMENT
           : CRADLE_CSR_KEY_USAGE_DIGITAL_SIGNATURE;
}

static const char * const custom_extended_key_usages[] = { "1.3.6.1.5.5.7.3.2", NULL };

guint
cradle_request_plan_get_key_usage (CradleRequestPlan *plan)
{
  if (plan->policy != NULL)
    return cradle_request_policy_get_key_usage (plan->policy) & CRADLE_CSR_KEY_USAGE_ALL;
  return custom_key_usage (plan);
}

const char * const *
cradle_request_plan_get_extended_key_usages (CradleRequestPlan *plan)
{
  if (plan->policy != NULL)
    return cradle_request_policy_get_extended_key_usages (plan->policy);
  return plan->client_auth ? custom_extended_key_usages : NULL;
}

gboolean
cradle_request_plan_requires_same_key (CradleRequestPlan *plan)
{
  return plan->same_key;
}

const char *
cradle_request_plan_get_key_type (CradleRequestPlan *plan)
{
  return plan->key_type;
}

const char *
cradle_request_plan_get_digest (CradleRequestPlan *plan)
{
  return plan->digest;
}

/* The first line of the challenge file, straight into one buffer that the
 * caller wipes; the error names the file, never its content. */
static char *
read_challenge (const char  *path,
                GError     **error)
{
  g_autofree char *buffer = g_malloc0 (MAX_CHALLENGE + 1);
  gsize length = 0;
  char *end;
  int fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);

  if (fd < 0)
    {
      int saved_errno = errno;

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "Could not read the SCEP challenge file %s: %s. Ask your administrator.",
                   path, g_strerror (saved_errno));
      return NULL;
    }
  while (length < MAX_CHALLENGE)
    {
      gssize got = read (fd, buffer + length, MAX_CHALLENGE - length);

      if (got < 0 && errno == EINTR)
        continue;
      if (got <= 0)
        break;
      length += (gsize) got;
    }
  close (fd);
  end = strpbrk (buffer, "\r\n");
  if (end != NULL)
    OPENSSL_cleanse (end, length - (gsize) (end - buffer));
  if (buffer[0] == '\0')
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "The SCEP challenge file %s is empty. Ask your administrator.", path);
      return NULL;
    }
  return g_steal_pointer (&buffer);
}

typedef char *CradleSecretText;
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (CradleSecretText, cradle_secret_free, NULL)

GBytes *
cradle_request_plan_build_info (CradleRequestPlan  *plan,
                                GBytes             *public_key_info,
                                GError            **error)
{
  g_autoptr(CradleCsrBuilder) builder = NULL;
  g_auto(CradleSecretText) challenge = NULL;

  if (plan->policy != NULL)
    return cradle_request_policy_build_attested_info (plan->policy, public_key_info, plan->renewal,
                                                      plan->attestation, plan->intermediate, error);

  builder = cradle_csr_builder_new ();
  if (!cradle_csr_builder_set_public_key (builder, public_key_info, error))
    return NULL;
  if (plan->common_name != NULL)
    {
      if (!cradle_csr_builder_set_subject_common_name (builder, plan->common_name, error))
        {
          g_prefix_error (error, "The device's serial cannot name the certificate: ");
          return NULL;
        }
    }
  else if (!cradle_csr_builder_set_subject (builder, plan->subject, error))
    {
      g_prefix_error (error, "The certificate type's Subject cannot be used: ");
      return NULL;
    }
  if (plan->template_name != NULL)
    cradle_csr_builder_add_template_name (builder, plan->template_name);
  cradle_csr_builder_set_key_usage (builder, custom_key_usage (plan), TRUE);
  if (plan->client_auth)
    cradle_csr_builder_add_extended_key_usage (builder, custom_extended_key_usages[0]);
  cradle_csr_builder_set_renewal_certificate (builder, plan->renewal);
  cradle_csr_builder_set_attestation (builder, plan->attestation, plan->intermediate);
  if (plan->challenge_file != NULL)
    {
      challenge = read_challenge (plan->challenge_file, error);
      if (challenge == NULL)
        return NULL;
      cradle_csr_builder_set_challenge_password (builder, challenge);
    }
  return cradle_csr_builder_encode_request_info (builder, error);
}
