/* test-untrusted-text.c: what a device says about itself, through
 * cradlectl and the journal, as an attacker would write it
 *
 * A simulated device (the real cradle-agent) whose model, manufacturer
 * and serial hold ESC sequences (CSI colour and clear-screen, an OSC 8
 * hyperlink), C1 controls and bidi overrides: every
 * cradlectl output that shows them (devices, enroll, log, in text and in
 * JSON) shows them escaped, and the journal keeps them escaped. And a
 * serial that reads as a distinguished name names the certificate by one
 * CN holding it exactly.
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "e2e-support.h"

/* CSI red, then an OSC 8 link, then ST; a C1 CSI; a right-to-left override. */
#define HOSTILE_MODEL        "Phone\x1b[31m red\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\"
#define HOSTILE_MANUFACTURER "ACME\xc2\x9b" "2J\xe2\x80\xae" "txt.exe\xe2\x81\xa6"

/* Nothing a terminal acts on: no C0 control but newline, no DEL, no C1
 * control, no bidi control, and valid UTF-8. */
static void
assert_inert (const char *text,
              const char *what)
{
  const char *end = NULL;

  if (!g_utf8_validate (text, -1, &end))
    g_error ("%s: not UTF-8 at byte %d", what, (int) (end - text));
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if ((c < 0x20 && c != '\n') || (c >= 0x7f && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) ||
          (c >= 0x2066 && c <= 0x2069) || c == 0x200e || c == 0x200f || c == 0x061c)
        g_error ("%s: U+%04X at byte %d reaches the terminal", what, c, (int) (p - text));
    }
}

static void
test_device_strings (E2e           *e2e,
                     gconstpointer  data)
{
  g_autofree char *type = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(JsonNode) devices = NULL;
  g_autoptr(JsonNode) runs = NULL;
  JsonObject *device;
  JsonObject *run;

  if (skipped (e2e))
    return;
  g_free (e2e->serial);
  e2e->serial = g_strdup_printf ("E2E-%d\x1b[2J\xc2\x85\xe2\x80\xae", (int) getpid ());
  start_agent (e2e, "--confirm=approve", "--confirm-sign=decline", "--model=" HOSTILE_MODEL,
               "--manufacturer=" HOSTILE_MANUFACTURER, NULL);

  /* `cradlectl devices`: for people. */
  {
    const char *args[] = { "devices", NULL };

    g_assert_cmpint (cradlectl (e2e, args, &out, &err), ==, 0);
    assert_inert (out, "cradlectl devices");
    assert_inert (err, "cradlectl devices (stderr)");
    g_assert_nonnull (strstr (out, "ACME\\u009b2J\\u202etxt.exe\\u2066 "
                                   "Phone\\x1b[31m red\\x1b]8;;http://evil.example/\\x1b\\click\\x1b]8;;\\x1b\\"));
    g_assert_nonnull (strstr (out, "\\x1b[2J\\u0085\\u202e"));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }

  /* `cradlectl devices --json`: \u escapes, which read back as the device
   * wrote them. (The bridge refuses text that is not UTF-8.) */
  {
    const char *args[] = { "devices", "--json", NULL };

    g_assert_cmpint (cradlectl (e2e, args, &out, &err), ==, 0);
    assert_inert (out, "cradlectl devices --json");
    assert_inert (err, "cradlectl devices --json (stderr)");
    g_assert_nonnull (strstr (out, "\\u001b[31m"));
    g_assert_nonnull (strstr (out, "\\u009b"));
    g_assert_nonnull (strstr (out, "\\u202e"));
    devices = parse_json (out);
    g_assert_cmpuint (json_array_get_length (json_node_get_array (devices)), ==, 1);
    device = json_array_get_object_element (json_node_get_array (devices), 0);
    g_assert_cmpstr (json_object_get_string_member (device, "model"), ==, HOSTILE_MODEL);
    g_assert_cmpstr (json_object_get_string_member (device, "manufacturer"), ==, HOSTILE_MANUFACTURER);
    g_assert_cmpstr (json_object_get_string_member (device, "serial"), ==, e2e->serial);
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }

  /* `cradlectl enroll`, declined on the device: its progress, its error
   * and its journal. */
  type = write_type (e2e, "CradleDeviceUPN", NULL, NULL);
  {
    const char *args[] = { "enroll", "--type", type, "--dc", env (e2e, "CRADLE_LAB_LDAP_URI"),
                           "--ccache", alice_ccache (e2e), NULL };

    g_assert_cmpint (cradlectl (e2e, args, &out, &err), ==, 5);
    assert_inert (out, "cradlectl enroll");
    assert_inert (err, "cradlectl enroll (stderr)");
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }

  /* The journal stored the serial escaped: `cradlectl log --json` gives
   * the escaped text back, and `cradlectl log` shows it so. */
  runs = journal (e2e, 0);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (runs)), >=, 1);
  run = json_array_get_object_element (json_node_get_array (runs), 0);
  g_assert_cmpstr (json_object_get_string_member (run, "outcome"), ==, "declined");
  {
    g_autofree char *expected = g_strdup_printf ("E2E-%d\\x1b[2J\\u0085\\u202e", (int) getpid ());

    g_assert_cmpstr (json_object_get_string_member (run, "device"), ==, expected);
  }
  {
    const char *args[] = { "log", NULL };

    g_assert_cmpint (cradlectl (e2e, args, &out, &err), ==, 0);
    assert_inert (out, "cradlectl log");
    assert_inert (err, "cradlectl log (stderr)");
    g_assert_nonnull (strstr (out, "\\x1b[2J\\u0085\\u202e"));
    g_clear_pointer (&out, g_free);
    g_clear_pointer (&err, g_free);
  }
  {
    const char *args[] = { "log", "--json", NULL };

    g_assert_cmpint (cradlectl (e2e, args, &out, &err), ==, 0);
    assert_inert (out, "cradlectl log --json");
  }
}

/* Spliced into "CN=%s" and parsed, this serial was issued
 * CN=Administrator, OU=Domain Admins, CN=PHONE-7. */
static void
test_serial_with_commas (E2e           *e2e,
                         gconstpointer  data)
{
  g_autofree char *type = NULL;
  g_autofree char *expected = NULL;
  g_autoptr(JsonNode) result = NULL;
  JsonObject *leaf;

  if (skipped (e2e))
    return;
  g_free (e2e->serial);
  e2e->serial = g_strdup_printf ("PHONE-%d,OU=Domain Admins,CN=Administrator", (int) getpid ());
  start_agent (e2e, "--confirm=approve", NULL);
  /* A type without a Subject, for a template that takes it from the request. */
  type = write_type (e2e, "CradleDeviceSuppliedSubject", NULL, NULL);
  result = enroll (e2e, type, 0);
  assert_installed (e2e, result);
  leaf = json_object_get_object_member (json_node_get_object (result), "certificate");
  /* One CN, quoted as OpenSSL's one-line form quotes a value with commas. */
  expected = g_strdup_printf ("CN = \"%s\"", e2e->serial);
  g_assert_cmpstr (json_object_get_string_member (leaf, "subject"), ==, expected);
}

int
main (int    argc,
      char **argv)
{
  static const Connector certsrv = { "certsrv" };
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add ("/untrusted-text/device-strings", E2e, &certsrv, e2e_set_up, test_device_strings, e2e_tear_down);
  g_test_add ("/untrusted-text/serial-with-commas", E2e, &certsrv, e2e_set_up, test_serial_with_commas,
              e2e_tear_down);
  status = g_test_run ();
  cradle_test_lab_cleanup ();
  return status;
}
