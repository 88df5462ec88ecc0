"""HTTP authentication the way IIS in front of AD CS does it: Negotiate
(Kerberos through SPNEGO, keytab of HTTP/ca1) and Basic (checked by an
LDAPS bind as the user).  Passwords are never logged or stored."""

import base64
import binascii
import logging

import gssapi

from labctl import config

log = logging.getLogger("labca")

BASIC_REALM = config.CA_HOST


class AuthResult:
    def __init__(self, account=None, scheme=None, out_token=None, reason=None):
        self.account = account
        self.scheme = scheme
        self.out_token = out_token
        self.reason = reason


def _header_value(headers, scheme):
    for v in headers.get_all("Authorization") or []:
        parts = v.strip().split(None, 1)
        if parts and parts[0].lower() == scheme.lower():
            return parts[1].strip() if len(parts) > 1 else ""
    return None


def negotiate(headers, directory):
    """-> AuthResult (account None with a reason if it failed or was absent)."""
    tok = _header_value(headers, "Negotiate")
    if tok is None:
        return AuthResult(reason="no Negotiate credentials")
    try:
        raw = base64.b64decode(tok, validate=True)
        ctx = gssapi.SecurityContext(creds=gssapi.Credentials(usage="accept"),
                                     usage="accept")
        out = ctx.step(raw)
    except (binascii.Error, ValueError) as e:
        return AuthResult(reason="bad Negotiate token: %s" % e)
    except gssapi.exceptions.GSSError as e:
        return AuthResult(reason="Kerberos: %s" % str(e).splitlines()[0][:200])
    if not ctx.complete:
        return AuthResult(reason="SPNEGO needs more legs (only Kerberos is offered)")
    principal = str(ctx.initiator_name)
    acct = directory.find_account(principal)
    if acct is None:
        return AuthResult(reason="%s has no account in the directory" % principal)
    return AuthResult(acct, "Negotiate",
                      base64.b64encode(out).decode() if out else None)


def basic(headers, directory):
    tok = _header_value(headers, "Basic")
    if tok is None:
        return AuthResult(reason="no Basic credentials")
    try:
        user, sep, password = base64.b64decode(tok, validate=True).decode(
            "utf-8").partition(":")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return AuthResult(reason="malformed Basic credentials")
    if not sep or not user:
        return AuthResult(reason="malformed Basic credentials")
    acct = directory.verify_password(user, password)
    if acct is None:
        return AuthResult(reason="wrong user name or password for %r" % user[:64])
    return AuthResult(acct, "Basic")


def password(user, pw, directory):
    """WS-Security UsernameToken: the same check as Basic."""
    if not user:
        return AuthResult(reason="no UsernameToken")
    acct = directory.verify_password(user, pw)
    if acct is None:
        return AuthResult(reason="wrong user name or password for %r" % user[:64])
    return AuthResult(acct, "UsernameToken")


def challenges(schemes):
    out = []
    if "negotiate" in schemes:
        out.append("Negotiate")
    if "basic" in schemes:
        out.append('Basic realm="%s"' % BASIC_REALM)
    return out
