/* cradlectl-enroll.c: `cradlectl enroll --template NAME | --type NAME` */
#include "config.h"

#include "cradlectl-private.h"

/* An administrator's type from types.d, or %NULL with an error. */
static CradleCertType *
find_custom_type (const char  *name,
                  GError     **error)
{
  g_autoptr(GPtrArray) types = cradlectl_list_custom_types ();
  CradleCertType *type = cradle_cert_type_find (types, name);

  if (type == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "There is no certificate type '%s' in types.d. Use --template for a template of the "
                   "directory, or ask your administrator for the type's file.", name);
      return NULL;
    }
  return g_object_ref (type);
}

/* The catalog's problems (a template it could not read, say), once it is read. */
static void
print_problems (CradleTypeLookup *lookup)
{
  g_autoptr(CradleCatalog) catalog = NULL;
  const char * const *problems;

  if (lookup == NULL || (catalog = cradle_type_lookup_wait (lookup, NULL, NULL)) == NULL)
    return;
  problems = cradle_catalog_get_problems (catalog);
  for (guint i = 0; problems[i] != NULL; i++)
    g_printerr ("cradlectl: %s\n", problems[i]);
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
         && cradlectl_log_in_device (*device, error)
         && cradlectl_open_state (store, journal, error);
}

/* The lookup's thread ends before the process does: exit would tear
 * Kerberos down under it. */
static void
stop_lookup (CradleTypeLookup *lookup)
{
  cradle_type_lookup_stop (lookup);
  g_object_unref (lookup);
}

typedef CradleTypeLookup CradlectlLookup;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradlectlLookup, stop_lookup)

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
  g_autofree char *batch_file = NULL;
  gboolean all_devices = FALSE;
  int at_once = -1;  /* not given: the batch's default */
  GOptionEntry entries[] = {
    { "template", 0, 0, G_OPTION_ARG_STRING, &template_name, "A certificate template of the directory", "NAME" },
    { "type", 0, 0, G_OPTION_ARG_STRING, &type_name, "A certificate type your administrator defined", "NAME" },
    { "device", 0, 0, G_OPTION_ARG_STRING, &wanted, "The device, by id or serial", "ID" },
    { "subject", 0, 0, G_OPTION_ARG_STRING, &subject,
      "The subject, when the type lets you supply it (RFC 4514)", "DN" },
    { "all-devices", 0, 0, G_OPTION_ARG_NONE, &all_devices,
      "Every connected device at once (with --type or --template)", NULL },
    { "batch", 0, 0, G_OPTION_ARG_FILENAME, &batch_file,
      "The devices in FILE at once: one line per device, CSV: serial,type,subject", "FILE" },
    { "at-once", 0, 0, G_OPTION_ARG_INT, &at_once,
      "With --batch or --all-devices: how many devices at most are enrolled at once (64)", "N" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- get a certificate for a device");
  g_autoptr(CradleCredentials) credentials = NULL;
  g_autoptr(CradleCertType) type = NULL;
  g_autoptr(CradleDevice) device = NULL;
  g_autoptr(CradlePendingStore) store = NULL;
  g_autoptr(CradleJournal) journal = NULL;
  g_autoptr(CradleEnrollment) enrollment = NULL;
  g_autoptr(CradleCertType) custom = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(CradlectlLookup) lookup = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  gboolean provisional = FALSE;
  int code;

  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_main_entries (context, cradlectl_token_entries (), NULL);
  g_option_context_add_main_entries (context, domain_entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("cradlectl enroll: %s\n", error->message);
      cradlectl_domain_options_clear (&options);
      return CRADLECTL_EXIT_OTHER;
    }
  cradlectl_domain_options_resolve (&options);
  if (batch_file != NULL || all_devices)
    {
      CradlectlBatchParams params = { batch_file, type_name, template_name, &options,
                                       at_once > 0 ? (guint) at_once : 0 };
      const char *wrong = NULL;

      if (batch_file != NULL && all_devices)
        wrong = "give either --batch FILE or --all-devices";
      else if (batch_file != NULL && (type_name != NULL || template_name != NULL))
        wrong = "--batch takes each device's type from its file, not from --type or --template";
      else if (all_devices && (type_name == NULL) == (template_name == NULL))
        wrong = "--all-devices needs either --type NAME or --template NAME";
      else if (at_once != -1 && (at_once < 1 || at_once > 1024))
        wrong = "--at-once takes a number of devices from 1 to 1024";
      else if (wanted != NULL || subject != NULL)
        wrong = "--device and --subject are for one device; a batch file gives each device's subject";
      if (wrong != NULL)
        {
          g_printerr ("cradlectl enroll: %s\n", wrong);
          cradlectl_domain_options_clear (&options);
          return CRADLECTL_EXIT_OTHER;
        }
      code = cradlectl_enroll_batch (&params);
      cradlectl_domain_options_clear (&options);
      return code;
    }
  if (at_once != -1)
    {
      g_printerr ("cradlectl enroll: --at-once is for --batch and --all-devices\n");
      cradlectl_domain_options_clear (&options);
      return CRADLECTL_EXIT_OTHER;
    }
  if ((template_name == NULL) == (type_name == NULL))
    {
      g_printerr ("cradlectl enroll: give either --template NAME or --type NAME "
                  "('cradlectl templates' lists them), or --batch FILE\n");
      cradlectl_domain_options_clear (&options);
      return CRADLECTL_EXIT_OTHER;
    }

  credentials = cradlectl_dup_credentials (&options, &error);
  if (credentials != NULL && type_name != NULL)
    custom = find_custom_type (type_name, &error);
  if (error == NULL)
    {
      g_autoptr(GError) device_error = NULL;
      gboolean opened;

      /* The directory is read beside the device and the state; the kept
       * catalog gives a type to start with meanwhile, which the engine
       * confirms before the device signs. */
      if (cradle_type_lookup_reads_catalog (custom))
        {
          lookup = cradle_type_lookup_new (options.domain, options.dc_uri, credentials, cancellable);
          type = cradle_type_lookup_dup_kept_type (lookup, template_name, custom);
          provisional = type != NULL;
        }
      opened = open_device_and_state (wanted, &device, &store, &journal, &device_error);
      if (type == NULL && lookup != NULL)
        {
          type = cradle_type_lookup_dup_type (lookup, template_name, custom, NULL, &error);
          print_problems (lookup);
        }
      else if (type == NULL)
        type = g_object_ref (custom);
      /* A type that cannot be had is told first, as when one came after the other. */
      if (type != NULL && !opened)
        error = g_steal_pointer (&device_error);
    }
  if (error != NULL)
    {
      code = cradlectl_report_error (error, options.json);
      /* The directory read ends before the process: the catalog is kept for next time. */
      if (provisional)
        print_problems (lookup);
      cradlectl_domain_options_clear (&options);
      return code;
    }

  if (!options.json && cradle_cert_type_get_allow_plain_http (type))
    g_printerr ("cradlectl: note: the type '%s' lets requests travel over plain HTTP, as your "
                "administrator chose.\n", cradle_cert_type_get_name (type));
  enrollment = cradle_enrollment_new (device, type, credentials, store, journal);
  if (subject != NULL)
    cradle_enrollment_set_subject (enrollment, subject);
  if (provisional)
    cradle_enrollment_set_type_lookup (enrollment, lookup);
  code = cradlectl_run_enrollment (enrollment, options.json, NULL, cancellable);
  if (provisional)
    print_problems (lookup);
  cradlectl_domain_options_clear (&options);
  return code;
}
