"""What the CA front-ends need beyond provisioning, made at `up` when
missing (so an existing lab folder keeps its forest): the TLS certificate
of ca1.corp.example.test, the SCEP server's depot and challenge, and the CA
facts in lab.json.  Idempotent and quick when everything exists."""

import datetime
import json
import os
import subprocess
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from labctl import config, secrets

SCEP_CHALLENGE_KEY = "scep-challenge"
SCEP_PORT = 8088   # scepserver has no listen-address flag: it binds *:8088


def tls_key_path(paths):
    return os.path.join(paths.ca, "ca1-tls.key")


def tls_cert_path(paths):
    return os.path.join(paths.ca, "ca1-tls.pem")


def tls_chain_path(paths):
    return os.path.join(paths.ca, "ca1-tls-chain.pem")


def scep_dir(paths):
    return os.path.join(paths.root, "scep")


def scep_depot(paths):
    return os.path.join(scep_dir(paths), "depot")


def _atomic_write(path, data, mode=0o644):
    d = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def ensure_tls(paths):
    if all(os.path.exists(p) for p in (tls_key_path(paths), tls_cert_path(paths),
                                       tls_chain_path(paths))):
        return False
    with open(paths.issuing_key, "rb") as f:
        ca_key = serialization.load_pem_private_key(f.read(), None)
    with open(paths.issuing_der, "rb") as f:
        ca_cert = x509.load_der_x509_certificate(f.read())
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    end = min(now + datetime.timedelta(days=5 * 365), ca_cert.not_valid_after.replace(
        tzinfo=datetime.timezone.utc))
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, config.CA_HOST)]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=10))
            .not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(config.CA_HOST)]), False)
            .add_extension(x509.KeyUsage(True, False, True, False, False, False, False,
                                         False, False), True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), False)
            .add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
                AuthorityInformationAccessOID.CA_ISSUERS,
                x509.UniformResourceIdentifier("http://%s/aia/issuing.crt" % config.CA_HOST))]),
                False)
            .sign(ca_key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM)
    _atomic_write(tls_key_path(paths), key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()), 0o600)
    _atomic_write(tls_cert_path(paths), pem)
    with open(paths.issuing_pem, "rb") as f:
        _atomic_write(tls_chain_path(paths), pem + f.read())
    return True


def ensure_ocsp_signer(paths):
    """The OCSP responder's delegated signing certificate: made when
    missing or within 30 days of its end."""
    from . import ocsp
    kp, cp = ocsp.signer_key_path(paths), ocsp.signer_cert_path(paths)
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    if os.path.exists(kp) and os.path.exists(cp):
        with open(cp, "rb") as f:
            old = x509.load_pem_x509_certificate(f.read())
        if old.not_valid_after.replace(tzinfo=datetime.timezone.utc) > \
                now + datetime.timedelta(days=30):
            return False
    with open(paths.issuing_key, "rb") as f:
        ca_key = serialization.load_pem_private_key(f.read(), None)
    with open(paths.issuing_der, "rb") as f:
        ca_cert = x509.load_der_x509_certificate(f.read())
    key, cert = ocsp.make_signer(paths, ca_key, ca_cert, now)
    _atomic_write(kp, key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()), 0o600)
    _atomic_write(cp, cert.public_bytes(serialization.Encoding.PEM))
    return True


def scep_challenge(paths):
    pw = secrets.load(paths.secrets)
    if SCEP_CHALLENGE_KEY not in pw:
        pw[SCEP_CHALLENGE_KEY] = secrets.generate_password(24)
        _atomic_write(paths.secrets, (json.dumps(pw, indent=2, sort_keys=True)
                                      + "\n").encode(), 0o600)
    return pw[SCEP_CHALLENGE_KEY]


def ensure_scep(paths):
    depot = scep_depot(paths)
    made = False
    if not os.path.exists(os.path.join(depot, "ca.pem")):
        os.makedirs(scep_dir(paths), exist_ok=True)
        res = subprocess.run(
            ["scepserver", "ca", "-init", "-depot", depot, "-keySize", "2048",
             "-organization", "Corp Lab SCEP", "-organizational_unit", "cradle-lab",
             "-country", "US"],
            cwd=scep_dir(paths), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, timeout=120)
        if res.returncode != 0:
            raise RuntimeError("scepserver ca -init failed: %s" % res.stdout.strip())
        made = True
    scep_challenge(paths)
    return made


def ca_facts(paths):
    """The 'ca' section of lab.json: endpoints, files and what to expect."""
    return {
        "host": config.CA_HOST,
        "https": "https://%s/ (127.0.0.1:443)" % config.CA_HOST,
        "urls": {
            "certsrv": config.CERTSRV_URL,
            "cep_kerberos": config.CEP_KERBEROS_URL,
            "cep_password": config.CEP_PASSWORD_URL,
            "ces_kerberos": config.CES_KERBEROS_URL,
            "ces_password": config.CES_PASSWORD_URL,
            "est": config.EST_URL,
            "scep": config.SCEP_URL,
            "aia_root": config.AIA_ROOT_URL,
            "aia_issuing": config.AIA_ISSUING_URL,
            "ocsp": config.OCSP_URL,
            "crl_http": config.CRL_HTTP_URL,
            "crl_ldap": config.CRL_LDAP_URL,
        },
        # What the issuing CA writes into every certificate it issues
        # (since recipe 3 + the revocation change; older ones have none):
        # CDP = [crl_ldap, crl_http] in one distribution point, AIA =
        # caIssuers aia_issuing + OCSP ocsp.
        "revocation": {
            "cdp_dn": config.CDP_DN,
            "crl_attribute": "certificateRevocationList",
            "crl_validity_s": config.CRL_VALIDITY_S,
            "crl_republish_s": config.CRL_REPUBLISH_S,
            "ocsp_validity_s": config.OCSP_VALIDITY_S,
            "ocsp_listen": "127.0.0.1:%d" % config.OCSP_PORT,
            "reasons": ["unspecified", "keyCompromise", "cACompromise",
                        "affiliationChanged", "superseded", "cessationOfOperation",
                        "certificateHold", "removeFromCRL", "privilegeWithdrawn",
                        "aACompromise"],
            "scep_certificates": "no CDP or AIA (micromdm scepserver issues them)",
        },
        "files": {
            "tls_anchor": paths.root_pem,
            "tls_cert": tls_cert_path(paths),
            "tls_chain": tls_chain_path(paths),
            "requests_db": os.path.join(paths.ca, "requests.sqlite"),
            "log": os.path.join(paths.log, "ca.log"),
            "scep_depot": scep_depot(paths),
            "scep_ca": os.path.join(scep_depot(paths), "ca.pem"),
            "scep_log": os.path.join(paths.log, "scep.log"),
            "ocsp_signer": os.path.join(paths.ca, "ocsp-responder.pem"),
            "crl": os.path.join(paths.ca, "CertEnroll", config.CRL_FILE_NAME),
            "ocsp_log": os.path.join(paths.log, "ocsp.log"),
        },
        # Renewal as AD CS takes it (labca/renewal.py): certsrv or CES
        # (ValueType ...enrollment#PKCS7) with a CMS SignedData around a
        # PKCS#10 carrying the renewal attribute = the old certificate's DER;
        # SignedData.certificates includes it; the first SignerInfo is
        # made with its key.  The requester still authenticates over HTTP.
        "renewal": {
            "attribute": "1.3.6.1.4.1.311.13.1",
            "short_lived_template": "CradleShortLived",
            "same_key_template": "CradleShortLivedSameKey",
            "short_lived_validity_s": 600,
            "short_lived_overlap_s": 240,
            "expires_soon_template": "CradleExpiresSoon",
            "expires_soon_validity_s": 60,
            "expires_soon_overlap_s": 60,
            "template_from_old_certificate": "when the renewal names no template",
            "hresults": {
                "bad_renewal_attribute": "0x8009400E",
                "bad_signature": "0x80090006",
                "revoked": "0x800B010C",
                "expired": "0x800B0101",
                "template_differs": "0x80094802",
                "same_key_required": "0x80094816",
            },
        },
        "officer": "caofficer",
        "pending_templates": ["CradleDeviceApproval"],
        # What the policy module answers, for tests to expect.
        "expected": [
            {"user": "alice", "template": "CradleDeviceUPN", "result": "issued"},
            {"user": "alice", "template": "CradleDeviceECC", "key": "EC P-256",
             "result": "issued"},
            {"user": "alice", "template": "User", "result": "issued"},
            {"user": "alice", "template": "CradleDeviceApproval", "result": "pending"},
            {"user": "alice", "template": "CradleDeviceSuppliedSubject", "key": "RSA 3072",
             "result": "issued", "note": "subject and SAN from the CSR"},
            {"user": "alice", "template": "CradleDeviceUnpublished", "result": "denied",
             "hresult": "0x80094800"},
            {"user": "alice", "template": None, "result": "denied", "hresult": "0x80094801",
             "note": "no template identifier anywhere"},
            {"user": "bob", "template": "CradleDeviceRestricted", "result": "denied",
             "hresult": "0x80094012"},
            {"user": "alice", "template": "CradleDeviceUPN", "key": "RSA 1024",
             "result": "denied", "hresult": "0x80094811"},
            {"user": "alice", "template": "CradleDeviceSuppliedSubject", "key": "RSA 2048",
             "result": "denied", "hresult": "0x80094811"},
            {"user": "bob", "template": "User", "result": "denied", "hresult": "0x80094812",
             "note": "bob has no mail"},
            {"user": "Administrator", "template": "CradleDeviceUPN", "result": "denied",
             "hresult": "0x8009480D", "note": "Administrator has no userPrincipalName"},
            {"user": "carol", "template": "CradleDeviceUPN", "result": "denied",
             "hresult": "0x8009480D", "note": "carol has no userPrincipalName"},
            {"officer_denied": True, "result": "denied", "hresult": "0x80094014"},
            {"user": "alice", "template": "CradleShortLived", "result": "issued",
             "note": "valid 10 minutes (notBefore backdated 10 minutes as always)"},
            {"user": "alice", "template": "CradleShortLivedSameKey", "result": "issued"},
            {"user": "alice", "template": "CradleExpiresSoon", "result": "issued",
             "note": "due for renewal at once, expired 60 s after issue"},
            {"renewal": "signed by the old key, same template", "result": "issued",
             "note": "recorded with the old serial (cradle-lab requests: renewing S)"},
            {"renewal": "same key on CradleShortLivedSameKey", "result": "issued"},
            {"renewal": "new key on CradleShortLivedSameKey", "result": "denied",
             "hresult": "0x80094816"},
            {"renewal": "first signer is not the old certificate's key", "result": "denied",
             "hresult": "0x80090006"},
            {"renewal": "old certificate revoked", "result": "denied", "hresult": "0x800B010C"},
            {"renewal": "old certificate expired", "result": "denied", "hresult": "0x800B0101"},
            {"renewal": "attribute not a certificate of this CA, or a bare PKCS#10, or the "
             "old certificate missing from SignedData.certificates, or another first "
             "signer", "result": "denied", "hresult": "0x8009400E"},
            {"renewal": "another template than the old certificate's", "result": "denied",
             "hresult": "0x80094802"},
        ],
    }


def ensure_lab_json(paths):
    with open(paths.lab_json) as f:
        lab = json.load(f)
    facts = ca_facts(paths)
    if lab.get("ca") == facts:
        return False
    lab["ca"] = facts
    _atomic_write(paths.lab_json, (json.dumps(lab, indent=2) + "\n").encode())
    return True


def run(paths):
    os.makedirs(paths.ca, exist_ok=True)
    done = []
    if ensure_tls(paths):
        done.append("TLS certificate for %s" % config.CA_HOST)
    if ensure_ocsp_signer(paths):
        done.append("OCSP responder certificate")
    if ensure_scep(paths):
        done.append("SCEP depot")
    if ensure_lab_json(paths):
        done.append("CA facts in lab.json")
    return done
