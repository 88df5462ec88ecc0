/* cradle-type-lookup.h: a certificate type from the directory, with a head start from the kept catalog */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <gio/gio.h>
#include <cradle/cradle-macros.h>
#include <cradle/cradle-catalog.h>
#include <cradle/cradle-cert-type.h>
#include <cradle/cradle-credentials.h>

G_BEGIN_DECLS

#define CRADLE_TYPE_TYPE_LOOKUP (cradle_type_lookup_get_type ())
CRADLE_PUBLIC
G_DECLARE_FINAL_TYPE (CradleTypeLookup, cradle_type_lookup, CRADLE, TYPE_LOOKUP, GObject)

/* Whether the type is read with the catalog: a template (@custom %NULL),
 * or an administrator's type that names one and signs in.  A type that
 * does not, needs none. */
CRADLE_PUBLIC
gboolean          cradle_type_lookup_reads_catalog (CradleCertType     *custom);

/* Starts reading the catalog of @domain (or of the controller @dc_uri;
 * both nullable: the realm's) as @credentials on a thread of its own, the
 * directory being the slowest part of starting, and meanwhile reads the
 * catalog kept from the last read (a file: Kerberos sign-ins only, younger
 * than cradle_catalog_get_cache_max_age()).  The new catalog is kept in
 * turn.  Blocks for the file only.  @cancellable ends the directory read. */
CRADLE_PUBLIC
CradleTypeLookup *cradle_type_lookup_new           (const char         *domain,
                                                    const char         *dc_uri,
                                                    CradleCredentials  *credentials,
                                                    GCancellable       *cancellable);

/* The catalog kept from the last read of @domain's directory (or
 * @dc_uri's) as @credentials, without the directory: for Kerberos sign-ins
 * only, no older than cradle_catalog_get_cache_max_age().  %NULL with
 * @error when none is kept. */
CRADLE_PUBLIC
CradleCatalog    *cradle_type_lookup_read_kept_catalog (const char        *domain,
                                                        const char        *dc_uri,
                                                        CradleCredentials *credentials,
                                                        GError           **error) G_GNUC_WARN_UNUSED_RESULT;

/* (nullable): the kept catalog, to start with. */
CRADLE_PUBLIC
CradleCatalog    *cradle_type_lookup_get_kept_catalog (CradleTypeLookup *self);

/* The type to start with while the directory is read: @template_name of
 * the kept catalog, or @custom read again with it.  (nullable): none is
 * kept, or it does not let the user enroll for this type. */
CRADLE_PUBLIC
CradleCertType   *cradle_type_lookup_dup_kept_type (CradleTypeLookup   *self,
                                                    const char         *template_name,
                                                    CradleCertType     *custom);

/* Waits for the directory and returns its catalog.  Blocks. */
CRADLE_PUBLIC G_GNUC_WARN_UNUSED_RESULT
CradleCatalog    *cradle_type_lookup_wait          (CradleTypeLookup   *self,
                                                    GCancellable       *cancellable,
                                                    GError            **error) G_GNUC_WARN_UNUSED_RESULT;
/* (nullable): the domain controller's host name, once the directory was read. */
CRADLE_PUBLIC
const char       *cradle_type_lookup_get_server    (CradleTypeLookup   *self);

/* The type from the directory's catalog: @template_name's (@custom
 * %NULL), or @custom read again with the catalog (as it is when the
 * directory cannot be read).  Blocks until the directory was read. */
CRADLE_PUBLIC G_GNUC_WARN_UNUSED_RESULT
CradleCertType   *cradle_type_lookup_dup_type      (CradleTypeLookup   *self,
                                                    const char         *template_name,
                                                    CradleCertType     *custom,
                                                    GCancellable       *cancellable,
                                                    GError            **error) G_GNUC_WARN_UNUSED_RESULT;
/* @type, made from the kept catalog (or any other), as the directory's
 * catalog makes it now; what cradle_enrollment_set_type_lookup() confirms
 * a provisional type with.  Blocks until the directory was read. */
CRADLE_PUBLIC G_GNUC_WARN_UNUSED_RESULT
CradleCertType   *cradle_type_lookup_dup_fresh_type (CradleTypeLookup  *self,
                                                     CradleCertType    *type,
                                                     GCancellable      *cancellable,
                                                     GError           **error) G_GNUC_WARN_UNUSED_RESULT;

/* Ends the directory read (cancelled, unless it has its catalog already,
 * which is still kept) and waits for its thread: call it before the
 * process exits, which would otherwise tear Kerberos down under the
 * thread. Idempotent. */
CRADLE_PUBLIC
void              cradle_type_lookup_stop          (CradleTypeLookup   *self);

G_END_DECLS
