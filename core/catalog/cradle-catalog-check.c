/* cradle-catalog-check.c: whether the user can enroll for each template, and why not
 *
 * The order of the checks is the order in which an administrator would fix
 * things: publish the template, grant the right, then the account's data.
 */
#include "config.h"

#include "catalog/cradle-catalog-private.h"
#include "catalog/cradle-enrollment-service-private.h"
#include "directory/cradle-security-descriptor-private.h"
#include "catalog/cradle-template-private.h"

/* Every user is in these, though tokenGroups does not list them. */
#define SID_EVERYONE             "S-1-1-0"
#define SID_AUTHENTICATED_USERS  "S-1-5-11"

typedef struct {
  CradleCatalog   *catalog;
  CradleDirectory *directory;
  GCancellable    *cancellable;
  GStrv            user_sids;
} Evaluation;

void
cradle_catalog_verdict_free (CradleCatalogVerdict *verdict)
{
  g_free (verdict->reason);
  g_free (verdict);
}

static void
set_verdict (CradleCatalog       *self,
             CradleTemplate      *template,
             CradleEnrollability  enrollability,
             char                *reason)
{
  CradleCatalogVerdict *verdict = g_new0 (CradleCatalogVerdict, 1);

  verdict->enrollability = enrollability;
  verdict->reason = reason;
  g_hash_table_replace (self->verdicts, template, verdict);
}

static GStrv
dup_user_sids (CradleDirectoryUser *user)
{
  g_autoptr(GPtrArray) sids = g_ptr_array_new ();
  const char * const *groups = cradle_directory_user_get_token_groups (user);

  g_ptr_array_add (sids, g_strdup (cradle_directory_user_get_sid (user)));
  for (guint i = 0; groups != NULL && groups[i] != NULL; i++)
    g_ptr_array_add (sids, g_strdup (groups[i]));
  g_ptr_array_add (sids, g_strdup (SID_EVERYONE));
  g_ptr_array_add (sids, g_strdup (SID_AUTHENTICATED_USERS));
  g_ptr_array_add (sids, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&sids), FALSE);
}

/* A name for the reason; the SID itself when the directory has none. */
static const char *
name_for_sid (Evaluation *evaluation,
              const char *sid)
{
  GHashTable *sid_names = evaluation->catalog->sid_names;
  const char *name = g_hash_table_lookup (sid_names, sid);

  if (name == NULL)
    {
      g_autoptr(GError) error = NULL;
      char *found = NULL;

      if (g_str_equal (sid, SID_EVERYONE))
        found = g_strdup ("Everyone");
      else if (g_str_equal (sid, SID_AUTHENTICATED_USERS))
        found = g_strdup ("Authenticated Users");
      else if (evaluation->directory != NULL)
        found = cradle_directory_lookup_sid (evaluation->directory, sid, evaluation->cancellable, &error);
      if (found == NULL)
        found = g_strdup (sid);
      g_hash_table_insert (sid_names, g_strdup (sid), found);
      name = found;
    }
  return name;
}

static char *
describe_allowed (Evaluation               *evaluation,
                  CradleSecurityDescriptor *descriptor)
{
  g_auto(GStrv) sids = cradle_security_descriptor_dup_enroll_sids (descriptor);
  g_autoptr(GString) names = g_string_new (NULL);

  for (guint i = 0; sids != NULL && sids[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append (names, sids[i + 1] != NULL ? ", " : " or ");
      g_string_append (names, name_for_sid (evaluation, sids[i]));
    }
  if (names->len == 0)
    return g_strdup ("Nobody may enroll for this type. Ask an administrator to grant the Enroll "
                     "permission on the template.");
  return g_strdup_printf ("You may not enroll for this type: only members of %s may. "
                          "Ask an administrator to add you to %s.", names->str,
                          sids[1] != NULL ? "one of these groups" : "that group");
}

/* Returns TRUE when the user holds Enroll; otherwise *reason says why not. */
static gboolean
check_template_right (Evaluation      *evaluation,
                      CradleTemplate  *template,
                      char           **reason,
                      gboolean        *damaged)
{
  GBytes *bytes = cradle_template_get_security_descriptor (template);
  g_autoptr(CradleSecurityDescriptor) descriptor = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *deciding_sid = NULL;

  *damaged = FALSE;
  if (bytes == NULL)
    {
      *reason = g_strdup ("The directory did not let you read who may enroll for this type. "
                          "Ask an administrator to grant you Read on the template.");
      return FALSE;
    }
  descriptor = cradle_security_descriptor_parse (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                                 &error);
  if (descriptor == NULL)
    {
      *damaged = TRUE;
      *reason = g_strdup (error->message);
      return FALSE;
    }
  switch (cradle_security_descriptor_check_enroll (descriptor, (const char * const *) evaluation->user_sids,
                                                   &deciding_sid))
    {
    case CRADLE_ENROLL_RIGHT_GRANTED:
      return TRUE;
    case CRADLE_ENROLL_RIGHT_DENIED:
      *reason = g_strdup_printf ("An administrator has denied enrollment for this type to %s, "
                                 "which includes you. Ask an administrator if you need it.",
                                 name_for_sid (evaluation, deciding_sid));
      return FALSE;
    case CRADLE_ENROLL_RIGHT_NOT_GRANTED:
    default:
      *reason = describe_allowed (evaluation, descriptor);
      return FALSE;
    }
}

/* A CA's own permissions decide whether the user may enroll through it. */
static gboolean
service_is_open (Evaluation              *evaluation,
                 CradleEnrollmentService *service)
{
  GBytes *bytes = cradle_enrollment_service_get_security_descriptor (service);
  g_autoptr(CradleSecurityDescriptor) descriptor = NULL;
  g_autoptr(GError) error = NULL;

  if (bytes == NULL)
    return FALSE;
  descriptor = cradle_security_descriptor_parse (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                                 &error);
  if (descriptor == NULL)
    {
      g_info ("The permissions of the CA %s cannot be read: %s",
                 cradle_enrollment_service_get_name (service), error->message);
      return FALSE;
    }
  return cradle_security_descriptor_check_enroll (descriptor, (const char * const *) evaluation->user_sids,
                                                  NULL) == CRADLE_ENROLL_RIGHT_GRANTED;
}

const char *
cradle_catalog_check_missing_attribute (CradleTemplate      *template,
                                        CradleDirectoryUser *user,
                                        guint32             *hresult)
{
  guint32 flags = cradle_template_get_name_flags (template);
  guint32 unused;

  if (hresult == NULL)
    hresult = &unused;
  *hresult = 0;
  if (user == NULL ||
      (flags & (CRADLE_TEMPLATE_ENROLLEE_SUPPLIES_SUBJECT | CRADLE_TEMPLATE_ENROLLEE_SUPPLIES_ALT_NAME)))
    return NULL;
  if ((flags & CRADLE_TEMPLATE_ALT_REQUIRE_UPN) && cradle_directory_user_get_principal_name (user) == NULL)
    {
      *hresult = 0x8009480D;  /* CERTSRV_E_SUBJECT_UPN_REQUIRED */
      return "a user principal name (userPrincipalName)";
    }
  if ((flags & (CRADLE_TEMPLATE_ALT_REQUIRE_EMAIL | CRADLE_TEMPLATE_SUBJECT_REQUIRE_EMAIL)) &&
      cradle_directory_user_get_mail (user) == NULL)
    {
      *hresult = 0x80094812;  /* CERTSRV_E_SUBJECT_EMAIL_REQUIRED */
      return "an e-mail address (mail)";
    }
  /* User accounts never have these: the template is for computers. */
  if (flags & (CRADLE_TEMPLATE_ALT_REQUIRE_DNS | CRADLE_TEMPLATE_SUBJECT_REQUIRE_DNS_AS_CN |
               CRADLE_TEMPLATE_ALT_REQUIRE_DOMAIN_DNS))
    {
      *hresult = 0x8009480F;  /* CERTSRV_E_SUBJECT_DNS_REQUIRED */
      return "a DNS host name (dNSHostName), which only computer accounts have,";
    }
  return NULL;
}

static void
evaluate_template (Evaluation     *evaluation,
                   CradleTemplate *template)
{
  CradleCatalog *self = evaluation->catalog;
  g_autoptr(CradleRequestPolicy) policy = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *reason = NULL;
  const char *missing;
  gboolean published = FALSE;
  gboolean open = FALSE;
  gboolean damaged;

  for (guint i = 0; i < self->services->len; i++)
    {
      CradleEnrollmentService *service = g_ptr_array_index (self->services, i);

      if (cradle_enrollment_service_publishes (service, cradle_template_get_name (template)))
        {
          published = TRUE;
          open |= g_hash_table_contains (self->open_services, service);
        }
    }
  if (!published)
    {
      set_verdict (self, template, CRADLE_ENROLLABILITY_NOT_PUBLISHED,
                   g_strdup ("No certification authority issues this type. Ask an administrator "
                             "to publish the template on a CA."));
      return;
    }
  if (!check_template_right (evaluation, template, &reason, &damaged))
    {
      set_verdict (self, template,
                   damaged ? CRADLE_ENROLLABILITY_DAMAGED : CRADLE_ENROLLABILITY_NOT_PERMITTED,
                   g_steal_pointer (&reason));
      return;
    }
  if (!open)
    {
      set_verdict (self, template, CRADLE_ENROLLABILITY_NOT_PERMITTED,
                   g_strdup ("The certification authorities that issue this type do not let you "
                             "enroll through them. Ask an administrator to grant you Enroll on a CA."));
      return;
    }
  policy = cradle_request_policy_new (template, self->user, NULL, &error);
  if (policy == NULL)
    {
      set_verdict (self, template,
                   g_error_matches (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED)
                     ? CRADLE_ENROLLABILITY_UNSUPPORTED : CRADLE_ENROLLABILITY_DAMAGED,
                   g_strdup (error->message));
      return;
    }
  missing = cradle_catalog_check_missing_attribute (template, self->user, NULL);
  if (missing != NULL)
    {
      set_verdict (self, template, CRADLE_ENROLLABILITY_MISSING_ATTRIBUTE,
                   g_strdup_printf ("The CA puts %s in this type's certificates, and your directory "
                                    "account has none. Ask an administrator to add it.", missing));
      return;
    }
  if (cradle_request_policy_get_requires_approval (policy))
    set_verdict (self, template, CRADLE_ENROLLABILITY_NEEDS_APPROVAL,
                 g_strdup ("You may enroll; an administrator approves each request before the "
                           "certificate is issued."));
  else
    set_verdict (self, template, CRADLE_ENROLLABILITY_ENROLLABLE, g_strdup ("You may enroll."));
}

gboolean
cradle_catalog_evaluate (CradleCatalog    *self,
                         CradleDirectory  *directory,
                         GCancellable     *cancellable,
                         GError          **error)
{
  Evaluation evaluation = {
    .catalog = self,
    .directory = directory,
    .cancellable = cancellable,
    .user_sids = dup_user_sids (self->user),
  };

  for (guint i = 0; i < self->services->len; i++)
    {
      CradleEnrollmentService *service = g_ptr_array_index (self->services, i);

      if (service_is_open (&evaluation, service))
        g_hash_table_add (self->open_services, service);
    }
  for (guint i = 0; i < self->templates->len; i++)
    evaluate_template (&evaluation, g_ptr_array_index (self->templates, i));

  g_strfreev (evaluation.user_sids);
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}

CradleEnrollability
cradle_catalog_check (CradleCatalog   *self,
                      CradleTemplate  *template,
                      char           **reason)
{
  CradleCatalogVerdict *verdict;

  g_return_val_if_fail (CRADLE_IS_CATALOG (self), CRADLE_ENROLLABILITY_DAMAGED);
  g_return_val_if_fail (CRADLE_IS_TEMPLATE (template), CRADLE_ENROLLABILITY_DAMAGED);

  verdict = g_hash_table_lookup (self->verdicts, template);
  g_return_val_if_fail (verdict != NULL, CRADLE_ENROLLABILITY_DAMAGED);
  if (reason != NULL)
    *reason = g_strdup (verdict->reason);
  return verdict->enrollability;
}

GPtrArray *
cradle_catalog_dup_services_for (CradleCatalog  *self,
                                 CradleTemplate *template)
{
  GPtrArray *services;

  g_return_val_if_fail (CRADLE_IS_CATALOG (self), NULL);
  g_return_val_if_fail (CRADLE_IS_TEMPLATE (template), NULL);

  services = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < self->services->len; i++)
    {
      CradleEnrollmentService *service = g_ptr_array_index (self->services, i);

      if (g_hash_table_contains (self->open_services, service) &&
          cradle_enrollment_service_publishes (service, cradle_template_get_name (template)))
        g_ptr_array_add (services, g_object_ref (service));
    }
  return services;
}
