/* krb5-test-support.h: the fixture the Kerberos tests share: a folder of
 * their own for caches and configurations, KRB5_CONFIG restored after */
#pragma once

#include <glib.h>

#include "lab.h"

G_BEGIN_DECLS

#define TIMEOUT_SECONDS 15
#define DC_SERVICE "ldap"

typedef struct {
  CradleTestLab *lab;
  char          *dir;          /* this test's own caches and configurations */
  char          *realm;
  char          *dc_host;
  char          *saved_config; /* KRB5_CONFIG before the test changed it */
} Fixture;

#define SKIP_WITHOUT_LAB(fixture)                         \
  G_STMT_START                                            \
  {                                                       \
    if ((fixture)->lab == NULL)                           \
      {                                                   \
        g_test_skip (cradle_test_lab_skip_reason ());     \
        return;                                           \
      }                                                   \
  }                                                       \
  G_STMT_END

void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data);

void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data);

const char *
password_of (Fixture    *fixture,
             const char *user);

char *
kinit_with (Fixture     *fixture,
            const char  *cache,
            const char  *user,
            const char **options);

void
use_config_with_kdc (Fixture    *fixture,
                     const char *kdc);

void
assert_ccache_is (const char *ccache,
                  const char *expected_principal,
                  const char *expected_realm);

G_END_DECLS
