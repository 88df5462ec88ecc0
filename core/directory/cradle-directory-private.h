/* cradle-directory-private.h: what the rest of core reads through the session */
#pragma once

#include <cradle/cradle.h>

#include "directory/cradle-ldap-entry-private.h"

G_BEGIN_DECLS

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
                                      GError                   **error);

/* The bound user's entry as cradle_directory_read_user() reads it. */
CradleLdapEntry *cradle_directory_read_user_entry (CradleDirectory  *self,
                                                   GCancellable     *cancellable,
                                                   GError          **error);

/* "SOURCE\nPRINCIPAL": the directory asked for and the account that
 * reads it, known before the session opens; a ccache without a valid
 * ticket is an error, as cradle_krb5_check_ccache() says. */
char            *cradle_directory_dup_reader      (CradleDirectory  *self,
                                                   GError          **error);

G_END_DECLS
