/* cradle-host-pairing-private.h: the host's side of pairing, on disk
 *
 * In the user's state folder (cradle_paths_dup_state_dir()):
 *   host-key.pem             this user's Ed25519 identity key, PKCS#8 PEM, 0600
 *   paired-devices/<h>.device one file per paired device, <h> the SHA-256 of
 *                            its serial: serial, model, its identity key
 *                            (pinned) and when it was paired
 * A lost host key is a new host: the devices ask to pair again. A lost
 * device file is a device met for the first time.
 */
#pragma once

#include <glib.h>
#include <openssl/evp.h>

G_BEGIN_DECLS

typedef struct {
  EVP_PKEY *key;         /* Ed25519 */
  GBytes   *public_key;  /* raw, 32 bytes */
  char     *host_name;   /* at most CRADLE_BRIDGE_LABEL_MAX bytes */
  char     *user_name;
} CradleHostIdentity;

void                cradle_host_identity_free (CradleHostIdentity *identity);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleHostIdentity, cradle_host_identity_free)

/* Loads the user's host key, making it on first use. */
CradleHostIdentity *cradle_host_identity_load (GError     **error) G_GNUC_WARN_UNUSED_RESULT;

/* The identity key pinned for the device with @serial; %NULL without an
 * error when this user never paired it. */
GBytes   *cradle_host_pin_lookup (const char  *serial,
                                  GError     **error) G_GNUC_WARN_UNUSED_RESULT;
gboolean  cradle_host_pin_save   (const char  *serial,
                                  const char  *model,
                                  GBytes      *device_key,
                                  GError     **error) G_GNUC_WARN_UNUSED_RESULT;
/* @removed (optional): whether there was a pin to remove */
gboolean  cradle_host_pin_forget (const char  *serial,
                                  gboolean    *removed,
                                  GError     **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
