/* cradle-agent-scep-check.c: what SIGN purposes 2 and 3 may sign */
#include "config.h"

#include <string.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>
#include <cradle/cradle.h>

#include "protocol/cradle-der-private.h"
#include "agent/cradle-agent-keystore-crypto-private.h"
#include "agent/cradle-agent-scep-check-private.h"

/* Object identifiers, as the contents of their DER encoding. */
static const guint8 oid_content_type[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03 };
static const guint8 oid_message_digest[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04 };
static const guint8 oid_signing_time[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05 };
static const guint8 oid_data[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01 };
static const guint8 oid_enveloped_data[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03 };
/* 2.16.840.1.113733.1.9.x, the SCEP attributes */
#define SCEP_OID(x) { 0x60, 0x86, 0x48, 0x01, 0x86, 0xf8, 0x45, 0x01, 0x09, x }
static const guint8 oid_message_type[] = SCEP_OID (0x02);
static const guint8 oid_sender_nonce[] = SCEP_OID (0x05);
static const guint8 oid_transaction_id[] = SCEP_OID (0x07);

#define MAX_ATTRIBUTES 16

/* The signer certificate (purpose 2) */

/* A Certificate around @tbs with an empty signature, so that OpenSSL's own
 * decoder can read the TBSCertificate (it has none for it alone). */
static X509 *
parse_tbs (CradleDerSlice tbs,
           CradleDerSlice algorithm)
{
  static const guint8 empty_signature[] = { CRADLE_DER_BIT_STRING, 0x01, 0x00 };
  g_autoptr(GByteArray) wrapped = g_byte_array_new ();
  const guint8 *p;
  X509 *cert;

  cradle_der_append_header (wrapped, CRADLE_DER_SEQUENCE, tbs.size + algorithm.size + sizeof empty_signature);
  g_byte_array_append (wrapped, tbs.data, tbs.size);
  g_byte_array_append (wrapped, algorithm.data, algorithm.size);
  g_byte_array_append (wrapped, empty_signature, sizeof empty_signature);
  p = wrapped->data;
  cert = d2i_X509 (NULL, &p, (long) wrapped->len);
  if (cert != NULL && p != wrapped->data + wrapped->len)
    g_clear_pointer (&cert, X509_free);
  return cert;
}

/* Whether OpenSSL encodes the TBSCertificate it read exactly as given:
 * then every field checked below is the one the signature covers. */
static gboolean
tbs_is_canonical (X509           *cert,
                  CradleDerSlice  tbs)
{
  g_autofree guint8 *der = NULL;
  guint8 *end;
  int size = i2d_re_X509_tbs (cert, NULL);

  if (size <= 0 || (gsize) size != tbs.size)
    return FALSE;
  der = g_malloc (size);
  end = der;
  return i2d_re_X509_tbs (cert, &end) == size && memcmp (der, tbs.data, tbs.size) == 0;
}

static gboolean
same_name (const X509_NAME *a,
           const X509_NAME *b)
{
  const unsigned char *a_der = NULL, *b_der = NULL;
  size_t a_size = 0, b_size = 0;

  return X509_NAME_get0_der (a, &a_der, &a_size) == 1 && X509_NAME_get0_der (b, &b_der, &b_size) == 1
         && a_size == b_size && memcmp (a_der, b_der, a_size) == 0;
}

static gboolean
public_key_is (X509   *cert,
               GBytes *public_key)
{
  g_autofree guint8 *der = NULL;
  guint8 *end;
  int size = i2d_X509_PUBKEY (X509_get_X509_PUBKEY (cert), NULL);

  if (size <= 0 || (gsize) size != g_bytes_get_size (public_key))
    return FALSE;
  der = g_malloc (size);
  end = der;
  return i2d_X509_PUBKEY (X509_get_X509_PUBKEY (cert), &end) == size
         && memcmp (der, g_bytes_get_data (public_key, NULL), size) == 0;
}

gboolean
cradle_agent_scep_check_signer_certificate (GBytes  *tbs,
                                            GBytes  *public_key,
                                            int      signature_nid,
                                            GError **error)
{
  CradleDerSlice input = cradle_der_slice_from_bytes (tbs);
  CradleDerSlice whole;
  CradleDerSlice fields;
  CradleDerSlice algorithm;
  g_autoptr(X509) cert = NULL;
  const ASN1_OBJECT *algorithm_oid = NULL;
  int parameter_type = V_ASN1_UNDEF;
  int key_nid = NID_undef;
  uint32_t flags;

  /* TBSCertificate ::= SEQUENCE { [0] version, serialNumber, signature, ... } */
  if (!cradle_der_take (&input, CRADLE_DER_SEQUENCE, &whole, &fields) || input.size != 0
      || !cradle_der_take (&fields, CRADLE_DER_CONTEXT_0, NULL, NULL)
      || !cradle_der_take (&fields, CRADLE_DER_INTEGER, NULL, NULL)
      || !cradle_der_take (&fields, CRADLE_DER_SEQUENCE, &algorithm, NULL))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The bytes to sign are not a DER X.509 v3 TBSCertificate");
      return FALSE;
    }
  cert = parse_tbs (whole, algorithm);
  if (cert == NULL || !tbs_is_canonical (cert, whole))
    {
      cradle_agent_crypto_set_error (error, CRADLE_ERROR_INVALID_DATA,
                                     "The bytes to sign are not a DER X.509 v3 TBSCertificate");
      return FALSE;
    }
  if (X509_get_version (cert) != X509_VERSION_3)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The SCEP signer certificate is not version 3");
      return FALSE;
    }
  if (!public_key_is (cert, public_key))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The certificate is not for this key: its public key is another one");
      return FALSE;
    }
  if (!same_name (X509_get_issuer_name (cert), X509_get_subject_name (cert)))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The SCEP signer certificate is not self-signed: its issuer is not its subject");
      return FALSE;
    }

  /* The algorithm the device is about to sign with, and nothing else:
   * RSA with NULL parameters (RFC 4055), ECDSA without (RFC 5758). */
  X509_ALGOR_get0 (&algorithm_oid, &parameter_type, NULL, X509_get0_tbs_sigalg (cert));
  if (!OBJ_find_sigid_algs (signature_nid, NULL, &key_nid))
    key_nid = NID_undef;
  if (OBJ_obj2nid (algorithm_oid) != signature_nid
      || parameter_type != (key_nid == NID_rsaEncryption ? V_ASN1_NULL : V_ASN1_UNDEF))
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The certificate names the signature algorithm %s; this key signs it with %s",
                   OBJ_nid2sn (OBJ_obj2nid (algorithm_oid)), OBJ_nid2sn (signature_nid));
      return FALSE;
    }

  flags = X509_get_extension_flags (cert);
  if ((flags & EXFLAG_INVALID) != 0)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The SCEP signer certificate has extensions that do not decode");
      return FALSE;
    }
  if ((flags & EXFLAG_CA) != 0 || X509_check_ca (cert) != 0
      || ((flags & EXFLAG_KUSAGE) != 0 && (X509_get_key_usage (cert) & (KU_KEY_CERT_SIGN | KU_CRL_SIGN)) != 0))
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The SCEP signer certificate would be a CA certificate; this device signs "
                           "only an end-entity certificate for its own key");
      return FALSE;
    }
  return TRUE;
}

/* The signed attributes (purpose 3) */

typedef enum {
  ATTRIBUTE_CONTENT_TYPE,
  ATTRIBUTE_MESSAGE_DIGEST,
  ATTRIBUTE_MESSAGE_TYPE,
  ATTRIBUTE_SENDER_NONCE,
  ATTRIBUTE_TRANSACTION_ID,
  ATTRIBUTE_SIGNING_TIME,
  N_ATTRIBUTES
} AttributeKind;

static const struct {
  const guint8 *oid;
  gsize         oid_size;
  const char   *name;
  gboolean      required;
} attribute_kinds[N_ATTRIBUTES] = {
  [ATTRIBUTE_CONTENT_TYPE] = { oid_content_type, sizeof oid_content_type, "contentType", TRUE },
  [ATTRIBUTE_MESSAGE_DIGEST] = { oid_message_digest, sizeof oid_message_digest, "messageDigest", TRUE },
  [ATTRIBUTE_MESSAGE_TYPE] = { oid_message_type, sizeof oid_message_type, "messageType", TRUE },
  [ATTRIBUTE_SENDER_NONCE] = { oid_sender_nonce, sizeof oid_sender_nonce, "senderNonce", TRUE },
  [ATTRIBUTE_TRANSACTION_ID] = { oid_transaction_id, sizeof oid_transaction_id, "transactionID", TRUE },
  [ATTRIBUTE_SIGNING_TIME] = { oid_signing_time, sizeof oid_signing_time, "signingTime", FALSE },
};

static char *
oid_to_text (CradleDerSlice oid)
{
  g_autoptr(GByteArray) der = g_byte_array_new ();
  g_autoptr(ASN1_OBJECT) object = NULL;
  const guint8 *p;
  char text[128];

  cradle_der_append_header (der, CRADLE_DER_OID, oid.size);
  g_byte_array_append (der, oid.data, oid.size);
  p = der->data;
  object = d2i_ASN1_OBJECT (NULL, &p, (long) der->len);
  if (object == NULL || OBJ_obj2txt (text, sizeof text, object, 1) <= 0)
    {
      ERR_clear_error ();
      return g_strdup ("(an invalid object identifier)");
    }
  return g_strdup (text);
}

/* PrintableString's characters (X.680 41.4). */
static gboolean
is_printable_string (CradleDerSlice value)
{
  for (gsize i = 0; i < value.size; i++)
    {
      guint8 c = value.data[i];

      /* strchr() finds the terminating NUL too: a NUL byte is not printable. */
      if (!g_ascii_isalnum (c) && (c == '\0' || strchr (" '()+,-./:=?", c) == NULL))
        return FALSE;
    }
  return TRUE;
}

/* Whose attributes they are, for messages. */
static const char *
describe (CradleAgentAttributesProfile profile)
{
  return profile == CRADLE_AGENT_ATTRIBUTES_CMS ? "The renewal's CMS signature" : "The SCEP message";
}

static gboolean
check_value (CradleAgentAttributesProfile profile,
             AttributeKind   kind,
             guint8          tag,
             CradleDerSlice  value,
             gsize           digest_size,
             guint          *message_type,
             GError        **error)
{
  const char *name = attribute_kinds[kind].name;
  const char *what = describe (profile);

  switch (kind)
    {
    case ATTRIBUTE_CONTENT_TYPE:
      if (tag == CRADLE_DER_OID && cradle_der_equal (value, oid_data, sizeof oid_data))
        return TRUE;
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s's %s is not id-data", what, name);
      return FALSE;

    case ATTRIBUTE_MESSAGE_DIGEST:
      if (tag == CRADLE_DER_OCTET_STRING && value.size == digest_size)
        return TRUE;
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s's %s is not a %" G_GSIZE_FORMAT "-byte digest", what, name, digest_size);
      return FALSE;

    case ATTRIBUTE_MESSAGE_TYPE:
      /* A new enrollment's key signs only a new enrollment's requests (it
       * has no certificate to renew with); the old key of a renewal signs
       * only RenewalReq, and CertPoll while it is pending. */
      if (profile == CRADLE_AGENT_ATTRIBUTES_SCEP_REQUEST && tag == CRADLE_DER_PRINTABLE_STRING
          && cradle_der_equal (value, (const guint8 *) "19", 2))
        *message_type = CRADLE_AGENT_SCEP_PKCS_REQ;
      else if (profile == CRADLE_AGENT_ATTRIBUTES_SCEP_RENEWAL && tag == CRADLE_DER_PRINTABLE_STRING
               && cradle_der_equal (value, (const guint8 *) "17", 2))
        *message_type = CRADLE_AGENT_SCEP_RENEWAL_REQ;
      else if (tag == CRADLE_DER_PRINTABLE_STRING && cradle_der_equal (value, (const guint8 *) "20", 2))
        *message_type = CRADLE_AGENT_SCEP_CERT_POLL;
      else if (profile == CRADLE_AGENT_ATTRIBUTES_SCEP_RENEWAL)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "The SCEP message is not a RenewalReq (17) or CertPoll (20): the only "
                       "SCEP messages the key of a certificate being renewed signs");
          return FALSE;
        }
      else
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "The SCEP message is not a PKCSReq (19) or CertPoll (20): the only "
                       "SCEP messages a key pending enrollment signs");
          return FALSE;
        }
      return TRUE;

    case ATTRIBUTE_SENDER_NONCE:
      if (tag == CRADLE_DER_OCTET_STRING && value.size == CRADLE_AGENT_SCEP_NONCE_SIZE)
        return TRUE;
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The SCEP message's %s is not %d bytes", name, CRADLE_AGENT_SCEP_NONCE_SIZE);
      return FALSE;

    case ATTRIBUTE_TRANSACTION_ID:
      if (tag == CRADLE_DER_PRINTABLE_STRING && value.size > 0
          && value.size <= CRADLE_AGENT_SCEP_MAX_TRANSACTION_ID && is_printable_string (value))
        return TRUE;
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The SCEP message's %s is not a PrintableString of 1 to %d characters",
                   name, CRADLE_AGENT_SCEP_MAX_TRANSACTION_ID);
      return FALSE;

    case ATTRIBUTE_SIGNING_TIME:
      if ((tag == CRADLE_DER_UTC_TIME || tag == CRADLE_DER_GENERALIZED_TIME) && value.size <= 32)
        return TRUE;
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s's %s is not a time", what, name);
      return FALSE;

    case N_ATTRIBUTES:
    default:
      g_assert_not_reached ();
    }
}

/* Whether @profile signs attributes of @kind. */
static gboolean
profile_takes (CradleAgentAttributesProfile profile,
               AttributeKind                kind)
{
  return profile != CRADLE_AGENT_ATTRIBUTES_CMS
         || kind == ATTRIBUTE_CONTENT_TYPE || kind == ATTRIBUTE_MESSAGE_DIGEST || kind == ATTRIBUTE_SIGNING_TIME;
}

gboolean
cradle_agent_scep_check_signed_attributes (GBytes  *attributes,
                                           gsize    digest_size,
                                           guint   *message_type,
                                           GBytes **message_digest,
                                           char   **transaction_id,
                                           GError **error)
{
  return cradle_agent_scep_check_attributes_for (CRADLE_AGENT_ATTRIBUTES_SCEP_REQUEST, attributes, digest_size,
                                                 message_type, message_digest, transaction_id, error);
}

gboolean
cradle_agent_scep_check_attributes_for (CradleAgentAttributesProfile profile,
                                        GBytes                      *attributes,
                                        gsize                        digest_size,
                                        guint                       *message_type,
                                        GBytes                     **message_digest,
                                        char                       **transaction_id,
                                        GError                     **error)
{
  CradleDerSlice values_of[N_ATTRIBUTES] = { { NULL, 0 } };
  CradleDerSlice input = cradle_der_slice_from_bytes (attributes);
  CradleDerSlice items;
  CradleDerSlice previous = { NULL, 0 };
  gboolean seen[N_ATTRIBUTES] = { FALSE };
  const char *what = describe (profile);
  guint type = 0;
  guint count = 0;

  if (!cradle_der_take (&input, CRADLE_DER_SET, NULL, &items) || input.size != 0)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The bytes to sign are not the DER SET OF signed attributes of %s",
                   profile == CRADLE_AGENT_ATTRIBUTES_CMS ? "a renewal's CMS signature" : "a SCEP message");
      return FALSE;
    }

  while (items.size > 0)
    {
      CradleDerSlice whole;
      CradleDerSlice attribute;
      CradleDerSlice oid;
      CradleDerSlice values;
      CradleDerSlice value;
      guint8 tag = 0;
      AttributeKind kind;

      /* Attribute ::= SEQUENCE { type OID, values SET SIZE (1) } */
      if (!cradle_der_take (&items, CRADLE_DER_SEQUENCE, &whole, &attribute)
          || !cradle_der_take (&attribute, CRADLE_DER_OID, NULL, &oid) || oid.size == 0
          || !cradle_der_take (&attribute, CRADLE_DER_SET, NULL, &values) || attribute.size != 0
          || !cradle_der_take_any (&values, &tag, NULL, &value) || values.size != 0)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "A signed attribute of %s is not one DER Attribute with one value",
                       profile == CRADLE_AGENT_ATTRIBUTES_CMS ? "the renewal's CMS signature" : "the SCEP message");
          return FALSE;
        }
      if (++count > MAX_ATTRIBUTES)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "%s has more than %d signed attributes", what, MAX_ATTRIBUTES);
          return FALSE;
        }
      /* DER sorts a SET OF: one message, one encoding. */
      if (previous.data != NULL && cradle_der_set_order (previous, whole) >= 0)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "%s's signed attributes are not in DER order", what);
          return FALSE;
        }
      previous = whole;

      for (kind = 0; kind < N_ATTRIBUTES; kind++)
        if (cradle_der_equal (oid, attribute_kinds[kind].oid, attribute_kinds[kind].oid_size))
          break;
      if (kind == N_ATTRIBUTES || !profile_takes (profile, kind))
        {
          g_autofree char *text = oid_to_text (oid);

          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "%s carries the signed attribute %s, which this device does not sign",
                       what, text);
          return FALSE;
        }
      if (seen[kind])
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "%s has its %s twice", what, attribute_kinds[kind].name);
          return FALSE;
        }
      seen[kind] = TRUE;
      values_of[kind] = value;
      if (!check_value (profile, kind, tag, value, digest_size, &type, error))
        return FALSE;
    }

  for (AttributeKind kind = 0; kind < N_ATTRIBUTES; kind++)
    if (attribute_kinds[kind].required && profile_takes (profile, kind) && !seen[kind])
      {
        g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                     "%s has no %s", what, attribute_kinds[kind].name);
        return FALSE;
      }
  if (message_type != NULL)
    *message_type = type;
  if (message_digest != NULL)
    *message_digest = g_bytes_new (values_of[ATTRIBUTE_MESSAGE_DIGEST].data, values_of[ATTRIBUTE_MESSAGE_DIGEST].size);
  if (transaction_id != NULL && !seen[ATTRIBUTE_TRANSACTION_ID])
    *transaction_id = NULL;
  else if (transaction_id != NULL)
    *transaction_id = g_strndup ((const char *) values_of[ATTRIBUTE_TRANSACTION_ID].data,
                                 values_of[ATTRIBUTE_TRANSACTION_ID].size);
  return TRUE;
}

/* The content of purpose 3: a pkcsPKIEnvelope */

#define CRADLE_DER_CONTEXT_0_PRIMITIVE 0x80
#define CRADLE_DER_CONTEXT_1           0xa1

static gboolean
envelope_error (GError    **error,
                const char *what)
{
  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
               "The content of the SCEP message is not a SCEP envelope: %s", what);
  return FALSE;
}

/* AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL } */
static gboolean
take_algorithm (CradleDerSlice *in)
{
  CradleDerSlice algorithm;
  CradleDerSlice oid;
  guint8 tag;

  if (!cradle_der_take (in, CRADLE_DER_SEQUENCE, NULL, &algorithm)
      || !cradle_der_take (&algorithm, CRADLE_DER_OID, NULL, &oid) || oid.size == 0)
    return FALSE;
  if (algorithm.size > 0 && (!cradle_der_take_any (&algorithm, &tag, NULL, NULL) || algorithm.size != 0))
    return FALSE;
  return TRUE;
}

/* KeyTransRecipientInfo ::= SEQUENCE { version CMSVersion, rid
 * RecipientIdentifier, keyEncryptionAlgorithm, encryptedKey OCTET STRING } */
static gboolean
check_recipient (CradleDerSlice   recipients,
                 GError         **error)
{
  CradleDerSlice recipient;
  CradleDerSlice version;
  CradleDerSlice key;

  if (!cradle_der_take (&recipients, CRADLE_DER_SEQUENCE, NULL, &recipient))
    return envelope_error (error, "its recipient is not a KeyTransRecipientInfo");
  if (recipients.size != 0)
    return envelope_error (error, "it has more than one recipient, and a SCEP message has one, the CA");
  if (!cradle_der_take (&recipient, CRADLE_DER_INTEGER, NULL, &version) || version.size != 1
      || (version.data[0] != 0 && version.data[0] != 2))
    return envelope_error (error, "its recipient is not a KeyTransRecipientInfo (version 0 or 2)");
  /* rid: issuerAndSerialNumber (version 0) or [0] subjectKeyIdentifier (version 2) */
  if (version.data[0] == 0 ? !cradle_der_take (&recipient, CRADLE_DER_SEQUENCE, NULL, NULL)
                           : !cradle_der_take (&recipient, CRADLE_DER_CONTEXT_0_PRIMITIVE, NULL, NULL))
    return envelope_error (error, "its recipient is not named as its version says");
  if (!take_algorithm (&recipient))
    return envelope_error (error, "its recipient's key encryption algorithm does not decode");
  if (!cradle_der_take (&recipient, CRADLE_DER_OCTET_STRING, NULL, &key) || key.size == 0 || recipient.size != 0)
    return envelope_error (error, "its recipient's encrypted key is not one OCTET STRING");
  return TRUE;
}

gboolean
cradle_agent_scep_check_envelope (GBytes  *content,
                                  GError **error)
{
  CradleDerSlice input = cradle_der_slice_from_bytes (content);
  CradleDerSlice info;
  CradleDerSlice oid;
  CradleDerSlice explicit;
  CradleDerSlice enveloped;
  CradleDerSlice version;
  CradleDerSlice recipients;
  CradleDerSlice encrypted;
  CradleDerSlice encrypted_content;

  /* ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT ANY } */
  if (!cradle_der_take (&input, CRADLE_DER_SEQUENCE, NULL, &info) || input.size != 0)
    return envelope_error (error, "it is not one DER ContentInfo");
  if (!cradle_der_take (&info, CRADLE_DER_OID, NULL, &oid)
      || !cradle_der_equal (oid, oid_enveloped_data, sizeof oid_enveloped_data))
    return envelope_error (error, "its type is not envelopedData");
  if (!cradle_der_take (&info, CRADLE_DER_CONTEXT_0, NULL, &explicit) || info.size != 0
      || !cradle_der_take (&explicit, CRADLE_DER_SEQUENCE, NULL, &enveloped) || explicit.size != 0)
    return envelope_error (error, "it does not hold one EnvelopedData");

  /* EnvelopedData ::= SEQUENCE { version, originatorInfo [0] OPTIONAL,
   *   recipientInfos SET OF, encryptedContentInfo, unprotectedAttrs [1] OPTIONAL } */
  if (!cradle_der_take (&enveloped, CRADLE_DER_INTEGER, NULL, &version) || version.size != 1 || version.data[0] > 4)
    return envelope_error (error, "its EnvelopedData has no valid version");
  if (cradle_der_take (&enveloped, CRADLE_DER_CONTEXT_0, NULL, NULL))
    return envelope_error (error, "it has originator information, which SCEP does not use");
  if (!cradle_der_take (&enveloped, CRADLE_DER_SET, NULL, &recipients))
    return envelope_error (error, "it has no recipients");
  if (!check_recipient (recipients, error))
    return FALSE;

  /* EncryptedContentInfo ::= SEQUENCE { contentType OID,
   *   contentEncryptionAlgorithm, encryptedContent [0] IMPLICIT OCTET STRING } */
  if (!cradle_der_take (&enveloped, CRADLE_DER_SEQUENCE, NULL, &encrypted))
    return envelope_error (error, "it has no encrypted content");
  if (cradle_der_take (&enveloped, CRADLE_DER_CONTEXT_1, NULL, NULL))
    return envelope_error (error, "it has unprotected attributes, which SCEP does not use");
  if (enveloped.size != 0)
    return envelope_error (error, "its EnvelopedData has more than it should");
  if (!cradle_der_take (&encrypted, CRADLE_DER_OID, NULL, &oid) || !cradle_der_equal (oid, oid_data, sizeof oid_data))
    return envelope_error (error, "its encrypted content is not of type id-data");
  if (!take_algorithm (&encrypted))
    return envelope_error (error, "its content encryption algorithm does not decode");
  if (!cradle_der_take (&encrypted, CRADLE_DER_CONTEXT_0_PRIMITIVE, NULL, &encrypted_content)
      || encrypted_content.size == 0 || encrypted.size != 0)
    return envelope_error (error, "its encrypted content is not there");
  return TRUE;
}
