/* cradle-catalog-private.h: the catalog's parts, shared by its loader and its checks */
#pragma once

#include <cradle/cradle.h>

G_BEGIN_DECLS

typedef struct {
  CradleEnrollability  enrollability;
  char                *reason;
} CradleCatalogVerdict;

struct _CradleCatalog
{
  GObject parent_instance;

  /* Owned */
  CradleDirectoryUser *user;
  GPtrArray           *templates;       /* of CradleTemplate */
  GPtrArray           *services;        /* of CradleEnrollmentService */
  GPtrArray           *ntauth;          /* of CradleCertificate */
  GPtrArray           *aia;             /* of CradleCertificate */
  GPtrArray           *problems;        /* of char *, NULL-terminated */
  GHashTable          *verdicts;        /* CradleTemplate * → CradleCatalogVerdict * */
  GHashTable          *open_services;   /* the CradleEnrollmentService * the user may enroll through */
};

/* Decides every template's verdict; looks up the names of the groups a
 * reason mentions through @directory. */
gboolean cradle_catalog_evaluate (CradleCatalog    *self,
                                  CradleDirectory  *directory,
                                  GCancellable     *cancellable,
                                  GError          **error);

void     cradle_catalog_verdict_free (CradleCatalogVerdict *verdict);

G_END_DECLS
