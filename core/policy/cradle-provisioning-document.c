/* cradle-provisioning-document.c: the bytes of a provisioning file, into
 * checked type-file texts
 */
#include "config.h"

#include "policy/cradle-provisioning-private.h"

void
_cradle_provisioning_document_clear (CradleProvisioningDocument *document)
{
  g_clear_pointer (&document->entries, g_ptr_array_unref);
  g_clear_pointer (&document->notes, g_ptr_array_unref);
  g_clear_object (&document->signer);
}

gboolean
_cradle_provisioning_document_read (CradleProvisioningDocument *document,
                                    const char                 *source,
                                    GBytes                     *data,
                                    X509_STORE                 *trust,
                                    GError                    **error)
{
  g_autoptr(GBytes) content = NULL;
  gsize size;
  const char *bytes;

  g_return_val_if_fail (document->entries == NULL, FALSE);

  document->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) _cradle_provisioning_entry_free);
  document->notes = g_ptr_array_new_with_free_func (g_free);
  if (g_bytes_get_size (data) > CRADLE_PROVISIONING_MAX_SIZE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s: the file is larger than %d bytes, more than any provisioning file needs",
                   source, CRADLE_PROVISIONING_MAX_SIZE);
      return FALSE;
    }
  if (g_bytes_get_size (data) == 0)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "%s: the file is empty", source);
      return FALSE;
    }
  if (_cradle_provisioning_is_signed (data))
    {
      content = _cradle_provisioning_open_signed (source, data, trust, &document->signer, error);
      if (content == NULL)
        return FALSE;
      if (g_bytes_get_size (content) == 0)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                       "%s: the signed document is empty", source);
          return FALSE;
        }
    }
  else
    content = g_bytes_ref (data);

  /* Lines in messages are the document's; a signed file's are those of
   * the document it holds. */
  bytes = g_bytes_get_data (content, &size);
  for (gsize i = 0; i < size; i++)
    {
      if (bytes[i] == ' ' || bytes[i] == '\t' || bytes[i] == '\r' || bytes[i] == '\n')
        continue;
      if (bytes[i] == '<' || (i + 2 < size && (guchar) bytes[i] == 0xef && (guchar) bytes[i + 1] == 0xbb
                              && (guchar) bytes[i + 2] == 0xbf))
        return _cradle_provisioning_read_windows (document, source, content, error);
      break;
    }
  return _cradle_provisioning_read_bundle (document, source, content, error);
}
