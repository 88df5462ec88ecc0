/* cradlectl-types-provision.c: `cradlectl types export` and `cradlectl types import`
 *
 * An import shows what it would add or change, and whether and by whom
 * the file is signed, then saves nothing until it is confirmed: --yes, or
 * "y" on a terminal.  With --json and without --yes it prints the plan
 * only.  Not confirmed, it exits 5 (declined) with nothing written.
 */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "cradlectl-format.h"
#include "cradlectl-private.h"

/* The saved types to export: @names, or every one; a user's type replaces
 * the administrator's of the same name. */
static GPtrArray *
dup_drafts (char   **names,
            GError **error)
{
  g_autoptr(GPtrArray) saved = cradle_type_store_list (error);
  g_autoptr(GPtrArray) chosen = NULL;

  if (saved == NULL)
    return NULL;
  chosen = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < saved->len; i++)
    {
      CradleTypeDraft *draft = g_ptr_array_index (saved, i);
      const char *name = cradle_type_draft_get_name (draft);
      gboolean wanted = names == NULL;

      for (guint j = 0; names != NULL && names[j] != NULL; j++)
        wanted = wanted || g_ascii_strcasecmp (names[j], name) == 0;
      if (!wanted)
        continue;
      for (guint j = 0; j < chosen->len; j++)
        if (g_ascii_strcasecmp (cradle_type_draft_get_name (g_ptr_array_index (chosen, j)), name) == 0)
          {
            g_ptr_array_remove_index (chosen, j);
            break;
          }
      g_ptr_array_add (chosen, g_object_ref (draft));
    }
  for (guint j = 0; names != NULL && names[j] != NULL; j++)
    {
      gboolean found = FALSE;

      for (guint i = 0; i < chosen->len && !found; i++)
        found = g_ascii_strcasecmp (cradle_type_draft_get_name (g_ptr_array_index (chosen, i)), names[j]) == 0;
      if (!found)
        {
          g_autofree char *shown = cradlectl_text (names[j]);

          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                       "There is no type named '%s'; 'cradlectl types list' shows them", shown);
          return NULL;
        }
    }
  return g_steal_pointer (&chosen);
}

/* The document as it is: no escaping, which would change it. */
static gboolean
write_document (GBytes      *document,
                const char  *output,
                GError     **error)
{
  gsize size;
  const char *data = g_bytes_get_data (document, &size);
  g_autoptr(GError) local_error = NULL;

  if (output == NULL || g_str_equal (output, "-"))
    {
      if (fwrite (data, 1, size, stdout) != size || fflush (stdout) != 0)
        {
          g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_FAILED, "Could not write to standard output");
          return FALSE;
        }
      return TRUE;
    }
  if (!g_file_set_contents_full (output, data, (gssize) size, G_FILE_SET_CONTENTS_CONSISTENT, 0644,
                                 &local_error))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED, "%s", local_error->message);
      return FALSE;
    }
  return TRUE;
}

int
cradlectl_types_export (int    argc,
                        char **argv)
{
  g_autofree char *format_name = NULL;
  g_autofree char *output = NULL;
  g_autofree char *sign_key = NULL;
  g_autofree char *sign_cert = NULL;
  g_auto(GStrv) names = NULL;
  GOptionEntry entries[] = {
    { "format", 0, 0, G_OPTION_ARG_STRING, &format_name,
      "cradle (every field; the default) or windows (Certificate Enroller XML, certsrv types)", "FORMAT" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write to FILE (default: standard output)", "FILE" },
    { "sign-key", 0, 0, G_OPTION_ARG_FILENAME, &sign_key, "Sign with this key (PEM, not encrypted)", "KEY" },
    { "sign-cert", 0, 0, G_OPTION_ARG_FILENAME, &sign_cert,
      "…for this certificate (PEM; its chain may follow it)", "CERT" },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_STRING_ARRAY, &names, NULL, "[NAME…]" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- write certificate types to a provisioning file");
  CradleProvisioningFormat format = CRADLE_PROVISIONING_FORMAT_CRADLE;
  g_autoptr(GPtrArray) drafts = NULL;
  g_autoptr(GPtrArray) notes = NULL;
  g_autoptr(GBytes) document = NULL;
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("cradlectl types export: %s\n", error->message);
      return CRADLECTL_EXIT_OTHER;
    }
  if (format_name != NULL && !cradle_provisioning_format_from_string (format_name, &format))
    {
      g_autofree char *shown = cradlectl_text (format_name);

      g_printerr ("cradlectl types export: --format %s is not cradle or windows\n", shown);
      return CRADLECTL_EXIT_OTHER;
    }
  if ((sign_key == NULL) != (sign_cert == NULL))
    {
      g_printerr ("cradlectl types export: signing needs both --sign-key and --sign-cert\n");
      return CRADLECTL_EXIT_OTHER;
    }

  if ((drafts = dup_drafts (names, &error)) == NULL)
    return cradlectl_report_error (error, FALSE);
  if ((document = cradle_provisioning_export (drafts, format, &notes, &error)) == NULL)
    return cradlectl_report_error (error, FALSE);
  if (sign_key != NULL)
    {
      g_autoptr(GBytes) signed_document = cradle_provisioning_sign (document, sign_cert, sign_key, &error);

      if (signed_document == NULL)
        return cradlectl_report_error (error, FALSE);
      g_bytes_unref (document);
      document = g_steal_pointer (&signed_document);
    }
  for (guint i = 0; i < notes->len; i++)
    g_printerr ("Not exported: %s\n", (const char *) g_ptr_array_index (notes, i));
  if (!write_document (document, output, &error))
    return cradlectl_report_error (error, FALSE);
  if (output != NULL && !g_str_equal (output, "-"))
    g_printerr ("Wrote %u type%s to %s (%s format%s).\n", drafts->len, drafts->len == 1 ? "" : "s", output,
                cradle_provisioning_format_to_string (format), sign_key != NULL ? ", signed" : ", not signed");
  return CRADLECTL_EXIT_DONE;
}

static void
add_plan_json (JsonBuilder        *builder,
               const char         *path,
               CradleProvisioning *provisioning,
               GPtrArray          *plan,
               const char         *folder,
               gboolean            applied,
               guint               saved)
{
  CradleCertificate *signer = cradle_provisioning_get_signer (provisioning);
  const char * const *notes = cradle_provisioning_get_notes (provisioning);

  json_builder_begin_object (builder);
  cradlectl_add_string (builder, "file", path);
  cradlectl_add_string (builder, "format",
                        cradle_provisioning_format_to_string (cradle_provisioning_get_format (provisioning)));
  json_builder_set_member_name (builder, "signed");
  json_builder_add_boolean_value (builder, signer != NULL);
  json_builder_set_member_name (builder, "signer");
  if (signer != NULL)
    {
      json_builder_begin_object (builder);
      cradlectl_add_string (builder, "subject", cradle_certificate_get_subject (signer));
      cradlectl_add_string (builder, "sha256", cradle_certificate_get_sha256 (signer));
      json_builder_end_object (builder);
    }
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "notes");
  json_builder_begin_array (builder);
  for (guint i = 0; notes != NULL && notes[i] != NULL; i++)
    json_builder_add_string_value (builder, notes[i]);
  json_builder_end_array (builder);
  cradlectl_add_string (builder, "folder", folder);
  json_builder_set_member_name (builder, "types");
  json_builder_begin_array (builder);
  for (guint i = 0; i < plan->len; i++)
    {
      CradleProvisioningStep *step = g_ptr_array_index (plan, i);

      json_builder_begin_object (builder);
      cradlectl_add_string (builder, "name", step->name);
      cradlectl_add_string (builder, "action", cradle_provisioning_action_to_string (step->action));
      json_builder_set_member_name (builder, "fields");
      json_builder_begin_array (builder);
      for (guint j = 0; step->fields[j] != NULL; j++)
        json_builder_add_string_value (builder, step->fields[j]);
      json_builder_end_array (builder);
      cradlectl_add_string (builder, "replaces", step->replaces);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "applied");
  json_builder_add_boolean_value (builder, applied);
  json_builder_set_member_name (builder, "saved");
  json_builder_add_int_value (builder, saved);
  json_builder_end_object (builder);
}

static void
print_plan (const char         *path,
            CradleProvisioning *provisioning,
            GPtrArray          *plan)
{
  CradleCertificate *signer = cradle_provisioning_get_signer (provisioning);
  const char * const *notes = cradle_provisioning_get_notes (provisioning);
  g_autofree char *shown_path = cradlectl_text (path);

  g_print ("%s: %s, %u type%s\n", shown_path,
           cradle_provisioning_get_format (provisioning) == CRADLE_PROVISIONING_FORMAT_WINDOWS
             ? "Windows Mobile Certificate Enroller provisioning XML"
             : "Cradle provisioning file",
           plan->len, plan->len == 1 ? "" : "s");
  if (signer != NULL)
    {
      g_autofree char *subject = cradlectl_text (cradle_certificate_get_subject (signer));

      g_print ("Signed by %s\n  SHA-256 %s\n  Its certificate chains to a root this computer trusts; "
               "check that this is who you expect.\n",
               subject, cradle_certificate_get_sha256 (signer));
    }
  else
    g_print ("Not signed: nothing shows who wrote this file, or that nobody changed it since.\n");
  for (guint i = 0; notes != NULL && notes[i] != NULL; i++)
    {
      g_autofree char *note = cradlectl_text (notes[i]);

      g_print ("Not kept: %s\n", note);
    }
  for (guint i = 0; i < plan->len; i++)
    {
      CradleProvisioningStep *step = g_ptr_array_index (plan, i);
      g_autofree char *name = cradlectl_text (step->name);
      g_autofree char *url = NULL;
      g_autofree char *shown_url = NULL;

      switch (step->action)
        {
        case CRADLE_PROVISIONING_ACTION_NEW:
          g_object_get (step->draft, "url", &url, NULL);
          shown_url = cradlectl_text (url != NULL ? url : "(policy server)");
          g_print ("  new        %s: %s at %s\n", name, cradle_type_draft_get_protocol (step->draft), shown_url);
          break;
        case CRADLE_PROVISIONING_ACTION_CHANGED:
          {
            g_autofree char *fields = g_strjoinv (", ", step->fields);

            g_print ("  changed    %s: %s\n", name, fields);
          }
          break;
        case CRADLE_PROVISIONING_ACTION_UNCHANGED:
        default:
          g_print ("  unchanged  %s\n", name);
          break;
        }
    }
}

/* y or yes on the terminal; anything else is no. */
static gboolean
confirm (guint       count,
         const char *folder)
{
  char answer[16] = "";
  g_autofree char *shown = cradlectl_text (folder);

  g_print ("Save %u type%s in %s? [y/N] ", count, count == 1 ? "" : "s", shown);
  fflush (stdout);
  if (fgets (answer, sizeof answer, stdin) == NULL)
    return FALSE;
  g_strstrip (answer);
  return g_ascii_strcasecmp (answer, "y") == 0 || g_ascii_strcasecmp (answer, "yes") == 0;
}

int
cradlectl_types_import (int    argc,
                        char **argv)
{
  gboolean yes = FALSE;
  gboolean system = FALSE;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "yes", 'y', 0, G_OPTION_ARG_NONE, &yes, "Save without asking", NULL },
    { "system", 0, 0, G_OPTION_ARG_NONE, &system,
      "Save for every user of this computer (/etc/cradle/types.d; asks for authorisation)", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON for scripts (the plan only, without --yes)", NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("FILE - add the certificate types of a provisioning file");
  CradleTypeScope scope;
  g_autoptr(CradleProvisioning) provisioning = NULL;
  g_autoptr(GPtrArray) plan = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = NULL;
  guint to_save = 0;
  guint saved = 0;
  gboolean applied = FALSE;
  const char *path;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("cradlectl types import: %s\n", error->message);
      return CRADLECTL_EXIT_OTHER;
    }
  if (argc != 2)
    {
      g_printerr ("cradlectl types import: give one FILE\n");
      return CRADLECTL_EXIT_OTHER;
    }
  path = argv[1];
  scope = system ? CRADLE_TYPE_SCOPE_SYSTEM : CRADLE_TYPE_SCOPE_USER;
  folder = cradle_type_store_dup_folder (scope);

  if ((provisioning = cradle_provisioning_new_from_file (path, &error)) == NULL ||
      (plan = cradle_provisioning_plan (provisioning, scope, &error)) == NULL)
    return cradlectl_report_error (error, json);
  for (guint i = 0; i < plan->len; i++)
    if (((CradleProvisioningStep *) g_ptr_array_index (plan, i))->action != CRADLE_PROVISIONING_ACTION_UNCHANGED)
      to_save++;

  if (!json)
    print_plan (path, provisioning, plan);
  if (to_save == 0)
    {
      if (json)
        {
          g_autoptr(JsonBuilder) builder = json_builder_new ();

          add_plan_json (builder, path, provisioning, plan, folder, FALSE, 0);
          cradlectl_print_json (builder);
        }
      else
        g_print ("Nothing to import: every type is saved as the file has it.\n");
      return CRADLECTL_EXIT_DONE;
    }
  if (!yes && json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      add_plan_json (builder, path, provisioning, plan, folder, FALSE, 0);
      cradlectl_print_json (builder);
      return CRADLECTL_EXIT_DONE;
    }
  if (!yes && !(isatty (STDIN_FILENO) && confirm (to_save, folder)))
    {
      g_print ("Nothing was saved. %s\n",
               isatty (STDIN_FILENO) ? "" : "Run again with --yes to save these types.");
      return CRADLECTL_EXIT_DECLINED;
    }

  applied = cradle_provisioning_apply (plan, scope, &saved, &error);
  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      if (!applied)
        return cradlectl_report_error (error, json);
      add_plan_json (builder, path, provisioning, plan, folder, TRUE, saved);
      cradlectl_print_json (builder);
      return CRADLECTL_EXIT_DONE;
    }
  if (!applied)
    return cradlectl_report_error (error, FALSE);
  {
    g_autofree char *shown = cradlectl_text (folder);

    g_print ("Saved %u type%s in %s.\n", saved, saved == 1 ? "" : "s", shown);
  }
  return CRADLECTL_EXIT_DONE;
}
