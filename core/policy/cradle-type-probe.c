/* cradle-type-probe.c: a certificate type tested against its server
 *
 * The type makes its connector as for an enrollment (TLS anchors, plain
 * HTTP, timeout, sign-in), and the connector says what its server is
 * (cradle_ca_connector_describe(): certsrv's and EST's CA certificates,
 * SCEP's GetCACaps and GetCACert, XCEP's GetPolicies); no request and no
 * challenge is sent.  Here that answer becomes lines for people, every
 * piece of the server's text escaped, and the type's own expectations are
 * checked against it: the template offered, the CA pinned.
 */
#include "config.h"

#include <string.h>
#include <cradle/cradle.h>

#include "ca/cradle-ca-connector-private.h"
#include "policy/cradle-cert-type-private.h"

struct _CradleTypeProbe
{
  GObject parent_instance;

  CradleCaProtocol           protocol;
  char                      *url;
  GPtrArray                 *findings;        /* escaped lines, %NULL-terminated */
  GPtrArray                 *certificates;    /* CradleCertificate */
  char                      *capabilities;    /* escaped */
  char                      *ca_fingerprint;
  CradleTypeProbeFingerprint fingerprint_match;
  CradleTypeProbeTemplate    template_offered;
  GError                    *error;
};

G_DEFINE_FINAL_TYPE (CradleTypeProbe, cradle_type_probe, G_TYPE_OBJECT)

static void
cradle_type_probe_finalize (GObject *object)
{
  CradleTypeProbe *self = CRADLE_TYPE_PROBE (object);

  g_free (self->url);
  g_ptr_array_unref (self->findings);
  g_ptr_array_unref (self->certificates);
  g_free (self->capabilities);
  g_free (self->ca_fingerprint);
  g_clear_error (&self->error);
  G_OBJECT_CLASS (cradle_type_probe_parent_class)->finalize (object);
}

static void
cradle_type_probe_class_init (CradleTypeProbeClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cradle_type_probe_finalize;
}

static void
cradle_type_probe_init (CradleTypeProbe *self)
{
  self->findings = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (self->findings, NULL);
  self->certificates = g_ptr_array_new_with_free_func (g_object_unref);
}

/* One line of findings; @line may hold the server's text: escaped here. */
static void G_GNUC_PRINTF (2, 3)
add_finding (CradleTypeProbe *self,
             const char      *format,
             ...)
{
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);
  g_ptr_array_insert (self->findings, self->findings->len - 1,
                      cradle_text_escape (line, -1, CRADLE_TEXT_ESCAPE_DEFAULT));
}

static char *
format_fingerprint (GBytes *sha256)
{
  gsize size = 0;
  const guint8 *digest = g_bytes_get_data (sha256, &size);
  GString *text = g_string_new (NULL);

  for (gsize i = 0; i < size; i++)
    g_string_append_printf (text, "%s%02X", i > 0 ? ":" : "", digest[i]);
  return g_string_free (text, FALSE);
}

/* A certificate's SHA-256 as `openssl x509 -fingerprint -sha256` prints it. */
static char *
format_hex_fingerprint (const char *hex)
{
  GString *text = g_string_new (NULL);

  for (gsize i = 0; hex[i] != '\0' && hex[i + 1] != '\0'; i += 2)
    g_string_append_printf (text, "%s%c%c", i > 0 ? ":" : "",
                            g_ascii_toupper (hex[i]), g_ascii_toupper (hex[i + 1]));
  return g_string_free (text, FALSE);
}

static void
add_certificates (CradleTypeProbe     *self,
                  CradleCaDescription *description)
{
  for (guint i = 0; i < description->certificates->len; i++)
    {
      CradleCertificate *certificate = g_ptr_array_index (description->certificates, i);
      g_autofree char *expires = NULL;
      g_autofree char *fingerprint = format_hex_fingerprint (cradle_certificate_get_sha256 (certificate));

      if (cradle_certificate_get_not_after (certificate) != NULL)
        expires = g_date_time_format (cradle_certificate_get_not_after (certificate), "%Y-%m-%d");
      g_ptr_array_add (self->certificates, g_object_ref (certificate));
      add_finding (self, "CA certificate: %s (SHA-256 %s%s%s)",
                   cradle_certificate_get_subject (certificate), fingerprint,
                   expires != NULL ? ", expires " : "", expires != NULL ? expires : "");
    }
}

/* SCEP: what it can do (GetCACaps), before its certificates. */
static void
add_capabilities (CradleTypeProbe     *self,
                  CradleCaDescription *description)
{
  if (description->capabilities == NULL)
    return;
  self->capabilities = cradle_text_escape (description->capabilities, -1, CRADLE_TEXT_ESCAPE_DEFAULT);
  add_finding (self, "GetCACaps: %s", description->capabilities);
}

/* SCEP: the CA's fingerprint and the type's pin. */
static void
add_scep (CradleTypeProbe     *self,
          CradleCertType      *type,
          CradleCaDescription *description,
          gboolean             verified)
{
  GBytes *pin = cradle_cert_type_get_ca_fingerprint (type);

  if (description->ca_fingerprint == NULL)
    {
      if (pin != NULL)
        self->fingerprint_match = CRADLE_TYPE_PROBE_FINGERPRINT_UNKNOWN;
      return;
    }
  self->ca_fingerprint = g_strdup (description->ca_fingerprint);
  add_finding (self, "The SCEP CA's SHA-256 fingerprint: %s", description->ca_fingerprint);
  if (pin != NULL)
    {
      g_autofree char *wanted = format_fingerprint (pin);

      if (g_ascii_strcasecmp (wanted, description->ca_fingerprint) == 0)
        {
          self->fingerprint_match = CRADLE_TYPE_PROBE_FINGERPRINT_MATCHES;
          add_finding (self, "It matches the type's CAFingerprint.");
        }
      else
        {
          self->fingerprint_match = CRADLE_TYPE_PROBE_FINGERPRINT_DIFFERS;
          add_finding (self, "It is not the type's CAFingerprint, %s.", wanted);
        }
    }
  else
    add_finding (self, "Compare it with the CA's fingerprint from your administrator; "
                 "CAFingerprint=%s pins this CA.", description->ca_fingerprint);
  if (verified)
    add_finding (self, "GetCACert's certificates verify against the type's TrustAnchors (%s).",
                 cradle_cert_type_get_trust_anchors (type));
}

/* XCEP: the policy, and whether it offers the type's template. */
static gboolean
add_policy (CradleTypeProbe         *self,
            CradleCertType          *type,
            CradleEnrollmentPolicy  *policy,
            const char              *policy_url,
            GError                 **error)
{
  const char * const *names = cradle_enrollment_policy_get_template_names (policy);
  const char *wanted = cradle_cert_type_get_template_name (type);
  g_autofree char *listed = g_strjoinv (", ", (char **) names);
  g_autofree char *host = NULL;

  add_finding (self, "GetPolicies: the policy '%s'%s%s%s offers %u templates%s%s.",
               cradle_enrollment_policy_get_friendly_name (policy) != NULL
               ? cradle_enrollment_policy_get_friendly_name (policy) : "(no name)",
               cradle_enrollment_policy_get_id (policy) != NULL ? " (" : "",
               cradle_enrollment_policy_get_id (policy) != NULL ? cradle_enrollment_policy_get_id (policy) : "",
               cradle_enrollment_policy_get_id (policy) != NULL ? ")" : "",
               g_strv_length ((char **) names), names[0] != NULL ? ": " : "", listed);
  if (wanted == NULL)
    return TRUE;
  if (cradle_enrollment_policy_has_template (policy, wanted))
    {
      CradleCredentialsKind sign_in = cradle_cert_type_get_auth (type);
      CradleEndpointAuth auth = sign_in == CRADLE_CREDENTIALS_KERBEROS ? CRADLE_ENDPOINT_AUTH_KERBEROS
                                : sign_in == CRADLE_CREDENTIALS_PASSWORD ? CRADLE_ENDPOINT_AUTH_PASSWORD
                                : CRADLE_ENDPOINT_AUTH_ANONYMOUS;
      g_autoptr(GPtrArray) endpoints = cradle_enrollment_policy_dup_endpoints (policy, wanted, auth, FALSE);

      self->template_offered = CRADLE_TYPE_PROBE_TEMPLATE_OFFERED;
      add_finding (self, "The template '%s' is offered%s, by %u enrollment web service%s for this "
                   "sign-in%s%s.", wanted,
                   cradle_enrollment_policy_get_may_enroll (policy, wanted)
                   ? " and you may enroll" : ", but the server says you may not enroll",
                   endpoints->len, endpoints->len == 1 ? "" : "s",
                   endpoints->len > 0 ? ", first " : "",
                   endpoints->len > 0 ? (const char *) g_ptr_array_index (endpoints, 0) : "");
      return TRUE;
    }
  self->template_offered = CRADLE_TYPE_PROBE_TEMPLATE_NOT_OFFERED;
  host = cradle_http_dup_host (policy_url);
  add_finding (self, "The template '%s' is not offered.", wanted);
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
               "The enrollment policy from %s does not offer the template '%s' (it offers %s). "
               "Check the type's Template; the template may not be published, or you may not "
               "be allowed to use it.", host, wanted, names[0] != NULL ? listed : "none");
  return FALSE;
}

static CradleTypeProbe *
probe (CradleCertType     *type,
       CradleCredentials  *credentials,
       GCancellable       *cancellable)
{
  g_autoptr(CradleTypeProbe) self = g_object_new (CRADLE_TYPE_TYPE_PROBE, NULL);
  g_autoptr(CradleCredentials) none = NULL;
  g_autoptr(CradleCaConnector) connector = NULL;
  CradleCaDescription description;
  const char *policy_url = cradle_cert_type_get_policy_url (type);
  gboolean described;

  self->protocol = cradle_cert_type_get_protocol (type);
  if (credentials == NULL)
    credentials = none = cradle_credentials_new_none ();

  if (self->protocol == CRADLE_CA_PROTOCOL_WSTEP && policy_url != NULL)
    connector = cradle_cert_type_create_policy_connector (type, credentials, &self->error);
  else
    connector = cradle_cert_type_create_connector (type, credentials, &self->error);
  if (connector == NULL)
    {
      g_prefix_error (&self->error, "The type '%s' cannot be tested: ", cradle_cert_type_get_name (type));
      return g_steal_pointer (&self);
    }
  self->url = g_strdup (cradle_ca_connector_get_url (connector));
  add_finding (self, "Asked %s (%s).", self->url, cradle_ca_protocol_to_string (self->protocol));
  if (cradle_cert_type_get_allow_plain_http (type) && g_str_has_prefix (self->url, "http:"))
    add_finding (self, "AllowPlainHttp: what is sent and received can be read and changed on the way.");

  cradle_ca_connector_init_description (&description);
  described = cradle_ca_connector_describe (connector, &description, cancellable, &self->error);
  add_capabilities (self, &description);
  add_certificates (self, &description);
  if (self->protocol == CRADLE_CA_PROTOCOL_SCEP)
    add_scep (self, type, &description, described);
  if (description.policy != NULL)
    described = add_policy (self, type, description.policy, policy_url, &self->error) && described;
  if (description.http_status != 0)
    add_finding (self, "The enrollment web service answered (HTTP %u) over %s. It takes nothing but "
                 "requests, so it cannot say more; a PolicyURL lets Test ask for the templates.",
                 description.http_status,
                 g_str_has_prefix (self->url, "https:") ? "a trusted TLS connection" : "plain HTTP");
  if (described && self->protocol != CRADLE_CA_PROTOCOL_WSTEP && self->certificates->len == 0)
    add_finding (self, "The server sent no CA certificate.");
  cradle_ca_connector_clear_description (&description);
  return g_steal_pointer (&self);
}

static void
probe_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  CradleCredentials *credentials = g_object_get_data (G_OBJECT (task), "credentials");
  g_autoptr(CradleTypeProbe) self = probe (task_data, credentials, cancellable);

  if (g_cancellable_is_cancelled (cancellable))
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The test was cancelled.");
  else
    g_task_return_pointer (task, g_steal_pointer (&self), g_object_unref);
}

void
cradle_type_probe_async (CradleCertType      *type,
                         CradleCredentials   *credentials,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (CRADLE_IS_CERT_TYPE (type));
  g_return_if_fail (credentials == NULL || CRADLE_IS_CREDENTIALS (credentials));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, cradle_type_probe_async);
  g_task_set_task_data (task, g_object_ref (type), g_object_unref);
  if (credentials != NULL)
    g_object_set_data_full (G_OBJECT (task), "credentials", g_object_ref (credentials), g_object_unref);
  g_task_run_in_thread (task, probe_thread);
}

CradleTypeProbe *
cradle_type_probe_finish (GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == cradle_type_probe_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

CradleTypeProbe *
cradle_type_probe_run (CradleCertType     *type,
                       CradleCredentials  *credentials,
                       GCancellable       *cancellable,
                       GError            **error)
{
  g_autoptr(CradleTypeProbe) self = NULL;

  g_return_val_if_fail (CRADLE_IS_CERT_TYPE (type), NULL);
  g_return_val_if_fail (credentials == NULL || CRADLE_IS_CREDENTIALS (credentials), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = probe (type, credentials, cancellable);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  return g_steal_pointer (&self);
}

gboolean
cradle_type_probe_get_ok (CradleTypeProbe *self)
{
  g_return_val_if_fail (CRADLE_IS_TYPE_PROBE (self), FALSE);
  return self->error == NULL;
}

const GError *
cradle_type_probe_get_error (CradleTypeProbe *self)
{
  g_return_val_if_fail (CRADLE_IS_TYPE_PROBE (self), NULL);
  return self->error;
}

const char * const *
cradle_type_probe_get_findings (CradleTypeProbe *self)
{
  g_return_val_if_fail (CRADLE_IS_TYPE_PROBE (self), NULL);
  return (const char * const *) self->findings->pdata;
}

CradleCaProtocol
cradle_type_probe_get_protocol (CradleTypeProbe *self)
{
  g_return_val_if_fail (CRADLE_IS_TYPE_PROBE (self), CRADLE_CA_PROTOCOL_CERTSRV);
  return self->protocol;
}

const char *
cradle_type_probe_get_url (CradleTypeProbe *self)
{
  g_return_val_if_fail (CRADLE_IS_TYPE_PROBE (self), NULL);
  return self->url;
}

GPtrArray *
cradle_type_probe_get_ca_certificates (CradleTypeProbe *self)
{
  g_return_val_if_fail (CRADLE_IS_TYPE_PROBE (self), NULL);
  return self->certificates;
}

const char *
cradle_type_probe_get_ca_fingerprint (CradleTypeProbe *self)
{
  g_return_val_if_fail (CRADLE_IS_TYPE_PROBE (self), NULL);
  return self->ca_fingerprint;
}

const char *
cradle_type_probe_get_capabilities (CradleTypeProbe *self)
{
  g_return_val_if_fail (CRADLE_IS_TYPE_PROBE (self), NULL);
  return self->capabilities;
}

CradleTypeProbeFingerprint
cradle_type_probe_get_fingerprint_match (CradleTypeProbe *self)
{
  g_return_val_if_fail (CRADLE_IS_TYPE_PROBE (self), CRADLE_TYPE_PROBE_FINGERPRINT_NOT_SET);
  return self->fingerprint_match;
}

CradleTypeProbeTemplate
cradle_type_probe_get_template_offered (CradleTypeProbe *self)
{
  g_return_val_if_fail (CRADLE_IS_TYPE_PROBE (self), CRADLE_TYPE_PROBE_TEMPLATE_NOT_ASKED);
  return self->template_offered;
}
