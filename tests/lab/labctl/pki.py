"""The lab's two-tier CA hierarchy (keys and certificates only).

Root:    CN=Corp Lab Root CA, RSA 4096, self-signed, 20 years.
Issuing: CN=Corp Issuing CA,DC=corp,DC=example,DC=test, RSA 3072, 10 years,
         signed by the root, path length 0, AIA caIssuers -> root.crt.
"""

import datetime
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID, AuthorityInformationAccessOID

from . import config

# szOID_CERTSRV_CA_VERSION: AD CS puts "V0.0" (INTEGER 0) into its CA certs.
_CA_VERSION_OID = x509.ObjectIdentifier("1.3.6.1.4.1.311.21.1")


def root_subject():
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
                                         config.ROOT_CA_NAME)])


def issuing_subject():
    # RFC 4514 "CN=Corp Issuing CA,DC=corp,DC=example,DC=test": the most
    # significant RDN (DC=test) comes first in the DER sequence.
    return x509.Name([
        x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "test"),
        x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "example"),
        x509.NameAttribute(NameOID.DOMAIN_COMPONENT, "corp"),
        x509.NameAttribute(NameOID.COMMON_NAME, config.ISSUING_CA_NAME),
    ])


def _ca_key_usage(digital_signature):
    return x509.KeyUsage(digital_signature=digital_signature, content_commitment=False,
                         key_encipherment=False, data_encipherment=False,
                         key_agreement=False, key_cert_sign=True,
                         crl_sign=True, encipher_only=False,
                         decipher_only=False)


def _write_key(path, key):
    pem = key.private_bytes(serialization.Encoding.PEM,
                            serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    os.chmod(path, 0o600)


def _write_cert(pem_path, der_path, cert):
    with open(pem_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(der_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.DER))


def _years(now, n):
    try:
        return now.replace(year=now.year + n)
    except ValueError:  # 29 February
        return now.replace(year=now.year + n, day=28)


def create(paths):
    """Make both CAs; returns (root_der, issuing_der)."""
    os.makedirs(paths.ca, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    start = now - datetime.timedelta(minutes=10)

    root_key = rsa.generate_private_key(public_exponent=65537, key_size=4096)
    root_ski = x509.SubjectKeyIdentifier.from_public_key(root_key.public_key())
    root = (x509.CertificateBuilder()
            .subject_name(root_subject())
            .issuer_name(root_subject())
            .public_key(root_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(_years(now, 20))
            .add_extension(_ca_key_usage(False), critical=True)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                           critical=True)
            .add_extension(root_ski, critical=False)
            .add_extension(x509.UnrecognizedExtension(_CA_VERSION_OID,
                                                      b"\x02\x01\x00"),
                           critical=False)
            .sign(root_key, hashes.SHA256()))

    iss_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    aia = x509.AuthorityInformationAccess([
        x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                               x509.UniformResourceIdentifier(
                                   config.AIA_ROOT_URL))])
    issuing = (x509.CertificateBuilder()
               .subject_name(issuing_subject())
               .issuer_name(root_subject())
               .public_key(iss_key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(start)
               .not_valid_after(_years(now, 10))
               # digitalSignature too, as AD CS issuing CAs have it (the
               # lab CA signs CMC responses and CRLs with this key).
               .add_extension(_ca_key_usage(True), critical=True)
               .add_extension(x509.BasicConstraints(ca=True, path_length=0),
                              critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(
                   iss_key.public_key()), critical=False)
               .add_extension(
                   x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                       root_ski), critical=False)
               .add_extension(aia, critical=False)
               .add_extension(x509.UnrecognizedExtension(_CA_VERSION_OID,
                                                         b"\x02\x01\x00"),
                              critical=False)
               .sign(root_key, hashes.SHA256()))

    _write_key(paths.root_key, root_key)
    _write_key(paths.issuing_key, iss_key)
    _write_cert(paths.root_pem, paths.root_der, root)
    _write_cert(paths.issuing_pem, paths.issuing_der, issuing)
    return (root.public_bytes(serialization.Encoding.DER),
            issuing.public_bytes(serialization.Encoding.DER))
