/* cradle-scep-connector.c: SCEP (RFC 8894) with the key on the device
 *
 * Each submission asks the CA what it can do (GetCACaps) and for its
 * certificates (GetCACert), on a thread while the device makes the key
 * when the engine prepares the connector, then sends one pkiMessage (PKCSReq; CertPoll
 * when retrieving) and reads the CertRep. The device signs and decrypts
 * (cradle-scep-message.c, cradle-scep-reply.c); the challenge password
 * travels inside the PKCS#10, encrypted to the CA, and nowhere else.
 */
#include "config.h"

#include <string.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <cradle/cradle.h>

#include "ca/cradle-ca-answer-private.h"
#include "ca/cradle-ca-connector-private.h"
#include "ca/scep/cradle-scep-private.h"

#define MAX_REASON 200

G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_STORE, X509_STORE_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_STORE_CTX, X509_STORE_CTX_free)

/* What cradle_ca_connector_prepare() fetched for the next exchange. */
struct _CradleScepConnector
{
  CradleCaConnector parent_instance;

  /* Set before the first exchange */
  gboolean        pinned;
  guint8          ca_fingerprint[32];   /* SHA-256 of the SCEP CA's certificate */

  GMutex          lock;
  GCond           prepared;
  gboolean        preparing;
  CradleScepCaps *caps;
  CradleScepCa   *ca;
};

G_DECLARE_FINAL_TYPE (CradleScepConnector, cradle_scep_connector, CRADLE, SCEP_CONNECTOR, CradleCaConnector)
G_DEFINE_FINAL_TYPE (CradleScepConnector, cradle_scep_connector, CRADLE_TYPE_CA_CONNECTOR)

static char *
operation_url (CradleCaConnector *self,
               const char        *operation,
               const char        *message)
{
  const char *base = cradle_ca_connector_get_url (self);
  g_autofree char *escaped = message != NULL ? g_uri_escape_string (message, NULL, FALSE) : NULL;

  return g_strconcat (base, strchr (base, '?') != NULL ? "&" : "?", "operation=", operation,
                      escaped != NULL ? "&message=" : "", escaped != NULL ? escaped : "", NULL);
}

/* The media type without parameters, or %NULL. */
static char *
media_type (CradleHttpResponse *response)
{
  g_autofree char *type = NULL;
  char *semicolon;

  if (response->content_type == NULL)
    return NULL;
  type = g_strdup (response->content_type);
  semicolon = strchr (type, ';');
  if (semicolon != NULL)
    *semicolon = '\0';
  return g_strdup (g_strstrip (type));
}

/* The first line of a plain-text body, bounded and printable, or %NULL. */
static char *
dup_reason (CradleHttpResponse *response)
{
  gsize size = 0;
  const char *data = g_bytes_get_data (response->body, &size);
  g_autofree char *valid = NULL;
  GString *line;

  if (size == 0 || !(response->content_type == NULL || cradle_http_response_has_type (response, "text/plain")))
    return NULL;
  valid = g_utf8_make_valid (data, MIN (size, MAX_REASON));
  line = g_string_new (NULL);
  for (const char *p = valid; *p != '\0' && *p != '\n'; p++)
    g_string_append_c (line, g_ascii_iscntrl (*p) ? ' ' : *p);
  g_strstrip (line->str);
  if (line->str[0] == '\0')
    {
      g_string_free (line, TRUE);
      return NULL;
    }
  return g_string_free (line, FALSE);
}

/* An HTTP status other than 200, as an error a person can act on. */
static void
set_status_error (GError            **error,
                  CradleCaConnector  *self,
                  CradleHttpResponse *response,
                  const char         *operation)
{
  const char *url = cradle_ca_connector_get_url (self);
  g_autofree char *host = cradle_http_dup_host (url);
  g_autofree char *reason = dup_reason (response);
  g_autofree char *detail = reason != NULL ? g_strdup_printf (": %s", reason) : g_strdup ("");

  if (response->status == 404)
    g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                 "%s has no SCEP service at %s (HTTP 404 to %s). Check the SCEP address of this "
                 "certificate type.", host, url, operation);
  else if (response->status == 503)
    g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE,
                 "The SCEP server %s is unavailable (HTTP 503 to %s%s). Try again later.",
                 host, operation, detail);
  else
    g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_FAILED,
                 "The SCEP server %s failed on %s (HTTP %u%s). Try again later; if this persists, "
                 "support should check the SCEP server's log.", host, operation, response->status, detail);
}

static CradleHttpResponse *
send_get (CradleCaConnector  *self,
          const char         *operation,
          const char         *message,
          GCancellable       *cancellable,
          GError            **error)
{
  g_autofree char *url = operation_url (self, operation, message);
  CradleHttpRequest request = { .method = "GET", .url = url, .authenticate = FALSE };
  g_autoptr(CradleHttpResponse) response = NULL;

  response = cradle_http_send (cradle_ca_connector_get_http (self), &request, cancellable, error);
  if (response == NULL)
    return NULL;
  if (response->status != 200)
    {
      set_status_error (error, self, response, operation);
      return NULL;
    }
  return g_steal_pointer (&response);
}

static CradleScepCaps *
get_caps (CradleCaConnector  *self,
          GCancellable       *cancellable,
          GError            **error)
{
  g_autoptr(CradleHttpResponse) response = send_get (self, "GetCACaps", NULL, cancellable, error);

  if (response == NULL)
    return NULL;
  /* Text, one word a line; some servers leave the type out. */
  if (response->content_type != NULL && !cradle_http_response_has_type (response, "text/plain"))
    {
      g_autofree char *host = cradle_http_dup_host (cradle_ca_connector_get_url (self));
      g_autofree char *type = media_type (response);

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s answered GetCACaps with %s instead of a SCEP capability list (text/plain). "
                   "The address may not be a SCEP server; check it.", host, type);
      return NULL;
    }
  return cradle_scep_caps_parse (response->body, error);
}

/* The certificates of @anchors_file, as the only trust: not the system's
 * store, where a public web CA must not vouch for a SCEP CA. */
static X509_STORE *
anchors_store (const char  *anchors_file,
               GError     **error)
{
  g_autoptr(BIO) bio = BIO_new_file (anchors_file, "r");
  X509_STORE *store = X509_STORE_new ();
  X509 *cert;
  guint added = 0;

  while (store != NULL && bio != NULL && (cert = PEM_read_bio_X509 (bio, NULL, NULL, NULL)) != NULL)
    {
      if (X509_STORE_add_cert (store, cert) == 1)
        added++;
      X509_free (cert);
    }
  ERR_clear_error ();
  if (added == 0)
    {
      X509_STORE_free (store);
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "The SCEP server's CA certificate cannot be checked: no certificate could be read "
                   "from the trust anchors file %s. Ask your administrator to fix the type's "
                   "TrustAnchors.", anchors_file);
      return NULL;
    }
  return store;
}

/* RFC 8894 2.2: the CA certificate GetCACert gave is authenticated out of
 * band before anything is encrypted to it.  Every certificate of the answer
 * (the CA, and an RA that chains to it) must verify against the connector's
 * trust anchors alone; a self-signed CA listed there is trusted as itself,
 * and so is any certificate listed there. */
static gboolean
verify_ca (CradleCaConnector  *self,
           CradleScepCa       *ca,
           GError            **error)
{
  const char *anchors_file = cradle_http_get_trust_anchors_file (cradle_ca_connector_get_http (self));
  g_autoptr(X509_STORE) store = NULL;

  if (anchors_file == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                           "The SCEP server's CA certificate cannot be checked: no trust anchor is "
                           "configured for this certificate type. Ask your administrator to add the "
                           "CA's certificate to the type's TrustAnchors.");
      return FALSE;
    }
  store = anchors_store (anchors_file, error);
  if (store == NULL)
    return FALSE;

  for (int i = 0; i < sk_X509_num (ca->certs); i++)
    {
      X509 *cert = sk_X509_value (ca->certs, i);
      g_autoptr(X509_STORE_CTX) context = X509_STORE_CTX_new ();
      int result = -1;

      if (context != NULL && X509_STORE_CTX_init (context, store, cert, ca->certs) == 1)
        {
          X509_STORE_CTX_set_flags (context, X509_V_FLAG_PARTIAL_CHAIN);
          result = X509_verify_cert (context);
        }
      if (result != 1)
        {
          g_autofree char *host = cradle_http_dup_host (cradle_ca_connector_get_url (self));
          g_autofree char *subject = cradle_scep_dup_subject (cert);
          g_autofree char *fingerprint = cradle_scep_dup_sha256 (cert);
          const char *why = context != NULL
                            ? X509_verify_cert_error_string (X509_STORE_CTX_get_error (context))
                            : "out of memory";

          ERR_clear_error ();
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                       "The SCEP server %s sent a CA certificate that is not the CA configured for "
                       "this certificate type: \"%s\" (SHA-256 %s) does not verify against the "
                       "trust anchors in %s (%s). The request was not sent. If this CA is the right "
                       "one, ask your administrator to add its certificate to the type's "
                       "TrustAnchors; otherwise the connection may be intercepted.",
                       host, subject, fingerprint, anchors_file, why);
          return FALSE;
        }
    }
  return TRUE;
}

static char *
format_fingerprint (const guint8 *digest)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < 32; i++)
    g_string_append_printf (text, "%s%02X", i > 0 ? ":" : "", digest[i]);
  return g_string_free (text, FALSE);
}

/* The type's CAFingerprint, when it has one: the SCEP CA (the CA that
 * issues, and issued the RAs) must be exactly that certificate, as sscep's
 * and Apple's SCEP clients check it.  It is checked beside the trust
 * anchors, not instead of them. */
static gboolean
check_pin (CradleCaConnector  *self,
           CradleScepCa       *ca,
           GError            **error)
{
  CradleScepConnector *scep = CRADLE_SCEP_CONNECTOR (self);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;

  if (!scep->pinned)
    return TRUE;
  if (X509_digest (ca->issuer, EVP_sha256 (), digest, &size) != 1 || size != sizeof scep->ca_fingerprint
      || memcmp (digest, scep->ca_fingerprint, sizeof scep->ca_fingerprint) != 0)
    {
      g_autofree char *host = cradle_http_dup_host (cradle_ca_connector_get_url (self));
      g_autofree char *subject = cradle_scep_dup_subject (ca->issuer);
      g_autofree char *got = cradle_scep_dup_sha256 (ca->issuer);
      g_autofree char *wanted = format_fingerprint (scep->ca_fingerprint);

      ERR_clear_error ();
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "The SCEP server %s sent the CA certificate \"%s\" (SHA-256 %s), but this "
                   "certificate type pins its CA to SHA-256 %s (CAFingerprint). The request, and its "
                   "challenge, were not sent. If the CA's certificate was renewed, ask your "
                   "administrator to update the type's CAFingerprint; otherwise the connection may be "
                   "intercepted.", host, subject, got, wanted);
      return FALSE;
    }
  return TRUE;
}

/* GetCACert, parsed, its RAs judged (cradle_scep_ca_parse()), its CA
 * checked against the pin and every certificate against the trust
 * anchors. */
static CradleScepCa *
get_ca (CradleCaConnector  *self,
        GCancellable       *cancellable,
        GError            **error)
{
  g_autoptr(CradleHttpResponse) response = NULL;
  g_autoptr(CradleScepCa) ca = NULL;
  g_autofree char *type = NULL;

  response = send_get (self, "GetCACert", NULL, cancellable, error);
  if (response == NULL)
    return NULL;
  type = media_type (response);
  ca = cradle_scep_ca_parse (type, response->body, error);
  if (ca == NULL || !check_pin (self, ca, error) || !verify_ca (self, ca, error))
    return NULL;
  return g_steal_pointer (&ca);
}

/* ---- prepared while the device makes the key ------------------------------ */

/* Hands the prepared answers to one exchange (waiting for them when they
 * are on their way), so that no two threads use the connection at once
 * and no exchange reuses another's. */
static void
take_prepared (CradleScepConnector  *self,
               CradleScepCaps      **caps,
               CradleScepCa        **ca)
{
  g_mutex_lock (&self->lock);
  while (self->preparing)
    g_cond_wait (&self->prepared, &self->lock);
  *caps = g_steal_pointer (&self->caps);
  *ca = g_steal_pointer (&self->ca);
  g_mutex_unlock (&self->lock);
}

/* A failure is forgotten here: the exchange asks again and reports it. */
static gpointer
prepare_thread (gpointer data)
{
  g_autoptr(CradleScepConnector) self = data;
  g_autoptr(CradleScepCaps) caps = NULL;
  g_autoptr(CradleScepCa) ca = NULL;
  g_autoptr(GError) error = NULL;

  /* Cancelled only when the process exits, which then waits for us. */
  GCancellable *cancellable = cradle_http_get_background_cancellable ();

  caps = get_caps (CRADLE_CA_CONNECTOR (self), cancellable, &error);
  if (caps != NULL)
    ca = get_ca (CRADLE_CA_CONNECTOR (self), cancellable, &error);
  if (error != NULL)
    g_debug ("SCEP: asking %s ahead failed (the submission asks again): %s",
             cradle_ca_connector_get_url (CRADLE_CA_CONNECTOR (self)), error->message);

  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->caps, cradle_scep_caps_free);
  g_clear_pointer (&self->ca, cradle_scep_ca_free);
  self->caps = g_steal_pointer (&caps);
  self->ca = g_steal_pointer (&ca);
  self->preparing = FALSE;
  g_cond_broadcast (&self->prepared);
  g_mutex_unlock (&self->lock);
  g_clear_object (&self);
  cradle_http_thread_done ();
  return NULL;
}

static void
scep_prepare (CradleCaConnector *connector)
{
  CradleScepConnector *self = CRADLE_SCEP_CONNECTOR (connector);
  GThread *thread;

  CRADLE_CA_CONNECTOR_CLASS (cradle_scep_connector_parent_class)->prepare (connector);
  g_mutex_lock (&self->lock);
  if (self->preparing)
    {
      g_mutex_unlock (&self->lock);
      return;
    }
  self->preparing = TRUE;
  g_mutex_unlock (&self->lock);

  thread = g_thread_try_new ("cradle-scep-ca", prepare_thread, g_object_ref (self), NULL);
  if (thread != NULL)
    {
      cradle_http_track_thread (thread);
      return;
    }
  g_object_unref (self);
  g_mutex_lock (&self->lock);
  self->preparing = FALSE;
  g_mutex_unlock (&self->lock);
}

/* PKIOperation: POST when the CA takes it, else GET with the message in the query. */
static GBytes *
send_message (CradleCaConnector  *self,
              CradleScepCaps     *caps,
              GBytes             *message,
              GCancellable       *cancellable,
              GError            **error)
{
  g_autoptr(CradleHttpResponse) response = NULL;
  g_autofree char *url = NULL;
  g_autofree char *type = NULL;

  if (caps->post)
    {
      CradleHttpRequest request = {
        .method = "POST",
        .content_type = "application/x-pki-message",
        .body = message,
        .authenticate = FALSE,
      };

      url = operation_url (self, "PKIOperation", NULL);
      request.url = url;
      response = cradle_http_send (cradle_ca_connector_get_http (self), &request, cancellable, error);
      if (response != NULL && response->status != 200)
        {
          set_status_error (error, self, response, "PKIOperation");
          return NULL;
        }
    }
  else
    {
      g_autofree char *base64 = g_base64_encode (g_bytes_get_data (message, NULL), g_bytes_get_size (message));

      response = send_get (self, "PKIOperation", base64, cancellable, error);
    }
  if (response == NULL)
    return NULL;

  type = media_type (response);
  if (type == NULL || g_ascii_strcasecmp (type, "application/x-pki-message") != 0)
    {
      g_autofree char *host = cradle_http_dup_host (cradle_ca_connector_get_url (self));

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The SCEP server %s answered with %s instead of a SCEP message "
                   "(application/x-pki-message). Nothing was installed; if this persists, support "
                   "should check the SCEP server.", host, type != NULL ? type : "no content type");
      return NULL;
    }
  return g_bytes_ref (response->body);
}

/* The request's subject and public key, read back from its PKCS#10. */
static X509_REQ *
read_csr (GBytes  *csr,
          GError **error)
{
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (csr, &size);
  const guint8 *p = data;
  X509_REQ *req = size > 0 && size <= G_MAXLONG ? d2i_X509_REQ (NULL, &p, (long) size) : NULL;

  if (req == NULL || p != data + size || X509_REQ_get0_pubkey (req) == NULL)
    {
      X509_REQ_free (req);
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The certification request to send by SCEP cannot be read back");
      return NULL;
    }
  return req;
}

static CradleScepKey *
device_key_for (CradleCaRequest  *request,
                X509_REQ         *csr,
                GError          **error)
{
  CradleDevice *device = cradle_ca_request_get_device (request);
  GBytes *key_id = cradle_ca_request_get_key_id (request);
  unsigned char *der = NULL;
  int size;
  g_autoptr(GBytes) public_key = NULL;

  if (device == NULL || key_id == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                           "SCEP needs the device that holds the request's key: it signs and decrypts "
                           "the SCEP messages. Connect the device and enroll from it.");
      return NULL;
    }
  size = i2d_PUBKEY (X509_REQ_get0_pubkey (csr), &der);
  if (size <= 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The certification request's public key cannot be read");
      return NULL;
    }
  public_key = cradle_openssl_take_der (der, size);
  return cradle_scep_key_new_for_device (device, key_id, public_key, error);
}

static gboolean
transaction_id_valid (const char *id)
{
  gsize length = strlen (id);

  if (length == 0 || length > 128)
    return FALSE;
  for (const char *p = id; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && strchr (" '()+,-./:=?", *p) == NULL)
      return FALSE;
  return TRUE;
}

/* The leaf and chain from the CertRep, with the CA certificates GetCACert
 * gave, each once. */
static GPtrArray *
merge_certificates (GPtrArray    *issued,
                    CradleScepCa *ca)
{
  g_autoptr(GPtrArray) chain = cradle_scep_ca_dup_chain (ca);
  GPtrArray *all = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < issued->len; i++)
    g_ptr_array_add (all, g_object_ref (g_ptr_array_index (issued, i)));
  for (guint i = 0; i < chain->len; i++)
    {
      CradleCertificate *candidate = g_ptr_array_index (chain, i);
      gboolean known = FALSE;

      for (guint j = 0; j < all->len && !known; j++)
        known = g_str_equal (cradle_certificate_get_sha256 (candidate),
                             cradle_certificate_get_sha256 (g_ptr_array_index (all, j)));
      if (!known)
        g_ptr_array_add (all, g_object_ref (candidate));
    }
  return all;
}

/* A renewal's signer: the old certificate, and its key on the device. */
static gboolean
renewal_signer (CradleCaRequest  *request,
                X509            **signer,
                CradleScepKey   **key,
                GError          **error)
{
  CradleCertificate *old = cradle_ca_request_get_renewal_certificate (request);
  GBytes *der = cradle_certificate_get_der (old);
  const guint8 *p = g_bytes_get_data (der, NULL);
  g_autoptr(X509) certificate = d2i_X509 (NULL, &p, (long) g_bytes_get_size (der));
  unsigned char *spki = NULL;
  int size;
  g_autoptr(GBytes) public_key = NULL;

  size = certificate != NULL ? i2d_PUBKEY (X509_get0_pubkey (certificate), &spki) : 0;
  if (size <= 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The certificate to renew cannot be read; it cannot sign the SCEP renewal.");
      return FALSE;
    }
  public_key = cradle_openssl_take_der (spki, size);
  *key = cradle_scep_key_new_for_device (cradle_ca_request_get_device (request),
                                         cradle_ca_request_get_renewal_key_id (request), public_key, error);
  if (*key == NULL)
    return FALSE;
  *signer = g_steal_pointer (&certificate);
  return TRUE;
}

static CradleCaAnswer *
exchange (CradleCaConnector      *self,
          CradleCaRequest        *request,
          CradleScepMessageType   type,
          const char             *request_id,
          GCancellable           *cancellable,
          GError                **error)
{
  g_autoptr(X509_REQ) csr = NULL;
  g_autoptr(CradleScepKey) key = NULL;
  g_autoptr(CradleScepCaps) caps = NULL;
  g_autoptr(CradleScepCa) ca = NULL;
  g_autoptr(X509) signer = NULL;
  g_autoptr(GBytes) message_data = NULL;
  g_autoptr(GBytes) message = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(CradleScepReply) reply = NULL;
  g_autofree char *transaction_id = NULL;
  CradleScepMessageInfo info = { .type = type };

  csr = read_csr (cradle_ca_request_get_csr (request), error);
  if (csr == NULL)
    return NULL;
  key = device_key_for (request, csr, error);
  if (key == NULL)
    return NULL;
  /* A renewal's transaction is the new key's too (RFC 8894 3.2.1.1). */
  transaction_id = request_id != NULL ? g_strdup (request_id) : cradle_scep_transaction_id (key);
  if (!transaction_id_valid (transaction_id))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The stored SCEP transaction id is not one SCEP can carry (1 to 128 "
                           "printable characters); the pending request cannot be retrieved.");
      return NULL;
    }

  take_prepared (CRADLE_SCEP_CONNECTOR (self), &caps, &ca);
  if (caps == NULL && (caps = get_caps (self, cancellable, error)) == NULL)
    return NULL;
  if (ca == NULL && (ca = get_ca (self, cancellable, error)) == NULL)
    return NULL;

  /* RFC 8894 3.3.1.2: a RenewalReq, signed with the old certificate and
   * its key, only to a CA that offers "Renewal"; else a PKCSReq (and its
   * CertPoll) as for a new enrollment. */
  info.renewal = caps->renewal && cradle_ca_request_get_renewal_certificate (request) != NULL &&
                 cradle_ca_request_get_renewal_key_id (request) != NULL;
  if (info.renewal && type == CRADLE_SCEP_PKCS_REQ)
    info.type = CRADLE_SCEP_RENEWAL_REQ;
  g_debug ("SCEP %s for transaction %s: the CA offers \"%s\"; %s, %s, %s",
           info.type == CRADLE_SCEP_PKCS_REQ ? "PKCSReq" : info.type == CRADLE_SCEP_RENEWAL_REQ ? "RenewalReq"
           : info.renewal ? "CertPoll (renewal)" : "CertPoll", transaction_id, caps->words,
           caps->digest, caps->cipher, caps->post ? "POST" : "GET");

  info.transaction_id = transaction_id;
  info.digest = caps->digest;
  info.cipher = caps->cipher;
  if (RAND_bytes (info.sender_nonce, sizeof info.sender_nonce) != 1)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_FAILED, "The random number generator failed");
      return NULL;
    }

  if (info.renewal)
    {
      /* The old key signs, and the CA may encrypt its answer to it. */
      g_clear_pointer (&key, cradle_scep_key_free);
      if (!renewal_signer (request, &signer, &key, error))
        return NULL;
    }
  else
    signer = cradle_scep_make_signer (key, X509_REQ_get_subject_name (csr), transaction_id, caps->digest,
                                      cancellable, error);
  if (signer == NULL)
    return NULL;
  if (type == CRADLE_SCEP_PKCS_REQ)
    message_data = g_bytes_ref (cradle_ca_request_get_csr (request));
  else
    message_data = cradle_scep_issuer_and_subject (X509_get_subject_name (ca->issuer),
                                                   X509_REQ_get_subject_name (csr), error);
  if (message_data == NULL)
    return NULL;
  message = cradle_scep_message_build (&info, message_data, ca->recipient, signer, key, cancellable, error);
  if (message == NULL)
    return NULL;

  answer = send_message (self, caps, message, cancellable, error);
  if (answer == NULL)
    return NULL;
  reply = cradle_scep_reply_parse (answer, &info, ca, signer, key, cancellable, error);
  if (reply == NULL)
    return NULL;

  switch (reply->status)
    {
    case CRADLE_SCEP_SUCCESS:
      {
        g_autoptr(GPtrArray) certificates = merge_certificates (reply->certificates, ca);

        return cradle_ca_answer_new_issued_for_request (CRADLE_CA_PROTOCOL_SCEP, transaction_id, request,
                                                        certificates, error);
      }
    case CRADLE_SCEP_PENDING:
      return cradle_ca_answer_new_pending (CRADLE_CA_PROTOCOL_SCEP, transaction_id, NULL, 0, NULL);
    case CRADLE_SCEP_FAILURE:
    default:
      {
        /* The failInfo's name, then the CA's own words when it gave any. */
        g_autofree char *words = reply->fail_info_text != NULL && reply->fail_info_text[0] != '\0'
                                 ? g_strdup_printf ("%s: %s", cradle_scep_fail_info_to_string (reply->fail_info),
                                                    reply->fail_info_text)
                                 : g_strdup (cradle_scep_fail_info_to_string (reply->fail_info));

        return cradle_ca_answer_new_denied (CRADLE_CA_PROTOCOL_SCEP, transaction_id, reply->fail_info, words);
      }
    }
}

static CradleCaAnswer *
scep_submit (CradleCaConnector  *self,
             CradleCaRequest    *request,
             GCancellable       *cancellable,
             GError            **error)
{
  return exchange (self, request, CRADLE_SCEP_PKCS_REQ, NULL, cancellable, error);
}

static CradleCaAnswer *
scep_retrieve (CradleCaConnector  *self,
               CradleCaRequest    *request,
               const char         *request_id,
               const char         *retrieve_uri,
               GCancellable       *cancellable,
               GError            **error)
{
  /* RFC 8894 3.3.3: CertPoll, same transactionID, a signer over the same key. */
  return exchange (self, request, CRADLE_SCEP_CERT_POLL, request_id, cancellable, error);
}

static GPtrArray *
scep_dup_ca_certificates (CradleCaConnector  *self,
                          GCancellable       *cancellable,
                          GError            **error)
{
  g_autoptr(CradleScepCaps) caps = NULL;
  g_autoptr(CradleScepCa) ca = NULL;

  take_prepared (CRADLE_SCEP_CONNECTOR (self), &caps, &ca);
  if (ca == NULL)
    ca = get_ca (self, cancellable, error);

  return ca != NULL ? cradle_scep_ca_dup_chain (ca) : NULL;
}

/* Every certificate GetCACert sent (the CA's, its RAs'), for people to see. */
static void
add_certificates (CradleCaDescription *description,
                  CradleScepCa        *ca)
{
  for (int i = 0; i < sk_X509_num (ca->certs); i++)
    {
      unsigned char *der = NULL;
      int size = i2d_X509 (sk_X509_value (ca->certs, i), &der);
      g_autoptr(GBytes) bytes = NULL;
      CradleCertificate *certificate;

      if (size <= 0)
        continue;
      bytes = cradle_openssl_take_der (der, size);
      certificate = cradle_certificate_new_from_der (bytes, NULL);
      if (certificate != NULL)
        g_ptr_array_add (description->certificates, certificate);
    }
  ERR_clear_error ();
}

/* GetCACaps and GetCACert, then the pin and the trust anchors, as a
 * submission checks them; what was read is kept also when a check fails,
 * so that the CA's fingerprint can be compared.  No pkiMessage is sent. */
static gboolean
scep_describe (CradleCaConnector   *self,
               CradleCaDescription *description,
               GCancellable        *cancellable,
               GError             **error)
{
  g_autoptr(CradleScepCaps) caps = NULL;
  g_autoptr(CradleScepCa) ca = NULL;
  g_autoptr(CradleHttpResponse) response = NULL;
  g_autofree char *type = NULL;

  caps = get_caps (self, cancellable, error);
  if (caps == NULL)
    return FALSE;
  description->capabilities = g_strdup (caps->words);

  response = send_get (self, "GetCACert", NULL, cancellable, error);
  if (response == NULL)
    return FALSE;
  type = media_type (response);
  ca = cradle_scep_ca_parse (type, response->body, error);
  if (ca == NULL)
    return FALSE;
  add_certificates (description, ca);
  description->ca_fingerprint = cradle_scep_dup_sha256 (ca->issuer);
  return check_pin (self, ca, error) && verify_ca (self, ca, error);
}

static void
cradle_scep_connector_finalize (GObject *object)
{
  CradleScepConnector *self = CRADLE_SCEP_CONNECTOR (object);

  g_clear_pointer (&self->caps, cradle_scep_caps_free);
  g_clear_pointer (&self->ca, cradle_scep_ca_free);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->prepared);
  G_OBJECT_CLASS (cradle_scep_connector_parent_class)->finalize (object);
}

static void
cradle_scep_connector_class_init (CradleScepConnectorClass *klass)
{
  CradleCaConnectorClass *connector_class = CRADLE_CA_CONNECTOR_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = cradle_scep_connector_finalize;
  connector_class->prepare = scep_prepare;

  connector_class->submit = scep_submit;
  connector_class->retrieve = scep_retrieve;
  connector_class->dup_ca_certificates = scep_dup_ca_certificates;
  connector_class->describe = scep_describe;
}

static void
cradle_scep_connector_init (CradleScepConnector *self)
{
  g_mutex_init (&self->lock);
  g_cond_init (&self->prepared);
}

CradleCaConnector *
cradle_scep_connector_new (const char *url)
{
  CradleCaConnector *self;

  g_return_val_if_fail (url != NULL, NULL);

  self = g_object_new (cradle_scep_connector_get_type (), NULL);
  cradle_ca_connector_init_kind (self, CRADLE_CA_PROTOCOL_SCEP, url);
  /* SCEP messages are signed and encrypted: plain HTTP is its norm. */
  cradle_ca_connector_set_allow_plain_http (self, TRUE);
  return self;
}

void
cradle_scep_connector_set_ca_fingerprint (CradleCaConnector *scep,
                                          GBytes            *sha256)
{
  CradleScepConnector *self;

  g_return_if_fail (G_TYPE_CHECK_INSTANCE_TYPE (scep, cradle_scep_connector_get_type ()));
  g_return_if_fail (sha256 == NULL || g_bytes_get_size (sha256) == 32);

  self = CRADLE_SCEP_CONNECTOR (scep);
  self->pinned = sha256 != NULL;
  if (sha256 != NULL)
    memcpy (self->ca_fingerprint, g_bytes_get_data (sha256, NULL), sizeof self->ca_fingerprint);
}
