/* cradle-lifecycle-private.h: where a device's certificates stand
 *
 * cradle-renewal-window.c: when a certificate is due (the arithmetic alone);
 * cradle-template-extension.c: the Microsoft template extensions of a
 * certificate; cradle-cert-status.c: one certificate's status, the public
 * snapshot; cradle-status-checker.c: a device's certificates checked, its
 * revocation checks in the journal.
 */
#pragma once

#include <openssl/err.h>
#include <cradle/cradle.h>

#include "base/cradle-openssl-private.h"

G_BEGIN_DECLS

/* The share of the lifetime after which a certificate of a type without a
 * template's renewal period is due (RenewAt= sets another). */
#define CRADLE_RENEW_AT_DEFAULT_PERCENT 80

/* ---- cradle-renewal-window.c -------------------------------------------- */

/* When a certificate of a template opens its renewal window, as Windows
 * autoenrollment decides (lifecycle.md §1.4): once 80% of its lifetime has
 * passed AND it is within the template's renewal period (pKIOverlapPeriod)
 * of its end: max (notBefore + 0.8 × life, notAfter − overlap).  An overlap
 * of 0 (unset) leaves the 80% alone.  Seconds since 1970 UTC. */
gint64   cradle_renewal_window_for_template (gint64   not_before,
                                             gint64   not_after,
                                             guint64  overlap_seconds);
/* notBefore + @percent% of the lifetime (RenewAt=), rounded down; a
 * certificate whose notAfter is not after its notBefore is due at once. */
gint64   cradle_renewal_window_for_share    (gint64   not_before,
                                             gint64   not_after,
                                             guint    percent);
/* The verdict at @now: expired (or not yet valid), revoked, renew soon
 * (@now at or after @renew_at), unknown (revocation), else valid. */
CradleCertVerdict cradle_cert_verdict_at    (gint64                not_before,
                                             gint64                not_after,
                                             gint64                renew_at,
                                             CradleRevocationState revocation,
                                             gint64                now);

/* ---- cradle-template-extension.c ---------------------------------------- */

/* The template a certificate names: @oid (dotted) and its major version
 * from szOID_CERTIFICATE_TEMPLATE (1.3.6.1.4.1.311.21.7), and @name from
 * szOID_ENROLL_CERTTYPE_EXTENSION (1.3.6.1.4.1.311.20.2); each %NULL when
 * absent or malformed (the extension is outside input). */
void     cradle_template_extension_read     (const STACK_OF (X509_EXTENSION) *extensions,
                                             char                           **oid,
                                             guint                           *major_version,
                                             char                           **name);

/* ---- cradle-cert-names.c ------------------------------------------------- */

/* What a certificate's extensions say, for people; every text escaped
 * (cradle_text_escape()).  Each appends to @out (of char *) and adds a
 * sentence to @problems (of char *) for an extension it cannot read. */
/* subjectAltName: "DNS:…", "email:…", "UPN:…", "URI:…", "IP:…", "DirName:…",
 * "RID:…", "otherName:OID"; at most @max, *@omitted counts the rest. */
void     cradle_cert_names_read_sans        (const STACK_OF (X509_EXTENSION) *extensions,
                                             guint                            max,
                                             GPtrArray                       *out,
                                             guint                           *omitted,
                                             GPtrArray                       *problems);
/* extKeyUsage: "Client Authentication (1.3.6.1.5.5.7.3.2)", or the OID. */
void     cradle_cert_names_read_ekus        (const STACK_OF (X509_EXTENSION) *extensions,
                                             GPtrArray                       *out,
                                             GPtrArray                       *problems);
/* keyUsage: the RFC 5280 names of its bits. */
void     cradle_cert_names_read_key_usage   (const STACK_OF (X509_EXTENSION) *extensions,
                                             GPtrArray                       *out,
                                             GPtrArray                       *problems);
/* basicConstraints cA. */
gboolean cradle_cert_names_read_is_ca       (const STACK_OF (X509_EXTENSION) *extensions);
/* A distinguished name as people read it ("CN = …, O = …", in the order
 * it is encoded), each value's own bytes escaped; never %NULL. */
char    *cradle_cert_names_dup_name         (const X509_NAME                 *name);

/* ---- cradle-cert-status.c ----------------------------------------------- */

struct _CradleCertStatus
{
  GObject parent_instance;

  /* Owned */
  char                 *store;
  char                 *scope;
  GBytes               *der;
  char                 *subject;
  char                 *issuer;
  char                 *serial;
  char                 *sha256;
  char                 *type_name;
  CradleCertOrigin      origin;
  gint64                not_before;
  gint64                not_after;
  gint64                renew_at;
  char                 *renewal_rule;
  CradleRevocationState revocation;
  const char           *revocation_method;  /* static */
  gboolean              revocation_cached;
  gint64                revoked_at;
  int                   revocation_reason;
  char                 *revocation_detail;
  gint64                revocation_next_update;
  CradleCertVerdict     verdict;
  gboolean              has_key;
};

CradleCertStatus *cradle_cert_status_new (void);

G_END_DECLS
