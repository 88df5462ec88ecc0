/* cradle-request-policy.h: the certificate request a template calls for
 *
 * From a template and the user's entry: the key the device must make, the
 * subject and alternative names, the extensions and attributes that name the
 * template, as MS-WCCE and Windows clients write them.
 */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <glib-object.h>
#include <cradle/cradle-macros.h>
#include <cradle/cradle-directory-user.h>
#include <cradle/cradle-template.h>

G_BEGIN_DECLS

typedef enum {
  CRADLE_SUBJECT_FROM_DIRECTORY,  /* the request's subject is empty; the CA builds it from AD */
  CRADLE_SUBJECT_SUPPLIED,        /* the request carries the subject */
} CradleSubjectMode;

#define CRADLE_TYPE_REQUEST_POLICY (cradle_request_policy_get_type ())
CRADLE_PUBLIC
G_DECLARE_FINAL_TYPE (CradleRequestPolicy, cradle_request_policy, CRADLE, REQUEST_POLICY, GObject)

/* @subject: (nullable): an RFC 4514 subject the user typed, used only when
 * the template lets the enrollee supply it. Fails with
 * CRADLE_ERROR_NOT_SUPPORTED when no Cradle device can make the key the
 * template demands, or the request is one Cradle cannot make. */
CRADLE_PUBLIC
CradleRequestPolicy *cradle_request_policy_new (CradleTemplate       *template,
                                                CradleDirectoryUser  *user,
                                                const char           *subject,
                                                GError              **error) G_GNUC_WARN_UNUSED_RESULT;

CRADLE_PUBLIC
const char         *cradle_request_policy_get_template_name   (CradleRequestPolicy *self);
/* "RSA" or "EC" */
CRADLE_PUBLIC
const char         *cradle_request_policy_get_key_algorithm   (CradleRequestPolicy *self);
/* Bits of the RSA modulus, or the curve's size. */
CRADLE_PUBLIC
guint               cradle_request_policy_get_key_size        (CradleRequestPolicy *self);
/* The bridge's key type: "rsa2048", "rsa3072", "rsa4096", "p256", "p384". */
CRADLE_PUBLIC
const char         *cradle_request_policy_get_device_key_type (CradleRequestPolicy *self);
/* The bridge's digest: "sha256", "sha384" or "sha512". */
CRADLE_PUBLIC
const char         *cradle_request_policy_get_digest          (CradleRequestPolicy *self);
CRADLE_PUBLIC
CradleSubjectMode   cradle_request_policy_get_subject_mode    (CradleRequestPolicy *self);
/* RFC 4514, as it was given; %NULL when the subject comes from the
 * directory, or is the one commonName below. */
CRADLE_PUBLIC
const char         *cradle_request_policy_get_subject         (CradleRequestPolicy *self);
/* The value of the subject's one commonName, taken as it is (never parsed
 * as a name): the user's cn or the device's serial when nothing was typed;
 * %NULL otherwise. */
CRADLE_PUBLIC
const char         *cradle_request_policy_get_common_name     (CradleRequestPolicy *self);
/* Alternative names the request carries (they come from the directory
 * otherwise); %NULL when none. */
CRADLE_PUBLIC
const char         *cradle_request_policy_get_san_upn         (CradleRequestPolicy *self);
CRADLE_PUBLIC
const char         *cradle_request_policy_get_san_email       (CradleRequestPolicy *self);
/* As cradle_template_get_key_usage(). */
CRADLE_PUBLIC
guint               cradle_request_policy_get_key_usage       (CradleRequestPolicy *self);
CRADLE_PUBLIC
const char * const *cradle_request_policy_get_extended_key_usages (CradleRequestPolicy *self);
CRADLE_PUBLIC
gboolean            cradle_request_policy_get_requires_approval (CradleRequestPolicy *self);
/* "CertificateTemplate:<cn>", for connectors that carry request attributes. */
CRADLE_PUBLIC
const char         *cradle_request_policy_get_request_attributes (CradleRequestPolicy *self);

/* The DER CertificationRequestInfo for @public_key_info (a DER
 * SubjectPublicKeyInfo the device made), ready for the device to sign. */
CRADLE_PUBLIC
GBytes             *cradle_request_policy_build_request_info  (CradleRequestPolicy  *self,
                                                               GBytes               *public_key_info,
                                                               GError              **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
