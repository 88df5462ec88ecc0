/* cradle-ocsp.c: an OCSP request, and its answer read and verified (RFC 6960)
 *
 * Nothing here touches the network: the bytes come from the responder or
 * from the cache, and are outside input either way.
 */
#include "config.h"

#include <openssl/ocsp.h>
#include <openssl/rand.h>

#include "revocation/cradle-revocation-private.h"
#include "protocol/cradle-der-private.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_STORE, X509_STORE_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OCSP_REQUEST, OCSP_REQUEST_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OCSP_RESPONSE, OCSP_RESPONSE_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OCSP_BASICRESP, OCSP_BASICRESP_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OCSP_CERTID, OCSP_CERTID_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (AUTHORITY_INFO_ACCESS, AUTHORITY_INFO_ACCESS_free)

#define NONCE_SIZE 32

static void
stack_x509_free (STACK_OF (X509) *stack)
{
  sk_X509_free (stack);
}
typedef STACK_OF (X509) CradleX509Stack;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleX509Stack, stack_x509_free)

/* What OCSP_cert_to_id() names, from the leaf's serial: SHA-1 of the
 * issuer's name and key, as RFC 5019 clients send. */
static OCSP_CERTID *
cert_id (const CradleLeaf *cert,
         X509             *issuer)
{
  return OCSP_cert_id_new (EVP_sha1 (), X509_get_subject_name (issuer), X509_get0_pubkey_bitstr (issuer),
                           (ASN1_INTEGER *) cradle_leaf_get_serial (cert));
}

GBytes *
cradle_ocsp_request_new (const CradleLeaf  *cert,
                         X509              *issuer,
                         GBytes           **nonce,
                         GError           **error)
{
  g_autoptr(OCSP_REQUEST) request = OCSP_REQUEST_new ();
  g_autoptr(OCSP_CERTID) id = cert_id (cert, issuer);
  guint8 value[NONCE_SIZE];
  unsigned char *der = NULL;
  int size;

  if (request == NULL || id == NULL || OCSP_request_add0_id (request, id) == NULL)
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not build the OCSP request");
      return NULL;
    }
  id = NULL;  /* the request owns it */
  if (RAND_bytes (value, sizeof value) != 1 ||
      OCSP_request_add1_nonce (request, value, sizeof value) != 1)
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not add a nonce to the OCSP request");
      return NULL;
    }
  size = i2d_OCSP_REQUEST (request, &der);
  if (size <= 0)
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not encode the OCSP request");
      return NULL;
    }
  *nonce = g_bytes_new (value, sizeof value);
  return cradle_openssl_take_der (der, size);
}

static const char *
response_status_words (int status)
{
  switch (status)
    {
    case OCSP_RESPONSE_STATUS_MALFORMEDREQUEST: return "it calls the request malformed";
    case OCSP_RESPONSE_STATUS_INTERNALERROR: return "it had an internal error";
    case OCSP_RESPONSE_STATUS_TRYLATER: return "it asks to try later";
    case OCSP_RESPONSE_STATUS_SIGREQUIRED: return "it wants signed requests";
    case OCSP_RESPONSE_STATUS_UNAUTHORIZED: return "it does not answer for this CA";
    default: return "it answered with an unknown status";
    }
}

/* A response's nonce against the one sent: equal, or absent. */
static gboolean
check_nonce (OCSP_BASICRESP  *basic,
             GBytes          *nonce,
             GError         **error)
{
  int index = OCSP_BASICRESP_get_ext_by_NID (basic, NID_id_pkix_OCSP_Nonce, -1);
  X509_EXTENSION *extension;
  const ASN1_OCTET_STRING *data;
  const unsigned char *p;
  g_autoptr(ASN1_STRING) inner = NULL;
  gsize size = 0;
  const guint8 *sent = g_bytes_get_data (nonce, &size);

  if (index < 0)
    return TRUE;  /* a pre-signed answer: see docs/security.md */
  extension = OCSP_BASICRESP_get_ext (basic, index);
  data = X509_EXTENSION_get_data (extension);
  /* RFC 8954: the value is an OCTET STRING inside the extension's; some
   * responders put the bytes bare.  Either must equal what was sent. */
  p = ASN1_STRING_get0_data (data);
  inner = (ASN1_STRING *) d2i_ASN1_OCTET_STRING (NULL, &p, ASN1_STRING_length (data));
  if (inner != NULL && p == ASN1_STRING_get0_data (data) + ASN1_STRING_length (data) &&
      (gsize) ASN1_STRING_length (inner) == size &&
      memcmp (ASN1_STRING_get0_data (inner), sent, size) == 0)
    return TRUE;
  ERR_clear_error ();
  if ((gsize) ASN1_STRING_length (data) == size && memcmp (ASN1_STRING_get0_data (data), sent, size) == 0)
    return TRUE;
  g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "the OCSP answer carries another request's nonce (a replayed or misdirected answer)");
  return FALSE;
}

/* Signed by @issuer, or by a responder @issuer issued for OCSP signing:
 * the issuer is the only anchor, and no other certificate the answer
 * brings is trusted. */
static gboolean
check_signature (OCSP_BASICRESP  *basic,
                 X509            *issuer,
                 X509            *responder,
                 GError         **error)
{
  g_autoptr(X509_STORE) store = X509_STORE_new ();
  g_autoptr(CradleX509Stack) certs = sk_X509_new_null ();

  if (store == NULL || certs == NULL || X509_STORE_add_cert (store, issuer) != 1 ||
      sk_X509_push (certs, issuer) <= 0 || (responder != NULL && sk_X509_push (certs, responder) <= 0))
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not set up the OCSP signature check");
      return FALSE;
    }
  /* The issuer may be an intermediate: it is the anchor on its own. */
  X509_STORE_set_flags (store, X509_V_FLAG_PARTIAL_CHAIN);
  if (OCSP_basic_verify (basic, certs, store, 0) != 1)
    {
      g_autofree char *why = cradle_openssl_dup_errors ();

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "the OCSP answer is not signed by the certificate's CA or a responder it authorised (%s)",
                   why != NULL ? why : "signature check failed");
      return FALSE;
    }
  return TRUE;
}

gboolean
cradle_ocsp_check_response (GBytes                 *response,
                            const CradleLeaf       *cert,
                            X509                   *issuer,
                            X509                   *responder,
                            GBytes                 *nonce,
                            gint64                  now,
                            CradleRevocationResult *result,
                            GError                **error)
{
  gsize size = 0;
  const unsigned char *p = g_bytes_get_data (response, &size);
  const unsigned char *start = p;
  g_autoptr(OCSP_RESPONSE) parsed = NULL;
  g_autoptr(OCSP_BASICRESP) basic = NULL;
  g_autoptr(OCSP_CERTID) id = NULL;
  ASN1_GENERALIZEDTIME *revoked_at = NULL;
  ASN1_GENERALIZEDTIME *this_update = NULL;
  ASN1_GENERALIZEDTIME *next_update = NULL;
  int status;
  int reason = -1;
  int single;
  gint64 this_seconds = 0;
  gint64 next_seconds = 0;

  if (size == 0 || size > CRADLE_OCSP_MAX_RESPONSE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "the OCSP answer is %s (%" G_GSIZE_FORMAT " bytes)",
                   size == 0 ? "empty" : "too large", size);
      return FALSE;
    }
  parsed = d2i_OCSP_RESPONSE (NULL, &p, (long) size);
  if (parsed == NULL || (gsize) (p - start) != size)
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_INVALID_DATA, "the OCSP answer is not a DER OCSPResponse");
      return FALSE;
    }
  status = OCSP_response_status (parsed);
  if (status != OCSP_RESPONSE_STATUS_SUCCESSFUL)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "the OCSP responder gave no answer: %s (status %d)", response_status_words (status), status);
      return FALSE;
    }
  basic = OCSP_response_get1_basic (parsed);
  if (basic == NULL)
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_INVALID_DATA, "the OCSP answer is not a basic response");
      return FALSE;
    }
  if (!check_signature (basic, issuer, responder, error))
    return FALSE;
  if (nonce != NULL && !check_nonce (basic, nonce, error))
    return FALSE;

  id = cert_id (cert, issuer);
  if (id == NULL)
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not name the certificate for OCSP");
      return FALSE;
    }
  /* OCSP_resp_find_status matches issuer name and key hashes and the
   * serial, whatever hash the responder used. */
  if (OCSP_resp_find_status (basic, id, &single, &reason, &revoked_at, &this_update, &next_update) != 1)
    {
      ERR_clear_error ();
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "the OCSP answer is about another certificate");
      return FALSE;
    }
  if (!cradle_revocation_time_to_unix (this_update, &this_seconds) ||
      (next_update != NULL && !cradle_revocation_time_to_unix (next_update, &next_seconds)))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "the OCSP answer's thisUpdate or nextUpdate cannot be read");
      return FALSE;
    }
  if (this_seconds > now + CRADLE_REVOCATION_SKEW_SECONDS)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "the OCSP answer is dated in the future (check this computer's clock)");
      return FALSE;
    }
  if (next_update != NULL ? now >= next_seconds
                          : now > this_seconds + CRADLE_OCSP_MAX_AGE_WITHOUT_NEXT_UPDATE)
    {
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc (next_update != NULL ? next_seconds : this_seconds);
      g_autofree char *text = g_date_time_format_iso8601 (when);

      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "the OCSP answer is stale (%s %s)", next_update != NULL ? "nextUpdate" : "thisUpdate", text);
      return FALSE;
    }

  result->method = "ocsp";
  result->this_update = this_seconds;
  result->next_update = next_update != NULL ? next_seconds : 0;
  switch (single)
    {
    case V_OCSP_CERTSTATUS_GOOD:
      result->state = CRADLE_REVOCATION_GOOD;
      break;
    case V_OCSP_CERTSTATUS_REVOKED:
      result->state = CRADLE_REVOCATION_REVOKED;
      result->reason = reason >= 0 ? reason : -1;
      if (!cradle_revocation_time_to_unix (revoked_at, &result->revoked_at))
        result->revoked_at = 0;
      break;
    default:
      result->state = CRADLE_REVOCATION_UNKNOWN;
      g_free (result->detail);
      result->detail = g_strdup ("the OCSP responder does not know this certificate");
      break;
    }
  return TRUE;
}

/* OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED, responseBytes [0]
 * EXPLICIT SEQUENCE { responseType OID, response OCTET STRING } }, and the
 * response a BasicOCSPResponse ::= SEQUENCE { tbsResponseData,
 * signatureAlgorithm, signature, certs [0] EXPLICIT ... OPTIONAL }: the
 * certificates are outside what the responder signed. */
#define DER_ENUMERATED 0x0a

GBytes *
cradle_ocsp_strip_certs (GBytes  *response,
                         GBytes **signer,
                         GError **error)
{
  CradleDerSlice in = cradle_der_slice_from_bytes (response);
  CradleDerSlice outer, status, bytes, bytes_seq, type, octets, basic, tbs, algorithm, signature;
  const unsigned char *p;
  g_autoptr(OCSP_RESPONSE) parsed = NULL;
  g_autoptr(OCSP_BASICRESP) basic_parsed = NULL;
  X509 *signer_cert = NULL;
  g_autoptr(GByteArray) inner = g_byte_array_new ();
  g_autoptr(GByteArray) wrapped = g_byte_array_new ();
  g_autoptr(GByteArray) out = g_byte_array_new ();

  *signer = NULL;
  if (!cradle_der_take (&in, CRADLE_DER_SEQUENCE, NULL, &outer) || in.size != 0 ||
      !cradle_der_take (&outer, DER_ENUMERATED, &status, NULL) ||
      !cradle_der_take (&outer, CRADLE_DER_CONTEXT_0, NULL, &bytes) || outer.size != 0 ||
      !cradle_der_take (&bytes, CRADLE_DER_SEQUENCE, NULL, &bytes_seq) || bytes.size != 0 ||
      !cradle_der_take (&bytes_seq, CRADLE_DER_OID, &type, NULL) ||
      !cradle_der_take (&bytes_seq, CRADLE_DER_OCTET_STRING, NULL, &octets) || bytes_seq.size != 0 ||
      !cradle_der_take (&octets, CRADLE_DER_SEQUENCE, NULL, &basic) || octets.size != 0 ||
      !cradle_der_take (&basic, CRADLE_DER_SEQUENCE, &tbs, NULL) ||
      !cradle_der_take (&basic, CRADLE_DER_SEQUENCE, &algorithm, NULL) ||
      !cradle_der_take (&basic, CRADLE_DER_BIT_STRING, &signature, NULL))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "the OCSP answer is not a basic response");
      return NULL;
    }
  /* The certificate that signed it, kept apart. */
  p = g_bytes_get_data (response, NULL);
  parsed = d2i_OCSP_RESPONSE (NULL, &p, (long) g_bytes_get_size (response));
  basic_parsed = parsed != NULL ? OCSP_response_get1_basic (parsed) : NULL;
  if (basic_parsed != NULL && OCSP_resp_get0_signer (basic_parsed, &signer_cert, NULL) == 1 && signer_cert != NULL)
    {
      unsigned char *der = NULL;
      int size = i2d_X509 (signer_cert, &der);

      if (size > 0)
        *signer = cradle_openssl_take_der (der, size);
    }
  ERR_clear_error ();

  g_byte_array_append (inner, tbs.data, tbs.size);
  g_byte_array_append (inner, algorithm.data, algorithm.size);
  g_byte_array_append (inner, signature.data, signature.size);
  /* SEQUENCE { type, OCTET STRING { SEQUENCE { tbs, algorithm, signature } } } */
  cradle_der_append_header (wrapped, CRADLE_DER_SEQUENCE, inner->len);
  g_byte_array_append (wrapped, inner->data, inner->len);
  g_byte_array_set_size (inner, 0);
  g_byte_array_append (inner, type.data, type.size);
  cradle_der_append_header (inner, CRADLE_DER_OCTET_STRING, wrapped->len);
  g_byte_array_append (inner, wrapped->data, wrapped->len);
  g_byte_array_set_size (wrapped, 0);
  cradle_der_append_header (wrapped, CRADLE_DER_SEQUENCE, inner->len);
  g_byte_array_append (wrapped, inner->data, inner->len);
  g_byte_array_set_size (inner, 0);
  g_byte_array_append (inner, status.data, status.size);
  cradle_der_append_header (inner, CRADLE_DER_CONTEXT_0, wrapped->len);
  g_byte_array_append (inner, wrapped->data, wrapped->len);
  cradle_der_append_header (out, CRADLE_DER_SEQUENCE, inner->len);
  g_byte_array_append (out, inner->data, inner->len);
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

char *
cradle_ocsp_dup_url (const CradleLeaf *cert)
{
  g_autoptr(AUTHORITY_INFO_ACCESS) info = X509V3_get_d2i (cradle_leaf_get_extensions (cert), NID_info_access,
                                                          NULL, NULL);

  ERR_clear_error ();
  if (info == NULL)
    return NULL;
  for (int i = 0; i < sk_ACCESS_DESCRIPTION_num (info); i++)
    {
      ACCESS_DESCRIPTION *description = sk_ACCESS_DESCRIPTION_value (info, i);
      const ASN1_IA5STRING *uri;
      const char *text;
      int length;

      if (OBJ_obj2nid (description->method) != NID_ad_OCSP ||
          description->location->type != GEN_URI)
        continue;
      uri = description->location->d.uniformResourceIdentifier;
      text = (const char *) ASN1_STRING_get0_data (uri);
      length = ASN1_STRING_length (uri);
      if (length <= 0 || length > 2048 || memchr (text, '\0', length) != NULL)
        continue;
      if (g_ascii_strncasecmp (text, "http://", 7) == 0)
        return g_strndup (text, length);
    }
  return NULL;
}
