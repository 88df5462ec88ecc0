/* cradle-xcep.c: MS-XCEP GetPolicies, built and read
 *
 * GetPolicies (MS-XCEP 3.1.4.1) asks a policy server (CEP) for every
 * template the user may see; its answer lists the templates ("policies"),
 * the CAs that issue them with their enrollment web services (cAURI:
 * authentication, address, priority, renewal only) and certificates, and
 * the OIDs the policies refer to by number.
 */
#include "config.h"

#include <string.h>

#include <cradle/cradle.h>

#include "catalog/cradle-ces-endpoint-private.h"
#include "ca/wstep/cradle-xcep-private.h"

#define NS CRADLE_XCEP_NS

/**
 * cradle_xcep_build_get_policies:
 *
 * The request with no cached policy (lastUpdate nil) and no filter.
 *
 * Returns: (transfer full): the SOAP message, or %NULL with an error
 */
GBytes *
cradle_xcep_build_get_policies (const CradleSoapHeader  *header,
                                GError                 **error)
{
  g_autoptr(CradleXmlWriter) writer = cradle_soap_writer_new (header, error);

  if (writer == NULL)
    return NULL;
  cradle_xml_writer_start (writer, "GetPolicies",
                           "xmlns", CRADLE_XCEP_NS,
                           "xmlns:xsi", CRADLE_XSI_NS,
                           NULL);
  cradle_xml_writer_start (writer, "client", NULL);
  cradle_xml_writer_element (writer, "lastUpdate", NULL, "xsi:nil", "true", NULL);
  cradle_xml_writer_element (writer, "preferredLanguage", NULL, "xsi:nil", "true", NULL);
  cradle_xml_writer_end (writer);
  cradle_xml_writer_start (writer, "requestFilter", NULL);
  cradle_xml_writer_element (writer, "policyOIDs", NULL, "xsi:nil", "true", NULL);
  cradle_xml_writer_element (writer, "clientVersion", NULL, "xsi:nil", "true", NULL);
  cradle_xml_writer_element (writer, "serverVersion", NULL, "xsi:nil", "true", NULL);
  cradle_xml_writer_end (writer);
  return cradle_xml_writer_finish (writer);
}

static void
xcep_oid_free (CradleXcepOid *oid)
{
  g_free (oid->value);
  g_free (oid->default_name);
  g_free (oid);
}

static void
xcep_extension_free (CradleXcepExtension *extension)
{
  g_free (extension->oid);
  g_clear_pointer (&extension->value, g_bytes_unref);
  g_free (extension);
}

static void
xcep_policy_free (CradleXcepPolicy *policy)
{
  g_free (policy->common_name);
  g_free (policy->oid);
  g_free (policy->key_algorithm_oid);
  g_free (policy->hash_algorithm_oid);
  g_clear_pointer (&policy->ca_references, g_array_unref);
  g_clear_pointer (&policy->extensions, g_ptr_array_unref);
  g_free (policy);
}

static void
xcep_ca_free (CradleXcepCa *ca)
{
  g_clear_pointer (&ca->endpoints, g_ptr_array_unref);
  g_clear_pointer (&ca->certificate, g_bytes_unref);
  g_free (ca);
}

void
cradle_xcep_response_free (CradleXcepResponse *response)
{
  if (response == NULL)
    return;
  g_free (response->policy_id);
  g_free (response->friendly_name);
  g_clear_pointer (&response->policies, g_ptr_array_unref);
  g_clear_pointer (&response->cas, g_ptr_array_unref);
  g_clear_pointer (&response->oids, g_ptr_array_unref);
  g_free (response);
}

/* ---- small readers: each error names where it is ---------------------------- */

static gboolean
read_uint (xmlNode     *parent,
           const char  *name,
           guint64      max,
           guint64      fallback,
           guint64     *value,
           GError     **error)
{
  gboolean present = FALSE;

  if (!cradle_xml_get_child_uint (parent, NS, name, max, value, &present, error))
    return FALSE;
  if (!present)
    *value = fallback;
  return TRUE;
}

static gboolean
read_uint32 (xmlNode     *parent,
             const char  *name,
             guint32     *value,
             GError     **error)
{
  guint64 number = 0;

  if (!read_uint (parent, name, G_MAXUINT32, 0, &number, error))
    return FALSE;
  *value = (guint32) number;
  return TRUE;
}

static gboolean
read_reference (xmlNode     *parent,
                const char  *name,
                gint        *value,
                gboolean    *present,
                GError     **error)
{
  gint64 number = 0;

  if (!cradle_xml_get_child_int (parent, NS, name, G_MININT32, G_MAXINT32, &number, present,
                                 error))
    return FALSE;
  *value = (gint) number;
  return TRUE;
}

static gboolean
read_boolean (xmlNode     *parent,
              const char  *name,
              gboolean     fallback,
              gboolean    *value,
              GError     **error)
{
  gboolean present = FALSE;

  if (!cradle_xml_get_child_boolean (parent, NS, name, value, &present, error))
    return FALSE;
  if (!present)
    *value = fallback;
  return TRUE;
}

static gboolean
read_name (xmlNode     *parent,
           const char  *name,
           gboolean     required,
           char       **value,
           GError     **error)
{
  g_autofree char *text = cradle_xml_dup_child_text (parent, NS, name);

  if (text == NULL || *text == '\0')
    {
      if (required)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "<%s> has no <%s>", (const char *) parent->name, name);
          return FALSE;
        }
      return TRUE;
    }
  if (g_utf8_strlen (text, -1) > CRADLE_XCEP_MAX_NAME)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "<%s> in <%s> is longer than %d characters", name,
                   (const char *) parent->name, CRADLE_XCEP_MAX_NAME);
      return FALSE;
    }
  *value = g_steal_pointer (&text);
  return TRUE;
}

static gboolean
check_count (xmlNode     *parent,
             const char  *name,
             guint        max,
             GError     **error)
{
  guint count = cradle_xml_count_children (parent, NS, name);

  if (count > max)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The policy lists %u <%s> elements, more than the %u allowed", count, name,
                   max);
      return FALSE;
    }
  return TRUE;
}

static gboolean
is_oid (const char *text)
{
  gboolean digit = FALSE;

  for (const char *p = text; *p != '\0'; p++)
    {
      if (g_ascii_isdigit (*p))
        digit = TRUE;
      else if (*p == '.' && digit)
        digit = FALSE;
      else
        return FALSE;
    }
  return digit && strchr (text, '.') != NULL;
}

/* ---- oIDs ------------------------------------------------------------------ */

static gboolean
read_oids (CradleXcepResponse  *response,
           xmlNode             *oids,
           GError             **error)
{
  if (!check_count (oids, "oID", CRADLE_XCEP_MAX_OIDS, error))
    return FALSE;
  for (xmlNode *node = cradle_xml_child (oids, NS, "oID"); node != NULL;
       node = cradle_xml_next (node, NS, "oID"))
    {
      CradleXcepOid *oid = g_new0 (CradleXcepOid, 1);
      gboolean present = FALSE;
      guint64 group = 0;

      g_ptr_array_add (response->oids, oid);
      if (!read_name (node, "value", TRUE, &oid->value, error) ||
          !read_name (node, "defaultName", FALSE, &oid->default_name, error) ||
          !read_uint (node, "group", G_MAXUINT32, 0, &group, error) ||
          !read_reference (node, "oIDReferenceID", &oid->reference_id, &present, error))
        return FALSE;
      oid->group = (guint) group;
      if (!is_oid (oid->value))
        {
          g_autofree char *shown = cradle_xml_dup_display_text (oid->value, 64);

          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "The policy lists an OID '%s' that is not one", shown);
          return FALSE;
        }
      if (!present)
        {
          g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                               "The policy lists an OID without its oIDReferenceID");
          return FALSE;
        }
    }
  return TRUE;
}

static const CradleXcepOid *
find_oid (const CradleXcepResponse *response,
          gint                      reference_id)
{
  for (guint i = 0; i < response->oids->len; i++)
    {
      const CradleXcepOid *oid = g_ptr_array_index (response->oids, i);

      if (oid->reference_id == reference_id)
        return oid;
    }
  return NULL;
}

/* An optional reference into oIDs, resolved to the OID itself. */
static gboolean
resolve_oid (const CradleXcepResponse  *response,
             xmlNode                   *parent,
             const char                *name,
             char                     **oid_value,
             GError                   **error)
{
  const CradleXcepOid *oid;
  gboolean present = FALSE;
  gint reference = 0;

  if (!read_reference (parent, name, &reference, &present, error))
    return FALSE;
  if (!present)
    return TRUE;
  oid = find_oid (response, reference);
  if (oid == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "<%s> refers to OID number %d, which the policy does not list", name, reference);
      return FALSE;
    }
  *oid_value = g_strdup (oid->value);
  return TRUE;
}

/* ---- cAs ------------------------------------------------------------------- */

static gboolean
read_ca_uri (CradleXcepCa  *ca,
             xmlNode       *node,
             GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *value = NULL;
  CradleCesEndpoint *server;
  guint64 auth = 0;
  guint64 priority = 0;
  gboolean renewal_only = FALSE;

  if (!read_uint (node, "clientAuthentication", G_MAXUINT32, 0, &auth, error) ||
      !read_uint (node, "priority", CRADLE_ENROLLMENT_SERVER_MAX_PRIORITY,
                  CRADLE_ENROLLMENT_SERVER_MAX_PRIORITY, &priority, error) ||
      !read_boolean (node, "renewalOnly", FALSE, &renewal_only, error) ||
      !read_name (node, "uri", TRUE, &uri, error))
    return FALSE;

  /* The same record as msPKI-Enrollment-Servers, so the same checks. */
  value = g_strdup_printf ("%" G_GUINT64_FORMAT "\n%" G_GUINT64_FORMAT "\n%d\n%s", priority,
                           auth, renewal_only ? 1 : 0, uri);
  server = cradle_ces_endpoint_parse (value, strlen (value), &local_error);
  if (server == NULL)
    {
      /* As with the directory: one bad address leaves out that address. */
      g_info ("Ignoring an enrollment web service of the policy: %s", local_error->message);
      return TRUE;
    }
  g_ptr_array_add (ca->endpoints, server);
  return TRUE;
}

static gboolean
read_ca (CradleXcepResponse  *response,
         xmlNode             *node,
         GError             **error)
{
  CradleXcepCa *ca = g_new0 (CradleXcepCa, 1);
  xmlNode *uris = cradle_xml_child (node, NS, "uris");
  g_autofree char *certificate = NULL;
  gboolean present = FALSE;

  ca->endpoints = g_ptr_array_new_with_free_func ((GDestroyNotify) cradle_ces_endpoint_free);
  g_ptr_array_add (response->cas, ca);

  if (!read_reference (node, "cAReferenceID", &ca->reference_id, &present, error))
    return FALSE;
  if (!present)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The policy lists a CA without its cAReferenceID");
      return FALSE;
    }
  if (cradle_xcep_response_find_ca (response, ca->reference_id) != ca)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The policy lists two CAs numbered %d", ca->reference_id);
      return FALSE;
    }
  if (!read_boolean (node, "enrollPermission", FALSE, &ca->enroll_permission, error))
    return FALSE;
  if (!check_count (uris, "cAURI", CRADLE_XCEP_MAX_CA_URIS, error))
    return FALSE;
  for (xmlNode *uri = cradle_xml_child (uris, NS, "cAURI"); uri != NULL;
       uri = cradle_xml_next (uri, NS, "cAURI"))
    {
      if (!read_ca_uri (ca, uri, error))
        return FALSE;
    }
  cradle_ces_endpoints_sort (ca->endpoints);

  certificate = cradle_xml_dup_child_text (node, NS, "certificate");
  if (certificate != NULL && *certificate != '\0')
    {
      ca->certificate = cradle_xml_decode_base64 (certificate, "A CA's certificate in the policy",
                                                  error);
      if (ca->certificate == NULL)
        return FALSE;
    }
  return TRUE;
}

/* ---- policies -------------------------------------------------------------- */

static gboolean
read_extensions (const CradleXcepResponse  *response,
                 CradleXcepPolicy          *policy,
                 xmlNode                   *extensions,
                 GError                   **error)
{
  if (!check_count (extensions, "extension", CRADLE_XCEP_MAX_EXTENSIONS, error))
    return FALSE;
  for (xmlNode *node = cradle_xml_child (extensions, NS, "extension"); node != NULL;
       node = cradle_xml_next (node, NS, "extension"))
    {
      CradleXcepExtension *extension = g_new0 (CradleXcepExtension, 1);
      g_autofree char *value = NULL;

      g_ptr_array_add (policy->extensions, extension);
      if (!resolve_oid (response, node, "oIDReference", &extension->oid, error) ||
          !read_boolean (node, "critical", FALSE, &extension->critical, error))
        return FALSE;
      if (extension->oid == NULL)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "An extension of the template '%s' names no OID", policy->common_name);
          return FALSE;
        }
      value = cradle_xml_dup_child_text (node, NS, "value");
      if (value != NULL && *value != '\0')
        {
          extension->value = cradle_xml_decode_base64 (value, "A template extension's value",
                                                       error);
          if (extension->value == NULL)
            return FALSE;
        }
    }
  return TRUE;
}

static gboolean
read_attributes (const CradleXcepResponse  *response,
                 CradleXcepPolicy          *policy,
                 xmlNode                   *attributes,
                 GError                   **error)
{
  xmlNode *validity = cradle_xml_child (attributes, NS, "certificateValidity");
  xmlNode *permission = cradle_xml_child (attributes, NS, "permission");
  xmlNode *key = cradle_xml_child (attributes, NS, "privateKeyAttributes");
  xmlNode *revision = cradle_xml_child (attributes, NS, "revision");
  xmlNode *ra = cradle_xml_child (attributes, NS, "rARequirements");
  guint64 number = 0;

  if (!read_name (attributes, "commonName", TRUE, &policy->common_name, error))
    return FALSE;
  if (!read_uint (attributes, "policySchema", G_MAXUINT32, 0, &number, error))
    return FALSE;
  policy->schema = (guint) number;
  if (!read_uint (validity, "validityPeriodSeconds", G_MAXUINT64, 0, &policy->validity_seconds,
                  error) ||
      !read_uint (validity, "renewalPeriodSeconds", G_MAXUINT64, 0, &policy->renewal_seconds,
                  error) ||
      !read_boolean (permission, "enroll", FALSE, &policy->enroll, error) ||
      !read_boolean (permission, "autoEnroll", FALSE, &policy->auto_enroll, error))
    return FALSE;
  if (!read_uint (key, "minimalKeyLength", G_MAXUINT32, 0, &number, error))
    return FALSE;
  policy->minimal_key_length = (guint) number;
  if (!read_uint (key, "keySpec", G_MAXUINT32, 0, &number, error))
    return FALSE;
  policy->key_spec = (guint) number;
  if (!resolve_oid (response, key, "algorithmOIDReference", &policy->key_algorithm_oid, error))
    return FALSE;
  if (!read_uint (revision, "majorRevision", G_MAXUINT32, 0, &number, error))
    return FALSE;
  policy->major_revision = (guint) number;
  if (!read_uint (revision, "minorRevision", G_MAXUINT32, 0, &number, error))
    return FALSE;
  policy->minor_revision = (guint) number;
  if (!read_uint32 (attributes, "privateKeyFlags", &policy->private_key_flags, error) ||
      !read_uint32 (attributes, "subjectNameFlags", &policy->subject_name_flags, error) ||
      !read_uint32 (attributes, "enrollmentFlags", &policy->enrollment_flags, error) ||
      !read_uint32 (attributes, "generalFlags", &policy->general_flags, error))
    return FALSE;
  if (!resolve_oid (response, attributes, "hashAlgorithmOIDReference",
                    &policy->hash_algorithm_oid, error))
    return FALSE;
  if (!read_uint (ra, "rASignatures", G_MAXUINT32, 0, &number, error))
    return FALSE;
  policy->ra_signatures = (guint) number;
  return read_extensions (response, policy, cradle_xml_child (attributes, NS, "extensions"), error);
}

static gboolean
read_policy (CradleXcepResponse  *response,
             xmlNode             *node,
             GError             **error)
{
  CradleXcepPolicy *policy = g_new0 (CradleXcepPolicy, 1);
  xmlNode *attributes = cradle_xml_child (node, NS, "attributes");
  xmlNode *cas = cradle_xml_child (node, NS, "cAs");

  policy->ca_references = g_array_new (FALSE, FALSE, sizeof (gint));
  policy->extensions = g_ptr_array_new_with_free_func ((GDestroyNotify) xcep_extension_free);
  g_ptr_array_add (response->policies, policy);

  if (attributes == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "A policy has no <attributes>");
      return FALSE;
    }
  if (!read_attributes (response, policy, attributes, error) ||
      !resolve_oid (response, node, "policyOIDReference", &policy->oid, error) ||
      !check_count (cas, "cAReference", CRADLE_XCEP_MAX_CAS, error))
    {
      if (policy->common_name != NULL)
        g_prefix_error (error, "The template '%s': ", policy->common_name);
      return FALSE;
    }
  for (xmlNode *reference = cradle_xml_child (cas, NS, "cAReference"); reference != NULL;
       reference = cradle_xml_next (reference, NS, "cAReference"))
    {
      g_autofree char *text = cradle_xml_dup_text (reference);
      gint64 number = 0;
      gint value;

      if (text == NULL || !g_ascii_string_to_signed (text, 10, G_MININT32, G_MAXINT32, &number,
                                                     NULL))
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "The template '%s' refers to a CA by something other than its number",
                       policy->common_name);
          return FALSE;
        }
      value = (gint) number;
      g_array_append_val (policy->ca_references, value);
    }
  return TRUE;
}

/* Every cAReference must name a CA of the list. */
static gboolean
check_references (const CradleXcepResponse  *response,
                  GError                   **error)
{
  for (guint i = 0; i < response->policies->len; i++)
    {
      const CradleXcepPolicy *policy = g_ptr_array_index (response->policies, i);

      for (guint j = 0; j < policy->ca_references->len; j++)
        {
          gint reference = g_array_index (policy->ca_references, gint, j);

          if (cradle_xcep_response_find_ca (response, reference) == NULL)
            {
              g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The template '%s' refers to CA number %d, which the policy does "
                           "not list",
                           policy->common_name, reference);
              return FALSE;
            }
        }
    }
  return TRUE;
}

/**
 * cradle_xcep_response_parse:
 * @payload: the element in the SOAP body
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the policy, or %NULL with
 *   %CRADLE_ERROR_INVALID_DATA
 */
CradleXcepResponse *
cradle_xcep_response_parse (xmlNode  *payload,
                            GError  **error)
{
  g_autoptr(CradleXcepResponse) response = g_new0 (CradleXcepResponse, 1);
  xmlNode *head;
  xmlNode *policies;
  xmlNode *cas;
  guint64 hours = 0;

  response->policies = g_ptr_array_new_with_free_func ((GDestroyNotify) xcep_policy_free);
  response->cas = g_ptr_array_new_with_free_func ((GDestroyNotify) xcep_ca_free);
  response->oids = g_ptr_array_new_with_free_func ((GDestroyNotify) xcep_oid_free);

  if (!cradle_xml_is (payload, NS, "GetPoliciesResponse"))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The SOAP answer is a <%s>, not a GetPoliciesResponse",
                   payload != NULL ? (const char *) payload->name : "nothing");
      return NULL;
    }
  head = cradle_xml_child (payload, NS, "response");
  if (head == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The GetPoliciesResponse has no <response>");
      return NULL;
    }
  if (!read_name (head, "policyID", FALSE, &response->policy_id, error) ||
      !read_name (head, "policyFriendlyName", FALSE, &response->friendly_name, error) ||
      !read_uint (head, "nextUpdateHours", G_MAXUINT32, 0, &hours, error) ||
      !read_boolean (head, "policiesNotChanged", FALSE, &response->policies_not_changed, error))
    return NULL;
  response->next_update_hours = (guint) hours;

  /* OIDs first: policies refer to them. */
  if (!read_oids (response, cradle_xml_child (payload, NS, "oIDs"), error))
    return NULL;

  cas = cradle_xml_child (payload, NS, "cAs");
  if (!check_count (cas, "cA", CRADLE_XCEP_MAX_CAS, error))
    return NULL;
  for (xmlNode *node = cradle_xml_child (cas, NS, "cA"); node != NULL;
       node = cradle_xml_next (node, NS, "cA"))
    {
      if (!read_ca (response, node, error))
        return NULL;
    }

  policies = cradle_xml_child (head, NS, "policies");
  if (!check_count (policies, "policy", CRADLE_XCEP_MAX_POLICIES, error))
    return NULL;
  for (xmlNode *node = cradle_xml_child (policies, NS, "policy"); node != NULL;
       node = cradle_xml_next (node, NS, "policy"))
    {
      if (!read_policy (response, node, error))
        return NULL;
    }
  if (!check_references (response, error))
    return NULL;

  return g_steal_pointer (&response);
}

const CradleXcepPolicy *
cradle_xcep_response_find_policy (const CradleXcepResponse *response,
                                  const char               *common_name)
{
  for (guint i = 0; i < response->policies->len; i++)
    {
      const CradleXcepPolicy *policy = g_ptr_array_index (response->policies, i);

      /* Template names compare as AD compares cn: without case. */
      if (g_ascii_strcasecmp (policy->common_name, common_name) == 0)
        return policy;
    }
  return NULL;
}

const CradleXcepCa *
cradle_xcep_response_find_ca (const CradleXcepResponse *response,
                              gint                      reference_id)
{
  for (guint i = 0; i < response->cas->len; i++)
    {
      const CradleXcepCa *ca = g_ptr_array_index (response->cas, i);

      if (ca->reference_id == reference_id)
        return ca;
    }
  return NULL;
}
