/* cradle-provisioning.c: a provisioning file, read into drafts
 *
 * cradle-provisioning-document.c turns the bytes into checked type-file
 * texts; each becomes a CradleTypeDraft here, by the same parser.  A
 * signed file is checked against the roots the host trusts for TLS (the
 * system's store and cradle.conf's [Enrollment] TrustAnchors), the store
 * cradle-http-trust.c builds.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

#include "base/cradle-file-private.h"
#include "ca/cradle-http-private.h"
#include "policy/cradle-cert-type-private.h"
#include "policy/cradle-provisioning-private.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_STORE, X509_STORE_free)

struct _CradleProvisioning
{
  GObject parent_instance;

  /* Owned */
  CradleProvisioningFormat format;
  GPtrArray               *drafts;   /* CradleTypeDraft */
  GStrv                    notes;
  CradleCertificate       *signer;
};

G_DEFINE_FINAL_TYPE (CradleProvisioning, cradle_provisioning, G_TYPE_OBJECT)

static void
cradle_provisioning_finalize (GObject *object)
{
  CradleProvisioning *self = CRADLE_PROVISIONING (object);

  g_clear_pointer (&self->drafts, g_ptr_array_unref);
  g_clear_pointer (&self->notes, g_strfreev);
  g_clear_object (&self->signer);
  G_OBJECT_CLASS (cradle_provisioning_parent_class)->finalize (object);
}

static void
cradle_provisioning_class_init (CradleProvisioningClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cradle_provisioning_finalize;
}

static void
cradle_provisioning_init (CradleProvisioning *self)
{
}

const char *
cradle_provisioning_format_to_string (CradleProvisioningFormat format)
{
  return format == CRADLE_PROVISIONING_FORMAT_WINDOWS ? "windows" : "cradle";
}

gboolean
cradle_provisioning_format_from_string (const char               *text,
                                        CradleProvisioningFormat *format)
{
  if (g_strcmp0 (text, "cradle") == 0)
    *format = CRADLE_PROVISIONING_FORMAT_CRADLE;
  else if (g_strcmp0 (text, "windows") == 0)
    *format = CRADLE_PROVISIONING_FORMAT_WINDOWS;
  else
    return FALSE;
  return TRUE;
}

/* The roots a signer must chain to: those TLS trusts. */
static X509_STORE *
dup_trust (const char  *source,
           GError     **error)
{
  g_autofree char *anchors = cradle_cert_type_dup_default_trust_anchors ();
  X509_STORE *store = cradle_http_dup_trust_store (anchors, NULL, TRUE);

  if (store == NULL)
    g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_CONFIGURED,
                 "%s is signed, but its signature cannot be checked: the trusted roots could not be "
                 "read (the system's CA bundle%s%s). Check that they are readable",
                 source, anchors != NULL ? " and " : "", anchors != NULL ? anchors : "");
  return store;
}

CradleProvisioning *
cradle_provisioning_new_from_bytes (const char  *source,
                                    GBytes      *data,
                                    GError     **error)
{
  g_autoptr(CradleProvisioning) self = NULL;
  g_autoptr(X509_STORE) trust = NULL;
  CradleProvisioningDocument document = { 0, };
  gboolean ok;

  g_return_val_if_fail (source != NULL, NULL);
  g_return_val_if_fail (data != NULL, NULL);

  if (_cradle_provisioning_is_signed (data) && (trust = dup_trust (source, error)) == NULL)
    return NULL;
  ok = _cradle_provisioning_document_read (&document, source, data, trust, error);
  if (!ok)
    {
      _cradle_provisioning_document_clear (&document);
      return NULL;
    }

  self = g_object_new (CRADLE_TYPE_PROVISIONING, NULL);
  self->format = document.format;
  self->signer = g_steal_pointer (&document.signer);
  self->drafts = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < document.entries->len; i++)
    {
      CradleProvisioningEntry *entry = g_ptr_array_index (document.entries, i);
      g_autoptr(GError) local_error = NULL;
      CradleTypeDraft *draft;

      draft = cradle_type_draft_new_from_data (CRADLE_PROVISIONING_ENTRY_SOURCE, entry->text->str,
                                               entry->text->len, &local_error);
      if (draft == NULL)
        {
          _cradle_provisioning_entry_fix_error (entry, source, local_error);
          g_propagate_error (error, g_steal_pointer (&local_error));
          _cradle_provisioning_document_clear (&document);
          return NULL;
        }
      g_ptr_array_add (self->drafts, draft);
    }
  g_ptr_array_add (document.notes, NULL);
  self->notes = (GStrv) g_ptr_array_steal (document.notes, NULL);
  _cradle_provisioning_document_clear (&document);
  return g_steal_pointer (&self);
}

CradleProvisioning *
cradle_provisioning_new_from_file (const char  *path,
                                   GError     **error)
{
  g_autoptr(GBytes) data = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  data = cradle_file_read_bounded (path, CRADLE_PROVISIONING_MAX_SIZE,
                                   "Give the provisioning file your administrator signed.", error);
  if (data == NULL)
    return NULL;
  if (g_bytes_get_size (data) > CRADLE_PROVISIONING_MAX_SIZE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%s: the file is larger than %d bytes, more than any provisioning file needs",
                   path, CRADLE_PROVISIONING_MAX_SIZE);
      return NULL;
    }
  return cradle_provisioning_new_from_bytes (path, data, error);
}

CradleProvisioningFormat
cradle_provisioning_get_format (CradleProvisioning *self)
{
  g_return_val_if_fail (CRADLE_IS_PROVISIONING (self), CRADLE_PROVISIONING_FORMAT_CRADLE);

  return self->format;
}

GPtrArray *
cradle_provisioning_get_drafts (CradleProvisioning *self)
{
  g_return_val_if_fail (CRADLE_IS_PROVISIONING (self), NULL);

  return self->drafts;
}

const char * const *
cradle_provisioning_get_notes (CradleProvisioning *self)
{
  g_return_val_if_fail (CRADLE_IS_PROVISIONING (self), NULL);

  return (const char * const *) self->notes;
}

CradleCertificate *
cradle_provisioning_get_signer (CradleProvisioning *self)
{
  g_return_val_if_fail (CRADLE_IS_PROVISIONING (self), NULL);

  return self->signer;
}
