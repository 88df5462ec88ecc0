/* cradle-enrollment-chain.c: the issued certificate's key, and its chain to a root
 *
 * The certificate must carry the public key of the request the device
 * signed.  Its chain is built from what the CA sent, the directory's CA
 * certificates and, when an issuer is missing, the AIA caIssuers URL of the
 * certificate above which it is missing (plain HTTP, as AIA is: what it
 * brings is checked by signature like the rest).  The chain is verified
 * with OpenSSL up to a self-signed root; whether the device trusts that
 * root is its user's decision when it is installed.
 */
#include "config.h"

#include <string.h>
#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>

#include "cradle-enrollment-private.h"
#include "cradle-http-private.h"
#include "cradle-openssl-private.h"

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

static X509 *
find_issuer (STACK_OF (X509) *pool,
             X509            *cert)
{
  for (int i = 0; i < sk_X509_num (pool); i++)
    {
      X509 *candidate = sk_X509_value (pool, i);

      if (X509_cmp (candidate, cert) != 0 && X509_check_issued (candidate, cert) == X509_V_OK)
        return candidate;
    }
  return NULL;
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

/* A DER certificate, or a certs-only PKCS#7 (.p7c) as some CAs publish. */
static void
add_fetched (STACK_OF (X509) *pool,
             GBytes          *body)
{
  const unsigned char *p = g_bytes_get_data (body, NULL);
  gsize size = g_bytes_get_size (body);
  g_autoptr(PKCS7) p7 = NULL;
  X509 *cert;

  cert = x509_from_der (body);
  if (cert != NULL)
    {
      sk_X509_push (pool, cert);
      return;
    }
  p7 = d2i_PKCS7 (NULL, &p, (long) size);
  if (p7 != NULL && PKCS7_type_is_signed (p7) && p7->d.sign != NULL)
    {
      STACK_OF (X509) *certs = p7->d.sign->cert;

      for (int i = 0; certs != NULL && i < sk_X509_num (certs); i++)
        {
          X509_up_ref (sk_X509_value (certs, i));
          sk_X509_push (pool, sk_X509_value (certs, i));
        }
    }
  ERR_clear_error ();
}

static gboolean
fetch_aia (const char      *url,
           STACK_OF (X509) *pool,
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
  add_fetched (pool, response->body);
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

static GPtrArray *
verify (X509            *leaf,
        X509            *root,
        STACK_OF (X509) *pool,
        GError         **error)
{
  g_autoptr(X509_STORE) store = X509_STORE_new ();
  g_autoptr(X509_STORE_CTX) ctx = X509_STORE_CTX_new ();
  g_autoptr(CradleX509Stack) verified = NULL;
  g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func (g_object_unref);

  if (store == NULL || ctx == NULL || !X509_STORE_add_cert (store, root) ||
      !X509_STORE_CTX_init (ctx, store, leaf, pool))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_FAILED, "Could not set up the chain check.");
      return NULL;
    }
  if (X509_verify_cert (ctx) != 1)
    {
      int code = X509_STORE_CTX_get_error (ctx);

      ERR_clear_error ();
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The certificate's chain does not verify (%s, at depth %d). "
                   "Tell your administrator; the certificate is not installed.",
                   X509_verify_cert_error_string (code), X509_STORE_CTX_get_error_depth (ctx));
      return NULL;
    }
  verified = X509_STORE_CTX_get1_chain (ctx);
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

GPtrArray *
cradle_enrollment_build_chain (CradleCertificate  *leaf_certificate,
                               GBytes             *csr,
                               GPtrArray          *candidates,
                               GCancellable       *cancellable,
                               GError            **error)
{
  g_autoptr(X509) leaf = x509_from_der (cradle_certificate_get_der (leaf_certificate));
  g_autoptr(CradleX509Stack) pool = sk_X509_new_null ();
  g_autoptr(GHashTable) fetched = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  X509 *top;
  X509 *root = NULL;

  if (leaf == NULL || pool == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The issued certificate cannot be read.");
      return NULL;
    }
  if (!check_key (leaf, csr, error))
    return NULL;
  for (guint i = 0; candidates != NULL && i < candidates->len; i++)
    {
      X509 *cert = x509_from_der (cradle_certificate_get_der (g_ptr_array_index (candidates, i)));

      if (cert != NULL)
        sk_X509_push (pool, cert);
    }

  /* Walk up from the leaf, fetching a missing issuer through AIA. */
  top = leaf;
  for (guint depth = 0; depth < MAX_DEPTH && root == NULL; depth++)
    {
      X509 *issuer;

      if (is_self_signed (top))
        {
          root = top;
          break;
        }
      issuer = find_issuer (pool, top);
      if (issuer == NULL)
        {
          g_autofree char *url = dup_ca_issuers_url (top);

          if (url == NULL || g_hash_table_contains (fetched, url) ||
              g_hash_table_size (fetched) >= MAX_AIA_FETCHES)
            break;
          if (!fetch_aia (url, pool, cancellable, error))
            return NULL;
          g_hash_table_add (fetched, g_steal_pointer (&url));
          issuer = find_issuer (pool, top);
          if (issuer == NULL)
            break;
        }
      top = issuer;
    }
  if (root == NULL)
    {
      char *name = X509_NAME_oneline (X509_get_issuer_name (top), NULL, 0);

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                   "The certificate of the CA '%s' is not to be found: the chain cannot be checked.",
                   name != NULL ? name : "?");
      OPENSSL_free (name);
      return NULL;
    }
  if (root == leaf)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The CA answered with a self-signed certificate: it cannot be installed.");
      return NULL;
    }
  return verify (leaf, root, pool, error);
}
