/* agent-fixture.h: a real cradle-agent process for host-side tests */
#pragma once

#include <gio/gio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "host/cradle-device-private.h"

G_BEGIN_DECLS

typedef struct {
  char        *store;       /* the agent's folder, a fresh one per test */
  char        *kek;         /* its key-encryption key, beside the folder */
  GSubprocess *agent;
  CradleDevice *device;     /* opened */
  GByteArray  *sent;        /* every byte the host sent */
  GByteArray  *received;    /* every byte the host received */
  char        *host_state;  /* CRADLE_STATE_DIR: this computer's key and pins */
  gboolean     unpaired;    /* set before start: open the device, do not pair */
  gboolean     raw_access;  /* set before start: keep host_fd */
  int          host_fd;     /* a duplicate of the host's end, for raw writes, or -1 */
  gboolean     expect_open_failure;  /* set before start: keep open()'s error */
  GError      *open_error;
} AgentFixture;

/* Starts `cradle-agent --fd` on a socketpair with @args, opens the device. */
void          agent_fixture_start   (AgentFixture  *fixture,
                                     const char    *first_arg,
                                     ...) G_GNUC_NULL_TERMINATED;
/* Ends the session and starts the agent again on the same folder, with @args. */
void          agent_fixture_restart (AgentFixture  *fixture,
                                     const char    *first_arg,
                                     ...) G_GNUC_NULL_TERMINATED;
void          agent_fixture_stop    (AgentFixture  *fixture);
void          agent_fixture_end_session (AgentFixture *fixture);
char         *agent_fixture_agent_path (void);

/* Test material made with OpenSSL. */
EVP_PKEY     *test_key_new          (void);
EVP_PKEY     *test_public_key_from_der (GBytes *spki);
GBytes       *test_request_info     (EVP_PKEY *public_key,
                                     const char *common_name);
GBytes       *test_cert             (const char *subject_cn,
                                     EVP_PKEY   *subject_key,
                                     const char *issuer_cn,
                                     EVP_PKEY   *issuer_key,
                                     gboolean    is_ca);
GBytes       *test_sha256           (GBytes   *der);
void          test_empty_store      (CradleDevice *device,
                                     const char   *store);
gboolean      test_verify           (EVP_PKEY *public_key,
                                     GBytes   *data,
                                     GBytes   *signature);


G_END_DECLS
