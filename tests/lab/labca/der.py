"""Just enough DER writing for certificates, CMS and Microsoft extensions.
(Parsing goes through asn1crypto; writing by hand keeps the bytes exact.)"""

import datetime

from asn1crypto import core


def length(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, content):
    return bytes([tag]) + length(len(content)) + content


def seq(*items):
    return tlv(0x30, b"".join(items))


def set_of(*items, sort=True):
    items = sorted(items) if sort else list(items)
    return tlv(0x31, b"".join(items))


def oid(dotted):
    return core.ObjectIdentifier(dotted).dump()


def integer(n):
    return core.Integer(n).dump()


def octets(b):
    return tlv(0x04, b)


def utf8(s):
    return tlv(0x0C, s.encode("utf-8"))


def bmp(s):
    return tlv(0x1E, s.encode("utf-16-be"))


def ia5(s):
    return tlv(0x16, s.encode("ascii"))


def boolean(v):
    return b"\x01\x01" + (b"\xff" if v else b"\x00")


NULL = b"\x05\x00"


def explicit(n, content):
    return tlv(0xA0 | n, content)


def implicit_constructed(n, content):
    return tlv(0xA0 | n, content)


def time(dt):
    dt = dt.astimezone(datetime.timezone.utc)
    if dt.year < 2050:
        return core.UTCTime(dt).dump()
    return core.GeneralizedTime(dt).dump()


def bit_string_from_bytes(b):
    """A named-bit BIT STRING (KeyUsage) from its bytes, trailing zero bits
    dropped as DER wants."""
    b = bytes(b).rstrip(b"\x00")
    if not b:
        return tlv(0x03, b"\x00")
    last = b[-1]
    unused = (last & -last).bit_length() - 1
    return tlv(0x03, bytes([unused]) + b)


def algorithm(dotted, params=NULL):
    return seq(oid(dotted), params) if params is not None else seq(oid(dotted))
