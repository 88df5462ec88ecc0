/* cradle-certificate.h: what people and scripts need to know of a certificate */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <glib-object.h>
#include <cradle/cradle-macros.h>

G_BEGIN_DECLS

#define CRADLE_TYPE_CERTIFICATE (cradle_certificate_get_type ())
CRADLE_PUBLIC
G_DECLARE_FINAL_TYPE (CradleCertificate, cradle_certificate, CRADLE, CERTIFICATE, GObject)

CRADLE_PUBLIC
CradleCertificate *cradle_certificate_new_from_der   (GBytes            *der,
                                                      GError           **error) G_GNUC_WARN_UNUSED_RESULT;
CRADLE_PUBLIC
GBytes            *cradle_certificate_get_der        (CradleCertificate *self);
CRADLE_PUBLIC
const char        *cradle_certificate_get_subject    (CradleCertificate *self);
CRADLE_PUBLIC
const char        *cradle_certificate_get_issuer     (CradleCertificate *self);
CRADLE_PUBLIC
const char        *cradle_certificate_get_serial     (CradleCertificate *self);
CRADLE_PUBLIC
GDateTime         *cradle_certificate_get_not_after  (CradleCertificate *self);
CRADLE_PUBLIC
const char        *cradle_certificate_get_sha256     (CradleCertificate *self);

G_END_DECLS
