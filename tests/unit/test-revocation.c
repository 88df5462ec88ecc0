/* test-revocation.c: OCSP answers and CRLs read and verified, and the cache
 * (the renewal window, template extensions and a device's certificates are
 * test-lifecycle.c's)
 *
 * Every answer is a real signed object made here with OpenSSL: right ones,
 * and ones wrong on purpose (another signer, stale, for another
 * certificate, another nonce), so that each check is seen to refuse.
 */
#include "config.h"

#include <openssl/ocsp.h>
#include <openssl/x509v3.h>
#include <glib/gstdio.h>

#include "catalog/cradle-template-private.h"
#include "lifecycle/cradle-lifecycle-private.h"
#include "revocation/cradle-revocation-private.h"
#include "state/cradle-journal-private.h"

#include "revocation-test-pki.h"

/* ---- OCSP answers ------------------------------------------------------------ */

typedef struct {
  Pki          *signer;
  X509         *about;       /* the certificate the answer is about */
  X509         *issuer;
  int           status;      /* V_OCSP_CERTSTATUS_* */
  int           reason;
  gint64        this_update; /* offsets from now */
  gint64        next_update; /* 0: none */
  GBytes       *nonce;       /* %NULL: none */
  int           response_status;
} OcspOptions;

static GBytes *
make_ocsp (const OcspOptions *o)
{
  g_autoptr(OCSP_BASICRESP) basic = OCSP_BASICRESP_new ();
  OCSP_CERTID *id = OCSP_cert_to_id (NULL, o->about, o->issuer);
  g_autoptr(ASN1_TIME) this_update = X509_time_adj_ex (NULL, 0, o->this_update, NULL);
  g_autoptr(ASN1_TIME) next_update = o->next_update != 0 ? X509_time_adj_ex (NULL, 0, o->next_update, NULL) : NULL;
  g_autoptr(ASN1_TIME) revoked = X509_time_adj_ex (NULL, 0, -HOUR, NULL);
  g_autoptr(OCSP_RESPONSE) response = NULL;
  unsigned char *der = NULL;
  int size;

  if (o->response_status != OCSP_RESPONSE_STATUS_SUCCESSFUL)
    response = OCSP_response_create (o->response_status, NULL);
  else
    {
      g_assert_nonnull (OCSP_basic_add1_status (basic, id, o->status, o->reason,
                                                o->status == V_OCSP_CERTSTATUS_REVOKED ? revoked : NULL,
                                                this_update, next_update));
      if (o->nonce != NULL)
        g_assert_cmpint (OCSP_basic_add1_nonce (basic, (unsigned char *) g_bytes_get_data (o->nonce, NULL),
                                                (int) g_bytes_get_size (o->nonce)), ==, 1);
      g_assert_cmpint (OCSP_basic_sign (basic, o->signer->cert, o->signer->key, EVP_sha256 (), NULL, 0), ==, 1);
      response = OCSP_response_create (OCSP_RESPONSE_STATUS_SUCCESSFUL, basic);
    }
  OCSP_CERTID_free (id);
  size = i2d_OCSP_RESPONSE (response, &der);
  g_assert_cmpint (size, >, 0);
  return cradle_openssl_take_der (der, size);
}

static OcspOptions
good_answer (Fixture *f,
             GBytes  *nonce)
{
  return (OcspOptions) {
    .signer = f->responder, .about = f->leaf->cert, .issuer = f->ca->cert,
    .status = V_OCSP_CERTSTATUS_GOOD, .reason = -1, .this_update = -60, .next_update = HOUR,
    .nonce = nonce, .response_status = OCSP_RESPONSE_STATUS_SUCCESSFUL,
  };
}

static GBytes *
fresh_nonce (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  GBytes *nonce = NULL;
  g_autoptr(GBytes) request = cradle_ocsp_request_new (f->leaf->outline, f->ca->cert, &nonce, &error);

  g_assert_no_error (error);
  g_assert_nonnull (request);
  g_assert_cmpuint (g_bytes_get_size (nonce), ==, 32);
  return nonce;
}

/* Checks @o's answer for the fixture's leaf: its state, or the error whose
 * message holds @words. */
static void
assert_ocsp (Fixture               *f,
             const OcspOptions     *o,
             GBytes                *nonce_sent,
             CradleRevocationState  state,
             const char            *words)
{
  g_autoptr(GBytes) answer = make_ocsp (o);
  g_autoptr(CradleRevocationResult) result = cradle_revocation_result_new ();
  g_autoptr(GError) error = NULL;
  gboolean ok = cradle_ocsp_check_response (answer, f->leaf->outline, f->ca->cert, NULL, nonce_sent, f->now, result, &error);

  if (words != NULL)
    {
      g_assert_false (ok);
      g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
      if (strstr (error->message, words) == NULL)
        g_error ("'%s' does not say '%s'", error->message, words);
      return;
    }
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpint (result->state, ==, state);
  g_assert_cmpstr (result->method, ==, "ocsp");
}

static void
test_ocsp_good (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GBytes) nonce = fresh_nonce (f);
  OcspOptions o = good_answer (f, nonce);

  /* From a responder the CA authorised, and from the CA itself. */
  assert_ocsp (f, &o, nonce, CRADLE_REVOCATION_GOOD, NULL);
  o.signer = f->ca;
  assert_ocsp (f, &o, nonce, CRADLE_REVOCATION_GOOD, NULL);
  /* A pre-signed answer carries no nonce: accepted (docs/security.md). */
  o.nonce = NULL;
  assert_ocsp (f, &o, nonce, CRADLE_REVOCATION_GOOD, NULL);
  /* A kept answer is read without a nonce to match. */
  assert_ocsp (f, &o, NULL, CRADLE_REVOCATION_GOOD, NULL);
}

static void
test_ocsp_revoked (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GBytes) nonce = fresh_nonce (f);
  OcspOptions o = good_answer (f, nonce);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(CradleRevocationResult) result = cradle_revocation_result_new ();
  g_autoptr(GError) error = NULL;

  o.status = V_OCSP_CERTSTATUS_REVOKED;
  o.reason = OCSP_REVOKED_STATUS_KEYCOMPROMISE;
  answer = make_ocsp (&o);
  g_assert_true (cradle_ocsp_check_response (answer, f->leaf->outline, f->ca->cert, NULL, nonce, f->now, result, &error));
  g_assert_no_error (error);
  g_assert_cmpint (result->state, ==, CRADLE_REVOCATION_REVOKED);
  g_assert_cmpint (result->reason, ==, 1);
  g_assert_cmpstr (cradle_revocation_reason_to_string (result->reason), ==, "keyCompromise");
  g_assert_cmpint (ABS (result->revoked_at - (f->now - HOUR)), <=, 5);

  /* The responder does not know it: a state, not good. */
  o.status = V_OCSP_CERTSTATUS_UNKNOWN;
  assert_ocsp (f, &o, nonce, CRADLE_REVOCATION_UNKNOWN, NULL);
}

static void
test_ocsp_wrong_responder (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GBytes) nonce = fresh_nonce (f);
  OcspOptions o = good_answer (f, nonce);

  /* Another CA's responder, with the OCSPSigning EKU of its own CA. */
  o.signer = f->other_responder;
  assert_ocsp (f, &o, nonce, 0, "not signed by the certificate's CA");
  /* Another CA itself. */
  o.signer = f->other_ca;
  assert_ocsp (f, &o, nonce, 0, "not signed by the certificate's CA");
  /* A certificate of the right CA, but not issued for OCSP signing. */
  o.signer = f->plain;
  assert_ocsp (f, &o, nonce, 0, "not signed by the certificate's CA");
  /* The leaf itself, on its own behalf. */
  o.signer = f->leaf;
  assert_ocsp (f, &o, nonce, 0, "not signed by the certificate's CA");
}

static void
test_ocsp_stale (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GBytes) nonce = fresh_nonce (f);
  OcspOptions o = good_answer (f, nonce);

  /* nextUpdate passed. */
  o.this_update = -2 * HOUR;
  o.next_update = -60;
  assert_ocsp (f, &o, nonce, 0, "stale");
  /* No nextUpdate, and thisUpdate older than an hour. */
  o.next_update = 0;
  assert_ocsp (f, &o, nonce, 0, "stale");
  /* No nextUpdate, and fresh: used (not kept). */
  o.this_update = -60;
  assert_ocsp (f, &o, nonce, CRADLE_REVOCATION_GOOD, NULL);
  /* Dated beyond the allowed skew. */
  o.this_update = 2 * CRADLE_REVOCATION_SKEW_SECONDS;
  o.next_update = HOUR;
  assert_ocsp (f, &o, nonce, 0, "future");
  /* Within the skew. */
  o.this_update = CRADLE_REVOCATION_SKEW_SECONDS / 2;
  assert_ocsp (f, &o, nonce, CRADLE_REVOCATION_GOOD, NULL);
}

static void
test_ocsp_other_certificate (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GBytes) nonce = fresh_nonce (f);
  OcspOptions o = good_answer (f, nonce);

  /* A good answer about another certificate of the same CA. */
  o.about = f->sibling->cert;
  assert_ocsp (f, &o, nonce, 0, "another certificate");
  /* About the leaf's serial under another issuer. */
  o.about = f->leaf->cert;
  o.issuer = f->other_ca->cert;
  o.signer = f->other_ca;
  assert_ocsp (f, &o, nonce, 0, "not signed by the certificate's CA");
}

/* Kept answers lose the certificates they carry (outside the signature);
 * the responder's is given back apart, and trusted no more for it. */
static void
test_ocsp_stripped (Fixture       *f,
                    gconstpointer  data)
{
  OcspOptions o = good_answer (f, NULL);
  g_autoptr(GBytes) answer = make_ocsp (&o);
  g_autoptr(GBytes) signer = NULL;
  g_autoptr(GBytes) stripped = NULL;
  g_autoptr(GBytes) responder_der = cert_der (f->responder->cert);
  g_autoptr(GError) error = NULL;

  stripped = cradle_ocsp_strip_certs (answer, &signer, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (stripped), <, g_bytes_get_size (answer));
  g_assert_true (g_bytes_equal (signer, responder_der));
  {
    g_autoptr(CradleRevocationResult) result = cradle_revocation_result_new ();

    g_assert_true (cradle_ocsp_check_response (stripped, f->leaf->outline, f->ca->cert, f->responder->cert, NULL,
                                               f->now, result, &error));
    g_assert_no_error (error);
    g_assert_cmpint (result->state, ==, CRADLE_REVOCATION_GOOD);
  }
  /* Without it, the signer cannot be found. */
  {
    g_autoptr(CradleRevocationResult) result = cradle_revocation_result_new ();

    g_assert_false (cradle_ocsp_check_response (stripped, f->leaf->outline, f->ca->cert, NULL, NULL, f->now, result,
                                                &error));
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
    g_clear_error (&error);
  }
  /* Another CA's responder, signer and given certificate alike: refused. */
  {
    g_autoptr(CradleRevocationResult) result = cradle_revocation_result_new ();
    g_autoptr(GBytes) other = NULL;
    g_autoptr(GBytes) other_signer = NULL;
    g_autoptr(GBytes) other_stripped = NULL;

    o.signer = f->other_responder;
    other = make_ocsp (&o);
    other_stripped = cradle_ocsp_strip_certs (other, &other_signer, &error);
    g_assert_no_error (error);
    g_assert_false (cradle_ocsp_check_response (other_stripped, f->leaf->outline, f->ca->cert,
                                                f->other_responder->cert, NULL, f->now, result, &error));
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
    g_clear_error (&error);
  }
  /* Not an OCSP answer: nothing to strip. */
  {
    g_autoptr(GBytes) junk = g_bytes_new_static ("\x30\x03\x0a\x01\x00", 5);
    g_autoptr(GBytes) junk_signer = NULL;

    g_assert_null (cradle_ocsp_strip_certs (junk, &junk_signer, &error));
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  }
}

static void
test_ocsp_nonce (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GBytes) nonce = fresh_nonce (f);
  g_autoptr(GBytes) other = fresh_nonce (f);
  OcspOptions o = good_answer (f, other);

  assert_ocsp (f, &o, nonce, 0, "another request's nonce");
  o.nonce = nonce;
  assert_ocsp (f, &o, nonce, CRADLE_REVOCATION_GOOD, NULL);
}

static void
test_ocsp_malformed (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GBytes) nonce = fresh_nonce (f);
  OcspOptions o = good_answer (f, nonce);
  g_autoptr(GBytes) answer = make_ocsp (&o);
  g_autoptr(CradleRevocationResult) result = cradle_revocation_result_new ();
  gsize size = 0;
  const guint8 *data_bytes = g_bytes_get_data (answer, &size);

  /* The responder's refusals. */
  o.response_status = OCSP_RESPONSE_STATUS_TRYLATER;
  assert_ocsp (f, &o, nonce, 0, "try later");
  o.response_status = OCSP_RESPONSE_STATUS_UNAUTHORIZED;
  assert_ocsp (f, &o, nonce, 0, "does not answer for this CA");

  /* Every truncation, and a byte after the end. */
  for (gsize cut = 0; cut < size; cut += 7)
    {
      g_autoptr(GBytes) part = g_bytes_new (data_bytes, cut);
      g_autoptr(GError) error = NULL;

      g_assert_false (cradle_ocsp_check_response (part, f->leaf->outline, f->ca->cert, NULL, nonce, f->now, result, &error));
      g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
    }
  {
    g_autofree guint8 *longer = g_malloc (size + 1);
    g_autoptr(GBytes) padded = NULL;
    g_autoptr(GError) error = NULL;

    memcpy (longer, data_bytes, size);
    longer[size] = 0;
    padded = g_bytes_new (longer, size + 1);
    g_assert_false (cradle_ocsp_check_response (padded, f->leaf->outline, f->ca->cert, NULL, nonce, f->now, result, &error));
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  }
  /* One flipped bit in the signed part breaks the signature. */
  {
    g_autofree guint8 *flipped = g_memdup2 (data_bytes, size);
    g_autoptr(GBytes) bad = NULL;
    g_autoptr(GError) error = NULL;

    flipped[size / 2] ^= 0x01;
    bad = g_bytes_new (flipped, size);
    g_assert_false (cradle_ocsp_check_response (bad, f->leaf->outline, f->ca->cert, NULL, nonce, f->now, result, &error));
    g_assert_nonnull (error);
  }
}

/* ---- CRLs --------------------------------------------------------------------- */

static void
assert_crl (Fixture               *f,
            const CrlOptions      *o,
            CradleRevocationState  state,
            const char            *words)
{
  g_autoptr(GBytes) crl = make_crl (o);
  g_autoptr(CradleRevocationResult) result = cradle_revocation_result_new ();
  g_autoptr(GError) error = NULL;
  gboolean ok = cradle_crl_check (crl, f->leaf->outline, f->ca->cert, f->now, result, &error);

  if (words != NULL)
    {
      g_assert_false (ok);
      g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
      if (strstr (error->message, words) == NULL)
        g_error ("'%s' does not say '%s'", error->message, words);
      return;
    }
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpint (result->state, ==, state);
  g_assert_cmpstr (result->method, ==, "crl");
}

static void
test_crl (Fixture       *f,
          gconstpointer  data)
{
  CrlOptions o = { .signer = f->ca, .this_update = -60, .next_update = HOUR };

  /* Empty, and listing another certificate: good. */
  assert_crl (f, &o, CRADLE_REVOCATION_GOOD, NULL);
  o.revoked_serial = serial_of (f->sibling->cert);
  o.reason = 4;
  assert_crl (f, &o, CRADLE_REVOCATION_GOOD, NULL);
  /* Listing the leaf: revoked, with its reason and date. */
  o.revoked_serial = serial_of (f->leaf->cert);
  {
    g_autoptr(GBytes) crl = make_crl (&o);
    g_autoptr(CradleRevocationResult) result = cradle_revocation_result_new ();
    g_autoptr(GError) error = NULL;

    g_assert_true (cradle_crl_check (crl, f->leaf->outline, f->ca->cert, f->now, result, &error));
    g_assert_no_error (error);
    g_assert_cmpint (result->state, ==, CRADLE_REVOCATION_REVOKED);
    g_assert_cmpint (result->reason, ==, 4);
    g_assert_cmpstr (cradle_revocation_reason_to_string (result->reason), ==, "superseded");
    g_assert_cmpint (ABS (result->revoked_at - (f->now - HOUR)), <=, 5);
    g_assert_cmpint (ABS (result->next_update - (f->now + HOUR)), <=, 5);
  }
}

static void
test_crl_refused (Fixture       *f,
                  gconstpointer  data)
{
  CrlOptions o = { .signer = f->other_ca, .issuer_name = X509_get_subject_name (f->ca->cert),
                   .revoked_serial = 0, .this_update = -60, .next_update = HOUR };

  /* Another CA's key under this CA's name: it would say the leaf is good. */
  assert_crl (f, &o, 0, "does not verify");
  /* Another CA's CRL, properly its own. */
  o.issuer_name = NULL;
  assert_crl (f, &o, 0, "another CA");
  /* Stale, no nextUpdate, from the future. */
  o.signer = f->ca;
  o.this_update = -2 * HOUR;
  o.next_update = -60;
  assert_crl (f, &o, 0, "stale");
  o.next_update = 0;
  assert_crl (f, &o, 0, "no nextUpdate");
  o.this_update = 2 * CRADLE_REVOCATION_SKEW_SECONDS;
  o.next_update = HOUR;
  assert_crl (f, &o, 0, "future");
  /* A delta CRL alone. */
  o.this_update = -60;
  o.delta = TRUE;
  assert_crl (f, &o, 0, "delta");
  /* A CA whose key usage does not allow CRL signing. */
  {
    g_autoptr(GBytes) crl = NULL;
    g_autoptr(CradleRevocationResult) result = cradle_revocation_result_new ();
    g_autoptr(GError) error = NULL;
    CrlOptions plain = { .signer = f->plain, .this_update = -60, .next_update = HOUR };

    crl = make_crl (&plain);
    g_assert_false (cradle_crl_check (crl, f->leaf->outline, f->plain->cert, f->now, result, &error));
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  }
}

static void
test_urls (Fixture       *f,
           gconstpointer  data)
{
  g_autofree char *ocsp = cradle_ocsp_dup_url (f->leaf->outline);
  g_auto(GStrv) crls = cradle_crl_dup_urls (f->leaf->outline);
  g_autofree char *none = cradle_ocsp_dup_url (f->ca->outline);
  g_auto(GStrv) no_crls = cradle_crl_dup_urls (f->ca->outline);
  g_autofree char *dn = NULL;
  g_autofree char *attribute = NULL;
  g_autofree char *filter = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (ocsp, ==, "http://127.0.0.1:9/ocsp");
  g_assert_cmpuint (g_strv_length (crls), ==, 1);
  g_assert_cmpstr (crls[0], ==, "http://127.0.0.1:9/ca.crl");
  g_assert_null (none);
  g_assert_cmpuint (g_strv_length (no_crls), ==, 0);

  /* As AD CS writes its CDP. */
  g_assert_true (cradle_revocation_parse_ldap_url (
    "ldap:///CN=Lab%20CA,CN=ca1,CN=CDP,CN=Public%20Key%20Services,CN=Services,CN=Configuration,"
    "DC=corp,DC=example,DC=test?certificateRevocationList?base?objectClass=cRLDistributionPoint",
    &dn, &attribute, &filter, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (dn, ==, "CN=Lab CA,CN=ca1,CN=CDP,CN=Public Key Services,CN=Services,CN=Configuration,"
                           "DC=corp,DC=example,DC=test");
  g_assert_cmpstr (attribute, ==, "certificateRevocationList");
  g_assert_cmpstr (filter, ==, "(objectClass=cRLDistributionPoint)");
  g_clear_pointer (&dn, g_free);
  g_clear_pointer (&attribute, g_free);
  g_clear_pointer (&filter, g_free);
  g_assert_true (cradle_revocation_parse_ldap_url ("ldap:///CN=x?certificateRevocationList;binary", &dn, &attribute,
                                                   &filter, &error));
  g_assert_cmpstr (attribute, ==, "certificateRevocationList");
  g_assert_cmpstr (filter, ==, "(objectClass=*)");
  /* Another server, another scope, a malformed attribute: refused. */
  g_assert_false (cradle_revocation_parse_ldap_url ("ldap://evil.example/CN=x", &dn, &attribute, &filter, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);
  g_assert_false (cradle_revocation_parse_ldap_url ("ldap:///CN=x?a?sub?(x=y)", &dn, &attribute, &filter, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);
  g_assert_false (cradle_revocation_parse_ldap_url ("ldap:///CN=x?a)(b", &dn, &attribute, &filter, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_clear_error (&error);
  g_assert_false (cradle_revocation_parse_ldap_url ("ldap:///?a", &dn, &attribute, &filter, &error));
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
}

/* The leaf as revocation checks read it, its key left alone: the same
 * serial and times as OpenSSL's, and its signature checked over the bytes
 * that came. */
static void
test_leaf (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GBytes) der = cert_der (f->leaf->cert);
  g_autoptr(GError) error = NULL;
  gsize size = 0;
  const guint8 *bytes = g_bytes_get_data (der, &size);

  g_assert_cmpint (ASN1_INTEGER_cmp (cradle_leaf_get_serial (f->leaf->outline), X509_get0_serialNumber (f->leaf->cert)),
                   ==, 0);
  g_assert_cmpint (X509_NAME_cmp (cradle_leaf_get_issuer_name (f->leaf->outline), X509_get_issuer_name (f->leaf->cert)),
                   ==, 0);
  g_assert_cmpint (ABS (cradle_leaf_get_not_before (f->leaf->outline) - (f->now - HOUR)), <=, 5);
  g_assert_true (cradle_leaf_is_issued_by (f->leaf->outline, f->ca->cert));
  g_assert_false (cradle_leaf_is_issued_by (f->leaf->outline, f->other_ca->cert));
  g_assert_false (cradle_leaf_is_issued_by (f->leaf->outline, f->responder->cert));
  /* One bit of the serial changed: the signature no longer verifies. */
  {
    g_autofree guint8 *changed = g_memdup2 (bytes, size);
    g_autoptr(GBytes) forged = NULL;
    g_autoptr(CradleLeaf) leaf = NULL;
    long serial = ASN1_INTEGER_get (X509_get0_serialNumber (f->leaf->cert));
    guint8 last = (guint8) (serial & 0xff);

    for (gsize i = 0; i + 1 < size; i++)
      if (changed[i] == last && changed[i + 1] == 0x30)
        {
          changed[i] ^= 0x01;
          break;
        }
    forged = g_bytes_new (changed, size);
    leaf = cradle_leaf_new_from_der (forged, &error);
    g_assert_no_error (error);
    g_assert_false (cradle_leaf_is_issued_by (leaf, f->ca->cert));
  }
  /* Not one certificate: refused. */
  {
    g_autoptr(GBytes) cut = g_bytes_new (bytes, size - 1);
    g_autoptr(CradleLeaf) leaf = cradle_leaf_new_from_der (cut, &error);

    g_assert_null (leaf);
    g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  }
}

/* ---- the checker: cache and unreachable servers ------------------------------- */

static void
test_checker_unreachable (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *folder = g_dir_make_tmp ("cradle-revocation-XXXXXX", NULL);
  g_autoptr(CradleRevocationChecker) checker = cradle_revocation_checker_new ();
  g_autoptr(CradleRevocationResult) result = NULL;
  g_autoptr(CradleRevocationResult) again = NULL;
  g_autoptr(GError) error = NULL;

  cradle_revocation_checker_set_cache_folder (checker, folder);
  cradle_revocation_checker_set_timeout (checker, 5);
  /* Nothing listens on the discard port of loopback. */
  result = cradle_revocation_checker_check (checker, f->leaf->outline, f->ca->cert, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (result);
  g_assert_cmpint (result->state, ==, CRADLE_REVOCATION_UNKNOWN);
  g_assert_nonnull (strstr (result->detail, "the OCSP responder at http://127.0.0.1:9/ocsp"));
  g_assert_nonnull (strstr (result->detail, "the CRL at http://127.0.0.1:9/ca.crl"));
  /* The next certificate of the same CA is not made to wait again, and
   * gets the same reasons. */
  again = cradle_revocation_checker_check (checker, f->sibling->outline, f->ca->cert, 0, NULL, &error);
  g_assert_cmpint (again->state, ==, CRADLE_REVOCATION_UNKNOWN);
  g_assert_cmpstr (again->detail, ==, result->detail);
  /* A certificate naming no address. */
  g_clear_pointer (&again, cradle_revocation_result_free);
  again = cradle_revocation_checker_check (checker, f->plain->outline, f->ca->cert, 0, NULL, &error);
  g_assert_cmpint (again->state, ==, CRADLE_REVOCATION_UNKNOWN);
  g_assert_nonnull (strstr (again->detail, "names no OCSP responder"));
  g_rmdir (folder);
}

static void
test_checker_cache (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *folder = g_dir_make_tmp ("cradle-revocation-XXXXXX", NULL);
  g_autoptr(CradleRevocationCache) cache = cradle_revocation_cache_new (folder);
  g_autoptr(CradleRevocationChecker) checker = cradle_revocation_checker_new ();
  g_autofree char *crl_key = cradle_revocation_cache_crl_key ("http://127.0.0.1:9/ca.crl");
  g_autofree char *ocsp_key = cradle_revocation_cache_ocsp_key (f->leaf->outline, f->ca->cert);
  g_autofree char *crl_path = g_build_filename (folder, crl_key, NULL);
  g_autofree char *ocsp_path = g_build_filename (folder, ocsp_key, NULL);
  CrlOptions revoking = { .signer = f->ca, .revoked_serial = serial_of (f->leaf->cert), .reason = 1,
                          .this_update = -60, .next_update = HOUR };
  g_autoptr(GBytes) crl = make_crl (&revoking);
  g_autoptr(GError) error = NULL;

  cradle_revocation_checker_set_cache_folder (checker, folder);
  cradle_revocation_checker_set_online (checker, FALSE);

  /* Nothing kept, nothing asked. */
  {
    g_autoptr(CradleRevocationResult) result = cradle_revocation_checker_check (checker, f->leaf->outline,
                                                                                 f->ca->cert, 0, NULL, &error);

    g_assert_cmpint (result->state, ==, CRADLE_REVOCATION_UNKNOWN);
    g_assert_nonnull (strstr (result->detail, "no revocation answer is kept"));
  }
  /* A kept CRL, verified again: revoked, from the cache. */
  g_assert_true (cradle_revocation_cache_store (cache, crl_key, crl, &error));
  g_assert_no_error (error);
  {
    g_autoptr(CradleRevocationChecker) reader = cradle_revocation_checker_new ();
    g_autoptr(CradleRevocationResult) result = NULL;
    struct stat st;

    cradle_revocation_checker_set_cache_folder (reader, folder);
    cradle_revocation_checker_set_online (reader, FALSE);
    result = cradle_revocation_checker_check (reader, f->leaf->outline, f->ca->cert, 0, NULL, &error);
    g_assert_cmpint (result->state, ==, CRADLE_REVOCATION_REVOKED);
    g_assert_true (result->cached);
    g_assert_cmpstr (result->method, ==, "crl");
    g_assert_cmpint (g_stat (crl_path, &st), ==, 0);
    g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  }
  /* A kept OCSP answer comes first; one about another certificate or
   * signed by another CA put in its place is dropped, not believed. */
  {
    OcspOptions good = good_answer (f, NULL);
    g_autoptr(GBytes) answer = NULL;
    g_autoptr(CradleRevocationChecker) reader = cradle_revocation_checker_new ();
    g_autoptr(CradleRevocationResult) result = NULL;

    good.signer = f->other_responder;
    answer = make_ocsp (&good);
    g_assert_true (cradle_revocation_cache_store (cache, ocsp_key, answer, &error));
    cradle_revocation_checker_set_cache_folder (reader, folder);
    cradle_revocation_checker_set_online (reader, FALSE);
    result = cradle_revocation_checker_check (reader, f->leaf->outline, f->ca->cert, 0, NULL, &error);
    g_assert_cmpint (result->state, ==, CRADLE_REVOCATION_REVOKED);
    g_assert_false (g_file_test (ocsp_path, G_FILE_TEST_EXISTS));
  }
  /* A stale kept CRL is dropped; and garbage is not an answer. */
  {
    CrlOptions stale = revoking;
    g_autoptr(GBytes) old = NULL;
    g_autoptr(CradleRevocationChecker) reader = cradle_revocation_checker_new ();
    g_autoptr(CradleRevocationResult) result = NULL;

    stale.this_update = -2 * HOUR;
    stale.next_update = -HOUR;
    old = make_crl (&stale);
    g_assert_true (cradle_revocation_cache_store (cache, crl_key, old, &error));
    cradle_revocation_checker_set_cache_folder (reader, folder);
    cradle_revocation_checker_set_online (reader, FALSE);
    result = cradle_revocation_checker_check (reader, f->leaf->outline, f->ca->cert, 0, NULL, &error);
    g_assert_cmpint (result->state, ==, CRADLE_REVOCATION_UNKNOWN);
    g_assert_false (g_file_test (crl_path, G_FILE_TEST_EXISTS));
    g_assert_true (g_file_set_contents (crl_path, "not a CRL", -1, NULL));
    g_clear_pointer (&result, cradle_revocation_result_free);
    result = cradle_revocation_checker_check (reader, f->leaf->outline, f->ca->cert, 0, NULL, &error);
    g_assert_cmpint (result->state, ==, CRADLE_REVOCATION_UNKNOWN);
  }
  /* A file larger than the bound is not read. */
  {
    g_autoptr(GBytes) big = g_bytes_new_take (g_malloc0 (CRADLE_OCSP_MAX_RESPONSE + 1), CRADLE_OCSP_MAX_RESPONSE + 1);

    g_assert_true (cradle_revocation_cache_store (cache, ocsp_key, big, &error));
    g_assert_null (cradle_revocation_cache_load (cache, ocsp_key, CRADLE_OCSP_MAX_RESPONSE));
    cradle_revocation_cache_forget (cache, ocsp_key);
  }
  g_unlink (crl_path);
  g_rmdir (folder);
}

#define ADD(name, func) \
  g_test_add ("/revocation/" name, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  ADD ("ocsp/good", test_ocsp_good);
  ADD ("ocsp/revoked", test_ocsp_revoked);
  ADD ("ocsp/wrong-responder", test_ocsp_wrong_responder);
  ADD ("ocsp/stale", test_ocsp_stale);
  ADD ("ocsp/other-certificate", test_ocsp_other_certificate);
  ADD ("ocsp/nonce", test_ocsp_nonce);
  ADD ("ocsp/stripped", test_ocsp_stripped);
  ADD ("ocsp/malformed", test_ocsp_malformed);
  ADD ("crl/good-and-revoked", test_crl);
  ADD ("crl/refused", test_crl_refused);
  ADD ("urls", test_urls);
  ADD ("leaf", test_leaf);
  ADD ("checker/unreachable", test_checker_unreachable);
  ADD ("checker/cache", test_checker_cache);
  return g_test_run ();
}
