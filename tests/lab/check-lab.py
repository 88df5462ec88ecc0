#!/usr/bin/python3
"""Check a running cradle-lab the way a client sees it.

Usage: tests/lab/check-lab.py   (after `cradle-lab up`; reads $CRADLE_LAB_DIR
or <repo>/.lab).  Binds with GSSAPI as alice and bob using their tickets,
reads what Cradle reads, and reports each check in TAP (the suite counts
them), skipping as a whole when the lab is not running.  Exit 0 when all pass.
"""

import json
import os
import subprocess
import sys

import gssapi
import ldap
import ldap.sasl
from ldap.controls import LDAPControl
from samba.dcerpc import security
from samba.ndr import ndr_unpack

HERE = os.path.dirname(os.path.realpath(__file__))
LAB = os.environ.get("CRADLE_LAB_DIR") or os.path.join(HERE, "..", "..", ".lab")
LAB = os.path.realpath(LAB)
SD_FLAGS_DACL = LDAPControl("1.2.840.113556.1.4.801", True,
                            encodedControlValue=b"\x30\x03\x02\x01\x04")
ENROLL = "0e10c968-78fb-11d2-90d4-00c04f79dc55"
RIGHT_DS_CONTROL_ACCESS = 0x100

results = []


def check(name, ok, detail=""):
    results.append(bool(ok))
    print("%s %d %s" % ("ok" if ok else "not ok", len(results), name))
    if not ok and detail:
        for line in str(detail).splitlines():
            print("# " + line)


def bind_gssapi(user):
    os.environ["KRB5CCNAME"] = "FILE:%s/ccache/%s" % (LAB, user)
    c = ldap.initialize(lab["ldap_uri"])
    c.set_option(ldap.OPT_PROTOCOL_VERSION, 3)
    c.set_option(ldap.OPT_REFERRALS, 0)
    c.set_option(ldap.OPT_X_SASL_NOCANON, 1)
    c.sasl_interactive_bind_s("", ldap.sasl.gssapi())
    return c


def sid_str(raw):
    return str(ndr_unpack(security.dom_sid, raw))


def enroll_sids(sd_raw):
    sd = ndr_unpack(security.descriptor, sd_raw)
    out = set()
    for ace in sd.dacl.aces:
        if ace.type == security.SEC_ACE_TYPE_ACCESS_ALLOWED_OBJECT and \
                ace.access_mask & RIGHT_DS_CONTROL_ACCESS and \
                str(ace.object.type).lower() == ENROLL:
            out.add(str(ace.trustee))
    protected = bool(sd.type & security.SEC_DESC_DACL_PROTECTED)
    return out, protected


status = subprocess.run([os.path.join(HERE, "cradle-lab"), "status"],
                        capture_output=True, text=True)
if status.returncode != 0:
    print("1..0 # SKIP the lab is not running; start it with tests/lab/cradle-lab up")
    sys.exit(0)

with open(os.path.join(LAB, "lab.json")) as f:
    lab = json.load(f)
os.environ["KRB5_CONFIG"] = lab["files"]["krb5_conf"]
pks = lab["public_key_services_dn"]
dsid = lab["domain_sid"]

# --- as alice -------------------------------------------------------------
a = bind_gssapi("alice")
check("GSSAPI bind as alice (SASL host canonicalisation off)", True)

res = a.search_s("CN=Certificate Templates," + pks, ldap.SCOPE_ONELEVEL,
                 "(objectClass=pKICertificateTemplate)", ["cn"])
cns = sorted(e[1]["cn"][0].decode() for e in res if e[0])
check("alice sees exactly the %d templates" % len(lab["template_cns"]),
      cns == sorted(lab["template_cns"]), "got %s" % cns)

res = a.search_s("CN=Enrollment Services," + pks, ldap.SCOPE_ONELEVEL,
                 "(objectClass=pKIEnrollmentService)")
es = res[0][1] if res and res[0][0] else {}
with open(lab["cas"]["issuing"]["der"], "rb") as f:
    issuing_der = f.read()
check("enrollment service readable, dNSHostName ca1",
      es.get("dNSHostName") == [lab["ca_host"].encode()])
check("enrollment service publishes every template but the unpublished one",
      sorted(v.decode() for v in es.get("certificateTemplates", []))
      == sorted(lab["published_templates"]))
check("enrollment service cACertificate is the issuing CA",
      es.get("cACertificate") == [issuing_der])
check("enrollment service cACertificateDN in Windows form",
      es.get("cACertificateDN") == [lab["cas"]["issuing"]["windows_dn"].encode()])
check("msPKI-Enrollment-Servers holds the two CES URIs",
      sorted(v.decode() for v in es.get("msPKI-Enrollment-Servers", []))
      == sorted(lab["enrollment_service"]["msPKI-Enrollment-Servers"]))
check("enrollment service flags 10", es.get("flags") == [b"10"])

res = a.search_ext_s("CN=Enrollment Services," + pks, ldap.SCOPE_ONELEVEL,
                     "(objectClass=pKIEnrollmentService)",
                     ["nTSecurityDescriptor"], serverctrls=[SD_FLAGS_DACL])
sids, _ = enroll_sids(res[0][1]["nTSecurityDescriptor"][0])
check("enrollment service grants Enroll to Authenticated Users",
      "S-1-5-11" in sids, sids)

res = a.search_ext_s("CN=Certificate Templates," + pks, ldap.SCOPE_ONELEVEL,
                     "(objectClass=pKICertificateTemplate)",
                     ["cn", "nTSecurityDescriptor"], serverctrls=[SD_FLAGS_DACL])
sds = {e[1]["cn"][0].decode(): e[1].get("nTSecurityDescriptor", [None])[0]
       for e in res if e[0]}
group_sid = lab["group"]["sid"]
du = dsid + "-513"
for t in lab["templates"]:
    raw = sds.get(t["cn"])
    if raw is None:
        check("nTSecurityDescriptor of %s readable as alice" % t["cn"], False)
        continue
    sids, protected = enroll_sids(raw)
    want = group_sid if t["enrollGrantedTo"] == lab["group"]["name"] else du
    other = du if want == group_sid else group_sid
    check("%s: protected DACL, Enroll for %s only (+DA/EA)"
          % (t["cn"], t["enrollGrantedTo"]),
          protected and want in sids and other not in sids
          and {dsid + "-512", dsid + "-519"} <= sids, sids)

for user, member in (("alice", True), ("bob", False), ("carol", False)):
    c = bind_gssapi(user)
    dn = lab["users"][user]["dn"]
    r = c.search_s(dn, ldap.SCOPE_BASE, "(objectClass=*)",
                   ["tokenGroups", "userPrincipalName", "mail"])
    tg = {sid_str(v) for v in r[0][1].get("tokenGroups", [])}
    check("%s's tokenGroups %s Mobile Device Users"
          % (user, "include" if member else "exclude"),
          (group_sid in tg) == member and du in tg, tg)
    want_upn = lab["users"][user]["upn"]
    check("%s %s" % (user, "has UPN " + want_upn if want_upn
                     else "has no userPrincipalName (GSSAPI bind as carol@REALM)"),
          r[0][1].get("userPrincipalName") == ([want_upn.encode()] if want_upn else None),
          r[0][1].get("userPrincipalName"))
    want_mail = lab["users"][user]["mail"]
    check("%s %s" % (user, "has mail " + want_mail if want_mail else "has no mail"),
          r[0][1].get("mail") == ([want_mail.encode()] if want_mail else None))

b = bind_gssapi("bob")
restricted = [t for t in lab["templates"]
              if t["enrollGrantedTo"] == lab["group"]["name"]][0]
r = b.search_ext_s(restricted["dn"], ldap.SCOPE_BASE, "(objectClass=*)",
                   ["nTSecurityDescriptor"], serverctrls=[SD_FLAGS_DACL])
sids, _ = enroll_sids(r[0][1]["nTSecurityDescriptor"][0])
bob_groups = {du, lab["users"]["bob"]["sid"], "S-1-5-11"}
check("bob reads %s's DACL and holds no Enroll grant there" % restricted["cn"],
      not (sids & bob_groups), sids)

r = a.search_s("CN=NTAuthCertificates," + pks, ldap.SCOPE_BASE,
               "(objectClass=*)", ["cACertificate"])
check("NTAuthCertificates holds the issuing CA",
      r[0][1].get("cACertificate") == [issuing_der])
with open(lab["cas"]["root"]["der"], "rb") as f:
    root_der = f.read()
r = a.search_s("CN=Certification Authorities," + pks, ldap.SCOPE_ONELEVEL,
               "(objectClass=certificationAuthority)", ["cACertificate"])
check("Certification Authorities holds the root CA",
      [e[1]["cACertificate"] for e in r if e[0]] == [[root_der]])
r = a.search_s("CN=AIA," + pks, ldap.SCOPE_ONELEVEL,
               "(objectClass=certificationAuthority)", ["cn"])
check("AIA holds both CAs", sorted(e[1]["cn"][0].decode() for e in r if e[0])
      == sorted(["Corp Lab Root CA", "Corp Issuing CA"]))
r = a.search_s("CN=OID," + pks, ldap.SCOPE_ONELEVEL,
               "(objectClass=msPKI-Enterprise-Oid)", ["msPKI-Cert-Template-OID"])
oids = {e[1]["msPKI-Cert-Template-OID"][0].decode() for e in r if e[0]}
want = {t["oid"] for t in lab["templates"] if t["schemaVersion"] >= 2}
check("CN=OID has an msPKI-Enterprise-Oid for every v2+ template",
      want <= oids, want - oids)

# --- LDAPS simple bind as Administrator, verified against Samba's TLS CA ---
with open(os.path.join(LAB, "secrets.json")) as f:
    admin_pw = json.load(f)["Administrator"]
s = ldap.initialize(lab["ldaps_uri"])
s.set_option(ldap.OPT_X_TLS_CACERTFILE, lab["files"]["dc_tls_ca"])
s.set_option(ldap.OPT_X_TLS_REQUIRE_CERT, ldap.OPT_X_TLS_DEMAND)
s.set_option(ldap.OPT_X_TLS_NEWCTX, 0)
try:
    s.simple_bind_s("Administrator@" + lab["domain"], admin_pw)
    check("LDAPS simple bind as Administrator (DC cert verified)", True)
except ldap.LDAPError as e:
    check("LDAPS simple bind as Administrator (DC cert verified)", False, e)
try:
    p = ldap.initialize(lab["ldap_uri"])
    p.simple_bind_s("Administrator@" + lab["domain"], admin_pw)
    check("plain-LDAP simple bind refused (as AD does)", False)
except ldap.STRONG_AUTH_REQUIRED:
    check("plain-LDAP simple bind refused (as AD does)", True)

# --- SPNEGO: alice -> HTTP/ca1 accepted with the exported keytab ---------
os.environ["KRB5CCNAME"] = "FILE:%s/ccache/alice" % LAB
os.environ["KRB5_KTNAME"] = "FILE:" + lab["files"]["http_keytab"]
try:
    name = gssapi.Name("HTTP@" + lab["ca_host"], gssapi.NameType.hostbased_service)
    ictx = gssapi.SecurityContext(name=name, usage="initiate",
                                  mech=gssapi.MechType.kerberos)
    actx = gssapi.SecurityContext(usage="accept",
                                  creds=gssapi.Credentials(usage="accept"))
    tok = ictx.step()
    actx.step(tok)
    check("Kerberos to HTTP/ca1 accepted with ca/http.keytab (%s)"
          % actx.initiator_name, str(actx.initiator_name).startswith("alice@"))
except gssapi.exceptions.GSSError as e:
    check("Kerberos to HTTP/ca1 accepted with ca/http.keytab", False, e)

# --- certificates ----------------------------------------------------------
out = subprocess.run(["openssl", "verify", "-CAfile", lab["cas"]["root"]["pem"],
                      lab["cas"]["issuing"]["pem"]], capture_output=True, text=True)
check("issuing CA chains to the root (openssl verify)", out.returncode == 0,
      out.stdout + out.stderr)

# --- the lab CA and SCEP, as a client sees them -------------------------------
sys.path.insert(0, HERE)
import check_ca  # noqa: E402

check_ca.run(check, lab, LAB, HERE)
import check_revocation  # noqa: E402

check_revocation.run(check, lab, LAB, HERE)
import check_renewal  # noqa: E402

check_renewal.run(check, lab, LAB, HERE)

failed = results.count(False)
print("1..%d" % len(results))
print("# %d passed, %d failed" % (len(results) - failed, failed))
sys.exit(1 if failed else 0)
