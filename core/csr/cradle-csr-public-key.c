/* cradle-csr-public-key.c: the public key a device hands over, checked */
#include "config.h"

#include <string.h>
#include <openssl/err.h>
#include <openssl/core_names.h>
#include <cradle/cradle.h>

#include "csr/cradle-csr-private.h"
#include "base/cradle-openssl-private.h"

/* RSA keys outside this range are either broken or too slow to verify. */
#define MIN_RSA_BITS 1024
#define MAX_RSA_BITS 16384

/* RSA or a named-curve EC key of a sensible size; also applied to the key
 * inside a request that comes back signed. */
gboolean
cradle_csr_check_public_key (EVP_PKEY  *key,
                             GError   **error)
{
  char group[64];
  int bits;
  int explicit_parameters = 0;

  switch (EVP_PKEY_get_base_id (key))
    {
    case EVP_PKEY_RSA:
      bits = EVP_PKEY_get_bits (key);
      if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS)
        {
          g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                       "The device's RSA key has %d bits; Cradle requests certificates for "
                       "RSA keys of %d to %d bits", bits, MIN_RSA_BITS, MAX_RSA_BITS);
          return FALSE;
        }
      return TRUE;

    case EVP_PKEY_EC:
      if (EVP_PKEY_get_int_param (key, OSSL_PKEY_PARAM_EC_DECODED_FROM_EXPLICIT_PARAMS,
                                  &explicit_parameters) && explicit_parameters != 0)
        {
          g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                               "The device's EC key spells out its curve's parameters instead of naming "
                               "the curve; certification authorities take named curves only");
          return FALSE;
        }
      if (!EVP_PKEY_get_group_name (key, group, sizeof group, NULL))
        {
          cradle_openssl_set_error (error, CRADLE_ERROR_NOT_SUPPORTED,
                                        "The device's EC key is on a curve OpenSSL does not know");
          return FALSE;
        }
      ERR_clear_error ();
      return TRUE;

    default:
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "The device's key is of type %s; Cradle requests certificates for RSA and EC keys only",
                   EVP_PKEY_get0_type_name (key) != NULL ? EVP_PKEY_get0_type_name (key) : "unknown");
      return FALSE;
    }
}

/**
 * cradle_csr_parse_public_key:
 * @spki_der: the DER SubjectPublicKeyInfo a device gave, untrusted
 *
 * Takes an RSA or named-curve EC key in canonical DER with nothing after
 * it, so that a request built for it carries exactly these bytes: the
 * device compares them with its own before it signs.
 *
 * Returns: (transfer full): the key
 */
EVP_PKEY *
cradle_csr_parse_public_key (GBytes  *spki_der,
                             GError **error)
{
  g_autoptr(X509_PUBKEY) spki = NULL;
  g_autoptr(EVP_PKEY) key = NULL;
  const unsigned char *data;
  const unsigned char *p;
  unsigned char *encoded = NULL;
  int encoded_size;
  gboolean canonical;
  gsize size;

  g_return_val_if_fail (spki_der != NULL, NULL);

  ERR_clear_error ();
  data = g_bytes_get_data (spki_der, &size);
  if (size == 0 || size > CRADLE_CSR_MAX_PUBLIC_KEY_SIZE)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The device gave a public key of %" G_GSIZE_FORMAT " bytes (1 to %d expected)",
                   size, CRADLE_CSR_MAX_PUBLIC_KEY_SIZE);
      return NULL;
    }
  p = data;
  spki = d2i_X509_PUBKEY (NULL, &p, (long) size);
  if (spki == NULL)
    {
      cradle_openssl_set_error (error, CRADLE_ERROR_INVALID_DATA,
                                    "The device's public key is not a DER SubjectPublicKeyInfo");
      return NULL;
    }
  if (p != data + size)
    {
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                   "The device's public key has data after its end (%" G_GSIZE_FORMAT " bytes)",
                   (gsize) (data + size - p));
      return NULL;
    }
  key = X509_PUBKEY_get (spki);
  if (key == NULL)
    {
      ASN1_OBJECT *algorithm = NULL;
      char name[128] = "";
      int nid;

      X509_PUBKEY_get0_param (&algorithm, NULL, NULL, NULL, spki);
      nid = algorithm != NULL ? OBJ_obj2nid (algorithm) : NID_undef;
      if (nid == NID_rsaEncryption || nid == NID_X9_62_id_ecPublicKey)
        {
          cradle_openssl_set_error (error, CRADLE_ERROR_INVALID_DATA, "The device's public key is malformed");
          return NULL;
        }
      ERR_clear_error ();
      if (algorithm != NULL)
        OBJ_obj2txt (name, sizeof name, algorithm, 0);
      g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_NOT_SUPPORTED,
                   "The device's key is of a kind Cradle cannot request certificates for (%s); "
                   "create an RSA or EC key on the device", name);
      return NULL;
    }
  if (!cradle_csr_check_public_key (key, error))
    return NULL;

  encoded_size = i2d_PUBKEY (key, &encoded);
  canonical = encoded_size > 0 && (gsize) encoded_size == size && memcmp (encoded, data, size) == 0;
  OPENSSL_free (encoded);
  if (!canonical)
    {
      ERR_clear_error ();
      g_set_error_literal (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
                           "The device's public key is not in canonical DER form, so a request "
                           "could not carry it unchanged; the device may need an update");
      return NULL;
    }

  return g_steal_pointer (&key);
}
