/* scep-test-ca.h: a SCEP CA made of OpenSSL calls, for the SCEP tests
 *
 * It reads pkiMessages as a CA does (the signature with the certificate
 * inside, the envelope with its own key) and writes CertReps, right or
 * wrong on purpose, so the client's checks can be seen at work.
 */
#pragma once

#include <glib.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

G_BEGIN_DECLS

typedef struct {
  EVP_PKEY *key;
  X509     *cert;
} TestScepCa;

TestScepCa *test_scep_ca_new     (const char *common_name);
void        test_scep_ca_free    (TestScepCa *ca);
GBytes     *test_scep_ca_der     (TestScepCa *ca);
/* A degenerate PKCS#7 SignedData holding @certs, as GetCACert answers
 * with an RA. */
GBytes     *test_scep_ca_bundle  (X509      **certs,
                                  gsize       count);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestScepCa, test_scep_ca_free)

/* A certificate and its key, issued by @issuer (self-signed when %NULL):
 * a CA's (basicConstraints CA:TRUE) when @ca; @key_usage and @eku as
 * openssl.cnf writes them, %NULL for none; an RSA key, else P-256.  Freed
 * with test_scep_ca_free(); an RA's or an end entity's may sign CertReps
 * as TestScepReplyOptions.signed_by. */
TestScepCa *test_scep_ca_make_cert (TestScepCa *issuer,
                                    const char *common_name,
                                    gboolean    ca,
                                    const char *key_usage,
                                    const char *eku,
                                    gboolean    rsa);

/* The extended key usages of an RA: NDES's, and RFC 6402's. */
#define TEST_SCEP_EKU_REQUEST_AGENT "1.3.6.1.4.1.311.20.2.1"
#define TEST_SCEP_EKU_CMC_RA        "1.3.6.1.5.5.7.3.28"

/* A pkiMessage as the CA reads it. */
typedef struct {
  guint   message_type;                 /* 19, 20 */
  char   *transaction_id;
  guint8  sender_nonce[16];
  char   *digest;                       /* the SignerInfo's digest, as "sha256" */
  char   *cipher;                       /* the envelope's, as "aes-128-cbc" */
  X509   *signer;                       /* the certificate it was signed with */
  GBytes *message_data;                 /* decrypted: a PKCS#10 or IssuerAndSubject */
} TestScepRequest;

/* Asserts @der is a good pkiMessage to @ca and returns what it says. */
TestScepRequest *test_scep_ca_read_request (TestScepCa *ca,
                                            GBytes     *der);
void             test_scep_request_free    (TestScepRequest *request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TestScepRequest, test_scep_request_free)

/* A certificate for the PKCS#10 @csr's key and subject, signed by @ca. */
GBytes          *test_scep_ca_issue        (TestScepCa *ca,
                                            GBytes     *csr);

typedef struct {
  const char *status;            /* pkiStatus: "0", "2", "3", or anything */
  const char *fail_info;         /* NULL: none */
  const char *fail_info_text;    /* NULL: none */
  GBytes     *leaf;              /* SUCCESS: the issued certificate */
  const char *cipher;            /* the envelope's: "AES-128-CBC" (default), "DES-CBC", … */
  /* Misbehaviours */
  const char *message_type;      /* NULL: "3" */
  gboolean    wrong_nonce;
  gboolean    wrong_transaction;
  TestScepCa *signed_by;         /* NULL: the CA itself */
  X509       *encrypt_to;        /* NULL: the request's signer */
  gboolean    with_content;      /* FAILURE/PENDING with an (empty) content */
} TestScepReplyOptions;

GBytes          *test_scep_ca_reply        (TestScepCa                 *ca,
                                            TestScepRequest            *request,
                                            const TestScepReplyOptions *options);

G_END_DECLS
