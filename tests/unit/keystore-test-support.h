/* keystore-test-support.h: what the agent keystore's tests share */
#pragma once

#include <sys/types.h>
#include <openssl/x509.h>

#include "agent/cradle-agent-keystore-private.h"
#include "base/cradle-openssl-private.h"

G_BEGIN_DECLS

/* Fixture: a fresh temporary folder per test; the keystore lives in "agent". */
typedef struct {
  char *root;
  char *folder;
} Fixture;

void
fixture_set_up (Fixture       *f,
                gconstpointer  data);

void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data);

CradleAgentKeystore *
ks_open_keystore (const char *folder,
                  gboolean    privileged);

void
ks_generate (CradleAgentKeystore  *keystore,
             const char           *key_type,
             GBytes              **key_id,
             GBytes              **spki);

/* Two paired hosts' ids; ks_generate() makes a SCEP key for host A. */
GBytes *
ks_host_a (void);

GBytes *
ks_host_b (void);

void
ks_generate_for (CradleAgentKeystore        *keystore,
                 const char                 *key_type,
                 CradleAgentEnrollmentKind   kind,
                 GBytes                     *host_id,
                 GBytes                    **key_id,
                 GBytes                    **spki);

/* Rewrites the key's record with another making time and count of
 * decryptions, as time and use would. */
void
ks_set_key_record (CradleAgentKeystore *keystore,
                   GBytes              *key_id,
                   guint64              created,
                   guint64              decryptions);

GBytes *
ks_read_file (const char *path);

void
ks_write_file (const char   *path,
               const guint8 *data,
               gsize         size);

EVP_PKEY *
ks_parse_spki (GBytes *spki);

EVP_PKEY *
ks_test_key (void);

GBytes *
ks_make_cert (EVP_PKEY   *subject_key,
              EVP_PKEY   *issuer_key,
              const char *common_name,
              long        serial);

GBytes *
ks_make_cert_for_spki (GBytes     *spki,
                       EVP_PKEY   *issuer_key,
                       const char *common_name,
                       long        serial);

GPtrArray *
ks_cert_list (void);

void
ks_add_cert (GPtrArray  *list,
             const char *store,
             const char *scope,
             GBytes     *der,
             GBytes     *key_id);

guint
ks_install (CradleAgentKeystore *keystore,
            GPtrArray           *certs);

void
ks_install_fails (CradleAgentKeystore *keystore,
                  GPtrArray           *certs,
                  int                  code);

GPtrArray *
ks_list (CradleAgentKeystore *keystore,
         const char          *store,
         const char          *scope);

gboolean
ks_same_cert (const CradleAgentCert *a,
              const CradleAgentCert *b);

void
ks_assert_certs_equal (GPtrArray *actual,
                       GPtrArray *expected);

gboolean
ks_verify (GBytes     *spki,
           const char *digest,
           GBytes     *data,
           GBytes     *signature);

GBytes *
ks_sign (CradleAgentKeystore *keystore,
         GBytes              *key_id,
         const char          *digest,
         GBytes              *data,
         char               **algorithm);

gboolean
ks_contains (GBytes       *haystack,
             const guint8 *needle,
             gsize         size);

mode_t
ks_file_mode (const char *path);

GBytes *
ks_encrypt_to (GBytes       *spki,
               const guint8 *data,
               gsize         size);

/* Every truncation, a byte more, every single flipped byte and random
 * DER-looking junk given to @check: refused with CRADLE_ERROR_INVALID_DATA
 * (a flipped byte inside a value may still be accepted); never a crash. */
void
ks_assert_damage_refused (GBytes   *good,
                          gboolean (*check) (GBytes *bytes, gpointer data, GError **error),
                          gpointer  data);

GPtrArray *
ks_make_many_certs (guint count,
                    long  first_serial);

GPtrArray *
ks_batch_of (GPtrArray  *ders,
             guint       from,
             guint       to,
             const char *store);

G_END_DECLS
