/* cradle-enrollment-chain.c: the issued certificate's key, and its chain to a root
 *
 * The certificate must carry the public key of the request the device
 * signed.  Its chain is built from what the CA sent, the directory's CA
 * certificates and, when an issuer is missing, the AIA caIssuers URL of the
 * certificate above which it is missing (plain HTTP, as AIA is: it brings
 * intermediates only, checked by signature like the rest).  The chain is
 * verified with OpenSSL up to a root the host trusts on its own: one the
 * directory publishes (Certification Authorities, NTAuth), the type's
 * TrustAnchors or the system store.  Only such a root goes to the device's
 * Root store, where its user still decides; a chain to any other root, as
 * a plain-HTTP or compromised CA would send, fails the enrollment before
 * anything reaches the device.
 */
#include "config.h"

#include <string.h>
#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "engine/cradle-enrollment-private.h"
#include "base/cradle-explain-private.h"
#include "ca/cradle-http-private.h"
#include "base/cradle-openssl-private.h"

#define MAX_DEPTH         8
#define MAX_AIA_FETCHES   4
#define MAX_AIA_SIZE      (64 * 1024)
#define AIA_TIMEOUT       15

G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_STORE, X509_STORE_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_STORE_CTX, X509_STORE_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AUTHORITY_INFO_ACCESS, AUTHORITY_INFO_ACCESS_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PKCS7, PKCS7_free)

static void
x509_stack_free (STACK_OF (X509) *stack)
{
  sk_X509_pop_free (stack, X509_free);
}

typedef STACK_OF (X509) CradleX509Stack;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleX509Stack, x509_stack_free)

static X509 *
x509_from_der (GBytes *der)
{
  const unsigned char *p = g_bytes_get_data (der, NULL);
  gsize size = g_bytes_get_size (der);

  if (size == 0 || size > G_MAXLONG)
    return NULL;
  return d2i_X509 (NULL, &p, (long) size);
}

static gboolean
is_self_signed (X509 *cert)
{
  return X509_check_issued (cert, cert) == X509_V_OK;
}

static char *
dup_ca_issuers_url (X509 *cert)
{
  g_autoptr(AUTHORITY_INFO_ACCESS) info = X509_get_ext_d2i (cert, NID_info_access, NULL, NULL);

  for (int i = 0; info != NULL && i < sk_ACCESS_DESCRIPTION_num (info); i++)
    {
      ACCESS_DESCRIPTION *description = sk_ACCESS_DESCRIPTION_value (info, i);
      const unsigned char *uri;
      int length;

      if (OBJ_obj2nid (description->method) != NID_ad_ca_issuers ||
          description->location->type != GEN_URI)
        continue;
      uri = ASN1_STRING_get0_data (description->location->d.uniformResourceIdentifier);
      length = ASN1_STRING_length (description->location->d.uniformResourceIdentifier);
      if (length > 7 && length < 2048 && g_ascii_strncasecmp ((const char *) uri, "http://", 7) == 0 &&
          memchr (uri, '\0', (gsize) length) == NULL)
        return g_strndup ((const char *) uri, (gsize) length);
    }
  return NULL;
}

/* AIA brings intermediates only: a self-signed certificate it brings is
 * kept aside in @roots, to name it if the chain ends there. */
static void
add_fetched_one (STACK_OF (X509) *pool,
                 STACK_OF (X509) *roots,
                 X509            *cert)
{
  if (is_self_signed (cert))
    sk_X509_push (roots, cert);
  else
    sk_X509_push (pool, cert);
}

/* A DER certificate, or a certs-only PKCS#7 (.p7c) as some CAs publish. */
static void
add_fetched (STACK_OF (X509) *pool,
             STACK_OF (X509) *roots,
             GBytes          *body)
{
  const unsigned char *p = g_bytes_get_data (body, NULL);
  gsize size = g_bytes_get_size (body);
  g_autoptr(PKCS7) p7 = NULL;
  X509 *cert;

  cert = x509_from_der (body);
  if (cert != NULL)
    {
      add_fetched_one (pool, roots, cert);
      return;
    }
  p7 = d2i_PKCS7 (NULL, &p, (long) size);
  if (p7 != NULL && PKCS7_type_is_signed (p7) && p7->d.sign != NULL)
    {
      STACK_OF (X509) *certs = p7->d.sign->cert;

      for (int i = 0; certs != NULL && i < sk_X509_num (certs); i++)
        {
          X509_up_ref (sk_X509_value (certs, i));
          add_fetched_one (pool, roots, sk_X509_value (certs, i));
        }
    }
  ERR_clear_error ();
}

static gboolean
fetch_aia (const char      *url,
           STACK_OF (X509) *pool,
           STACK_OF (X509) *roots,
           GCancellable    *cancellable,
           GError         **error)
{
  g_autoptr(CradleHttp) http = cradle_http_new ();
  g_autoptr(CradleHttpResponse) response = NULL;
  CradleHttpRequest request = { .method = "GET", .url = url };

  cradle_http_set_allow_plain_http (http, TRUE);
  cradle_http_set_timeout (http, AIA_TIMEOUT);
  cradle_http_set_max_response_size (http, MAX_AIA_SIZE);
  response = cradle_http_send (http, &request, cancellable, error);
  if (response == NULL)
    {
      g_prefix_error (error, "Could not fetch an issuing CA's certificate from %s: ", url);
      return FALSE;
    }
  if (response->status != 200)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                   "The issuing CA's certificate is not at %s (HTTP %u).", url, response->status);
      return FALSE;
    }
  add_fetched (pool, roots, response->body);
  return TRUE;
}

static gboolean
check_key (X509     *leaf,
           GBytes   *csr,
           GError  **error)
{
  const unsigned char *p = g_bytes_get_data (csr, NULL);
  g_autoptr(X509_REQ) request = d2i_X509_REQ (NULL, &p, (long) g_bytes_get_size (csr));

  if (request == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The stored certification request cannot be read.");
      return FALSE;
    }
  if (EVP_PKEY_eq (X509_get0_pubkey (leaf), X509_REQ_get0_pubkey (request)) != 1)
    {
      ERR_clear_error ();
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The CA issued a certificate for another key than the device's: it cannot "
                           "be installed. Tell your administrator; the request has to be made again.");
      return FALSE;
    }
  return TRUE;
}

static char *
dup_name (const X509_NAME *name)
{
  char *text = X509_NAME_oneline (name, NULL, 0);
  char *copy = g_strdup (text != NULL ? text : "?");

  OPENSSL_free (text);
  return copy;
}

static char *
dup_sha256 (X509 *cert)
{
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  GString *hex = g_string_new (NULL);

  if (X509_digest (cert, EVP_sha256 (), digest, &length) == 1)
    for (unsigned int i = 0; i < length; i++)
      g_string_append_printf (hex, "%02X", digest[i]);
  return g_string_free (hex, FALSE);
}

/* The chain ends at @root, which the host does not trust: nothing of it
 * may reach the device.  @from: where the root came from. */
static void
set_untrusted_root_error (GError     **error,
                          X509        *root,
                          const char  *from)
{
  g_autofree char *name = dup_name (X509_get_subject_name (root));
  g_autofree char *sha256 = dup_sha256 (root);

  cradle_explain_set_error (error, CRADLE_ERROR_INVALID_DATA, CRADLE_EXPLAIN_TRUST,
                            CRADLE_TRUST_FAILURE_UNTRUSTED_ROOT,
                            "The certificate's chain ends at the root CA '%s' (SHA-256 %s)%s, which "
                            "this computer does not trust: it is not published in the directory, "
                            "in the certificate type's trust anchors or in the system's trusted "
                            "certificates. Nothing was installed on the device. Tell your "
                            "administrator: the CA may be misconfigured or impersonated.",
                            name, sha256, from);
}

static GPtrArray *
chain_to_certificates (STACK_OF (X509)  *verified,
                       GError          **error)
{
  g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func (g_object_unref);

  for (int i = 1; i < sk_X509_num (verified); i++)
    {
      unsigned char *der = NULL;
      int length = i2d_X509 (sk_X509_value (verified, i), &der);
      g_autoptr(GBytes) bytes = NULL;
      CradleCertificate *certificate;

      if (length <= 0)
        {
          g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_FAILED, "Could not encode a CA certificate.");
          return NULL;
        }
      bytes = g_bytes_new (der, (gsize) length);
      OPENSSL_free (der);
      certificate = cradle_certificate_new_from_der (bytes, error);
      if (certificate == NULL)
        return NULL;
      g_ptr_array_add (chain, certificate);
    }
  return g_steal_pointer (&chain);
}

/* The root the chain would end at if the self-signed certificates the CA
 * sent (@pool) or AIA brought (@aia_roots) were trusted, or %NULL; @from
 * says which it was. */
static X509 *
dup_claimed_root (X509             *leaf,
                  STACK_OF (X509)  *pool,
                  STACK_OF (X509)  *aia_roots,
                  const char      **from)
{
  g_autoptr(X509_STORE) store = X509_STORE_new ();
  g_autoptr(X509_STORE_CTX) ctx = X509_STORE_CTX_new ();
  g_autoptr(CradleX509Stack) verified = NULL;
  STACK_OF (X509) *lists[] = { pool, aia_roots };
  X509 *root;

  if (store == NULL || ctx == NULL)
    return NULL;
  for (guint l = 0; l < G_N_ELEMENTS (lists); l++)
    for (int i = 0; i < sk_X509_num (lists[l]); i++)
      if (is_self_signed (sk_X509_value (lists[l], i)))
        X509_STORE_add_cert (store, sk_X509_value (lists[l], i));
  if (!X509_STORE_CTX_init (ctx, store, leaf, pool) || X509_verify_cert (ctx) != 1)
    {
      ERR_clear_error ();
      return NULL;
    }
  verified = X509_STORE_CTX_get1_chain (ctx);
  root = sk_X509_value (verified, sk_X509_num (verified) - 1);
  *from = ", sent by the CA";
  for (int i = 0; i < sk_X509_num (aia_roots); i++)
    if (X509_cmp (sk_X509_value (aia_roots, i), root) == 0)
      *from = ", fetched through AIA";
  X509_up_ref (root);
  return root;
}

GPtrArray *
cradle_enrollment_build_chain (CradleCertificate  *leaf_certificate,
                               GBytes             *csr,
                               GPtrArray          *candidates,
                               const char         *anchors_file,
                               GPtrArray          *directory_roots,
                               GCancellable       *cancellable,
                               GError            **error)
{
  g_autoptr(X509) leaf = x509_from_der (cradle_certificate_get_der (leaf_certificate));
  g_autoptr(CradleX509Stack) pool = sk_X509_new_null ();
  g_autoptr(CradleX509Stack) aia_roots = sk_X509_new_null ();
  g_autoptr(GHashTable) fetched = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(X509_STORE) trusted = NULL;
  gboolean with_system;

  if (leaf == NULL || pool == NULL || aia_roots == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The issued certificate cannot be read.");
      return NULL;
    }
  if (!check_key (leaf, csr, error))
    return NULL;
  if (is_self_signed (leaf))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The CA answered with a self-signed certificate: it cannot be installed.");
      return NULL;
    }
  /* The anchors alone first (%NULL when there are none): a chain that ends
   * at one of them is trusted whatever else the system trusts, and the
   * system's bundle is not parsed for it. */
  trusted = cradle_http_dup_trust_store (anchors_file, directory_roots, FALSE);
  with_system = trusted == NULL;
  if (with_system)
    trusted = cradle_http_dup_trust_store (anchors_file, directory_roots, TRUE);
  if (trusted == NULL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                   "The trusted root certificates could not be read%s%s, so the certificate's chain "
                   "cannot be checked. Check the TrustAnchors setting, or ask your administrator.",
                   anchors_file != NULL ? " from " : "", anchors_file != NULL ? anchors_file : "");
      return NULL;
    }
  for (guint i = 0; candidates != NULL && i < candidates->len; i++)
    {
      X509 *cert = x509_from_der (cradle_certificate_get_der (g_ptr_array_index (candidates, i)));

      if (cert != NULL)
        sk_X509_push (pool, cert);
    }

  /* Verify against the trusted roots; when an issuer is missing, fetch it
   * through the AIA of the certificate it is missing above, and again. */
  for (;;)
    {
      g_autoptr(X509_STORE_CTX) ctx = X509_STORE_CTX_new ();
      g_autofree char *url = NULL;
      STACK_OF (X509) *partial;
      X509 *top;
      int code;

      if (ctx == NULL || !X509_STORE_CTX_init (ctx, trusted, leaf, pool))
        {
          g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_FAILED, "Could not set up the chain check.");
          return NULL;
        }
      if (X509_verify_cert (ctx) == 1)
        {
          g_autoptr(CradleX509Stack) verified = X509_STORE_CTX_get1_chain (ctx);

          return chain_to_certificates (verified, error);
        }
      if (!with_system)
        {
          /* Not to an anchor: to any root the system trusts, then. */
          ERR_clear_error ();
          X509_STORE_free (trusted);
          trusted = cradle_http_dup_trust_store (anchors_file, directory_roots, TRUE);
          with_system = TRUE;
          if (trusted == NULL)
            {
              g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                                   "The system's trusted root certificates could not be read, so the "
                                   "certificate's chain cannot be checked. Ask your administrator.");
              return NULL;
            }
          continue;
        }
      code = X509_STORE_CTX_get_error (ctx);
      partial = X509_STORE_CTX_get0_chain (ctx);
      top = partial != NULL && sk_X509_num (partial) > 0 ? sk_X509_value (partial, sk_X509_num (partial) - 1)
                                                           : leaf;
      ERR_clear_error ();
      /* A chain that verifies to a root the CA sent or AIA brought, one the
       * host does not trust (perhaps named as a trusted one). */
      {
        const char *from = NULL;
        g_autoptr(X509) claimed = dup_claimed_root (leaf, pool, aia_roots, &from);

        if (claimed != NULL)
          {
            set_untrusted_root_error (error, claimed, from);
            return NULL;
          }
      }
      if (code != X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY && code != X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "The certificate's chain does not verify (%s, at depth %d). "
                       "Tell your administrator; the certificate is not installed.",
                       X509_verify_cert_error_string (code), X509_STORE_CTX_get_error_depth (ctx));
          return NULL;
        }
      url = dup_ca_issuers_url (top);
      if (url == NULL || g_hash_table_contains (fetched, url) || g_hash_table_size (fetched) >= MAX_AIA_FETCHES ||
          sk_X509_num (partial) > MAX_DEPTH)
        {
          g_autofree char *name = dup_name (X509_get_issuer_name (top));

          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                       "The certificate of the CA '%s' is not to be found among the trusted roots "
                       "and the CA certificates known: the chain cannot be checked.", name);
          return NULL;
        }
      if (!fetch_aia (url, pool, aia_roots, cancellable, error))
        return NULL;
      g_hash_table_add (fetched, g_steal_pointer (&url));
    }
}
