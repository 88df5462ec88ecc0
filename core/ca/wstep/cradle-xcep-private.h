/* cradle-xcep-private.h: MS-XCEP GetPolicies, built and read */
#pragma once

#include <gio/gio.h>

#include "ca/wstep/cradle-soap-private.h"

G_BEGIN_DECLS

#define CRADLE_XCEP_NS "http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy"
#define CRADLE_XCEP_ACTION_GET_POLICIES                                                            \
  "http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy/IPolicy/GetPolicies"

/* Hard limits on one GetPoliciesResponse. */
#define CRADLE_XCEP_MAX_POLICIES   4096
#define CRADLE_XCEP_MAX_CAS        256
#define CRADLE_XCEP_MAX_CA_URIS    64
#define CRADLE_XCEP_MAX_OIDS       16384
#define CRADLE_XCEP_MAX_EXTENSIONS 64
#define CRADLE_XCEP_MAX_NAME       1024

/* One OID the policy names (MS-XCEP 3.1.4.1.3.16). */
typedef struct
{
  gint  reference_id;
  guint group;
  char *value;
  char *default_name;
} CradleXcepOid;

typedef struct
{
  char     *oid;
  gboolean  critical;
  GBytes   *value;   /* DER, may be %NULL */
} CradleXcepExtension;

/* One template (a policy with its attributes, 3.1.4.1.3.4 and .1). */
typedef struct
{
  char      *common_name;
  char      *oid;                  /* of policyOIDReference, %NULL when none */
  guint      schema;
  guint      major_revision;
  guint      minor_revision;
  guint64    validity_seconds;
  guint64    renewal_seconds;
  gboolean   enroll;
  gboolean   auto_enroll;
  guint      minimal_key_length;
  guint      key_spec;
  char      *key_algorithm_oid;    /* %NULL when none */
  char      *hash_algorithm_oid;   /* %NULL when none */
  guint32    private_key_flags;
  guint32    subject_name_flags;
  guint32    enrollment_flags;
  guint32    general_flags;
  guint      ra_signatures;
  GArray    *ca_references;        /* of gint */
  GPtrArray *extensions;           /* of CradleXcepExtension */
} CradleXcepPolicy;

/* One CA (3.1.4.1.3.2): its endpoints are CradleCesEndpoint, the
 * same records the directory's msPKI-Enrollment-Servers gives. */
typedef struct
{
  gint       reference_id;
  GPtrArray *endpoints;            /* of CradleCesEndpoint, sorted */
  GBytes    *certificate;          /* DER, may be %NULL */
  gboolean   enroll_permission;
} CradleXcepCa;

typedef struct
{
  char      *policy_id;
  char      *friendly_name;
  guint      next_update_hours;
  gboolean   policies_not_changed;
  GPtrArray *policies;             /* of CradleXcepPolicy */
  GPtrArray *cas;                  /* of CradleXcepCa */
  GPtrArray *oids;                 /* of CradleXcepOid */
} CradleXcepResponse;

GBytes             *cradle_xcep_build_get_policies (const CradleSoapHeader *header,
                                                    GError                **error) G_GNUC_WARN_UNUSED_RESULT;

/* A GetPoliciesResponse, or CRADLE_ERROR_INVALID_DATA.  A SOAP fault is
 * not read here: the caller looks at cradle_soap_message_parse() first. */
CradleXcepResponse *cradle_xcep_response_parse     (xmlNode                *payload,
                                                    GError                **error) G_GNUC_WARN_UNUSED_RESULT;
void                cradle_xcep_response_free      (CradleXcepResponse     *response);

const CradleXcepPolicy *cradle_xcep_response_find_policy (const CradleXcepResponse *response,
                                                          const char               *common_name);
const CradleXcepCa     *cradle_xcep_response_find_ca     (const CradleXcepResponse *response,
                                                          gint                      reference_id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleXcepResponse, cradle_xcep_response_free)

G_END_DECLS
