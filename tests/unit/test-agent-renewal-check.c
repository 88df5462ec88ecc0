/* test-agent-renewal-check.c: the readers a device uses before it signs a renewal
 *
 * What SIGN purposes 1 (renewal attribute), 4 and 5 read, without a device:
 * the renewal attribute of a CertificationRequestInfo, a CertificationRequest
 * taken apart, a pkcsPKIEnvelope opened with each cipher SCEP uses, a
 * CertPoll's IssuerAndSubject and the signed attributes of each profile;
 * each rule broken once, every truncation and every flipped byte refused or
 * still read, never a crash.
 */
#include "config.h"

#include <string.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <cradle/cradle.h>

#include "protocol/cradle-der-private.h"
#include "agent/cradle-agent-renewal-check-private.h"
#include "agent/cradle-agent-request-info-private.h"
#include "agent/cradle-agent-scep-check-private.h"
#include "base/cradle-openssl-private.h"

static const guint8 oid_renewal[] = { 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x0d, 0x01 };
static const guint8 oid_data[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01 };
static const guint8 oid_enveloped[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03 };
static const guint8 oid_content_type[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03 };
static const guint8 oid_message_digest[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04 };
static const guint8 oid_message_type[] = { 0x60, 0x86, 0x48, 0x01, 0x86, 0xf8, 0x45, 0x01, 0x09, 0x02 };
static const guint8 oid_sender_nonce[] = { 0x60, 0x86, 0x48, 0x01, 0x86, 0xf8, 0x45, 0x01, 0x09, 0x05 };
static const guint8 oid_transaction_id[] = { 0x60, 0x86, 0x48, 0x01, 0x86, 0xf8, 0x45, 0x01, 0x09, 0x07 };

static void
put (GByteArray   *out,
     guint8        tag,
     const guint8 *data,
     gsize         size)
{
  cradle_der_append_header (out, tag, size);
  g_byte_array_append (out, data, size);
}

static void
put_array (GByteArray *out,
           guint8      tag,
           GByteArray *contents)
{
  put (out, tag, contents->data, contents->len);
}

static GBytes *
take (GByteArray *array)
{
  return g_byte_array_free_to_bytes (array);
}

static GBytes *
der_of_name (const char *cn)
{
  g_autoptr(X509_NAME) name = X509_NAME_new ();
  unsigned char *der = NULL;
  int size;
  GBytes *bytes;

  g_assert_true (X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8, (const guint8 *) cn, -1, -1, 0));
  size = i2d_X509_NAME (name, &der);
  bytes = g_bytes_new (der, size);
  OPENSSL_free (der);
  return bytes;
}

/* A CertificationRequestInfo with @values renewal attributes of @per values each. */
static GBytes *
request_info (EVP_PKEY *key,
              GBytes   *renewed,
              guint     attributes,
              guint     per)
{
  g_autoptr(GBytes) name = der_of_name ("user");
  GByteArray *fields = g_byte_array_new ();
  g_autoptr(GByteArray) attrs = g_byte_array_new ();
  GByteArray *out = g_byte_array_new ();
  unsigned char *spki = NULL;
  int spki_size = i2d_PUBKEY (key, &spki);

  put (fields, CRADLE_DER_INTEGER, (const guint8 *) "", 1);
  g_byte_array_append (fields, g_bytes_get_data (name, NULL), g_bytes_get_size (name));
  g_byte_array_append (fields, spki, spki_size);
  OPENSSL_free (spki);
  for (guint a = 0; a < attributes; a++)
    {
      g_autoptr(GByteArray) attribute = g_byte_array_new ();
      g_autoptr(GByteArray) values = g_byte_array_new ();

      for (guint v = 0; v < per; v++)
        g_byte_array_append (values, g_bytes_get_data (renewed, NULL), g_bytes_get_size (renewed));
      put (attribute, CRADLE_DER_OID, oid_renewal, sizeof oid_renewal);
      put_array (attribute, CRADLE_DER_SET, values);
      put_array (attrs, CRADLE_DER_SEQUENCE, attribute);
    }
  put_array (fields, CRADLE_DER_CONTEXT_0, attrs);
  put_array (out, CRADLE_DER_SEQUENCE, fields);
  g_byte_array_unref (fields);
  return take (out);
}

static GBytes *
certificate (EVP_PKEY *key)
{
  g_autoptr(X509) cert = X509_new ();
  g_autoptr(X509_NAME) name = X509_NAME_new ();
  unsigned char *der = NULL;
  int size;
  GBytes *bytes;

  g_assert_true (X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8, (const guint8 *) "Renewal CA", -1, -1, 0));
  g_assert_true (X509_set_version (cert, X509_VERSION_3));
  g_assert_true (ASN1_INTEGER_set (X509_get_serialNumber (cert), 9));
  g_assert_true (X509_set_subject_name (cert, name));
  g_assert_true (X509_set_issuer_name (cert, name));
  g_assert_nonnull (X509_gmtime_adj (X509_getm_notBefore (cert), 0));
  g_assert_nonnull (X509_gmtime_adj (X509_getm_notAfter (cert), 60));
  g_assert_true (X509_set_pubkey (cert, key));
  g_assert_cmpint (X509_sign (cert, key, EVP_sha256 ()), >, 0);
  size = i2d_X509 (cert, &der);
  bytes = g_bytes_new (der, size);
  OPENSSL_free (der);
  return bytes;
}

/* Every truncation and every flipped byte: refused or read, never a crash. */
static void
damage (GBytes   *good,
        gboolean (*read) (GBytes *bytes))
{
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (good, &size);

  for (gsize cut = 0; cut < size; cut++)
    {
      g_autoptr(GBytes) truncated = g_bytes_new (data, cut);

      g_assert_false (read (truncated));
    }
  for (gsize i = 0; i < size; i++)
    {
      g_autofree guint8 *copy = g_memdup2 (data, size);
      g_autoptr(GBytes) flipped = NULL;

      copy[i] ^= 0x5a;
      flipped = g_bytes_new (copy, size);
      (void) read (flipped);
    }
}

static gboolean
read_renewal (GBytes *bytes)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) renewed = NULL;
  gboolean ok = cradle_agent_request_info_renewal (bytes, &spki, &renewed, &error);

  g_assert_true (ok == (error == NULL));
  return ok;
}

static void
test_renewal_attribute (void)
{
  g_autoptr(EVP_PKEY) key = EVP_EC_gen ("P-256");
  g_autoptr(GBytes) cert = certificate (key);
  g_autoptr(GBytes) plain = request_info (key, cert, 0, 1);
  g_autoptr(GBytes) renewal = request_info (key, cert, 1, 1);
  g_autoptr(GBytes) twice = request_info (key, cert, 2, 1);
  g_autoptr(GBytes) two_values = request_info (key, cert, 1, 2);
  g_autoptr(GBytes) spki = NULL;
  g_autoptr(GBytes) renewed = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (cradle_agent_request_info_renewal (plain, &spki, &renewed, &error));
  g_assert_no_error (error);
  g_assert_null (renewed);
  g_clear_pointer (&spki, g_bytes_unref);
  g_assert_true (cradle_agent_request_info_renewal (renewal, &spki, &renewed, &error));
  g_assert_true (g_bytes_equal (renewed, cert));
  g_clear_pointer (&renewed, g_bytes_unref);
  g_clear_pointer (&spki, g_bytes_unref);

  g_assert_false (cradle_agent_request_info_renewal (twice, NULL, &renewed, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "twice"));
  g_clear_error (&error);
  g_assert_false (cradle_agent_request_info_renewal (two_values, NULL, &renewed, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "not one certificate"));
  g_clear_error (&error);
  damage (renewal, read_renewal);
}

static GBytes *
request_of (GBytes *cri)
{
  static const guint8 algorithm[] = { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
  static const guint8 signature[] = { 0x00, 0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01 };
  g_autoptr(GByteArray) fields = g_byte_array_new ();
  GByteArray *out = g_byte_array_new ();

  g_byte_array_append (fields, g_bytes_get_data (cri, NULL), g_bytes_get_size (cri));
  g_byte_array_append (fields, algorithm, sizeof algorithm);
  put (fields, CRADLE_DER_BIT_STRING, signature, sizeof signature);
  put_array (out, CRADLE_DER_SEQUENCE, fields);
  return take (out);
}

static gboolean
read_request (GBytes *bytes)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) cri = NULL;
  gboolean ok = cradle_agent_renewal_split_request (bytes, &cri, &error);

  g_assert_true (ok == (error == NULL));
  return ok;
}

static void
test_split_request (void)
{
  g_autoptr(EVP_PKEY) key = EVP_EC_gen ("P-256");
  g_autoptr(GBytes) cert = certificate (key);
  g_autoptr(GBytes) cri = request_info (key, cert, 1, 1);
  g_autoptr(GBytes) request = request_of (cri);
  g_autoptr(GBytes) inside = NULL;
  g_autoptr(GByteArray) trailing = g_byte_array_new ();
  g_autoptr(GBytes) with_trailing = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (cradle_agent_renewal_split_request (request, &inside, &error));
  g_assert_true (g_bytes_equal (inside, cri));
  g_byte_array_append (trailing, g_bytes_get_data (request, NULL), g_bytes_get_size (request));
  g_byte_array_append (trailing, (const guint8 *) "\x05\x00", 2);
  with_trailing = g_bytes_new (trailing->data, trailing->len);
  g_assert_false (cradle_agent_renewal_split_request (with_trailing, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  /* A certificate has a request's shape, but what it signs is no request. */
  g_clear_pointer (&inside, g_bytes_unref);
  g_assert_true (cradle_agent_renewal_split_request (cert, &inside, &error));
  g_assert_false (cradle_agent_request_info_renewal (inside, NULL, NULL, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  damage (request, read_request);
}

/* A pkcsPKIEnvelope of @content under @cipher (OID contents @oid) with @key. */
static GBytes *
envelope (GBytes           *content,
          const EVP_CIPHER *cipher,
          const guint8     *oid,
          gsize             oid_size,
          const guint8     *key)
{
  g_autoptr(EVP_CIPHER_CTX) ctx = EVP_CIPHER_CTX_new ();
  g_autoptr(GByteArray) recipient = g_byte_array_new ();
  g_autoptr(GByteArray) recipients = g_byte_array_new ();
  g_autoptr(GByteArray) algorithm = g_byte_array_new ();
  g_autoptr(GByteArray) encrypted = g_byte_array_new ();
  g_autoptr(GByteArray) enveloped = g_byte_array_new ();
  g_autoptr(GByteArray) explicit = g_byte_array_new ();
  g_autoptr(GByteArray) info = g_byte_array_new ();
  GByteArray *out = g_byte_array_new ();
  g_autofree guint8 *ciphertext = g_malloc (g_bytes_get_size (content) + 16);
  guint8 iv[16];
  int iv_size = EVP_CIPHER_get_iv_length (cipher);
  int written = 0, last = 0;

  g_assert_true (RAND_bytes (iv, sizeof iv) == 1);
  g_assert_true (EVP_EncryptInit_ex2 (ctx, cipher, key, iv, NULL));
  g_assert_true (EVP_EncryptUpdate (ctx, ciphertext, &written, g_bytes_get_data (content, NULL),
                                    (int) g_bytes_get_size (content)));
  g_assert_true (EVP_EncryptFinal_ex (ctx, ciphertext + written, &last));

  /* One KeyTransRecipientInfo, version 2 with a subjectKeyIdentifier. */
  put (recipient, CRADLE_DER_INTEGER, (const guint8 *) "\x02", 1);
  put (recipient, 0x80, (const guint8 *) "ski", 3);
  g_byte_array_append (recipient, (const guint8 *) "\x30\x0d\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01\x05\x00", 15);
  put (recipient, CRADLE_DER_OCTET_STRING, (const guint8 *) "wrapped key", 11);
  put_array (recipients, CRADLE_DER_SEQUENCE, recipient);
  put (algorithm, CRADLE_DER_OID, oid, oid_size);
  put (algorithm, CRADLE_DER_OCTET_STRING, iv, iv_size);
  put (encrypted, CRADLE_DER_OID, oid_data, sizeof oid_data);
  put_array (encrypted, CRADLE_DER_SEQUENCE, algorithm);
  put (encrypted, 0x80, ciphertext, (gsize) (written + last));
  put (enveloped, CRADLE_DER_INTEGER, (const guint8 *) "", 1);
  put_array (enveloped, CRADLE_DER_SET, recipients);
  put_array (enveloped, CRADLE_DER_SEQUENCE, encrypted);
  put_array (explicit, CRADLE_DER_SEQUENCE, enveloped);
  put (info, CRADLE_DER_OID, oid_enveloped, sizeof oid_enveloped);
  put_array (info, CRADLE_DER_CONTEXT_0, explicit);
  put_array (out, CRADLE_DER_SEQUENCE, info);
  return take (out);
}

static const guint8 key32[32] = "a 32-byte content-encryption key";

static gboolean
read_envelope (GBytes *bytes)
{
  g_autoptr(GBytes) key = g_bytes_new_static (key32, 16);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) plain = cradle_agent_renewal_open_envelope (bytes, key, &error);

  g_assert_true ((plain != NULL) == (error == NULL));
  return plain != NULL;
}

static void
test_open_envelope (void)
{
  static const struct {
    const char  *name;
    guint8       oid[9];
    gsize        oid_size;
    gsize        key_size;
  } ciphers[] = {
    { "AES-128-CBC", { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x02 }, 9, 16 },
    { "AES-192-CBC", { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x16 }, 9, 24 },
    { "AES-256-CBC", { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01, 0x2a }, 9, 32 },
    { "DES-EDE3-CBC", { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x03, 0x07 }, 8, 24 },
  };
  g_autoptr(GBytes) content = g_bytes_new_static ("the confirmed request, in DER", 29);
  g_autoptr(GBytes) first = NULL;

  for (gsize c = 0; c < G_N_ELEMENTS (ciphers); c++)
    {
      const EVP_CIPHER *cipher = EVP_get_cipherbyname (ciphers[c].name);
      g_autoptr(GBytes) sealed = envelope (content, cipher, ciphers[c].oid, ciphers[c].oid_size, key32);
      g_autoptr(GBytes) key = g_bytes_new_static (key32, ciphers[c].key_size);
      g_autoptr(GBytes) short_key = g_bytes_new_static (key32, ciphers[c].key_size - 8);
      g_autoptr(GBytes) other_key = g_bytes_new_static (key32 + 1, ciphers[c].key_size);
      g_autoptr(GBytes) plain = NULL;
      g_autoptr(GError) error = NULL;

      /* The envelope purpose 3 and 5 accept. */
      g_assert_true (cradle_agent_scep_check_envelope (sealed, &error));
      g_assert_no_error (error);
      plain = cradle_agent_renewal_open_envelope (sealed, key, &error);
      g_assert_no_error (error);
      g_assert_true (g_bytes_equal (plain, content));
      g_assert_null (cradle_agent_renewal_open_envelope (sealed, short_key, &error));
      g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
      g_clear_error (&error);
      /* A wrong key: its padding almost never holds, and then it says so. */
      g_clear_pointer (&plain, g_bytes_unref);
      plain = cradle_agent_renewal_open_envelope (sealed, other_key, &error);
      g_assert_true (plain == NULL || !g_bytes_equal (plain, content));
      g_clear_error (&error);
      if (first == NULL)
        first = g_bytes_ref (sealed);
    }
  /* Not a cipher SCEP uses (RC2's OID): refused. */
  {
    static const guint8 rc2[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x03, 0x02 };
    g_autoptr(GBytes) sealed = envelope (content, EVP_aes_128_cbc (), rc2, sizeof rc2, key32);
    g_autoptr(GBytes) key = g_bytes_new_static (key32, 16);
    g_autoptr(GError) error = NULL;

    g_assert_null (cradle_agent_renewal_open_envelope (sealed, key, &error));
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  }
  damage (first, read_envelope);
}

static void
test_check_poll (void)
{
  g_autoptr(GBytes) issuer = der_of_name ("Renewal CA");
  g_autoptr(GBytes) other = der_of_name ("Another CA");
  g_autoptr(GBytes) subject = der_of_name ("user");
  g_autoptr(GByteArray) fields = g_byte_array_new ();
  g_autoptr(GByteArray) wrong = g_byte_array_new ();
  GByteArray *out = g_byte_array_new ();
  GByteArray *wrong_out = g_byte_array_new ();
  g_autoptr(GBytes) poll = NULL;
  g_autoptr(GBytes) wrong_poll = NULL;
  g_autoptr(GError) error = NULL;

  g_byte_array_append (fields, g_bytes_get_data (issuer, NULL), g_bytes_get_size (issuer));
  g_byte_array_append (fields, g_bytes_get_data (subject, NULL), g_bytes_get_size (subject));
  put_array (out, CRADLE_DER_SEQUENCE, fields);
  poll = take (out);
  g_byte_array_append (wrong, g_bytes_get_data (other, NULL), g_bytes_get_size (other));
  g_byte_array_append (wrong, g_bytes_get_data (subject, NULL), g_bytes_get_size (subject));
  put_array (wrong_out, CRADLE_DER_SEQUENCE, wrong);
  wrong_poll = take (wrong_out);

  g_assert_true (cradle_agent_renewal_check_poll (poll, issuer, &error));
  g_assert_no_error (error);
  g_assert_false (cradle_agent_renewal_check_poll (wrong_poll, issuer, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_false (cradle_agent_renewal_check_poll (issuer, issuer, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
}

/* Signed attributes, each an Attribute { OID, SET { value } }, sorted. */
static GBytes *
attributes (const char *message_type,
            gboolean    scep)
{
  static const guint8 digest[32] = "0123456789abcdef0123456789abcde";
  GPtrArray *items = g_ptr_array_new_with_free_func ((GDestroyNotify) g_byte_array_unref);
  g_autoptr(GByteArray) set = g_byte_array_new ();
  GByteArray *out = g_byte_array_new ();
  struct { const guint8 *oid; gsize oid_size; guint8 tag; const guint8 *value; gsize size; } parts[] = {
    { oid_content_type, sizeof oid_content_type, CRADLE_DER_OID, oid_data, sizeof oid_data },
    { oid_message_digest, sizeof oid_message_digest, CRADLE_DER_OCTET_STRING, digest, 32 },
    { oid_message_type, sizeof oid_message_type, CRADLE_DER_PRINTABLE_STRING, (const guint8 *) message_type,
      message_type != NULL ? strlen (message_type) : 0 },
    { oid_sender_nonce, sizeof oid_sender_nonce, CRADLE_DER_OCTET_STRING, (const guint8 *) "nonce-of-16-byte", 16 },
    { oid_transaction_id, sizeof oid_transaction_id, CRADLE_DER_PRINTABLE_STRING, (const guint8 *) "ABC", 3 },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (parts); i++)
    {
      g_autoptr(GByteArray) attribute = g_byte_array_new ();
      g_autoptr(GByteArray) value = g_byte_array_new ();
      GByteArray *whole = g_byte_array_new ();

      if (i == 2 && message_type == NULL)
        {
          g_byte_array_unref (whole);
          continue;
        }
      if (i >= 3 && !scep)
        {
          g_byte_array_unref (whole);
          continue;
        }
      put (value, parts[i].tag, parts[i].value, parts[i].size);
      put (attribute, CRADLE_DER_OID, parts[i].oid, parts[i].oid_size);
      put_array (attribute, CRADLE_DER_SET, value);
      put_array (whole, CRADLE_DER_SEQUENCE, attribute);
      g_ptr_array_add (items, whole);
    }
  /* DER order: these encodings differ in their first differing byte. */
  for (guint i = 0; i < items->len; i++)
    for (guint j = i + 1; j < items->len; j++)
      {
        GByteArray *a = g_ptr_array_index (items, i);
        GByteArray *b = g_ptr_array_index (items, j);
        CradleDerSlice sa = { a->data, a->len };
        CradleDerSlice sb = { b->data, b->len };

        if (cradle_der_set_order (sa, sb) > 0)
          {
            items->pdata[i] = b;
            items->pdata[j] = a;
          }
      }
  for (guint i = 0; i < items->len; i++)
    {
      GByteArray *item = g_ptr_array_index (items, i);

      g_byte_array_append (set, item->data, item->len);
    }
  g_ptr_array_unref (items);
  put_array (out, CRADLE_DER_SET, set);
  return take (out);
}

static void
assert_profile (CradleAgentAttributesProfile profile,
                GBytes                      *bytes,
                guint                        expected_type,
                const char                  *words)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) digest = NULL;
  g_autofree char *transaction_id = NULL;
  guint type = 99;
  gboolean ok = cradle_agent_scep_check_attributes_for (profile, bytes, 32, &type, &digest, &transaction_id, &error);

  if (words == NULL)
    {
      g_assert_no_error (error);
      g_assert_true (ok);
      g_assert_cmpuint (type, ==, expected_type);
      g_assert_cmpuint (g_bytes_get_size (digest), ==, 32);
      g_assert_true ((transaction_id != NULL) == (profile != CRADLE_AGENT_ATTRIBUTES_CMS));
      return;
    }
  g_assert_false (ok);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  if (strstr (error->message, words) == NULL)
    g_error ("'%s' does not say '%s'", error->message, words);
}

static void
test_signed_attributes (void)
{
  g_autoptr(GBytes) cms = attributes (NULL, FALSE);
  g_autoptr(GBytes) cms_typed = attributes ("17", FALSE);
  g_autoptr(GBytes) renewal = attributes ("17", TRUE);
  g_autoptr(GBytes) poll = attributes ("20", TRUE);
  g_autoptr(GBytes) pkcs_req = attributes ("19", TRUE);

  assert_profile (CRADLE_AGENT_ATTRIBUTES_CMS, cms, 0, NULL);
  assert_profile (CRADLE_AGENT_ATTRIBUTES_CMS, cms_typed, 0, "does not sign");
  assert_profile (CRADLE_AGENT_ATTRIBUTES_CMS, renewal, 0, "does not sign");
  assert_profile (CRADLE_AGENT_ATTRIBUTES_SCEP_RENEWAL, renewal, 17, NULL);
  assert_profile (CRADLE_AGENT_ATTRIBUTES_SCEP_RENEWAL, poll, 20, NULL);
  assert_profile (CRADLE_AGENT_ATTRIBUTES_SCEP_RENEWAL, pkcs_req, 0, "RenewalReq (17)");
  assert_profile (CRADLE_AGENT_ATTRIBUTES_SCEP_RENEWAL, cms, 0, "has no");
  /* A new enrollment's key still signs no RenewalReq. */
  assert_profile (CRADLE_AGENT_ATTRIBUTES_SCEP_REQUEST, renewal, 0, "PKCSReq (19)");
  assert_profile (CRADLE_AGENT_ATTRIBUTES_SCEP_REQUEST, pkcs_req, 19, NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/agent-renewal-check/renewal-attribute", test_renewal_attribute);
  g_test_add_func ("/agent-renewal-check/split-request", test_split_request);
  g_test_add_func ("/agent-renewal-check/open-envelope", test_open_envelope);
  g_test_add_func ("/agent-renewal-check/check-poll", test_check_poll);
  g_test_add_func ("/agent-renewal-check/signed-attributes", test_signed_attributes);
  return g_test_run ();
}
