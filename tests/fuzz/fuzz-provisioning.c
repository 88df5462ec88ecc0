/* fuzz-provisioning.c: libFuzzer harness for provisioning files: the
 * signature's envelope, the Certificate Enroller XML and Cradle's format,
 * down to the type files each makes (cradle-provisioning-private.h) */
#include "config.h"

#include <string.h>

#include <cradle/cradle.h>

#include "policy/cradle-provisioning-private.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  /* An exact-size copy, so that reading past the end is caught. */
  g_autoptr(GBytes) bytes = g_bytes_new (data, size);
  CradleProvisioningDocument document = { 0, };
  g_autoptr(GError) error = NULL;

  /* No trust store: the signature is checked, not its signer. */
  if (_cradle_provisioning_document_read (&document, "fuzz", bytes, NULL, &error))
    {
      g_assert (document.entries->len > 0);
      for (guint i = 0; i < document.entries->len; i++)
        {
          CradleProvisioningEntry *entry = g_ptr_array_index (document.entries, i);

          /* One file line per line of type-file text, and only lines the
           * reader wrote. */
          g_assert (entry->name[0] != '\0' && entry->name[0] != '.');
          g_assert (strchr (entry->name, '/') == NULL);
          g_assert (entry->text->len > 0 && entry->text->str[entry->text->len - 1] == '\n');
        }
    }
  else
    g_assert (error != NULL && error->message[0] != '\0');
  _cradle_provisioning_document_clear (&document);
  return 0;
}
