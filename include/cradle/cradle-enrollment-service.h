/* cradle-enrollment-service.h: an enterprise CA as the directory lists it */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <glib-object.h>
#include <cradle/cradle-macros.h>
#include <cradle/cradle-certificate.h>

G_BEGIN_DECLS

/* How an enrollment web service authenticates its clients
 * (X509EnrollmentAuthFlags, as msPKI-Enrollment-Servers stores them). */
typedef enum {
  CRADLE_ENDPOINT_AUTH_ANONYMOUS   = 1 << 0,
  CRADLE_ENDPOINT_AUTH_KERBEROS    = 1 << 1,
  CRADLE_ENDPOINT_AUTH_PASSWORD    = 1 << 2,
  CRADLE_ENDPOINT_AUTH_CERTIFICATE = 1 << 3,
} CradleEndpointAuth;

#define CRADLE_TYPE_ENROLLMENT_SERVICE (cradle_enrollment_service_get_type ())
CRADLE_PUBLIC
G_DECLARE_FINAL_TYPE (CradleEnrollmentService, cradle_enrollment_service, CRADLE, ENROLLMENT_SERVICE, GObject)

/* The CA's name (cn); with the host it makes the config string host\name. */
CRADLE_PUBLIC
const char         *cradle_enrollment_service_get_name          (CradleEnrollmentService *self);
CRADLE_PUBLIC
const char         *cradle_enrollment_service_get_display_name  (CradleEnrollmentService *self);
CRADLE_PUBLIC
const char         *cradle_enrollment_service_get_host          (CradleEnrollmentService *self);
/* The CA's own certificate, or %NULL when the directory has none. */
CRADLE_PUBLIC
CradleCertificate  *cradle_enrollment_service_get_certificate   (CradleEnrollmentService *self);
/* certificateTemplates: the cn of every template it issues. */
CRADLE_PUBLIC
const char * const *cradle_enrollment_service_get_template_names (CradleEnrollmentService *self);
CRADLE_PUBLIC
gboolean            cradle_enrollment_service_publishes         (CradleEnrollmentService *self,
                                                                 const char              *template_name);
CRADLE_PUBLIC
guint32             cradle_enrollment_service_get_flags         (CradleEnrollmentService *self);

/* Its enrollment web services (msPKI-Enrollment-Servers), most preferred
 * first; values the directory holds malformed are left out. */
CRADLE_PUBLIC
guint               cradle_enrollment_service_get_n_endpoints   (CradleEnrollmentService *self);
CRADLE_PUBLIC
const char         *cradle_enrollment_service_get_endpoint_uri  (CradleEnrollmentService *self,
                                                                 guint                    index);
CRADLE_PUBLIC
CradleEndpointAuth  cradle_enrollment_service_get_endpoint_auth (CradleEnrollmentService *self,
                                                                 guint                    index);
CRADLE_PUBLIC
guint               cradle_enrollment_service_get_endpoint_priority (CradleEnrollmentService *self,
                                                                 guint                    index);
CRADLE_PUBLIC
gboolean            cradle_enrollment_service_get_endpoint_renewal_only (CradleEnrollmentService *self,
                                                                 guint                    index);

G_END_DECLS
