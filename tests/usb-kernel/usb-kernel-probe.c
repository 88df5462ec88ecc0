/* usb-kernel-probe: the host's side of the usb-kernel suite's cases, through
 * libcradle's public API, run by guest-cases.sh in the qemu guest.
 *
 *   usb-kernel-probe pair ID          open the device and pair with it
 *   usb-kernel-probe info ID          open it: paired?, model, manufacturer, serial
 *   usb-kernel-probe generate ID      GENERATE_KEY (p256), confirmed on the device
 *   usb-kernel-probe enroll ID CN     (pairing first if need be) GENERATE_KEY,
 *                                     SIGN of a request for it, a
 *                                     certificate for it from a root made here,
 *                                     INSTALL of both, LIST_CERTS showing them
 *   usb-kernel-probe delete ID SHA256 DELETE_CERT of a MY certificate, confirmed
 *   usb-kernel-probe monitor SECONDS  CradleDeviceMonitor's signals for that long
 *
 * Each step prints one line the script waits for: "waiting STEP STATUS" the
 * first time the device says it waits for its user (KEEPALIVE status 1, or 3
 * for pairing), "working STEP 2" the first time it says it works, "done STEP
 * ...", or "error STEP CODE: message". Exit codes are cradlectl's: 0 done,
 * 5 declined on the device, 6 device gone, 7 anything else, 2 usage. */
#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <cradle/cradle.h>

#include "base/cradle-openssl-private.h"

/* The step running now, for the "waiting" line. */
static const char *current_step = "open";
static const char *asked_step;
static const char *working_step;

/* KEEPALIVE: status 1 the device waits for its user, 3 it asks its user to
 * trust this computer (both: "waiting", which the script answers), 2 it is
 * working ("working"). */
static void
on_waiting (CradleDevice *device,
            guint         status,
            const char   *prompt,
            gpointer      user_data)
{
  const char **said = status == 2 ? &working_step : &asked_step;

  if (*said == current_step)
    return;
  *said = current_step;
  g_print ("%s %s %u\n", status == 2 ? "working" : "waiting", current_step, status);
}

static int
fail (const char *step,
      GError     *error)
{
  const char *code = "OTHER";

  if (error->domain == CRADLE_ERROR && error->code == CRADLE_ERROR_DEVICE_GONE)
    code = "DEVICE_GONE";
  else if (error->domain == CRADLE_ERROR && error->code == CRADLE_ERROR_USER_DECLINED)
    code = "USER_DECLINED";
  else if (error->domain == CRADLE_ERROR)
    code = "CRADLE_ERROR";
  g_print ("error %s %s: %s (%s %d)\n", step, code, error->message,
           g_quark_to_string (error->domain), error->code);
  if (error->domain == CRADLE_ERROR && error->code == CRADLE_ERROR_DEVICE_GONE)
    return 6;
  if (error->domain == CRADLE_ERROR && error->code == CRADLE_ERROR_USER_DECLINED)
    return 5;
  return 7;
}

static int
fail_text (const char *step,
           const char *message)
{
  g_print ("error %s CHECK: %s\n", step, message);
  return 7;
}

static char *
hex (GBytes *bytes)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  GString *out = g_string_new (NULL);

  for (gsize i = 0; i < size; i++)
    g_string_append_printf (out, "%02x", data[i]);
  return g_string_free (out, FALSE);
}

static GBytes *
unhex (const char *text)
{
  gsize length = strlen (text);
  g_autoptr(GByteArray) out = g_byte_array_new ();

  if (length % 2 != 0)
    return NULL;
  for (gsize i = 0; i < length; i += 2)
    {
      int high = g_ascii_xdigit_value (text[i]);
      int low = g_ascii_xdigit_value (text[i + 1]);
      guint8 byte;

      if (high < 0 || low < 0)
        return NULL;
      byte = (guint8) (high << 4 | low);
      g_byte_array_append (out, &byte, 1);
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/* The device with @id among those connected, opened; "open" is the step. */
static CradleDevice *
open_device (const char  *id,
             GError     **error)
{
  g_autoptr(GPtrArray) devices = cradle_device_enumerate (NULL, error);

  if (devices == NULL)
    return NULL;
  for (guint i = 0; i < devices->len; i++)
    {
      CradleDevice *device = g_ptr_array_index (devices, i);

      if (g_strcmp0 (cradle_device_get_id (device), id) != 0)
        continue;
      g_signal_connect (device, "waiting", G_CALLBACK (on_waiting), NULL);
      if (!cradle_device_open (device, NULL, error))
        return NULL;
      return g_object_ref (device);
    }
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND, "no device %s is connected", id);
  return NULL;
}

static GBytes *
sha256 (GBytes *der)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 digest[32];
  gsize size = sizeof digest;

  g_checksum_update (checksum, g_bytes_get_data (der, NULL), g_bytes_get_size (der));
  g_checksum_get_digest (checksum, digest, &size);
  return g_bytes_new (digest, size);
}

static GBytes *
der_of_cert (X509 *cert)
{
  unsigned char *der = NULL;
  int size = i2d_X509 (cert, &der);
  GBytes *bytes;

  if (size <= 0)
    return NULL;
  bytes = g_bytes_new (der, size);
  OPENSSL_free (der);
  return bytes;
}

/* A certificate for @subject_key named @subject_cn, signed by @issuer_key. */
static GBytes *
make_cert (const char *subject_cn,
           EVP_PKEY   *subject_key,
           const char *issuer_cn,
           EVP_PKEY   *issuer_key,
           gboolean    is_ca)
{
  static long serial = 1;
  g_autoptr(X509) cert = X509_new ();
  g_autoptr(X509_NAME) subject = X509_NAME_new ();
  g_autoptr(X509_NAME) issuer = X509_NAME_new ();
  g_autoptr(X509_EXTENSION) constraints = NULL;
  X509V3_CTX ctx;

  if (!X509_set_version (cert, 2) ||
      !ASN1_INTEGER_set (X509_get_serialNumber (cert), serial++) ||
      !X509_NAME_add_entry_by_txt (subject, "CN", MBSTRING_UTF8, (const guint8 *) subject_cn, -1, -1, 0) ||
      !X509_NAME_add_entry_by_txt (issuer, "CN", MBSTRING_UTF8, (const guint8 *) issuer_cn, -1, -1, 0) ||
      !X509_set_subject_name (cert, subject) ||
      !X509_set_issuer_name (cert, issuer) ||
      X509_gmtime_adj (X509_getm_notBefore (cert), -3600) == NULL ||
      X509_gmtime_adj (X509_getm_notAfter (cert), 30L * 24 * 3600) == NULL ||
      !X509_set_pubkey (cert, subject_key))
    return NULL;
  X509V3_set_ctx_nodb (&ctx);
  X509V3_set_ctx (&ctx, cert, cert, NULL, NULL, 0);
  constraints = X509V3_EXT_conf_nid (NULL, &ctx, NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "CA:FALSE");
  if (constraints == NULL || !X509_add_ext (cert, constraints, -1) ||
      X509_sign (cert, issuer_key, EVP_sha256 ()) <= 0)
    return NULL;
  return der_of_cert (cert);
}

static int
run_pair (const char *id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleDevice) device = open_device (id, &error);

  if (device == NULL)
    return fail ("open", error);
  g_print ("done open paired=%s\n", cradle_device_is_paired (device) ? "yes" : "no");
  current_step = "pair";
  if (!cradle_device_pair (device, NULL, &error))
    return fail ("pair", error);
  if (!cradle_device_is_paired (device))
    return fail_text ("pair", "the session is not paired after pairing");
  g_print ("done pair\n");
  return 0;
}

static int
run_info (const char *id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleDevice) device = open_device (id, &error);
  g_autofree char *model = NULL;
  g_autofree char *manufacturer = NULL;
  g_autofree char *serial = NULL;

  if (device == NULL)
    return fail ("open", error);
  /* Text from the device, escaped before it reaches a terminal. */
  model = cradle_text_escape (cradle_device_get_model (device), -1, CRADLE_TEXT_ESCAPE_DEFAULT);
  manufacturer = cradle_text_escape (cradle_device_get_manufacturer (device), -1, CRADLE_TEXT_ESCAPE_DEFAULT);
  serial = cradle_text_escape (cradle_device_get_serial (device), -1, CRADLE_TEXT_ESCAPE_DEFAULT);
  g_print ("done open paired=%s\n", cradle_device_is_paired (device) ? "yes" : "no");
  g_print ("model=%s\nmanufacturer=%s\nserial=%s\n", model, manufacturer, serial);
  return 0;
}

static GBytes *
generate (CradleDevice  *device,
          EVP_PKEY     **public_key,
          GError       **error)
{
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autofree char *key_hex = NULL;
  const guint8 *data;

  current_step = "generate";
  key_id = cradle_device_generate_key (device, "p256", "usb-kernel", &spki, NULL, error);
  if (key_id == NULL)
    return NULL;
  data = g_bytes_get_data (spki, NULL);
  *public_key = d2i_PUBKEY (NULL, &data, (long) g_bytes_get_size (spki));
  if (*public_key == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "the device's SubjectPublicKeyInfo (%zu bytes) does not decode", g_bytes_get_size (spki));
      return NULL;
    }
  key_hex = hex (key_id);
  g_print ("done generate key=%s spki=%zu\n", key_hex, g_bytes_get_size (spki));
  return g_steal_pointer (&key_id);
}

static int
run_generate (const char *id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleDevice) device = open_device (id, &error);
  g_autoptr(EVP_PKEY) public_key = NULL;
  g_autoptr(GBytes) key_id = NULL;

  if (device == NULL)
    return fail ("open", error);
  g_print ("done open paired=%s\n", cradle_device_is_paired (device) ? "yes" : "no");
  key_id = generate (device, &public_key, &error);
  return key_id != NULL ? 0 : fail ("generate", error);
}

/* The device signs a request for its key; the signature must verify with
 * the public key GENERATE_KEY gave. */
static gboolean
sign_request (CradleDevice  *device,
              GBytes        *key_id,
              EVP_PKEY      *public_key,
              const char    *common_name,
              GError       **error)
{
  g_autoptr(X509_REQ) request = X509_REQ_new ();
  g_autoptr(X509_NAME) name = X509_NAME_new ();
  g_autoptr(EVP_MD_CTX) verify = EVP_MD_CTX_new ();
  g_autoptr(GBytes) info = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autofree char *algorithm = NULL;
  unsigned char *der = NULL;
  int size;

  if (!X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8, (const guint8 *) common_name, -1, -1, 0) ||
      !X509_REQ_set_subject_name (request, name) ||
      !X509_REQ_set_pubkey (request, public_key) ||
      (size = i2d_re_X509_REQ_tbs (request, &der)) <= 0)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED, "OpenSSL could not encode the request");
      return FALSE;
    }
  info = g_bytes_new (der, size);
  OPENSSL_free (der);
  current_step = "sign";
  signature = cradle_device_sign_request (device, key_id, info, "sha256", &algorithm, NULL, error);
  if (signature == NULL)
    return FALSE;
  if (EVP_DigestVerifyInit (verify, NULL, EVP_sha256 (), NULL, public_key) != 1 ||
      EVP_DigestVerify (verify, g_bytes_get_data (signature, NULL), g_bytes_get_size (signature),
                        g_bytes_get_data (info, NULL), g_bytes_get_size (info)) != 1)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "the device's %s signature does not verify with the key it made", algorithm);
      return FALSE;
    }
  g_print ("done sign algorithm=%s bytes=%zu\n", algorithm, g_bytes_get_size (signature));
  return TRUE;
}

static gboolean
holds (GPtrArray  *certs,
       const char *store,
       GBytes     *der,
       GBytes     *key_id)
{
  for (guint i = 0; i < certs->len; i++)
    {
      CradleDeviceCert *cert = g_ptr_array_index (certs, i);

      if (g_strcmp0 (cradle_device_cert_get_store (cert), store) == 0 &&
          g_bytes_equal (cradle_device_cert_get_der (cert), der) &&
          (key_id == NULL || (cradle_device_cert_get_key_id (cert) != NULL &&
                              g_bytes_equal (cradle_device_cert_get_key_id (cert), key_id))))
        return TRUE;
    }
  return FALSE;
}

static int
run_enroll (const char *id,
            const char *common_name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleDevice) device = open_device (id, &error);
  g_autoptr(EVP_PKEY) public_key = NULL;
  g_autoptr(EVP_PKEY) root_key = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) root = NULL;
  g_autoptr(GBytes) leaf = NULL;
  g_autoptr(GBytes) leaf_sha256 = NULL;
  g_autoptr(GPtrArray) install = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) listed = NULL;
  g_autofree char *root_cn = g_strdup_printf ("usb-kernel root for %s", common_name);
  g_autofree char *leaf_hex = NULL;
  guint added = 0;

  if (device == NULL)
    return fail ("open", error);
  g_print ("done open paired=%s\n", cradle_device_is_paired (device) ? "yes" : "no");
  if (!cradle_device_is_paired (device))
    {
      current_step = "pair";
      if (!cradle_device_pair (device, NULL, &error))
        return fail ("pair", error);
      g_print ("done pair\n");
    }
  key_id = generate (device, &public_key, &error);
  if (key_id == NULL)
    return fail ("generate", error);
  if (!sign_request (device, key_id, public_key, common_name, &error))
    return fail ("sign", error);

  /* A root of its own per enrollment, so INSTALL always brings a new root,
   * which the device asks its user about. */
  root_key = EVP_EC_gen ("P-256");
  if (root_key == NULL ||
      (root = make_cert (root_cn, root_key, root_cn, root_key, TRUE)) == NULL ||
      (leaf = make_cert (common_name, public_key, root_cn, root_key, FALSE)) == NULL)
    return fail_text ("install", "OpenSSL could not make the certificates");
  g_ptr_array_add (install, cradle_device_cert_new ("MY", "user", leaf, key_id));
  g_ptr_array_add (install, cradle_device_cert_new ("Root", "user", root, NULL));
  current_step = "install";
  if (!cradle_device_install (device, install, &added, NULL, &error))
    return fail ("install", error);
  g_print ("done install added=%u\n", added);

  current_step = "list";
  listed = cradle_device_list_certs (device, NULL, NULL, NULL, &error);
  if (listed == NULL)
    return fail ("list", error);
  if (!holds (listed, "MY", leaf, key_id))
    return fail_text ("list", "the device does not list the certificate installed, bound to its key");
  if (!holds (listed, "Root", root, NULL))
    return fail_text ("list", "the device does not list the root installed");
  leaf_sha256 = sha256 (leaf);
  leaf_hex = hex (leaf_sha256);
  g_print ("done list certs=%u leaf=%s\n", listed->len, leaf_hex);
  return 0;
}

static int
run_delete (const char *id,
            const char *sha256_hex)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) digest = unhex (sha256_hex);
  g_autoptr(CradleDevice) device = NULL;

  if (digest == NULL || g_bytes_get_size (digest) != 32)
    return fail_text ("delete", "the certificate's SHA-256 is not 64 hexadecimal digits");
  device = open_device (id, &error);
  if (device == NULL)
    return fail ("open", error);
  g_print ("done open paired=%s\n", cradle_device_is_paired (device) ? "yes" : "no");
  current_step = "delete";
  if (!cradle_device_delete_cert_confirmed (device, "MY", "user", digest, NULL, &error))
    return fail ("delete", error);
  g_print ("done delete\n");
  return 0;
}

static void
on_added (CradleDeviceMonitor *monitor,
          CradleDevice        *device,
          gpointer             user_data)
{
  g_print ("added %s\n", cradle_device_get_id (device));
}

static void
on_removed (CradleDeviceMonitor *monitor,
            const char          *id,
            gpointer             user_data)
{
  g_print ("removed %s\n", id);
}

static gboolean
quit_loop (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static int
run_monitor (guint seconds)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(CradleDeviceMonitor) monitor = cradle_device_monitor_new ();

  g_signal_connect (monitor, "device-added", G_CALLBACK (on_added), NULL);
  g_signal_connect (monitor, "device-removed", G_CALLBACK (on_removed), NULL);
  g_print ("watching\n");
  g_timeout_add_seconds (seconds, quit_loop, loop);
  g_main_loop_run (loop);
  g_print ("done monitor\n");
  return 0;
}

int
main (int    argc,
      char **argv)
{
  guint64 seconds;

  /* The script reads each line as it comes. */
  setvbuf (stdout, NULL, _IOLBF, 0);
  if (argc == 3 && g_str_equal (argv[1], "pair"))
    return run_pair (argv[2]);
  if (argc == 3 && g_str_equal (argv[1], "info"))
    return run_info (argv[2]);
  if (argc == 3 && g_str_equal (argv[1], "generate"))
    return run_generate (argv[2]);
  if (argc == 4 && g_str_equal (argv[1], "enroll"))
    return run_enroll (argv[2], argv[3]);
  if (argc == 4 && g_str_equal (argv[1], "delete"))
    return run_delete (argv[2], argv[3]);
  if (argc == 3 && g_str_equal (argv[1], "monitor") &&
      g_ascii_string_to_unsigned (argv[2], 10, 1, 3600, &seconds, NULL))
    return run_monitor ((guint) seconds);
  g_printerr ("usage: usb-kernel-probe pair|info|generate ID | enroll ID CN | delete ID SHA256 | monitor SECONDS\n");
  return 2;
}
