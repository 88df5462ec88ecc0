"""The bridge protocol's frames and its CBOR subset, for devices written in
Python by the tests (docs/bridge-protocol.md, sections 2 and 3).

Everything a test device needs to speak the session protocol is here, so
that a change to the protocol (a new header field, sealed frames) is made
in one place.  Only what the tests send and read is covered: unsigned
integers, byte and text strings, arrays, maps and booleans, with definite
lengths.
"""

import struct

MAGIC = 0x4352444C  # "CRDL"
VERSION = 1
HEADER = struct.Struct(">IBBHII")  # magic, version, type, flags, request id, length
FLAG_RESPONSE = 0x0001

HELLO = 0x01
GET_INFO = 0x02
GENERATE_KEY = 0x03
SIGN = 0x04
LIST_CERTS = 0x05
INSTALL = 0x06
DELETE_KEY = 0x07
DELETE_CERT = 0x08
DECRYPT = 0x09
KEEPALIVE = 0x0E
CANCEL = 0x0F
ERROR = 0x7F

NAMES = {HELLO: "HELLO", GET_INFO: "GET_INFO", GENERATE_KEY: "GENERATE_KEY", SIGN: "SIGN",
         LIST_CERTS: "LIST_CERTS", INSTALL: "INSTALL", DELETE_KEY: "DELETE_KEY",
         DELETE_CERT: "DELETE_CERT", DECRYPT: "DECRYPT", KEEPALIVE: "KEEPALIVE",
         CANCEL: "CANCEL", ERROR: "ERROR"}

# ERROR codes
E_CANCELLED = 7


# ---- CBOR ------------------------------------------------------------------

def _head(major, value):
    if value < 24:
        return bytes([major << 5 | value])
    for extra, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if value < 1 << (8 * size):
            return bytes([major << 5 | extra]) + value.to_bytes(size, "big")
    raise ValueError("integer too large for CBOR")


def cbor_encode(value):
    if isinstance(value, bool):
        return b"\xf5" if value else b"\xf4"
    if isinstance(value, int):
        return _head(0, value)
    if isinstance(value, (bytes, bytearray)):
        return _head(2, len(value)) + bytes(value)
    if isinstance(value, str):
        data = value.encode("utf-8")
        return _head(3, len(data)) + data
    if isinstance(value, (list, tuple)):
        return _head(4, len(value)) + b"".join(cbor_encode(item) for item in value)
    if isinstance(value, dict):
        return _head(5, len(value)) + b"".join(cbor_encode(k) + cbor_encode(v) for k, v in value.items())
    raise TypeError("no CBOR for %r" % type(value))


def _decode(data, pos):
    first = data[pos]
    major, info = first >> 5, first & 0x1F
    pos += 1
    if major == 7:
        if info in (20, 21):
            return info == 21, pos
        raise ValueError("unsupported CBOR simple value")
    if info < 24:
        value = info
    elif info <= 27:
        size = 1 << (info - 24)
        value = int.from_bytes(data[pos:pos + size], "big")
        pos += size
    else:
        raise ValueError("indefinite lengths are not in the bridge's CBOR")
    if major == 0:
        return value, pos
    if major in (2, 3):
        chunk = bytes(data[pos:pos + value])
        return (chunk if major == 2 else chunk.decode("utf-8")), pos + value
    if major == 4:
        items = []
        for _ in range(value):
            item, pos = _decode(data, pos)
            items.append(item)
        return items, pos
    if major == 5:
        result = {}
        for _ in range(value):
            key, pos = _decode(data, pos)
            result[key], pos = _decode(data, pos)
        return result, pos
    raise ValueError("unsupported CBOR major type %d" % major)


def cbor_decode(data):
    if not data:
        return {}
    value, _ = _decode(data, 0)
    return value


# ---- frames ----------------------------------------------------------------

def encode_frame(frame_type, request_id, payload=None, flags=0):
    body = b"" if payload is None else cbor_encode(payload)
    return HEADER.pack(MAGIC, VERSION, frame_type, flags, request_id, len(body)) + body


def _read_exactly(sock, size):
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def read_frame(sock):
    """(type, flags, request id, decoded payload), or None when the host left."""
    header = _read_exactly(sock, HEADER.size)
    if header is None:
        return None
    magic, _version, frame_type, flags, request_id, length = HEADER.unpack(header)
    if magic != MAGIC:
        raise ValueError("not a bridge frame")
    body = _read_exactly(sock, length) if length else b""
    if body is None:
        return None
    return frame_type, flags, request_id, cbor_decode(body)


def send_response(sock, frame_type, request_id, payload):
    sock.sendall(encode_frame(frame_type, request_id, payload, FLAG_RESPONSE))


def send_error(sock, request_id, code, message):
    send_response(sock, ERROR, request_id, {1: code, 2: message})


def send_keepalive(sock, request_id, status=1, prompt=None):
    payload = {1: status}
    if prompt is not None:
        payload[2] = prompt
    sock.sendall(encode_frame(KEEPALIVE, request_id, payload))


def hello_response(version=VERSION, agent="misbehaving-device 1"):
    return {1: version, 2: agent}


def info_response(serial, model="Misbehaving Device", key_types=("p256", "rsa2048")):
    return {1: "Cradle Tests", 2: model, 3: serial, 4: "Linux", 5: "misbehaving-device 1",
            6: list(key_types), 7: [], 8: ["scep"]}
