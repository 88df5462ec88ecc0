"""`cradle-lab env`: shell exports describing the lab.

It reads the lab's files, and writes one: the lab's own configuration
folder for the app and cradlectl (client/cradle.conf), which
CRADLE_CONFIG_DIR names, so that after `eval "$(cradle-lab env)"` they
find the domain controller and trust the lab CA with no more options.
"""

import json
import os
import sys
import tempfile

from . import config, secrets


def client_conf_text(paths, lab):
    return (
        "# Written by `cradle-lab env`: the lab's settings for the app and\n"
        "# cradlectl (CRADLE_CONFIG_DIR names this folder). Rewritten as needed.\n"
        "[Directory]\n"
        "Domain=%s\n"
        "DC=%s\n"
        "\n"
        "[Enrollment]\n"
        "# The lab CA's HTTPS certificate chains to the lab root.\n"
        "TrustAnchors=%s\n" % (config.DOMAIN, lab["ldap_uri"], paths.root_pem))


def ensure_client_config(paths, lab):
    """Writes client/cradle.conf when it is missing or out of date; returns
    the folder, or None when it cannot be written (said on stderr)."""
    folder = os.path.join(paths.root, "client")
    conf = os.path.join(folder, "cradle.conf")
    text = client_conf_text(paths, lab)
    try:
        with open(conf) as f:
            if f.read() == text:
                return folder
    except OSError:
        pass
    try:
        os.makedirs(folder, mode=0o755, exist_ok=True)
        # Many tests ask for the env at once: each writes its own file.
        fd, tmp = tempfile.mkstemp(prefix=".cradle.conf.", dir=folder)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, conf)
    except OSError as e:
        print("cradle-lab: warning: cannot write %s (%s); CRADLE_CONFIG_DIR is "
              "not set, so the lab CA is not trusted by default" % (conf, e),
              file=sys.stderr)
        return None
    return folder


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
    # What makes the app and cradlectl just work against the lab (the
    # same settings cradle.conf's [Directory] holds; see README.md).
    v += [
        ("CRADLE_DOMAIN", config.DOMAIN),
        ("CRADLE_DC", lab["ldap_uri"]),
    ]
    client = ensure_client_config(paths, lab)
    if client is not None:
        v.append(("CRADLE_CONFIG_DIR", client))
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
