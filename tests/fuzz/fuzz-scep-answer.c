/* fuzz-scep-answer.c: libFuzzer harness for what the host reads from a SCEP
 * server (core/cradle-scep-ca.c, core/cradle-scep-reply.c)
 *
 * The first byte picks the reader: 0 GetCACaps, 1 GetCACert (one
 * certificate), 2 GetCACert (CA and RA bundle), 3 a CertRep answering a
 * message of a fixed transaction, from a CA made once per process. */
#include "config.h"

#include <glib.h>
#include <openssl/x509v3.h>

#include "ca/scep/cradle-scep-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

typedef struct {
  EVP_PKEY     *key;
  X509         *cert;
  CradleScepCa *ca;
} Context;

/* The device's decryption, played here: any key of the size asked. */
static GBytes *
decrypt (CradleScepKey  *key,
         GBytes         *encrypted_key,
         gsize           key_size,
         GCancellable   *cancellable,
         GError        **error)
{
  return g_bytes_new_take (g_malloc0 (key_size), key_size);
}

static const CradleScepKeyOps ops = { NULL, decrypt };

static Context *
context (void)
{
  static Context *made;
  X509_NAME *name;
  unsigned char *der = NULL;
  int size;
  g_autoptr(GBytes) bytes = NULL;

  if (made != NULL)
    return made;
  made = g_new0 (Context, 1);
  made->key = EVP_PKEY_Q_keygen (NULL, NULL, "RSA", (size_t) 1024);
  made->cert = X509_new ();
  name = X509_get_subject_name (made->cert);
  X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_ASC, (const guint8 *) "fuzz CA", -1, -1, 0);
  X509_set_issuer_name (made->cert, name);
  X509_set_version (made->cert, X509_VERSION_3);
  ASN1_INTEGER_set (X509_get_serialNumber (made->cert), 1);
  X509_gmtime_adj (X509_getm_notBefore (made->cert), 0);
  X509_gmtime_adj (X509_getm_notAfter (made->cert), 3600);
  X509_set_pubkey (made->cert, made->key);
  X509_sign (made->cert, made->key, EVP_sha256 ());
  size = i2d_X509 (made->cert, &der);
  bytes = g_bytes_new (der, size);
  OPENSSL_free (der);
  made->ca = cradle_scep_ca_parse ("application/x-x509-ca-cert", bytes, NULL);
  g_assert (made->ca != NULL);
  return made;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;

  if (size < 1)
    return 0;
  bytes = g_bytes_new (data + 1, size - 1);
  switch (data[0] % 4)
    {
    case 0:
      {
        g_autoptr(CradleScepCaps) caps = cradle_scep_caps_parse (bytes, &error);

        g_assert ((caps != NULL) == (error == NULL));
        break;
      }
    case 1:
    case 2:
      {
        g_autoptr(CradleScepCa) ca = cradle_scep_ca_parse (data[0] % 4 == 1 ? "application/x-x509-ca-cert"
                                                                            : "application/x-x509-ca-ra-cert",
                                                           bytes, &error);

        g_assert ((ca != NULL) == (error == NULL));
        if (ca != NULL)
          g_ptr_array_unref (cradle_scep_ca_dup_chain (ca));
        break;
      }
    default:
      {
        Context *c = context ();
        CradleScepKey key = { &ops, NULL, NULL, c->key };
        CradleScepMessageInfo info = { CRADLE_SCEP_PKCS_REQ, "ABCDEF0123", { 0 }, "sha256", "aes-128-cbc" };
        g_autoptr(CradleScepReply) reply = cradle_scep_reply_parse (bytes, &info, c->ca, c->cert, &key, NULL, &error);

        g_assert ((reply != NULL) == (error == NULL));
        break;
      }
    }
  return 0;
}
