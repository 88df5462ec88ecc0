/* cradle-enrollment-policy.c: what a certificate enrollment policy server (MS-XCEP) offers */
#include "config.h"

#include "ca/wstep/cradle-endpoint-choice-private.h"
#include "ca/wstep/cradle-enrollment-policy-private.h"

struct _CradleEnrollmentPolicy
{
  GObject parent_instance;

  /* Owned */
  CradleXcepResponse *response;
  GStrv               template_names;
};

G_DEFINE_FINAL_TYPE (CradleEnrollmentPolicy, cradle_enrollment_policy, G_TYPE_OBJECT)

static void
cradle_enrollment_policy_finalize (GObject *object)
{
  CradleEnrollmentPolicy *self = CRADLE_ENROLLMENT_POLICY (object);

  g_clear_pointer (&self->response, cradle_xcep_response_free);
  g_clear_pointer (&self->template_names, g_strfreev);

  G_OBJECT_CLASS (cradle_enrollment_policy_parent_class)->finalize (object);
}

static void
cradle_enrollment_policy_class_init (CradleEnrollmentPolicyClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cradle_enrollment_policy_finalize;
}

static void
cradle_enrollment_policy_init (CradleEnrollmentPolicy *self)
{
}

CradleEnrollmentPolicy *
cradle_enrollment_policy_new (CradleXcepResponse *response)
{
  CradleEnrollmentPolicy *self;
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();

  g_return_val_if_fail (response != NULL, NULL);

  self = g_object_new (CRADLE_TYPE_ENROLLMENT_POLICY, NULL);
  self->response = response;
  for (guint i = 0; i < response->policies->len; i++)
    {
      const CradleXcepPolicy *policy = g_ptr_array_index (response->policies, i);

      g_strv_builder_add (names, policy->common_name);
    }
  self->template_names = g_strv_builder_end (names);
  return self;
}

/**
 * cradle_enrollment_policy_new_from_xml:
 * @body: a whole SOAP answer to GetPolicies, untrusted
 * @max_size: the largest accepted
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the policy, or %NULL with
 *   %CRADLE_ERROR_INVALID_DATA
 */
CradleEnrollmentPolicy *
cradle_enrollment_policy_new_from_xml (GBytes  *body,
                                       gsize    max_size,
                                       GError **error)
{
  g_autoptr(CradleSoapMessage) message = cradle_soap_message_parse (body, max_size, error);
  CradleXcepResponse *response;

  if (message == NULL)
    return NULL;
  if (message->fault != NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The answer is a SOAP fault: %s",
                   message->fault->reason != NULL ? message->fault->reason : "no reason given");
      return NULL;
    }
  response = cradle_xcep_response_parse (message->payload, error);
  if (response == NULL)
    return NULL;
  return cradle_enrollment_policy_new (response);
}

const CradleXcepResponse *
cradle_enrollment_policy_get_response (CradleEnrollmentPolicy *self)
{
  g_return_val_if_fail (CRADLE_IS_ENROLLMENT_POLICY (self), NULL);
  return self->response;
}

const char *
cradle_enrollment_policy_get_id (CradleEnrollmentPolicy *self)
{
  g_return_val_if_fail (CRADLE_IS_ENROLLMENT_POLICY (self), NULL);
  return self->response->policy_id;
}

const char *
cradle_enrollment_policy_get_friendly_name (CradleEnrollmentPolicy *self)
{
  g_return_val_if_fail (CRADLE_IS_ENROLLMENT_POLICY (self), NULL);
  return self->response->friendly_name;
}

guint
cradle_enrollment_policy_get_next_update_hours (CradleEnrollmentPolicy *self)
{
  g_return_val_if_fail (CRADLE_IS_ENROLLMENT_POLICY (self), 0);
  return self->response->next_update_hours;
}

const char * const *
cradle_enrollment_policy_get_template_names (CradleEnrollmentPolicy *self)
{
  g_return_val_if_fail (CRADLE_IS_ENROLLMENT_POLICY (self), NULL);
  return (const char * const *) self->template_names;
}

static const CradleXcepPolicy *
find (CradleEnrollmentPolicy *self,
      const char             *template_name)
{
  g_return_val_if_fail (CRADLE_IS_ENROLLMENT_POLICY (self), NULL);
  g_return_val_if_fail (template_name != NULL, NULL);
  return cradle_xcep_response_find_policy (self->response, template_name);
}

gboolean
cradle_enrollment_policy_has_template (CradleEnrollmentPolicy *self,
                                       const char             *template_name)
{
  return find (self, template_name) != NULL;
}

const char *
cradle_enrollment_policy_get_template_oid (CradleEnrollmentPolicy *self,
                                           const char             *template_name)
{
  const CradleXcepPolicy *policy = find (self, template_name);

  return policy != NULL ? policy->oid : NULL;
}

guint
cradle_enrollment_policy_get_minimal_key_length (CradleEnrollmentPolicy *self,
                                                 const char             *template_name)
{
  const CradleXcepPolicy *policy = find (self, template_name);

  return policy != NULL ? policy->minimal_key_length : 0;
}

gboolean
cradle_enrollment_policy_get_may_enroll (CradleEnrollmentPolicy *self,
                                         const char             *template_name)
{
  const CradleXcepPolicy *policy = find (self, template_name);

  return policy != NULL && policy->enroll;
}

guint32
cradle_enrollment_policy_get_enrollment_flags (CradleEnrollmentPolicy *self,
                                               const char             *template_name)
{
  const CradleXcepPolicy *policy = find (self, template_name);

  return policy != NULL ? policy->enrollment_flags : 0;
}

guint32
cradle_enrollment_policy_get_subject_name_flags (CradleEnrollmentPolicy *self,
                                                 const char             *template_name)
{
  const CradleXcepPolicy *policy = find (self, template_name);

  return policy != NULL ? policy->subject_name_flags : 0;
}

guint32
cradle_enrollment_policy_get_private_key_flags (CradleEnrollmentPolicy *self,
                                                const char             *template_name)
{
  const CradleXcepPolicy *policy = find (self, template_name);

  return policy != NULL ? policy->private_key_flags : 0;
}

guint32
cradle_enrollment_policy_get_general_flags (CradleEnrollmentPolicy *self,
                                            const char             *template_name)
{
  const CradleXcepPolicy *policy = find (self, template_name);

  return policy != NULL ? policy->general_flags : 0;
}

/* The CAs that issue @template_name, or every CA for %NULL. */
static GPtrArray *
cas_for (CradleEnrollmentPolicy *self,
         const char             *template_name)
{
  g_autoptr(GPtrArray) cas = g_ptr_array_new ();
  const CradleXcepPolicy *policy;

  if (template_name == NULL)
    {
      for (guint i = 0; i < self->response->cas->len; i++)
        g_ptr_array_add (cas, g_ptr_array_index (self->response->cas, i));
      return g_steal_pointer (&cas);
    }
  policy = cradle_xcep_response_find_policy (self->response, template_name);
  for (guint i = 0; policy != NULL && i < policy->ca_references->len; i++)
    {
      gint reference = g_array_index (policy->ca_references, gint, i);
      const CradleXcepCa *ca = cradle_xcep_response_find_ca (self->response, reference);

      if (ca != NULL && !g_ptr_array_find (cas, ca, NULL))
        g_ptr_array_add (cas, (gpointer) ca);
    }
  return g_steal_pointer (&cas);
}

GPtrArray *
cradle_enrollment_policy_dup_endpoints (CradleEnrollmentPolicy *self,
                                        const char             *template_name,
                                        CradleEndpointAuth      auth,
                                        gboolean                renewal)
{
  g_autoptr(GPtrArray) cas = NULL;
  g_autoptr(GPtrArray) servers = g_ptr_array_new ();

  g_return_val_if_fail (CRADLE_IS_ENROLLMENT_POLICY (self), NULL);

  /* Every CA's services in one list: a lower priority wins across CAs. */
  cas = cas_for (self, template_name);
  for (guint i = 0; i < cas->len; i++)
    {
      const CradleXcepCa *ca = g_ptr_array_index (cas, i);

      for (guint j = 0; j < ca->endpoints->len; j++)
        g_ptr_array_add (servers, g_ptr_array_index (ca->endpoints, j));
    }
  return cradle_endpoints_choose (servers, auth, renewal);
}

GPtrArray *
cradle_enrollment_policy_dup_ca_certificates (CradleEnrollmentPolicy *self,
                                              const char             *template_name)
{
  g_autoptr(GPtrArray) cas = NULL;
  g_autoptr(GPtrArray) certificates = g_ptr_array_new_with_free_func (g_object_unref);

  g_return_val_if_fail (CRADLE_IS_ENROLLMENT_POLICY (self), NULL);

  cas = cas_for (self, template_name);
  for (guint i = 0; i < cas->len; i++)
    {
      const CradleXcepCa *ca = g_ptr_array_index (cas, i);
      g_autoptr(GError) error = NULL;
      CradleCertificate *certificate;

      if (ca->certificate == NULL)
        continue;
      certificate = cradle_certificate_new_from_der (ca->certificate, &error);
      if (certificate == NULL)
        {
          g_info ("Ignoring CA certificate number %d of the policy: %s", ca->reference_id,
                  error->message);
          continue;
        }
      g_ptr_array_add (certificates, certificate);
    }
  return g_steal_pointer (&certificates);
}
