#!/usr/bin/python3
"""block-proxy.py HOST:PORT...: an HTTP proxy on 127.0.0.1 that cuts some servers off.

Stands in for a network where the lab's OCSP responder (or its CRL
server) cannot be reached, without stopping what other tests use:
cradlectl runs with http_proxy pointing here.  A request to one of the
HOST:PORT given is answered by closing the connection, as a server that
is gone; any other is passed to its server and the answer relayed.
Prints "port N" once it listens.
"""
import http.client
import http.server
import sys
import urllib.parse

BLOCKED = set(sys.argv[1:])


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def relay(self):
        url = urllib.parse.urlsplit(self.path)
        port = url.port or 80
        if "%s:%d" % (url.hostname, port) in BLOCKED:
            self.close_connection = True
            self.connection.close()
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        upstream = http.client.HTTPConnection(url.hostname, port, timeout=10)
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("proxy-connection", "connection", "keep-alive")}
        upstream.request(self.command, url.path + ("?" + url.query if url.query else ""), body, headers)
        answer = upstream.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for k, v in answer.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length", "keep-alive"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        upstream.close()

    do_GET = relay
    do_POST = relay


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    server.daemon_threads = True
    print("port %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
