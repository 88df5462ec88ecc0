/* cradle-attestation.c: checking a token's word that it made a key
 *
 * A YubiKey's attestation is an X.509 certificate for the slot's public
 * key, signed by the token's f9 key, whose certificate chains to the
 * vendor's PIV root (pairing-and-tokens.md B4).  OpenSSL builds and
 * verifies the chain to the roots of the file cradle.conf names; the
 * public key is compared byte for byte with the one the token gave; the
 * YubiKey extensions are read with bounds.  Everything the certificates
 * say is escaped before it is put in the result.
 */
#include "config.h"

#include <string.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <cradle/cradle.h>

#include "base/cradle-openssl-private.h"
#include "protocol/cradle-der-private.h"
#include "pkcs11/cradle-attestation-private.h"

/* Local names, so that the cleanups never clash with ones added below. */
typedef X509_STORE        CradleAttestationStore;
typedef X509_STORE_CTX    CradleAttestationStoreCtx;
typedef STACK_OF (X509)   CradleAttestationCerts;

static void
certs_free (CradleAttestationCerts *certs)
{
  sk_X509_pop_free (certs, X509_free);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleAttestationStore, X509_STORE_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleAttestationStoreCtx, X509_STORE_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleAttestationCerts, certs_free)

/* More roots than any vendor's file holds. */
#define MAX_ROOTS 64

void
cradle_attestation_free (CradleAttestation *attestation)
{
  if (attestation == NULL)
    return;
  g_free (attestation->vendor_root);
  g_free (attestation->firmware);
  g_free (attestation->summary);
  g_free (attestation);
}

static void G_GNUC_PRINTF (4, 5)
set_error (GError              **error,
           CradleError           code,
           CradleTokenFailure    failure,
           const char           *format,
           ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  cradle_explain_set_error (error, code, CRADLE_EXPLAIN_TOKEN, failure, "%s", message);
}

/* One DER certificate, nothing after it, within the bound. */
static X509 *
parse_certificate (GBytes     *der,
                   const char *what,
                   GError    **error)
{
  gsize size = 0;
  const unsigned char *data = der != NULL ? g_bytes_get_data (der, &size) : NULL;
  const unsigned char *p = data;
  X509 *certificate = NULL;

  if (size > 0 && size <= CRADLE_ATTESTATION_MAX_CERTIFICATE_SIZE)
    certificate = d2i_X509 (NULL, &p, (long) size);
  if (certificate == NULL || p != data + size)
    {
      g_clear_pointer (&certificate, X509_free);
      ERR_clear_error ();
      set_error (error, CRADLE_ERROR_INVALID_DATA, CRADLE_TOKEN_FAILURE_ATTESTATION_UNTRUSTED,
                 "The token's %s is not one DER certificate of at most %d bytes, so it proves nothing "
                 "about the key.", what, CRADLE_ATTESTATION_MAX_CERTIFICATE_SIZE);
      return NULL;
    }
  return certificate;
}

/* Every certificate in the PEM file @path, at most MAX_ROOTS. */
static CradleAttestationCerts *
load_roots (const char  *path,
            GError     **error)
{
  g_autoptr(CradleAttestationCerts) roots = sk_X509_new_null ();
  g_autoptr(GError) local_error = NULL;
  g_autoptr(BIO) bio = NULL;
  g_autofree char *data = NULL;
  gsize size = 0;

  if (path == NULL || path[0] == '\0')
    {
      set_error (error, CRADLE_ERROR_NOT_CONFIGURED, CRADLE_TOKEN_FAILURE_ATTESTATION_NO_ROOTS,
                 "No vendor roots are configured to check the token's attestation against. Ask your "
                 "administrator to name the vendor's PIV root certificates (for a YubiKey, Yubico's PIV "
                 "CA) in cradle.conf, [Tokens] AttestationRoots=.");
      return NULL;
    }
  if (!g_file_get_contents (path, &data, &size, &local_error) || size > CRADLE_ATTESTATION_MAX_ROOTS_SIZE)
    {
      set_error (error, CRADLE_ERROR_NOT_CONFIGURED, CRADLE_TOKEN_FAILURE_ATTESTATION_NO_ROOTS,
                 "The vendor roots for attestations, %s ([Tokens] AttestationRoots= in cradle.conf), "
                 "cannot be read: %s. Ask your administrator.", path,
                 local_error != NULL ? local_error->message : "the file is larger than 1 MiB");
      return NULL;
    }
  bio = BIO_new_mem_buf (data, (int) size);
  while (bio != NULL && sk_X509_num (roots) < MAX_ROOTS)
    {
      X509 *root = PEM_read_bio_X509 (bio, NULL, NULL, NULL);

      if (root == NULL)
        break;
      if (sk_X509_push (roots, root) <= 0)
        {
          X509_free (root);
          break;
        }
    }
  ERR_clear_error ();
  if (sk_X509_num (roots) == 0)
    {
      set_error (error, CRADLE_ERROR_NOT_CONFIGURED, CRADLE_TOKEN_FAILURE_ATTESTATION_NO_ROOTS,
                 "The vendor roots file %s ([Tokens] AttestationRoots= in cradle.conf) holds no PEM "
                 "certificate. Ask your administrator.", path);
      return NULL;
    }
  return g_steal_pointer (&roots);
}

/* A name in RFC 2253 form, escaped; %NULL when it cannot be printed. */
static char *
name_to_string (const X509_NAME *name)
{
  g_autoptr(BIO) bio = BIO_new (BIO_s_mem ());
  char *text = NULL;
  long length;

  if (bio == NULL || X509_NAME_print_ex (bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0)
    {
      ERR_clear_error ();
      return NULL;
    }
  length = BIO_get_mem_data (bio, &text);
  return cradle_text_escape (text, length, CRADLE_TEXT_ESCAPE_DEFAULT);
}

/* A YubiKey's attesting (f9) certificate is not always marked a CA
 * (YubiKey 4's are version 1 certificates without extensions): its one
 * job is signing attestations, and the vendor's root vouches for it.  So
 * that one complaint is forgiven for the certificate right above the
 * attestation, and for no other. */
static int
verify_callback (int             ok,
                 X509_STORE_CTX *ctx)
{
  if (!ok && X509_STORE_CTX_get_error (ctx) == X509_V_ERR_INVALID_CA && X509_STORE_CTX_get_error_depth (ctx) == 1)
    {
      X509_STORE_CTX_set_error (ctx, X509_V_OK);
      return 1;
    }
  return ok;
}

/* The chain attestation -> @intermediate -> a root in @roots; returns the
 * root's subject (escaped). */
static char *
verify_chain (X509                   *attestation,
              X509                   *intermediate,
              CradleAttestationCerts *roots,
              GError                **error)
{
  g_autoptr(CradleAttestationStore) store = X509_STORE_new ();
  g_autoptr(CradleAttestationStoreCtx) ctx = X509_STORE_CTX_new ();
  g_autoptr(CradleAttestationCerts) untrusted = sk_X509_new_null ();
  STACK_OF (X509) *chain;
  X509 *top;
  int result;

  if (store == NULL || ctx == NULL || untrusted == NULL ||
      (intermediate != NULL && !sk_X509_push (untrusted, X509_dup (intermediate))))
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not prepare the attestation's check");
      return NULL;
    }
  for (int i = 0; i < sk_X509_num (roots); i++)
    if (!X509_STORE_add_cert (store, sk_X509_value (roots, i)))
      ERR_clear_error ();   /* the same root twice in the file */
  X509_STORE_set_verify_cb (store, verify_callback);
  if (!X509_STORE_CTX_init (ctx, store, attestation, untrusted))
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not prepare the attestation's check");
      return NULL;
    }
  result = X509_verify_cert (ctx);
  if (result <= 0)
    {
      int code = X509_STORE_CTX_get_error (ctx);

      ERR_clear_error ();
      set_error (error, CRADLE_ERROR_INVALID_DATA, CRADLE_TOKEN_FAILURE_ATTESTATION_UNTRUSTED,
                 "The token's attestation of the key does not lead to the vendor roots configured "
                 "([Tokens] AttestationRoots=): %s (depth %d). The key may not have been made on a "
                 "genuine token; the request is not trusted to come from one.",
                 X509_verify_cert_error_string (code), X509_STORE_CTX_get_error_depth (ctx));
      return NULL;
    }
  chain = X509_STORE_CTX_get0_chain (ctx);
  top = chain != NULL && sk_X509_num (chain) > 0 ? sk_X509_value (chain, sk_X509_num (chain) - 1) : NULL;
  return top != NULL ? name_to_string (X509_get_subject_name (top)) : g_strdup ("?");
}

/* The attested key against @public_key_info, byte for byte. */
static gboolean
check_key (X509       *attestation,
           GBytes     *public_key_info,
           GError    **error)
{
  unsigned char *spki = NULL;
  int size = i2d_X509_PUBKEY (X509_get_X509_PUBKEY (attestation), &spki);
  g_autoptr(GBytes) attested = size > 0 ? cradle_openssl_take_der (spki, size) : NULL;

  if (attested == NULL)
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_INVALID_DATA, "The attested public key cannot be read");
      return FALSE;
    }
  if (public_key_info == NULL || !g_bytes_equal (attested, public_key_info))
    {
      set_error (error, CRADLE_ERROR_INVALID_DATA, CRADLE_TOKEN_FAILURE_ATTESTATION_WRONG_KEY,
                 "The token's attestation is for another key than the one it gave for this request. "
                 "The request is not sent: the key cannot be shown to be the token's own.");
      return FALSE;
    }
  return TRUE;
}

/* The value of the extension @oid of @certificate, or %NULL. */
static const ASN1_OCTET_STRING *
extension_value (X509       *certificate,
                 const char *oid)
{
  g_autoptr(ASN1_OBJECT) object = OBJ_txt2obj (oid, 1);
  int index = object != NULL ? X509_get_ext_by_OBJ (certificate, object, -1) : -1;

  if (index < 0)
    return NULL;
  return X509_EXTENSION_get_data (X509_get_ext (certificate, index));
}

static gboolean
malformed (GError    **error,
           const char *what)
{
  set_error (error, CRADLE_ERROR_INVALID_DATA, CRADLE_TOKEN_FAILURE_ATTESTATION_UNTRUSTED,
             "The token's attestation is malformed: its %s extension cannot be read.", what);
  return FALSE;
}

/* Yubico's extensions (ykpiv.h): firmware 3 bytes, serial a DER INTEGER,
 * PIN and touch policy 2 bytes. */
static gboolean
read_extensions (X509               *certificate,
                 CradleAttestation  *result,
                 GError            **error)
{
  const ASN1_OCTET_STRING *value;

  result->serial = -1;
  value = extension_value (certificate, CRADLE_ATTESTATION_OID_FIRMWARE);
  if (value != NULL)
    {
      const guint8 *bytes = ASN1_STRING_get0_data (value);

      if (ASN1_STRING_length (value) != 3)
        return malformed (error, "firmware version");
      result->firmware = g_strdup_printf ("%u.%u.%u", bytes[0], bytes[1], bytes[2]);
    }
  value = extension_value (certificate, CRADLE_ATTESTATION_OID_SERIAL);
  if (value != NULL)
    {
      CradleDerSlice in = { ASN1_STRING_get0_data (value), (gsize) ASN1_STRING_length (value) };
      CradleDerSlice integer;
      guint64 serial = 0;

      /* A non-negative INTEGER of at most 7 value bytes (a sign byte may
       * come first), and nothing after it. */
      if (!cradle_der_take (&in, CRADLE_DER_INTEGER, NULL, &integer) || in.size != 0 || integer.size == 0 ||
          (integer.data[0] & 0x80) != 0 || integer.size > 8 || (integer.size == 8 && integer.data[0] != 0))
        return malformed (error, "serial number");
      for (gsize i = 0; i < integer.size; i++)
        serial = serial << 8 | integer.data[i];
      result->serial = (gint64) serial;
    }
  value = extension_value (certificate, CRADLE_ATTESTATION_OID_POLICY);
  if (value != NULL)
    {
      const guint8 *bytes = ASN1_STRING_get0_data (value);

      if (ASN1_STRING_length (value) != 2)
        return malformed (error, "PIN and touch policy");
      result->pin_policy = bytes[0];
      result->touch_policy = bytes[1];
    }
  return TRUE;
}

static const char *
pin_policy_name (guint8 policy)
{
  switch (policy)
    {
    case 1:
      return "never";
    case 2:
      return "once per session";
    case 3:
      return "before every use";
    default:
      return NULL;
    }
}

static const char *
touch_policy_name (guint8 policy)
{
  switch (policy)
    {
    case 1:
      return "never";
    case 2:
      return "before every use";
    case 3:
      return "cached for 15 seconds";
    default:
      return NULL;
    }
}

static char *
summarise (CradleAttestation *result)
{
  GString *text = g_string_new ("The token attests that it made the key");

  if (result->serial >= 0)
    g_string_append_printf (text, " (serial %" G_GINT64_FORMAT, result->serial);
  if (result->firmware != NULL)
    g_string_append_printf (text, "%sfirmware %s", result->serial >= 0 ? ", " : " (", result->firmware);
  if (result->serial >= 0 || result->firmware != NULL)
    g_string_append_c (text, ')');
  g_string_append (text, "; verified up to ");
  g_string_append (text, result->vendor_root);
  if (result->pin_policy != 0)
    {
      const char *name = pin_policy_name (result->pin_policy);

      if (name != NULL)
        g_string_append_printf (text, "; PIN %s", name);
      else
        g_string_append_printf (text, "; PIN policy %u", result->pin_policy);
    }
  if (result->touch_policy != 0)
    {
      const char *name = touch_policy_name (result->touch_policy);

      if (name != NULL)
        g_string_append_printf (text, "; touch %s", name);
      else
        g_string_append_printf (text, "; touch policy %u", result->touch_policy);
    }
  return g_string_free (text, FALSE);
}

CradleAttestation *
cradle_attestation_verify (GBytes      *attestation,
                           GBytes      *intermediate,
                           const char  *roots_file,
                           GBytes      *public_key_info,
                           GError     **error)
{
  g_autoptr(CradleAttestation) result = g_new0 (CradleAttestation, 1);
  g_autoptr(CradleAttestationCerts) roots = NULL;
  g_autoptr(X509) attestation_x509 = NULL;
  g_autoptr(X509) intermediate_x509 = NULL;

  g_return_val_if_fail (attestation != NULL, NULL);

  roots = load_roots (roots_file, error);
  if (roots == NULL)
    return NULL;
  attestation_x509 = parse_certificate (attestation, "attestation", error);
  if (attestation_x509 == NULL)
    return NULL;
  if (intermediate != NULL)
    {
      intermediate_x509 = parse_certificate (intermediate, "attesting certificate", error);
      if (intermediate_x509 == NULL)
        return NULL;
    }
  result->vendor_root = verify_chain (attestation_x509, intermediate_x509, roots, error);
  if (result->vendor_root == NULL)
    return NULL;
  if (!check_key (attestation_x509, public_key_info, error) ||
      !read_extensions (attestation_x509, result, error))
    return NULL;
  result->verified = TRUE;
  result->summary = summarise (result);
  return g_steal_pointer (&result);
}

/* ---- in a request ---------------------------------------------------------- */

/* The extension @oid of @extensions as one certificate's DER; %NULL with
 * no error when there is none. */
static GBytes *
certificate_in (const X509_EXTENSIONS *extensions,
                const char            *oid,
                GError               **error)
{
  g_autoptr(ASN1_OBJECT) object = OBJ_txt2obj (oid, 1);
  const ASN1_OCTET_STRING *value;
  g_autoptr(GBytes) der = NULL;
  g_autoptr(X509) certificate = NULL;
  int index;

  index = object != NULL ? X509v3_get_ext_by_OBJ (extensions, object, -1) : -1;
  if (index < 0)
    return NULL;
  value = X509_EXTENSION_get_data (X509v3_get_ext (extensions, index));
  der = g_bytes_new (ASN1_STRING_get0_data (value), (gsize) ASN1_STRING_length (value));
  certificate = parse_certificate (der, "certificate in the request", error);
  if (certificate == NULL)
    {
      g_prefix_error (error, "%s: ", oid);
      return NULL;
    }
  return g_steal_pointer (&der);
}

gboolean
cradle_attestation_from_request (GBytes   *request,
                                 GBytes  **attestation,
                                 GBytes  **intermediate,
                                 GError  **error)
{
  gsize size = 0;
  const unsigned char *data = request != NULL ? g_bytes_get_data (request, &size) : NULL;
  const unsigned char *p = data;
  g_autoptr(X509_REQ) parsed = NULL;
  g_autoptr(X509_EXTENSIONS) extensions = NULL;
  g_autoptr(GBytes) found = NULL;
  g_autoptr(GBytes) attesting = NULL;
  g_autoptr(GError) local_error = NULL;

  g_return_val_if_fail (attestation != NULL, FALSE);
  g_return_val_if_fail (intermediate != NULL, FALSE);

  if (size > 0 && size <= G_MAXLONG)
    parsed = d2i_X509_REQ (NULL, &p, (long) size);
  if (parsed == NULL || p != data + size)
    {
      ERR_clear_error ();
      set_error (error, CRADLE_ERROR_INVALID_DATA, CRADLE_TOKEN_FAILURE_ATTESTATION_UNTRUSTED,
                 "The request is not one DER PKCS#10 request, so no attestation can be read from it.");
      return FALSE;
    }
  extensions = X509_REQ_get_extensions (parsed);
  ERR_clear_error ();
  if (extensions != NULL)
    {
      found = certificate_in (extensions, CRADLE_ATTESTATION_OID_IN_REQUEST, &local_error);
      if (found == NULL && local_error == NULL)
        found = certificate_in (extensions, CRADLE_ATTESTATION_OID_IN_REQUEST_OLD, &local_error);
      if (found != NULL)
        attesting = certificate_in (extensions, CRADLE_ATTESTATION_OID_INTERMEDIATE, &local_error);
    }
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (found == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                           "The request carries no attestation of its key.");
      return FALSE;
    }
  *attestation = g_steal_pointer (&found);
  *intermediate = g_steal_pointer (&attesting);
  return TRUE;
}
