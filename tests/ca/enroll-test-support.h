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
} EnrollFixture;

/* Skips the test (and leaves the agent unstarted) when the lab is down. */
void             enroll_fixture_set_up        (EnrollFixture *fixture,
                                               gconstpointer  data);
void             enroll_fixture_tear_down     (EnrollFixture *fixture,
                                               gconstpointer  data);
gboolean         enroll_fixture_skipped       (EnrollFixture *fixture);
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

/* The leaf's public key is the device key the request was made with. */
void             enroll_assert_leaf_is_device_key (CradleCaAnswer  *answer,
                                                   CradleCaRequest *request);

/* tests/ca/misbehaving-ca.py on a free loopback port; its base URL is
 * "http://127.0.0.1:PORT".  Stop it with g_subprocess_force_exit(). */
GSubprocess     *misbehaving_ca_start         (char         **base_url);

G_END_DECLS
