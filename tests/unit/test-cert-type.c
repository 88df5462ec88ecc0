/* test-cert-type.c: administrators' certificate type files, read strictly,
 * every mistake reported with its file and line; the list, the lookups and
 * the connector a type makes */
#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "policy/cradle-cert-type-private.h"

#include "test-files.h"

static void
write_file (const char *folder,
            const char *name,
            const char *content)
{
  g_autofree char *path = g_build_filename (folder, name, NULL);
  g_autofree char *parent = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (parent, 0700), ==, 0);
  g_file_set_contents (path, content, -1, &error);
  g_assert_no_error (error);
}

static CradleCertTypeSettings *
parse (const char  *text,
       GError     **error)
{
  return cradle_cert_type_settings_parse ("/etc/cradle/types.d/t.conf", text, strlen (text), error);
}

static void
test_valid (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCertTypeSettings) settings = NULL;
  g_autoptr(CradleCertType) type = NULL;

  settings = parse ("# Wi-Fi for the phones\n"
                    "[Cradle Certificate Type]\n"
                    "Name=wifi\n"
                    "DisplayName = Wi-Fi (SCEP)\n"
                    "DisplayName[de]=WLAN\n"
                    "Protocol=scep\n"
                    "URL=http://scep.example.com/scep\n"
                    "KeyType=rsa3072\n"
                    "Subject=CN=Phone,O=Example\n"
                    "ChallengeFile=/etc/cradle/wifi.secret\n"
                    "CAFingerprint=00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
                    "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff\n"
                    "Timeout=12\n"
                    "RenewAt=75%\n",
                    &error);
  g_assert_no_error (error);
  type = cradle_cert_type_new_custom (settings, NULL);
  g_assert_cmpint (cradle_cert_type_get_kind (type), ==, CRADLE_CERT_TYPE_CUSTOM);
  g_assert_cmpstr (cradle_cert_type_get_name (type), ==, "wifi");
  g_assert_cmpstr (cradle_cert_type_get_display_name (type), ==, "Wi-Fi (SCEP)");
  g_assert_cmpint (cradle_cert_type_get_protocol (type), ==, CRADLE_CA_PROTOCOL_SCEP);
  g_assert_cmpstr (cradle_cert_type_get_url (type), ==, "http://scep.example.com/scep");
  g_assert_cmpstr (cradle_cert_type_get_key_type (type), ==, "rsa3072");
  g_assert_cmpstr (cradle_cert_type_get_subject (type), ==, "CN=Phone,O=Example");
  /* SCEP signs in with its challenge, not the desktop's credentials. */
  g_assert_cmpint (cradle_cert_type_get_auth (type), ==, CRADLE_CREDENTIALS_NONE);
  g_assert_cmpstr (cradle_cert_type_get_challenge_file (type), ==, "/etc/cradle/wifi.secret");
  g_assert_cmpuint (cradle_cert_type_get_timeout (type), ==, 12);
  g_assert_cmpuint (cradle_cert_type_get_renew_at (type), ==, 75);
  {
    static const guint8 pin[32] = {
      0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
      0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
    };
    GBytes *fingerprint = cradle_cert_type_get_ca_fingerprint (type);

    g_assert_nonnull (fingerprint);
    g_assert_cmpmem (g_bytes_get_data (fingerprint, NULL), g_bytes_get_size (fingerprint), pin, sizeof pin);
  }
  g_assert_false (cradle_cert_type_get_allow_plain_http (type));
  /* The challenge file does not exist: shown as not enrollable, with why. */
  g_assert_false (cradle_cert_type_is_enrollable (type));
  g_assert_nonnull (strstr (cradle_cert_type_get_reason (type), "/etc/cradle/wifi.secret"));
}

/* PivSlot= and Attestation=: the slot as the PIV rules name it, the policy
 * as its word says. */
static void
test_tokens (void)
{
  const struct {
    const char              *slot;
    const char              *expected_slot;
    const char              *attestation;
    CradleAttestationPolicy  expected_attestation;
  } cases[] = {
    { "9c", "9c", "require", CRADLE_ATTESTATION_REQUIRE },
    { "9D", "9d", "include", CRADLE_ATTESTATION_INCLUDE },
    { "82", "82", "check", CRADLE_ATTESTATION_CHECK },
    { "0x95", "95", "check", CRADLE_ATTESTATION_CHECK },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *text = g_strdup_printf ("[Cradle Certificate Type]\nName=piv\nProtocol=est\n"
                                               "URL=https://ca.example.com/.well-known/est\n"
                                               "PivSlot=%s\nAttestation=%s\n",
                                               cases[i].slot, cases[i].attestation);
      g_autoptr(CradleCertTypeSettings) settings = parse (text, &error);
      g_autoptr(CradleCertType) type = NULL;

      g_assert_no_error (error);
      type = cradle_cert_type_new_custom (settings, NULL);
      g_assert_cmpstr (cradle_cert_type_get_piv_slot (type), ==, cases[i].expected_slot);
      g_assert_cmpint (cradle_cert_type_get_attestation (type), ==, cases[i].expected_attestation);
      g_assert_cmpstr (cradle_attestation_policy_to_string (cradle_cert_type_get_attestation (type)), ==,
                       cases[i].attestation);
    }
}

static void
test_defaults (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCertTypeSettings) settings = NULL;
  g_autoptr(CradleCertType) type = NULL;
  g_autofree char *endpoint = NULL;

  settings = parse ("[Cradle Certificate Type]\nName=est\nProtocol=est\n"
                    "URL=https://ca.example.com/.well-known/est\nLabel=devices\n", &error);
  g_assert_no_error (error);
  type = cradle_cert_type_new_custom (settings, NULL);
  g_assert_cmpstr (cradle_cert_type_get_display_name (type), ==, "est");
  g_assert_cmpstr (cradle_cert_type_get_key_type (type), ==, "rsa2048");
  g_assert_cmpuint (cradle_cert_type_get_renew_at (type), ==, 0);
  g_assert_null (cradle_cert_type_get_piv_slot (type));
  g_assert_cmpint (cradle_cert_type_get_attestation (type), ==, CRADLE_ATTESTATION_CHECK);
  g_assert_cmpint (cradle_cert_type_get_auth (type), ==, CRADLE_CREDENTIALS_KERBEROS);
  g_assert_true (cradle_cert_type_is_enrollable (type));
  endpoint = cradle_cert_type_dup_endpoint (type);
  g_assert_cmpstr (endpoint, ==, "https://ca.example.com/.well-known/est/devices");
}

typedef struct {
  const char *text;
  const char *expected;   /* a part of the message, with the line */
} Malformed;

static const Malformed malformed[] = {
  { "[Cradle Certificate Type]\nName=x\nProtocl=scep\n", "t.conf:3: unknown key 'Protocl'" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=smtp\n", "t.conf:3: Protocol 'smtp' is not one of" },
  { "[Cradle Certificate Type]\nProtocol=est\nURL=https://h/est\n", "t.conf: Name is missing" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=est\n", "URL is missing" },
  { "[Cradle Certificate Type]\nName=x\nName=y\n", "t.conf:3: Name is set twice" },
  { "[Cradle Certificate Type]\nName=x\njust words\n", "t.conf:3: 'just words' is not Key=value" },
  { "Name=x\n", "t.conf:1: 'Name=x' comes before the [Cradle Certificate Type] group" },
  { "[Other]\nName=x\n", "t.conf:1: unknown group [Other]" },
  { "[Cradle Certificate Type\nName=x\n", "t.conf:1: '[Cradle Certificate Type' is not a group header" },
  { "# nothing\n", "no [Cradle Certificate Type] group" },
  { "[Cradle Certificate Type]\nName=a b\n", "t.conf:2: Name 'a b' may hold only" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=est\nURL=ftp://h/est\n", "t.conf:4: URL 'ftp://h/est' is not" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=est\nURL=https://u:secret@h/est\n",
    "t.conf:4: URL must not carry a user name or password" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=est\nURL=http://h/est\n",
    "http://h/est is plain http://; use https://, or write AllowPlainHttp=true" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=est\nURL=http://h/est\nAllowPlainHttp=true\nAuth=password\n",
    "would send the password in clear" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=est\nURL=http://h/est\nAllowPlainHttp=true\n",
    "Auth=kerberos (the default) with the plain http:// URL http://h/est would sign in without TLS" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=est\nURL=http://h/est\nAllowPlainHttp=true\nAuth=kerberos\n",
    "Cradle signs in with Kerberos only over https://" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=est\nURL=https://h/est\nAllowPlainHttp=yes\n",
    "t.conf:5: AllowPlainHttp must be true or false" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=scep\nURL=http://h/scep\nKeyType=p256\n",
    "KeyType p256 cannot be used with SCEP" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=est\nURL=https://h/est\nKeyType=rsa1024\n",
    "t.conf:5: KeyType 'rsa1024' is not one of" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=certsrv\nURL=https://h/certsrv\n",
    "Template is missing: an AD CS CA (certsrv) issues only for a template" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=certsrv\nURL=https://h/certsrv\nTemplate=T\nLabel=l\n",
    "Label is for Protocol=est only" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=est\nURL=https://h/est\nChallengeFile=/s\n",
    "ChallengeFile is for Protocol=scep only" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=scep\nURL=http://h/scep\nChallengeFile=secret.txt\n",
    "t.conf:5: ChallengeFile 'secret.txt' must be an absolute path" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=est\nURL=https://h/est\nTimeout=0\n",
    "t.conf:5: Timeout '0' is not a number of seconds from 1 to 600" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=est\nURL=https://h/est\nTimeout=12abc\n",
    "t.conf:5: Timeout '12abc'" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=est\nURL=https://h/est\nRenewAt=100\n",
    "t.conf:5: RenewAt '100' is not a share of the lifetime from 1 to 99 percent" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=est\nURL=https://h/est\nRenewAt=0%\n",
    "t.conf:5: RenewAt '0%'" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=est\nURL=https://h/est\nRenewAt=80%%\n",
    "t.conf:5: RenewAt '80%%'" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=est\nURL=https://h/est\nAuth=ntlm\n",
    "t.conf:5: Auth 'ntlm' is not one of kerberos, password, none" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=scep\nURL=http://h/scep\nAuth=password\n",
    "Auth=password cannot be used with SCEP" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=est\nURL=https://h/est\nLabel=a/b\n",
    "t.conf:5: Label 'a/b' must be one path segment" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=est\nPolicyURL=https://h/cep\nURL=https://h/est\n",
    "PolicyURL is for Protocol=wstep only" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=est\nURL=https://h/est\n"
    "CAFingerprint=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n",
    "CAFingerprint is for Protocol=scep only" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=scep\nURL=http://h/scep\nCAFingerprint=00:11:22\n",
    "t.conf:5: CAFingerprint '00:11:22' is not a SHA-256 fingerprint" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=scep\nURL=http://h/scep\n"
    "CAFingerprint=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00\n",
    "t.conf:5: CAFingerprint" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=scep\nURL=http://h/scep\n"
    "CAFingerprint=g0112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n",
    "t.conf:5: CAFingerprint" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=scep\nURL=http://h/scep\n"
    "CAFingerprint=00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:\n",
    "t.conf:5: CAFingerprint" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=scep\nURL=http://h/scep\n"
    "CAFingerprint=00::11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE\n",
    "t.conf:5: CAFingerprint" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=scep\nURL=http://h/scep\nCAFingerprint=SHA256:abc\n",
    "t.conf:5: CAFingerprint" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=est\nURL=https://h/est\nPivSlot=f9\n",
    "t.conf:5: PivSlot 'f9' is not a PIV key slot: 9a (authentication)" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=est\nURL=https://h/est\nPivSlot=9b\n",
    "t.conf:5: PivSlot '9b' is not a PIV key slot" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=est\nURL=https://h/est\nPivSlot=authentication\n",
    "t.conf:5: PivSlot 'authentication'" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=est\nURL=https://h/est\nAttestation=yes\n",
    "t.conf:5: Attestation 'yes' is not one of check, require, include" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=est\nURL=https://h/est\nAttestation=Require\n",
    "t.conf:5: Attestation 'Require'" },
  { "[Cradle Certificate Type]\nName=x\nProtocol=est\nURL=https://h/est\nPivSlot=9a\nPivSlot=9c\n",
    "t.conf:6: PivSlot is set twice" },
  { "[Cradle Certificate Type]\n[Cradle Certificate Type]\n", "t.conf:2: the group [Cradle Certificate Type] appears twice" },
  { "[Cradle Certificate Type]\nName=\xff\n", "the file is not UTF-8 text" },
};

static void
test_malformed (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (malformed); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(CradleCertTypeSettings) settings = parse (malformed[i].text, &error);

      g_test_message ("case %" G_GSIZE_FORMAT ": %s", i, error != NULL ? error->message : "(accepted)");
      g_assert_null (settings);
      g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
      g_assert_nonnull (strstr (error->message, malformed[i].expected));
      g_assert_true (g_str_has_prefix (error->message, "/etc/cradle/types.d/t.conf"));
    }
}

/* A file with a NUL byte, and one too large, fail without being parsed. */
static void
test_binary_and_large (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCertTypeSettings) settings = NULL;
  g_autofree char *large = g_strnfill (CRADLE_CERT_TYPE_MAX_FILE_SIZE + 1, '#');
  const char binary[] = "[Cradle Certificate Type]\nName=x\0\n";

  settings = cradle_cert_type_settings_parse ("b.conf", binary, sizeof binary - 1, &error);
  g_assert_null (settings);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  settings = cradle_cert_type_settings_parse ("l.conf", large, strlen (large), &error);
  g_assert_null (settings);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "larger than"));
}

/* The administrator's types and the user's, the user's winning by name;
 * a broken file is a problem with its file and line, the others still load. */
static void
test_list (TestFolders   *folders,
           gconstpointer  data)
{
  g_autoptr(GPtrArray) types = NULL;
  g_auto(GStrv) problems = NULL;
  CradleCertType *type;

  write_file (folders->system, "types.d/b-wifi.conf",
              "[Cradle Certificate Type]\nName=wifi\nProtocol=scep\nURL=http://admin/scep\n");
  write_file (folders->system, "types.d/a-vpn.conf",
              "[Cradle Certificate Type]\nName=vpn\nProtocol=est\nURL=https://est/.well-known/est\n");
  write_file (folders->user, "types.d/wifi.conf",
              "[Cradle Certificate Type]\nName=WiFi\nProtocol=scep\nURL=http://mine/scep\n");
  write_file (folders->user, "types.d/broken.conf",
              "[Cradle Certificate Type]\nName=broken\nProtocol=gopher\n");
  write_file (folders->user, "types.d/ignored.txt", "not a type");

  types = cradle_cert_type_list (NULL, CRADLE_CREDENTIALS_KERBEROS, &problems);
  g_assert_cmpuint (types->len, ==, 2);
  g_assert_cmpstr (cradle_cert_type_get_name (g_ptr_array_index (types, 0)), ==, "vpn");
  type = cradle_cert_type_find (types, "wifi");
  g_assert_nonnull (type);
  g_assert_cmpstr (cradle_cert_type_get_url (type), ==, "http://mine/scep");
  g_assert_cmpuint (g_strv_length (problems), ==, 1);
  g_assert_nonnull (strstr (problems[0], "broken.conf:3: Protocol 'gopher'"));
  g_assert_null (cradle_cert_type_find (types, "broken"));

  /* How a stored request finds the type it was made with. */
  g_assert_true (cradle_cert_type_find_for_endpoint (types, "scep", "http://mine/scep", NULL) == type);
  g_assert_true (cradle_cert_type_find_for_endpoint (types, "est", "https://est/.well-known/est", NULL) ==
                 cradle_cert_type_find (types, "vpn"));
  g_assert_null (cradle_cert_type_find_for_endpoint (types, "est", "http://mine/scep", NULL));
  g_assert_null (cradle_cert_type_find_for_endpoint (types, "smtp", "http://mine/scep", NULL));
}

static void
test_default_anchors (TestFolders   *folders,
                      gconstpointer  data)
{
  g_autoptr(GPtrArray) types = NULL;
  CradleCertType *type;

  write_file (folders->system, "cradle.conf", "[Enrollment]\nTrustAnchors=/etc/cradle/corp-root.pem\n");
  write_file (folders->system, "types.d/a.conf",
              "[Cradle Certificate Type]\nName=a\nProtocol=est\nURL=https://h/est\n");
  write_file (folders->system, "types.d/b.conf",
              "[Cradle Certificate Type]\nName=b\nProtocol=est\nURL=https://h/est\nTrustAnchors=/etc/b.pem\n");
  types = cradle_cert_type_list (NULL, CRADLE_CREDENTIALS_KERBEROS, NULL);
  type = cradle_cert_type_find (types, "a");
  g_assert_cmpstr (cradle_cert_type_get_trust_anchors (type), ==, "/etc/cradle/corp-root.pem");
  type = cradle_cert_type_find (types, "b");
  g_assert_cmpstr (cradle_cert_type_get_trust_anchors (type), ==, "/etc/b.pem");

  /* The user's cradle.conf wins. */
  write_file (folders->user, "cradle.conf", "[Enrollment]\nTrustAnchors=/home/me/root.pem\n");
  g_clear_pointer (&types, g_ptr_array_unref);
  types = cradle_cert_type_list (NULL, CRADLE_CREDENTIALS_KERBEROS, NULL);
  g_assert_cmpstr (cradle_cert_type_get_trust_anchors (cradle_cert_type_find (types, "a")), ==,
                   "/home/me/root.pem");
}

static void
test_connector (TestFolders   *folders,
                gconstpointer  data)
{
  struct {
    const char      *text;
    CradleCaProtocol protocol;
    const char      *url;
  } cases[] = {
    { "Protocol=certsrv\nURL=https://ca/certsrv\nTemplate=T\n", CRADLE_CA_PROTOCOL_CERTSRV, "https://ca/certsrv" },
    { "Protocol=wstep\nURL=https://ca/CES\nTemplate=T\n", CRADLE_CA_PROTOCOL_WSTEP, "https://ca/CES" },
    { "Protocol=scep\nURL=http://ca/scep\n", CRADLE_CA_PROTOCOL_SCEP, "http://ca/scep" },
    { "Protocol=est\nURL=https://ca/.well-known/est\nLabel=dev\n", CRADLE_CA_PROTOCOL_EST,
      "https://ca/.well-known/est/dev" },
  };
  g_autoptr(CradleCredentials) kerberos = cradle_credentials_new_kerberos (NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = g_strdup_printf ("[Cradle Certificate Type]\nName=t%" G_GSIZE_FORMAT "\n%s", i,
                                               cases[i].text);
      g_autoptr(GError) error = NULL;
      g_autoptr(CradleCertTypeSettings) settings = parse (text, &error);
      g_autoptr(CradleCertType) type = NULL;
      g_autoptr(CradleCaConnector) connector = NULL;
      g_autofree char *endpoint = NULL;

      g_assert_no_error (error);
      type = cradle_cert_type_new_custom (settings, NULL);
      connector = cradle_cert_type_create_connector (type, kerberos, &error);
      g_assert_no_error (error);
      g_assert_cmpint (cradle_ca_connector_get_protocol (connector), ==, cases[i].protocol);
      g_assert_cmpstr (cradle_ca_connector_get_url (connector), ==, cases[i].url);
      /* What the pending store records is what finds the type again. */
      endpoint = cradle_cert_type_dup_endpoint (type);
      g_assert_cmpstr (endpoint, ==, cases[i].url);
    }

  /* A type that signs in with a password needs one. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(CradleCertTypeSettings) settings =
      parse ("[Cradle Certificate Type]\nName=p\nProtocol=est\nURL=https://ca/est\nAuth=password\n", &error);
    g_autoptr(CradleCertType) type = cradle_cert_type_new_custom (settings, NULL);
    g_autoptr(CradleCaConnector) connector = cradle_cert_type_create_connector (type, kerberos, &error);
    g_autoptr(CradleCredentials) password = cradle_credentials_new_password ("alice", "secret");

    g_assert_null (connector);
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED);
    g_assert_null (strstr (error->message, "secret"));
    g_clear_error (&error);
    connector = cradle_cert_type_create_connector (type, password, &error);
    g_assert_no_error (error);
    g_assert_nonnull (connector);
  }
}

static void
test_credentials (void)
{
  g_autoptr(CradleCredentials) kerberos = cradle_credentials_new_kerberos ("FILE:/tmp/cc");
  g_autoptr(CradleCredentials) password = cradle_credentials_new_password ("alice", "s3cret");
  g_autoptr(CradleCredentials) none = cradle_credentials_new_none ();
  CradleCredentialsKind kind;

  g_assert_cmpint (cradle_credentials_get_kind (kerberos), ==, CRADLE_CREDENTIALS_KERBEROS);
  g_assert_cmpstr (cradle_credentials_get_ccache_name (kerberos), ==, "FILE:/tmp/cc");
  g_assert_cmpint (cradle_credentials_get_kind (password), ==, CRADLE_CREDENTIALS_PASSWORD);
  g_assert_cmpstr (cradle_credentials_get_user (password), ==, "alice");
  g_assert_cmpint (cradle_credentials_get_kind (none), ==, CRADLE_CREDENTIALS_NONE);
  g_assert_true (cradle_credentials_kind_from_string ("Password", &kind));
  g_assert_cmpint (kind, ==, CRADLE_CREDENTIALS_PASSWORD);
  g_assert_false (cradle_credentials_kind_from_string ("ntlm", &kind));
  g_assert_cmpstr (cradle_credentials_kind_to_string (CRADLE_CREDENTIALS_NONE), ==, "none");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cert-type/file/valid", test_valid);
  g_test_add_func ("/cert-type/file/defaults", test_defaults);
  g_test_add_func ("/cert-type/file/tokens", test_tokens);
  g_test_add_func ("/cert-type/file/malformed", test_malformed);
  g_test_add_func ("/cert-type/file/binary-and-large", test_binary_and_large);
  g_test_add ("/cert-type/list", TestFolders, NULL, test_folders_set_up, test_list, test_folders_tear_down);
  g_test_add ("/cert-type/default-trust-anchors", TestFolders, NULL, test_folders_set_up, test_default_anchors,
              test_folders_tear_down);
  g_test_add ("/cert-type/connector", TestFolders, NULL, test_folders_set_up, test_connector, test_folders_tear_down);
  g_test_add_func ("/cert-type/credentials", test_credentials);
  return g_test_run ();
}
