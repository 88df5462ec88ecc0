/* cradle-cert-row.h: a certificate on the device, and when it expires */
#pragma once

#include <adwaita.h>
#include <cradle/cradle.h>

G_BEGIN_DECLS

#define CRADLE_TYPE_CERT_ROW (cradle_cert_row_get_type ())
G_DECLARE_FINAL_TYPE (CradleCertRow, cradle_cert_row, CRADLE, CERT_ROW, AdwActionRow)

/* NULL when the device's bytes are not a certificate. */
GtkWidget *cradle_cert_row_new            (CradleDeviceCert *cert);
/* "Expires on 21 November 2027", "Expired on …", "Expires in 3 days": for
 * a certificate ending at @not_after, seen at @now. */
char      *cradle_cert_row_describe_expiry (GDateTime       *not_after,
                                            GDateTime       *now);
/* Sorts rows: personal certificates first, then by expiry. */
int        cradle_cert_row_compare        (CradleCertRow    *a,
                                           CradleCertRow    *b);

G_END_DECLS
