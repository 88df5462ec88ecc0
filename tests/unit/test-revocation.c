/* test-revocation.c: OCSP answers and CRLs read and verified, the cache, the
 * renewal window, the template extensions, and a device's certificates
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

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OCSP_BASICRESP, OCSP_BASICRESP_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OCSP_RESPONSE, OCSP_RESPONSE_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OCSP_CERTID, OCSP_CERTID_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ASN1_TIME, ASN1_TIME_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509_REVOKED, X509_REVOKED_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ASN1_INTEGER, ASN1_INTEGER_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ASN1_ENUMERATED, ASN1_ENUMERATED_free)

#define HOUR 3600
#define DAY  86400

/* ---- a small PKI ---------------------------------------------------------- */

typedef struct {
  EVP_PKEY   *key;
  X509       *cert;
  CradleLeaf *outline;   /* the same certificate as revocation checks read it */
} Pki;

static void
pki_free (Pki *pki)
{
  if (pki == NULL)
    return;
  EVP_PKEY_free (pki->key);
  X509_free (pki->cert);
  cradle_leaf_free (pki->outline);
  g_free (pki);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Pki, pki_free)

typedef struct {
  const char *ocsp_url;
  const char *crl_url;
  const char *eku;
  gint64      not_before;   /* offsets from now, seconds */
  gint64      not_after;
  long        serial;
  GBytes     *template_oid_ext;   /* DER value of 1.3.6.1.4.1.311.21.7 */
  GBytes     *template_name_ext;  /* DER value of 1.3.6.1.4.1.311.20.2 */
} CertOptions;

static void
add_ext (X509       *cert,
         X509       *issuer,
         int         nid,
         const char *value)
{
  X509V3_CTX ctx;
  g_autoptr(X509_EXTENSION) ext = NULL;

  X509V3_set_ctx (&ctx, issuer, cert, NULL, NULL, 0);
  ext = X509V3_EXT_conf_nid (NULL, &ctx, nid, value);
  g_assert_nonnull (ext);
  g_assert_cmpint (X509_add_ext (cert, ext, -1), ==, 1);
}

static void
add_raw_ext (X509       *cert,
             const char *oid,
             GBytes     *value)
{
  g_autoptr(ASN1_OBJECT) object = OBJ_txt2obj (oid, 1);
  g_autoptr(ASN1_STRING) data = ASN1_OCTET_STRING_new ();
  g_autoptr(X509_EXTENSION) ext = NULL;

  g_assert_true (ASN1_OCTET_STRING_set (data, g_bytes_get_data (value, NULL), (int) g_bytes_get_size (value)));
  ext = X509_EXTENSION_create_by_OBJ (NULL, object, 0, data);
  g_assert_nonnull (ext);
  g_assert_cmpint (X509_add_ext (cert, ext, -1), ==, 1);
}

/* A P-256 certificate: a CA's when @issuer is %NULL (self-signed) or @ca. */
static Pki *
make_cert (Pki               *issuer,
           const char        *common_name,
           gboolean           ca,
           const CertOptions *options)
{
  Pki *pki = g_new0 (Pki, 1);
  X509_NAME *name;
  CertOptions none = { 0 };

  if (options == NULL)
    options = &none;
  pki->key = EVP_EC_gen ("P-256");
  g_assert_nonnull (pki->key);
  pki->cert = X509_new ();
  X509_set_version (pki->cert, 2);
  ASN1_INTEGER_set (X509_get_serialNumber (pki->cert), options->serial != 0 ? options->serial : g_random_int_range (1000, G_MAXINT32));
  X509_gmtime_adj (X509_getm_notBefore (pki->cert), options->not_before != 0 ? options->not_before : -HOUR);
  X509_gmtime_adj (X509_getm_notAfter (pki->cert), options->not_after != 0 ? options->not_after : 365 * DAY);
  name = X509_get_subject_name (pki->cert);
  X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8, (const unsigned char *) common_name, -1, -1, 0);
  X509_set_issuer_name (pki->cert, issuer != NULL ? X509_get_subject_name (issuer->cert) : name);
  X509_set_pubkey (pki->cert, pki->key);
  if (ca)
    {
      add_ext (pki->cert, issuer != NULL ? issuer->cert : pki->cert, NID_basic_constraints, "critical,CA:TRUE");
      add_ext (pki->cert, issuer != NULL ? issuer->cert : pki->cert, NID_key_usage, "critical,keyCertSign,cRLSign");
    }
  else
    add_ext (pki->cert, issuer->cert, NID_key_usage, "critical,digitalSignature");
  if (options->eku != NULL)
    add_ext (pki->cert, issuer->cert, NID_ext_key_usage, options->eku);
  if (options->ocsp_url != NULL)
    {
      g_autofree char *value = g_strdup_printf ("OCSP;URI:%s", options->ocsp_url);

      add_ext (pki->cert, issuer->cert, NID_info_access, value);
    }
  if (options->crl_url != NULL)
    {
      g_autofree char *value = g_strdup_printf ("URI:%s", options->crl_url);

      add_ext (pki->cert, issuer->cert, NID_crl_distribution_points, value);
    }
  if (options->template_oid_ext != NULL)
    add_raw_ext (pki->cert, "1.3.6.1.4.1.311.21.7", options->template_oid_ext);
  if (options->template_name_ext != NULL)
    add_raw_ext (pki->cert, "1.3.6.1.4.1.311.20.2", options->template_name_ext);
  g_assert_cmpint (X509_sign (pki->cert, issuer != NULL ? issuer->key : pki->key, EVP_sha256 ()), >, 0);
  {
    unsigned char *der = NULL;
    int size = i2d_X509 (pki->cert, &der);
    g_autoptr(GBytes) bytes = cradle_openssl_take_der (der, size);
    g_autoptr(GError) error = NULL;

    pki->outline = cradle_leaf_new_from_der (bytes, &error);
    g_assert_no_error (error);
  }
  return pki;
}

static GBytes *
cert_der (X509 *cert)
{
  unsigned char *der = NULL;
  int size = i2d_X509 (cert, &der);

  g_assert_cmpint (size, >, 0);
  return cradle_openssl_take_der (der, size);
}

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

typedef struct {
  Pki *ca;
  Pki *responder;      /* issued by ca, OCSPSigning */
  Pki *plain;          /* issued by ca, no OCSPSigning */
  Pki *other_ca;
  Pki *other_responder;
  Pki *leaf;
  Pki *sibling;        /* another certificate of ca */
  gint64 now;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  CertOptions responder = { .eku = "OCSPSigning" };
  CertOptions leaf = { .ocsp_url = "http://127.0.0.1:9/ocsp", .crl_url = "http://127.0.0.1:9/ca.crl" };

  f->ca = make_cert (NULL, "Test CA", TRUE, NULL);
  f->responder = make_cert (f->ca, "Test OCSP", FALSE, &responder);
  f->plain = make_cert (f->ca, "Not a responder", FALSE, NULL);
  f->other_ca = make_cert (NULL, "Other CA", TRUE, NULL);
  f->other_responder = make_cert (f->other_ca, "Other OCSP", FALSE, &responder);
  f->leaf = make_cert (f->ca, "phone", FALSE, &leaf);
  f->sibling = make_cert (f->ca, "tablet", FALSE, &leaf);
  f->now = g_get_real_time () / G_USEC_PER_SEC;
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_pointer (&f->ca, pki_free);
  g_clear_pointer (&f->responder, pki_free);
  g_clear_pointer (&f->plain, pki_free);
  g_clear_pointer (&f->other_ca, pki_free);
  g_clear_pointer (&f->other_responder, pki_free);
  g_clear_pointer (&f->leaf, pki_free);
  g_clear_pointer (&f->sibling, pki_free);
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

typedef struct {
  Pki        *signer;
  X509_NAME  *issuer_name;   /* %NULL: the signer's subject */
  long        revoked_serial; /* 0: none */
  int         reason;
  gint64      this_update;
  gint64      next_update;   /* 0: none */
  gboolean    delta;
} CrlOptions;

static GBytes *
make_crl (const CrlOptions *o)
{
  g_autoptr(X509_CRL) crl = X509_CRL_new ();
  g_autoptr(ASN1_TIME) this_update = X509_time_adj_ex (NULL, 0, o->this_update, NULL);
  g_autoptr(ASN1_TIME) next_update = o->next_update != 0 ? X509_time_adj_ex (NULL, 0, o->next_update, NULL) : NULL;
  unsigned char *der = NULL;
  int size;

  X509_CRL_set_version (crl, 1);
  X509_CRL_set_issuer_name (crl, o->issuer_name != NULL ? o->issuer_name : X509_get_subject_name (o->signer->cert));
  X509_CRL_set1_lastUpdate (crl, this_update);
  if (next_update != NULL)
    X509_CRL_set1_nextUpdate (crl, next_update);
  if (o->revoked_serial != 0)
    {
      X509_REVOKED *entry = X509_REVOKED_new ();
      g_autoptr(ASN1_INTEGER) serial = ASN1_INTEGER_new ();
      g_autoptr(ASN1_TIME) when = X509_time_adj_ex (NULL, 0, -HOUR, NULL);
      g_autoptr(ASN1_ENUMERATED) reason = ASN1_ENUMERATED_new ();

      ASN1_INTEGER_set (serial, o->revoked_serial);
      X509_REVOKED_set_serialNumber (entry, serial);
      X509_REVOKED_set_revocationDate (entry, when);
      ASN1_ENUMERATED_set (reason, o->reason);
      X509_REVOKED_add1_ext_i2d (entry, NID_crl_reason, reason, 0, 0);
      X509_CRL_add0_revoked (crl, entry);
    }
  if (o->delta)
    {
      g_autoptr(ASN1_INTEGER) base = ASN1_INTEGER_new ();

      ASN1_INTEGER_set (base, 1);
      X509_CRL_add1_ext_i2d (crl, NID_delta_crl, base, 1, 0);
    }
  X509_CRL_sort (crl);
  g_assert_cmpint (X509_CRL_sign (crl, o->signer->key, EVP_sha256 ()), >, 0);
  size = i2d_X509_CRL (crl, &der);
  g_assert_cmpint (size, >, 0);
  return cradle_openssl_take_der (der, size);
}

static long
serial_of (X509 *cert)
{
  return ASN1_INTEGER_get (X509_get0_serialNumber (cert));
}

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

/* ---- periods, windows, verdicts -------------------------------------------------- */

static void
test_period_decoding (void)
{
  static const guint8 year[8] = { 0x00, 0x40, 0x39, 0x87, 0x2E, 0xE1, 0xFE, 0xFF };
  static const guint8 six_weeks[8] = { 0x00, 0x80, 0xA6, 0x0A, 0xFF, 0xDE, 0xFF, 0xFF };
  static const guint8 most_negative[8] = { 0, 0, 0, 0, 0, 0, 0, 0x80 };
  guint64 seconds = 1;

  g_assert_true (cradle_template_decode_period (year, sizeof year, &seconds));
  g_assert_cmpuint (seconds, ==, 365 * DAY);
  g_assert_true (cradle_template_decode_period (six_weeks, sizeof six_weeks, &seconds));
  g_assert_cmpuint (seconds, ==, 42 * DAY);
  /* The extreme value does not overflow. */
  g_assert_true (cradle_template_decode_period (most_negative, sizeof most_negative, &seconds));
  g_assert_cmpuint (seconds, ==, (guint64) G_MAXINT64 / 10000000u);
  g_assert_false (cradle_template_decode_period (year, 7, &seconds));
  g_assert_cmpuint (seconds, ==, 0);
}

static void
test_renewal_window (void)
{
  const gint64 start = 1700000000;
  const gint64 year = 365 * DAY;

  /* lifecycle.md: a one-year certificate with a six-week period renews in week 46. */
  g_assert_cmpint (cradle_renewal_window_for_template (start, start + year, 42 * DAY), ==, start + year - 42 * DAY);
  g_assert_cmpint ((cradle_renewal_window_for_template (start, start + year, 42 * DAY) - start) / (7 * DAY), ==, 46);
  /* A period longer than a fifth of the life: the 80% decides. */
  g_assert_cmpint (cradle_renewal_window_for_template (start, start + 100 * DAY, 30 * DAY), ==, start + 80 * DAY);
  /* Exactly a fifth: both agree. */
  g_assert_cmpint (cradle_renewal_window_for_template (start, start + 100 * DAY, 20 * DAY), ==, start + 80 * DAY);
  /* One second less than a fifth: the period decides, one second later. */
  g_assert_cmpint (cradle_renewal_window_for_template (start, start + 100 * DAY, 20 * DAY - 1), ==,
                   start + 80 * DAY + 1);
  /* Unset, longer than the life, far beyond it. */
  g_assert_cmpint (cradle_renewal_window_for_template (start, start + 100, 0), ==, start + 80);
  g_assert_cmpint (cradle_renewal_window_for_template (start, start + 100, 1000), ==, start + 80);
  g_assert_cmpint (cradle_renewal_window_for_template (start, start + 100, G_MAXUINT64), ==, start + 80);
  /* A certificate whose end is not after its start: due at once. */
  g_assert_cmpint (cradle_renewal_window_for_template (start, start, 10), ==, start);
  g_assert_cmpint (cradle_renewal_window_for_template (start, start - 10, 10), ==, start);
  /* Shares of the lifetime, rounded down; huge lives do not overflow. */
  g_assert_cmpint (cradle_renewal_window_for_share (start, start + 100, 80), ==, start + 80);
  g_assert_cmpint (cradle_renewal_window_for_share (start, start + 101, 80), ==, start + 80);
  g_assert_cmpint (cradle_renewal_window_for_share (start, start + 99, 99), ==, start + 98);
  g_assert_cmpint (cradle_renewal_window_for_share (start, start + 1, 99), ==, start);
  g_assert_cmpint (cradle_renewal_window_for_share (start, start + 10 * 60, 50), ==, start + 5 * 60);
  g_assert_cmpint (cradle_renewal_window_for_share (0, G_MAXINT64, 99), ==,
                   (G_MAXINT64 / 100) * 99 + (G_MAXINT64 % 100) * 99 / 100);
}

static void
test_verdict (void)
{
  const gint64 nb = 1000;
  const gint64 na = 2000;
  const gint64 renew = 1800;

  g_assert_cmpint (cradle_cert_verdict_at (nb, na, renew, CRADLE_REVOCATION_GOOD, nb), ==, CRADLE_CERT_VERDICT_VALID);
  g_assert_cmpint (cradle_cert_verdict_at (nb, na, renew, CRADLE_REVOCATION_GOOD, renew - 1), ==,
                   CRADLE_CERT_VERDICT_VALID);
  g_assert_cmpint (cradle_cert_verdict_at (nb, na, renew, CRADLE_REVOCATION_GOOD, renew), ==,
                   CRADLE_CERT_VERDICT_RENEW_SOON);
  g_assert_cmpint (cradle_cert_verdict_at (nb, na, renew, CRADLE_REVOCATION_GOOD, na - 1), ==,
                   CRADLE_CERT_VERDICT_RENEW_SOON);
  g_assert_cmpint (cradle_cert_verdict_at (nb, na, renew, CRADLE_REVOCATION_GOOD, na), ==,
                   CRADLE_CERT_VERDICT_EXPIRED);
  g_assert_cmpint (cradle_cert_verdict_at (nb, na, renew, CRADLE_REVOCATION_GOOD, nb - 1), ==,
                   CRADLE_CERT_VERDICT_EXPIRED);
  /* Revoked wins over everything; unknown only on an otherwise valid one. */
  g_assert_cmpint (cradle_cert_verdict_at (nb, na, renew, CRADLE_REVOCATION_REVOKED, nb), ==,
                   CRADLE_CERT_VERDICT_REVOKED);
  g_assert_cmpint (cradle_cert_verdict_at (nb, na, renew, CRADLE_REVOCATION_UNKNOWN, nb), ==,
                   CRADLE_CERT_VERDICT_UNKNOWN);
  g_assert_cmpint (cradle_cert_verdict_at (nb, na, renew, CRADLE_REVOCATION_UNKNOWN, renew), ==,
                   CRADLE_CERT_VERDICT_RENEW_SOON);
  g_assert_cmpint (cradle_cert_verdict_at (nb, na, renew, CRADLE_REVOCATION_UNKNOWN, na), ==,
                   CRADLE_CERT_VERDICT_EXPIRED);
  g_assert_cmpstr (cradle_cert_verdict_to_string (CRADLE_CERT_VERDICT_RENEW_SOON), ==, "renew-soon");
}

/* ---- template extensions, and a device's certificates ----------------------- */

static GBytes *
hex_bytes (const char *hex)
{
  gsize length = strlen (hex) / 2;
  guint8 *bytes = g_malloc (length);

  for (gsize i = 0; i < length; i++)
    bytes[i] = (guint8) ((g_ascii_xdigit_value (hex[2 * i]) << 4) | g_ascii_xdigit_value (hex[2 * i + 1]));
  return g_bytes_new_take (bytes, length);
}

static void
test_template_extension (Fixture       *f,
                         gconstpointer  data)
{
  /* SEQUENCE { OID 1.3.6.1.4.1.311.21.8.1.2, INTEGER 100, INTEGER 3 } */
  g_autoptr(GBytes) oid_ext = hex_bytes ("3013060b2b06010401823715080102020164020103");
  /* BMPString "User" */
  g_autoptr(GBytes) name_ext = hex_bytes ("1e080055007300650072");
  /* A BMPString of odd length, and a SEQUENCE with garbage after it. */
  g_autoptr(GBytes) odd_name = hex_bytes ("1e0700550073006500");
  g_autoptr(GBytes) trailing = hex_bytes ("3013060b2b06010401823715080102020164020103" "00");
  CertOptions with = { .template_oid_ext = oid_ext, .template_name_ext = name_ext };
  CertOptions broken = { .template_oid_ext = trailing, .template_name_ext = odd_name };
  g_autoptr(Pki) named = make_cert (f->ca, "named", FALSE, &with);
  g_autoptr(Pki) bad = make_cert (f->ca, "bad", FALSE, &broken);
  g_autofree char *oid = NULL;
  g_autofree char *name = NULL;
  guint major = 0;

  cradle_template_extension_read (cradle_leaf_get_extensions (named->outline), &oid, &major, &name);
  g_assert_cmpstr (oid, ==, "1.3.6.1.4.1.311.21.8.1.2");
  g_assert_cmpuint (major, ==, 100);
  g_assert_cmpstr (name, ==, "User");
  g_clear_pointer (&oid, g_free);
  g_clear_pointer (&name, g_free);
  cradle_template_extension_read (cradle_leaf_get_extensions (bad->outline), &oid, &major, &name);
  g_assert_null (oid);
  g_assert_null (name);
  cradle_template_extension_read (cradle_leaf_get_extensions (f->leaf->outline), &oid, &major, &name);
  g_assert_null (oid);
  g_assert_null (name);
}

static void
add_device_cert (GPtrArray  *certs,
                 const char *store,
                 X509       *cert,
                 GBytes     *key_id)
{
  g_autoptr(GBytes) der = cert_der (cert);

  g_ptr_array_add (certs, cradle_device_cert_new (store, "user", der, key_id));
}

static void
test_device_status (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *folder = g_dir_make_tmp ("cradle-status-XXXXXX", NULL);
  g_autofree char *cache_folder = g_build_filename (folder, "cache", NULL);
  g_autofree char *revocation_folder = g_build_filename (cache_folder, "revocation", NULL);
  g_autofree char *db_path = g_build_filename (folder, "requests.sqlite", NULL);
  g_autoptr(GBytes) name_ext = hex_bytes ("1e080055007300650072");
  CertOptions due = { .ocsp_url = "http://127.0.0.1:9/ocsp", .crl_url = "http://127.0.0.1:9/ca.crl",
                      .not_before = -90 * DAY, .not_after = 10 * DAY, .template_name_ext = name_ext };
  CertOptions gone = { .crl_url = "http://127.0.0.1:9/ca.crl", .not_before = -90 * DAY, .not_after = -DAY };
  g_autoptr(Pki) renewing = make_cert (f->ca, "due", FALSE, &due);
  g_autoptr(Pki) expired = make_cert (f->ca, "gone", FALSE, &gone);
  CertOptions plain = { .crl_url = "http://127.0.0.1:9/ca.crl" };
  g_autoptr(Pki) stranger = make_cert (f->other_ca, "stranger", FALSE, &plain);
  CrlOptions revoking = { .signer = f->ca, .revoked_serial = serial_of (f->sibling->cert), .reason = 1,
                          .this_update = -60, .next_update = HOUR };
  g_autoptr(GBytes) crl = make_crl (&revoking);
  g_autoptr(CradleRevocationCache) cache = cradle_revocation_cache_new (revocation_folder);
  g_autofree char *crl_key = cradle_revocation_cache_crl_key ("http://127.0.0.1:9/ca.crl");
  g_autoptr(GPtrArray) certs = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) statuses = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(CradleStatusChecker) checker = cradle_status_checker_new ();
  g_autoptr(CradleJournal) journal = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) key_id = g_bytes_new_static ("0123456789abcdef", 16);
  CradleJournalRun *run;

  g_setenv ("CRADLE_CACHE_DIR", cache_folder, TRUE);
  g_assert_true (cradle_revocation_cache_store (cache, crl_key, crl, &error));
  g_assert_no_error (error);
  journal = cradle_journal_open (db_path, &error);
  g_assert_no_error (error);

  add_device_cert (certs, "Root", f->ca->cert, NULL);
  add_device_cert (certs, "MY", f->leaf->cert, key_id);
  add_device_cert (certs, "MY", f->sibling->cert, key_id);
  add_device_cert (certs, "MY", renewing->cert, key_id);
  add_device_cert (certs, "MY", expired->cert, key_id);
  add_device_cert (certs, "MY", stranger->cert, key_id);
  cradle_status_checker_set_online (checker, FALSE);
  cradle_status_checker_set_journal (checker, journal);
  statuses = cradle_status_checker_check (checker, "SERIAL-1", certs, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (statuses->len, ==, 6);

  /* MY first, in the device's order. */
#define STATUS(i) ((CradleCertStatus *) g_ptr_array_index (statuses, i))
  g_assert_cmpstr (cradle_cert_status_get_subject (STATUS (0)), ==, "CN = phone");
  g_assert_cmpint (cradle_cert_status_get_verdict (STATUS (0)), ==, CRADLE_CERT_VERDICT_VALID);
  g_assert_cmpint (cradle_cert_status_get_revocation (STATUS (0)), ==, CRADLE_REVOCATION_GOOD);
  g_assert_true (cradle_cert_status_get_revocation_cached (STATUS (0)));
  g_assert_cmpstr (cradle_cert_status_get_revocation_method (STATUS (0)), ==, "crl");
  g_assert_cmpstr (cradle_cert_status_get_renewal_rule (STATUS (0)), ==, "80% of its lifetime");
  g_assert_true (cradle_cert_status_get_has_key (STATUS (0)));

  g_assert_cmpint (cradle_cert_status_get_verdict (STATUS (1)), ==, CRADLE_CERT_VERDICT_REVOKED);
  g_assert_cmpint (cradle_cert_status_get_revocation_reason (STATUS (1)), ==, 1);

  g_assert_cmpint (cradle_cert_status_get_verdict (STATUS (2)), ==, CRADLE_CERT_VERDICT_RENEW_SOON);
  g_assert_cmpstr (cradle_cert_status_get_type_name (STATUS (2)), ==, "User");
  g_assert_cmpint (cradle_cert_status_get_origin (STATUS (2)), ==, CRADLE_CERT_ORIGIN_TEMPLATE);
  g_assert_cmpint (cradle_cert_status_get_renew_at (STATUS (2)), ==,
                   cradle_cert_status_get_not_before (STATUS (2)) + 80 * DAY);

  g_assert_cmpint (cradle_cert_status_get_verdict (STATUS (3)), ==, CRADLE_CERT_VERDICT_EXPIRED);
  g_assert_cmpint (cradle_cert_status_get_revocation (STATUS (3)), ==, CRADLE_REVOCATION_NOT_CHECKED);

  /* Its issuer is not on the device: unknown, with why, never good. */
  g_assert_cmpint (cradle_cert_status_get_verdict (STATUS (4)), ==, CRADLE_CERT_VERDICT_UNKNOWN);
  g_assert_nonnull (strstr (cradle_cert_status_get_revocation_detail (STATUS (4)), "issuer is not on the device"));

  /* The root: its expiry only. */
  g_assert_cmpstr (cradle_cert_status_get_store (STATUS (5)), ==, "Root");
  g_assert_cmpint (cradle_cert_status_get_verdict (STATUS (5)), ==, CRADLE_CERT_VERDICT_VALID);
  g_assert_cmpint (cradle_cert_status_get_renew_at (STATUS (5)), ==, 0);
  g_assert_cmpint (cradle_cert_status_get_revocation (STATUS (5)), ==, CRADLE_REVOCATION_NOT_CHECKED);
#undef STATUS

  /* The journal has the check as a run. */
  runs = cradle_journal_list_runs (journal, 0, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs->len, ==, 1);
  run = g_ptr_array_index (runs, 0);
  g_assert_cmpstr (cradle_journal_run_get_kind (run), ==, "check");
  g_assert_cmpstr (cradle_journal_run_get_device_serial (run), ==, "SERIAL-1");
  g_assert_cmpstr (cradle_journal_run_get_outcome (run), ==, "revoked");
  g_assert_cmpuint (cradle_journal_run_get_steps (run)->len, ==, 1);
  g_assert_cmpstr (cradle_journal_step_get_step (g_ptr_array_index (cradle_journal_run_get_steps (run), 0)), ==,
                   "cache");

  g_unsetenv ("CRADLE_CACHE_DIR");
  g_clear_object (&journal);
  {
    g_autofree char *path = g_build_filename (revocation_folder, crl_key, NULL);
    g_autofree char *wal = g_strconcat (db_path, "-wal", NULL);
    g_autofree char *shm = g_strconcat (db_path, "-shm", NULL);

    g_unlink (path);
    g_unlink (db_path);
    g_unlink (wal);
    g_unlink (shm);
    g_rmdir (revocation_folder);
    g_rmdir (cache_folder);
    g_rmdir (folder);
  }
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
  g_test_add_func ("/revocation/period-decoding", test_period_decoding);
  g_test_add_func ("/revocation/renewal-window", test_renewal_window);
  g_test_add_func ("/revocation/verdict", test_verdict);
  ADD ("template-extension", test_template_extension);
  ADD ("device-status", test_device_status);
  return g_test_run ();
}
