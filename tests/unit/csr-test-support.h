/* csr-test-support.h: the pretend device and the openssl peer the CSR tests share */
#pragma once

#include <openssl/evp.h>
#include <cradle/cradle.h>

#include "csr/cradle-csr-private.h"
#include "base/cradle-openssl-private.h"

G_BEGIN_DECLS

/* A version 2+ template's msPKI-Cert-Template-OID, and the extension value
 * for it with major 100 and minor 4, as `openssl asn1parse -genconf` writes it. */
#define TEMPLATE_OID "1.3.6.1.4.1.311.21.8.16187918.14945684.15749023.11519519.4925321.197.13392998.8282280"
#define TEMPLATE_OID_DER                                                                            \
  "302f06272b060104018237150887dc840e87909b1487c19f1f85bf8c1f82accf09814586b1b86683f9c128020164" \
  "020104"
/* BMPString "User", as Windows writes the template name. */
#define TEMPLATE_NAME_DER "1e080055007300650072"

/* The pretend device's keys, made once by csr_test_keys_init(). */
extern EVP_PKEY *rsa_key;
extern EVP_PKEY *ec_key;
extern const char *const full_request_args[];
/* What openssl needs to run without the system's openssl.cnf. */
extern const char minimal_config[];

void csr_test_keys_init (void);
void csr_test_keys_free (void);

GBytes *
bytes_from_hex (const char *hex);

GBytes *
spki_of (EVP_PKEY *key);

const char *
algorithm_name (EVP_PKEY   *key,
                const char *digest);

GBytes *
device_sign (EVP_PKEY   *key,
             const char *digest,
             GBytes     *data);

GBytes *
request_info_of (GBytes *request);

void
write_file (const char *path,
            const char *contents);

GBytes *
openssl_req (EVP_PKEY          *key,
             const char        *digest,
             const char        *config,
             const char        *outform,
             const char *const *args);

gboolean
have_openssl (void);

void
assert_bytes_equal (GBytes *actual,
                    GBytes *expected);

CradleCsrBuilder *
new_builder (EVP_PKEY *key);

CradleCsrBuilder *
new_full_builder (EVP_PKEY *key);

GBytes *
encode (CradleCsrBuilder *builder);

GBytes *
sign_and_assemble (EVP_PKEY   *key,
                   const char *digest,
                   GBytes     *info);

X509_REQ *
parse_request (GBytes *request);

G_END_DECLS
