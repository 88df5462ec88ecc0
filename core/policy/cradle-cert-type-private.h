/* cradle-cert-type-private.h: what the type files and the type object share */
#pragma once

#include <cradle/cradle.h>

G_BEGIN_DECLS

/* Bounds on a type file, read before anything is trusted. */
#define CRADLE_CERT_TYPE_MAX_FILE_SIZE  (64 * 1024)
#define CRADLE_CERT_TYPE_MAX_FILES      256
#define CRADLE_CERT_TYPE_MAX_NAME       64
#define CRADLE_CERT_TYPE_MAX_VALUE      2048
#define CRADLE_CERT_TYPE_MAX_TIMEOUT    600

/* A custom type's settings as one file holds them. */
typedef struct {
  char                 *source;
  char                 *name;
  char                 *display_name;
  CradleCaProtocol      protocol;
  char                 *url;
  char                 *policy_url;
  char                 *template_name;
  char                 *label;
  char                 *key_type;
  char                 *subject;
  CradleCredentialsKind auth;
  char                 *trust_anchors;
  gboolean              allow_plain_http;
  char                 *challenge_file;
  GBytes               *ca_fingerprint;   /* scep: SHA-256 of the CA certificate, 32 bytes */
  guint                 timeout;
  guint                 renew_at;         /* percent of the lifetime; 0: not set */
  char                 *piv_slot;         /* PivSlot=, as "9a".."95", or NULL */
  CradleAttestationPolicy attestation;    /* Attestation= */
} CradleCertTypeSettings;

void                    cradle_cert_type_settings_free  (CradleCertTypeSettings *settings);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleCertTypeSettings, cradle_cert_type_settings_free)

/* Parses @data (the content of @source) strictly: CRADLE_ERROR_INVALID_DATA
 * "SOURCE:LINE: what is wrong, and what is right". */
CradleCertTypeSettings *cradle_cert_type_settings_parse (const char  *source,
                                                         const char  *data,
                                                         gsize        size,
                                                         GError     **error) G_GNUC_WARN_UNUSED_RESULT;
/* The same parser, collecting: every problem is added to @problems (a
 * CradleTypeProblem each, its field the CradleTypeDraft property of the
 * key to change, %NULL for the file as a whole) and the parse goes on;
 * returns %NULL when there was any. */
CradleCertTypeSettings *cradle_cert_type_settings_check (const char  *source,
                                                         const char  *data,
                                                         gsize        size,
                                                         GPtrArray   *problems) G_GNUC_WARN_UNUSED_RESULT;
/* A type-file key's CradleTypeDraft property ("URL" -> "url",
 * "AllowPlainHttp" -> "require-tls"), and back; %NULL for none. */
const char             *cradle_cert_type_key_to_property (const char *key);
const char             *cradle_cert_type_property_to_key (const char *property);
/* Whether @name is a Name a type file may hold; CRADLE_ERROR_INVALID_DATA
 * "Name: …" when not. */
gboolean                cradle_cert_type_check_name (const char *name,
                                                     GError    **error) G_GNUC_WARN_UNUSED_RESULT;
/* Reads @path (bounded) and parses it. */
CradleCertTypeSettings *cradle_cert_type_settings_load  (const char  *path,
                                                         GError     **error) G_GNUC_WARN_UNUSED_RESULT;

/* [Enrollment] TrustAnchors of cradle.conf (the user's, else the
 * administrator's); %NULL when neither says. */
char                   *cradle_cert_type_dup_default_trust_anchors (void);
/* [Enrollment] TrustDirectoryRoots of cradle.conf (the user's, else the
 * administrator's): whether the roots the directory publishes are TLS
 * anchors for the endpoints of the types its catalog makes; TRUE unless
 * set to false. */
gboolean                cradle_cert_type_get_trust_directory_roots (void);

CradleCertType         *cradle_cert_type_new_custom     (CradleCertTypeSettings *settings,
                                                         CradleCatalog          *catalog);
/* What the connector's get_url() will say: the URL, plus EST's label. */
char                   *cradle_cert_type_dup_endpoint   (CradleCertType         *self);
/* A WSTEP type's connector to its policy server (PolicyURL), set up as
 * cradle_cert_type_create_connector() sets up the CES's. */
CradleCaConnector      *cradle_cert_type_create_policy_connector (CradleCertType     *self,
                                                                  CradleCredentials  *credentials,
                                                                  GError            **error) G_GNUC_WARN_UNUSED_RESULT;

/* The web service endpoint of @service a type signing in with @credentials
 * enrolls through: the lowest priority among those that take this sign-in
 * and are not for renewal only; -1 when there is none (the type then uses
 * the CA's Web Enrollment pages). */
gint                    cradle_cert_type_choose_endpoint (CradleEnrollmentService *service,
                                                          CradleCredentialsKind    credentials);

G_END_DECLS
