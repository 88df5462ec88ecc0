/* cradle-directory.h: an authenticated LDAP session with the domain */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <gio/gio.h>
#include <cradle/cradle-macros.h>
#include <cradle/cradle-directory-user.h>

G_BEGIN_DECLS

#define CRADLE_TYPE_DIRECTORY (cradle_directory_get_type ())
CRADLE_PUBLIC
G_DECLARE_FINAL_TYPE (CradleDirectory, cradle_directory, CRADLE, DIRECTORY, GObject)

CRADLE_PUBLIC
CradleDirectory     *cradle_directory_new                        (const char           *uri);
/* Finds the domain's controllers in DNS when opened; %NULL: the default realm's. */
CRADLE_PUBLIC
CradleDirectory     *cradle_directory_new_for_domain             (const char           *domain);
/* Sign in with a password instead of the credential cache (see the docs). */
CRADLE_PUBLIC
void                 cradle_directory_set_password               (CradleDirectory      *self,
                                                                  const char           *user,
                                                                  const char           *password);
CRADLE_PUBLIC
void                 cradle_directory_set_credential_cache       (CradleDirectory      *self,
                                                                  const char           *ccache_name);
CRADLE_PUBLIC
void                 cradle_directory_set_timeout                (CradleDirectory      *self,
                                                                  guint                 seconds);

/* Connects, binds with SASL/GSSAPI (sealed) and reads the RootDSE. Blocks. */
CRADLE_PUBLIC
gboolean             cradle_directory_open                       (CradleDirectory      *self,
                                                                  GCancellable         *cancellable,
                                                                  GError              **error) G_GNUC_WARN_UNUSED_RESULT;
CRADLE_PUBLIC
void                 cradle_directory_open_async                 (CradleDirectory      *self,
                                                                  GCancellable         *cancellable,
                                                                  GAsyncReadyCallback   callback,
                                                                  gpointer              user_data);
CRADLE_PUBLIC
gboolean             cradle_directory_open_finish                (CradleDirectory      *self,
                                                                  GAsyncResult         *result,
                                                                  GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* Known once opened. */
CRADLE_PUBLIC
const char          *cradle_directory_get_uri                    (CradleDirectory      *self);
CRADLE_PUBLIC
const char          *cradle_directory_get_dc_host_name           (CradleDirectory      *self);
CRADLE_PUBLIC
const char          *cradle_directory_get_default_naming_context (CradleDirectory      *self);
CRADLE_PUBLIC
const char          *cradle_directory_get_configuration_naming_context (CradleDirectory *self);
CRADLE_PUBLIC
const char          *cradle_directory_get_bound_identity         (CradleDirectory      *self);
CRADLE_PUBLIC
guint                cradle_directory_get_security_strength      (CradleDirectory      *self);

/* Public Key Services, as AD CS publishes it. Blocks. */
CRADLE_PUBLIC
char               **cradle_directory_list_template_names        (CradleDirectory      *self,
                                                                  GCancellable         *cancellable,
                                                                  GError              **error) G_GNUC_WARN_UNUSED_RESULT;
CRADLE_PUBLIC
char               **cradle_directory_list_enrollment_service_names (CradleDirectory   *self,
                                                                  GCancellable         *cancellable,
                                                                  GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* The bound user's own entry, with tokenGroups. Blocks. */
CRADLE_PUBLIC
CradleDirectoryUser *cradle_directory_read_user                  (CradleDirectory      *self,
                                                                  GCancellable         *cancellable,
                                                                  GError              **error) G_GNUC_WARN_UNUSED_RESULT;
CRADLE_PUBLIC
void                 cradle_directory_read_user_async            (CradleDirectory      *self,
                                                                  GCancellable         *cancellable,
                                                                  GAsyncReadyCallback   callback,
                                                                  gpointer              user_data);
CRADLE_PUBLIC
CradleDirectoryUser *cradle_directory_read_user_finish           (CradleDirectory      *self,
                                                                  GAsyncResult         *result,
                                                                  GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/* The sAMAccountName of the account or group with this SID. Blocks. */
CRADLE_PUBLIC
char                *cradle_directory_lookup_sid                 (CradleDirectory      *self,
                                                                  const char           *sid,
                                                                  GCancellable         *cancellable,
                                                                  GError              **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
