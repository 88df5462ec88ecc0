/* scripted-ca.h: a CA connector that answers as the test says
 *
 * For the enrollment state machine's tests (no lab): each submit or
 * retrieve takes the next answer of its script.  The lab's real CAs are
 * tested end to end in tests/e2e. */
#pragma once

#include <openssl/evp.h>
#include <cradle/cradle.h>

#include "ca/cradle-ca-connector-private.h"

G_BEGIN_DECLS

typedef enum {
  SCRIPT_ISSUE,
  SCRIPT_ISSUE_OTHER_KEY,
  SCRIPT_PEND,
  SCRIPT_DENY,
  SCRIPT_UNREACHABLE,
  SCRIPT_ISSUE_OWN_ROOT,   /* from a root of its own, sent with the answer */
  SCRIPT_ISSUE_AIA_ROOT,   /* from an intermediate whose AIA brings its root */
} Script;

/* The root the scripted CA issues from, trusted through cradle.conf's
 * TrustAnchors (the test's main() makes it and writes the file). */
extern EVP_PKEY *trusted_root_key;
extern GBytes   *trusted_root;

#define FAKE_URL "https://ca.invalid/certsrv"

G_DECLARE_FINAL_TYPE (FakeCa, fake_ca, FAKE, CA, CradleCaConnector)

struct _FakeCa
{
  CradleCaConnector parent_instance;

  GQueue            script;        /* Script values, one per call */
  guint             submits;
  guint             retrieves;
  char             *last_request_id;
  GBytes           *last_csr;      /* the request of the last submit */
  /* A CA that holds each submission until the test lets it go. */
  GMutex            lock;
  GCond             cond;
  gboolean          hold;
  gboolean          holding;
  char             *aia_url;       /* SCRIPT_ISSUE_AIA_ROOT */
  EVP_PKEY         *aia_root_key;
};

/* A CA answering @first, then each further Script given, ending with -1. */
FakeCa *fake_ca_new (Script first,
                     ...);

G_END_DECLS
