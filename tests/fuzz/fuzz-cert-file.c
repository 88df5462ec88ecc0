/* fuzz-cert-file.c: libFuzzer harness for the host's certificate file
 * reader (core/engine/cradle-cert-file.c, cradle-cert-file-pkcs12.c)
 *
 * Outside bytes: a file a user was given (PFX/P12, CER or P7B, PEM or DER).
 * The input is read as a file whose password is "fuzz"; whatever reads has
 * at least one certificate, each with a role, and a PFX a key; whatever
 * does not read says why. Seeds: a PFX (PBES2) of a p256 key with its
 * certificate and a root, the same as -legacy, a CER in PEM and DER, a P7B
 * in PEM and DER, damaged and empty files. */
#include "config.h"

#include <cradle/cradle.h>

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GBytes) bytes = g_bytes_new (data, size);
  g_autoptr(CradleCertFile) file = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *certificates;

  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  (void) cradle_cert_file_needs_password (bytes);
  file = cradle_cert_file_new ("fuzz.pfx", bytes, "fuzz", &error);
  if (file == NULL)
    {
      g_assert (error != NULL && error->message[0] != '\0');
      return 0;
    }
  certificates = cradle_cert_file_get_certificates (file);
  g_assert (certificates->len >= 1 && certificates->len <= CRADLE_CERT_FILE_MAX_CERTIFICATES);
  for (guint i = 0; i < certificates->len; i++)
    g_assert (cradle_cert_role_to_store (cradle_cert_file_get_role (file, i)) != NULL);
  g_assert (cradle_cert_file_has_key (file) == (cradle_cert_file_get_format (file) == CRADLE_CERT_FILE_PFX));
  cradle_cert_file_clear_key (file);
  g_assert (!cradle_cert_file_has_key (file));
  return 0;
}
