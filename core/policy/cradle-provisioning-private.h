/* cradle-provisioning-private.h: what the provisioning files share
 *
 * Reading goes in two steps.  The bytes of a file become a document of
 * entries (cradle-provisioning-document.c: the signature unwrapped, then
 * cradle-provisioning-windows.c or -bundle.c): each entry is the text of
 * one type file, with the line of the provisioning file each of its lines
 * came from, already checked by the one strict parser of type files.  Then
 * cradle-provisioning.c makes a CradleTypeDraft of each.  The first step
 * needs neither the store nor the drafts, which is what the fuzz harness
 * drives.
 */
#pragma once

#include <openssl/x509_vfy.h>

#include <cradle/cradle.h>

G_BEGIN_DECLS

/* One type of a provisioning file, as type-file text. */
typedef struct {
  char    *name;
  guint    line;    /* the type's characteristic, or its group header */
  GString *text;    /* the type file it makes */
  GArray  *lines;   /* guint, for each line of @text (the first is [0]): its line in the file */
} CradleProvisioningEntry;

typedef struct {
  CradleProvisioningFormat format;
  GPtrArray               *entries;   /* CradleProvisioningEntry */
  GPtrArray               *notes;     /* char *: "FILE:LINE: what is not kept" */
  CradleCertificate       *signer;    /* nullable */
} CradleProvisioningDocument;

/* cradle-provisioning-entry.c */
CradleProvisioningEntry *_cradle_provisioning_entry_new   (const char               *name,
                                                           guint                     line);
void      _cradle_provisioning_entry_free                 (CradleProvisioningEntry  *entry);
/* One line of type-file text (without its newline), from @line of the file. */
void      _cradle_provisioning_entry_add_line             (CradleProvisioningEntry  *entry,
                                                           const char               *text,
                                                           guint                     line);
/* "Key=value"; FALSE with an error naming @line when @value holds a line
 * break or another control character. */
gboolean  _cradle_provisioning_entry_add_key              (CradleProvisioningEntry  *entry,
                                                           const char               *source,
                                                           const char               *key,
                                                           const char               *value,
                                                           guint                     line,
                                                           GError                  **error) G_GNUC_WARN_UNUSED_RESULT;
/* The source the type-file parser is given for @entry's text: its errors
 * are then turned into the provisioning file's lines by _fix_error(). */
#define CRADLE_PROVISIONING_ENTRY_SOURCE "cradle-provisioning-entry"
/* Rewrites @error's "CRADLE_PROVISIONING_ENTRY_SOURCE:N: …" into
 * "SOURCE:LINE: type 'NAME': …". */
void      _cradle_provisioning_entry_fix_error            (CradleProvisioningEntry  *entry,
                                                           const char               *source,
                                                           GError                   *error);
/* Parses @entry's text as a type file: every rule of the type files. */
gboolean  _cradle_provisioning_entry_check                (CradleProvisioningEntry  *entry,
                                                           const char               *source,
                                                           GError                  **error) G_GNUC_WARN_UNUSED_RESULT;
/* A type name that is a plain file name (letters, digits, '-', '_', '.',
 * not starting with '.'), at most 64 bytes. */
/* Sets @error to CRADLE_ERROR_INVALID_DATA "SOURCE:LINE: what"; FALSE. */
gboolean  _cradle_provisioning_fail                       (const char               *source,
                                                           guint                     line,
                                                           GError                  **error,
                                                           const char               *format,
                                                           ...) G_GNUC_PRINTF (4, 5);
gboolean  _cradle_provisioning_check_name                 (const char               *source,
                                                           guint                     line,
                                                           const char               *name,
                                                           GError                  **error) G_GNUC_WARN_UNUSED_RESULT;
/* A second type of @name (any case) in @entries is an error naming both lines. */
gboolean  _cradle_provisioning_check_unique               (GPtrArray                *entries,
                                                           const char               *source,
                                                           const char               *name,
                                                           guint                     line,
                                                           GError                  **error) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleProvisioningEntry, _cradle_provisioning_entry_free)

/* cradle-provisioning-document.c */
void      _cradle_provisioning_document_clear             (CradleProvisioningDocument *document);
/* @data (at most CRADLE_PROVISIONING_MAX_SIZE) into @document: a signed
 * file is checked (its signer against @trust; with %NULL, the signature
 * alone, for the fuzz harness) and unwrapped, then read as the format its
 * first character says ('<': Windows, else Cradle's). */
gboolean  _cradle_provisioning_document_read              (CradleProvisioningDocument *document,
                                                           const char                 *source,
                                                           GBytes                     *data,
                                                           X509_STORE                 *trust,
                                                           GError                    **error) G_GNUC_WARN_UNUSED_RESULT;

/* cradle-provisioning-signature.c */
/* TRUE when @data looks like a CMS (PEM or DER) rather than a document. */
gboolean  _cradle_provisioning_is_signed                  (GBytes                   *data);
/* The document inside a CMS SignedData, its signature checked, and its
 * signer (@trust: nullable, see above). */
GBytes   *_cradle_provisioning_open_signed                (const char               *source,
                                                           GBytes                   *data,
                                                           X509_STORE               *trust,
                                                           CradleCertificate       **signer,
                                                           GError                  **error) G_GNUC_WARN_UNUSED_RESULT;

/* cradle-provisioning-windows.c */
gboolean  _cradle_provisioning_read_windows               (CradleProvisioningDocument *document,
                                                           const char                 *source,
                                                           GBytes                     *data,
                                                           GError                    **error) G_GNUC_WARN_UNUSED_RESULT;

/* cradle-provisioning-bundle.c: Cradle's own format */
gboolean  _cradle_provisioning_read_bundle                (CradleProvisioningDocument *document,
                                                           const char                 *source,
                                                           GBytes                     *data,
                                                           GError                    **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
