/* test-security-descriptor.c: DACLs built byte by byte, good and bad, and the Enroll right */
#include "config.h"

#include <string.h>

#include <cradle/cradle.h>

#include "directory/cradle-security-descriptor-private.h"
#include "directory/cradle-sid-private.h"

#define USER_SID     "S-1-5-21-1004336348-1177238915-682003330-1105"
#define USERS_SID    "S-1-5-21-1004336348-1177238915-682003330-513"
#define MOBILE_SID   "S-1-5-21-1004336348-1177238915-682003330-1120"
#define ADMINS_SID   "S-1-5-21-1004336348-1177238915-682003330-512"
#define EVERYONE_SID "S-1-1-0"
#define AUTH_SID     "S-1-5-11"

/* The user of every evaluation: their own SID, a group, and the well-known ones. */
static const char * const user_sids[] = {
  USER_SID, USERS_SID, EVERYONE_SID, AUTH_SID, NULL,
};

/* The GUIDs as AD stores them, written out here rather than derived. */
static const guint8 enroll_guid[16] = {
  0x68, 0xc9, 0x10, 0x0e, 0xfb, 0x78, 0xd2, 0x11,
  0x90, 0xd4, 0x00, 0xc0, 0x4f, 0x79, 0xdc, 0x55,
};
static const guint8 autoenroll_guid[16] = {
  0xc2, 0x8c, 0x5b, 0xa0, 0xbc, 0x17, 0x02, 0x48,
  0xa7, 0x10, 0xe7, 0xc1, 0x5a, 0xb8, 0x66, 0xa2,
};
/* pKICertificateTemplate's schemaIDGUID, e5209ca2-3bba-11d2-90cc-00c04fd91ab1 */
static const guint8 template_class_guid[16] = {
  0xa2, 0x9c, 0x20, 0xe5, 0xba, 0x3b, 0xd2, 0x11,
  0x90, 0xcc, 0x00, 0xc0, 0x4f, 0xd9, 0x1a, 0xb1,
};

#define MASK_READ         0x00020094
#define MASK_FULL_CONTROL 0x000F01FF

/* Building descriptors */

typedef struct
{
  GByteArray *aces;
  guint       count;
} Dacl;

static Dacl
dacl_new (void)
{
  Dacl dacl = { g_byte_array_new (), 0 };

  return dacl;
}

static void
dacl_clear (Dacl *dacl)
{
  g_clear_pointer (&dacl->aces, g_byte_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Dacl, dacl_clear)

static void
append_u8 (GByteArray *bytes,
           guint8      value)
{
  g_byte_array_append (bytes, &value, 1);
}

static void
append_u16 (GByteArray *bytes,
            guint16     value)
{
  append_u8 (bytes, value & 0xff);
  append_u8 (bytes, value >> 8);
}

static void
append_u32 (GByteArray *bytes,
            guint32     value)
{
  append_u16 (bytes, value & 0xffff);
  append_u16 (bytes, value >> 16);
}

static void
append_sid (GByteArray *bytes,
            const char *sid)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) binary = cradle_sid_from_string (sid, &error);

  g_assert_no_error (error);
  g_byte_array_append (bytes, g_bytes_get_data (binary, NULL), g_bytes_get_size (binary));
}

/* Any ACE: the header, then @body. */
static void
dacl_add_raw (Dacl         *dacl,
              guint8        type,
              guint8        flags,
              const guint8 *body,
              gsize         body_size)
{
  g_assert_cmpuint ((4 + body_size) % 4, ==, 0);
  append_u8 (dacl->aces, type);
  append_u8 (dacl->aces, flags);
  append_u16 (dacl->aces, 4 + body_size);
  g_byte_array_append (dacl->aces, body, body_size);
  dacl->count++;
}

static void
dacl_add (Dacl       *dacl,
          guint8      type,
          guint8      flags,
          guint32     mask,
          const char *sid)
{
  g_autoptr(GByteArray) body = g_byte_array_new ();

  append_u32 (body, mask);
  append_sid (body, sid);
  dacl_add_raw (dacl, type, flags, body->data, body->len);
}

static void
dacl_add_object (Dacl         *dacl,
                 guint8        type,
                 guint8        flags,
                 guint32       mask,
                 const guint8 *object_type,
                 const guint8 *inherited_object_type,
                 const char   *sid)
{
  g_autoptr(GByteArray) body = g_byte_array_new ();
  guint32 object_flags = 0;

  if (object_type != NULL)
    object_flags |= CRADLE_ACE_OBJECT_TYPE_PRESENT;
  if (inherited_object_type != NULL)
    object_flags |= CRADLE_ACE_INHERITED_OBJECT_TYPE_PRESENT;

  append_u32 (body, mask);
  append_u32 (body, object_flags);
  if (object_type != NULL)
    g_byte_array_append (body, object_type, 16);
  if (inherited_object_type != NULL)
    g_byte_array_append (body, inherited_object_type, 16);
  append_sid (body, sid);
  dacl_add_raw (dacl, type, flags, body->data, body->len);
}

/* A self-relative descriptor as AD returns it for SD_FLAGS = DACL: no owner, group or SACL. */
static GBytes *
build_descriptor_with_control (const Dacl *dacl,
                               guint16     control)
{
  g_autoptr(GByteArray) sd = g_byte_array_new ();

  append_u8 (sd, 1);
  append_u8 (sd, 0);
  append_u16 (sd, control);
  append_u32 (sd, 0);
  append_u32 (sd, 0);
  append_u32 (sd, 0);
  append_u32 (sd, 20);

  append_u8 (sd, 4);
  append_u8 (sd, 0);
  append_u16 (sd, 8 + dacl->aces->len);
  append_u16 (sd, dacl->count);
  append_u16 (sd, 0);
  g_byte_array_append (sd, dacl->aces->data, dacl->aces->len);

  return g_byte_array_free_to_bytes (g_steal_pointer (&sd));
}

static GBytes *
build_descriptor (const Dacl *dacl)
{
  return build_descriptor_with_control (dacl, 0x8004);
}

/* Parses a copy of exactly @size bytes, so ASan and valgrind see any read past the end. */
static CradleSecurityDescriptor *
parse_exact (const guint8  *data,
             gsize          size,
             GError       **error)
{
  g_autofree guint8 *copy = g_memdup2 (data, size);

  return cradle_security_descriptor_parse (copy, size, error);
}

static CradleSecurityDescriptor *
parse_ok (GBytes *bytes)
{
  g_autoptr(GError) error = NULL;
  CradleSecurityDescriptor *sd;

  sd = parse_exact (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), &error);
  g_assert_no_error (error);
  g_assert_nonnull (sd);
  return sd;
}

static CradleSecurityDescriptor *
parse_dacl (const Dacl *dacl)
{
  g_autoptr(GBytes) bytes = build_descriptor (dacl);

  return parse_ok (bytes);
}

static void
assert_rejected (const guint8 *data,
                 gsize         size,
                 const char   *reason)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CradleSecurityDescriptor) sd = parse_exact (data, size, &error);

  g_assert_null (sd);
  g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
  g_assert_true (g_str_has_prefix (error->message,
                                   "The directory sent permissions (a security descriptor)"));
  g_assert_true (g_str_has_suffix (error->message,
                                   "Ask an administrator to check the object's permissions."));
  if (reason != NULL && strstr (error->message, reason) == NULL)
    g_error ("'%s' does not say '%s'", error->message, reason);
}

static void
assert_bytes_rejected (GBytes     *bytes,
                       const char *reason)
{
  assert_rejected (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), reason);
}

static void
assert_enroll (const CradleSecurityDescriptor *sd,
               CradleEnrollRight               expected,
               const char                     *expected_sid)
{
  g_autofree char *deciding = NULL;
  CradleEnrollRight right = cradle_security_descriptor_check_enroll (sd, user_sids, &deciding);

  g_assert_cmpint (right, ==, expected);
  g_assert_cmpstr (deciding, ==, expected_sid);
}

/* A DACL like the one of the User template, with the user's group granted Enroll. */
static void
add_typical_aces (Dacl *dacl)
{
  dacl_add_object (dacl, CRADLE_ACE_ACCESS_ALLOWED_OBJECT, 0, 0x100, enroll_guid, NULL, USERS_SID);
  dacl_add (dacl, CRADLE_ACE_ACCESS_ALLOWED, 0, MASK_FULL_CONTROL, ADMINS_SID);
  dacl_add (dacl, CRADLE_ACE_ACCESS_ALLOWED, 0, MASK_READ, AUTH_SID);
}

/* Parsing */

static void
test_guid_to_string (void)
{
  g_autofree char *enroll = cradle_guid_to_string (enroll_guid);
  g_autofree char *autoenroll = cradle_guid_to_string (autoenroll_guid);
  g_autofree char *template_class = cradle_guid_to_string (template_class_guid);

  g_assert_cmpstr (enroll, ==, CRADLE_ENROLL_RIGHT_GUID);
  g_assert_cmpstr (enroll, ==, "0e10c968-78fb-11d2-90d4-00c04f79dc55");
  g_assert_cmpstr (autoenroll, ==, CRADLE_AUTOENROLL_RIGHT_GUID);
  g_assert_cmpstr (template_class, ==, "e5209ca2-3bba-11d2-90cc-00c04fd91ab1");
}

static void
test_parse_fields (void)
{
  g_auto(Dacl) dacl = dacl_new ();
  g_autoptr(CradleSecurityDescriptor) sd = NULL;
  const guint8 label_body[] = { 0x01, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00,
                                0x00, 0x00, 0x00, 0x10, 0x00, 0x10, 0x00, 0x00 };
  const CradleAce *ace;
  g_autofree char *object_type = NULL;
  g_autofree char *inherited = NULL;

  dacl_add (&dacl, CRADLE_ACE_ACCESS_DENIED, 0x02, 0x100, MOBILE_SID);
  /* A mandatory label (0x11) is skipped by its size. */
  dacl_add_raw (&dacl, 0x11, 0, label_body, sizeof label_body);
  dacl_add_object (&dacl, CRADLE_ACE_ACCESS_ALLOWED_OBJECT, 0x0a, 0x130,
                   enroll_guid, template_class_guid, USERS_SID);
  dacl_add_object (&dacl, CRADLE_ACE_ACCESS_DENIED_OBJECT, 0, 0x100, NULL, template_class_guid,
                   USER_SID);
  dacl_add (&dacl, CRADLE_ACE_ACCESS_ALLOWED, 0, MASK_FULL_CONTROL, ADMINS_SID);
  sd = parse_dacl (&dacl);

  g_assert_true (cradle_security_descriptor_has_dacl (sd));
  g_assert_cmpuint (cradle_security_descriptor_get_n_aces (sd), ==, 4);

  ace = cradle_security_descriptor_get_ace (sd, 0);
  g_assert_cmpuint (ace->type, ==, CRADLE_ACE_ACCESS_DENIED);
  g_assert_cmpuint (ace->flags, ==, 0x02);
  g_assert_cmphex (ace->mask, ==, 0x100);
  g_assert_cmpuint (ace->object_flags, ==, 0);
  g_assert_cmpstr (ace->sid, ==, MOBILE_SID);

  ace = cradle_security_descriptor_get_ace (sd, 1);
  g_assert_cmpuint (ace->type, ==, CRADLE_ACE_ACCESS_ALLOWED_OBJECT);
  g_assert_cmpuint (ace->flags, ==, 0x0a);
  g_assert_cmphex (ace->mask, ==, 0x130);
  g_assert_cmpuint (ace->object_flags, ==, 3);
  object_type = cradle_guid_to_string (ace->object_type);
  inherited = cradle_guid_to_string (ace->inherited_object_type);
  g_assert_cmpstr (object_type, ==, CRADLE_ENROLL_RIGHT_GUID);
  g_assert_cmpstr (inherited, ==, "e5209ca2-3bba-11d2-90cc-00c04fd91ab1");
  g_assert_cmpstr (ace->sid, ==, USERS_SID);

  ace = cradle_security_descriptor_get_ace (sd, 2);
  g_assert_cmpuint (ace->type, ==, CRADLE_ACE_ACCESS_DENIED_OBJECT);
  g_assert_cmpuint (ace->object_flags, ==, CRADLE_ACE_INHERITED_OBJECT_TYPE_PRESENT);
  g_assert_cmpmem (ace->inherited_object_type, 16, template_class_guid, 16);
  g_assert_cmpstr (ace->sid, ==, USER_SID);

  ace = cradle_security_descriptor_get_ace (sd, 3);
  g_assert_cmpuint (ace->type, ==, CRADLE_ACE_ACCESS_ALLOWED);
  g_assert_cmphex (ace->mask, ==, MASK_FULL_CONTROL);
  g_assert_cmpstr (ace->sid, ==, ADMINS_SID);
}

static void
test_parse_with_owner_and_slack (void)
{
  g_auto(Dacl) dacl = dacl_new ();
  g_autoptr(GByteArray) sd_bytes = g_byte_array_new ();
  g_autoptr(GByteArray) body = g_byte_array_new ();
  g_autoptr(CradleSecurityDescriptor) sd = NULL;
  g_autoptr(GError) error = NULL;

  /* An owner SID first, the DACL after it, room left in the ACL and in an ACE. */
  append_u32 (body, 0x100);
  append_u32 (body, 1);
  g_byte_array_append (body, enroll_guid, 16);
  append_sid (body, USERS_SID);
  append_u32 (body, 0xdeadbeef);
  dacl_add_raw (&dacl, CRADLE_ACE_ACCESS_ALLOWED_OBJECT, 0, body->data, body->len);

  append_u8 (sd_bytes, 1);
  append_u8 (sd_bytes, 0);
  append_u16 (sd_bytes, 0x8005);
  append_u32 (sd_bytes, 20);
  append_u32 (sd_bytes, 0);
  append_u32 (sd_bytes, 0);
  append_u32 (sd_bytes, 20 + 28);
  append_sid (sd_bytes, ADMINS_SID);
  append_u8 (sd_bytes, 2);
  append_u8 (sd_bytes, 0);
  append_u16 (sd_bytes, 8 + dacl.aces->len + 12);
  append_u16 (sd_bytes, 1);
  append_u16 (sd_bytes, 0);
  g_byte_array_append (sd_bytes, dacl.aces->data, dacl.aces->len);
  for (guint i = 0; i < 12; i++)
    append_u8 (sd_bytes, 0xee);

  sd = parse_exact (sd_bytes->data, sd_bytes->len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (cradle_security_descriptor_get_n_aces (sd), ==, 1);
  g_assert_cmpstr (cradle_security_descriptor_get_ace (sd, 0)->sid, ==, USERS_SID);
  assert_enroll (sd, CRADLE_ENROLL_RIGHT_GRANTED, USERS_SID);
}

/* Evaluation */

static void
test_enroll_object_ace (void)
{
  g_auto(Dacl) dacl = dacl_new ();
  g_autoptr(CradleSecurityDescriptor) sd = NULL;

  add_typical_aces (&dacl);
  sd = parse_dacl (&dacl);
  assert_enroll (sd, CRADLE_ENROLL_RIGHT_GRANTED, USERS_SID);

  /* No out parameter wanted. */
  g_assert_cmpint (cradle_security_descriptor_check_enroll (sd, user_sids, NULL), ==,
                   CRADLE_ENROLL_RIGHT_GRANTED);
}

static void
test_enroll_generic_all (void)
{
  const guint32 masks[] = { CRADLE_GENERIC_ALL, MASK_FULL_CONTROL, 0x100 };

  for (gsize i = 0; i < G_N_ELEMENTS (masks); i++)
    {
      g_auto(Dacl) dacl = dacl_new ();
      g_autoptr(CradleSecurityDescriptor) sd = NULL;

      dacl_add (&dacl, CRADLE_ACE_ACCESS_ALLOWED, 0, MASK_READ, AUTH_SID);
      dacl_add (&dacl, CRADLE_ACE_ACCESS_ALLOWED, 0, masks[i], EVERYONE_SID);
      sd = parse_dacl (&dacl);
      assert_enroll (sd, CRADLE_ENROLL_RIGHT_GRANTED, EVERYONE_SID);
    }
}

static void
test_enroll_read_only (void)
{
  g_auto(Dacl) dacl = dacl_new ();
  g_autoptr(CradleSecurityDescriptor) sd = NULL;

  /* Read, write and every right but control access: still no Enroll. */
  dacl_add (&dacl, CRADLE_ACE_ACCESS_ALLOWED, 0, MASK_READ, AUTH_SID);
  dacl_add (&dacl, CRADLE_ACE_ACCESS_ALLOWED, 0, MASK_FULL_CONTROL & ~0x100u, USER_SID);
  dacl_add_object (&dacl, CRADLE_ACE_ACCESS_ALLOWED_OBJECT, 0, 0x30, enroll_guid, NULL, USER_SID);
  sd = parse_dacl (&dacl);
  assert_enroll (sd, CRADLE_ENROLL_RIGHT_NOT_GRANTED, NULL);
}

static void
test_enroll_deny_first (void)
{
  g_auto(Dacl) dacl = dacl_new ();
  g_auto(Dacl) reversed = dacl_new ();
  g_autoptr(CradleSecurityDescriptor) sd = NULL;
  g_autoptr(CradleSecurityDescriptor) sd_reversed = NULL;

  /* Canonical order: the explicit denial comes first and wins. */
  dacl_add_object (&dacl, CRADLE_ACE_ACCESS_DENIED_OBJECT, 0, 0x100, enroll_guid, NULL, USER_SID);
  add_typical_aces (&dacl);
  sd = parse_dacl (&dacl);
  assert_enroll (sd, CRADLE_ENROLL_RIGHT_DENIED, USER_SID);

  /* Order decides, as in Windows: an allow before the denial grants. */
  add_typical_aces (&reversed);
  dacl_add (&reversed, CRADLE_ACE_ACCESS_DENIED, 0, 0x100, EVERYONE_SID);
  sd_reversed = parse_dacl (&reversed);
  assert_enroll (sd_reversed, CRADLE_ENROLL_RIGHT_GRANTED, USERS_SID);
}

static void
test_enroll_deny_plain (void)
{
  g_auto(Dacl) dacl = dacl_new ();
  g_autoptr(CradleSecurityDescriptor) sd = NULL;

  dacl_add (&dacl, CRADLE_ACE_ACCESS_DENIED, 0, CRADLE_GENERIC_ALL, AUTH_SID);
  add_typical_aces (&dacl);
  sd = parse_dacl (&dacl);
  assert_enroll (sd, CRADLE_ENROLL_RIGHT_DENIED, AUTH_SID);
}

static void
test_enroll_deny_other_right (void)
{
  g_auto(Dacl) dacl = dacl_new ();
  g_autoptr(CradleSecurityDescriptor) sd = NULL;

  /* Denying AutoEnroll, or write, does not deny Enroll. */
  dacl_add_object (&dacl, CRADLE_ACE_ACCESS_DENIED_OBJECT, 0, 0x100, autoenroll_guid, NULL,
                   USER_SID);
  dacl_add (&dacl, CRADLE_ACE_ACCESS_DENIED, 0, 0x20, USER_SID);
  add_typical_aces (&dacl);
  sd = parse_dacl (&dacl);
  assert_enroll (sd, CRADLE_ENROLL_RIGHT_GRANTED, USERS_SID);
}

static void
test_enroll_inherit_only_ignored (void)
{
  g_auto(Dacl) dacl = dacl_new ();
  g_autoptr(CradleSecurityDescriptor) sd = NULL;

  /* OBJECT_INHERIT | CONTAINER_INHERIT | INHERIT_ONLY: for children, not for this object. */
  dacl_add_object (&dacl, CRADLE_ACE_ACCESS_DENIED_OBJECT, 0x0b, 0x100, enroll_guid, NULL,
                   USER_SID);
  dacl_add_object (&dacl, CRADLE_ACE_ACCESS_ALLOWED_OBJECT, 0x08, 0x100, enroll_guid, NULL,
                   MOBILE_SID);
  dacl_add_object (&dacl, CRADLE_ACE_ACCESS_ALLOWED_OBJECT, 0x08, 0x100, enroll_guid, NULL,
                   EVERYONE_SID);
  dacl_add (&dacl, CRADLE_ACE_ACCESS_ALLOWED, 0x02, 0x100, AUTH_SID);
  sd = parse_dacl (&dacl);
  assert_enroll (sd, CRADLE_ENROLL_RIGHT_GRANTED, AUTH_SID);
}

static void
test_enroll_other_sid_ignored (void)
{
  g_auto(Dacl) dacl = dacl_new ();
  g_autoptr(CradleSecurityDescriptor) sd = NULL;

  dacl_add_object (&dacl, CRADLE_ACE_ACCESS_DENIED_OBJECT, 0, 0x100, enroll_guid, NULL, ADMINS_SID);
  dacl_add_object (&dacl, CRADLE_ACE_ACCESS_ALLOWED_OBJECT, 0, 0x100, enroll_guid, NULL,
                   MOBILE_SID);
  dacl_add (&dacl, CRADLE_ACE_ACCESS_ALLOWED, 0, MASK_FULL_CONTROL, ADMINS_SID);
  dacl_add (&dacl, CRADLE_ACE_ACCESS_ALLOWED, 0, MASK_READ, AUTH_SID);
  sd = parse_dacl (&dacl);
  assert_enroll (sd, CRADLE_ENROLL_RIGHT_NOT_GRANTED, NULL);
}

static void
test_enroll_autoenroll_not_enough (void)
{
  g_auto(Dacl) dacl = dacl_new ();
  g_autoptr(CradleSecurityDescriptor) sd = NULL;

  dacl_add_object (&dacl, CRADLE_ACE_ACCESS_ALLOWED_OBJECT, 0, 0x100, autoenroll_guid, NULL,
                   USERS_SID);
  dacl_add (&dacl, CRADLE_ACE_ACCESS_ALLOWED, 0, MASK_READ, AUTH_SID);
  sd = parse_dacl (&dacl);
  assert_enroll (sd, CRADLE_ENROLL_RIGHT_NOT_GRANTED, NULL);
}

static void
test_enroll_all_extended_rights (void)
{
  g_auto(Dacl) dacl = dacl_new ();
  g_auto(Dacl) with_inherited = dacl_new ();
  g_autoptr(CradleSecurityDescriptor) sd = NULL;
  g_autoptr(CradleSecurityDescriptor) sd_inherited = NULL;

  /* No object type: every extended right, Enroll among them. */
  dacl_add (&dacl, CRADLE_ACE_ACCESS_ALLOWED, 0, MASK_READ, AUTH_SID);
  dacl_add_object (&dacl, CRADLE_ACE_ACCESS_ALLOWED_OBJECT, 0, 0x100, NULL, NULL, USERS_SID);
  sd = parse_dacl (&dacl);
  assert_enroll (sd, CRADLE_ENROLL_RIGHT_GRANTED, USERS_SID);

  /* An inherited object type only steers inheritance. */
  dacl_add_object (&with_inherited, CRADLE_ACE_ACCESS_ALLOWED_OBJECT, 0, 0x100,
                   NULL, template_class_guid, MOBILE_SID);
  dacl_add_object (&with_inherited, CRADLE_ACE_ACCESS_DENIED_OBJECT, 0, 0x100,
                   NULL, template_class_guid, EVERYONE_SID);
  sd_inherited = parse_dacl (&with_inherited);
  assert_enroll (sd_inherited, CRADLE_ENROLL_RIGHT_DENIED, EVERYONE_SID);
}

static void
test_enroll_case_of_sids (void)
{
  g_auto(Dacl) dacl = dacl_new ();
  g_autoptr(CradleSecurityDescriptor) sd = NULL;
  const char * const lower[] = { "s-1-5-11", NULL };
  g_autofree char *deciding = NULL;

  dacl_add (&dacl, CRADLE_ACE_ACCESS_ALLOWED, 0, 0x100, AUTH_SID);
  sd = parse_dacl (&dacl);
  g_assert_cmpint (cradle_security_descriptor_check_enroll (sd, lower, &deciding), ==,
                   CRADLE_ENROLL_RIGHT_GRANTED);
  g_assert_cmpstr (deciding, ==, AUTH_SID);
}

static void
test_enroll_no_dacl (void)
{
  g_auto(Dacl) dacl = dacl_new ();
  g_autoptr(GBytes) absent = NULL;
  g_autoptr(GBytes) empty = NULL;
  g_autoptr(CradleSecurityDescriptor) sd_absent = NULL;
  g_autoptr(CradleSecurityDescriptor) sd_empty = NULL;
  g_auto(GStrv) sids = NULL;
  const char * const nobody[] = { NULL };

  /* SE_DACL_PRESENT clear: a NULL DACL, which Windows reads as everyone allowed. */
  dacl_add (&dacl, CRADLE_ACE_ACCESS_DENIED, 0, 0x100, EVERYONE_SID);
  absent = build_descriptor_with_control (&dacl, 0x8000);
  sd_absent = parse_ok (absent);
  g_assert_false (cradle_security_descriptor_has_dacl (sd_absent));
  g_assert_cmpuint (cradle_security_descriptor_get_n_aces (sd_absent), ==, 0);
  assert_enroll (sd_absent, CRADLE_ENROLL_RIGHT_GRANTED, NULL);
  sids = cradle_security_descriptor_dup_enroll_sids (sd_absent);
  g_assert_nonnull (sids);
  g_assert_cmpuint (g_strv_length (sids), ==, 0);

  /* An empty DACL grants nothing. */
  dacl_clear (&dacl);
  dacl = dacl_new ();
  empty = build_descriptor (&dacl);
  sd_empty = parse_ok (empty);
  g_assert_true (cradle_security_descriptor_has_dacl (sd_empty));
  assert_enroll (sd_empty, CRADLE_ENROLL_RIGHT_NOT_GRANTED, NULL);
  g_assert_cmpint (cradle_security_descriptor_check_enroll (sd_empty, nobody, NULL), ==,
                   CRADLE_ENROLL_RIGHT_NOT_GRANTED);
}

static void
test_enroll_sids (void)
{
  g_auto(Dacl) dacl = dacl_new ();
  g_autoptr(CradleSecurityDescriptor) sd = NULL;
  g_auto(GStrv) sids = NULL;

  dacl_add_object (&dacl, CRADLE_ACE_ACCESS_DENIED_OBJECT, 0, 0x100, enroll_guid, NULL, USER_SID);
  dacl_add_object (&dacl, CRADLE_ACE_ACCESS_ALLOWED_OBJECT, 0, 0x100, enroll_guid, NULL,
                   MOBILE_SID);
  dacl_add_object (&dacl, CRADLE_ACE_ACCESS_ALLOWED_OBJECT, 0, 0x100, autoenroll_guid, NULL,
                   USERS_SID);
  dacl_add_object (&dacl, CRADLE_ACE_ACCESS_ALLOWED_OBJECT, 0x08, 0x100, enroll_guid, NULL,
                   EVERYONE_SID);
  dacl_add (&dacl, CRADLE_ACE_ACCESS_ALLOWED, 0, MASK_READ, AUTH_SID);
  dacl_add (&dacl, CRADLE_ACE_ACCESS_ALLOWED, 0, MASK_FULL_CONTROL, ADMINS_SID);
  dacl_add_object (&dacl, CRADLE_ACE_ACCESS_ALLOWED_OBJECT, 0, 0x100, enroll_guid, NULL,
                   MOBILE_SID);
  sd = parse_dacl (&dacl);

  sids = cradle_security_descriptor_dup_enroll_sids (sd);
  g_assert_cmpuint (g_strv_length (sids), ==, 2);
  g_assert_cmpstr (sids[0], ==, MOBILE_SID);
  g_assert_cmpstr (sids[1], ==, ADMINS_SID);

  /* The user's own denial comes first. */
  assert_enroll (sd, CRADLE_ENROLL_RIGHT_DENIED, USER_SID);
}

/* Malformed descriptors */

static void
test_malformed_every_truncation (void)
{
  g_auto(Dacl) dacl = dacl_new ();
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(CradleSecurityDescriptor) whole = NULL;
  const guint8 *data;
  gsize size;

  dacl_add_object (&dacl, CRADLE_ACE_ACCESS_DENIED_OBJECT, 0, 0x100, enroll_guid,
                   template_class_guid, USER_SID);
  add_typical_aces (&dacl);
  dacl_add_raw (&dacl, 0x07, 0, (const guint8 *) "\0\0\0\0\0\0\0\0", 8);
  dacl_add_object (&dacl, CRADLE_ACE_ACCESS_ALLOWED_OBJECT, 0, 0x100, NULL, template_class_guid,
                   MOBILE_SID);
  bytes = build_descriptor (&dacl);
  data = g_bytes_get_data (bytes, &size);

  whole = parse_ok (bytes);
  g_assert_cmpuint (cradle_security_descriptor_get_n_aces (whole), ==, 5);

  /* The ACL claims to run to the last byte, so every shorter prefix is refused. */
  for (gsize prefix = 0; prefix < size; prefix++)
    assert_rejected (data, prefix, NULL);
  assert_rejected (NULL, 0, "it is 0 bytes");
}

static void
test_malformed_every_byte (void)
{
  g_auto(Dacl) dacl = dacl_new ();
  g_autoptr(GBytes) bytes = NULL;
  g_autofree guint8 *copy = NULL;
  const guint8 *data;
  gsize size;
  const guint8 values[] = { 0x00, 0x01, 0x04, 0x0f, 0x10, 0x7f, 0x80, 0xfe, 0xff };

  dacl_add_object (&dacl, CRADLE_ACE_ACCESS_DENIED_OBJECT, 0, 0x100, enroll_guid,
                   template_class_guid, USER_SID);
  add_typical_aces (&dacl);
  bytes = build_descriptor (&dacl);
  data = g_bytes_get_data (bytes, &size);
  copy = g_memdup2 (data, size);

  /* Whatever one byte becomes, the result is a descriptor or INVALID_DATA. */
  for (gsize i = 0; i < size; i++)
    {
      for (gsize v = 0; v < G_N_ELEMENTS (values); v++)
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(CradleSecurityDescriptor) sd = NULL;

          copy[i] = values[v];
          sd = parse_exact (copy, size, &error);
          if (sd == NULL)
            g_assert_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA);
          else
            {
              g_assert_no_error (error);
              cradle_security_descriptor_check_enroll (sd, user_sids, NULL);
              g_strfreev (cradle_security_descriptor_dup_enroll_sids (sd));
            }
        }
      copy[i] = data[i];
    }
}

/* Copies @bytes, writes @value little-endian in @width bytes at @offset, expects a refusal. */
static void
assert_patch_rejected (GBytes     *bytes,
                       gsize       offset,
                       gsize       width,
                       guint32     value,
                       const char *reason)
{
  g_autoptr(GByteArray) bad = g_byte_array_new ();

  g_byte_array_append (bad, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_assert_cmpuint (offset + width, <=, bad->len);
  for (gsize i = 0; i < width; i++)
    bad->data[offset + i] = (value >> (8 * i)) & 0xff;
  assert_rejected (bad->data, bad->len, reason);
}

/* Offsets in what build_descriptor() writes */
#define SD_CONTROL     2
#define SD_DACL_OFFSET 16
#define ACL_REVISION   20
#define ACL_SIZE       (20 + 2)
#define ACL_COUNT      (20 + 4)
#define FIRST_ACE      (20 + 8)

/* The typical DACL: an object ACE with the Enroll GUID, full control, read. */
static GBytes *
build_typical (void)
{
  g_auto(Dacl) dacl = dacl_new ();

  add_typical_aces (&dacl);
  return build_descriptor (&dacl);
}

static void
test_malformed_header (void)
{
  g_autoptr(GBytes) bytes = build_typical ();
  g_autofree guint8 *huge = NULL;

  assert_patch_rejected (bytes, 0, 1, 2, "it has revision 2");
  /* Absolute form: its offsets would be pointers. */
  assert_patch_rejected (bytes, SD_CONTROL, 2, 0x0004, "not in self-relative form");
  assert_patch_rejected (bytes, ACL_REVISION, 1, 3, "access list has revision 3");
  assert_rejected (g_bytes_get_data (bytes, NULL), 19, "19 bytes, shorter than its 20-byte header");

  huge = g_malloc0 (CRADLE_SECURITY_DESCRIPTOR_MAX_SIZE + 1);
  memcpy (huge, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  assert_rejected (huge, CRADLE_SECURITY_DESCRIPTOR_MAX_SIZE + 1, "more than the 1048576 allowed");
}

static void
test_malformed_dacl_offset (void)
{
  g_autoptr(GBytes) bytes = build_typical ();
  guint32 size = g_bytes_get_size (bytes);
  const guint32 past[] = { size - 7, size - 1, size, size + 1, 0x7fffffff, 0xfffffff8, 0xffffffff };
  const guint32 inside[] = { 1, 4, 16, 19 };

  /* Past the end, or too close to it for the ACL header. */
  for (gsize i = 0; i < G_N_ELEMENTS (past); i++)
    assert_patch_rejected (bytes, SD_DACL_OFFSET, 4, past[i], "but it is only");
  for (gsize i = 0; i < G_N_ELEMENTS (inside); i++)
    assert_patch_rejected (bytes, SD_DACL_OFFSET, 4, inside[i], "inside its header");

  /* A whole ACL header at the very end: the tail of a SID read as one. */
  assert_patch_rejected (bytes, SD_DACL_OFFSET, 4, size - 8, "its access list");
}

static void
test_malformed_acl_size (void)
{
  g_autoptr(GBytes) bytes = build_typical ();
  gsize acl = g_bytes_get_size (bytes) - 20;

  assert_patch_rejected (bytes, ACL_SIZE, 2, 0xffff, "claims 65535 bytes but only");
  assert_patch_rejected (bytes, ACL_SIZE, 2, acl + 4, "follow its start");
  assert_patch_rejected (bytes, ACL_SIZE, 2, 4, "claims 4 bytes, less than its own header");
  assert_patch_rejected (bytes, ACL_SIZE, 2, 0, "claims 0 bytes, less than its own header");
  /* Smaller than its ACEs: the last one then runs past the end of the list. */
  assert_patch_rejected (bytes, ACL_SIZE, 2, acl - 4, "ACE 3 runs past the end of the list");
}

static void
test_malformed_ace_count (void)
{
  g_autoptr(GBytes) bytes = build_typical ();

  assert_patch_rejected (bytes, ACL_COUNT, 2, 4, "claims 4 entries but ACE 4 starts past its end");
  assert_patch_rejected (bytes, ACL_COUNT, 2, 1000, "has room for at most");
  assert_patch_rejected (bytes, ACL_COUNT, 2, 0xffff, "at most 4096 are allowed");
}

static void
test_malformed_ace_count_cap (void)
{
  g_auto(Dacl) dacl = dacl_new ();
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) too_many = NULL;
  g_autoptr(CradleSecurityDescriptor) sd = NULL;

  /* Header-only ACEs of a skipped type: 4096 are read, one more is refused. */
  for (guint i = 0; i < CRADLE_SECURITY_DESCRIPTOR_MAX_ACES; i++)
    dacl_add_raw (&dacl, 0x12, 0, NULL, 0);
  bytes = build_descriptor (&dacl);
  sd = parse_ok (bytes);
  g_assert_true (cradle_security_descriptor_has_dacl (sd));
  g_assert_cmpuint (cradle_security_descriptor_get_n_aces (sd), ==, 0);

  dacl_add_raw (&dacl, 0x12, 0, NULL, 0);
  too_many = build_descriptor (&dacl);
  assert_bytes_rejected (too_many, "claims 4097 entries; at most 4096 are allowed");
}

static void
test_malformed_ace_size (void)
{
  g_autoptr(GBytes) bytes = build_typical ();
  const struct {
    guint16     size;
    const char *reason;
  } cases[] = {
    { 0, "ACE 1 claims 0 bytes, less than its own header" },
    { 2, "ACE 1 claims 2 bytes, less than its own header" },
    { 6, "ACE 1 claims 6 bytes, not a multiple of 4" },
    { 4, "ACE 1 is 4 bytes, too short for its access mask" },
    { 8, "ACE 1 is 8 bytes, too short for its object flags" },
    { 12, "ACE 1 is too short for its object type" },
    { 28, "ACE 1 has an unreadable security identifier" },
    { 0xfffc, "ACE 1 runs past the end of the list" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    assert_patch_rejected (bytes, FIRST_ACE + 2, 2, cases[i].size, cases[i].reason);
}

static void
test_malformed_object_ace (void)
{
  g_autoptr(GBytes) bytes = build_typical ();
  g_auto(Dacl) short_ace = dacl_new ();
  g_autoptr(GBytes) short_bytes = NULL;
  const guint8 body[20] = { 0x00, 0x01, 0x00, 0x00, 0x02 };

  assert_patch_rejected (bytes, FIRST_ACE + 8, 4, 0x5, "ACE 1 has unknown object flags 0x5");
  assert_patch_rejected (bytes, FIRST_ACE + 8, 4, 0x80000001, "unknown object flags 0x80000001");
  /* Both GUIDs claimed: the second eats the start of the SID, and the rest does not fit. */
  assert_patch_rejected (bytes, FIRST_ACE + 8, 4, 0x3,
                         "ACE 1 has an unreadable security identifier");

  /* An inherited object type claimed with no room for it. */
  dacl_add_raw (&short_ace, CRADLE_ACE_ACCESS_ALLOWED_OBJECT, 0, body, sizeof body);
  short_bytes = build_descriptor (&short_ace);
  assert_bytes_rejected (short_bytes, "ACE 1 is too short for its inherited object type");
}

static void
test_malformed_sid (void)
{
  g_autoptr(GBytes) bytes = build_typical ();
  /* The first ACE's SID comes after its header, mask, flags and one GUID. */
  const gsize first_sid = FIRST_ACE + 4 + 4 + 4 + 16;
  /* The last ACE's SID, S-1-5-11, ends at the end of the buffer. */
  const gsize last_sid = g_bytes_get_size (bytes) - 12;

  /* 15 sub-authorities is legal, but they do not fit in the ACE. */
  assert_patch_rejected (bytes, first_sid + 1, 1, 15,
                         "ACE 1 has an unreadable security identifier");
  assert_patch_rejected (bytes, first_sid + 1, 1, 16, "at most 15 are allowed");
  assert_patch_rejected (bytes, first_sid + 1, 1, 0xff,
                         "ACE 1 has an unreadable security identifier");
  assert_patch_rejected (bytes, first_sid, 1, 2, "has revision 2");
  /* One more sub-authority than there is room for, at the end of the buffer. */
  assert_patch_rejected (bytes, last_sid + 1, 1, 2, "ACE 3 has an unreadable security identifier");
  assert_patch_rejected (bytes, last_sid + 1, 1, 15, "ACE 3 has an unreadable security identifier");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/security-descriptor/guid-to-string", test_guid_to_string);
  g_test_add_func ("/security-descriptor/parse/fields", test_parse_fields);
  g_test_add_func ("/security-descriptor/parse/owner-and-slack", test_parse_with_owner_and_slack);
  g_test_add_func ("/security-descriptor/enroll/object-ace", test_enroll_object_ace);
  g_test_add_func ("/security-descriptor/enroll/generic-all", test_enroll_generic_all);
  g_test_add_func ("/security-descriptor/enroll/read-only", test_enroll_read_only);
  g_test_add_func ("/security-descriptor/enroll/deny-first", test_enroll_deny_first);
  g_test_add_func ("/security-descriptor/enroll/deny-plain", test_enroll_deny_plain);
  g_test_add_func ("/security-descriptor/enroll/deny-other-right", test_enroll_deny_other_right);
  g_test_add_func ("/security-descriptor/enroll/inherit-only-ignored",
                   test_enroll_inherit_only_ignored);
  g_test_add_func ("/security-descriptor/enroll/other-sid-ignored", test_enroll_other_sid_ignored);
  g_test_add_func ("/security-descriptor/enroll/autoenroll-not-enough",
                   test_enroll_autoenroll_not_enough);
  g_test_add_func ("/security-descriptor/enroll/all-extended-rights",
                   test_enroll_all_extended_rights);
  g_test_add_func ("/security-descriptor/enroll/case-of-sids", test_enroll_case_of_sids);
  g_test_add_func ("/security-descriptor/enroll/no-dacl", test_enroll_no_dacl);
  g_test_add_func ("/security-descriptor/enroll/sids", test_enroll_sids);
  g_test_add_func ("/security-descriptor/malformed/every-truncation",
                   test_malformed_every_truncation);
  g_test_add_func ("/security-descriptor/malformed/every-byte", test_malformed_every_byte);
  g_test_add_func ("/security-descriptor/malformed/header", test_malformed_header);
  g_test_add_func ("/security-descriptor/malformed/dacl-offset", test_malformed_dacl_offset);
  g_test_add_func ("/security-descriptor/malformed/acl-size", test_malformed_acl_size);
  g_test_add_func ("/security-descriptor/malformed/ace-count", test_malformed_ace_count);
  g_test_add_func ("/security-descriptor/malformed/ace-count-cap", test_malformed_ace_count_cap);
  g_test_add_func ("/security-descriptor/malformed/ace-size", test_malformed_ace_size);
  g_test_add_func ("/security-descriptor/malformed/object-ace", test_malformed_object_ace);
  g_test_add_func ("/security-descriptor/malformed/sid", test_malformed_sid);

  return g_test_run ();
}
