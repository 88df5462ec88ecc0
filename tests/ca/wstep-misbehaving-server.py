#!/usr/bin/python3
"""An MS-WSTEP enrollment web service that answers wrongly, on purpose.

Listens on 127.0.0.1 only, plain HTTP, on a free port it prints on stdout
as "port N".  The first path segment picks the answer to every POST:

  fault-no-detail   500, a SOAP 1.2 fault with a reason and no detail
  unknown-html      200, a web page of no known shape
  truncated-pkcs7   200, an RSTRC whose leaf is whole and whose PKCS#7 is cut in half
  oversized         200, an 8 MiB SOAP body
  slow              200 after 10 seconds
  ca-unavailable    500, a fault whose detail says RPC_S_SERVER_UNAVAILABLE
  service-down      503, an IIS-like error page

It reads and drops what it is sent; it never looks at credentials.
"""

import base64
import datetime
import http.server
import socketserver
import sys
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7

S = "http://www.w3.org/2003/05/soap-envelope"
A = "http://www.w3.org/2005/08/addressing"
WST = "http://docs.oasis-open.org/ws-sx/ws-trust/200512"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSTEP = "http://schemas.microsoft.com/windows/pki/2009/01/enrollment"
SOAP = "application/soap+xml; charset=utf-8"


def certificate():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "Misbehaving CES")])
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(7)
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))


def envelope(action, body):
    return ('<s:Envelope xmlns:s="%s" xmlns:a="%s"><s:Header>'
            '<a:Action s:mustUnderstand="1">%s</a:Action></s:Header>'
            '<s:Body>%s</s:Body></s:Envelope>' % (S, A, action, body)).encode()


def fault(subcode, reason, detail=""):
    sub = "<s:Subcode><s:Value>%s</s:Value></s:Subcode>" % subcode if subcode else ""
    return envelope("http://schemas.microsoft.com/net/2005/12/windowscommunicationfoundation/"
                    "dispatcher/fault",
                    '<s:Fault><s:Code><s:Value>s:Receiver</s:Value>%s</s:Code>'
                    '<s:Reason><s:Text xml:lang="en-US">%s</s:Text></s:Reason>%s</s:Fault>'
                    % (sub, reason, detail))


def truncated_rstrc():
    cert = certificate()
    leaf = cert.public_bytes(serialization.Encoding.DER)
    bundle = pkcs7.serialize_certificates([cert], serialization.Encoding.DER)
    half = base64.b64encode(bundle[: len(bundle) // 2]).decode()
    token = '<BinarySecurityToken ValueType="%s" xmlns="%s">%s</BinarySecurityToken>'
    return envelope(WSTEP + "/RSTRC/wstep",
                    '<RequestSecurityTokenResponseCollection xmlns="%s">'
                    '<RequestSecurityTokenResponse>'
                    '<DispositionMessage xmlns="%s">Issued</DispositionMessage>%s'
                    '<RequestedSecurityToken>%s</RequestedSecurityToken>'
                    '<RequestID xmlns="%s">7</RequestID>'
                    '</RequestSecurityTokenResponse></RequestSecurityTokenResponseCollection>'
                    % (WST, WSTEP, token % (WSSE + "#PKCS7", WSSE, half),
                       token % ("X509v3", WSSE, base64.b64encode(leaf).decode()), WSTEP))


ANSWERS = {
    "fault-no-detail": (500, SOAP, fault("a:InternalServiceFault",
                                         "The server was unable to process the request due "
                                         "to an internal error.")),
    "unknown-html": (200, "text/html", b"<html><head><title>Welcome to the intranet</title>"
                     b"</head><body><h1>It works!</h1></body></html>"),
    "truncated-pkcs7": (200, SOAP, truncated_rstrc()),
    "oversized": (200, SOAP, envelope("x", "<x>" + "A" * (8 * 1024 * 1024) + "</x>")),
    "slow": (200, SOAP, fault(None, "Too late.")),
    "ca-unavailable": (500, SOAP, fault(None, "The RPC server is unavailable. 0x800706ba",
                                        '<s:Detail><CertificateEnrollmentWSDetail xmlns="%s">'
                                        '<ErrorCode>-2147023174</ErrorCode>'
                                        '<InvalidRequest>false</InvalidRequest>'
                                        '</CertificateEnrollmentWSDetail></s:Detail>' % WSTEP)),
    "service-down": (503, "text/html", b"<html><head><title>Service Unavailable</title></head>"
                     b"<body><h2>Service Unavailable</h2><p>HTTP Error 503. The service is "
                     b"unavailable.</p></body></html>"),
}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        if length > 0:
            self.rfile.read(length)
        mode = self.path.strip("/").split("/")[0]
        if mode not in ANSWERS:
            self.send_error(404)
            return
        if mode == "slow":
            time.sleep(10)
        status, content_type, body = ANSWERS[mode]
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


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
