/* cradle-session.h: signing in to the domain, and the certificate types it offers */
#pragma once

#include <cradle/cradle.h>

G_BEGIN_DECLS

typedef enum {
  CRADLE_SESSION_SIGNED_OUT,      /* not tried yet */
  CRADLE_SESSION_SIGNING_IN,
  CRADLE_SESSION_NEEDS_PASSWORD,  /* no Kerberos ticket: ask for a password */
  CRADLE_SESSION_SIGNED_IN,
  CRADLE_SESSION_FAILED,          /* see cradle_session_get_error() */
} CradleSessionState;

#define CRADLE_TYPE_SESSION (cradle_session_get_type ())
G_DECLARE_FINAL_TYPE (CradleSession, cradle_session, CRADLE, SESSION, GObject)

/* Every argument nullable: the defaults are the desktop's realm and ticket. */
CradleSession      *cradle_session_new                (const char    *domain,
                                                       const char    *dc_uri,
                                                       const char    *user,
                                                       const char    *ccache_name);
/* Signs in with the Kerberos ticket (or, when a user was named, asks for
 * the password), reads the catalog and lists the types. Never blocks. */
void                cradle_session_sign_in            (CradleSession *self);
/* @password is copied into wiped memory; wipe your own copy. */
void                cradle_session_sign_in_with_password (CradleSession *self,
                                                       const char    *user,
                                                       const char    *password);
/* Reads the catalog again with the same credentials. */
void                cradle_session_refresh            (CradleSession *self);
void                cradle_session_cancel             (CradleSession *self);

CradleSessionState  cradle_session_get_state          (CradleSession *self);
/* (nullable): why the last sign-in failed, or why a password is needed */
const GError       *cradle_session_get_error          (CradleSession *self);
/* (nullable): the user name to offer in the password dialog */
const char         *cradle_session_get_user_hint      (CradleSession *self);
/* Once signed in (else NULL): */
CradleCredentials  *cradle_session_get_credentials    (CradleSession *self);
CradleCatalog      *cradle_session_get_catalog        (CradleSession *self);
/* (element-type CradleCertType) */
GPtrArray          *cradle_session_get_types          (CradleSession *self);
/* (nullable): while the types are those of the catalog kept from the last
 * sign-in, the lookup reading the directory; an enrollment started then is
 * confirmed with it (cradle_enrollment_set_type_lookup()). */
CradleTypeLookup   *cradle_session_get_type_lookup    (CradleSession *self);
/* A directory session like the one signed in with (not opened: it opens
 * when first used), for reading what certificates point at, such as the
 * ldap:/// CRLs of AD CS.  NULL until signed in. */
CradleDirectory    *cradle_session_new_directory      (CradleSession *self);
/* "alice@corp.example.test" */
const char         *cradle_session_get_identity       (CradleSession *self);
/* The domain controller's host name. */
const char         *cradle_session_get_server         (CradleSession *self);
/* (nullable): the domain and the controller as asked (the options,
 * the environment or cradle.conf); NULL for the defaults. */
const char         *cradle_session_get_domain         (CradleSession *self);
const char         *cradle_session_get_dc_uri         (CradleSession *self);

G_END_DECLS
