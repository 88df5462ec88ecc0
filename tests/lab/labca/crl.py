"""The issuing CA's CRL: built from the CA database, signed by the issuing
CA, written to ca/CertEnroll/ (served on http://ca1.corp.example.test/
CertEnroll/, port 80) and into the directory's CDP object
(CN=Corp Issuing CA,CN=ca1,CN=CDP,CN=Public Key Services,...:
objectClass cRLDistributionPoint, attribute certificateRevocationList),
the two places the CDP extension of every issued certificate names.

Published by the serving CA every CRL_REPUBLISH_S and by `cradle-lab
revoke` at once.  A lock file orders publishers, so an older CRL never
overwrites a newer one.  No delta CRLs.
"""

import datetime
import fcntl
import logging
import os
import tempfile

import ldap
import ldap.modlist
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from labctl import config

from .directory import admin_connection
from .store import REASON_NAMES

log = logging.getLogger("labca")

# AD CS puts these into its CRLs: CA Version (V0.0) and Next CRL Publish.
OID_CA_VERSION = x509.ObjectIdentifier("1.3.6.1.4.1.311.21.1")
OID_NEXT_CRL_PUBLISH = x509.ObjectIdentifier("1.3.6.1.4.1.311.21.4")

_REASON_FLAGS = {
    1: x509.ReasonFlags.key_compromise, 2: x509.ReasonFlags.ca_compromise,
    3: x509.ReasonFlags.affiliation_changed, 4: x509.ReasonFlags.superseded,
    5: x509.ReasonFlags.cessation_of_operation, 6: x509.ReasonFlags.certificate_hold,
    8: x509.ReasonFlags.remove_from_crl, 9: x509.ReasonFlags.privilege_withdrawn,
    10: x509.ReasonFlags.aa_compromise,
}


def crl_dir(paths):
    return os.path.join(paths.ca, "CertEnroll")


def crl_path(paths):
    return os.path.join(crl_dir(paths), config.CRL_FILE_NAME)


def _utc_time(dt):
    from asn1crypto import core
    return core.UTCTime(dt).dump()


def build(paths, store, now=None):
    """-> (CRL DER, CRL number, nextUpdate)."""
    now = (now or datetime.datetime.now(datetime.timezone.utc)).replace(microsecond=0)
    with open(paths.issuing_key, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    with open(paths.issuing_der, "rb") as f:
        ca = x509.load_der_x509_certificate(f.read())
    number = store.next_crl_number()
    next_update = now + datetime.timedelta(seconds=config.CRL_VALIDITY_S)
    naive = lambda d: d.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    b = (x509.CertificateRevocationListBuilder()
         .issuer_name(ca.subject)
         # AD CS backdates thisUpdate by its clock skew allowance.
         .last_update(naive(now - datetime.timedelta(minutes=10)))
         .next_update(naive(next_update))
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
             ca.public_key()), False)
         .add_extension(x509.UnrecognizedExtension(OID_CA_VERSION, b"\x02\x01\x00"), False)
         .add_extension(x509.CRLNumber(number), False)
         .add_extension(x509.UnrecognizedExtension(
             OID_NEXT_CRL_PUBLISH,
             _utc_time(now + datetime.timedelta(seconds=config.CRL_REPUBLISH_S))), False))
    for serial, when, reason, cert_der in store.revoked():
        if cert_der:
            try:
                c = x509.load_der_x509_certificate(cert_der)
                if c.not_valid_after.replace(tzinfo=datetime.timezone.utc) < now:
                    continue   # expired certificates leave the CRL, as in AD CS
            except ValueError:
                pass
        e = (x509.RevokedCertificateBuilder()
             .serial_number(int(serial, 16))
             .revocation_date(naive(datetime.datetime.fromisoformat(when))))
        # RFC 5280 5.3.1: unspecified (0) SHOULD be left out.
        if reason in _REASON_FLAGS:
            e = e.add_extension(x509.CRLReason(_REASON_FLAGS[reason]), False)
        b = b.add_revoked_certificate(e.build())
    crl = b.sign(key, hashes.SHA256())
    return crl.public_bytes(serialization.Encoding.DER), number, next_update


def _write_file(paths, der):
    os.makedirs(crl_dir(paths), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=crl_dir(paths), prefix=".tmp-")
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as f:
            f.write(der)
        os.replace(tmp, crl_path(paths))
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def publish_ldap(paths, der):
    """Write the CRL into the CDP object, making CN=ca1,CN=CDP and the
    object first if missing (what certsrv does as the CA's account).
    Raises ldap.LDAPError or OSError when the DC cannot be reached."""
    c = admin_connection(paths)
    try:
        try:
            c.modify_s(config.CDP_DN, [(ldap.MOD_REPLACE, "certificateRevocationList", [der])])
            return
        except ldap.NO_SUCH_OBJECT:
            pass
        try:
            c.add_s(config.CDP_CONTAINER_DN, ldap.modlist.addModlist({
                "objectClass": [b"top", b"container"], "cn": [config.CA_SHORT.encode()],
                "showInAdvancedViewOnly": [b"TRUE"]}))
        except ldap.ALREADY_EXISTS:
            pass
        try:
            c.add_s(config.CDP_DN, ldap.modlist.addModlist({
                "objectClass": [b"top", b"cRLDistributionPoint"],
                "cn": [config.ISSUING_CA_NAME.encode()],
                "showInAdvancedViewOnly": [b"TRUE"],
                "certificateRevocationList": [der],
                # AD CS writes the delta attribute as a single zero byte.
                "deltaRevocationList": [b"\x00"]}))
        except ldap.ALREADY_EXISTS:
            c.modify_s(config.CDP_DN, [(ldap.MOD_REPLACE, "certificateRevocationList", [der])])
    finally:
        c.unbind_s()


class Publication:
    def __init__(self, number, next_update, der, ldap_error=None):
        self.number, self.next_update, self.der = number, next_update, der
        self.ldap_error = ldap_error


def publish(paths, store, ldap_too=True):
    """Build a CRL and publish it (file, then directory), under the lock.
    The directory failing does not undo the file: Publication.ldap_error
    says what went wrong."""
    os.makedirs(paths.ca, exist_ok=True)
    with open(os.path.join(paths.ca, ".crl.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        der, number, next_update = build(paths, store)
        _write_file(paths, der)
        err = None
        if ldap_too:
            try:
                publish_ldap(paths, der)
            except (ldap.LDAPError, OSError) as e:
                err = _ldap_msg(e)
    n = len(store.revoked())
    log.info("CRL %d published (%d revoked, nextUpdate %s)%s", number, n,
             next_update.isoformat(),
             "; directory: FAILED: %s" % err if err else " to the file and the directory")
    return Publication(number, next_update, der, err)


def retry_ldap(paths, der):
    """Write an already published CRL into the directory again; an error
    text or None."""
    with open(os.path.join(paths.ca, ".crl.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with open(crl_path(paths), "rb") as f:
                if f.read() != der:
                    return None   # a newer CRL was published meanwhile
            publish_ldap(paths, der)
        except (ldap.LDAPError, OSError) as e:
            return _ldap_msg(e)
    log.info("CRL written to the directory on retry")
    return None


def _ldap_msg(e):
    try:
        d = e.args[0]
        return "%s%s" % (d.get("desc", ""), (" (%s)" % d["info"]) if d.get("info") else "")
    except (IndexError, AttributeError, TypeError):
        return str(e)


def reason_name(code):
    return REASON_NAMES.get(code, str(code))
