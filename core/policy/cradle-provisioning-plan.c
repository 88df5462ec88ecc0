/* cradle-provisioning-plan.c: what importing a provisioning file would do,
 * and doing it
 *
 * Each type of the file is compared, property by property, with the type
 * of the same name (any case) saved in the scope it would go to: new,
 * changed (which properties) or unchanged.  Nothing is written until the
 * plan is applied.  "source" and "challenge-file" are where a type lives,
 * not what it is, and are not compared; a SCEP type that replaces one
 * keeps the challenge the store holds for it.
 */
#include "config.h"

#include <string.h>

#include "policy/cradle-provisioning-private.h"

G_DEFINE_BOXED_TYPE (CradleProvisioningStep, cradle_provisioning_step,
                     cradle_provisioning_step_copy, cradle_provisioning_step_free)

CradleProvisioningStep *
cradle_provisioning_step_copy (const CradleProvisioningStep *step)
{
  CradleProvisioningStep *copy = g_new0 (CradleProvisioningStep, 1);

  copy->name = g_strdup (step->name);
  copy->action = step->action;
  copy->fields = g_strdupv (step->fields);
  copy->replaces = g_strdup (step->replaces);
  copy->draft = step->draft != NULL ? g_object_ref (step->draft) : NULL;
  return copy;
}

void
cradle_provisioning_step_free (CradleProvisioningStep *step)
{
  if (step == NULL)
    return;
  g_free (step->name);
  g_strfreev (step->fields);
  g_free (step->replaces);
  g_clear_object (&step->draft);
  g_free (step);
}

const char *
cradle_provisioning_action_to_string (CradleProvisioningAction action)
{
  switch (action)
    {
    case CRADLE_PROVISIONING_ACTION_NEW:
      return "new";
    case CRADLE_PROVISIONING_ACTION_CHANGED:
      return "changed";
    case CRADLE_PROVISIONING_ACTION_UNCHANGED:
    default:
      return "unchanged";
    }
}

/* Where a type lives, not what it is. */
static gboolean
compared (GParamSpec *pspec)
{
  return (pspec->flags & G_PARAM_READABLE) != 0 && (pspec->flags & G_PARAM_WRITABLE) != 0 &&
         !g_str_equal (pspec->name, "source") && !g_str_equal (pspec->name, "challenge-file");
}

static gboolean
values_equal (GParamSpec   *pspec,
              const GValue *a,
              const GValue *b)
{
  /* %NULL and "" both leave a key out. */
  if (G_IS_PARAM_SPEC_STRING (pspec))
    {
      const char *x = g_value_get_string (a);
      const char *y = g_value_get_string (b);

      return g_strcmp0 (x != NULL ? x : "", y != NULL ? y : "") == 0;
    }
  return g_param_values_cmp (pspec, a, b) == 0;
}

/* The properties whose values differ, %NULL-terminated. */
static GStrv
dup_differences (CradleTypeDraft *incoming,
                 CradleTypeDraft *existing)
{
  g_autoptr(GStrvBuilder) fields = g_strv_builder_new ();
  guint n_properties = 0;
  g_autofree GParamSpec **properties =
    g_object_class_list_properties (G_OBJECT_GET_CLASS (incoming), &n_properties);

  for (guint i = 0; i < n_properties; i++)
    {
      g_auto(GValue) a = G_VALUE_INIT;
      g_auto(GValue) b = G_VALUE_INIT;

      if (!compared (properties[i]))
        continue;
      g_value_init (&a, properties[i]->value_type);
      g_value_init (&b, properties[i]->value_type);
      g_object_get_property (G_OBJECT (incoming), properties[i]->name, &a);
      g_object_get_property (G_OBJECT (existing), properties[i]->name, &b);
      if (!values_equal (properties[i], &a, &b))
        g_strv_builder_add (fields, properties[i]->name);
    }
  return g_strv_builder_end (fields);
}

/* @draft with the challenge file @existing has, for a SCEP type that
 * replaces it: the provisioning file never names one. */
static CradleTypeDraft *
dup_with_challenge (CradleTypeDraft  *draft,
                    CradleTypeDraft  *existing,
                    GError          **error)
{
  const char *challenge_file = cradle_type_draft_get_challenge_file (existing);
  g_autofree char *data = NULL;
  g_autofree char *with = NULL;

  if (challenge_file == NULL || challenge_file[0] == '\0' ||
      g_strcmp0 (cradle_type_draft_get_protocol (draft), "scep") != 0)
    return g_object_ref (draft);
  data = cradle_type_draft_dup_data (draft);
  with = g_strdup_printf ("%s%sChallengeFile=%s\n", data, g_str_has_suffix (data, "\n") ? "" : "\n",
                          challenge_file);
  return cradle_type_draft_new_from_data (cradle_type_draft_get_source (existing), with, strlen (with), error);
}

GPtrArray *
cradle_provisioning_plan (CradleProvisioning  *self,
                          CradleTypeScope      scope,
                          GError             **error)
{
  g_autoptr(GPtrArray) plan = g_ptr_array_new_with_free_func ((GDestroyNotify) cradle_provisioning_step_free);
  g_autoptr(GPtrArray) saved = NULL;
  g_autofree char *folder = NULL;
  GPtrArray *drafts;

  g_return_val_if_fail (CRADLE_IS_PROVISIONING (self), NULL);

  saved = cradle_type_store_list (error);
  if (saved == NULL)
    {
      g_prefix_error (error, "Cannot compare with the saved types: ");
      return NULL;
    }
  folder = cradle_type_store_dup_folder (scope);
  drafts = cradle_provisioning_get_drafts (self);
  for (guint i = 0; i < drafts->len; i++)
    {
      CradleTypeDraft *draft = g_ptr_array_index (drafts, i);
      const char *name = cradle_type_draft_get_name (draft);
      g_autoptr(CradleProvisioningStep) step = g_new0 (CradleProvisioningStep, 1);
      CradleTypeDraft *existing = NULL;

      /* The last of that name in @scope's folder (the list puts the
       * user's after the administrator's). */
      for (guint j = 0; j < saved->len; j++)
        {
          CradleTypeDraft *candidate = g_ptr_array_index (saved, j);
          const char *source = cradle_type_draft_get_source (candidate);
          g_autofree char *parent = source != NULL ? g_path_get_dirname (source) : NULL;

          if (g_ascii_strcasecmp (cradle_type_draft_get_name (candidate), name) == 0 &&
              g_strcmp0 (parent, folder) == 0)
            existing = candidate;
        }

      step->name = g_strdup (name);
      if (existing == NULL)
        {
          step->action = CRADLE_PROVISIONING_ACTION_NEW;
          step->fields = g_new0 (char *, 1);
          step->draft = g_object_ref (draft);
        }
      else
        {
          step->fields = dup_differences (draft, existing);
          step->action = step->fields[0] != NULL ? CRADLE_PROVISIONING_ACTION_CHANGED
                                                 : CRADLE_PROVISIONING_ACTION_UNCHANGED;
          step->replaces = g_strdup (cradle_type_draft_get_source (existing));
          step->draft = dup_with_challenge (draft, existing, error);
          if (step->draft == NULL)
            {
              g_prefix_error (error, "%s: ", name);
              return NULL;
            }
        }
      g_ptr_array_add (plan, g_steal_pointer (&step));
    }
  return g_steal_pointer (&plan);
}

gboolean
cradle_provisioning_apply (GPtrArray        *plan,
                           CradleTypeScope   scope,
                           guint            *n_saved,
                           GError          **error)
{
  guint saved = 0;

  g_return_val_if_fail (plan != NULL, FALSE);

  if (n_saved != NULL)
    *n_saved = 0;
  for (guint i = 0; i < plan->len; i++)
    {
      CradleProvisioningStep *step = g_ptr_array_index (plan, i);

      if (step->action == CRADLE_PROVISIONING_ACTION_UNCHANGED)
        continue;
      /* NULL: keep the challenge file the draft names (see above). */
      if (!cradle_type_store_save (step->draft, scope, NULL, error))
        {
          g_prefix_error (error, "Could not save the type '%s' (%u of the others were saved): ",
                          step->name, saved);
          return FALSE;
        }
      saved++;
      if (n_saved != NULL)
        *n_saved = saved;
    }
  return TRUE;
}
