/* cradle-provisioning.h: certificate types handed out in files
 *
 * An administrator exports a set of types to one file and another computer
 * imports it.  Two formats:
 *
 * - Cradle's own (CRADLE_PROVISIONING_FORMAT_CRADLE): a key file whose
 *   first group says what it is, followed by the types' files verbatim,
 *   each read by the one strict parser of type files:
 *
 *     [Cradle Provisioning]
 *     Version=1
 *
 *     [Cradle Certificate Type]
 *     Name=wifi
 *     Protocol=scep
 *     …
 *
 *     [Cradle Certificate Type]
 *     Name=vpn
 *     …
 *
 * - Windows Mobile's Certificate Enroller Configuration Service Provider
 *   (CRADLE_PROVISIONING_FORMAT_WINDOWS), as WMDC's administrators wrote it:
 *
 *     <wap-provisioningdoc>
 *       <characteristic type="CertificateEnroller">
 *         <characteristic type="Configuration">
 *           <characteristic type="CRADLE_VPN">
 *             <parm name="ServerName" value="ca01.corp.example"/>
 *             <parm name="Template" value="CorpMobileVPN"/>
 *             <parm name="NoSSL" value="0" datatype="boolean"/>
 *           </characteristic>
 *     …
 *
 *   Each Configuration child is a certsrv type: Name = the characteristic's
 *   type, URL = https://ServerName/certsrv, Template = Template; NoSSL=1
 *   is refused (the desktop's Kerberos sign-in never crosses plain HTTP).
 *   ServerPickupPage is read and reported as not kept (Cradle fetches the
 *   chain itself); Operation (Enroll, RenewOperation) is reported and
 *   skipped, its Username and Password never read.  Any other parm or
 *   characteristic is an error naming its line.
 *
 * Either may be signed: a CMS SignedData (PEM "-----BEGIN CMS-----" or DER)
 * that holds the document (enveloping).  Its signature is checked, and its
 * signer's certificate must chain to a root this computer trusts: the
 * system's trust store and cradle.conf's [Enrollment] TrustAnchors.  A file
 * that fails either check is refused.
 *
 * Reading is bounded and strict: at most CRADLE_PROVISIONING_MAX_SIZE
 * bytes, no document type declaration (so no entity of any kind), no
 * network, nothing Cradle does not know, no two types of one name, names
 * that are plain file names.  Errors are CRADLE_ERROR_INVALID_DATA
 * "FILE:LINE: what is wrong".  Nothing is written until
 * cradle_provisioning_apply().
 */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <gio/gio.h>
#include <cradle/cradle-macros.h>
#include <cradle/cradle-certificate.h>
#include <cradle/cradle-type-draft.h>
#include <cradle/cradle-type-store.h>

G_BEGIN_DECLS

/* No provisioning file is read when larger than this. */
#define CRADLE_PROVISIONING_MAX_SIZE (1024 * 1024)
/* Nor when it holds more types than this. */
#define CRADLE_PROVISIONING_MAX_TYPES 256
/* Cradle's format: the version this Cradle writes and reads. */
#define CRADLE_PROVISIONING_VERSION 1

typedef enum {
  CRADLE_PROVISIONING_FORMAT_CRADLE,
  CRADLE_PROVISIONING_FORMAT_WINDOWS,
} CradleProvisioningFormat;

/* "cradle" or "windows" */
CRADLE_PUBLIC
const char *cradle_provisioning_format_to_string   (CradleProvisioningFormat  format);
CRADLE_PUBLIC
gboolean    cradle_provisioning_format_from_string (const char               *text,
                                                    CradleProvisioningFormat *format);

#define CRADLE_TYPE_PROVISIONING (cradle_provisioning_get_type ())
CRADLE_PUBLIC
G_DECLARE_FINAL_TYPE (CradleProvisioning, cradle_provisioning, CRADLE, PROVISIONING, GObject)

/* Reads @path (bounded), checks its signature if it has one, and parses
 * it into drafts. */
CRADLE_PUBLIC
CradleProvisioning *cradle_provisioning_new_from_file  (const char          *path,
                                                        GError             **error) G_GNUC_WARN_UNUSED_RESULT;
/* The same for bytes; @source names them in messages. */
CRADLE_PUBLIC
CradleProvisioning *cradle_provisioning_new_from_bytes (const char          *source,
                                                        GBytes              *data,
                                                        GError             **error) G_GNUC_WARN_UNUSED_RESULT;

CRADLE_PUBLIC
CradleProvisioningFormat cradle_provisioning_get_format (CradleProvisioning *self);
/* (element-type CradleTypeDraft): the types, in the file's order. */
CRADLE_PUBLIC
GPtrArray          *cradle_provisioning_get_drafts     (CradleProvisioning  *self);
/* What the file says that Cradle does not keep, one sentence each
 * ("FILE:LINE: …"), for people; never a secret.  %NULL-terminated. */
CRADLE_PUBLIC
const char * const *cradle_provisioning_get_notes      (CradleProvisioning  *self);
/* (nullable): who signed the file, checked against the trusted roots;
 * %NULL when the file is not signed.  Its subject and SHA-256 come from
 * the file: escape them (cradle_text_escape()) before showing them. */
CRADLE_PUBLIC
CradleCertificate  *cradle_provisioning_get_signer     (CradleProvisioning  *self);

/* ---- the plan: what an import would do -------------------------------- */

typedef enum {
  CRADLE_PROVISIONING_ACTION_NEW,        /* no type of that name in the scope */
  CRADLE_PROVISIONING_ACTION_CHANGED,    /* one, with other values */
  CRADLE_PROVISIONING_ACTION_UNCHANGED,  /* one, with the same values */
} CradleProvisioningAction;

/* "new", "changed", "unchanged" */
CRADLE_PUBLIC
const char *cradle_provisioning_action_to_string (CradleProvisioningAction action);

#define CRADLE_TYPE_PROVISIONING_STEP (cradle_provisioning_step_get_type ())
typedef struct {
  char                    *name;
  CradleProvisioningAction action;
  /* CHANGED: the draft properties whose values differ ("url", …),
   * %NULL-terminated; empty otherwise. */
  char                   **fields;
  /* (nullable): the file of the type it replaces */
  char                    *replaces;
  CradleTypeDraft         *draft;
} CradleProvisioningStep;

CRADLE_PUBLIC
GType                   cradle_provisioning_step_get_type (void) G_GNUC_CONST;
CRADLE_PUBLIC
CradleProvisioningStep *cradle_provisioning_step_copy     (const CradleProvisioningStep *step);
CRADLE_PUBLIC
void                    cradle_provisioning_step_free     (CradleProvisioningStep       *step);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleProvisioningStep, cradle_provisioning_step_free)

/* One step per type of the file, in its order, compared with the types
 * saved in @scope.  Writes nothing.
 * Returns: (element-type CradleProvisioningStep) */
CRADLE_PUBLIC
GPtrArray          *cradle_provisioning_plan           (CradleProvisioning  *self,
                                                        CradleTypeScope      scope,
                                                        GError             **error) G_GNUC_WARN_UNUSED_RESULT;
/* Saves the NEW and CHANGED types of @plan in @scope (the store's rules:
 * the system scope asks for authorisation).  Every draft was checked when
 * the file was read, so a failure here is the store's (permission, disk);
 * @n_saved (optional) says how many were saved before it. */
CRADLE_PUBLIC
gboolean            cradle_provisioning_apply          (GPtrArray           *plan,
                                                        CradleTypeScope      scope,
                                                        guint               *n_saved,
                                                        GError             **error) G_GNUC_WARN_UNUSED_RESULT;

/* ---- writing ----------------------------------------------------------- */

/* @drafts (element-type CradleTypeDraft) as a document of @format.  What
 * the format has no place for is left out and said in @notes (optional,
 * (out) (element-type utf8)); a type the format cannot hold at all (a
 * Windows file holds certsrv types at https://HOST[:PORT]/certsrv only) is
 * CRADLE_ERROR_NOT_SUPPORTED.  A type's SCEP challenge is never written. */
CRADLE_PUBLIC
GBytes             *cradle_provisioning_export         (GPtrArray                *drafts,
                                                        CradleProvisioningFormat  format,
                                                        GPtrArray               **notes,
                                                        GError                  **error) G_GNUC_WARN_UNUSED_RESULT;
/* @document wrapped in a CMS SignedData (PEM), signed with the key in
 * @key_file (PEM, not encrypted) for the certificate in @certificate_file
 * (PEM; further certificates in it travel along as its chain). */
CRADLE_PUBLIC
GBytes             *cradle_provisioning_sign           (GBytes                   *document,
                                                        const char               *certificate_file,
                                                        const char               *key_file,
                                                        GError                  **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
