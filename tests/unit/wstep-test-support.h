/* wstep-test-support.h: what the MS-WSTEP tests share — the fixtures, the
 * request made from them, and an RST read as a server would read it */
#pragma once

#include <cradle/cradle.h>

#include "ca/cradle-ca-answer-private.h"
#include "ca/wstep/cradle-wstep-message-private.h"
#include "ca/wstep/cradle-wstep-private.h"

G_BEGIN_DECLS

#define FIXTURE_CES "https://ca1.contoso.example/Contoso%20Issuing%20CA_CES_Kerberos/service.svc/CES"
#define OTHER_CES   "https://ces.elsewhere.example/CA_CES_Kerberos/service.svc/CES"

/* An RST as a server would read it. */
typedef struct
{
  char     *action;
  char     *token_type;
  char     *request_type;
  gboolean  request_ket;
  char     *token_ns;       /* the BinarySecurityToken's namespace, if there is one */
  char     *value_type;
  char     *encoding_type;
  GBytes   *token;
  gboolean  has_request_id;
  gboolean  request_id_nil;
  char     *request_id;
} Rst;

void
rst_free (Rst *rst);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Rst, rst_free)

/* The contents of tests/fixtures/wstep/@name. */
GBytes *
fixture (const char *name);

/* A request for request.csr's key, template "User". */
CradleCaRequest *
fixture_request (void);

/* @body read as a WS-Trust answer, which it must be. */
CradleWstepResult *
parse_ok (GBytes *body);

CradleWstepResult *
parse_fixture (const char *name);

/* The context items of an RST as "name:value" lines. */
char *
context_items (xmlNode *rst);

Rst *
read_rst (GBytes *body);

/* 4.1.1.1's request: 4.1.1.2 is the certificate issued for its key. */
CradleCaRequest *
spec_issue_request (void);

G_END_DECLS
