/* softhsm-test-support.h: a SoftHSM2 token of a test's own, for the C tests
 * of tokens (tests/token, and the device and engine tests that use one)
 *
 * Each token lives in a new private folder with its own softhsm2.conf;
 * SOFTHSM2_CONF points at it while the token is in use, and only SoftHSM's
 * module is loaded (cradle_token_set_modules (..., FALSE)), so a test never
 * sees the machine's own tokens. SoftHSM reads its configuration when it is
 * initialised: a test drops every CradleToken before the next token is
 * made. tests/token/softhsm.py is the same for Python tests. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CRADLE_TEST_SOFTHSM_MODULE "/usr/lib/softhsm/libsofthsm2.so"
#define CRADLE_TEST_P11KIT_CLIENT  "/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so"
#define CRADLE_TEST_P11KIT_SERVER  "/usr/libexec/p11-kit/p11-kit-server"

typedef struct {
  char  *dir;        /* the private folder */
  char  *conf;       /* its softhsm2.conf */
  char  *label;
  char  *pin;
  char  *so_pin;
  char  *uri;        /* "pkcs11:token=LABEL" */
  GPid   server;     /* p11-kit-server, or 0 */
  char  *address;    /* its P11_KIT_SERVER_ADDRESS */
} CradleTestSofthsm;

/* Why SoftHSM2 cannot be used here (%NULL when it can): a test skips with it. */
const char        *cradle_test_softhsm_missing (void);
/* A new folder with one initialised token @label (and SoftHSM's one free
 * slot), SOFTHSM2_CONF set to it, and the token modules set to SoftHSM's
 * alone. @mechanisms: %NULL for all, or SoftHSM's slots.mechanisms list
 * of the only mechanisms offered ("CKM_RSA_PKCS_KEY_PAIR_GEN,CKM_RSA_PKCS"
 * for RSA alone; SoftHSM 2.6.1 ignores a list of "-" exclusions). Aborts the test on failure. */
CradleTestSofthsm *cradle_test_softhsm_new     (const char *label,
                                                const char *pin,
                                                const char *so_pin,
                                                const char *mechanisms);
/* Another initialised token in the same folder (seen by modules set after). */
void               cradle_test_softhsm_add_token (CradleTestSofthsm *self,
                                                const char *label);
/* Unloads the modules (every CradleToken must be gone), stops the server,
 * removes the folder. */
void               cradle_test_softhsm_free    (CradleTestSofthsm *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleTestSofthsm, cradle_test_softhsm_free)

/* Reloads the token modules: SoftHSM's alone, or p11-kit's client alone
 * while the token is served. */
void               cradle_test_softhsm_reload  (CradleTestSofthsm *self);
/* How many objects the token holds, by SoftHSM's files (not through
 * PKCS#11): the token itself is not counted. */
guint              cradle_test_softhsm_count_objects (CradleTestSofthsm *self);
/* Sets CKF_USER_PIN_LOCKED in the token's stored flags (its token.object),
 * as a token that locked its PIN shows it: SoftHSM2 itself never locks.
 * Reload the modules after. */
void               cradle_test_softhsm_lock_pin (CradleTestSofthsm *self);
/* Serves the token through p11-kit-server on a socket in the folder and
 * loads p11-kit's client module alone (P11_KIT_SERVER_ADDRESS set), so the
 * token can be made to leave: cradle_test_softhsm_stop_server(). */
void               cradle_test_softhsm_serve   (CradleTestSofthsm *self);
void               cradle_test_softhsm_stop_server (CradleTestSofthsm *self);
/* Runs pkcs11-tool on the token (SoftHSM's module, logged in with the PIN)
 * with @args; its standard output, or %NULL with the test failed. */
char              *cradle_test_softhsm_pkcs11_tool (CradleTestSofthsm *self,
                                                const char * const *args);

G_END_DECLS
