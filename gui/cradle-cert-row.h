/* cradle-cert-row.h: a certificate on the device, and when it expires */
#pragma once

#include <adwaita.h>
#include <cradle/cradle.h>

G_BEGIN_DECLS

#define CRADLE_TYPE_CERT_ROW (cradle_cert_row_get_type ())
G_DECLARE_FINAL_TYPE (CradleCertRow, cradle_cert_row, CRADLE, CERT_ROW, AdwActionRow)

/* NULL when the device's bytes are not a certificate.  Activating the row
 * or its Details button runs win.cert-details with its SHA-256 (hex). */
GtkWidget *cradle_cert_row_new            (CradleDeviceCert *cert);
/* "Expires on 21 November 2027", "Expired on …", "Expires in 3 days": for
 * a certificate ending at @not_after, seen at @now. */
char      *cradle_cert_row_describe_expiry (GDateTime       *not_after,
                                            GDateTime       *now);
/* The status checks' word on it: a badge (valid, renew soon, expired,
 * revoked, unknown) with why in its tooltip; Renew on a personal
 * certificate whose key the device holds, from a type Cradle knows; Remove
 * on a revoked or expired one.  The buttons run win.renew and
 * win.remove-cert with the certificate's SHA-256 (hex). */
void       cradle_cert_row_set_status     (CradleCertRow    *self,
                                           CradleCertStatus *status);
/* (nullable) */
CradleCertStatus *cradle_cert_row_get_status (CradleCertRow *self);
/* The certificate's SHA-256, hex, lowercase. */
const char *cradle_cert_row_get_sha256    (CradleCertRow    *self);
const char *cradle_cert_row_get_store     (CradleCertRow    *self);
CradleDeviceCert *cradle_cert_row_get_device_cert (CradleCertRow *self);
/* "Personal", "Intermediate (system)", "Trusted root": a store's name for people. */
const char *cradle_cert_row_store_name    (const char       *store,
                                           const char       *scope);
/* "Valid", "Renew Soon", …: the badge's word for @verdict. */
const char *cradle_cert_row_verdict_label (CradleCertVerdict verdict);
/* The subject's last CN (OpenSSL's one-line form), else the whole subject. */
char      *cradle_cert_row_dup_common_name (const char  *subject);
/* Sorts rows: personal certificates first, then by expiry. */
int        cradle_cert_row_compare        (CradleCertRow    *a,
                                           CradleCertRow    *b);

G_END_DECLS
