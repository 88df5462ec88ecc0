/* fuzz-attestation.c: libFuzzer harness for a token's attestation
 * (bridge/pkcs11/cradle-attestation.c)
 *
 * Outside bytes, two ways in, told by the first byte's low bit:
 * - odd: the rest is a certification request (as another tool made it),
 *   read by cradle_attestation_from_request(), and also an attestation
 *   certificate, checked by cradle_attestation_verify() against a chain
 *   made here;
 * - even: the rest holds up to three values, each a length byte and that
 *   many bytes, which become the firmware, serial and policy extensions of
 *   an attestation this harness signs with a good chain: so the bounded
 *   readers of Yubico's extensions see every shape a token could send.
 * Either way: success, or a CRADLE_ERROR saying why; never a crash. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <cradle/cradle.h>

#include "pkcs11/cradle-attestation-private.h"
#include "attestation-test-pki.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

typedef struct {
  AttPki   *root;
  AttPki   *f9;
  EVP_PKEY *key;
  GBytes   *f9_der;
  GBytes   *spki;
  char     *roots_file;
} Chain;

static Chain shared_chain;

static void
chain_remove_files (void)
{
  g_autofree char *dir = g_path_get_dirname (shared_chain.roots_file);

  g_unlink (shared_chain.roots_file);
  g_rmdir (dir);
}

static Chain *
chain_get (void)
{
  static gsize made;

  if (g_once_init_enter (&made))
    {
      g_autofree char *dir = g_dir_make_tmp ("cradle-fuzz-attestation-XXXXXX", NULL);
      X509 *roots[] = { NULL, NULL };

      shared_chain.root = att_make_root ("Fuzz PIV Root");
      shared_chain.f9 = att_make_issued (shared_chain.root, "Fuzz PIV Attestation", TRUE);
      shared_chain.key = att_make_key ();
      shared_chain.f9_der = att_der (shared_chain.f9->cert);
      shared_chain.spki = att_spki (shared_chain.key);
      roots[0] = shared_chain.root->cert;
      shared_chain.roots_file = att_write_pem (dir, "roots.pem", roots);
      atexit (chain_remove_files);
      g_once_init_leave (&made, 1);
    }
  return &shared_chain;
}

static void
assert_refused (const GError *error)
{
  g_assert_nonnull (error);
  g_assert (error->domain == CRADLE_ERROR);
  g_assert (g_utf8_validate (error->message, -1, NULL));
}

/* The next length-prefixed value of @in, or %NULL when none is left. */
static GBytes *
take_value (const guint8 **in,
            gsize         *left)
{
  gsize length;
  GBytes *value;

  if (*left == 0)
    return NULL;
  length = MIN ((gsize) (*in)[0], *left - 1);
  value = g_bytes_new (*in + 1, length);
  *in += 1 + length;
  *left -= 1 + length;
  return value;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  Chain *chain = chain_get ();
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleAttestation) result = NULL;

  /* A GLib critical is a bug, here as in the product. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  if (size == 0)
    return 0;
  if (data[0] & 1)
    {
      g_autoptr(GBytes) input = g_bytes_new (data + 1, size - 1);
      g_autoptr(GBytes) attestation = NULL;
      g_autoptr(GBytes) intermediate = NULL;

      if (!cradle_attestation_from_request (input, &attestation, &intermediate, &error))
        assert_refused (error);
      else
        g_assert_cmpuint (g_bytes_get_size (attestation), <=, CRADLE_ATTESTATION_MAX_CERTIFICATE_SIZE);
      g_clear_error (&error);
      result = cradle_attestation_verify (input, chain->f9_der, chain->roots_file, chain->spki, &error);
      if (result == NULL)
        assert_refused (error);
      return 0;
    }

  {
    const guint8 *in = data + 1;
    gsize left = size - 1;
    AttExtensions extensions = { 0 };
    g_autoptr(X509) attestation = NULL;
    g_autoptr(GBytes) der = NULL;

    extensions.firmware = take_value (&in, &left);
    extensions.serial = take_value (&in, &left);
    extensions.policy = take_value (&in, &left);
    attestation = att_make_attestation (chain->f9, chain->key, &extensions);
    der = att_der (attestation);
    result = cradle_attestation_verify (der, chain->f9_der, chain->roots_file, chain->spki, &error);
    if (result == NULL)
      {
        CradleExplainKind kind = 0;
        guint32 detail = 0;

        /* The chain and the key are good: only the extensions can be wrong. */
        assert_refused (error);
        g_assert (error->code == CRADLE_ERROR_INVALID_DATA);
        g_assert (cradle_explain_get_detail (error, &kind, &detail));
        g_assert (kind == CRADLE_EXPLAIN_TOKEN && detail == CRADLE_TOKEN_FAILURE_ATTESTATION_UNTRUSTED);
      }
    else
      {
        g_assert (result->verified);
        g_assert (g_utf8_validate (result->summary, -1, NULL));
        g_assert (strchr (result->summary, '\n') == NULL);
        if (extensions.firmware == NULL)
          g_assert (result->firmware == NULL);
        else
          g_assert (g_bytes_get_size (extensions.firmware) == 3);
        if (extensions.serial == NULL)
          g_assert (result->serial == -1);
        else
          g_assert (result->serial >= 0);
      }
    att_extensions_clear (&extensions);
  }
  return 0;
}
