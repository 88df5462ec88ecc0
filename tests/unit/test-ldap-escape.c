/* test-ldap-escape.c: filter escaping and LDAP error conversion */
#include "config.h"

#include <cradle/cradle.h>

#include "directory/cradle-ldap-private.h"

static void
test_escape_every_byte (void)
{
  const guint8 data[] = { '*', '(', ')', '\\', 0x00, 'a', 0xff };
  g_autofree char *escaped = cradle_ldap_escape_filter (data, sizeof data);

  g_assert_cmpstr (escaped, ==, "\\2a\\28\\29\\5c\\00\\61\\ff");
}

static void
test_escape_empty (void)
{
  g_autofree char *escaped = cradle_ldap_escape_filter (NULL, 0);

  g_assert_cmpstr (escaped, ==, "");
}

static void
test_error_mapping (void)
{
  struct {
    int rc;
    int code;
  } cases[] = {
    { LDAP_SERVER_DOWN, CRADLE_ERROR_UNREACHABLE },
    { LDAP_TIMEOUT, CRADLE_ERROR_TIMED_OUT },
    { LDAP_INVALID_CREDENTIALS, CRADLE_ERROR_AUTH_FAILED },
    { LDAP_LOCAL_ERROR, CRADLE_ERROR_AUTH_FAILED },
    { LDAP_INSUFFICIENT_ACCESS, CRADLE_ERROR_PERMISSION_DENIED },
    { LDAP_NO_SUCH_OBJECT, CRADLE_ERROR_NOT_FOUND },
    { LDAP_DECODING_ERROR, CRADLE_ERROR_INVALID_DATA },
    { LDAP_OTHER, CRADLE_ERROR_FAILED },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *code_text = g_strdup_printf ("[LDAP %d]", cases[i].rc);

      cradle_ldap_set_error (&error, NULL, cases[i].rc, "testing");
      g_assert_error (error, CRADLE_ERROR, cases[i].code);
      g_assert_nonnull (strstr (error->message, "while testing"));
      g_assert_nonnull (strstr (error->message, code_text));
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ldap/escape-every-byte", test_escape_every_byte);
  g_test_add_func ("/ldap/escape-empty", test_escape_empty);
  g_test_add_func ("/ldap/error-mapping", test_error_mapping);

  return g_test_run ();
}
