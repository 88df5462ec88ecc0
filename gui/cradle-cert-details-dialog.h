/* cradle-cert-details-dialog.h: one certificate of the device, in full, with Export and Remove */
#pragma once

#include <adwaita.h>
#include <cradle/cradle.h>

G_BEGIN_DECLS

#define CRADLE_TYPE_CERT_DETAILS_DIALOG (cradle_cert_details_dialog_get_type ())
G_DECLARE_FINAL_TYPE (CradleCertDetailsDialog, cradle_cert_details_dialog, CRADLE, CERT_DETAILS_DIALOG, AdwWindow)

/* Shows @details: subject, names, purposes, issuer chain, fingerprints,
 * validity, template and where the key came from.  Export… writes it as
 * PEM or DER itself; Remove… emits "remove" for the window, which asks
 * first and then the device. */
CradleCertDetailsDialog *cradle_cert_details_dialog_new         (GtkWindow               *parent,
                                                                 CradleCertDetails       *details);
CradleCertDetails       *cradle_cert_details_dialog_get_details (CradleCertDetailsDialog *self);
/* While the device is asked to remove it: Remove… and Export… wait. */
void                     cradle_cert_details_dialog_set_busy    (CradleCertDetailsDialog *self,
                                                                 gboolean                 busy);
/* A line of text over the dialog (a toast), plain text. */
void                     cradle_cert_details_dialog_toast       (CradleCertDetailsDialog *self,
                                                                 const char              *text);
/* "Made on the device", "Imported from a file: not made on the device", …
 * for a key origin of cradle_cert_details_get_key_origin(). */
const char              *cradle_cert_details_dialog_describe_origin (const char          *origin);
/* "5A:3F:…": @hex (lower-case, no separators) in pairs, upper-case. */
char                    *cradle_cert_details_dialog_format_fingerprint (const char       *hex);

G_END_DECLS
