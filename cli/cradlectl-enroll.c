/* cradlectl-enroll.c: `cradlectl enroll --template NAME | --type NAME` */
#include "config.h"

#include "cradlectl-private.h"

static CradleCatalog *
load_catalog (CradlectlDomainOptions  *options,
              GError                 **error)
{
  g_autoptr(CradleDirectory) directory = cradlectl_open_directory (options, error);
  CradleCatalog *catalog;
  const char * const *problems;

  if (directory == NULL)
    return NULL;
  catalog = cradle_catalog_load (directory, NULL, error);
  if (catalog == NULL)
    return NULL;
  problems = cradle_catalog_get_problems (catalog);
  for (guint i = 0; problems[i] != NULL; i++)
    g_printerr ("cradlectl: %s\n", problems[i]);
  return catalog;
}

/* A template of the directory, as the user's catalog sees it. */
static CradleCertType *
template_type (CradlectlDomainOptions  *options,
               const char              *name,
               CradleCredentials       *credentials,
               GError                 **error)
{
  g_autoptr(CradleCatalog) catalog = load_catalog (options, error);
  CradleTemplate *template;

  if (catalog == NULL)
    return NULL;
  template = cradle_catalog_find_template (catalog, name);
  if (template == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "The directory has no certificate template '%s'. 'cradlectl templates' lists them.", name);
      return NULL;
    }
  return cradle_cert_type_new_for_template (catalog, template, cradle_credentials_get_kind (credentials));
}

/* An administrator's type; read again with the catalog when it names a
 * template and signs in, so the request follows the template's policy. */
static CradleCertType *
custom_type (CradlectlDomainOptions  *options,
             const char              *name,
             GError                 **error)
{
  g_autoptr(GPtrArray) types = cradlectl_list_custom_types ();
  CradleCertType *type = cradle_cert_type_find (types, name);
  g_autoptr(CradleCatalog) catalog = NULL;
  g_autoptr(GError) catalog_error = NULL;

  if (type == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "There is no certificate type '%s' in types.d. Use --template for a template of the "
                   "directory, or ask your administrator for the type's file.", name);
      return NULL;
    }
  if (cradle_cert_type_get_template_name (type) == NULL ||
      cradle_cert_type_get_auth (type) == CRADLE_CREDENTIALS_NONE)
    return g_object_ref (type);
  catalog = load_catalog (options, &catalog_error);
  if (catalog == NULL)
    {
      g_debug ("No directory for the type '%s': %s", name, catalog_error->message);
      return g_object_ref (type);
    }
  return cradle_cert_type_new_from_file (cradle_cert_type_get_source (type), catalog, error);
}

/* The type, looked up on a thread of its own: the directory is the
 * slowest part of starting (a Kerberos bind and seven searches, about
 * 15 ms against the lab) and needs neither the device nor the state. */
typedef struct {
  CradlectlDomainOptions *options;
  const char             *template_name;
  const char             *type_name;
  CradleCredentials      *credentials;
  CradleCertType         *type;
  GError                 *error;
} TypeLookup;

static gpointer
look_up_type (gpointer data)
{
  TypeLookup *lookup = data;

  lookup->type = lookup->template_name != NULL
                 ? template_type (lookup->options, lookup->template_name, lookup->credentials, &lookup->error)
                 : custom_type (lookup->options, lookup->type_name, &lookup->error);
  return NULL;
}

static gboolean
open_device_and_state (const char          *wanted,
                       CradleDevice       **device,
                       CradlePendingStore **store,
                       CradleJournal      **journal,
                       GError             **error)
{
  g_autoptr(GPtrArray) devices = cradlectl_open_devices (error);

  return devices != NULL
         && (*device = cradlectl_choose_device (devices, wanted, error)) != NULL
         && cradlectl_open_state (store, journal, error);
}

int
cradlectl_enroll (int    argc,
                  char **argv)
{
  CradlectlDomainOptions options = { 0 };
  g_autofree GOptionEntry *domain_entries = cradlectl_domain_entries (&options);
  g_autofree char *template_name = NULL;
  g_autofree char *type_name = NULL;
  g_autofree char *wanted = NULL;
  g_autofree char *subject = NULL;
  GOptionEntry entries[] = {
    { "template", 0, 0, G_OPTION_ARG_STRING, &template_name, "A certificate template of the directory", "NAME" },
    { "type", 0, 0, G_OPTION_ARG_STRING, &type_name, "A certificate type your administrator defined", "NAME" },
    { "device", 0, 0, G_OPTION_ARG_STRING, &wanted, "The device, by id or serial", "ID" },
    { "subject", 0, 0, G_OPTION_ARG_STRING, &subject,
      "The subject, when the type lets you supply it (RFC 4514)", "DN" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- get a certificate for a device");
  g_autoptr(CradleCredentials) credentials = NULL;
  g_autoptr(CradleCertType) type = NULL;
  g_autoptr(CradleDevice) device = NULL;
  g_autoptr(CradlePendingStore) store = NULL;
  g_autoptr(CradleJournal) journal = NULL;
  g_autoptr(CradleEnrollment) enrollment = NULL;
  g_autoptr(GError) error = NULL;
  int code;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_main_entries (context, domain_entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("cradlectl enroll: %s\n", error->message);
      cradlectl_domain_options_clear (&options);
      return CRADLECTL_EXIT_OTHER;
    }
  if ((template_name == NULL) == (type_name == NULL))
    {
      g_printerr ("cradlectl enroll: give either --template NAME or --type NAME "
                  "('cradlectl templates' lists them)\n");
      cradlectl_domain_options_clear (&options);
      return CRADLECTL_EXIT_OTHER;
    }

  credentials = cradlectl_dup_credentials (&options, &error);
  if (credentials != NULL)
    {
      TypeLookup lookup = { &options, template_name, type_name, credentials, NULL, NULL };
      GThread *thread = g_thread_new ("cradlectl-type", look_up_type, &lookup);
      g_autoptr(GError) device_error = NULL;
      gboolean opened = open_device_and_state (wanted, &device, &store, &journal, &device_error);

      g_thread_join (thread);
      type = lookup.type;
      /* A type that cannot be had is told first, as when one came after the other. */
      if (type == NULL)
        error = lookup.error;
      else if (!opened)
        error = g_steal_pointer (&device_error);
    }
  if (error != NULL)
    {
      code = cradlectl_report_error (error, options.json);
      cradlectl_domain_options_clear (&options);
      return code;
    }

  if (!options.json && cradle_cert_type_get_allow_plain_http (type))
    g_printerr ("cradlectl: note: the type '%s' lets requests travel over plain HTTP, as your "
                "administrator chose.\n", cradle_cert_type_get_name (type));
  enrollment = cradle_enrollment_new (device, type, credentials, store, journal);
  if (subject != NULL)
    cradle_enrollment_set_subject (enrollment, subject);
  code = cradlectl_run_enrollment (enrollment, options.json, NULL);
  cradlectl_domain_options_clear (&options);
  return code;
}
