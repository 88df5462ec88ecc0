/* cradle-cert-file-private.h: shared by CradleCertFile's files
 *
 * cradle-cert-file.c reads CER and P7B and gives each certificate its role;
 * cradle-cert-file-pkcs12.c reads PFX/P12; cradle-cert-file-install.c puts a
 * file on a device.
 */
#pragma once

#include <cradle/cradle.h>

G_BEGIN_DECLS

struct _CradleCertFile
{
  GObject parent_instance;

  /* Owned */
  char                 *name;
  CradleCertFileFormat  format;
  GPtrArray            *certificates;  /* CradleCertificate, end-entity first */
  GArray               *roles;         /* CradleCertRole, one per certificate */
  guint8               *key;           /* a PFX's PKCS#8 DER key, wiped when freed */
  gsize                 key_size;
  int                   key_certificate; /* index of the key's certificate, or -1 */
};

/* What a PFX holds: DER certificates, the key's first (or none when the
 * key matches none), and the key as PKCS#8 DER in wiped memory. */
typedef struct {
  GPtrArray *certificates;  /* GBytes */
  guint8    *key;           /* nullable */
  gsize      key_size;
  gboolean   key_matched;   /* certificates[0] is the key's */
} CradleCertFilePkcs12;

void     _cradle_cert_file_pkcs12_clear (CradleCertFilePkcs12 *contents);
/* Reads a DER PKCS#12 with @password, with OpenSSL's legacy provider loaded
 * in a library context of its own for this call only. */
gboolean _cradle_cert_file_read_pkcs12  (const char           *name,
                                         GBytes               *data,
                                         const char           *password,
                                         CradleCertFilePkcs12 *contents,
                                         GError              **error) G_GNUC_WARN_UNUSED_RESULT;
/* Wipes and frees a key buffer. */
void     _cradle_cert_file_wipe_free    (guint8               *data,
                                         gsize                 size);

G_END_DECLS
