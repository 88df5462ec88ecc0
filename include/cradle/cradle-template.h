/* cradle-template.h: a certificate template as AD CS publishes it */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <glib-object.h>
#include <cradle/cradle-macros.h>

G_BEGIN_DECLS

/* msPKI-Enrollment-Flag bits the client acts on (MS-CRTD 2.26) */
#define CRADLE_TEMPLATE_PEND_ALL_REQUESTS           0x00000002u
/* msPKI-Certificate-Name-Flag bits (MS-CRTD 2.28) */
#define CRADLE_TEMPLATE_ENROLLEE_SUPPLIES_SUBJECT   0x00000001u
#define CRADLE_TEMPLATE_ENROLLEE_SUPPLIES_ALT_NAME  0x00010000u
#define CRADLE_TEMPLATE_ALT_REQUIRE_DOMAIN_DNS      0x00400000u
#define CRADLE_TEMPLATE_ALT_REQUIRE_SPN             0x00800000u
#define CRADLE_TEMPLATE_ALT_REQUIRE_DIRECTORY_GUID  0x01000000u
#define CRADLE_TEMPLATE_ALT_REQUIRE_UPN             0x02000000u
#define CRADLE_TEMPLATE_ALT_REQUIRE_EMAIL           0x04000000u
#define CRADLE_TEMPLATE_ALT_REQUIRE_DNS             0x08000000u
#define CRADLE_TEMPLATE_SUBJECT_REQUIRE_DNS_AS_CN   0x10000000u
#define CRADLE_TEMPLATE_SUBJECT_REQUIRE_EMAIL       0x20000000u
#define CRADLE_TEMPLATE_SUBJECT_REQUIRE_COMMON_NAME 0x40000000u
#define CRADLE_TEMPLATE_SUBJECT_REQUIRE_DIRECTORY_PATH 0x80000000u
/* flags (general) */
#define CRADLE_TEMPLATE_FLAG_MACHINE_TYPE           0x00000040u
#define CRADLE_TEMPLATE_FLAG_IS_CA                  0x00000080u

#define CRADLE_TYPE_TEMPLATE (cradle_template_get_type ())
CRADLE_PUBLIC
G_DECLARE_FINAL_TYPE (CradleTemplate, cradle_template, CRADLE, TEMPLATE, GObject)

/* The cn: the name the CA matches. */
CRADLE_PUBLIC
const char         *cradle_template_get_name                (CradleTemplate *self);
CRADLE_PUBLIC
const char         *cradle_template_get_display_name        (CradleTemplate *self);
CRADLE_PUBLIC
const char         *cradle_template_get_dn                  (CradleTemplate *self);
/* msPKI-Cert-Template-OID, or %NULL on a version 1 template without one. */
CRADLE_PUBLIC
const char         *cradle_template_get_oid                 (CradleTemplate *self);
/* 1 to 4 */
CRADLE_PUBLIC
guint               cradle_template_get_schema_version      (CradleTemplate *self);
CRADLE_PUBLIC
guint               cradle_template_get_major_revision      (CradleTemplate *self);
CRADLE_PUBLIC
guint               cradle_template_get_minor_revision      (CradleTemplate *self);
CRADLE_PUBLIC
guint32             cradle_template_get_flags               (CradleTemplate *self);
CRADLE_PUBLIC
guint32             cradle_template_get_enrollment_flags    (CradleTemplate *self);
CRADLE_PUBLIC
guint32             cradle_template_get_name_flags          (CradleTemplate *self);
CRADLE_PUBLIC
guint32             cradle_template_get_private_key_flags   (CradleTemplate *self);
/* msPKI-Minimal-Key-Size: bits, or the curve's size on an ECC template; 0 if unset. */
CRADLE_PUBLIC
guint               cradle_template_get_minimal_key_size    (CradleTemplate *self);
/* How many enrollment-agent signatures a request needs (msPKI-RA-Signature). */
CRADLE_PUBLIC
guint               cradle_template_get_ra_signatures       (CradleTemplate *self);
/* pKIKeyUsage: the KeyUsage bit string's first byte in bits 0-7 (0x80 is
 * digitalSignature), its second byte in bits 8-15 (0x8000 decipherOnly). */
CRADLE_PUBLIC
guint               cradle_template_get_key_usage           (CradleTemplate *self);
/* pKIExtendedKeyUsage */
CRADLE_PUBLIC
const char * const *cradle_template_get_extended_key_usages (CradleTemplate *self);
/* msPKI-Certificate-Application-Policy (version 2 and later) */
CRADLE_PUBLIC
const char * const *cradle_template_get_application_policies (CradleTemplate *self);
CRADLE_PUBLIC
const char * const *cradle_template_get_critical_extensions (CradleTemplate *self);
/* The CNG key algorithm of a version 3 or 4 template ("RSA", "ECDSA_P256",
 * "ECDH_P384"...), %NULL when it names none. */
CRADLE_PUBLIC
const char         *cradle_template_get_cng_algorithm       (CradleTemplate *self);
/* The CNG hash ("SHA256"...), %NULL when it names none. */
CRADLE_PUBLIC
const char         *cradle_template_get_cng_hash            (CradleTemplate *self);
/* Validity and renewal overlap, in seconds; 0 if unset. */
CRADLE_PUBLIC
guint64             cradle_template_get_validity_seconds    (CradleTemplate *self);
CRADLE_PUBLIC
guint64             cradle_template_get_renewal_seconds     (CradleTemplate *self);

G_END_DECLS
