/* scripted-ca.c: a CA connector that answers as the test says */
#include "config.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "agent-fixture.h"
#include "ca/cradle-ca-answer-private.h"
#include "base/cradle-openssl-private.h"

#include "scripted-ca.h"

EVP_PKEY *trusted_root_key;
GBytes   *trusted_root;

/* A CA certificate with an AIA caIssuers URL. */
static GBytes *
test_cert_with_aia (const char *subject_cn,
                    EVP_PKEY   *subject_key,
                    const char *issuer_cn,
                    EVP_PKEY   *issuer_key,
                    const char *aia_url)
{
  g_autoptr(X509) x509 = X509_new ();
  g_autoptr(X509_NAME) subject = X509_NAME_new ();
  g_autoptr(X509_NAME) issuer = X509_NAME_new ();
  g_autofree char *aia = g_strdup_printf ("caIssuers;URI:%s", aia_url);
  X509V3_CTX ctx;
  X509_EXTENSION *ext;
  unsigned char *der = NULL;
  GBytes *bytes;
  int size;

  X509_set_version (x509, 2);
  ASN1_INTEGER_set (X509_get_serialNumber (x509), 77);
  X509_NAME_add_entry_by_txt (subject, "CN", MBSTRING_UTF8, (const unsigned char *) subject_cn, -1, -1, 0);
  X509_NAME_add_entry_by_txt (issuer, "CN", MBSTRING_UTF8, (const unsigned char *) issuer_cn, -1, -1, 0);
  X509_set_subject_name (x509, subject);
  X509_set_issuer_name (x509, issuer);
  X509_gmtime_adj (X509_getm_notBefore (x509), 0);
  X509_gmtime_adj (X509_getm_notAfter (x509), 365L * 24 * 3600);
  X509_set_pubkey (x509, subject_key);
  X509V3_set_ctx_nodb (&ctx);
  X509V3_set_ctx (&ctx, NULL, x509, NULL, NULL, 0);
  ext = X509V3_EXT_conf_nid (NULL, &ctx, NID_basic_constraints, "critical,CA:TRUE");
  X509_add_ext (x509, ext, -1);
  X509_EXTENSION_free (ext);
  ext = X509V3_EXT_conf_nid (NULL, &ctx, NID_info_access, aia);
  g_assert_nonnull (ext);
  X509_add_ext (x509, ext, -1);
  X509_EXTENSION_free (ext);
  g_assert_cmpint (X509_sign (x509, issuer_key, EVP_sha256 ()), >, 0);
  size = i2d_X509 (x509, &der);
  g_assert_cmpint (size, >, 0);
  bytes = g_bytes_new (der, size);
  OPENSSL_free (der);
  return bytes;
}

G_DEFINE_FINAL_TYPE (FakeCa, fake_ca, CRADLE_TYPE_CA_CONNECTOR)

static CradleCaAnswer *
answer (FakeCa           *self,
        CradleCaRequest  *request,
        GError          **error)
{
  Script script = GPOINTER_TO_UINT (g_queue_pop_head (&self->script));

  switch (script)
    {
    case SCRIPT_PEND:
      return cradle_ca_answer_new_pending (CRADLE_CA_PROTOCOL_CERTSRV, "42", NULL, 100, "Taken Under Submission");
    case SCRIPT_DENY:
      return cradle_ca_answer_new_denied (CRADLE_CA_PROTOCOL_CERTSRV, "42", 0x80094012, "Denied by Policy Module");
    case SCRIPT_UNREACHABLE:
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_UNREACHABLE, "Could not connect to ca.invalid.");
      return NULL;
    case SCRIPT_ISSUE_OWN_ROOT:
    case SCRIPT_ISSUE_AIA_ROOT:
      {
        GBytes *csr = cradle_ca_request_get_csr (request);
        const unsigned char *p = g_bytes_get_data (csr, NULL);
        g_autoptr(X509_REQ) req = d2i_X509_REQ (NULL, &p, (long) g_bytes_get_size (csr));
        g_autoptr(EVP_PKEY) own_root_key = test_key_new ();
        g_autoptr(EVP_PKEY) intermediate_key = test_key_new ();
        g_autoptr(GBytes) der = NULL;
        g_autoptr(GBytes) above = NULL;
        g_autoptr(CradleCertificate) leaf = NULL;
        g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func (g_object_unref);

        g_assert_nonnull (req);
        if (script == SCRIPT_ISSUE_OWN_ROOT)
          {
            /* Same name as the trusted root, another key. */
            der = test_cert ("Device", X509_REQ_get0_pubkey (req), "Fake Root", own_root_key, FALSE);
            above = test_cert ("Fake Root", own_root_key, "Fake Root", own_root_key, TRUE);
          }
        else
          {
            der = test_cert ("Device", X509_REQ_get0_pubkey (req), "AIA Intermediate", intermediate_key, FALSE);
            above = test_cert_with_aia ("AIA Intermediate", intermediate_key, "AIA Root", self->aia_root_key,
                                        self->aia_url);
          }
        leaf = cradle_certificate_new_from_der (der, NULL);
        g_ptr_array_add (chain, cradle_certificate_new_from_der (above, NULL));
        return cradle_ca_answer_new_issued (CRADLE_CA_PROTOCOL_CERTSRV, "42", leaf, chain);
      }
    case SCRIPT_ISSUE:
    case SCRIPT_ISSUE_OTHER_KEY:
    default:
      {
        GBytes *csr = cradle_ca_request_get_csr (request);
        const unsigned char *p = g_bytes_get_data (csr, NULL);
        g_autoptr(X509_REQ) req = d2i_X509_REQ (NULL, &p, (long) g_bytes_get_size (csr));
        g_autoptr(EVP_PKEY) other = test_key_new ();
        g_autoptr(GBytes) der = NULL;
        g_autoptr(CradleCertificate) leaf = NULL;
        g_autoptr(CradleCertificate) root = NULL;
        g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func (g_object_unref);

        g_assert_nonnull (req);
        der = test_cert ("Device", script == SCRIPT_ISSUE ? X509_REQ_get0_pubkey (req) : other, "Fake Root",
                         trusted_root_key, FALSE);
        leaf = cradle_certificate_new_from_der (der, NULL);
        root = cradle_certificate_new_from_der (trusted_root, NULL);
        g_ptr_array_add (chain, g_steal_pointer (&root));
        return cradle_ca_answer_new_issued (CRADLE_CA_PROTOCOL_CERTSRV, "42", leaf, chain);
      }
    }
}

static CradleCaAnswer *
fake_submit (CradleCaConnector  *connector,
             CradleCaRequest    *request,
             GCancellable       *cancellable,
             GError            **error)
{
  FakeCa *self = FAKE_CA (connector);

  g_mutex_lock (&self->lock);
  self->submits++;
  g_clear_pointer (&self->last_csr, g_bytes_unref);
  self->last_csr = g_bytes_ref (cradle_ca_request_get_csr (request));
  self->holding = self->hold;
  g_cond_broadcast (&self->cond);
  while (self->hold)
    g_cond_wait (&self->cond, &self->lock);
  self->holding = FALSE;
  g_mutex_unlock (&self->lock);
  return answer (self, request, error);
}

static CradleCaAnswer *
fake_retrieve (CradleCaConnector  *connector,
               CradleCaRequest    *request,
               const char         *request_id,
               const char         *retrieve_uri,
               GCancellable       *cancellable,
               GError            **error)
{
  FakeCa *self = FAKE_CA (connector);

  self->retrieves++;
  g_free (self->last_request_id);
  self->last_request_id = g_strdup (request_id);
  return answer (self, request, error);
}

static void
fake_ca_finalize (GObject *object)
{
  FakeCa *self = FAKE_CA (object);

  g_queue_clear (&self->script);
  g_free (self->last_request_id);
  g_clear_pointer (&self->last_csr, g_bytes_unref);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self->aia_url);
  EVP_PKEY_free (self->aia_root_key);
  G_OBJECT_CLASS (fake_ca_parent_class)->finalize (object);
}

static void
fake_ca_class_init (FakeCaClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = fake_ca_finalize;
  CRADLE_CA_CONNECTOR_CLASS (klass)->submit = fake_submit;
  CRADLE_CA_CONNECTOR_CLASS (klass)->retrieve = fake_retrieve;
}

static void
fake_ca_init (FakeCa *self)
{
  g_queue_init (&self->script);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
}

FakeCa *
fake_ca_new (Script first,
             ...)
{
  FakeCa *self = g_object_new (fake_ca_get_type (), NULL);
  va_list args;

  cradle_ca_connector_init_kind (CRADLE_CA_CONNECTOR (self), CRADLE_CA_PROTOCOL_CERTSRV, FAKE_URL);
  g_queue_push_tail (&self->script, GUINT_TO_POINTER (first));
  va_start (args, first);
  for (int next = va_arg (args, int); next >= 0; next = va_arg (args, int))
    g_queue_push_tail (&self->script, GUINT_TO_POINTER (next));
  va_end (args);
  return self;
}
