/* cradle-security-descriptor.c: bounded parsing of a DACL and the Enroll right */
#include "config.h"

#include <string.h>

#include <cradle/cradle.h>

#include "directory/cradle-security-descriptor-private.h"
#include "directory/cradle-sid-private.h"

/* MS-DTYP 2.4.6: Revision, Sbz1, Control, then four 32-bit offsets. */
#define SD_HEADER_SIZE    20
#define SD_OFFSET_DACL    16
#define SE_DACL_PRESENT   0x0004
#define SE_SELF_RELATIVE  0x8000

/* MS-DTYP 2.4.5: AclRevision, Sbz1, AclSize, AceCount, Sbz2. */
#define ACL_HEADER_SIZE   8
#define ACL_REVISION      2
#define ACL_REVISION_DS   4

/* MS-DTYP 2.4.4.1: AceType, AceFlags, AceSize; then the mask of every type kept. */
#define ACE_HEADER_SIZE   4
#define ACE_MASK_END      8

#define ACE_OBJECT_FLAGS_KNOWN \
  (CRADLE_ACE_OBJECT_TYPE_PRESENT | CRADLE_ACE_INHERITED_OBJECT_TYPE_PRESENT)

/* CRADLE_ENROLL_RIGHT_GUID as stored: the first three fields little-endian. */
static const guint8 enroll_right_guid[CRADLE_GUID_SIZE] = {
  0x68, 0xc9, 0x10, 0x0e, 0xfb, 0x78, 0xd2, 0x11,
  0x90, 0xd4, 0x00, 0xc0, 0x4f, 0x79, 0xdc, 0x55,
};

struct _CradleSecurityDescriptor
{
  /* Owned */
  GArray   *aces;     /* CradleAce, in DACL order; only the types kept */

  gboolean  has_dacl;
};

static guint16
read_u16 (const guint8 *p)
{
  return (guint16) (p[0] | (p[1] << 8));
}

static guint32
read_u32 (const guint8 *p)
{
  return (guint32) p[0] | ((guint32) p[1] << 8) | ((guint32) p[2] << 16) | ((guint32) p[3] << 24);
}

static void set_unreadable (GError     **error,
                            const char  *format,
                            ...) G_GNUC_PRINTF (2, 3);

static void
set_unreadable (GError     **error,
                const char  *format,
                ...)
{
  g_autofree char *detail = NULL;
  va_list args;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, CRADLE_ERROR, CRADLE_ERROR_INVALID_DATA,
               "The directory sent permissions (a security descriptor) that could not be read "
               "(%s). Ask an administrator to check the object's permissions.",
               detail);
}

static void
cradle_ace_clear (gpointer data)
{
  CradleAce *ace = data;

  g_clear_pointer (&ace->sid, g_free);
}

static gboolean
is_kept_type (guint8 type)
{
  return type == CRADLE_ACE_ACCESS_ALLOWED || type == CRADLE_ACE_ACCESS_DENIED
         || type == CRADLE_ACE_ACCESS_ALLOWED_OBJECT || type == CRADLE_ACE_ACCESS_DENIED_OBJECT;
}

static gboolean
is_object_type (guint8 type)
{
  return type == CRADLE_ACE_ACCESS_ALLOWED_OBJECT || type == CRADLE_ACE_ACCESS_DENIED_OBJECT;
}

/* @data holds exactly one ACE of a kept type: @size bytes, at least the header. */
static gboolean
parse_ace (const guint8  *data,
           gsize          size,
           guint          number,
           CradleAce     *ace,
           GError       **error)
{
  g_autoptr(GError) sid_error = NULL;
  gsize offset = ACE_MASK_END;

  if (size < ACE_MASK_END)
    {
      set_unreadable (error, "ACE %u is %" G_GSIZE_FORMAT " bytes, too short for its access mask",
                      number, size);
      return FALSE;
    }
  ace->type = data[0];
  ace->flags = data[1];
  ace->mask = read_u32 (data + 4);

  if (is_object_type (ace->type))
    {
      if (size - offset < 4)
        {
          set_unreadable (error, "ACE %u is %" G_GSIZE_FORMAT " bytes, too short for its "
                          "object flags", number, size);
          return FALSE;
        }
      ace->object_flags = read_u32 (data + offset);
      offset += 4;
      if ((ace->object_flags & ~ACE_OBJECT_FLAGS_KNOWN) != 0)
        {
          set_unreadable (error, "ACE %u has unknown object flags 0x%x", number, ace->object_flags);
          return FALSE;
        }
      if (ace->object_flags & CRADLE_ACE_OBJECT_TYPE_PRESENT)
        {
          if (size - offset < CRADLE_GUID_SIZE)
            {
              set_unreadable (error, "ACE %u is too short for its object type", number);
              return FALSE;
            }
          memcpy (ace->object_type, data + offset, CRADLE_GUID_SIZE);
          offset += CRADLE_GUID_SIZE;
        }
      if (ace->object_flags & CRADLE_ACE_INHERITED_OBJECT_TYPE_PRESENT)
        {
          if (size - offset < CRADLE_GUID_SIZE)
            {
              set_unreadable (error, "ACE %u is too short for its inherited object type", number);
              return FALSE;
            }
          memcpy (ace->inherited_object_type, data + offset, CRADLE_GUID_SIZE);
          offset += CRADLE_GUID_SIZE;
        }
    }

  /* The SID must end inside the ACE; AceSize may leave room after it. */
  ace->sid = cradle_sid_read (data + offset, size - offset, NULL, &sid_error);
  if (ace->sid == NULL)
    {
      set_unreadable (error, "ACE %u has an unreadable security identifier: %s",
                      number, sid_error->message);
      return FALSE;
    }
  return TRUE;
}

/* @acl is @acl_size bytes, header checked; walks its @ace_count entries. */
static gboolean
parse_aces (CradleSecurityDescriptor  *sd,
            const guint8              *acl,
            gsize                      acl_size,
            guint                      ace_count,
            GError                   **error)
{
  gsize pos = ACL_HEADER_SIZE;

  for (guint i = 0; i < ace_count; i++)
    {
      guint number = i + 1;
      const guint8 *data;
      gsize ace_size;

      if (acl_size - pos < ACE_HEADER_SIZE)
        {
          set_unreadable (error, "the list claims %u entries but ACE %u starts past its end",
                          ace_count, number);
          return FALSE;
        }
      data = acl + pos;
      ace_size = read_u16 (data + 2);
      if (ace_size < ACE_HEADER_SIZE)
        {
          set_unreadable (error, "ACE %u claims %" G_GSIZE_FORMAT " bytes, less than its own "
                          "header", number, ace_size);
          return FALSE;
        }
      if (ace_size % 4 != 0)
        {
          set_unreadable (error, "ACE %u claims %" G_GSIZE_FORMAT " bytes, not a multiple of 4",
                          number, ace_size);
          return FALSE;
        }
      if (ace_size > acl_size - pos)
        {
          set_unreadable (error, "ACE %u runs past the end of the list", number);
          return FALSE;
        }

      if (is_kept_type (data[0]))
        {
          CradleAce ace = { 0 };

          if (!parse_ace (data, ace_size, number, &ace, error))
            {
              cradle_ace_clear (&ace);
              return FALSE;
            }
          g_array_append_val (sd->aces, ace);
        }
      pos += ace_size;
    }
  return TRUE;
}

/**
 * cradle_security_descriptor_parse:
 * @data: a self-relative SECURITY_DESCRIPTOR from the directory, untrusted,
 *   such as an nTSecurityDescriptor value read with the SD_FLAGS control
 * @size: its size
 * @error: return location for a #GError
 *
 * Reads the DACL of @data, never past @size. The owner, group and SACL are
 * not read (their offsets may be 0). Allowed and denied ACEs, plain and
 * object, are kept in order; ACEs of other types are skipped by their size.
 *
 * Returns: (transfer full): the descriptor, or %NULL with
 *   %CRADLE_ERROR_INVALID_DATA
 */
CradleSecurityDescriptor *
cradle_security_descriptor_parse (const guint8  *data,
                                  gsize          size,
                                  GError       **error)
{
  g_autoptr(CradleSecurityDescriptor) sd = NULL;
  const guint8 *acl;
  guint16 control;
  guint32 dacl_offset;
  gsize acl_size;
  guint ace_count;

  if (data == NULL || size < SD_HEADER_SIZE)
    {
      set_unreadable (error, "it is %" G_GSIZE_FORMAT " bytes, shorter than its %d-byte header",
                      data == NULL ? 0 : size, SD_HEADER_SIZE);
      return NULL;
    }
  if (size > CRADLE_SECURITY_DESCRIPTOR_MAX_SIZE)
    {
      set_unreadable (error, "it is %" G_GSIZE_FORMAT " bytes, more than the %d allowed",
                      size, CRADLE_SECURITY_DESCRIPTOR_MAX_SIZE);
      return NULL;
    }
  if (data[0] != 1)
    {
      set_unreadable (error, "it has revision %u; only revision 1 exists", data[0]);
      return NULL;
    }
  control = read_u16 (data + 2);
  if ((control & SE_SELF_RELATIVE) == 0)
    {
      set_unreadable (error, "it is not in self-relative form");
      return NULL;
    }

  sd = g_new0 (CradleSecurityDescriptor, 1);
  sd->aces = g_array_new (FALSE, TRUE, sizeof (CradleAce));
  g_array_set_clear_func (sd->aces, cradle_ace_clear);

  /* No DACL at all, or a NULL one: Windows lets everyone do everything. */
  dacl_offset = read_u32 (data + SD_OFFSET_DACL);
  if ((control & SE_DACL_PRESENT) == 0 || dacl_offset == 0)
    return g_steal_pointer (&sd);

  if (dacl_offset < SD_HEADER_SIZE)
    {
      set_unreadable (error, "its access list starts at byte %u, inside its header", dacl_offset);
      return NULL;
    }
  if (dacl_offset > size || size - dacl_offset < ACL_HEADER_SIZE)
    {
      set_unreadable (error, "its access list starts at byte %u but it is only %" G_GSIZE_FORMAT
                      " bytes", dacl_offset, size);
      return NULL;
    }
  acl = data + dacl_offset;
  if (acl[0] != ACL_REVISION && acl[0] != ACL_REVISION_DS)
    {
      set_unreadable (error, "its access list has revision %u; only 2 and 4 exist", acl[0]);
      return NULL;
    }
  acl_size = read_u16 (acl + 2);
  ace_count = read_u16 (acl + 4);
  if (acl_size < ACL_HEADER_SIZE)
    {
      set_unreadable (error, "its access list claims %" G_GSIZE_FORMAT " bytes, less than its "
                      "own header", acl_size);
      return NULL;
    }
  if (acl_size > size - dacl_offset)
    {
      set_unreadable (error, "its access list claims %" G_GSIZE_FORMAT " bytes but only %"
                      G_GSIZE_FORMAT " follow its start", acl_size, size - dacl_offset);
      return NULL;
    }
  if (ace_count > CRADLE_SECURITY_DESCRIPTOR_MAX_ACES)
    {
      set_unreadable (error, "its access list claims %u entries; at most %d are allowed",
                      ace_count, CRADLE_SECURITY_DESCRIPTOR_MAX_ACES);
      return NULL;
    }
  if (ace_count > (acl_size - ACL_HEADER_SIZE) / ACE_HEADER_SIZE)
    {
      set_unreadable (error, "its access list claims %u entries but has room for at most %"
                      G_GSIZE_FORMAT, ace_count, (acl_size - ACL_HEADER_SIZE) / ACE_HEADER_SIZE);
      return NULL;
    }

  sd->has_dacl = TRUE;
  if (!parse_aces (sd, acl, acl_size, ace_count, error))
    return NULL;
  return g_steal_pointer (&sd);
}

void
cradle_security_descriptor_free (CradleSecurityDescriptor *sd)
{
  if (sd == NULL)
    return;
  g_clear_pointer (&sd->aces, g_array_unref);
  g_free (sd);
}

/**
 * cradle_security_descriptor_has_dacl:
 * @sd: a descriptor
 *
 * Returns: %FALSE if @sd has no DACL or a NULL one, which grants every
 *   right to everyone; %TRUE if it has a DACL, even an empty one
 */
gboolean
cradle_security_descriptor_has_dacl (const CradleSecurityDescriptor *sd)
{
  g_return_val_if_fail (sd != NULL, FALSE);

  return sd->has_dacl;
}

/**
 * cradle_security_descriptor_get_n_aces:
 * @sd: a descriptor
 *
 * Returns: how many ACEs of the kept types (allowed and denied, plain and
 *   object) the DACL has
 */
guint
cradle_security_descriptor_get_n_aces (const CradleSecurityDescriptor *sd)
{
  g_return_val_if_fail (sd != NULL, 0);

  return sd->aces->len;
}

/**
 * cradle_security_descriptor_get_ace:
 * @sd: a descriptor
 * @index: less than cradle_security_descriptor_get_n_aces()
 *
 * Returns: (transfer none): the ACE, owned by @sd
 */
const CradleAce *
cradle_security_descriptor_get_ace (const CradleSecurityDescriptor *sd,
                                    guint                           index)
{
  g_return_val_if_fail (sd != NULL, NULL);
  g_return_val_if_fail (index < sd->aces->len, NULL);

  return &g_array_index (sd->aces, CradleAce, index);
}

/*
 * Whether @ace grants or denies (by its type) the control-access right for
 * the Enroll extended right on the object itself. The InheritedObjectType
 * only steers inheritance to children, so it does not matter here.
 */
static gboolean
ace_decides_enroll (const CradleAce *ace)
{
  if (ace->flags & CRADLE_ACE_FLAG_INHERIT_ONLY)
    return FALSE;

  /* Full control, mapped (0x000F01FF) or not (GENERIC_ALL), includes control access. */
  if ((ace->mask & (CRADLE_ADS_RIGHT_DS_CONTROL_ACCESS | CRADLE_GENERIC_ALL)) == 0)
    return FALSE;

  switch (ace->type)
    {
    case CRADLE_ACE_ACCESS_ALLOWED:
    case CRADLE_ACE_ACCESS_DENIED:
      return TRUE;

    case CRADLE_ACE_ACCESS_ALLOWED_OBJECT:
    case CRADLE_ACE_ACCESS_DENIED_OBJECT:
      /* No object type means every extended right; AutoEnroll is not Enroll. */
      if ((ace->object_flags & CRADLE_ACE_OBJECT_TYPE_PRESENT) == 0)
        return TRUE;
      return memcmp (ace->object_type, enroll_right_guid, CRADLE_GUID_SIZE) == 0;

    default:
      return FALSE;
    }
}

static gboolean
ace_allows (const CradleAce *ace)
{
  return ace->type == CRADLE_ACE_ACCESS_ALLOWED || ace->type == CRADLE_ACE_ACCESS_ALLOWED_OBJECT;
}

static gboolean
sid_in (const char         *sid,
        const char * const *sids)
{
  for (gsize i = 0; sids != NULL && sids[i] != NULL; i++)
    {
      if (g_ascii_strcasecmp (sid, sids[i]) == 0)
        return TRUE;
    }
  return FALSE;
}

/**
 * cradle_security_descriptor_check_enroll:
 * @sd: a certificate template's descriptor
 * @user_sids: (array zero-terminated=1): every SID the user acts as: their
 *   own, their tokenGroups and the well-known ones that apply (S-1-1-0,
 *   S-1-5-11, …); nothing is added here
 * @deciding_sid: (out) (optional) (transfer full) (nullable): the SID of
 *   the ACE that decided, or %NULL when none did
 *
 * Evaluates the Enroll extended right as Windows does for one bit: the ACEs
 * are walked in order and the first one that applies to the user (its SID
 * is one of @user_sids and it is not inherit-only) and covers the
 * control-access right for Enroll decides. Canonical DACLs put explicit
 * denials first, so they win there. A descriptor without a DACL grants.
 *
 * Returns: whether the user may enroll
 */
CradleEnrollRight
cradle_security_descriptor_check_enroll (const CradleSecurityDescriptor  *sd,
                                         const char * const              *user_sids,
                                         char                           **deciding_sid)
{
  if (deciding_sid != NULL)
    *deciding_sid = NULL;

  g_return_val_if_fail (sd != NULL, CRADLE_ENROLL_RIGHT_NOT_GRANTED);

  if (!sd->has_dacl)
    return CRADLE_ENROLL_RIGHT_GRANTED;

  for (guint i = 0; i < sd->aces->len; i++)
    {
      const CradleAce *ace = &g_array_index (sd->aces, CradleAce, i);

      if (!ace_decides_enroll (ace) || !sid_in (ace->sid, user_sids))
        continue;
      if (deciding_sid != NULL)
        *deciding_sid = g_strdup (ace->sid);
      return ace_allows (ace) ? CRADLE_ENROLL_RIGHT_GRANTED : CRADLE_ENROLL_RIGHT_DENIED;
    }
  return CRADLE_ENROLL_RIGHT_NOT_GRANTED;
}

/**
 * cradle_security_descriptor_dup_enroll_sids:
 * @sd: a certificate template's descriptor
 *
 * Lists the trustees of the ACEs that grant Enroll, in DACL order, each
 * once, for messages such as "only members of Mobile Device Users may
 * enroll". Denials are not subtracted: whom they hit depends on group
 * membership. A descriptor without a DACL gives an empty list; see
 * cradle_security_descriptor_has_dacl().
 *
 * Returns: (transfer full) (array zero-terminated=1): SIDs as text, never %NULL
 */
char **
cradle_security_descriptor_dup_enroll_sids (const CradleSecurityDescriptor *sd)
{
  g_autoptr(GPtrArray) sids = NULL;

  g_return_val_if_fail (sd != NULL, NULL);

  sids = g_ptr_array_new_null_terminated (0, g_free, TRUE);
  for (guint i = 0; i < sd->aces->len; i++)
    {
      const CradleAce *ace = &g_array_index (sd->aces, CradleAce, i);

      if (!ace_allows (ace) || !ace_decides_enroll (ace))
        continue;
      if (sid_in (ace->sid, (const char * const *) sids->pdata))
        continue;
      g_ptr_array_add (sids, g_strdup (ace->sid));
    }
  return (char **) g_ptr_array_free (g_steal_pointer (&sids), FALSE);
}

/**
 * cradle_guid_to_string:
 * @guid: 16 bytes as Windows stores a GUID
 *
 * Formats @guid the usual way, the first three fields little-endian:
 * "0e10c968-78fb-11d2-90d4-00c04f79dc55".
 *
 * Returns: (transfer full): the GUID as lower-case text
 */
char *
cradle_guid_to_string (const guint8 *guid)
{
  g_return_val_if_fail (guid != NULL, NULL);

  return g_strdup_printf ("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                          guid[3], guid[2], guid[1], guid[0],
                          guid[5], guid[4],
                          guid[7], guid[6],
                          guid[8], guid[9],
                          guid[10], guid[11], guid[12], guid[13], guid[14], guid[15]);
}
