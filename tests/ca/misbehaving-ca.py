#!/usr/bin/python3
"""A CA that answers wrongly, on purpose, for the connector tests.

Listens on 127.0.0.1 (plain HTTP, a free port printed on stdout as
"port N").  The first path segment picks the misbehaviour; the rest of the
path is what a certsrv or EST client would ask for:

  unknown-html     every answer is a web page no CA prints
  truncated-pkcs7  certsrv: an issued page, then half a PKCS#7 for it;
                   EST: half a PKCS#7 as the enrollment answer
  not-base64       EST: an enrollment answer that is not base64
  oversized        an 8 MiB answer
  slow             answers after 10 seconds
  wrong-type       EST: JSON where certificates belong
  own-root         EST: issues the request's key from a root of its own,
                   named as the lab's ("Corp Lab Root CA"), and sends that
                   root with the certificate and as its cacerts
"""

import base64
import http.server
import socketserver
import sys
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
import datetime


def _bundle():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "Misbehaving CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    return pkcs7.serialize_certificates([cert], serialization.Encoding.DER)


BUNDLE = _bundle()

OWN_ROOT_KEY = ec.generate_private_key(ec.SECP256R1())
OWN_ROOT_NAME = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "Corp Lab Root CA")])


def _own_root():
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(OWN_ROOT_NAME).issuer_name(OWN_ROOT_NAME)
            .public_key(OWN_ROOT_KEY.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(OWN_ROOT_KEY, hashes.SHA256()))


OWN_ROOT = _own_root()


def _issue_own(body):
    """The PKCS#10 (base64 DER) issued from OWN_ROOT, with OWN_ROOT, as a certs-only PKCS#7."""
    csr = x509.load_der_x509_csr(base64.b64decode(b"".join(body.split())))
    now = datetime.datetime.now(datetime.timezone.utc)
    leaf = (x509.CertificateBuilder().subject_name(csr.subject).issuer_name(OWN_ROOT_NAME)
            .public_key(csr.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=7))
            .sign(OWN_ROOT_KEY, hashes.SHA256()))
    return pkcs7.serialize_certificates([leaf, OWN_ROOT], serialization.Encoding.DER)
TRUNCATED = BUNDLE[: len(BUNDLE) // 2]

ISSUED_PAGE = (b"<html><head><title>Microsoft Active Directory Certificate Services"
               b"</title></head><body><p>Certificate Issued</p>"
               b'<a href="certnew.cer?ReqID=7&amp;Enc=b64">Download certificate</a>'
               b'<script>sPKCS7="certnew.p7b?ReqID=7&";</script></body></html>')
UNKNOWN_PAGE = (b"<html><head><title>Welcome to the intranet</title></head>"
                b"<body><h1>It works!</h1><p>Nothing to see here.</p></body></html>")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def _send(self, status, content_type, body, extra=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = self.path.lstrip("/").split("/", 1)
        mode, rest = parts[0], (parts[1] if len(parts) > 1 else "")
        est = rest.startswith(".well-known/est")

        if mode == "unknown-html":
            return self._send(200, "text/html", UNKNOWN_PAGE)
        if mode == "oversized":
            return self._send(200, "text/html", b"<p>" + b"x" * (8 * 1024 * 1024) + b"</p>")
        if mode == "slow":
            time.sleep(10)
            return self._send(200, "text/html", UNKNOWN_PAGE)
        if mode == "truncated-pkcs7":
            if est:
                return self._send(200, "application/pkcs7-mime; smime-type=certs-only",
                                  base64.encodebytes(TRUNCATED),
                                  [("Content-Transfer-Encoding", "base64")])
            if "certfnsh.asp" in rest:
                return self._send(200, "text/html", ISSUED_PAGE)
            return self._send(200, "application/x-pkcs7-certificates", TRUNCATED)
        if mode == "not-base64":
            return self._send(200, "application/pkcs7-mime; smime-type=certs-only",
                              b"%%% this is not base64 %%%\n")
        if mode == "own-root" and est:
            if rest.endswith("/cacerts"):
                bundle = pkcs7.serialize_certificates([OWN_ROOT], serialization.Encoding.DER)
            else:
                bundle = _issue_own(body)
            return self._send(200, "application/pkcs7-mime; smime-type=certs-only",
                              base64.encodebytes(bundle), [("Content-Transfer-Encoding", "base64")])
        if mode == "wrong-type":
            return self._send(200, "application/json", b'{"certificate": "none"}')
        return self._send(404, "text/plain", b"unknown misbehaviour\n")

    do_GET = _answer
    do_POST = _answer


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    server = Server(("127.0.0.1", 0), Handler)
    print("port %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
