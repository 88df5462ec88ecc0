/* cradle-ca-answer.c: what a CA said about one request */
#include "config.h"

#include <openssl/err.h>
#include <cradle/cradle.h>

#include "ca/cradle-ca-answer-private.h"
#include "base/cradle-openssl-private.h"

struct _CradleCaAnswer
{
  GObject parent_instance;

  CradleCaStatus     status;
  CradleCaProtocol   protocol;
  guint32            code;
  guint              retry_after;

  /* Owned */
  char              *request_id;
  char              *retrieve_uri;
  char              *message;
  CradleCertificate *leaf;
  GPtrArray         *chain;
};

G_DEFINE_FINAL_TYPE (CradleCaAnswer, cradle_ca_answer, G_TYPE_OBJECT)

static void
cradle_ca_answer_dispose (GObject *object)
{
  CradleCaAnswer *self = CRADLE_CA_ANSWER (object);

  g_clear_object (&self->leaf);
  g_clear_pointer (&self->chain, g_ptr_array_unref);

  G_OBJECT_CLASS (cradle_ca_answer_parent_class)->dispose (object);
}

static void
cradle_ca_answer_finalize (GObject *object)
{
  CradleCaAnswer *self = CRADLE_CA_ANSWER (object);

  g_clear_pointer (&self->request_id, g_free);
  g_clear_pointer (&self->retrieve_uri, g_free);
  g_clear_pointer (&self->message, g_free);

  G_OBJECT_CLASS (cradle_ca_answer_parent_class)->finalize (object);
}

static void
cradle_ca_answer_class_init (CradleCaAnswerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = cradle_ca_answer_dispose;
  object_class->finalize = cradle_ca_answer_finalize;
}

static void
cradle_ca_answer_init (CradleCaAnswer *self)
{
  self->chain = g_ptr_array_new_with_free_func (g_object_unref);
}

const char *
cradle_ca_protocol_to_string (CradleCaProtocol protocol)
{
  switch (protocol)
    {
    case CRADLE_CA_PROTOCOL_CERTSRV: return "certsrv";
    case CRADLE_CA_PROTOCOL_WSTEP:   return "wstep";
    case CRADLE_CA_PROTOCOL_SCEP:    return "scep";
    case CRADLE_CA_PROTOCOL_EST:     return "est";
    default:                         return "unknown";
    }
}

gboolean
cradle_ca_protocol_from_string (const char       *name,
                                CradleCaProtocol *protocol)
{
  for (CradleCaProtocol p = CRADLE_CA_PROTOCOL_CERTSRV; p <= CRADLE_CA_PROTOCOL_EST; p++)
    {
      if (g_strcmp0 (name, cradle_ca_protocol_to_string (p)) == 0)
        {
          *protocol = p;
          return TRUE;
        }
    }
  return FALSE;
}

/* CA text is untrusted: keep it to one valid UTF-8 line of bounded length. */
static char *
sanitize_message (const char *message)
{
  g_autofree char *valid = NULL;
  GString *line;

  if (message == NULL)
    return NULL;
  valid = g_utf8_make_valid (message, MIN (strlen (message), 1024));
  line = g_string_new (NULL);
  for (const char *p = valid; *p != '\0'; p++)
    g_string_append_c (line, g_ascii_iscntrl (*p) ? ' ' : *p);
  return g_strstrip (g_string_free (line, FALSE));
}

static CradleCaAnswer *
answer_new (CradleCaStatus   status,
            CradleCaProtocol protocol,
            const char      *request_id)
{
  CradleCaAnswer *self = g_object_new (CRADLE_TYPE_CA_ANSWER, NULL);

  self->status = status;
  self->protocol = protocol;
  self->request_id = g_strdup (request_id);
  return self;
}

CradleCaAnswer *
cradle_ca_answer_new_issued (CradleCaProtocol   protocol,
                             const char        *request_id,
                             CradleCertificate *leaf,
                             GPtrArray         *chain)
{
  CradleCaAnswer *self;

  g_return_val_if_fail (CRADLE_IS_CERTIFICATE (leaf), NULL);

  self = answer_new (CRADLE_CA_STATUS_ISSUED, protocol, request_id);
  self->leaf = g_object_ref (leaf);
  for (guint i = 0; chain != NULL && i < chain->len; i++)
    g_ptr_array_add (self->chain, g_object_ref (g_ptr_array_index (chain, i)));
  return self;
}

CradleCaAnswer *
cradle_ca_answer_new_pending (CradleCaProtocol  protocol,
                              const char       *request_id,
                              const char       *retrieve_uri,
                              guint             retry_after,
                              const char       *message)
{
  CradleCaAnswer *self = answer_new (CRADLE_CA_STATUS_PENDING, protocol, request_id);

  self->retrieve_uri = g_strdup (retrieve_uri);
  self->retry_after = retry_after;
  self->message = sanitize_message (message);
  return self;
}

CradleCaAnswer *
cradle_ca_answer_new_denied (CradleCaProtocol  protocol,
                             const char       *request_id,
                             guint32           code,
                             const char       *message)
{
  CradleCaAnswer *self = answer_new (CRADLE_CA_STATUS_DENIED, protocol, request_id);

  self->code = code;
  self->message = sanitize_message (message);
  return self;
}

CradleCaStatus
cradle_ca_answer_get_status (CradleCaAnswer *self)
{
  g_return_val_if_fail (CRADLE_IS_CA_ANSWER (self), CRADLE_CA_STATUS_DENIED);
  return self->status;
}

CradleCaProtocol
cradle_ca_answer_get_protocol (CradleCaAnswer *self)
{
  g_return_val_if_fail (CRADLE_IS_CA_ANSWER (self), CRADLE_CA_PROTOCOL_CERTSRV);
  return self->protocol;
}

const char *
cradle_ca_answer_get_request_id (CradleCaAnswer *self)
{
  g_return_val_if_fail (CRADLE_IS_CA_ANSWER (self), NULL);
  return self->request_id;
}

CradleCertificate *
cradle_ca_answer_get_leaf (CradleCaAnswer *self)
{
  g_return_val_if_fail (CRADLE_IS_CA_ANSWER (self), NULL);
  return self->leaf;
}

GPtrArray *
cradle_ca_answer_get_chain (CradleCaAnswer *self)
{
  g_return_val_if_fail (CRADLE_IS_CA_ANSWER (self), NULL);
  return self->chain;
}

const char *
cradle_ca_answer_get_retrieve_uri (CradleCaAnswer *self)
{
  g_return_val_if_fail (CRADLE_IS_CA_ANSWER (self), NULL);
  return self->retrieve_uri;
}

guint
cradle_ca_answer_get_retry_after (CradleCaAnswer *self)
{
  g_return_val_if_fail (CRADLE_IS_CA_ANSWER (self), 0);
  return self->retry_after;
}

guint32
cradle_ca_answer_get_code (CradleCaAnswer *self)
{
  g_return_val_if_fail (CRADLE_IS_CA_ANSWER (self), 0);
  return self->code;
}

const char *
cradle_ca_answer_get_message (CradleCaAnswer *self)
{
  g_return_val_if_fail (CRADLE_IS_CA_ANSWER (self), NULL);
  return self->message;
}

/* The SubjectPublicKeyInfo of a DER PKCS#10, re-encoded. */
static GBytes *
dup_request_public_key (GBytes *csr)
{
  gsize size = 0;
  const unsigned char *p = g_bytes_get_data (csr, &size);
  g_autoptr(X509_REQ) req = d2i_X509_REQ (NULL, &p, (long) size);
  X509_PUBKEY *key;
  unsigned char *der = NULL;
  int n;

  if (req == NULL || (key = X509_REQ_get_X509_PUBKEY (req)) == NULL)
    return NULL;
  n = i2d_X509_PUBKEY (key, &der);
  if (n <= 0)
    return NULL;
  return cradle_openssl_take_der (der, n);
}

static GBytes *
dup_certificate_public_key (CradleCertificate *certificate)
{
  gsize size = 0;
  const unsigned char *p = g_bytes_get_data (cradle_certificate_get_der (certificate), &size);
  g_autoptr(X509) cert = d2i_X509 (NULL, &p, (long) size);
  unsigned char *der = NULL;
  int n;

  if (cert == NULL)
    return NULL;
  n = i2d_X509_PUBKEY (X509_get_X509_PUBKEY (cert), &der);
  if (n <= 0)
    return NULL;
  return cradle_openssl_take_der (der, n);
}

CradleCaAnswer *
cradle_ca_answer_new_issued_for_request (CradleCaProtocol  protocol,
                                         const char       *request_id,
                                         CradleCaRequest  *request,
                                         GPtrArray        *certificates,
                                         GError          **error)
{
  g_autoptr(GBytes) wanted = dup_request_public_key (cradle_ca_request_get_csr (request));
  g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func (g_object_unref);
  CradleCertificate *leaf = NULL;

  if (wanted == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The request sent to the CA could not be read back to match "
                           "the issued certificate.");
      return NULL;
    }
  for (guint i = 0; i < certificates->len; i++)
    {
      CradleCertificate *certificate = g_ptr_array_index (certificates, i);
      g_autoptr(GBytes) key = dup_certificate_public_key (certificate);

      if (leaf == NULL && key != NULL && g_bytes_equal (key, wanted))
        leaf = certificate;
      else
        g_ptr_array_add (chain, g_object_ref (certificate));
    }
  if (leaf == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The CA's answer holds no certificate for the device's key: "
                           "it is not the certificate that was requested. Nothing was "
                           "installed; support should check the CA's request log.");
      return NULL;
    }
  return cradle_ca_answer_new_issued (protocol, request_id, leaf, chain);
}
