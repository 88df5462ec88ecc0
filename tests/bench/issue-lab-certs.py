#!/usr/bin/python3
"""issue-lab-certs.py LABDIR COUNT OUTDIR [--expired]

COUNT certificates straight from the lab's issuing CA (its key and the
same code the CA issues with: CDP with ldap:/// and http://, AIA with
caIssuers and OCSP), each for a fresh P-256 key that is thrown away, each
recorded in the CA database as issued (so `cradle-lab revoke` and the OCSP
responder know it).  Writes OUTDIR/leaf-N.der, OUTDIR/issuing.der,
OUTDIR/root.der and prints one serial (hex) a line.  --expired: issued two
days ago for an hour, so expired now.  For tests/bench/bench-status and
tests/e2e/test-status-e2e: Cradle never sees the keys, only the
certificates as a device would hold them.
"""
import datetime
import hashlib
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lab"))

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

from labctl import config  # noqa: E402
from labca import errors  # noqa: E402
from labca.ca import db_path  # noqa: E402
from labca.issuer import IssuingCA  # noqa: E402
from labca.store import Store  # noqa: E402

AIA_URL = "http://ca1.corp.example.test/aia/issuing.crt"


def main(argv):
    if len(argv) not in (3, 4) or not argv[1].isdigit() or argv[3:] not in ([], ["--expired"]):
        sys.exit(__doc__)
    paths = config.Paths(argv[0])
    count, out = int(argv[1]), argv[2]
    expired = argv[3:] == ["--expired"]
    os.makedirs(out, exist_ok=True)
    issuing = IssuingCA(paths, AIA_URL)
    store = Store(db_path(paths))
    now = datetime.datetime.now(datetime.timezone.utc)
    if expired:
        now -= datetime.timedelta(days=2)
    for i in range(count):
        key = ec.generate_private_key(ec.SECP256R1())
        spki = key.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Cradle status %d" % i),
                             x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Cradle Tests")])
        plan = {"validity": 3600 if expired else 30 * 86400, "extensions": [],
                "subject": subject.public_bytes().hex()}
        cert, serial = issuing.issue(plan, spki, now=now)
        store.add(frontend="certsrv", requester="cradle-tests", template="CradleDeviceUPN",
                  status="issued", disposition=errors.CR_DISP_ISSUED, message="Issued",
                  spki_sha256=hashlib.sha256(spki).hexdigest(), cert=cert, serial=serial)
        with open(os.path.join(out, "leaf-%d.der" % i), "wb") as f:
            f.write(cert)
        print(serial)
    chain = issuing.chain()
    with open(os.path.join(out, "issuing.der"), "wb") as f:
        f.write(chain[0])
    with open(os.path.join(out, "root.der"), "wb") as f:
        f.write(chain[1])


if __name__ == "__main__":
    main(sys.argv[1:])
