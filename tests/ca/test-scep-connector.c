/* test-scep-connector.c: SCEP (RFC 8894) against micromdm's scepserver in the
 * lab, and against a SCEP server that answers wrongly on purpose
 *
 * Every key is made on a simulated device (a real cradle-agent), which also
 * signs the request, the transient signer certificate and each pkiMessage,
 * and decrypts the CA's answer: the host never holds the private key.
 */
#include "config.h"

#include <glib/gstdio.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

#include "csr/cradle-csr-private.h"
#include "base/cradle-openssl-private.h"
#include "enroll-test-support.h"
#include "scep-test-ca.h"

/* A request for a fresh RSA key on @device, with @challenge (nullable) as
 * its challengePassword; micromdm issues one certificate per subject, so
 * each gets a name of its own. */
static CradleCaRequest *
scep_request (CradleDevice  *device,
              const char    *key_type,
              const char    *challenge,
              GBytes       **spki_out)
{
  g_autoptr(CradleCsrBuilder) builder = cradle_csr_builder_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) request_info = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GBytes) csr = NULL;
  g_autofree char *algorithm = NULL;
  g_autofree char *subject = g_strdup_printf ("CN=cradle-scep-%08x%08x,O=Cradle Tests",
                                              g_random_int (), g_random_int ());
  CradleCaRequest *request;

  key_id = cradle_device_generate_key_for (device, key_type, "SCEP test", CRADLE_DEVICE_KEY_FOR_SCEP, &spki,
                                           NULL, &error);
  g_assert_no_error (error);
  g_assert_true (cradle_csr_builder_set_public_key (builder, spki, &error));
  g_assert_true (cradle_csr_builder_set_subject (builder, subject, &error));
  cradle_csr_builder_set_key_usage (builder, CRADLE_CSR_KEY_USAGE_DIGITAL_SIGNATURE |
                                    CRADLE_CSR_KEY_USAGE_KEY_ENCIPHERMENT, TRUE);
  if (challenge != NULL)
    cradle_csr_builder_set_challenge_password (builder, challenge);
  request_info = cradle_csr_builder_encode_request_info (builder, &error);
  g_assert_no_error (error);
  signature = cradle_device_sign_request (device, key_id, request_info, "sha256", &algorithm, NULL, &error);
  g_assert_no_error (error);
  csr = cradle_csr_assemble (request_info, algorithm, signature, &error);
  g_assert_no_error (error);

  request = cradle_ca_request_new (csr, NULL);
  cradle_ca_request_set_device_key (request, device, key_id);
  if (spki_out != NULL)
    *spki_out = g_steal_pointer (&spki);
  return request;
}

/* The lab's SCEP server, its CA (micromdm's) as the only trust anchor. */
static CradleCaConnector *
lab_scep (EnrollFixture *fixture)
{
  CradleCaConnector *connector = cradle_scep_connector_new (enroll_fixture_env (fixture, "CRADLE_LAB_SCEP_URL"));

  cradle_ca_connector_add_trust_anchors (connector, enroll_fixture_env (fixture, "CRADLE_LAB_SCEP_CA"));
  return connector;
}

/* Where the misbehaving SCEP server writes its CA (set in main()). */
static char *misbehaving_ca_pem;

/* @der as a PEM file in a temporary folder of its own; the caller deletes
 * it with remove_pem(). */
static char *
write_pem (GBytes *der)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = g_dir_make_tmp ("cradle-scep-anchor-XXXXXX", &error);
  g_autofree char *path = NULL;
  const unsigned char *p = g_bytes_get_data (der, NULL);
  g_autoptr(X509) cert = d2i_X509 (NULL, &p, (long) g_bytes_get_size (der));
  g_autoptr(BIO) bio = NULL;

  g_assert_no_error (error);
  g_assert_nonnull (cert);
  path = g_build_filename (folder, "anchor.pem", NULL);
  bio = BIO_new_file (path, "w");
  g_assert_nonnull (bio);
  g_assert_cmpint (PEM_write_bio_X509 (bio, cert), ==, 1);
  return g_steal_pointer (&path);
}

static void
remove_pem (char *path)
{
  g_autofree char *folder = g_path_get_dirname (path);

  g_unlink (path);
  g_rmdir (folder);
  g_free (path);
}

static GBytes *
read_pem_certificate (const char *path)
{
  g_autoptr(BIO) bio = BIO_new_file (path, "r");
  g_autoptr(X509) cert = NULL;
  unsigned char *der = NULL;
  int size;
  GBytes *bytes;

  g_assert_nonnull (bio);
  cert = PEM_read_bio_X509 (bio, NULL, NULL, NULL);
  g_assert_nonnull (cert);
  size = i2d_X509 (cert, &der);
  g_assert_cmpint (size, >, 0);
  bytes = g_bytes_new (der, size);
  OPENSSL_free (der);
  return bytes;
}

static void
test_ca_certificates (EnrollFixture *fixture,
                      gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(CradleCaConnector) connector = lab_scep (fixture);
  g_autoptr(GPtrArray) certificates = NULL;
  g_autoptr(GBytes) expected = read_pem_certificate (enroll_fixture_env (fixture, "CRADLE_LAB_SCEP_CA"));
  g_autoptr(GError) error = NULL;

  certificates = cradle_ca_connector_dup_ca_certificates (connector, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (certificates->len, ==, 1);
  g_assert_true (g_bytes_equal (cradle_certificate_get_der (g_ptr_array_index (certificates, 0)), expected));
  g_assert_cmpint (cradle_ca_connector_get_protocol (connector), ==, CRADLE_CA_PROTOCOL_SCEP);
}

static void
test_issued (EnrollFixture *fixture,
             gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  CradleDevice *device = fixture->agent.device;
  g_autoptr(CradleCaConnector) connector = lab_scep (fixture);
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(CradleCaRequest) request =
    scep_request (device, "rsa2048", enroll_fixture_env (fixture, "CRADLE_LAB_SCEP_CHALLENGE"), &spki);
  g_autoptr(GBytes) ca_der = read_pem_certificate (enroll_fixture_env (fixture, "CRADLE_LAB_SCEP_CA"));
  g_autoptr(CradleCaAnswer) answer = NULL;
  g_autoptr(GPtrArray) install = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  GPtrArray *chain;
  CradleCertificate *leaf;
  const unsigned char *p;
  g_autoptr(X509) cert = NULL;
  g_autoptr(EVP_PKEY) device_key = NULL;

  answer = enroll_submit (connector, request);
  enroll_assert_leaf_is_device_key (answer, request);
  g_assert_cmpint (cradle_ca_answer_get_protocol (answer), ==, CRADLE_CA_PROTOCOL_SCEP);
  /* The transaction id: SHA-256 of the device's public key, in hex. */
  g_assert_cmpuint (strlen (cradle_ca_answer_get_request_id (answer)), ==, 64);

  /* The leaf holds exactly the key the device made, and the chain is the lab's SCEP CA. */
  leaf = cradle_ca_answer_get_leaf (answer);
  p = g_bytes_get_data (cradle_certificate_get_der (leaf), NULL);
  cert = d2i_X509 (NULL, &p, (long) g_bytes_get_size (cradle_certificate_get_der (leaf)));
  p = g_bytes_get_data (spki, NULL);
  device_key = d2i_PUBKEY (NULL, &p, (long) g_bytes_get_size (spki));
  g_assert_cmpint (EVP_PKEY_eq (X509_get0_pubkey (cert), device_key), ==, 1);
  chain = cradle_ca_answer_get_chain (answer);
  g_assert_cmpuint (chain->len, ==, 1);
  g_assert_true (g_bytes_equal (cradle_certificate_get_der (g_ptr_array_index (chain, 0)), ca_der));

  /* micromdm never answers PENDING and does not implement CertPoll: its
   * own words come back in the error (the PENDING path is tested below). */
  {
    g_autoptr(CradleCaAnswer) polled = cradle_ca_connector_retrieve (connector, request,
                                                                    cradle_ca_answer_get_request_id (answer), NULL,
                                                                    NULL, &error);

    g_assert_null (polled);
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED);
    g_assert_nonnull (strstr (error->message, "HTTP 500"));
    g_test_message ("CertPoll to micromdm: %s", error->message);
    g_clear_error (&error);
  }
  /* Installed on the device, bound to its key: the key is no longer
   * pending, and the device refuses SCEP operations with it from now on. */
  g_ptr_array_add (install, cradle_device_cert_new ("MY", "user", cradle_certificate_get_der (leaf),
                                                    cradle_ca_request_get_key_id (request)));
  g_assert_true (cradle_device_install (device, install, NULL, NULL, &error));
  g_assert_no_error (error);
  error = enroll_submit_fails (connector, request, CRADLE_ERROR_PERMISSION_DENIED);
}

static void
test_wrong_challenge (EnrollFixture *fixture,
                      gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  const char *challenges[] = { "not-the-challenge", NULL };

  for (gsize i = 0; i < G_N_ELEMENTS (challenges); i++)
    {
      g_autoptr(CradleCaConnector) connector = lab_scep (fixture);
      g_autoptr(CradleCaRequest) request = scep_request (fixture->agent.device, "rsa2048", challenges[i], NULL);
      g_autoptr(CradleCaAnswer) answer = enroll_submit (connector, request);
      const char *message;

      g_assert_cmpint (cradle_ca_answer_get_status (answer), ==, CRADLE_CA_STATUS_DENIED);
      g_assert_cmpint (cradle_ca_answer_get_protocol (answer), ==, CRADLE_CA_PROTOCOL_SCEP);
      /* failInfo badRequest (2), named in the message; the challenge is not. */
      g_assert_cmpuint (cradle_ca_answer_get_code (answer), ==, 2);
      message = cradle_ca_answer_get_message (answer);
      g_test_message ("denied: %s", message);
      g_assert_true (g_str_has_prefix (message, "badRequest"));
      g_assert_null (strstr (message, enroll_fixture_env (fixture, "CRADLE_LAB_SCEP_CHALLENGE")));
      g_assert_null (strstr (message, "not-the-challenge"));
      g_assert_null (cradle_ca_answer_get_leaf (answer));
    }
}

/* Without the lab: the simulated device alone */

/* A SCEP CA in this process (scep-test-ca.c behind a small HTTP server on
 * a thread of its own) that holds a request for approval: PENDING to the
 * PKCSReq and to the first @pending_polls CertPolls, then SUCCESS. */
typedef struct {
  TestScepCa     *ca;
  guint           pending_polls;
  /* What it plays, set before the first request */
  GBytes         *ca_certs;   /* GetCACert: a CA/RA bundle; %NULL: the CA alone */
  TestScepCa     *recipient;  /* opens requests; %NULL: the CA */
  TestScepCa     *signer;     /* signs CertReps; %NULL: the CA */
  GThread        *thread;
  GMainContext   *context;
  GMainLoop      *loop;
  guint16         port;
  GMutex          lock;
  GCond           started;
  /* What it saw, under @lock */
  GBytes         *csr;
  char           *transaction_id;
  guint           pkcs_reqs;
  guint           cert_polls;
  guint           pki_operations;
  guint           other_operations;  /* GetCACaps and GetCACert */
} PendingCa;

static GBytes *
pending_ca_pki_operation (PendingCa *fake,
                          GBytes    *body)
{
  g_autoptr(TestScepRequest) request = test_scep_ca_read_request (fake->recipient != NULL ? fake->recipient
                                                                                         : fake->ca, body);
  g_autoptr(GBytes) leaf = NULL;
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&fake->lock);
  TestScepReplyOptions pending = { .status = "3", .signed_by = fake->signer };

  if (request->message_type == 19)
    {
      fake->pkcs_reqs++;
      g_clear_pointer (&fake->csr, g_bytes_unref);
      g_free (fake->transaction_id);
      fake->csr = g_bytes_ref (request->message_data);
      fake->transaction_id = g_strdup (request->transaction_id);
      return test_scep_ca_reply (fake->ca, request, &pending);
    }
  /* CertPoll: the same transaction, IssuerAndSubject naming this CA. */
  g_assert_cmpuint (request->message_type, ==, 20);
  g_assert_cmpstr (request->transaction_id, ==, fake->transaction_id);
  fake->cert_polls++;
  if (fake->cert_polls <= fake->pending_polls)
    return test_scep_ca_reply (fake->ca, request, &pending);
  leaf = test_scep_ca_issue (fake->ca, fake->csr);
  {
    /* As micromdm answers: the certificate under single DES. */
    TestScepReplyOptions issued = { .status = "0", .leaf = leaf, .cipher = "DES-CBC", .signed_by = fake->signer };

    return test_scep_ca_reply (fake->ca, request, &issued);
  }
}

static gboolean
pending_ca_incoming (GSocketService    *service,
                     GSocketConnection *connection,
                     GObject           *source,
                     gpointer           data)
{
  PendingCa *fake = data;
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  g_autoptr(GDataInputStream) in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  g_autofree char *request_line = NULL;
  g_autofree guint8 *body = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GString) head = g_string_new (NULL);
  const char *type = "application/x-pki-message";
  gsize length = 0;

  g_data_input_stream_set_newline_type (in, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
  request_line = g_data_input_stream_read_line (in, NULL, NULL, NULL);
  if (request_line == NULL)
    return TRUE;
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line (in, NULL, NULL, NULL);

      if (line == NULL || line[0] == '\0')
        break;
      if (g_ascii_strncasecmp (line, "Content-Length:", 15) == 0)
        length = (gsize) g_ascii_strtoull (line + 15, NULL, 10);
    }
  body = g_malloc (length + 1);
  g_assert_true (g_input_stream_read_all (G_INPUT_STREAM (in), body, length, NULL, NULL, NULL));

  g_mutex_lock (&fake->lock);
  if (strstr (request_line, "operation=PKIOperation") != NULL)
    fake->pki_operations++;
  else
    fake->other_operations++;
  g_mutex_unlock (&fake->lock);
  if (strstr (request_line, "operation=GetCACaps") != NULL)
    {
      type = "text/plain";
      answer = g_bytes_new_static ("POSTPKIOperation\nSHA-256\nAES\n", 29);
    }
  else if (strstr (request_line, "operation=GetCACert") != NULL)
    {
      type = fake->ca_certs != NULL ? "application/x-x509-ca-ra-cert" : "application/x-x509-ca-cert";
      answer = fake->ca_certs != NULL ? g_bytes_ref (fake->ca_certs) : test_scep_ca_der (fake->ca);
    }
  else
    {
      g_autoptr(GBytes) message = g_bytes_new (body, length);

      g_assert_true (g_str_has_prefix (request_line, "POST "));
      answer = pending_ca_pki_operation (fake, message);
    }
  g_string_append_printf (head, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %" G_GSIZE_FORMAT
                          "\r\nConnection: close\r\n\r\n", type, g_bytes_get_size (answer));
  g_output_stream_write_all (out, head->str, head->len, NULL, NULL, NULL);
  g_output_stream_write_all (out, g_bytes_get_data (answer, NULL), g_bytes_get_size (answer), NULL, NULL, NULL);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return TRUE;
}

static gpointer
pending_ca_thread (gpointer data)
{
  PendingCa *fake = data;
  g_autoptr(GSocketService) service = g_socket_service_new ();
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (fake->context);
  g_mutex_lock (&fake->lock);
  fake->port = g_socket_listener_add_any_inet_port (G_SOCKET_LISTENER (service), NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (service, "incoming", G_CALLBACK (pending_ca_incoming), fake);
  g_socket_service_start (service);
  g_cond_signal (&fake->started);
  g_mutex_unlock (&fake->lock);
  g_main_loop_run (fake->loop);
  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
  g_main_context_pop_thread_default (fake->context);
  return NULL;
}

static PendingCa *
pending_ca_start (guint pending_polls)
{
  PendingCa *fake = g_new0 (PendingCa, 1);

  fake->ca = test_scep_ca_new ("Pending SCEP CA");
  fake->pending_polls = pending_polls;
  fake->context = g_main_context_new ();
  fake->loop = g_main_loop_new (fake->context, FALSE);
  g_mutex_init (&fake->lock);
  g_cond_init (&fake->started);
  g_mutex_lock (&fake->lock);
  fake->thread = g_thread_new ("pending-ca", pending_ca_thread, fake);
  while (fake->port == 0)
    g_cond_wait (&fake->started, &fake->lock);
  g_mutex_unlock (&fake->lock);
  return fake;
}

static void
pending_ca_stop (PendingCa *fake)
{
  g_main_loop_quit (fake->loop);
  g_thread_join (fake->thread);
  g_main_loop_unref (fake->loop);
  g_main_context_unref (fake->context);
  test_scep_ca_free (fake->ca);
  g_clear_pointer (&fake->ca_certs, g_bytes_unref);
  g_clear_pointer (&fake->csr, g_bytes_unref);
  g_free (fake->transaction_id);
  g_mutex_clear (&fake->lock);
  g_cond_clear (&fake->started);
  g_free (fake);
}

/* What @fake plays from now on (see PendingCa); it takes @ca_certs. */
static void
pending_ca_play (PendingCa  *fake,
                 GBytes     *ca_certs,
                 TestScepCa *recipient,
                 TestScepCa *signer)
{
  g_mutex_lock (&fake->lock);
  g_clear_pointer (&fake->ca_certs, g_bytes_unref);
  fake->ca_certs = ca_certs;
  fake->recipient = recipient;
  fake->signer = signer;
  g_mutex_unlock (&fake->lock);
}

/* A GetCACert answer of @count certificates: a certs-only PKCS#7. */
static GBytes *
bundle_of (X509 **certs,
           gsize  count)
{
  PKCS7 *p7 = PKCS7_new ();
  unsigned char *der = NULL;
  int size;

  g_assert_true (PKCS7_set_type (p7, NID_pkcs7_signed));
  g_assert_true (PKCS7_content_new (p7, NID_pkcs7_data));
  for (gsize i = 0; i < count; i++)
    g_assert_true (PKCS7_add_certificate (p7, certs[i]));
  size = i2d_PKCS7 (p7, &der);
  PKCS7_free (p7);
  g_assert_cmpint (size, >, 0);
  return cradle_openssl_take_der (der, size);
}

static guint
pki_operations (PendingCa *fake)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&fake->lock);

  return fake->pki_operations;
}

static void
test_pending_then_issued (EnrollFixture *fixture,
                          gconstpointer  data)
{
  PendingCa *fake = pending_ca_start (1);
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/scep", fake->port);
  g_autoptr(CradleCaConnector) connector = cradle_scep_connector_new (url);
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(CradleCaRequest) request = scep_request (fixture->agent.device, "rsa2048", "x", &spki);
  g_autoptr(CradleCaAnswer) pending = NULL;
  g_autoptr(CradleCaAnswer) issued = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) ca_der = test_scep_ca_der (fake->ca);
  char *anchor = write_pem (ca_der);
  g_autofree char *hex = NULL;
  g_autofree char *expected_id = NULL;
  const char *request_id;

  /* PKCSReq: held for approval, under the transaction id. */
  cradle_ca_connector_add_trust_anchors (connector, anchor);
  pending = enroll_submit (connector, request);
  g_assert_cmpint (cradle_ca_answer_get_status (pending), ==, CRADLE_CA_STATUS_PENDING);
  g_assert_cmpint (cradle_ca_answer_get_protocol (pending), ==, CRADLE_CA_PROTOCOL_SCEP);
  request_id = cradle_ca_answer_get_request_id (pending);
  hex = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, spki);
  expected_id = g_ascii_strup (hex, -1);
  g_assert_cmpstr (request_id, ==, expected_id);
  g_assert_null (cradle_ca_answer_get_leaf (pending));

  /* CertPoll, still pending; CertPoll again, issued. */
  enroll_assert_still_pending (connector, request, request_id, NULL);
  issued = enroll_retrieve (connector, request, request_id, NULL);
  enroll_assert_leaf_is_device_key (issued, request);
  g_assert_cmpuint (cradle_ca_answer_get_chain (issued)->len, ==, 1);
  g_assert_true (g_bytes_equal (cradle_certificate_get_der (g_ptr_array_index (cradle_ca_answer_get_chain (issued), 0)),
                                ca_der));

  g_mutex_lock (&fake->lock);
  g_assert_cmpuint (fake->pkcs_reqs, ==, 1);
  g_assert_cmpuint (fake->cert_polls, ==, 2);
  g_mutex_unlock (&fake->lock);

  /* A stored id SCEP cannot carry is refused before anything is sent. */
  g_clear_object (&issued);
  issued = cradle_ca_connector_retrieve (connector, request, "not*printable", NULL, NULL, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_null (issued);
  pending_ca_stop (fake);
  remove_pem (anchor);
}

/* Prepared while the device makes the key: GetCACaps and GetCACert are
 * asked once, ahead, and serve the next exchange only. */
static void
test_prepared (EnrollFixture *fixture,
               gconstpointer  data)
{
  PendingCa *fake = pending_ca_start (0);
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/scep", fake->port);
  g_autoptr(CradleCaConnector) connector = cradle_scep_connector_new (url);
  g_autoptr(CradleCaRequest) request = scep_request (fixture->agent.device, "rsa2048", "x", NULL);
  g_autoptr(CradleCaAnswer) pending = NULL;
  g_autoptr(CradleCaAnswer) issued = NULL;
  g_autoptr(GBytes) ca_der = test_scep_ca_der (fake->ca);
  char *anchor = write_pem (ca_der);
  guint asked = 0;

  cradle_ca_connector_add_trust_anchors (connector, anchor);
  cradle_ca_connector_prepare (connector);
  for (guint i = 0; i < 500 && asked < 2; i++)
    {
      g_usleep (10 * 1000);
      g_mutex_lock (&fake->lock);
      asked = fake->other_operations;
      g_mutex_unlock (&fake->lock);
    }
  g_assert_cmpuint (asked, ==, 2);

  pending = enroll_submit (connector, request);
  g_assert_cmpint (cradle_ca_answer_get_status (pending), ==, CRADLE_CA_STATUS_PENDING);
  g_mutex_lock (&fake->lock);
  g_assert_cmpuint (fake->other_operations, ==, 2);
  g_assert_cmpuint (fake->pki_operations, ==, 1);
  g_mutex_unlock (&fake->lock);

  issued = enroll_retrieve (connector, request, cradle_ca_answer_get_request_id (pending), NULL);
  enroll_assert_leaf_is_device_key (issued, request);
  g_mutex_lock (&fake->lock);
  g_assert_cmpuint (fake->other_operations, ==, 4);
  g_mutex_unlock (&fake->lock);
  pending_ca_stop (fake);
  remove_pem (anchor);
}

/* RFC 8894 2.2: a CA certificate that does not verify against the type's
 * anchors (here another CA's) is refused before any PKIOperation, so the
 * challenge is never encrypted to it; so is any CA when no anchor is set. */
static void
check_refused (EnrollFixture *fixture,
               GBytes        *anchor_der,
               const char    *words)
{
  PendingCa *fake = pending_ca_start (0);
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/scep", fake->port);
  g_autoptr(CradleCaConnector) connector = cradle_scep_connector_new (url);
  g_autoptr(CradleCaRequest) request = scep_request (fixture->agent.device, "rsa2048", "secret-challenge", NULL);
  char *anchor = anchor_der != NULL ? write_pem (anchor_der) : NULL;
  g_autoptr(GPtrArray) certificates = NULL;
  g_autoptr(GError) error = NULL;

  if (anchor != NULL)
    cradle_ca_connector_add_trust_anchors (connector, anchor);
  error = enroll_submit_fails (connector, request, CRADLE_ERROR_NOT_CONFIGURED);
  g_test_message ("refused: %s", error->message);
  g_assert_nonnull (strstr (error->message, words));
  g_assert_null (strstr (error->message, "secret-challenge"));
  /* The CA it got, by subject and SHA-256 fingerprint. */
  if (anchor != NULL)
    {
      g_assert_nonnull (strstr (error->message, "CN=Pending SCEP CA"));
      g_assert_nonnull (strstr (error->message, "(SHA-256 "));
    }
  g_clear_error (&error);

  /* Nor are its certificates handed out. */
  certificates = cradle_ca_connector_dup_ca_certificates (connector, NULL, &error);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED);
  g_assert_null (certificates);

  g_mutex_lock (&fake->lock);
  g_assert_cmpuint (fake->pki_operations, ==, 0);
  g_assert_cmpuint (fake->pkcs_reqs, ==, 0);
  g_assert_cmpuint (fake->other_operations, >, 0);
  g_mutex_unlock (&fake->lock);
  pending_ca_stop (fake);
  if (anchor != NULL)
    remove_pem (anchor);
}

static void
test_wrong_anchor (EnrollFixture *fixture,
                   gconstpointer  data)
{
  g_autoptr(TestScepCa) other = test_scep_ca_new ("Another CA");
  g_autoptr(GBytes) other_der = test_scep_ca_der (other);

  check_refused (fixture, other_der, "is not the CA configured");
}

static void
test_no_anchor (EnrollFixture *fixture,
                gconstpointer  data)
{
  check_refused (fixture, NULL, "no trust anchor is configured");
}

/* An RA as NDES has them: one certificate receives requests, the other
 * signs CertReps, both issued by the CA with the Certificate Request
 * Agent purpose. Pending, then issued on CertPoll. */
static void
test_ra (EnrollFixture *fixture,
         gconstpointer  data)
{
  PendingCa *fake = pending_ca_start (0);
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/scep", fake->port);
  g_autoptr(CradleCaConnector) connector = cradle_scep_connector_new (url);
  g_autoptr(CradleCaRequest) request = scep_request (fixture->agent.device, "rsa2048", "x", NULL);
  g_autoptr(TestScepCa) encrypting = test_scep_ca_make_cert (fake->ca, "CEP Encryption", FALSE,
                                                             "critical,keyEncipherment",
                                                             TEST_SCEP_EKU_REQUEST_AGENT, TRUE);
  g_autoptr(TestScepCa) signing = test_scep_ca_make_cert (fake->ca, "Enrollment Agent", FALSE,
                                                          "critical,digitalSignature",
                                                          TEST_SCEP_EKU_REQUEST_AGENT, TRUE);
  X509 *certs[] = { fake->ca->cert, encrypting->cert, signing->cert };
  g_autoptr(GBytes) ca_der = test_scep_ca_der (fake->ca);
  char *anchor = write_pem (ca_der);
  g_autoptr(CradleCaAnswer) pending = NULL;
  g_autoptr(CradleCaAnswer) issued = NULL;

  pending_ca_play (fake, bundle_of (certs, G_N_ELEMENTS (certs)), encrypting, signing);
  cradle_ca_connector_add_trust_anchors (connector, anchor);
  pending = enroll_submit (connector, request);
  g_assert_cmpint (cradle_ca_answer_get_status (pending), ==, CRADLE_CA_STATUS_PENDING);
  issued = enroll_retrieve (connector, request, cradle_ca_answer_get_request_id (pending), NULL);
  enroll_assert_leaf_is_device_key (issued, request);
  /* The chain is the CA's; the RAs are not part of it. */
  g_assert_cmpuint (cradle_ca_answer_get_chain (issued)->len, ==, 1);
  pending_ca_stop (fake);
  remove_pem (anchor);
}

/* A man in the middle adds to GetCACert a certificate the CA issued him
 * (his phone's), and signs the CertRep with it: it chains to the anchors,
 * but it is no RA certificate. Nothing is sent; had it been, his PENDING
 * would have been taken as the CA's. */
static void
test_unrelated_signer (EnrollFixture *fixture,
                       gconstpointer  data)
{
  PendingCa *fake = pending_ca_start (0);
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/scep", fake->port);
  g_autoptr(CradleCaConnector) connector = cradle_scep_connector_new (url);
  g_autoptr(CradleCaRequest) request = scep_request (fixture->agent.device, "rsa2048", "secret-challenge", NULL);
  g_autoptr(TestScepCa) phone = test_scep_ca_make_cert (fake->ca, "Mallory's phone", FALSE,
                                                        "critical,digitalSignature", "clientAuth", TRUE);
  X509 *certs[] = { fake->ca->cert, phone->cert };
  g_autoptr(GBytes) ca_der = test_scep_ca_der (fake->ca);
  char *anchor = write_pem (ca_der);
  g_autoptr(GError) error = NULL;

  pending_ca_play (fake, bundle_of (certs, G_N_ELEMENTS (certs)), NULL, phone);
  cradle_ca_connector_add_trust_anchors (connector, anchor);
  error = enroll_submit_fails (connector, request, CRADLE_ERROR_NOT_CONFIGURED);
  g_test_message ("refused: %s", error->message);
  g_assert_nonnull (strstr (error->message, "CN=Mallory's phone"));
  g_assert_nonnull (strstr (error->message, "not a registration authority"));
  g_assert_null (strstr (error->message, "secret-challenge"));
  g_assert_cmpuint (pki_operations (fake), ==, 0);
  pending_ca_stop (fake);
  remove_pem (anchor);
}

/* An RA that only receives requests does not sign the CA's answers. */
static void
test_encrypting_ra_signs (EnrollFixture *fixture,
                          gconstpointer  data)
{
  PendingCa *fake = pending_ca_start (0);
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/scep", fake->port);
  g_autoptr(CradleCaConnector) connector = cradle_scep_connector_new (url);
  g_autoptr(CradleCaRequest) request = scep_request (fixture->agent.device, "rsa2048", "x", NULL);
  g_autoptr(TestScepCa) encrypting = test_scep_ca_make_cert (fake->ca, "CEP Encryption", FALSE,
                                                             "critical,keyEncipherment",
                                                             TEST_SCEP_EKU_REQUEST_AGENT, TRUE);
  g_autoptr(TestScepCa) signing = test_scep_ca_make_cert (fake->ca, "Enrollment Agent", FALSE,
                                                          "critical,digitalSignature",
                                                          TEST_SCEP_EKU_REQUEST_AGENT, TRUE);
  X509 *certs[] = { fake->ca->cert, encrypting->cert, signing->cert };
  g_autoptr(GBytes) ca_der = test_scep_ca_der (fake->ca);
  char *anchor = write_pem (ca_der);
  g_autoptr(GError) error = NULL;

  pending_ca_play (fake, bundle_of (certs, G_N_ELEMENTS (certs)), encrypting, encrypting);
  cradle_ca_connector_add_trust_anchors (connector, anchor);
  error = enroll_submit_fails (connector, request, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "not signed by the SCEP server's CA or RA"));
  pending_ca_stop (fake);
  remove_pem (anchor);
}

/* SHA-256 of @der, as a type writes CAFingerprint. */
static GBytes *
sha256_of (GBytes *der)
{
  guint8 digest[32];
  gsize size = sizeof digest;
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);

  g_checksum_update (checksum, g_bytes_get_data (der, NULL), g_bytes_get_size (der));
  g_checksum_get_digest (checksum, digest, &size);
  return g_bytes_new (digest, size);
}

/* CAFingerprint: the right CA enrolls; another CA, though it verifies
 * against the anchors, is refused before any PKIOperation. */
static void
test_pinned (EnrollFixture *fixture,
             gconstpointer  data)
{
  PendingCa *fake = pending_ca_start (0);
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/scep", fake->port);
  g_autoptr(GBytes) ca_der = test_scep_ca_der (fake->ca);
  g_autoptr(GBytes) right = sha256_of (ca_der);
  g_autoptr(TestScepCa) other = test_scep_ca_new ("Pending SCEP CA");
  g_autoptr(GBytes) other_der = test_scep_ca_der (other);
  g_autoptr(GBytes) wrong = sha256_of (other_der);
  char *anchor = write_pem (ca_der);

  {
    g_autoptr(CradleCaConnector) connector = cradle_scep_connector_new (url);
    g_autoptr(CradleCaRequest) request = scep_request (fixture->agent.device, "rsa2048", "x", NULL);
    g_autoptr(CradleCaAnswer) pending = NULL;

    cradle_ca_connector_add_trust_anchors (connector, anchor);
    cradle_scep_connector_set_ca_fingerprint (connector, right);
    pending = enroll_submit (connector, request);
    g_assert_cmpint (cradle_ca_answer_get_status (pending), ==, CRADLE_CA_STATUS_PENDING);
    g_assert_cmpuint (pki_operations (fake), ==, 1);
  }
  {
    g_autoptr(CradleCaConnector) connector = cradle_scep_connector_new (url);
    g_autoptr(CradleCaRequest) request = scep_request (fixture->agent.device, "rsa2048", "secret-challenge", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) certificates = NULL;

    cradle_ca_connector_add_trust_anchors (connector, anchor);
    cradle_scep_connector_set_ca_fingerprint (connector, wrong);
    error = enroll_submit_fails (connector, request, CRADLE_ERROR_NOT_CONFIGURED);
    g_test_message ("refused: %s", error->message);
    g_assert_nonnull (strstr (error->message, "CAFingerprint"));
    g_assert_null (strstr (error->message, "secret-challenge"));
    g_assert_cmpuint (pki_operations (fake), ==, 1);
    g_clear_error (&error);
    certificates = cradle_ca_connector_dup_ca_certificates (connector, NULL, &error);
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED);
    g_assert_null (certificates);
  }
  pending_ca_stop (fake);
  remove_pem (anchor);
}

/* The lab's scepserver, pinned: its CA's fingerprint enrolls; another
 * refuses before the request goes out. */
static void
test_lab_pinned (EnrollFixture *fixture,
                 gconstpointer  data)
{
  SKIP_WITHOUT_LAB (fixture);
  g_autoptr(GBytes) ca_der = read_pem_certificate (enroll_fixture_env (fixture, "CRADLE_LAB_SCEP_CA"));
  g_autoptr(GBytes) right = sha256_of (ca_der);
  guint8 flipped[32];

  {
    g_autoptr(CradleCaConnector) connector = lab_scep (fixture);
    g_autoptr(CradleCaRequest) request =
      scep_request (fixture->agent.device, "rsa2048", enroll_fixture_env (fixture, "CRADLE_LAB_SCEP_CHALLENGE"), NULL);
    g_autoptr(CradleCaAnswer) answer = NULL;

    cradle_scep_connector_set_ca_fingerprint (connector, right);
    answer = enroll_submit (connector, request);
    enroll_assert_leaf_is_device_key (answer, request);
  }
  memcpy (flipped, g_bytes_get_data (right, NULL), sizeof flipped);
  flipped[31] ^= 0x01;
  {
    g_autoptr(CradleCaConnector) connector = lab_scep (fixture);
    g_autoptr(CradleCaRequest) request =
      scep_request (fixture->agent.device, "rsa2048", enroll_fixture_env (fixture, "CRADLE_LAB_SCEP_CHALLENGE"), NULL);
    g_autoptr(GBytes) wrong = g_bytes_new (flipped, sizeof flipped);
    g_autoptr(GError) error = NULL;

    cradle_scep_connector_set_ca_fingerprint (connector, wrong);
    error = enroll_submit_fails (connector, request, CRADLE_ERROR_NOT_CONFIGURED);
    g_assert_nonnull (strstr (error->message, "CAFingerprint"));
    g_assert_null (strstr (error->message, enroll_fixture_env (fixture, "CRADLE_LAB_SCEP_CHALLENGE")));
  }
}

/* Where misbehaving-scep.py "ee-ra" writes what it read (set in main()). */
static char *misbehaving_loot;

/* The man in the middle of misbehaving-scep.py "ee-ra": GetCACert holds
 * his phone's certificate beside the CA, and he decrypts whatever comes.
 * The challenge never goes to him: nothing is sent at all. */
static void
test_end_entity_ra (EnrollFixture *fixture,
                    gconstpointer  data)
{
  g_autofree char *url = enroll_fixture_misbehaving_url (fixture, "misbehaving-scep.py", "ee-ra", "/scep");
  g_autoptr(CradleCaConnector) connector = cradle_scep_connector_new (url);
  g_autoptr(CradleCaRequest) request = scep_request (fixture->agent.device, "rsa2048", "secret-challenge", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleCaAnswer) answer = NULL;
  g_autofree char *loot = NULL;

  g_unlink (misbehaving_loot);
  cradle_ca_connector_add_trust_anchors (connector, misbehaving_ca_pem);
  answer = cradle_ca_connector_submit (connector, request, NULL, &error);
  /* What he got, first: with the request encrypted to his phone, the challenge. */
  if (g_file_get_contents (misbehaving_loot, &loot, NULL, NULL))
    g_error ("The man in the middle got a PKIOperation and read: %s", loot);
  g_assert_null (answer);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED);
  g_test_message ("refused: %s", error->message);
  g_assert_nonnull (strstr (error->message, "CN=Mallory's phone"));
  g_assert_nonnull (strstr (error->message, "ordinary certificate"));
  g_assert_null (strstr (error->message, "secret-challenge"));
}

static void
test_ca_stopped (EnrollFixture *fixture,
                 gconstpointer  data)
{
  g_autofree char *url = enroll_closed_port_url ("http", "127.0.0.1", "/scep");
  g_autoptr(CradleCaConnector) connector = cradle_scep_connector_new (url);
  g_autoptr(CradleCaRequest) request = scep_request (fixture->agent.device, "rsa2048", "x", NULL);
  g_autoptr(GError) error = enroll_submit_fails (connector, request, CRADLE_ERROR_UNREACHABLE);
}

static void
test_ec_key (EnrollFixture *fixture,
             gconstpointer  data)
{
  /* Refused before any exchange: nothing listens at this address. */
  g_autoptr(CradleCaConnector) connector = cradle_scep_connector_new ("http://127.0.0.1:9/scep");
  g_autoptr(CradleCaRequest) request = scep_request (fixture->agent.device, "p256", "x", NULL);
  g_autoptr(GError) error = enroll_submit_fails (connector, request, CRADLE_ERROR_NOT_SUPPORTED);

  g_assert_nonnull (strstr (error->message, "RSA"));
}

static const EnrollMalformedCase misbehaviours[] = {
  { "html", CRADLE_ERROR_INVALID_DATA, "text/html instead of a SCEP message" },
  { "truncated", CRADLE_ERROR_INVALID_DATA, "truncated" },
  { "echo", CRADLE_ERROR_INVALID_DATA, "not signed by the SCEP server's CA" },
  { "get-only", CRADLE_ERROR_INVALID_DATA, "not signed by the SCEP server's CA" },
  { "certs-only", CRADLE_ERROR_INVALID_DATA, "exactly one signature" },
  { "oversized", CRADLE_ERROR_INVALID_DATA, NULL },
  { "slow", CRADLE_ERROR_TIMED_OUT, NULL },
  { "error", CRADLE_ERROR_FAILED, "the CA's database is locked" },
  { "not-found", CRADLE_ERROR_NOT_CONFIGURED, "no SCEP service" },
  { "caps-html", CRADLE_ERROR_INVALID_DATA, "capability list" },
  { "cacert-garbage", CRADLE_ERROR_INVALID_DATA, "not one DER certificate" },
  { "cacert-ec", CRADLE_ERROR_NOT_SUPPORTED, "RSA key to encrypt" },
};

static void
test_misbehaving (EnrollFixture *fixture,
                  gconstpointer  data)
{
  const EnrollMalformedCase *misbehaviour = data;
  g_autofree char *url = enroll_fixture_misbehaving_url (fixture, "misbehaving-scep.py", misbehaviour->mode, "/scep");
  g_autoptr(CradleCaConnector) connector = cradle_scep_connector_new (url);
  g_autoptr(CradleCaRequest) request = scep_request (fixture->agent.device, "rsa2048", "secret-challenge", NULL);
  gint64 started = g_get_monotonic_time ();
  g_autoptr(GError) error = NULL;

  /* The server wrote its CA before it said its port. */
  cradle_ca_connector_add_trust_anchors (connector, misbehaving_ca_pem);
  error = enroll_submit_malformed (connector, request, misbehaviour);

  /* No secret in what people read. */
  g_assert_null (strstr (error->message, "secret-challenge"));
  g_assert_cmpint (g_get_monotonic_time () - started, <, 8 * G_USEC_PER_SEC);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *folder = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  folder = g_dir_make_tmp ("cradle-scep-test-XXXXXX", NULL);
  g_assert_nonnull (folder);
  misbehaving_ca_pem = g_build_filename (folder, "misbehaving-ca.pem", NULL);
  misbehaving_loot = g_build_filename (folder, "loot.txt", NULL);
  /* Read by misbehaving-scep.py, started by the tests below. */
  g_setenv ("CRADLE_MISBEHAVING_SCEP_CA", misbehaving_ca_pem, TRUE);
  g_setenv ("CRADLE_MISBEHAVING_SCEP_LOOT", misbehaving_loot, TRUE);

  enroll_test_add (test_ca_certificates, NULL, "/scep/lab/ca-certificates");
  enroll_test_add (test_issued, NULL, "/scep/lab/issued");
  enroll_test_add (test_wrong_challenge, NULL, "/scep/lab/wrong-challenge");
  enroll_test_add (test_lab_pinned, NULL, "/scep/lab/pinned");
  enroll_test_add_device_only (test_pending_then_issued, NULL, "/scep/pending-then-issued");
  enroll_test_add_device_only (test_prepared, NULL, "/scep/prepared");
  enroll_test_add_device_only (test_ca_stopped, NULL, "/scep/ca-stopped");
  enroll_test_add_device_only (test_ec_key, NULL, "/scep/ec-key");
  enroll_test_add_device_only (test_wrong_anchor, NULL, "/scep/wrong-anchor");
  enroll_test_add_device_only (test_no_anchor, NULL, "/scep/no-anchor");
  enroll_test_add_device_only (test_ra, NULL, "/scep/recipients/ra");
  enroll_test_add_device_only (test_unrelated_signer, NULL, "/scep/recipients/unrelated-signer");
  enroll_test_add_device_only (test_encrypting_ra_signs, NULL, "/scep/recipients/encrypting-ra-signs");
  enroll_test_add_device_only (test_end_entity_ra, NULL, "/scep/recipients/end-entity-ra");
  enroll_test_add_device_only (test_pinned, NULL, "/scep/pinned");
  for (gsize i = 0; i < G_N_ELEMENTS (misbehaviours); i++)
    enroll_test_add_device_only (test_misbehaving, &misbehaviours[i], "/scep/misbehaving/%s",
                                 misbehaviours[i].mode);

  status = g_test_run ();
  g_unlink (misbehaving_ca_pem);
  g_unlink (misbehaving_loot);
  g_rmdir (folder);
  g_free (misbehaving_ca_pem);
  g_free (misbehaving_loot);
  return status;
}
