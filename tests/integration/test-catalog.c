/* test-catalog.c: discovery, enroll rights and request policy against the lab
 *
 * Every lab template, as alice (in Mobile Device Users, with mail) and as
 * bob (in neither): whether each may enroll and why not, the key and
 * subject the request policy chooses, and the CertificationRequestInfo it
 * builds, checked after a signature with a key the test holds (the device's
 * role) and OpenSSL's own parsing.
 */
#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <cradle/cradle.h>

#include "catalog/cradle-catalog-private.h"
#include "csr/cradle-csr-private.h"
#include "base/cradle-openssl-private.h"
#include "lab-fixture.h"

typedef struct {
  const char          *template;
  CradleEnrollability  alice;
  CradleEnrollability  bob;
  const char          *key_algorithm;
  guint                key_size;
  const char          *device_key_type;
  CradleSubjectMode    subject_mode;
  const char          *bob_reason;     /* words bob's reason must hold */
} Expected;

static const Expected expected[] = {
  { "CradleDeviceApproval", CRADLE_ENROLLABILITY_NEEDS_APPROVAL, CRADLE_ENROLLABILITY_NEEDS_APPROVAL,
    "RSA", 2048, "rsa2048", CRADLE_SUBJECT_FROM_DIRECTORY, "administrator approves" },
  { "CradleDeviceECC", CRADLE_ENROLLABILITY_ENROLLABLE, CRADLE_ENROLLABILITY_ENROLLABLE,
    "EC", 256, "p256", CRADLE_SUBJECT_FROM_DIRECTORY, "You may enroll" },
  { "CradleDeviceRestricted", CRADLE_ENROLLABILITY_ENROLLABLE, CRADLE_ENROLLABILITY_NOT_PERMITTED,
    "RSA", 2048, "rsa2048", CRADLE_SUBJECT_FROM_DIRECTORY, "Mobile Device Users" },
  { "CradleDeviceSuppliedSubject", CRADLE_ENROLLABILITY_ENROLLABLE, CRADLE_ENROLLABILITY_ENROLLABLE,
    "RSA", 3072, "rsa3072", CRADLE_SUBJECT_SUPPLIED, "You may enroll" },
  { "CradleDeviceUnpublished", CRADLE_ENROLLABILITY_NOT_PUBLISHED, CRADLE_ENROLLABILITY_NOT_PUBLISHED,
    "RSA", 2048, "rsa2048", CRADLE_SUBJECT_FROM_DIRECTORY, "publish the template" },
  { "CradleDeviceUPN", CRADLE_ENROLLABILITY_ENROLLABLE, CRADLE_ENROLLABILITY_ENROLLABLE,
    "RSA", 2048, "rsa2048", CRADLE_SUBJECT_FROM_DIRECTORY, "You may enroll" },
  { "CradleExpiresSoon", CRADLE_ENROLLABILITY_ENROLLABLE, CRADLE_ENROLLABILITY_ENROLLABLE,
    "RSA", 2048, "rsa2048", CRADLE_SUBJECT_FROM_DIRECTORY, "You may enroll" },
  { "CradleShortLived", CRADLE_ENROLLABILITY_ENROLLABLE, CRADLE_ENROLLABILITY_ENROLLABLE,
    "RSA", 2048, "rsa2048", CRADLE_SUBJECT_FROM_DIRECTORY, "You may enroll" },
  { "CradleShortLivedSameKey", CRADLE_ENROLLABILITY_ENROLLABLE, CRADLE_ENROLLABILITY_ENROLLABLE,
    "RSA", 2048, "rsa2048", CRADLE_SUBJECT_FROM_DIRECTORY, "You may enroll" },
  { "ExchangeUser", CRADLE_ENROLLABILITY_ENROLLABLE, CRADLE_ENROLLABILITY_ENROLLABLE,
    "RSA", 2048, "rsa2048", CRADLE_SUBJECT_SUPPLIED, "You may enroll" },
  { "User", CRADLE_ENROLLABILITY_ENROLLABLE, CRADLE_ENROLLABILITY_MISSING_ATTRIBUTE,
    "RSA", 2048, "rsa2048", CRADLE_SUBJECT_FROM_DIRECTORY, "e-mail address" },
};

typedef CradleLabFixture Fixture;

static gboolean
skip_without_lab (Fixture *fixture)
{
  if (fixture->lab != NULL)
    return FALSE;
  g_test_skip (cradle_test_lab_skip_reason ());
  return TRUE;
}

static CradleCatalog *
load_as (Fixture    *fixture,
         const char *user)
{
  g_autoptr(CradleDirectory) directory = cradle_lab_fixture_open_as (fixture, user);
  g_autoptr(CradleCatalog) catalog = NULL;
  g_autoptr(GError) error = NULL;

  catalog = cradle_catalog_load (directory, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (catalog);
  return g_steal_pointer (&catalog);
}

static JsonObject *
manifest_template (Fixture    *fixture,
                   const char *cn)
{
  JsonArray *templates = json_object_get_array_member (fixture->manifest, "templates");

  for (guint i = 0; i < json_array_get_length (templates); i++)
    {
      JsonObject *template = json_array_get_object_element (templates, i);

      if (g_str_equal (json_object_get_string_member (template, "cn"), cn))
        return template;
    }
  g_assert_not_reached ();
}

/* What the directory holds, as the lab says it loaded it. */
static void
test_discovery (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(CradleCatalog) catalog = NULL;
  GPtrArray *templates;
  GPtrArray *services;
  CradleEnrollmentService *service;
  JsonObject *lab_service;

  if (skip_without_lab (fixture))
    return;
  catalog = load_as (fixture, "alice");
  g_assert_cmpuint (g_strv_length ((char **) cradle_catalog_get_problems (catalog)), ==, 0);

  templates = cradle_catalog_get_templates (catalog);
  g_assert_cmpuint (templates->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < templates->len; i++)
    {
      CradleTemplate *template = g_ptr_array_index (templates, i);
      JsonObject *lab_template = manifest_template (fixture, cradle_template_get_name (template));

      g_assert_cmpstr (cradle_template_get_name (template), ==, expected[i].template);
      g_assert_cmpstr (cradle_template_get_display_name (template), ==,
                       json_object_get_string_member (lab_template, "displayName"));
      g_assert_cmpstr (cradle_template_get_oid (template), ==, json_object_get_string_member (lab_template, "oid"));
      g_assert_cmpuint (cradle_template_get_schema_version (template), ==,
                        json_object_get_int_member (lab_template, "schemaVersion"));
      g_assert_cmpuint (cradle_template_get_major_revision (template), ==,
                        json_object_get_int_member (lab_template, "revision"));
      g_assert_cmpuint (cradle_template_get_minor_revision (template), ==,
                        json_object_get_int_member (lab_template, "minorRevision"));
      g_assert_cmpuint (cradle_template_get_name_flags (template), ==,
                        (guint32) json_object_get_int_member (lab_template, "certificateNameFlag"));
      g_assert_cmpuint (cradle_template_get_minimal_key_size (template), ==,
                        json_object_get_int_member (lab_template, "minimalKeySize"));
      g_assert_cmpuint (g_strv_length ((char **) cradle_template_get_extended_key_usages (template)), ==,
                        json_array_get_length (json_object_get_array_member (lab_template, "extendedKeyUsage")));
      /* A year, renewable in the last six weeks; the short-lived ones
       * ten minutes, renewable in the last four; CradleExpiresSoon one
       * minute, renewable from the start. */
      g_assert_cmpuint (cradle_template_get_validity_seconds (template), ==,
                        json_object_get_int_member (lab_template, "validitySeconds"));
      g_assert_cmpuint (cradle_template_get_renewal_seconds (template), ==,
                        json_object_get_int_member (lab_template, "overlapSeconds"));
      if (g_str_equal (expected[i].template, "CradleExpiresSoon"))
        {
          g_assert_cmpuint (cradle_template_get_validity_seconds (template), ==, 60);
          g_assert_cmpuint (cradle_template_get_renewal_seconds (template), ==, 60);
        }
      else
        {
          gboolean short_lived = g_str_has_prefix (expected[i].template, "CradleShortLived");

          g_assert_cmpuint (cradle_template_get_validity_seconds (template), ==,
                            short_lived ? 600 : 365 * 24 * 3600);
          g_assert_cmpuint (cradle_template_get_renewal_seconds (template), ==,
                            short_lived ? 240 : 42 * 24 * 3600);
        }
    }
  g_assert_cmpstr (cradle_template_get_cng_algorithm (cradle_catalog_find_template (catalog, "CradleDeviceECC")),
                   ==, "ECDSA_P256");
  g_assert_cmpstr (cradle_template_get_cng_hash (cradle_catalog_find_template (catalog, "cradledeviceecc")),
                   ==, "SHA256");
  g_assert_cmpuint (cradle_template_get_key_usage (cradle_catalog_find_template (catalog, "User")), ==, 0xa0);

  services = cradle_catalog_get_services (catalog);
  lab_service = json_object_get_object_member (fixture->manifest, "enrollment_service");
  g_assert_cmpuint (services->len, ==, 1);
  service = g_ptr_array_index (services, 0);
  g_assert_cmpstr (cradle_enrollment_service_get_name (service), ==,
                   json_object_get_string_member (lab_service, "cn"));
  g_assert_cmpstr (cradle_enrollment_service_get_host (service), ==,
                   json_object_get_string_member (lab_service, "dNSHostName"));
  g_assert_nonnull (cradle_enrollment_service_get_certificate (service));
  g_assert_cmpuint (g_strv_length ((char **) cradle_enrollment_service_get_template_names (service)), ==,
                    json_array_get_length (json_object_get_array_member (lab_service, "certificateTemplates")));
  /* Kerberos at priority 1 first, then the password endpoint. */
  g_assert_cmpuint (cradle_enrollment_service_get_n_endpoints (service), ==, 2);
  g_assert_cmpuint (cradle_enrollment_service_get_endpoint_auth (service, 0), ==, CRADLE_ENDPOINT_AUTH_KERBEROS);
  g_assert_cmpuint (cradle_enrollment_service_get_endpoint_priority (service, 0), ==, 1);
  g_assert_cmpstr (cradle_enrollment_service_get_endpoint_uri (service, 0), ==,
                   cradle_test_lab_env (fixture->lab, "CRADLE_LAB_CES_KERBEROS_URL"));
  g_assert_cmpuint (cradle_enrollment_service_get_endpoint_auth (service, 1), ==, CRADLE_ENDPOINT_AUTH_PASSWORD);
  g_assert_cmpstr (cradle_enrollment_service_get_endpoint_uri (service, 1), ==,
                   cradle_test_lab_env (fixture->lab, "CRADLE_LAB_CES_PASSWORD_URL"));

  /* The issuing CA is in NTAuth; root and issuing are in AIA. */
  g_assert_cmpuint (cradle_catalog_get_ntauth_certificates (catalog)->len, >=, 1);
  g_assert_cmpuint (cradle_catalog_get_aia_certificates (catalog)->len, >=, 1);

  /* The directory's roots: the lab's root, from Certification Authorities
   * (the issuing CA in NTAuth is no root). */
  {
    g_autoptr(GPtrArray) roots = cradle_catalog_dup_directory_roots (catalog);

    g_assert_cmpuint (roots->len, ==, 1);
    g_assert_nonnull (strstr (cradle_certificate_get_subject (g_ptr_array_index (roots, 0)), "Corp Lab Root CA"));
  }
}

static void
check_enrollability (Fixture    *fixture,
                     const char *user,
                     gboolean    is_alice)
{
  g_autoptr(CradleCatalog) catalog = load_as (fixture, user);

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      CradleTemplate *template = cradle_catalog_find_template (catalog, expected[i].template);
      g_autofree char *reason = NULL;
      g_autoptr(GPtrArray) services = NULL;
      CradleEnrollability enrollability;

      g_assert_nonnull (template);
      enrollability = cradle_catalog_check (catalog, template, &reason);
      g_test_message ("%s as %s: %s", expected[i].template, user, reason);
      g_assert_cmpint (enrollability, ==, is_alice ? expected[i].alice : expected[i].bob);
      g_assert_nonnull (reason);
      if (!is_alice)
        g_assert_nonnull (strstr (reason, expected[i].bob_reason));
      services = cradle_catalog_dup_services_for (catalog, template);
      g_assert_cmpuint (services->len, ==, expected[i].alice == CRADLE_ENROLLABILITY_NOT_PUBLISHED ? 0 : 1);
    }
}

static void
test_enrollability_alice (Fixture       *fixture,
                          gconstpointer  data)
{
  if (skip_without_lab (fixture))
    return;
  check_enrollability (fixture, "alice", TRUE);
}

static void
test_enrollability_bob (Fixture       *fixture,
                        gconstpointer  data)
{
  if (skip_without_lab (fixture))
    return;
  check_enrollability (fixture, "bob", FALSE);
}

/* The device's part, played by the test: a key of the asked type. */
static EVP_PKEY *
make_key (const char *device_key_type)
{
  if (g_str_has_prefix (device_key_type, "rsa"))
    return EVP_PKEY_Q_keygen (NULL, NULL, "RSA", (size_t) g_ascii_strtoull (device_key_type + 3, NULL, 10));
  return EVP_PKEY_Q_keygen (NULL, NULL, "EC", g_str_equal (device_key_type, "p256") ? "P-256" : "P-384");
}

static GBytes *
public_key_info (EVP_PKEY *key)
{
  unsigned char *der = NULL;
  int size = i2d_PUBKEY (key, &der);
  GBytes *bytes;

  g_assert_cmpint (size, >, 0);
  bytes = g_bytes_new (der, (gsize) size);
  OPENSSL_free (der);
  return bytes;
}

static GBytes *
device_sign (EVP_PKEY   *key,
             GBytes     *request_info,
             const char *digest)
{
  g_autoptr(EVP_MD_CTX) context = EVP_MD_CTX_new ();
  gsize size = 0;
  guint8 *signature;

  g_assert_cmpint (EVP_DigestSignInit_ex (context, NULL, digest, NULL, NULL, key, NULL), ==, 1);
  g_assert_cmpint (EVP_DigestSign (context, NULL, &size, g_bytes_get_data (request_info, NULL),
                                   g_bytes_get_size (request_info)), ==, 1);
  signature = g_malloc (size);
  g_assert_cmpint (EVP_DigestSign (context, signature, &size, g_bytes_get_data (request_info, NULL),
                                   g_bytes_get_size (request_info)), ==, 1);
  return g_bytes_new_take (signature, size);
}

static X509_EXTENSION *
find_extension (STACK_OF (X509_EXTENSION) *extensions,
                const char                *oid)
{
  g_autoptr(ASN1_OBJECT) wanted = OBJ_txt2obj (oid, 1);

  for (int i = 0; i < sk_X509_EXTENSION_num (extensions); i++)
    {
      X509_EXTENSION *extension = sk_X509_EXTENSION_value (extensions, i);

      if (OBJ_cmp (X509_EXTENSION_get_object (extension), wanted) == 0)
        return extension;
    }
  return NULL;
}

/* Version 1: the template's cn as a bare BMPString; later: its OID and
 * versions (MS-WCCE 2.2.2.7.7). */
static void
check_template_extension (STACK_OF (X509_EXTENSION) *extensions,
                          JsonObject                *lab_template)
{
  X509_EXTENSION *name = find_extension (extensions, "1.3.6.1.4.1.311.20.2");
  X509_EXTENSION *template = find_extension (extensions, "1.3.6.1.4.1.311.21.7");

  if (json_object_get_int_member (lab_template, "schemaVersion") == 1)
    {
      const char *cn = json_object_get_string_member (lab_template, "cn");
      ASN1_OCTET_STRING *value;
      const unsigned char *cursor;
      g_autoptr(ASN1_TYPE) decoded = NULL;
      g_autofree char *text = NULL;

      g_assert_nonnull (name);
      g_assert_null (template);
      value = X509_EXTENSION_get_data (name);
      cursor = ASN1_STRING_get0_data (value);
      decoded = d2i_ASN1_TYPE (NULL, &cursor, ASN1_STRING_length (value));
      g_assert_nonnull (decoded);
      g_assert_cmpint (ASN1_TYPE_get (decoded), ==, V_ASN1_BMPSTRING);
      text = g_convert ((const char *) ASN1_STRING_get0_data (decoded->value.bmpstring),
                        ASN1_STRING_length (decoded->value.bmpstring), "UTF-8", "UTF-16BE", NULL, NULL, NULL);
      g_assert_cmpstr (text, ==, cn);
    }
  else
    {
      ASN1_OCTET_STRING *value;
      g_autofree char *expected_oid = g_strdup (json_object_get_string_member (lab_template, "oid"));
      g_autoptr(ASN1_OBJECT) oid = OBJ_txt2obj (expected_oid, 1);
      unsigned char *oid_der = NULL;
      int oid_size = i2d_ASN1_OBJECT (oid, &oid_der);

      g_assert_null (name);
      g_assert_nonnull (template);
      value = X509_EXTENSION_get_data (template);
      /* SEQUENCE { OID, INTEGER major, INTEGER minor }: the OID's DER is in it. */
      g_assert_nonnull (memmem (ASN1_STRING_get0_data (value), (gsize) ASN1_STRING_length (value),
                                oid_der, (gsize) oid_size));
      OPENSSL_free (oid_der);
    }
}

static void
check_request (Fixture             *fixture,
               CradleRequestPolicy *policy,
               CradleDirectoryUser *user,
               const Expected      *want)
{
  g_autoptr(EVP_PKEY) key = make_key (want->device_key_type);
  g_autoptr(GBytes) spki = public_key_info (key);
  g_autoptr(GBytes) info = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GBytes) request = NULL;
  g_autoptr(X509_REQ) parsed = NULL;
  g_autoptr(GError) error = NULL;
  STACK_OF (X509_EXTENSION) *extensions;
  g_autofree char *algorithm = NULL;
  const unsigned char *cursor;

  info = cradle_request_policy_build_request_info (policy, spki, &error);
  g_assert_no_error (error);
  signature = device_sign (key, info, "SHA256");
  algorithm = g_str_equal (want->key_algorithm, "EC") ? g_strdup ("ecdsa-with-SHA256")
                                                      : g_strdup ("sha256WithRSAEncryption");
  request = cradle_csr_assemble (info, algorithm, signature, &error);
  g_assert_no_error (error);

  cursor = g_bytes_get_data (request, NULL);
  parsed = d2i_X509_REQ (NULL, &cursor, (long) g_bytes_get_size (request));
  g_assert_nonnull (parsed);
  g_assert_cmpint (X509_REQ_verify (parsed, key), ==, 1);

  /* MS-WCCE: an empty subject unless the enrollee supplies it. */
  if (want->subject_mode == CRADLE_SUBJECT_FROM_DIRECTORY)
    g_assert_cmpint (X509_NAME_entry_count (X509_REQ_get_subject_name (parsed)), ==, 0);
  else
    {
      g_autofree char *expected_cn = g_strdup (cradle_directory_user_get_common_name (user));
      char cn[256] = "";

      X509_NAME_get_text_by_NID (X509_REQ_get_subject_name (parsed), NID_commonName, cn, sizeof cn);
      g_assert_cmpstr (cn, ==, expected_cn);
    }

  extensions = X509_REQ_get_extensions (parsed);
  g_assert_nonnull (extensions);
  check_template_extension (extensions, manifest_template (fixture, want->template));
  g_assert_nonnull (find_extension (extensions, "2.5.29.15"));
  /* Supplied names carry the UPN the directory vouches for. */
  g_assert_true ((find_extension (extensions, "2.5.29.17") != NULL) ==
                 (want->subject_mode == CRADLE_SUBJECT_SUPPLIED));
  sk_X509_EXTENSION_pop_free (extensions, X509_EXTENSION_free);
}

static void
test_request_policy (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(CradleCatalog) catalog = NULL;
  CradleDirectoryUser *user;

  if (skip_without_lab (fixture))
    return;
  catalog = load_as (fixture, "alice");
  user = cradle_catalog_get_user (catalog);

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      CradleTemplate *template = cradle_catalog_find_template (catalog, expected[i].template);
      g_autoptr(CradleRequestPolicy) policy = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *attributes = g_strdup_printf ("CertificateTemplate:%s", expected[i].template);

      policy = cradle_request_policy_new (template, user, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (cradle_request_policy_get_key_algorithm (policy), ==, expected[i].key_algorithm);
      g_assert_cmpuint (cradle_request_policy_get_key_size (policy), ==, expected[i].key_size);
      g_assert_cmpstr (cradle_request_policy_get_device_key_type (policy), ==, expected[i].device_key_type);
      g_assert_cmpstr (cradle_request_policy_get_digest (policy), ==, "sha256");
      g_assert_cmpint (cradle_request_policy_get_subject_mode (policy), ==, expected[i].subject_mode);
      g_assert_cmpstr (cradle_request_policy_get_request_attributes (policy), ==, attributes);
      g_assert_true (cradle_request_policy_get_requires_approval (policy) ==
                     (expected[i].alice == CRADLE_ENROLLABILITY_NEEDS_APPROVAL));
      check_request (fixture, policy, user, &expected[i]);
    }
}

/* A subject the user typed is used where the template lets the enrollee
 * supply one, and ignored where the CA builds it. */
static void
test_supplied_subject (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(CradleCatalog) catalog = NULL;
  g_autoptr(CradleRequestPolicy) supplied = NULL;
  g_autoptr(CradleRequestPolicy) directory = NULL;
  g_autoptr(GError) error = NULL;
  const char *subject = "CN=Alice's phone,OU=Devices,O=Corp";

  if (skip_without_lab (fixture))
    return;
  catalog = load_as (fixture, "alice");
  supplied = cradle_request_policy_new (cradle_catalog_find_template (catalog, "CradleDeviceSuppliedSubject"),
                                        cradle_catalog_get_user (catalog), subject, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cradle_request_policy_get_subject (supplied), ==, subject);
  g_assert_nonnull (cradle_request_policy_get_san_upn (supplied));

  directory = cradle_request_policy_new (cradle_catalog_find_template (catalog, "CradleDeviceUPN"),
                                         cradle_catalog_get_user (catalog), subject, &error);
  g_assert_no_error (error);
  g_assert_null (cradle_request_policy_get_subject (directory));
  g_assert_null (cradle_request_policy_get_san_upn (directory));
}

/* A device that makes the wrong key does not get its request built. */
static void
test_wrong_device_key (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(CradleCatalog) catalog = NULL;
  g_autoptr(CradleRequestPolicy) policy = NULL;
  g_autoptr(EVP_PKEY) key = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) info = NULL;
  g_autoptr(GBytes) garbage = g_bytes_new_static ("\x30\x03\x02\x01\x01", 5);
  g_autoptr(GError) error = NULL;

  if (skip_without_lab (fixture))
    return;
  catalog = load_as (fixture, "alice");
  policy = cradle_request_policy_new (cradle_catalog_find_template (catalog, "CradleDeviceECC"),
                                      cradle_catalog_get_user (catalog), NULL, &error);
  g_assert_no_error (error);
  key = make_key ("rsa2048");
  spki = public_key_info (key);
  info = cradle_request_policy_build_request_info (policy, spki, &error);
  g_assert_null (info);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);

  info = cradle_request_policy_build_request_info (policy, garbage, &error);
  g_assert_null (info);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
}

/* Everything a reader of the catalog sees, as text, to compare two catalogs. */
static char *
describe_catalog (CradleCatalog *catalog)
{
  GPtrArray *templates = cradle_catalog_get_templates (catalog);
  GString *text = g_string_new (NULL);

  g_string_append_printf (text, "user %s %s\n",
                          cradle_directory_user_get_dn (cradle_catalog_get_user (catalog)),
                          cradle_directory_user_get_sid (cradle_catalog_get_user (catalog)));
  for (guint i = 0; i < templates->len; i++)
    {
      CradleTemplate *template = g_ptr_array_index (templates, i);
      g_autofree char *reason = NULL;
      CradleEnrollability enrollability = cradle_catalog_check (catalog, template, &reason);
      g_autoptr(GPtrArray) services = cradle_catalog_dup_services_for (catalog, template);

      g_string_append_printf (text, "%s %s %u %d %u services: %s\n", cradle_template_get_name (template),
                              cradle_template_get_oid (template), cradle_template_get_minimal_key_size (template),
                              enrollability, services->len, reason);
    }
  g_autoptr(GPtrArray) roots = cradle_catalog_dup_directory_roots (catalog);

  g_string_append_printf (text, "%u services, %u NTAuth, %u AIA, %u roots, %u problems\n",
                          cradle_catalog_get_services (catalog)->len,
                          cradle_catalog_get_ntauth_certificates (catalog)->len,
                          cradle_catalog_get_aia_certificates (catalog)->len, roots->len,
                          g_strv_length ((char **) cradle_catalog_get_problems (catalog)));
  return g_string_free (text, FALSE);
}

/* A kept catalog reads back as the one read: bob's reasons name groups,
 * so the names looked up in the directory are kept too. */
static void
test_kept (Fixture       *fixture,
           gconstpointer  data)
{
  g_autofree char *state = NULL;
  g_autoptr(CradleDirectory) directory = NULL;
  g_autoptr(CradleDirectory) other = NULL;
  g_autoptr(CradleCatalog) catalog = NULL;
  g_autoptr(CradleCatalog) kept = NULL;
  g_autofree char *described = NULL;
  g_autofree char *described_kept = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) folder = NULL;
  g_autofree char *file = NULL;
  struct stat info;

  if (skip_without_lab (fixture))
    return;
  state = g_dir_make_tmp ("cradle-test-catalog-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("CRADLE_STATE_DIR", state, TRUE);

  directory = cradle_lab_fixture_open_as (fixture, "bob");
  kept = cradle_catalog_load_cached (directory, 3600, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_assert_null (kept);
  g_clear_error (&error);

  catalog = cradle_catalog_load (directory, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (cradle_catalog_save_cache (catalog, directory, &error));
  g_assert_no_error (error);
  kept = cradle_catalog_load_cached (directory, 3600, &error);
  g_assert_no_error (error);
  g_assert_nonnull (kept);
  described = describe_catalog (catalog);
  described_kept = describe_catalog (kept);
  g_test_message ("%s", described);
  g_assert_nonnull (strstr (described, "Mobile Device Users"));
  g_assert_cmpstr (described_kept, ==, described);
  g_clear_object (&kept);

  /* Only the user can read it. */
  {
    g_autofree char *catalogs = g_build_filename (state, "catalogs", NULL);

    folder = g_dir_open (catalogs, 0, &error);
    g_assert_no_error (error);
    file = g_build_filename (catalogs, g_dir_read_name (folder), NULL);
  }
  g_assert_cmpint (g_stat (file, &info), ==, 0);
  g_assert_cmpint (info.st_mode & 0777, ==, 0600);

  /* Another account has none; turned off, none is read. */
  other = cradle_lab_fixture_open_as (fixture, "alice");
  kept = cradle_catalog_load_cached (other, 3600, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  kept = cradle_catalog_load_cached (directory, 0, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Too old. */
  g_usleep (2100 * 1000);
  kept = cradle_catalog_load_cached (directory, 1, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Damaged: a file cut short, and one of another version, are refused. */
  {
    g_autofree char *content = NULL;
    gsize size = 0;

    g_file_get_contents (file, &content, &size, &error);
    g_assert_no_error (error);
    g_file_set_contents (file, content, size / 2, &error);
    g_assert_no_error (error);
    kept = cradle_catalog_load_cached (directory, 3600, &error);
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
    g_assert_null (kept);
    g_clear_error (&error);
    content[0] ^= 0x7f;
    g_file_set_contents (file, content, size, &error);
    g_assert_no_error (error);
    kept = cradle_catalog_load_cached (directory, 3600, &error);
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
    g_assert_null (kept);
    g_clear_error (&error);
  }

  g_unsetenv ("CRADLE_STATE_DIR");
  g_remove (file);
  {
    g_autofree char *catalogs = g_path_get_dirname (file);

    g_rmdir (catalogs);
  }
  g_rmdir (state);
}

/* The name of a template bob may enroll for, as @catalog says. */
static char *
dup_enrollable_template (CradleCatalog *catalog)
{
  GPtrArray *templates = cradle_catalog_get_templates (catalog);

  for (guint i = 0; i < templates->len; i++)
    {
      CradleTemplate *template = g_ptr_array_index (templates, i);
      g_autoptr(CradleCertType) type = cradle_cert_type_new_for_template (catalog, template,
                                                                         CRADLE_CREDENTIALS_KERBEROS);

      if (cradle_cert_type_is_enrollable (type))
        return g_strdup (cradle_template_get_name (template));
    }
  return NULL;
}

/* The type lookup cradlectl and the app share: the directory read on its
 * own thread and kept; the next lookup starts from the kept catalog, and
 * its type is confirmed by the directory's. */
static void
test_type_lookup (Fixture       *fixture,
                  gconstpointer  data)
{
  const char *uri;
  g_autofree char *state = NULL;
  g_autofree char *ccache = NULL;
  g_autofree char *name = NULL;
  g_autofree char *described = NULL;
  g_autofree char *described_kept = NULL;
  g_autoptr(CradleCredentials) credentials = NULL;
  g_autoptr(CradleTypeLookup) first = NULL;
  g_autoptr(CradleTypeLookup) second = NULL;
  g_autoptr(CradleCatalog) catalog = NULL;
  g_autoptr(CradleCatalog) again = NULL;
  g_autoptr(CradleCertType) type = NULL;
  g_autoptr(CradleCertType) provisional = NULL;
  g_autoptr(CradleCertType) fresh = NULL;
  g_autoptr(CradleCertType) missing = NULL;
  g_autoptr(GError) error = NULL;

  if (skip_without_lab (fixture))
    return;
  state = g_dir_make_tmp ("cradle-test-lookup-XXXXXX", &error);
  g_assert_no_error (error);
  g_setenv ("CRADLE_STATE_DIR", state, TRUE);
  uri = cradle_test_lab_env (fixture->lab, "CRADLE_LAB_LDAP_URI");
  ccache = cradle_test_lab_kinit (fixture->lab, "bob");
  credentials = cradle_credentials_new_kerberos (ccache);

  /* Nothing kept yet: the directory answers, and its catalog is kept. */
  first = cradle_type_lookup_new (NULL, uri, credentials, NULL);
  g_assert_null (cradle_type_lookup_get_kept_catalog (first));
  catalog = cradle_type_lookup_wait (first, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (catalog);
  g_assert_cmpstr (cradle_type_lookup_get_server (first), ==,
                   json_object_get_string_member (fixture->manifest, "dc_host"));
  name = dup_enrollable_template (catalog);
  g_assert_nonnull (name);
  g_assert_null (cradle_type_lookup_dup_kept_type (first, name, NULL));
  type = cradle_type_lookup_dup_type (first, name, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (cradle_cert_type_get_template_name (type), ==, name);

  /* The next one starts from it, and the directory confirms the type. */
  second = cradle_type_lookup_new (NULL, uri, credentials, NULL);
  g_assert_nonnull (cradle_type_lookup_get_kept_catalog (second));
  described = describe_catalog (catalog);
  described_kept = describe_catalog (cradle_type_lookup_get_kept_catalog (second));
  g_assert_cmpstr (described_kept, ==, described);
  provisional = cradle_type_lookup_dup_kept_type (second, name, NULL);
  g_assert_nonnull (provisional);
  g_assert_true (cradle_cert_type_is_enrollable (provisional));
  fresh = cradle_type_lookup_dup_fresh_type (second, provisional, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (fresh != provisional);
  g_assert_cmpstr (cradle_cert_type_get_template_name (fresh), ==, name);
  again = cradle_type_lookup_wait (second, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (again != cradle_type_lookup_get_kept_catalog (second));

  /* A template the directory does not have. */
  g_assert_null (cradle_type_lookup_dup_kept_type (second, "NoSuchTemplate", NULL));
  missing = cradle_type_lookup_dup_type (second, "NoSuchTemplate", NULL, NULL, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED);
  g_assert_null (missing);
  g_assert_nonnull (strstr (error->message, "NoSuchTemplate"));

  g_unsetenv ("CRADLE_STATE_DIR");
  g_clear_object (&first);
  g_clear_object (&second);
  {
    g_autofree char *catalogs = g_build_filename (state, "catalogs", NULL);
    g_autoptr(GDir) folder = g_dir_open (catalogs, 0, NULL);
    const char *file;

    while (folder != NULL && (file = g_dir_read_name (folder)) != NULL)
      {
        g_autofree char *path = g_build_filename (catalogs, file, NULL);

        g_remove (path);
      }
    g_rmdir (catalogs);
  }
  g_rmdir (state);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_test_add ("/catalog/discovery", Fixture, NULL,
              cradle_lab_fixture_set_up, test_discovery, cradle_lab_fixture_tear_down);
  g_test_add ("/catalog/enrollability/alice", Fixture, NULL,
              cradle_lab_fixture_set_up, test_enrollability_alice, cradle_lab_fixture_tear_down);
  g_test_add ("/catalog/enrollability/bob", Fixture, NULL,
              cradle_lab_fixture_set_up, test_enrollability_bob, cradle_lab_fixture_tear_down);
  g_test_add ("/catalog/request-policy", Fixture, NULL,
              cradle_lab_fixture_set_up, test_request_policy, cradle_lab_fixture_tear_down);
  g_test_add ("/catalog/supplied-subject", Fixture, NULL,
              cradle_lab_fixture_set_up, test_supplied_subject, cradle_lab_fixture_tear_down);
  g_test_add ("/catalog/wrong-device-key", Fixture, NULL,
              cradle_lab_fixture_set_up, test_wrong_device_key, cradle_lab_fixture_tear_down);
  g_test_add ("/catalog/kept", Fixture, NULL,
              cradle_lab_fixture_set_up, test_kept, cradle_lab_fixture_tear_down);
  g_test_add ("/catalog/type-lookup", Fixture, NULL,
              cradle_lab_fixture_set_up, test_type_lookup, cradle_lab_fixture_tear_down);
  status = g_test_run ();
  cradle_test_lab_cleanup ();
  return status;
}
