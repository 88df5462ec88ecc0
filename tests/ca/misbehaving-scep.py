#!/usr/bin/python3
"""A SCEP server that answers wrongly, on purpose, for the SCEP connector tests.

Listens on 127.0.0.1 (plain HTTP, a free port printed on stdout as
"port N") until its standard input closes, so it never outlives the test
that started it, however that test ends.  The first path segment picks the misbehaviour; the rest is the
SCEP path, as /MODE/scep?operation=...  GetCACaps and GetCACert answer
correctly (an RSA CA made at start, written as PEM to the file that
$CRADLE_MISBEHAVING_SCEP_CA names, for the client's trust anchor, before the
port is printed) unless the mode says otherwise; every PKIOperation answer
is wrong:

  html           a web page where a pkiMessage belongs
  truncated      the first half of a pkiMessage
  echo           the client's own message sent back: a pkiMessage, but not
                 signed by the CA
  certs-only     a certs-only PKCS#7: no signature at all
  oversized      an 8 MiB answer
  slow           answers after 10 seconds
  error          HTTP 500 with a line of text
  not-found      HTTP 404 to everything
  caps-html      a web page as the capability list
  caps-escapes   a capability list with a terminal's escape sequence and a
                 bidi override among its words (for the Test of a type)
  cacert-garbage random bytes as the CA certificate
  cacert-ec      an EC CA certificate: nothing to encrypt a request to
  get-only       no POSTPKIOperation: the message comes in the query, and
                 is echoed back as in "echo"
  ee-ra          a man in the middle: GetCACert is the CA and, as if it were
                 an RA, an ordinary end-entity certificate the CA issued
                 (his phone's: key encipherment, clientAuth).  A PKIOperation
                 is decrypted with that certificate's key, and what it held
                 written to the file $CRADLE_MISBEHAVING_SCEP_LOOT names
                 ("pkioperation", then "challenge read" when it decrypted);
                 the client's own message is sent back, as in "echo"
"""

import base64
import datetime
import http.server
import os
import socketserver
import subprocess
import sys
import threading
import time
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7


def _ca(key):
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "Misbehaving SCEP CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))


RSA_CA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
RSA_CA = _ca(RSA_CA_KEY)
EC_CA = _ca(ec.generate_private_key(ec.SECP256R1()))
CAPS = b"POSTPKIOperation\nSHA-256\nAES\nSCEPStandard\n"


def _phone(ca, ca_key):
    """An ordinary certificate of @ca: what a man in the middle holds."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "Mallory's phone")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(2)
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                         key_encipherment=True, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=False, crl_sign=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    return cert, key


PHONE, PHONE_KEY = _phone(RSA_CA, RSA_CA_KEY)


def _pipe(data):
    """A file descriptor to read @data from, for openssl's file arguments."""
    read, write = os.pipe()
    os.write(write, data)
    os.close(write)
    return read


def _decrypt(envelope):
    """Opens an EnvelopedData with the phone's key, as openssl cms does."""
    cert = _pipe(PHONE.public_bytes(serialization.Encoding.PEM))
    key = _pipe(PHONE_KEY.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()))
    try:
        return subprocess.run(["openssl", "cms", "-decrypt", "-inform", "DER", "-binary",
                               "-recip", "/dev/fd/%d" % cert, "-inkey", "/dev/fd/%d" % key],
                              input=envelope, capture_output=True, check=True, timeout=10,
                              pass_fds=(cert, key)).stdout
    finally:
        os.close(cert)
        os.close(key)


def _loot(message):
    """What the phone's key reads in a pkiMessage: its challengePassword."""
    found = ["pkioperation"]
    try:
        # The SignedData's content is the EnvelopedData; openssl takes it out.
        envelope = subprocess.run(["openssl", "cms", "-verify", "-noverify", "-inform", "DER", "-binary"],
                                  input=message, capture_output=True, check=True, timeout=10).stdout
        csr = x509.load_der_x509_csr(_decrypt(envelope))
        challenge = csr.attributes.get_attribute_for_oid(x509.oid.AttributeOID.CHALLENGE_PASSWORD).value
        # Its length only: even a test's secret stays out of files and logs.
        found.append("challenge read (%d characters)" % len(challenge))
    except Exception as e:  # not encrypted to the phone: nothing to read
        found.append("unreadable: %s: %s" % (type(e).__name__, e))
    path = os.environ.get("CRADLE_MISBEHAVING_SCEP_LOOT")
    if path:
        with open(path, "a") as f:
            f.write("\n".join(found) + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _send(self, status, content_type, body):
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _answer(self, message):
        url = urllib.parse.urlsplit(self.path)
        mode = url.path.strip("/").split("/")[0]
        query = urllib.parse.parse_qs(url.query)
        operation = query.get("operation", [""])[0]

        if mode == "not-found":
            return self._send(404, "text/plain", b"no such thing\n")
        if operation == "GetCACaps":
            if mode == "caps-html":
                return self._send(200, "text/html", b"<html><body>Welcome</body></html>")
            if mode == "get-only":
                return self._send(200, "text/plain", b"SHA-256\nAES\n")
            if mode == "caps-escapes":
                return self._send(200, "text/plain",
                                  CAPS + b"\x1b]0;owned\x07Evil\x1b[2J\n\xe2\x80\xaeReversed\n")
            return self._send(200, "text/plain", CAPS)
        if operation == "GetCACert":
            if mode == "cacert-garbage":
                return self._send(200, "application/x-x509-ca-cert", os.urandom(100))
            if mode == "ee-ra":
                return self._send(200, "application/x-x509-ca-ra-cert",
                                  pkcs7.serialize_certificates([RSA_CA, PHONE], serialization.Encoding.DER))
            ca = EC_CA if mode == "cacert-ec" else RSA_CA
            return self._send(200, "application/x-x509-ca-cert",
                              ca.public_bytes(serialization.Encoding.DER))
        if operation != "PKIOperation":
            return self._send(400, "text/plain", b"unknown operation\n")

        if message is None and "message" in query:
            message = base64.b64decode(query["message"][0], validate=True)
        if not message or message[0] != 0x30:
            return self._send(400, "text/plain", b"no pkiMessage\n")
        if mode == "html":
            return self._send(200, "text/html; charset=utf-8",
                              b"<!DOCTYPE html><html><body><h1>Sign in</h1></body></html>")
        if mode == "truncated":
            return self._send(200, "application/x-pki-message", message[: len(message) // 2])
        if mode == "ee-ra":
            _loot(message)
            return self._send(200, "application/x-pki-message", message)
        if mode in ("echo", "get-only"):
            return self._send(200, "application/x-pki-message", message)
        if mode == "certs-only":
            return self._send(200, "application/x-pki-message",
                              pkcs7.serialize_certificates([RSA_CA], serialization.Encoding.DER))
        if mode == "oversized":
            return self._send(200, "application/x-pki-message", b"\x30" + b"\0" * (8 * 1024 * 1024))
        if mode == "slow":
            time.sleep(10)
            return self._send(200, "application/x-pki-message", message)
        if mode == "error":
            return self._send(500, "text/plain", b"the CA's database is locked\nsecond line\n")
        return self._send(400, "text/plain", b"unknown mode\n")

    def do_GET(self):
        self._answer(None)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        self._answer(self.rfile.read(length))


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def _exit_when_stdin_closes():
    sys.stdin.buffer.read()
    os._exit(0)


def main():
    server = Server(("127.0.0.1", 0), Handler)
    anchor = os.environ.get("CRADLE_MISBEHAVING_SCEP_CA")
    if anchor:
        with open(anchor + ".tmp", "wb") as f:
            f.write(RSA_CA.public_bytes(serialization.Encoding.PEM))
        os.replace(anchor + ".tmp", anchor)
    threading.Thread(target=_exit_when_stdin_closes, daemon=True).start()
    print("port %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
