"""Objects the lab CA needs in a directory that was provisioned before
they existed, added over LDAPS as Administrator once Samba answers
(`cradle-lab up`), so an existing forest keeps its SIDs, keys and
passwords: templates of labctl/templates.py that are missing (with their
msPKI-Enterprise-Oid object and their place in the enrollment service's
certificateTemplates), and lab.json's template lists.  Idempotent: a few
searches when everything is there.  A fresh provisioning writes the same
objects offline (labctl/adcs.py), so both paths give the same forest.
"""

import json
import os
import tempfile

import ldap
import ldap.modlist

from labctl import adcs, config, labjson, sd, templates

from .directory import SERVICE_DN, TEMPLATES_DN, admin_connection


def _bytes(v):
    if isinstance(v, bytes):
        return v
    return str(v).encode("utf-8")


def _modlist(attrs):
    out = {}
    for k, v in attrs.items():
        vals = v if isinstance(v, list) else [v]
        out[k] = [_bytes(x) for x in vals]
    return ldap.modlist.addModlist(out)


def _first(c, dn, attr):
    try:
        r = c.search_s(dn, ldap.SCOPE_BASE, "(objectClass=*)", [attr])
    except ldap.NO_SUCH_OBJECT:
        return None
    v = r[0][1].get(attr) if r and r[0][0] else None
    return v[0].decode() if v else None


def _write_json(path, lab):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "w") as f:
            json.dump(lab, f, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def run(paths):
    with open(paths.lab_json) as f:
        lab = json.load(f)
    done = []
    c = admin_connection(paths)
    try:
        pks = config.PKS_DN
        forest = _first(c, "CN=OID," + pks, "msPKI-Cert-Template-OID")
        if not forest:
            raise RuntimeError("CN=OID,%s has no msPKI-Cert-Template-OID" % pks)
        sids = {"Domain Users": "DU", config.GROUP_NAME: lab["group"]["sid"]}
        oid_sd = sd.pack(sd.oid_sddl(), lab["domain_sid"])
        entries = []
        for t in templates.TEMPLATES:
            dn = "CN=%s,%s" % (t["cn"], TEMPLATES_DN)
            oid = _first(c, dn, "msPKI-Cert-Template-OID")
            if oid is None:
                oid = adcs.template_oid(forest, t)
                attrs = templates.ldap_attributes(t, oid)
                attrs["nTSecurityDescriptor"] = sd.pack(
                    sd.template_sddl(["DA", sids[t["enroll"]], "EA"]), lab["domain_sid"])
                c.add_s(dn, _modlist(attrs))
                done.append("template %s" % t["cn"])
            oid_dn = None
            if t["schema"] >= 2:
                oid_dn = "CN=%s,CN=OID,%s" % (adcs._oid_cn(oid), pks)
                if _first(c, oid_dn, "cn") is None:
                    c.add_s(oid_dn, _modlist({
                        "objectClass": ["top", "msPKI-Enterprise-Oid"],
                        "displayName": t["display"], "flags": "1",
                        "msPKI-Cert-Template-OID": oid,
                        "showInAdvancedViewOnly": "TRUE",
                        "nTSecurityDescriptor": oid_sd}))
            entries.append(labjson.template_entry(t, {"dn": dn, "oid": oid, "oid_dn": oid_dn}))

        r = c.search_s(SERVICE_DN, ldap.SCOPE_BASE, "(objectClass=*)",
                       ["certificateTemplates"])
        have = {v.decode().lower() for v in r[0][1].get("certificateTemplates", [])}
        missing = [cn for cn in templates.published_cns() if cn.lower() not in have]
        if missing:
            c.modify_s(SERVICE_DN, [(ldap.MOD_ADD, "certificateTemplates",
                                     [cn.encode() for cn in missing])])
            done.append("%s on the enrollment service" % ", ".join(missing))
    finally:
        c.unbind_s()

    before = json.dumps(lab, sort_keys=True)
    labjson.template_lists(lab, entries)
    if json.dumps(lab, sort_keys=True) != before:
        _write_json(paths.lab_json, lab)
        done.append("template facts in lab.json")
    return done
