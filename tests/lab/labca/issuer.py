"""The issuing CA's signing: certificates, certs-only PKCS#7 and the CMC
Full PKI Response CES returns.  Keys are the lab's (ca/issuing-ca.key)."""

import datetime
import hashlib
import secrets

from asn1crypto import x509 as a_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from labctl import config

from . import der


def cdp_extension(urls):
    """CRLDistributionPoints with one DistributionPoint whose fullName
    lists `urls` (AD CS writes its ldap:/// and http URLs this way)."""
    names = b"".join(der.tlv(0x86, u.encode("ascii")) for u in urls)
    return der.seq(der.seq(der.tlv(0xA0, der.tlv(0xA0, names))))

SHA256_RSA = "1.2.840.113549.1.1.11"
RSA_ENCRYPTION = "1.2.840.113549.1.1.1"
SHA256 = "2.16.840.1.101.3.4.2.1"
OID_DATA = "1.2.840.113549.1.7.1"
OID_SIGNED_DATA = "1.2.840.113549.1.7.2"
OID_CONTENT_TYPE = "1.2.840.113549.1.9.3"
OID_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"
OID_PKI_RESPONSE = "1.3.6.1.5.5.7.12.3"
OID_CMC_STATUS_INFO = "1.3.6.1.5.5.7.7.1"

OID_SKI = "2.5.29.14"
OID_AKI = "2.5.29.35"
OID_AIA = "1.3.6.1.5.5.7.1.1"
OID_CA_ISSUERS = "1.3.6.1.5.5.7.48.2"
OID_OCSP = "1.3.6.1.5.5.7.48.1"
OID_CDP = "2.5.29.31"


class IssuingCA:
    def __init__(self, paths, aia_url):
        with open(paths.issuing_key, "rb") as f:
            self.key = serialization.load_pem_private_key(f.read(), None)
        with open(paths.issuing_der, "rb") as f:
            self.cert_der = f.read()
        with open(paths.root_der, "rb") as f:
            self.root_der = f.read()
        self.cert = a_x509.Certificate.load(self.cert_der)
        self.subject_der = self.cert.subject.dump()
        self.ski = self.cert.key_identifier
        self.aia_url = aia_url

    def chain(self):
        """Issuing CA then root, DER."""
        return [self.cert_der, self.root_der]

    def _sign(self, data):
        return self.key.sign(data, padding.PKCS1v15(), hashes.SHA256())

    def issue(self, plan, spki_der, now=None):
        """-> (cert DER, serial hex).  plan: see policy.Plan.to_json()."""
        now = now or datetime.datetime.now(datetime.timezone.utc)
        # AD CS backdates by its clock skew allowance (10 minutes).
        not_before = now.replace(microsecond=0) - datetime.timedelta(minutes=10)
        not_after = now.replace(microsecond=0) + datetime.timedelta(seconds=plan["validity"])
        ca_end = self.cert.not_valid_after
        if not_after > ca_end:
            not_after = ca_end
        # 19 bytes like AD CS serials, positive.
        serial = int.from_bytes(b"\x61" + secrets.token_bytes(18), "big")
        spki_sha1 = hashlib.sha1(
            a_x509.PublicKeyInfo.load(spki_der)["public_key"].contents[1:]
        ).digest()
        exts = []
        for oid, critical, value_hex in plan["extensions"]:
            exts.append((oid, critical, bytes.fromhex(value_hex)))
        exts.append((OID_SKI, False, der.octets(spki_sha1)))
        exts.append((OID_AKI, False, der.seq(der.tlv(0x80, self.ski))))
        access = [der.seq(der.oid(OID_CA_ISSUERS), der.tlv(0x86, self.aia_url.encode("ascii")))]
        # Template enrollment flag 0x4000 (NOREVOCATIONINFOINISSUEDCERTS)
        # leaves the CDP and the OCSP address out, as in AD CS.
        if not plan.get("no_revocation_info"):
            exts.append((OID_CDP, False, cdp_extension(
                [config.CRL_LDAP_URL, config.CRL_HTTP_URL])))
            access.append(der.seq(der.oid(OID_OCSP), der.tlv(0x86, config.OCSP_URL.encode(
                "ascii"))))
        exts.append((OID_AIA, False, der.seq(*access)))
        ext_der = der.seq(*[
            der.seq(der.oid(o), *( [der.boolean(True)] if c else []), der.octets(v))
            for o, c, v in exts])
        tbs = der.seq(
            der.explicit(0, der.integer(2)),
            der.integer(serial),
            der.algorithm(SHA256_RSA),
            self.subject_der,
            der.seq(der.time(not_before), der.time(not_after)),
            bytes.fromhex(plan["subject"]),
            spki_der,
            der.explicit(3, ext_der),
        )
        sig = self._sign(tbs)
        cert = der.seq(tbs, der.algorithm(SHA256_RSA), der.tlv(0x03, b"\x00" + sig))
        a_x509.Certificate.load(cert).native  # self-check: it parses back
        return cert, "%x" % serial

    # -- PKCS#7 ----------------------------------------------------------------
    @staticmethod
    def certs_only(certs):
        """Degenerate SignedData (RFC 5652, 'certs-only'), in the given order."""
        sd = der.seq(
            der.integer(1),
            der.set_of(),
            der.seq(der.oid(OID_DATA)),
            der.implicit_constructed(0, b"".join(certs)),
            der.set_of(),
        )
        return der.seq(der.oid(OID_SIGNED_DATA), der.explicit(0, sd))

    def cmc_response(self, certs, status_text="Issued"):
        """CMC Full PKI Response (RFC 5272 PKIResponse, status success for
        body part 1) signed by the issuing CA, carrying `certs`."""
        status = der.seq(der.integer(0), der.seq(der.integer(1)), der.utf8(status_text))
        response = der.seq(
            der.seq(der.seq(der.integer(1), der.oid(OID_CMC_STATUS_INFO),
                            der.set_of(status))),
            der.seq(),
            der.seq(),
        )
        attrs = [
            der.seq(der.oid(OID_CONTENT_TYPE), der.set_of(der.oid(OID_PKI_RESPONSE))),
            der.seq(der.oid(OID_MESSAGE_DIGEST),
                    der.set_of(der.octets(hashlib.sha256(response).digest()))),
        ]
        signed_attrs = der.set_of(*attrs)           # what gets signed (SET tag)
        sig = self._sign(signed_attrs)
        signer = der.seq(
            der.integer(1),
            der.seq(self.cert.issuer.dump(), der.integer(self.cert.serial_number)),
            der.algorithm(SHA256, None),
            der.implicit_constructed(0, _contents(signed_attrs)),
            der.algorithm(RSA_ENCRYPTION),
            der.octets(sig),
        )
        sd = der.seq(
            der.integer(3),
            der.set_of(der.algorithm(SHA256, None)),
            der.seq(der.oid(OID_PKI_RESPONSE), der.explicit(0, der.octets(response))),
            der.implicit_constructed(0, b"".join(certs)),
            der.set_of(signer),
        )
        return der.seq(der.oid(OID_SIGNED_DATA), der.explicit(0, sd))


def _contents(tlv_bytes):
    """The contents octets of a DER TLV."""
    n = tlv_bytes[1]
    if n < 0x80:
        return tlv_bytes[2:]
    return tlv_bytes[2 + (n & 0x7F):]
