/* cradle-directory-private.h: what the rest of core reads through the session,
 * and what the session's own files share */
#pragma once

#include <cradle/cradle.h>

#include "directory/cradle-ldap-entry-private.h"

G_BEGIN_DECLS

/* The session's files (cradle-directory.c, cradle-directory-search.c) share
 * these; nothing else uses them. */
struct _CradleDirectory
{
  GObject parent_instance;

  /* Owned */
  GMutex  lock;            /* one LDAP call at a time on @ld */
  LDAP   *ld;
  char   *uri;             /* NULL until found in DNS for @domain */
  char   *domain;          /* NULL: the default realm's */
  char   *source;          /* what the session was asked for: the URI or the domain */
  char   *ccache_name;
  char   *user;
  char   *password;        /* wiped and freed once open() used it */
  char   *memory_ccache;   /* the private ccache of a password sign-in */
  char   *dc_host_name;
  char   *default_naming_context;
  char   *configuration_naming_context;
  char   *bound_identity;
  guint   timeout_seconds;
  guint   security_strength;

  /* A cancellation shuts the connection down, which ends a blocking
   * libldap call at once instead of at its timeout. */
  GMutex        cancel_lock;
  int           cancel_fd;        /* our duplicate of the LDAP socket, or -1 */
  GCancellable *cancellable;
  gulong        cancel_handler;
};

/* The result's first entry, copied; %NULL without @error when there is none. */
CradleLdapEntry *_cradle_directory_dup_first_entry (LDAP         *ld,
                                                    LDAPMessage  *result,
                                                    GError      **error) G_GNUC_WARN_UNUSED_RESULT;

/* Called for each entry found; returning FALSE stops the search with @error. */
typedef gboolean (*CradleDirectoryEntryFunc) (const CradleLdapEntry  *entry,
                  gpointer                                            user_data,
                  GError                                            **error);

/* Searches below "CN=Public Key Services,CN=Services,<configuration NC>":
 * @container is the part before it ("CN=Certificate Templates,", or "" for
 * the container itself). With @dacl_only, asks for nTSecurityDescriptor's
 * DACL through the SD_FLAGS control, which lets a user read it. */
gboolean cradle_directory_search_pki (CradleDirectory           *self,
                                      const char                *container,
                                      int                        scope,
                                      const char                *filter,
                                      const char               **attributes,
                                      gboolean                   dacl_only,
                                      CradleDirectoryEntryFunc   func,
                                      gpointer                   user_data,
                                      GCancellable              *cancellable,
                                      GError                   **error) G_GNUC_WARN_UNUSED_RESULT;

/* The cn of every object of @object_class one level below @container (as
 * for cradle_directory_search_pki()), sorted; NULL with @error when the
 * container cannot be read. */
char           **cradle_directory_list_names      (CradleDirectory  *self,
                                                   const char       *container,
                                                   const char       *object_class,
                                                   GCancellable     *cancellable,
                                                   GError          **error) G_GNUC_WARN_UNUSED_RESULT;

/* The first value of @attribute (asked for as "@attribute;binary" too) of
 * the entry at @dn matching @filter (a base search), at most @max_size
 * bytes: a CRL from an ldap:/// CDP.  CRADLE_ERROR_NOT_FOUND when there is
 * no such entry or value. */
GBytes          *cradle_directory_read_binary     (CradleDirectory  *self,
                                                   const char       *dn,
                                                   const char       *attribute,
                                                   const char       *filter,
                                                   gsize             max_size,
                                                   GCancellable     *cancellable,
                                                   GError          **error) G_GNUC_WARN_UNUSED_RESULT;
/* The bound user's entry as cradle_directory_read_user() reads it. */
CradleLdapEntry *cradle_directory_read_user_entry (CradleDirectory  *self,
                                                   GCancellable     *cancellable,
                                                   GError          **error) G_GNUC_WARN_UNUSED_RESULT;

/* The RootDSE's @attributes, read again through the open session. */
CradleLdapEntry *cradle_directory_read_root_dse   (CradleDirectory  *self,
                                                   const char      **attributes,
                                                   GCancellable     *cancellable,
                                                   GError          **error) G_GNUC_WARN_UNUSED_RESULT;

/* "SOURCE\nPRINCIPAL": the directory asked for and the account that
 * reads it, known before the session opens; a ccache without a valid
 * ticket is an error, as cradle_krb5_check_ccache() says. */
char            *cradle_directory_dup_reader      (CradleDirectory  *self,
                                                   GError          **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
