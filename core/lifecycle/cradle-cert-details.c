/* cradle-cert-details.c: one certificate on a device, in full
 *
 * Read through the one outline reader (core/base/cradle-x509-outline.c),
 * its extensions through cradle-cert-names.c; the issuer chain is built
 * from the device's own stores, each link checked by signature (a name
 * alone proves nothing: the certificates are the device's, and hostile);
 * removal is DELETE_CERT with the device's user asked (field 4), a journal
 * run of kind "remove".
 */
#include "config.h"

#include "lifecycle/cradle-lifecycle-private.h"
#include "base/cradle-digest-private.h"
#include "base/cradle-x509-outline-private.h"
#include "state/cradle-journal-private.h"

/* Deeper than any PKI a device enrolls in; a loop ends here too. */
#define MAX_CHAIN 10
/* A SHA-256 prefix shorter than this names too little to be meant. */
#define MIN_PREFIX 4

struct _CradleCertDetails
{
  GObject parent_instance;

  /* Owned */
  CradleDeviceCert  *cert;
  CradleCertificate *certificate;
  char              *store;
  char              *scope;
  char              *subject;
  char              *issuer;
  char              *sha1;
  GDateTime         *not_before;
  char             **sans;
  guint              sans_omitted;
  char             **ekus;
  char             **key_usage;
  char             **problems;
  gboolean           is_ca;
  char              *template;
  const char        *key_origin;  /* static */
  GPtrArray         *chain;
  gboolean           chain_complete;
  char              *chain_problem;
};

G_DEFINE_FINAL_TYPE (CradleCertDetails, cradle_cert_details, G_TYPE_OBJECT)

static void
cradle_cert_details_finalize (GObject *object)
{
  CradleCertDetails *self = CRADLE_CERT_DETAILS (object);

  g_clear_object (&self->cert);
  g_clear_object (&self->certificate);
  g_clear_pointer (&self->store, g_free);
  g_clear_pointer (&self->scope, g_free);
  g_clear_pointer (&self->subject, g_free);
  g_clear_pointer (&self->issuer, g_free);
  g_clear_pointer (&self->sha1, g_free);
  g_clear_pointer (&self->not_before, g_date_time_unref);
  g_clear_pointer (&self->sans, g_strfreev);
  g_clear_pointer (&self->ekus, g_strfreev);
  g_clear_pointer (&self->key_usage, g_strfreev);
  g_clear_pointer (&self->problems, g_strfreev);
  g_clear_pointer (&self->template, g_free);
  g_clear_pointer (&self->chain, g_ptr_array_unref);
  g_clear_pointer (&self->chain_problem, g_free);

  G_OBJECT_CLASS (cradle_cert_details_parent_class)->finalize (object);
}

static void
cradle_cert_details_class_init (CradleCertDetailsClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cradle_cert_details_finalize;
}

static void
cradle_cert_details_init (CradleCertDetails *self)
{
  self->chain = g_ptr_array_new_with_free_func (g_object_unref);
}

static char **
steal_strv (GPtrArray *array)
{
  g_ptr_array_add (array, NULL);
  return (char **) g_ptr_array_free (array, FALSE);
}

static GDateTime *
time_to_date_time (const ASN1_TIME *time)
{
  struct tm tm = { 0 };

  if (ASN1_TIME_to_tm (time, &tm) != 1)
    return NULL;
  return g_date_time_new_utc (tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Where the key of @cert came from, as LIST_CERTS tells: a key id means
 * the device holds the key.  TODO(certfiles): once LIST_CERTS reports the
 * key's origin (field 5), "imported" comes from there; until then a key
 * the device holds is one it made, the only kind there was. */
static const char *
key_origin_for (CradleDeviceCert *cert)
{
  return cradle_device_cert_get_key_id (cert) != NULL ? "generated" : "none";
}

static char *
read_template (const STACK_OF (X509_EXTENSION) *extensions)
{
  g_autofree char *oid = NULL;
  g_autofree char *name = NULL;
  guint major = 0;

  if (extensions == NULL)
    return NULL;
  cradle_template_extension_read (extensions, &oid, &major, &name);
  if (name != NULL)
    return cradle_text_escape (name, -1, CRADLE_TEXT_ESCAPE_DEFAULT);
  if (oid != NULL)
    return major > 0 ? g_strdup_printf ("%s (version %u)", oid, major) : g_steal_pointer (&oid);
  return NULL;
}

/* Everything but the chain. */
static CradleCertDetails *
details_new (CradleDeviceCert  *cert,
             CradleX509Outline *outline,
             GError           **error)
{
  g_autoptr(CradleCertDetails) self = g_object_new (CRADLE_TYPE_CERT_DETAILS, NULL);
  GBytes *der = cradle_device_cert_get_der (cert);
  const STACK_OF (X509_EXTENSION) *extensions = outline->tbs->extensions;
  g_autoptr(GPtrArray) sans = g_ptr_array_new ();
  g_autoptr(GPtrArray) ekus = g_ptr_array_new ();
  g_autoptr(GPtrArray) key_usage = g_ptr_array_new ();
  g_autoptr(GPtrArray) problems = g_ptr_array_new ();

  self->certificate = cradle_certificate_new_from_der (der, error);
  if (self->certificate == NULL)
    return NULL;
  self->cert = g_object_ref (cert);
  self->store = cradle_text_escape (cradle_device_cert_get_store (cert), -1, CRADLE_TEXT_ESCAPE_DEFAULT);
  self->scope = cradle_text_escape (cradle_device_cert_get_scope (cert), -1, CRADLE_TEXT_ESCAPE_DEFAULT);
  self->subject = cradle_cert_names_dup_name (outline->tbs->subject);
  self->issuer = cradle_cert_names_dup_name (outline->tbs->issuer);
  self->sha1 = g_compute_checksum_for_bytes (G_CHECKSUM_SHA1, der);
  self->not_before = time_to_date_time (outline->tbs->validity->notBefore);
  if (self->not_before == NULL)
    {
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "A certificate on the device has an unreadable start date");
      return NULL;
    }
  cradle_cert_names_read_sans (extensions, CRADLE_CERT_DETAILS_MAX_NAMES, sans, &self->sans_omitted, problems);
  cradle_cert_names_read_ekus (extensions, ekus, problems);
  cradle_cert_names_read_key_usage (extensions, key_usage, problems);
  self->is_ca = cradle_cert_names_read_is_ca (extensions);
  self->template = read_template (extensions);
  self->key_origin = key_origin_for (cert);
  self->sans = steal_strv (g_steal_pointer (&sans));
  self->ekus = steal_strv (g_steal_pointer (&ekus));
  self->key_usage = steal_strv (g_steal_pointer (&key_usage));
  self->problems = steal_strv (g_steal_pointer (&problems));
  return g_steal_pointer (&self);
}

static CradleX509Outline *
read_outline (GBytes  *der,
              GError **error)
{
  CradleX509Outline *outline = NULL;
  g_autofree char *reason = NULL;

  switch (cradle_x509_outline_read (der, &outline))
    {
    case CRADLE_X509_OUTLINE_READ:
      return outline;
    case CRADLE_X509_OUTLINE_IMPLAUSIBLE_SIZE:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "A certificate of %" G_GSIZE_FORMAT " bytes on the device is not plausible (1 to %d expected)",
                   g_bytes_get_size (der), CRADLE_X509_OUTLINE_MAX_SIZE);
      return NULL;
    case CRADLE_X509_OUTLINE_MALFORMED:
    default:
      reason = cradle_openssl_dup_errors ();
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA, "A certificate on the device is malformed%s%s",
                   reason != NULL ? ": " : "", reason != NULL ? reason : "");
      return NULL;
    }
}

/* Whether @child's signature verifies with the key of the certificate @der. */
static gboolean
signed_by (const CradleX509Outline *child,
           GBytes                  *der)
{
  gsize size = 0;
  const unsigned char *p = g_bytes_get_data (der, &size);
  g_autoptr(X509) x509 = NULL;
  EVP_PKEY *key;
  gboolean verified;

  if (size == 0 || size > CRADLE_X509_OUTLINE_MAX_SIZE)
    return FALSE;
  x509 = d2i_X509 (NULL, &p, (long) size);
  key = x509 != NULL ? X509_get0_pubkey (x509) : NULL;
  verified = key != NULL && cradle_x509_outline_verify (child, key);
  ERR_clear_error ();
  return verified;
}

typedef struct {
  CradleDeviceCert  *cert;     /* borrowed */
  CradleX509Outline *outline;  /* owned; NULL when unreadable */
  char              *sha256;   /* owned */
} Candidate;

static void
candidate_clear (gpointer data)
{
  Candidate *candidate = data;

  g_clear_pointer (&candidate->outline, cradle_x509_outline_free);
  g_clear_pointer (&candidate->sha256, g_free);
}

static GArray *
read_candidates (GPtrArray *device_certs)
{
  GArray *candidates = g_array_new (FALSE, TRUE, sizeof (Candidate));

  g_array_set_clear_func (candidates, candidate_clear);
  for (guint i = 0; device_certs != NULL && i < device_certs->len; i++)
    {
      Candidate candidate = { g_ptr_array_index (device_certs, i), NULL, NULL };
      GBytes *der = cradle_device_cert_get_der (candidate.cert);

      if (cradle_x509_outline_read (der, &candidate.outline) != CRADLE_X509_OUTLINE_READ)
        candidate.outline = NULL;
      ERR_clear_error ();
      candidate.sha256 = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, der);
      g_array_append_val (candidates, candidate);
    }
  return candidates;
}

/* Up the chain from @self through @candidates, each link verified. */
static void
build_chain (CradleCertDetails *self,
             GArray            *candidates)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(CradleX509Outline) first = NULL;
  const CradleX509Outline *current;
  GBytes *current_der = cradle_device_cert_get_der (self->cert);

  if (cradle_x509_outline_read (current_der, &first) != CRADLE_X509_OUTLINE_READ)
    return;
  current = first;
  g_hash_table_add (seen, (gpointer) cradle_certificate_get_sha256 (self->certificate));
  for (guint depth = 0; depth <= MAX_CHAIN; depth++)
    {
      const Candidate *issuer = NULL;
      gboolean named = FALSE;
      g_autofree char *issuer_name = NULL;

      if (X509_NAME_cmp (current->tbs->subject, current->tbs->issuer) == 0 && signed_by (current, current_der))
        {
          self->chain_complete = TRUE;
          return;
        }
      if (depth == MAX_CHAIN)
        break;
      for (guint i = 0; i < candidates->len && issuer == NULL; i++)
        {
          const Candidate *candidate = &g_array_index (candidates, Candidate, i);

          if (candidate->outline == NULL || g_hash_table_contains (seen, candidate->sha256) ||
              X509_NAME_cmp (candidate->outline->tbs->subject, current->tbs->issuer) != 0)
            continue;
          named = TRUE;
          if (signed_by (current, cradle_device_cert_get_der (candidate->cert)))
            issuer = candidate;
        }
      if (issuer == NULL)
        {
          issuer_name = cradle_cert_names_dup_name (current->tbs->issuer);
          self->chain_problem = named
            ? g_strdup_printf ("The chain is incomplete: a certificate named '%s' is on the device, but its "
                               "signature on the certificate it should have issued does not verify.", issuer_name)
            : g_strdup_printf ("The chain is incomplete: the issuer '%s' is not on the device. Install the "
                               "issuing CA's certificate (CA store) and its root (Root store).", issuer_name);
          return;
        }
      {
        g_autoptr(GError) local_error = NULL;
        g_autoptr(CradleX509Outline) own = NULL;
        CradleCertDetails *link;

        if (cradle_x509_outline_read (cradle_device_cert_get_der (issuer->cert), &own) != CRADLE_X509_OUTLINE_READ)
          return;
        link = details_new (issuer->cert, own, &local_error);
        if (link == NULL)
          {
            self->chain_problem = g_strdup_printf ("The chain is incomplete: an issuer on the device is "
                                                   "unreadable: %s", local_error->message);
            return;
          }
        g_ptr_array_add (self->chain, link);
      }
      g_hash_table_add (seen, issuer->sha256);
      current = issuer->outline;
      current_der = cradle_device_cert_get_der (issuer->cert);
    }
  self->chain_problem = g_strdup_printf ("The chain is longer than %d certificates; the rest is not shown.",
                                         MAX_CHAIN);
}

static CradleCertDetails *
details_new_with_chain (CradleDeviceCert *cert,
                        GArray           *candidates,
                        GError          **error)
{
  g_autoptr(CradleX509Outline) outline = read_outline (cradle_device_cert_get_der (cert), error);
  g_autoptr(CradleCertDetails) self = NULL;

  if (outline == NULL)
    return NULL;
  self = details_new (cert, outline, error);
  if (self == NULL)
    return NULL;
  build_chain (self, candidates);
  return g_steal_pointer (&self);
}

/**
 * cradle_cert_details_new:
 * @cert: a certificate from the device's LIST_CERTS
 * @device_certs: (element-type CradleDeviceCert) (nullable): everything the
 *   device listed, for the chain
 *
 * Returns: (transfer full): the details, or %NULL with @error
 */
CradleCertDetails *
cradle_cert_details_new (CradleDeviceCert  *cert,
                         GPtrArray         *device_certs,
                         GError           **error)
{
  g_autoptr(GArray) candidates = NULL;

  g_return_val_if_fail (CRADLE_IS_DEVICE_CERT (cert), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  candidates = read_candidates (device_certs);
  return details_new_with_chain (cert, candidates, error);
}

/* @query as lower-case hex without separators, or %NULL. */
static char *
normalise_query (const char *query)
{
  g_autoptr(GString) hex = g_string_new (NULL);

  for (const char *p = query; *p != '\0'; p++)
    {
      if (*p == ':' || *p == ' ')
        continue;
      if (!g_ascii_isxdigit (*p) || hex->len >= 64)
        return NULL;
      g_string_append_c (hex, g_ascii_tolower (*p));
    }
  return hex->len > 0 ? g_string_free (g_steal_pointer (&hex), FALSE) : NULL;
}

static const char *
skip_zeros (const char *hex)
{
  while (hex[0] == '0' && hex[1] != '\0')
    hex++;
  return hex;
}

/* The serial of @candidate as lower-case hex, or %NULL. */
static char *
dup_serial (const Candidate *candidate)
{
  BIGNUM *number;
  char *hex;
  char *serial;

  if (candidate->outline == NULL || (number = ASN1_INTEGER_to_BN (candidate->outline->tbs->serial, NULL)) == NULL)
    return NULL;
  hex = BN_bn2hex (number);
  serial = hex != NULL ? g_ascii_strdown (hex, -1) : NULL;
  OPENSSL_free (hex);
  BN_free (number);
  return serial;
}

/**
 * cradle_cert_details_find:
 * @device_certs: (element-type CradleDeviceCert): everything the device listed
 * @query: a serial or a SHA-256 prefix, in hex
 *
 * Returns: (transfer full): the details of the one certificate @query names
 */
CradleCertDetails *
cradle_cert_details_find (GPtrArray   *device_certs,
                          const char  *query,
                          GError     **error)
{
  g_autoptr(GArray) candidates = NULL;
  g_autoptr(GPtrArray) matches = g_ptr_array_new ();
  g_autofree char *hex = NULL;
  g_autofree char *shown = NULL;

  g_return_val_if_fail (device_certs != NULL, NULL);
  g_return_val_if_fail (query != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  hex = normalise_query (query);
  if (hex == NULL)
    {
      shown = cradle_text_escape (query, -1, CRADLE_TEXT_ESCAPE_DEFAULT);
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "'%s' is neither a serial number nor a SHA-256 fingerprint: give the certificate's serial or "
                   "the start of its SHA-256 fingerprint in hex ('cradlectl certs' lists them).", shown);
      return NULL;
    }
  candidates = read_candidates (device_certs);
  for (guint i = 0; i < candidates->len; i++)
    {
      Candidate *candidate = &g_array_index (candidates, Candidate, i);
      g_autofree char *serial = dup_serial (candidate);

      if ((serial != NULL && g_str_equal (skip_zeros (serial), skip_zeros (hex))) ||
          (strlen (hex) >= MIN_PREFIX && g_str_has_prefix (candidate->sha256, hex)))
        g_ptr_array_add (matches, candidate);
    }
  if (matches->len == 0)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_FOUND,
                   "No certificate on the device has the serial number or SHA-256 fingerprint %s%s. "
                   "'cradlectl certs' lists them.", hex,
                   strlen (hex) < MIN_PREFIX ? " (a fingerprint needs at least 4 hex digits)" : "");
      return NULL;
    }
  if (matches->len > 1)
    {
      g_autoptr(GString) list = g_string_new (NULL);

      for (guint i = 0; i < matches->len && i < 10; i++)
        {
          const Candidate *candidate = g_ptr_array_index (matches, i);
          g_autofree char *store = cradle_text_escape (cradle_device_cert_get_store (candidate->cert), -1,
                                                       CRADLE_TEXT_ESCAPE_DEFAULT);
          g_autofree char *name = candidate->outline != NULL
            ? cradle_cert_names_dup_name (candidate->outline->tbs->subject) : g_strdup ("(unreadable)");

          g_string_append_printf (list, "\n  %s  %s  %s", candidate->sha256, store, name);
        }
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "%u certificates on the device match %s; give more digits of the SHA-256 fingerprint:%s",
                   matches->len, hex, list->str);
      return NULL;
    }
  return details_new_with_chain (((Candidate *) g_ptr_array_index (matches, 0))->cert, candidates, error);
}

CradleDeviceCert *
cradle_cert_details_get_device_cert (CradleCertDetails *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_DETAILS (self), NULL);
  return self->cert;
}

CradleCertificate *
cradle_cert_details_get_certificate (CradleCertDetails *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_DETAILS (self), NULL);
  return self->certificate;
}

const char *
cradle_cert_details_get_store (CradleCertDetails *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_DETAILS (self), NULL);
  return self->store;
}

const char *
cradle_cert_details_get_scope (CradleCertDetails *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_DETAILS (self), NULL);
  return self->scope;
}

const char *
cradle_cert_details_get_subject (CradleCertDetails *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_DETAILS (self), NULL);
  return self->subject;
}

const char *
cradle_cert_details_get_issuer (CradleCertDetails *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_DETAILS (self), NULL);
  return self->issuer;
}

const char *
cradle_cert_details_get_serial (CradleCertDetails *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_DETAILS (self), NULL);
  return cradle_certificate_get_serial (self->certificate);
}

const char *
cradle_cert_details_get_sha1 (CradleCertDetails *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_DETAILS (self), NULL);
  return self->sha1;
}

const char *
cradle_cert_details_get_sha256 (CradleCertDetails *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_DETAILS (self), NULL);
  return cradle_certificate_get_sha256 (self->certificate);
}

GDateTime *
cradle_cert_details_get_not_before (CradleCertDetails *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_DETAILS (self), NULL);
  return self->not_before;
}

GDateTime *
cradle_cert_details_get_not_after (CradleCertDetails *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_DETAILS (self), NULL);
  return cradle_certificate_get_not_after (self->certificate);
}

const char * const *
cradle_cert_details_get_sans (CradleCertDetails *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_DETAILS (self), NULL);
  return (const char * const *) self->sans;
}

guint
cradle_cert_details_get_sans_omitted (CradleCertDetails *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_DETAILS (self), 0);
  return self->sans_omitted;
}

const char * const *
cradle_cert_details_get_ekus (CradleCertDetails *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_DETAILS (self), NULL);
  return (const char * const *) self->ekus;
}

const char * const *
cradle_cert_details_get_key_usage (CradleCertDetails *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_DETAILS (self), NULL);
  return (const char * const *) self->key_usage;
}

gboolean
cradle_cert_details_is_ca (CradleCertDetails *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_DETAILS (self), FALSE);
  return self->is_ca;
}

const char *
cradle_cert_details_get_template (CradleCertDetails *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_DETAILS (self), NULL);
  return self->template;
}

const char *
cradle_cert_details_get_key_origin (CradleCertDetails *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_DETAILS (self), NULL);
  return self->key_origin;
}

GPtrArray *
cradle_cert_details_get_chain (CradleCertDetails *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_DETAILS (self), NULL);
  return self->chain;
}

gboolean
cradle_cert_details_chain_is_complete (CradleCertDetails *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_DETAILS (self), FALSE);
  return self->chain_complete;
}

const char *
cradle_cert_details_get_chain_problem (CradleCertDetails *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_DETAILS (self), NULL);
  return self->chain_problem;
}

const char * const *
cradle_cert_details_get_problems (CradleCertDetails *self)
{
  g_return_val_if_fail (CRADLE_IS_CERT_DETAILS (self), NULL);
  return (const char * const *) self->problems;
}

/* ---- export ------------------------------------------------------------- */

GBytes *
cradle_cert_details_export (CradleCertDetails *self,
                            CradleCertFormat   format)
{
  GBytes *der;
  g_autofree char *base64 = NULL;
  g_autoptr(GString) pem = NULL;
  gsize length;

  g_return_val_if_fail (CRADLE_IS_CERT_DETAILS (self), NULL);

  der = cradle_device_cert_get_der (self->cert);
  if (format == CRADLE_CERT_FORMAT_DER)
    return g_bytes_ref (der);
  base64 = g_base64_encode (g_bytes_get_data (der, NULL), g_bytes_get_size (der));
  length = strlen (base64);
  pem = g_string_new ("-----BEGIN CERTIFICATE-----\n");
  for (gsize at = 0; at < length; at += 64)
    {
      g_string_append_len (pem, base64 + at, MIN (64, length - at));
      g_string_append_c (pem, '\n');
    }
  g_string_append (pem, "-----END CERTIFICATE-----\n");
  return g_string_free_to_bytes (g_steal_pointer (&pem));
}

gboolean
cradle_cert_details_export_to_file (CradleCertDetails *self,
                                    CradleCertFormat   format,
                                    const char        *path,
                                    GError           **error)
{
  g_autoptr(GBytes) data = NULL;

  g_return_val_if_fail (CRADLE_IS_CERT_DETAILS (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  data = cradle_cert_details_export (self, format);
  /* A temporary file beside it, synced and renamed over it: a reader sees
   * the old file or the whole new one. */
  if (!g_file_set_contents_full (path, g_bytes_get_data (data, NULL), (gssize) g_bytes_get_size (data),
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0644, error))
    {
      g_prefix_error (error, "Could not write the certificate: ");
      return FALSE;
    }
  return TRUE;
}

/* ---- removal ------------------------------------------------------------ */

gboolean
cradle_cert_details_remove (CradleCertDetails *self,
                            CradleDevice      *device,
                            CradleJournal     *journal,
                            GCancellable      *cancellable,
                            GError           **error)
{
  g_autoptr(GBytes) sha256 = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GError) journal_error = NULL;
  g_autofree char *text = NULL;
  gint64 run_id = 0;
  gint64 step_id = 0;
  gboolean removed;
  const char *outcome;

  g_return_val_if_fail (CRADLE_IS_CERT_DETAILS (self), FALSE);
  g_return_val_if_fail (CRADLE_IS_DEVICE (device), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  sha256 = cradle_digest_sha256 (cradle_device_cert_get_der (self->cert));
  text = g_strdup_printf ("Removing '%s' (serial %s, SHA-256 %s) from the %s %s store%s; the device asks its user",
                          self->subject, cradle_cert_details_get_serial (self), cradle_cert_details_get_sha256 (self),
                          self->scope, self->store,
                          cradle_device_cert_get_key_id (self->cert) != NULL ? ", retiring its key" : "");
  if (journal != NULL)
    {
      run_id = cradle_journal_begin_run (journal, "remove", NULL, NULL, cradle_device_get_serial (device), 0,
                                         &journal_error);
      if (run_id != 0)
        step_id = cradle_journal_begin_step (journal, run_id, "remove", text, &journal_error);
      if (journal_error != NULL)
        g_warning ("Could not write the journal: %s", journal_error->message);
      g_clear_error (&journal_error);
    }
  removed = cradle_device_delete_cert_confirmed (device, cradle_device_cert_get_store (self->cert),
                                                 cradle_device_cert_get_scope (self->cert), sha256, cancellable,
                                                 &local_error);
  outcome = removed ? "ok"
            : g_error_matches (local_error, CRADLE_ERROR, CRADLE_ERROR_USER_DECLINED) ? "declined"
            : g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ? "cancelled" : "failed";
  if (journal != NULL && step_id != 0 &&
      (!cradle_journal_end_step (journal, step_id, outcome, local_error, &journal_error) ||
       !cradle_journal_end_run (journal, run_id, removed ? "removed" : outcome, local_error, &journal_error)))
    g_warning ("Could not write the journal: %s", journal_error->message);
  if (!removed)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error), "Removing '%s' from the device: ",
                                  self->subject);
      return FALSE;
    }
  return TRUE;
}

typedef struct {
  CradleDevice  *device;
  CradleJournal *journal;
} RemoveData;

static void
remove_data_free (RemoveData *data)
{
  g_clear_object (&data->device);
  g_clear_object (&data->journal);
  g_free (data);
}

static void
remove_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  RemoveData *data = task_data;
  GError *error = NULL;

  if (cradle_cert_details_remove (source_object, data->device, data->journal, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
cradle_cert_details_remove_async (CradleCertDetails   *self,
                                  CradleDevice        *device,
                                  CradleJournal       *journal,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  RemoveData *data;

  g_return_if_fail (CRADLE_IS_CERT_DETAILS (self));
  g_return_if_fail (CRADLE_IS_DEVICE (device));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, cradle_cert_details_remove_async);
  data = g_new0 (RemoveData, 1);
  data->device = g_object_ref (device);
  data->journal = journal != NULL ? g_object_ref (journal) : NULL;
  g_task_set_task_data (task, data, (GDestroyNotify) remove_data_free);
  g_task_run_in_thread (task, remove_thread);
}

gboolean
cradle_cert_details_remove_finish (CradleCertDetails  *self,
                                   GAsyncResult       *result,
                                   GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
