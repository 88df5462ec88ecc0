/* enroll-test-support.h: what the CA connector tests share — the lab, a
 * simulated device (a real cradle-agent), and requests signed on it */
#pragma once

#include <cradle/cradle.h>

#include "agent-fixture.h"
#include "lab-fixture.h"

G_BEGIN_DECLS

typedef struct {
  CradleLabFixture lab;      /* lab.lab is NULL when the lab does not run */
  AgentFixture     agent;    /* the simulated device, confirming everything */
  GHashTable      *catalogs; /* user → CradleCatalog */
  GSubprocess     *server;   /* a misbehaving server, stopped at tear-down */
} EnrollFixture;

/* Skips the test (and leaves the agent unstarted) when the lab is down. */
void             enroll_fixture_set_up        (EnrollFixture *fixture,
                                               gconstpointer  data);
/* For the cases that need no lab, only the simulated device to sign. */
void             enroll_fixture_set_up_device_only (EnrollFixture *fixture,
                                                    gconstpointer  data);
void             enroll_fixture_tear_down     (EnrollFixture *fixture,
                                               gconstpointer  data);
gboolean         enroll_fixture_skipped       (EnrollFixture *fixture);

#define SKIP_WITHOUT_LAB(f) \
  if (enroll_fixture_skipped (f)) { g_test_skip (cradle_test_lab_skip_reason ()); return; }

/* g_test_add() of @test on an EnrollFixture at the path @path_format makes:
 * set up with the lab, or with the simulated device only. */
typedef void (*EnrollTestFunc) (EnrollFixture *fixture,
                                gconstpointer  data);
void             enroll_test_add              (EnrollTestFunc test,
                                               gconstpointer  data,
                                               const char    *path_format,
                                               ...) G_GNUC_PRINTF (3, 4);
void             enroll_test_add_device_only  (EnrollTestFunc test,
                                               gconstpointer  data,
                                               const char    *path_format,
                                               ...) G_GNUC_PRINTF (3, 4);

const char      *enroll_fixture_env           (EnrollFixture *fixture,
                                               const char    *name);

/* The product's way: @user's catalog gives @template_cn's policy; the
 * device makes the key and signs the request.  The request carries the
 * device and key id. */
CradleCaRequest *enroll_fixture_request       (EnrollFixture *fixture,
                                               const char    *user,
                                               const char    *template_cn);

/* Requests the policy would not build, to see the CA refuse them: a key of
 * @key_type, @subject (RFC 4514), a UPN SAN when @upn is set, and the
 * template named in the request (extension and attribute) only when
 * @template_cn is set. */
CradleCaRequest *enroll_fixture_custom_request (EnrollFixture *fixture,
                                                const char    *key_type,
                                                const char    *subject,
                                                const char    *upn,
                                                const char    *template_cn);

/* How a connector signs in to the lab's front ends. */
typedef enum {
  ENROLL_SIGN_IN_KERBEROS,       /* a fresh ticket of the user's */
  ENROLL_SIGN_IN_PASSWORD,       /* the password the lab gave the user */
  ENROLL_SIGN_IN_WRONG_PASSWORD, /* ENROLL_WRONG_PASSWORD */
} EnrollSignIn;

#define ENROLL_WRONG_PASSWORD "not-alices-password-1A!"

/* Trusts the lab's root CA and signs @connector in as @user, @how. */
void             enroll_fixture_sign_in       (EnrollFixture     *fixture,
                                               CradleCaConnector *connector,
                                               const char        *user,
                                               EnrollSignIn       how);

/* Submits @request: the CA answered (issued, pending or denied). */
CradleCaAnswer  *enroll_submit                (CradleCaConnector *connector,
                                               CradleCaRequest   *request);
/* Submits @request: no answer, but a CRADLE_ERROR of @code, returned for
 * more checks. */
GError          *enroll_submit_fails          (CradleCaConnector *connector,
                                               CradleCaRequest   *request,
                                               gint               code);
/* Retrieves @request_id (at @retrieve_uri, when set): the CA answered. */
CradleCaAnswer  *enroll_retrieve              (CradleCaConnector *connector,
                                               CradleCaRequest   *request,
                                               const char        *request_id,
                                               const char        *retrieve_uri);
/* Retrieved again before any decision: still pending, the same request. */
void             enroll_assert_still_pending  (CradleCaConnector *connector,
                                               CradleCaRequest   *request,
                                               const char        *request_id,
                                               const char        *retrieve_uri);
/* Over plain HTTP, @connector sends nothing; allowed by an administrator,
 * it still never sends a password in the clear. */
void             enroll_assert_plain_http_refused (CradleCaConnector *connector,
                                                   CradleCaRequest   *request);
/* A denial over @protocol, with the CA's @code and a message. */
void             enroll_assert_denied         (CradleCaAnswer    *answer,
                                               CradleCaProtocol   protocol,
                                               guint32            code);

/* A request the CA refuses with @code (its HRESULT). */
typedef struct {
  const char *user;
  const char *template_cn;  /* through the policy, unless custom */
  gboolean    custom;
  const char *key_type;
  guint32     code;
} EnrollDenialCase;

/* What every AD CS front end refuses (Web Enrollment, CES, EST). */
extern const EnrollDenialCase enroll_denials[];
extern const guint            enroll_n_denials;

/* @denial's request, made as @denial->user. */
CradleCaRequest *enroll_fixture_denial_request (EnrollFixture          *fixture,
                                                const EnrollDenialCase *denial);

/* Runs `cradle-lab approve ID` or `deny ID`. */
void             enroll_fixture_officer       (EnrollFixture *fixture,
                                               const char    *verb,
                                               const char    *request_id);

/* The newest pending request @user sent through @frontend ("est", "ces",
 * "certsrv") for @template_cn, as `cradle-lab requests --pending` lists
 * it: how an officer finds a request that carries no number (EST). */
char            *enroll_fixture_queue_id_for  (EnrollFixture *fixture,
                                               const char    *frontend,
                                               const char    *user,
                                               const char    *template_cn);

/* A PEM file of a self-signed CA nobody trusts, for the TLS-anchor cases. */
char            *enroll_fixture_untrusted_anchor (EnrollFixture *fixture);

/* @connector trusts only an unrelated anchor beside the system store, not
 * the lab's root, and signs in with alice's password: it refuses to send
 * alice's request, saying so, and the password is not in its words. */
void             enroll_fixture_assert_untrusted_refused (EnrollFixture     *fixture,
                                                          CradleCaConnector *connector);

/* @connector signs in as alice with ENROLL_WRONG_PASSWORD: alice's request
 * is refused (AUTH_FAILED) in words that do not repeat the password.
 * Returns the error for more checks. */
GError          *enroll_fixture_submit_wrong_password (EnrollFixture     *fixture,
                                                       CradleCaConnector *connector);

/* The leaf's public key is the device key the request was made with. */
void             enroll_assert_leaf_is_device_key (CradleCaAnswer  *answer,
                                                   CradleCaRequest *request);
/* The answer's chain holds the lab's Corp Issuing CA. */
void             enroll_assert_chain_has_issuing_ca (CradleCaAnswer *answer);

/* A URL at a loopback port that was free a moment ago and has nobody
 * listening, as when the CA is down: "@scheme://@host:PORT@path". */
char            *enroll_closed_port_url       (const char    *scheme,
                                               const char    *host,
                                               const char    *path);

/* tests/ca/@script, a server that answers wrongly on purpose, started on a
 * free loopback port for this test (and stopped at tear-down); the URL
 * "http://127.0.0.1:PORT/@mode@path" asks it to misbehave as @mode. */
char            *enroll_fixture_misbehaving_url (EnrollFixture *fixture,
                                                 const char    *script,
                                                 const char    *mode,
                                                 const char    *path);

/* How a server misbehaves (@mode), and what it makes of it: an error of
 * @code whose message says @words (when set). */
typedef struct {
  const char *mode;
  gint        code;
  const char *words;
} EnrollMalformedCase;

/* Submits @request to @connector, which the misbehaving server answers,
 * over plain HTTP and waiting 2 s at most: no answer, but the error @c
 * expects, returned for more checks. */
GError          *enroll_submit_malformed      (CradleCaConnector         *connector,
                                               CradleCaRequest           *request,
                                               const EnrollMalformedCase *c);

G_END_DECLS
