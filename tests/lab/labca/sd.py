"""Access checks on Active Directory security descriptors (self-relative,
MS-DTYP 2.4.6), for the Enroll right the way AD CS's policy module does it.
"""

import struct
import uuid

ACCESS_ALLOWED = 0x00
ACCESS_DENIED = 0x01
ACCESS_ALLOWED_OBJECT = 0x05
ACCESS_DENIED_OBJECT = 0x06
INHERIT_ONLY_ACE = 0x08
ACE_OBJECT_TYPE_PRESENT = 0x1
ACE_INHERITED_OBJECT_TYPE_PRESENT = 0x2

ADS_RIGHT_DS_CONTROL_ACCESS = 0x00000100
GENERIC_ALL = 0x10000000
# What GENERIC_ALL maps to on a directory object (full control).
ADS_FULL_CONTROL = 0x000F01FF

WELL_KNOWN_EVERYONE = "S-1-1-0"
WELL_KNOWN_AUTHENTICATED_USERS = "S-1-5-11"


def sid_to_str(b):
    if len(b) < 8:
        raise ValueError("short SID")
    rev, count = b[0], b[1]
    if len(b) < 8 + 4 * count:
        raise ValueError("truncated SID")
    auth = int.from_bytes(b[2:8], "big")
    subs = struct.unpack_from("<%dI" % count, b, 8)
    return "S-%d-%d" % (rev, auth) + "".join("-%d" % s for s in subs)


def _sid_len(b, off):
    return 8 + 4 * b[off + 1]


class Ace:
    __slots__ = ("type", "flags", "mask", "object_type", "sid")

    def __repr__(self):
        return "Ace(%d,%#x,%s,%s)" % (self.type, self.mask, self.object_type, self.sid)


def parse_dacl(sd):
    """The DACL's ACEs, in order ([] when there is no DACL: a NULL DACL
    would grant everything, which AD never stores on these objects)."""
    if len(sd) < 20:
        raise ValueError("short security descriptor")
    _rev, _sbz, _control, _owner, _group, _sacl, dacl = struct.unpack_from(
        "<BBHIIII", sd, 0)
    if dacl == 0:
        return []
    _arev, _s1, _size, count, _s2 = struct.unpack_from("<BBHHH", sd, dacl)
    off = dacl + 8
    aces = []
    for _ in range(count):
        atype, aflags, asize = struct.unpack_from("<BBH", sd, off)
        if asize < 8 or off + asize > len(sd):
            raise ValueError("bad ACE size")
        body = sd[off + 4:off + asize]
        ace = Ace()
        ace.type, ace.flags = atype, aflags
        ace.mask = struct.unpack_from("<I", body, 0)[0]
        ace.object_type = None
        p = 4
        if atype in (ACCESS_ALLOWED_OBJECT, ACCESS_DENIED_OBJECT):
            oflags = struct.unpack_from("<I", body, p)[0]
            p += 4
            if oflags & ACE_OBJECT_TYPE_PRESENT:
                ace.object_type = str(uuid.UUID(bytes_le=bytes(body[p:p + 16])))
                p += 16
            if oflags & ACE_INHERITED_OBJECT_TYPE_PRESENT:
                p += 16
        if atype in (ACCESS_ALLOWED, ACCESS_DENIED, ACCESS_ALLOWED_OBJECT,
                     ACCESS_DENIED_OBJECT):
            ace.sid = sid_to_str(body[p:p + _sid_len(body, p)])
            aces.append(ace)
        off += asize
    return aces


def _grants(ace, right_guid):
    if ace.mask & GENERIC_ALL or (ace.mask & ADS_FULL_CONTROL) == ADS_FULL_CONTROL:
        return ace.object_type is None
    if not ace.mask & ADS_RIGHT_DS_CONTROL_ACCESS:
        return False
    # An object ACE with no object type, or a plain ACE, grants every
    # extended right; otherwise only the named one.
    return ace.object_type is None or ace.object_type.lower() == right_guid


def has_extended_right(sd, token_sids, right_guid):
    """Ordered DACL walk (MS-DTYP 2.5.3.2): the first ACE that decides the
    control-access right for `right_guid` wins."""
    right_guid = right_guid.lower()
    token = set(token_sids)
    for ace in parse_dacl(sd):
        if ace.flags & INHERIT_ONLY_ACE or ace.sid not in token:
            continue
        if ace.type in (ACCESS_DENIED, ACCESS_DENIED_OBJECT):
            if _grants(ace, right_guid) or (
                    ace.mask & ADS_RIGHT_DS_CONTROL_ACCESS and
                    (ace.object_type is None or ace.object_type.lower() == right_guid)):
                return False
        elif _grants(ace, right_guid):
            return True
    return False


def token(user_sid, token_groups):
    """The requester's token as the CA builds it: the user, its groups
    (tokenGroups) and the well-known SIDs of any authenticated logon."""
    return {user_sid, *token_groups, WELL_KNOWN_EVERYONE,
            WELL_KNOWN_AUTHENTICATED_USERS}
