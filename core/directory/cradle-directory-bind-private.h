/* cradle-directory-bind-private.h: connecting to a domain controller and signing in */
#pragma once

#include "directory/cradle-ldap-private.h"

G_BEGIN_DECLS

/* Told the socket of a connection once it is open, so that a blocking call
 * on it can be interrupted: the caller may shut down its own duplicate. */
typedef void (*CradleBindConnected) (int      fd,
                                     gpointer user_data);

typedef struct {
  const char *uri;
  const char *ccache_name;      /* NULL: the desktop's default */
  const char *user;             /* with @password: sign in with a password */
  const char *password;
  guint       timeout_seconds;
  CradleBindConnected connected;   /* nullable */
  gpointer            connected_data;
} CradleBindSettings;

typedef struct {
  LDAP  *ld;
  char  *identity;              /* "alice@CORP.EXAMPLE.TEST" */
  guint  security_strength;     /* SASL or TLS security strength factor */
  char  *memory_ccache;         /* the private ccache a password sign-in made, to destroy */
} CradleBindResult;

/* Kerberos (GSSAPI, sealed) from the ccache, or, with a password, from a
 * fresh TGT in a private MEMORY ccache; when no KDC can be reached for a
 * password sign-in, a simple bind over LDAPS or StartTLS, never over plain
 * LDAP. */
gboolean cradle_directory_bind       (const CradleBindSettings  *settings,
                                      CradleBindResult          *result,
                                      GError                   **error) G_GNUC_WARN_UNUSED_RESULT;
void     cradle_bind_result_clear    (CradleBindResult          *result);

/* A connection to @uri made as a session makes it (the same limits and
 * timeouts, the DC's certificate verified), StartTLS done when
 * @start_tls, and nothing bound: for a diagnosis to ask the RootDSE.  A
 * certificate that does not verify is CRADLE_ERROR_NOT_CONFIGURED with
 * the explain detail CRADLE_DIRECTORY_FAILURE_TLS_UNTRUSTED. */
LDAP    *cradle_directory_connect_anonymous (const char  *uri,
                                             gboolean     start_tls,
                                             guint        timeout_seconds,
                                             GError     **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
