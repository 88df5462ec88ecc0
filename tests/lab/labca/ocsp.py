"""The lab CA's Online Responder (RFC 6960), on 127.0.0.1 only.

`python3 -m labca DIR ocsp --pidfile F` (started by `cradle-lab up` and
`start-ocsp`) serves http://ca1.corp.example.test:8089/ocsp: POST
(application/ocsp-request) or GET (base64 in the path, RFC 6960 A.1).
Every answer is read from the CA database (ca/requests.sqlite) at the
moment of the query, so a revocation shows at the next query.  Answers are
signed by the delegated responder certificate (ca/ocsp-responder.pem:
issued directly by the issuing CA, EKU OCSPSigning, id-pkix-ocsp-nocheck),
carry it, name it by key hash, echo the request's nonce and say
nextUpdate = thisUpdate + OCSP_VALIDITY_S.

good: issued by the issuing CA and not revoked; revoked: with the time
and the RFC 5280 reason; unknown: a serial this CA never issued.  A CertID
naming another issuer gets `unauthorized`; an unreadable request or one
asking about more than one certificate gets `malformedRequest`.
"""

import base64
import binascii
import datetime
import http.server
import logging
import os
import socket
import socketserver
import sys
import threading
import time
import urllib.parse

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID

from labctl import config

from .store import Store, normalize_serial

log = logging.getLogger("labca.ocsp")

MAX_REQUEST = 16 * 1024
MAX_NONCE = 128
OCSP_CT = "application/ocsp-response"

_REASON_FLAGS = {
    0: x509.ReasonFlags.unspecified, 1: x509.ReasonFlags.key_compromise,
    2: x509.ReasonFlags.ca_compromise, 3: x509.ReasonFlags.affiliation_changed,
    4: x509.ReasonFlags.superseded, 5: x509.ReasonFlags.cessation_of_operation,
    6: x509.ReasonFlags.certificate_hold, 8: x509.ReasonFlags.remove_from_crl,
    9: x509.ReasonFlags.privilege_withdrawn, 10: x509.ReasonFlags.aa_compromise,
}
_HASHES = {"sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
           "sha384": hashes.SHA384, "sha512": hashes.SHA512}


def signer_key_path(paths):
    return os.path.join(paths.ca, "ocsp-responder.key")


def signer_cert_path(paths):
    return os.path.join(paths.ca, "ocsp-responder.pem")


class Responder:
    def __init__(self, paths):
        from .ca import db_path
        self.store = Store(db_path(paths))
        with open(paths.issuing_der, "rb") as f:
            self.issuer = x509.load_der_x509_certificate(f.read())
        with open(signer_cert_path(paths), "rb") as f:
            self.signer = x509.load_pem_x509_certificate(f.read())
        with open(signer_key_path(paths), "rb") as f:
            self.signer_key = serialization.load_pem_private_key(f.read(), None)
        self.issuer_name_der = self.issuer.subject.public_bytes()
        from asn1crypto import x509 as a_x509
        self.issuer_key_bits = a_x509.Certificate.load(
            self.issuer.public_bytes(serialization.Encoding.DER)
        ).public_key["public_key"].contents[1:]
        # For "unknown": cryptography builds a CertID from a certificate, so
        # a stand-in with the asked serial and this issuer's name is made.
        self._standin_key = ec.generate_private_key(ec.SECP256R1())

    def _matches_issuer(self, req):
        name = req.hash_algorithm.name
        if name not in _HASHES:
            return False
        def h(data):
            d = hashes.Hash(_HASHES[name]())
            d.update(data)
            return d.finalize()
        return (req.issuer_name_hash == h(self.issuer_name_der)
                and req.issuer_key_hash == h(self.issuer_key_bits))

    def _standin(self, serial):
        now = datetime.datetime.utcnow()
        return (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "unknown")]))
                .issuer_name(self.issuer.subject)
                .public_key(self._standin_key.public_key())
                .serial_number(serial)
                .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
                .sign(self._standin_key, hashes.SHA256()))

    def answer(self, der):
        """-> (response DER, text for the log)."""
        try:
            req = ocsp.load_der_ocsp_request(der)
            serial = req.serial_number
            alg = req.hash_algorithm
        except UnsupportedAlgorithm:
            return self._fail(ocsp.OCSPResponseStatus.MALFORMED_REQUEST), \
                "malformedRequest (unknown hash algorithm)"
        except (ValueError, NotImplementedError, TypeError) as e:
            why = "more than one certificate" if isinstance(e, NotImplementedError) else \
                "unreadable"
            return self._fail(ocsp.OCSPResponseStatus.MALFORMED_REQUEST), \
                "malformedRequest (%s)" % why
        if serial <= 0 or serial.bit_length() > 159:
            # RFC 5280 4.1.2.2: positive, at most 20 octets.  No stand-in
            # certificate can carry it, so no "unknown" either.
            return self._fail(ocsp.OCSPResponseStatus.MALFORMED_REQUEST), \
                "malformedRequest (serial out of range)"
        nonce = None
        for ext in req.extensions:
            if isinstance(ext.value, x509.OCSPNonce):
                nonce = ext.value.nonce
        if nonce is not None and not 1 <= len(nonce) <= MAX_NONCE:
            return self._fail(ocsp.OCSPResponseStatus.MALFORMED_REQUEST), \
                "malformedRequest (nonce of %d bytes)" % len(nonce)
        if alg.name not in _HASHES or not self._matches_issuer(req):
            return self._fail(ocsp.OCSPResponseStatus.UNAUTHORIZED), \
                "unauthorized (CertID names another issuer)"
        hexserial = normalize_serial("%x" % serial)
        row = self.store.by_serial(hexserial)
        now = datetime.datetime.utcnow().replace(microsecond=0)
        cert = None
        if row and row["cert"]:
            try:
                cert = x509.load_der_x509_certificate(row["cert"])
            except ValueError:
                cert = None
        rev_time = rev_reason = None
        if cert is None:
            status, cert, text = ocsp.OCSPCertStatus.UNKNOWN, self._standin(serial), "unknown"
        elif row["revoked"]:
            status = ocsp.OCSPCertStatus.REVOKED
            rev_time = datetime.datetime.fromisoformat(row["revoked"]).astimezone(
                datetime.timezone.utc).replace(tzinfo=None)
            rev_reason = _REASON_FLAGS.get(row["revoked_reason"] or 0,
                                           x509.ReasonFlags.unspecified)
            text = "revoked (%s)" % rev_reason.value
        else:
            status, text = ocsp.OCSPCertStatus.GOOD, "good"
        b = (ocsp.OCSPResponseBuilder()
             .add_response(cert=cert, issuer=self.issuer, algorithm=alg, cert_status=status,
                           this_update=now,
                           next_update=now + datetime.timedelta(seconds=config.OCSP_VALIDITY_S),
                           revocation_time=rev_time, revocation_reason=rev_reason)
             .responder_id(ocsp.OCSPResponderEncoding.HASH, self.signer)
             .certificates([self.signer]))
        if nonce is not None:
            b = b.add_extension(x509.OCSPNonce(nonce), critical=False)
        resp = b.sign(self.signer_key, hashes.SHA256())
        return resp.public_bytes(serialization.Encoding.DER), \
            "serial %s: %s%s" % (hexserial, text, " (nonce)" if nonce is not None else "")

    @staticmethod
    def _fail(status):
        return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(
            serialization.Encoding.DER)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-IIS/10.0 (cradle-lab OCSP)"
    sys_version = ""
    timeout = 30
    disable_nagle_algorithm = True

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        pass   # one line per answer, written by _answer

    def _send(self, status, ctype, body):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=0, no-cache")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _answer(self, der, t0):
        resp, text = self.server.responder.answer(der)
        self._send(200, OCSP_CT, resp)
        log.info("%s %s %s ms=%.1f", self.client_address[0], self.command, text,
                 (time.monotonic() - t0) * 1000.0)

    def do_POST(self):
        t0 = time.monotonic()
        n = int(self.headers.get("Content-Length") or 0)
        if n <= 0 or n > MAX_REQUEST:
            self.close_connection = True
            return self._send(400, "text/plain", b"an OCSP request is 1..16384 bytes\n")
        self._answer(self.rfile.read(n), t0)

    def do_GET(self):
        t0 = time.monotonic()
        path = self.path.split("?", 1)[0]
        prefix = urllib.parse.urlparse(config.OCSP_URL).path.rstrip("/") + "/"
        if not path.startswith(prefix) or len(path) > 2 * MAX_REQUEST:
            return self._send(404, "text/plain", b"not found\n")
        try:
            der = base64.b64decode(urllib.parse.unquote(path[len(prefix):]), validate=True)
        except (binascii.Error, ValueError):
            return self._send(200, OCSP_CT, Responder._fail(
                ocsp.OCSPResponseStatus.MALFORMED_REQUEST))
        self._answer(der, t0)

    do_HEAD = do_GET


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, socket.timeout)):
            return
        log.exception("error serving %s", client_address[0])


def serve(paths, port=config.OCSP_PORT, address="127.0.0.1"):
    s = _Server((address, port), Handler)
    s.responder = Responder(paths)
    t = threading.Thread(target=s.serve_forever, daemon=True)
    t.start()
    log.info("OCSP responder listening on http://%s:%d%s", address, port,
             urllib.parse.urlparse(config.OCSP_URL).path)
    return s


def make_signer(paths, ca_key, ca_cert, now):
    """The delegated responder certificate: RSA 2048, one year, issued by
    the issuing CA, EKU OCSPSigning, ocsp-nocheck (RFC 6960 4.2.2.2)."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    end = min(now + datetime.timedelta(days=365),
              ca_cert.not_valid_after.replace(tzinfo=datetime.timezone.utc))
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(
                NameOID.COMMON_NAME, "%s OCSP Responder" % config.CA_HOST)]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(int.from_bytes(b"\x61" + os.urandom(18), "big"))
            .not_valid_before(now - datetime.timedelta(minutes=10))
            .not_valid_after(end)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False,
                                         False, False), True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.OCSP_SIGNING]),
                           False)
            .add_extension(x509.OCSPNoCheck(), False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert
