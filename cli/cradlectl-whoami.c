/* cradlectl-whoami.c: `cradlectl whoami`, who the domain says you are */
#include "config.h"

#include "cradlectl-format.h"
#include "cradlectl-private.h"

static void
print_json (CradleDirectory     *directory,
            CradleDirectoryUser *user,
            GPtrArray           *group_names)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  const char * const *groups = cradle_directory_user_get_token_groups (user);

  json_builder_begin_object (builder);
  cradlectl_add_string (builder, "dc", cradle_directory_get_dc_host_name (directory));
  cradlectl_add_string (builder, "identity", cradle_directory_get_bound_identity (directory));
  json_builder_set_member_name (builder, "security_strength");
  json_builder_add_int_value (builder, cradle_directory_get_security_strength (directory));
  cradlectl_add_string (builder, "dn", cradle_directory_user_get_dn (user));
  cradlectl_add_string (builder, "account", cradle_directory_user_get_account_name (user));
  cradlectl_add_string (builder, "upn", cradle_directory_user_get_principal_name (user));
  cradlectl_add_string (builder, "mail", cradle_directory_user_get_mail (user));
  cradlectl_add_string (builder, "display_name", cradle_directory_user_get_display_name (user));
  cradlectl_add_string (builder, "sid", cradle_directory_user_get_sid (user));
  json_builder_set_member_name (builder, "groups");
  json_builder_begin_array (builder);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      json_builder_begin_object (builder);
      cradlectl_add_string (builder, "sid", groups[i]);
      cradlectl_add_string (builder, "name", g_ptr_array_index (group_names, i));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  cradlectl_print_json (builder);
}

static void
print_text (CradleDirectory     *directory,
            CradleDirectoryUser *user,
            GPtrArray           *group_names)
{
  const char * const *groups = cradle_directory_user_get_token_groups (user);
  const char *mail = cradle_directory_user_get_mail (user);

  g_print ("Signed in as %s on %s (security strength %u)\n",
           cradle_directory_get_bound_identity (directory),
           cradle_directory_get_dc_host_name (directory),
           cradle_directory_get_security_strength (directory));
  g_autofree char *dn = cradlectl_text (cradle_directory_user_get_dn (user));
  g_autofree char *name = cradlectl_text (cradle_directory_user_get_display_name (user) ?: "(none)");
  g_autofree char *upn = cradlectl_text (cradle_directory_user_get_principal_name (user) ?: "(none)");
  g_autofree char *mail_line = cradlectl_text (mail != NULL ? mail : "(none)");

  g_print ("  Entry:   %s\n", dn);
  g_print ("  Name:    %s\n", name);
  g_print ("  UPN:     %s\n", upn);
  g_print ("  Mail:    %s\n", mail_line);
  g_print ("  SID:     %s\n", cradle_directory_user_get_sid (user));
  g_print ("  Groups:\n");
  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_autofree char *group = cradlectl_text (g_ptr_array_index (group_names, i) ?: "(not in this domain)");

      g_print ("    %s  %s\n", groups[i], group);
    }
}

int
cradlectl_whoami (int    argc,
                  char **argv)
{
  CradlectlDomainOptions options = { 0 };
  g_autofree GOptionEntry *entries = cradlectl_domain_entries (&options);
  g_autoptr(GOptionContext) context = g_option_context_new ("- show who the domain says you are");
  g_autoptr(CradleDirectory) directory = NULL;
  g_autoptr(CradleDirectoryUser) user = NULL;
  g_autoptr(GPtrArray) group_names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  const char * const *groups;
  int exit_code = CRADLECTL_EXIT_DONE;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("cradlectl whoami: %s\n", error->message);
      cradlectl_domain_options_clear (&options);
      return CRADLECTL_EXIT_OTHER;
    }
  cradlectl_domain_options_resolve (&options);

  directory = cradlectl_open_directory (&options, NULL, &error);
  if (directory == NULL ||
      (user = cradle_directory_read_user (directory, NULL, &error)) == NULL)
    {
      exit_code = cradlectl_report_error (error, options.json);
      cradlectl_domain_options_clear (&options);
      return exit_code;
    }

  /* A group the DC cannot name (a foreign SID) is shown by SID alone. */
  groups = cradle_directory_user_get_token_groups (user);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_autoptr(GError) lookup_error = NULL;

      g_ptr_array_add (group_names,
                       cradle_directory_lookup_sid (directory, groups[i], NULL, &lookup_error));
      if (lookup_error != NULL)
        g_debug ("Could not name %s: %s", groups[i], lookup_error->message);
    }

  if (options.json)
    print_json (directory, user, group_names);
  else
    print_text (directory, user, group_names);
  cradlectl_domain_options_clear (&options);
  return exit_code;
}
