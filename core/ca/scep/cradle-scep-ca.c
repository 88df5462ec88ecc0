/* cradle-scep-ca.c: what a SCEP CA can do, and its certificates */
#include "config.h"

#include <string.h>
#include <openssl/err.h>
#include <cradle/cradle.h>

#include "ca/scep/cradle-scep-private.h"

const char *
cradle_scep_fail_info_to_string (guint fail_info)
{
  switch (fail_info)
    {
    case 0: return "badAlg";
    case 1: return "badMessageCheck";
    case 2: return "badRequest";
    case 3: return "badTime";
    case 4: return "badCertId";
    default: return "unknown";
    }
}

/* GetCACaps */

void
cradle_scep_caps_free (CradleScepCaps *caps)
{
  if (caps == NULL)
    return;
  g_free (caps->words);
  g_free (caps);
}

CradleScepCaps *
cradle_scep_caps_parse (GBytes  *body,
                        GError **error)
{
  g_autoptr(CradleScepCaps) caps = g_new0 (CradleScepCaps, 1);
  g_autoptr(GString) words = g_string_new (NULL);
  g_auto(GStrv) lines = NULL;
  g_autofree char *text = NULL;
  gsize size = 0;
  const char *data = body != NULL ? g_bytes_get_data (body, &size) : NULL;
  gboolean standard = FALSE, aes = FALSE, des3 = FALSE;
  gboolean sha256 = FALSE, sha384 = FALSE, sha512 = FALSE;

  if (size > CRADLE_SCEP_MAX_CAPS_SIZE || (size > 0 && memchr (data, '\0', size) != NULL)
      || (size > 0 && !g_utf8_validate_len (data, size, NULL)))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The SCEP server's capabilities (GetCACaps) are not a short list of words "
                   "(%" G_GSIZE_FORMAT " bytes). The address may not be a SCEP server; check it.",
                   size);
      return NULL;
    }
  text = g_strndup (data != NULL ? data : "", size);
  lines = g_strsplit_set (text, "\r\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *word = g_strstrip (lines[i]);

      if (word[0] == '\0')
        continue;
      /* RFC 8894 3.5.2: compared without regard to case. */
      if (g_ascii_strcasecmp (word, "SCEPStandard") == 0)
        standard = TRUE;
      else if (g_ascii_strcasecmp (word, "POSTPKIOperation") == 0)
        caps->post = TRUE;
      else if (g_ascii_strcasecmp (word, "AES") == 0)
        aes = TRUE;
      else if (g_ascii_strcasecmp (word, "DES3") == 0)
        des3 = TRUE;
      else if (g_ascii_strcasecmp (word, "SHA-256") == 0)
        sha256 = TRUE;
      else if (g_ascii_strcasecmp (word, "SHA-384") == 0)
        sha384 = TRUE;
      else if (g_ascii_strcasecmp (word, "SHA-512") == 0)
        sha512 = TRUE;
      else if (g_ascii_strcasecmp (word, "Renewal") == 0)
        caps->renewal = TRUE;
      if (words->len < 256)
        g_string_append_printf (words, "%s%s", words->len > 0 ? " " : "", word);
    }
  caps->words = g_utf8_make_valid (words->str, -1);

  /* SCEPStandard means AES, SHA-256 and POST (RFC 8894 3.5.2). */
  if (standard)
    {
      caps->post = TRUE;
      aes = sha256 = TRUE;
    }
  /* The device signs with SHA-2 only; a CA that lists none of them is
   * tried with SHA-256, the RFC's recommendation, and says so if it minds. */
  caps->digest = sha256 ? "sha256" : sha512 ? "sha512" : sha384 ? "sha384" : "sha256";
  if (aes)
    caps->cipher = "aes-128-cbc";
  else if (des3)
    caps->cipher = "des-ede3-cbc";
  else
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "The SCEP server offers neither AES nor triple DES (it lists: %s), and Cradle "
                   "does not send a request under single DES. Ask the administrator to enable "
                   "AES on the SCEP server.", words->len > 0 ? caps->words : "nothing");
      return NULL;
    }
  return g_steal_pointer (&caps);
}

/* GetCACert */

void
cradle_scep_ca_free (CradleScepCa *ca)
{
  if (ca == NULL)
    return;
  cradle_scep_certs_free (ca->certs);
  cradle_scep_certs_free (ca->signers);
  g_free (ca);
}

/* A CA certificate: basicConstraints cA (1), or a version 1 self-signed
 * root (3).  Not OpenSSL's looser kinds (a keyUsage allowing certificate
 * signing, a Netscape type), which an end entity's certificate may carry. */
static gboolean
is_ca (X509 *cert)
{
  int kind = X509_check_ca (cert);

  return kind == 1 || kind == 3;
}

/* Subject and issuer the same (RFC 5280 3.2): a root, or a self-signed
 * end-entity certificate. */
static gboolean
is_self_issued (X509 *cert)
{
  return X509_NAME_cmp (X509_get_subject_name (cert), X509_get_issuer_name (cert)) == 0;
}

static gboolean
is_rsa (X509 *cert)
{
  EVP_PKEY *key = X509_get0_pubkey (cert);

  return key != NULL && EVP_PKEY_is_a (key, "RSA");
}

/* Whether @cert's key usage allows @usage (no keyUsage extension: anything). */
static gboolean
allows (X509     *cert,
        uint32_t  usage)
{
  return (X509_get_extension_flags (cert) & EXFLAG_KUSAGE) == 0 || (X509_get_key_usage (cert) & usage) != 0;
}

/* Whether @issuer issued @cert: names, key identifiers and the signature. */
static gboolean
issued_by (X509 *cert,
           X509 *issuer)
{
  EVP_PKEY *key = X509_get0_pubkey (issuer);
  gboolean issued = X509_check_issued (issuer, cert) == X509_V_OK && key != NULL && X509_verify (cert, key) == 1;

  ERR_clear_error ();
  return issued;
}

/* The extended key usages that mark a registration authority. */
static const char * const ra_purposes[] = {
  "1.3.6.1.5.5.7.3.28",        /* id-kp-cmcRA (RFC 6402 2.10) */
  "1.3.6.1.4.1.311.20.2.1",    /* Certificate Request Agent: NDES's CEP Encryption and
                                * Exchange Enrollment Agent (Offline request) */
};

static gboolean
has_ra_purpose (X509 *cert)
{
  g_autoptr(EXTENDED_KEY_USAGE) usages = X509_get_ext_d2i (cert, NID_ext_key_usage, NULL, NULL);

  for (int i = 0; usages != NULL && i < sk_ASN1_OBJECT_num (usages); i++)
    {
      char oid[64];

      if (OBJ_obj2txt (oid, sizeof oid, sk_ASN1_OBJECT_value (usages, i), 1) <= 0)
        continue;
      for (gsize j = 0; j < G_N_ELEMENTS (ra_purposes); j++)
        if (g_str_equal (oid, ra_purposes[j]))
          return TRUE;
    }
  ERR_clear_error ();
  return FALSE;
}

char *
cradle_scep_dup_subject (X509 *cert)
{
  g_autoptr(BIO) bio = BIO_new (BIO_s_mem ());
  char *data = NULL;
  long size;

  if (bio == NULL || X509_NAME_print_ex (bio, X509_get_subject_name (cert), 0, XN_FLAG_RFC2253) < 0)
    return g_strdup ("(unreadable subject)");
  size = BIO_get_mem_data (bio, &data);
  return size > 0 ? g_utf8_make_valid (data, size) : g_strdup ("(empty subject)");
}

char *
cradle_scep_dup_sha256 (X509 *cert)
{
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  GString *text = g_string_new (NULL);

  if (X509_digest (cert, EVP_sha256 (), digest, &size) == 1)
    for (unsigned int i = 0; i < size; i++)
      g_string_append_printf (text, "%s%02X", i > 0 ? ":" : "", digest[i]);
  return g_string_free (text, FALSE);
}

static STACK_OF (X509) *
read_certificates (const char  *content_type,
                   GBytes      *body,
                   GError     **error)
{
  STACK_OF (X509) *certs = sk_X509_new_null ();
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (body, &size);
  const guint8 *p = data;

  if (size == 0 || size > CRADLE_SCEP_MAX_CA_CERT_SIZE)
    {
      cradle_scep_certs_free (certs);
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The SCEP server's CA certificates (GetCACert) are %" G_GSIZE_FORMAT
                   " bytes; Cradle expects 1 to %d. The answer is damaged.", size,
                   CRADLE_SCEP_MAX_CA_CERT_SIZE);
      return NULL;
    }
  if (g_ascii_strcasecmp (content_type, "application/x-x509-ca-cert") == 0)
    {
      X509 *cert = d2i_X509 (NULL, &p, (long) size);

      if (cert == NULL || p != data + size)
        {
          g_autofree char *why = cradle_openssl_dup_errors ();

          X509_free (cert);
          cradle_scep_certs_free (certs);
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "The SCEP server's CA certificate (GetCACert) is not one DER certificate%s%s. "
                       "The answer is damaged; support should check the SCEP server.",
                       why != NULL ? ": " : "", why != NULL ? why : "");
          return NULL;
        }
      sk_X509_push (certs, cert);
      return certs;
    }

  /* application/x-x509-ca-ra-cert: a degenerate certs-only PKCS#7. */
  {
    g_autoptr(PKCS7) p7 = d2i_PKCS7 (NULL, &p, (long) size);
    STACK_OF (X509) *inside = NULL;

    if (p7 == NULL || p != data + size || !PKCS7_type_is_signed (p7) || p7->d.sign == NULL
        || (inside = p7->d.sign->cert) == NULL || sk_X509_num (inside) == 0)
      {
        g_autofree char *why = cradle_openssl_dup_errors ();

        cradle_scep_certs_free (certs);
        g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                     "The SCEP server's CA and RA certificates (GetCACert) are not a certificate "
                     "bundle (PKCS#7) holding certificates%s%s. The answer is damaged; support "
                     "should check the SCEP server.", why != NULL ? ": " : "", why != NULL ? why : "");
        return NULL;
      }
    if (sk_X509_num (inside) > CRADLE_SCEP_MAX_CA_CERTS)
      {
        cradle_scep_certs_free (certs);
        g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                     "The SCEP server sent %d CA and RA certificates; Cradle accepts at most %d.",
                     sk_X509_num (inside), CRADLE_SCEP_MAX_CA_CERTS);
        return NULL;
      }
    for (int i = 0; i < sk_X509_num (inside); i++)
      {
        X509 *cert = sk_X509_value (inside, i);

        X509_up_ref (cert);
        sk_X509_push (certs, cert);
      }
    return certs;
  }
}

/* Refuses @cert, offered beside the CA: it is no RA certificate. */
static void
set_not_ra (GError    **error,
            X509       *cert,
            const char *why)
{
  g_autofree char *subject = cradle_scep_dup_subject (cert);
  g_autofree char *fingerprint = cradle_scep_dup_sha256 (cert);

  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
               "The SCEP server offered \"%s\" (SHA-256 %s) beside its CA certificate, but it is not "
               "a registration authority (RA) certificate: %s. The request, and its challenge, were "
               "not sent. Support should check the SCEP server's RA certificates; if the server is "
               "set up correctly, the connection may be intercepted.", subject, fingerprint, why);
}

/* The SCEP CA when no RA names it: the CA certificate that issued no
 * other CA certificate of the answer (the bottom of its chain). */
static X509 *
find_bottom_ca (STACK_OF (X509) *certs,
                GError         **error)
{
  X509 *bottom = NULL;

  for (int i = 0; i < sk_X509_num (certs); i++)
    {
      X509 *candidate = sk_X509_value (certs, i);
      gboolean issued_another = FALSE;

      if (!is_ca (candidate))
        continue;
      for (int j = 0; j < sk_X509_num (certs) && !issued_another; j++)
        {
          X509 *other = sk_X509_value (certs, j);

          issued_another = other != candidate && is_ca (other) && !is_self_issued (other)
                           && X509_cmp (other, candidate) != 0 && issued_by (other, candidate);
        }
      if (issued_another)
        continue;
      if (bottom != NULL && X509_cmp (bottom, candidate) != 0)
        {
          g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                               "The SCEP server sent several CA certificates that are not one chain, "
                               "so Cradle cannot tell which CA it is. Support should check the SCEP "
                               "server's CA certificates.");
          return NULL;
        }
      bottom = candidate;
    }
  if (bottom == NULL)
    g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                         "The SCEP server sent no CA certificate that Cradle can tell is its CA. "
                         "Support should check the SCEP server's CA certificates.");
  return bottom;
}

/* Who is who in a GetCACert answer, and who may do what.
 *
 * The CA certificates are those that say they are a CA (basicConstraints
 * cA, or a version 1 root); one self-issued certificate alone is the CA
 * all the same (it verifies only when it is an anchor itself).  Every
 * other certificate must be an RA certificate, which Cradle takes to mean
 * all four of:
 *   1. not a CA, and not self-issued;
 *   2. issued directly by a CA certificate of the same answer (names, key
 *      identifiers and signature), the same one for every RA: that CA is
 *      the SCEP CA (RFC 8894: with an RA, GetCACert answers with a bundle
 *      of the RA's certificates and the CA's that issued them);
 *   3. an extended key usage that names a registration authority:
 *      id-kp-cmcRA (RFC 6402) or Microsoft's Certificate Request Agent,
 *      which NDES's two RA certificates carry.  This is what sets an RA
 *      apart from any other certificate that CA issued (a phone's, a
 *      user's), which chains to the anchors just as well;
 *   4. a key usage fit for at least one RA job: keyEncipherment, to
 *      receive requests; digitalSignature, to sign CertReps (no keyUsage
 *      extension allows both).
 * A certificate that fails any of these refuses the whole answer.
 *
 * Requests are encrypted to the first RA that may encipher with an RSA
 * key, else to the SCEP CA itself, whatever its key usage says (a CA
 * certificate often allows certificate and CRL signing only, and SCEP CAs
 * such as micromdm's decrypt with its key all the same).  A CertRep must be
 * signed by the SCEP CA or by an RA that may sign. */
CradleScepCa *
cradle_scep_ca_parse (const char  *content_type,
                      GBytes      *body,
                      GError     **error)
{
  g_autoptr(CradleScepCa) ca = g_new0 (CradleScepCa, 1);
  X509 *ra_issuer = NULL;
  gboolean has_ca = FALSE;

  if (content_type == NULL
      || (g_ascii_strcasecmp (content_type, "application/x-x509-ca-cert") != 0
          && g_ascii_strcasecmp (content_type, "application/x-x509-ca-ra-cert") != 0))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The server answered GetCACert with %s instead of CA certificates "
                   "(application/x-x509-ca-cert or -ca-ra-cert). The address may not be a SCEP "
                   "server; check it.", content_type != NULL ? content_type : "no content type");
      return NULL;
    }
  ca->certs = read_certificates (content_type, body, error);
  if (ca->certs == NULL)
    return NULL;
  ca->signers = sk_X509_new_null ();

  /* One certificate: the CA, when it says so or is self-signed. */
  if (sk_X509_num (ca->certs) == 1)
    {
      X509 *only = sk_X509_value (ca->certs, 0);

      if (!is_ca (only) && !is_self_issued (only))
        {
          g_autofree char *subject = cradle_scep_dup_subject (only);
          g_autofree char *fingerprint = cradle_scep_dup_sha256 (only);

          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                       "The SCEP server sent \"%s\" (SHA-256 %s) as its CA certificate, but it is not "
                       "a CA certificate. The request, and its challenge, were not sent. Support "
                       "should check the SCEP server; if it is set up correctly, the connection may "
                       "be intercepted.", subject, fingerprint);
          return NULL;
        }
      ca->issuer = only;
    }

  for (int i = 0; i < sk_X509_num (ca->certs); i++)
    has_ca = has_ca || is_ca (sk_X509_value (ca->certs, i));

  for (int i = 0; i < sk_X509_num (ca->certs) && ca->issuer == NULL; i++)
    {
      X509 *cert = sk_X509_value (ca->certs, i);
      X509 *issuer = NULL;

      if (is_ca (cert))
        continue;
      if (!has_ca)
        {
          g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                               "The SCEP server sent RA certificates without its CA certificate. "
                               "Support should check the SCEP server.");
          return NULL;
        }
      if (is_self_issued (cert))
        {
          set_not_ra (error, cert, "it is self-signed");
          return NULL;
        }
      for (int j = 0; j < sk_X509_num (ca->certs) && issuer == NULL; j++)
        if (is_ca (sk_X509_value (ca->certs, j)) && issued_by (cert, sk_X509_value (ca->certs, j)))
          issuer = sk_X509_value (ca->certs, j);
      if (issuer == NULL)
        {
          set_not_ra (error, cert, "no CA certificate of the answer issued it");
          return NULL;
        }
      if (ra_issuer != NULL && X509_cmp (issuer, ra_issuer) != 0)
        {
          set_not_ra (error, cert, "another CA of the answer issued it than issued the other RA certificates");
          return NULL;
        }
      if (!has_ra_purpose (cert))
        {
          set_not_ra (error, cert, "its extended key usage names no registration authority "
                      "(id-kp-cmcRA 1.3.6.1.5.5.7.3.28, or Certificate Request Agent "
                      "1.3.6.1.4.1.311.20.2.1): it is an ordinary certificate of that CA");
          return NULL;
        }
      if (!allows (cert, KU_KEY_ENCIPHERMENT) && !allows (cert, KU_DIGITAL_SIGNATURE))
        {
          set_not_ra (error, cert, "its key usage allows neither key encipherment (to receive "
                      "requests) nor digital signature (to sign answers)");
          return NULL;
        }
      ra_issuer = issuer;
      if (ca->recipient == NULL && allows (cert, KU_KEY_ENCIPHERMENT) && is_rsa (cert))
        ca->recipient = cert;
      if (allows (cert, KU_DIGITAL_SIGNATURE))
        {
          X509_up_ref (cert);
          sk_X509_push (ca->signers, cert);
        }
    }

  if (ca->issuer == NULL)
    ca->issuer = ra_issuer != NULL ? ra_issuer : find_bottom_ca (ca->certs, error);
  if (ca->issuer == NULL)
    return NULL;
  if (ca->recipient == NULL && is_rsa (ca->issuer))
    ca->recipient = ca->issuer;
  if (ca->recipient == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                           "None of the SCEP server's CA and RA certificates has an RSA key to encrypt "
                           "the request to (SCEP's key transport needs one). Support should check "
                           "the SCEP server's certificates.");
      return NULL;
    }
  X509_up_ref (ca->issuer);
  sk_X509_push (ca->signers, ca->issuer);
  return g_steal_pointer (&ca);
}

GPtrArray *
cradle_scep_ca_dup_chain (CradleScepCa *ca)
{
  g_autoptr(GPtrArray) chain = g_ptr_array_new_with_free_func (g_object_unref);

  for (int i = 0; i < sk_X509_num (ca->certs); i++)
    {
      X509 *cert = sk_X509_value (ca->certs, i);
      unsigned char *der = NULL;
      int size;
      g_autoptr(GBytes) bytes = NULL;
      CradleCertificate *certificate;

      if (!is_ca (cert) && cert != ca->issuer)
        continue;
      size = i2d_X509 (cert, &der);
      if (size <= 0)
        continue;
      bytes = cradle_openssl_take_der (der, size);
      certificate = cradle_certificate_new_from_der (bytes, NULL);
      if (certificate != NULL)
        g_ptr_array_add (chain, certificate);
    }
  return g_steal_pointer (&chain);
}
