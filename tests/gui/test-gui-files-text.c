/* test-gui-files-text.c: what the certificate details and the file install say, without a display
 *
 * Fingerprints read as the device and OpenSSL print them; an imported key
 * is said plainly not to be made on the device; a root's line carries the
 * fingerprint the device will show; stores have names for people.
 */
#include "config.h"

#include <cradle/cradle.h>

#include "cradle-cert-details-dialog.h"
#include "cradle-cert-row.h"
#include "cradle-install-file.h"

static void
test_fingerprint (void)
{
  g_autofree char *short_one = cradle_cert_details_dialog_format_fingerprint ("0aff");
  g_autofree char *odd = cradle_cert_details_dialog_format_fingerprint ("abc");
  g_autofree char *empty = cradle_cert_details_dialog_format_fingerprint ("");
  g_autofree char *none = cradle_cert_details_dialog_format_fingerprint (NULL);

  g_assert_cmpstr (short_one, ==, "0A:FF");
  g_assert_cmpstr (odd, ==, "AB:C");
  g_assert_cmpstr (empty, ==, "");
  g_assert_cmpstr (none, ==, "");
}

static void
test_origin (void)
{
  const char *imported = cradle_cert_details_dialog_describe_origin ("imported");
  const char *generated = cradle_cert_details_dialog_describe_origin ("generated");
  const char *none = cradle_cert_details_dialog_describe_origin ("none");

  g_assert_nonnull (strstr (imported, "not made on the device"));
  g_assert_null (strstr (generated, "not made"));
  g_assert_nonnull (strstr (generated, "Made on the device"));
  g_assert_nonnull (strstr (none, "no key"));
  g_assert_nonnull (strstr (cradle_cert_details_dialog_describe_origin ("unknown"), "does not say"));
  /* Anything the device says that Cradle does not know is no key claimed. */
  g_assert_cmpstr (cradle_cert_details_dialog_describe_origin ("<b>made</b>"), ==, none);
  g_assert_cmpstr (cradle_cert_details_dialog_describe_origin (NULL), ==, none);
}

static void
test_roles (void)
{
  g_autofree char *root = cradle_install_file_describe_role (CRADLE_CERT_ROLE_ROOT, FALSE, "00ab12");
  g_autofree char *ca = cradle_install_file_describe_role (CRADLE_CERT_ROLE_CA, TRUE, "00ab12");
  g_autofree char *mine = cradle_install_file_describe_role (CRADLE_CERT_ROLE_END_ENTITY, TRUE, NULL);
  g_autofree char *pending = cradle_install_file_describe_role (CRADLE_CERT_ROLE_END_ENTITY, FALSE, NULL);

  g_assert_true (g_str_has_prefix (root, "Trusted root"));
  g_assert_nonnull (strstr (root, "SHA-256 00:AB:12,"));
  g_assert_null (strstr (ca, "00:AB"));
  g_assert_nonnull (strstr (ca, "Intermediate"));
  g_assert_nonnull (strstr (mine, "with its key from the file"));
  g_assert_nonnull (strstr (pending, "for a key the device made"));
}

static void
test_store_names (void)
{
  g_assert_cmpstr (cradle_cert_row_store_name ("MY", "user"), ==, "Personal");
  g_assert_cmpstr (cradle_cert_row_store_name ("CA", "system"), ==, "Intermediate (system)");
  g_assert_cmpstr (cradle_cert_row_store_name ("Root", "user"), ==, "Trusted root");
  g_assert_cmpstr (cradle_cert_row_store_name ("Odd", "user"), ==, "Odd");
}

int
main (int    argc,
      char **argv)
{
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/gui/files/fingerprint", test_fingerprint);
  g_test_add_func ("/gui/files/origin", test_origin);
  g_test_add_func ("/gui/files/roles", test_roles);
  g_test_add_func ("/gui/files/store-names", test_store_names);
  return g_test_run ();
}
