/* cradle-type-draft.h: an administrator's certificate type being written, field by field
 *
 * What the app's "Custom Certificate Types" window and `cradlectl types
 * add|edit` fill in: one property per key of a type file (see
 * cradle-cert-type.h for the file), each GUI-bindable and notified.  A
 * draft is checked with the very rules the type-file parser applies
 * (cradle-cert-type-file.c is their one source of truth), so a draft that
 * validates is a file that loads.
 *
 * The SCEP challenge is never a property: cradle_type_store_save() takes
 * it and keeps it in a 0600 file beside the type; "challenge-file" says
 * where (read-only).
 *
 * Properties (all strings nullable; %NULL or "" leaves the key out):
 *   "name"            Name            letters, digits, '-', '_', '.'
 *   "display-name"    DisplayName
 *   "protocol"        Protocol        "certsrv" (default) | "wstep" | "scep" | "est"
 *   "url"             URL
 *   "policy-url"      PolicyURL       wstep only
 *   "template"        Template
 *   "label"           Label           est only
 *   "key-type"        KeyType         rsa2048 | rsa3072 | rsa4096 | p256 | p384
 *   "subject"         Subject         RFC 4514
 *   "auth"            Auth            "kerberos" | "password" | "none"; %NULL: the
 *                                     protocol's default (none for SCEP, else kerberos)
 *   "trust-anchors"   TrustAnchors    an absolute path to a PEM file
 *   "ca-fingerprint"  CAFingerprint   scep only: SHA-256, as OpenSSL prints it
 *   "piv-slot"        PivSlot         9a | 9c | 9d | 9e | 82..95 (PIV tokens)
 *   "attestation"     Attestation     check (default) | require | include
 *   "require-tls"     !AllowPlainHttp boolean, default TRUE
 *   "timeout"         Timeout         uint seconds, 0 = the connector's default
 *   "renew-at"        RenewAt         uint percent, 0 = the default
 *   "challenge-file"  ChallengeFile   read-only: where the store keeps the challenge
 *   "source"          (read-only)     the file the draft was read from, or %NULL
 */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <gio/gio.h>
#include <cradle/cradle-macros.h>
#include <cradle/cradle-cert-type.h>

G_BEGIN_DECLS

/* One thing wrong with a draft: @field is the property's name ("url",
 * "name", "require-tls" for AllowPlainHttp, …; never %NULL for a draft),
 * @message a sentence for people saying what is wrong and what is right,
 * in the type-file parser's words, without the file and line. */
typedef struct {
  char *field;
  char *message;
} CradleTypeProblem;

#define CRADLE_TYPE_TYPE_PROBLEM (cradle_type_problem_get_type ())
CRADLE_PUBLIC
GType              cradle_type_problem_get_type  (void) G_GNUC_CONST;
CRADLE_PUBLIC
CradleTypeProblem *cradle_type_problem_new       (const char        *field,
                                                  const char        *message);
CRADLE_PUBLIC
CradleTypeProblem *cradle_type_problem_copy      (const CradleTypeProblem *problem);
CRADLE_PUBLIC
void               cradle_type_problem_free      (CradleTypeProblem *problem);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleTypeProblem, cradle_type_problem_free)

#define CRADLE_TYPE_TYPE_DRAFT (cradle_type_draft_get_type ())
CRADLE_PUBLIC
G_DECLARE_FINAL_TYPE (CradleTypeDraft, cradle_type_draft, CRADLE, TYPE_DRAFT, GObject)

/* An empty draft: protocol "certsrv", require-tls TRUE, nothing else. */
CRADLE_PUBLIC
CradleTypeDraft *cradle_type_draft_new             (void);
/* The fields of @type (a custom type's, or a template's as a starting
 * point); "source" and "challenge-file" come along. */
CRADLE_PUBLIC
CradleTypeDraft *cradle_type_draft_new_from_type   (CradleCertType   *type);
/* The text of a type file (@source names it in errors and becomes
 * "source"), read by the one strict parser: CRADLE_ERROR_INVALID_DATA
 * "SOURCE:LINE: what is wrong". */
CRADLE_PUBLIC
CradleTypeDraft *cradle_type_draft_new_from_data   (const char       *source,
                                                    const char       *data,
                                                    gsize             size,
                                                    GError          **error) G_GNUC_WARN_UNUSED_RESULT;

/* The type-file text of the draft, keys in a stable order (Name,
 * DisplayName, Protocol, URL, PolicyURL, Template, Label, KeyType,
 * Subject, Auth, TrustAnchors, AllowPlainHttp, ChallengeFile,
 * CAFingerprint, Timeout, RenewAt), unset keys left out.  A value that
 * is not one line has its line breaks replaced, so the text never holds
 * a key the draft does not; validate first. */
CRADLE_PUBLIC
char            *cradle_type_draft_dup_data        (CradleTypeDraft  *self);
/* Every problem of the draft, by the type-file rules: per key, then
 * between keys (a problem between keys names the field to change).
 * Returns: (element-type CradleTypeProblem) (transfer full): empty when
 * the draft is valid; never %NULL. */
CRADLE_PUBLIC
GPtrArray       *cradle_type_draft_validate        (CradleTypeDraft  *self);
/* The type the draft makes, to test or enroll with (no catalog:
 * Template is sent by name).  CRADLE_ERROR_INVALID_DATA with every
 * problem, one per line, when the draft is not valid. */
CRADLE_PUBLIC
CradleCertType  *cradle_type_draft_dup_cert_type   (CradleTypeDraft  *self,
                                                    GError          **error) G_GNUC_WARN_UNUSED_RESULT;

/* Accessors, the same as the properties. */
CRADLE_PUBLIC
const char      *cradle_type_draft_get_name        (CradleTypeDraft  *self);
CRADLE_PUBLIC
void             cradle_type_draft_set_name        (CradleTypeDraft  *self,
                                                    const char       *name);
CRADLE_PUBLIC
const char      *cradle_type_draft_get_protocol    (CradleTypeDraft  *self);
CRADLE_PUBLIC
void             cradle_type_draft_set_protocol    (CradleTypeDraft  *self,
                                                    const char       *protocol);
CRADLE_PUBLIC
const char      *cradle_type_draft_get_challenge_file (CradleTypeDraft *self);
CRADLE_PUBLIC
const char      *cradle_type_draft_get_source      (CradleTypeDraft  *self);

G_END_DECLS
