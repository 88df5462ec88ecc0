/* test-import-key.c: IMPORT_KEY against a real cradle-agent
 *
 * A key made elsewhere goes to the device only in a paired session, within
 * its size, once; the device asks its user, marks it imported for good,
 * and never lets it stand beside a key it holds.
 */
#include "config.h"

#include <string.h>
#include <openssl/pem.h>
#include <cradle/cradle.h>

#include "agent-fixture.h"
#include "base/cradle-openssl-private.h"
#include "protocol/cradle-bridge-message-private.h"
#include "host/cradle-device-private.h"

typedef struct {
  AgentFixture agent;
} Fixture;

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  agent_fixture_stop (&fixture->agent);
}

/* The key as DER PKCS#8, as a PFX gives it. */
static GBytes *
pkcs8_of (EVP_PKEY *key)
{
  g_autoptr(PKCS8_PRIV_KEY_INFO) p8 = EVP_PKEY2PKCS8 (key);
  unsigned char *der = NULL;
  int size = i2d_PKCS8_PRIV_KEY_INFO (p8, &der);

  g_assert_cmpint (size, >, 0);
  return cradle_openssl_take_der (der, size);
}

static GBytes *
import (CradleDevice *device,
        GBytes       *pkcs8,
        GBytes       *cert,
        GError      **error)
{
  return cradle_device_import_key (device, g_bytes_get_data (pkcs8, NULL), g_bytes_get_size (pkcs8), cert,
                                   "test import", NULL, error);
}

static guint
count_keys (Fixture *fixture)
{
  g_autofree char *folder = g_build_filename (fixture->agent.store, "keys", NULL);
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  guint count = 0;
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (name, ".key"))
      count++;
  return count;
}

/* Imported, bound by INSTALL, and listed as imported; a generated key
 * beside it is listed as generated. */
static void
test_import_listed (Fixture       *fixture,
                    gconstpointer  data)
{
  CradleDevice *device;
  g_autoptr(EVP_PKEY) ca_key = test_key_new ();
  g_autoptr(EVP_PKEY) key = test_key_new ();
  g_autoptr(GBytes) ca = test_cert ("Import CA", ca_key, "Import CA", ca_key, TRUE);
  g_autoptr(GBytes) leaf = test_cert ("Imported User", key, "Import CA", ca_key, FALSE);
  g_autoptr(GBytes) pkcs8 = pkcs8_of (key);
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) made_id = NULL;
  g_autoptr(GBytes) made_spki = NULL;
  g_autoptr(EVP_PKEY) made_public = NULL;
  g_autoptr(GBytes) made_leaf = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) listed = NULL;
  g_autoptr(GError) error = NULL;
  guint added = 0, imported = 0, generated = 0;

  agent_fixture_start (&fixture->agent, "--confirm=approve", NULL);
  device = fixture->agent.device;
  g_assert_true (cradle_device_has_feature (device, CRADLE_DEVICE_FEATURE_IMPORT_KEY));

  key_id = import (device, pkcs8, leaf, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (key_id), ==, 16);
  made_id = cradle_device_generate_key (device, "p256", "made here", &made_spki, NULL, &error);
  g_assert_no_error (error);
  made_public = test_public_key_from_der (made_spki);
  made_leaf = test_cert ("Generated User", made_public, "Import CA", ca_key, FALSE);

  g_ptr_array_add (batch, cradle_device_cert_new ("MY", "user", leaf, key_id));
  g_ptr_array_add (batch, cradle_device_cert_new ("MY", "user", made_leaf, made_id));
  g_ptr_array_add (batch, cradle_device_cert_new ("Root", "user", ca, NULL));
  g_assert_true (cradle_device_install (device, batch, &added, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (added, ==, 3);

  listed = cradle_device_list_certs (device, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < listed->len; i++)
    {
      CradleDeviceCert *cert = g_ptr_array_index (listed, i);
      CradleDeviceKeyOrigin origin = cradle_device_cert_get_key_origin (cert);

      if (g_bytes_equal (cradle_device_cert_get_der (cert), leaf))
        {
          g_assert_cmpint (origin, ==, CRADLE_DEVICE_KEY_ORIGIN_IMPORTED);
          g_assert_cmpstr (cradle_device_key_origin_to_string (origin), ==, "imported");
          imported++;
        }
      else if (g_bytes_equal (cradle_device_cert_get_der (cert), made_leaf))
        {
          g_assert_cmpint (origin, ==, CRADLE_DEVICE_KEY_ORIGIN_GENERATED);
          generated++;
        }
      else
        g_assert_cmpint (origin, ==, CRADLE_DEVICE_KEY_ORIGIN_NONE);
    }
  g_assert_cmpuint (imported, ==, 1);
  g_assert_cmpuint (generated, ==, 1);

  /* The origin survives a restart: it is in the sealed key file. */
  agent_fixture_restart (&fixture->agent, "--confirm=approve", NULL);
  g_clear_pointer (&listed, g_ptr_array_unref);
  listed = cradle_device_list_certs (fixture->agent.device, "MY", "user", NULL, &error);
  g_assert_no_error (error);
  imported = 0;
  for (guint i = 0; i < listed->len; i++)
    if (cradle_device_cert_get_key_origin (g_ptr_array_index (listed, i)) == CRADLE_DEVICE_KEY_ORIGIN_IMPORTED)
      imported++;
  g_assert_cmpuint (imported, ==, 1);
}

/* The same key again, or a key the device already holds, is refused: an
 * import never stands beside or shadows a key. */
static void
test_duplicate_refused (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(EVP_PKEY) key = test_key_new ();
  g_autoptr(GBytes) leaf = test_cert ("Twice", key, "Twice", key, FALSE);
  g_autoptr(GBytes) pkcs8 = pkcs8_of (key);
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) second = NULL;
  g_autoptr(GError) error = NULL;

  agent_fixture_start (&fixture->agent, "--confirm=approve", NULL);
  first = import (fixture->agent.device, pkcs8, leaf, &error);
  g_assert_no_error (error);
  second = import (fixture->agent.device, pkcs8, leaf, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_assert_null (second);
  g_assert_cmpuint (count_keys (fixture), ==, 1);
}

/* A certificate for another key, a damaged key, a weak key: refused, nothing stored. */
static void
test_bad_content_refused (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(EVP_PKEY) key = test_key_new ();
  g_autoptr(EVP_PKEY) other = test_key_new ();
  g_autoptr(EVP_PKEY) weak = EVP_RSA_gen (1024);
  g_autoptr(GBytes) other_cert = test_cert ("Other", other, "Other", other, FALSE);
  g_autoptr(GBytes) weak_cert = test_cert ("Weak", weak, "Weak", weak, FALSE);
  g_autoptr(GBytes) pkcs8 = pkcs8_of (key);
  g_autoptr(GBytes) weak_pkcs8 = pkcs8_of (weak);
  g_autoptr(GBytes) damaged = g_bytes_new_from_bytes (pkcs8, 0, g_bytes_get_size (pkcs8) - 3);
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GError) error = NULL;

  agent_fixture_start (&fixture->agent, "--confirm=approve", NULL);
  key_id = import (fixture->agent.device, pkcs8, other_cert, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "not for the imported key"));
  g_clear_error (&error);
  key_id = import (fixture->agent.device, damaged, other_cert, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  key_id = import (fixture->agent.device, weak_pkcs8, weak_cert, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED);
  g_assert_null (key_id);
  g_assert_cmpuint (count_keys (fixture), ==, 0);
}

/* Over the size limit: the host does not send it, and the device refuses
 * it before parsing when sent anyway. */
static void
test_oversize_refused (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(EVP_PKEY) key = test_key_new ();
  g_autoptr(GBytes) leaf = test_cert ("Big", key, "Big", key, FALSE);
  gsize size = CRADLE_BRIDGE_IMPORT_KEY_MAX_SIZE + 1;
  /* Sent anyway: more than the largest key with its nonce and tag. */
  gsize wire_size = CRADLE_BRIDGE_IMPORT_KEY_MAX_SIZE + 28 + 1;
  g_autofree guint8 *big = g_malloc0 (wire_size);
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(CradleCborWriter) writer = cradle_cbor_writer_new ();
  g_autoptr(GBytes) request = NULL;
  g_autoptr(CradleCborValue) reply = NULL;
  g_autoptr(GError) error = NULL;

  agent_fixture_start (&fixture->agent, "--confirm=approve", NULL);
  key_id = cradle_device_import_key (fixture->agent.device, big, size, leaf, NULL, NULL, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);

  cradle_cbor_writer_map (writer, 2);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_bytes (writer, big, wire_size);
  cradle_cbor_writer_uint (writer, 2);
  cradle_cbor_writer_bytes (writer, g_bytes_get_data (leaf, NULL), g_bytes_get_size (leaf));
  request = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
  reply = _cradle_device_call (fixture->agent.device, CRADLE_BRIDGE_IMPORT_KEY, request, "importing", NULL, &error);
  g_assert_null (reply);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "at most 8192 bytes"));
  g_assert_cmpuint (count_keys (fixture), ==, 0);
}

/* A computer the device does not trust cannot import: the host does not
 * try, and the device refuses the frame when sent anyway. */
static void
test_unpaired_refused (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(EVP_PKEY) key = test_key_new ();
  g_autoptr(GBytes) leaf = test_cert ("Unpaired", key, "Unpaired", key, FALSE);
  g_autoptr(GBytes) pkcs8 = pkcs8_of (key);
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(CradleCborWriter) writer = cradle_cbor_writer_new ();
  g_autoptr(GBytes) request = NULL;
  g_autoptr(CradleCborValue) reply = NULL;
  g_autoptr(GError) error = NULL;

  fixture->agent.unpaired = TRUE;
  agent_fixture_start (&fixture->agent, "--confirm=approve", NULL);
  key_id = import (fixture->agent.device, pkcs8, leaf, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_PAIRED);
  g_clear_error (&error);

  cradle_cbor_writer_map (writer, 2);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_bytes (writer, g_bytes_get_data (pkcs8, NULL), g_bytes_get_size (pkcs8));
  cradle_cbor_writer_uint (writer, 2);
  cradle_cbor_writer_bytes (writer, g_bytes_get_data (leaf, NULL), g_bytes_get_size (leaf));
  request = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
  reply = _cradle_device_call (fixture->agent.device, CRADLE_BRIDGE_IMPORT_KEY, request, "importing", NULL, &error);
  g_assert_null (reply);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_PAIRED);
  g_assert_cmpuint (count_keys (fixture), ==, 0);
}

/* The device's user says no: nothing is stored. */
static void
test_declined (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(EVP_PKEY) key = test_key_new ();
  g_autoptr(GBytes) leaf = test_cert ("Declined", key, "Declined", key, FALSE);
  g_autoptr(GBytes) pkcs8 = pkcs8_of (key);
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GError) error = NULL;

  agent_fixture_start (&fixture->agent, "--confirm=approve", "--confirm-import=decline", NULL);
  key_id = import (fixture->agent.device, pkcs8, leaf, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_USER_DECLINED);
  g_assert_nonnull (strstr (error->message, "NOT made on this device"));
  g_assert_cmpuint (count_keys (fixture), ==, 0);
}

/* The key in clear, as a host that skipped the session's encryption
 * would send it: refused, nothing stored. */
static void
test_clear_key_refused (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(EVP_PKEY) key = test_key_new ();
  g_autoptr(GBytes) leaf = test_cert ("Clear", key, "Clear", key, FALSE);
  g_autoptr(GBytes) pkcs8 = pkcs8_of (key);
  g_autoptr(CradleCborWriter) writer = cradle_cbor_writer_new ();
  g_autoptr(GBytes) request = NULL;
  g_autoptr(CradleCborValue) reply = NULL;
  g_autoptr(GError) error = NULL;

  agent_fixture_start (&fixture->agent, "--confirm=approve", NULL);
  cradle_cbor_writer_map (writer, 2);
  cradle_cbor_writer_uint (writer, 1);
  cradle_cbor_writer_bytes (writer, g_bytes_get_data (pkcs8, NULL), g_bytes_get_size (pkcs8));
  cradle_cbor_writer_uint (writer, 2);
  cradle_cbor_writer_bytes (writer, g_bytes_get_data (leaf, NULL), g_bytes_get_size (leaf));
  request = cradle_cbor_writer_free_to_bytes (g_steal_pointer (&writer));
  reply = _cradle_device_call (fixture->agent.device, CRADLE_BRIDGE_IMPORT_KEY, request, "importing", NULL, &error);
  g_assert_null (reply);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "does not decrypt"));
  g_assert_cmpuint (count_keys (fixture), ==, 0);
}

/* The key's bytes cross the cable encrypted, and never come back. */
static void
test_key_not_echoed (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(EVP_PKEY) key = test_key_new ();
  g_autoptr(GBytes) leaf = test_cert ("Echo", key, "Echo", key, FALSE);
  g_autoptr(GBytes) pkcs8 = pkcs8_of (key);
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GPtrArray) listed = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  /* The last 32 bytes hold the private scalar's end. */
  const guint8 *tail = (const guint8 *) g_bytes_get_data (pkcs8, NULL) + g_bytes_get_size (pkcs8) - 80;

  agent_fixture_start (&fixture->agent, "--confirm=approve", NULL);
  key_id = import (fixture->agent.device, pkcs8, leaf, &error);
  g_assert_no_error (error);
  g_ptr_array_add (batch, cradle_device_cert_new ("MY", "user", leaf, key_id));
  g_assert_true (cradle_device_install (fixture->agent.device, batch, NULL, NULL, &error));
  listed = cradle_device_list_certs (fixture->agent.device, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (memmem (fixture->agent.sent->data, fixture->agent.sent->len, tail, 32));
  g_assert_null (memmem (fixture->agent.received->data, fixture->agent.received->len, tail, 32));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, NULL, func, fixture_tear_down)
  ADD ("/import-key/listed-as-imported", test_import_listed);
  ADD ("/import-key/duplicate-refused", test_duplicate_refused);
  ADD ("/import-key/bad-content-refused", test_bad_content_refused);
  ADD ("/import-key/oversize-refused", test_oversize_refused);
  ADD ("/import-key/unpaired-refused", test_unpaired_refused);
  ADD ("/import-key/declined", test_declined);
  ADD ("/import-key/clear-key-refused", test_clear_key_refused);
  ADD ("/import-key/key-never-in-clear-on-the-wire", test_key_not_echoed);
#undef ADD
  return g_test_run ();
}
