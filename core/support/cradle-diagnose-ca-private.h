/* cradle-diagnose-ca-private.h: the checks of one CA endpoint, for the ca hop
 *
 * cradle-diagnose-ca.c chooses the endpoints (the type's URL, or each
 * enrollment service of the catalog) and runs these on each, in order;
 * cradle-diagnose-ca-net.c has DNS, TCP and TLS, cradle-diagnose-ca-service.c
 * the sign-in, the service's own answer, the CA certificate and CRL/OCSP.
 * A check that cannot run because an earlier one failed is reported
 * skipped with @blocked.
 */
#pragma once

#include <openssl/x509.h>

#include "support/cradle-diagnosis-private.h"
#include "support/cradle-diagnose-hops-private.h"

G_BEGIN_DECLS

typedef struct {
  CradleDiagnosisRun *run;
  GCancellable       *cancellable;
  guint               timeout_ms;
  CradleCertType     *type;           /* what an enrollment would use */
  CradleCredentials  *credentials;
  CradleEnrollmentService *service;   /* (nullable) the catalog's CA behind it */
  char               *url;
  char               *host;           /* escaped, for titles and messages */
  char               *raw_host;       /* as in the URL, to connect */
  guint16             port;
  gboolean            https;
  GSocketConnection  *connection;     /* after tcp, for tls */
  GPtrArray          *tls_chain;      /* X509 *, what the server sent, leaf first */
  GPtrArray          *ca_certificates; /* CradleCertificate, the CA's */
  char               *blocked;        /* why the next checks are skipped, or %NULL */
  gint64              issued_request; /* the request whose certificate named addresses, or 0 */
} CradleDiagnoseCaEndpoint;

/* Reports one check of the ca hop; its title names the endpoint's host. */
void _cradle_diagnose_ca_report (CradleDiagnoseCaEndpoint *endpoint,
                                 const char               *name,
                                 const char               *title,
                                 CradleCheckVerdict        verdict,
                                 gint64                    started,
                                 GError                   *error,
                                 const char               *found_format,
                                 ...) G_GNUC_PRINTF (7, 8);
/* Skips the check when an earlier one blocks it; TRUE when it did. */
gboolean _cradle_diagnose_ca_skip_if_blocked (CradleDiagnoseCaEndpoint *endpoint,
                                              const char               *name,
                                              const char               *title);

/* cradle-diagnose-ca-net.c */
void _cradle_diagnose_ca_net_dns (CradleDiagnoseCaEndpoint *endpoint);
void _cradle_diagnose_ca_net_tcp (CradleDiagnoseCaEndpoint *endpoint);
void _cradle_diagnose_ca_net_tls (CradleDiagnoseCaEndpoint *endpoint);
/* "CN=…" of @name (RFC 2253), escaped. */
char *_cradle_diagnose_ca_net_dup_name (const X509_NAME *name);

/* cradle-diagnose-ca-service.c */
void _cradle_diagnose_ca_service_sign_in        (CradleDiagnoseCaEndpoint *endpoint);
void _cradle_diagnose_ca_service_answer         (CradleDiagnoseCaEndpoint *endpoint);
void _cradle_diagnose_ca_service_ca_certificate (CradleDiagnoseCaEndpoint *endpoint);
void _cradle_diagnose_ca_service_revocation     (CradleDiagnoseCaEndpoint *endpoint);

G_END_DECLS
