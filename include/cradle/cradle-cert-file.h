/* cradle-cert-file.h: certificate files (PFX/P12, CER, P7B) onto a device */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <gio/gio.h>
#include <cradle/cradle-macros.h>
#include <cradle/cradle-certificate.h>
#include <cradle/cradle-device.h>
#include <cradle/cradle-pending-store.h>

G_BEGIN_DECLS

/* The largest certificate file read: far above any real PFX or P7B. */
#define CRADLE_CERT_FILE_MAX_SIZE (1024 * 1024)
/* The most certificates one file may hold. */
#define CRADLE_CERT_FILE_MAX_CERTIFICATES 64

/**
 * CradleCertFileFormat:
 * @CRADLE_CERT_FILE_PFX: PKCS#12 (.pfx, .p12): a private key, its
 *   certificate and its chain, under a password
 * @CRADLE_CERT_FILE_CER: one certificate (.cer, .crt), PEM or DER
 * @CRADLE_CERT_FILE_P7B: PKCS#7 certificates (.p7b, .p7c), PEM or DER
 *
 * Told by the contents, never by the file name.
 */
typedef enum {
  CRADLE_CERT_FILE_PFX = 1,
  CRADLE_CERT_FILE_CER = 2,
  CRADLE_CERT_FILE_P7B = 3,
} CradleCertFileFormat;

/**
 * CradleCertRole:
 * @CRADLE_CERT_ROLE_ROOT: self-signed: goes to Root; the device's user
 *   confirms it, seeing its SHA-256
 * @CRADLE_CERT_ROLE_CA: a CA certificate (basicConstraints cA) not
 *   self-signed: goes to CA
 * @CRADLE_CERT_ROLE_END_ENTITY: goes to MY, bound to its key on the device:
 *   the PFX's own key, imported, or a key the device made for a request of
 *   this host still waiting for its certificate
 *
 * Where a certificate of a file goes, by what it is.
 */
typedef enum {
  CRADLE_CERT_ROLE_ROOT = 1,
  CRADLE_CERT_ROLE_CA = 2,
  CRADLE_CERT_ROLE_END_ENTITY = 3,
} CradleCertRole;

/* "Root", "CA" or "MY". */
CRADLE_PUBLIC
const char *cradle_cert_role_to_store (CradleCertRole role);
/* "pfx", "cer" or "p7b". */
CRADLE_PUBLIC
const char *cradle_cert_file_format_to_string (CradleCertFileFormat format);

/* Wipes, then frees, a password read for a PFX (nullable). */
CRADLE_PUBLIC
void        cradle_cert_file_free_password (char *password);

#define CRADLE_TYPE_CERT_FILE (cradle_cert_file_get_type ())
CRADLE_PUBLIC
G_DECLARE_FINAL_TYPE (CradleCertFile, cradle_cert_file, CRADLE, CERT_FILE, GObject)

/* Reads @path whole, refusing anything but a regular file of at most
 * CRADLE_CERT_FILE_MAX_SIZE bytes. */
CRADLE_PUBLIC
GBytes         *cradle_cert_file_load            (const char      *path,
                                                  GError         **error) G_GNUC_WARN_UNUSED_RESULT;
/* Whether @data is a PKCS#12 file, which needs its password to be read. */
CRADLE_PUBLIC
gboolean        cradle_cert_file_needs_password  (GBytes          *data);
/**
 * cradle_cert_file_new:
 * @name: the file's name, for messages
 * @data: its contents (cradle_cert_file_load())
 * @password: (nullable): a PFX's password; not kept (the caller wipes it)
 *
 * Reads a PFX/P12 (PBES2, or legacy RC2/3DES encryption through OpenSSL's
 * legacy provider, loaded for this file only), a CER (PEM or DER) or a P7B
 * (PEM or DER), and gives each certificate its role. A PFX's key is kept in
 * wiped memory until cradle_cert_file_install() or
 * cradle_cert_file_clear_key(). Errors are for people: a wrong password
 * (CRADLE_ERROR_AUTH_FAILED), a PFX without a key or whose key does not match
 * its certificate, a damaged file (CRADLE_ERROR_INVALID_DATA), a key or
 * encryption this build cannot use (CRADLE_ERROR_NOT_SUPPORTED).
 */
CRADLE_PUBLIC
CradleCertFile *cradle_cert_file_new             (const char      *name,
                                                  GBytes          *data,
                                                  const char      *password,
                                                  GError         **error) G_GNUC_WARN_UNUSED_RESULT;

CRADLE_PUBLIC
const char     *cradle_cert_file_get_name        (CradleCertFile  *self);
CRADLE_PUBLIC
CradleCertFileFormat cradle_cert_file_get_format (CradleCertFile  *self);
/* Whether the file carries a private key (a PFX) still held. */
CRADLE_PUBLIC
gboolean        cradle_cert_file_has_key         (CradleCertFile  *self);
/* Returns: (element-type CradleCertificate) (transfer none): the
 * certificates, end-entity first, then CAs, then roots. */
CRADLE_PUBLIC
GPtrArray      *cradle_cert_file_get_certificates (CradleCertFile *self);
CRADLE_PUBLIC
CradleCertRole  cradle_cert_file_get_role        (CradleCertFile  *self,
                                                  guint            index);
/* Wipes the PFX's key from memory now. */
CRADLE_PUBLIC
void            cradle_cert_file_clear_key       (CradleCertFile  *self);

/**
 * cradle_cert_file_install:
 * @device: an opened, paired #CradleDevice
 * @pending: (nullable): this host's pending store, where a key the device
 *   made for a request still waiting for its certificate is found for an
 *   end-entity certificate without a key in the file
 * @added: (out) (optional): certificates newly added
 *
 * Installs the file on the device in one atomic INSTALL (all user stores):
 * a PFX's key first goes to the device with IMPORT_KEY (the device's user
 * confirms, and the key is wiped here); a root not trusted yet is confirmed
 * on the device. On any failure, a declined root included, nothing of the
 * file stays on the device (an imported key is deleted again). An
 * end-entity certificate without its key is refused before anything is sent.
 * Blocks; the device's "waiting" signal tells what it asks its user.
 */
CRADLE_PUBLIC
gboolean        cradle_cert_file_install         (CradleCertFile     *self,
                                                  CradleDevice       *device,
                                                  CradlePendingStore *pending,
                                                  guint              *added,
                                                  GCancellable       *cancellable,
                                                  GError            **error) G_GNUC_WARN_UNUSED_RESULT;
/* The same in a worker thread. */
CRADLE_PUBLIC
void            cradle_cert_file_install_async   (CradleCertFile     *self,
                                                  CradleDevice       *device,
                                                  CradlePendingStore *pending,
                                                  GCancellable       *cancellable,
                                                  GAsyncReadyCallback callback,
                                                  gpointer            user_data);
CRADLE_PUBLIC
gboolean        cradle_cert_file_install_finish  (CradleCertFile     *self,
                                                  GAsyncResult       *result,
                                                  guint              *added,
                                                  GError            **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
