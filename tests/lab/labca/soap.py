"""CEP (MS-XCEP GetPolicies) and CES (MS-WSTEP RequestSecurityToken) over
SOAP 1.2, with Kerberos (HTTP Negotiate) or a WS-Security UsernameToken."""

import base64
import binascii
import logging
import re
import uuid
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

from labctl import config

from . import auth, errors, sd
from .ca import DISP_ISSUED, DISP_PENDING
from .directory import DirectoryError
from .policy import template_extensions

log = logging.getLogger("labca")

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://www.w3.org/2005/08/addressing",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
    "xcep": "http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy",
    "wst": "http://docs.oasis-open.org/ws-sx/ws-trust/200512",
    "wsse": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
    "wsu": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
    "wstep": "http://schemas.microsoft.com/windows/pki/2009/01/enrollment",
    "auth": "http://schemas.xmlsoap.org/ws/2006/12/authorization",
}
SOAP_CT = "application/soap+xml; charset=utf-8"
ACT_GETPOLICIES = NS["xcep"] + "/IPolicy/GetPolicies"
ACT_GETPOLICIES_RESPONSE = NS["xcep"] + "/IPolicy/GetPoliciesResponse"
ACT_RST = "http://schemas.microsoft.com/windows/pki/2009/01/enrollment/RST/wstep"
ACT_RSTRC = "http://schemas.microsoft.com/windows/pki/2009/01/enrollment/RSTRC/wstep"
ACT_WSTEP_FAULT = ("http://schemas.microsoft.com/windows/pki/2009/01/enrollment/"
                   "RequestSecurityTokenCertificateEnrollmentWSDetailFault")
ACT_XCEP_FAULT = NS["xcep"] + "/IPolicy/GetPoliciesPolicyFault"
ACT_DISPATCHER_FAULT = ("http://schemas.microsoft.com/net/2005/12/"
                        "windowscommunicationfoundation/dispatcher/fault")
RT_ISSUE = "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue"
RT_QUERY = "http://schemas.microsoft.com/windows/pki/2009/01/enrollment/QueryTokenStatus"
RT_KET = "http://docs.oasis-open.org/ws-sx/ws-trust/200512/KET"
TOKEN_X509 = ("http://docs.oasis-open.org/wss/2004/01/"
              "oasis-200401-wss-x509-token-profile-1.0#X509v3")
VT_PKCS7 = NS["wsse"] + "#PKCS7"
ENC_BASE64 = NS["wsse"] + "#base64binary"
MAX_XML = 512 * 1024

# path (lower case) -> (service, authentication)
_CES_BASE = "/%s_CES_" % config.ISSUING_CA_NAME
ENDPOINTS = {
    "/adpolicyprovider_cep_kerberos/service.svc/cep": ("cep", "kerberos"),
    "/adpolicyprovider_cep_usernamepassword/service.svc/cep": ("cep", "password"),
    (_CES_BASE + "Kerberos/service.svc/CES").lower(): ("ces", "kerberos"),
    (_CES_BASE + "UsernamePassword/service.svc/CES").lower(): ("ces", "password"),
}
CES_URLS = {"kerberos": config.CES_KERBEROS_URL, "password": config.CES_PASSWORD_URL}
# XCEP oID groups
G_HASH, G_PUBKEY, G_EXT, G_TEMPLATE = 1, 3, 6, 9
_CNG_ALGORITHMS = {
    "RSA": "1.2.840.113549.1.1.1",
    "ECDSA_P256": "1.2.840.10045.2.1", "ECDSA_P384": "1.2.840.10045.2.1",
    "ECDSA_P521": "1.2.840.10045.2.1", "ECDH_P256": "1.2.840.10045.2.1",
    "ECDH_P384": "1.2.840.10045.2.1", "ECDH_P521": "1.2.840.10045.2.1",
}
_HASHES = {"SHA1": "1.3.14.3.2.26", "SHA256": "2.16.840.1.101.3.4.2.1",
           "SHA384": "2.16.840.1.101.3.4.2.2", "SHA512": "2.16.840.1.101.3.4.2.3"}
_EXT_NAMES = {"2.5.29.15": "Key Usage", "2.5.29.37": "Enhanced Key Usage",
              "1.3.6.1.4.1.311.21.7": "Certificate Template Information",
              "1.3.6.1.4.1.311.21.10": "Application Policies",
              "1.3.6.1.4.1.311.20.2": "Certificate Template Name"}


class Fault(Exception):
    def __init__(self, reason, code="s:Receiver", subcode=None, status=500):
        super().__init__(reason)
        self.reason, self.code, self.subcode, self.status = reason, code, subcode, status


def matches(path):
    return path.lower() in ENDPOINTS


def _q(prefix, local):
    return "{%s}%s" % (NS[prefix], local)


def _text(el):
    return (el.text or "").strip() if el is not None else ""


def _parse(body):
    if len(body) > MAX_XML:
        raise Fault("The message is too large.", "s:Sender", status=413)
    # No DTDs at all: no entity expansion, no external fetches.
    if re.search(rb"<!\s*(DOCTYPE|ENTITY)", body, re.I):
        raise Fault("DTDs are not allowed in SOAP messages.", "s:Sender")
    try:
        env = ET.fromstring(body)
    except ET.ParseError as e:
        raise Fault("The message is not well-formed XML: %s" % e, "s:Sender") from e
    if env.tag != _q("s", "Envelope"):
        raise Fault("Not a SOAP 1.2 envelope.", "s:Sender")
    header = env.find(_q("s", "Header"))
    body_el = env.find(_q("s", "Body"))
    if body_el is None or len(body_el) == 0:
        raise Fault("The SOAP body is empty.", "s:Sender")
    return header, body_el[0]


def _envelope(action, relates_to, body):
    rel = "<a:RelatesTo>%s</a:RelatesTo>" % escape(relates_to) if relates_to else ""
    return ('<s:Envelope xmlns:s="%s" xmlns:a="%s"><s:Header>'
            '<a:Action s:mustUnderstand="1">%s</a:Action>%s</s:Header>'
            '<s:Body>%s</s:Body></s:Envelope>'
            % (NS["s"], NS["a"], action, rel, body))


def _fault_xml(action, relates_to, reason, code="s:Receiver", subcode=None, detail=""):
    sub = ("<s:Subcode><s:Value>%s</s:Value></s:Subcode>" % subcode) if subcode else ""
    return _envelope(action, relates_to,
                     '<s:Fault><s:Code><s:Value>%s</s:Value>%s</s:Code>'
                     '<s:Reason><s:Text xml:lang="en-US">%s</s:Text></s:Reason>%s</s:Fault>'
                     % (code, sub, escape(reason), detail))


def _wstep_fault(h, relates_to, code, reason, invalid_request, rid):
    detail = ('<s:Detail><CertificateEnrollmentWSDetail xmlns="%s" xmlns:xsi="%s">'
              '<BinaryResponse xsi:nil="true"/><ErrorCode>%d</ErrorCode>'
              '<InvalidRequest>%s</InvalidRequest>%s</CertificateEnrollmentWSDetail>'
              '</s:Detail>' % (NS["wstep"], NS["xsi"], errors.signed(code),
                               "true" if invalid_request else "false",
                               "<RequestID>%d</RequestID>" % rid if rid is not None
                               else '<RequestID xsi:nil="true"/>'))
    h.send(500, SOAP_CT, _fault_xml(ACT_WSTEP_FAULT, relates_to, reason, detail=detail))


def _username_token(header):
    if header is None:
        return None, None
    tok = header.find("%s/%s" % (_q("wsse", "Security"), _q("wsse", "UsernameToken")))
    if tok is None:
        return None, None
    pw = tok.find(_q("wsse", "Password"))
    ptype = pw.get("Type", "") if pw is not None else ""
    if ptype and not ptype.endswith("#PasswordText"):
        raise Fault("Only PasswordText UsernameTokens are accepted.", "s:Sender",
                    "a:InvalidSecurity")
    return _text(tok.find(_q("wsse", "Username"))), (pw.text or "") if pw is not None else ""


# -- entry ---------------------------------------------------------------------------
def handle(h, path):
    service, how = ENDPOINTS[path.lower()]
    if h.command != "POST":
        return h.send(405, "text/html", "<html><body>Method not allowed: POST SOAP 1.2 "
                      "messages to this endpoint.</body></html>", [("Allow", "POST")])
    account = None
    if how == "kerberos":
        account = h.authenticate({"negotiate"})
        if account is None:
            return
    relates_to = None
    try:
        header, op = _parse(h.body())
        if header is not None:
            relates_to = _text(header.find(_q("a", "MessageID"))) or None
        action = _text(header.find(_q("a", "Action"))) if header is not None else ""
        if how == "password":
            user, pw = _username_token(header)
            if user is None:
                raise Fault("An error occurred when verifying security for the message: "
                            "no WS-Security UsernameToken.", "s:Sender", "a:InvalidSecurity")
            r = auth.password(user, pw, h.server.ca.directory)
            if r.account is None:
                log.info("CES/CEP UsernameToken refused: %s", r.reason)
                raise Fault("An error occurred when verifying security for the message.",
                            "s:Sender", "a:InvalidSecurity")
            account = r.account
            h.user = account["sam"]
        if service == "cep":
            if action and action != ACT_GETPOLICIES:
                raise Fault("The message with Action '%s' cannot be processed at the "
                            "receiver." % action, "s:Sender", "a:ActionNotSupported")
            return _get_policies(h, op, account, relates_to)
        if action and action != ACT_RST:
            raise Fault("The message with Action '%s' cannot be processed at the "
                        "receiver." % action, "s:Sender", "a:ActionNotSupported")
        return _rst(h, op, account, relates_to, CES_URLS[how])
    except Fault as f:
        action = ACT_WSTEP_FAULT if service == "ces" else ACT_XCEP_FAULT
        if f.subcode in ("a:InternalServiceFault", "a:InvalidSecurity", "a:ActionNotSupported"):
            action = ACT_DISPATCHER_FAULT
        h.send(f.status, SOAP_CT, _fault_xml(action, relates_to, f.reason, f.code, f.subcode))
    except DirectoryError as e:
        log.warning("directory error: %s", e)
        h.send(500, SOAP_CT, _fault_xml(ACT_DISPATCHER_FAULT, relates_to,
                                        "The directory could not be reached.",
                                        "s:Receiver", "a:InternalServiceFault"))


# -- CEP -------------------------------------------------------------------------------
def _nil(tag):
    return '<%s xsi:nil="true"/>' % tag


def _el(tag, value):
    return "<%s>%s</%s>" % (tag, escape(str(value)), tag)


def _get_policies(h, op, account, relates_to):
    if op.tag != _q("xcep", "GetPolicies"):
        raise Fault("Expected GetPolicies.", "s:Sender")
    if op.find(_q("xcep", "client")) is None:
        raise Fault("GetPolicies without a client element.", "s:Sender")
    d = h.server.ca.directory
    service = d.enrollment_service()
    published = {t.lower() for t in service["templates"]}
    tpls = sorted((t for t in d.templates() if t["cn"].lower() in published),
                  key=lambda t: t["cn"].lower())
    oids = []          # (value, group, name)

    def ref(value, group, name):
        for i, (v, g, _n) in enumerate(oids):
            if v == value and g == group:
                return i
        oids.append((value, group, name))
        return len(oids) - 1

    policies = []
    for t in tpls:
        enroll = sd.has_extended_right(t["sd"], account["token"], config.RIGHT_ENROLL)
        auto = sd.has_extended_right(t["sd"], account["token"], config.RIGHT_AUTOENROLL)
        pref = ref(t["oid"], G_TEMPLATE, t["displayName"])
        alg = t["cng"].get("msPKI-Asymmetric-Algorithm")
        alg_ref = (_el("algorithmOIDReference", ref(_CNG_ALGORITHMS[alg], G_PUBKEY, alg))
                   if alg in _CNG_ALGORITHMS else _nil("algorithmOIDReference"))
        hsh = t["cng"].get("msPKI-Hash-Algorithm")
        hash_ref = (_el("hashAlgorithmOIDReference", ref(_HASHES[hsh], G_HASH, hsh))
                    if hsh in _HASHES else _nil("hashAlgorithmOIDReference"))
        kup = t["cng"].get("msPKI-Key-Usage")
        providers = "".join(_el("provider", c.split(",", 1)[-1]) for c in t["csps"])
        exts = "".join(
            "<extension>%s%s%s</extension>" % (
                _el("oIDReference", ref(o, G_EXT, _EXT_NAMES.get(o, o))),
                _el("critical", "true" if c else "false"),
                _el("value", base64.b64encode(bytes.fromhex(v)).decode()))
            for o, c, v in template_extensions(t))
        policies.append(
            "<policy>%s<cAs>%s</cAs><attributes>%s%s"
            "<certificateValidity>%s%s</certificateValidity>"
            "<permission>%s%s</permission>"
            "<privateKeyAttributes>%s%s%s%s%s%s</privateKeyAttributes>"
            "<revision>%s%s</revision>%s%s%s%s%s%s%s%s<extensions>%s</extensions>"
            "</attributes></policy>" % (
                _el("policyOIDReference", pref), _el("cAReference", 0),
                _el("commonName", t["cn"]), _el("policySchema", t["schema"]),
                _el("validityPeriodSeconds", t["validity"]),
                _el("renewalPeriodSeconds", t["overlap"]),
                _el("enroll", "true" if enroll else "false"),
                _el("autoEnroll", "true" if auto else "false"),
                _el("minimalKeyLength", t["min_key"]), _el("keySpec", t["key_spec"]),
                _el("keyUsageProperty", kup) if kup else _nil("keyUsageProperty"),
                _nil("permissions"), alg_ref,
                "<cryptoProviders>%s</cryptoProviders>" % providers if providers
                else _nil("cryptoProviders"),
                _el("majorRevision", t["revision"]), _el("minorRevision", t["minor"]),
                "<supersededPolicies>%s</supersededPolicies>" % "".join(
                    _el("commonName", s) for s in t["superseded"]) if t["superseded"]
                else _nil("supersededPolicies"),
                _el("privateKeyFlags", t["private_key_flag"]),
                _el("subjectNameFlags", t["name_flag"]),
                _el("enrollmentFlags", t["enrollment_flag"]),
                _el("generalFlags", t["flags"]), hash_ref,
                _nil("rARequirements") if not t["ra_signature"] else
                "<rARequirements>%s%s%s</rARequirements>" % (
                    _el("rASignatures", t["ra_signature"]), _nil("rAEKUs"),
                    _nil("rAPolicies")),
                _nil("keyArchivalAttributes"), exts))
    uris = []
    for v in service["servers"]:
        parts = v.split("\n")
        if len(parts) != 4:
            continue
        prio, authflags, renewal, url = parts
        uris.append("<cAURI>%s%s%s%s</cAURI>" % (
            _el("clientAuthentication", authflags), _el("uri", url),
            _el("priority", prio), _el("renewalOnly", "true" if renewal == "1" else "false")))
    ca_enroll = sd.has_extended_right(service["sd"], account["token"], config.RIGHT_ENROLL)
    cas = "<cAs><cA><uris>%s</uris>%s%s%s</cA></cAs>" % (
        "".join(uris), _el("certificate", base64.b64encode(h.server.ca.issuing.cert_der).decode()),
        _el("enrollPermission", "true" if ca_enroll else "false"), _el("cAReferenceID", 0))
    oid_xml = "".join("<oID>%s%s%s%s</oID>" % (_el("value", v), _el("group", g),
                                               _el("oIDReferenceID", i), _el("defaultName", n))
                      for i, (v, g, n) in enumerate(oids))
    forest = tpls[0]["oid"].rsplit(".", 2)[0] if tpls else config.DOMAIN
    body = ('<GetPoliciesResponse xmlns="%s" xmlns:xsi="%s"><response>%s%s%s%s'
            '<policies>%s</policies></response>%s<oIDs>%s</oIDs></GetPoliciesResponse>' % (
                NS["xcep"], NS["xsi"],
                _el("policyID", "{%s}" % str(uuid.uuid5(uuid.NAMESPACE_OID, forest)).upper()),
                _el("policyFriendlyName", "Active Directory Enrollment Policy"),
                _el("nextUpdateHours", 8), _nil("policiesNotChanged"),
                "".join(policies), cas, oid_xml))
    h.send(200, SOAP_CT, _envelope(ACT_GETPOLICIES_RESPONSE, relates_to, body))


# -- CES -------------------------------------------------------------------------------
def _rst(h, op, account, relates_to, ces_url):
    if op.tag != _q("wst", "RequestSecurityToken"):
        raise Fault("Expected RequestSecurityToken.", "s:Sender")
    rtype = _text(op.find(_q("wst", "RequestType")))
    ca = h.server.ca
    if rtype == RT_ISSUE:
        bst = op.find(_q("wsse", "BinarySecurityToken"))
        if bst is None:
            return _wstep_fault(h, relates_to, 0x80070057,
                                "The request has no BinarySecurityToken.", False, None)
        vt = bst.get("ValueType", "")
        et = bst.get("EncodingType", ENC_BASE64)
        if et != ENC_BASE64:
            return _wstep_fault(h, relates_to, 0x80070057, "The EncodingType is invalid.",
                                False, None)
        if not (vt.endswith("#PKCS10") or vt.endswith("#PKCS7")):
            return _wstep_fault(h, relates_to, 0x80070057, "The ValueType is invalid.",
                                False, None)
        try:
            der = base64.b64decode(re.sub(r"\s+", "", bst.text or ""), validate=True)
        except (binascii.Error, ValueError):
            der = b""
        attrs = []
        for item in op.findall("%s/%s" % (_q("auth", "AdditionalContext"),
                                          _q("auth", "ContextItem"))):
            attrs.append("%s:%s" % (item.get("Name", ""), _text(item.find(_q("auth", "Value")))))
        r = ca.submit(der, account, "ces", attributes="\n".join(attrs))
        return _answer(h, relates_to, r.row, r.error, ces_url)
    if rtype == RT_QUERY:
        rid_text = _text(op.find(_q("wstep", "RequestID")))
        if not rid_text.isdigit():
            return _wstep_fault(h, relates_to, 0x80070057,
                                "QueryTokenStatus needs a numeric RequestID.", False, None)
        row = ca.get(int(rid_text))
        if row is None or (row["requester"] != account["sam"]
                           and account["sam"].lower() not in ("caofficer", "administrator")):
            code = 0x80094004
            return _wstep_fault(h, relates_to, code, "%s %s" % (
                errors.text(code), errors.describe(code)), False, int(rid_text))
        return _answer(h, relates_to, row, None, ces_url)
    if rtype == RT_KET:
        return _wstep_fault(h, relates_to, 0x80070057, "Key exchange token requests are not "
                            "supported by this CA (no key archival).", False, None)
    return _wstep_fault(h, relates_to, 0x80070057, "The RequestType '%s' is invalid."
                        % rtype[:200], False, None)


def _bst(value_type, der):
    return ('<BinarySecurityToken ValueType=%s EncodingType=%s xmlns="%s">%s'
            '</BinarySecurityToken>' % (quoteattr(value_type), quoteattr(ENC_BASE64),
                                        NS["wsse"], base64.b64encode(der).decode()))


def _answer(h, relates_to, row, error, ces_url):
    if row is None:
        return _wstep_fault(h, relates_to, error.code, error.disposition_message(),
                            False, None)
    ca = h.server.ca
    head = '<TokenType>%s</TokenType><DispositionMessage xml:lang="en-US" xmlns="%s">%s' \
           '</DispositionMessage>'
    rid = '<RequestID xmlns="%s">%d</RequestID>' % (NS["wstep"], row["id"])
    if row["status"] == "issued":
        cmc = ca.issuing.cmc_response([row["cert"]] + ca.issuing.chain())
        inner = (head % (TOKEN_X509, NS["wstep"], DISP_ISSUED) + _bst(VT_PKCS7, cmc)
                 + "<RequestedSecurityToken>%s</RequestedSecurityToken>" % _bst(TOKEN_X509, row["cert"])
                 + rid)
    elif row["status"] == "pending":
        inner = (head % (TOKEN_X509, NS["wstep"], DISP_PENDING)
                 + '<RequestedSecurityToken><SecurityTokenReference xmlns="%s">'
                 '<Reference URI=%s/></SecurityTokenReference></RequestedSecurityToken>'
                 % (NS["wsse"], quoteattr(ces_url)) + rid)
    else:
        code = row["hresult"] or 0x80094004
        return _wstep_fault(h, relates_to, code, row["message"], row["status"] == "denied",
                            row["id"])
    body = ('<RequestSecurityTokenResponseCollection xmlns="%s"><RequestSecurityTokenResponse>'
            '%s</RequestSecurityTokenResponse></RequestSecurityTokenResponseCollection>'
            % (NS["wst"], inner))
    h.send(200, SOAP_CT, _envelope(ACT_RSTRC, relates_to, body))
