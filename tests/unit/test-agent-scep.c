/* test-agent-scep.c: what a device signs for SCEP, and what it refuses
 *
 * SIGN purposes 2 (the transient signer certificate) and 3 (a pkiMessage's
 * signed attributes over its pkcsPKIEnvelope), at the keystore: accepted
 * inputs, each rule of docs/bridge-protocol.md broken once, damaged and
 * random bytes, keys no longer made, keys not made for SCEP, another
 * host's requests.  DECRYPT is in test-agent-scep-decrypt.c.
 */
#include "config.h"

#include <string.h>
#include <openssl/pkcs7.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include <cradle/cradle.h>

#include "agent/cradle-agent-keystore-private.h"
#include "agent/cradle-agent-scep-check-private.h"

#include "keystore-test-support.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PKCS7, PKCS7_free)

static void
attributes_free (STACK_OF (X509_ATTRIBUTE) *attributes)
{
  sk_X509_ATTRIBUTE_pop_free (attributes, X509_ATTRIBUTE_free);
}

#define OID_CONTENT_TYPE    "1.2.840.113549.1.9.3"
#define OID_MESSAGE_DIGEST  "1.2.840.113549.1.9.4"
#define OID_SIGNING_TIME    "1.2.840.113549.1.9.5"
#define OID_MESSAGE_TYPE    "2.16.840.1.113733.1.9.2"
#define OID_SENDER_NONCE    "2.16.840.1.113733.1.9.5"
#define OID_RECIPIENT_NONCE "2.16.840.1.113733.1.9.6"
#define OID_TRANSACTION_ID  "2.16.840.1.113733.1.9.7"

/* The signer certificate's TBSCertificate */

typedef struct {
  long        version;        /* X509_VERSION_3 unless set */
  const char *issuer;         /* NULL: the subject */
  gboolean    ca;
  guint       key_usage;      /* KU_* bits, 0 for none */
  int         signature_nid;  /* NID_undef: sha256 with the key's algorithm */
  gboolean    wrong_parameters; /* NULL for ECDSA, none for RSA */
} TbsOptions;

static GBytes *
make_tbs (GBytes           *spki,
          const TbsOptions *options)
{
  g_autoptr(EVP_PKEY) pkey = ks_parse_spki (spki);
  g_autoptr(X509) cert = X509_new ();
  g_autoptr(X509_NAME) subject = X509_NAME_new ();
  g_autoptr(X509_NAME) issuer = X509_NAME_new ();
  gboolean rsa = EVP_PKEY_is_a (pkey, "RSA");
  int nid = options->signature_nid != NID_undef ? options->signature_nid
            : rsa ? NID_sha256WithRSAEncryption : NID_ecdsa_with_SHA256;
  int parameter_type = rsa != options->wrong_parameters ? V_ASN1_NULL : V_ASN1_UNDEF;
  g_autofree guint8 *der = NULL;
  guint8 *end;
  int size;

  g_assert_true (X509_NAME_add_entry_by_txt (subject, "CN", MBSTRING_ASC, (const guint8 *) "SCEP signer", -1, -1, 0));
  g_assert_true (X509_NAME_add_entry_by_txt (issuer, "CN", MBSTRING_ASC,
                                             (const guint8 *) (options->issuer != NULL ? options->issuer : "SCEP signer"),
                                             -1, -1, 0));
  g_assert_true (X509_set_version (cert, options->version));
  g_assert_true (ASN1_INTEGER_set (X509_get_serialNumber (cert), 0x1234));
  g_assert_true (X509_set_subject_name (cert, subject));
  g_assert_true (X509_set_issuer_name (cert, issuer));
  g_assert_nonnull (X509_gmtime_adj (X509_getm_notBefore (cert), 0));
  g_assert_nonnull (X509_gmtime_adj (X509_getm_notAfter (cert), 3600));
  g_assert_true (X509_set_pubkey (cert, pkey));
  if (options->ca)
    {
      g_autoptr(X509_EXTENSION) extension = X509V3_EXT_conf_nid (NULL, NULL, NID_basic_constraints, "critical,CA:TRUE");

      g_assert_true (X509_add_ext (cert, extension, -1));
    }
  if (options->key_usage != 0)
    {
      g_autoptr(ASN1_STRING) bits = ASN1_BIT_STRING_new ();
      g_autoptr(X509_EXTENSION) extension = NULL;

      for (int bit = 0; bit < 9; bit++)
        if (options->key_usage & (bit < 8 ? (0x80u >> bit) : 0x8000u))
          g_assert_true (ASN1_BIT_STRING_set_bit (bits, bit, 1));
      extension = X509V3_EXT_i2d (NID_key_usage, 1, bits);
      g_assert_true (X509_add_ext (cert, extension, -1));
    }
  /* The TBSCertificate's own signature field, which the device checks. */
  g_assert_true (X509_ALGOR_set0 ((X509_ALGOR *) X509_get0_tbs_sigalg (cert), OBJ_nid2obj (nid), parameter_type, NULL));

  size = i2d_re_X509_tbs (cert, NULL);
  g_assert_cmpint (size, >, 0);
  der = g_malloc (size);
  end = der;
  g_assert_cmpint (i2d_re_X509_tbs (cert, &end), ==, size);
  return g_bytes_new_take (g_steal_pointer (&der), size);
}

/* Signed attributes */

typedef struct {
  const char   *oid;
  int           type;   /* V_ASN1_*; V_ASN1_OBJECT and V_ASN1_UTCTIME use @object / now */
  const char   *data;
  int           size;   /* -1: strlen (data) */
  ASN1_OBJECT  *object;
} Attribute;

static X509_ATTRIBUTE *
make_attribute (const Attribute *attribute)
{
  g_autoptr(ASN1_OBJECT) oid = OBJ_txt2obj (attribute->oid, 1);
  X509_ATTRIBUTE *made = NULL;

  g_assert_nonnull (oid);
  if (attribute->type == V_ASN1_OBJECT)
    made = X509_ATTRIBUTE_create_by_OBJ (NULL, oid, V_ASN1_OBJECT, attribute->object, -1);
  else if (attribute->type == V_ASN1_UTCTIME)
    {
      g_autoptr(ASN1_STRING) now = (ASN1_STRING *) ASN1_UTCTIME_set (NULL, 1700000000);

      made = X509_ATTRIBUTE_create_by_OBJ (NULL, oid, V_ASN1_UTCTIME, now, -1);
    }
  else
    made = X509_ATTRIBUTE_create_by_OBJ (NULL, oid, attribute->type, (const guint8 *) attribute->data,
                                         attribute->size >= 0 ? attribute->size : (int) strlen (attribute->data));
  g_assert_nonnull (made);
  return made;
}

/* @sorted: DER order (as CMS signs them); otherwise in the order given. */
static GBytes *
encode_attributes (const Attribute *attributes,
                   gsize            count,
                   gboolean         sorted)
{
  STACK_OF (X509_ATTRIBUTE) *stack = sk_X509_ATTRIBUTE_new_null ();
  unsigned char *der = NULL;
  int size;
  GBytes *bytes;

  for (gsize i = 0; i < count; i++)
    g_assert_cmpint (sk_X509_ATTRIBUTE_push (stack, make_attribute (&attributes[i])), >, 0);
  size = ASN1_item_i2d ((ASN1_VALUE *) stack, &der,
                        sorted ? ASN1_ITEM_rptr (PKCS7_ATTR_SIGN) : ASN1_ITEM_rptr (PKCS7_ATTR_VERIFY));
  g_assert_cmpint (size, >, 0);
  bytes = g_bytes_new (der, size);
  OPENSSL_free (der);
  attributes_free (stack);
  return bytes;
}

static const char digest32[32] = "0123456789abcdef0123456789abcde";
static const char nonce16[16] = "nonce-of-16-byte";

/* A good PKCSReq's attributes, to be changed one at a time. */
static gsize
good_attributes (Attribute *attributes)
{
  Attribute good[] = {
    { OID_CONTENT_TYPE, V_ASN1_OBJECT, NULL, 0, OBJ_nid2obj (NID_pkcs7_data) },
    { OID_MESSAGE_DIGEST, V_ASN1_OCTET_STRING, digest32, 32, NULL },
    { OID_MESSAGE_TYPE, V_ASN1_PRINTABLESTRING, "19", -1, NULL },
    { OID_SENDER_NONCE, V_ASN1_OCTET_STRING, nonce16, 16, NULL },
    { OID_TRANSACTION_ID, V_ASN1_PRINTABLESTRING, "4F1D2A0B9C", -1, NULL },
  };

  memcpy (attributes, good, sizeof good);
  return G_N_ELEMENTS (good);
}

static Attribute *
find_attribute (Attribute  *attributes,
                gsize       count,
                const char *oid)
{
  for (gsize i = 0; i < count; i++)
    if (g_str_equal (attributes[i].oid, oid))
      return &attributes[i];
  g_assert_not_reached ();
}

/* The signed attributes' own checks; the keystore adds the content's
 * (test_message_content). */
static gboolean
check_attributes (const char  *digest,
                  GBytes      *attributes,
                  guint       *type,
                  GError     **error)
{
  return cradle_agent_scep_check_signed_attributes (attributes, cradle_agent_crypto_digest_size (digest), type,
                                                    NULL, NULL, error);
}

static void
assert_message_refused (CradleAgentKeystore *keystore,
                        GBytes              *key_id,
                        const char          *digest,
                        GBytes              *attributes,
                        const char          *words)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (check_attributes (digest, attributes, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  if (words != NULL && strstr (error->message, words) == NULL)
    g_error ("'%s' does not say '%s'", error->message, words);
}

static void
assert_signer_refused (CradleAgentKeystore *keystore,
                       GBytes              *key_id,
                       const char          *digest,
                       GBytes              *tbs,
                       const char          *words)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (cradle_agent_keystore_check_scep_signer (keystore, key_id, ks_host_a (), digest, tbs, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  if (words != NULL && strstr (error->message, words) == NULL)
    g_error ("'%s' does not say '%s'", error->message, words);
}

typedef struct {
  CradleAgentKeystore *keystore;
  GBytes              *key_id;
} Target;

static gboolean
check_message (GBytes   *bytes,
               gpointer  data,
               GError  **error)
{
  return check_attributes ("sha256", bytes, NULL, error);
}

static gboolean
check_signer (GBytes   *bytes,
              gpointer  data,
              GError  **error)
{
  Target *target = data;

  return cradle_agent_keystore_check_scep_signer (target->keystore, target->key_id, ks_host_a (), "sha256", bytes,
                                                  error);
}

static void
test_signer_certificate (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = ks_open_keystore (f->folder, FALSE);
  const char *types[] = { "rsa2048", "p256" };
  g_autoptr(GError) error = NULL;

  for (gsize t = 0; t < G_N_ELEMENTS (types); t++)
    {
      g_autoptr(GBytes) key_id = NULL;
      g_autoptr(GBytes) spki = NULL;
      g_autoptr(GBytes) other_id = NULL;
      g_autoptr(GBytes) other_spki = NULL;
      gboolean rsa = g_str_has_prefix (types[t], "rsa");
      TbsOptions good = { .version = X509_VERSION_3,
                          .key_usage = KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT };
      g_autoptr(GBytes) tbs = NULL;
      g_autoptr(GBytes) signature = NULL;
      g_autofree char *algorithm = NULL;
      Target target;

      g_test_message ("key type %s", types[t]);
      ks_generate (keystore, types[t], &key_id, &spki);
      ks_generate (keystore, types[t], &other_id, &other_spki);
      target = (Target) { keystore, key_id };

      /* Accepted, then signed as any purpose is. */
      tbs = make_tbs (spki, &good);
      g_assert_true (cradle_agent_keystore_check_scep_signer (keystore, key_id, ks_host_a (), "sha256", tbs, &error));
      g_assert_no_error (error);
      signature = ks_sign (keystore, key_id, "sha256", tbs, &algorithm);
      g_assert_true (ks_verify (spki, "sha256", tbs, signature));
      {
        TbsOptions plain = good;

        plain.key_usage = 0;
        g_autoptr(GBytes) without_usage = make_tbs (spki, &plain);
        g_assert_true (cradle_agent_keystore_check_scep_signer (keystore, key_id, ks_host_a (), "sha256", without_usage, &error));
        g_assert_no_error (error);
      }

      /* Another key's certificate, for each key. */
      {
        g_autoptr(GBytes) foreign = make_tbs (other_spki, &good);

        assert_signer_refused (keystore, key_id, "sha256", foreign, "not for this key");
        g_assert_true (cradle_agent_keystore_check_scep_signer (keystore, other_id, ks_host_a (), "sha256", foreign, &error));
        g_assert_no_error (error);
      }
      /* Not self-signed, v1, a CA, signing certificates or CRLs. */
      {
        TbsOptions options = good;
        g_autoptr(GBytes) bad = NULL;

        options.issuer = "Some CA";
        bad = make_tbs (spki, &options);
        assert_signer_refused (keystore, key_id, "sha256", bad, "not self-signed");
      }
      {
        TbsOptions options = good;
        g_autoptr(GBytes) bad = NULL;

        options.version = X509_VERSION_1;
        options.key_usage = 0;
        bad = make_tbs (spki, &options);
        assert_signer_refused (keystore, key_id, "sha256", bad, NULL);
      }
      {
        TbsOptions options = good;
        g_autoptr(GBytes) bad = NULL;

        options.ca = TRUE;
        bad = make_tbs (spki, &options);
        assert_signer_refused (keystore, key_id, "sha256", bad, "CA certificate");
      }
      {
        TbsOptions options = good;
        g_autoptr(GBytes) bad = NULL;

        options.key_usage = KU_DIGITAL_SIGNATURE | KU_KEY_CERT_SIGN;
        bad = make_tbs (spki, &options);
        assert_signer_refused (keystore, key_id, "sha256", bad, "CA certificate");
      }
      {
        TbsOptions options = good;
        g_autoptr(GBytes) bad = NULL;

        options.key_usage = KU_CRL_SIGN;
        bad = make_tbs (spki, &options);
        assert_signer_refused (keystore, key_id, "sha256", bad, "CA certificate");
      }
      /* The algorithm named must be the one the device signs with. */
      {
        TbsOptions options = good;
        g_autoptr(GBytes) bad = NULL;

        options.signature_nid = rsa ? NID_sha384WithRSAEncryption : NID_ecdsa_with_SHA384;
        bad = make_tbs (spki, &options);
        assert_signer_refused (keystore, key_id, "sha256", bad, "signature algorithm");
        g_assert_true (cradle_agent_keystore_check_scep_signer (keystore, key_id, ks_host_a (), "sha384", bad, &error));
        g_assert_no_error (error);
      }
      {
        TbsOptions options = good;
        g_autoptr(GBytes) bad = NULL;

        options.signature_nid = rsa ? NID_ecdsa_with_SHA256 : NID_sha256WithRSAEncryption;
        bad = make_tbs (spki, &options);
        assert_signer_refused (keystore, key_id, "sha256", bad, "signature algorithm");
      }
      {
        TbsOptions options = good;
        g_autoptr(GBytes) bad = NULL;

        options.wrong_parameters = TRUE;
        bad = make_tbs (spki, &options);
        assert_signer_refused (keystore, key_id, "sha256", bad, "signature algorithm");
      }
      /* Another purpose's bytes. */
      {
        Attribute attributes[8];
        gsize count = good_attributes (attributes);
        g_autoptr(GBytes) message = encode_attributes (attributes, count, TRUE);

        assert_signer_refused (keystore, key_id, "sha256", message, "TBSCertificate");
      }
      ks_assert_damage_refused (tbs, check_signer, &target);
    }
}

static void
test_signed_attributes (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = ks_open_keystore (f->folder, FALSE);
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) good = NULL;
  g_autoptr(GError) error = NULL;
  Attribute attributes[8];
  gsize count;
  guint type = 0;
  Target target;

  ks_generate (keystore, "rsa2048", &key_id, &spki);
  target = (Target) { keystore, key_id };

  count = good_attributes (attributes);
  good = encode_attributes (attributes, count, TRUE);
  g_assert_true (check_attributes ("sha256", good, &type, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (type, ==, 19);
  {
    g_autofree char *algorithm = NULL;
    g_autoptr(GBytes) signature = ks_sign (keystore, key_id, "sha256", good, &algorithm);

    g_assert_true (ks_verify (spki, "sha256", good, signature));
  }

  /* CertPoll; with signingTime; a SHA-384 digest. */
  {
    Attribute changed[8];
    gsize n = good_attributes (changed);
    g_autoptr(GBytes) bytes = NULL;

    find_attribute (changed, n, OID_MESSAGE_TYPE)->data = "20";
    changed[n++] = (Attribute) { OID_SIGNING_TIME, V_ASN1_UTCTIME, NULL, 0, NULL };
    bytes = encode_attributes (changed, n, TRUE);
    g_assert_true (check_attributes ("sha256", bytes, &type, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (type, ==, 20);
  }
  {
    static const char digest48[48] = { 1 };
    Attribute changed[8];
    gsize n = good_attributes (changed);
    g_autoptr(GBytes) bytes = NULL;

    *find_attribute (changed, n, OID_MESSAGE_DIGEST) = (Attribute) { OID_MESSAGE_DIGEST, V_ASN1_OCTET_STRING,
                                                                     digest48, 48, NULL };
    bytes = encode_attributes (changed, n, TRUE);
    g_assert_true (check_attributes ("sha384", bytes, NULL, &error));
    g_assert_no_error (error);
    assert_message_refused (keystore, key_id, "sha256", bytes, "32-byte digest");
    assert_message_refused (keystore, key_id, "sha384", good, "48-byte digest");
  }
  assert_message_refused (keystore, key_id, "sha512", good, "64-byte digest");

  /* Each required attribute left out. */
  for (gsize skip = 0; skip < count; skip++)
    {
      Attribute fewer[8];
      gsize n = 0;
      g_autoptr(GBytes) bytes = NULL;

      for (gsize i = 0; i < count; i++)
        if (i != skip)
          fewer[n++] = attributes[i];
      bytes = encode_attributes (fewer, n, TRUE);
      assert_message_refused (keystore, key_id, "sha256", bytes, "has no");
    }

  /* Values that are not what SCEP requests from a new key carry. */
  {
    struct {
      const char *oid;
      Attribute   value;
      const char *words;
    } bad[] = {
      { OID_MESSAGE_TYPE, { OID_MESSAGE_TYPE, V_ASN1_PRINTABLESTRING, "17", -1, NULL }, "PKCSReq (19)" },
      { OID_MESSAGE_TYPE, { OID_MESSAGE_TYPE, V_ASN1_PRINTABLESTRING, "3", -1, NULL }, "PKCSReq (19)" },
      { OID_MESSAGE_TYPE, { OID_MESSAGE_TYPE, V_ASN1_PRINTABLESTRING, "21", -1, NULL }, "PKCSReq (19)" },
      { OID_MESSAGE_TYPE, { OID_MESSAGE_TYPE, V_ASN1_PRINTABLESTRING, "019", -1, NULL }, "PKCSReq (19)" },
      { OID_MESSAGE_TYPE, { OID_MESSAGE_TYPE, V_ASN1_UTF8STRING, "19", -1, NULL }, "PKCSReq (19)" },
      { OID_SENDER_NONCE, { OID_SENDER_NONCE, V_ASN1_OCTET_STRING, nonce16, 15, NULL }, "16 bytes" },
      { OID_SENDER_NONCE, { OID_SENDER_NONCE, V_ASN1_PRINTABLESTRING, "nonce-of-16-byte", -1, NULL }, "16 bytes" },
      { OID_TRANSACTION_ID, { OID_TRANSACTION_ID, V_ASN1_PRINTABLESTRING, "", -1, NULL }, "PrintableString" },
      { OID_TRANSACTION_ID, { OID_TRANSACTION_ID, V_ASN1_PRINTABLESTRING, "a*b", -1, NULL }, "PrintableString" },
      { OID_TRANSACTION_ID, { OID_TRANSACTION_ID, V_ASN1_IA5STRING, "abc", -1, NULL }, "PrintableString" },
      { OID_MESSAGE_DIGEST, { OID_MESSAGE_DIGEST, V_ASN1_OCTET_STRING, digest32, 31, NULL }, "32-byte digest" },
      { OID_CONTENT_TYPE, { OID_CONTENT_TYPE, V_ASN1_OBJECT, NULL, 0, NULL }, "id-data" },
    };

    bad[G_N_ELEMENTS (bad) - 1].value.object = OBJ_nid2obj (NID_pkcs7_enveloped);
    for (gsize b = 0; b < G_N_ELEMENTS (bad); b++)
      {
        Attribute changed[8];
        gsize n = good_attributes (changed);
        g_autoptr(GBytes) bytes = NULL;

        *find_attribute (changed, n, bad[b].oid) = bad[b].value;
        bytes = encode_attributes (changed, n, TRUE);
        assert_message_refused (keystore, key_id, "sha256", bytes, bad[b].words);
      }
  }
  {
    char long_id[CRADLE_AGENT_SCEP_MAX_TRANSACTION_ID + 2];
    Attribute changed[8];
    gsize n = good_attributes (changed);
    g_autoptr(GBytes) bytes = NULL;
    g_autoptr(GBytes) longest = NULL;

    memset (long_id, 'A', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    find_attribute (changed, n, OID_TRANSACTION_ID)->data = long_id;
    bytes = encode_attributes (changed, n, TRUE);
    assert_message_refused (keystore, key_id, "sha256", bytes, "PrintableString");
    long_id[CRADLE_AGENT_SCEP_MAX_TRANSACTION_ID] = '\0';
    longest = encode_attributes (changed, n, TRUE);
    g_assert_true (check_attributes ("sha256", longest, NULL, &error));
    g_assert_no_error (error);
  }

  /* An attribute a request does not carry, or one twice. */
  {
    Attribute more[8];
    gsize n = good_attributes (more);
    g_autoptr(GBytes) bytes = NULL;

    more[n++] = (Attribute) { OID_RECIPIENT_NONCE, V_ASN1_OCTET_STRING, nonce16, 16, NULL };
    bytes = encode_attributes (more, n, TRUE);
    assert_message_refused (keystore, key_id, "sha256", bytes, OID_RECIPIENT_NONCE);
  }
  {
    Attribute more[8];
    gsize n = good_attributes (more);
    g_autoptr(GBytes) bytes = NULL;

    more[n++] = (Attribute) { OID_MESSAGE_TYPE, V_ASN1_PRINTABLESTRING, "20", -1, NULL };
    bytes = encode_attributes (more, n, TRUE);
    assert_message_refused (keystore, key_id, "sha256", bytes, "twice");
  }

  /* Not in DER order: the same attributes, one encoding only. */
  {
    Attribute reversed[8];

    for (gsize i = 0; i < count; i++)
      reversed[i] = attributes[count - 1 - i];
    g_autoptr(GBytes) unsorted = encode_attributes (reversed, count, FALSE);
    g_autoptr(GBytes) sorted = encode_attributes (reversed, count, TRUE);

    g_assert_false (g_bytes_equal (unsorted, sorted));
    g_assert_true (g_bytes_equal (sorted, good));
    assert_message_refused (keystore, key_id, "sha256", unsorted, "DER order");
  }

  /* Two values in one attribute; the [0] tag instead of SET; a TBSCertificate. */
  {
    g_autoptr(ASN1_OBJECT) oid = OBJ_txt2obj (OID_MESSAGE_TYPE, 1);
    STACK_OF (X509_ATTRIBUTE) *stack = sk_X509_ATTRIBUTE_new_null ();
    X509_ATTRIBUTE *twice = NULL;
    unsigned char *der = NULL;
    int size;
    g_autoptr(GBytes) bytes = NULL;

    for (gsize i = 0; i < count; i++)
      if (!g_str_equal (attributes[i].oid, OID_MESSAGE_TYPE))
        sk_X509_ATTRIBUTE_push (stack, make_attribute (&attributes[i]));
    twice = X509_ATTRIBUTE_create_by_OBJ (NULL, oid, V_ASN1_PRINTABLESTRING, (const guint8 *) "19", 2);
    g_assert_true (X509_ATTRIBUTE_set1_data (twice, V_ASN1_PRINTABLESTRING, "20", 2));
    g_assert_cmpint (X509_ATTRIBUTE_count (twice), ==, 2);
    sk_X509_ATTRIBUTE_push (stack, twice);
    size = ASN1_item_i2d ((ASN1_VALUE *) stack, &der, ASN1_ITEM_rptr (PKCS7_ATTR_SIGN));
    bytes = g_bytes_new (der, size);
    OPENSSL_free (der);
    attributes_free (stack);
    assert_message_refused (keystore, key_id, "sha256", bytes, "one value");
  }
  {
    g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (good, NULL), g_bytes_get_size (good));
    g_autoptr(GBytes) bytes = NULL;

    copy[0] = 0xa0;
    bytes = g_bytes_new (copy, g_bytes_get_size (good));
    assert_message_refused (keystore, key_id, "sha256", bytes, "SET OF signed attributes");
  }
  {
    TbsOptions options = { .version = X509_VERSION_3 };
    g_autoptr(GBytes) tbs = make_tbs (spki, &options);

    assert_message_refused (keystore, key_id, "sha256", tbs, "SET OF signed attributes");
  }

  ks_assert_damage_refused (good, check_message, &target);
}

/* The content of purpose 3 */


/* An RSA recipient, as a SCEP CA's certificate. */
static X509 *
recipient_cert (void)
{
  static EVP_PKEY *key;
  g_autoptr(GBytes) der = NULL;
  const guint8 *p;

  if (key == NULL)
    key = EVP_PKEY_Q_keygen (NULL, NULL, "RSA", (size_t) 2048);
  g_assert_nonnull (key);
  der = ks_make_cert (key, key, "SCEP CA", 5);
  p = g_bytes_get_data (der, NULL);
  return d2i_X509 (NULL, &p, (long) g_bytes_get_size (der));
}

/* A pkcsPKIEnvelope, as a SCEP client makes one (PKCS7_encrypt, DER). */
static GBytes *
make_envelope (const char *message)
{
  g_autoptr(X509) recipient = recipient_cert ();
  g_autoptr(BIO) in = BIO_new_mem_buf (message, -1);
  STACK_OF (X509) *recipients = sk_X509_new_null ();
  g_autoptr(PKCS7) enveloped = NULL;
  unsigned char *der = NULL;
  int size;
  GBytes *bytes;

  g_assert_cmpint (sk_X509_push (recipients, recipient), >, 0);
  enveloped = PKCS7_encrypt (recipients, in, EVP_aes_128_cbc (), PKCS7_BINARY);
  sk_X509_free (recipients);
  g_assert_nonnull (enveloped);
  size = i2d_PKCS7 (enveloped, &der);
  g_assert_cmpint (size, >, 0);
  bytes = g_bytes_new (der, size);
  OPENSSL_free (der);
  return bytes;
}

static GBytes *
sha256_of (GBytes *data)
{
  return cradle_agent_crypto_digest ("sha256", data, NULL);
}

/* What the host sends as the transactionID of @spki's enrollment. */
static char *
transaction_id_of (GBytes *spki)
{
  g_autofree char *hex = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, spki);

  return g_ascii_strup (hex, -1);
}

/* A PKCSReq's signed attributes with @message_digest and @transaction_id. */
static GBytes *
message_attributes (GBytes     *message_digest,
                    const char *transaction_id)
{
  Attribute list[8];
  gsize count = good_attributes (list);

  *find_attribute (list, count, OID_MESSAGE_DIGEST) = (Attribute) {
    OID_MESSAGE_DIGEST, V_ASN1_OCTET_STRING, g_bytes_get_data (message_digest, NULL),
    (int) g_bytes_get_size (message_digest), NULL };
  find_attribute (list, count, OID_TRANSACTION_ID)->data = transaction_id;
  return encode_attributes (list, count, TRUE);
}

static void
assert_content_refused (CradleAgentKeystore *keystore,
                        GBytes              *key_id,
                        GBytes              *attributes,
                        GBytes              *content,
                        const char          *words)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (cradle_agent_keystore_check_scep_message (keystore, key_id, ks_host_a (), "sha256", attributes,
                                                            content, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  if (strstr (error->message, words) == NULL)
    g_error ("'%s' does not say '%s'", error->message, words);
}

static gboolean
check_envelope (GBytes   *bytes,
                gpointer  data,
                GError  **error)
{
  return cradle_agent_scep_check_envelope (bytes, error);
}

static void
test_envelope (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GBytes) good = make_envelope ("a certification request");
  g_autoptr(GError) error = NULL;

  g_assert_true (cradle_agent_scep_check_envelope (good, &error));
  g_assert_no_error (error);

  /* The fuzzing seeds, made by `openssl cms -encrypt` (an issuerAndSerialNumber,
   * and with -keyid a subjectKeyIdentifier), after their selector byte. */
  {
    const char *seeds[] = { "envelope-issuer-serial", "envelope-subject-key-id" };

    for (gsize i = 0; i < G_N_ELEMENTS (seeds); i++)
      {
        g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fuzz", "corpus", "scep-check", seeds[i], NULL);
        g_autoptr(GBytes) seed = ks_read_file (path);
        g_autoptr(GBytes) envelope = g_bytes_new_from_bytes (seed, 1, g_bytes_get_size (seed) - 1);

        g_assert_cmpint (((const guint8 *) g_bytes_get_data (seed, NULL))[0] % 3, ==, 2);
        g_assert_true (cradle_agent_scep_check_envelope (envelope, &error));
        g_assert_no_error (error);
      }
  }

  /* Plain text, or a ContentInfo of another type (signedData, data). */
  {
    g_autoptr(GBytes) text = g_bytes_new_static ("Pay Mallory 1,000,000 EUR", 25);

    g_assert_false (cradle_agent_scep_check_envelope (text, &error));
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
    g_assert_nonnull (strstr (error->message, "not a SCEP envelope"));
    g_clear_error (&error);
  }
  {
    g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (good, NULL), g_bytes_get_size (good));
    const guint8 *oid = NULL;
    g_autoptr(GBytes) other = NULL;

    /* ContentInfo: 30 len 06 09 2a864886f70d010703: the last OID byte is the type. */
    for (gsize i = 0; i + 11 <= g_bytes_get_size (good) && oid == NULL; i++)
      if (memcmp (copy + i, "\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x03", 11) == 0)
        oid = copy + i;
    g_assert_nonnull (oid);
    copy[oid - copy + 10] = 0x02;   /* signedData */
    other = g_bytes_new (copy, g_bytes_get_size (good));
    g_assert_false (cradle_agent_scep_check_envelope (other, &error));
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
    g_assert_nonnull (strstr (error->message, "envelopedData"));
    g_clear_error (&error);
  }
  /* Two recipients: a SCEP message has one, the CA. */
  {
    g_autoptr(X509) first = recipient_cert ();
    g_autoptr(X509) second = recipient_cert ();
    g_autoptr(BIO) in = BIO_new_mem_buf ("two", -1);
    STACK_OF (X509) *recipients = sk_X509_new_null ();
    g_autoptr(PKCS7) enveloped = NULL;
    unsigned char *der = NULL;
    int size;
    g_autoptr(GBytes) bytes = NULL;

    sk_X509_push (recipients, first);
    sk_X509_push (recipients, second);
    enveloped = PKCS7_encrypt (recipients, in, EVP_aes_128_cbc (), PKCS7_BINARY);
    sk_X509_free (recipients);
    size = i2d_PKCS7 (enveloped, &der);
    bytes = g_bytes_new (der, size);
    OPENSSL_free (der);
    g_assert_false (cradle_agent_scep_check_envelope (bytes, &error));
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
    g_assert_nonnull (strstr (error->message, "more than one recipient"));
    g_clear_error (&error);
  }

  ks_assert_damage_refused (good, check_envelope, NULL);
}

/* The attack: SIGN purpose 3 as a signing oracle. A messageDigest of any
 * content would give a detached CMS signature over that content; the
 * device signs only over a SCEP envelope it is shown, for its key's own
 * transaction. */
static void
test_message_content (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = ks_open_keystore (f->folder, FALSE);
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) envelope = make_envelope ("a certification request");
  g_autoptr(GBytes) envelope_digest = sha256_of (envelope);
  g_autoptr(GBytes) mallory = g_bytes_new_static ("Pay Mallory 1,000,000 EUR", 25);
  g_autoptr(GBytes) mallory_digest = sha256_of (mallory);
  g_autoptr(GBytes) good = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *transaction_id = NULL;
  guint type = 0;

  ks_generate (keystore, "rsa2048", &key_id, &spki);
  transaction_id = transaction_id_of (spki);
  good = message_attributes (envelope_digest, transaction_id);
  g_assert_true (cradle_agent_keystore_check_scep_message (keystore, key_id, ks_host_a (), "sha256", good, envelope,
                                                           &type, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (type, ==, 19);

  /* A messageDigest of arbitrary content, with that content or without any. */
  {
    g_autoptr(GBytes) attributes = message_attributes (mallory_digest, transaction_id);

    assert_content_refused (keystore, key_id, attributes, mallory, "not a SCEP envelope");
    assert_content_refused (keystore, key_id, attributes, envelope, "not the digest");
    assert_content_refused (keystore, key_id, attributes, NULL, "content (field 5)");
  }
  /* A digest of another envelope than the one shown. */
  {
    g_autoptr(GBytes) other = make_envelope ("another request");

    assert_content_refused (keystore, key_id, good, other, "not the digest");
  }
  /* Another transaction's id, or another key's. */
  {
    g_autoptr(GBytes) attributes = message_attributes (envelope_digest, "4F1D2A0B9C");
    g_autofree char *lower = g_ascii_strdown (transaction_id, -1);
    g_autoptr(GBytes) lowercase = message_attributes (envelope_digest, lower);

    assert_content_refused (keystore, key_id, attributes, envelope, "transactionID");
    assert_content_refused (keystore, key_id, lowercase, envelope, "transactionID");
  }
}

/* The SCEP operations serve the key's SCEP enrollment: a key made for it,
 * still in it, by the host asking. */
static void
test_only_scep_keys_of_their_host (Fixture       *f,
                                   gconstpointer  data)
{
  g_autoptr(CradleAgentKeystore) keystore = ks_open_keystore (f->folder, FALSE);
  g_autoptr(EVP_PKEY) issuer = ks_test_key ();
  g_autoptr(GBytes) key_id = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) request_id = NULL;
  g_autoptr(GBytes) request_spki = NULL;
  g_autoptr(GBytes) cert = NULL;
  g_autoptr(GPtrArray) certs = ks_cert_list ();
  g_autoptr(GBytes) tbs = NULL;
  g_autoptr(GBytes) request_tbs = NULL;
  g_autoptr(GBytes) envelope = make_envelope ("a certification request");
  g_autoptr(GBytes) envelope_digest = sha256_of (envelope);
  g_autoptr(GBytes) attributes = NULL;
  g_autoptr(GBytes) request_attributes = NULL;
  g_autoptr(GBytes) encrypted = NULL;
  g_autoptr(GBytes) request_encrypted = NULL;
  g_autoptr(GBytes) absent = g_bytes_new_static ("0123456789abcdef", 16);
  g_autoptr(GBytes) cek = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *transaction_id = NULL;
  g_autofree char *request_transaction_id = NULL;
  TbsOptions options = { .version = X509_VERSION_3 };
  static const guint8 key16[16] = "sixteen byte key";
  GBytes *strangers[] = { NULL, NULL };

  strangers[0] = ks_host_b ();
  ks_generate (keystore, "rsa2048", &key_id, &spki);
  ks_generate_for (keystore, "rsa2048", CRADLE_AGENT_ENROLLMENT_REQUEST, ks_host_a (), &request_id, &request_spki);
  tbs = make_tbs (spki, &options);
  request_tbs = make_tbs (request_spki, &options);
  transaction_id = transaction_id_of (spki);
  request_transaction_id = transaction_id_of (request_spki);
  attributes = message_attributes (envelope_digest, transaction_id);
  request_attributes = message_attributes (envelope_digest, request_transaction_id);
  encrypted = ks_encrypt_to (spki, key16, sizeof key16);
  request_encrypted = ks_encrypt_to (request_spki, key16, sizeof key16);

  /* Unknown keys first. */
  g_assert_false (cradle_agent_keystore_check_scep_signer (keystore, absent, ks_host_a (), "sha256", tbs, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (cradle_agent_keystore_check_scep_message (keystore, absent, ks_host_a (), "sha256", attributes,
                                                            envelope, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_null (cradle_agent_keystore_unwrap_key (keystore, absent, ks_host_a (), encrypted, 16, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  /* A digest the device does not have. */
  g_assert_false (cradle_agent_keystore_check_scep_signer (keystore, key_id, ks_host_a (), "sha1", tbs, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);

  /* The host that made it, for its SCEP enrollment: yes. */
  g_assert_true (cradle_agent_keystore_check_scep_signer (keystore, key_id, ks_host_a (), "sha256", tbs, &error));
  g_assert_true (cradle_agent_keystore_check_scep_message (keystore, key_id, ks_host_a (), "sha256", attributes,
                                                           envelope, NULL, &error));
  g_assert_no_error (error);

  /* The attack: another paired computer (or none) asks. */
  for (gsize i = 0; i < G_N_ELEMENTS (strangers); i++)
    {
      g_assert_false (cradle_agent_keystore_check_scep_signer (keystore, key_id, strangers[i], "sha256", tbs, &error));
      g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
      g_clear_error (&error);
      g_assert_false (cradle_agent_keystore_check_scep_message (keystore, key_id, strangers[i], "sha256", attributes,
                                                                envelope, NULL, &error));
      g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
      g_clear_error (&error);
      g_assert_null (cradle_agent_keystore_unwrap_key (keystore, key_id, strangers[i], encrypted, 16, &error));
      g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
      g_test_message ("refused: %s", error->message);
      g_clear_error (&error);
    }
  /* Refused before anything was counted. */
  {
    g_autoptr(CradleAgentKeyFile) key_file = cradle_agent_keystore_load_key (keystore, key_id, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (key_file->decryptions, ==, 0);
  }

  /* A key made for a certification request serves no SCEP operation. */
  g_assert_false (cradle_agent_keystore_check_scep_signer (keystore, request_id, ks_host_a (), "sha256", request_tbs,
                                                           &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_assert_nonnull (strstr (error->message, "not made for a SCEP enrollment"));
  g_clear_error (&error);
  g_assert_false (cradle_agent_keystore_check_scep_message (keystore, request_id, ks_host_a (), "sha256",
                                                            request_attributes, envelope, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);
  g_assert_null (cradle_agent_keystore_unwrap_key (keystore, request_id, ks_host_a (), request_encrypted, 16, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);

  cek = cradle_agent_keystore_unwrap_key (keystore, key_id, ks_host_a (), encrypted, 16, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (cek, NULL), 16, key16, 16);

  /* Enrolled: its certificate is installed, bound to it. */
  cert = ks_make_cert_for_spki (spki, issuer, "enrolled", 7);
  ks_add_cert (certs, "MY", "user", cert, key_id);
  ks_install (keystore, certs);
  g_assert_false (cradle_agent_keystore_is_pending (keystore, key_id));

  g_assert_false (cradle_agent_keystore_check_scep_signer (keystore, key_id, ks_host_a (), "sha256", tbs, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_assert_nonnull (strstr (error->message, "enrolled"));
  g_clear_error (&error);
  g_assert_false (cradle_agent_keystore_check_scep_message (keystore, key_id, ks_host_a (), "sha256", attributes,
                                                            envelope, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);
  g_assert_null (cradle_agent_keystore_unwrap_key (keystore, key_id, ks_host_a (), encrypted, 16, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_PERMISSION_DENIED);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/agent/scep/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("signer-certificate", test_signer_certificate);
  ADD ("signed-attributes", test_signed_attributes);
  ADD ("envelope", test_envelope);
  ADD ("attack/message-over-arbitrary-content", test_message_content);
  ADD ("attack/other-host-or-kind", test_only_scep_keys_of_their_host);

  return g_test_run ();
}
