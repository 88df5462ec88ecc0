"""The lab CA's web server: HTTPS on 127.0.0.1:443 (certsrv, CEP, CES, EST)
and plain HTTP on 127.0.0.1:80 for AIA and the CRL (CertEnroll) only.  Threaded stdlib http.server;
TLS handshakes happen in the worker threads."""

import http.server
import logging
import os
import socket
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse

from labctl import config

from . import auth, certsrv, crl, est, prepare, soap
from .ca import CA

log = logging.getLogger("labca")

MAX_BODY = 1024 * 1024
SERVER_HEADER = "Microsoft-IIS/10.0 (cradle-lab CA)"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = SERVER_HEADER
    sys_version = ""
    timeout = 60
    # TCP_NODELAY, as IIS: an answer is written as headers, then body, and
    # with Nagle the body waited for the client's delayed ACK (40 ms) on a
    # connection used again (keep-alive) once its quick ACKs were over.
    disable_nagle_algorithm = True

    # -- plumbing ------------------------------------------------------------------
    def version_string(self):
        return SERVER_HEADER

    def log_message(self, fmt, *args):  # access log without headers or bodies
        log.info("%s %s", self.client_address[0], fmt % args)

    def parse_request(self):
        # The request line has just been read: the CA's own time starts here.
        self.started = time.monotonic()
        self.req_id = None
        return super().parse_request()

    def log_request(self, code="-", size="-"):
        """One line per answer; req= the request id it made (certsrv), ms= the
        CA's time from reading the request line to the status line:
        authentication, directory, policy, signing, database."""
        who = getattr(self, "user", None) or "-"
        path = self.path.split("?", 1)[0] if "certfnsh" in self.path else self.path
        extra = " req=%d" % self.req_id if getattr(self, "req_id", None) else ""
        started = getattr(self, "started", None)
        if started is not None:
            extra += " ms=%.1f" % ((time.monotonic() - started) * 1000.0)
        log.info("%s %s %s %s user=%s%s", self.client_address[0], self.command,
                 path[:300], code, who, extra)

    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                line = self.rfile.readline(100)
                n = int(line.split(b";")[0].strip() or b"0", 16)
                if n == 0:
                    while self.rfile.readline(1000) not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                if len(data) + n > MAX_BODY:
                    raise ValueError("body too large")
                data += self.rfile.read(n)
                self.rfile.readline(10)
        n = int(self.headers.get("Content-Length") or 0)
        if n < 0 or n > MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(n) if n else b""

    def send(self, status, ctype, body, headers=None):
        if isinstance(body, str):
            body = body.encode("utf-8")
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in (headers or []):
            self.send_header(k, v)
        out = getattr(self, "out_token", None)
        if out:
            self.send_header("WWW-Authenticate", "Negotiate " + out)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def unauthorized(self, schemes, reason):
        log.info("401 for %s: %s", self.path.split("?", 1)[0][:200], reason)
        body = ("<html><head><title>401 - Unauthorized: Access is denied due to "
                "invalid credentials.</title></head><body><h2>401 - Unauthorized: "
                "Access is denied due to invalid credentials.</h2><p>You do not have "
                "permission to view this directory or page using the credentials "
                "that you supplied.</p></body></html>")
        self.send(401, "text/html", body,
                  [("WWW-Authenticate", c) for c in auth.challenges(schemes)])

    def authenticate(self, schemes):
        """Account dict, or None after answering 401.  schemes: subset of
        {'negotiate', 'basic'}."""
        directory = self.server.ca.directory
        reasons = []
        if "negotiate" in schemes:
            r = auth.negotiate(self.headers, directory)
            if r.account:
                self.out_token = r.out_token
                self.user = r.account["sam"]
                return r.account
            reasons.append(r.reason)
        if "basic" in schemes:
            r = auth.basic(self.headers, directory)
            if r.account:
                self.user = r.account["sam"]
                return r.account
            reasons.append(r.reason)
        self.unauthorized(schemes, "; ".join(reasons))
        return None

    # -- dispatch --------------------------------------------------------------------
    def do_GET(self):
        self._dispatch()

    def do_HEAD(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def _dispatch(self):
        self.out_token = None
        self.user = None
        raw_path, _, query = self.path.partition("?")
        path = urllib.parse.unquote(raw_path)
        try:
            if self.server.plain:
                return self._aia(path)
            for prefix, module in (("/certsrv", certsrv), ("/.well-known/est", est)):
                if path == prefix or path.startswith(prefix + "/"):
                    return module.handle(self, path[len(prefix):], query)
            if soap.matches(path):
                return soap.handle(self, path)
            self.send(404, "text/html", "<html><body><h2>404 - File or directory "
                      "not found.</h2></body></html>")
        except ValueError as e:
            self.send(400, "text/plain", "bad request: %s\n" % e)
        except (ConnectionError, socket.timeout):
            raise
        except Exception:   # one request, not the server
            log.exception("internal error on %s %s", self.command, raw_path[:200])
            self.close_connection = True
            self.send(500, "text/plain", "internal server error (see the CA log)\n")

    def _aia(self, path):
        paths = self.server.ca.paths
        files = {"/aia/root.crt": (paths.root_der, "application/pkix-cert"),
                 "/aia/issuing.crt": (paths.issuing_der, "application/pkix-cert"),
                 "/CertEnroll/" + config.CRL_FILE_NAME: (crl.crl_path(paths),
                                                         "application/pkix-crl")}
        if self.command in ("GET", "HEAD") and path in files:
            name, ctype = files[path]
            try:
                with open(name, "rb") as f:
                    return self.send(200, ctype, f.read())
            except FileNotFoundError:
                pass   # the CRL before its first publication
        self.send(404, "text/plain", "not found\n")


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr, ca, tls_ctx=None):
        self.ca = ca
        self.tls_ctx = tls_ctx
        self.plain = tls_ctx is None
        super().__init__(addr, Handler)

    def finish_request(self, request, client_address):
        request.settimeout(60)
        if self.tls_ctx is None:
            return super().finish_request(request, client_address)
        try:
            tls = self.tls_ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            log.info("%s TLS handshake failed: %s", client_address[0], e)
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, socket.timeout, ssl.SSLError)):
            return
        log.exception("error serving %s", client_address[0])


def tls_context(paths):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(prepare.tls_chain_path(paths), prepare.tls_key_path(paths))
    return ctx


def serve(paths, https_port=443, http_port=80, address="127.0.0.1"):
    """http_port None: HTTPS only.  https_port 0: any free port (servers[0]
    .server_address says which)."""
    os.environ["KRB5_KTNAME"] = "FILE:" + paths.http_keytab
    os.environ["KRB5_CONFIG"] = paths.krb5_conf
    # The acceptor needs no ccache; make sure none of the caller's leaks in.
    os.environ["KRB5CCNAME"] = "MEMORY:labca"
    ca = CA(paths)
    servers = [_Server((address, https_port), ca, tls_context(paths))]
    https_port = servers[0].server_address[1]
    if http_port is None:
        log.info("lab CA listening on https://%s:%d", address, https_port)
    else:
        servers.append(_Server((address, http_port), ca))
        log.info("lab CA listening on https://%s:%d and http://%s:%d (AIA)",
                 address, https_port, address, http_port)
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    if http_port is not None:
        # The CA that serves the CRL also publishes it (a benchmark
        # front-end on another port does not).
        threads.append(threading.Thread(target=_publish_crls, args=(paths, ca.store),
                                        daemon=True))
    for t in threads:
        t.start()
    return servers, threads


def _publish_crls(paths, store):
    """A CRL at start and every CRL_REPUBLISH_S; the directory copy is
    retried every 5 s while the DC does not take it (at `up` the CA starts
    before Samba answers)."""
    pending = None
    next_full = 0.0
    while True:
        now = time.monotonic()
        try:
            if now >= next_full:
                p = crl.publish(paths, store)
                next_full = now + config.CRL_REPUBLISH_S
                pending = p.der if p.ldap_error else None
            elif pending is not None:
                if crl.retry_ldap(paths, pending) is None:
                    pending = None
        except Exception:   # keep publishing; say why in the log
            log.exception("CRL publication failed")
            next_full = now + 5
        time.sleep(5 if pending is not None else max(0.5, next_full - time.monotonic()))
