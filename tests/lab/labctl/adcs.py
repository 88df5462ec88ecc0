"""AD CS objects under CN=Public Key Services,CN=Services,CN=Configuration.

Written offline into sam.ldb, the way an enterprise CA installation
(certsrv setup + the Certificate Templates snap-in) leaves them.
"""

import hashlib
import secrets as _rng

import ldb

from . import config, sd, templates


def _dn(samdb, s):
    return ldb.Dn(samdb, s)


def _exists(samdb, dn):
    try:
        samdb.search(base=dn, scope=ldb.SCOPE_BASE, attrs=["cn"])
        return True
    except ldb.LdbError:
        return False


def _ensure_container(samdb, dn):
    if not _exists(samdb, dn):
        cn = dn.split(",", 1)[0][3:]
        samdb.add({"dn": dn, "objectClass": ["top", "container"], "cn": cn,
                   "showInAdvancedViewOnly": "TRUE"})


def forest_oid():
    """1.3.6.1.4.1.311.21.8 + six random arcs, like certsrv setup makes."""
    arcs = [str(_rng.randbelow(16_000_000) + 1_000_000) for _ in range(5)]
    arcs.append(str(_rng.randbelow(254) + 1))
    return "1.3.6.1.4.1.311.21.8." + ".".join(arcs)


def template_oid(base, t):
    if t["builtin_oid"]:
        return base + "." + t["builtin_oid"]
    return "%s.%d.%d" % (base, _rng.randbelow(16_000_000) + 1_000_000,
                         _rng.randbelow(16_000_000) + 1_000_000)


def _oid_cn(oid):
    # "<last arc>.<32 hex digits>" as AD CS names CN=OID children.
    digest = hashlib.md5(oid.encode()).hexdigest().upper()
    return "%s.%s" % (oid.rsplit(".", 1)[1], digest)


def _add_certification_authority(samdb, dn, cert_der):
    samdb.add({
        "dn": dn,
        "objectClass": ["top", "certificationAuthority"],
        "cn": dn.split(",", 1)[0][3:],
        "showInAdvancedViewOnly": "TRUE",
        "cACertificate": [cert_der],
        # AD CS writes these must-have attributes as a single zero byte.
        "authorityRevocationList": [b"\x00"],
        "certificateRevocationList": [b"\x00"],
    })


def create(samdb, domain_sid, root_der, issuing_der, accounts, group):
    pks = config.PKS_DN
    for c in ("Certificate Templates", "Enrollment Services",
              "Certification Authorities", "AIA", "CDP", "KRA", "OID"):
        _ensure_container(samdb, "CN=%s,%s" % (c, pks))

    # Trusted roots, AIA and NTAuth.
    _add_certification_authority(
        samdb, "CN=%s,CN=Certification Authorities,%s"
        % (config.ROOT_CA_NAME, pks), root_der)
    _add_certification_authority(
        samdb, "CN=%s,CN=AIA,%s" % (config.ROOT_CA_NAME, pks), root_der)
    _add_certification_authority(
        samdb, "CN=%s,CN=AIA,%s" % (config.ISSUING_CA_NAME, pks), issuing_der)
    _add_certification_authority(
        samdb, "CN=NTAuthCertificates,%s" % pks, issuing_der)

    # Forest OID on the OID container, then templates and their OID objects.
    base_oid = forest_oid()
    m = ldb.Message(_dn(samdb, "CN=OID,%s" % pks))
    m["msPKI-Cert-Template-OID"] = ldb.MessageElement(
        base_oid, ldb.FLAG_MOD_REPLACE, "msPKI-Cert-Template-OID")
    samdb.modify(m)

    oid_sd = sd.pack(sd.oid_sddl(), domain_sid)
    sids = {"Domain Users": "DU", config.GROUP_NAME: group["sid"]}
    out = []
    for t in templates.TEMPLATES:
        oid = template_oid(base_oid, t)
        attrs = templates.ldap_attributes(t, oid)
        dn = "CN=%s,CN=Certificate Templates,%s" % (t["cn"], pks)
        attrs["dn"] = dn
        attrs["nTSecurityDescriptor"] = sd.pack(
            sd.template_sddl(["DA", sids[t["enroll"]], "EA"]), domain_sid)
        samdb.add(attrs)
        oid_dn = None
        if t["schema"] >= 2:
            oid_dn = "CN=%s,CN=OID,%s" % (_oid_cn(oid), pks)
            samdb.add({"dn": oid_dn,
                       "objectClass": ["top", "msPKI-Enterprise-Oid"],
                       "displayName": t["display"],
                       "flags": "1",
                       "msPKI-Cert-Template-OID": oid,
                       "showInAdvancedViewOnly": "TRUE",
                       "nTSecurityDescriptor": oid_sd})
        out.append({"cn": t["cn"], "dn": dn, "oid": oid, "oid_dn": oid_dn})

    # Issuance policies certsrv setup registers (flags 2 = issuance policy).
    for arc, name in ((400, "Low Assurance"), (401, "Medium Assurance"),
                      (402, "High Assurance")):
        oid = "%s.1.%d" % (base_oid, arc)
        samdb.add({"dn": "CN=%s,CN=OID,%s" % (_oid_cn(oid), pks),
                   "objectClass": ["top", "msPKI-Enterprise-Oid"],
                   "displayName": name, "flags": "2",
                   "msPKI-Cert-Template-OID": oid,
                   "showInAdvancedViewOnly": "TRUE",
                   "nTSecurityDescriptor": oid_sd})

    # The enterprise CA's enrollment service.
    es_dn = "CN=%s,CN=Enrollment Services,%s" % (config.ISSUING_CA_NAME, pks)
    enrollment_servers = [
        "1\n2\n0\n" + config.CES_KERBEROS_URL,
        "2\n4\n0\n" + config.CES_PASSWORD_URL,
    ]
    samdb.add({
        "dn": es_dn,
        "objectClass": ["top", "pKIEnrollmentService"],
        "cn": config.ISSUING_CA_NAME,
        "displayName": config.ISSUING_CA_NAME,
        "showInAdvancedViewOnly": "TRUE",
        "dNSHostName": config.CA_HOST,
        "cACertificate": [issuing_der],
        "cACertificateDN": config.ISSUING_CA_DN_WINDOWS,
        "certificateTemplates": templates.published_cns(),
        "flags": "10",
        "msPKI-Enrollment-Servers": enrollment_servers,
        "nTSecurityDescriptor": sd.pack(
            sd.enrollment_service_sddl(accounts["svc-ca"]["sid"]), domain_sid),
    })
    return {
        "forest_oid": base_oid,
        "templates": out,
        "enrollment_service": {
            "dn": es_dn,
            "cn": config.ISSUING_CA_NAME,
            "dNSHostName": config.CA_HOST,
            "config_string": "%s\\%s" % (config.CA_HOST, config.ISSUING_CA_NAME),
            "cACertificateDN": config.ISSUING_CA_DN_WINDOWS,
            "flags": 10,
            "certificateTemplates": templates.published_cns(),
            "msPKI-Enrollment-Servers": enrollment_servers,
        },
    }
