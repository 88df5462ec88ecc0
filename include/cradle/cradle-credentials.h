/* cradle-credentials.h: how the desktop signs in to the directory and the CA */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <glib-object.h>
#include <cradle/cradle-macros.h>
#include <cradle/cradle-directory.h>
#include <cradle/cradle-ca-connector.h>

G_BEGIN_DECLS

/**
 * CradleCredentialsKind:
 * @CRADLE_CREDENTIALS_KERBEROS: the tickets of a credential cache (the
 *   desktop's default one, or a named one)
 * @CRADLE_CREDENTIALS_PASSWORD: a user name and a password the user typed
 * @CRADLE_CREDENTIALS_NONE: no sign-in (SCEP with a challenge, an EST
 *   server that lets anyone ask)
 *
 * Also what a custom certificate type asks for (its `Auth=` key).
 */
typedef enum {
  CRADLE_CREDENTIALS_KERBEROS,
  CRADLE_CREDENTIALS_PASSWORD,
  CRADLE_CREDENTIALS_NONE,
} CradleCredentialsKind;

/* "kerberos", "password" or "none". */
CRADLE_PUBLIC
const char *cradle_credentials_kind_to_string   (CradleCredentialsKind  kind);
CRADLE_PUBLIC
gboolean    cradle_credentials_kind_from_string (const char            *name,
                                                 CradleCredentialsKind *kind);

/* Who the engine signs in as, for the directory and for every CA it talks
 * to.  Immutable once made, so one object can be shared by the enrollments
 * and the retriever of an app.  A password is held in memory that is wiped
 * when the object is freed; no getter returns it. */
#define CRADLE_TYPE_CREDENTIALS (cradle_credentials_get_type ())
CRADLE_PUBLIC
G_DECLARE_FINAL_TYPE (CradleCredentials, cradle_credentials, CRADLE, CREDENTIALS, GObject)

/* @ccache_name: (nullable): "FILE:/…", "KCM:", …; %NULL for the desktop's
 * default cache. */
CRADLE_PUBLIC
CradleCredentials    *cradle_credentials_new_kerberos     (const char        *ccache_name);
/* @password is copied into wiped memory; wipe your own copy. */
CRADLE_PUBLIC
CradleCredentials    *cradle_credentials_new_password     (const char        *user,
                                                           const char        *password);
CRADLE_PUBLIC
CradleCredentials    *cradle_credentials_new_none         (void);

CRADLE_PUBLIC
CradleCredentialsKind cradle_credentials_get_kind         (CradleCredentials *self);
/* (nullable): the user name of password credentials */
CRADLE_PUBLIC
const char           *cradle_credentials_get_user         (CradleCredentials *self);
/* (nullable): the named cache of Kerberos credentials */
CRADLE_PUBLIC
const char           *cradle_credentials_get_ccache_name  (CradleCredentials *self);

/* Configures @directory to sign in with these credentials (before it is
 * opened); no-op for %CRADLE_CREDENTIALS_NONE. */
CRADLE_PUBLIC
void                  cradle_credentials_apply_to_directory (CradleCredentials *self,
                                                             CradleDirectory   *directory);
/* Configures @connector to sign in with these credentials (before its first
 * call); no-op for %CRADLE_CREDENTIALS_NONE. */
CRADLE_PUBLIC
void                  cradle_credentials_apply_to_connector (CradleCredentials *self,
                                                             CradleCaConnector *connector);

G_END_DECLS
