"""`cradle-lab env`: shell exports describing the lab (reads files only)."""

import json
import os

from . import config, secrets


def _quote(v):
    return "'" + str(v).replace("'", "'\\''") + "'"


def variables(paths):
    with open(paths.lab_json) as f:
        lab = json.load(f)
    pw = secrets.load(paths.secrets)
    v = [
        ("CRADLE_LAB_DIR", paths.root),
        ("KRB5_CONFIG", paths.krb5_conf),
        ("KRB5CCNAME", "FILE:" + paths.ccache("alice")),
        ("CRADLE_LAB_DOMAIN", config.DOMAIN),
        ("CRADLE_LAB_REALM", config.REALM),
        ("CRADLE_LAB_BASE_DN", config.BASE_DN),
        ("CRADLE_LAB_LDAP_URI", lab["ldap_uri"]),
        ("CRADLE_LAB_LDAPS_URI", lab["ldaps_uri"]),
        ("CRADLE_LAB_DC_TLS_CA", paths.dc_tls_ca),
        # libldap's trust store for the DC's LDAPS/StartTLS certificate.
        ("LDAPTLS_CACERT", paths.dc_tls_ca),
        ("CRADLE_LAB_ROOT_CA", paths.root_pem),
        ("CRADLE_LAB_ISSUING_CA", paths.issuing_pem),
        # The lab CA's HTTPS certificate (ca1) chains to the lab root; the
        # server sends ca1 + issuing CA, so the root is the anchor.
        ("CRADLE_LAB_CA_TLS_ANCHOR", paths.root_pem),
        ("CRADLE_LAB_AIA_ROOT_URL", config.AIA_ROOT_URL),
        ("CRADLE_LAB_CERTSRV_URL", config.CERTSRV_URL),
        ("CRADLE_LAB_CEP_KERBEROS_URL", config.CEP_KERBEROS_URL),
        ("CRADLE_LAB_CEP_PASSWORD_URL", config.CEP_PASSWORD_URL),
        ("CRADLE_LAB_CES_KERBEROS_URL", config.CES_KERBEROS_URL),
        ("CRADLE_LAB_CES_PASSWORD_URL", config.CES_PASSWORD_URL),
        ("CRADLE_LAB_EST_URL", config.EST_URL),
        ("CRADLE_LAB_SCEP_URL", config.SCEP_URL),
        # Revocation: what the issuing CA writes into its certificates.
        ("CRADLE_LAB_OCSP_URL", config.OCSP_URL),
        ("CRADLE_LAB_CRL_URL", config.CRL_HTTP_URL),
        ("CRADLE_LAB_CRL_LDAP_URL", config.CRL_LDAP_URL),
        ("CRADLE_LAB_OCSP_SIGNER", os.path.join(paths.ca, "ocsp-responder.pem")),
    ]
    for key, user in (("ALICE", "alice"), ("BOB", "bob"), ("CAROL", "carol"),
                      ("OFFICER", "caofficer")):
        v += [
            ("CRADLE_LAB_%s_USER" % key, user),
            ("CRADLE_LAB_%s_PASSWORD" % key, pw[user]),
            ("CRADLE_LAB_%s_CCACHE" % key, "FILE:" + paths.ccache(user)),
        ]
    v.append(("CRADLE_LAB_ADMIN_PASSWORD", pw["Administrator"]))
    # Made at the first `up` with the lab CA (labca/prepare.py).
    if "scep-challenge" in pw:
        v.append(("CRADLE_LAB_SCEP_CHALLENGE", pw["scep-challenge"]))
    scep_ca = os.path.join(paths.root, "scep", "depot", "ca.pem")
    if os.path.exists(scep_ca):
        v.append(("CRADLE_LAB_SCEP_CA", scep_ca))
    return v


def render(paths):
    return "".join("export %s=%s\n" % (k, _quote(val))
                   for k, val in variables(paths))
