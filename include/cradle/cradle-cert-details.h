/* cradle-cert-details.h: one certificate on a device, in full
 *
 * What a person needs to know of a certificate the device holds: its
 * names (subject, every subject alternative name), what it is for
 * (extended key usages, key usage), who vouches for it (the issuer chain
 * built from the device's own stores, saying where it stops short), its
 * fingerprints, serial and validity, the template it came from, and where
 * its key came from.  Then: export it (PEM or DER), or remove it (the
 * device asks its user; removing a MY certificate retires its key).
 *
 * The certificate is the device's, so it is hostile: every text returned
 * here is already escaped with cradle_text_escape() (one line each), ready
 * for a terminal or a label; escaping again changes nothing.
 */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <gio/gio.h>
#include <cradle/cradle-macros.h>
#include <cradle/cradle-certificate.h>
#include <cradle/cradle-device.h>
#include <cradle/cradle-journal.h>

G_BEGIN_DECLS

/* How many subject alternative names are read; a certificate with more
 * says how many were left out (cradle_cert_details_get_sans_omitted()). */
#define CRADLE_CERT_DETAILS_MAX_NAMES 256

/**
 * CradleCertFormat:
 * @CRADLE_CERT_FORMAT_PEM: "-----BEGIN CERTIFICATE-----", base64 in lines of 64
 * @CRADLE_CERT_FORMAT_DER: the certificate's bytes exactly as the device holds them
 */
typedef enum {
  CRADLE_CERT_FORMAT_PEM,
  CRADLE_CERT_FORMAT_DER,
} CradleCertFormat;

#define CRADLE_TYPE_CERT_DETAILS (cradle_cert_details_get_type ())
CRADLE_PUBLIC
G_DECLARE_FINAL_TYPE (CradleCertDetails, cradle_cert_details, CRADLE, CERT_DETAILS, GObject)

/* @cert, one of @device_certs (all of LIST_CERTS, of CradleDeviceCert: the
 * stores the chain is built from).  Fails only when @cert's DER is not one
 * well-formed certificate; a malformed extension is shown as such. */
CRADLE_PUBLIC
CradleCertDetails *cradle_cert_details_new         (CradleDeviceCert  *cert,
                                                    GPtrArray         *device_certs,
                                                    GError           **error) G_GNUC_WARN_UNUSED_RESULT;
/* The one certificate of @device_certs that @query names: its serial (hex,
 * any case, colons allowed, leading zeros ignored) or a prefix of its
 * SHA-256 fingerprint (at least 4 hex digits).  CRADLE_ERROR_NOT_FOUND
 * when none does; CRADLE_ERROR_INVALID_DATA when several do (the message
 * lists them: give more digits). */
CRADLE_PUBLIC
CradleCertDetails *cradle_cert_details_find        (GPtrArray         *device_certs,
                                                    const char        *query,
                                                    GError           **error) G_GNUC_WARN_UNUSED_RESULT;

CRADLE_PUBLIC
CradleDeviceCert  *cradle_cert_details_get_device_cert (CradleCertDetails *self);
CRADLE_PUBLIC
CradleCertificate *cradle_cert_details_get_certificate (CradleCertDetails *self);
/* "MY", "CA", "Root"; "user" or "system" */
CRADLE_PUBLIC
const char        *cradle_cert_details_get_store   (CradleCertDetails *self);
CRADLE_PUBLIC
const char        *cradle_cert_details_get_scope   (CradleCertDetails *self);
CRADLE_PUBLIC
const char        *cradle_cert_details_get_subject (CradleCertDetails *self);
CRADLE_PUBLIC
const char        *cradle_cert_details_get_issuer  (CradleCertDetails *self);
/* Lower-case hex, as cradle_certificate_get_serial(). */
CRADLE_PUBLIC
const char        *cradle_cert_details_get_serial  (CradleCertDetails *self);
/* Lower-case hex of the DER's digest, no separators. */
CRADLE_PUBLIC
const char        *cradle_cert_details_get_sha1    (CradleCertDetails *self);
CRADLE_PUBLIC
const char        *cradle_cert_details_get_sha256  (CradleCertDetails *self);
CRADLE_PUBLIC
GDateTime         *cradle_cert_details_get_not_before (CradleCertDetails *self);
CRADLE_PUBLIC
GDateTime         *cradle_cert_details_get_not_after  (CradleCertDetails *self);
/* Each subject alternative name as "KIND:value": "DNS:", "email:",
 * "UPN:" (otherName 1.3.6.1.4.1.311.20.2.3), "URI:", "IP:" (IPv4 dotted,
 * IPv6 RFC 5952), "DirName:", "RID:", "otherName:OID" (other kinds of
 * otherName, value not shown); NULL-terminated, empty when none. */
CRADLE_PUBLIC
const char * const *cradle_cert_details_get_sans   (CradleCertDetails *self);
/* Names beyond CRADLE_CERT_DETAILS_MAX_NAMES, left out. */
CRADLE_PUBLIC
guint              cradle_cert_details_get_sans_omitted (CradleCertDetails *self);
/* Extended key usages: "Client Authentication (1.3.6.1.5.5.7.3.2)" for
 * the known ones, the dotted OID otherwise; empty when the certificate has
 * none (any use). */
CRADLE_PUBLIC
const char * const *cradle_cert_details_get_ekus   (CradleCertDetails *self);
/* Key usage bits by their RFC 5280 names ("digitalSignature", …); empty
 * when the certificate has no key usage extension. */
CRADLE_PUBLIC
const char * const *cradle_cert_details_get_key_usage (CradleCertDetails *self);
/* Whether its basicConstraints say it is a CA. */
CRADLE_PUBLIC
gboolean           cradle_cert_details_is_ca       (CradleCertDetails *self);
/* The template it names (1.3.6.1.4.1.311.21.7 / .20.2): the name when it
 * has one, else the OID; %NULL when none. */
CRADLE_PUBLIC
const char        *cradle_cert_details_get_template (CradleCertDetails *self);
/* Where its key came from (LIST_CERTS field 5): "generated" (made on the
 * device), "imported" (from a PFX/P12 file, not made on the device),
 * "none" (the device holds no key for it), "unknown" (an origin this host
 * does not know). */
CRADLE_PUBLIC
const char        *cradle_cert_details_get_key_origin (CradleCertDetails *self);
/* Its issuers as found in the device's stores, nearest first, each
 * verified by signature (element-type CradleCertDetails, without chains of
 * their own); the certificate itself is not in it. */
CRADLE_PUBLIC
GPtrArray         *cradle_cert_details_get_chain   (CradleCertDetails *self);
/* Whether the chain ends in a self-signed certificate. */
CRADLE_PUBLIC
gboolean           cradle_cert_details_chain_is_complete (CradleCertDetails *self);
/* When the chain is incomplete: why, for people ("The issuer 'CN=…' is not
 * on the device"); %NULL when complete. */
CRADLE_PUBLIC
const char        *cradle_cert_details_get_chain_problem (CradleCertDetails *self);
/* Problems met reading an extension (hostile or damaged certificates), for
 * people; empty when none. */
CRADLE_PUBLIC
const char * const *cradle_cert_details_get_problems (CradleCertDetails *self);

/* The certificate in @format: DER as the device holds it, or PEM. */
CRADLE_PUBLIC
GBytes            *cradle_cert_details_export      (CradleCertDetails *self,
                                                    CradleCertFormat   format);
/* The same, written to @path atomically (a temporary file renamed over
 * it), mode 0644. */
CRADLE_PUBLIC
gboolean           cradle_cert_details_export_to_file (CradleCertDetails *self,
                                                    CradleCertFormat   format,
                                                    const char        *path,
                                                    GError           **error) G_GNUC_WARN_UNUSED_RESULT;

/* Removes the certificate from @device (DELETE_CERT, asking the device's
 * user to confirm: its subject and SHA-256 shown, and for a MY certificate
 * with a key, that the key is retired for good).  CRADLE_ERROR_USER_DECLINED
 * when its user says no; nothing changed then.  A journal run of kind
 * "remove" when @journal is given. */
CRADLE_PUBLIC
gboolean           cradle_cert_details_remove      (CradleCertDetails *self,
                                                    CradleDevice      *device,
                                                    CradleJournal     *journal,
                                                    GCancellable      *cancellable,
                                                    GError           **error) G_GNUC_WARN_UNUSED_RESULT;
/* The same on a worker thread; "waiting" is emitted on the device while
 * its user is asked. */
CRADLE_PUBLIC
void               cradle_cert_details_remove_async  (CradleCertDetails  *self,
                                                      CradleDevice       *device,
                                                      CradleJournal      *journal,
                                                      GCancellable       *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer            user_data);
CRADLE_PUBLIC
gboolean           cradle_cert_details_remove_finish (CradleCertDetails  *self,
                                                      GAsyncResult       *result,
                                                      GError            **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
