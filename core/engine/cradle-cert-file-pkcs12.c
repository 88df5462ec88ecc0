/* cradle-cert-file-pkcs12.c: reading a PFX/P12 file
 *
 * PKCS#12 files come with modern encryption (PBES2: PBKDF2 and AES) or the
 * legacy one older Windows and `openssl pkcs12 -legacy` write (RC2-40 for
 * the certificates, 3DES for the key). RC2 lives in OpenSSL's legacy
 * provider, which the rest of the program must not use: it is loaded in a
 * library context of its own, made the calling thread's default for this
 * one file only, and unloaded with it. Everything read is turned into DER
 * (the key into PKCS#8 in memory that is wiped) before that context goes.
 */
#include "config.h"

#include <string.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>

#include "base/cradle-openssl-private.h"
#include "engine/cradle-cert-file-private.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PKCS12, PKCS12_free)

void
_cradle_cert_file_wipe_free (guint8 *data,
                             gsize   size)
{
  if (data == NULL)
    return;
  OPENSSL_cleanse (data, size);
  g_free (data);
}

void
_cradle_cert_file_pkcs12_clear (CradleCertFilePkcs12 *contents)
{
  g_clear_pointer (&contents->certificates, g_ptr_array_unref);
  _cradle_cert_file_wipe_free (contents->key, contents->key_size);
  contents->key = NULL;
  contents->key_size = 0;
  contents->key_matched = FALSE;
}

static GBytes *
certificate_der (X509 *x509)
{
  unsigned char *der = NULL;
  int size = i2d_X509 (x509, &der);

  return size > 0 ? cradle_openssl_take_der (der, size) : NULL;
}

/* The key as PKCS#8 DER, in a buffer of our own that is wiped when freed. */
static gboolean
key_der (EVP_PKEY  *pkey,
         guint8   **key,
         gsize     *key_size)
{
  g_autoptr(PKCS8_PRIV_KEY_INFO) p8 = EVP_PKEY2PKCS8 (pkey);
  unsigned char *der = NULL;
  int size;

  if (p8 == NULL)
    return FALSE;
  size = i2d_PKCS8_PRIV_KEY_INFO (p8, &der);
  if (size <= 0)
    return FALSE;
  *key = g_memdup2 (der, (gsize) size);
  *key_size = (gsize) size;
  OPENSSL_clear_free (der, (size_t) size);
  return TRUE;
}

/* Whether the reasons OpenSSL gave name a cipher or algorithm it lacks. */
static gboolean
unsupported_algorithm (void)
{
  unsigned long code;
  gboolean unsupported = FALSE;

  while ((code = ERR_peek_error ()) != 0)
    {
      int reason = ERR_GET_REASON (code);

      if (reason == EVP_R_UNSUPPORTED_ALGORITHM || reason == ERR_R_UNSUPPORTED
          || reason == EVP_R_UNSUPPORTED_CIPHER || reason == EVP_R_UNSUPPORTED_KEY_DERIVATION_FUNCTION
          || reason == EVP_R_UNSUPPORTED_PRF || reason == EVP_R_UNKNOWN_CIPHER)
        unsupported = TRUE;
      ERR_get_error ();
    }
  return unsupported;
}

typedef struct {
  OSSL_LIB_CTX  *context;
  OSSL_LIB_CTX  *previous;
  OSSL_PROVIDER *base;
  OSSL_PROVIDER *legacy;
} FileContext;

static void
file_context_enter (FileContext *ctx)
{
  ctx->context = OSSL_LIB_CTX_new ();
  if (ctx->context == NULL)
    return;
  ctx->base = OSSL_PROVIDER_load (ctx->context, "default");
  /* May be absent from a trimmed OpenSSL: then only modern files read. */
  ctx->legacy = OSSL_PROVIDER_load (ctx->context, "legacy");
  ERR_clear_error ();
  ctx->previous = OSSL_LIB_CTX_set0_default (ctx->context);
}

static void
file_context_leave (FileContext *ctx)
{
  if (ctx->context == NULL)
    return;
  OSSL_LIB_CTX_set0_default (ctx->previous);
  if (ctx->legacy != NULL)
    OSSL_PROVIDER_unload (ctx->legacy);
  if (ctx->base != NULL)
    OSSL_PROVIDER_unload (ctx->base);
  OSSL_LIB_CTX_free (ctx->context);
  memset (ctx, 0, sizeof *ctx);
}

static gboolean
parse (const char           *name,
       PKCS12               *p12,
       const char           *password,
       gboolean              have_legacy,
       CradleCertFilePkcs12 *contents,
       GError              **error)
{
  EVP_PKEY *pkey = NULL;
  X509 *cert = NULL;
  STACK_OF (X509) *chain = NULL;
  const char *pass = password != NULL ? password : "";
  gboolean ok = FALSE;

  if (PKCS12_mac_present (p12) && !PKCS12_verify_mac (p12, pass, -1)
      && !(password == NULL && PKCS12_verify_mac (p12, NULL, 0)))
    {
      ERR_clear_error ();
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_AUTH_FAILED,
                   "The password for %s is wrong: the file's integrity check does not match it. "
                   "Type the password the file was exported with.", name);
      return FALSE;
    }
  if (!PKCS12_parse (p12, pass, &pkey, &cert, &chain))
    {
      if (unsupported_algorithm ())
        g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                     "%s is encrypted with an algorithm this computer cannot decrypt%s. Export it "
                     "again with AES encryption (PBES2).", name,
                     have_legacy ? "" : " (legacy RC2/3DES encryption needs OpenSSL's legacy provider, "
                                        "which is not installed)");
      else
        cradle_openssl_set_error (error, CRADLE_ERROR_INVALID_DATA,
                                  "The PKCS#12 file is damaged: its contents do not decode");
      return FALSE;
    }

  contents->certificates = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  if (cert != NULL)
    g_ptr_array_add (contents->certificates, certificate_der (cert));
  for (int i = 0; chain != NULL && i < sk_X509_num (chain); i++)
    {
      GBytes *der = certificate_der (sk_X509_value (chain, i));

      if (der != NULL)
        g_ptr_array_add (contents->certificates, der);
    }
  contents->key_matched = pkey != NULL && cert != NULL;
  if (pkey != NULL && !key_der (pkey, &contents->key, &contents->key_size))
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_NOT_SUPPORTED,
                                "The key in the file cannot be read as PKCS#8");
      goto out;
    }
  ok = TRUE;
out:
  EVP_PKEY_free (pkey);
  X509_free (cert);
  sk_X509_pop_free (chain, X509_free);
  return ok;
}

gboolean
_cradle_cert_file_read_pkcs12 (const char           *name,
                               GBytes               *data,
                               const char           *password,
                               CradleCertFilePkcs12 *contents,
                               GError              **error)
{
  FileContext ctx = { 0 };
  g_autoptr(PKCS12) p12 = NULL;
  gsize size = 0;
  const guint8 *start = g_bytes_get_data (data, &size);
  const guint8 *p = start;
  gboolean ok = FALSE;

  memset (contents, 0, sizeof *contents);
  if (size == 0 || size > CRADLE_CERT_FILE_MAX_SIZE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "%s is empty or too large", name);
      return FALSE;
    }

  file_context_enter (&ctx);
  if (ctx.context == NULL || ctx.base == NULL)
    {
      file_context_leave (&ctx);
      cradle_openssl_set_error (error, CRADLE_ERROR_FAILED, "Could not prepare OpenSSL to read the PKCS#12 file");
      return FALSE;
    }
  p12 = d2i_PKCS12 (NULL, &p, (long) size);
  if (p12 == NULL || p != start + size)
    {
      ERR_clear_error ();
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s is damaged: it is not one whole PKCS#12 structure. Export it again.", name);
    }
  else
    ok = parse (name, p12, password, ctx.legacy != NULL, contents, error);
  /* Everything from the file's context goes before the context itself. */
  g_clear_pointer (&p12, PKCS12_free);
  file_context_leave (&ctx);
  ERR_clear_error ();
  if (!ok)
    _cradle_cert_file_pkcs12_clear (contents);
  return ok;
}
