/* cradlectl-types.c: `cradlectl types`, administrators' certificate types without a text editor
 *
 * list, show, add, edit and remove here; the other subcommands (test,
 * export, import) live in files of their own and take one line of the
 * table below.  Fields are options named after the CradleTypeDraft
 * properties they set, so a problem the type-file rules find is told
 * against the option that gave it.  The SCEP challenge comes only from a
 * file or standard input, never the command line (which other users of
 * the computer can read), and is never printed.
 */
#include "config.h"

#include <string.h>

#include "cradlectl-format.h"
#include "cradlectl-private.h"

/* ---- output ------------------------------------------------------------ */

static const char *
scope_of (CradleTypeDraft *draft)
{
  g_autofree char *system = cradle_type_store_dup_folder (CRADLE_TYPE_SCOPE_SYSTEM);
  g_autofree char *folder = NULL;
  const char *source = cradle_type_draft_get_source (draft);

  if (source == NULL)
    return NULL;
  folder = g_path_get_dirname (source);
  return g_str_equal (folder, system) ? "system" : "user";
}

/* The fields of a type file, in its order: property, label for people. */
static const struct {
  const char *property;
  const char *label;
} shown_fields[] = {
  { "display-name", "Display name" },
  { "protocol", "Protocol" },
  { "url", "URL" },
  { "policy-url", "Policy URL" },
  { "template", "Template" },
  { "label", "Label" },
  { "key-type", "Key type" },
  { "subject", "Subject" },
  { "auth", "Sign-in" },
  { "trust-anchors", "Trust anchors" },
  { "ca-fingerprint", "CA fingerprint" },
  { "challenge-file", "Challenge file" },
  { "piv-slot", "PIV slot" },
  { "attestation", "Attestation" },
};

static void
add_draft_json (JsonBuilder     *builder,
                CradleTypeDraft *draft)
{
  guint timeout = 0, renew_at = 0;
  gboolean require_tls = TRUE;

  g_object_get (draft, "timeout", &timeout, "renew-at", &renew_at, "require-tls", &require_tls, NULL);
  json_builder_begin_object (builder);
  cradlectl_add_string (builder, "name", cradle_type_draft_get_name (draft));
  for (gsize i = 0; i < G_N_ELEMENTS (shown_fields); i++)
    {
      g_autofree char *value = NULL;
      g_autofree char *member = g_strdelimit (g_strdup (shown_fields[i].property), "-", '_');

      g_object_get (draft, shown_fields[i].property, &value, NULL);
      cradlectl_add_string (builder, member, value);
    }
  json_builder_set_member_name (builder, "require_tls");
  json_builder_add_boolean_value (builder, require_tls);
  json_builder_set_member_name (builder, "timeout");
  json_builder_add_int_value (builder, timeout);
  json_builder_set_member_name (builder, "renew_at");
  json_builder_add_int_value (builder, renew_at);
  cradlectl_add_string (builder, "source", cradle_type_draft_get_source (draft));
  cradlectl_add_string (builder, "scope", scope_of (draft));
  json_builder_end_object (builder);
}

static void
print_draft_text (CradleTypeDraft *draft)
{
  g_autofree char *name = cradlectl_text (cradle_type_draft_get_name (draft));
  g_autofree char *source = cradlectl_text (cradle_type_draft_get_source (draft));
  guint timeout = 0, renew_at = 0;
  gboolean require_tls = TRUE;

  g_object_get (draft, "timeout", &timeout, "renew-at", &renew_at, "require-tls", &require_tls, NULL);
  g_print ("%s\n", name);
  for (gsize i = 0; i < G_N_ELEMENTS (shown_fields); i++)
    {
      g_autofree char *value = NULL;
      g_autofree char *shown = NULL;

      g_object_get (draft, shown_fields[i].property, &value, NULL);
      if (value == NULL)
        continue;
      shown = cradlectl_text (value);
      g_print ("  %-15s %s\n", shown_fields[i].label, shown);
    }
  g_print ("  %-15s %s\n", "Requires TLS", require_tls ? "yes" : "no (AllowPlainHttp=true)");
  if (timeout > 0)
    g_print ("  %-15s %u s\n", "Timeout", timeout);
  if (renew_at > 0)
    g_print ("  %-15s %u %%\n", "Renew at", renew_at);
  if (cradle_type_draft_get_source (draft) != NULL)
    g_print ("  %-15s %s (%s)\n", "File", source, scope_of (draft));
}

/* Problems of a draft, each against the option that sets its field. */
static const char *
option_of (const char *field)
{
  if (field == NULL)
    return "the type";
  if (g_str_equal (field, "name"))
    return "NAME";
  if (g_str_equal (field, "require-tls"))
    return "--no-tls";
  return field;
}

static CradlectlExit
report_problems (const char *command,
                 GPtrArray  *problems,
                 gboolean    json)
{
  for (guint i = 0; i < problems->len; i++)
    {
      CradleTypeProblem *problem = g_ptr_array_index (problems, i);
      const char *option = option_of (problem->field);
      g_autofree char *message = cradlectl_text (problem->message);

      g_printerr ("cradlectl types %s: %s%s: %s\n", command,
                  option[0] != '-' && g_ascii_islower (option[0]) ? "--" : "", option, message);
    }
  g_printerr ("cradlectl types %s: nothing was saved.\n", command);
  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "error");
      json_builder_begin_object (builder);
      cradlectl_add_string (builder, "code", cradle_error_to_string (CRADLE_ERROR_INVALID_DATA));
      cradlectl_add_string (builder, "message", "The certificate type is not valid; nothing was saved.");
      json_builder_set_member_name (builder, "exit_code");
      json_builder_add_int_value (builder, CRADLECTL_EXIT_OTHER);
      json_builder_set_member_name (builder, "problems");
      json_builder_begin_array (builder);
      for (guint i = 0; i < problems->len; i++)
        {
          CradleTypeProblem *problem = g_ptr_array_index (problems, i);

          json_builder_begin_object (builder);
          cradlectl_add_string (builder, "field", problem->field);
          cradlectl_add_string (builder, "message", problem->message);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      json_builder_end_object (builder);
      cradlectl_print_json (builder);
    }
  return CRADLECTL_EXIT_OTHER;
}

/* ---- list, show ---------------------------------------------------------- */

static CradleTypeDraft *
find_draft (GPtrArray  *drafts,
            const char *name)
{
  CradleTypeDraft *found = NULL;

  /* The user's file comes after the administrator's and wins, as in enroll. */
  for (guint i = 0; i < drafts->len; i++)
    {
      CradleTypeDraft *draft = g_ptr_array_index (drafts, i);

      if (g_ascii_strcasecmp (cradle_type_draft_get_name (draft), name) == 0)
        found = draft;
    }
  return found;
}

static int
types_list (int    argc,
            char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON for scripts", NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- list the administrators' certificate types");
  g_autoptr(GPtrArray) drafts = NULL;
  g_autoptr(GPtrArray) problems = NULL;
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc > 1)
    {
      g_printerr ("cradlectl types list: %s\n", error != NULL ? error->message : "takes no arguments");
      return CRADLECTL_EXIT_OTHER;
    }
  drafts = cradle_type_store_list_full (&problems, &error);
  if (drafts == NULL)
    return cradlectl_report_error (error, json);
  for (guint i = 0; i < problems->len; i++)
    g_printerr ("cradlectl: %s (left out)\n", (const char *) g_ptr_array_index (problems, i));
  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "types");
      json_builder_begin_array (builder);
      for (guint i = 0; i < drafts->len; i++)
        add_draft_json (builder, g_ptr_array_index (drafts, i));
      json_builder_end_array (builder);
      json_builder_set_member_name (builder, "problems");
      json_builder_begin_array (builder);
      for (guint i = 0; i < problems->len; i++)
        json_builder_add_string_value (builder, g_ptr_array_index (problems, i));
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      cradlectl_print_json (builder);
      return CRADLECTL_EXIT_DONE;
    }
  if (drafts->len == 0)
    g_print ("No certificate types are defined. 'cradlectl types add' adds one.\n");
  for (guint i = 0; i < drafts->len; i++)
    {
      CradleTypeDraft *draft = g_ptr_array_index (drafts, i);
      g_autofree char *name = cradlectl_text (cradle_type_draft_get_name (draft));
      g_autofree char *protocol = cradlectl_text (cradle_type_draft_get_protocol (draft));
      g_autofree char *url = NULL;
      g_autofree char *shown_url = NULL;

      g_object_get (draft, "url", &url, NULL);
      if (url == NULL)
        g_object_get (draft, "policy-url", &url, NULL);
      shown_url = cradlectl_text (url != NULL ? url : "");
      g_print ("%-24s %-7s %-6s %s\n", name, protocol, scope_of (draft), shown_url);
    }
  return CRADLECTL_EXIT_DONE;
}

static int
types_show (int    argc,
            char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON for scripts", NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("NAME - show one certificate type");
  g_autoptr(GPtrArray) drafts = NULL;
  g_autoptr(GError) error = NULL;
  CradleTypeDraft *draft;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 2)
    {
      g_printerr ("cradlectl types show: %s\n", error != NULL ? error->message
                                                              : "give one type's name ('cradlectl types list' lists them)");
      return CRADLECTL_EXIT_OTHER;
    }
  drafts = cradle_type_store_list (&error);
  if (drafts == NULL)
    return cradlectl_report_error (error, json);
  draft = find_draft (drafts, argv[1]);
  if (draft == NULL)
    {
      g_autofree char *name = cradlectl_text (argv[1]);

      g_set_error (&error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                   "There is no certificate type %s. 'cradlectl types list' lists them.", name);
      return cradlectl_report_error (error, json);
    }
  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      add_draft_json (builder, draft);
      cradlectl_print_json (builder);
    }
  else
    print_draft_text (draft);
  return CRADLECTL_EXIT_DONE;
}

/* ---- add, edit ----------------------------------------------------------- */

typedef struct {
  char     *display_name;
  char     *protocol;
  char     *url;
  char     *policy_url;
  char     *template;
  char     *label;
  char     *key_type;
  char     *subject;
  char     *auth;
  char     *trust_anchors;
  char     *ca_fingerprint;
  char     *timeout;
  char     *renew_at;
  char     *challenge_file;
  char     *piv_slot;
  char     *attestation;
  gboolean  no_tls;
  gboolean  require_tls;
  gboolean  no_challenge;
  gboolean  system;
  gboolean  json;
} FieldOptions;

static void
field_options_clear (FieldOptions *options)
{
  char **texts[] = {
    &options->display_name, &options->protocol, &options->url, &options->policy_url,
    &options->template, &options->label, &options->key_type, &options->subject, &options->auth,
    &options->trust_anchors, &options->ca_fingerprint, &options->timeout, &options->renew_at,
    &options->challenge_file, &options->piv_slot, &options->attestation,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++)
    g_clear_pointer (texts[i], g_free);
}

static GOptionEntry *
field_entries (FieldOptions *options,
               gboolean      edit)
{
  GOptionEntry entries[] = {
    { "display-name", 0, 0, G_OPTION_ARG_STRING, &options->display_name, "The name people see", "TEXT" },
    { "protocol", 0, 0, G_OPTION_ARG_STRING, &options->protocol,
      "certsrv (default), wstep, scep or est", "PROTOCOL" },
    { "url", 0, 0, G_OPTION_ARG_STRING, &options->url,
      "The server: certsrv's /certsrv base, the CES, the SCEP URL or the EST base", "URL" },
    { "policy-url", 0, 0, G_OPTION_ARG_STRING, &options->policy_url,
      "wstep: the MS-XCEP policy server that names the CES", "URL" },
    { "template", 0, 0, G_OPTION_ARG_STRING, &options->template, "The template's name (cn)", "NAME" },
    { "label", 0, 0, G_OPTION_ARG_STRING, &options->label, "est: the CA label", "LABEL" },
    { "key-type", 0, 0, G_OPTION_ARG_STRING, &options->key_type,
      "rsa2048 (default), rsa3072, rsa4096, p256 or p384", "TYPE" },
    { "subject", 0, 0, G_OPTION_ARG_STRING, &options->subject, "The subject (RFC 4514)", "DN" },
    { "auth", 0, 0, G_OPTION_ARG_STRING, &options->auth,
      "Sign-in: kerberos, password or none (default: none for scep, else kerberos)", "AUTH" },
    { "trust-anchors", 0, 0, G_OPTION_ARG_FILENAME, &options->trust_anchors,
      "A PEM file of the CA's roots (scep: required), an absolute path", "FILE" },
    { "ca-fingerprint", 0, 0, G_OPTION_ARG_STRING, &options->ca_fingerprint,
      "scep: the CA certificate's SHA-256, as 'openssl x509 -noout -fingerprint -sha256' prints it", "HEX" },
    { "no-tls", 0, 0, G_OPTION_ARG_NONE, &options->no_tls,
      "Allow a plain http:// URL (AllowPlainHttp=true): requests cross the network unprotected", NULL },
    { "timeout", 0, 0, G_OPTION_ARG_STRING, &options->timeout,
      "Seconds per HTTP exchange, 1 to 600 (0: the default)", "SECONDS" },
    { "renew-at", 0, 0, G_OPTION_ARG_STRING, &options->renew_at,
      "Renew after this share of a certificate's lifetime, 1 to 99 percent (0: the default)", "PERCENT" },
    { "challenge-file", 0, 0, G_OPTION_ARG_FILENAME, &options->challenge_file,
      "scep: read the challenge password from FILE's first line (- for standard input)", "FILE" },
    { "piv-slot", 0, 0, G_OPTION_ARG_STRING, &options->piv_slot,
      "A PIV token's slot for the key: 9a, 9c, 9d, 9e or 82..95 (default: by the key usage)", "SLOT" },
    { "attestation", 0, 0, G_OPTION_ARG_STRING, &options->attestation,
      "A token's attestation of the key: check (default), require, or include (in the request)", "POLICY" },
    { "system", 0, 0, G_OPTION_ARG_NONE, &options->system,
      "Save for every user of this computer (asks for an administrator's password)", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &options->json, "Print JSON for scripts", NULL },
    /* edit only */
    { "require-tls", 0, 0, G_OPTION_ARG_NONE, &options->require_tls,
      "Require https:// again (AllowPlainHttp off)", NULL },
    { "no-challenge", 0, 0, G_OPTION_ARG_NONE, &options->no_challenge,
      "scep: remove the type's challenge password", NULL },
    G_OPTION_ENTRY_NULL
  };
  GOptionEntry *copy = g_memdup2 (entries, sizeof entries);

  /* add: the two edit-only options end the list. */
  if (!edit)
    memset (&copy[G_N_ELEMENTS (entries) - 3], 0, sizeof (GOptionEntry));
  return copy;
}

/* @text as a number for @property: 0 to G_MAXUINT; the type-file rules
 * say what range is right. */
static gboolean
set_number (CradleTypeDraft *draft,
            const char      *property,
            const char      *text,
            GPtrArray       *problems)
{
  guint64 value;

  if (text == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT, &value, NULL))
    {
      g_autofree char *message = g_strdup_printf ("'%s' is not a number", text);

      g_ptr_array_add (problems, cradle_type_problem_new (property, message));
      return FALSE;
    }
  g_object_set (draft, property, (guint) value, NULL);
  return TRUE;
}

static void
apply_fields (CradleTypeDraft *draft,
              FieldOptions    *options,
              GPtrArray       *problems)
{
  const struct {
    const char *property;
    const char *value;
  } texts[] = {
    { "display-name", options->display_name },
    { "protocol", options->protocol },
    { "url", options->url },
    { "policy-url", options->policy_url },
    { "template", options->template },
    { "label", options->label },
    { "key-type", options->key_type },
    { "subject", options->subject },
    { "auth", options->auth },
    { "trust-anchors", options->trust_anchors },
    { "ca-fingerprint", options->ca_fingerprint },
    { "piv-slot", options->piv_slot },
    { "attestation", options->attestation },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++)
    if (texts[i].value != NULL)
      g_object_set (draft, texts[i].property, texts[i].value, NULL);
  if (options->no_tls)
    g_object_set (draft, "require-tls", FALSE, NULL);
  if (options->require_tls)
    g_object_set (draft, "require-tls", TRUE, NULL);
  set_number (draft, "timeout", options->timeout, problems);
  set_number (draft, "renew-at", options->renew_at, problems);
}

/* What plain HTTP gives away, said before the type is saved. */
static void
warn_plain_http (CradleTypeDraft *draft)
{
  gboolean require_tls = TRUE;

  g_object_get (draft, "require-tls", &require_tls, NULL);
  if (require_tls)
    return;
  g_printerr ("cradlectl types: Warning: this type allows plain http://. Whatever it sends and "
              "receives crosses the network unprotected: anyone on the way can read the requests "
              "(the names and subject in them) and the certificates, change what the CA answers, "
              "or pose as the CA. Use it only on a network you trust, or use https://.\n");
}

/* @problems: what the options had wrong already; the draft's own are
 * added, and nothing is saved when there are any. */
static int
save_draft (const char      *command,
            CradleTypeDraft *draft,
            FieldOptions    *options,
            GPtrArray       *problems)
{
  g_autoptr(GPtrArray) found = cradle_type_draft_validate (draft);
  g_autoptr(GError) error = NULL;
  char *challenge = NULL;
  gboolean saved;

  if (options->no_challenge && options->challenge_file != NULL)
    {
      g_printerr ("cradlectl types %s: give --challenge-file or --no-challenge, not both\n", command);
      return CRADLECTL_EXIT_OTHER;
    }
  g_ptr_array_extend_and_steal (problems, g_steal_pointer (&found));
  if (problems->len > 0)
    return report_problems (command, problems, options->json);
  if (options->challenge_file != NULL)
    {
      challenge = cradlectl_read_secret (options->challenge_file, "SCEP challenge", &error);
      if (challenge == NULL)
        return cradlectl_report_error (error, options->json);
    }
  warn_plain_http (draft);
  saved = cradle_type_store_save (draft, options->system ? CRADLE_TYPE_SCOPE_SYSTEM : CRADLE_TYPE_SCOPE_USER,
                                  challenge != NULL ? challenge : options->no_challenge ? "" : NULL, &error);
  if (challenge != NULL)
    {
      explicit_bzero (challenge, strlen (challenge));
      g_free (challenge);
    }
  if (!saved)
    return cradlectl_report_error (error, options->json);
  if (options->json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      add_draft_json (builder, draft);
      cradlectl_print_json (builder);
    }
  else
    {
      g_autofree char *name = cradlectl_text (cradle_type_draft_get_name (draft));
      g_autofree char *source = cradlectl_text (cradle_type_draft_get_source (draft));

      g_print ("Saved the certificate type %s in %s.\n", name, source);
    }
  return CRADLECTL_EXIT_DONE;
}

static int
types_add_or_edit (int      argc,
                   char   **argv,
                   gboolean edit)
{
  const char *command = edit ? "edit" : "add";
  FieldOptions options = { 0 };
  g_autofree GOptionEntry *entries = field_entries (&options, edit);
  g_autoptr(GOptionContext) context = g_option_context_new (edit ? "NAME - change a certificate type"
                                                                 : "NAME - add a certificate type");
  g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func ((GDestroyNotify) cradle_type_problem_free);
  g_autoptr(CradleTypeDraft) draft = NULL;
  g_autoptr(GError) error = NULL;
  int code;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 2)
    {
      g_printerr ("cradlectl types %s: %s\n", command,
                  error != NULL ? error->message : "give the type's name, then its fields as options");
      field_options_clear (&options);
      return CRADLECTL_EXIT_OTHER;
    }
  if (edit)
    {
      g_autoptr(GPtrArray) drafts = cradle_type_store_list (&error);
      CradleTypeDraft *found = drafts != NULL ? find_draft (drafts, argv[1]) : NULL;

      if (drafts != NULL && found == NULL)
        {
          g_autofree char *name = cradlectl_text (argv[1]);

          g_set_error (&error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                       "There is no certificate type %s to edit. 'cradlectl types list' lists them; "
                       "'cradlectl types add' adds one.", name);
        }
      if (found == NULL)
        {
          code = cradlectl_report_error (error, options.json);
          field_options_clear (&options);
          return code;
        }
      draft = g_object_ref (found);
      /* An administrator's type edited without --system becomes the user's own. */
    }
  else
    draft = cradle_type_draft_new ();
  cradle_type_draft_set_name (draft, argv[1]);
  apply_fields (draft, &options, problems);
  code = save_draft (command, draft, &options, problems);
  field_options_clear (&options);
  return code;
}

static int
types_add (int    argc,
           char **argv)
{
  return types_add_or_edit (argc, argv, FALSE);
}

static int
types_edit (int    argc,
            char **argv)
{
  return types_add_or_edit (argc, argv, TRUE);
}

/* ---- remove -------------------------------------------------------------- */

static int
types_remove (int    argc,
              char **argv)
{
  gboolean json = FALSE;
  gboolean system = FALSE;
  GOptionEntry entries[] = {
    { "system", 0, 0, G_OPTION_ARG_NONE, &system,
      "Remove the type every user of this computer has (asks for an administrator's password)", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON for scripts", NULL },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("NAME - remove a certificate type");
  g_autoptr(GError) error = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 2)
    {
      g_printerr ("cradlectl types remove: %s\n", error != NULL ? error->message : "give one type's name");
      return CRADLECTL_EXIT_OTHER;
    }
  if (!cradle_type_store_remove (argv[1], system ? CRADLE_TYPE_SCOPE_SYSTEM : CRADLE_TYPE_SCOPE_USER, &error))
    return cradlectl_report_error (error, json);
  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      cradlectl_add_string (builder, "removed", argv[1]);
      cradlectl_add_string (builder, "scope", system ? "system" : "user");
      json_builder_end_object (builder);
      cradlectl_print_json (builder);
    }
  else
    {
      g_autofree char *name = cradlectl_text (argv[1]);

      g_print ("Removed the certificate type %s.\n", name);
    }
  return CRADLECTL_EXIT_DONE;
}

/* ---- the subcommands ----------------------------------------------------- */

/* One line per subcommand; each runs with argv[0] its own name. */
static const CradlectlCommand types_commands[] = {
  { "list", "List the certificate types of this computer and yours", types_list },
  { "show", "Show one certificate type's fields", types_show },
  { "add", "Add a certificate type (its fields as options)", types_add },
  { "edit", "Change fields of a certificate type", types_edit },
  { "remove", "Remove a certificate type", types_remove },
  { "test", "Ask a certificate type's server what it is, sending no request", cradlectl_types_test },
  { "export", "Write certificate types to a provisioning file", cradlectl_types_export },
  { "import", "Show what a provisioning file adds or changes, and save it", cradlectl_types_import },
};

static void
print_types_usage (void)
{
  g_print ("Usage: cradlectl types COMMAND [OPTIONS]\n\nCommands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (types_commands); i++)
    g_print ("  %-8s %s\n", types_commands[i].name, types_commands[i].summary);
  g_print ("\nRun 'cradlectl types COMMAND --help' for a command's options.\n");
}

int
cradlectl_types (int    argc,
                 char **argv)
{
  if (argc < 2 || g_str_equal (argv[1], "help") || g_str_equal (argv[1], "--help"))
    {
      print_types_usage ();
      return argc < 2 ? CRADLECTL_EXIT_OTHER : CRADLECTL_EXIT_DONE;
    }
  for (gsize i = 0; i < G_N_ELEMENTS (types_commands); i++)
    if (g_str_equal (argv[1], types_commands[i].name))
      return types_commands[i].run (argc - 1, argv + 1);
  g_printerr ("cradlectl types: '%s' is not a command. Run 'cradlectl types help' to see them.\n", argv[1]);
  return CRADLECTL_EXIT_OTHER;
}
