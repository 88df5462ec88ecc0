"""Renewal on the lab CA as a client sees it (imported by check-lab.py):
a CMS SignedData around a PKCS#10 carrying szOID_RENEWAL_CERTIFICATE,
signed by the old certificate's key, through certsrv and CES (#PKCS7);
and the refusals: another key, another signer, a bare PKCS#10, another
template, a new key where the template wants the same, a revoked
certificate.  Good renewals are built with OpenSSL's PKCS#7 signer
(python3-cryptography); the broken ones by hand, below.
"""

import base64
import hashlib
import re
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.serialization import pkcs7

import check_ca
from check_revocation import issue

OID_RENEWAL = "1.3.6.1.4.1.311.13.1"


# --- a little DER, for requests a library would refuse to build -------------------
def _len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def _tlv(tag, body):
    return bytes([tag]) + _len(len(body)) + body


def _oid(dotted):
    arcs = [int(a) for a in dotted.split(".")]
    out = bytes([40 * arcs[0] + arcs[1]])
    for a in arcs[2:]:
        enc = [a & 0x7F]
        a >>= 7
        while a:
            enc.append(0x80 | (a & 0x7F))
            a >>= 7
        out += bytes(reversed(enc))
    return _tlv(0x06, out)


def _int(n):
    b = n.to_bytes(n.bit_length() // 8 + 1, "big")
    return _tlv(0x02, b)


SEQ, SET = 0x30, 0x31
SHA256_ALG = _tlv(SEQ, _oid("2.16.840.1.101.3.4.2.1") + b"\x05\x00")
RSA_SHA256_ALG = _tlv(SEQ, _oid("1.2.840.113549.1.1.11") + b"\x05\x00")
RSA_ALG = _tlv(SEQ, _oid("1.2.840.113549.1.1.1") + b"\x05\x00")


def renewal_csr(key, old_der, template=None):
    """PKCS#10 for `key` whose attributes carry the old certificate
    (1.3.6.1.4.1.311.13.1 = its DER) and, optionally, the template name
    (szOID_ENROLL_CERTTYPE in an extension request)."""
    spki = key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    attrs = [_tlv(SEQ, _oid(OID_RENEWAL) + _tlv(SET, old_der))]
    if template:
        name = template.encode("utf-16-be")
        ext = _tlv(SEQ, _oid("1.3.6.1.4.1.311.20.2") + _tlv(0x04, _tlv(0x1E, name)))
        attrs.append(_tlv(SEQ, _oid("1.2.840.113549.1.9.14") + _tlv(SET, _tlv(SEQ, ext))))
    # [0] IMPLICIT SET OF Attribute: DER sorts the elements by encoding.
    info = _tlv(SEQ, _int(0) + _tlv(SEQ, b"") + spki + _tlv(0xA0, b"".join(sorted(attrs))))
    sig = key.sign(info, padding.PKCS1v15(), hashes.SHA256())
    return _tlv(SEQ, info + RSA_SHA256_ALG + _tlv(0x03, b"\x00" + sig))


def signed_by_openssl(p10, cert, key):
    """CMS SignedData over the PKCS#10 (id-data, content attached), signed
    by `cert`/`key` with OpenSSL's PKCS#7 signer."""
    return (pkcs7.PKCS7SignatureBuilder().set_data(p10)
            .add_signer(cert, key, hashes.SHA256())
            .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary]))


def signed_by_hand(p10, sid_cert, key, certs):
    """CMS SignedData whose first SignerInfo names `sid_cert` (issuer and
    serial) but is signed by `key`, carrying `certs`."""
    digest = hashlib.sha256(p10).digest()
    attrs = (_tlv(SEQ, _oid("1.2.840.113549.1.9.3") + _tlv(SET, _oid("1.2.840.113549.1.7.1")))
             + _tlv(SEQ, _oid("1.2.840.113549.1.9.4") + _tlv(SET, _tlv(0x04, digest))))
    sig = key.sign(_tlv(SET, attrs), padding.PKCS1v15(), hashes.SHA256())
    sid = _tlv(SEQ, sid_cert.issuer.public_bytes() + _int(sid_cert.serial_number))
    signer = _tlv(SEQ, _int(1) + sid + SHA256_ALG + _tlv(0xA0, attrs) + RSA_ALG
                  + _tlv(0x04, sig))
    sd = _tlv(SEQ, _int(1) + _tlv(SET, SHA256_ALG)
              + _tlv(SEQ, _oid("1.2.840.113549.1.7.1") + _tlv(0xA0, _tlv(0x04, p10)))
              + _tlv(0xA0, b"".join(c.public_bytes(serialization.Encoding.DER) for c in certs))
              + _tlv(SET, signer))
    return _tlv(SEQ, _oid("1.2.840.113549.1.7.2") + _tlv(0xA0, sd))


def _der(cert):
    return cert.public_bytes(serialization.Encoding.DER)


def run(check, lab, labdir, here):
    cl = check_ca.Client(lab, labdir)
    tpl_oid = {t["cn"]: t["oid"] for t in lab["templates"]}
    short = lab["ca"]["renewal"]["short_lived_template"]
    same = lab["ca"]["renewal"]["same_key_template"]
    hr = lab["ca"]["renewal"]["hresults"]

    def submit(der):
        """certsrv, Negotiate as alice: -> (page text, certificate or None)."""
        body = urllib.parse.urlencode({
            "Mode": "newreq", "CertAttrib": "UserAgent:check-lab",
            "CertRequest": "-----BEGIN PKCS7-----\n%s\n-----END PKCS7-----\n"
                           % base64.encodebytes(der).decode()})
        st, r, page = cl.request("POST", "/certsrv/certfnsh.asp", body,
                                 {"Content-Type": "application/x-www-form-urlencoded"},
                                 "alice", "negotiate")
        page = page.decode()
        m = re.search(r"certnew\.cer\?ReqID=(\d+)&amp;", page)
        if not m:
            return page, None
        st, r, data = cl.request("GET", "/certsrv/certnew.cer?ReqID=%s&Enc=bin" % m.group(1),
                                 user="alice", how="negotiate")
        return page, x509.load_der_x509_certificate(data)

    def denied(page, code):
        return ("Denied by Policy Module  %s," % code).lower() in page.lower()

    old, k_old = issue(cl, short)
    check("%s issued to alice for 10 minutes (notAfter - notBefore = 600 s + the 10 min "
          "backdating)" % short,
          old is not None and (old.not_valid_after - old.not_valid_before).total_seconds()
          == 1200, old and (old.not_valid_after - old.not_valid_before))
    if old is None:
        return
    soon = lab["ca"]["renewal"]["expires_soon_template"]
    brief, _k = issue(cl, soon, k=k_old)
    check("%s issued for 1 minute (notAfter - notBefore = 60 s + the backdating)" % soon,
          brief is not None and
          (brief.not_valid_after - brief.not_valid_before).total_seconds() == 660)
    other, k_other = issue(cl, short)

    # The good renewal, through certsrv: new key, no template named (the CA
    # takes the old certificate's), signed by the old key with OpenSSL.
    k_new = check_ca.key()
    page, new = submit(signed_by_openssl(renewal_csr(k_new, _der(old)), old, k_old))
    tmpl = new.extensions.get_extension_for_oid(check_ca.OID_TEMPLATE).value.value \
        if new else None
    check("certsrv renewal (PKCS#7 signed by the old key, new key): issued, new key, "
          "same template, same subject",
          new is not None and check_ca.same_key(new, k_new)
          and check_ca._template_oid(tmpl) == tpl_oid[short]
          and new.subject == old.subject, page[-400:])
    out = check_ca.lab_cmd(here, "requests")
    check("cradle-lab requests records the renewal (renewing OLD-SERIAL)",
          re.search(r"issued\s+certsrv\s+alice\s+%s .* renewing %x\b" % (short, old.serial_number),
                    out.stdout), out.stdout[-300:])

    # The same through CES, ValueType ...enrollment#PKCS7.
    cms = signed_by_openssl(renewal_csr(k_new, _der(old), template=short), old, k_old)
    soap_ct = {"Content-Type": "application/soap+xml; charset=utf-8"}
    ces = urllib.parse.urlparse(lab["urls"]["ces_kerberos"]).path
    msg = ('<s:Envelope xmlns:s="%s" xmlns:a="http://www.w3.org/2005/08/addressing">'
           '<s:Header><a:Action s:mustUnderstand="1">http://schemas.microsoft.com/windows/pki/'
           '2009/01/enrollment/RST/wstep</a:Action><a:MessageID>urn:uuid:00000000-0000-0000-'
           '0000-000000000002</a:MessageID></s:Header><s:Body><RequestSecurityToken xmlns="%s">'
           '<TokenType>%s</TokenType><RequestType>http://docs.oasis-open.org/ws-sx/ws-trust/'
           '200512/Issue</RequestType><BinarySecurityToken xmlns="%s" ValueType="http://'
           'schemas.microsoft.com/windows/pki/2009/01/enrollment#PKCS7" EncodingType="%s">%s'
           '</BinarySecurityToken></RequestSecurityToken></s:Body></s:Envelope>'
           % (check_ca.NS["s"], check_ca.NS["wst"], check_ca.X509V3, check_ca.NS["wsse"],
              check_ca.B64BIN, base64.b64encode(cms).decode()))
    st, r, data = cl.request("POST", ces, msg, soap_ct, "alice", "negotiate")
    check("CES renewal (BinarySecurityToken ...enrollment#PKCS7, Kerberos): Issued, the new key",
          st == 200 and b"<DispositionMessage" in data and b">Issued<" in data and
          check_ca.same_key(x509.load_der_x509_certificate(base64.b64decode(re.search(
              rb"X509v3\"[^>]*>([^<]+)<", data).group(1))), k_new), data[-400:])

    # Refusals.
    # Keys: k_other signs where the old key should; k_new is the renewal's.
    page, c = submit(signed_by_hand(renewal_csr(k_other, _der(old)), old, k_other, [old]))
    check("renewal whose first signer names the old certificate but is another key: "
          "denied %s" % hr["bad_signature"], c is None and denied(page, hr["bad_signature"]),
          page[-300:])
    page, c = submit(signed_by_openssl(renewal_csr(k_new, _der(old)), other, k_other))
    check("renewal signed by another certificate of alice's: denied %s"
          % hr["bad_renewal_attribute"],
          c is None and denied(page, hr["bad_renewal_attribute"]), page[-300:])
    page, c = submit(renewal_csr(k_new, _der(old)))
    check("renewal attribute in a bare PKCS#10 (no signature by the old key): denied %s"
          % hr["bad_renewal_attribute"],
          c is None and denied(page, hr["bad_renewal_attribute"]), page[-300:])
    page, c = submit(signed_by_openssl(renewal_csr(k_new, _der(old), template="CradleDeviceUPN"),
                                       old, k_old))
    check("renewal asking for another template than the old certificate's: denied %s"
          % hr["template_differs"], c is None and denied(page, hr["template_differs"]),
          page[-300:])

    s_old, k_s = issue(cl, same)
    if s_old is not None:
        page, c = submit(signed_by_openssl(renewal_csr(k_new, _der(s_old)), s_old, k_s))
        check("%s renewal with a new key: denied %s" % (same, hr["same_key_required"]),
              c is None and denied(page, hr["same_key_required"]), page[-300:])
        page, c = submit(signed_by_openssl(renewal_csr(k_s, _der(s_old)), s_old, k_s))
        check("%s renewal with the same key: issued" % same,
              c is not None and check_ca.same_key(c, k_s), page[-300:])
    else:
        check("%s issued to alice" % same, False)

    out = check_ca.lab_cmd(here, "revoke", "%X" % old.serial_number, "superseded")
    page, c = submit(signed_by_openssl(renewal_csr(k_new, _der(old)), old, k_old))
    check("renewal of a revoked certificate: denied %s" % hr["revoked"],
          out.returncode == 0 and c is None and denied(page, hr["revoked"]),
          out.stderr + page[-300:])
