/* cradle-catalog.h: what the directory offers the signed-in user
 *
 * One read of the forest's Public Key Services: templates, enterprise CAs,
 * NTAuth and AIA certificates, and the user's entry; then, for each
 * template, whether this user can enroll and why not.
 */
#pragma once

#if !defined(CRADLE_INSIDE) && !defined(CRADLE_COMPILATION)
#error "Only <cradle/cradle.h> can be included directly."
#endif

#include <gio/gio.h>
#include <cradle/cradle-macros.h>
#include <cradle/cradle-directory.h>
#include <cradle/cradle-enrollment-service.h>
#include <cradle/cradle-template.h>

G_BEGIN_DECLS

typedef enum {
  CRADLE_ENROLLABILITY_ENROLLABLE,
  CRADLE_ENROLLABILITY_NEEDS_APPROVAL,    /* enrollable; an administrator approves each request */
  CRADLE_ENROLLABILITY_NOT_PUBLISHED,     /* no CA issues it */
  CRADLE_ENROLLABILITY_NOT_PERMITTED,     /* the template's or the CA's permissions */
  CRADLE_ENROLLABILITY_MISSING_ATTRIBUTE, /* the CA would need a value the user's entry lacks */
  CRADLE_ENROLLABILITY_UNSUPPORTED,       /* e.g. for computers, or key archival */
  CRADLE_ENROLLABILITY_DAMAGED,           /* the directory's copy is malformed */
} CradleEnrollability;

#define CRADLE_TYPE_CATALOG (cradle_catalog_get_type ())
CRADLE_PUBLIC
G_DECLARE_FINAL_TYPE (CradleCatalog, cradle_catalog, CRADLE, CATALOG, GObject)

/* Reads everything through an open @directory. Blocks. */
CRADLE_PUBLIC
CradleCatalog       *cradle_catalog_load                 (CradleDirectory     *directory,
                                                          GCancellable        *cancellable,
                                                          GError             **error) G_GNUC_WARN_UNUSED_RESULT;
CRADLE_PUBLIC
void                 cradle_catalog_load_async           (CradleDirectory     *directory,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
CRADLE_PUBLIC
CradleCatalog       *cradle_catalog_load_finish          (GAsyncResult        *result,
                                                          GError             **error) G_GNUC_WARN_UNUSED_RESULT;

/* The last catalog read for the same directory and account, kept in the
 * state folder: a head start, to be checked against a fresh read. Reads a
 * file only. %CRADLE_ERROR_NOT_FOUND when none younger than
 * @max_age_seconds is kept. */
CRADLE_PUBLIC
CradleCatalog       *cradle_catalog_load_cached          (CradleDirectory     *directory,
                                                          guint                max_age_seconds,
                                                          GError             **error) G_GNUC_WARN_UNUSED_RESULT;
CRADLE_PUBLIC
gboolean             cradle_catalog_save_cache           (CradleCatalog       *self,
                                                          CradleDirectory     *directory,
                                                          GError             **error) G_GNUC_WARN_UNUSED_RESULT;
/* [Directory] CatalogCacheHours of cradle.conf in seconds (8 hours unset; 0: never). */
CRADLE_PUBLIC
guint                cradle_catalog_get_cache_max_age    (void);

CRADLE_PUBLIC
CradleDirectoryUser *cradle_catalog_get_user             (CradleCatalog       *self);
/* (element-type CradleTemplate), sorted by name */
CRADLE_PUBLIC
GPtrArray           *cradle_catalog_get_templates        (CradleCatalog       *self);
/* (element-type CradleEnrollmentService), sorted by name */
CRADLE_PUBLIC
GPtrArray           *cradle_catalog_get_services         (CradleCatalog       *self);
/* (element-type CradleCertificate) */
CRADLE_PUBLIC
GPtrArray           *cradle_catalog_get_ntauth_certificates (CradleCatalog    *self);
CRADLE_PUBLIC
GPtrArray           *cradle_catalog_get_aia_certificates (CradleCatalog       *self);
/* Templates and CAs the directory holds malformed, one sentence each. */
CRADLE_PUBLIC
const char * const  *cradle_catalog_get_problems         (CradleCatalog       *self);

/* By cn, ignoring case, or %NULL. */
CRADLE_PUBLIC
CradleTemplate      *cradle_catalog_find_template        (CradleCatalog       *self,
                                                          const char          *name);
/* Whether the user can enroll for @template; @reason (optional) gets the
 * explanation written for the user. */
CRADLE_PUBLIC
CradleEnrollability  cradle_catalog_check                (CradleCatalog       *self,
                                                          CradleTemplate      *template,
                                                          char               **reason);
/* The CAs that issue @template and let the user enroll through them,
 * (element-type CradleEnrollmentService). */
CRADLE_PUBLIC
GPtrArray           *cradle_catalog_dup_services_for     (CradleCatalog       *self,
                                                          CradleTemplate      *template);

G_END_DECLS
