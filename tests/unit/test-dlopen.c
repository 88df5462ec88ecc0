/* test-dlopen.c: libraries opened when a stage first needs them */
#include "config.h"

#include <dlfcn.h>
#include <math.h>
#include <string.h>
#include <cradle/cradle.h>

#include "ca/cradle-curl-private.h"
#include "base/cradle-dlopen-private.h"
#include "directory/cradle-libldap-private.h"
#include "ca/wstep/cradle-libxml-private.h"
#include "support/cradle-libarchive-private.h"

static void
test_missing_library (void)
{
  static const CradleDlopenSymbol symbols[] = { { NULL, NULL } };
  static CradleDlopenLibrary library = { "libcradle-no-such-library.so.7", "cradle-no-such-package", symbols, 0, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) again = NULL;

  g_assert_false (cradle_dlopen_library (&library, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "libcradle-no-such-library.so.7 could not be loaded"));
  g_assert_nonnull (strstr (error->message, "Install the cradle-no-such-package package."));
  /* Told the same way each time, without trying again. */
  g_assert_false (cradle_dlopen_library (&library, &again));
  g_assert_cmpstr (again->message, ==, error->message);
}

static gpointer sym_present;
static gpointer sym_absent;

static void
test_missing_symbol (void)
{
  static const CradleDlopenSymbol symbols[] = {
    { "cos", &sym_present },
    { "cradle_no_such_function", &sym_absent },
    { NULL, NULL },
  };
  static CradleDlopenLibrary library = { "libm.so.6", "libc6", symbols, 0, NULL };
  g_autoptr(GError) error = NULL;

  g_assert_false (cradle_dlopen_library (&library, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "libm.so.6 has no cradle_no_such_function"));
  g_assert_nonnull (strstr (error->message, "Update the libc6 package."));
  g_assert_null (sym_absent);
}

static gpointer sym_cos;
static gpointer sym_sin;

static void
test_resolved (void)
{
  static const CradleDlopenSymbol symbols[] = {
    { "cos", &sym_cos },
    { "sin", &sym_sin },
    { NULL, NULL },
  };
  static CradleDlopenLibrary library = { "libm.so.6", "libc6", symbols, 0, NULL };
  g_autoptr(GError) error = NULL;

  g_assert_true (cradle_dlopen_library (&library, &error));
  g_assert_no_error (error);
  g_assert_true (sym_cos == dlsym (RTLD_DEFAULT, "cos"));
  g_assert_cmpfloat (((double (*) (double)) sym_sin) (0.0), ==, 0.0);
}

/* The four the stages use, with every function they call. */
static void
test_stage_libraries (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (cradle_curl_load (&error));
  g_assert_no_error (error);
  g_assert_true (sym_curl_easy_init == curl_easy_init);
  g_assert_nonnull (sym_curl_slist_free_all);
  g_assert_cmpstr (sym_curl_easy_strerror (CURLE_OK), ==, "No error");

  g_assert_true (cradle_libxml_load (&error));
  g_assert_no_error (error);
  g_assert_true (sym_xmlFreeDoc == xmlFreeDoc);
  g_assert_true (*sym_xmlFree == xmlFree);

  g_assert_true (cradle_libldap_load (&error));
  g_assert_no_error (error);
  g_assert_true (sym_ldap_initialize == ldap_initialize);
  g_assert_true (sym_ber_free == ber_free);
  g_assert_true (sym_sasl_errstring == sasl_errstring);
  g_assert_cmpstr (sym_ldap_err2string (LDAP_SUCCESS), ==, "Success");

  /* libarchive: a support report's .tar.gz. */
  g_assert_true (cradle_libarchive_load (&error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (sym_archive_version_string (), "libarchive 3."));
  g_assert_nonnull (sym_archive_write_add_filter_gzip);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/dlopen/missing-library", test_missing_library);
  g_test_add_func ("/dlopen/missing-symbol", test_missing_symbol);
  g_test_add_func ("/dlopen/resolved", test_resolved);
  g_test_add_func ("/dlopen/stage-libraries", test_stage_libraries);

  return g_test_run ();
}
