#!/usr/bin/python3
"""`cradlectl diagnose`: the domain and directory hops against the lab.

- All well: every check of the domain and directory hops is ok (DNS SRV is
  skipped, saying why: the lab names its DC), the JSON lists every hop, and
  the text lists the hops in order with the same verdict and exit code.
- DC stopped, for this process only: CRADLE_DC on a closed loopback port
  and a private KRB5_CONFIG whose KDC is a closed port.  The domain and
  directory hops fail with DC_UNREACHABLE, what follows them is skipped
  saying why, every other hop still reports, the exit code is 8, and the
  run ends within the deadlines the product promises.
- DC certificate not trusted (LDAPTLS_CACERT names another CA): LDAPS and
  StartTLS warn with DC_TLS_UNTRUSTED, LDAP and the Kerberos sign-in stay ok.
- A hostile DC address (controls and a bidi override in CRADLE_DC): the
  text and the JSON never carry the raw characters.

Skips when the lab does not run.  Never stops the shared lab.  TAP on stdout.
"""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from diagnose_support import (CRADLECTL, Tap, base_env, check_of, closed_port,  # noqa: E402
                              diagnose, failed_checks, hop, lab_env, temp_folder, verdicts)

HOPS = ["device", "clock", "domain", "kerberos", "directory", "type", "ca", "certificate"]
TITLES = ["Device", "Clock", "Domain", "Kerberos", "Directory", "Certificate type",
          "Certification authority", "Will the certificate work"]
DOMAIN_CHECKS = ["realm", "dns-srv", "dc-reachable", "ldap", "ldaps", "starttls"]
DIRECTORY_CHECKS = ["sign-in", "root-dse", "certificate-templates", "enrollment-services",
                    "ntauth", "aia", "catalog"]
VERDICTS = {"ok", "warning", "failed", "skipped"}
TIMEOUT_S = 2
# cradle-diagnosis.h: "the whole run ends within a few such deadlines"; the
# runner gives up waiting for a fact after three.
DEADLINE_FACTOR = 5


def names(report, hop_name):
    return [c.get("name") for c in hop(report, hop_name).get("checks", [])]


def well_formed(tap, label, report):
    """Every hop listed in order, each with checks that say what they found."""
    tap.check("%s: the JSON lists every hop in order" % label,
              [h.get("hop") for h in (report or {}).get("hops", [])] == HOPS, verdicts(report))
    bad = []
    for entry in (report or {}).get("hops", []):
        if not entry.get("checks"):
            bad.append("%s: no checks" % entry.get("hop"))
        for c in entry.get("checks", []):
            if c.get("verdict") not in VERDICTS or not c.get("found"):
                bad.append("%s/%s: %r" % (entry.get("hop"), c.get("name"), c))
            if c.get("verdict") in ("failed", "warning"):
                err = c.get("error") or {}
                if not (err.get("message") and err.get("explanation") and err.get("next_step")
                        and err.get("support_step")):
                    bad.append("%s/%s unexplained: %r" % (entry.get("hop"), c.get("name"), err))
    tap.check("%s: every hop reports, each check with a verdict, what it found and, when "
              "not ok, an explanation" % label, not bad, "\n".join(bad))


def case_all_well(tap, lab):
    env = base_env(lab)
    rc, report, out, err = diagnose(env)
    tap.check("all well: the JSON parses", report is not None, out + err)
    well_formed(tap, "all well", report)
    tap.check("all well: the domain hop has its checks in order",
              names(report, "domain") == DOMAIN_CHECKS, names(report, "domain"))
    tap.check("all well: the directory hop has its checks in order",
              names(report, "directory") == DIRECTORY_CHECKS, names(report, "directory"))
    not_ok = ["%s/%s %s" % (h, n, check_of(report, h, n).get("verdict"))
              for h, wanted in (("domain", DOMAIN_CHECKS), ("directory", DIRECTORY_CHECKS))
              for n in wanted
              if check_of(report, h, n).get("verdict") != ("skipped" if n == "dns-srv" else "ok")]
    tap.check("all well: every domain and directory check is ok", not not_ok, "\n".join(not_ok) + "\n" + out)
    tap.check("all well: DNS SRV is skipped, saying the settings name the DC",
              "CRADLE_DC" in check_of(report, "domain", "dns-srv").get("found", "")
              and "dc1.corp.example.test" in check_of(report, "domain", "dns-srv").get("found", ""),
              check_of(report, "domain", "dns-srv"))
    tap.check("all well: the hop verdicts of domain and directory are ok",
              hop(report, "domain").get("verdict") == "ok" and hop(report, "directory").get("verdict") == "ok",
              verdicts(report))
    tap.check("all well: the sign-in names the user", "alice@CORP.EXAMPLE.TEST" in
              check_of(report, "directory", "sign-in").get("found", ""), check_of(report, "directory", "sign-in"))
    tap.check("all well: the catalog names the lab's CA", "1 CA" in
              check_of(report, "directory", "catalog").get("found", "")
              and "Corp Issuing CA" in check_of(report, "directory", "enrollment-services").get("found", ""),
              check_of(report, "directory", "catalog"))
    expected_rc = 8 if report and report.get("verdict") == "failed" else 0
    tap.check("all well: the exit code follows the verdict (%s)" % (report or {}).get("verdict"),
              rc == expected_rc, "rc=%d %s" % (rc, failed_checks(report)))

    text = subprocess.run([CRADLECTL, "diagnose"], capture_output=True, text=True, env=env, timeout=120)
    positions = [text.stdout.find("\n%s: " % title) for title in TITLES]
    tap.check("all well: the text lists the hops in order",
              -1 not in positions and positions == sorted(positions), text.stdout)
    tap.check("all well: the text shows each domain check with its verdict and duration",
              re.search(r"\n  ok +LDAPS \[ldaps\], \d+ ms\n", text.stdout) is not None
              and re.search(r"\n  ok +Sign in to the directory \[sign-in\], \d+ ms\n", text.stdout) is not None,
              text.stdout)
    tap.check("all well: the text exits as the JSON does", text.returncode == rc,
              "text %d json %d" % (text.returncode, rc))


def private_krb5_conf(lab, folder):
    """The lab's krb5.conf with every KDC on a closed loopback port."""
    port = closed_port()
    with open(lab["KRB5_CONFIG"]) as f:
        conf = f.read()
    conf, n = re.subn(r"(?m)^(\s*(?:kdc|admin_server|kpasswd_server)\s*=\s*).*$",
                      r"\g<1>127.0.0.1:%d" % port, conf)
    path = os.path.join(folder, "krb5.conf")
    with open(path, "w") as f:
        f.write(conf)
    return path, n


def case_dc_stopped(tap, lab):
    folder = temp_folder()
    krb5_conf, replaced = private_krb5_conf(lab, folder)
    tap.check("dc stopped: the private krb5.conf names a closed KDC", replaced >= 1, replaced)
    dc_port = closed_port()
    env = base_env(lab, CRADLE_DC="ldap://127.0.0.1:%d" % dc_port, KRB5_CONFIG=krb5_conf)
    rc, report, out, err = diagnose(env, "--timeout", str(TIMEOUT_S))
    tap.check("dc stopped: the JSON parses", report is not None, out + err)
    well_formed(tap, "dc stopped", report)
    tap.check("dc stopped: exit code 8", rc == 8, "rc=%d\n%s" % (rc, err))
    tap.check("dc stopped: the domain and directory hops fail",
              hop(report, "domain").get("verdict") == "failed"
              and hop(report, "directory").get("verdict") == "failed", verdicts(report))

    reachable = check_of(report, "domain", "dc-reachable")
    tap.check("dc stopped: 'DC reachable' fails with DC_UNREACHABLE naming the port",
              reachable.get("verdict") == "failed"
              and (reachable.get("error") or {}).get("detail") == "DC_UNREACHABLE"
              and str(dc_port) in reachable.get("found", ""), reachable)
    tap.check("dc stopped: its next step for support names the ports to open",
              "389" in (reachable.get("error") or {}).get("support_step", ""), reachable)
    skipped = [n for n in ("ldap", "ldaps", "starttls")
               if check_of(report, "domain", n).get("verdict") != "skipped"
               or "Domain controller reachable" not in check_of(report, "domain", n).get("found", "")]
    tap.check("dc stopped: LDAP, LDAPS and StartTLS are skipped, saying why", not skipped,
              [check_of(report, "domain", n) for n in skipped])
    sign_in = check_of(report, "directory", "sign-in")
    tap.check("dc stopped: the directory sign-in fails with DC_UNREACHABLE",
              sign_in.get("verdict") == "failed"
              and (sign_in.get("error") or {}).get("detail") == "DC_UNREACHABLE", sign_in)
    later = [n for n in DIRECTORY_CHECKS[1:]
             if check_of(report, "directory", n).get("verdict") != "skipped"
             or "see Sign in" not in check_of(report, "directory", n).get("found", "")]
    tap.check("dc stopped: the directory's later checks are skipped, saying why", not later, later)
    others = [h for h in HOPS if h not in ("domain", "directory") and not hop(report, h).get("checks")]
    tap.check("dc stopped: every other hop still reports", not others, verdicts(report))
    limit_ms = DEADLINE_FACTOR * TIMEOUT_S * 1000
    duration = (report or {}).get("duration_ms", 1e12)
    tap.check("dc stopped: the run ends within %d deadlines of %d s (the product's contract)"
              % (DEADLINE_FACTOR, TIMEOUT_S), duration <= limit_ms, "duration_ms=%s" % duration)

    text = subprocess.run([CRADLECTL, "diagnose", "--timeout", str(TIMEOUT_S)],
                          capture_output=True, text=True, env=env, timeout=120)
    tap.check("dc stopped: the text explains the failure with the error table's words",
              "DC_UNREACHABLE" in text.stdout and "Next step:" in text.stdout
              and "Support:" in text.stdout and text.returncode == 8, text.stdout + text.stderr)


def case_dc_untrusted(tap, lab):
    # The lab's CA root is not the one that signed the DC's TLS certificate.
    env = base_env(lab, LDAPTLS_CACERT=lab["CRADLE_LAB_ROOT_CA"])
    rc, report, out, err = diagnose(env, "--timeout", str(TIMEOUT_S))
    tls = [check_of(report, "domain", n) for n in ("ldaps", "starttls")]
    tap.check("dc untrusted: LDAPS and StartTLS warn with DC_TLS_UNTRUSTED",
              all(c.get("verdict") == "warning" and (c.get("error") or {}).get("detail") == "DC_TLS_UNTRUSTED"
                  for c in tls), tls)
    tap.check("dc untrusted: LDAP and the Kerberos sign-in are still ok",
              check_of(report, "domain", "ldap").get("verdict") == "ok"
              and check_of(report, "directory", "sign-in").get("verdict") == "ok",
              [check_of(report, "domain", "ldap"), check_of(report, "directory", "sign-in")])


def case_hostile_address(tap, lab):
    hostile = "ldap://dc1\x1b]0;owned\x07\u202e.corp:%d" % closed_port()
    env = base_env(lab, CRADLE_DC=hostile)
    rc, report, out, err = diagnose(env, "--timeout", str(TIMEOUT_S))
    raw = ("\x1b", "\x07", "\u202e")
    tap.check("hostile address: the JSON carries no raw control or bidi character",
              not any(c in out for c in raw) and report is not None, repr(out[:2000]))
    found = check_of(report, "domain", "dc-reachable").get("found", "") + \
        check_of(report, "domain", "dns-srv").get("found", "")
    tap.check("hostile address: what the checks found is escaped",
              "\\x1b" in found and not any(c in found for c in raw), repr(found))
    text = subprocess.run([CRADLECTL, "diagnose", "--timeout", str(TIMEOUT_S)],
                          capture_output=True, text=True, env=env, timeout=120)
    tap.check("hostile address: the text carries no raw control or bidi character",
              not any(c in text.stdout + text.stderr for c in raw) and "\\x1b" in text.stdout,
              repr(text.stdout[:3000]))
    tap.check("hostile address: the failed checks still exit 8", text.returncode == 8 and rc == 8,
              "text %d json %d" % (text.returncode, rc))


def case_bad_options(tap, lab):
    env = base_env(lab)
    done = subprocess.run([CRADLECTL, "diagnose", "--timeout", "many"], capture_output=True, text=True,
                          env=env, timeout=60)
    tap.check("bad options: exit 7", done.returncode == 7, done.stderr)
    done = subprocess.run([CRADLECTL, "diagnose", "--user", "alice"], capture_output=True, text=True,
                          env=env, timeout=60)
    tap.check("bad options: --user without --password-file exits 7", done.returncode == 7, done.stderr)


def main():
    tap = Tap()
    lab = lab_env()
    if lab is None:
        return tap.skip_all("the lab is not running (tests/lab/cradle-lab up)")
    case_all_well(tap, lab)
    case_dc_stopped(tap, lab)
    case_dc_untrusted(tap, lab)
    case_hostile_address(tap, lab)
    case_bad_options(tap, lab)
    return tap.finish()


if __name__ == "__main__":
    sys.exit(main())
