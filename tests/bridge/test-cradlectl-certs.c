/* test-cradlectl-certs.c: `cradlectl certs show | export | remove` against a listening agent
 *
 * A real cradle-agent listening in a private runtime folder holds a chain
 * made here with OpenSSL; cradlectl finds it as a simulated device, shows
 * a certificate's details (text and JSON, hostile text escaped), exports
 * it as DER and PEM (compared byte for byte), refuses an ambiguous name,
 * and removes with the device's user saying no, then yes.  The exit codes
 * are the command-line contract's.
 */
#include "config.h"

#include <signal.h>
#include <glib/gstdio.h>
#include <openssl/pem.h>
#include <json-glib/json-glib.h>
#include <cradle/cradle.h>

#include "agent-fixture.h"
#include "cert-details-test-support.h"

typedef struct {
  char        *home;
  char        *runtime;
  char        *store;
  GSubprocess *agent;
  EVP_PKEY    *root_key;
  EVP_PKEY    *ca_key;
  X509        *root;
  X509        *ca;
  X509        *leaf;
} Fixture;

static void
start_agent (Fixture    *f,
             const char *confirm_delete)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autofree char *agent = agent_fixture_agent_path ();
  g_autofree char *store_arg = g_strdup_printf ("--store=%s", f->store);
  g_autofree char *kek_arg = g_strdup_printf ("--kek-file=%s/secrets/kek", f->home);
  g_autofree char *delete_arg = g_strdup_printf ("--confirm-delete=%s", confirm_delete);
  g_autoptr(GDataInputStream) output = NULL;
  g_autofree char *line = NULL;
  g_autoptr(GError) error = NULL;

  g_subprocess_launcher_setenv (launcher, "CRADLE_RUNTIME_DIR", f->runtime, TRUE);
  f->agent = g_subprocess_launcher_spawn (launcher, &error, agent, "--serial=CERTS-1", store_arg, kek_arg,
                                          "--confirm=approve", delete_arg, NULL);
  g_assert_no_error (error);
  /* Ready once it says where it listens. */
  output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (f->agent));
  line = g_data_input_stream_read_line (output, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_nonnull (strstr (line, "listening on"));
}

static void
stop_agent (Fixture *f)
{
  if (f->agent == NULL)
    return;
  g_subprocess_send_signal (f->agent, SIGTERM);
  g_subprocess_wait (f->agent, NULL, NULL);
  g_clear_object (&f->agent);
}

static CradleDevice *
find_and_open (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) devices = cradle_device_enumerate (NULL, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < devices->len; i++)
    {
      CradleDevice *device = g_ptr_array_index (devices, i);

      if (g_strcmp0 (cradle_device_get_transport (device), "socket") != 0)
        continue;
      g_assert_true (cradle_device_open (device, NULL, &error));
      g_assert_no_error (error);
      g_assert_true (cradle_device_pair (device, NULL, &error));
      g_assert_no_error (error);
      return g_object_ref (device);
    }
  g_assert_not_reached ();
}

static void
install (CradleDevice *device,
         const char   *store,
         X509         *x509,
         GBytes       *key_id)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GBytes) der = cert_der (x509);
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (batch, cradle_device_cert_new (store, "user", der, key_id));
  g_assert_true (cradle_device_install (device, batch, NULL, NULL, &error));
  g_assert_no_error (error);
}

/* Root -> CA -> "Bob" (MY, its key made on the device). */
static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *state = NULL;
  g_autoptr(CradleDevice) device = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(EVP_PKEY) device_key = NULL;
  g_autoptr(GError) error = NULL;
  CertSpec root = { .subject_cn = "CLI Root", .serial = 1, .ca = TRUE };
  CertSpec ca = { .subject_cn = "CLI Issuing CA", .serial = 2, .ca = TRUE };
  CertSpec leaf = { .subject_cn = "Bob", .serial = 0x5eed, .eku = "clientAuth",
                    .san = "otherName:1.3.6.1.4.1.311.20.2.3;UTF8:bob@corp.example.org, DNS:bob.example.org" };

  f->home = g_dir_make_tmp ("cradlectl-certs-XXXXXX", NULL);
  f->runtime = g_build_filename (f->home, "run", NULL);
  f->store = g_build_filename (f->home, "store", NULL);
  g_setenv ("CRADLE_RUNTIME_DIR", f->runtime, TRUE);
  /* This computer's pairing key, pins and journal, shared with cradlectl. */
  state = g_build_filename (f->home, "state", NULL);
  g_setenv ("CRADLE_STATE_DIR", state, TRUE);
  start_agent (f, "approve");

  f->root_key = test_key_new ();
  f->ca_key = test_key_new ();
  root.key = root.issuer_key = f->root_key;
  f->root = cert_spec_build (&root);
  ca.key = f->ca_key;
  ca.issuer = f->root;
  ca.issuer_key = f->root_key;
  f->ca = cert_spec_build (&ca);

  device = find_and_open ();
  key_id = cradle_device_generate_key (device, "p256", "cradlectl certs test", &spki, NULL, &error);
  g_assert_no_error (error);
  device_key = test_public_key_from_der (spki);
  leaf.key = device_key;
  leaf.issuer = f->ca;
  leaf.issuer_key = f->ca_key;
  f->leaf = cert_spec_build (&leaf);
  install (device, "Root", f->root, NULL);
  install (device, "CA", f->ca, NULL);
  install (device, "MY", f->leaf, key_id);
  cradle_device_close (device);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *command = NULL;

  stop_agent (f);
  command = g_strdup_printf ("rm -rf '%s'", f->home);
  g_assert_true (g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL));
  g_free (f->home);
  g_free (f->runtime);
  g_free (f->store);
  EVP_PKEY_free (f->root_key);
  EVP_PKEY_free (f->ca_key);
  X509_free (f->root);
  X509_free (f->ca);
  X509_free (f->leaf);
}

typedef struct {
  int     status;
  GBytes *out;
  char   *err;
} Run;

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->out, g_bytes_unref);
  g_clear_pointer (&run->err, g_free);
}

/* cradlectl with @first_arg…, its exit status, standard output as bytes and standard error. */
static Run
cradlectl (const char *first_arg,
           ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *program = g_build_filename (g_getenv ("CRADLE_BUILD_ROOT"), "cli", "cradlectl", NULL);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GBytes) err = NULL;
  g_autoptr(GError) error = NULL;
  Run run = { 0 };
  va_list args;

  g_ptr_array_add (argv, program);
  va_start (args, first_arg);
  for (const char *arg = first_arg; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_newv ((const char * const *) argv->pdata, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                               G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate (process, NULL, NULL, &run.out, &err, &error));
  g_assert_no_error (error);
  run.status = g_subprocess_get_exit_status (process);
  run.err = g_strndup (g_bytes_get_data (err, NULL), g_bytes_get_size (err));
  return run;
}

static JsonNode *
parse_json (GBytes *out)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strndup (g_bytes_get_data (out, NULL), g_bytes_get_size (out));
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return node;
}

static char *
sha256_of (X509 *x509)
{
  g_autoptr(GBytes) der = cert_der (x509);

  return g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, der);
}

static void
test_show (Fixture       *f,
           gconstpointer  data)
{
  Run run = cradlectl ("certs", "show", "5eed", "--json", NULL);
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *leaf_sha256 = sha256_of (f->leaf);
  g_autofree char *root_sha256 = sha256_of (f->root);
  g_autofree char *prefix = g_strndup (root_sha256, 8);
  JsonObject *object;
  JsonArray *sans;
  JsonArray *chain;
  g_autofree char *text = NULL;

  g_assert_cmpint (run.status, ==, 0);
  node = parse_json (run.out);
  object = json_node_get_object (node);
  g_assert_cmpstr (json_object_get_string_member (object, "subject"), ==, "CN = Bob");
  g_assert_cmpstr (json_object_get_string_member (object, "store"), ==, "MY");
  g_assert_cmpstr (json_object_get_string_member (object, "serial"), ==, "5eed");
  g_assert_cmpstr (json_object_get_string_member (object, "sha256"), ==, leaf_sha256);
  g_assert_cmpuint (strlen (json_object_get_string_member (object, "sha1")), ==, 40);
  g_assert_cmpstr (json_object_get_string_member (object, "key_origin"), ==, "generated");
  g_assert_true (json_object_get_boolean_member (object, "has_key"));
  sans = json_object_get_array_member (object, "sans");
  g_assert_cmpuint (json_array_get_length (sans), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (sans, 0), ==, "UPN:bob@corp.example.org");
  g_assert_cmpstr (json_array_get_string_element (sans, 1), ==, "DNS:bob.example.org");
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (object, "ekus"), 0), ==,
                   "Client Authentication (1.3.6.1.5.5.7.3.2)");
  chain = json_object_get_array_member (object, "chain");
  g_assert_cmpuint (json_array_get_length (chain), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (chain, 1), "sha256"), ==,
                   root_sha256);
  g_assert_true (json_object_get_boolean_member (object, "chain_complete"));
  g_assert_true (json_object_get_null_member (object, "chain_problem"));
  run_clear (&run);

  /* For people, by a fingerprint prefix. */
  run = cradlectl ("certs", "show", prefix, NULL);
  g_assert_cmpint (run.status, ==, 0);
  text = g_strndup (g_bytes_get_data (run.out, NULL), g_bytes_get_size (run.out));
  g_assert_nonnull (strstr (text, "Subject     CN = CLI Root"));
  g_assert_nonnull (strstr (text, "self-signed"));
  g_assert_nonnull (strstr (text, "Key         none on the device"));
  run_clear (&run);

  /* The list without a subcommand is as it was. */
  run = cradlectl ("certs", "--json", NULL);
  g_assert_cmpint (run.status, ==, 0);
  {
    g_autoptr(JsonNode) list = parse_json (run.out);

    g_assert_cmpuint (json_array_get_length (json_node_get_array (list)), ==, 3);
  }
  run_clear (&run);

  /* No such certificate; no name at all. */
  run = cradlectl ("certs", "show", "abcdef0123", "--json", NULL);
  g_assert_cmpint (run.status, ==, 7);
  g_assert_nonnull (strstr (run.err, "No certificate on the device"));
  run_clear (&run);
  run = cradlectl ("certs", "show", NULL);
  g_assert_cmpint (run.status, ==, 7);
  run_clear (&run);
}

static void
test_hostile (Fixture       *f,
              gconstpointer  data)
{
  static const char evil[] = "\x1b]8;;http://evil.example\x07" "click\x1b]8;;\x07\xe2\x80\xae\xff";
  g_autoptr(GBytes) raw_cn = g_bytes_new_static (evil, sizeof evil - 1);
  g_autoptr(EVP_PKEY) key = test_key_new ();
  CertSpec spec = { .raw_cn = raw_cn, .serial = 0x666, .many_dns = 400 };
  g_autoptr(X509) hostile = NULL;
  Run run;

  {
    g_autoptr(CradleDevice) device = find_and_open ();

    spec.key = spec.issuer_key = key;
    hostile = cert_spec_build (&spec);
    install (device, "CA", hostile, NULL);
    cradle_device_close (device);
  }

  run = cradlectl ("certs", "show", "666", NULL);
  g_assert_cmpint (run.status, ==, 0);
  /* Not one control byte or invalid UTF-8 reaches the terminal. */
  g_assert_true (g_utf8_validate (g_bytes_get_data (run.out, NULL), (gssize) g_bytes_get_size (run.out), NULL));
  for (gsize i = 0; i < g_bytes_get_size (run.out); i++)
    {
      guint8 c = ((const guint8 *) g_bytes_get_data (run.out, NULL))[i];

      g_assert_true (c == '\n' || c >= 0x20);
      g_assert_cmpuint (c, !=, 0x7f);
    }
  {
    g_autofree char *text = g_strndup (g_bytes_get_data (run.out, NULL), g_bytes_get_size (run.out));

    g_assert_nonnull (strstr (text, "CN = \\x1b]8;;http://evil.example\\x07click\\x1b]8;;\\x07\\u202e\\xff"));
    g_assert_nonnull (strstr (text, "(and 144 more, not shown)"));
    g_assert_null (strstr (text, "\xe2\x80\xae"));
  }
  run_clear (&run);
}

static void
test_export (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GBytes) expected = cert_der (f->leaf);
  g_autofree char *path = g_build_filename (f->home, "bob.cer", NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize size = 0;
  g_autoptr(GBytes) written = NULL;
  g_autoptr(BIO) bio = NULL;
  g_autoptr(X509) read_back = NULL;
  g_autoptr(GBytes) read_der = NULL;
  g_autoptr(EVP_PKEY) key = test_key_new ();
  CertSpec twin = { .subject_cn = "Twin Serial", .serial = 0x5eed };
  g_autoptr(X509) other = NULL;
  Run run;

  /* DER to a file: the device's bytes exactly. */
  run = cradlectl ("certs", "export", "5eed", "--der", "--output", path, NULL);
  g_assert_cmpint (run.status, ==, 0);
  run_clear (&run);
  g_assert_true (g_file_get_contents (path, &contents, &size, &error));
  g_assert_no_error (error);
  written = g_bytes_new_take (contents, size);
  g_assert_true (g_bytes_equal (written, expected));

  /* DER on standard output, untouched by the terminal sanitiser. */
  run = cradlectl ("certs", "export", "5eed", "--der", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_true (g_bytes_equal (run.out, expected));
  run_clear (&run);

  /* PEM on standard output, read back by OpenSSL to the same bytes. */
  run = cradlectl ("certs", "export", "5eed", NULL);
  g_assert_cmpint (run.status, ==, 0);
  bio = BIO_new_mem_buf (g_bytes_get_data (run.out, NULL), (int) g_bytes_get_size (run.out));
  read_back = PEM_read_bio_X509 (bio, NULL, NULL, NULL);
  g_assert_nonnull (read_back);
  read_der = cert_der (read_back);
  g_assert_true (g_bytes_equal (read_der, expected));
  run_clear (&run);

  /* Two certificates with that serial: refused, nothing written. */
  {
    g_autoptr(CradleDevice) device = find_and_open ();

    twin.key = twin.issuer_key = key;
    other = cert_spec_build (&twin);
    install (device, "CA", other, NULL);
    cradle_device_close (device);
  }
  g_assert_cmpint (g_unlink (path), ==, 0);
  run = cradlectl ("certs", "export", "5eed", "--output", path, "--json", NULL);
  g_assert_cmpint (run.status, ==, 7);
  g_assert_nonnull (strstr (run.err, "2 certificates on the device match 5eed"));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  {
    g_autoptr(JsonNode) report = parse_json (run.out);

    JsonObject *reported = json_object_get_object_member (json_node_get_object (report), "error");

    g_assert_nonnull (reported);
    g_assert_cmpint (json_object_get_int_member (reported, "exit_code"), ==, 7);
    g_assert_cmpstr (json_object_get_string_member (reported, "code"), ==, "invalid-data");
  }
  run_clear (&run);
}

static gboolean
listed (const char *sha256)
{
  Run run = cradlectl ("certs", "--json", NULL);
  g_autoptr(JsonNode) node = NULL;
  JsonArray *array;
  gboolean found = FALSE;

  g_assert_cmpint (run.status, ==, 0);
  node = parse_json (run.out);
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    if (g_str_equal (json_object_get_string_member (json_array_get_object_element (array, i), "sha256"), sha256))
      found = TRUE;
  run_clear (&run);
  return found;
}

static void
test_remove (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *root_sha256 = sha256_of (f->root);
  g_autofree char *leaf_sha256 = sha256_of (f->leaf);
  Run run;

  /* The device's user says no: exit 5, everything stays. */
  stop_agent (f);
  start_agent (f, "decline");
  run = cradlectl ("certs", "remove", "01", "--json", NULL);
  g_assert_cmpint (run.status, ==, 5);
  g_assert_nonnull (strstr (run.err, "CN = CLI Root"));
  run_clear (&run);
  run = cradlectl ("certs", "remove", "5eed", NULL);
  g_assert_cmpint (run.status, ==, 5);
  run_clear (&run);
  g_assert_true (listed (root_sha256));
  g_assert_true (listed (leaf_sha256));

  /* Yes: gone, and the key with it. */
  stop_agent (f);
  start_agent (f, "approve");
  run = cradlectl ("certs", "remove", "5eed", "--json", NULL);
  g_assert_cmpint (run.status, ==, 0);
  {
    g_autoptr(JsonNode) node = parse_json (run.out);
    JsonObject *object = json_node_get_object (node);

    g_assert_cmpstr (json_object_get_string_member (object, "removed"), ==, leaf_sha256);
    g_assert_true (json_object_get_boolean_member (object, "key_retired"));
  }
  run_clear (&run);
  g_assert_false (listed (leaf_sha256));
  run = cradlectl ("certs", "remove", "01", NULL);
  g_assert_cmpint (run.status, ==, 0);
  {
    g_autofree char *text = g_strndup (g_bytes_get_data (run.out, NULL), g_bytes_get_size (run.out));

    g_assert_nonnull (strstr (text, "Removed 'CN = CLI Root'"));
  }
  run_clear (&run);
  g_assert_false (listed (root_sha256));

  /* The journal has both removals. */
  run = cradlectl ("log", "--json", NULL);
  g_assert_cmpint (run.status, ==, 0);
  {
    g_autofree char *text = g_strndup (g_bytes_get_data (run.out, NULL), g_bytes_get_size (run.out));

    g_assert_nonnull (strstr (text, "\"remove\""));
    g_assert_nonnull (strstr (text, leaf_sha256));
    g_assert_nonnull (strstr (text, root_sha256));
  }
  run_clear (&run);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/cradlectl-certs/show", Fixture, NULL, fixture_set_up, test_show, fixture_tear_down);
  g_test_add ("/cradlectl-certs/hostile", Fixture, NULL, fixture_set_up, test_hostile, fixture_tear_down);
  g_test_add ("/cradlectl-certs/export", Fixture, NULL, fixture_set_up, test_export, fixture_tear_down);
  g_test_add ("/cradlectl-certs/remove", Fixture, NULL, fixture_set_up, test_remove, fixture_tear_down);
  return g_test_run ();
}
