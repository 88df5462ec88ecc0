/* cradle-csr-private.h: PKCS#10 certification requests signed by a device
 *
 * The private key never leaves the device. The desktop builds the
 * CertificationRequestInfo for the public key the device gave it, the device
 * signs those bytes (bridge SIGN, purpose 1), and cradle_csr_assemble() puts
 * the request together and checks the signature. */
#pragma once

#include <glib.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

G_BEGIN_DECLS

/* Key usage bits: the X.509 KeyUsage BIT STRING as AD's pKIKeyUsage holds it,
 * read little-endian. The low byte is the first byte of the bit string
 * (digitalSignature is its top bit, 0x80), the high byte the second one
 * (decipherOnly, 0x8000). These are also OpenSSL's KU_* values. */
#define CRADLE_CSR_KEY_USAGE_DIGITAL_SIGNATURE 0x0080
#define CRADLE_CSR_KEY_USAGE_NON_REPUDIATION   0x0040
#define CRADLE_CSR_KEY_USAGE_KEY_ENCIPHERMENT  0x0020
#define CRADLE_CSR_KEY_USAGE_DATA_ENCIPHERMENT 0x0010
#define CRADLE_CSR_KEY_USAGE_KEY_AGREEMENT     0x0008
#define CRADLE_CSR_KEY_USAGE_KEY_CERT_SIGN     0x0004
#define CRADLE_CSR_KEY_USAGE_CRL_SIGN          0x0002
#define CRADLE_CSR_KEY_USAGE_ENCIPHER_ONLY     0x0001
#define CRADLE_CSR_KEY_USAGE_DECIPHER_ONLY     0x8000
#define CRADLE_CSR_KEY_USAGE_ALL               0x80ff

/* Bounds on what the builder and the assembler take. */
#define CRADLE_CSR_MAX_PUBLIC_KEY_SIZE   (8 * 1024)
#define CRADLE_CSR_MAX_REQUEST_INFO_SIZE (64 * 1024)
#define CRADLE_CSR_MAX_SIGNATURE_SIZE    (4 * 1024)
#define CRADLE_CSR_MAX_SUBJECT_LENGTH    (8 * 1024)

/* The Microsoft extensions that name the certificate template
 * (MS-WCCE 2.2.2.7.7.1 and 2.2.2.7.7.2) and the UPN otherName. */
#define CRADLE_CSR_OID_TEMPLATE_NAME "1.3.6.1.4.1.311.20.2"
#define CRADLE_CSR_OID_TEMPLATE      "1.3.6.1.4.1.311.21.7"
#define CRADLE_CSR_OID_UPN           "1.3.6.1.4.1.311.20.2.3"
/* szOID_RENEWAL_CERTIFICATE (MS-WCCE 2.2.2.7.3): the certificate a request renews. */
#define CRADLE_CSR_OID_RENEWAL_CERTIFICATE "1.3.6.1.4.1.311.13.1"
/* A token's attestation of the key in the request's extensions, as
 * yubico-piv-tool --attestation adds them (2.7.2 and later; earlier ones
 * put the attestation under .3.11): the attestation certificate and the
 * certificate that signed it (a YubiKey's f9), each value the DER
 * certificate, not critical. */
#define CRADLE_CSR_OID_ATTESTATION              "1.3.6.1.4.1.41482.3.1"
#define CRADLE_CSR_OID_ATTESTATION_INTERMEDIATE "1.3.6.1.4.1.41482.3.2"
/* The most either certificate may take. */
#define CRADLE_CSR_MAX_ATTESTATION_SIZE         (16 * 1024)

typedef struct _CradleCsrBuilder CradleCsrBuilder;

CradleCsrBuilder *cradle_csr_builder_new                    (void);
void              cradle_csr_builder_free                   (CradleCsrBuilder *self);
gboolean          cradle_csr_builder_set_public_key         (CradleCsrBuilder *self,
                                                             GBytes           *spki_der,
                                                             GError          **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean          cradle_csr_builder_set_subject            (CradleCsrBuilder *self,
                                                             const char       *subject,
                                                             GError          **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean          cradle_csr_builder_set_subject_common_name (CradleCsrBuilder *self,
                                                              const char       *common_name,
                                                              GError          **error) G_GNUC_WARN_UNUSED_RESULT;
void              cradle_csr_builder_add_san_upn            (CradleCsrBuilder *self,
                                                             const char       *upn);
void              cradle_csr_builder_add_san_email          (CradleCsrBuilder *self,
                                                             const char       *mail);
void              cradle_csr_builder_add_san_dns            (CradleCsrBuilder *self,
                                                             const char       *name);
void              cradle_csr_builder_set_key_usage          (CradleCsrBuilder *self,
                                                             guint             bits,
                                                             gboolean          critical);
void              cradle_csr_builder_add_extended_key_usage (CradleCsrBuilder *self,
                                                             const char       *oid);
void              cradle_csr_builder_add_template_name      (CradleCsrBuilder *self,
                                                             const char       *cn);
gboolean          cradle_csr_builder_add_template_oid       (CradleCsrBuilder *self,
                                                             const char       *oid,
                                                             gint              major,
                                                             gint              minor,
                                                             GError          **error) G_GNUC_WARN_UNUSED_RESULT;
void              cradle_csr_builder_set_challenge_password (CradleCsrBuilder *self,
                                                             const char       *password);
void              cradle_csr_builder_set_renewal_certificate (CradleCsrBuilder *self,
                                                              GBytes           *certificate_der);
/* @attestation, @intermediate: (nullable): DER certificates, each checked
 * to be one certificate when the request is encoded; %NULL @attestation
 * removes both. */
void              cradle_csr_builder_set_attestation        (CradleCsrBuilder *self,
                                                             GBytes           *attestation,
                                                             GBytes           *intermediate);
GBytes           *cradle_csr_builder_encode_request_info    (CradleCsrBuilder *self,
                                                             GError          **error) G_GNUC_WARN_UNUSED_RESULT;

GBytes           *cradle_csr_assemble                       (GBytes           *request_info,
                                                             const char       *signature_algorithm,
                                                             GBytes           *signature,
                                                             GError          **error) G_GNUC_WARN_UNUSED_RESULT;
char             *cradle_csr_to_pem                         (GBytes           *der);

/* @csr (DER PKCS#10) without its challengePassword attribute, to be kept
 * on disk: the secret stays out of the pending store.  Its signature no
 * longer verifies; what it still says (subject, public key) is what
 * retrieving needs.  A request without a challenge comes back as it is. */
GBytes           *cradle_csr_dup_without_challenge          (GBytes           *csr,
                                                             gboolean         *had_challenge,
                                                             GError          **error) G_GNUC_WARN_UNUSED_RESULT;
/* The DER SubjectPublicKeyInfo of @csr. */
GBytes           *cradle_csr_dup_public_key_info            (GBytes           *csr,
                                                             GError          **error) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleCsrBuilder, cradle_csr_builder_free)

/* ---- renewals (cradle-csr-renewal.c) -------------------------------------
 *
 * An AD CS renewal (MS-WCCE 3.1.1.4.3.2.1) is a CMS SignedData whose
 * eContent (id-data) is the new, signed PKCS#10 carrying the renewal
 * attribute, with the old certificate and its chain in its certificates
 * and one SignerInfo by the old certificate's key.  That key is on the
 * device: the SignerInfo's signed attributes (contentType, messageDigest,
 * signingTime) are built here, the device signs their DER SET (SIGN
 * purpose 4, computing the messageDigest itself), and the signature is
 * checked with the old certificate before the SignedData is encoded. */
typedef struct _CradleCsrRenewal CradleCsrRenewal;

/* @csr: the signed PKCS#10, which must carry the renewal attribute naming
 * @old_certificate (DER); @chain: (nullable) (element-type GBytes): DER
 * CA certificates to include after it; @digest: "sha256", "sha384" or
 * "sha512"; @signing_time: seconds since 1970 UTC, or 0 for none. */
CradleCsrRenewal *cradle_csr_renewal_new                   (GBytes           *csr,
                                                            GBytes           *old_certificate,
                                                            GPtrArray        *chain,
                                                            const char       *digest,
                                                            gint64            signing_time,
                                                            GError          **error) G_GNUC_WARN_UNUSED_RESULT;
void              cradle_csr_renewal_free                  (CradleCsrRenewal *self);
/* The DER SET OF the signed attributes: what the old key signs. */
GBytes           *cradle_csr_renewal_get_signed_attributes (CradleCsrRenewal *self);
/* The DER ContentInfo (SignedData) with @signature, which must verify
 * with the old certificate's key over the signed attributes. */
GBytes           *cradle_csr_renewal_finish                (CradleCsrRenewal *self,
                                                            GBytes           *signature,
                                                            GError          **error) G_GNUC_WARN_UNUSED_RESULT;
/* The DER certificate @csr (a PKCS#10) names in its renewal attribute,
 * %NULL when it has none. */
GBytes           *cradle_csr_dup_renewal_certificate       (GBytes           *csr,
                                                            GError          **error) G_GNUC_WARN_UNUSED_RESULT;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleCsrRenewal, cradle_csr_renewal_free)

/* Shared by the cradle-csr*.c files. */

typedef enum {
  CRADLE_CSR_SAN_UPN,
  CRADLE_CSR_SAN_EMAIL,
  CRADLE_CSR_SAN_DNS,
} CradleCsrSanKind;

typedef struct {
  CradleCsrSanKind  kind;
  char             *value;
} CradleCsrSan;

gboolean        cradle_csr_check_public_key                (EVP_PKEY     *key,
                                                            GError      **error) G_GNUC_WARN_UNUSED_RESULT;
EVP_PKEY       *cradle_csr_parse_public_key                (GBytes       *spki_der,
                                                            GError      **error) G_GNUC_WARN_UNUSED_RESULT;

X509_NAME      *cradle_csr_name_from_string                (const char   *text,
                                                            GError      **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean        cradle_csr_oid_is_valid                    (const char   *oid);

X509_EXTENSION *cradle_csr_extension_template_name         (const char   *cn,
                                                            GError      **error) G_GNUC_WARN_UNUSED_RESULT;
X509_EXTENSION *cradle_csr_extension_template_oid          (const char   *oid,
                                                            gint          major,
                                                            gint          minor,
                                                            GError      **error) G_GNUC_WARN_UNUSED_RESULT;
X509_EXTENSION *cradle_csr_extension_key_usage             (guint         bits,
                                                            gboolean      critical,
                                                            GError      **error) G_GNUC_WARN_UNUSED_RESULT;
X509_EXTENSION *cradle_csr_extension_extended_key_usage    (GPtrArray    *oids,
                                                            GError      **error) G_GNUC_WARN_UNUSED_RESULT;
X509_EXTENSION *cradle_csr_extension_subject_alt_name      (GPtrArray    *names,
                                                            GError      **error) G_GNUC_WARN_UNUSED_RESULT;
/* @oid (CRADLE_CSR_OID_ATTESTATION*), its value @certificate: one DER
 * certificate of at most CRADLE_CSR_MAX_ATTESTATION_SIZE bytes. */
X509_EXTENSION *cradle_csr_extension_certificate           (const char   *oid,
                                                            GBytes       *certificate,
                                                            GError      **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
