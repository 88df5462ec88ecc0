"""DIR/lab.json: what the lab contains, for tests to read expected values."""

import hashlib
import json

from . import config, templates


def _fingerprint(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def template_entry(t, info):
    """lab.json's description of template `t` (templates.TEMPLATES);
    info: its dn, oid and oid_dn in the directory."""
    return {
        "cn": t["cn"],
        "displayName": t["display"],
        "dn": info["dn"],
        "oid": info["oid"],
        "oid_object_dn": info["oid_dn"],
        "schemaVersion": t["schema"],
        "revision": t["revision"],
        "minorRevision": t["minor"],
        "flags": t["flags"],
        "enrollmentFlag": t["enrollment_flag"],
        "privateKeyFlag": t["private_key_flag"],
        "certificateNameFlag": templates.signed32(t["name_flag"]),
        "certificateNameFlagHex": "0x%08X" % t["name_flag"],
        "keyUsageHex": "%02x %02x" % (t["key_usage"] & 0xff,
                                      t["key_usage"] >> 8),
        "keySpec": t["key_spec"],
        "minimalKeySize": t["min_key"],
        "algorithm": t["algorithm"],
        "extendedKeyUsage": t["ekus"],
        "published": t["published"],
        "enrollGrantedTo": t["enroll"],
        "pendAllRequests": bool(t["enrollment_flag"]
                                & templates.PEND_ALL_REQUESTS),
        "requireSameKeyRenewal": bool(t["private_key_flag"]
                                      & templates.REQUIRE_SAME_KEY_RENEWAL),
        "validitySeconds": t["validity"],
        "overlapSeconds": t["overlap"],
        "purpose": t["purpose"],
    }


def template_lists(lab, entries):
    """Set every template-derived list of lab.json from `entries`."""
    lab["templates"] = entries
    lab["template_cns"] = [t["cn"] for t in templates.TEMPLATES]
    lab["published_templates"] = templates.published_cns()
    lab["unpublished_templates"] = [t["cn"] for t in templates.TEMPLATES
                                    if not t["published"]]
    if "enrollment_service" in lab:
        lab["enrollment_service"]["certificateTemplates"] = templates.published_cns()


def write(paths, accounts, group, adcs_info, domain_sid):
    by_cn = {t["cn"]: t for t in adcs_info["templates"]}
    tpls = [template_entry(t, by_cn[t["cn"]]) for t in templates.TEMPLATES]
    data = {
        "recipe": config.RECIPE_VERSION,
        "realm": config.REALM,
        "domain": config.DOMAIN,
        "netbios": config.NETBIOS,
        "domain_sid": domain_sid,
        "base_dn": config.BASE_DN,
        "config_dn": config.CONFIG_DN,
        "public_key_services_dn": config.PKS_DN,
        "dc_host": config.DC_HOST,
        "ca_host": config.CA_HOST,
        "ldap_uri": "ldap://" + config.DC_HOST,
        "ldaps_uri": "ldaps://" + config.DC_HOST,
        "forest_oid": adcs_info["forest_oid"],
        "users": accounts,
        "group": group,
        "templates": tpls,
        "template_cns": [t["cn"] for t in templates.TEMPLATES],
        "published_templates": templates.published_cns(),
        "unpublished_templates": [t["cn"] for t in templates.TEMPLATES
                                  if not t["published"]],
        "enrollment_service": adcs_info["enrollment_service"],
        "cas": {
            "root": {"subject": "CN=" + config.ROOT_CA_NAME,
                     "pem": paths.root_pem, "der": paths.root_der,
                     "sha256": _fingerprint(paths.root_der)},
            "issuing": {"subject": "CN=%s,%s" % (config.ISSUING_CA_NAME,
                                                 config.BASE_DN),
                        "windows_dn": config.ISSUING_CA_DN_WINDOWS,
                        "pem": paths.issuing_pem, "der": paths.issuing_der,
                        "sha256": _fingerprint(paths.issuing_der)},
        },
        "urls": {
            "certsrv": config.CERTSRV_URL,
            "ces_kerberos": config.CES_KERBEROS_URL,
            "ces_password": config.CES_PASSWORD_URL,
            "est": config.EST_URL,
            "scep": config.SCEP_URL,
        },
        "files": {
            "krb5_conf": paths.krb5_conf,
            "smb_conf": paths.smb_conf,
            "dc_tls_ca": paths.dc_tls_ca,
            "http_keytab": paths.http_keytab,
            "secrets": paths.secrets,
            "samba_log": paths.samba_log,
        },
    }
    with open(paths.lab_json, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
