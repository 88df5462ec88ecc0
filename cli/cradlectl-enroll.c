/* cradlectl-enroll.c: `cradlectl enroll --template NAME | --type NAME` */
#include "config.h"

#include "cradlectl-private.h"

typedef struct _TypeLookup TypeLookup;
static void wait_until_kept_read (TypeLookup *lookup);

/* Reads the catalog, and keeps it so that the next enrollment starts sooner. */
static CradleCatalog *
load_catalog (CradlectlDomainOptions  *options,
              TypeLookup              *lookup,
              GCancellable            *cancellable,
              GError                 **error)
{
  g_autoptr(CradleDirectory) directory = cradlectl_open_directory (options, cancellable, error);
  g_autoptr(GError) cache_error = NULL;
  CradleCatalog *catalog;
  const char * const *problems;

  if (directory == NULL)
    return NULL;
  catalog = cradle_catalog_load (directory, cancellable, error);
  if (catalog == NULL)
    return NULL;
  problems = cradle_catalog_get_problems (catalog);
  for (guint i = 0; problems[i] != NULL; i++)
    g_printerr ("cradlectl: %s\n", problems[i]);
  wait_until_kept_read (lookup);
  if (options->password_file == NULL && cradle_catalog_get_cache_max_age () > 0 &&
      !cradle_catalog_save_cache (catalog, directory, &cache_error))
    g_debug ("The catalog is not kept: %s", cache_error->message);
  return catalog;
}

/* A template of the directory, as the user's catalog sees it. */
static CradleCertType *
template_type (CradleCatalog      *catalog,
               const char         *name,
               CradleCredentials  *credentials,
               GError            **error)
{
  CradleTemplate *template = cradle_catalog_find_template (catalog, name);

  if (template == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "The directory has no certificate template '%s'. 'cradlectl templates' lists them.", name);
      return NULL;
    }
  return cradle_cert_type_new_for_template (catalog, template, cradle_credentials_get_kind (credentials));
}

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

/* Whether the type is read with the catalog: a template, or an
 * administrator's type that names one and signs in. */
static gboolean
reads_catalog (CradleCertType *custom)
{
  return custom == NULL ||
         (cradle_cert_type_get_template_name (custom) != NULL &&
          cradle_cert_type_get_auth (custom) != CRADLE_CREDENTIALS_NONE);
}

/* The type as @catalog (nullable: the directory could not be read) makes it. */
static CradleCertType *
type_with_catalog (const char         *template_name,
                   CradleCertType     *custom,
                   CradleCatalog      *catalog,
                   CradleCredentials  *credentials,
                   GError            **error)
{
  if (template_name != NULL)
    return template_type (catalog, template_name, credentials, error);
  if (catalog == NULL || !reads_catalog (custom))
    return g_object_ref (custom);
  /* Read again with the catalog, so the request follows the template's policy. */
  return cradle_cert_type_new_from_file (cradle_cert_type_get_source (custom), catalog, error);
}

/* The type, looked up in the directory on a thread of its own: the
 * directory is the slowest part of starting (a Kerberos bind and seven
 * searches, about 13 ms against the lab) and needs neither the device nor
 * the state. */
struct _TypeLookup {
  CradlectlDomainOptions *options;
  const char             *template_name;
  CradleCertType         *custom;         /* nullable: a template */
  CradleCredentials      *credentials;
  GThread                *thread;
  CradleCertType         *type;
  GError                 *error;
  /* The kept catalog is read before this run replaces it. */
  GMutex                  lock;
  GCond                   kept_read_cond;
  gboolean                kept_read;
  /* Ctrl-C during the run also ends the directory read beside it. */
  GCancellable           *cancellable;
};

static void
wait_until_kept_read (TypeLookup *lookup)
{
  g_mutex_lock (&lookup->lock);
  while (!lookup->kept_read)
    g_cond_wait (&lookup->kept_read_cond, &lookup->lock);
  g_mutex_unlock (&lookup->lock);
}

static void
set_kept_read (TypeLookup *lookup)
{
  g_mutex_lock (&lookup->lock);
  lookup->kept_read = TRUE;
  g_cond_signal (&lookup->kept_read_cond);
  g_mutex_unlock (&lookup->lock);
}

static gpointer
look_up_type (gpointer data)
{
  TypeLookup *lookup = data;
  g_autoptr(CradleCatalog) catalog = NULL;
  g_autoptr(GError) catalog_error = NULL;

  if (!reads_catalog (lookup->custom))
    {
      lookup->type = g_object_ref (lookup->custom);
      return NULL;
    }
  catalog = load_catalog (lookup->options, lookup, lookup->cancellable, &catalog_error);
  if (catalog == NULL && lookup->custom == NULL)
    {
      lookup->error = g_steal_pointer (&catalog_error);
      return NULL;
    }
  if (catalog == NULL)
    g_debug ("No directory for the type '%s': %s", cradle_cert_type_get_name (lookup->custom),
             catalog_error->message);
  lookup->type = type_with_catalog (lookup->template_name, lookup->custom, catalog, lookup->credentials,
                                    &lookup->error);
  return NULL;
}

static void
join_lookup (TypeLookup *lookup)
{
  if (lookup->thread != NULL)
    g_thread_join (g_steal_pointer (&lookup->thread));
}

/* The engine's check of the kept catalog's type: the directory's answer. */
static CradleCertType *
fresh_type (gpointer       data,
            GCancellable  *cancellable,
            GError       **error)
{
  TypeLookup *lookup = data;

  join_lookup (lookup);
  if (lookup->type == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&lookup->error));
      return NULL;
    }
  return g_steal_pointer (&lookup->type);
}

/* The type the kept catalog makes, to start with while the directory is
 * read again; %NULL when none is kept (or it cannot make this type). */
static CradleCertType *
provisional_type (TypeLookup *lookup)
{
  g_autoptr(CradleDirectory) directory = NULL;
  g_autoptr(CradleCatalog) catalog = NULL;
  g_autoptr(CradleCertType) type = NULL;
  g_autoptr(GError) error = NULL;
  guint max_age = cradle_catalog_get_cache_max_age ();

  /* Kept for Kerberos sign-ins only: a password's account is checked by signing in. */
  if (max_age == 0 || lookup->options->password_file != NULL || !reads_catalog (lookup->custom))
    return NULL;
  directory = cradlectl_new_directory (lookup->options, &error);
  if (directory != NULL)
    catalog = cradle_catalog_load_cached (directory, max_age, &error);
  if (catalog != NULL)
    type = type_with_catalog (lookup->template_name, lookup->custom, catalog, lookup->credentials, &error);
  if (type == NULL || !cradle_cert_type_is_enrollable (type))
    {
      g_debug ("Not starting from a kept catalog: %s",
               error != NULL ? error->message : "it does not allow this type");
      return NULL;
    }
  return g_steal_pointer (&type);
}

/* The lookup a run did not need ends before its inputs go. */
static void
finish_lookup (TypeLookup *lookup)
{
  if (lookup->options == NULL)
    return;
  join_lookup (lookup);
  g_clear_object (&lookup->type);
  g_clear_error (&lookup->error);
  g_clear_object (&lookup->cancellable);
  g_mutex_clear (&lookup->lock);
  g_cond_clear (&lookup->kept_read_cond);
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
  g_autoptr(CradleCertType) custom = NULL;
  g_autoptr(GError) error = NULL;
  TypeLookup lookup = { 0 };
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
  if (credentials != NULL && type_name != NULL)
    custom = find_custom_type (type_name, &error);
  if (error == NULL)
    {
      g_autoptr(GError) device_error = NULL;
      gboolean opened;

      g_mutex_init (&lookup.lock);
      g_cond_init (&lookup.kept_read_cond);
      lookup.options = &options;
      lookup.cancellable = g_cancellable_new ();
      lookup.template_name = template_name;
      lookup.custom = custom;
      lookup.credentials = credentials;
      lookup.thread = g_thread_new ("cradlectl-type", look_up_type, &lookup);
      type = provisional_type (&lookup);
      set_kept_read (&lookup);
      opened = open_device_and_state (wanted, &device, &store, &journal, &device_error);
      if (type == NULL)
        {
          join_lookup (&lookup);
          type = g_steal_pointer (&lookup.type);
        }
      /* A type that cannot be had is told first, as when one came after the other. */
      if (type == NULL)
        error = g_steal_pointer (&lookup.error);
      else if (!opened)
        error = g_steal_pointer (&device_error);
    }
  if (error != NULL)
    {
      code = cradlectl_report_error (error, options.json);
      finish_lookup (&lookup);
      cradlectl_domain_options_clear (&options);
      return code;
    }

  if (!options.json && cradle_cert_type_get_allow_plain_http (type))
    g_printerr ("cradlectl: note: the type '%s' lets requests travel over plain HTTP, as your "
                "administrator chose.\n", cradle_cert_type_get_name (type));
  enrollment = cradle_enrollment_new (device, type, credentials, store, journal);
  if (subject != NULL)
    cradle_enrollment_set_subject (enrollment, subject);
  if (lookup.thread != NULL)
    cradle_enrollment_set_type_confirmation (enrollment, fresh_type, &lookup, NULL);
  code = cradlectl_run_enrollment (enrollment, options.json, NULL, lookup.cancellable);
  finish_lookup (&lookup);
  cradlectl_domain_options_clear (&options);
  return code;
}
