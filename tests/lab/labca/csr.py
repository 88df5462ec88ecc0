"""Reading a certificate request the way the CA's exit/policy module does.

Accepts a DER PKCS#10, or a CMS SignedData (PKCS#7 / CMC) wrapping one,
as CES and certsrv do.  Everything here treats the input as untrusted.
"""

import hashlib

from asn1crypto import cms, core, csr as a_csr, keys
from cryptography import x509
from cryptography.exceptions import InternalError, InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from .errors import CAError

OID_ENROLL_CERTTYPE = "1.3.6.1.4.1.311.20.2"          # szOID_ENROLL_CERTTYPE_EXTENSION
OID_CERTIFICATE_TEMPLATE = "1.3.6.1.4.1.311.21.7"      # szOID_CERTIFICATE_TEMPLATE
OID_ENROLLMENT_NAME_VALUE_PAIR = "1.3.6.1.4.1.311.13.2.1"
OID_EXT_REQ_PKCS9 = "1.2.840.113549.1.9.14"
OID_EXT_REQ_MS = "1.3.6.1.4.1.311.2.1.14"
OID_SAN = "2.5.29.17"
OID_CMC_PKIDATA = "1.3.6.1.5.5.7.12.2"
OID_RENEWAL_CERTIFICATE = "1.3.6.1.4.1.311.13.1"     # szOID_RENEWAL_CERTIFICATE

MAX_REQUEST = 64 * 1024


class _SetOfAny(core.SetOf):
    _child_spec = core.Any


class Request:
    """A parsed, signature-checked PKCS#10."""

    def __init__(self, der):
        self.der = der
        self.asn = a_csr.CertificationRequest.load(der, strict=True)
        info = self.asn["certification_request_info"]
        self.subject_der = info["subject"].dump()
        self.subject = info["subject"]
        self.spki_der = info["subject_pk_info"].dump()
        self.spki_sha256 = hashlib.sha256(self.spki_der).hexdigest()
        self.extensions = {}      # oid -> (critical, extn_value DER contents)
        self.name_value_pairs = []
        self.renewal_certs = []   # values of szOID_RENEWAL_CERTIFICATE (DER)
        self.envelope = None      # the CMS SignedData around it, if any (DER)
        for attr in info["attributes"]:
            oid = attr["type"].dotted
            values = attr["values"]
            if isinstance(values, core.Any):   # an attribute asn1crypto does not know
                values = _SetOfAny.load(values.dump())
            for v in values:
                raw = v.dump()
                if oid in (OID_EXT_REQ_PKCS9, OID_EXT_REQ_MS):
                    self.extensions.update(_extensions(raw))
                elif oid == OID_RENEWAL_CERTIFICATE:
                    # The certificate itself (MS-WCCE 2.2.2.7.3); an OCTET
                    # STRING around it is taken too.
                    if raw[:1] == b"\x04":
                        raw = core.OctetString.load(raw).native
                    self.renewal_certs.append(raw)
                elif oid == OID_ENROLLMENT_NAME_VALUE_PAIR:
                    seq = core.Sequence.load(raw)
                    self.name_value_pairs.append(
                        (_string(seq[0]), _string(seq[1])))

    # -- key ---------------------------------------------------------------
    def public_key(self):
        return x509.load_der_x509_csr(self.der).public_key()

    def key_description(self):
        """('RSA', bits) or ('EC', curve bits, curve name)."""
        k = self.public_key()
        if isinstance(k, rsa.RSAPublicKey):
            return ("RSA", k.key_size, None)
        if isinstance(k, ec.EllipticCurvePublicKey):
            return ("EC", k.curve.key_size, k.curve.name)
        return (type(k).__name__, 0, None)

    # -- template identifiers (MS-WCCE 3.2.2.6.2.1.4.1) ---------------------
    def template_name_from_extension(self):
        v = self.extensions.get(OID_ENROLL_CERTTYPE)
        if v is None:
            return None
        obj = core.load(v[1])
        if isinstance(obj, core.Sequence) or obj.tag == 16:
            obj = core.Sequence.load(v[1])[0]
        return _string(obj)

    def template_oid_from_extension(self):
        v = self.extensions.get(OID_CERTIFICATE_TEMPLATE)
        if v is None:
            return None
        seq = core.Sequence.load(v[1])
        oid = core.ObjectIdentifier.load(seq[0].dump()).dotted
        major = int(core.Integer.load(seq[1].dump()).native) if len(seq) > 1 else None
        minor = int(core.Integer.load(seq[2].dump()).native) if len(seq) > 2 else None
        return oid, major, minor

    def template_name_from_attribute(self):
        for name, value in self.name_value_pairs:
            if name.lower() == "certificatetemplate":
                return value
        return None

    def subject_is_empty(self):
        return len(self.subject.chosen) == 0

    def san_der(self):
        """The extnValue of the requested subjectAltName, or None."""
        v = self.extensions.get(OID_SAN)
        return v[1] if v else None


def _extensions(raw):
    """Extensions ::= SEQUENCE OF Extension, read without asn1crypto's
    per-OID specs (it would insist on a BMPString for 1.3.6.1.4.1.311.20.2,
    which MS-WCCE also allows as UTF8String)."""
    out = {}
    seq = core.Sequence.load(raw, strict=True)
    for i in range(len(seq)):
        ext = core.Sequence.load(seq[i].dump())
        oid, critical, value = None, False, None
        for j in range(len(ext)):
            item = core.load(ext[j].dump())
            if isinstance(item, core.ObjectIdentifier):
                oid = item.dotted
            elif isinstance(item, core.Boolean):
                critical = bool(item.native)
            elif isinstance(item, core.OctetString):
                value = item.native
        if oid is None or value is None:
            raise ValueError("malformed extension")
        out[oid] = (critical, value)
    return out


def _string(obj):
    if isinstance(obj, core.Any):
        obj = obj.parse()
    if obj.tag == 30:          # BMPString
        return core.BMPString.load(obj.dump()).native
    if obj.tag in (12, 19, 22, 20, 28):
        return core.load(obj.dump()).native
    raise ValueError("not a string (tag %d)" % obj.tag)


def _unwrap(der):
    """PKCS#10 DER from a PKCS#10, or from a CMS SignedData that carries one
    as its content (the MS-WSTEP example) or inside CMC PKIData."""
    first = core.load(der, strict=True)
    if not isinstance(first, core.Sequence) and first.tag != 16:
        raise ValueError("not a SEQUENCE")
    seq = core.Sequence.load(der, strict=True)
    # ContentInfo ::= SEQUENCE { contentType OID, [0] EXPLICIT content }
    if len(seq) == 2 and seq[0].tag == 6:
        ci = cms.ContentInfo.load(der, strict=True)
        if ci["content_type"].native != "signed_data":
            raise ValueError("CMS content is not SignedData")
        enc = ci["content"]["encap_content_info"]
        inner = enc["content"].contents if enc["content"] else b""
        if enc["content_type"].dotted == OID_CMC_PKIDATA:
            # PKIData: controls, reqSequence (TaggedRequest [0] tcr {id, csr}), ...
            pki = core.Sequence.load(inner)
            reqs = core.Sequence.load(pki[1].dump())
            for i in range(len(reqs)):
                tr = reqs[i]
                if tr.tag == 0:  # [0] TaggedCertificationRequest, implicit
                    tcr = core.Sequence.load(b"\x30" + tr.dump()[1:])
                    return tcr[1].dump()
            raise ValueError("CMC PKIData carries no PKCS#10")
        if inner.startswith(b"\x04"):   # an OCTET STRING around it
            inner = core.OctetString.load(inner).native
        return inner
    return der


def parse(der):
    """Parse and verify a request; CAError on anything the CA rejects."""
    if not der or len(der) > MAX_REQUEST:
        raise CAError(0x8009310B, "ASN1 bad tag value met.", policy=False)
    try:
        p10 = _unwrap(der)
        req = Request(p10)
        if p10 is not der:
            req.envelope = der
        c = x509.load_der_x509_csr(p10)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError,
            x509.InvalidVersion) as e:
        raise CAError(0x8009310B, "ASN1 bad tag value met.", policy=False) from e
    try:
        ok = c.is_signature_valid
    except (UnsupportedAlgorithm, ValueError, InvalidSignature, InternalError):
        ok = False   # InternalError: OpenSSL could not decode the public key
    if not ok:
        raise CAError(0x80090006, "The request signature is invalid "
                      "(Invalid Signature.)", policy=False)
    try:
        req.key_description()
    except (UnsupportedAlgorithm, ValueError, InternalError) as e:
        raise CAError(0x80094811, "unsupported public key: %s" % e) from e
    return req


def public_key_info(spki_der):
    return keys.PublicKeyInfo.load(spki_der)
