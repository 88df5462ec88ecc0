/* cradle-catalog-private.h: the catalog's parts, shared by its loader and its checks */
#pragma once

#include <cradle/cradle.h>

#include "directory/cradle-ldap-entry-private.h"

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
  GPtrArray           *roots;           /* of CradleCertificate: Certification Authorities */
  GPtrArray           *problems;        /* of char *, NULL-terminated */
  GHashTable          *verdicts;        /* CradleTemplate * → CradleCatalogVerdict * */
  GHashTable          *open_services;   /* the CradleEnrollmentService * the user may enroll through */
  GHashTable          *sid_names;       /* SID → account name, or the SID when unknown */

  /* The directory's entries everything above was read from: what a
   * snapshot keeps. */
  CradleLdapEntry     *user_entry;
  GPtrArray           *template_entries;  /* of CradleLdapEntry */
  GPtrArray           *service_entries;
  GPtrArray           *ntauth_entries;
  GPtrArray           *aia_entries;
  GPtrArray           *root_entries;
};

/* An empty catalog, to be filled with entries, then built. */
CradleCatalog *cradle_catalog_new_empty (void);

/* Reads the entries into templates, services, certificates and verdicts.
 * @directory, when there is one, names the groups a reason mentions;
 * without it, the names already in sid_names are used. */
gboolean cradle_catalog_build (CradleCatalog    *self,
                               CradleDirectory  *directory,
                               GCancellable     *cancellable,
                               GError          **error) G_GNUC_WARN_UNUSED_RESULT;

/* Decides every template's verdict; looks up the names of the groups a
 * reason mentions through @directory (nullable: sid_names only). */
gboolean cradle_catalog_evaluate (CradleCatalog    *self,
                                  CradleDirectory  *directory,
                                  GCancellable     *cancellable,
                                  GError          **error) G_GNUC_WARN_UNUSED_RESULT;

void     cradle_catalog_verdict_free (CradleCatalogVerdict *verdict);

/* The roots the directory publishes (the self-signed certificates of
 * Certification Authorities and NTAuthCertificates), which the host trusts
 * as it trusts its system store: new references, never %NULL. */
GPtrArray *cradle_catalog_dup_directory_roots (CradleCatalog *self);

/* What the CA would copy from @user's entry into @template's certificates
 * and cannot find, in words ("an e-mail address (mail)"), with @hresult
 * (nullable) set to the CA's refusal (CERTSRV_E_SUBJECT_UPN_REQUIRED,
 * _EMAIL_REQUIRED, _DNS_REQUIRED); NULL and 0 when nothing is missing or
 * @user is NULL. */
const char *cradle_catalog_check_missing_attribute (CradleTemplate      *template,
                                                    CradleDirectoryUser *user,
                                                    guint32             *hresult);

G_END_DECLS
