"""The lab CA as a client sees it (imported by check-lab.py).

Each check talks HTTPS to ca1.corp.example.test with the lab root as the
only trust anchor, Kerberos from the lab users' ccaches (python3-gssapi) or
their passwords, and acts as the CA officer through `cradle-lab approve/deny`.
"""

import base64
import http.client
import json
import os
import re
import ssl
import subprocess
import urllib.parse
import xml.etree.ElementTree as ET

import gssapi
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

CA_HOST = "ca1.corp.example.test"
OID_CERTTYPE = x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2")
OID_TEMPLATE = x509.ObjectIdentifier("1.3.6.1.4.1.311.21.7")
OID_UPN = x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")
NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "wst": "http://docs.oasis-open.org/ws-sx/ws-trust/200512",
    "wsse": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
    "wstep": "http://schemas.microsoft.com/windows/pki/2009/01/enrollment",
    "xcep": "http://schemas.microsoft.com/windows/pki/2009/01/enrollmentpolicy",
}
X509V3 = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
B64BIN = NS["wsse"] + "#base64binary"
SPNEGO = gssapi.OID.from_int_seq("1.3.6.1.5.5.2")


class Client:
    def __init__(self, lab, labdir):
        self.lab, self.labdir = lab, labdir
        self.ctx = ssl.create_default_context(cafile=lab["cas"]["root"]["pem"])
        with open(os.path.join(labdir, "secrets.json")) as f:
            self.pw = json.load(f)

    def request(self, method, path, body=None, headers=None, user=None, how=None,
                port=443):
        """how: 'negotiate' (user's ccache), 'basic', 'badpw' or None."""
        h = dict(headers or {})
        if how == "negotiate":
            os.environ["KRB5CCNAME"] = "FILE:%s/ccache/%s" % (self.labdir, user)
            name = gssapi.Name("HTTP@" + CA_HOST, gssapi.NameType.hostbased_service)
            ctx = gssapi.SecurityContext(name=name, usage="initiate",
                                         mech=SPNEGO)
            h["Authorization"] = "Negotiate " + base64.b64encode(ctx.step()).decode()
        elif how in ("basic", "badpw"):
            pw = self.pw[user] if how == "basic" else "not-" + self.pw[user]
            h["Authorization"] = "Basic " + base64.b64encode(
                ("%s:%s" % (user, pw)).encode()).decode()
        if port == 443:
            c = http.client.HTTPSConnection(CA_HOST, 443, context=self.ctx, timeout=30)
        else:
            c = http.client.HTTPConnection(CA_HOST, port, timeout=30)
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, r, data


def key(kind="rsa2048"):
    if kind.startswith("ec"):
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(65537, int(kind[3:]))


def csr(k, template=None, utf8=False, template_oid=None, subject=None):
    b = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(subject or []))
    if template:
        if utf8:
            val = b"\x0c" + bytes([len(template)]) + template.encode()
        else:
            enc = template.encode("utf-16-be")
            val = b"\x1e" + bytes([len(enc)]) + enc
        b = b.add_extension(x509.UnrecognizedExtension(OID_CERTTYPE, val), False)
    if template_oid:
        from asn1crypto import core
        oid = core.ObjectIdentifier(template_oid).dump()
        body = oid + b"\x02\x01\x64" + b"\x02\x01\x02"   # revision 100, minor 2
        val = b"\x30" + bytes([len(body)]) + body
        b = b.add_extension(x509.UnrecognizedExtension(OID_TEMPLATE, val), False)
    return b.sign(k, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _template_oid(ext_value):
    from asn1crypto import core
    return core.ObjectIdentifier.load(core.Sequence.load(ext_value)[0].dump()).dotted


def pem_csr(der):
    return x509.load_der_x509_csr(der).public_bytes(serialization.Encoding.PEM).decode()


def same_key(cert, k):
    return cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == \
        k.public_key().public_bytes(serialization.Encoding.DER,
                                    serialization.PublicFormat.SubjectPublicKeyInfo)


def lab_cmd(here, *args):
    return subprocess.run([os.path.join(here, "cradle-lab"), *args],
                          capture_output=True, text=True, timeout=60)


def run(check, lab, labdir, here):
    cl = Client(lab, labdir)
    with open(lab["cas"]["root"]["der"], "rb") as f:
        root_der = f.read()
    with open(lab["cas"]["issuing"]["der"], "rb") as f:
        issuing_der = f.read()
    issuing = x509.load_der_x509_certificate(issuing_der)
    tpl_oid = {t["cn"]: t["oid"] for t in lab["templates"]}
    ids = []

    def signed_by_issuing(cert):
        try:
            issuing.public_key().verify(cert.signature, cert.tbs_certificate_bytes,
                                        padding.PKCS1v15(), cert.signature_hash_algorithm)
            return True
        except Exception:  # noqa: BLE001 - any failure is a failed check
            return False

    # --- TLS, AIA ---------------------------------------------------------------
    try:
        st, r, _ = cl.request("GET", "/.well-known/est/cacerts")
        check("HTTPS on %s verifies against the lab root (TLS chain served)" % CA_HOST,
              st == 200)
    except (ssl.SSLError, OSError) as e:
        check("HTTPS on %s verifies against the lab root (TLS chain served)" % CA_HOST,
              False, e)
        return
    st, r, data = cl.request("GET", "/aia/root.crt", port=80)
    check("AIA: http://ca1/aia/root.crt is the root (DER, application/pkix-cert)",
          st == 200 and data == root_der and r.getheader("Content-Type") == "application/pkix-cert")
    st, r, data = cl.request("GET", "/aia/issuing.crt", port=80)
    check("AIA: http://ca1/aia/issuing.crt is the issuing CA", st == 200 and data == issuing_der)
    st, r, _ = cl.request("GET", "/certsrv/", port=80)
    check("plain HTTP serves nothing but AIA (certsrv: 404)", st == 404, st)

    # --- certsrv ------------------------------------------------------------------
    st, r, _ = cl.request("GET", "/certsrv/")
    chal = r.getheader_list("WWW-Authenticate") if hasattr(r, "getheader_list") else \
        r.headers.get_all("WWW-Authenticate")
    check("certsrv without credentials: 401 offering Negotiate and Basic",
          st == 401 and "Negotiate" in chal and any(c.startswith("Basic realm=") for c in chal),
          chal)

    def certsrv_submit(user, how, der, attrib):
        body = urllib.parse.urlencode({"Mode": "newreq", "CertRequest": pem_csr(der),
                                       "CertAttrib": attrib, "TargetStoreFlags": "0",
                                       "SaveCert": "yes"})
        return cl.request("POST", "/certsrv/certfnsh.asp", body,
                          {"Content-Type": "application/x-www-form-urlencoded"}, user, how)

    k = key()
    st, r, page = certsrv_submit("alice", "negotiate", csr(k),
                                 "CertificateTemplate:CradleDeviceUPN\r\nUserAgent:check-lab")
    page = page.decode()
    m = re.search(r"certnew\.cer\?ReqID=(\d+)&amp;", page)
    rid = m.group(1) if m else None
    check("certsrv (Negotiate, alice, CradleDeviceUPN): Certificate Issued page",
          st == 200 and rid and 'sPKCS7="certnew.p7b?ReqID=%s&"' % rid in page, page[-600:])
    if rid:
        ids.append(int(rid))
        st, r, data = cl.request("GET", "/certsrv/certnew.cer?ReqID=%s&Enc=bin" % rid,
                                 user="alice", how="negotiate")
        ok = st == 200 and r.getheader("Content-Type") == "application/pkix-cert"
        cert = x509.load_der_x509_certificate(data) if ok else None
        check("certnew.cer?Enc=bin: the certificate (application/pkix-cert)", ok)
        if cert:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            upns = [n.value for n in san if isinstance(n, x509.OtherName) and n.type_id == OID_UPN]
            tmpl = cert.extensions.get_extension_for_oid(OID_TEMPLATE).value.value
            aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
            check("issued: alice's key, subject = her directory DN, UPN SAN, template OID, "
                  "AIA, signed by the issuing CA",
                  same_key(cert, k) and
                  cert.subject.rfc4514_string() == lab["users"]["alice"]["dn"] and
                  bool(upns) and upns[0].endswith(lab["users"]["alice"]["upn"].encode()) and
                  x509.ObjectIdentifier(tpl_oid["CradleDeviceUPN"]).dotted_string.encode()
                  and _template_oid(tmpl) == tpl_oid["CradleDeviceUPN"],
                  cert.subject.rfc4514_string())
            check("issued: AIA caIssuers http://ca1/aia/issuing.crt; chains to the issuing CA",
                  any(d.access_location.value.endswith("/aia/issuing.crt") for d in aia)
                  and signed_by_issuing(cert))
        st, r, data = cl.request("GET", "/certsrv/certnew.p7b?ReqID=%s&Enc=b64" % rid,
                                 user="alice", how="basic")
        certs = pkcs7.load_pem_pkcs7_certificates(data) if st == 200 else []
        check("certnew.p7b?Enc=b64 (Basic): leaf + issuing + root "
              "(application/x-pkcs7-certificates)",
              r.getheader("Content-Type") == "application/x-pkcs7-certificates"
              and len(certs) == 3)
    st, r, page = cl.request("GET", "/certsrv/certcarc.asp", user="alice", how="basic")
    check("certcarc.asp has var nRenewals=0;", b"var nRenewals=0;" in page)
    st, r, data = cl.request("GET", "/certsrv/certnew.cer?ReqID=CACert&Renewal=0&Enc=b64",
                             user="alice", how="basic")
    check("certnew.cer?ReqID=CACert&Renewal=0&Enc=b64 is the issuing CA (PEM)",
          st == 200 and x509.load_pem_x509_certificate(data).public_bytes(
              serialization.Encoding.DER) == issuing_der)
    st, r, page = cl.request("GET", "/certsrv/", user="alice", how="badpw")
    check("certsrv with a wrong password: 401", st == 401)

    # Pending, approve, deny.
    def pend(via_user="alice"):
        st, r, page = certsrv_submit(via_user, "negotiate", csr(k),
                                     "CertificateTemplate:CradleDeviceApproval")
        m = re.search(r"Your Request Id is (\d+)\.", page.decode())
        return page.decode(), (m.group(1) if m else None)

    page, prid = pend()
    check("certsrv CradleDeviceApproval: Certificate Pending, Your Request Id is N",
          "Certificate Pending" in page and prid, page[-500:])
    if prid:
        ids.append(int(prid))
        st, r, data = cl.request("GET", "/certsrv/certnew.cer?ReqID=%s&Enc=b64" % prid,
                                 user="alice", how="negotiate")
        check("certnew.cer while pending: Taken Under Submission",
              b"Taken Under Submission" in data and
              r.getheader("Content-Type", "").startswith("text/html"))
        out = lab_cmd(here, "requests", "--pending")
        check("cradle-lab requests --pending lists it",
              re.search(r"^%s\s+pending\s+certsrv\s+alice\s+CradleDeviceApproval" % prid,
                        out.stdout, re.M), out.stdout + out.stderr)
        out = lab_cmd(here, "approve", prid)
        st, r, data = cl.request("GET", "/certsrv/certnew.cer?ReqID=%s&Enc=bin" % prid,
                                 user="alice", how="negotiate")
        check("cradle-lab approve N, then certnew.cer gives the certificate",
              out.returncode == 0 and st == 200 and
              r.getheader("Content-Type") == "application/pkix-cert" and
              same_key(x509.load_der_x509_certificate(data), k), out.stdout + out.stderr)
        out = lab_cmd(here, "approve", prid)
        check("approving it again fails (not pending)", out.returncode != 0)
    page, drid = pend()
    if drid:
        ids.append(int(drid))
        out = lab_cmd(here, "deny", drid)
        st, r, data = cl.request("GET", "/certsrv/certnew.cer?ReqID=%s&Enc=b64" % drid,
                                 user="alice", how="negotiate")
        check("cradle-lab deny N, then certnew.cer says 0x80094014",
              out.returncode == 0 and b" 0x80094014 (" in data, data[-400:])
    st, r, data = cl.request("GET", "/certsrv/certnew.cer?ReqID=999999999&Enc=b64",
                             user="alice", how="negotiate")
    check("certnew.cer for an unknown ReqID: property value is empty (0x80094004)",
          b"The requested property value is empty" in data and b"0x80094004" in data)

    small = key("rsa1024")
    cases = [
        ("alice", "negotiate", csr(k), "CertificateTemplate:CradleDeviceUnpublished",
         "0x80094800", "template that is not supported"),
        ("alice", "negotiate", csr(k), "", "0x80094801", None),
        ("bob", "negotiate", csr(k), "CertificateTemplate:CradleDeviceRestricted",
         "0x80094012", None),
        ("alice", "negotiate", csr(small), "CertificateTemplate:CradleDeviceUPN",
         "0x80094811", None),
        ("bob", "negotiate", csr(k), "CertificateTemplate:User", "0x80094812", None),
        ("Administrator", "basic", csr(k), "CertificateTemplate:CradleDeviceUPN",
         "0x8009480d", None),
        ("carol", "negotiate", csr(k), "CertificateTemplate:CradleDeviceUPN",
         "0x8009480d", None),
    ]
    for user, how, der, attrib, code, text in cases:
        st, r, page = certsrv_submit(user, how, der, attrib)
        page = page.decode()
        check("certsrv %s %s: Denied by Policy Module  %s"
              % (user, attrib.split(":")[-1] or "(no template)", code),
              "Certificate Request Denied" in page and
              ("Denied by Policy Module  %s," % code) in page and
              (text is None or text in page), page[-500:])
    bad = bytearray(csr(k, "CradleDeviceUPN"))
    bad[-5] ^= 0xFF
    st, r, page = certsrv_submit("alice", "negotiate", bytes(bad), "")
    check("certsrv: a CSR with a broken signature is refused (0x80090006)",
          b"0x80090006" in page, page[-300:])

    # Template identifiers carried in the CSR.
    for label, der in (("BMPString szOID_ENROLL_CERTTYPE", csr(k, "CradleDeviceUPN")),
                       ("UTF8String szOID_ENROLL_CERTTYPE", csr(k, "CradleDeviceUPN", utf8=True)),
                       ("szOID_CERTIFICATE_TEMPLATE OID",
                        csr(k, template_oid=tpl_oid["CradleDeviceUPN"]))):
        st, r, page = certsrv_submit("alice", "negotiate", der, "")
        check("template from the CSR's %s: issued" % label, b"Certificate Issued" in page)
    st, r, page = certsrv_submit("alice", "negotiate", csr(k, "CradleDeviceECC"), "")
    check("CradleDeviceECC refuses an RSA key? no: min 256 bits, RSA 2048 passes (as AD CS)",
          b"Certificate Issued" in page)
    ek = key("ec")
    st, r, page = certsrv_submit("alice", "negotiate", csr(ek, "CradleDeviceECC"), "")
    check("CradleDeviceECC with an ECDSA P-256 key: issued", b"Certificate Issued" in page)
    big = key("rsa3072")
    st, r, page = certsrv_submit("alice", "negotiate", csr(
        big, "CradleDeviceSuppliedSubject",
        subject=[x509.NameAttribute(NameOID.COMMON_NAME, "device-42")]), "")
    m = re.search(rb"certnew\.cer\?ReqID=(\d+)&amp;", page)
    subj = None
    if m:
        st, r, data = cl.request("GET", "/certsrv/certnew.cer?ReqID=%s&Enc=bin"
                                 % m.group(1).decode(), user="alice", how="negotiate")
        subj = x509.load_der_x509_certificate(data).subject.rfc4514_string()
    check("CradleDeviceSuppliedSubject: subject from the CSR (CN=device-42)",
          subj == "CN=device-42", subj)

    # --- CEP ------------------------------------------------------------------------
    gp = ('<s:Envelope xmlns:s="%s" xmlns:a="http://www.w3.org/2005/08/addressing" '
          'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><s:Header>'
          '<a:Action s:mustUnderstand="1">%s/IPolicy/GetPolicies</a:Action>'
          '<a:MessageID>urn:uuid:0f0e0d0c-0b0a-0908-0706-050403020100</a:MessageID>%s'
          '</s:Header><s:Body><GetPolicies xmlns="%s"><client><lastUpdate xsi:nil="true"/>'
          '<preferredLanguage xsi:nil="true"/></client><requestFilter>'
          '<policyOIDs xsi:nil="true"/><clientVersion xsi:nil="true"/>'
          '<serverVersion xsi:nil="true"/></requestFilter></GetPolicies></s:Body></s:Envelope>')

    def username_token(user, pw):
        return ('<wsse:Security xmlns:wsse="%s"><wsse:UsernameToken><wsse:Username>%s'
                '</wsse:Username><wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/'
                'oasis-200401-wss-username-token-profile-1.0#PasswordText">%s</wsse:Password>'
                '</wsse:UsernameToken></wsse:Security>' % (NS["wsse"], user, pw))

    soap_ct = {"Content-Type": "application/soap+xml; charset=utf-8"}
    cep_k = urllib.parse.urlparse(lab["ca"]["urls"]["cep_kerberos"]).path
    cep_p = urllib.parse.urlparse(lab["ca"]["urls"]["cep_password"]).path
    st, r, data = cl.request("POST", cep_k, gp % (NS["s"], NS["xcep"], "", NS["xcep"]),
                             soap_ct, "bob", "negotiate")
    pols = {}
    uris = []
    if st == 200:
        doc = ET.fromstring(data)
        for p in doc.iter("{%s}policy" % NS["xcep"]):
            a = p.find("{%s}attributes" % NS["xcep"])
            pols[a.findtext("{%s}commonName" % NS["xcep"])] = a.findtext(
                "{%s}permission/{%s}enroll" % (NS["xcep"], NS["xcep"]))
        uris = [(u.findtext("{%s}clientAuthentication" % NS["xcep"]),
                 u.findtext("{%s}uri" % NS["xcep"]))
                for u in doc.iter("{%s}cAURI" % NS["xcep"])]
    check("CEP GetPolicies (Kerberos, bob): the published templates, not the unpublished",
          sorted(pols) == sorted(lab["published_templates"]), sorted(pols))
    check("CEP: bob's enroll permission is false on CradleDeviceRestricted only",
          pols.get("CradleDeviceRestricted") == "false" and pols.get("CradleDeviceUPN") == "true")
    check("CEP: cAURIs are the two CES endpoints (auth 2 Kerberos, 4 UsernamePassword)",
          sorted(uris) == sorted([("2", lab["urls"]["ces_kerberos"]),
                                  ("4", lab["urls"]["ces_password"])]), uris)
    st, r, data = cl.request("POST", cep_p, gp % (NS["s"], NS["xcep"], username_token(
        "alice@" + lab["domain"], cl.pw["alice"]), NS["xcep"]), soap_ct)
    check("CEP GetPolicies with a UsernameToken (alice)", st == 200 and b"GetPoliciesResponse" in data)
    st, r, data = cl.request("POST", cep_p, gp % (NS["s"], NS["xcep"], username_token(
        "alice", "wrong"), NS["xcep"]), soap_ct)
    check("CEP UsernameToken with a wrong password: SOAP fault (500)",
          st == 500 and b"<s:Fault>" in data)

    # --- CES ------------------------------------------------------------------------
    def rst(body_inner, token=""):
        return ('<s:Envelope xmlns:s="%s" xmlns:a="http://www.w3.org/2005/08/addressing">'
                '<s:Header><a:Action s:mustUnderstand="1">http://schemas.microsoft.com/windows/'
                'pki/2009/01/enrollment/RST/wstep</a:Action><a:MessageID>urn:uuid:'
                '00000000-0000-0000-0000-000000000001</a:MessageID>%s</s:Header><s:Body>'
                '<RequestSecurityToken xmlns="%s">%s</RequestSecurityToken></s:Body></s:Envelope>'
                % (NS["s"], token, NS["wst"], body_inner))

    def issue(der, template, vt="http://schemas.microsoft.com/windows/pki/2009/01/enrollment#PKCS10"):
        return rst('<TokenType>%s</TokenType><RequestType>http://docs.oasis-open.org/ws-sx/'
                   'ws-trust/200512/Issue</RequestType><BinarySecurityToken xmlns="%s" '
                   'ValueType="%s" EncodingType="%s">%s</BinarySecurityToken>'
                   '<AdditionalContext xmlns="http://schemas.xmlsoap.org/ws/2006/12/authorization">'
                   '<ContextItem Name="CertificateTemplate"><Value>%s</Value></ContextItem>'
                   '</AdditionalContext><RequestID xmlns="%s" xmlns:xsi="http://www.w3.org/2001/'
                   'XMLSchema-instance" xsi:nil="true"/>'
                   % (X509V3, NS["wsse"], vt, B64BIN, base64.b64encode(der).decode(),
                      template, NS["wstep"]))

    ces_k = urllib.parse.urlparse(lab["urls"]["ces_kerberos"]).path
    ces_p = urllib.parse.urlparse(lab["urls"]["ces_password"]).path

    def parse_rstr(data):
        doc = ET.fromstring(data)
        resp = doc.find(".//{%s}RequestSecurityTokenResponse" % NS["wst"])
        if resp is None:
            return None
        out = {"disp": resp.findtext("{%s}DispositionMessage" % NS["wstep"]),
               "id": resp.findtext("{%s}RequestID" % NS["wstep"]), "leaf": None, "p7": None,
               "ref": None}
        for b in resp.findall("{%s}BinarySecurityToken" % NS["wsse"]):
            if b.get("ValueType", "").endswith("#PKCS7"):
                out["p7"] = base64.b64decode(b.text)
        leaf = resp.find("{%s}RequestedSecurityToken/{%s}BinarySecurityToken"
                         % (NS["wst"], NS["wsse"]))
        if leaf is not None:
            out["leaf"] = x509.load_der_x509_certificate(base64.b64decode(leaf.text))
        ref = resp.find(".//{%s}Reference" % NS["wsse"])
        if ref is not None:
            out["ref"] = ref.get("URI")
        return out

    st, r, data = cl.request("POST", ces_k, issue(csr(k), "CradleDeviceUPN"), soap_ct,
                             "alice", "negotiate")
    a = parse_rstr(data) if st == 200 else None
    check("CES Issue (Kerberos, alice): Issued, leaf = her key, CMC PKCS#7 with the chain",
          a and a["disp"] == "Issued" and a["leaf"] and same_key(a["leaf"], k)
          and len(pkcs7.load_der_pkcs7_certificates(a["p7"])) == 3, data[:300])
    if a and a["id"]:
        ids.append(int(a["id"]))
    msg = issue(csr(k), "CradleDeviceUPN", vt=NS["wsse"] + "#PKCS7").replace(
        "</a:MessageID>", "</a:MessageID>" + username_token(
            "alice@" + lab["domain"], cl.pw["alice"]), 1)
    st, r, data = cl.request("POST", ces_p, msg, soap_ct)
    a = parse_rstr(data) if st == 200 else None
    check("CES Issue (UsernamePassword, ValueType #PKCS7 with a PKCS#10): Issued",
          a and a["disp"] == "Issued" and same_key(a["leaf"], k), data[:300])
    st, r, data = cl.request("POST", ces_k, issue(csr(k), "CradleDeviceRestricted"), soap_ct,
                             "bob", "negotiate")
    check("CES denial: HTTP 500 SOAP fault, ErrorCode -2146877422 (0x80094012), "
          "InvalidRequest true, RequestID",
          st == 500 and b"<ErrorCode>-2146877422</ErrorCode>" in data and
          b"<InvalidRequest>true</InvalidRequest>" in data and b"<RequestID>" in data, data[-500:])
    st, r, data = cl.request("POST", ces_k, issue(csr(k), "CradleDeviceApproval"), soap_ct,
                             "alice", "negotiate")
    a = parse_rstr(data) if st == 200 else None
    check("CES pending: SecurityTokenReference to the CES URL, RequestID",
          a and a["ref"] == lab["urls"]["ces_kerberos"] and a["id"], data[-500:])
    if a and a["id"]:
        ids.append(int(a["id"]))
        q = rst('<TokenType>%s</TokenType><RequestType>http://schemas.microsoft.com/windows/pki/'
                '2009/01/enrollment/QueryTokenStatus</RequestType><RequestID xmlns="%s">%s'
                '</RequestID>' % (X509V3, NS["wstep"], a["id"]))
        st, r, data = cl.request("POST", ces_k, q, soap_ct, "alice", "negotiate")
        b = parse_rstr(data) if st == 200 else None
        check("CES QueryTokenStatus before approval: still pending",
              b and b["ref"] and b["leaf"] is None)
        lab_cmd(here, "approve", a["id"])
        st, r, data = cl.request("POST", ces_k, q, soap_ct, "alice", "negotiate")
        b = parse_rstr(data) if st == 200 else None
        check("CES QueryTokenStatus after cradle-lab approve: Issued",
              b and b["disp"] == "Issued" and same_key(b["leaf"], k), data[-300:])
    st, r, data = cl.request("POST", ces_k, b"<s:Envelope", soap_ct, "alice", "negotiate")
    check("CES malformed XML: SOAP fault (500)", st == 500 and b"Fault" in data)
    st, r, data = cl.request("POST", ces_k, issue(csr(k), "CradleDeviceUPN"), soap_ct)
    check("CES Kerberos without a ticket: 401 Negotiate",
          st == 401 and r.getheader("WWW-Authenticate") == "Negotiate")

    # --- EST ------------------------------------------------------------------------
    st, r, data = cl.request("GET", "/.well-known/est/cacerts")
    check("EST cacerts: base64 certs-only PKCS#7 (issuing + root)",
          st == 200 and r.getheader("Content-Type").startswith("application/pkcs7-mime") and
          r.getheader("Content-Transfer-Encoding") == "base64" and
          len(pkcs7.load_der_pkcs7_certificates(base64.b64decode(data))) == 2)
    p10 = {"Content-Type": "application/pkcs10"}
    st, r, data = cl.request("POST", "/.well-known/est/CradleDeviceUPN/simpleenroll",
                             base64.b64encode(csr(k)), p10, "alice", "basic")
    ok = st == 200
    check("EST simpleenroll (Basic, label CradleDeviceUPN): 200 with the certificate",
          ok and same_key(pkcs7.load_der_pkcs7_certificates(base64.b64decode(data))[0], k),
          data[:200])
    st, r, data = cl.request("POST", "/.well-known/est/simpleenroll",
                             base64.b64encode(csr(k, "CradleDeviceUPN")), p10, "alice", "negotiate")
    check("EST simpleenroll (Negotiate, template from the CSR): 200", st == 200)
    st, r, data = cl.request("POST", "/.well-known/est/CradleDeviceUPN/simpleenroll",
                             base64.b64encode(csr(k)), p10)
    check("EST without credentials: 401", st == 401)
    st, r, data = cl.request("POST", "/.well-known/est/CradleDeviceRestricted/simpleenroll",
                             base64.b64encode(csr(k)), p10, "bob", "basic")
    check("EST denial: 403 naming 0x80094012", st == 403 and b"0x80094012" in data, data)
    ek2 = key()
    body = base64.b64encode(csr(ek2))
    st, r, data = cl.request("POST", "/.well-known/est/CradleDeviceApproval/simpleenroll",
                             body, p10, "alice", "basic")
    st2, r2, data2 = cl.request("POST", "/.well-known/est/CradleDeviceApproval/simpleenroll",
                                body, p10, "alice", "basic")
    m1 = re.search(rb"Request (\d+)", data)
    m2 = re.search(rb"Request (\d+)", data2)
    check("EST pending: 202 + Retry-After; the same CSR again is the same request",
          st == 202 and r.getheader("Retry-After") and st2 == 202 and m1 and m2
          and m1.group(1) == m2.group(1), data)
    if m1:
        ids.append(int(m1.group(1)))
        lab_cmd(here, "approve", m1.group(1).decode())
        st, r, data = cl.request("POST", "/.well-known/est/CradleDeviceApproval/simpleenroll",
                                 body, p10, "alice", "basic")
        check("EST after approval: the same CSR gets 200 and the certificate",
              st == 200 and same_key(pkcs7.load_der_pkcs7_certificates(
                  base64.b64decode(data))[0], ek2))

    check("request ids grow across certsrv, CES and EST (%s)" % ids,
          ids == sorted(ids) and len(set(ids)) == len(ids))

    # --- SCEP -----------------------------------------------------------------------
    scep = urllib.parse.urlparse(lab["urls"]["scep"])
    c = http.client.HTTPConnection(scep.hostname, scep.port, timeout=10)
    c.request("GET", scep.path + "?operation=GetCACaps")
    r = c.getresponse()
    caps = r.read().decode().split()
    check("SCEP GetCACaps (micromdm scepserver): POSTPKIOperation, SHA-256, AES",
          r.status == 200 and {"POSTPKIOperation", "SHA-256", "AES"} <= set(caps), caps)
    c.request("GET", scep.path + "?operation=GetCACert")
    r = c.getresponse()
    data = r.read()
    check("SCEP GetCACert: a DER certificate",
          r.status == 200 and x509.load_der_x509_certificate(data) is not None)
    c.close()
