"""EST (RFC 7030) under /.well-known/est[/<template cn>]/: cacerts,
simpleenroll, simplereenroll.  The optional CA label names the template.
A pending request answers 202 + Retry-After; sending the same CSR (same
key, same template, same requester) again finds the same queue entry."""

import base64
import binascii
import re

from . import errors

PKCS7_CT = "application/pkcs7-mime; smime-type=certs-only"
RETRY_AFTER = "2"
OPS = ("cacerts", "simpleenroll", "simplereenroll", "csrattrs", "fullcmc",
       "serverkeygen")


def _b64(der):
    b = base64.b64encode(der).decode()
    return ("\r\n".join(b[i:i + 64] for i in range(0, len(b), 64)) + "\r\n").encode()


def _p7(h, der):
    h.send(200, PKCS7_CT, _b64(der), [("Content-Transfer-Encoding", "base64")])


def _text(h, status, msg, headers=None):
    h.send(status, "text/plain; charset=utf-8", msg.rstrip("\n") + "\n", headers)


def handle(h, sub, query):
    parts = [p for p in sub.split("/") if p]
    if not parts or len(parts) > 2 or parts[-1].lower() not in OPS:
        return _text(h, 404, "unknown EST operation")
    op = parts[-1].lower()
    label = parts[0] if len(parts) == 2 else None
    ca = h.server.ca
    if op == "cacerts":
        if h.command not in ("GET", "HEAD"):
            return _text(h, 405, "cacerts wants GET", [("Allow", "GET")])
        return _p7(h, ca.issuing.certs_only(ca.issuing.chain()))
    if op not in ("simpleenroll", "simplereenroll"):
        return _text(h, 501, "%s is not offered by this CA" % op)
    if h.command != "POST":
        return _text(h, 405, "%s wants POST" % op, [("Allow", "POST")])
    account = h.authenticate({"basic", "negotiate"})
    if account is None:
        return
    ctype = h.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if ctype != "application/pkcs10":
        return _text(h, 415, "the request body must be application/pkcs10 (base64 DER)")
    raw = h.body()
    try:
        der = base64.b64decode(re.sub(rb"\s+", b"", raw), validate=True)
    except (binascii.Error, ValueError):
        return _text(h, 400, "the body is not base64")
    r = ca.submit(der, account, "est", label=label, reuse_pended=True)
    if r.status == "issued":
        return _p7(h, ca.issuing.certs_only([r.cert]))
    if r.status == "pending":
        return _text(h, 202, "Request %d taken under submission; retry after %s s with the "
                     "same request." % (r.id, RETRY_AFTER), [("Retry-After", RETRY_AFTER)])
    # One line, the HRESULT first: "0x80094012 (-2146877422 CERTSRV_E_...):
    # Denied by Policy Module  0x80094012, ... (request 7)".
    msg = "%s: %s%s" % (errors.describe(r.code), r.message,
                        " (request %d)" % r.id if r.id else "")
    if r.row is None:
        return _text(h, 400, msg)              # unreadable request
    if r.status == "failed":
        return _text(h, 503, msg, [("Retry-After", "5")])
    return _text(h, 403, msg)
