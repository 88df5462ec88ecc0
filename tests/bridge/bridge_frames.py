"""The bridge protocol's frames and its CBOR subset, for devices written in
Python by the tests (docs/bridge-protocol.md, sections 2 and 3).

Everything a test device needs to speak the session protocol is here, so
that a change to the protocol (a new header field, sealed frames) is made
in one place.  Only what the tests send and read is covered: unsigned
integers, byte and text strings, arrays, maps and booleans, with definite
lengths.
"""

import hashlib
import hmac
import os
import struct
import threading

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = 0x4352444C  # "CRDL"
VERSION = 1
HEADER = struct.Struct(">IBBHII")  # magic, version, type, flags, request id, length
FLAG_RESPONSE = 0x0001
FLAG_SEALED = 0x0002

HELLO = 0x01
GET_INFO = 0x02
GENERATE_KEY = 0x03
SIGN = 0x04
LIST_CERTS = 0x05
INSTALL = 0x06
DELETE_KEY = 0x07
DELETE_CERT = 0x08
DECRYPT = 0x09
PAIR_START = 0x10
PAIR_REVEAL = 0x11
PAIR_CONFIRM = 0x12
AUTHENTICATE = 0x13
FORGET_HOST = 0x14
KEEPALIVE = 0x0E
CANCEL = 0x0F
ERROR = 0x7F

NAMES = {HELLO: "HELLO", GET_INFO: "GET_INFO", GENERATE_KEY: "GENERATE_KEY", SIGN: "SIGN",
         LIST_CERTS: "LIST_CERTS", INSTALL: "INSTALL", DELETE_KEY: "DELETE_KEY",
         DELETE_CERT: "DELETE_CERT", DECRYPT: "DECRYPT", KEEPALIVE: "KEEPALIVE",
         CANCEL: "CANCEL", ERROR: "ERROR", PAIR_START: "PAIR_START", PAIR_REVEAL: "PAIR_REVEAL",
         PAIR_CONFIRM: "PAIR_CONFIRM", AUTHENTICATE: "AUTHENTICATE", FORGET_HOST: "FORGET_HOST"}

# ERROR codes
E_CANCELLED = 7
E_NOT_PAIRED = 15


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


# ---- pairing and sealed sessions (docs/bridge-protocol.md, section 5) ------

def transcript(label, *fields):
    """SHA-256 over @label and @fields, each as a 4-byte length and its bytes."""
    digest = hashlib.sha256()
    for field in (label,) + fields:
        data = field.encode("utf-8") if isinstance(field, str) else bytes(field)
        digest.update(struct.pack(">I", len(data)) + data)
    return digest.digest()


def _raw(public_key):
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _hkdf(secret, salt, info):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info.encode()).derive(secret)


class Session:
    """One connection, as the device sees it: frames, and once a host paired
    or proved its pairing, the seal on every frame both ways. Pairing is
    approved at once: these devices test other things."""

    identity = ed25519.Ed25519PrivateKey.generate()

    def __init__(self, sock):
        self.sock = sock
        self.nonce = os.urandom(32)
        self.send_lock = threading.Lock()
        self.keys = None        # (send key, receive key)
        self.sent = 0
        self.received = 0
        self.paired_hosts = set()
        self.pairing = None

    # frames
    def _read_exactly(self, size):
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def read_frame(self):
        """(type, flags, request id, decoded payload), or None when the host left."""
        header = self._read_exactly(HEADER.size)
        if header is None:
            return None
        magic, _version, frame_type, flags, request_id, length = HEADER.unpack(header)
        if magic != MAGIC:
            raise ValueError("not a bridge frame")
        body = self._read_exactly(length) if length else b""
        if body is None:
            return None
        if self.keys is not None:
            if not flags & FLAG_SEALED or len(body) < 40:
                raise ValueError("an unsealed frame in a sealed session")
            inner, counter, mac = body[:-40], body[-40:-32], body[-32:]
            expected = hmac.new(self.keys[1], header + inner + counter, hashlib.sha256).digest()
            if not hmac.compare_digest(mac, expected) or int.from_bytes(counter, "big") != self.received + 1:
                raise ValueError("a frame whose seal does not verify")
            self.received += 1
            body, flags = inner, flags & ~FLAG_SEALED
        return frame_type, flags, request_id, cbor_decode(body)

    def send_frame(self, frame_type, request_id, payload=None, flags=0):
        body = b"" if payload is None else cbor_encode(payload)
        with self.send_lock:
            if self.keys is None:
                self.sock.sendall(HEADER.pack(MAGIC, VERSION, frame_type, flags, request_id, len(body)) + body)
                return
            self.sent += 1
            counter = self.sent.to_bytes(8, "big")
            header = HEADER.pack(MAGIC, VERSION, frame_type, flags | FLAG_SEALED, request_id, len(body) + 40)
            mac = hmac.new(self.keys[0], header + body + counter, hashlib.sha256).digest()
            self.sock.sendall(header + body + counter + mac)

    def send_response(self, frame_type, request_id, payload):
        self.send_frame(frame_type, request_id, payload, FLAG_RESPONSE)

    def send_error(self, request_id, code, message):
        self.send_response(ERROR, request_id, {1: code, 2: message})

    def send_keepalive(self, request_id, status=1, prompt=None):
        payload = {1: status}
        if prompt is not None:
            payload[2] = prompt
        self.send_frame(KEEPALIVE, request_id, payload)

    # pairing
    def _seal(self, ephemeral, host_ephemeral, salt):
        shared = ephemeral.exchange(x25519.X25519PublicKey.from_public_bytes(host_ephemeral))
        return (_hkdf(shared, salt, "cradle-bridge device to host"),
                _hkdf(shared, salt, "cradle-bridge host to device"))

    def answer_pairing(self, frame_type, request_id, payload):
        """Answers HELLO and the pairing messages; False for any other."""
        device_key = _raw(self.identity.public_key())
        if frame_type == HELLO:
            self.send_response(HELLO, request_id, {1: VERSION, 2: "misbehaving-device 1", 3: self.nonce})
        elif frame_type == PAIR_START:
            ephemeral = x25519.X25519PrivateKey.generate()
            nonce = os.urandom(32)
            commitment = transcript("cradle-bridge commit", device_key, _raw(ephemeral.public_key()), nonce)
            self.pairing = dict(payload=payload, ephemeral=ephemeral, nonce=nonce, commitment=commitment)
            self.send_response(PAIR_START, request_id, {1: device_key, 2: _raw(ephemeral.public_key()),
                                                         3: commitment})
        elif frame_type == PAIR_REVEAL:
            pairing, host = self.pairing, self.pairing["payload"]
            pairing["hash"] = transcript("cradle-bridge pair", self.nonce, host[1], host[2], host[3], host[4],
                                         device_key, _raw(pairing["ephemeral"].public_key()),
                                         pairing["commitment"], payload[1], pairing["nonce"])
            self.send_response(PAIR_REVEAL, request_id, {1: pairing["nonce"]})
        elif frame_type == PAIR_CONFIRM:
            pairing, host = self.pairing, self.pairing["payload"]
            ed25519.Ed25519PublicKey.from_public_bytes(host[1]).verify(payload[1], pairing["hash"])
            Session.paired_hosts_all.add(host[1])
            self.send_response(PAIR_CONFIRM, request_id, {1: self.identity.sign(pairing["hash"])})
            self.keys = self._seal(pairing["ephemeral"], host[2], pairing["hash"])
        elif frame_type == AUTHENTICATE:
            if payload[1] not in Session.paired_hosts_all:
                self.send_error(request_id, E_NOT_PAIRED, "not paired")
                return True
            first = transcript("cradle-bridge authenticate", self.nonce, payload[1], payload[2])
            ed25519.Ed25519PublicKey.from_public_bytes(payload[1]).verify(payload[3], first)
            ephemeral = x25519.X25519PrivateKey.generate()
            second = transcript("cradle-bridge authenticate", self.nonce, payload[1], payload[2],
                                device_key, _raw(ephemeral.public_key()))
            self.send_response(AUTHENTICATE, request_id, {1: device_key, 2: _raw(ephemeral.public_key()),
                                                           3: self.identity.sign(second)})
            self.keys = self._seal(ephemeral, payload[2], second)
        else:
            return False
        return True


Session.paired_hosts_all = set()


def hello_response(version=VERSION, agent="misbehaving-device 1"):
    return {1: version, 2: agent}


def info_response(serial, model="Misbehaving Device", key_types=("p256", "rsa2048")):
    return {1: "Cradle Tests", 2: model, 3: serial, 4: "Linux", 5: "misbehaving-device 1",
            6: list(key_types), 7: [], 8: ["scep"], 9: _raw(Session.identity.public_key())}
