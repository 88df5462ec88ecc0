/* renewal-test-support.h: a device's renewal driven through the host library
 *
 * Material for tests/bridge/test-bridge-renewal*.c, made with OpenSSL: an
 * enrolled certificate on a real cradle-agent, renewal requests naming it,
 * the CMS SignedData of an MS-WCCE renewal and the SCEP envelope of a
 * RenewalReq with a content-encryption key the test knows.
 */
#pragma once

#include <openssl/cms.h>

#include "agent-fixture.h"
#include "base/cradle-openssl-private.h"

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CMS_ContentInfo, CMS_ContentInfo_free)

typedef struct {
  EVP_PKEY *ca_key;      /* the CA that issued the old certificate */
  GBytes   *old_key_id;  /* enrolled */
  EVP_PKEY *old_public;
  GBytes   *old_cert;    /* bound to old_key_id in MY */
} RenewalOld;

void      renewal_old_clear     (RenewalOld   *old);
/* Makes a key on the device (rsa2048, or @key_type) and installs a
 * certificate for it: enrolled. */
void      renewal_enroll        (AgentFixture *fixture,
                                 RenewalOld   *old);
void      renewal_enroll_type   (AgentFixture *fixture,
                                 RenewalOld   *old,
                                 const char   *key_type);
/* A key made on the device for a certification request. */
GBytes   *renewal_generate      (AgentFixture *fixture,
                                 EVP_PKEY    **public_key);
GBytes   *renewal_generate_type (AgentFixture *fixture,
                                 const char   *key_type,
                                 EVP_PKEY    **public_key);
/* A CertificationRequestInfo for @public_key, naming @renewed (nullable)
 * in the renewal attribute. */
GBytes   *renewal_request_info  (EVP_PKEY     *public_key,
                                 const char   *common_name,
                                 GBytes       *renewed);
/* SIGN purpose 1 on the device and the DER CertificationRequest. */
GBytes   *renewal_sign_request  (AgentFixture *fixture,
                                 GBytes       *key_id,
                                 GBytes       *request_info,
                                 GError      **error);
/* The DER SET OF signed attributes of a CMS SignedData over @content:
 * contentType id-data, messageDigest (SHA-256 of @digested), signingTime. */
GBytes   *renewal_cms_attributes (GBytes      *digested);
/* The CMS SignedData of an MS-WCCE renewal: @request as id-data, signed by
 * @old_cert with @signature over @attributes; verified by OpenSSL, which
 * gives back the content. */
GBytes   *renewal_cms_verify    (GBytes       *old_cert,
                                 GBytes       *request,
                                 GBytes       *attributes,
                                 GBytes       *signature);
/* SCEP: a pkcsPKIEnvelope of @content encrypted under AES-128-CBC with
 * @content_key (16 bytes) and that key encrypted to @recipient_cert. */
GBytes   *renewal_envelope      (GBytes       *content,
                                 GBytes       *content_key,
                                 GBytes       *recipient_cert,
                                 EVP_PKEY     *recipient_key);
/* The signed attributes of a SCEP message over @envelope. */
GBytes   *renewal_scep_attributes (GBytes     *envelope,
                                   const char *message_type,
                                   const char *transaction_id);
char     *renewal_transaction_id (GBytes      *spki);
/* DER IssuerAndSubject of @cert. */
GBytes   *renewal_issuer_and_subject (GBytes  *cert);

G_END_DECLS
