"""The CA's view of Active Directory: the enrollment service, templates and
requesters, read over LDAPS as the CA's service account (svc-ca), and
password checks by a simple bind as the user.

One connection per server thread, reopened when the DC went away.
"""

import struct
import threading

import ldap
import ldap.filter
from ldap.controls import LDAPControl

from labctl import config

# SD_FLAGS control asking for the DACL only (non-admins may read that part).
_SD_FLAGS_DACL = LDAPControl("1.2.840.113556.1.4.801", True,
                             encodedControlValue=b"\x30\x03\x02\x01\x04")

TEMPLATES_DN = "CN=Certificate Templates," + config.PKS_DN
SERVICES_DN = "CN=Enrollment Services," + config.PKS_DN
SERVICE_DN = "CN=%s,%s" % (config.ISSUING_CA_NAME, SERVICES_DN)

_TEMPLATE_ATTRS = [
    "cn", "displayName", "flags", "revision", "msPKI-Template-Schema-Version",
    "msPKI-Template-Minor-Revision", "msPKI-Cert-Template-OID",
    "msPKI-Enrollment-Flag", "msPKI-Certificate-Name-Flag",
    "msPKI-Private-Key-Flag", "msPKI-Minimal-Key-Size", "pKIKeyUsage",
    "pKICriticalExtensions", "pKIExtendedKeyUsage",
    "msPKI-Certificate-Application-Policy", "pKIExpirationPeriod",
    "pKIOverlapPeriod", "pKIDefaultCSPs", "pKIDefaultKeySpec",
    "msPKI-RA-Application-Policies", "msPKI-RA-Signature",
    "msPKI-Supersede-Templates", "nTSecurityDescriptor",
]
_USER_ATTRS = ["objectSid", "tokenGroups", "userPrincipalName", "mail",
               "dNSHostName", "objectGUID", "cn", "displayName",
               "sAMAccountName", "distinguishedName"]


class DirectoryError(Exception):
    """The DC could not be asked (down, bind refused, ...)."""


def _u32(v):
    return int(v) & 0xFFFFFFFF


def _period(raw):
    """pKIExpirationPeriod/pKIOverlapPeriod (negative 100 ns, LE) -> s."""
    if not raw or len(raw) != 8:
        return 0
    return abs(struct.unpack("<q", raw)[0]) // 10_000_000


def _one(entry, name, default=None):
    v = entry.get(name)
    return v[0] if v else default


def _s(entry, name, default=None):
    v = _one(entry, name)
    return v.decode("utf-8") if v is not None else default


def _strs(entry, name):
    return [v.decode("utf-8") for v in entry.get(name, [])]


def cng_policy(s):
    """msPKI-RA-Application-Policies of a v3/v4 template: name`type`value
    triples -> {name: value}, or {} for the OID-list form of v1/v2."""
    if not s or "`" not in s:
        return {}
    parts = s.split("`")
    out = {}
    for i in range(0, len(parts) - 2, 3):
        out[parts[i]] = parts[i + 2]
    return out


def template_from_entry(dn, e):
    schema = int(_s(e, "msPKI-Template-Schema-Version", "1"))
    ra = _s(e, "msPKI-RA-Application-Policies")
    ku = _one(e, "pKIKeyUsage", b"")
    return {
        "dn": dn,
        "cn": _s(e, "cn"),
        "displayName": _s(e, "displayName", _s(e, "cn")),
        "oid": _s(e, "msPKI-Cert-Template-OID"),
        "schema": schema,
        "revision": int(_s(e, "revision", "0")),
        "minor": int(_s(e, "msPKI-Template-Minor-Revision", "0")),
        "flags": _u32(_s(e, "flags", "0")),
        "enrollment_flag": _u32(_s(e, "msPKI-Enrollment-Flag", "0")),
        "name_flag": _u32(_s(e, "msPKI-Certificate-Name-Flag", "0")),
        "private_key_flag": _u32(_s(e, "msPKI-Private-Key-Flag", "0")),
        "min_key": int(_s(e, "msPKI-Minimal-Key-Size", "0")),
        "key_usage": ku,
        "critical": _strs(e, "pKICriticalExtensions"),
        "ekus": _strs(e, "pKIExtendedKeyUsage"),
        "app_policies": _strs(e, "msPKI-Certificate-Application-Policy"),
        "validity": _period(_one(e, "pKIExpirationPeriod")),
        "overlap": _period(_one(e, "pKIOverlapPeriod")),
        "csps": _strs(e, "pKIDefaultCSPs"),
        "key_spec": int(_s(e, "pKIDefaultKeySpec", "1")),
        "ra_signature": int(_s(e, "msPKI-RA-Signature", "0")),
        "cng": cng_policy(ra) if schema >= 3 else {},
        "superseded": _strs(e, "msPKI-Supersede-Templates"),
        "sd": _one(e, "nTSecurityDescriptor", b""),
    }


class Directory:
    def __init__(self, paths, password_of):
        self.paths = paths
        self.uri = "ldaps://" + config.DC_HOST
        self._password_of = password_of
        self._local = threading.local()

    # -- connections -------------------------------------------------------
    def _connect(self, who, password):
        c = ldap.initialize(self.uri)
        c.set_option(ldap.OPT_PROTOCOL_VERSION, 3)
        c.set_option(ldap.OPT_REFERRALS, 0)
        c.set_option(ldap.OPT_NETWORK_TIMEOUT, 5)
        c.set_option(ldap.OPT_TIMEOUT, 15)
        c.set_option(ldap.OPT_X_TLS_CACERTFILE, self.paths.dc_tls_ca)
        c.set_option(ldap.OPT_X_TLS_REQUIRE_CERT, ldap.OPT_X_TLS_DEMAND)
        c.set_option(ldap.OPT_X_TLS_NEWCTX, 0)
        c.simple_bind_s(who, password)
        return c

    def _service(self, fresh=False):
        c = getattr(self._local, "conn", None)
        if c is None or fresh:
            try:
                c = self._connect("svc-ca@" + config.DOMAIN,
                                  self._password_of("svc-ca"))
            except ldap.LDAPError as e:
                raise DirectoryError("cannot bind to %s as svc-ca: %s"
                                     % (self.uri, _ldap_msg(e))) from e
            self._local.conn = c
        return c

    def _search(self, base, scope, filt, attrs, sd=False):
        for attempt in (0, 1):
            c = self._service(fresh=attempt == 1)
            try:
                return [(dn, e) for dn, e in c.search_ext_s(
                    base, scope, filt, attrs,
                    serverctrls=[_SD_FLAGS_DACL] if sd else None) if dn]
            except ldap.NO_SUCH_OBJECT:
                return []
            except (ldap.SERVER_DOWN, ldap.CONNECT_ERROR, ldap.TIMEOUT) as e:
                self._local.conn = None
                if attempt == 1:
                    raise DirectoryError("the DC does not answer: %s"
                                         % _ldap_msg(e)) from e
            except ldap.LDAPError as e:
                raise DirectoryError(_ldap_msg(e)) from e
        return []

    # -- PKI objects ---------------------------------------------------------
    def enrollment_service(self):
        r = self._search(SERVICE_DN, ldap.SCOPE_BASE, "(objectClass=*)",
                         ["cn", "certificateTemplates", "cACertificate",
                          "msPKI-Enrollment-Servers", "nTSecurityDescriptor",
                          "dNSHostName", "flags"], sd=True)
        if not r:
            raise DirectoryError("no enrollment service at " + SERVICE_DN)
        dn, e = r[0]
        return {"dn": dn, "cn": _s(e, "cn"),
                "templates": _strs(e, "certificateTemplates"),
                "servers": _strs(e, "msPKI-Enrollment-Servers"),
                "sd": _one(e, "nTSecurityDescriptor", b"")}

    def templates(self):
        r = self._search(TEMPLATES_DN, ldap.SCOPE_ONELEVEL,
                         "(objectClass=pKICertificateTemplate)",
                         _TEMPLATE_ATTRS, sd=True)
        return [template_from_entry(dn, e) for dn, e in r]

    def template(self, cn=None, oid=None):
        if cn is not None:
            filt = "(&(objectClass=pKICertificateTemplate)(cn=%s))" % \
                ldap.filter.escape_filter_chars(cn)
        else:
            filt = ("(&(objectClass=pKICertificateTemplate)"
                    "(msPKI-Cert-Template-OID=%s))"
                    % ldap.filter.escape_filter_chars(oid))
        r = self._search(TEMPLATES_DN, ldap.SCOPE_ONELEVEL, filt,
                         _TEMPLATE_ATTRS, sd=True)
        return template_from_entry(*r[0]) if len(r) == 1 else None

    # -- requesters --------------------------------------------------------------
    def find_account(self, name):
        """name: 'alice', 'CORP\\alice', 'alice@corp.example.test' (UPN) or a
        Kerberos principal 'alice@CORP.EXAMPLE.TEST'.  -> dict or None."""
        from .sd import sid_to_str, token
        n = name.strip()
        clauses = []
        if "\\" in n:
            dom, _, sam = n.partition("\\")
            if dom.upper() not in (config.NETBIOS, config.DOMAIN.upper()):
                return None
            clauses.append("(sAMAccountName=%s)" % ldap.filter.escape_filter_chars(sam))
        elif "@" in n:
            local, _, realm = n.rpartition("@")
            clauses.append("(userPrincipalName=%s)" % ldap.filter.escape_filter_chars(n))
            if realm.upper() in (config.REALM, config.DOMAIN.upper()):
                clauses.append("(sAMAccountName=%s)"
                               % ldap.filter.escape_filter_chars(local))
        else:
            clauses.append("(sAMAccountName=%s)" % ldap.filter.escape_filter_chars(n))
        filt = "(&(|(objectClass=user)(objectClass=computer))(|%s))" % "".join(clauses)
        r = self._search(config.BASE_DN, ldap.SCOPE_SUBTREE, filt, ["cn"])
        if len(r) != 1:
            return None
        dn = r[0][0]
        # tokenGroups is constructed: only a base search returns it.
        r = self._search(dn, ldap.SCOPE_BASE, "(objectClass=*)", _USER_ATTRS)
        if not r:
            return None
        e = r[0][1]
        sid = sid_to_str(_one(e, "objectSid"))
        groups = [sid_to_str(g) for g in e.get("tokenGroups", [])]
        guid = _one(e, "objectGUID")
        return {
            "dn": dn,
            "sam": _s(e, "sAMAccountName"),
            "sid": sid,
            "token": sorted(token(sid, groups)),
            "upn": _s(e, "userPrincipalName"),
            "mail": _s(e, "mail"),
            "dns": _s(e, "dNSHostName"),
            "guid": guid.hex() if guid else None,
            "cn": _s(e, "cn"),
            "displayName": _s(e, "displayName"),
        }

    def verify_password(self, name, password):
        """A simple bind over LDAPS as the user, as IIS Basic does against
        the domain.  -> the account dict, or None.  Never logs the password."""
        if not password or "\x00" in password:
            return None   # an empty simple bind would be an anonymous one
        acct = self.find_account(name)
        if acct is None:
            return None
        try:
            c = self._connect(acct["dn"], password)
        except ldap.INVALID_CREDENTIALS:
            return None
        except ldap.LDAPError as e:
            raise DirectoryError("password check failed: %s" % _ldap_msg(e)) from e
        c.unbind_s()
        return acct


def admin_connection(paths):
    """LDAPS as Administrator (DC certificate verified): for writing what
    certsrv writes as the CA's account (CRLs, templates added later)."""
    from labctl import secrets
    c = ldap.initialize("ldaps://" + config.DC_HOST)
    c.set_option(ldap.OPT_PROTOCOL_VERSION, 3)
    c.set_option(ldap.OPT_REFERRALS, 0)
    c.set_option(ldap.OPT_NETWORK_TIMEOUT, 5)
    c.set_option(ldap.OPT_TIMEOUT, 15)
    c.set_option(ldap.OPT_X_TLS_CACERTFILE, paths.dc_tls_ca)
    c.set_option(ldap.OPT_X_TLS_REQUIRE_CERT, ldap.OPT_X_TLS_DEMAND)
    c.set_option(ldap.OPT_X_TLS_NEWCTX, 0)
    c.simple_bind_s("Administrator@" + config.DOMAIN,
                    secrets.load(paths.secrets)["Administrator"])
    return c


def _ldap_msg(e):
    try:
        d = e.args[0]
        return "%s%s" % (d.get("desc", ""), (" (%s)" % d["info"]) if d.get("info") else "")
    except (IndexError, AttributeError, TypeError):
        return str(e)
