"""Renewal requests as an AD CS enterprise CA takes them (MS-WCCE
3.1.1.4.3.2.1, 3.2.2.6.2.1.2): a CMS SignedData whose content is a PKCS#10
carrying szOID_RENEWAL_CERTIFICATE (1.3.6.1.4.1.311.13.1) = the DER of the
certificate being renewed; SignedData.certificates holds that certificate
and the FIRST SignerInfo is made with its key.

The old certificate must be one this CA issued (its signature and its
entry in the CA database), not revoked, not expired.  The requester is
still whoever authenticated over HTTP (Kerberos, Basic, UsernameToken), and
the normal policy (Enroll on the template, key size, names) applies after
these checks.
"""

import datetime
import hashlib

from asn1crypto import cms
from asn1crypto import x509 as a_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from .errors import CAError

BAD_RENEWAL = 0x8009400E      # CERTSRV_E_BAD_RENEWAL_CERT_ATTRIBUTE
BAD_SIGNATURE = 0x80090006    # NTE_BAD_SIGNATURE
REVOKED = 0x800B010C          # CERT_E_REVOKED
EXPIRED = 0x800B0101          # CERT_E_EXPIRED
TEMPLATE_CONFLICT = 0x80094802
BAD_PUBLIC_KEY = 0x80094816   # CERTSRV_E_RENEWAL_BAD_PUBLIC_KEY
REQUIRE_SAME_KEY_RENEWAL = 0x80   # msPKI-Private-Key-Flag

_HASHES = {"sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
           "sha384": hashes.SHA384, "sha512": hashes.SHA512}


def _bad(detail):
    return CAError(BAD_RENEWAL, "The renewal certificate attribute is bad: %s" % detail)


def old_certificate(req, issuing, store):
    """The renewed certificate's database row, after checking that this CA
    issued it; CAError otherwise.  issuing: issuer.IssuingCA."""
    if len(req.renewal_certs) != 1:
        raise _bad("the request carries %d renewal certificates; one is wanted"
                   % len(req.renewal_certs))
    der = req.renewal_certs[0]
    try:
        old = x509.load_der_x509_certificate(der)
        serial = "%x" % old.serial_number
        issuer_der = old.issuer.public_bytes()
        issuing.key.public_key().verify(old.signature, old.tbs_certificate_bytes,
                                        padding.PKCS1v15(), old.signature_hash_algorithm)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm) as e:
        raise _bad("it is not a certificate this CA issued (%s)"
                   % (type(e).__name__)) from e
    row = store.by_serial(serial)
    if issuer_der != issuing.subject_der or row is None or row["cert"] != der:
        raise _bad("serial %s is not in this CA's database" % serial)
    return row, old


def check_signer(req, old_der, old):
    """The first SignerInfo of the CMS around the request is made by the
    old certificate's key, and the old certificate travels in it."""
    if req.envelope is None:
        raise _bad("a renewal must be a CMS SignedData signed with the old key; "
                   "this is a bare PKCS#10")
    try:
        sd = cms.ContentInfo.load(req.envelope)["content"]
        certs = [c.chosen.dump() for c in (sd["certificates"] or [])]
        signers = sd["signer_infos"]
        if len(signers) == 0:
            raise _bad("the SignedData has no SignerInfo")
        si = signers[0]
        sid = si["sid"]
        content = sd["encap_content_info"]["content"].contents
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as e:
        raise _bad("unreadable SignedData (%s)" % e) from e
    if old_der not in certs:
        raise _bad("SignedData.certificates does not include the certificate being renewed")
    a_old = a_x509.Certificate.load(old_der)
    try:
        if sid.name == "issuer_and_serial_number":
            same = (sid.chosen["issuer"].dump() == a_old.issuer.dump()
                    and sid.chosen["serial_number"].native == a_old.serial_number)
        else:
            same = (a_old.key_identifier is not None
                    and sid.chosen.native == a_old.key_identifier)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as e:
        raise _bad("unreadable signer identifier (%s)" % e) from e
    if not same:
        raise _bad("the first signer is not the certificate being renewed")
    try:
        digest_name = si["digest_algorithm"]["algorithm"].native
        h = _HASHES[digest_name]()
        signed = content
        if si["signed_attrs"] and len(si["signed_attrs"]):
            want = None
            for attr in si["signed_attrs"]:
                if attr["type"].native == "message_digest":
                    want = attr["values"][0].native
            d = hashes.Hash(_HASHES[digest_name]())
            d.update(content)
            if want != d.finalize():
                raise CAError(BAD_SIGNATURE, "The request signature is invalid: the "
                              "messageDigest does not match the content.")
            raw = si["signed_attrs"].dump()
            signed = b"\x31" + raw[1:]   # signed as SET OF, not [0]
        sig = si["signature"].native
        key = old.public_key()
        alg = si["signature_algorithm"]
        if isinstance(key, rsa.RSAPublicKey):
            if alg.signature_algo == "rsassa_pss":
                params = alg["parameters"]
                pad = padding.PSS(padding.MGF1(_HASHES[params["mask_gen_algorithm"][
                    "parameters"]["algorithm"].native]()), params["salt_length"].native)
            else:
                pad = padding.PKCS1v15()
            key.verify(sig, signed, pad, h)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(sig, signed, ec.ECDSA(h))
        else:
            raise InvalidSignature()
    except CAError:
        raise
    except (InvalidSignature, KeyError, ValueError, TypeError, IndexError, AttributeError,
            UnsupportedAlgorithm) as e:
        raise CAError(BAD_SIGNATURE, "The request signature is invalid: the first "
                      "signer's signature does not verify with the key of the "
                      "certificate being renewed.") from e


def check_state(row, old, now=None):
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if row["revoked"]:
        raise CAError(REVOKED, "The certificate being renewed (serial %s) was revoked "
                      "on %s." % (row["serial"], row["revoked"]))
    nb = old.not_valid_before.replace(tzinfo=datetime.timezone.utc)
    na = old.not_valid_after.replace(tzinfo=datetime.timezone.utc)
    if not nb <= now <= na:
        raise CAError(EXPIRED, "The certificate being renewed (serial %s) is not within "
                      "its validity period (%s to %s)." % (row["serial"], nb.isoformat(),
                                                           na.isoformat()))


def check_template(row, tpl, req, old):
    if row["template"] is None or row["template"].lower() != tpl["cn"].lower():
        raise CAError(TEMPLATE_CONFLICT, "The request contains conflicting template "
                      "information: the renewal asks for %s, the certificate being "
                      "renewed came from %s." % (tpl["cn"], row["template"]))
    if tpl["private_key_flag"] & REQUIRE_SAME_KEY_RENEWAL:
        old_spki = a_x509.Certificate.load(row["cert"])["tbs_certificate"][
            "subject_public_key_info"].dump()
        if hashlib.sha256(old_spki).hexdigest() != req.spki_sha256:
            raise CAError(BAD_PUBLIC_KEY, "The public key of the renewal differs from the "
                          "certificate being renewed; template %s requires the same key "
                          "(REQUIRE_SAME_KEY_RENEWAL)." % tpl["cn"])
