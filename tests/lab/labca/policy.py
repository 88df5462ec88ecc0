"""The enterprise policy module: which template, may this requester enroll,
is the key big enough, and what goes into the certificate (AD CS rules,
MS-WCCE 3.2.2.6.2.1.4)."""

import re

import ldap.dn

from labctl import config

from . import der, sd
from .csr import OID_CERTIFICATE_TEMPLATE, OID_ENROLL_CERTTYPE
from .errors import CAError

# msPKI-Certificate-Name-Flag (MS-CRTD 2.28)
ENROLLEE_SUPPLIES_SUBJECT = 0x00000001
ENROLLEE_SUPPLIES_SUBJECT_ALT_NAME = 0x00010000
SUBJECT_ALT_REQUIRE_DIRECTORY_GUID = 0x01000000
SUBJECT_ALT_REQUIRE_UPN = 0x02000000
SUBJECT_ALT_REQUIRE_EMAIL = 0x04000000
SUBJECT_ALT_REQUIRE_DNS = 0x08000000
SUBJECT_REQUIRE_DNS_AS_CN = 0x10000000
SUBJECT_REQUIRE_EMAIL = 0x20000000
SUBJECT_REQUIRE_COMMON_NAME = 0x40000000
SUBJECT_REQUIRE_DIRECTORY_PATH = 0x80000000
# msPKI-Enrollment-Flag
PEND_ALL_REQUESTS = 0x2
NOREVOCATIONINFOINISSUEDCERTS = 0x4000
NO_SECURITY_EXTENSION = 0x80000

OID_UPN = "1.3.6.1.4.1.311.20.2.3"
OID_DS_OBJECT_GUID = "1.3.6.1.4.1.311.25.1"
OID_NTDS_CA_SECURITY_EXT = "1.3.6.1.4.1.311.25.2"
OID_NTDS_OBJECTSID = "1.3.6.1.4.1.311.25.2.1"
OID_APPLICATION_CERT_POLICIES = "1.3.6.1.4.1.311.21.10"
OID_KEY_USAGE = "2.5.29.15"
OID_EKU = "2.5.29.37"
OID_SAN = "2.5.29.17"

_ATTR_OIDS = {
    "CN": ("2.5.4.3", "dir"), "OU": ("2.5.4.11", "dir"), "O": ("2.5.4.10", "dir"),
    "L": ("2.5.4.7", "dir"), "ST": ("2.5.4.8", "dir"), "C": ("2.5.4.6", "printable"),
    "DC": ("0.9.2342.19200300.100.1.25", "ia5"),
    "E": ("1.2.840.113549.1.9.1", "ia5"),
}
_PRINTABLE = re.compile(r"^[A-Za-z0-9 '()+,\-./:=?]*$")


def parse_attributes(text):
    """certsrv CertAttrib / CES AdditionalContext style 'Name:Value' lines."""
    out = {}
    for line in re.split(r"[\r\n]+", text or ""):
        if ":" in line:
            k, _, v = line.partition(":")
            if k.strip():
                out[k.strip().lower()] = v.strip()
    return out


def _dir_string(s):
    if _PRINTABLE.match(s):
        return der.tlv(0x13, s.encode("ascii"))
    return der.utf8(s)


def _rdn(name, value):
    oid, kind = _ATTR_OIDS[name.upper()]
    if kind == "ia5":
        v = der.ia5(value)
    elif kind == "printable":
        v = der.tlv(0x13, value.encode("ascii"))
    else:
        v = _dir_string(value)
    return der.set_of(der.seq(der.oid(oid), v))


def name_from_dn(dn, email=None):
    """Subject DER from an LDAP DN (most significant RDN first in DER), with
    E=<mail> appended last as AD CS does for SUBJECT_REQUIRE_EMAIL."""
    rdns = []
    for rdn in reversed(ldap.dn.str2dn(dn)) if dn else []:
        for attr, value, _flags in rdn:
            if attr.upper() not in _ATTR_OIDS:
                raise CAError(0x80094001, "unsupported attribute %s in %s" % (attr, dn))
            rdns.append(_rdn(attr, value))
    if email:
        rdns.append(_rdn("E", email))
    return der.seq(*rdns)


def _other_name(type_oid, value_der):
    return der.implicit_constructed(0, der.oid(type_oid) + der.explicit(0, value_der))


def _ext(oid, critical, value):
    return [oid, bool(critical), value.hex()]


def template_extensions(tpl):
    """The extensions a template puts into every certificate (also what CEP
    lists under a policy's extensions)."""
    crit = set(tpl["critical"])
    exts = []
    if tpl["schema"] >= 2 and tpl["oid"]:
        exts.append(_ext(OID_CERTIFICATE_TEMPLATE, False, der.seq(
            der.oid(tpl["oid"]), der.integer(tpl["revision"]),
            der.integer(tpl["minor"]))))
    else:
        exts.append(_ext(OID_ENROLL_CERTTYPE, False, der.bmp(tpl["cn"])))
    if tpl["ekus"]:
        exts.append(_ext(OID_EKU, OID_EKU in crit,
                         der.seq(*[der.oid(o) for o in tpl["ekus"]])))
    if tpl["schema"] >= 2 and tpl["app_policies"]:
        exts.append(_ext(OID_APPLICATION_CERT_POLICIES, False, der.seq(
            *[der.seq(der.oid(o)) for o in tpl["app_policies"]])))
    if tpl["key_usage"] and any(tpl["key_usage"]):
        exts.append(_ext(OID_KEY_USAGE, OID_KEY_USAGE in crit,
                         der.bit_string_from_bytes(tpl["key_usage"])))
    return exts


class Plan:
    """What the CA will issue for an accepted request (kept with a pending
    request so that approval needs neither the directory nor the CSR's
    evaluation again)."""

    def __init__(self, template, subject_der, extensions):
        self.template = template
        self.subject_der = subject_der
        self.extensions = extensions

    def to_json(self):
        return {"template": self.template["cn"], "template_oid": self.template["oid"],
                "validity": self.template["validity"] or 365 * 86400,
                "subject": self.subject_der.hex(), "extensions": self.extensions,
                "no_revocation_info": bool(self.template["enrollment_flag"]
                                           & NOREVOCATIONINFOINISSUEDCERTS)}


class Policy:
    def __init__(self, directory):
        self.directory = directory

    # -- 1. the template ---------------------------------------------------
    def identify_template(self, req, attrs, service, label=None, renewed=None):
        """renewed: the template of the certificate being renewed, used
        when the renewal request names none."""
        found = []   # (how, template or None, raw)
        name = req.template_name_from_extension()
        if name:
            found.append(("szOID_ENROLL_CERTTYPE", self.directory.template(cn=name), name))
        oidv = req.template_oid_from_extension()
        if oidv:
            found.append(("szOID_CERTIFICATE_TEMPLATE",
                          self.directory.template(oid=oidv[0]), oidv[0]))
        name = req.template_name_from_attribute()
        if name:
            found.append(("Enrollment-Name-Value-Pair", self.directory.template(cn=name), name))
        name = attrs.get("certificatetemplate")
        if name:
            found.append(("request attribute", self.directory.template(cn=name), name))
        if label:
            found.append(("EST CA label", self.directory.template(cn=label), label))
        if not found and renewed:
            found.append(("certificate being renewed", self.directory.template(cn=renewed),
                          renewed))
        if not found:
            raise CAError(0x80094801)
        for how, tpl, raw in found:
            if tpl is None:
                e = CAError(0x80094800, "The request was for a certificate template "
                            "that is not supported by the Active Directory "
                            "Certificate Services policy: %s." % raw)
                e.template = raw
                raise e
        cns = {tpl["cn"].lower() for _, tpl, _ in found}
        if len(cns) > 1:
            raise CAError(0x80094802, "The request contains conflicting template "
                          "information (%s)." % ", ".join(
                              "%s=%s" % (how, raw) for how, _, raw in found))
        tpl = found[0][1]
        if tpl["cn"].lower() not in {t.lower() for t in service["templates"]}:
            e = CAError(0x80094800, "The request was for a certificate template "
                        "that is not supported by the Active Directory "
                        "Certificate Services policy: %s." % tpl["cn"])
            e.template = tpl["cn"]
            raise e
        return tpl

    # -- 2..4. rights, key, names ------------------------------------------------
    def check_ca_access(self, service, account):
        if not sd.has_extended_right(service["sd"], account["token"], config.RIGHT_ENROLL):
            raise CAError(0x80094011)

    def evaluate(self, req, tpl, account):
        if not sd.has_extended_right(tpl["sd"], account["token"], config.RIGHT_ENROLL):
            raise CAError(0x80094012)
        kind, bits, curve = req.key_description()
        if tpl["min_key"] and bits < tpl["min_key"]:
            raise CAError(0x80094811, "The public key does not meet the minimum size "
                          "required by the specified certificate template "
                          "(%s %d bits, template %s wants %d)."
                          % (kind, bits, tpl["cn"], tpl["min_key"]))
        subject, san, from_directory = self._names(req, tpl, account)
        return Plan(tpl, subject, self._extensions(tpl, san, account, from_directory))

    def _names(self, req, tpl, acct):
        nf = tpl["name_flag"]
        if nf & ENROLLEE_SUPPLIES_SUBJECT:
            san = req.san_der()
            if req.subject_is_empty() and not san:
                raise CAError(0x80094001, "The request subject name is invalid or too "
                              "long: the template wants a subject from the request "
                              "and the request has none.")
            return req.subject_der, san, False
        # Subject built from the directory.
        email = None
        if nf & SUBJECT_REQUIRE_EMAIL:
            if not acct.get("mail"):
                raise CAError(0x80094812)
            email = acct["mail"]
        if nf & SUBJECT_REQUIRE_DIRECTORY_PATH:
            subject = name_from_dn(acct["dn"], email)
        elif nf & SUBJECT_REQUIRE_COMMON_NAME:
            subject = der.seq(_rdn("CN", acct["cn"]), *([_rdn("E", email)] if email else []))
        elif nf & SUBJECT_REQUIRE_DNS_AS_CN:
            if not acct.get("dns"):
                raise CAError(0x8009480F)
            subject = der.seq(_rdn("CN", acct["dns"]), *([_rdn("E", email)] if email else []))
        else:
            subject = der.seq(*([_rdn("E", email)] if email else []))
        if nf & ENROLLEE_SUPPLIES_SUBJECT_ALT_NAME:
            return subject, req.san_der(), True
        names = []
        if nf & SUBJECT_ALT_REQUIRE_EMAIL:
            if not acct.get("mail"):
                raise CAError(0x80094812)
            names.append(der.tlv(0x81, acct["mail"].encode("ascii")))
        if nf & SUBJECT_ALT_REQUIRE_DNS:
            if not acct.get("dns"):
                raise CAError(0x8009480F)
            names.append(der.tlv(0x82, acct["dns"].encode("ascii")))
        if nf & SUBJECT_ALT_REQUIRE_UPN:
            if not acct.get("upn"):
                raise CAError(0x8009480D)
            names.append(_other_name(OID_UPN, der.utf8(acct["upn"])))
        if nf & SUBJECT_ALT_REQUIRE_DIRECTORY_GUID:
            if not acct.get("guid"):
                raise CAError(0x8009480E)
            names.append(_other_name(OID_DS_OBJECT_GUID, der.octets(bytes.fromhex(acct["guid"]))))
        return subject, (der.seq(*names) if names else None), True

    def _extensions(self, tpl, san, acct, from_directory):
        exts = template_extensions(tpl)
        if san:
            # An empty subject makes the SAN critical (RFC 5280 4.2.1.6): finish().
            exts.append(_ext(OID_SAN, False, san))
        if from_directory and not tpl["enrollment_flag"] & NO_SECURITY_EXTENSION:
            exts.append(_ext(OID_NTDS_CA_SECURITY_EXT, False, der.seq(
                _other_name(OID_NTDS_OBJECTSID, der.octets(acct["sid"].encode("ascii"))))))
        return exts

    def finish(self, plan):
        """Mark the SAN critical when the subject is empty."""
        if plan.subject_der == der.seq():
            for e in plan.extensions:
                if e[0] == OID_SAN:
                    e[1] = True
        return plan

    @staticmethod
    def pends(tpl):
        return bool(tpl["enrollment_flag"] & PEND_ALL_REQUESTS)
