/* cradle-security-descriptor-private.h: a directory object's DACL and the Enroll right */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Hard limits on a self-relative SECURITY_DESCRIPTOR (MS-DTYP 2.4.6) from the
 * directory. An ACL's size is a 16-bit field: 4096 allowed or denied ACEs of
 * at least 16 bytes each already fill it, so the cap only stops lists padded
 * with tiny ACEs of other types. */
#define CRADLE_SECURITY_DESCRIPTOR_MAX_SIZE (1024 * 1024)
#define CRADLE_SECURITY_DESCRIPTOR_MAX_ACES 4096

/* Extended rights of certificate templates (rightsGuid), as text. */
#define CRADLE_ENROLL_RIGHT_GUID     "0e10c968-78fb-11d2-90d4-00c04f79dc55"
#define CRADLE_AUTOENROLL_RIGHT_GUID "a05b8cc2-17bc-4802-a710-e7c15ab866a2"

#define CRADLE_GUID_SIZE 16

/* ACE types (MS-DTYP 2.4.4.1) that are kept; every other type is skipped. */
typedef enum {
  CRADLE_ACE_ACCESS_ALLOWED        = 0x00,
  CRADLE_ACE_ACCESS_DENIED         = 0x01,
  CRADLE_ACE_ACCESS_ALLOWED_OBJECT = 0x05,
  CRADLE_ACE_ACCESS_DENIED_OBJECT  = 0x06,
} CradleAceType;

/* AceFlags */
#define CRADLE_ACE_FLAG_INHERIT_ONLY 0x08

/* Flags of the object ACEs (MS-DTYP 2.4.4.3) */
#define CRADLE_ACE_OBJECT_TYPE_PRESENT           0x1
#define CRADLE_ACE_INHERITED_OBJECT_TYPE_PRESENT 0x2

/* Access mask bits that matter for Enroll (MS-ADTS 5.1.3.2, MS-DTYP 2.4.3) */
#define CRADLE_ADS_RIGHT_DS_CONTROL_ACCESS 0x00000100
#define CRADLE_ADS_GENERIC_ALL_MAPPED      0x000F01FF
#define CRADLE_GENERIC_ALL                 0x10000000

/**
 * CradleAce:
 * @type: a #CradleAceType
 * @flags: AceFlags (inheritance)
 * @mask: the access mask
 * @object_flags: for object ACEs, which of the GUIDs are present; 0 otherwise
 * @object_type: the ObjectType GUID as stored, valid when
 *   %CRADLE_ACE_OBJECT_TYPE_PRESENT is set in @object_flags
 * @inherited_object_type: the InheritedObjectType GUID as stored, valid when
 *   %CRADLE_ACE_INHERITED_OBJECT_TYPE_PRESENT is set in @object_flags
 * @sid: the trustee as "S-1-…"
 */
typedef struct
{
  guint8   type;
  guint8   flags;
  guint32  mask;
  guint32  object_flags;
  guint8   object_type[CRADLE_GUID_SIZE];
  guint8   inherited_object_type[CRADLE_GUID_SIZE];

  /* Owned */
  char    *sid;
} CradleAce;

typedef struct _CradleSecurityDescriptor CradleSecurityDescriptor;

/**
 * CradleEnrollRight:
 * @CRADLE_ENROLL_RIGHT_NOT_GRANTED: no ACE of the user's grants or denies Enroll
 * @CRADLE_ENROLL_RIGHT_GRANTED: the first ACE that decides grants Enroll
 * @CRADLE_ENROLL_RIGHT_DENIED: the first ACE that decides denies Enroll
 */
typedef enum {
  CRADLE_ENROLL_RIGHT_NOT_GRANTED,
  CRADLE_ENROLL_RIGHT_GRANTED,
  CRADLE_ENROLL_RIGHT_DENIED,
} CradleEnrollRight;

CradleSecurityDescriptor *cradle_security_descriptor_parse  (const guint8                    *data,
                                                             gsize                            size,
                                                             GError                         **error) G_GNUC_WARN_UNUSED_RESULT;
void                      cradle_security_descriptor_free   (CradleSecurityDescriptor        *sd);

gboolean          cradle_security_descriptor_has_dacl       (const CradleSecurityDescriptor  *sd);
guint             cradle_security_descriptor_get_n_aces     (const CradleSecurityDescriptor  *sd);
const CradleAce  *cradle_security_descriptor_get_ace        (const CradleSecurityDescriptor  *sd,
                                                             guint                            index);

CradleEnrollRight cradle_security_descriptor_check_enroll   (const CradleSecurityDescriptor  *sd,
                                                             const char * const              *user_sids,
                                                             char                           **deciding_sid);
char            **cradle_security_descriptor_dup_enroll_sids (const CradleSecurityDescriptor *sd);

char             *cradle_guid_to_string                     (const guint8                    *guid);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CradleSecurityDescriptor, cradle_security_descriptor_free)

G_END_DECLS
